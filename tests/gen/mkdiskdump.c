// SPDX-License-Identifier: BSD-2-Clause
/*
 * mkdiskdump: write a synthetic kdump-compressed dump (what makedumpfile
 * -c/-l/-p/-z and QEMU's dump-guest-memory kdump-* formats write), the
 * same wrapped in makedumpfile's flattened stream (makedumpfile -F, QEMU),
 * a LiME image or a raw memory image, from a small text spec, for libkvm's
 * tests.  The model is libkdumpfile's tests/mkdiskdump.c.
 *
 * It shares no code with src/ (STYLE B9): every offset below is spelled out
 * here from makedumpfile's diskdump_mod.h and makedumpfile.h (1.7.x,
 * 64-bit layout), QEMU's include/sysemu/dump.h and LiME's doc/README.md,
 * so that a misreading in the library cannot hide behind the same
 * misreading here.  Pages are compressed with the Debian libraries
 * (zlib, lzo2, snappy, zstd), which only this test program links.
 *
 * usage: mkdiskdump [-l] [-F FORMAT] [-o OUTPUT] [SPEC]
 *   SPEC absent or "-": read the spec from stdin; OUTPUT absent: stdout.
 *   -l   print the layout (the truncate labels and their offsets) on
 *        stderr, to write specs that cut the file at a boundary
 *   -F   write FORMAT (kdump, flat, lime, raw) whatever the spec says
 *
 * SPEC SYNTAX
 *   One directive per line.  "#" at the start of a line or after a blank
 *   starts a comment (so "#run:" and "#check:" lines, which the test
 *   drivers read, are comments here).  Numbers are C-style (0x1f, 017, 15)
 *   with an optional K, M or G suffix (x 2^10, 2^20, 2^30); where a
 *   signed value is allowed (version, phys_base, set, poke, desc offset=,
 *   record, flat_type, flat_version) a leading "-" negates.
 *   "include FILE" reads FILE (relative to the spec's directory) there.
 *
 * Output:
 *   format kdump|flat|lime|raw   (default kdump)
 *     kdump  the kdump-compressed file
 *     flat   the same file as a flattened stream (see "Flattened")
 *     lime   one LiME range per load, in directive order
 *     raw    the loads at their physical addresses in an image from 0
 *
 * kdump header and sub-header:
 *   signature KDUMP|DISKDUMP  (default KDUMP: "KDUMP   ")
 *   version N        header_version, 1..6 (default 6); any int32 is stored
 *   endian little|big  byte order of headers, descriptors, notes and the
 *                    u64/u32/entry data (default little); must come before
 *                    notes and loads
 *   block_size N     bytes per bitmap bit and per page (default 4096)
 *   machine NAME     utsname.machine (default x86_64; "-" for empty)
 *   release NAME     utsname.release (default empty)
 *   nr_cpus N        (default 1)
 *   status N         more status bits (the compression's bit is set anyway)
 *   incomplete [A]   status bit DUMP_DH_COMPRESSED_INCOMPLETE (0x8); with
 *                    A, the blocks from address A on were "not written":
 *                    their descriptors are zero and they have no data
 *   compress zlib|lzo|snappy|zstd|raw   default method (default raw); a
 *                    block that does not shrink is stored raw, as
 *                    makedumpfile and QEMU do
 *   dump_level N     (default 31)
 *   phys_base N      sub-header phys_base (default 0)
 *   max_mapnr N      blocks the bitmaps describe (default: highest block
 *                    + 1); version 6 also stores it as max_mapnr_64
 *   split S E        a split dump's part: blocks [S, E) (version 2+)
 *   sharezero        all-zero blocks share one raw zero block, written
 *                    first (makedumpfile's pd_zero, QEMU's zero page)
 *   subjunk          fill the sub-header bytes that the version does not
 *                    define with 0xff (the reader must ignore them)
 *
 * Notes (the sub-header's ELF note blob, referenced for version 4+):
 *   vmcoreinfo [in=blob|note|both]
 *                    the lines up to "end" are the VMCOREINFO text
 *                    (leading blanks and comment lines dropped, each line
 *                    ended by "\n").  blob: a text blob after the notes
 *                    that offset_vmcoreinfo points to (version 3+); note:
 *                    a "VMCOREINFO" note only; both: the note, and
 *                    offset_vmcoreinfo pointing at its descriptor, as
 *                    makedumpfile writes.  Default: both for version 4+,
 *                    blob for version 3 and earlier.
 *   prstatus N [rip=A] [rsp=A]   N NT_PRSTATUS notes (x86_64 336 bytes)
 *   qemu [cr0=] [cr3=] [cr4=] [rip=] [rsp=] [version=] [size=] [descsz=]
 *                    a QEMU x86 CPU-state note (440 bytes; cr3 at 416,
 *                    cr4 at 424), as mkelf's
 *   note NAME TYPE [descsz=N] [HH ...]   any note
 *
 * Memory:
 *   load paddr=A memsz=N [fill=B|addr|rand] [compress=M]
 *        [s_addr=A] [e_addr=A] [magic=N] [lime_version=N]
 *   ... data lines ...
 *   end
 *     memsz bytes of physical memory at A, all dumped.  For kdump, A and N
 *     are multiples of block_size.  The bytes start as B (default 0);
 *     with fill=addr, as 8-byte little-endian words holding their own
 *     address; with fill=rand, as bytes that no method compresses: byte
 *     i of the load is bits 56..63 of the i+1-th xorshift64 (13, 7, 17)
 *     output from the seed paddr | 1.  The
 *     s_addr/e_addr/magic/lime_version values replace the LiME range
 *     header's.  Data lines address physical memory inside the load:
 *       bytes A HH HH ...     raw bytes
 *       fill A LEN B          LEN bytes of value B
 *       u64 A V [V ...]       64-bit words in the dump's byte order
 *       u32 A V [V ...]       32-bit words
 *       entry T I V           u64 V at T + 8 * I: entry I of the table at T
 *       text A STRING         the rest of the line after one blank, as is
 *   exclude A N      the blocks in [A, A + N) are RAM (1st bitmap) but not
 *                    dumped (2nd bitmap clear): makedumpfile's excluded
 *                    pages.  Inside a load, the load's bytes are dropped.
 *
 * Damage, applied after the layout is computed:
 *   set FIELD V      store V in a header or sub-header field: the names of
 *                    diskdump_mod.h (header_version, status, block_size,
 *                    sub_hdr_size, bitmap_blocks, max_mapnr,
 *                    total_ram_blocks, device_blocks, written_blocks,
 *                    current_cpu, nr_cpus; phys_base, dump_level, split,
 *                    start_pfn, end_pfn, offset_vmcoreinfo,
 *                    size_vmcoreinfo, offset_note, size_note,
 *                    offset_eraseinfo, size_eraseinfo, start_pfn_64,
 *                    end_pfn_64, max_mapnr_64)
 *   poke OFF SIZE V  store V (SIZE 1, 2, 4 or 8 bytes, dump byte order) at
 *                    file offset OFF
 *   desc A [offset=N] [size=N] [flags=N]
 *                    replace fields of the page descriptor of block A
 *   corrupt A OFF HH ...   overwrite bytes of block A's stored data
 *   datalen A N      block A's stored data encodes N bytes (its block,
 *                    then zeros) instead of block_size
 *   truncate N|LABEL[+N|-N]   the file is exactly that many bytes: cut,
 *                    or padded with zeros.  LABELs (kdump only; -l lists
 *                    them): subheader, notes, vmcoreinfo, bitmap1,
 *                    bitmap2, descs, data, end, desc:A and page:A (the
 *                    descriptor and the data of block A).  For flat,
 *                    lime and raw, the output is cut.
 *
 * Flattened (format flat): the kdump file is cut into records at its
 * region boundaries (header, sub-header, each bitmap, descriptors, each
 * block's data) and every recsize bytes.
 *   flat_recsize N   (default 4096)
 *   flat_shuffle SEED  the records in a pseudo-random order
 *   flat_overlap     first junk records over a third of the real ones,
 *                    then the real ones, then copies of a fifth of them
 *                    with shifted bounds (later records win)
 *   flat_holes       no records for all-zero pieces (they read as zeros)
 *   flat_noend       no end marker
 *   flat_type N, flat_version N   the header's (default 1, 1)
 *   record OFF SIZE [len=N] [fill=B] [first]
 *                    one more record {OFF, SIZE} followed by len (default
 *                    SIZE) bytes of B, after the others or, with first,
 *                    before them
 *
 * KDUMP FILE LAYOUT (bs = block_size)
 *   0                 disk_dump_header, 464 bytes, zero-padded to bs
 *   bs                kdump_sub_header (104 bytes), then the notes, then
 *                     the VMCOREINFO blob; sub_hdr_size blocks in all
 *   (1 + sub) * bs    1st bitmap, then 2nd bitmap, bitmap_blocks / 2 each
 *   (1+sub+bm) * bs   page descriptors (24 bytes), one per dumped block
 *   then              the shared zero block (sharezero), then each dumped
 *                     block's data in block order
 *
 * disk_dump_header (64-bit):  signature 0 (8), header_version 8 (4),
 *   utsname 12 (6 x 65: sysname, nodename, release, version, machine,
 *   domainname), timeval 408 (16), status 424, block_size 428,
 *   sub_hdr_size 432, bitmap_blocks 436, max_mapnr 440, total_ram_blocks
 *   444, device_blocks 448, written_blocks 452, current_cpu 456, nr_cpus
 *   460 (all 4 bytes).
 * kdump_sub_header at bs:  phys_base 0, dump_level 8 (4), split 12 (4),
 *   start_pfn 16, end_pfn 24 (v2), offset_vmcoreinfo 32, size_vmcoreinfo
 *   40 (v3), offset_note 48, size_note 56 (v4), offset_eraseinfo 64,
 *   size_eraseinfo 72 (v5), start_pfn_64 80, end_pfn_64 88, max_mapnr_64
 *   96 (v6); 8 bytes unless noted.  Version 1 defines 12 bytes, 2 48,
 *   3 48, 4 64, 5 80, 6 104 (each adds fields at the end).
 * page_desc:  offset 0 (8), size 8 (4), flags 12 (4), page_flags 16 (8).
 *   flags: zlib 0x1, lzo 0x2, snappy 0x4, zstd 0x20; 0 is raw.
 * Bitmaps: bit n is bit (n & 7) of byte (n >> 3).
 *
 * FLATTENED STREAM:  "makedumpfile" NUL-padded to 16, type (8), version
 *   (8), zeros to 4096; then records of {offset (8), size (8)} + size
 *   bytes; then {-1, -1}.  All big-endian.
 * LIME:  per range, magic 0x4C694D45 (4), version 1 (4), s_addr (8),
 *   e_addr (8, inclusive), reserved (8), then e_addr - s_addr + 1 bytes.
 *   Little-endian.
 */
#include <errno.h>
#include <lzo1x.h>
#include <snappy-c.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#define MAX_LOADS 256
#define MAX_LIST 256
#define MAX_TOKENS 1024
#define MAX_INCLUDE 4
/* The generator builds test files, not dumps: refuse anything larger. */
#define MAX_FILE (256u << 20)

#define HDR_SIZE 464
#define SUB_SIZE 104
#define DESC_SIZE 24
#define PRSTATUS_SIZE 336
#define QEMU_STATE_SIZE 440
#define FLAT_HDR 4096

enum fmt { F_KDUMP, F_FLAT, F_LIME, F_RAW };
enum meth { M_RAW, M_ZLIB, M_LZO, M_SNAPPY, M_ZSTD, M_DEFAULT };
enum vmci_where { V_DEFAULT, V_BLOB, V_NOTE, V_BOTH };

static const struct {
	const char *name;
	uint32_t flag; /* page_desc.flags and header status bit */
} meths[] = {
	[M_RAW] = { "raw", 0 },	       [M_ZLIB] = { "zlib", 0x1 },
	[M_LZO] = { "lzo", 0x2 },      [M_SNAPPY] = { "snappy", 0x4 },
	[M_ZSTD] = { "zstd", 0x20 },
};

/* Header (h) and sub-header (s) fields for "set". */
static const struct {
	const char *name;
	bool sub;
	unsigned off, size;
} fields[] = {
	{ "header_version", false, 8, 4 },
	{ "status", false, 424, 4 },
	{ "block_size", false, 428, 4 },
	{ "sub_hdr_size", false, 432, 4 },
	{ "bitmap_blocks", false, 436, 4 },
	{ "max_mapnr", false, 440, 4 },
	{ "total_ram_blocks", false, 444, 4 },
	{ "device_blocks", false, 448, 4 },
	{ "written_blocks", false, 452, 4 },
	{ "current_cpu", false, 456, 4 },
	{ "nr_cpus", false, 460, 4 },
	{ "phys_base", true, 0, 8 },
	{ "dump_level", true, 8, 4 },
	{ "split", true, 12, 4 },
	{ "start_pfn", true, 16, 8 },
	{ "end_pfn", true, 24, 8 },
	{ "offset_vmcoreinfo", true, 32, 8 },
	{ "size_vmcoreinfo", true, 40, 8 },
	{ "offset_note", true, 48, 8 },
	{ "size_note", true, 56, 8 },
	{ "offset_eraseinfo", true, 64, 8 },
	{ "size_eraseinfo", true, 72, 8 },
	{ "start_pfn_64", true, 80, 8 },
	{ "end_pfn_64", true, 88, 8 },
	{ "max_mapnr_64", true, 96, 8 },
};
#define NFIELDS (sizeof(fields) / sizeof(fields[0]))

/* Bytes of the sub-header that header version v defines (v 1..6). */
static const unsigned sub_len[7] = { 0, 12, 48, 48, 64, 80, 104 };

struct load {
	uint64_t paddr, memsz;
	uint8_t *data;
	enum meth meth;
	bool set_s, set_e, set_magic, set_ver;
	uint64_t s_addr, e_addr, magic, lime_version;
};

struct note {
	char name[64];
	uint32_t type;
	uint8_t *desc;
	size_t len;
	bool force;
	uint64_t dsz;
	bool vmci; /* the VMCOREINFO note */
};

/* A block of the dump: a load's block, or RAM that was excluded. */
struct block {
	uint64_t pfn;
	const uint8_t *data; /* NULL: excluded (not dumped) */
	enum meth meth;
	bool zero;	     /* all zeros (for sharezero) */
	bool unwritten;	     /* after "incomplete A" */
	uint64_t desc_off;   /* file offset of its descriptor */
	uint64_t data_off;   /* file offset of its data */
	uint32_t size, flags;
	uint8_t *stored;     /* what was written (freed at exit) */
};

enum damage { D_DESC, D_CORRUPT, D_DATALEN };
struct patch {
	enum damage kind;
	uint64_t pa;
	bool set_off, set_size, set_flags;
	uint64_t off, size, flags;
	uint8_t bytes[256];
	size_t nbytes;
	uint64_t at; /* D_CORRUPT: offset; D_DATALEN: length */
};

struct poke {
	bool field;	/* a named field, else an offset */
	unsigned idx;	/* fields[] */
	uint64_t off;
	unsigned size;
	uint64_t v;
};

struct record {
	int64_t off, size;
	uint64_t len;
	uint8_t fill;
	bool first;
};

static struct {
	const char *path; /* spec, for messages */
	unsigned line;
	enum fmt format;
	char signature[9];
	int64_t version;
	bool big;
	bool content; /* a note or load was seen: endian is fixed */
	uint64_t bs;
	char machine[65], release[65];
	uint64_t nr_cpus, status;
	bool incomplete, inc_from_set;
	uint64_t inc_from;
	enum meth meth;
	uint64_t dump_level;
	int64_t phys_base;
	bool max_mapnr_set;
	uint64_t max_mapnr;
	bool split;
	uint64_t split_s, split_e;
	bool sharezero, subjunk;

	struct load loads[MAX_LOADS];
	unsigned nloads;
	uint64_t excl[MAX_LIST][2];
	unsigned nexcl;
	struct note notes[MAX_LIST];
	unsigned nnotes;
	char *vmci;
	size_t vmci_len;
	enum vmci_where vmci_where;
	struct patch patches[MAX_LIST];
	unsigned npatches;
	struct poke pokes[MAX_LIST];
	unsigned npokes;
	bool truncate;
	char trunc_label[64];
	int64_t trunc_delta;
	uint64_t trunc_at;

	uint64_t flat_recsize;
	bool flat_shuffle, flat_overlap, flat_holes, flat_noend;
	uint64_t flat_seed;
	int64_t flat_type, flat_version;
	struct record records[MAX_LIST];
	unsigned nrecords;
} g = {
	.format = F_KDUMP,
	.signature = "KDUMP   ",
	.version = 6,
	.bs = 4096,
	.machine = "x86_64",
	.nr_cpus = 1,
	.meth = M_RAW,
	.dump_level = 31,
	.flat_recsize = 4096,
	.flat_type = 1,
	.flat_version = 1,
};

static void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
	va_list ap;

	if (g.line)
		fprintf(stderr, "mkdiskdump: %s:%u: ", g.path, g.line);
	else
		fputs("mkdiskdump: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

static void *
xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (!q)
		die("out of memory (%zu bytes)", n);
	return q;
}

static void *
xcalloc(size_t n)
{
	void *p = calloc(1, n ? n : 1);

	if (!p)
		die("out of memory (%zu bytes)", n);
	return p;
}

/* ------------------------------------------------------------- numbers */

#include "spec.h"

/* A number with an optional leading "-" (two's complement). */
static int64_t
snum(const char *s, const char *what)
{
	if (*s == '-')
		return -(int64_t)num(s + 1, what);
	return (int64_t)num(s, what);
}

static enum meth
meth_by_name(const char *s)
{
	for (unsigned m = 0; m < sizeof(meths) / sizeof(meths[0]); m++)
		if (strcmp(s, meths[m].name) == 0)
			return m;
	die("unknown compression '%s' (zlib, lzo, snappy, zstd, raw)", s);
}

/* ------------------------------------------------------- byte order */

/* Store v in size bytes at p, little- or big-endian. */
static void
put_le(uint8_t *p, unsigned size, uint64_t v)
{
	for (unsigned i = 0; i < size; i++)
		p[i] = v >> (8 * i);
}

static void
put_be(uint8_t *p, unsigned size, uint64_t v)
{
	for (unsigned i = 0; i < size; i++)
		p[size - 1 - i] = v >> (8 * i);
}

/* In the dump's byte order. */
static void
put(uint8_t *p, unsigned size, uint64_t v)
{
	if (g.big)
		put_be(p, size, v);
	else
		put_le(p, size, v);
}

/* ---------------------------------------------------------------- hex */

/* -------------------------------------------------------------- notes */

static struct note *
note_new(const char *name, uint32_t type, size_t len)
{
	if (g.nnotes >= MAX_LIST)
		die("more than %d notes", MAX_LIST);
	if (strlen(name) >= sizeof(g.notes[0].name))
		die("note name too long");
	if (len > MAX_FILE)
		die("note descriptor too large");
	g.content = true;
	struct note *n = &g.notes[g.nnotes++];
	memset(n, 0, sizeof(*n));
	strcpy(n->name, name);
	n->type = type;
	n->desc = xcalloc(len);
	n->len = len;
	return n;
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
	struct note *n = note_new(tok[1], type, len);
	memcpy(n->desc, desc, len);
	n->force = force;
	n->dsz = dsz;
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
	if (n > MAX_LIST)
		die("prstatus count %llu too large", (unsigned long long)n);
	for (uint64_t i = 0; i < n; i++) {
		/* x86_64 struct elf_prstatus: pr_pid at 32, pr_reg at 112. */
		struct note *nt = note_new("CORE", 1, PRSTATUS_SIZE);
		put(nt->desc + 32, 4, i + 1);
		put(nt->desc + 240, 8, rip); /* pr_reg.rip */
		put(nt->desc + 264, 8, rsp); /* pr_reg.rsp */
	}
}

static void
do_qemu(char **tok, int ntok)
{
	static const struct {
		const char *key;
		unsigned off, size;
	} qf[] = {
		{ "version", 0, 4 }, { "size", 4, 4 }, { "rsp", 56, 8 },
		{ "rip", 136, 8 },   { "cr0", 392, 8 }, { "cr2", 408, 8 },
		{ "cr3", 416, 8 },   { "cr4", 424, 8 },
	};
	struct note *n = note_new("QEMU", 0, QEMU_STATE_SIZE);

	/* QEMUCPUState (QEMU target/i386/arch_dump.c), version 1. */
	put(n->desc, 4, 1);
	put(n->desc + 4, 4, QEMU_STATE_SIZE);
	for (int i = 1; i < ntok; i++) {
		const char *v = keyval(tok[i], "descsz");
		if (v) {
			n->force = true;
			n->dsz = num(v, "descsz");
			continue;
		}
		size_t k;
		for (k = 0; k < sizeof(qf) / sizeof(qf[0]); k++) {
			v = keyval(tok[i], qf[k].key);
			if (v) {
				put(n->desc + qf[k].off, qf[k].size,
				    num(v, qf[k].key));
				break;
			}
		}
		if (k == sizeof(qf) / sizeof(qf[0]))
			die("unknown qemu option '%s'", tok[i]);
	}
}

/* -------------------------------------------------------------- loads */

static uint8_t *
load_at(const struct load *l, uint64_t pa, uint64_t len)
{
	if (pa < l->paddr || pa - l->paddr > l->memsz ||
	    len > l->memsz - (pa - l->paddr))
		die("0x%llx (+%llu bytes) is outside this load (0x%llx, "
		    "0x%llx bytes)",
		    (unsigned long long)pa, (unsigned long long)len,
		    (unsigned long long)l->paddr,
		    (unsigned long long)l->memsz);
	return l->data + (pa - l->paddr);
}

static void
do_load(char **tok, int ntok)
{
	bool have_pa = false, have_memsz = false, fill_addr = false;
	bool fill_rand = false;
	uint64_t fill = 0;

	if (g.nloads >= MAX_LOADS)
		die("more than %d loads", MAX_LOADS);
	g.content = true;
	struct load *l = &g.loads[g.nloads++];
	memset(l, 0, sizeof(*l));
	l->meth = M_DEFAULT;
	for (int i = 1; i < ntok; i++) {
		const char *v;
		if ((v = keyval(tok[i], "paddr"))) {
			l->paddr = num(v, "paddr");
			have_pa = true;
		} else if ((v = keyval(tok[i], "memsz"))) {
			l->memsz = num(v, "memsz");
			have_memsz = true;
		} else if ((v = keyval(tok[i], "fill"))) {
			if (strcmp(v, "addr") == 0)
				fill_addr = true;
			else if (strcmp(v, "rand") == 0)
				fill_rand = true;
			else
				fill = num(v, "fill");
		} else if ((v = keyval(tok[i], "compress"))) {
			l->meth = meth_by_name(v);
		} else if ((v = keyval(tok[i], "s_addr"))) {
			l->set_s = true;
			l->s_addr = num(v, "s_addr");
		} else if ((v = keyval(tok[i], "e_addr"))) {
			l->set_e = true;
			l->e_addr = num(v, "e_addr");
		} else if ((v = keyval(tok[i], "magic"))) {
			l->set_magic = true;
			l->magic = num(v, "magic");
		} else if ((v = keyval(tok[i], "lime_version"))) {
			l->set_ver = true;
			l->lime_version = num(v, "lime_version");
		} else {
			die("unknown load option '%s'", tok[i]);
		}
	}
	if (!have_pa || !have_memsz)
		die("load needs paddr= and memsz=");
	if (l->memsz == 0 || l->memsz > MAX_FILE)
		die("memsz 0x%llx: not between 1 and %u bytes",
		    (unsigned long long)l->memsz, MAX_FILE);
	if (l->paddr + (l->memsz - 1) < l->paddr)
		die("load wraps around the address space");
	l->data = xcalloc(l->memsz);
	uint64_t x = l->paddr | 1;
	for (uint64_t i = 0; i < l->memsz; i++) {
		uint64_t pa = l->paddr + i;
		if (fill_rand) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			l->data[i] = x >> 56;
		} else {
			l->data[i] = fill_addr ? (uint8_t)((pa & ~7ULL) >>
							   (8 * (pa & 7)))
					       : (uint8_t)fill;
		}
	}
}

static void
load_data(struct load *l, char **tok, int ntok, const char *rest)
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
		memcpy(load_at(l, pa, len), buf, len);
	} else if (strcmp(op, "fill") == 0) {
		if (ntok != 4)
			die("usage: fill A LEN B");
		uint64_t pa = num(tok[1], "address");
		uint64_t len = num(tok[2], "length");
		memset(load_at(l, pa, len), (int)num(tok[3], "byte"), len);
	} else if (strcmp(op, "u64") == 0 || strcmp(op, "u32") == 0) {
		unsigned size = op[1] == '6' ? 8 : 4;
		if (ntok < 3)
			die("usage: %s A V ...", op);
		uint64_t pa = num(tok[1], "address");
		for (int i = 2; i < ntok; i++, pa += size)
			put(load_at(l, pa, size), size, num(tok[i], "value"));
	} else if (strcmp(op, "entry") == 0) {
		if (ntok != 4)
			die("usage: entry TABLE INDEX VALUE");
		uint64_t t = num(tok[1], "table"), i = num(tok[2], "index");
		if (i >= 512)
			die("table index %llu >= 512", (unsigned long long)i);
		put(load_at(l, t + 8 * i, 8), 8, num(tok[3], "value"));
	} else if (strcmp(op, "text") == 0) {
		if (ntok < 2 || !rest)
			die("usage: text A STRING");
		uint64_t pa = num(tok[1], "address");
		size_t len = strlen(rest);
		memcpy(load_at(l, pa, len), rest, len);
	} else {
		die("unknown directive '%s' in a load block", op);
	}
}

/* ------------------------------------------------------------- damage */

static struct patch *
patch_new(enum damage kind, const char *addr)
{
	if (g.npatches >= MAX_LIST)
		die("more than %d damage lines", MAX_LIST);
	struct patch *p = &g.patches[g.npatches++];
	memset(p, 0, sizeof(*p));
	p->kind = kind;
	p->pa = num(addr, "block address");
	return p;
}

static void
do_damage(char **tok, int ntok)
{
	const char *op = tok[0];

	if (strcmp(op, "desc") == 0) {
		if (ntok < 3)
			die("usage: desc A [offset=N] [size=N] [flags=N]");
		struct patch *p = patch_new(D_DESC, tok[1]);
		for (int i = 2; i < ntok; i++) {
			const char *v;
			if ((v = keyval(tok[i], "offset"))) {
				p->set_off = true;
				p->off = (uint64_t)snum(v, "offset");
			} else if ((v = keyval(tok[i], "size"))) {
				p->set_size = true;
				p->size = num(v, "size");
			} else if ((v = keyval(tok[i], "flags"))) {
				p->set_flags = true;
				p->flags = num(v, "flags");
			} else {
				die("unknown desc option '%s'", tok[i]);
			}
		}
	} else if (strcmp(op, "corrupt") == 0) {
		if (ntok < 4)
			die("usage: corrupt A OFF HH ...");
		struct patch *p = patch_new(D_CORRUPT, tok[1]);
		p->at = num(tok[2], "offset");
		for (int i = 3; i < ntok; i++)
			p->nbytes += hexbytes(tok[i], p->bytes + p->nbytes,
					      sizeof(p->bytes) - p->nbytes);
	} else if (strcmp(op, "datalen") == 0) {
		if (ntok != 3)
			die("usage: datalen A N");
		struct patch *p = patch_new(D_DATALEN, tok[1]);
		p->at = num(tok[2], "length");
		if (p->at == 0 || p->at > (1u << 24))
			die("datalen must be 1..16M");
	}
}

static void
do_set(char **tok, int ntok)
{
	if (g.npokes >= MAX_LIST)
		die("more than %d set/poke lines", MAX_LIST);
	struct poke *p = &g.pokes[g.npokes];
	if (strcmp(tok[0], "set") == 0) {
		if (ntok != 3)
			die("usage: set FIELD V");
		unsigned i;
		for (i = 0; i < NFIELDS; i++)
			if (strcmp(tok[1], fields[i].name) == 0)
				break;
		if (i == NFIELDS)
			die("unknown header field '%s'", tok[1]);
		p->field = true;
		p->idx = i;
		p->v = (uint64_t)snum(tok[2], tok[1]);
	} else {
		if (ntok != 4)
			die("usage: poke OFF SIZE V");
		p->off = num(tok[1], "offset");
		p->size = num(tok[2], "size");
		if (p->size != 1 && p->size != 2 && p->size != 4 &&
		    p->size != 8)
			die("poke size must be 1, 2, 4 or 8");
		p->v = (uint64_t)snum(tok[3], "value");
	}
	g.npokes++;
}

static void
do_truncate(char **tok, int ntok)
{
	if (ntok != 2)
		die("usage: truncate N|LABEL[+N|-N]");
	g.truncate = true;
	if (parse_num(tok[1], &g.trunc_at)) {
		if (g.trunc_at > MAX_FILE)
			die("truncate beyond %u bytes", MAX_FILE);
		return;
	}
	/* LABEL, LABEL+N, LABEL-N; a label may hold ":0x..." itself. */
	const char *s = tok[1];
	size_t n = strcspn(s, "+-");
	if (n >= sizeof(g.trunc_label))
		die("truncate label too long");
	memcpy(g.trunc_label, s, n);
	g.trunc_label[n] = '\0';
	if (s[n])
		g.trunc_delta = s[n] == '-' ? -(int64_t)num(s + n + 1, "delta")
					    : (int64_t)num(s + n + 1, "delta");
}

static void
do_record(char **tok, int ntok)
{
	if (ntok < 3)
		die("usage: record OFF SIZE [len=N] [fill=B] [first]");
	if (g.nrecords >= MAX_LIST)
		die("more than %d records", MAX_LIST);
	struct record *r = &g.records[g.nrecords++];
	memset(r, 0, sizeof(*r));
	r->off = snum(tok[1], "record offset");
	r->size = snum(tok[2], "record size");
	r->len = r->size < 0 ? 0 : (uint64_t)r->size;
	for (int i = 3; i < ntok; i++) {
		const char *v;
		if ((v = keyval(tok[i], "len")))
			r->len = num(v, "len");
		else if ((v = keyval(tok[i], "fill")))
			r->fill = num(v, "fill");
		else if (strcmp(tok[i], "first") == 0)
			r->first = true;
		else
			die("unknown record option '%s'", tok[i]);
	}
	if (r->len > MAX_FILE)
		die("record data longer than %u bytes", MAX_FILE);
}

/* ----------------------------------------------------------- settings */

static void
copy_name(char *dst, const char *src)
{
	if (strcmp(src, "-") == 0)
		src = "";
	if (strlen(src) > 64)
		die("'%s' is longer than 64 bytes", src);
	memset(dst, 0, 65);
	strcpy(dst, src);
}

static enum fmt
format_by_name(const char *s)
{
	static const char *const names[] = { "kdump", "flat", "lime", "raw" };

	for (unsigned i = 0; i < 4; i++)
		if (strcmp(s, names[i]) == 0)
			return i;
	die("unknown format '%s' (kdump, flat, lime, raw)", s);
}

static void
do_setting(char **tok, int ntok)
{
	const char *op = tok[0];

	if (strcmp(op, "format") == 0 && ntok == 2) {
		g.format = format_by_name(tok[1]);
	} else if (strcmp(op, "signature") == 0 && ntok == 2) {
		if (strcmp(tok[1], "KDUMP") == 0)
			memcpy(g.signature, "KDUMP   ", 9);
		else if (strcmp(tok[1], "DISKDUMP") == 0)
			memcpy(g.signature, "DISKDUMP", 9);
		else
			die("signature is KDUMP or DISKDUMP");
	} else if (strcmp(op, "version") == 0 && ntok == 2) {
		g.version = snum(tok[1], "version");
	} else if (strcmp(op, "endian") == 0 && ntok == 2) {
		if (g.content)
			die("endian must come before notes and loads");
		if (strcmp(tok[1], "big") == 0)
			g.big = true;
		else if (strcmp(tok[1], "little") == 0)
			g.big = false;
		else
			die("endian is little or big");
	} else if (strcmp(op, "block_size") == 0 && ntok == 2) {
		g.bs = num(tok[1], "block_size");
		if (g.bs < 512 || g.bs > (1u << 20) || (g.bs & (g.bs - 1)))
			die("block_size must be a power of two, 512..1M");
	} else if (strcmp(op, "machine") == 0 && ntok == 2) {
		copy_name(g.machine, tok[1]);
	} else if (strcmp(op, "release") == 0 && ntok == 2) {
		copy_name(g.release, tok[1]);
	} else if (strcmp(op, "nr_cpus") == 0 && ntok == 2) {
		g.nr_cpus = num(tok[1], "nr_cpus");
	} else if (strcmp(op, "status") == 0 && ntok == 2) {
		g.status = num(tok[1], "status");
	} else if (strcmp(op, "incomplete") == 0 && ntok <= 2) {
		g.incomplete = true;
		if (ntok == 2) {
			g.inc_from_set = true;
			g.inc_from = num(tok[1], "incomplete address");
		}
	} else if (strcmp(op, "compress") == 0 && ntok == 2) {
		g.meth = meth_by_name(tok[1]);
	} else if (strcmp(op, "dump_level") == 0 && ntok == 2) {
		g.dump_level = num(tok[1], "dump_level");
	} else if (strcmp(op, "phys_base") == 0 && ntok == 2) {
		g.phys_base = snum(tok[1], "phys_base");
	} else if (strcmp(op, "max_mapnr") == 0 && ntok == 2) {
		g.max_mapnr_set = true;
		g.max_mapnr = num(tok[1], "max_mapnr");
	} else if (strcmp(op, "split") == 0 && ntok == 3) {
		g.split = true;
		g.split_s = num(tok[1], "split start");
		g.split_e = num(tok[2], "split end");
	} else if (strcmp(op, "sharezero") == 0 && ntok == 1) {
		g.sharezero = true;
	} else if (strcmp(op, "subjunk") == 0 && ntok == 1) {
		g.subjunk = true;
	} else if (strcmp(op, "exclude") == 0 && ntok == 3) {
		if (g.nexcl >= MAX_LIST)
			die("more than %d exclude lines", MAX_LIST);
		g.excl[g.nexcl][0] = num(tok[1], "exclude address");
		g.excl[g.nexcl][1] = num(tok[2], "exclude length");
		g.nexcl++;
	} else if (strcmp(op, "flat_recsize") == 0 && ntok == 2) {
		g.flat_recsize = num(tok[1], "flat_recsize");
		if (g.flat_recsize == 0)
			die("flat_recsize must be > 0");
	} else if (strcmp(op, "flat_shuffle") == 0 && ntok == 2) {
		g.flat_shuffle = true;
		g.flat_seed = num(tok[1], "flat_shuffle seed");
	} else if (strcmp(op, "flat_overlap") == 0 && ntok == 1) {
		g.flat_overlap = true;
	} else if (strcmp(op, "flat_holes") == 0 && ntok == 1) {
		g.flat_holes = true;
	} else if (strcmp(op, "flat_noend") == 0 && ntok == 1) {
		g.flat_noend = true;
	} else if (strcmp(op, "flat_type") == 0 && ntok == 2) {
		g.flat_type = snum(tok[1], "flat_type");
	} else if (strcmp(op, "flat_version") == 0 && ntok == 2) {
		g.flat_version = snum(tok[1], "flat_version");
	} else if (strcmp(op, "record") == 0) {
		do_record(tok, ntok);
	} else if (strcmp(op, "set") == 0 || strcmp(op, "poke") == 0) {
		do_set(tok, ntok);
	} else if (strcmp(op, "truncate") == 0) {
		do_truncate(tok, ntok);
	} else if (strcmp(op, "desc") == 0 || strcmp(op, "corrupt") == 0 ||
		   strcmp(op, "datalen") == 0) {
		do_damage(tok, ntok);
	} else {
		die("unknown directive '%s' (or wrong argument count)", op);
	}
}

/* ------------------------------------------------------------- parser */

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

static void parse_file(const char *path, int depth);

/* Parser state across included files. */
static struct {
	struct load *load; /* inside a load block */
	bool in_vmci;
} ps;

static void
parse(FILE *f, const char *path, int depth)
{
	char *line = NULL, *copy = NULL;
	size_t cap = 0;
	static char *tok[MAX_TOKENS];

	while (getline(&line, &cap, f) >= 0) {
		g.line++;
		if (ps.in_vmci) {
			char *p = line + strspn(line, " \t");
			p[strcspn(p, "\r\n")] = '\0';
			if (!*p || *p == '#')
				continue;
			if (strcmp(p, "end") == 0) {
				ps.in_vmci = false;
				continue;
			}
			size_t n = strlen(p);
			if (g.vmci_len + n + 1 > MAX_FILE)
				die("VMCOREINFO too large");
			g.vmci = xrealloc(g.vmci, g.vmci_len + n + 1);
			memcpy(g.vmci + g.vmci_len, p, n);
			g.vmci[g.vmci_len + n] = '\n';
			g.vmci_len += n + 1;
			continue;
		}
		free(copy);
		copy = strdup(line);
		if (!copy)
			die("out of memory");
		int ntok = tokenize(line, tok);
		if (ntok == 0)
			continue;
		if (ps.load) {
			if (strcmp(tok[0], "end") == 0 && ntok == 1)
				ps.load = NULL;
			else
				load_data(ps.load, tok, ntok, text_rest(copy));
			continue;
		}
		if (strcmp(tok[0], "include") == 0 && ntok == 2) {
			/* Relative to the directory of the including file. */
			char inc[4096];
			const char *slash = strrchr(path, '/');
			if (tok[1][0] == '/' || !slash)
				snprintf(inc, sizeof(inc), "%s", tok[1]);
			else
				snprintf(inc, sizeof(inc), "%.*s/%s",
					 (int)(slash - path), path, tok[1]);
			if (depth >= MAX_INCLUDE)
				die("includes nested too deeply");
			const char *saved_path = g.path;
			unsigned saved_line = g.line;
			parse_file(inc, depth + 1);
			g.path = saved_path;
			g.line = saved_line;
		} else if (strcmp(tok[0], "vmcoreinfo") == 0) {
			if (g.vmci)
				die("a second vmcoreinfo block");
			g.vmci = xcalloc(1);
			g.vmci_where = V_DEFAULT;
			for (int i = 1; i < ntok; i++) {
				if (strcmp(tok[i], "in=blob") == 0)
					g.vmci_where = V_BLOB;
				else if (strcmp(tok[i], "in=note") == 0)
					g.vmci_where = V_NOTE;
				else if (strcmp(tok[i], "in=both") == 0)
					g.vmci_where = V_BOTH;
				else
					die("usage: vmcoreinfo "
					    "[in=blob|note|both]");
			}
			/* Its note goes where the directive stands. */
			note_new("VMCOREINFO", 0, 0)->vmci = true;
			ps.in_vmci = true;
		} else if (strcmp(tok[0], "prstatus") == 0) {
			do_prstatus(tok, ntok);
		} else if (strcmp(tok[0], "qemu") == 0) {
			do_qemu(tok, ntok);
		} else if (strcmp(tok[0], "note") == 0) {
			do_note(tok, ntok);
		} else if (strcmp(tok[0], "load") == 0) {
			do_load(tok, ntok);
			ps.load = &g.loads[g.nloads - 1];
		} else {
			do_setting(tok, ntok);
		}
	}
	if (ferror(f))
		die("reading the spec: %s", strerror(errno));
	free(copy);
	free(line);
}

static void
parse_file(const char *path, int depth)
{
	FILE *f = stdin;

	g.path = path;
	g.line = 0;
	if (strcmp(path, "-") != 0 && strcmp(path, "<stdin>") != 0) {
		f = fopen(path, "r");
		if (!f)
			die("%s: %s", path, strerror(errno));
	}
	parse(f, path, depth);
	if (f != stdin)
		fclose(f);
}

/* ---------------------------------------------------------- the buffer */

struct buf {
	uint8_t *p;
	size_t len, cap;
};

/* n zero bytes at the end of b; returns where they are. */
static uint8_t *
buf_grow(struct buf *b, size_t n)
{
	if (n > MAX_FILE || b->len > MAX_FILE - n)
		die("the file would exceed %u bytes", MAX_FILE);
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		while (cap < b->len + n)
			cap *= 2;
		b->p = xrealloc(b->p, cap);
		b->cap = cap;
	}
	uint8_t *q = b->p + b->len;
	memset(q, 0, n);
	b->len += n;
	return q;
}

static void
buf_add(struct buf *b, const void *data, size_t n)
{
	uint8_t *q = buf_grow(b, n);

	if (n)
		memcpy(q, data, n);
}

/* ---------------------------------------------------------- compression */

/*
 * Compress len bytes of src with method m into *out (malloc'ed); returns
 * the compressed size, or 0 when the method cannot shrink it.
 */
static size_t
compress_block(enum meth m, const uint8_t *src, size_t len, uint8_t **out)
{
	size_t cap = len + len / 8 + 4096, n = 0;
	uint8_t *dst;

	if (m == M_SNAPPY && snappy_max_compressed_length(len) > cap)
		cap = snappy_max_compressed_length(len);
	if (m == M_ZSTD && ZSTD_compressBound(len) > cap)
		cap = ZSTD_compressBound(len);
	dst = xcalloc(cap);
	switch (m) {
	case M_ZLIB: {
		uLongf zn = cap;
		if (compress2(dst, &zn, src, len, Z_BEST_COMPRESSION) != Z_OK)
			die("zlib compress2 failed");
		n = zn;
		break;
	}
	case M_LZO: {
		static bool ready;
		static uint8_t wrk[LZO1X_1_MEM_COMPRESS];
		lzo_uint ln = cap;
		if (!ready && lzo_init() != LZO_E_OK)
			die("lzo_init failed");
		ready = true;
		if (lzo1x_1_compress(src, len, dst, &ln, wrk) != LZO_E_OK)
			die("lzo1x_1_compress failed");
		n = ln;
		break;
	}
	case M_SNAPPY: {
		size_t sn = cap;
		if (snappy_compress((const char *)src, len, (char *)dst,
				    &sn) != SNAPPY_OK)
			die("snappy_compress failed");
		n = sn;
		break;
	}
	case M_ZSTD: {
		size_t r = ZSTD_compress(dst, cap, src, len, 3);
		if (ZSTD_isError(r))
			die("ZSTD_compress: %s", ZSTD_getErrorName(r));
		n = r;
		break;
	}
	default:
		die("internal: compress_block(%d)", m);
	}
	*out = dst;
	return n;
}

/* ------------------------------------------------------- kdump layout */

static struct block *blocks;
static size_t nblocks;

/* Labels for truncate and -l. */
static struct {
	char name[40];
	uint64_t off;
} labels[4096];
static unsigned nlabels;

static void
label(const char *name, uint64_t off)
{
	if (nlabels < sizeof(labels) / sizeof(labels[0])) {
		snprintf(labels[nlabels].name, sizeof(labels[0].name), "%s",
			 name);
		labels[nlabels++].off = off;
	}
}

static int
block_cmp(const void *a, const void *b)
{
	const struct block *x = a, *y = b;

	return x->pfn < y->pfn ? -1 : x->pfn > y->pfn;
}

static struct block *
block_find(uint64_t pa)
{
	if (pa % g.bs)
		die("0x%llx is not the address of a block (block size %llu)",
		    (unsigned long long)pa, (unsigned long long)g.bs);
	uint64_t pfn = pa / g.bs;
	for (size_t i = 0; i < nblocks; i++)
		if (blocks[i].pfn == pfn)
			return &blocks[i];
	return NULL;
}

/* Blocks from loads and exclude lines, sorted by pfn. */
static void
collect_blocks(void)
{
	size_t cap = 0;

	for (unsigned i = 0; i < g.nloads; i++) {
		const struct load *l = &g.loads[i];
		if (l->paddr % g.bs || l->memsz % g.bs)
			die("load at 0x%llx (0x%llx bytes) is not made of "
			    "whole %llu-byte blocks",
			    (unsigned long long)l->paddr,
			    (unsigned long long)l->memsz,
			    (unsigned long long)g.bs);
		for (uint64_t off = 0; off < l->memsz; off += g.bs) {
			if (nblocks == cap) {
				cap = cap ? 2 * cap : 64;
				blocks = xrealloc(blocks,
						  cap * sizeof(*blocks));
			}
			struct block *b = &blocks[nblocks++];
			memset(b, 0, sizeof(*b));
			b->pfn = (l->paddr + off) / g.bs;
			b->data = l->data + off;
			b->meth = l->meth == M_DEFAULT ? g.meth : l->meth;
			b->zero = true;
			for (uint64_t k = 0; k < g.bs && b->zero; k++)
				b->zero = b->data[k] == 0;
		}
	}
	qsort(blocks, nblocks, sizeof(*blocks), block_cmp);
	for (size_t i = 1; i < nblocks; i++)
		if (blocks[i].pfn == blocks[i - 1].pfn)
			die("two loads hold block 0x%llx",
			    (unsigned long long)(blocks[i].pfn * g.bs));
	/*
	 * Excluded RAM stays a range (a test may exclude many GiB): a block
	 * of a load inside one loses its data here, and the 1st bitmap gets
	 * the range's bits when it is written.
	 */
	for (unsigned e = 0; e < g.nexcl; e++) {
		uint64_t a = g.excl[e][0], n = g.excl[e][1];
		if (a % g.bs || n % g.bs || n == 0 || a + n < a)
			die("exclude 0x%llx 0x%llx: not whole blocks",
			    (unsigned long long)a, (unsigned long long)n);
		for (size_t i = 0; i < nblocks; i++)
			if (blocks[i].pfn >= a / g.bs &&
			    blocks[i].pfn < (a + n) / g.bs)
				blocks[i].data = NULL;
	}
	for (size_t i = 0; i < nblocks; i++)
		if (g.inc_from_set && blocks[i].pfn * g.bs >= g.inc_from)
			blocks[i].unwritten = true;
}

/* Whether block pfn lies in an exclude range. */
static bool
excluded(uint64_t pfn)
{
	for (unsigned e = 0; e < g.nexcl; e++)
		if (pfn >= g.excl[e][0] / g.bs &&
		    pfn < (g.excl[e][0] + g.excl[e][1]) / g.bs)
			return true;
	return false;
}

/* The first excluded block >= pfn and < end, else end. */
static uint64_t
next_excluded(uint64_t pfn, uint64_t end)
{
	uint64_t best = end;

	for (unsigned e = 0; e < g.nexcl; e++) {
		uint64_t s = g.excl[e][0] / g.bs;
		uint64_t t = (g.excl[e][0] + g.excl[e][1]) / g.bs;
		uint64_t c = pfn > s ? pfn : s;
		if (c < t && c < best)
			best = c;
	}
	return best;
}

/* Whether block b has a bit in the 2nd bitmap / a descriptor here. */
static bool
dumped(const struct block *b, uint64_t max_mapnr)
{
	return b->data && b->pfn < max_mapnr;
}

static bool
in_this_file(const struct block *b)
{
	return !g.split || (b->pfn >= g.split_s && b->pfn < g.split_e);
}

static void
set_bit(uint8_t *bm, uint64_t bit)
{
	bm[bit >> 3] |= 1u << (bit & 7);
}

/* The stored bytes of block b: compressed per its method, or raw. */
static void
encode_block(struct block *b, const struct patch *datalen)
{
	size_t len = datalen ? datalen->at : g.bs;
	uint8_t *src = xcalloc(len);

	memcpy(src, b->data, len < g.bs ? len : g.bs);
	b->flags = 0;
	if (b->meth != M_RAW) {
		uint8_t *c;
		size_t n = compress_block(b->meth, src, len, &c);
		/* Stored raw when it does not shrink (makedumpfile, QEMU). */
		if (n > 0 && (n < g.bs || datalen)) {
			free(src);
			b->stored = c;
			b->size = n;
			b->flags = meths[b->meth].flag;
			return;
		}
		free(c);
	}
	b->stored = src;
	b->size = len;
}

static void
write_note(struct buf *nb, const struct note *n, size_t *vmci_desc_off)
{
	size_t namesz = strlen(n->name) + 1;
	size_t npad = (namesz + 3) & ~(size_t)3;
	const uint8_t *desc = n->vmci ? (const uint8_t *)g.vmci : n->desc;
	size_t len = n->vmci ? g.vmci_len : n->len;
	size_t dpad = (len + 3) & ~(size_t)3;
	uint8_t *p = buf_grow(nb, 12 + npad + dpad);

	put(p, 4, namesz);
	put(p + 4, 4, n->force ? n->dsz : len);
	put(p + 8, 4, n->type);
	memcpy(p + 12, n->name, namesz);
	if (len)
		memcpy(p + 12 + npad, desc, len);
	if (n->vmci)
		*vmci_desc_off = nb->len - dpad;
}

/* Build the kdump file in out. */
static void
build_kdump(struct buf *out)
{
	uint64_t bs = g.bs;
	int v = g.version < 1 ? 1 : g.version > 6 ? 6 : (int)g.version;

	collect_blocks();
	if (g.split && (g.version < 2 || g.split_s > g.split_e))
		die("split needs version 2+ and start <= end");
	if (g.vmci && g.vmci_where == V_DEFAULT)
		g.vmci_where = v >= 4 ? V_BOTH : V_BLOB;

	uint64_t max_mapnr = g.max_mapnr;
	if (!g.max_mapnr_set) {
		max_mapnr = nblocks ? blocks[nblocks - 1].pfn + 1 : 1;
		for (unsigned e = 0; e < g.nexcl; e++)
			if ((g.excl[e][0] + g.excl[e][1]) / g.bs > max_mapnr)
				max_mapnr = (g.excl[e][0] + g.excl[e][1]) / g.bs;
	}
	if (max_mapnr > ((uint64_t)MAX_FILE * 8) && !g.max_mapnr_set)
		die("max_mapnr too large");

	/* Sub-header area: the struct, the notes, the VMCOREINFO blob. */
	struct buf nb = { 0 };
	size_t vmci_desc = 0;
	bool have_notes = false;
	for (unsigned i = 0; i < g.nnotes; i++) {
		const struct note *n = &g.notes[i];
		if (n->vmci && g.vmci_where == V_BLOB)
			continue;
		write_note(&nb, n, &vmci_desc);
		have_notes = true;
	}
	uint64_t sub_off = bs;
	uint64_t note_off = sub_off + SUB_SIZE;
	uint64_t blob_off = note_off + nb.len;
	uint64_t blob_len = g.vmci && g.vmci_where == V_BLOB ? g.vmci_len : 0;
	uint64_t sub_bytes = SUB_SIZE + nb.len + blob_len;
	uint64_t sub_blocks = (sub_bytes + bs - 1) / bs;

	/* Bitmaps: each whole blocks, max_mapnr bits (at least a block). */
	uint64_t bm_len = (max_mapnr + 7) / 8;
	uint64_t half = (bm_len + bs - 1) / bs * bs;
	if (half == 0)
		half = bs;
	if (half > MAX_FILE / 2)
		die("bitmaps of 0x%llx bytes: too large for a test file; "
		    "use set max_mapnr_64 for huge claims",
		    (unsigned long long)half);
	uint64_t bm1_off = (1 + sub_blocks) * bs;
	uint64_t bm2_off = bm1_off + half;
	uint64_t pd_off = bm2_off + half;

	uint64_t ndesc = 0;
	for (size_t i = 0; i < nblocks; i++)
		if (dumped(&blocks[i], max_mapnr) && in_this_file(&blocks[i]))
			ndesc++;
	uint64_t data_off = pd_off + ndesc * DESC_SIZE;

	uint64_t total = data_off;
	buf_grow(out, total);
	uint8_t *h = out->p;

	/* disk_dump_header */
	memcpy(h, g.signature, 8);
	put(h + 8, 4, (uint64_t)g.version);
	memcpy(h + 12 + 0 * 65, "Linux", 5);
	memcpy(h + 12 + 1 * 65, "mkdiskdump", 10);
	memcpy(h + 12 + 2 * 65, g.release, strlen(g.release));
	memcpy(h + 12 + 4 * 65, g.machine, strlen(g.machine));
	put(h + 408, 8, 1700000000); /* tv_sec */
	uint32_t status = g.status | meths[g.meth].flag |
			  (g.incomplete ? 0x8 : 0);
	put(h + 424, 4, status);
	put(h + 428, 4, bs);
	put(h + 432, 4, sub_blocks);
	put(h + 436, 4, 2 * half / bs);
	put(h + 440, 4, max_mapnr > UINT32_MAX ? UINT32_MAX : max_mapnr);
	/* RAM blocks: the loads' and the excluded ranges' (overlaps once). */
	uint64_t nram = 0;
	for (size_t i = 0; i < nblocks; i++)
		nram += blocks[i].pfn < max_mapnr && !excluded(blocks[i].pfn);
	for (uint64_t pfn = 0, e; (e = next_excluded(pfn, max_mapnr)) <
				  max_mapnr;
	     pfn = e + 1)
		nram++;
	put(h + 444, 4, nram);		  /* total_ram_blocks */
	put(h + 448, 4, max_mapnr);	  /* device_blocks */
	put(h + 452, 4, ndesc);		  /* written_blocks */
	put(h + 456, 4, 0);		  /* current_cpu */
	put(h + 460, 4, g.nr_cpus);

	/* kdump_sub_header: the fields version v defines. */
	uint8_t *s = out->p + sub_off;
	uint64_t start = g.split ? g.split_s : 0;
	uint64_t end = g.split ? g.split_e : max_mapnr;
	put(s + 0, 8, (uint64_t)g.phys_base);
	put(s + 8, 4, g.dump_level);
	if (v >= 2) {
		put(s + 12, 4, g.split);
		put(s + 16, 8, start > UINT32_MAX ? UINT32_MAX : start);
		put(s + 24, 8, end > UINT32_MAX ? UINT32_MAX : end);
	}
	if (v >= 3 && g.vmci) {
		bool blob = g.vmci_where == V_BLOB;
		if (blob || g.vmci_where == V_BOTH) {
			put(s + 32, 8, blob ? blob_off : note_off + vmci_desc);
			put(s + 40, 8, g.vmci_len);
		}
	}
	if (v >= 4 && have_notes) {
		put(s + 48, 8, note_off);
		put(s + 56, 8, nb.len);
	}
	if (v >= 6) {
		put(s + 80, 8, start);
		put(s + 88, 8, end);
		put(s + 96, 8, max_mapnr);
	}
	if (g.subjunk)
		memset(s + sub_len[v], 0xff, SUB_SIZE - sub_len[v]);
	if (nb.len)
		memcpy(out->p + note_off, nb.p, nb.len);
	if (blob_len)
		memcpy(out->p + blob_off, g.vmci, blob_len);
	free(nb.p);

	/* Bitmaps: RAM in the 1st, dumped in the 2nd. */
	for (size_t i = 0; i < nblocks; i++) {
		if (blocks[i].pfn >= max_mapnr)
			continue;
		set_bit(out->p + bm1_off, blocks[i].pfn);
		if (dumped(&blocks[i], max_mapnr))
			set_bit(out->p + bm2_off, blocks[i].pfn);
	}
	for (unsigned e = 0; e < g.nexcl; e++)
		for (uint64_t pfn = g.excl[e][0] / bs;
		     pfn < (g.excl[e][0] + g.excl[e][1]) / bs &&
		     pfn < max_mapnr;
		     pfn++)
			set_bit(out->p + bm1_off, pfn);

	label("header", 0);
	label("subheader", sub_off);
	if (have_notes)
		label("notes", note_off);
	if (g.vmci)
		label("vmcoreinfo", g.vmci_where == V_BLOB
					    ? blob_off
					    : note_off + vmci_desc);
	label("bitmap1", bm1_off);
	label("bitmap2", bm2_off);
	label("descs", pd_off);
	label("data", data_off);

	/* The shared zero block first, then each block's data. */
	uint64_t zero_off = 0;
	bool zero_written = false;
	uint64_t k = 0;
	for (size_t i = 0; i < nblocks; i++) {
		struct block *b = &blocks[i];
		if (!dumped(b, max_mapnr) || !in_this_file(b))
			continue;
		b->desc_off = pd_off + DESC_SIZE * k++;
		char name[40];
		snprintf(name, sizeof(name), "desc:0x%llx",
			 (unsigned long long)(b->pfn * bs));
		label(name, b->desc_off);
		if (b->unwritten)
			continue;
		const struct patch *dl = NULL;
		for (unsigned p = 0; p < g.npatches; p++)
			if (g.patches[p].kind == D_DATALEN &&
			    g.patches[p].pa == b->pfn * bs)
				dl = &g.patches[p];
		if (g.sharezero && b->zero && !dl) {
			if (!zero_written) {
				zero_off = out->len;
				buf_grow(out, bs);
				zero_written = true;
			}
			b->data_off = zero_off;
			b->size = bs;
			b->flags = 0;
		} else {
			encode_block(b, dl);
			for (unsigned p = 0; p < g.npatches; p++) {
				const struct patch *c = &g.patches[p];
				if (c->kind != D_CORRUPT || c->pa != b->pfn * bs)
					continue;
				if (c->at > b->size ||
				    c->nbytes > b->size - c->at)
					die("corrupt 0x%llx: offset %llu + %zu "
					    "bytes is past its %u stored bytes",
					    (unsigned long long)c->pa,
					    (unsigned long long)c->at,
					    c->nbytes, b->size);
				memcpy(b->stored + c->at, c->bytes, c->nbytes);
			}
			b->data_off = out->len;
			buf_add(out, b->stored, b->size);
		}
		snprintf(name, sizeof(name), "page:0x%llx",
			 (unsigned long long)(b->pfn * bs));
		label(name, b->data_off);
	}
	label("end", out->len);

	/* The descriptors (zero for unwritten blocks), then the damage. */
	for (size_t i = 0; i < nblocks; i++) {
		struct block *b = &blocks[i];
		if (!dumped(b, max_mapnr) || !in_this_file(b) || b->unwritten)
			continue;
		uint8_t *d = out->p + b->desc_off;
		put(d, 8, b->data_off);
		put(d + 8, 4, b->size);
		put(d + 12, 4, b->flags);
		put(d + 16, 8, 0); /* page_flags */
	}
	for (unsigned p = 0; p < g.npatches; p++) {
		const struct patch *c = &g.patches[p];
		struct block *b = block_find(c->pa);
		if (!b || !b->data || b->pfn >= max_mapnr || !in_this_file(b))
			die("damage at 0x%llx: no dumped block there",
			    (unsigned long long)c->pa);
		if (c->kind != D_DESC)
			continue;
		uint8_t *d = out->p + b->desc_off;
		if (c->set_off)
			put(d, 8, c->off);
		if (c->set_size)
			put(d + 8, 4, c->size);
		if (c->set_flags)
			put(d + 12, 4, c->flags);
	}
	for (unsigned p = 0; p < g.npokes; p++) {
		const struct poke *pk = &g.pokes[p];
		uint64_t off = pk->field ? (fields[pk->idx].sub ? sub_off : 0) +
						   fields[pk->idx].off
					 : pk->off;
		unsigned size = pk->field ? fields[pk->idx].size : pk->size;
		if (off > out->len || size > out->len - off)
			die("poke at 0x%llx is past the end of the file",
			    (unsigned long long)off);
		put(out->p + off, size, pk->v);
	}
}

/* --------------------------------------------------------- flattened */

static uint64_t
xorshift(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*s = x;
	return x;
}

struct piece {
	uint64_t off, len;
};

static void
flat_record(struct buf *out, int64_t off, int64_t size, const uint8_t *data,
	    uint64_t len, uint8_t fill)
{
	uint8_t *r = buf_grow(out, 16);

	put_be(r, 8, (uint64_t)off);
	put_be(r + 8, 8, (uint64_t)size);
	uint8_t *d = buf_grow(out, len);
	if (data)
		memcpy(d, data, len);
	else
		memset(d, fill, len);
}

static void
flat_extra(struct buf *out, bool first)
{
	for (unsigned i = 0; i < g.nrecords; i++) {
		const struct record *r = &g.records[i];
		if (r->first == first)
			flat_record(out, r->off, r->size, NULL, r->len,
				    r->fill);
	}
}

/* Wrap the kdump file in as a flattened stream into out. */
static void
build_flat(const struct buf *in, struct buf *out)
{
	/* Cut points: the region labels, then every recsize bytes. */
	size_t ncut = 0, cap = nlabels + 2;
	uint64_t *cuts = xcalloc(cap * sizeof(*cuts));
	for (unsigned i = 0; i < nlabels; i++)
		if (strncmp(labels[i].name, "desc:", 5) != 0)
			cuts[ncut++] = labels[i].off;
	cuts[ncut++] = in->len;

	struct piece *pc = NULL;
	size_t npc = 0, pcap = 0;
	uint64_t pos = 0;
	while (pos < in->len) {
		uint64_t next = in->len;
		for (size_t i = 0; i < ncut; i++)
			if (cuts[i] > pos && cuts[i] < next)
				next = cuts[i];
		if (next - pos > g.flat_recsize)
			next = pos + g.flat_recsize;
		bool zero = true;
		for (uint64_t k = pos; k < next && zero; k++)
			zero = in->p[k] == 0;
		if (!(g.flat_holes && zero)) {
			if (npc == pcap) {
				pcap = pcap ? 2 * pcap : 64;
				pc = xrealloc(pc, pcap * sizeof(*pc));
			}
			pc[npc++] = (struct piece){ pos, next - pos };
		}
		pos = next;
	}
	free(cuts);
	if (g.flat_shuffle) {
		uint64_t seed = g.flat_seed * 2654435761u + 0x9e3779b97f4a7c15;
		for (size_t i = npc; i > 1; i--) {
			size_t j = xorshift(&seed) % i;
			struct piece t = pc[i - 1];
			pc[i - 1] = pc[j];
			pc[j] = t;
		}
	}

	uint8_t *h = buf_grow(out, FLAT_HDR);
	memcpy(h, "makedumpfile", 12);
	put_be(h + 16, 8, (uint64_t)g.flat_type);
	put_be(h + 24, 8, (uint64_t)g.flat_version);
	flat_extra(out, true);
	if (g.flat_overlap) {
		/* Junk that the real records, which come later, replace. */
		for (size_t i = 0; i < npc; i += 3) {
			uint64_t len = pc[i].len + 16;
			if (len > in->len - pc[i].off)
				len = in->len - pc[i].off;
			flat_record(out, pc[i].off, len, NULL, len, 0xa5);
		}
	}
	for (size_t i = 0; i < npc; i++)
		flat_record(out, pc[i].off, pc[i].len, in->p + pc[i].off,
			    pc[i].len, 0);
	if (g.flat_overlap) {
		/* The middle half of every fifth record again: same bytes. */
		for (size_t i = 0; i < npc; i += 5) {
			uint64_t off = pc[i].off + pc[i].len / 4;
			uint64_t len = pc[i].len / 2;
			if (len)
				flat_record(out, off, len, in->p + off, len, 0);
		}
	}
	flat_extra(out, false);
	if (!g.flat_noend)
		flat_record(out, -1, -1, NULL, 0, 0);
	free(pc);
}

/* ------------------------------------------------------------- LiME, raw */

static void
build_lime(struct buf *out)
{
	for (unsigned i = 0; i < g.nloads; i++) {
		const struct load *l = &g.loads[i];
		uint8_t *h = buf_grow(out, 32);
		put_le(h, 4, l->set_magic ? l->magic : 0x4c694d45);
		put_le(h + 4, 4, l->set_ver ? l->lime_version : 1);
		put_le(h + 8, 8, l->set_s ? l->s_addr : l->paddr);
		put_le(h + 16, 8,
		       l->set_e ? l->e_addr : l->paddr + l->memsz - 1);
		buf_add(out, l->data, l->memsz);
	}
}

static void
build_raw(struct buf *out)
{
	uint64_t size = 0;

	for (unsigned i = 0; i < g.nloads; i++) {
		const struct load *l = &g.loads[i];
		if (l->paddr > MAX_FILE || l->memsz > MAX_FILE - l->paddr)
			die("raw image larger than %u bytes", MAX_FILE);
		if (l->paddr + l->memsz > size)
			size = l->paddr + l->memsz;
	}
	buf_grow(out, size);
	for (unsigned i = 0; i < g.nloads; i++)
		memcpy(out->p + g.loads[i].paddr, g.loads[i].data,
		       g.loads[i].memsz);
}

/* -------------------------------------------------------------- main */

static uint64_t
truncate_size(void)
{
	if (!g.trunc_label[0])
		return g.trunc_at;
	if (g.format != F_KDUMP)
		die("truncate labels apply to format kdump only");
	for (unsigned i = 0; i < nlabels; i++) {
		if (strcmp(labels[i].name, g.trunc_label) != 0)
			continue;
		int64_t v = (int64_t)labels[i].off + g.trunc_delta;
		if (v < 0 || v > (int64_t)MAX_FILE)
			die("truncate %s%+lld is out of range", g.trunc_label,
			    (long long)g.trunc_delta);
		return (uint64_t)v;
	}
	die("no label '%s' in this dump (mkdiskdump -l lists them)",
	    g.trunc_label);
}

int
main(int argc, char **argv)
{
	const char *outpath = NULL, *force = NULL;
	bool list = false;
	FILE *out = stdout;
	int i = 1;

	for (; i < argc; i++) {
		if (strcmp(argv[i], "-l") == 0) {
			list = true;
		} else if (strcmp(argv[i], "-F") == 0 && i + 1 < argc) {
			force = argv[++i];
		} else if (strcmp(argv[i], "-o") == 0 && i + 1 < argc) {
			outpath = argv[++i];
		} else {
			break;
		}
	}
	if (argc - i > 1 || (i < argc && argv[i][0] == '-' && argv[i][1])) {
		fputs("usage: mkdiskdump [-l] [-F FORMAT] [-o OUTPUT] [SPEC]\n",
		      stderr);
		return 2;
	}
	parse_file(i < argc ? argv[i] : "<stdin>", 0);
	if (force)
		g.format = format_by_name(force);
	if (ps.in_vmci)
		die("vmcoreinfo without end");
	if (ps.load)
		die("load without end");
	g.line = 0;

	struct buf file = { 0 }, wrapped = { 0 };
	const struct buf *res = &file;
	switch (g.format) {
	case F_KDUMP:
		build_kdump(&file);
		break;
	case F_FLAT:
		build_kdump(&file);
		build_flat(&file, &wrapped);
		res = &wrapped;
		break;
	case F_LIME:
		build_lime(&file);
		break;
	case F_RAW:
		build_raw(&file);
		break;
	}
	if (list)
		for (unsigned k = 0; k < nlabels; k++)
			fprintf(stderr, "%-24s 0x%llx\n", labels[k].name,
				(unsigned long long)labels[k].off);

	uint64_t size = g.truncate ? truncate_size() : res->len;
	uint64_t have = size < res->len ? size : res->len;
	if (outpath) {
		out = fopen(outpath, "wb");
		if (!out)
			die("%s: %s", outpath, strerror(errno));
	}
	if (have && fwrite(res->p, 1, have, out) != have)
		die("write: %s", strerror(errno));
	for (uint64_t k = have; k < size; k++)
		if (putc(0, out) == EOF)
			die("write: %s", strerror(errno));
	if (fflush(out) != 0 || ferror(out))
		die("write: %s", strerror(errno));
	if (out != stdout && fclose(out) != 0)
		die("close: %s", strerror(errno));

	for (size_t k = 0; k < nblocks; k++)
		free(blocks[k].stored);
	free(blocks);
	for (unsigned k = 0; k < g.nloads; k++)
		free(g.loads[k].data);
	for (unsigned k = 0; k < g.nnotes; k++)
		free(g.notes[k].desc);
	free(g.vmci);
	free(file.p);
	free(wrapped.p);
	return 0;
}
