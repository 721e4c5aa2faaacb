#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
#
# check_calls_caught.sh CHECK-CALLS CC: check-calls.sh on small object
# trees: a format that calls an arch function and a dump writer that calls
# a format's are refused, each named; the same trees without those calls,
# and a proc file calling types (a layer below), pass.
set -eu
check=$1
cc=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

obj() { # obj DIR NAME C-SOURCE
	mkdir -p "$tmp/$1"
	printf '%s\n' "$3" >"$tmp/$1/$2.c"
	"$cc" -c -o "$tmp/$1/$2.c.o" "$tmp/$1/$2.c"
}

obj src/arch walk 'int kvm_arch_walk(void) { return 1; }'
obj src/types btf 'int kvm_types_x(void) { return 2; }'
obj src/proc tasks 'int kvm_types_x(void); int p(void) { return kvm_types_x(); }'
obj src/format lime 'int kvm_lime_read(void) { return 3; }'
obj src/dump write 'int kvm_dump_write(void) { return 4; }'

sh "$check" "$tmp/src" >"$tmp/out" || {
	echo "FAIL: a tree without calls across layers was refused:" >&2
	cat "$tmp/out" >&2
	exit 1
}

obj src/format elf 'int kvm_arch_walk(void); int e(void) { return kvm_arch_walk(); }'
obj src/dump kdump 'int kvm_lime_read(void); int d(void) { return kvm_lime_read(); }'
if sh "$check" "$tmp/src" >"$tmp/out" 2>&1; then
	echo "FAIL: calls across layers passed:" >&2
	cat "$tmp/out" >&2
	exit 1
fi
for want in "src/format/elf.c calls kvm_arch_walk of src/arch/" \
    "src/dump/kdump.c calls kvm_lime_read of src/format/"; do
	grep -qF "$want" "$tmp/out" || {
		echo "FAIL: not reported: $want" >&2
		cat "$tmp/out" >&2
		exit 1
	}
done
echo "ok: both calls across layers refused and named"
