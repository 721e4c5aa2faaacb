// SPDX-License-Identifier: BSD-2-Clause
/*
 * Physical memory map of formats that store plain ranges (ELF PT_LOADs,
 * LiME ranges): a sorted array searched by bisection, with the last hit
 * remembered because reads come in runs.
 */
#include <stdlib.h>
#include <string.h>

#include "kvm_private.h"

/* Far more than any real dump has; bounds memory for hostile headers. */
#define KVM_MEMMAP_MAX_SEGS (1u << 20)

int
kvm_memmap_add(kvm_t *kd, struct kvm_memmap *m, uint64_t pa, uint64_t memsz,
	       uint64_t offset, uint64_t filesz)
{
	uint64_t end;

	if (memsz == 0)
		return 0;
	if (kvm_add_overflow(pa, memsz - 1, &end) ||
	    kvm_add_overflow(offset, KVM_MIN(filesz, memsz), &end))
		return kvm_error(kd, KVM_ECORRUPT,
				 "segment at 0x%llx of 0x%llx bytes wraps "
				 "around the address space or the file",
				 (unsigned long long)pa,
				 (unsigned long long)memsz);
	if (m->nsegs >= KVM_MEMMAP_MAX_SEGS)
		return kvm_error(kd, KVM_ECORRUPT, "more than %u segments",
				 KVM_MEMMAP_MAX_SEGS);
	/* Grow by doubling: nsegs is bounded above. */
	if ((m->nsegs & (m->nsegs - 1)) == 0) {
		size_t cap = m->nsegs ? m->nsegs * 2 : 16;
		struct kvm_memseg *n = realloc(m->segs, cap * sizeof(*n));
		if (!n)
			return kvm_error(kd, KVM_ENOMEM,
					 "out of memory for %zu segments", cap);
		m->segs = n;
	}
	m->segs[m->nsegs++] = (struct kvm_memseg){
		.pa = pa,
		.memsz = memsz,
		.offset = offset,
		.filesz = KVM_MIN(filesz, memsz),
	};
	return 0;
}

static int
seg_cmp(const void *a, const void *b)
{
	const struct kvm_memseg *x = a, *y = b;

	return x->pa < y->pa ? -1 : x->pa > y->pa;
}

/* Sort, then drop what an earlier (lower-starting) segment covers. */
static size_t
trim_overlaps(struct kvm_memseg *v, size_t n)
{
	qsort(v, n, sizeof(*v), seg_cmp);
	size_t out = 0;
	for (size_t i = 0; i < n; i++) {
		struct kvm_memseg s = v[i];
		if (out > 0) {
			/* Inclusive ends: add() ruled out wrap-around. */
			const struct kvm_memseg *prev = &v[out - 1];
			uint64_t plast = prev->pa + prev->memsz - 1;
			uint64_t slast = s.pa + s.memsz - 1;
			if (slast <= plast)
				continue; /* wholly covered */
			if (s.pa <= plast) {
				uint64_t cut = plast - s.pa + 1;
				s.pa += cut;
				s.memsz -= cut;
				s.offset += cut;
				s.filesz = s.filesz > cut ? s.filesz - cut : 0;
			}
		}
		v[out++] = s;
	}
	return out;
}

/*
 * Segments whose file bytes overlap: a kdump ELF's kernel-text PT_LOAD
 * lies inside a RAM one, holding the same bytes, which is fine.  Where
 * they differ (up to OVERLAP_CMP of them compared), which bytes a read
 * gives is a choice the user should know of: a warning says so.
 */
#define OVERLAP_CMP (64u << 10)

static void
report_overlaps(kvm_t *kd, struct kvm_memseg *v, size_t n)
{
	qsort(v, n, sizeof(*v), seg_cmp);
	for (size_t i = 0; i + 1 < n; i++) {
		const struct kvm_memseg *a = &v[i], *b = &v[i + 1];
		uint64_t alast = a->pa + a->memsz - 1;
		if (b->pa > alast)
			continue;
		uint64_t len = KVM_MIN(alast - b->pa + 1, b->memsz);
		len = KVM_MIN(len, (uint64_t)OVERLAP_CMP);
		uint64_t aoff = a->offset + (b->pa - a->pa);
		const uint8_t *pa = kvm_file_ptr(&kd->core, aoff, len);
		const uint8_t *pb = kvm_file_ptr(&kd->core, b->offset, len);
		if (pa && pb && memcmp(pa, pb, len) == 0)
			continue;
		kvm_warn(kd,
			 "segments overlap at 0x%llx-0x%llx with different "
			 "bytes (the lower one is read)",
			 (unsigned long long)b->pa,
			 (unsigned long long)KVM_MIN(alast,
						     b->pa + b->memsz - 1));
		return;
	}
}

uint64_t
kvm_memmap_file_end(const struct kvm_memmap *m)
{
	uint64_t end = 0;

	for (size_t i = 0; i < m->nsegs; i++) {
		const struct kvm_memseg *s = &m->segs[i];
		if (s->filesz && s->offset + s->filesz > end)
			end = s->offset + s->filesz;
	}
	return end;
}

int
kvm_memmap_finish(kvm_t *kd, struct kvm_memmap *m)
{
	size_t n = m->nsegs;

	if (n == 0)
		return 0;
	/*
	 * Where segments overlap, bytes the file holds win over zero fill
	 * (p_memsz beyond p_filesz): a PT_LOAD whose p_memsz is broken must
	 * not hide the segments after it.  Among file bytes the segment
	 * that starts lower keeps the overlap (a kdump ELF has a kernel-text
	 * PT_LOAD inside a RAM one, both holding the same bytes), and so
	 * among zero fills.  So: file parts and zero parts apart, each
	 * trimmed; then the zero parts fill only the gaps between the file
	 * parts (at most one piece more per file part).
	 */
	struct kvm_memseg *file = malloc(n * sizeof(*file));
	struct kvm_memseg *zero = malloc(n * sizeof(*zero));
	struct kvm_memseg *out = calloc(3 * n, sizeof(*out));
	if (!file || !zero || !out) {
		free(file);
		free(zero);
		free(out);
		return kvm_error(kd, KVM_ENOMEM,
				 "out of memory for %zu segments", n);
	}
	size_t nf = 0, nz = 0;
	for (size_t i = 0; i < n; i++) {
		const struct kvm_memseg *s = &m->segs[i];
		if (s->filesz)
			file[nf++] = (struct kvm_memseg){ s->pa, s->filesz,
							  s->offset,
							  s->filesz };
		if (s->memsz > s->filesz)
			zero[nz++] = (struct kvm_memseg){ s->pa + s->filesz,
							  s->memsz - s->filesz,
							  s->offset + s->filesz,
							  0 };
	}
	report_overlaps(kd, file, nf);
	nf = trim_overlaps(file, nf);
	nz = trim_overlaps(zero, nz);
	size_t no = nf, j = 0;
	memcpy(out, file, nf * sizeof(*out));
	for (size_t i = 0; i < nz; i++) {
		/* Inclusive ends throughout: a part may end at 2^64 - 1. */
		uint64_t zpa = zero[i].pa, zlast = zpa + zero[i].memsz - 1;
		bool left = true;
		while (j < nf && file[j].pa + file[j].memsz - 1 < zpa)
			j++;
		for (size_t k = j; left && k < nf && file[k].pa <= zlast; k++) {
			uint64_t flast = file[k].pa + file[k].memsz - 1;
			if (file[k].pa > zpa)
				out[no++] = (struct kvm_memseg){
					zpa, file[k].pa - zpa, 0, 0
				};
			if (flast >= zlast)
				left = false;
			else
				zpa = KVM_MAX(zpa, flast + 1);
		}
		if (left)
			out[no++] = (struct kvm_memseg){ zpa, zlast - zpa + 1,
							 0, 0 };
	}
	qsort(out, no, sizeof(*out), seg_cmp);
	/* Zeros join the piece they follow: a segment is bytes then zeros. */
	size_t w = 0;
	for (size_t i = 0; i < no; i++) {
		struct kvm_memseg *p = w ? &out[w - 1] : NULL;
		if (p && out[i].filesz == 0 && p->pa + p->memsz == out[i].pa) {
			p->memsz += out[i].memsz;
			continue;
		}
		out[w++] = out[i];
	}
	no = w;
	free(file);
	free(zero);
	free(m->segs);
	m->segs = out;
	m->nsegs = no;
	m->last = 0;
	return 0;
}

void
kvm_memmap_deinit(struct kvm_memmap *m)
{
	free(m->segs);
	memset(m, 0, sizeof(*m));
}

/* Index of the first segment starting above pa (segments are sorted). */
static size_t
memmap_upper(const struct kvm_memmap *m, uint64_t pa)
{
	size_t lo = 0, hi = m->nsegs;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (m->segs[mid].pa <= pa)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The segment holding pa, or NULL; *upper_ret: memmap_upper(m, pa). */
static const struct kvm_memseg *
memmap_lookup(struct kvm_memmap *m, uint64_t pa, size_t *upper_ret)
{
	size_t i = memmap_upper(m, pa);

	*upper_ret = i;
	if (i == 0 || pa - m->segs[i - 1].pa >= m->segs[i - 1].memsz)
		return NULL;
	m->last = i - 1;
	return &m->segs[i - 1];
}

/* The segment holding pa, or NULL. */
static const struct kvm_memseg *
memmap_find(struct kvm_memmap *m, uint64_t pa)
{
	size_t upper;

	if (m->last < m->nsegs) {
		const struct kvm_memseg *s = &m->segs[m->last];
		if (pa >= s->pa && pa - s->pa < s->memsz)
			return s;
	}
	return memmap_lookup(m, pa, &upper);
}

int
kvm_memmap_read(kvm_t *kd, struct kvm_memmap *m, const struct kvm_file *f,
		uint64_t pa, void *buf, size_t len, size_t *done_ret)
{
	uint8_t *out = buf;
	size_t done = 0;
	int err = 0;

	while (done < len) {
		/* pa wrapped: the segment ended at the top of the space. */
		if (done > 0 && pa == 0) {
			err = kvm_error(kd, KVM_EFAULT,
					"read runs past the top of the physical "
					"address space");
			break;
		}
		const struct kvm_memseg *s = memmap_find(m, pa);
		if (!s) {
			err = kvm_error(kd, KVM_ENODATA,
					"physical address 0x%llx is not in the "
					"dump",
					(unsigned long long)pa);
			break;
		}
		uint64_t rel = pa - s->pa;
		size_t n = KVM_MIN((uint64_t)(len - done), s->memsz - rel);
		if (rel < s->filesz) {
			size_t inf = KVM_MIN((uint64_t)n, s->filesz - rel);
			uint64_t off = s->offset + rel;
			/* A dump cut short: hand out the bytes before the cut. */
			if (off < f->size && f->size - off < inf) {
				size_t part = f->size - off;
				err = kvm_file_read(kd, f, off, out + done,
						    part);
				if (!err)
					done += part;
				if (!err)
					err = kvm_error(
						kd, KVM_ETRUNC,
						"physical address 0x%llx "
						"lies past the end of the "
						"file (%llu bytes): the "
						"dump is truncated",
						(unsigned long long)(pa + part),
						(unsigned long long)f->size);
				break;
			}
			err = kvm_file_read(kd, f, off, out + done, inf);
			if (err) {
				kvm_error_ctx(kd, "physical address 0x%llx",
					      (unsigned long long)pa);
				break;
			}
			n = inf;
		} else {
			/* Between p_filesz and p_memsz: zeros by definition. */
			memset(out + done, 0, n);
		}
		done += n;
		pa += n;
	}
	*done_ret = done;
	return err;
}

const void *
kvm_memmap_ptr(struct kvm_memmap *m, const struct kvm_file *f, uint64_t pa,
	       size_t len)
{
	const struct kvm_memseg *s = memmap_find(m, pa);

	if (!s)
		return NULL;
	uint64_t rel = pa - s->pa;
	if (rel >= s->filesz || len > s->filesz - rel)
		return NULL;
	return kvm_file_ptr(f, s->offset + rel, len);
}

/*
 * Whether the file holds the bytes at pa: inside a segment's p_filesz.
 * Past it (zeros by definition) or between segments it does not; *len_ret
 * runs to the next change.
 */
static bool
memmap_held(struct kvm_memmap *m, const struct kvm_file *f, uint64_t pa,
	    uint64_t *len_ret)
{
	size_t upper;
	const struct kvm_memseg *s = memmap_lookup(m, pa, &upper);

	if (s) {
		uint64_t rel = pa - s->pa;
		if (rel < s->filesz && s->offset + rel < f->size) {
			*len_ret = KVM_MIN(s->filesz - rel,
					   f->size - (s->offset + rel));
			return true;
		}
		*len_ret = s->memsz - rel;
		return false;
	}
	*len_ret = upper < m->nsegs ? m->segs[upper].pa - pa
				    : (pa ? 0 - pa : UINT64_MAX);
	return false;
}

int
kvm_memmap_write(kvm_t *kd, struct kvm_memmap *m, struct kvm_file *f,
		 uint64_t pa, const void *buf, size_t len, size_t *done_ret)
{
	const uint8_t *in = buf;
	size_t done = 0;
	int err = 0;

	while (done < len) {
		if (done > 0 && pa == 0) {
			err = kvm_error(kd, KVM_EFAULT,
					"write runs past the top of the "
					"physical address space");
			break;
		}
		const struct kvm_memseg *s = memmap_find(m, pa);
		uint64_t rel = s ? pa - s->pa : 0;
		if (!s || rel >= s->filesz) {
			err = kvm_error(kd, KVM_ENODATA,
					"physical address 0x%llx has no bytes "
					"in the dump file to write",
					(unsigned long long)pa);
			break;
		}
		size_t n = KVM_MIN((uint64_t)(len - done), s->filesz - rel);
		err = kvm_file_write(kd, f, s->offset + rel, in + done, n);
		if (err)
			break;
		done += n;
		pa += n;
	}
	*done_ret = done;
	return err;
}

/*
 * Format ops shared by the formats whose state (kd->fmt_priv) starts with
 * their struct kvm_memmap: ELF, LiME, raw.
 */
int
kvm_memmap_fmt_read(kvm_t *kd, uint64_t pa, void *buf, size_t len,
		    size_t *done_ret)
{
	return kvm_memmap_read(kd, kd->fmt_priv, &kd->core, pa, buf, len,
			       done_ret);
}

bool
kvm_memmap_fmt_held(kvm_t *kd, uint64_t pa, uint64_t *len_ret)
{
	return memmap_held(kd->fmt_priv, &kd->core, pa, len_ret);
}

int
kvm_memmap_fmt_write(kvm_t *kd, uint64_t pa, const void *buf, size_t len,
		     size_t *done_ret)
{
	return kvm_memmap_write(kd, kd->fmt_priv, &kd->core, pa, buf, len,
				done_ret);
}

const void *
kvm_memmap_fmt_ptr(kvm_t *kd, uint64_t pa, size_t len)
{
	return kvm_memmap_ptr(kd->fmt_priv, &kd->core, pa, len);
}

/* close for formats whose whole state is the struct kvm_memmap. */
void
kvm_memmap_fmt_close(kvm_t *kd)
{
	if (!kd->fmt_priv)
		return;
	kvm_memmap_deinit(kd->fmt_priv);
	free(kd->fmt_priv);
	kd->fmt_priv = NULL;
}
