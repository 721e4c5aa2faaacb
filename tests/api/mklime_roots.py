#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""A LiME image whose every page looks like an x86_64 top-level page
table (an empty user half, present kernel-half entries, entry 511 not a
large page), all leading through present tables to 64 MiB and more of
kernel image without a banner: the root scan's worst case (issue 23).

  mklime_roots.py OUT MIB same|distinct

same: every candidate's entry 511 is the same; distinct: each page's
entry 511 points to itself, so no two candidates share it.
"""
import struct
import sys

out, mib, kind = sys.argv[1], int(sys.argv[2]), sys.argv[3]
npages = mib << 8
PRESENT_RW = 0x63
with open(out, 'wb') as f:
    # LiME header: magic "EMiL" (0x4C694D45), version 1, first and last
    # physical address, 8 reserved bytes.
    f.write(struct.pack('<IIQQ8x', 0x4C694D45, 1, 0, (npages << 12) - 1))
    # Page 0: every entry present, pointing at page 0: any walk through
    # it maps everything to page 0.
    f.write(struct.pack('<512Q', *([PRESENT_RW] * 512)))
    half = struct.pack('<256Q', *([0] * 256))
    kern = struct.pack('<255Q', *([PRESENT_RW] * 255))
    for i in range(1, npages):
        top = PRESENT_RW if kind == 'same' else (i << 12) | PRESENT_RW
        f.write(half + kern + struct.pack('<Q', top))
