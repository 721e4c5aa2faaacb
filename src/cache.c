// SPDX-License-Identifier: BSD-2-Clause
/*
 * The decoded-page cache (cache.h): slots in one block of memory, a hash
 * table of slot indices chained through the slots, and a CLOCK hand for
 * eviction (an approximation of LRU that needs no list updates on a hit).
 *
 *   buckets[2^k >= nslots]   slots[nslots]                  data
 *   +-----+                  +-----+------+------+-----+    +-----------+
 *   | 0 --+----------------->| key | next | used | ref | -> | slot_size |
 *   | NIL |                  |  17 |   2  |  1   |  1  |    | bytes of  |
 *   | 1 --+---------.        +-----+--|---+------+-----+    | page 17   |
 *   | ... |         '------->|  40 |  NIL |  1   |  0  | -> | page 40   |
 *   +-----+                  +-----+--|---+------+-----+    +-----------+
 *                            |   9 |  NIL |  1   |  1  | -> | page 9    |
 *                  hand ---> +-----+------+------+-----+    +-----------+
 *                            |   (not filled yet)      |    |           |
 *
 *   bucket 0: slot 0 -> slot 2;  bucket 2: slot 1.  Slot i's bytes are at
 *   data + i * slot_size.
 *
 * A lookup hashes the key (Fibonacci hashing) and walks one chain: with
 * at least as many buckets as slots, chains average under one entry.
 * A hit sets the slot's ref bit.  Eviction advances the hand, clearing
 * ref bits, until it finds a slot whose bit is clear: at most two sweeps.
 *
 * Memory: slot_size * nslots for the data (malloc'd once, touched only as
 * slots fill, so a large budget costs nothing until used), 16 bytes per
 * slot and 4 per bucket of metadata: for the default 64 MiB of 4 KiB
 * pages, 16384 slots and 320 KiB of metadata.
 */
#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "util.h"

#define NIL UINT32_MAX

struct cache_slot {
	uint64_t key;
	uint32_t next; /* next slot in the bucket's chain, or NIL */
	uint8_t used;  /* holds key's data and is in the hash table */
	uint8_t ref;   /* used since the hand last passed */
};

struct kvm_cache {
	size_t slot_size;
	uint32_t nslots;
	uint32_t nfilled;    /* slots 0..nfilled-1 were handed out once */
	unsigned hash_shift; /* 64 - log2(number of buckets) */
	uint32_t *buckets;
	struct cache_slot *slots;
	uint8_t *data;
	uint32_t hand;
	uint32_t pending; /* reserved slot, or NIL */
	struct kvm_cache_stats stats;
};

static inline uint32_t
bucket_of(const struct kvm_cache *c, uint64_t key)
{
	return (uint32_t)((key * 0x9e3779b97f4a7c15ULL) >> c->hash_shift);
}

struct kvm_cache *
kvm_cache_create(size_t slot_size, uint64_t bytes, uint64_t max_slots)
{
	uint64_t n = slot_size ? bytes / slot_size : 0;

	if (slot_size == 0)
		return NULL;
	n = KVM_MIN(n, max_slots);
	n = KVM_MIN(n, (uint64_t)NIL - 1);
	if (n == 0)
		n = 1;

	unsigned bits = 1;
	while (bits < 32 && (1ULL << bits) < n)
		bits++;
	size_t nbuckets = (size_t)1 << bits;
	size_t data_len;
	if (kvm_mul_overflow((size_t)n, slot_size, &data_len))
		return NULL;

	struct kvm_cache *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->slot_size = slot_size;
	c->nslots = (uint32_t)n;
	c->hash_shift = 64 - bits;
	c->pending = NIL;
	c->buckets = malloc(nbuckets * sizeof(*c->buckets));
	c->slots = calloc(n, sizeof(*c->slots));
	c->data = malloc(data_len);
	if (!c->buckets || !c->slots || !c->data) {
		kvm_cache_destroy(c);
		return NULL;
	}
	memset(c->buckets, 0xff, nbuckets * sizeof(*c->buckets)); /* NIL */
	return c;
}

void
kvm_cache_destroy(struct kvm_cache *c)
{
	if (!c)
		return;
	free(c->buckets);
	free(c->slots);
	free(c->data);
	free(c);
}

const void *
kvm_cache_get(struct kvm_cache *c, uint64_t key)
{
	for (uint32_t i = c->buckets[bucket_of(c, key)]; i != NIL;
	     i = c->slots[i].next) {
		struct cache_slot *s = &c->slots[i];
		if (s->key == key) {
			s->ref = 1;
			c->stats.hits++;
			return c->data + (size_t)i * c->slot_size;
		}
	}
	c->stats.misses++;
	return NULL;
}

/* Take slot i out of its hash chain. */
static void
unlink_slot(struct kvm_cache *c, uint32_t i)
{
	uint32_t *link = &c->buckets[bucket_of(c, c->slots[i].key)];

	while (*link != i)
		link = &c->slots[*link].next;
	*link = c->slots[i].next;
	c->slots[i].used = 0;
}

void *
kvm_cache_reserve(struct kvm_cache *c)
{
	uint32_t i = c->pending;

	if (i == NIL) {
		if (c->nfilled < c->nslots) {
			/* Fill every slot once before evicting any. */
			i = c->nfilled++;
		} else {
			/*
			 * CLOCK: give each used slot a second chance.  A
			 * slot left unused (its key was re-committed) is
			 * taken at once.  Ends within two sweeps.
			 */
			for (;;) {
				struct cache_slot *s = &c->slots[c->hand];
				i = c->hand;
				if (++c->hand == c->nslots)
					c->hand = 0;
				if (s->used && s->ref) {
					s->ref = 0;
					continue;
				}
				if (s->used) {
					unlink_slot(c, i);
					c->stats.evictions++;
				}
				break;
			}
		}
		c->pending = i;
	}
	return c->data + (size_t)i * c->slot_size;
}

void
kvm_cache_commit(struct kvm_cache *c, uint64_t key)
{
	uint32_t i = c->pending;

	if (i == NIL)
		return;
	c->pending = NIL;
	/* Never two entries for one key: the older one goes. */
	uint32_t *b = &c->buckets[bucket_of(c, key)];
	for (uint32_t j = *b; j != NIL; j = c->slots[j].next)
		if (c->slots[j].key == key) {
			unlink_slot(c, j);
			break;
		}
	struct cache_slot *s = &c->slots[i];
	s->key = key;
	s->used = 1;
	s->ref = 1;
	s->next = *b;
	*b = i;
}

size_t
kvm_cache_nslots(const struct kvm_cache *c)
{
	return c->nslots;
}

void
kvm_cache_get_stats(const struct kvm_cache *c, struct kvm_cache_stats *ret)
{
	*ret = c->stats;
}
