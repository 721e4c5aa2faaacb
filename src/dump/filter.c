// SPDX-License-Identifier: BSD-2-Clause
/* Pages a dump level leaves out (stub: being written). */
#include <string.h>

#include "dump.h"

int
kvm_dump_filter_init(kvm_t *kd, int level, struct kvm_dump_filter *f)
{
	memset(f, 0, sizeof(*f));
	f->level = level;
	if (level & ~KVM_DUMP_EXCL_ZERO)
		return kvm_error(kd, KVM_ENOTSUP,
				 "dump level %d: page classes not supported yet",
				 level);
	return 0;
}

void
kvm_dump_filter_deinit(struct kvm_dump_filter *f)
{
	(void)f;
}
