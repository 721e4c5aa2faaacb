// SPDX-License-Identifier: BSD-2-Clause
/*
 * Exported symbols found in the kernel image itself, for kernels whose
 * kallsyms holds no data symbols (CONFIG_KALLSYMS_ALL off, as on Debian's
 * arm64 kernel) when no -N file is given: init_task, avenrun, jiffies and
 * every other EXPORT_SYMBOL()ed name sit in __ksymtab / __ksymtab_gpl
 * (include/linux/export.h), an array sorted by name of
 *
 *   struct kernel_symbol { int value_offset; int name_offset;
 *                          int namespace_offset; }
 *
 * with place-relative offsets on arches with
 * CONFIG_HAVE_ARCH_PREL32_RELOCATIONS (arm64, x86_64 since 4.19,
 * 7290d5809571; namespace_offset since 5.4), else
 *
 *   struct kernel_symbol { unsigned long value; const char *name;
 *                          [const char *namespace;] }
 *
 * The table is found from one name: its string ("\0name\0", in
 * __ksymtab_strings) is located by a scan of the image, then the entry
 * that points at it; from there the table is read both ways while the
 * entries stay well-formed and sorted.
 */
#include <stdlib.h>
#include <string.h>

#include "symtab.h"

/* The image is < 128 MiB; ksymtab tables hold < 64k entries each. */
#define KSYM_SCAN_MAX (128u << 20)
#define KSYM_CHUNK (1u << 20)
#define KSYM_PAD 256
#define KSYM_MAX_CANDS 32
#define KSYM_MAX_ENTRIES (1u << 16)
#define KSYM_NAME_MAX 128
/* Scans per handle for names that are not exported: each reads the image. */
#define KSYM_MAX_SCANS 4
/*
 * A real table holds thousands of entries; a run this short around a
 * candidate is a chance match (an int that happens to point at a string
 * such as a sysfs attribute's name), not the exports.
 */
#define KSYM_MIN_RUN 16
/* Exported by every kernel, and its string is the export's alone. */
#define ANCHOR "init_task"

struct ksym_scan {
	uint64_t start, end; /* the kernel image, as far as it reads */
	uint64_t hint;	     /* chunk where the wanted bytes likely are */
	bool down;	     /* from hint downwards first, else upwards */
	uint8_t *buf;	     /* KSYM_PAD + KSYM_CHUNK + KSYM_PAD bytes */
};

/*
 * Read the chunk at va with KSYM_PAD bytes of context either side into
 * s->buf (buf[KSYM_PAD] is va).  Returns the bytes valid from buf[0], 0 if
 * the chunk itself could not be read.
 */
static size_t
chunk_read(kvm_t *kd, struct ksym_scan *s, uint64_t va)
{
	size_t done = 0;

	memset(s->buf, 0, KSYM_PAD);
	if (va - KSYM_PAD >= s->start &&
	    kvm_virt_read_image(kd, va - KSYM_PAD, s->buf, KSYM_PAD, &done) !=
		    0)
		memset(s->buf, 0, KSYM_PAD);
	kvm_virt_read_image(kd, va, s->buf + KSYM_PAD, KSYM_CHUNK + KSYM_PAD,
			    &done);
	kvm_error_clear(kd);
	return done ? KSYM_PAD + done : 0;
}

/*
 * The k-th chunk of a scan: every chunk once, the likely ones first (from
 * the hint on, then the rest), so that a good hint saves most of the image.
 */
static bool
chunk_at(const struct ksym_scan *s, uint64_t k, uint64_t *va_ret)
{
	uint64_t n = (s->end - s->start) / KSYM_CHUNK;
	uint64_t h = (s->hint - s->start) / KSYM_CHUNK;

	if (k >= n)
		return false;
	if (s->down)
		*va_ret = s->start + (k <= h ? h - k : k) * KSYM_CHUNK;
	else
		*va_ret = s->start + ((h + k) % n) * KSYM_CHUNK;
	return true;
}

/* Addresses of "name" strings, each preceded and followed by a NUL. */
static size_t
find_strings(kvm_t *kd, struct ksym_scan *s, const char *name, uint64_t *cands)
{
	size_t nl = strlen(name), nc = 0;
	char needle[KSYM_NAME_MAX + 2];

	needle[0] = '\0';
	memcpy(needle + 1, name, nl);
	needle[nl + 1] = '\0';
	uint64_t va;
	/* A first match ends the scan: the entry search checks it. */
	for (uint64_t k = 0; nc == 0 && chunk_at(s, k, &va); k++) {
		size_t n = chunk_read(kd, s, va);
		if (n <= KSYM_PAD)
			continue;
		/* Matches whose name starts in this chunk proper. */
		const uint8_t *p = s->buf + KSYM_PAD - 1;
		const uint8_t *end = s->buf + n;
		while (nc < KSYM_MAX_CANDS && p + nl + 2 <= end) {
			const uint8_t *m = memmem(p, end - p, needle, nl + 2);
			if (!m || m + 1 >= s->buf + KSYM_PAD + KSYM_CHUNK)
				break;
			cands[nc++] = va + (m + 1 - (s->buf + KSYM_PAD));
			p = m + 1;
		}
	}
	return nc;
}

static int64_t
s32_at(const kvm_t *kd, const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return (int32_t)kvm_tgt32(kd, v);
}

static uint64_t
ptr_at(const kvm_t *kd, const uint8_t *p)
{
	uint64_t v;

	if (kd->ptr_size == 4) {
		uint32_t w;
		memcpy(&w, p, 4);
		return kvm_tgt32(kd, w);
	}
	memcpy(&v, p, 8);
	return kvm_tgt64(kd, v);
}

/* Entry layouts: place-relative ints, or absolute pointers. */
enum ksym_layout { KSYM_PREL32, KSYM_ABS };

/*
 * The address of an entry whose name points at one of cands, and its
 * layout; 0 if none.
 */
static uint64_t
find_entry(kvm_t *kd, struct ksym_scan *s, const uint64_t *cands, size_t nc,
	   enum ksym_layout *layout_ret)
{
	const int ps = kd->ptr_size == 4 ? 4 : 8;

	uint64_t va;
	for (uint64_t k = 0; chunk_at(s, k, &va); k++) {
		size_t n = chunk_read(kd, s, va);
		if (n <= KSYM_PAD)
			continue;
		size_t lim = KVM_MIN(n, (size_t)KSYM_PAD + KSYM_CHUNK);
		for (size_t i = KSYM_PAD; i + 8 <= lim; i += 4) {
			uint64_t here = va + (i - KSYM_PAD);
			int64_t off = s32_at(kd, s->buf + i);
			uint64_t abs = (i % ps == 0 && i + ps <= n)
					       ? ptr_at(kd, s->buf + i)
					       : 0;
			for (size_t c = 0; c < nc; c++) {
				/* name_offset is the entry's second int. */
				if (here + (uint64_t)off == cands[c]) {
					*layout_ret = KSYM_PREL32;
					return here - 4;
				}
				if (abs == cands[c]) {
					*layout_ret = KSYM_ABS;
					return here - ps;
				}
			}
		}
	}
	return 0;
}

struct ksym_table {
	enum ksym_layout layout;
	int esize; /* 8 or 12 (PREL32 with namespace), 2 or 3 pointers */
};

/*
 * Decode the entry at va: its value and name (NUL-terminated, an
 * identifier within the image).  False when it is not a well-formed one.
 */
static bool
entry_decode(kvm_t *kd, const struct ksym_scan *s, const struct ksym_table *t,
	     uint64_t va, uint64_t *value_ret, char *name)
{
	uint8_t e[24];
	size_t done;
	const int ps = kd->ptr_size == 4 ? 4 : 8;
	uint64_t nameva;

	if (va < s->start || va >= s->end ||
	    kvm_virt_read_image(kd, va, e,
				t->layout == KSYM_PREL32 ? 8 : 2 * ps, &done)) {
		kvm_error_clear(kd);
		return false;
	}
	if (t->layout == KSYM_PREL32) {
		*value_ret = va + (uint64_t)s32_at(kd, e);
		nameva = va + 4 + (uint64_t)s32_at(kd, e + 4);
	} else {
		*value_ret = ptr_at(kd, e);
		nameva = ptr_at(kd, e + ps);
	}
	/* Exported functions and variables (per-CPU ones too) are the image's. */
	if (nameva < s->start || nameva >= s->end || *value_ret < s->start ||
	    *value_ret >= s->end)
		return false;
	done = 0;
	kvm_virt_read_image(kd, nameva, name, KSYM_NAME_MAX, &done);
	kvm_error_clear(kd);
	void *nul = memchr(name, '\0', done);
	if (!nul || nul == name)
		return false;
	for (const char *p = name; *p; p++)
		if (!(*p == '_' || *p == '.' || (*p >= '0' && *p <= '9') ||
		      (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
			return false;
	return true;
}

/*
 * The entry size: with namespaces (5.4+) PREL32 entries are 12 bytes, and
 * absolute ones 3 pointers.  The neighbour that decodes and sorts right
 * tells which.
 */
static void
table_shape(kvm_t *kd, const struct ksym_scan *s, uint64_t entry,
	    struct ksym_table *t)
{
	const int ps = kd->ptr_size == 4 ? 4 : 8;
	int sizes[2];
	char a[KSYM_NAME_MAX], b[KSYM_NAME_MAX];
	uint64_t v;

	if (t->layout == KSYM_PREL32)
		sizes[0] = 12, sizes[1] = 8;
	else
		sizes[0] = 3 * ps, sizes[1] = 2 * ps;
	t->esize = sizes[0];
	if (!entry_decode(kd, s, t, entry, &v, a))
		return;
	for (int i = 0; i < 2; i++) {
		t->esize = sizes[i];
		if (entry_decode(kd, s, t, entry + sizes[i], &v, b) &&
		    strcmp(a, b) < 0)
			return;
		if (entry_decode(kd, s, t, entry - sizes[i], &v, b) &&
		    strcmp(b, a) < 0)
			return;
	}
	t->esize = sizes[0];
}

/*
 * Add the sorted run of entries around entry to the symbol table; *end_ret
 * (may be NULL) gets the address just past its last entry, *first_ret
 * that of its first.
 */
static int
table_add(kvm_t *kd, struct kvm_symtab *tab, const struct ksym_scan *s,
	  const struct ksym_table *t, uint64_t entry, size_t *added_ret,
	  uint64_t *first_ret, uint64_t *end_ret)
{
	char prev[KSYM_NAME_MAX], name[KSYM_NAME_MAX];
	uint64_t first = entry, v;
	size_t n = 0;
	int err;

	/* Back to the first entry of the sorted run. */
	if (!entry_decode(kd, s, t, entry, &v, prev))
		return 0;
	for (size_t i = 0; i < KSYM_MAX_ENTRIES; i++) {
		if (!entry_decode(kd, s, t, first - t->esize, &v, name) ||
		    strcmp(name, prev) >= 0)
			break;
		first -= t->esize;
		memcpy(prev, name, sizeof(prev));
	}
	/* The run must be a table's: long enough, before anything is added. */
	prev[0] = '\0';
	size_t run = 0;
	for (uint64_t va = first; run < KSYM_MIN_RUN; va += t->esize) {
		if (!entry_decode(kd, s, t, va, &v, name) ||
		    strcmp(name, prev) <= 0)
			break;
		memcpy(prev, name, sizeof(prev));
		run++;
	}
	if (run < KSYM_MIN_RUN)
		return 0;
	prev[0] = '\0';
	if (first_ret)
		*first_ret = first;
	uint64_t va;
	for (va = first; n < 2 * KSYM_MAX_ENTRIES; va += t->esize) {
		if (!entry_decode(kd, s, t, va, &v, name) ||
		    strcmp(name, prev) <= 0)
			break;
		memcpy(prev, name, sizeof(prev));
		n++;
		int ferr;
		if (kvm_symtab_find(kd, tab, name, &ferr))
			continue; /* kallsyms has it already */
		if (ferr)
			return ferr;
		/* kallsyms has every text symbol: what it lacks is data. */
		if ((err = kvm_symtab_add(kd, tab, name, strlen(name), v, 'D')))
			return err;
	}
	*added_ret = n;
	if (end_ret)
		*end_ret = va;
	return 0;
}

int
kvm_sym_load_ksymtab(kvm_t *kd, struct kvm_symtab *tab, const char *name,
		     int *scans)
{
	struct ksym_scan s = { 0 };
	uint64_t cands[KSYM_MAX_CANDS];
	int err = -KVM_ENOENT;

	if (strlen(name) >= KSYM_NAME_MAX || *scans >= KSYM_MAX_SCANS)
		return -KVM_ENOENT;
	/*
	 * The first time, find the tables through init_task, whose string
	 * stands alone in the image: a name such as "jiffies" also names
	 * other things (a sysctl, a clocksource) whose string may come
	 * first.  Both tables read, name is there or not exported.
	 */
	if (*scans == 0 && strcmp(name, ANCHOR) != 0) {
		int ferr;
		if (kvm_sym_load_ksymtab(kd, tab, ANCHOR, scans) == 0 &&
		    (kvm_symtab_find(kd, tab, name, &ferr) ||
		     *scans >= KSYM_MAX_SCANS))
			return kvm_symtab_find(kd, tab, name, &ferr)
				       ? 0
				       : -KVM_ENOENT;
		kvm_error_clear(kd);
		if (*scans >= KSYM_MAX_SCANS)
			return -KVM_ENOENT;
	}
	(*scans)++;
	/* The image starts at _stext (VMCOREINFO names it, 4.? and later). */
	const struct kvm_sym *st = kvm_symtab_find(kd, tab, "_stext", &err);
	if (!st)
		return err ? err : -KVM_ENOENT;
	s.start = st->addr & ~(uint64_t)(KSYM_CHUNK - 1);
	s.end = s.start + KSYM_SCAN_MAX < s.start ? UINT64_MAX
						  : s.start + KSYM_SCAN_MAX;
	if (!(s.buf = malloc(KSYM_CHUNK + 2 * KSYM_PAD)))
		return kvm_error(kd, KVM_ENOMEM, "out of memory");
	err = -KVM_ENOENT;
	/*
	 * include/asm-generic/vmlinux.lds.h puts __ksymtab* and then
	 * __ksymtab_strings after .rodata, which holds the kallsyms tables:
	 * look for the string from there on, and for its entry below it.
	 */
	const struct kvm_sym *ks =
		kvm_symtab_find(kd, tab, "kallsyms_names", &err);
	s.hint = ks && ks->addr >= s.start && ks->addr < s.end
			 ? ks->addr & ~(uint64_t)(KSYM_CHUNK - 1)
			 : s.start;
	s.down = false;
	err = -KVM_ENOENT;
	size_t nc = find_strings(kd, &s, name, cands);
	enum ksym_layout layout;
	uint64_t entry = 0;
	if (nc) {
		s.hint = cands[0] & ~(uint64_t)(KSYM_CHUNK - 1);
		s.down = true;
		entry = find_entry(kd, &s, cands, nc, &layout);
	}
	if (entry) {
		struct ksym_table t = { .layout = layout };
		size_t added = 0;
		uint64_t first = 0, end = 0;
		table_shape(kd, &s, entry, &t);
		err = table_add(kd, tab, &s, &t, entry, &added, &first, &end);
		if (!err && added == 0)
			err = -KVM_ENOENT;
		/*
		 * __ksymtab and __ksymtab_gpl lie side by side (vmlinux.lds.h):
		 * the run after this one and the one before are the other
		 * table.  With both read, a name neither holds is not
		 * exported, and no later lookup scans the image again.
		 */
		if (!err) {
			size_t more = 0;
			if (table_add(kd, tab, &s, &t, end, &more, NULL,
				      NULL) == 0 &&
			    more == 0 && first >= s.start + t.esize)
				table_add(kd, tab, &s, &t, first - t.esize,
					  &more, NULL, NULL);
			if (more)
				*scans = KSYM_MAX_SCANS;
		}
	}
	free(s.buf);
	if (!err) {
		/* New symbols: the address index is built anew on demand. */
		free(tab->by_addr);
		tab->by_addr = NULL;
		tab->n_by_addr = 0;
	}
	return err;
}
