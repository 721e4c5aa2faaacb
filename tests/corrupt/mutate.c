// SPDX-License-Identifier: BSD-2-Clause
/*
 * The attacker of the corruption matrix (issue 9 item 2): from one real
 * dump, the list of damaged copies to try, and any one of them written as
 * a sparse copy.  It knows each format's layout from the specs, not from
 * the library (it links nothing of it): ELF core (elf(5), ELF notes),
 * makedumpfile's kdump-compressed format (diskdump_mod.h: disk_dump_header,
 * kdump_sub_header, the two bitmaps, page_desc), its flattened stream
 * (makedumpfile.h: makedumpfile_header, makedumpfile_data_header, big-
 * endian) and our own kcore stream (src/kvmdump_disk.h's comment).
 *
 *   mutate list DUMP          print the case names, one a line
 *   mutate apply DUMP COPY CASE   write COPY: DUMP with CASE applied
 *
 * Every random choice comes from one xorshift64 generator seeded with
 * MUTATE_SEED (below) and the order the cases are generated in, so a case
 * name means the same bytes on every run and every machine.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* The fixed seed of the matrix; documented in tests/corrupt/README. */
#define MUTATE_SEED 0x6b636f7265ULL /* "kcore" */
#define NRANDOM 8		     /* random points of each random kind */

/* ------------------------------------------------------------------ */
/* Cases: a truncation and/or byte patches at physical file offsets    */
/* ------------------------------------------------------------------ */

struct patch {
	uint64_t off;
	uint32_t len;
	uint8_t b[16];
};

struct mcase {
	char name[96];
	uint64_t trunc; /* UINT64_MAX: keep the size */
	struct patch *p;
	size_t np, cap;
	bool fixcrc; /* kcore stream: recompute the header CRCs */
};

static struct mcase *cases;
static size_t ncases, capcases;
static const char *want; /* apply: only this case is kept */

static const uint8_t *src; /* the whole dump, mapped */
static uint64_t srcsize;
static uint64_t rng = MUTATE_SEED;

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("mutate: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(2);
}

static uint64_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static uint64_t
rndn(uint64_t n)
{
	return n ? rnd() % n : 0;
}

/* A new case; NULL when apply wants another one (patches then go nowhere). */
static struct mcase *newcase(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

static struct mcase *
newcase(const char *fmt, ...)
{
	static struct mcase scratch;
	char name[96];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(name, sizeof(name), fmt, ap);
	va_end(ap);
	for (size_t i = 0; i < ncases; i++)
		if (strcmp(cases[i].name, name) == 0)
			return NULL; /* the same point twice: keep the first */
	if (want && strcmp(want, name) != 0) {
		/* Still counted, so that list and apply agree. */
		if (ncases == capcases) {
			capcases = capcases ? 2 * capcases : 256;
			cases = realloc(cases, capcases * sizeof(*cases));
			if (!cases)
				die("out of memory");
		}
		memset(&cases[ncases], 0, sizeof(cases[0]));
		snprintf(cases[ncases].name, sizeof(cases[0].name), "%s", name);
		cases[ncases].trunc = UINT64_MAX;
		ncases++;
		memset(&scratch, 0, sizeof(scratch));
		scratch.trunc = UINT64_MAX;
		return &scratch;
	}
	if (ncases == capcases) {
		capcases = capcases ? 2 * capcases : 256;
		cases = realloc(cases, capcases * sizeof(*cases));
		if (!cases)
			die("out of memory");
	}
	struct mcase *c = &cases[ncases++];
	memset(c, 0, sizeof(*c));
	snprintf(c->name, sizeof(c->name), "%s", name);
	c->trunc = UINT64_MAX;
	return c;
}

/* True when c is a scratch case (apply wants another): skip the work. */
static bool
idle(const struct mcase *c)
{
	return !c || !want || strcmp(c->name, want) != 0;
}

static void
phys_patch(struct mcase *c, uint64_t off, const void *b, uint32_t len)
{
	if (idle(c))
		return;
	if (c->np && len == 1 && c->p[c->np - 1].len < 16 &&
	    c->p[c->np - 1].off + c->p[c->np - 1].len == off) {
		struct patch *q = &c->p[c->np - 1];
		q->b[q->len++] = *(const uint8_t *)b;
		return;
	}
	while (len > 0) {
		uint32_t n = len > 16 ? 16 : len;
		if (c->np == c->cap) {
			c->cap = c->cap ? 2 * c->cap : 16;
			c->p = realloc(c->p, c->cap * sizeof(*c->p));
			if (!c->p)
				die("out of memory");
		}
		struct patch *p = &c->p[c->np++];
		p->off = off;
		p->len = n;
		memcpy(p->b, b, n);
		off += n;
		b = (const uint8_t *)b + n;
		len -= n;
	}
}

static void
trunc_case(const char *what, uint64_t at)
{
	static uint64_t seen[1024];
	static size_t nseen;

	if (at >= srcsize)
		return;
	for (size_t i = 0; i < nseen; i++)
		if (seen[i] == at)
			return; /* the same point under another name */
	if (nseen < 1024)
		seen[nseen++] = at;
	struct mcase *c = newcase("trunc-%s@%" PRIu64, what, at);
	if (c)
		c->trunc = at;
}

/* ------------------------------------------------------------------ */
/* The logical view: the file itself, or the file a flattened stream   */
/* stands for (records of (offset, size) then data; later ones win).   */
/* ------------------------------------------------------------------ */

struct rec {
	uint64_t loff, size, foff;
};
static struct rec *recs;
static size_t nrecs;
static bool flat;
static bool lite; /* kdump through the flattened view: fewer cases */
static uint64_t lsize; /* size of the logical file */

static uint64_t
be64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static uint64_t
le(const uint8_t *p, int n)
{
	uint64_t v = 0;
	for (int i = n - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* File offset of logical byte off, or UINT64_MAX. */
static uint64_t
l2f(uint64_t off)
{
	if (!flat)
		return off < srcsize ? off : UINT64_MAX;
	uint64_t r = UINT64_MAX;
	size_t lo = 0, hi = nrecs;
	while (lo < hi) { /* last record starting at or before off */
		size_t mid = (lo + hi) / 2;
		if (recs[mid].loff <= off)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo > 0 && off - recs[lo - 1].loff < recs[lo - 1].size)
		r = recs[lo - 1].foff + (off - recs[lo - 1].loff);
	return r;
}

/* n logical bytes at off into b; false if any is not in the file. */
static bool
lread(uint64_t off, void *b, size_t n)
{
	uint8_t *d = b;
	for (size_t i = 0; i < n; i++) {
		uint64_t f = l2f(off + i);
		if (f == UINT64_MAX)
			return false;
		d[i] = src[f];
	}
	return true;
}

static uint64_t
lget(uint64_t off, int n)
{
	uint8_t b[8] = { 0 };
	lread(off, b, n);
	return le(b, n);
}

static void
lpatch(struct mcase *c, uint64_t off, const void *b, uint32_t len)
{
	if (idle(c))
		return;
	const uint8_t *s = b;
	for (uint32_t i = 0; i < len; i++) {
		uint64_t f = l2f(off + i);
		if (f != UINT64_MAX)
			phys_patch(c, f, &s[i], 1);
	}
}

static void
lput(struct mcase *c, uint64_t off, uint64_t v, int n)
{
	uint8_t b[8];
	for (int i = 0; i < n; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	lpatch(c, off, b, n);
}

/* One case that sets an n-byte little-endian field. */
static void
field(const char *pfx, const char *fname, uint64_t off, int n, uint64_t v)
{
	struct mcase *c = newcase("%s-%s=0x%" PRIx64, pfx, fname, v);
	lput(c, off, v, n);
}

/* Random byte flips inside [lo, hi) of the logical file. */
static void
random_flips(const char *what, uint64_t lo, uint64_t hi, int ncase,
	     int nbytes)
{
	if (hi <= lo)
		return;
	for (int k = 0; k < ncase; k++) {
		struct mcase *c = newcase("flip-%s-%d", what, k);
		for (int j = 0; j < nbytes; j++) {
			uint64_t off = lo + rndn(hi - lo);
			uint8_t v = (uint8_t)(lget(off, 1) ^ (1u << rndn(8)));
			if (rndn(4) == 0)
				v = (uint8_t)rnd();
			lpatch(c, off, &v, 1);
		}
	}
}

/* ------------------------------------------------------------------ */
/* VMCOREINFO text: removal is per format; garbling is shared          */
/* ------------------------------------------------------------------ */

/* The first NJUNK keys also get a value that does not parse. */
#define NJUNK 5
static const char *const vmci_keys[] = {
	"OSRELEASE", "PAGESIZE", "KERNELOFFSET", "SYMBOL(swapper_pg_dir)",
	"SYMBOL(prb)", "SYMBOL(init_top_pgt)", "NUMBER(pgtable_l5_enabled)",
	"SYMBOL(kallsyms_names)", "SYMBOL(kallsyms_num_syms)",
	"SYMBOL(kallsyms_token_table)", "SYMBOL(kallsyms_token_index)",
	"SYMBOL(kallsyms_offsets)", "SYMBOL(kallsyms_relative_base)",
	"SYMBOL(init_uts_ns)", "OFFSET(printk_ringbuffer.desc_ring)",
	"OFFSET(printk_ringbuffer.text_data_ring)", "SIZE(prb_desc)",
	"OFFSET(prb_desc_ring.count_bits)", "OFFSET(prb_desc_ring.descs)",
	"SIZE(printk_info)", "OFFSET(printk_info.text_len)",
	"OFFSET(prb_data_ring.size_bits)", "OFFSET(prb_desc.text_blk_lpos)",
	"NUMBER(phys_base)", "NUMBER(VA_BITS)", "NUMBER(kimage_voffset)",
	"NUMBER(PHYS_OFFSET)", "NUMBER(TCR_EL1_T1SZ)", "CRASHTIME",
};

/*
 * Garble the VMCOREINFO texts at logical [off[i], off[i]+len[i]): every
 * copy alike, so that no intact copy is left to fall back on.
 */
static void
vmci_cases(const char *pfx, const uint64_t *off, const uint64_t *len, int n,
	   bool full)
{
	if (n == 0 || len[0] == 0 || len[0] > (1u << 20))
		return;
	char *t = malloc(len[0] + 1);
	if (!t || !lread(off[0], t, len[0])) {
		free(t);
		return;
	}
	t[len[0]] = 0;
	struct mcase *c;

	c = newcase("%s-vmci-nul", pfx);
	for (int i = 0; i < n; i++)
		lput(c, off[i], 0, 1);
	for (int w = 0; w < 2; w++) {
		c = newcase("%s-vmci-no-%s", pfx, w ? "equals" : "newlines");
		if (idle(c))
			continue;
		for (uint64_t j = 0; j < len[0]; j++)
			if (t[j] == (w ? '=' : '\n'))
				for (int i = 0; i < n; i++)
					lput(c, off[i] + j, w ? ':' : ' ', 1);
	}
	c = newcase("%s-vmci-all-ff", pfx);
	for (int i = 0; i < n; i++)
		for (uint64_t j = 0; j < len[0]; j++)
			lput(c, off[i] + j, 0xff, 1);

	/* One key's value: all zeros, all f's (hex) or 9s (decimal). */
	size_t nkeys = full ? sizeof(vmci_keys) / sizeof(vmci_keys[0]) : NJUNK;
	for (size_t k = 0; k < nkeys; k++) {
		size_t kl = strlen(vmci_keys[k]);
		char *p = t;
		while ((p = strstr(p, vmci_keys[k]))) {
			if ((p == t || p[-1] == '\n') && p[kl] == '=')
				break;
			p++;
		}
		if (!p)
			continue;
		uint64_t v0 = (uint64_t)(p - t) + kl + 1;
		uint64_t vl = 0;
		bool hex = false;
		while (v0 + vl < len[0] && t[v0 + vl] != '\n') {
			if (strchr("abcdefxABCDEFX", t[v0 + vl]))
				hex = true;
			vl++;
		}
		if (vl == 0)
			continue;
		for (int var = 0; var < (k < NJUNK ? 3 : 2); var++) {
			if (lite && var != 1)
				continue;
			static const char *vn[] = { "zero", "max", "junk" };
			c = newcase("%s-vmci-%s-%s", pfx, vmci_keys[k], vn[var]);
			for (uint64_t j = 0; j < vl; j++) {
				char ch = var == 0 ? '0'
					  : var == 1 ? (hex ? 'f' : '9')
						     : "Z%-\x01 (" [j % 6];
				for (int i = 0; i < n; i++)
					lput(c, off[i] + v0 + j, (uint8_t)ch,
					     1);
			}
		}
	}
	for (int r = 0; r < (full ? NRANDOM : NRANDOM / 2); r++) {
		c = newcase("%s-vmci-random-%d", pfx, r);
		for (int j = 0; j < 16; j++) {
			uint64_t at = rndn(len[0]);
			uint8_t v = (uint8_t)rnd();
			for (int i = 0; i < n; i++)
				lput(c, off[i] + at, v, 1);
		}
	}
	free(t);
}

/* ------------------------------------------------------------------ */
/* ELF notes (in an ELF PT_NOTE or kdump's offset_note)                */
/* ------------------------------------------------------------------ */

#define MAXNOTES 6
static uint64_t vmci_off[4], vmci_len[4];
static int nvmci;

static void
note_cases(const char *pfx, uint64_t off, uint64_t size, bool truncs)
{
	uint64_t p = off, end = off + size;
	int j = 0;
	while (p + 12 <= end && j < MAXNOTES) {
		uint32_t namesz = (uint32_t)lget(p, 4);
		uint32_t descsz = (uint32_t)lget(p + 4, 4);
		uint32_t type = (uint32_t)lget(p + 8, 4);
		uint64_t name = p + 12;
		uint64_t desc = name + ((namesz + 3ull) & ~3ull);
		uint64_t next = desc + ((descsz + 3ull) & ~3ull);
		char nm[16] = "";
		lread(name, nm, namesz < 15 ? namesz : 15);
		char tag[48];
		snprintf(tag, sizeof(tag), "%s-note%d", pfx, j);
		if (truncs && !flat) {
			trunc_case(tag, p + 6);
			trunc_case(tag, name + namesz / 2);
			trunc_case(tag, desc + descsz / 2);
		}
		field(tag, "namesz", p, 4, 0xffffffff);
		field(tag, "namesz", p, 4, 0);
		field(tag, "descsz", p + 4, 4, 0xffffffff);
		field(tag, "descsz", p + 4, 4, 0x7ffffffc);
		field(tag, "descsz", p + 4, 4, descsz > 8 ? descsz / 2 : 1);
		field(tag, "type", p + 8, 4, type == 1 ? 0 : 1);
		struct mcase *c = newcase("%s-desc-ff", tag);
		for (uint64_t k = 0; k < descsz && desc + k < end; k++)
			lput(c, desc + k, 0xff, 1);
		if (strcmp(nm, "VMCOREINFO") == 0 && nvmci < 4) {
			vmci_off[nvmci] = desc;
			vmci_len[nvmci++] = descsz;
		}
		p = next;
		j++;
	}
}

/* ------------------------------------------------------------------ */
/* ELF core                                                            */
/* ------------------------------------------------------------------ */

static void
gen_elf(void)
{
	const uint8_t *e = src;
	if (srcsize < 64 || e[4] != 2 || e[5] != 1)
		die("only little-endian ELF64 dumps are mutated");
	uint64_t phoff = le(e + 32, 8);
	uint16_t phentsize = (uint16_t)le(e + 54, 2);
	uint16_t phnum = (uint16_t)le(e + 56, 2);
	uint16_t machine = (uint16_t)le(e + 18, 2);
	if (phentsize != 56 || phoff + (uint64_t)phnum * 56 > srcsize)
		die("bad program headers");

	/* Truncations at every header and table boundary. */
	trunc_case("ehdr", 0);
	trunc_case("ehdr", 1);
	trunc_case("ehdr", 16);
	trunc_case("ehdr", 63);
	trunc_case("ehdr", 64);
	for (int i = 0; i < phnum; i++) {
		char tag[16];
		snprintf(tag, sizeof(tag), "phdr%d", i);
		trunc_case(tag, phoff + i * 56ull);
		trunc_case(tag, phoff + i * 56ull + 28);
	}
	trunc_case("phdrs-end", phoff + phnum * 56ull);

	/* The ELF header. */
	field("ehdr", "class", 4, 1, 1);
	field("ehdr", "class", 4, 1, 0x7f);
	field("ehdr", "data", 5, 1, 2);
	field("ehdr", "version", 6, 1, 0);
	field("ehdr", "type", 16, 2, 2);
	field("ehdr", "machine", 18, 2, 0);
	field("ehdr", "machine", 18, 2, 0xffff);
	field("ehdr", "machine", 18, 2, machine == 62 ? 183 : 62);
	field("ehdr", "machine", 18, 2, 3);
	field("ehdr", "phoff", 32, 8, 0);
	field("ehdr", "phoff", 32, 8, 1);
	field("ehdr", "phoff", 32, 8, srcsize - 8);
	field("ehdr", "phoff", 32, 8, 0xffffffffffffff00ull);
	field("ehdr", "ehsize", 52, 2, 0);
	field("ehdr", "phentsize", 54, 2, 0);
	field("ehdr", "phentsize", 54, 2, 32);
	field("ehdr", "phentsize", 54, 2, 0xffff);
	field("ehdr", "phnum", 56, 2, 0);
	field("ehdr", "phnum", 56, 2, 1);
	field("ehdr", "phnum", 56, 2, phnum + 1);
	field("ehdr", "phnum", 56, 2, 0xffff);
	field("ehdr", "shoff", 40, 8, 0xffffffffffffffffull);
	field("ehdr", "shnum", 60, 2, 0xffff);

	/* Each program header. */
	uint64_t hdr_end = phoff + phnum * 56ull;
	uint64_t load_lo = UINT64_MAX, load_hi = 0;
	for (int i = 0; i < phnum; i++) {
		uint64_t ph = phoff + i * 56ull;
		uint32_t type = (uint32_t)le(e + ph, 4);
		uint64_t off = le(e + ph + 8, 8);
		uint64_t paddr = le(e + ph + 24, 8);
		uint64_t filesz = le(e + ph + 32, 8);
		char tag[16];
		snprintf(tag, sizeof(tag), "phdr%d", i);
		field(tag, "type", ph, 4, type == 1 ? 4 : 1);
		field(tag, "offset", ph + 8, 8, 0xfffffffffffff000ull);
		field(tag, "offset", ph + 8, 8, srcsize);
		field(tag, "offset", ph + 8, 8, off + 1);
		field(tag, "filesz", ph + 32, 8, 0xffffffffffffffffull);
		field(tag, "filesz", ph + 32, 8, 0);
		field(tag, "filesz", ph + 32, 8, filesz + 1);
		if (type == 1) {
			field(tag, "memsz", ph + 40, 8, 0xffffffffffffffffull);
			field(tag, "memsz", ph + 40, 8, 0);
			field(tag, "paddr", ph + 24, 8, 0xfffffffffffff000ull);
			field(tag, "paddr", ph + 24, 8, paddr + 0x1000);
			if (!flat) {
				trunc_case(tag, off);
				trunc_case(tag, off + 4096 + 17);
				trunc_case(tag, off + filesz / 2);
				trunc_case(tag, off + filesz - 1);
			}
			if (off < load_lo)
				load_lo = off;
			if (off + filesz > load_hi && off + filesz <= srcsize)
				load_hi = off + filesz;
		} else if (type == 4 && off + filesz <= srcsize) {
			note_cases(tag, off, filesz, true);
			trunc_case("notes-end", off + filesz);
			if (off + filesz > hdr_end)
				hdr_end = off + filesz;
		}
	}

	/* VMCOREINFO removed, then garbled. */
	struct mcase *c = newcase("vmci-removed");
	for (int i = 0; i < nvmci; i++)
		lput(c, vmci_off[i] - 4, 'X', 1); /* "VMCOREINFX" */
	vmci_cases("elf", vmci_off, vmci_len, nvmci, true);

	/* Random damage: headers and notes, then the memory itself. */
	random_flips("headers", 0, hdr_end, 2 * NRANDOM, 4);
	if (load_lo < load_hi)
		random_flips("data", load_lo, load_hi, NRANDOM / 2, 4096);
	for (int r = 0; r < NRANDOM; r++)
		trunc_case("random", 1 + rndn(srcsize - 1));
}

/* ------------------------------------------------------------------ */
/* kdump-compressed (plain or through the flattened view)              */
/* ------------------------------------------------------------------ */

static uint64_t
popcount_range(uint64_t off, uint64_t n)
{
	uint64_t c = 0;
	for (uint64_t i = 0; i < n; i++)
		c += (uint64_t)__builtin_popcount((unsigned)lget(off + i, 1));
	return c;
}

static void
gen_kdump(void)
{
	const char *P = flat ? "flat-kdump" : "kdump";
	if (lget(0, 8) == 0 || lsize < 464)
		die("no kdump header");
	int32_t version = (int32_t)lget(8, 4);
	uint32_t bs = (uint32_t)lget(428, 4);
	int32_t subblocks = (int32_t)lget(432, 4);
	uint32_t bmblocks = (uint32_t)lget(436, 4);
	uint32_t maxmapnr = (uint32_t)lget(440, 4);
	if (bs < 512 || bs > (1u << 20) || subblocks < 0 || bmblocks == 0)
		die("implausible kdump header");
	uint64_t sub = bs;
	uint64_t bm = (1 + (uint64_t)subblocks) * bs;
	uint64_t bmlen = (uint64_t)bmblocks * bs;
	uint64_t desc = bm + bmlen;
	uint64_t ndesc = popcount_range(bm + bmlen / 2, bmlen / 2);
	uint64_t data = desc + ndesc * 24;
	uint64_t max64 = version >= 6 ? lget(sub + 96, 8) : maxmapnr;
	uint64_t ovmci = version >= 3 ? lget(sub + 32, 8) : 0;
	uint64_t svmci = version >= 3 ? lget(sub + 40, 8) : 0;
	uint64_t onote = version >= 4 ? lget(sub + 48, 8) : 0;
	uint64_t snote = version >= 4 ? lget(sub + 56, 8) : 0;
	char tag[40];

	if (!flat) {
		trunc_case("dh", 0);
		trunc_case("dh", 8);
		trunc_case("dh", 12);
		trunc_case("dh", 430);
		trunc_case("dh-end", 464);
		trunc_case("sub", sub);
		trunc_case("sub", sub + 40);
		trunc_case("sub-end", sub + 104);
		trunc_case("bitmap1", bm);
		trunc_case("bitmap1", bm + bmlen / 4);
		trunc_case("bitmap2", bm + bmlen / 2);
		trunc_case("bitmap2", bm + bmlen * 3 / 4);
		trunc_case("descs", desc);
		trunc_case("descs", desc + 12);
		trunc_case("descs", desc + ndesc / 2 * 24);
		trunc_case("descs-end", data - 1);
		trunc_case("data", data);
		trunc_case("data", data + 100);
		trunc_case("data", data + (lsize - data) / 2);
		trunc_case("data", lsize - 1);
		if (svmci)
			trunc_case("vmcoreinfo", ovmci + svmci / 2);
		for (int r = 0; r < NRANDOM; r++)
			trunc_case("random", 1 + rndn(srcsize - 1));
	}

	if (lite) { /* the kdump reader behind the flattened one */
		snprintf(tag, sizeof(tag), "%s-dh", P);
		field(tag, "block_size", 428, 4, 0);
		field(tag, "block_size", 428, 4, 0x7fffffff);
		field(tag, "bitmap_blocks", 436, 4, 0xffffffff);
		field(tag, "max_mapnr", 440, 4, 0xffffffff);
		snprintf(tag, sizeof(tag), "%s-sub", P);
		field(tag, "offset_vmcoreinfo", sub + 32, 8,
		      0xffffffffffffffffull);
		field(tag, "size_vmcoreinfo", sub + 40, 8,
		      0xffffffffffffffffull);
		field(tag, "offset_note", sub + 48, 8, lsize - 4);
		field(tag, "size_note", sub + 56, 8, 0xffffffffffffffffull);
		field(tag, "max_mapnr_64", sub + 96, 8,
		      0xffffffffffffffffull);
		field(tag, "max_mapnr_64", sub + 96, 8, max64 * 2);
	} else {
		/* disk_dump_header */
		snprintf(tag, sizeof(tag), "%s-dh", P);
		field(tag, "signature", 0, 1, 'X');
		field(tag, "header_version", 8, 4, 0);
		field(tag, "header_version", 8, 4, 0xffffffff);
		field(tag, "header_version", 8, 4, 7);
		field(tag, "header_version", 8, 4, 2);
		field(tag, "machine", 12 + 4 * 65, 1, 'Z');
		field(tag, "release", 12 + 2 * 65, 8, 0x4141414141414141ull);
		field(tag, "status", 424, 4, 0);
		field(tag, "status", 424, 4, 0xffffffff);
		field(tag, "status", 424, 4, 8);
		field(tag, "block_size", 428, 4, 0);
		field(tag, "block_size", 428, 4, 1);
		field(tag, "block_size", 428, 4, bs - 1);
		field(tag, "block_size", 428, 4, bs * 2);
		field(tag, "block_size", 428, 4, 0x80000000);
		field(tag, "block_size", 428, 4, 0x7fffffff);
		field(tag, "sub_hdr_size", 432, 4, 0);
		field(tag, "sub_hdr_size", 432, 4, 0xffffffff);
		field(tag, "sub_hdr_size", 432, 4, 0x7fffffff);
		field(tag, "bitmap_blocks", 436, 4, 0);
		field(tag, "bitmap_blocks", 436, 4, 1);
		field(tag, "bitmap_blocks", 436, 4, bmblocks + 2);
		field(tag, "bitmap_blocks", 436, 4, 0xffffffff);
		field(tag, "max_mapnr", 440, 4, 0);
		field(tag, "max_mapnr", 440, 4, 0xffffffff);
		field(tag, "nr_cpus", 460, 4, 0xffffffff);
		field(tag, "nr_cpus", 460, 4, 0x7fffffff);

		/* kdump_sub_header */
		snprintf(tag, sizeof(tag), "%s-sub", P);
		field(tag, "phys_base", sub, 8, 0xfffffffffffff000ull);
		field(tag, "dump_level", sub + 8, 4, 0xffffffff);
		field(tag, "split", sub + 12, 4, 1);
		field(tag, "start_pfn", sub + 16, 8, 0xffffffff);
		field(tag, "end_pfn", sub + 24, 8, 1);
		field(tag, "offset_vmcoreinfo", sub + 32, 8, 0);
		field(tag, "offset_vmcoreinfo", sub + 32, 8, 0xffffffffffffffffull);
		field(tag, "offset_vmcoreinfo", sub + 32, 8, lsize - 1);
		field(tag, "size_vmcoreinfo", sub + 40, 8, 0);
		field(tag, "size_vmcoreinfo", sub + 40, 8, 0xffffffffffffffffull);
		field(tag, "size_vmcoreinfo", sub + 40, 8, 0x7fffffff);
		field(tag, "size_vmcoreinfo", sub + 40, 8, lsize);
		field(tag, "offset_note", sub + 48, 8, 0xfffffffffffffff0ull);
		field(tag, "offset_note", sub + 48, 8, lsize - 4);
		field(tag, "size_note", sub + 56, 8, 0xffffffffffffffffull);
		field(tag, "size_note", sub + 56, 8, lsize);
		field(tag, "size_note", sub + 56, 8, 0);
		field(tag, "offset_eraseinfo", sub + 64, 8, 0xffffffffffffff00ull);
		field(tag, "size_eraseinfo", sub + 72, 8, 0xffffffffffffffffull);
		field(tag, "start_pfn_64", sub + 80, 8, 0xffffffffffffffffull);
		field(tag, "end_pfn_64", sub + 88, 8, 0);
		field(tag, "max_mapnr_64", sub + 96, 8, 0);
		field(tag, "max_mapnr_64", sub + 96, 8, 0xffffffffffffffffull);
		field(tag, "max_mapnr_64", sub + 96, 8, 1ull << 52);
		field(tag, "max_mapnr_64", sub + 96, 8, max64 * 2);
		field(tag, "max_mapnr_64", sub + 96, 8, max64 / 2);
	}

	/* VMCOREINFO: removed, then garbled. */
	struct mcase *c = newcase("%s-vmci-removed", P);
	lput(c, sub + 32, 0, 8);
	lput(c, sub + 40, 0, 8);
	if (snote)
		note_cases(P, onote, snote, false);
	uint64_t vo[4] = { ovmci }, vl[4] = { svmci };
	int nv = svmci ? 1 : 0;
	for (int i = 0; i < nvmci && nv < 4; i++) {
		if (vmci_len[i] != svmci)
			continue;
		vo[nv] = vmci_off[i];
		vl[nv++] = vmci_len[i];
	}
	for (int i = 0; i < nvmci; i++) /* the note copy goes too */
		lput(c, vmci_off[i] - 4, 'X', 1);
	vmci_cases(P, vo, vl, nv, false);

	/* The bitmaps. */
	snprintf(tag, sizeof(tag), "%s-bitmap", P);
	c = newcase("%s1-zero", tag);
	for (uint64_t i = 0; i < bmlen / 2; i++)
		lput(c, bm + i, 0, 1);
	c = newcase("%s2-zero", tag);
	for (uint64_t i = 0; i < bmlen / 2; i++)
		lput(c, bm + bmlen / 2 + i, 0, 1);
	c = newcase("%s2-ff", tag); /* more dumped pages than descriptors */
	for (uint64_t i = 0; i < bmlen / 2; i++)
		lput(c, bm + bmlen / 2 + i, 0xff, 1);
	c = newcase("%s-all-ff", tag);
	for (uint64_t i = 0; i < bmlen; i++)
		lput(c, bm + i, 0xff, 1);
	c = newcase("%s2-first-word-ff", tag);
	lput(c, bm + bmlen / 2, 0xffffffffffffffffull, 8);
	random_flips(tag, bm, bm + bmlen, NRANDOM, 64);

	/* Page descriptors: one, and all of them. */
	snprintf(tag, sizeof(tag), "%s-desc", P);
	struct {
		const char *f;
		int off, n;
		uint64_t v;
	} dv[] = { /* the first 8 also for single descriptors */
		{ "offset", 0, 8, 0xffffffffffffffffull },
		{ "offset", 0, 8, 0 },
		{ "size", 8, 4, 0 },
		{ "size", 8, 4, 0xffffffff },
		{ "size", 8, 4, bs + 1 },
		{ "flags", 12, 4, 0 },
		{ "flags", 12, 4, 0xffffffff },
		{ "flags", 12, 4, 0x40 },
		{ "offset", 0, 8, 0x7ffffffffffff000ull },
		{ "offset", 0, 8, lsize - 8 },
		{ "size", 8, 4, 0x7fffffff },
		{ "size", 8, 4, 1 },
		{ "flags", 12, 4, 0x2 },
		{ "flags", 12, 4, 0x4 },
		{ "flags", 12, 4, 0x20 },
	};
	uint64_t pick[] = { 0, ndesc ? ndesc - 1 : 0 };
	const char *pn[] = { "first", "last" };
	for (size_t k = 0; k < sizeof(dv) / sizeof(dv[0]); k++) {
		for (int w = 0; w < 2 && ndesc && !lite && k < 8; w++) {
			c = newcase("%s-%s-%s=0x%" PRIx64, tag, pn[w], dv[k].f,
				    dv[k].v);
			lput(c, desc + pick[w] * 24 + dv[k].off, dv[k].v,
			     dv[k].n);
		}
		c = newcase("%s-all-%s=0x%" PRIx64, tag, dv[k].f, dv[k].v);
		if (!idle(c))
			for (uint64_t i = 0; i < ndesc; i++)
				lput(c, desc + i * 24 + dv[k].off, dv[k].v,
				     dv[k].n);
	}
	/* Descriptors shifted by one: every page reads its neighbour's. */
	c = newcase("%s-all-offsets-swapped", tag);
	if (!idle(c))
		for (uint64_t i = 0; i + 1 < ndesc; i += 2) {
			uint64_t a = lget(desc + i * 24, 8);
			uint64_t b = lget(desc + (i + 1) * 24, 8);
			lput(c, desc + i * 24, b, 8);
			lput(c, desc + (i + 1) * 24, a, 8);
		}
	random_flips(tag, desc, data, NRANDOM, 256);

	/* Page data: a flipped byte in pages, compressed ones fail. */
	snprintf(tag, sizeof(tag), "%s-pagedata", P);
	for (int every = 1; every <= 16; every *= 4) {
		c = newcase("%s-every%d-flipped", tag, every);
		if (idle(c))
			continue;
		for (uint64_t i = 0; i < ndesc; i += (uint64_t)every) {
			uint64_t o = lget(desc + i * 24, 8);
			uint32_t sz = (uint32_t)lget(desc + i * 24 + 8, 4);
			if (sz == 0 || o >= lsize)
				continue;
			uint64_t at = o + sz / 2;
			lput(c, at, lget(at, 1) ^ 0x5a, 1);
		}
	}
	if (data < lsize)
		random_flips(tag, data, lsize, NRANDOM / 2, 1024);
}

/* ------------------------------------------------------------------ */
/* The flattened stream itself                                         */
/* ------------------------------------------------------------------ */

static int
reccmp(const void *a, const void *b)
{
	const struct rec *x = a, *y = b;
	return x->loff < y->loff ? -1 : x->loff > y->loff;
}

static void
gen_flat(void)
{
	/* Records in file order first, for the record-level cases. */
	uint64_t p = 4096;
	size_t cap = 0;
	uint64_t *rpos = NULL;
	while (p + 16 <= srcsize) {
		int64_t o = (int64_t)be64(src + p);
		int64_t s = (int64_t)be64(src + p + 8);
		if (o < 0 || s < 0 || p + 16 + (uint64_t)s > srcsize)
			break;
		if (nrecs == cap) {
			cap = cap ? 2 * cap : 1024;
			recs = realloc(recs, cap * sizeof(*recs));
			rpos = realloc(rpos, cap * sizeof(*rpos));
			if (!recs || !rpos)
				die("out of memory");
		}
		recs[nrecs] = (struct rec){ (uint64_t)o, (uint64_t)s, p + 16 };
		rpos[nrecs++] = p;
		if ((uint64_t)o + (uint64_t)s > lsize)
			lsize = (uint64_t)o + (uint64_t)s;
		p += 16 + (uint64_t)s;
	}
	uint64_t endrec = p;
	if (nrecs == 0)
		die("no flattened records");

	trunc_case("flat-hdr", 0);
	trunc_case("flat-hdr", 16);
	trunc_case("flat-hdr", 31);
	trunc_case("flat-hdr-end", 4096);
	size_t pickr[] = { 0, 1, nrecs / 2, nrecs - 1 };
	for (size_t k = 0; k < sizeof(pickr) / sizeof(pickr[0]); k++) {
		size_t i = pickr[k];
		if (i >= nrecs)
			continue;
		char tag[32];
		snprintf(tag, sizeof(tag), "flat-rec%zu", i);
		trunc_case(tag, rpos[i]);
		trunc_case(tag, rpos[i] + 8);
		trunc_case(tag, rpos[i] + 16 + recs[i].size / 2);
		/* Record fields are big-endian: write them byte by byte. */
		struct {
			const char *f;
			int off;
			uint64_t v;
		} rv[] = {
			{ "offset", 0, 0xffffffffffffffffull },
			{ "offset", 0, 0x7ffffffffffff000ull },
			{ "offset", 0, recs[i].loff + 1 },
			{ "size", 8, 0xffffffffffffffffull },
			{ "size", 8, 0 },
			{ "size", 8, recs[i].size + 1 },
			{ "size", 8, recs[i].size ? recs[i].size - 1 : 1 },
		};
		for (size_t j = 0; j < sizeof(rv) / sizeof(rv[0]); j++) {
			struct mcase *c = newcase("%s-%s=0x%" PRIx64, tag,
						  rv[j].f, rv[j].v);
			uint8_t b[8];
			for (int q = 0; q < 8; q++)
				b[q] = (uint8_t)(rv[j].v >> (56 - 8 * q));
			phys_patch(c, rpos[i] + rv[j].off, b, 8);
		}
	}
	trunc_case("flat-end-marker", endrec);
	trunc_case("flat-end-marker", endrec + 8);
	struct mcase *c = newcase("flat-end-marker-zero");
	uint8_t z[16] = { 0 };
	phys_patch(c, endrec, z, 16);
	c = newcase("flat-end-marker-size0");
	phys_patch(c, endrec + 8, z, 8);
	field("flat-hdr", "signature", 0, 1, 'X');
	field("flat-hdr", "type", 16, 8, 0x0200000000000000ull);
	field("flat-hdr", "version", 24, 8, 0x6300000000000000ull);
	field("flat-hdr", "type", 16, 8, 0xffffffffffffffffull);
	for (int r = 0; r < NRANDOM; r++)
		trunc_case("random", 1 + rndn(srcsize - 1));
	for (int r = 0; r < NRANDOM; r++) {
		c = newcase("flip-flat-recheader-%d", r);
		size_t i = rndn(nrecs);
		uint64_t at = rpos[i] + rndn(16);
		uint8_t v = (uint8_t)(src[at] ^ (1u << rndn(8)));
		phys_patch(c, at, &v, 1);
	}
	free(rpos);

	/* Then the kdump file it stands for, through the logical view. */
	qsort(recs, nrecs, sizeof(*recs), reccmp);
	flat = true;
	lite = true;
	nvmci = 0;
	gen_kdump();
}

/* ------------------------------------------------------------------ */
/* Our kcore stream (src/kvmdump_disk.h)                               */
/* ------------------------------------------------------------------ */

static uint32_t
crc32_ieee(const uint8_t *p, size_t n)
{
	uint32_t c = 0xffffffffu;
	for (size_t i = 0; i < n; i++) {
		c ^= p[i];
		for (int k = 0; k < 8; k++)
			c = c >> 1 ^ (0xedb88320u & -(c & 1));
	}
	return ~c;
}

static uint64_t kvm_trailer = UINT64_MAX;

static void
kfield(const char *pfx, const char *f, uint64_t off, int n, uint64_t v,
       bool fix)
{
	struct mcase *c = newcase("%s-%s=0x%" PRIx64 "%s", pfx, f, v,
				  fix ? "" : "-badcrc");
	lput(c, off, v, n);
	if (!idle(c))
		c->fixcrc = fix;
}

static void
gen_kvmdump(void)
{
	if (srcsize < 1024)
		die("kcore stream too short");
	uint64_t cpu = le(src + 24, 8), dseg = le(src + 32, 8);
	for (uint64_t t = srcsize - 512; t + 512 <= srcsize && t > 0;
	     t -= 512) {
		if (memcmp(src + t, "KVMDUMP1", 8) == 0) {
			kvm_trailer = t;
			break;
		}
		if (srcsize - t > 65536)
			break;
	}
	uint64_t hs[2] = { 0, kvm_trailer };
	for (int h = 0; h < 2; h++) {
		uint64_t b = hs[h];
		if (b == UINT64_MAX)
			continue;
		const char *P = h ? "kv-trailer" : "kv-hdr";
		kfield(P, "magic", b, 1, 'X', true);
		kfield(P, "version", b + 8, 4, 2, true);
		kfield(P, "version", b + 8, 4, 0xffffffff, true);
		kfield(P, "flags", b + 12, 4, 0xffffffff, true);
		kfield(P, "flags", b + 12, 4, 0, true);
		kfield(P, "header_size", b + 16, 4, 0, true);
		kfield(P, "header_size", b + 16, 4, 0xffffffff, true);
		kfield(P, "page_size", b + 20, 4, 0, true);
		kfield(P, "page_size", b + 20, 4, 4095, true);
		kfield(P, "page_size", b + 20, 4, 0x80000000, true);
		kfield(P, "cpu_offset", b + 24, 8, 0xfffffffffffffff0ull,
		       true);
		kfield(P, "cpu_offset", b + 24, 8, srcsize, true);
		kfield(P, "cpu_offset", b + 24, 8, 0, true);
		kfield(P, "data_offset", b + 32, 8, 0xffffffffffffff00ull,
		       true);
		kfield(P, "data_offset", b + 32, 8, 0, true);
		kfield(P, "data_offset", b + 32, 8, dseg + 8, true);
		kfield(P, "data_size", b + 40, 8, 0xffffffffffffffffull,
		       true);
		kfield(P, "data_size", b + 40, 8, 1, true);
		kfield(P, "index_offset", b + 48, 8, 0xfffffffffffffff0ull,
		       true);
		kfield(P, "index_offset", b + 48, 8, 8, true);
		kfield(P, "index_count", b + 56, 8, 0xffffffffffffffffull,
		       true);
		kfield(P, "index_count", b + 56, 8, 1ull << 40, true);
		kfield(P, "level", b + 80, 4, 0xffffffff, true);
		kfield(P, "compress", b + 84, 4, 0xffffffff, true);
		kfield(P, "compress", b + 84, 4, 1, true);
		kfield(P, "pages", b + 88, 8, 0xffffffffffffffffull, true);
		kfield(P, "release", b + 120, 8, 0x4141414141414141ull, true);
		kfield(P, "crc", b + 508, 4, le(src + b + 508, 4) ^ 1, false);
		kfield(P, "data_size", b + 40, 8, 1, false);
	}

	/* The CPU segment: kcore_seg, kvmdump_disk_cpu, ranges, VMCOREINFO. */
	if (cpu + 8 + 88 > srcsize)
		die("no CPU segment");
	uint64_t cd = cpu + 8;
	uint32_t csize = (uint32_t)le(src + cpu + 4, 4);
	uint32_t nranges = (uint32_t)le(src + cd + 32, 4);
	uint32_t ncpus = (uint32_t)le(src + cd + 36, 4);
	uint32_t vlen = (uint32_t)le(src + cd + 40, 4);
	kfield("kv-cpuseg", "midmag", cpu, 4, 0, false);
	kfield("kv-cpuseg", "size", cpu + 4, 4, 0xffffffff, false);
	kfield("kv-cpuseg", "size", cpu + 4, 4, 0, false);
	kfield("kv-cpuseg", "size", cpu + 4, 4, csize - 1, false);
	struct {
		const char *f;
		int off, n;
		uint64_t v;
	} cv[] = {
		{ "e_machine", 0, 2, 0 },
		{ "e_machine", 0, 2, 0xffff },
		{ "e_machine", 0, 2, 3 },
		{ "big_endian", 2, 1, 1 },
		{ "ptr_size", 3, 1, 4 },
		{ "ptr_size", 3, 1, 0xff },
		{ "page_size", 4, 4, 0 },
		{ "page_size", 4, 4, 0xffffffff },
		{ "page_size", 4, 4, 512 },
		{ "pgtable_root", 8, 8, 0 },
		{ "pgtable_root", 8, 8, 0xfffffffffffff000ull },
		{ "pgtable_root", 8, 8, 0x1000 },
		{ "pgtable_levels", 16, 4, 0 },
		{ "pgtable_levels", 16, 4, 0xffffffff },
		{ "pgtable_levels", 16, 4, 7 },
		{ "pgtable_levels", 16, 4, 5 },
		{ "kaslr_known", 20, 4, 0 },
		{ "kaslr_offset", 24, 8, 0x7fffffffffffffffull },
		{ "kaslr_offset", 24, 8, 0x1000 },
		{ "nranges", 32, 4, 0 },
		{ "nranges", 32, 4, 0xffffffff },
		{ "nranges", 32, 4, nranges + 1 },
		{ "nranges", 32, 4, 65536 },
		{ "ncpus", 36, 4, 0xffffffff },
		{ "ncpus", 36, 4, ncpus + 1 },
		{ "vmcoreinfo_len", 40, 4, 0 },
		{ "vmcoreinfo_len", 40, 4, 0xffffffff },
		{ "vmcoreinfo_len", 40, 4, 1u << 20 },
		{ "vmcoreinfo_len", 40, 4, vlen + 1 },
		{ "data_size", 48, 8, 0xffffffffffffffffull },
		{ "index_offset", 56, 8, 0xffffffffffffffffull },
		{ "index_count", 64, 8, 0xffffffffffffffffull },
		{ "compress", 76, 4, 0xff },
	};
	for (size_t k = 0; k < sizeof(cv) / sizeof(cv[0]); k++)
		kfield("kv-cpu", cv[k].f, cd + cv[k].off, cv[k].n, cv[k].v,
		       false);
	uint64_t rg = cd + 88;
	if (nranges > 0 && rg + 16 <= srcsize) {
		uint64_t s0 = le(src + rg, 8), e0 = le(src + rg + 8, 8);
		kfield("kv-range0", "start", rg, 8, e0 + 1, false);
		kfield("kv-range0", "end", rg + 8, 8, 0xffffffffffffffffull,
		       false);
		kfield("kv-range0", "end", rg + 8, 8, s0, false);
		kfield("kv-range0", "start", rg, 8, 0xfffffffffffff000ull,
		       false);
	}
	/* VMCOREINFO: the text in the CPU segment. */
	uint64_t vo = UINT64_MAX;
	if (vlen && cd + csize <= srcsize)
		for (uint64_t i = cd; i + 10 < cd + csize; i++)
			if (memcmp(src + i, "OSRELEASE=", 10) == 0) {
				vo = i;
				break;
			}
	if (vo != UINT64_MAX) {
		uint64_t vl = vlen;
		vmci_cases("kv", &vo, &vl, 1, false);
	}
	trunc_case("kv-hdr", 0);
	trunc_case("kv-hdr", 8);
	trunc_case("kv-hdr", 511);
	trunc_case("kv-cpuseg", cpu);
	trunc_case("kv-cpuseg", cpu + 8);
	trunc_case("kv-cpu", cd + 40);
	trunc_case("kv-cpu-end", cd + 88);
	if (vo != UINT64_MAX)
		trunc_case("kv-vmcoreinfo", vo + vlen / 2);
	trunc_case("kv-dataseg", dseg);
	trunc_case("kv-dataseg", dseg + 4);

	/* Chunks: walk them, then damage the first, a middle and the last. */
	uint64_t p = dseg + 8;
	uint64_t *ch = NULL;
	size_t nch = 0, cap = 0;
	while (p + 32 <= srcsize && memcmp(src + p, "KVMPAGES", 8) == 0) {
		uint32_t np = (uint32_t)le(src + p + 16, 4);
		uint64_t dl = le(src + p + 24, 8);
		if (nch == cap) {
			cap = cap ? 2 * cap : 256;
			ch = realloc(ch, cap * sizeof(*ch));
			if (!ch)
				die("out of memory");
		}
		ch[nch++] = p;
		p += 32 + 4ull * np + dl;
	}
	uint64_t index = p;
	size_t pickc[] = { 0, nch / 2, nch ? nch - 1 : 0 };
	const char *pn[] = { "first", "mid", "last" };
	for (int w = 0; w < 3 && nch; w++) {
		uint64_t c0 = ch[pickc[w]];
		uint32_t np = (uint32_t)le(src + c0 + 16, 4);
		char tag[32];
		snprintf(tag, sizeof(tag), "kv-chunk-%s", pn[w]);
		trunc_case(tag, c0 + 8);
		trunc_case(tag, c0 + 32 + 2 * np);
		trunc_case(tag, c0 + 32 + 4ull * np + 10);
		kfield(tag, "magic", c0, 1, 'X', false);
		kfield(tag, "pfn", c0 + 8, 8, 0xffffffffffffffffull, false);
		kfield(tag, "pfn", c0 + 8, 8, 0xfffffffffffffc00ull, false);
		kfield(tag, "npages", c0 + 16, 4, 0, false);
		kfield(tag, "npages", c0 + 16, 4, 1025, false);
		kfield(tag, "npages", c0 + 16, 4, 0xffffffff, false);
		kfield(tag, "data_len", c0 + 24, 8, 0xffffffffffffffffull,
		       false);
		kfield(tag, "data_len", c0 + 24, 8, 0, false);
		kfield(tag, "ent0", c0 + 32, 4, 0xffffffff, false);
		kfield(tag, "ent0", c0 + 32, 4, 0x00ffffff, false);
		kfield(tag, "ent0", c0 + 32, 4, 0x0f000010, false);
		kfield(tag, "ent0", c0 + 32, 4, 0x40000000, false);
	}
	/* Every entry of every chunk: length too long, method unknown. */
	static const uint32_t ev[] = { 0x00ffffff, 0x0f001000, 0x00000001,
				       0x50000000 };
	for (size_t k = 0; k < sizeof(ev) / sizeof(ev[0]); k++) {
		struct mcase *c = newcase("kv-chunks-all-ent=0x%08x", ev[k]);
		if (idle(c))
			continue;
		for (size_t i = 0; i < nch; i++) {
			uint32_t np = (uint32_t)le(src + ch[i] + 16, 4);
			for (uint32_t j = 0; j < np; j++)
				if ((le(src + ch[i] + 32 + 4 * j, 4) >> 28) == 0)
					lput(c, ch[i] + 32 + 4ull * j, ev[k], 4);
		}
	}
	struct mcase *c = newcase("kv-chunks-all-data-flipped");
	if (!idle(c))
		for (size_t i = 0; i < nch; i++) {
			uint32_t np = (uint32_t)le(src + ch[i] + 16, 4);
			uint64_t d = ch[i] + 32 + 4ull * np;
			uint64_t dl = le(src + ch[i] + 24, 8);
			for (uint64_t j = 0; j < dl; j += 997)
				lput(c, d + j, src[d + j] ^ 0x5a, 1);
		}
	/* The index. */
	if (index + 16 <= srcsize && memcmp(src + index, "KVMINDEX", 8) == 0) {
		uint64_t cnt = le(src + index + 8, 8);
		trunc_case("kv-index", index);
		trunc_case("kv-index", index + 12);
		trunc_case("kv-index", index + 16 + cnt * 12);
		kfield("kv-index", "magic", index, 1, 'X', false);
		kfield("kv-index", "count", index + 8, 8,
		       0xffffffffffffffffull, false);
		kfield("kv-index", "count", index + 8, 8, cnt + 1, false);
		kfield("kv-index", "count", index + 8, 8, 0, false);
		uint64_t e0 = index + 16;
		kfield("kv-index0", "pfn", e0, 8, 0xfffffffffffff000ull, false);
		kfield("kv-index0", "offset", e0 + 8, 8, 0xffffffffffffff00ull,
		       false);
		kfield("kv-index0", "offset", e0 + 8, 8, 0, false);
		kfield("kv-index0", "offset", e0 + 8, 8, 1, false);
		kfield("kv-index0", "npages", e0 + 16, 4, 0xffffffff, false);
		c = newcase("kv-index-all-offsets-zero");
		for (uint64_t i = 0; i < cnt && e0 + 24 * i + 16 <= srcsize;
		     i++)
			lput(c, e0 + 24 * i + 8, 0, 8);
		random_flips("kv-index", e0, e0 + 24 * cnt, NRANDOM / 2, 16);
	}
	if (kvm_trailer != UINT64_MAX) {
		trunc_case("kv-trailer", kvm_trailer);
		trunc_case("kv-trailer", kvm_trailer + 256);
	}
	random_flips("kv-headers", 0, dseg + 8, NRANDOM, 4);
	if (nch)
		random_flips("kv-chunks", ch[0], index, NRANDOM / 2, 512);
	for (int r = 0; r < NRANDOM; r++)
		trunc_case("random", 1 + rndn(srcsize - 1));
	free(ch);
}

/* ------------------------------------------------------------------ */
/* Writing a copy                                                      */
/* ------------------------------------------------------------------ */

static int srcfd;

/* Copy the first n bytes of the source, keeping its holes. */
static void
sparse_copy(int fd, uint64_t n)
{
	off_t pos = 0;
	while ((uint64_t)pos < n) {
		off_t d = lseek(srcfd, pos, SEEK_DATA);
		if (d < 0 || (uint64_t)d >= n)
			break;
		off_t h = lseek(srcfd, d, SEEK_HOLE);
		if (h < 0 || (uint64_t)h > n)
			h = (off_t)n;
		/* Within data, zero pages stay holes too. */
		for (uint64_t q = (uint64_t)d; q < (uint64_t)h; q += 4096) {
			uint64_t l = (uint64_t)h - q < 4096 ? (uint64_t)h - q
							    : 4096;
			const uint8_t *b = src + q;
			uint64_t i = 0;
			while (i < l && !b[i])
				i++;
			if (i < l && pwrite(fd, b, l, (off_t)q) != (ssize_t)l)
				die("write: %s", strerror(errno));
		}
		pos = h;
	}
	if (ftruncate(fd, (off_t)n) != 0)
		die("truncate: %s", strerror(errno));
}

static void
apply(const char *dst, const struct mcase *c)
{
	int fd = open(dst, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		die("%s: %s", dst, strerror(errno));
	uint64_t n = c->trunc < srcsize ? c->trunc : srcsize;
	sparse_copy(fd, n);
	for (size_t i = 0; i < c->np; i++) {
		const struct patch *p = &c->p[i];
		uint32_t l = p->len;
		if (p->off >= n)
			continue;
		if (p->off + l > n)
			l = (uint32_t)(n - p->off);
		if (pwrite(fd, p->b, l, (off_t)p->off) != (ssize_t)l)
			die("write: %s", strerror(errno));
	}
	if (c->fixcrc) {
		uint64_t hs[2] = { 0, kvm_trailer };
		for (int h = 0; h < 2; h++) {
			uint8_t b[512];
			if (hs[h] == UINT64_MAX || hs[h] + 512 > n ||
			    pread(fd, b, 512, (off_t)hs[h]) != 512)
				continue;
			memset(b + 508, 0, 4);
			uint32_t crc = crc32_ieee(b, 512);
			for (int i = 0; i < 4; i++)
				b[508 + i] = (uint8_t)(crc >> (8 * i));
			if (pwrite(fd, b + 508, 4, (off_t)hs[h] + 508) != 4)
				die("write: %s", strerror(errno));
		}
	}
	if (close(fd) != 0)
		die("%s: %s", dst, strerror(errno));
}

int
main(int argc, char **argv)
{
	if (argc < 3 || (strcmp(argv[1], "list") != 0 &&
			 (strcmp(argv[1], "apply") != 0 || argc != 5)))
		die("usage: mutate list DUMP | mutate apply DUMP COPY CASE");
	if (strcmp(argv[1], "apply") == 0)
		want = argv[4];
	int fd = open(argv[2], O_RDONLY);
	srcfd = fd;
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0)
		die("%s: %s", argv[2], strerror(errno));
	srcsize = (uint64_t)st.st_size;
	src = mmap(NULL, srcsize, PROT_READ, MAP_PRIVATE, fd, 0);
	if (src == MAP_FAILED)
		die("mmap %s: %s", argv[2], strerror(errno));
	lsize = srcsize;
	if (srcsize >= 64 && memcmp(src, "\x7f" "ELF", 4) == 0)
		gen_elf();
	else if (srcsize >= 464 && memcmp(src, "KDUMP   ", 8) == 0)
		gen_kdump();
	else if (srcsize >= 4096 && memcmp(src, "makedumpfile", 12) == 0)
		gen_flat();
	else if (srcsize >= 512 && memcmp(src, "KVMDUMP1", 8) == 0)
		gen_kvmdump();
	else
		die("%s: not a format the matrix knows", argv[2]);

	if (!want) {
		for (size_t i = 0; i < ncases; i++)
			puts(cases[i].name);
		return 0;
	}
	for (size_t i = 0; i < ncases; i++)
		if (strcmp(cases[i].name, want) == 0 && cases[i].np + 1) {
			if (cases[i].trunc == UINT64_MAX && cases[i].np == 0 &&
			    strncmp(want, "trunc-", 6) != 0)
				die("%s: case makes no change", want);
			apply(argv[3], &cases[i]);
			return 0;
		}
	die("no case %s", want);
}
