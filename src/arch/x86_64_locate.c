// SPDX-License-Identifier: BSD-2-Clause
/*
 * Where an x86_64 kernel is: its paging depth, page-table root and KASLR
 * offset, from VMCOREINFO (pgtable_l5_enabled, init_top_pgt, phys_base,
 * KERNELOFFSET) or, for dumps without it, from a CPU's CR3 and CR4 and the
 * kernel image mapping found in memory.  Translation itself is x86_64.c.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "x86_64.h"

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

/* Paging depth: VMCOREINFO (4.14+), else CR4.LA57 of a CPU note. */
static void
locate_levels(kvm_t *kd)
{
	bool l5_known = false;
	int64_t num = 0;

	kd->xlat.levels = 4;
	if (kd->vmcoreinfo_text &&
	    kvm_vmcoreinfo_number(&kd->vmci, "pgtable_l5_enabled", &num)) {
		/* The kernel writes 0 or 1 (pgtable_l5_enabled()). */
		if (num == 0 || num == 1)
			l5_known = true;
		else
			kvm_warn(kd,
				 "VMCOREINFO pgtable_l5_enabled=%" PRId64
				 " ignored (not 0 or 1)",
				 num);
	}
	if (l5_known) {
		kd->xlat.levels = num ? 5 : 4;
		return;
	}
	for (size_t i = 0; i < kd->ncpus; i++)
		if (kd->cpus[i].have_cr) {
			if (kd->cpus[i].cr4 & X86_64_CR4_LA57)
				kd->xlat.levels = 5;
			break;
		}
}

static void
locate_kaslr_vmcoreinfo(kvm_t *kd)
{
	uint64_t hex;

	if (!kd->vmcoreinfo_text ||
	    !kvm_vmcoreinfo_hex(&kd->vmci, "KERNELOFFSET", &hex))
		return;
	/*
	 * KASLR moves the kernel inside its 1 GiB image mapping, by whole
	 * pages (CONFIG_PHYSICAL_ALIGN): anything else is not an offset the
	 * kernel could have had.
	 */
	if (hex >= X86_64_KERNEL_IMAGE_SIZE || (hex & (X86_64_PAGE_SIZE - 1))) {
		kvm_warn(kd,
			 "VMCOREINFO KERNELOFFSET=%" PRIx64
			 " ignored (not in x86_64's KASLR range)",
			 hex);
		return;
	}
	kd->kaslr_offset = (int64_t)hex;
	kd->kaslr_known = true;
}

/*
 * Any CPU's CR3 maps the kernel.  With page-table isolation a CPU stopped
 * in user mode holds the user half of an 8 KiB pgd pair (bit 12 set): the
 * kernel half is tried first.
 */
static void
locate_root_cpus(kvm_t *kd)
{
	for (size_t i = 0; i < kd->ncpus && !kd->xlat.ready; i++) {
		if (!kd->cpus[i].have_cr || !kd->cpus[i].cr3)
			continue;
		uint64_t cr3 = kd->cpus[i].cr3 & X86_64_PTE_PFN_MASK;
		uint64_t cand[2] = { cr3 & ~X86_64_PAGE_SIZE, cr3 };
		for (int c = 0; c < 2 && !kd->xlat.ready; c++) {
			uint64_t text = 0;
			if (find_text(kd, cand[c], kd->xlat.levels, &text,
				      NULL) == 0) {
				kd->xlat.root = cand[c];
				kd->xlat.ready = true;
			}
		}
	}
	kvm_error_clear(kd);
}

static int
locate_root(kvm_t *kd)
{
	const struct kvm_vmcoreinfo *v = &kd->vmci;
	bool have_vmci = kd->vmcoreinfo_text != NULL;
	uint64_t sym;
	int64_t num;

	/*
	 * From the symbol: init_top_pgt lies in the kernel image, whose
	 * physical address is va - __START_KERNEL_map + phys_base (phys_base
	 * in VMCOREINFO since 4.10, commit 401721ecd1dc).
	 */
	if (have_vmci &&
	    (kvm_vmcoreinfo_symbol(v, "init_top_pgt", &sym) ||
	     kvm_vmcoreinfo_symbol(v, "swapper_pg_dir", &sym)) &&
	    kvm_vmcoreinfo_number(v, "phys_base", &num)) {
		kd->xlat.root = sym - X86_64_START_KERNEL_MAP + (uint64_t)num;
		kd->xlat.ready = true;
		return 0;
	}
	locate_root_cpus(kd);
	/* Found in memory, its depth is the one that worked. */
	if (kd->xlat.ready || scan_root(kd) == 0)
		return 0;
	return kvm_error(kd, KVM_ENOTSUP,
			 "no page-table root: %s, no CPU note with a usable "
			 "CR3, and none found in memory",
			 have_vmci ? "VMCOREINFO lacks a usable "
				     "SYMBOL(init_top_pgt) or NUMBER(phys_base)"
				   : "the dump has no VMCOREINFO");
}

int
x86_64_locate(kvm_t *kd)
{
	uint64_t sym;
	int err;

	locate_levels(kd);
	locate_kaslr_vmcoreinfo(kd);
	if ((err = locate_root(kd)))
		return err;
	if (!kd->kaslr_known) {
		uint64_t text = 0;
		if (find_text(kd, kd->xlat.root, kd->xlat.levels, &text,
			      NULL) == 0) {
			kd->kaslr_offset =
				(int64_t)(text - X86_64_START_KERNEL);
			kd->kaslr_known = true;
		}
		kvm_error_clear(kd);
	}
	if (kd->vmcoreinfo_text &&
	    kvm_vmcoreinfo_symbol(&kd->vmci, "_stext", &sym))
		kd->xlat.ktext_start = sym;
	else if (kd->kaslr_known)
		kd->xlat.ktext_start = X86_64_START_KERNEL + kd->kaslr_offset;
	/* TASK_SIZE_MAX: 47 or 56 bits of user addresses. */
	kd->xlat.user_end = 1ULL << (kd->xlat.levels == 5 ? 56 : 47);
	return 0;
}
