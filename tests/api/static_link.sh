#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# A program links statically against libkvm.a with nothing but what
# pkg-config --static says, and --cflags names no include path but ours.
#   static_link.sh BUILDDIR SRCDIR CC
set -u
build=$1 src=$2 cc=$3
pc() { PKG_CONFIG_PATH=$build pkg-config --define-variable=libdir="$build" \
	--define-variable=includedir="$src/include" "$@" libkvm; }
command -v pkg-config >/dev/null || { echo "pkg-config missing: skipped"; exit 77; }
if nm "$build/libkvm.a" 2>/dev/null | grep -qE ' U __(asan|ubsan|tsan|msan)_'; then
	echo "a sanitizer build's libkvm.a cannot be linked statically: skipped"
	exit 77
fi
cflags=$(pc --cflags | sed 's/ *$//') || { echo "FAIL  pkg-config --cflags libkvm"; exit 1; }
libs=$(pc --static --libs) || { echo "FAIL  pkg-config --static --libs libkvm"; exit 1; }
fail=0
[ "$cflags" = "-I$src/include" ] && echo "ok    --cflags is $cflags" ||
	{ echo "FAIL  --cflags carries more than our include path: $cflags"; fail=1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/prog.c" <<'C'
#include <fcntl.h>
#include <stdio.h>
#include <kvm.h>
int
main(void)
{
	char errbuf[KVM_ERRBUF_SIZE];
	kvm_t *kd = kvm_openfiles(NULL, "/dev/null", NULL, O_RDONLY, errbuf);
	printf("%s\n", kd ? "opened" : errbuf);
	return kd == NULL ? 0 : 1;
}
C
# shellcheck disable=SC2086
if "$cc" -static $cflags -o "$tmp/prog" "$tmp/prog.c" $libs >"$tmp/cc.log" 2>&1; then
	out=$("$tmp/prog") && echo "ok    static program runs: $out" ||
		{ echo "FAIL  static program: $out"; fail=1; }
	file "$tmp/prog" 2>/dev/null | grep -q "statically linked" || ldd "$tmp/prog" 2>&1 | grep -q "not a dynamic" ||
		{ echo "FAIL  the program is not static"; fail=1; }
else
	echo "FAIL  static link with pkg-config --static --libs libkvm ($libs):"
	head -c 2000 "$tmp/cc.log"
	fail=1
fi
exit $fail
