/* SPDX-License-Identifier: BSD-2-Clause */
/* Small helpers shared by every layer: sizes, overflow checks, byte order. */
#ifndef KVM_UTIL_H
#define KVM_UTIL_H

#include <endian.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

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

static inline void
kvm_freep(void *p)
{
	free(*(void **)p);
}
/* Function-local temporaries only (STYLE B6). */
#define _cleanup_free_ __attribute__((cleanup(kvm_freep)))

#endif /* KVM_UTIL_H */
