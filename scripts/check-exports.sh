#!/bin/bash
# The shared library exports exactly the symbols of src/libkvm.map.
#   check-exports.sh build/libkvm.so
set -eu
lib=$1
here=$(dirname "$0")/..
want=$(sed -n 's/^[[:space:]]*\(kvm_[a-z0-9_]*\);.*/\1/p' "$here/src/libkvm.map" | sort)
have=$(nm -D --defined-only "$lib" | awk '$2 == "T" || $2 == "D" || $2 == "B" {print $3}' | sed 's/@.*//' | sort)
if [ "$want" != "$have" ]; then
	echo "check-exports: $lib exports differ from src/libkvm.map:" >&2
	diff <(echo "$want") <(echo "$have") >&2 || true
	exit 1
fi
# Every exported function is declared in the public header.
for s in $want; do
	grep -q "\b$s(" "$here/include/kvm.h" || {
		echo "check-exports: $s is exported but not in include/kvm.h" >&2
		exit 1
	}
done
echo "check-exports: $(echo "$have" | wc -l) symbols, as src/libkvm.map says"
