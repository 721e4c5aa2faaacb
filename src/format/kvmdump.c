// SPDX-License-Identifier: BSD-2-Clause
/*
 * Our own dumps (src/kvmdump_disk.h): savecore's kcore files (NetBSD's
 * kcore_hdr + CPU and DATA segments), dumps written to a file or a pipe
 * (the header at offset 0), and dump devices (a swap signature, or our
 * header 64 KiB in), whose dump is read only when kvm_dump_mkheader()
 * says where.  Everything in the file is checked against the file's size
 * before use; a dump cut short reads as far as its whole chunks go.
 */
#include <libdeflate.h>
#include <stdlib.h>
#include <string.h>

#include "../cache.h"
#include "../kvmdump_disk.h"
#include "format.h"

struct kvmdump_chunk {
	uint64_t pfn;
	uint64_t off; /* of the chunk header, in the stream */
	uint32_t npages;
};

struct kvmdump_priv {
	uint64_t data; /* file offset of the page stream */
	struct kvmdump_chunk *chunks;
	size_t nchunks;
	/* The chunk whose entries are loaded, and where each page starts. */
	size_t cur;
	uint32_t ents[KVMDUMP_CHUNK_MAX_PAGES];
	uint64_t offs[KVMDUMP_CHUNK_MAX_PAGES];
	struct kvm_cache *cache;
	uint8_t *scratch; /* one stored page */
	uint8_t *page;	  /* one decoded page, when there is no cache */
};

static uint32_t
le32(uint32_t v)
{
	return le32toh(v);
}

static uint64_t
le64(uint64_t v)
{
	return le64toh(v);
}

static bool
swap_signature(kvm_t *kd)
{
	/* The magic ends the first page, whatever the page size. */
	for (uint32_t ps = KVM_SWAP_PAGE_MIN; ps <= KVM_SWAP_PAGE_MAX;
	     ps *= 2) {
		char sig[KVM_SWAP_MAGIC_LEN];
		if (kd->core.size < ps ||
		    kvm_file_read(kd, &kd->core, ps - sizeof(sig), sig,
				  sizeof(sig)) != 0) {
			kvm_error_clear(kd);
			break;
		}
		if (kvm_swap_magic(sig))
			return true;
	}
	return false;
}

static int
kvmdump_probe(kvm_t *kd, const uint8_t *head, size_t headlen)
{
	uint32_t mm;
	char magic[8];

	if (headlen >= sizeof(struct kcore_disk_hdr)) {
		memcpy(&mm, head, 4);
		if ((be32toh(mm) & 0xffff) == KCORE_MAGIC)
			return 0;
	}
	if (headlen >= 8 && (memcmp(head, KVMDUMP_MAGIC, 8) == 0 ||
			     memcmp(head, KVMDUMP_MAGIC_INVAL, 8) == 0))
		return 0;
	if (kd->core.size >= KVMDUMP_DEVICE_OFFSET + KVMDUMP_HDR_SIZE &&
	    kvm_file_read(kd, &kd->core, KVMDUMP_DEVICE_OFFSET, magic, 8) ==
		    0 &&
	    (memcmp(magic, KVMDUMP_MAGIC, 8) == 0 ||
	     memcmp(magic, KVMDUMP_MAGIC_INVAL, 8) == 0))
		return 0;
	kvm_error_clear(kd);
	return swap_signature(kd) ? 0 : -KVM_ENOPROBE;
}

/* A dump header at off: 0 valid, -KVM_ENOENT none (no message). */
static int
read_header(kvm_t *kd, uint64_t off, struct kvmdump_disk_header *h)
{
	if (off > kd->core.size || kd->core.size - off < sizeof(*h) ||
	    kvm_file_read(kd, &kd->core, off, h, sizeof(*h)) != 0) {
		kvm_error_clear(kd);
		return -KVM_ENOENT;
	}
	if (memcmp(h->magic, KVMDUMP_MAGIC, 8) != 0)
		return -KVM_ENOENT;
	uint32_t crc = le32(h->crc);
	h->crc = 0;
	if (libdeflate_crc32(0, h, sizeof(*h)) != crc)
		return kvm_error(kd, KVM_ECORRUPT,
				 "kcore dump: header at 0x%llx: checksum "
				 "mismatch",
				 (unsigned long long)off);
	if (le32(h->version) != KVMDUMP_VERSION ||
	    le32(h->header_size) != KVMDUMP_HDR_SIZE)
		return kvm_error(kd, KVM_ENOTSUP,
				 "kcore dump: header version %u (we read %u)",
				 le32(h->version), KVMDUMP_VERSION);
	return 0;
}

/* The CPU segment at off: machine, ranges, CPU states, VMCOREINFO. */
static int
read_cpu(kvm_t *kd, uint64_t off, uint64_t *end_ret)
{
	struct kcore_disk_seg seg;
	struct kvmdump_disk_cpu c;
	int err;

	if ((err = kvm_file_read(kd, &kd->core, off, &seg, sizeof(seg))) ||
	    (err = kvm_file_read(kd, &kd->core, off + sizeof(seg), &c,
				 sizeof(c))))
		return kvm_error_ctx(kd, "kcore dump: CPU segment");
	uint32_t mm = be32toh(seg.c_midmag);
	if ((mm & 0xffff) != KCORE_MAGIC || (mm >> 26) != KCORESEG_CPU)
		return kvm_error(kd, KVM_ECORRUPT,
				 "kcore dump: no CPU segment at 0x%llx",
				 (unsigned long long)off);
	uint64_t size = le32(seg.c_size);
	uint32_t nr = le32(c.nranges), nc = le32(c.ncpus);
	uint32_t vl = le32(c.vmcoreinfo_len);
	uint64_t need = sizeof(c) + (uint64_t)nr * 16 + (uint64_t)nc * 48 + vl;
	uint32_t ps = le32(c.page_size);
	if (nr > KVMDUMP_MAX_RANGES || nc > KVMDUMP_MAX_CPUS ||
	    vl > KVMDUMP_MAX_VMCOREINFO || need > size ||
	    size > kd->core.size - off - sizeof(seg) || ps < 512 ||
	    ps > (1u << 20) || (ps & (ps - 1)))
		return kvm_error(kd, KVM_ECORRUPT,
				 "kcore dump: CPU segment of %llu bytes does not "
				 "hold %u ranges, %u CPUs and %u bytes of "
				 "VMCOREINFO (page size %u)",
				 (unsigned long long)size, nr, nc, vl, ps);
	kd->e_machine = le16toh(c.e_machine);
	kd->big_endian = c.big_endian != 0;
	kd->ptr_size = c.ptr_size == 4 ? 4 : 8;
	kd->page_size = ps;
	if (le32(c.kaslr_known)) {
		kd->kaslr_known = true;
		kd->kaslr_offset = (int64_t)le64(c.kaslr_offset);
	}
	uint64_t p = off + sizeof(seg) + sizeof(c);
	struct kvm_phys_range *r = calloc(nr ? nr : 1, sizeof(*r));
	if (!r)
		return kvm_error(kd, KVM_ENOMEM, "out of memory");
	for (uint32_t i = 0; i < nr; i++, p += 16) {
		struct kvmdump_disk_range d;
		if ((err = kvm_file_read(kd, &kd->core, p, &d, sizeof(d)))) {
			free(r);
			return kvm_error_ctx(kd, "kcore dump: ranges");
		}
		r[i].start = le64(d.start);
		r[i].end = le64(d.end);
		if (r[i].end <= r[i].start ||
		    (i > 0 && r[i].start < r[i - 1].end)) {
			free(r);
			return kvm_error(kd, KVM_ECORRUPT,
					 "kcore dump: physical range %u is not "
					 "sorted or empty",
					 i);
		}
	}
	free(kd->ranges);
	kd->ranges = r;
	kd->nranges = nr;
	for (uint32_t i = 0; i < nc; i++, p += 48) {
		struct kvmdump_disk_cpustate d;
		if ((err = kvm_file_read(kd, &kd->core, p, &d, sizeof(d))))
			return kvm_error_ctx(kd, "kcore dump: CPU states");
		struct kvm_cpu_state *cs = kvm_cpu_add(kd);
		if (!cs)
			return -kd->errcode;
		uint32_t f = le32(d.flags);
		cs->have_regs = f & 1;
		cs->have_cr = f & 2;
		cs->pc = le64(d.pc);
		cs->sp = le64(d.sp);
		cs->cr0 = le64(d.cr0);
		cs->cr3 = le64(d.cr3);
		cs->cr4 = le64(d.cr4);
	}
	if (vl) {
		char *t = malloc(vl);
		if (!t)
			return kvm_error(kd, KVM_ENOMEM, "out of memory");
		err = kvm_file_read(kd, &kd->core, p, t, vl);
		if (!err)
			err = kvm_set_vmcoreinfo(kd, t, vl);
		free(t);
		if (err)
			return kvm_error_ctx(kd, "kcore dump: VMCOREINFO");
	}
	struct kvm_dumpinfo *di = &kd->dump;
	di->flags = le32(c.flags);
	di->data_size = le64(c.data_size);
	di->index_offset = le64(c.index_offset);
	di->index_count = le64(c.index_count);
	di->level = le32(c.level);
	kd->dump_level = di->level > 0 && di->level <= 31 ? (int)di->level : -1;
	di->compress = le32(c.compress);
	di->crash_time = le64(c.crash_time);
	*end_ret = off + sizeof(seg) + ((size + 7) & ~7ULL);
	return 0;
}

/* The chunks, from the index when it is whole, else by walking them. */
static int
load_chunks(kvm_t *kd, struct kvmdump_priv *p)
{
	struct kvm_dumpinfo *di = &kd->dump;
	uint64_t size = di->data_size;

	free(p->chunks);
	p->chunks = NULL;
	p->nchunks = 0;
	p->cur = SIZE_MAX;
	if (size > kd->core.size - p->data)
		size = kd->core.size - p->data; /* cut short: what is there */
	if (di->index_offset && di->index_count &&
	    di->index_count <= size / sizeof(struct kvmdump_disk_index_ent) &&
	    di->index_offset <= size &&
	    size - di->index_offset >=
		    16 + di->index_count *
				    sizeof(struct kvmdump_disk_index_ent)) {
		char magic[8];
		if (kvm_file_read(kd, &kd->core, p->data + di->index_offset,
				  magic, 8) == 0 &&
		    memcmp(magic, KVMDUMP_INDEX_MAGIC, 8) == 0) {
			p->chunks = calloc(di->index_count, sizeof(*p->chunks));
			if (!p->chunks)
				return kvm_error(kd, KVM_ENOMEM,
						 "out of memory");
			uint64_t q = p->data + di->index_offset + 16;
			for (uint64_t i = 0; i < di->index_count;
			     i++, q += 24) {
				struct kvmdump_disk_index_ent e;
				if (kvm_file_read(kd, &kd->core, q, &e,
						  sizeof(e)))
					return kvm_error_ctx(kd,
							     "kcore dump: index");
				struct kvmdump_chunk *c = &p->chunks[i];
				c->pfn = le64(e.pfn);
				c->off = le64(e.offset);
				c->npages = le32(e.npages);
				if (c->npages == 0 ||
				    c->npages > KVMDUMP_CHUNK_MAX_PAGES ||
				    c->off >= di->index_offset ||
				    (i > 0 &&
				     c->pfn < p->chunks[i - 1].pfn +
						      p->chunks[i - 1].npages))
					return kvm_error(kd, KVM_ECORRUPT,
							 "kcore dump: index entry "
							 "%llu is not valid",
							 (unsigned long long)i);
			}
			p->nchunks = di->index_count;
			return 0;
		}
		kvm_error_clear(kd);
	}
	/* No index (a dump cut short): walk the whole chunks. */
	size_t cap = 0;
	for (uint64_t off = 0;
	     size - off >= sizeof(struct kvmdump_disk_chunk);) {
		struct kvmdump_disk_chunk h;
		if (kvm_file_read(kd, &kd->core, p->data + off, &h,
				  sizeof(h)) ||
		    memcmp(h.magic, KVMDUMP_CHUNK_MAGIC, 8) != 0)
			break;
		uint32_t n = le32(h.npages);
		uint64_t dl = le64(h.data_len);
		uint64_t len = sizeof(h) + 4ULL * n;
		if (n == 0 || n > KVMDUMP_CHUNK_MAX_PAGES ||
		    dl > size - off - KVM_MIN(len, size - off) ||
		    len + dl > size - off)
			break;
		uint64_t pfn = le64(h.pfn);
		if (p->nchunks > 0 &&
		    pfn < p->chunks[p->nchunks - 1].pfn +
				    p->chunks[p->nchunks - 1].npages)
			break;
		if (p->nchunks == cap) {
			cap = cap ? 2 * cap : 256;
			void *q = realloc(p->chunks, cap * sizeof(*p->chunks));
			if (!q)
				return kvm_error(kd, KVM_ENOMEM,
						 "out of memory");
			p->chunks = q;
		}
		p->chunks[p->nchunks++] = (struct kvmdump_chunk){ pfn, off, n };
		off += (len + dl + 7) & ~7ULL;
	}
	kvm_error_clear(kd);
	return 0;
}

/*
 * The CPU segment's own checksum, where the header has one: the segment
 * says where the data is and how big it is, and savecore must not act
 * on a size nobody vouched for.
 */
static int
check_cpu_crc(kvm_t *kd, const struct kvmdump_disk_header *h, uint64_t at,
	      uint64_t room)
{
	if (!(le32(h->flags) & KVMDUMP_F_CPU_CRC))
		return 0; /* written before the sum was kept */
	uint32_t len = le32(h->cpu_len);
	/* The largest segment the reader accepts (kvmdump_disk.h's caps). */
	const uint64_t max = sizeof(struct kcore_disk_seg) +
			     sizeof(struct kvmdump_disk_cpu) +
			     (uint64_t)KVMDUMP_MAX_RANGES * 16 +
			     (uint64_t)KVMDUMP_MAX_CPUS * 48 +
			     KVMDUMP_MAX_VMCOREINFO + 8;
	if (len < sizeof(struct kcore_disk_seg) +
			    sizeof(struct kvmdump_disk_cpu) ||
	    len > room || len > max)
		return kvm_error(kd, KVM_ECORRUPT,
				 "kcore dump: the header sums %u bytes of CPU "
				 "segment, which has %llu",
				 len, (unsigned long long)room);
	uint8_t *b = malloc(len);
	if (!b)
		return kvm_error(kd, KVM_ENOMEM, "out of memory");
	int err = kvm_file_read(kd, &kd->core, at, b, len);
	uint32_t crc = err ? 0 : libdeflate_crc32(0, b, len);
	free(b);
	if (err)
		return kvm_error_ctx(kd, "kcore dump: CPU segment");
	if (crc != le32(h->cpu_crc))
		return kvm_error(kd, KVM_ECORRUPT,
				 "kcore dump: CPU segment checksum mismatch "
				 "(it was changed after the dump was written)");
	return 0;
}

/*
 * What the CPU segment repeats of the checksummed header must agree with
 * it: a dump written before the segment had its own sum is still held to
 * what the header says of its page size, sizes and index.
 */
static int
check_cpu_header(kvm_t *kd, const struct kvmdump_disk_header *h, uint32_t flags)
{
	const struct kvm_dumpinfo *di = &kd->dump;
	const char *what = NULL;
	unsigned long long seg = 0, hdr = 0;

#define CHECK(name, a, b)                              \
	if (!what && (uint64_t)(a) != (uint64_t)(b)) { \
		what = name;                           \
		seg = (unsigned long long)(a);         \
		hdr = (unsigned long long)(b);         \
	}
	CHECK("page size", kd->page_size, le32(h->page_size));
	CHECK("dump level", di->level, le32(h->level));
	CHECK("compression", di->compress, le32(h->compress));
	if (!(flags & KVMDUMP_F_STREAM)) {
		CHECK("data size", di->data_size, le64(h->data_size));
		CHECK("index offset", di->index_offset, le64(h->index_offset));
		CHECK("index count", di->index_count, le64(h->index_count));
		CHECK("completeness flags",
		      di->flags & (KVMDUMP_F_COMPLETE | KVMDUMP_F_INCOMPLETE),
		      flags & (KVMDUMP_F_COMPLETE | KVMDUMP_F_INCOMPLETE));
	}
#undef CHECK
	if (what)
		return kvm_error(kd, KVM_ECORRUPT,
				 "kcore dump: the CPU segment's %s (%llu) is not "
				 "the checksummed header's (%llu)",
				 what, seg, hdr);
	return 0;
}

/* Parse the dump whose header is at off (device or stream file). */
static int
parse_dump_at(kvm_t *kd, uint64_t off)
{
	struct kvmdump_priv *p = kd->fmt_priv;
	struct kvmdump_disk_header h;
	int err = read_header(kd, off, &h);

	if (err)
		return err;
	uint64_t cpu = le64(h.cpu_offset), data = le64(h.data_offset);
	if (cpu < KVMDUMP_HDR_SIZE || data <= cpu || data > kd->core.size - off)
		return kvm_error(kd, KVM_ECORRUPT,
				 "kcore dump: header at 0x%llx: segments at "
				 "0x%llx, 0x%llx are not in the file",
				 (unsigned long long)off,
				 (unsigned long long)cpu,
				 (unsigned long long)data);
	uint32_t flags = le32(h.flags);
	if ((err = check_cpu_crc(kd, &h, off + cpu, data - cpu)))
		return err;
	uint64_t end;
	if ((err = read_cpu(kd, off + cpu, &end)))
		return err;
	struct kcore_disk_seg seg;
	if ((err = kvm_file_read(kd, &kd->core, off + data, &seg, sizeof(seg))))
		return kvm_error_ctx(kd, "kcore dump: DATA segment");
	uint32_t mm = be32toh(seg.c_midmag);
	if ((mm & 0xffff) != KCORE_MAGIC || (mm >> 26) != KCORESEG_DATA)
		return kvm_error(kd, KVM_ECORRUPT,
				 "kcore dump: no DATA segment at 0x%llx",
				 (unsigned long long)(off + data));
	/*
	 * Written to a pipe, the first header could not know the end; the
	 * trailer, the stream's last block, does.  Without it the dump was
	 * cut short: its chunks are walked.
	 */
	if (flags & KVMDUMP_F_STREAM) {
		struct kvmdump_disk_header t;
		uint64_t last = kd->core.size - KVMDUMP_HDR_SIZE;
		kd->dump.flags = 0;
		kd->dump.data_size = kd->core.size - off - data - sizeof(seg);
		kd->dump.index_offset = kd->dump.index_count = 0;
		if (last > off && read_header(kd, last, &t) == 0 &&
		    (le32(t.flags) & KVMDUMP_F_TRAILER)) {
			kd->dump.flags = le32(t.flags) & (KVMDUMP_F_COMPLETE |
							  KVMDUMP_F_INCOMPLETE);
			kd->dump.data_size = le64(t.data_size);
			kd->dump.index_offset = le64(t.index_offset);
			kd->dump.index_count = le64(t.index_count);
		}
		kvm_error_clear(kd);
	}
	if ((err = check_cpu_header(kd, &h, flags)))
		return err;
	if (!kd->dump.crash_time)
		kd->dump.crash_time = le64(h.crash_time);
	p->data = off + data + sizeof(seg);
	/* A stream without its trailer is cut short, and says so itself. */
	if (!(flags & KVMDUMP_F_STREAM) &&
	    kd->dump.data_size <= UINT64_MAX - p->data)
		kvm_expect_end(kd, p->data + kd->dump.data_size);
	kd->dump.dump_off = off;
	kd->dump.hdr_size = data + sizeof(seg);
	if ((err = load_chunks(kd, p)))
		return err;
	kd->dump.have_header = true;
	return 0;
}

/* A kcore file: kcore_hdr, then the CPU and DATA segments. */
static int
parse_kcore(kvm_t *kd)
{
	struct kvmdump_priv *p = kd->fmt_priv;
	struct kcore_disk_hdr h;
	int err;

	if ((err = kvm_file_read(kd, &kd->core, 0, &h, sizeof(h))))
		return kvm_error_ctx(kd, "kcore: header");
	uint32_t hs = le16toh(h.c_hdrsize);
	if (hs < sizeof(h) || hs > 4096 || le32(h.c_nseg) != 2)
		return kvm_error(kd, KVM_ECORRUPT,
				 "kcore: header size %u, %u segments (we read "
				 "files of 2)",
				 hs, le32(h.c_nseg));
	uint64_t data;
	if ((err = read_cpu(kd, hs, &data)))
		return err;
	struct kcore_disk_seg seg;
	if ((err = kvm_file_read(kd, &kd->core, data, &seg, sizeof(seg))))
		return kvm_error_ctx(kd, "kcore: DATA segment");
	uint32_t mm = be32toh(seg.c_midmag);
	if ((mm & 0xffff) != KCORE_MAGIC || (mm >> 26) != KCORESEG_DATA)
		return kvm_error(kd, KVM_ECORRUPT,
				 "kcore: no DATA segment at 0x%llx",
				 (unsigned long long)data);
	p->data = data + sizeof(seg);
	kd->dump.dump_off = 0;
	kd->dump.hdr_size = p->data;
	if ((err = load_chunks(kd, p)))
		return err;
	kd->dump.have_header = true;
	return 0;
}

static int
kvmdump_open(kvm_t *kd)
{
	struct kvmdump_priv *p = calloc(1, sizeof(*p));
	uint8_t head[16];
	int err;

	if (!p)
		return kvm_error(kd, KVM_ENOMEM, "out of memory");
	kd->fmt_priv = p;
	p->cur = SIZE_MAX;
	if ((err = kvm_file_read(kd, &kd->core, 0, head, sizeof(head))))
		return kvm_error_ctx(kd, "kcore dump");
	uint32_t mm;
	memcpy(&mm, head, 4);
	if ((be32toh(mm) & 0xffff) == KCORE_MAGIC)
		err = parse_kcore(kd);
	else if (memcmp(head, KVMDUMP_MAGIC, 8) == 0)
		err = parse_dump_at(kd, 0);
	else {
		/* A dump device: kvm_dump_mkheader() finds the dump. */
		kd->dump.device = true;
		return 0;
	}
	if (err)
		return err;
	return 0;
}

static int
kvmdump_mkheader(kvm_t *kd, uint64_t off)
{
	struct kvmdump_priv *p = kd->fmt_priv;
	int err = parse_dump_at(kd, off);

	if (err && err != -KVM_ENOENT) {
		/* Leave no half-parsed dump behind. */
		free(p->chunks);
		p->chunks = NULL;
		p->nchunks = 0;
	}
	return err;
}

static int
find_chunk(const struct kvmdump_priv *p, uint64_t pfn, size_t *idx_ret)
{
	size_t lo = 0, hi = p->nchunks;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (p->chunks[mid].pfn <= pfn)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return -1;
	const struct kvmdump_chunk *c = &p->chunks[lo - 1];
	if (pfn >= c->pfn + c->npages)
		return -1;
	*idx_ret = lo - 1;
	return 0;
}

static int
load_entries(kvm_t *kd, struct kvmdump_priv *p, size_t idx)
{
	const struct kvmdump_chunk *c = &p->chunks[idx];
	uint64_t base = p->data + c->off;
	struct kvmdump_disk_chunk h;
	int err;

	if (p->cur == idx)
		return 0;
	p->cur = SIZE_MAX;
	if ((err = kvm_file_read(kd, &kd->core, base, &h, sizeof(h))) ||
	    (err = kvm_file_read(kd, &kd->core, base + sizeof(h), p->ents,
				 4ULL * c->npages)))
		return kvm_error_ctx(kd, "kcore dump: chunk at 0x%llx",
				     (unsigned long long)base);
	if (memcmp(h.magic, KVMDUMP_CHUNK_MAGIC, 8) != 0 ||
	    le64(h.pfn) != c->pfn || le32(h.npages) != c->npages)
		return kvm_error(kd, KVM_ECORRUPT,
				 "kcore dump: chunk at 0x%llx does not match "
				 "the index",
				 (unsigned long long)base);
	uint64_t dl = le64(h.data_len), o = 0;
	for (uint32_t i = 0; i < c->npages; i++) {
		p->ents[i] = le32(p->ents[i]);
		p->offs[i] = o;
		if (KVMDUMP_ENT_KIND(p->ents[i]) == KVMDUMP_KIND_DATA)
			o += KVMDUMP_ENT_LEN(p->ents[i]);
	}
	if (o != dl)
		return kvm_error(kd, KVM_ECORRUPT,
				 "kcore dump: chunk at 0x%llx: pages hold %llu "
				 "bytes, the chunk says %llu",
				 (unsigned long long)base,
				 (unsigned long long)o, (unsigned long long)dl);
	for (uint32_t i = 0; i < c->npages; i++)
		p->offs[i] += base + sizeof(h) + 4ULL * c->npages;
	p->cur = idx;
	return 0;
}

/* One whole page into out (page_size bytes). */
static int
read_page(kvm_t *kd, struct kvmdump_priv *p, uint64_t pfn, uint8_t *out)
{
	const uint32_t ps = kd->page_size;
	size_t idx;
	int err;

	if (find_chunk(p, pfn, &idx) != 0) {
		if (kd->zero_excluded) {
			memset(out, 0, ps);
			return 0;
		}
		if (!(kd->dump.flags & KVMDUMP_F_COMPLETE) && p->nchunks &&
		    pfn >= p->chunks[p->nchunks - 1].pfn)
			return kvm_error(kd, KVM_ENODATA,
					 "page 0x%llx is not in the dump: it is "
					 "incomplete (cut short)",
					 (unsigned long long)pfn * ps);
		return kvm_error(kd, KVM_ENODATA,
				 "page 0x%llx was excluded from the dump "
				 "(dump level %u)",
				 (unsigned long long)pfn * ps, kd->dump.level);
	}
	if ((err = load_entries(kd, p, idx)))
		return err;
	uint32_t i = (uint32_t)(pfn - p->chunks[idx].pfn);
	uint32_t e = p->ents[i];
	switch (KVMDUMP_ENT_KIND(e)) {
	case KVMDUMP_KIND_ZERO:
		memset(out, 0, ps);
		return 0;
	case KVMDUMP_KIND_DATA:
		break;
	default:
		if (kd->zero_excluded) {
			memset(out, 0, ps);
			return 0;
		}
		return kvm_error(kd, KVM_ENODATA,
				 KVMDUMP_ENT_KIND(e) == KVMDUMP_KIND_MISSING
					 ? "page 0x%llx was not in the dump "
					   "this one was made from"
					 : "page 0x%llx was excluded from the "
					   "dump (dump level %u)",
				 (unsigned long long)pfn * ps, kd->dump.level);
	}
	uint32_t len = KVMDUMP_ENT_LEN(e), m = KVMDUMP_ENT_METHOD(e);
	if (m == KVM_COMPRESS_NONE) {
		if (len != ps)
			return kvm_error(kd, KVM_ECORRUPT,
					 "kcore dump: page 0x%llx stored raw in "
					 "%u bytes",
					 (unsigned long long)pfn * ps, len);
		return kvm_file_read(kd, &kd->core, p->offs[i], out, ps);
	}
	if (len > ps)
		return kvm_error(kd, KVM_ECORRUPT,
				 "kcore dump: page 0x%llx compressed to %u bytes",
				 (unsigned long long)pfn * ps, len);
	if ((err = kvm_file_read(kd, &kd->core, p->offs[i], p->scratch, len)))
		return kvm_error_ctx(kd, "kcore dump: page 0x%llx",
				     (unsigned long long)pfn * ps);
	size_t got = 0;
	err = kvm_decompress((int)m, p->scratch, len, out, ps, &got);
	if (err || got != ps)
		return kvm_error(kd, KVM_ECORRUPT,
				 "kcore dump: page 0x%llx does not decompress "
				 "(method %u)",
				 (unsigned long long)pfn * ps, m);
	return 0;
}

static int
kvmdump_read(kvm_t *kd, uint64_t pa, void *buf, size_t len, size_t *done_ret)
{
	struct kvmdump_priv *p = kd->fmt_priv;
	uint8_t *out = buf;
	size_t done = 0;
	int err = 0;

	*done_ret = 0;
	if (!kd->dump.have_header)
		return kvm_error(kd, KVM_ENODATA,
				 "%s: a dump device: kvm_dump_mkheader() (or "
				 "kcore savecore) reads the dump on it",
				 kd->corepath);
	const uint32_t ps = kd->page_size;
	if (!p->scratch) {
		p->scratch = malloc(ps);
		p->page = malloc(ps);
		if (!p->scratch || !p->page)
			return kvm_error(kd, KVM_ENOMEM, "out of memory");
		/* A page cache as big as the dump needs, at most the budget. */
		uint64_t pages = 0;
		for (size_t i = 0; i < p->nchunks; i++)
			pages += p->chunks[i].npages;
		p->cache = kvm_cache_create(ps, kd->cache_bytes,
					    pages ? pages : 1);
	}
	while (done < len) {
		uint64_t pfn = (pa + done) / ps, in = (pa + done) % ps;
		size_t n = KVM_MIN((uint64_t)(len - done), ps - in);
		const uint8_t *pg = p->cache ? kvm_cache_get(p->cache, pfn)
					     : NULL;
		if (!pg) {
			/* Decoded straight into a cache slot, else a buffer. */
			uint8_t *dst = p->cache ? kvm_cache_reserve(p->cache)
						: p->page;
			if ((err = read_page(kd, p, pfn, dst)))
				break;
			if (p->cache)
				kvm_cache_commit(p->cache, pfn);
			pg = dst;
		}
		memcpy(out + done, pg + in, n);
		done += n;
	}
	*done_ret = done;
	return err;
}

static void
kvmdump_cache_resize(kvm_t *kd)
{
	struct kvmdump_priv *p = kd->fmt_priv;

	if (p && p->cache) {
		kvm_cache_destroy(p->cache);
		p->cache = NULL;
		free(p->scratch);
		p->scratch = NULL;
		free(p->page);
		p->page = NULL;
	}
}

static void
kvmdump_close(kvm_t *kd)
{
	struct kvmdump_priv *p = kd->fmt_priv;

	if (!p)
		return;
	kvm_cache_destroy(p->cache);
	free(p->chunks);
	free(p->scratch);
	free(p->page);
	free(p);
	kd->fmt_priv = NULL;
}

const struct kvm_format_ops kvm_format_kvmdump = {
	.name = "kcore",
	.probe = kvmdump_probe,
	.open = kvmdump_open,
	.read_phys = kvmdump_read,
	.mkheader = kvmdump_mkheader,
	.cache_resize = kvmdump_cache_resize,
	.close = kvmdump_close,
};
