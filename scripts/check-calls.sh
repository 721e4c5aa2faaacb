#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
#
# check-calls.sh OBJDIR: the layer rules of DESIGN §7 and issue 21, checked
# on calls, not includes.  OBJDIR holds the library's object files in the
# tree's shape (build/CMakeFiles/kvm_obj.dir/src: format/x.c.o, ...).  A
# plug-in directory's objects may call the core (src/*.c) and the layers
# below their own, and nothing else:
#
#   format, arch, sym   the core only
#   types               sym
#   proc                sym, types
#   stack               sym, types, proc
#   dump                sym, types, proc (never a format's or an arch's
#                       internals: the core's dispatch is the way there)
#
# A call is an undefined symbol of one object that an object of another
# directory defines (nm).  Prints each call that breaks a rule; exit 1 if
# any, 2 on usage errors.
set -eu
# join(1) and sort(1) must agree on the order.
export LC_ALL=C

[ $# -eq 1 ] && [ -d "$1" ] || {
	echo "usage: check-calls.sh OBJDIR" >&2
	exit 2
}
objdir=$1
NM=${NM:-nm}
layers="format arch sym types proc stack dump"

allowed() {
	case $1 in
	format | arch | sym) echo "" ;;
	types) echo "sym" ;;
	proc) echo "sym types" ;;
	stack) echo "sym types proc" ;;
	dump) echo "sym types proc" ;;
	esac
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

# Who defines what: "SYMBOL LAYER", global text and data.
: >"$tmp/defs"
for l in $layers; do
	for o in "$objdir/$l"/*.o; do
		[ -e "$o" ] || continue
		"$NM" --defined-only -g "$o" |
		    awk -v l="$l" 'NF == 3 { print $3, l }' >>"$tmp/defs"
	done
done
sort -u "$tmp/defs" -o "$tmp/defs"

n=0
for l in $layers; do
	ok=$(allowed "$l")
	for o in "$objdir/$l"/*.o; do
		[ -e "$o" ] || continue
		"$NM" -u "$o" | awk '{ print $NF }' | sort -u >"$tmp/undef"
		join "$tmp/undef" "$tmp/defs" >"$tmp/calls" || true
		while read -r sym owner; do
			[ "$owner" = "$l" ] && continue
			case " $ok " in *" $owner "*) continue ;; esac
			src=$(basename "$o" .o)
			echo "src/$l/$src calls $sym of src/$owner/:" \
			    "$l may call the core${ok:+ and $ok} only"
			n=$((n + 1))
		done <"$tmp/calls"
	done
done
if [ "$n" -gt 0 ]; then
	echo "check-calls: $n calls across layers" >&2
	exit 1
fi
echo "check-calls: ok"
