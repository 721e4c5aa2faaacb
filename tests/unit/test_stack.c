// SPDX-License-Identifier: BSD-2-Clause
/*
 * Pointer-authentication stripping of aarch64 return addresses
 * (src/stack/unwind_aarch64.c), on synthetic values: the fixtures' QEMU
 * CPU (cortex-a57) has no PAC, Debian's arm64 kernel signs with it.  The
 * mask is VMCOREINFO's KERNELPACMASK as a 48-bit-VA kernel with TBI off
 * for the kernel reports it: bits 54..48 and 63..56, bit 55 kept.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "stack/stack.h"

#define MASK48 0xff7f000000000000ull

/* Sign addr as the CPU does: the PAC bits replaced, bit 55 left alone. */
static uint64_t
sign(uint64_t addr, uint64_t pac, uint64_t mask)
{
	return (addr & ~mask) | (pac & mask);
}

static void
test_kernel_address(void **state)
{
	(void)state;
	uint64_t pc = 0xffffd482f74166ccull;
	for (uint64_t pac = 0; pac < 0x10000; pac += 0x1237) {
		uint64_t s = sign(pc, pac * 0x0001000100010001ull, MASK48);
		assert_int_equal(kvm_aarch64_strip_pac(s, MASK48), pc);
	}
	/* Already clean: unchanged. */
	assert_int_equal(kvm_aarch64_strip_pac(pc, MASK48), pc);
}

static void
test_user_address(void **state)
{
	(void)state;
	uint64_t pc = 0x0000aaaad0001234ull;
	uint64_t s = sign(pc, 0x3a2b000000000000ull, MASK48);
	assert_int_equal(kvm_aarch64_strip_pac(s, MASK48), pc);
}

static void
test_other_va_bits(void **state)
{
	(void)state;
	/* 52-bit VA: PAC in bits 54..52 and 63..56. */
	uint64_t mask = 0xff70000000000000ull;
	uint64_t pc = 0xfff8000012345678ull;
	assert_int_equal(kvm_aarch64_strip_pac(sign(pc, ~0ull, mask), mask),
			 pc);
	/* No mask (no PAC, or no VMCOREINFO): nothing changes. */
	assert_int_equal(kvm_aarch64_strip_pac(0x1234d482f74166ccull, 0),
			 0x1234d482f74166ccull);
}

/* Titles and signatures keep the kind of failure, not its numbers. */
static void
test_crash_kind(void **state)
{
	static const char *const cases[][2] = {
		{ "BUG: unable to handle page fault for address: ffffffffc0a0b000",
		  "BUG: unable to handle page fault" },
		{ "BUG: kernel NULL pointer dereference, address: 0000000000000008",
		  "BUG: kernel NULL pointer dereference" },
		{ "kernel BUG at mm/slub.c:4321!", "kernel BUG" },
		{ "WARNING: CPU: 1 PID: 77 at kernel/foo.c:12 bar+0x1/0x2",
		  "WARNING" },
		{ "watchdog: BUG: soft lockup - CPU#0 stuck for 22s! [kworker:33]",
		  "watchdog: BUG: soft lockup - CPU#X stuck for Xs" },
		{ "general protection fault, probably for non-canonical address "
		  "0xdead000000000100: 0000 [#1] PREEMPT SMP NOPTI",
		  "general protection fault, probably for non-canonical address X" },
		{ "Unable to handle kernel NULL pointer dereference at virtual "
		  "address 0000000000000008",
		  "Unable to handle kernel NULL pointer dereference" },
		{ "Kernel panic - not syncing: Attempted to kill init! "
		  "exitcode=0x0000000b",
		  "Kernel panic - not syncing: Attempted to kill init" },
		{ "Kernel panic - not syncing: sysrq triggered crash",
		  "Kernel panic - not syncing: sysrq triggered crash" },
		{ "Oops: 0002 [#1] PREEMPT SMP NOPTI", "Oops" },
		{ "Internal error: Oops: 0000000096000005 [#1] SMP",
		  "Internal error: Oops" },
	};
	char out[128];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		kvm_crash_kind(cases[i][0], out, sizeof(out));
		assert_string_equal(out, cases[i][1]);
	}
	/* A short buffer: cut, terminated. */
	kvm_crash_kind(cases[0][0], out, 8);
	assert_string_equal(out, "BUG: un");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kernel_address),
		cmocka_unit_test(test_user_address),
		cmocka_unit_test(test_other_va_bits),
		cmocka_unit_test(test_crash_kind),
	};

	return cmocka_run_group_tests_name("stack", tests, NULL, NULL);
}
