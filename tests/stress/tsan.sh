#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# ThreadSanitizer (issue 9, item 4): the whole library, test_threads and
# kcore built with clang -fsanitize=thread in a build directory of their
# own, then
#   - test_threads: separate handles in 4 threads, on the sample dump and
#     (when ../shared/fixtures or $KVM_FIXTURES is there) the kdump files;
#   - kcore dump --threads 2 (the worker threads of src/dump/pages.c) in
#     each output format, and the kdump it wrote read back.
# Fails on any ThreadSanitizer report (and on any failing run).
#   tests/stress/tsan.sh [BUILD_DIR]        default: build-tsan
set -eu
cd "$(dirname "$0")/../.."
build=${1:-build-tsan}

if ! command -v clang >/dev/null; then
	echo "tsan.sh: clang not found (apt-get install clang)" >&2
	exit 1
fi
# clang puts the TSan runtime into executables only (the shared runtime,
# -shared-libsan, crashes at startup with Debian's clang 14): libkvm.so's
# __tsan_* references stay undefined until a program loads it, which its
# -Wl,--no-undefined refuses.  Linker flags that come after the target's
# own (CMAKE_C_STANDARD_LIBRARIES ends every link line) allow them.
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	-DCMAKE_C_COMPILER=clang \
	-DCMAKE_C_FLAGS=-fsanitize=thread \
	-DCMAKE_EXE_LINKER_FLAGS=-fsanitize=thread \
	-DCMAKE_SHARED_LINKER_FLAGS=-fsanitize=thread \
	-DCMAKE_C_STANDARD_LIBRARIES=-Wl,-z,undefs \
	-DKVM_WERROR=ON >/dev/null
cmake --build "$build" -j"$(nproc 2>/dev/null || echo 2)" \
	--target test_threads kcore

# The library itself instrumented, not only the programs.
if ! nm -D --undefined-only "$build/libkvm.so" | grep -q __tsan_func_entry
then
	echo "tsan.sh: $build/libkvm.so is not built with -fsanitize=thread" >&2
	exit 1
fi

sample=$build/fixtures/sample-x86_64-6.1
tests/fixtures/unpack.sh sample/x86_64-6.1 "$sample"
shared=${KVM_FIXTURES:-../shared/fixtures}
dumps=$sample/vmcore.elf
for a in x86_64 aarch64; do
	k=$shared/$a-6.1/vmcore.kdump-zlib
	[ -r "$k" ] && dumps="$dumps $k"
done

# Every report is printed and counted; a run with one exits 66.
TSAN_OPTIONS="exitcode=66 halt_on_error=0 second_deadlock_stack=1 \
${TSAN_OPTIONS:-}"
export TSAN_OPTIONS
log=$build/tsan.log
: >"$log"
tmp=$build/tsan-tmp
rm -rf "$tmp"
mkdir -p "$tmp"
failed=0

run() {
	echo "tsan: $*"
	rc=0
	"$@" >/dev/null 2>"$tmp/err" || rc=$?
	if [ "$rc" -ne 0 ]; then
		echo "tsan: FAILED (exit $rc): $*"
		failed=1
	fi
	cat "$tmp/err" >>"$log"
	if grep -q 'ThreadSanitizer' "$tmp/err"; then
		echo "tsan: ThreadSanitizer report: $*"
		cat "$tmp/err"
		failed=1
	fi
}

run "$build/tests/test_threads" -t 4 -r 2 $dumps
kcore=$build/kcore
run "$kcore" -M "$sample/vmcore.elf" -q dump --threads 2 -
run "$kcore" -M "$sample/vmcore.elf" -q dump --threads 2 --compress zstd \
	-d 31 -
run "$kcore" -M "$sample/vmcore.elf" -q dump --threads 2 --format kdump \
	"$tmp/vmcore.kdump"
run "$kcore" -M "$tmp/vmcore.kdump" ps
run "$kcore" -M "$sample/vmcore.elf" -q dump --threads 2 --format elf \
	/dev/null
for k in $dumps; do
	case $k in *.kdump-zlib)
		run "$kcore" -M "$k" -q dump --threads 2 --format kdump \
			--compress lzo /dev/null ;;
	esac
done
rm -rf "$tmp"

if [ "$failed" -ne 0 ]; then
	echo "tsan: FAIL (reports in $log)"
	exit 1
fi
echo "tsan: PASS: no ThreadSanitizer report"
