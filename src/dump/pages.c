// SPDX-License-Identifier: BSD-2-Clause
/* The target's pages in order for a writer (stub: being written). */
#include "dump.h"

int
kvm_dump_pages(kvm_t *kd, const struct kvm_dump_opts *o, int method,
	       const struct kvm_dump_filter *f, kvm_dump_emit_fn *emit,
	       void *arg, struct kvm_dump_result *res)
{
	return kvm_error(kd, KVM_ENOTSUP, "dump: pages not supported yet");
}
