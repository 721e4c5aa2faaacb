// SPDX-License-Identifier: BSD-2-Clause
/*
 * mkelf: write a synthetic ELF64 core file (a Linux vmcore as the kdump
 * kernel or QEMU dump-guest-memory writes it) from a small text spec, for
 * libkvm's tests.  The model is libkdumpfile's tests/mkelf.c.
 *
 * It shares no code with src/ and does not even use <elf.h>: every field is
 * stored at the offset the System V gABI gives it (ELF-64 Object File
 * Format, version 1.5), so a misreading in the library cannot hide behind
 * the same misreading here.  Little-endian ELFCLASS64 only.
 *
 * usage: mkelf [-o OUTPUT] [SPEC]
 *   SPEC absent or "-": read the spec from stdin; OUTPUT absent: stdout.
 *
 * SPEC SYNTAX
 *   One directive per line.  "#" at the start of a line or after a blank
 *   starts a comment (so "#run:" and "#check:" lines, which the test
 *   drivers read, are comments here).  Numbers are C-style (0x1f, 017, 15)
 *   with an optional K, M or G suffix (x 2^10, 2^20, 2^30).
 *
 * ELF header (all optional):
 *   machine N        e_machine (default 62, x86_64)
 *   type N           e_type (default 4, ET_CORE)
 *   align N          file alignment of PT_LOAD data (default 16)
 *
 * Notes.  Note directives go into the current PT_NOTE segment; the first
 * one opens a PT_NOTE if none is open.
 *   ptnote [p_offset=N] [p_filesz=N]
 *                    open a new PT_NOTE segment (p_*: see "Damage")
 *   vmcoreinfo       a "VMCOREINFO" note (type 0); the lines that follow,
 *                    up to a line "end", are its text (leading blanks and
 *                    comment lines dropped, each line ended by "\n")
 *   prstatus N [rip=A] [rsp=A]
 *                    N NT_PRSTATUS (1) notes named "CORE": x86_64 struct
 *                    elf_prstatus, 336 bytes, pr_pid at 32 = 1, 2, ...,
 *                    pr_reg at 112 (rip at 240, rsp at 264)
 *   qemu [cr0=] [cr3=] [cr4=] [rip=] [rsp=] [version=] [size=] [descsz=]
 *                    one "QEMU" note (type 0) holding QEMU's x86
 *                    QEMUCPUState (target/i386/arch_dump.c): u32 version
 *                    (default 1) at 0, u32 size (default 440) at 4, 16
 *                    GPRs at 8 (rsp at 56), rip at 136, rflags at 144, 10
 *                    segments of 24 bytes at 152, cr[0..4] at 392 (cr3 at
 *                    416, cr4 at 424), kernel_gs_base at 432; 440 bytes
 *   note NAME TYPE [descsz=N] [HH ...]
 *                    any note; its descriptor given as hex bytes
 *   descsz=N stores N as n_descsz whatever the descriptor's real size.
 *
 * Memory:
 *   load paddr=A memsz=N [filesz=N] [vaddr=A] [fill=B|addr]
 *        [p_offset=N] [p_filesz=N] [p_memsz=N]
 *   ... data lines ...
 *   end
 *     A PT_LOAD of memsz bytes of physical memory at A, the first filesz
 *     (default memsz) of them in the file.  The file bytes start as byte B
 *     (default 0) or, with fill=addr, as 8-byte words each holding its own
 *     physical address (so a hex dump shows where bytes came from).  Data
 *     lines address physical memory inside [A, A + filesz):
 *       bytes A HH HH ...     raw bytes
 *       fill A LEN B          LEN bytes of value B
 *       u64 A V [V ...]       little-endian 64-bit words (page-table entries)
 *       u32 A V [V ...]       little-endian 32-bit words
 *       entry T I V           u64 V at T + 8 * I: entry I of the table at T
 *       text A STRING         the rest of the line after one blank, as is
 *                             ("#" included)
 *
 * Damage, applied after the layout is computed:
 *   e_phoff N  e_phentsize N  e_phnum N  e_shoff N  e_shentsize N
 *   e_shnum N  e_shstrndx N  e_ehsize N  e_version N
 *                    store N in that ELF header field
 *   ident I V        e_ident[I] = V
 *   xnum [N]         extended numbering: e_phnum = PN_XNUM (0xffff) and a
 *                    section header 0 is appended whose sh_info holds N
 *                    (default: the true count)
 *   p_offset=, p_filesz=, p_memsz= on load/ptnote: store that value in the
 *                    program header; the data stays where the layout put it
 *   truncate N       the file is exactly N bytes: cut, or padded with zeros
 *
 * FILE LAYOUT
 *   ELF header (64) | program headers (56 each, in directive order) |
 *   segment data in the same order (notes 4-aligned, loads "align"-ed) |
 *   section header 0 (64, only with xnum, 8-aligned)
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SEGS 256
#define MAX_TOKENS 1024
/* The generator builds test files, not dumps: refuse anything larger. */
#define MAX_FILE (256u << 20)

/* ELF-64 sizes and values from the gABI, spelled out on purpose. */
#define EHDR_SIZE 64
#define PHDR_SIZE 56
#define SHDR_SIZE 64
#define PT_LOAD_ 1
#define PT_NOTE_ 4
#define PN_XNUM_ 0xffff

#define PRSTATUS_SIZE 336
#define QEMU_STATE_SIZE 440

struct seg {
	uint32_t type;	 /* PT_LOAD_ or PT_NOTE_ */
	uint64_t paddr;	 /* loads: first physical address */
	uint64_t vaddr;
	uint64_t memsz;
	uint8_t *data;	 /* the bytes that go into the file */
	size_t len;
	size_t cap;
	uint64_t offset; /* where the layout put data */
	bool set_offset, set_filesz, set_memsz;
	uint64_t p_offset, p_filesz, p_memsz;
};

/* Header overrides: index into this table by enum hdr_field. */
enum hdr_field {
	H_PHOFF,
	H_PHENTSIZE,
	H_PHNUM,
	H_SHOFF,
	H_SHENTSIZE,
	H_SHNUM,
	H_SHSTRNDX,
	H_EHSIZE,
	H_VERSION,
	H_COUNT,
};

static const struct {
	const char *name;
	unsigned off;  /* byte offset in the ELF header */
	unsigned size; /* 2, 4 or 8 */
} hdr_fields[H_COUNT] = {
	[H_PHOFF] = { "e_phoff", 32, 8 },
	[H_PHENTSIZE] = { "e_phentsize", 54, 2 },
	[H_PHNUM] = { "e_phnum", 56, 2 },
	[H_SHOFF] = { "e_shoff", 40, 8 },
	[H_SHENTSIZE] = { "e_shentsize", 58, 2 },
	[H_SHNUM] = { "e_shnum", 60, 2 },
	[H_SHSTRNDX] = { "e_shstrndx", 62, 2 },
	[H_EHSIZE] = { "e_ehsize", 52, 2 },
	[H_VERSION] = { "e_version", 20, 4 },
};

static struct {
	const char *path; /* spec, for messages */
	unsigned line;
	uint16_t machine;
	uint16_t type;
	uint64_t align;
	struct seg segs[MAX_SEGS];
	unsigned nsegs;
	int note_seg; /* index of the open PT_NOTE, or -1 */
	bool set_hdr[H_COUNT];
	uint64_t hdr[H_COUNT];
	bool set_ident[16];
	uint8_t ident[16];
	bool xnum;
	bool xnum_count_set;
	uint64_t xnum_count;
	bool truncate;
	uint64_t truncate_at;
} g = {
	.machine = 62,
	.type = 4,
	.align = 16,
	.note_seg = -1,
};

static void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
	va_list ap;

	if (g.line)
		fprintf(stderr, "mkelf: %s:%u: ", g.path, g.line);
	else
		fputs("mkelf: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

#include "spec.h"

static void
put16(uint8_t *p, uint64_t v)
{
	p[0] = v;
	p[1] = v >> 8;
}

static void
put32(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = v >> (8 * i);
}

static void
put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = v >> (8 * i);
}

static void
putn(uint8_t *p, unsigned size, uint64_t v)
{
	switch (size) {
	case 2:
		put16(p, v);
		break;
	case 4:
		put32(p, v);
		break;
	default:
		put64(p, v);
		break;
	}
}

static void *
xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (!q)
		die("out of memory (%zu bytes)", n);
	return q;
}

/* Room for n more bytes at the end of s->data; returns where they go. */
static uint8_t *
seg_grow(struct seg *s, size_t n)
{
	if (n > MAX_FILE || s->len > MAX_FILE - n)
		die("segment larger than %u bytes", MAX_FILE);
	if (s->len + n > s->cap) {
		size_t cap = s->cap ? s->cap : 256;
		while (cap < s->len + n)
			cap *= 2;
		s->data = xrealloc(s->data, cap);
		s->cap = cap;
	}
	uint8_t *p = s->data + s->len;
	memset(p, 0, n);
	s->len += n;
	return p;
}

static struct seg *
seg_new(uint32_t type)
{
	if (g.nsegs >= MAX_SEGS)
		die("more than %d segments", MAX_SEGS);
	struct seg *s = &g.segs[g.nsegs++];
	memset(s, 0, sizeof(*s));
	s->type = type;
	return s;
}

/* p_offset=, p_filesz=, p_memsz= on a load or ptnote line. */
static bool
seg_override(struct seg *s, const char *tok)
{
	const char *v;

	if ((v = keyval(tok, "p_offset"))) {
		s->set_offset = true;
		s->p_offset = num(v, "p_offset");
	} else if ((v = keyval(tok, "p_filesz"))) {
		s->set_filesz = true;
		s->p_filesz = num(v, "p_filesz");
	} else if ((v = keyval(tok, "p_memsz"))) {
		s->set_memsz = true;
		s->p_memsz = num(v, "p_memsz");
	} else {
		return false;
	}
	return true;
}

/* ---------------------------------------------------------------- notes */

static struct seg *
note_seg(void)
{
	if (g.note_seg < 0) {
		seg_new(PT_NOTE_);
		g.note_seg = g.nsegs - 1;
	}
	return &g.segs[g.note_seg];
}

/*
 * Append one note: n_namesz (with the NUL), n_descsz, n_type, the name and
 * the descriptor, each padded to 4 bytes (gABI "Note Section").
 */
static void
note_add(const char *name, uint32_t type, const uint8_t *desc, size_t descsz,
	 bool force_descsz, uint64_t hdr_descsz)
{
	struct seg *s = note_seg();
	size_t namesz = strlen(name) + 1;
	size_t npad = (namesz + 3) & ~(size_t)3;
	size_t dpad = (descsz + 3) & ~(size_t)3;

	if (descsz > MAX_FILE)
		die("note descriptor too large");
	uint8_t *p = seg_grow(s, 12 + npad + dpad);
	put32(p, namesz);
	put32(p + 4, force_descsz ? hdr_descsz : descsz);
	put32(p + 8, type);
	memcpy(p + 12, name, namesz);
	if (descsz)
		memcpy(p + 12 + npad, desc, descsz);
}

static void
do_note(char **tok, int ntok)
{
	static uint8_t desc[1 << 16];
	size_t len = 0;
	bool force = false;
	uint64_t dsz = 0;

	if (ntok < 3)
		die("usage: note NAME TYPE [descsz=N] [HH ...]");
	uint64_t type = num(tok[2], "note type");
	for (int i = 3; i < ntok; i++) {
		const char *v = keyval(tok[i], "descsz");
		if (v) {
			force = true;
			dsz = num(v, "descsz");
			continue;
		}
		len += hexbytes(tok[i], desc + len, sizeof(desc) - len);
	}
	note_add(tok[1], type, desc, len, force, dsz);
}

static void
do_prstatus(char **tok, int ntok)
{
	uint64_t n, rip = 0, rsp = 0;

	if (ntok < 2)
		die("usage: prstatus N [rip=A] [rsp=A]");
	n = num(tok[1], "prstatus count");
	for (int i = 2; i < ntok; i++) {
		const char *v;
		if ((v = keyval(tok[i], "rip")))
			rip = num(v, "rip");
		else if ((v = keyval(tok[i], "rsp")))
			rsp = num(v, "rsp");
		else
			die("unknown prstatus option '%s'", tok[i]);
	}
	if (n > 100000)
		die("prstatus count %llu too large", (unsigned long long)n);
	for (uint64_t i = 0; i < n; i++) {
		uint8_t d[PRSTATUS_SIZE] = { 0 };
		put32(d + 32, i + 1); /* pr_pid */
		put64(d + 240, rip);  /* pr_reg.rip */
		put64(d + 264, rsp);  /* pr_reg.rsp */
		note_add("CORE", 1, d, sizeof(d), false, 0);
	}
}

static void
do_qemu(char **tok, int ntok)
{
	uint8_t d[QEMU_STATE_SIZE] = { 0 };
	bool force = false;
	uint64_t dsz = 0;

	put32(d, 1);
	put32(d + 4, QEMU_STATE_SIZE);
	for (int i = 1; i < ntok; i++) {
		static const struct {
			const char *key;
			unsigned off, size;
		} fields[] = {
			{ "version", 0, 4 }, { "size", 4, 4 },
			{ "rsp", 56, 8 },    { "rip", 136, 8 },
			{ "cr0", 392, 8 },   { "cr2", 408, 8 },
			{ "cr3", 416, 8 },   { "cr4", 424, 8 },
		};
		const char *v = keyval(tok[i], "descsz");
		if (v) {
			force = true;
			dsz = num(v, "descsz");
			continue;
		}
		size_t k;
		for (k = 0; k < sizeof(fields) / sizeof(fields[0]); k++) {
			v = keyval(tok[i], fields[k].key);
			if (v) {
				putn(d + fields[k].off, fields[k].size,
				     num(v, fields[k].key));
				break;
			}
		}
		if (k == sizeof(fields) / sizeof(fields[0]))
			die("unknown qemu option '%s'", tok[i]);
	}
	note_add("QEMU", 0, d, sizeof(d), force, dsz);
}

/* ---------------------------------------------------------------- loads */

/* Pointer to len file bytes at physical address pa of load s. */
static uint8_t *
load_at(const struct seg *s, uint64_t pa, uint64_t len)
{
	if (pa < s->paddr || pa - s->paddr > s->len ||
	    len > s->len - (pa - s->paddr))
		die("0x%llx (+%llu bytes) is outside the file bytes of this "
		    "load (0x%llx, %zu bytes)",
		    (unsigned long long)pa, (unsigned long long)len,
		    (unsigned long long)s->paddr, s->len);
	return s->data + (pa - s->paddr);
}

static void
do_load(char **tok, int ntok)
{
	struct seg *s = seg_new(PT_LOAD_);
	bool have_pa = false, have_memsz = false, have_filesz = false;
	bool fill_addr = false;
	uint64_t filesz = 0, fill = 0;

	for (int i = 1; i < ntok; i++) {
		const char *v;
		if (seg_override(s, tok[i]))
			continue;
		if ((v = keyval(tok[i], "paddr"))) {
			s->paddr = num(v, "paddr");
			have_pa = true;
		} else if ((v = keyval(tok[i], "vaddr"))) {
			s->vaddr = num(v, "vaddr");
		} else if ((v = keyval(tok[i], "memsz"))) {
			s->memsz = num(v, "memsz");
			have_memsz = true;
		} else if ((v = keyval(tok[i], "filesz"))) {
			filesz = num(v, "filesz");
			have_filesz = true;
		} else if ((v = keyval(tok[i], "fill"))) {
			if (strcmp(v, "addr") == 0)
				fill_addr = true;
			else
				fill = num(v, "fill");
		} else {
			die("unknown load option '%s'", tok[i]);
		}
	}
	if (!have_pa || !have_memsz)
		die("load needs paddr= and memsz=");
	if (!have_filesz)
		filesz = s->memsz;
	if (filesz > MAX_FILE)
		die("filesz 0x%llx too large for a test file",
		    (unsigned long long)filesz);
	if (filesz && s->paddr + (filesz - 1) < s->paddr)
		die("load wraps around the address space");
	uint8_t *p = seg_grow(s, filesz);
	for (uint64_t i = 0; i < filesz; i++) {
		uint64_t pa = s->paddr + i;
		p[i] = fill_addr ? (uint8_t)((pa & ~7ULL) >> (8 * (pa & 7)))
				 : (uint8_t)fill;
	}
}

/* One data line inside a load block. */
static void
load_data(struct seg *s, char **tok, int ntok, const char *rest)
{
	const char *op = tok[0];

	if (strcmp(op, "bytes") == 0) {
		static uint8_t buf[1 << 16];
		size_t len = 0;
		if (ntok < 2)
			die("usage: bytes A HH ...");
		uint64_t pa = num(tok[1], "address");
		for (int i = 2; i < ntok; i++)
			len += hexbytes(tok[i], buf + len, sizeof(buf) - len);
		memcpy(load_at(s, pa, len), buf, len);
	} else if (strcmp(op, "fill") == 0) {
		if (ntok != 4)
			die("usage: fill A LEN B");
		uint64_t pa = num(tok[1], "address");
		uint64_t len = num(tok[2], "length");
		memset(load_at(s, pa, len), (int)num(tok[3], "byte"), len);
	} else if (strcmp(op, "u64") == 0 || strcmp(op, "u32") == 0) {
		unsigned size = op[1] == '6' ? 8 : 4;
		if (ntok < 3)
			die("usage: %s A V ...", op);
		uint64_t pa = num(tok[1], "address");
		for (int i = 2; i < ntok; i++, pa += size)
			putn(load_at(s, pa, size), size, num(tok[i], "value"));
	} else if (strcmp(op, "entry") == 0) {
		if (ntok != 4)
			die("usage: entry TABLE INDEX VALUE");
		uint64_t t = num(tok[1], "table"), i = num(tok[2], "index");
		if (i >= 512)
			die("table index %llu >= 512", (unsigned long long)i);
		put64(load_at(s, t + 8 * i, 8), num(tok[3], "value"));
	} else if (strcmp(op, "text") == 0) {
		if (ntok < 2 || !rest)
			die("usage: text A STRING");
		uint64_t pa = num(tok[1], "address");
		size_t len = strlen(rest);
		memcpy(load_at(s, pa, len), rest, len);
	} else {
		die("unknown directive '%s' in a load block", op);
	}
}

/* ----------------------------------------------------------- the header */

static void
do_header(char **tok, int ntok)
{
	for (int h = 0; h < H_COUNT; h++) {
		if (strcmp(tok[0], hdr_fields[h].name) == 0) {
			if (ntok != 2)
				die("usage: %s N", tok[0]);
			g.set_hdr[h] = true;
			g.hdr[h] = num(tok[1], tok[0]);
			return;
		}
	}
	if (strcmp(tok[0], "machine") == 0 && ntok == 2) {
		g.machine = num(tok[1], "machine");
	} else if (strcmp(tok[0], "type") == 0 && ntok == 2) {
		g.type = num(tok[1], "type");
	} else if (strcmp(tok[0], "align") == 0 && ntok == 2) {
		g.align = num(tok[1], "align");
		if (g.align == 0 || (g.align & (g.align - 1)) ||
		    g.align > 65536)
			die("align must be a power of two <= 65536");
	} else if (strcmp(tok[0], "ident") == 0 && ntok == 3) {
		uint64_t i = num(tok[1], "ident index");
		if (i >= 16)
			die("ident index %llu >= 16", (unsigned long long)i);
		g.set_ident[i] = true;
		g.ident[i] = num(tok[2], "ident value");
	} else if (strcmp(tok[0], "xnum") == 0 && ntok <= 2) {
		g.xnum = true;
		if (ntok == 2) {
			g.xnum_count_set = true;
			g.xnum_count = num(tok[1], "xnum count");
		}
	} else if (strcmp(tok[0], "truncate") == 0 && ntok == 2) {
		g.truncate = true;
		g.truncate_at = num(tok[1], "truncate");
		if (g.truncate_at > MAX_FILE)
			die("truncate beyond %u bytes", MAX_FILE);
	} else if (strcmp(tok[0], "ptnote") == 0) {
		struct seg *s = seg_new(PT_NOTE_);
		g.note_seg = g.nsegs - 1;
		for (int i = 1; i < ntok; i++)
			if (!seg_override(s, tok[i]))
				die("unknown ptnote option '%s'", tok[i]);
	} else {
		die("unknown directive '%s' (or wrong argument count)",
		    tok[0]);
	}
}

/* ----------------------------------------------------------- the parser */

/* For "text A STRING": what follows A and one blank, newline removed. */
static char *
text_rest(char *line)
{
	char *p = line;

	for (int field = 0; field < 2; field++) {
		while (*p == ' ' || *p == '\t')
			p++;
		while (*p && *p != ' ' && *p != '\t' && *p != '\n')
			p++;
	}
	if (*p != ' ' && *p != '\t')
		return NULL;
	p++;
	p[strcspn(p, "\r\n")] = '\0';
	return p;
}

static void
parse(FILE *f)
{
	char *line = NULL, *copy = NULL;
	size_t cap = 0;
	static char *tok[MAX_TOKENS];
	struct seg *load = NULL; /* inside a load block */
	bool in_vmci = false;
	uint8_t *vmci = NULL;
	size_t vmci_len = 0;

	while (getline(&line, &cap, f) >= 0) {
		g.line++;
		if (in_vmci) {
			char *p = line + strspn(line, " \t");
			p[strcspn(p, "\r\n")] = '\0';
			if (!*p || *p == '#')
				continue;
			if (strcmp(p, "end") == 0) {
				note_add("VMCOREINFO", 0, vmci, vmci_len, false,
					 0);
				in_vmci = false;
				continue;
			}
			size_t n = strlen(p);
			if (vmci_len + n + 1 > MAX_FILE)
				die("VMCOREINFO too large");
			vmci = xrealloc(vmci, vmci_len + n + 1);
			memcpy(vmci + vmci_len, p, n);
			vmci[vmci_len + n] = '\n';
			vmci_len += n + 1;
			continue;
		}
		free(copy);
		copy = strdup(line);
		if (!copy)
			die("out of memory");
		int ntok = tokenize(line, tok);
		if (ntok == 0)
			continue;
		if (load) {
			if (strcmp(tok[0], "end") == 0 && ntok == 1)
				load = NULL;
			else
				load_data(load, tok, ntok, text_rest(copy));
			continue;
		}
		if (strcmp(tok[0], "vmcoreinfo") == 0 && ntok == 1) {
			in_vmci = true;
			vmci_len = 0;
		} else if (strcmp(tok[0], "prstatus") == 0) {
			do_prstatus(tok, ntok);
		} else if (strcmp(tok[0], "qemu") == 0) {
			do_qemu(tok, ntok);
		} else if (strcmp(tok[0], "note") == 0) {
			do_note(tok, ntok);
		} else if (strcmp(tok[0], "load") == 0) {
			do_load(tok, ntok);
			load = &g.segs[g.nsegs - 1];
		} else {
			do_header(tok, ntok);
		}
	}
	if (ferror(f))
		die("reading the spec: %s", strerror(errno));
	if (in_vmci)
		die("vmcoreinfo without end");
	if (load)
		die("load without end");
	g.line = 0;
	free(copy);
	free(line);
	free(vmci);
}

/* ----------------------------------------------------------- the writer */

static uint64_t
align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

static void
write_file(FILE *out)
{
	uint64_t off = EHDR_SIZE + (uint64_t)g.nsegs * PHDR_SIZE, shoff = 0;

	for (unsigned i = 0; i < g.nsegs; i++) {
		struct seg *s = &g.segs[i];
		off = align_up(off, s->type == PT_NOTE_ ? 4 : g.align);
		s->offset = off;
		off += s->len;
		if (off > MAX_FILE)
			die("the file would exceed %u bytes", MAX_FILE);
	}
	if (g.xnum) {
		shoff = align_up(off, 8);
		off = shoff + SHDR_SIZE;
	}
	uint64_t size = off;
	uint8_t *buf = calloc(1, size);
	if (!buf)
		die("out of memory");

	/* ELF header (gABI "ELF Header"). */
	memcpy(buf, "\x7f" "ELF", 4);
	buf[4] = 2; /* EI_CLASS: ELFCLASS64 */
	buf[5] = 1; /* EI_DATA: ELFDATA2LSB */
	buf[6] = 1; /* EI_VERSION: EV_CURRENT */
	put16(buf + 16, g.type);
	put16(buf + 18, g.machine);
	put32(buf + 20, 1);			/* e_version */
	put64(buf + 32, g.nsegs ? EHDR_SIZE : 0); /* e_phoff */
	put64(buf + 40, shoff);			/* e_shoff */
	put16(buf + 52, EHDR_SIZE);		/* e_ehsize */
	put16(buf + 54, PHDR_SIZE);		/* e_phentsize */
	put16(buf + 56, g.xnum ? PN_XNUM_ : g.nsegs);
	put16(buf + 58, g.xnum ? SHDR_SIZE : 0); /* e_shentsize */
	put16(buf + 60, g.xnum ? 1 : 0);	 /* e_shnum */

	/* Program headers (gABI "Program Header"). */
	for (unsigned i = 0; i < g.nsegs; i++) {
		const struct seg *s = &g.segs[i];
		uint8_t *ph = buf + EHDR_SIZE + i * PHDR_SIZE;
		bool load = s->type == PT_LOAD_;
		put32(ph, s->type);
		put32(ph + 4, load ? 7 : 0); /* p_flags: PF_R|PF_W|PF_X */
		put64(ph + 8, s->set_offset ? s->p_offset : s->offset);
		put64(ph + 16, s->vaddr);
		put64(ph + 24, s->paddr);
		put64(ph + 32, s->set_filesz ? s->p_filesz : s->len);
		put64(ph + 40, s->set_memsz ? s->p_memsz
					    : load ? s->memsz : s->len);
		put64(ph + 48, 0); /* p_align */
		if (s->len)
			memcpy(buf + s->offset, s->data, s->len);
	}

	/* Section header 0 holds the real count with PN_XNUM. */
	if (g.xnum)
		put32(buf + shoff + 44, g.xnum_count_set ? g.xnum_count
							 : g.nsegs);

	for (int h = 0; h < H_COUNT; h++)
		if (g.set_hdr[h])
			putn(buf + hdr_fields[h].off, hdr_fields[h].size,
			     g.hdr[h]);
	for (int i = 0; i < 16; i++)
		if (g.set_ident[i])
			buf[i] = g.ident[i];

	uint64_t outsize = g.truncate ? g.truncate_at : size;
	uint64_t have = outsize < size ? outsize : size;
	if (fwrite(buf, 1, have, out) != have)
		die("write: %s", strerror(errno));
	for (uint64_t i = have; i < outsize; i++)
		if (putc(0, out) == EOF)
			die("write: %s", strerror(errno));
	free(buf);
}

int
main(int argc, char **argv)
{
	const char *outpath = NULL;
	FILE *in = stdin, *out = stdout;
	int i = 1;

	if (i + 1 < argc && strcmp(argv[i], "-o") == 0) {
		outpath = argv[i + 1];
		i += 2;
	}
	if (argc - i > 1 || (i < argc && argv[i][0] == '-' && argv[i][1])) {
		fputs("usage: mkelf [-o OUTPUT] [SPEC]\n", stderr);
		return 2;
	}
	g.path = "<stdin>";
	if (i < argc && strcmp(argv[i], "-") != 0) {
		g.path = argv[i];
		in = fopen(argv[i], "r");
		if (!in)
			die("%s: %s", argv[i], strerror(errno));
	}
	parse(in);
	if (in != stdin)
		fclose(in);
	if (outpath) {
		out = fopen(outpath, "wb");
		if (!out)
			die("%s: %s", outpath, strerror(errno));
	}
	write_file(out);
	if (fflush(out) != 0 || ferror(out))
		die("write: %s", strerror(errno));
	if (out != stdout && fclose(out) != 0)
		die("close: %s", strerror(errno));
	for (unsigned k = 0; k < g.nsegs; k++)
		free(g.segs[k].data);
	return 0;
}
