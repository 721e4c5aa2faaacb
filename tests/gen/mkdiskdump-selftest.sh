#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
#
# mkdiskdump-selftest.sh: check the generator against an independent
# implementation, so that a test failure points at the library and not at
# mkdiskdump: each tests/data/flat-*.spec stream, rearranged by Debian's
# makedumpfile -R, must be byte for byte the kdump file that mkdiskdump
# writes for the same spec (-F kdump).  That checks the flattened writer
# (header, record order and overlap, holes) against makedumpfile's own
# reader.  Skips (77) without makedumpfile.
#
# Environment: MKDISKDUMP as for run-spec.sh.
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
MKDISKDUMP=${MKDISKDUMP:-$top/build/mkdiskdump}
data=$top/tests/data
if ! command -v makedumpfile >/dev/null 2>&1; then
	echo "mkdiskdump-selftest: no makedumpfile; skipped"
	exit 77
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mkdiskdump-selftest.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
fails=0 n=0
for spec in "$data"/flat-*.spec; do
	name=$(basename "$spec" .spec)
	n=$((n + 1))
	if ! "$MKDISKDUMP" -o "$tmp/a.flat" "$spec" ||
	    ! "$MKDISKDUMP" -F kdump -o "$tmp/a.kdump" "$spec"; then
		echo "FAIL $name: mkdiskdump failed"
		fails=$((fails + 1))
		continue
	fi
	rm -f "$tmp/b.kdump"
	if ! makedumpfile -R "$tmp/b.kdump" <"$tmp/a.flat" \
	    >"$tmp/log" 2>&1; then
		echo "FAIL $name: makedumpfile -R refused the stream:"
		cat "$tmp/log"
		fails=$((fails + 1))
		continue
	fi
	if ! cmp "$tmp/a.kdump" "$tmp/b.kdump"; then
		echo "FAIL $name: makedumpfile -R gives another file"
		fails=$((fails + 1))
		continue
	fi
	echo "ok   $name"
done
if [ "$n" -eq 0 ]; then
	echo "mkdiskdump-selftest: no flat-*.spec"
	exit 1
fi
[ "$fails" -eq 0 ]
