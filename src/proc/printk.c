// SPDX-License-Identifier: BSD-2-Clause
/*
 * The kernel log of a dump: the printk buffer, found through VMCOREINFO
 * alone (kernel/printk/printk.c log_buf_vmcoreinfo_setup()), decoded from
 * the lockless ring of Linux 5.10+ (kernel/printk/printk_ringbuffer.[ch])
 * or the variable-length records of 3.5-5.9.  Everything read from the
 * target is checked before use; the walks are bounded by the ring sizes.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "printk.h"

/*
 * Large reads go in chunks of this size; a chunk that fails is retried
 * from the next granule on, so one page missing from the dump costs one
 * granule of text, not the whole ring.  4 KiB is the smallest page of
 * every architecture we read.
 */
#define PRINTK_CHUNK (1u << 20)
#define PRINTK_GRANULE 4096u
#define PRINTK_MAX_HOLES 64
/* Failed reads per bulk read before the rest counts as missing. */
#define PRINTK_MAX_FAILS 1024
/* Descriptors (and infos) read per call while walking the ring. */
#define PRB_DESC_CHUNK 1024u

/*
 * Descriptor states, the top two bits of prb_desc.state_var; the rest is
 * the descriptor id (DESC_SV_BITS = BITS_PER_LONG, DESC_FLAGS_SHIFT =
 * DESC_SV_BITS - 2; kernel/printk/printk_ringbuffer.h, 5.10 onwards).
 */
enum {
	PRB_DESC_RESERVED = 0,
	PRB_DESC_COMMITTED = 1,
	PRB_DESC_FINALIZED = 2,
	PRB_DESC_REUSABLE = 3,
};

/*
 * Data-less blocks have odd lpos values (LPOS_DATALESS): FAILED_LPOS when
 * the text could not be stored (the kernel lost it), NO_LPOS for an empty
 * text (printk_ringbuffer.h, 5.10 onwards).
 */
#define PRB_FAILED_LPOS 0x1
#define PRB_NO_LPOS 0x3

/* Byte ranges of a bulk read that could not be read. */
struct printk_holes {
	size_t n;
	size_t start[PRINTK_MAX_HOLES], end[PRINTK_MAX_HOLES];
	int code;    /* the first read error, 0 if none */
	uint64_t va; /* where it happened */
};

/* A width-byte integer in the target's byte order. */
static uint64_t
printk_ld(const kvm_t *kd, const uint8_t *p, unsigned width)
{
	uint16_t v16;
	uint32_t v32;
	uint64_t v64;

	switch (width) {
	case 1:
		return p[0];
	case 2:
		memcpy(&v16, p, 2);
		return kd->big_endian ? be16toh(v16) : le16toh(v16);
	case 4:
		memcpy(&v32, p, 4);
		return kvm_tgt32(kd, v32);
	default:
		memcpy(&v64, p, 8);
		return kvm_tgt64(kd, v64);
	}
}

/* True when base + off + width bytes fit in size, without overflow. */
static bool
printk_fits(uint64_t base, uint64_t off, uint64_t width, uint64_t size)
{
	uint64_t at;

	return !kvm_add_overflow(base, off, &at) &&
	       kvm_range_ok(at, width, size);
}

/*
 * The 3-bit level at bit offset bit of a record.  BTF counts bitfield
 * offsets from the low bit of a byte on little-endian targets and from
 * the high bit on big-endian ones, as the compilers allocate them.
 */
static int
printk_level(const kvm_t *kd, const uint8_t *rec, uint64_t bit)
{
	if (bit == KVM_PRINTK_NONE)
		return -1;
	unsigned b = rec[bit / 8], p = (unsigned)(bit % 8);
	return (int)(kd->big_endian ? b >> (8 - p - 3) : b >> p) & 7;
}

/* Checked by the layout checks: the level's 3 bits lie in one byte. */
static bool
printk_level_ok(uint64_t bit, uint64_t size)
{
	return bit == KVM_PRINTK_NONE || (bit / 8 < size && bit % 8 <= 5);
}

static int
printk_read_exact(const struct kvm_printk_src *s, uint64_t va, void *buf,
		  size_t len)
{
	size_t done = 0;
	int err = s->read(s->arg, va, buf, len, &done);

	if (!err && done != len)
		err = kvm_error(s->kd, KVM_ETRUNC, "short read at 0x%llx",
				(unsigned long long)va);
	/* The callers add context to the message: there must be one. */
	if (err && !s->kd->errcode)
		err = kvm_error(s->kd, err, "read failed at 0x%llx",
				(unsigned long long)va);
	return err;
}

static void
printk_hole_add(struct printk_holes *h, size_t start, size_t end, int code,
		uint64_t va)
{
	if (!h->code) {
		h->code = code < 0 ? code : -KVM_ENODATA;
		h->va = va;
	}
	if (h->n && h->end[h->n - 1] == start) {
		h->end[h->n - 1] = end;
		return;
	}
	if (h->n == PRINTK_MAX_HOLES) {
		/* Out of slots: the last hole swallows what lies between. */
		h->end[h->n - 1] = end;
		return;
	}
	h->start[h->n] = start;
	h->end[h->n] = end;
	h->n++;
}

/* Whether [start, end) of the buffer overlaps a hole. */
static bool
printk_holes_hit(const struct printk_holes *h, size_t start, size_t end)
{
	for (size_t i = 0; i < h->n; i++)
		if (start < h->end[i] && h->start[i] < end)
			return true;
	return false;
}

/*
 * Read len bytes at va into buf in large chunks.  What cannot be read is
 * listed in h (and left as it was: every use of the buffer checks h): a
 * granule per failure, the whole rest once PRINTK_MAX_FAILS reads failed.
 * The caller checked that va + len does not wrap.
 */
static void
printk_read_bulk(const struct kvm_printk_src *s, uint64_t va, uint8_t *buf,
		 size_t len, struct printk_holes *h)
{
	size_t off = 0;
	unsigned fails = 0;

	memset(h, 0, sizeof(*h));
	while (off < len) {
		size_t want = KVM_MIN(len - off, (size_t)PRINTK_CHUNK);
		size_t done = 0;
		int err = s->read(s->arg, va + off, buf + off, want, &done);
		if (done > want)
			done = want;
		off += done;
		if (!err && done == want)
			continue;
		if (off >= len)
			break;
		size_t skip = PRINTK_GRANULE -
			      (size_t)((va + off) % PRINTK_GRANULE);
		if (skip > len - off || ++fails > PRINTK_MAX_FAILS)
			skip = len - off;
		printk_hole_add(h, off, off + skip, err, va + off);
		off += skip;
	}
}

/* What a walk could not read, for the one message it ends with. */
struct printk_tally {
	size_t lost; /* in memory missing from the dump */
	int lost_code;
	uint64_t lost_va;
	size_t damaged;	     /* inconsistent records, skipped */
	uint64_t damaged_at; /* first damaged id or offset */
	const char *damaged_why;
};

static void
printk_lost(struct printk_tally *t, const struct printk_holes *h)
{
	if (!t->lost++) {
		t->lost_code = h->code ? h->code : -KVM_ENODATA;
		t->lost_va = h->va;
	}
}

static void
printk_damaged(struct printk_tally *t, uint64_t at, const char *why)
{
	if (!t->damaged++) {
		t->damaged_at = at;
		t->damaged_why = why;
	}
}

/*
 * End a walk: 0 when nothing was lost, else one error that says what was
 * (the records read stay in the log: a partial answer).  what names the
 * unit of damaged_at ("id" or "offset").
 */
static int
printk_finish(kvm_t *kd, const struct printk_tally *t, size_t nrec,
	      const char *what)
{
	if (t->lost && t->damaged)
		return kvm_error(kd, t->lost_code,
				 "printk: %zu records lost: memory missing "
				 "from the dump (first at 0x%llx); %zu "
				 "damaged records skipped (%s 0x%llx: %s); "
				 "%zu read",
				 t->lost, (unsigned long long)t->lost_va,
				 t->damaged, what,
				 (unsigned long long)t->damaged_at,
				 t->damaged_why, nrec);
	if (t->lost)
		return kvm_error(kd, t->lost_code,
				 "printk: %zu records lost: memory missing "
				 "from the dump (first at 0x%llx); %zu read",
				 t->lost, (unsigned long long)t->lost_va, nrec);
	if (t->damaged)
		return kvm_error(kd, KVM_ECORRUPT,
				 "printk: %zu damaged records skipped (first: "
				 "%s 0x%llx: %s); %zu read",
				 t->damaged, what,
				 (unsigned long long)t->damaged_at,
				 t->damaged_why, nrec);
	return 0;
}

/* ------------------------------------------------------ 5.10+ ring */

/* The walk's view of one ring. */
struct prb_walk {
	const struct kvm_printk_src *s;
	const struct kvm_prb_layout *l;
	unsigned psz; /* sizeof(unsigned long) of the target */
	uint64_t ulong_mask;
	uint64_t id_mask; /* DESC_ID_MASK */
	uint64_t count;	  /* descriptors: 2^count_bits */
	unsigned size_bits;
	uint64_t dsize; /* text ring bytes: 2^size_bits */
	const uint8_t *text;
	struct printk_holes text_holes;
	struct printk_tally t;
};

static int
prb_layout_check(kvm_t *kd, const struct kvm_prb_layout *l, unsigned psz)
{
	const char *bad = NULL;

	if (l->rb_size == 0 || l->rb_size > KVM_PRINTK_MAX_STRUCT)
		bad = "SIZE(printk_ringbuffer)";
	else if (l->desc_size == 0 || l->desc_size > KVM_PRINTK_MAX_STRUCT)
		bad = "SIZE(prb_desc)";
	else if (l->info_size == 0 || l->info_size > KVM_PRINTK_MAX_STRUCT)
		bad = "SIZE(printk_info)";
	else if (!printk_fits(l->rb_desc_ring, l->dr_count_bits, 4,
			      l->rb_size) ||
		 !printk_fits(l->rb_desc_ring, l->dr_descs, psz, l->rb_size) ||
		 !printk_fits(l->rb_desc_ring, l->dr_infos, psz, l->rb_size))
		bad = "OFFSET(prb_desc_ring.*)";
	else if (!printk_fits(l->dr_head_id, l->atomic_counter, psz,
			      UINT64_MAX) ||
		 !printk_fits(l->dr_tail_id, l->atomic_counter, psz,
			      UINT64_MAX) ||
		 !printk_fits(l->rb_desc_ring,
			      l->dr_head_id + l->atomic_counter, psz,
			      l->rb_size) ||
		 !printk_fits(l->rb_desc_ring,
			      l->dr_tail_id + l->atomic_counter, psz,
			      l->rb_size))
		bad = "OFFSET(prb_desc_ring.head_id/tail_id)";
	else if (!printk_fits(l->rb_text_data_ring, l->data_size_bits, 4,
			      l->rb_size) ||
		 !printk_fits(l->rb_text_data_ring, l->data_data, psz,
			      l->rb_size))
		bad = "OFFSET(prb_data_ring.*)";
	else if (!printk_fits(l->desc_state_var, l->atomic_counter, psz,
			      l->desc_size) ||
		 !printk_fits(l->desc_text_blk_lpos, l->lpos_begin, psz,
			      l->desc_size) ||
		 !printk_fits(l->desc_text_blk_lpos, l->lpos_next, psz,
			      l->desc_size))
		bad = "OFFSET(prb_desc.*)";
	else if (!printk_fits(0, l->info_seq, 8, l->info_size) ||
		 !printk_fits(0, l->info_ts_nsec, 8, l->info_size) ||
		 !printk_fits(0, l->info_text_len, 2, l->info_size) ||
		 !printk_fits(0, l->info_caller_id, 4, l->info_size) ||
		 (l->info_facility != KVM_PRINTK_NONE &&
		  l->info_facility >= l->info_size) ||
		 !printk_level_ok(l->info_level_bit, l->info_size))
		bad = "OFFSET(printk_info.*)";
	if (bad)
		return kvm_error(kd, KVM_ECORRUPT,
				 "printk: VMCOREINFO %s out of range", bad);
	return 0;
}

/*
 * Where the text of a data block is: the kernel's get_data().  A block
 * that does not fit before the end of the ring is stored whole at its
 * start, its next lpos one wrap on (the wrap count is lpos >> size_bits).
 * Linux 5.10 to 6.17 also wrap a block that would end exactly at the
 * end; later ones keep it there (commit "printk_ringbuffer: don't
 * needlessly wrap data blocks around"), so the wrap of next - 1 decides.
 * Returns false for an impossible block.
 */
static bool
prb_block(const struct prb_walk *w, uint64_t begin, uint64_t next,
	  uint64_t *off_ret, uint64_t *size_ret)
{
	uint64_t last = (next - 1) & w->ulong_mask;
	uint64_t span = (next - begin) & w->ulong_mask;
	uint64_t wraps_mask = w->ulong_mask >> w->size_bits;

	if (span >= 1 && span <= w->dsize &&
	    begin >> w->size_bits == last >> w->size_bits) {
		*off_ret = begin & (w->dsize - 1);
		*size_ret = span;
		return true;
	}
	if ((((begin >> w->size_bits) + 1) & wraps_mask) ==
	    last >> w->size_bits) {
		*off_ret = 0;
		*size_ret = (last & (w->dsize - 1)) + 1;
		return true;
	}
	return false;
}

/*
 * One descriptor of the walk: its record into log, or skipped.  d and inf
 * are its prb_desc and printk_info (NULL: in memory missing from the
 * dump).  Only kvm_log_add() failures are returned.
 */
static int
prb_record(struct prb_walk *w, uint64_t id, const uint8_t *d,
	   const uint8_t *inf, const struct printk_holes *dh,
	   struct kvm_log *log)
{
	const struct kvm_prb_layout *l = w->l;
	kvm_t *kd = w->s->kd;

	if (!d) {
		printk_lost(&w->t, dh);
		return 0;
	}
	uint64_t sv = printk_ld(kd, d + l->desc_state_var + l->atomic_counter,
				w->psz);
	unsigned state = (unsigned)(sv >> (w->psz * 8 - 2)) & 3;
	/*
	 * Another id: the slot is reserved for a newer record or still
	 * holds an older one (head_id moves before the descriptor does).
	 * Reserved: being written.  Reusable: its text may be overwritten.
	 * The kernel's readers skip all of these, and so do we.
	 */
	if ((sv & w->id_mask) != id ||
	    (state != PRB_DESC_COMMITTED && state != PRB_DESC_FINALIZED))
		return 0;
	if (!inf) {
		printk_lost(&w->t, dh);
		return 0;
	}
	/* A record's seq and its id select the same slot (prb_reserve()). */
	uint64_t seq = printk_ld(kd, inf + l->info_seq, 8);
	if ((seq ^ id) & (w->count - 1)) {
		printk_damaged(&w->t, id, "seq does not match the slot");
		return 0;
	}
	const uint8_t *lp = d + l->desc_text_blk_lpos;
	uint64_t begin = printk_ld(kd, lp + l->lpos_begin, w->psz);
	uint64_t next = printk_ld(kd, lp + l->lpos_next, w->psz);
	const char *text = "";
	size_t len = 0;
	if ((begin & 1) || (next & 1)) {
		if (begin == PRB_FAILED_LPOS && next == PRB_FAILED_LPOS)
			return 0; /* the kernel could not store its text */
		if (begin != PRB_NO_LPOS || next != PRB_NO_LPOS) {
			printk_damaged(&w->t, id, "bad data-less block");
			return 0;
		}
		/* NO_LPOS: a record with an empty text. */
	} else {
		uint64_t off, size;
		if (begin % w->psz || next % w->psz ||
		    !prb_block(w, begin, next, &off, &size) || size < w->psz) {
			printk_damaged(&w->t, id, "bad data block");
			return 0;
		}
		/*
		 * The block starts with the descriptor id (struct
		 * prb_data_block).  A text_len beyond the block is cut to
		 * it, as makedumpfile does.
		 */
		uint64_t avail = size - w->psz;
		len = (size_t)printk_ld(kd, inf + l->info_text_len, 2);
		if (len > avail)
			len = (size_t)avail;
		if (printk_holes_hit(&w->text_holes, (size_t)off,
				     (size_t)(off + w->psz + len))) {
			printk_lost(&w->t, &w->text_holes);
			return 0;
		}
		text = (const char *)w->text + off + w->psz;
	}
	int facility = l->info_facility == KVM_PRINTK_NONE
			       ? -1
			       : inf[l->info_facility];
	return kvm_log_add(kd, log, seq,
			   printk_ld(kd, inf + l->info_ts_nsec, 8),
			   printk_level(kd, inf, l->info_level_bit), facility,
			   (uint32_t)printk_ld(kd, inf + l->info_caller_id, 4),
			   text, len);
}

/*
 * Walk the descriptors from tail_id to head_id, PRB_DESC_CHUNK at a time
 * (slots are contiguous between wraps of the index).
 */
static int
prb_walk(struct prb_walk *w, uint64_t descs, uint64_t infos, uint64_t tail,
	 uint64_t n, struct kvm_log *log)
{
	const struct kvm_prb_layout *l = w->l;
	kvm_t *kd = w->s->kd;
	uint64_t chunk = KVM_MIN(w->count, (uint64_t)PRB_DESC_CHUNK);
	uint8_t *dbuf = malloc(chunk * l->desc_size);
	uint8_t *ibuf = malloc(chunk * l->info_size);
	struct printk_holes dh, ih;
	int err = 0;

	if (!dbuf || !ibuf) {
		err = kvm_error(kd, KVM_ENOMEM, "printk: out of memory");
		goto out;
	}
	for (uint64_t i = 0; i < n && !err;) {
		uint64_t id = (tail + i) & w->id_mask;
		uint64_t idx = id & (w->count - 1);
		uint64_t k = KVM_MIN(chunk, KVM_MIN(w->count - idx, n - i));
		size_t dlen = (size_t)(k * l->desc_size);
		size_t ilen = (size_t)(k * l->info_size);
		printk_read_bulk(w->s, descs + idx * l->desc_size, dbuf, dlen,
				 &dh);
		printk_read_bulk(w->s, infos + idx * l->info_size, ibuf, ilen,
				 &ih);
		for (uint64_t j = 0; j < k && !err; j++) {
			size_t doff = (size_t)(j * l->desc_size);
			size_t ioff = (size_t)(j * l->info_size);
			bool dok = !printk_holes_hit(&dh, doff,
						     doff + l->desc_size);
			bool iok = !printk_holes_hit(&ih, ioff,
						     ioff + l->info_size);
			err = prb_record(w, (id + j) & w->id_mask,
					 dok ? dbuf + doff : NULL,
					 iok ? ibuf + ioff : NULL,
					 dok ? &ih : &dh, log);
		}
		i += k;
	}
out:
	free(dbuf);
	free(ibuf);
	return err;
}

int
kvm_printk_prb_read(const struct kvm_printk_src *s,
		    const struct kvm_prb_layout *l, struct kvm_log *log)
{
	kvm_t *kd = s->kd;
	unsigned psz = (unsigned)kd->ptr_size;
	uint8_t ptr[8], rb[KVM_PRINTK_MAX_STRUCT];
	int err;

	if (psz != 4 && psz != 8)
		return kvm_error(kd, KVM_EINVAL,
				 "printk: word size %d is not 4 or 8",
				 kd->ptr_size);
	if ((err = prb_layout_check(kd, l, psz)))
		return err;
	if ((err = printk_read_exact(s, l->prb, ptr, psz)))
		return kvm_error_ctx(kd, "printk: reading prb at 0x%llx",
				     (unsigned long long)l->prb);
	uint64_t rbva = printk_ld(kd, ptr, psz);
	if (!rbva)
		return kvm_error(kd, KVM_ECORRUPT, "printk: prb is NULL");
	if ((err = printk_read_exact(s, rbva, rb, (size_t)l->rb_size)))
		return kvm_error_ctx(kd,
				     "printk: reading the ring buffer "
				     "at 0x%llx",
				     (unsigned long long)rbva);

	const uint8_t *dr = rb + l->rb_desc_ring;
	const uint8_t *tr = rb + l->rb_text_data_ring;
	uint64_t count_bits = printk_ld(kd, dr + l->dr_count_bits, 4);
	uint64_t size_bits = printk_ld(kd, tr + l->data_size_bits, 4);
	if (count_bits > KVM_PRB_MAX_COUNT_BITS)
		return kvm_error(kd, KVM_ECORRUPT,
				 "printk: count_bits %llu exceeds %u",
				 (unsigned long long)count_bits,
				 KVM_PRB_MAX_COUNT_BITS);
	if (size_bits > KVM_PRB_MAX_SIZE_BITS)
		return kvm_error(kd, KVM_ECORRUPT,
				 "printk: size_bits %llu exceeds %u",
				 (unsigned long long)size_bits,
				 KVM_PRB_MAX_SIZE_BITS);

	struct prb_walk w = {
		.s = s,
		.l = l,
		.psz = psz,
		.ulong_mask = psz == 8 ? UINT64_MAX : UINT32_MAX,
		.id_mask = (UINT64_C(1) << (psz * 8 - 2)) - 1,
		.count = UINT64_C(1) << count_bits,
		.size_bits = (unsigned)size_bits,
		.dsize = UINT64_C(1) << size_bits,
	};
	uint64_t descs = printk_ld(kd, dr + l->dr_descs, psz);
	uint64_t infos = printk_ld(kd, dr + l->dr_infos, psz);
	uint64_t data = printk_ld(kd, tr + l->data_data, psz);
	uint64_t head =
		printk_ld(kd, dr + l->dr_head_id + l->atomic_counter, psz) &
		w.id_mask;
	uint64_t tail =
		printk_ld(kd, dr + l->dr_tail_id + l->atomic_counter, psz) &
		w.id_mask;
	if (!printk_fits(descs, 0, w.count * l->desc_size, UINT64_MAX) ||
	    !printk_fits(infos, 0, w.count * l->info_size, UINT64_MAX) ||
	    !printk_fits(data, 0, w.dsize, UINT64_MAX))
		return kvm_error(kd, KVM_ECORRUPT,
				 "printk: descriptor or text ring runs past "
				 "the top of the address space");

	/* A valid ring holds at most count descriptors, tail to head. */
	uint64_t n = ((head - tail) & w.id_mask) + 1;
	bool bad_tail = n > w.count;
	if (bad_tail) {
		n = w.count;
		tail = (head - (w.count - 1)) & w.id_mask;
	}

	/* calloc: a ring mostly absent costs no page. */
	uint8_t *text = calloc(1, (size_t)w.dsize);
	if (!text)
		return kvm_error(kd, KVM_ENOMEM,
				 "printk: out of memory for %llu bytes of text",
				 (unsigned long long)w.dsize);
	printk_read_bulk(s, data, text, (size_t)w.dsize, &w.text_holes);
	w.text = text;
	err = prb_walk(&w, descs, infos, tail, n, log);
	free(text);
	if (err)
		return err;
	if ((err = printk_finish(kd, &w.t, log->n, "id")))
		return err;
	if (bad_tail)
		return kvm_error(kd, KVM_ECORRUPT,
				 "printk: tail_id is more than %llu "
				 "descriptors behind head_id 0x%llx: read the "
				 "last %llu only (%zu records)",
				 (unsigned long long)w.count,
				 (unsigned long long)head,
				 (unsigned long long)w.count, log->n);
	return 0;
}

/* ------------------------------------------------------- 3.5-5.9 log */

static int
plog_layout_check(kvm_t *kd, const struct kvm_plog_layout *l)
{
	uint64_t h = l->hdr_size;

	if (h == 0 || h > KVM_PRINTK_MAX_STRUCT ||
	    !printk_fits(0, l->ts_nsec, 8, h) ||
	    !printk_fits(0, l->len, 2, h) ||
	    !printk_fits(0, l->text_len, 2, h) ||
	    (l->facility != KVM_PRINTK_NONE && l->facility >= h) ||
	    !printk_level_ok(l->level_bit, h) ||
	    (l->caller_id != KVM_PRINTK_NONE &&
	     !printk_fits(0, l->caller_id, 4, h)))
		return kvm_error(kd, KVM_ECORRUPT,
				 "printk: VMCOREINFO SIZE/OFFSET(printk_log) "
				 "out of range");
	return 0;
}

static int
plog_read_var(const struct kvm_printk_src *s, uint64_t va, unsigned width,
	      const char *name, uint64_t *ret)
{
	uint8_t b[8];

	if (printk_read_exact(s, va, b, width))
		return kvm_error_ctx(s->kd, "printk: reading %s at 0x%llx",
				     name, (unsigned long long)va);
	*ret = printk_ld(s->kd, b, width);
	return 0;
}

/*
 * The log's variables (log_buf, its length, the first and next record's
 * offsets), each checked against the others.
 */
static int
plog_vars(const struct kvm_printk_src *s, const struct kvm_plog_layout *l,
	  uint64_t *bufva_ret, uint64_t *len_ret, uint64_t *first_ret,
	  uint64_t *next_ret)
{
	kvm_t *kd = s->kd;
	unsigned psz = (unsigned)kd->ptr_size;
	uint64_t bufva = 0, buf_len = 0, first = 0, next = 0;
	int err;

	if (psz != 4 && psz != 8)
		return kvm_error(kd, KVM_EINVAL,
				 "printk: word size %d is not 4 or 8",
				 kd->ptr_size);
	if ((err = plog_layout_check(kd, l)) ||
	    (err = plog_read_var(s, l->log_buf, psz, "log_buf", &bufva)) ||
	    (err = plog_read_var(s, l->log_buf_len, 4, "log_buf_len",
				 &buf_len)) ||
	    (err = plog_read_var(s, l->first_idx, 4, "log_first_idx",
				 &first)) ||
	    (err = plog_read_var(s, l->next_idx, 4, "log_next_idx", &next)))
		return err;
	if (!bufva)
		return kvm_error(kd, KVM_ECORRUPT, "printk: log_buf is NULL");
	if (buf_len < l->hdr_size || buf_len > KVM_LOG_MAX_TEXT ||
	    !printk_fits(bufva, 0, buf_len, UINT64_MAX))
		return kvm_error(kd, KVM_ECORRUPT,
				 "printk: log_buf_len %llu out of range",
				 (unsigned long long)buf_len);
	/*
	 * log_store() wraps before a record that would leave no room for
	 * a header behind it, so both indexes leave room for one.
	 */
	if (first + l->hdr_size > buf_len || next + l->hdr_size > buf_len)
		return kvm_error(kd, KVM_ECORRUPT,
				 "printk: log_first_idx %llu or log_next_idx "
				 "%llu outside log_buf (%llu bytes)",
				 (unsigned long long)first,
				 (unsigned long long)next,
				 (unsigned long long)buf_len);
	*bufva_ret = bufva;
	*len_ret = buf_len;
	*first_ret = first;
	*next_ret = next;
	return 0;
}

int
kvm_printk_plog_read(const struct kvm_printk_src *s,
		     const struct kvm_plog_layout *l, struct kvm_log *log)
{
	kvm_t *kd = s->kd;
	uint64_t bufva = 0, buf_len = 0, first = 0, next = 0;
	int err;

	if ((err = plog_vars(s, l, &bufva, &buf_len, &first, &next)))
		return err;

	uint8_t *buf = calloc(1, (size_t)buf_len);
	if (!buf)
		return kvm_error(kd, KVM_ENOMEM, "printk: out of memory");
	struct printk_holes h;
	printk_read_bulk(s, bufva, buf, (size_t)buf_len, &h);

	/*
	 * Records run from first to next; a header with len 0 sends the
	 * reader to the start of the buffer (log_next() in 3.5-5.9).  That
	 * happens at most once, and only when the live part wraps (first >
	 * next; first == next is an empty log).  Each record takes at
	 * least a header, which bounds the steps.
	 */
	struct printk_tally t = { 0 };
	uint64_t idx = first, steps = 0, max = buf_len / l->hdr_size + 1;
	bool wrapped = false;
	const char *corrupt = NULL;
	while (idx != next && !err) {
		if (++steps > max) {
			corrupt = "records do not lead to log_next_idx";
			break;
		}
		if (idx + l->hdr_size > buf_len) {
			corrupt = "record header runs past the end";
			break;
		}
		if (printk_holes_hit(&h, (size_t)idx,
				     (size_t)(idx + l->hdr_size))) {
			/* Without its len the walk cannot go on. */
			printk_lost(&t, &h);
			break;
		}
		const uint8_t *r = buf + idx;
		uint64_t len = printk_ld(kd, r + l->len, 2);
		if (len == 0) {
			if (wrapped || first < next) {
				corrupt = "unexpected wrap (len 0)";
				break;
			}
			wrapped = true;
			idx = 0;
			continue;
		}
		if (len < l->hdr_size || idx + len > buf_len ||
		    ((wrapped || first < next) && idx + len > next)) {
			corrupt = "record length out of range";
			break;
		}
		uint64_t tl = printk_ld(kd, r + l->text_len, 2);
		if (tl > len - l->hdr_size)
			tl = len - l->hdr_size;
		uint64_t seq = steps - 1 - (wrapped ? 1 : 0);
		if (printk_holes_hit(&h, (size_t)(idx + l->hdr_size),
				     (size_t)(idx + l->hdr_size + tl))) {
			printk_lost(&t, &h);
		} else {
			int fac = l->facility == KVM_PRINTK_NONE
					  ? -1
					  : r[l->facility];
			uint32_t caller = 0;
			if (l->caller_id != KVM_PRINTK_NONE)
				caller = (uint32_t)printk_ld(kd,
							     r + l->caller_id,
							     4);
			err = kvm_log_add(kd, log, seq,
					  printk_ld(kd, r + l->ts_nsec, 8),
					  printk_level(kd, r, l->level_bit),
					  fac, caller,
					  (const char *)r + l->hdr_size,
					  (size_t)tl);
		}
		idx += len;
	}
	free(buf);
	if (err)
		return err;
	if (corrupt)
		return kvm_error(kd, KVM_ECORRUPT,
				 "printk: log_buf offset %llu: %s; %zu records "
				 "read, %zu lost before",
				 (unsigned long long)idx, corrupt, log->n,
				 t.lost);
	if (t.lost && idx != next)
		return kvm_error(kd, t.lost_code,
				 "printk: record header at 0x%llx missing from "
				 "the dump: the records after it are lost; "
				 "%zu read",
				 (unsigned long long)(bufva + idx), log->n);
	return printk_finish(kd, &t, log->n, "offset");
}

/* ------------------------------------------------------ the layouts */

/*
 * An optional lookup in BTF: *bits_ret, or false.  The error it records
 * is not ours to report, so the previous one is put back.
 */
static bool
printk_btf_bits(kvm_t *kd, const char *type, const char *member,
		bool want_bitfield, uint64_t *bits_ret)
{
	struct kvm_error_saved kept;
	uint64_t bits, size;
	bool bitfield = false;

	kvm_error_save(kd, &kept);
	int err = kvm_types_member(kd, type, member, &bits, &size, &bitfield);
	kvm_error_restore(kd, &kept);
	/*
	 * VMCOREINFO answers without BTF, but never for these members.  A
	 * plain member may be encoded as a bitfield of its full width.
	 */
	if (err || !kd->btf || (want_bitfield && !bitfield))
		return false;
	*bits_ret = bits;
	return true;
}

struct printk_key {
	const char *name; /* "SIZE(name)" or "OFFSET(name)" */
	bool size;
	size_t field; /* offsetof() in the layout */
};

#define PRB_KEY(sz, name, f)                                 \
	{                                                    \
		name, sz, offsetof(struct kvm_prb_layout, f) \
	}
static const struct printk_key prb_keys[] = {
	PRB_KEY(true, "printk_ringbuffer", rb_size),
	PRB_KEY(false, "printk_ringbuffer.desc_ring", rb_desc_ring),
	PRB_KEY(false, "printk_ringbuffer.text_data_ring", rb_text_data_ring),
	PRB_KEY(false, "prb_desc_ring.count_bits", dr_count_bits),
	PRB_KEY(false, "prb_desc_ring.descs", dr_descs),
	PRB_KEY(false, "prb_desc_ring.infos", dr_infos),
	PRB_KEY(false, "prb_desc_ring.head_id", dr_head_id),
	PRB_KEY(false, "prb_desc_ring.tail_id", dr_tail_id),
	PRB_KEY(true, "prb_desc", desc_size),
	PRB_KEY(false, "prb_desc.state_var", desc_state_var),
	PRB_KEY(false, "prb_desc.text_blk_lpos", desc_text_blk_lpos),
	PRB_KEY(false, "prb_data_blk_lpos.begin", lpos_begin),
	PRB_KEY(false, "prb_data_blk_lpos.next", lpos_next),
	PRB_KEY(true, "printk_info", info_size),
	PRB_KEY(false, "printk_info.seq", info_seq),
	PRB_KEY(false, "printk_info.ts_nsec", info_ts_nsec),
	PRB_KEY(false, "printk_info.text_len", info_text_len),
	PRB_KEY(false, "printk_info.caller_id", info_caller_id),
	PRB_KEY(false, "prb_data_ring.size_bits", data_size_bits),
	PRB_KEY(false, "prb_data_ring.data", data_data),
	PRB_KEY(false, "atomic_long_t.counter", atomic_counter),
};
#undef PRB_KEY

/*
 * The log's symbols and layout: VMCOREINFO's SYMBOL()/SIZE()/OFFSET()
 * (what log_buf_vmcoreinfo_setup() exports for dump tools), and where the
 * dump has no VMCOREINFO, or it lacks a key, the same facts from the
 * dump's own symbols and BTF.  On failure the message says what is
 * missing from both.
 */
static int
printk_symbol(kvm_t *kd, const char *name, uint64_t *ret)
{
	if (kvm_vmcoreinfo_symbol(&kd->vmci, name, ret))
		return 0;
	if (kvm_sym_lookup(kd, name, ret) == 0)
		return 0;
	if (kd->vmci.nents)
		return kvm_error_ctx(kd,
				     "printk: no SYMBOL(%s) in VMCOREINFO, "
				     "and in the dump's symbols",
				     name);
	return kvm_error_ctx(kd, "printk: no VMCOREINFO, and in the dump's "
				 "symbols");
}

/* key is "type" (size) or "type.member" (offset). */
static int
printk_layout(kvm_t *kd, const char *key, bool size, uint64_t *ret)
{
	const struct kvm_vmcoreinfo *v = &kd->vmci;

	if (size ? kvm_vmcoreinfo_size(v, key, ret)
		 : kvm_vmcoreinfo_offset(v, key, ret))
		return 0;
	char type[64];
	const char *dot = strchr(key, '.');
	int err;
	if (size) {
		err = kvm_types_sizeof(kd, key, ret);
	} else if (!dot || (size_t)(dot - key) >= sizeof(type)) {
		err = kvm_error(kd, KVM_EINVAL, "printk: bad key %s", key);
	} else {
		memcpy(type, key, dot - key);
		type[dot - key] = '\0';
		uint64_t msize;
		err = kvm_types_offsetof(kd, type, dot + 1, ret, &msize);
	}
	if (!err)
		return 0;
	return kvm_error_ctx(kd, "printk: no %s(%s) in %s, and from BTF",
			     size ? "SIZE" : "OFFSET", key,
			     kd->vmci.nents ? "VMCOREINFO"
					    : "the dump (no VMCOREINFO)");
}

/* The scan for the ring reads this much of the kernel image. */
#define PRB_SCAN_MAX (128u << 20)
#define PRB_SCAN_CHUNK (1u << 20)
#define PRB_SCAN_CANDS 64

/*
 * A 64-bit kernel address: the top byte all ones (x86_64 4- and 5-level,
 * whose direct map starts at 0xff11... with LA57; arm64 at any VA size).
 */
static bool
kernel_ptr(uint64_t v)
{
	return v >> 56 == 0xff;
}

/* Does the struct printk_ringbuffer image at b look like a live ring? */
static bool
prb_plausible(kvm_t *kd, const struct kvm_prb_layout *l, const uint8_t *b)
{
	const uint8_t *dr = b + l->rb_desc_ring, *tr = b + l->rb_text_data_ring;
	uint64_t cb = printk_ld(kd, dr + l->dr_count_bits, 4);
	uint64_t sb = printk_ld(kd, tr + l->data_size_bits, 4);

	/*
	 * _DEFINE_PRINTKRB(name, descbits, avgtextbits, ...): count_bits is
	 * descbits and size_bits descbits + avgtextbits, PRB_AVGBITS (5)
	 * for both rings printk.c defines (5.10+).
	 */
	return cb >= 5 && cb <= KVM_PRB_MAX_COUNT_BITS && sb == cb + 5 &&
	       kernel_ptr(printk_ld(kd, dr + l->dr_descs, 8)) &&
	       kernel_ptr(printk_ld(kd, dr + l->dr_infos, 8)) &&
	       kernel_ptr(printk_ld(kd, tr + l->data_data, 8));
}

struct prb_scan {
	kvm_t *kd;
	struct kvm_prb_layout *l;
	size_t rbsz;
	int pass;
	uint64_t cand[PRB_SCAN_CANDS];
	size_t ncand;
};

static int
prb_scan_window(void *arg, uint64_t va, const uint8_t *b, size_t n,
		size_t starts)
{
	struct prb_scan *ps = arg;

	for (size_t i = (8 - va % 8) % 8; i < starts; i += 8) {
		if (ps->pass == 0) {
			if (i + ps->rbsz <= n && ps->ncand < PRB_SCAN_CANDS &&
			    prb_plausible(ps->kd, ps->l, b + i))
				ps->cand[ps->ncand++] = va + i;
			continue;
		}
		if (i + 8 > n)
			break;
		/* The candidates were found in rising order: a search. */
		uint64_t v = printk_ld(ps->kd, b + i, 8);
		size_t lo = 0, hi = ps->ncand;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (ps->cand[mid] < v)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo < ps->ncand && ps->cand[lo] == v) {
			ps->l->prb = va + i;
			return 1;
		}
	}
	return 0;
}

/*
 * Neither VMCOREINFO nor the symbols name prb (arm64's kallsyms holds
 * text symbols only, and prb is not exported): the ring is found in the
 * kernel image's data, where printk.c defines it (printk_rb_static, and
 * printk_rb_dynamic once log_buf_len= or many CPUs made setup_log_buf()
 * allocate a bigger buffer), and then prb, the pointer to the one in use,
 * beside them.  Bounded: the first 128 MiB of the image, two passes.
 */
static int
printk_scan_prb(kvm_t *kd, struct kvm_prb_layout *l)
{
	struct prb_scan ps = { .kd = kd, .l = l, .rbsz = (size_t)l->rb_size };
	uint64_t base = kd->xlat.ktext_start;

	if (!base || kd->ptr_size != 8)
		return kvm_error(kd, KVM_ENOENT,
				 "no kernel image to scan for the ring buffer");
	if (ps.rbsz == 0 || ps.rbsz > KVM_PRINTK_MAX_STRUCT ||
	    l->rb_desc_ring + l->dr_infos + 8 > ps.rbsz ||
	    l->rb_desc_ring + l->dr_descs + 8 > ps.rbsz ||
	    l->rb_desc_ring + l->dr_count_bits + 4 > ps.rbsz ||
	    l->rb_text_data_ring + l->data_data + 8 > ps.rbsz ||
	    l->rb_text_data_ring + l->data_size_bits + 4 > ps.rbsz)
		return kvm_error(kd, KVM_ECORRUPT,
				 "printk: struct printk_ringbuffer layout does "
				 "not fit its size");
	for (ps.pass = 0; ps.pass < 2; ps.pass++) {
		int r = kvm_scan_image(kd, base, PRB_SCAN_MAX, PRB_SCAN_CHUNK,
				       ps.rbsz, prb_scan_window, &ps);
		if (r < 0)
			return r;
		if (r > 0)
			return 0;
		if (ps.ncand == 0)
			break;
	}
	if (ps.ncand)
		return kvm_error(kd, KVM_ENOENT,
				 "printk: %zu ring buffers in the kernel image, "
				 "but no pointer to one (prb)",
				 ps.ncand);
	return kvm_error(kd, KVM_ENOENT,
			 "printk: no ring buffer in the first %u MiB of the "
			 "kernel image",
			 PRB_SCAN_MAX >> 20);
}

int
kvm_printk_prb_layout(kvm_t *kd, struct kvm_prb_layout *l)
{
	char why[KVM_ERRBUF_SIZE] = "";
	int err, code = 0;

	memset(l, 0, sizeof(*l));
	if ((err = printk_symbol(kd, "prb", &l->prb))) {
		snprintf(why, sizeof(why), "%s", kd->errbuf);
		code = kd->errcode;
		kvm_error_clear(kd);
	}
	for (size_t i = 0; i < ARRAY_SIZE(prb_keys); i++) {
		const struct printk_key *k = &prb_keys[i];
		uint64_t *f = (uint64_t *)((char *)l + k->field);
		if ((err = printk_layout(kd, k->name, k->size, f))) {
			if (why[0])
				return kvm_error(kd, code, "%s", why);
			return err;
		}
	}
	if (why[0] && (err = printk_scan_prb(kd, l))) {
		char swhy[KVM_ERRBUF_SIZE];
		snprintf(swhy, sizeof(swhy), "%s", kd->errbuf);
		return kvm_error(kd, code, "%s; and by a scan: %s", why,
				 strncmp(swhy, "printk: ", 8) ? swhy
							      : swhy + 8);
	}
	/*
	 * VMCOREINFO has no level or facility.  BTF has both; without it,
	 * struct printk_info has kept one layout since 5.10: u64 seq; u64
	 * ts_nsec; u16 text_len; u8 facility; u8 flags:5; u8 level:3; u32
	 * caller_id (kernel/printk/printk_ringbuffer.h) -- trusted when the
	 * offsets VMCOREINFO gives agree with it.
	 */
	uint64_t bits;
	l->info_facility = KVM_PRINTK_NONE;
	l->info_level_bit = KVM_PRINTK_NONE;
	bool known = l->info_seq == 0 && l->info_ts_nsec == 8 &&
		     l->info_text_len == 16 && l->info_caller_id == 20;
	/*
	 * Where VMCOREINFO gave that layout on a little-endian target
	 * (bitfields from the low bit), BTF would say the same: the log
	 * does not load it (4.4 MB to decompress and parse).
	 */
	if (known && !kd->big_endian && kd->btf_state == 0) {
		l->info_facility = 18;
		l->info_level_bit = 19 * 8 + 5;
	} else if (printk_btf_bits(kd, "printk_info", "level", true, &bits) &&
		   printk_level_ok(bits, l->info_size)) {
		l->info_level_bit = bits;
		if (printk_btf_bits(kd, "printk_info", "facility", false,
				    &bits) &&
		    bits % 8 == 0 && bits / 8 < l->info_size)
			l->info_facility = bits / 8;
	} else if (known) {
		l->info_facility = 18;
		l->info_level_bit = 19 * 8 + 5;
	}
	return 0;
}

int
kvm_printk_plog_layout(kvm_t *kd, struct kvm_plog_layout *l)
{
	char key[64];
	int err;

	memset(l, 0, sizeof(*l));
	/* struct log became struct printk_log in 3.11 (commit 62e32ac3505a). */
	const char *type = "printk_log";
	if (printk_layout(kd, type, true, &l->hdr_size)) {
		type = "log";
		kvm_error_clear(kd);
		if ((err = printk_layout(kd, type, true, &l->hdr_size)))
			return err;
	}
	static const char *const syms[] = {
		"log_buf",
		"log_buf_len",
		"log_first_idx",
		"log_next_idx",
	};
	uint64_t *symf[] = {
		&l->log_buf,
		&l->log_buf_len,
		&l->first_idx,
		&l->next_idx,
	};
	for (size_t i = 0; i < ARRAY_SIZE(syms); i++)
		if ((err = printk_symbol(kd, syms[i], symf[i])))
			return err;
	static const char *const mems[] = { "ts_nsec", "len", "text_len" };
	uint64_t *memf[] = { &l->ts_nsec, &l->len, &l->text_len };
	for (size_t i = 0; i < ARRAY_SIZE(mems); i++) {
		snprintf(key, sizeof(key), "%s.%s", type, mems[i]);
		if ((err = printk_layout(kd, key, false, memf[i])))
			return err;
	}
	/* Exported with CONFIG_PRINTK_CALLER (5.1-5.9). */
	snprintf(key, sizeof(key), "%s.caller_id", type);
	if (printk_layout(kd, key, false, &l->caller_id)) {
		kvm_error_clear(kd);
		l->caller_id = KVM_PRINTK_NONE;
	}
	/*
	 * Level and facility: BTF (5.2+ kernels may have it), else the
	 * layout every kernel from 3.5 (commit 7ff9554bb578) to 5.9 has:
	 * u64 ts_nsec; u16 len; u16 text_len; u16 dict_len; u8 facility;
	 * u8 flags:5; u8 level:3 (kernel/printk/printk.c).
	 */
	uint64_t bits;
	l->facility = KVM_PRINTK_NONE;
	l->level_bit = KVM_PRINTK_NONE;
	bool known = l->ts_nsec == 0 && l->len == 8 && l->text_len == 10 &&
		     l->hdr_size >= 16;
	if (known && !kd->big_endian && kd->btf_state == 0) {
		/* As for printk_info above: BTF would say the same. */
		l->facility = 14;
		l->level_bit = 15 * 8 + 5;
	} else if (printk_btf_bits(kd, type, "level", true, &bits) &&
		   printk_level_ok(bits, l->hdr_size)) {
		l->level_bit = bits;
		if (printk_btf_bits(kd, type, "facility", false, &bits) &&
		    bits % 8 == 0 && bits / 8 < l->hdr_size)
			l->facility = bits / 8;
	} else if (known) {
		l->facility = 14;
		l->level_bit = 15 * 8 + 5;
	}
	return 0;
}

/* ------------------------------------------------------- the entry */

static int
printk_virt_read(void *arg, uint64_t va, void *buf, size_t len,
		 size_t *done_ret)
{
	return kvm_virt_read(arg, va, buf, len, done_ret);
}

int
kvm_log_load_dump(kvm_t *kd, struct kvm_log *log)
{
	const struct kvm_printk_src s = {
		.kd = kd,
		.read = printk_virt_read,
		.arg = kd,
	};
	uint64_t addr;
	int err;

	/*
	 * The lockless ring (5.10+) has prb; the older buffer log_buf.  With
	 * neither symbol, a kernel whose BTF knows the ring has it: found by
	 * a scan (kvm_printk_prb_layout).
	 */
	uint64_t rbsz;
	if (printk_symbol(kd, "prb", &addr) == 0 ||
	    (printk_symbol(kd, "log_buf", &addr) &&
	     kvm_types_sizeof(kd, "printk_ringbuffer", &rbsz) == 0)) {
		kvm_error_clear(kd);
		struct kvm_prb_layout l;
		if ((err = kvm_printk_prb_layout(kd, &l)))
			return err;
		return kvm_printk_prb_read(&s, &l, log);
	}
	char why[KVM_ERRBUF_SIZE];
	snprintf(why, sizeof(why), "%s", kd->errbuf);
	kvm_error_clear(kd);
	if (printk_symbol(kd, "log_buf", &addr)) {
		kvm_error_clear(kd);
		return kvm_error(kd, KVM_ENOENT,
				 "printk: neither the 5.10+ ring (prb) nor the "
				 "older log_buf found: %s",
				 strncmp(why, "printk: ", 8) ? why : why + 8);
	}
	if (printk_layout(kd, "printk_log", true, &addr) &&
	    printk_layout(kd, "log", true, &addr)) {
		kvm_error_clear(kd);
		return kvm_error(kd, KVM_ENOTSUP,
				 "printk: the log format of Linux before 3.5 "
				 "(no struct printk_log) is not supported");
	}
	struct kvm_plog_layout l;
	if ((err = kvm_printk_plog_layout(kd, &l)))
		return err;
	return kvm_printk_plog_read(&s, &l, log);
}
