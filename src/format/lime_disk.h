/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * On-disk layout of LiME memory images (LiME's src/lime.h, "lime" output
 * format, header version 1): each range of physical memory is a header
 * followed by its bytes.  Little-endian (LiME runs on the target and all
 * its targets are little-endian in practice; the magic tells).
 *
 *   struct lime_disk_header { s_addr, e_addr }, e_addr - s_addr + 1 bytes,
 *   struct lime_disk_header, ... until the end of the file
 */
#ifndef KVM_FORMAT_LIME_DISK_H
#define KVM_FORMAT_LIME_DISK_H

#include <stdint.h>

#define LIME_MAGIC 0x4c694d45u /* "EMiL" in the file */
#define LIME_VERSION 1

struct lime_disk_header {
	uint32_t magic;
	uint32_t version;
	uint64_t s_addr; /* first physical address */
	uint64_t e_addr; /* last physical address (inclusive) */
	uint8_t reserved[8];
};
_Static_assert(sizeof(struct lime_disk_header) == 32,
	       "lime_mem_range_header is 32 bytes");

#endif /* KVM_FORMAT_LIME_DISK_H */
