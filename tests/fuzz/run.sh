#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
#
# run.sh [SECONDS [TARGET...]]: fuzz every target (or the TARGETs named,
# such as "kdump flattened lime") for SECONDS (default 60) each.
#
# Configures a clang build with -DKVM_FUZZ=ON in build-fuzz/ at the top of
# the tree, builds the fuzz_* targets and runs each with libFuzzer over its
# checked-in corpus (tests/fuzz/corpus/<fmt>, read only).  New inputs go to
# build-fuzz/fuzz-work/<fmt>/corpus, crashes, leaks and timeouts to
# build-fuzz/fuzz-work/<fmt>/artifacts; the log is fuzz-work/<fmt>/log.
# Prints executions and findings per target; exits 1 if anything was found.
#
# Limits: 2 GiB RSS, 512 MiB per malloc (an allocation sized from a
# header field shows up as a finding), 10 s per input.
#
# Environment: JOBS (parallel fuzzing processes per target, default 1),
# FUZZ_ARGS (more libFuzzer flags), FUZZ_BUILD (the build directory, for
# two sessions side by side; default build-fuzz).
set -eu

secs=${1:-60}
[ $# -gt 0 ] && shift
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=${FUZZ_BUILD:-$top/build-fuzz}
jobs=${JOBS:-1}

cmake -S "$top" -B "$build" -DCMAKE_C_COMPILER=clang -DKVM_FUZZ=ON \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
targets=$(sed -n 's/^set(fuzz_targets \(.*\))$/\1/p' "$here/CMakeLists.txt")
if [ $# -gt 0 ]; then
	for t in "$@"; do
		case " $targets " in
		*" $t "*) ;;
		*)
			echo "run.sh: no fuzz target '$t' (have: $targets)" >&2
			exit 2
			;;
		esac
	done
	targets=$*
fi
for fmt in $targets; do
	cmake --build "$build" --target "fuzz_$fmt" -j "$(nproc)" >/dev/null
done

found=0
for fmt in $targets; do
	work=$build/fuzz-work/$fmt
	mkdir -p "$work/corpus" "$work/artifacts"
	dict=
	if [ -f "$here/$fmt.dict" ]; then
		dict=-dict=$here/$fmt.dict
	fi
	echo "fuzz_$fmt: ${secs}s, corpus $here/corpus/$fmt"
	# Fork mode: libFuzzer runs the target in child processes and goes on
	# after a crash or a timeout (a known bug must not end the session);
	# each finding still lands in artifacts/.  Run inside $work: libFuzzer
	# writes fuzz-N.log to the current directory.
	rm -f "$work"/fuzz-*.log
	# shellcheck disable=SC2086
	(cd "$work" && "$build/fuzz_$fmt" -fork="$jobs" -ignore_crashes=1 \
	    -ignore_timeouts=1 -ignore_ooms=1 -max_total_time="$secs" \
	    -rss_limit_mb=2048 -malloc_limit_mb=512 -timeout=10 \
	    -artifact_prefix="$work/artifacts/" $dict ${FUZZ_ARGS:-} \
	    "$work/corpus" "$here/corpus/$fmt") >"$work/log" 2>&1 || true
	# The parent's progress lines: "#EXECS: cov: N ft: N corp: N ...".
	execs=$(sed -n 's/^#\([0-9][0-9]*\): cov:.*/\1/p' "$work/log" |
	    tail -n 1)
	cov=$(grep -o 'cov: [0-9]*' "$work/log" | tail -n 1)
	n=$(find "$work/artifacts" -type f | wc -l)
	echo "fuzz_$fmt: ${execs:-0} executions, $cov, $n findings" \
	    "(log $work/log)"
	if [ "$n" -gt 0 ]; then
		found=1
		find "$work/artifacts" -type f | sed 's/^/  /'
	fi
done
exit $found
