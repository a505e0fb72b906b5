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
#
# Where QEMU's anonymous RAM adjoins another anonymous mapping with the
# same flags, the kernel merges the two VMAs and the RAM block no longer
# starts where its mapping does (ASLR decides: about 1 run in 8 here).
# The test makes that happen every time: gdb maps 1 MiB right below the
# block inside QEMU. Without QMP (a libvirt domain: libvirt holds the
# monitor) RAM is placed by the size on QEMU's command line.
set -u
. "$(dirname "$0")/../lib/guest.sh"

. "$(dirname "$0")/../lib/vmid.sh"

vmid_setup pid67

# crowd_ram PID BYTES: maps BYTES of anonymous memory right below the
# PID's RAM block (its largest anonymous writable mapping) if free there.
crowd_ram()
{
	local lo hi anon prev=0 best=0 bstart=0 bprev=0 s e

	while read -r lo hi anon; do
		s=$((16#$lo)) e=$((16#$hi))
		if [ "$anon" = 1 ] && [ $((e - s)) -gt "$best" ]; then
			best=$((e - s)) bstart=$s bprev=$prev
		fi
		prev=$e
	done < <(awk '{ split($1, r, "-"); print r[1], r[2], ($2 == "rw-p" && NF == 5) }' \
		/proc/"$1"/maps)
	[ $((bstart - bprev)) -ge "$2" ] || return 1
	timeout 120 gdb -p "$1" -batch -nx -ex \
		"call (void *)mmap((void *)$((bstart - $2)), (unsigned long)$2, 3, 0x100022, -1, 0)" \
		>"$work/gdb.log" 2>&1
	grep -q "^$(printf %x $((bstart - $2)))-" /proc/"$1"/maps
}

tap_plan 10
# ASLR decides what lies right below the RAM block: a mapping that cannot
# merge with it there (a thread stack's guard page) leaves no room to
# crowd it. A new QEMU places it elsewhere: three boots at most.
for try in 1 2 3; do
	rm -f "$work/gdb.log"
	guest_start --kernel 6.1 --test-modules --anon-ram --mem 256 --name "$prefix" ||
		tap_bail "the 6.1 guest did not boot"
	crowded=no
	crowd_ram "$GUEST_PID" $((1 << 20)) && crowded=yes && break
	tap_diag "boot $try: no room right below the RAM block" \
		"$(tail -n 5 "$work/gdb.log" 2>/dev/null)"
	[ "$try" = 3 ] || guest_stop "$GUEST_DIR" >/dev/null 2>&1
done
tap_is "$GUEST_SHM" "" "the guest's RAM is QEMU's anonymous memory (no RAM file)"
tap_is "$crowded" yes \
	"an anonymous mapping adjoins the RAM block below, as after a VMA merge"
tap_ok '"$VMICTL" --pid "$GUEST_PID" --qmp "$GUEST_QMP" info >"$work/info" 2>&1 &&
	grep -q "^kernel: *6.1" "$work/info"' \
	"vmictl --pid finds the RAM block inside the larger mapping" ||
	tap_diag "$(head -n 3 "$work/info")"
tap_ok '"$VMICTL" --pid "$GUEST_PID" info >"$work/info" 2>&1 &&
	grep -q "^kernel: *6.1" "$work/info"' \
	"without QMP (libvirt's monitor is taken), too: QEMU's -m places it" ||
	tap_diag "$(head -n 3 "$work/info")"

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
