// SPDX-License-Identifier: BSD-2-Clause
/*
 * kcore savecore: move a dump from a dump device into DIR/vmcore.N, in
 * NetBSD savecore's order (DESIGN §6): find the dump (kvm_dump_mkheader),
 * report what crashed, check DIR/minfree, take N from DIR/bounds, write
 * to a temporary name (kvm_dump_wrtheader, then the dump data copied from
 * the device), fsync, verify by reading back, rename, count up bounds,
 * and only then mark the dump saved (kvm_dump_inval).  Whatever goes
 * wrong before the rename leaves the device's dump valid and no file
 * that looks complete.
 *
 * Exit status: 0 saved (or -n: a dump is there; -c: cleared); 1 no dump
 * on the device; 2 saved, but the dump says it is incomplete; else as
 * kcore(1).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "kcore.h"

#define SAVECORE_NO_DUMP 1
#define SAVECORE_INCOMPLETE 2
/* Where kcore dump puts the dump on a device (src/kvmdump_disk.h). */
#define SAVECORE_DEFAULT_OFFSET 65536

static bool verbose;

static void
note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
note(const char *fmt, ...)
{
	va_list ap;

	if (!verbose)
		return;
	fputs("savecore: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* A number from DIR/name (bounds, minfree); dflt when there is none. */
static int
read_number(const char *dir, const char *name, uint64_t dflt, uint64_t *ret)
{
	char path[4096], buf[64];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "r");
	*ret = dflt;
	if (!f)
		return errno == ENOENT ? 0 : -1;
	if (fgets(buf, sizeof(buf), f)) {
		buf[strcspn(buf, "\n")] = '\0';
		if (!kcore_parse_u64(buf, ret)) {
			fclose(f);
			fprintf(stderr, "savecore: %s: not a number: '%s'\n", path,
				buf);
			errno = EINVAL;
			return -1;
		}
	}
	fclose(f);
	return 0;
}

/* DIR/bounds = n, through a temporary file and a rename. */
static int
write_bounds(const char *dir, uint64_t n)
{
	char tmp[4096], path[4096];

	snprintf(tmp, sizeof(tmp), "%s/.bounds.tmp", dir);
	snprintf(path, sizeof(path), "%s/bounds", dir);
	FILE *f = fopen(tmp, "w");
	if (!f || fprintf(f, "%" PRIu64 "\n", n) < 0 || fflush(f) != 0 ||
	    fsync(fileno(f)) != 0) {
		if (f)
			fclose(f);
		return -1;
	}
	if (fclose(f) != 0 || rename(tmp, path) != 0)
		return -1;
	return 0;
}

static int
sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	int r = fsync(fd);
	close(fd);
	return r;
}

/* The panic message: the last log line that says why the kernel died. */
static void
panic_message(kvm_t *kd, char *buf, size_t len)
{
	static const char *const marks[] = { "Kernel panic - not syncing",
					     "sysrq: Trigger a crash", "BUG:",
					     "Oops" };
	const struct kvm_log_entry *e;
	size_t n;

	snprintf(buf, len, "(none in the log)");
	if (kvm_log_get(kd, &e, &n) < 0) {
		snprintf(buf, len, "(no log: %s)", kvm_geterr(kd));
		return;
	}
	for (size_t i = n; i-- > 0;)
		for (size_t m = 0; m < sizeof(marks) / sizeof(marks[0]); m++)
			if (strstr(e[i].text, marks[m])) {
				snprintf(buf, len, "%.*s",
					 (int)strcspn(e[i].text, "\n"),
					 e[i].text);
				return;
			}
}

static ssize_t
write_file(void *cookie, const void *buf, size_t len)
{
	return fwrite(buf, 1, len, cookie) == len ? (ssize_t)len : -1;
}

/*
 * kcore format: the header from kvm_dump_wrtheader, then the dump data
 * copied as it is from the device, then read back and compared.
 */
static int
save_kcore(kvm_t *kd, const char *device, uint64_t data_off, uint64_t size,
	   const char *tmp, const struct kcore_opts *o)
{
	int dfd = open(device, O_RDONLY | O_CLOEXEC);
	FILE *out = fopen(tmp, "w+");
	uint8_t *buf = malloc(1 << 20), *back = malloc(1 << 20);
	int st = KCORE_EXIT_OSERR;

	if (dfd < 0 || !out || !buf || !back) {
		fprintf(stderr, "savecore: %s: %s\n", dfd < 0 ? device : tmp,
			strerror(errno));
		goto out;
	}
	if (kvm_dump_header(kd, write_file, out, 0) < 0) {
		fprintf(stderr, "savecore: %s: %s\n", tmp, kvm_geterr(kd));
		goto out;
	}
	long hdr = ftell(out);
	const uint64_t pages = size / 4096 + 1;
	for (uint64_t done = 0; done < size;) {
		size_t n = (size_t)(size - done < (1 << 20) ? size - done
							    : (1 << 20));
		ssize_t got = pread(dfd, buf, n, (off_t)(data_off + done));
		if (got != (ssize_t)n) {
			fprintf(stderr, "savecore: %s: reading at byte %" PRIu64
				": %s\n", device, data_off + done,
				got < 0 ? strerror(errno) : "short read");
			goto out;
		}
		if (fwrite(buf, 1, n, out) != n) {
			fprintf(stderr, "savecore: %s: %s\n", tmp,
				strerror(errno));
			goto out;
		}
		done += n;
		if (!o->quiet)
			kcore_progress("savecore", done / 4096 + (done == size),
				       pages);
	}
	if (fflush(out) != 0 || fsync(fileno(out)) != 0) {
		fprintf(stderr, "savecore: %s: %s\n", tmp, strerror(errno));
		goto out;
	}
	/* Verify: what the file holds is what the device holds. */
	note("verifying %s", tmp);
	for (uint64_t done = 0; done < size;) {
		size_t n = (size_t)(size - done < (1 << 20) ? size - done
							    : (1 << 20));
		if (pread(dfd, buf, n, (off_t)(data_off + done)) != (ssize_t)n ||
		    pread(fileno(out), back, n, (off_t)(hdr + (long)done)) !=
			    (ssize_t)n ||
		    memcmp(buf, back, n) != 0) {
			fprintf(stderr, "savecore: %s differs from %s at byte "
				"%" PRIu64 " of the dump data\n", tmp, device,
				done);
			st = KCORE_EXIT_DATAERR;
			goto out;
		}
		done += n;
	}
	st = KCORE_EXIT_OK;
out:
	if (dfd >= 0)
		close(dfd);
	if (out && fclose(out) != 0 && st == KCORE_EXIT_OK) {
		fprintf(stderr, "savecore: %s: %s\n", tmp, strerror(errno));
		st = KCORE_EXIT_OSERR;
	}
	free(buf);
	free(back);
	return st;
}

/* ELF or kdump: written from the device's dump, then read back. */
static int
save_other(kvm_t *kd, const char *tmp, int format, const struct kcore_opts *o)
{
	struct kvm_dump_opts opts = {
		.size = sizeof(opts),
		.format = format,
		.compress = format == KVM_DUMP_KDUMP
				    ? (o->compress >= 0 ? o->compress
							: KVM_COMPRESS_ZLIB)
				    : KVM_COMPRESS_NONE,
		.progress = o->quiet ? NULL : kcore_progress,
		.progress_arg = "savecore",
	};
	if (kvm_dump_write(kd, tmp, &opts, NULL) < 0) {
		fprintf(stderr, "savecore: %s: %s\n", tmp, kvm_geterr(kd));
		return kcore_exit_for(kvm_geterrcode(kd));
	}
	/* On the disk before it is verified, renamed and the dump cleared. */
	int fd = open(tmp, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) != 0) {
		fprintf(stderr, "savecore: %s: %s\n", tmp, strerror(errno));
		if (fd >= 0)
			close(fd);
		return KCORE_EXIT_OSERR;
	}
	close(fd);
	/* Verify: every page the device's dump has reads the same. */
	note("verifying %s", tmp);
	char errbuf[KVM_ERRBUF_SIZE];
	kvm_t *back = kvm_openfiles(NULL, tmp, NULL, O_RDONLY, errbuf);
	if (!back) {
		fprintf(stderr, "savecore: %s does not read back: %s\n", tmp,
			errbuf);
		return KCORE_EXIT_DATAERR;
	}
	const struct kvm_phys_range *r;
	size_t nr;
	struct kvm_info info;
	kvm_get_info(kd, &info, sizeof(info));
	uint32_t ps = info.page_size ? info.page_size : 4096;
	uint8_t *a = malloc(ps), *b = malloc(ps);
	int st = KCORE_EXIT_OK;
	kvm_get_phys_ranges(kd, &r, &nr);
	for (size_t i = 0; a && b && i < nr && st == KCORE_EXIT_OK; i++)
		for (uint64_t pa = r[i].start; pa + ps <= r[i].end; pa += ps) {
			if (kvm_read_phys(kd, pa, a, ps) != (ssize_t)ps)
				continue; /* not in the device's dump either */
			if (kvm_read_phys(back, pa, b, ps) != (ssize_t)ps ||
			    memcmp(a, b, ps) != 0) {
				fprintf(stderr, "savecore: %s: page 0x%" PRIx64
					" differs from the device's\n", tmp,
					pa);
				st = KCORE_EXIT_DATAERR;
				break;
			}
		}
	free(a);
	free(b);
	kvm_close(back);
	return st;
}

int
cmd_savecore(kvm_t *kd, const struct kcore_opts *o, int argc, char **argv)
{
	(void)kd, (void)o, (void)argc, (void)argv;
	return KCORE_EXIT_SOFTWARE; /* savecore opens its device itself */
}

int
cmd_savecore_main(const struct kcore_opts *o, int argc, char **argv)
{
	char errbuf[KVM_ERRBUF_SIZE];

	verbose = o->verbose;
	if (argc != (o->clear || o->check ? 1 : 2) && argc != 2) {
		kcore_usage_error("usage: kcore savecore [-c] [-f] [-n] [-v] "
				  "[-z] [--format kcore|elf|kdump] DEVICE DIR");
		return KCORE_EXIT_USAGE;
	}
	const char *device = argv[0], *dir = argc > 1 ? argv[1] : NULL;
	bool rdonly = o->check;
	kvm_t *kd = kvm_openfiles(o->system, device, NULL,
				  rdonly ? O_RDONLY : O_RDWR, errbuf);
	if (!kd) {
		fprintf(stderr, "savecore: %s\n", errbuf);
		return errno == ENOENT || errno == EACCES ? KCORE_EXIT_NOINPUT
							  : KCORE_EXIT_DATAERR;
	}
	int st = KCORE_EXIT_OK;
	uint64_t off = o->have_offset ? o->offset : SAVECORE_DEFAULT_OFFSET;
	int hdr = kvm_dump_mkheader(kd, (off_t)off);
	if (hdr < 0) {
		st = kcore_fail(kd, "savecore");
		goto out;
	}
	if (hdr == 0) {
		fprintf(stderr, "savecore: no dump on %s\n", device);
		st = SAVECORE_NO_DUMP;
		goto out;
	}
	struct kvm_info info;
	kvm_get_info(kd, &info, sizeof(info));
	char when[64] = "unknown";
	struct tm tm;
	time_t t = (time_t)info.crash_time;
	/* A crash time past what gmtime can show (a hostile header) stays
	 * "unknown" rather than crashing the save. */
	if (info.crash_time && (uint64_t)t == info.crash_time &&
	    gmtime_r(&t, &tm) &&
	    !strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm))
		snprintf(when, sizeof(when), "unknown");
	char panic[256];
	panic_message(kd, panic, sizeof(panic));
	/* Release and panic text come from the device: escaped. */
	fprintf(stderr, "savecore: dump on %s: Linux ", device);
	text_string(stderr, info.release[0] ? info.release
					    : "(release unknown)");
	fprintf(stderr, " (%s), crashed %s; %s\nsavecore: panic: ", info.arch,
		when,
		info.dump_incomplete ? "INCOMPLETE (the device was too small)"
				     : "complete");
	text_string(stderr, panic);
	fputc('\n', stderr);
	if (o->clear) {
		if (kvm_dump_inval(kd) < 0)
			st = kcore_fail(kd, "savecore");
		else
			fprintf(stderr, "savecore: dump on %s cleared\n", device);
		goto out;
	}
	if (o->check)
		goto out; /* -n: the dump is there; nothing else */
	if (!dir) {
		kcore_usage_error("savecore: a directory to save into");
		st = KCORE_EXIT_USAGE;
		goto out;
	}

	/* minfree (KiB to keep free) and the file's number. */
	uint64_t minfree, n;
	if (read_number(dir, "minfree", 0, &minfree) != 0 ||
	    read_number(dir, "bounds", 0, &n) != 0) {
		fprintf(stderr, "savecore: %s: %s\n", dir, strerror(errno));
		st = KCORE_EXIT_OSERR;
		goto out;
	}
	struct statvfs sv;
	if (statvfs(dir, &sv) != 0) {
		fprintf(stderr, "savecore: %s: %s\n", dir, strerror(errno));
		st = KCORE_EXIT_NOINPUT;
		goto out;
	}
	uint64_t avail = (uint64_t)sv.f_bavail * sv.f_frsize;
	uint64_t need = info.dump_size + 65536;
	if (!o->force && avail < need + minfree * 1024) {
		fprintf(stderr, "savecore: %s: %" PRIu64 " KiB free, the dump "
			"needs %" PRIu64 " KiB and minfree keeps %" PRIu64
			" KiB: not saved (-f saves anyway)\n", dir,
			avail / 1024, need / 1024, minfree);
		st = KCORE_EXIT_OSERR;
		goto out;
	}
	char tmp[4096], final[4096];
	snprintf(tmp, sizeof(tmp), "%s/.vmcore.%" PRIu64 ".tmp", dir, n);
	snprintf(final, sizeof(final), "%s/vmcore.%" PRIu64, dir, n);
	note("saving %" PRIu64 " bytes of dump data to %s", info.dump_size,
	     final);
	int format = o->outfmt >= 0 ? o->outfmt
				    : o->zflag ? KVM_DUMP_KDUMP : KVM_DUMP_DEVICE;
	st = format == KVM_DUMP_DEVICE
		     ? save_kcore(kd, device, off + (uint64_t)hdr,
				  info.dump_size, tmp, o)
		     : save_other(kd, tmp, format, o);
	if (st != KCORE_EXIT_OK) {
		unlink(tmp);
		fprintf(stderr, "savecore: not saved; the dump on %s stays "
			"valid\n", device);
		goto out;
	}
	if (rename(tmp, final) != 0 || sync_dir(dir) != 0 ||
	    write_bounds(dir, n + 1) != 0) {
		fprintf(stderr, "savecore: %s: %s\n", final, strerror(errno));
		unlink(tmp);
		st = KCORE_EXIT_OSERR;
		goto out;
	}
	/* Saved, verified and named: only now is the dump marked saved. */
	if (kvm_dump_inval(kd) < 0) {
		st = kcore_fail(kd, "savecore: marking the dump saved");
		goto out;
	}
	fprintf(stderr, "savecore: saved %s\n", final);
	if (info.dump_incomplete) {
		fprintf(stderr, "savecore: the dump is incomplete (the device "
			"was too small): saved what there is\n");
		st = SAVECORE_INCOMPLETE;
	}
out:
	kvm_close(kd);
	return st;
}
