# SPDX-License-Identifier: BSD-2-Clause
# live_guest: kcore on a running kernel, in a QEMU guest of Debian's own
# kernel (tests/guest/run.sh; KVM when it works, else TCG; KVM_GUEST_ACCEL=tcg
# forces TCG).  Included from tests/CMakeLists.txt.  Skips (77) without
# qemu-system-x86_64 or when the kernel and busybox-static packages cannot
# be downloaded; they are kept in KVM_GUEST_CACHE (default
# <build>/guest-cache) for the next run.
add_test(NAME live_guest
	COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/run.sh
		${CMAKE_SOURCE_DIR} ${CMAKE_BINARY_DIR})
set_tests_properties(live_guest PROPERTIES
	TIMEOUT 900
	SKIP_RETURN_CODE 77
	ENVIRONMENT "KVM_GUEST_CC=${CMAKE_C_COMPILER}")
