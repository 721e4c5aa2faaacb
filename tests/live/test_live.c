// SPDX-License-Identifier: BSD-2-Clause
/*
 * kvm(3) on the running system with a KVM_NO_FILES handle (DESIGN §1a,
 * §5): the process list, argv and environ, the load average and the
 * kernel log, checked against what this process knows of itself, against
 * children it sets up (their own session and groups, awkward arguments,
 * stopped and dead) and against /proc read here independently.
 *
 * Run with the argument CHILD_ARG, the program is one of those children:
 * it says it is ready on fd CHILD_FD and sleeps until killed.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/klog.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <setjmp.h>
#include <cmocka.h>

#include <kvm.h>

#define CHILD_ARG "--libkvm-live-child"
#define CHILD_FD 3
#define PF_KTHREAD 0x00200000u /* include/linux/sched.h */
#define MAX_KIDS 16

static kvm_t *kd;
static char self_exe[PATH_MAX];
/* Children to kill after each test, in the order they are reaped. */
static pid_t kids[MAX_KIDS];
static int nkids;

static void
kid_add(pid_t pid)
{
	assert_true(nkids < MAX_KIDS);
	kids[nkids++] = pid;
}

static int
kids_kill(void **state)
{
	(void)state;
	for (int i = 0; i < nkids; i++)
		kill(kids[i], SIGKILL);
	/*
	 * A grandchild is ours to reap once its parent is gone: we are a
	 * child subreaper (main()), and kids[] lists parents first.
	 */
	for (int i = 0; i < nkids; i++)
		while (waitpid(kids[i], NULL, 0) < 0 && errno == EINTR)
			;
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	nkids = 0;
	return 0;
}

static void
hang(void)
{
	for (;;)
		pause();
}

/* In a new child: die with the parent, so no test leaves children. */
static void
child_init(pid_t parent)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(1);
}

static void
write_all(int fd, const void *buf, size_t len)
{
	if (write(fd, buf, len) != (ssize_t)len)
		_exit(1);
}

static void
read_all(int fd, void *buf, size_t len)
{
	ssize_t r;

	while ((r = read(fd, buf, len)) < 0 && errno == EINTR)
		;
	assert_int_equal(r, (ssize_t)len);
}

static double
boottime(void)
{
	struct timespec ts;

	assert_int_equal(clock_gettime(CLOCK_BOOTTIME, &ts), 0);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The one process pid, copied out of the library's array. */
static struct kinfo_proc2
getproc(pid_t pid)
{
	struct kinfo_proc2 kp;
	int n = -1;

	struct kinfo_proc2 *p =
		kvm_getproc2(kd, KERN_PROC_PID, pid, sizeof(*p), &n);
	if (!p)
		fail_msg("kvm_getproc2 PID %d: %s", pid, kvm_geterr(kd));
	assert_int_equal(n, 1);
	assert_int_equal(p->p_pid, pid);
	kp = *p;
	return kp;
}

/* Wait (bounded) until pid shows state st: a child on its way to pause(). */
static struct kinfo_proc2
getproc_state(pid_t pid, char st)
{
	struct kinfo_proc2 kp;

	for (int i = 0; i < 1000; i++) {
		kp = getproc(pid);
		if (kp.p_stat == st)
			return kp;
		usleep(10000);
	}
	fail_msg("pid %d: state %c, not %c", pid, kp.p_stat, st);
	return kp;
}

static bool
has_pid(const struct kinfo_proc2 *p, int n, pid_t pid)
{
	for (int i = 0; i < n; i++)
		if (p[i].p_pid == pid)
			return true;
	return false;
}

/*
 * kvm_getproc2(op, arg) copied out, every entry checked against the op:
 * the caller checks that the right processes are in it.
 */
static struct kinfo_proc2 *
select_procs(int op, int arg, int *n_ret)
{
	struct kinfo_proc2 *p = kvm_getproc2(kd, op, arg, sizeof(*p), n_ret);
	if (!p)
		fail_msg("kvm_getproc2 op %d arg %d: %s", op, arg,
			 kvm_geterr(kd));
	int n = *n_ret;
	struct kinfo_proc2 *copy = malloc((n ? n : 1) * sizeof(*p));
	assert_non_null(copy);
	memcpy(copy, p, n * sizeof(*p));
	for (int i = 0; i < n; i++) {
		const struct kinfo_proc2 *q = &copy[i];
		switch (op) {
		case KERN_PROC_PID:
			assert_int_equal(q->p_pid, arg);
			break;
		case KERN_PROC_PGRP:
			assert_int_equal(q->p__pgid, arg);
			break;
		case KERN_PROC_SESSION:
			assert_int_equal(q->p_sid, arg);
			break;
		case KERN_PROC_TTY:
			assert_int_equal(q->p_tdev, (uint32_t)arg);
			break;
		case KERN_PROC_UID:
			assert_int_equal(q->p_uid, (uint32_t)arg);
			break;
		case KERN_PROC_RUID:
			assert_int_equal(q->p_ruid, (uint32_t)arg);
			break;
		}
	}
	return copy;
}

/* The fields of /proc/PID/stat after the comm, parsed here on our own. */
static void
stat_fields(pid_t pid, long long *f, int nf)
{
	char path[64], buf[4096];

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	int fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	ssize_t len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	assert_true(len > 0);
	buf[len] = '\0';
	char *s = strrchr(buf, ')');
	assert_non_null(s);
	s += 4; /* ") S " */
	/* f[i] is field i + 4 of proc_pid_stat(5). */
	for (int i = 0; i < nf; i++)
		f[i] = strtoll(s, &s, 10);
}

/* ------------------------------------------------------------ self */

static void *
thread_wait(void *arg)
{
	char c;

	/* Blocks until the main thread closes the pipe. */
	(void)!read(*(int *)arg, &c, 1);
	return NULL;
}

static int
count_tasks(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *de;
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static void
test_self(void **state)
{
	(void)state;
	double t0 = boottime();
	struct kinfo_proc2 p = getproc(getpid());

	assert_int_equal(p.p_ppid, getppid());
	assert_int_equal(p.p__pgid, getpgrp());
	assert_int_equal(p.p_sid, getsid(0));
	assert_int_equal(p.p_ruid, getuid());
	assert_int_equal(p.p_uid, geteuid());
	assert_int_equal(p.p_rgid, getgid());
	assert_int_equal(p.p_gid, getegid());
	uid_t ru, eu, su;
	gid_t rg, eg, sg;
	assert_int_equal(getresuid(&ru, &eu, &su), 0);
	assert_int_equal(getresgid(&rg, &eg, &sg), 0);
	assert_int_equal(p.p_svuid, su);
	assert_int_equal(p.p_svgid, sg);
	/* We are the thread reading our own stat: running. */
	assert_int_equal(p.p_stat, 'R');
	char comm[17] = "";
	prctl(PR_GET_NAME, comm);
	assert_string_equal(p.p_comm, comm);
	assert_int_equal(p.p_kthread, 0);
	assert_int_equal(p.p_flag & PF_KTHREAD, 0);
	assert_int_equal(p.p_paddr, 0);
	assert_int_equal(p.p_nice, getpriority(PRIO_PROCESS, 0));
	assert_true(p.p_vm_vsize > 0);
	assert_true(p.p_vm_rssize > 0);
	assert_true(p.p_vm_rssize * (uint64_t)sysconf(_SC_PAGESIZE) <=
		    p.p_vm_vsize);

	/* tty_nr and tpgid as /proc says them (KVM_NODEV for no tty). */
	long long f[5];
	stat_fields(getpid(), f, 5);
	assert_int_equal(p.p_tdev, f[3] ? (uint32_t)f[3] : KVM_NODEV);
	assert_int_equal(p.p_tpgid, (int32_t)f[4]);

	/* Started before this test, after boot; a few CPU seconds at most. */
	double start = p.p_ustart_sec + p.p_ustart_usec / 1e6;
	assert_true(start <= t0 + 0.02);
	assert_true(start > 0);
	assert_true(p.p_ustart_usec < 1000000);
	assert_true(p.p_uutime_usec < 1000000);
	assert_true(p.p_ustime_usec < 1000000);
	struct rusage ru_self;
	assert_int_equal(getrusage(RUSAGE_SELF, &ru_self), 0);
	double cpu = p.p_uutime_sec + p.p_uutime_usec / 1e6 +
		     p.p_ustime_sec + p.p_ustime_usec / 1e6;
	double cpu_ru =
		ru_self.ru_utime.tv_sec + ru_self.ru_utime.tv_usec / 1e6 +
		ru_self.ru_stime.tv_sec + ru_self.ru_stime.tv_usec / 1e6;
	assert_true(cpu <= cpu_ru + 0.05);

	/* One more thread, one more LWP. */
	assert_int_equal(p.p_nlwps, count_tasks());
	int before = p.p_nlwps;
	int fds[2];
	pthread_t th;
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(pthread_create(&th, NULL, thread_wait, &fds[0]), 0);
	p = getproc(getpid());
	assert_int_equal(p.p_nlwps, before + 1);
	assert_int_equal(p.p_nlwps, count_tasks());
	close(fds[1]);
	pthread_join(th, NULL);
	close(fds[0]);

	/* kvm_getprocs() hands out the same record. */
	int n;
	struct kinfo_proc *kp = kvm_getprocs(kd, KERN_PROC_PID, getpid(), &n);
	assert_non_null(kp);
	assert_int_equal(n, 1);
	assert_int_equal(kp->kp_proc.p_pid, getpid());
	assert_int_equal(kp->kp_proc.p_ppid, getppid());
}

/* ------------------------------------------------- argv and environ */

#define BIG_ARG 5000
#define BIG_ENV 6000

static char big_arg[BIG_ARG + 1], big_env[BIG_ENV + 1];
static char *child_argv[] = {
	"libkvm-live-child", CHILD_ARG, "", "a b", "tab\there", "line\nnext",
	"\xc3\xbcnic\xc3\xb8" "de \xe2\x9c\x93", big_arg, "", NULL,
};
static char *child_envp[] = {
	"LIBKVM_A=1", "LIBKVM_EMPTY=", big_env, "NO_EQUALS_SIGN",
	"LIBKVM_UTF8=\xe2\x82\xac 5", NULL,
};

static void
init_big(void)
{
	memset(big_arg, 'x', BIG_ARG);
	big_arg[0] = 'X';
	big_arg[BIG_ARG - 1] = 'Z';
	memcpy(big_env, "LIBKVM_BIG=", 11);
	for (size_t i = 11; i < BIG_ENV; i++)
		big_env[i] = 'a' + i % 26;
}

/* Fork and exec this program as a child with argv and envp. */
static pid_t
spawn_exec(char *const argv[], char *const envp[])
{
	int fds[2];
	char c;

	assert_int_equal(pipe(fds), 0);
	pid_t parent = getpid();
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		child_init(parent);
		close(fds[0]);
		if (dup2(fds[1], CHILD_FD) < 0)
			_exit(1);
		execve(self_exe, argv, envp);
		_exit(127);
	}
	kid_add(pid);
	close(fds[1]);
	/*
	 * The byte comes from main() of the new program: by then exec has
	 * set up the argument area (the close-on-exec trick would answer
	 * before mm->arg_start is set).
	 */
	read_all(fds[0], &c, 1);
	close(fds[0]);
	return pid;
}

static size_t
vec_len(char *const *v)
{
	size_t n = 0;

	while (v[n])
		n++;
	return n;
}

static void
assert_vec_equal(char **got, char *const *want)
{
	assert_non_null(got);
	size_t n = vec_len(want);
	assert_int_equal(vec_len(got), n);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(strlen(got[i]), strlen(want[i]));
		assert_memory_equal(got[i], want[i], strlen(want[i]) + 1);
	}
}

static void
test_args(void **state)
{
	(void)state;
	double t0 = boottime();
	pid_t pid = spawn_exec(child_argv, child_envp);
	double t1 = boottime();
	struct kinfo_proc2 p = getproc_state(pid, 'S');

	assert_int_equal(p.p_ppid, getpid());
	/* comm: the exec'd file's name, cut to TASK_COMM_LEN - 1. */
	const char *base = strrchr(self_exe, '/');
	base = base ? base + 1 : self_exe;
	assert_int_equal(strncmp(p.p_comm, base, 15), 0);
	size_t blen = strlen(base);
	assert_int_equal(strlen(p.p_comm), blen < 15 ? blen : 15);
	/* Started between fork and the child's word, to one clock tick. */
	double tick = 1.0 / sysconf(_SC_CLK_TCK);
	double start = p.p_ustart_sec + p.p_ustart_usec / 1e6;
	assert_true(start >= t0 - tick - 0.001);
	assert_true(start <= t1 + 0.001);

	assert_vec_equal(kvm_getargv2(kd, &p, 0), child_argv);
	assert_vec_equal(kvm_getenvv2(kd, &p, 0), child_envp);
	/* struct kinfo_proc takes the same way. */
	struct kinfo_proc kp = { .kp_proc = p };
	assert_vec_equal(kvm_getargv(kd, &kp, 0), child_argv);
	assert_vec_equal(kvm_getenvv(kd, &kp, 0), child_envp);

	/*
	 * nchr caps the characters (NULs not counted); the string that
	 * crosses the cap is cut and nothing follows it.
	 */
	size_t l0 = strlen(child_argv[0]), l1 = strlen(child_argv[1]);
	char **v = kvm_getargv2(kd, &p, (int)l0 + 1);
	assert_non_null(v);
	assert_int_equal(vec_len(v), 2);
	assert_string_equal(v[0], child_argv[0]);
	assert_string_equal(v[1], "-");
	v = kvm_getargv2(kd, &p, (int)(l0 + l1 + 2));
	assert_non_null(v);
	assert_int_equal(vec_len(v), 4);
	assert_string_equal(v[1], CHILD_ARG);
	assert_string_equal(v[2], "");
	assert_string_equal(v[3], "a ");
	v = kvm_getargv2(kd, &p, (int)l0);
	assert_non_null(v);
	assert_int_equal(vec_len(v), 1);
	assert_string_equal(v[0], child_argv[0]);
	/* The cut inside the 5000-byte argument. */
	size_t before = 0;
	int ibig = 0;
	while (child_argv[ibig] != big_arg)
		before += strlen(child_argv[ibig++]);
	v = kvm_getargv2(kd, &p, (int)before + 100);
	assert_non_null(v);
	assert_int_equal(vec_len(v), ibig + 1);
	assert_int_equal(strlen(v[ibig]), 100);
	assert_memory_equal(v[ibig], big_arg, 100);
}

/* The cut inside the environment, exact: its first strings are known. */
static void
test_env_cut(void **state)
{
	(void)state;
	pid_t pid = spawn_exec(child_argv, child_envp);
	struct kinfo_proc2 p = getproc(pid);
	size_t e0 = strlen(child_envp[0]), e1 = strlen(child_envp[1]);
	char **v = kvm_getenvv2(kd, &p, (int)(e0 + e1 + 3000));
	assert_non_null(v);
	assert_int_equal(vec_len(v), 3);
	assert_string_equal(v[0], child_envp[0]);
	assert_string_equal(v[1], child_envp[1]);
	assert_int_equal(strlen(v[2]), 3000);
	assert_memory_equal(v[2], big_env, 3000);
	/* A cap past the end is no cap. */
	assert_vec_equal(kvm_getenvv2(kd, &p, INT_MAX), child_envp);
}

/* ---------------------------------------- stopped, dead and gone */

static pid_t
spawn_fork(void (*fn)(void *), void *arg)
{
	int fds[2];
	char c;

	assert_int_equal(pipe(fds), 0);
	pid_t parent = getpid();
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		child_init(parent);
		close(fds[0]);
		if (fn)
			fn(arg);
		write_all(fds[1], "", 1);
		close(fds[1]);
		hang();
	}
	kid_add(pid);
	close(fds[1]);
	read_all(fds[0], &c, 1);
	close(fds[0]);
	return pid;
}

static void
child_name(void *arg)
{
	prctl(PR_SET_NAME, (const char *)arg);
}

static void
child_nice(void *arg)
{
	(void)arg;
	if (nice(7) < 0)
		_exit(1);
}

static void
test_states(void **state)
{
	(void)state;
	/* A comm with ')' and spaces: stat's comm ends at the last ')'. */
	static const char odd[] = "a) b (c) d";
	pid_t pid = spawn_fork(child_name, (void *)odd);
	struct kinfo_proc2 p = getproc_state(pid, 'S');
	assert_string_equal(p.p_comm, odd);
	assert_int_equal(p.p_ppid, getpid());

	/* Stopped: 'T'. */
	assert_int_equal(kill(pid, SIGSTOP), 0);
	int st;
	assert_int_equal(waitpid(pid, &st, WUNTRACED), pid);
	assert_true(WIFSTOPPED(st));
	p = getproc(pid);
	assert_int_equal(p.p_stat, 'T');
	assert_string_equal(p.p_comm, odd);

	/* Nice and the priority stat derives from it (20 + nice). */
	pid = spawn_fork(child_nice, NULL);
	p = getproc(pid);
	assert_int_equal(p.p_nice, 7);
	assert_int_equal(p.p_priority, 20 + 7);

	/* Dead, not reaped: 'Z', and no arguments. */
	pid_t parent = getpid();
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		child_init(parent);
		_exit(3);
	}
	siginfo_t si;
	memset(&si, 0, sizeof(si));
	assert_int_equal(waitid(P_PID, pid, &si, WEXITED | WNOWAIT), 0);
	p = getproc(pid);
	assert_int_equal(p.p_stat, 'Z');
	char **v = kvm_getargv2(kd, &p, 0);
	assert_non_null(v);
	assert_null(v[0]);
	v = kvm_getenvv2(kd, &p, 0);
	assert_non_null(v);
	assert_null(v[0]);

	/* Gone: reaped, then asked for (as a stale record would be). */
	assert_int_equal(waitpid(pid, &st, 0), pid);
	p.p_stat = 'S';
	kvm_clearerr(kd);
	assert_null(kvm_getargv2(kd, &p, 0));
	assert_int_equal(kvm_geterrcode(kd), KVM_ENOENT);
	char want[64];
	snprintf(want, sizeof(want), "no process %d", pid);
	assert_non_null(strstr(kvm_geterr(kd), want));
	int n = -1;
	assert_non_null(kvm_getproc2(kd, KERN_PROC_PID, pid, sizeof(p), &n));
	assert_int_equal(n, 0);
}

/* A kernel thread, where this pid namespace shows one. */
static void
test_kthread(void **state)
{
	(void)state;
	int n;
	struct kinfo_proc2 *all = select_procs(KERN_PROC_ALL, 0, &n);
	const struct kinfo_proc2 *kt = NULL;

	for (int i = 0; i < n && !kt; i++)
		if (all[i].p_pid == 2 && !strcmp(all[i].p_comm, "kthreadd"))
			kt = &all[i];
	if (!kt) {
		free(all);
		skip();
	}
	assert_int_equal(kt->p_kthread, 1);
	assert_true(kt->p_flag & PF_KTHREAD);
	assert_int_equal(kt->p_vm_vsize, 0);
	char **v = kvm_getargv2(kd, kt, 0);
	assert_non_null(v);
	assert_null(v[0]);
	v = kvm_getenvv2(kd, kt, 0);
	assert_non_null(v);
	assert_null(v[0]);
	/* Its children are kernel threads too. */
	for (int i = 0; i < n; i++)
		if (all[i].p_ppid == 2)
			assert_int_equal(all[i].p_kthread, 1);
	free(all);
}

/* ------------------------------------------------------ selection */

/*
 * A new session: a (its leader) and its children b (a process group of
 * its own) and c (in a's group).
 */
struct session {
	pid_t a, b, c;
};

struct session_msg {
	int role;
	pid_t pid;
};

static void
session_report(int fd, int role)
{
	struct session_msg m = { role, getpid() };

	write_all(fd, &m, sizeof(m));
}

static void
make_session(struct session *s)
{
	int fds[2];

	assert_int_equal(pipe(fds), 0);
	pid_t parent = getpid();
	pid_t a = fork();
	assert_true(a >= 0);
	if (a == 0) {
		child_init(parent);
		close(fds[0]);
		if (setsid() < 0)
			_exit(1);
		session_report(fds[1], 'a');
		for (int role = 'b'; role <= 'c'; role++) {
			pid_t me = getpid();
			pid_t k = fork();
			if (k < 0)
				_exit(1);
			if (k == 0) {
				child_init(me);
				if (role == 'b' && setpgid(0, 0) < 0)
					_exit(1);
				session_report(fds[1], role);
				hang();
			}
		}
		close(fds[1]);
		hang();
	}
	kid_add(a);
	close(fds[1]);
	memset(s, 0, sizeof(*s));
	for (int i = 0; i < 3; i++) {
		struct session_msg m;
		read_all(fds[0], &m, sizeof(m));
		if (m.role == 'a')
			s->a = m.pid;
		else if (m.role == 'b')
			s->b = m.pid;
		else
			s->c = m.pid;
	}
	close(fds[0]);
	assert_int_equal(s->a, a);
	assert_true(s->b > 0 && s->c > 0);
	/* Parents first: see kids_kill(). */
	kid_add(s->b);
	kid_add(s->c);
}

static void
assert_pids(const struct kinfo_proc2 *p, int n, const pid_t *want,
	    int nwant)
{
	assert_int_equal(n, nwant);
	for (int i = 0; i < nwant; i++)
		assert_true(has_pid(p, n, want[i]));
}

static void
test_select(void **state)
{
	(void)state;
	struct session s;
	struct kinfo_proc2 *p;
	int n;

	make_session(&s);
	pid_t all3[] = { s.a, s.b, s.c }, ac[] = { s.a, s.c };

	p = select_procs(KERN_PROC_PID, s.b, &n);
	assert_pids(p, n, &s.b, 1);
	assert_int_equal(p[0].p_ppid, s.a);
	assert_int_equal(p[0].p__pgid, s.b);
	assert_int_equal(p[0].p_sid, s.a);
	free(p);
	p = select_procs(KERN_PROC_SESSION, s.a, &n);
	assert_pids(p, n, all3, 3);
	free(p);
	p = select_procs(KERN_PROC_PGRP, s.a, &n);
	assert_pids(p, n, ac, 2);
	free(p);
	p = select_procs(KERN_PROC_PGRP, s.b, &n);
	assert_pids(p, n, &s.b, 1);
	free(p);
	p = select_procs(KERN_PROC_PID, INT_MAX, &n);
	assert_int_equal(n, 0);
	free(p);

	/* setsid() left them without a controlling tty. */
	p = select_procs(KERN_PROC_TTY, (int)KVM_NODEV, &n);
	for (int i = 0; i < 3; i++)
		assert_true(has_pid(p, n, all3[i]));
	free(p);
	struct kinfo_proc2 self = getproc(getpid());
	if (self.p_tdev != KVM_NODEV) {
		p = select_procs(KERN_PROC_TTY, (int)self.p_tdev, &n);
		assert_true(has_pid(p, n, getpid()));
		for (int i = 0; i < 3; i++)
			assert_false(has_pid(p, n, all3[i]));
		free(p);
	}

	p = select_procs(KERN_PROC_UID, (int)geteuid(), &n);
	assert_true(has_pid(p, n, getpid()));
	for (int i = 0; i < 3; i++)
		assert_true(has_pid(p, n, all3[i]));
	free(p);
	p = select_procs(KERN_PROC_RUID, (int)getuid(), &n);
	assert_true(has_pid(p, n, getpid()));
	for (int i = 0; i < 3; i++)
		assert_true(has_pid(p, n, all3[i]));
	free(p);
	p = select_procs(KERN_PROC_ALL, 0, &n);
	assert_true(has_pid(p, n, getpid()));
	for (int i = 0; i < 3; i++)
		assert_true(has_pid(p, n, all3[i]));
	free(p);

	/* Unknown ops fail. */
	assert_null(kvm_getproc2(kd, 99, 0, sizeof(*p), &n));
	assert_int_equal(kvm_geterrcode(kd), KVM_EINVAL);
}

/* Real, effective and saved ids kept apart (needs root to set them). */
static void
child_ids(void *arg)
{
	(void)arg;
	if (setgroups(0, NULL) < 0 || setresgid(4004, 4005, 4006) < 0 ||
	    setresuid(4001, 4002, 4003) < 0)
		_exit(1);
}

static void
test_select_ids(void **state)
{
	(void)state;
	if (geteuid() != 0)
		skip();
	pid_t pid = spawn_fork(child_ids, NULL);
	struct kinfo_proc2 p = getproc(pid);
	assert_int_equal(p.p_ruid, 4001);
	assert_int_equal(p.p_uid, 4002);
	assert_int_equal(p.p_svuid, 4003);
	assert_int_equal(p.p_rgid, 4004);
	assert_int_equal(p.p_gid, 4005);
	assert_int_equal(p.p_svgid, 4006);

	int n;
	struct kinfo_proc2 *q = select_procs(KERN_PROC_UID, 4002, &n);
	assert_true(has_pid(q, n, pid));
	free(q);
	q = select_procs(KERN_PROC_RUID, 4001, &n);
	assert_true(has_pid(q, n, pid));
	free(q);
	q = select_procs(KERN_PROC_UID, 4001, &n);
	assert_false(has_pid(q, n, pid));
	free(q);
	q = select_procs(KERN_PROC_RUID, 4002, &n);
	assert_false(has_pid(q, n, pid));
	free(q);
}

/* ------------------------------------------------- all of /proc */

static int
cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

static int *
proc_pids(size_t *n_ret)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	size_t n = 0, cap = 256;
	int *v = malloc(cap * sizeof(*v));

	assert_non_null(d);
	assert_non_null(v);
	while ((de = readdir(d))) {
		char *end;
		long pid = strtol(de->d_name, &end, 10);
		if (*end || de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		if (n == cap) {
			v = realloc(v, (cap *= 2) * sizeof(*v));
			assert_non_null(v);
		}
		v[n++] = (int)pid;
	}
	closedir(d);
	qsort(v, n, sizeof(*v), cmp_int);
	*n_ret = n;
	return v;
}

static bool
in_set(const int *v, size_t n, int x)
{
	return bsearch(&x, v, n, sizeof(*v), cmp_int) != NULL;
}

/*
 * One comparison: every pid listed was in /proc before or after, and
 * every pid in /proc both before and after was listed.
 */
static bool
all_matches_proc(void)
{
	size_t n1, n2;
	int n;
	int *s1 = proc_pids(&n1);
	struct kinfo_proc2 *p = select_procs(KERN_PROC_ALL, 0, &n);
	int *s2 = proc_pids(&n2);
	bool ok = true;

	for (int i = 0; i < n; i++)
		if (!in_set(s1, n1, p[i].p_pid) && !in_set(s2, n2, p[i].p_pid))
			ok = false;
	int *k = malloc((n ? n : 1) * sizeof(*k));
	assert_non_null(k);
	for (int i = 0; i < n; i++)
		k[i] = p[i].p_pid;
	qsort(k, n, sizeof(*k), cmp_int);
	for (int i = 0; i + 1 < n; i++)
		assert_int_not_equal(k[i], k[i + 1]);
	for (size_t i = 0; i < n1; i++)
		if (in_set(s2, n2, s1[i]) && !in_set(k, n, s1[i]))
			ok = false;
	free(k);
	free(p);
	free(s1);
	free(s2);
	return ok;
}

static void
test_all(void **state)
{
	(void)state;
	/*
	 * A process that came and went between the two reads of /proc is
	 * in neither: on a busy machine, try again (rarely needed).
	 */
	for (int i = 0; i < 20; i++)
		if (all_matches_proc())
			return;
	fail_msg("KERN_PROC_ALL differs from /proc 20 times in a row");
}

/* ------------------------------------------------------ elemsize */

static void
test_elemsize(void **state)
{
	(void)state;
	struct session s;
	int n, nshort, nlong;

	make_session(&s);
	struct kinfo_proc2 *full = select_procs(KERN_PROC_SESSION, s.a, &n);
	assert_int_equal(n, 3);

	size_t es = offsetof(struct kinfo_proc2, p_stat);
	uint8_t *sh = (uint8_t *)kvm_getproc2(kd, KERN_PROC_SESSION, s.a, es,
					      &nshort);
	assert_non_null(sh);
	assert_int_equal(nshort, 3);
	for (int i = 0; i < nshort; i++) {
		struct kinfo_proc2 e;
		memset(&e, 0, sizeof(e));
		memcpy(&e, sh + i * es, es);
		bool found = false;
		for (int j = 0; j < n; j++)
			if (full[j].p_pid == e.p_pid) {
				assert_memory_equal(&full[j], &e, es);
				found = true;
			}
		assert_true(found);
	}

	/* A caller's longer struct: ours, then zeros. */
	size_t el = sizeof(struct kinfo_proc2) + 32;
	uint8_t *lg = (uint8_t *)kvm_getproc2(kd, KERN_PROC_SESSION, s.a, el,
					      &nlong);
	assert_non_null(lg);
	assert_int_equal(nlong, 3);
	static const uint8_t zero[32];
	for (int i = 0; i < nlong; i++) {
		const struct kinfo_proc2 *e =
			(const struct kinfo_proc2 *)(lg + i * el);
		assert_true(has_pid(full, n, e->p_pid));
		assert_memory_equal(lg + i * el + sizeof(*e), zero, 32);
	}
	free(full);

	kvm_clearerr(kd);
	assert_null(kvm_getproc2(kd, KERN_PROC_ALL, 0, 0, &n));
	assert_int_equal(kvm_geterrcode(kd), KVM_EINVAL);
	assert_non_null(strstr(kvm_geterr(kd), "elemsize"));
}

/* ------------------------------------------------------ loadavg */

static void
read_loadavg(char *buf, size_t size)
{
	int fd = open("/proc/loadavg", O_RDONLY);

	assert_true(fd >= 0);
	ssize_t len = read(fd, buf, size - 1);
	close(fd);
	assert_true(len > 0);
	buf[len] = '\0';
	/* The three averages only: the rest moves with every fork. */
	char *s = buf;
	for (int i = 0; i < 3 && s; i++)
		s = strchr(s + 1, ' ');
	assert_non_null(s);
	*s = '\0';
}

static void
test_loadavg(void **state)
{
	(void)state;
	char before[256], after[256];
	double la[4] = { -1, -1, -1, -1 };

	/* The kernel updates it every 5 s: compare a still moment. */
	for (int i = 0; i < 100; i++) {
		read_loadavg(before, sizeof(before));
		assert_int_equal(kvm_getloadavg(kd, la, 3), 3);
		read_loadavg(after, sizeof(after));
		if (!strcmp(before, after))
			break;
	}
	assert_string_equal(before, after);
	char *s = before;
	for (int i = 0; i < 3; i++) {
		double v = strtod(s, &s);
		assert_true(la[i] >= 0);
		assert_true(la[i] - v < 1e-9 && v - la[i] < 1e-9);
	}
	assert_int_equal(kvm_getloadavg(kd, la, 1), 1);
	assert_int_equal(kvm_getloadavg(kd, la, 4), 3);
	assert_int_equal(kvm_getloadavg(kd, la, 0), 0);
	assert_int_equal(kvm_getloadavg(kd, NULL, 3), -1);
}

/* ----------------------------------------------------- kernel log */

static void
test_log(void **state)
{
	(void)state;
	const struct kvm_log_entry *e;
	size_t n;

	if (klogctl(10 /* SYSLOG_ACTION_SIZE_BUFFER */, NULL, 0) < 0) {
		/* Refused: the library says so, and how to get it. */
		assert_int_equal(kvm_log_get(kd, &e, &n), -1);
		assert_non_null(strstr(kvm_geterr(kd), "dmesg_restrict"));
		skip();
	}

	char marker[128] = "";
	int fd = open("/dev/kmsg", O_WRONLY);
	if (fd >= 0) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		snprintf(marker, sizeof(marker),
			 "libkvm-live-test: pid %d at %lld.%09ld", getpid(),
			 (long long)ts.tv_sec, ts.tv_nsec);
		char line[160];
		int len = snprintf(line, sizeof(line), "<5>%s\n", marker);
		if (write(fd, line, len) != len)
			marker[0] = '\0';
		close(fd);
	}

	if (kvm_log_get(kd, &e, &n) < 0)
		fail_msg("kvm_log_get: %s", kvm_geterr(kd));
	assert_true(n > 0);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(e[i].seq, i);
		assert_true(e[i].level >= 0 && e[i].level <= 7);
		assert_true(e[i].facility >= 0 && e[i].facility < 128);
		assert_int_equal(strlen(e[i].text), e[i].text_len);
		assert_null(memchr(e[i].text, '\n', e[i].text_len));
	}
	if (!marker[0])
		return;
	/* Ours is among the last; written with /dev/kmsg's LOG_USER. */
	const struct kvm_log_entry *m = NULL;
	for (size_t i = n; i-- > 0 && !m;)
		if (!strcmp(e[i].text, marker))
			m = &e[i];
	if (!m)
		fail_msg("kvm_log_get: \"%s\" not in the %zu records", marker,
			 n);
	assert_int_equal(m->level, 5);
	assert_int_equal(m->facility, 1);
	/* printk.time=0 leaves no timestamp (0 ns). */
	char t = 'Y';
	fd = open("/sys/module/printk/parameters/time", O_RDONLY);
	if (fd >= 0) {
		(void)!read(fd, &t, 1);
		close(fd);
	}
	if (t == 'Y')
		assert_true(m->ts_nsec > 0);
	/* The first record of a boot is the banner at time 0. */
	assert_true(e[0].ts_nsec <= m->ts_nsec);
}

/*
 * kvm_uread2/kvm_uread on our own memory (/proc/self/mem): the bytes of a
 * static string; an unmapped address fails saying so; a pid that is gone
 * fails.
 */
static char uread_probe[] = "kvm_uread on the running system, 0123456789";

static void
test_uread(void **state)
{
	(void)state;
	int n = 0;
	struct kinfo_proc2 *pp = kvm_getproc2(kd, KERN_PROC_PID, getpid(),
					      sizeof(*pp), &n);
	assert_non_null(pp);
	assert_int_equal(n, 1);
	struct kinfo_proc2 p = pp[0];
	char buf[sizeof(uread_probe)] = "";

	assert_int_equal(kvm_uread2(kd, &p, (kvaddr_t)(uintptr_t)uread_probe,
				    buf, sizeof(buf)),
			 (ssize_t)sizeof(buf));
	assert_memory_equal(buf, uread_probe, sizeof(buf));
	struct kinfo_proc kp = { .kp_proc = p };
	memset(buf, 0, sizeof(buf));
	assert_int_equal(kvm_uread(kd, &kp, (unsigned long)uread_probe + 4,
				   buf, 10),
			 10);
	assert_memory_equal(buf, uread_probe + 4, 10);
	assert_int_equal(kvm_uread2(kd, &p, 8, buf, 8), -1);
	assert_non_null(strstr(kvm_geterr(kd), "not mapped"));
	assert_int_equal(kvm_uread2(kd, &p, 0, buf, 0), 0);
	assert_int_equal(kvm_uread2(kd, NULL, 8, buf, 8), -1);
	p.p_pid = 0x7ffffff0;
	assert_int_equal(kvm_uread2(kd, &p, (kvaddr_t)(uintptr_t)uread_probe,
				    buf, 8),
			 -1);
	assert_int_equal(kvm_geterrcode(kd), KVM_ENOENT);
}

/* ----------------------------------------------------------- main */

static int
open_kd(void **state)
{
	char errbuf[KVM_ERRBUF_SIZE] = "";

	(void)state;
	kd = kvm_openfiles(NULL, NULL, NULL, KVM_NO_FILES, errbuf);
	if (!kd) {
		fprintf(stderr, "kvm_openfiles: %s\n", errbuf);
		return -1;
	}
	return 0;
}

static int
close_kd(void **state)
{
	(void)state;
	return kvm_close(kd);
}

int
main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], CHILD_ARG)) {
		write_all(CHILD_FD, "", 1);
		close(CHILD_FD);
		hang();
	}
	if (access("/proc/self/stat", R_OK) < 0) {
		fprintf(stderr, "no /proc: skipped\n");
		return 77;
	}
	ssize_t len = readlink("/proc/self/exe", self_exe,
			       sizeof(self_exe) - 1);
	if (len < 0) {
		perror("readlink /proc/self/exe");
		return 1;
	}
	self_exe[len] = '\0';
	init_big();
	/* Orphaned grandchildren come back to us to be reaped. */
	prctl(PR_SET_CHILD_SUBREAPER, 1);

	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_self, kids_kill),
		cmocka_unit_test_teardown(test_args, kids_kill),
		cmocka_unit_test_teardown(test_env_cut, kids_kill),
		cmocka_unit_test_teardown(test_states, kids_kill),
		cmocka_unit_test_teardown(test_kthread, kids_kill),
		cmocka_unit_test_teardown(test_select, kids_kill),
		cmocka_unit_test_teardown(test_select_ids, kids_kill),
		cmocka_unit_test_teardown(test_all, kids_kill),
		cmocka_unit_test_teardown(test_elemsize, kids_kill),
		cmocka_unit_test_teardown(test_loadavg, kids_kill),
		cmocka_unit_test_teardown(test_log, kids_kill),
		cmocka_unit_test_teardown(test_uread, kids_kill),
	};
	return cmocka_run_group_tests(tests, open_kd, close_kd);
}
