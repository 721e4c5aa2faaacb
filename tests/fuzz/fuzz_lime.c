// SPDX-License-Identifier: BSD-2-Clause
/*
 * Fuzz target for LiME images (src/format/lime.c) and, with KVM_RAW_PHYS,
 * for raw images (src/format/raw.c), which any input is: range headers
 * (magic, version, inverted or huge ranges, ranges past the end of the
 * file), the page-table scan that LiME and raw images need (no VMCOREINFO,
 * no CPU notes), reads and writes.  Odd sizes open O_RDWR, so the write
 * path runs.  Body in fuzz_dump.h; corpus in corpus/lime.
 */
#include "fuzz_dump.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int acc = (size & 1) ? O_RDWR : O_RDONLY;

	fd_run(data, size, acc);
	fd_run(data, size, O_RDONLY | KVM_RAW_PHYS);
	return 0;
}
