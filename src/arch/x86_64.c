// SPDX-License-Identifier: BSD-2-Clause
/*
 * x86_64 address translation: 4- and 5-level paging with 2 MiB and 1 GiB
 * pages (Intel SDM vol. 3 ch. 4.5), over page tables read through
 * kd->xlat.read_pte.  Where the tables and the kernel are comes from
 * x86_64_locate.c.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "x86_64.h"

static const char *const level_names[6] = {
	[1] = "pte", [2] = "pmd", [3] = "pud", [4] = "p4d", [5] = "pgd",
};

static bool
canonical(uint64_t va, int levels)
{
	int bits = levels == 5 ? 57 : 48;
	int64_t s = (int64_t)(va << (64 - bits)) >> (64 - bits);

	return (uint64_t)s == va;
}

/*
 * A user PTE that is not present (arch/x86/include/asm/pgtable_64.h):
 * with _PAGE_PROTNONE (bit 8, the global bit, which user pages never
 * have) it maps a page all the same (PROT_NONE, NUMA hinting); otherwise,
 * when not 0, it is a swap entry: type in bits 59-63, and the slot in
 * bits 9-58, stored inverted since the L1TF mitigation (4.18, and its
 * stable backports), so that the entry never points at real memory.
 */
#define X86_64_PAGE_PROTNONE (1ULL << 8)
#define X86_64_SWP_TYPE_SHIFT 59
#define X86_64_SWP_OFFSET_SHIFT 9
#define X86_64_SWP_OFFSET_BITS 50

static int
user_not_present(uint64_t va, uint64_t pte, uint64_t *pa_ret, uint64_t *len_ret,
		 struct kvm_swp_entry *swp)
{
	uint64_t off = va & (X86_64_PAGE_SIZE - 1);

	if (pte & X86_64_PAGE_PROTNONE) {
		*pa_ret = (pte & X86_64_PTE_PFN_MASK) + off;
		*len_ret = X86_64_PAGE_SIZE - off;
		return 0;
	}
	swp->pte = pte;
	swp->type = (unsigned)(pte >> X86_64_SWP_TYPE_SHIFT);
	swp->offset = (~pte >> X86_64_SWP_OFFSET_SHIFT) &
		      ((1ULL << X86_64_SWP_OFFSET_BITS) - 1);
	*pa_ret = 0;
	*len_ret = X86_64_PAGE_SIZE - off;
	return KVM_UVA_SWAP;
}

/* XD: no instruction fetch through this entry (any level). */
#define X86_64_PAGE_NX (1ULL << 63)

/* nx_ret (may be NULL): some level of the mapping forbids execution. */
static int
walk(kvm_t *kd, uint64_t root, int levels, uint64_t va, uint64_t *pa_ret,
     uint64_t *len_ret, uint64_t *pmd_ret, struct kvm_swp_entry *swp,
     bool *nx_ret)
{
	uint64_t table = root & X86_64_PTE_PFN_MASK;
	bool nx = false;

	if (levels != 4 && levels != 5)
		return kvm_error(kd, KVM_EINVAL, "x86_64: %d-level paging",
				 levels);
	if (!canonical(va, levels))
		return kvm_error(kd, KVM_EFAULT,
				 "x86_64: address 0x%" PRIx64
				 " is not canonical (%d-level paging)",
				 va, levels);
	for (int lvl = levels; lvl >= 1; lvl--) {
		int shift = X86_64_PAGE_SHIFT + 9 * (lvl - 1);
		unsigned idx = (va >> shift) & (X86_64_PTRS_PER_TABLE - 1);
		/* With 4 levels the top table is the pgd, p4d is folded. */
		const char *name = lvl == levels ? "pgd" : level_names[lvl];
		uint64_t pte;
		int err =
			kd->xlat.read_pte(kd->xlat.arg, table + idx * 8, &pte);
		if (err) {
			/* The table does not read: nor does all it maps. */
			if (shift + 9 < 64)
				kd->xlat.hole_last =
					va | ((1ULL << (shift + 9)) - 1);
			return kvm_error_ctx(kd,
					     "x86_64: reading %s[%u] for 0x%" PRIx64,
					     name, idx, va);
		}
		if (!(pte & X86_64_PAGE_PRESENT) && swp && lvl == 1 && pte)
			return user_not_present(va, pte, pa_ret, len_ret, swp);
		if (!(pte & X86_64_PAGE_PRESENT)) {
			kd->xlat.hole_last = va | ((1ULL << shift) - 1);
			return kvm_error(kd, KVM_EFAULT,
					 "x86_64: %s not present for address "
					 "0x%" PRIx64 ": %s[%u] = 0x%" PRIx64,
					 name, va, name, idx, pte);
		}
		if (lvl == 2 && pmd_ret)
			*pmd_ret = pte;
		nx |= (pte & X86_64_PAGE_NX) != 0;
		if ((lvl == 3 || lvl == 2) && (pte & X86_64_PAGE_PSE)) {
			uint64_t mask = lvl == 3 ? X86_64_PUD_PAGE_MASK
						 : X86_64_PMD_PAGE_MASK;
			uint64_t size = 1ULL << shift;
			uint64_t off = va & (size - 1);
			*pa_ret = (pte & mask) + off;
			*len_ret = size - off;
			if (nx_ret)
				*nx_ret = nx;
			return 0;
		}
		table = pte & X86_64_PTE_PFN_MASK;
	}
	uint64_t off = va & (X86_64_PAGE_SIZE - 1);
	*pa_ret = table + off;
	*len_ret = X86_64_PAGE_SIZE - off;
	if (nx_ret)
		*nx_ret = nx;
	return 0;
}

int
x86_64_walk(kvm_t *kd, uint64_t root, int levels, uint64_t va, uint64_t *pa_ret,
	    uint64_t *len_ret)
{
	return walk(kd, root, levels, va, pa_ret, len_ret, NULL, NULL, NULL);
}

/*
 * Kernel walks go through a cache of PMD entries (one per 2 MiB of
 * virtual space, direct-mapped): a hit costs one PTE read for a 4 KiB page
 * and none for a 2 MiB one, instead of four or five.  Random reads over
 * the direct map are the case it is for.
 */
#define PMD_CACHE_SIZE 1024

struct x86_64_priv {
	struct {
		uint64_t tag; /* (va >> 21) + 1; 0: empty */
		uint64_t pmd;
	} pmdc[PMD_CACHE_SIZE];
};

static void
x86_64_flush(kvm_t *kd)
{
	struct x86_64_priv *p = kd->arch_priv;

	if (p)
		memset(p->pmdc, 0, sizeof(p->pmdc));
}

static void
x86_64_fini(kvm_t *kd)
{
	free(kd->arch_priv);
	kd->arch_priv = NULL;
}

static int
x86_64_init(kvm_t *kd)
{
	kd->xlat.read_pte = kvm_read_pte_phys;
	kd->xlat.arg = kd;
	/* The PMD cache is an optimisation: without memory, walk fully. */
	if (!kd->arch_priv)
		kd->arch_priv = calloc(1, sizeof(struct x86_64_priv));
	if (!kd->page_size)
		kd->page_size = X86_64_PAGE_SIZE;

	/* x86_64 has 4 KiB pages: a VMCOREINFO saying else is wrong. */
	if (kd->page_size != X86_64_PAGE_SIZE) {
		kvm_warn(kd, "page size %u ignored (x86_64's is 4096)",
			 kd->page_size);
		kd->page_size = X86_64_PAGE_SIZE;
	}
	return x86_64_locate(kd);
}

static int
x86_64_kvatop(kvm_t *kd, uint64_t va, uint64_t *pa_ret, uint64_t *len_ret)
{
	struct x86_64_priv *p = kd->arch_priv;
	uint64_t tag = (va >> X86_64_PMD_SHIFT) + 1, pmd = 0;

	if (!p)
		return walk(kd, kd->xlat.root, kd->xlat.levels, va, pa_ret,
			    len_ret, NULL, NULL, NULL);
	typeof(p->pmdc[0]) *e =
		&p->pmdc[(va >> X86_64_PMD_SHIFT) % PMD_CACHE_SIZE];
	if (e->tag == tag) {
		if (e->pmd & X86_64_PAGE_PSE) {
			uint64_t off = va & ((1ULL << X86_64_PMD_SHIFT) - 1);
			*pa_ret = (e->pmd & X86_64_PMD_PAGE_MASK) + off;
			*len_ret = (1ULL << X86_64_PMD_SHIFT) - off;
			return 0;
		}
		unsigned idx = (va >> X86_64_PAGE_SHIFT) &
			       (X86_64_PTRS_PER_TABLE - 1);
		uint64_t pte;
		int err = kd->xlat.read_pte(kd->xlat.arg,
					    (e->pmd & X86_64_PTE_PFN_MASK) +
						    idx * 8,
					    &pte);
		if (!err && (pte & X86_64_PAGE_PRESENT)) {
			uint64_t off = va & (X86_64_PAGE_SIZE - 1);
			*pa_ret = (pte & X86_64_PTE_PFN_MASK) + off;
			*len_ret = X86_64_PAGE_SIZE - off;
			return 0;
		}
		/* Not present or unreadable: the full walk says why. */
	}
	int err = walk(kd, kd->xlat.root, kd->xlat.levels, va, pa_ret, len_ret,
		       &pmd, NULL, NULL);
	if (!err && pmd) {
		e->tag = tag;
		e->pmd = pmd;
	}
	return err;
}

static int
x86_64_uvatop(kvm_t *kd, uint64_t root, uint64_t va, uint64_t *pa_ret,
	      uint64_t *len_ret, struct kvm_swp_entry *swp)
{
	return walk(kd, root, kd->xlat.levels, va, pa_ret, len_ret, NULL, swp,
		    NULL);
}

static int
x86_64_kva_exec(kvm_t *kd, uint64_t va, bool *exec_ret, uint64_t *len_ret)
{
	uint64_t pa;
	bool nx = false;
	int err = walk(kd, kd->xlat.root, kd->xlat.levels, va, &pa, len_ret,
		       NULL, NULL, &nx);

	*exec_ret = !nx;
	return err;
}

const struct kvm_arch_ops kvm_arch_x86_64 = {
	.name = "x86_64",
	.e_machine = 62, /* EM_X86_64 */
	.ptr_size = 8,
	.big_endian = false,
	.init = x86_64_init,
	.kvatop = x86_64_kvatop,
	.uvatop = x86_64_uvatop,
	.kva_exec = x86_64_kva_exec,
	.fini = x86_64_fini,
	.flush = x86_64_flush,
};
