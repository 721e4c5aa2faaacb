#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
#
# mkseeds-kvmdump.sh [KCORE]: regenerate corpus/kvmdump, the seeds of
# fuzz_kvmdump, from the compact kdump seed of corpus/kdump (a few pages of
# x86_64 memory): kcore dump streams with each codec and dump level 1, a
# stream cut short, a dump device (swap signature, the dump 64 KiB in) and
# savecore's kcore file of it.  Each seed is a few KiB (the device ~70).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
KCORE=${1:-$top/build/kcore}
src=$here/corpus/kdump/seed-zlib
out=$here/corpus/kvmdump
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mkseeds-kvmdump.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$out"
rm -f "$out"/seed-*
for c in none zlib lzo snappy zstd lz4; do
	"$KCORE" -M "$src" dump -q --compress $c - >"$out/seed-stream-$c"
done
"$KCORE" -M "$src" dump -q -d 1 --compress lz4 - >"$out/seed-stream-level1"
head -c 1300 "$out/seed-stream-zlib" >"$out/seed-stream-cut"
truncate -s 96K "$tmp/dev"
# A Linux swap signature by hand (mkswap refuses so small a file).
printf 'SWAPSPACE2' | dd of="$tmp/dev" bs=1 seek=4086 conv=notrunc 2>/dev/null
"$KCORE" -M "$src" dump -q --compress zlib "$tmp/dev"
cp "$tmp/dev" "$out/seed-device"
mkdir "$tmp/crash"
"$KCORE" savecore -q --format kcore "$tmp/dev" "$tmp/crash"
cp "$tmp/crash/vmcore.0" "$out/seed-kcore"
ls -la "$out"
