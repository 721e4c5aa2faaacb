// SPDX-License-Identifier: BSD-2-Clause
/*
 * The kernel's own kallsyms tables, decoded from the target's memory
 * (scripts/kallsyms.c writes them, kernel/kallsyms.c reads them):
 *
 *   kallsyms_num_syms        number of symbols (u32; unsigned long < 4.20)
 *   kallsyms_names           per symbol: length, then that many token
 *                            numbers; a length byte with bit 7 set is the
 *                            low half of a 2-byte length (6.1, 73bbb94466fd)
 *   kallsyms_token_table     256 NUL-terminated token strings
 *   kallsyms_token_index     256 u16 offsets into the token table
 *   kallsyms_addresses       absolute addresses (before 4.6, and on arches
 *                            without CONFIG_KALLSYMS_BASE_RELATIVE), or
 *   kallsyms_offsets         s32 per symbol, with kallsyms_relative_base:
 *                            base-relative (4.6+), absolute-percpu (x86 SMP:
 *                            offset >= 0 is absolute, else base - 1 - off),
 *                            or place-relative (7.0: the offset is from the
 *                            entry's own address)
 *
 * The first character of a decoded name is its nm(1) type letter.  The
 * tables are found through VMCOREINFO (SYMBOL(kallsyms_*), 6.0+,
 * 5fd8fea935a1) or, without it, by scanning the kernel image for the
 * token index.  Everything read is hostile: counts are capped, every index
 * checked, and the encoding chosen is the one whose addresses come out
 * sorted (kallsyms sorts by address) and agree with VMCOREINFO's _stext.
 */
#include <stdlib.h>
#include <string.h>

#include "symtab.h"

#define KALLSYMS_MAX_SYMS (4u << 20)
#define TOKEN_TABLE_MAX (64u << 10)
/* How far the scan looks: kernel images are < 128 MiB. */
#define KALLSYMS_SCAN_MAX (128u << 20)
#define SCAN_CHUNK (1u << 20)
/* Bytes before the token index that hold the token table, the names'
 * sequence table and the markers: enough for 1.3 million symbols. */
#define SCAN_TAIL (4u << 20)
/* The names of the last 256 symbols fit in this (count window). */
#define SCAN_WINDOW (64u << 10)

struct kallsyms_loc {
	uint64_t num_syms, names, token_table, token_index;
	uint64_t offsets, relative_base, addresses;
	/* have_base: kallsyms_relative_base exists (gone with 7.0's
	 * place-relative offsets). */
	bool have_offsets, have_base, have_addresses;
};

static int
read_exact(kvm_t *kd, uint64_t va, void *buf, size_t len, const char *what)
{
	size_t done;
	int err = kvm_virt_read_image(kd, va, buf, len, &done);

	if (err)
		return kvm_error_ctx(kd, "kallsyms: reading %s at 0x%llx", what,
				     (unsigned long long)va);
	return 0;
}

static uint64_t
get_uint(const kvm_t *kd, const uint8_t *p, int size)
{
	if (size == 2) {
		uint16_t v;
		memcpy(&v, p, 2);
		return kd->big_endian ? be16toh(v) : le16toh(v);
	}
	if (size == 4) {
		uint32_t v;
		memcpy(&v, p, 4);
		return kvm_tgt32(kd, v);
	}
	uint64_t v;
	memcpy(&v, p, 8);
	return kvm_tgt64(kd, v);
}

/*
 * Token table and index: 256 strings whose offsets the index gives.
 * tokens[i] points into table (NUL-terminated within it).
 */
/*
 * Decoding copies a token of up to TOKEN_FAST bytes as one fixed-size
 * copy from its padded slot (tokens are a few bytes; a per-byte loop was
 * a third of the load): output buffers have DECODE_SLACK bytes past the
 * size the decoder is given.
 */
#define TOKEN_FAST 32
#define DECODE_SLACK TOKEN_FAST

struct kallsyms_tokens {
	char *table;
	size_t table_len;
	uint16_t index[256];
	uint16_t len[256];	   /* strlen of each token, for the decoder */
	size_t maxlen;		   /* the longest token's */
	char pad[256][TOKEN_FAST]; /* each token, zero-padded, if it fits */
};

static int
tokens_load(kvm_t *kd, const struct kallsyms_loc *loc,
	    struct kallsyms_tokens *tok)
{
	uint8_t raw[512];
	int err = read_exact(kd, loc->token_index, raw, sizeof(raw),
			     "kallsyms_token_index");
	if (err)
		return err;
	uint16_t maxoff = 0;
	for (int i = 0; i < 256; i++) {
		tok->index[i] = (uint16_t)get_uint(kd, raw + 2 * i, 2);
		if (tok->index[i] > maxoff)
			maxoff = tok->index[i];
	}
	/* The table runs to the end of its last token: read a bit more. */
	size_t len = (size_t)maxoff + 256;
	if (len > TOKEN_TABLE_MAX)
		len = TOKEN_TABLE_MAX;
	tok->table = malloc(len + 1);
	if (!tok->table)
		return kvm_error(kd, KVM_ENOMEM, "out of memory");
	size_t done;
	err = kvm_virt_read_image(kd, loc->token_table, tok->table, len, &done);
	if (err && done <= maxoff)
		return kvm_error_ctx(kd, "kallsyms: reading the token table");
	kvm_error_clear(kd);
	tok->table[done] = '\0';
	tok->table_len = done;
	for (int i = 0; i < 256; i++) {
		uint16_t o = tok->index[i];
		/* Tokens are non-empty, NUL-terminated and back to back. */
		if (o >= done || tok->table[o] == '\0' ||
		    (i > 0 && (o == 0 || tok->table[o - 1] != '\0')) ||
		    !memchr(tok->table + o, '\0', done + 1 - o))
			return kvm_error(kd, KVM_ECORRUPT,
					 "kallsyms: token %d at offset %u is not "
					 "a string of the token table",
					 i, o);
		tok->len[i] = (uint16_t)strlen(tok->table + o);
		tok->maxlen = KVM_MAX(tok->maxlen, tok->len[i]);
		if (tok->len[i] <= TOKEN_FAST)
			memcpy(tok->pad[i], tok->table + o, tok->len[i]);
	}
	return 0;
}

/*
 * Decode one compressed name at names[*pos] into out (NUL-terminated),
 * which has outsz + DECODE_SLACK bytes.  Returns the name's length, or -1
 * when the entry is malformed or longer than outsz - 1.
 */
static int
name_decode(const struct kallsyms_tokens *tok, const uint8_t *names,
	    size_t names_len, size_t *pos, char *out, size_t outsz)
{
	size_t p = *pos;

	if (p >= names_len)
		return -1;
	size_t n = names[p++];
	if (n & 0x80) {
		if (p >= names_len)
			return -1;
		n = (n & 0x7f) | ((size_t)names[p++] << 7);
	}
	if (n == 0 || n > names_len - p)
		return -1;
	size_t o = 0;
	const uint8_t *in = names + p;
	if (tok->maxlen <= TOKEN_FAST && n * tok->maxlen < outsz) {
		/* Fits whatever the tokens: no check per token. */
		for (size_t i = 0; i < n; i++) {
			memcpy(out + o, tok->pad[in[i]], TOKEN_FAST);
			o += tok->len[in[i]];
		}
	} else {
		for (size_t i = 0; i < n; i++) {
			size_t tl = tok->len[in[i]];
			if (o + tl >= outsz)
				return -1;
			memcpy(out + o, tok->table + tok->index[in[i]], tl);
			o += tl;
		}
	}
	out[o] = '\0';
	*pos = p + n;
	return (int)o;
}

/*
 * kallsyms_names read through a window, so that no guess of its size is
 * needed (hostile tables get no 64 MiB buffer) and reads stay large.  An
 * entry is at most 2 length bytes and 0x7fff tokens.
 */
#define NAMES_WINDOW (256u << 10)
#define NAME_ENTRY_MAX (2 + 0x7fff)

struct names_stream {
	kvm_t *kd;
	uint64_t va; /* address of buf[0] */
	uint8_t *buf;
	size_t len, pos;
	bool eof; /* a read stopped short: no more bytes */
};

/* buf: NAMES_WINDOW bytes of the caller's, or NULL to allocate them. */
static int
names_open(struct names_stream *s, kvm_t *kd, uint64_t va, uint8_t *buf)
{
	*s = (struct names_stream){ .kd = kd, .va = va, .buf = buf };
	if (!s->buf)
		s->buf = malloc(NAMES_WINDOW);
	return s->buf ? 0 : kvm_error(kd, KVM_ENOMEM, "out of memory");
}

/* At least a whole entry in the window, unless the tables end. */
static void
names_fill(struct names_stream *s)
{
	if (s->len - s->pos >= NAME_ENTRY_MAX || s->eof)
		return;
	memmove(s->buf, s->buf + s->pos, s->len - s->pos);
	s->va += s->pos;
	s->len -= s->pos;
	s->pos = 0;
	size_t got;
	if (kvm_virt_read_image(s->kd, s->va + s->len, s->buf + s->len,
				NAMES_WINDOW - s->len, &got) != 0) {
		kvm_error_clear(s->kd);
		s->eof = true;
	}
	s->len += got;
}

/* Next name into out (type letter first); its length, or -1. */
static int
names_next(struct names_stream *s, const struct kallsyms_tokens *tok, char *out,
	   size_t outsz)
{
	names_fill(s);
	return name_decode(tok, s->buf, s->len, &s->pos, out, outsz);
}

/* Bytes consumed since va0. */
static uint64_t
names_offset(const struct names_stream *s, uint64_t va0)
{
	return s->va + s->pos - va0;
}

enum kallsyms_enc {
	ENC_ABS_PERCPU, /* x86 SMP: off >= 0 absolute, else base - 1 - off */
	ENC_BASE_REL,	/* base + (u32)off */
	ENC_PLACE_REL,	/* address of the entry + off */
	ENC_ABSOLUTE,	/* kallsyms_addresses[] */
	ENC_COUNT,
};

static uint64_t
decode_addr(enum kallsyms_enc enc, int32_t off, uint64_t base,
	    uint64_t entry_va)
{
	switch (enc) {
	case ENC_ABS_PERCPU:
		return off >= 0 ? (uint64_t)off : base - 1 - (uint64_t)off;
	case ENC_BASE_REL:
		return base + (uint32_t)off;
	case ENC_PLACE_REL:
		return entry_va + (uint64_t)(int64_t)off;
	default:
		return 0;
	}
}

/*
 * The encoding of an offsets array: the one that puts _stext where
 * VMCOREINFO says (stext_i >= 0, want_stext != 0), else the one whose
 * addresses come out sorted (kallsyms sorts by address), ties going to
 * the one with more addresses in the 2 GiB from the kernel text (with no
 * negative offset, absolute-percpu and base-relative both come out sorted,
 * the first as small absolute values).  Without a
 * relative base only place-relative is possible.  Returns the score
 * (higher is better); *unsorted_ret and *near_ret describe the choice.
 */
static uint64_t
choose_enc(const kvm_t *kd, const uint8_t *raw, uint64_t num, bool have_base,
	   uint64_t base, uint64_t array, int64_t stext_i, uint64_t want_stext,
	   enum kallsyms_enc *enc_ret, uint64_t *unsorted_ret,
	   uint64_t *near_ret)
{
	uint64_t best_score = 0;
	bool have_best = false;

	for (int e = ENC_ABS_PERCPU; e <= ENC_PLACE_REL; e++) {
		if (!have_base && e != ENC_PLACE_REL)
			continue;
		uint64_t unsorted = 0, near = 0, prev = 0;
		for (uint64_t i = 0; i < num; i++) {
			int32_t off = (int32_t)get_uint(kd, raw + 4 * i, 4);
			uint64_t a = decode_addr(e, off, base, array + 4 * i);
			unsorted += a < prev;
			/* At or after the text start: small absolute values
			 * must not wrap into "near". */
			near += kd->xlat.ktext_start &&
				a >= kd->xlat.ktext_start &&
				a - kd->xlat.ktext_start < (1ULL << 31);
			prev = a;
		}
		bool hit = false;
		if (want_stext && stext_i >= 0) {
			int32_t off =
				(int32_t)get_uint(kd, raw + 4 * stext_i, 4);
			hit = decode_addr(e, off, base, array + 4 * stext_i) ==
			      want_stext;
		}
		/* Higher is better: _stext, then sorted, then near. */
		uint64_t score = ((uint64_t)hit << 62) +
				 ((num - unsorted) << 24) +
				 (near * 0xffffff / num);
		if (!have_best || score > best_score) {
			have_best = true;
			best_score = score;
			*enc_ret = e;
			*unsorted_ret = unsorted;
			*near_ret = near;
		}
	}
	return best_score;
}

/*
 * Decoded addresses are checked against the dump: where the tables name
 * linux_banner (kernels with CONFIG_KALLSYMS_ALL), it must read "Linux
 * version" there.
 */
static bool
banner_checks(kvm_t *kd, const struct kvm_symtab *t, size_t first,
	      uint64_t *at_ret)
{
	for (size_t i = first; i < t->n; i++) {
		if (strcmp(kvm_symtab_name(t, &t->syms[i]), "linux_banner"))
			continue;
		*at_ret = t->syms[i].addr;
		return kvm_banner_at(kd, t->syms[i].addr, NULL, 0);
	}
	return true;
}

/*
 * What the full load and the quick lookups both read first: the count,
 * the tokens and the addresses or offsets (with their base).
 */
struct kallsyms_head {
	uint64_t num;
	struct kallsyms_tokens tok;
	uint8_t *raw; /* num * esz bytes */
	int esz;
	uint64_t array; /* address of raw[0] in the target */
	uint64_t base;	/* kallsyms_relative_base, 0 if none */
};

static void
head_free(struct kallsyms_head *h)
{
	free(h->raw);
	free(h->tok.table);
	h->raw = NULL;
	h->tok.table = NULL;
}

static int
head_read(kvm_t *kd, const struct kallsyms_loc *loc, struct kallsyms_head *h)
{
	uint8_t buf[8];
	int err;

	err = read_exact(kd, loc->num_syms, buf, 4, "kallsyms_num_syms");
	if (err)
		return err;
	uint64_t num = get_uint(kd, buf, 4);
	if (num == 0 && kd->ptr_size == 8 && kd->big_endian) {
		/* Before 4.20 an unsigned long: the low half comes second. */
		if ((err = read_exact(kd, loc->num_syms, buf, 8,
				      "kallsyms_num_syms")))
			return err;
		num = get_uint(kd, buf, 8);
	}
	if (num == 0 || num > KALLSYMS_MAX_SYMS)
		return kvm_error(kd, KVM_ECORRUPT,
				 "kallsyms: implausible symbol count %llu",
				 (unsigned long long)num);
	h->num = num;
	err = tokens_load(kd, loc, &h->tok);
	if (err)
		goto fail;

	/* Addresses or offsets, one per symbol. */
	h->esz = loc->have_addresses ? kd->ptr_size : 4;
	h->array = loc->have_addresses ? loc->addresses : loc->offsets;
	h->raw = malloc(num * h->esz);
	if (!h->raw) {
		err = kvm_error(kd, KVM_ENOMEM, "out of memory");
		goto fail;
	}
	err = read_exact(kd, h->array, h->raw, num * h->esz,
			 loc->have_addresses ? "kallsyms_addresses"
					     : "kallsyms_offsets");
	if (err)
		goto fail;
	h->base = 0;
	if (!loc->have_addresses && loc->have_base) {
		err = read_exact(kd, loc->relative_base, buf, kd->ptr_size,
				 "kallsyms_relative_base");
		if (err)
			goto fail;
		h->base = get_uint(kd, buf, kd->ptr_size);
	}
	return 0;
fail:
	head_free(h);
	return err;
}

/* Symbol i's address in encoding enc. */
static uint64_t
head_addr(const kvm_t *kd, const struct kallsyms_head *h, enum kallsyms_enc enc,
	  uint64_t i)
{
	if (enc == ENC_ABSOLUTE)
		return get_uint(kd, h->raw + (size_t)h->esz * i, h->esz);
	return decode_addr(enc, (int32_t)get_uint(kd, h->raw + 4 * i, 4),
			   h->base, h->array + 4 * i);
}

/*
 * The encoding that puts _stext (symbol stext_i) where VMCOREINFO says,
 * when exactly one does; false otherwise.
 */
static bool
enc_by_stext(const kvm_t *kd, const struct kallsyms_loc *loc,
	     const struct kallsyms_head *h, int64_t stext_i,
	     uint64_t want_stext, enum kallsyms_enc *enc_ret)
{
	int hits = 0;

	if (!want_stext || stext_i < 0 || loc->have_addresses)
		return false;
	for (int e = ENC_ABS_PERCPU; e <= ENC_PLACE_REL; e++) {
		if (!loc->have_base && e != ENC_PLACE_REL)
			continue;
		if (head_addr(kd, h, e, (uint64_t)stext_i) == want_stext) {
			*enc_ret = e;
			hits++;
		}
	}
	return hits == 1;
}

/*
 * Decode the tables at loc into out.  Tables that decode but look wrong
 * are refused (KVM_ECORRUPT, saying why): addresses out of order, _stext
 * away from where VMCOREINFO puts it, linux_banner not reading "Linux
 * version" (an offsets array or base from a wrong address).  names, when
 * not NULL, is the whole of kallsyms_names as already read (names_have
 * bytes).
 */
/*
 * The names of a kallsyms table into out, in order (addresses come
 * after); *stext_i: the index of _stext, -1 if none.
 */
static int
load_names(kvm_t *kd, struct kvm_symtab *out, const struct kallsyms_loc *loc,
	   const struct kallsyms_head *h, struct names_stream *ns,
	   int64_t *stext_i)
{
	const size_t first = out->n;
	const uint64_t num = h->num;
	int err;

	*stext_i = -1;
	/*
	 * Names first: choosing the encoding looks at _stext.  Each is
	 * decoded straight into the table's pool (type letter first).
	 */
	err = kvm_symtab_reserve(kd, out, KVM_MIN(num, 1u << 20));
	if (err)
		return err;
	for (uint64_t i = 0; i < num; i++) {
		char *name =
			kvm_symtab_room(kd, out,
					KVM_SYM_NAME_MAX + 2 + DECODE_SLACK);
		if (!name)
			return -kd->errcode;
		int n = names_next(ns, &h->tok, name, KVM_SYM_NAME_MAX + 2);
		if (n < 2)
			return kvm_error(kd, KVM_ECORRUPT,
					 "kallsyms: symbol %llu of %llu is "
					 "malformed (names offset %llu)",
					 (unsigned long long)i,
					 (unsigned long long)num,
					 (unsigned long long)
						 names_offset(ns, loc->names));
		if (*stext_i < 0 && n == 7 &&
		    memcmp(name + 1, "_stext", 6) == 0)
			*stext_i = (int64_t)i;
		err = kvm_symtab_push(kd, out, 1, (size_t)n - 1, 0, name[0]);
		if (err)
			return err;
	}
	if (out->n - first != num)
		return kvm_error(kd, KVM_ECORRUPT,
				 "kallsyms: %zu of %llu names are unusable",
				 (size_t)(num - (out->n - first)),
				 (unsigned long long)num);
	/* The markers and the token table follow the names. */
	uint64_t names_len = names_offset(ns, loc->names);
	if (loc->token_table > loc->names &&
	    names_len > loc->token_table - loc->names)
		return kvm_error(kd, KVM_ECORRUPT,
				 "kallsyms: %llu names from 0x%llx run past "
				 "kallsyms_token_table at 0x%llx",
				 (unsigned long long)num,
				 (unsigned long long)loc->names,
				 (unsigned long long)loc->token_table);
	return 0;
}

static int
load_from(kvm_t *kd, struct kvm_symtab *out, const struct kallsyms_loc *loc,
	  uint8_t *names, size_t names_have)
{
	struct kallsyms_head h = { 0 };
	struct names_stream ns = { 0 };
	const size_t first = out->n;
	int err;

	err = head_read(kd, loc, &h);
	if (err)
		return err;
	uint64_t num = h.num;
	if (names)
		ns = (struct names_stream){ .kd = kd,
					    .va = loc->names,
					    .buf = names,
					    .len = names_have,
					    .eof = true };
	else if ((err = names_open(&ns, kd, loc->names, NULL)))
		goto out;

	int64_t stext_i = -1;
	if ((err = load_names(kd, out, loc, &h, &ns, &stext_i)))
		goto out;

	uint64_t want_stext = 0;
	if (kd->vmcoreinfo_text)
		kvm_vmcoreinfo_symbol(&kd->vmci, "_stext", &want_stext);
	enum kallsyms_enc enc = ENC_ABSOLUTE;
	/*
	 * Where exactly one encoding puts _stext where VMCOREINFO says, it
	 * is the one (the loop below still refuses a table out of order);
	 * scoring all three reads every offset thrice.
	 */
	if (!loc->have_addresses &&
	    !enc_by_stext(kd, loc, &h, stext_i, want_stext, &enc)) {
		uint64_t u, nr;
		choose_enc(kd, h.raw, num, loc->have_base, h.base, h.array,
			   stext_i, want_stext, &enc, &u, &nr);
	}
	uint64_t unsorted = 0, banner_at = 0;
	for (uint64_t i = 0; i < num; i++) {
		uint64_t a = head_addr(kd, &h, enc, i);
		out->syms[first + i].addr = a;
		unsorted += i > 0 && a < out->syms[first + i - 1].addr;
	}
	if (unsorted > 0)
		err = kvm_error(kd, KVM_ECORRUPT,
				"kallsyms: %llu of %llu decoded addresses are "
				"out of order",
				(unsigned long long)unsorted,
				(unsigned long long)num);
	else if (want_stext && stext_i >= 0 &&
		 out->syms[first + stext_i].addr != want_stext)
		err = kvm_error(kd, KVM_ECORRUPT,
				"kallsyms: _stext decodes to 0x%llx, "
				"VMCOREINFO says 0x%llx",
				(unsigned long long)out->syms[first + stext_i]
					.addr,
				(unsigned long long)want_stext);
	else if (!banner_checks(kd, out, first, &banner_at))
		err = kvm_error(kd, KVM_ECORRUPT,
				"kallsyms: linux_banner decodes to 0x%llx, "
				"which does not read \"Linux version\"",
				(unsigned long long)banner_at);
out:
	/* Names added before a failure have no address yet: drop them. */
	if (err)
		kvm_symtab_truncate(out, first);
	if (!names)
		free(ns.buf);
	head_free(&h);
	return err;
}

/* VMCOREINFO names the tables on 6.0+ kernels. */
static bool
locate_vmcoreinfo(kvm_t *kd, struct kallsyms_loc *loc)
{
	const struct kvm_vmcoreinfo *v = &kd->vmci;

	if (!kd->vmcoreinfo_text)
		return false;
	if (!kvm_vmcoreinfo_symbol(v, "kallsyms_num_syms", &loc->num_syms) ||
	    !kvm_vmcoreinfo_symbol(v, "kallsyms_names", &loc->names) ||
	    !kvm_vmcoreinfo_symbol(v, "kallsyms_token_table",
				   &loc->token_table) ||
	    !kvm_vmcoreinfo_symbol(v, "kallsyms_token_index",
				   &loc->token_index))
		return false;
	/* 7.0 made the offsets place-relative and dropped the base. */
	loc->have_offsets =
		kvm_vmcoreinfo_symbol(v, "kallsyms_offsets", &loc->offsets);
	loc->have_base = loc->have_offsets &&
			 kvm_vmcoreinfo_symbol(v, "kallsyms_relative_base",
					       &loc->relative_base);
	loc->have_addresses =
		!loc->have_offsets &&
		kvm_vmcoreinfo_symbol(v, "kallsyms_addresses", &loc->addresses);
	return loc->have_offsets || loc->have_addresses;
}

/* A plausible kallsyms_token_index: 0, then 255 small rising steps. */
static bool
token_index_at(const kvm_t *kd, const uint8_t *p)
{
	if (get_uint(kd, p, 2) != 0)
		return false;
	uint64_t prev = 0;
	for (int i = 1; i < 256; i++) {
		uint64_t v = get_uint(kd, p + 2 * i, 2);
		if (v <= prev + 1 || v > prev + 64)
			return false;
		prev = v;
	}
	return true;
}

/*
 * Where the offsets lie, once the scan found num_syms, names and the
 * token index.  scripts/kallsyms.c wrote
 *   offsets[N] | relative_base | num_syms | names | ... | token_index
 * from 4.6 to 6.3, and since 6.4 (checked on 6.12)
 *   num_syms | names | markers | token_table | token_index | offsets[N]
 *   | relative_base | seqs_of_names
 * where 7.0's place-relative offsets have no relative_base.  Every label
 * is aligned to 8 (4 on 32-bit).  Each placement is read and decoded;
 * the one whose addresses come out sorted and near the kernel text wins,
 * and none at all is an error: addresses that are not the kernel's must
 * never reach a caller.
 */
static int
scan_offsets(kvm_t *kd, struct kallsyms_loc *loc, uint64_t n)
{
	uint64_t ps = kd->ptr_size, al = ps;
	struct kallsyms_loc cand[2];
	uint64_t best = 0;
	int nbest = -1;

	/* n comes from the dump's markers: bounded before 4n is allocated. */
	if (n == 0 || n > KALLSYMS_MAX_SYMS)
		return kvm_error(kd, KVM_ECORRUPT,
				 "kallsyms: implausible symbol count %llu",
				 (unsigned long long)n);
	cand[0] = *loc;
	cand[0].relative_base = (loc->num_syms - ps) & ~(al - 1);
	cand[0].offsets = (cand[0].relative_base - 4 * n) & ~(al - 1);
	cand[1] = *loc;
	cand[1].offsets = (loc->token_index + 512 + al - 1) & ~(al - 1);
	cand[1].relative_base = (cand[1].offsets + 4 * n + al - 1) & ~(al - 1);
	_cleanup_free_ uint8_t *raw = malloc(4 * n);
	if (!raw)
		return kvm_error(kd, KVM_ENOMEM, "out of memory");
	for (int c = 0; c < 2; c++) {
		uint8_t b[8];
		size_t done;
		cand[c].have_offsets = true;
		if (kvm_virt_read_image(kd, cand[c].offsets, raw, 4 * n,
					&done) != 0) {
			kvm_error_clear(kd);
			continue;
		}
		cand[c].have_base = kvm_virt_read_image(kd,
							cand[c].relative_base,
							b, ps, &done) == 0;
		kvm_error_clear(kd);
		uint64_t base = cand[c].have_base ? get_uint(kd, b, (int)ps)
						  : 0;
		/*
		 * Bytes that are no table (zeros before num_syms in the 6.4+
		 * order) decode place-relative to the entries' own addresses:
		 * sorted and near.  A real table repeats an offset only for
		 * aliases.
		 */
		uint64_t repeats = 0;
		for (uint64_t i = 1; i < n; i++)
			repeats += get_uint(kd, raw + 4 * i, 4) ==
				   get_uint(kd, raw + 4 * (i - 1), 4);
		if (repeats > n / 2)
			continue;
		enum kallsyms_enc enc;
		uint64_t unsorted, near;
		uint64_t score = choose_enc(kd, raw, n, cand[c].have_base, base,
					    cand[c].offsets, -1, 0, &enc,
					    &unsorted, &near);
		/* Sorted, and nearly all of it in the kernel's 2 GiB. */
		if (unsorted != 0 || near < n - n / 8)
			continue;
		if (nbest < 0 || score > best) {
			best = score;
			nbest = c;
		}
	}
	if (nbest < 0)
		return kvm_error(kd, KVM_ECORRUPT,
				 "kallsyms: %llu names at 0x%llx, but no "
				 "offsets table beside them decodes to sorted "
				 "kernel addresses",
				 (unsigned long long)n,
				 (unsigned long long)loc->names);
	*loc = cand[nbest];
	return 0;
}

struct scan_bufs;
static bool read_before(kvm_t *kd, uint64_t end, size_t len, uint8_t *buf,
			uint64_t *start_ret);
static size_t markers_back(const kvm_t *kd, const uint8_t *buf, uint64_t bstart,
			   uint64_t me, int esz, uint64_t *ms_ret,
			   uint64_t *last_ret, struct scan_bufs *sb);
static bool names_fit(kvm_t *kd, const struct kallsyms_tokens *tok, uint64_t ns,
		      uint64_t ms, uint64_t n, uint8_t *buf);

/*
 * The steps a whole scan may take (a marker walked, a place the count may
 * be, a name decoded): a real kernel's tables are found in about a
 * million; memory made to look like tables everywhere (rising words,
 * token indexes over and over) would take hours without a bound.
 */
#define SCAN_WORK (1ULL << 26)
uint64_t kvm_kallsyms_scan_work = SCAN_WORK;

/* Buffers of one scan, allocated once: a scan tries many candidates. */
struct scan_bufs {
	uint8_t *tail;	 /* SCAN_TAIL bytes before the token index */
	uint8_t *window; /* SCAN_WINDOW bytes where the count may be */
	uint8_t *names;	 /* NAMES_WINDOW for names_fit */
	uint64_t work;	 /* steps left (SCAN_WORK) */
};

/* Take n steps of the scan's budget; false (and none left) if too few. */
static bool
spend(struct scan_bufs *sb, uint64_t n)
{
	if (sb->work < n) {
		sb->work = 0;
		return false;
	}
	sb->work -= n;
	return true;
}

static int scan_tail(kvm_t *kd, struct kallsyms_loc *loc, struct scan_bufs *sb,
		     size_t tail);

/*
 * The markers and kallsyms_seqs_of_names (3 bytes a symbol) lie in the
 * tail before the token table: 1 MiB holds them for 300k symbols (real
 * kernels have 100-200k), SCAN_TAIL for 1.3 million; the first try reads
 * the smaller (a quarter of the pages to decode).
 */
#define SCAN_TAIL_FIRST (1u << 20)

static int
scan_from_index(kvm_t *kd, struct kallsyms_loc *loc, struct scan_bufs *sb)
{
	int err = scan_tail(kd, loc, sb, SCAN_TAIL_FIRST);

	if (err != -KVM_ENOENT || !sb->work)
		return err;
	kvm_error_clear(kd);
	return scan_tail(kd, loc, sb, SCAN_TAIL);
}

static int
scan_tail(kvm_t *kd, struct kallsyms_loc *loc, struct scan_bufs *sb,
	  size_t tail)
{
	uint8_t raw[512];
	uint64_t ti = loc->token_index;

	if (read_exact(kd, ti, raw, sizeof(raw), "token index"))
		return -kd->errcode;
	uint64_t lastoff = get_uint(kd, raw + 510, 2);
	uint64_t bstart;
	uint8_t *buf = sb->tail;
	if (!read_before(kd, ti, tail, buf, &bstart))
		return kvm_error(kd, KVM_ENOENT, "kallsyms: unreadable tables");
	/* Token table: its last token ends with the NUL right before ti. */
	for (uint64_t pad = 0; pad < 8; pad++) {
		uint64_t tt_end = ti - pad;
		/* The read may have started late (unreadable pages before). */
		if (tt_end < bstart + 66 || buf[tt_end - 1 - bstart] != '\0')
			continue;
		size_t l = 1;
		while (l < 64 && buf[tt_end - 1 - l - bstart] != '\0')
			l++;
		uint64_t tt = tt_end - l - lastoff;
		if (tt <= bstart + 64)
			continue;
		loc->token_table = tt;
		struct kallsyms_tokens tok = { 0 };
		if (tokens_load(kd, loc, &tok)) {
			free(tok.table);
			kvm_error_clear(kd);
			continue;
		}
		/*
		 * Markers, then names and the count before them.  Between
		 * the markers and the token table there may be
		 * kallsyms_seqs_of_names, 3 bytes a symbol (6.2, and stable
		 * kernels with its backport).
		 */
		for (int esz = 4; esz <= 8; esz += 4) {
			/*
			 * Real tables lie megabytes into .rodata; nothing
			 * below needs room before them but what it reads
			 * (read_before stops at the kernel text).
			 */
			for (uint64_t me = tt & ~3ULL;
			     me > bstart + (uint64_t)esz; me -= 4) {
				uint64_t ms, lastm, gap = tt - me;
				size_t m = markers_back(kd, buf, bstart, me,
							esz, &ms, &lastm, sb);
				if (!sb->work) {
					free(tok.table);
					goto spent;
				}
				if (m == 0 || ms < lastm + 16)
					continue;
				uint64_t nmin = 256 * (m - 1) + 1,
					 nmax = 256 * m;
				if (gap >= 8 &&
				    (gap < 3 * nmin || gap >= 3 * nmax + 16))
					continue;
				uint64_t hi = (ms - lastm) & ~3ULL, wstart;
				uint8_t *w = sb->window;
				if (!read_before(kd, hi, SCAN_WINDOW, w,
						 &wstart))
					continue;
				for (uint64_t ns = hi; ns >= wstart + 16;
				     ns -= 4) {
					if (!spend(sb, 1)) {
						free(tok.table);
						goto spent;
					}
					for (int cg = 4; cg <= 16; cg += 4) {
						uint64_t n =
							get_uint(kd,
								 w + (ns - cg -
								      wstart),
								 4);
						if (n < nmin || n > nmax)
							continue;
						if (!spend(sb, n)) {
							free(tok.table);
							goto spent;
						}
						if (!names_fit(kd, &tok, ns, ms,
							       n, sb->names))
							continue;
						loc->num_syms = ns - cg;
						loc->names = ns;
						free(tok.table);
						return scan_offsets(kd, loc, n);
					}
				}
			}
		}
		free(tok.table);
	}
	return kvm_error(kd, KVM_ENOENT, "kallsyms: layout not recognised");
spent:
	return kvm_error(kd, KVM_ENOENT,
			 "kallsyms: the layout scan gave up after %llu steps "
			 "(memory that looks like tables everywhere)",
			 (unsigned long long)kvm_kallsyms_scan_work);
}

/*
 * Without VMCOREINFO the tables are found from their layout, the order
 * scripts/kallsyms.c has written since 4.6:
 *
 *   offsets[N] | relative_base | num_syms | names | markers | token_table
 *   | token_index
 *
 * each label aligned to at most 8 bytes.  Steps: the token index is 256
 * rising u16 starting at 0; the token table ends right before it; the
 * markers (u32 or u64, markers[0] = 0, rising) end right before that; the
 * last marker bounds where the names start, and a count N that fits the
 * number of markers sits just before them; decoding N names must end
 * exactly at the markers.
 */

/*
 * Read the len bytes that end at end into buf (fewer when the kernel text
 * starts later); *start_ret is the address of buf[0].  False if unreadable.
 */
static bool
read_before(kvm_t *kd, uint64_t end, size_t len, uint8_t *buf,
	    uint64_t *start_ret)
{
	size_t done;

	/* Not before the kernel text: nothing of kallsyms lies there. */
	if (kd->xlat.ktext_start && end - kd->xlat.ktext_start < len)
		len = end - kd->xlat.ktext_start;
	*start_ret = end - len;
	if (kvm_virt_read_image(kd, end - len, buf, len, &done) != 0) {
		kvm_error_clear(kd);
		return false;
	}
	return true;
}

/* Markers ending at me: count them back to markers[0] == 0. */
static size_t
markers_back(const kvm_t *kd, const uint8_t *buf, uint64_t bstart, uint64_t me,
	     int esz, uint64_t *ms_ret, uint64_t *last_ret,
	     struct scan_bufs *sb)
{
	if ((me - bstart) % esz || me - bstart < (uint64_t)esz)
		return 0;
	size_t k = (me - bstart) / esz;
	uint64_t next = UINT64_MAX,
		 last = get_uint(kd, buf + (k - 1) * esz, esz);
	size_t m = 0;
	while (k > 0) {
		if (!spend(sb, 1))
			return 0;
		uint64_t v = get_uint(kd, buf + (k - 1) * esz, esz);
		if (v >= next)
			return 0;
		m++;
		k--;
		if (v == 0) {
			*ms_ret = bstart + k * esz;
			*last_ret = last;
			return m;
		}
		next = v;
	}
	return 0;
}

/* Do N names decoded from ns end within 8 bytes before ms? */
static bool
names_fit(kvm_t *kd, const struct kallsyms_tokens *tok, uint64_t ns,
	  uint64_t ms, uint64_t n, uint8_t *buf)
{
	struct names_stream st;
	char name[KVM_SYM_NAME_MAX + 2 + DECODE_SLACK];
	bool ok = true;

	names_open(&st, kd, ns, buf);
	for (uint64_t i = 0; i < n && ok; i++)
		ok = names_next(&st, tok, name, KVM_SYM_NAME_MAX + 2) >= 1 &&
		     names_offset(&st, ns) <= ms - ns;
	return ok && ms - ns - names_offset(&st, ns) < 8;
}

/* retry: VMCOREINFO named tables, and they failed. */
static int
locate_scan(kvm_t *kd, struct kallsyms_loc *loc, bool retry)
{
	if (!kd->xlat.ktext_start)
		return kvm_error(kd, KVM_ENOENT,
				 "kallsyms: %sno known kernel text address to "
				 "scan from",
				 retry ? "" : "no VMCOREINFO and ");
	_cleanup_free_ uint8_t *chunk = malloc(SCAN_CHUNK + 512);
	_cleanup_free_ uint8_t *tail = malloc(SCAN_TAIL);
	_cleanup_free_ uint8_t *window = malloc(SCAN_WINDOW);
	_cleanup_free_ uint8_t *names = malloc(NAMES_WINDOW);
	if (!chunk || !tail || !window || !names)
		return kvm_error(kd, KVM_ENOMEM, "out of memory");
	struct scan_bufs sb = { tail, window, names, kvm_kallsyms_scan_work };
	uint64_t start = kd->xlat.ktext_start;
	/*
	 * The tables are data: the first pass skips the chunks the kernel
	 * may execute (its text, most of what lies before them: 16 MiB of
	 * 20 on 6.12); only when it finds nothing does a second pass read
	 * those (a kernel that maps its data executable).
	 */
	for (int pass = 0; pass < 2; pass++) {
		bool skipped = false;
		for (uint64_t off = 0; off < KALLSYMS_SCAN_MAX;
		     off += SCAN_CHUNK) {
			bool exec =
				kvm_kva_exec_range(kd, start + off, SCAN_CHUNK);
			if (exec != (pass == 1)) {
				skipped |= exec;
				continue;
			}
			size_t got;
			kvm_virt_read_image(kd, start + off, chunk,
					    SCAN_CHUNK + 512, &got);
			kvm_error_clear(kd);
			for (size_t i = 0; i + 512 <= got && i < SCAN_CHUNK;
			     i += 4) {
				if (!token_index_at(kd, chunk + i))
					continue;
				loc->token_index = start + off + i;
				if (scan_from_index(kd, loc, &sb) == 0)
					return 0;
				if (!sb.work)
					return -kd->errcode; /* gave up */
				kvm_error_clear(kd);
			}
		}
		if (!skipped)
			break;
	}
	return kvm_error(kd, KVM_ENOENT,
			 "kallsyms: tables not found in the kernel image%s",
			 retry ? "" : " (and no VMCOREINFO to locate them)");
}

/* A message without its leading "kallsyms: ", to join two of them. */
static const char *
unprefixed(const char *msg)
{
	return strncmp(msg, "kallsyms: ", 10) == 0 ? msg + 10 : msg;
}

static int
load_scan(kvm_t *kd, struct kvm_symtab *out, bool retry)
{
	struct kallsyms_loc loc = { 0 };
	int err = locate_scan(kd, &loc, retry);

	return err ? err : load_from(kd, out, &loc, NULL, 0);
}

/*
 * Single names before the table is loaded.  Most commands look up one to
 * three names, and decoding and storing 100k names for them was most of
 * their time.  Here each name of kallsyms_names is expanded token by token
 * only until it differs from the one looked up, and one address decoded.
 * What the full load checks is checked for what is used: the encoding is
 * the one that puts _stext where VMCOREINFO says (and no other does),
 * every address comes out in order, linux_banner (when the tables have
 * it) reads "Linux version".  No tables named by VMCOREINFO, a name not
 * there, a check that fails: the full load decides, and says why.
 */
#define QUICK_NAMES_MAX (64u << 20)

struct kallsyms_quick {
	bool failed; /* not usable: everything goes to the full load */
	struct kallsyms_loc loc;
	struct kallsyms_head h;
	uint64_t want_stext; /* VMCOREINFO's */
	enum kallsyms_enc enc;
	uint8_t *names; /* kallsyms_names as read so far */
	size_t names_len, names_cap;
	bool names_eof;	  /* the rest is unreadable or past the bound */
	bool names_whole; /* names holds all of [names, token_table) */
	int64_t stext_i, banner_i; /* -1: not seen (yet) */
	bool scanned_all;	   /* every name seen once */
	bool verified;		   /* encoding, order and _stext checked */
	bool banner_checked;
};

/*
 * VMCOREINFO's addresses first; when they fail or give tables that do not
 * check out (a damaged or stale note), the layout scan, which finds the
 * tables from what they hold.  Tables that fail their checks are never
 * used: when both ways fail, the error gives both reasons.
 */
int
kvm_sym_load_kallsyms_mem(kvm_t *kd, struct kvm_symtab *out)
{
	struct kallsyms_loc loc = { 0 };
	const size_t first = out->n;

	if (!locate_vmcoreinfo(kd, &loc))
		return load_scan(kd, out, false);
	/* Names the quick lookups read to their end are not read again. */
	const struct kallsyms_quick *q = kd->ksq;
	bool reuse = q && q->names_whole && q->loc.names == loc.names &&
		     q->loc.token_table == loc.token_table;
	int err = load_from(kd, out, &loc, reuse ? q->names : NULL,
			    reuse ? q->names_len : 0);
	if (err == -KVM_ENOMEM || !err)
		return err;
	struct kvm_error_saved why, swhy;
	kvm_error_save(kd, &why);
	kvm_error_clear(kd);
	kvm_symtab_truncate(out, first);
	int serr = load_scan(kd, out, true);
	if (serr == -KVM_ENOMEM || !serr)
		return serr;
	/* Both failed: say both, the note's first. */
	kvm_error_save(kd, &swhy);
	return kvm_error(kd, why.code,
			 "kallsyms: at VMCOREINFO's SYMBOL(kallsyms_*) "
			 "addresses: %s; by the layout scan: %s",
			 unprefixed(why.msg), unprefixed(swhy.msg));
}

/* kallsyms_names up to end (or to its end); false if unreadable there. */
static bool
quick_names(kvm_t *kd, struct kallsyms_quick *q, size_t end)
{
	while (q->names_len < end && !q->names_eof) {
		if (q->names_cap - q->names_len < NAMES_WINDOW) {
			size_t cap = q->names_cap ? q->names_cap * 2
						  : 4 * NAMES_WINDOW;
			if (cap > QUICK_NAMES_MAX) {
				q->names_eof = true;
				break;
			}
			uint8_t *n = realloc(q->names, cap);
			if (!n) {
				q->names_eof = true;
				break;
			}
			q->names = n;
			q->names_cap = cap;
		}
		/* The names end before the token table (every layout). */
		size_t want = NAMES_WINDOW;
		if (q->loc.token_table > q->loc.names) {
			uint64_t room = q->loc.token_table - q->loc.names -
					q->names_len;
			if (room < want) {
				want = (size_t)room;
				q->names_eof = true; /* after this read */
			}
		}
		size_t got = 0;
		if (want && kvm_virt_read_image(kd, q->loc.names + q->names_len,
						q->names + q->names_len, want,
						&got) != 0) {
			kvm_error_clear(kd);
			q->names_eof = true;
		}
		q->names_len += got;
		q->names_whole = q->loc.token_table > q->loc.names &&
				 q->names_len ==
					 q->loc.token_table - q->loc.names;
	}
	return q->names_len >= end;
}

/*
 * Does the entry of n tokens at in expand to a type letter and then name
 * (len bytes)?  Stops at the first byte that differs.
 */
static bool
entry_is(const struct kallsyms_tokens *tok, const uint8_t *in, size_t n,
	 const char *name, size_t len, char *type_ret)
{
	size_t o = 0; /* bytes of the expansion so far, the letter included */

	for (size_t i = 0; i < n; i++) {
		const char *t = tok->table + tok->index[in[i]];
		size_t tl = tok->len[in[i]];
		for (size_t k = 0; k < tl; k++, o++) {
			if (o == 0)
				*type_ret = t[0];
			else if (o > len || t[k] != name[o - 1])
				return false;
		}
	}
	return o == len + 1;
}

/*
 * Which first tokens can begin the expansion of a symbol named name: a
 * type letter, then the start of name.  Most entries are turned down by
 * one lookup in this.
 */
struct name_filter {
	bool first[256];  /* a first token that fits: a letter, then name */
	bool second[256]; /* after a lone letter, a token that fits name */
};

static void
filter_init(const struct kallsyms_tokens *tok, const char *name,
	    struct name_filter *f)
{
	size_t len = strlen(name);

	for (int b = 0; b < 256; b++) {
		const char *t = tok->table + tok->index[b];
		size_t tl = tok->len[b];
		f->first[b] = tl - 1 <= len && memcmp(t + 1, name, tl - 1) == 0;
		f->second[b] = tl <= len && memcmp(t, name, tl) == 0;
	}
}

/* Can the entry of n tokens at in be name?  False is sure. */
static inline bool
filter_may(const struct kallsyms_tokens *tok, const struct name_filter *f,
	   const uint8_t *in, size_t n)
{
	return f->first[in[0]] &&
	       (tok->len[in[0]] != 1 || n < 2 || f->second[in[1]]);
}

/*
 * The first symbol named name, and _stext and linux_banner while they are
 * not known: 1 found, 0 not in the tables, -1 malformed or unreadable.
 */
static int
quick_scan(kvm_t *kd, struct kallsyms_quick *q, const char *name,
	   uint64_t *idx_ret, char *type_ret)
{
	const size_t len = strlen(name);
	bool found = false;
	bool want_stext = q->stext_i < 0 && !q->scanned_all;
	bool want_banner = q->banner_i < 0 && !q->scanned_all;
	size_t pos = 0;
	char t;
	struct name_filter f_name, f_stext, f_banner;

	filter_init(&q->h.tok, name, &f_name);
	filter_init(&q->h.tok, "_stext", &f_stext);
	filter_init(&q->h.tok, "linux_banner", &f_banner);
	for (uint64_t i = 0; i < q->h.num; i++) {
		if (found && !want_stext && !want_banner)
			return 1;
		if (q->names_len - pos < NAME_ENTRY_MAX)
			quick_names(kd, q, pos + NAME_ENTRY_MAX);
		if (pos >= q->names_len)
			return -1;
		size_t n = q->names[pos++];
		if (n & 0x80) {
			if (pos >= q->names_len)
				return -1;
			n = (n & 0x7f) | ((size_t)q->names[pos++] << 7);
		}
		if (n == 0 || n > q->names_len - pos)
			return -1;
		const uint8_t *in = q->names + pos;
		if (!found && filter_may(&q->h.tok, &f_name, in, n) &&
		    entry_is(&q->h.tok, in, n, name, len, type_ret)) {
			found = true;
			*idx_ret = i;
		}
		if (want_stext && filter_may(&q->h.tok, &f_stext, in, n) &&
		    entry_is(&q->h.tok, in, n, "_stext", 6, &t)) {
			q->stext_i = (int64_t)i;
			want_stext = false;
		}
		if (want_banner && filter_may(&q->h.tok, &f_banner, in, n) &&
		    entry_is(&q->h.tok, in, n, "linux_banner", 12, &t)) {
			q->banner_i = (int64_t)i;
			want_banner = false;
		}
		pos += n;
	}
	q->scanned_all = true;
	/* The full load refuses names that run into the token table. */
	if (q->loc.token_table > q->loc.names &&
	    pos > q->loc.token_table - q->loc.names)
		return -1;
	return found;
}

static int
quick_open(kvm_t *kd, struct kallsyms_quick *q)
{
	q->stext_i = q->banner_i = -1;
	if (!locate_vmcoreinfo(kd, &q->loc) ||
	    !kvm_vmcoreinfo_symbol(&kd->vmci, "_stext", &q->want_stext) ||
	    !q->want_stext)
		return -1;
	if (head_read(kd, &q->loc, &q->h)) {
		kvm_error_clear(kd);
		return -1;
	}
	return 0;
}

/* Encoding, order and _stext, as the full load checks them; once. */
static bool
quick_verify(kvm_t *kd, struct kallsyms_quick *q)
{
	if (q->stext_i < 0)
		return false;
	q->enc = ENC_ABSOLUTE;
	if (!q->loc.have_addresses &&
	    !enc_by_stext(kd, &q->loc, &q->h, q->stext_i, q->want_stext,
			  &q->enc))
		return false;
	uint64_t prev = 0;
	for (uint64_t i = 0; i < q->h.num; i++) {
		uint64_t a = head_addr(kd, &q->h, q->enc, i);
		if (a < prev)
			return false;
		prev = a;
	}
	return head_addr(kd, &q->h, q->enc, (uint64_t)q->stext_i) ==
	       q->want_stext;
}

int
kvm_sym_kallsyms_find(kvm_t *kd, const char *name, uint64_t *addr_ret,
		      char *type_ret)
{
	struct kallsyms_quick *q = kd->ksq;

	if (!name[0] || strlen(name) > KVM_SYM_NAME_MAX)
		return -KVM_ENOENT;
	if (!q) {
		if (!(q = kd->ksq = calloc(1, sizeof(*q))))
			return -KVM_ENOENT;
		q->failed = quick_open(kd, q) != 0;
	}
	if (q->failed)
		return -KVM_ENOENT;
	uint64_t i = 0;
	char type = 0;
	int r = quick_scan(kd, q, name, &i, &type);
	if (r < 0 || (!q->verified && !(q->verified = quick_verify(kd, q))))
		q->failed = true;
	if (!q->failed && q->banner_i >= 0 && !q->banner_checked) {
		uint64_t at =
			head_addr(kd, &q->h, q->enc, (uint64_t)q->banner_i);
		q->banner_checked = kvm_banner_at(kd, at, NULL, 0);
		kvm_error_clear(kd);
		q->failed = !q->banner_checked;
	}
	if (q->failed || r != 1)
		return -KVM_ENOENT;
	*addr_ret = head_addr(kd, &q->h, q->enc, i);
	*type_ret = type;
	return 0;
}

void
kvm_sym_kallsyms_quick_free(kvm_t *kd)
{
	struct kallsyms_quick *q = kd->ksq;

	if (!q)
		return;
	head_free(&q->h);
	free(q->names);
	free(q);
	kd->ksq = NULL;
}
