// SPDX-License-Identifier: BSD-2-Clause
/*
 * x86_64 address translation: 4- and 5-level paging with 2 MiB and 1 GiB
 * pages (Intel SDM vol. 3 ch. 4.5).  The kernel's root table and KASLR
 * offset come from VMCOREINFO (init_top_pgt, phys_base, KERNELOFFSET) or,
 * for dumps without it, from a CPU's CR3 and the kernel image mapping.
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
 * The lowest mapped 2 MiB slot of the kernel image mapping is _text:
 * cleanup_highmap() (arch/x86/mm/init_64.c, since 2.6.26) clears the PMDs
 * below _text, and _text is 2 MiB aligned (CONFIG_PHYSICAL_ALIGN).
 */
static int
find_text(kvm_t *kd, uint64_t root, int levels, uint64_t *text_ret,
	  uint64_t *ops)
{
	for (uint64_t off = 0; off < X86_64_KERNEL_IMAGE_SIZE;
	     off += 1ULL << X86_64_PMD_SHIFT) {
		uint64_t pa, len;
		/* A walk reads up to one entry a level. */
		if (ops && *ops < (uint64_t)levels)
			break;
		if (ops)
			*ops -= (uint64_t)levels;
		if (x86_64_walk(kd, root, levels, X86_64_START_KERNEL_MAP + off,
				&pa, &len) == 0) {
			*text_ret = X86_64_START_KERNEL_MAP + off;
			return 0;
		}
	}
	return kvm_error(kd, KVM_ENODATA,
			 "no kernel image mapping under page-table root "
			 "0x%" PRIx64,
			 root);
}

/* Does "Linux version " appear in the first 64 MiB of the kernel image? */
static bool
banner_in_image(kvm_t *kd, uint64_t root, int levels, uint64_t text,
		uint8_t *chunk, size_t chunksz, uint64_t *ops)
{
	static const char needle[] = "Linux version ";

	for (uint64_t off = 0; off < (64ULL << 20); off += chunksz - 16) {
		uint64_t pos = 0;
		/* Virtual reads through the candidate root, page by page. */
		while (pos < chunksz) {
			uint64_t pa, len;
			/* A walk, and the page it leads to. */
			if (*ops < (uint64_t)levels + 1)
				return false;
			*ops -= (uint64_t)levels + 1;
			if (x86_64_walk(kd, root, levels, text + off + pos, &pa,
					&len) != 0)
				break;
			size_t n = KVM_MIN((uint64_t)(chunksz - pos), len), got;
			if (kvm_phys_read(kd, pa, chunk + pos, n, &got) != 0)
				break;
			pos += n;
		}
		kvm_error_clear(kd);
		if (pos < sizeof(needle))
			continue;
		if (memmem(chunk, pos, needle, sizeof(needle) - 1))
			return true;
	}
	return false;
}

/*
 * No VMCOREINFO and no CR3 (LiME, raw images, stripped dumps): look for
 * the kernel's top-level table in physical memory.  init_top_pgt has an
 * empty user half, a present entry 511 (the kernel image map) and present
 * kernel-half entries (the direct map); the candidate whose image mapping
 * holds the banner wins, tried with 4 and then 5 levels.
 */
#define ROOT_SCAN_CHUNK (1u << 20)
/* Candidate image mappings tried, remembered so that none is tried twice. */
#define ROOT_SCAN_SEEN 64

/*
 * The budget of the scan, in reads (a page-table entry, or a page): twice
 * the pages the file holds for the pass over memory, and room to check
 * a few candidates through their whole 64 MiB of image.  Bytes read, not
 * candidates counted: a file whose every page looks like a root (each
 * leading to 64 MiB of image without a banner) ends in linear time.
 */
static uint64_t
root_scan_ops(const kvm_t *kd)
{
	uint64_t pages = KVM_MAX(kd->core.size, (uint64_t)256 << 20) /
			 X86_64_PAGE_SIZE;
	return 2 * pages + (1ULL << 19);
}

static int
scan_root(kvm_t *kd)
{
	_cleanup_free_ uint8_t *buf = malloc(ROOT_SCAN_CHUNK);
	_cleanup_free_ uint8_t *chunk = malloc(ROOT_SCAN_CHUNK);
	uint64_t ops = root_scan_ops(kd);
	uint64_t seen[ROOT_SCAN_SEEN];
	size_t nseen = 0;

	if (!buf || !chunk)
		return kvm_error(kd, KVM_ENOMEM, "out of memory");
	/*
	 * The scan reads at most what the file can hold (compressed dumps
	 * hold more than their size): ranges a hostile header makes huge
	 * end it, not the other way round.
	 */
	uint64_t budget = KVM_MAX(kd->core.size, (uint64_t)256 << 20);
	budget = budget > (UINT64_MAX >> 3) ? UINT64_MAX : budget << 3;
	for (size_t r = 0; r < kd->nranges && budget; r++) {
		for (uint64_t pa = kd->ranges[r].start;
		     pa < kd->ranges[r].end && budget >= ROOT_SCAN_CHUNK;) {
			size_t got;
			size_t want = KVM_MIN((uint64_t)ROOT_SCAN_CHUNK,
					      kd->ranges[r].end - pa);
			/*
			 * Pages the file does not store (zeros past p_filesz,
			 * excluded pages) hold no page table: skip them, at
			 * the cost of a page of budget.
			 */
			uint64_t run;
			bool held = kvm_phys_held(kd, pa, &run);
			/* Whole pages; a run to the top ends the range. */
			if (run > UINT64_MAX - X86_64_PAGE_SIZE)
				run = UINT64_MAX &
				      ~(uint64_t)(X86_64_PAGE_SIZE - 1);
			run = (run + X86_64_PAGE_SIZE - 1) &
			      ~(uint64_t)(X86_64_PAGE_SIZE - 1);
			if (!held) {
				budget -= X86_64_PAGE_SIZE;
				if (kvm_add_overflow(pa, run, &pa))
					break;
				continue;
			}
			budget -= ROOT_SCAN_CHUNK;
			want = (size_t)KVM_MIN((uint64_t)want, run);
			if (ops < want / X86_64_PAGE_SIZE + 1)
				break;
			ops -= want / X86_64_PAGE_SIZE + 1;
			kvm_phys_read(kd, pa, buf, want, &got);
			kvm_error_clear(kd);
			for (size_t p = 0; p + X86_64_PAGE_SIZE <= got;
			     p += X86_64_PAGE_SIZE) {
				const uint64_t *e = (const uint64_t *)(buf + p);
				uint64_t top = kvm_tgt64(kd, e[511]);
				if (!(top & X86_64_PAGE_PRESENT) ||
				    (top & X86_64_PAGE_PSE))
					continue;
				bool user_empty = true, kernel = false;
				for (int i = 0; i < 256 && user_empty; i++)
					user_empty = e[i] == 0;
				for (int i = 256; i < 511 && !kernel; i++)
					kernel = kvm_tgt64(kd, e[i]) &
						 X86_64_PAGE_PRESENT;
				if (!user_empty || !kernel)
					continue;
				/*
				 * The image mapping hangs off entry 511
				 * alone: a table whose entry 511 was tried
				 * already maps the same image.
				 */
				bool tried = false;
				for (size_t i = 0; i < nseen && !tried; i++)
					tried = seen[i] == top;
				if (tried)
					continue;
				if (nseen < ROOT_SCAN_SEEN)
					seen[nseen++] = top;
				for (int levels = 4; levels <= 5; levels++) {
					uint64_t text = 0;
					if (find_text(kd, pa + p, levels, &text,
						      &ops) ||
					    !banner_in_image(kd, pa + p, levels,
							     text, chunk,
							     ROOT_SCAN_CHUNK,
							     &ops))
						continue;
					kvm_error_clear(kd);
					kd->xlat.root = pa + p;
					kd->xlat.levels = levels;
					kd->xlat.ready = true;
					return 0;
				}
				kvm_error_clear(kd);
			}
			if (kvm_add_overflow(pa, want, &pa))
				break;
		}
	}
	return kvm_error(kd, KVM_ENODATA,
			 "no kernel page tables found in physical memory");
}

static int
x86_64_init(kvm_t *kd)
{
	const struct kvm_vmcoreinfo *v = &kd->vmci;
	bool have_vmci = kd->vmcoreinfo_text != NULL;
	int64_t num;
	uint64_t sym, hex;

	kd->xlat.read_pte = read_pte_phys;
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
	/* Paging depth: VMCOREINFO (4.14+), else CR4.LA57 of a CPU note. */
	kd->xlat.levels = 4;
	bool l5_known = have_vmci &&
			kvm_vmcoreinfo_number(v, "pgtable_l5_enabled", &num);
	if (l5_known && num != 0 && num != 1) {
		/* The kernel writes 0 or 1 (pgtable_l5_enabled()). */
		kvm_warn(kd,
			 "VMCOREINFO pgtable_l5_enabled=%" PRId64
			 " ignored (not 0 or 1)",
			 num);
		l5_known = false;
	}
	if (l5_known) {
		kd->xlat.levels = num ? 5 : 4;
	} else {
		for (size_t i = 0; i < kd->ncpus; i++)
			if (kd->cpus[i].have_cr) {
				if (kd->cpus[i].cr4 & X86_64_CR4_LA57)
					kd->xlat.levels = 5;
				break;
			}
	}

	if (have_vmci && kvm_vmcoreinfo_hex(v, "KERNELOFFSET", &hex)) {
		/*
		 * KASLR moves the kernel inside its 1 GiB image mapping, by
		 * whole pages (CONFIG_PHYSICAL_ALIGN): anything else is not
		 * an offset the kernel could have had.
		 */
		if (hex >= X86_64_KERNEL_IMAGE_SIZE ||
		    (hex & (X86_64_PAGE_SIZE - 1))) {
			kvm_warn(kd,
				 "VMCOREINFO KERNELOFFSET=%" PRIx64
				 " ignored (not in x86_64's KASLR range)",
				 hex);
		} else {
			kd->kaslr_offset = (int64_t)hex;
			kd->kaslr_known = true;
		}
	}

	/*
	 * Root from the symbol: init_top_pgt lies in the kernel image, whose
	 * physical address is va - __START_KERNEL_map + phys_base (phys_base
	 * in VMCOREINFO since 4.10, commit 401721ecd1dc).
	 */
	if (have_vmci &&
	    (kvm_vmcoreinfo_symbol(v, "init_top_pgt", &sym) ||
	     kvm_vmcoreinfo_symbol(v, "swapper_pg_dir", &sym)) &&
	    kvm_vmcoreinfo_number(v, "phys_base", &num)) {
		kd->xlat.root = sym - X86_64_START_KERNEL_MAP + (uint64_t)num;
		kd->xlat.ready = true;
	} else {
		/*
		 * Any CPU's CR3 maps the kernel.  With page-table isolation a
		 * CPU stopped in user mode holds the user half of an 8 KiB
		 * pgd pair (bit 12 set): try the kernel half first.
		 */
		for (size_t i = 0; i < kd->ncpus && !kd->xlat.ready; i++) {
			if (!kd->cpus[i].have_cr || !kd->cpus[i].cr3)
				continue;
			uint64_t cr3 = kd->cpus[i].cr3 & X86_64_PTE_PFN_MASK;
			uint64_t cand[2] = { cr3 & ~X86_64_PAGE_SIZE, cr3 };
			for (int c = 0; c < 2 && !kd->xlat.ready; c++) {
				uint64_t text = 0;
				if (find_text(kd, cand[c], kd->xlat.levels,
					      &text, NULL) == 0) {
					kd->xlat.root = cand[c];
					kd->xlat.ready = true;
				}
			}
		}
		kvm_error_clear(kd);
		bool from_cpu = kd->xlat.ready;
		if (!kd->xlat.ready && scan_root(kd) == 0) {
			/* Found in memory: its depth is the one that worked. */
		} else if (!from_cpu) {
			return kvm_error(kd, KVM_ENOTSUP,
					 "no page-table root: %s, no CPU note "
					 "with a usable CR3, and none found in "
					 "memory",
					 have_vmci
						 ? "VMCOREINFO lacks a usable "
						   "SYMBOL(init_top_pgt) or "
						   "NUMBER(phys_base)"
						 : "the dump has no VMCOREINFO");
		}
	}

	if (!kd->kaslr_known) {
		uint64_t text = 0;
		int err = find_text(kd, kd->xlat.root, kd->xlat.levels, &text,
				    NULL);
		if (err == 0) {
			kd->kaslr_offset =
				(int64_t)(text - X86_64_START_KERNEL);
			kd->kaslr_known = true;
		}
		kvm_error_clear(kd);
	}
	if (have_vmci && kvm_vmcoreinfo_symbol(v, "_stext", &sym))
		kd->xlat.ktext_start = sym;
	else if (kd->kaslr_known)
		kd->xlat.ktext_start = X86_64_START_KERNEL + kd->kaslr_offset;
	/* TASK_SIZE_MAX: 47 or 56 bits of user addresses. */
	kd->xlat.user_end = 1ULL << (kd->xlat.levels == 5 ? 56 : 47);
	return 0;
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
