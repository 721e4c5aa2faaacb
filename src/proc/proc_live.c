// SPDX-License-Identifier: BSD-2-Clause
/*
 * Processes, argv/environ, load average and kernel log of the running
 * system, for KVM_NO_FILES handles and live handles whose memory cannot be
 * read: /proc as proc(5) and fs/proc/array.c (do_task_stat(),
 * proc_pid_status()) write it, and syslog(2) (kernel/printk/printk.c).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/klog.h>
#include <unistd.h>

#include "proc.h"

/*
 * One /proc/PID/stat line: 52 numbers of at most 20 digits and the comm,
 * at most 64 bytes (TASK_COMM_LEN, longer for kernel threads since 6.x).
 * /proc/PID/status is read as far as this too: Uid: and Gid: are its 9th
 * and 10th lines, after a Name: of at most 64 escaped bytes.
 */
#define LIVE_FILE_MAX 4096
/* PF_KTHREAD, include/linux/sched.h. */
#define LIVE_PF_KTHREAD 0x00200000u
/* include/linux/syslog.h: these are not in the uapi headers. */
#define LIVE_SYSLOG_READ_ALL 3
#define LIVE_SYSLOG_SIZE_BUFFER 10
/*
 * The longest record syslog(2) formats (PRINTK_MESSAGE_MAX, 2048 in 6.x;
 * 1024 before): READ_ALL leaves out the oldest records that do not fit,
 * so a buffer with less room left than this may have lost some.
 */
#define LIVE_LOG_RECORD_MAX 4096

/* Errors that mean the process exited while we read it. */
static bool
live_gone(int e)
{
	/* ESRCH: the task exited between open and read. */
	return e == ENOENT || e == ESRCH;
}

/*
 * Read up to cap bytes of path (relative to dirfd) into buf.  Returns 0
 * and the length, or a positive errno with nothing recorded: whether an
 * error means "the process is gone" is the caller's call.
 */
static int
live_read_at(int dirfd, const char *path, char *buf, size_t cap,
	     size_t *len_ret)
{
	size_t len = 0;
	int err = 0;

	*len_ret = 0;
	int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	while (len < cap) {
		ssize_t r = read(fd, buf + len, cap - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			err = errno;
			break;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	*len_ret = len;
	return err;
}

static bool
live_isdigit(char c)
{
	/* Not isdigit(): the caller's locale must not matter. */
	return c >= '0' && c <= '9';
}

/* A decimal number at *s (before end), '-' allowed; false on garbage. */
static bool
live_number(const char **s, const char *end, uint64_t *ret)
{
	const char *p = *s;
	bool neg = false;
	uint64_t v = 0;

	if (p < end && *p == '-') {
		neg = true;
		p++;
	}
	if (p == end || !live_isdigit(*p))
		return false;
	for (; p < end && live_isdigit(*p); p++)
		if (kvm_mul_overflow(v, 10, &v) ||
		    kvm_add_overflow(v, (uint64_t)(*p - '0'), &v))
			return false;
	/* Negative values (tpgid -1, nice, RT priorities) wrap as in C. */
	*ret = neg ? -v : v;
	*s = p;
	return true;
}

/* A /proc directory name that is a pid (all digits, in range). */
static bool
live_pid_name(const char *name, int32_t *pid_ret)
{
	const char *s = name, *end = name + strlen(name);
	uint64_t v;

	if (!live_number(&s, end, &v) || s != end || *name == '-' || v == 0 ||
	    v > INT32_MAX)
		return false;
	*pid_ret = (int32_t)v;
	return true;
}

/*
 * Fields of /proc/PID/stat, numbered as in proc_pid_stat(5); 1 is the pid,
 * 2 the comm and 3 the state, the numbers we use run to ST_LAST.
 */
enum {
	ST_PPID = 4,
	ST_PGRP = 5,
	ST_SESSION = 6,
	ST_TTY_NR = 7,
	ST_TPGID = 8,
	ST_FLAGS = 9,
	ST_UTIME = 14,
	ST_STIME = 15,
	ST_PRIORITY = 18,
	ST_NICE = 19,
	ST_NUM_THREADS = 20,
	ST_STARTTIME = 22,
	ST_VSIZE = 23,
	ST_RSS = 24,
	ST_LAST = ST_RSS
};

/* Clock ticks as seconds and microseconds. */
static void
live_ticks(uint64_t t, long hz, uint64_t *sec, uint32_t *usec)
{
	*sec = t / (uint64_t)hz;
	*usec = (uint32_t)(t % (uint64_t)hz * 1000000 / (uint64_t)hz);
}

static int
live_parse_stat(kvm_t *kd, int32_t pid, const char *buf, size_t len, long hz,
		struct kinfo_proc2 *p)
{
	const char *end = buf + len, *s = buf;
	uint64_t v[ST_LAST + 1];

	/*
	 * "pid (comm) S ...": the comm may hold ')' and spaces (prctl
	 * PR_SET_NAME), so it ends at the last ')' of the line.
	 */
	const char *lp = memchr(buf, '(', len);
	const char *rp = NULL;
	for (const char *q = end; q > buf; q--)
		if (q[-1] == ')') {
			rp = q - 1;
			break;
		}
	if (!live_number(&s, end, &v[1]) || v[1] != (uint64_t)pid || !lp ||
	    !rp || rp < lp || end - rp < 4 || rp[1] != ' ' || rp[3] != ' ')
		return kvm_error(kd, KVM_ECORRUPT,
				 "/proc/%d/stat: unexpected format", pid);
	size_t clen = KVM_MIN((size_t)(rp - lp - 1), sizeof(p->p_comm) - 1);
	memcpy(p->p_comm, lp + 1, clen);
	p->p_comm[clen] = '\0';
	p->p_stat = rp[2];
	s = rp + 3;
	for (int i = ST_PPID; i <= ST_LAST; i++) {
		if (s >= end || *s++ != ' ' || !live_number(&s, end, &v[i]))
			return kvm_error(kd, KVM_ECORRUPT,
					 "/proc/%d/stat: field %d unreadable",
					 pid, i);
	}
	p->p_pid = pid;
	p->p_ppid = (int32_t)v[ST_PPID];
	p->p__pgid = (int32_t)v[ST_PGRP];
	p->p_sid = (int32_t)v[ST_SESSION];
	/* tty_nr is the tty's dev_t in the kernel's new_encode_dev() form. */
	p->p_tdev = v[ST_TTY_NR] ? (uint32_t)v[ST_TTY_NR] : KVM_NODEV;
	p->p_tpgid = (int32_t)v[ST_TPGID];
	p->p_flag = (uint32_t)v[ST_FLAGS];
	p->p_kthread = (p->p_flag & LIVE_PF_KTHREAD) != 0;
	p->p_priority = (int32_t)v[ST_PRIORITY];
	p->p_nice = (int32_t)v[ST_NICE];
	p->p_nlwps = (int32_t)v[ST_NUM_THREADS];
	live_ticks(v[ST_UTIME], hz, &p->p_uutime_sec, &p->p_uutime_usec);
	live_ticks(v[ST_STIME], hz, &p->p_ustime_sec, &p->p_ustime_usec);
	live_ticks(v[ST_STARTTIME], hz, &p->p_ustart_sec, &p->p_ustart_usec);
	p->p_vm_vsize = v[ST_VSIZE];
	p->p_vm_rssize = v[ST_RSS];
	return 0;
}

/*
 * The real, effective and saved ids of a "Uid:" or "Gid:" line of
 * /proc/PID/status ("Uid:\treal\teffective\tsaved\tfs").
 */
static bool
live_status_ids(const char *buf, size_t len, const char *key, uint32_t ids[3])
{
	const char *end = buf + len;
	size_t klen = strlen(key);

	for (const char *s = buf; s < end;) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		const char *eol = nl ? nl : end;
		if ((size_t)(eol - s) > klen && !memcmp(s, key, klen)) {
			s += klen;
			for (int i = 0; i < 3; i++) {
				uint64_t v;
				if (s >= eol || (*s != '\t' && *s != ' '))
					return false;
				while (s < eol && (*s == '\t' || *s == ' '))
					s++;
				if (s == eol || *s == '-' ||
				    !live_number(&s, eol, &v) || v > UINT32_MAX)
					return false;
				ids[i] = (uint32_t)v;
			}
			return true;
		}
		s = eol + 1;
	}
	return false;
}

/*
 * Fill p for one process: 1 when filled, 0 when the process went away
 * while we read it, or an error (recorded).
 */
static int
live_proc_fill(kvm_t *kd, int procfd, int32_t pid, long hz,
	       struct kinfo_proc2 *p)
{
	char buf[LIVE_FILE_MAX], path[32];
	uint32_t uid[3], gid[3];
	size_t len;
	int err;

	memset(p, 0, sizeof(*p));
	snprintf(path, sizeof(path), "%d/stat", pid);
	if ((err = live_read_at(procfd, path, buf, sizeof(buf), &len))) {
		if (live_gone(err))
			return 0;
		errno = err;
		return kvm_error_sys(kd, "/proc/%s", path);
	}
	/* An exited task can leave an empty read rather than ESRCH. */
	if (len == 0)
		return 0;
	if ((err = live_parse_stat(kd, pid, buf, len, hz, p)))
		return err;

	snprintf(path, sizeof(path), "%d/status", pid);
	if ((err = live_read_at(procfd, path, buf, sizeof(buf), &len))) {
		if (live_gone(err))
			return 0;
		errno = err;
		return kvm_error_sys(kd, "/proc/%s", path);
	}
	if (len == 0)
		return 0;
	if (!live_status_ids(buf, len, "Uid:", uid) ||
	    !live_status_ids(buf, len, "Gid:", gid))
		return kvm_error(kd, KVM_ECORRUPT,
				 "/proc/%s: no Uid: or Gid: line", path);
	p->p_ruid = uid[0];
	p->p_uid = uid[1];
	p->p_svuid = uid[2];
	p->p_rgid = gid[0];
	p->p_gid = gid[1];
	p->p_svgid = gid[2];
	return 1;
}

int
kvm_proc_live_list(kvm_t *kd, struct kinfo_proc2 **procs_ret, size_t *n_ret)
{
	struct kinfo_proc2 *procs = NULL;
	size_t n = 0, cap = 0, nfail = 0;
	int err = 0;

	*procs_ret = NULL;
	*n_ret = 0;
	long hz = sysconf(_SC_CLK_TCK);
	if (hz <= 0)
		return kvm_error_sys(kd, "sysconf(_SC_CLK_TCK)");
	DIR *dir = opendir("/proc");
	if (!dir)
		return kvm_error_sys(kd, "opendir /proc");
	for (;;) {
		errno = 0;
		struct dirent *de = readdir(dir);
		int32_t pid;
		if (!de) {
			if (errno) {
				err = kvm_error_sys(kd, "reading /proc");
				nfail++;
			}
			break;
		}
		if (!live_pid_name(de->d_name, &pid))
			continue;
		if (n == KVM_PROC_MAX_TASKS) {
			err = kvm_error(kd, KVM_ECORRUPT,
					"/proc: more than %u processes",
					KVM_PROC_MAX_TASKS);
			nfail++;
			break;
		}
		if (n == cap) {
			size_t ncap = cap ? 2 * cap : 256;
			if (ncap > KVM_PROC_MAX_TASKS)
				ncap = KVM_PROC_MAX_TASKS;
			void *q = realloc(procs, ncap * sizeof(*procs));
			if (!q) {
				err = kvm_error(kd, KVM_ENOMEM,
						"out of memory");
				nfail++;
				break;
			}
			procs = q;
			cap = ncap;
		}
		int r = live_proc_fill(kd, dirfd(dir), pid, hz, &procs[n]);
		if (r > 0) {
			n++;
		} else if (r < 0) {
			/*
			 * One unreadable process (hidepid=, a damaged line)
			 * must not hide the others: go on, report at the end.
			 */
			err = r;
			nfail++;
		}
	}
	closedir(dir);
	if (nfail > 1)
		kvm_error_ctx(kd, "/proc: %zu processes unreadable", nfail);
	*procs_ret = procs;
	*n_ret = n;
	return err;
}

/* Why the argument or environment area of pid could not be read. */
static int
live_args_error(kvm_t *kd, int32_t pid, const char *what, int e)
{
	if (live_gone(e))
		return kvm_error(kd, KVM_ENOENT, "no process %d", pid);
	errno = e;
	if (e == EACCES || e == EPERM)
		return kvm_error_sys(kd,
				     "/proc/%d/%s: another user's process "
				     "needs root (ptrace read access)",
				     pid, what);
	return kvm_error_sys(kd, "/proc/%d/%s", pid, what);
}

int
kvm_proc_live_args(kvm_t *kd, const struct kinfo_proc2 *p, bool env,
		   char **buf_ret, size_t *len_ret)
{
	const char *what = env ? "environ" : "cmdline";
	size_t len = 0, cap = 0;
	char *buf = NULL;
	char path[48];
	int err = 0;

	*buf_ret = NULL;
	*len_ret = 0;
	/*
	 * Neither has user memory (/proc would give 0 bytes), and a kernel
	 * thread's environ is readable by root alone: do not ask.
	 */
	if (p->p_kthread || p->p_stat == 'Z')
		return 0;
	if (p->p_pid <= 0)
		return kvm_error(kd, KVM_ENOENT, "no process %d", p->p_pid);
	snprintf(path, sizeof(path), "/proc/%d/%s", p->p_pid, what);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return live_args_error(kd, p->p_pid, what, errno);
	for (;;) {
		if (len == cap) {
			if (cap == KVM_PROC_MAX_ARGS) {
				char c;
				ssize_t r = read(fd, &c, 1);
				if (r > 0)
					err = kvm_error(kd, KVM_ETRUNC,
							"/proc/%d/%s: more "
							"than %u bytes; cut",
							p->p_pid, what,
							KVM_PROC_MAX_ARGS);
				break;
			}
			size_t ncap = cap ? 2 * cap : 4096;
			if (ncap > KVM_PROC_MAX_ARGS)
				ncap = KVM_PROC_MAX_ARGS;
			char *q = realloc(buf, ncap);
			if (!q) {
				err = kvm_error(kd, KVM_ENOMEM,
						"out of memory");
				break;
			}
			buf = q;
			cap = ncap;
		}
		ssize_t r = read(fd, buf + len, cap - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			err = live_args_error(kd, p->p_pid, what, errno);
			break;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	*buf_ret = buf;
	*len_ret = len;
	return err;
}

/*
 * /proc/PID/mem: the kernel reads the process's memory for us, faulting
 * swapped pages in (ptrace read access: root, or the process's owner).
 */
int
kvm_proc_live_uread(kvm_t *kd, const struct kinfo_proc2 *p, uint64_t va,
		    void *buf, size_t len, size_t *done_ret)
{
	char path[48];
	size_t done = 0;
	int err = 0;

	*done_ret = 0;
	if (p->p_pid <= 0)
		return kvm_error(kd, KVM_ENOENT, "no process %d", p->p_pid);
	if (va > (uint64_t)INT64_MAX || len > (uint64_t)INT64_MAX - va)
		return kvm_error(kd, KVM_EFAULT,
				 "pid %d: 0x%llx is not in user space",
				 p->p_pid, (unsigned long long)va);
	snprintf(path, sizeof(path), "/proc/%d/mem", p->p_pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return live_args_error(kd, p->p_pid, "mem", errno);
	while (done < len) {
		ssize_t r = pread(fd, (char *)buf + done, len - done,
				  (off_t)(va + done));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (r == 0 || errno == EIO || errno == EFAULT)
				err = kvm_error(kd, KVM_EFAULT,
						"pid %d: user address 0x%llx "
						"is not mapped",
						p->p_pid,
						(unsigned long long)(va +
								     done));
			else
				err = live_args_error(kd, p->p_pid, "mem",
						      errno);
			break;
		}
		done += (size_t)r;
	}
	close(fd);
	*done_ret = done;
	return err;
}

/* "12.34": a load average as the kernel prints it, whatever the locale. */
static bool
live_load(const char **s, const char *end, double *ret)
{
	uint64_t ip, fp = 0, scale = 1;

	if (*s == end || **s == '-' || !live_number(s, end, &ip))
		return false;
	if (*s < end && **s == '.') {
		for ((*s)++; *s < end && live_isdigit(**s); (*s)++)
			if (scale < 1000000000) {
				fp = fp * 10 + (uint64_t)(**s - '0');
				scale *= 10;
			}
	}
	/* One division of exact integers: the double strtod() would give. */
	uint64_t all;
	if (kvm_mul_overflow(ip, scale, &all) ||
	    kvm_add_overflow(all, fp, &all))
		*ret = (double)ip + (double)fp / (double)scale;
	else
		*ret = (double)all / (double)scale;
	return true;
}

int
kvm_proc_live_loadavg(kvm_t *kd, double la[3])
{
	char buf[256];
	size_t len;
	int err;

	if ((err = live_read_at(AT_FDCWD, "/proc/loadavg", buf, sizeof(buf),
				&len))) {
		errno = err;
		return kvm_error_sys(kd, "/proc/loadavg");
	}
	/* "0.50 0.23 0.09 1/83 5843" (fs/proc/loadavg.c) */
	const char *s = buf, *end = buf + len;
	for (int i = 0; i < 3; i++) {
		bool sep = i == 0 || (s < end && *s++ == ' ');
		if (!sep || !live_load(&s, end, &la[i]))
			return kvm_error(kd, KVM_ECORRUPT,
					 "/proc/loadavg: unexpected format");
	}
	return 0;
}

/* "[digits.digits]" at *s: a timestamp; sets *s past it. */
static bool
live_log_time(const char **s, const char *end, uint64_t *ns_ret)
{
	const char *p = *s;
	uint64_t sec, frac = 0, scale = 1;

	if (p == end || *p++ != '[')
		return false;
	while (p < end && *p == ' ')
		p++;
	if (p == end || *p == '-' || !live_number(&p, end, &sec) || p == end ||
	    *p++ != '.')
		return false;
	for (; p < end && live_isdigit(*p); p++)
		if (scale < 1000000000) {
			frac = frac * 10 + (uint64_t)(*p - '0');
			scale *= 10;
		}
	if (p == end || *p++ != ']' || scale == 1)
		return false;
	uint64_t ns = frac * (1000000000 / scale);
	if (kvm_mul_overflow(sec, 1000000000, &sec) ||
	    kvm_add_overflow(sec, ns, &sec))
		return false;
	*ns_ret = sec;
	*s = p;
	return true;
}

/*
 * "[    T123]" (a thread) or "[     C1]" (a CPU) after the timestamp: the
 * caller id of CONFIG_PRINTK_CALLER, as print_caller() writes it.
 */
static bool
live_log_caller(const char **s, const char *end, uint32_t *id_ret)
{
	const char *p = *s;
	uint64_t v;

	if (p == end || *p++ != '[')
		return false;
	while (p < end && *p == ' ')
		p++;
	if (p == end || (*p != 'T' && *p != 'C'))
		return false;
	bool cpu = *p++ == 'C';
	if (p == end || *p == '-' || !live_number(&p, end, &v) ||
	    v > 0x7fffffff || p == end || *p++ != ']')
		return false;
	*id_ret = cpu ? 0x80000000u | (uint32_t)v : (uint32_t)v;
	*s = p;
	return true;
}

/* One line of READ_ALL: "<L>[    s.uuuuuu] text", both prefixes optional. */
static int
live_log_line(kvm_t *kd, struct kvm_log *log, uint64_t seq, const char *s,
	      const char *end)
{
	int level = -1, facility = -1;
	uint64_t ts = 0, v;
	uint32_t caller = 0;
	const char *p = s + 1;

	/* <facility * 8 + level>, as the syslog(3) priority. */
	if (s < end && *s == '<' && p < end && *p != '-' &&
	    live_number(&p, end, &v) && v <= 1023 && p < end && *p == '>') {
		level = (int)(v & 7);
		facility = (int)(v >> 3);
		s = p + 1;
	}
	/* Absent with printk.time=0; the entry then says 0 ns. */
	bool time = live_log_time(&s, end, &ts);
	bool who = live_log_caller(&s, end, &caller);
	/* info_print_prefix() ends a prefix with one space. */
	if ((time || who) && s < end && *s == ' ')
		s++;
	return kvm_log_add(kd, log, seq, ts, level, facility, caller, s,
			   (size_t)(end - s));
}

int
kvm_log_load_live(kvm_t *kd, struct kvm_log *log)
{
	int err = 0;

	int size = klogctl(LIVE_SYSLOG_SIZE_BUFFER, NULL, 0);
	if (size < 0) {
		if (errno == EPERM || errno == EACCES)
			return kvm_error_sys(kd,
					     "syslog(2): reading the kernel "
					     "log needs CAP_SYSLOG when "
					     "kernel.dmesg_restrict=1 (run as "
					     "root, or sysctl "
					     "kernel.dmesg_restrict=0)");
		if (errno == ENOSYS)
			return kvm_error(kd, KVM_ENOTSUP,
					 "syslog(2): not available (kernel "
					 "without CONFIG_PRINTK)");
		return kvm_error_sys(kd, "syslog(2) SIZE_BUFFER");
	}
	/*
	 * The size is that of the text ring; formatted with prefixes the
	 * log is longer, and READ_ALL then drops the oldest records.  Grow
	 * until the answer leaves room for one more record.
	 */
	size_t cap = KVM_MIN(2 * (size_t)size + LIVE_LOG_RECORD_MAX,
			     (size_t)KVM_LOG_MAX_TEXT);
	char *buf = NULL;
	int n;
	for (;;) {
		free(buf);
		if (!(buf = malloc(cap)))
			return kvm_error(kd, KVM_ENOMEM, "out of memory");
		n = klogctl(LIVE_SYSLOG_READ_ALL, buf, (int)cap);
		if (n < 0) {
			err = kvm_error_sys(kd, "syslog(2) READ_ALL");
			free(buf);
			return err;
		}
		if (cap - (size_t)n >= LIVE_LOG_RECORD_MAX ||
		    cap == KVM_LOG_MAX_TEXT)
			break;
		cap = KVM_MIN(2 * cap, (size_t)KVM_LOG_MAX_TEXT);
	}
	/*
	 * syslog(2) gives no sequence numbers: count from 0.  A record of
	 * several lines comes back as several lines, each with the prefix
	 * (record_print_text()), and nothing marks them as one record: each
	 * line is a record here.
	 */
	const char *s = buf, *end = buf + n;
	for (uint64_t seq = 0; s < end && !err; seq++) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		const char *eol = nl ? nl : end;
		err = live_log_line(kd, log, seq, s, eol);
		s = nl ? nl + 1 : end;
	}
	free(buf);
	return err;
}
