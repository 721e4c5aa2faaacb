// SPDX-License-Identifier: BSD-2-Clause
/*
 * The printk decoders (src/proc/printk.c) over rings built in memory: the
 * 5.10+ lockless ring (descriptors, infos, text data ring; written as
 * prb_reserve()/data_alloc() of Linux 6.1 write them) and the 3.5-5.9
 * printk_log buffer, little- and big-endian, 64- and 32-bit.  Normal
 * logs, wrapped data blocks, wrapped descriptor ids, every descriptor
 * state; then hostile rings, each of which must end with records or a
 * clear error.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvm_private.h"
#include "proc/printk.h"

/* ------------------------------------------------------ target memory */

#define BASE 0x10000u

struct mem {
	kvm_t *kd;
	uint8_t *buf;
	size_t size;
	uint64_t hole_start, hole_end; /* reads here fail (ENODATA) */
	unsigned calls;
};

static int
mem_read(void *arg, uint64_t va, void *buf, size_t len, size_t *done_ret)
{
	struct mem *m = arg;
	size_t done = 0;

	m->calls++;
	while (done < len) {
		uint64_t a = va + done;
		if (a >= m->hole_start && a < m->hole_end) {
			*done_ret = done;
			return kvm_error(m->kd, KVM_ENODATA,
					 "test: 0x%llx excluded",
					 (unsigned long long)a);
		}
		if (a < BASE || a - BASE >= m->size) {
			*done_ret = done;
			return kvm_error(m->kd, KVM_EFAULT,
					 "test: 0x%llx not mapped",
					 (unsigned long long)a);
		}
		((uint8_t *)buf)[done++] = m->buf[a - BASE];
	}
	*done_ret = done;
	return 0;
}

static void
st(const kvm_t *kd, uint8_t *p, uint64_t v, unsigned width)
{
	for (unsigned i = 0; i < width; i++) {
		unsigned sh = kd->big_endian ? (width - 1 - i) * 8 : i * 8;
		p[i] = (uint8_t)(v >> sh);
	}
}

/* ------------------------------------------------- 5.10+ ring builder */

struct want {
	uint64_t seq, ts;
	char text[300];
	size_t len;
	int level, facility;
	bool live; /* expected in the output */
};

#define MAX_WANT 512

struct rb {
	kvm_t *kd;
	struct mem m;
	unsigned psz, count_bits, size_bits;
	uint64_t count, dsize, id_mask;
	uint64_t rbva, descs, infos, data;
	struct kvm_prb_layout l;
	uint64_t head_lpos, first_id, next_id, seq0;
	uint64_t tail_id;
	struct want w[MAX_WANT];
	uint64_t wid[MAX_WANT];
	uint64_t wbegin[MAX_WANT];
	size_t nw, nretired;
};

static void
rb_init(struct rb *r, unsigned psz, bool be, unsigned count_bits,
	unsigned size_bits, uint64_t first_id)
{
	memset(r, 0, sizeof(*r));
	r->kd = calloc(1, sizeof(*r->kd));
	assert_non_null(r->kd);
	r->kd->ptr_size = (int)psz;
	r->kd->big_endian = be;
	r->psz = psz;
	r->count_bits = count_bits;
	r->size_bits = size_bits;
	r->count = UINT64_C(1) << count_bits;
	r->dsize = UINT64_C(1) << size_bits;
	r->id_mask = (UINT64_C(1) << (psz * 8 - 2)) - 1;
	/* As VMCOREINFO of 6.1 gives it, scaled by the word size. */
	struct kvm_prb_layout *l = &r->l;
	l->prb = BASE;
	l->rb_size = 11 * psz;
	l->rb_desc_ring = 0;
	l->dr_count_bits = 0;
	l->dr_descs = psz;
	l->dr_infos = 2 * psz;
	l->dr_head_id = 3 * psz;
	l->dr_tail_id = 4 * psz;
	l->rb_text_data_ring = 6 * psz;
	l->data_size_bits = 0;
	l->data_data = psz;
	l->desc_size = 3 * psz;
	l->desc_state_var = 0;
	l->desc_text_blk_lpos = psz;
	l->lpos_begin = 0;
	l->lpos_next = psz;
	l->info_size = 88;
	l->info_seq = 0;
	l->info_ts_nsec = 8;
	l->info_text_len = 16;
	l->info_caller_id = 20;
	l->info_facility = 18;
	l->info_level_bit = 19 * 8 + 5;
	l->atomic_counter = 0;

	r->rbva = BASE + 0x100;
	r->descs = BASE + 0x1000;
	r->infos = r->descs + r->count * l->desc_size;
	r->data = r->infos + r->count * l->info_size;
	r->m.kd = r->kd;
	r->m.size = (size_t)(r->data + r->dsize - BASE);
	r->m.buf = calloc(1, r->m.size);
	assert_non_null(r->m.buf);
	r->m.hole_start = r->m.hole_end = 0;

	uint8_t *rb = r->m.buf + (r->rbva - BASE);
	st(r->kd, r->m.buf, r->rbva, psz);
	st(r->kd, rb + l->dr_count_bits, count_bits, 4);
	st(r->kd, rb + l->dr_descs, r->descs, psz);
	st(r->kd, rb + l->dr_infos, r->infos, psz);
	st(r->kd, rb + l->rb_text_data_ring + l->data_size_bits, size_bits, 4);
	st(r->kd, rb + l->rb_text_data_ring + l->data_data, r->data, psz);
	/* Lpos starts one ring below 0 (BLK0_LPOS()), ids anywhere. */
	r->head_lpos = (0 - r->dsize) & (psz == 8 ? UINT64_MAX : UINT32_MAX);
	r->first_id = r->next_id = r->tail_id = first_id & r->id_mask;
	r->seq0 = first_id & (r->count - 1);
}

static uint8_t *
rb_desc(struct rb *r, uint64_t id)
{
	return r->m.buf + (r->descs - BASE) +
	       (id & (r->count - 1)) * r->l.desc_size;
}

static uint8_t *
rb_info(struct rb *r, uint64_t id)
{
	return r->m.buf + (r->infos - BASE) +
	       (id & (r->count - 1)) * r->l.info_size;
}

static void
rb_set_state(struct rb *r, uint64_t id, unsigned state)
{
	st(r->kd, rb_desc(r, id), ((uint64_t)state << (r->psz * 8 - 2)) | id,
	   r->psz);
}

static void
rb_ids(struct rb *r)
{
	uint8_t *rb = r->m.buf + (r->rbva - BASE);
	st(r->kd, rb + r->l.dr_head_id, (r->next_id - 1) & r->id_mask, r->psz);
	st(r->kd, rb + r->l.dr_tail_id, r->tail_id, r->psz);
}

/*
 * Retire records from the tail, in order, until the new record's slot and
 * text room are free (desc_push_tail()/data_push_tail()).
 */
static void
rb_retire(struct rb *r, uint64_t new_id, uint64_t new_next)
{
	uint64_t ulong = r->psz == 8 ? UINT64_MAX : UINT32_MAX;
	size_t last = SIZE_MAX;

	for (size_t i = r->nretired; i < r->nw; i++) {
		bool slot = ((new_id - r->wid[i]) & r->id_mask) >= r->count;
		bool text = r->wbegin[i] != 1 &&
			    ((new_next - r->wbegin[i]) & ulong) > r->dsize;
		if (slot || text)
			last = i;
	}
	for (size_t i = r->nretired; last != SIZE_MAX && i <= last; i++) {
		r->w[i].live = false;
		rb_set_state(r, r->wid[i], 3);
		r->nretired = i + 1;
		r->tail_id = (r->wid[i] + 1) & r->id_mask;
	}
}

/*
 * Append a record as the kernel does; state 1 committed, 2 finalized,
 * 0 reserved (not expected back), 3 reusable.  len 0: a data-less
 * record (NO_LPOS); len (size_t)-1: its text could not be stored.
 */
static void
rb_add(struct rb *r, const char *text, size_t len, int level, unsigned state)
{
	kvm_t *kd = r->kd;
	uint64_t ulong = r->psz == 8 ? UINT64_MAX : UINT32_MAX;
	uint64_t id = r->next_id;
	uint64_t begin, next;
	bool failed = len == (size_t)-1;

	if (failed || len == 0) {
		begin = next = failed ? 1 : 3;
		rb_retire(r, id, r->head_lpos);
	} else {
		uint64_t a = r->psz - 1;
		uint64_t size = (r->psz + len + a) & ~a;
		begin = r->head_lpos;
		next = (begin + size) & ulong;
		/* 6.1's get_next_lpos(): a block that reaches the end wraps. */
		if (begin >> r->size_bits != next >> r->size_bits)
			next = ((next & ~(r->dsize - 1)) + size) & ulong;
		rb_retire(r, id, next);
		uint64_t off = next >> r->size_bits != begin >> r->size_bits
				       ? 0
				       : begin & (r->dsize - 1);
		uint8_t *blk = r->m.buf + (r->data - BASE) + off;
		st(kd, blk, id, r->psz);
		memcpy(blk + r->psz, text, len);
		r->head_lpos = next;
	}
	uint8_t *d = rb_desc(r, id), *inf = rb_info(r, id);
	memset(inf, 0, r->l.info_size);
	uint64_t seq = r->seq0 + ((id - r->first_id) & r->id_mask);
	st(kd, inf + r->l.info_seq, seq, 8);
	st(kd, inf + r->l.info_ts_nsec, seq * 1000003u, 8);
	st(kd, inf + r->l.info_text_len, failed ? 0 : len, 2);
	inf[18] = (uint8_t)(level == 4 ? 1 : 0); /* facility */
	inf[19] = kd->big_endian ? (uint8_t)(0x18 | level)
				 : (uint8_t)(0x03 | level << 5);
	st(kd, inf + r->l.info_caller_id, 0x80000000u | (unsigned)id, 4);
	st(kd, d + r->psz + r->l.lpos_begin, begin, r->psz);
	st(kd, d + r->psz + r->l.lpos_next, next, r->psz);
	rb_set_state(r, id, state);
	assert_true(r->nw < MAX_WANT);
	struct want *w = &r->w[r->nw];
	r->wid[r->nw] = id;
	r->wbegin[r->nw] = begin & 1 ? 1 : begin;
	r->nw++;
	w->seq = seq;
	w->ts = seq * 1000003u;
	w->len = failed ? 0 : len;
	if (!failed)
		memcpy(w->text, text, len);
	w->level = level;
	w->facility = level == 4 ? 1 : 0;
	w->live = !failed && (state == 1 || state == 2);
	r->next_id = (id + 1) & r->id_mask;
	rb_ids(r);
}

static void
rb_free(struct rb *r)
{
	free(r->m.buf);
	free(r->kd);
}

static int
rb_read(struct rb *r, struct kvm_log *log)
{
	struct kvm_printk_src s = { r->kd, mem_read, &r->m };

	memset(log, 0, sizeof(*log));
	int err = kvm_printk_prb_read(&s, &r->l, log);
	kvm_log_finish(log);
	return err;
}

/* The log holds exactly the live records, in order. */
static void
assert_log(const struct want *w, size_t nw, const struct kvm_log *log)
{
	size_t j = 0;

	for (size_t i = 0; i < nw; i++) {
		if (!w[i].live)
			continue;
		if (j >= log->n)
			fail_msg("record seq %llu missing (%zu read)",
				 (unsigned long long)w[i].seq, log->n);
		const struct kvm_log_entry *e = &log->ents[j++];
		assert_int_equal(e->seq, w[i].seq);
		assert_int_equal(e->ts_nsec, w[i].ts);
		assert_int_equal(e->text_len, w[i].len);
		assert_memory_equal(e->text, w[i].text, w[i].len);
		assert_int_equal(e->text[e->text_len], '\0');
		assert_int_equal(e->level, w[i].level);
		assert_int_equal(e->facility, w[i].facility);
	}
	assert_int_equal(j, log->n);
}

#define assert_error(kd, err, code, want)                                  \
	do {                                                               \
		assert_int_equal((err), -(code));                          \
		if (!strstr((kd)->errbuf, (want)))                         \
			fail_msg("error \"%s\" does not contain \"%s\"",   \
				 (kd)->errbuf, (want));                    \
	} while (0)

static const struct {
	unsigned psz;
	bool be;
} targets[] = { { 8, false }, { 8, true }, { 4, false }, { 4, true } };

static void
test_prb_basic(void **state)
{
	(void)state;
	for (size_t t = 0; t < ARRAY_SIZE(targets); t++) {
		struct rb r;
		struct kvm_log log;
		rb_init(&r, targets[t].psz, targets[t].be, 5, 12, 0);
		rb_add(&r, "Linux version 6.1", 17, 5, 2);
		rb_add(&r, "line one\nline two\n  three", 25, 4, 2);
		rb_add(&r, "", 0, 6, 2);	/* empty text */
		rb_add(&r, NULL, (size_t)-1, 6, 2); /* lost text */
		rb_add(&r, "tab\there \x01 ctl", 15, 7, 2);
		rb_add(&r, "still open", 10, 6, 1); /* committed */
		rb_add(&r, "being written", 13, 6, 0); /* reserved */
		assert_int_equal(rb_read(&r, &log), 0);
		assert_log(r.w, r.nw, &log);
		assert_int_equal(log.n, 5);
		assert_int_equal(log.ents[0].caller_id, 0x80000000u);
		/* The whole text ring in one read, descriptors in two. */
		assert_true(r.m.calls <= 6);
		kvm_log_deinit(&log);
		rb_free(&r);
	}
}

static void
test_prb_wrap(void **state)
{
	(void)state;
	for (size_t t = 0; t < ARRAY_SIZE(targets); t++) {
		struct rb r;
		struct kvm_log log;
		char text[80];
		/* 16 slots, 512 bytes of text: both wrap many times. */
		rb_init(&r, targets[t].psz, targets[t].be, 4, 9, 0);
		for (int i = 0; i < 200; i++) {
			int n = snprintf(text, sizeof(text), "record %d %.*s",
					 i, i % 37,
					 "abcdefghijklmnopqrstuvwxyz0123456789");
			rb_add(&r, text, (size_t)n, i % 8, 2);
		}
		assert_int_equal(rb_read(&r, &log), 0);
		assert_log(r.w, r.nw, &log);
		assert_true(log.n > 4);
		kvm_log_deinit(&log);
		rb_free(&r);
	}
}

static void
test_prb_id_wrap(void **state)
{
	(void)state;
	for (size_t t = 0; t < ARRAY_SIZE(targets); t++) {
		struct rb r;
		struct kvm_log log;
		uint64_t mask = (UINT64_C(1) << (targets[t].psz * 8 - 2)) - 1;
		rb_init(&r, targets[t].psz, targets[t].be, 3, 10, mask - 4);
		for (int i = 0; i < 20; i++)
			rb_add(&r, "wrapping ids", 12, 3, 2);
		assert_true(r.next_id < 20);
		assert_int_equal(rb_read(&r, &log), 0);
		assert_log(r.w, r.nw, &log);
		assert_int_equal(log.n, 8);
		kvm_log_deinit(&log);
		rb_free(&r);
	}
}

static void
test_prb_states(void **state)
{
	struct rb r;
	struct kvm_log log;

	(void)state;
	rb_init(&r, 8, false, 4, 10, 100);
	rb_add(&r, "finalized", 9, 6, 2);
	rb_add(&r, "reusable", 8, 6, 3);
	rb_add(&r, "reserved", 8, 6, 0);
	rb_add(&r, "committed", 9, 6, 1);
	/* A slot still holding an older id: head moved, desc not yet. */
	rb_add(&r, "stale", 5, 6, 2);
	st(r.kd, rb_desc(&r, r.next_id - 1), (2ull << 62) | (r.next_id - 17),
	   8);
	r.w[r.nw - 1].live = false;
	assert_int_equal(rb_read(&r, &log), 0);
	assert_log(r.w, r.nw, &log);
	assert_int_equal(log.n, 2);
	kvm_log_deinit(&log);
	rb_free(&r);
}

/* ------------------------------------------------------ hostile rings */

static void
test_prb_hostile_bits(void **state)
{
	struct rb r;
	struct kvm_log log;

	(void)state;
	rb_init(&r, 8, false, 4, 10, 0);
	rb_add(&r, "x", 1, 6, 2);
	uint8_t *rb = r.m.buf + (r.rbva - BASE);
	st(r.kd, rb + r.l.dr_count_bits, 63, 4);
	assert_error(r.kd, rb_read(&r, &log), KVM_ECORRUPT, "count_bits 63");
	assert_int_equal(log.n, 0);
	kvm_log_deinit(&log);
	st(r.kd, rb + r.l.dr_count_bits, 4, 4);
	st(r.kd, rb + r.l.rb_text_data_ring, 40, 4);
	assert_error(r.kd, rb_read(&r, &log), KVM_ECORRUPT, "size_bits 40");
	kvm_log_deinit(&log);
	st(r.kd, rb + r.l.rb_text_data_ring, 10, 4);
	/* A pointer that wraps the address space. */
	st(r.kd, rb + r.l.dr_infos, UINT64_MAX - 100, 8);
	assert_error(r.kd, rb_read(&r, &log), KVM_ECORRUPT, "top of the");
	kvm_log_deinit(&log);
	st(r.kd, rb + r.l.dr_infos, r.infos, 8);
	/* prb NULL, and prb not readable. */
	st(r.kd, r.m.buf, 0, 8);
	assert_error(r.kd, rb_read(&r, &log), KVM_ECORRUPT, "prb is NULL");
	kvm_log_deinit(&log);
	st(r.kd, r.m.buf, 0x7777000, 8);
	assert_error(r.kd, rb_read(&r, &log), KVM_EFAULT,
		     "reading the ring buffer at 0x7777000: test:");
	kvm_log_deinit(&log);
	/* Layouts out of range. */
	st(r.kd, r.m.buf, r.rbva, 8);
	struct kvm_prb_layout good = r.l;
	r.l.info_text_len = 87;
	assert_error(r.kd, rb_read(&r, &log), KVM_ECORRUPT, "printk_info");
	r.l = good;
	r.l.rb_size = 1u << 20;
	assert_error(r.kd, rb_read(&r, &log), KVM_ECORRUPT,
		     "SIZE(printk_ringbuffer)");
	r.l = good;
	r.l.dr_tail_id = UINT64_MAX - 2;
	assert_error(r.kd, rb_read(&r, &log), KVM_ECORRUPT, "tail_id");
	r.l = good;
	r.l.info_level_bit = 88 * 8;
	assert_error(r.kd, rb_read(&r, &log), KVM_ECORRUPT, "printk_info");
	r.l = good;
	assert_int_equal(rb_read(&r, &log), 0);
	assert_int_equal(log.n, 1);
	kvm_log_deinit(&log);
	rb_free(&r);
}

static void
test_prb_hostile_records(void **state)
{
	struct rb r;
	struct kvm_log log;

	(void)state;
	rb_init(&r, 8, false, 4, 10, 0);
	for (int i = 0; i < 6; i++)
		rb_add(&r, "record", 6, 6, 2);
	/* 1: text_len far beyond its block: cut to the block (8 bytes). */
	st(r.kd, rb_info(&r, 1) + 16, 0xffff, 2);
	r.w[1].len = 8;
	/* 2: begin/next outside any valid block. */
	st(r.kd, rb_desc(&r, 2) + 8, 0x1000000, 8);
	st(r.kd, rb_desc(&r, 2) + 16, 0x8, 8);
	r.w[2].live = false;
	/* 3: one lpos data-less, the other not. */
	st(r.kd, rb_desc(&r, 3) + 8, 3, 8);
	r.w[3].live = false;
	/* 4: seq of another slot. */
	st(r.kd, rb_info(&r, 4), 5, 8);
	r.w[4].live = false;
	int err = rb_read(&r, &log);
	assert_error(r.kd, err, KVM_ECORRUPT, "3 damaged records skipped");
	assert_log(r.w, r.nw, &log);
	kvm_log_deinit(&log);

	/* tail_id far behind head_id: only one ring's worth is read. */
	uint8_t *rb = r.m.buf + (r.rbva - BASE);
	st(r.kd, rb + r.l.dr_tail_id, 0x3fffffff00000000ull, 8);
	err = rb_read(&r, &log);
	assert_int_equal(err, -KVM_ECORRUPT);
	assert_true(log.n <= 16);
	kvm_log_deinit(&log);
	/* head_id == tail_id - 1: the longest walk, bounded by the ring. */
	st(r.kd, rb + r.l.dr_tail_id, 6, 8);
	st(r.kd, rb + r.l.dr_head_id, 5, 8);
	r.m.calls = 0;
	err = rb_read(&r, &log);
	assert_int_equal(err, -KVM_ECORRUPT);
	assert_true(r.m.calls < 10);
	kvm_log_deinit(&log);
	rb_free(&r);
}

static void
test_prb_holes(void **state)
{
	struct rb r;
	struct kvm_log log;
	char text[200];

	(void)state;
	/* 64 KiB of text: a hole of one 4 KiB page loses what is in it. */
	rb_init(&r, 8, false, 8, 16, 0);
	memset(text, 'a', sizeof(text));
	for (int i = 0; i < 250; i++)
		rb_add(&r, text, sizeof(text), 6, 2);
	r.m.hole_start = r.data + 0x2000;
	r.m.hole_end = r.data + 0x3000;
	size_t lost = 0;
	for (size_t i = 0; i < r.nw; i++) {
		uint64_t off = r.wbegin[i] & (r.dsize - 1);
		if (off + 8 + 200 > 0x2000 && off < 0x3000) {
			r.w[i].live = false;
			lost++;
		}
	}
	int err = rb_read(&r, &log);
	char want[64];
	snprintf(want, sizeof(want), "printk: %zu records lost", lost);
	assert_error(r.kd, err, KVM_ENODATA, want);
	assert_log(r.w, r.nw, &log);
	kvm_log_deinit(&log);
	/*
	 * Descriptors in a missing page: the whole 4 KiB granule is lost,
	 * slots 0-170 (24 bytes each), not just the 10 in the hole.
	 */
	r.m.hole_start = r.descs;
	r.m.hole_end = r.descs + 24 * 10;
	err = rb_read(&r, &log);
	assert_error(r.kd, err, KVM_ENODATA, "171 records lost");
	assert_int_equal(log.n, 250 - 171);
	assert_int_equal(log.ents[0].seq, 171);
	kvm_log_deinit(&log);
	/* Everything missing: bounded calls, an error, no records. */
	r.m.hole_start = r.descs;
	r.m.hole_end = UINT64_MAX;
	r.m.calls = 0;
	err = rb_read(&r, &log);
	assert_int_equal(err, -KVM_ENODATA);
	assert_int_equal(log.n, 0);
	assert_true(r.m.calls < 100);
	kvm_log_deinit(&log);
	rb_free(&r);
}

/* -------------------------------------------------- 3.5-5.9 printk_log */

struct plog {
	kvm_t *kd;
	struct mem m;
	struct kvm_plog_layout l;
	uint64_t bufva;
	uint32_t buf_len, first, next;
	struct want w[MAX_WANT];
	uint32_t widx[MAX_WANT];
	size_t nw, nseq;
};

static void
plog_init(struct plog *p, unsigned psz, bool be, uint32_t buf_len)
{
	memset(p, 0, sizeof(*p));
	p->kd = calloc(1, sizeof(*p->kd));
	assert_non_null(p->kd);
	p->kd->ptr_size = (int)psz;
	p->kd->big_endian = be;
	p->l = (struct kvm_plog_layout){
		.log_buf = BASE, .log_buf_len = BASE + 8,
		.first_idx = BASE + 12, .next_idx = BASE + 16,
		.hdr_size = 16, .ts_nsec = 0, .len = 8, .text_len = 10,
		.facility = 14, .level_bit = 15 * 8 + 5,
		.caller_id = KVM_PRINTK_NONE,
	};
	p->bufva = BASE + 0x100;
	p->buf_len = buf_len;
	p->m.kd = p->kd;
	p->m.size = 0x100 + buf_len;
	p->m.buf = calloc(1, p->m.size);
	assert_non_null(p->m.buf);
	st(p->kd, p->m.buf, p->bufva, psz);
	st(p->kd, p->m.buf + 8, buf_len, 4);
}

static void
plog_sync(struct plog *p)
{
	st(p->kd, p->m.buf + 12, p->first, 4);
	st(p->kd, p->m.buf + 16, p->next, 4);
}

static uint32_t
ld16(const kvm_t *kd, const uint8_t *p)
{
	return kd->big_endian ? (uint32_t)(p[0] << 8 | p[1])
			      : (uint32_t)(p[1] << 8 | p[0]);
}

/* log_store() of 3.5-5.9: wrap with a zero header, drop the oldest. */
static void
plog_add(struct plog *p, const char *text, size_t len, int level)
{
	uint8_t *buf = p->m.buf + 0x100;
	uint32_t size = (uint32_t)((16 + len + 7) & ~7u);

	for (;;) {
		uint32_t free_;
		bool empty = p->nw == 0 || p->first == p->next;
		if (p->next > p->first || empty)
			free_ = KVM_MAX(p->buf_len - p->next, p->first);
		else
			free_ = p->first - p->next;
		if (free_ >= size + 16 || empty)
			break;
		/* Drop the oldest: log_first_idx moves on. */
		for (size_t i = 0; i < p->nw; i++)
			if (p->w[i].live && p->widx[i] == p->first) {
				p->w[i].live = false;
				break;
			}
		p->first += ld16(p->kd, buf + p->first + 8);
		if (ld16(p->kd, buf + p->first + 8) == 0)
			p->first = 0;
	}
	if (p->next + size + 16 > p->buf_len) {
		memset(buf + p->next, 0, 16);
		p->next = 0;
	}
	uint8_t *r = buf + p->next;
	p->nseq++;
	st(p->kd, r, p->nseq * 999u, 8);
	st(p->kd, r + 8, size, 2);
	st(p->kd, r + 10, len, 2);
	r[14] = 0;
	r[15] = p->kd->big_endian ? (uint8_t)(0x10 | level)
				  : (uint8_t)(level << 5 | 2);
	memcpy(r + 16, text, len);
	struct want *w = &p->w[p->nw];
	p->widx[p->nw++] = p->next;
	w->ts = p->nseq * 999u;
	memcpy(w->text, text, len);
	w->len = len;
	w->level = level;
	w->facility = 0;
	w->live = true;
	p->next += size;
	plog_sync(p);
}

static int
plog_read(struct plog *p, struct kvm_log *log)
{
	struct kvm_printk_src s = { p->kd, mem_read, &p->m };

	memset(log, 0, sizeof(*log));
	int err = kvm_printk_plog_read(&s, &p->l, log);
	kvm_log_finish(log);
	/* seq is the ordinal from log_first_idx: give the wants theirs. */
	size_t k = 0;
	for (size_t i = 0; i < p->nw; i++)
		if (p->w[i].live)
			p->w[i].seq = k++;
	return err;
}

static void
plog_free(struct plog *p)
{
	free(p->m.buf);
	free(p->kd);
}

static void
test_plog_normal(void **state)
{
	(void)state;
	for (size_t t = 0; t < ARRAY_SIZE(targets); t++) {
		struct plog p;
		struct kvm_log log;
		char text[120];
		plog_init(&p, targets[t].psz, targets[t].be, 1024);
		plog_add(&p, "first\nsecond line", 17, 5);
		plog_add(&p, "", 0, 6);
		assert_int_equal(plog_read(&p, &log), 0);
		assert_log(p.w, p.nw, &log);
		assert_int_equal(log.n, 2);
		kvm_log_deinit(&log);
		/* Many more: the buffer wraps (len 0 header) repeatedly. */
		for (int i = 0; i < 100; i++) {
			int n = snprintf(text, sizeof(text), "msg %d %.*s", i,
					 i % 50,
					 "........................."
					 ".........................");
			plog_add(&p, text, (size_t)n, i % 8);
		}
		assert_true(p.first > p.next);
		assert_int_equal(plog_read(&p, &log), 0);
		assert_log(p.w, p.nw, &log);
		kvm_log_deinit(&log);
		plog_free(&p);
	}
}

static void
test_plog_hostile(void **state)
{
	struct plog p;
	struct kvm_log log;
	uint8_t *buf;

	(void)state;
	plog_init(&p, 8, false, 256);
	buf = p.m.buf + 0x100;
	for (int i = 0; i < 3; i++)
		plog_add(&p, "0123456789", 10, 6);
	/* len 0 loop: first < next, yet a wrap marker. */
	st(p.kd, buf + 32 + 8, 0, 2);
	int err = plog_read(&p, &log);
	assert_error(p.kd, err, KVM_ECORRUPT, "unexpected wrap");
	assert_int_equal(log.n, 1);
	kvm_log_deinit(&log);
	/* A cyclic buffer: first > next, records lead back to first. */
	st(p.kd, buf + 32 + 8, 32, 2);
	p.first = 32;
	p.next = 16;
	plog_sync(&p);
	memset(buf, 0, 32);		/* wrap header at 0 ... */
	st(p.kd, buf + 64 + 8, 0, 2);	/* and one at 64 */
	err = plog_read(&p, &log);
	assert_int_equal(err, -KVM_ECORRUPT);
	kvm_log_deinit(&log);
	/* Record length out of range; text_len beyond its record. */
	plog_free(&p);
	plog_init(&p, 8, false, 256);
	buf = p.m.buf + 0x100;
	plog_add(&p, "0123456789", 10, 6);
	plog_add(&p, "abc", 3, 6);
	st(p.kd, buf + 10, 0xffff, 2);
	p.w[0].len = 16;
	memcpy(p.w[0].text, "0123456789\0\0\0\0\0\0", 16);
	assert_int_equal(plog_read(&p, &log), 0);
	assert_log(p.w, p.nw, &log);
	kvm_log_deinit(&log);
	st(p.kd, buf + 32 + 8, 0x8000, 2);
	err = plog_read(&p, &log);
	assert_error(p.kd, err, KVM_ECORRUPT, "length out of range");
	assert_int_equal(log.n, 1);
	kvm_log_deinit(&log);
	/* Indexes outside the buffer, a huge log_buf_len, a NULL log_buf. */
	p.first = 250;
	plog_sync(&p);
	assert_error(p.kd, plog_read(&p, &log), KVM_ECORRUPT,
		     "outside log_buf");
	kvm_log_deinit(&log);
	p.first = 0;
	plog_sync(&p);
	st(p.kd, p.m.buf + 8, 0xffffffffu, 4);
	assert_error(p.kd, plog_read(&p, &log), KVM_ECORRUPT, "log_buf_len");
	kvm_log_deinit(&log);
	st(p.kd, p.m.buf + 8, 256, 4);
	st(p.kd, p.m.buf, 0, 8);
	assert_error(p.kd, plog_read(&p, &log), KVM_ECORRUPT, "NULL");
	kvm_log_deinit(&log);
	st(p.kd, p.m.buf, p.bufva, 8);
	/* A header in a missing page: the rest is lost, said so. */
	p.m.hole_start = p.bufva + 32;
	p.m.hole_end = p.bufva + 40;
	err = plog_read(&p, &log);
	assert_error(p.kd, err, KVM_ENODATA, "missing from the dump");
	assert_int_equal(log.n, 1);
	kvm_log_deinit(&log);
	/* A bad layout from VMCOREINFO. */
	p.m.hole_start = p.m.hole_end = 0;
	p.l.text_len = 15;
	assert_error(p.kd, plog_read(&p, &log), KVM_ECORRUPT, "out of range");
	kvm_log_deinit(&log);
	plog_free(&p);
}

/* ------------------------------------------- layouts from VMCOREINFO */

static kvm_t *
vmci_kd(const char *text)
{
	kvm_t *kd = calloc(1, sizeof(*kd));
	assert_non_null(kd);
	assert_int_equal(kvm_vmcoreinfo_parse(&kd->vmci, text, strlen(text)),
			 0);
	/* No BTF: the level comes from the fixed layouts. */
	kd->btf_state = -KVM_ENOENT;
	snprintf(kd->btf_note, sizeof(kd->btf_note), "test: no BTF");
	return kd;
}

static void
vmci_free(kvm_t *kd)
{
	/* What a key missing from VMCOREINFO made the lookups load. */
	kvm_sym_fini(kd);
	kvm_types_fini(kd);
	kvm_vmcoreinfo_deinit(&kd->vmci);
	free(kd);
}

/* What Linux 6.1 exports (x86_64 fixture), less what we do not use. */
static const char vmci_61[] =
	"SYMBOL(prb)=ffffffffbc0643e0\n"
	"SIZE(printk_ringbuffer)=88\n"
	"OFFSET(printk_ringbuffer.desc_ring)=0\n"
	"OFFSET(printk_ringbuffer.text_data_ring)=48\n"
	"SIZE(prb_desc_ring)=48\n"
	"OFFSET(prb_desc_ring.count_bits)=0\n"
	"OFFSET(prb_desc_ring.descs)=8\n"
	"OFFSET(prb_desc_ring.infos)=16\n"
	"OFFSET(prb_desc_ring.head_id)=24\n"
	"OFFSET(prb_desc_ring.tail_id)=32\n"
	"SIZE(prb_desc)=24\n"
	"OFFSET(prb_desc.state_var)=0\n"
	"OFFSET(prb_desc.text_blk_lpos)=8\n"
	"OFFSET(prb_data_blk_lpos.begin)=0\n"
	"OFFSET(prb_data_blk_lpos.next)=8\n"
	"SIZE(printk_info)=88\n"
	"OFFSET(printk_info.seq)=0\n"
	"OFFSET(printk_info.ts_nsec)=8\n"
	"OFFSET(printk_info.text_len)=16\n"
	"OFFSET(printk_info.caller_id)=20\n"
	"SIZE(prb_data_ring)=32\n"
	"OFFSET(prb_data_ring.size_bits)=0\n"
	"OFFSET(prb_data_ring.data)=8\n"
	"OFFSET(atomic_long_t.counter)=0\n";

static void
test_layouts(void **state)
{
	struct kvm_prb_layout pl;
	struct kvm_plog_layout ol;

	(void)state;
	kvm_t *kd = vmci_kd(vmci_61);
	assert_int_equal(kvm_printk_prb_layout(kd, &pl), 0);
	assert_int_equal(pl.prb, 0xffffffffbc0643e0ull);
	assert_int_equal(pl.rb_text_data_ring, 48);
	assert_int_equal(pl.dr_tail_id, 32);
	assert_int_equal(pl.info_facility, 18);
	assert_int_equal(pl.info_level_bit, 19 * 8 + 5);
	/* The error state the BTF lookup left is put back. */
	assert_int_equal(kd->errcode, 0);
	vmci_free(kd);

	/* A layout that is not 5.10's: level and facility unknown. */
	char text[sizeof(vmci_61) + 64];
	snprintf(text, sizeof(text), "%sOFFSET(printk_info.caller_id)=24\n",
		 vmci_61);
	kd = vmci_kd(text);
	assert_int_equal(kvm_printk_prb_layout(kd, &pl), 0);
	assert_int_equal(pl.info_level_bit, KVM_PRINTK_NONE);
	assert_int_equal(pl.info_facility, KVM_PRINTK_NONE);
	vmci_free(kd);

	/* An entry missing is named. */
	kd = vmci_kd("SYMBOL(prb)=ffffffff81000000\nSIZE(printk_ringbuffer)=88\n");
	assert_error(kd, kvm_printk_prb_layout(kd, &pl), KVM_ENOENT,
		     "OFFSET(printk_ringbuffer.desc_ring)");
	vmci_free(kd);

	/* 3.5-3.10: struct log; 5.1-5.9: printk_log with caller_id. */
	static const char vmci_310[] =
		"SYMBOL(log_buf)=ffffffff81c0e5a0\n"
		"SYMBOL(log_buf_len)=ffffffff81c0e5a8\n"
		"SYMBOL(log_first_idx)=ffffffff81e5e2b0\n"
		"SYMBOL(log_next_idx)=ffffffff81e5e2b8\n"
		"SIZE(log)=16\nOFFSET(log.ts_nsec)=0\nOFFSET(log.len)=8\n"
		"OFFSET(log.text_len)=10\n";
	kd = vmci_kd(vmci_310);
	assert_int_equal(kvm_printk_plog_layout(kd, &ol), 0);
	assert_int_equal(ol.log_buf, 0xffffffff81c0e5a0ull);
	assert_int_equal(ol.hdr_size, 16);
	assert_int_equal(ol.facility, 14);
	assert_int_equal(ol.level_bit, 15 * 8 + 5);
	assert_int_equal(ol.caller_id, KVM_PRINTK_NONE);
	vmci_free(kd);
	static const char vmci_54[] =
		"SYMBOL(log_buf)=ffffffff81c0e5a0\n"
		"SYMBOL(log_buf_len)=ffffffff81c0e5a8\n"
		"SYMBOL(log_first_idx)=ffffffff81e5e2b0\n"
		"SYMBOL(log_next_idx)=ffffffff81e5e2b8\n"
		"SIZE(printk_log)=20\nOFFSET(printk_log.ts_nsec)=0\n"
		"OFFSET(printk_log.len)=8\nOFFSET(printk_log.text_len)=10\n"
		"OFFSET(printk_log.caller_id)=16\n";
	kd = vmci_kd(vmci_54);
	assert_int_equal(kvm_printk_plog_layout(kd, &ol), 0);
	assert_int_equal(ol.hdr_size, 20);
	assert_int_equal(ol.caller_id, 16);
	vmci_free(kd);
	kd = vmci_kd("SYMBOL(log_buf)=ffffffff81c0e5a0\nSIZE(printk_log)=16\n");
	assert_error(kd, kvm_printk_plog_layout(kd, &ol), KVM_ENOENT,
		     "SYMBOL(log_buf_len)");
	vmci_free(kd);
}

/*
 * --write-seeds DIR: the rings of these tests as inputs of
 * tests/fuzz/fuzz_printk.c (flags byte, no overrides, memory at BASE).
 */
static int
write_seed(const char *dir, const char *name, unsigned flags,
	   const struct mem *m)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	if (!f)
		return 1;
	uint8_t hdr[2] = { (uint8_t)flags, 0 };
	fwrite(hdr, 1, 2, f);
	fwrite(m->buf, 1, m->size, f);
	return fclose(f) != 0;
}

static int
write_seeds(const char *dir)
{
	static const char *const names[] = { "le64", "be64", "le32", "be32" };
	char name[64], text[80];
	int bad = 0;

	for (size_t t = 0; t < ARRAY_SIZE(targets); t++) {
		unsigned fl = (targets[t].be ? 2 : 0) |
			      (targets[t].psz == 4 ? 4 : 0);
		struct rb r;
		rb_init(&r, targets[t].psz, targets[t].be, 3, 8, 0);
		rb_add(&r, "Linux version 6.1", 17, 5, 2);
		rb_add(&r, "two\nlines", 9, 4, 2);
		rb_add(&r, "", 0, 6, 2);
		rb_add(&r, NULL, (size_t)-1, 6, 2);
		rb_add(&r, "open", 4, 6, 1);
		rb_add(&r, "reserved", 8, 6, 0);
		snprintf(name, sizeof(name), "prb-basic-%s", names[t]);
		bad |= write_seed(dir, name, fl, &r.m);
		for (int i = 0; i < 40; i++) {
			int n = snprintf(text, sizeof(text), "wrap %d %.*s", i,
					 i % 23, "abcdefghijklmnopqrstuvw");
			rb_add(&r, text, (size_t)n, i % 8, 2);
		}
		snprintf(name, sizeof(name), "prb-wrap-%s", names[t]);
		bad |= write_seed(dir, name, fl, &r.m);
		rb_free(&r);

		struct plog p;
		plog_init(&p, targets[t].psz, targets[t].be, 256);
		for (int i = 0; i < 12; i++) {
			int n = snprintf(text, sizeof(text), "old %d %.*s", i,
					 i % 17, "abcdefghijklmnopq");
			plog_add(&p, text, (size_t)n, i % 8);
		}
		snprintf(name, sizeof(name), "plog-wrap-%s", names[t]);
		bad |= write_seed(dir, name, fl | 1, &p.m);
		plog_free(&p);
	}
	return bad;
}

int
main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "--write-seeds") == 0)
		return write_seeds(argv[2]);

	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prb_basic),
		cmocka_unit_test(test_prb_wrap),
		cmocka_unit_test(test_prb_id_wrap),
		cmocka_unit_test(test_prb_states),
		cmocka_unit_test(test_prb_hostile_bits),
		cmocka_unit_test(test_prb_hostile_records),
		cmocka_unit_test(test_prb_holes),
		cmocka_unit_test(test_plog_normal),
		cmocka_unit_test(test_plog_hostile),
		cmocka_unit_test(test_layouts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
