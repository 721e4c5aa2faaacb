#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
#
# badinput.sh SPEC: feed kcore a broken input and check that it fails the
# way a tool should (STYLE B5): one clear line on stderr, a non-zero exit
# status that is not a signal, within seconds, with bounded memory.
#
# SPEC is a tests/data/bad-*.spec file.  Its input is what mkelf builds
# from it (mkdiskdump for bad-kdump-*, bad-flat-*, bad-lime-* and
# bad-raw-*), unless a line says otherwise:
#   #input: empty        an empty file
#   #input: self         the spec file itself (a text file)
#   #input: /some/path   that file or device as is (/bin/sh, /dev/zero)
# Each "#check: ARGS | ok|fail [| TEXT]" line runs "kcore -M INPUT ARGS":
#   ok    exit 0 and nothing on stderr
#   fail  exit 1..123 and exactly one stderr line "kcore: ...", containing
#         TEXT when given
# Without #check lines: "info | fail" and "read 0xffffffff81000000 16 | fail".
# ARGS starting with the word "kvmread" run the checker instead, as
# "kvmread -M INPUT REST" (physical reads, -z, -r), and its one stderr line
# must start "kvmread: ".
#
# Whatever a check expects, a signal, a timeout or anything but one
# line on stderr fails the test (a sanitizer report is never one line).
#
# A line "#xfail: WHY" marks a known library bug: then failed checks (not
# signals, timeouts or sanitizer reports) pass as XFAIL, and a spec whose
# checks all pass fails as XPASS so that the mark gets removed.
#
# Limits: address space 256 MiB (ulimit -v) and 10 s, unless
# KVM_TEST_SANITIZED=1: ASan's shadow needs terabytes of address space, so
# there max_allocation_size_mb=256 makes any larger malloc abort instead,
# and the time limit is 60 s (ASan's realloc always copies: opening 8192
# CPU notes takes seconds).
#
# Environment: MKELF, MKDISKDUMP, KVMREAD, KCORE as for run-spec.sh.
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
MKELF=${MKELF:-$top/build/mkelf}
MKDISKDUMP=${MKDISKDUMP:-$top/build/mkdiskdump}
KVMREAD=${KVMREAD:-$top/build/kvmread}
KCORE=${KCORE:-$top/build/kcore}
AS_LIMIT_KB=262144
TIME_LIMIT=10
if [ "${KVM_TEST_SANITIZED:-0}" = 1 ]; then
	TIME_LIMIT=60
fi

if [ $# -ne 1 ]; then
	echo "usage: badinput.sh SPEC" >&2
	exit 2
fi
case $1 in
/*) spec=$1 ;;
*) spec=$(pwd)/$1 ;;
esac
case $MKELF in /*) ;; *) MKELF=$(pwd)/$MKELF ;; esac
case $MKDISKDUMP in /*) ;; *) MKDISKDUMP=$(pwd)/$MKDISKDUMP ;; esac
case $KVMREAD in /*) ;; *) KVMREAD=$(pwd)/$KVMREAD ;; esac
case $KCORE in /*) ;; *) KCORE=$(pwd)/$KCORE ;; esac
name=$(basename "$spec" .spec)
case $name in
bad-kdump-* | bad-flat-* | bad-lime-* | bad-raw-*) gen=$MKDISKDUMP ;;
*) gen=$MKELF ;;
esac

tmp=$(mktemp -d "${TMPDIR:-/tmp}/badinput.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1

input=$(sed -n 's/^#input:[ 	]*//p' "$spec" | head -n 1)
case $input in
"")
	if ! "$gen" -o bad.elf "$spec"; then
		echo "badinput: $(basename "$gen") failed on $spec" >&2
		exit 1
	fi
	input=bad.elf
	;;
empty) : >bad.elf && input=bad.elf ;;
self) input=$spec ;;
*)
	if [ ! -e "$input" ]; then
		echo "badinput: $input does not exist here; skipped"
		exit 77
	fi
	;;
esac
xfail=$(sed -n 's/^#xfail:[ 	]*//p' "$spec" | head -n 1)

# Run PROG (kcore or kvmread) under the limits; sets rc.  The exit status
# of timeout is 124 on expiry, 128+N when the command died of signal N.
limited() {
	prog=$1
	shift
	if [ "${KVM_TEST_SANITIZED:-0}" = 1 ]; then
		ASAN_OPTIONS=${ASAN_OPTIONS:-}:max_allocation_size_mb=256:detect_leaks=1 \
		    timeout -s KILL $TIME_LIMIT "$prog" "$@" >out 2>err
	else
		(ulimit -v $AS_LIMIT_KB && exec timeout -s KILL $TIME_LIMIT \
		    "$prog" "$@") >out 2>err
	fi
	rc=$?
}

nfail=0    # checks that failed for a reason #xfail may excuse
nhard=0    # checks that failed for a reason nothing excuses
ncheck=0

# check ARGS EXPECT TEXT
check() {
	args=$1 want=$2 text=$3
	ncheck=$((ncheck + 1))
	prog=$KCORE pname=kcore
	case $args in
	kvmread | kvmread\ *)
		prog=$KVMREAD pname=kvmread
		args=${args#kvmread}
		args=${args# }
		;;
	esac
	# Word splitting of $args is intended: the line holds arguments.
	# shellcheck disable=SC2086
	limited "$prog" -M "$input" $args
	# A warning (a value ignored, overlapping segments) is a line of
	# its own before the one message.
	grep "^$pname: warning: " err >err.warn
	grep -v "^$pname: warning: " err >err.main
	lines=$(wc -l <err.main)
	first=$(head -n 1 err.main)
	what="$pname $args: exit $rc"
	if [ $rc -ge 124 ]; then
		if [ $rc -eq 137 ] || [ $rc -eq 124 ]; then
			echo "FAIL $what: killed or timed out after ${TIME_LIMIT}s"
		else
			echo "FAIL $what: died of signal $((rc - 128))"
		fi
		cat err
		nhard=$((nhard + 1))
		return
	fi
	if [ "$lines" -gt 1 ] || grep -q -e 'Sanitizer' -e 'runtime error' err; then
		echo "FAIL $what: more than one line on stderr:"
		cat err
		nhard=$((nhard + 1))
		return
	fi
	case $want in
	ok)
		if [ $rc -ne 0 ] || [ -s err.main ]; then
			echo "FAIL $what, expected success: $first"
			nfail=$((nfail + 1))
			return
		fi
		# A warning only where the spec expects one (TEXT).
		if { [ -s err.warn ] && [ -z "$text" ]; } ||
		   { [ -n "$text" ] && ! grep -q -F -e "$text" err; }; then
			echo "FAIL $what: warning '$(cat err.warn)', expected '$text'"
			nfail=$((nfail + 1))
			return
		fi
		;;
	fail)
		if [ $rc -eq 0 ]; then
			echo "FAIL $what, expected an error; stderr: $first"
			nfail=$((nfail + 1))
			return
		fi
		case $first in
		"$pname: "?*) ;;
		*)
			echo "FAIL $what: stderr is not one '$pname: ...' line: '$first'"
			nfail=$((nfail + 1))
			return
			;;
		esac
		if [ -n "$text" ] && ! grep -q -F -e "$text" err; then
			echo "FAIL $what: message lacks '$text': $first"
			nfail=$((nfail + 1))
			return
		fi
		;;
	*)
		echo "badinput: bad expectation '$want' in $spec" >&2
		nhard=$((nhard + 1))
		return
		;;
	esac
	echo "ok   $what${first:+: $first}"
}

checks=$(grep '^#check:' "$spec" | sed 's/^#check:[ 	]*//')
if [ -z "$checks" ]; then
	checks="info | fail
read 0xffffffff81000000 16 | fail"
fi
# A here-document keeps the loop in this shell, so the counters survive.
while IFS='|' read -r args want text; do
	args=$(echo "$args" | sed 's/^[ 	]*//; s/[ 	]*$//')
	want=$(echo "$want" | tr -d ' \t')
	text=$(echo "$text" | sed 's/^[ 	]*//; s/[ 	]*$//')
	check "$args" "$want" "$text"
done <<EOF
$checks
EOF

if [ $nhard -gt 0 ]; then
	echo "$name: $nhard of $ncheck checks crashed, hung or printed a report"
	exit 1
fi
if [ -n "$xfail" ]; then
	if [ $nfail -gt 0 ]; then
		echo "$name: XFAIL ($nfail of $ncheck checks): known bug: $xfail"
		exit 0
	fi
	echo "$name: XPASS: every check passed; remove the #xfail line"
	exit 1
fi
if [ $nfail -gt 0 ]; then
	echo "$name: $nfail of $ncheck checks failed"
	exit 1
fi
echo "$name: $ncheck checks passed"
exit 0
