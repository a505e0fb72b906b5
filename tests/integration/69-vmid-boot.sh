#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# vmid watching a guest from its first instruction: vmid starts first
# (settle 0), then the guest, booted with memtest=N so that its kernel
# spends seconds in SYSTEM_BOOTING with its image mapped. vmid attaches
# while it boots: one "booting" event in the JSON stream, its worker
# refusing the baseline with the kernel's own state (system_state, pid 1
# not yet running a program: docs/integrity.md, "A guest that is still
# booting"), log lines only when the reason changes, no error event, no
# worker restart; once the kernel runs, one trust-on-first-use baseline
# and clean checks against it.
set -u
. "$(dirname "$0")/../lib/guest.sh"

. "$(dirname "$0")/../lib/vmid.sh"

vmid_setup boot69
tap_plan 9
"$VMID" --state-dir "$work/state" --events "$events" --interval 2 --metrics off \
	--libvirt off --socket "$sock" --match "vmiaas-$prefix" --settle 0 \
	--scan-interval 1 2>"$work/vmid.log" &
vmid_pid=$!
wait_for 10 '[ -S "$sock" ]' || tap_bail "vmid did not start: $(cat "$work/vmid.log")"
# memtest: a few passes over the guest's RAM in setup_arch(), seconds of
# SYSTEM_BOOTING with the kernel's image mapped and no pid 1 yet
guest_start --kernel 6.1 --name "$prefix" --append "memtest=${VMIAAS_MEMTEST:-4}" --timeout 300 ||
	tap_bail "the 6.1 guest did not boot: $(tail -n 5 "$work/vmid.log")"
tap_ok 'wait_for 180 "[ \"\$(vm_field checks)\" -ge 2 ]"' \
	"vmid attached the guest once it ran, baselined it and checked it twice"
tap_diag "$(grep -E 'booting|attach' "$work/vmid.log" | cut -c1-300)"
vm=".vm.name == \"vmiaas-$prefix\""
tap_is "$(nr_events "$vm and .event == \"booting\"")" 1 \
	"one \"booting\" event in the JSON stream, not one per attempt"
tap_diag "$(jq -r "select($vm and .event == \"booting\") | .message" "$events" | cut -c1-300)"
# line numbers: booting before the baseline
nb=$(jq -c . "$events" | grep -n '"event":"booting"' | head -n 1 | cut -d: -f1)
ntofu=$(jq -c . "$events" | grep -n '"message":"taken (trust on first use)' | head -n 1 | cut -d: -f1)
tap_ok '[ -n "$nb" ] && [ -n "$ntofu" ] && [ "$nb" -lt "$ntofu" ] && [ "$(nr_events "$vm and .event == \"baseline\"")" = 1 ]' \
	"one baseline, taken (trust on first use) after the booting event"
tap_ok 'grep -Eq "the kernel is not running yet: system_state SYSTEM_(BOOTING|SCHEDULING|FREEING_INITMEM) \([0-9]\), and init \(pid 1\) has not started a program" "$work/vmid.log"' \
	"the worker refused the baseline on the kernel's own state (system_state, pid 1 not yet running a program)"
tries=$(sed -n 's/.*attached after \([0-9]*\) attempts in \([0-9]*\) s while it booted.*/\1/p' "$work/vmid.log" | head -n 1)
lines=$(grep -c 'attaching again every 3 s' "$work/vmid.log")
tap_ok '[ "${tries:-0}" -ge 1 ] && [ "$lines" -ge 1 ] && [ "$lines" -le "$tries" ] && [ "$lines" -le 6 ]' \
	"the retries are logged when their reason changes: $lines lines for ${tries:-no} attempts"
tap_is "$(nr_events "$vm and .event == \"error\"")" 0 "no error event while it booted"
tap_is "$(vm_field restarts)" 0 "no worker restart counted (booting is not a failure)"
tap_is "$(nr_events "$vm and .type == \"finding\"")" 0 "no finding: the baseline is of the running kernel"
vmid_stop
tap_is "$st" 0 "vmid exits 0 on SIGTERM"
[ "$_tap_fail" -eq 0 ] || tap_diag "vmid log:" "$(tail -n 40 "$work/vmid.log")"
tap_done
