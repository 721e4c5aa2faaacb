// SPDX-License-Identifier: BSD-2-Clause
/*
 * Processes of a dump, read as the kernel's /proc reads them
 * (fs/proc/array.c, fs/proc/base.c), with member offsets from the dump's
 * BTF and init_task from its symbols.  The task list runs from
 * init_task.tasks through every thread-group leader (kernel/fork.c links a
 * new task into it only when it leads its group); user memory (argv,
 * environ) is read through the task's own page tables.  Target memory is
 * hostile: the walk stops at a cycle, a broken back link or
 * KVM_PROC_MAX_TASKS with what it has read.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proc.h"
#include "swap.h"

/* include/linux/sched.h: PF_KTHREAD since 2.6.27, this value since 2.6.32. */
#define PF_KTHREAD 0x00200000u
/*
 * Task states (include/linux/sched.h, the values of 4.14 and later) and
 * fs/proc/array.c task_state_array[]: the letter is indexed by the
 * highest bit of (state | exit_state) & TASK_REPORT, with TASK_IDLE
 * reported as 'I' and TASK_RTLOCK_WAIT (5.15) as 'D'.
 */
#define TASK_REPORT 0x7fu
#define TASK_IDLE 0x402u /* TASK_UNINTERRUPTIBLE | TASK_NOLOAD */
#define TASK_RTLOCK_WAIT 0x1000u
#define TASK_REPORT_IDLE 0x80u
/* kernel/sched/sched.h: MAX_RT_PRIO 100, nice 0 is static_prio 120. */
#define MAX_RT_PRIO 100
#define DEFAULT_PRIO 120
/* include/linux/kdev_t.h: the kernel's dev_t has 20 minor bits. */
#define KDEV_MINORBITS 20

/* A member: offset and size in bytes; off < 0 when the kernel lacks it. */
struct fld {
	int64_t off;
	uint32_t size;
};
/* A member read from a struct buffer (FLD, PTR): 0 when the kernel lacks it. */

struct kvm_proc_layout {
	uint64_t init_task;
	/* task_struct */
	struct fld t_tasks, t_pid, t_tgid, t_comm, t_real_parent, t_signal,
		t_mm, t_state, t_exit_state, t_flags, t_real_cred, t_start,
		t_utime, t_stime, t_static_prio, t_prio, t_pids,
		t_worker_private;
	size_t task_span;
	/* struct kthread, struct worker: the names /proc shows kthreads by */
	struct fld k_data, k_full_name, w_desc, w_current_work, w_pool;
	/* signal_struct; before 4.19 the pgid/sid pids were in the task */
	struct fld s_nr_threads, s_pids, s_tty;
	size_t signal_span;
	int pidtype_pgid, pidtype_sid;
	uint32_t pid_link_size; /* pre-4.19 task->pids[] entries */
	struct fld pl_pid;
	/* struct pid: numbers[0].nr is the pid in the initial namespace */
	struct fld p_numbers, u_nr;
	/* mm_struct */
	struct fld m_pgd, m_arg_start, m_arg_end, m_env_start, m_env_end,
		m_total_vm, m_rss;
	uint32_t rss_stride;   /* bytes per counter in mm->rss_stat */
	int64_t rss_count_off; /* offset of the count in one counter */
	size_t mm_span;
	/* cred */
	struct fld c_uid, c_euid, c_suid, c_gid, c_egid, c_sgid;
	size_t cred_span;
	/* tty_struct, tty_driver */
	struct fld y_driver, y_index, y_pgrp, d_major, d_minor_start;
	size_t tty_span, drv_span;
};

/* ------------------------------------------------------------ layout */

/*
 * Resolve type.member (alternatives separated by '|', first match wins;
 * later kernels renamed some members) into f.  dflt is the size to assume
 * when the source knows none (VMCOREINFO).  A missing optional member
 * leaves off -1 and no error.
 */
static int
member(kvm_t *kd, const char *type, const char *names, uint32_t dflt,
       bool required, struct fld *f)
{
	char buf[128];
	int err = -KVM_ENOENT;

	snprintf(buf, sizeof(buf), "%s", names);
	f->off = -1;
	f->size = 0;
	for (char *save = NULL, *n = strtok_r(buf, "|", &save); n;
	     n = strtok_r(NULL, "|", &save)) {
		uint64_t off, size;
		err = kvm_types_offsetof(kd, type, n, &off, &size);
		if (err == 0) {
			f->off = (int64_t)off;
			f->size = size ? (uint32_t)size : dflt;
			return 0;
		}
		if (err != -KVM_ENOENT)
			return err;
	}
	if (!required) {
		kvm_error_clear(kd);
		return 0;
	}
	return kvm_error_ctx(kd, "process list needs %s.%s", type, names);
}

/* The bytes of a struct to read so that every known member is covered. */
static size_t
span(const struct fld *const *f, size_t n)
{
	size_t end = 0;

	for (size_t i = 0; i < n; i++)
		if (f[i]->off >= 0)
			end = KVM_MAX(end, (size_t)f[i]->off + f[i]->size);
	return end;
}

#define SPAN(...)                                                 \
	span((const struct fld *const[]){ __VA_ARGS__ },          \
	     sizeof((const struct fld *const[]){ __VA_ARGS__ }) / \
		     sizeof(const struct fld *))

/* Sizes read from BTF are hostile too: a struct span stays small. */
#define KVM_PROC_MAX_SPAN (1u << 20)

/* One member into a layout field, or return the error (layout_*()). */
#define M(type, names, dflt, req, f)                               \
	do {                                                       \
		if ((err = member(kd, type, names, dflt, req, f))) \
			return err;                                \
	} while (0)

/* task_struct, and what a kernel thread names itself by */
static int
layout_task(kvm_t *kd, struct kvm_proc_layout *L)
{
	const uint32_t ps = kd->ptr_size ? (uint32_t)kd->ptr_size : 8;
	int err = 0;

	M("task_struct", "tasks", 2 * ps, true, &L->t_tasks);
	M("task_struct", "pid", 4, true, &L->t_pid);
	M("task_struct", "tgid", 4, true, &L->t_tgid);
	M("task_struct", "comm", 16, true, &L->t_comm);
	M("task_struct", "real_parent", ps, true, &L->t_real_parent);
	M("task_struct", "signal", ps, true, &L->t_signal);
	M("task_struct", "mm", ps, true, &L->t_mm);
	/* 5.14 renamed state to __state (commit 2f064a59a11f). */
	M("task_struct", "__state|state", 4, true, &L->t_state);
	M("task_struct", "exit_state", 4, true, &L->t_exit_state);
	M("task_struct", "flags", 4, true, &L->t_flags);
	M("task_struct", "real_cred", ps, true, &L->t_real_cred);
	/* /proc's start time: start_boottime since 5.5, before real_start_time. */
	M("task_struct", "start_boottime|real_start_time|start_time", 8, false,
	  &L->t_start);
	M("task_struct", "utime", 8, false, &L->t_utime);
	M("task_struct", "stime", 8, false, &L->t_stime);
	M("task_struct", "static_prio", 4, false, &L->t_static_prio);
	M("task_struct", "prio", 4, false, &L->t_prio);
	/*
	 * A kernel thread's struct kthread: task->worker_private since 5.19
	 * (commit e32cf5dfbe22), set_child_tid before.
	 */
	M("task_struct", "worker_private|set_child_tid", ps, false,
	  &L->t_worker_private);
	M("kthread", "data", ps, false, &L->k_data);
	M("kthread", "full_name", ps, false, &L->k_full_name);
	M("worker", "desc", 24, false, &L->w_desc);
	M("worker", "current_work", ps, false, &L->w_current_work);
	M("worker", "pool", ps, false, &L->w_pool);
	return 0;
}

/* pids, pgid and sid: in signal_struct since 4.19, in the task before */
static int
layout_pids(kvm_t *kd, struct kvm_proc_layout *L)
{
	const uint32_t ps = kd->ptr_size ? (uint32_t)kd->ptr_size : 8;
	int err = 0;

	M("signal_struct", "nr_threads", 4, false, &L->s_nr_threads);
	M("signal_struct", "tty", ps, false, &L->s_tty);
	/*
	 * 4.19 moved the pgid and sid pids from task->pids[].pid into
	 * signal->pids[] (commit 2c4704756cab) and added PIDTYPE_TGID.
	 */
	M("signal_struct", "pids", 4 * ps, false, &L->s_pids);
	int64_t v;
	if (L->s_pids.off >= 0) {
		L->pidtype_pgid = 2, L->pidtype_sid = 3;
	} else {
		M("task_struct", "pids", 0, true, &L->t_pids);
		M("pid_link", "pid", ps, true, &L->pl_pid);
		uint64_t sz;
		if ((err = kvm_types_sizeof(kd, "pid_link", &sz)))
			return kvm_error_ctx(kd, "process list");
		L->pid_link_size = (uint32_t)KVM_MIN(sz, 4096);
		L->pidtype_pgid = 1, L->pidtype_sid = 2;
	}
	if (kvm_types_enum(kd, "pid_type", "PIDTYPE_PGID", &v) == 0 && v >= 0 &&
	    v < 8)
		L->pidtype_pgid = (int)v;
	if (kvm_types_enum(kd, "pid_type", "PIDTYPE_SID", &v) == 0 && v >= 0 &&
	    v < 8)
		L->pidtype_sid = (int)v;
	kvm_error_clear(kd);
	if (L->t_pids.off >= 0) {
		/* The pid_link array sits in the task: read it with it. */
		L->t_pids.size = L->pid_link_size * (L->pidtype_sid + 1);
	}
	M("pid", "numbers", 0, true, &L->p_numbers);
	M("upid", "nr", 4, true, &L->u_nr);
	return 0;
}

/* mm_struct: page tables, argv and environ, sizes */
static int
layout_mm(kvm_t *kd, struct kvm_proc_layout *L)
{
	const uint32_t ps = kd->ptr_size ? (uint32_t)kd->ptr_size : 8;
	int err = 0;

	M("mm_struct", "pgd", ps, true, &L->m_pgd);
	M("mm_struct", "arg_start", ps, true, &L->m_arg_start);
	M("mm_struct", "arg_end", ps, true, &L->m_arg_end);
	M("mm_struct", "env_start", ps, true, &L->m_env_start);
	M("mm_struct", "env_end", ps, true, &L->m_env_end);
	M("mm_struct", "total_vm", ps, false, &L->m_total_vm);
	/*
	 * RSS counters: struct mm_rss_stat { atomic_long_t count[]; } up to
	 * 6.1; an array of struct percpu_counter since 6.2 (commit
	 * f1a7941243c1), whose count leaves out per-CPU deltas.
	 */
	M("mm_struct", "rss_stat", 0, false, &L->m_rss);
	if (L->m_rss.off >= 0) {
		struct fld c;
		M("mm_rss_stat", "count", 0, false, &c);
		if (c.off >= 0) {
			L->m_rss.off += c.off;
			L->rss_stride = ps;
			L->rss_count_off = 0;
		} else {
			uint64_t sz;
			M("percpu_counter", "count", 8, false, &c);
			if (c.off >= 0 &&
			    kvm_types_sizeof(kd, "percpu_counter", &sz) == 0 &&
			    sz >= 8 && sz <= 256) {
				L->rss_stride = (uint32_t)sz;
				L->rss_count_off = c.off;
			} else {
				kvm_error_clear(kd);
				L->m_rss.off = -1;
			}
		}
		/* MM_FILEPAGES, MM_ANONPAGES, MM_SWAPENTS, MM_SHMEMPAGES */
		if (L->m_rss.off >= 0)
			L->m_rss.size = 4 * L->rss_stride;
	}
	return 0;
}

/* cred, and the controlling tty */
static int
layout_cred_tty(kvm_t *kd, struct kvm_proc_layout *L)
{
	const uint32_t ps = kd->ptr_size ? (uint32_t)kd->ptr_size : 8;
	int err = 0;

	M("cred", "uid", 4, true, &L->c_uid);
	M("cred", "euid", 4, true, &L->c_euid);
	M("cred", "suid", 4, false, &L->c_suid);
	M("cred", "gid", 4, true, &L->c_gid);
	M("cred", "egid", 4, true, &L->c_egid);
	M("cred", "sgid", 4, false, &L->c_sgid);

	if (L->s_tty.off >= 0) {
		M("tty_struct", "driver", ps, false, &L->y_driver);
		M("tty_struct", "index", 4, false, &L->y_index);
		/* 5.17 moved pgrp into tty->ctrl (commit 64d608db38ff). */
		M("tty_struct", "ctrl.pgrp|pgrp", ps, false, &L->y_pgrp);
		M("tty_driver", "major", 4, false, &L->d_major);
		M("tty_driver", "minor_start", 4, false, &L->d_minor_start);
	}
	return 0;
}

#undef M

static int
layout_resolve(kvm_t *kd, struct kvm_proc_layout *L)
{
	const uint32_t ps = kd->ptr_size ? (uint32_t)kd->ptr_size : 8;
	int err;

	if ((err = layout_task(kd, L)) || (err = layout_pids(kd, L)) ||
	    (err = layout_mm(kd, L)) || (err = layout_cred_tty(kd, L)))
		return err;
	L->task_span = SPAN(&L->t_tasks, &L->t_pid, &L->t_tgid, &L->t_comm,
			    &L->t_real_parent, &L->t_signal, &L->t_mm,
			    &L->t_state, &L->t_exit_state, &L->t_flags,
			    &L->t_real_cred, &L->t_start, &L->t_utime,
			    &L->t_stime, &L->t_static_prio, &L->t_prio,
			    &L->t_pids, &L->t_worker_private);
	L->signal_span = SPAN(&L->s_nr_threads, &L->s_pids, &L->s_tty);
	L->mm_span = SPAN(&L->m_pgd, &L->m_arg_start, &L->m_arg_end,
			  &L->m_env_start, &L->m_env_end, &L->m_total_vm,
			  &L->m_rss);
	L->cred_span = SPAN(&L->c_uid, &L->c_euid, &L->c_suid, &L->c_gid,
			    &L->c_egid, &L->c_sgid);
	L->tty_span = SPAN(&L->y_driver, &L->y_index, &L->y_pgrp);
	L->drv_span = SPAN(&L->d_major, &L->d_minor_start);
	if (L->s_pids.off >= 0 &&
	    (uint64_t)L->s_pids.size < (uint64_t)ps * (L->pidtype_sid + 1))
		L->s_pids.size = ps * (L->pidtype_sid + 1);
	L->signal_span = KVM_MAX(L->signal_span,
				 L->s_pids.off >= 0 ? (size_t)L->s_pids.off +
							      L->s_pids.size
						    : 0);
	if (L->task_span > KVM_PROC_MAX_SPAN ||
	    L->signal_span > KVM_PROC_MAX_SPAN ||
	    L->mm_span > KVM_PROC_MAX_SPAN || L->cred_span > KVM_PROC_MAX_SPAN)
		return kvm_error(kd, KVM_ECORRUPT,
				 "process list: BTF gives structs larger than "
				 "%u bytes",
				 KVM_PROC_MAX_SPAN);
	return 0;
}

static uint64_t get(const kvm_t *kd, const uint8_t *buf, int64_t off,
		    uint32_t size);
static int read_struct(kvm_t *kd, uint64_t va, void *buf, size_t len,
		       const char *what);
#define FLD(kd, buf, f) ((f).off >= 0 ? get(kd, buf, (f).off, (f).size) : 0)
#define PTR(kd, buf, f) \
	((f).off >= 0 ? get(kd, buf, (f).off, (kd)->ptr_size) : 0)

/* init_task: the symbol (kallsyms, -N file, or the exported-symbol table). */
static int
layout_init_task(kvm_t *kd, struct kvm_proc_layout *L)
{
	int err = kvm_sym_lookup(kd, "init_task", &L->init_task);

	if (err)
		return kvm_error_ctx(kd,
				     "process list (a System.map or vmlinux "
				     "of this kernel given with -N has it)");
	/*
	 * The swapper task: pid 0, its own real parent (init/init_task.c).
	 * A wrong address (a stale -N file) is refused here rather than
	 * walked.
	 */
	uint8_t *tb = malloc(L->task_span);
	if (!tb)
		return kvm_error(kd, KVM_ENOMEM, "out of memory");
	err = read_struct(kd, L->init_task, tb, L->task_span, "init_task");
	if (!err && (FLD(kd, tb, L->t_pid) != 0 ||
		     PTR(kd, tb, L->t_real_parent) != L->init_task))
		err = kvm_error(kd, KVM_ECORRUPT,
				"init_task at 0x%llx is not the swapper task "
				"(pid 0, its own parent): wrong symbols?",
				(unsigned long long)L->init_task);
	free(tb);
	return err ? kvm_error_ctx(kd, "process list") : 0;
}

static int
layout_ensure(kvm_t *kd, struct kvm_proc_layout **L_ret)
{
	struct kvm_proc *ps = kd->proc;
	int err;

	if (ps->layout) {
		*L_ret = ps->layout;
		return 0;
	}
	struct kvm_proc_layout *L = calloc(1, sizeof(*L));
	if (!L)
		return kvm_error(kd, KVM_ENOMEM, "out of memory");
	if ((err = layout_resolve(kd, L)) || (err = layout_init_task(kd, L))) {
		free(L);
		return err;
	}
	ps->layout = L;
	*L_ret = L;
	return 0;
}

void
kvm_proc_dump_fini(kvm_t *kd)
{
	if (kd->proc) {
		free(kd->proc->layout);
		kd->proc->layout = NULL;
	}
}

/* ------------------------------------------------------------ reading */

/* A member of size bytes at off in a struct buffer, in target order. */
static uint64_t
get(const kvm_t *kd, const uint8_t *buf, int64_t off, uint32_t size)
{
	return kvm_tgt_uint(kd, buf + off, size);
}

static int
read_struct(kvm_t *kd, uint64_t va, void *buf, size_t len, const char *what)
{
	size_t done;
	int err = kvm_virt_read(kd, va, buf, len, &done);

	if (err)
		return kvm_error_ctx(kd, "reading %s at 0x%llx", what,
				     (unsigned long long)va);
	return 0;
}

/* The pid number in the initial namespace of a struct pid; 0 for none. */
static int
pid_nr(kvm_t *kd, const struct kvm_proc_layout *L, uint64_t pid,
       int32_t *nr_ret)
{
	uint8_t buf[8];

	*nr_ret = 0;
	if (!pid)
		return 0;
	int err = read_struct(kd, pid + L->p_numbers.off + L->u_nr.off, buf,
			      L->u_nr.size, "struct pid");
	if (!err)
		*nr_ret = (int32_t)get(kd, buf, 0, L->u_nr.size);
	return err;
}

static char
state_letter(uint32_t state, uint32_t exit_state)
{
	static const char letters[] = "RSDTtXZPI";
	uint32_t s = (state | exit_state) & TASK_REPORT;

	if (state == TASK_IDLE)
		s = TASK_REPORT_IDLE;
	else if (state == TASK_RTLOCK_WAIT)
		s = 2; /* TASK_UNINTERRUPTIBLE */
	int i = 0;
	while (s) {
		i++;
		s >>= 1;
	}
	return letters[i];
}

/* tty_nr as /proc shows it: new_encode_dev(tty_devnum(tty)). */
static int
fill_tty(kvm_t *kd, const struct kvm_proc_layout *L, uint64_t tty,
	 struct kinfo_proc2 *kp)
{
	uint8_t tb[256], db[256];
	int err;

	if (L->y_driver.off < 0 || L->y_index.off < 0 || L->d_major.off < 0 ||
	    L->d_minor_start.off < 0 || L->tty_span > sizeof(tb) ||
	    L->drv_span > sizeof(db))
		return 0;
	if ((err = read_struct(kd, tty, tb, L->tty_span, "tty_struct")))
		return err;
	uint64_t drv = PTR(kd, tb, L->y_driver);
	if ((err = read_struct(kd, drv, db, L->drv_span, "tty_driver")))
		return err;
	uint32_t major = (uint32_t)FLD(kd, db, L->d_major);
	uint32_t minor = (uint32_t)FLD(kd, db, L->d_minor_start) +
			 (uint32_t)FLD(kd, tb, L->y_index);
	minor &= (1u << KDEV_MINORBITS) - 1;
	kp->p_tdev = (minor & 0xff) | ((major & 0xfff) << 8) |
		     ((minor & ~0xffu) << 12);
	if (L->y_pgrp.off >= 0)
		return pid_nr(kd, L, PTR(kd, tb, L->y_pgrp), &kp->p_tpgid);
	return 0;
}

/* A NUL-terminated string of at most size-1 bytes at va. */
static int
read_string(kvm_t *kd, uint64_t va, char *buf, size_t size)
{
	size_t done;
	int err = kvm_virt_read(kd, va, buf, size - 1, &done);

	buf[done] = '\0';
	if (err && memchr(buf, '\0', done) == NULL)
		return err;
	return 0;
}

/*
 * The name /proc gives a kernel thread (fs/proc/array.c proc_task_name):
 * a workqueue worker's comm with "+desc" (running a work item) or "-desc"
 * (its last one) appended (kernel/workqueue.c wq_worker_comm, 4.18+);
 * another kthread's full name when its comm was cut to 15 bytes
 * (kernel/kthread.c get_kthread_comm, 6.1+).  /proc formats it in a
 * 64-byte buffer.  Anything unreadable leaves the comm as it is.
 */
#define PF_WQ_WORKER 0x00000020u
static void
kthread_name(kvm_t *kd, const struct kvm_proc_layout *L, const uint8_t *tb,
	     struct kinfo_proc2 *kp)
{
	uint8_t kb[256], wb[256];
	char name[64];

	if (L->t_worker_private.off < 0 || L->k_data.off < 0)
		return;
	size_t kspan = KVM_MAX((size_t)L->k_data.off + L->k_data.size,
			       L->k_full_name.off >= 0
				       ? (size_t)L->k_full_name.off +
						 L->k_full_name.size
				       : 0);
	uint64_t kt = PTR(kd, tb, L->t_worker_private);
	if (!kt || kspan > sizeof(kb) ||
	    read_struct(kd, kt, kb, kspan, "struct kthread"))
		goto out;
	if (kp->p_flag & PF_WQ_WORKER) {
		size_t wspan = 0;
		if (L->w_desc.off < 0 || L->w_current_work.off < 0 ||
		    L->w_pool.off < 0)
			goto out;
		wspan = KVM_MAX(KVM_MAX((size_t)L->w_desc.off + L->w_desc.size,
					(size_t)L->w_current_work.off +
						L->w_current_work.size),
				(size_t)L->w_pool.off + L->w_pool.size);
		uint64_t w = PTR(kd, kb, L->k_data);
		if (!w || wspan > sizeof(wb) ||
		    read_struct(kd, w, wb, wspan, "struct worker"))
			goto out;
		char desc[64];
		size_t dl = KVM_MIN((size_t)L->w_desc.size, sizeof(desc) - 1);
		memcpy(desc, wb + L->w_desc.off, dl);
		desc[dl] = '\0';
		size_t cl = strlen(kp->p_comm);
		if (PTR(kd, wb, L->w_pool) && desc[0] &&
		    cl + 1 < sizeof(kp->p_comm)) {
			kp->p_comm[cl] = PTR(kd, wb, L->w_current_work) ? '+'
									: '-';
			size_t room = sizeof(kp->p_comm) - cl - 2;
			size_t n = KVM_MIN(strlen(desc), room);
			memcpy(kp->p_comm + cl + 1, desc, n);
			kp->p_comm[cl + 1 + n] = '\0';
		}
	} else if (L->k_full_name.off >= 0) {
		uint64_t fn = PTR(kd, kb, L->k_full_name);
		if (fn && read_string(kd, fn, name, sizeof(name)) == 0 &&
		    name[0])
			snprintf(kp->p_comm, sizeof(kp->p_comm), "%s", name);
	}
out:
	kvm_error_clear(kd);
}

/* A process's sizes, from its struct mm_struct at mm. */
static int
fill_mm(kvm_t *kd, const struct kvm_proc_layout *L, uint64_t mm,
	struct kinfo_proc2 *kp)
{
	int err;

	uint8_t *mb = malloc(L->mm_span);
	if (!mb)
		return kvm_error(kd, KVM_ENOMEM, "out of memory");
	if ((err = read_struct(kd, mm, mb, L->mm_span, "struct mm_struct"))) {
		free(mb);
		return err;
	}
	uint32_t page = kd->page_size ? kd->page_size : 4096;
	kp->p_vm_vsize = FLD(kd, mb, L->m_total_vm) * page;
	if (L->m_rss.off >= 0) {
		/* get_mm_rss(): file + anon + shmem (not swap). */
		static const int idx[] = { 0, 1, 3 };
		int64_t rss = 0;
		for (int i = 0; i < 3; i++)
			rss += (int64_t)get(kd, mb,
					    L->m_rss.off +
						    idx[i] * L->rss_stride +
						    L->rss_count_off,
					    8);
		kp->p_vm_rssize = rss > 0 ? (uint64_t)rss : 0;
	}
	free(mb);
	return 0;
}

/*
 * Fill kp from the task at va whose first task_span bytes are in tb.  An
 * error leaves the fields read so far; the caller keeps the entry.
 */
static int
fill_proc(kvm_t *kd, const struct kvm_proc_layout *L, uint64_t va,
	  const uint8_t *tb, struct kinfo_proc2 *kp)
{
	uint8_t buf[8];
	int err;

	memset(kp, 0, sizeof(*kp));
	kp->p_paddr = va;
	kp->p_pid = (int32_t)FLD(kd, tb, L->t_pid);
	kp->p_tdev = KVM_NODEV;
	size_t cl = KVM_MIN((size_t)L->t_comm.size, sizeof(kp->p_comm) - 1);
	memcpy(kp->p_comm, tb + L->t_comm.off, cl);
	kp->p_comm[cl] = '\0';
	kp->p_flag = (uint32_t)FLD(kd, tb, L->t_flags);
	kp->p_kthread = (kp->p_flag & PF_KTHREAD) != 0;
	if (kp->p_kthread)
		kthread_name(kd, L, tb, kp);
	kp->p_stat = state_letter((uint32_t)FLD(kd, tb, L->t_state),
				  (uint32_t)FLD(kd, tb, L->t_exit_state));
	if (L->t_static_prio.off >= 0)
		kp->p_nice = (int32_t)FLD(kd, tb, L->t_static_prio) -
			     DEFAULT_PRIO;
	if (L->t_prio.off >= 0)
		kp->p_priority = (int32_t)FLD(kd, tb, L->t_prio) - MAX_RT_PRIO;
	uint64_t ns = FLD(kd, tb, L->t_start);
	kp->p_ustart_sec = ns / 1000000000;
	kp->p_ustart_usec = (uint32_t)(ns % 1000000000 / 1000);
	ns = FLD(kd, tb, L->t_utime);
	kp->p_uutime_sec = ns / 1000000000;
	kp->p_uutime_usec = (uint32_t)(ns % 1000000000 / 1000);
	ns = FLD(kd, tb, L->t_stime);
	kp->p_ustime_sec = ns / 1000000000;
	kp->p_ustime_usec = (uint32_t)(ns % 1000000000 / 1000);
	kp->p_nlwps = 1;

	/* ppid: the real parent's tgid, 0 for init's parent (pid 0). */
	uint64_t parent = PTR(kd, tb, L->t_real_parent);
	if ((err = read_struct(kd, parent + L->t_tgid.off, buf, L->t_tgid.size,
			       "the parent task")))
		return err;
	kp->p_ppid = (int32_t)get(kd, buf, 0, L->t_tgid.size);

	uint8_t cb[64];
	uint64_t cred = PTR(kd, tb, L->t_real_cred);
	if (L->cred_span > sizeof(cb))
		return kvm_error(kd, KVM_ECORRUPT, "struct cred too large");
	if ((err = read_struct(kd, cred, cb, L->cred_span, "struct cred")))
		return err;
	kp->p_ruid = (uint32_t)FLD(kd, cb, L->c_uid);
	kp->p_uid = (uint32_t)FLD(kd, cb, L->c_euid);
	kp->p_svuid = (uint32_t)FLD(kd, cb, L->c_suid);
	kp->p_rgid = (uint32_t)FLD(kd, cb, L->c_gid);
	kp->p_gid = (uint32_t)FLD(kd, cb, L->c_egid);
	kp->p_svgid = (uint32_t)FLD(kd, cb, L->c_sgid);

	uint64_t pgid_pid, sid_pid;
	uint64_t sig = PTR(kd, tb, L->t_signal);
	uint8_t *sb = malloc(L->signal_span ? L->signal_span : 1);
	if (!sb)
		return kvm_error(kd, KVM_ENOMEM, "out of memory");
	if ((err = read_struct(kd, sig, sb, L->signal_span,
			       "struct signal_struct"))) {
		free(sb);
		return err;
	}
	if (L->s_nr_threads.off >= 0)
		kp->p_nlwps = (int32_t)FLD(kd, sb, L->s_nr_threads);
	uint64_t tty = PTR(kd, sb, L->s_tty);
	if (L->s_pids.off >= 0) {
		pgid_pid = get(kd, sb,
			       L->s_pids.off +
				       (int64_t)L->pidtype_pgid * kd->ptr_size,
			       kd->ptr_size);
		sid_pid = get(kd, sb,
			      L->s_pids.off +
				      (int64_t)L->pidtype_sid * kd->ptr_size,
			      kd->ptr_size);
	} else {
		int64_t base = L->t_pids.off + L->pl_pid.off;
		pgid_pid =
			get(kd, tb,
			    base + (int64_t)L->pidtype_pgid * L->pid_link_size,
			    kd->ptr_size);
		sid_pid = get(kd, tb,
			      base + (int64_t)L->pidtype_sid * L->pid_link_size,
			      kd->ptr_size);
	}
	free(sb);
	if ((err = pid_nr(kd, L, pgid_pid, &kp->p__pgid)) ||
	    (err = pid_nr(kd, L, sid_pid, &kp->p_sid)))
		return err;
	if (tty && (err = fill_tty(kd, L, tty, kp)))
		return err;

	uint64_t mm = PTR(kd, tb, L->t_mm);
	if (mm && (err = fill_mm(kd, L, mm, kp)))
		return err;
	return 0;
}

/* ------------------------------------------------------------ the walk */

/* Addresses seen, so that a cyclic list ends: open addressing. */
struct seen {
	uint64_t *slot;
	size_t mask, n;
};

/* 1 if va was seen before, 0 after adding it, or -KVM_ENOMEM. */
static int
seen_add(kvm_t *kd, struct seen *s, uint64_t va)
{
	if (2 * (s->n + 1) > s->mask + 1) {
		size_t cap = s->mask ? 2 * (s->mask + 1) : 1024;
		uint64_t *ns = calloc(cap, sizeof(*ns));
		if (!ns)
			return kvm_error(kd, KVM_ENOMEM, "out of memory");
		for (size_t i = 0; s->mask && i <= s->mask; i++) {
			if (!s->slot[i])
				continue;
			size_t h = (s->slot[i] * 0x9e3779b97f4a7c15ULL) >> 20;
			while (ns[h & (cap - 1)])
				h++;
			ns[h & (cap - 1)] = s->slot[i];
		}
		free(s->slot);
		s->slot = ns;
		s->mask = cap - 1;
	}
	size_t h = (va * 0x9e3779b97f4a7c15ULL) >> 20;
	for (;; h++) {
		uint64_t *p = &s->slot[h & s->mask];
		if (*p == va)
			return 1;
		if (!*p) {
			*p = va;
			s->n++;
			return 0;
		}
	}
}

/*
 * Walk init_task.tasks.  visit() is called for each task (not init_task
 * itself, pid 0, which /proc does not list) with its first task_span
 * bytes; it returns 0 to go on, 1 to stop, or an error.
 */
typedef int visit_fn(kvm_t *kd, const struct kvm_proc_layout *L, uint64_t task,
		     const uint8_t *tb, void *arg);

static int
walk_tasks(kvm_t *kd, const struct kvm_proc_layout *L, visit_fn *visit,
	   void *arg)
{
	struct seen seen = { 0 };
	const int ps = kd->ptr_size;
	uint64_t head = L->init_task + L->t_tasks.off;
	uint8_t *tb = malloc(L->task_span);
	uint8_t lb[16];
	size_t count = 0;
	int err;

	if (!tb)
		return kvm_error(kd, KVM_ENOMEM, "out of memory");
	if ((err = read_struct(kd, head, lb, 2 * ps, "init_task.tasks"))) {
		err = kvm_error_ctx(kd, "task list");
		goto out;
	}
	uint64_t prev = head, next = get(kd, lb, 0, ps);
	while (next != head) {
		uint64_t task = next - L->t_tasks.off;
		if (++count > KVM_PROC_MAX_TASKS) {
			err = kvm_error(kd, KVM_ECORRUPT,
					"task list: more than %u tasks (the list "
					"is corrupt)",
					KVM_PROC_MAX_TASKS);
			break;
		}
		if ((err = seen_add(kd, &seen, task)) != 0) {
			if (err == 1)
				err = kvm_error(kd, KVM_ECORRUPT,
						"task list: cycle at task 0x%llx "
						"after %zu tasks (the list is "
						"corrupt)",
						(unsigned long long)task,
						count - 1);
			break;
		}
		if ((err = read_struct(kd, task, tb, L->task_span,
				       "task_struct"))) {
			err = kvm_error_ctx(kd, "task list: after %zu tasks",
					    count - 1);
			break;
		}
		uint64_t back = get(kd, tb, L->t_tasks.off + ps, ps);
		int64_t pid = (int32_t)get(kd, tb, L->t_pid.off, L->t_pid.size);
		if (back != prev || pid <= 0 ||
		    pid > (int64_t)KVM_PROC_MAX_TASKS) {
			err = kvm_error(kd, KVM_ECORRUPT,
					"task list: broken at task 0x%llx after "
					"%zu tasks (%s)",
					(unsigned long long)task, count - 1,
					back != prev ? "its prev link does not "
						       "point back"
						     : "implausible pid");
			break;
		}
		int r = visit(kd, L, task, tb, arg);
		if (r < 0) {
			err = r;
			break;
		}
		if (r > 0)
			break;
		prev = next;
		next = get(kd, tb, L->t_tasks.off, ps);
	}
out:
	free(seen.slot);
	free(tb);
	return err;
}

struct list_ctx {
	struct kinfo_proc2 *procs;
	size_t n, cap;
	int first_err;
	char first_msg[_POSIX2_LINE_MAX];
};

static int
list_visit(kvm_t *kd, const struct kvm_proc_layout *L, uint64_t task,
	   const uint8_t *tb, void *arg)
{
	struct list_ctx *c = arg;

	if (c->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 256;
		struct kinfo_proc2 *p = realloc(c->procs, cap * sizeof(*p));
		if (!p)
			return kvm_error(kd, KVM_ENOMEM, "out of memory");
		c->procs = p;
		c->cap = cap;
	}
	int err = fill_proc(kd, L, task, tb, &c->procs[c->n]);
	c->n++;
	if (err && !c->first_err) {
		/* Keep the process with what was read; report the first loss. */
		kvm_error_ctx(kd, "pid %d", c->procs[c->n - 1].p_pid);
		c->first_err = err;
		snprintf(c->first_msg, sizeof(c->first_msg), "%s", kd->errbuf);
	}
	return 0;
}

int
kvm_proc_dump_list(kvm_t *kd, struct kinfo_proc2 **procs_ret, size_t *n_ret)
{
	struct kvm_proc_layout *L;
	struct list_ctx c = { 0 };
	int err;

	*procs_ret = NULL;
	*n_ret = 0;
	if ((err = layout_ensure(kd, &L)))
		return err;
	err = walk_tasks(kd, L, list_visit, &c);
	if (!err && c.first_err)
		err = kvm_error(kd, -c.first_err, "%s", c.first_msg);
	*procs_ret = c.procs;
	*n_ret = c.n;
	return err;
}

/* ---------------------------------------------------------- argv, env */

struct find_ctx {
	int32_t pid;
	uint64_t task;
};

static int
find_visit(kvm_t *kd, const struct kvm_proc_layout *L, uint64_t task,
	   const uint8_t *tb, void *arg)
{
	struct find_ctx *c = arg;

	if ((int32_t)get(kd, tb, L->t_pid.off, L->t_pid.size) != c->pid)
		return 0;
	c->task = task;
	return 1;
}

/*
 * The release, for the arch's layouts that changed by release (arm64's
 * swap entries): once, and only when someone needs it.
 */
static void
learn_kver(kvm_t *kd)
{
	char rel[65];
	unsigned a, b;

	if (kd->xlat.kver)
		return;
	/* 1: looked for and not found (no release is 0.1). */
	kd->xlat.kver = 1;
	if (kvm_proc_release(kd, rel, sizeof(rel)) == 0 &&
	    sscanf(rel, "%u.%u", &a, &b) == 2 && a > 0 && a < 1000 && b < 1000)
		kd->xlat.kver = KVM_KVER(a, b);
	kvm_error_clear(kd);
}

/*
 * Read user memory [va, va+len) through the page tables at root; a page
 * in swap through the swap layer.
 */
static int
read_user(kvm_t *kd, uint64_t root, uint64_t va, uint8_t *buf, size_t len,
	  size_t *done_ret)
{
	size_t done = 0;
	int err = 0;

	learn_kver(kd);
	while (done < len) {
		uint64_t pa, valid;
		struct kvm_swp_entry swp;
		err = kd->arch->uvatop(kd, root, va + done, &pa, &valid, &swp);
		if (err < 0)
			break;
		if (valid == 0 ||
		    (err == KVM_UVA_SWAP && valid > kd->page_size)) {
			err = kvm_error(kd, KVM_EFAULT, "empty mapping");
			break;
		}
		size_t n = KVM_MIN((uint64_t)(len - done), valid), got;
		if (err == KVM_UVA_SWAP) {
			err = kvm_swap_read(kd, &swp, kd->page_size - valid,
					    buf + done, n);
			if (err)
				break;
			done += n;
			continue;
		}
		err = kvm_phys_read(kd, pa, buf + done, n, &got);
		done += got;
		if (err)
			break;
	}
	*done_ret = done;
	if (err)
		return kvm_error_ctx(kd, "user address 0x%llx",
				     (unsigned long long)(va + done));
	return 0;
}

/*
 * The mm_struct of p's task (found by pid when the caller made p), the
 * task checked to still be that pid: *mb_ret its bytes (L->mm_span, to
 * free), or NULL for a kernel thread or a zombie (no user memory).
 */
static int
user_mm(kvm_t *kd, const struct kinfo_proc2 *p, struct kvm_proc_layout **L_ret,
	uint8_t **mb_ret)
{
	struct kvm_proc_layout *L;
	int err;
	uint64_t task = p->p_paddr;

	*mb_ret = NULL;
	if ((err = layout_ensure(kd, &L)))
		return err;
	*L_ret = L;
	if (!kd->arch->uvatop)
		return kvm_error(kd, KVM_ENOTSUP,
				 "%s: user address translation not supported",
				 kd->arch->name);
	if (!task) {
		/* A kinfo_proc2 the caller made: find the pid. */
		struct find_ctx c = { .pid = p->p_pid };
		if ((err = walk_tasks(kd, L, find_visit, &c)) && !c.task)
			return kvm_error_ctx(kd, "pid %d", p->p_pid);
		kvm_error_clear(kd);
		if (!c.task)
			return kvm_error(kd, KVM_ENOENT, "no process %d",
					 p->p_pid);
		task = c.task;
	}
	uint8_t *tb = malloc(L->task_span);
	if (!tb)
		return kvm_error(kd, KVM_ENOMEM, "out of memory");
	if ((err = read_struct(kd, task, tb, L->task_span, "task_struct"))) {
		free(tb);
		return kvm_error_ctx(kd, "pid %d", p->p_pid);
	}
	int32_t pid = (int32_t)FLD(kd, tb, L->t_pid);
	uint64_t mm = PTR(kd, tb, L->t_mm);
	free(tb);
	if (pid != p->p_pid)
		return kvm_error(kd, KVM_EINVAL,
				 "pid %d: the task at 0x%llx is pid %d, not a "
				 "process of this listing",
				 p->p_pid, (unsigned long long)task, pid);
	if (!mm)
		return 0;
	uint8_t *mb = malloc(L->mm_span);
	if (!mb)
		return kvm_error(kd, KVM_ENOMEM, "out of memory");
	if ((err = read_struct(kd, mm, mb, L->mm_span, "struct mm_struct"))) {
		free(mb);
		return kvm_error_ctx(kd, "pid %d", pid);
	}
	*mb_ret = mb;
	return 0;
}

/* The physical address of the root table of mm's page tables. */
static int
mm_root(kvm_t *kd, int32_t pid, uint64_t pgd, uint64_t *root_ret)
{
	uint64_t valid;

	if (kvm_kvatop_cached(kd, pgd, root_ret, &valid))
		return kvm_error_ctx(kd, "pid %d: page tables (mm->pgd 0x%llx)",
				     pid, (unsigned long long)pgd);
	return 0;
}

int
kvm_proc_dump_args(kvm_t *kd, const struct kinfo_proc2 *p, bool env,
		   char **buf_ret, size_t *len_ret)
{
	const char *what = env ? "environment" : "arguments";
	struct kvm_proc_layout *L;
	uint8_t *mb;
	int err;

	*buf_ret = NULL;
	*len_ret = 0;
	if ((err = user_mm(kd, p, &L, &mb)))
		return err;
	int32_t pid = p->p_pid;
	if (!mb) /* kernel thread or zombie: no user memory */
		return 0;
	uint64_t pgd = PTR(kd, mb, L->m_pgd);
	uint64_t start = PTR(kd, mb, env ? L->m_env_start : L->m_arg_start);
	uint64_t end = PTR(kd, mb, env ? L->m_env_end : L->m_arg_end);
	free(mb);
	if (end < start || end - start > KVM_PROC_MAX_ARGS)
		return kvm_error(kd, KVM_ECORRUPT,
				 "pid %d: %s area 0x%llx-0x%llx is not plausible",
				 pid, what, (unsigned long long)start,
				 (unsigned long long)end);
	if (end == start)
		return 0;
	/* Kernel addresses are no process's arguments (a hostile mm). */
	if (kd->xlat.user_end && end > kd->xlat.user_end)
		return kvm_error(kd, KVM_ECORRUPT,
				 "pid %d: %s area 0x%llx-0x%llx is not in user "
				 "space",
				 pid, what, (unsigned long long)start,
				 (unsigned long long)end);
	uint64_t root;
	if ((err = mm_root(kd, pid, pgd, &root)))
		return err;
	size_t len = end - start, done;
	char *buf = malloc(len);
	if (!buf)
		return kvm_error(kd, KVM_ENOMEM, "out of memory");
	err = read_user(kd, root, start, (uint8_t *)buf, len, &done);
	if (err)
		err = kvm_error_ctx(kd,
				    "pid %d: %s cut short after %zu of %zu "
				    "bytes",
				    pid, what, done, len);
	*buf_ret = buf;
	*len_ret = done;
	return err;
}

int
kvm_proc_dump_uread(kvm_t *kd, const struct kinfo_proc2 *p, uint64_t va,
		    void *buf, size_t len, size_t *done_ret)
{
	struct kvm_proc_layout *L;
	uint8_t *mb;
	uint64_t root;
	int err;

	*done_ret = 0;
	if ((err = user_mm(kd, p, &L, &mb)))
		return err;
	if (!mb)
		return kvm_error(kd, KVM_ENODATA,
				 "pid %d has no user memory (a kernel thread "
				 "or a zombie)",
				 p->p_pid);
	uint64_t pgd = PTR(kd, mb, L->m_pgd);
	free(mb);
	if (kd->xlat.user_end &&
	    (va >= kd->xlat.user_end || len > kd->xlat.user_end - va))
		return kvm_error(kd, KVM_EFAULT,
				 "pid %d: 0x%llx-0x%llx is not in user space",
				 p->p_pid, (unsigned long long)va,
				 (unsigned long long)(va + len));
	if ((err = mm_root(kd, p->p_pid, pgd, &root)))
		return err;
	if ((err = read_user(kd, root, va, buf, len, done_ret)))
		return kvm_error_ctx(kd, "pid %d", p->p_pid);
	return 0;
}

/* ------------------------------------------------------------ loadavg */

/*
 * avenrun[3]: unsigned longs, fixed point with FSHIFT 11 fraction bits
 * (include/linux/sched/loadavg.h, unchanged since 2.6).
 */
int
kvm_proc_dump_loadavg(kvm_t *kd, double la[3])
{
	uint64_t va;
	uint8_t buf[24];
	size_t done;
	int err;

	if ((err = kvm_sym_lookup(kd, "avenrun", &va)))
		return kvm_error_ctx(kd, "load average");
	const int ps = kd->ptr_size == 4 ? 4 : 8;
	if ((err = kvm_virt_read(kd, va, buf, 3 * ps, &done)))
		return kvm_error_ctx(kd, "load average: avenrun");
	for (int i = 0; i < 3; i++)
		la[i] = (double)get(kd, buf, i * ps, ps) / 2048.0;
	return 0;
}
