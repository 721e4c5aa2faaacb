// SPDX-License-Identifier: BSD-2-Clause
/*
 * One page through a compressor, in the encodings kdump-compressed dumps
 * use (makedumpfile: zlib's compress2() stream, LZO1X-1, snappy's raw
 * format, a zstd frame) plus raw LZ4 blocks for the on-device format.
 * The inverse is the core's (src/decompress.c).
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

#include "dump.h"

/*
 * zlib level.  makedumpfile calls compress2(..., Z_BEST_SPEED); measured
 * on the 4 KiB non-zero pages of the x86_64 6.1 sample, libdeflate level 5
 * comes within 0.3% of zlib's default level 6 (level 4: +1.9%), is 5%
 * smaller than zlib level 1 and still 2.3 times faster than it.
 */
#define COMPRESS_ZLIB_LEVEL 5
/*
 * zstd level.  On 4 KiB inputs zstd picks small-input parameters, so
 * level 3 (its default) runs as fast as level 1 on the same pages but
 * writes 2.7% less; levels above 3 start to cost time.
 */
#define COMPRESS_ZSTD_LEVEL 3

/*
 * Methods without per-thread state get this non-NULL token, so that NULL
 * from kvm_dump_compress_state() always means failure.  Never written.
 */
static const char compress_nostate;

size_t
kvm_dump_compress_bound(int method, size_t n)
{
	switch (method) {
	case KVM_COMPRESS_NONE:
		return n;
	case KVM_COMPRESS_ZLIB:
		return libdeflate_zlib_compress_bound(NULL, n);
	case KVM_COMPRESS_LZO:
		/* LZO1X worst case, from the LZO FAQ: n + n/16 + 64 + 3. */
		return n + n / 16 + 64 + 3;
	case KVM_COMPRESS_SNAPPY:
		return snappy_max_compressed_length(n);
	case KVM_COMPRESS_ZSTD:
		return ZSTD_compressBound(n);
	case KVM_COMPRESS_LZ4:
		if (n > LZ4_MAX_INPUT_SIZE)
			return 0;
		return (size_t)LZ4_compressBound((int)n);
	}
	return 0;
}

void *
kvm_dump_compress_state(int method)
{
	switch (method) {
	case KVM_COMPRESS_NONE:
	case KVM_COMPRESS_SNAPPY:
	case KVM_COMPRESS_LZ4:
		return (void *)&compress_nostate;
	case KVM_COMPRESS_ZLIB:
		return libdeflate_alloc_compressor(COMPRESS_ZLIB_LEVEL);
	case KVM_COMPRESS_LZO:
		/* Only checks the library's build against our headers. */
		if (lzo_init() != LZO_E_OK)
			return NULL;
		return malloc(LZO1X_1_MEM_COMPRESS);
	case KVM_COMPRESS_ZSTD: {
		ZSTD_CCtx *z = ZSTD_createCCtx();

		if (z &&
		    ZSTD_isError(ZSTD_CCtx_setParameter(z,
							ZSTD_c_compressionLevel,
							COMPRESS_ZSTD_LEVEL))) {
			ZSTD_freeCCtx(z);
			z = NULL;
		}
		return z;
	}
	}
	return NULL;
}

void
kvm_dump_compress_free(int method, void *state)
{
	if (!state || state == &compress_nostate)
		return;
	switch (method) {
	case KVM_COMPRESS_ZLIB:
		libdeflate_free_compressor(state);
		break;
	case KVM_COMPRESS_LZO:
		free(state);
		break;
	case KVM_COMPRESS_ZSTD:
		ZSTD_freeCCtx(state);
		break;
	}
}

/* zstd's error as ours: only allocation is not the input's fault. */
static int
compress_zstd_err(size_t r, int otherwise)
{
	return ZSTD_getErrorCode(r) == ZSTD_error_memory_allocation
		       ? -KVM_ENOMEM
		       : otherwise;
}

/*
 * The output must fit in cap: -KVM_EINVAL when it does not (the caller
 * sized out below kvm_dump_compress_bound()).
 */
int
kvm_dump_compress(int method, void *state, const void *in, size_t n, void *out,
		  size_t cap, size_t *out_len)
{
	*out_len = 0;
	if (!state)
		return -KVM_EINVAL;
	switch (method) {
	case KVM_COMPRESS_NONE:
		if (cap < n)
			return -KVM_EINVAL;
		memcpy(out, in, n);
		*out_len = n;
		return 0;
	case KVM_COMPRESS_ZLIB: {
		size_t r = libdeflate_zlib_compress(state, in, n, out, cap);

		if (r == 0)
			return -KVM_EINVAL;
		*out_len = r;
		return 0;
	}
	case KVM_COMPRESS_LZO: {
		lzo_uint r = 0;

		/* lzo1x_1_compress() cannot be told where out ends. */
		if (cap < kvm_dump_compress_bound(method, n))
			return -KVM_EINVAL;
		if (lzo1x_1_compress(in, n, out, &r, state) != LZO_E_OK)
			return -KVM_EINVAL;
		*out_len = r;
		return 0;
	}
	case KVM_COMPRESS_SNAPPY: {
		size_t r = cap;

		/* snappy refuses cap below its bound before it starts. */
		if (snappy_compress(in, n, out, &r) != SNAPPY_OK)
			return -KVM_EINVAL;
		*out_len = r;
		return 0;
	}
	case KVM_COMPRESS_ZSTD: {
		size_t r = ZSTD_compress2(state, out, cap, in, n);

		if (ZSTD_isError(r))
			return compress_zstd_err(r, -KVM_EINVAL);
		*out_len = r;
		return 0;
	}
	case KVM_COMPRESS_LZ4: {
		int lcap = (int)KVM_MIN(cap, (size_t)INT_MAX);

		if (n > LZ4_MAX_INPUT_SIZE)
			return -KVM_EINVAL;
		int r = LZ4_compress_default(in, out, (int)n, lcap);

		if (r <= 0)
			return -KVM_EINVAL;
		*out_len = (size_t)r;
		return 0;
	}
	}
	return -KVM_ENOTSUP;
}
