#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# vmid-l2-guest.sh: the Linux L2's part of the "vmid" step
# (tests/vmfunc/vmid-l1.sh): run by tests/vmfunc/l2-init as /l2/cmd.sh
# (an overlay of the linux-l2 step's initramfs), next to vmiaas_agent.ko,
# vmiaas_attack_inline.ko and ./syms (kernel symbols read from the image
# on the host: the L2's /proc/kallsyms takes minutes under Bochs). vmid,
# in the L1, starts when this script does. The L1 tells this script when
# vmid is where it must be through l2vmm's SIGUSR2 count, which the L2
# reads from the UART's scratch register (port 0x3ff): no guessed sleeps,
# which would cost Bochs either the run or idle time.
#   1. wait for signal 1: vmid has attached this VM through /dev/vmiaas,
#      armed view 1 and, after its first (baseline) check, registered the
#      kernel text and the syscall table with the module;
#   2. the agent loads and finds view 1; its BOOT request goes through
#      VMFUNC: clean;
#   3. vmiaas_attack_inline.ko hooks __x64_sys_acct: the agent's module
#      notifier asks (MODULE_LOAD), then one on-demand request: both
#      tampered (vmid must report the failed check once);
#   4. wait for signal 2: vmid's own full check has reported the hook;
#   5. the hook is removed: the next request is clean (vmid resolves its
#      module finding);
#   6. wait for signal 3 (vmid has resolved it); vmiaas_attack_execmem
#      leaves code executable in a vmalloc page and unloads: the next
#      on-demand request is tampered, the module's exec-memory check
#      alone (vmid reports it as exec-memory); then idle until the L1
#      ends the run.
#   @@L2-FOUND ...           what the agent found (view1=1 wanted)
#   @@L2-LAST TAG <last>     the agent's last request after step TAG
#   @@L2-SIGNAL N            the L1's signal N came
p=/sys/module/vmiaas_agent/parameters
last() { echo "@@L2-LAST $1 $(cat $p/last)"; }
sym() { grep " $1\$" syms | cut -d' ' -f1; }
scratch() { dd if=/dev/port bs=1 skip=1023 count=1 2>/dev/null | od -An -tu1 | tr -d ' '; }
# wait_signal N: until the L1 has sent N signals (an hour of L2 time; each poll
# forks three processes, dear in an L2 under Bochs: once a second)
wait_signal()
{
	i=0
	while [ "$(scratch)" != "$1" ]; do
		i=$((i + 1))
		[ $i -ge 3600 ] && { echo "@@L2-NO-SIGNAL $1"; exit 1; }
		sleep 1
	done
	echo "@@L2-SIGNAL $1"
}
# the agent's module notifier's request (10 s at most)
wait_module_load()
{
	i=0
	while [ $i -lt 500 ] && ! grep -q "reason=module-load " $p/last; do
		sleep 0.02
		i=$((i + 1))
	done
}

echo "@@L2-VMID-GUEST $(cut -d' ' -f1 /proc/uptime)"
target=$(sym __x64_sys_acct)
wait_signal 1
insmod ./vmiaas_agent.ko interval_ms=0 wait_ms=300000 mode=vmfunc
echo "@@L2-AGENT-INSMOD $?"
echo "@@L2-FOUND $(cat $p/found)"
last clean

insmod ./vmiaas_attack_inline.ko target="0x$target"
echo "@@L2-ATTACK-INSMOD $?"
wait_module_load
last module-load
echo 1 >$p/trigger
last tampered
wait_signal 2
rmmod vmiaas_attack_inline
echo "@@L2-ATTACK-RMMOD $?"
echo 1 >$p/trigger
last restored
wait_signal 3
# code left executable in a vmalloc page by a module gone (it stays)
insmod ./vmiaas_attack_execmem.ko setro=0x$(sym set_memory_ro) \
	setx=0x$(sym set_memory_x) && rmmod vmiaas_attack_execmem
echo "@@L2-EXECMEM $?"
dmesg | grep 'vmiaas_attack_execmem' | sed 's/^/@@L2-DMESG /'
wait_module_load
echo 1 >$p/trigger
last execmem
wait_signal 4
