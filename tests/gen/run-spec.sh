#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
#
# run-spec.sh [-u] SPEC: build a dump from tests/data/SPEC with mkelf, run
# kcore on it and diff what it prints with SPEC's .expect file (the
# libkdumpfile tests/ model: generator + checker + expected output).
#
# kcore runs as "kcore -M dump.elf --json info", then once per "#run: ARGS"
# line of the spec as "kcore -M dump.elf ARGS".  For each run the transcript
# has "$ kcore ARGS", its stdout, its stderr lines prefixed "stderr: ", and
# "exit N".  The dump is built in a temporary directory and named dump.elf,
# so messages that name the file are the same everywhere.
#
#   -u      write the transcript to the .expect file instead of diffing
#           (review the result before committing it)
#
# Environment: MKELF and KCORE, the two programs (default: build/ of the
# source tree).
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
MKELF=${MKELF:-$top/build/mkelf}
KCORE=${KCORE:-$top/build/kcore}

update=0
if [ "${1:-}" = "-u" ]; then
	update=1
	shift
fi
if [ $# -ne 1 ]; then
	echo "usage: run-spec.sh [-u] SPEC" >&2
	exit 2
fi
case $1 in
/*) spec=$1 ;;
*) spec=$(pwd)/$1 ;;
esac
expect=${spec%.spec}.expect
# Relative program paths stop working once we cd to the temporary dir.
case $MKELF in /*) ;; *) MKELF=$(pwd)/$MKELF ;; esac
case $KCORE in /*) ;; *) KCORE=$(pwd)/$KCORE ;; esac
for prog in "$MKELF" "$KCORE"; do
	if [ ! -x "$prog" ]; then
		echo "run-spec: $prog: not built" >&2
		exit 1
	fi
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/run-spec.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1

if ! "$MKELF" -o dump.elf "$spec"; then
	echo "run-spec: mkelf failed on $spec" >&2
	exit 1
fi

# run ARGS...: one transcript entry.  A signal shows as exit >= 128, and a
# run that hangs is stopped after 30 seconds (exit 124).
run() {
	echo "\$ kcore $*"
	timeout 30 "$KCORE" -M dump.elf "$@" >out 2>err
	rc=$?
	cat out
	sed 's/^/stderr: /' err
	echo "exit $rc"
}

{
	run --json info
	grep '^#run:' "$spec" | sed 's/^#run:[ 	]*//' | while read -r args; do
		# Word splitting of $args is intended: the line holds arguments.
		# shellcheck disable=SC2086
		run $args
	done
} >transcript

if [ "$update" -eq 1 ]; then
	cp transcript "$expect"
	echo "run-spec: wrote $expect"
	exit 0
fi
if [ ! -f "$expect" ]; then
	echo "run-spec: $expect is missing; transcript:" >&2
	cat transcript >&2
	exit 1
fi
if ! diff -u "$expect" transcript; then
	echo "run-spec: $(basename "$spec"): output differs from $(basename "$expect")" >&2
	exit 1
fi
exit 0
