// SPDX-License-Identifier: BSD-2-Clause
/*
 * kdump-compressed dumps: "KDUMP   " as makedumpfile -c/-l/-p/-z and
 * QEMU's dump-guest-memory kdump-* formats write them, header versions 1
 * to 6 (makedumpfile 1.7's diskdump_mod.h), and the older "DISKDUMP".
 * Layout in kdump_disk.h.  A block's page descriptor is found in O(1)
 * through a popcount index over the 2nd bitmap; compressed blocks are
 * decoded with zlib, lzo, snappy or zstd into the decoded-page cache.
 */
#include <elf.h>
#include <libdeflate.h>
#include <lzo/lzo1x.h>
#include <pthread.h>
#include <snappy-c.h>
#include <string.h>
#include <zstd.h>

#include "../cache.h"
#include "../notes.h"
#include "format.h"
#include "kdump_disk.h"

/* Limits far beyond real dumps, to keep hostile headers in check. */
#define KDUMP_BLOCK_MIN 512u
#define KDUMP_BLOCK_MAX (1u << 20)
#define KDUMP_VERSION_MAX 255 /* any bound < 2^24 tells the byte order */
#define KDUMP_NOTES_MAX (64u << 20)

/*
 * Reads of this many bytes or more bypass the cache (kvm.h): the bulk
 * reads (kallsyms in 256 KiB windows, BTF) read each page once, and
 * decoding into cache slots and copying out cost them a third more.
 */
#define KDUMP_BYPASS (64u << 10)

/*
 * The popcount index (rank).  Descriptors are stored only for the blocks
 * set in the 2nd bitmap, in order, so block pfn's descriptor is number
 * rank(pfn), the count of set bits before pfn:
 *
 *   2nd bitmap   |<------------ 4096 bits = 64 words ------------->|...
 *                |<- 512 ->|<- 512 ->|        ...       |<- 512 ->|
 *   rank_super   set bits before this 4096-bit block (uint64_t)     ...
 *   rank_sub     0         n0        n0+n1      ...    (uint16_t, <= 4032)
 *
 * rank(pfn) = rank_super[pfn / 4096] + rank_sub[pfn / 512] + popcount of
 * at most 7 whole words and one partial word: O(1), never a scan.  The
 * index costs 8 bytes per 4096 bits and 2 per 512 bits, 3/64 of the
 * bitmap (which the file holds), and is built at open in one pass.
 */
#define RANK_SUPER_SHIFT 12 /* 4096 bits = 64 words */
#define RANK_SUB_SHIFT 9    /* 512 bits = 8 words */

struct kdump_priv {
	/* From the headers, converted and checked at open. */
	uint32_t block_size; /* bytes per bitmap bit and per page */
	unsigned shift;	     /* log2(block_size) */
	bool incomplete;     /* status has DUMP_DH_COMPRESSED_INCOMPLETE */
	int dump_level;	     /* -1: not recorded */
	uint64_t max_mapnr;  /* blocks that the bitmaps describe */
	uint64_t start_pfn;  /* the blocks this file of a split dump */
	uint64_t end_pfn;    /*   holds: [start_pfn, end_pfn) */
	uint64_t pd_off;     /* file offset of the first page descriptor */

	/* The bitmaps, in the mapped file or in bm_copy. */
	const uint8_t *bm1; /* blocks of RAM */
	const uint8_t *bm2; /* blocks dumped: one descriptor each */
	uint8_t *bm_copy;

	uint64_t *rank_super;
	uint16_t *rank_sub;
	uint64_t rank_start; /* set bits before start_pfn */
	uint64_t ndumped;    /* set bits in [start_pfn, end_pfn) */

	/* Decoding.  Everything here is allocated once, never per read. */
	struct kvm_cache *cache; /* made on first use, and after a resize */
	bool cache_failed;	 /* out of memory for it: use bounce */
	uint8_t *scratch;	 /* compressed bytes, when not mapped */
	uint8_t *bounce;	 /* a decoded block that no slot holds */
	/* zlib pages: libdeflate decodes a whole buffer 2-3x faster than
	 * zlib's streaming inflate; one decompressor per handle. */
	struct libdeflate_decompressor *zd;
	ZSTD_DCtx *zstd;
	/* The bulk-read helper thread's own (kdump_read_bulk). */
	struct libdeflate_decompressor *helper_zd;
	ZSTD_DCtx *helper_zstd;
};

/* A page descriptor in host order. */
struct kdump_desc {
	uint64_t offset;
	uint32_t size;
	uint32_t flags;
};

/* The headers in host order: converted once, in kdump_header(). */
struct kdump_hdr {
	bool diskdump; /* "DISKDUMP": no kdump sub-header */
	int version;
	uint32_t status;
	uint32_t block_size;
	int32_t sub_blocks;
	uint32_t bitmap_blocks;
	char machine[KDUMP_UTS_LEN]; /* utsname.machine, NUL-terminated */
	uint64_t max_mapnr;
	int dump_level; /* -1: not recorded */
	bool split;
	uint64_t start_pfn, end_pfn;
	uint64_t vmci_off, vmci_len; /* v3+; 0 bytes: none */
	uint64_t note_off, note_len; /* v4+ */
};

/* kdump_lookup(): the block was excluded and reads as zeros. */
#define KDUMP_ZEROS 1

static int
kdump_probe(kvm_t *kd, const uint8_t *head, size_t headlen)
{
	(void)kd;
	if (headlen < KDUMP_SIG_LEN ||
	    (memcmp(head, KDUMP_SIGNATURE, KDUMP_SIG_LEN) != 0 &&
	     memcmp(head, DISKDUMP_SIGNATURE, KDUMP_SIG_LEN) != 0))
		return -KVM_ENOPROBE;
	return 0;
}

/* ------------------------------------------------------------ bitmaps */

/* 64 bits of a bitmap from bit 64 * w: bit n is bit n & 7 of byte n / 8. */
static inline uint64_t
bm_word(const uint8_t *bm, uint64_t w)
{
	uint64_t v;

	memcpy(&v, bm + w * 8, sizeof(v));
	return le64toh(v);
}

static inline bool
bm_test(const uint8_t *bm, uint64_t bit)
{
	return (bm[bit >> 3] >> (bit & 7)) & 1;
}

/* The first bit >= from and < end whose value is set, else end. */
static uint64_t
bm_next(const uint8_t *bm, uint64_t from, uint64_t end, bool set)
{
	while (from < end) {
		uint64_t w = bm_word(bm, from >> 6);
		if (!set)
			w = ~w;
		w &= ~0ULL << (from & 63);
		if (w)
			return KVM_MIN((from & ~63ULL) + __builtin_ctzll(w),
				       end);
		from = (from | 63) + 1;
	}
	return end;
}

/* Set bits of the 2nd bitmap before bit (bit <= max_mapnr). */
static uint64_t
rank(const struct kdump_priv *p, uint64_t bit)
{
	uint64_t w = bit >> 6;
	uint64_t r = p->rank_super[bit >> RANK_SUPER_SHIFT] +
		     p->rank_sub[bit >> RANK_SUB_SHIFT];

	for (uint64_t k = w & ~7ULL; k < w; k++)
		r += __builtin_popcountll(bm_word(p->bm2, k));
	if (bit & 63)
		r += __builtin_popcountll(bm_word(p->bm2, w) &
					  ((1ULL << (bit & 63)) - 1));
	return r;
}

/*
 * The scans at open (the index, the RAM ranges) pass over each bitmap
 * once: a dump of a 1 TiB machine has two of 32 MiB.  Where the bitmaps
 * are mapped, each window's pages leave the resident set once read, so
 * memory stays that of one window whatever the dump's size.
 */
#define BM_WINDOW_WORDS ((uint64_t)(1u << 18)) /* 2 MiB of bitmap */

static void
bm_forget(kvm_t *kd, const struct kdump_priv *p, const uint8_t *bm, uint64_t w,
	  uint64_t nwords)
{
	if (!p->bm_copy && nwords)
		kvm_file_forget_ptr(&kd->core, bm + w * 8, nwords * 8);
}

/* Build the index over the words holding bits [0, max_mapnr). */
static int
rank_build(kvm_t *kd, struct kdump_priv *p)
{
	uint64_t nwords = (p->max_mapnr + 63) / 64;

	/* One entry more than full blocks: rank(max_mapnr) is asked for. */
	p->rank_super = calloc((nwords >> 6) + 1, sizeof(*p->rank_super));
	p->rank_sub = calloc((nwords >> 3) + 1, sizeof(*p->rank_sub));
	if (!p->rank_super || !p->rank_sub)
		return kvm_error(kd, KVM_ENOMEM,
				 "kdump: out of memory for the index of a "
				 "%llu-bit bitmap",
				 (unsigned long long)p->max_mapnr);
	uint64_t total = 0, base = 0;
	for (uint64_t w = 0;; w++) {
		if ((w & 63) == 0) {
			p->rank_super[w >> 6] = total;
			base = total;
		}
		if ((w & 7) == 0)
			p->rank_sub[w >> 3] = (uint16_t)(total - base);
		if (w == nwords)
			break;
		total += __builtin_popcountll(bm_word(p->bm2, w));
		if ((w + 1) % BM_WINDOW_WORDS == 0)
			bm_forget(kd, p, p->bm2, w + 1 - BM_WINDOW_WORDS,
				  BM_WINDOW_WORDS);
	}
	bm_forget(kd, p, p->bm2, nwords - nwords % BM_WINDOW_WORDS,
		  nwords % BM_WINDOW_WORDS);
	p->rank_start = rank(p, p->start_pfn);
	p->ndumped = rank(p, p->end_pfn) - p->rank_start;
	return 0;
}

/* ------------------------------------------------------------ opening */

static bool
header_plausible(int32_t version, int32_t block_size)
{
	return version >= 0 && version <= KDUMP_VERSION_MAX &&
	       block_size >= (int32_t)KDUMP_BLOCK_MIN &&
	       block_size <= (int32_t)KDUMP_BLOCK_MAX &&
	       (block_size & (block_size - 1)) == 0;
}

static int32_t
load_s32(const uint8_t *p, bool big)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return (int32_t)(big ? be32toh(v) : le32toh(v));
}

/*
 * The byte order: header_version is small and block_size a power of two,
 * which in the other order they are not.  (utsname cannot tell: QEMU may
 * leave it empty.)
 */
static int
kdump_byte_order(kvm_t *kd, const struct kdump_disk_header *h)
{
	const uint8_t *raw = (const uint8_t *)h;
	size_t vo = offsetof(struct kdump_disk_header, header_version);
	size_t bo = offsetof(struct kdump_disk_header, block_size);

	for (int big = 0; big <= 1; big++)
		if (header_plausible(load_s32(raw + vo, big),
				     load_s32(raw + bo, big))) {
			kd->big_endian = big;
			return 0;
		}
	for (int big = 0; big <= 1; big++)
		if (header_plausible(load_s32(raw + vo, big),
				     load_s32(raw + KDUMP_HEADER32_BLOCK_SIZE,
					      big))) {
			/* The name comes from the file: printable bytes only. */
			char mach[KDUMP_UTS_LEN + 1];
			size_t n = 0;
			for (size_t i = 0; i < KDUMP_UTS_LEN &&
					   h->utsname[KDUMP_UTS_MACHINE][i];
			     i++) {
				char c = h->utsname[KDUMP_UTS_MACHINE][i];
				mach[n++] = c >= 0x20 && c < 0x7f ? c : '?';
			}
			mach[n] = '\0';
			return kvm_error(kd, KVM_ENOTSUP,
					 "kdump: dump of a 32-bit kernel "
					 "(machine \"%s\"): not supported",
					 mach);
		}
	return kvm_error(kd, KVM_ECORRUPT,
			 "kdump: header version %d, block size %d: not a "
			 "valid header in either byte order",
			 load_s32(raw + vo, false), load_s32(raw + bo, false));
}

/* uname -m as the dump header records it (not QEMU: "", "Unknown"). */
static uint16_t
machine_from_uts(const char *m)
{
	static const struct {
		const char *name;
		uint16_t machine;
	} map[] = {
		{ "x86_64", EM_X86_64 }, { "aarch64", EM_AARCH64 },
		{ "arm64", EM_AARCH64 }, { "ppc64", EM_PPC64 },
		{ "ppc64le", EM_PPC64 }, { "s390x", EM_S390 },
		{ "riscv64", EM_RISCV }, { "loongarch64", EM_LOONGARCH },
	};

	for (size_t i = 0; i < ARRAY_SIZE(map); i++)
		if (strcmp(m, map[i].name) == 0)
			return map[i].machine;
	return 0;
}

/*
 * Entries that only one architecture's VMCOREINFO has: x86_64's
 * init_top_pgt (arch/x86/kernel/crash_core_64.c; init_level4_pgt before
 * 4.13) and arm64's kimage_voffset (arch/arm64/kernel/crash_core.c,
 * since 4.6).
 */
static uint16_t
machine_from_vmcoreinfo(const char *text, size_t len)
{
	static const struct {
		const char *key;
		uint16_t machine;
	} map[] = {
		{ "SYMBOL(init_top_pgt)=", EM_X86_64 },
		{ "SYMBOL(init_level4_pgt)=", EM_X86_64 },
		{ "NUMBER(kimage_voffset)=", EM_AARCH64 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(map); i++)
		if (memmem(text, len, map[i].key, strlen(map[i].key)))
			return map[i].machine;
	return 0;
}

/*
 * sizeof(struct elf_prstatus): 112 bytes + the general registers + 8;
 * x86_64 27 registers, arm64 34, riscv64 32, ppc64 48, s390x 216 bytes of
 * registers (as x86_64, but big-endian).
 */
static uint16_t
machine_from_prstatus(uint32_t descsz, bool big)
{
	switch (descsz) {
	case 336:
		return big ? EM_S390 : EM_X86_64;
	case 392:
		return big ? 0 : EM_AARCH64;
	case 376:
		return big ? 0 : EM_RISCV;
	case 504:
		return EM_PPC64;
	default:
		return 0;
	}
}

/*
 * Before kvm_notes_parse() (which needs kd->e_machine for QEMU's notes):
 * the first NT_PRSTATUS's size and the VMCOREINFO note, if any.  Stops
 * quietly at a malformed note; the parse reports it.
 */
static void
notes_sniff(kvm_t *kd, const uint8_t *buf, size_t len, uint32_t *prsz_ret,
	    const char **vmci_ret, size_t *vmci_len_ret)
{
	struct kvm_note n;
	size_t off = 0;

	kd->quiet_errors++;
	while (kvm_note_next(kd, buf, len, &off, &n) > 0) {
		if (kvm_note_is(&n, "CORE") && n.type == NT_PRSTATUS &&
		    !*prsz_ret)
			*prsz_ret = n.descsz;
		if (kvm_note_is(&n, "VMCOREINFO") && !*vmci_ret) {
			*vmci_ret = (const char *)n.desc;
			*vmci_len_ret = n.descsz;
		}
	}
	kd->quiet_errors--;
	kvm_error_clear(kd);
}

/*
 * size bytes at off: a pointer into the mapped file, or a copy in
 * *copy_ret (the caller frees it).
 */
static int
read_blob(kvm_t *kd, uint64_t off, uint64_t size, uint64_t max,
	  const char *what, const uint8_t **ret, uint8_t **copy_ret)
{
	*ret = NULL;
	*copy_ret = NULL;
	if (size > max)
		return kvm_error(kd, KVM_ECORRUPT,
				 "kdump: %s of %llu bytes is larger than any "
				 "dump's (limit %llu)",
				 what, (unsigned long long)size,
				 (unsigned long long)max);
	if (!kvm_range_ok(off, size, kd->core.size))
		return kvm_error(kd, KVM_ETRUNC,
				 "kdump: %s at offset 0x%llx (%llu bytes) lies "
				 "past the end of the file (%llu bytes)",
				 what, (unsigned long long)off,
				 (unsigned long long)size,
				 (unsigned long long)kd->core.size);
	*ret = kvm_file_ptr(&kd->core, off, size);
	if (*ret)
		return 0;
	*copy_ret = malloc(size ? size : 1);
	if (!*copy_ret)
		return kvm_error(kd, KVM_ENOMEM, "kdump: out of memory for %s",
				 what);
	int err = kvm_file_read(kd, &kd->core, off, *copy_ret, size);
	if (err)
		return kvm_error_ctx(kd, "kdump: reading %s", what);
	*ret = *copy_ret;
	return 0;
}

/*
 * VMCOREINFO (a text blob, v3+) and the ELF notes (v4+: VMCOREINFO again,
 * NT_PRSTATUS and QEMU's CPU state per CPU), and the machine: the header's
 * utsname, else the VMCOREINFO's contents, else the NT_PRSTATUS size.
 */
static int
kdump_notes(kvm_t *kd, const struct kdump_hdr *h)
{
	_cleanup_free_ uint8_t *vmci_copy = NULL;
	_cleanup_free_ uint8_t *notes_copy = NULL;
	const uint8_t *vmci = NULL, *notes = NULL;
	int err;

	if (h->vmci_len) {
		err = read_blob(kd, h->vmci_off, h->vmci_len,
				KVM_VMCOREINFO_MAX, "VMCOREINFO", &vmci,
				&vmci_copy);
		if (err)
			return err;
	}
	if (h->note_len) {
		err = read_blob(kd, h->note_off, h->note_len, KDUMP_NOTES_MAX,
				"ELF notes", &notes, &notes_copy);
		if (err)
			return err;
	}

	uint32_t prsz = 0;
	const char *note_vmci = NULL;
	size_t note_vmci_len = 0;
	if (notes)
		notes_sniff(kd, notes, h->note_len, &prsz, &note_vmci,
			    &note_vmci_len);
	kd->e_machine = machine_from_uts(h->machine);
	if (!kd->e_machine && vmci)
		kd->e_machine = machine_from_vmcoreinfo((const char *)vmci,
							h->vmci_len);
	if (!kd->e_machine && note_vmci)
		kd->e_machine =
			machine_from_vmcoreinfo(note_vmci, note_vmci_len);
	if (!kd->e_machine)
		kd->e_machine = machine_from_prstatus(prsz, kd->big_endian);

	if (vmci) {
		err = kvm_set_vmcoreinfo(kd, (const char *)vmci, h->vmci_len);
		if (err)
			return kvm_error_ctx(kd, "kdump");
	}
	if (notes) {
		size_t nqemu = 0;
		err = kvm_notes_parse(kd, notes, h->note_len, &nqemu);
		if (err)
			return kvm_error_ctx(kd,
					     "kdump: ELF notes at offset "
					     "0x%llx",
					     (unsigned long long)h->note_off);
	}
	return 0;
}

/* The physical ranges: runs of set bits in the 1st bitmap. */
static int
kdump_ranges(kvm_t *kd, const struct kdump_priv *p)
{
	struct kvm_memmap m = { 0 };
	const uint64_t none = UINT64_MAX, max = p->max_mapnr;
	uint64_t run = none; /* start of a run not yet ended */
	int err = 0;

	/* Window by window (BM_WINDOW_WORDS); a run may span windows. */
	for (uint64_t lo = 0, hi; !err && lo < max; lo = hi) {
		hi = max - lo > BM_WINDOW_WORDS * 64 ? lo + BM_WINDOW_WORDS * 64
						     : max;
		for (uint64_t pfn = lo; !err && pfn < hi;) {
			if (run == none) {
				run = bm_next(p->bm1, pfn, hi, true);
				if (run == hi) {
					run = none;
					break;
				}
				pfn = run;
			}
			uint64_t e = bm_next(p->bm1, pfn, hi, false);
			if (e == hi)
				break; /* the run goes on in the next window */
			err = kvm_memmap_add(kd, &m, run << p->shift,
					     (e - run) << p->shift, 0, 0);
			run = none;
			pfn = e;
		}
		bm_forget(kd, p, p->bm1, lo / 64, (hi - lo + 63) / 64);
	}
	if (!err && run != none)
		err = kvm_memmap_add(kd, &m, run << p->shift,
				     (max - run) << p->shift, 0, 0);
	if (!err)
		err = kvm_set_phys_ranges(kd, &m);
	kvm_memmap_deinit(&m);
	return err ? kvm_error_ctx(kd, "kdump: 1st bitmap") : 0;
}

/* Point bm1/bm2 at the bitmaps: in the mapping, else copied. */
static int
kdump_bitmaps(kvm_t *kd, struct kdump_priv *p, uint64_t off, uint64_t half)
{
	/* Only the words that hold bits [0, max_mapnr) are ever read. */
	uint64_t used = (p->max_mapnr + 63) / 64 * 8;

	p->bm1 = kvm_file_ptr(&kd->core, off, used);
	p->bm2 = kvm_file_ptr(&kd->core, off + half, used);
	if (p->bm1 && p->bm2)
		return 0;
	/*
	 * A flattened stream's logical file can claim any size: copy only
	 * bitmaps the file mostly holds, so that the copy and the scans over
	 * it stay in proportion to the file (a lost record or two is fine).
	 */
	uint64_t holes = kvm_file_hole_bytes(&kd->core, off, used) +
			 kvm_file_hole_bytes(&kd->core, off + half, used);
	if (holes > used)
		return kvm_error(kd, KVM_ETRUNC,
				 "kdump: %llu of the bitmaps' %llu bytes are "
				 "missing from the flattened file",
				 (unsigned long long)holes,
				 (unsigned long long)(2 * used));
	if (used > SIZE_MAX / 2 || !(p->bm_copy = malloc(2 * used + 1)))
		return kvm_error(kd, KVM_ENOMEM,
				 "kdump: out of memory for bitmaps of %llu "
				 "bytes",
				 (unsigned long long)used);
	int err = kvm_file_read(kd, &kd->core, off, p->bm_copy, used);
	if (!err)
		err = kvm_file_read(kd, &kd->core, off + half,
				    p->bm_copy + used, used);
	if (err)
		return kvm_error_ctx(kd, "kdump: reading the bitmaps");
	p->bm1 = p->bm_copy;
	p->bm2 = p->bm_copy + used;
	return 0;
}

/* Read, check and convert the header and the kdump sub-header. */
static int
kdump_header(kvm_t *kd, struct kdump_hdr *ret)
{
	struct kdump_disk_header h;
	struct kdump_disk_sub_header sh;
	int err;

	err = kvm_file_read(kd, &kd->core, 0, &h, sizeof(h));
	if (err)
		return kvm_error_ctx(kd, "kdump: header");
	err = kdump_byte_order(kd, &h);
	if (err)
		return err;
	memset(ret, 0, sizeof(*ret));
	ret->diskdump =
		memcmp(h.signature, DISKDUMP_SIGNATURE, KDUMP_SIG_LEN) == 0;
	ret->version = (int32_t)kvm_tgt32(kd, h.header_version);
	ret->status = kvm_tgt32(kd, h.status);
	ret->block_size = kvm_tgt32(kd, h.block_size);
	ret->sub_blocks = (int32_t)kvm_tgt32(kd, h.sub_hdr_size);
	ret->bitmap_blocks = kvm_tgt32(kd, h.bitmap_blocks);
	ret->max_mapnr = kvm_tgt32(kd, h.max_mapnr);
	ret->dump_level = -1;
	memcpy(ret->machine, h.utsname[KDUMP_UTS_MACHINE], KDUMP_UTS_LEN);
	ret->machine[KDUMP_UTS_LEN - 1] = '\0';
	if (!ret->diskdump && ret->version < 1)
		return kvm_error(kd, KVM_ECORRUPT,
				 "kdump: header version %d (makedumpfile "
				 "writes 1 to 6)",
				 ret->version);
	if (ret->sub_blocks < 0 || ret->bitmap_blocks == 0 ||
	    ret->bitmap_blocks % 2)
		return kvm_error(kd, KVM_ECORRUPT,
				 "kdump: sub-header of %d blocks, bitmaps of "
				 "%u blocks: not a valid layout",
				 ret->sub_blocks, ret->bitmap_blocks);
	/* DISKDUMP's sub-header is a per-architecture register dump. */
	if (ret->diskdump)
		return 0;

	/* Each version adds fields at the end; a later one reads as 6. */
	static const size_t sub_len[] = {
		0,
		KDUMP_SUB_V1,
		KDUMP_SUB_V2,
		KDUMP_SUB_V3,
		KDUMP_SUB_V4,
		KDUMP_SUB_V5,
		KDUMP_SUB_V6,
	};
	int v = KVM_MIN(ret->version, 6);
	if ((uint64_t)ret->sub_blocks * ret->block_size < sub_len[v])
		return kvm_error(kd, KVM_ECORRUPT,
				 "kdump: sub-header of %d blocks cannot hold "
				 "the %zu bytes of version %d",
				 ret->sub_blocks, sub_len[v], ret->version);
	memset(&sh, 0, sizeof(sh));
	err = kvm_file_read(kd, &kd->core, ret->block_size, &sh, sub_len[v]);
	if (err)
		return kvm_error_ctx(kd, "kdump: sub-header");
	/*
	 * sh.phys_base is not used: x86_64 takes phys_base from VMCOREINFO,
	 * and QEMU 7.2 writes a wrong value here for x86.
	 */
	ret->dump_level = (int32_t)kvm_tgt32(kd, sh.dump_level);
	if (v >= 2 && sh.split) {
		ret->split = true;
		ret->start_pfn =
			kvm_tgt64(kd, v >= 6 ? sh.start_pfn_64 : sh.start_pfn);
		ret->end_pfn =
			kvm_tgt64(kd, v >= 6 ? sh.end_pfn_64 : sh.end_pfn);
	}
	if (v >= 3) {
		ret->vmci_off = kvm_tgt64(kd, sh.offset_vmcoreinfo);
		ret->vmci_len = kvm_tgt64(kd, sh.size_vmcoreinfo);
	}
	if (v >= 4) {
		ret->note_off = kvm_tgt64(kd, sh.offset_note);
		ret->note_len = kvm_tgt64(kd, sh.size_note);
	}
	/*
	 * offset_eraseinfo (v5+) lists what makedumpfile's --config or
	 * --eppic filtering erased: nothing we need to read memory.
	 */
	if (v >= 6 && sh.max_mapnr_64)
		ret->max_mapnr = kvm_tgt64(kd, sh.max_mapnr_64);
	return 0;
}

/* Descriptors looked at from the end of the table for its data's end. */
#define KDUMP_TAIL_DESCS 65536

static void
kdump_expect_data_end(kvm_t *kd, const struct kdump_priv *p, uint64_t pd_end)
{
	struct kdump_disk_page_desc d[256];
	uint64_t n = KVM_MIN(p->ndumped, (uint64_t)KDUMP_TAIL_DESCS);
	uint64_t end = pd_end;

	if (pd_end > kd->core.size)
		return; /* the table itself is cut: already said */
	for (uint64_t left = n; left > 0;) {
		uint64_t k =
			KVM_MIN(left, (uint64_t)(sizeof(d) / sizeof(d[0])));
		uint64_t pos = pd_end - (n - left + k) * sizeof(d[0]);
		if (kvm_file_read(kd, &kd->core, pos, d, k * sizeof(d[0])))
			return;
		for (uint64_t i = k; i-- > 0;) {
			uint64_t off = kvm_tgt64(kd, (uint64_t)d[i].offset);
			uint32_t size = kvm_tgt32(kd, d[i].size);
			if (size == 0 || size > p->block_size ||
			    off > INT64_MAX)
				continue;
			if (off + size > end)
				end = off + size;
			if (off > pd_end) {
				/* Past pd_zero: the last page of data. */
				kvm_expect_end(kd, end);
				return;
			}
		}
		left -= k;
	}
	kvm_expect_end(kd, end);
}

/*
 * Where the bitmaps and descriptors are, checked against the file; the
 * bitmaps mapped or copied, and the popcount index built.
 */
static int
kdump_layout(kvm_t *kd, struct kdump_priv *p, const struct kdump_hdr *h)
{
	uint64_t bm_off = ((uint64_t)h->sub_blocks + 1) * p->block_size;
	uint64_t half = (uint64_t)h->bitmap_blocks / 2 * p->block_size;
	int err;

	if (!kvm_range_ok(bm_off, 2 * half, kd->core.size))
		return kvm_error(kd, KVM_ETRUNC,
				 "kdump: the bitmaps (%llu bytes at offset "
				 "0x%llx) run past the end of the file (%llu "
				 "bytes)",
				 (unsigned long long)(2 * half),
				 (unsigned long long)bm_off,
				 (unsigned long long)kd->core.size);
	p->pd_off = bm_off + 2 * half;
	p->max_mapnr = h->max_mapnr;
	if (p->max_mapnr == 0)
		return kvm_error(kd, KVM_ECORRUPT,
				 "kdump: max_mapnr is 0: the dump describes "
				 "no memory");
	if (p->max_mapnr > half * 8)
		return kvm_error(kd, KVM_ECORRUPT,
				 "kdump: max_mapnr %llu does not fit the "
				 "bitmaps' %llu bits",
				 (unsigned long long)p->max_mapnr,
				 (unsigned long long)(half * 8));
	if (p->max_mapnr > UINT64_MAX >> p->shift)
		return kvm_error(kd, KVM_ECORRUPT,
				 "kdump: max_mapnr %llu blocks of %u bytes "
				 "exceed 64-bit physical addresses",
				 (unsigned long long)p->max_mapnr,
				 p->block_size);

	/* A split dump (makedumpfile --split): this file holds a range. */
	p->start_pfn = h->split ? h->start_pfn : 0;
	p->end_pfn = h->split ? h->end_pfn : p->max_mapnr;
	if (p->start_pfn > p->end_pfn || p->end_pfn > p->max_mapnr)
		return kvm_error(kd, KVM_ECORRUPT,
				 "kdump: split part 0x%llx-0x%llx lies outside "
				 "the dump's %llu blocks",
				 (unsigned long long)p->start_pfn,
				 (unsigned long long)p->end_pfn,
				 (unsigned long long)p->max_mapnr);

	err = kdump_bitmaps(kd, p, bm_off, half);
	if (!err)
		err = rank_build(kd, p);
	if (err)
		return err;
	/*
	 * Descriptors past the end of the file are not an error here: the
	 * dump is incomplete or truncated, and reads say so page by page.
	 */
	uint64_t pd_bytes, pd_end;
	if (kvm_mul_overflow(p->ndumped,
			     (uint64_t)sizeof(struct kdump_disk_page_desc),
			     &pd_bytes) ||
	    kvm_add_overflow(p->pd_off, pd_bytes, &pd_end))
		return kvm_error(kd, KVM_ECORRUPT,
				 "kdump: %llu page descriptors overflow",
				 (unsigned long long)p->ndumped);
	/*
	 * What the file must hold: the descriptors, and the data of the last
	 * page that has data of its own: makedumpfile writes pages in pfn
	 * order, and every zero page's descriptor points at the one page of
	 * zeros right after the table (pd_zero).  Found from the end of the
	 * table, a bounded number of descriptors back.
	 */
	kvm_expect_end(kd, pd_end);
	kdump_expect_data_end(kd, p, pd_end);
	kvm_error_clear(kd);
	return 0;
}

static int
kdump_open(kvm_t *kd)
{
	struct kdump_hdr h;
	int err;

	struct kdump_priv *p = calloc(1, sizeof(*p));
	if (!p)
		return kvm_error(kd, KVM_ENOMEM, "out of memory");
	kd->fmt_priv = p;

	err = kdump_header(kd, &h);
	if (err)
		return err;
	p->block_size = h.block_size;
	p->shift = __builtin_ctz(h.block_size); /* a power of two */
	p->incomplete = h.status & DUMP_DH_COMPRESSED_INCOMPLETE;
	p->dump_level = h.dump_level;
	kd->dump_level = h.dump_level > 0 && h.dump_level <= 31 ? h.dump_level
								: -1;
	err = kdump_layout(kd, p, &h);
	if (err)
		return err;

	kd->ptr_size = 8;
	kd->page_size = p->block_size; /* VMCOREINFO's PAGESIZE wins */
	err = kdump_notes(kd, &h);
	if (!err)
		err = kdump_ranges(kd, p);
	if (err)
		return err;

	p->scratch = malloc(p->block_size);
	p->bounce = malloc(p->block_size);
	if (!p->scratch || !p->bounce)
		return kvm_error(kd, KVM_ENOMEM, "out of memory");
	if (lzo_init() != LZO_E_OK)
		return kvm_error(kd, KVM_ENOTSUP, "kdump: lzo_init failed");
	return 0;
}

/* ------------------------------------------------------------ reading */

/*
 * The descriptor of block pfn; KDUMP_ZEROS when it was excluded and
 * kd->zero_excluded asks for zeros.
 */
static int
kdump_lookup(kvm_t *kd, struct kdump_priv *p, uint64_t pfn,
	     struct kdump_desc *ret)
{
	unsigned long long pa = (unsigned long long)pfn << p->shift;

	if (pfn >= p->max_mapnr)
		return kvm_error(kd, KVM_ENODATA,
				 "physical address 0x%llx is not in the dump "
				 "(its memory ends at 0x%llx)",
				 pa,
				 (unsigned long long)p->max_mapnr << p->shift);
	if (!bm_test(p->bm2, pfn)) {
		if (!bm_test(p->bm1, pfn))
			return kvm_error(kd, KVM_ENODATA,
					 "physical address 0x%llx is not in "
					 "the dump (no memory there)",
					 pa);
		if (kd->zero_excluded)
			return KDUMP_ZEROS;
		if (p->dump_level >= 0)
			return kvm_error(kd, KVM_ENODATA,
					 "page 0x%llx was excluded from the "
					 "dump (dump level %d)",
					 pa, p->dump_level);
		return kvm_error(kd, KVM_ENODATA,
				 "page 0x%llx was excluded from the dump", pa);
	}
	if (pfn < p->start_pfn || pfn >= p->end_pfn) {
		if (p->start_pfn == p->end_pfn)
			return kvm_error(kd, KVM_ENODATA,
					 "page 0x%llx is in another file of "
					 "this split dump (this one holds no "
					 "pages)",
					 pa);
		unsigned long long lo = p->start_pfn << p->shift;
		unsigned long long hi = (p->end_pfn << p->shift) - 1;
		return kvm_error(kd, KVM_ENODATA,
				 "page 0x%llx is in another file of this split "
				 "dump (this one holds 0x%llx-0x%llx)",
				 pa, lo, hi);
	}

	/* idx < ndumped, so this was checked against overflow at open. */
	uint64_t idx = rank(p, pfn) - p->rank_start;
	uint64_t pos = p->pd_off + idx * sizeof(struct kdump_disk_page_desc);
	struct kdump_disk_page_desc d;
	bool have = kvm_range_ok(pos, sizeof(d), kd->core.size);
	if (have) {
		int err = kvm_file_read(kd, &kd->core, pos, &d, sizeof(d));
		if (err)
			return kvm_error_ctx(kd, "kdump: page 0x%llx", pa);
		ret->offset = kvm_tgt64(kd, (uint64_t)d.offset);
		ret->size = kvm_tgt32(kd, d.size);
		ret->flags = kvm_tgt32(kd, d.flags);
	}
	/* A size no block can have is corruption, wherever its data lies. */
	if (have && !(p->incomplete && ret->offset == 0 && ret->size == 0) &&
	    (ret->size == 0 || ret->size > p->block_size ||
	     (!(ret->flags & DUMP_DH_COMPRESSED) && ret->size != p->block_size)))
		return kvm_error(kd, KVM_ECORRUPT,
				 "kdump: page 0x%llx: %u bytes of data with "
				 "flags 0x%x in %u-byte blocks",
				 pa, ret->size, ret->flags, p->block_size);
	/* An incomplete dump leaves unwritten descriptors zero or absent. */
	if (!have || (p->incomplete && ret->offset == 0 && ret->size == 0) ||
	    !kvm_range_ok(ret->offset, ret->size, kd->core.size)) {
		if (p->incomplete)
			return kvm_error(kd, KVM_ETRUNC,
					 "kdump: page 0x%llx was not written: "
					 "dump incomplete (the dump device "
					 "filled up or the writer stopped)",
					 pa);
		if (!have)
			return kvm_error(kd, KVM_ETRUNC,
					 "kdump: descriptor of page 0x%llx at "
					 "offset 0x%llx lies past the end of "
					 "the file (%llu bytes): the dump is "
					 "truncated",
					 pa, (unsigned long long)pos,
					 (unsigned long long)kd->core.size);
		return kvm_error(kd, KVM_ETRUNC,
				 "kdump: data of page 0x%llx (%u bytes at "
				 "offset 0x%llx) lies past the end of the file "
				 "(%llu bytes): the dump is truncated",
				 pa, ret->size, (unsigned long long)ret->offset,
				 (unsigned long long)kd->core.size);
	}
	return 0;
}

/* Why a block did not decode (decode_block). */
enum decode_fail {
	DECODE_OK,
	DECODE_NOMEM,
	DECODE_ZLIB_LONG,
	DECODE_ZLIB_BAD,
	DECODE_LZO, /* detail: lzo's error */
	DECODE_SNAPPY,
	DECODE_ZSTD,  /* detail: ZSTD's error code */
	DECODE_FLAGS, /* more than one method */
	DECODE_SHORT, /* detail: bytes out */
};

/*
 * Decode size bytes at src into dst (bs bytes) with the decompressors
 * *zd and *zstd (made on first use).  No error is recorded: the bulk-read
 * helper calls this off the handle's thread.
 */
static enum decode_fail
decode_block(struct libdeflate_decompressor **zd, ZSTD_DCtx **zstd,
	     uint32_t flags, const uint8_t *src, size_t size, uint8_t *dst,
	     size_t bs, size_t *detail)
{
	size_t out = 0;

	switch (flags & DUMP_DH_COMPRESSED) {
	case DUMP_DH_COMPRESSED_ZLIB: {
		if (!*zd && !(*zd = libdeflate_alloc_decompressor()))
			return DECODE_NOMEM;
		enum libdeflate_result zr =
			libdeflate_zlib_decompress(*zd, src, size, dst, bs,
						   &out);
		if (zr != LIBDEFLATE_SUCCESS)
			return zr == LIBDEFLATE_INSUFFICIENT_SPACE
				       ? DECODE_ZLIB_LONG
				       : DECODE_ZLIB_BAD;
		break;
	}
	case DUMP_DH_COMPRESSED_LZO: {
		lzo_uint n = bs;
		int lr = lzo1x_decompress_safe(src, size, dst, &n, NULL);
		if (lr != LZO_E_OK) {
			*detail = (size_t)(ssize_t)lr;
			return DECODE_LZO;
		}
		out = n;
		break;
	}
	case DUMP_DH_COMPRESSED_SNAPPY:
		if (snappy_uncompressed_length((const char *)src, size, &out) !=
			    SNAPPY_OK ||
		    out != bs ||
		    snappy_uncompress((const char *)src, size, (char *)dst,
				      &out) != SNAPPY_OK)
			return DECODE_SNAPPY;
		break;
	case DUMP_DH_COMPRESSED_ZSTD:
		if (!*zstd && !(*zstd = ZSTD_createDCtx()))
			return DECODE_NOMEM;
		out = ZSTD_decompressDCtx(*zstd, dst, bs, src, size);
		if (ZSTD_isError(out)) {
			*detail = out;
			return DECODE_ZSTD;
		}
		break;
	default:
		return DECODE_FLAGS;
	}
	*detail = out;
	return out == bs ? DECODE_OK : DECODE_SHORT;
}

/* Decode a compressed block into dst (block_size bytes). */
static int
kdump_decode(kvm_t *kd, struct kdump_priv *p, uint64_t pfn,
	     const struct kdump_desc *d, uint8_t *dst)
{
	unsigned long long pa = (unsigned long long)pfn << p->shift;
	const uint8_t *src = kvm_file_ptr(&kd->core, d->offset, d->size);
	size_t bs = p->block_size;
	size_t detail = 0;

	if (!src) {
		int err = kvm_file_read(kd, &kd->core, d->offset, p->scratch,
					d->size);
		if (err)
			return kvm_error_ctx(kd, "kdump: page 0x%llx", pa);
		src = p->scratch;
	}
	enum decode_fail f = decode_block(&p->zd, &p->zstd, d->flags, src,
					  d->size, dst, bs, &detail);
	char why[96];
	switch (f) {
	case DECODE_OK:
		return 0;
	case DECODE_NOMEM:
		return kvm_error(kd, KVM_ENOMEM,
				 "kdump: out of memory for a decompressor");
	case DECODE_ZLIB_LONG:
		snprintf(why, sizeof(why), "zlib: data longer than a block");
		break;
	case DECODE_ZLIB_BAD:
		snprintf(why, sizeof(why), "zlib: bad data");
		break;
	case DECODE_LZO:
		snprintf(why, sizeof(why), "lzo: error %d",
			 (int)(ssize_t)detail);
		break;
	case DECODE_SNAPPY:
		snprintf(why, sizeof(why), "snappy: bad data");
		break;
	case DECODE_ZSTD:
		snprintf(why, sizeof(why), "zstd: %s",
			 ZSTD_getErrorName(detail));
		break;
	case DECODE_FLAGS:
		snprintf(why, sizeof(why),
			 "compression flags 0x%x name more than one method",
			 d->flags);
		break;
	case DECODE_SHORT:
	default:
		snprintf(why, sizeof(why),
			 "decodes to %zu bytes, not the block size %zu", detail,
			 bs);
		break;
	}
	return kvm_error(kd, KVM_ECORRUPT, "kdump: page 0x%llx: %s", pa, why);
}

/* A cache slot to decode into, or NULL (no cache: use the bounce). */
static uint8_t *
kdump_slot(kvm_t *kd, struct kdump_priv *p)
{
	if (!p->cache && !p->cache_failed) {
		p->cache = kvm_cache_create(p->block_size, kd->cache_bytes,
					    p->ndumped);
		/* Reads still work without it; do not retry on every read. */
		p->cache_failed = !p->cache;
	}
	return p->cache ? kvm_cache_reserve(p->cache) : NULL;
}

/*
 * n bytes at offset off of block pfn into dst, cheapest source first:
 *   1. a decoded copy in the cache: memcpy, no descriptor lookup;
 *   2. the descriptor (rank + one 24-byte read); a raw block (such as
 *      the zero page that all of QEMU's zero blocks share) is copied from
 *      the mapped file and never cached: it costs no decoding;
 *   3. a compressed block is decoded into a cache slot, so repeated small
 *      reads decode it once; a read of KDUMP_BYPASS bytes or more decodes
 *      whole blocks straight into the caller's buffer and partial ones
 *      into the bounce buffer, leaving the cache to the small reads.
 */
static int
kdump_block(kvm_t *kd, struct kdump_priv *p, uint64_t pfn, size_t off,
	    uint8_t *dst, size_t n, bool bypass)
{
	struct kdump_desc d;
	int err;

	if (p->cache) {
		const uint8_t *hit = kvm_cache_get(p->cache, pfn);
		if (hit) {
			memcpy(dst, hit + off, n);
			return 0;
		}
	}
	err = kdump_lookup(kd, p, pfn, &d);
	if (err == KDUMP_ZEROS) {
		memset(dst, 0, n);
		return 0;
	}
	if (err)
		return err;
	if (!(d.flags & DUMP_DH_COMPRESSED)) {
		err = kvm_file_read(kd, &kd->core, d.offset + off, dst, n);
		return err ? kvm_error_ctx(kd, "kdump: page 0x%llx",
					   (unsigned long long)pfn << p->shift)
			   : 0;
	}
	if (bypass && n == p->block_size)
		return kdump_decode(kd, p, pfn, &d, dst);
	uint8_t *slot = bypass ? NULL : kdump_slot(kd, p);
	uint8_t *page = slot ? slot : p->bounce;
	err = kdump_decode(kd, p, pfn, &d, page);
	if (err)
		return err;
	if (slot)
		kvm_cache_commit(p->cache, pfn);
	memcpy(dst, page + off, n);
	return 0;
}

static int
read_serial(kvm_t *kd, struct kdump_priv *p, uint64_t pa, uint8_t *out,
	    size_t len, bool bypass, size_t *done_ret)
{
	size_t done = 0;
	int err = 0;

	while (done < len) {
		if (done > 0 && pa == 0) {
			err = kvm_error(kd, KVM_EFAULT,
					"read runs past the top of the "
					"physical address space");
			break;
		}
		size_t off = pa & (p->block_size - 1);
		size_t n = KVM_MIN(len - done, (size_t)p->block_size - off);
		err = kdump_block(kd, p, pa >> p->shift, off, out + done, n,
				  bypass);
		if (err)
			break;
		done += n;
		pa += n;
	}
	*done_ret = done;
	return err;
}

/*
 * Bulk reads (BTF, the kallsyms tables) are mostly decoding: from
 * KDUMP_PARALLEL bytes on, a helper thread decodes the second half of the
 * whole blocks while the caller's thread does the first.  The helper reads
 * only what does not change after open (bitmaps, ranks, the mapped file)
 * and decodes with its own decompressors; it stops at the first block that
 * is anything but mapped and good (compressed, or stored raw), and the
 * caller's thread reads on from there as usual: every error and special
 * case (excluded, zero, unmapped, truncated) takes the one serial path.
 */
#define KDUMP_PARALLEL (128u << 10)

struct bulk_helper {
	const kvm_t *kd;
	struct kdump_priv *p;
	uint64_t pfn, nblocks;
	uint8_t *dst;
	uint64_t done; /* blocks decoded from pfn on */
};

/* The compressed bytes of block pfn in the mapped file, or NULL. */
static const uint8_t *
mapped_block(const kvm_t *kd, const struct kdump_priv *p, uint64_t pfn,
	     struct kdump_desc *d)
{
	if (pfn >= p->max_mapnr || pfn < p->start_pfn || pfn >= p->end_pfn ||
	    !bm_test(p->bm2, pfn))
		return NULL;
	uint64_t idx = rank(p, pfn) - p->rank_start;
	uint64_t pos = p->pd_off + idx * sizeof(struct kdump_disk_page_desc);
	struct kdump_disk_page_desc dd;
	const uint8_t *at = kvm_range_ok(pos, sizeof(dd), kd->core.size)
				    ? kvm_file_ptr(&kd->core, pos, sizeof(dd))
				    : NULL;
	if (!at)
		return NULL;
	memcpy(&dd, at, sizeof(dd));
	d->offset = kvm_tgt64(kd, (uint64_t)dd.offset);
	d->size = kvm_tgt32(kd, dd.size);
	d->flags = kvm_tgt32(kd, dd.flags);
	if (d->size == 0 || d->size > p->block_size ||
	    (!(d->flags & DUMP_DH_COMPRESSED) && d->size != p->block_size) ||
	    !kvm_range_ok(d->offset, d->size, kd->core.size))
		return NULL;
	return kvm_file_ptr(&kd->core, d->offset, d->size);
}

static void *
bulk_helper_run(void *arg)
{
	struct bulk_helper *h = arg;
	struct kdump_priv *p = h->p;

	for (; h->done < h->nblocks; h->done++) {
		struct kdump_desc d;
		size_t detail;
		const uint8_t *src =
			mapped_block(h->kd, p, h->pfn + h->done, &d);
		uint8_t *dst = h->dst + h->done * p->block_size;
		if (src && !(d.flags & DUMP_DH_COMPRESSED))
			memcpy(dst, src, p->block_size); /* stored raw */
		else if (!src ||
			 decode_block(&p->helper_zd, &p->helper_zstd, d.flags,
				      src, d.size, dst, p->block_size,
				      &detail) != DECODE_OK)
			break;
	}
	return NULL;
}

static int
kdump_read_phys(kvm_t *kd, uint64_t pa, void *buf, size_t len, size_t *done_ret)
{
	struct kdump_priv *p = kd->fmt_priv;
	bool bypass = len >= KDUMP_BYPASS;
	uint8_t *out = buf;

	/* Small reads (the hot path) go straight on. */
	if (len < KDUMP_PARALLEL || !kd->core.map || pa + len < pa)
		return read_serial(kd, p, pa, out, len, bypass, done_ret);
	/* Whole blocks [first, end) of the read, the helper's half of it. */
	uint64_t first = (pa + p->block_size - 1) >> p->shift;
	uint64_t end = (pa + len) >> p->shift;
	if (end < first + 2)
		return read_serial(kd, p, pa, out, len, bypass, done_ret);
	uint64_t mid = first + (end - first) / 2;
	size_t mine = (size_t)((mid << p->shift) - pa);
	struct bulk_helper h = { kd, p, mid, end - mid, out + mine, 0 };
	pthread_t t;
	if (pthread_create(&t, NULL, bulk_helper_run, &h) != 0)
		return read_serial(kd, p, pa, out, len, bypass, done_ret);
	size_t done = 0, more = 0;
	int err = read_serial(kd, p, pa, out, mine, bypass, &done);
	pthread_join(t, NULL);
	/* A file cut short while open: the serial path says so. */
	if (kvm_file_shrunk(&kd->core))
		h.done = 0;
	if (!err) {
		done += (size_t)(h.done << p->shift);
		err = read_serial(kd, p, pa + done, out + done, len - done,
				  bypass, &more);
		done += more;
	}
	*done_ret = done;
	return err;
}

/* kvm_set_cache_size(): drop the cache; the next read makes a new one. */
static void
kdump_cache_resize(kvm_t *kd)
{
	struct kdump_priv *p = kd->fmt_priv;

	if (!p)
		return;
	kvm_cache_destroy(p->cache);
	p->cache = NULL;
	p->cache_failed = false;
}

static void
kdump_close(kvm_t *kd)
{
	struct kdump_priv *p = kd->fmt_priv;

	if (!p)
		return;
	kvm_cache_destroy(p->cache);
	libdeflate_free_decompressor(p->zd);
	ZSTD_freeDCtx(p->zstd);
	libdeflate_free_decompressor(p->helper_zd);
	ZSTD_freeDCtx(p->helper_zstd);
	free(p->scratch);
	free(p->bounce);
	free(p->rank_super);
	free(p->rank_sub);
	free(p->bm_copy);
	free(p);
	kd->fmt_priv = NULL;
}

/*
 * Stored: the block's bit in the 2nd bitmap, within this file's part.  The
 * run is looked for over at most 4096 blocks, so the answer is O(1).
 */
static bool
kdump_held(kvm_t *kd, uint64_t pa, uint64_t *len_ret)
{
	const struct kdump_priv *p = kd->fmt_priv;
	uint64_t pfn = pa >> p->shift, off = pa & (p->block_size - 1);

	if (pfn >= p->end_pfn) {
		*len_ret = pa ? 0 - pa : UINT64_MAX;
		return false;
	}
	if (pfn < p->start_pfn) {
		*len_ret = ((p->start_pfn - pfn) << p->shift) - off;
		return false;
	}
	bool held = bm_test(p->bm2, pfn);
	uint64_t end = p->end_pfn - pfn > 4096 ? pfn + 4096 : p->end_pfn;
	uint64_t e = bm_next(p->bm2, pfn, end, !held);
	*len_ret = ((e - pfn) << p->shift) - off;
	return held;
}

const struct kvm_format_ops kvm_format_kdump = {
	.name = "kdump",
	.probe = kdump_probe,
	.open = kdump_open,
	.read_phys = kdump_read_phys,
	.held = kdump_held,
	.cache_resize = kdump_cache_resize,
	.close = kdump_close,
};
