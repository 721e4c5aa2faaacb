// SPDX-License-Identifier: BSD-2-Clause
/*
 * Kernel type layouts without DWARF: BTF (Documentation/bpf/btf.rst, in
 * every distribution kernel since ~5.2 with CONFIG_DEBUG_INFO_BTF) parsed
 * by libbpf.  Sources, first found wins: a file the caller names
 * (kvm_set_btf_file, or an exec file that is raw BTF or an ELF with .BTF),
 * the .BTF section in the target's memory (__start_BTF..__stop_BTF), and
 * VMCOREINFO's OFFSET()/SIZE() entries where there is no BTF at all.
 */
#include <bpf/btf.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../kvm_private.h"

/* vmlinux BTF is ~5 MiB (allyesconfig ~30); refuse what no kernel has. */
#define KVM_BTF_MAX (64u << 20)
/* Nesting of anonymous structs and unions we follow, and dotted depth. */
#define KVM_BTF_MAX_DEPTH 32

/* What struct btf_header says (include/uapi/linux/btf.h). */
#define BTF_MAGIC_LE 0xeB9F

static int
btf_check_header(kvm_t *kd, const uint8_t *p, size_t len, const char *what)
{
	uint16_t magic;
	uint32_t hdr_len, type_off, type_len, str_off, str_len;

	if (len < 24)
		return kvm_error(kd, KVM_ECORRUPT,
				 "%s: %zu bytes are too few for BTF", what,
				 len);
	memcpy(&magic, p, 2);
	if (magic != BTF_MAGIC_LE && magic != 0x9FeB)
		return kvm_error(kd, KVM_ECORRUPT, "%s: no BTF magic (0x%04x)",
				 what, magic);
	bool swap = magic != BTF_MAGIC_LE;
	uint32_t f[5];
	memcpy(f, p + 4, sizeof(f));
	for (int i = 0; i < 5; i++)
		if (swap)
			f[i] = __builtin_bswap32(f[i]);
	hdr_len = f[0], type_off = f[1], type_len = f[2], str_off = f[3],
	str_len = f[4];
	if (hdr_len < 24 || hdr_len > len ||
	    !kvm_range_ok((uint64_t)hdr_len + type_off, type_len, len) ||
	    !kvm_range_ok((uint64_t)hdr_len + str_off, str_len, len))
		return kvm_error(kd, KVM_ECORRUPT,
				 "%s: BTF header sections lie outside its %zu "
				 "bytes",
				 what, len);
	return 0;
}

/*
 * libbpf prints its parse complaints on stderr by default, and a library
 * must not print: its printer is unset around our calls (it is one for
 * the process, hence the lock; the application's comes back after).
 */
static pthread_mutex_t libbpf_print_lock = PTHREAD_MUTEX_INITIALIZER;

static libbpf_print_fn_t
libbpf_quiet(void)
{
	pthread_mutex_lock(&libbpf_print_lock);
	return libbpf_set_print(NULL);
}

static void
libbpf_loud(libbpf_print_fn_t old)
{
	libbpf_set_print(old);
	pthread_mutex_unlock(&libbpf_print_lock);
}

/* Wrap libbpf's NULL + errno convention at the call (STYLE B3). */
static int
btf_from_buf(kvm_t *kd, const void *p, size_t len, const char *what)
{
	int err = btf_check_header(kd, p, len, what);

	if (err)
		return err;
	libbpf_print_fn_t old = libbpf_quiet();
	struct btf *b = btf__new(p, len);
	int e = errno;
	libbpf_loud(old);
	if (!b) {
		char msg[128];
		libbpf_strerror(e, msg, sizeof(msg));
		return kvm_error(kd, KVM_ECORRUPT, "%s: BTF rejected: %s", what,
				 msg);
	}
	kd->btf = b;
	return 0;
}

/*
 * An ELF file must carry .BTF with data: libbpf 1.1 reads a SHT_NOBITS
 * .BTF (a vmlinux reduced to its symbols has one) from a NULL pointer.
 */
static int
btf_elf_check(kvm_t *kd, const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	uint8_t magic[4];

	if (fd < 0 && errno == ENOENT)
		return kvm_error(kd, KVM_ENOENT, "%s: no such file", path);
	if (fd < 0)
		return kvm_error_sys(kd, "%s", path);
	ssize_t got = pread(fd, magic, 4, 0);
	if (got != 4 || memcmp(magic, "\177ELF", 4) != 0) {
		close(fd);
		/*
		 * Raw BTF starts with magic 0xeB9F in its own byte order;
		 * anything else (a System.map) never reaches libbpf, which
		 * would print its complaint on stderr.
		 */
		if (got >= 2 && ((magic[0] == 0x9f && magic[1] == 0xeb) ||
				 (magic[0] == 0xeb && magic[1] == 0x9f)))
			return 0;
		return kvm_error(kd, KVM_ENOENT, "%s: neither BTF nor ELF",
				 path);
	}
	int err = kvm_error(kd, KVM_ENOENT, "%s: no .BTF section with data",
			    path);
	if (!kvm_libelf_ready()) {
		close(fd);
		return err;
	}
	Elf *elf = elf_begin(fd, ELF_C_READ, NULL);
	size_t shstrndx;
	if (elf && elf_getshdrstrndx(elf, &shstrndx) == 0) {
		Elf_Scn *scn = NULL;
		GElf_Shdr sh;
		while ((scn = elf_nextscn(elf, scn))) {
			const char *n;
			if (!gelf_getshdr(scn, &sh) ||
			    !(n = elf_strptr(elf, shstrndx, sh.sh_name)) ||
			    strcmp(n, ".BTF") != 0)
				continue;
			if (sh.sh_type != SHT_NOBITS && sh.sh_size > 0) {
				kvm_error_clear(kd);
				err = 0;
			}
			break;
		}
	}
	if (elf)
		elf_end(elf);
	close(fd);
	return err;
}

static int
btf_from_file(kvm_t *kd, const char *path)
{
	int err = btf_elf_check(kd, path);
	if (err)
		return err;
	libbpf_print_fn_t old = libbpf_quiet();
	struct btf *b = btf__parse(path, NULL);
	int e = errno;
	libbpf_loud(old);

	if (!b) {
		char msg[128];
		/* libbpf's own codes (LIBBPF_ERRNO__*) start at 4000. */
		libbpf_strerror(e, msg, sizeof(msg));
		return kvm_error(kd,
				 e == ENOENT		     ? KVM_ENOENT
				 : e == EACCES || e == EPERM ? KVM_ESYS
							     : KVM_ECORRUPT,
				 "%s: no usable BTF: %s", path, msg);
	}
	kd->btf = b;
	return 0;
}

/* How far the scan for a BTF header looks into the kernel image. */
#define KVM_BTF_SCAN_MAX (128u << 20)
#define KVM_BTF_SCAN_CHUNK (1u << 20)

struct btf_scan {
	kvm_t *kd;
	const uint8_t *magic;
	uint64_t start, stop;
};

/* A kvm_scan_fn: the first header in the window whose sections fit. */
static int
btf_window(void *arg, uint64_t va, const uint8_t *b, size_t n, size_t starts)
{
	struct btf_scan *bs = arg;

	/*
	 * memchr for the magic's first byte, then the rest: a compare per
	 * word costs more, and memmem's pair hash matches the magic's zero
	 * bytes all over an image's zeros.
	 */
	for (const uint8_t *p = b;
	     p < b + starts &&
	     (p = memchr(p, bs->magic[0], (size_t)(b + starts - p)));
	     p++) {
		size_t i = (size_t)(p - b);
		if ((va + i) % 4 || i + 32 > n || memcmp(p, bs->magic, 8))
			continue;
		uint32_t f[4];
		memcpy(f, p + 8, sizeof(f));
		for (int k = 0; k < 4; k++)
			f[k] = kvm_tgt32(bs->kd, f[k]);
		/* type_off, type_len, str_off, str_len */
		uint64_t end = 24 + (uint64_t)f[2] + f[3];
		if (f[0] != 0 || f[2] < f[1] + f[0] || end > KVM_BTF_MAX ||
		    f[1] == 0 || f[3] == 0)
			continue;
		bs->start = va + i;
		bs->stop = bs->start + end;
		return 1;
	}
	return 0;
}

/*
 * Without __start_BTF (arm64's kallsyms has no data symbols): look for the
 * header itself in the kernel image.  vmlinux BTF starts with magic eB9F,
 * version 1, flags 0, hdr_len 24, and its string section begins with a
 * NUL; the first header whose sections fit is taken, and libbpf then
 * checks the whole.
 */
static int
btf_scan(kvm_t *kd, uint64_t *start_ret, uint64_t *stop_ret)
{
	static const uint8_t le[8] = { 0x9f, 0xeb, 1, 0, 24, 0, 0, 0 };
	static const uint8_t be[8] = { 0xeb, 0x9f, 1, 0, 0, 0, 0, 24 };
	struct btf_scan bs = { kd, kd->big_endian ? be : le, 0, 0 };
	uint64_t base = kd->xlat.ktext_start;

	if (!base)
		return kvm_error(kd, KVM_ENOENT,
				 "no BTF: __start_BTF unknown and no kernel "
				 "text address to scan from");
	/*
	 * Reads fail past the end of the image and where the kernel freed
	 * its init sections, so such a failure means nothing.  But the text
	 * at _stext is always mapped: when it cannot be read, the page
	 * tables are broken, not the kernel without BTF, and that read
	 * failure is the reason to give.
	 */
	uint8_t first;
	size_t got;
	int rerr = kvm_virt_read_image(kd, base, &first, 1, &got);
	char rmsg[sizeof(kd->errbuf)];
	memcpy(rmsg, kd->errbuf, sizeof(rmsg));
	kvm_error_clear(kd);
	/*
	 * .BTF sits at the end of RO_DATA (include/asm-generic/
	 * vmlinux.lds.h), after .rodata and its kallsyms tables: start there
	 * when VMCOREINFO names them (6.0+), and wrap around to the text.
	 */
	uint64_t hint = 0;
	struct kvm_nlist nl[2] = { { .n_name = "kallsyms_names" }, { 0 } };
	if (kvm_nlist2(kd, nl) == 0 && nl[0].n_value > base &&
	    nl[0].n_value - base < KVM_BTF_SCAN_MAX)
		hint = (nl[0].n_value - base) &
		       ~(uint64_t)(KVM_BTF_SCAN_CHUNK - 1);
	kvm_error_clear(kd);
	int r = kvm_scan_image(kd, base + hint, KVM_BTF_SCAN_MAX - hint,
			       KVM_BTF_SCAN_CHUNK, 32, btf_window, &bs);
	if (r == 0 && hint)
		r = kvm_scan_image(kd, base, hint, KVM_BTF_SCAN_CHUNK, 32,
				   btf_window, &bs);
	if (r < 0)
		return r;
	if (r > 0) {
		*start_ret = bs.start;
		*stop_ret = bs.stop;
		return 0;
	}
	if (rerr) {
		kvm_error(kd, -rerr, "%s", rmsg);
		return kvm_error_ctx(kd,
				     "scanning the kernel image from 0x%llx "
				     "for BTF",
				     (unsigned long long)base);
	}
	return kvm_error(kd, KVM_ENOENT,
			 "no BTF in the kernel image (CONFIG_DEBUG_INFO_BTF "
			 "off?); name a BTF file");
}

static int
btf_from_memory(kvm_t *kd)
{
	struct kvm_nlist nl[3] = {
		{ .n_name = "__start_BTF" },
		{ .n_name = "__stop_BTF" },
		{ 0 },
	};
	int missing = kvm_nlist2(kd, nl);
	uint64_t start = nl[0].n_value, stop = nl[1].n_value;

	if (missing != 0) {
		kvm_error_clear(kd);
		int err = btf_scan(kd, &start, &stop);
		if (err)
			return err;
	}
	if (stop <= start || stop - start > KVM_BTF_MAX)
		return kvm_error(kd, KVM_ECORRUPT,
				 "no BTF: __start_BTF 0x%llx .. __stop_BTF 0x%llx "
				 "is not a plausible range",
				 (unsigned long long)start,
				 (unsigned long long)stop);
	size_t len = stop - start, done;
	_cleanup_free_ uint8_t *buf = malloc(len);
	if (!buf)
		return kvm_error(kd, KVM_ENOMEM, "out of memory for BTF");
	int err = kvm_virt_read_image(kd, start, buf, len, &done);
	if (err)
		return kvm_error_ctx(kd, "reading BTF from the dump");
	return btf_from_buf(kd, buf, len, "BTF in the dump");
}

int
kvm_types_ensure(kvm_t *kd)
{
	if (kd->btf_state == 1)
		return 0;
	if (kd->btf_state < 0)
		return kvm_error(kd, -kd->btf_state, "%s", kd->btf_note);
	int err;
	if (kd->btf_path) {
		/* The user named it: its failure is the answer. */
		err = btf_from_file(kd, kd->btf_path);
	} else {
		err = -KVM_ENOENT;
		if (kd->execpath) {
			err = btf_from_file(kd, kd->execpath);
			if (err)
				kvm_error_clear(kd);
		}
		/* The running kernel publishes its BTF (5.4+, 341dfcf8d78e). */
		if (err && kd->live) {
			kvm_error_clear(kd);
			err = btf_from_file(kd, "/sys/kernel/btf/vmlinux");
		}
		if (err && kd->flags != KVM_NO_FILES) {
			kvm_error_clear(kd);
			err = btf_from_memory(kd);
		}
		if (err && kd->vmcoreinfo_text) {
			/* VMCOREINFO's OFFSET()/SIZE() answer what they can. */
			memcpy(kd->btf_note, kd->errbuf, sizeof(kd->btf_note));
			kd->btf_note_code = kd->errcode;
			kvm_error_clear(kd);
			kd->btf_state = 1;
			return 0;
		}
	}
	if (err) {
		memcpy(kd->btf_note, kd->errbuf, sizeof(kd->btf_note));
		kd->btf_note_code = kd->errcode;
		kd->btf_state = err;
		return err;
	}
	kd->btf_state = 1;
	return 0;
}

void
kvm_types_fini(kvm_t *kd)
{
	btf__free(kd->btf);
	kd->btf = NULL;
	free(kd->btf_path);
	kd->btf_path = NULL;
}

/*
 * A lookup that neither BTF nor VMCOREINFO (key, NULL: it has none of the
 * kind) answers.  BTF that is there but could not be read or parsed is
 * not "no BTF": the failed read comes last, as context chains put it.
 */
static int __attribute__((format(printf, 3, 4)))
btf_unknown(kvm_t *kd, const char *key, const char *fmt, ...)
{
	char what[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	bool absent = kd->btf_note_code == 0 || kd->btf_note_code == KVM_ENOENT;
	if (absent && key)
		return kvm_error(kd, KVM_ENOENT,
				 "%s unknown: no BTF (%s) and no %s in "
				 "VMCOREINFO",
				 what, kd->btf_note, key);
	if (absent)
		return kvm_error(kd, KVM_ENOENT, "%s unknown: no BTF (%s)",
				 what, kd->btf_note);
	int c = kd->btf_note_code;
	const char *how = c == KVM_EFAULT || c == KVM_ENODATA || c == KVM_ETRUNC
				  ? "unreadable"
				  : "unusable";
	if (key)
		return kvm_error(kd, KVM_ENOENT,
				 "%s unknown: BTF %s (and no %s in VMCOREINFO)"
				 ": %s",
				 what, how, key, kd->btf_note);
	return kvm_error(kd, KVM_ENOENT, "%s unknown: BTF %s: %s", what, how,
			 kd->btf_note);
}

/* "task_struct" of "struct task_struct" (VMCOREINFO's spelling). */
static const char *
type_bare_name(const char *spec)
{
	if (strncmp(spec, "struct ", 7) == 0)
		return spec + 7;
	if (strncmp(spec, "union ", 6) == 0)
		return spec + 6;
	if (strncmp(spec, "enum ", 5) == 0)
		return spec + 5;
	return spec;
}

/* "struct x", "union x" or a bare name -> a BTF type id (typedefs kept). */
static int
find_type(kvm_t *kd, const char *spec, int32_t *id_ret)
{
	const char *name = spec;
	int kinds[4] = { BTF_KIND_STRUCT, BTF_KIND_UNION, BTF_KIND_TYPEDEF,
			 BTF_KIND_INT };
	int nk = 4;

	if (strncmp(spec, "struct ", 7) == 0) {
		name = spec + 7;
		nk = 1;
	} else if (strncmp(spec, "union ", 6) == 0) {
		name = spec + 6;
		kinds[0] = BTF_KIND_UNION;
		nk = 1;
	} else if (strncmp(spec, "enum ", 5) == 0) {
		name = spec + 5;
		kinds[0] = BTF_KIND_ENUM;
		nk = 1;
	}
	/* An empty name would match an anonymous struct or union. */
	while (*name == ' ')
		name++;
	if (!*name)
		return kvm_error(kd, KVM_EINVAL, "empty type name");
	for (int i = 0; i < nk; i++) {
		int32_t id = btf__find_by_name_kind(kd->btf, name, kinds[i]);
		if (id > 0) {
			*id_ret = id;
			return 0;
		}
	}
	return kvm_error(kd, KVM_ENOENT, "no type %s in the BTF", spec);
}

/*
 * Members find_member() may look at for one name: the kernel's largest
 * structs have a few hundred, anonymous ones included.  A hostile BTF
 * whose anonymous members lead to the same struct again would otherwise
 * take (members)^depth steps.
 */
#define KVM_BTF_MEMBER_BUDGET (1u << 16)

/*
 * Find member name in composite id (following anonymous members), adding
 * its bit offset to *bits.  Returns the member's type id, or 0 (also when
 * *budget members have been looked at).
 */
static int32_t
find_member(const struct btf *btf, int32_t id, const char *name, uint64_t *bits,
	    int depth, unsigned *budget)
{
	if (depth > KVM_BTF_MAX_DEPTH)
		return 0;
	id = btf__resolve_type(btf, id);
	if (id < 0)
		return 0;
	const struct btf_type *t = btf__type_by_id(btf, id);
	if (!t || !(btf_is_struct(t) || btf_is_union(t)))
		return 0;
	const struct btf_member *m = btf_members(t);
	for (int i = 0; i < btf_vlen(t); i++, m++) {
		if (*budget == 0)
			return 0;
		(*budget)--;
		uint64_t off = btf_member_bit_offset(t, i);
		const char *mn = btf__name_by_offset(btf, m->name_off);
		if (mn && strcmp(mn, name) == 0) {
			*bits += off;
			return m->type;
		}
		if (!mn || !*mn) {
			uint64_t sub = 0;
			int32_t r = find_member(btf, m->type, name, &sub,
						depth + 1, budget);
			if (r) {
				*bits += off + sub;
				return r;
			}
		}
	}
	return 0;
}

/*
 * Whether the member of composite outer whose type is id was declared as
 * a bitfield (BTF records a bit size for it in a kind_flag struct).
 */
static bool
member_is_bitfield(const struct btf *btf, int32_t outer, int32_t id)
{
	int32_t rid = btf__resolve_type(btf, outer);
	const struct btf_type *t = rid > 0 ? btf__type_by_id(btf, rid) : NULL;
	/*
	 * Only integers and enums make bitfields (the kernel's BTF checker
	 * refuses others): a struct member "marked" one in a hostile BTF
	 * is a plain member, bounds-checked as such.
	 */
	int32_t mid = btf__resolve_type(btf, id);
	const struct btf_type *mt = mid > 0 ? btf__type_by_id(btf, mid) : NULL;

	if (!mt || !(btf_is_int(mt) || btf_is_enum(mt) || btf_is_enum64(mt)))
		return false;
	if (!t || !(btf_is_struct(t) || btf_is_union(t)) || !btf_kflag(t))
		return false;
	const struct btf_member *m = btf_members(t);
	for (int i = 0; i < btf_vlen(t); i++, m++)
		if ((int32_t)m->type == id && btf_member_bitfield_size(t, i))
			return true;
	return false;
}

int
kvm_types_sizeof(kvm_t *kd, const char *type, uint64_t *size_ret)
{
	int err = kvm_types_ensure(kd);

	if (err)
		return err;
	if (!kd->btf) {
		const char *n = type_bare_name(type);
		if (kvm_vmcoreinfo_size(&kd->vmci, n, size_ret))
			return 0;
		char key[256];
		snprintf(key, sizeof(key), "SIZE(%s)", n);
		return btf_unknown(kd, key, "size of %s", type);
	}
	int32_t id;
	if ((err = find_type(kd, type, &id)))
		return err;
	int64_t sz = btf__resolve_size(kd->btf, id);
	if (sz < 0)
		return kvm_error(kd, KVM_ECORRUPT, "BTF: size of %s: %s", type,
				 strerror((int)-sz));
	*size_ret = (uint64_t)sz;
	return 0;
}

int
kvm_types_member(kvm_t *kd, const char *type, const char *member,
		 uint64_t *bits_ret, uint64_t *size_ret, bool *bitfield_ret)
{
	int err = kvm_types_ensure(kd);

	if (err)
		return err;
	if (bitfield_ret)
		*bitfield_ret = false;
	if (!kd->btf) {
		const char *n = type_bare_name(type);
		char key[256];
		uint64_t off;
		snprintf(key, sizeof(key), "%s.%s", n, member);
		if (kvm_vmcoreinfo_offset(&kd->vmci, key, &off)) {
			*bits_ret = off * 8;
			if (size_ret)
				*size_ret = 0; /* VMCOREINFO has no sizes */
			return 0;
		}
		char vkey[sizeof(key) + 8];
		snprintf(vkey, sizeof(vkey), "OFFSET(%s)", key);
		return btf_unknown(kd, vkey, "offset of %s.%s", n, member);
	}
	int32_t id;
	if ((err = find_type(kd, type, &id)))
		return err;
	/* A dotted path walks into nested members: "se.vruntime". */
	char path[512];
	if (snprintf(path, sizeof(path), "%s", member) >= (int)sizeof(path))
		return kvm_error(kd, KVM_EINVAL, "member path too long");
	uint64_t bits = 0;
	int depth = 0;
	int32_t outer = id;
	for (char *save = NULL, *part = strtok_r(path, ".", &save); part;
	     part = strtok_r(NULL, ".", &save)) {
		if (++depth > KVM_BTF_MAX_DEPTH)
			return kvm_error(kd, KVM_EINVAL,
					 "member path too deep");
		outer = id;
		uint64_t before = bits;
		unsigned budget = KVM_BTF_MEMBER_BUDGET;
		int32_t m = find_member(kd->btf, id, part, &bits, 0, &budget);
		if (!m)
			return kvm_error(kd, KVM_ENOENT, "%s has no member %s",
					 type, member);
		/*
		 * libbpf does not check that members lie inside their struct
		 * (the kernel's verifier does): a hostile BTF could place one
		 * anywhere, and readers would read past the struct.
		 */
		uint64_t rel = bits - before;
		int64_t ssz = btf__resolve_size(kd->btf, id);
		int64_t msz = btf__resolve_size(kd->btf, m);
		if (ssz >= 0 && (rel > (uint64_t)ssz * 8 ||
				 (rel % 8 == 0 && msz > 0 &&
				  !member_is_bitfield(kd->btf, id, m) &&
				  (uint64_t)msz > (uint64_t)ssz - rel / 8)))
			return kvm_error(kd, KVM_ECORRUPT,
					 "BTF: %s.%s lies past the end of its "
					 "%lld-byte type",
					 type, member, (long long)ssz);
		id = m;
	}
	if (depth == 0)
		return kvm_error(kd, KVM_EINVAL, "empty member name");
	int64_t sz = btf__resolve_size(kd->btf, id);
	*bits_ret = bits;
	if (size_ret)
		*size_ret = sz > 0 ? (uint64_t)sz : 0;
	if (bitfield_ret &&
	    (bits % 8 != 0 || member_is_bitfield(kd->btf, outer, id)))
		*bitfield_ret = true;
	return 0;
}

int
kvm_types_offsetof(kvm_t *kd, const char *type, const char *member,
		   uint64_t *offset_ret, uint64_t *size_ret)
{
	uint64_t bits;
	int err = kvm_types_member(kd, type, member, &bits, size_ret, NULL);

	if (!err)
		*offset_ret = bits / 8;
	return err;
}

int
kvm_types_percpu_offset(kvm_t *kd, const char *var, uint64_t *off_ret)
{
	int err = kvm_types_ensure(kd);

	if (err)
		return err;
	if (!kd->btf)
		return btf_unknown(kd, NULL, "per-CPU variable %s", var);
	int32_t id = btf__find_by_name_kind(kd->btf, ".data..percpu",
					    BTF_KIND_DATASEC);
	const struct btf_type *t = id > 0 ? btf__type_by_id(kd->btf, id) : NULL;
	if (!t)
		return kvm_error(kd, KVM_ENOENT,
				 "the BTF has no per-CPU section");
	const struct btf_var_secinfo *v = btf_var_secinfos(t);
	for (int i = 0; i < btf_vlen(t); i++, v++) {
		const struct btf_type *vt = btf__type_by_id(kd->btf, v->type);
		const char *n = vt ? btf__name_by_offset(kd->btf, vt->name_off)
				   : NULL;
		if (n && strcmp(n, var) == 0) {
			/* Inside the section, as the verifier would check. */
			if ((uint64_t)v->offset + v->size > t->size)
				return kvm_error(kd, KVM_ECORRUPT,
						 "BTF: per-CPU %s lies past its "
						 "section",
						 var);
			*off_ret = v->offset;
			return 0;
		}
	}
	return kvm_error(kd, KVM_ENOENT, "no per-CPU variable %s in the BTF",
			 var);
}

int
kvm_types_enum(kvm_t *kd, const char *type, const char *name,
	       int64_t *value_ret)
{
	int err = kvm_types_ensure(kd);

	if (err)
		return err;
	if (!kd->btf)
		return btf_unknown(kd, NULL, "enum %s", type);
	int32_t id = btf__find_by_name_kind(kd->btf, type, BTF_KIND_ENUM);
	const struct btf_type *t = id > 0 ? btf__type_by_id(kd->btf, id) : NULL;
	if (!t)
		return kvm_error(kd, KVM_ENOENT, "no enum %s in the BTF", type);
	const struct btf_enum *e = btf_enum(t);
	for (int i = 0; i < btf_vlen(t); i++, e++) {
		const char *n = btf__name_by_offset(kd->btf, e->name_off);
		if (n && strcmp(n, name) == 0) {
			*value_ret = e->val;
			return 0;
		}
	}
	return kvm_error(kd, KVM_ENOENT, "enum %s has no %s", type, name);
}

KVM_EXPORT int
kvm_type_size(kvm_t *kd, const char *type, uint64_t *size_ret)
{
	KVM_CHECK_KD(kd, -1);
	if (kvm_types_sizeof(kd, type, size_ret) == 0)
		return 0;
	kvm_report(kd);
	return -1;
}

KVM_EXPORT int
kvm_type_offsetof(kvm_t *kd, const char *type, const char *member,
		  uint64_t *offset_ret, uint64_t *size_ret)
{
	KVM_CHECK_KD(kd, -1);
	if (kvm_types_offsetof(kd, type, member, offset_ret, size_ret) == 0)
		return 0;
	kvm_report(kd);
	return -1;
}

KVM_EXPORT int
kvm_set_btf_file(kvm_t *kd, const char *path)
{
	KVM_CHECK_KD(kd, -1);
	if (!path || !*path) {
		kvm_error(kd, KVM_EINVAL, "kvm_set_btf_file: no path");
		return -1;
	}
	char *p = strdup(path);
	if (!p) {
		kvm_error(kd, KVM_ENOMEM, "out of memory");
		return -1;
	}
	/* Forget what an earlier source gave. */
	btf__free(kd->btf);
	kd->btf = NULL;
	free(kd->btf_path);
	kd->btf_path = p;
	kd->btf_state = 0;
	return 0;
}
