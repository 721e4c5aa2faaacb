// SPDX-License-Identifier: BSD-2-Clause
/*
 * kvm_dump(3): on-device dump headers for savecore.  The on-device and
 * kcore formats are not supported yet; every call fails with a message
 * saying so (and refuses the live kernel, as the contract requires).
 */
#include "../kvm_private.h"

static int
dump_unsupported(kvm_t *kd, const char *what)
{
	KVM_CHECK_KD(kd, -1);
	if (kd->live || kd->flags == KVM_NO_FILES)
		kvm_error(kd, KVM_EINVAL, "%s: cannot be used on the live "
			  "kernel", what);
	else
		kvm_error(kd, KVM_ENOTSUP, "%s: dump headers are not "
			  "supported yet", what);
	kvm_report(kd);
	return -1;
}

KVM_EXPORT int
kvm_dump_mkheader(kvm_t *kd, off_t dump_off)
{
	(void)dump_off;
	return dump_unsupported(kd, "kvm_dump_mkheader");
}

KVM_EXPORT int
kvm_dump_wrtheader(kvm_t *kd, FILE *fp, int dumpsize)
{
	(void)fp, (void)dumpsize;
	return dump_unsupported(kd, "kvm_dump_wrtheader");
}

KVM_EXPORT int
kvm_dump_header(kvm_t *kd, kvm_write_buf_fn *write_buf, void *cookie,
		int dumpsize)
{
	(void)write_buf, (void)cookie, (void)dumpsize;
	return dump_unsupported(kd, "kvm_dump_header");
}

KVM_EXPORT int
kvm_dump_inval(kvm_t *kd)
{
	return dump_unsupported(kd, "kvm_dump_inval");
}
