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

static int
raw_read_phys(kvm_t *kd, uint64_t pa, void *buf, size_t len,
	      size_t *done_ret)
{
	struct raw_priv *p = kd->fmt_priv;

	return kvm_memmap_read(kd, &p->mem, &kd->core, pa, buf, len,
			       done_ret);
}

static int
raw_write_phys(kvm_t *kd, uint64_t pa, const void *buf, size_t len,
	       size_t *done_ret)
{
	struct raw_priv *p = kd->fmt_priv;

	return kvm_memmap_write(kd, &p->mem, &kd->core, pa, buf, len,
				done_ret);
}

static void
raw_close(kvm_t *kd)
{
	struct raw_priv *p = kd->fmt_priv;

	if (!p)
		return;
	kvm_memmap_deinit(&p->mem);
	free(p);
	kd->fmt_priv = NULL;
}

static const void *
raw_phys_ptr(kvm_t *kd, uint64_t pa, size_t len)
{
	struct raw_priv *p = kd->fmt_priv;

	return kvm_memmap_ptr(&p->mem, &kd->core, pa, len);
}

const struct kvm_format_ops kvm_format_raw = {
	.name = "raw",
	.probe = raw_probe,
	.open = raw_open,
	.read_phys = raw_read_phys,
	.phys_ptr = raw_phys_ptr,
	.write_phys = raw_write_phys,
	.close = raw_close,
};
