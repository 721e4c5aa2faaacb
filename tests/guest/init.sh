#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# /init of the live-kernel test guest (busybox ash, PID 1); tests/guest/run.sh
# builds the initramfs around it.  Compares what `kcore` reads out of the
# running kernel (no -M: /proc/kcore, /proc/kallsyms, BTF) with what the
# kernel itself says through /proc, uname and /proc/kallsyms, reads argv
# and environ of processes whose pages a memory cgroup's memory.reclaim has
# pushed out to the swap disk /dev/vdb, tries the error cases (not root,
# kptr_restrict, /proc/kcore hidden, lockdown), dumps the running kernel
# onto the swap-signed disk /dev/vda, then powers off.
#
# Console protocol (the host reads the serial log line by line):
#   GUEST-BOOT                      init has started
#   GUEST-OK NAME (S s)             a check passed, S seconds after the last
#   GUEST-FAIL NAME: DETAIL (S s)   a check failed (DETAIL is one line)
#   GUEST-NOTE TEXT                 for the log only
#   GUEST-VERSION TEXT              /proc/version, for the host's check
#   GUEST-RELEASE TEXT              uname -r
#   GUEST-PS-BEFORE PID COMM        /proc right before the dump, one a line
#   GUEST-PS-AFTER PID COMM         /proc right after it
#   GUEST-DUMP ok|fail              whether /dev/vda holds a dump
#   GUEST-DONE N_OK N_FAIL          the end; nothing follows but poweroff
export PATH=/bin
umask 022
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /tmp /sys/kernel/security
mount -t securityfs securityfs /sys/kernel/security 2>/dev/null
# Keep the kernel's own console messages off the serial line our
# results go over (they stay in the log for kcore dmesg).
dmesg -n 1
CON=/dev/ttyS0
exec </dev/null >$CON 2>&1
echo GUEST-BOOT

nok=0
nfail=0
T=/tmp/t
mkdir -p $T
# seconds since the last result, for the log
LAST=0
took() {
	t=$(cut -d' ' -f1 /proc/uptime)
	DT=$(awk -v a="$LAST" -v b="$t" 'BEGIN { printf "%.1f", b - a }')
	LAST=$t
}
ok() {
	nok=$((nok + 1))
	took
	echo "GUEST-OK $1 ($DT s)"
}
# fail NAME DETAIL...
fail() {
	n=$1
	shift
	nfail=$((nfail + 1))
	took
	echo "GUEST-FAIL $n: $(printf '%s' "$*" | tr '\n\t' '  ' | cut -c1-600) ($DT s)"
}
note() { echo "GUEST-NOTE $*"; }
up() { cut -d' ' -f1 /proc/uptime; }
# k ARGS...: kcore ARGS > $T/out 2> $T/err; the exit status in $rc
k() {
	/bin/kcore "$@" >$T/out 2>$T/err
	rc=$?
}
err() { head -c 400 $T/err; }
# Fails NAME when kcore answered from /proc instead of kernel memory
# (said once on stderr): as root with /proc/kcore there, it must not.
# (guest_allow_proc=1 on the kernel command line, KVM_GUEST_ALLOW_PROC=1
# for run.sh, lets it: to try the comparisons on the /proc fallback.)
ALLOW_PROC=0
case " $(cat /proc/cmdline) " in *" guest_allow_proc=1 "*) ALLOW_PROC=1 ;; esac
live() {
	if [ $ALLOW_PROC = 0 ] && grep -q 'using /proc instead' $T/err; then
		fail "$1" "kcore fell back to /proc: $(err)"
		return 1
	fi
	return 0
}

# ---- modules (list in dependency order, made by run.sh) ----------------
while read -r m; do
	[ -n "$m" ] && insmod "/lib/modules/$m" || note "insmod $m failed"
done </etc/guest-modules
# vda: the dump device; vdb: the swap area
for d in /dev/vda /dev/vdb; do
	i=0
	while [ ! -b $d ] && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ -b $d ] || note "no $d"
done

# ---- test processes -----------------------------------------------------
# /bin/guest-* are symlinks to busybox; the kernel takes comm from the name
# exec'd, busybox picks the applet from argv[1] when argv[0] is busybox.*.
mkfifo /tmp/never
( export GUEST_MARK=sleeper
  exec setsid sh -c 'exec -a busybox.guest-sleeper /bin/guest-sleeper sleep 100000' ) &
P_SLEEPER=$!
LONGARG=$(printf 'A%.0s' $(seq 1 5000))
LONGENV=$(printf 'e%.0s' $(seq 1 6000))
( export GUEST_MARK=argv GUEST_LONG=$LONGENV GUEST_EMPTY= "GUEST_SPACES=a b  c"
  exec -a busybox.guest-argv /bin/guest-argv sh -c 'read x < /tmp/never' \
	guest-argv0 "two words" "" "tab	here" "ünïcødé" "$LONGARG" --last ) &
P_ARGV=$!
( export GUEST_MARK=parent
  exec -a busybox.guest-parent /bin/guest-parent sh -c \
	'GUEST_MARK=child exec -a busybox.guest-child /bin/guest-child sleep 100000 &
	 echo $! > /tmp/child.pid; wait' ) &
P_PARENT=$!
i=0
while [ ! -s /tmp/child.pid ] && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
P_CHILD=$(cat /tmp/child.pid 2>/dev/null)
# until every one of them has exec'd (comm set)
for i in $(seq 1 100); do
	n=0
	for p in $P_SLEEPER $P_ARGV $P_PARENT $P_CHILD; do
		case "$(cat /proc/$p/comm 2>/dev/null)" in guest-*) n=$((n + 1)) ;; esac
	done
	[ $n = 4 ] && break
	sleep 0.1
done
TESTPIDS="$P_SLEEPER $P_ARGV $P_PARENT $P_CHILD"
note "test processes: sleeper $P_SLEEPER argv $P_ARGV parent $P_PARENT child $P_CHILD"

MARK="GUEST-MARKER $(cat /proc/sys/kernel/random/uuid)"
echo "$MARK" >/dev/kmsg
T_CHECKS=$(up)
LAST=$T_CHECKS

RELEASE=$(uname -r)
echo "GUEST-RELEASE $RELEASE"
note "kptr_restrict=$(cat /proc/sys/kernel/kptr_restrict) lockdown=$(cat /sys/kernel/security/lockdown 2>/dev/null) kcore=$(ls -l /proc/kcore)"

# ---- info ------------------------------------------------------------------
k --json info
if [ $rc != 0 ]; then
	fail info "exit $rc: $(err)"
else
	bad=""
	j=$(cat $T/out)
	for want in '"arch": "x86_64"' "\"release\": \"$RELEASE\"" \
		'"vmcoreinfo": true' '"live": true' '"page_size": 4096'; do
		case "$j" in *"$want"*) ;; *) bad="$bad [no $want]" ;; esac
	done
	case "$j" in *'"format": "'?*) ;; *) bad="$bad [no format]" ;; esac
	# KASLR offset: _text against its link address (x86_64, 6.1)
	text=$(grep -m1 ' _text$' /proc/kallsyms | cut -d' ' -f1)
	want=$(printf '"kaslr_offset": "0x%x"' $((0x$text - 0xffffffff81000000)))
	case "$j" in *"$want"*) ;; *) bad="$bad [no $want]" ;; esac
	if [ -z "$bad" ]; then ok info; else fail info "$bad in $(head -c 300 $T/out)"; fi
fi

# ---- read linux_banner -------------------------------------------------------
len=$(wc -c </proc/version)
k read --raw linux_banner "$len"
if [ $rc != 0 ]; then
	fail read "exit $rc: $(err)"
elif cmp -s $T/out /proc/version; then
	ok read
else
	fail read "linux_banner is '$(head -c 200 $T/out)', /proc/version '$(cat /proc/version)'"
fi

# ---- nlist: 50 random core-kernel symbols whose name is unique -----------------
# (awk passes that look names up, rather than tables of all 100,000: TCG)
grep -v '\[' /proc/kallsyms >$T/ksyms
shuf -n 150 $T/ksyms >$T/cand
awk 'NR == FNR { w[$3] = 1; next }
	($3 in w) { n[$3]++; a[$3] = $1 }
	END { for (s in n) if (n[s] == 1 && a[s] != "0000000000000000") print a[s], s }' \
	$T/cand $T/ksyms | shuf -n 50 >$T/pick
sort $T/pick >$T/b
k nlist $(cut -d' ' -f2 $T/pick)
if [ $rc != 0 ]; then
	fail nlist "exit $rc: $(err)"
elif [ "$(wc -l <$T/pick)" -lt 40 ]; then
	fail nlist "only $(wc -l <$T/pick) unique names picked"
elif [ "$(sort $T/out)" = "$(cat $T/b)" ]; then
	ok nlist
else
	fail nlist "differs from /proc/kallsyms: $(sort $T/out | diff $T/b - | grep '^[-+][0-9a-f]' | head -6)"
fi

# ---- sym: text symbols, at their address and one byte in --------------------
# Those at a 16-byte boundary with no other symbol in the next 15 bytes, so
# that ADDR+1 is NAME+0x1 (NAME: one of the aliases at ADDR).
grep '0 [tT] ' $T/ksyms | shuf -n 40 >$T/tcand
awk 'NR == FNR { w[substr($1, 1, 15)] = $1; next }
	{ p = substr($1, 1, 15) }
	(p in w) && $1 != w[p] { bad[p] = 1 }
	END { for (p in w) if (!(p in bad)) print w[p] }' \
	$T/tcand $T/ksyms | shuf -n 20 >$T/tpick
addrs=""
for a in $(cat $T/tpick); do
	addrs="$addrs 0x$a 0x${a%0}1"
done
k sym $addrs
if [ $rc != 0 ]; then
	fail sym "exit $rc: $(err)"
elif [ "$(wc -l <$T/tpick)" -lt 10 ]; then
	fail sym "only $(wc -l <$T/tpick) addresses picked"
else
	# answer 2k-1: "A NAME", answer 2k: "A+1 NAME+0x1", A the k-th address
	bad=$(awk '
		FILENAME == ARGV[1] { want[++nw] = $1; w[$1] = 1; next }
		FILENAME == ARGV[2] { if ($1 in w) at[$1] = at[$1] " " $3 " "; next }
		{
			n++
			a = want[int((n + 1) / 2)]
			s = $2
			if (n % 2 == 0) {
				if (s !~ /[+]0x1$/ || $1 != substr(a, 1, 15) "1") {
					print "[" $0 "]"; next
				}
				sub(/[+]0x1$/, "", s)
			} else if ($1 != a) {
				print "[" $0 "]"; next
			}
			if (index(at[a], " " s " ") == 0) print "[" $0 ": not at " a "]"
		}
		END { if (n != 2 * nw) print "[" n " answers to " 2 * nw " addresses]" }
	' $T/tpick $T/ksyms $T/out)
	if [ -z "$bad" ]; then ok sym; else fail sym "$bad"; fi
fi

# ---- ps --json --------------------------------------------------------------------
ls -d /proc/[0-9]* | cut -d/ -f3 | sort -n >$T/pids.before
k --json ps
ls -d /proc/[0-9]* | cut -d/ -f3 | sort -n >$T/pids.after
if [ $rc != 0 ]; then
	fail ps "exit $rc: $(err)"
elif live ps; then
	# pid ppid state comm of each process kcore listed
	sed -n 's/.*"pid": \([0-9]*\), "ppid": \([0-9]*\),.*"state": "\(.\)", "comm": "\([^"]*\)".*/\1 \2 \3 \4/p' \
		$T/out >$T/kps
	bad=""
	[ "$(wc -l <$T/kps)" -ge 10 ] || bad=" [only $(wc -l <$T/kps) processes: $(head -c 200 $T/out)]"
	# every process there before and after kcore ran
	for p in $(grep -xFf $T/pids.before $T/pids.after); do
		grep -q "^$p " $T/kps || bad="$bad [pid $p missing]"
	done
	for p in $TESTPIDS; do
		# /proc/PID/stat: pid (comm) state ppid ...
		s=$(sed 's/^[0-9]* (\(.*\)) \(.\) \([0-9]*\) .*/\3 \2 \1/' /proc/$p/stat)
		got=$(grep "^$p " $T/kps | cut -d' ' -f2-)
		[ -n "$s" ] && [ "$got" = "$s" ] || bad="$bad [pid $p: kcore '$got', /proc '$s']"
	done
	if [ -z "$bad" ]; then ok ps; else fail ps "$bad"; fi
fi

# ---- args / env -----------------------------------------------------------------------
# vec NAME WHAT PID FILE: kcore WHAT PID prints FILE's NUL-separated strings, one a line.
vec() {
	k $2 $3
	if [ $rc != 0 ]; then
		fail "$1" "exit $rc: $(err)"
		return
	fi
	live "$1" || return
	tr '\0' '\n' <$4 >$T/want
	if cmp -s $T/want $T/out; then
		ok "$1"
	else
		fail "$1" "kcore: '$(tr '\n' '|' <$T/out | head -c 200)' want ($4): '$(tr '\n' '|' <$T/want | head -c 200)' $(err)"
	fi
}
for p in $P_ARGV $P_CHILD; do
	vec args-$p args $p /proc/$p/cmdline
	vec env-$p env $p /proc/$p/environ
done

# ---- loadavg (within 0.05 of /proc/loadavg read just before or after) ---------------
read -r l1 </proc/loadavg
k loadavg
read -r l2 </proc/loadavg
if [ $rc != 0 ]; then
	fail loadavg "exit $rc: $(err)"
elif live loadavg; then
	got=$(cat $T/out)
	if echo "$got|$l1|$l2" | awk -F'|' '
		function near(a, b,  x, y, i) {
			split(a, x, " "); split(b, y, " ")
			for (i = 1; i <= 3; i++) {
				d = x[i] - y[i]
				if (x[i] == "" || d > 0.05 || d < -0.05) return 0
			}
			return 1
		}
		{ exit !(near($1, $2) || near($1, $3)) }'; then
		ok loadavg
	else
		fail loadavg "kcore '$got', /proc/loadavg '$l1' then '$l2'"
	fi
fi

# ---- dmesg: the marker line, timestamp and all -------------------------------------------
line=$(dmesg | grep -F "$MARK" | head -n1)
k dmesg
if [ $rc != 0 ]; then
	fail dmesg "exit $rc: $(err)"
elif live dmesg; then
	if [ -z "$line" ]; then
		fail dmesg "busybox dmesg has no marker"
	elif grep -qxF "$line" $T/out; then
		ok dmesg
	else
		fail dmesg "no line '$line'; kcore has '$(grep -F GUEST-MARKER $T/out | head -n1)'"
	fi
fi

# ---- not root -------------------------------------------------------------------------------
# (/etc/passwd has nobody, 65534)
su -s /bin/sh nobody -c '/bin/kcore info' >$T/out 2>$T/err
rc=$?
if [ $rc = 0 ]; then
	fail nonroot-info "kcore info succeeded as nobody"
elif grep -qiE 'root|permission' $T/err; then
	ok nonroot-info
else
	fail nonroot-info "exit $rc, message names neither root nor permission: $(err)"
fi
su -s /bin/sh nobody -c '/bin/kcore ps' >$T/out 2>$T/err
rc=$?
n=$(grep -c 'using /proc instead' $T/err)
if [ $rc != 0 ]; then
	fail nonroot-ps "exit $rc: $(err)"
elif [ "$n" != 1 ]; then
	fail nonroot-ps "said $n times that it uses /proc: $(err)"
elif ! grep -qE "^ *$P_SLEEPER .* guest-sleeper\$" $T/out; then
	fail nonroot-ps "no guest-sleeper $P_SLEEPER in $(head -c 300 $T/out)"
else
	ok nonroot-ps
fi

# ---- kptr_restrict=2: /proc/kallsyms shows zeros, even to root ----------------
# kcore then takes the symbols from the kallsyms tables in kernel memory
# (root reads /proc/kcore all the same): the same answers as before.  A
# kallsyms file of zeros given with -N is refused, naming kptr_restrict.
old=$(cat /proc/sys/kernel/kptr_restrict)
echo 2 >/proc/sys/kernel/kptr_restrict
cat /proc/kallsyms >$T/kallsyms.zeros
if grep -qv '^0000000000000000 ' $T/kallsyms.zeros; then
	fail kptr-zeros "kptr_restrict=2 but /proc/kallsyms shows addresses to root"
fi
k nlist $(cut -d' ' -f2 $T/pick)
if [ $rc != 0 ]; then
	fail kptr-nlist "exit $rc: $(err)"
elif [ "$(sort $T/out)" = "$(cat $T/b)" ]; then
	ok kptr-nlist
else
	fail kptr-nlist "with kptr_restrict=2: $(sort $T/out | diff $T/b - | grep '^[-+][0-9a-f]' | head -6)"
fi
sched=$(grep -m1 ' T schedule$' $T/ksyms | cut -d' ' -f1)
k sym "0x$sched"
if [ $rc = 0 ] && [ "$(cat $T/out)" = "$sched schedule" ]; then
	ok kptr-sym
else
	fail kptr-sym "exit $rc: '$(head -c 100 $T/out)' $(err)"
fi
k -N $T/kallsyms.zeros nlist init_task
if [ $rc = 0 ]; then
	fail kptr-file "kcore -N (kallsyms of zeros) nlist succeeded: $(head -c 100 $T/out)"
elif grep -q kptr_restrict $T/err; then
	ok kptr-file
else
	fail kptr-file "exit $rc, message does not name kptr_restrict: $(err)"
fi
echo "$old" >/proc/sys/kernel/kptr_restrict

# ---- /proc/kcore hidden (a bind mount of /dev/null over it) -------------------------------
if mount -o bind /dev/null /proc/kcore 2>$T/err; then
	k info
	case $rc in
	0) fail nokcore-info "kcore info succeeded on an empty /proc/kcore" ;;
	1[2-9][0-9]) fail nokcore-info "exit $rc (a signal?): $(err)" ;;
	*) if grep -q kcore $T/err; then ok nokcore-info; else
		fail nokcore-info "exit $rc, message does not name /proc/kcore: $(err)"; fi ;;
	esac
	k ps
	n=$(grep -c 'using /proc instead' $T/err)
	if [ $rc != 0 ]; then
		fail nokcore-ps "exit $rc: $(err)"
	elif [ "$n" != 1 ]; then
		fail nokcore-ps "said $n times that it uses /proc: $(err)"
	elif ! grep -qE "^ *$P_CHILD .* guest-child\$" $T/out; then
		fail nokcore-ps "no guest-child $P_CHILD"
	else
		ok nokcore-ps
	fi
	umount /proc/kcore
else
	note "cannot bind-mount over /proc/kcore ($(err)): nokcore checks skipped"
fi

# ---- kvm_write through /dev/mem: written, or refused naming why ------------------------------
if out=$(livewrite 2>&1); then
	note "kvm_write: $out"
	ok livewrite
else
	fail livewrite "$out"
fi

# ---- argv / environ of processes in swap -----------------------------------------------
# Idle processes in a memory cgroup whose memory.reclaim pushes their pages
# out to /dev/vdb.  kcore (no -W: the areas /proc/swaps names) must read
# their argv and environ back out of the swap area.  /proc's answers are
# recorded before the pressure: reading /proc/PID/cmdline afterwards would
# fault the pages back in.
CG=/sys/fs/cgroup
SWPIDS=""
# pagestate PID ADDR: swap, ram or none for the page at ADDR (/proc/PID/pagemap
# bit 62 swapped, 63 present; reading it faults nothing in)
pagestate() {
	v=$(dd if=/proc/$1/pagemap bs=8 count=1 skip=$(($2 / 4096)) 2>/dev/null | od -An -tx8 | tr -d ' ')
	case "$v" in
	[4-7]???????????????) echo swap ;;
	[89a-f]???????????????) echo ram ;;
	????????????????) echo none ;;
	*) echo "?" ;;
	esac
}
# swpages PID: "ADDR:STATE ..." for each page of its argv and environ
# (/proc/PID/stat fields 48-51: arg_start arg_end env_start env_end)
swpages() {
	set -- $1 $(sed 's/^.*) //' /proc/$1/stat | cut -d' ' -f46-49)
	lastpg=-1
	swrange $1 $2 $3
	swrange $1 $4 $5
}
# swrange PID START END (environ usually starts on argv's last page: once)
swrange() {
	a=$(($2 / 4096 * 4096))
	while [ $a -lt $3 ]; do
		[ $a = $lastpg ] || printf '%x:%s ' $a "$(pagestate $1 $a)"
		lastpg=$a
		a=$((a + 4096))
	done
}
# zswap would keep the pages compressed in memory, which kcore refuses
if [ "$(cat /sys/module/zswap/parameters/enabled 2>/dev/null)" = Y ]; then
	echo N >/sys/module/zswap/parameters/enabled
	note "zswap was on: turned off"
fi
if ! swapon /dev/vdb 2>$T/err; then
	fail swapon "swapon /dev/vdb: $(err)"
else
	grep -q " $CG cgroup2 " /proc/mounts || mount -t cgroup2 none $CG
	echo +memory >$CG/cgroup.subtree_control 2>/dev/null
	mkdir -p $CG/kvmswap
	if [ ! -e $CG/kvmswap/memory.reclaim ]; then
		# (memory.reclaim is 5.19 and later)
		note "no memory.reclaim (cgroup controllers: $(cat $CG/cgroup.controllers 2>/dev/null)): swap checks skipped"
	else
		mkfifo /tmp/swapfifo
		# inswap CMD ARGS...: CMD in the background, moved into the cgroup
		# before its exec so that its new stack is charged there
		inswap() {
			sh -c 'echo 0 >/sys/fs/cgroup/kvmswap/cgroup.procs && exec "$@"' inswap "$@" &
			SWPIDS="$SWPIDS $!"
		}
		# the long one's argv and environ straddle pages
		SWLONG=$(printf 'S%.0s' $(seq 1 6000))
		inswap env -i KVMSWAP_MARK=1 "KVMSWAP_SPACES=a b  c" /bin/sh -c 'read x < /tmp/swapfifo' \
			kvmswap-argv-1 "two words" "" --last
		inswap env -i KVMSWAP_MARK=2 KVMSWAP_LONG=$SWLONG /bin/sh -c 'read x < /tmp/swapfifo' \
			kvmswap-argv-2 "$SWLONG" "ünïcødé"
		inswap env -i KVMSWAP_MARK=3 /bin/sh -c 'read x < /tmp/swapfifo' kvmswap-argv-3 three
		# until each has exec'd and sleeps in the FIFO's open
		for i in $(seq 1 100); do
			n=0
			for p in $SWPIDS; do
				case "$(tr '\0' ' ' </proc/$p/cmdline 2>/dev/null)" in "/bin/sh -c read x < /tmp/swapfifo kvmswap-argv-"*)
					[ "$(sed 's/^.*) \(.\).*/\1/' /proc/$p/stat)" = S ] && n=$((n + 1)) ;;
				esac
			done
			[ $n = 3 ] && break
			sleep 0.1
		done
		for p in $SWPIDS; do
			cat /proc/$p/cmdline >$T/sw-$p.cmdline
			cat /proc/$p/environ >$T/sw-$p.environ
		done
		# (fails, EAGAIN, when it reclaimed less than asked: expected)
		echo 64M >$CG/kvmswap/memory.reclaim 2>/dev/null
		note "kvmswap processes$SWPIDS; cgroup memory.current $(cat $CG/kvmswap/memory.current), swap.current $(cat $CG/kvmswap/memory.swap.current 2>/dev/null); $(tail -n +2 /proc/swaps | tr -s ' \t' ' ')"
		# Each one's argv and environ are to be in swap, not in memory,
		# when kcore reads them.
		for p in $SWPIDS; do
			sw=$(awk '$1 == "VmSwap:" { print $2 }' /proc/$p/status)
			pg=$(swpages $p)
			note "kvmswap $p: VmSwap $sw kB, argv and environ pages $pg"
			if [ "${sw:-0}" -le 0 ]; then
				fail "swapout-$p" "VmSwap ${sw:-?} kB after memory.reclaim: nothing of it in swap"
			else
				case "$pg" in
				"" | *:ram* | *:none* | *:\?*) fail "swapout-$p" "VmSwap $sw kB, but argv and environ pages are not all in swap: $pg" ;;
				*) ok "swapout-$p" ;;
				esac
			fi
			echo "$pg" >$T/sw-$p.pages
		done
		for p in $SWPIDS; do
			# what /proc showed before the pressure
			vec swap-args-$p args $p $T/sw-$p.cmdline
			vec swap-env-$p env $p $T/sw-$p.environ
			# the same bytes through kvm_uread2, from arg_start
			set -- $(sed 's/^.*) //' /proc/$p/stat | cut -d' ' -f46-47)
			k read --raw --pid $p $1 $(($2 - $1))
			if [ $rc != 0 ]; then
				fail "swap-uread-$p" "exit $rc: $(err)"
			elif cmp -s $T/sw-$p.cmdline $T/out; then
				ok "swap-uread-$p"
			else
				fail "swap-uread-$p" "kcore read --pid: '$(tr '\0' '|' <$T/out | head -c 200)' /proc before: '$(tr '\0' '|' <$T/sw-$p.cmdline | head -c 200)'"
			fi
			# kcore read the swap area: the pages are still out
			pg=$(swpages $p)
			if [ "$pg" = "$(cat $T/sw-$p.pages)" ]; then
				ok "swap-stayed-$p"
			else
				fail "swap-stayed-$p" "argv and environ pages were $(cat $T/sw-$p.pages)now $pg"
			fi
		done
	fi
	# done with them: the dump below is as before
	[ -n "$SWPIDS" ] && kill -KILL $SWPIDS && wait $SWPIDS
	swapoff /dev/vdb 2>$T/err || fail swapoff "swapoff /dev/vdb: $(err)"
	rmdir $CG/kvmswap 2>/dev/null
fi

# ---- item 4: dump the running kernel to the swap-signed disk --------------------------------
echo "GUEST-VERSION $(cat /proc/version)"
for d in /proc/[0-9]*; do
	echo "GUEST-PS-BEFORE ${d#/proc/} $(cat $d/comm 2>/dev/null)"
done
T_DUMP=$(up)
k dump -q -d 31 /dev/vda
T_DUMPED=$(up)
for d in /proc/[0-9]*; do
	echo "GUEST-PS-AFTER ${d#/proc/} $(cat $d/comm 2>/dev/null)"
done
if [ $rc = 0 ]; then
	ok dump
	echo "GUEST-DUMP ok"
else
	fail dump "exit $rc: $(err)"
	echo "GUEST-DUMP fail"
fi
sync
blockdev --flushbufs /dev/vda 2>/dev/null

# ---- lockdown=confidentiality (raised at run time, cannot be lowered: last) -------------------
if [ -w /sys/kernel/security/lockdown ] &&
	echo confidentiality >/sys/kernel/security/lockdown 2>$T/err; then
	if head -c 64 /proc/kcore >/dev/null 2>&1; then r=readable; else r=unreadable; fi
	note "lockdown now: $(cat /sys/kernel/security/lockdown); /proc/kcore $r"
	k info
	if [ $rc = 0 ]; then
		fail lockdown-info "kcore info succeeded under lockdown"
	elif grep -qiE 'lockdown|locked down' $T/err; then
		ok lockdown-info
	else
		fail lockdown-info "exit $rc, message does not name lockdown: $(err)"
	fi
	k ps
	n=$(grep -c 'using /proc instead' $T/err)
	if [ $rc != 0 ]; then
		fail lockdown-ps "exit $rc: $(err)"
	elif [ "$n" != 1 ]; then
		fail lockdown-ps "said $n times that it uses /proc: $(err)"
	else
		ok lockdown-ps
	fi
else
	fail lockdown "cannot raise lockdown: $(err)"
fi

note "uptime: checks from ${T_CHECKS}s, dump ${T_DUMP}s to ${T_DUMPED}s, done $(up)s"
echo "GUEST-DONE $nok $nfail"
sync
poweroff -f
