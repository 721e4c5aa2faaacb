/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * x86_64 paging constants (the kernel's names with an X86_64_ prefix,
 * arch/x86/include/asm/pgtable_types.h and page_64_types.h) and the
 * page-table walk, which unit tests call with hand-built tables.
 */
#ifndef KVM_ARCH_X86_64_H
#define KVM_ARCH_X86_64_H

#include <stdint.h>

#include "../kvm_private.h"

#define X86_64_PAGE_SHIFT 12
#define X86_64_PAGE_SIZE (1ULL << X86_64_PAGE_SHIFT)
#define X86_64_PMD_SHIFT 21
#define X86_64_PUD_SHIFT 30
#define X86_64_PTRS_PER_TABLE 512

#define X86_64_PAGE_PRESENT (1ULL << 0)
#define X86_64_PAGE_PSE (1ULL << 7) /* large page at PUD/PMD level */
/* Physical address bits 12..51 of a table entry (PTE_PFN_MASK). */
#define X86_64_PTE_PFN_MASK 0x000ffffffffff000ULL
#define X86_64_PMD_PAGE_MASK 0x000fffffffe00000ULL
#define X86_64_PUD_PAGE_MASK 0x000fffffc0000000ULL

/* Link-time base of the kernel image mapping (__START_KERNEL_map). */
#define X86_64_START_KERNEL_MAP 0xffffffff80000000ULL
/* Where the kernel image is linked without KASLR (CONFIG_PHYSICAL_START
 * 0x1000000 on every distribution kernel; __START_KERNEL). */
#define X86_64_START_KERNEL 0xffffffff81000000ULL
/* The image mapping spans at most KERNEL_IMAGE_SIZE (1 GiB with KASLR). */
#define X86_64_KERNEL_IMAGE_SIZE (1ULL << 30)

#define X86_64_CR4_LA57 (1ULL << 12)

extern const struct kvm_arch_ops kvm_arch_x86_64;

/*
 * Walk the page tables rooted at root (physical) with levels 4 or 5.
 * Reads entries through kd->xlat.read_pte.  On success *pa_ret is the
 * physical address and *len_ret the bytes left in the (large) page.
 * Errors: -KVM_EFAULT (not canonical, not present) with a message naming
 * the level and entry, or what read_pte returned.
 */
int x86_64_walk(kvm_t *kd, uint64_t root, int levels, uint64_t va,
		uint64_t *pa_ret, uint64_t *len_ret);

/*
 * Find the paging depth, the kernel's page-table root, its KASLR offset and
 * where its text starts (x86_64_locate.c); kd->xlat.read_pte is set.
 */
int x86_64_locate(kvm_t *kd);

#endif
