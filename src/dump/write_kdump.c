// SPDX-License-Identifier: BSD-2-Clause
/*
 * kdump-compressed output as makedumpfile writes it: header version 6 of
 * makedumpfile 1.7's diskdump_mod.h, 64-bit layout, the target's byte
 * order.  The writer calls only the sink's pwrite; on a pipe the caller
 * wraps the sink in the flattened adaptor (sink.h), whose records
 * makedumpfile -R and the readers replay.
 *
 *   block 0          struct disk_dump_header ("KDUMP   ", version 6)
 *   block 1 ...      struct kdump_sub_header (104 bytes), then the ELF
 *                    notes; offset_vmcoreinfo points into the VMCOREINFO
 *                    note, as makedumpfile's does (sub_hdr_size blocks)
 *   bm1              1st bitmap: a bit per page of RAM
 *   bm1 + len        2nd bitmap: a bit per page dumped, same length
 *   pd               struct page_desc (24 bytes) per set bit of the 2nd
 *                    bitmap, in pfn order; room is kept for every page
 *                    the filter keeps, as the count of those the source
 *                    lacks is known only at the end
 *   data             one page of zeros that every zero page's descriptor
 *                    shares (makedumpfile's pd_zero), then each page,
 *                    compressed, or raw when that did not make it shorter
 *
 * In a file the pages and descriptors are written first, in order, then
 * the 2nd bitmap, and the headers last, so a file cut short has no valid
 * header.  A flattened stream starts with the headers instead.
 */
#include <endian.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sink.h"

/* diskdump_mod.h (makedumpfile 1.7) */
#define KDW_SIGNATURE "KDUMP   "
#define KDW_VERSION 6
#define KDW_UTS_LEN 65
#define KDW_HDR_SIZE 464 /* disk_dump_header, 64-bit */
#define KDW_SUB_SIZE 104 /* kdump_sub_header, version 6 */
#define KDW_PD_SIZE 24	 /* page_desc */
#define KDW_ZLIB 0x1	 /* DUMP_DH_COMPRESSED_ZLIB */
#define KDW_LZO 0x2	 /* DUMP_DH_COMPRESSED_LZO */
#define KDW_SNAPPY 0x4	 /* DUMP_DH_COMPRESSED_SNAPPY */
#define KDW_ZSTD 0x20	 /* DUMP_DH_COMPRESSED_ZSTD, 1.7.0+ */

/* disk_dump_header field offsets (64-bit: 16-byte timeval at 408). */
#define H_VERSION 8
#define H_UTSNAME 12
#define H_TV_SEC 408
#define H_STATUS 424
#define H_BLOCK_SIZE 428
#define H_SUB_HDR_SIZE 432
#define H_BITMAP_BLOCKS 436
#define H_MAX_MAPNR 440
#define H_TOTAL_RAM 444
#define H_NR_CPUS 460

/* kdump_sub_header field offsets. */
#define S_PHYS_BASE 0
#define S_DUMP_LEVEL 8
#define S_END_PFN 24
#define S_OFF_VMCI 32
#define S_SIZE_VMCI 40
#define S_OFF_NOTE 48
#define S_SIZE_NOTE 56
#define S_END_PFN_64 88
#define S_MAX_MAPNR_64 96

/* Write in pieces of this size; descriptors in batches of this many. */
#define KDW_BUF (1u << 20)
#define KDW_PD_BATCH 4096

struct kdw {
	kvm_t *kd;
	struct kvm_dump_sink *s;
	uint32_t ps;
	uint32_t dflag; /* DUMP_DH_COMPRESSED_* of the method */
	uint64_t max_mapnr;
	uint8_t *bm1, *bm2;
	uint64_t bm_len; /* bytes of one bitmap, whole blocks */
	uint64_t pd_off; /* file offset of the first descriptor */
	uint64_t nd_max; /* descriptors room was left for */
	uint64_t nd;	 /* descriptors made */
	uint64_t nd_flushed;
	uint8_t *pd;	   /* KDW_PD_BATCH descriptors */
	uint64_t zero_off; /* the shared page of zeros */
	uint8_t *data;
	size_t fill;
	uint64_t data_off; /* file offset of data[0] */
	uint64_t nzero, ndata, nmissing;
};

static int
method_flag(kvm_t *kd, int method, uint32_t *flag_ret)
{
	switch (method) {
	case KVM_COMPRESS_NONE:
		*flag_ret = 0;
		return 0;
	case KVM_COMPRESS_ZLIB:
		*flag_ret = KDW_ZLIB;
		return 0;
	case KVM_COMPRESS_LZO:
		*flag_ret = KDW_LZO;
		return 0;
	case KVM_COMPRESS_SNAPPY:
		*flag_ret = KDW_SNAPPY;
		return 0;
	case KVM_COMPRESS_ZSTD:
		*flag_ret = KDW_ZSTD;
		return 0;
	case KVM_COMPRESS_LZ4:
		return kvm_error(kd, KVM_ENOTSUP,
				 "kdump-compressed has no lz4 (makedumpfile "
				 "knows zlib, lzo, snappy and zstd)");
	default:
		return kvm_error(kd, KVM_EINVAL,
				 "kdump: compression %d "
				 "unknown",
				 method);
	}
}

static int
pd_flush(struct kdw *w)
{
	uint64_t n = w->nd - w->nd_flushed;

	if (n == 0)
		return 0;
	int err = w->s->pwrite(w->s->arg, w->pd, n * KDW_PD_SIZE,
			       w->pd_off + w->nd_flushed * KDW_PD_SIZE);
	if (!err)
		w->nd_flushed = w->nd;
	return err;
}

static int
pd_add(struct kdw *w, uint64_t pfn, uint64_t off, uint32_t size, uint32_t flags)
{
	if (w->nd == w->nd_max)
		return kvm_error(w->kd, KVM_EINVAL,
				 "kdump: page 0x%llx is one more than the %llu "
				 "the filter keeps",
				 (unsigned long long)pfn,
				 (unsigned long long)w->nd_max);
	uint8_t *d = w->pd + (w->nd - w->nd_flushed) * KDW_PD_SIZE;
	kvm_tgt_put64(w->kd, d, off);
	kvm_tgt_put32(w->kd, d + 8, size);
	kvm_tgt_put32(w->kd, d + 12, flags);
	kvm_tgt_put64(w->kd, d + 16, 0); /* page_flags: not recorded */
	w->nd++;
	w->bm2[pfn >> 3] |= 1u << (pfn & 7);
	return w->nd - w->nd_flushed == KDW_PD_BATCH ? pd_flush(w) : 0;
}

static int
data_flush(struct kdw *w)
{
	if (w->fill == 0)
		return 0;
	int err = w->s->pwrite(w->s->arg, w->data, w->fill, w->data_off);
	if (!err) {
		w->data_off += w->fill;
		w->fill = 0;
	}
	return err;
}

/* Append len bytes of page data; returns its file offset in *off_ret. */
static int
data_add(struct kdw *w, const void *p, size_t len, uint64_t *off_ret)
{
	if (KDW_BUF - w->fill < len) {
		int err = data_flush(w);
		if (err)
			return err;
	}
	*off_ret = w->data_off + w->fill;
	memcpy(w->data + w->fill, p, len);
	w->fill += len;
	return 0;
}

static int
kdw_emit(void *arg, const struct kvm_dump_page *pg)
{
	struct kdw *w = arg;
	uint64_t off;
	int err;

	if (pg->pfn >= w->max_mapnr)
		return kvm_error(w->kd, KVM_EINVAL,
				 "kdump: page 0x%llx past the last of RAM",
				 (unsigned long long)pg->pfn);
	switch (pg->kind) {
	case KVM_PAGE_MISSING:
		/* In RAM (1st bitmap), not dumped: readers say excluded. */
		w->nmissing++;
		return 0;
	case KVM_PAGE_ZERO:
		w->nzero++;
		return pd_add(w, pg->pfn, w->zero_off, w->ps, 0);
	case KVM_PAGE_DATA:
		break;
	}
	bool raw = pg->method == KVM_COMPRESS_NONE;
	if (pg->len == 0 || pg->len > w->ps || (raw && pg->len != w->ps))
		return kvm_error(w->kd, KVM_EINVAL,
				 "kdump: page 0x%llx of %zu bytes",
				 (unsigned long long)pg->pfn, pg->len);
	if ((err = data_add(w, pg->data, pg->len, &off)))
		return err;
	w->ndata++;
	return pd_add(w, pg->pfn, off, (uint32_t)pg->len, raw ? 0 : w->dflag);
}

/*
 * utsname as the kernel has it (init_uts_ns.name: makedumpfile copies
 * it from memory too), else what VMCOREINFO and the machine tell.
 */
static void
kdw_utsname(kvm_t *kd, uint8_t *uts)
{
	uint64_t sym, off = 0, size;
	size_t done;
	const char *rel;

	if ((kvm_vmcoreinfo_symbol(&kd->vmci, "init_uts_ns", &sym) ||
	     kvm_sym_lookup(kd, "init_uts_ns", &sym) == 0) &&
	    (kvm_vmcoreinfo_offset(&kd->vmci, "uts_namespace.name", &off) ||
	     kvm_types_offsetof(kd, "uts_namespace", "name", &off, &size) ==
		     0) &&
	    kvm_virt_read(kd, sym + off, uts, 6 * KDW_UTS_LEN, &done) == 0 &&
	    memcmp(uts, "Linux", 6) == 0) {
		for (int i = 0; i < 6; i++)
			uts[i * KDW_UTS_LEN + KDW_UTS_LEN - 1] = '\0';
		return;
	}
	kvm_error_clear(kd);
	memset(uts, 0, 6 * KDW_UTS_LEN);
	memcpy(uts, "Linux", 5);
	rel = kvm_vmcoreinfo_get(&kd->vmci, "OSRELEASE");
	if (rel)
		strncpy((char *)uts + 2 * KDW_UTS_LEN, rel, KDW_UTS_LEN - 1);
	const char *m = kvm_machine_name(kd->e_machine);
	if (m)
		strncpy((char *)uts + 4 * KDW_UTS_LEN, m, KDW_UTS_LEN - 1);
}

/*
 * The sub-header's phys_base, what makedumpfile puts there: x86_64's
 * phys_base (arch/x86/kernel/machine_kexec_64.c exports it), arm64's
 * PHYS_OFFSET (arch/arm64/kernel/crash_core.c).
 */
static uint64_t
kdw_phys_base(kvm_t *kd)
{
	int64_t v;

	if (kvm_vmcoreinfo_number(&kd->vmci, "phys_base", &v) ||
	    kvm_vmcoreinfo_number(&kd->vmci, "PHYS_OFFSET", &v))
		return (uint64_t)v;
	return 0;
}

static int
kdw_headers(struct kdw *w, const struct kvm_dump_opts *o, const uint8_t *notes,
	    size_t nlen, size_t vmci_off, size_t vmci_len, uint32_t sub_blocks,
	    uint64_t nram)
{
	kvm_t *kd = w->kd;
	uint64_t ps = w->ps;
	size_t len = (1 + (size_t)sub_blocks) * ps;
	uint64_t crash;

	uint8_t *h = calloc(1, len);
	if (!h)
		return kvm_error(kd, KVM_ENOMEM, "out of memory for headers");
	memcpy(h, KDW_SIGNATURE, 8);
	kvm_tgt_put32(kd, h + H_VERSION, KDW_VERSION);
	kdw_utsname(kd, h + H_UTSNAME);
	if (!kvm_vmcoreinfo_dec(&kd->vmci, "CRASHTIME", &crash))
		crash = (uint64_t)time(NULL);
	kvm_tgt_put64(kd, h + H_TV_SEC, crash);
	kvm_tgt_put32(kd, h + H_STATUS, w->dflag);
	kvm_tgt_put32(kd, h + H_BLOCK_SIZE, w->ps);
	kvm_tgt_put32(kd, h + H_SUB_HDR_SIZE, sub_blocks);
	kvm_tgt_put32(kd, h + H_BITMAP_BLOCKS, (uint32_t)(2 * w->bm_len / ps));
	kvm_tgt_put32(kd, h + H_MAX_MAPNR,
		      (uint32_t)KVM_MIN(w->max_mapnr, UINT32_MAX));
	kvm_tgt_put32(kd, h + H_TOTAL_RAM, (uint32_t)KVM_MIN(nram, UINT32_MAX));
	kvm_tgt_put32(kd, h + H_NR_CPUS, (uint32_t)kd->ncpus);

	uint8_t *sub = h + ps;
	uint64_t note_off = ps + KDW_SUB_SIZE;
	kvm_tgt_put64(kd, sub + S_PHYS_BASE, kdw_phys_base(kd));
	kvm_tgt_put32(kd, sub + S_DUMP_LEVEL, (uint32_t)o->level);
	/* Not split: start_pfn 0, end_pfn the end, as makedumpfile sets. */
	kvm_tgt_put64(kd, sub + S_END_PFN, KVM_MIN(w->max_mapnr, UINT32_MAX));
	if (vmci_len) {
		kvm_tgt_put64(kd, sub + S_OFF_VMCI, note_off + vmci_off);
		kvm_tgt_put64(kd, sub + S_SIZE_VMCI, vmci_len);
	}
	if (nlen) {
		kvm_tgt_put64(kd, sub + S_OFF_NOTE, note_off);
		kvm_tgt_put64(kd, sub + S_SIZE_NOTE, nlen);
	}
	kvm_tgt_put64(kd, sub + S_END_PFN_64, w->max_mapnr);
	kvm_tgt_put64(kd, sub + S_MAX_MAPNR_64, w->max_mapnr);
	memcpy(sub + KDW_SUB_SIZE, notes, nlen);

	int err = w->s->pwrite(w->s->arg, h, len, 0);
	free(h);
	if (err)
		return err;
	return w->s->pwrite(w->s->arg, w->bm1, w->bm_len, len);
}

/*
 * stream: the sink is a flattened stream, which starts with the headers
 * as makedumpfile -F and QEMU write it (a reader of a cut stream sees
 * what it is at once); only the 2nd bitmap then comes after the pages.
 */
static int
kdw_write(kvm_t *kd, const struct kvm_dump_opts *o,
	  const struct kvm_dump_filter *f, struct kvm_dump_sink *s,
	  struct kvm_dump_result *res, bool stream)
{
	struct kdw w = { .kd = kd, .s = s, .ps = kd->page_size };
	uint8_t *notes = NULL;
	size_t nlen, vmci_off, vmci_len;
	int err;

	if ((err = method_flag(kd, o->compress, &w.dflag)))
		return err;
	if (kd->ptr_size != 8)
		return kvm_error(kd, KVM_ENOTSUP,
				 "kdump: only the 64-bit header layout is "
				 "written (target pointers are %d bytes)",
				 kd->ptr_size);
	if (w.ps < 512 || (w.ps & (w.ps - 1)) || w.ps > (1u << 20))
		return kvm_error(kd, KVM_ENOTSUP,
				 "kdump: page size %u is not a block size",
				 w.ps);
	if (kd->nranges == 0)
		return kvm_error(kd, KVM_ENODATA,
				 "kdump: the target has no physical memory "
				 "ranges");
	uint64_t end = kd->ranges[kd->nranges - 1].end;
	if (end == UINT64_MAX || end / w.ps >= (1ull << 52))
		return kvm_error(kd, KVM_ENOTSUP,
				 "kdump: physical memory up to 0x%llx is too "
				 "big for the bitmaps",
				 (unsigned long long)end);
	w.max_mapnr = (end + w.ps - 1) / w.ps;
	w.bm_len = ((w.max_mapnr + 7) / 8 + w.ps - 1) / w.ps * w.ps;
	if (2 * w.bm_len / w.ps > UINT32_MAX)
		return kvm_error(kd, KVM_ENOTSUP,
				 "kdump: %llu pages need more bitmap blocks "
				 "than the header counts",
				 (unsigned long long)w.max_mapnr);

	if ((err = kvm_dump_notes_build(kd, &notes, &nlen, &vmci_off,
					&vmci_len)))
		return err;
	uint64_t sub_blocks = (KDW_SUB_SIZE + nlen + w.ps - 1) / w.ps;
	if (sub_blocks > INT32_MAX) {
		err = kvm_error(kd, KVM_ENOTSUP, "kdump: notes too large");
		goto out;
	}
	w.bm1 = calloc(1, w.bm_len);
	w.bm2 = calloc(1, w.bm_len);
	w.pd = malloc((size_t)KDW_PD_BATCH * KDW_PD_SIZE);
	w.data = malloc(KDW_BUF);
	if (!w.bm1 || !w.bm2 || !w.pd || !w.data) {
		err = kvm_error(kd, KVM_ENOMEM,
				"kdump: out of memory for bitmaps of %llu "
				"bytes",
				(unsigned long long)w.bm_len);
		goto out;
	}
	/* RAM: every page the ranges touch; room for each the filter keeps. */
	uint64_t nram = 0;
	for (size_t i = 0; i < kd->nranges; i++) {
		uint64_t pfn = kd->ranges[i].start / w.ps;
		uint64_t e = (kd->ranges[i].end + w.ps - 1) / w.ps;
		for (; pfn < e; pfn++) {
			if (w.bm1[pfn >> 3] & (1u << (pfn & 7)))
				continue; /* ranges sharing a page */
			w.bm1[pfn >> 3] |= 1u << (pfn & 7);
			nram++;
			if (!kvm_dump_filter_out(f, pfn))
				w.nd_max++;
		}
	}
	w.pd_off = (1 + sub_blocks) * w.ps + 2 * w.bm_len;
	uint64_t data0 = w.pd_off + w.nd_max * KDW_PD_SIZE;
	w.zero_off = (data0 + w.ps - 1) / w.ps * w.ps;
	w.data_off = w.zero_off;
	memset(w.data, 0, w.ps);
	w.fill = w.ps;

	/*
	 * Zero pages stay in the dump whatever the level: their descriptors
	 * share one page of zeros (makedumpfile does the same for the zero
	 * pages of -d 1, found only as it writes), so they read as zeros.
	 */
	struct kvm_dump_opts o2 = *o;
	o2.level &= ~KVM_DUMP_EXCL_ZERO;
	struct kvm_dump_result scratch = { 0 };
	struct kvm_dump_result *r = res ? res : &scratch;
	memset(r, 0, sizeof(*r));
	if (stream && (err = kdw_headers(&w, o, notes, nlen, vmci_off, vmci_len,
					 (uint32_t)sub_blocks, nram)))
		goto out;
	err = kvm_dump_pages(kd, &o2, o->compress, f, kdw_emit, &w, r);
	if (err > 0)
		err = -kd->errcode;
	if (!err)
		err = data_flush(&w);
	if (!err)
		err = pd_flush(&w);
	if (!err)
		err = s->pwrite(s->arg, w.bm2, w.bm_len,
				(1 + sub_blocks) * w.ps + w.bm_len);
	if (!err && !stream)
		err = kdw_headers(&w, o, notes, nlen, vmci_off, vmci_len,
				  (uint32_t)sub_blocks, nram);
	if (!err) {
		r->pages_written = w.nd;
		r->pages_missing = w.nmissing;
		r->bytes = w.data_off;
	}
out:
	free(notes);
	free(w.bm1);
	free(w.bm2);
	free(w.pd);
	free(w.data);
	return err;
}

int
kvm_dump_write_kdump(kvm_t *kd, const struct kvm_dump_opts *o,
		     const struct kvm_dump_filter *f, struct kvm_dump_sink *s,
		     struct kvm_dump_result *res)
{
	struct kvm_dump_sink flat;
	uint32_t flag;
	int err;

	if (s->pwrite)
		return kdw_write(kd, o, f, s, res, false);
	/* Refuse a bad method before the stream has begun. */
	if ((err = method_flag(kd, o->compress, &flag)))
		return err;
	/* A pipe: makedumpfile's flattened stream (makedumpfile -F). */
	if ((err = kvm_dump_sink_flattened(kd, &flat, s)))
		return err;
	err = kdw_write(kd, o, f, &flat, res, true);
	if (!err)
		err = kvm_dump_sink_finish(&flat);
	kvm_dump_sink_close(&flat);
	return err;
}
