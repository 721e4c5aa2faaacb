// SPDX-License-Identifier: BSD-2-Clause
/* kdump-compressed output (stub: being written). */
#include "dump.h"

int
kvm_dump_write_kdump(kvm_t *kd, const struct kvm_dump_opts *o,
		     const struct kvm_dump_filter *f, struct kvm_dump_sink *s,
		     struct kvm_dump_result *res)
{
	return kvm_error(kd, KVM_ENOTSUP, "kdump output not supported yet");
}
