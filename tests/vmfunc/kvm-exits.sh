#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# kvm-exits.sh CMD [ARGS...]: run CMD in the Bochs L1 with the kvm:kvm_exit
# trace event on, then print how many VM exits of each reason KVM handled
# meanwhile, as TAP diagnostics:
#   # kvm_exit VMFUNC 4
#   # kvm_exit IO_INSTRUCTION 22
# Exits with CMD's status. Needs tracefs (mounted by tests/vmfunc/init).
t=/sys/kernel/tracing
[ -e $t/events/kvm/kvm_exit/enable ] || t=/sys/kernel/debug/tracing
if [ ! -e $t/events/kvm/kvm_exit/enable ]; then
	echo "# kvm_exit: no trace event (tracefs not mounted, or kvm not loaded)"
	"$@"
	exit $?
fi
echo 0 >$t/tracing_on
: >$t/trace
echo 1 >$t/events/kvm/kvm_exit/enable
echo 1 >$t/tracing_on
"$@"
st=$?
echo 0 >$t/tracing_on
echo 0 >$t/events/kvm/kvm_exit/enable
# "kvm_exit: vcpu 0 reason VMFUNC rip 0x1013 info1 ..."
sed -n 's/.* kvm_exit: .*reason \([A-Z_0-9]*\).*/\1/p' $t/trace | sort |
	uniq -c | while read -r n reason; do
		echo "# kvm_exit $reason $n"
	done
grep -q 'LOST' $t/per_cpu/cpu0/stats 2>/dev/null &&
	echo "# kvm_exit: $(grep overrun $t/per_cpu/cpu0/stats)"
exit $st
