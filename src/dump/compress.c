// SPDX-License-Identifier: BSD-2-Clause
/* One page through a compressor (stub: being written). */
#include "dump.h"

size_t
kvm_dump_compress_bound(int method, size_t n)
{
	(void)method;
	return n;
}

void *
kvm_dump_compress_state(int method)
{
	(void)method;
	return NULL;
}

void
kvm_dump_compress_free(int method, void *state)
{
	(void)method, (void)state;
}

int
kvm_dump_compress(int method, void *state, const void *in, size_t n,
		  void *out, size_t cap, size_t *out_len)
{
	return -KVM_ENOTSUP;
}

int
kvm_dump_decompress(int method, const void *in, size_t n, void *out,
		    size_t cap, size_t *out_len)
{
	return -KVM_ENOTSUP;
}
