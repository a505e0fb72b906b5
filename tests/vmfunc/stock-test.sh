#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# stock-test.sh: the "stock" step of tests/vmfunc/l1-suite.sh, run in the
# Bochs L1 with Debian's own kvm and kvm_intel loaded, next to
# vmfunc_probe and kvm-exits.sh: the probe's L2 executes VMFUNC in real
# and in long mode, stock KVM makes it exit (reason 59) and injects #UD.
#   @@KVM NAME=VALUE...     the loaded kvm_intel's parameters
# Then the probe's TAP and kvm-exits.sh's counts; exits with the status
# of the probe runs.
kvm=
for p in ept unrestricted_guest eptad pml vpid nested enable_apicv; do
	kvm="$kvm $p=$(cat /sys/module/kvm_intel/parameters/$p 2>/dev/null || echo -)"
done
echo "@@KVM$kvm"
sh ./kvm-exits.sh sh -c './vmfunc_probe; a=$?; ./vmfunc_probe --mode long; exit $((a | $?))'
