#!/usr/bin/env python3
# Seeds for fuzz_kallsyms: small but valid kallsyms tables laid out as
# scripts/kallsyms.c writes them (offsets, relative_base, num_syms, names,
# markers, token_table, token_index), behind fuzz_kallsyms.c's 32-byte
# header.  Tokens are single characters, so a name's tokens are its bytes.
#   mkseeds-kallsyms.py OUTDIR
import struct, sys

def align(b, n=8):
    return b + b'\0' * (-len(b) % n)

BANNER_AT = 0x2000

def offsets(syms, off_at, percpu, placerel):
    base = 0x1000
    offs = []
    for i, (t, name, a) in enumerate(syms):
        if placerel:
            offs.append(a - (off_at + 4 * i))
        elif percpu and t == 'A':
            offs.append(a)
        elif percpu:
            offs.append(-(a - base) - 1)
        else:
            offs.append(a - base)
    return align(struct.pack('<%di' % len(syms), *offs))

# order 'old': offsets | relative_base | num_syms | names | markers |
# token_table | token_index (4.6-6.3); 'new': num_syms | names | markers |
# token_table | token_index | offsets | relative_base (6.4+), without
# relative_base when placerel (7.0).  banner: "Linux version" at
# linux_banner's address, as the checks of decoded tables want it.
def build(syms, pad=0, scan=False, percpu=False, order='old',
          placerel=False, banner=False, stext=False):
    mem = b'\0' * pad
    base = 0x1000
    n = len(syms)
    rb_at = 0xffffffff
    if order == 'old':
        off_at = len(mem)
        mem += offsets(syms, off_at, percpu, placerel)
        rb_at = len(mem); mem += struct.pack('<Q', 0xffffffff81000000 + base)
    ns_at = len(mem); mem += align(struct.pack('<I', n))
    names_at = len(mem)
    names = b''
    markers = []
    for i, (t, name, a) in enumerate(syms):
        if i % 256 == 0:
            markers.append(len(names))
        s = (t + name).encode()
        names += bytes([len(s)]) + s
    mem += align(names)
    mem += align(struct.pack('<%dI' % len(markers), *markers))
    tt_at = len(mem)
    toks = [bytes([k]) if 0x21 <= k < 0x7f else b'?' for k in range(256)]
    table = b''
    index = []
    for t in toks:
        index.append(len(table))
        table += t + b'\0'
    mem += align(table)
    ti_at = len(mem)
    mem += struct.pack('<256H', *index)
    if order == 'new':
        off_at = len(mem)
        mem += offsets(syms, off_at, percpu, placerel)
        if not placerel:
            rb_at = len(mem)
            mem += struct.pack('<Q', 0xffffffff81000000 + base)
        mem += b'\0' * 16  # kallsyms_seqs_of_names, not read
    if banner:
        mem = mem.ljust(BANNER_AT, b'\0') + b'Linux version 6.1.0-fuzz (x) #1\n\0'
    # Flag bit 1: VMCOREINFO names _stext too (at base), which the
    # lookups before a full load need.
    hdr = struct.pack('<8I', ns_at, names_at, tt_at, ti_at, off_at, rb_at,
                      (1 if scan else 0) | (2 if stext else 0),
                      base if stext else 0)
    return hdr + mem

syms = [('T', '_stext', 0x1000), ('T', 'start_kernel', 0x1100),
        ('D', 'init_task', 0x1800), ('R', 'linux_banner', 0x2000),
        ('B', '_end', 0xf000)]
many = [('t', 'f%05d' % i, 0x1000 + 16 * i) for i in range(600)]
# The scan wants two markers at least (257 symbols and more): small seeds
# keep the fuzzer fast.
some = many[:300]
out = sys.argv[1]
open(out + '/seed-small', 'wb').write(build(syms, banner=True))
# 6.4+: the offsets after the token index, found through VMCOREINFO and by
# the scan; 7.0: place-relative offsets and no kallsyms_relative_base.
open(out + '/seed-new-order', 'wb').write(build(syms, order='new', banner=True))
open(out + '/seed-new-order-scan', 'wb').write(
    build(some, pad=64, scan=True, order='new'))
open(out + '/seed-placerel', 'wb').write(
    build(syms, order='new', placerel=True, banner=True))
open(out + '/seed-placerel-scan', 'wb').write(
    build(some, pad=64, scan=True, order='new', placerel=True))
open(out + '/seed-600', 'wb').write(build(many))
open(out + '/seed-percpu', 'wb').write(build(
    [('A', 'fixed_percpu_data', 0), ('A', 'cpu_debug_store', 0x1000)] + syms,
    percpu=True, banner=True))
open(out + '/seed-scan', 'wb').write(build(some, pad=64, scan=True))
# Single-name lookups before the full load (VMCOREINFO gives _stext).
open(out + '/seed-small-quick', 'wb').write(
    build(syms, banner=True, stext=True))
open(out + '/seed-percpu-quick', 'wb').write(build(
    [('A', 'fixed_percpu_data', 0), ('A', 'cpu_debug_store', 0x1000)] + syms,
    percpu=True, banner=True, stext=True))
open(out + '/seed-placerel-quick', 'wb').write(
    build(syms, order='new', placerel=True, banner=True, stext=True))
