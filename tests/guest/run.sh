#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# live_guest: kcore on a running Linux kernel, in a throw-away QEMU guest.
#
# Boots Debian's own kernel (what linux-image-amd64 depends on) with an
# initramfs of busybox-static, a statically linked kcore and init.sh beside
# this file.  Inside the guest init.sh compares kcore (no -M: the running
# kernel) with /proc, uname and /proc/kallsyms, reads argv and environ of
# processes pushed out to a second virtio disk used as swap, tries the error
# cases and dumps the running kernel onto a swap-signed virtio disk; it
# reports over the serial console.  Back on the host, kcore savecore takes
# the dump off the disk image and the saved vmcore is read (banner, release,
# processes).
#
# Usage: run.sh SOURCE_DIR BUILD_DIR
#   BUILD_DIR holds the build's kcore and libkvm.a.
# Environment:
#   KVM_GUEST_CACHE   downloaded and unpacked packages (default
#                     BUILD_DIR/guest-cache; kept across runs)
#   KVM_GUEST_ACCEL   auto (default: KVM when /dev/kvm boots the kernel,
#                     else TCG), kvm or tcg
#   KVM_GUEST_TIMEOUT seconds the guest may take (default 120 KVM, 420 TCG)
#   KVM_GUEST_CC      compiler for the static kcore (default $CC or cc)
#   KVM_GUEST_ALLOW_PROC=1  let the guest's process checks pass on kcore's
#                     /proc fallback (to try them before the live target works)
# Needs qemu-system-x86_64 (Debian: qemu-system-x86), apt-get and dpkg-deb
# (to fetch linux-image-*-amd64 and busybox-static), mkswap (util-linux),
# gzip and the static libraries of the normal -dev build dependencies.
# Exit status: 0 all passed, 1 a check failed, 77 skipped (no qemu, or the
# packages cannot be had).
set -u
src=$(cd "$1" && pwd) || exit 1
build=$(cd "$2" && pwd) || exit 1
here=$src/tests/guest
cache=${KVM_GUEST_CACHE:-$build/guest-cache}
work=$build/guest
accel=${KVM_GUEST_ACCEL:-auto}
cc=${KVM_GUEST_CC:-${CC:-cc}}
kcore=$build/kcore

skip() {
	echo "live_guest: skipped: $*"
	exit 77
}
die() {
	echo "live_guest: FAIL: $*"
	exit 1
}
say() { echo "live_guest: $*"; }
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

case "$accel" in auto | kvm | tcg) ;; *) die "KVM_GUEST_ACCEL is auto, kvm or tcg, not '$accel'" ;; esac
command -v qemu-system-x86_64 >/dev/null ||
	skip "no qemu-system-x86_64 (apt-get install qemu-system-x86)"
for c in apt-get apt-cache dpkg-deb mkswap gzip tar; do
	command -v $c >/dev/null || skip "no $c"
done
[ -x "$kcore" ] || die "no $kcore"
[ -e "$build/libkvm.a" ] || die "no $build/libkvm.a"
mkdir -p "$cache/debs" "$work" || die "cannot make $cache and $work"

# ---------------------------------------------------------------- packages
t_start=$(now)
updated=0
apt_update() {
	[ $updated = 0 ] && [ "$(id -u)" = 0 ] || return 1
	updated=1
	say "apt-get update"
	apt-get update -qq >"$work/apt-update.log" 2>&1
}
# The versioned kernel package linux-image-amd64 depends on.
resolve_kernel() {
	apt-cache depends linux-image-amd64 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-amd64\)$/\1/p' | head -n1
}
kpkg=$(resolve_kernel)
[ -n "$kpkg" ] || { apt_update && kpkg=$(resolve_kernel); }
if [ -z "$kpkg" ]; then
	# offline: the newest kernel the cache holds
	kpkg=$(ls "$cache/debs" 2>/dev/null | sed -n 's/^\(linux-image-[0-9][^_]*-amd64\)_.*\.deb$/\1/p' |
		sort -V | tail -n1)
	[ -n "$kpkg" ] || skip "cannot resolve linux-image-amd64 (apt-cache depends; apt-get update?)"
fi
# fetch PKG: the path of its .deb in the cache, downloaded when not there
fetch() {
	local f
	f=$(ls "$cache/debs/$1"_*_amd64.deb 2>/dev/null | sort -V | tail -n1)
	if [ -z "$f" ]; then
		if ! (cd "$cache/debs" && apt-get download "$1" >"$work/apt-download.log" 2>&1); then
			apt_update || return 1
			(cd "$cache/debs" && apt-get download "$1" >"$work/apt-download.log" 2>&1) || return 1
		fi
		f=$(ls "$cache/debs/$1"_*_amd64.deb 2>/dev/null | sort -V | tail -n1)
	fi
	[ -n "$f" ] && echo "$f"
}
kdeb=$(fetch "$kpkg") || skip "apt-get download $kpkg failed: $(tail -n1 "$work/apt-download.log")"
bbdeb=$(fetch busybox-static) || skip "apt-get download busybox-static failed: $(tail -n1 "$work/apt-download.log")"

# Unpack only what the guest needs: the kernel image and the virtio modules.
kroot=$cache/$(basename "$kdeb" .deb)
if [ ! -e "$kroot/.done" ]; then
	rm -rf "$kroot"
	mkdir -p "$kroot"
	dpkg-deb --fsys-tarfile "$kdeb" | tar -x -C "$kroot" --wildcards \
		'./boot/vmlinuz-*' './lib/modules/*/modules.order' \
		'./lib/modules/*/kernel/drivers/virtio/*' \
		'./lib/modules/*/kernel/drivers/block/virtio_blk.ko*' 2>"$work/tar.log"
	touch "$kroot/.done"
fi
kver=$(ls "$kroot/lib/modules" 2>/dev/null | head -n1)
vmlinuz=$kroot/boot/vmlinuz-$kver
[ -n "$kver" ] && [ -e "$vmlinuz" ] || die "no kernel image in $kdeb ($(cat "$work/tar.log"))"
bbroot=$cache/$(basename "$bbdeb" .deb)
if [ ! -e "$bbroot/.done" ]; then
	rm -rf "$bbroot"
	mkdir -p "$bbroot"
	dpkg-deb -x "$bbdeb" "$bbroot" || die "cannot unpack $bbdeb"
	touch "$bbroot/.done"
fi
bb=$bbroot/bin/busybox
[ -x "$bb" ] || die "no busybox in $bbdeb"
t_pkgs=$(now)
say "kernel $(basename "$kdeb"), $(basename "$bbdeb") ($(secs "$t_start" "$t_pkgs") s)"

# ---------------------------------------------------------------- static kcore
# Against the build's libkvm.a; a sanitizer build's objects cannot go into
# a static binary, so then the library sources are compiled here.
libs=$(pkg-config --static --libs libelf libbpf libdeflate libzstd liblz4 lzo2 snappy zlib blkid) ||
	die "pkg-config --static: missing -dev packages"
lib=$build/libkvm.a
if nm "$lib" 2>/dev/null | grep -qE ' U __(asan|ubsan|tsan|msan)_'; then
	lib=$(ls "$src"/src/*.c "$src"/src/*/*.c)
fi
# shellcheck disable=SC2086
"$cc" -static -O2 -std=gnu11 -D_GNU_SOURCE -w -I"$src/include" -I"$src/src" \
	-o "$work/kcore.static" "$src"/tools/kcore/*.c $lib \
	-Wl,--start-group $libs -lstdc++ -lpthread -lm -Wl,--end-group \
	>"$work/cc.log" 2>&1 || die "static link of kcore failed: $(head -c 2000 "$work/cc.log")"
# kvm_write on the running kernel (livewrite.c), linked the same way.
# shellcheck disable=SC2086
"$cc" -static -O2 -std=gnu11 -D_GNU_SOURCE -w -I"$src/include" -I"$src/src" \
	-o "$work/livewrite.static" "$src"/tests/guest/livewrite.c $lib \
	-Wl,--start-group $libs -lstdc++ -lpthread -lm -Wl,--end-group \
	>>"$work/cc.log" 2>&1 || die "static link of livewrite failed: $(head -c 2000 "$work/cc.log")"

# ---------------------------------------------------------------- initramfs
mods=$kroot/lib/modules/$kver
modlist=""
# add_module NAME: its dependencies first (the depends= of its .modinfo)
add_module() {
	local name=${1//-/_} rel dep
	case " $modlist " in *" $name "*) return 0 ;; esac
	rel=$(sed 's/-/_/g' "$mods/modules.order" | grep -n "/$name\.ko" | head -n1 | cut -d: -f1)
	[ -n "$rel" ] || die "module $name not in $kpkg"
	rel=$(sed -n "${rel}p" "$mods/modules.order")
	rel=${rel#kernel/}
	[ -e "$mods/kernel/$rel" ] || rel=$(cd "$mods/kernel" && ls "$rel".* 2>/dev/null | head -n1)
	[ -n "$rel" ] && [ -e "$mods/kernel/$rel" ] || die "module $name is not unpacked from $kpkg"
	for dep in $(tr '\0' '\n' <"$mods/kernel/$rel" | sed -n 's/^depends=//p' | head -n1 | tr , ' '); do
		add_module "$dep"
	done
	modlist="$modlist $name"
	case "$rel" in
	*.ko) cp "$mods/kernel/$rel" "$root/lib/modules/$name.ko" ;;
	*.ko.xz) xz -dc "$mods/kernel/$rel" >"$root/lib/modules/$name.ko" ;;
	*.ko.zst) zstd -qdc "$mods/kernel/$rel" >"$root/lib/modules/$name.ko" ;;
	*) die "module $rel: unknown compression" ;;
	esac || die "cannot copy module $rel"
	echo "$name.ko" >>"$root/etc/guest-modules"
}
root=$work/root
rm -rf "$root"
mkdir -p "$root"/{bin,etc,proc,sys,dev,tmp,lib/modules}
cp "$bb" "$root/bin/busybox"
for a in $("$bb" --list); do
	[ "$a" = busybox ] || ln -s busybox "$root/bin/$a"
done
for n in sleeper argv parent child; do
	ln -s busybox "$root/bin/guest-$n"
done
cp "$work/kcore.static" "$root/bin/kcore"
cp "$work/livewrite.static" "$root/bin/livewrite"
install -m 0755 "$here/init.sh" "$root/init"
printf 'root:x:0:0:root:/:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n' >"$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
: >"$root/etc/guest-modules"
add_module virtio_pci
add_module virtio_blk
initrd=$work/initrd.gz
(cd "$root" && find . | "$bb" cpio -o -H newc 2>/dev/null) | gzip -1 >"$initrd" ||
	die "cannot make the initramfs"
# The dump device: a sparse disk with a swap signature (/dev/vda).  The
# guest's swap area: another one, after it (/dev/vdb).
disk=$work/swap.img
swapdisk=$work/swapon.img
# disks: both, fresh
disks() {
	rm -f "$disk" "$swapdisk"
	truncate -s 512M "$disk" && mkswap -q "$disk" >/dev/null || die "mkswap $disk failed"
	truncate -s 256M "$swapdisk" && mkswap -q "$swapdisk" >/dev/null || die "mkswap $swapdisk failed"
}
disks
t_build=$(now)
say "static kcore, initramfs ($(du -k "$initrd" | cut -f1) KiB, modules$modlist) ($(secs "$t_pkgs" "$t_build") s)"

# ---------------------------------------------------------------- boot
log=$work/serial.log
qpid=""
trap '[ -n "$qpid" ] && kill $qpid 2>/dev/null' EXIT
trap 'exit 1' HUP INT TERM
# boot ACCEL TIMEOUT FIRST: 0 when the guest said GUEST-DONE; 2 when it
# printed nothing within FIRST seconds or QEMU exited first (KVM that does
# not run)
boot() {
	local a=$1 limit=$2 first=$3 cpu=qemu64 t0 t alive
	[ "$a" = kvm ] && cpu=host
	rm -f "$log"
	: >"$log"
	qemu-system-x86_64 -machine pc -accel "$a" -cpu $cpu -smp 2 -m 512 \
		-nodefaults -display none -no-reboot -monitor none \
		-kernel "$vmlinuz" -initrd "$initrd" \
		-append "console=ttyS0 panic=-1 oops=panic$extra" \
		-serial "file:$log" \
		-drive "file=$disk,format=raw,if=virtio" \
		-drive "file=$swapdisk,format=raw,if=virtio" \
		>"$work/qemu.stderr" 2>&1 &
	qpid=$!
	t0=$(date +%s)
	while :; do
		grep -q '^GUEST-DONE' "$log" && break
		alive=1
		kill -0 $qpid 2>/dev/null || alive=0
		t=$(($(date +%s) - t0))
		# No kernel on the console within FIRST seconds, or QEMU gave up
		# before the kernel ran (some hosts' KVM refuses the host CPU's
		# MSRs under nested virtualisation).
		if [ "$first" -gt 0 ] && ! grep -q 'Linux version' "$log" &&
		    { [ $alive = 0 ] || [ $t -ge "$first" ]; }; then
			kill $qpid 2>/dev/null
			wait $qpid 2>/dev/null
			qpid=""
			return 2
		fi
		[ $alive = 0 ] && break
		[ $t -ge "$limit" ] && break
		sleep 0.2
	done
	# poweroff -f follows GUEST-DONE
	if grep -q '^GUEST-DONE' "$log"; then
		for _ in $(seq 1 50); do
			kill -0 $qpid 2>/dev/null || break
			sleep 0.2
		done
	fi
	kill $qpid 2>/dev/null
	wait $qpid 2>/dev/null
	qpid=""
	grep -q '^GUEST-DONE' "$log"
}
extra=""
[ "${KVM_GUEST_ALLOW_PROC:-0}" = 1 ] && extra=" guest_allow_proc=1"
kvm_ok() { [ -r /dev/kvm ] && [ -w /dev/kvm ]; }
mode=$accel
[ "$mode" = auto ] && { if kvm_ok; then mode=kvm; else mode=tcg; fi; }
[ "$mode" = kvm ] && ! kvm_ok && die "KVM_GUEST_ACCEL=kvm but /dev/kvm is not usable"
t_boot=$(now)
if [ "$mode" = kvm ]; then
	boot kvm "${KVM_GUEST_TIMEOUT:-120}" 10
	st=$?
	if [ $st = 2 ]; then
		if [ "$accel" = kvm ]; then
			die "KVM: the kernel printed nothing in 10 s, or QEMU exited ($(head -c 300 "$work/qemu.stderr"))"
		fi
		say "KVM does not run the guest (nothing on the console in 10 s, or QEMU exited: $(tail -n 1 "$work/qemu.stderr" | cut -c1-160)): TCG instead"
		mode=tcg
		t_boot=$(now)
		disks
	fi
fi
if [ "$mode" = tcg ]; then
	boot tcg "${KVM_GUEST_TIMEOUT:-420}" 0
	st=$?
fi
t_done=$(now)

# ---------------------------------------------------------------- results
tr -d '\r' <"$log" >"$work/serial.txt"
nok=0
nfail=0
ok() {
	nok=$((nok + 1))
	echo "ok   $*"
}
bad() {
	nfail=$((nfail + 1))
	echo "FAIL $*"
}
while IFS= read -r l; do
	case "$l" in
	GUEST-OK\ *) ok "guest ${l#GUEST-OK }" ;;
	GUEST-FAIL\ *) bad "guest ${l#GUEST-FAIL }" ;;
	GUEST-NOTE\ *) echo "     guest note: ${l#GUEST-NOTE }" ;;
	esac
done < <(grep -a '^GUEST-' "$work/serial.txt")
done_line=$(grep -a '^GUEST-DONE' "$work/serial.txt")
if [ -z "$done_line" ]; then
	if grep -qa '^GUEST-BOOT' "$work/serial.txt"; then
		bad "guest: no GUEST-DONE after $(secs "$t_boot" "$t_done") s ($mode); the console's end:"
	else
		bad "guest: init never started ($mode, $(secs "$t_boot" "$t_done") s); the console's end:"
	fi
	tail -n 25 "$work/serial.txt" | sed 's/^/     | /'
	head -c 500 "$work/qemu.stderr" | sed 's/^/     qemu: /'
else
	set -- $done_line
	[ "$2" = "$nok" ] && [ "$3" = "$nfail" ] ||
		bad "guest: GUEST-DONE says $2 ok, $3 failed, the console shows $nok and $nfail"
fi

# ---------------------------------------------------------------- the dump, on the host
t_host=$(now)
crash=$work/crash
rm -rf "$crash"
mkdir -p "$crash"
if ! grep -qa '^GUEST-DUMP ok' "$work/serial.txt"; then
	bad "host savecore: the guest wrote no dump"
elif ! "$kcore" savecore "$disk" "$crash" >"$work/savecore.log" 2>&1 || [ ! -e "$crash/vmcore.0" ]; then
	bad "host savecore: $(tr '\n' ' ' <"$work/savecore.log" | head -c 400)"
else
	ok "host savecore ($(du -k "$crash/vmcore.0" | cut -f1) KiB)"
	vm=$crash/vmcore.0
	sed -n 's/^GUEST-VERSION //p' "$work/serial.txt" | head -n1 >"$work/version.want"
	if "$kcore" -M "$vm" read --raw linux_banner "$(wc -c <"$work/version.want")" >"$work/banner" 2>"$work/err" &&
		cmp -s "$work/banner" "$work/version.want"; then
		ok "host banner"
	else
		bad "host banner: '$(head -c 200 "$work/banner")' $(head -c 200 "$work/err"), guest /proc/version '$(cat "$work/version.want")'"
	fi
	rel=$(sed -n 's/^GUEST-RELEASE //p' "$work/serial.txt" | head -n1)
	if "$kcore" -M "$vm" --json info >"$work/info.json" 2>"$work/err" &&
		grep -qF "\"release\": \"$rel\"" "$work/info.json"; then
		ok "host release"
	else
		bad "host release: not '$rel': $(head -c 300 "$work/info.json") $(head -c 200 "$work/err")"
	fi
	# Processes there right before and right after the dump, under one
	# comm, are in the dump under that comm.  A kworker's comm, as /proc
	# and kcore show it, ends in the workqueue it last ran ('-events'),
	# which can change while the live kernel is being dumped: not compared.
	if "$kcore" -M "$vm" --json ps >"$work/ps.json" 2>"$work/err"; then
		sed -n 's/.*"pid": \([0-9]*\),.*"comm": "\([^"]*\)".*/\1 \2/p' "$work/ps.json" >"$work/ps.dump"
		sed -n 's/^GUEST-PS-BEFORE //p' "$work/serial.txt" >"$work/ps.before"
		sed -n 's/^GUEST-PS-AFTER //p' "$work/serial.txt" >"$work/ps.after"
		miss=$(awk '
			FILENAME == ARGV[1] { b[$1] = $2; next }
			FILENAME == ARGV[2] { if (($1 in b) && b[$1] == $2) both[$1] = $2; next }
			{ d[$1] = $2 }
			END {
				for (p in both) {
					n++
					c = both[p]
					e = d[p]
					if (c ~ /^kworker\//) {
						sub(/-.*/, "", c)
						sub(/-.*/, "", e)
					}
					if (!(p in d)) print "[" p " " both[p] " missing]"
					else if (e != c)
						print "[" p ": " d[p] ", not " both[p] "]"
				}
				if (n < 10) print "[only " n " processes to compare]"
			}' "$work/ps.before" "$work/ps.after" "$work/ps.dump")
		if [ -z "$miss" ]; then
			ok "host ps ($(wc -l <"$work/ps.dump") processes in the dump)"
		else
			bad "host ps: $(echo $miss | head -c 600)"
		fi
	else
		bad "host ps: $(head -c 300 "$work/err")"
	fi
fi
t_end=$(now)

say "$mode: packages $(secs "$t_start" "$t_pkgs") s, build $(secs "$t_pkgs" "$t_build") s," \
	"guest $(secs "$t_boot" "$t_done") s, host checks $(secs "$t_host" "$t_end") s;" \
	"$nok ok, $nfail FAIL (serial log: $log)"
if [ $nfail = 0 ] && [ -n "$done_line" ]; then
	# the disk image and the saved dump are kept only when something failed
	rm -rf "$disk" "$swapdisk" "$crash"
	exit 0
fi
exit 1
