#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# vmiaas.ko in a Debian 6.1 guest under QEMU TCG (no VMX, so no VMFUNC):
# load, /dev/vmiaas (root only), VMIAAS_IOC_GET_CAPS and its argument
# checks, unload, reload three times, and no new kernel warnings.
#
# The module is the host-built vmiaas.ko at the repository's top ("make
# modules"). If there is none, or it was built for another kernel or is
# older than its sources, a private copy is built for the guest instead
# (the tree is left alone: tests running beside this one read it).
# tests/tools/vmiaas_caps.c is built static for the busybox guest.
set -u
# shellcheck source=tests/lib/guest.sh
. "$(dirname "$0")/../lib/guest.sh"

top=$VMIAAS_TOP
command -v qemu-system-x86_64 >/dev/null ||
	tap_skip_all "qemu-system-x86_64 missing (scripts/deps.sh test)"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/vmiaas-kmod.XXXXXX")
trap '_guest_cleanup; rm -rf "$tmp"' EXIT

guest_headers 6.1

# ---- the module, built for the guest's kernel ---------------------------
vermagic() { modinfo -F vermagic "$1" 2>/dev/null | cut -d' ' -f1; }

ko=$top/vmiaas.ko
stale=
[ -f "$ko" ] &&
	stale=$(find "$top/Kbuild" "$top/kmod" "$top/core" "$top/include/uapi" \
		-newer "$ko" -name '*.[ch]' -o -newer "$ko" -name Kbuild 2>/dev/null | head -n 1)
if [ ! -f "$ko" ] || [ "$(vermagic "$ko")" != "$abi" ] || [ -n "$stale" ]; then
	# a private build from the same sources, for this kernel
	src=$tmp/kbuild
	mkdir -p "$src"
	cp -r "$top/Kbuild" "$top/kmod" "$top/core" "$top/include" "$src/"
	find "$src" \( -name '*.o' -o -name '.*.cmd' -o -name '*.d' \) -delete
	make -s -C "$kdir" M="$src" modules >"$tmp/build.log" 2>&1 ||
		tap_bail "private build for $abi failed: $(tail -n 5 "$tmp/build.log")"
	ko=$src/vmiaas.ko
fi
[ "$(vermagic "$ko")" = "$abi" ] ||
	tap_bail "$ko has vermagic '$(vermagic "$ko")', the guest runs $abi"

gcc -static -O2 -std=gnu11 -D_GNU_SOURCE -I"$top/include" \
	-o "$tmp/vmiaas_caps" "$top/tests/tools/vmiaas_caps.c" 2>"$tmp/cc.log" ||
	tap_skip_all "cannot build a static vmiaas_caps: $(head -n 3 "$tmp/cc.log")"

# ---- the guest ------------------------------------------------------------
tap_plan 20
t0=$(date +%s%N)
guest_start --kernel 6.1 --add "$ko" --add "$tmp/vmiaas_caps" ||
	tap_bail "6.1 guest did not boot"
tap_diag "guest $GUEST ($abi) ready in ${GUEST_READY_MS} ms; module $ko"
caps=/vmiaas/vmiaas_caps
[ "$(guest_run 'grep -cw vmx /proc/cpuinfo' || true)" = 0 ] ||
	tap_diag "the guest CPU has VMX: the no-VMX checks below will fail"

# kernel-log lines that fail the test when insmod/rmmod adds them
alarms='WARNING|BUG|Oops|Call Trace'
guest_run dmesg >"$tmp/dmesg.before"

st=0; out=$(guest_run insmod /vmiaas/vmiaas.ko 2>&1) || st=$?
tap_is "$st" 0 "insmod vmiaas.ko" || tap_diag "$out"
tap_ok 'guest_run "dmesg | grep -q \"vmiaas: no VMX on this CPU: VMFUNC mode refused; hypercall and polling modes offered\""' \
	'dmesg: "vmiaas: no VMX on this CPU: VMFUNC mode refused; hypercall and polling modes offered"'
tap_is "$(guest_run 'ls -l /dev/vmiaas | cut -c1-10')" "crw-------" \
	"/dev/vmiaas is a character device, mode 0600"
tap_is "$(guest_run 'stat -c %u:%g /dev/vmiaas')" "0:0" "/dev/vmiaas is owned by root"

out=$(guest_run "$caps caps" 2>&1) || true
tap_diag "GET_CAPS: $out"
field() { sed -n "s/.*\\b$1=\\([^ ]*\\).*/\\1/p" <<<"$out"; }
tap_is "$(field api_version)" 1 "GET_CAPS: api_version 1"
tap_is "$(field modes)" "$(printf '%#x' $(((1 << 1) | (1 << 2))))" \
	"GET_CAPS: modes == VMIAAS_MODE_HYPERCALL | VMIAAS_MODE_POLL (no VMFUNC under TCG)"
tap_is "$(field check_types)" 0x1fffe \
	"GET_CAPS: check_types 0x1fffe (ranges, tables, bytes, exec-memory, netfilter-hook, proc-ops, packet-tap, input-handler, tracepoint-hook, vfs-ops, tty-ldisc, net-protocol and netdev-hook, types 1-16)"
tap_is "$(field check_flags)" 0x3 \
	"GET_CAPS: check_flags 0x3 (VMIAAS_CHECK_CSTRING, VMIAAS_CHECK_PROC_MORE)"
tap_is "$(field event_size)" 360 \
	"GET_CAPS: event_size 360 (records with what netfilter-hook and proc-ops found)"
tap_is "$(field reserved)" 0 "GET_CAPS: reserved fields zeroed"
tap_is "$(field size)" 64 "GET_CAPS: size 64 written back"

tap_is "$(guest_run "$caps bad-size" 2>&1)" "EINVAL EINVAL" \
	"GET_CAPS with size 0 and sizeof - 1: EINVAL"
tap_is "$(guest_run "$caps bad-ioctl" 2>&1)" "ENOTTY ENOTTY ENOTTY" \
	"unknown ioctl numbers: ENOTTY"
tap_is "$(guest_run "$caps --as-uid 1000 open" 2>&1)" "EACCES" \
	"uid 1000 cannot open /dev/vmiaas: EACCES"

st=0; out=$(guest_run rmmod vmiaas 2>&1) || st=$?
tap_is "$st" 0 "rmmod vmiaas" || tap_diag "$out"
tap_ok '! guest_run "test -e /dev/vmiaas || grep -q ^vmiaas /proc/modules"' \
	"/dev/vmiaas and the module are gone"

for i in 1 2 3; do
	out=$(guest_run 'insmod /vmiaas/vmiaas.ko && test -c /dev/vmiaas &&
		/vmiaas/vmiaas_caps open && rmmod vmiaas && ! test -e /dev/vmiaas &&
		echo cycled' 2>&1) || true
	tap_is "$(tail -n 1 <<<"$out")" cycled "reload $i: insmod, open, rmmod" ||
		tap_diag "$out"
done

guest_run dmesg >"$tmp/dmesg.after"
grep -E "$alarms" "$tmp/dmesg.before" | sort >"$tmp/alarms.before" || true
grep -E "$alarms" "$tmp/dmesg.after" | sort >"$tmp/alarms.after" || true
new=$(comm -13 "$tmp/alarms.before" "$tmp/alarms.after")
tap_is "$new" "" "no new WARNING/BUG/Oops in the guest kernel log"
[ -z "$new" ] || tap_diag "$(grep -E -A20 "$alarms" "$tmp/dmesg.after" | head -n 60)"

tap_diag "total $(( ($(date +%s%N) - t0) / 1000000 )) ms"
tap_done
