#!/bin/sh
# Make sure the build and test dependencies are installed (Debian 12 names).
# As root with apt-get: installs what is missing.  Otherwise prints the
# exact command to run and fails.
#   deps.sh          check, install if possible
#   deps.sh --all    also the optional tools (clang for fuzzing, clang-format
#                    for the layout check, makedumpfile
#                    for its tests, libkdumpfile for the benchmark, QEMU and
#                    cpio for the guest test of the running kernel)
set -eu

# package  test-that-it-is-there
required="
cmake:command -v cmake
make:command -v make
gcc:command -v cc
pkg-config:command -v pkg-config
zstd:command -v zstd
python3:command -v python3
libelf-dev:pkg-config --exists libelf
libcmocka-dev:pkg-config --exists cmocka
zlib1g-dev:pkg-config --exists zlib
libdeflate-dev:pkg-config --exists libdeflate
libzstd-dev:pkg-config --exists libzstd
liblzo2-dev:pkg-config --exists lzo2
libsnappy-dev:pkg-config --exists snappy
liblz4-dev:pkg-config --exists liblz4
libbpf-dev:pkg-config --exists libbpf
libblkid-dev:pkg-config --exists blkid
"
optional="
makedumpfile:command -v makedumpfile
qemu-system-x86:command -v qemu-system-x86_64
cpio:command -v cpio
libkdumpfile-dev:pkg-config --exists libkdumpfile
clang:command -v clang
clang-format:command -v clang-format
e2fsprogs:command -v mkfs.ext4
util-linux:command -v mkfs.minix
file:command -v file
libclang-rt-14-dev:test -e /usr/lib/llvm-14/lib/clang/14.0.6/lib/linux/libclang_rt.fuzzer-x86_64.a
"

list=$required
[ "${1:-}" = --all ] && list="$required$optional"

missing=""
nl='
'
oldifs=$IFS
IFS=$nl
for entry in $list; do
	IFS=$oldifs
	pkg=${entry%%:*}
	test_cmd=${entry#*:}
	if ! sh -c "$test_cmd" >/dev/null 2>&1; then
		missing="$missing $pkg"
	fi
done
IFS=$oldifs
[ -z "$missing" ] && exit 0

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
	echo "deps.sh: installing:$missing" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >&2
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >&2
	exit 0
fi
echo "deps.sh: missing build dependencies. Run:" >&2
echo "    sudo apt-get install$missing" >&2
exit 1
