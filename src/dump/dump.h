/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * src/dump: writing dumps (DESIGN §6), and how its parts meet.
 *
 *   filter.c     which pages a dump level leaves out, from the target's
 *                struct page array (makedumpfile's classes)
 *   pages.c      the target's pages in pfn order, filtered, compressed by
 *                worker threads, handed to a writer in order
 *   compress.c   one page through zlib, lzo, snappy, zstd or lz4
 *   dumpdev.c    dump devices in the dump(D2DK) model: 512-byte blocks,
 *                random (file, block device) or sequential (pipe, tape)
 *   ondevice.c   the on-device format (ondevice_disk.h), kvm_dump_write()
 *   kvm_dump.c   kvm_dump_mkheader/wrtheader/header/inval
 *   write_elf.c, write_kdump.c   ELF and kdump-compressed outputs
 */
#ifndef KVM_DUMP_H
#define KVM_DUMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../kvm_private.h"

/* ------------------------------------------------------------ filter */

/*
 * The pages a dump level leaves out, as a bitmap over pfns 0..npfn-1 (in
 * units of the target's page size).  Zero pages are not in it: whether a
 * page is all zeros is seen when it is read (pages.c).
 */
struct kvm_dump_filter {
	int level; /* KVM_DUMP_EXCL_* asked for */
	uint64_t npfn;
	uint64_t *out; /* bit set: leave out; NULL: keep every page */
	/* Pages left out, by class: cache, cache private, user, free. */
	uint64_t n_cache, n_cache_private, n_user, n_free;
};

/*
 * Classify the target's pages by its struct page array (VMCOREINFO:
 * SYMBOL(mem_section), SIZE(page), OFFSET(page.*), NUMBER(PG_*), ...).
 * With no class but KVM_DUMP_EXCL_ZERO asked for, f->out stays NULL.
 * Fails (with a message naming what is missing) when a class is asked
 * for that the target does not let us see.
 */
int kvm_dump_filter_init(kvm_t *kd, int level, struct kvm_dump_filter *f);
void kvm_dump_filter_deinit(struct kvm_dump_filter *f);

static inline bool
kvm_dump_filter_out(const struct kvm_dump_filter *f, uint64_t pfn)
{
	return f && f->out && pfn < f->npfn &&
	       (f->out[pfn >> 6] >> (pfn & 63) & 1);
}

/* ---------------------------------------------------------- compress */

/* Bytes the output of method may need for n bytes of input. */
size_t kvm_dump_compress_bound(int method, size_t n);
/*
 * Compress n bytes of in into out (cap bytes).  0 with *out_len, or
 * -KVM_E*.  Output that would not be shorter than n is the caller's to
 * store raw.  state: per-thread scratch from kvm_dump_compress_state()
 * (zstd and zlib contexts), freed by kvm_dump_compress_free().
 */
void *kvm_dump_compress_state(int method);
void kvm_dump_compress_free(int method, void *state);
int kvm_dump_compress(int method, void *state, const void *in, size_t n,
		      void *out, size_t cap, size_t *out_len);
/* The inverse is kvm_decompress() (src/decompress.c, the core's). */

/* ------------------------------------------------------------- pages */

/* One page as pages.c hands it to a writer. */
struct kvm_dump_page {
	uint64_t pfn;
	enum {
		KVM_PAGE_DATA,	  /* data[0..len): method-compressed or raw */
		KVM_PAGE_ZERO,	  /* all zeros (kept: level lacks ZERO) */
		KVM_PAGE_MISSING, /* not in the source dump (filtered there) */
	} kind;
	int method; /* KVM_COMPRESS_*; NONE: data is the page */
	const uint8_t *data;
	size_t len;
	const uint8_t *raw; /* the page itself (page_size bytes) */
};

/* Called once per page kept, in pfn order; non-zero stops the walk. */
typedef int kvm_dump_emit_fn(void *arg, const struct kvm_dump_page *pg);

/*
 * Every page of the target's physical ranges, in pfn order, minus those
 * the filter or the level's ZERO bit leaves out (counted in res), each
 * compressed with method by o->threads threads in all (the caller among
 * them; 0: one per CPU) and handed to emit in
 * order.  Progress goes to o->progress.  Returns 0, emit's non-zero
 * value, or an error.
 */
int kvm_dump_pages(kvm_t *kd, const struct kvm_dump_opts *o, int method,
		   const struct kvm_dump_filter *f, kvm_dump_emit_fn *emit,
		   void *arg, struct kvm_dump_result *res);

/* ------------------------------------------------------------ output */

/*
 * Where a writer's bytes go: write appends; pwrite (NULL on a pipe)
 * writes at an offset, for formats whose headers are known last.
 * Both return 0 or an error recorded on kd.
 */
struct kvm_dump_sink {
	int (*write)(void *arg, const void *buf, size_t len);
	int (*pwrite)(void *arg, const void *buf, size_t len, uint64_t off);
	void *arg;
};

/* ELF vmcore: ET_CORE, notes (VMCOREINFO, the CPU notes), PT_LOADs. */
int kvm_dump_write_elf(kvm_t *kd, const struct kvm_dump_opts *o,
		       const struct kvm_dump_filter *f, struct kvm_dump_sink *s,
		       struct kvm_dump_result *res);
/* kdump-compressed, header version 6, as makedumpfile writes it. */
int kvm_dump_write_kdump(kvm_t *kd, const struct kvm_dump_opts *o,
			 const struct kvm_dump_filter *f,
			 struct kvm_dump_sink *s, struct kvm_dump_result *res);

/* ------------------------------------------------------ our own format */

/*
 * The CPU segment of our formats for target kd (src/kvmdump_disk.h): its
 * kcore_seg header, machine, ranges, CPU states, VMCOREINFO, and di's
 * flags, sizes and index; padded to 8 bytes.  malloc'd into *buf_ret.
 */
int kvm_dump_cpu_segment(kvm_t *kd, const struct kvm_dumpinfo *di,
			 uint8_t **buf_ret, size_t *len_ret);

/* ----------------------------------------------------------- devices */

/* dump(D2DK): blocks are 512 bytes whatever the device's own size. */
#define KVM_DUMP_BLKSIZE 512
enum { CRASH_RAND_DEVICE = 1, CRASH_SEQ_DEVICE = 2 };
enum { CRASH_DOIO_RD = 1, CRASH_DOIO_WR = 2, CRASH_DOIO_EOT = 3 };

struct kvm_dumpdev;
/*
 * Transfer nblocks blocks at blkno (random devices; a sequential one
 * takes them in order and ignores blkno) between buf and the device:
 * CRASH_DOIO_RD, CRASH_DOIO_WR, or CRASH_DOIO_EOT to finish (flush, tape
 * mark).  0, or -1 with the reason recorded on the device's kd.
 */
typedef int kvm_dumpfunc_fn(struct kvm_dumpdev *dev, int64_t blkno, void *buf,
			    int cmd, int nblocks);

struct kvm_dumpdev {
	kvm_t *kd;	    /* where errors are recorded */
	const char *driver; /* "file", "block", "pipe", "socket", ... */
	char *path;
	int fd;
	int seqflag;	  /* CRASH_RAND_DEVICE or CRASH_SEQ_DEVICE */
	int64_t startblk; /* random: first block of the dump; seq: 0 */
	int64_t blkcnt;	  /* blocks the dump may use; seq: -1 unknown */
	int64_t ptrblk;	  /* random: block of the trailing header */
	int chunksize;	  /* blocks per dumpfunc call at most */
	kvm_dumpfunc_fn *dumpfunc;
	void *priv;
};

/*
 * The driver entry: open path ("-": standard output) and fill in the
 * device's parameters.  A random-access device is taken only when it
 * carries a Linux swap signature or a dump of ours (valid or invalidated),
 * unless flags has KVM_DUMP_FORCE; one that carries a filesystem or a
 * partition table is refused, naming it.  "/dev/null" is a null device.
 */
int kvm_dumpdev_open(kvm_t *kd, const char *path, int flags,
		     struct kvm_dumpdev **dev_ret);
void kvm_dumpdev_close(struct kvm_dumpdev *dev);
/*
 * The file an ELF or kdump-compressed dump is written to (path is not "-"):
 * created (0600, exclusively) when absent; a pipe, tape or character device
 * as it is; an existing regular file or block device only when not in use
 * and holding nothing libblkid (or our own signature list) calls a
 * filesystem, RAID or LVM member, crypto container or partition table, and,
 * unless KVM_DUMP_FORCE, when it holds a dump or a swap area or nothing.
 * A regular file is then emptied.  *fd_ret gets the descriptor;
 * *created_ret says whether the file was made here (a dump that then
 * fails removes it).
 */
int kvm_dumpdev_open_file(kvm_t *kd, const char *path, int flags, int *fd_ret,
			  bool *created_ret);

#endif /* KVM_DUMP_H */
