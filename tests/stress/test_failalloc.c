// SPDX-License-Identifier: BSD-2-Clause
/*
 * Out of memory (issue 9, item 5; STYLE B9 "a failing-allocator hook"):
 * this program defines the malloc family itself, forwarding to glibc's
 * __libc_* entry points, so every allocation of libkvm (linked
 * statically) and of the libraries it uses (libelf, libbpf, libdeflate,
 * zlib... reached through the dynamic linker) comes here.  A clean run of
 * the workload counts its allocations, C; then for every N in 1..C a
 * child process fails the Nth allocation (then, in a second sweep, every
 * allocation from the Nth on) and runs the workload again.
 * Each step must give what the clean run gave or fail with a message (a
 * different result is accepted only with kvm_geterr() saying why, as a
 * partial process list does), no child may crash or hang, and after
 * kvm_close no more may be left allocated than the clean run leaves (what
 * libraries keep on purpose).  Messages that do not say ENOMEM, and
 * partial results, are printed as notes.  Failures are grouped by kind
 * and by the innermost libkvm function on the stack of the failed
 * allocation, which known_bugs[] below can mark as known.
 *
 *   test_failalloc ELFDUMP [KDUMP]
 * Environment (the test's, not the library's):
 *   FAILALLOC_FULL=1    every N in both sweeps (CI).  Otherwise the
 *                       one-shot sweep takes every N when that should
 *                       take under a minute, else N <= 200 and every 7th;
 *                       the sweep failing from N on takes every 7th N
 *   FAILALLOC_N=n[,m]   only these N, with the stack of each failure
 *   FAILALLOC_AFTER=0|1 only the one-shot sweep (0), or only the sweep
 *                       failing every allocation from the Nth on (1);
 *                       unset: both
 *   FAILALLOC_JOBS=j    children at once (default: the CPUs)
 *   FAILALLOC_VERBOSE=1 print every group's stacks, known bugs included
 *
 * Under AddressSanitizer or ThreadSanitizer, whose allocators these
 * definitions would fight, the test skips (77).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <execinfo.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <kvm.h>

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define FA_SKIP 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) ||    \
	__has_feature(memory_sanitizer)
#define FA_SKIP 1
#endif
#endif

#ifdef FA_SKIP
int
main(void)
{
	printf("SKIP: malloc interposition conflicts with the sanitizer's "
	       "allocator\n");
	return 77;
}
#else

/*
 * Known bugs: failures this test reports but does not count, until they
 * are fixed.  kind is "crash", "hang", "leak", "noerror" or "wrong"; func
 * the innermost libkvm function on the stack of the failed allocation
 * (as the report prints it).  Remove a line when its bug is fixed.
 */
static const struct {
	const char *kind, *func;
} known_bugs[] = {
	{ NULL, NULL },
};

/* ------------------------------------------------------------------ */
/* The allocator                                                       */
/* ------------------------------------------------------------------ */

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
extern void __libc_free(void *);

#define FA_BT 40

/* What a child tells its parent, in memory they share. */
struct fa_result {
	int finished;		/* the workload returned */
	unsigned long allocs;	/* allocations counted while armed */
	int hit;		/* the Nth allocation was made (and failed) */
	int nbt;
	void *bt[FA_BT];	/* stack of the failed allocation */
	long leaks;		/* live blocks made after arming */
	size_t leak_bytes;
	unsigned long leak_serial[4];
	size_t leak_size[4];
	char problem[1024];	/* "kind: what" of the first failure, or "" */
	char kind[16];
	char notes[2048];	/* errors that were not ENOMEM, steps skipped */
	/* The clean run's digests (baseline child only). */
	uint64_t digest[2][8];
	int argv_pid[2];
	uint64_t banner[2];
	uint64_t init_task[2];
	int nprocs[2];
};

static struct fa_result *fa_res;	/* this child's slot */
static unsigned long fa_count;		/* allocations since arming */
static unsigned long fa_fail_at;	/* 0: disarmed */
static bool fa_after;			/* fail from fa_fail_at on */
static bool fa_armed;
static int fa_inside;			/* in backtrace(): pass through */
static unsigned long fa_serial;		/* every tracked block's number */
static unsigned long fa_arm_serial;

/* Live blocks: open addressing, linear probing, backward-shift delete. */
struct fa_slot {
	uintptr_t p;
	unsigned long serial;
	size_t size;
};
static struct fa_slot *fa_tab;
static size_t fa_cap, fa_live;

static size_t
fa_hash(uintptr_t p)
{
	uint64_t h = (uint64_t)p * 0x9e3779b97f4a7c15ULL;
	return (size_t)(h >> 17) & (fa_cap - 1);
}

static void fa_insert(uintptr_t p, unsigned long serial, size_t size);

static void
fa_grow(void)
{
	struct fa_slot *old = fa_tab;
	size_t oldcap = fa_cap;

	fa_cap = oldcap ? 2 * oldcap : 1u << 16;
	fa_tab = __libc_calloc(fa_cap, sizeof(*fa_tab));
	if (!fa_tab) {
		static const char m[] = "test_failalloc: no memory for the "
					"allocation table\n";
		(void)!write(2, m, sizeof(m) - 1);
		abort();
	}
	fa_live = 0;
	for (size_t i = 0; i < oldcap; i++)
		if (old[i].p)
			fa_insert(old[i].p, old[i].serial, old[i].size);
	__libc_free(old);
}

static void
fa_insert(uintptr_t p, unsigned long serial, size_t size)
{
	if (2 * (fa_live + 1) > fa_cap)
		fa_grow();
	size_t i = fa_hash(p);
	while (fa_tab[i].p)
		i = (i + 1) & (fa_cap - 1);
	fa_tab[i] = (struct fa_slot){ p, serial, size };
	fa_live++;
}

/* Removes p; returns its slot's serial, or 0 when p was not ours. */
static unsigned long
fa_remove(uintptr_t p)
{
	if (!fa_cap || !p)
		return 0;
	size_t i = fa_hash(p);
	while (fa_tab[i].p && fa_tab[i].p != p)
		i = (i + 1) & (fa_cap - 1);
	if (!fa_tab[i].p)
		return 0;
	unsigned long serial = fa_tab[i].serial;
	fa_live--;
	/* Backward shift: keep every later entry of the run reachable. */
	size_t j = i;
	for (;;) {
		fa_tab[i].p = 0;
		for (;;) {
			j = (j + 1) & (fa_cap - 1);
			if (!fa_tab[j].p)
				return serial;
			size_t k = fa_hash(fa_tab[j].p);
			/* Move j to i unless its home k lies in (i, j]. */
			if (i <= j ? (i < k && k <= j) : (i < k || k <= j))
				continue;
			break;
		}
		fa_tab[i] = fa_tab[j];
		i = j;
	}
}

static void
fa_track(void *p, size_t size, unsigned long serial)
{
	/* What backtrace() allocates for itself is not the workload's. */
	if (p && !fa_inside)
		fa_insert((uintptr_t)p, serial ? serial : ++fa_serial, size);
}

/* Count one allocation; true when it is to fail. */
static bool
fa_fail(void)
{
	if (!fa_armed || fa_inside)
		return false;
	unsigned long n = ++fa_count;
	if (n != fa_fail_at && !(fa_after && n > fa_fail_at))
		return false;
	if (n == fa_fail_at && fa_res) {
		fa_inside++;
		fa_res->nbt = backtrace(fa_res->bt, FA_BT);
		fa_inside--;
		fa_res->hit = 1;
	}
	errno = ENOMEM;
	return true;
}

void *
malloc(size_t size)
{
	if (fa_fail())
		return NULL;
	void *p = __libc_malloc(size);
	fa_track(p, size, 0);
	return p;
}

void *
calloc(size_t n, size_t size)
{
	if (fa_fail())
		return NULL;
	void *p = __libc_calloc(n, size);
	fa_track(p, n * size, 0);
	return p;
}

void *
realloc(void *old, size_t size)
{
	if (!old)
		return malloc(size);
	if (size == 0) {
		fa_remove((uintptr_t)old);
		return __libc_realloc(old, 0);
	}
	if (fa_fail())
		return NULL;
	void *p = __libc_realloc(old, size);
	if (p) {
		/* A block made before arming stays one made before. */
		unsigned long serial = fa_remove((uintptr_t)old);
		fa_track(p, size, serial);
	}
	return p;
}

void *
reallocarray(void *old, size_t n, size_t size)
{
	size_t total;

	if (__builtin_mul_overflow(n, size, &total)) {
		errno = ENOMEM;
		return NULL;
	}
	return realloc(old, total);
}

void
free(void *p)
{
	if (!p)
		return;
	fa_remove((uintptr_t)p);
	__libc_free(p);
}

static void *
fa_memalign(size_t align, size_t size)
{
	if (fa_fail())
		return NULL;
	void *p = __libc_memalign(align, size);
	fa_track(p, size, 0);
	return p;
}

int
posix_memalign(void **ret, size_t align, size_t size)
{
	if (align < sizeof(void *) || (align & (align - 1)) != 0)
		return EINVAL;
	int saved = errno;
	void *p = fa_memalign(align, size);
	errno = saved;
	if (!p)
		return ENOMEM;
	*ret = p;
	return 0;
}

void *
aligned_alloc(size_t align, size_t size)
{
	return fa_memalign(align, size);
}

void *
memalign(size_t align, size_t size)
{
	return fa_memalign(align, size);
}

void *
valloc(size_t size)
{
	return fa_memalign((size_t)sysconf(_SC_PAGESIZE), size);
}

char *
strdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = malloc(n);
	if (p)
		memcpy(p, s, n);
	return p;
}

char *
strndup(const char *s, size_t max)
{
	size_t n = strnlen(s, max);
	char *p = malloc(n + 1);
	if (p) {
		memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

static void
fa_arm(unsigned long n, bool after)
{
	fa_count = 0;
	fa_fail_at = n;
	fa_after = after;
	fa_arm_serial = fa_serial;
	fa_armed = true;
}

static void
fa_disarm(void)
{
	fa_armed = false;
}

/* Blocks made since arming and still live. */
static void
fa_leaks(struct fa_result *r)
{
	int k = 0;

	r->leaks = 0;
	r->leak_bytes = 0;
	for (size_t i = 0; i < fa_cap; i++) {
		if (!fa_tab[i].p || fa_tab[i].serial <= fa_arm_serial)
			continue;
		r->leaks++;
		r->leak_bytes += fa_tab[i].size;
		if (k < 4) {
			r->leak_serial[k] = fa_tab[i].serial - fa_arm_serial;
			r->leak_size[k] = fa_tab[i].size;
			k++;
		}
	}
}

/* ------------------------------------------------------------------ */
/* The workload, in a child                                            */
/* ------------------------------------------------------------------ */

enum { S_OPEN, S_NLIST, S_READ, S_PROCS, S_ARGV, S_LOG, S_CLOSE, S_N };
static const char *const step_names[S_N] = {
	"kvm_openfiles", "kvm_nlist", "kvm_read2", "kvm_getproc2",
	"kvm_getargv2",	 "kvm_log_get", "kvm_close",
};

static const char *dumps[2];
static int ndumps;
static bool baseline;			/* this child records the digests */
static struct fa_result expect;		/* the clean run's, read-only */

static void __attribute__((format(printf, 1, 2)))
note(const char *fmt, ...)
{
	size_t n = strlen(fa_res->notes);
	if (n + 2 >= sizeof(fa_res->notes))
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(fa_res->notes + n, sizeof(fa_res->notes) - n, fmt, ap);
	va_end(ap);
	n = strlen(fa_res->notes);
	if (n + 1 < sizeof(fa_res->notes)) {
		fa_res->notes[n] = '\n';
		fa_res->notes[n + 1] = '\0';
	}
}

static void __attribute__((format(printf, 2, 3)))
problem(const char *kind, const char *fmt, ...)
{
	if (fa_res->problem[0])
		return;
	snprintf(fa_res->kind, sizeof(fa_res->kind), "%s", kind);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(fa_res->problem, sizeof(fa_res->problem), fmt, ap);
	va_end(ap);
}

struct fnv {
	uint64_t h;
};

static void
fnv_add(struct fnv *f, const void *p, size_t n)
{
	const unsigned char *b = p;
	for (size_t i = 0; i < n; i++)
		f->h = (f->h ^ b[i]) * 0x100000001b3ULL;
}

static bool
is_enomem_text(const char *m)
{
	return strstr(m, "memory") || strstr(m, "ENOMEM");
}

/*
 * A step that returned a result: digest it against the clean run's.
 * A different result is acceptable only with a message saying why
 * (a partial list); without one it is silently wrong data.
 */
static void
check_result(kvm_t *kd, int d, int s, uint64_t h, const char *desc)
{
	if (baseline) {
		fa_res->digest[d][s] = h;
		return;
	}
	if (h == expect.digest[d][s])
		return;
	const char *e = kvm_geterr(kd);
	if (e[0] == '\0')
		problem("wrong", "%s %s: succeeded with a different result "
				 "and no message%s%s",
			dumps[d], step_names[s], desc ? ": " : "",
			desc ? desc : "");
	else
		note("%s: partial result: %s", step_names[s], e);
}

/* A step that failed: it must say why. */
static void
check_error(kvm_t *kd, int d, int s)
{
	const char *e = kvm_geterr(kd);
	if (baseline) {
		problem("baseline", "%s %s failed in the clean run: %s",
			dumps[d], step_names[s], e);
		return;
	}
	if (e[0] == '\0')
		problem("noerror", "%s %s: failed with an empty kvm_geterr()",
			dumps[d], step_names[s]);
	else if (kvm_geterrcode(kd) != KVM_ENOMEM && !is_enomem_text(e))
		note("%s: not ENOMEM (code %d): %s", step_names[s],
		     kvm_geterrcode(kd), e);
}

static void
workload_one(int d)
{
	char errbuf[KVM_ERRBUF_SIZE] = "";
	struct fnv f;

	kvm_t *kd = kvm_openfiles(NULL, dumps[d], NULL, O_RDONLY, errbuf);
	if (!kd) {
		if (baseline)
			problem("baseline", "%s: cannot open: %s", dumps[d],
				errbuf);
		else if (errbuf[0] == '\0')
			problem("noerror", "%s kvm_openfiles: NULL with an "
					   "empty errbuf",
				dumps[d]);
		else if (!is_enomem_text(errbuf))
			note("kvm_openfiles: not ENOMEM: %s", errbuf);
		return;
	}

	/* kvm_nlist("init_task") (and linux_banner, for the read). */
	kvm_clearerr(kd);
	struct nlist nl[3] = { { .n_name = "init_task" },
			       { .n_name = "linux_banner" },
			       { .n_name = NULL } };
	int missing = kvm_nlist(kd, nl);
	if (missing < 0) {
		check_error(kd, d, S_NLIST);
	} else {
		f.h = 0xcbf29ce484222325ULL;
		fnv_add(&f, &missing, sizeof(missing));
		for (int i = 0; i < 2; i++) {
			fnv_add(&f, &nl[i].n_value, sizeof(nl[i].n_value));
			fnv_add(&f, &nl[i].n_type, sizeof(nl[i].n_type));
		}
		char desc[160];
		snprintf(desc, sizeof(desc),
			 "returned %d, init_task %#lx (clean: %#" PRIx64
			 "), linux_banner %#lx",
			 missing, (unsigned long)nl[0].n_value,
			 expect.init_task[d], (unsigned long)nl[1].n_value);
		check_result(kd, d, S_NLIST, f.h, desc);
		if (baseline)
			fa_res->init_task[d] = (uint64_t)nl[0].n_value;
		if (baseline)
			fa_res->banner[d] =
				nl[1].n_type ? (uint64_t)nl[1].n_value : 0;
	}

	/* kvm_read2 of linux_banner, at the clean run's address. */
	uint64_t banner = baseline ? fa_res->banner[d] : expect.banner[d];
	if (banner) {
		char buf[256];
		kvm_clearerr(kd);
		ssize_t n = kvm_read2(kd, banner, buf, sizeof(buf));
		if (n < 0) {
			check_error(kd, d, S_READ);
		} else {
			f.h = 0xcbf29ce484222325ULL;
			fnv_add(&f, &n, sizeof(n));
			fnv_add(&f, buf, (size_t)n);
			check_result(kd, d, S_READ, f.h, NULL);
		}
	}

	/* kvm_getproc2(KERN_PROC_ALL) + kvm_getargv2 of one process. */
	kvm_clearerr(kd);
	int cnt = 0;
	struct kinfo_proc2 *kp =
		kvm_getproc2(kd, KERN_PROC_ALL, 0, sizeof(*kp), &cnt);
	if (!kp) {
		check_error(kd, d, S_PROCS);
	} else {
		f.h = 0xcbf29ce484222325ULL;
		fnv_add(&f, &cnt, sizeof(cnt));
		fnv_add(&f, kp, (size_t)cnt * sizeof(*kp));
		char desc[64];
		snprintf(desc, sizeof(desc), "%d processes (clean: %d)", cnt,
			 expect.nprocs[d]);
		check_result(kd, d, S_PROCS, f.h, desc);
		if (baseline)
			fa_res->nprocs[d] = cnt;
		/* The clean run picks the last user process. */
		if (baseline)
			for (int i = 0; i < cnt; i++)
				if (!kp[i].p_kthread)
					fa_res->argv_pid[d] = kp[i].p_pid;
		int want = baseline ? fa_res->argv_pid[d] : expect.argv_pid[d];
		struct kinfo_proc2 *p = NULL;
		for (int i = 0; i < cnt; i++)
			if (kp[i].p_pid == want)
				p = &kp[i];
		if (p) {
			kvm_clearerr(kd);
			char **argv = kvm_getargv2(kd, p, 0);
			if (!argv) {
				check_error(kd, d, S_ARGV);
			} else {
				f.h = 0xcbf29ce484222325ULL;
				for (int i = 0; argv[i]; i++)
					fnv_add(&f, argv[i],
						strlen(argv[i]) + 1);
				check_result(kd, d, S_ARGV, f.h, NULL);
			}
		} else if (!baseline) {
			note("kvm_getargv2: pid %d not in the partial list",
			     want);
		}
	}

	/* kvm_log_get. */
	kvm_clearerr(kd);
	const struct kvm_log_entry *e;
	size_t ne;
	if (kvm_log_get(kd, &e, &ne) < 0) {
		check_error(kd, d, S_LOG);
	} else {
		f.h = 0xcbf29ce484222325ULL;
		fnv_add(&f, &ne, sizeof(ne));
		for (size_t i = 0; i < ne; i++) {
			fnv_add(&f, &e[i].seq, sizeof(e[i].seq));
			fnv_add(&f, &e[i].ts_nsec, sizeof(e[i].ts_nsec));
			fnv_add(&f, &e[i].level, sizeof(e[i].level));
			fnv_add(&f, e[i].text, e[i].text_len);
		}
		check_result(kd, d, S_LOG, f.h, NULL);
	}

	if (kvm_close(kd) != 0)
		problem("close", "%s kvm_close: -1", dumps[d]);
}

static void
child(unsigned long n, bool after)
{
	alarm(60);
	fa_arm(n, after);
	for (int d = 0; d < ndumps; d++)
		workload_one(d);
	fa_disarm();
	fa_res->allocs = fa_count;
	fa_leaks(fa_res);
	fa_res->finished = 1;
	_exit(0);
}

/* ------------------------------------------------------------------ */
/* The sweep, in the parent                                            */
/* ------------------------------------------------------------------ */

/* Symbolized stack of a failure: "func (file:line)" per frame. */
struct frames {
	int n;
	char line[FA_BT][256];
	char innermost[128];	/* first libkvm function: the known-bug key */
};

static bool exe_is_pie = true;

static void
symbolize(const struct fa_result *r, struct frames *fr)
{
	char cmd[8192];
	Dl_info exe_info;
	size_t len;

	memset(fr, 0, sizeof(*fr));
	snprintf(fr->innermost, sizeof(fr->innermost), "?");
	dladdr((void *)symbolize, &exe_info);
	len = (size_t)snprintf(cmd, sizeof(cmd),
			       "addr2line -f -p -e /proc/%d/exe",
			       (int)getpid());
	int nexe = 0;
	for (int i = 0; i < r->nbt && len < sizeof(cmd) - 32; i++) {
		Dl_info di;
		uintptr_t a = (uintptr_t)r->bt[i] - 1;
		if (dladdr(r->bt[i], &di) &&
		    di.dli_fbase == exe_info.dli_fbase) {
			uintptr_t off = exe_is_pie ? a - (uintptr_t)di.dli_fbase
						   : a;
			len += (size_t)snprintf(cmd + len, sizeof(cmd) - len,
						" 0x%" PRIxPTR, off);
			nexe++;
		}
	}
	FILE *p = nexe ? popen(cmd, "r") : NULL;
	for (int i = 0; i < r->nbt && fr->n < FA_BT; i++) {
		Dl_info di;
		char *out = fr->line[fr->n];
		bool in_exe = dladdr(r->bt[i], &di) &&
			      di.dli_fbase == exe_info.dli_fbase;
		if (in_exe && p) {
			if (!fgets(out, sizeof(fr->line[0]), p))
				snprintf(out, sizeof(fr->line[0]), "?\n");
			out[strcspn(out, "\n")] = '\0';
		} else if (dladdr(r->bt[i], &di) && di.dli_fname) {
			const char *base = strrchr(di.dli_fname, '/');
			void *from = di.dli_saddr ? di.dli_saddr : di.dli_fbase;
			snprintf(out, sizeof(fr->line[0]),
				 "%s+0x%" PRIxPTR " (%s)",
				 di.dli_sname ? di.dli_sname : "?",
				 (uintptr_t)r->bt[i] - (uintptr_t)from,
				 base ? base + 1 : di.dli_fname);
		} else {
			snprintf(out, sizeof(fr->line[0]), "%p", r->bt[i]);
		}
		fr->n++;
	}
	if (p)
		pclose(p);
	for (int i = 0; i < fr->n; i++) {
		const char *l = fr->line[i];
		if (strstr(l, "test_failalloc.c"))
			continue;
		if (strstr(l, "/src/")) {
			size_t k = strcspn(l, " ");
			snprintf(fr->innermost, sizeof(fr->innermost), "%.*s",
				 (int)k, l);
			break;
		}
	}
}

static void
check_pie(void)
{
	Elf64_Ehdr eh;
	int fd = open("/proc/self/exe", O_RDONLY);
	if (fd >= 0 && read(fd, &eh, sizeof(eh)) == (ssize_t)sizeof(eh))
		exe_is_pie = eh.e_type == ET_DYN;
	if (fd >= 0)
		close(fd);
}

/* Failures grouped by kind and innermost libkvm function. */
struct group {
	bool after;		/* found by the sweep failing from N on */
	char kind[16];
	char func[128];
	int count;
	unsigned long first_n;
	unsigned long ns[12];	/* the first few N */
	char problem[1024];
	struct frames frames;
	long leaks;
	unsigned long leak_serial[4];
	size_t leak_size[4];
	bool known;
};

#define MAX_GROUPS 64
static struct group groups[MAX_GROUPS];
static int ngroups;

struct notegroup {
	char text[256];
	int count;
	unsigned long first_n;
};
#define MAX_NOTES 64
static struct notegroup notegroups[MAX_NOTES];
static int nnotes;

static void
add_note(const char *text, unsigned long n)
{
	char t[256];
	/* Numbers make messages distinct: group them with digits as '#'. */
	size_t l = strnlen(text, sizeof(t) - 1);
	for (size_t i = 0; i < l; i++)
		t[i] = text[i] >= '0' && text[i] <= '9' ? '#' : text[i];
	t[l] = '\0';
	for (int i = 0; i < nnotes; i++)
		if (strcmp(notegroups[i].text, t) == 0) {
			notegroups[i].count++;
			return;
		}
	if (nnotes < MAX_NOTES) {
		memcpy(notegroups[nnotes].text, t, sizeof(t));
		notegroups[nnotes].count = 1;
		notegroups[nnotes].first_n = n;
		nnotes++;
	}
}

static bool trace_all;	/* FAILALLOC_N: every run's stack */
static long baseline_leaks;
static unsigned long baseline_allocs;

static void
record(unsigned long n, const struct fa_result *r, int status, bool after)
{
	char kind[16] = "", what[1100] = "";

	if (WIFSIGNALED(status)) {
		int sig = WTERMSIG(status);
		snprintf(kind, sizeof(kind), "%s",
			 sig == SIGALRM ? "hang" : "crash");
		snprintf(what, sizeof(what), "killed by signal %d (%s)", sig,
			 strsignal(sig));
	} else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 ||
		   !r->finished) {
		snprintf(kind, sizeof(kind), "crash");
		snprintf(what, sizeof(what), "exited with status %d",
			 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	} else if (r->problem[0]) {
		snprintf(kind, sizeof(kind), "%s", r->kind);
		snprintf(what, sizeof(what), "%s", r->problem);
	} else if (r->leaks > baseline_leaks) {
		snprintf(kind, sizeof(kind), "leak");
		snprintf(what, sizeof(what),
			 "%ld blocks (%zu bytes) left after kvm_close; the "
			 "clean run leaves %ld",
			 r->leaks, r->leak_bytes, baseline_leaks);
	}
	if (trace_all) {
		struct frames fr;
		symbolize(r, &fr);
		printf("N=%lu: %s%s%s\n", n, kind[0] ? kind : "ok",
		       what[0] ? ": " : "", what);
		for (char *s = (char *)r->notes; *s;) {
			size_t k = strcspn(s, "\n");
			printf("    note: %.*s\n", (int)k, s);
			s += k + (s[k] == '\n');
		}
		for (int i = 0; i < fr.n; i++)
			printf("      #%d %s\n", i, fr.line[i]);
	}
	for (char *s = (char *)r->notes, *e; *s; s = e + 1) {
		e = strchr(s, '\n');
		if (!e)
			break;
		*e = '\0';
		add_note(s, n);
	}
	if (!kind[0])
		return;

	struct frames fr;
	symbolize(r, &fr);
	for (int i = 0; i < ngroups; i++)
		if (strcmp(groups[i].kind, kind) == 0 &&
		    groups[i].after == after &&
		    strcmp(groups[i].func, fr.innermost) == 0) {
			if (groups[i].count < 12)
				groups[i].ns[groups[i].count] = n;
			groups[i].count++;
			return;
		}
	if (ngroups == MAX_GROUPS)
		return;
	struct group *g = &groups[ngroups++];
	g->after = after;
	snprintf(g->kind, sizeof(g->kind), "%s", kind);
	snprintf(g->func, sizeof(g->func), "%s", fr.innermost);
	g->count = 1;
	g->first_n = n;
	g->ns[0] = n;
	snprintf(g->problem, sizeof(g->problem), "%.*s",
		 (int)sizeof(g->problem) - 1, what);
	g->frames = fr;
	g->leaks = r->leaks;
	memcpy(g->leak_serial, r->leak_serial, sizeof(g->leak_serial));
	memcpy(g->leak_size, r->leak_size, sizeof(g->leak_size));
	for (size_t k = 0; known_bugs[k].kind; k++)
		if (strcmp(known_bugs[k].kind, kind) == 0 &&
		    strcmp(known_bugs[k].func, fr.innermost) == 0)
			g->known = true;
}

/* One child per N, up to jobs at once, each with its own result slot. */
static int
sweep(const unsigned long *ns, size_t count, bool after, int jobs,
      struct fa_result *slots)
{
	pid_t *pids = calloc((size_t)jobs, sizeof(*pids));
	unsigned long *slot_n = calloc((size_t)jobs, sizeof(*slot_n));
	size_t next = 0, done = 0;
	int running = 0;

	if (!pids || !slot_n) {
		perror("calloc");
		exit(1);
	}
	while (done < count) {
		while (running < jobs && next < count) {
			int s = 0;
			while (pids[s])
				s++;
			memset(&slots[s], 0, sizeof(slots[s]));
			fflush(NULL);
			pid_t pid = fork();
			if (pid < 0) {
				perror("fork");
				exit(1);
			}
			if (pid == 0) {
				fa_res = &slots[s];
				child(ns[next], after);
			}
			pids[s] = pid;
			slot_n[s] = ns[next++];
			running++;
		}
		int status;
		pid_t pid = wait(&status);
		if (pid < 0) {
			perror("wait");
			exit(1);
		}
		for (int s = 0; s < jobs; s++)
			if (pids[s] == pid) {
				record(slot_n[s], &slots[s], status, after);
				pids[s] = 0;
				running--;
				done++;
			}
	}
	free(pids);
	free(slot_n);
	return 0;
}

static void
print_group(const struct group *g, bool stacks)
{
	printf("%s%s in %s: %d N %s(", g->known ? "KNOWN BUG " : "FAIL ",
	       g->kind, g->func, g->count,
	       g->after ? "failing from N on " : "");
	for (int i = 0; i < g->count && i < 12; i++)
		printf("%s%lu", i ? "," : "", g->ns[i]);
	printf("%s); N=%lu: %s\n", g->count > 12 ? ",..." : "", g->first_n,
	       g->problem);
	if (strcmp(g->kind, "leak") == 0)
		for (int k = 0; k < 4 && k < g->leaks; k++)
			printf("    leaked: allocation %lu after arming, %zu "
			       "bytes\n",
			       g->leak_serial[k], g->leak_size[k]);
	if (!stacks)
		return;
	printf("    stack of the failed allocation:\n");
	for (int i = 0; i < g->frames.n; i++)
		printf("      #%d %s\n", i, g->frames.line[i]);
}

int
main(int argc, char **argv)
{
	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: test_failalloc ELFDUMP [KDUMP]\n");
		return 64;
	}
	for (int i = 1; i < argc; i++) {
		if (access(argv[i], R_OK) == 0)
			dumps[ndumps++] = argv[i];
		else if (i == 1) {
			printf("SKIP: %s: %s\n", argv[i], strerror(errno));
			return 77;
		} else
			printf("skip %s: %s\n", argv[i], strerror(errno));
	}
	const char *env = getenv("FAILALLOC_FULL");
	bool full = env && *env && strcmp(env, "0") != 0;
	const char *after_env = getenv("FAILALLOC_AFTER");
	if (after_env && !*after_env)
		after_env = NULL;
	env = getenv("FAILALLOC_VERBOSE");
	bool verbose = env && *env && strcmp(env, "0") != 0;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	int jobs = ncpu > 0 ? (int)ncpu : 1;
	if ((env = getenv("FAILALLOC_JOBS")) && atoi(env) > 0)
		jobs = atoi(env);
	const char *only = getenv("FAILALLOC_N");
	if (only) {
		verbose = true;
		trace_all = true;
	}

	check_pie();
	/* backtrace() loads libgcc_s on first use: not inside a child. */
	void *warm[4];
	backtrace(warm, 4);
	setvbuf(stdout, NULL, _IOLBF, 0);

	struct fa_result *slots =
		mmap(NULL, (size_t)(jobs + 1) * sizeof(*slots),
		     PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (slots == MAP_FAILED) {
		perror("mmap");
		return 1;
	}

	/* The clean run, twice: counts must not depend on the run. */
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int pass = 0; pass < 2; pass++) {
		memset(&slots[jobs], 0, sizeof(slots[jobs]));
		fflush(NULL);
		pid_t pid = fork();
		if (pid == 0) {
			fa_res = &slots[jobs];
			baseline = true;
			child(0, false);
		}
		int status;
		if (pid < 0 || waitpid(pid, &status, 0) != pid ||
		    !WIFEXITED(status) || WEXITSTATUS(status) != 0 ||
		    !slots[jobs].finished) {
			printf("FAIL: the clean run did not finish\n");
			return 1;
		}
		if (slots[jobs].problem[0]) {
			printf("FAIL: %s\n", slots[jobs].problem);
			return 1;
		}
		if (pass == 1 && (slots[jobs].allocs != baseline_allocs ||
				  slots[jobs].leaks != baseline_leaks))
			printf("note: the clean runs differ: %lu/%lu "
			       "allocations, %ld/%ld left\n",
			       baseline_allocs, slots[jobs].allocs,
			       baseline_leaks, slots[jobs].leaks);
		expect = slots[jobs];
		baseline_allocs = expect.allocs;
		baseline_leaks = expect.leaks;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double one = (double)(t1.tv_sec - t0.tv_sec) / 2 +
		     (double)(t1.tv_nsec - t0.tv_nsec) / 2e9;
	printf("dumps:");
	for (int d = 0; d < ndumps; d++)
		printf(" %s", dumps[d]);
	printf("\nclean run: %lu allocations, %ld blocks (%zu bytes) left "
	       "after kvm_close (kept by libraries), %.3f s\n",
	       baseline_allocs, baseline_leaks, expect.leak_bytes, one);

	/* Which N, in which sweep. */
	unsigned long *ns = calloc(baseline_allocs + 1, sizeof(*ns));
	if (!ns) {
		perror("calloc");
		return 1;
	}
	bool every = full || one * (double)baseline_allocs / jobs <= 60;
	size_t total = 0;
	for (int mode = 0; mode < 2; mode++) {
		bool after = mode == 1;
		if (after_env && (atoi(after_env) != 0) != after)
			continue;
		size_t count = 0;
		if (only) {
			for (const char *s = only;
			     *s && count < baseline_allocs + 1;) {
				char *end;
				unsigned long v = strtoul(s, &end, 10);
				if (end == s)
					break;
				if (v)
					ns[count++] = v;
				s = *end ? end + 1 : end;
			}
		} else {
			/* Failing from N on cascades: every 7th N will do. */
			bool all_n = after ? full : every;
			for (unsigned long n = 1; n <= baseline_allocs; n++)
				if (all_n || n % 7 == 0 ||
				    (!after && n <= 200))
					ns[count++] = n;
		}
		printf("failing %s for %zu values of N (%s), %d at once\n",
		       after ? "every allocation from the Nth on"
			     : "the Nth allocation",
		       count,
		       only			? "FAILALLOC_N"
		       : count == baseline_allocs ? "all"
		       : after			? "every 7th; FAILALLOC_FULL=1 "
						  "for all"
						: "1..200 and every 7th; "
						  "FAILALLOC_FULL=1 for all",
		       jobs);
		sweep(ns, count, after, jobs, slots);
		total += count;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double all = (double)(t1.tv_sec - t0.tv_sec) +
		     (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;

	int failures = 0, known = 0;
	for (int i = 0; i < ngroups; i++) {
		print_group(&groups[i], verbose || !groups[i].known);
		if (groups[i].known)
			known += groups[i].count;
		else
			failures += groups[i].count;
	}
	for (int i = 0; i < nnotes; i++)
		printf("note (%d N, first N=%lu): %s\n", notegroups[i].count,
		       notegroups[i].first_n, notegroups[i].text);
	for (size_t k = 0; known_bugs[k].kind; k++) {
		bool seen = false;
		for (int i = 0; i < ngroups; i++)
			if (strcmp(groups[i].kind, known_bugs[k].kind) == 0 &&
			    strcmp(groups[i].func, known_bugs[k].func) == 0)
				seen = true;
		if (!seen && !only)
			printf("known bug not seen (fixed? remove its line): "
			       "%s in %s\n",
			       known_bugs[k].kind, known_bugs[k].func);
	}
	printf("%zu runs in %.1f s: %d failing, %d known bugs (not counted)\n",
	       total, all, failures, known);
	free(ns);
	if (failures) {
		printf("FAIL\n");
		return 1;
	}
	printf("PASS\n");
	return 0;
}

#endif /* !FA_SKIP */
