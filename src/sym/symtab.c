// SPDX-License-Identifier: BSD-2-Clause
/*
 * Symbol table storage and lookups.  Adding is append-only; the name hash
 * and the address order are built when first needed, so a caller that only
 * looks up names never sorts 100k symbols, and one that never looks up
 * anything pays nothing but the load.
 */
#include <stdlib.h>
#include <string.h>

#include "symtab.h"

static uint32_t
name_hash(const char *s)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

static int
syms_grow(kvm_t *kd, struct kvm_symtab *t, size_t want)
{
	if (want <= t->cap)
		return 0;
	size_t cap = t->cap ? t->cap : 4096;
	while (cap < want)
		cap *= 2;
	struct kvm_sym *n = realloc(t->syms, cap * sizeof(*n));
	if (!n)
		return kvm_error(kd, KVM_ENOMEM, "out of memory for symbols");
	t->syms = n;
	t->cap = cap;
	return 0;
}

int
kvm_symtab_reserve(kvm_t *kd, struct kvm_symtab *t, size_t nsyms)
{
	if (nsyms > KVM_SYMTAB_MAX_SYMS - t->n)
		nsyms = KVM_SYMTAB_MAX_SYMS - t->n;
	return syms_grow(kd, t, t->n + nsyms);
}

char *
kvm_symtab_room(kvm_t *kd, struct kvm_symtab *t, size_t room)
{
	if (t->pool_len + room > t->pool_cap) {
		size_t cap = t->pool_cap ? t->pool_cap * 2 : 65536;
		while (cap < t->pool_len + room)
			cap *= 2;
		char *p = realloc(t->pool, cap);
		if (!p) {
			kvm_error(kd, KVM_ENOMEM,
				  "out of memory for symbol names");
			return NULL;
		}
		t->pool = p;
		t->pool_cap = cap;
	}
	return t->pool + t->pool_len;
}

int
kvm_symtab_push(kvm_t *kd, struct kvm_symtab *t, size_t skip, size_t len,
		uint64_t addr, char type)
{
	if (len == 0 || len > KVM_SYM_NAME_MAX)
		return 0; /* not a name anyone can look up: skip */
	if (t->n >= KVM_SYMTAB_MAX_SYMS ||
	    t->pool_len + skip + len + 1 > KVM_SYMTAB_MAX_NAMES)
		return kvm_error(kd, KVM_ECORRUPT,
				 "more than %u symbols or %u MiB of names",
				 KVM_SYMTAB_MAX_SYMS,
				 KVM_SYMTAB_MAX_NAMES >> 20);
	int err = syms_grow(kd, t, t->n + 1);
	if (err)
		return err;
	/* The caller wrote the name within kvm_symtab_room()'s room. */
	t->pool[t->pool_len + skip + len] = '\0';
	t->syms[t->n++] = (struct kvm_sym){
		.addr = addr,
		.name = (uint32_t)(t->pool_len + skip),
		.type = type,
	};
	t->pool_len += skip + len + 1;
	/* The address order is rebuilt when symbols were added after it. */
	free(t->by_addr);
	t->by_addr = NULL;
	return 0;
}

int
kvm_symtab_add(kvm_t *kd, struct kvm_symtab *t, const char *name, size_t len,
	       uint64_t addr, char type)
{
	if (len == 0 || len > KVM_SYM_NAME_MAX)
		return 0; /* not a name anyone can look up: skip */
	char *room = kvm_symtab_room(kd, t, len + 1);
	if (!room)
		return -kd->errcode;
	memcpy(room, name, len);
	return kvm_symtab_push(kd, t, 0, len, addr, type);
}

static int
hash_insert(struct kvm_symtab *t, uint32_t idx)
{
	const char *name = t->pool + t->syms[idx].name;
	uint32_t hv = name_hash(name);
	size_t i = hv & t->hash_mask;

	for (;;) {
		uint32_t e = t->hash[i];
		if (e == 0) {
			t->hash[i] = idx + 1;
			t->hashv[i] = hv;
			return 0;
		}
		/* First added wins: a later duplicate is not inserted. */
		if (t->hashv[i] == hv &&
		    strcmp(t->pool + t->syms[e - 1].name, name) == 0)
			return 0;
		i = (i + 1) & t->hash_mask;
	}
}

static int
hash_build(kvm_t *kd, struct kvm_symtab *t)
{
	if (t->hash && t->hashed == t->n)
		return 0;
	size_t want = 16;
	while (want < t->n * 2)
		want *= 2;
	if (!t->hash || want - 1 != t->hash_mask) {
		uint32_t *h = calloc(want, sizeof(*h));
		uint32_t *hv = malloc(want * sizeof(*hv));
		if (!h || !hv) {
			free(h);
			free(hv);
			return kvm_error(kd, KVM_ENOMEM,
					 "out of memory for the symbol hash");
		}
		free(t->hash);
		free(t->hashv);
		t->hash = h;
		t->hashv = hv;
		t->hash_mask = want - 1;
		t->hashed = 0;
	}
	for (; t->hashed < t->n; t->hashed++)
		hash_insert(t, (uint32_t)t->hashed);
	return 0;
}

const struct kvm_sym *
kvm_symtab_find(kvm_t *kd, struct kvm_symtab *t, const char *name, int *err)
{
	*err = 0;
	if (t->n == 0)
		return NULL;
	/*
	 * A command looks up a few names (ps three, nlist one): a scan of
	 * the table costs a thirtieth of building the hash over 100k names,
	 * so the hash waits for the ninth lookup.  First added wins either
	 * way.
	 */
	if (!t->hash && t->scans < 8) {
		t->scans++;
		const char c0 = name[0];
		for (size_t i = 0; i < t->n; i++) {
			const char *s = t->pool + t->syms[i].name;
			if (s[0] == c0 && strcmp(s, name) == 0)
				return &t->syms[i];
		}
		return NULL;
	}
	*err = hash_build(kd, t);
	if (*err)
		return NULL;
	uint32_t hv = name_hash(name);
	for (size_t i = hv & t->hash_mask;; i = (i + 1) & t->hash_mask) {
		uint32_t e = t->hash[i];
		if (e == 0)
			return NULL;
		if (t->hashv[i] == hv &&
		    strcmp(t->pool + t->syms[e - 1].name, name) == 0)
			return &t->syms[e - 1];
	}
}

/* qsort_r-free ordering: indices compared through a file-local table. */
static int
byaddr_cmp(const void *a, const void *b, void *arg)
{
	const struct kvm_sym *s = arg;
	const struct kvm_sym *x = &s[*(const uint32_t *)a];
	const struct kvm_sym *y = &s[*(const uint32_t *)b];

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	/* Same address: the first added comes first (stable by index). */
	return *(const uint32_t *)a < *(const uint32_t *)b ? -1 : 1;
}

static bool
reverse_lookup_candidate(const struct kvm_sym *s)
{
	/* Absolute symbols (per-CPU offsets, constants) are not places. */
	return s->type != 'A' && s->type != 'a' && s->type != 'U' &&
	       s->type != 'u';
}

static int
order_build(kvm_t *kd, struct kvm_symtab *t)
{
	if (t->by_addr)
		return 0;
	uint32_t *o = malloc((t->n ? t->n : 1) * sizeof(*o));
	if (!o)
		return kvm_error(kd, KVM_ENOMEM,
				 "out of memory for the address index");
	size_t n = 0;
	for (size_t i = 0; i < t->n; i++)
		if (reverse_lookup_candidate(&t->syms[i]))
			o[n++] = (uint32_t)i;
	/*
	 * kallsyms lists its symbols in address order; what comes after it
	 * (VMCOREINFO's, exported ones) does not.  Sort only the tail after
	 * the ordered prefix, then merge (ties: the prefix's lower index
	 * first, as byaddr_cmp orders them).
	 */
	size_t k = 1;
	while (k < n && t->syms[o[k - 1]].addr <= t->syms[o[k]].addr)
		k++;
	if (k < n) {
		qsort_r(o + k, n - k, sizeof(*o), byaddr_cmp, t->syms);
		uint32_t *m = malloc(n * sizeof(*m));
		if (!m) {
			free(o);
			return kvm_error(kd, KVM_ENOMEM,
					 "out of memory for the address index");
		}
		size_t a = 0, b = k, w = 0;
		while (a < k && b < n)
			m[w++] = byaddr_cmp(&o[a], &o[b], t->syms) < 0 ? o[a++]
								       : o[b++];
		while (a < k)
			m[w++] = o[a++];
		while (b < n)
			m[w++] = o[b++];
		free(o);
		o = m;
	}
	t->by_addr = o;
	t->n_by_addr = n;
	return 0;
}

const struct kvm_sym *
kvm_symtab_byaddr(kvm_t *kd, struct kvm_symtab *t, uint64_t addr,
		  uint64_t *size_ret, int *err)
{
	*err = order_build(kd, t);
	if (*err || t->n_by_addr == 0)
		return NULL;
	/* Last symbol with address <= addr. */
	size_t lo = 0, hi = t->n_by_addr;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (t->syms[t->by_addr[mid]].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return NULL;
	size_t k = lo - 1;
	const struct kvm_sym *s = &t->syms[t->by_addr[k]];
	/* Prefer the first name at this address (aliases: _text, _stext). */
	while (k > 0 && t->syms[t->by_addr[k - 1]].addr == s->addr)
		s = &t->syms[t->by_addr[--k]];
	/* Size: distance to the next different address, 0 if last. */
	*size_ret = lo < t->n_by_addr ? t->syms[t->by_addr[lo]].addr - s->addr
				      : 0;
	return s;
}

void
kvm_symtab_truncate(struct kvm_symtab *t, size_t n)
{
	if (n >= t->n)
		return;
	t->pool_len = t->syms[n].name;
	t->n = n;
	/* Both indexes may name the dropped entries: built anew on use. */
	free(t->hash);
	free(t->hashv);
	t->hash = NULL;
	t->hashv = NULL;
	t->hash_mask = 0;
	t->hashed = 0;
	free(t->by_addr);
	t->by_addr = NULL;
	t->n_by_addr = 0;
}

void
kvm_symtab_deinit(struct kvm_symtab *t)
{
	free(t->syms);
	free(t->pool);
	free(t->hash);
	free(t->hashv);
	free(t->by_addr);
	memset(t, 0, sizeof(*t));
}
