// SPDX-License-Identifier: BSD-2-Clause
/*
 * The decoded-page cache (src/cache.c): sizing, hits and misses, CLOCK
 * eviction order, abandoned reservations, duplicate keys, and a random
 * workload checked against the data each key must hold.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "kvm.h"

#define SLOT 64

/* What the "decoder" writes for key: its value, then a key-based fill. */
static void
fill(void *slot, uint64_t key)
{
	memset(slot, (int)(key * 7 + 3), SLOT);
	memcpy(slot, &key, sizeof(key));
}

static void
assert_holds(const void *slot, uint64_t key)
{
	uint8_t want[SLOT];

	assert_non_null(slot);
	fill(want, key);
	assert_memory_equal(slot, want, SLOT);
}

static void
put(struct kvm_cache *c, uint64_t key)
{
	void *slot = kvm_cache_reserve(c);

	assert_non_null(slot);
	fill(slot, key);
	kvm_cache_commit(c, key);
}

static void
test_sizes(void **state)
{
	(void)state;
	struct kvm_cache *c = kvm_cache_create(4096, KVM_CACHE_DEFAULT,
					       UINT64_MAX);
	assert_non_null(c);
	assert_int_equal(kvm_cache_nslots(c), KVM_CACHE_DEFAULT / 4096);
	kvm_cache_destroy(c);

	/* Bounded by what the dump holds. */
	c = kvm_cache_create(4096, KVM_CACHE_DEFAULT, 10);
	assert_int_equal(kvm_cache_nslots(c), 10);
	kvm_cache_destroy(c);

	/* A budget below one slot still caches one page. */
	c = kvm_cache_create(65536, 1000, UINT64_MAX);
	assert_int_equal(kvm_cache_nslots(c), 1);
	kvm_cache_destroy(c);
	c = kvm_cache_create(4096, KVM_CACHE_DEFAULT, 0);
	assert_int_equal(kvm_cache_nslots(c), 1);
	kvm_cache_destroy(c);

	assert_null(kvm_cache_create(0, KVM_CACHE_DEFAULT, 100));
	kvm_cache_destroy(NULL);
}

static void
test_miss_then_hit(void **state)
{
	struct kvm_cache_stats st;

	(void)state;
	struct kvm_cache *c = kvm_cache_create(SLOT, 8 * SLOT, UINT64_MAX);
	assert_null(kvm_cache_get(c, 42));
	put(c, 42);
	assert_holds(kvm_cache_get(c, 42), 42);
	assert_holds(kvm_cache_get(c, 42), 42);
	assert_null(kvm_cache_get(c, 43));
	kvm_cache_get_stats(c, &st);
	assert_int_equal(st.hits, 2);
	assert_int_equal(st.misses, 2);
	assert_int_equal(st.evictions, 0);
	kvm_cache_destroy(c);
}

/* Keys that hash anywhere, including 0 and the top of the range. */
static void
test_extreme_keys(void **state)
{
	static const uint64_t keys[] = { 0, 1, UINT64_MAX, UINT64_MAX - 1,
					 1ULL << 63, 0x9e3779b97f4a7c15ULL };

	(void)state;
	struct kvm_cache *c = kvm_cache_create(SLOT, 16 * SLOT, UINT64_MAX);
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		put(c, keys[i]);
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		assert_holds(kvm_cache_get(c, keys[i]), keys[i]);
	kvm_cache_destroy(c);
}

static size_t
count_cached(struct kvm_cache *c, uint64_t lo, uint64_t hi)
{
	size_t n = 0;

	for (uint64_t k = lo; k < hi; k++)
		n += kvm_cache_get(c, k) != NULL;
	return n;
}

/* Every slot fills before anything is evicted; then one out, one in. */
static void
test_capacity(void **state)
{
	struct kvm_cache_stats st;

	(void)state;
	struct kvm_cache *c = kvm_cache_create(SLOT, 100 * SLOT, UINT64_MAX);
	for (uint64_t k = 0; k < 100; k++)
		put(c, k);
	assert_int_equal(count_cached(c, 0, 100), 100);
	put(c, 1000);
	kvm_cache_get_stats(c, &st);
	assert_int_equal(st.evictions, 1);
	assert_int_equal(count_cached(c, 0, 100), 99);
	assert_holds(kvm_cache_get(c, 1000), 1000);
	kvm_cache_destroy(c);
}

/*
 * CLOCK: a full sweep clears every ref bit and takes the slot under the
 * hand; a slot used since the hand passed gets a second chance.
 */
static void
test_clock_order(void **state)
{
	(void)state;
	struct kvm_cache *c = kvm_cache_create(SLOT, 4 * SLOT, UINT64_MAX);
	for (uint64_t k = 1; k <= 4; k++)
		put(c, k);		/* slots 0..3, all referenced */
	put(c, 5);			/* sweeps, evicts slot 0 (key 1) */
	assert_null(kvm_cache_get(c, 1));
	assert_holds(kvm_cache_get(c, 2), 2); /* second chance for key 2 */
	put(c, 6);			/* skips key 2, evicts key 3 */
	assert_null(kvm_cache_get(c, 3));
	assert_holds(kvm_cache_get(c, 2), 2);
	assert_holds(kvm_cache_get(c, 4), 4);
	assert_holds(kvm_cache_get(c, 5), 5);
	assert_holds(kvm_cache_get(c, 6), 6);
	kvm_cache_destroy(c);
}

/* A decode that fails: the slot is reused, nothing stale is found. */
static void
test_abandoned_reservation(void **state)
{
	(void)state;
	struct kvm_cache *c = kvm_cache_create(SLOT, 2 * SLOT, UINT64_MAX);
	put(c, 1);
	put(c, 2);
	void *slot = kvm_cache_reserve(c); /* evicts one of them */
	memset(slot, 0xee, SLOT);	   /* half-decoded garbage */
	assert_int_equal(count_cached(c, 1, 3), 1);
	/* Reserving again hands back the same slot. */
	assert_ptr_equal(kvm_cache_reserve(c), slot);
	fill(slot, 3);
	kvm_cache_commit(c, 3);
	assert_holds(kvm_cache_get(c, 3), 3);
	/* A commit without a reservation changes nothing. */
	kvm_cache_commit(c, 4);
	assert_null(kvm_cache_get(c, 4));
	assert_int_equal(count_cached(c, 1, 5), 2);
	kvm_cache_destroy(c);
}

/* Committing a key again replaces it: never two entries for one key. */
static void
test_duplicate_key(void **state)
{
	(void)state;
	struct kvm_cache *c = kvm_cache_create(SLOT, 3 * SLOT, UINT64_MAX);
	put(c, 7);
	void *slot = kvm_cache_reserve(c);
	memset(slot, 0x55, SLOT);
	kvm_cache_commit(c, 7);
	const uint8_t *got = kvm_cache_get(c, 7);
	assert_ptr_equal(got, slot);
	assert_int_equal(got[SLOT - 1], 0x55);
	/* The dropped entry's slot is taken before any live one. */
	put(c, 8);
	put(c, 9);
	assert_non_null(kvm_cache_get(c, 7));
	assert_non_null(kvm_cache_get(c, 8));
	assert_non_null(kvm_cache_get(c, 9));
	kvm_cache_destroy(c);
}

/*
 * What the kdump reader relies on: a working set that fits is decoded
 * once, then always hit.  Then random keys: every hit holds its data and
 * the cache never holds more keys than slots.
 */
static void
test_working_set_and_random(void **state)
{
	struct kvm_cache_stats st;
	const size_t nslots = 512;

	(void)state;
	struct kvm_cache *c = kvm_cache_create(SLOT, nslots * SLOT, UINT64_MAX);
	uint64_t decodes = 0;
	for (int round = 0; round < 20; round++)
		for (uint64_t k = 0; k < nslots; k++) {
			uint64_t key = k * 0x100001ULL; /* spread out */
			const void *p = kvm_cache_get(c, key);
			if (!p) {
				put(c, key);
				decodes++;
			} else {
				assert_holds(p, key);
			}
		}
	assert_int_equal(decodes, nslots);

	srandom(1);
	for (int i = 0; i < 200000; i++) {
		uint64_t key = (uint64_t)random() % 2000;
		const void *p = kvm_cache_get(c, key);
		if (p)
			assert_holds(p, key);
		else
			put(c, key);
	}
	assert_true(count_cached(c, 0, 2000) <= nslots);
	kvm_cache_get_stats(c, &st);
	assert_true(st.hits > 0 && st.evictions > 0);
	kvm_cache_destroy(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_miss_then_hit),
		cmocka_unit_test(test_extreme_keys),
		cmocka_unit_test(test_capacity),
		cmocka_unit_test(test_clock_order),
		cmocka_unit_test(test_abandoned_reservation),
		cmocka_unit_test(test_duplicate_key),
		cmocka_unit_test(test_working_set_and_random),
	};

	return cmocka_run_group_tests_name("cache", tests, NULL, NULL);
}
