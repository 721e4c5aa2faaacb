#!/usr/bin/env python3
# Seeds for fuzz_kallsyms: small but valid kallsyms tables laid out as
# scripts/kallsyms.c writes them (offsets, relative_base, num_syms, names,
# markers, token_table, token_index), behind fuzz_kallsyms.c's 32-byte
# header.  Tokens are single characters, so a name's tokens are its bytes.
#   mkseeds-kallsyms.py OUTDIR
import struct, sys

def align(b, n=8):
    return b + b'\0' * (-len(b) % n)

def build(syms, pad=0, scan=False, percpu=False):
    mem = b'\0' * pad
    base = 0x1000
    n = len(syms)
    off_at = len(mem)
    offs = []
    for i, (t, name, a) in enumerate(syms):
        if percpu and t == 'A':
            offs.append(a)
        elif percpu:
            offs.append(-(a - base) - 1)
        else:
            offs.append(a - base)
    mem += align(struct.pack('<%di' % n, *offs))
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
    hdr = struct.pack('<8I', ns_at, names_at, tt_at, ti_at, off_at, rb_at,
                      1 if scan else 0, 0)
    return hdr + mem

syms = [('T', '_stext', 0x1000), ('T', 'start_kernel', 0x1100),
        ('D', 'init_task', 0x9000), ('R', 'linux_banner', 0xa000),
        ('B', '_end', 0xf000)]
many = [('t', 'f%05d' % i, 0x1000 + 16 * i) for i in range(600)]
out = sys.argv[1]
open(out + '/seed-small', 'wb').write(build(syms))
open(out + '/seed-600', 'wb').write(build(many))
open(out + '/seed-percpu', 'wb').write(build(
    [('A', 'fixed_percpu_data', 0), ('A', 'cpu_debug_store', 0x1000)] + syms,
    percpu=True))
open(out + '/seed-scan', 'wb').write(build(many, pad=70000, scan=True))
