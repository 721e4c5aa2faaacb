/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The body of the dump-format fuzz targets (fuzz_kdump.c,
 * fuzz_flattened.c, fuzz_lime.c; fuzz_elf.c is the model): the input
 * becomes a memfd that kvm_openfiles() opens through /proc/self/fd/N, once
 * per set of open flags the target names (O_RDONLY, KVM_ZERO_EXCLUDED,
 * KVM_RAW_PHYS, O_RDWR), and the public API reads it the way kcore and a
 * forensic tool would: info, physical ranges, VMCOREINFO, physical reads
 * at the ends of every range and at addresses taken from the input,
 * virtual reads of the kernel image and the direct map, a write of bytes
 * just read, close.
 *
 * Beyond "no crash, no leak, no hang", it aborts when the kvm(3) contract
 * breaks: a failure leaves a one-line message, a read returns -1 or
 * 0..len and never runs past 2^64, the ranges are sorted and not empty, a
 * read-only handle refuses writes, and with KVM_ZERO_EXCLUDED a read never
 * fails because a page was excluded.  Public API only.
 */
#ifndef FUZZ_DUMP_H
#define FUZZ_DUMP_H

#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <kvm.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* x86_64 (arch/x86/include/asm/page_64_types.h) */
#define FD_START_KERNEL 0xffffffff81000000ULL
#define FD_DIRECT_MAP_4L 0xffff888000000000ULL

static inline void
fd_must(int cond, const char *what)
{
	if (!cond) {
		fprintf(stderr, "fuzz: contract broken: %s\n", what);
		abort();
	}
}

static inline void
fd_check_msg(const char *msg, const char *what)
{
	fd_must(msg != NULL && msg[0] != '\0', what);
	if (strchr(msg, '\n'))
		fprintf(stderr, "fuzz: the message: \"%s\"\n", msg);
	fd_must(strchr(msg, '\n') == NULL, "error message spans lines");
}

static inline uint64_t
fd_word_at(const uint8_t *data, size_t size, size_t off)
{
	uint64_t v = 0;

	if (size >= 8 && off <= size - 8)
		memcpy(&v, data + off, 8);
	return v;
}

/* With KVM_ZERO_EXCLUDED, "excluded" is never the reason a read stops. */
static inline void
fd_not_excluded(kvm_t *kd, int zero)
{
	if (zero)
		fd_must(strstr(kvm_geterr(kd), "excluded") == NULL,
			"KVM_ZERO_EXCLUDED read failed on an excluded page");
}

static inline void
fd_read_phys(kvm_t *kd, uint64_t pa, size_t len, int zero)
{
	static uint8_t buf[3 * 4096];

	if (len > sizeof(buf))
		len = sizeof(buf);
	ssize_t n = kvm_read_phys(kd, pa, buf, len);
	fd_must(n >= -1 && n <= (ssize_t)len,
		"kvm_read_phys result out of range");
	if (pa + len < pa)
		fd_must(n <= (ssize_t)(0 - pa), "kvm_read_phys ran past 2^64");
	if (n != (ssize_t)len) {
		fd_check_msg(kvm_geterr(kd),
			     "short kvm_read_phys without a message");
		fd_not_excluded(kd, zero);
	}
}

static inline void
fd_read_virt(kvm_t *kd, uint64_t va, size_t len)
{
	static uint8_t buf[8192 + 16];

	if (len > sizeof(buf))
		len = sizeof(buf);
	ssize_t n = kvm_read2(kd, va, buf, len);
	fd_must(n >= -1 && n <= (ssize_t)len, "kvm_read2 result out of range");
	if (va + len < va)
		fd_must(n <= (ssize_t)(0 - va), "kvm_read2 ran past 2^64");
	if (n != (ssize_t)len)
		fd_check_msg(kvm_geterr(kd), "short kvm_read2 without a message");
}

/* Write back what a read returned; a read-only handle must refuse. */
static inline void
fd_write_back(kvm_t *kd, uint64_t pa, int rdwr)
{
	uint8_t buf[64];

	ssize_t n = kvm_read_phys(kd, pa, buf, sizeof(buf));
	if (n <= 0)
		return;
	uint64_t va = FD_DIRECT_MAP_4L + pa;
	ssize_t w = kvm_write2(kd, va, buf, n);
	fd_must(w >= -1 && w <= n, "kvm_write2 result out of range");
	if (!rdwr)
		fd_must(w == -1, "kvm_write2 succeeded on an O_RDONLY handle");
	if (w != n)
		fd_check_msg(kvm_geterr(kd), "short kvm_write2 without a message");
}

static inline void
fd_exercise(kvm_t *kd, const uint8_t *data, size_t size, int zero, int rdwr)
{
	struct kvm_info info;
	const struct kvm_phys_range *r;
	size_t nr;

	fd_must(kvm_get_info(kd, &info, sizeof(info)) == 0, "kvm_get_info");
	fd_must(memchr(info.release, '\0', sizeof(info.release)) != NULL,
		"release not terminated");
	fd_must(kvm_get_phys_ranges(kd, &r, &nr) == 0, "kvm_get_phys_ranges");
	fd_must(nr == info.nranges, "nranges differs from kvm_get_phys_ranges");
	for (size_t i = 0; i < nr; i++) {
		fd_must(r[i].start < r[i].end, "empty or inverted phys range");
		if (i > 0)
			fd_must(r[i - 1].end <= r[i].start,
				"phys ranges unsorted");
	}
	const char *vmci = kvm_get_vmcoreinfo(kd);
	if (vmci)
		fd_must(strlen(vmci) <= (1u << 20),
			"VMCOREINFO longer than 1 MiB");
	else
		fd_check_msg(kvm_geterr(kd), "no VMCOREINFO and no message");

	/* Both ends of the first ranges, a page-crossing read, a long one. */
	for (size_t i = 0; i < nr && i < 4; i++) {
		fd_read_phys(kd, r[i].start, 64, zero);
		fd_read_phys(kd, r[i].end - 8, 16, zero);
		fd_read_phys(kd, (r[i].start | 0xfff) - 7, 16, zero);
		fd_read_virt(kd, FD_DIRECT_MAP_4L + r[i].start, 32);
	}
	if (nr)
		fd_read_phys(kd, r[0].start, 3 * 4096, zero);
	if (nr)
		fd_write_back(kd, r[0].start, rdwr);

	/* The kernel image, when page tables were found. */
	if (info.pgtable_levels) {
		uint64_t text = FD_START_KERNEL + (uint64_t)info.kaslr_offset;
		fd_read_virt(kd, text, 64);
		fd_read_virt(kd, text + 4096 - 8, 16);
		fd_read_phys(kd, info.pgtable_root, 4096, zero);
	}

	/* Addresses the input chooses: its last word and a middle one. */
	uint64_t a = fd_word_at(data, size, size >= 8 ? size - 8 : 0);
	uint64_t b = fd_word_at(data, size, (size / 2) & ~(size_t)7);
	fd_read_phys(kd, a, 16, zero);
	fd_read_phys(kd, b & ~0xfffULL, 4096, zero);
	fd_read_virt(kd, a, 16);
	fd_read_phys(kd, UINT64_MAX - 7, 16, zero);
}

/* One open and exercise of data with flags (O_* | KVM_*). */
static inline void
fd_run(const uint8_t *data, size_t size, int flags)
{
	char path[64], errbuf[KVM_ERRBUF_SIZE];
	int fd = memfd_create("fuzz_dump", MFD_CLOEXEC);

	if (fd < 0) {
		perror("memfd_create");
		abort();
	}
	for (size_t off = 0; off < size;) {
		ssize_t n = write(fd, data + off, size - off);
		if (n <= 0) {
			perror("write memfd");
			abort();
		}
		off += n;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	errbuf[0] = '\0';
	kvm_t *kd = kvm_openfiles(NULL, path, NULL, flags, errbuf);
	if (!kd) {
		fd_check_msg(errbuf, "kvm_openfiles failed without a message");
	} else {
		fd_exercise(kd, data, size, (flags & KVM_ZERO_EXCLUDED) != 0,
			    (flags & O_ACCMODE) == O_RDWR);
		fd_must(kvm_close(kd) == 0, "kvm_close");
	}
	close(fd);
}

#endif /* FUZZ_DUMP_H */
