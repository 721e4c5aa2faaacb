// SPDX-License-Identifier: BSD-2-Clause
/*
 * The formats kvm_open probes, in order.  Order is meaning: containers
 * that wrap another format must come before what they wrap, and formats
 * recognised only on request (raw) decline unless asked.
 */
#include <stddef.h>

#include "format.h"

const struct kvm_format_ops *const kvm_formats[] = {
	/* KVM_RAW_PHYS only: first, so the request beats any signature. */
	&kvm_format_raw,
	/* makedumpfile -F, QEMU kdump: a container; re-probes its content. */
	&kvm_format_flattened,
	/*
	 * Ours: savecore's kcore files, dumps written to a file or pipe,
	 * dump devices (a swap signature: before the formats that would
	 * take a swap area's contents for garbage).
	 */
	&kvm_format_kvmdump,
	/* kdump-compressed: makedumpfile -c/-l/-p/-z, QEMU kdump-zlib/... */
	&kvm_format_kdump,
	/* ELF core: /proc/vmcore, QEMU dump-guest-memory, virsh dump. */
	&kvm_format_elf,
	/* LiME "lime" format: forensic captures, header per range. */
	&kvm_format_lime,
	NULL,
};
