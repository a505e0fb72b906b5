#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# vmid-l1.sh: the "vmid" step of tests/vmfunc/l1-suite.sh, in the Bochs L1
# with the patched KVM: vmid (dynamically linked: the host's libraries are
# in the L1's /lib) watches the Linux L2 that l2vmm boots (without
# --vmiaas: vmid, not the VMM, attaches it) through /dev/vmiaas.
#
# vmid starts once the L2 runs its /l2/cmd.sh (a booted kernel: the first
# check is the trust-on-first-use baseline, with no settle time); it finds
# l2vmm by "vmm = l2vmm" (a non-QEMU KVM VMM), takes its VM fd with
# pidfd_getfd(), attaches it and arms view 1; its worker reads the L2's
# memory through /proc/PID (the pid backend), baselines it and registers
# the syscall table and three syscall functions with the module
# (module_text: a few KiB to hash per request instead of the whole text's
# 14 MiB). The L2 (tests/vmfunc/vmid-l2-guest.sh) asks through VMFUNC:
# clean (no full check: vmid made one just before registering, and
# agent_min_interval is long); loads an inline hook: the module says
# TAMPERED, vmid writes a "module" finding and runs its full check, which
# finds the hook (kernel-text); the L2 removes the hook: the module says
# clean, vmid resolves its finding; then vmiaas_attack_execmem leaves code
# executable in a vmalloc page: the module's exec-memory check (from
# libvmiaas's vmiaas_module_policy(), registered by vmid with the others)
# says TAMPERED and vmid writes an "exec-memory" finding, as vmictl check
# would name it. Two full checks in all (the first and the hook's), the
# dear part of this step in Bochs: the run ends before the third, which
# the exec-memory finding starts.
# The L2 waits for this script's signals (SIGUSR2 to l2vmm, read by the
# L2 from the UART's scratch register): 1 once vmid has registered its
# checks with the module, 2 once vmid's own check has found the hook, 3
# once vmid has resolved the module finding. This script ends the L2 once
# vmid has reported the module's exec-memory finding, or when the L2 ends. The step's time goes to the L2's boot and to Bochs running
# the L2, and an idle L1 second is dear in Bochs: nothing here sleeps long.
#   @@INSMOD STATUS, @@RMMOD STATUS, @@L2VMM-END STATUS
#   @@VMID-START UPTIME           vmid started (the L2 is at its cmd.sh)
#   @@VMID-SIGNAL N UPTIME        the L2 may go on (SIGUSR2 number N)
#   @@VMID-VIEW-NOT-ARMED UPTIME  vmid says view 1 is not armed (its
#                                 ENABLE_VIEW failed): the step ends (the
#                                 L2 would wait for signal 1)
#   @@VMID-ATTACH-FAILED UPTIME WHY  vmid's module event says it could
#                                 not attach the VM: the step ends
#   @@VMID-STATUS-BEGIN/-END      vmictl status after the module finding
#   @@VMID-METRICS-BEGIN/-END     vmid's findings metrics at the end
#   @@EV {json}                   vmid's event lines
#   @@VMID-END STATUS             vmid's exit status after SIGTERM
rmmod kvm_intel && insmod /lib/modules/vmiaas/kvm-intel.ko preemption_timer=0
echo "@@KVM-INTEL-RELOAD $?"
insmod ./vmiaas.ko
echo "@@INSMOD $?"

# the L2's initramfs with this step's /l2/cmd.sh (a later cpio archive
# overrides an earlier one's files)
cat l2.cpio l2-vmid.cpio >/tmp/l2-vmid.cpio
args=$(sed -e 's|--initrd l2.cpio|--initrd /tmp/l2-vmid.cpio|' \
	-e 's|--timeout [0-9]*|--timeout 2300|' l2vmm.args | tr '\n' ' ')

mkdir -p /tmp/vmid
ip link set lo up
cat >/tmp/vmid/vmid.conf <<CONF
state_dir = /tmp/vmid
socket = /tmp/vmid/vmid.sock
events = /tmp/vmid/events.jsonl
vmm = l2vmm
libvirt = off
metrics = 127.0.0.1:9464
journal = no
interval = 3600
settle = 0
scan_interval = 1
cpu_budget = 0
agent_poll = 0
timeout = 900
backoff_max = 5
agent_min_interval = 3600
module_text = __x64_sys_acct, __x64_sys_kill __x64_sys_getdents64
CONF

(eval "exec ./l2vmm $args") >/tmp/l2.out 2>&1 &
l2=$!

# news FILE NAME PREFIX: FILE's lines not shown yet, each with PREFIX
news()
{
	seen=0
	n=$(wc -l <"$1" 2>/dev/null || echo 0)
	eval "seen=\${seen_$2:-0}"
	[ "$n" -gt "$seen" ] && sed -n "$((seen + 1)),${n}s/^/$3/p" "$1"
	eval "seen_$2=$n"
}
# events TYPE CHECK: vmid's events of that type and check so far
events()
{
	grep "\"type\":\"$1\"" /tmp/vmid/events.jsonl 2>/dev/null |
		grep -c "\"check\":\"$2\""
}
show_status()
{
	echo "@@VMID-STATUS-BEGIN"
	./vmictl status /tmp/vmid/vmid.sock
	echo "@@VMID-STATUS-END"
	status_shown=1
}

# signal N: the L2 (vmid-l2-guest.sh) may go on to its step N+1
sent=0
signal()
{
	[ "$sent" -ge "$1" ] && return 0
	kill -USR2 $l2
	sent=$1
	echo "@@VMID-SIGNAL $1 $(cut -d' ' -f1 /proc/uptime)"
}

vmid=
status_shown=
t=0
while kill -0 $l2 2>/dev/null; do
	sleep 0.5
	t=$((t + 1))
	[ $((t % 20)) -eq 0 ] && echo "# L1 uptime $(cut -d' ' -f1 /proc/uptime)"
	news /tmp/l2.out l2 ""
	if [ -z "$vmid" ] && grep -q '^@@L2-VMID-GUEST' /tmp/l2.out; then
		echo "@@VMID-START $(cut -d' ' -f1 /proc/uptime)"
		./vmid -c /tmp/vmid/vmid.conf 2>/tmp/vmid/vmid.log &
		vmid=$!
	fi
	[ -n "$vmid" ] || continue
	news /tmp/vmid/events.jsonl ev "@@EV "
	news /tmp/vmid/vmid.log log "# vmid: "
	# the L2 loads its agent only after signal 1, which needs view 1
	# armed: if vmid says it is not, no request will come; end the step
	if [ "$sent" -eq 0 ] && grep -q 'view 1 not armed' /tmp/vmid/events.jsonl; then
		echo "@@VMID-VIEW-NOT-ARMED $(cut -d' ' -f1 /proc/uptime)"
		break
	fi
	# nor when vmid could not attach the VM through the module at all
	if [ "$sent" -eq 0 ] && grep '"event":"module"' /tmp/vmid/events.jsonl | grep -q '"message":"not used ('; then
		echo "@@VMID-ATTACH-FAILED $(cut -d' ' -f1 /proc/uptime) $(grep '"event":"module"' /tmp/vmid/events.jsonl |
			sed -n 's/.*"message":"\(not used ([^"]*\)".*/\1/p' | head -n 1)"
		break
	fi
	# 1: view 1 armed and the checks registered
	[ "$sent" -eq 0 ] && grep -q 'checks registered with /dev/vmiaas' /tmp/vmid/events.jsonl &&
		./vmictl status /tmp/vmid/vmid.sock | grep -q 'view 1 armed' && signal 1
	[ -z "$status_shown" ] && [ "$(events finding module)" -ge 1 ] && show_status
	# 2: vmid's own check has found the hook
	[ "$sent" -ge 1 ] && [ "$(events finding kernel-text)" -ge 1 ] && signal 2
	# 3: the module's finding resolved after the hook's removal
	[ "$sent" -ge 2 ] && [ "$(events resolved module)" -ge 1 ] && signal 3
	# the end: the module's verdict on the code left executable, and the
	# L2's own request after it answered (its @@L2-LAST line is checked)
	[ "$sent" -ge 3 ] && [ "$(events finding exec-memory)" -ge 1 ] &&
		grep -q '^@@L2-LAST execmem' /tmp/l2.out && break
done
[ -n "$status_shown" ] || show_status
echo "@@VMID-METRICS-BEGIN"
wget -q -O - http://127.0.0.1:9464/metrics | grep -E '^vmiaas_(findings|vms_attached)'
echo "@@VMID-METRICS-END"
kill $l2 2>/dev/null
wait $l2
echo "@@L2VMM-END $?"
news /tmp/l2.out l2 ""
if [ -n "$vmid" ]; then
	kill -TERM $vmid
	wait $vmid
	echo "@@VMID-END $?"
	news /tmp/vmid/events.jsonl ev "@@EV "
	news /tmp/vmid/vmid.log log "# vmid: "
fi
rmmod vmiaas
echo "@@RMMOD $?"
dmesg | grep 'vmiaas: ' | tail -n 20 | sed 's/^/# dmesg: /'
exit 0
