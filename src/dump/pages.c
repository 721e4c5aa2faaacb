// SPDX-License-Identifier: BSD-2-Clause
/*
 * The target's pages in pfn order for a writer: read in batches by the
 * calling thread, classified (zero, missing) and compressed by worker
 * threads, handed to the writer in order by the calling thread again.
 *
 *   caller:   fill b[tail] ──queue──►  ...  ◄──emit b[head]
 *                                  │
 *   workers (and the caller while it waits): claim chunks of the oldest
 *   queued batch, classify and compress them, count them done
 *
 * A kvm_t is not thread-safe, so only the caller reads the target;
 * workers touch their batch's buffers and their own compressor state.
 * Memory is a fixed ring of batches of about a MiB of pages each,
 * whatever the size of the dump.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dump.h"

#define PAGES_BATCH_BYTES (1u << 20) /* raw bytes a batch holds */
#define PAGES_CHUNKS 16		     /* claims per full batch */
#define PAGES_RING 4		     /* batches in flight with workers */
#define PAGES_MAX_THREADS 16
#define PAGES_DROP_BYTES (16u << 20) /* source pages mapped at most */

/* One run of pfns [first, last] the ranges cover, merged and sorted. */
struct pages_span {
	uint64_t first, last;
};

struct pages_batch {
	size_t n;	   /* pages held */
	size_t next;	   /* first page no thread has claimed */
	size_t done;	   /* pages classified and compressed */
	uint64_t walked;   /* pfns of the walk up to this batch's end */
	uint64_t excluded; /* pfns the filter left out on the way */
	int err;	   /* first compression failure, or 0 */
	uint64_t err_pfn;
	uint64_t *pfn;
	uint8_t *kind;	 /* KVM_PAGE_* */
	uint8_t *method; /* KVM_COMPRESS_*; NONE: the raw page */
	uint32_t *len;	 /* bytes at out + i * bound */
	uint8_t *raw;	 /* n pages of psize bytes */
	uint8_t *out;	 /* n slots of bound bytes */
};

struct pages_ctx {
	kvm_t *kd;
	const struct kvm_dump_filter *f;
	int method;
	size_t psize; /* target page size */
	size_t bound; /* compressed slot size */
	size_t cap;   /* pages a batch holds */
	size_t chunk; /* pages a thread claims at once */

	/* The walk (caller only). */
	struct pages_span *spans;
	size_t nspans, span;
	uint64_t pfn; /* next pfn of spans[span] */
	uint64_t walked;

	/* Shared with workers under lock. */
	pthread_mutex_t lock;
	pthread_cond_t work; /* a batch was queued, or stop */
	pthread_cond_t done; /* a batch is complete */
	struct pages_batch ring[PAGES_RING];
	size_t nring;
	uint64_t head, tail; /* queued: ring[head..tail) mod nring */
	bool stop;
};

struct pages_worker {
	struct pages_ctx *c;
	void *state;
	pthread_t tid;
};

static int
pages_span_cmp(const void *a, const void *b)
{
	const struct pages_span *x = a, *y = b;

	return x->first < y->first ? -1 : x->first > y->first;
}

/*
 * The pfns the ranges touch, sorted and merged, so the walk visits each
 * pfn once even when two ranges share a page; *total_ret is their count.
 */
static int
pages_spans(kvm_t *kd, size_t psize, struct pages_span **spans_ret,
	    size_t *n_ret, uint64_t *total_ret)
{
	struct pages_span *s =
		calloc(kd->nranges ? kd->nranges : 1, sizeof(*s));
	size_t n = 0;
	uint64_t total = 0;

	if (!s)
		return kvm_error(kd, KVM_ENOMEM, "dump: out of memory");
	for (size_t i = 0; i < kd->nranges; i++) {
		const struct kvm_phys_range *r = &kd->ranges[i];

		if (r->end <= r->start)
			continue;
		s[n].first = r->start / psize;
		s[n].last = (r->end - 1) / psize;
		n++;
	}
	qsort(s, n, sizeof(*s), pages_span_cmp);
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		/* last + 1 cannot wrap: last <= UINT64_MAX / psize. */
		if (m && s[i].first <= s[m - 1].last + 1) {
			if (s[i].last > s[m - 1].last)
				s[m - 1].last = s[i].last;
			continue;
		}
		s[m++] = s[i];
	}
	for (size_t i = 0; i < m; i++)
		total += s[i].last - s[i].first + 1;
	*spans_ret = s;
	*n_ret = m;
	*total_ret = total;
	return 0;
}

static void
pages_batch_free(struct pages_batch *b)
{
	free(b->pfn);
	free(b->kind);
	free(b->method);
	free(b->len);
	free(b->raw);
	free(b->out);
}

static int
pages_batch_alloc(struct pages_ctx *c, struct pages_batch *b)
{
	memset(b, 0, sizeof(*b));
	b->pfn = malloc(c->cap * sizeof(*b->pfn));
	b->kind = malloc(c->cap);
	b->method = malloc(c->cap);
	b->len = malloc(c->cap * sizeof(*b->len));
	b->raw = malloc(c->cap * c->psize);
	if (c->method != KVM_COMPRESS_NONE)
		b->out = malloc(c->cap * c->bound);
	if (!b->pfn || !b->kind || !b->method || !b->len || !b->raw ||
	    (c->method != KVM_COMPRESS_NONE && !b->out))
		return kvm_error(c->kd, KVM_ENOMEM,
				 "dump: out of memory for page buffers");
	return 0;
}

/* Is pa..pa+psize inside one physical range of the target? */
static bool
pages_covered(const kvm_t *kd, uint64_t pa, size_t psize)
{
	for (size_t i = 0; i < kd->nranges; i++) {
		const struct kvm_phys_range *r = &kd->ranges[i];

		if (pa >= r->start && pa < r->end)
			return r->end - pa >= psize;
	}
	return false;
}

/*
 * A page a bulk read failed on.  Bytes outside every range are no memory
 * of the target and read as zeros (a range that ends inside a page);
 * bytes inside one that the source lacks make the page missing.
 * Returns 0 with *missing_ret, or an error other than a missing page.
 */
static int
pages_read_slow(struct pages_ctx *c, uint64_t pa, uint8_t *buf, int bulk_err,
		bool *missing_ret)
{
	kvm_t *kd = c->kd;
	size_t done;

	*missing_ret = false;
	/* The common case: a page the source left out; no second read. */
	if (bulk_err == -KVM_ENODATA && pages_covered(kd, pa, c->psize)) {
		kvm_error_clear(kd);
		*missing_ret = true;
		return 0;
	}
	memset(buf, 0, c->psize);
	for (size_t i = 0; i < kd->nranges; i++) {
		const struct kvm_phys_range *r = &kd->ranges[i];
		uint64_t lo = KVM_MAX(r->start, pa);
		uint64_t hi = KVM_MIN(r->end, pa + c->psize);

		if (lo >= hi)
			continue;
		int err =
			kvm_phys_read(kd, lo, buf + (lo - pa), hi - lo, &done);
		if (err == -KVM_ENODATA) {
			kvm_error_clear(kd);
			*missing_ret = true;
			return 0;
		}
		if (err)
			return kvm_error_ctx(kd, "dump: reading pfn %#llx",
					     (unsigned long long)pa / c->psize);
	}
	kvm_error_clear(kd);
	return 0;
}

/* Read m pages from pfn into slots k.. of b: one read unless one fails. */
static int
pages_read_run(struct pages_ctx *c, struct pages_batch *b, size_t k,
	       uint64_t pfn, size_t m)
{
	size_t psize = c->psize;

	for (size_t i = 0; i < m; i++) {
		b->pfn[k + i] = pfn + i;
		b->kind[k + i] = KVM_PAGE_DATA;
	}
	while (m > 0) {
		uint8_t *dst = b->raw + k * psize;
		size_t done = 0;
		int err = kvm_phys_read(c->kd, pfn * psize, dst, m * psize,
					&done);
		if (!err)
			return 0;
		size_t whole = done / psize;
		bool missing;

		k += whole, pfn += whole, m -= whole;
		err = pages_read_slow(c, pfn * psize, b->raw + k * psize, err,
				      &missing);
		if (err)
			return err;
		if (missing) {
			/* Writers that store every page see zeros. */
			memset(b->raw + k * psize, 0, psize);
			b->kind[k] = KVM_PAGE_MISSING;
		}
		k++, pfn++, m--;
	}
	return 0;
}

/* A whole word of the filter says leave out: skip 64 pfns at once. */
static bool
pages_filter_word(const struct kvm_dump_filter *f, uint64_t pfn)
{
	return f && f->out && !(pfn & 63) && pfn + 64 <= f->npfn &&
	       f->out[pfn >> 6] == UINT64_MAX;
}

/* Fill b with the next pages of the walk that the filter keeps. */
static int
pages_fill(struct pages_ctx *c, struct pages_batch *b)
{
	b->n = b->next = b->done = 0;
	b->excluded = 0;
	b->err = 0;
	while (b->n < c->cap && c->span < c->nspans) {
		const struct pages_span *s = &c->spans[c->span];

		if (c->pfn > s->last) {
			if (++c->span < c->nspans)
				c->pfn = c->spans[c->span].first;
			continue;
		}
		if (pages_filter_word(c->f, c->pfn) && s->last - c->pfn >= 63) {
			c->pfn += 64, c->walked += 64, b->excluded += 64;
			continue;
		}
		if (kvm_dump_filter_out(c->f, c->pfn)) {
			c->pfn++, c->walked++, b->excluded++;
			continue;
		}
		size_t m = 1;
		while (b->n + m < c->cap && c->pfn + m <= s->last &&
		       !kvm_dump_filter_out(c->f, c->pfn + m))
			m++;
		int err = pages_read_run(c, b, b->n, c->pfn, m);
		if (err)
			return err;
		b->n += m, c->pfn += m, c->walked += m;
	}
	b->walked = c->walked;
	return 0;
}

static bool
pages_zero(const uint8_t *p, size_t n)
{
	/* memcmp against itself shifted: the library's vector loop. */
	return p[0] == 0 && memcmp(p, p + 1, n - 1) == 0;
}

/* Classify and compress pages s..e of b; 0 or the first failure. */
static int
pages_work(struct pages_ctx *c, void *state, struct pages_batch *b, size_t s,
	   size_t e, uint64_t *err_pfn)
{
	size_t psize = c->psize;

	for (size_t i = s; i < e; i++) {
		const uint8_t *raw = b->raw + i * psize;

		if (b->kind[i] == KVM_PAGE_MISSING)
			continue;
		if (pages_zero(raw, psize)) {
			b->kind[i] = KVM_PAGE_ZERO;
			continue;
		}
		b->method[i] = KVM_COMPRESS_NONE;
		b->len[i] = psize;
		if (c->method == KVM_COMPRESS_NONE)
			continue;
		size_t len;
		int err = kvm_dump_compress(c->method, state, raw, psize,
					    b->out + i * c->bound, c->bound,
					    &len);
		if (err) {
			*err_pfn = b->pfn[i];
			return err;
		}
		if (len < psize) {
			b->method[i] = c->method;
			b->len[i] = len;
		}
	}
	return 0;
}

/* Under lock: take the oldest unclaimed chunk. */
static bool
pages_claim(struct pages_ctx *c, struct pages_batch **b_ret, size_t *s_ret,
	    size_t *e_ret)
{
	for (uint64_t i = c->head; i < c->tail; i++) {
		struct pages_batch *b = &c->ring[i % c->nring];

		if (b->next < b->n) {
			*b_ret = b;
			*s_ret = b->next;
			*e_ret = KVM_MIN(b->n, b->next + c->chunk);
			b->next = *e_ret;
			return true;
		}
	}
	return false;
}

/* Claim, work unlocked, count done; called and returns with lock held. */
static bool
pages_work_one(struct pages_ctx *c, void *state)
{
	struct pages_batch *b;
	size_t s, e;
	uint64_t err_pfn = 0;

	if (!pages_claim(c, &b, &s, &e))
		return false;
	pthread_mutex_unlock(&c->lock);
	int err = pages_work(c, state, b, s, e, &err_pfn);
	pthread_mutex_lock(&c->lock);
	if (err && (!b->err || err_pfn < b->err_pfn)) {
		b->err = err;
		b->err_pfn = err_pfn;
	}
	b->done += e - s;
	if (b->done == b->n)
		pthread_cond_signal(&c->done);
	return true;
}

static void *
pages_worker_main(void *arg)
{
	struct pages_worker *w = arg;
	struct pages_ctx *c = w->c;

	pthread_mutex_lock(&c->lock);
	while (!c->stop) {
		if (!pages_work_one(c, w->state))
			pthread_cond_wait(&c->work, &c->lock);
	}
	pthread_mutex_unlock(&c->lock);
	return NULL;
}

struct pages_out {
	const struct kvm_dump_opts *o;
	kvm_dump_emit_fn *emit;
	void *arg;
	struct kvm_dump_result *res;
	uint64_t total, step, next_report, reported;
	bool any_report;
};

static void
pages_progress(struct pages_out *po, uint64_t done)
{
	if (!po->o || !po->o->progress)
		return;
	po->o->progress(po->o->progress_arg, done, po->total);
	po->reported = done;
	po->any_report = true;
	po->next_report = done + po->step;
}

/* Hand the pages of a complete batch to the writer, in order. */
static int
pages_emit(struct pages_ctx *c, struct pages_out *po, struct pages_batch *b,
	   bool excl_zero)
{
	struct kvm_dump_result *res = po->res;

	if (b->err)
		return kvm_error(c->kd, -b->err,
				 "dump: compressing pfn %#llx failed",
				 (unsigned long long)b->err_pfn);
	res->pages_excluded += b->excluded;
	for (size_t i = 0; i < b->n; i++) {
		const uint8_t *raw = b->raw + i * c->psize;
		struct kvm_dump_page pg = {
			.pfn = b->pfn[i],
			.kind = b->kind[i],
			.method = KVM_COMPRESS_NONE,
			.raw = raw,
		};

		switch (b->kind[i]) {
		case KVM_PAGE_MISSING:
			res->pages_missing++;
			break;
		case KVM_PAGE_ZERO:
			if (excl_zero) {
				res->pages_excluded++;
				continue;
			}
			pg.data = raw;
			pg.len = c->psize;
			res->pages_written++;
			break;
		default:
			pg.method = b->method[i];
			pg.len = b->len[i];
			pg.data = pg.method == KVM_COMPRESS_NONE
					  ? raw
					  : b->out + i * c->bound;
			res->pages_written++;
			break;
		}
		int ret = po->emit(po->arg, &pg);
		if (ret)
			return ret;
	}
	if (b->walked >= po->next_report)
		pages_progress(po, b->walked);
	return 0;
}

/*
 * The ring's oldest batch: help until it is complete, then emit it.  With
 * no workers this is where every page is compressed.
 */
static int
pages_drain(struct pages_ctx *c, struct pages_out *po, void *state,
	    bool excl_zero)
{
	struct pages_batch *b = &c->ring[c->head % c->nring];

	pthread_mutex_lock(&c->lock);
	while (b->done < b->n) {
		if (!pages_work_one(c, state))
			pthread_cond_wait(&c->done, &c->lock);
	}
	pthread_mutex_unlock(&c->lock);
	int ret = pages_emit(c, po, b, excl_zero);
	pthread_mutex_lock(&c->lock);
	c->head++;
	pthread_mutex_unlock(&c->lock);
	return ret;
}

static int
pages_nthreads(const struct kvm_dump_opts *o)
{
	long n = o ? o->threads : 0;

	if (n <= 0)
		n = sysconf(_SC_NPROCESSORS_ONLN);
	if (n < 1)
		n = 1;
	return (int)KVM_MIN(n, (long)PAGES_MAX_THREADS);
}

/*
 * o->threads threads compress: the caller, which also reads and emits
 * and so would otherwise sit idle between batches, and threads - 1
 * workers.  The order pages are emitted in never depends on them.
 */
int
kvm_dump_pages(kvm_t *kd, const struct kvm_dump_opts *o, int method,
	       const struct kvm_dump_filter *f, kvm_dump_emit_fn *emit,
	       void *arg, struct kvm_dump_result *res)
{
	struct kvm_dump_result res_local;
	struct pages_ctx c = { .kd = kd, .f = f, .method = method };
	struct pages_worker w[PAGES_MAX_THREADS] = { 0 };
	struct pages_out po = { .o = o, .emit = emit, .arg = arg };
	bool excl_zero = o && (o->level & KVM_DUMP_EXCL_ZERO);
	size_t nworkers = 0, read_bytes = 0;
	void *state = NULL;
	int err;

	if (!res)
		res = &res_local;
	res->pages = res->pages_written = 0;
	res->pages_excluded = res->pages_missing = 0;
	po.res = res;
	if (!emit)
		return kvm_error(kd, KVM_EINVAL, "dump: no page writer");
	c.psize = kd->page_size;
	if (c.psize < 512 || (c.psize & (c.psize - 1)))
		return kvm_error(kd, KVM_ENOTSUP,
				 "dump: page size %zu of the target unknown or "
				 "unusable",
				 c.psize);
	c.bound = kvm_dump_compress_bound(method, c.psize);
	if (c.bound < c.psize)
		return kvm_error(kd, KVM_EINVAL,
				 "dump: unknown compression method %d", method);
	c.cap = KVM_MAX((size_t)1, PAGES_BATCH_BYTES / c.psize);
	c.chunk = KVM_MAX((size_t)1, c.cap / PAGES_CHUNKS);
	err = pages_spans(kd, c.psize, &c.spans, &c.nspans, &po.total);
	if (err)
		return err;
	res->pages = po.total;
	po.step = KVM_MAX((uint64_t)1, po.total / 100);
	po.next_report = po.step;
	if (c.nspans)
		c.pfn = c.spans[0].first;

	int nthreads = pages_nthreads(o);
	c.nring = nthreads > 1 ? PAGES_RING : 1;
	pthread_mutex_init(&c.lock, NULL);
	pthread_cond_init(&c.work, NULL);
	pthread_cond_init(&c.done, NULL);
	for (size_t i = 0; i < c.nring; i++) {
		err = pages_batch_alloc(&c, &c.ring[i]);
		if (err)
			goto out;
	}
	state = kvm_dump_compress_state(method);
	if (!state) {
		err = kvm_error(kd, KVM_ENOMEM,
				"dump: out of memory for a compressor");
		goto out;
	}
	/* Fewer workers than asked (no memory, no thread) still work. */
	for (int i = 0; i < nthreads - 1; i++) {
		w[nworkers].c = &c;
		w[nworkers].state = kvm_dump_compress_state(method);
		if (!w[nworkers].state)
			break;
		if (pthread_create(&w[nworkers].tid, NULL, pages_worker_main,
				   &w[nworkers])) {
			kvm_dump_compress_free(method, w[nworkers].state);
			break;
		}
		nworkers++;
	}

	for (;;) {
		if (c.tail - c.head == c.nring) {
			err = pages_drain(&c, &po, state, excl_zero);
			if (err)
				goto out;
		}
		if (c.span >= c.nspans)
			break;
		err = pages_fill(&c, &c.ring[c.tail % c.nring]);
		if (err)
			goto out;
		/*
		 * The source's mapped pages would add up to all it holds (a
		 * capture kernel has little memory): drop them every
		 * PAGES_DROP_BYTES read, as makedumpfile maps windows.
		 */
		read_bytes += c.ring[c.tail % c.nring].n * c.psize;
		if (read_bytes >= PAGES_DROP_BYTES) {
			kvm_file_drop_pages(&kd->core);
			read_bytes = 0;
		}
		pthread_mutex_lock(&c.lock);
		c.tail++;
		pthread_cond_broadcast(&c.work);
		pthread_mutex_unlock(&c.lock);
	}
	while (c.head < c.tail) {
		err = pages_drain(&c, &po, state, excl_zero);
		if (err)
			goto out;
	}
	if (!po.any_report || po.reported != po.total)
		pages_progress(&po, po.total);
	err = 0;
out:
	pthread_mutex_lock(&c.lock);
	c.stop = true;
	pthread_cond_broadcast(&c.work);
	pthread_mutex_unlock(&c.lock);
	for (size_t i = 0; i < nworkers; i++) {
		pthread_join(w[i].tid, NULL);
		kvm_dump_compress_free(method, w[i].state);
	}
	kvm_dump_compress_free(method, state);
	for (size_t i = 0; i < c.nring; i++)
		pages_batch_free(&c.ring[i]);
	pthread_cond_destroy(&c.done);
	pthread_cond_destroy(&c.work);
	pthread_mutex_destroy(&c.lock);
	free(c.spans);
	return err;
}
