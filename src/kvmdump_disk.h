/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Our own dump formats (DESIGN §2 "kcore", "on-device dump"; §6), shared
 * by the writer (src/dump/ondevice.c, kvm_dump.c) and the reader
 * (src/format/kvmdump.c).  Every integer is little-endian except the
 * kcore midmag words, which keep NetBSD's network order (sys/kcore.h).
 *
 * On a dump device, from the dump's first block (64 KiB into a swap
 * area, past its signature):
 *
 *   +--------------+-----------------+------------------+ ... +---------+
 *   | dump header  | CPU segment     | DATA segment     |     | trailer |
 *   | 512 bytes    | kcore_seg (CPU) | kcore_seg (DATA) |     | header  |
 *   |              | + kvmdump_cpu   | + page stream    |     | copy    |
 *   +--------------+-----------------+------------------+ ... +---------+
 *                                                          last block
 *
 * A sequential device gets the same stream with the trailer right after
 * the data (its first header cannot know the sizes: KVMDUMP_F_STREAM).
 * savecore's kcore file (kvm_dump_wrtheader()) is NetBSD's layout: a
 * kcore_hdr, the CPU segment, the DATA segment header, then the very
 * same page stream.
 *
 * The page stream is a run of chunks, each a kvmdump_chunk, one 32-bit
 * entry per page, then the pages' bytes; an index of the chunks follows
 * the last one.  A dump cut short keeps its whole chunks: without the
 * index, the chunks are walked from the start.
 */
#ifndef KVM_KVMDUMP_DISK_H
#define KVM_KVMDUMP_DISK_H

#include <stddef.h>
#include <stdint.h>

#define KVMDUMP_MAGIC "KVMDUMP1"       /* a dump that savecore may save */
#define KVMDUMP_MAGIC_INVAL "KVMDUMP0" /* saved: kvm_dump_inval() */
#define KVMDUMP_VERSION 1
#define KVMDUMP_HDR_SIZE 512
/* Where a random-access device's dump starts (past any swap header). */
#define KVMDUMP_DEVICE_OFFSET 65536

/* Header flags. */
#define KVMDUMP_F_COMPLETE 1   /* every page the level keeps is in */
#define KVMDUMP_F_INCOMPLETE 2 /* the device was too small */
#define KVMDUMP_F_STREAM 4     /* sizes are in the trailer */
#define KVMDUMP_F_TRAILER 8    /* this is the trailing copy */
#define KVMDUMP_F_CPU_CRC 16   /* cpu_len, cpu_crc are set */

struct kvmdump_disk_header {
	char magic[8];
	uint32_t version;
	uint32_t flags;
	uint32_t header_size; /* KVMDUMP_HDR_SIZE */
	uint32_t page_size;
	uint64_t cpu_offset;   /* from the header: the CPU kcore_seg */
	uint64_t data_offset;  /* from the header: the DATA kcore_seg */
	uint64_t data_size;    /* bytes of page stream, index included */
	uint64_t index_offset; /* in the stream; 0: no index */
	uint64_t index_count;
	uint64_t crash_time; /* s since the epoch, 0 unknown */
	uint64_t dump_time;  /* when it was written */
	uint32_t level;	     /* KVM_DUMP_EXCL_* */
	uint32_t compress;   /* KVM_COMPRESS_* */
	uint64_t pages, pages_written, pages_excluded, pages_missing;
	char release[65];
	char pad1[3];
	/*
	 * The CPU segment (kcore_seg and its data) is checksummed here too:
	 * savecore trusts nothing the header does not vouch for.  A stream's
	 * trailer holds the sums of the final segment, which only a random-
	 * access device has at its start.
	 */
	uint32_t cpu_len; /* bytes of the CPU segment summed */
	uint32_t cpu_crc; /* their crc32 */
	char pad[KVMDUMP_HDR_SIZE - 8 - 4 * 4 - 8 * 7 - 4 * 2 - 8 * 4 - 65 - 3 -
		 4 * 2 - 4];
	uint32_t crc; /* crc32 of the header with crc 0 */
};
_Static_assert(offsetof(struct kvmdump_disk_header, cpu_len) == 188,
	       "kvmdump header: cpu_len after the release");
_Static_assert(sizeof(struct kvmdump_disk_header) == KVMDUMP_HDR_SIZE,
	       "kvmdump header is one block");

/*
 * NetBSD sys/kcore.h: c_midmag holds the magic 0x8fca in bits 0-15, a
 * machine id in bits 16-25 (ours: the ELF e_machine & 0x3ff) and flags in
 * bits 26-31 (CORE_CPU 1, CORE_DATA 4), in network byte order.
 */
#define KCORE_MAGIC 0x8fca
#define KCORESEG_CPU 1
#define KCORESEG_DATA 4
#define KCORE_MIDMAG(mid, flag)                                              \
	((((uint32_t)(flag)&0x3f) << 26) | (((uint32_t)(mid)&0x3ff) << 16) | \
	 KCORE_MAGIC)

struct kcore_disk_hdr { /* kcore_hdr_t */
	uint32_t c_midmag;
	uint16_t c_hdrsize;    /* 16: its own size, 8-aligned */
	uint16_t c_seghdrsize; /* 8 */
	uint32_t c_nseg;       /* 2 */
	uint32_t pad;
};
_Static_assert(sizeof(struct kcore_disk_hdr) == 16, "kcore_hdr");

struct kcore_disk_seg { /* kcore_seg_t */
	uint32_t c_midmag;
	uint32_t c_size; /* bytes after it; UINT32_MAX: see the CPU data */
};
_Static_assert(sizeof(struct kcore_disk_seg) == 8, "kcore_seg");

/*
 * The CPU segment: what reading the dump needs.  Followed by nranges
 * kvmdump_disk_range, ncpus kvmdump_disk_cpustate, then vmcoreinfo_len
 * bytes of VMCOREINFO text.  The flags, level, sizes and index repeat the
 * dump header's, so that a kcore file needs nothing else.
 */
struct kvmdump_disk_cpu {
	uint16_t e_machine;
	uint8_t big_endian;
	uint8_t ptr_size;
	uint32_t page_size;
	uint64_t pgtable_root; /* physical, 0 unknown */
	int32_t pgtable_levels;
	uint32_t kaslr_known;
	int64_t kaslr_offset;
	uint32_t nranges;
	uint32_t ncpus;
	uint32_t vmcoreinfo_len;
	uint32_t flags; /* KVMDUMP_F_COMPLETE or _INCOMPLETE */
	uint64_t data_size;
	uint64_t index_offset;
	uint64_t index_count;
	uint32_t level;
	uint32_t compress;
	uint64_t crash_time;
};
_Static_assert(sizeof(struct kvmdump_disk_cpu) == 88, "kvmdump cpu");

struct kvmdump_disk_range {
	uint64_t start, end;
};

struct kvmdump_disk_cpustate {
	uint32_t flags; /* 1: pc/sp valid, 2: cr* valid */
	uint32_t pad;
	uint64_t pc, sp, cr0, cr3, cr4;
};
_Static_assert(sizeof(struct kvmdump_disk_cpustate) == 48, "cpustate");

/* Caps for the reader, far above what the writer makes. */
#define KVMDUMP_MAX_RANGES 65536
#define KVMDUMP_MAX_CPUS 8192
#define KVMDUMP_MAX_VMCOREINFO (1u << 20)

/* A chunk: pages pfn .. pfn + npages - 1, all in one physical range. */
#define KVMDUMP_CHUNK_MAGIC "KVMPAGES"
#define KVMDUMP_CHUNK_MAX_PAGES 1024
struct kvmdump_disk_chunk {
	char magic[8];
	uint64_t pfn;
	uint32_t npages;
	uint32_t pad;
	uint64_t data_len; /* bytes of page data after the entries */
};
_Static_assert(sizeof(struct kvmdump_disk_chunk) == 32, "chunk");

/* A page entry: bits 0-23 stored length, 24-27 method, 28-31 kind. */
#define KVMDUMP_ENT_LEN(e) ((e)&0xffffffu)
#define KVMDUMP_ENT_METHOD(e) (((e) >> 24) & 0xfu)
#define KVMDUMP_ENT_KIND(e) ((e) >> 28)
#define KVMDUMP_ENT(kind, method, len) \
	((uint32_t)(kind) << 28 | (uint32_t)(method) << 24 | (uint32_t)(len))
enum {
	KVMDUMP_KIND_DATA = 0,	   /* len bytes, compressed by method */
	KVMDUMP_KIND_ZERO = 1,	   /* all zeros, no bytes */
	KVMDUMP_KIND_EXCLUDED = 2, /* left out by the level, no bytes */
	KVMDUMP_KIND_MISSING = 3,  /* not in the source dump, no bytes */
};

/* The index after the last chunk: "KVMINDEX", count, then entries. */
#define KVMDUMP_INDEX_MAGIC "KVMINDEX"
struct kvmdump_disk_index_ent {
	uint64_t pfn;
	uint64_t offset; /* of the chunk header, in the stream */
	uint32_t npages;
	uint32_t pad;
};
_Static_assert(sizeof(struct kvmdump_disk_index_ent) == 24, "index");

#endif /* KVM_KVMDUMP_DISK_H */
