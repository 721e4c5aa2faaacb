#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
#
# mkseeds-vmcoreinfo.sh [FIXTURES]: regenerate corpus/vmcoreinfo, the seeds
# of fuzz_vmcoreinfo, from the real VMCOREINFO notes of the fixtures
# (FIXTURES, default ../shared/fixtures: x86_64-6.1 and aarch64-6.1,
# truth/vmcoreinfo.txt) and by hand.  No seed is a whole note:
#   real-*-head, -tail  the first 70 and the last 70 lines of a real note,
#                       the head NUL-padded as the kernel pads its note
#   real-*-damaged      the tail with values broken the ways a hostile dump
#                       breaks them (trailing blanks, signs, 0x twice, 2^64)
#   real-*-crlf         lines 20-60 with CRLF endings, no final newline
#   seed-*              hand-written: duplicates, number edge cases, long
#                       and odd keys, the arch keys translation reads
# Each seed is a few KiB at most.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
FIXTURES=${1:-$top/../shared/fixtures}
out=$here/corpus/vmcoreinfo
mkdir -p "$out"
rm -f "$out"/real-* "$out"/seed-*

for set in x86_64-6.1 aarch64-6.1; do
	v=$FIXTURES/$set/truth/vmcoreinfo.txt
	[ -f "$v" ] || continue
	{ head -n 70 "$v"; head -c 300 /dev/zero; } >"$out/real-$set-head"
	tail -n 70 "$v" >"$out/real-$set-tail"
	tail -n 70 "$v" | sed -e '1~7s/$/ /' -e '2~7s/=/=-/' \
	    -e '3~7s/=\([0-9a-f]\)/=0x0x\1/' -e '4~7s/=.*/=18446744073709551616/' \
	    -e '5~7s/=.*/=/' -e '6~7s/^/=/' >"$out/real-$set-damaged"
	sed -n '20,60p' "$v" | sed 's/$/\r/' | head -c -1 >"$out/real-$set-crlf"
done

seed() {
	printf '%b' "$2" >"$out/seed-$1"
}
# Later duplicates win; a broken later one hides a good earlier one.
seed dups 'SYMBOL(init_top_pgt)=ffffffff81010000\nSYMBOL(init_top_pgt)=ffffffff82010000\nNUMBER(phys_base)=5\nNUMBER(phys_base)=x\nPAGESIZE=4096\nPAGESIZE=16384\n'
# NUMBER(): INT64_MIN and one below, 2^63, 2^64 - 1 and 2^64, hex, octal.
seed numbers 'NUMBER(a)=-9223372036854775808\nNUMBER(b)=-9223372036854775809\nNUMBER(c)=9223372036854775808\nNUMBER(d)=18446744073709551615\nNUMBER(e)=18446744073709551616\nNUMBER(f)=0xffffffffffffffff\nNUMBER(g)=0x10000000000000000\nNUMBER(h)=010\nNUMBER(i)=-0x10\nNUMBER(j)=0X1f\nNUMBER(k)=-\nNUMBER(l)=0x\nNUMBER(m)=+5\nNUMBER(n)= 5\nNUMBER(o)=--5\n'
# Hex and decimal getters: blanks, signs, prefixes, empty values.
seed values 'SYMBOL(a)=0xffffffff81000000\nSYMBOL(b)=0X0\nSYMBOL(c)=ffffffff8100000g\nSYMBOL(d)=\nSYMBOL(e)=0x0x1\nOFFSET(f.g)=12 \nOFFSET(h.i)=0x10\nSIZE(j)=-1\nLENGTH(k)=00000000000000000000000000000000000000012\nKERNELOFFSET=3a000000\nCRASHTIME=1700000000\nKERNELOFFSET2=+1\n'
# Odd lines: no '=', '=' first, '=' in the value, empty lines, a NUL.
seed odd 'no equals sign\n=value without a key\nKEY=a=b=c\n\n\nSYMBOL()=10\nSYMBOL(x\nSYMBOL(y))=20\nSYMBOL((z)=30\nOFFSET(.)=1\nlast=1\000SYMBOL(hidden)=ffff\n'
# A key past the getters' 256-byte buffer, and one just inside it.
long=$(printf '%0247d' 0 | tr 0 n)
seed long "SYMBOL(${long})=1\nSYMBOL(${long}m)=2\nSYMBOL(${long}mm)=3\nOFFSET(${long}${long}.x)=4\n"
# What translation reads, x86_64 (4 and 5 levels) and arm64.
seed x86 'OSRELEASE=6.1.0-seed\nPAGESIZE=4096\nSYMBOL(init_top_pgt)=ffffffff81010000\nSYMBOL(_stext)=ffffffff81000000\nNUMBER(phys_base)=-15728640\nNUMBER(pgtable_l5_enabled)=1\nKERNELOFFSET=0\n'
seed arm64-52 'OSRELEASE=6.1.0-seed\nPAGESIZE=65536\nNUMBER(VA_BITS)=52\nNUMBER(TCR_EL1_T1SZ)=0x10\nNUMBER(kimage_voffset)=0xffff7fffc0000000\nSYMBOL(swapper_pg_dir)=ffff800009c80000\nSYMBOL(_stext)=ffff800008010000\nKERNELOFFSET=0\n'
seed arm64-bad 'PAGESIZE=8192\nNUMBER(VA_BITS)=53\nNUMBER(TCR_EL1_T1SZ)=11\nNUMBER(kimage_voffset)=-1\nSYMBOL(swapper_pg_dir)=8000000000000000\n'
# kallsyms tables named but unreadable (no memory): the symbols still load.
seed kallsyms 'SYMBOL(kallsyms_names)=ffffffff82000000\nSYMBOL(kallsyms_num_syms)=ffffffff81ffff00\nSYMBOL(kallsyms_token_table)=ffffffff82100000\nSYMBOL(kallsyms_token_index)=ffffffff82100400\nSYMBOL(kallsyms_offsets)=ffffffff81f00000\nSYMBOL(kallsyms_relative_base)=ffffffff81ffff08\nSYMBOL(_init_task)=ffffffff82a00000\nSYMBOL(init_task)=1\n'
seed empty ''
ls -l "$out"
