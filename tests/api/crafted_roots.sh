#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# The x86_64 page-table root scan on a LiME image whose every page looks
# like a root leading to a banner-less kernel image (mklime_roots.py),
# 48 MiB of it, candidates alike and all different: the scan's budget
# counts what it reads, so it ends (before 20 s even under sanitizers:
# the quadratic scan took 73 s) and says no root was found.
#   crafted_roots.sh KCORE TMPDIR
set -u
kcore=$1 tmp=$2
here=$(cd "$(dirname "$0")" && pwd)
w=$tmp/crafted-roots
rm -rf "$w"; mkdir -p "$w" || exit 1
trap 'rm -rf "$w"' EXIT
fail=0
for kind in same distinct; do
	python3 "$here/mklime_roots.py" "$w/$kind.lime" 48 $kind || exit 1
	timeout 20 "$kcore" -M "$w/$kind.lime" info >"$w/out" 2>&1; st=$?
	if [ $st = 0 ] && grep -q "page tables *none found" "$w/out"; then
		echo "ok    48 MiB of roots ($kind): the scan ends, no root"
	else
		echo "FAIL  48 MiB of roots ($kind): exit $st: $(cat "$w/out")"
		fail=1
	fi
	timeout 20 "$kcore" -M "$w/$kind.lime" read 0xffffffff81000000 8 >"$w/out" 2>&1; st=$?
	if [ $st != 0 ] && [ $st != 124 ]; then
		echo "ok    a kernel read ($kind) fails clearly: $(head -1 "$w/out")"
	else
		echo "FAIL  kernel read ($kind): exit $st"
		fail=1
	fi
done
exit $fail
