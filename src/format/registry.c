// SPDX-License-Identifier: BSD-2-Clause
/*
 * The formats kvm_open probes, in order.  Order is meaning: containers
 * that wrap another format must come before what they wrap, and formats
 * recognised only on request (raw) come last.
 */
#include <stddef.h>

#include "format.h"

const struct kvm_format_ops *const kvm_formats[] = {
	/* ELF core: /proc/vmcore, QEMU dump-guest-memory, virsh dump. */
	&kvm_format_elf,
	NULL,
};
