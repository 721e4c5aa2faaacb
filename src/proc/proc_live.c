// SPDX-License-Identifier: BSD-2-Clause
/* Processes, argv/environ, load average and log of the running system. */
#include "proc.h"

int
kvm_proc_live_list(kvm_t *kd, struct kinfo_proc2 **procs_ret, size_t *n_ret)
{
	*procs_ret = NULL;
	*n_ret = 0;
	return kvm_error(kd, KVM_ENOTSUP, "/proc: not supported yet");
}

int
kvm_proc_live_args(kvm_t *kd, const struct kinfo_proc2 *p, bool env,
		   char **buf_ret, size_t *len_ret)
{
	*buf_ret = NULL;
	*len_ret = 0;
	return kvm_error(kd, KVM_ENOTSUP, "/proc: not supported yet");
}

int
kvm_proc_live_loadavg(kvm_t *kd, double la[3])
{
	return kvm_error(kd, KVM_ENOTSUP, "/proc: not supported yet");
}

int
kvm_log_load_live(kvm_t *kd, struct kvm_log *log)
{
	return kvm_error(kd, KVM_ENOTSUP, "syslog: not supported yet");
}
