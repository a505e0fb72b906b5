#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# vmid-l2-guest.sh: the Linux L2's part of the "vmid" step
# (tests/vmfunc/vmid-l1.sh): run by tests/vmfunc/l2-init as /l2/cmd.sh
# (an overlay of the linux-l2 step's initramfs), next to vmiaas_agent.ko
# and vmiaas_attack_inline.ko. vmid, in the L1, attaches this VM through
# /dev/vmiaas, arms view 1 and, after its first clean check, registers
# the kernel text and the syscall table with the module.
#   1. the agent loads once view 1 is armed (vmid may still be attaching:
#      it is retried), its BOOT request goes through VMFUNC;
#   2. on-demand requests until one is served with a verdict (vmid has
#      registered its checks): that one must be clean;
#   3. vmiaas_attack_inline.ko hooks __x64_sys_acct: the agent's module
#      notifier asks (MODULE_LOAD), then one on-demand request;
#   4. the hook stays, and the L2 keeps asking every 20 s, until the L1
#      ends the run once vmid's full check has reported it.
#   @@L2-FOUND ...           what the agent found (view1=1 wanted)
#   @@L2-LAST TAG <last>     the agent's last request after step TAG
p=/sys/module/vmiaas_agent/parameters
last() { echo "@@L2-LAST $1 $(cat $p/last)"; }
sym() { grep " $1\$" /proc/kallsyms | cut -d' ' -f1; }

echo "@@L2-VMID-GUEST $(cut -d' ' -f1 /proc/uptime)"
i=0
while :; do
	insmod ./vmiaas_agent.ko interval_ms=0 wait_ms=300000 mode=vmfunc
	echo "@@L2-AGENT-INSMOD $?"
	grep -q 'view1=1' $p/found && break
	rmmod vmiaas_agent
	i=$((i + 1))
	[ $i -ge 60 ] && { echo "@@L2-NO-VIEW1"; exit 1; }
	sleep 5
done
echo "@@L2-FOUND $(cat $p/found)"
last boot

i=0
while ! grep -q 'verdict=clean\|verdict=tampered' $p/last; do
	i=$((i + 1))
	[ $i -ge 90 ] && { echo "@@L2-NO-VERDICT"; exit 1; }
	sleep 10
	echo 1 >$p/trigger
	last waiting
done
last clean

target=$(sym __x64_sys_acct)
insmod ./vmiaas_attack_inline.ko target=0x$target
echo "@@L2-ATTACK-INSMOD $?"
i=0
while [ $i -lt 100 ] && ! grep -q "reason=module-load " $p/last; do
	sleep 0.1
	i=$((i + 1))
done
last module-load
sleep 2
echo 1 >$p/trigger
last tampered
while :; do
	sleep 20
	echo 1 >$p/trigger
	last again
done
