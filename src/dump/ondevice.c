// SPDX-License-Identifier: BSD-2-Clause
/*
 * kvm_dump_write(): a kernel's dump routine (dump(D2DK)) run in user
 * space, on any target.  The on-device format (src/kvmdump_disk.h) goes
 * to the device in chunk-sized dumpfunc calls of 512-byte blocks: header,
 * CPU segment, DATA segment (chunks of pages, then their index), and the
 * header again at the end.  A random-access device gets its first header
 * and CPU segment rewritten with the final sizes; when it fills up, what
 * fit is kept and marked incomplete.  ELF and kdump outputs go to their
 * writers (write_elf.c, write_kdump.c).
 */
#include <fcntl.h>
#include <libdeflate.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../kvmdump_disk.h"
#include "dump.h"
#include "sink.h"

/* A chunk closes at this many bytes of page data (or 1024 pages). */
#define OD_CHUNK_DATA_MAX (1u << 20)
/* Runs of left-out pages shorter than this stay inside a chunk. */
#define OD_GAP_MAX 64

struct od_writer {
	kvm_t *kd;
	struct kvm_dumpdev *dev;
	const struct kvm_dump_opts *o;
	/* Output: a buffer of whole dumpfunc calls. */
	uint8_t *buf;
	size_t buf_len, buf_cap;
	int64_t next_blk;    /* next block to write */
	int64_t limit_blk;   /* random: first block we may not use */
	bool full;	     /* the device filled up */
	uint64_t out;	     /* bytes of the dump written (from the header) */
	uint64_t data_start; /* out at the page stream's first byte */
	uint64_t data_kept;  /* stream bytes that reached the device */
	/* The chunk being built. */
	uint64_t c_pfn;
	uint32_t c_n;
	uint32_t ents[KVMDUMP_CHUNK_MAX_PAGES];
	uint8_t *cdata;
	size_t cdata_len, cdata_cap;
	/* The index. */
	struct kvmdump_disk_index_ent *idx;
	size_t nidx, idx_cap;
	size_t idx_kept; /* entries whose chunk reached the device */
};

/* Send the buffer's whole blocks to the device (all of it if final). */
static int
od_flush(struct od_writer *w, bool final)
{
	struct kvm_dumpdev *dev = w->dev;
	size_t whole = w->buf_len / KVM_DUMP_BLKSIZE * KVM_DUMP_BLKSIZE;

	if (final && whole < w->buf_len) {
		memset(w->buf + w->buf_len, 0,
		       KVM_DUMP_BLKSIZE - (w->buf_len - whole));
		w->buf_len = whole + KVM_DUMP_BLKSIZE;
		whole = w->buf_len;
	}
	size_t done = 0;
	while (done < whole && !w->full) {
		int nb = (int)KVM_MIN((whole - done) / KVM_DUMP_BLKSIZE,
				      (size_t)dev->chunksize);
		if (dev->seqflag == CRASH_RAND_DEVICE &&
		    w->next_blk + nb > w->limit_blk) {
			nb = (int)(w->limit_blk - w->next_blk);
			w->full = true;
			if (nb <= 0)
				break;
		}
		if (dev->dumpfunc(dev, w->next_blk, w->buf + done,
				  CRASH_DOIO_WR, nb) != 0)
			return -w->kd->errcode ? -w->kd->errcode : -KVM_ESYS;
		w->next_blk += nb;
		done += (size_t)nb * KVM_DUMP_BLKSIZE;
	}
	memmove(w->buf, w->buf + done, w->buf_len - done);
	w->buf_len -= done;
	if (w->full)
		w->buf_len = 0; /* what does not fit is dropped */
	return 0;
}

static int
od_put(struct od_writer *w, const void *p, size_t len)
{
	const uint8_t *s = p;

	while (len > 0 && !w->full) {
		size_t n = KVM_MIN(len, w->buf_cap - w->buf_len);
		memcpy(w->buf + w->buf_len, s, n);
		w->buf_len += n;
		w->out += n;
		s += n;
		len -= n;
		if (w->buf_len == w->buf_cap) {
			int err = od_flush(w, false);
			if (err)
				return err;
		}
	}
	return 0;
}

/* Bytes of the dump that are on the device (or in the buffer) for sure. */
static uint64_t
od_reached(const struct od_writer *w)
{
	if (w->dev->seqflag != CRASH_RAND_DEVICE)
		return w->out;
	return (uint64_t)(w->next_blk - w->dev->startblk) * KVM_DUMP_BLKSIZE +
	       w->buf_len;
}

static int
od_chunk_flush(struct od_writer *w)
{
	int err;

	if (w->c_n == 0)
		return 0;
	if (w->nidx == w->idx_cap) {
		size_t cap = w->idx_cap ? 2 * w->idx_cap : 1024;
		void *q = realloc(w->idx, cap * sizeof(*w->idx));
		if (!q)
			return kvm_error(w->kd, KVM_ENOMEM, "out of memory");
		w->idx = q;
		w->idx_cap = cap;
	}
	uint64_t off = w->out - w->data_start;
	struct kvmdump_disk_chunk h = {
		.pfn = htole64(w->c_pfn),
		.npages = htole32(w->c_n),
		.data_len = htole64(w->cdata_len),
	};
	memcpy(h.magic, KVMDUMP_CHUNK_MAGIC, 8);
	for (uint32_t i = 0; i < w->c_n; i++)
		w->ents[i] = htole32(w->ents[i]);
	static const uint8_t zeros[8];
	size_t len = sizeof(h) + 4 * (size_t)w->c_n + w->cdata_len;
	if ((err = od_put(w, &h, sizeof(h))) ||
	    (err = od_put(w, w->ents, 4 * (size_t)w->c_n)) ||
	    (err = od_put(w, w->cdata, w->cdata_len)) ||
	    (err = od_put(w, zeros, ((len + 7) & ~(size_t)7) - len)))
		return err;
	w->idx[w->nidx++] = (struct kvmdump_disk_index_ent){
		.pfn = htole64(w->c_pfn),
		.offset = htole64(off),
		.npages = htole32(w->c_n),
	};
	/* A chunk counts when all of it reached the device. */
	if (!w->full && od_reached(w) >= w->data_start + off + len) {
		w->idx_kept = w->nidx;
		w->data_kept = off + ((len + 7) & ~(size_t)7);
	}
	w->c_n = 0;
	w->cdata_len = 0;
	return 0;
}

/* Whether pfns a..b-1 lie in one physical range (a gap to bridge). */
static bool
od_same_range(const kvm_t *kd, uint64_t a, uint64_t b)
{
	uint64_t ps = kd->page_size;

	for (size_t i = 0; i < kd->nranges; i++)
		if (a * ps >= kd->ranges[i].start && a * ps < kd->ranges[i].end)
			return b * ps <= kd->ranges[i].end;
	return false;
}

static int
od_emit(void *arg, const struct kvm_dump_page *pg)
{
	struct od_writer *w = arg;
	int err;

	if (w->full)
		return 1; /* stop the walk: nothing more fits */
	uint64_t next = w->c_pfn + w->c_n;
	if (w->c_n > 0 && pg->pfn != next) {
		/* A short run of left-out pages stays in the chunk. */
		if (pg->pfn > next && pg->pfn - next < OD_GAP_MAX &&
		    w->c_n + (pg->pfn - next) < KVMDUMP_CHUNK_MAX_PAGES &&
		    od_same_range(w->kd, next, pg->pfn + 1)) {
			while (w->c_pfn + w->c_n < pg->pfn)
				w->ents[w->c_n++] =
					KVMDUMP_ENT(KVMDUMP_KIND_EXCLUDED, 0,
						    0);
		} else if ((err = od_chunk_flush(w))) {
			return err;
		}
	}
	size_t len = pg->kind == KVM_PAGE_DATA ? pg->len : 0;
	if (w->c_n == KVMDUMP_CHUNK_MAX_PAGES ||
	    (w->c_n > 0 && w->cdata_len + len > OD_CHUNK_DATA_MAX)) {
		if ((err = od_chunk_flush(w)))
			return err;
	}
	if (w->c_n == 0)
		w->c_pfn = pg->pfn;
	if (w->cdata_len + len > w->cdata_cap) {
		size_t cap = KVM_MAX(w->cdata_cap * 2, w->cdata_len + len);
		void *q = realloc(w->cdata, cap);
		if (!q)
			return kvm_error(w->kd, KVM_ENOMEM, "out of memory");
		w->cdata = q;
		w->cdata_cap = cap;
	}
	switch (pg->kind) {
	case KVM_PAGE_DATA:
		memcpy(w->cdata + w->cdata_len, pg->data, len);
		w->cdata_len += len;
		w->ents[w->c_n++] =
			KVMDUMP_ENT(KVMDUMP_KIND_DATA, pg->method, len);
		break;
	case KVM_PAGE_ZERO:
		w->ents[w->c_n++] = KVMDUMP_ENT(KVMDUMP_KIND_ZERO, 0, 0);
		break;
	default:
		w->ents[w->c_n++] = KVMDUMP_ENT(KVMDUMP_KIND_MISSING, 0, 0);
		break;
	}
	return 0;
}

static void
od_header(const struct od_writer *w, struct kvmdump_disk_header *h,
	  uint32_t flags, uint64_t cpu_len, const struct kvm_dumpinfo *di,
	  const struct kvm_dump_result *res, const uint8_t *cpu,
	  size_t cpu_bytes)
{
	kvm_t *kd = w->kd;
	const char *rel = kd->vmcoreinfo_text
				  ? kvm_vmcoreinfo_get(&kd->vmci, "OSRELEASE")
				  : NULL;

	memset(h, 0, sizeof(*h));
	memcpy(h->magic, KVMDUMP_MAGIC, 8);
	h->version = htole32(KVMDUMP_VERSION);
	h->flags = htole32(flags | KVMDUMP_F_CPU_CRC);
	h->cpu_len = htole32((uint32_t)cpu_bytes);
	h->cpu_crc = htole32(libdeflate_crc32(0, cpu, cpu_bytes));
	h->header_size = htole32(KVMDUMP_HDR_SIZE);
	h->page_size = htole32(kd->page_size);
	h->cpu_offset = htole64(KVMDUMP_HDR_SIZE);
	h->data_offset = htole64(KVMDUMP_HDR_SIZE + cpu_len);
	h->data_size = htole64(di->data_size);
	h->index_offset = htole64(di->index_offset);
	h->index_count = htole64(di->index_count);
	h->crash_time = htole64(di->crash_time);
	h->dump_time = htole64((uint64_t)time(NULL));
	h->level = htole32(di->level);
	h->compress = htole32(di->compress);
	if (res) {
		h->pages = htole64(res->pages);
		h->pages_written = htole64(res->pages_written);
		h->pages_excluded = htole64(res->pages_excluded);
		h->pages_missing = htole64(res->pages_missing);
	}
	if (rel)
		snprintf(h->release, sizeof(h->release), "%s", rel);
	h->crc = 0;
	h->crc = htole32(libdeflate_crc32(0, h, sizeof(*h)));
}

/* Write blocks [blk, blk + n) of buf at once, outside the stream. */
static int
od_write_at(struct od_writer *w, int64_t blk, void *buf, size_t len)
{
	struct kvm_dumpdev *dev = w->dev;
	int nb = (int)(len / KVM_DUMP_BLKSIZE);

	for (int done = 0; done < nb;) {
		int n = KVM_MIN(nb - done, dev->chunksize);
		if (dev->dumpfunc(dev, blk + done,
				  (uint8_t *)buf +
					  (size_t)done * KVM_DUMP_BLKSIZE,
				  CRASH_DOIO_WR, n) != 0)
			return -w->kd->errcode;
		done += n;
	}
	return 0;
}

/*
 * The dump's start: its header and the CPU segment, padded to whole
 * blocks (both are rewritten in place at the end), and the data segment's
 * header.  *cpu_span: the padded CPU segment's bytes.
 */
static int
od_begin(struct od_writer *w, const struct kvm_dumpinfo *di,
	 uint64_t *cpu_span_ret)
{
	kvm_t *kd = w->kd;
	struct kvm_dumpdev *dev = w->dev;
	uint8_t *cpu = NULL;
	size_t cpulen = 0;
	int err;

	if ((err = kvm_dump_cpu_segment(kd, di, &cpu, &cpulen)))
		return err;
	size_t cpu_blocks = (cpulen + KVM_DUMP_BLKSIZE - 1) / KVM_DUMP_BLKSIZE;
	uint64_t cpu_span = cpu_blocks * KVM_DUMP_BLKSIZE;
	struct kvmdump_disk_header h;
	od_header(w, &h,
		  dev->seqflag == CRASH_SEQ_DEVICE ? KVMDUMP_F_STREAM : 0,
		  cpu_span, di, NULL, cpu, cpulen);
	uint8_t *pad = calloc(1, cpu_span);
	if (!pad) {
		free(cpu);
		return kvm_error(kd, KVM_ENOMEM, "out of memory");
	}
	memcpy(pad, cpu, cpulen);
	free(cpu);
	struct kcore_disk_seg seg = {
		.c_midmag = htobe32(KCORE_MIDMAG(kd->e_machine, KCORESEG_DATA)),
		.c_size = htole32(UINT32_MAX), /* see the CPU data's size */
	};
	err = od_put(w, &h, sizeof(h));
	if (!err)
		err = od_put(w, pad, cpu_span);
	free(pad);
	if (!err)
		err = od_put(w, &seg, sizeof(seg));
	*cpu_span_ret = cpu_span;
	return err;
}

/*
 * After the pages: the index when everything fit, else what fit (whole
 * chunks, no index: the reader walks them).  Fills di's data fields.
 */
static int
od_index(struct od_writer *w, struct kvm_dumpinfo *di,
	 struct kvm_dump_result *res, int *incomplete)
{
	int err;

	if (!w->full) {
		/* The index, after the last chunk. */
		uint64_t ioff = w->out - w->data_start;
		uint64_t cnt = htole64(w->nidx);
		if ((err = od_put(w, KVMDUMP_INDEX_MAGIC, 8)) ||
		    (err = od_put(w, &cnt, 8)) ||
		    (err = od_put(w, w->idx, w->nidx * sizeof(*w->idx))))
			return err;
		if (!w->full) {
			di->index_offset = ioff;
			di->index_count = w->nidx;
			di->data_size = w->out - w->data_start;
		}
	}
	if (w->full) {
		di->index_offset = di->index_count = 0;
		di->data_size = w->data_kept;
		res->incomplete = 1;
		*incomplete = 1;
	}
	di->flags = w->full ? KVMDUMP_F_INCOMPLETE : KVMDUMP_F_COMPLETE;
	return 0;
}

/*
 * The final header, its CPU segment and the trailer: on a random device
 * the trailer first, then the header that makes it valid; on a stream the
 * trailer ends it.
 */
static int
od_finish(struct od_writer *w, const struct kvm_dumpinfo *di, uint64_t cpu_span,
	  const struct kvm_dump_result *res)
{
	kvm_t *kd = w->kd;
	struct kvm_dumpdev *dev = w->dev;
	uint8_t *cpu = NULL;
	size_t cpulen = 0;
	int err;

	if ((err = kvm_dump_cpu_segment(kd, di, &cpu, &cpulen)))
		return err;
	struct kvmdump_disk_header final;
	od_header(w, &final, di->flags, cpu_span, di, res, cpu, cpulen);
	if (dev->seqflag == CRASH_RAND_DEVICE) {
		/* First the trailer, then the header that makes it valid. */
		struct kvmdump_disk_header tr = final;
		tr.flags = htole32(le32toh(final.flags) | KVMDUMP_F_TRAILER);
		tr.crc = 0;
		tr.crc = htole32(libdeflate_crc32(0, &tr, sizeof(tr)));
		uint8_t *head = calloc(1, KVMDUMP_HDR_SIZE + cpu_span);
		if (!head) {
			free(cpu);
			return kvm_error(kd, KVM_ENOMEM, "out of memory");
		}
		memcpy(head, &final, sizeof(final));
		memcpy(head + KVMDUMP_HDR_SIZE, cpu, cpulen);
		err = od_write_at(w, dev->ptrblk, &tr, sizeof(tr));
		if (!err)
			err = od_write_at(w, dev->startblk, head,
					  KVMDUMP_HDR_SIZE + cpu_span);
		free(head);
	} else {
		/* A stream: the trailer ends it. */
		struct kvmdump_disk_header tr = final;
		tr.flags = htole32(le32toh(final.flags) | KVMDUMP_F_TRAILER |
				   KVMDUMP_F_STREAM);
		tr.crc = 0;
		tr.crc = htole32(libdeflate_crc32(0, &tr, sizeof(tr)));
		if (!(err = od_put(w, &tr, sizeof(tr))))
			err = od_flush(w, true);
	}
	free(cpu);
	return err;
}

static int
write_device(kvm_t *kd, const char *device, const struct kvm_dump_opts *o,
	     struct kvm_dump_result *res, int *incomplete)
{
	struct od_writer w = { .kd = kd, .o = o };
	struct kvm_dump_filter f;
	uint64_t cpu_span = 0;
	int err;

	*incomplete = 0;
	if ((err = kvm_dump_filter_init(kd, o->level, &f)))
		return err;
	if ((err = kvm_dumpdev_open(kd, device, o->flags, &w.dev)))
		goto out;
	struct kvm_dumpdev *dev = w.dev;
	w.buf_cap = (size_t)dev->chunksize * KVM_DUMP_BLKSIZE;
	w.buf = malloc(w.buf_cap + KVM_DUMP_BLKSIZE);
	if (!w.buf) {
		err = kvm_error(kd, KVM_ENOMEM, "out of memory");
		goto out;
	}
	w.next_blk = dev->startblk;
	w.limit_blk = dev->seqflag == CRASH_RAND_DEVICE ? dev->ptrblk : -1;

	struct kvm_dumpinfo di = { .level = (uint32_t)o->level,
				   .compress = (uint32_t)o->compress };
	uint64_t t;
	if (kd->vmcoreinfo_text &&
	    kvm_vmcoreinfo_dec(&kd->vmci, "CRASHTIME", &t))
		di.crash_time = t;
	if ((err = od_begin(&w, &di, &cpu_span)))
		goto out;
	w.data_start = w.out;

	/*
	 * Zero pages stay in the dump whatever the level, as 4-byte index
	 * entries without data: they are data (zeros), not pages left out,
	 * and read as such.  The header keeps the level asked for.
	 */
	struct kvm_dump_opts o2 = *o;
	o2.level &= ~KVM_DUMP_EXCL_ZERO;
	err = kvm_dump_pages(kd, &o2, o->compress, &f, od_emit, &w, res);
	if (err == 1)
		err = 0; /* the device is full */
	if (!err)
		err = od_chunk_flush(&w);
	if (err)
		goto out;
	if ((err = od_index(&w, &di, res, incomplete)))
		goto out;
	if ((err = od_flush(&w, true)) ||
	    (err = od_finish(&w, &di, cpu_span, res)))
		goto out;
	if (!err && dev->dumpfunc(dev, 0, NULL, CRASH_DOIO_EOT, 0) != 0)
		err = -kd->errcode;
	if (!err)
		res->bytes = w.out;
out:
	free(w.buf);
	free(w.cdata);
	free(w.idx);
	kvm_dumpdev_close(w.dev);
	kvm_dump_filter_deinit(&f);
	return err;
}

/*
 * ELF and kdump outputs: a regular file, "-" for standard output (path),
 * or a descriptor the caller opened (path NULL, fd).
 */
static int
write_file(kvm_t *kd, const char *path, int fd, const struct kvm_dump_opts *o,
	   struct kvm_dump_result *res)
{
	struct kvm_dump_filter f;
	struct kvm_dump_sink s;
	bool own = false, created = false;
	int err;

	/* The level first: a refused dump leaves no file behind. */
	if ((err = kvm_dump_filter_init(kd, o->level, &f)))
		return err;
	if (path && strcmp(path, "-") == 0) {
		fd = 1;
	} else if (path) {
		if ((err = kvm_dumpdev_open_file(kd, path,
						 o->flags & KVM_DUMP_FORCE, &fd,
						 &created))) {
			kvm_dump_filter_deinit(&f);
			return err;
		}
		own = true;
	}
	if ((err = kvm_dump_sink_fd(kd, &s, fd)) == 0) {
		err = o->format == KVM_DUMP_ELF
			      ? kvm_dump_write_elf(kd, o, &f, &s, res)
			      : kvm_dump_write_kdump(kd, o, &f, &s, res);
		int ferr = kvm_dump_sink_finish(&s);
		if (!err)
			err = ferr;
		kvm_dump_sink_close(&s);
	}
	kvm_dump_filter_deinit(&f);
	if (own && close(fd) != 0 && !err)
		err = kvm_error_sys(kd, "%s", path);
	/* A file made for a dump that failed is no dump: none is left. */
	if (err && created)
		unlink(path);
	return err;
}

/* kvm_dump_write()'s checks of its options, into *opts. */
static int
dump_opts(kvm_t *kd, const char *what, const struct kvm_dump_opts *o,
	  struct kvm_dump_opts *opts)
{
	memset(opts, 0, sizeof(*opts));
	if (!o || o->size < offsetof(struct kvm_dump_opts, progress))
		return kvm_error(kd, KVM_EINVAL, "%s: no device or options",
				 what);
	memcpy(opts, o, KVM_MIN(o->size, sizeof(*opts)));
	opts->size = sizeof(*opts);
	if (opts->level < 0 || opts->level > KVM_DUMP_LEVEL_MAX ||
	    opts->compress < KVM_COMPRESS_NONE ||
	    opts->compress > KVM_COMPRESS_LZ4 || opts->threads < 0 ||
	    opts->format < KVM_DUMP_DEVICE || opts->format > KVM_DUMP_KDUMP)
		return kvm_error(kd, KVM_EINVAL,
				 "%s: bad options (level "
				 "%d, compression %d, format %d)",
				 what, opts->level, opts->compress,
				 opts->format);
	if (kd->flags == KVM_NO_FILES)
		return kvm_error(kd, KVM_ENOTSUP,
				 "%s: a KVM_NO_FILES "
				 "handle has no memory to dump",
				 what);
	if (!kd->page_size || kd->nranges == 0)
		return kvm_error(kd, KVM_ENOTSUP,
				 "%s: the target has no "
				 "physical memory ranges to dump",
				 what);
	/* Refused before anything is opened or created. */
	if (opts->format == KVM_DUMP_KDUMP &&
	    opts->compress == KVM_COMPRESS_LZ4)
		return kvm_error(kd, KVM_ENOTSUP,
				 "kdump-compressed has no lz4 (makedumpfile "
				 "knows zlib, lzo, snappy and zstd)");
	return 0;
}

KVM_EXPORT int
kvm_dump_write_fd(kvm_t *kd, int fd, const struct kvm_dump_opts *o,
		  struct kvm_dump_result *res)
{
	struct kvm_dump_opts opts;
	struct kvm_dump_result r = { 0 };
	int err;

	KVM_CHECK_KD(kd, -1);
	if ((err = dump_opts(kd, "kvm_dump_write_fd", o, &opts)))
		goto fail;
	if (fd < 0 || opts.format == KVM_DUMP_DEVICE) {
		err = kvm_error(kd, KVM_EINVAL, "kvm_dump_write_fd: %s",
				fd < 0 ? "no descriptor"
				       : "the on-device format goes to a device "
					 "(kvm_dump_write)");
		goto fail;
	}
	err = write_file(kd, NULL, fd, &opts, &r);
	if (res)
		*res = r;
	if (err)
		goto fail;
	return 0;
fail:
	kvm_report(kd);
	return -1;
}

KVM_EXPORT int
kvm_dump_write(kvm_t *kd, const char *device, const struct kvm_dump_opts *o,
	       struct kvm_dump_result *res)
{
	struct kvm_dump_opts opts;
	struct kvm_dump_result r = { 0 };
	int err, incomplete = 0;

	KVM_CHECK_KD(kd, -1);
	if (!device) {
		kvm_error(kd, KVM_EINVAL,
			  "kvm_dump_write: no device or options");
		goto fail;
	}
	if ((err = dump_opts(kd, "kvm_dump_write", o, &opts)))
		goto fail;
	if (opts.format == KVM_DUMP_DEVICE)
		err = write_device(kd, device, &opts, &r, &incomplete);
	else
		err = write_file(kd, device, -1, &opts, &r);
	if (res)
		*res = r;
	if (err)
		goto fail;
	return incomplete;
fail:
	kvm_report(kd);
	return -1;
}
