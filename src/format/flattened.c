// SPDX-License-Identifier: BSD-2-Clause
/*
 * makedumpfile's flattened format (flattened_disk.h), a container: what
 * makedumpfile -F and QEMU's dump-guest-memory kdump-* formats write.
 * The records are indexed once, at open, into a map that io.c applies to
 * every read of kd->core; the other formats are then probed on the
 * logical file, which is never written out (no "makedumpfile -R").
 */
#include <stdio.h>
#include <string.h>

#include "flattened_disk.h"
#include "format.h"

static int
flat_probe(kvm_t *kd, const uint8_t *head, size_t headlen)
{
	static const char sig[FLAT_SIG_LEN] = FLAT_SIGNATURE;

	(void)kd;
	if (headlen < FLAT_SIG_LEN || memcmp(head, sig, FLAT_SIG_LEN) != 0)
		return -KVM_ENOPROBE;
	return 0;
}

/* Read the record headers: (logical offset, size, where the data is). */
static int
flat_index(kvm_t *kd, struct kvm_flat_rec **recs_ret, size_t *n_ret,
	   uint64_t *want_ret)
{
	struct kvm_flat_rec *recs = NULL;
	uint64_t off = FLAT_HEADER_SIZE;
	size_t n = 0;
	int err = 0;
	bool ended = false;

	/* Each record takes at least 16 bytes: the walk ends. */
	while (kd->core.size - off >= sizeof(struct flat_disk_record)) {
		struct flat_disk_record r;
		err = kvm_file_read(kd, &kd->core, off, &r, sizeof(r));
		if (err) {
			kvm_error_ctx(kd,
				      "flattened: record header at offset "
				      "0x%llx",
				      (unsigned long long)off);
			break;
		}
		int64_t lofs = (int64_t)be64toh((uint64_t)r.offset);
		int64_t size = (int64_t)be64toh((uint64_t)r.size);
		if (lofs == FLAT_END && size == FLAT_END) {
			ended = true;
			break;
		}
		if (lofs < 0 || size < 0) {
			err = kvm_error(kd, KVM_ECORRUPT,
					"flattened: record at offset 0x%llx "
					"has offset %lld and size %lld",
					(unsigned long long)off,
					(long long)lofs, (long long)size);
			break;
		}
		off += sizeof(r);
		/*
		 * A stream cut short (no end marker, last record partial):
		 * keep what is there.  The logical file then ends early and
		 * reads beyond it say so, which is the truth.
		 */
		uint64_t len = KVM_MIN((uint64_t)size, kd->core.size - off);
		if (len < (uint64_t)size)
			*want_ret = off + (uint64_t)size; /* cut inside it */
		if ((n & (n - 1)) == 0) {
			size_t cap = n ? 2 * n : 64;
			struct kvm_flat_rec *nr =
				realloc(recs, cap * sizeof(*nr));
			if (!nr) {
				err = kvm_error(kd, KVM_ENOMEM,
						"flattened: out of memory for "
						"%zu records",
						cap);
				break;
			}
			recs = nr;
		}
		recs[n++] = (struct kvm_flat_rec){ .lofs = (uint64_t)lofs,
						   .fofs = off,
						   .len = len };
		off += len;
	}
	if (!err && n == 0)
		err = kvm_error(kd, KVM_ECORRUPT,
				"flattened: the stream holds no data records");
	/* No end marker: at least its 16 bytes are missing. */
	if (!err && !ended && *want_ret < off + sizeof(struct flat_disk_record))
		*want_ret = off + sizeof(struct flat_disk_record);
	if (err) {
		free(recs);
		return err;
	}
	*recs_ret = recs;
	*n_ret = n;
	return 0;
}

/* Probe the formats (but this one) on the logical file and open it. */
static int
flat_reprobe(kvm_t *kd)
{
	uint8_t head[KVM_PROBE_LEN];
	size_t headlen = KVM_MIN((uint64_t)sizeof(head), kd->core.size);
	int err = kvm_file_read(kd, &kd->core, 0, head, headlen);

	if (err)
		return kvm_error_ctx(kd, "flattened");
	/* Nothing writes a flattened dump inside another. */
	const struct kvm_format_ops *ops =
		kvm_format_probe(kd, head, headlen, &kvm_format_flattened,
				 &err);
	if (err)
		return kvm_error_ctx(kd, "flattened");
	if (ops) {
		/* From here on the inner format owns kd (and its close). */
		kd->format = ops;
		return ops->open(kd);
	}
	char seen[KVM_FORMAT_SEEN_LEN];
	kvm_format_seen(head, headlen, seen);
	return kvm_error(kd, KVM_EFORMAT,
			 "flattened: the dump inside is not a format we read "
			 "(first bytes: %s)",
			 seen);
}

static int
flat_open(kvm_t *kd)
{
	struct flat_disk_header h;
	struct kvm_flat_rec *recs;
	size_t n;
	int err;

	if (kd->core.size < FLAT_HEADER_SIZE)
		return kvm_error(kd, KVM_ETRUNC,
				 "flattened: file of %llu bytes is shorter "
				 "than its %u-byte header",
				 (unsigned long long)kd->core.size,
				 FLAT_HEADER_SIZE);
	err = kvm_file_read(kd, &kd->core, 0, &h, sizeof(h));
	if (err)
		return kvm_error_ctx(kd, "flattened: header");
	int64_t type = (int64_t)be64toh((uint64_t)h.type);
	int64_t version = (int64_t)be64toh((uint64_t)h.version);
	if (type != FLAT_TYPE || version != FLAT_VERSION)
		return kvm_error(kd, KVM_ENOTSUP,
				 "flattened: header type %lld, version %lld "
				 "(we read type %d, version %d)",
				 (long long)type, (long long)version, FLAT_TYPE,
				 FLAT_VERSION);
	uint64_t want = 0, have = kd->core.size;
	err = flat_index(kd, &recs, &n, &want);
	if (err)
		return err;
	/*
	 * A stream without its end marker, or cut inside a record, was cut
	 * short: said now, in the stream's own sizes, since the logical file
	 * that follows has no end to compare with.
	 */
	if (want > have)
		kvm_set_truncated(kd, have, want,
				  "its flattened stream needs at least");
	/* The index touched every record header of the file: let them go. */
	kvm_file_forget(&kd->core);
	err = kvm_file_set_flat(kd, &kd->core, recs, n);
	free(recs);
	if (err)
		return kvm_error_ctx(kd, "flattened");
	return flat_reprobe(kd);
}

/* Nothing of its own: the map belongs to kd->core (io.c frees it). */
static void
flat_close(kvm_t *kd)
{
	(void)kd;
}

const struct kvm_format_ops kvm_format_flattened = {
	.name = "flattened",
	.probe = flat_probe,
	.open = flat_open,
	.close = flat_close,
};
