// SPDX-License-Identifier: BSD-2-Clause
/* The kernel log of a dump: the printk ring buffer. */
#include "proc.h"

int
kvm_log_load_dump(kvm_t *kd, struct kvm_log *log)
{
	return kvm_error(kd, KVM_ENOTSUP, "kernel log: not supported yet");
}
