/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * On-disk layout of kdump-compressed dumps (makedumpfile's diskdump_mod.h,
 * header version 6 as of makedumpfile 1.7; QEMU's dump/dump.c writes the
 * same).  Fields are in the dump's byte order; the structs are the 64-bit
 * layout (long and off_t of 8 bytes) and are converted once, in kdump.c.
 *
 *   offset                          content
 *   0                               struct kdump_disk_header
 *   block_size                      struct kdump_disk_sub_header, then
 *                                   VMCOREINFO text and ELF notes (their
 *                                   offsets are in the sub-header)
 *   (1 + sub_hdr_size) * bs         1st bitmap: 1 bit per block of RAM
 *     + bitmap_blocks / 2 * bs      2nd bitmap: 1 bit per block dumped
 *   (1 + sub_hdr + bitmap) * bs     struct kdump_disk_page_desc, one per
 *                                   set bit of the 2nd bitmap, in order
 *   anywhere after                  page data (compressed or raw)
 *
 * bs is header.block_size, the unit of page frame numbers in the bitmaps:
 * the kernel page size for makedumpfile, 64 KiB for QEMU's arm64 dumps.
 * Bit n of a bitmap is bit (n & 7) of byte n >> 3.
 */
#ifndef KVM_FORMAT_KDUMP_DISK_H
#define KVM_FORMAT_KDUMP_DISK_H

#include <stddef.h>
#include <stdint.h>

#define KDUMP_SIGNATURE "KDUMP   "    /* makedumpfile, QEMU */
#define DISKDUMP_SIGNATURE "DISKDUMP" /* the older diskdump patches */
#define KDUMP_SIG_LEN 8

/* struct new_utsname: six strings of 65 bytes. */
#define KDUMP_UTS_LEN 65
/* sysname, nodename, release, version, machine, domainname */
#define KDUMP_UTS_MACHINE 4

/* disk_dump_header, 64-bit layout. */
struct kdump_disk_header {
	char signature[KDUMP_SIG_LEN];
	int32_t header_version;
	char utsname[6][KDUMP_UTS_LEN];
	uint8_t pad[6]; /* struct timeval is 8-byte aligned */
	int64_t tv_sec;
	int64_t tv_usec;
	uint32_t status;	/* DUMP_DH_* of the whole dump */
	int32_t block_size;	/* bytes per bitmap bit and per page */
	int32_t sub_hdr_size;	/* blocks */
	uint32_t bitmap_blocks; /* blocks of both bitmaps together */
	uint32_t max_mapnr;	/* 32-bit; see max_mapnr_64 (v6) */
	uint32_t total_ram_blocks;
	uint32_t device_blocks;
	uint32_t written_blocks;
	uint32_t current_cpu;
	int32_t nr_cpus;
};
_Static_assert(sizeof(struct kdump_disk_header) == 464,
	       "disk_dump_header is 464 bytes on 64-bit targets");
_Static_assert(offsetof(struct kdump_disk_header, status) == 424,
	       "status follows the 16-byte timeval at 408");

/*
 * In the 32-bit layout (i386, arm) the timeval is 8 bytes at 404, so
 * block_size sits here instead of at 428.  Only used to say why we refuse.
 */
#define KDUMP_HEADER32_BLOCK_SIZE 416

/* kdump_sub_header, 64-bit layout; the version adds fields at the end. */
struct kdump_disk_sub_header {
	uint64_t phys_base;
	int32_t dump_level;	    /* v1+ */
	int32_t split;		    /* v2+ */
	uint64_t start_pfn;	    /* v2+, truncated to 32 bits: see _64 */
	uint64_t end_pfn;	    /* v2+ */
	uint64_t offset_vmcoreinfo; /* v3+ */
	uint64_t size_vmcoreinfo;   /* v3+ */
	uint64_t offset_note;	    /* v4+ */
	uint64_t size_note;	    /* v4+ */
	uint64_t offset_eraseinfo;  /* v5+ */
	uint64_t size_eraseinfo;    /* v5+ */
	uint64_t start_pfn_64;	    /* v6+ */
	uint64_t end_pfn_64;	    /* v6+ */
	uint64_t max_mapnr_64;	    /* v6+ */
};
_Static_assert(sizeof(struct kdump_disk_sub_header) == 104,
	       "kdump_sub_header v6 is 104 bytes");

/* Bytes of the sub-header that each header version defines. */
#define KDUMP_SUB_V1 offsetof(struct kdump_disk_sub_header, split)
#define KDUMP_SUB_V2 offsetof(struct kdump_disk_sub_header, offset_vmcoreinfo)
#define KDUMP_SUB_V3 offsetof(struct kdump_disk_sub_header, offset_note)
#define KDUMP_SUB_V4 offsetof(struct kdump_disk_sub_header, offset_eraseinfo)
#define KDUMP_SUB_V5 offsetof(struct kdump_disk_sub_header, start_pfn_64)
#define KDUMP_SUB_V6 sizeof(struct kdump_disk_sub_header)

/* page_desc: where one dumped block's data is. */
struct kdump_disk_page_desc {
	int64_t offset;	     /* file offset of the data */
	uint32_t size;	     /* bytes of data */
	uint32_t flags;	     /* DUMP_DH_COMPRESSED_* */
	uint64_t page_flags; /* the kernel's page->flags; unused */
};
_Static_assert(sizeof(struct kdump_disk_page_desc) == 24,
	       "page_desc is 24 bytes");

/* Page flags (page_desc.flags) and header status bits (diskdump_mod.h). */
#define DUMP_DH_COMPRESSED_ZLIB 0x1
#define DUMP_DH_COMPRESSED_LZO 0x2
#define DUMP_DH_COMPRESSED_SNAPPY 0x4
#define DUMP_DH_COMPRESSED_INCOMPLETE 0x8 /* header: writing stopped early */
#define DUMP_DH_EXCLUDED_VMEMMAP 0x10	  /* header: unused vmemmap gone */
#define DUMP_DH_COMPRESSED_ZSTD 0x20	  /* makedumpfile 1.7.0+ */
#define DUMP_DH_COMPRESSED                                  \
	(DUMP_DH_COMPRESSED_ZLIB | DUMP_DH_COMPRESSED_LZO | \
	 DUMP_DH_COMPRESSED_SNAPPY | DUMP_DH_COMPRESSED_ZSTD)

#endif /* KVM_FORMAT_KDUMP_DISK_H */
