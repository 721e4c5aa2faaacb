// SPDX-License-Identifier: BSD-2-Clause
/*
 * AArch64 address translation: the VMSAv8-64 stage 1 walk with 4K, 16K and
 * 64K granules, 2 to 5 levels, block mappings and 52-bit output addresses
 * (FEAT_LPA with 64K pages, FEAT_LPA2 with 4K/16K) (Arm ARM DDI 0487, D8).
 * The kernel's root table (swapper_pg_dir), VA size and KASLR offset come
 * from VMCOREINFO (arch/arm64/kernel/crash_core.c, Linux 4.12+).
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

/* The output address of a table, block or page descriptor. */
static uint64_t
desc_addr(const struct aarch64_paging *pg, uint64_t d)
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

/*
 * Blocks: 2 MiB/32 MiB/512 MiB at level 2 with every granule, 1 GiB at
 * level 1 with 4K only.  The larger blocks that LPA/LPA2 add (4K level 0,
 * 16K and 64K level 1) are never written by Linux (pud_sect_supported() is
 * 4K-only, arch/arm64/include/asm/pgtable.h) and count as invalid here.
 */
static bool
block_allowed(const struct aarch64_paging *pg, int lvl)
{
	return lvl == 2 ||
	       (lvl == 1 && pg->page_shift == AARCH64_PAGE_SHIFT_4K);
}

int
aarch64_walk(kvm_t *kd, const struct aarch64_paging *pg, uint64_t root,
	     uint64_t va, bool kernel, uint64_t *pa_ret, uint64_t *len_ret)
{
	int levels = aarch64_levels(pg);

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
	uint64_t table =
		root & ~((8ULL << top_bits) - 1) & AARCH64_PHYS_MASK_52;

	for (int lvl = start;; lvl++) {
		unsigned shift = AARCH64_HW_PGTABLE_LEVEL_SHIFT(ps, lvl);
		unsigned ibits = lvl == start ? top_bits : ps - 3;
		unsigned idx = (va >> shift) & ((1ULL << ibits) - 1);
		const char *name = level_name(lvl, start);
		uint64_t d;
		int err = kd->xlat.read_pte(kd->xlat.arg, table + idx * 8ULL,
					    &d);
		if (err)
			return kvm_error_ctx(kd,
					     "aarch64: reading level %d %s[%u] "
					     "for 0x%" PRIx64,
					     lvl, name, idx, va);
		if (!(d & AARCH64_PTE_VALID))
			return kvm_error(kd, KVM_EFAULT,
					 "aarch64: %s invalid for address "
					 "0x%" PRIx64 ": level %d %s[%u] = "
					 "0x%" PRIx64,
					 name, va, lvl, name, idx, d);
		uint64_t oa = desc_addr(pg, d);
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
			return 0;
		}
		if (!(d & AARCH64_PTE_TABLE_BIT)) {
			if (!block_allowed(pg, lvl))
				return kvm_error(kd, KVM_EFAULT,
						 "aarch64: %s is a block, not "
						 "allowed at level %d with %u "
						 "KiB pages, for address "
						 "0x%" PRIx64 ": level %d "
						 "%s[%u] = 0x%" PRIx64,
						 name, lvl, 1u << (ps - 10),
						 va, lvl, name, idx, d);
			uint64_t size = 1ULL << shift, off = va & (size - 1);
			*pa_ret = (oa & ~(size - 1)) + off;
			*len_ret = size - off;
			return 0;
		}
		table = oa;
	}
}

static int
read_pte_phys(void *arg, uint64_t pa, uint64_t *pte_ret)
{
	kvm_t *kd = arg;
	uint64_t raw;
	size_t done;
	int err = kvm_phys_read(kd, pa, &raw, sizeof(raw), &done);

	if (err)
		return err;
	*pte_ret = kvm_tgt64(kd, raw);
	return 0;
}

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
 * Everything comes from VMCOREINFO (arch_crash_save_vmcoreinfo()):
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
aarch64_init(kvm_t *kd)
{
	const struct kvm_vmcoreinfo *v = &kd->vmci;
	int64_t num;
	uint64_t u, sym;

	kd->xlat.read_pte = read_pte_phys;
	kd->xlat.arg = kd;
	kd->xlat.ready = false;
	if (!kd->vmcoreinfo_text)
		return kvm_error(kd, KVM_ENOTSUP,
				 "the dump has no VMCOREINFO, so the kernel "
				 "page tables (SYMBOL(swapper_pg_dir), "
				 "NUMBER(kimage_voffset), NUMBER(VA_BITS)) "
				 "cannot be found; only physical addresses "
				 "can be read");

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
		kd->kaslr_offset = (int64_t)u;
		kd->kaslr_known = true;
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
	root += ttbr1_offset(pg.page_shift, va_bits, actual);

	struct aarch64_paging *priv = kd->arch_priv;
	if (!priv) {
		priv = malloc(sizeof(*priv));
		if (!priv)
			return kvm_error(kd, KVM_ENOMEM, "out of memory");
		kd->arch_priv = priv;
	}
	*priv = pg;
	kd->page_size = 1u << ps;
	kd->xlat.root = root;
	kd->xlat.levels = aarch64_levels(&pg);
	kd->xlat.ready = true;
	return 0;
}

static int
aarch64_kvatop(kvm_t *kd, uint64_t va, uint64_t *pa_ret, uint64_t *len_ret)
{
	const struct aarch64_paging *pg = kd->arch_priv;

	if (!pg)
		return kvm_error(kd, KVM_ENOTSUP,
				 "aarch64: translation is not set up");
	return aarch64_walk(kd, pg, kd->xlat.root, va, true, pa_ret, len_ret);
}

/*
 * User tables (TTBR0) have the kernel's format and, on Linux, its VA size:
 * TCR_EL1.T0SZ is set from vabits_actual (mmu_context.h, 5.4+).
 */
static int
aarch64_uvatop(kvm_t *kd, uint64_t root, uint64_t va, uint64_t *pa_ret,
	       uint64_t *len_ret)
{
	const struct aarch64_paging *pg = kd->arch_priv;

	if (!pg)
		return kvm_error(kd, KVM_ENOTSUP,
				 "aarch64: translation is not set up");
	return aarch64_walk(kd, pg, root, va, false, pa_ret, len_ret);
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
	.fini = aarch64_fini,
	.flush = NULL, /* no cache of its own: the core's TLB is all */
};
