/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * src/proc: processes, argv/environ, the load average and the kernel log
 * (DESIGN §5).  kinfo.c holds the public entry points and the arrays they
 * hand out; each call answers from one of two backends, chosen by
 * kvm_proc_live(): the dump walker (proc_dump.c: the task list read
 * through the target's symbols and BTF; printk.c: the log buffer) or the
 * running system (proc_live.c: /proc and syslog(2)).
 */
#ifndef KVM_PROC_H
#define KVM_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../kvm_private.h"

/*
 * Bounds for hostile targets.  PID_MAX_LIMIT is 4M (include/linux/threads.h),
 * so no kernel has more tasks; the argument and environment areas of a
 * process are at most a quarter of its stack limit (fs/exec.c), 2 MiB by
 * default: 16 MiB is generous.  The printk text ring is at most 2^25 bytes
 * by CONFIG_LOG_BUF_SHIFT, more with log_buf_len=: 256 MiB is a cap.
 */
#define KVM_PROC_MAX_TASKS (4u << 20)
#define KVM_PROC_MAX_ARGS (16u << 20)
#define KVM_LOG_MAX_TEXT (256u << 20)
#define KVM_LOG_MAX_RECORDS (16u << 20)

/*
 * The kernel log as the loaders build it: records in order, their texts in
 * one pool (offsets while building, pointers once kvm_log_finish() ran).
 */
struct kvm_log {
	struct kvm_log_entry *ents;
	size_t n, cap;
	char *text;
	size_t text_len, text_cap;
	bool finished;
};

/*
 * Append a record; text need not be NUL-terminated (len bytes are copied
 * and a NUL added).  0, or -KVM_ENOMEM / -KVM_ECORRUPT past the caps.
 */
int kvm_log_add(kvm_t *kd, struct kvm_log *log, uint64_t seq, uint64_t ts_nsec,
		int level, int facility, uint32_t caller_id, const char *text,
		size_t len);
/* Point every entry's text into the pool; call once, after the last add. */
void kvm_log_finish(struct kvm_log *log);
void kvm_log_deinit(struct kvm_log *log);

struct kvm_proc_layout; /* proc_dump.c: offsets resolved once */

/* What kinfo.c keeps per handle (kd->proc). */
struct kvm_proc {
	void *procs;	    /* the array kvm_getprocs/getproc2 returned */
	char **vec;	    /* the vector kvm_getargv/envv returned */
	char *vecbuf;	    /* its strings */
	struct kvm_log log; /* what kvm_log_get returned */
	bool log_loaded;
	struct kvm_proc_layout *layout;
};

/*
 * Whether process data comes from the running system: KVM_NO_FILES, or a
 * live handle whose kernel memory cannot be read.
 */
bool kvm_proc_live(const kvm_t *kd);

/*
 * Backends.  Each list holds one entry per process (thread-group leader),
 * in a malloc'd array the caller frees; p_stat etc. filled as far as the
 * backend knows.  On an error the entries read before it are still in
 * *procs_ret / *n_ret (possibly none): a partial answer.
 */
int kvm_proc_dump_list(kvm_t *kd, struct kinfo_proc2 **procs_ret,
		       size_t *n_ret);
int kvm_proc_live_list(kvm_t *kd, struct kinfo_proc2 **procs_ret,
		       size_t *n_ret);
/*
 * The raw argument (env false) or environment area of process p: the
 * NUL-separated strings as the process holds them, in a malloc'd buffer of
 * *len_ret bytes (at most KVM_PROC_MAX_ARGS).  A kernel thread or a zombie
 * has none (0 bytes, success).  On an error the bytes read before it are
 * still returned.
 */
int kvm_proc_dump_args(kvm_t *kd, const struct kinfo_proc2 *p, bool env,
		       char **buf_ret, size_t *len_ret);
int kvm_proc_live_args(kvm_t *kd, const struct kinfo_proc2 *p, bool env,
		       char **buf_ret, size_t *len_ret);
/* The three load averages. */
/*
 * User memory [va, va+len) of process p (*done_ret bytes read, the rest
 * failed with the reason): through its page tables and the swap areas,
 * or /proc/PID/mem.
 */
int kvm_proc_dump_uread(kvm_t *kd, const struct kinfo_proc2 *p, uint64_t va,
			void *buf, size_t len, size_t *done_ret);
int kvm_proc_live_uread(kvm_t *kd, const struct kinfo_proc2 *p, uint64_t va,
			void *buf, size_t len, size_t *done_ret);
int kvm_proc_dump_loadavg(kvm_t *kd, double la[3]);
int kvm_proc_live_loadavg(kvm_t *kd, double la[3]);
/*
 * Fill log (empty on entry) with the kernel log.  On an error the records
 * read before it stay in log: a partial answer.
 */
int kvm_log_load_dump(kvm_t *kd, struct kvm_log *log);
int kvm_log_load_live(kvm_t *kd, struct kvm_log *log);
/* Free what proc_dump.c cached in kd->proc. */
void kvm_proc_dump_fini(kvm_t *kd);

#endif /* KVM_PROC_H */
