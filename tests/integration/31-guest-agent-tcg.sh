#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# guest-agent/vmiaas_agent.ko in a Debian 6.1 guest under QEMU TCG: no VMX,
# no KVM, so neither VMFUNC nor vmiaas's hypercall. The agent must load,
# catch the #UD of its VMFUNC probe (exception fixup, no oops), say which
# modes it found (none) and, with mode=none, stay idle: an on-demand trigger is refused
# with ENODEV, a module load makes no request. Then it unloads, reloads
# with mode=vmfunc and mode=hypercall (found: none, still loads), with
# mode=auto falls back to mode ram (no watcher here: a trigger times out),
# and refuses an unknown mode. No new WARNING/BUG/Oops in the guest log.
set -u
# shellcheck source=tests/lib/guest.sh
. "$(dirname "$0")/../lib/guest.sh"

command -v qemu-system-x86_64 >/dev/null ||
	tap_skip_all "qemu-system-x86_64 missing (scripts/deps.sh test)"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/vmiaas-agent.XXXXXX")
trap '_guest_cleanup; rm -rf "$tmp"' EXIT

guest_headers 6.1
agent_build "$tmp"

tap_plan 13
guest_start --kernel 6.1 --add "$ko" || tap_bail "6.1 guest did not boot"
tap_diag "guest $GUEST ($abi) ready in ${GUEST_READY_MS} ms"
p=/sys/module/vmiaas_agent/parameters

alarms='WARNING|BUG|Oops|Call Trace|invalid opcode'
guest_run dmesg >"$tmp/dmesg.before"

st=0; out=$(guest_run insmod /vmiaas/vmiaas_agent.ko mode=none 2>&1) || st=$?
tap_is "$st" 0 "insmod vmiaas_agent.ko on a CPU without VMX" || tap_diag "$out"
log=$(guest_run 'dmesg | grep "vmiaas_agent: "')
tap_diag "$log"
tap_ok "grep -q 'VMFUNC: no (#UD)' <<<\"\$log\"" \
	"the VMFUNC probe's #UD is caught and reported"
tap_ok "grep -q 'vmiaas view 1: no; vmiaas hypercall: no' <<<\"\$log\"" \
	"no vmiaas view 1, no vmiaas hypercall"
tap_ok "grep -q 'no way to reach vmiaas (mode=none): staying idle' <<<\"\$log\"" \
	"the agent says it stays idle"
found=$(guest_run "cat $p/found")
tap_diag "found: $found"
tap_ok "grep -q 'vmfunc=0 view1=0 .*mode=none' <<<\"\$found\"" \
	"parameters/found: vmfunc=0 view1=0 mode=none"
out=$(guest_run "echo 1 > $p/trigger" 2>&1) && st=0 || st=$?
tap_ok "[ $st -ne 0 ] && grep -qi 'no such device' <<<\"\$out\"" \
	"an on-demand trigger is refused with ENODEV (got: $out)"
hello=$(guest_modules)/vmiaas_test_hello.ko
if [ -f "$hello" ]; then
	guest_insmod "$hello" >/dev/null 2>&1 &&
		guest_run rmmod vmiaas_test_hello >/dev/null 2>&1
else
	tap_diag "no $hello: the module-load trigger is not exercised"
fi
tap_ok "guest_run 'grep -q \"requests=0 \" $p/last'" \
	"idle: no request was made (not even after a module load)"
st=0; out=$(guest_run rmmod vmiaas_agent 2>&1) || st=$?
tap_is "$st" 0 "rmmod vmiaas_agent" || tap_diag "$out"

for m in vmfunc hypercall; do
	out=$(guest_run "insmod /vmiaas/vmiaas_agent.ko mode=$m && cat $p/found && rmmod vmiaas_agent" 2>&1) || true
	tap_ok "grep -q 'mode=none' <<<\"\$out\"" \
		"mode=$m without it: loads, finds nothing, unloads" || tap_diag "$out"
done
out=$(guest_run "insmod /vmiaas/vmiaas_agent.ko wait_ms=200 && cat $p/found && (echo 1 > $p/trigger) 2>&1; rmmod vmiaas_agent" 2>&1) || true
tap_ok "grep -q 'mode=ram' <<<\"\$out\" && grep -qi 'timed out' <<<\"\$out\"" \
	"mode=auto falls back to ram; with no watcher a trigger times out" ||
	tap_diag "$out"
out=$(guest_run "insmod /vmiaas/vmiaas_agent.ko mode=bogus" 2>&1) && st=0 || st=$?
tap_ok "[ $st -ne 0 ] && ! guest_run 'test -e /sys/module/vmiaas_agent'" \
	"mode=bogus is refused"

guest_run dmesg >"$tmp/dmesg.after"
grep -E "$alarms" "$tmp/dmesg.before" | sort >"$tmp/alarms.before" || true
grep -E "$alarms" "$tmp/dmesg.after" | sort >"$tmp/alarms.after" || true
new=$(comm -13 "$tmp/alarms.before" "$tmp/alarms.after")
tap_is "$new" "" "no new WARNING/BUG/Oops/invalid opcode in the guest log"
[ -z "$new" ] || tap_diag "$(grep -E -A20 "$alarms" "$tmp/dmesg.after" | head -n 60)"
tap_done
