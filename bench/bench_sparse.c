// SPDX-License-Identifier: BSD-2-Clause
/*
 * bench_sparse: open time and peak memory on a synthetic kdump-compressed
 * dump of a 1 TiB machine (DEVELOPERS "bounded memory"), libkvm against
 * libkdumpfile on the same file in the same run.
 *
 * The file: a v6 header for 2^28 pages of 4 KiB, the 1st bitmap all set
 * (every page is RAM: 32 MiB of 0xff written out), the 2nd bitmap with one
 * page in SPARSE_EVERY dumped (the rest a hole in the file, as a sparse
 * copy of a makedumpfile -d 31 dump of an idle machine looks), one page
 * descriptor per dumped page, all pointing at one stored page (makedumpfile
 * shares the zero page the same way), VMCOREINFO naming the release.
 * About 66 MiB of file, 34 MiB of it allocated.
 *
 * Each measurement runs in a fresh child (fork), so its peak RSS
 * (ru_maxrss from wait4) is that of one open: open, read one dumped page at
 * the top of memory, read an excluded page, close.  Best of RUNS, page
 * cache warm (one run discarded first).  The targets: under 50 ms and
 * 32 MiB; the program prints them and the ratios, and never fails on
 * them (benchmarks are not tests).
 *
 *   bench_sparse [-c] [-o FILE] [-k]
 *     -o FILE  where to make the dump (default bench/sparse-1t.kdump)
 *     -k       keep it
 *     -c       the memory test (ctest memory_bound_sparse): exit 1 when
 *              a read returned wrong data or, except in sanitizer builds
 *              (their shadow memory is counted too), when the peak RSS
 *              reached 32 MiB.  Time is printed, never checked.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <kvm.h>

#ifdef HAVE_LIBKDUMPFILE
#include <libkdumpfile/kdumpfile.h>
#endif

#include "../src/format/kdump_disk.h"

#define PAGE 4096u
#define NPAGES (1ULL << 28)	/* 1 TiB */
#define SPARSE_EVERY 4096u	/* one page in 4096 dumped: 65536 pages */
#define RUNS 5
#define TARGET_MS 50.0
#define TARGET_MIB 32.0

static const char vmcoreinfo[] = "OSRELEASE=6.1.0-bench-sparse\n"
				 "PAGESIZE=4096\n"
				 "SYMBOL(init_top_pgt)=ffffffff82a0a000\n"
				 "NUMBER(phys_base)=0\n";

static void
die(const char *what)
{
	fprintf(stderr, "bench_sparse: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void
pwrite_all(int fd, const void *buf, size_t len, off_t off)
{
	const uint8_t *p = buf;

	while (len) {
		ssize_t n = pwrite(fd, p, len, off);
		if (n <= 0)
			die("write");
		p += n;
		len -= (size_t)n;
		off += n;
	}
}

/* The file, laid out as makedumpfile lays out a v6 kdump. */
static void
make_dump(const char *path)
{
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		die(path);

	const uint64_t bm_bytes = NPAGES / 8;		/* one bitmap */
	const uint64_t bm_off = 2 * PAGE;		/* header, sub-header */
	const uint64_t ndumped = NPAGES / SPARSE_EVERY;
	const uint64_t pd_off = bm_off + 2 * bm_bytes;
	const uint64_t vmci_off = pd_off + ndumped * 24;
	const uint64_t data_off = (vmci_off + sizeof(vmcoreinfo) + PAGE - 1) /
				  PAGE * PAGE;

	struct kdump_disk_header h;
	memset(&h, 0, sizeof(h));
	memcpy(h.signature, KDUMP_SIGNATURE, KDUMP_SIG_LEN);
	h.header_version = 6;
	strcpy(h.utsname[0], "Linux");
	strcpy(h.utsname[1], "sparse");
	strcpy(h.utsname[2], "6.1.0-bench-sparse");
	strcpy(h.utsname[KDUMP_UTS_MACHINE], "x86_64");
	h.block_size = PAGE;
	h.sub_hdr_size = 1;
	h.bitmap_blocks = (uint32_t)(2 * bm_bytes / PAGE);
	h.max_mapnr = (uint32_t)NPAGES; /* < 2^32: both fields agree */
	h.nr_cpus = 1;
	pwrite_all(fd, &h, sizeof(h), 0);

	struct kdump_disk_sub_header sh;
	memset(&sh, 0, sizeof(sh));
	sh.dump_level = 31;
	sh.offset_vmcoreinfo = vmci_off;
	sh.size_vmcoreinfo = sizeof(vmcoreinfo) - 1;
	sh.max_mapnr_64 = NPAGES;
	sh.end_pfn_64 = NPAGES;
	pwrite_all(fd, &sh, sizeof(sh), PAGE);

	/* 1st bitmap: all RAM, written out in 1 MiB pieces. */
	size_t chunk = 1u << 20;
	uint8_t *buf = malloc(chunk);
	if (!buf)
		die("malloc");
	memset(buf, 0xff, chunk);
	for (uint64_t o = 0; o < bm_bytes; o += chunk)
		pwrite_all(fd, buf, chunk, (off_t)(bm_off + o));

	/* 2nd bitmap: bit 0 of every SPARSE_EVERY/8-th byte; holes between. */
	for (uint64_t pfn = 0; pfn < NPAGES; pfn += SPARSE_EVERY) {
		uint8_t one = 1;
		pwrite_all(fd, &one, 1, (off_t)(bm_off + bm_bytes + pfn / 8));
	}

	/* The descriptors: every dumped page is the one stored page. */
	struct kdump_disk_page_desc *pd = (void *)buf;
	size_t per = chunk / sizeof(*pd);
	for (uint64_t i = 0; i < ndumped;) {
		size_t n = 0;
		for (; n < per && i < ndumped; n++, i++) {
			pd[n].offset = (int64_t)data_off;
			pd[n].size = PAGE;
			pd[n].flags = 0;
			pd[n].page_flags = 0;
		}
		pwrite_all(fd, pd, n * sizeof(*pd),
			   (off_t)(pd_off + (i - n) * sizeof(*pd)));
	}
	pwrite_all(fd, vmcoreinfo, sizeof(vmcoreinfo) - 1, (off_t)vmci_off);
	memset(buf, 0xa5, PAGE);
	pwrite_all(fd, buf, PAGE, (off_t)data_off);
	free(buf);
	if (close(fd) != 0)
		die("close");
}

/* What one child does; 0 when the reads returned what the file holds. */
static int
open_libkvm(const char *path)
{
	char errbuf[KVM_ERRBUF_SIZE];
	uint8_t page[PAGE];

	kvm_t *kd = kvm_openfiles(NULL, path, NULL, O_RDONLY, errbuf);
	if (!kd) {
		fprintf(stderr, "libkvm: %s\n", errbuf);
		return 1;
	}
	uint64_t top = (NPAGES - SPARSE_EVERY) * PAGE;
	int bad = kvm_read_phys(kd, top, page, PAGE) != PAGE ||
		  page[0] != 0xa5;
	if (bad)
		fprintf(stderr, "libkvm: read 0x%llx: %s\n",
			(unsigned long long)top, kvm_geterr(kd));
	/* An excluded page: an error, not data. */
	if (kvm_read_phys(kd, top + PAGE, page, PAGE) == PAGE) {
		fprintf(stderr, "libkvm: an excluded page read as data\n");
		bad = 1;
	}
	kvm_close(kd);
	return bad;
}

#ifdef HAVE_LIBKDUMPFILE
static int
open_peer(const char *path)
{
	uint8_t page[PAGE];
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 1;
	kdump_ctx_t *ctx = kdump_new();
	if (!ctx || kdump_open_fd(ctx, fd) != KDUMP_OK) {
		fprintf(stderr, "libkdumpfile: %s\n",
			ctx ? kdump_get_err(ctx) : "kdump_new failed");
		return 1;
	}
	size_t n = PAGE;
	kdump_addr_t top = (NPAGES - SPARSE_EVERY) * PAGE;
	kdump_status st = kdump_read(ctx, KDUMP_MACHPHYSADDR, top, page, &n);
	int bad = st != KDUMP_OK || n != PAGE || page[0] != 0xa5;
	if (bad)
		fprintf(stderr, "libkdumpfile: read: %s\n", kdump_get_err(ctx));
	kdump_free(ctx);
	close(fd);
	return bad;
}
#endif

struct result {
	double ms;
	double mib;
	int failed;
};

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Best time and smallest peak of RUNS fresh children. */
static struct result
measure(int (*fn)(const char *), const char *path)
{
	struct result best = { 1e9, 1e9, 0 };

	for (int run = -1; run < RUNS; run++) {
		double t0 = now_ms();
		pid_t pid = fork();
		if (pid < 0)
			die("fork");
		if (pid == 0)
			_exit(fn(path));
		int status;
		struct rusage ru;
		if (wait4(pid, &status, 0, &ru) != pid)
			die("wait4");
		double ms = now_ms() - t0;
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			best.failed = 1;
			continue;
		}
		if (run < 0)
			continue; /* warms the page cache */
		if (ms < best.ms)
			best.ms = ms;
		if (ru.ru_maxrss / 1024.0 < best.mib)
			best.mib = ru.ru_maxrss / 1024.0;
	}
	return best;
}

/* A child's fork+exit cost, subtracted from both sides. */
static int
nothing(const char *path)
{
	(void)path;
	return 0;
}

int
main(int argc, char **argv)
{
	const char *path = "bench/sparse-1t.kdump";
	int keep = 0, check = 0, c;

	while ((c = getopt(argc, argv, "co:kh")) != -1) {
		switch (c) {
		case 'c':
			check = 1;
			break;
		case 'o':
			path = optarg;
			break;
		case 'k':
			keep = 1;
			break;
		default:
			fprintf(c == 'h' ? stdout : stderr,
				"usage: bench_sparse [-c] [-o FILE] [-k]\n");
			return c == 'h' ? 0 : 1;
		}
	}
	make_dump(path);
	struct result base = measure(nothing, path);
	struct result us = measure(open_libkvm, path);
	us.ms -= base.ms;
	printf("bench_sparse: kdump of a 1 TiB machine (%llu pages, 1 in %u "
	       "dumped), open + 2 reads + close, best of %d, fork cost %.1f "
	       "ms removed\n",
	       (unsigned long long)NPAGES, SPARSE_EVERY, RUNS, base.ms);
	printf("  libkvm        %7.1f ms  %6.1f MiB peak RSS%s   (targets: "
	       "%.0f ms, %.0f MiB: %s)\n",
	       us.ms, us.mib, us.failed ? "  FAILED" : "", TARGET_MS,
	       TARGET_MIB,
	       us.ms < TARGET_MS && us.mib < TARGET_MIB ? "met" : "NOT met");
#ifdef HAVE_LIBKDUMPFILE
	struct result peer = measure(open_peer, path);
	peer.ms -= base.ms;
	printf("  libkdumpfile  %7.1f ms  %6.1f MiB peak RSS%s\n", peer.ms,
	       peer.mib, peer.failed ? "  FAILED" : "");
	if (!us.failed && !peer.failed)
		printf("  ratio (libkdumpfile / libkvm): time %.2fx, memory "
		       "%.2fx\n",
		       peer.ms / (us.ms > 0.1 ? us.ms : 0.1),
		       peer.mib / us.mib);
#else
	printf("  libkdumpfile  not built in (pkg-config found no "
	       "libkdumpfile)\n");
#endif
	if (!keep)
		unlink(path);
	if (us.failed)
		return 1;
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
	check = 0;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
	check = 0;
#endif
#endif
	if (check && us.mib >= TARGET_MIB) {
		fprintf(stderr, "bench_sparse: peak RSS %.1f MiB: the open of a "
			"sparse 1 TiB dump must stay under %.0f MiB\n",
			us.mib, TARGET_MIB);
		return 1;
	}
	return 0;
}
