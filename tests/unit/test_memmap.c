// SPDX-License-Identifier: BSD-2-Clause
/*
 * The physical memory map (src/memmap.c) over a real temporary file opened
 * with kvm_file_open(): segment lookup, zero fill between filesz and
 * memsz (ELF p_filesz < p_memsz), holes, overlap trimming, hostile
 * segments, and writes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kvm_private.h"

/* The temporary file: FILE_SIZE bytes of pat(). */
#define FILE_SIZE 0x10000u

struct fixture {
	kvm_t *kd;
	char path[4096];
	struct kvm_file file;
	struct kvm_memmap m;
};

#define assert_error(kd, code, want)                                       \
	do {                                                               \
		assert_int_equal(kvm_geterrcode(kd), (code));              \
		if (!strstr(kvm_geterr(kd), (want)))                       \
			fail_msg("error \"%s\" does not contain \"%s\"",   \
				 kvm_geterr(kd), (want));                  \
	} while (0)

/*
 * The byte at file offset off.  Not periodic within the file, so a read
 * from the wrong offset shows.
 */
static uint8_t
pat(uint64_t off)
{
	return (uint8_t)(off * 131 + (off >> 8) * 7 + 1);
}

/* buf holds len bytes of the file from offset off. */
#define assert_file_bytes(buf, off, len)                                   \
	do {                                                               \
		const uint8_t *b_ = (const uint8_t *)(buf);                \
		for (uint64_t i_ = 0; i_ < (len); i_++)                    \
			if (b_[i_] != pat((off) + i_))                     \
				fail_msg("byte %llu is 0x%02x, not file "  \
					 "offset 0x%llx's 0x%02x",         \
					 (unsigned long long)i_, b_[i_],   \
					 (unsigned long long)((off) + i_), \
					 pat((off) + i_));                 \
	} while (0)

#define assert_zero_bytes(buf, len)                                        \
	do {                                                               \
		const uint8_t *b_ = (const uint8_t *)(buf);                \
		for (size_t i_ = 0; i_ < (len); i_++)                      \
			if (b_[i_])                                        \
				fail_msg("byte %zu is 0x%02x, not 0", i_,  \
					 b_[i_]);                          \
	} while (0)

static int
make_file(struct fixture *f)
{
	const char *dir = getenv("TMPDIR");
	uint8_t buf[FILE_SIZE];

	snprintf(f->path, sizeof(f->path), "%s/kvm-test-memmap-XXXXXX",
		 dir && *dir ? dir : "/tmp");
	int fd = mkstemp(f->path);
	if (fd < 0) {
		f->path[0] = '\0';
		return -1;
	}
	for (uint64_t i = 0; i < FILE_SIZE; i++)
		buf[i] = pat(i);
	ssize_t n = write(fd, buf, sizeof(buf));
	close(fd);
	return n == (ssize_t)sizeof(buf) ? 0 : -1;
}

static int
setup_flags(void **state, int oflags)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	f->file.fd = -1;
	*state = f;
	f->kd = calloc(1, sizeof(*f->kd));
	if (!f->kd || make_file(f) < 0) {
		if (f->path[0])
			unlink(f->path);
		return -1;
	}
	int err = kvm_file_open(f->kd, &f->file, f->path, oflags);
	/* Open files outlive their name: nothing is left if a test aborts. */
	unlink(f->path);
	f->path[0] = '\0';
	if (err) {
		fprintf(stderr, "kvm_file_open: %s\n", kvm_geterr(f->kd));
		return -1;
	}
	return 0;
}

static int
setup(void **state)
{
	return setup_flags(state, O_RDONLY);
}

static int
setup_rw(void **state)
{
	return setup_flags(state, O_RDWR);
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	if (!f)
		return 0;
	kvm_memmap_deinit(&f->m);
	if (f->file.fd >= 0)
		kvm_file_close(&f->file);
	free(f->kd);
	free(f);
	return 0;
}

static void
add(struct fixture *f, uint64_t pa, uint64_t memsz, uint64_t offset,
    uint64_t filesz)
{
	assert_int_equal(kvm_memmap_add(f->kd, &f->m, pa, memsz, offset,
					filesz),
			 0);
}

static int
rd(struct fixture *f, uint64_t pa, void *buf, size_t len, size_t *done)
{
	kvm_error_clear(f->kd);
	*done = (size_t)-1;
	return kvm_memmap_read(f->kd, &f->m, &f->file, pa, buf, len, done);
}

static int
wr(struct fixture *f, uint64_t pa, const void *buf, size_t len,
   size_t *done)
{
	kvm_error_clear(f->kd);
	*done = (size_t)-1;
	return kvm_memmap_write(f->kd, &f->m, &f->file, pa, buf, len, done);
}

/* --------------------------------------------------------------- reads */

static void
test_read_inside_segment(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[0x100];
	size_t done;

	add(f, 0x100000, 0x1000, 0x2000, 0x1000);
	assert_int_equal(kvm_memmap_finish(f->kd, &f->m), 0);

	assert_int_equal(rd(f, 0x100010, buf, sizeof(buf), &done), 0);
	assert_int_equal(done, sizeof(buf));
	assert_file_bytes(buf, 0x2010, sizeof(buf));

	/* The segment's first and last bytes. */
	assert_int_equal(rd(f, 0x100000, buf, 1, &done), 0);
	assert_file_bytes(buf, 0x2000, 1);
	assert_int_equal(rd(f, 0x100fff, buf, 1, &done), 0);
	assert_file_bytes(buf, 0x2fff, 1);

	/* Nothing asked, nothing read. */
	assert_int_equal(rd(f, 0x100000, buf, 0, &done), 0);
	assert_int_equal(done, 0);
}

/* Adjacent in memory, apart (and in the other order) in the file. */
static void
test_read_across_adjacent(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[0x200];
	size_t done;

	/* Added out of order: finish() sorts. */
	add(f, 0x101000, 0x1000, 0x0000, 0x1000);
	add(f, 0x100000, 0x1000, 0x3000, 0x1000);
	assert_int_equal(kvm_memmap_finish(f->kd, &f->m), 0);

	assert_int_equal(rd(f, 0x100f00, buf, sizeof(buf), &done), 0);
	assert_int_equal(done, sizeof(buf));
	assert_file_bytes(buf, 0x3f00, 0x100);
	assert_file_bytes(buf + 0x100, 0x0000, 0x100);
}

static void
test_read_zero_fill(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[0x400];
	size_t done;

	/* 0x800 bytes in the file, 0x2000 in memory. */
	add(f, 0x200000, 0x2000, 0x1000, 0x800);
	assert_int_equal(kvm_memmap_finish(f->kd, &f->m), 0);

	memset(buf, 0xcc, sizeof(buf));
	assert_int_equal(rd(f, 0x200780, buf, 0x100, &done), 0);
	assert_int_equal(done, 0x100);
	assert_file_bytes(buf, 0x1780, 0x80);
	assert_zero_bytes(buf + 0x80, 0x80);

	/* Wholly in the zero part, up to the segment's last byte. */
	memset(buf, 0xcc, sizeof(buf));
	assert_int_equal(rd(f, 0x201c00, buf, 0x400, &done), 0);
	assert_int_equal(done, 0x400);
	assert_zero_bytes(buf, 0x400);

	/* One past the end is not zero: it is not there. */
	assert_int_equal(rd(f, 0x201fff, buf, 2, &done), -KVM_ENODATA);
	assert_int_equal(done, 1);
	assert_int_equal(buf[0], 0);
}

/* held(): in p_filesz and in the file; runs end where the answer changes. */
static void
test_held(void **state)
{
	struct fixture *f = *state;
	uint64_t len;

	add(f, 0x200000, 0x2000, 0x1000, 0x800);	/* half zero-filled */
	add(f, 0x400000, 0x1000, FILE_SIZE - 0x800, 0x1000); /* past EOF */
	assert_int_equal(kvm_memmap_finish(f->kd, &f->m), 0);
	f->kd->fmt_priv = &f->m;
	f->kd->core = f->file;

	/* Below every segment: not held up to the first. */
	assert_false(kvm_memmap_fmt_held(f->kd, 0x1000, &len));
	assert_int_equal(len, 0x200000 - 0x1000);
	assert_true(kvm_memmap_fmt_held(f->kd, 0x200100, &len));
	assert_int_equal(len, 0x700);
	/* The zero-filled part up to the segment's end. */
	assert_false(kvm_memmap_fmt_held(f->kd, 0x200800, &len));
	assert_int_equal(len, 0x1800);
	/* Between segments, then a segment the file holds only half of. */
	assert_false(kvm_memmap_fmt_held(f->kd, 0x300000, &len));
	assert_int_equal(len, 0x100000);
	assert_true(kvm_memmap_fmt_held(f->kd, 0x400000, &len));
	assert_int_equal(len, 0x800);
	assert_false(kvm_memmap_fmt_held(f->kd, 0x400800, &len));
	assert_int_equal(len, 0x800);
	/* Above every segment: to the top of the address space. */
	assert_false(kvm_memmap_fmt_held(f->kd, 0x500000, &len));
	assert_int_equal(len, 0 - (uint64_t)0x500000);
	f->kd->fmt_priv = NULL;
	f->kd->core.fd = -1;
	f->kd->core.map = NULL;
}

/* A filesz larger than memsz is clamped: no bytes beyond memsz appear. */
static void
test_filesz_above_memsz(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[0x200];
	size_t done;

	add(f, 0x300000, 0x100, 0x0, 0x1000);
	assert_int_equal(kvm_memmap_finish(f->kd, &f->m), 0);
	assert_int_equal(f->m.segs[0].filesz, 0x100);

	assert_int_equal(rd(f, 0x300000, buf, 0x200, &done), -KVM_ENODATA);
	assert_int_equal(done, 0x100);
	assert_file_bytes(buf, 0, 0x100);
}

static void
test_read_hole(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[0x200];
	size_t done;

	add(f, 0x100000, 0x1000, 0x0000, 0x1000);
	add(f, 0x102000, 0x1000, 0x1000, 0x1000);
	assert_int_equal(kvm_memmap_finish(f->kd, &f->m), 0);

	/* Up to the hole: the bytes before it are read and counted. */
	assert_int_equal(rd(f, 0x100f00, buf, sizeof(buf), &done),
			 -KVM_ENODATA);
	assert_int_equal(done, 0x100);
	assert_file_bytes(buf, 0xf00, 0x100);
	assert_error(f->kd, KVM_ENODATA, "0x101000");

	/* In the hole, and across it into the next segment. */
	assert_int_equal(rd(f, 0x101800, buf, 0x10, &done), -KVM_ENODATA);
	assert_int_equal(done, 0);
	assert_error(f->kd, KVM_ENODATA, "0x101800");
	assert_int_equal(rd(f, 0x101ff0, buf, 0x20, &done), -KVM_ENODATA);
	assert_int_equal(done, 0);

	/* Below the first and above the last segment. */
	assert_int_equal(rd(f, 0, buf, 1, &done), -KVM_ENODATA);
	assert_int_equal(done, 0);
	assert_int_equal(rd(f, 0xfffff, buf, 2, &done), -KVM_ENODATA);
	assert_int_equal(done, 0);
	assert_int_equal(rd(f, 0x102f00, buf, 0x200, &done), -KVM_ENODATA);
	assert_int_equal(done, 0x100);
	assert_file_bytes(buf, 0x1f00, 0x100);
	assert_int_equal(rd(f, UINT64_MAX, buf, 1, &done), -KVM_ENODATA);
	assert_int_equal(done, 0);
}

static void
test_empty_map(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[8];
	size_t done;

	/* No finish(): see test_finish_empty_map. */
	assert_int_equal(rd(f, 0x1000, buf, sizeof(buf), &done), -KVM_ENODATA);
	assert_int_equal(done, 0);
	assert_int_equal(rd(f, 0x1000, buf, 0, &done), 0);
	assert_int_equal(done, 0);
}

/*
 * An empty map finishes cleanly (once qsort(NULL, 0) was called on it,
 * which UBSan rejects) and reads nothing.
 */
static void
test_finish_empty_map(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[8];
	size_t done;

	assert_int_equal(kvm_memmap_finish(f->kd, &f->m), 0);
	assert_int_equal(f->m.nsegs, 0);
	assert_int_equal(rd(f, 0x1000, buf, sizeof(buf), &done), -KVM_ENODATA);
	assert_int_equal(done, 0);
}

/*
 * Where segments overlap (a kdump ELF's kernel-text PT_LOAD inside a RAM
 * one) the lower-addressed one keeps the overlap, whatever the order they
 * were added in; the other is trimmed or, wholly covered, dropped.
 */
static void
test_overlap_trimmed(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[0x100];
	size_t done;

	add(f, 0x101000, 0x2000, 0x8000, 0x2000);  /* B: trimmed */
	add(f, 0x100800, 0x0100, 0xc000, 0x0100);  /* C: inside A */
	add(f, 0x100000, 0x2000, 0x0000, 0x2000);  /* A */
	add(f, 0x102800, 0x1000, 0xd000, 0x1000);  /* D: trimmed by B */
	assert_int_equal(kvm_memmap_finish(f->kd, &f->m), 0);

	assert_int_equal(f->m.nsegs, 3);
	assert_int_equal(f->m.segs[0].pa, 0x100000);
	assert_int_equal(f->m.segs[0].memsz, 0x2000);
	assert_int_equal(f->m.segs[1].pa, 0x102000);
	assert_int_equal(f->m.segs[1].memsz, 0x1000);
	assert_int_equal(f->m.segs[1].offset, 0x9000);
	assert_int_equal(f->m.segs[1].filesz, 0x1000);
	assert_int_equal(f->m.segs[2].pa, 0x103000);
	assert_int_equal(f->m.segs[2].memsz, 0x800);
	assert_int_equal(f->m.segs[2].offset, 0xd800);

	assert_int_equal(rd(f, 0x100800, buf, sizeof(buf), &done), 0);
	assert_file_bytes(buf, 0x0800, sizeof(buf)); /* A's, not C's */
	assert_int_equal(rd(f, 0x101800, buf, sizeof(buf), &done), 0);
	assert_file_bytes(buf, 0x1800, sizeof(buf)); /* A's, not B's */
	assert_int_equal(rd(f, 0x101f80, buf, sizeof(buf), &done), 0);
	assert_file_bytes(buf, 0x1f80, 0x80);	     /* A up to its end */
	assert_file_bytes(buf + 0x80, 0x9000, 0x80); /* then trimmed B */
	assert_int_equal(rd(f, 0x102f80, buf, sizeof(buf), &done), 0);
	assert_file_bytes(buf, 0x9f80, 0x80);
	assert_file_bytes(buf + 0x80, 0xd800, 0x80);
}

/* Trimming past a short filesz leaves only zero fill. */
static void
test_overlap_trims_filesz(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[0x100];
	size_t done;

	add(f, 0x100000, 0x2000, 0x0000, 0x2000);
	add(f, 0x101000, 0x3000, 0x8000, 0x0800);
	assert_int_equal(kvm_memmap_finish(f->kd, &f->m), 0);

	/* The zero fill left joins A: one segment, A's bytes then zeros. */
	assert_int_equal(f->m.nsegs, 1);
	assert_int_equal(f->m.segs[0].pa, 0x100000);
	assert_int_equal(f->m.segs[0].memsz, 0x4000);
	assert_int_equal(f->m.segs[0].filesz, 0x2000);

	memset(buf, 0xcc, sizeof(buf));
	assert_int_equal(rd(f, 0x102000, buf, sizeof(buf), &done), 0);
	assert_zero_bytes(buf, sizeof(buf));
}

/*
 * Bytes the file holds win over another segment's zero fill: a PT_LOAD
 * whose p_memsz is broken does not hide the segments above it.
 */
static void
test_overlap_file_beats_zero_fill(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[0x100];
	size_t done;

	add(f, 0x100000, 0x10000, 0x0000, 0x1000); /* A: 60 KiB of zeros */
	add(f, 0x104000, 0x1000, 0x8000, 0x1000);  /* B: inside A's zeros */
	add(f, 0x108000, 0x2000, 0x9000, 0x0000);  /* C: zeros in zeros */
	assert_int_equal(kvm_memmap_finish(f->kd, &f->m), 0);

	assert_int_equal(f->m.nsegs, 2);
	assert_int_equal(f->m.segs[0].pa, 0x100000);
	assert_int_equal(f->m.segs[0].memsz, 0x4000);
	assert_int_equal(f->m.segs[0].filesz, 0x1000);
	assert_int_equal(f->m.segs[1].pa, 0x104000);
	assert_int_equal(f->m.segs[1].memsz, 0xc000);
	assert_int_equal(f->m.segs[1].filesz, 0x1000);

	assert_int_equal(rd(f, 0x104000, buf, sizeof(buf), &done), 0);
	assert_file_bytes(buf, 0x8000, sizeof(buf)); /* B's, not A's zeros */
	memset(buf, 0xcc, sizeof(buf));
	assert_int_equal(rd(f, 0x103f00, buf, sizeof(buf), &done), 0);
	assert_zero_bytes(buf, sizeof(buf));
	memset(buf, 0xcc, sizeof(buf));
	assert_int_equal(rd(f, 0x10ff00, buf, sizeof(buf), &done), 0);
	assert_zero_bytes(buf, sizeof(buf));
}

/* ----------------------------------------------------- hostile segments */

static void
test_segment_past_eof(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[0x200];
	size_t done;

	/* The file ends 0x100 bytes into this segment's file range. */
	add(f, 0x300000, 0x1000, FILE_SIZE - 0x100, 0x1000);
	/* Wholly past the end of the file. */
	add(f, 0x400000, 0x1000, 2 * FILE_SIZE, 0x1000);
	assert_int_equal(kvm_memmap_finish(f->kd, &f->m), 0);

	assert_int_equal(rd(f, 0x300000, buf, 0x100, &done), 0);
	assert_file_bytes(buf, FILE_SIZE - 0x100, 0x100);

	/* A dump cut short: the bytes before the cut are handed out. */
	assert_int_equal(rd(f, 0x300000, buf, 0x101, &done), -KVM_ETRUNC);
	assert_int_equal(done, 0x100);
	assert_file_bytes(buf, FILE_SIZE - 0x100, done);
	assert_error(f->kd, KVM_ETRUNC, "physical address 0x300100");
	assert_error(f->kd, KVM_ETRUNC, "past the end of the file");
	assert_int_equal(rd(f, 0x3000f0, buf, 0x200, &done), -KVM_ETRUNC);
	assert_int_equal(done, 0x10);
	assert_file_bytes(buf, FILE_SIZE - 0x10, done);

	assert_int_equal(rd(f, 0x300100, buf, 1, &done), -KVM_ETRUNC);
	assert_int_equal(done, 0);
	assert_error(f->kd, KVM_ETRUNC, "physical address 0x300100");

	assert_int_equal(rd(f, 0x400800, buf, 0x10, &done), -KVM_ETRUNC);
	assert_int_equal(done, 0);
}

static void
test_add_wraps_address_space(void **state)
{
	struct fixture *f = *state;

	kvm_error_clear(f->kd);
	assert_int_equal(kvm_memmap_add(f->kd, &f->m, 0xfffffffffffff000ULL,
					0x2000, 0, 0x2000),
			 -KVM_ECORRUPT);
	assert_error(f->kd, KVM_ECORRUPT, "wraps");
	assert_int_equal(kvm_memmap_add(f->kd, &f->m, 2, UINT64_MAX, 0, 0),
			 -KVM_ECORRUPT);
	assert_int_equal(f->m.nsegs, 0);

	/* Up to and including the last byte is fine. */
	add(f, 0xfffffffffffff000ULL, 0x1000, 0, 0x1000);
	add(f, 0, UINT64_MAX, 0, 0);
	/* An empty segment is no segment. */
	add(f, 0x1000, 0, 0, 0);
	assert_int_equal(f->m.nsegs, 2);
}

/*
 * A segment whose file range wraps past 2^64 is refused: otherwise
 * offset + rel would wrap to the start of the file, and reads and writes
 * would land there.
 */
static void
test_add_offset_wraps_file(void **state)
{
	struct fixture *f = *state;

	kvm_error_clear(f->kd);
	assert_int_equal(kvm_memmap_add(f->kd, &f->m, 0x500000, 0x1000,
					UINT64_MAX - 0x10, 0x1000),
			 -KVM_ECORRUPT);
	assert_error(f->kd, KVM_ECORRUPT, "wraps");
	assert_int_equal(f->m.nsegs, 0);

	/* Only the bytes in the file count: zero fill has no offset. */
	add(f, 0x500000, 0x1000, UINT64_MAX - 0x10, 0x10);
	add(f, 0x600000, 0x1000, UINT64_MAX, 0);
	/* filesz is clamped to memsz first. */
	add(f, 0x700000, 0x10, UINT64_MAX - 0x10, 0x1000);
	assert_int_equal(f->m.nsegs, 3);
	assert_int_equal(kvm_memmap_finish(f->kd, &f->m), 0);

	uint8_t b;
	size_t done;
	assert_int_equal(rd(f, 0x50000f, &b, 1, &done), -KVM_ETRUNC);
	assert_int_equal(rd(f, 0x500010, &b, 1, &done), 0);
	assert_int_equal(b, 0);
}

/*
 * A read running past the last byte of the 64-bit physical address space
 * stops there rather than wrapping to the segment at address 0.
 */
static void
test_read_stops_at_top_of_address_space(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[0x20];
	size_t done;

	add(f, 0xfffffffffffff000ULL, 0x1000, 0x0000, 0x1000);
	add(f, 0, 0x1000, 0x4000, 0x1000);
	assert_int_equal(kvm_memmap_finish(f->kd, &f->m), 0);

	assert_int_equal(rd(f, 0xfffffffffffffff0ULL, buf, sizeof(buf), &done),
			 -KVM_EFAULT);
	assert_int_equal(done, 0x10);
	assert_file_bytes(buf, 0xff0, 0x10);
	assert_error(f->kd, KVM_EFAULT, "top of the physical address space");

	/* Up to the last byte exactly is fine. */
	assert_int_equal(rd(f, 0xfffffffffffffff0ULL, buf, 0x10, &done), 0);
	assert_int_equal(done, 0x10);
}

static void
test_write_stops_at_top_of_address_space(void **state)
{
	struct fixture *f = *state;
	uint8_t in[0x20], out;
	size_t done;

	memset(in, 0x5a, sizeof(in));
	add(f, 0xfffffffffffff000ULL, 0x1000, 0x0000, 0x1000);
	add(f, 0, 0x1000, 0x4000, 0x1000);
	assert_int_equal(kvm_memmap_finish(f->kd, &f->m), 0);

	assert_int_equal(wr(f, 0xfffffffffffffff0ULL, in, sizeof(in), &done),
			 -KVM_EFAULT);
	assert_int_equal(done, 0x10);
	/* Physical address 0 (file offset 0x4000) is untouched. */
	assert_int_equal(pread(f->file.fd, &out, 1, 0x4000), 1);
	assert_int_equal(out, pat(0x4000));
}

/* Growth of the array, bisection and the last-hit shortcut. */
static void
test_many_segments(void **state)
{
	struct fixture *f = *state;
	enum { N = 1000 };
	uint8_t b;
	size_t done;

	/* Every other page, in a scrambled order; page i is file byte i. */
	for (unsigned i = 0; i < N; i++) {
		unsigned k = (i * 619u) % N; /* 619 is prime: a permutation */
		add(f, 0x10000000 + 2ULL * k * 0x1000, 0x1000, k, 1);
	}
	assert_int_equal(kvm_memmap_finish(f->kd, &f->m), 0);
	assert_int_equal(f->m.nsegs, N);

	for (unsigned pass = 0; pass < 2; pass++) {
		for (unsigned i = 0; i < N; i++) {
			/* Forwards, then jumping about. */
			unsigned k = pass ? (i * 337u) % N : i;
			uint64_t pa = 0x10000000 + 2ULL * k * 0x1000;
			assert_int_equal(rd(f, pa, &b, 1, &done), 0);
			if (b != pat(k))
				fail_msg("page %u reads 0x%02x", k, b);
			/* The zero-filled rest and the hole after it. */
			assert_int_equal(rd(f, pa + 0xfff, &b, 1, &done), 0);
			assert_int_equal(b, 0);
			assert_int_equal(rd(f, pa + 0x1000, &b, 1, &done),
					 -KVM_ENODATA);
		}
	}
}

/* The count of segments is bounded, whatever a header claims. */
static void
test_segment_limit(void **state)
{
	struct fixture *f = *state;
	size_t n = 0;

	while (kvm_memmap_add(f->kd, &f->m, (uint64_t)n << 12, 0x1000, 0,
			      0x1000) == 0) {
		n++;
		assert_true(n <= (1u << 20));
	}
	assert_int_equal(n, 1u << 20);
	assert_error(f->kd, KVM_ECORRUPT, "more than");
	assert_int_equal(f->m.nsegs, 1u << 20);
}

/* A file that could not be mapped is read with pread(): same results. */
static void
test_read_unmapped_file(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[0x200];
	size_t done;

	if (f->file.map) {
		munmap((void *)f->file.map, f->file.map_len);
		f->file.map = NULL;
		f->file.map_len = 0;
	}
	add(f, 0x100000, 0x1000, 0x3000, 0x1000);
	add(f, 0x101000, 0x1000, 0x0000, 0x800);
	add(f, 0x103000, 0x1000, FILE_SIZE - 0x10, 0x1000);
	assert_int_equal(kvm_memmap_finish(f->kd, &f->m), 0);

	assert_int_equal(rd(f, 0x100f00, buf, sizeof(buf), &done), 0);
	assert_file_bytes(buf, 0x3f00, 0x100);
	assert_file_bytes(buf + 0x100, 0x0000, 0x100);
	assert_int_equal(rd(f, 0x1017f0, buf, 0x20, &done), 0);
	assert_file_bytes(buf, 0x7f0, 0x10);
	assert_zero_bytes(buf + 0x10, 0x10);
	assert_int_equal(rd(f, 0x103000, buf, 0x20, &done), -KVM_ETRUNC);
	assert_int_equal(done, 0x10);
	assert_file_bytes(buf, FILE_SIZE - 0x10, 0x10);
}

/* --------------------------------------------------------------- writes */

static void
test_write(void **state)
{
	struct fixture *f = *state;
	uint8_t in[0x200], out[0x200];
	size_t done;

	assert_true(f->file.writable);
	add(f, 0x100000, 0x1000, 0x1000, 0x1000);
	add(f, 0x101000, 0x2000, 0x4000, 0x800);
	assert_int_equal(kvm_memmap_finish(f->kd, &f->m), 0);

	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)(0xa5 ^ i);
	/* Across the two segments, which lie apart in the file. */
	assert_int_equal(wr(f, 0x100f00, in, sizeof(in), &done), 0);
	assert_int_equal(done, sizeof(in));

	assert_int_equal(rd(f, 0x100f00, out, sizeof(out), &done), 0);
	assert_memory_equal(out, in, sizeof(in));
	/* In the file itself, and nothing next to it touched. */
	assert_int_equal(pread(f->file.fd, out, 0x100, 0x1f00), 0x100);
	assert_memory_equal(out, in, 0x100);
	assert_int_equal(pread(f->file.fd, out, 0x100, 0x4000), 0x100);
	assert_memory_equal(out, in + 0x100, 0x100);
	assert_int_equal(pread(f->file.fd, out, 0x10, 0x1ef0), 0x10);
	assert_file_bytes(out, 0x1ef0, 0x10);
	assert_int_equal(pread(f->file.fd, out, 0x10, 0x4100), 0x10);
	assert_file_bytes(out, 0x4100, 0x10);

	/* Zero fill has no bytes in the file to write to. */
	assert_int_equal(wr(f, 0x101700, in, 0x200, &done), -KVM_ENODATA);
	assert_int_equal(done, 0x100);
	assert_error(f->kd, KVM_ENODATA, "0x101800");
	assert_int_equal(pread(f->file.fd, out, 0x100, 0x4700), 0x100);
	assert_memory_equal(out, in, 0x100);

	/* Nor has a hole. */
	assert_int_equal(wr(f, 0x200000, in, 1, &done), -KVM_ENODATA);
	assert_int_equal(done, 0);
	assert_int_equal(wr(f, 0x100000, in, 0, &done), 0);
	assert_int_equal(done, 0);
}

static void
test_write_past_eof(void **state)
{
	struct fixture *f = *state;
	uint8_t in[0x20] = { 0 };
	size_t done;

	add(f, 0x100000, 0x1000, FILE_SIZE - 0x10, 0x1000);
	assert_int_equal(kvm_memmap_finish(f->kd, &f->m), 0);

	assert_int_equal(wr(f, 0x100000, in, sizeof(in), &done), -KVM_ETRUNC);
	assert_true(done <= 0x10);
	/* The file did not grow. */
	assert_int_equal(lseek(f->file.fd, 0, SEEK_END), FILE_SIZE);
}

static void
test_write_readonly(void **state)
{
	struct fixture *f = *state;
	uint8_t in[4] = { 1, 2, 3, 4 }, out[4];
	size_t done;

	assert_false(f->file.writable);
	add(f, 0x100000, 0x1000, 0, 0x1000);
	assert_int_equal(kvm_memmap_finish(f->kd, &f->m), 0);

	assert_int_equal(wr(f, 0x100000, in, sizeof(in), &done), -KVM_EINVAL);
	assert_int_equal(done, 0);
	assert_error(f->kd, KVM_EINVAL, "not opened for writing");
	assert_int_equal(rd(f, 0x100000, out, sizeof(out), &done), 0);
	assert_file_bytes(out, 0, sizeof(out));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
#define TW(fn) cmocka_unit_test_setup_teardown(fn, setup_rw, teardown)
		T(test_read_inside_segment),
		T(test_read_across_adjacent),
		T(test_read_zero_fill),
		T(test_held),
		T(test_filesz_above_memsz),
		T(test_read_hole),
		T(test_empty_map),
		T(test_overlap_trimmed),
		T(test_overlap_trims_filesz),
		T(test_overlap_file_beats_zero_fill),
		T(test_segment_past_eof),
		T(test_add_wraps_address_space),
		T(test_add_offset_wraps_file),
		T(test_read_stops_at_top_of_address_space),
		TW(test_write_stops_at_top_of_address_space),
		T(test_many_segments),
		T(test_segment_limit),
		T(test_read_unmapped_file),
		TW(test_write),
		TW(test_write_past_eof),
		T(test_write_readonly),
		/* Last: it aborts the program under UBSan (see there). */
		T(test_finish_empty_map),
#undef T
#undef TW
	};

	return cmocka_run_group_tests_name("memmap", tests, NULL, NULL);
}
