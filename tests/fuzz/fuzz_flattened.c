// SPDX-License-Identifier: BSD-2-Clause
/*
 * Fuzz target for makedumpfile's flattened stream (src/format/flattened.c
 * and the record map of src/io.c): record headers, negative, huge and
 * overlapping records, holes, a missing end marker, and the kdump dump
 * inside, re-probed on the logical file.  Each input is opened as is and
 * with KVM_ZERO_EXCLUDED; odd sizes also O_RDWR, where writing must be
 * refused.  Body in fuzz_dump.h; corpus in corpus/flattened.
 */
#include "fuzz_dump.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fd_run(data, size, O_RDONLY);
	fd_run(data, size, ((size & 1) ? O_RDWR : O_RDONLY) |
				   KVM_ZERO_EXCLUDED);
	return 0;
}
