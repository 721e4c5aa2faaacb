// SPDX-License-Identifier: BSD-2-Clause
/*
 * kvm_nlist/kvm_nlist2 and reverse lookup.  Symbols load once, on first
 * use, from what the caller gave (DESIGN §4): the exec file (vmlinux ELF,
 * System.map or kallsyms text, told apart by content), else the kallsyms
 * tables in the target's memory; VMCOREINFO's SYMBOL() entries always join
 * last (a name already known keeps its first address).
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "symtab.h"

/* Text symbol files larger than this are not symbol files. */
#define SYMFILE_MAX (512u << 20)

static int
read_whole(kvm_t *kd, int fd, const char *path, char **buf_ret, size_t *len_ret)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return kvm_error_sys(kd, "%s", path);
	if (!S_ISREG(st.st_mode) || st.st_size > SYMFILE_MAX)
		return kvm_error(kd, KVM_EINVAL,
				 "%s: not a symbol file (not a regular file "
				 "of at most %u MiB)",
				 path, SYMFILE_MAX >> 20);
	char *buf = malloc(st.st_size + 1);
	if (!buf)
		return kvm_error(kd, KVM_ENOMEM, "out of memory for %s", path);
	size_t len = 0;
	while (len < (size_t)st.st_size) {
		ssize_t n = pread(fd, buf + len, st.st_size - len, len);
		if (n < 0) {
			free(buf);
			return kvm_error_sys(kd, "%s", path);
		}
		if (n == 0)
			break;
		len += n;
	}
	buf[len] = '\0';
	*buf_ret = buf;
	*len_ret = len;
	return 0;
}

/*
 * FNV-1a of the name and whether it is text: the two tables compared as
 * (hash, address) pairs.  Text and data are told apart because a data
 * symbol may share its name with a function (arm64's kallsyms has the
 * function only).
 */
static uint64_t
name_hash64(const char *s, char type)
{
	uint64_t h = (type | 0x20) == 't' ? 0x84222325cbf29ce4ULL
					  : 0xcbf29ce484222325ULL;

	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 0x100000001b3ULL;
	return h;
}

struct name_addr {
	uint64_t hash, addr;
};

static int
name_addr_cmp(const void *a, const void *b)
{
	const struct name_addr *x = a, *y = b;

	if (x->hash != y->hash)
		return x->hash < y->hash ? -1 : 1;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/*
 * The dump's own kallsyms, as sorted (name, address) pairs, for the
 * strictest test a symbol file can pass: every symbol it shares with them
 * sits at the same address (two builds of one kernel version differ in a
 * few hundred of ~90,000 symbols, __stop_BTF among them: a sample would
 * miss them).  Names may repeat (static functions), so a symbol matches
 * when the dump has its name at its address.
 */
struct mem_syms {
	struct kvm_symtab tab;
	struct name_addr *pairs;
	uint64_t lo, hi; /* the image the tables cover */
};

/* 0, or -KVM_ENOENT when the dump has no kallsyms tables to compare. */
static int
mem_syms_load(kvm_t *kd, struct mem_syms *m)
{
	*m = (struct mem_syms){ .lo = UINT64_MAX };
	int err = kvm_sym_load_kallsyms_mem(kd, &m->tab);
	if (err) {
		if (err != -KVM_ENOMEM) {
			kvm_error_clear(kd);
			err = -KVM_ENOENT;
		}
		return err;
	}
	m->pairs = malloc(KVM_MAX(m->tab.n, 1) * sizeof(*m->pairs));
	if (!m->pairs)
		return kvm_error(kd, KVM_ENOMEM, "out of memory");
	for (size_t i = 0; i < m->tab.n; i++) {
		const struct kvm_sym *y = &m->tab.syms[i];
		m->pairs[i] = (struct name_addr){
			name_hash64(kvm_symtab_name(&m->tab, y), y->type),
			y->addr
		};
		if ((y->type | 0x20) != 'a' && y->addr >= 1ULL << 63) {
			m->lo = KVM_MIN(m->lo, y->addr);
			m->hi = KVM_MAX(m->hi, y->addr);
		}
	}
	qsort(m->pairs, m->tab.n, sizeof(*m->pairs), name_addr_cmp);
	return 0;
}

static void
mem_syms_deinit(struct mem_syms *m)
{
	kvm_symtab_deinit(&m->tab);
	free(m->pairs);
}

/* How many of file's symbols, moved by reloc, the dump has, and how many
 * it has elsewhere (the first of them described in example). */
static int
mem_syms_compare(kvm_t *kd, struct mem_syms *m, const struct kvm_symtab *file,
		 int64_t reloc, uint64_t floor, size_t *checked_ret,
		 size_t *bad_ret, char *example, size_t exsz)
{
	size_t checked = 0, bad = 0;

	for (size_t i = 0; i < file->n; i++) {
		const struct kvm_sym *f = &file->syms[i];
		if (f->addr < floor || (f->type | 0x20) == 'a')
			continue;
		const char *name = kvm_symtab_name(file, f);
		uint64_t a = f->addr + reloc;
		if (a < m->lo || a > m->hi)
			continue; /* a module's, or past the tables' end */
		struct name_addr key = { name_hash64(name, f->type), a };
		if (bsearch(&key, m->pairs, m->tab.n, sizeof(*m->pairs),
			    name_addr_cmp)) {
			checked++;
			continue;
		}
		int e;
		const struct kvm_sym *y =
			kvm_symtab_find(kd, &m->tab, name, &e);
		if (e)
			return e;
		if (!y ||
		    ((y->type | 0x20) == 't') != ((f->type | 0x20) == 't'))
			continue; /* not in kallsyms as this kind of symbol */
		checked++;
		if (bad++ == 0)
			snprintf(example, exsz,
				 "%s is at 0x%llx by the file, at 0x%llx in "
				 "the dump's kallsyms",
				 name, (unsigned long long)a,
				 (unsigned long long)y->addr);
	}
	*checked_ret = checked;
	*bad_ret = bad;
	return 0;
}

/* Fewer shared symbols than this prove nothing either way. */
#define CROSS_CHECK_MIN 256

/*
 * Symbol files hold link-time addresses (vmlinux, System.map) or run-time
 * ones (/proc/kallsyms).  Candidates for the displacement: _stext's
 * run-time address (VMCOREINFO) minus the file's, the KASLR offset, and 0.
 * A file is taken only when it is shown to belong to the dump: with one
 * of the displacements its linux_banner reads "Linux version" in the
 * dump's memory, and every symbol it shares with the dump's own kallsyms
 * is where they say.  A file without linux_banner (an arm64 kernel's
 * kallsyms holds text symbols only) has the second test alone, and must
 * share enough symbols to pass it.  Only symbols at or above the file's
 * _text move: below it live per-CPU offsets and absolute values.
 */
static int
add_relocated(kvm_t *kd, struct kvm_symtab *file, bool runtime_hint,
	      const char *path, const char *kind, bool verify)
{
	int err;
	const struct kvm_sym *stext = kvm_symtab_find(kd, file, "_stext", &err);
	const struct kvm_sym *text = kvm_symtab_find(kd, file, "_text", &err);
	const struct kvm_sym *banner =
		kvm_symtab_find(kd, file, "linux_banner", &err);
	int64_t cand[3];
	int ncand = 0;
	uint64_t rt = 0;

	if (kd->vmcoreinfo_text &&
	    !kvm_vmcoreinfo_symbol(&kd->vmci, "_stext", &rt))
		rt = 0;
	if (stext && rt)
		cand[ncand++] = (int64_t)(rt - stext->addr);
	if (runtime_hint)
		cand[ncand++] = 0;
	if (kd->kaslr_known)
		cand[ncand++] = kd->kaslr_offset;
	if (!runtime_hint)
		cand[ncand++] = 0;
	uint64_t floor = text ? text->addr : stext ? stext->addr : 1;
	if (stext && stext->addr < floor)
		floor = stext->addr;

	int64_t reloc = cand[0];
	int found = -1;
	if (banner && kd->arch && kd->xlat.ready) {
		for (int i = 0; i < ncand && found < 0; i++)
			if (kvm_banner_at(kd, banner->addr + cand[i], NULL, 0))
				found = i;
		if (found >= 0)
			reloc = cand[found];
	}
	if (verify && kd->arch && kd->xlat.ready) {
		if (banner && found < 0)
			return kvm_error(kd, KVM_ECORRUPT,
					 "%s: %s does not belong to this dump: "
					 "its linux_banner (0x%llx) does not "
					 "read \"Linux version\" in the dump at "
					 "any KASLR displacement",
					 path, kind,
					 (unsigned long long)banner->addr);
		struct mem_syms m;
		err = mem_syms_load(kd, &m);
		if (err && err != -KVM_ENOENT) {
			mem_syms_deinit(&m);
			return err;
		}
		size_t checked = 0, bad = 0;
		char example[256] = "";
		if (!err) {
			/* Banner-less: the displacement that matches. */
			for (int i = banner ? found : 0;
			     i < (banner ? found + 1 : ncand); i++) {
				err = mem_syms_compare(kd, &m, file, cand[i],
						       floor, &checked, &bad,
						       example,
						       sizeof(example));
				if (err ||
				    (checked >= CROSS_CHECK_MIN && !bad)) {
					reloc = cand[i];
					break;
				}
			}
		} else if (banner) {
			err = 0; /* no tables in memory: the banner stands */
			checked = CROSS_CHECK_MIN;
		}
		mem_syms_deinit(&m);
		if (err)
			return err;
		if (bad)
			return kvm_error(kd, KVM_ECORRUPT,
					 "%s: %s does not belong to this dump: "
					 "%zu of the %zu symbols it shares with "
					 "the dump's own kallsyms are elsewhere "
					 "(%s)",
					 path, kind, bad, checked, example);
		if (checked < CROSS_CHECK_MIN)
			return kvm_error(kd, KVM_ECORRUPT,
					 "%s: %s cannot be shown to belong to "
					 "this dump: it has no linux_banner, and "
					 "only %zu of its symbols are in the "
					 "dump's own kallsyms",
					 path, kind, checked);
	}
	for (size_t i = 0; i < file->n; i++) {
		const struct kvm_sym *s = &file->syms[i];
		uint64_t a = s->addr;
		if (a >= floor && s->type != 'A' && s->type != 'a')
			a += reloc;
		err = kvm_symtab_add(kd, kd->symtab, kvm_symtab_name(file, s),
				     strlen(kvm_symtab_name(file, s)), a,
				     s->type);
		if (err)
			return err;
	}
	return 0;
}

/* The running kernel's symbols, for a live target without -N. */
#define KVM_LIVE_KALLSYMS "/proc/kallsyms"

static int
load_execfile(kvm_t *kd, const char *path)
{
	struct kvm_symtab file = { 0 };
	char *buf = NULL;
	size_t len = 0;
	bool runtime = false;
	int err;

	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return kvm_error_sys(kd, "%s", path);
	uint8_t magic[4] = { 0 };
	ssize_t n = pread(fd, magic, sizeof(magic), 0);
	bool elf = n == 4 && memcmp(magic, "\177ELF", 4) == 0;
	if (elf) {
		err = kvm_sym_parse_elf(kd, &file, path, fd);
	} else if (n == 4 && ((magic[0] == 0x9f && magic[1] == 0xeb) ||
			      (magic[0] == 0xeb && magic[1] == 0x9f))) {
		/* A raw BTF file: types only; symbols come from memory. */
		close(fd);
		return 1;
	} else {
		err = read_whole(kd, fd, path, &buf, &len);
		if (!err)
			err = kvm_sym_parse_text(kd, &file, path, buf, len,
						 &runtime);
		free(buf);
	}
	close(fd);
	if (!err && file.n == 0)
		err = kvm_error(kd, KVM_ENOENT, "%s: no symbols in it", path);
	if (!err) {
		/*
		 * kernel.kptr_restrict (lib/vsprintf.c %pK) shows every
		 * address of /proc/kallsyms as 0 to readers it distrusts.
		 */
		size_t nonzero = 0;
		for (size_t i = 0; i < file.n && !nonzero; i++)
			nonzero += file.syms[i].addr != 0;
		if (!nonzero)
			err = kvm_error(kd, KVM_ENOENT,
					"%s: every address is 0: the kernel "
					"hides them (kernel.kptr_restrict; "
					"read it as root with kptr_restrict 0 "
					"or 1, or give a System.map)",
					path);
	}
	if (!err) {
		/* The running kernel's own /proc/kallsyms needs no proof. */
		bool own = strcmp(path, KVM_LIVE_KALLSYMS) == 0 && kd->live;
		err = add_relocated(kd, &file, runtime, path,
				    elf	      ? "the vmlinux"
				    : runtime ? "the kallsyms file"
					      : "the System.map",
				    !own);
	}
	kvm_symtab_deinit(&file);
	return err;
}

static int
add_vmcoreinfo_symbols(kvm_t *kd)
{
	const struct kvm_vmcoreinfo *v = &kd->vmci;

	for (size_t i = 0; i < v->nents; i++) {
		const char *k = v->ents[i].key;
		size_t kl = strlen(k);
		uint64_t addr;
		if (kl < 9 || strncmp(k, "SYMBOL(", 7) != 0 || k[kl - 1] != ')')
			continue;
		char name[256];
		if (kl - 8 >= sizeof(name))
			continue;
		memcpy(name, k + 7, kl - 8);
		name[kl - 8] = '\0';
		if (!kvm_vmcoreinfo_symbol(v, name, &addr))
			continue;
		int err =
			kvm_symtab_add(kd, kd->symtab, name, kl - 8, addr, 'D');
		if (err)
			return err;
	}
	return 0;
}

int
kvm_sym_ensure(kvm_t *kd)
{
	if (kd->sym_state == 1)
		return 0;
	if (kd->sym_state < 0)
		return kvm_error(kd, -kd->sym_state, "%s", kd->sym_note);
	if (kd->flags == KVM_NO_FILES)
		return kvm_error(kd, KVM_ENOTSUP,
				 "kvm_open called with KVM_NO_FILES: no symbols");
	kd->symtab = calloc(1, sizeof(*kd->symtab));
	if (!kd->symtab)
		return kvm_error(kd, KVM_ENOMEM, "out of memory");

	int err = 0;
	bool from_memory = true;
	if (!kd->execpath && kd->live) {
		/*
		 * The running kernel: /proc/kallsyms, which has the modules
		 * too.  When kptr_restrict hides its addresses, the tables in
		 * memory (readable to whoever reads /proc/kcore) still answer.
		 */
		err = load_execfile(kd, KVM_LIVE_KALLSYMS);
		if (err == 0) {
			from_memory = false;
		} else {
			memcpy(kd->sym_note, kd->errbuf, sizeof(kd->sym_note));
			kvm_error_clear(kd);
		}
	}
	if (kd->execpath) {
		err = load_execfile(kd, kd->execpath);
		if (err < 0) {
			/* The file the user named is broken: say so, always. */
			memcpy(kd->sym_note, kd->errbuf, sizeof(kd->sym_note));
			kd->sym_state = -kd->errcode;
			return err;
		}
		from_memory = err == 1;
	}
	if (from_memory) {
		err = kvm_sym_load_kallsyms_mem(kd, kd->symtab);
		if (!err) {
			/*
			 * Without CONFIG_KALLSYMS_ALL the tables hold text
			 * symbols only (and a stray data one or two).
			 */
			size_t data = 0;
			for (size_t i = 0; i < kd->symtab->n && data < 16;
			     i++) {
				char c = kd->symtab->syms[i].type;
				data += c == 'D' || c == 'd' || c == 'B' ||
					c == 'b';
			}
			kd->sym_text_only = data < 16;
		}
		if (err == -KVM_ENOMEM) {
			/* Not a missing table: fail, and try again next time. */
			kvm_symtab_deinit(kd->symtab);
			free(kd->symtab);
			kd->symtab = NULL;
			return err;
		}
		if (err && kd->sym_note[0]) {
			/* Both the live file and memory failed: say both. */
			kvm_error_ctx(kd, "%s; and in memory", kd->sym_note);
		}
		if (err) {
			/* Keep what VMCOREINFO names; remember why not more. */
			memcpy(kd->sym_note, kd->errbuf, sizeof(kd->sym_note));
			kvm_error_clear(kd);
		}
	}
	if (kd->vmcoreinfo_text) {
		err = add_vmcoreinfo_symbols(kd);
		if (err)
			return err;
	}
	kd->sym_state = 1;
	kvm_sym_kallsyms_quick_free(kd); /* the table answers from now on */
	return 0;
}

/* a.out n_type for an nm(1) letter (BSD's kvm_nlist reports these). */
static unsigned char
ntype(char c)
{
	unsigned char ext = (c >= 'A' && c <= 'Z') ? KVM_N_EXT : 0;

	switch (c | 0x20) {
	case 't':
	case 'w':
		return KVM_N_TEXT | ext;
	case 'd':
	case 'r':
	case 'v':
	case 'g':
		return KVM_N_DATA | ext;
	case 'b':
	case 's':
		return KVM_N_BSS | ext;
	case 'a':
		return KVM_N_ABS | ext;
	default:
		return KVM_N_DATA | ext;
	}
}

/* One name: resolver, then the table, then without a leading '_'. */
static int
lookup_one(kvm_t *kd, const char *name, kvaddr_t *value, unsigned char *type)
{
	int err;

	if (kd->resolver && kd->resolver(name, value) == 0) {
		*type = KVM_N_DATA | KVM_N_EXT;
		return 0;
	}
	const struct kvm_sym *s = kvm_symtab_find(kd, kd->symtab, name, &err);
	if (!s && !err && name[0] == '_')
		s = kvm_symtab_find(kd, kd->symtab, name + 1, &err);
	/*
	 * Linker-made section bounds (__start_BTF, __end_init_task,
	 * init_stack) are never exported: no image scan for them.
	 */
	if (!s && !err && kd->sym_text_only &&
	    strncmp(name, "__start_", 8) != 0 &&
	    strncmp(name, "__stop_", 7) != 0 &&
	    strncmp(name, "__end_", 6) != 0 &&
	    strcmp(name, "init_stack") != 0) {
		/* kallsyms without data symbols: try the exported ones. */
		err = kvm_sym_load_ksymtab(kd, kd->symtab, name,
					   &kd->ksym_scans);
		if (err == 0)
			s = kvm_symtab_find(kd, kd->symtab, name, &err);
		else if (err == -KVM_ENOENT)
			err = 0;
	}
	if (err)
		return err;
	if (!s)
		return -KVM_ENOENT;
	*value = s->addr;
	*type = ntype(s->type);
	return 0;
}

/*
 * Before the table is loaded, the first names are looked up in the dump's
 * kallsyms in place (kvm_sym_kallsyms_find: a command that needs three
 * names does not decode 100k); past QUICK_LOOKUPS, or for any name not
 * answered that way, the table is loaded.  A resolver or a symbol file
 * is always asked the usual way.
 */
#define QUICK_LOOKUPS 8

static bool
quick_lookup(kvm_t *kd, const char *name, kvaddr_t *value, unsigned char *type)
{
	char c;

	if (kd->sym_state != 0 || kd->resolver || kd->execpath || kd->live ||
	    kd->flags == KVM_NO_FILES || kd->ksq_lookups >= QUICK_LOOKUPS)
		return false;
	kd->ksq_lookups++;
	if (kvm_sym_kallsyms_find(kd, name, value, &c) != 0)
		return false;
	*type = ntype(c);
	return true;
}

static int
nlist_prepare(kvm_t *kd)
{
	int err = kvm_sym_ensure(kd);

	if (err && !kd->resolver) {
		kvm_report(kd);
		return -1;
	}
	return 0;
}

static void
note_missing(kvm_t *kd, const char *name)
{
	if (kd->sym_note[0])
		kvm_error(kd, KVM_ENOENT, "symbol %s not found (%s)", name,
			  kd->sym_note);
	else if (kd->sym_text_only)
		kvm_error(kd, KVM_ENOENT,
			  "symbol %s not found (the dump's kallsyms holds text "
			  "symbols only, and it is not exported: the kernel's "
			  "System.map or vmlinux, as the exec file, has it)",
			  name);
	else
		kvm_error(kd, KVM_ENOENT, "symbol %s not found", name);
}

int
kvm_sym_lookup(kvm_t *kd, const char *name, uint64_t *addr_ret)
{
	unsigned char type;

	if (quick_lookup(kd, name, addr_ret, &type))
		return 0;
	int err = kvm_sym_ensure(kd);

	if (err && !kd->resolver)
		return err;
	err = kd->symtab ? lookup_one(kd, name, addr_ret, &type) : -KVM_ENOENT;
	if (err == -KVM_ENOENT) {
		note_missing(kd, name);
		return -KVM_ENOENT;
	}
	return err;
}

KVM_EXPORT int
kvm_nlist2(kvm_t *kd, struct kvm_nlist *nl)
{
	int missing = 0;

	KVM_CHECK_KD(kd, -1);
	for (struct kvm_nlist *p = nl; p->n_name && p->n_name[0]; p++) {
		if (quick_lookup(kd, p->n_name, &p->n_value, &p->n_type))
			continue;
		if (nlist_prepare(kd))
			return -1;
		int err = kd->symtab ? lookup_one(kd, p->n_name, &p->n_value,
						  &p->n_type)
				     : -KVM_ENOENT;
		if (err == -KVM_ENOENT) {
			p->n_value = 0;
			p->n_type = KVM_N_UNDF;
			note_missing(kd, p->n_name);
			missing++;
		} else if (err) {
			kvm_report(kd);
			return -1;
		}
	}
	return missing;
}

KVM_EXPORT int
kvm_nlist(kvm_t *kd, struct nlist *nl)
{
	int missing = 0;

	KVM_CHECK_KD(kd, -1);
	for (struct nlist *p = nl; p->n_name && p->n_name[0]; p++) {
		kvaddr_t v = 0;
		unsigned char t = 0;
		int err = 0;
		if (!quick_lookup(kd, p->n_name, &v, &t)) {
			if (nlist_prepare(kd))
				return -1;
			err = kd->symtab ? lookup_one(kd, p->n_name, &v, &t)
					 : -KVM_ENOENT;
		}
		if (err == -KVM_ENOENT) {
			p->n_value = 0;
			p->n_type = KVM_N_UNDF;
			note_missing(kd, p->n_name);
			missing++;
		} else if (err) {
			kvm_report(kd);
			return -1;
		} else {
			p->n_value = (long)v;
			p->n_type = t;
		}
	}
	return missing;
}

/* Past the last symbol an address belongs to it only this far. */
#define LAST_SYMBOL_REACH (1u << 20)

KVM_EXPORT int
kvm_sym_byaddr(kvm_t *kd, kvaddr_t addr, struct kvm_symbol *sym_ret,
	       uint64_t *offset_ret)
{
	uint64_t size;
	int err;

	KVM_CHECK_KD(kd, -1);
	if (kvm_sym_ensure(kd)) {
		kvm_report(kd);
		return -1;
	}
	const struct kvm_sym *s =
		kvm_symtab_byaddr(kd, kd->symtab, addr, &size, &err);
	if (err) {
		kvm_report(kd);
		return -1;
	}
	if (!s || (size == 0 && addr - s->addr > LAST_SYMBOL_REACH)) {
		kvm_error(kd, KVM_ENOENT, "no symbol at 0x%llx",
			  (unsigned long long)addr);
		return -1;
	}
	sym_ret->name = kvm_symtab_name(kd->symtab, s);
	sym_ret->value = s->addr;
	sym_ret->size = size;
	sym_ret->type = s->type;
	if (offset_ret)
		*offset_ret = addr - s->addr;
	return 0;
}

int
kvm_sym_at(kvm_t *kd, uint64_t addr, const char **name_ret, uint64_t *start_ret,
	   uint64_t *size_ret)
{
	uint64_t size;
	int err;

	if ((err = kvm_sym_ensure(kd)))
		return err;
	const struct kvm_sym *s =
		kvm_symtab_byaddr(kd, kd->symtab, addr, &size, &err);
	if (err)
		return err;
	if (!s || (size == 0 && addr - s->addr > LAST_SYMBOL_REACH))
		return -KVM_ENOENT;
	/* A pc in data, or far past the last function, is named by none. */
	if (!s->type || !strchr("TtWw", s->type) ||
	    addr - s->addr > (16u << 20))
		return -KVM_ENOENT;
	*name_ret = kvm_symtab_name(kd->symtab, s);
	*start_ret = s->addr;
	*size_ret = size;
	return 0;
}

KVM_EXPORT int
kvm_sym_get(kvm_t *kd, size_t index, struct kvm_symbol *sym_ret)
{
	KVM_CHECK_KD(kd, -1);
	if (kvm_sym_ensure(kd)) {
		kvm_report(kd);
		return -1;
	}
	if (index >= kd->symtab->n) {
		kvm_error(kd, KVM_ENOENT,
			  "symbol index %zu past the last (%zu)", index,
			  kd->symtab->n);
		return -1;
	}
	const struct kvm_sym *s = &kd->symtab->syms[index];
	sym_ret->name = kvm_symtab_name(kd->symtab, s);
	sym_ret->value = s->addr;
	sym_ret->size = 0;
	sym_ret->type = s->type;
	return 0;
}

void
kvm_sym_fini(kvm_t *kd)
{
	kvm_sym_kallsyms_quick_free(kd);
	if (kd->symtab) {
		kvm_symtab_deinit(kd->symtab);
		free(kd->symtab);
		kd->symtab = NULL;
	}
}
