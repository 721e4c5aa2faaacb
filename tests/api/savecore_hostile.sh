#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# savecore attacked (issue 23): a hand-edited device, a crash time no
# calendar shows, links and files planted in DIR (by an unprivileged user
# in a sticky world-writable DIR, where we are root), a FIFO for bounds,
# garbage in bounds and minfree, two savecores at once, an escape
# sequence for a release.  Each case shows: nothing lost (the device's
# dump still valid wherever nothing verified was saved), nothing leaked
# (saved files 0600, root's, nothing written through a link), nothing
# replaced, every run under 20 s.
#   savecore_hostile.sh KCORE MKELF TMPDIR
set -u
kcore=$1 mkelf=$2 tmp=$3
here=$(cd "$(dirname "$0")" && pwd)
w=$tmp/savecore-hostile
rm -rf "$w"; mkdir -p "$w" || exit 1
trap 'rm -rf "$w"' EXIT
fail=0
ok() { echo "ok    $*"; }
bad() { echo "FAIL  $*"; fail=1; }
edit() { python3 "$here/edit_dumpdev.py" "$@"; }
# savecore with a time limit; its stderr in $w/log, its status in $st.
sc() { timeout 20 "$kcore" savecore -q "$@" 2>"$w/log"; st=$?; }
magic() { dd if="$1" bs=1 skip=65536 count=8 status=none; }
valid() { [ "$(magic "$1")" = KVMDUMP1 ]; }
nfiles() { find "$1" -maxdepth 1 -name 'vmcore.*' | wc -l; }

# A small machine: 4 MiB of memory, VMCOREINFO with a release (the ESC
# makes it an escape sequence on a terminal: it must come out escaped).
esc=$(printf '\033')
machine() { # NAME CRASHTIME
	cat >"$w/$1.spec" <<EOF
vmcoreinfo
OSRELEASE=6.1.0-hostile${esc}]0;pwned
PAGESIZE=4096
CRASHTIME=$2
end
load paddr=0x100000 memsz=4M fill=addr
end
EOF
	"$mkelf" -o "$w/$1.elf" "$w/$1.spec" || { echo "mkelf failed"; exit 1; }
}
machine m 1700000000
machine late 4611686018427387904
# fresh [ARGS]: a new dump device holding the machine's dump ($src).
src=m
fresh() {
	rm -f "$w/dev"; truncate -s 8M "$w/dev"
	mkswap -q "$w/dev" >/dev/null 2>&1 || mkswap "$w/dev" >/dev/null
	"$kcore" -M "$w/$src.elf" dump -q "$@" "$w/dev" || bad "kcore dump $*"
}
newdir() { rm -rf "$w/d"; mkdir -p "$w/d"; }

# --- the baseline: saved, 0600, cleared; the release escaped.
fresh; newdir; sc "$w/dev" "$w/d"
[ $st = 0 ] && [ -f "$w/d/vmcore.0" ] && ! valid "$w/dev" && ok "baseline saved and cleared" ||
	bad "baseline: exit $st: $(cat "$w/log")"
[ "$(stat -c %a "$w/d/vmcore.0")" = 600 ] && ok "saved 0600" || bad "mode $(stat -c %a "$w/d/vmcore.0")"
grep -q "$esc" "$w/log" && bad "savecore printed a raw ESC" || ok "the release's ESC escaped by savecore"
"$kcore" -M "$w/d/vmcore.0" info 2>&1 | grep -q "$esc" && bad "info printed a raw ESC" ||
	ok "the release's ESC escaped by info"

# --- edited device fields: never saved as if whole, never cleared.
for e in "hdr.data_size=0x100" "cpu.data_size=0x100" "cpu.page_size=1" \
	"cpu.data_size=0x100 --resum" "cpu.page_size=1 --resum-cpu --resum" \
	"cpu.data_size=0x100 --no-cpu-sum --resum" "hdr.page_size=1 --resum" \
	"cpu.nranges=0x7fffffff --resum-cpu --resum"; do
	fresh; newdir
	# shellcheck disable=SC2086
	edit "$w/dev" $e
	sc "$w/dev" "$w/d"
	if [ $st = 2 ] && valid "$w/dev" && [ "$(nfiles "$w/d")" = 0 ]; then
		ok "edited ($e): kept, exit 2: $(grep -v 'stays valid' "$w/log" | head -1)"
	elif [ $st = 0 ] && ! valid "$w/dev" && "$kcore" -M "$w/d/vmcore.0" read 0x0 1 >/dev/null 2>&1; then
		ok "edited ($e): saved, and the file reads"
	else
		bad "edited ($e): exit $st, device $(magic "$w/dev"), files $(nfiles "$w/d"): $(cat "$w/log")"
	fi
done
# A page that does not decompress (zlib's checksum): kept; -f saves raw.
fresh --compress zlib; newdir; edit "$w/dev" --corrupt-page
sc "$w/dev" "$w/d"
[ $st = 2 ] && valid "$w/dev" && [ "$(nfiles "$w/d")" = 0 ] && ok "a corrupt page: kept, exit 2" ||
	bad "corrupt page: exit $st, device $(magic "$w/dev"): $(cat "$w/log")"
sc -f "$w/dev" "$w/d"
[ $st = 2 ] && valid "$w/dev" && [ -f "$w/d/vmcore.0.raw" ] &&
	cmp -s <(tail -c +65537 "$w/dev") "$w/d/vmcore.0.raw" &&
	[ "$(stat -c %a "$w/d/vmcore.0.raw")" = 600 ] &&
	ok "-f: the device's bytes saved raw (0600), the dump kept" ||
	bad "-f raw: exit $st, device $(magic "$w/dev"): $(cat "$w/log")"
# A header that does not checksum: kept; -f saves raw.
fresh; newdir; edit "$w/dev" hdr.data_size=0x100
sc -f "$w/dev" "$w/d"
[ $st = 2 ] && valid "$w/dev" && [ -f "$w/d/vmcore.0.raw" ] && ok "-f on a bad header: raw, kept" ||
	bad "-f bad header: exit $st: $(cat "$w/log")"

# --- a crash time of 2^62: saved, the time says it is none.
src=late; fresh; src=m; newdir
sc "$w/dev" "$w/d"
[ $st = 0 ] && grep -q "not a time" "$w/log" && ok "crash time 2^62: saved, shown as not a time" ||
	bad "crash time 2^62: exit $st: $(cat "$w/log")"

# --- links planted in DIR: nothing written through them, none replaced.
fresh; newdir
echo victim >"$w/victim"
for n in .vmcore.0.tmp .bounds.tmp vmcore.0 minfree; do ln -s "$w/victim" "$w/d/$n"; done
sc "$w/dev" "$w/d"
[ $st = 0 ] && [ "$(cat "$w/victim")" = victim ] && [ -L "$w/d/vmcore.0" ] && [ -f "$w/d/vmcore.1" ] &&
	ok "links in DIR: not followed, vmcore.0 not replaced, saved as vmcore.1" ||
	bad "links: exit $st, victim '$(cat "$w/victim")': $(ls -la "$w/d") $(cat "$w/log")"
grep -q "minfree: a symbolic link" "$w/log" && ok "the minfree link is reported" || bad "no word of the minfree link"

# --- a FIFO for bounds and minfree: no hang.
fresh; newdir; mkfifo "$w/d/bounds" "$w/d/minfree"
sc "$w/dev" "$w/d"
[ $st = 0 ] && [ -f "$w/d/vmcore.0" ] && ok "FIFOs for bounds and minfree: saved, no hang" ||
	bad "FIFO: exit $st: $(cat "$w/log")"

# --- garbage in bounds and minfree: reported, the dump still saved.
for g in "abc" "18446744073709551615" "-1" "12abc" ""; do
	fresh; newdir; printf '%s\n' "$g" >"$w/d/bounds"
	# A large minfree is a number (no room: below); garbage is none.
	case $g in *[!0-9]*|"") printf '%s\n' "$g" >"$w/d/minfree" ;; esac
	touch "$w/d/vmcore.4"
	sc "$w/dev" "$w/d"
	want=5 # past the files there
	[ $st = 0 ] && [ -f "$w/d/vmcore.$want" ] && [ "$(cat "$w/d/bounds")" = $((want + 1)) ] &&
		grep -q "bounds: .*not a number" "$w/log" &&
		ok "bounds and minfree '$g': reported, saved as vmcore.$want" ||
		bad "garbage '$g': exit $st: $(ls "$w/d") $(cat "$w/log")"
done
# minfree whose KiB overflow 64 bits in bytes (2^54, 2^64 - 1): no room,
# not saved, kept.
for m in 18014398509481984 18446744073709551615; do
	fresh; newdir; echo $m >"$w/d/minfree"
	sc "$w/dev" "$w/d"
	[ $st != 0 ] && valid "$w/dev" && [ "$(nfiles "$w/d")" = 0 ] && ok "minfree $m KiB: not saved, kept" ||
		bad "minfree $m: exit $st: $(cat "$w/log")"
done
# bounds cannot be written (a directory there): the dump is saved and
# the warning names bounds, not the dump.
fresh; newdir; mkdir "$w/d/bounds"
sc "$w/dev" "$w/d"
[ $st = 0 ] && [ -f "$w/d/vmcore.0" ] && grep -q "/bounds:" "$w/log" && ok "bounds not writable: saved, the warning names bounds" ||
	bad "bounds dir: exit $st: $(cat "$w/log")"

# --- two savecores at once: one file.
fresh; newdir
timeout 20 "$kcore" savecore -q "$w/dev" "$w/d" 2>"$w/log1" & p1=$!
timeout 20 "$kcore" savecore -q "$w/dev" "$w/d" 2>"$w/log2" & p2=$!
wait $p1; s1=$?; wait $p2; s2=$?
[ "$(nfiles "$w/d")" = 1 ] && [ "$s1$s2" = 01 -o "$s1$s2" = 10 ] &&
	ok "two savecores at once: one file (exits $s1, $s2)" ||
	bad "two savecores: exits $s1 $s2, files $(ls "$w/d")"

# --- a sticky world-writable DIR and a hostile user (root only).
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
	fresh; newdir; chmod 1777 "$w/d"; chmod 755 "$w" "$tmp" 2>/dev/null
	as_nobody sh -c "echo mine >'$w/d/vmcore.0'; echo 0 >'$w/d/bounds'; \
		ln -s '$w/victim' '$w/d/.vmcore.1.tmp'; touch '$w/d/.bounds.tmp'"
	echo victim >"$w/victim"
	sc "$w/dev" "$w/d"
	saved=$(find "$w/d" -maxdepth 1 -name 'vmcore.*' -user 0 | head -1)
	[ $st = 0 ] && [ -n "$saved" ] && [ "$(cat "$w/d/vmcore.0")" = mine ] &&
		[ "$(cat "$w/victim")" = victim ] && [ "$(stat -c '%a %u' "$saved")" = "600 0" ] &&
		ok "sticky DIR: the user's vmcore.0 kept, saved as $(basename "$saved") 0600 root's" ||
		bad "sticky DIR: exit $st: $(ls -la "$w/d") $(cat "$w/log")"
	as_nobody cat "$saved" >/dev/null 2>&1 && bad "the user reads the saved dump" ||
		ok "the user cannot read the saved dump"
	# --group: 0640, the group's.
	fresh; newdir
	timeout 20 "$kcore" savecore -q --group 65534 "$w/dev" "$w/d" 2>"$w/log"; st=$?
	[ $st = 0 ] && [ "$(stat -c '%a %g' "$w/d/vmcore.0")" = "640 65534" ] && ok "--group: 0640, the group's" ||
		bad "--group: exit $st $(stat -c '%a %g' "$w/d/vmcore.0" 2>&1): $(cat "$w/log")"
else
	echo "note  not root (or no setpriv): no sticky-directory case"
fi

# --- every run above had 20 s: a timeout would have shown as exit 124.
exit $fail
