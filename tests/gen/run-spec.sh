#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
#
# run-spec.sh [-u] SPEC: build a dump from tests/data/SPEC, run kcore on it
# and diff what it prints with SPEC's .expect file (the libkdumpfile tests/
# model: generator + checker + expected output).
#
# The spec's name picks the generator and the dump's name:
#   elf-*    mkelf                          dump.elf
#   kdump-*  mkdiskdump (format kdump)      dump.kdump
#   flat-*   mkdiskdump (format flat)       dump.flat
#   lime-*   mkdiskdump (format lime)       dump.lime
#   raw-*    mkdiskdump (format raw)        dump.raw
# (the spec itself says "format ..."; the name only has to agree).
#
# kcore runs as "kcore -M DUMP --json info", then once per "#run: ARGS"
# line of the spec as "kcore -M DUMP ARGS"; a "#kvmread: ARGS" line runs
# the checker as "kvmread -M DUMP ARGS" (physical reads, -z for
# KVM_ZERO_EXCLUDED, -r for KVM_RAW_PHYS), in spec order with the #run
# lines.  For each run the transcript has "$ kcore ARGS" (or "$ kvmread
# ARGS"), its stdout, its stderr lines prefixed "stderr: ", and "exit N".
# The dump is built in a temporary directory under the fixed name above,
# so messages that name the file are the same everywhere.
#
#   -u      write the transcript to the .expect file instead of diffing
#           (review the result before committing it)
#
# Environment: MKELF, MKDISKDUMP, KVMREAD and KCORE, the programs (default:
# build/ of the source tree).
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
MKELF=${MKELF:-$top/build/mkelf}
MKDISKDUMP=${MKDISKDUMP:-$top/build/mkdiskdump}
KVMREAD=${KVMREAD:-$top/build/kvmread}
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
case $MKDISKDUMP in /*) ;; *) MKDISKDUMP=$(pwd)/$MKDISKDUMP ;; esac
case $KVMREAD in /*) ;; *) KVMREAD=$(pwd)/$KVMREAD ;; esac
case $KCORE in /*) ;; *) KCORE=$(pwd)/$KCORE ;; esac
case $(basename "$spec") in
elf-*) gen=$MKELF dump=dump.elf ;;
kdump-*) gen=$MKDISKDUMP dump=dump.kdump ;;
flat-*) gen=$MKDISKDUMP dump=dump.flat ;;
lime-*) gen=$MKDISKDUMP dump=dump.lime ;;
raw-*) gen=$MKDISKDUMP dump=dump.raw ;;
*)
	echo "run-spec: $spec: name does not start with elf-, kdump-, flat-, lime- or raw-" >&2
	exit 1
	;;
esac
progs="$gen $KCORE"
if grep -q '^#kvmread:' "$spec"; then
	progs="$progs $KVMREAD"
fi
for prog in $progs; do
	if [ ! -x "$prog" ]; then
		echo "run-spec: $prog: not built" >&2
		exit 1
	fi
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/run-spec.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1

if ! "$gen" -o "$dump" "$spec"; then
	echo "run-spec: $(basename "$gen") failed on $spec" >&2
	exit 1
fi

# run PROG NAME ARGS...: one transcript entry.  A signal shows as exit
# >= 128, and a run that hangs is stopped after 30 seconds (exit 124).
run() {
	prog=$1 pname=$2
	shift 2
	echo "\$ $pname $*"
	timeout 30 "$prog" -M "$dump" "$@" >out 2>err
	rc=$?
	cat out
	sed 's/^/stderr: /' err
	echo "exit $rc"
}

{
	run "$KCORE" kcore --json info
	grep -E '^#(run|kvmread):' "$spec" | while read -r kind args; do
		# Word splitting of $args is intended: the line holds arguments.
		# shellcheck disable=SC2086
		case $kind in
		'#run:') run "$KCORE" kcore $args ;;
		*) run "$KVMREAD" kvmread $args ;;
		esac
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
