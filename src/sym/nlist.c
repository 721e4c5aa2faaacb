// SPDX-License-Identifier: BSD-2-Clause
/*
 * kvm_nlist/kvm_nlist2.  Symbol sources (vmlinux symtab, System.map,
 * kallsyms decoded from the dump) are not supported yet: the calls fail
 * with a message saying so, as kvm(3) callers expect of an unsupported
 * operation.
 */
#include "../kvm_private.h"

static int
nlist_unsupported(kvm_t *kd)
{
	KVM_CHECK_KD(kd, -1);
	kvm_error(kd, KVM_ENOTSUP,
		  "kvm_nlist: symbol lookup is not supported yet");
	kvm_report(kd);
	return -1;
}

KVM_EXPORT int
kvm_nlist(kvm_t *kd, struct nlist *nl)
{
	(void)nl;
	return nlist_unsupported(kd);
}

KVM_EXPORT int
kvm_nlist2(kvm_t *kd, struct kvm_nlist *nl)
{
	(void)nl;
	return nlist_unsupported(kd);
}
