/* SPDX-License-Identifier: BSD-2-Clause */
/* Small helpers shared by every layer: sizes, overflow checks, byte order. */
#ifndef KVM_UTIL_H
#define KVM_UTIL_H

#include <endian.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define KVM_MIN(a, b) ((a) < (b) ? (a) : (b))
#define KVM_MAX(a, b) ((a) > (b) ? (a) : (b))

/* Only the public API is exported (see libkvm.map). */
#define KVM_EXPORT __attribute__((visibility("default")))

#define kvm_add_overflow(a, b, r) __builtin_add_overflow(a, b, r)
#define kvm_mul_overflow(a, b, r) __builtin_mul_overflow(a, b, r)

/* True when [off, off+len) lies inside [0, size). */
static inline bool
kvm_range_ok(uint64_t off, uint64_t len, uint64_t size)
{
	uint64_t end;

	return !kvm_add_overflow(off, len, &end) && end <= size;
}

/*
 * include/linux/swap.h, union swap_header: a swap area's first page ends
 * with "SWAPSPACE2" (2.4's version 0 had "SWAP-SPACE"), whatever the page
 * size.  kvm_swap_magic(): 2, 1 or 0 (neither) for the 10 bytes at p.
 */
#define KVM_SWAP_PAGE_MIN 4096u
#define KVM_SWAP_PAGE_MAX 65536u
#define KVM_SWAP_MAGIC_LEN 10
static inline int
kvm_swap_magic(const void *p)
{
	if (memcmp(p, "SWAPSPACE2", KVM_SWAP_MAGIC_LEN) == 0)
		return 2;
	return memcmp(p, "SWAP-SPACE", KVM_SWAP_MAGIC_LEN) == 0;
}

/* The page size whose first page in b[0, n) ends with a swap magic, or 0. */
static inline uint32_t
kvm_swap_page_size(const uint8_t *b, size_t n, int *magic_ret)
{
	for (uint32_t ps = KVM_SWAP_PAGE_MIN; ps <= KVM_SWAP_PAGE_MAX;
	     ps *= 2) {
		int m = n >= ps ? kvm_swap_magic(b + ps - KVM_SWAP_MAGIC_LEN)
				: 0;
		if (m) {
			if (magic_ret)
				*magic_ret = m;
			return ps;
		}
	}
	return 0;
}

static inline void
kvm_freep(void *p)
{
	free(*(void **)p);
}
/* Function-local temporaries only (STYLE B6). */
#define _cleanup_free_ __attribute__((cleanup(kvm_freep)))

#endif /* KVM_UTIL_H */
