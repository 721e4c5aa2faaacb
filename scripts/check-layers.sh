#!/bin/sh
# Layering rules of STYLE B1: plug-ins include only the core's headers and
# their own directory's; the library never prints, exits or reads the
# environment (the one printer is kvm_report() in src/kvm.c, for
# kvm_open()'s Sun semantics).
set -eu
cd "$(dirname "$0")/.."
fail=0
for dir in format arch sym types proc stack dump; do
	[ -d src/$dir ] || continue
	for f in src/$dir/*.[ch]; do
		[ -e "$f" ] || continue
		grep -n '#include "' "$f" | while IFS= read -r line; do
			inc=$(echo "$line" | sed 's/.*#include "\(.*\)".*/\1/')
			case $inc in
			../*/*) echo "$f: includes another plug-in's header: $inc"; exit 1 ;;
			../*.h | *.h) ;;
			esac
		done || fail=1
	done
done
if grep -nE '\b(printf|fprintf|puts|fputs|perror|exit|_exit|abort|getenv|secure_getenv)\(' src/*.c src/*/*.c | grep -v '^src/kvm.c:.*fprintf(stderr'; then
	echo "check-layers: the library must not print, exit or read the environment" >&2
	fail=1
fi
[ $fail -eq 0 ] && echo "check-layers: ok"
exit $fail
