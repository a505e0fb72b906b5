#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# l2-chain-guest.sh: the Linux L2's part of
# tests/vmfunc/l1-suite.sh's "linux-l2" step, run by tests/vmfunc/l2-init as
# /l2/cmd.sh, next to vmiaas_agent.ko and the attack modules
# vmiaas_attack_inline.ko, vmiaas_attack_umh.ko, vmiaas_attack_execmem.ko.
#
# "@@L2-BASELINE" asks the VMM (l2vmm --vmiaas) to register its checks
# with vmiaas.ko (the line names them), taking the booted kernel as the
# baseline: 0 the text of __x64_sys_acct, 1 its syscall-table slot,
# 2 exec-memory, 3 modprobe_path, 4 core_pattern. Then the agent
# loads (a BOOT request), makes 10 on-demand requests through VMFUNC, an
# inline hook patches __x64_sys_acct (the agent's module notifier makes
# a MODULE_LOAD request), an on-demand request follows, the hook goes,
# one more request; modprobe_path is overwritten in memory
# (vmiaas_attack_umh), a request, restored, a request; then the agent
# reloads in hypercall mode for 10 requests, and a periodic request is
# awaited; last, code is left in an executable vmalloc page by a module
# that unloads (vmiaas_attack_execmem, for good: it stays), a request.
# "@@L2-MARK" lines frame the request loops: l2vmm adds the vCPU's exit
# counts to every "@@" line.
#   @@L2-LAST TAG <parameters/last>     the agent's last request
p=/sys/module/vmiaas_agent/parameters
n=10

last() { echo "@@L2-LAST $1 $(cat $p/last)"; }

# requests N: N on-demand requests, framed by marks
requests()
{
	echo "@@L2-MARK $1-before"
	i=0
	while [ $i -lt $n ]; do
		echo 1 >$p/trigger || echo "@@L2-TRIGGER-FAILED $i"
		i=$((i + 1))
	done
	echo "@@L2-MARK $1-after"
}

# wait_reason REASON: until the agent's last request has that reason (10 s;
# short naps: an idle L2 is an idle L1, and idle time is dear in Bochs)
wait_reason()
{
	i=0
	while [ $i -lt 500 ] && ! grep -q "reason=$1 " $p/last; do
		sleep 0.02
		i=$((i + 1))
	done
}

# what the host checks: the first 64 bytes of __x64_sys_acct and its
# sys_call_table slot (acct is 163), by their kernel-image addresses. The
# host read them from the kallsyms tables in this kernel's image (./syms,
# "ADDRESS NAME"): a read of the whole /proc/kallsyms formats some 100,000
# lines, minutes of an L2 under Bochs. Its first lines show that the kernel
# runs at the image's addresses (_text; the attack module's "jmp at %pS"
# names its target, which the host checks too).
sym() { grep " $1\$" syms | cut -d' ' -f1; }
echo "@@L2-TEXT $(grep -m 1 ' _text$' /proc/kallsyms | cut -d' ' -f1) $(sym _text)"
exec="$(sym init_top_pgt):$(sym _text):$(sym _etext):$(sym _end)"
exec="$exec:$(sym real_mode_header):$(sym real_mode_blob):$(sym real_mode_blob_end)"
echo "@@L2-BASELINE range=$(sym __x64_sys_acct):64 ptr=$(sym sys_call_table)+1304" \
	"exec=$exec str=$(sym modprobe_path):256 str=$(sym core_pattern):128"
insmod ./vmiaas_agent.ko interval_ms=0
echo "@@L2-AGENT-INSMOD $?"
echo "@@L2-FOUND $(cat $p/found)"
last boot

# the control: the same loop with nothing in it
echo "@@L2-MARK idle-before"
i=0
while [ $i -lt $n ]; do
	i=$((i + 1))
done
echo "@@L2-MARK idle-after"
requests vmfunc
last vmfunc

target=$(sym __x64_sys_acct)
echo "@@L2-TARGET $target"
insmod ./vmiaas_attack_inline.ko target=0x$target
echo "@@L2-ATTACK-INSMOD $?"
wait_reason module-load
last module-load
echo 1 >$p/trigger
last tampered
rmmod vmiaas_attack_inline
echo 1 >$p/trigger
last restored

# a usermode-helper hijack: modprobe_path rewritten in memory
insmod ./vmiaas_attack_umh.ko addr=0x$(sym modprobe_path)
echo "@@L2-UMH-INSMOD $?"
wait_reason module-load
echo 1 >$p/trigger
last umh
rmmod vmiaas_attack_umh
echo 1 >$p/trigger
last umh-restored
rmmod vmiaas_agent
echo "@@L2-AGENT-RMMOD $?"

insmod ./vmiaas_agent.ko interval_ms=0 mode=hypercall
echo "@@L2-FOUND-HYPERCALL $(cat $p/found)"
requests hypercall
last hypercall
echo 20 >$p/interval_ms
wait_reason periodic
echo 0 >$p/interval_ms
last periodic

# code left executable in a vmalloc page by a module gone (it stays)
insmod ./vmiaas_attack_execmem.ko setro=0x$(sym set_memory_ro) \
	setx=0x$(sym set_memory_x) && rmmod vmiaas_attack_execmem
echo "@@L2-EXECMEM $?"
wait_reason module-load
echo 1 >$p/trigger
last execmem
rmmod vmiaas_agent
echo "@@L2-AGENT-RMMOD $?"
dmesg | grep -E 'vmiaas_agent|vmiaas_attack_|WARNING|BUG|Oops' |
	sed 's/^/@@L2-DMESG /'
exit 0
