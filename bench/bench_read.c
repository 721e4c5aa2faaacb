/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * bench_read: read speed of libkvm against libkdumpfile on the same dumps,
 * in the same run, with the same address lists.  Three tests per dump:
 * open time, random 8-byte reads at kernel virtual addresses (direct map
 * and kernel image), and sequential 1 MiB reads of physical memory.  A
 * sample of the reads is done by both libraries and compared byte for byte.
 *
 * Each dump runs in a child process so that a crash of either library
 * costs one dump, not the run; a dump whose child died is run again
 * without the peer.  The table is printed at the end, notes below it.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kvm.h"

#ifdef HAVE_LIBKDUMPFILE
#include <libkdumpfile/addrxlat.h>
#include <libkdumpfile/kdumpfile.h>
#endif

#ifndef PEER_VERSION
#define PEER_VERSION "?"
#endif

#define MIB (1024 * 1024)
#define MAX_SAMPLES 5		/* mismatches quoted in the notes per test */
#define PROBE_READS 64		/* reads tried before a side is declared dead */
#define OPEN_REPEAT 10		/* opens per run of the other tests */
#define JOB_TIMEOUT 600		/* seconds: a hung library costs one dump */

/* ------------------------------------------------------------------ */
/* Options and jobs                                                    */
/* ------------------------------------------------------------------ */

struct opts {
	size_t nreads;		/* addresses per random-read test */
	int runs;		/* best of */
	uint64_t seed;
	size_t nverify;		/* addresses compared between the two */
	size_t chunk;		/* sequential read size */
	uint64_t cache_bytes;	/* decoded-page cache of each; 0: defaults */
	double max_time;	/* cap on one timed run, seconds */
	const char *cache_dir;	/* where *.zst are unpacked */
	bool no_peer;
};

struct job {
	char *path;		/* as given or found */
	char *label;		/* the table's "dump" column */
	char *kallsyms;		/* explicit, auto-detected, or NULL */
};

static struct opts opt = {
	.nreads = 1u << 20,
	.runs = 3,
	.seed = 0x6b766d2d62656e63ULL,
	.nverify = 10000,
	.chunk = MIB,
	.max_time = 2.0,
};

/* ------------------------------------------------------------------ */
/* Records: child -> parent through a pipe                             */
/* ------------------------------------------------------------------ */

/*
 * One record per write(2), smaller than PIPE_BUF, so that a child that
 * dies mid-way leaves only whole records behind.
 */
enum rec_kind { REC_ROW, REC_NOTE, REC_PHASE, REC_MISMATCH };

struct rec {
	int kind;
	char fmt[24];
	char test[32];
	char ours[24];
	char theirs[24];
	char ratio[16];
	char text[400];
};

_Static_assert(sizeof(struct rec) <= 4096, "a record must fit in PIPE_BUF");

static int rec_fd = -1;
static const char *cur_label = "";
static volatile uint64_t sink;	/* keeps the read loops honest */

static void
rec_send(const struct rec *r)
{
	const char *p = (const char *)r;
	size_t left = sizeof(*r);

	while (left > 0) {
		ssize_t n = write(rec_fd, p, left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			_exit(120);
		p += n;
		left -= (size_t)n;
	}
}

static void __attribute__((format(printf, 2, 3)))
rec_text(int kind, const char *fmt, ...)
{
	struct rec r = { .kind = kind };
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r.text, sizeof(r.text), fmt, ap);
	va_end(ap);
	rec_send(&r);
	if (kind == REC_MISMATCH)
		fprintf(stderr, "bench: %s: %s\n", cur_label, r.text);
}

#define note(...) rec_text(REC_NOTE, __VA_ARGS__)
#define phase(...) rec_text(REC_PHASE, __VA_ARGS__)
#define mismatch(...) rec_text(REC_MISMATCH, __VA_ARGS__)

/* A side's result in a row: a number, or why there is none. */
struct cell {
	bool ok;
	double val;
	const char *why;	/* when !ok: "n/a", "failed", ... */
};

static void
cell_fmt(char *buf, size_t len, const struct cell *c, const char *unit)
{
	if (!c->ok)
		snprintf(buf, len, "%s", c->why ? c->why : "-");
	else if (strcmp(unit, "rate") == 0 && c->val >= 1e6)
		snprintf(buf, len, "%.2fM", c->val / 1e6);
	else if (strcmp(unit, "rate") == 0)
		snprintf(buf, len, "%.1fk", c->val / 1e3);
	else if (strcmp(unit, "ms") == 0)
		snprintf(buf, len, "%.3f", c->val);
	else
		snprintf(buf, len, "%.0f", c->val);
}

static void
row(const char *format, const char *test, const char *unit,
    const struct cell *ours, const struct cell *theirs)
{
	struct rec r = { .kind = REC_ROW };

	snprintf(r.fmt, sizeof(r.fmt), "%s", format);
	snprintf(r.test, sizeof(r.test), "%s", test);
	cell_fmt(r.ours, sizeof(r.ours), ours, unit);
	cell_fmt(r.theirs, sizeof(r.theirs), theirs, unit);
	if (ours->ok && theirs->ok && theirs->val > 0)
		snprintf(r.ratio, sizeof(r.ratio), "%.2f",
			 ours->val / theirs->val);
	else
		snprintf(r.ratio, sizeof(r.ratio), "-");
	rec_send(&r);
}

/* ------------------------------------------------------------------ */
/* Small helpers                                                       */
/* ------------------------------------------------------------------ */

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* splitmix64: a fixed seed gives the same address list on every run. */
static uint64_t
rnd(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static bool
has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

static char *
xstrdup(const char *s)
{
	char *p = strdup(s);

	if (p == NULL) {
		perror("bench_read: strdup");
		exit(1);
	}
	return p;
}

static char * __attribute__((format(printf, 1, 2)))
xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *p;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&p, fmt, ap);
	va_end(ap);
	if (n < 0) {
		perror("bench_read: vasprintf");
		exit(1);
	}
	return p;
}

static int
mkdir_p(const char *dir)
{
	char *d = xstrdup(dir);

	for (char *p = d + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(d, 0777) < 0 && errno != EEXIST) {
			free(d);
			return -1;
		}
		*p = '/';
	}
	int err = mkdir(d, 0777) < 0 && errno != EEXIST ? -1 : 0;
	free(d);
	return err;
}

/* FNV-1a, to give each unpacked file its own cache directory. */
static uint64_t
fnv1a(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return h;
}

/*
 * Unpack src (*.zst) into the cache, unless an earlier run already did:
 * a stamp file next to the output records the source's path, size and
 * mtime.  Returns the malloc'd path of the unpacked file, or NULL.
 */
static char *
unpack_zst(const char *src)
{
	char abs[PATH_MAX];
	struct stat st;

	if (realpath(src, abs) == NULL || stat(abs, &st) < 0) {
		fprintf(stderr, "bench: %s: %s\n", src, strerror(errno));
		return NULL;
	}
	const char *base = strrchr(abs, '/') + 1;
	char *dir = xasprintf("%s/%016" PRIx64, opt.cache_dir, fnv1a(abs));
	char *out = xasprintf("%s/%.*s", dir, (int)(strlen(base) - 4), base);
	char *stamp = xasprintf("%s.src", out);
	char *tmp = xasprintf("%s.tmp", out);
	char *want = xasprintf("%s\n%lld %lld\n", abs, (long long)st.st_size,
			       (long long)st.st_mtime);
	char have[PATH_MAX + 64] = "";
	FILE *f;

	if ((f = fopen(stamp, "r")) != NULL) {
		size_t n = fread(have, 1, sizeof(have) - 1, f);
		have[n] = '\0';
		fclose(f);
		if (strcmp(have, want) == 0 && access(out, R_OK) == 0)
			goto out;
	}
	if (mkdir_p(dir) < 0) {
		fprintf(stderr, "bench: mkdir %s: %s\n", dir, strerror(errno));
		goto fail;
	}
	fprintf(stderr, "bench: unpacking %s -> %s\n", src, out);
	pid_t pid = fork();
	if (pid < 0)
		goto fail;
	if (pid == 0) {
		execlp("zstd", "zstd", "-q", "-d", "--sparse", "-f", abs, "-o",
		       tmp, (char *)NULL);
		fprintf(stderr, "bench: exec zstd: %s\n", strerror(errno));
		_exit(127);
	}
	int status;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "bench: zstd -d %s failed\n", abs);
		unlink(tmp);
		goto fail;
	}
	if (rename(tmp, out) < 0 || (f = fopen(stamp, "w")) == NULL) {
		fprintf(stderr, "bench: %s: %s\n", out, strerror(errno));
		goto fail;
	}
	fputs(want, f);
	fclose(f);
out:
	free(dir);
	free(stamp);
	free(tmp);
	free(want);
	return out;
fail:
	free(out);
	out = NULL;
	goto out;
}

/* ------------------------------------------------------------------ */
/* kallsyms                                                            */
/* ------------------------------------------------------------------ */

struct ksyms {
	uint64_t page_offset_base;	/* address of the variable, or 0 */
	uint64_t *addr;			/* kernel-image data and text */
	size_t n;
};

/*
 * Read /proc/kallsyms text: "addr type name [module]".  Keeps the
 * kernel image's own text/data/rodata/bss symbols (not modules, not the
 * per-cpu offsets that kallsyms lists as small absolute values).
 */
static int
ksyms_load(const char *path, struct ksyms *ks)
{
	FILE *f = fopen(path, "r");
	uint64_t stext = 0, end = UINT64_MAX;
	char *line = NULL;
	size_t cap = 0, alloc = 0;

	memset(ks, 0, sizeof(*ks));
	if (f == NULL)
		return -1;
	while (getline(&line, &cap, f) > 0) {
		uint64_t a;
		char type, name[256];

		if (sscanf(line, "%" SCNx64 " %c %255s", &a, &type, name) != 3)
			continue;
		if (strchr(line, '[') != NULL)
			continue;
		if (strcmp(name, "page_offset_base") == 0)
			ks->page_offset_base = a;
		else if (strcmp(name, "_stext") == 0)
			stext = a;
		else if (strcmp(name, "_end") == 0)
			end = a;
		if (strchr("TtDdBbRr", type) == NULL || a == 0)
			continue;
		if (ks->n == alloc) {
			alloc = alloc ? 2 * alloc : 4096;
			uint64_t *p = realloc(ks->addr, alloc * sizeof(*p));
			if (p == NULL)
				break;
			ks->addr = p;
		}
		ks->addr[ks->n++] = a;
	}
	free(line);
	fclose(f);
	/* Keep [_stext, _end): drops per-cpu and early symbols. */
	size_t k = 0;
	for (size_t i = 0; i < ks->n; i++)
		if (ks->addr[i] >= stext && ks->addr[i] < end)
			ks->addr[k++] = ks->addr[i];
	ks->n = k;
	return 0;
}

/* ------------------------------------------------------------------ */
/* The peer                                                            */
/* ------------------------------------------------------------------ */

#ifdef HAVE_LIBKDUMPFILE
struct peer {
	kdump_ctx_t *ctx;
	int fd;
};

static const char *
peer_err(kdump_ctx_t *ctx, kdump_status st)
{
	const char *e = kdump_get_err(ctx);

	return e != NULL ? e : kdump_strerror(st);
}

static void
peer_close(struct peer *p)
{
	if (p->ctx != NULL)
		kdump_free(p->ctx);
	if (p->fd >= 0)
		close(p->fd);	/* libkdumpfile never closes the fd */
	p->ctx = NULL;
	p->fd = -1;
}

/*
 * Open as a libkdumpfile user would: the fd, then the OS type when the
 * file did not set it (a plain ELF core), so that KVADDR reads translate.
 */
/*
 * An architecture for a file that names none (QEMU's kdump-compressed
 * files have an empty utsname, and 0.5.1 then cannot even read physical
 * memory): the caller's hint, else what VMCOREINFO implies
 * (arch/x86/kernel/machine_kexec_64.c and arch/arm64/kernel/crash_core.c
 * export these).
 */
static const char *
peer_guess_arch(kdump_ctx_t *ctx, const char *hint)
{
	const char *arch = NULL;
	kdump_attr_t attr;

	if (hint != NULL && hint[0] != '\0')
		return hint;
	/* kdump_vmcoreinfo_raw() wants an OS type first; the blob not. */
	attr.type = KDUMP_BLOB;
	if (kdump_get_typed_attr(ctx, "linux.vmcoreinfo.raw", &attr) !=
	    KDUMP_OK)
		return NULL;
	const char *p = kdump_blob_pin(attr.val.blob);
	size_t n = kdump_blob_size(attr.val.blob);
	char *vmci = p != NULL ? strndup(p, n) : NULL;
	kdump_blob_unpin(attr.val.blob);
	if (vmci == NULL)
		return NULL;
	if (strstr(vmci, "SYMBOL(init_top_pgt)=") != NULL)
		arch = KDUMP_ARCH_X86_64;
	else if (strstr(vmci, "NUMBER(kimage_voffset)=") != NULL)
		arch = KDUMP_ARCH_AARCH64;
	free(vmci);
	return arch;
}

static int
peer_open(const char *path, const char *arch_hint, struct peer *p,
	  char *err, size_t errlen, const char **arch_set)
{
	kdump_status st;
	const char *os;

	p->ctx = NULL;
	p->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (p->fd < 0) {
		snprintf(err, errlen, "open: %s", strerror(errno));
		return -1;
	}
	p->ctx = kdump_new();
	if (p->ctx == NULL) {
		snprintf(err, errlen, "kdump_new failed");
		goto fail;
	}
	st = kdump_open_fd(p->ctx, p->fd);
	if (st != KDUMP_OK) {
		snprintf(err, errlen, "%s", peer_err(p->ctx, st));
		goto fail;
	}
	*arch_set = NULL;
	if (kdump_get_string_attr(p->ctx, KDUMP_ATTR_ARCH_NAME, &os) !=
	    KDUMP_OK) {
		const char *arch = peer_guess_arch(p->ctx, arch_hint);
		if (arch != NULL) {
			st = kdump_set_string_attr(p->ctx,
						   KDUMP_ATTR_ARCH_NAME, arch);
			if (st != KDUMP_OK) {
				snprintf(err, errlen, "arch.name %s: %s", arch,
					 peer_err(p->ctx, st));
				goto fail;
			}
			*arch_set = arch;
		}
	}
	if (kdump_get_string_attr(p->ctx, KDUMP_ATTR_OSTYPE, &os) !=
	    KDUMP_OK) {
		st = kdump_set_string_attr(p->ctx, KDUMP_ATTR_OSTYPE, "linux");
		if (st != KDUMP_OK) {
			snprintf(err, errlen, "ostype linux: %s",
				 peer_err(p->ctx, st));
			goto fail;
		}
	}
	return 0;
fail:
	peer_close(p);
	return -1;
}

/* Physical ranges present in the file, from its page bitmap. */
static size_t
peer_ranges(struct peer *p, struct kvm_phys_range **ret)
{
	kdump_attr_t attr;
	kdump_num_t ps;
	struct kvm_phys_range *r = NULL;
	size_t n = 0;

	*ret = NULL;
	attr.type = KDUMP_BITMAP;
	if (kdump_get_number_attr(p->ctx, KDUMP_ATTR_PAGE_SIZE, &ps) !=
		    KDUMP_OK ||
	    kdump_get_typed_attr(p->ctx, KDUMP_ATTR_FILE_PAGEMAP, &attr) !=
		    KDUMP_OK)
		return 0;
	kdump_bmp_t *bmp = attr.val.bitmap;
	kdump_addr_t idx = 0;
	while (kdump_bmp_find_set(bmp, &idx) == KDUMP_OK) {
		kdump_addr_t first = idx;
		if (kdump_bmp_find_clear(bmp, &idx) != KDUMP_OK)
			break;
		struct kvm_phys_range *q = realloc(r, (n + 1) * sizeof(*r));
		if (q == NULL)
			break;
		r = q;
		r[n].start = first * ps;
		r[n].end = idx * ps;
		n++;
	}
	*ret = r;
	return n;
}

/* Direct-map base per libaddrxlat: its DIRECT method is kv + off = pa. */
static int
peer_direct_base(struct peer *p, uint64_t *base)
{
	addrxlat_sys_t *sys = NULL;
	int err = -1;

	if (kdump_get_addrxlat(p->ctx, NULL, &sys) != KDUMP_OK || sys == NULL)
		return -1;
	const addrxlat_meth_t *m =
		addrxlat_sys_get_meth(sys, ADDRXLAT_SYS_METH_DIRECT);
	if (m != NULL && m->kind == ADDRXLAT_LINEAR &&
	    m->target_as == ADDRXLAT_KPHYSADDR) {
		*base = -(uint64_t)m->param.linear.off;
		err = 0;
	}
	addrxlat_sys_decref(sys);
	return err;
}
#endif /* HAVE_LIBKDUMPFILE */

/* ------------------------------------------------------------------ */
/* One dump                                                            */
/* ------------------------------------------------------------------ */

struct sides {
	kvm_t *kd;
	const char *ours_why;		/* why there is no kd */
#ifdef HAVE_LIBKDUMPFILE
	struct peer peer;
#endif
	bool have_peer;
	const char *peer_why;		/* why there is no peer */
	char format[24];
	char arch[16];
	uint32_t page_size;
};

/*
 * Opens are short: repeat them OPEN_REPEAT times as often as the other
 * tests (within the time cap), time the best, keep the last handle.
 */
static bool
open_again(int i, double start)
{
	if (i < opt.runs)
		return true;
	return i < OPEN_REPEAT * opt.runs && now() - start < opt.max_time;
}

static void
bench_open(const char *path, struct sides *s)
{
	struct cell o = { .why = "ERR" }, t = { .why = s->peer_why };
	static char errbuf[KVM_ERRBUF_SIZE];

	phase("ours: open");
	o.val = 1e99;
	double start = now();
	for (int i = 0;; i++) {
		double t0 = now();
		s->kd = kvm_openfiles(NULL, path, NULL, O_RDONLY, errbuf);
		double dt = now() - t0;
		if (s->kd == NULL) {
			note("ours: %s", errbuf);
			s->ours_why = "ERR";
			break;
		}
		if (dt < o.val)
			o.val = dt;
		if (!open_again(i + 1, start))
			break;
		kvm_close(s->kd);
		s->kd = NULL;
	}
	snprintf(s->format, sizeof(s->format), "?");
	if (s->kd != NULL) {
		struct kvm_info info;
		o.ok = true;
		o.val *= 1e3;
		if (kvm_get_info(s->kd, &info, sizeof(info)) == 0) {
			snprintf(s->format, sizeof(s->format), "%s",
				 info.format);
			snprintf(s->arch, sizeof(s->arch), "%s", info.arch);
			s->page_size = info.page_size;
		}
	}
#ifdef HAVE_LIBKDUMPFILE
	if (s->peer_why == NULL) {
		char perr[512];
		const char *arch_set = NULL;

		phase("peer: open");
		t.val = 1e99;
		start = now();
		for (int i = 0;; i++) {
			double t0 = now();
			int r = peer_open(path, s->arch, &s->peer, perr,
					  sizeof(perr), &arch_set);
			double dt = now() - t0;
			if (r < 0) {
				note("peer failed: %s", perr);
				s->peer_why = "failed";
				t.why = s->peer_why;
				break;
			}
			if (dt < t.val)
				t.val = dt;
			if (!open_again(i + 1, start))
				break;
			peer_close(&s->peer);
		}
		if (s->peer_why == NULL) {
			s->have_peer = true;
			t.ok = true;
			t.val *= 1e3;
		}
		if (arch_set != NULL)
			note("peer: the file names no architecture; "
			     "arch.name set to %s (from %s)",
			     arch_set,
			     s->arch[0] ? "libkvm" : "VMCOREINFO");
	}
	/* Fill in what ours could not tell. */
	if (s->have_peer) {
		const char *str;
		kdump_num_t ps;
		if (s->kd == NULL &&
		    kdump_get_string_attr(s->peer.ctx, KDUMP_ATTR_FILE_FORMAT,
					  &str) == KDUMP_OK)
			snprintf(s->format, sizeof(s->format), "%s", str);
		if (s->arch[0] == '\0' &&
		    kdump_get_string_attr(s->peer.ctx, KDUMP_ATTR_ARCH_NAME,
					  &str) == KDUMP_OK)
			snprintf(s->arch, sizeof(s->arch), "%s", str);
		if (s->page_size == 0 &&
		    kdump_get_number_attr(s->peer.ctx, KDUMP_ATTR_PAGE_SIZE,
					  &ps) == KDUMP_OK)
			s->page_size = (uint32_t)ps;
	}
#endif
	if (s->page_size == 0)
		s->page_size = 4096;
	row(s->format, "open (ms)", "ms", &o, &t);
}

/* Same decoded-page cache for both, so compressed dumps compare fairly. */
static void
set_caches(struct sides *s)
{
	if (opt.cache_bytes == 0)
		return;
	if (s->kd != NULL && kvm_set_cache_size(s->kd, opt.cache_bytes) < 0)
		note("ours: cache size: %s", kvm_geterr(s->kd));
#ifdef HAVE_LIBKDUMPFILE
	if (s->have_peer) {
		kdump_status st = kdump_set_number_attr(
			s->peer.ctx, "cache.size",
			opt.cache_bytes / s->page_size);
		if (st != KDUMP_OK)
			note("peer: cache.size: %s",
			     peer_err(s->peer.ctx, st));
	}
#endif
}

/* Value of "KEY=" in a VMCOREINFO text, or -1. */
static int
vmcoreinfo_num(const char *text, const char *key, uint64_t *ret)
{
	size_t klen = strlen(key);

	for (const char *p = text; p != NULL && *p != '\0';) {
		if (strncmp(p, key, klen) == 0 && p[klen] == '=') {
			const char *v = p + klen + 1;
			int base = strncmp(v, "0x", 2) == 0 ? 16 : 10;
			*ret = strtoull(v, NULL, base);
			return 0;
		}
		p = strchr(p, '\n');
		if (p != NULL)
			p++;
	}
	return -1;
}

/*
 * The kernel virtual address of physical 0 in the direct map, which
 * KASLR moves.  Sources, first found wins, the others cross-check it:
 *   1. the page_offset_base variable (x86_64) at its kallsyms address;
 *   2. libaddrxlat's DIRECT method;
 *   3. arm64 VMCOREINFO: va = pa - PHYS_OFFSET + PAGE_OFFSET, with
 *      PAGE_OFFSET = -(1 << VA_BITS) (arch/arm64/include/asm/memory.h,
 *      Linux 5.4 and later).
 */
static int
direct_base(struct sides *s, const struct ksyms *ks, uint64_t *base)
{
	uint64_t cand[3];
	const char *src[3];
	int n = 0;

	if (ks->page_offset_base != 0) {
		uint64_t v = 0;
		bool got = false;
		if (s->kd != NULL)
			got = kvm_read2(s->kd, ks->page_offset_base, &v, 8) == 8;
#ifdef HAVE_LIBKDUMPFILE
		size_t len = 8;
		if (!got && s->have_peer)
			got = kdump_read(s->peer.ctx, KDUMP_KVADDR,
					 ks->page_offset_base, &v,
					 &len) == KDUMP_OK;
#endif
		if (got && v >= 0xffff800000000000ULL) {
			cand[n] = v;
			src[n++] = "page_offset_base";
		}
	}
#ifdef HAVE_LIBKDUMPFILE
	if (s->have_peer && peer_direct_base(&s->peer, &cand[n]) == 0)
		src[n++] = "libaddrxlat";
#endif
	if (strcmp(s->arch, "aarch64") == 0) {
		const char *vmci = s->kd != NULL ? kvm_get_vmcoreinfo(s->kd)
						 : NULL;
		char *heap = NULL;
#ifdef HAVE_LIBKDUMPFILE
		if (vmci == NULL && s->have_peer &&
		    kdump_vmcoreinfo_raw(s->peer.ctx, &heap) == KDUMP_OK)
			vmci = heap;
#endif
		uint64_t phys_off, va_bits;
		if (vmci != NULL &&
		    vmcoreinfo_num(vmci, "NUMBER(PHYS_OFFSET)", &phys_off) ==
			    0 &&
		    vmcoreinfo_num(vmci, "NUMBER(VA_BITS)", &va_bits) == 0 &&
		    va_bits > 0 && va_bits < 64) {
			cand[n] = -(UINT64_C(1) << va_bits) - phys_off;
			src[n++] = "VMCOREINFO";
		}
		free(heap);
	}
	if (n == 0)
		return -1;
	*base = cand[0];
	for (int i = 1; i < n; i++)
		if (cand[i] != cand[0])
			mismatch("direct-map base: %s says 0x%" PRIx64
				 ", %s says 0x%" PRIx64,
				 src[0], cand[0], src[i], cand[i]);
	note("direct map at 0x%" PRIx64 " (from %s%s)", *base, src[0],
	     n > 1 ? ", cross-checked" : "");
	return 0;
}

/* Random pfns inside the ranges, a random 8-byte slot in each page. */
static uint64_t *
make_direct_addrs(const struct kvm_phys_range *r, size_t nr, uint32_t ps,
		  uint64_t base, size_t n)
{
	uint64_t *cum = calloc(nr + 1, sizeof(*cum));
	uint64_t *a = malloc(n * sizeof(*a));
	uint64_t st = opt.seed;

	if (cum == NULL || a == NULL)
		goto fail;
	for (size_t i = 0; i < nr; i++) {
		uint64_t first = (r[i].start + ps - 1) / ps;
		uint64_t last = r[i].end / ps;
		cum[i + 1] = cum[i] + (last > first ? last - first : 0);
	}
	if (cum[nr] == 0)
		goto fail;
	for (size_t i = 0; i < n; i++) {
		uint64_t k = rnd(&st) % cum[nr];
		size_t lo = 0, hi = nr;	/* cum[lo] <= k < cum[hi] */
		while (hi - lo > 1) {
			size_t mid = (lo + hi) / 2;
			if (cum[mid] <= k)
				lo = mid;
			else
				hi = mid;
		}
		uint64_t pfn = (r[lo].start + ps - 1) / ps + (k - cum[lo]);
		uint64_t off = (rnd(&st) % ps) & ~UINT64_C(7);
		a[i] = base + pfn * ps + off;
	}
	free(cum);
	return a;
fail:
	free(cum);
	free(a);
	return NULL;
}

static uint64_t *
make_ksym_addrs(const struct ksyms *ks, size_t n)
{
	uint64_t *a = malloc(n * sizeof(*a));
	uint64_t st = opt.seed ^ 0x6b73796dULL;

	if (a == NULL || ks->n == 0) {
		free(a);
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		a[i] = ks->addr[rnd(&st) % ks->n] & ~UINT64_C(7);
	return a;
}

/*
 * The timed loops: nothing but the call, a check and an xor, and a look
 * at the clock every 1024 reads for the --max-time cap.  A capped run
 * did a prefix of the list; the list is uniform, so the rate stands.
 */
struct vrun {
	double secs;
	size_t done;
	size_t fails;
	size_t last_fail;	/* index, to ask for the message afterwards */
};

#define CAPPED(i, t0) (((i) & 1023) == 1023 && now() - (t0) > opt.max_time)

static struct vrun
vread_ours(kvm_t *kd, const uint64_t *a, size_t n)
{
	struct vrun r = { 0 };
	uint64_t v, acc = 0;
	double t0 = now();

	for (r.done = 0; r.done < n; r.done++) {
		if (CAPPED(r.done, t0))
			break;
		if (kvm_read2(kd, a[r.done], &v, 8) == 8) {
			acc ^= v;
		} else {
			r.fails++;
			r.last_fail = r.done;
		}
	}
	r.secs = now() - t0;
	sink ^= acc;
	return r;
}

#ifdef HAVE_LIBKDUMPFILE
static struct vrun
vread_peer(kdump_ctx_t *ctx, const uint64_t *a, size_t n)
{
	struct vrun r = { 0 };
	uint64_t v, acc = 0;
	double t0 = now();

	for (r.done = 0; r.done < n; r.done++) {
		size_t len = 8;
		if (CAPPED(r.done, t0))
			break;
		if (kdump_read(ctx, KDUMP_KVADDR, a[r.done], &v, &len) ==
		    KDUMP_OK) {
			acc ^= v;
		} else {
			r.fails++;
			r.last_fail = r.done;
		}
	}
	r.secs = now() - t0;
	sink ^= acc;
	return r;
}
#endif

static void
vrun_keep(struct vrun *best, const struct vrun *r)
{
	if (r->secs > 0 && (best->secs == 0 ||
			    (double)r->done / r->secs >
				    (double)best->done / best->secs))
		*best = *r;
}

static void
vrun_result(struct cell *c, const char *test, const char *who,
	    const struct vrun *b, size_t n, const char *err)
{
	c->ok = b->secs > 0;
	c->val = c->ok ? (double)b->done / b->secs : 0;
	if (b->done < n)
		note("%s: %s: runs capped at %.1f s (%zu of %zu reads)", test,
		     who, opt.max_time, b->done, n);
	if (b->fails > 0)
		note("%s: %s: %zu of %zu reads failed (last: %s)", test, who,
		     b->fails, b->done, err);
}

/* The message of the last failed read, read again: later reads reset it. */
static const char *
ours_fail_msg(kvm_t *kd, const uint64_t *a, const struct vrun *b)
{
	uint64_t v;

	if (b->fails == 0 || kvm_read2(kd, a[b->last_fail], &v, 8) == 8)
		return "?";
	return kvm_geterr(kd);
}

#ifdef HAVE_LIBKDUMPFILE
static const char *
peer_fail_msg(kdump_ctx_t *ctx, const uint64_t *a, const struct vrun *b)
{
	uint64_t v;
	size_t len = 8;
	kdump_status st;

	if (b->fails == 0)
		return "?";
	st = kdump_read(ctx, KDUMP_KVADDR, a[b->last_fail], &v, &len);
	return st == KDUMP_OK ? "?" : peer_err(ctx, st);
}
#endif

/* Does any of the first reads work?  If not, say why and skip the side. */
static bool
ours_vprobe(kvm_t *kd, const uint64_t *a, size_t n, const char **why)
{
	uint64_t v;

	for (size_t i = 0; i < n && i < PROBE_READS; i++)
		if (kvm_read2(kd, a[i], &v, 8) == 8)
			return true;
	note("ours: %s", kvm_geterr(kd));
	*why = kvm_geterrcode(kd) == KVM_ENOTSUP ? "n/a" : "failed";
	return false;
}

#ifdef HAVE_LIBKDUMPFILE
static bool
peer_vprobe(kdump_ctx_t *ctx, const uint64_t *a, size_t n, const char **why)
{
	kdump_status st = KDUMP_OK;

	for (size_t i = 0; i < n && i < PROBE_READS; i++) {
		uint64_t v;
		size_t len = 8;
		st = kdump_read(ctx, KDUMP_KVADDR, a[i], &v, &len);
		if (st == KDUMP_OK)
			return true;
	}
	note("peer failed: %s", peer_err(ctx, st));
	*why = "failed";
	return false;
}

/* Both must see the same bytes, and fail at the same places. */
static void
vread_verify(struct sides *s, const char *test, const uint64_t *a, size_t n)
{
	kdump_ctx_t *ctx = s->peer.ctx;
	size_t step = opt.nverify ? n / opt.nverify : 0;
	size_t nv = 0, bad = 0, both = 0;

	if (opt.nverify == 0)
		return;
	phase("verify: %s", test);
	if (step == 0)
		step = 1;
	for (size_t i = 0; i < n; i += step, nv++) {
		uint64_t v1 = 0, v2 = 0;
		size_t len = 8;
		bool ok1 = kvm_read2(s->kd, a[i], &v1, 8) == 8;
		kdump_status st2 = kdump_read(ctx, KDUMP_KVADDR, a[i], &v2,
					      &len);
		bool ok2 = st2 == KDUMP_OK;
		if (!ok1 && !ok2) {
			both++;
			continue;
		}
		if (ok1 == ok2 && v1 == v2)
			continue;
		if (bad++ >= MAX_SAMPLES)
			continue;
		if (ok1 && ok2)
			mismatch("%s: 0x%" PRIx64 ": ours 0x%016" PRIx64
				 ", peer 0x%016" PRIx64,
				 test, a[i], v1, v2);
		else if (ok1)
			mismatch("%s: 0x%" PRIx64 ": ours 0x%016" PRIx64
				 ", peer failed: %s",
				 test, a[i], v1, peer_err(ctx, st2));
		else
			mismatch("%s: 0x%" PRIx64 ": ours failed: %s"
				 ", peer 0x%016" PRIx64,
				 test, a[i], kvm_geterr(s->kd), v2);
	}
	if (bad > 0)
		mismatch("%s: %zu of %zu sampled reads differ", test, bad, nv);
	else
		note("%s: %zu sampled reads identical (%zu failed in both)",
		     test, nv, both);
}
#endif

/*
 * Runs alternate between the two libraries, so that a machine that gets
 * busier or quieter during the test does not favour either.
 */
static void
bench_vread(struct sides *s, const char *test, const uint64_t *a, size_t n)
{
	struct cell o = { .why = s->ours_why }, t = { .why = s->peer_why };
	struct vrun bo = { 0 };
	bool run_o = s->kd != NULL && ours_vprobe(s->kd, a, n, &o.why);
#ifdef HAVE_LIBKDUMPFILE
	struct vrun bt = { 0 };
	kdump_ctx_t *ctx = s->have_peer ? s->peer.ctx : NULL;
	bool run_t = ctx != NULL && peer_vprobe(ctx, a, n, &t.why);
#endif
	for (int r = 0; r < opt.runs; r++) {
		if (run_o) {
			phase("ours: %s", test);
			struct vrun x = vread_ours(s->kd, a, n);
			vrun_keep(&bo, &x);
		}
#ifdef HAVE_LIBKDUMPFILE
		if (run_t) {
			phase("peer: %s", test);
			struct vrun x = vread_peer(ctx, a, n);
			vrun_keep(&bt, &x);
		}
#endif
	}
	if (run_o)
		vrun_result(&o, test, "ours", &bo, n,
			    ours_fail_msg(s->kd, a, &bo));
#ifdef HAVE_LIBKDUMPFILE
	if (run_t)
		vrun_result(&t, test, "peer", &bt, n,
			    peer_fail_msg(ctx, a, &bt));
	if (run_o && run_t)
		vread_verify(s, test, a, n);
#endif
	row(s->format, test, "rate", &o, &t);
}

/* One sequential pass over the ranges; stops early at the time cap. */
struct srun {
	double secs;
	uint64_t got;		/* bytes read */
	uint64_t want;		/* bytes asked */
	bool capped;
	const char *err;	/* a failure seen, or NULL */
};

typedef size_t seq_read_fn(void *h, uint64_t pa, void *buf, size_t len,
			   const char **err);

static size_t
seq_ours(void *h, uint64_t pa, void *buf, size_t len, const char **err)
{
	ssize_t k = kvm_read_phys(h, pa, buf, len);

	if ((size_t)k != len)
		*err = kvm_geterr(h);
	return k > 0 ? (size_t)k : 0;
}

#ifdef HAVE_LIBKDUMPFILE
static size_t
seq_peer(void *h, uint64_t pa, void *buf, size_t len, const char **err)
{
	kdump_status st = kdump_read(h, KDUMP_KPHYSADDR, pa, buf, &len);

	if (st != KDUMP_OK)
		*err = kdump_strerror(st);
	return len;
}
#endif

static struct srun
seq_pass(seq_read_fn *fn, void *h, const struct kvm_phys_range *rg,
	 size_t nr, unsigned char *buf)
{
	struct srun x = { 0 };
	double t0 = now();

	for (size_t i = 0; i < nr && !x.capped; i++)
		for (uint64_t a = rg[i].start; a < rg[i].end; a += opt.chunk) {
			if (now() - t0 > opt.max_time) {
				x.capped = true;
				break;
			}
			size_t len = rg[i].end - a < opt.chunk ? rg[i].end - a
							       : opt.chunk;
			x.want += len;
			x.got += fn(h, a, buf, len, &x.err);
		}
	x.secs = now() - t0;
	sink ^= buf[0];
	return x;
}

static void
srun_keep(struct srun *best, const struct srun *x)
{
	if (x->secs > 0 && (best->secs == 0 ||
			    (double)x->got / x->secs >
				    (double)best->got / best->secs))
		*best = *x;
}

static void
srun_result(struct cell *c, const char *test, const char *who,
	    const struct srun *b, uint64_t total)
{
	c->ok = b->got > 0 && b->secs > 0;
	c->why = "failed";
	c->val = c->ok ? (double)b->got / b->secs / 1e6 : 0;
	if (b->capped)
		note("%s: %s: runs capped at %.1f s (%" PRIu64 " of %" PRIu64
		     " bytes)",
		     test, who, opt.max_time, b->want, total);
	if (b->got < b->want)
		note("%s: %s read %" PRIu64 " of %" PRIu64 " bytes (%s)", test,
		     who, b->got, b->want, b->err ? b->err : "?");
}

#ifdef HAVE_LIBKDUMPFILE
/* Compare about 32 chunks spread over the ranges. */
static void
seq_verify(struct sides *s, const char *test, const struct kvm_phys_range *rg,
	   size_t nr, uint64_t total, unsigned char *buf, unsigned char *buf2)
{
	uint64_t step = total / 32 + 1, next = 0, seen = 0;
	size_t nv = 0, bad = 0;

	phase("verify: %s", test);
	for (size_t i = 0; i < nr; i++)
		for (uint64_t a = rg[i].start; a < rg[i].end; a += opt.chunk) {
			size_t len = rg[i].end - a < opt.chunk ? rg[i].end - a
							       : opt.chunk;
			seen += len;
			if (seen < next)
				continue;
			next += step;
			nv++;
			ssize_t k1 = kvm_read_phys(s->kd, a, buf, len);
			size_t k2 = len;
			kdump_read(s->peer.ctx, KDUMP_KPHYSADDR, a, buf2, &k2);
			size_t k = k1 < 0 ? 0 : (size_t)k1;
			size_t diff = 0;
			while (diff < k && diff < k2 && buf[diff] == buf2[diff])
				diff++;
			if (k == k2 && diff == k)
				continue;
			if (bad++ < MAX_SAMPLES)
				mismatch("%s: chunk at 0x%" PRIx64
					 ": ours %zu bytes, peer %zu, first "
					 "difference at +0x%zx",
					 test, a, k, k2, diff);
		}
	if (bad > 0)
		mismatch("%s: %zu of %zu sampled chunks differ", test, bad,
			 nv);
	else
		note("%s: %zu sampled chunks identical", test, nv);
}
#endif

static void
bench_seq(struct sides *s, const struct kvm_phys_range *rg, size_t nr)
{
	struct cell o = { .why = s->ours_why }, t = { .why = s->peer_why };
	const char *test = "seq phys 1MiB (MB/s)";
	unsigned char *buf = malloc(opt.chunk), *buf2 = malloc(opt.chunk);
	struct srun bo = { 0 };
	uint64_t total = 0;
#ifdef HAVE_LIBKDUMPFILE
	struct srun bt = { 0 };
#endif

	if (buf == NULL || buf2 == NULL) {
		note("%s: out of memory", test);
		goto out;
	}
	for (size_t i = 0; i < nr; i++)
		total += rg[i].end - rg[i].start;
	for (int r = 0; r < opt.runs; r++) {
		if (s->kd != NULL) {
			phase("ours: %s", test);
			struct srun x = seq_pass(seq_ours, s->kd, rg, nr, buf);
			srun_keep(&bo, &x);
		}
#ifdef HAVE_LIBKDUMPFILE
		if (s->have_peer) {
			phase("peer: %s", test);
			struct srun x = seq_pass(seq_peer, s->peer.ctx, rg, nr,
						 buf);
			srun_keep(&bt, &x);
		}
#endif
	}
	if (s->kd != NULL)
		srun_result(&o, test, "ours", &bo, total);
#ifdef HAVE_LIBKDUMPFILE
	if (s->have_peer)
		srun_result(&t, test, "peer", &bt, total);
	if (o.ok && t.ok)
		seq_verify(s, test, rg, nr, total, buf, buf2);
#endif
out:
	free(buf);
	free(buf2);
	row(s->format, test, "MB/s", &o, &t);
}

/*
 * Read the file once so that neither library pays for the first trip to
 * the disk: every test then measures the libraries, not the storage.
 */
static void
warm_file(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	char *buf = malloc(opt.chunk);
	ssize_t n;

	if (fd >= 0 && buf != NULL) {
		posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
		while ((n = read(fd, buf, opt.chunk)) > 0 ||
		       (n < 0 && errno == EINTR))
			;
	}
	free(buf);
	if (fd >= 0)
		close(fd);
}

/*
 * Symbols (ours only: libkdumpfile has no symbol tables): the time to
 * load the kernel's symbols from the dump (kallsyms decoded from memory)
 * and to resolve every one of them by name and by address.
 */
static void
bench_symbols(struct sides *s)
{
	struct cell na = { .why = "n/a" };
	struct cell c = { 0 };
	struct kvm_nlist nl[2] = { { .n_name = "linux_banner" }, { 0 } };
	struct kvm_symbol sym;

	phase("symbols");
	double t0 = now();
	if (kvm_nlist2(s->kd, nl) < 0) {
		note("ours: symbols: %s", kvm_geterr(s->kd));
		return;
	}
	c = (struct cell){ .ok = true, .val = (now() - t0) * 1e3 };
	row(s->format, "symbols load (ms)", "ms", &c, &na);

	size_t n = 0;
	while (kvm_sym_get(s->kd, n, &sym) == 0)
		n++;
	if (n == 0)
		return;
	const char **names = malloc(n * sizeof(*names));
	uint64_t *vals = malloc(n * sizeof(*vals));
	if (names == NULL || vals == NULL) {
		free(names);
		free(vals);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		kvm_sym_get(s->kd, i, &sym);
		names[i] = sym.name;
		vals[i] = sym.value;
	}
	double best = 0;
	for (int run = 0; run < 3; run++) {
		t0 = now();
		for (size_t i = 0; i < n; i++) {
			nl[0].n_name = names[i];
			kvm_nlist2(s->kd, nl);
			sink += nl[0].n_value;
		}
		double r = n / (now() - t0);
		best = r > best ? r : best;
	}
	c = (struct cell){ .ok = true, .val = best };
	row(s->format, "nlist every symbol (names/s)", "rate", &c, &na);
	best = 0;
	for (int run = 0; run < 3; run++) {
		t0 = now();
		for (size_t i = 0; i < n; i++) {
			uint64_t off;
			if (kvm_sym_byaddr(s->kd, vals[i], &sym, &off) == 0)
				sink += off;
		}
		double r = n / (now() - t0);
		best = r > best ? r : best;
	}
	c = (struct cell){ .ok = true, .val = best };
	row(s->format, "sym every address (addrs/s)", "rate", &c, &na);
	note("symbols: %zu resolved by name and by address", n);
	free(names);
	free(vals);
}

/* The child's whole job: open, three tests, close. */
static int
run_job(const char *path, const char *ksyms_path, const char *peer_why)
{
	struct sides s = { .peer_why = peer_why };
	struct ksyms ks = { 0 };
	struct kvm_phys_range *own = NULL;
	const struct kvm_phys_range *rg = NULL;
	size_t nr = 0;

#ifndef HAVE_LIBKDUMPFILE
	s.peer_why = "missing";
#endif
	if (ksyms_path != NULL && ksyms_load(ksyms_path, &ks) < 0)
		note("kallsyms %s: %s", ksyms_path, strerror(errno));
	phase("warm page cache");
	warm_file(path);
	bench_open(path, &s);
	set_caches(&s);

	if (s.kd != NULL && kvm_get_phys_ranges(s.kd, &rg, &nr) < 0) {
		note("ours: phys ranges: %s", kvm_geterr(s.kd));
		nr = 0;
	}
#ifdef HAVE_LIBKDUMPFILE
	if (nr == 0 && s.have_peer) {
		nr = peer_ranges(&s.peer, &own);
		rg = own;
	}
#endif
	uint64_t ram = 0;
	for (size_t i = 0; i < nr; i++)
		ram += rg[i].end - rg[i].start;
	if (s.kd != NULL || s.have_peer)
		note("%s %s, %.1f MiB in %zu ranges", s.format,
		     s.arch[0] ? s.arch : "?", (double)ram / MIB, nr);

	uint64_t base;
	const char *t1 = "vread8 direct (reads/s)";
	const char *t2 = "vread8 ksym (reads/s)";
	/* A test neither side could run: say why where we know. */
	struct cell none = { .why = "-" };
	struct cell no_o = { .why = s.ours_why ? s.ours_why : "-" };
	struct cell no_t = { .why = s.peer_why ? s.peer_why : "-" };
	if (s.kd == NULL && !s.have_peer) {
		row(s.format, t1, "rate", &no_o, &no_t);
	} else if (nr == 0) {
		row(s.format, t1, "rate", &none, &none);
	} else if (direct_base(&s, &ks, &base) < 0) {
		note("%s: no direct-map base (no kallsyms page_offset_base, "
		     "no peer translation)",
		     t1);
		row(s.format, t1, "rate", &none, &none);
	} else {
		uint64_t *a = make_direct_addrs(rg, nr, s.page_size, base,
						opt.nreads);
		if (a != NULL)
			bench_vread(&s, t1, a, opt.nreads);
		free(a);
	}
	uint64_t *a = make_ksym_addrs(&ks, opt.nreads);
	if (ks.n == 0 && (s.kd != NULL || s.have_peer))
		note("%s: no kallsyms (--kallsyms FILE)", t2);
	if (a != NULL && (s.kd != NULL || s.have_peer))
		bench_vread(&s, t2, a, opt.nreads);
	else if (s.kd == NULL && !s.have_peer)
		row(s.format, t2, "rate", &no_o, &no_t);
	else
		row(s.format, t2, "rate", &none, &none);
	free(a);

	if (nr > 0)
		bench_seq(&s, rg, nr);
	else
		row(s.format, "seq phys 1MiB (MB/s)", "MB/s", &no_o, &no_t);

	if (s.kd != NULL)
		bench_symbols(&s);

	if (s.kd != NULL)
		kvm_close(s.kd);
#ifdef HAVE_LIBKDUMPFILE
	if (s.have_peer)
		peer_close(&s.peer);
#endif
	free(own);
	free(ks.addr);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Parent: jobs, children, table                                       */
/* ------------------------------------------------------------------ */

struct result {
	const struct job *job;
	struct rec *rows;
	size_t nrows;
	char **notes;
	size_t nnotes;
	size_t nmismatch;
};

static void
result_add_note(struct result *res, char *text)
{
	for (size_t i = 0; i < res->nnotes; i++)
		if (strcmp(res->notes[i], text) == 0) {
			free(text);	/* the re-run repeats itself */
			return;
		}
	char **p = realloc(res->notes, (res->nnotes + 1) * sizeof(*p));

	if (p == NULL) {
		free(text);
		return;
	}
	res->notes = p;
	res->notes[res->nnotes++] = text;
}

/*
 * Fork, run the job, collect its records.  Returns 0 when the child
 * finished, else a description of how it died (in *how).
 */
static int
spawn_job(const struct job *j, const char *path, const char *ksyms,
	  const char *peer_why, struct result *res, char *how, size_t howlen,
	  char *last_phase)
{
	int fds[2];

	snprintf(last_phase, sizeof(((struct rec *)0)->text), "start");

	if (pipe(fds) < 0) {
		snprintf(how, howlen, "pipe: %s", strerror(errno));
		return -1;
	}
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		snprintf(how, howlen, "fork: %s", strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (pid == 0) {
		close(fds[0]);
		rec_fd = fds[1];
		cur_label = j->label;
		alarm(JOB_TIMEOUT);
		_exit(run_job(path, ksyms, peer_why));
	}
	close(fds[1]);
	struct rec r;
	size_t have = 0;
	for (;;) {
		ssize_t n = read(fds[0], (char *)&r + have, sizeof(r) - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		have += (size_t)n;
		if (have < sizeof(r))
			continue;
		have = 0;
		r.text[sizeof(r.text) - 1] = '\0';
		if (r.kind == REC_PHASE) {
			memcpy(last_phase, r.text, sizeof(r.text));
		} else if (r.kind == REC_ROW) {
			struct rec *p = realloc(res->rows,
						(res->nrows + 1) * sizeof(*p));
			if (p != NULL) {
				res->rows = p;
				res->rows[res->nrows++] = r;
			}
		} else {
			if (r.kind == REC_MISMATCH)
				res->nmismatch++;
			result_add_note(res, xasprintf("%s%s",
				r.kind == REC_MISMATCH ? "MISMATCH: " : "",
				r.text));
		}
	}
	close(fds[0]);
	int status;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFSIGNALED(status))
		snprintf(how, howlen, "killed by signal %d (%s) during \"%s\"",
			 WTERMSIG(status), strsignal(WTERMSIG(status)),
			 last_phase);
	else
		snprintf(how, howlen, "exit status %d during \"%s\"",
			 WEXITSTATUS(status), last_phase);
	return -1;
}

/* Rows finished before a peer crash win over the re-run's. */
static void
merge_rows(struct result *res, struct rec *done, size_t ndone)
{
	for (size_t i = 0; i < ndone && i < res->nrows; i++) {
		if (strcmp(res->rows[i].test, done[i].test) == 0)
			res->rows[i] = done[i];
	}
	for (size_t i = ndone; i < res->nrows && ndone > 0; i++)
		if (strcmp(res->rows[i].fmt, "?") == 0)
			memcpy(res->rows[i].fmt, done[0].fmt,
			       sizeof(done[0].fmt));
	if (res->nrows == 0) {
		res->rows = done;
		res->nrows = ndone;
		return;
	}
	free(done);
}

static void
run_one(const struct job *j, struct result *res)
{
	char how[512], last[sizeof(((struct rec *)0)->text)];
	char *path = j->path, *ksyms = j->kallsyms;
	double t0 = now();

	res->job = j;
	if (has_suffix(j->path, ".zst")) {
		path = unpack_zst(j->path);
		if (path == NULL) {
			result_add_note(res, xasprintf("cannot unpack %s",
						       j->path));
			return;
		}
	}
	if (ksyms != NULL && has_suffix(ksyms, ".zst"))
		ksyms = unpack_zst(ksyms);

	fprintf(stderr, "bench: %s ...\n", j->label);
	if (spawn_job(j, path, ksyms, opt.no_peer ? "skipped" : NULL, res,
		      how, sizeof(how), last) < 0) {
		/*
		 * A crash inside libkdumpfile is the peer's problem (0.5.1
		 * has known ones): run again without it, keeping the rows
		 * that were finished.  Anywhere else it may be ours, and
		 * counts like a mismatch.
		 */
		if (opt.no_peer || strncmp(last, "ours:", 5) == 0) {
			res->nmismatch++;
			result_add_note(res, xasprintf("CRASH: %s", how));
		} else {
			struct rec *done = res->rows;
			size_t ndone = res->nrows;
			result_add_note(res, xasprintf("peer crashed? %s; "
				"running again without the peer", how));
			res->rows = NULL;
			res->nrows = 0;
			if (spawn_job(j, path, ksyms, "crashed", res, how,
				      sizeof(how), last) < 0) {
				res->nmismatch++;
				result_add_note(res, xasprintf(
					"CRASH: without the peer too: %s",
					how));
			}
			merge_rows(res, done, ndone);
		}
	}
	fprintf(stderr, "bench: %s done in %.1f s\n", j->label, now() - t0);
	if (path != j->path)
		free(path);
	if (ksyms != j->kallsyms)
		free(ksyms);
}

/* <dir of dump>/truth/kallsyms[.zst], the fixture layout. */
static char *
find_kallsyms(const char *dump)
{
	char *d = xstrdup(dump);
	char *slash = strrchr(d, '/');
	const char *dir = ".";

	if (slash != NULL) {
		*slash = '\0';
		dir = d;
	}
	char *k = xasprintf("%s/truth/kallsyms", dir);
	if (access(k, R_OK) != 0) {
		free(k);
		k = xasprintf("%s/truth/kallsyms.zst", dir);
		if (access(k, R_OK) != 0) {
			free(k);
			k = NULL;
		}
	}
	free(d);
	return k;
}

static struct job *jobs;
static size_t njobs;

static void
add_job(const char *path, const char *label, const char *kallsyms)
{
	struct job *p = realloc(jobs, (njobs + 1) * sizeof(*p));

	if (p == NULL) {
		perror("bench_read");
		exit(1);
	}
	jobs = p;
	jobs[njobs].path = xstrdup(path);
	jobs[njobs].label = xstrdup(label);
	jobs[njobs].kallsyms =
		kallsyms ? xstrdup(kallsyms) : find_kallsyms(path);
	njobs++;
}

/* A short name: the path as given, or its last three components. */
static void
add_dump_arg(const char *path, const char *kallsyms)
{
	const char *label = path;

	if (strlen(path) > 40) {
		int slashes = 0;
		for (const char *p = path + strlen(path); p > path; p--)
			if (p[-1] == '/' && ++slashes == 3) {
				label = p;
				break;
			}
	}
	add_job(path, label, kallsyms);
}

static int
filter_dir(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

/* Every vmcore.* of every set (subdirectory) of dir. */
static int
add_fixtures(const char *dir)
{
	struct dirent **sets;
	int nsets = scandir(dir, &sets, filter_dir, alphasort);

	if (nsets < 0) {
		fprintf(stderr, "bench_read: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	for (int i = 0; i < nsets; i++) {
		char *sd = xasprintf("%s/%s", dir, sets[i]->d_name);
		struct dirent **files;
		int nf = scandir(sd, &files, filter_dir, alphasort);
		for (int k = 0; k < nf; k++) {
			const char *name = files[k]->d_name;
			char *p = xasprintf("%s/%s", sd, name);
			struct stat st;
			if (strncmp(name, "vmcore.", 7) == 0 &&
			    !has_suffix(name, ".tmp") && stat(p, &st) == 0 &&
			    S_ISREG(st.st_mode)) {
				char *label = xasprintf("%s/%s",
							sets[i]->d_name, name);
				add_job(p, label, NULL);
				free(label);
			}
			free(p);
			free(files[k]);
		}
		if (nf >= 0)
			free(files);
		free(sd);
		free(sets[i]);
	}
	free(sets);
	return 0;
}

static void
print_table(const struct result *res, size_t n)
{
	const char *hdr[6] = { "dump", "format", "test", "ours", "theirs",
			       "ours/theirs" };
	int w[6];

	for (int c = 0; c < 6; c++)
		w[c] = (int)strlen(hdr[c]);
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < res[i].nrows; k++) {
			const struct rec *r = &res[i].rows[k];
			const char *col[6] = { res[i].job->label, r->fmt,
					       r->test, r->ours, r->theirs,
					       r->ratio };
			for (int c = 0; c < 6; c++)
				if ((int)strlen(col[c]) > w[c])
					w[c] = (int)strlen(col[c]);
		}
	printf("%-*s  %-*s  %-*s  %*s  %*s  %*s\n", w[0], hdr[0], w[1], hdr[1],
	       w[2], hdr[2], w[3], hdr[3], w[4], hdr[4], w[5], hdr[5]);
	for (size_t i = 0; i < n; i++) {
		if (res[i].nrows == 0)
			printf("%-*s  (no results, see notes)\n", w[0],
			       res[i].job->label);
		for (size_t k = 0; k < res[i].nrows; k++) {
			const struct rec *r = &res[i].rows[k];
			printf("%-*s  %-*s  %-*s  %*s  %*s  %*s\n", w[0],
			       k == 0 ? res[i].job->label : "", w[1], r->fmt,
			       w[2], r->test, w[3], r->ours, w[4], r->theirs,
			       w[5], r->ratio);
		}
	}
}

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: bench_read [options] [DUMP ...]\n"
		"\n"
		"Compares libkvm with libkdumpfile on each DUMP (*.zst are unpacked\n"
		"first): open time, random 8-byte kernel-virtual reads (direct map\n"
		"and kernel image), sequential physical reads.\n"
		"\n"
		"  --fixtures DIR     also every vmcore.* of every set DIR/<set>/\n"
		"  --kallsyms FILE    symbols for the DUMPs that follow (default:\n"
		"                     <dump dir>/truth/kallsyms[.zst] if present)\n"
		"  -n, --reads N      addresses per random-read test (default %zu)\n"
		"  -r, --runs N       best of N runs (default %d)\n"
		"  --seed N           address-list seed (default 0x%" PRIx64 ")\n"
		"  --verify N         reads compared between the two (default %zu)\n"
		"  --cache-size BYTES decoded-page cache of each library (default 0:\n"
		"                     each library's own default)\n"
		"  --max-time SECS    stop a timed run after SECS (default %.1f)\n"
		"  --cache DIR        where *.zst are unpacked (default\n"
		"                     $XDG_CACHE_HOME/kvm-fixtures/bench)\n"
		"  --no-peer          measure libkvm only\n"
		"\n"
		"Exit status: 0, 1 on usage errors, 3 when the two libraries\n"
		"disagree on a byte or a process crashed.\n",
		opt.nreads, opt.runs, opt.seed, opt.nverify, opt.max_time);
}

static uint64_t
parse_num(const char *s, const char *what)
{
	char *end;

	errno = 0;
	unsigned long long v = strtoull(s, &end, 0);
	if (errno != 0 || end == s || *end != '\0') {
		fprintf(stderr, "bench_read: bad %s: %s\n", what, s);
		exit(1);
	}
	return v;
}

int
main(int argc, char **argv)
{
	enum { O_FIXTURES = 256, O_KALLSYMS, O_SEED, O_VERIFY, O_CSIZE,
	       O_CACHE, O_NOPEER, O_MAXTIME };
	static const struct option lopts[] = {
		{ "fixtures", required_argument, NULL, O_FIXTURES },
		{ "kallsyms", required_argument, NULL, O_KALLSYMS },
		{ "reads", required_argument, NULL, 'n' },
		{ "runs", required_argument, NULL, 'r' },
		{ "seed", required_argument, NULL, O_SEED },
		{ "verify", required_argument, NULL, O_VERIFY },
		{ "cache-size", required_argument, NULL, O_CSIZE },
		{ "cache", required_argument, NULL, O_CACHE },
		{ "no-peer", no_argument, NULL, O_NOPEER },
		{ "max-time", required_argument, NULL, O_MAXTIME },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *kallsyms = NULL;
	int c;

	/* "-" first in optstring: dumps and options keep their order. */
	while ((c = getopt_long(argc, argv, "-n:r:h", lopts, NULL)) != -1) {
		switch (c) {
		case 1:
			add_dump_arg(optarg, kallsyms);
			break;
		case O_FIXTURES:
			if (add_fixtures(optarg) < 0)
				return 1;
			break;
		case O_KALLSYMS:
			kallsyms = optarg;
			break;
		case 'n':
			opt.nreads = parse_num(optarg, "--reads");
			break;
		case 'r':
			opt.runs = (int)parse_num(optarg, "--runs");
			break;
		case O_SEED:
			opt.seed = parse_num(optarg, "--seed");
			break;
		case O_VERIFY:
			opt.nverify = parse_num(optarg, "--verify");
			break;
		case O_CSIZE:
			opt.cache_bytes = parse_num(optarg, "--cache-size");
			break;
		case O_CACHE:
			opt.cache_dir = optarg;
			break;
		case O_NOPEER:
			opt.no_peer = true;
			break;
		case O_MAXTIME:
			opt.max_time = strtod(optarg, NULL);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 1;
		}
	}
	if (njobs == 0 || opt.nreads == 0 || opt.runs < 1 ||
	    !(opt.max_time > 0)) {
		usage(stderr);
		return 1;
	}
	char *cache_dir = NULL;
	if (opt.cache_dir == NULL) {
		const char *xdg = getenv("XDG_CACHE_HOME");
		const char *home = getenv("HOME");
		cache_dir = xdg && *xdg ? xasprintf("%s/kvm-fixtures/bench", xdg)
					: xasprintf("%s/.cache/kvm-fixtures/bench",
						    home ? home : "/tmp");
		opt.cache_dir = cache_dir;
	}

#ifdef HAVE_LIBKDUMPFILE
	const char *peer = opt.no_peer ? "libkdumpfile (disabled: --no-peer)"
				       : "libkdumpfile " PEER_VERSION;
#else
	const char *peer = "none: libkdumpfile was missing at build time";
#endif
	printf("bench_read: libkvm vs %s\n", peer);
	printf("  vread8: %zu random 8-byte kvm_read2 / kdump_read(KVADDR), "
	       "seed 0x%" PRIx64 "\n",
	       opt.nreads, opt.seed);
	printf("  seq phys: %zu KiB kvm_read_phys / kdump_read(KPHYSADDR) over "
	       "all ranges; MB = 10^6 bytes\n",
	       opt.chunk / 1024);
	printf("  open: kvm_openfiles / kdump_new+kdump_open_fd(+arch, "
	       "ostype when the file lacks them), best of %d\n",
	       OPEN_REPEAT * opt.runs);
	printf("  best of %d runs, each capped at %.1f s; dump files in the "
	       "page cache\n",
	       opt.runs, opt.max_time);
	if (opt.cache_bytes != 0)
		printf("  decoded-page cache: %" PRIu64 " KiB for each\n",
		       opt.cache_bytes / 1024);
	else
		printf("  decoded-page cache: each library's default (libkvm "
		       "%u MiB, libkdumpfile cache.size)\n",
		       KVM_CACHE_DEFAULT / MIB);
	printf("  ours/theirs > 1: ours faster, except open (ms): ours "
	       "slower\n\n");

	struct result *res = calloc(njobs, sizeof(*res));
	if (res == NULL) {
		perror("bench_read");
		return 1;
	}
	size_t bad = 0;
	for (size_t i = 0; i < njobs; i++) {
		run_one(&jobs[i], &res[i]);
		bad += res[i].nmismatch;
	}
	print_table(res, njobs);
	printf("\nNotes:\n");
	for (size_t i = 0; i < njobs; i++)
		for (size_t k = 0; k < res[i].nnotes; k++)
			printf("  %s: %s\n", res[i].job->label,
			       res[i].notes[k]);
	if (bad > 0)
		printf("\n%zu MISMATCH/CRASH note(s) above: a bug in one of "
		       "the two libraries.\n",
		       bad);

	for (size_t i = 0; i < njobs; i++) {
		free(res[i].rows);
		for (size_t k = 0; k < res[i].nnotes; k++)
			free(res[i].notes[k]);
		free(res[i].notes);
		free(jobs[i].path);
		free(jobs[i].label);
		free(jobs[i].kallsyms);
	}
	free(res);
	free(jobs);
	free(cache_dir);
	return bad > 0 ? 3 : 0;
}
