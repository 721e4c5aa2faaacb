/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * AArch64 (arm64) paging constants, with the kernel's names and an AARCH64_
 * prefix (arch/arm64/include/asm/pgtable-hwdef.h, memory.h), and the
 * VMSAv8-64 stage 1 walk, which unit tests call with hand-built tables.
 */
#ifndef KVM_ARCH_AARCH64_H
#define KVM_ARCH_AARCH64_H

#include <stdbool.h>
#include <stdint.h>

#include "../kvm_private.h"

#define AARCH64_EM_AARCH64 183 /* ELF e_machine (EM_AARCH64) */

/* Translation granules: PAGE_SHIFT of CONFIG_ARM64_{4K,16K,64K}_PAGES. */
#define AARCH64_PAGE_SHIFT_4K 12
#define AARCH64_PAGE_SHIFT_16K 14
#define AARCH64_PAGE_SHIFT_64K 16

/*
 * Levels (Arm ARM DDI 0487, D8.2 "Translation table walk"; the kernel's
 * ARM64_HW_PGTABLE_LEVELS and ARM64_HW_PGTABLE_LEVEL_SHIFT in
 * pgtable-hwdef.h): a table is one page of 8-byte entries, so each level
 * resolves PAGE_SHIFT - 3 address bits.  An entry of level n (3 is the
 * last; -1 the first, with 4K pages and 52-bit VAs) maps
 * 1 << AARCH64_HW_PGTABLE_LEVEL_SHIFT(n) bytes, and a walk of "levels"
 * levels starts at level 4 - levels, the architecture's initial level.
 */
#define AARCH64_HW_PGTABLE_LEVELS(page_shift, va_bits) \
	(((va_bits)-4) / ((page_shift)-3))
#define AARCH64_HW_PGTABLE_LEVEL_SHIFT(page_shift, n) \
	(((page_shift)-3) * (4 - (n)) + 3)

/* VA sizes a walk accepts (TnSZ 39..12: 25 to 52 bits). */
#define AARCH64_VA_BITS_MIN 25
#define AARCH64_VA_BITS_MAX 52
/* Above this a 4K or 16K granule needs FEAT_LPA2 (TCR_EL1.DS). */
#define AARCH64_VA_BITS_NO_LPA2_MAX 48

/*
 * Descriptor bits 1:0 (pgtable-hwdef.h: PTE_VALID, PMD_TYPE_TABLE,
 * PMD_TYPE_SECT, PTE_TYPE_PAGE): bit 0 clear is invalid; 0b11 is a table
 * above the last level and a page at it; 0b01 is a block ("section") above
 * the last level and reserved (invalid) at it.
 */
#define AARCH64_PTE_VALID (1ULL << 0)
#define AARCH64_PTE_TABLE_BIT (1ULL << 1)
#define AARCH64_PTE_TYPE_MASK (3ULL << 0)
#define AARCH64_PTE_TYPE_PAGE (3ULL << 0)
#define AARCH64_PMD_TYPE_TABLE (3ULL << 0)
#define AARCH64_PMD_TYPE_SECT (1ULL << 0)

/*
 * Output address bits of a descriptor.  Without LPA2, bits 47:PAGE_SHIFT
 * (PTE_ADDR_LOW up to 6.8).  64K granule with 52-bit PAs (FEAT_LPA,
 * CONFIG_ARM64_PA_BITS_52, Linux 4.16): PA bits 51:48 are in descriptor
 * bits 15:12 (PTE_ADDR_HIGH, PTE_ADDR_HIGH_SHIFT 36); those bits are RES0
 * otherwise, so they are always decoded.  4K/16K granule with FEAT_LPA2
 * (CONFIG_ARM64_LPA2, Linux 6.9): bits 49:PAGE_SHIFT, and PA bits 51:50 in
 * descriptor bits 9:8 (PTE_ADDR_HIGH 0x3 << 8, PTE_ADDR_HIGH_SHIFT 42),
 * which hold shareability (PTE_SHARED) when LPA2 is off.
 */
#define AARCH64_PTE_ADDR_LOW_48(page_shift) \
	((((1ULL) << (48 - (page_shift))) - 1) << (page_shift))
#define AARCH64_PTE_ADDR_LOW_50(page_shift) \
	((((1ULL) << (50 - (page_shift))) - 1) << (page_shift))
#define AARCH64_PTE_ADDR_HIGH_64K (0xfULL << 12)
#define AARCH64_PTE_ADDR_HIGH_SHIFT_64K 36
#define AARCH64_PTE_ADDR_HIGH_LPA2 (0x3ULL << 8)
#define AARCH64_PTE_ADDR_HIGH_SHIFT_LPA2 42
#define AARCH64_PHYS_MASK_52 ((1ULL << 52) - 1)

/*
 * Lower attributes of a block or page (AttrIndx 4:2, NS 5, AP 7:6, SH 9:8),
 * which the architecture ignores in a table descriptor and Linux leaves 0
 * there (pgalloc.h __p*d_populate(): PMD_TYPE_TABLE plus the upper
 * PXNTable/UXNTable bits only).  A Linux page descriptor always has SH set
 * (PTE_SHARED, 3 << 8, without LPA2), so a page of pages does not pass for
 * a table.  AF (bit 10) is set in every block Linux writes (PROT_SECT_*).
 */
#define AARCH64_TABLE_ZERO_BITS (0xffULL << 2)
#define AARCH64_PTE_AF (1ULL << 10)

/*
 * The kernel image (Documentation/arm64/booting.rst, head.S): a 64-byte
 * header at _text whose u32 at 56 is the magic "ARM\x64" and whose u64 at 8
 * is text_offset, the image's offset from a 2 MiB aligned base (TEXT_OFFSET,
 * 0x80000 by default, until 5.8's "arm64: get rid of TEXT_OFFSET"; 0
 * since).  The kernel keeps virtual and physical addresses of the image
 * congruent modulo MIN_KIMG_ALIGN (asm/boot.h; head.S adds the physical
 * misalignment to the KASLR offset, 4.6+), so block mappings stay usable.
 * Since 5.11 ("arm64: efi: increase EFI PE/COFF header padding to 64 KB")
 * _stext is _text + 64 KiB, and e2a073dde921 "arm64: omit [_text, _stext)
 * from permanent kernel mapping" (5.11) left that header unmapped and its
 * memory free, until 5973a62efa34 "arm64: map [_text, _stext) virtual
 * address range non-executable+read-only" (2025, also in stable trees).
 */
#define AARCH64_IMAGE_MAGIC 0x644d5241u /* "ARM\x64", little-endian */
#define AARCH64_IMAGE_MAGIC_OFFSET 56
#define AARCH64_IMAGE_TEXT_OFFSET_OFFSET 8
#define AARCH64_TEXT_OFFSET_DEFAULT 0x80000ULL
#define AARCH64_MIN_KIMG_ALIGN (2ULL << 20)
#define AARCH64_HEAD_SIZE (64ULL << 10)

/*
 * Linux sets TCR_EL1.TBI0 (arch/arm64/mm/proc.S, since 3.11: "arm64: mm:
 * permit use of tagged pointers at EL0"): the top byte of a user address
 * is ignored by the walk.
 */
#define AARCH64_TBI_MASK 0x00ffffffffffffffULL

/*
 * How a walk reads the tables: the granule, the size of the half being
 * walked (64 - TnSZ) and whether FEAT_LPA2 descriptors are in use.
 */
struct aarch64_paging {
	unsigned page_shift; /* AARCH64_PAGE_SHIFT_* */
	unsigned va_bits;    /* AARCH64_VA_BITS_MIN..MAX */
	bool lpa2;	     /* TCR_EL1.DS: 4K/16K only; required above 48 */
};

extern const struct kvm_arch_ops kvm_arch_aarch64;

/*
 * Number of levels of a walk of pg (2 to 5), or 0 when pg is not a
 * configuration the architecture allows.
 */
int aarch64_levels(const struct aarch64_paging *pg);

/*
 * Walk the tables rooted at root (physical address of the first-level
 * table) for va, a kernel (TTBR1, upper half) or a user (TTBR0, lower half,
 * top byte ignored) address.  Reads entries through kd->xlat.read_pte.  On
 * success *pa_ret is the physical address and *len_ret the bytes left in
 * the page or block.  Errors: -KVM_EFAULT (address outside the half,
 * invalid or reserved descriptor) with a message naming the level and
 * entry, -KVM_EINVAL (pg not allowed), or what read_pte returned.
 */
int aarch64_walk(kvm_t *kd, const struct aarch64_paging *pg, uint64_t root,
		 uint64_t va, bool kernel, uint64_t *pa_ret, uint64_t *len_ret);

/*
 * What a walk ended on, for the kernel scan (aarch64_locate.c): the level
 * and the bytes mapped by the leaf, or covered by the entry that was
 * invalid or unreadable (0 when the address was outside the half or pg not
 * allowed).
 */
struct aarch64_walk_info {
	int level;
	uint64_t span;
	uint64_t l2desc; /* the valid level-2 descriptor passed, or 0 */
	/* User walks: where an invalid last-level entry's swap entry goes. */
	struct kvm_swp_entry *swp;
	/* EL1 may not execute there: PXN (bit 53) on the block or page, or
	 * PXNTable (bit 59) on a table on the way. */
	bool pxn;
};

/* aarch64_walk(), saying what it ended on in *wi (NULL: not wanted). */
int aarch64_walk_info(kvm_t *kd, const struct aarch64_paging *pg, uint64_t root,
		      uint64_t va, bool kernel, uint64_t *pa_ret,
		      uint64_t *len_ret, struct aarch64_walk_info *wi);
/* The output address of a table, block or page descriptor. */
uint64_t aarch64_desc_addr(const struct aarch64_paging *pg, uint64_t d);
/*
 * Blocks: 2 MiB/32 MiB/512 MiB at level 2 with every granule, 1 GiB at
 * level 1 with 4K only.  The larger blocks that LPA/LPA2 add (4K level 0,
 * 16K and 64K level 1) are never written by Linux (pud_sect_supported() is
 * 4K-only, arch/arm64/include/asm/pgtable.h) and count as invalid here.
 */
bool aarch64_block_allowed(const struct aarch64_paging *pg, int lvl);
/*
 * Find the kernel's translation (aarch64_locate.c): *pg and *root, and
 * the KASLR offset and text start when the scan finds them.
 */
int aarch64_locate(kvm_t *kd, struct aarch64_paging *pg, uint64_t *root);

#endif
