/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * On-disk layout of makedumpfile's flattened format (makedumpfile.h:
 * struct makedumpfile_header, struct makedumpfile_data_header), which
 * makedumpfile -F and QEMU's dump-guest-memory kdump-* formats write so
 * that a dump can go through a pipe.  All integers are big-endian.
 *
 *   0      struct flat_disk_header, zero-padded to FLAT_HEADER_SIZE
 *   4096   struct flat_disk_record, then record.size bytes that belong at
 *          offset record.offset of the logical (rearranged) file
 *   ...    more records, in any order, possibly overlapping
 *   end    a record with offset and size both FLAT_END (-1)
 */
#ifndef KVM_FORMAT_FLATTENED_DISK_H
#define KVM_FORMAT_FLATTENED_DISK_H

#include <stdint.h>

#define FLAT_SIGNATURE "makedumpfile" /* NUL-padded to 16 bytes */
#define FLAT_SIG_LEN 16
#define FLAT_TYPE 1	      /* TYPE_FLAT_HEADER */
#define FLAT_VERSION 1	      /* VERSION_FLAT_HEADER */
#define FLAT_HEADER_SIZE 4096 /* MAX_SIZE_MDF_HEADER */
#define FLAT_END (-1)	      /* END_FLAG_FLAT_HEADER */

struct flat_disk_header {
	char signature[FLAT_SIG_LEN];
	int64_t type;
	int64_t version;
};
_Static_assert(sizeof(struct flat_disk_header) == 32,
	       "makedumpfile_header is 32 bytes");

struct flat_disk_record {
	int64_t offset; /* in the logical file */
	int64_t size;	/* bytes of data that follow */
};
_Static_assert(sizeof(struct flat_disk_record) == 16,
	       "makedumpfile_data_header is 16 bytes");

#endif /* KVM_FORMAT_FLATTENED_DISK_H */
