// SPDX-License-Identifier: BSD-2-Clause
/*
 * Where an AArch64 kernel is: its granule, VA size, root table
 * (swapper_pg_dir) and KASLR offset, from VMCOREINFO
 * (arch/arm64/kernel/crash_core.c, Linux 4.12+) or, for dumps without it,
 * from the kernel image found in memory (4.6+ layouts).  Translation
 * itself is aarch64.c.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "aarch64.h"

/*
 * A 52-bit-VA kernel with 64K pages on a CPU without FEAT_LVA runs with
 * 48-bit VAs, and points TTBR1 into swapper_pg_dir past the entries that
 * 48 bits never reach (TTBR1_BADDR_4852_OFFSET, pgtable-hwdef.h, and
 * offset_ttbr1 in assembler.h, Linux 5.4).  The 4K/16K LPA2 kernels of 6.9+
 * fold a level instead and need no offset.
 */
static uint64_t
ttbr1_offset(unsigned page_shift, unsigned va_bits, unsigned actual)
{
	struct aarch64_paging big = { page_shift, va_bits, false };
	struct aarch64_paging small = { page_shift, actual, false };
	int levels = aarch64_levels(&big);

	if (page_shift != AARCH64_PAGE_SHIFT_64K || actual >= va_bits ||
	    !levels || levels != aarch64_levels(&small))
		return 0;
	unsigned pgdir_shift =
		AARCH64_HW_PGTABLE_LEVEL_SHIFT(page_shift, 4 - levels);
	return ((1ULL << (va_bits - pgdir_shift)) -
		(1ULL << (actual - pgdir_shift))) *
	       8;
}

static int
page_shift_of(uint64_t size)
{
	switch (size) {
	case 1ULL << AARCH64_PAGE_SHIFT_4K:
		return AARCH64_PAGE_SHIFT_4K;
	case 1ULL << AARCH64_PAGE_SHIFT_16K:
		return AARCH64_PAGE_SHIFT_16K;
	case 1ULL << AARCH64_PAGE_SHIFT_64K:
		return AARCH64_PAGE_SHIFT_64K;
	default:
		return 0;
	}
}

/*
 * With VMCOREINFO, everything comes from it (arch_crash_save_vmcoreinfo()):
 *   NUMBER(VA_BITS)         CONFIG_ARM64_VA_BITS (4.12+)
 *   NUMBER(TCR_EL1_T1SZ)    the kernel half really in use, 64 - T1SZ (5.9+;
 *                           below VA_BITS when a 52-bit kernel runs on a CPU
 *                           without LVA/LPA2)
 *   NUMBER(kimage_voffset)  kernel image VA - PA (4.12+): the root is
 *                           SYMBOL(swapper_pg_dir) - kimage_voffset
 *   KERNELOFFSET            the KASLR offset (4.12+)
 * The linear map (pa = va - PAGE_OFFSET + PHYS_OFFSET, PAGE_OFFSET
 * -(1 << VA_BITS) since 5.4's "arm64: mm: Flip kernel VA space" and
 * -(1 << (VA_BITS - 1)) before) needs no arithmetic: it is walked like any
 * other kernel address, which also honours its holes.
 */
static int
init_vmcoreinfo(kvm_t *kd, struct aarch64_paging *pg_ret, uint64_t *root_ret)
{
	const struct kvm_vmcoreinfo *v = &kd->vmci;
	int64_t num;
	uint64_t u, sym;

	/* PAGESIZE is the granule; the format's page size is a fallback. */
	if (!kvm_vmcoreinfo_dec(v, "PAGESIZE", &u))
		u = kd->page_size;
	int ps = page_shift_of(u);
	if (!ps)
		return kvm_error(kd, KVM_ECORRUPT,
				 "VMCOREINFO PAGESIZE=%" PRIu64
				 " is not an arm64 granule (4096, 16384 or "
				 "65536)",
				 u);

	if (!kvm_vmcoreinfo_number(v, "VA_BITS", &num))
		return kvm_error(kd, KVM_ENOTSUP,
				 "VMCOREINFO has no NUMBER(VA_BITS)");
	if (num < AARCH64_VA_BITS_MIN || num > AARCH64_VA_BITS_MAX)
		return kvm_error(kd, KVM_ECORRUPT,
				 "VMCOREINFO NUMBER(VA_BITS)=%" PRId64
				 " is not an arm64 VA size",
				 num);
	unsigned va_bits = (unsigned)num, actual = va_bits;
	/*
	 * Without T1SZ (before 5.9) the walk uses VA_BITS.  That is right for
	 * a 52-bit 64K kernel on a 48-bit CPU too: TTBR1's offset into
	 * swapper_pg_dir makes the 48-bit walk read the very entries a
	 * 52-bit walk of a 48-bit address reads.
	 */
	if (kvm_vmcoreinfo_number(v, "TCR_EL1_T1SZ", &num)) {
		if (num < 64 - AARCH64_VA_BITS_MAX ||
		    num > 64 - AARCH64_VA_BITS_MIN)
			return kvm_error(kd, KVM_ECORRUPT,
					 "VMCOREINFO NUMBER(TCR_EL1_T1SZ)="
					 "%" PRId64 " is not an arm64 T1SZ",
					 num);
		actual = 64 - (unsigned)num;
	}
	/* TCR_EL1.DS goes with 52-bit VAs (proc.S __cpu_setup, 6.9+). */
	struct aarch64_paging pg = {
		.page_shift = (unsigned)ps,
		.va_bits = actual,
		.lpa2 = ps != AARCH64_PAGE_SHIFT_64K &&
			actual > AARCH64_VA_BITS_NO_LPA2_MAX,
	};
	int levels = aarch64_levels(&pg);
	if (!levels)
		return kvm_error(kd, KVM_ECORRUPT,
				 "VMCOREINFO: %u-bit VAs with %d KiB pages is "
				 "not an arm64 configuration",
				 actual, 1 << (ps - 10));

	if (kvm_vmcoreinfo_hex(v, "KERNELOFFSET", &u)) {
		/*
		 * KASLR places the image in the middle of the vmalloc area,
		 * by whole pages: below 2^(va_bits - 1) (arch/arm64/kernel/
		 * pi/kaslr_early.c, kaslr.c before 5.19).
		 */
		if (u >= 1ULL << (va_bits - 1) || (u & 4095))
			kvm_warn(kd,
				 "VMCOREINFO KERNELOFFSET=%" PRIx64
				 " ignored (not in arm64's KASLR range)",
				 u);
		else {
			kd->kaslr_offset = (int64_t)u;
			kd->kaslr_known = true;
		}
	}
	if (kvm_vmcoreinfo_symbol(v, "_stext", &u))
		kd->xlat.ktext_start = u;

	if (!kvm_vmcoreinfo_number(v, "kimage_voffset", &num))
		return kvm_error(kd, KVM_ENOTSUP,
				 "VMCOREINFO has no NUMBER(kimage_voffset)");
	uint64_t voffset = (uint64_t)num;
	if (!kvm_vmcoreinfo_symbol(v, "swapper_pg_dir", &sym))
		return kvm_error(kd, KVM_ENOTSUP,
				 "VMCOREINFO has no SYMBOL(swapper_pg_dir)");
	if (sym >> actual != ~0ULL >> actual)
		return kvm_error(kd, KVM_ECORRUPT,
				 "VMCOREINFO SYMBOL(swapper_pg_dir)=0x%" PRIx64
				 " is not a %u-bit kernel address",
				 sym, actual);
	uint64_t root = sym - voffset;
	if ((root & 7) || root > AARCH64_PHYS_MASK_52)
		return kvm_error(kd, KVM_ECORRUPT,
				 "swapper_pg_dir at physical 0x%" PRIx64
				 " (SYMBOL(swapper_pg_dir) - kimage_voffset) "
				 "is not a table address",
				 root);
	*root_ret = root + ttbr1_offset(pg.page_shift, va_bits, actual);
	*pg_ret = pg;
	return 0;
}

/* ----------------------------------------------- the kernel from memory */

/*
 * Without VMCOREINFO (QEMU dumps made without -device vmcoreinfo, LiME and
 * raw images, stripped copies) nothing names swapper_pg_dir, the granule,
 * the VA size or the KASLR offset, and arm64 ELF notes carry no TTBR1.
 * They are found in memory, as the kernel left it:
 *
 *  1. Each granule-aligned page of physical memory, in address order, may
 *     be swapper_pg_dir under each configuration of scan_configs if its
 *     first-level entries are 0 or Linux table descriptors into the dump's
 *     memory (or, where the level allows, blocks), if entries point both
 *     at and above PAGE_END and below it (the linear map fills one half of
 *     the kernel's VA space, modules, vmalloc and the image the other,
 *     whichever way round, 4.6+), and if the page is 0 past the
 *     first-level table (swapper_pg_dir is a page; PTRS_PER_PGD may be 2).
 *     tramp_pg_dir, reserved_pg_dir and idmap_pg_dir fail this (one entry
 *     or none), and so do pages of PTEs (SH bits, AARCH64_TABLE_ZERO_BITS).
 *  2. swapper_pg_dir lies in the kernel image, mapped at VA = PA +
 *     kimage_voffset with VA and PA congruent modulo 2 MiB.  The
 *     candidate's own tables must map the candidate's physical address so,
 *     in the half where the image lives, by a page or a block of 2 MiB at
 *     most.  User tables, the idmap and tables read at the wrong level or
 *     granule do not map themselves like that.
 *  3. Down from there, the lowest address mapped at the same offset within
 *     128 MiB starts the image mapping (_stext since 5.11, _text before and
 *     since 5973a62efa34); up from it "Linux version " (linux_banner, in
 *     .rodata) must follow, and its version must place the image in the
 *     half it was found in (kimage_layouts).
 *  4. The KASLR offset is run-time _text - link-time _text (KIMAGE_VADDR +
 *     TEXT_OFFSET), as kaslr_offset() computes it.
 *
 * Work is bounded: at most 8 times the file's size (and 2 GiB at least) is
 * read in all, at most SCAN_CANDIDATE_BYTES of tables per candidate, and a
 * table search has the walk's fixed depth, so hostile tables that point
 * back at themselves only spend budget.  Buffers have fixed sizes.
 */
#define SCAN_CHUNK (1u << 20)
#define SCAN_CANDIDATE_BYTES (16ULL << 20)
#define SCAN_TABLE_BYTES (1u << AARCH64_PAGE_SHIFT_64K)
#define SCAN_TABLE_LEVELS 3 /* tables above the last level: levels 0-2 */
/* What one small read (an entry, a walk's level) costs of the budget. */
#define SCAN_READ_COST 64
#define IMAGE_SPAN_MAX (128ULL << 20)
/*
 * The image is mapped with pages and, 4K granule, 2 MiB blocks: a larger
 * block (1 GiB; 32 MiB with 16K, 512 MiB with 64K) would need an aligned
 * segment that large.  Tables read with the wrong granule or at the wrong
 * level turn 2 MiB blocks into such large ones.
 */
#define IMAGE_LEAF_MAX AARCH64_MIN_KIMG_ALIGN
#define SZ_128M (128ULL << 20)

/* Tried in this order; the first configuration that passes wins. */
static const struct aarch64_paging scan_configs[] = {
	{ AARCH64_PAGE_SHIFT_4K, 48, false },
	{ AARCH64_PAGE_SHIFT_4K, 39, false },
	{ AARCH64_PAGE_SHIFT_64K, 48, false },
	{ AARCH64_PAGE_SHIFT_64K, 52, false },
	{ AARCH64_PAGE_SHIFT_64K, 42, false },
	{ AARCH64_PAGE_SHIFT_16K, 47, false },
	{ AARCH64_PAGE_SHIFT_16K, 48, false },
};

/*
 * Where the image is linked: KIMAGE_VADDR (arch/arm64/include/asm/memory.h)
 * above the start of the half that holds it, by the first release of each
 * layout, for kernels without KASAN (whose shadow moves everything):
 *   4.6   "arm64: move kernel image to base of vmalloc area": KIMAGE_VADDR =
 *         MODULES_END = VA_START (-(1 << VA_BITS)) + 128 MiB of modules;
 *         the linear map above, from PAGE_OFFSET = -(1 << (VA_BITS - 1)).
 *   5.0   "arm64/bpf: don't allocate BPF JIT programs in module memory":
 *         128 MiB of BPF JIT region before the modules.
 *   5.4   "arm64: mm: Flip kernel VA space": the linear map below, the rest
 *         from PAGE_END = _PAGE_END(VA_BITS_MIN) = -(1 << (VA_BITS_MIN -
 *         1)), VA_BITS_MIN being 48 for 52-bit kernels; BPF and modules
 *         still before the image.
 *   5.17  b89ddf4cca43 "arm64/bpf: Remove 128MB limit for BPF JIT
 *         programs": modules only (6.1: 0xffff800008000000 with 48 bits).
 *         Also backported to 5.15.y and 5.16.y, so those have either.
 *   6.5   "arm64: module: rework module VA range selection": MODULES_VSIZE
 *         SZ_2G (0xffff800080000000 with 48 bits).
 */
struct kimage_layout {
	unsigned major, minor; /* first release */
	bool flipped;	       /* the image in the upper half (5.4+) */
	uint64_t kimage;       /* KIMAGE_VADDR - start of that half */
};

static const struct kimage_layout kimage_layouts[] = {
	{ 4, 6, false, SZ_128M },     { 5, 0, false, 2 * SZ_128M },
	{ 5, 4, true, 2 * SZ_128M },  { 5, 17, true, SZ_128M },
	{ 6, 5, true, 16 * SZ_128M },
};

static bool
version_at_least(unsigned major, unsigned minor, unsigned ma, unsigned mi)
{
	return major > ma || (major == ma && minor >= mi);
}

/* The layout of a release, or NULL before 4.6 (no separate image map). */
static const struct kimage_layout *
layout_of(unsigned major, unsigned minor)
{
	const struct kimage_layout *l = NULL;

	for (size_t i = 0; i < ARRAY_SIZE(kimage_layouts); i++)
		if (version_at_least(major, minor, kimage_layouts[i].major,
				     kimage_layouts[i].minor))
			l = &kimage_layouts[i];
	return l;
}

struct scan {
	kvm_t *kd;
	struct aarch64_paging pg;
	int levels, start; /* number of levels, the first one */
	unsigned top_bits; /* index bits of the first-level table */
	uint64_t root;	   /* candidate swapper_pg_dir */
	uint64_t lo, hi;   /* where the image may be (inclusive) */
	uint64_t spent;	   /* table bytes read for this candidate */
	uint64_t budget;   /* bytes left for the whole scan */
	bool exhausted;	   /* the budget could not pay for a read */
	uint8_t *tables;   /* SCAN_TABLE_LEVELS tables being searched */
	uint8_t *chunk;	   /* SCAN_CHUNK bytes for the banner */
	unsigned ncand;	   /* candidates that passed step 1 */
};

struct scan_result {
	struct aarch64_paging pg;
	uint64_t root;
	uint64_t ktext; /* start of the image mapping */
	int64_t kaslr;
};

/*
 * Spend n bytes of the scan's budget; capped: of the candidate's too.
 * False when there is not enough left.
 */
static bool
charge(struct scan *s, uint64_t n, bool capped)
{
	if (n > s->budget) {
		s->exhausted = true;
		return false;
	}
	if (capped && n > SCAN_CANDIDATE_BYTES - s->spent)
		return false;
	s->budget -= n;
	if (capped)
		s->spent += n;
	return true;
}

static uint64_t
get64(const kvm_t *kd, const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return kvm_tgt64(kd, v);
}

/* Is pa in the dump's physical memory?  (kd->ranges is sorted.) */
static bool
in_ranges(const kvm_t *kd, uint64_t pa)
{
	size_t lo = 0, hi = kd->nranges;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (pa < kd->ranges[mid].start)
			hi = mid;
		else if (pa >= kd->ranges[mid].end)
			lo = mid + 1;
		else
			return true;
	}
	return false;
}

static bool
linux_table(const struct scan *s, uint64_t d)
{
	return (d & AARCH64_PTE_TYPE_MASK) == AARCH64_PMD_TYPE_TABLE &&
	       !(d & AARCH64_TABLE_ZERO_BITS) &&
	       in_ranges(s->kd, aarch64_desc_addr(&s->pg, d));
}

/*
 * Step 1: could the page at page (a granule) be swapper_pg_dir?  Blocks of
 * the linear map may point outside the dump (memory kdump left out), so
 * only their type and AF are checked.
 */
static bool
root_plausible(const struct scan *s, const uint8_t *page)
{
	unsigned ps = s->pg.page_shift;
	unsigned shift = AARCH64_HW_PGTABLE_LEVEL_SHIFT(ps, s->start);
	unsigned vbm = KVM_MIN(s->pg.va_bits, AARCH64_VA_BITS_NO_LPA2_MAX);
	uint64_t n = 1ULL << s->top_bits;
	uint64_t upper = n - ((1ULL << (vbm - 1)) >> shift);
	bool low = false, high = false;

	for (uint64_t i = 0; i < 1ULL << (ps - 3); i++) {
		uint64_t d = get64(s->kd, page + 8 * i);
		if (!d)
			continue;
		if (i >= n)
			return false;
		if (!linux_table(s, d) &&
		    ((d & AARCH64_PTE_TYPE_MASK) != AARCH64_PMD_TYPE_SECT ||
		     !(d & AARCH64_PTE_AF) ||
		     !aarch64_block_allowed(&s->pg, s->start)))
			return false;
		if (i >= upper)
			high = true;
		else
			low = true;
	}
	return low && high;
}

/*
 * Step 2 at the last level: only the entries whose VA is congruent to the
 * root modulo 2 MiB can map it (the table maps a multiple of 2 MiB from an
 * aligned address), one in 2^(21 - PAGE_SHIFT).
 */
static int
find_va_pte(struct scan *s, uint64_t table, uint64_t va_base, uint64_t i0,
	    uint64_t i1, uint64_t *va_ret)
{
	unsigned shift = s->pg.page_shift;
	uint64_t step = AARCH64_MIN_KIMG_ALIGN >> shift;
	uint64_t j = (s->root & (AARCH64_MIN_KIMG_ALIGN - 1)) >> shift;

	for (; j <= i1; j += step) {
		uint64_t d;
		if (j < i0)
			continue;
		if (!charge(s, SCAN_READ_COST, true))
			return -1;
		if (s->kd->xlat.read_pte(s->kd->xlat.arg, table + j * 8, &d)) {
			kvm_error_clear(s->kd);
			continue;
		}
		if ((d & AARCH64_PTE_TYPE_MASK) == AARCH64_PTE_TYPE_PAGE &&
		    aarch64_desc_addr(&s->pg, d) == s->root) {
			*va_ret = va_base + (j << shift);
			return 1;
		}
	}
	return 0;
}

/*
 * Step 2: the lowest VA in [s->lo, s->hi] that the table at table (of
 * level lvl, its entry 0 mapping va_base) maps to s->root as described.
 * 1: found, in *va_ret; 0: none; -1: out of budget.
 */
static int
find_va(struct scan *s, uint64_t table, int lvl, uint64_t va_base,
	uint64_t *va_ret)
{
	kvm_t *kd = s->kd;
	unsigned shift = AARCH64_HW_PGTABLE_LEVEL_SHIFT(s->pg.page_shift, lvl);
	unsigned bits = lvl == s->start ? s->top_bits : s->pg.page_shift - 3;
	uint64_t n = 1ULL << bits;
	uint64_t last = va_base + ((n << shift) - 1);

	if (last < s->lo || va_base > s->hi)
		return 0;
	uint64_t i0 = s->lo > va_base ? (s->lo - va_base) >> shift : 0;
	uint64_t i1 = s->hi < last ? (s->hi - va_base) >> shift : n - 1;
	if (lvl == 3)
		return find_va_pte(s, table, va_base, i0, i1, va_ret);

	size_t len = (size_t)(i1 - i0 + 1) * 8, done;
	if (lvl < 0 || lvl >= SCAN_TABLE_LEVELS || len > SCAN_TABLE_BYTES)
		return 0;
	/* One buffer per level: a child never overwrites its parent's. */
	uint8_t *buf = s->tables + (size_t)lvl * SCAN_TABLE_BYTES;
	if (!charge(s, len, true))
		return -1;
	if (kvm_phys_read(kd, table + i0 * 8, buf, len, &done) != 0) {
		kvm_error_clear(kd);
		len = done;
	}
	for (uint64_t i = 0; i < len / 8; i++) {
		uint64_t d = get64(kd, buf + 8 * i);
		uint64_t va = va_base + ((i0 + i) << shift);
		if (!(d & AARCH64_PTE_VALID))
			continue;
		if (d & AARCH64_PTE_TABLE_BIT) {
			if (!linux_table(s, d))
				continue;
			int r = find_va(s, aarch64_desc_addr(&s->pg, d),
					lvl + 1, va, va_ret);
			if (r)
				return r;
			continue;
		}
		uint64_t size = 1ULL << shift;
		if (!aarch64_block_allowed(&s->pg, lvl) ||
		    size > IMAGE_LEAF_MAX)
			continue;
		uint64_t oa = aarch64_desc_addr(&s->pg, d) & ~(size - 1);
		if (s->root - oa >= size)
			continue;
		uint64_t v = va + (s->root - oa);
		if (((v - s->root) & (AARCH64_MIN_KIMG_ALIGN - 1)) == 0 &&
		    v >= s->lo && v <= s->hi) {
			*va_ret = v;
			return 1;
		}
	}
	return 0;
}

/*
 * Step 3, down: the lowest address within IMAGE_SPAN_MAX below v that is
 * mapped at VA - PA = delta, past holes (init memory, unmapped since 4.x)
 * and other mappings (vmalloc, modules).
 */
static uint64_t
image_start(struct scan *s, uint64_t v, uint64_t delta)
{
	uint64_t low = v & ~((1ULL << s->pg.page_shift) - 1);
	uint64_t floor = v - s->lo > IMAGE_SPAN_MAX ? v - IMAGE_SPAN_MAX
						    : s->lo;

	/* Every turn lowers probe by a page at least. */
	for (uint64_t probe = low; probe > floor;) {
		uint64_t a = probe - 1, pa, len;
		struct aarch64_walk_info wi = { 0 };
		if (!charge(s, SCAN_READ_COST * (uint64_t)s->levels, false))
			break;
		int err = aarch64_walk_info(s->kd, &s->pg, s->root, a, true,
					    &pa, &len, &wi);
		kvm_error_clear(s->kd);
		if (err) {
			if (!wi.span)
				break;
			probe = a & ~(wi.span - 1);
			continue;
		}
		uint64_t start = a + len - wi.span;
		if (wi.span <= IMAGE_LEAF_MAX && a - pa == delta)
			low = start;
		probe = start;
	}
	return low;
}

#define BANNER "Linux version "
#define BANNER_LEN (sizeof(BANNER) - 1)
/* Bytes kept across reads: the banner and "NNN.NNN" fit. */
#define BANNER_TAIL 32

/* The "X.Y" after the banner at p (n bytes there). */
static bool
parse_version(const uint8_t *p, size_t n, unsigned *major, unsigned *minor)
{
	unsigned v[2] = { 0, 0 };
	size_t i = BANNER_LEN;

	for (int k = 0; k < 2; k++) {
		size_t digits = 0;
		while (i < n && digits < 3 && p[i] >= '0' && p[i] <= '9') {
			v[k] = v[k] * 10 + (unsigned)(p[i] - '0');
			i++;
			digits++;
		}
		if (!digits || (k == 0 && (i >= n || p[i++] != '.')))
			return false;
	}
	*major = v[0];
	*minor = v[1];
	return true;
}

/*
 * The banner with a version in buf[0, n).  When more bytes may follow,
 * only starts BANNER_TAIL bytes before the end count: the caller keeps
 * those bytes for the next search.
 */
static bool
banner_in(const uint8_t *buf, size_t n, bool more, unsigned *major,
	  unsigned *minor)
{
	size_t lim = !more ? n : n > BANNER_TAIL ? n - BANNER_TAIL : 0;

	for (size_t off = 0; off < lim;) {
		const uint8_t *p =
			memmem(buf + off, n - off, BANNER, BANNER_LEN);
		if (!p || (size_t)(p - buf) >= lim)
			return false;
		if (parse_version(p, n - (size_t)(p - buf), major, minor))
			return true;
		off = (size_t)(p - buf) + 1;
	}
	return false;
}

/* Step 3, up: the banner in what is mapped at delta from low on. */
static bool
find_banner(struct scan *s, uint64_t low, uint64_t delta, unsigned *major,
	    unsigned *minor)
{
	uint8_t *buf = s->chunk;
	uint64_t page = 1ULL << s->pg.page_shift;
	size_t have = 0;
	uint64_t last = s->hi - low < IMAGE_SPAN_MAX ? s->hi
						     : low + IMAGE_SPAN_MAX - 1;

	for (uint64_t a = low; a >= low && a <= last;) {
		uint64_t pa, len, next;
		struct aarch64_walk_info wi = { 0 };
		if (!charge(s, SCAN_READ_COST * (uint64_t)s->levels, false))
			break;
		int err = aarch64_walk_info(s->kd, &s->pg, s->root, a, true,
					    &pa, &len, &wi);
		kvm_error_clear(s->kd);
		if (err || wi.span > IMAGE_LEAF_MAX || a - pa != delta) {
			/* A gap: what was read so far is all there is. */
			if (banner_in(buf, have, false, major, minor))
				return true;
			have = 0;
			if (err && !wi.span)
				break;
			next = err ? (a | (wi.span - 1)) + 1 : a + len;
			if (next <= a)
				break;
			a = next;
			continue;
		}
		size_t n = (size_t)KVM_MIN(KVM_MIN(len, last - a + 1),
					   (uint64_t)(SCAN_CHUNK - have));
		size_t done;
		if (!charge(s, n, false))
			break;
		if (kvm_phys_read(s->kd, pa, buf + have, n, &done) != 0) {
			/* Unreadable (a page kdump left out): a gap too. */
			kvm_error_clear(s->kd);
			if (banner_in(buf, have + done, false, major, minor))
				return true;
			have = 0;
			next = ((a + done) | (page - 1)) + 1;
			if (next <= a)
				break;
			a = next;
			continue;
		}
		have += n;
		if (banner_in(buf, have, true, major, minor))
			return true;
		size_t keep = KVM_MIN(have, (size_t)BANNER_TAIL);
		memmove(buf, buf + have - keep, keep);
		have = keep;
		if (a + n <= a)
			break;
		a += n;
	}
	return banner_in(buf, have, false, major, minor);
}

/*
 * Read [pa, pa + len) of physical memory into buf; what cannot be read
 * (holes, pages a kdump left out) reads as zeros, page by page.
 */
static void
read_zero_filled(kvm_t *kd, uint64_t pa, uint8_t *buf, size_t len)
{
	const size_t page = 1u << AARCH64_PAGE_SHIFT_4K;
	size_t done;

	if (kvm_phys_read(kd, pa, buf, len, &done) == 0)
		return;
	kvm_error_clear(kd);
	for (size_t off = done; off < len;) {
		size_t n = KVM_MIN(len - off, page - ((pa + off) & (page - 1)));
		if (kvm_phys_read(kd, pa + off, buf + off, n, &done) != 0) {
			kvm_error_clear(kd);
			memset(buf + off + done, 0, n - done);
		}
		off += n;
	}
}

/* "KERNELOFFSET=<hex>\n" at p (n bytes there): the value. */
static bool
parse_kerneloffset(const uint8_t *p, size_t n, uint64_t *ret)
{
	static const char key[] = "KERNELOFFSET=";
	uint64_t v = 0;
	size_t i = sizeof(key) - 1, digits = 0;

	for (; i < n && digits < 16; i++, digits++) {
		int c = p[i], x;
		if (c >= '0' && c <= '9')
			x = c - '0';
		else if (c >= 'a' && c <= 'f')
			x = c - 'a' + 10;
		else
			break;
		v = v << 4 | (uint64_t)x;
	}
	if (!digits || i >= n || p[i] != '\n')
		return false;
	*ret = v;
	return true;
}

/*
 * Which of n KASLR offsets does the kernel itself name?  Its VMCOREINFO
 * text (kernel/crash_core.c, vmcoreinfo_data: a page of the linear map,
 * "KERNELOFFSET=%lx" from arm64's arch_crash_save_vmcoreinfo()) is in
 * memory even when the dump lost its note.  Only a value among the
 * candidates is taken, so text elsewhere cannot mislead.
 */
static bool
offset_named(struct scan *s, const int64_t *cand, size_t n, int64_t *ret)
{
	static const char key[] = "KERNELOFFSET=";
	const size_t overlap = 64;
	kvm_t *kd = s->kd;
	uint64_t u;

	if (kd->vmcoreinfo_text &&
	    kvm_vmcoreinfo_hex(&kd->vmci, "KERNELOFFSET", &u))
		for (size_t k = 0; k < n; k++)
			if ((uint64_t)cand[k] == u) {
				*ret = cand[k];
				return true;
			}
	for (size_t r = 0; r < kd->nranges; r++) {
		uint64_t end = kd->ranges[r].end;
		for (uint64_t pa = kd->ranges[r].start; pa < end;) {
			size_t want =
				(size_t)KVM_MIN((uint64_t)SCAN_CHUNK, end - pa);
			if (!charge(s, want, false))
				return false;
			read_zero_filled(kd, pa, s->chunk, want);
			const uint8_t *p = s->chunk;
			while ((p = memmem(p, want - (size_t)(p - s->chunk),
					   key, sizeof(key) - 1))) {
				size_t left = want - (size_t)(p - s->chunk);
				if (parse_kerneloffset(p, left, &u))
					for (size_t k = 0; k < n; k++)
						if ((uint64_t)cand[k] == u) {
							*ret = cand[k];
							return true;
						}
				p++;
			}
			if (want <= overlap || pa + want >= end)
				break;
			pa += want - overlap;
		}
	}
	return false;
}

/* Read len bytes at physical pa; false (no error kept) if unreadable. */
static bool
read_image(kvm_t *kd, uint64_t pa, void *buf, size_t len)
{
	size_t done;

	if (kvm_phys_read(kd, pa, buf, len, &done) == 0)
		return true;
	kvm_error_clear(kd);
	return false;
}

/*
 * Steps 2 to 4 for s->root under s->pg, image in the upper half (5.4+),
 * then in the lower half (4.6 to 5.3).  1: found; 0: not; -1: the scan's
 * budget is spent.
 */
static int
try_root(struct scan *s, struct scan_result *res)
{
	kvm_t *kd = s->kd;
	unsigned vb = s->pg.va_bits;
	unsigned vbm = KVM_MIN(vb, AARCH64_VA_BITS_NO_LPA2_MAX);

	for (int flipped = 1; flipped >= 0; flipped--) {
		if (!flipped && vb > AARCH64_VA_BITS_NO_LPA2_MAX)
			continue;
		s->lo = flipped ? ~0ULL << (vbm - 1) : ~0ULL << vb;
		s->hi = flipped ? ~0ULL : (~0ULL << (vb - 1)) - 1;
		s->spent = 0;
		uint64_t v;
		int r = find_va(s, s->root, s->start, ~0ULL << vb, &v);
		if (r <= 0) {
			if (s->exhausted)
				return -1;
			continue;
		}
		uint64_t delta = v - s->root;
		uint64_t low = image_start(s, v, delta);
		unsigned major, minor;
		if (!find_banner(s, low, delta, &major, &minor)) {
			if (s->exhausted)
				return -1;
			continue;
		}
		const struct kimage_layout *lay = layout_of(major, minor);
		if (!lay || lay->flipped != (bool)flipped)
			continue;

		/*
		 * _text: where the mapping starts if the Image header is there
		 * (before 5.11, and with 5973a62efa34), else 64 KiB below.
		 */
		uint64_t text = low, toff = 0;
		uint32_t magic = 0;
		if (!version_at_least(major, minor, 5, 8))
			toff = AARCH64_TEXT_OFFSET_DEFAULT;
		if (read_image(kd, low - delta + AARCH64_IMAGE_MAGIC_OFFSET,
			       &magic, sizeof(magic)) &&
		    kvm_tgt32(kd, magic) == AARCH64_IMAGE_MAGIC) {
			uint64_t t;
			if (read_image(kd,
				       low - delta +
					       AARCH64_IMAGE_TEXT_OFFSET_OFFSET,
				       &t, sizeof(t))) {
				t = kvm_tgt64(kd, t);
				if (t < AARCH64_MIN_KIMG_ALIGN && !(t & 0xfff))
					toff = t;
			}
		} else if (version_at_least(major, minor, 5, 11)) {
			text = low - AARCH64_HEAD_SIZE;
		}

		/* 5.15.y and 5.16.y: either layout (see kimage_layouts). */
		int64_t cand[2];
		size_t ncand = 0;
		uint64_t link = s->lo + toff;
		cand[ncand++] = (int64_t)(text - (link + lay->kimage));
		if (lay->major == 5 && lay->minor == 4 &&
		    version_at_least(major, minor, 5, 15))
			cand[ncand++] = (int64_t)(text - (link + SZ_128M));
		int64_t kaslr = cand[ncand - 1];
		if (ncand > 1 && !offset_named(s, cand, ncand, &kaslr))
			kaslr = cand[ncand - 1];
		/* The image is never linked below its run-time address. */
		if (kaslr < 0 || (uint64_t)kaslr > s->hi - s->lo)
			continue;

		res->pg = s->pg;
		res->root = s->root;
		res->ktext = low;
		res->kaslr = kaslr;
		return 1;
	}
	return 0;
}

/*
 * A 52-bit 64K kernel on a CPU without LVA uses 48 bits from TTBR1 =
 * swapper_pg_dir + TTBR1_BADDR_4852_OFFSET (see ttbr1_offset()): its
 * entries below the 48-bit part are all 0 then.
 */
static void
fold_52_on_48(kvm_t *kd, const uint8_t *page, struct scan_result *res)
{
	unsigned ps = res->pg.page_shift;
	uint64_t off = ttbr1_offset(ps, 52, AARCH64_VA_BITS_NO_LPA2_MAX);

	if (ps != AARCH64_PAGE_SHIFT_64K || res->pg.va_bits != 52 || !off)
		return;
	for (uint64_t i = 0; i < off / 8; i++)
		if (get64(kd, page + 8 * i))
			return;
	res->pg.va_bits = AARCH64_VA_BITS_NO_LPA2_MAX;
	res->root += off;
}

#define SCAN_SMALL_PAGE (1u << AARCH64_PAGE_SHIFT_4K)

/*
 * Steps 1 to 4 for the page at pa, avail bytes of which are at page;
 * used[i]: the i-th 4 KiB of them is not all zeros (most memory of a dump
 * is, and is no table).
 */
static int
try_page(struct scan *s, uint64_t pa, const uint8_t *page, size_t avail,
	 const bool *used, struct scan_result *res)
{
	for (size_t c = 0; c < ARRAY_SIZE(scan_configs); c++) {
		unsigned ps = scan_configs[c].page_shift;
		if ((pa & ((1ULL << ps) - 1)) || avail < (1ULL << ps))
			continue;
		bool any = false;
		for (size_t i = 0; i < (1u << ps) / SCAN_SMALL_PAGE; i++)
			any |= used[i];
		if (!any)
			continue;
		s->pg = scan_configs[c];
		s->levels = aarch64_levels(&s->pg);
		s->start = 4 - s->levels;
		s->top_bits = s->pg.va_bits -
			      AARCH64_HW_PGTABLE_LEVEL_SHIFT(ps, s->start);
		if (!root_plausible(s, page))
			continue;
		s->ncand++;
		s->root = pa;
		int found = try_root(s, res);
		if (found > 0)
			fold_52_on_48(s->kd, page, res);
		if (found)
			return found;
	}
	return 0;
}

static int
scan_kernel(kvm_t *kd, struct scan_result *res)
{
	_cleanup_free_ uint8_t *buf = malloc(SCAN_CHUNK);
	_cleanup_free_ uint8_t *chunk = malloc(SCAN_CHUNK);
	_cleanup_free_ uint8_t *tables =
		malloc((size_t)SCAN_TABLE_LEVELS * SCAN_TABLE_BYTES);

	if (!buf || !chunk || !tables)
		return kvm_error(kd, KVM_ENOMEM, "out of memory");
	/*
	 * The scan reads at most what the file can hold (compressed dumps
	 * hold more than their size): ranges a hostile header makes huge end
	 * it, not the other way round.
	 */
	uint64_t budget = KVM_MAX(kd->core.size, (uint64_t)256 << 20);
	struct scan s = {
		.kd = kd,
		.budget = budget > (UINT64_MAX >> 3) ? UINT64_MAX : budget << 3,
		.tables = tables,
		.chunk = chunk,
	};
	uint64_t scanned = 0;
	bool used[SCAN_CHUNK / SCAN_SMALL_PAGE];
	for (size_t r = 0; r < kd->nranges; r++) {
		uint64_t end = kd->ranges[r].end;
		for (uint64_t pa = kd->ranges[r].start; pa < end;) {
			/* Chunks end at multiples of SCAN_CHUNK: pages fit. */
			uint64_t cend = (pa | (SCAN_CHUNK - 1)) + 1;
			if (cend == 0 || cend > end)
				cend = end;
			size_t want = (size_t)(cend - pa);
			/*
			 * Pages the file does not store (zeros past p_filesz,
			 * excluded pages) hold no table: skipped, for a page
			 * of budget.
			 */
			uint64_t run;
			if (!kvm_phys_held(kd, pa, &run)) {
				if (!charge(&s, SCAN_SMALL_PAGE, false))
					goto none;
				run = (run + SCAN_SMALL_PAGE - 1) &
				      ~(uint64_t)(SCAN_SMALL_PAGE - 1);
				if (run == 0 || kvm_add_overflow(pa, run, &pa))
					break;
				continue;
			}
			if (!charge(&s, want, false))
				goto none;
			scanned += want;
			read_zero_filled(kd, pa, buf, want);
			/* Most of memory is zeros: told at memcmp's speed. */
			static const uint8_t zeros[SCAN_SMALL_PAGE];
			for (size_t p = 0; p + SCAN_SMALL_PAGE <= want;
			     p += SCAN_SMALL_PAGE)
				used[p / SCAN_SMALL_PAGE] =
					memcmp(buf + p, zeros,
					       SCAN_SMALL_PAGE) != 0;
			for (size_t p = 0; p + SCAN_SMALL_PAGE <= want;
			     p += SCAN_SMALL_PAGE) {
				int found = try_page(&s, pa + p, buf + p,
						     want - p,
						     used + p / SCAN_SMALL_PAGE,
						     res);
				if (found > 0)
					return 0;
				if (found < 0)
					goto none;
			}
			pa = cend;
		}
	}
none:
	return kvm_error(kd, KVM_ENOTSUP,
			 "no kernel page tables found in %" PRIu64
			 " MiB of memory (%u candidate tables, none mapping "
			 "itself and a Linux banner in a kernel image)%s",
			 scanned >> 20, s.ncand,
			 s.exhausted ? "; the scan's budget ran out" : "");
}

/*
 * The kernel's translation (granule, VA size, root) and, when found in
 * memory, its KASLR offset and text: VMCOREINFO first, else the scan.
 */
int
aarch64_locate(kvm_t *kd, struct aarch64_paging *pg, uint64_t *root)
{
	if (kd->vmcoreinfo_text && init_vmcoreinfo(kd, pg, root) == 0)
		return 0;

	/*
	 * No VMCOREINFO, or one without what translation needs: find the
	 * kernel in memory.  If that fails too, a VMCOREINFO's complaint is
	 * the one to report.
	 */
	struct kvm_error_saved why;
	kvm_error_save(kd, &why);
	kvm_error_clear(kd);
	struct scan_result res = { 0 };
	int err = scan_kernel(kd, &res);
	if (err == 0) {
		kd->kaslr_offset = res.kaslr;
		kd->kaslr_known = true;
		kd->xlat.ktext_start = res.ktext;
		*pg = res.pg;
		*root = res.root;
		return 0;
	}
	if (err == -KVM_ENOMEM)
		return err;
	if (kd->vmcoreinfo_text)
		return kvm_error_restore(kd, &why);
	return kvm_error_ctx(kd,
			     "the dump has no VMCOREINFO to name the kernel "
			     "page tables (SYMBOL(swapper_pg_dir), "
			     "NUMBER(kimage_voffset), NUMBER(VA_BITS)), so "
			     "only physical addresses can be read");
}
