// SPDX-License-Identifier: BSD-2-Clause
/*
 * VMCOREINFO parsing (src/vmcoreinfo.c) on text shaped like the kernel's
 * note (kernel/crash_core.c: SYMBOL() "%lx", NUMBER() "%ld", OFFSET(),
 * SIZE(), LENGTH() "%lu"; arm64 adds NUMBER()s in "0x%llx"), and on the
 * malformed text a hostile dump can carry.  Values are made up.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvm_private.h"
#include "vmcoreinfo.h"

static int
setup(void **state)
{
	struct kvm_vmcoreinfo *v = calloc(1, sizeof(*v));

	*state = v;
	return v ? 0 : -1;
}

static int
teardown(void **state)
{
	struct kvm_vmcoreinfo *v = *state;

	kvm_vmcoreinfo_deinit(v);
	free(v);
	return 0;
}

static void
parse_str(struct kvm_vmcoreinfo *v, const char *text)
{
	assert_int_equal(kvm_vmcoreinfo_parse(v, text, strlen(text)), 0);
}

/* Every typed getter says "absent" for name, and leaves *ret alone. */
static void
assert_absent_all(const struct kvm_vmcoreinfo *v, const char *name)
{
	uint64_t u = 0x5a5a5a5a5a5a5a5aULL;
	int64_t n = 0x5a5a5a5a5a5a5a5aLL;

	assert_false(kvm_vmcoreinfo_symbol(v, name, &u));
	assert_false(kvm_vmcoreinfo_number(v, name, &n));
	assert_false(kvm_vmcoreinfo_offset(v, name, &u));
	assert_false(kvm_vmcoreinfo_size(v, name, &u));
	assert_false(kvm_vmcoreinfo_length(v, name, &u));
	assert_false(kvm_vmcoreinfo_hex(v, name, &u));
	assert_false(kvm_vmcoreinfo_dec(v, name, &u));
	assert_int_equal(u, 0x5a5a5a5a5a5a5a5aULL);
	assert_int_equal(n, 0x5a5a5a5a5a5a5a5aLL);
}

/* ------------------------------------------------------------ well-formed */

static const char x86_note[] =
	"OSRELEASE=6.1.0-99-amd64\n"
	"BUILD-ID=00112233445566778899aabbccddeeff00112233\n"
	"PAGESIZE=4096\n"
	"SYMBOL(init_uts_ns)=ffffffff9a1fb000\n"
	"OFFSET(uts_namespace.name)=0\n"
	"SYMBOL(swapper_pg_dir)=ffffffff9a010000\n"
	"SYMBOL(mem_section)=ffff8ad78ffd5000\n"
	"LENGTH(mem_section)=4096\n"
	"SIZE(mem_section)=32\n"
	"SIZE(pglist_data)=174208\n"
	"OFFSET(pglist_data.nr_zones)=171552\n"
	"LENGTH(zone.free_area)=11\n"
	"NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)=-129\n"
	"NUMBER(phys_base)=-782237696\n"
	"SYMBOL(init_top_pgt)=ffffffff9a010000\n"
	"NUMBER(pgtable_l5_enabled)=0\n"
	"KERNELOFFSET=18600000\n"
	"NUMBER(KERNEL_IMAGE_SIZE)=1073741824\n"
	"CRASHTIME=1700000000\n";

static void
test_x86_64_note(void **state)
{
	struct kvm_vmcoreinfo *v = *state;
	uint64_t u;
	int64_t n;

	parse_str(v, x86_note);
	assert_int_equal(v->nents, 19);

	assert_string_equal(kvm_vmcoreinfo_get(v, "OSRELEASE"),
			    "6.1.0-99-amd64");
	assert_string_equal(kvm_vmcoreinfo_get(v, "BUILD-ID"),
			    "00112233445566778899aabbccddeeff00112233");
	assert_true(kvm_vmcoreinfo_dec(v, "PAGESIZE", &u));
	assert_int_equal(u, 4096);
	assert_true(kvm_vmcoreinfo_dec(v, "CRASHTIME", &u));
	assert_int_equal(u, 1700000000);

	assert_true(kvm_vmcoreinfo_symbol(v, "init_top_pgt", &u));
	assert_int_equal(u, 0xffffffff9a010000ULL);
	assert_true(kvm_vmcoreinfo_symbol(v, "mem_section", &u));
	assert_int_equal(u, 0xffff8ad78ffd5000ULL);

	assert_true(kvm_vmcoreinfo_number(v, "phys_base", &n));
	assert_int_equal(n, -782237696);
	assert_true(kvm_vmcoreinfo_number(v, "PAGE_BUDDY_MAPCOUNT_VALUE", &n));
	assert_int_equal(n, -129);
	assert_true(kvm_vmcoreinfo_number(v, "pgtable_l5_enabled", &n));
	assert_int_equal(n, 0);
	assert_true(kvm_vmcoreinfo_number(v, "KERNEL_IMAGE_SIZE", &n));
	assert_int_equal(n, 1073741824);

	assert_true(kvm_vmcoreinfo_offset(v, "uts_namespace.name", &u));
	assert_int_equal(u, 0);
	assert_true(kvm_vmcoreinfo_offset(v, "pglist_data.nr_zones", &u));
	assert_int_equal(u, 171552);
	assert_true(kvm_vmcoreinfo_length(v, "zone.free_area", &u));
	assert_int_equal(u, 11);

	/* One name under three kinds: three different keys. */
	assert_true(kvm_vmcoreinfo_size(v, "mem_section", &u));
	assert_int_equal(u, 32);
	assert_true(kvm_vmcoreinfo_length(v, "mem_section", &u));
	assert_int_equal(u, 4096);
	assert_false(kvm_vmcoreinfo_offset(v, "mem_section", &u));

	/* KERNELOFFSET is printed with %lx, without 0x. */
	assert_true(kvm_vmcoreinfo_hex(v, "KERNELOFFSET", &u));
	assert_int_equal(u, 0x18600000);
}

/* arm64's NUMBER()s in 0x-hex; the note's last line has no newline. */
static void
test_aarch64_note(void **state)
{
	struct kvm_vmcoreinfo *v = *state;
	uint64_t u;
	int64_t n;

	parse_str(v, "OSRELEASE=6.1.0-99-arm64\n"
		     "PAGESIZE=65536\n"
		     "SYMBOL(swapper_pg_dir)=ffffc8bcd8058000\n"
		     "NUMBER(VA_BITS)=48\n"
		     "NUMBER(PAGE_OFFLINE_MAPCOUNT_VALUE)=-257\n"
		     "NUMBER(VMALLOC_START)=0xffff800008000000\n"
		     "NUMBER(kimage_voffset)=0xffffc8bc96800000\n"
		     "NUMBER(PHYS_OFFSET)=0x40000000\n"
		     "NUMBER(TCR_EL1_T1SZ)=0x10\n"
		     "NUMBER(KERNELPACMASK)=0x0");

	assert_true(kvm_vmcoreinfo_dec(v, "PAGESIZE", &u));
	assert_int_equal(u, 65536);
	assert_true(kvm_vmcoreinfo_symbol(v, "swapper_pg_dir", &u));
	assert_int_equal(u, 0xffffc8bcd8058000ULL);
	assert_true(kvm_vmcoreinfo_number(v, "VA_BITS", &n));
	assert_int_equal(n, 48);
	assert_true(kvm_vmcoreinfo_number(v, "PAGE_OFFLINE_MAPCOUNT_VALUE",
					  &n));
	assert_int_equal(n, -257);

	/* Kernel addresses exceed INT64_MAX: the bits come back unchanged. */
	assert_true(kvm_vmcoreinfo_number(v, "kimage_voffset", &n));
	assert_int_equal((uint64_t)n, 0xffffc8bc96800000ULL);
	assert_true(kvm_vmcoreinfo_number(v, "VMALLOC_START", &n));
	assert_int_equal((uint64_t)n, 0xffff800008000000ULL);
	assert_true(kvm_vmcoreinfo_number(v, "PHYS_OFFSET", &n));
	assert_int_equal(n, 0x40000000);
	assert_true(kvm_vmcoreinfo_number(v, "TCR_EL1_T1SZ", &n));
	assert_int_equal(n, 16);
	assert_true(kvm_vmcoreinfo_number(v, "KERNELPACMASK", &n));
	assert_int_equal(n, 0);
}

static void
test_number_limits(void **state)
{
	struct kvm_vmcoreinfo *v = *state;
	int64_t n;

	parse_str(v, "NUMBER(min)=-9223372036854775808\n"
		     "NUMBER(max)=9223372036854775807\n"
		     "NUMBER(below_min)=-9223372036854775809\n"
		     "NUMBER(u64max)=18446744073709551615\n"
		     "NUMBER(above_u64)=18446744073709551616\n"
		     "NUMBER(hex_above_u64)=0x10000000000000000\n"
		     "NUMBER(minus_zero)=-0\n");

	assert_true(kvm_vmcoreinfo_number(v, "min", &n));
	assert_true(n == INT64_MIN);
	assert_true(kvm_vmcoreinfo_number(v, "max", &n));
	assert_true(n == INT64_MAX);
	assert_false(kvm_vmcoreinfo_number(v, "below_min", &n));
	/* %lu of an unsigned long read back as its bits, as for 0x-hex. */
	assert_true(kvm_vmcoreinfo_number(v, "u64max", &n));
	assert_int_equal(n, -1);
	assert_false(kvm_vmcoreinfo_number(v, "above_u64", &n));
	assert_false(kvm_vmcoreinfo_number(v, "hex_above_u64", &n));
	assert_true(kvm_vmcoreinfo_number(v, "minus_zero", &n));
	assert_int_equal(n, 0);
}

static void
test_missing_keys(void **state)
{
	struct kvm_vmcoreinfo *v = *state;

	parse_str(v, "SYMBOL(foo)=ffffffff81000000\n"
		     "NUMBER(bar)=1\n"
		     "PAGESIZE=4096\n");

	assert_null(kvm_vmcoreinfo_get(v, "OSRELEASE"));
	assert_null(kvm_vmcoreinfo_get(v, ""));
	assert_absent_all(v, "nosuch");
	/* Lookup is exact: no prefixes, no case folding. */
	assert_absent_all(v, "fo");
	assert_absent_all(v, "foo2");
	assert_absent_all(v, "FOO");
	assert_null(kvm_vmcoreinfo_get(v, "SYMBOL(foo"));
	assert_null(kvm_vmcoreinfo_get(v, "pagesize"));
	/* The kind is part of the key. */
	uint64_t u;
	assert_false(kvm_vmcoreinfo_symbol(v, "bar", &u));
	assert_false(kvm_vmcoreinfo_offset(v, "foo", &u));
	assert_false(kvm_vmcoreinfo_hex(v, "foo", &u));
}

/* ------------------------------------------------------------- malformed */

/* Strict parsing: a value that is not all number is absent, not half-read. */
static void
test_malformed_values(void **state)
{
	struct kvm_vmcoreinfo *v = *state;
	static const char *const symbols[] = {
		"trail", "empty", "space_after", "space_before", "neg", "plus",
		"hex_0x_only",
	};
	static const char *const numbers[] = {
		"dash", "dashdash", "plus", "trail", "neghex", "hex_0x_only",
		"empty", "neg_space", "space_after", "dot",
	};
	static const char *const decimals[] = {
		"hex", "neg", "trail", "empty", "plus", "exp",
	};
	uint64_t u = 7;
	int64_t n = 7;

	parse_str(v, "SYMBOL(trail)=ffffffff8100000g\n"
		     "SYMBOL(empty)=\n"
		     "SYMBOL(space_after)=ffffffff81000000 \n"
		     "SYMBOL(space_before)= ffffffff81000000\n"
		     "SYMBOL(neg)=-1\n"
		     "SYMBOL(plus)=+1\n"
		     "SYMBOL(hex_0x_only)=0x\n"
		     "NUMBER(dash)=-\n"
		     "NUMBER(dashdash)=--5\n"
		     "NUMBER(plus)=+5\n"
		     "NUMBER(trail)=12abc\n"
		     "NUMBER(neghex)=-0x10\n"
		     "NUMBER(hex_0x_only)=0x\n"
		     "NUMBER(empty)=\n"
		     "NUMBER(neg_space)=- 5\n"
		     "NUMBER(space_after)=5 \n"
		     "NUMBER(dot)=1.5\n"
		     "OFFSET(hex)=0x10\n"
		     "OFFSET(neg)=-8\n"
		     "OFFSET(trail)=8 bytes\n"
		     "OFFSET(empty)=\n"
		     "OFFSET(plus)=+8\n"
		     "OFFSET(exp)=1e3\n"
		     "SIZE(hex)=0x10\n"
		     "SIZE(neg)=-8\n"
		     "SIZE(trail)=8 bytes\n"
		     "SIZE(empty)=\n"
		     "SIZE(plus)=+8\n"
		     "SIZE(exp)=1e3\n"
		     "LENGTH(hex)=0x10\n"
		     "LENGTH(neg)=-8\n"
		     "LENGTH(trail)=8 bytes\n"
		     "LENGTH(empty)=\n"
		     "LENGTH(plus)=+8\n"
		     "LENGTH(exp)=1e3\n"
		     "KERNELOFFSET=zz\n"
		     "PAGESIZE=4k\n");

	for (size_t i = 0; i < ARRAY_SIZE(symbols); i++)
		if (kvm_vmcoreinfo_symbol(v, symbols[i], &u))
			fail_msg("SYMBOL(%s) accepted as 0x%llx", symbols[i],
				 (unsigned long long)u);
	for (size_t i = 0; i < ARRAY_SIZE(numbers); i++)
		if (kvm_vmcoreinfo_number(v, numbers[i], &n))
			fail_msg("NUMBER(%s) accepted as %lld", numbers[i],
				 (long long)n);
	for (size_t i = 0; i < ARRAY_SIZE(decimals); i++) {
		if (kvm_vmcoreinfo_offset(v, decimals[i], &u) ||
		    kvm_vmcoreinfo_size(v, decimals[i], &u) ||
		    kvm_vmcoreinfo_length(v, decimals[i], &u))
			fail_msg("OFFSET/SIZE/LENGTH(%s) accepted as %llu",
				 decimals[i], (unsigned long long)u);
	}
	assert_false(kvm_vmcoreinfo_hex(v, "KERNELOFFSET", &u));
	assert_false(kvm_vmcoreinfo_dec(v, "PAGESIZE", &u));
	assert_int_equal(u, 7);
	assert_int_equal(n, 7);

	/* The raw text is still there for whoever wants it. */
	assert_string_equal(kvm_vmcoreinfo_get(v, "NUMBER(trail)"), "12abc");
	assert_string_equal(kvm_vmcoreinfo_get(v, "SIZE(empty)"), "");
	assert_string_equal(kvm_vmcoreinfo_get(v, "NUMBER(dash)"), "-");
}

/*
 * strtoull() alone skips any white space and then takes a sign: "\t-8"
 * would come back as 2^64 - 8.  Any leading white space is refused.
 */
static void
test_leading_whitespace(void **state)
{
	struct kvm_vmcoreinfo *v = *state;
	uint64_t u = 0;
	int64_t n = 0;

	parse_str(v, "SIZE(tab_neg)=\t-8\n"
		     "SIZE(tab)=\t8\n"
		     "OFFSET(vt)=\v8\n"
		     "LENGTH(ff)=\f8\n"
		     "SYMBOL(tab_neg)=\t-1\n"
		     "SYMBOL(tab)=\tffff\n"
		     "NUMBER(tab_neg)=\t-5\n"
		     "NUMBER(neg_tab)=-\t5\n"
		     "KERNELOFFSET=\t1000\n");

	if (kvm_vmcoreinfo_size(v, "tab_neg", &u))
		fail_msg("SIZE(tab_neg)=\"\\t-8\" accepted as %llu",
			 (unsigned long long)u);
	if (kvm_vmcoreinfo_symbol(v, "tab_neg", &u))
		fail_msg("SYMBOL(tab_neg)=\"\\t-1\" accepted as 0x%llx",
			 (unsigned long long)u);
	if (kvm_vmcoreinfo_number(v, "tab_neg", &n))
		fail_msg("NUMBER(tab_neg)=\"\\t-5\" accepted as %lld",
			 (long long)n);
	assert_false(kvm_vmcoreinfo_number(v, "neg_tab", &n));
	assert_false(kvm_vmcoreinfo_size(v, "tab", &u));
	assert_false(kvm_vmcoreinfo_offset(v, "vt", &u));
	assert_false(kvm_vmcoreinfo_length(v, "ff", &u));
	assert_false(kvm_vmcoreinfo_symbol(v, "tab", &u));
	assert_false(kvm_vmcoreinfo_hex(v, "KERNELOFFSET", &u));
}

/*
 * NUMBER() is "%ld" or, on arm64, "0x%llx": without 0x it is decimal,
 * leading zero or not (base 0 would make "010" octal 8 while "-010" is
 * -10 and "08" absent).
 */
static void
test_number_leading_zero_is_decimal(void **state)
{
	struct kvm_vmcoreinfo *v = *state;
	int64_t n = 0;

	parse_str(v, "NUMBER(oct)=010\n"
		     "NUMBER(eight)=08\n"
		     "NUMBER(neg_oct)=-010\n");
	assert_true(kvm_vmcoreinfo_number(v, "oct", &n));
	assert_int_equal(n, 10);
	assert_true(kvm_vmcoreinfo_number(v, "eight", &n));
	assert_int_equal(n, 8);
	assert_true(kvm_vmcoreinfo_number(v, "neg_oct", &n));
	assert_int_equal(n, -10);
}

/* Hex getters take an optional 0x (the kernel prints none, tools do). */
static void
test_hex_prefix(void **state)
{
	struct kvm_vmcoreinfo *v = *state;
	uint64_t u = 0;
	int64_t n = 0;

	parse_str(v, "SYMBOL(pfx)=0xffffffff81000000\n"
		     "SYMBOL(upper)=0XFFFFFFFF81000000\n"
		     "SYMBOL(pfx_neg)=0x-1\n"
		     "SYMBOL(pfx_plus)=0x+1\n"
		     "SYMBOL(pfx_space)=0x 1\n"
		     "NUMBER(pfx_neg)=0x-1\n"
		     "NUMBER(pfx_plus)=0x+1\n"
		     "NUMBER(upper)=0X10\n"
		     "KERNELOFFSET=0x2200000\n");

	assert_true(kvm_vmcoreinfo_symbol(v, "pfx", &u));
	assert_int_equal(u, 0xffffffff81000000ULL);
	assert_true(kvm_vmcoreinfo_symbol(v, "upper", &u));
	assert_int_equal(u, 0xffffffff81000000ULL);
	assert_true(kvm_vmcoreinfo_hex(v, "KERNELOFFSET", &u));
	assert_int_equal(u, 0x2200000);
	assert_true(kvm_vmcoreinfo_number(v, "upper", &n));
	assert_int_equal(n, 16);

	/* After the prefix, nothing but hex digits. */
	assert_false(kvm_vmcoreinfo_symbol(v, "pfx_neg", &u));
	assert_false(kvm_vmcoreinfo_symbol(v, "pfx_plus", &u));
	assert_false(kvm_vmcoreinfo_symbol(v, "pfx_space", &u));
	assert_false(kvm_vmcoreinfo_number(v, "pfx_neg", &n));
	assert_false(kvm_vmcoreinfo_number(v, "pfx_plus", &n));
}

/*
 * A second "0x" is malformed, like "0x-1" and "0x 1" (strtoull alone
 * would accept "0x0x1" as 1 once one prefix is stripped).
 */
static void
test_hex_double_prefix(void **state)
{
	struct kvm_vmcoreinfo *v = *state;
	uint64_t u = 0;
	int64_t n = 0;

	parse_str(v, "SYMBOL(twice)=0x0x1\n"
		     "NUMBER(twice)=0x0x10\n"
		     "KERNELOFFSET=0x0X2200000\n");
	if (kvm_vmcoreinfo_symbol(v, "twice", &u))
		fail_msg("SYMBOL(twice)=0x0x1 accepted as 0x%llx",
			 (unsigned long long)u);
	if (kvm_vmcoreinfo_number(v, "twice", &n))
		fail_msg("NUMBER(twice)=0x0x10 accepted as %lld", (long long)n);
	if (kvm_vmcoreinfo_hex(v, "KERNELOFFSET", &u))
		fail_msg("KERNELOFFSET=0x0X2200000 accepted as 0x%llx",
			 (unsigned long long)u);
}

/* -------------------------------------------------------- text structure */

static void
test_duplicate_keys(void **state)
{
	struct kvm_vmcoreinfo *v = *state;
	uint64_t u;
	int64_t n;

	parse_str(v, "PAGESIZE=4096\n"
		     "SYMBOL(a)=1000\n"
		     "PAGESIZE=16384\n"
		     "SYMBOL(b)=2000\n"
		     "PAGESIZE=65536\n"
		     "NUMBER(n)=5\n"
		     "SYMBOL(a)=3000\n"
		     "NUMBER(n)=oops\n");

	/* The later one wins, for raw and typed getters alike ... */
	assert_string_equal(kvm_vmcoreinfo_get(v, "PAGESIZE"), "65536");
	assert_true(kvm_vmcoreinfo_dec(v, "PAGESIZE", &u));
	assert_int_equal(u, 65536);
	assert_true(kvm_vmcoreinfo_symbol(v, "a", &u));
	assert_int_equal(u, 0x3000);
	assert_true(kvm_vmcoreinfo_symbol(v, "b", &u));
	assert_int_equal(u, 0x2000);
	/* ... even when it is malformed: no falling back to an older one. */
	assert_false(kvm_vmcoreinfo_number(v, "n", &n));
}

/* Many copies of one key among others: the binary search finds the last. */
static void
test_duplicate_keys_many(void **state)
{
	struct kvm_vmcoreinfo *v = *state;
	size_t cap = 64 * 200, pos = 0;
	char *text = malloc(cap);
	uint64_t u;

	assert_non_null(text);
	for (int i = 0; i < 200; i++)
		pos += snprintf(text + pos, cap - pos,
				"SIZE(k%03d)=%d\nSIZE(dup)=%d\n", i, i, i);
	assert_int_equal(kvm_vmcoreinfo_parse(v, text, pos), 0);
	free(text);

	assert_true(kvm_vmcoreinfo_size(v, "dup", &u));
	assert_int_equal(u, 199);
	assert_true(kvm_vmcoreinfo_size(v, "k000", &u));
	assert_int_equal(u, 0);
	assert_true(kvm_vmcoreinfo_size(v, "k199", &u));
	assert_int_equal(u, 199);
}

/* The kernel pads the note to 4 bytes and the buffer to a page: NULs. */
static void
test_nul_padding(void **state)
{
	struct kvm_vmcoreinfo *v = *state;
	char text[256] = "PAGESIZE=4096\nSYMBOL(a)=ff\nOSRELEASE=6.99";
	uint64_t u;

	assert_int_equal(kvm_vmcoreinfo_parse(v, text, sizeof(text)), 0);
	assert_true(kvm_vmcoreinfo_dec(v, "PAGESIZE", &u));
	assert_int_equal(u, 4096);
	assert_true(kvm_vmcoreinfo_symbol(v, "a", &u));
	assert_int_equal(u, 0xff);
	assert_string_equal(kvm_vmcoreinfo_get(v, "OSRELEASE"), "6.99");
	assert_int_equal(v->nents, 3);
}

/*
 * Text after a NUL is dropped, not refused.  vmcoreinfo.h says
 * -KVM_ECORRUPT for "NUL bytes inside"; the code (and this test) treat
 * the first NUL as the end of the text.
 */
static void
test_text_after_nul_ignored(void **state)
{
	struct kvm_vmcoreinfo *v = *state;
	static const char text[] = "PAGESIZE=4096\n\0SIZE(x)=8\n";
	uint64_t u;

	assert_int_equal(kvm_vmcoreinfo_parse(v, text, sizeof(text) - 1), 0);
	assert_true(kvm_vmcoreinfo_dec(v, "PAGESIZE", &u));
	assert_false(kvm_vmcoreinfo_size(v, "x", &u));
}

static void
test_lines_without_equals(void **state)
{
	struct kvm_vmcoreinfo *v = *state;

	parse_str(v, "garbage line\n"
		     "\n"
		     "=novalue\n"
		     "EMPTY=\n"
		     "A=b=c\n"
		     "  SPACED=1\n"
		     "\n\n");

	/* "=novalue" has an empty key: skipped like a line without '='. */
	assert_int_equal(v->nents, 3);
	assert_null(kvm_vmcoreinfo_get(v, "garbage line"));
	assert_null(kvm_vmcoreinfo_get(v, ""));
	assert_string_equal(kvm_vmcoreinfo_get(v, "EMPTY"), "");
	/* The key ends at the first '='; the value keeps the rest. */
	assert_string_equal(kvm_vmcoreinfo_get(v, "A"), "b=c");
	/* Keys are not trimmed. */
	assert_null(kvm_vmcoreinfo_get(v, "SPACED"));
	assert_string_equal(kvm_vmcoreinfo_get(v, "  SPACED"), "1");
}

/*
 * CRLF is not something the kernel writes.  What happens: the CR stays at
 * the end of the value, so the raw value carries it and typed getters
 * treat the value as malformed (absent).  Keys are unaffected.
 */
static void
test_crlf(void **state)
{
	struct kvm_vmcoreinfo *v = *state;
	uint64_t u;
	int64_t n;

	parse_str(v, "OSRELEASE=6.1\r\n"
		     "PAGESIZE=4096\r\n"
		     "SYMBOL(x)=ffff\r\n"
		     "NUMBER(y)=-1\r\n");

	assert_string_equal(kvm_vmcoreinfo_get(v, "OSRELEASE"), "6.1\r");
	assert_string_equal(kvm_vmcoreinfo_get(v, "PAGESIZE"), "4096\r");
	assert_false(kvm_vmcoreinfo_dec(v, "PAGESIZE", &u));
	assert_false(kvm_vmcoreinfo_symbol(v, "x", &u));
	assert_false(kvm_vmcoreinfo_number(v, "y", &n));
}

static void
test_too_large(void **state)
{
	struct kvm_vmcoreinfo *v = *state;
	size_t len = KVM_VMCOREINFO_MAX + 1;
	char *text = malloc(len);

	assert_non_null(text);
	memset(text, '\n', len);
	memcpy(text, "PAGESIZE=4096\n", 14);
	assert_int_equal(kvm_vmcoreinfo_parse(v, text, len), -KVM_ECORRUPT);
	/* Nothing half-built is left, and deinit copes. */
	assert_null(v->buf);
	assert_null(v->ents);
	assert_int_equal(v->nents, 0);
	assert_null(kvm_vmcoreinfo_get(v, "PAGESIZE"));
	kvm_vmcoreinfo_deinit(v);

	/* The limit counts padding too: the length given is what counts. */
	memset(text, '\0', len);
	memcpy(text, "PAGESIZE=4096\n", 14);
	assert_int_equal(kvm_vmcoreinfo_parse(v, text, len), -KVM_ECORRUPT);
	free(text);
}

/*
 * Exactly KVM_VMCOREINFO_MAX bytes is accepted.  With more lines than
 * KVM_VMCOREINFO_MAX_ENTRIES the table stops growing: the first ones are
 * kept and the rest ignored, which bounds memory.
 */
static void
test_max_size_and_entry_cap(void **state)
{
	struct kvm_vmcoreinfo *v = *state;
	size_t len = KVM_VMCOREINFO_MAX, pos = 0;
	char *text = malloc(len + 1);
	unsigned nlines = 0;
	uint64_t u;

	assert_non_null(text);
	while (len - pos > 32) {
		pos += snprintf(text + pos, len + 1 - pos, "SIZE(k%07u)=%u\n",
				nlines, nlines);
		nlines++;
	}
	memset(text + pos, '\n', len - pos);
	assert_true(nlines > KVM_VMCOREINFO_MAX_ENTRIES);

	assert_int_equal(kvm_vmcoreinfo_parse(v, text, len), 0);
	free(text);
	assert_int_equal(v->nents, KVM_VMCOREINFO_MAX_ENTRIES);
	assert_true(kvm_vmcoreinfo_size(v, "k0000000", &u));
	assert_int_equal(u, 0);
	assert_true(kvm_vmcoreinfo_size(v, "k0016383", &u));
	assert_int_equal(u, 16383);
	assert_false(kvm_vmcoreinfo_size(v, "k0016384", &u));
}

static void
test_empty_text(void **state)
{
	struct kvm_vmcoreinfo *v = *state;
	static const char nuls[64];

	assert_int_equal(kvm_vmcoreinfo_parse(v, "", 0), 0);
	assert_int_equal(v->nents, 0);
	assert_null(kvm_vmcoreinfo_get(v, "PAGESIZE"));
	assert_absent_all(v, "x");
	kvm_vmcoreinfo_deinit(v);

	parse_str(v, "\n\n\n");
	assert_int_equal(v->nents, 0);
	kvm_vmcoreinfo_deinit(v);

	assert_int_equal(kvm_vmcoreinfo_parse(v, nuls, sizeof(nuls)), 0);
	assert_int_equal(v->nents, 0);
	assert_null(kvm_vmcoreinfo_get(v, ""));
}

/*
 * The text need not be NUL-terminated and only len bytes are read (ASan
 * catches an overread of the exact-size heap copy).
 */
static void
test_not_nul_terminated(void **state)
{
	struct kvm_vmcoreinfo *v = *state;
	static const char src[] = "PAGESIZE=4096\nSIZE(x)=12345";
	size_t len = sizeof(src) - 1;
	char *text = malloc(len);
	uint64_t u;

	assert_non_null(text);
	memcpy(text, src, len);
	assert_int_equal(kvm_vmcoreinfo_parse(v, text, len), 0);
	assert_true(kvm_vmcoreinfo_size(v, "x", &u));
	assert_int_equal(u, 12345);
	kvm_vmcoreinfo_deinit(v);

	/* A length that cuts a value short. */
	assert_int_equal(kvm_vmcoreinfo_parse(v, text, len - 3), 0);
	assert_true(kvm_vmcoreinfo_size(v, "x", &u));
	assert_int_equal(u, 12);
	free(text);
}

/* Values live in a private copy: the caller's buffer may go away. */
static void
test_private_copy(void **state)
{
	struct kvm_vmcoreinfo *v = *state;
	char text[] = "PAGESIZE=4096\nOSRELEASE=6.99\n";
	uint64_t u;

	assert_int_equal(kvm_vmcoreinfo_parse(v, text, strlen(text)), 0);
	/* Parsing must not have written into the caller's text either. */
	assert_string_equal(text, "PAGESIZE=4096\nOSRELEASE=6.99\n");
	memset(text, 'x', sizeof(text) - 1);
	assert_true(kvm_vmcoreinfo_dec(v, "PAGESIZE", &u));
	assert_int_equal(u, 4096);
	assert_string_equal(kvm_vmcoreinfo_get(v, "OSRELEASE"), "6.99");
}

/* Thousands of keys inserted out of order are all found. */
static void
test_many_keys(void **state)
{
	struct kvm_vmcoreinfo *v = *state;
	enum { N = 3000 };
	size_t cap = (size_t)N * 40, pos = 0;
	char *text = malloc(cap);
	char name[32];
	uint64_t u;

	assert_non_null(text);
	for (unsigned i = 0; i < N; i++) {
		unsigned k = (i * 7919u) % N; /* 7919 is prime: a permutation */
		pos += snprintf(text + pos, cap - pos,
				"OFFSET(s.f%u)=%u\n", k * 2, k + 1000);
	}
	assert_int_equal(kvm_vmcoreinfo_parse(v, text, pos), 0);
	free(text);
	assert_int_equal(v->nents, N);

	for (unsigned k = 0; k < N; k++) {
		snprintf(name, sizeof(name), "s.f%u", k * 2);
		if (!kvm_vmcoreinfo_offset(v, name, &u) || u != k + 1000)
			fail_msg("OFFSET(%s) not found or wrong", name);
		/* Odd names sort between the even ones and are absent. */
		snprintf(name, sizeof(name), "s.f%u", k * 2 + 1);
		if (kvm_vmcoreinfo_offset(v, name, &u))
			fail_msg("OFFSET(%s) found but never written", name);
	}
}

/* A name too long for the getters' key buffer is absent, not truncated. */
static void
test_long_name(void **state)
{
	struct kvm_vmcoreinfo *v = *state;
	char name[400], line[450];
	uint64_t u;

	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	snprintf(line, sizeof(line), "SIZE(%s)=8\n", name);
	parse_str(v, line);

	assert_false(kvm_vmcoreinfo_size(v, name, &u));
	/* The raw getter takes any key. */
	line[strlen(line) - 3] = '\0';
	assert_string_equal(kvm_vmcoreinfo_get(v, line), "8");
}

static void
test_deinit_twice(void **state)
{
	struct kvm_vmcoreinfo *v = *state;

	parse_str(v, "PAGESIZE=4096\n");
	kvm_vmcoreinfo_deinit(v);
	kvm_vmcoreinfo_deinit(v);
	assert_int_equal(v->nents, 0);
	assert_null(kvm_vmcoreinfo_get(v, "PAGESIZE"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_x86_64_note),
		T(test_aarch64_note),
		T(test_number_limits),
		T(test_missing_keys),
		T(test_malformed_values),
		T(test_leading_whitespace),
		T(test_number_leading_zero_is_decimal),
		T(test_hex_prefix),
		T(test_hex_double_prefix),
		T(test_duplicate_keys),
		T(test_duplicate_keys_many),
		T(test_nul_padding),
		T(test_text_after_nul_ignored),
		T(test_lines_without_equals),
		T(test_crlf),
		T(test_too_large),
		T(test_max_size_and_entry_cap),
		T(test_empty_text),
		T(test_not_nul_terminated),
		T(test_private_copy),
		T(test_many_keys),
		T(test_long_name),
		T(test_deinit_twice),
#undef T
	};

	return cmocka_run_group_tests_name("vmcoreinfo", tests, NULL, NULL);
}
