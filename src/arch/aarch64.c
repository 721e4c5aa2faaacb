// SPDX-License-Identifier: BSD-2-Clause
/*
 * AArch64 address translation: the VMSAv8-64 stage 1 walk with 4K, 16K and
 * 64K granules, 2 to 5 levels, block mappings and 52-bit output addresses
 * (FEAT_LPA with 64K pages, FEAT_LPA2 with 4K/16K) (Arm ARM DDI 0487, D8),
 * over page tables read through kd->xlat.read_pte.  Where the tables and
 * the kernel are comes from aarch64_locate.c.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "aarch64.h"

/*
 * Linux names its tables by what they map, whatever the level: the first
 * table is always the pgd, and a level above it is folded away.
 */
static const char *
level_name(int lvl, int start)
{
	static const char *const names[4] = { "p4d", "pud", "pmd", "pte" };

	return lvl == start ? "pgd" : names[lvl];
}

int
aarch64_levels(const struct aarch64_paging *pg)
{
	unsigned ps = pg->page_shift;

	if (ps != AARCH64_PAGE_SHIFT_4K && ps != AARCH64_PAGE_SHIFT_16K &&
	    ps != AARCH64_PAGE_SHIFT_64K)
		return 0;
	if (pg->va_bits < AARCH64_VA_BITS_MIN ||
	    pg->va_bits > AARCH64_VA_BITS_MAX)
		return 0;
	/*
	 * LPA2 exists for 4K and 16K granules only, and a 4K or 16K granule
	 * reaches beyond 48-bit VAs only with it (64K uses FEAT_LVA).
	 */
	if (pg->lpa2 ? ps == AARCH64_PAGE_SHIFT_64K
		     : ps != AARCH64_PAGE_SHIFT_64K &&
			       pg->va_bits > AARCH64_VA_BITS_NO_LPA2_MAX)
		return 0;
	int levels = AARCH64_HW_PGTABLE_LEVELS(ps, (int)pg->va_bits);
	/* Linux has at least two levels (CONFIG_PGTABLE_LEVELS >= 2). */
	return levels >= 2 ? levels : 0;
}

uint64_t
aarch64_desc_addr(const struct aarch64_paging *pg, uint64_t d)
{
	unsigned ps = pg->page_shift;

	if (ps == AARCH64_PAGE_SHIFT_64K)
		return (d & AARCH64_PTE_ADDR_LOW_48(ps)) |
		       ((d & AARCH64_PTE_ADDR_HIGH_64K)
			<< AARCH64_PTE_ADDR_HIGH_SHIFT_64K);
	if (pg->lpa2)
		return (d & AARCH64_PTE_ADDR_LOW_50(ps)) |
		       ((d & AARCH64_PTE_ADDR_HIGH_LPA2)
			<< AARCH64_PTE_ADDR_HIGH_SHIFT_LPA2);
	return d & AARCH64_PTE_ADDR_LOW_48(ps);
}

bool
aarch64_block_allowed(const struct aarch64_paging *pg, int lvl)
{
	return lvl == 2 ||
	       (lvl == 1 && pg->page_shift == AARCH64_PAGE_SHIFT_4K);
}

#define AARCH64_PTE_PXN (1ULL << 53)
#define AARCH64_TABLE_PXN (1ULL << 59)

/*
 * A last-level user entry with the valid bit clear
 * (arch/arm64/include/asm/pgtable.h, "Encode and decode a swap entry"):
 *   - PROT_NONE pages stay mapped with a software bit: PTE_PROT_NONE,
 *     bit 58, until 6.10, whose "arm64/mm: Move PTE_PRESENT_INVALID to
 *     overlay PTE_NG" makes it bit 11 (PTE_PRESENT_INVALID).
 *   - Otherwise a swap entry: type in bits 2-7 and offset in 8-57 before
 *     5.19; type 3-7 from 5.19 (570ef363509b "arm64/pgtable: support
 *     __HAVE_ARCH_PTE_SWP_EXCLUSIVE" takes bit 2); type 6-10 and offset
 *     12-61 from 6.10.
 */
static int
user_invalid(kvm_t *kd, const struct aarch64_paging *pg, uint64_t va,
	     uint64_t d, uint64_t *pa_ret, uint64_t *len_ret,
	     struct kvm_swp_entry *swp)
{
	uint32_t kver = kd->xlat.kver;
	uint64_t size = 1ULL << pg->page_shift, off = va & (size - 1);
	const uint64_t off_mask = (1ULL << 50) - 1;

	if (kver < KVM_KVER(1, 0))
		return kvm_error(kd, KVM_ENOTSUP,
				 "aarch64: user address 0x%" PRIx64 " has no "
				 "page (entry 0x%" PRIx64 "), and the kernel "
				 "release that tells how to read the entry "
				 "is not known",
				 va, d);
	bool new = kver >= KVM_KVER(6, 10);
	if (d & (new ? 1ULL << 11 : 1ULL << 58)) {
		*pa_ret = aarch64_desc_addr(pg, d) + off;
		*len_ret = size - off;
		return 0;
	}
	swp->pte = d;
	if (new) {
		swp->type = (unsigned)(d >> 6) & 0x1f;
		swp->offset = (d >> 12) & off_mask;
	} else {
		swp->type = kver >= KVM_KVER(5, 19) ? (unsigned)(d >> 3) & 0x1f
						    : (unsigned)(d >> 2) & 0x3f;
		swp->offset = (d >> 8) & off_mask;
	}
	*pa_ret = 0;
	*len_ret = size - off;
	return KVM_UVA_SWAP;
}

int
aarch64_walk_info(kvm_t *kd, const struct aarch64_paging *pg, uint64_t root,
		  uint64_t va, bool kernel, uint64_t *pa_ret, uint64_t *len_ret,
		  struct aarch64_walk_info *wi)
{
	int levels = aarch64_levels(pg);
	struct aarch64_walk_info dummy;

	if (!wi) {
		wi = &dummy;
		dummy.swp = NULL;
	}
	wi->level = 0;
	wi->span = 0;
	wi->l2desc = 0;
	wi->pxn = false;

	if (!levels)
		return kvm_error(kd, KVM_EINVAL,
				 "aarch64: no %u-bit VA translation with %u "
				 "KiB pages%s",
				 pg->va_bits, (1u << pg->page_shift) >> 10,
				 pg->lpa2 ? " and LPA2" : "");

	/*
	 * TTBR1 maps the addresses whose bits 63:va_bits are all ones, TTBR0
	 * those where they are all zeros (after the ignored top byte).
	 */
	unsigned vb = pg->va_bits;
	uint64_t hi = kernel ? va >> vb : (va & AARCH64_TBI_MASK) >> vb;
	if (hi != (kernel ? ~0ULL >> vb : 0))
		return kvm_error(kd, KVM_EFAULT,
				 "aarch64: address 0x%" PRIx64
				 " is outside the %u-bit %s half (%s)",
				 va, vb, kernel ? "kernel" : "user",
				 kernel ? "TTBR1" : "TTBR0");

	unsigned ps = pg->page_shift;
	int start = 4 - levels;
	unsigned top_bits = vb - AARCH64_HW_PGTABLE_LEVEL_SHIFT(ps, start);
	/* The first table is aligned to its size, as TTBRn_EL1.BADDR. */
	uint64_t table = root & ~((8ULL << top_bits) - 1) &
			 AARCH64_PHYS_MASK_52;

	for (int lvl = start;; lvl++) {
		unsigned shift = AARCH64_HW_PGTABLE_LEVEL_SHIFT(ps, lvl);
		unsigned ibits = lvl == start ? top_bits : ps - 3;
		unsigned idx = (va >> shift) & ((1ULL << ibits) - 1);
		const char *name = level_name(lvl, start);
		uint64_t d;
		wi->level = lvl;
		wi->span = 1ULL << shift;
		int err =
			kd->xlat.read_pte(kd->xlat.arg, table + idx * 8ULL, &d);
		if (err) {
			/* The table does not read: nor does all it maps. */
			if (kernel && shift + ibits < 64)
				kd->xlat.hole_last =
					va | ((1ULL << (shift + ibits)) - 1);
			return kvm_error_ctx(kd,
					     "aarch64: reading level %d %s[%u] "
					     "for 0x%" PRIx64,
					     lvl, name, idx, va);
		}
		if (!(d & AARCH64_PTE_VALID) && !kernel && wi->swp &&
		    lvl == 3 && d)
			return user_invalid(kd, pg, va, d, pa_ret, len_ret,
					    wi->swp);
		if (!(d & AARCH64_PTE_VALID) && kernel)
			kd->xlat.hole_last = va | (wi->span - 1);
		if (!(d & AARCH64_PTE_VALID))
			return kvm_error(kd, KVM_EFAULT,
					 "aarch64: %s invalid for address "
					 "0x%" PRIx64 ": level %d %s[%u] = "
					 "0x%" PRIx64,
					 name, va, lvl, name, idx, d);
		uint64_t oa = aarch64_desc_addr(pg, d);
		if (lvl == 2 && ((d & AARCH64_PTE_TABLE_BIT) ||
				 aarch64_block_allowed(pg, lvl)))
			wi->l2desc = d;
		if (lvl == 3) {
			if ((d & AARCH64_PTE_TYPE_MASK) !=
			    AARCH64_PTE_TYPE_PAGE)
				return kvm_error(kd, KVM_EFAULT,
						 "aarch64: %s reserved (type "
						 "0b01) for address 0x%" PRIx64
						 ": level %d %s[%u] = "
						 "0x%" PRIx64,
						 name, va, lvl, name, idx, d);
			uint64_t size = 1ULL << ps, off = va & (size - 1);
			*pa_ret = oa + off;
			*len_ret = size - off;
			wi->pxn |= (d & AARCH64_PTE_PXN) != 0;
			return 0;
		}
		if (!(d & AARCH64_PTE_TABLE_BIT)) {
			if (!aarch64_block_allowed(pg, lvl))
				return kvm_error(kd, KVM_EFAULT,
						 "aarch64: %s is a block, not "
						 "allowed at level %d with %u "
						 "KiB pages, for address "
						 "0x%" PRIx64 ": level %d "
						 "%s[%u] = 0x%" PRIx64,
						 name, lvl, 1u << (ps - 10), va,
						 lvl, name, idx, d);
			uint64_t size = 1ULL << shift, off = va & (size - 1);
			*pa_ret = (oa & ~(size - 1)) + off;
			*len_ret = size - off;
			wi->pxn |= (d & AARCH64_PTE_PXN) != 0;
			return 0;
		}
		wi->pxn |= (d & AARCH64_TABLE_PXN) != 0;
		table = oa;
	}
}

int
aarch64_walk(kvm_t *kd, const struct aarch64_paging *pg, uint64_t root,
	     uint64_t va, bool kernel, uint64_t *pa_ret, uint64_t *len_ret)
{
	return aarch64_walk_info(kd, pg, root, va, kernel, pa_ret, len_ret,
				 NULL);
}

/*
 * The handle's state: the paging configuration (first: kd->arch_priv is
 * used as a struct aarch64_paging *) and a cache of level-2 descriptors
 * of kernel walks, one per level-2 span (2 MiB with 4K pages), so a
 * random read over a page-mapped linear map (rodata=full) costs one
 * descriptor read instead of four.
 */
#define L2_CACHE_SIZE 1024

struct aarch64_priv {
	struct aarch64_paging pg;
	struct {
		uint64_t tag; /* (va >> level-2 shift) + 1; 0: empty */
		uint64_t desc;
	} l2c[L2_CACHE_SIZE];
};

/* Make pg and root the kernel's translation. */
static int
commit(kvm_t *kd, const struct aarch64_paging *pg, uint64_t root)
{
	struct aarch64_priv *priv = kd->arch_priv;

	if (!priv) {
		priv = calloc(1, sizeof(*priv));
		if (!priv)
			return kvm_error(kd, KVM_ENOMEM, "out of memory");
		kd->arch_priv = priv;
	}
	priv->pg = *pg;
	memset(priv->l2c, 0, sizeof(priv->l2c));
	kd->page_size = 1u << pg->page_shift;
	kd->xlat.root = root;
	kd->xlat.levels = aarch64_levels(pg);
	kd->xlat.ready = true;
	/* TTBR0's range: user addresses are below 2^va_bits. */
	kd->xlat.user_end = 1ULL << pg->va_bits;
	return 0;
}

static int
aarch64_init(kvm_t *kd)
{
	struct aarch64_paging pg = { 0 };
	uint64_t root = 0;
	int err;

	kd->xlat.read_pte = kvm_read_pte_phys;
	kd->xlat.arg = kd;
	kd->xlat.ready = false;
	if ((err = aarch64_locate(kd, &pg, &root)))
		return err;
	return commit(kd, &pg, root);
}

static int
aarch64_kvatop(kvm_t *kd, uint64_t va, uint64_t *pa_ret, uint64_t *len_ret)
{
	struct aarch64_priv *p = kd->arch_priv;

	if (!p)
		return kvm_error(kd, KVM_ENOTSUP,
				 "aarch64: translation is not set up");
	const struct aarch64_paging *pg = &p->pg;
	unsigned ps = pg->page_shift;
	unsigned s2 = AARCH64_HW_PGTABLE_LEVEL_SHIFT(ps, 2);
	uint64_t tag = (va >> s2) + 1;
	typeof(p->l2c[0]) *e = &p->l2c[(va >> s2) % L2_CACHE_SIZE];

	/* Only addresses a full walk accepted are ever cached. */
	if (e->tag == tag) {
		uint64_t d = e->desc, oa = aarch64_desc_addr(pg, d);
		if (!(d & AARCH64_PTE_TABLE_BIT)) {
			uint64_t size = 1ULL << s2, off = va & (size - 1);
			*pa_ret = (oa & ~(size - 1)) + off;
			*len_ret = size - off;
			return 0;
		}
		uint64_t idx = (va >> ps) & ((1ULL << (ps - 3)) - 1), pte;
		if (kd->xlat.read_pte(kd->xlat.arg, oa + idx * 8, &pte) == 0 &&
		    (pte & AARCH64_PTE_VALID) &&
		    (pte & AARCH64_PTE_TYPE_MASK) == AARCH64_PTE_TYPE_PAGE) {
			uint64_t size = 1ULL << ps, off = va & (size - 1);
			*pa_ret = aarch64_desc_addr(pg, pte) + off;
			*len_ret = size - off;
			return 0;
		}
		/* Invalid or unreadable: the full walk says why. */
	}
	struct aarch64_walk_info wi = { 0 };
	int err = aarch64_walk_info(kd, pg, kd->xlat.root, va, true, pa_ret,
				    len_ret, &wi);
	if (!err && wi.l2desc) {
		e->tag = tag;
		e->desc = wi.l2desc;
	}
	return err;
}

static void
aarch64_flush(kvm_t *kd)
{
	struct aarch64_priv *p = kd->arch_priv;

	if (p)
		memset(p->l2c, 0, sizeof(p->l2c));
}

/*
 * User tables (TTBR0) have the kernel's format and, on Linux, its VA size:
 * TCR_EL1.T0SZ is set from vabits_actual (mmu_context.h, 5.4+).
 */
static int
aarch64_uvatop(kvm_t *kd, uint64_t root, uint64_t va, uint64_t *pa_ret,
	       uint64_t *len_ret, struct kvm_swp_entry *swp)
{
	const struct aarch64_paging *pg = kd->arch_priv;
	struct aarch64_walk_info wi = { .swp = swp };

	if (!pg)
		return kvm_error(kd, KVM_ENOTSUP,
				 "aarch64: translation is not set up");
	return aarch64_walk_info(kd, pg, root, va, false, pa_ret, len_ret, &wi);
}

static int
aarch64_kva_exec(kvm_t *kd, uint64_t va, bool *exec_ret, uint64_t *len_ret)
{
	const struct aarch64_priv *p = kd->arch_priv;
	struct aarch64_walk_info wi = { 0 };
	uint64_t pa;

	*exec_ret = false;
	if (!p)
		return kvm_error(kd, KVM_ENOTSUP,
				 "aarch64: translation is not set up");
	int err = aarch64_walk_info(kd, &p->pg, kd->xlat.root, va, true, &pa,
				    len_ret, &wi);
	*exec_ret = !err && !wi.pxn;
	return err;
}

static void
aarch64_fini(kvm_t *kd)
{
	free(kd->arch_priv);
	kd->arch_priv = NULL;
}

const struct kvm_arch_ops kvm_arch_aarch64 = {
	.name = "aarch64",
	.e_machine = AARCH64_EM_AARCH64,
	.ptr_size = 8,
	.big_endian = false, /* aarch64_be dumps: the format sets the order */
	.init = aarch64_init,
	.kvatop = aarch64_kvatop,
	.uvatop = aarch64_uvatop,
	.kva_exec = aarch64_kva_exec,
	.fini = aarch64_fini,
	.flush = aarch64_flush,
};
