// SPDX-License-Identifier: BSD-2-Clause
/*
 * The public process and log calls: kvm_getprocs/kvm_getproc2 (selection
 * by KERN_PROC_* op, the elemsize rule), kvm_getargv(2)/kvm_getenvv(2)
 * (the nchr rule), kvm_getloadavg and kvm_log_get.  They own the arrays
 * they return (kd->proc) and take the data from the dump walker or from
 * the running system (proc.h).
 */
#include <stdlib.h>
#include <string.h>

#include "proc.h"

/* A caller's elemsize beyond this is a bug, not a newer struct. */
#define KVM_PROC_MAX_ELEMSIZE 65536

bool
kvm_proc_live(const kvm_t *kd)
{
	return kd->flags == KVM_NO_FILES || (kd->live && !kd->format);
}

static struct kvm_proc *
proc_state(kvm_t *kd)
{
	if (!kd->proc && !(kd->proc = calloc(1, sizeof(*kd->proc))))
		kvm_error(kd, KVM_ENOMEM, "out of memory");
	return kd->proc;
}

void
kvm_proc_fini(kvm_t *kd)
{
	struct kvm_proc *ps = kd->proc;

	if (!ps)
		return;
	kvm_proc_dump_fini(kd);
	free(ps->procs);
	free(ps->vec);
	free(ps->vecbuf);
	kvm_log_deinit(&ps->log);
	free(ps);
	kd->proc = NULL;
}

static bool
proc_selected(const struct kinfo_proc2 *p, int op, int arg)
{
	switch (op) {
	case KERN_PROC_ALL:
		return true;
	case KERN_PROC_PID:
		return p->p_pid == arg;
	case KERN_PROC_PGRP:
		return p->p__pgid == arg;
	case KERN_PROC_SESSION:
		return p->p_sid == arg;
	case KERN_PROC_TTY:
		/* arg is a Linux tty_nr; KVM_NODEV (-1) selects "no tty". */
		return p->p_tdev == (uint32_t)arg;
	case KERN_PROC_UID:
		return p->p_uid == (uint32_t)arg;
	case KERN_PROC_RUID:
		return p->p_ruid == (uint32_t)arg;
	}
	return false;
}

/*
 * The selected processes, each copied into elemsize bytes (zero-padded
 * when the caller's struct is larger than ours).  NULL on failure.
 */
static void *
proc_select(kvm_t *kd, int op, int arg, size_t elemsize, int *cnt)
{
	struct kinfo_proc2 *all = NULL;
	size_t nall = 0;
	int err;

	if (cnt)
		*cnt = 0;
	if (!cnt) {
		kvm_error(kd, KVM_EINVAL, "kvm_getprocs: cnt is NULL");
		return NULL;
	}
	if (op < KERN_PROC_ALL || op > KERN_PROC_RUID) {
		kvm_error(kd, KVM_EINVAL, "kvm_getprocs: unknown op %d", op);
		return NULL;
	}
	if (elemsize == 0 || elemsize > KVM_PROC_MAX_ELEMSIZE) {
		kvm_error(kd, KVM_EINVAL, "kvm_getproc2: bad elemsize %zu",
			  elemsize);
		return NULL;
	}
	struct kvm_proc *ps = proc_state(kd);
	if (!ps)
		return NULL;
	if (kvm_proc_live(kd))
		err = kvm_proc_live_list(kd, &all, &nall);
	else
		err = kvm_proc_dump_list(kd, &all, &nall);
	/* Out of memory is no partial answer: the list would just be short. */
	if (err &&
	    (nall == 0 || err == -KVM_ENOMEM || kd->errcode == KVM_ENOMEM)) {
		free(all);
		return NULL;
	}
	/* From here on an error means a partial list: its text stays. */
	size_t nsel = 0;
	for (size_t i = 0; i < nall; i++)
		if (proc_selected(&all[i], op, arg))
			nsel++;
	uint8_t *out = calloc(nsel ? nsel : 1, elemsize);
	if (!out) {
		free(all);
		kvm_error(kd, KVM_ENOMEM, "out of memory");
		return NULL;
	}
	size_t copy = KVM_MIN(elemsize, sizeof(struct kinfo_proc2));
	for (size_t i = 0, j = 0; i < nall; i++)
		if (proc_selected(&all[i], op, arg))
			memcpy(out + elemsize * j++, &all[i], copy);
	free(all);
	free(ps->procs);
	ps->procs = out;
	*cnt = (int)nsel;
	return out;
}

KVM_EXPORT struct kinfo_proc *
kvm_getprocs(kvm_t *kd, int op, int arg, int *cnt)
{
	KVM_CHECK_KD(kd, NULL);
	struct kinfo_proc *r =
		proc_select(kd, op, arg, sizeof(struct kinfo_proc), cnt);
	if (!r)
		kvm_report(kd);
	return r;
}

KVM_EXPORT struct kinfo_proc2 *
kvm_getproc2(kvm_t *kd, int op, int arg, size_t elemsize, int *cnt)
{
	KVM_CHECK_KD(kd, NULL);
	struct kinfo_proc2 *r = proc_select(kd, op, arg, elemsize, cnt);
	if (!r)
		kvm_report(kd);
	return r;
}

/*
 * Split the raw NUL-separated area into a vector, at most nchr characters
 * in all (0: no cap; the string that crosses the cap is cut there and the
 * rest dropped).  A last string without its NUL counts as a string.
 */
static char **
proc_vector(kvm_t *kd, struct kvm_proc *ps, char *raw, size_t len, int nchr)
{
	size_t n = 0, kept = 0, chars = 0;
	size_t cap = nchr > 0 ? (size_t)nchr : SIZE_MAX;

	for (size_t i = 0; i < len; i++)
		if (raw[i] == '\0')
			n++;
	if (len && raw[len - 1] != '\0')
		n++;
	char **vec = calloc(n + 1, sizeof(*vec));
	/* One more byte: the unterminated last string gets its NUL. */
	char *buf = malloc(len + 1);
	if (!vec || !buf) {
		free(vec);
		free(buf);
		kvm_error(kd, KVM_ENOMEM, "out of memory");
		return NULL;
	}
	memcpy(buf, raw, len);
	buf[len] = '\0';
	for (size_t i = 0; i < len && chars < cap;) {
		char *s = buf + i;
		size_t sl = strlen(s);
		i += sl + 1;
		if (sl > cap - chars) {
			sl = cap - chars;
			s[sl] = '\0';
		}
		chars += sl;
		vec[kept++] = s;
	}
	vec[kept] = NULL;
	free(ps->vec);
	free(ps->vecbuf);
	ps->vec = vec;
	ps->vecbuf = buf;
	return vec;
}

static char **
proc_args(kvm_t *kd, const struct kinfo_proc2 *p, bool env, int nchr,
	  const char *what)
{
	char *raw = NULL;
	size_t len = 0;
	int err;

	if (!p) {
		kvm_error(kd, KVM_EINVAL, "%s: no process", what);
		return NULL;
	}
	if (nchr < 0) {
		kvm_error(kd, KVM_EINVAL, "%s: negative nchr", what);
		return NULL;
	}
	struct kvm_proc *ps = proc_state(kd);
	if (!ps)
		return NULL;
	if (kvm_proc_live(kd))
		err = kvm_proc_live_args(kd, p, env, &raw, &len);
	else
		err = kvm_proc_dump_args(kd, p, env, &raw, &len);
	if (err && len == 0) {
		free(raw);
		return NULL;
	}
	char **v = proc_vector(kd, ps, raw ? raw : "", len, nchr);
	free(raw);
	return v;
}

#define ARGS_ENTRY(fn, type, field, env)                                    \
	KVM_EXPORT char **fn(kvm_t *kd, const type *p, int nchr)            \
	{                                                                   \
		KVM_CHECK_KD(kd, NULL);                                     \
		char **v = proc_args(kd, p ? field : NULL, env, nchr, #fn); \
		if (!v)                                                     \
			kvm_report(kd);                                     \
		return v;                                                   \
	}

ARGS_ENTRY(kvm_getargv, struct kinfo_proc, &p->kp_proc, false)
ARGS_ENTRY(kvm_getenvv, struct kinfo_proc, &p->kp_proc, true)
ARGS_ENTRY(kvm_getargv2, struct kinfo_proc2, p, false)
ARGS_ENTRY(kvm_getenvv2, struct kinfo_proc2, p, true)

/* kvm_uread(), kvm_uread2(): user memory of a process, swap included. */
static ssize_t
uread(kvm_t *kd, const struct kinfo_proc2 *p, uint64_t uva, void *buf,
      size_t len, const char *what)
{
	size_t done = 0;
	int err;

	if (!p || (!buf && len)) {
		kvm_error(kd, KVM_EINVAL, "%s: no process or no buffer", what);
		return -1;
	}
	if (len > SSIZE_MAX)
		len = SSIZE_MAX;
	if (len == 0)
		return 0;
	if (kvm_proc_live(kd))
		err = kvm_proc_live_uread(kd, p, uva, buf, len, &done);
	else
		err = kvm_proc_dump_uread(kd, p, uva, buf, len, &done);
	if (err && done == 0)
		return -1;
	return (ssize_t)done;
}

KVM_EXPORT ssize_t
kvm_uread(kvm_t *kd, const struct kinfo_proc *p, unsigned long uva, char *buf,
	  size_t len)
{
	KVM_CHECK_KD(kd, -1);
	ssize_t n =
		uread(kd, p ? &p->kp_proc : NULL, uva, buf, len, "kvm_uread");
	if (n < 0)
		kvm_report(kd);
	return n;
}

KVM_EXPORT ssize_t
kvm_uread2(kvm_t *kd, const struct kinfo_proc2 *p, kvaddr_t uva, void *buf,
	   size_t len)
{
	KVM_CHECK_KD(kd, -1);
	ssize_t n = uread(kd, p, uva, buf, len, "kvm_uread2");
	if (n < 0)
		kvm_report(kd);
	return n;
}

KVM_EXPORT int
kvm_getloadavg(kvm_t *kd, double loadavg[], int nelem)
{
	double la[3];
	int err;

	KVM_CHECK_KD(kd, -1);
	if (nelem < 0 || (nelem > 0 && !loadavg)) {
		kvm_error(kd, KVM_EINVAL, "kvm_getloadavg: bad arguments");
		goto fail;
	}
	if (kvm_proc_live(kd))
		err = kvm_proc_live_loadavg(kd, la);
	else
		err = kvm_proc_dump_loadavg(kd, la);
	if (err)
		goto fail;
	if (nelem > 3)
		nelem = 3;
	for (int i = 0; i < nelem; i++)
		loadavg[i] = la[i];
	return nelem;
fail:
	kvm_report(kd);
	return -1;
}

KVM_EXPORT int
kvm_log_get(kvm_t *kd, const struct kvm_log_entry **entries_ret, size_t *n_ret)
{
	int err;

	KVM_CHECK_KD(kd, -1);
	if (!entries_ret || !n_ret) {
		kvm_error(kd, KVM_EINVAL, "kvm_log_get: NULL result pointer");
		goto fail;
	}
	struct kvm_proc *ps = proc_state(kd);
	if (!ps)
		goto fail;
	/*
	 * Read anew each time: a live log moves, and a partial read of a
	 * dump's log must say again what it lost.
	 */
	kvm_log_deinit(&ps->log);
	if (kvm_proc_live(kd))
		err = kvm_log_load_live(kd, &ps->log);
	else
		err = kvm_log_load_dump(kd, &ps->log);
	kvm_log_finish(&ps->log);
	if (err && ps->log.n == 0)
		goto fail;
	*entries_ret = ps->log.ents;
	*n_ret = ps->log.n;
	return 0;
fail:
	kvm_report(kd);
	return -1;
}
