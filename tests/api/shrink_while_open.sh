#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# A dump file truncated while open, as ELF (pages copied from the
# mapping) and as kdump (pages decompressed from it): shrink_while_open.c.
#   shrink_while_open.sh KCORE MKELF PROG TMPDIR
set -u
kcore=$1 mkelf=$2 prog=$3 tmp=$4
w=$tmp/shrink-while-open
rm -rf "$w"; mkdir -p "$w" || exit 1
trap 'rm -rf "$w"' EXIT
printf 'vmcoreinfo\nOSRELEASE=6.1.0-shrink\nPAGESIZE=4096\nend\nload paddr=0x100000 memsz=8M fill=addr\nend\n' |
	"$mkelf" -o "$w/elf" || exit 1
"$kcore" -M "$w/elf" dump -q --format kdump --compress zlib "$w/kdump" || exit 1
fail=0
for f in elf kdump; do
	echo "$f:"
	"$prog" "$w/$f" || fail=1
done
exit $fail
