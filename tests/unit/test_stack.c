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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kernel_address),
		cmocka_unit_test(test_user_address),
		cmocka_unit_test(test_other_va_bits),
	};

	return cmocka_run_group_tests_name("stack", tests, NULL, NULL);
}
