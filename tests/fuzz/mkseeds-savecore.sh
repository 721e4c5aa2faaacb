#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
#
# mkseeds-savecore.sh [KCORE]: regenerate corpus/savecore, the seeds of
# fuzz_savecore: the compact kdump seed of corpus/kdump written by kcore
# dump to a 96 KiB device (lz4 and zlib), from the dump's first byte (64
# KiB in) to the device's end, after one byte of options for the target
# (bit 0: -f; bits 1-2: the output format, kcore, kdump, elf).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
KCORE=${1:-$top/build/kcore}
src=$here/corpus/kdump/seed-zlib
out=$here/corpus/savecore
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mkseeds-savecore.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$out"
rm -f "$out"/seed-*
for c in lz4 zlib; do
	rm -f "$tmp/dev"
	truncate -s 96K "$tmp/dev"
	# A Linux swap signature by hand (mkswap refuses so small a file).
	printf 'SWAPSPACE2' | dd of="$tmp/dev" bs=1 seek=4086 conv=notrunc 2>/dev/null
	"$KCORE" -M "$src" dump -q --compress $c "$tmp/dev"
	tail -c +65537 "$tmp/dev" >"$tmp/body"
	for f in 0 1 2 4; do
		{ printf "\\$(printf %o $f)"; cat "$tmp/body"; } >"$out/seed-$c-opt$f"
	done
done
ls -la "$out"
