// SPDX-License-Identifier: BSD-2-Clause
/*
 * Fuzz target for the VMCOREINFO parser (src/vmcoreinfo.c) and the paths
 * that take its text from a dump: the input is the text of a VMCOREINFO
 * note as a format hands it over (not NUL-terminated; the kernel pads it
 * with NULs, and the text ends at the first).  Input: the text, nothing
 * else.  mkseeds-vmcoreinfo.sh makes the seeds from the real notes of the
 * fixtures (cut, reordered, damaged; never a whole one).
 *
 * Beyond "no crash, no leak, no read past the input", it aborts when the
 * parser disagrees with a plain model of the format written here: KEY=VALUE
 * lines split at '\n' and at the first '=', lines without one (or with the
 * '=' first) skipped, at most KVM_VMCOREINFO_MAX_ENTRIES entries, a later
 * duplicate key winning; SYMBOL() and bare hex values, OFFSET() SIZE()
 * LENGTH() and bare decimal ones strictly digits and within 64 bits,
 * NUMBER() decimal, -decimal down to INT64_MIN or 0x-hex.  Then the same
 * text goes through kvm_set_vmcoreinfo() (the formats' path: the first note
 * wins, the text is kept as it came), kvm_get_vmcoreinfo(), the symbol
 * table (every SYMBOL() is found by kvm_nlist2 and kvm_sym_lookup at the
 * value the parser gives) and kvm_setup_arch() for no, the x86_64 and the
 * arm64 architecture over a target without memory (PAGESIZE taken only
 * when a power of two up to 1 MiB; errors are one line).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvm_private.h"
#include "sym/symtab.h"
#include "vmcoreinfo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* SYMBOL() names checked through the symbol table, per input. */
#define MAX_SYM_CHECKS 64

static void
must(int cond, const char *what)
{
	if (!cond) {
		fprintf(stderr, "fuzz_vmcoreinfo: contract broken: %s\n", what);
		abort();
	}
}

static void
check_msg(const kvm_t *kd, const char *what)
{
	must(kd->errbuf[0] != '\0', what);
	must(strchr(kd->errbuf, '\n') == NULL, "a multi-line message");
}

/* The model: one KEY=VALUE line of the text, in text order. */
struct ref {
	const char *key, *value; /* NUL-terminated copies */
	size_t order;
};

static int
ref_cmp(const void *a, const void *b)
{
	const struct ref *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	if (c)
		return c;
	return x->order < y->order ? -1 : x->order > y->order;
}

/* Keys only: sorted[] is in key order, whatever the text order. */
static int
key_cmp(const void *a, const void *b)
{
	return strcmp(((const struct ref *)a)->key,
		      ((const struct ref *)b)->key);
}

/* Strict unsigned: [0x]digits in base 16, digits in base 10, no overflow. */
static bool
ref_u64(const char *s, int base, uint64_t *ret)
{
	uint64_t v = 0;

	if (base == 16 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	if (!*s)
		return false;
	for (; *s; s++) {
		unsigned d;
		if (*s >= '0' && *s <= '9')
			d = (unsigned)(*s - '0');
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = (unsigned)(*s - 'a' + 10);
		else if (base == 16 && *s >= 'A' && *s <= 'F')
			d = (unsigned)(*s - 'A' + 10);
		else
			return false;
		if (v > (UINT64_MAX - d) / (unsigned)base)
			return false;
		v = v * (unsigned)base + d;
	}
	*ret = v;
	return true;
}

static bool
ref_number(const char *s, int64_t *ret)
{
	uint64_t u;

	if (s[0] == '-') {
		if (!ref_u64(s + 1, 10, &u) || u > (uint64_t)INT64_MAX + 1)
			return false;
		*ret = (int64_t)(0 - u);
		return true;
	}
	bool hex = s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
	if (!ref_u64(s, hex ? 16 : 10, &u))
		return false;
	*ret = (int64_t)u;
	return true;
}

/* "KIND(name)": name into buf (cap bytes), or false. */
static bool
kind_name(const char *key, const char *kind, char *buf, size_t cap)
{
	size_t kl = strlen(kind), n = strlen(key);

	if (n < kl + 2 || strncmp(key, kind, kl) != 0 || key[kl] != '(' ||
	    key[n - 1] != ')' || n - kl - 2 >= cap)
		return false;
	memcpy(buf, key + kl + 1, n - kl - 2);
	buf[n - kl - 2] = '\0';
	return true;
}

/* The typed getters agree with the model on key, whose value is val. */
static void
check_typed(const struct kvm_vmcoreinfo *v, const char *key, const char *val)
{
	static const char *const kinds[] = { "SYMBOL", "NUMBER", "OFFSET",
					     "SIZE", "LENGTH" };
	char name[512];
	uint64_t u = 0, r;
	int64_t n = 0, rn;
	bool ok;

	ok = kvm_vmcoreinfo_hex(v, key, &u);
	must(ok == ref_u64(val, 16, &r) && (!ok || u == r), "hex value");
	ok = kvm_vmcoreinfo_dec(v, key, &u);
	must(ok == ref_u64(val, 10, &r) && (!ok || u == r), "decimal value");
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		if (!kind_name(key, kinds[k], name, sizeof(name)))
			continue;
		/* The getters build "KIND(name)" in 256 bytes. */
		bool fits = strlen(key) < 256;
		switch (k) {
		case 0:
			ok = kvm_vmcoreinfo_symbol(v, name, &u);
			must(ok == (fits && ref_u64(val, 16, &r)) &&
				     (!ok || u == r),
			     "SYMBOL() value");
			break;
		case 1:
			ok = kvm_vmcoreinfo_number(v, name, &n);
			must(ok == (fits && ref_number(val, &rn)) &&
				     (!ok || n == rn),
			     "NUMBER() value");
			break;
		default:
			ok = k == 2   ? kvm_vmcoreinfo_offset(v, name, &u)
			     : k == 3 ? kvm_vmcoreinfo_size(v, name, &u)
				      : kvm_vmcoreinfo_length(v, name, &u);
			must(ok == (fits && ref_u64(val, 10, &r)) &&
				     (!ok || u == r),
			     "OFFSET()/SIZE()/LENGTH() value");
			break;
		}
	}
}

/*
 * Parse into the model: the lines of text[0, len) (len already cut at
 * the first NUL), split in copy (len + 1 bytes).  Returns the entries.
 */
static size_t
model(const uint8_t *text, size_t len, char *copy, struct ref *refs)
{
	size_t n = 0;

	memcpy(copy, text, len);
	copy[len] = '\0';
	for (size_t i = 0; i < len && n < KVM_VMCOREINFO_MAX_ENTRIES;) {
		size_t e = i;
		while (e < len && copy[e] != '\n')
			e++;
		copy[e] = '\0';
		char *eq = memchr(copy + i, '=', e - i);
		if (eq && eq != copy + i) {
			*eq = '\0';
			refs[n].key = copy + i;
			refs[n].value = eq + 1;
			refs[n].order = n;
			n++;
		}
		i = e + 1;
	}
	return n;
}

static kvm_t *
new_kd(uint16_t machine)
{
	kvm_t *kd = calloc(1, sizeof(*kd));

	if (!kd)
		return NULL;
	kd->core.fd = -1;
	kd->devmem_fd = -1;
	kd->e_machine = machine;
	return kd;
}

static void
free_kd(kvm_t *kd)
{
	kvm_sym_fini(kd);
	if (kd->arch && kd->arch->fini)
		kd->arch->fini(kd);
	kvm_vmcoreinfo_deinit(&kd->vmci);
	free(kd->vmcoreinfo_text);
	free(kd);
}

/* The formats' path: kvm_set_vmcoreinfo, then what reads the result. */
static void
check_handle(const uint8_t *data, size_t size, size_t len,
	     const struct ref *refs, size_t n, uint16_t machine)
{
	kvm_t *kd = new_kd(machine);

	if (!kd)
		return;
	int err = kvm_set_vmcoreinfo(kd, (const char *)data, size);
	if (size > KVM_VMCOREINFO_MAX) {
		must(err == -KVM_ECORRUPT && !kd->vmcoreinfo_text,
		     "an oversized note accepted");
		check_msg(kd, "an oversized note without a message");
		free_kd(kd);
		return;
	}
	if (err) {
		must(err == -KVM_ENOMEM, "kvm_set_vmcoreinfo failed");
		free_kd(kd);
		return;
	}
	/* The text is kept as the note had it, up to its first NUL. */
	must(kd->vmcoreinfo_text && strlen(kd->vmcoreinfo_text) == len &&
		     memcmp(kd->vmcoreinfo_text, data, len) == 0,
	     "kept text differs from the note");
	must(kvm_get_vmcoreinfo(kd) == kd->vmcoreinfo_text,
	     "kvm_get_vmcoreinfo differs");
	must(kd->vmci.nents == n, "the handle's table differs");
	/* A second note does not replace the first. */
	must(kvm_set_vmcoreinfo(kd, "OSRELEASE=x\n", 12) == 0 &&
		     strlen(kd->vmcoreinfo_text) == len,
	     "a second note replaced the first");

	if (machine == 0) {
		/* SYMBOL()s become symbols, at the parser's values. */
		err = kvm_sym_ensure(kd);
		if (err) {
			must(err == -KVM_ENOMEM, "kvm_sym_ensure failed");
			free_kd(kd);
			return;
		}
		char name[512];
		size_t checks = 0;
		for (size_t i = 0; i < n && checks < MAX_SYM_CHECKS; i++) {
			if (!kind_name(refs[i].key, "SYMBOL", name,
				       sizeof(name)) ||
			    !name[0])
				continue;
			checks++;
			uint64_t want, got = 0;
			bool have = kvm_vmcoreinfo_symbol(&kd->vmci, name,
							  &want);
			struct kvm_nlist nl[2] = { { .n_name = name }, { 0 } };
			int missing = kvm_nlist2(kd, nl);
			int e = kvm_sym_lookup(kd, name, &got);
			/* A leading '_' may be dropped to find a name. */
			if (have) {
				must(missing == 0 && nl[0].n_value == want,
				     "kvm_nlist2 differs from SYMBOL()");
				must(e == 0 && got == want,
				     "kvm_sym_lookup differs from SYMBOL()");
			} else if (name[0] != '_') {
				must(missing == 1 && nl[0].n_value == 0,
				     "kvm_nlist2 found a malformed SYMBOL()");
				must(e == -KVM_ENOENT, "kvm_sym_lookup found a "
						       "malformed SYMBOL()");
				check_msg(kd, "a missing symbol without a "
					      "message");
			}
			kvm_error_clear(kd);
		}
	}

	err = kvm_setup_arch(kd);
	must(err == 0, "kvm_setup_arch failed");
	must(kd->errbuf[0] == '\0', "kvm_setup_arch left an error");
	uint32_t ps = kd->page_size;
	must(ps == 0 || ((ps & (ps - 1)) == 0 && ps <= (1u << 20)),
	     "page size not a power of two up to 1 MiB");
	if (kd->arch && !kd->xlat.ready) {
		must(kd->xlat_reason[0] != '\0',
		     "translation failed without a reason");
		must(strchr(kd->xlat_reason, '\n') == NULL,
		     "a multi-line translation failure");
	}
	free_kd(kd);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kvm_vmcoreinfo v;
	int err = kvm_vmcoreinfo_parse(&v, (const char *)data, size);

	if (size > KVM_VMCOREINFO_MAX) {
		must(err == -KVM_ECORRUPT && !v.buf && !v.ents && !v.nents,
		     "an oversized note parsed");
		check_handle(data, size, 0, NULL, 0, 0);
		return 0;
	}
	if (err) {
		must(err == -KVM_ENOMEM, "parse failed");
		return 0;
	}
	const uint8_t *nul = memchr(data, '\0', size);
	size_t len = nul ? (size_t)(nul - data) : size;
	char *copy = malloc(len + 1);
	size_t cap = 1;
	for (size_t i = 0; i < len; i++)
		cap += data[i] == '\n';
	struct ref *refs = calloc(cap, sizeof(*refs));
	struct ref *sorted = calloc(cap, sizeof(*sorted));
	if (!copy || !refs || !sorted)
		goto out;
	size_t n = model(data, len, copy, refs);

	/* The table holds the model's entries, sorted, text order kept. */
	must(v.nents == n, "a different number of entries");
	memcpy(sorted, refs, n * sizeof(*refs));
	qsort(sorted, n, sizeof(*sorted), ref_cmp);
	for (size_t i = 0; i < n; i++) {
		const char *k = v.ents[i].key, *val = v.ents[i].value;
		must(k >= v.buf && k < v.buf + len + 1 && val >= v.buf &&
			     val <= v.buf + len,
		     "an entry outside the parser's copy");
		must(strcmp(k, sorted[i].key) == 0 &&
			     strcmp(val, sorted[i].value) == 0,
		     "an entry differs from the text");
	}
	/*
	 * Lookups: the last of each key in the text wins, and every getter
	 * agrees with the model on its value.
	 */
	for (size_t i = 0; i < n; i++) {
		if (i + 1 < n && strcmp(sorted[i].key, sorted[i + 1].key) == 0)
			continue;
		const char *got = kvm_vmcoreinfo_get(&v, sorted[i].key);
		must(got && strcmp(got, sorted[i].value) == 0,
		     "a lookup does not give the last value");
		check_typed(&v, sorted[i].key, sorted[i].value);
	}
	/* Keys the text does not have are absent (a key cut short, say). */
	for (size_t i = 0; i < n && i < 16; i++) {
		char probe[64];
		size_t kl = strlen(refs[i].key);
		snprintf(probe, sizeof(probe), "%.*s", (int)(kl ? kl - 1 : 0),
			 refs[i].key);
		const struct ref key = { .key = probe };
		bool present = bsearch(&key, sorted, n, sizeof(*sorted),
				       key_cmp) != NULL;
		if (!present)
			must(kvm_vmcoreinfo_get(&v, probe) == NULL,
			     "a key the text lacks was found");
	}

	check_handle(data, size, len, refs, n, 0);
	check_handle(data, size, len, refs, n, 62);  /* EM_X86_64 */
	check_handle(data, size, len, refs, n, 183); /* EM_AARCH64 */
out:
	free(sorted);
	free(refs);
	free(copy);
	kvm_vmcoreinfo_deinit(&v);
	return 0;
}
