#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# vmid-l1.sh: the "vmid" step of tests/vmfunc/l1-suite.sh, in the Bochs L1
# with the patched KVM: vmid (dynamically linked: the host's libraries are
# in the L1's /lib) watches the Linux L2 that l2vmm boots (without
# --vmiaas: vmid, not the VMM, attaches it) through /dev/vmiaas.
#
# vmid finds l2vmm by "vmm = l2vmm" (a non-QEMU KVM VMM), takes its VM fd
# with pidfd_getfd(), attaches it and arms view 1; its worker reads the
# L2's memory through /proc/PID (the pid backend), baselines the L2 once
# it has booted, and registers the kernel text and syscall table with the
# module. The L2 (tests/vmfunc/vmid-l2-guest.sh) then asks through
# VMFUNC: clean; loads an inline hook: the module says TAMPERED, vmid
# writes a "module" finding and runs its full check, which finds the hook
# (kernel-text). This script ends the L2 once that finding is in, or
# when the L2 ends.
#   @@INSMOD STATUS, @@RMMOD STATUS, @@L2VMM-END STATUS
#   @@VMID-STATUS-BEGIN/-END      vmictl status while the L2 runs
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
cat >/tmp/vmid/vmid.conf <<CONF
state_dir = /tmp/vmid
socket = /tmp/vmid/vmid.sock
events = /tmp/vmid/events.jsonl
vmm = l2vmm
libvirt = off
metrics = off
journal = no
interval = 3600
settle = 20
agent_poll = 0
timeout = 900
backoff_max = 10
agent_min_interval = 1
CONF

(eval "exec ./l2vmm $args") &
l2=$!
./vmid -c /tmp/vmid/vmid.conf 2>/tmp/vmid/vmid.log &
vmid=$!

# findings CHECK: vmid's findings of check CHECK so far
findings()
{
	grep '"type":"finding"' /tmp/vmid/events.jsonl 2>/dev/null |
		grep -c "\"check\":\"$1\""
}
# news FILE PREFIX: FILE's lines not shown yet, each with PREFIX
news()
{
	n=$(wc -l <"$1" 2>/dev/null || echo 0)
	eval "seen=\${seen_$2:-0}"
	[ "$n" -gt "$seen" ] && tail -n $((n - seen)) "$1" | sed "s/^/$3/"
	eval "seen_$2=$n"
}
status_shown=
while kill -0 $l2 2>/dev/null; do
	sleep 2
	news /tmp/vmid/events.jsonl ev "@@EV "
	news /tmp/vmid/vmid.log log "# vmid: "
	if [ -z "$status_shown" ] && [ "$(findings module)" -ge 1 ]; then
		echo "@@VMID-STATUS-BEGIN"
		./vmictl status /tmp/vmid/vmid.sock
		echo "@@VMID-STATUS-END"
		status_shown=1
	fi
	# the hook, as vmid's own (userspace) check reports it
	[ "$(findings kernel-text)" -ge 1 ] && break
done
sleep 5
[ -n "$status_shown" ] || {
	echo "@@VMID-STATUS-BEGIN"
	./vmictl status /tmp/vmid/vmid.sock
	echo "@@VMID-STATUS-END"
}
kill $l2 2>/dev/null
wait $l2
echo "@@L2VMM-END $?"
kill -TERM $vmid
wait $vmid
echo "@@VMID-END $?"
news /tmp/vmid/events.jsonl ev "@@EV "
news /tmp/vmid/vmid.log log "# vmid: "
rmmod vmiaas
echo "@@RMMOD $?"
dmesg | grep 'vmiaas: ' | tail -n 20 | sed 's/^/# dmesg: /'
exit 0
