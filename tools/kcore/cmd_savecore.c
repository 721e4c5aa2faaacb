// SPDX-License-Identifier: BSD-2-Clause
/*
 * kcore savecore: move a dump from a dump device into DIR/vmcore.N, in
 * NetBSD savecore's order (DESIGN §6), for a machine that just crashed:
 * run as root, at boot, perhaps beside a hostile local user.
 *
 *   lock DIR (flock: one savecore at a time), find the dump
 *   (kvm_dump_mkheader: the header and CPU segment are checksummed, and
 *   what the segment repeats must agree with the header), report what
 *   crashed, check DIR/minfree, take N from DIR/bounds, write an unnamed
 *   file in DIR (O_TMPFILE; else a fresh O_EXCL|O_NOFOLLOW name), fsync,
 *   read it back through the library (every stored page, the banner),
 *   link it in as vmcore.N (never over an existing file), count up bounds
 *   and only then mark the dump saved (kvm_dump_inval).
 *
 * Whatever goes wrong first leaves the device's dump valid and no file
 * that looks complete.  A dump that cannot be understood or verified is
 * never cleared; -f saves the device's bytes as they are (vmcore.N.raw).
 *
 * Exit status: 0 saved (or -n: a dump is there; -c: cleared); 1 no dump
 * on the device; 2 a dump is there that was not saved and cleared (it
 * does not read, or did not verify; the message says why, the dump stays
 * valid); 3 saved, but the dump says it is incomplete; 75 DIR is locked
 * by another savecore; else as kcore(1).
 */
#define _GNU_SOURCE /* O_TMPFILE, AT_EMPTY_PATH, renameat2 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "kcore.h"

#define SAVECORE_NO_DUMP 1
#define SAVECORE_KEPT 2
#define SAVECORE_INCOMPLETE 3
#define SAVECORE_LOCKED 75 /* EX_TEMPFAIL */
/* Where kcore dump puts the dump on a device (src/kvmdump_disk.h). */
#define SAVECORE_DEFAULT_OFFSET 65536
/* How long to wait for another savecore's lock on DIR, in seconds. */
#define SAVECORE_LOCK_WAIT 60
/* bounds and minfree are a number and a newline. */
#define SAVECORE_SMALL_FILE 64
/* A vmcore.N beyond this is a hostile or broken bounds file. */
#define SAVECORE_MAX_N 999999999ULL
#define COPY_CHUNK (1u << 20)

static bool verbose;

static void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

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

/* DIR, opened once: every name in it is reached through fd. */
struct savedir {
	const char *path;
	int fd;
};

/* The output file while it is written: unnamed, or a fresh name. */
struct outfile {
	int fd;
	char tmp[64];	 /* "" when unnamed (O_TMPFILE) */
	char back[4200]; /* a path the library can open it by */
};

/* ------------------------------------------------------ DIR's files */

/*
 * A small regular file of DIR (bounds, minfree) into buf: 1 read, 0 there
 * is none, -1 it is there but no small regular file (a FIFO would block,
 * a link could point anywhere): *why says what.
 */
static int
read_small(const struct savedir *d, const char *name, char *buf, size_t len,
	   const char **why)
{
	int fd = openat(d->fd, name,
			O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY |
				O_CLOEXEC);
	struct stat st;

	*why = NULL;
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		*why = errno == ELOOP ? "a symbolic link" : strerror(errno);
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    st.st_size >= (off_t)len) {
		*why = !S_ISREG(st.st_mode) ? "not a regular file"
					    : "larger than a number";
		close(fd);
		return -1;
	}
	ssize_t n = pread(fd, buf, len - 1, 0);
	close(fd);
	if (n < 0) {
		*why = strerror(errno);
		return -1;
	}
	buf[n] = '\0';
	return 1;
}

/* A decimal number and optional blanks around it, at most max. */
static bool
parse_decimal(const char *s, uint64_t max, uint64_t *ret)
{
	uint64_t v = 0;
	bool digits = false;

	while (*s == ' ' || *s == '\t')
		s++;
	for (; *s >= '0' && *s <= '9'; s++) {
		unsigned d = (unsigned)(*s - '0');
		if (v > (max - d) / 10)
			return false;
		v = v * 10 + d;
		digits = true;
	}
	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	if (!digits || *s)
		return false;
	*ret = v;
	return true;
}

/*
 * DIR/name as a number no larger than max: dflt when there is no such
 * file.  A file that is there but holds no such number is not a reason
 * to lose the dump: it is reported, naming the file and what belongs in
 * it, and *bad is set (the caller picks a safe value).
 */
static void
read_number(const struct savedir *d, const char *name, const char *what,
	    uint64_t max, uint64_t dflt, uint64_t *ret, bool *bad)
{
	char buf[SAVECORE_SMALL_FILE];
	const char *why;
	int r = read_small(d, name, buf, sizeof(buf), &why);

	*ret = dflt;
	*bad = false;
	if (r == 0)
		return;
	if (r > 0 && parse_decimal(buf, max, ret))
		return;
	*bad = true;
	*ret = dflt;
	fprintf(stderr, "savecore: warning: %s/%s: ", d->path, name);
	if (why) {
		fprintf(stderr, "%s", why);
	} else {
		fputs("'", stderr);
		text_string(stderr, buf[0] ? buf : "");
		fputs("' is not a number", stderr);
	}
	fprintf(stderr,
		" (it should hold %s, a decimal number up to %" PRIu64
		"): ignored\n",
		what, max);
}

/* 1 + the largest N of a vmcore.N (or vmcore.N.*) in DIR. */
static uint64_t
next_free_number(const struct savedir *d)
{
	int fd = openat(d->fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *dir = fd >= 0 ? fdopendir(fd) : NULL;
	uint64_t next = 0;
	struct dirent *e;

	if (!dir) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	while ((e = readdir(dir))) {
		uint64_t v = 0;
		const char *s = e->d_name;
		if (strncmp(s, "vmcore.", 7) != 0 || s[7] < '0' || s[7] > '9')
			continue;
		for (s += 7; *s >= '0' && *s <= '9' && v <= SAVECORE_MAX_N; s++)
			v = v * 10 + (uint64_t)(*s - '0');
		if ((*s == '\0' || *s == '.') && v < SAVECORE_MAX_N &&
		    v + 1 > next)
			next = v + 1;
	}
	closedir(dir);
	return next;
}

/* A name no one has used in DIR: prefix and random letters. */
static int
open_fresh(const struct savedir *d, const char *prefix, mode_t mode, char *name,
	   size_t len)
{
	static const char letters[] =
		"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

	for (int tries = 0; tries < 100; tries++) {
		unsigned char r[8];
		if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r)) {
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			uint64_t x = (uint64_t)ts.tv_nsec ^
				     ((uint64_t)getpid() << 20) ^
				     (uint64_t)tries * 0x9e3779b97f4a7c15ULL;
			memcpy(r, &x, sizeof(r));
		}
		char suffix[9];
		for (size_t i = 0; i < 8; i++)
			suffix[i] = letters[r[i] % (sizeof(letters) - 1)];
		suffix[8] = '\0';
		snprintf(name, len, "%s%s", prefix, suffix);
		/* Never through a link, never a file someone made first. */
		int fd = openat(d->fd, name,
				O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW |
					O_CLOEXEC,
				mode);
		if (fd >= 0 || errno != EEXIST)
			return fd;
	}
	errno = EEXIST;
	return -1;
}

/* DIR/bounds = n, through a fresh name and a rename over it. */
static int
write_bounds(const struct savedir *d, uint64_t n)
{
	char tmp[64], num[32];
	int fd = open_fresh(d, ".bounds.", 0644, tmp, sizeof(tmp));
	int len = snprintf(num, sizeof(num), "%" PRIu64 "\n", n);

	if (fd < 0)
		return -1;
	if (write(fd, num, (size_t)len) != len || fsync(fd) != 0) {
		int e = errno;
		close(fd);
		unlinkat(d->fd, tmp, 0);
		errno = e;
		return -1;
	}
	if (close(fd) != 0 || renameat(d->fd, tmp, d->fd, "bounds") != 0) {
		int e = errno;
		unlinkat(d->fd, tmp, 0);
		errno = e;
		return -1;
	}
	return fsync(d->fd) == 0 || errno == EINVAL ? 0 : -1;
}

/* One savecore at a time per DIR: wait a while for another. */
static int
lock_dir(const struct savedir *d)
{
	for (int waited = 0;; waited++) {
		if (flock(d->fd, LOCK_EX | LOCK_NB) == 0)
			return 0;
		if (errno != EWOULDBLOCK) {
			fprintf(stderr, "savecore: %s: lock: %s\n", d->path,
				strerror(errno));
			return KCORE_EXIT_OSERR;
		}
		if (waited == 0)
			note("%s is locked by another savecore: waiting",
			     d->path);
		if (waited >= SAVECORE_LOCK_WAIT * 10) {
			fprintf(stderr,
				"savecore: %s is locked by another "
				"process for %d s: not saved; the dump stays "
				"valid\n",
				d->path, SAVECORE_LOCK_WAIT);
			return SAVECORE_LOCKED;
		}
		struct timespec ts = { 0, 100000000 };
		nanosleep(&ts, NULL);
	}
}

/* ---------------------------------------------------- the output file */

static int
out_create(const struct savedir *d, gid_t gid, bool group, struct outfile *f)
{
	mode_t mode = group ? 0640 : 0600;

	f->tmp[0] = '\0';
	/*
	 * Unnamed until verified: a savecore killed midway leaves nothing,
	 * and no one can open it meanwhile.  The library reads it back
	 * through /proc, so without /proc a fresh name it is.
	 */
	f->fd = -1;
	if (access("/proc/self/fd", X_OK) == 0)
		f->fd = openat(d->fd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC,
			       0600);
	if (f->fd < 0)
		f->fd = open_fresh(d, ".vmcore.", 0600, f->tmp, sizeof(f->tmp));
	if (f->fd < 0) {
		fprintf(stderr, "savecore: %s: creating a file: %s\n", d->path,
			strerror(errno));
		return KCORE_EXIT_OSERR;
	}
	/* Through the descriptor where /proc is: no name to race for. */
	if (!f->tmp[0] || access("/proc/self/fd", X_OK) == 0)
		snprintf(f->back, sizeof(f->back), "/proc/self/fd/%d", f->fd);
	else
		snprintf(f->back, sizeof(f->back), "%s/%s", d->path, f->tmp);
	/* The mode exactly, whatever the umask; the group only if asked. */
	if ((group && fchown(f->fd, (uid_t)-1, gid) != 0) ||
	    fchmod(f->fd, mode) != 0) {
		fprintf(stderr,
			"savecore: %s: setting the new file's owner "
			"and mode: %s\n",
			d->path, strerror(errno));
		return KCORE_EXIT_OSERR;
	}
	return 0;
}

static void
out_discard(const struct savedir *d, struct outfile *f)
{
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
	if (f->tmp[0])
		unlinkat(d->fd, f->tmp, 0);
	f->tmp[0] = '\0';
}

/*
 * Give the verified file its name, vmcore.N[suffix], never replacing a
 * file that has it: N counts on past the names taken.  *n_ret: the N.
 */
static int
out_publish(const struct savedir *d, struct outfile *f, uint64_t n,
	    const char *suffix, char *name, size_t len, uint64_t *n_ret)
{
	for (int tries = 0; tries < 16; tries++) {
		snprintf(name, len, "vmcore.%" PRIu64 "%s", n, suffix);
		int r;
		if (!f->tmp[0]) {
			char proc[64];
			/* Root may link a descriptor; others go by /proc. */
			r = linkat(f->fd, "", d->fd, name, AT_EMPTY_PATH);
			if (r != 0 && errno != EEXIST) {
				snprintf(proc, sizeof(proc), "/proc/self/fd/%d",
					 f->fd);
				r = linkat(AT_FDCWD, proc, d->fd, name,
					   AT_SYMLINK_FOLLOW);
			}
		} else {
			r = renameat2(d->fd, f->tmp, d->fd, name,
				      RENAME_NOREPLACE);
			if (r != 0 && (errno == EINVAL || errno == ENOSYS)) {
				/* No RENAME_NOREPLACE here: link, unlink. */
				r = linkat(d->fd, f->tmp, d->fd, name, 0);
				if (r == 0)
					unlinkat(d->fd, f->tmp, 0);
			}
			if (r == 0)
				f->tmp[0] = '\0';
		}
		if (r == 0) {
			*n_ret = n;
			return fsync(d->fd) == 0 || errno == EINVAL ? 0 : -1;
		}
		if (errno != EEXIST)
			return -1;
		fprintf(stderr, "savecore: %s/%s exists: not replaced\n",
			d->path, name);
		uint64_t next = next_free_number(d);
		n = next > n + 1 ? next : n + 1;
		if (n > SAVECORE_MAX_N)
			break;
	}
	errno = EEXIST;
	return -1;
}

/* ----------------------------------------------------------- writing */

static ssize_t
write_fd(void *cookie, const void *buf, size_t len)
{
	int fd = *(int *)cookie;
	size_t done = 0;

	while (done < len) {
		ssize_t n = write(fd, (const char *)buf + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		done += (size_t)n;
	}
	return (ssize_t)len;
}

static int
pread_full(int fd, void *buf, size_t len, uint64_t off)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = pread(fd, (char *)buf + done, len - done,
				  (off_t)(off + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0) {
			errno = 0; /* short: the device ends */
			return -1;
		}
		done += (size_t)n;
	}
	return 0;
}

/*
 * size bytes of the device from off to the file (after what it holds),
 * then both read again and compared: what the file holds is what the
 * device holds.
 */
static int
copy_bytes(int dfd, const char *device, uint64_t off, uint64_t size,
	   struct outfile *f, const char *dir, const struct kcore_opts *o)
{
	uint8_t *buf = malloc(COPY_CHUNK), *back = malloc(COPY_CHUNK);
	off_t base = lseek(f->fd, 0, SEEK_CUR);
	int st = KCORE_EXIT_OSERR;

	if (!buf || !back || base < 0) {
		fprintf(stderr, "savecore: %s\n",
			strerror(errno ? errno : ENOMEM));
		goto out;
	}
	const uint64_t pages = size / 4096 + 1;
	for (uint64_t done = 0; done < size;) {
		size_t n = (size_t)(size - done < COPY_CHUNK ? size - done
							     : COPY_CHUNK);
		if (pread_full(dfd, buf, n, off + done) != 0) {
			fprintf(stderr,
				"savecore: %s: reading at byte %" PRIu64
				": %s\n",
				device, off + done,
				errno ? strerror(errno) : "the device ends");
			st = SAVECORE_KEPT;
			goto out;
		}
		if (write_fd(&f->fd, buf, n) < 0) {
			fprintf(stderr, "savecore: %s: writing: %s\n", dir,
				strerror(errno));
			goto out;
		}
		done += n;
		if (!o->quiet)
			kcore_progress("savecore", done / 4096 + (done == size),
				       pages);
	}
	if (fsync(f->fd) != 0) {
		fprintf(stderr, "savecore: %s: writing: %s\n", dir,
			strerror(errno));
		goto out;
	}
	note("comparing what was written with %s", device);
	for (uint64_t done = 0; done < size;) {
		size_t n = (size_t)(size - done < COPY_CHUNK ? size - done
							     : COPY_CHUNK);
		if (pread_full(dfd, buf, n, off + done) != 0 ||
		    pread_full(f->fd, back, n, (uint64_t)base + done) != 0 ||
		    memcmp(buf, back, n) != 0) {
			fprintf(stderr,
				"savecore: the file written differs "
				"from %s at byte %" PRIu64 " of the dump\n",
				device, done);
			st = SAVECORE_KEPT;
			goto out;
		}
		done += n;
	}
	st = KCORE_EXIT_OK;
out:
	free(buf);
	free(back);
	return st;
}

/* kcore format: kvm_dump_wrtheader's header, then the dump's own data. */
static int
save_kcore(kvm_t *kd, int dfd, const char *device, uint64_t data_off,
	   uint64_t size, struct outfile *f, const char *dir,
	   const struct kcore_opts *o)
{
	if (kvm_dump_header(kd, write_fd, &f->fd, 0) < 0) {
		fprintf(stderr, "savecore: %s: %s\n", dir, kvm_geterr(kd));
		return KCORE_EXIT_OSERR;
	}
	return copy_bytes(dfd, device, data_off, size, f, dir, o);
}

/* ELF or kdump: written by the library from the device's dump. */
static int
save_converted(kvm_t *kd, int format, struct outfile *f, const char *dir,
	       const struct kcore_opts *o)
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
	if (kvm_dump_write_fd(kd, f->fd, &opts, NULL) < 0) {
		fprintf(stderr, "savecore: %s: %s\n", dir, kvm_geterr(kd));
		int code = kvm_geterrcode(kd);
		return code == KVM_ESYS || code == KVM_ENOMEM ? KCORE_EXIT_OSERR
							      : SAVECORE_KEPT;
	}
	if (fsync(f->fd) != 0) {
		fprintf(stderr, "savecore: %s: writing: %s\n", dir,
			strerror(errno));
		return KCORE_EXIT_OSERR;
	}
	return KCORE_EXIT_OK;
}

/* --------------------------------------------------------- verifying */

/* The kernel's banner, where the dump's symbols find it. */
static bool
banner(kvm_t *kd, char *buf, size_t len)
{
	struct nlist nl[2] = { { .n_name = "linux_banner" }, { 0 } };

	if (kvm_nlist(kd, nl) != 0 || !nl[0].n_value)
		return false;
	ssize_t n = kvm_read(kd, nl[0].n_value, buf, len - 1);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return true;
}

/*
 * Read the saved file back through the library, as a user will: it must
 * open as a dump of the same machine, every page the device's dump holds
 * must read the same from it, and the banner where symbols find it.
 * SAVECORE_KEPT when it does not (the message says which side failed).
 */
static int
verify(kvm_t *kd, const struct outfile *f, const char *device, const char *dir,
       const struct kcore_opts *o)
{
	char errbuf[KVM_ERRBUF_SIZE];
	kvm_t *back = kvm_openfiles(NULL, f->back, NULL, O_RDONLY, errbuf);

	note("verifying the saved file");
	if (!back) {
		fprintf(stderr,
			"savecore: the file written in %s does not "
			"read back: %s\n",
			dir, errbuf);
		return SAVECORE_KEPT;
	}
	struct kvm_info a, b;
	kvm_get_info(kd, &a, sizeof(a));
	kvm_get_info(back, &b, sizeof(b));
	int st = KCORE_EXIT_OK;
	if (strcmp(a.arch, b.arch) != 0 || a.page_size != b.page_size ||
	    strcmp(a.release, b.release) != 0) {
		fprintf(stderr,
			"savecore: the file written reads as another "
			"machine's dump (%s, page size %u) than %s's (%s, %u)\n",
			b.arch, b.page_size, device, a.arch, a.page_size);
		st = SAVECORE_KEPT;
		goto out;
	}
	uint32_t ps = a.page_size ? a.page_size : 4096;
	uint8_t *pa_buf = malloc(ps), *pb_buf = malloc(ps);
	const struct kvm_phys_range *r;
	size_t nr;
	uint64_t total = 0, done = 0;
	kvm_get_phys_ranges(kd, &r, &nr);
	for (size_t i = 0; i < nr; i++)
		total += (r[i].end - r[i].start) / ps;
	for (size_t i = 0; pa_buf && pb_buf && i < nr && !st; i++)
		for (uint64_t pa = r[i].start; pa + ps <= r[i].end && !st;
		     pa += ps, done++) {
			if (!o->quiet && (done & 1023) == 0)
				kcore_progress("verify", done, total);
			if (kvm_read_phys(kd, pa, pa_buf, ps) != (ssize_t)ps) {
				int code = kvm_geterrcode(kd);
				if (code == KVM_ENODATA || code == KVM_ETRUNC)
					continue; /* not in the dump */
				fprintf(stderr,
					"savecore: page 0x%" PRIx64
					" of the dump on %s does not read: "
					"%s\n",
					pa, device, kvm_geterr(kd));
				st = SAVECORE_KEPT;
				break;
			}
			if (kvm_read_phys(back, pa, pb_buf, ps) !=
				    (ssize_t)ps ||
			    memcmp(pa_buf, pb_buf, ps) != 0) {
				fprintf(stderr,
					"savecore: page 0x%" PRIx64
					" of the file written differs from "
					"%s's\n",
					pa, device);
				st = SAVECORE_KEPT;
			}
		}
	if (!pa_buf || !pb_buf) {
		fprintf(stderr, "savecore: out of memory\n");
		st = KCORE_EXIT_OSERR;
	}
	free(pa_buf);
	free(pb_buf);
	if (!st && !o->quiet)
		kcore_progress("verify", total, total);
	char ba[256], bb[256];
	if (!st && banner(kd, ba, sizeof(ba)) &&
	    (!banner(back, bb, sizeof(bb)) || strcmp(ba, bb) != 0)) {
		fprintf(stderr,
			"savecore: the file written does not show the "
			"kernel's banner through its symbols as %s does\n",
			device);
		st = SAVECORE_KEPT;
	}
out:
	kvm_close(back);
	return st;
}

/* ------------------------------------------------------- the command */

/* The panic message: the last log line that says why the kernel died. */
static void
panic_message(kvm_t *kd, char *buf, size_t len)
{
	static const char *const marks[] = { "Kernel panic - not syncing",
					     "sysrq: Trigger a crash",
					     "BUG:", "Oops" };
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

static void
report(kvm_t *kd, const char *device, const struct kvm_info *info)
{
	char when[64], panic[256];

	if (info->crash_time)
		kcore_time_text(info->crash_time, when, sizeof(when));
	else
		snprintf(when, sizeof(when), "at an unknown time");
	panic_message(kd, panic, sizeof(panic));
	/* Release and panic text come from the device: escaped. */
	fprintf(stderr, "savecore: dump on %s: Linux ", device);
	text_string(stderr,
		    info->release[0] ? info->release : "(release unknown)");
	fprintf(stderr, " (%s), crashed %s; %s\nsavecore: panic: ", info->arch,
		when,
		info->dump_incomplete ? "INCOMPLETE (the device was too small)"
				      : "complete");
	text_string(stderr, panic);
	fputc('\n', stderr);
}

/* Room in DIR for need bytes beyond minfree KiB (saturating). */
static int
check_space(const struct savedir *d, uint64_t need, const struct kcore_opts *o)
{
	uint64_t minfree;
	bool bad;
	struct statvfs sv;

	read_number(d, "minfree", "the KiB to keep free", UINT64_MAX, 0,
		    &minfree, &bad);
	if (fstatvfs(d->fd, &sv) != 0) {
		fprintf(stderr, "savecore: %s: %s\n", d->path, strerror(errno));
		return KCORE_EXIT_OSERR;
	}
	uint64_t avail = (uint64_t)sv.f_bavail * sv.f_frsize;
	uint64_t keep = minfree > UINT64_MAX / 1024 ? UINT64_MAX
						    : minfree * 1024;
	uint64_t want = need > UINT64_MAX - keep ? UINT64_MAX : need + keep;
	if (!o->force && avail < want) {
		fprintf(stderr,
			"savecore: %s: %" PRIu64 " KiB free, the dump "
			"needs %" PRIu64 " KiB and minfree keeps %" PRIu64
			" KiB (-f saves anyway)\n",
			d->path, avail / 1024, need / 1024, minfree);
		return KCORE_EXIT_OSERR;
	}
	return 0;
}

/* The number for the next file: bounds, else what DIR holds. */
static uint64_t
first_number(const struct savedir *d)
{
	uint64_t n;
	bool bad;

	read_number(d, "bounds", "the number of the next vmcore",
		    SAVECORE_MAX_N, 0, &n, &bad);
	if (bad)
		n = next_free_number(d);
	return n;
}

/*
 * -f on a dump that cannot be understood: the device's bytes from the
 * dump's start to its end, as they are, in vmcore.N.raw.  The dump on
 * the device is not cleared: no one has read it.
 */
static int
save_raw(const struct savedir *d, const char *device, uint64_t off, gid_t gid,
	 const struct kcore_opts *o)
{
	int dfd = open(device, O_RDONLY | O_CLOEXEC);
	struct outfile f = { .fd = -1 };
	int st;

	if (dfd < 0) {
		fprintf(stderr, "savecore: %s: %s\n", device, strerror(errno));
		return KCORE_EXIT_NOINPUT;
	}
	off_t end = lseek(dfd, 0, SEEK_END);
	if (end < 0 || (uint64_t)end <= off) {
		fprintf(stderr,
			"savecore: %s: no bytes past offset %" PRIu64 "\n",
			device, off);
		close(dfd);
		return SAVECORE_KEPT;
	}
	uint64_t size = (uint64_t)end - off;
	if ((st = check_space(d, size, o)) ||
	    (st = out_create(d, gid, o->group != NULL, &f)) ||
	    (st = copy_bytes(dfd, device, off, size, &f, d->path, o))) {
		out_discard(d, &f);
		close(dfd);
		fprintf(stderr,
			"savecore: not saved; the dump on %s stays "
			"valid\n",
			device);
		return st;
	}
	close(dfd);
	char name[64];
	uint64_t n = first_number(d);
	if (out_publish(d, &f, n, ".raw", name, sizeof(name), &n) != 0) {
		fprintf(stderr, "savecore: %s: naming the saved file: %s\n",
			d->path, strerror(errno));
		out_discard(d, &f);
		return KCORE_EXIT_OSERR;
	}
	out_discard(d, &f);
	if (write_bounds(d, n + 1) != 0)
		fprintf(stderr,
			"savecore: warning: %s/bounds: %s (the next "
			"save still takes a free number)\n",
			d->path, strerror(errno));
	fprintf(stderr,
		"savecore: saved %s/%s, the device's bytes as they "
		"are; the dump on %s stays valid (kcore savecore -c %s clears "
		"it)\n",
		d->path, name, device, device);
	return SAVECORE_KEPT;
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
	struct savedir d = { .fd = -1 };
	struct outfile f = { .fd = -1 };
	kvm_t *kd = NULL;
	int dfd = -1, st;
	gid_t gid = (gid_t)-1;

	verbose = o->verbose;
	if (argc != (o->clear || o->check ? 1 : 2) && argc != 2) {
		kcore_usage_error("usage: kcore savecore [-c] [-f] [-n] [-v] "
				  "[-z] [--format kcore|elf|kdump] DEVICE DIR");
		return KCORE_EXIT_USAGE;
	}
	const char *device = argv[0];
	d.path = argc > 1 ? argv[1] : NULL;
	bool saving = !o->clear && !o->check;
	if (saving && !d.path) {
		kcore_usage_error("savecore: a directory to save into");
		return KCORE_EXIT_USAGE;
	}
	if (o->group) {
		struct group *g = getgrnam(o->group);
		uint64_t v;
		if (g)
			gid = g->gr_gid;
		else if (kcore_parse_u64(o->group, &v) && v < (gid_t)-1)
			gid = (gid_t)v;
		else {
			kcore_usage_error("savecore: --group: no group '%s'",
					  o->group);
			return KCORE_EXIT_USAGE;
		}
	}
	if (saving) {
		/* DIR first: the lock decides who looks at the device. */
		d.fd = open(d.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (d.fd < 0) {
			fprintf(stderr, "savecore: %s: %s\n", d.path,
				strerror(errno));
			return KCORE_EXIT_NOINPUT;
		}
		if ((st = lock_dir(&d)) != 0)
			goto out;
	}
	uint64_t off = o->have_offset ? o->offset : SAVECORE_DEFAULT_OFFSET;
	kd = kvm_openfiles(o->system, device, NULL,
			   saving || o->clear ? O_RDWR : O_RDONLY, errbuf);
	if (!kd) {
		fprintf(stderr, "savecore: %s\n", errbuf);
		st = errno == ENOENT || errno == EACCES ? KCORE_EXIT_NOINPUT
							: KCORE_EXIT_DATAERR;
		goto out;
	}
	int hdr = kvm_dump_mkheader(kd, (off_t)off);
	if (hdr < 0) {
		/* Something is there, and it does not read: never cleared. */
		fprintf(stderr, "savecore: %s: %s\n", device, kvm_geterr(kd));
		if (saving && o->force) {
			st = save_raw(&d, device, off, gid, o);
		} else {
			fprintf(stderr,
				"savecore: the dump on %s stays valid%s\n",
				device,
				saving ? " (-f saves its bytes as they "
					 "are)"
				       : "");
			st = SAVECORE_KEPT;
		}
		goto out;
	}
	if (hdr == 0) {
		fprintf(stderr, "savecore: no dump on %s\n", device);
		st = SAVECORE_NO_DUMP;
		goto out;
	}
	struct kvm_info info;
	kvm_get_info(kd, &info, sizeof(info));
	report(kd, device, &info);
	if (o->clear) {
		if (kvm_dump_inval(kd) < 0)
			st = kcore_fail(kd, "savecore");
		else {
			fprintf(stderr, "savecore: dump on %s cleared\n",
				device);
			st = KCORE_EXIT_OK;
		}
		goto out;
	}
	if (o->check) {
		st = KCORE_EXIT_OK; /* -n: the dump is there; nothing else */
		goto out;
	}

	/*
	 * kdump-compressed unless asked (DESIGN §6): crash, drgn,
	 * makedumpfile and libkdumpfile open it; -z is the same, as BSD's.
	 */
	int format = o->outfmt >= 0 ? o->outfmt : KVM_DUMP_KDUMP;
	if ((st = check_space(&d, info.dump_size + 65536, o)))
		goto kept;
	if (format == KVM_DUMP_DEVICE &&
	    (dfd = open(device, O_RDONLY | O_CLOEXEC)) < 0) {
		fprintf(stderr, "savecore: %s: %s\n", device, strerror(errno));
		st = KCORE_EXIT_NOINPUT;
		goto kept;
	}
	if ((st = out_create(&d, gid, o->group != NULL, &f)))
		goto kept;
	note("saving %" PRIu64 " bytes of dump data into %s", info.dump_size,
	     d.path);
	st = format == KVM_DUMP_DEVICE
		     ? save_kcore(kd, dfd, device, off + (uint64_t)hdr,
				  info.dump_size, &f, d.path, o)
		     : save_converted(kd, format, &f, d.path, o);
	if (!st)
		st = verify(kd, &f, device, d.path, o);
	if (st) {
		if (st == SAVECORE_KEPT && o->force) {
			out_discard(&d, &f);
			st = save_raw(&d, device, off, gid, o);
			goto out;
		}
		goto kept;
	}
	char name[64];
	uint64_t n = first_number(&d);
	if (out_publish(&d, &f, n, "", name, sizeof(name), &n) != 0) {
		fprintf(stderr, "savecore: %s: naming the saved file: %s\n",
			d.path, strerror(errno));
		st = KCORE_EXIT_OSERR;
		goto kept;
	}
	out_discard(&d, &f);
	if (write_bounds(&d, n + 1) != 0)
		fprintf(stderr,
			"savecore: warning: %s/bounds: %s (the next "
			"save still takes a free number)\n",
			d.path, strerror(errno));
	/* Saved, verified and named: only now is the dump marked saved. */
	if (kvm_dump_inval(kd) < 0) {
		st = kcore_fail(kd, "savecore: marking the dump saved");
		goto out;
	}
	fprintf(stderr, "savecore: saved %s/%s\n", d.path, name);
	if (info.dump_incomplete) {
		fprintf(stderr, "savecore: the dump is incomplete (the device "
				"was too small): saved what there is\n");
		st = SAVECORE_INCOMPLETE;
	}
	goto out;
kept:
	out_discard(&d, &f);
	fprintf(stderr, "savecore: not saved; the dump on %s stays valid\n",
		device);
out:
	if (dfd >= 0)
		close(dfd);
	kvm_close(kd);
	if (d.fd >= 0)
		close(d.fd); /* and the lock with it */
	return st;
}
