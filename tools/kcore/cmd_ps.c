// SPDX-License-Identifier: BSD-2-Clause
/*
 * kcore ps, args, env and loadavg: the process table, one process's
 * argv or environment, and the load averages.  A partial answer (a
 * damaged task list, a page missing from the dump) is printed, followed
 * by a warning, with exit status 1.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kcore.h"

/* After a call that succeeded: warn about what it could not read. */
static int
partial_status(kvm_t *kd, const char *what)
{
	if (kvm_geterrcode(kd) == KVM_EOK)
		return KCORE_EXIT_OK;
	fprintf(stderr, "kcore: %s: incomplete: %s\n", what, kvm_geterr(kd));
	return KCORE_EXIT_PARTIAL;
}

static void
ps_json(const struct kinfo_proc2 *p, int n)
{
	putchar('[');
	for (int i = 0; i < n; i++, p++) {
		printf("%s\n {\"pid\": %d, \"ppid\": %d, \"pgid\": %d, "
		       "\"sid\": %d, \"uid\": %u, \"euid\": %u, \"suid\": %u, "
		       "\"gid\": %u, \"egid\": %u, \"sgid\": %u, \"state\": ",
		       i ? "," : "", p->p_pid, p->p_ppid, p->p__pgid, p->p_sid,
		       p->p_ruid, p->p_uid, p->p_svuid, p->p_rgid, p->p_gid,
		       p->p_svgid);
		char st[2] = { p->p_stat, 0 };
		json_string(stdout, st);
		printf(", \"comm\": ");
		json_string(stdout, p->p_comm);
		printf(", \"nthreads\": %d, \"start_time\": %" PRIu64
		       ".%06u, \"tty\": ",
		       p->p_nlwps, p->p_ustart_sec, p->p_ustart_usec);
		if (p->p_tdev == KVM_NODEV)
			printf("null");
		else
			printf("%u", p->p_tdev);
		printf(", \"nice\": %d, \"priority\": %d, \"flags\": %u, "
		       "\"utime\": %" PRIu64 ".%06u, \"stime\": %" PRIu64
		       ".%06u, \"vsize\": %" PRIu64 ", \"rss\": %" PRIu64
		       ", \"kthread\": %s, \"task\": ",
		       p->p_nice, p->p_priority, p->p_flag, p->p_uutime_sec,
		       p->p_uutime_usec, p->p_ustime_sec, p->p_ustime_usec,
		       p->p_vm_vsize, p->p_vm_rssize,
		       p->p_kthread ? "true" : "false");
		if (p->p_paddr)
			json_hex(stdout, p->p_paddr);
		else
			printf("null");
		putchar('}');
	}
	puts("\n]");
}

static void
ps_text(const struct kinfo_proc2 *p, int n)
{
	printf("%7s %7s %7s %7s %5s %5s %5s S %4s %10s COMMAND\n", "PID",
	       "PPID", "PGID", "SID", "UID", "EUID", "GID", "NLWP", "START");
	for (int i = 0; i < n; i++, p++) {
		printf("%7d %7d %7d %7d %5u %5u %5u %c %4d %6" PRIu64
		       ".%03u %s",
		       p->p_pid, p->p_ppid, p->p__pgid, p->p_sid, p->p_ruid,
		       p->p_uid, p->p_rgid, p->p_stat ? p->p_stat : '?',
		       p->p_nlwps, p->p_ustart_sec, p->p_ustart_usec / 1000,
		       p->p_kthread ? "[" : "");
		text_string(stdout, p->p_comm);
		printf("%s\n", p->p_kthread ? "]" : "");
	}
}

int
cmd_ps(kvm_t *kd, const struct kcore_opts *o, int argc, char **argv)
{
	int n;

	(void)argv;
	if (argc != 0) {
		kcore_usage_error("usage: kcore ps");
		return KCORE_EXIT_USAGE;
	}
	kvm_clearerr(kd);
	struct kinfo_proc2 *p =
		kvm_getproc2(kd, KERN_PROC_ALL, 0, sizeof(*p), &n);
	if (!p)
		return kcore_fail(kd, "ps");
	if (o->json)
		ps_json(p, n);
	else
		ps_text(p, n);
	return partial_status(kd, "ps");
}

/* args and env: the vector of one process, one string a line. */
static int
print_vector(kvm_t *kd, const struct kcore_opts *o, int argc, char **argv,
	     bool env)
{
	const char *what = env ? "env" : "args";
	uint64_t pid;
	int n;

	if (argc != 1 || !kcore_parse_u64(argv[0], &pid) || pid > INT32_MAX) {
		kcore_usage_error("usage: kcore %s PID", what);
		return KCORE_EXIT_USAGE;
	}
	kvm_clearerr(kd);
	struct kinfo_proc2 *p =
		kvm_getproc2(kd, KERN_PROC_PID, (int)pid, sizeof(*p), &n);
	if (!p)
		return kcore_fail(kd, what);
	if (n == 0) {
		kcore_note_error("not_found", "%s: no process %" PRIu64, what,
				 pid);
		fprintf(stderr, "kcore: %s\n", kcore_err_msg);
		return KCORE_EXIT_PARTIAL;
	}
	/* The vector lives until the next call: p is copied first. */
	struct kinfo_proc2 kp = p[0];
	kvm_clearerr(kd);
	char **v = env ? kvm_getenvv2(kd, &kp, 0) : kvm_getargv2(kd, &kp, 0);
	if (!v)
		return kcore_fail(kd, what);
	if (o->json)
		putchar('[');
	for (int i = 0; v[i]; i++) {
		if (o->json) {
			if (i)
				fputs(", ", stdout);
			json_string(stdout, v[i]);
		} else {
			/* Escaped: an argument may hold a newline or ESC. */
			text_string(stdout, v[i]);
			putchar('\n');
		}
	}
	if (o->json)
		puts("]");
	return partial_status(kd, what);
}

int
cmd_args(kvm_t *kd, const struct kcore_opts *o, int argc, char **argv)
{
	return print_vector(kd, o, argc, argv, false);
}

int
cmd_env(kvm_t *kd, const struct kcore_opts *o, int argc, char **argv)
{
	return print_vector(kd, o, argc, argv, true);
}

/*
 * The kernel prints an average a (fixed point, FSHIFT 11) as
 * LOAD_INT(a + FIXED_1/200) "." LOAD_FRAC(a + FIXED_1/200)
 * (fs/proc/loadavg.c); do the same so that we show its digits.
 */
static void
loadavg_digits(double v, unsigned *ip, unsigned *fp)
{
	uint64_t a = (uint64_t)llround(v * 2048.0) + 2048 / 200;

	*ip = (unsigned)(a >> 11);
	*fp = (unsigned)(((a & 2047) * 100) >> 11);
}

int
cmd_loadavg(kvm_t *kd, const struct kcore_opts *o, int argc, char **argv)
{
	double la[3];

	(void)argv;
	if (argc != 0) {
		kcore_usage_error("usage: kcore loadavg");
		return KCORE_EXIT_USAGE;
	}
	int n = kvm_getloadavg(kd, la, 3);
	if (n < 0)
		return kcore_fail(kd, "loadavg");
	if (o->json)
		putchar('[');
	for (int i = 0; i < n; i++) {
		unsigned ip, fp;
		loadavg_digits(la[i], &ip, &fp);
		printf("%s%u.%02u", i ? (o->json ? ", " : " ") : "", ip, fp);
	}
	puts(o->json ? "]" : "");
	return KCORE_EXIT_OK;
}
