#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# l2-chain.sh: the "linux-l2" step of tests/vmfunc/l1-suite.sh, run
# in the Bochs L1 (scripts/bochs-l1) with the patched kvm-intel.ko loaded,
# next to vmiaas.ko, l2vmm, the L2's kernel (vmlinuz-l2) and initramfs
# (l2.cpio) and l2vmm.args (its options and the L2's command line).
#
# Reloads kvm-intel with preemption_timer=0 (Bochs counts the VMX
# preemption timer against its own TSC rate, which is not the rate the
# L1 calibrated: the L2's timer then fires early, again and again; an L1
# hrtimer does not), loads vmiaas.ko, counts the L2's VM exits per reason
# with a kvm:kvm_exit histogram (a hist trigger: the whole boot would
# overflow a trace buffer), runs l2vmm --vmiaas, and unloads vmiaas.ko.
#   @@INSMOD STATUS, @@L2VMM-END STATUS, @@RMMOD STATUS
#   @@HIST REASON=COUNT...          exits by VMX exit reason so far
#   @@TRACE VMFUNC|VMCALL COUNT     exits of that reason in the whole run
t=/sys/kernel/tracing
[ -e $t/events/kvm/kvm_exit/enable ] || t=/sys/kernel/debug/tracing
h=$t/events/kvm/kvm_exit

rmmod kvm_intel && insmod /lib/modules/vmiaas/kvm-intel.ko preemption_timer=0
echo "@@KVM-INTEL-RELOAD $? preemption_timer=$(cat /sys/module/kvm_intel/parameters/preemption_timer)"
# the rate limit is the checks step's subject, not this one's: some 30
# requests come within one L1 second (100/s, burst 20 by default)
insmod ./vmiaas.ko checks_per_sec=1000 checks_burst=100
echo "@@INSMOD $?"
dmesg | grep 'vmiaas: ' | sed 's/^/# dmesg: /'

# "{ exit_reason: 59 } hitcount: 3" -> "59=3"
hist() { sed -n 's/.*exit_reason: *\([0-9]*\) *} *hitcount: *\([0-9]*\).*/\1=\2/p' $h/hist | tr '\n' ' '; }
count() { hist | tr ' ' '\n' | sed -n "s/^$1=//p"; }

echo 'hist:keys=exit_reason' >$h/trigger 2>/dev/null ||
	echo "@@HIST unavailable"
# exec: $! must be l2vmm itself, not a subshell (it gets SIGUSR1). It
# starts with SIGUSR1 ignored (kept across exec) until it installs its
# handler: a SIGUSR1 before that would kill it (seen once the L1's clock
# ran at Bochs's true rate: 0.5 s is no longer long enough for its setup).
(trap '' USR1; eval "exec ./l2vmm --vmiaas $(tr '\n' ' ' <l2vmm.args)") &
pid=$!
while kill -0 $pid 2>/dev/null; do
	sleep 0.5
	echo "@@HIST $(hist)"
	kill -USR1 $pid 2>/dev/null	# l2vmm prints the guest's RIP
done
wait $pid
echo "@@L2VMM-END $?"
echo "@@HIST $(hist)"
echo "@@TRACE VMFUNC $(count 59)"
echo "@@TRACE VMCALL $(count 18)"
echo '!hist:keys=exit_reason' >$h/trigger 2>/dev/null
rmmod vmiaas
echo "@@RMMOD $?"
dmesg | grep 'vmiaas: ' | tail -n 20 | sed 's/^/# dmesg: /'
exit 0
