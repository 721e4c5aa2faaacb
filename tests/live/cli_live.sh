#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# kcore on the running system, with no -M: without a readable /proc/kcore
# it answers from /proc (tools/kcore/main.c).  ps, args, env and loadavg
# are compared with what /proc itself says.  Usage: cli_live.sh KCORE
set -u
kcore=$1
[ -r /proc/self/stat ] || { echo "no /proc: skipped"; exit 77; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/kcore-live.XXXXXX") || exit 1
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
fail() {
	echo "FAIL: $*" >&2
	exit 1
}
# kcore SUBCOMMAND... > $tmp/out, failing the test on a non-zero exit.
run() {
	"$kcore" "$@" >"$tmp/out" 2>"$tmp/err" ||
		fail "kcore $*: exit $?: $(cat "$tmp/err")"
}

# A process of known arguments (an empty one too) and environment that
# waits until killed: sleep(1) would refuse 'a b', so a shell reading a
# FIFO that never gets data (held open read-write, its open cannot block).
# The environment is only ours (env -i): whatever the caller's holds (CI
# exports values with newlines and backslashes), and it has the bytes
# kcore's text output escapes: a backslash, a newline and ESC.
mkfifo "$tmp/fifo" || exit 1
exec 3<>"$tmp/fifo"
shell=$(command -v sh) || fail "no sh in PATH"
esc=$(printf 'a\\b\nc\033d')
env -i LIBKVM_CLI='x y' LIBKVM_ESC="$esc" "$shell" -c 'read x' kcore-live \
	'a b' c '' <&3 &
pid=$!
exec 3>&-
printf '%s\n' "$shell" -c 'read x' kcore-live 'a b' c '' >"$tmp/args.want"
# Until the child has exec'd: before, it shows this shell's arguments.
i=0
until tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null |
	cmp -s - "$tmp/args.want"; do
	i=$((i + 1))
	[ $i -lt 400 ] || fail "sh $pid never showed its arguments"
	sleep 0.05
done

run args "$pid"
tr '\0' '\n' <"/proc/$pid/cmdline" >"$tmp/args.proc"
cmp "$tmp/args.proc" "$tmp/out" || fail "kcore args $pid differs from /proc"
run --json args "$pid"
printf '["%s", "-c", "read x", "kcore-live", "a b", "c", ""]\n' "$shell" \
	>"$tmp/args.json"
cmp "$tmp/args.json" "$tmp/out" || fail "kcore --json args: $(cat "$tmp/out")"

run env "$pid"
printf '%s\0' 'LIBKVM_CLI=x y' "LIBKVM_ESC=$esc" >"$tmp/env.want"
cmp "/proc/$pid/environ" "$tmp/env.want" ||
	fail "/proc/$pid/environ is not the environment sh was given"
printf '%s\n' 'LIBKVM_CLI=x y' 'LIBKVM_ESC=a\x5cb\x0ac\x1bd' >"$tmp/env.want"
cmp "$tmp/env.want" "$tmp/out" ||
	fail "kcore env $pid: $(cat "$tmp/out"), not the escaped environment"

# ps --json: one object a line; the sh and this shell in it.
run ps --json
cp "$tmp/out" "$tmp/ps.json"
[ "$(head -c 1 "$tmp/ps.json")" = "[" ] || fail "ps --json: not an array"
[ "$(tail -n 1 "$tmp/ps.json")" = "]" ] || fail "ps --json: not an array"
line=$(grep -E "\"pid\": *$pid *," "$tmp/ps.json") ||
	fail "ps --json: no pid $pid"
for want in "\"ppid\": *$$ *," "\"comm\": *\"sh\"" "\"state\": *\"[SR]\"" \
	"\"uid\": *$(id -u) *," "\"euid\": *$(id -u) *," \
	"\"gid\": *$(id -g) *," "\"nthreads\": *1 *," "\"kthread\": *false"; do
	echo "$line" | grep -qE "$want" || fail "ps --json: pid $pid: no $want"
done
line=$(grep -E "\"pid\": *$$ *," "$tmp/ps.json") || fail "ps --json: no pid $$"
echo "$line" | grep -qE "\"ppid\": *$PPID *," ||
	fail "ps --json: pid $$: ppid is not $PPID"
# The set of pids is that of /proc, but for processes that came or went.
grep -oE '"pid": *[0-9]+' "$tmp/ps.json" | grep -oE '[0-9]+$' |
	sort -n >"$tmp/ps.pids"
[ "$(wc -l <"$tmp/ps.pids")" -gt 1 ] || fail "ps --json: too few processes"
[ "$(uniq -d "$tmp/ps.pids")" = "" ] || fail "ps --json: a pid twice"

run ps
grep -qE "^ *$pid .* sh$" "$tmp/out" || fail "kcore ps: no sh $pid"

# loadavg: a moment when /proc/loadavg stood still around the call.
i=0
while :; do
	before=$(cut -d' ' -f1-3 /proc/loadavg)
	run loadavg
	after=$(cut -d' ' -f1-3 /proc/loadavg)
	[ "$before" = "$after" ] && break
	i=$((i + 1))
	[ $i -lt 100 ] || fail "/proc/loadavg never stood still"
done
[ "$(cat "$tmp/out")" = "$before" ] ||
	fail "kcore loadavg: $(cat "$tmp/out"), /proc/loadavg: $before"

# A process that is gone: a failure, not an empty answer.
kill "$pid"
wait "$pid" 2>/dev/null
gone=$pid
pid=
if "$kcore" args "$gone" >"$tmp/out" 2>"$tmp/err"; then
	fail "kcore args $gone (gone) succeeded"
fi
echo "live_cli: ok"
