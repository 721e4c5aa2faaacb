// SPDX-License-Identifier: BSD-2-Clause
/*
 * One page out of a decompressor, in the encodings of the dumps we read
 * and write (makedumpfile's kdump pages: a zlib stream, LZO1X, snappy's
 * raw format, a zstd frame; raw LZ4 blocks in our own format).  In the
 * core, not in src/dump/: our format's reader needs it, and formats do
 * not call into the dump writer.  Every decoder is bounded by the caller's
 * buffer and rejects input that it does not consume exactly: a page is a
 * whole stream, never a prefix.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <libdeflate.h>
#include <lz4.h>
#include <lzo/lzo1x.h>
#include <snappy-c.h>
#include <zstd.h>
#include <zstd_errors.h>

#include "kvm_private.h"

static int
decompress_zlib(const void *in, size_t n, void *out, size_t cap,
		size_t *out_len)
{
	/*
	 * No state in this interface: a decompressor per call (a few KiB)
	 * is cheap next to verifying a page, and keeps callers thread-free.
	 */
	struct libdeflate_decompressor *d = libdeflate_alloc_decompressor();
	size_t used = 0, got = 0;

	if (!d)
		return -KVM_ENOMEM;
	enum libdeflate_result r =
		libdeflate_zlib_decompress_ex(d, in, n, out, cap, &used, &got);
	libdeflate_free_decompressor(d);
	if (r != LIBDEFLATE_SUCCESS || used != n)
		return -KVM_ECORRUPT;
	*out_len = got;
	return 0;
}

static int
decompress_zstd(const void *in, size_t n, void *out, size_t cap,
		size_t *out_len)
{
	/* Exactly one frame, whose recorded size (if any) fits cap. */
	if (ZSTD_findFrameCompressedSize(in, n) != n)
		return -KVM_ECORRUPT;
	unsigned long long want = ZSTD_getFrameContentSize(in, n);
	if (want == ZSTD_CONTENTSIZE_ERROR ||
	    (want != ZSTD_CONTENTSIZE_UNKNOWN && want > cap))
		return -KVM_ECORRUPT;
	size_t r = ZSTD_decompress(out, cap, in, n);
	if (ZSTD_isError(r))
		return ZSTD_getErrorCode(r) == ZSTD_error_memory_allocation
			       ? -KVM_ENOMEM
			       : -KVM_ECORRUPT;
	if (want != ZSTD_CONTENTSIZE_UNKNOWN && r != want)
		return -KVM_ECORRUPT;
	*out_len = r;
	return 0;
}

/*
 * -KVM_ECORRUPT for input that is not one whole stream of method or that
 * would decode to more than cap bytes; out may hold garbage then.
 */
int
kvm_decompress(int method, const void *in, size_t n, void *out, size_t cap,
	       size_t *out_len)
{
	*out_len = 0;
	switch (method) {
	case KVM_COMPRESS_NONE:
		if (n > cap)
			return -KVM_ECORRUPT;
		memcpy(out, in, n);
		*out_len = n;
		return 0;
	case KVM_COMPRESS_ZLIB:
		return decompress_zlib(in, n, out, cap, out_len);
	case KVM_COMPRESS_LZO: {
		/* The safe decoder takes cap in r and checks both ends. */
		lzo_uint r = cap;

		if (lzo1x_decompress_safe(in, n, out, &r, NULL) != LZO_E_OK)
			return -KVM_ECORRUPT;
		*out_len = r;
		return 0;
	}
	case KVM_COMPRESS_SNAPPY: {
		size_t want = 0, r = cap;

		if (snappy_uncompressed_length(in, n, &want) != SNAPPY_OK ||
		    want > cap)
			return -KVM_ECORRUPT;
		/* snappy fails unless the stream yields exactly want. */
		if (snappy_uncompress(in, n, out, &r) != SNAPPY_OK || r != want)
			return -KVM_ECORRUPT;
		*out_len = r;
		return 0;
	}
	case KVM_COMPRESS_ZSTD:
		return decompress_zstd(in, n, out, cap, out_len);
	case KVM_COMPRESS_LZ4: {
		if (n > INT_MAX)
			return -KVM_ECORRUPT;
		/* A block must end on its last literals: no trailing bytes. */
		int r = LZ4_decompress_safe(in, out, (int)n,
					    (int)KVM_MIN(cap, (size_t)INT_MAX));

		if (r < 0)
			return -KVM_ECORRUPT;
		*out_len = (size_t)r;
		return 0;
	}
	}
	return -KVM_ENOTSUP;
}
