// SPDX-License-Identifier: BSD-2-Clause
/*
 * Which pages a dump level leaves out: makedumpfile's page classes (-d 2,
 * 4, 8, 16), decided from the target's struct page array, found through
 * VMCOREINFO's mem_section (SPARSEMEM).  The rules are those of
 * makedumpfile 1.7.2's __exclude_unnecessary_pages(), restated below with
 * the kernel facts they rest on; the code is our own.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "dump.h"

/*
 * Struct pages fetched per kvm_virt_read(): 4096 of them is 256 KiB at 64
 * bytes a page.  A power of two, so a chunk never straddles a section
 * (sections hold a power of two of pfns) and a compound head, aligned to
 * its order, never sits in a chunk's last slot with its first tail page
 * outside it.
 */
#define FILTER_CHUNK_PFNS 4096u
/* Bitmap bound: 2^34 pfns (64 TiB of 4 KiB pages) is a 2 GiB bitmap. */
#define FILTER_MAX_PFNS (1ull << 34)
/* Bounds for VMCOREINFO numbers we size things by. */
#define FILTER_MAX_PAGE_STRUCT 1024u
#define FILTER_MAX_ROOTS (1ull << 24)

/*
 * include/linux/mmzone.h: the low bits of mem_section.section_mem_map are
 * flags, SECTION_MARKED_PRESENT (bit 0) and SECTION_HAS_MEM_MAP (bit 1)
 * since v2.6.13 (commit 29751f6991e8, sparsemem).
 */
#define SECTION_MARKED_PRESENT 0x1ull
#define SECTION_HAS_MEM_MAP 0x2ull
/*
 * include/linux/page-flags.h: bit 0 of page->mapping marks an anonymous
 * page's anon_vma (PAGE_MAPPING_ANON, 2.6.x onwards; KSM pages have bits 0
 * and 1 set and count as anonymous too).  Bit 0 of page->compound_head
 * marks a tail page (v4.6, commit 1d798ca3f164).
 */
#define PAGE_MAPPING_ANON 0x1ull
#define PAGE_TAIL_BIT 0x1ull

enum filter_class {
	CLS_CACHE,
	CLS_CACHE_PRIVATE,
	CLS_USER,
	CLS_FREE,
	CLS_OTHER, /* hwpoison, offline: left out whenever we classify */
	CLS_N
};

struct filter_ctx {
	kvm_t *kd;
	struct kvm_dump_filter *f;
	int level;
	unsigned int page_shift;
	unsigned int ptr_size;

	/* mem_section (SPARSEMEM) */
	uint64_t ms_addr;    /* SYMBOL(mem_section): roots or sections */
	uint64_t ms_len;     /* LENGTH(mem_section): NR_SECTION_ROOTS */
	uint64_t ms_size;    /* SIZE(mem_section) */
	uint64_t ms_map_off; /* OFFSET(mem_section.section_mem_map) */
	bool extreme;	     /* CONFIG_SPARSEMEM_EXTREME */
	uint64_t per_root;   /* sections per root block */
	uint64_t nr_sections;
	unsigned int pfn_section_shift;
	uint64_t map_mask; /* ~(SECTION_MAP_LAST_BIT - 1) */

	/* struct page */
	uint64_t page_sz;
	uint64_t off_flags, off_mapping, off_mapcount, off_private, off_head;
	bool have_mapcount, have_private, have_head;
	uint64_t off_order, off_dtor;
	unsigned int order_width, dtor_width; /* 0: not known */

	/* page flags and page types; -1: absent */
	int pg_lru, pg_private, pg_swapcache, pg_swapbacked, pg_slab,
		pg_hwpoison;
	uint64_t head_mask;
	bool have_buddy, have_offline, have_hugetlb;
	uint32_t buddy_val, offline_val;
	uint64_t hugetlb_dtor;
	uint64_t max_order;

	/* caches of what was read last */
	uint64_t root_nr; /* root block in root_buf, or UINT64_MAX */
	bool root_ok;
	uint8_t *root_buf;
	uint64_t sec_nr; /* section decoded last, or UINT64_MAX */
	bool sec_ok;
	uint64_t sec_map;
	uint64_t chunk_pfn; /* first pfn in pages, or UINT64_MAX */
	uint64_t chunk_n;
	uint8_t *pages;

	uint64_t skip_to; /* pfns below this are classed already */
	uint64_t n_other;
};

/* ---------------------------------------------------------- reading */

static uint64_t
rd_long(const struct filter_ctx *c, const uint8_t *p)
{
	if (c->ptr_size == 8) {
		uint64_t v;

		memcpy(&v, p, 8);
		return kvm_tgt64(c->kd, v);
	}
	uint32_t v;

	memcpy(&v, p, 4);
	return kvm_tgt32(c->kd, v);
}

static uint32_t
rd_u32(const struct filter_ctx *c, const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return kvm_tgt32(c->kd, v);
}

/* A field of 1, 2 or 4 bytes (compound_order, compound_dtor). */
static uint64_t
rd_small(const struct filter_ctx *c, const uint8_t *p, unsigned int width)
{
	if (width == 1)
		return p[0];
	if (width == 2) {
		uint16_t v;

		memcpy(&v, p, 2);
		return c->kd->big_endian ? be16toh(v) : le16toh(v);
	}
	return rd_u32(c, p);
}

/*
 * Read len bytes of kernel memory at va; what cannot be read (a vmemmap
 * hole, a page the source dump left out) reads as zeros.  A zeroed struct
 * page matches no class (no flags, no mapping, _mapcount 0), so its pfn is
 * kept: bad memory may cost space, never a page that was wanted.
 */
static void
read_or_zero(struct filter_ctx *c, uint64_t va, uint8_t *buf, size_t len)
{
	size_t done = 0;

	if (kvm_virt_read(c->kd, va, buf, len, &done) == 0)
		return;
	kvm_error_clear(c->kd);
	while (done < len) {
		uint64_t a = va + done;
		size_t n = c->kd->page_size -
			   (size_t)(a & (c->kd->page_size - 1));
		size_t got = 0;

		n = KVM_MIN(n, len - done);
		if (kvm_virt_read(c->kd, a, buf + done, n, &got) != 0) {
			kvm_error_clear(c->kd);
			memset(buf + done, 0, n);
		}
		done += n;
	}
}

/* ------------------------------------------------- VMCOREINFO setup */

static int
need_num(struct filter_ctx *c, const char *name, int64_t *ret)
{
	if (kvm_vmcoreinfo_number(&c->kd->vmci, name, ret))
		return 0;
	return kvm_error(c->kd, KVM_ENOTSUP,
			 "dump level %d: VMCOREINFO has no NUMBER(%s), needed "
			 "to classify pages",
			 c->level, name);
}

static int
opt_bit(struct filter_ctx *c, const char *name)
{
	int64_t v;

	if (!kvm_vmcoreinfo_number(&c->kd->vmci, name, &v) || v < 0 ||
	    v >= (int64_t)c->ptr_size * 8)
		return -1;
	return (int)v;
}

/*
 * OFFSET(page.<member>) from VMCOREINFO, else from BTF (kernels export
 * only what their own tools needed).  A field must lie inside SIZE(page).
 */
static int
page_off(struct filter_ctx *c, const char *member, uint64_t width,
	 bool required, uint64_t *off_ret, bool *have_ret)
{
	char key[64];
	uint64_t off, size;

	snprintf(key, sizeof(key), "page.%s", member);
	if (!kvm_vmcoreinfo_offset(&c->kd->vmci, key, &off)) {
		if (kvm_types_offsetof(c->kd, "page", member, &off, &size)) {
			kvm_error_clear(c->kd);
			if (have_ret)
				*have_ret = false;
			if (!required)
				return 0;
			return kvm_error(c->kd, KVM_ENOTSUP,
					 "dump level %d: neither VMCOREINFO "
					 "nor BTF gives OFFSET(page.%s)",
					 c->level, member);
		}
	}
	if (!kvm_range_ok(off, width, c->page_sz))
		return kvm_error(c->kd, KVM_ECORRUPT,
				 "VMCOREINFO: OFFSET(page.%s)=%" PRIu64
				 " lies outside SIZE(page)=%" PRIu64,
				 member, off, c->page_sz);
	*off_ret = off;
	if (have_ret)
		*have_ret = true;
	return 0;
}

/* OSRELEASE as major * 256 + minor; 0 when absent or unparsable. */
static unsigned int
kernel_version(const kvm_t *kd)
{
	const char *r = kvm_vmcoreinfo_get(&kd->vmci, "OSRELEASE");
	unsigned int maj = 0, min = 0;

	if (!r)
		return 0;
	for (; *r >= '0' && *r <= '9'; r++)
		maj = KVM_MIN(maj * 10 + (unsigned int)(*r - '0'), 255u);
	if (*r++ != '.')
		return 0;
	for (; *r >= '0' && *r <= '9'; r++)
		min = KVM_MIN(min * 10 + (unsigned int)(*r - '0'), 255u);
	return maj << 8 | min;
}

#define KV(a, b) ((a) << 8 | (b))

/*
 * Bits of section_mem_map that are flags, by kernel version
 * (include/linux/mmzone.h):
 *   2  SECTION_MAP_LAST_BIT 1<<2 from v2.6.13 (commit 29751f6991e8)
 *   3  + SECTION_IS_ONLINE, v4.13 (commit 2d070eab2e82)
 *   4  + SECTION_IS_EARLY, v5.3 (commit 326e1b8f83a4)
 *   5  + SECTION_TAINT_ZONE_DEVICE, v5.12 (commit 1f90a3477df3); since
 *      v5.19 (commit ed7802dd48f7) that one is there only with
 *      CONFIG_ZONE_DEVICE, and masking it regardless is safe: the kernel
 *      keeps at least 6 low bits of the encoded map free ("at least 6 bits
 *      are available", the comment above the flags)
 *   6  + SECTION_IS_VMEMMAP_PREINIT, v6.15, with
 *      CONFIG_SPARSEMEM_VMEMMAP_PREINIT
 * makedumpfile 1.7.2 masks 5 bits for every version; an unknown version
 * gets 6 here, the most there can be.
 */
static unsigned int
section_flag_bits(unsigned int kv)
{
	if (kv == 0)
		return 6;
	if (kv < KV(4, 13))
		return 2;
	if (kv < KV(5, 3))
		return 3;
	if (kv < KV(5, 12))
		return 4;
	if (kv < KV(6, 15))
		return 5;
	return 6;
}

static int
setup_sections(struct filter_ctx *c)
{
	const struct kvm_vmcoreinfo *v = &c->kd->vmci;
	int64_t ssb, mpb;
	int err;

	if (!kvm_vmcoreinfo_symbol(v, "mem_section", &c->ms_addr))
		return kvm_error(c->kd, KVM_ENOTSUP,
				 "dump level %d: VMCOREINFO has no "
				 "SYMBOL(mem_section): the struct page array "
				 "cannot be found (SPARSEMEM kernels only)",
				 c->level);
	if (!kvm_vmcoreinfo_length(v, "mem_section", &c->ms_len) ||
	    !kvm_vmcoreinfo_size(v, "mem_section", &c->ms_size) ||
	    !kvm_vmcoreinfo_offset(v, "mem_section.section_mem_map",
				   &c->ms_map_off))
		return kvm_error(c->kd, KVM_ENOTSUP,
				 "dump level %d: VMCOREINFO lacks LENGTH, SIZE "
				 "or OFFSET(.section_mem_map) of mem_section",
				 c->level);
	if ((err = need_num(c, "SECTION_SIZE_BITS", &ssb)) ||
	    (err = need_num(c, "MAX_PHYSMEM_BITS", &mpb)))
		return err;
	if (ssb <= (int64_t)c->page_shift || mpb < ssb || mpb > 64 ||
	    mpb - ssb > 40)
		return kvm_error(c->kd, KVM_ECORRUPT,
				 "VMCOREINFO: SECTION_SIZE_BITS=%" PRId64
				 " and MAX_PHYSMEM_BITS=%" PRId64
				 " do not fit %u-byte pages",
				 ssb, mpb, c->kd->page_size);
	if (c->ms_size < c->ms_map_off + c->ptr_size ||
	    c->ms_size > KVM_MIN(c->kd->page_size, FILTER_MAX_PAGE_STRUCT))
		return kvm_error(c->kd, KVM_ECORRUPT,
				 "VMCOREINFO: SIZE(mem_section)=%" PRIu64
				 " with section_mem_map at %" PRIu64,
				 c->ms_size, c->ms_map_off);
	c->pfn_section_shift = (unsigned int)(ssb - c->page_shift);
	c->nr_sections = 1ull << (mpb - ssb);
	/*
	 * LENGTH(mem_section) is NR_SECTION_ROOTS (kernel/crash_core.c,
	 * since v2.6.24): NR_MEM_SECTIONS over SECTIONS_PER_ROOT, which is
	 * PAGE_SIZE / sizeof(struct mem_section) with SPARSEMEM_EXTREME and
	 * 1 without (mmzone.h).  So the length says which layout it is.
	 * Either way SYMBOL(mem_section) is the array itself (of root
	 * pointers or of sections), but for v4.15-rc1..rc7, where it was the
	 * address of the pointer (fixed by commit a0b1280368d1).
	 */
	uint64_t per_root = c->kd->page_size / c->ms_size;
	uint64_t roots = (c->nr_sections + per_root - 1) / per_root;

	if (c->ms_len == roots && per_root > 1) {
		c->extreme = true;
		c->per_root = per_root;
	} else if (c->ms_len == c->nr_sections) {
		c->extreme = false;
		c->per_root = 1;
	} else {
		return kvm_error(c->kd, KVM_ENOTSUP,
				 "VMCOREINFO: LENGTH(mem_section)=%" PRIu64
				 " is neither %" PRIu64 " roots (SPARSEMEM_"
				 "EXTREME) nor %" PRIu64 " sections",
				 c->ms_len, roots, c->nr_sections);
	}
	if (c->ms_len > FILTER_MAX_ROOTS && c->extreme)
		return kvm_error(c->kd, KVM_ECORRUPT,
				 "VMCOREINFO: %" PRIu64 " mem_section roots",
				 c->ms_len);
	c->map_mask = ~((1ull << section_flag_bits(kernel_version(c->kd))) - 1);
	return 0;
}

static int
setup_pages(struct filter_ctx *c)
{
	const struct kvm_vmcoreinfo *v = &c->kd->vmci;
	unsigned int kv = kernel_version(c->kd);
	int64_t n;
	int err;

	if (!kvm_vmcoreinfo_size(v, "page", &c->page_sz) &&
	    kvm_types_sizeof(c->kd, "page", &c->page_sz) != 0)
		return kvm_error(c->kd, KVM_ENOTSUP,
				 "dump level %d: neither VMCOREINFO nor BTF "
				 "gives SIZE(page)",
				 c->level);
	if (c->page_sz < 16 || c->page_sz > FILTER_MAX_PAGE_STRUCT)
		return kvm_error(c->kd, KVM_ECORRUPT,
				 "VMCOREINFO: SIZE(page)=%" PRIu64
				 " is not a struct page size",
				 c->page_sz);
	if ((err = page_off(c, "flags", c->ptr_size, true, &c->off_flags,
			    NULL)) ||
	    (err = page_off(c, "mapping", c->ptr_size, true, &c->off_mapping,
			    NULL)) ||
	    (err = page_off(c, "_mapcount", 4, false, &c->off_mapcount,
			    &c->have_mapcount)) ||
	    (err = page_off(c, "private", c->ptr_size, false, &c->off_private,
			    &c->have_private)) ||
	    (err = page_off(c, "compound_head", c->ptr_size, false,
			    &c->off_head, &c->have_head)))
		return err;
	/*
	 * compound_order and compound_dtor live in the first tail page:
	 * bytes from v4.16 on (makedumpfile reads them so), 16 bits
	 * v4.4..v4.15 (commit f1e61557f023 packed the two into one word and
	 * made the destructor an index).  Older kernels kept them in
	 * page.lru: not read here, so hugetlb pages there are not seen as
	 * user pages, nor compound pages as one.
	 */
	unsigned int w = 0;

	if (kv == 0 || kv >= KV(4, 16))
		w = 1;
	else if (kv >= KV(4, 4))
		w = 2;
	bool have;

	if (w &&
	    (err = page_off(c, "compound_order", w, false, &c->off_order,
			    &have)) == 0 &&
	    have)
		c->order_width = w;
	if (err)
		return err;
	if (w &&
	    (err = page_off(c, "compound_dtor", w, false, &c->off_dtor,
			    &have)) == 0 &&
	    have)
		c->dtor_width = w;
	if (err)
		return err;

	/* PG_* are enum pageflags bits (include/linux/page-flags.h). */
	c->pg_lru = opt_bit(c, "PG_lru");
	c->pg_private = opt_bit(c, "PG_private");
	c->pg_swapcache = opt_bit(c, "PG_swapcache");
	c->pg_swapbacked = opt_bit(c, "PG_swapbacked");
	c->pg_slab = opt_bit(c, "PG_slab");
	c->pg_hwpoison = opt_bit(c, "PG_hwpoison");
	if (kvm_vmcoreinfo_number(v, "PG_head_mask", &n))
		c->head_mask = (uint64_t)n;
	/*
	 * Page types live in _mapcount: PAGE_BUDDY_MAPCOUNT_VALUE since
	 * v2.6.38 (commit ef2b4b95a63a), a page type (~PG_buddy) since v4.18
	 * (commit 6e292b9be7f4); PAGE_OFFLINE_MAPCOUNT_VALUE since v5.0
	 * (commit ca215086b14b).  The 32-bit pattern is compared whole, as
	 * the kernels of those versions give a page one type at a time.
	 */
	if (kvm_vmcoreinfo_number(v, "PAGE_BUDDY_MAPCOUNT_VALUE", &n)) {
		c->have_buddy = true;
		c->buddy_val = (uint32_t)n;
	}
	if (kvm_vmcoreinfo_number(v, "PAGE_OFFLINE_MAPCOUNT_VALUE", &n)) {
		c->have_offline = true;
		c->offline_val = (uint32_t)n;
	}
	/* HUGETLB_PAGE_DTOR: index of free_huge_page(), v4.4 onwards. */
	if (kvm_vmcoreinfo_number(v, "HUGETLB_PAGE_DTOR", &n) && n >= 0 &&
	    c->dtor_width && c->head_mask) {
		c->have_hugetlb = true;
		c->hugetlb_dtor = (uint64_t)n;
	}
	/*
	 * Buddy orders run below MAX_ORDER, the length of zone.free_area
	 * (11 on most configurations; v6.4's commit 23baf831a32c made
	 * MAX_ORDER inclusive, the array length stayed the count).
	 */
	uint64_t len;

	if (kvm_vmcoreinfo_length(v, "zone.free_area", &len) && len >= 1 &&
	    len <= 64)
		c->max_order = len;
	else
		c->max_order = 20;

	/* What the asked classes cannot do without. */
	if ((c->level & (KVM_DUMP_EXCL_CACHE | KVM_DUMP_EXCL_CACHE_PRIVATE)) &&
	    (c->pg_lru < 0 || c->pg_private < 0))
		return kvm_error(c->kd, KVM_ENOTSUP,
				 "dump level %d: VMCOREINFO has no usable "
				 "NUMBER(PG_lru) or NUMBER(PG_private), needed "
				 "for page cache pages",
				 c->level);
	if ((c->level & KVM_DUMP_EXCL_FREE) &&
	    (!c->have_buddy || !c->have_mapcount || !c->have_private))
		return kvm_error(c->kd, KVM_ENOTSUP,
				 "dump level %d: free pages need "
				 "NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE), "
				 "OFFSET(page._mapcount) and OFFSET(page.private)",
				 c->level);
	return 0;
}

/* ------------------------------------------------------ the bitmap */

/* One past the last pfn of range i (a partial last page counts). */
static uint64_t
range_end_pfn(const struct filter_ctx *c, size_t i)
{
	uint64_t e = c->kd->ranges[i].end >> c->page_shift;

	if (c->kd->ranges[i].end & (c->kd->page_size - 1))
		e++;
	return e;
}

/* Set the bits of [pfn, end) that lie in the target's ranges. */
static void
mark(struct filter_ctx *c, enum filter_class cls, uint64_t pfn, uint64_t end)
{
	struct kvm_dump_filter *f = c->f;
	uint64_t n = 0;

	end = KVM_MIN(end, f->npfn);
	/* The ranges are sorted (kvm_memmap_finish()): skip to pfn's. */
	size_t lo_i = 0, hi_i = c->kd->nranges;

	while (lo_i < hi_i) {
		size_t mid = lo_i + (hi_i - lo_i) / 2;

		if (range_end_pfn(c, mid) <= pfn)
			lo_i = mid + 1;
		else
			hi_i = mid;
	}
	for (size_t i = lo_i; i < c->kd->nranges && pfn < end; i++) {
		uint64_t rs = c->kd->ranges[i].start >> c->page_shift;
		uint64_t re = range_end_pfn(c, i);

		if (rs >= end)
			break;
		uint64_t lo = KVM_MAX(pfn, rs), hi = KVM_MIN(end, re);

		for (uint64_t p = lo; p < hi; p++) {
			uint64_t bit = 1ull << (p & 63);

			if (!(f->out[p >> 6] & bit)) {
				f->out[p >> 6] |= bit;
				n++;
			}
		}
	}
	switch (cls) {
	case CLS_CACHE:
		f->n_cache += n;
		break;
	case CLS_CACHE_PRIVATE:
		f->n_cache_private += n;
		break;
	case CLS_USER:
		f->n_user += n;
		break;
	case CLS_FREE:
		f->n_free += n;
		break;
	default:
		c->n_other += n;
		break;
	}
}

/* ---------------------------------------------------- the sections */

/*
 * The decoded mem_map of section nr: the address of the struct page of
 * pfn 0 as if the section's map started there, so that pfn's struct page
 * is at map + pfn * SIZE(page).  The kernel stores it that way
 * (sparse_encode_mem_map(): the map minus the section's first pfn, in
 * struct pages, or'ed with the flags).  False: no map.
 */
static bool
section_map(struct filter_ctx *c, uint64_t nr, uint64_t *map_ret)
{
	if (nr == c->sec_nr) {
		*map_ret = c->sec_map;
		return c->sec_ok;
	}
	c->sec_nr = nr;
	c->sec_ok = false;

	uint8_t one[FILTER_MAX_PAGE_STRUCT];
	const uint8_t *ms;

	if (c->extreme) {
		uint64_t root = nr / c->per_root;

		if (root != c->root_nr) {
			uint8_t ptr[8];
			uint64_t base;

			c->root_nr = root;
			c->root_ok = false;
			read_or_zero(c, c->ms_addr + root * c->ptr_size, ptr,
				     c->ptr_size);
			base = rd_long(c, ptr);
			if (base == 0)
				return false;
			read_or_zero(c, base, c->root_buf,
				     c->per_root * c->ms_size);
			c->root_ok = true;
		}
		if (!c->root_ok)
			return false;
		ms = c->root_buf + (nr % c->per_root) * c->ms_size;
	} else {
		read_or_zero(c, c->ms_addr + nr * c->ms_size, one, c->ms_size);
		ms = one;
	}
	uint64_t raw = rd_long(c, ms + c->ms_map_off);

	if ((raw & (SECTION_MARKED_PRESENT | SECTION_HAS_MEM_MAP)) !=
	    (SECTION_MARKED_PRESENT | SECTION_HAS_MEM_MAP))
		return false;
	c->sec_map = raw & c->map_mask;
	if (c->ptr_size == 4)
		c->sec_map &= 0xffffffffull;
	c->sec_ok = true;
	*map_ret = c->sec_map;
	return true;
}

/* -------------------------------------------------- classification */

static bool
flag(uint64_t flags, int bit)
{
	return bit >= 0 && (flags >> bit & 1);
}

/*
 * makedumpfile's is_cache_page(): on an LRU list, or in the swap cache.
 * PG_swapcache is PG_owner_priv_1, which filesystems use as PG_checked,
 * so it means swap cache only with PG_swapbacked set (v4.10, commit
 * 6326fec1122c) or on kernels without PG_swapbacked.
 */
static bool
is_cache(const struct filter_ctx *c, uint64_t flags)
{
	if (flag(flags, c->pg_lru))
		return true;
	return flag(flags, c->pg_swapcache) &&
	       (c->pg_swapbacked < 0 || flag(flags, c->pg_swapbacked));
}

/*
 * Class the page of pfn (its struct page at p; the next one, its first
 * tail page if it is a compound head, at p + SIZE(page) when has_next),
 * as makedumpfile does, first match wins:
 *   tail page (compound_head bit 0)    skipped: its head decided for it
 *   free (16): a buddy head, _mapcount the buddy page type and not
 *     PG_slab (slab reuses the field); 2^page.private pages
 *   cache (2): is_cache, not PG_private, mapping not anonymous
 *   cache (4): is_cache, mapping not anonymous; PG_private counted apart
 *   user (8): mapping anonymous, or a hugetlbfs page (compound_dtor)
 *   hwpoison (PG_hwpoison), offline (_mapcount PAGE_OFFLINE_MAPCOUNT_VALUE,
 *     not PG_slab): at any level that classifies, as makedumpfile does
 *     whenever it walks struct pages
 * A class other than free covers the compound page, 2^compound_order
 * pages.  Slab, page tables, reserved and kernel pages match nothing and
 * stay.
 */
static void
classify(struct filter_ctx *c, uint64_t pfn, const uint8_t *p, bool has_next)
{
	uint64_t flags = rd_long(c, p + c->off_flags);

	if (c->have_head && (rd_long(c, p + c->off_head) & PAGE_TAIL_BIT))
		return;

	uint64_t mapping = rd_long(c, p + c->off_mapping);
	uint32_t mapcount = c->have_mapcount ? rd_u32(c, p + c->off_mapcount)
					     : 0;
	uint64_t priv = c->have_private ? rd_long(c, p + c->off_private) : 0;
	bool slab = flag(flags, c->pg_slab);
	uint64_t order = 0, dtor = UINT64_MAX;

	if (has_next && c->head_mask && (flags & c->head_mask)) {
		const uint8_t *t = p + c->page_sz;

		if (c->order_width)
			order = rd_small(c, t + c->off_order, c->order_width);
		if (c->dtor_width)
			dtor = rd_small(c, t + c->off_dtor, c->dtor_width);
		/* An order the pfn is not aligned to is not one. */
		if (order >= c->ptr_size * 8 ||
		    (pfn & ((1ull << order) - 1)) != 0)
			order = 0;
	}

	bool anon = mapping & PAGE_MAPPING_ANON;
	int lv = c->level;
	enum filter_class cls;

	if ((lv & KVM_DUMP_EXCL_FREE) && c->have_buddy && !slab &&
	    mapcount == c->buddy_val && priv < c->max_order &&
	    (pfn & ((1ull << priv) - 1)) == 0) {
		/* A free block's head: the block is 2^order pages. */
		mark(c, CLS_FREE, pfn, pfn + (1ull << priv));
		c->skip_to = pfn + (1ull << priv);
		return;
	}
	if ((lv & KVM_DUMP_EXCL_CACHE) && is_cache(c, flags) &&
	    !flag(flags, c->pg_private) && !anon)
		cls = CLS_CACHE;
	else if ((lv & KVM_DUMP_EXCL_CACHE_PRIVATE) && is_cache(c, flags) &&
		 !anon)
		cls = flag(flags, c->pg_private) ? CLS_CACHE_PRIVATE
						 : CLS_CACHE;
	else if ((lv & KVM_DUMP_EXCL_USER) &&
		 (anon || (c->have_hugetlb && dtor == c->hugetlb_dtor)))
		cls = CLS_USER;
	else if (flag(flags, c->pg_hwpoison))
		cls = CLS_OTHER;
	else if (c->have_offline && !slab && mapcount == c->offline_val)
		cls = CLS_OTHER;
	else
		return;
	mark(c, cls, pfn, pfn + (1ull << order));
	c->skip_to = pfn + (1ull << order);
}

/* Fetch the struct pages of the chunk holding pfn (a section's map). */
static void
load_chunk(struct filter_ctx *c, uint64_t pfn, uint64_t map)
{
	uint64_t per_sec = 1ull << c->pfn_section_shift;
	uint64_t n = KVM_MIN((uint64_t)FILTER_CHUNK_PFNS, per_sec);
	uint64_t first = pfn & ~(n - 1);

	if (first == c->chunk_pfn)
		return;
	c->chunk_pfn = first;
	c->chunk_n = n;
	read_or_zero(c, map + first * c->page_sz, c->pages,
		     (size_t)(n * c->page_sz));
}

static void
walk_range(struct filter_ctx *c, uint64_t start, uint64_t end)
{
	uint64_t pfn = start;

	while (pfn < end) {
		if (pfn < c->skip_to) {
			pfn = c->skip_to;
			continue;
		}
		uint64_t nr = pfn >> c->pfn_section_shift;
		uint64_t sec_end = (nr + 1) << c->pfn_section_shift;
		uint64_t map;

		if (nr >= c->nr_sections)
			return;
		if (!section_map(c, nr, &map)) {
			pfn = sec_end;
			continue;
		}
		load_chunk(c, pfn, map);

		uint64_t stop = KVM_MIN(end, c->chunk_pfn + c->chunk_n);

		for (; pfn < stop; pfn++) {
			if (pfn < c->skip_to)
				continue;
			uint64_t i = pfn - c->chunk_pfn;

			classify(c, pfn, c->pages + i * c->page_sz,
				 i + 1 < c->chunk_n);
		}
	}
}

/* -------------------------------------------------------- interface */

int
kvm_dump_filter_init(kvm_t *kd, int level, struct kvm_dump_filter *f)
{
	struct filter_ctx c;
	int err;

	memset(f, 0, sizeof(*f));
	f->level = level;
	if (level & ~KVM_DUMP_LEVEL_MAX)
		return kvm_error(kd, KVM_EINVAL,
				 "dump level %d: levels run from 0 to %d",
				 level, KVM_DUMP_LEVEL_MAX);
	if (!(level & ~KVM_DUMP_EXCL_ZERO))
		return 0;

	memset(&c, 0, sizeof(c));
	c.kd = kd;
	c.f = f;
	c.level = level;
	c.ptr_size = kd->ptr_size == 4 ? 4 : 8;
	c.root_nr = c.sec_nr = c.chunk_pfn = UINT64_MAX;
	if (!kd->vmcoreinfo_text)
		return kvm_error(kd, KVM_ENOTSUP,
				 "dump level %d: the target has no VMCOREINFO, "
				 "so its struct pages cannot be found",
				 level);
	if (kd->page_size < 1024 || (kd->page_size & (kd->page_size - 1)))
		return kvm_error(kd, KVM_ENOTSUP,
				 "dump level %d: the target's page size is "
				 "not known",
				 level);
	c.page_shift = (unsigned int)__builtin_ctz(kd->page_size);
	if ((err = setup_sections(&c)) || (err = setup_pages(&c)))
		return err;

	/*
	 * The bitmap covers pfns up to the end of the highest range, no
	 * further than MAX_PHYSMEM_BITS reach, nor FILTER_MAX_PFNS (pages
	 * above stay in the dump).
	 */
	uint64_t npfn = 0;
	uint64_t reach = c.nr_sections << c.pfn_section_shift;

	for (size_t i = 0; i < kd->nranges; i++)
		npfn = KVM_MAX(npfn, range_end_pfn(&c, i));
	npfn = KVM_MIN(npfn, KVM_MIN(reach, FILTER_MAX_PFNS));
	f->npfn = npfn;
	f->out = calloc((size_t)((npfn + 63) / 64) + 1, sizeof(uint64_t));
	c.root_buf = malloc(kd->page_size);
	c.pages = malloc((size_t)(FILTER_CHUNK_PFNS * c.page_sz));
	if (!f->out || !c.root_buf || !c.pages) {
		err = kvm_error(kd, KVM_ENOMEM,
				"dump level %d: out of memory for a bitmap of "
				"%" PRIu64 " pages",
				level, npfn);
		goto out_free;
	}

	for (size_t i = 0; i < kd->nranges; i++)
		walk_range(&c, kd->ranges[i].start >> c.page_shift,
			   KVM_MIN(range_end_pfn(&c, i), npfn));
	free(c.root_buf);
	free(c.pages);
	return 0;

out_free:
	free(c.root_buf);
	free(c.pages);
	kvm_dump_filter_deinit(f);
	return err;
}

void
kvm_dump_filter_deinit(struct kvm_dump_filter *f)
{
	if (!f)
		return;
	free(f->out);
	f->out = NULL;
	f->npfn = 0;
}
