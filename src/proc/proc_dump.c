// SPDX-License-Identifier: BSD-2-Clause
/* Processes of a dump: the task list through the dump's symbols and BTF. */
#include "proc.h"

int
kvm_proc_dump_list(kvm_t *kd, struct kinfo_proc2 **procs_ret, size_t *n_ret)
{
	*procs_ret = NULL;
	*n_ret = 0;
	return kvm_error(kd, KVM_ENOTSUP, "task list: not supported yet");
}

int
kvm_proc_dump_args(kvm_t *kd, const struct kinfo_proc2 *p, bool env,
		   char **buf_ret, size_t *len_ret)
{
	*buf_ret = NULL;
	*len_ret = 0;
	return kvm_error(kd, KVM_ENOTSUP, "task list: not supported yet");
}

int
kvm_proc_dump_loadavg(kvm_t *kd, double la[3])
{
	return kvm_error(kd, KVM_ENOTSUP, "avenrun: not supported yet");
}

void
kvm_proc_dump_fini(kvm_t *kd)
{
	(void)kd;
}
