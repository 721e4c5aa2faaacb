// SPDX-License-Identifier: BSD-2-Clause
/* kcore dmesg: the kernel log. */
#include "kcore.h"

int
cmd_dmesg(kvm_t *kd, const struct kcore_opts *o, int argc, char **argv)
{
	const struct kvm_log_entry *e;
	size_t n;

	(void)o, (void)argc, (void)argv;
	if (kvm_log_get(kd, &e, &n) < 0)
		return kcore_fail(kd, "dmesg");
	return KCORE_EXIT_OK;
}
