#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
#
# libbpf_quiet.sh KCORE DUMP CC DIR: the library keeps libbpf's own
# printing off (kcore does not ask it to): a --btf file that libbpf
# refuses with a warning of its own gives kcore's one message, and no
# "libbpf:" line, on stderr.
set -eu
kcore=$1 dump=$2 cc=$3 dir=$4
command -v objcopy >/dev/null || { echo "no objcopy: skipped"; exit 77; }
work=$(mktemp -d "$dir/libbpf_quiet.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM

# An ELF whose .BTF has the magic in the other byte order and a header
# length libbpf cannot swap: it says so with a warning (libbpf 1.1).
printf '\353\237\001\000\000\000\000\231' >"$work/btf.bin"
head -c 64 /dev/zero >>"$work/btf.bin"
echo 'int x;' >"$work/e.c"
"$cc" -c -o "$work/e.o" "$work/e.c"
objcopy --add-section .BTF="$work/btf.bin" "$work/e.o" "$work/bad.o"

if "$kcore" -M "$dump" --btf "$work/bad.o" sizeof task_struct \
    >"$work/out" 2>"$work/err"; then
	echo "FAIL: a BTF that libbpf refuses was used" >&2
	exit 1
fi
if grep -q '^libbpf' "$work/err"; then
	echo "FAIL: libbpf printed:" >&2
	cat "$work/err" >&2
	exit 1
fi
grep -q 'bad.o' "$work/err" || {
	echo "FAIL: the error does not name the file:" >&2
	cat "$work/err" >&2
	exit 1
}
echo "ok: $(cat "$work/err")"
