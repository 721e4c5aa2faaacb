#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
#
# mkelf-selftest.sh: check the generator against an independent ELF reader
# (binutils readelf), so that a test failure points at the library and not
# at mkelf.  Skips (77) without readelf.
#
# Environment: MKELF as for run-spec.sh.
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
MKELF=${MKELF:-$top/build/mkelf}
data=$top/tests/data
if ! command -v readelf >/dev/null 2>&1; then
	echo "mkelf-selftest: no readelf; skipped"
	exit 77
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mkelf-selftest.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
fails=0

# expect WHAT FILE PATTERN: FILE (readelf output) has a line matching the
# extended regular expression PATTERN.
expect() {
	if grep -E -q -e "$3" "$2"; then
		echo "ok   $1"
	else
		echo "FAIL $1: no line matches '$3' in:"
		cat "$2"
		fails=$((fails + 1))
	fi
}

"$MKELF" -o "$tmp/4l.elf" "$data/elf-x86_64-4level.spec" || exit 1
readelf -hlnW "$tmp/4l.elf" >"$tmp/4l.txt" 2>&1
expect "ET_CORE" "$tmp/4l.txt" 'Type: +CORE'
expect "EM_X86_64" "$tmp/4l.txt" 'Machine: +Advanced Micro Devices X86-64'
expect "little-endian ELF64" "$tmp/4l.txt" 'Data: +2.s complement, little endian'
expect "3 program headers" "$tmp/4l.txt" 'Number of program headers: +3$'
expect "PT_LOAD page tables" "$tmp/4l.txt" \
    'LOAD +0x[0-9a-f]+ 0x0+ 0x0+4a0a000 0x004000 0x004000'
expect "VMCOREINFO note" "$tmp/4l.txt" 'VMCOREINFO +0x000000cf'
expect "NT_PRSTATUS notes" "$tmp/4l.txt" 'CORE +0x00000150.*NT_PRSTATUS'

"$MKELF" -o "$tmp/q.elf" "$data/elf-x86_64-qemu-cr3.spec" || exit 1
readelf -nW "$tmp/q.elf" >"$tmp/q.txt" 2>&1
# cr3 (0x7801) at offset 416 of the 440-byte QEMUCPUState: in readelf's
# hex dump, byte 416 starts at column 416 * 3.
expect "QEMU note of 440 bytes" "$tmp/q.txt" 'QEMU +0x000001b8'
expect "QEMU note cr3 at 416" "$tmp/q.txt" \
    "description data: ($(printf '[0-9a-f]{2} %.0s' $(seq 416)))01 78 00 00"

"$MKELF" -o "$tmp/x.elf" "$data/elf-x86_64-xnum.spec" || exit 1
readelf -hW "$tmp/x.elf" >"$tmp/x.txt" 2>&1
expect "PN_XNUM with sh_info 3" "$tmp/x.txt" \
    'Number of program headers: +65535 \(3\)'

"$MKELF" -o "$tmp/z.elf" "$data/elf-x86_64-zerofill.spec" || exit 1
readelf -lW "$tmp/z.elf" >"$tmp/z.txt" 2>&1
expect "p_filesz < p_memsz" "$tmp/z.txt" \
    'LOAD +0x[0-9a-f]+ 0x0+ 0x0+100000 0x001800 0x003000'

# Mistakes in a spec: exit 2 and a message naming the line.
printf 'machine 62\nload paddr=0x1000\nend\n' |
    "$MKELF" -o "$tmp/bad.elf" >"$tmp/err.txt" 2>&1
rc=$?
echo "exit $rc" >>"$tmp/err.txt"
expect "bad spec is refused" "$tmp/err.txt" \
    '^mkelf: <stdin>:2: load needs paddr= and memsz=$'
expect "bad spec exits 2" "$tmp/err.txt" '^exit 2$'

if [ $fails -gt 0 ]; then
	echo "mkelf-selftest: $fails checks failed"
	exit 1
fi
echo "mkelf-selftest: all checks passed"
