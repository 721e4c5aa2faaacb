#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
#
# mkseeds.sh [MKELF] [VMCORE]: regenerate tests/fuzz/corpus/elf/ seeds.
#   seed-*, xfail-*  from tests/fuzz/seeds/*.spec (xfail-: known bugs,
#                    see standalone.c)
#   damage-*         seed-4level with one header or segment damaged
#   bad-*            the small tests/data/bad-*.spec inputs
#   real-*           the first 64 KiB of a real dump (ELF header, program
#                    headers and notes), when VMCORE is given
# Keep the corpus small (< 200 KiB): libFuzzer finds the rest itself.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
MKELF=${1:-$top/build/mkelf}
VMCORE=${2:-}
out=$here/corpus/elf
mkdir -p "$out"

for spec in "$here"/seeds/*.spec; do
	"$MKELF" -o "$out/$(basename "$spec" .spec)" "$spec"
done

# One damage per line: name, then the spec line appended to seed-4level.
while read -r name line; do
	{ cat "$here/seeds/seed-4level.spec"; echo "$line"; } |
	    "$MKELF" -o "$out/damage-$name"
done <<'LIST'
phentsize e_phentsize 32
phnum-max e_phnum 0xfffe
phoff-eof e_phoff 0x100000
xnum-huge xnum 1000000000
ptnote-eof ptnote p_filesz=0x1000000
note-descsz note VMCOREINFO 0 descsz=0x100000 4f5352454c454153453d36
class32 ident 4 1
truncated truncate 0x300
LIST

for name in trunc-ehdr trunc-phdrs trunc-notes no-load qemu-bad-size; do
	"$MKELF" -o "$out/bad-$name" "$top/tests/data/bad-$name.spec"
done
# Headers read around with a warning (e_phnum too large, p_memsz past the
# physical address space) and one refused.
for name in phnum-extra memsz-huge; do
	"$MKELF" -o "$out/warn-$name" "$top/tests/data/elf-x86_64-$name.spec"
done
"$MKELF" -o "$out/bad-load-past-phys-limit" \
    "$top/tests/data/bad-load-past-phys-limit.spec"
# Its top page is mapped, so the read at 2^64 - 8 meets the wrap bug of
# seeds/xfail-virt-wrap.spec: rename to bad-pgtable-loop once fixed.
"$MKELF" -o "$out/xfail-pgtable-loop" "$top/tests/data/bad-pgtable-loop.spec"

if [ -n "$VMCORE" ]; then
	head -c 65536 "$VMCORE" >"$out/real-x86_64-6.1-head64k"
fi
du -sh "$out"
