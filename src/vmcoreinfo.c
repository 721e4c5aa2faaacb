// SPDX-License-Identifier: BSD-2-Clause
/*
 * VMCOREINFO text -> sorted (key, value) table.  The text comes from the
 * dump, so sizes are capped and numbers are parsed strictly: a value with
 * trailing garbage is treated as absent rather than half-read.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvm_private.h"
#include "vmcoreinfo.h"

static int
vmci_cmp(const void *a, const void *b)
{
	const struct kvm_vmci_entry *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	if (c)
		return c;
	/* Equal keys keep text order so that the later one can win. */
	return x->value < y->value ? -1 : x->value > y->value;
}

int
kvm_vmcoreinfo_parse(struct kvm_vmcoreinfo *v, const char *text, size_t len)
{
	memset(v, 0, sizeof(*v));
	if (len > KVM_VMCOREINFO_MAX)
		return -KVM_ECORRUPT;
	/* The kernel pads the note with NULs: stop at the first one. */
	const char *nul = memchr(text, '\0', len);
	if (nul)
		len = nul - text;
	v->buf = malloc(len + 1);
	if (!v->buf)
		return -KVM_ENOMEM;
	memcpy(v->buf, text, len);
	v->buf[len] = '\0';

	size_t cap = 0;
	for (size_t i = 0; i < len; i++)
		cap += v->buf[i] == '\n';
	cap++;
	if (cap > KVM_VMCOREINFO_MAX_ENTRIES)
		cap = KVM_VMCOREINFO_MAX_ENTRIES;
	v->ents = calloc(cap, sizeof(*v->ents));
	if (!v->ents) {
		kvm_vmcoreinfo_deinit(v);
		return -KVM_ENOMEM;
	}
	char *line = v->buf;
	while (line && *line && v->nents < cap) {
		char *next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		char *eq = strchr(line, '=');
		if (eq && eq != line) {
			*eq = '\0';
			v->ents[v->nents].key = line;
			v->ents[v->nents].value = eq + 1;
			v->nents++;
		}
		line = next;
	}
	qsort(v->ents, v->nents, sizeof(*v->ents), vmci_cmp);
	return 0;
}

void
kvm_vmcoreinfo_deinit(struct kvm_vmcoreinfo *v)
{
	free(v->ents);
	free(v->buf);
	memset(v, 0, sizeof(*v));
}

const char *
kvm_vmcoreinfo_get(const struct kvm_vmcoreinfo *v, const char *key)
{
	size_t lo = 0, hi = v->nents;
	const char *found = NULL;

	/* Find the last entry with this key (later duplicates win). */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(v->ents[mid].key, key);
		if (c <= 0) {
			if (c == 0)
				found = v->ents[mid].value;
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	return found;
}

/*
 * Strict unsigned parse: base 16 (an optional 0x prefix) or 10.  strtoull
 * alone would skip white space, take a sign, and read 010 as octal under
 * base 0; none of that is in the kernel's output.
 */
static bool
parse_u64(const char *s, int base, uint64_t *ret)
{
	char *end;

	if (!s)
		return false;
	if (base == 16 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	/* Digits only: strtoull would take a sign, blanks or a second 0x. */
	if (!*s || strspn(s, base == 16 ? "0123456789abcdefABCDEF"
					: "0123456789") != strlen(s))
		return false;
	errno = 0;
	unsigned long long x = strtoull(s, &end, base);
	if (errno || *end != '\0')
		return false;
	*ret = x;
	return true;
}

static const char *
get_fmt(const struct kvm_vmcoreinfo *v, const char *kind, const char *name)
{
	char key[256];
	int n = snprintf(key, sizeof(key), "%s(%s)", kind, name);

	if (n < 0 || (size_t)n >= sizeof(key))
		return NULL;
	return kvm_vmcoreinfo_get(v, key);
}

bool
kvm_vmcoreinfo_symbol(const struct kvm_vmcoreinfo *v, const char *name,
		      uint64_t *ret)
{
	return parse_u64(get_fmt(v, "SYMBOL", name), 16, ret);
}

bool
kvm_vmcoreinfo_number(const struct kvm_vmcoreinfo *v, const char *name,
		      int64_t *ret)
{
	const char *s = get_fmt(v, "NUMBER", name);
	uint64_t u;

	if (!s)
		return false;
	if (s[0] == '-') {
		/* Negative values are decimal (kernel prints with %ld). */
		if (!parse_u64(s + 1, 10, &u) || u > (uint64_t)INT64_MAX + 1)
			return false;
		*ret = (int64_t)(0 - u);
		return true;
	}
	/* arm64 prints some NUMBER()s in hex with 0x; the rest are %ld. */
	bool hex = s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
	if (!parse_u64(s, hex ? 16 : 10, &u))
		return false;
	*ret = (int64_t)u;
	return true;
}

bool
kvm_vmcoreinfo_offset(const struct kvm_vmcoreinfo *v, const char *name,
		      uint64_t *ret)
{
	return parse_u64(get_fmt(v, "OFFSET", name), 10, ret);
}

bool
kvm_vmcoreinfo_size(const struct kvm_vmcoreinfo *v, const char *name,
		    uint64_t *ret)
{
	return parse_u64(get_fmt(v, "SIZE", name), 10, ret);
}

bool
kvm_vmcoreinfo_length(const struct kvm_vmcoreinfo *v, const char *name,
		      uint64_t *ret)
{
	return parse_u64(get_fmt(v, "LENGTH", name), 10, ret);
}

bool
kvm_vmcoreinfo_hex(const struct kvm_vmcoreinfo *v, const char *key,
		   uint64_t *ret)
{
	return parse_u64(kvm_vmcoreinfo_get(v, key), 16, ret);
}

bool
kvm_vmcoreinfo_dec(const struct kvm_vmcoreinfo *v, const char *key,
		   uint64_t *ret)
{
	return parse_u64(kvm_vmcoreinfo_get(v, key), 10, ret);
}
