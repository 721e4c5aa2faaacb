// SPDX-License-Identifier: BSD-2-Clause
/*
 * kvm_getprocs/kvm_getproc2, argv/environ and load average.  The task-list
 * walk over symbols and BTF is not supported yet: each call fails with a
 * message saying so.
 */
#include "../kvm_private.h"

static void
proc_unsupported(kvm_t *kd, const char *what)
{
	if (!kd) {
		errno = EINVAL;
		return;
	}
	kvm_error(kd, KVM_ENOTSUP, "%s: not supported yet", what);
	kvm_report(kd);
}

KVM_EXPORT struct kinfo_proc *
kvm_getprocs(kvm_t *kd, int op, int arg, int *cnt)
{
	(void)op, (void)arg;
	if (cnt)
		*cnt = 0;
	proc_unsupported(kd, "kvm_getprocs");
	return NULL;
}

KVM_EXPORT struct kinfo_proc2 *
kvm_getproc2(kvm_t *kd, int op, int arg, size_t elemsize, int *cnt)
{
	(void)op, (void)arg, (void)elemsize;
	if (cnt)
		*cnt = 0;
	proc_unsupported(kd, "kvm_getproc2");
	return NULL;
}

KVM_EXPORT char **
kvm_getargv(kvm_t *kd, const struct kinfo_proc *p, int nchr)
{
	(void)p, (void)nchr;
	proc_unsupported(kd, "kvm_getargv");
	return NULL;
}

KVM_EXPORT char **
kvm_getenvv(kvm_t *kd, const struct kinfo_proc *p, int nchr)
{
	(void)p, (void)nchr;
	proc_unsupported(kd, "kvm_getenvv");
	return NULL;
}

KVM_EXPORT char **
kvm_getargv2(kvm_t *kd, const struct kinfo_proc2 *p, int nchr)
{
	(void)p, (void)nchr;
	proc_unsupported(kd, "kvm_getargv2");
	return NULL;
}

KVM_EXPORT char **
kvm_getenvv2(kvm_t *kd, const struct kinfo_proc2 *p, int nchr)
{
	(void)p, (void)nchr;
	proc_unsupported(kd, "kvm_getenvv2");
	return NULL;
}

KVM_EXPORT int
kvm_getloadavg(kvm_t *kd, double loadavg[], int nelem)
{
	(void)loadavg, (void)nelem;
	proc_unsupported(kd, "kvm_getloadavg");
	return -1;
}
