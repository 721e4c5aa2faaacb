#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# kcore dump (every output format: kcore, kdump, elf) never writes over
# somebody's data: an
# existing file that holds neither a dump nor a swap area is refused
# without -f; a filesystem, RAID/LVM member, crypto container or partition
# table (libblkid's word) is refused even with -f; refused files are left
# byte for byte as they were; a new file is created 0600.  Each image is
# made by its own mkfs where that is installed (the test says which not).
#   dump_overwrite.sh KCORE DUMP TMPDIR
set -u
kcore=$1 dump=$2 tmp=$3
w=$tmp/dump-overwrite
rm -rf "$w"; mkdir -p "$w" || exit 1
trap 'rm -rf "$w"' EXIT
fail=0
ok() { echo "ok    $*"; }
bad() { echo "FAIL  $*"; fail=1; }
k() { "$kcore" -M "$dump" dump -q "$@" 2>"$w/err"; }

# Images to protect, each made by its own tool where it is installed.
echo "some text" >"$w/text"
made="text"
mk() { # NAME TOOL ARGS...: an 8 MiB image
	local name=$1 tool=$2; shift 2
	command -v "$tool" >/dev/null || { echo "note  $tool not installed: no $name image"; return; }
	truncate -s 8M "$w/$name" && "$tool" "$@" "$w/$name" >/dev/null 2>&1 && made="$made $name" ||
		echo "note  $tool failed: no $name image"
}
mk ext4.img mkfs.ext4 -q -F
mk minix.img mkfs.minix
mk bfs.img mkfs.bfs
if command -v mkfs.cramfs >/dev/null; then
	mkdir -p "$w/root" && echo x >"$w/root/f" &&
		mkfs.cramfs "$w/root" "$w/cramfs.img" >/dev/null 2>&1 &&
		truncate -s 8M "$w/cramfs.img" && made="$made cramfs.img"
fi
# A LUKS1 header as cryptsetup writes it (magic, version 1, cipher, hash,
# payload offset, key bytes, UUID), then space.
python3 - "$w/luks.img" <<'PY' && made="$made luks.img"
import struct, sys
h = bytearray(4096)
h[0:6] = b'LUKS\xba\xbe'
struct.pack_into('>H', h, 6, 1)
h[8:40] = b'aes'.ljust(32, b'\0')
h[40:72] = b'xts-plain64'.ljust(32, b'\0')
h[72:104] = b'sha256'.ljust(32, b'\0')
struct.pack_into('>II', h, 104, 4096, 64)
h[168:208] = b'01234567-89ab-cdef-0123-456789abcdef'.ljust(40, b'\0')
open(sys.argv[1], 'wb').write(bytes(h) + bytes(8 << 20))
PY

for f in $made; do
	sum=$(md5sum <"$w/$f")
	for force in "" -f; do
		for fmt in kdump elf kcore; do
			k --format $fmt $force "$w/$f"; st=$?
			if [ "$f" = text ] && [ -n "$force" ]; then
				break # forced over plain text: allowed, checked below
			fi
			[ $st -ne 0 ] && ok "$f ($fmt${force:+ $force}) refused: $(cat "$w/err")" ||
				bad "$f ($fmt${force:+ $force}) written over"
			[ "$(md5sum <"$w/$f")" = "$sum" ] || bad "$f changed"
		done
	done
	[ "$f" = text ] || { [ "$(md5sum <"$w/$f")" = "$sum" ] && ok "$f unchanged"; }
done
# A mounted filesystem on a loop device (root only, where loop devices
# exist): refused in every format, with and without -f.
if [ "$(id -u)" = 0 ] && command -v losetup >/dev/null && command -v mkfs.ext4 >/dev/null &&
	truncate -s 16M "$w/loop.img" && mkfs.ext4 -q -F "$w/loop.img" >/dev/null 2>&1 &&
	loop=$(losetup -f --show "$w/loop.img" 2>/dev/null); then
	mkdir -p "$w/mnt"
	if mount "$loop" "$w/mnt" 2>/dev/null; then
		echo data >"$w/mnt/file"; sync
		sum=$(md5sum <"$loop")
		for force in "" -f; do
			for fmt in kdump elf kcore; do
				k --format $fmt $force "$loop" && bad "mounted $loop ($fmt $force) written over" ||
					ok "mounted loop device ($fmt${force:+ $force}) refused: $(cat "$w/err")"
			done
		done
		[ "$(md5sum <"$loop")" = "$sum" ] && ok "the mounted loop device is unchanged" || bad "the mounted loop device changed"
		umount "$w/mnt"
	else
		echo "note  mount of $loop failed: no mounted loop device case"
	fi
	losetup -d "$loop"
else
	echo "note  not root or no loop device: no mounted loop device case"
fi
# The forced text file is now a dump; a dump may be written over without -f.
k --format kdump -f "$w/text" && "$kcore" -M "$w/text" info >/dev/null &&
	ok "text with -f: written, and reads as a dump" || bad "text with -f: $(cat "$w/err")"
k --format elf "$w/text" && ok "a dump of ours is written over without -f" || bad "over a dump: $(cat "$w/err")"
# A dump refused after its options are read leaves no file behind.
k --format kdump --compress lz4 "$w/refused"
[ ! -e "$w/refused" ] && ok "a refused dump leaves no file: $(cat "$w/err")" || bad "a refused dump left $w/refused"
# A new file: created 0600.
k --format kdump "$w/new" && [ "$(stat -c %a "$w/new")" = 600 ] && ok "new file created 0600" ||
	bad "new file: $(stat -c %a "$w/new" 2>&1) $(cat "$w/err")"
exit $fail
