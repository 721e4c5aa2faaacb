#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Edit the dump on a dump device as an adversary would, for
savecore_hostile.sh.  The layout is src/kvmdump_disk.h's, written out
here from the header file's comments, not shared with the library.

  edit_dumpdev.py DEVICE FIELD=VALUE ... [--resum] [--resum-cpu]
                  [--no-cpu-sum] [--corrupt-page] [--show]

FIELD: a header field (hdr.data_size, hdr.page_size, hdr.crash_time,
hdr.flags) or a CPU segment field (cpu.data_size, cpu.page_size,
cpu.nranges, cpu.pgtable_levels, cpu.kaslr_offset).  --resum-cpu puts
the CPU segment's new crc32 in the header, --resum the header's own
(both: a forger who knows the format); --no-cpu-sum clears the header's
CPU-sum flag (a dump as written before the sum existed); --corrupt-page
flips bytes in the middle of the first chunk's page data.
"""
import struct
import sys
import zlib

DEV_OFF = 65536
HDR = {  # name: (offset, struct format)
    'magic': (0, '8s'), 'version': (8, '<I'), 'flags': (12, '<I'),
    'header_size': (16, '<I'), 'page_size': (20, '<I'),
    'cpu_offset': (24, '<Q'), 'data_offset': (32, '<Q'),
    'data_size': (40, '<Q'), 'index_offset': (48, '<Q'),
    'index_count': (56, '<Q'), 'crash_time': (64, '<Q'),
    'dump_time': (72, '<Q'), 'level': (80, '<I'), 'compress': (84, '<I'),
    'cpu_len': (188, '<I'), 'cpu_crc': (192, '<I'), 'crc': (508, '<I'),
}
# After the 8-byte kcore_seg of the CPU segment.
CPU = {
    'e_machine': (0, '<H'), 'page_size': (4, '<I'),
    'pgtable_root': (8, '<Q'), 'pgtable_levels': (16, '<i'),
    'kaslr_known': (20, '<I'), 'kaslr_offset': (24, '<q'),
    'nranges': (32, '<I'), 'ncpus': (36, '<I'), 'vmcoreinfo_len': (40, '<I'),
    'flags': (44, '<I'), 'data_size': (48, '<Q'),
    'index_offset': (56, '<Q'), 'index_count': (64, '<Q'),
    'level': (72, '<I'), 'compress': (76, '<I'), 'crash_time': (80, '<Q'),
}
F_CPU_CRC = 16


def main():
    dev = sys.argv[1]
    with open(dev, 'r+b') as f:
        f.seek(DEV_OFF)
        h = bytearray(f.read(512))
        cpu_off = DEV_OFF + struct.unpack_from('<Q', h, 24)[0]
        data_off = DEV_OFF + struct.unpack_from('<Q', h, 32)[0]
        f.seek(cpu_off)
        cpu = bytearray(f.read(data_off - cpu_off))
        for arg in sys.argv[2:]:
            if arg == '--show':
                for k, (o, fmt) in HDR.items():
                    print('hdr.%s = %r' % (k, struct.unpack_from(fmt, h, o)[0]))
                for k, (o, fmt) in CPU.items():
                    print('cpu.%s = %r' % (k, struct.unpack_from(fmt, cpu, 8 + o)[0]))
            elif arg == '--resum-cpu':
                n = struct.unpack_from('<I', h, 188)[0]
                struct.pack_into('<I', h, 192, zlib.crc32(bytes(cpu[:n])))
            elif arg == '--no-cpu-sum':
                fl = struct.unpack_from('<I', h, 12)[0]
                struct.pack_into('<I', h, 12, fl & ~F_CPU_CRC)
            elif arg == '--resum':
                struct.pack_into('<I', h, 508, 0)
                struct.pack_into('<I', h, 508, zlib.crc32(bytes(h)))
            elif arg == '--corrupt-page':
                # The first chunk: 32-byte header, 4 bytes an entry, data.
                f.seek(data_off + 8)
                ch = f.read(32)
                npages = struct.unpack_from('<I', ch, 16)[0]
                p = data_off + 8 + 32 + 4 * npages + 100
                f.seek(p)
                b = bytearray(f.read(64))
                f.seek(p)
                f.write(bytes(x ^ 0x5a for x in b))
            else:
                name, val = arg.split('=', 1)
                where, field = name.split('.')
                table, buf, base = (HDR, h, 0) if where == 'hdr' else (CPU, cpu, 8)
                o, fmt = table[field]
                struct.pack_into(fmt, buf, base + o, int(val, 0))
        f.seek(DEV_OFF)
        f.write(h)
        f.seek(cpu_off)
        f.write(cpu)


if __name__ == '__main__':
    main()
