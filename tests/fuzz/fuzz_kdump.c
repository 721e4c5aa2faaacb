// SPDX-License-Identifier: BSD-2-Clause
/*
 * Fuzz target for kdump-compressed dumps (src/format/kdump.c): headers of
 * every version and byte order, bitmaps and their popcount index, page
 * descriptors, the four codecs, excluded and incomplete pages.  Each input
 * is opened twice: as is, and with KVM_ZERO_EXCLUDED.  The body is in
 * fuzz_dump.h; the corpus (corpus/kdump) comes from mkseeds-dump.sh.
 */
#include "fuzz_dump.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fd_run(data, size, O_RDONLY);
	fd_run(data, size, O_RDONLY | KVM_ZERO_EXCLUDED);
	return 0;
}
