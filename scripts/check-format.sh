#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
#
# check-format.sh [-i]: the C files of src/, include/ and tools/ are laid
# out as .clang-format says; -i rewrites them so.  Exit 1 when a file
# differs (clang-format names it), 77 (a skip for ctest) without
# clang-format.  CLANG_FORMAT names another binary.
set -eu
cd "$(dirname "$0")/.."
cf=${CLANG_FORMAT:-clang-format}
if ! command -v "$cf" >/dev/null 2>&1; then
	echo "check-format: no $cf (apt-get install clang-format)" >&2
	exit 77
fi
files=$(find src include tools -name '*.[ch]' | LC_ALL=C sort)
if [ "${1:-}" = -i ]; then
	# shellcheck disable=SC2086
	"$cf" -i $files
	exit 0
fi
# shellcheck disable=SC2086
if ! "$cf" --dry-run -Werror $files; then
	echo "check-format: run scripts/check-format.sh -i ($("$cf" --version))" >&2
	exit 1
fi
echo "check-format: ok ($(echo $files | wc -w) files, $("$cf" --version))"
