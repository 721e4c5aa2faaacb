// SPDX-License-Identifier: BSD-2-Clause
/* Dump devices in the dump(D2DK) model (stub: being written). */
#include "dump.h"

int
kvm_dumpdev_open(kvm_t *kd, const char *path, int flags,
		 struct kvm_dumpdev **dev_ret)
{
	*dev_ret = NULL;
	return kvm_error(kd, KVM_ENOTSUP, "dump devices not supported yet");
}

void
kvm_dumpdev_close(struct kvm_dumpdev *dev)
{
	(void)dev;
}
