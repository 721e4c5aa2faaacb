// SPDX-License-Identifier: BSD-2-Clause
/* kvm_dump_write(): the on-device format and conversions (stub). */
#include "dump.h"

KVM_EXPORT int
kvm_dump_write(kvm_t *kd, const char *device, const struct kvm_dump_opts *o,
	       struct kvm_dump_result *res)
{
	KVM_CHECK_KD(kd, -1);
	kvm_error(kd, KVM_ENOTSUP, "kvm_dump_write: not supported yet");
	kvm_report(kd);
	return -1;
}
