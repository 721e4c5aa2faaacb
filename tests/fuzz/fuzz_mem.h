/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A kvm handle whose physical memory comes from the fuzz input, for the
 * targets that test what runs above the formats (fuzz_pgtable.c,
 * fuzz_tasks.c, fuzz_btf.c).  The memory is served by a fake format
 * through the memmap helpers every plain-range format uses (src/memmap.c),
 * so it is read exactly as on an ELF dump.  From fm_seg_off to the end,
 * the input is segments (integers little-endian):
 *   { u64 pa; u32 len; u32 zeros; len bytes }
 * physical memory at pa: the len bytes, then zeros bytes of zeros (at most
 * 64 MiB); at most max_segs segments.  kvm_close() frees the handle.
 */
#ifndef FUZZ_MEM_H
#define FUZZ_MEM_H

#include "fuzz_dump.h" /* fd_must, fd_check_msg; _GNU_SOURCE first */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvm_private.h"

#define FM_SEG_HDR 16
#define FM_MAX_ZEROS (64u << 20)

#define EM_X86_64 62
#define EM_AARCH64 183

struct fm_fmt {
	struct kvm_memmap map; /* first: the memmap format ops take it */
};

static const struct kvm_format_ops fm_format = {
	.name = "fuzz",
	.read_phys = kvm_memmap_fmt_read,
	.phys_ptr = kvm_memmap_fmt_ptr,
	.held = kvm_memmap_fmt_held,	/* as the ELF and LiME readers */
	.close = kvm_memmap_fmt_close,
};

static inline uint64_t
fm_u64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return le64toh(v);
}

static inline uint32_t
fm_u32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return le32toh(v);
}

/*
 * The handle over data[seg_off..size); NULL when memory runs out or the
 * ranges are refused.  machine: EM_X86_64 or EM_AARCH64.
 */
static inline kvm_t *
fm_open(const uint8_t *data, size_t size, size_t seg_off, int max_segs,
	uint16_t machine, bool big_endian)
{
	kvm_t *kd = calloc(1, sizeof(*kd));
	struct fm_fmt *fmt = calloc(1, sizeof(*fmt));

	if (!kd || !fmt) {
		free(kd);
		free(fmt);
		return NULL;
	}
	kd->devmem_fd = -1;
	kd->core.fd = -1; /* kvm_close leaves the map alone */
	kd->core.map = data;
	kd->core.map_len = size;
	kd->core.size = size;
	kd->core.regular = true;
	kd->format = &fm_format;
	kd->fmt_priv = fmt;
	kd->e_machine = machine;
	kd->big_endian = big_endian;
	kvm_tlb_flush(kd); /* as kvm_open: every slot empty */

	size_t off = seg_off;
	for (int i = 0; i < max_segs && off <= size &&
			size - off >= FM_SEG_HDR;
	     i++) {
		uint64_t pa = fm_u64(data + off);
		uint64_t len = fm_u32(data + off + 8);
		uint64_t zeros = KVM_MIN(fm_u32(data + off + 12), FM_MAX_ZEROS);
		off += FM_SEG_HDR;
		len = KVM_MIN(len, (uint64_t)(size - off));
		if (kvm_memmap_add(kd, &fmt->map, pa, len + zeros, off, len))
			kvm_error_clear(kd);
		off += len;
	}
	kvm_memmap_finish(kd, &fmt->map);
	if (kvm_set_phys_ranges(kd, &fmt->map)) {
		kvm_close(kd);
		return NULL;
	}
	return kd;
}

#endif
