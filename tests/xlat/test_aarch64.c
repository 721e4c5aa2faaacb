// SPDX-License-Identifier: BSD-2-Clause
/*
 * aarch64 translation (src/arch/aarch64.c) against page tables built by
 * hand in a buffer that stands for physical memory: every granule (4K, 16K,
 * 64K) with the VA sizes Linux configures (36/39/42/47/48/52 bits), blocks,
 * invalid and reserved descriptors, 52-bit output addresses (64K LPA, 4K/16K
 * LPA2), the address halves, init from a made-up VMCOREINFO, and a table
 * fragment captured from a real arm64 dump (tests/data/xlat).  Expected
 * values follow the Arm ARM (DDI 0487, D8 "The AArch64 Virtual Memory
 * System Architecture"), not the code under test.
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

#include "arch/aarch64.h"
#include "kvm_private.h"

#ifndef KVM_XLAT_DATA_DIR
#error "KVM_XLAT_DATA_DIR must name tests/data/xlat"
#endif

#define SZ_4K (1ULL << 12)
#define SZ_64K (1ULL << 16)

/*
 * Where the buffer sits by default: above 4 GiB and 64 KiB aligned, so that
 * a walker that truncated table addresses, or took buffer offsets for
 * addresses, would miss it.
 */
#define PMEM_BASE 0x0000001234000000ULL
#define PMEM_TABLES 64
#define PMEM_SIZE (PMEM_TABLES * SZ_64K)

/*
 * Bits a descriptor may carry besides its type and address: upper
 * attributes 63:50 (XN, PXN, Contiguous, DBM, GP, software bits, PBHA; in a
 * table NSTable, APTable, UXNTable, PXNTable) and lower attributes 11:2
 * (AttrIndx, NS, AP, SH, AF, nG).  With LPA2, bits 9:8 are address bits.
 * Every descriptor built here carries them all, so none may leak into an
 * address.
 */
#define JUNK_HI 0xfffc000000000000ULL
#define JUNK_LO 0x0000000000000ffcULL
#define LPA2_HI_BITS 0x0000000000000300ULL

struct fixture {
	kvm_t *kd;
	uint64_t *mem;	 /* PMEM_SIZE bytes of entries */
	uint64_t base;	 /* physical address of mem[0] */
	uint64_t next;	 /* physical address of the next free byte */
	unsigned nreads; /* entries read since the last walk() */
	bool big_endian; /* entries stored big-endian (aarch64_be) */
	uint64_t hole;	 /* a 4 KiB page reads fail on (a page kdump left
			    out), 0: none */
};

/* A translation configuration and its number of levels, by hand. */
struct config {
	unsigned ps; /* page shift */
	unsigned va; /* VA bits */
	bool lpa2;
	int levels;
};

/*
 * Levels from the Arm ARM's initial lookup level for each granule and
 * TnSZ (D8.2.1): 4K: VA 39 starts at level 1, 40-48 at level 0, 49-52 at
 * level -1 (LPA2); 16K: 36 at level 2, 37-47 at level 1, 48-52 at level 0;
 * 64K: 39-42 at level 2, 43-52 at level 1.
 */
static const struct config configs[] = {
	{ 12, 39, false, 3 }, { 12, 42, false, 4 }, { 12, 47, false, 4 },
	{ 12, 48, false, 4 }, { 12, 48, true, 4 },  { 12, 52, true, 5 },
	{ 14, 36, false, 2 }, { 14, 39, false, 3 }, { 14, 42, false, 3 },
	{ 14, 47, false, 3 }, { 14, 48, false, 4 }, { 14, 48, true, 4 },
	{ 14, 52, true, 4 },  { 16, 39, false, 2 }, { 16, 42, false, 2 },
	{ 16, 47, false, 3 }, { 16, 48, false, 3 }, { 16, 52, false, 3 },
};

/* The recorded error has this code and its text contains want. */
#define assert_error(kd, code, want)                                       \
	do {                                                               \
		assert_int_equal(kvm_geterrcode(kd), (code));              \
		if (!strstr(kvm_geterr(kd), (want)))                       \
			fail_msg("error \"%s\" does not contain \"%s\"",   \
				 kvm_geterr(kd), (want));                  \
	} while (0)

static struct aarch64_paging
paging(const struct config *c)
{
	struct aarch64_paging pg = {
		.page_shift = c->ps, .va_bits = c->va, .lpa2 = c->lpa2
	};
	return pg;
}

static int
start_level(const struct config *c)
{
	return 4 - c->levels;
}

/* Bytes one entry of level lvl maps: the page, then 2^(ps-3) times more. */
static unsigned
level_shift(const struct config *c, int lvl)
{
	return c->ps + (c->ps - 3) * (unsigned)(3 - lvl);
}

static unsigned
va_index(const struct config *c, uint64_t va, int lvl)
{
	unsigned shift = level_shift(c, lvl);
	unsigned bits = lvl == start_level(c) ? c->va - shift : c->ps - 3;

	return (va >> shift) & ((1ULL << bits) - 1);
}

static const char *
level_name(const struct config *c, int lvl)
{
	static const char *const names[] = { "p4d", "pud", "pmd", "pte" };

	return lvl == start_level(c) ? "pgd" : names[lvl];
}

static bool
in_pmem(const struct fixture *f, uint64_t pa, uint64_t len)
{
	return pa >= f->base && len <= PMEM_SIZE &&
	       pa - f->base <= PMEM_SIZE - len;
}

static uint64_t
load(const struct fixture *f, uint64_t raw)
{
	return f->big_endian ? be64toh(raw) : le64toh(raw);
}

/* kd->xlat.read_pte for the tests that call aarch64_walk() directly. */
static int
pmem_read_pte(void *arg, uint64_t pa, uint64_t *pte_ret)
{
	struct fixture *f = arg;

	/* The walker only ever reads whole, aligned entries. */
	if (!in_pmem(f, pa, 8) || (pa & 7))
		return kvm_error(f->kd, KVM_ENODATA,
				 "no test memory at 0x%" PRIx64, pa);
	f->nreads++;
	*pte_ret = load(f, f->mem[(pa - f->base) / 8]);
	return 0;
}

/* A format's read_phys over the same buffer, for aarch64_init(). */
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
	if (f->hole && pa < f->hole + SZ_4K && f->hole < pa + len) {
		size_t n = pa < f->hole ? (size_t)(f->hole - pa) : 0;
		memcpy(buf, (const uint8_t *)f->mem + (pa - f->base), n);
		*done_ret = n;
		return kvm_error(kd, KVM_ENODATA,
				 "page 0x%" PRIx64 " excluded", f->hole);
	}
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
	return load(f, f->mem[(pa - f->base) / 8]);
}

static void
set_entry(struct fixture *f, uint64_t pa, uint64_t val)
{
	assert_true(in_pmem(f, pa, 8));
	f->mem[(pa - f->base) / 8] = f->big_endian ? htobe64(val)
						   : htole64(val);
}

/* A zeroed, page-aligned table of the granule's size. */
static uint64_t
new_table(struct fixture *f, const struct config *c)
{
	uint64_t size = 1ULL << c->ps;
	uint64_t pa = (f->next + size - 1) & ~(size - 1);

	assert_true(in_pmem(f, pa, size));
	f->next = pa + size;
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

/*
 * The address field of a descriptor for pa, written as the Arm ARM lays it
 * out: 64K: OA[47:16] in place, OA[51:48] in bits 15:12 (FEAT_LPA); LPA2:
 * OA[49:ps] in place, OA[51:50] in bits 9:8; else OA[47:ps] in place.
 */
static uint64_t
enc(const struct config *c, uint64_t pa)
{
	if (c->ps == 16)
		return (pa & 0x0000ffffffff0000ULL) |
		       ((pa >> 48) & 0xf) << 12;
	if (c->lpa2)
		return (pa & 0x0003fffffffff000ULL) | ((pa >> 50) & 3) << 8;
	assert_true(pa < (1ULL << 48));
	return pa;
}

/* The inverse, for building tables on top of tables. */
static uint64_t
dec(const struct config *c, uint64_t d)
{
	uint64_t low = ~((1ULL << c->ps) - 1);

	if (c->ps == 16)
		return (d & 0x0000ffffffff0000ULL) | ((d >> 12) & 0xf) << 48;
	if (c->lpa2)
		return (d & 0x0003ffffffffffffULL & low) | ((d >> 8) & 3) << 50;
	return d & 0x0000ffffffffffffULL & low;
}

static uint64_t
junk(const struct config *c)
{
	return JUNK_HI | (c->lpa2 ? JUNK_LO & ~LPA2_HI_BITS : JUNK_LO);
}

static uint64_t
table_desc(const struct config *c, uint64_t pa)
{
	return enc(c, pa) | junk(c) | 3;
}

static uint64_t
page_desc(const struct config *c, uint64_t pa)
{
	return enc(c, pa) | junk(c) | 3;
}

static uint64_t
block_desc(const struct config *c, uint64_t pa)
{
	return enc(c, pa) | junk(c) | 1;
}

/*
 * Physical address of the level-leaf entry for va in the tables rooted at
 * root, creating the tables above it as needed.
 */
static uint64_t
entry_addr(struct fixture *f, const struct config *c, uint64_t root,
	   uint64_t va, int leaf)
{
	uint64_t table = root;

	for (int lvl = start_level(c); lvl < leaf; lvl++) {
		uint64_t ea = table + va_index(c, va, lvl) * 8ULL;
		uint64_t e = get_entry(f, ea);
		if (!(e & 1)) {
			e = table_desc(c, new_table(f, c));
			set_entry(f, ea, e);
		}
		table = dec(c, e);
	}
	return table + va_index(c, va, leaf) * 8ULL;
}

static void
map(struct fixture *f, const struct config *c, uint64_t root, uint64_t va,
    int leaf, uint64_t val)
{
	set_entry(f, entry_addr(f, c, root, va, leaf), val);
}

/* The highest address of the kernel half, and the first of it. */
static uint64_t
kernel_first(const struct config *c)
{
	return ~0ULL << c->va;
}

/* aarch64_walk() with the error and read count cleared first. */
static int
walk(struct fixture *f, const struct config *c, uint64_t root, uint64_t va,
     bool kernel, uint64_t *pa_ret, uint64_t *len_ret)
{
	struct aarch64_paging pg = paging(c);

	kvm_error_clear(f->kd);
	f->nreads = 0;
	return aarch64_walk(f->kd, &pg, root, va, kernel, pa_ret, len_ret);
}

static char *
config_name(const struct config *c)
{
	static char buf[64];

	snprintf(buf, sizeof(buf), "%uK/%u-bit%s", 1u << (c->ps - 10), c->va,
		 c->lpa2 ? "/LPA2" : "");
	return buf;
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

	kvm_arch_aarch64.fini(f->kd);
	free(f->kd->ranges);
	kvm_vmcoreinfo_deinit(&f->kd->vmci);
	free(f->kd->vmcoreinfo_text);
	free(f->kd);
	free(f->mem);
	free(f);
	return 0;
}

/* ------------------------------------------------------------ levels */

static void
test_levels(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(configs); i++) {
		struct aarch64_paging pg = paging(&configs[i]);
		if (aarch64_levels(&pg) != configs[i].levels)
			fail_msg("%s: %d levels, want %d",
				 config_name(&configs[i]), aarch64_levels(&pg),
				 configs[i].levels);
	}

	/* What the architecture or Linux does not allow. */
	static const struct aarch64_paging bad[] = {
		{ 12, 52, false }, /* 4K beyond 48 bits needs LPA2 */
		{ 14, 52, false }, { 12, 49, false },
		{ 16, 52, true }, /* no LPA2 with 64K */
		{ 16, 48, true },  { 12, 53, true }, { 16, 53, false },
		{ 12, 24, false }, /* below TnSZ 39 */
		{ 14, 25, false }, /* one level only */
		{ 16, 29, false }, { 13, 39, false }, { 0, 48, false },
		{ 15, 48, false }, { 17, 48, false },
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		if (aarch64_levels(&bad[i]) != 0)
			fail_msg("page shift %u, %u bits, lpa2 %d accepted",
				 bad[i].page_shift, bad[i].va_bits,
				 bad[i].lpa2);

	/* The smallest of each granule that still has two levels. */
	static const struct aarch64_paging least[] = {
		{ 12, 25, false }, { 14, 26, false }, { 16, 30, false },
	};
	for (size_t i = 0; i < ARRAY_SIZE(least); i++)
		assert_int_equal(aarch64_levels(&least[i]), 2);
}

/* ------------------------------------------------------------ walking */

/*
 * Built entry by entry with the indices worked out by hand, so that the
 * helpers the other tests use are checked too.
 */
static void
test_hand_4k_48(void **state)
{
	struct fixture *f = *state;
	static const struct config c = { 12, 48, false, 4 };
	uint64_t root = new_table(f, &c), pud = new_table(f, &c);
	uint64_t pmd = new_table(f, &c), pt = new_table(f, &c);
	uint64_t page = 0x0000abcde1234000ULL; /* PA bits up to 47 */
	uint64_t pa, len;

	/* 0xffffc8bcd78f3be0 = pgd 401, pud 243, pmd 188, pte 243, 0xbe0. */
	set_entry(f, root + 401 * 8, table_desc(&c, pud));
	set_entry(f, pud + 243 * 8, table_desc(&c, pmd));
	set_entry(f, pmd + 188 * 8, table_desc(&c, pt));
	set_entry(f, pt + 243 * 8, page_desc(&c, page));

	assert_int_equal(walk(f, &c, root, 0xffffc8bcd78f3be0ULL, true, &pa,
			      &len),
			 0);
	assert_int_equal(pa, page + 0xbe0);
	assert_int_equal(len, SZ_4K - 0xbe0);
	assert_int_equal(f->nreads, 4);
	assert_int_equal(entry_addr(f, &c, root, 0xffffc8bcd78f3be0ULL, 3),
			 pt + 243 * 8);

	/* The neighbouring page has no entry. */
	assert_int_equal(walk(f, &c, root, 0xffffc8bcd78f4000ULL, true, &pa,
			      &len),
			 -KVM_EFAULT);
	assert_error(f->kd, KVM_EFAULT, "pte invalid");
	assert_error(f->kd, KVM_EFAULT, "level 3 pte[244] = 0x0");
}

static void
test_hand_16k_47(void **state)
{
	struct fixture *f = *state;
	static const struct config c = { 14, 47, false, 3 };
	uint64_t root = new_table(f, &c), pmd = new_table(f, &c);
	uint64_t pt = new_table(f, &c);
	uint64_t page = 0x00007654321fc000ULL;
	uint64_t pa, len;

	/* 0xffffeabc12345678 = pgd (level 1) 1707, pmd 1545, pte 209. */
	set_entry(f, root + 1707 * 8, table_desc(&c, pmd));
	set_entry(f, pmd + 1545 * 8, table_desc(&c, pt));
	set_entry(f, pt + 209 * 8, page_desc(&c, page));
	assert_int_equal(walk(f, &c, root, 0xffffeabc12345678ULL, true, &pa,
			      &len),
			 0);
	assert_int_equal(pa, page + 0x1678);
	assert_int_equal(len, (1ULL << 14) - 0x1678);
	assert_int_equal(f->nreads, 3);
}

static void
test_hand_64k_42(void **state)
{
	struct fixture *f = *state;
	static const struct config c = { 16, 42, false, 2 };
	uint64_t root = new_table(f, &c), pt = new_table(f, &c);
	uint64_t page = 0x0000fedcba980000ULL;
	uint64_t pa, len;

	/* 0xfffffdabc2345678 = pgd (level 2) 3422, pte 564, off 0x5678. */
	set_entry(f, root + 3422 * 8, table_desc(&c, pt));
	set_entry(f, pt + 564 * 8, page_desc(&c, page));
	assert_int_equal(walk(f, &c, root, 0xfffffdabc2345678ULL, true, &pa,
			      &len),
			 0);
	assert_int_equal(pa, page + 0x5678);
	assert_int_equal(len, SZ_64K - 0x5678);
	assert_int_equal(f->nreads, 2);
}

/* Five levels: 4K pages, 52-bit VAs, LPA2 (Linux 6.9+). */
static void
test_hand_4k_52_lpa2(void **state)
{
	struct fixture *f = *state;
	static const struct config c = { 12, 52, true, 5 };
	uint64_t t[5];
	uint64_t page = 0x000c00fedcba9000ULL; /* OA[51:50] = 0b11 */
	uint64_t pa, len;

	for (int i = 0; i < 5; i++)
		t[i] = new_table(f, &c);
	/* 0xfff8123456789abc = pgd 8, p4d 36, pud 209, pmd 179, pte 393. */
	set_entry(f, t[0] + 8 * 8, table_desc(&c, t[1]));
	set_entry(f, t[1] + 36 * 8, table_desc(&c, t[2]));
	set_entry(f, t[2] + 209 * 8, table_desc(&c, t[3]));
	set_entry(f, t[3] + 179 * 8, table_desc(&c, t[4]));
	/* Bits 9:8 = 0b11 carry OA[51:50]; 49:12 stay in place. */
	set_entry(f, t[4] + 393 * 8, 0x000000fedcba9000ULL | 0x300 | 0x403);
	assert_int_equal(walk(f, &c, t[0], 0xfff8123456789abcULL, true, &pa,
			      &len),
			 0);
	assert_int_equal(pa, page + 0xabc);
	assert_int_equal(len, SZ_4K - 0xabc);
	assert_int_equal(f->nreads, 5);
}

/*
 * Every configuration: the first, the last and a middle address of each
 * half, as pages; the top-level index uses only the bits the VA size
 * leaves it.
 */
static void
test_pages_all_configs(void **state)
{
	struct fixture *f = *state;

	for (size_t i = 0; i < ARRAY_SIZE(configs); i++) {
		const struct config *c = &configs[i];
		uint64_t psize = 1ULL << c->ps;
		uint64_t vmask = (1ULL << c->va) - 1;
		const uint64_t kvas[] = {
			kernel_first(c),
			~0ULL,
			kernel_first(c) | (0x5a5a5a5a5a5a5a5aULL & vmask),
		};
		const uint64_t uvas[] = {
			0,
			vmask,
			0x2525252525252525ULL & vmask,
		};
		uint64_t pa, len;

		pmem_reset(f, PMEM_BASE);
		uint64_t kroot = new_table(f, c), uroot = new_table(f, c);
		for (size_t k = 0; k < ARRAY_SIZE(kvas); k++) {
			uint64_t page = 0x40000000 + k * 0x10000;
			map(f, c, kroot, kvas[k], 3, page_desc(c, page));
			map(f, c, uroot, uvas[k], 3,
			    page_desc(c, page + 0x1000000));
		}
		for (size_t k = 0; k < ARRAY_SIZE(kvas); k++) {
			uint64_t page = 0x40000000 + k * 0x10000;
			uint64_t off = kvas[k] & (psize - 1);
			if (walk(f, c, kroot, kvas[k], true, &pa, &len) != 0)
				fail_msg("%s: 0x%" PRIx64 ": %s",
					 config_name(c), kvas[k],
					 kvm_geterr(f->kd));
			assert_int_equal(pa, page + off);
			assert_int_equal(len, psize - off);
			assert_int_equal(f->nreads, c->levels);

			off = uvas[k] & (psize - 1);
			if (walk(f, c, uroot, uvas[k], false, &pa, &len) != 0)
				fail_msg("%s: 0x%" PRIx64 ": %s",
					 config_name(c), uvas[k],
					 kvm_geterr(f->kd));
			assert_int_equal(pa, page + 0x1000000 + off);
			assert_int_equal(len, psize - off);
			assert_int_equal(f->nreads, c->levels);

			/* Each root maps only its own half. */
			assert_int_equal(walk(f, c, kroot, uvas[k], true, &pa,
					      &len),
					 -KVM_EFAULT);
			assert_error(f->kd, KVM_EFAULT, "kernel half (TTBR1)");
			assert_int_equal(f->nreads, 0);
			assert_int_equal(walk(f, c, uroot, kvas[k], false, &pa,
					      &len),
					 -KVM_EFAULT);
			assert_error(f->kd, KVM_EFAULT, "user half (TTBR0)");
			assert_int_equal(f->nreads, 0);
		}
	}
}

/*
 * Blocks at level 2 with every granule (2 MiB, 32 MiB, 512 MiB) and at
 * level 1 with 4K (1 GiB); elsewhere a block descriptor is refused.
 */
static void
test_blocks_all_configs(void **state)
{
	struct fixture *f = *state;

	for (size_t i = 0; i < ARRAY_SIZE(configs); i++) {
		const struct config *c = &configs[i];

		for (int lvl = start_level(c); lvl <= 2; lvl++) {
			unsigned shift = level_shift(c, lvl);
			uint64_t size = 1ULL << shift;
			bool allowed = lvl == 2 || (lvl == 1 && c->ps == 12);
			/* A block-aligned OA that fits the 48-bit format. */
			uint64_t base =
				(0x0000a5a5a5a5a5a5ULL >> shift) << shift;
			uint64_t va = kernel_first(c) + 3 * size;
			uint64_t off = (size - 1) & 0x123456789abcdefULL;
			uint64_t pa, len;

			if (va < kernel_first(c))
				va = kernel_first(c); /* a 2-entry top table */
			pmem_reset(f, PMEM_BASE);
			uint64_t root = new_table(f, c);
			map(f, c, root, va, lvl, block_desc(c, base));
			int err = walk(f, c, root, va + off, true, &pa, &len);
			if (!allowed) {
				assert_int_equal(err, -KVM_EFAULT);
				char want[64];
				snprintf(want, sizeof(want),
					 "not allowed at level %d", lvl);
				assert_error(f->kd, KVM_EFAULT, want);
				continue;
			}
			if (err)
				fail_msg("%s level %d: %s", config_name(c), lvl,
					 kvm_geterr(f->kd));
			assert_int_equal(pa, base + off);
			assert_int_equal(len, size - off);
			assert_int_equal(f->nreads, lvl - start_level(c) + 1);

			/* The block's first and last byte. */
			assert_int_equal(walk(f, c, root, va, true, &pa, &len),
					 0);
			assert_int_equal(pa, base);
			assert_int_equal(len, size);
			assert_int_equal(walk(f, c, root, va + size - 1, true,
					      &pa, &len),
					 0);
			assert_int_equal(pa, base + size - 1);
			assert_int_equal(len, 1);
		}
	}
}

/* The block sizes themselves, against the Arm ARM's table. */
static void
test_block_sizes(void **state)
{
	struct fixture *f = *state;
	static const struct {
		struct config c;
		int lvl;
		uint64_t size;
	} cases[] = {
		{ { 12, 48, false, 4 }, 2, 1ULL << 21 },
		{ { 12, 48, false, 4 }, 1, 1ULL << 30 },
		{ { 12, 39, false, 3 }, 1, 1ULL << 30 },
		{ { 14, 47, false, 3 }, 2, 1ULL << 25 },
		{ { 16, 48, false, 3 }, 2, 1ULL << 29 },
		{ { 16, 42, false, 2 }, 2, 1ULL << 29 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct config *c = &cases[i].c;
		uint64_t size = cases[i].size;
		uint64_t va = kernel_first(c) + size * 2;
		uint64_t pa, len;

		pmem_reset(f, PMEM_BASE);
		uint64_t root = new_table(f, c);
		map(f, c, root, va, cases[i].lvl, block_desc(c, 4 * size));
		assert_int_equal(walk(f, c, root, va + 1, true, &pa, &len), 0);
		assert_int_equal(pa, 4 * size + 1);
		assert_int_equal(len, size - 1);
		/* The next block is not mapped. */
		assert_int_equal(walk(f, c, root, va + size, true, &pa, &len),
				 -KVM_EFAULT);
	}
}

/* Descriptors with every bit set that may be set. */
static void
test_address_bits_exact(void **state)
{
	struct fixture *f = *state;
	static const struct {
		struct config c;
		uint64_t page_pa;  /* of a page descriptor ~0 */
		uint64_t block_pa; /* of a level 2 block ~2 */
	} cases[] = {
		{ { 12, 48, false, 4 }, 0x0000fffffffff000ULL,
		  0x0000ffffffe00000ULL },
		{ { 14, 47, false, 3 }, 0x0000ffffffffc000ULL,
		  0x0000fffffe000000ULL },
		/* 64K: bits 15:12 are OA[51:48] (FEAT_LPA). */
		{ { 16, 48, false, 3 }, 0x000fffffffff0000ULL,
		  0x000fffffe0000000ULL },
		{ { 16, 52, false, 3 }, 0x000fffffffff0000ULL,
		  0x000fffffe0000000ULL },
		/* LPA2: bits 49:ps in place, 9:8 are OA[51:50]. */
		{ { 12, 52, true, 5 }, 0x000ffffffffff000ULL,
		  0x000fffffffe00000ULL },
		{ { 14, 48, true, 4 }, 0x000fffffffffc000ULL,
		  0x000ffffffe000000ULL },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct config *c = &cases[i].c;
		uint64_t va = kernel_first(c) + 0x12345678;
		uint64_t psize = 1ULL << c->ps;
		uint64_t bsize = 1ULL << level_shift(c, 2);
		uint64_t vb = kernel_first(c) + 16 * bsize;
		uint64_t pa, len;

		pmem_reset(f, PMEM_BASE);
		uint64_t root = new_table(f, c);
		map(f, c, root, va, 3, ~0ULL);
		assert_int_equal(walk(f, c, root, va, true, &pa, &len), 0);
		assert_int_equal(pa, cases[i].page_pa + (va & (psize - 1)));

		map(f, c, root, vb, 2, ~2ULL);
		assert_int_equal(walk(f, c, root, vb + 5, true, &pa, &len), 0);
		assert_int_equal(pa, cases[i].block_pa + 5);
	}
}

/* Without LPA2, bits 9:8 are shareability: never address bits. */
static void
test_sh_bits_not_address(void **state)
{
	struct fixture *f = *state;
	static const struct config c = { 12, 48, false, 4 };
	uint64_t root = new_table(f, &c);
	uint64_t va = 0xffff000000001000ULL;
	uint64_t pa, len;

	/* PTE_SHARED (3 << 8) | PTE_AF, as Linux writes every entry. */
	map(f, &c, root, va, 3, 0x0000000040123000ULL | 0x300 | 0x400 | 3);
	assert_int_equal(walk(f, &c, root, va + 0x10, true, &pa, &len), 0);
	assert_int_equal(pa, 0x40123010);

	/* The same bits with LPA2 are OA[51:50]. */
	static const struct config l = { 12, 48, true, 4 };
	pmem_reset(f, PMEM_BASE);
	root = new_table(f, &l);
	map(f, &l, root, va, 3, 0x0000000040123000ULL | 0x300 | 0x400 | 3);
	assert_int_equal(walk(f, &l, root, va + 0x10, true, &pa, &len), 0);
	assert_int_equal(pa, 0x000c000040123010ULL);
}

/*
 * Tables themselves above 2^48: 64K LPA (table address bits 51:48 in
 * 15:12) and LPA2 (51:50 in 9:8).  The buffer is moved up there.
 */
static void
test_tables_above_48_bits(void **state)
{
	struct fixture *f = *state;
	static const struct {
		struct config c;
		uint64_t base;
	} cases[] = {
		{ { 16, 52, false, 3 }, 0x000a001230000000ULL },
		{ { 16, 48, false, 3 }, 0x0005001230000000ULL },
		{ { 12, 52, true, 5 }, 0x000c001230000000ULL },
		{ { 14, 52, true, 4 }, 0x0009001230000000ULL },
		{ { 12, 48, true, 4 }, 0x0007001230000000ULL },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct config *c = &cases[i].c;
		uint64_t va = kernel_first(c) | 0x000123456789abcdULL;
		uint64_t page = 0x000f000000000000ULL |
				(0x89abcdef0000ULL & ~((1ULL << c->ps) - 1));
		uint64_t pa, len;

		pmem_reset(f, cases[i].base);
		uint64_t root = new_table(f, c);
		map(f, c, root, va, 3, page_desc(c, page));
		assert_int_equal(walk(f, c, root, va, true, &pa, &len), 0);
		assert_int_equal(pa, page + (va & ((1ULL << c->ps) - 1)));
		assert_int_equal(f->nreads, c->levels);
	}
}

/* ---------------------------------------------------------------- errors */

static void
check_invalid(struct fixture *f, const struct config *c, int lvl,
	      uint64_t va)
{
	uint64_t pa = 0, len = 0;
	char want[128];

	pmem_reset(f, PMEM_BASE);
	uint64_t root = new_table(f, c);
	map(f, c, root, va, 3, page_desc(c, 0x7000000));
	if (walk(f, c, root, va, true, &pa, &len) != 0)
		fail_msg("%s: %s", config_name(c), kvm_geterr(f->kd));

	/*
	 * Only the valid bit goes: the address and the other bits stay, as
	 * in a swap or PROT_NONE entry, and must not be followed.
	 */
	uint64_t ea = entry_addr(f, c, root, va, lvl);
	set_entry(f, ea, get_entry(f, ea) & ~1ULL);

	assert_int_equal(walk(f, c, root, va, true, &pa, &len), -KVM_EFAULT);
	snprintf(want, sizeof(want), "%s invalid", level_name(c, lvl));
	assert_error(f->kd, KVM_EFAULT, want);
	snprintf(want, sizeof(want), "level %d %s[%u] = 0x", lvl,
		 level_name(c, lvl), va_index(c, va, lvl));
	assert_error(f->kd, KVM_EFAULT, want);
	snprintf(want, sizeof(want), "0x%" PRIx64, va);
	assert_error(f->kd, KVM_EFAULT, want);
	assert_int_equal(f->nreads, lvl - start_level(c) + 1);

	/* An entry of zeros, the common case. */
	set_entry(f, ea, 0);
	assert_int_equal(walk(f, c, root, va, true, &pa, &len), -KVM_EFAULT);
	snprintf(want, sizeof(want), "%s[%u] = 0x0", level_name(c, lvl),
		 va_index(c, va, lvl));
	assert_error(f->kd, KVM_EFAULT, want);
}

static void
test_invalid_each_level(void **state)
{
	struct fixture *f = *state;

	for (size_t i = 0; i < ARRAY_SIZE(configs); i++) {
		const struct config *c = &configs[i];
		uint64_t va = ~0ULL - 0x123456789ULL; /* in a 36-bit half */
		for (int lvl = start_level(c); lvl <= 3; lvl++)
			check_invalid(f, c, lvl, va);
	}
}

/* The names Linux gives the levels, folded or not. */
static void
test_invalid_names(void **state)
{
	struct fixture *f = *state;
	static const struct {
		struct config c;
		int lvl;
		const char *want;
	} cases[] = {
		{ { 12, 52, true, 5 }, -1, "level -1 pgd[" },
		{ { 12, 52, true, 5 }, 0, "level 0 p4d[" },
		{ { 12, 48, false, 4 }, 0, "level 0 pgd[" },
		{ { 12, 48, false, 4 }, 1, "level 1 pud[" },
		{ { 12, 39, false, 3 }, 1, "level 1 pgd[" },
		{ { 12, 39, false, 3 }, 2, "level 2 pmd[" },
		{ { 16, 42, false, 2 }, 2, "level 2 pgd[" },
		{ { 16, 42, false, 2 }, 3, "level 3 pte[" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		check_invalid(f, &cases[i].c, cases[i].lvl,
			      kernel_first(&cases[i].c) + 0x5000);
		assert_error(f->kd, KVM_EFAULT, cases[i].want);
	}
}

/* Type 0b01 at the last level is reserved: invalid, not a page. */
static void
test_reserved_at_level3(void **state)
{
	struct fixture *f = *state;

	for (size_t i = 0; i < ARRAY_SIZE(configs); i++) {
		const struct config *c = &configs[i];
		uint64_t va = kernel_first(c) + 0xabcdef000ULL;
		uint64_t pa, len;
		char want[64];

		pmem_reset(f, PMEM_BASE);
		uint64_t root = new_table(f, c);
		map(f, c, root, va, 3, block_desc(c, 0x40000000));
		assert_int_equal(walk(f, c, root, va, true, &pa, &len),
				 -KVM_EFAULT);
		snprintf(want, sizeof(want), "level 3 pte[%u]",
			 va_index(c, va, 3));
		assert_error(f->kd, KVM_EFAULT, "reserved");
		assert_error(f->kd, KVM_EFAULT, want);
	}
}

/*
 * A table descriptor that points outside memory: the error names the
 * entry being read and keeps what read_pte said, with the full (52-bit
 * where the format allows) table address.
 */
static void
test_table_to_absent_memory(void **state)
{
	struct fixture *f = *state;

	for (size_t i = 0; i < ARRAY_SIZE(configs); i++) {
		const struct config *c = &configs[i];
		uint64_t va = kernel_first(c) + 0x76543210ULL;
		uint64_t bad = (c->ps == 16 || c->lpa2) ? 0x000a007700000000ULL
							: 0x0000007700000000ULL;
		uint64_t pa, len;
		char want[128];

		for (int lvl = start_level(c); lvl < 3; lvl++) {
			pmem_reset(f, PMEM_BASE);
			uint64_t root = new_table(f, c);
			map(f, c, root, va, 3, page_desc(c, 0x1000000));
			uint64_t ea = entry_addr(f, c, root, va, lvl);
			set_entry(f, ea, table_desc(c, bad));
			assert_int_equal(walk(f, c, root, va, true, &pa, &len),
					 -KVM_ENODATA);
			snprintf(want, sizeof(want),
				 "aarch64: reading level %d %s[%u] for "
				 "0x%" PRIx64 ": ",
				 lvl + 1, level_name(c, lvl + 1),
				 va_index(c, va, lvl + 1), va);
			assert_error(f->kd, KVM_ENODATA, want);
			snprintf(want, sizeof(want),
				 "no test memory at 0x%" PRIx64,
				 (uint64_t)(bad +
					    va_index(c, va, lvl + 1) * 8ULL));
			assert_error(f->kd, KVM_ENODATA, want);
		}
	}
}

static void
test_read_error_at_root(void **state)
{
	struct fixture *f = *state;
	static const struct config c = { 12, 48, false, 4 };
	uint64_t pa, len;

	assert_int_equal(walk(f, &c, 0x1000, 0xffffc8bcd78f3be0ULL, true, &pa,
			      &len),
			 -KVM_ENODATA);
	assert_error(f->kd, KVM_ENODATA,
		     "aarch64: reading level 0 pgd[401] for "
		     "0xffffc8bcd78f3be0: no test memory at 0x1c88");
}

static void
test_outside_halves(void **state)
{
	struct fixture *f = *state;
	static const struct config c48 = { 12, 48, false, 4 };
	static const struct config c39 = { 12, 39, false, 3 };
	static const struct config c52 = { 16, 52, false, 3 };
	static const struct {
		const struct config *c;
		uint64_t va;
	} bad_kernel[] = {
		{ &c48, 0xfffeffffffffffffULL },
		{ &c48, 0x0000800000000000ULL },
		{ &c48, 0x7fff800000000000ULL },
		{ &c48, 0xefff800000000000ULL },
		{ &c39, 0xffffff0000000000ULL },
		{ &c39, 0xffff800000000000ULL },
		{ &c52, 0xffefffffffffffffULL },
		{ &c52, 0 },
	}, bad_user[] = {
		{ &c48, 0x0001000000000000ULL },
		{ &c48, 0xffff000000000000ULL },
		{ &c48, 0x0080000000000000ULL }, /* bit 55: TTBR1's */
		{ &c39, 0x0000008000000000ULL },
		{ &c52, 0x0010000000000000ULL },
	};
	uint64_t pa, len;
	char want[64];

	for (size_t i = 0; i < ARRAY_SIZE(bad_kernel); i++) {
		assert_int_equal(walk(f, bad_kernel[i].c, PMEM_BASE,
				      bad_kernel[i].va, true, &pa, &len),
				 -KVM_EFAULT);
		snprintf(want, sizeof(want), "0x%" PRIx64 " is outside the %u",
			 bad_kernel[i].va, bad_kernel[i].c->va);
		assert_error(f->kd, KVM_EFAULT, want);
		assert_int_equal(f->nreads, 0); /* memory is not touched */
	}
	for (size_t i = 0; i < ARRAY_SIZE(bad_user); i++) {
		assert_int_equal(walk(f, bad_user[i].c, PMEM_BASE,
				      bad_user[i].va, false, &pa, &len),
				 -KVM_EFAULT);
		assert_error(f->kd, KVM_EFAULT, "user half (TTBR0)");
		assert_int_equal(f->nreads, 0);
	}
}

/* TCR_EL1.TBI0: a user address's top byte is a tag, not address. */
static void
test_user_top_byte_ignored(void **state)
{
	struct fixture *f = *state;
	static const struct config c = { 14, 48, false, 4 };
	uint64_t root = new_table(f, &c);
	uint64_t pa, len;

	/* 0x5a00123456789abc = pgd 0, pud 291, pmd 555, pte 482, 0x1abc. */
	map(f, &c, root, 0x0000123456789abcULL, 3,
	    page_desc(&c, 0x0000000123454000ULL));
	assert_int_equal(entry_addr(f, &c, root, 0x0000123456789abcULL, 3) &
				 ((1ULL << 14) - 1),
			 482 * 8);
	assert_int_equal(walk(f, &c, root, 0x5a00123456789abcULL, false, &pa,
			      &len),
			 0);
	assert_int_equal(pa, 0x0000000123455abcULL);
	assert_int_equal(walk(f, &c, root, 0xff00123456789abcULL, false, &pa,
			      &len),
			 0);
	assert_int_equal(pa, 0x0000000123455abcULL);
	/* The kernel half has no top-byte ignore (no KASAN tags here). */
	assert_int_equal(walk(f, &c, root, 0x5aff123456789abcULL, true, &pa,
			      &len),
			 -KVM_EFAULT);
}

/* The first table is aligned to its size, as TTBR.BADDR is. */
static void
test_root_alignment(void **state)
{
	struct fixture *f = *state;
	static const struct config c = { 16, 48, false, 3 }; /* 64 entries */
	uint64_t pa, len;
	uint64_t page = new_table(f, &c);
	uint64_t root = page + 0x1e00; /* a 512-byte table inside a page */
	uint64_t va = 0xffff800000010000ULL;

	map(f, &c, root, va, 3, page_desc(&c, 0x40000000));
	assert_int_equal(walk(f, &c, root, va, true, &pa, &len), 0);
	assert_int_equal(pa, 0x40000000);
	/* Bits below the table's alignment are ignored. */
	assert_int_equal(walk(f, &c, root | 0x1ff, va, true, &pa, &len), 0);
	assert_int_equal(pa, 0x40000000);
	/* The table before it is another table. */
	assert_int_equal(walk(f, &c, root - 0x200, va, true, &pa, &len),
			 -KVM_EFAULT);
}

static void
test_bad_config(void **state)
{
	struct fixture *f = *state;
	static const struct config bad[] = {
		{ 12, 52, false, 0 }, { 16, 48, true, 0 }, { 13, 48, false, 0 },
		{ 12, 60, true, 0 },  { 14, 20, false, 0 },
	};
	uint64_t pa, len;

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		assert_int_equal(walk(f, &bad[i], PMEM_BASE, ~0ULL, true, &pa,
				      &len),
				 -KVM_EINVAL);
		assert_error(f->kd, KVM_EINVAL, "aarch64: no ");
		assert_int_equal(f->nreads, 0);
	}
}

/* ------------------------------------------------------------ arch ops */

static void
test_arch_ops_table(void **state)
{
	(void)state;
	assert_string_equal(kvm_arch_aarch64.name, "aarch64");
	assert_int_equal(kvm_arch_aarch64.e_machine, 183); /* EM_AARCH64 */
	assert_int_equal(kvm_arch_aarch64.ptr_size, 8);
	assert_non_null(kvm_arch_aarch64.init);
	assert_non_null(kvm_arch_aarch64.kvatop);
	assert_non_null(kvm_arch_aarch64.uvatop);
	assert_non_null(kvm_arch_aarch64.fini);
	assert_true(kvm_arch_by_machine(183) == &kvm_arch_aarch64);
	assert_string_equal(kvm_machine_name(183), "aarch64");
}

/* Make kd look like a freshly opened dump over the test memory. */
static void
init_target(struct fixture *f, const char *vmcoreinfo)
{
	kvm_t *kd = f->kd;

	kd->format = &pmem_format;
	kd->arch = &kvm_arch_aarch64;
	kd->e_machine = 183;
	kd->ptr_size = 8;
	kd->big_endian = f->big_endian;
	if (vmcoreinfo)
		assert_int_equal(kvm_set_vmcoreinfo(kd, vmcoreinfo,
						    strlen(vmcoreinfo)),
				 0);
}

/*
 * A kernel as Linux lays it out: the image at kimage_voffset from its
 * physical address, mapped with pages; swapper_pg_dir in the image.
 */
struct fake_kernel {
	uint64_t stext, stext_pa;
	uint64_t swapper, swapper_pa;
	uint64_t voffset;
};

static void
fake_vmcoreinfo(char *buf, size_t size, const struct fake_kernel *k,
		unsigned page_size, unsigned va_bits, int t1sz,
		uint64_t kaslr)
{
	int n = snprintf(buf, size,
			 "OSRELEASE=6.99.0-test\nPAGESIZE=%u\n"
			 "SYMBOL(swapper_pg_dir)=%" PRIx64 "\n"
			 "SYMBOL(_stext)=%" PRIx64 "\n"
			 "NUMBER(VA_BITS)=%u\n"
			 "NUMBER(kimage_voffset)=0x%" PRIx64 "\n"
			 "NUMBER(PHYS_OFFSET)=0x40000000\n"
			 "KERNELOFFSET=%" PRIx64 "\n",
			 page_size, k->swapper, k->stext, va_bits, k->voffset,
			 kaslr);
	if (t1sz >= 0)
		snprintf(buf + n, size - (size_t)n,
			 "NUMBER(TCR_EL1_T1SZ)=0x%x\n", t1sz);
}

/* The image's link address plus a KASLR offset, for a VA size. */
static void
fake_layout(struct fake_kernel *k, const struct config *c, uint64_t root,
	    uint64_t stext_pa)
{
	/*
	 * KIMAGE_VADDR is MODULES_END, in the middle of the kernel half (since
	 * 5.4), then moved up by KASLR.
	 */
	uint64_t kimage = kernel_first(c) + (1ULL << (c->va - 1)) +
			  (1ULL << (c->va - 3)) + 0x08000000ULL;

	k->stext = kimage + 0x10000;
	k->stext_pa = stext_pa;
	k->voffset = k->stext - stext_pa;
	k->swapper_pa = root;
	k->swapper = root + k->voffset;
}

static void
test_init_4k_48(void **state)
{
	struct fixture *f = *state;
	kvm_t *kd = f->kd;
	static const struct config c = { 12, 48, false, 4 };
	struct fake_kernel k;
	char text[1024];
	uint64_t pa, len;
	struct kvm_swp_entry swp;

	uint64_t root = new_table(f, &c);
	fake_layout(&k, &c, root, 0x40210000);
	map(f, &c, root, k.stext, 3, page_desc(&c, k.stext_pa));
	map(f, &c, root, k.swapper, 3, page_desc(&c, root));
	uint64_t uroot = new_table(f, &c);
	map(f, &c, uroot, 0x0000aaaaaaaab000ULL, 3,
	    page_desc(&c, 0x45670000));
	fake_vmcoreinfo(text, sizeof(text), &k, 4096, 48, 16, 0x1234000000);
	init_target(f, text);

	assert_int_equal(kd->arch->init(kd), 0);
	assert_true(kd->xlat.ready);
	assert_int_equal(kd->xlat.root, root);
	assert_int_equal(kd->xlat.levels, 4);
	assert_int_equal(kd->page_size, 4096);
	assert_true(kd->kaslr_known);
	assert_int_equal(kd->kaslr_offset, 0x1234000000);
	assert_int_equal(kd->xlat.ktext_start, k.stext);

	/* Translation now reads entries through the format. */
	assert_true(kd->xlat.read_pte != pmem_read_pte);
	f->nreads = 0;
	assert_int_equal(kd->arch->kvatop(kd, k.stext + 0x42, &pa, &len), 0);
	assert_int_equal(pa, k.stext_pa + 0x42);
	assert_int_equal(len, SZ_4K - 0x42);
	assert_int_equal(f->nreads, 4);
	assert_int_equal(kd->arch->kvatop(kd, k.swapper + 8, &pa, &len), 0);
	assert_int_equal(pa, root + 8);

	assert_int_equal(kd->arch->uvatop(kd, uroot, 0x0000aaaaaaaab123ULL,
					  &pa, &len, &swp),
			 0);
	assert_int_equal(pa, 0x45670123);
	kvm_error_clear(kd);
	assert_int_equal(kd->arch->kvatop(kd, 0x0000aaaaaaaab123ULL, &pa,
					  &len),
			 -KVM_EFAULT);
	assert_error(kd, KVM_EFAULT, "kernel half");
	assert_int_equal(kd->arch->uvatop(kd, uroot, k.stext, &pa, &len, &swp),
			 -KVM_EFAULT);

	/*
	 * Invalid user PTEs: swap entries and PROT_NONE pages, whose layout
	 * changed in 5.19 and 6.10 (the release comes from kd->xlat.kver).
	 */
	const uint64_t sva = 0x0000aaaaaaaac000ULL;
	struct {
		uint32_t kver;
		uint64_t pte;
		int ret;
		unsigned type;
		uint64_t offset;
	} sw[] = {
		/* 5.4: type in bits 2-7, offset 8-57 */
		{ KVM_KVER(5, 4), 2ULL << 2 | 777ULL << 8, KVM_UVA_SWAP, 2, 777 },
		/* 6.1: bit 2 is "exclusive", type 3-7 */
		{ KVM_KVER(6, 1), 1ULL << 2 | 1ULL << 3 | 21363ULL << 8,
		  KVM_UVA_SWAP, 1, 21363 },
		/* 6.1 PROT_NONE: bit 58 */
		{ KVM_KVER(6, 1), 1ULL << 58 | 0x45671000ULL | 0x700, 0, 0, 0 },
		/* 6.10: type 6-10, offset 12-61 */
		{ KVM_KVER(6, 10), 3ULL << 6 | 1ULL << 2 | 5ULL << 12,
		  KVM_UVA_SWAP, 3, 5 },
		/* 6.10 PROT_NONE: PTE_PRESENT_INVALID, bit 11 */
		{ KVM_KVER(7, 2), 1ULL << 11 | 0x45671000ULL | 0x700, 0, 0, 0 },
		/* unknown release: said, not guessed */
		{ 0, 1ULL << 3 | 9ULL << 8, -KVM_ENOTSUP, 0, 0 },
	};
	for (size_t i = 0; i < sizeof(sw) / sizeof(sw[0]); i++) {
		map(f, &c, uroot, sva, 3, sw[i].pte);
		kd->xlat.kver = sw[i].kver;
		memset(&swp, 0xff, sizeof(swp));
		kvm_error_clear(kd);
		assert_int_equal(kd->arch->uvatop(kd, uroot, sva + 0x10, &pa,
						  &len, &swp),
				 sw[i].ret);
		if (sw[i].ret == KVM_UVA_SWAP) {
			assert_int_equal(swp.type, sw[i].type);
			assert_int_equal(swp.offset, sw[i].offset);
			assert_int_equal(len, SZ_4K - 0x10);
		} else if (sw[i].ret == 0) {
			assert_int_equal(pa, 0x45671010);
		} else {
			assert_error(kd, KVM_ENOTSUP, "release");
		}
		/* A kernel walk never takes it for a page or an entry. */
		assert_int_equal(kd->arch->kvatop(kd, sva, &pa, &len),
				 -KVM_EFAULT);
	}
	kd->xlat.kver = 0;

	/* A second init (reopen) reuses its state; fini frees it. */
	assert_int_equal(kd->arch->init(kd), 0);
	assert_int_equal(kd->xlat.root, root);
}

/* Every configuration Linux builds, through init. */
static void
test_init_all_configs(void **state)
{
	struct fixture *f = *state;
	kvm_t *kd = f->kd;

	for (size_t i = 0; i < ARRAY_SIZE(configs); i++) {
		const struct config *c = &configs[i];
		struct fake_kernel k;
		char text[1024];
		uint64_t pa, len;

		/* LPA2 goes with 52-bit VAs only (TCR_EL1.DS, 6.9+). */
		if (c->lpa2 != (c->va > 48))
			continue;
		/* Low, so that the image is near its tables with 36 bits. */
		pmem_reset(f, 0x80000000);
		uint64_t root = new_table(f, c);
		fake_layout(&k, c, root, 0x40200000 + (1ULL << c->ps));
		map(f, c, root, k.stext, 3, page_desc(c, k.stext_pa));
		kvm_vmcoreinfo_deinit(&kd->vmci);
		free(kd->vmcoreinfo_text);
		kd->vmcoreinfo_text = NULL;
		kd->page_size = 0;
		fake_vmcoreinfo(text, sizeof(text), &k, 1u << c->ps, c->va,
				64 - (int)c->va, 0);
		init_target(f, text);

		kvm_error_clear(kd);
		if (kd->arch->init(kd) != 0)
			fail_msg("%s: %s", config_name(c), kvm_geterr(kd));
		assert_int_equal(kd->xlat.levels, c->levels);
		assert_int_equal(kd->xlat.root, root);
		assert_int_equal(kd->page_size, 1u << c->ps);
		assert_int_equal(kd->arch->kvatop(kd, k.stext + 3, &pa, &len),
				 0);
		assert_int_equal(pa, k.stext_pa + 3);
	}
}

/*
 * A 52-bit 64K kernel on a CPU without LVA: T1SZ says 48 bits, and TTBR1
 * points TTBR1_BADDR_4852_OFFSET = (1024 - 64) * 8 bytes into
 * swapper_pg_dir, whose 1024 entries the kernel indexes with 52 bits.
 */
static void
test_init_64k_52_on_48(void **state)
{
	struct fixture *f = *state;
	kvm_t *kd = f->kd;
	static const struct config c52 = { 16, 52, false, 3 };
	static const struct config c48 = { 16, 48, false, 3 };
	struct fake_kernel k;
	char text[1024];
	uint64_t pa, len;

	uint64_t swapper = new_table(f, &c52);
	fake_layout(&k, &c48, swapper, 0x40210000 - 0x10000);
	/* What the hardware walks: 64 entries at the offset. */
	map(f, &c48, swapper + 7680, k.stext, 3, page_desc(&c48, k.stext_pa));
	/* The kernel's view: index 960 + (va >> 42 & 63) of 1024. */
	assert_int_equal(entry_addr(f, &c48, swapper + 7680, k.stext, 1),
			 swapper + (960 + ((k.stext >> 42) & 63)) * 8);
	fake_vmcoreinfo(text, sizeof(text), &k, 65536, 52, 16, 0);
	init_target(f, text);

	assert_int_equal(kd->arch->init(kd), 0);
	assert_int_equal(kd->xlat.root, swapper + 7680);
	assert_int_equal(kd->xlat.levels, 3);
	assert_int_equal(kd->arch->kvatop(kd, k.stext + 0x123, &pa, &len), 0);
	assert_int_equal(pa, k.stext_pa + 0x123);
	/* 52-bit kernel addresses do not exist on this CPU. */
	kvm_error_clear(kd);
	assert_int_equal(kd->arch->kvatop(kd, 0xfff0000000000000ULL, &pa,
					  &len),
			 -KVM_EFAULT);
	assert_error(kd, KVM_EFAULT, "48-bit kernel half");
}

/*
 * The same kernel before 5.9, without NUMBER(TCR_EL1_T1SZ): the walk uses
 * VA_BITS from swapper_pg_dir itself, which the kernel indexes with 52
 * bits, and so reads the entries the 48-bit CPU reads.
 */
static void
test_init_64k_52_no_t1sz(void **state)
{
	struct fixture *f = *state;
	kvm_t *kd = f->kd;
	static const struct config c52 = { 16, 52, false, 3 };
	static const struct config c48 = { 16, 48, false, 3 };
	struct fake_kernel k;
	char text[1024];
	uint64_t pa, len;

	uint64_t swapper = new_table(f, &c52);
	fake_layout(&k, &c48, swapper, 0x40200000);
	map(f, &c48, swapper + 7680, k.stext, 3, page_desc(&c48, k.stext_pa));
	fake_vmcoreinfo(text, sizeof(text), &k, 65536, 52, -1, 0);
	init_target(f, text);
	assert_int_equal(kd->arch->init(kd), 0);
	assert_int_equal(kd->xlat.root, swapper);
	assert_int_equal(kd->xlat.levels, 3);
	assert_int_equal(kd->arch->kvatop(kd, k.stext, &pa, &len), 0);
	assert_int_equal(pa, k.stext_pa);

	/* A CPU with LVA: kernel addresses below the 48-bit half too. */
	uint64_t va = 0xfff4000000000000ULL;
	map(f, &c52, swapper, va, 2, block_desc(&c52, 0x60000000));
	assert_int_equal(kd->arch->kvatop(kd, va + 9, &pa, &len), 0);
	assert_int_equal(pa, 0x60000009);
}

/*
 * A 52-bit 4K LPA2 kernel (6.9+) on a CPU without LPA2 runs with 48 bits
 * and four levels, swapper_pg_dir being the level 0 table (no offset).
 */
static void
test_init_4k_52_on_48(void **state)
{
	struct fixture *f = *state;
	kvm_t *kd = f->kd;
	static const struct config c48 = { 12, 48, false, 4 };
	struct fake_kernel k;
	char text[1024];
	uint64_t pa, len;

	uint64_t swapper = new_table(f, &c48);
	fake_layout(&k, &c48, swapper, 0x40200000);
	/* SH bits (3 << 8) are set, and must not read as OA[51:50]. */
	map(f, &c48, swapper, k.stext, 3,
	    k.stext_pa | 0x300 | 0x400 | 3);
	fake_vmcoreinfo(text, sizeof(text), &k, 4096, 52, 16, 0);
	init_target(f, text);
	assert_int_equal(kd->arch->init(kd), 0);
	assert_int_equal(kd->xlat.root, swapper);
	assert_int_equal(kd->xlat.levels, 4);
	assert_int_equal(kd->arch->kvatop(kd, k.stext + 1, &pa, &len), 0);
	assert_int_equal(pa, k.stext_pa + 1);
}

/* aarch64_be: the entries are big-endian in the dump. */
static void
test_init_big_endian(void **state)
{
	struct fixture *f = *state;
	kvm_t *kd = f->kd;
	static const struct config c = { 16, 48, false, 3 };
	struct fake_kernel k;
	char text[1024];
	uint64_t pa, len;

	f->big_endian = true;
	uint64_t root = new_table(f, &c);
	fake_layout(&k, &c, root, 0x40200000);
	map(f, &c, root, k.stext, 2, block_desc(&c, 0x40000000));
	fake_vmcoreinfo(text, sizeof(text), &k, 65536, 48, 16, 0);
	init_target(f, text);
	assert_int_equal(kd->arch->init(kd), 0);
	assert_int_equal(kd->arch->kvatop(kd, k.stext, &pa, &len), 0);
	assert_int_equal(pa, 0x40000000 + (k.stext & ((1ULL << 29) - 1)));
}

static void
check_init_fails(struct fixture *f, const char *text, int code,
		 const char *want)
{
	kvm_t *kd = f->kd;

	kvm_vmcoreinfo_deinit(&kd->vmci);
	free(kd->vmcoreinfo_text);
	kd->vmcoreinfo_text = NULL;
	kd->page_size = 0;
	init_target(f, text);
	kvm_error_clear(kd);
	assert_int_equal(kd->arch->init(kd), -code);
	assert_error(kd, code, want);
	assert_false(kd->xlat.ready);
}

static void
test_init_errors(void **state)
{
	struct fixture *f = *state;
	static const char base[] =
		"SYMBOL(swapper_pg_dir)=ffff800009658000\n"
		"NUMBER(kimage_voffset)=0xffff7fffc8000000\n";
	char text[512];

	check_init_fails(f, NULL, KVM_ENOTSUP, "no VMCOREINFO");
	snprintf(text, sizeof(text), "%s", base);
	check_init_fails(f, text, KVM_ECORRUPT, "PAGESIZE=0");
	snprintf(text, sizeof(text), "PAGESIZE=8192\n%s", base);
	check_init_fails(f, text, KVM_ECORRUPT, "PAGESIZE=8192");
	snprintf(text, sizeof(text), "PAGESIZE=4096\n%s", base);
	check_init_fails(f, text, KVM_ENOTSUP, "no NUMBER(VA_BITS)");
	snprintf(text, sizeof(text), "PAGESIZE=4096\nNUMBER(VA_BITS)=64\n%s",
		 base);
	check_init_fails(f, text, KVM_ECORRUPT, "NUMBER(VA_BITS)=64");
	snprintf(text, sizeof(text),
		 "PAGESIZE=4096\nNUMBER(VA_BITS)=48\n"
		 "NUMBER(TCR_EL1_T1SZ)=0x40\n%s",
		 base);
	check_init_fails(f, text, KVM_ECORRUPT, "TCR_EL1_T1SZ)=64");
	/* A 16K granule needs at least 26 bits for two levels. */
	snprintf(text, sizeof(text), "PAGESIZE=16384\nNUMBER(VA_BITS)=25\n%s",
		 base);
	check_init_fails(f, text, KVM_ECORRUPT, "not an arm64 configuration");
	snprintf(text, sizeof(text),
		 "PAGESIZE=4096\nNUMBER(VA_BITS)=48\n"
		 "SYMBOL(swapper_pg_dir)=ffff800009658000\n");
	check_init_fails(f, text, KVM_ENOTSUP, "no NUMBER(kimage_voffset)");
	snprintf(text, sizeof(text),
		 "PAGESIZE=4096\nNUMBER(VA_BITS)=48\n"
		 "NUMBER(kimage_voffset)=0xffff7fffc8000000\n");
	check_init_fails(f, text, KVM_ENOTSUP, "no SYMBOL(swapper_pg_dir)");
	snprintf(text, sizeof(text),
		 "PAGESIZE=4096\nNUMBER(VA_BITS)=39\n%s", base);
	check_init_fails(f, text, KVM_ECORRUPT,
			 "is not a 39-bit kernel address");
	snprintf(text, sizeof(text),
		 "PAGESIZE=4096\nNUMBER(VA_BITS)=48\n"
		 "SYMBOL(swapper_pg_dir)=ffff800009658004\n"
		 "NUMBER(kimage_voffset)=0xffff7fffc8000000\n");
	check_init_fails(f, text, KVM_ECORRUPT, "not a table address");
	snprintf(text, sizeof(text),
		 "PAGESIZE=4096\nNUMBER(VA_BITS)=48\n"
		 "SYMBOL(swapper_pg_dir)=ffff800009658000\n"
		 "NUMBER(kimage_voffset)=0x8000000000000000\n");
	check_init_fails(f, text, KVM_ECORRUPT, "not a table address");
}

/* ------------------------------------------- the kernel from memory */

/*
 * Kernels without VMCOREINFO, built in the test memory as Linux lays them
 * out (arch/arm64/include/asm/memory.h, vmlinux.lds.S), for the scan of
 * aarch64_init(): descriptors carry what Linux writes (tables: UXNTable;
 * pages and blocks: AF, SH inner shareable), not the walker tests' junk,
 * since the scan tells Linux tables from other pages by those bits.
 */
#define LNX_TABLE_UXN (1ULL << 60)
#define LNX_AF (1ULL << 10)
#define LNX_SH_INNER (3ULL << 8)
#define IMG_OFF (2ULL << 20)  /* _text: 2 MiB into the test memory */
#define IMG_SIZE (1ULL << 20) /* mapped from _text or _stext on */
#define IMG_SWAPPER 0x80000   /* swapper_pg_dir - _text */
#define IMG_BANNER 0x3000     /* linux_banner - _stext */
#define SZ_128M (128ULL << 20)

static uint64_t
lnx_table(const struct config *c, uint64_t pa)
{
	return enc(c, pa) | LNX_TABLE_UXN | 3;
}

static uint64_t
lnx_page(const struct config *c, uint64_t pa)
{
	return enc(c, pa) | LNX_AF | LNX_SH_INNER | 3;
}

static uint64_t
lnx_block(const struct config *c, uint64_t pa)
{
	return enc(c, pa) | LNX_AF | LNX_SH_INNER | 1;
}

/* As map(), with the tables in between made as Linux makes them. */
static void
lmap(struct fixture *f, const struct config *c, uint64_t root, uint64_t va,
     int leaf, uint64_t val)
{
	uint64_t table = root;

	for (int lvl = start_level(c); lvl < leaf; lvl++) {
		uint64_t ea = table + va_index(c, va, lvl) * 8ULL;
		uint64_t e = get_entry(f, ea);
		if (!(e & 1)) {
			e = lnx_table(c, new_table(f, c));
			set_entry(f, ea, e);
		}
		table = dec(c, e);
	}
	set_entry(f, table + va_index(c, va, leaf) * 8ULL, val);
}

static void
put_bytes(struct fixture *f, uint64_t pa, const void *p, size_t n)
{
	assert_true(in_pmem(f, pa, n));
	memcpy((uint8_t *)f->mem + (pa - f->base), p, n);
}

/* The whole test memory is the dump's one physical range. */
static void
set_ranges(struct fixture *f)
{
	kvm_t *kd = f->kd;

	free(kd->ranges);
	kd->ranges = calloc(1, sizeof(*kd->ranges));
	assert_non_null(kd->ranges);
	kd->ranges[0].start = f->base;
	kd->ranges[0].end = f->base + PMEM_SIZE;
	kd->nranges = 1;
}

/* How a made-up kernel is built and linked. */
struct img_spec {
	const struct config *c; /* how the kernel walks its tables */
	const char *release;	/* in the banner */
	bool flipped;		/* image in the upper half (5.4+) */
	uint64_t kimage;	/* KIMAGE_VADDR - start of the image's half */
	uint64_t text_offset;	/* TEXT_OFFSET: link address and header */
	uint64_t head;		/* _stext - _text */
	bool head_mapped;	/* [_text, _stext) in the image mapping */
	bool magic;		/* the Image header is in memory */
	uint64_t kaslr;
	uint64_t table_at;	/* TTBR1 - swapper_pg_dir */
	const struct config *walk_c; /* and the walk it makes, if not c */
};

struct img {
	uint64_t text, text_pa, stext, voffset;
	uint64_t swapper_pa, banner_va, banner_pa;
	uint64_t mapped;	/* first address of the image mapping */
};

static uint64_t
image_half(const struct config *c, bool flipped)
{
	unsigned vbm = c->va > 48 ? 48 : c->va;

	return flipped ? ~0ULL << (vbm - 1) : ~0ULL << c->va;
}

static void
build_kernel(struct fixture *f, const struct img_spec *sp, struct img *k)
{
	const struct config *c = sp->walk_c ? sp->walk_c : sp->c;
	uint64_t page = 1ULL << c->ps;
	char banner[128];

	/* Loaded TEXT_OFFSET above a 2 MiB aligned base (booting.rst). */
	k->text_pa = f->base + IMG_OFF + sp->text_offset;
	k->text = image_half(sp->c, sp->flipped) + sp->kimage +
		  sp->text_offset + sp->kaslr;
	k->voffset = k->text - k->text_pa;
	k->stext = k->text + sp->head;
	k->swapper_pa = k->text_pa + IMG_SWAPPER;
	k->banner_pa = k->text_pa + sp->head + IMG_BANNER;
	k->banner_va = k->banner_pa + k->voffset;
	k->mapped = sp->head_mapped ? k->text : k->stext;

	int n = snprintf(banner, sizeof(banner),
			 "Linux version %s (test@example) (gcc) #1 SMP",
			 sp->release);
	put_bytes(f, k->banner_pa, banner, (size_t)n + 1);
	if (sp->magic) {
		uint32_t magic = htole32(0x644d5241);
		uint64_t toff = htole64(sp->text_offset);
		put_bytes(f, k->text_pa + 56, &magic, 4);
		put_bytes(f, k->text_pa + 8, &toff, 8);
	}
	uint64_t root = k->swapper_pa + sp->table_at;
	for (uint64_t va = k->mapped; va < k->text + IMG_SIZE; va += page)
		lmap(f, c, root, va, 3, lnx_page(c, va - k->voffset));
	/* The linear map, in the other half, with a block at level 2. */
	uint64_t lin = sp->flipped ? ~0ULL << c->va : ~0ULL << (c->va - 1);
	uint64_t bsize = 1ULL << level_shift(c, 2);
	lmap(f, c, root, lin, 2, lnx_block(c, f->base & ~(bsize - 1)));
}

/* A kernel as 6.1 builds it: head unmapped, KIMAGE_VADDR PAGE_END+128M. */
static struct img_spec
spec_6_1(const struct config *c)
{
	unsigned vbm = c->va > 48 ? 48 : c->va;
	struct img_spec sp = {
		.c = c,
		.release = "6.1.0-test",
		.flipped = true,
		.kimage = SZ_128M,
		.head = 0x10000,
		/* 2 MiB aligned, as kaslr_early_init() rounds it. */
		.kaslr = (1ULL << (vbm - 3)) + 0x3400000,
	};
	return sp;
}

/* A fresh target over empty memory, without VMCOREINFO. */
static void
scan_target(struct fixture *f, const char *vmcoreinfo)
{
	kvm_t *kd = f->kd;

	pmem_reset(f, PMEM_BASE);
	kvm_vmcoreinfo_deinit(&kd->vmci);
	free(kd->vmcoreinfo_text);
	kd->vmcoreinfo_text = NULL;
	kd->page_size = 0;
	kd->kaslr_known = false;
	kd->kaslr_offset = 0;
	kd->xlat.ktext_start = 0;
	kd->xlat.ready = false;
	init_target(f, vmcoreinfo);
	set_ranges(f);
}

static void
check_found(struct fixture *f, const struct img_spec *sp, const struct img *k,
	    int64_t kaslr)
{
	kvm_t *kd = f->kd;
	uint64_t pa, len;

	kvm_error_clear(kd);
	if (kd->arch->init(kd) != 0)
		fail_msg("%s, %s: %s", config_name(sp->c), sp->release,
			 kvm_geterr(kd));
	assert_true(kd->xlat.ready);
	assert_int_equal(kd->xlat.root, k->swapper_pa + sp->table_at);
	assert_int_equal(kd->page_size, 1u << sp->c->ps);
	assert_true(kd->kaslr_known);
	if (kd->kaslr_offset != kaslr)
		fail_msg("%s, %s: KASLR offset 0x%" PRIx64 ", want 0x%" PRIx64,
			 config_name(sp->c), sp->release,
			 (uint64_t)kd->kaslr_offset, (uint64_t)kaslr);
	assert_int_equal(kd->xlat.ktext_start, k->mapped);
	assert_int_equal(kd->arch->kvatop(kd, k->banner_va + 5, &pa, &len), 0);
	assert_int_equal(pa, k->banner_pa + 5);
}

/* Every configuration the scan knows, laid out as 6.1 lays it out. */
static void
test_scan_all_configs(void **state)
{
	struct fixture *f = *state;
	static const struct config scanned[] = {
		{ 12, 48, false, 4 }, { 12, 39, false, 3 },
		{ 16, 48, false, 3 }, { 16, 52, false, 3 },
		{ 16, 42, false, 2 }, { 14, 47, false, 3 },
		{ 14, 48, false, 4 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(scanned); i++) {
		const struct config *c = &scanned[i];
		struct img_spec sp = spec_6_1(c);
		struct img k;
		scan_target(f, NULL);
		build_kernel(f, &sp, &k);
		check_found(f, &sp, &k, (int64_t)sp.kaslr);
		assert_int_equal(f->kd->xlat.levels, c->levels);
	}
}

/*
 * A 52-bit 64K kernel on a CPU without LVA: TTBR1 is swapper_pg_dir +
 * (1024 - 64) * 8 and the walk has 48 bits; the scan finds the table at
 * its page and folds it the same way.
 */
static void
test_scan_64k_52_on_48(void **state)
{
	struct fixture *f = *state;
	kvm_t *kd = f->kd;
	static const struct config c52 = { 16, 52, false, 3 };
	static const struct config c48 = { 16, 48, false, 3 };
	struct img_spec sp = spec_6_1(&c52);
	struct img k;
	uint64_t pa, len;

	sp.table_at = 7680;
	sp.walk_c = &c48;
	scan_target(f, NULL);
	build_kernel(f, &sp, &k);
	check_found(f, &sp, &k, (int64_t)sp.kaslr);
	assert_int_equal(kd->xlat.levels, 3);
	/* 52-bit kernel addresses do not exist on this CPU. */
	kvm_error_clear(kd);
	assert_int_equal(kd->arch->kvatop(kd, 0xfff0000000000000ULL, &pa,
					  &len),
			 -KVM_EFAULT);
	assert_error(kd, KVM_EFAULT, "48-bit kernel half");
}

/*
 * Link addresses by release (see kimage_layouts in aarch64.c), each with
 * the KASLR offset kaslr_offset() of that kernel returns.
 */
static void
test_scan_layouts(void **state)
{
	struct fixture *f = *state;
	static const struct config c = { 12, 48, false, 4 };
	const uint64_t kaslr = 0x12345600000ULL;
	static const struct {
		const char *release;
		bool flipped;
		uint64_t kimage, text_offset, head;
		bool head_mapped, magic;
	} cases[] = {
		/* VA_START + 128M, TEXT_OFFSET in the header. */
		{ "4.19.0-test", false, SZ_128M, 0x80000, 0x1000, true, true },
		/* + BPF region; header lost: TEXT_OFFSET assumed. */
		{ "5.2.0", false, 2 * SZ_128M, 0x80000, 0x1000, true, false },
		/* Flipped, PAGE_END + 256M. */
		{ "5.4.0-100-generic", true, 2 * SZ_128M, 0x80000, 0x1000,
		  true, false },
		{ "5.10.0-test", true, 2 * SZ_128M, 0, 0x1000, true, true },
		/* 5.11+: the 64 KiB head is not mapped. */
		{ "5.17.1", true, SZ_128M, 0, 0x10000, false, false },
		{ "6.1.0-56-arm64", true, SZ_128M, 0, 0x10000, false, false },
		/* ... and is again with 5973a62efa34. */
		{ "6.1.99", true, SZ_128M, 0, 0x10000, true, true },
		/* MODULES_VSIZE 2G. */
		{ "6.6.0", true, 16 * SZ_128M, 0, 0x10000, false, false },
		{ "6.12.0", true, 16 * SZ_128M, 0, 0x10000, true, true },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct img_spec sp = {
			.c = &c,
			.release = cases[i].release,
			.flipped = cases[i].flipped,
			.kimage = cases[i].kimage,
			.text_offset = cases[i].text_offset,
			.head = cases[i].head,
			.head_mapped = cases[i].head_mapped,
			.magic = cases[i].magic,
			.kaslr = kaslr,
		};
		struct img k;
		scan_target(f, NULL);
		build_kernel(f, &sp, &k);
		check_found(f, &sp, &k, (int64_t)kaslr);
	}
}

/*
 * 5.15.y and 5.16.y link the image at PAGE_END + 256M or, with the
 * backport of "arm64/bpf: Remove 128MB limit", + 128M: the kernel's own
 * VMCOREINFO text in memory decides, else the later layout.
 */
static void
test_scan_5_15(void **state)
{
	struct fixture *f = *state;
	static const struct config c = { 12, 48, false, 4 };
	struct img_spec sp = {
		.c = &c,
		.release = "5.15.0-91-generic",
		.flipped = true,
		.kimage = 2 * SZ_128M,
		.head = 0x10000,
		.kaslr = 0x2a0000000000ULL,
	};
	struct img k;
	char text[128];

	/* Nothing names it: taken for the backported layout. */
	scan_target(f, NULL);
	build_kernel(f, &sp, &k);
	check_found(f, &sp, &k, (int64_t)(sp.kaslr + SZ_128M));

	/* The in-memory VMCOREINFO says which. */
	scan_target(f, NULL);
	build_kernel(f, &sp, &k);
	int n = snprintf(text, sizeof(text),
			 "OSRELEASE=5.15.0-91-generic\nKERNELOFFSET=%" PRIx64
			 "\nNUMBER(KERNELPACMASK)=0x0\n",
			 sp.kaslr);
	put_bytes(f, f->base + (7ULL << 19) + 100, text, (size_t)n);
	check_found(f, &sp, &k, (int64_t)sp.kaslr);

	/* A KERNELOFFSET= that is neither candidate is ignored. */
	scan_target(f, NULL);
	build_kernel(f, &sp, &k);
	n = snprintf(text, sizeof(text), "KERNELOFFSET=%" PRIx64 "\n",
		     sp.kaslr + 0x200000);
	put_bytes(f, f->base + (7ULL << 19), text, (size_t)n);
	check_found(f, &sp, &k, (int64_t)(sp.kaslr + SZ_128M));
}

/*
 * Tables that are not swapper_pg_dir, at lower addresses than it: a user
 * pgd mapping a banner, a trampoline table with one entry, a page of
 * PTEs, and a table mapping itself with no banner behind it.
 */
static void
build_decoys(struct fixture *f, const struct config *c)
{
	uint64_t page = 1ULL << c->ps;
	uint64_t lin = ~0ULL << c->va, up = ~0ULL << (c->va - 1);
	char text[] = "Linux version 9.9.9-decoy";

	/* A page with a banner, mapped from a table in both halves. */
	uint64_t data = new_table(f, c);
	put_bytes(f, data + 0x100, text, sizeof(text));
	uint64_t user = new_table(f, c);
	lmap(f, c, user, up + 0x40000000ULL, 3, lnx_page(c, data));
	lmap(f, c, user, lin, 3, lnx_page(c, data));

	/* tramp_pg_dir: one entry. */
	uint64_t tramp = new_table(f, c);
	lmap(f, c, tramp, ~0ULL - page + 1, 3, lnx_page(c, data));

	/* A page of PTEs: valid, but with SH and AF set. */
	uint64_t ptes = new_table(f, c);
	for (uint64_t i = 0; i < page / 8; i++)
		set_entry(f, ptes + i * 8, lnx_page(c, data));

	/* Maps itself at a congruent address, nothing else. */
	uint64_t self = new_table(f, c);
	uint64_t va = up + (4ULL << 30) + (self & ((2ULL << 20) - 1));
	lmap(f, c, self, va, 3, lnx_page(c, self));
	lmap(f, c, self, lin, 3, lnx_page(c, data));
}

static void
test_scan_decoys(void **state)
{
	struct fixture *f = *state;
	kvm_t *kd = f->kd;
	static const struct config c = { 12, 48, false, 4 };
	struct img_spec sp = spec_6_1(&c);
	struct img k;

	/* Alone, they are no kernel. */
	scan_target(f, NULL);
	build_decoys(f, &c);
	kvm_error_clear(kd);
	assert_int_equal(kd->arch->init(kd), -KVM_ENOTSUP);
	assert_error(kd, KVM_ENOTSUP, "no VMCOREINFO");
	assert_error(kd, KVM_ENOTSUP, "candidate tables");
	assert_false(kd->xlat.ready);

	/* Before the kernel, they do not hide it. */
	scan_target(f, NULL);
	build_decoys(f, &c);
	build_kernel(f, &sp, &k);
	check_found(f, &sp, &k, (int64_t)sp.kaslr);
}

/*
 * Hostile tables: every entry of a page points back at the page, at every
 * level, in every configuration's eyes.  The scan ends, and a kernel after
 * such pages is still found.
 */
static void
test_scan_hostile(void **state)
{
	struct fixture *f = *state;
	kvm_t *kd = f->kd;
	static const struct config c = { 12, 48, false, 4 };
	struct img_spec sp = spec_6_1(&c);
	struct img k;

	for (int with_kernel = 0; with_kernel < 2; with_kernel++) {
		scan_target(f, NULL);
		for (int t = 0; t < 4; t++) {
			uint64_t loop = new_table(f, &c), other = 0;
			if (t & 1)
				other = new_table(f, &c);
			for (uint64_t i = 0; i < 512; i++) {
				set_entry(f, loop + i * 8,
					  lnx_table(&c, other ? other : loop));
				if (other)
					set_entry(f, other + i * 8,
						  lnx_table(&c, loop));
			}
		}
		if (with_kernel) {
			build_kernel(f, &sp, &k);
			check_found(f, &sp, &k, (int64_t)sp.kaslr);
			continue;
		}
		kvm_error_clear(kd);
		assert_int_equal(kd->arch->init(kd), -KVM_ENOTSUP);
		assert_error(kd, KVM_ENOTSUP, "no kernel page tables found");
	}
}

/*
 * All of memory hostile: every 4 KiB page a table of entries pointing back
 * at itself, which passes step 1 in several configurations and even maps
 * itself.  The budget ends the scan.
 */
static void
test_scan_hostile_everywhere(void **state)
{
	struct fixture *f = *state;
	kvm_t *kd = f->kd;
	static const struct config c = { 12, 48, false, 4 };

	scan_target(f, NULL);
	for (uint64_t pa = f->base; pa < f->base + PMEM_SIZE; pa += SZ_4K)
		for (uint64_t i = 0; i < 512; i++)
			set_entry(f, pa + i * 8, lnx_table(&c, pa));
	f->nreads = 0;
	kvm_error_clear(kd);
	assert_int_equal(kd->arch->init(kd), -KVM_ENOTSUP);
	assert_error(kd, KVM_ENOTSUP, "no kernel page tables found");
	/* Reads are what the budget counts: 2 GiB / 64 bytes at most. */
	assert_true(f->nreads <= (2u << 30) / 64 + 8192);
}

/*
 * Pages that cannot be read (kdump's excluded pages): one in the megabyte
 * that holds swapper_pg_dir, before it, and one in the image between
 * _stext and the banner.
 */
static void
test_scan_unreadable_pages(void **state)
{
	struct fixture *f = *state;
	static const struct config c = { 12, 48, false, 4 };
	struct img_spec sp = spec_6_1(&c);
	struct img k;
	static const uint64_t holes[] = { IMG_OFF + 0x40000,
					  IMG_OFF + 0x11000 };

	for (size_t i = 0; i < ARRAY_SIZE(holes); i++) {
		scan_target(f, NULL);
		build_kernel(f, &sp, &k);
		f->hole = f->base + holes[i];
		check_found(f, &sp, &k, (int64_t)sp.kaslr);
		f->hole = 0;
	}
}

/* A kernel whose VMCOREINFO lacks what init needs is scanned for too. */
static void
test_scan_partial_vmcoreinfo(void **state)
{
	struct fixture *f = *state;
	static const struct config c = { 12, 48, false, 4 };
	struct img_spec sp = spec_6_1(&c);
	struct img k;

	scan_target(f, "OSRELEASE=6.1.0-test\nPAGESIZE=4096\n"
		       "NUMBER(VA_BITS)=48\n");
	build_kernel(f, &sp, &k);
	check_found(f, &sp, &k, (int64_t)sp.kaslr);

	/* When the scan fails too, VMCOREINFO's complaint is reported. */
	scan_target(f, "OSRELEASE=6.1.0-test\nPAGESIZE=4096\n"
		       "NUMBER(VA_BITS)=48\n");
	kvm_error_clear(f->kd);
	assert_int_equal(f->kd->arch->init(f->kd), -KVM_ENOTSUP);
	assert_error(f->kd, KVM_ENOTSUP, "no NUMBER(kimage_voffset)");
}

/* No banner in the image, or a release before 4.6: not taken. */
static void
test_scan_needs_banner(void **state)
{
	struct fixture *f = *state;
	kvm_t *kd = f->kd;
	static const struct config c = { 12, 48, false, 4 };
	struct img_spec sp = spec_6_1(&c);
	struct img k;

	scan_target(f, NULL);
	build_kernel(f, &sp, &k);
	put_bytes(f, k.banner_pa, "Linux versioN", 13);
	kvm_error_clear(kd);
	assert_int_equal(kd->arch->init(kd), -KVM_ENOTSUP);

	/* A 4.4 kernel lived in the linear map; a 5.x one is not here. */
	static const char *const wrong[] = { "4.4.0", "5.3.0", "x.1" };
	for (size_t i = 0; i < ARRAY_SIZE(wrong); i++) {
		sp.release = wrong[i];
		scan_target(f, NULL);
		build_kernel(f, &sp, &k);
		kvm_error_clear(kd);
		assert_int_equal(kd->arch->init(kd), -KVM_ENOTSUP);
		assert_false(kd->xlat.ready);
	}
}

/* ------------------------------------------------- captured fragment */

/*
 * tests/data/xlat/aarch64-6.1-banner.txt: page-table entries of a real
 * Debian 6.1 arm64 dump (4K pages, 48-bit VAs, KASLR), the VMCOREINFO keys
 * translation needs, and the answers an independent walker gave.
 */
struct frag_entry {
	uint64_t pa, val;
};

struct frag {
	struct frag_entry *ents;
	size_t n, cap;
	char vmci[2048];
	size_t vmci_len;
	struct {
		uint64_t va, pa;
		int level; /* fault lines: level, else -2 */
	} checks[16];
	size_t nchecks;
};

static int
frag_cmp(const void *a, const void *b)
{
	const struct frag_entry *x = a, *y = b;

	return x->pa < y->pa ? -1 : x->pa > y->pa;
}

static void
frag_add(struct frag *fr, uint64_t pa, uint64_t val)
{
	if (fr->n == fr->cap) {
		fr->cap = fr->cap ? 2 * fr->cap : 1024;
		fr->ents = realloc(fr->ents, fr->cap * sizeof(*fr->ents));
		assert_non_null(fr->ents);
	}
	fr->ents[fr->n].pa = pa;
	fr->ents[fr->n].val = val;
	fr->n++;
}

static void
frag_load(struct frag *fr, const char *path)
{
	FILE *fp = fopen(path, "r");
	char line[512];
	uint64_t at = 0;
	bool in_run = false;

	if (!fp)
		fail_msg("%s: cannot open", path);
	memset(fr, 0, sizeof(*fr));
	while (fgets(line, sizeof(line), fp)) {
		line[strcspn(line, "\r\n")] = '\0';
		uint64_t a, b;
		unsigned n;
		int lvl;
		if (line[0] == '#' || line[0] == '\0')
			continue;
		if (!strncmp(line, "vmcoreinfo ", 11)) {
			size_t l = strlen(line + 11);
			assert_true(fr->vmci_len + l + 1 < sizeof(fr->vmci));
			memcpy(fr->vmci + fr->vmci_len, line + 11, l);
			fr->vmci_len += l;
			fr->vmci[fr->vmci_len++] = '\n';
		} else if (sscanf(line, "translate %" SCNx64 " %" SCNx64, &a,
				  &b) == 2) {
			assert_true(fr->nchecks < ARRAY_SIZE(fr->checks));
			fr->checks[fr->nchecks].va = a;
			fr->checks[fr->nchecks].pa = b;
			fr->checks[fr->nchecks++].level = -2;
		} else if (sscanf(line, "fault %" SCNx64 " %d", &a, &lvl) ==
			   2) {
			assert_true(fr->nchecks < ARRAY_SIZE(fr->checks));
			fr->checks[fr->nchecks].va = a;
			fr->checks[fr->nchecks++].level = lvl;
		} else if (line[0] == '@') {
			assert_int_equal(sscanf(line, "@%" SCNx64, &at), 1);
			in_run = true;
		} else if (in_run && strlen(line) >= 16 &&
			   sscanf(line, "%16" SCNx64 "*%u", &a, &n) == 2) {
			assert_int_equal(a, 0);
			for (unsigned i = 0; i < n; i++, at += 8)
				frag_add(fr, at, 0);
		} else if (in_run && strlen(line) == 16 &&
			   sscanf(line, "%" SCNx64, &a) == 1) {
			frag_add(fr, at, a);
			at += 8;
		} else {
			fail_msg("%s: cannot parse \"%s\"", path, line);
		}
	}
	fclose(fp);
	qsort(fr->ents, fr->n, sizeof(*fr->ents), frag_cmp);
}

static const struct frag_entry *
frag_find(const struct frag *fr, uint64_t pa)
{
	struct frag_entry key = { .pa = pa };

	return bsearch(&key, fr->ents, fr->n, sizeof(*fr->ents), frag_cmp);
}

/* The fragment as a dump's physical memory: 8-byte reads of entries. */
static int
frag_read_phys(kvm_t *kd, uint64_t pa, void *buf, size_t len,
	       size_t *done_ret)
{
	const struct frag_entry *e = frag_find(kd->fmt_priv, pa);

	*done_ret = 0;
	if (len != 8 || !e)
		return kvm_error(kd, KVM_ENODATA,
				 "not in the fragment: 0x%" PRIx64, pa);
	uint64_t le = htole64(e->val); /* the dump is little-endian */
	memcpy(buf, &le, 8);
	*done_ret = 8;
	return 0;
}

static const struct kvm_format_ops frag_format = {
	.name = "test-fragment",
	.read_phys = frag_read_phys,
};

static void
test_captured_fragment(void **state)
{
	struct fixture *f = *state;
	kvm_t *kd = f->kd;
	struct frag fr;
	uint64_t pa, len, hex;
	int64_t num;

	frag_load(&fr, KVM_XLAT_DATA_DIR "/aarch64-6.1-banner.txt");
	assert_true(fr.nchecks >= 3);
	kd->fmt_priv = &fr;
	kd->format = &frag_format;
	kd->arch = &kvm_arch_aarch64;
	kd->e_machine = 183;
	assert_int_equal(kvm_set_vmcoreinfo(kd, fr.vmci, fr.vmci_len), 0);

	assert_int_equal(kd->arch->init(kd), 0);
	assert_int_equal(kd->xlat.levels, 4);
	assert_int_equal(kd->page_size, 4096);
	assert_true(kvm_vmcoreinfo_hex(&kd->vmci, "KERNELOFFSET", &hex));
	assert_true(kd->kaslr_known);
	assert_int_equal(kd->kaslr_offset, hex);
	/* The root is swapper_pg_dir through kimage_voffset. */
	assert_true(kvm_vmcoreinfo_symbol(&kd->vmci, "swapper_pg_dir", &hex));
	assert_true(kvm_vmcoreinfo_number(&kd->vmci, "kimage_voffset", &num));
	assert_int_equal(kd->xlat.root, hex - (uint64_t)num);

	for (size_t i = 0; i < fr.nchecks; i++) {
		kvm_error_clear(kd);
		int err = kd->arch->kvatop(kd, fr.checks[i].va, &pa, &len);
		if (fr.checks[i].level == -2) {
			if (err)
				fail_msg("0x%" PRIx64 ": %s", fr.checks[i].va,
					 kvm_geterr(kd));
			assert_int_equal(pa, fr.checks[i].pa);
			assert_true(len >= 1 && len <= (1ULL << 30));
			continue;
		}
		char want[32];
		assert_int_equal(err, -KVM_EFAULT);
		snprintf(want, sizeof(want), "level %d ", fr.checks[i].level);
		assert_error(kd, KVM_EFAULT, want);
	}
	kd->fmt_priv = f;
	free(fr.ents);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_levels),
		T(test_hand_4k_48),
		T(test_hand_16k_47),
		T(test_hand_64k_42),
		T(test_hand_4k_52_lpa2),
		T(test_pages_all_configs),
		T(test_blocks_all_configs),
		T(test_block_sizes),
		T(test_address_bits_exact),
		T(test_sh_bits_not_address),
		T(test_tables_above_48_bits),
		T(test_invalid_each_level),
		T(test_invalid_names),
		T(test_reserved_at_level3),
		T(test_table_to_absent_memory),
		T(test_read_error_at_root),
		T(test_outside_halves),
		T(test_user_top_byte_ignored),
		T(test_root_alignment),
		T(test_bad_config),
		T(test_arch_ops_table),
		T(test_init_4k_48),
		T(test_init_all_configs),
		T(test_init_64k_52_on_48),
		T(test_init_64k_52_no_t1sz),
		T(test_init_4k_52_on_48),
		T(test_init_big_endian),
		T(test_init_errors),
		T(test_captured_fragment),
		T(test_scan_all_configs),
		T(test_scan_64k_52_on_48),
		T(test_scan_layouts),
		T(test_scan_5_15),
		T(test_scan_decoys),
		T(test_scan_hostile),
		T(test_scan_hostile_everywhere),
		T(test_scan_unreadable_pages),
		T(test_scan_partial_vmcoreinfo),
		T(test_scan_needs_banner),
#undef T
	};

	return cmocka_run_group_tests_name("aarch64", tests, NULL, NULL);
}
