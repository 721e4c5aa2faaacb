// SPDX-License-Identifier: BSD-2-Clause
/*
 * A raw image of physical memory from address 0 (dd of /dev/mem, LiME's
 * "raw" and "padded" output formats, a VM's memory file).  It has no
 * header to recognise it by, so it is used only when the caller asks
 * with KVM_RAW_PHYS, and then for any file.
 */
#include <elf.h>

#include "format.h"

struct raw_priv {
	struct kvm_memmap mem;
};

static int
raw_probe(kvm_t *kd, const uint8_t *head, size_t headlen)
{
	(void)head;
	(void)headlen;
	return kd->raw_phys ? 0 : -KVM_ENOPROBE;
}

static int
raw_open(kvm_t *kd)
{
	struct raw_priv *p = calloc(1, sizeof(*p));
	int err;

	if (!p)
		return kvm_error(kd, KVM_ENOMEM, "out of memory");
	kd->fmt_priv = p;
	/* Nothing in a raw image names its architecture: as LiME. */
	kd->e_machine = EM_X86_64;
	kd->ptr_size = 8;
	kd->big_endian = false;
	err = kvm_memmap_add(kd, &p->mem, 0, kd->core.size, 0, kd->core.size);
	if (!err)
		err = kvm_memmap_finish(kd, &p->mem);
	if (!err)
		err = kvm_set_phys_ranges(kd, &p->mem);
	return err ? kvm_error_ctx(kd, "raw") : 0;
}

const struct kvm_format_ops kvm_format_raw = {
	.name = "raw",
	.probe = raw_probe,
	.open = raw_open,
	.read_phys = kvm_memmap_fmt_read,
	.phys_ptr = kvm_memmap_fmt_ptr,
	.held = kvm_memmap_fmt_held,
	.write_phys = kvm_memmap_fmt_write,
	.close = kvm_memmap_fmt_close,
};
