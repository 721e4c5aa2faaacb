// SPDX-License-Identifier: BSD-2-Clause
/*
 * Architecture plug-ins by ELF machine number, and the names of machines we
 * can describe but not translate for (yet).
 */
#include <elf.h>
#include <stddef.h>

#include "../kvm_private.h"
#include "aarch64.h"
#include "x86_64.h"

/* Looked up by e_machine, so the order has no meaning: alphabetical. */
static const struct kvm_arch_ops *const arches[] = {
	&kvm_arch_aarch64,
	&kvm_arch_x86_64,
};

const struct kvm_arch_ops *
kvm_arch_by_machine(uint16_t e_machine)
{
	for (size_t i = 0; i < ARRAY_SIZE(arches); i++)
		if (arches[i]->e_machine == e_machine)
			return arches[i];
	return NULL;
}

const char *
kvm_arch_machine_name(uint16_t e_machine)
{
	/* uname -m spelling, which is what users and VMCOREINFO know. */
	switch (e_machine) {
	case EM_X86_64:
		return "x86_64";
	case EM_386:
		return "i386";
	case EM_AARCH64:
		return "aarch64";
	case EM_ARM:
		return "arm";
	case EM_PPC64:
		return "ppc64";
	case EM_PPC:
		return "ppc";
	case EM_S390:
		return "s390x";
	case EM_RISCV:
		return "riscv64";
	case EM_LOONGARCH:
		return "loongarch64";
	case EM_MIPS:
		return "mips";
	case EM_SPARCV9:
		return "sparc64";
	case 0:
		return "unknown";
	default:
		return "unknown";
	}
}
