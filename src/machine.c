// SPDX-License-Identifier: BSD-2-Clause
/*
 * The names of ELF machines, those we translate for and those we can only
 * describe: formats, writers and messages name a machine without calling
 * into an architecture plug-in.
 */
#include <elf.h>

#include "kvm_private.h"

const char *
kvm_machine_name(uint16_t e_machine)
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
	default:
		return "unknown";
	}
}
