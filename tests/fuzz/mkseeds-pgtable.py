#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
#
# mkseeds-pgtable.py [FIXTURES [UNPACKED]]: regenerate corpus/pgtable, the
# seeds of fuzz_pgtable (its header comment gives the input layout).
#   seed-x86-*    hand-built x86_64 tables: 4 and 5 levels, 4 KiB, 2 MiB
#                 and 1 GiB pages, a table that points at itself, the top
#                 page of the address space, a CR3 note (KPTI pair) and no
#                 VMCOREINFO (the root found in memory by its banner)
#   seed-arm64-*  hand-built arm64 tables: 4K/48 and 4K/39, 16K/47, 64K/42
#                 (two levels), 64K/52 on a 48-bit CPU (TTBR1 offset), 4K/52
#                 with LPA2 (level -1), blocks, no VMCOREINFO (found in
#                 memory), and a 64K page that ends a 2 MiB span
#   regress-*     inputs that once broke the contract (see below)
#   real-*        the page-table pages that walks of the fixtures' dumps
#                 (UNPACKED/{x86_64,aarch64}-6.1/vmcore.elf, default
#                 build/fixtures, as tests/fixtures/unpack.sh leaves them;
#                 FIXTURES/*/truth/vmcoreinfo.txt, default ../shared/fixtures)
#                 visit, at their real physical addresses, for kernel
#                 text, data, the direct/linear map and printk's ring; and
#                 the same tables without VMCOREINFO, with the banner page
#                 the scans look for (zeros around it)
# Every seed is well under 64 KiB.
import os, re, struct, sys

here = os.path.dirname(os.path.abspath(__file__))
top = os.path.dirname(os.path.dirname(here))
fixtures = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    os.path.dirname(top), 'shared', 'fixtures')
unpacked = sys.argv[2] if len(sys.argv) > 2 else os.path.join(
    top, 'build', 'fixtures')
out = os.path.join(here, 'corpus', 'pgtable')
os.makedirs(out, exist_ok=True)
for f in os.listdir(out):
    if f.startswith(('seed-', 'real-', 'regress-')):
        os.unlink(os.path.join(out, f))

F_ARM, F_NOVMCI, F_BE, F_KASLR, F_L5_T1SZ, F_CR3, F_NOSYM, F_NOPS = \
    1, 2, 4, 8, 16, 32, 64, 128
MAP = 0xffffffff80000000
U64 = (1 << 64) - 1


class Mem:
    """Physical memory as pages, written out as the target's segments."""
    def __init__(self, be=False):
        self.pages = {}
        self.zeros = []  # (pa, bytes) of zeros
        self.be = be

    def page(self, pa, size=4096):
        if pa not in self.pages:
            self.pages[pa] = bytearray(size)
        return self.pages[pa]

    def put(self, table, idx, val, size=4096):
        p = self.page(table, size)
        struct.pack_into('>Q' if self.be else '<Q', p, idx * 8, val & U64)

    def zero_fill(self, start, end):
        """Zeros in [start, end) wherever no page is."""
        pa = start
        for p in sorted(self.pages):
            if p + len(self.pages[p]) <= pa or p >= end:
                continue
            if p > pa:
                self.zeros.append((pa, p - pa))
            pa = max(pa, p + len(self.pages[p]))
        if pa < end:
            self.zeros.append((pa, end - pa))

    def segments(self):
        # A page's trailing zeros cost nothing: the segment's zeros.
        segs = []
        for pa, b in sorted(self.pages.items()):
            n = len(bytes(b).rstrip(b'\0'))
            segs.append((pa, bytes(b[:n]), len(b) - n))
        segs += [(pa, b'', n) for pa, n in self.zeros]
        return segs


def write(name, flags, segs, ps_sel=0, va_bits=0, t1sz=0, sym=0, off=0,
          kaslr=0, uroot=0, vas=(0, 0, 0)):
    h = struct.pack('<BBBBI', flags, ps_sel, va_bits, t1sz, 0)
    h += struct.pack('<QQQQ', sym & U64, off & U64, kaslr & U64, uroot & U64)
    h += struct.pack('<3Q', *[v & U64 for v in vas])
    assert len(h) == 64
    body = b''
    for pa, data, zeros in segs:
        body += struct.pack('<QII', pa, len(data), zeros) + data
    data = h + body
    assert len(data) < 65536, (name, len(data))
    with open(os.path.join(out, name), 'wb') as f:
        f.write(data)


def banner_page(text=b'Linux version 6.1.0-seed (seed@fuzz) #1 SMP\n'):
    p = bytearray(4096)
    p[0x900:0x900 + len(text)] = text
    return p

# ------------------------------------------------------------- x86_64

P, PS, PCD = 0x63, 0x80, 0x10  # present|rw|accessed|dirty, PSE


def x86_idx(va, lvl):
    return (va >> (12 + 9 * (lvl - 1))) & 511


def x86_seed(name, levels=4, extra_flags=0):
    m = Mem()
    base = 0x1000000
    pgd, nxt = base, base + 0x1000
    tables = {}

    def table(key):
        nonlocal nxt
        if key not in tables:
            tables[key] = nxt
            m.page(nxt)
            nxt += 0x1000
        return tables[key]

    def map4k(va, pa):
        t = pgd
        for lvl in range(levels, 1, -1):
            n = table((lvl, va >> (12 + 9 * (lvl - 1))))
            m.put(t, x86_idx(va, lvl), n | P)
            t = n
        m.put(t, x86_idx(va, 1), pa | P)

    def map_large(va, pa, lvl):  # lvl 2: 2 MiB, 3: 1 GiB
        t = pgd
        for l in range(levels, lvl, -1):
            n = table((l, va >> (12 + 9 * (l - 1))))
            m.put(t, x86_idx(va, l), n | P)
            t = n
        m.put(t, x86_idx(va, lvl), pa | P | PS | (1 << 63))

    text = 0xffffffff81000000
    dmap = 0xff11000000000000 if levels == 5 else 0xffff888000000000
    for i in range(4):
        map4k(text + i * 0x1000, 0x200000 + i * 0x1000)
    m.pages[0x200000] = banner_page()
    map_large(text + 0x200000, 0x400000, 2)
    map_large(dmap, 0, 3)
    map_large(0xffffc90000000000, 0x600000, 2)
    map4k(0xffffffffa0000000, 0x201000)
    # User: a separate root (for uvatop) mapping 0x400000.
    uroot = nxt + 0x10000
    m.page(uroot)
    upud, upmd, upte = uroot + 0x1000, uroot + 0x2000, uroot + 0x3000
    ut = [uroot, upud, upmd, upte] if levels == 4 else \
        [uroot, uroot + 0x4000, upud, upmd, upte]
    for i, t in enumerate(ut[:-1]):
        m.put(t, x86_idx(0x400000, levels - i), ut[i + 1] | P | 4)
    m.put(upte, x86_idx(0x400000, 1), 0x202000 | P | 4)
    sym = MAP + pgd  # phys_base 0
    write(name, (F_L5_T1SZ if levels == 5 else 0) | F_KASLR | extra_flags,
          m.segments(), sym=sym, off=0, kaslr=0, uroot=uroot,
          vas=(text + 0x1234, 0x400010, dmap + 0x1000))
    return m, pgd, uroot


x86_seed('seed-x86-4level')
x86_seed('seed-x86-5level', levels=5)
# The root from a CPU's CR3 (user half of a KPTI pair: bit 12 set).
m, pgd, uroot = x86_seed('seed-x86-cr3', extra_flags=F_NOSYM | F_CR3)
write('seed-x86-cr3-kpti', F_NOSYM | F_CR3, m.segments(), sym=MAP + pgd,
      uroot=pgd | 0x1000, vas=(0xffffffff81000000, 0x400000, 0))
# No VMCOREINFO: the root found by the scan (the banner in the image).
write('seed-x86-scan', F_NOVMCI, m.segments(), uroot=uroot,
      vas=(0xffffffff81000000, 0x400000, 0xffff888000001000))

# A table that points at itself at every level, and the top page.
m = Mem()
root = 0x3000
for i in (0, 273, 511):
    m.put(root, i, root | P)
m.put(root, 1, 0xfffffffffffff000 | P)  # beyond the 52-bit mask
m.put(root, 2, 0x123456789000 | P | PS)  # PSE is reserved at the pgd
write('seed-x86-cyclic', 0, m.segments(), sym=MAP + root, uroot=root,
      vas=(0xfffffffffffff000, 0x8000000000, 0x10000000000))
m = Mem()
root, pud, pmd, pte = 0x10000, 0x11000, 0x12000, 0x13000
m.put(root, 511, pud | P)
m.put(pud, 511, pmd | P)
m.put(pmd, 511, pte | P)
m.put(pte, 511, 0xffffffffff000 | P)
m.put(pmd, 510, 0xfffffffe00000 | P | PS)
m.put(pud, 510, 0xfffffc0000000 | P | PS)
write('seed-x86-top', F_KASLR, m.segments(), sym=MAP + root,
      kaslr=0x7ee00000, vas=(0xfffffffffffff000, 0xffffffffffe00000 - 1,
                             0xffffffffbffff000))

# --------------------------------------------------------------- arm64

VALID, TABLE, AF, SH = 1, 3, 1 << 10, 3 << 8
PAGE = 3 | AF | SH
BLOCK = 1 | AF | SH


def arm_levels(ps, vb):
    return (vb - 4) // (ps - 3)


def arm_shift(ps, n):
    return (ps - 3) * (4 - n) + 3


class Arm:
    def __init__(self, ps, vb, root, lpa2=False, be=False):
        self.ps, self.vb, self.lpa2 = ps, vb, lpa2
        self.m = Mem(be)
        self.levels = arm_levels(ps, vb)
        self.start = 4 - self.levels
        self.root = root
        self.next = root + (1 << ps)
        self.tables = {}
        self.m.page(root, 1 << ps)

    def enc(self, pa):
        if self.ps == 16:
            return (pa & ((1 << 48) - 1) & ~0xffff) | (((pa >> 48) & 0xf) << 12)
        if self.lpa2:
            return (pa & ((1 << 50) - 1)) | (((pa >> 50) & 3) << 8)
        return pa

    def idx(self, va, lvl):
        bits = self.vb - arm_shift(self.ps, lvl) if lvl == self.start \
            else self.ps - 3
        return (va >> arm_shift(self.ps, lvl)) & ((1 << bits) - 1)

    def table(self, key):
        if key not in self.tables:
            self.tables[key] = self.next
            self.m.page(self.next, 1 << self.ps)
            self.next += 1 << self.ps
        return self.tables[key]

    def map(self, va, pa, leaf_lvl=3, root=None):
        t = self.root if root is None else root
        for lvl in range(self.start, leaf_lvl):
            key = (root, lvl, va >> arm_shift(self.ps, lvl))
            n = self.table(key)
            self.m.put(t, self.idx(va, lvl), self.enc(n) | TABLE,
                       1 << self.ps)
            t = n
        attr = PAGE if leaf_lvl == 3 else BLOCK
        if self.lpa2:
            attr &= ~SH
        self.m.put(t, self.idx(va, leaf_lvl), self.enc(pa) | attr,
                   1 << self.ps)


def arm_seed(name, ps, vb, t1sz=None, lpa2=False, flags=0, ps_sel=None,
             kimage_va=0xffff800008000000, ram=0x40000000, linear=None,
             extra=None):
    actual = 64 - t1sz if t1sz is not None else vb
    # A 52-bit 64K kernel on a 48-bit CPU: TTBR1 points past the entries
    # 48 bits never reach (TTBR1_BADDR_4852_OFFSET).
    off52 = (1 << 10) - (1 << 6) if (ps, vb, actual) == (16, 52, 48) else 0
    a = Arm(ps, actual, ram + 0x100000 + 8 * off52, lpa2=lpa2)
    page = 1 << ps
    img_pa = ram + 0x800000
    for i in range(4):
        a.map(kimage_va + i * page, img_pa + i * page)
    a.m.pages[img_pa] = banner_page() + bytes(page - 4096)
    if linear is None:
        linear = (U64 << actual) & U64
    blk_lvl = 2
    a.map(linear, ram, blk_lvl)
    a.map(linear + (1 << arm_shift(ps, 2)), ram + (1 << arm_shift(ps, 2)), 3)
    uroot = a.next + 0x40000
    a.m.page(uroot, page)
    a.map(0x400000, img_pa + page, 3, root=uroot)
    if extra:
        extra(a)
    voff = kimage_va - img_pa
    swapper = a.root - 8 * off52 + voff
    if t1sz is not None:
        flags |= F_L5_T1SZ
    if ps_sel is None:
        ps_sel = {12: 0, 14: 1, 16: 2}[ps]
    write(name, F_ARM | F_KASLR | flags, a.m.segments(), ps_sel=ps_sel,
          va_bits=vb, t1sz=t1sz or 0, sym=swapper, off=voff, kaslr=0,
          uroot=uroot, vas=(kimage_va + 0x10, 0x400008, linear + 0x2000))
    return a


arm_seed('seed-arm64-4k-48', 12, 48, t1sz=16)
arm_seed('seed-arm64-4k-39', 12, 39, kimage_va=0xffffffc008000000)
arm_seed('seed-arm64-16k-47', 14, 47, kimage_va=0xffffc00008000000)
arm_seed('seed-arm64-64k-42', 16, 42, kimage_va=0xfffffe0008000000)
# A 52-bit 64K kernel on a 48-bit CPU: T1SZ 16, TTBR1 past 52-bit entries.
arm_seed('seed-arm64-64k-52on48', 16, 52, t1sz=16)
arm_seed('seed-arm64-4k-52-lpa2', 12, 52, t1sz=12, lpa2=True,
         kimage_va=0xfff8000008000000)
arm_seed('seed-arm64-be', 12, 48, flags=F_BE)
arm_seed('seed-arm64-badps', 12, 48, ps_sel=3)


# 64K pages: the page that ends a 2 MiB span maps elsewhere than the one
# before it; a cache that took the last page for a 2 MiB block would
# translate the earlier one wrongly.
def split_2m(a):
    va = 0xfffffc0000000000 + (2 << 20)
    a.map(va - 0x10000, 0x40000000 + 0x3000000)  # last 64K of a 2 MiB span
    a.map(va - 0x20000, 0x40000000 + 0x5000000)  # the one before


a = arm_seed('seed-arm64-64k-split', 16, 48, extra=split_2m)
segs = a.m.segments()
# Regression: kvm_kvatop_cached (src/kvm.c) took the last 64 KiB page of a
# 2 MiB slot for a 2 MiB block and translated the page before it by that.
write('regress-arm64-64k-block-cache', F_ARM | F_KASLR, segs, ps_sel=2,
      va_bits=48, sym=a.root + 0xffff800008000000 - 0x40800000,
      off=0xffff800008000000 - 0x40800000,
      vas=(0xfffffc0000200000 - 0x8000, 0xfffffc0000200000 - 0x18000, 0))


# No VMCOREINFO: swapper_pg_dir found in memory (4K/48, the 6.1 layout):
# it maps itself inside the image, whose banner says 6.1.
def scan_seed(name, kaslr):
    ram, ps = 0x40000000, 12
    a = Arm(ps, 48, ram + 0x2000000 + 0x58000)  # swapper in the image
    img_pa = ram + 0x2000000  # _text
    delta = 0xffff800008000000 + kaslr - img_pa
    # The image from _stext (_text + 64K) on with 4K pages: the tables.
    for off in range(0x10000, 0x60000, 0x1000):
        a.map(img_pa + off + delta, img_pa + off)
    a.m.pages[img_pa + 0x20000] = banner_page(
        b'Linux version 6.1.0-scan (seed@fuzz) (gcc) #1 SMP\n')
    # The linear map: one table entry in the low half (in memory).
    lin = a.table((None, 0, 0))
    a.m.put(a.root, 0, lin | TABLE)
    a.m.put(lin, 0, ram | BLOCK)
    write(name, F_ARM | F_NOVMCI, a.m.segments(), vas=(
        0xffff800008010000 + kaslr, 0xffff000000001000, 0))


scan_seed('seed-arm64-scan', 0x1200000)
scan_seed('seed-arm64-scan-nokaslr', 0)

# ---------------------------------------------------------------- real


class Elf:
    def __init__(self, path):
        self.f = open(path, 'rb')
        eh = self.f.read(64)
        assert eh[:4] == b'\x7fELF'
        phoff, = struct.unpack_from('<Q', eh, 32)
        phentsize, phnum = struct.unpack_from('<HH', eh, 54)
        self.loads = []
        for i in range(phnum):
            self.f.seek(phoff + i * phentsize)
            ph = self.f.read(56)
            typ, _, off, _, pa, filesz, memsz = struct.unpack_from(
                '<IIQQQQQ', ph)
            if typ == 1:
                self.loads.append((pa, off, filesz))

    def read(self, pa, n):
        for start, off, filesz in self.loads:
            if start <= pa and pa + n <= start + filesz:
                self.f.seek(off + pa - start)
                return self.f.read(n)
        return None

    def q(self, pa):
        b = self.read(pa, 8)
        return struct.unpack('<Q', b)[0] if b else None


def vmcoreinfo(path):
    v = {}
    for line in open(path):
        k, _, val = line.rstrip('\n').partition('=')
        v[k] = val
    return v


def x86_real_walk(elf, root, va, pages):
    t = root
    for lvl in (4, 3, 2, 1):
        pages.add(t)
        e = elf.q(t + x86_idx(va, lvl) * 8)
        if e is None or not e & 1:
            return None
        if lvl in (3, 2) and e & PS:
            size = 1 << (12 + 9 * (lvl - 1))
            return (e & 0x000fffffffffffff & ~(size - 1)) + (va & (size - 1))
        t = e & 0x000ffffffffff000
    return t + (va & 0xfff)


def real_x86(d, u):
    path = os.path.join(u, 'vmcore.elf')
    vp = os.path.join(d, 'truth', 'vmcoreinfo.txt')
    if not os.path.exists(path) or not os.path.exists(vp):
        return
    elf, v = Elf(path), vmcoreinfo(vp)
    sym = int(v['SYMBOL(init_top_pgt)'], 16)
    pb = int(v['NUMBER(phys_base)'])
    kaslr = int(v['KERNELOFFSET'], 16)
    root = sym - MAP + pb
    text = int(v['SYMBOL(_stext)'], 16)
    vas = [text, int(v['SYMBOL(init_uts_ns)'], 16),
           int(v['SYMBOL(mem_section)'], 16), int(v['SYMBOL(prb)'], 16),
           0xffffffff81000000 + kaslr + 0x1161900]  # linux_banner
    pages = set()
    for va in vas:
        x86_real_walk(elf, root, va, pages)
    cr3 = 0x2b16000  # host/summary.txt: CPU 0's CR3
    pages.add(cr3)
    m = Mem()
    for pa in pages:
        b = elf.read(pa, 4096)
        if b:
            m.pages[pa] = bytearray(b)
    write('real-x86_64-6.1-tables', F_KASLR, m.segments(), sym=sym, off=pb,
          kaslr=kaslr, uroot=cr3, vas=vas[1:4])
    # Without VMCOREINFO: the scan finds the root by the banner, which it
    # reads a chunk (1 MiB - 16) at a time from the image's start: the
    # banner's chunk must read whole, so zeros around the banner's page.
    banner = vas[4]
    bpa = x86_real_walk(elf, root, banner, pages)
    k = (banner - text) // ((1 << 20) - 16)
    cstart = text + k * ((1 << 20) - 16)
    cpa = x86_real_walk(elf, root, cstart, set())
    bpage = bpa & ~0xfff
    m.pages[bpage] = bytearray(elf.read(bpage, 4096))
    m.zeros = [(cpa, bpage - cpa), (bpage + 4096, (1 << 20))]
    write('real-x86_64-6.1-scan', F_NOVMCI, m.segments(), uroot=cr3,
          vas=(text, banner, vas[2]))


def arm_real_walk(elf, root, va, pages, ps=12, vb=48):
    levels = arm_levels(ps, vb)
    t = root
    for lvl in range(4 - levels, 4):
        pages.add(t)
        e = elf.q(t + (va >> arm_shift(ps, lvl) & 511) * 8)
        if e is None or not e & 1:
            return None
        oa = e & ((1 << 48) - 1) & ~0xfff
        if lvl == 3 or not e & 2:
            size = 1 << arm_shift(ps, lvl)
            return (oa & ~(size - 1)) + (va & (size - 1))
        t = oa
    return None


def real_arm(d, u):
    path = os.path.join(u, 'vmcore.elf')
    vp = os.path.join(d, 'truth', 'vmcoreinfo.txt')
    if not os.path.exists(path) or not os.path.exists(vp):
        return
    elf, v = Elf(path), vmcoreinfo(vp)
    sym = int(v['SYMBOL(swapper_pg_dir)'], 16)
    voff = int(v['NUMBER(kimage_voffset)'], 16)
    kaslr = int(v['KERNELOFFSET'], 16)
    root = sym - voff
    text = int(v['SYMBOL(_stext)'], 16)
    banner = 0xffff800008ef3be0 + kaslr  # System.map linux_banner
    vas = [text, int(v['SYMBOL(init_uts_ns)'], 16),
           int(v['SYMBOL(mem_section)'], 16), int(v['SYMBOL(prb)'], 16),
           banner, sym]
    pages = set()
    for va in vas:
        arm_real_walk(elf, root, va, pages)
    m = Mem()
    for pa in pages:
        m.pages[pa] = bytearray(elf.read(pa, 4096))
    write('real-aarch64-6.1-tables', F_ARM | F_KASLR | F_L5_T1SZ,
          m.segments(), ps_sel=0, va_bits=48, t1sz=16, sym=sym, off=voff,
          kaslr=kaslr, uroot=root, vas=vas[1:4])
    # Without VMCOREINFO: the scan needs the tables that map swapper_pg_dir,
    # _stext and the banner (above) and the banner's page; every table the
    # root names must lie in memory (a zero page stands for those left out).
    bpa = arm_real_walk(elf, root, banner, set())
    m.pages[bpa & ~0xfff] = bytearray(elf.read(bpa & ~0xfff, 4096))
    # The image from _stext to the banner reads (as zeros): the scan reads
    # it in large pieces, and a piece that fails costs its whole size.
    m.zero_fill(arm_real_walk(elf, root, text, set()), bpa & ~0xfff)
    for i in range(512):
        e = elf.q(root + 8 * i)
        if e & 3 == 3:
            t = e & ((1 << 48) - 1) & ~0xfff
            if t not in m.pages:
                m.zeros.append((t, 4096))
    write('real-aarch64-6.1-scan', F_ARM | F_NOVMCI, m.segments(),
          uroot=root, vas=(text, banner, vas[2]))


real_x86(os.path.join(fixtures, 'x86_64-6.1'),
         os.path.join(unpacked, 'x86_64-6.1'))
real_arm(os.path.join(fixtures, 'aarch64-6.1'),
         os.path.join(unpacked, 'aarch64-6.1'))
for f in sorted(os.listdir(out)):
    print('%6d %s' % (os.path.getsize(os.path.join(out, f)), f))
