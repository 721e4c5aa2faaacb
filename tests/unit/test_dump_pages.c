// SPDX-License-Identifier: BSD-2-Clause
/*
 * The dumper's page path: every codec of src/dump/compress.c, and its
 * inverse src/decompress.c, round trip and against hostile input, then
 * kvm_dump_pages() (src/dump/pages.c) over the sample dump given as
 * argv[1]: order, contents, counts, dump level 1, determinism across
 * thread counts, stopping and progress.
 * Without the dump the codec tests still run and the program exits 77.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dump/dump.h"
#include "kvm.h"

static const int methods[] = {
	KVM_COMPRESS_NONE, KVM_COMPRESS_ZLIB, KVM_COMPRESS_LZO,
	KVM_COMPRESS_SNAPPY, KVM_COMPRESS_ZSTD, KVM_COMPRESS_LZ4,
};
#define NMETHODS (sizeof(methods) / sizeof(methods[0]))

/* xorshift64: the same "random" bytes on every run. */
static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

enum { IN_RANDOM, IN_TEXT, IN_ZERO, IN_KINDS };

static void
make_input(uint8_t *p, size_t n, int kind, uint64_t seed)
{
	static const char *const words[] = {
		"kernel ", "page ", "struct ", "0x", "ffff8880", "task_struct ",
		"\n", "mm ", "dump ", "vmcore ", "\t", "= ",
	};
	uint64_t s = seed | 1;
	size_t i = 0;

	switch (kind) {
	case IN_RANDOM:
		for (; i < n; i++)
			p[i] = (uint8_t)rnd(&s);
		break;
	case IN_TEXT:
		while (i < n) {
			const char *w = words[rnd(&s) % 12];
			size_t l = strlen(w);

			for (size_t j = 0; j < l && i < n; j++)
				p[i++] = (uint8_t)w[j];
		}
		break;
	default:
		memset(p, 0, n);
	}
}

/* Compress in into a heap buffer of exactly the output's size. */
static uint8_t *
compress_exact(int m, const uint8_t *in, size_t n, size_t *len_ret)
{
	void *st = kvm_dump_compress_state(m);
	size_t bound = kvm_dump_compress_bound(m, n);
	uint8_t *tmp = malloc(bound);

	assert_non_null(st);
	assert_non_null(tmp);
	assert_true(bound >= n);
	assert_int_equal(kvm_dump_compress(m, st, in, n, tmp, bound, len_ret),
			 0);
	assert_true(*len_ret <= bound);
	kvm_dump_compress_free(m, st);
	uint8_t *out = malloc(*len_ret + 1);
	assert_non_null(out);
	memcpy(out, tmp, *len_ret);
	free(tmp);
	return out;
}

static void
test_roundtrip(void **unused)
{
	static const size_t sizes[] = { 4096, 65536 };

	for (size_t si = 0; si < 2; si++) {
		size_t n = sizes[si];
		uint8_t *in = malloc(n), *back = malloc(n);

		assert_non_null(in);
		assert_non_null(back);
		for (int kind = 0; kind < IN_KINDS; kind++) {
			make_input(in, n, kind, 42 + kind);
			for (size_t mi = 0; mi < NMETHODS; mi++) {
				int m = methods[mi];
				size_t len, got;
				uint8_t *c = compress_exact(m, in, n, &len);

				if (m != KVM_COMPRESS_NONE && kind != IN_RANDOM)
					assert_true(len < n / 2);
				memset(back, 0xa5, n);
				assert_int_equal(kvm_decompress(m, c, len,
								     back, n,
								     &got),
						 0);
				assert_int_equal(got, n);
				assert_memory_equal(back, in, n);
				free(c);
			}
		}
		free(in);
		free(back);
	}
}

/* Compressing into less than the output needs fails, never overflows. */
static void
test_compress_small_cap(void **unused)
{
	uint8_t in[4096];

	make_input(in, sizeof(in), IN_RANDOM, 7);
	for (size_t mi = 0; mi < NMETHODS; mi++) {
		int m = methods[mi];
		void *st = kvm_dump_compress_state(m);
		uint8_t *out = malloc(100);
		size_t len = 1;

		assert_non_null(st);
		assert_non_null(out);
		assert_int_not_equal(kvm_dump_compress(m, st, in, sizeof(in),
						       out, 100, &len),
				     0);
		assert_int_equal(len, 0);
		kvm_dump_compress_free(m, st);
		free(out);
	}
	assert_null(kvm_dump_compress_state(99));
	assert_int_equal(kvm_dump_compress_bound(99, 4096), 0);
}

static void
test_hostile(void **unused)
{
	const size_t n = 65536, small = 4096;
	uint8_t *in = malloc(n), *out = malloc(n);

	assert_non_null(in);
	assert_non_null(out);
	make_input(in, n, IN_TEXT, 3);
	for (size_t mi = 1; mi < NMETHODS; mi++) {
		int m = methods[mi];
		size_t len, got;
		uint8_t *c = compress_exact(m, in, n, &len);

		/* Output larger than cap. */
		assert_int_equal(kvm_decompress(m, c, len, out, small,
						     &got),
				 -KVM_ECORRUPT);
		assert_int_equal(kvm_decompress(m, c, len, out, n - 1,
						     &got),
				 -KVM_ECORRUPT);
		/* Truncated, at several points (exact-size copies: ASan). */
		size_t cuts[] = { 0, 1, len / 3, len / 2, len - 1 };
		for (size_t k = 0; k < 5; k++) {
			uint8_t *t = malloc(cuts[k] ? cuts[k] : 1);

			assert_non_null(t);
			memcpy(t, c, cuts[k]);
			int err = kvm_decompress(m, t, cuts[k], out, n,
						      &got);
			/* A raw LZ4 block has no end marker or length. */
			if (m == KVM_COMPRESS_LZ4)
				assert_true(err || got != n);
			else
				assert_int_not_equal(err, 0);
			free(t);
		}
		/* A trailing byte: a page is one whole stream. */
		c[len] = 0;
		if (m != KVM_COMPRESS_LZ4)
			assert_int_not_equal(kvm_decompress(m, c, len + 1,
								 out, n, &got),
					     0);
		/* Garbage, and garbage behind a valid start. */
		for (uint64_t seed = 1; seed < 40; seed++) {
			size_t glen = 16 + seed * 37;
			uint8_t *g = malloc(glen);

			assert_non_null(g);
			make_input(g, glen, IN_RANDOM, seed);
			if (seed & 1)
				memcpy(g, c, KVM_MIN(len, (size_t)8));
			int err = kvm_decompress(m, g, glen, out, small,
						      &got);
			assert_true(err || got <= small);
			free(g);
		}
		free(c);
	}
	assert_int_equal(kvm_decompress(KVM_COMPRESS_NONE, in, n, out,
					     n - 1, &(size_t){ 0 }),
			 -KVM_ECORRUPT);
	assert_int_equal(kvm_decompress(99, in, 10, out, n,
					     &(size_t){ 0 }),
			 -KVM_ENOTSUP);
	free(in);
	free(out);
}

/* ------------------------------------------------------ the sample dump */

static const char *dump_path;
static kvm_t *kd;
static size_t psize;
static uint64_t npfn_ranges;	/* pfns the ranges cover, counted here */

/* What one emitted page was, for comparing walks. */
struct rec {
	uint64_t pfn;
	int kind, method;
	size_t len;
	uint64_t hash;		/* FNV-1a of data */
};

struct walk {
	struct rec *recs;
	size_t n, cap;
	size_t stop_after;	/* emit returns 42 after this many; 0 never */
	size_t ndata, nzero, nmissing, ncompressed;
	uint8_t *page, *back;
	/* progress */
	uint64_t last_done, total;
	size_t nprogress;
	bool progress_backwards;
};

static uint64_t
fnv(const uint8_t *p, size_t n)
{
	uint64_t h = 1469598103934665603ull;

	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 1099511628211ull;
	return h;
}

/* cmocka compares byte by byte, and a walk compares a quarter GiB. */
static bool
same(const void *a, const void *b, size_t n)
{
	return memcmp(a, b, n) == 0;
}

static int
walk_emit(void *arg, const struct kvm_dump_page *pg)
{
	struct walk *w = arg;

	if (w->n)
		assert_true(pg->pfn > w->recs[w->n - 1].pfn);
	if (w->n == w->cap) {
		w->cap = w->cap ? 2 * w->cap : 4096;
		w->recs = realloc(w->recs, w->cap * sizeof(*w->recs));
		assert_non_null(w->recs);
	}
	struct rec *r = &w->recs[w->n++];
	*r = (struct rec){ pg->pfn, pg->kind, pg->method, pg->len, 0 };
	ssize_t got = kvm_read_phys(kd, pg->pfn * psize, w->page, psize);
	switch (pg->kind) {
	case KVM_PAGE_MISSING:
		w->nmissing++;
		assert_true(got < (ssize_t)psize);
		assert_int_equal(kvm_geterrcode(kd), KVM_ENODATA);
		break;
	case KVM_PAGE_ZERO:
		w->nzero++;
		assert_int_equal(got, psize);
		assert_true(w->page[0] == 0 &&
			    memcmp(w->page, w->page + 1, psize - 1) == 0);
		assert_true(same(pg->raw, w->page, psize));
		break;
	default: {
		size_t n;

		w->ndata++;
		assert_int_equal(pg->kind, KVM_PAGE_DATA);
		assert_int_equal(got, psize);
		assert_true(same(pg->raw, w->page, psize));
		if (pg->method == KVM_COMPRESS_NONE) {
			assert_int_equal(pg->len, psize);
			assert_true(same(pg->data, w->page, psize));
		} else {
			w->ncompressed++;
			assert_true(pg->len < psize);
			assert_int_equal(kvm_decompress(pg->method,
							     pg->data, pg->len,
							     w->back, psize,
							     &n),
					 0);
			assert_int_equal(n, psize);
			assert_true(same(w->back, w->page, psize));
		}
		r->hash = fnv(pg->data, pg->len);
	}
	}
	if (w->stop_after && w->n == w->stop_after)
		return 42;
	return 0;
}

static void
walk_progress(void *arg, uint64_t done, uint64_t total)
{
	struct walk *w = arg;

	if (done < w->last_done || done > total)
		w->progress_backwards = true;
	w->last_done = done;
	w->total = total;
	w->nprogress++;
}

static void
walk_init(struct walk *w)
{
	memset(w, 0, sizeof(*w));
	w->page = malloc(psize);
	w->back = malloc(psize);
	assert_non_null(w->page);
	assert_non_null(w->back);
}

static void
walk_free(struct walk *w)
{
	free(w->recs);
	free(w->page);
	free(w->back);
}

static int
walk_run(struct walk *w, int method, int level, int threads,
	 const struct kvm_dump_filter *f, struct kvm_dump_result *res)
{
	struct kvm_dump_opts o = {
		.size = sizeof(o),
		.level = level,
		.compress = method,
		.threads = threads,
		.progress = walk_progress,
		.progress_arg = w,
	};

	memset(res, 0xff, sizeof(*res));
	return kvm_dump_pages(kd, &o, method, f, walk_emit, w, res);
}

static void
assert_walk_done(const struct walk *w, const struct kvm_dump_result *res)
{
	assert_int_equal(res->pages, npfn_ranges);
	assert_int_equal(res->pages_written + res->pages_missing +
				 res->pages_excluded,
			 res->pages);
	assert_int_equal(res->pages_missing, w->nmissing);
	assert_int_equal(w->n, res->pages_written + res->pages_missing);
	assert_false(w->progress_backwards);
	assert_true(w->nprogress >= 2);
	assert_int_equal(w->last_done, res->pages);
	assert_int_equal(w->total, res->pages);
}

static int
dump_setup(void **unused)
{
	char errbuf[KVM_ERRBUF_SIZE];
	const struct kvm_phys_range *r;
	size_t nr;

	kd = kvm_open2(NULL, dump_path, O_RDONLY, errbuf, NULL);
	if (!kd) {
		fprintf(stderr, "%s: %s\n", dump_path, errbuf);
		return -1;
	}
	psize = kd->page_size;
	if (kvm_get_phys_ranges(kd, &r, &nr))
		return -1;
	/* Counted independently of pages.c: ranges are sorted, disjoint. */
	uint64_t last = UINT64_MAX;
	for (size_t i = 0; i < nr; i++) {
		for (uint64_t p = r[i].start / psize;
		     p <= (r[i].end - 1) / psize; p++) {
			if (p != last)
				npfn_ranges++;
			last = p;
		}
	}
	return 0;
}

static int
dump_teardown(void **unused)
{
	kvm_close(kd);
	return 0;
}

/* Each method, 2 threads: contents, counts, progress. */
static void
test_dump_methods(void **unused)
{
	for (size_t mi = 0; mi < NMETHODS; mi++) {
		struct walk w;
		struct kvm_dump_result res;

		walk_init(&w);
		assert_int_equal(walk_run(&w, methods[mi], 0, 2, NULL, &res),
				 0);
		assert_walk_done(&w, &res);
		assert_int_equal(res.pages_excluded, 0);
		assert_int_equal(w.ndata + w.nzero, res.pages_written);
		assert_true(w.nzero > 0);
		if (methods[mi] == KVM_COMPRESS_NONE)
			assert_int_equal(w.ncompressed, 0);
		else
			assert_true(w.ncompressed > w.ndata / 2);
		walk_free(&w);
	}
}

static void
assert_same(const struct walk *a, const struct walk *b)
{
	assert_int_equal(a->n, b->n);
	for (size_t i = 0; i < a->n; i++)
		assert_memory_equal(&a->recs[i], &b->recs[i],
				    sizeof(a->recs[i]));
}

/* 1, 2 and 3 threads (and one per CPU) emit the very same sequence. */
static void
test_dump_threads(void **unused)
{
	struct walk w1, w;
	struct kvm_dump_result r1, r;

	walk_init(&w1);
	assert_int_equal(walk_run(&w1, KVM_COMPRESS_ZLIB, 0, 1, NULL, &r1), 0);
	assert_walk_done(&w1, &r1);
	static const int threads[] = { 2, 3, 0 };
	for (size_t i = 0; i < 3; i++) {
		walk_init(&w);
		assert_int_equal(walk_run(&w, KVM_COMPRESS_ZLIB, 0, threads[i],
					  NULL, &r),
				 0);
		assert_same(&w1, &w);
		assert_memory_equal(&r1, &r, sizeof(r));
		walk_free(&w);
	}
	walk_free(&w1);
}

/* Level 1 drops exactly the zero pages of level 0. */
static void
test_dump_level1(void **unused)
{
	struct walk w0, w1;
	struct kvm_dump_result r0, r1;

	walk_init(&w0);
	walk_init(&w1);
	assert_int_equal(walk_run(&w0, KVM_COMPRESS_LZO, 0, 2, NULL, &r0), 0);
	assert_int_equal(walk_run(&w1, KVM_COMPRESS_LZO, KVM_DUMP_EXCL_ZERO,
				  2, NULL, &r1),
			 0);
	assert_walk_done(&w1, &r1);
	assert_int_equal(w1.nzero, 0);
	assert_int_equal(r1.pages_excluded, w0.nzero);
	assert_int_equal(r1.pages_written, r0.pages_written - w0.nzero);
	size_t j = 0;
	for (size_t i = 0; i < w0.n; i++) {
		if (w0.recs[i].kind == KVM_PAGE_ZERO)
			continue;
		assert_true(j < w1.n);
		assert_memory_equal(&w0.recs[i], &w1.recs[j++],
				    sizeof(w0.recs[i]));
	}
	assert_int_equal(j, w1.n);
	walk_free(&w0);
	walk_free(&w1);
}

/* A filter bitmap: left-out pfns are counted and never emitted. */
static void
test_dump_filter(void **unused)
{
	struct walk w0, w;
	struct kvm_dump_result r0, r;
	struct kvm_dump_filter f = { 0 };
	uint64_t want_out = 0;

	walk_init(&w0);
	assert_int_equal(walk_run(&w0, KVM_COMPRESS_NONE, 0, 2, NULL, &r0), 0);
	f.npfn = w0.recs[w0.n - 1].pfn + 1 - 70; /* the last pfns: kept */
	f.out = calloc((f.npfn + 63) / 64, sizeof(uint64_t));
	assert_non_null(f.out);
	/* Every third pfn, and whole words (the 64-at-once path). */
	for (uint64_t p = 0; p < f.npfn; p++)
		if (p % 3 == 0 || (p >= 4096 && p < 4096 + 64 * 5) ||
		    (p >= 9000 && p < 9300))
			f.out[p >> 6] |= 1ull << (p & 63);
	for (size_t i = 0; i < w0.n; i++)
		want_out += kvm_dump_filter_out(&f, w0.recs[i].pfn);

	walk_init(&w);
	assert_int_equal(walk_run(&w, KVM_COMPRESS_SNAPPY, 0, 3, &f, &r), 0);
	assert_walk_done(&w, &r);
	assert_int_equal(r.pages_excluded, want_out);
	size_t j = 0;
	for (size_t i = 0; i < w0.n; i++) {
		if (kvm_dump_filter_out(&f, w0.recs[i].pfn))
			continue;
		assert_true(j < w.n);
		assert_int_equal(w.recs[j++].pfn, w0.recs[i].pfn);
	}
	assert_int_equal(j, w.n);
	free(f.out);
	walk_free(&w0);
	walk_free(&w);
}

/* emit's non-zero value stops the walk at once and is returned. */
static void
test_dump_stop(void **unused)
{
	static const int threads[] = { 1, 2 };
	static const size_t after[] = { 1, 100, 300, 5000 };

	for (size_t t = 0; t < 2; t++) {
		for (size_t k = 0; k < 4; k++) {
			struct walk w;
			struct kvm_dump_result r;

			walk_init(&w);
			w.stop_after = after[k];
			assert_int_equal(walk_run(&w, KVM_COMPRESS_ZSTD, 0,
						  threads[t], NULL, &r),
					 42);
			assert_int_equal(w.n, after[k]);
			assert_true(w.last_done < r.pages);
			walk_free(&w);
		}
	}
}

static void
test_dump_bad_args(void **unused)
{
	struct walk w;
	struct kvm_dump_result r;

	walk_init(&w);
	assert_int_equal(walk_run(&w, 77, 0, 2, NULL, &r), -KVM_EINVAL);
	assert_int_equal(w.n, 0);
	assert_int_equal(kvm_dump_pages(kd, NULL, KVM_COMPRESS_NONE, NULL,
					NULL, NULL, NULL),
			 -KVM_EINVAL);
	kvm_clearerr(kd);
	walk_free(&w);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest codec[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_compress_small_cap),
		cmocka_unit_test(test_hostile),
	};
	const struct CMUnitTest dump[] = {
		cmocka_unit_test(test_dump_methods),
		cmocka_unit_test(test_dump_threads),
		cmocka_unit_test(test_dump_level1),
		cmocka_unit_test(test_dump_filter),
		cmocka_unit_test(test_dump_stop),
		cmocka_unit_test(test_dump_bad_args),
	};
	int fails = cmocka_run_group_tests_name("dump codecs", codec, NULL,
						NULL);

	if (fails)
		return fails;
	dump_path = argc > 1 ? argv[1] : NULL;
	if (!dump_path || access(dump_path, R_OK) != 0) {
		fprintf(stderr, "skip: sample dump %s absent\n",
			dump_path ? dump_path : "(not given)");
		return 77;
	}
	return cmocka_run_group_tests_name("dump pages", dump, dump_setup,
					   dump_teardown);
}
