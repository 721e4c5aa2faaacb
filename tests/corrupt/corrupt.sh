#!/bin/sh
# The corruption matrix on one real dump (issue 9 item 2): every damaged
# copy that mutate (file level) and, for ELF dumps, memhostile (the
# kernel's own data) make of it, and on each `kcore info`, `read`,
# `nlist`, `ps`, `dmesg` and `bt -a`, each under a wall-time bound and an
# address-space limit.  Pass: the exit status is one kcore defines (0, 1, 64-71;
# kcore(1) EXIT STATUS), never a signal or the timeout, and a failure says
# why on stderr in a "kcore: ..." line.  Cases listed in known-bugs (a
# library bug that is reported and not fixed yet) print "KNOWN BUG" and
# are not counted.  Copies are sparse and deleted after each case.
#   corrupt.sh KCORE MUTATE MEMHOSTILE DUMP TMPDIR KNOWN-BUGS SANITIZE [stream]
# With "stream", the dump is first written as our kcore stream
# (kcore dump -q -d 31 -) and that stream is the dump under test.
# CORRUPT_CASES=PATTERN (a shell glob) runs only the matching cases;
# CORRUPT_STRIDE=N every N-th (default 1, and 3 in sanitizer builds).
set -u
kcore=$1 mutate=$2 mem=$3 dump=$4 tmp=$5 known=$6 sanitize=$7
mode=${8:-file}
tag=$(basename "$(dirname "$dump")")
label=$(basename "$dump")
only=${CORRUPT_CASES:-*}
stride=${CORRUPT_STRIDE:-1}
secs=20
work=$tmp/corrupt-$label-$$
mkdir -p "$work" || exit 1
trap 'rm -rf "$work"' EXIT
trap 'exit 1' INT TERM

# ASan reserves terabytes of shadow memory: no RLIMIT_AS there.
limit="prlimit --as=268435456 --"
case $sanitize in
ON | on | 1 | TRUE | true | YES | yes) limit= stride=${CORRUPT_STRIDE:-3} ;;
esac
if ldd "$kcore" 2>/dev/null | grep -q 'libasan\|libtsan\|libhwasan'; then
	limit=
fi
if [ -n "$limit" ] && ! prlimit --as=268435456 -- true 2>/dev/null; then
	limit="sh -c 'ulimit -v 262144 && exec \"\$0\" \"\$@\"'"
fi

src=$dump
if [ "$mode" = stream ]; then
	label=kcore-stream
	src=$work/stream
	if ! "$kcore" -M "$dump" dump -q -d 31 - > "$src"; then
		echo "FAIL  cannot write a kcore stream of $dump"
		exit 1
	fi
fi

# Known bugs: shell globs over TAG/DUMP/CASE/COMMAND, one a line.
is_known() {
	[ -r "$known" ] || return 1
	while read -r pat _; do
		case $pat in '' | '#'*) continue ;; esac
		# shellcheck disable=SC2254
		case $1 in $pat) return 0 ;; esac
	done < "$known"
	return 1
}

pass=0 fail=0 knownbug=0 skipped=0 fixed=0 ncases=0
start=$(date +%s)

# run CASE COPY: the five commands on one damaged copy.
run() {
	c=$1 copy=$2
	ncases=$((ncases + 1))
	# Sanitizer builds run 3 times slower: every STRIDE-th case there.
	if [ $((ncases % stride)) -ne 0 ]; then
		skipped=$((skipped + 1))
		return
	fi
	# init_task and jiffies are found on both arches (arm64's kallsyms
	# has no data symbols: they come from its exported-symbol table).
	for cmd in "info" "read init_task 256" \
		   "nlist init_task jiffies schedule" "ps" "dmesg" "bt -a"; do
		name=${cmd%% *}
		# shellcheck disable=SC2086
		eval timeout -k 5 $secs $limit '"$kcore"' -M '"$copy"' $cmd \
			>/dev/null 2>"$work/err" </dev/null
		rc=$?
		why=
		case $rc in
		0 | 1 | 6[4-9] | 7[01]) ;;
		124) why="timed out after ${secs}s" ;;
		*) if [ "$rc" -gt 128 ]; then
			why="killed by signal $((rc - 128))"
		   else
			why="exit status kcore does not define"
		   fi ;;
		esac
		# Sanitizers exit 1 by default, a status kcore defines too.
		if grep -q 'ERROR: AddressSanitizer\|ERROR: LeakSanitizer\|runtime error:' \
			"$work/err"; then
			why="sanitizer report"
		fi
		if [ -z "$why" ] && [ "$rc" -ne 0 ] &&
		   ! grep -q '^kcore: ' "$work/err"; then
			why="no 'kcore: ...' message on stderr"
		fi
		key=$tag/$label/$c/$name
		if is_known "$key"; then
			if [ -n "$why" ]; then
				echo "KNOWN BUG $c: kcore $cmd exit $rc ($why)"
				knownbug=$((knownbug + 1))
			else
				echo "ok    $c: kcore $cmd exit $rc (known bug $key no longer seen: remove it from known-bugs)"
				pass=$((pass + 1))
				fixed=$((fixed + 1))
			fi
		elif [ -n "$why" ]; then
			echo "FAIL  $c: kcore $cmd exit $rc ($why)"
			sed 's/^/      /' "$work/err" | tail -n 3
			fail=$((fail + 1))
		else
			echo "ok    $c: kcore $cmd exit $rc"
			pass=$((pass + 1))
		fi
	done
}

echo "corruption matrix on $tag/$label (seed 0x6b636f7265; limit: ${limit:-none}, ${secs}s)"
run baseline "$src"

"$mutate" list "$src" > "$work/cases" || exit 1
while read -r c; do
	# shellcheck disable=SC2254
	case $c in $only) ;; *) continue ;; esac
	if ! "$mutate" apply "$src" "$work/copy" "$c" 2>"$work/merr"; then
		echo "FAIL  $c: mutate: $(cat "$work/merr")"
		fail=$((fail + 1))
		continue
	fi
	run "$c" "$work/copy"
	rm -f "$work/copy"
done < "$work/cases"

if [ "$mode" = file ] && [ "$(head -c 4 "$src" | od -An -c | tr -d ' ')" = "177ELF" ]; then
	"$mem" list > "$work/memcases" || exit 1
	while read -r c; do
		# shellcheck disable=SC2254
		case $c in $only) ;; *) continue ;; esac
		cp --sparse=always "$src" "$work/copy" && chmod u+w "$work/copy" ||
			exit 1
		"$mem" apply "$work/copy" "$c" 2>"$work/merr"
		st=$?
		if [ $st -eq 77 ]; then
			echo "skip  $c: $(cat "$work/merr")"
			skipped=$((skipped + 1))
		elif [ $st -ne 0 ]; then
			echo "FAIL  $c: memhostile exit $st: $(cat "$work/merr")"
			fail=$((fail + 1))
		else
			run "$c" "$work/copy"
		fi
		rm -f "$work/copy"
	done < "$work/memcases"
fi

echo "$tag/$label: $ncases cases, $pass passed, $fail failed, $knownbug known bugs, $skipped skipped ($(($(date +%s) - start)) s)"
[ $fixed -eq 0 ] || echo "$fixed known-bug entries no longer fail: remove them from $known"
[ $fail -eq 0 ]
