#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# The kallsyms seeds of every table layout decode whole, through
# VMCOREINFO and by the scan (mkseeds-kallsyms.py says which is which):
# 4.6-6.3 (offsets first), 6.4+ (offsets after the token index), 7.0
# (place-relative, no kallsyms_relative_base), absolute per-CPU; and the
# single-name lookups made before a full load.
#   kallsyms_layouts.sh FUZZ_KALLSYMS_REPLAY CORPUSDIR
set -u
replay=$1 dir=$2
fail=0
# name, then what the harness says: the count, the first and last symbol
# with the addresses the generator gave them (base 0xffffffff81000000).
five="5 symbols, _stext at 0xffffffff81001000, _end at 0xffffffff8100f000"
many="600 symbols, f00000 at 0xffffffff81001000, f00599 at 0xffffffff81003570"
some="300 symbols, f00000 at 0xffffffff81001000, f00299 at 0xffffffff810022b0"
while IFS='|' read -r name want; do
	out=$(FUZZ_VERBOSE=1 "$replay" "$dir/$name" 2>&1 |
		grep '^fuzz_kallsyms:')
	if [ "$out" = "fuzz_kallsyms: $want" ]; then
		echo "ok    $name: $want"
	else
		echo "FAIL  $name: $out (want $want)"
		fail=1
	fi
done <<EOT
seed-small|$five
seed-percpu|7 symbols, fixed_percpu_data at 0x0, _end at 0xffffffff8100f000
seed-600|$many
seed-scan|$some
seed-new-order|$five
seed-new-order-scan|$some
seed-placerel|$five
seed-placerel-scan|$some
seed-small-quick|$five
seed-percpu-quick|7 symbols, fixed_percpu_data at 0x0, _end at 0xffffffff8100f000
seed-placerel-quick|$five
EOT
# The same seeds answer single names before the full load, with the
# addresses the full load gives them.
quick="linux_banner R at 0xffffffff81002000|_stext T at 0xffffffff81001000|_end B at 0xffffffff8100f000"
for name in seed-small-quick seed-percpu-quick seed-placerel-quick; do
	out=$(FUZZ_VERBOSE=1 "$replay" "$dir/$name" 2>&1 |
		sed -n 's/^fuzz_kallsyms_quick: //p' | paste -sd'|')
	if [ "$out" = "$quick" ]; then
		echo "ok    $name, before the full load: $quick"
	else
		echo "FAIL  $name, before the full load: $out (want $quick)"
		fail=1
	fi
done
exit $fail
