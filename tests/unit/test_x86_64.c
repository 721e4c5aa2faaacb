// SPDX-License-Identifier: BSD-2-Clause
/*
 * x86_64 translation (src/arch/x86_64.c, x86_64_locate.c) against page
 * tables built by hand in a buffer that stands for physical memory: 4- and
 * 5-level paging, 2 MiB and 1 GiB pages and the error paths.  Expected
 * values follow the Intel SDM vol. 3 ch. 4.5, not the code under test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <endian.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch/x86_64.h"
#include "kvm_private.h"

/*
 * Where the buffer sits by default: above 4 GiB, so that a walker that
 * truncated table addresses to 32 bits, or took buffer offsets for
 * addresses, would miss it.
 */
#define PMEM_BASE 0x0000001234000000ULL
#define PMEM_PAGES 64
#define PMEM_SIZE (PMEM_PAGES * X86_64_PAGE_SIZE)

/* Present, RW, user, accessed, dirty. */
#define ENTRY_FLAGS 0x67ULL
/*
 * Bits an entry may carry besides the address: NX (63), protection key
 * (59..62), ignored bits (52..58) and AVL (9..11).  Every entry built here
 * carries them all, so none may leak into an address.
 */
#define ENTRY_JUNK 0xfff0000000000e00ULL
#define PAGE_PAT_LARGE (1ULL << 12) /* PAT of a 2 MiB or 1 GiB entry */
#define PAGE_PAT_4K (1ULL << 7)	    /* PAT of a 4 KiB entry: PSE's bit */

#define SZ_2M (1ULL << 21)
#define SZ_1G (1ULL << 30)

struct fixture {
	kvm_t *kd;
	uint64_t *mem;	 /* PMEM_SIZE bytes of entries, little-endian */
	uint64_t base;	 /* physical address of mem[0] */
	uint64_t next;	 /* physical address of the next free page */
	unsigned nreads; /* entries read since the last walk() */
};

/* The recorded error has this code and its text contains want. */
#define assert_error(kd, code, want)                                       \
	do {                                                               \
		assert_int_equal(kvm_geterrcode(kd), (code));              \
		if (!strstr(kvm_geterr(kd), (want)))                       \
			fail_msg("error \"%s\" does not contain \"%s\"",   \
				 kvm_geterr(kd), (want));                  \
	} while (0)

static bool
in_pmem(const struct fixture *f, uint64_t pa, uint64_t len)
{
	return pa >= f->base && len <= PMEM_SIZE &&
	       pa - f->base <= PMEM_SIZE - len;
}

/* kd->xlat.read_pte for the tests that call x86_64_walk() directly. */
static int
pmem_read_pte(void *arg, uint64_t pa, uint64_t *pte_ret)
{
	struct fixture *f = arg;

	/* The walker only ever reads whole, aligned entries. */
	if (!in_pmem(f, pa, 8) || (pa & 7))
		return kvm_error(f->kd, KVM_ENODATA,
				 "no test memory at 0x%" PRIx64, pa);
	f->nreads++;
	*pte_ret = le64toh(f->mem[(pa - f->base) / 8]);
	return 0;
}

/*
 * A format's read_phys over the same buffer: x86_64_init() installs its
 * own read_pte, which reads through the format.
 */
static int
pmem_read_phys(kvm_t *kd, uint64_t pa, void *buf, size_t len,
	       size_t *done_ret)
{
	struct fixture *f = kd->fmt_priv;

	*done_ret = 0;
	if (!in_pmem(f, pa, len))
		return kvm_error(kd, KVM_ENODATA,
				 "no test memory at 0x%" PRIx64, pa);
	f->nreads++;
	memcpy(buf, (const uint8_t *)f->mem + (pa - f->base), len);
	*done_ret = len;
	return 0;
}

static const struct kvm_format_ops pmem_format = {
	.name = "test-pmem",
	.read_phys = pmem_read_phys,
};

static uint64_t
get_entry(struct fixture *f, uint64_t pa)
{
	assert_true(in_pmem(f, pa, 8));
	return le64toh(f->mem[(pa - f->base) / 8]);
}

static void
set_entry(struct fixture *f, uint64_t pa, uint64_t val)
{
	assert_true(in_pmem(f, pa, 8));
	f->mem[(pa - f->base) / 8] = htole64(val);
}

/* A zeroed page for a table. */
static uint64_t
new_table(struct fixture *f)
{
	uint64_t pa = f->next;

	assert_true(in_pmem(f, pa, X86_64_PAGE_SIZE));
	f->next += X86_64_PAGE_SIZE;
	return pa;
}

/* Forget all tables, and place the buffer at physical address base. */
static void
pmem_reset(struct fixture *f, uint64_t base)
{
	memset(f->mem, 0, PMEM_SIZE);
	f->base = base;
	f->next = base;
}

/* Index of va in a table of level lvl (1: pte ... 5: pgd), SDM 4.5. */
static unsigned
va_index(uint64_t va, int lvl)
{
	return (va >> (X86_64_PAGE_SHIFT + 9 * (lvl - 1))) & 511;
}

/*
 * Physical address of the level-leaf entry for va in the tables rooted at
 * root, creating the tables above it as needed.
 */
static uint64_t
entry_addr(struct fixture *f, uint64_t root, int levels, uint64_t va,
	   int leaf)
{
	uint64_t table = root;

	for (int lvl = levels; lvl > leaf; lvl--) {
		uint64_t ea = table + va_index(va, lvl) * 8;
		uint64_t e = get_entry(f, ea);
		if (!(e & X86_64_PAGE_PRESENT)) {
			e = new_table(f) | ENTRY_FLAGS | ENTRY_JUNK;
			set_entry(f, ea, e);
		}
		table = e & X86_64_PTE_PFN_MASK;
	}
	return table + va_index(va, leaf) * 8;
}

/* Store val as the level-leaf entry of va. */
static void
map(struct fixture *f, uint64_t root, int levels, uint64_t va, int leaf,
    uint64_t val)
{
	set_entry(f, entry_addr(f, root, levels, va, leaf), val);
}

static uint64_t
sign_extend(uint64_t va, int bits)
{
	if (va & (1ULL << (bits - 1)))
		return va | ~((1ULL << bits) - 1);
	return va;
}

/* The canonical 5-level address with these indices and page offset. */
static uint64_t
mkva5(unsigned pgd, unsigned p4d, unsigned pud, unsigned pmd, unsigned pte,
      uint64_t off)
{
	return sign_extend((uint64_t)pgd << 48 | (uint64_t)p4d << 39 |
				   (uint64_t)pud << 30 | (uint64_t)pmd << 21 |
				   (uint64_t)pte << 12 | off,
			   57);
}

/* x86_64_walk() with the error and read count cleared first. */
static int
walk(struct fixture *f, uint64_t root, int levels, uint64_t va,
     uint64_t *pa_ret, uint64_t *len_ret)
{
	kvm_error_clear(f->kd);
	f->nreads = 0;
	return x86_64_walk(f->kd, root, levels, va, pa_ret, len_ret);
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	f->kd = calloc(1, sizeof(*f->kd));
	f->mem = calloc(1, PMEM_SIZE);
	if (!f->kd || !f->mem) {
		free(f->kd);
		free(f->mem);
		free(f);
		return -1;
	}
	pmem_reset(f, PMEM_BASE);
	f->kd->xlat.read_pte = pmem_read_pte;
	f->kd->xlat.arg = f;
	f->kd->fmt_priv = f;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	kvm_vmcoreinfo_deinit(&f->kd->vmci);
	free(f->kd->vmcoreinfo_text);
	free(f->kd->cpus);
	free(f->kd->arch_priv); /* init's translation cache */
	free(f->kd);
	free(f->mem);
	free(f);
	return 0;
}

/* ------------------------------------------------------------ walking */

static void
test_4level_4k(void **state)
{
	struct fixture *f = *state;
	uint64_t root = new_table(f), pud = new_table(f);
	uint64_t pmd = new_table(f), pt = new_table(f);
	uint64_t page = 0x000abcde12345000ULL; /* uses PA bits 32..51 */
	uint64_t pa, len;

	/*
	 * Built entry by entry, with indices worked out by hand, so that the
	 * helpers the other tests use are checked too:
	 * 0xffff888012345678 = pgd 273, pud 0, pmd 145, pte 325, off 0x678.
	 */
	set_entry(f, root + 273 * 8, pud | ENTRY_FLAGS | ENTRY_JUNK);
	set_entry(f, pud + 0 * 8, pmd | ENTRY_FLAGS | ENTRY_JUNK);
	set_entry(f, pmd + 145 * 8, pt | ENTRY_FLAGS | ENTRY_JUNK);
	set_entry(f, pt + 325 * 8, page | ENTRY_FLAGS | ENTRY_JUNK);

	assert_int_equal(walk(f, root, 4, 0xffff888012345678ULL, &pa, &len),
			 0);
	assert_int_equal(pa, page + 0x678);
	assert_int_equal(len, X86_64_PAGE_SIZE - 0x678);
	assert_int_equal(f->nreads, 4);

	/* The page's first and last byte. */
	assert_int_equal(walk(f, root, 4, 0xffff888012345000ULL, &pa, &len),
			 0);
	assert_int_equal(pa, page);
	assert_int_equal(len, X86_64_PAGE_SIZE);
	assert_int_equal(walk(f, root, 4, 0xffff888012345fffULL, &pa, &len),
			 0);
	assert_int_equal(pa, page + 0xfff);
	assert_int_equal(len, 1);

	/* The neighbouring page has no entry. */
	assert_int_equal(walk(f, root, 4, 0xffff888012346000ULL, &pa, &len),
			 -KVM_EFAULT);
	assert_error(f->kd, KVM_EFAULT, "pte not present");
}

static void
test_5level_4k(void **state)
{
	struct fixture *f = *state;
	uint64_t root = new_table(f);
	uint64_t va = mkva5(0x1a5, 3, 7, 0x1ff, 1, 0xabc);
	uint64_t page = 0x0007654321000000ULL;
	uint64_t pa, len;

	/* mkva5() itself, against a value worked out by hand. */
	assert_int_equal(va, 0xffa50181ffe01abcULL);
	map(f, root, 5, va, 1, page | ENTRY_FLAGS | ENTRY_JUNK);

	assert_int_equal(walk(f, root, 5, va, &pa, &len), 0);
	assert_int_equal(pa, page + 0xabc);
	assert_int_equal(len, X86_64_PAGE_SIZE - 0xabc);
	assert_int_equal(f->nreads, 5);

	/* A low-half address with a non-zero top index. */
	va = mkva5(0x0ff, 0x1ff, 0x1ff, 0x1ff, 0x1ff, 0xfff);
	assert_int_equal(va, 0x00ffffffffffffffULL);
	map(f, root, 5, va, 1, 0x1000 | ENTRY_FLAGS);
	assert_int_equal(walk(f, root, 5, va, &pa, &len), 0);
	assert_int_equal(pa, 0x1fff);
	assert_int_equal(len, 1);
}

static void
test_5level_only_canonical(void **state)
{
	struct fixture *f = *state;
	uint64_t root = new_table(f);
	/* Canonical with 57 address bits, not with 48. */
	static const uint64_t vas[] = {
		0x0000800000000000ULL,
		0x00ff000000000000ULL,
		0xff00000000000000ULL, /* start of the LA57 kernel half */
		0xff7fffffffffffffULL,
	};
	uint64_t pa, len;

	for (size_t i = 0; i < ARRAY_SIZE(vas); i++) {
		uint64_t page = 0x100000 + i * X86_64_PAGE_SIZE;
		map(f, root, 5, vas[i], 1, page | ENTRY_FLAGS);
		assert_int_equal(walk(f, root, 5, vas[i], &pa, &len), 0);
		assert_int_equal(pa, page | (vas[i] & 0xfff));

		assert_int_equal(walk(f, root, 4, vas[i], &pa, &len),
				 -KVM_EFAULT);
		assert_error(f->kd, KVM_EFAULT, "not canonical");
		assert_int_equal(f->nreads, 0);
	}
}

static void
test_2m_page(void **state)
{
	struct fixture *f = *state;
	uint64_t root = new_table(f);
	uint64_t base = 0x000fedcba4e00000ULL; /* 2 MiB aligned */
	uint64_t va = 0xffffc90000000000ULL + 5 * SZ_2M;
	uint64_t pa, len;

	/* PAT (bit 12) lies inside the 2 MiB offset: not an address bit. */
	map(f, root, 4, va, 2,
	    base | X86_64_PAGE_PSE | PAGE_PAT_LARGE | ENTRY_FLAGS |
		    ENTRY_JUNK);

	assert_int_equal(walk(f, root, 4, va + 0x1abcde, &pa, &len), 0);
	assert_int_equal(pa, base + 0x1abcde);
	assert_int_equal(len, SZ_2M - 0x1abcde);
	assert_int_equal(f->nreads, 3); /* no pte level */

	assert_int_equal(walk(f, root, 4, va, &pa, &len), 0);
	assert_int_equal(pa, base);
	assert_int_equal(len, SZ_2M);
	assert_int_equal(walk(f, root, 4, va + SZ_2M - 1, &pa, &len), 0);
	assert_int_equal(pa, base + SZ_2M - 1);
	assert_int_equal(len, 1);

	/* The same under 5-level paging. */
	uint64_t root5 = new_table(f);
	uint64_t va5 = mkva5(0x1fe, 2, 3, 4, 0, 0);
	map(f, root5, 5, va5, 2, base | X86_64_PAGE_PSE | ENTRY_FLAGS);
	assert_int_equal(walk(f, root5, 5, va5 + 0x1001, &pa, &len), 0);
	assert_int_equal(pa, base + 0x1001);
	assert_int_equal(len, SZ_2M - 0x1001);
	assert_int_equal(f->nreads, 4);
}

static void
test_1g_page(void **state)
{
	struct fixture *f = *state;
	uint64_t root = new_table(f);
	uint64_t base = 0x000ffc0040000000ULL; /* 1 GiB aligned */
	uint64_t va = 0xffff888000000000ULL + 3 * SZ_1G;
	uint64_t pa, len;

	map(f, root, 4, va, 3,
	    base | X86_64_PAGE_PSE | PAGE_PAT_LARGE | ENTRY_FLAGS |
		    ENTRY_JUNK);

	assert_int_equal(walk(f, root, 4, va + 0x2abcdef1, &pa, &len), 0);
	assert_int_equal(pa, base + 0x2abcdef1);
	assert_int_equal(len, SZ_1G - 0x2abcdef1);
	assert_int_equal(f->nreads, 2); /* pgd, pud */

	assert_int_equal(walk(f, root, 4, va, &pa, &len), 0);
	assert_int_equal(pa, base);
	assert_int_equal(len, SZ_1G);
	assert_int_equal(walk(f, root, 4, va + SZ_1G - 1, &pa, &len), 0);
	assert_int_equal(pa, base + SZ_1G - 1);
	assert_int_equal(len, 1);

	uint64_t root5 = new_table(f);
	uint64_t va5 = mkva5(0x1ff, 0x110, 9, 0, 0, 0);
	map(f, root5, 5, va5, 3,
	    base | X86_64_PAGE_PSE | PAGE_PAT_LARGE | ENTRY_FLAGS);
	assert_int_equal(walk(f, root5, 5, va5 + 0x123, &pa, &len), 0);
	assert_int_equal(pa, base + 0x123);
	assert_int_equal(len, SZ_1G - 0x123);
	assert_int_equal(f->nreads, 3);
}

/*
 * Entries with every bit set that may be set: only bits 12..51 (4 KiB),
 * 21..51 (2 MiB) or 30..51 (1 GiB) may reach the physical address.
 */
static void
test_address_bits_exact(void **state)
{
	struct fixture *f = *state;
	uint64_t root = new_table(f);
	uint64_t va4k = 0xffffea0000001234ULL;
	uint64_t va2m = 0xffffea0040000000ULL + 0x12345;
	uint64_t va1g = 0xffffea8000000000ULL + 0x12345678;
	uint64_t pa, len;

	map(f, root, 4, va4k, 1, ~0ULL);
	assert_int_equal(walk(f, root, 4, va4k, &pa, &len), 0);
	assert_int_equal(pa, 0x000ffffffffff000ULL + 0x234);
	assert_int_equal(len, X86_64_PAGE_SIZE - 0x234);

	map(f, root, 4, va2m, 2, ~0ULL); /* PSE is among the bits */
	assert_int_equal(walk(f, root, 4, va2m, &pa, &len), 0);
	assert_int_equal(pa, 0x000fffffffe00000ULL + 0x12345);
	assert_int_equal(len, SZ_2M - 0x12345);

	map(f, root, 4, va1g, 3, ~0ULL);
	assert_int_equal(walk(f, root, 4, va1g, &pa, &len), 0);
	assert_int_equal(pa, 0x000fffffc0000000ULL + 0x12345678);
	assert_int_equal(len, SZ_1G - 0x12345678);
}

/* NX alone on the leaf, in case ENTRY_JUNK hid a bug in its company. */
static void
test_nx_not_in_pa(void **state)
{
	struct fixture *f = *state;
	uint64_t root = new_table(f);
	uint64_t va = 0xffffffff81000000ULL;
	uint64_t pa, len;

	map(f, root, 4, va, 1, (1ULL << 63) | 0x2000000 | ENTRY_FLAGS);
	assert_int_equal(walk(f, root, 4, va + 8, &pa, &len), 0);
	assert_int_equal(pa, 0x2000008);
	assert_int_equal(len, X86_64_PAGE_SIZE - 8);
}

/* Bit 7 of a 4 KiB entry is PAT, not PSE: the page stays 4 KiB. */
static void
test_4k_pat_is_not_large(void **state)
{
	struct fixture *f = *state;
	uint64_t root = new_table(f);
	uint64_t va = 0x00007f0012345000ULL;
	uint64_t pa, len;

	map(f, root, 4, va, 1, 0x7000 | PAGE_PAT_4K | ENTRY_FLAGS);
	assert_int_equal(walk(f, root, 4, va + 0x10, &pa, &len), 0);
	assert_int_equal(pa, 0x7010);
	assert_int_equal(len, X86_64_PAGE_SIZE - 0x10);
	assert_int_equal(f->nreads, 4);
}

/* CR3 carries PCID (0..11) and NOFLUSH (63) besides the table address. */
static void
test_root_flag_bits_ignored(void **state)
{
	struct fixture *f = *state;
	uint64_t root = new_table(f);
	uint64_t va = 0xffff888000200000ULL;
	uint64_t pa, len;

	map(f, root, 4, va, 1, 0x9000 | ENTRY_FLAGS);
	assert_int_equal(walk(f, root | 0xfff | (1ULL << 63), 4, va + 1, &pa,
			      &len),
			 0);
	assert_int_equal(pa, 0x9001);
}

static void
test_top_of_address_space(void **state)
{
	struct fixture *f = *state;
	uint64_t root = new_table(f);
	uint64_t pa, len;

	map(f, root, 4, 0xfffffffffffff000ULL, 1, 0x5000 | ENTRY_FLAGS);
	assert_int_equal(walk(f, root, 4, ~0ULL, &pa, &len), 0);
	assert_int_equal(pa, 0x5fff);
	assert_int_equal(len, 1);

	uint64_t root5 = new_table(f);
	map(f, root5, 5, 0xfffffffffffff000ULL, 1, 0x6000 | ENTRY_FLAGS);
	assert_int_equal(walk(f, root5, 5, ~0ULL, &pa, &len), 0);
	assert_int_equal(pa, 0x6fff);
	assert_int_equal(len, 1);
}

/* ---------------------------------------------------------------- errors */

static void
check_not_present(struct fixture *f, int levels, int lvl, const char *name)
{
	uint64_t va = 0xffffc90012345678ULL;
	uint64_t pa = 0, len = 0;
	char want[128];

	if (levels == 5)
		va = mkva5(0x1c3, 0x0a1, 0x102, 0x033, 0x1f4, 0x56);
	pmem_reset(f, PMEM_BASE);
	uint64_t root = new_table(f);
	map(f, root, levels, va, 1, 0x3000 | ENTRY_FLAGS);
	assert_int_equal(walk(f, root, levels, va, &pa, &len), 0);

	/*
	 * Only the present bit goes: the address and other flags stay, as
	 * in a swap or PROT_NONE entry, and must not be followed.
	 */
	uint64_t ea = entry_addr(f, root, levels, va, lvl);
	set_entry(f, ea, get_entry(f, ea) & ~X86_64_PAGE_PRESENT);

	assert_int_equal(walk(f, root, levels, va, &pa, &len), -KVM_EFAULT);
	snprintf(want, sizeof(want), "%s not present", name);
	assert_error(f->kd, KVM_EFAULT, want);
	snprintf(want, sizeof(want), "%s[%u]", name, va_index(va, lvl));
	assert_error(f->kd, KVM_EFAULT, want);
	snprintf(want, sizeof(want), "0x%" PRIx64, va);
	assert_error(f->kd, KVM_EFAULT, want);
	assert_int_equal(f->nreads, levels - lvl + 1);
}

static void
test_not_present_4level(void **state)
{
	struct fixture *f = *state;

	/* With 4 levels the p4d is folded: the top table is the pgd. */
	check_not_present(f, 4, 4, "pgd");
	check_not_present(f, 4, 3, "pud");
	check_not_present(f, 4, 2, "pmd");
	check_not_present(f, 4, 1, "pte");
}

static void
test_not_present_5level(void **state)
{
	struct fixture *f = *state;

	check_not_present(f, 5, 5, "pgd");
	check_not_present(f, 5, 4, "p4d");
	check_not_present(f, 5, 3, "pud");
	check_not_present(f, 5, 2, "pmd");
	check_not_present(f, 5, 1, "pte");
}

/* A large page that is not present is not present, PSE or not. */
static void
test_not_present_large(void **state)
{
	struct fixture *f = *state;
	uint64_t root = new_table(f);
	uint64_t va = 0xffff888040000000ULL;
	uint64_t pa, len;

	map(f, root, 4, va, 2, 0x40000000 | X86_64_PAGE_PSE);
	assert_int_equal(walk(f, root, 4, va, &pa, &len), -KVM_EFAULT);
	assert_error(f->kd, KVM_EFAULT, "pmd not present");

	map(f, root, 4, va + SZ_1G, 3, 0x40000000 | X86_64_PAGE_PSE);
	assert_int_equal(walk(f, root, 4, va + SZ_1G, &pa, &len),
			 -KVM_EFAULT);
	assert_error(f->kd, KVM_EFAULT, "pud not present");
}

static void
test_not_canonical(void **state)
{
	struct fixture *f = *state;
	uint64_t root = new_table(f);
	static const uint64_t bad4[] = {
		0x0000800000000000ULL, 0xffff7fffffffffffULL,
		0x8000000000000000ULL, 0x7fffffffffffffffULL,
		0x00ff000000000000ULL, 0xff00000000000000ULL,
		0x0001000000000000ULL,
	};
	static const uint64_t bad5[] = {
		0x0100000000000000ULL, 0xfeffffffffffffffULL,
		0x8000000000000000ULL, 0x7fffffffffffffffULL,
		0xfe00000000000000ULL,
	};
	uint64_t pa, len;
	char want[64];

	for (size_t i = 0; i < ARRAY_SIZE(bad4); i++) {
		assert_int_equal(walk(f, root, 4, bad4[i], &pa, &len),
				 -KVM_EFAULT);
		assert_error(f->kd, KVM_EFAULT, "not canonical");
		snprintf(want, sizeof(want), "0x%" PRIx64, bad4[i]);
		assert_error(f->kd, KVM_EFAULT, want);
		assert_int_equal(f->nreads, 0); /* memory is not touched */
	}
	for (size_t i = 0; i < ARRAY_SIZE(bad5); i++) {
		assert_int_equal(walk(f, root, 5, bad5[i], &pa, &len),
				 -KVM_EFAULT);
		assert_error(f->kd, KVM_EFAULT, "not canonical");
		assert_error(f->kd, KVM_EFAULT, "5-level");
		assert_int_equal(f->nreads, 0);
	}
}

/* The last and first canonical addresses of each half are walked. */
static void
test_canonical_edges(void **state)
{
	struct fixture *f = *state;
	uint64_t root = new_table(f);
	static const uint64_t ok4[] = {
		0, 0x00007fffffffffffULL, 0xffff800000000000ULL, ~0ULL,
	};
	static const uint64_t ok5[] = {
		0, 0x00ffffffffffffffULL, 0xff00000000000000ULL, ~0ULL,
	};
	uint64_t pa, len;

	/* The root is empty: the walk gets as far as the pgd. */
	for (size_t i = 0; i < ARRAY_SIZE(ok4); i++) {
		assert_int_equal(walk(f, root, 4, ok4[i], &pa, &len),
				 -KVM_EFAULT);
		assert_error(f->kd, KVM_EFAULT, "pgd not present");
	}
	for (size_t i = 0; i < ARRAY_SIZE(ok5); i++) {
		assert_int_equal(walk(f, root, 5, ok5[i], &pa, &len),
				 -KVM_EFAULT);
		assert_error(f->kd, KVM_EFAULT, "pgd not present");
	}
}

static void
test_read_pte_error_at_root(void **state)
{
	struct fixture *f = *state;
	uint64_t va = 0xffff888012345678ULL; /* pgd index 273 */
	uint64_t pa, len;
	char want[96];

	assert_int_equal(walk(f, 0x1000, 4, va, &pa, &len), -KVM_ENODATA);
	/* Context first, then what read_pte said. */
	assert_error(f->kd, KVM_ENODATA,
		     "x86_64: reading pgd[273] for 0xffff888012345678: ");
	snprintf(want, sizeof(want), "no test memory at 0x%" PRIx64,
		 (uint64_t)0x1000 + 273 * 8);
	assert_error(f->kd, KVM_ENODATA, want);
}

static void
test_read_pte_error_deeper(void **state)
{
	struct fixture *f = *state;
	uint64_t root = new_table(f);
	uint64_t va = 0xffffc90000456000ULL;
	uint64_t pa, len;
	char want[96];

	map(f, root, 4, va, 1, 0x1000 | ENTRY_FLAGS);
	/* The pud entry points at a pmd table outside memory. */
	uint64_t ea = entry_addr(f, root, 4, va, 3);
	set_entry(f, ea, 0x0000007700000000ULL | ENTRY_FLAGS);

	assert_int_equal(walk(f, root, 4, va, &pa, &len), -KVM_ENODATA);
	snprintf(want, sizeof(want), "x86_64: reading pmd[%u] for 0x%" PRIx64,
		 va_index(va, 2), va);
	assert_error(f->kd, KVM_ENODATA, want);
	snprintf(want, sizeof(want), "no test memory at 0x%" PRIx64,
		 (uint64_t)0x0000007700000000ULL + va_index(va, 2) * 8);
	assert_error(f->kd, KVM_ENODATA, want);
}

static void
test_bad_levels(void **state)
{
	struct fixture *f = *state;
	uint64_t root = new_table(f);
	static const int bad[] = { -1, 0, 1, 2, 3, 6, 64 };
	uint64_t pa, len;
	char want[32];

	map(f, root, 4, 0, 1, 0x1000 | ENTRY_FLAGS);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		assert_int_equal(walk(f, root, bad[i], 0, &pa, &len),
				 -KVM_EINVAL);
		snprintf(want, sizeof(want), "%d-level", bad[i]);
		assert_error(f->kd, KVM_EINVAL, want);
		assert_int_equal(f->nreads, 0);
	}
}

/* ------------------------------------------------------------ arch ops */

static void
test_arch_ops_table(void **state)
{
	(void)state;
	assert_string_equal(kvm_arch_x86_64.name, "x86_64");
	assert_int_equal(kvm_arch_x86_64.e_machine, 62); /* EM_X86_64 */
	assert_int_equal(kvm_arch_x86_64.ptr_size, 8);
	assert_false(kvm_arch_x86_64.big_endian);
	assert_non_null(kvm_arch_x86_64.init);
	assert_non_null(kvm_arch_x86_64.kvatop);
	assert_non_null(kvm_arch_x86_64.uvatop);
	assert_true(kvm_arch_by_machine(62) == &kvm_arch_x86_64);
}

/* kvatop walks kd->xlat.root, uvatop the root it is given. */
static void
test_arch_kvatop_uvatop(void **state)
{
	struct fixture *f = *state;
	kvm_t *kd = f->kd;
	uint64_t kroot = new_table(f), uroot = new_table(f);
	uint64_t kva = 0xffffffff81234000ULL, uva = 0x0000555555554000ULL;
	uint64_t pa, len;
	struct kvm_swp_entry swp;

	map(f, kroot, 4, kva, 1, 0x1234000 | ENTRY_FLAGS);
	map(f, uroot, 4, uva, 1, 0x7770000 | ENTRY_FLAGS);
	kd->arch = &kvm_arch_x86_64;
	kd->xlat.root = kroot;
	kd->xlat.levels = 4;
	kd->xlat.ready = true;

	assert_int_equal(kd->arch->kvatop(kd, kva + 0x10, &pa, &len), 0);
	assert_int_equal(pa, 0x1234010);
	assert_int_equal(len, X86_64_PAGE_SIZE - 0x10);
	assert_int_equal(kd->arch->uvatop(kd, uroot, uva + 0x20, &pa, &len, &swp),
			 0);
	assert_int_equal(pa, 0x7770020);
	assert_int_equal(len, X86_64_PAGE_SIZE - 0x20);

	/* Neither root maps the other's address. */
	kvm_error_clear(kd);
	assert_int_equal(kd->arch->kvatop(kd, uva, &pa, &len), -KVM_EFAULT);
	assert_error(kd, KVM_EFAULT, "not present");
	assert_int_equal(kd->arch->uvatop(kd, uroot, kva, &pa, &len, &swp),
			 -KVM_EFAULT);
	kvm_error_clear(kd);
	assert_int_equal(kd->arch->kvatop(kd, 0x0000800000000000ULL, &pa,
					  &len),
			 -KVM_EFAULT);
	assert_error(kd, KVM_EFAULT, "not canonical");
}

/* uvatop takes the paging depth from kd->xlat.levels. */
static void
test_arch_uvatop_5level(void **state)
{
	struct fixture *f = *state;
	kvm_t *kd = f->kd;
	uint64_t uroot = new_table(f);
	uint64_t uva = 0x00aa555555554000ULL; /* needs LA57 */
	uint64_t pa, len;
	struct kvm_swp_entry swp;

	map(f, uroot, 5, uva, 1, 0x4440000 | ENTRY_FLAGS);
	kd->arch = &kvm_arch_x86_64;
	kd->xlat.root = new_table(f);
	kd->xlat.levels = 5;
	kd->xlat.ready = true;

	assert_int_equal(kd->arch->uvatop(kd, uroot, uva + 1, &pa, &len, &swp), 0);
	assert_int_equal(pa, 0x4440001);

	kd->xlat.levels = 4;
	kvm_error_clear(kd);
	assert_int_equal(kd->arch->uvatop(kd, uroot, uva, &pa, &len, &swp),
			 -KVM_EFAULT);
	assert_error(kd, KVM_EFAULT, "not canonical");
}

/*
 * A user PTE with the present bit clear: a swap entry (type in bits
 * 59-63, the slot inverted in 9-58, L1TF), or with _PAGE_PROTNONE a page
 * still mapped.  Kernel walks never decode either.
 */
static void
test_arch_uvatop_swap(void **state)
{
	struct fixture *f = *state;
	kvm_t *kd = f->kd;
	uint64_t uroot = new_table(f);
	uint64_t uva = 0x00007ffe2aaab000ULL;
	uint64_t pa = 1, len = 0;
	struct kvm_swp_entry swp = { 0 };
	const uint64_t mask50 = (1ULL << 50) - 1;

	/* Area 1, slot 21363: what the kernel's __swp_entry_to_pte makes. */
	map(f, uroot, 4, uva, 1,
	    (1ULL << 59) | ((~21363ULL & mask50) << 9) | (1ULL << 3));
	map(f, uroot, 4, uva + 0x1000, 1, 0x5550000 | (1ULL << 8) | 0x60);
	kd->arch = &kvm_arch_x86_64;
	kd->xlat.root = new_table(f);
	kd->xlat.levels = 4;
	kd->xlat.ready = true;

	assert_int_equal(kd->arch->uvatop(kd, uroot, uva + 0x3c0, &pa, &len,
					  &swp),
			 KVM_UVA_SWAP);
	assert_int_equal(swp.type, 1);
	assert_int_equal(swp.offset, 21363);
	assert_int_equal(len, X86_64_PAGE_SIZE - 0x3c0);
	/* PROT_NONE: mapped all the same. */
	assert_int_equal(kd->arch->uvatop(kd, uroot, uva + 0x1008, &pa, &len,
					  &swp),
			 0);
	assert_int_equal(pa, 0x5550008);
	/* The same entry on the kernel's side is just not present. */
	kd->xlat.root = uroot;
	kvm_error_clear(kd);
	assert_int_equal(kd->arch->kvatop(kd, uva, &pa, &len), -KVM_EFAULT);
	assert_error(kd, KVM_EFAULT, "not present");
}

/* ---------------------------------------------------------- arch init */

/*
 * The kernel image mapping as the kernel leaves it: 2 MiB pages from _text
 * (at START_KERNEL_MAP + text_off) on, none below (cleanup_highmap()).
 */
static void
map_kernel_image(struct fixture *f, uint64_t root, int levels,
		 uint64_t text_off, uint64_t text_pa)
{
	for (uint64_t off = 0; off < 4 * SZ_2M; off += SZ_2M)
		map(f, root, levels, X86_64_START_KERNEL_MAP + text_off + off,
		    2, (text_pa + off) | X86_64_PAGE_PSE | ENTRY_FLAGS);
}

/* Make kd look like a freshly opened dump over the test memory. */
static void
init_target(struct fixture *f, const char *vmcoreinfo)
{
	kvm_t *kd = f->kd;

	kd->format = &pmem_format;
	kd->arch = &kvm_arch_x86_64;
	kd->e_machine = 62;
	kd->ptr_size = 8;
	if (vmcoreinfo)
		assert_int_equal(kvm_set_vmcoreinfo(kd, vmcoreinfo,
						    strlen(vmcoreinfo)),
				 0);
}

static struct kvm_cpu_state *
add_cpus(struct fixture *f, size_t n)
{
	f->kd->cpus = calloc(n, sizeof(*f->kd->cpus));
	assert_non_null(f->kd->cpus);
	f->kd->ncpus = n;
	return f->kd->cpus;
}

/* Root from SYMBOL(init_top_pgt) and NUMBER(phys_base) (Linux 4.10+). */
static void
check_init_vmcoreinfo(struct fixture *f, uint64_t base, int64_t phys_base)
{
	kvm_t *kd = f->kd;
	uint64_t text_off = 0x3200000, text_pa = base + 0x800000;
	char text[512];
	uint64_t pa, len;

	pmem_reset(f, base);
	uint64_t root = new_table(f);
	map_kernel_image(f, root, 4, text_off, text_pa);
	/* init_top_pgt's va is its pa minus phys_base, in the image map. */
	uint64_t sym = root - (uint64_t)phys_base + X86_64_START_KERNEL_MAP;
	snprintf(text, sizeof(text),
		 "OSRELEASE=6.99.0-test\nPAGESIZE=4096\n"
		 "SYMBOL(init_top_pgt)=%" PRIx64 "\n"
		 "NUMBER(phys_base)=%" PRId64 "\n"
		 "NUMBER(pgtable_l5_enabled)=0\n"
		 "KERNELOFFSET=%" PRIx64 "\n",
		 sym, phys_base,
		 (uint64_t)(text_off - (X86_64_START_KERNEL -
					X86_64_START_KERNEL_MAP)));
	init_target(f, text);

	assert_int_equal(kd->arch->init(kd), 0);
	assert_true(kd->xlat.ready);
	assert_int_equal(kd->xlat.root, root);
	assert_int_equal(kd->xlat.levels, 4);
	assert_true(kd->kaslr_known);
	assert_int_equal(kd->kaslr_offset, 0x2200000);
	assert_int_equal(kd->page_size, 4096);

	/* Translation now reads entries through the format. */
	assert_true(kd->xlat.read_pte != pmem_read_pte);
	f->nreads = 0;
	assert_int_equal(kd->arch->kvatop(kd, X86_64_START_KERNEL_MAP +
						      text_off + SZ_2M + 0x42,
					  &pa, &len),
			 0);
	assert_int_equal(pa, text_pa + SZ_2M + 0x42);
	assert_int_equal(len, SZ_2M - 0x42);
	assert_int_equal(f->nreads, 3);
}

static void
test_init_vmcoreinfo_positive_phys_base(void **state)
{
	struct fixture *f = *state;

	check_init_vmcoreinfo(f, PMEM_BASE, (int64_t)PMEM_BASE - 0x2e10000);
}

/* Kernels loaded below their link address have a negative phys_base. */
static void
test_init_vmcoreinfo_negative_phys_base(void **state)
{
	struct fixture *f = *state;

	check_init_vmcoreinfo(f, 0x1000000, 0x1000000 - 0x2e10000);
	assert_true(f->kd->xlat.root == 0x1000000);
}

/* Without KERNELOFFSET the offset is where the image mapping starts. */
static void
test_init_vmcoreinfo_kaslr_from_tables(void **state)
{
	struct fixture *f = *state;
	kvm_t *kd = f->kd;
	uint64_t root = new_table(f);
	char text[256];

	map_kernel_image(f, root, 5, 0x10e00000, 0x40000000);
	snprintf(text, sizeof(text),
		 "SYMBOL(swapper_pg_dir)=%" PRIx64 "\n"
		 "NUMBER(phys_base)=%" PRId64 "\n"
		 "NUMBER(pgtable_l5_enabled)=1\n",
		 (uint64_t)(X86_64_START_KERNEL_MAP + 0x1000000),
		 (int64_t)root - 0x1000000);
	init_target(f, text);

	assert_int_equal(kd->arch->init(kd), 0);
	assert_int_equal(kd->xlat.root, root);
	assert_int_equal(kd->xlat.levels, 5);
	assert_true(kd->kaslr_known);
	assert_int_equal(kd->kaslr_offset, 0x10e00000 - 0x1000000);
}

/*
 * No VMCOREINFO: the root comes from a CPU's CR3.  The CPU was in user
 * mode under page-table isolation, so CR3 holds the user half (bit 12) of
 * the pgd pair, plus a PCID and NOFLUSH; the kernel half must be found.
 */
static void
test_init_cr3_pti_user_half(void **state)
{
	struct fixture *f = *state;
	kvm_t *kd = f->kd;
	uint64_t kpgd = new_table(f), upgd = new_table(f);
	uint64_t pa, len;

	assert_int_equal(upgd, kpgd + X86_64_PAGE_SIZE);
	assert_int_equal(kpgd & X86_64_PAGE_SIZE, 0);
	map_kernel_image(f, kpgd, 4, 0x5600000, 0x7a000000);
	/*
	 * The user half maps a slice of the image too (PTI clones the entry
	 * text, pti_clone_entry_text()), above _text: searching it first
	 * would find the wrong root and offset.
	 */
	map(f, upgd, 4, X86_64_START_KERNEL_MAP + 0x5600000 + 2 * SZ_2M, 2,
	    (0x7a000000 + 2 * SZ_2M) | X86_64_PAGE_PSE | ENTRY_FLAGS);
	init_target(f, NULL);
	struct kvm_cpu_state *cpus = add_cpus(f, 2);
	cpus[0].have_regs = true; /* registers only: no CR3 to use */
	cpus[1].have_cr = true;
	cpus[1].cr3 = upgd | 0x5 | (1ULL << 63);

	assert_int_equal(kd->arch->init(kd), 0);
	assert_true(kd->xlat.ready);
	assert_int_equal(kd->xlat.root, kpgd);
	assert_int_equal(kd->xlat.levels, 4);
	assert_true(kd->kaslr_known);
	assert_int_equal(kd->kaslr_offset, 0x5600000 - 0x1000000);
	assert_int_equal(kd->arch->kvatop(kd, X86_64_START_KERNEL_MAP +
						      0x5600000 + 7,
					  &pa, &len),
			 0);
	assert_int_equal(pa, 0x7a000007);
	/* Probing the image mapping must not leave an error behind. */
	assert_int_equal(kvm_geterrcode(kd), 0);
}

static void
test_init_cr3_la57(void **state)
{
	struct fixture *f = *state;
	kvm_t *kd = f->kd;
	uint64_t pgd = new_table(f);

	map_kernel_image(f, pgd, 5, 0x1000000, 0x1000000);
	init_target(f, NULL);
	struct kvm_cpu_state *cpus = add_cpus(f, 1);
	cpus[0].have_cr = true;
	cpus[0].cr3 = pgd;
	cpus[0].cr4 = X86_64_CR4_LA57;

	assert_int_equal(kd->arch->init(kd), 0);
	assert_int_equal(kd->xlat.root, pgd);
	assert_int_equal(kd->xlat.levels, 5);
	assert_true(kd->kaslr_known);
	assert_int_equal(kd->kaslr_offset, 0); /* not relocated */
}

static void
test_init_no_root(void **state)
{
	struct fixture *f = *state;
	kvm_t *kd = f->kd;
	uint64_t empty = new_table(f);

	/* A CR3 under which no kernel image is mapped is no help either. */
	init_target(f, "OSRELEASE=6.99.0-test\n");
	struct kvm_cpu_state *cpus = add_cpus(f, 1);
	cpus[0].have_cr = true;
	cpus[0].cr3 = empty;

	assert_int_equal(kd->arch->init(kd), -KVM_ENOTSUP);
	assert_error(kd, KVM_ENOTSUP, "no page-table root");
	assert_false(kd->xlat.ready);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_4level_4k),
		T(test_5level_4k),
		T(test_5level_only_canonical),
		T(test_2m_page),
		T(test_1g_page),
		T(test_address_bits_exact),
		T(test_nx_not_in_pa),
		T(test_4k_pat_is_not_large),
		T(test_root_flag_bits_ignored),
		T(test_top_of_address_space),
		T(test_not_present_4level),
		T(test_not_present_5level),
		T(test_not_present_large),
		T(test_not_canonical),
		T(test_canonical_edges),
		T(test_read_pte_error_at_root),
		T(test_read_pte_error_deeper),
		T(test_bad_levels),
		T(test_arch_ops_table),
		T(test_arch_kvatop_uvatop),
		T(test_arch_uvatop_5level),
		T(test_arch_uvatop_swap),
		T(test_init_vmcoreinfo_positive_phys_base),
		T(test_init_vmcoreinfo_negative_phys_base),
		T(test_init_vmcoreinfo_kaslr_from_tables),
		T(test_init_cr3_pti_user_half),
		T(test_init_cr3_la57),
		T(test_init_no_root),
#undef T
	};

	return cmocka_run_group_tests_name("x86_64", tests, NULL, NULL);
}
