#!/bin/bash
# kcore dump -d 31 against Debian's makedumpfile -d 31, same input, same
# compression, same run: wall time (best of --runs), throughput over the
# input's memory, output size, and the ratios.  The input is each x86_64
# fixture turned into a plain ELF vmcore by kcore itself (makedumpfile
# reads dumps of the host's architecture only, and not QEMU's ELF layout
# as it is), so both tools read the very same file.
#   bench_dump.sh KCORE WORKDIR [RUNS] SETDIR...
set -u
kcore=$1 work=$2 runs=${3:-3}
shift 3
if ! command -v makedumpfile >/dev/null; then
	echo "bench_dump: makedumpfile not installed (apt-get install makedumpfile): skipped"
	exit 0
fi
mkdir -p "$work"
best() { # prints the best wall time in seconds of "$@"
	local b=999999 t0 t1 i
	for i in $(seq "$runs"); do
		t0=$(date +%s.%N)
		"$@" >/dev/null 2>&1 || { echo "FAILED"; return; }
		t1=$(date +%s.%N)
		b=$(awk -v a="$t0" -v c="$t1" -v b="$b" 'BEGIN { d = c - a; print (d < b) ? d : b }')
	done
	echo "$b"
}
printf '%-28s %-5s %10s %10s %10s %10s %8s %8s\n' dump codec "mdf s" "kcore s" \
	"mdf MB" "kcore MB" speedup size
for set in "$@"; do
	for d in "$set"/vmcore.elf "$set"/vmcore.elf.zst; do
		[ -e "$d" ] || continue
		src=$d
		if [ "${d%.zst}" != "$d" ]; then
			src=$work/$(basename "$set").elf
			[ -e "$src" ] || zstd -q -d --sparse -f "$d" -o "$src" || continue
		fi
		arch=$("$kcore" -M "$src" --json info | sed -n 's/.*"arch": "\([^"]*\)".*/\1/p')
		[ "$arch" = "$(uname -m)" ] || { echo "$(basename "$set"): $arch: makedumpfile reads $(uname -m) only: skipped"; continue; }
		in=$work/in.elf
		"$kcore" -M "$src" dump -q --format elf "$in" || { echo "kcore dump --format elf failed"; continue; }
		mem=$("$kcore" -M "$in" --json info | sed -n 's/.*"page_size": \([0-9]*\).*/\1/p')
		for codec in zlib lzo; do
			flag=-c; [ $codec = lzo ] && flag=-l
			rm -f "$work/mdf.out" "$work/kcore.out"
			tm=$(best sh -c "rm -f '$work/mdf.out'; makedumpfile $flag -d 31 '$in' '$work/mdf.out'")
			tk=$(best "$kcore" -M "$in" dump -q -d 31 --compress $codec --format kdump "$work/kcore.out")
			sm=$(stat -c %s "$work/mdf.out" 2>/dev/null || echo 0)
			sk=$(stat -c %s "$work/kcore.out" 2>/dev/null || echo 0)
			awk -v n="$(basename "$set")" -v c=$codec -v tm="$tm" -v tk="$tk" \
			    -v sm="$sm" -v sk="$sk" 'BEGIN {
				printf "%-28s %-5s %10.3f %10.3f %10.2f %10.2f %7.2fx %7.1f%%\n",
				    n, c, tm, tk, sm / 1048576, sk / 1048576,
				    (tk > 0 ? tm / tk : 0), (sm > 0 ? 100 * sk / sm : 0) }'
		done
		# Our own on-device format, to a swap file (what savecore reads).
		swap=$work/swap
		rm -f "$swap"; truncate -s "$(( $(stat -c %s "$in") + 128 * 1048576 ))" "$swap"
		mkswap "$swap" >/dev/null 2>&1
		for codec in zlib lzo lz4; do
			td=$(best "$kcore" -M "$in" dump -q -d 31 --compress $codec "$swap")
			printf '%-28s %-5s %10s %10.3f   (on-device format, to a swap file)\n' \
				"$(basename "$set")" $codec - "$td"
		done
		rm -f "$in" "$swap" "$work/mdf.out" "$work/kcore.out"
	done
done
echo "target: speedup >= 1.5x at size <= 103%"
