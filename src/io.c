// SPDX-License-Identifier: BSD-2-Clause
/*
 * File access for targets.  A regular file is mapped whole, so that the
 * read path is a bounds check and a memcpy; anything else (block devices,
 * /proc/vmcore, pipes are refused earlier) is read with pread.
 *
 * A makedumpfile flattened file (makedumpfile -F, QEMU's kdump output;
 * see format/flattened.c) is read in place through a record index: the
 * formats then see the logical file that "makedumpfile -R" would write,
 * without it ever being written.
 */
#include <errno.h>
#include <libelf.h>
#include <pthread.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kvm_private.h"

/*
 * A mapped file that someone truncates while it is open faults (SIGBUS)
 * on the pages past its new end.  Each mapping is registered here; the
 * handler maps a page of zeros over the faulting page, marks the file
 * shrunk and lets the read go on, and the read (and every read after it)
 * then fails with an error saying so.  A SIGBUS anywhere else goes to the
 * handler that was there before ours.  Mappings beyond KVM_MAP_GUARDS at
 * once are not made: those files are read with pread.
 */
#define KVM_MAP_GUARDS 256

static struct map_guard {
	_Atomic uintptr_t start, end; /* 0, 0: free */
	atomic_int shrunk;
} guards[KVM_MAP_GUARDS];
static pthread_mutex_t guard_lock = PTHREAD_MUTEX_INITIALIZER;
static struct sigaction guard_old;
static bool guard_installed;
static uintptr_t guard_page;

static void
guard_sigbus(int sig, siginfo_t *si, void *ctx)
{
	uintptr_t a = (uintptr_t)si->si_addr;

	for (size_t i = 0; i < KVM_MAP_GUARDS; i++) {
		uintptr_t s = atomic_load(&guards[i].start);
		uintptr_t e = atomic_load(&guards[i].end);
		if (!s || a < s || a >= e)
			continue;
		void *p = (void *)(a & ~(guard_page - 1));
		if (mmap(p, guard_page, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1,
			 0) == MAP_FAILED)
			break;
		atomic_store(&guards[i].shrunk, 1);
		return; /* the access is retried, and reads zeros */
	}
	/* Not ours. */
	if ((guard_old.sa_flags & SA_SIGINFO) && guard_old.sa_sigaction) {
		guard_old.sa_sigaction(sig, si, ctx);
		return;
	}
	if (guard_old.sa_handler != SIG_DFL &&
	    guard_old.sa_handler != SIG_IGN) {
		guard_old.sa_handler(sig);
		return;
	}
	/* The default action: the faulting access, retried, ends us. */
	signal(SIGBUS, SIG_DFL);
}

/* 1 + a slot for [start, start + len), or 0 when there is none. */
static int
guard_add(const void *start, size_t len)
{
	int slot = 0;

	pthread_mutex_lock(&guard_lock);
	if (!guard_installed) {
		struct sigaction sa;
		memset(&sa, 0, sizeof(sa));
		sa.sa_sigaction = guard_sigbus;
		sa.sa_flags = SA_SIGINFO | SA_NODEFER | SA_RESTART;
		sigemptyset(&sa.sa_mask);
		guard_page = (uintptr_t)sysconf(_SC_PAGESIZE);
		if (sigaction(SIGBUS, &sa, &guard_old) == 0)
			guard_installed = true;
	}
	for (int i = 0; guard_installed && i < KVM_MAP_GUARDS; i++)
		if (!atomic_load(&guards[i].start)) {
			atomic_store(&guards[i].shrunk, 0);
			atomic_store(&guards[i].end, (uintptr_t)start + len);
			atomic_store(&guards[i].start, (uintptr_t)start);
			slot = i + 1;
			break;
		}
	pthread_mutex_unlock(&guard_lock);
	return slot;
}

static void
guard_remove(int slot)
{
	if (slot <= 0)
		return;
	pthread_mutex_lock(&guard_lock);
	atomic_store(&guards[slot - 1].start, 0);
	atomic_store(&guards[slot - 1].end, 0);
	pthread_mutex_unlock(&guard_lock);
}

const char kvm_shrunk_msg[] =
	"the dump file was truncated while open (it is shorter than when "
	"it was opened): reopen it";

bool
kvm_file_shrunk(const struct kvm_file *f)
{
	return f->guard > 0 && atomic_load(&guards[f->guard - 1].shrunk);
}

void
kvm_file_drop_pages(const struct kvm_file *f)
{
	/*
	 * Nothing is written through the mapping (pwrite is), so nothing is
	 * lost; pages the SIGBUS guard replaced read as zeros again.
	 */
	if (f->map)
		madvise((void *)f->map, f->map_len, MADV_DONTNEED);
}

/*
 * Sparse dumps (QEMU's on some filesystems, anything copied with cp
 * --sparse) are mostly holes: large reads fill holes with memset instead of
 * faulting in zero pages and copying them.  The extents come from
 * SEEK_DATA/SEEK_HOLE once at open; a file with more extents than this is
 * read as if dense.
 */
#define KVM_MAX_EXTENTS 65536
/* Reads below this size copy as they are: one zero page is cheap. */
#define KVM_HOLE_MIN_READ (64u << 10)

static void
file_map_holes(struct kvm_file *f)
{
	struct kvm_extent *ext = NULL;
	size_t n = 0, cap = 0;
	off_t pos = 0;

	while ((uint64_t)pos < f->size) {
		off_t d = lseek(f->fd, pos, SEEK_DATA);
		if (d < 0)
			break; /* ENXIO: only a hole is left; else: no support */
		off_t h = lseek(f->fd, d, SEEK_HOLE);
		if (h < 0 || h <= d)
			goto dense;
		if (n == cap) {
			if (cap == KVM_MAX_EXTENTS)
				goto dense;
			cap = cap ? cap * 2 : 64;
			struct kvm_extent *e = realloc(ext, cap * sizeof(*e));
			if (!e)
				goto dense;
			ext = e;
		}
		ext[n++] = (struct kvm_extent){ (uint64_t)d, (uint64_t)h };
		pos = h;
	}
	/* One extent covering the file: no holes worth the bother. */
	if (n == 1 && ext[0].start == 0 && ext[0].end >= f->size)
		goto dense;
	if (n == 0 && errno != ENXIO)
		goto dense;
	f->data = ext;
	f->ndata = n;
	lseek(f->fd, 0, SEEK_SET);
	return;
dense:
	free(ext);
	lseek(f->fd, 0, SEEK_SET);
}

int
kvm_file_open(kvm_t *kd, struct kvm_file *f, const char *path, int oflags)
{
	struct stat st;

	memset(f, 0, sizeof(*f));
	f->fd = open(path, oflags | O_CLOEXEC);
	if (f->fd < 0)
		return kvm_error_sys(kd, "%s", path);
	if (fstat(f->fd, &st) < 0) {
		int err = kvm_error_sys(kd, "fstat %s", path);
		kvm_file_close(f);
		return err;
	}
	if (S_ISDIR(st.st_mode)) {
		kvm_file_close(f);
		errno = EISDIR;
		return kvm_error_sys(kd, "%s", path);
	}
	f->writable = (oflags & O_ACCMODE) != O_RDONLY;
	f->regular = S_ISREG(st.st_mode);
	if (f->regular) {
		f->size = st.st_size;
	} else if (S_ISBLK(st.st_mode)) {
		off_t end = lseek(f->fd, 0, SEEK_END);
		f->size = end > 0 ? (uint64_t)end : 0;
	} else {
		/* Character devices and the like: size unknown, read on. */
		f->size = UINT64_MAX;
	}
	if (f->regular && f->size > 0 && f->size <= SIZE_MAX) {
		int prot = PROT_READ | (f->writable ? PROT_WRITE : 0);
		void *m = mmap(NULL, f->size, prot, MAP_SHARED, f->fd, 0);
		if (m != MAP_FAILED &&
		    (f->guard = guard_add(m, f->size)) == 0) {
			munmap(m, f->size);
			m = MAP_FAILED;
		}
		if (m != MAP_FAILED) {
			f->map = m;
			f->map_len = f->size;
			/* Dumps are read at random. */
			madvise(m, f->map_len, MADV_RANDOM);
		}
	}
	if (f->regular && f->map && !f->writable)
		file_map_holes(f);
	return 0;
}

/*
 * The logical file of a flattened dump: disjoint extents sorted by their
 * logical offset.  Bytes between extents read as zeros (the holes that
 * "makedumpfile -R" leaves by seeking past them).
 *
 *   logical   0      0x1d0       0x1000  0x1068          0x23b0
 *             [ ext 0 )   zeros   [ ext 1 )[ ext 2        ) ...
 *   in file   0x1010..0x11e0      0x11f0   0x1268
 */
struct kvm_flat {
	struct kvm_flat_rec *ext; /* sorted by lofs, disjoint, len > 0 */
	size_t n;
	size_t last; /* extent hit last: reads come in runs */
};

void
kvm_file_close(struct kvm_file *f)
{
	free(f->data);
	if (f->flat) {
		free(f->flat->ext);
		free(f->flat);
	}
	guard_remove(f->guard);
	if (f->map)
		munmap((void *)f->map, f->map_len);
	if (f->fd >= 0)
		close(f->fd);
	memset(f, 0, sizeof(*f));
	f->fd = -1;
}

/* Index of the last extent starting at or before off; SIZE_MAX if none. */
static size_t
flat_find(struct kvm_flat *fl, uint64_t off)
{
	size_t i = fl->last;

	/* The extent hit last, or the one after it: sequential reads. */
	for (size_t k = 0; k < 2 && i < fl->n; k++, i++)
		if (fl->ext[i].lofs <= off &&
		    (i + 1 == fl->n || off < fl->ext[i + 1].lofs)) {
			fl->last = i;
			return i;
		}
	size_t lo = 0, hi = fl->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (fl->ext[mid].lofs <= off)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return SIZE_MAX;
	fl->last = lo - 1;
	return lo - 1;
}

void
kvm_file_forget(const struct kvm_file *f)
{
	/*
	 * A read-only shared mapping: the pages leave our resident set and
	 * stay in the page cache, so touching them again costs a minor
	 * fault.  Writable mappings keep theirs (nothing to gain).
	 */
	if (f->map && !f->writable)
		madvise((void *)f->map, f->map_len, MADV_DONTNEED);
}

void
kvm_file_forget_ptr(const struct kvm_file *f, const void *p, size_t len)
{
	uintptr_t base = (uintptr_t)f->map, a = (uintptr_t)p;
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);

	if (!f->map || f->writable || a < base || len == 0 ||
	    a - base >= f->map_len)
		return;
	len = KVM_MIN(len, f->map_len - (a - base));
	/* Whole pages only: a page shared with bytes still in use stays. */
	uintptr_t s = (a + page - 1) & ~(page - 1);
	uintptr_t e = (a + len) & ~(page - 1);
	if (e > s)
		madvise((void *)s, e - s, MADV_DONTNEED);
}

const void *
kvm_file_ptr(const struct kvm_file *f, uint64_t off, size_t len)
{
	if (!f->map)
		return NULL;
	if (f->flat) {
		size_t i = flat_find(f->flat, off);
		if (i == SIZE_MAX)
			return NULL;
		const struct kvm_flat_rec *e = &f->flat->ext[i];
		uint64_t rel = off - e->lofs;
		/* Only a range inside one extent is contiguous in the file. */
		if (rel >= e->len || len > e->len - rel)
			return NULL;
		off = e->fofs + rel;
	}
	if (!kvm_range_ok(off, len, f->map_len))
		return NULL;
	return f->map + off;
}

/* Read exactly len bytes at offset off of the file itself. */
/* memcpy from the mapping, memset where the file has holes. */
static void
copy_sparse(const struct kvm_file *f, uint64_t off, uint8_t *out, size_t len)
{
	/* First extent ending after off. */
	size_t lo = 0, hi = f->ndata;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (f->data[mid].end <= off)
			lo = mid + 1;
		else
			hi = mid;
	}
	uint64_t end = off + len;
	for (size_t i = lo; off < end; i++) {
		uint64_t ds = i < f->ndata ? KVM_MAX(f->data[i].start, off)
					   : end;
		if (ds > end)
			ds = end;
		if (ds > off) { /* a hole before the extent */
			memset(out, 0, ds - off);
			out += ds - off;
			off = ds;
		}
		if (i >= f->ndata || off >= end)
			break;
		uint64_t de = KVM_MIN(f->data[i].end, end);
		memcpy(out, f->map + off, de - off);
		out += de - off;
		off = de;
	}
}

static int
file_read_raw(kvm_t *kd, const struct kvm_file *f, uint64_t off, void *buf,
	      size_t len)
{
	if (f->map && kvm_range_ok(off, len, f->map_len)) {
		if (f->data && len >= KVM_HOLE_MIN_READ) {
			copy_sparse(f, off, buf, len);
			return 0;
		}
		memcpy(buf, f->map + off, len);
		return 0;
	}
	uint8_t *out = buf;
	while (len > 0) {
		if (off > INT64_MAX)
			return kvm_error(kd, KVM_EINVAL,
					 "file offset 0x%llx too large",
					 (unsigned long long)off);
		ssize_t n = pread(f->fd, out, len, (off_t)off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return kvm_error_sys(kd, "read at file offset 0x%llx",
					     (unsigned long long)off);
		}
		if (n == 0)
			return kvm_error(kd, KVM_ETRUNC,
					 "file ends at offset 0x%llx",
					 (unsigned long long)off);
		out += n;
		off += n;
		len -= n;
	}
	return 0;
}

/*
 * Read the logical file of a flattened dump: extent by extent, and zeros
 * in the holes between them (what "makedumpfile -R" leaves there).
 */
static int
flat_read(kvm_t *kd, const struct kvm_file *f, uint64_t off, void *buf,
	  size_t len)
{
	struct kvm_flat *fl = f->flat;
	uint8_t *out = buf;

	while (len > 0) {
		size_t i = flat_find(fl, off);
		size_t n;
		if (i != SIZE_MAX && off - fl->ext[i].lofs < fl->ext[i].len) {
			const struct kvm_flat_rec *e = &fl->ext[i];
			uint64_t rel = off - e->lofs;
			n = KVM_MIN((uint64_t)len, e->len - rel);
			int err = file_read_raw(kd, f, e->fofs + rel, out, n);
			if (err)
				return kvm_error_ctx(kd,
						     "flattened offset "
						     "0x%llx",
						     (unsigned long long)off);
		} else {
			/* A hole up to the next extent (or the end). */
			size_t next = i == SIZE_MAX ? 0 : i + 1;
			uint64_t gap = next < fl->n ? fl->ext[next].lofs - off
						    : UINT64_MAX;
			n = KVM_MIN((uint64_t)len, gap);
			memset(out, 0, n);
		}
		out += n;
		off += n;
		len -= n;
	}
	return 0;
}

int
kvm_file_read(kvm_t *kd, const struct kvm_file *f, uint64_t off, void *buf,
	      size_t len)
{
	if (!kvm_range_ok(off, len, f->size))
		return kvm_error(kd, KVM_ETRUNC,
				 "read of %zu bytes at file offset 0x%llx is "
				 "past the end of the file (%llu bytes)",
				 len, (unsigned long long)off,
				 (unsigned long long)f->size);
	int err = f->flat ? flat_read(kd, f, off, buf, len)
			  : file_read_raw(kd, f, off, buf, len);
	if (!err && kvm_file_shrunk(f))
		return kvm_error(kd, KVM_ETRUNC, "%s", kvm_shrunk_msg);
	return err;
}

uint64_t
kvm_file_hole_bytes(const struct kvm_file *f, uint64_t off, uint64_t len)
{
	if (off >= f->size)
		return 0;
	len = KVM_MIN(len, f->size - off);
	if (!f->flat || len == 0)
		return 0;
	struct kvm_flat *fl = f->flat;
	uint64_t end = off + len, held = 0;
	size_t i = flat_find(fl, off);
	for (i = i == SIZE_MAX ? 0 : i; i < fl->n && fl->ext[i].lofs < end;
	     i++) {
		uint64_t s = KVM_MAX(fl->ext[i].lofs, off);
		uint64_t e = KVM_MIN(fl->ext[i].lofs + fl->ext[i].len, end);
		if (e > s)
			held += e - s;
	}
	return len - held;
}

int
kvm_file_write(kvm_t *kd, struct kvm_file *f, uint64_t off, const void *buf,
	       size_t len)
{
	const uint8_t *in = buf;

	if (!f->writable)
		return kvm_error(kd, KVM_EINVAL, "file not opened for writing");
	if (f->flat)
		return kvm_error(kd, KVM_ENOTSUP,
				 "writing into a flattened dump is not "
				 "supported (rearrange it with makedumpfile "
				 "-R first)");
	if (!kvm_range_ok(off, len, f->size))
		return kvm_error(kd, KVM_ETRUNC,
				 "write past the end of the file");
	/* pwrite rather than the mapping: errors are reported, not SIGBUS. */
	while (len > 0) {
		ssize_t n = pwrite(f->fd, in, len, (off_t)off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return kvm_error_sys(kd, "write at file offset 0x%llx",
					     (unsigned long long)off);
		}
		in += n;
		off += n;
		len -= n;
	}
	return 0;
}

/* ------------------------------------------------------- flattened map */

/* Append an extent, merging it with the previous one when contiguous. */
static void
flat_append(struct kvm_flat *fl, uint64_t lofs, uint64_t len, uint64_t fofs)
{
	if (fl->n > 0) {
		struct kvm_flat_rec *p = &fl->ext[fl->n - 1];
		if (p->lofs + p->len == lofs && p->fofs + p->len == fofs) {
			p->len += len;
			return;
		}
	}
	fl->ext[fl->n++] =
		(struct kvm_flat_rec){ .lofs = lofs, .fofs = fofs, .len = len };
}

/* A record boundary for the sweep in flat_resolve(). */
struct flat_event {
	uint64_t pos;
	size_t rec; /* index in stream order */
	bool start;
};

static int
event_cmp(const void *a, const void *b)
{
	const struct flat_event *x = a, *y = b;

	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/* Max-heap of record indices: the latest record covering the sweep. */
static void
heap_push(size_t *h, size_t *n, size_t v)
{
	size_t i = (*n)++;

	while (i > 0 && h[(i - 1) / 2] < v) {
		h[i] = h[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	h[i] = v;
}

static void
heap_pop(size_t *h, size_t *n)
{
	size_t v = h[--*n], i = 0;

	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= *n)
			break;
		if (c + 1 < *n && h[c + 1] > h[c])
			c++;
		if (h[c] <= v)
			break;
		h[i] = h[c];
		i = c;
	}
	if (*n > 0)
		h[i] = v;
}

/*
 * Overlapping records: sweep over the sorted record boundaries keeping
 * the records that cover the current position in a heap; each piece
 * between two boundaries belongs to the latest of them.  O(n log n).
 * fl->ext has room for 2n extents (each boundary starts at most one).
 */
static int
flat_resolve(kvm_t *kd, struct kvm_flat *fl, const struct kvm_flat_rec *recs,
	     size_t n)
{
	struct flat_event *ev = calloc(2 * n, sizeof(*ev));
	size_t *heap = calloc(n, sizeof(*heap));
	bool *ended = calloc(n, sizeof(*ended));
	size_t nev = 0, nheap = 0;
	int err = 0;

	if (!ev || !heap || !ended) {
		err = kvm_error(kd, KVM_ENOMEM,
				"out of memory for %zu flattened records", n);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		if (recs[i].len == 0)
			continue;
		ev[nev++] = (struct flat_event){ recs[i].lofs, i, true };
		ev[nev++] = (struct flat_event){ recs[i].lofs + recs[i].len, i,
						 false };
	}
	qsort(ev, nev, sizeof(*ev), event_cmp);
	for (size_t k = 0; k < nev;) {
		uint64_t pos = ev[k].pos;
		for (; k < nev && ev[k].pos == pos; k++) {
			if (ev[k].start)
				heap_push(heap, &nheap, ev[k].rec);
			else
				ended[ev[k].rec] = true;
		}
		while (nheap > 0 && ended[heap[0]])
			heap_pop(heap, &nheap);
		if (nheap == 0 || k == nev)
			continue;
		const struct kvm_flat_rec *r = &recs[heap[0]];
		flat_append(fl, pos, ev[k].pos - pos,
			    r->fofs + (pos - r->lofs));
	}
out:
	free(ev);
	free(heap);
	free(ended);
	return err;
}

int
kvm_file_set_flat(kvm_t *kd, struct kvm_file *f,
		  const struct kvm_flat_rec *recs, size_t n)
{
	uint64_t lsize = 0, prev_end = 0;
	bool sorted = true;
	size_t cap;

	if (f->flat)
		return kvm_error(kd, KVM_EINVAL, "file is already flattened");
	for (size_t i = 0; i < n; i++) {
		uint64_t lend, fend;
		if (kvm_add_overflow(recs[i].lofs, recs[i].len, &lend) ||
		    kvm_add_overflow(recs[i].fofs, recs[i].len, &fend) ||
		    lend > INT64_MAX)
			return kvm_error(kd, KVM_ECORRUPT,
					 "flattened record %zu (offset 0x%llx, "
					 "%llu bytes) overflows",
					 i, (unsigned long long)recs[i].lofs,
					 (unsigned long long)recs[i].len);
		if (fend > f->size)
			return kvm_error(kd, KVM_ETRUNC,
					 "flattened record %zu ends at file "
					 "offset 0x%llx, past the end of the "
					 "file (%llu bytes)",
					 i, (unsigned long long)fend,
					 (unsigned long long)f->size);
		if (recs[i].len == 0)
			continue;
		if (recs[i].lofs < prev_end)
			sorted = false;
		prev_end = lend;
		lsize = KVM_MAX(lsize, lend);
	}
	if (kvm_mul_overflow(n, (sorted ? 1 : 2) * sizeof(struct kvm_flat_rec),
			     &cap))
		return kvm_error(kd, KVM_ENOMEM, "too many flattened records");
	struct kvm_flat *fl = calloc(1, sizeof(*fl));
	if (!fl || !(fl->ext = malloc(cap ? cap : 1))) {
		free(fl);
		return kvm_error(kd, KVM_ENOMEM,
				 "out of memory for %zu flattened records", n);
	}
	if (sorted) {
		/* Writers emit records in order, with no overlap. */
		for (size_t i = 0; i < n; i++)
			if (recs[i].len)
				flat_append(fl, recs[i].lofs, recs[i].len,
					    recs[i].fofs);
	} else {
		int err = flat_resolve(kd, fl, recs, n);
		if (err) {
			free(fl->ext);
			free(fl);
			return err;
		}
	}
	f->flat = fl;
	f->size = lsize;
	return 0;
}

/*
 * libelf wants elf_version() before any other call, and it sets a global:
 * once per process, so that handles opened in several threads do not race
 * on it.
 */
static pthread_once_t libelf_once = PTHREAD_ONCE_INIT;
static bool libelf_ok;

static void
libelf_init(void)
{
	libelf_ok = elf_version(EV_CURRENT) != EV_NONE;
}

bool
kvm_libelf_ready(void)
{
	pthread_once(&libelf_once, libelf_init);
	return libelf_ok;
}
