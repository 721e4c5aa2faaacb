/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A bounded cache of decoded pages (DESIGN §3): fixed-size slots keyed by
 * a 64-bit number (a page frame number), O(1) lookup, CLOCK eviction.  All
 * memory is allocated by kvm_cache_create(); lookups and insertions never
 * allocate.  The size comes from kvm_set_cache_size() (kd->cache_bytes:
 * KVM_CACHE_DEFAULT 64 MiB, at most KVM_CACHE_MAX 16 GiB).
 *
 * Filling a slot is two steps, so that a page is decoded straight into
 * the cache and a failed decode leaves nothing behind:
 *
 *	const void *p = kvm_cache_get(c, pfn);
 *	if (!p) {
 *		void *slot = kvm_cache_reserve(c);
 *		if (decode(slot) == 0)
 *			kvm_cache_commit(c, pfn);
 *	}
 */
#ifndef KVM_CACHE_H
#define KVM_CACHE_H

#include <stddef.h>
#include <stdint.h>

struct kvm_cache;

struct kvm_cache_stats {
	uint64_t hits;
	uint64_t misses;
	uint64_t evictions;
};

/*
 * A cache of bytes / slot_size slots (at least one, at most max_slots and
 * 2^32 - 2) of slot_size bytes each.  max_slots bounds it by what the dump
 * holds, so a small dump never reserves the whole budget.  NULL when out
 * of memory (or slot_size is 0): the caller then reads without a cache.
 */
struct kvm_cache *kvm_cache_create(size_t slot_size, uint64_t bytes,
				   uint64_t max_slots);
/* Free c; NULL is a no-op. */
void kvm_cache_destroy(struct kvm_cache *c);

/* The slot_size bytes cached for key, or NULL; a hit marks it used. */
const void *kvm_cache_get(struct kvm_cache *c, uint64_t key);

/*
 * A slot to fill (an unused one, else the CLOCK victim, which is dropped
 * from the cache at once).  It stays reserved until kvm_cache_commit();
 * reserving again before that returns the same slot.
 */
void *kvm_cache_reserve(struct kvm_cache *c);
/*
 * Enter the reserved slot under key; an older entry for key is dropped.
 * Without a reservation, does nothing.
 */
void kvm_cache_commit(struct kvm_cache *c, uint64_t key);

/* Number of slots. */
size_t kvm_cache_nslots(const struct kvm_cache *c);
void kvm_cache_get_stats(const struct kvm_cache *c,
			 struct kvm_cache_stats *ret);

#endif /* KVM_CACHE_H */
