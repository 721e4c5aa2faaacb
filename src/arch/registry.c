// SPDX-License-Identifier: BSD-2-Clause
/*
 * Architecture plug-ins by ELF machine number (the machines' names are the
 * core's: src/machine.c).
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
