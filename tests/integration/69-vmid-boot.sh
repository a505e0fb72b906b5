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
# Then a reset inside the same QEMU, made deterministic through the test's
# own QMP monitor (the first one is the worker's): the guest stopped and
# reset (vCPU 0 back in real mode, RAM still holding the old kernel), a
# check asked with vmictl: one "rebooted" event, no finding, no error
# event, no worker restart; the guest continued: it boots again, vmid
# re-attaches, re-takes the baseline and checks clean. Last, a reset in
# the middle of a check: the worker held by gdb at vmiaas_check_run()
# while the guest is stopped and reset: again one "rebooted" event; and
# held while the guest resets and its new kernel boots and runs (the old
# kernel's page tables, banner and state still in RAM): one more
# "rebooted" event, no error event.
set -u
. "$(dirname "$0")/../lib/guest.sh"

. "$(dirname "$0")/../lib/vmid.sh"

vmid_setup boot69
tap_plan 24
"$VMID" --state-dir "$work/state" --events "$events" --interval 2 --metrics off \
	--libvirt off --socket "$sock" --match "vmiaas-$prefix" --settle 0 \
	--scan-interval 1 2>"$work/vmid.log" &
vmid_pid=$!
wait_for 10 '[ -S "$sock" ]' || tap_bail "vmid did not start: $(cat "$work/vmid.log")"
# memtest: a few passes over the guest's RAM in setup_arch(), seconds of
# SYSTEM_BOOTING with the kernel's image mapped and no pid 1 yet
guest_start --kernel 6.1 --name "$prefix" --test-monitor --append "memtest=${VMIAAS_MEMTEST:-4}" --timeout 300 ||
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

# ---- a reset while the guest is stopped ------------------------------------------
# this VM's events of a kind; its findings
n_ev() { nr_events "$vm and .event == \"$1\""; }
n_find() { nr_events "$vm and .type == \"finding\""; }
n_retaken() { nr_events "$vm and .event == \"baseline\" and (.message | startswith(\"re-taken\"))"; }
# checks only when asked (interval 600), the baseline loaded from its file
: >"$events"
# (timeout 600: a worker held in gdb through a whole boot is not killed)
"$VMID" --state-dir "$work/state" --events "$events" --interval 600 --timeout 600 --metrics off \
	--libvirt off --socket "$sock" --match "vmiaas-$prefix" --settle 0 \
	--scan-interval 1 2>>"$work/vmid.log" &
vmid_pid=$!
wait_for 120 '[ "$(vm_field checks)" -ge 1 ]' ||
	tap_bail "vmid did not attach again: $(tail -n 5 "$work/vmid.log")"
# a reset (QMP system_reset) resets the machine instead of ending QEMU
# (the rig's -no-reboot)
guest_qmp '{"execute":"set-action","arguments":{"reboot":"reset"}}' >/dev/null
worker=$(vm_field worker_pid)
guest_qmp '{"execute":"stop"}' >/dev/null
guest_qmp '{"execute":"system_reset"}' >/dev/null
regs=$(guest_qmp 'info registers')
tap_ok 'grep -q "^CR0=60000010 " <<<"$regs" && grep -q "EFER=0000000000000000" <<<"$regs"' \
	"stopped and reset: vCPU 0 without paging or long mode, RAM as it was"
rc=0
VMID_SOCKET=$sock "$VMICTL" vmid-check "vmiaas-$prefix" >"$work/check" 2>&1 || rc=$?
tap_diag "vmid-check: exit $rc: $(head -c 300 "$work/check")"
tap_ok '[ $rc != 0 ] && grep -q "rebooted" "$work/check"' \
	"vmictl vmid-check fails, saying the guest rebooted"
tap_ok 'wait_for 10 "[ \"\$(n_ev rebooted)\" = 1 ]"' "a check of the machine in reset: a rebooted event"
tap_diag "$(jq -r "select($vm and .event == \"rebooted\") | .message" "$events" | cut -c1-300)"
# the re-attach while it stays in reset: booting, not a second reboot
sleep 8
tap_is "$(n_ev rebooted) $(n_ev error) $(n_find)" "1 0 0" \
	"8 s later: one rebooted event, no error event, no finding"
tap_ok '[ "$(vm_field restarts)" = 0 ] && ! ps -p "$worker" >/dev/null && [ "$(n_ev worker-crashed)" = 0 ]' \
	"the worker left, not counted as a restart or a crash"
tap_diag "$(grep -E "vmiaas-$prefix" "$work/vmid.log" | tail -n 3 | cut -c1-300)"

# ---- continued: the guest boots again, vmid trusts the new boot -------------------
guest_qmp '{"execute":"cont"}' >/dev/null
tap_ok 'wait_for 300 "[ \"\$(n_retaken)\" = 1 ] && [ \"\$(vm_field state)\" = ready ]"' \
	"continued: the guest booted again, vmid re-attached and re-took its baseline (trust on first use of the new boot)"
# asked, not scheduled: the first scheduled check of the new boot waits
# for its slot (0.9 interval after the last one: "CPU budget and spreading")
checks=$(vm_field checks)
rc=0
VMID_SOCKET=$sock "$VMICTL" vmid-check "vmiaas-$prefix" >"$work/check" 2>&1 || rc=$?
tap_ok '[ $rc = 0 ] && [ "$(vm_field checks)" -gt "$checks" ]' "vmictl vmid-check of the new boot: checked, clean" ||
	tap_diag "vmid-check: exit $rc: $(head -c 300 "$work/check")"
tap_is "$(n_ev error) $(n_find) $(vm_field restarts)" "0 0 0" \
	"no error event, no finding, no worker restart through the reset"

# ---- a reset in the middle of a check ----------------------------------------------
# held_check SCRIPT: a vmid-check whose worker gdb holds at the start of
# vmiaas_check_run() (the worker's own tests of vCPU 0 passed) while
# SCRIPT runs (it touches $work/gdb.reset when done), then lets go on;
# sets rc (vmictl's status) and msg (the latest rebooted event's message)
held_check()
{
	local gdb_pid

	rm -f "$work/gdb.ready" "$work/gdb.reset"
	gdb -p "$(vm_field worker_pid)" -batch -nx -ex 'handle all nostop noprint pass' \
		-ex 'break vmiaas_check_run' -ex "shell touch $work/gdb.ready" -ex continue \
		-ex "shell bash $1" -ex detach >"$work/gdb.log" 2>&1 &
	gdb_pid=$!
	wait_for 120 '[ -e "$work/gdb.ready" ]' || tap_diag "gdb: $(tail -n 5 "$work/gdb.log")"
	rc=0
	VMID_SOCKET=$sock timeout 900 "$VMICTL" vmid-check "vmiaas-$prefix" >"$work/check" 2>&1 || rc=$?
	wait "$gdb_pid"
	msg=$(jq -r "select($vm and .event == \"rebooted\") | .message" "$events" | tail -n 1)
	tap_diag "${msg:0:400}"
}
if command -v gdb >/dev/null; then
	wait_for 120 'guest_run true' || tap_diag "the guest's agent is not back after the reset"
	before=$(n_ev rebooted)
	cat >"$work/reset.sh" <<-EOS
		"$VMIAAS_GUEST_CLI" qmp "$GUEST_DIR" '{"execute":"stop"}' >/dev/null
		"$VMIAAS_GUEST_CLI" qmp "$GUEST_DIR" '{"execute":"system_reset"}' >/dev/null
		touch "$work/gdb.reset"
	EOS
	held_check "$work/reset.sh"
	tap_ok '[ -e "$work/gdb.reset" ] && grep -q "Breakpoint 1, vmiaas_check_run" "$work/gdb.log"' \
		"the check began with the guest in long mode; gdb reset the guest in its middle" ||
		tap_diag "$(tail -n 8 "$work/gdb.log")"
	tap_ok '[ $rc != 0 ] && [ "$(n_ev rebooted)" = $((before + 1)) ] && grep -Eq "seen after the check began|\(the check failed: " <<<"$msg"' \
		"the check is dropped as a reboot seen after it began: one more rebooted event"
	sleep 8
	tap_is "$(n_ev rebooted) $(n_ev error) $(n_find) $(vm_field restarts)" "$((before + 1)) 0 0 0" \
		"8 s later: no other rebooted event, no error event, no finding, no restart"

	# ---- a whole reboot within one check ---------------------------------------
	# held at vmiaas_check_run() while the guest resets and its new
	# kernel boots until its agent answers: the check then meets another
	# kernel in long mode, with the old one's page tables, banner and
	# system_state still in RAM
	guest_qmp '{"execute":"cont"}' >/dev/null
	wait_for 300 '[ "$(n_retaken)" = 2 ] && [ "$(vm_field state)" = ready ]' ||
		tap_diag "not re-attached after the second reset: $(tail -n 3 "$work/vmid.log")"
	wait_for 120 'guest_run true' || tap_diag "the guest's agent is not back after the second reset"
	before=$(n_ev rebooted)
	cat >"$work/reboot.sh" <<-EOS
		"$VMIAAS_GUEST_CLI" qmp "$GUEST_DIR" '{"execute":"system_reset"}' >/dev/null
		sleep 5
		for i in \$(seq 120); do
			timeout 10 "$VMIAAS_GUEST_CLI" run --timeout 5 "$GUEST_DIR" true >/dev/null 2>&1 &&
				exec touch "$work/gdb.reset"
			sleep 1
		done
	EOS
	held_check "$work/reboot.sh"
	tap_ok '[ -e "$work/gdb.reset" ] && grep -q "Breakpoint 1, vmiaas_check_run" "$work/gdb.log"' \
		"the check began on the old kernel; the new one booted and ran while it was held" ||
		tap_diag "$(tail -n 8 "$work/gdb.log")"
	tap_ok '[ $rc != 0 ] && [ "$(n_ev rebooted)" = $((before + 1)) ] && grep -q "page tables do not map the kernel" <<<"$msg"' \
		"the check is dropped as a reboot: vCPU 0's page tables no longer map the old kernel's text"
	sleep 8
	tap_is "$(n_ev rebooted) $(n_ev error) $(n_find) $(vm_field restarts)" "$((before + 1)) 0 0 0" \
		"8 s later: no other rebooted event, no error event, no finding, no restart"
else
	tap_skip "gdb missing (scripts/deps.sh test)" 6
fi
vmid_stop
tap_is "$st" 0 "vmid exits 0 on SIGTERM"
[ "$_tap_fail" -eq 0 ] || tap_diag "vmid log:" "$(tail -n 40 "$work/vmid.log")"
tap_done
