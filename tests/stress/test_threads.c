// SPDX-License-Identifier: BSD-2-Clause
/*
 * Separate handles in separate threads (issue 9, item 4; STYLE B6): the
 * same work -- kvm_nlist, kvm_read2 of kernel symbols, kvm_read_phys of
 * pseudo-random physical pages, kvm_getproc2 + kvm_getargv2 of every
 * process, kvm_log_get, kvm_type_offsetof -- done at once by several
 * threads, each with its own kvm_t, on one dump and on different dumps,
 * must give byte for byte what a single-threaded run gives.  Built with
 * -fsanitize=thread (tests/stress/tsan.sh) it also shows that the library
 * keeps no shared mutable state.
 *
 *   test_threads [-t THREADS] [-r ROUNDS] [-v] DUMP...
 * -v prints the reference transcripts' records (label, bytes).
 * A DUMP that does not exist is skipped; none at all: exit 77.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <kvm.h>

#define MAX_DUMPS 8
#define MAX_THREADS 64
#define PHYS_PAGES 48	/* pseudo-random physical pages read per run */

/*
 * A transcript: what one run of the work saw, as records of a label and
 * the bytes that go with it (return values, addresses, memory, messages).
 * Two runs agree when their transcripts are equal byte for byte; the
 * first record that differs names what went wrong.
 */
struct rec {
	char label[96];
	size_t off, len;	/* bytes in transcript.data */
};

struct transcript {
	struct rec *recs;
	size_t nrecs, recs_cap;
	unsigned char *data;
	size_t len, cap;
	bool oom;
};

static void
tr_free(struct transcript *t)
{
	free(t->recs);
	free(t->data);
	memset(t, 0, sizeof(*t));
}

static void __attribute__((format(printf, 4, 5)))
tr_add(struct transcript *t, const void *bytes, size_t n, const char *fmt,
       ...)
{
	if (t->oom)
		return;
	if (t->nrecs == t->recs_cap) {
		size_t cap = t->recs_cap ? 2 * t->recs_cap : 256;
		struct rec *r = realloc(t->recs, cap * sizeof(*r));
		if (!r) {
			t->oom = true;
			return;
		}
		t->recs = r;
		t->recs_cap = cap;
	}
	if (t->len + n > t->cap) {
		size_t cap = t->cap ? t->cap : 65536;
		while (cap < t->len + n)
			cap *= 2;
		unsigned char *d = realloc(t->data, cap);
		if (!d) {
			t->oom = true;
			return;
		}
		t->data = d;
		t->cap = cap;
	}
	struct rec *r = &t->recs[t->nrecs++];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->label, sizeof(r->label), fmt, ap);
	va_end(ap);
	r->off = t->len;
	r->len = n;
	if (n)
		memcpy(t->data + t->len, bytes, n);
	t->len += n;
}

/* A record of a formatted value (the label says what it is). */
static void __attribute__((format(printf, 3, 4)))
tr_val(struct transcript *t, const char *label, const char *fmt, ...)
{
	char v[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(v, sizeof(v), fmt, ap);
	va_end(ap);
	tr_add(t, v, strlen(v), "%s", label);
}

static void
tr_err(struct transcript *t, kvm_t *kd, const char *what)
{
	const char *e = kvm_geterr(kd);
	tr_add(t, e, strlen(e), "%s: error %d", what, kvm_geterrcode(kd));
}

/* 1 when equal; otherwise prints where they part and returns 0. */
static int
tr_equal(const struct transcript *a, const struct transcript *b,
	 const char *who)
{
	if (a->oom || b->oom) {
		fprintf(stderr, "%s: out of memory for the transcript\n", who);
		return 0;
	}
	size_t n = a->nrecs < b->nrecs ? a->nrecs : b->nrecs;
	for (size_t i = 0; i < n; i++) {
		const struct rec *x = &a->recs[i], *y = &b->recs[i];
		if (strcmp(x->label, y->label) != 0 || x->len != y->len ||
		    memcmp(a->data + x->off, b->data + y->off, x->len) != 0) {
			fprintf(stderr,
				"%s: record %zu differs: single-threaded "
				"\"%s\" (%zu bytes), threaded \"%s\" (%zu "
				"bytes)\n",
				who, i, x->label, x->len, y->label, y->len);
			return 0;
		}
	}
	if (a->nrecs != b->nrecs) {
		fprintf(stderr,
			"%s: %zu records single-threaded, %zu threaded\n", who,
			a->nrecs, b->nrecs);
		return 0;
	}
	return 1;
}

/* splitmix64: the thread's own generator (rand() would be shared state). */
static uint64_t
next_rand(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static const char *const symbols[] = {
	"init_task", "linux_banner", "jiffies", "avenrun", "_stext",
	"_text", "schedule", "init_uts_ns", "vmcoreinfo_data",
	"kvm_no_such_symbol",
};

static const char *const members[][2] = {
	{ "task_struct", "comm" },    { "task_struct", "pid" },
	{ "task_struct", "tasks" },   { "task_struct", "se.vruntime" },
	{ "mm_struct", "arg_start" }, { "list_head", "next" },
	{ "task_struct", "kvm_no_such_member" },
};

static void
work_nlist(kvm_t *kd, struct transcript *t, uint64_t *banner)
{
	struct nlist nl[sizeof(symbols) / sizeof(symbols[0]) + 1];

	memset(nl, 0, sizeof(nl));
	for (size_t i = 0; i < sizeof(symbols) / sizeof(symbols[0]); i++)
		nl[i].n_name = (char *)symbols[i];
	int missing = kvm_nlist(kd, nl);
	tr_val(t, "kvm_nlist", "%d", missing);
	if (missing < 0)
		tr_err(t, kd, "kvm_nlist");
	for (size_t i = 0; nl[i].n_name; i++) {
		tr_val(t, symbols[i], "%lx %u", (unsigned long)nl[i].n_value,
		       nl[i].n_type);
		if (strcmp(symbols[i], "linux_banner") == 0 && nl[i].n_type)
			*banner = (uint64_t)nl[i].n_value;
	}

	/* Reverse lookups of what was found. */
	for (size_t i = 0; nl[i].n_name; i++) {
		if (nl[i].n_type == KVM_N_UNDF)
			continue;
		struct kvm_symbol s;
		uint64_t off = 0;
		if (kvm_sym_byaddr(kd, (kvaddr_t)nl[i].n_value + 1, &s, &off) <
		    0)
			tr_err(t, kd, "kvm_sym_byaddr");
		else
			tr_val(t, "kvm_sym_byaddr", "%s+%" PRIu64 " %c",
			       s.name, off, s.type);
	}

	/* kvm_read2 of each symbol found: 256 bytes. */
	for (size_t i = 0; nl[i].n_name; i++) {
		if (nl[i].n_type == KVM_N_UNDF)
			continue;
		unsigned char buf[256];
		memset(buf, 0, sizeof(buf));
		ssize_t n = kvm_read2(kd, (kvaddr_t)nl[i].n_value, buf,
				      sizeof(buf));
		tr_add(t, buf, n > 0 ? (size_t)n : 0, "kvm_read2 %s = %zd",
		       symbols[i], n);
		if (n < (ssize_t)sizeof(buf))
			tr_err(t, kd, "kvm_read2");
	}
}

static void
work_phys(kvm_t *kd, struct transcript *t, uint64_t seed)
{
	struct kvm_info info;
	const struct kvm_phys_range *r;
	size_t nr;

	if (kvm_get_info(kd, &info, sizeof(info)) < 0) {
		tr_err(t, kd, "kvm_get_info");
		return;
	}
	tr_val(t, "kvm_get_info", "%s %s %s %u %d %" PRIx64, info.format,
	       info.arch, info.release, info.page_size, info.pgtable_levels,
	       (uint64_t)info.kaslr_offset);
	if (kvm_get_phys_ranges(kd, &r, &nr) < 0 || nr == 0) {
		tr_err(t, kd, "kvm_get_phys_ranges");
		return;
	}
	size_t psize = info.page_size ? info.page_size : 4096;
	unsigned char *page = malloc(psize);
	if (!page) {
		t->oom = true;
		return;
	}
	for (int i = 0; i < PHYS_PAGES; i++) {
		const struct kvm_phys_range *x = &r[next_rand(&seed) % nr];
		uint64_t pages = (x->end - x->start) / psize;
		if (pages == 0 || pages > (1ULL << 40))
			pages = 1;
		uint64_t pa = (x->start / psize + next_rand(&seed) % pages) *
			      psize;
		memset(page, 0, psize);
		ssize_t n = kvm_read_phys(kd, pa, page, psize);
		tr_add(t, page, n > 0 ? (size_t)n : 0,
		       "kvm_read_phys %" PRIx64 " = %zd", pa, n);
		if (n < (ssize_t)psize)
			tr_err(t, kd, "kvm_read_phys");
	}
	free(page);
}

static void
work_procs(kvm_t *kd, struct transcript *t)
{
	int cnt = 0;
	struct kinfo_proc2 *kp =
		kvm_getproc2(kd, KERN_PROC_ALL, 0, sizeof(*kp), &cnt);
	if (!kp) {
		tr_err(t, kd, "kvm_getproc2");
		return;
	}
	tr_add(t, kp, (size_t)cnt * sizeof(*kp), "kvm_getproc2 = %d", cnt);
	/*
	 * kvm_getargv2's vector is valid until the next call; the process
	 * array until the next kvm_getproc2, so copy it first.
	 */
	struct kinfo_proc2 *copy = malloc((size_t)cnt * sizeof(*kp) + 1);
	if (!copy) {
		t->oom = true;
		return;
	}
	memcpy(copy, kp, (size_t)cnt * sizeof(*kp));
	for (int i = 0; i < cnt; i++) {
		char **argv = kvm_getargv2(kd, &copy[i], 0);
		if (!argv) {
			tr_err(t, kd, "kvm_getargv2");
			continue;
		}
		for (int j = 0; argv[j]; j++)
			tr_add(t, argv[j], strlen(argv[j]), "argv %d[%d]",
			       copy[i].p_pid, j);
	}
	free(copy);

	double la[3];
	int n = kvm_getloadavg(kd, la, 3);
	tr_val(t, "kvm_getloadavg", "%d %.6f %.6f %.6f", n, n > 0 ? la[0] : 0,
	       n > 1 ? la[1] : 0, n > 2 ? la[2] : 0);
}

static void
work_log(kvm_t *kd, struct transcript *t)
{
	const struct kvm_log_entry *e;
	size_t n;

	if (kvm_log_get(kd, &e, &n) < 0) {
		tr_err(t, kd, "kvm_log_get");
		return;
	}
	tr_val(t, "kvm_log_get", "%zu", n);
	for (size_t i = 0; i < n; i++)
		tr_add(t, e[i].text, e[i].text_len,
		       "log %" PRIu64 " %" PRIu64 " %d %d %" PRIx32, e[i].seq,
		       e[i].ts_nsec, e[i].level, e[i].facility, e[i].caller_id);
}

static void
work_types(kvm_t *kd, struct transcript *t)
{
	for (size_t i = 0; i < sizeof(members) / sizeof(members[0]); i++) {
		uint64_t off = 0, size = 0;
		if (kvm_type_offsetof(kd, members[i][0], members[i][1], &off,
				      &size) < 0)
			tr_err(t, kd, "kvm_type_offsetof");
		else
			tr_val(t, "kvm_type_offsetof", "%s.%s %" PRIu64
			       " %" PRIu64, members[i][0], members[i][1], off,
			       size);
	}
	uint64_t size = 0;
	if (kvm_type_size(kd, "task_struct", &size) < 0)
		tr_err(t, kd, "kvm_type_size");
	else
		tr_val(t, "kvm_type_size", "task_struct %" PRIu64, size);
}

/* The work on one open handle. */
static void
work(kvm_t *kd, struct transcript *t, uint64_t seed)
{
	uint64_t banner = 0;

	work_nlist(kd, t, &banner);
	work_phys(kd, t, seed);
	work_procs(kd, t);
	/* The process walk read a lot; the banner again, through the cache. */
	if (banner) {
		char b[128];
		ssize_t n = kvm_read2(kd, banner, b, sizeof(b));
		tr_add(t, b, n > 0 ? (size_t)n : 0, "linux_banner again = %zd",
		       n);
	}
	work_log(kd, t);
	work_types(kd, t);
}

/* Open, work, close: the whole run on one dump. */
static void
run(const char *dump, struct transcript *t, uint64_t seed)
{
	char errbuf[KVM_ERRBUF_SIZE] = "";
	kvm_t *kd = kvm_openfiles(NULL, dump, NULL, O_RDONLY, errbuf);
	if (!kd) {
		tr_add(t, errbuf, strlen(errbuf), "kvm_openfiles failed");
		return;
	}
	work(kd, t, seed);
	tr_val(t, "kvm_close", "%d", kvm_close(kd));
}

static const char *dumps[MAX_DUMPS];
static int ndumps;
static struct transcript ref[MAX_DUMPS];	/* single-threaded, read-only
						   once the threads start */
static pthread_barrier_t start;

enum phase {
	SAME_DUMP,	/* every thread on dumps[0] */
	MIXED_DUMPS,	/* thread i, round r: dumps[(i + r) % ndumps] */
	HANDED_OVER,	/* handles opened by main, used by the threads */
};

struct job {
	enum phase phase;
	int id, rounds;
	kvm_t *kd;	/* HANDED_OVER */
	int which;	/* HANDED_OVER: its dump */
	int failures;
};

static uint64_t
seed_of(int dump)
{
	return 0x6b766d2d73747273ULL + (uint64_t)dump;
}

static void *
thread_main(void *arg)
{
	struct job *j = arg;
	char who[128];

	pthread_barrier_wait(&start);
	for (int r = 0; r < j->rounds; r++) {
		int d = j->phase == SAME_DUMP	  ? 0
			: j->phase == HANDED_OVER ? j->which
						  : (j->id + r) % ndumps;
		struct transcript t = { 0 };
		if (j->phase == HANDED_OVER)
			work(j->kd, &t, seed_of(d));
		else
			run(dumps[d], &t, seed_of(d));
		snprintf(who, sizeof(who), "thread %d round %d (%s)", j->id, r,
			 dumps[d]);
		/* The handed-over run has no open/close records. */
		struct transcript *want = &ref[d], cut = ref[d];
		if (j->phase == HANDED_OVER && cut.nrecs >= 2) {
			cut.recs = ref[d].recs;
			cut.nrecs = ref[d].nrecs - 1; /* no kvm_close */
			want = &cut;
		}
		if (!tr_equal(want, &t, who))
			j->failures++;
		tr_free(&t);
	}
	return NULL;
}

static int
run_phase(enum phase phase, int nthreads, int rounds, const char *name)
{
	pthread_t tid[MAX_THREADS];
	struct job jobs[MAX_THREADS];
	int failures = 0;

	if (pthread_barrier_init(&start, NULL, (unsigned)nthreads) != 0) {
		perror("pthread_barrier_init");
		exit(1);
	}
	for (int i = 0; i < nthreads; i++) {
		jobs[i] = (struct job){ .phase = phase, .id = i,
					.rounds = rounds };
		if (phase == HANDED_OVER) {
			char errbuf[KVM_ERRBUF_SIZE] = "";
			jobs[i].which = i % ndumps;
			jobs[i].rounds = 1;
			jobs[i].kd = kvm_openfiles(NULL, dumps[jobs[i].which],
						   NULL, O_RDONLY, errbuf);
			if (!jobs[i].kd) {
				fprintf(stderr, "%s: %s\n",
					dumps[jobs[i].which], errbuf);
				exit(1);
			}
		}
		int e = pthread_create(&tid[i], NULL, thread_main, &jobs[i]);
		if (e) {
			fprintf(stderr, "pthread_create: %s\n", strerror(e));
			exit(1);
		}
	}
	for (int i = 0; i < nthreads; i++) {
		pthread_join(tid[i], NULL);
		failures += jobs[i].failures;
		if (jobs[i].kd && kvm_close(jobs[i].kd) != 0) {
			fprintf(stderr, "kvm_close failed\n");
			failures++;
		}
	}
	pthread_barrier_destroy(&start);
	printf("%-12s %d threads x %d rounds: %s\n", name, nthreads,
	       phase == HANDED_OVER ? 1 : rounds,
	       failures ? "DIFFERENT" : "identical");
	return failures;
}

int
main(int argc, char **argv)
{
	int nthreads = 4, rounds = 2, opt;
	bool verbose = false;

	while ((opt = getopt(argc, argv, "t:r:v")) != -1) {
		switch (opt) {
		case 't':
			nthreads = atoi(optarg);
			break;
		case 'r':
			rounds = atoi(optarg);
			break;
		case 'v':
			verbose = true;
			break;
		default:
			fprintf(stderr, "usage: test_threads [-t THREADS] "
					"[-r ROUNDS] [-v] DUMP...\n");
			return 64;
		}
	}
	if (nthreads < 1 || nthreads > MAX_THREADS || rounds < 1) {
		fprintf(stderr, "test_threads: bad -t or -r\n");
		return 64;
	}
	for (int i = optind; i < argc && ndumps < MAX_DUMPS; i++) {
		if (access(argv[i], R_OK) != 0) {
			printf("skip %s: %s\n", argv[i], strerror(errno));
			continue;
		}
		dumps[ndumps++] = argv[i];
	}
	if (ndumps == 0) {
		printf("SKIP: no dump\n");
		return 77;
	}

	/* The reference: each dump alone, in this thread. */
	for (int d = 0; d < ndumps; d++) {
		run(dumps[d], &ref[d], seed_of(d));
		if (ref[d].oom) {
			fprintf(stderr, "out of memory\n");
			return 1;
		}
		if (ref[d].nrecs > 0 &&
		    strcmp(ref[d].recs[0].label, "kvm_openfiles failed") == 0) {
			fprintf(stderr, "%s: cannot open: %.*s\n", dumps[d],
				(int)ref[d].recs[0].len,
				(const char *)ref[d].data);
			return 1;
		}
		/* A second single-threaded run agrees with the first. */
		struct transcript again = { 0 };
		run(dumps[d], &again, seed_of(d));
		if (!tr_equal(&ref[d], &again, "second single-threaded run"))
			return 1;
		tr_free(&again);
		printf("reference    %s: %zu records, %zu bytes\n", dumps[d],
		       ref[d].nrecs, ref[d].len);
		for (size_t i = 0; verbose && i < ref[d].nrecs; i++) {
			const struct rec *r = &ref[d].recs[i];
			int show = (int)(r->len < 60 ? r->len : 60);
			printf("  %s [%zu] ", r->label, r->len);
			for (int k = 0; k < show; k++) {
				unsigned char c = ref[d].data[r->off + k];
				putchar(c >= 32 && c < 127 ? c : '.');
			}
			putchar('\n');
		}
	}

	int failures = run_phase(SAME_DUMP, nthreads, rounds, "same dump");
	if (ndumps > 1)
		failures += run_phase(MIXED_DUMPS, nthreads, rounds,
				      "mixed dumps");
	failures += run_phase(HANDED_OVER, nthreads, rounds, "handed over");

	for (int d = 0; d < ndumps; d++)
		tr_free(&ref[d]);
	if (failures) {
		printf("FAIL: %d runs differ from the single-threaded one\n",
		       failures);
		return 1;
	}
	printf("PASS\n");
	return 0;
}
