#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
#
# mkseeds-tasks.sh [FIXTURES [MKSEEDS]]: regenerate corpus/tasks and
# corpus/btf, the seeds of fuzz_tasks and fuzz_btf, from the kdump of each
# fixture set (FIXTURES, default ../shared/fixtures) with MKSEEDS (default
# build/mkseeds_tasks; mkseeds-tasks.c says what it writes).  Also, for
# fuzz_btf: each cut BTF inside an ELF's .BTF section, as a vmlinux holds
# it, and an empty BTF (header and one NUL string).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
fixtures=${1:-$(dirname "$top")/shared/fixtures}
mkseeds=${2:-$top/build/mkseeds_tasks}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mkseeds-tasks.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$here/corpus/tasks" "$here/corpus/btf"
rm -f "$here"/corpus/tasks/real-* "$here"/corpus/tasks/hostile-* \
    "$here"/corpus/btf/real-* \
    "$here"/corpus/btf/seed-*
for dir in "$fixtures"/*/; do
	set=$(basename "$dir")
	[ -f "$dir/vmcore.kdump-zlib" ] || continue
	CORPUS=$here/corpus "$mkseeds" "$dir/vmcore.kdump-zlib" "$set"
	printf '' >"$tmp/empty.c"
	cc -c -o "$tmp/elf.o" "$tmp/empty.c"
	objcopy --add-section .BTF="$here/corpus/btf/real-$set" \
	    "$tmp/elf.o" "$here/corpus/btf/seed-elf-$set"
done
# struct btf_header: magic eB9F, version 1, flags 0, hdr_len 24, type_off
# 0, type_len 0, str_off 0, str_len 1; then the empty string.
printf '\237\353\001\000\030\000\000\000\000\000\000\000\000\000\000\000' \
    >"$here/corpus/btf/seed-empty"
printf '\000\000\000\000\001\000\000\000\000' >>"$here/corpus/btf/seed-empty"
