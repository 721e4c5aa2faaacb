// SPDX-License-Identifier: BSD-2-Clause
/*
 * Dump sinks: a file descriptor, and makedumpfile's flattened stream
 * (makedumpfile.h: struct makedumpfile_header, struct
 * makedumpfile_data_header; big-endian, as makedumpfile -F writes it and
 * makedumpfile -R reads it) for outputs that cannot seek.
 */
#include <endian.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sink.h"

/*
 * makedumpfile.h: MAX_SIZE_MDF_HEADER, TYPE_FLAT_HEADER,
 * VERSION_FLAT_HEADER, END_FLAG_FLAT_HEADER (makedumpfile 1.3.2 onwards).
 */
#define FLAT_SIG "makedumpfile"
#define FLAT_SIG_SIZE 16
#define FLAT_HDR_SIZE 4096
#define FLAT_TYPE_FLAT 1
#define FLAT_VERSION_FLAT 1
#define FLAT_END_MARK UINT64_MAX /* -1 in both fields */

/*
 * A pwrite becomes records of at most this many bytes, so that a reader
 * replaying the stream through a buffer never needs a big one
 * (makedumpfile's own records are its write-cache size, a few pages).
 */
#define FLAT_REC_MAX (64u << 10)

enum sink_kind { SINK_FD = 1, SINK_FLAT = 2 };

struct sink_state {
	enum sink_kind kind;
	kvm_t *kd;
	uint64_t end; /* furthest byte written, relative to base */
	/* SINK_FD */
	int fd;
	uint64_t base; /* file offset of the sink's byte 0 */
	uint64_t pos;  /* next write(), relative to base */
	/* SINK_FLAT */
	struct kvm_dump_sink *inner;
	uint64_t lpos; /* next write() in the logical file */
};

static int
fd_error(kvm_t *kd, int err, size_t len, uint64_t off)
{
	errno = err;
	if (err == ENOSPC || err == EFBIG || err == EDQUOT)
		return kvm_error_sys(kd,
				     "dump: device full writing %zu bytes "
				     "at offset %llu (0x%llx)",
				     len, (unsigned long long)off,
				     (unsigned long long)off);
	return kvm_error_sys(kd, "dump: writing %zu bytes at offset %llu", len,
			     (unsigned long long)off);
}

/* One loop for write and pwrite: EINTR retried, short writes continued. */
static int
fd_put(struct sink_state *st, const void *buf, size_t len, uint64_t off,
       bool positioned)
{
	const uint8_t *p = buf;
	size_t done = 0;

	while (done < len) {
		size_t n = KVM_MIN(len - done, (size_t)1 << 30);
		ssize_t w = positioned ? pwrite(st->fd, p + done, n,
						(off_t)(st->base + off + done))
				       : write(st->fd, p + done, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return fd_error(st->kd, errno, len - done,
					st->base + off + done);
		if (w == 0) /* no progress and no errno: the device is full */
			return fd_error(st->kd, ENOSPC, len - done,
					st->base + off + done);
		done += (size_t)w;
	}
	st->end = KVM_MAX(st->end, off + len);
	return 0;
}

static int
fd_write(void *arg, const void *buf, size_t len)
{
	struct sink_state *st = arg;
	int err = fd_put(st, buf, len, st->pos, false);

	if (!err)
		st->pos += len;
	return err;
}

static int
fd_pwrite(void *arg, const void *buf, size_t len, uint64_t off)
{
	return fd_put(arg, buf, len, off, true);
}

int
kvm_dump_sink_fd(kvm_t *kd, struct kvm_dump_sink *s, int fd)
{
	struct stat sb;

	memset(s, 0, sizeof(*s));
	if (fstat(fd, &sb) != 0)
		return kvm_error_sys(kd, "dump: fstat of output fd %d", fd);
	struct sink_state *st = calloc(1, sizeof(*st));
	if (!st)
		return kvm_error(kd, KVM_ENOMEM, "out of memory for a sink");
	st->kind = SINK_FD;
	st->kd = kd;
	st->fd = fd;
	s->write = fd_write;
	s->arg = st;
	/* Only what seeks gets pwrite: a pipe's pwrite fails with ESPIPE. */
	if (S_ISREG(sb.st_mode) || S_ISBLK(sb.st_mode)) {
		off_t cur = lseek(fd, 0, SEEK_CUR);
		if (cur >= 0) {
			st->base = (uint64_t)cur;
			s->pwrite = fd_pwrite;
		}
	}
	return 0;
}

/* --------------------------------------------------------- flattened */

static int
flat_record(struct sink_state *st, uint64_t off, uint64_t len)
{
	uint64_t h[2] = { htobe64(off), htobe64(len) };

	return st->inner->write(st->inner->arg, h, sizeof(h));
}

static int
flat_pwrite(void *arg, const void *buf, size_t len, uint64_t off)
{
	struct sink_state *st = arg;
	const uint8_t *p = buf;
	int err;

	if (off > INT64_MAX || len > INT64_MAX - off)
		return kvm_error(st->kd, KVM_EINVAL,
				 "dump: flattened record at offset %llu past "
				 "the format's 63 bits",
				 (unsigned long long)off);
	for (size_t done = 0; done < len;) {
		size_t n = KVM_MIN(len - done, (size_t)FLAT_REC_MAX);
		if ((err = flat_record(st, off + done, n)) ||
		    (err = st->inner->write(st->inner->arg, p + done, n)))
			return err;
		done += n;
	}
	st->end = KVM_MAX(st->end, off + len);
	return 0;
}

static int
flat_write(void *arg, const void *buf, size_t len)
{
	struct sink_state *st = arg;
	int err = flat_pwrite(st, buf, len, st->lpos);

	if (!err)
		st->lpos += len;
	return err;
}

int
kvm_dump_sink_flattened(kvm_t *kd, struct kvm_dump_sink *s,
			struct kvm_dump_sink *inner)
{
	uint8_t hdr[FLAT_HDR_SIZE] = { 0 };
	uint64_t v;

	memset(s, 0, sizeof(*s));
	struct sink_state *st = calloc(1, sizeof(*st));
	if (!st)
		return kvm_error(kd, KVM_ENOMEM, "out of memory for a sink");
	st->kind = SINK_FLAT;
	st->kd = kd;
	st->inner = inner;
	/* signature[16], int64 type, int64 version; the rest zeros. */
	memcpy(hdr, FLAT_SIG, sizeof(FLAT_SIG) - 1);
	v = htobe64(FLAT_TYPE_FLAT);
	memcpy(hdr + FLAT_SIG_SIZE, &v, 8);
	v = htobe64(FLAT_VERSION_FLAT);
	memcpy(hdr + FLAT_SIG_SIZE + 8, &v, 8);
	int err = inner->write(inner->arg, hdr, sizeof(hdr));
	if (err) {
		free(st);
		return kvm_error_ctx(kd, "dump: flattened header");
	}
	s->write = flat_write;
	s->pwrite = flat_pwrite;
	s->arg = st;
	return 0;
}

int
kvm_dump_sink_finish(struct kvm_dump_sink *s)
{
	struct sink_state *st = s->arg;

	if (!st || st->kind != SINK_FLAT)
		return 0;
	int err = flat_record(st, FLAT_END_MARK, FLAT_END_MARK);
	return err ? kvm_error_ctx(st->kd, "dump: flattened end record") : 0;
}

void
kvm_dump_sink_close(struct kvm_dump_sink *s)
{
	if (!s)
		return;
	free(s->arg);
	memset(s, 0, sizeof(*s));
}

uint64_t
kvm_dump_sink_bytes(const struct kvm_dump_sink *s)
{
	const struct sink_state *st = s->arg;

	return st ? st->end : 0;
}
