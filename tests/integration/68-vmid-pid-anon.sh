#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# vmid on a guest whose RAM is QEMU's own anonymous memory (libvirt's
# default; scripts/guest --anon-ram), the case of the Bochs L1's l2vmm
# too: no RAM file to map, so the pid backend copies guest memory out of
# QEMU, in a worker that has dropped every capability. process_vm_readv()
# is refused there (a root QEMU's capabilities are not a subset of the
# worker's empty set; Yama's ptrace_scope 1 wants CAP_SYS_PTRACE); the
# backend reads through /proc/PID/mem, opened before the drop. Before
# that, the baseline (taken before the drop) worked and every check then
# failed to read the kernel banner: a "rebooted" event and a re-attach,
# forever.
set -u
. "$(dirname "$0")/../lib/guest.sh"

. "$(dirname "$0")/../lib/vmid.sh"

vmid_setup pid67

tap_plan 7
guest_start --kernel 6.1 --test-modules --anon-ram --mem 256 --name "$prefix" ||
	tap_bail "the 6.1 guest did not boot"
tap_is "$GUEST_SHM" "" "the guest's RAM is QEMU's anonymous memory (no RAM file)"

"$VMID" --state-dir "$work/state" --events "$events" --interval 2 \
	--metrics off --socket "$sock" --match "vmiaas-$prefix" --settle 0 2>"$work/vmid.log" &
vmid_pid=$!
tap_ok 'wait_for 120 "[ \"\$(vm_field checks)\" -ge 2 ]"' \
	"vmid attached, baselined and checked the guest twice" ||
	tap_diag "$(tail -n 20 "$work/vmid.log")"
tap_is "$(vm_field memory) $(vm_field findings)" "pid 0" \
	"the worker reads the pid backend; no findings on the clean guest"
tap_is "$(nr_events '.event == "rebooted" or .event == "error"')" 0 \
	"no rebooted or error event: the worker's reads work without capabilities" ||
	tap_diag "$(grep -E 'rebooted|error' "$events" | head -n 3 | cut -c1-300)"
worker=$(vm_field worker_pid)
tap_ok '[ "$(awk "/^CapEff/ {print \$2}" /proc/$worker/status)" = 0000000000000000 ]' \
	"the worker has no capabilities"

# the reads after the drop see the guest as it is now
table=$(ksym sys_call_table)
guest_run insmod /vmiaas/modules/vmiaas_attack_syscall.ko "table=0x$table" >"$work/insmod" 2>&1 ||
	tap_diag "insmod: $(cat "$work/insmod")"
tap_ok 'wait_for 60 "[ \"\$(nr_events \".type == \\\"finding\\\" and .check == \\\"syscall-table\\\"\")\" -ge 1 ]"' \
	"a syscall hook loaded: a syscall-table finding, read through /proc/PID/mem" ||
	tap_diag "$(tail -n 5 "$work/vmid.log")"
vmid_stop
tap_is "$st" 0 "vmid exits cleanly on SIGTERM"
tap_done
