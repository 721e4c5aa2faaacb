#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Capture the arm64 page-table pages that translate a few kernel addresses
from a real ELF vmcore into a text fragment for tests/xlat/test_aarch64.c.

Usage: capture_aarch64.py VMCORE.ELF SYSTEM.MAP ADDR... > fragment.txt

The walk here is a second, independent implementation (in Python, from the
Arm ARM, 4K/16K/64K granules without LPA2) so that the fragment's expected
physical addresses do not come from the code under test.  An ADDR is a
System.map symbol in the kernel image (link-time address + KERNELOFFSET,
expected physical address through kimage_voffset), or "vmci:KEY" for a
VMCOREINFO value that is a linear-map address (expected physical address
through PHYS_OFFSET: pa = va - PAGE_OFFSET + PHYS_OFFSET).
"""
import struct
import sys


HEADER = """#
# Format: "#" starts a comment, blank lines are ignored.
#   vmcoreinfo KEY=VALUE   the dump's VMCOREINFO keys translation needs
#   translate VA PA NAME   VA translates to PA: an independent walker's
#                          answer, confirmed by kimage_voffset (kernel
#                          image) or PHYS_OFFSET (linear map) arithmetic
#   fault VA LEVEL KIND    the walk of VA stops at LEVEL (KIND: invalid)
#   @0xPA                  starts a run of 8-byte table entries at
#                          physical address PA, then one entry a line as a
#                          16-digit hex value (the dump is little-endian);
#                          "0000000000000000*N" stands for N zero entries
# The root table (swapper_pg_dir) is here whole; of the other tables only
# the entries the walks read.  Memory outside the runs is absent.
"""


def load_elf(path):
    f = open(path, 'rb')
    eh = f.read(64)
    if eh[:4] != b'\x7fELF' or eh[4] != 2 or eh[5] != 1:
        sys.exit('not a little-endian ELF64 file')
    phoff, = struct.unpack_from('<Q', eh, 32)
    phentsize, phnum = struct.unpack_from('<HH', eh, 54)
    loads, notes = [], []
    for i in range(phnum):
        f.seek(phoff + i * phentsize)
        t, _, off, _, pa, fsz, msz, _ = struct.unpack('<IIQQQQQQ',
                                                      f.read(56))
        if t == 1:
            loads.append((pa, fsz, off))
        elif t == 4:
            f.seek(off)
            notes.append(f.read(fsz))
    return f, loads, notes


def vmcoreinfo(notes):
    for blob in notes:
        i = 0
        while i + 12 <= len(blob):
            nsz, dsz, _ = struct.unpack_from('<III', blob, i)
            name = blob[i + 12:i + 12 + nsz].rstrip(b'\0')
            d = i + 12 + ((nsz + 3) & ~3)
            if name == b'VMCOREINFO':
                text = blob[d:d + dsz].split(b'\0')[0].decode()
                return dict(l.split('=', 1) for l in text.splitlines()
                            if '=' in l)
            i = d + ((dsz + 3) & ~3)
    sys.exit('no VMCOREINFO note')


def number(v):
    return int(v, 16) if v.startswith('0x') else int(v) & (2**64 - 1)


class Mem:
    def __init__(self, f, loads):
        self.f, self.loads, self.pages, self.read = f, loads, {}, set()

    def read_page(self, pa, size):
        for start, fsz, off in self.loads:
            if start <= pa and pa + size <= start + fsz:
                self.f.seek(off + pa - start)
                return self.f.read(size)
        sys.exit('0x%x not in the dump' % pa)

    def entry(self, table, idx, psize):
        page = self.pages.get(table)
        if page is None:
            page = self.pages[table] = self.read_page(table, psize)
        self.read.add(table + idx * 8)
        return struct.unpack_from('<Q', page, idx * 8)[0]


def walk(mem, root, va, ps, va_bits):
    levels = (va_bits - 4) // (ps - 3)
    start = 4 - levels
    table = root
    for lvl in range(start, 4):
        shift = (ps - 3) * (4 - lvl) + 3
        bits = va_bits - shift if lvl == start else ps - 3
        idx = (va >> shift) & ((1 << bits) - 1)
        d = mem.entry(table, idx, 1 << ps)
        if not d & 1:
            return ('invalid', lvl)
        oa = d & (((1 << (48 - ps)) - 1) << ps)
        if ps == 16:
            oa |= (d & 0xf000) << 36
        if lvl == 3:
            return oa | (va & ((1 << ps) - 1))
        if not d & 2:
            if lvl != 2 and not (lvl == 1 and ps == 12):
                return ('block', lvl)
            return (oa & ~((1 << shift) - 1)) | (va & ((1 << shift) - 1))
        table = oa


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    f, loads, notes = load_elf(sys.argv[1])
    vmci = vmcoreinfo(notes)
    smap = {}
    for line in open(sys.argv[2]):
        a, _, n = line.split()
        smap.setdefault(n, int(a, 16))
    ps = {4096: 12, 16384: 14, 65536: 16}[int(vmci['PAGESIZE'])]
    va_bits = 64 - number(vmci['NUMBER(TCR_EL1_T1SZ)'])
    voff = number(vmci['NUMBER(kimage_voffset)'])
    koff = int(vmci['KERNELOFFSET'], 16)
    swapper = int(vmci['SYMBOL(swapper_pg_dir)'], 16)
    root = swapper - voff
    mem = Mem(f, loads)

    keys = ['OSRELEASE', 'PAGESIZE', 'SYMBOL(swapper_pg_dir)',
            'SYMBOL(_stext)', 'NUMBER(VA_BITS)', 'NUMBER(kimage_voffset)',
            'NUMBER(PHYS_OFFSET)', 'NUMBER(TCR_EL1_T1SZ)', 'KERNELOFFSET']
    out = ['# aarch64 page-table fragment, made by',
           '#   tests/xlat/capture_aarch64.py ' + ' '.join(
               a.split('/')[-1] if i < 2 else a
               for i, a in enumerate(sys.argv[1:])),
           '# from a real dump of the ' + vmci.get('OSRELEASE', '?') +
           ' kernel (tests: tests/xlat/test_aarch64.c).']
    out += HEADER.splitlines() + ['']
    out += ['vmcoreinfo %s=%s' % (k, vmci[k]) for k in keys if k in vmci]
    out.append('')

    vas = []
    for name in sys.argv[3:]:
        if name.startswith('fault:'):
            va = int(name[6:], 16)
            r = walk(mem, root, va, ps, va_bits)
            if not isinstance(r, tuple):
                sys.exit('0x%x is mapped' % va)
            vas.append('fault 0x%016x %d %s' % (va, r[1], r[0]))
            continue
        if name.startswith('vmci:'):
            # PAGE_OFFSET is -(1 << VA_BITS) since Linux 5.4.
            page_offset = (-(1 << int(vmci['NUMBER(VA_BITS)']))) % 2**64
            phys_offset = number(vmci['NUMBER(PHYS_OFFSET)'])
            va = int(vmci[name[5:]], 16)
            expect = va - page_offset + phys_offset
        else:
            va = smap[name] + koff
            expect = va - voff
        pa = walk(mem, root, va, ps, va_bits)
        if pa != expect % 2**64:
            sys.exit('%s: walk gives 0x%x, arithmetic 0x%x' %
                     (name, pa, expect))
        vas.append('translate 0x%016x 0x%x %s' % (va, pa, name))
    out += vas
    # The root page whole; of the others only the entries the walks read.
    out.append('')
    out.append('@0x%x' % root)
    emit(out, mem.pages[root])
    for pa in sorted(mem.read):
        if pa - pa % (1 << ps) != root:
            out.append('')
            out.append('@0x%x' % pa)
            emit(out, mem.pages[pa - pa % (1 << ps)][pa % (1 << ps):][:8])
    print('\n'.join(out))


def emit(out, page):
    zeros = 0
    for i in range(0, len(page), 8):
        e, = struct.unpack_from('<Q', page, i)
        if e == 0:
            zeros += 1
            continue
        if zeros:
            out.append('0000000000000000*%d' % zeros)
            zeros = 0
        out.append('%016x' % e)
    if zeros:
        out.append('0000000000000000*%d' % zeros)


main()
