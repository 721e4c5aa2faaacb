// SPDX-License-Identifier: BSD-2-Clause
/* ELF vmcore output (stub: being written). */
#include "dump.h"

int
kvm_dump_write_elf(kvm_t *kd, const struct kvm_dump_opts *o,
		   const struct kvm_dump_filter *f, struct kvm_dump_sink *s,
		   struct kvm_dump_result *res)
{
	return kvm_error(kd, KVM_ENOTSUP, "ELF output not supported yet");
}
