#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# view-test.sh: the "view" step of tests/vmfunc/l1-suite.sh, run in
# the Bochs L1 (scripts/bochs-l1) next to vmiaas.ko, vmfunc_probe and
# kvm-exits.sh, with the patched kvm-intel.ko loaded. Each probe run is
# framed for the host:
#   @@RUN NAME              the probe's TAP and kvm-exits.sh's counts follow
#   @@RUN-END NAME STATUS
# and the module's life by @@INSMOD STATUS, @@RMMOD STATUS and, if it is
# still there after rmmod, @@STILL-LOADED.
run()
{
	name=$1
	shift
	echo "@@RUN $name"
	sh ./kvm-exits.sh ./vmfunc_probe "$@"
	echo "@@RUN-END $name $?"
}

insmod ./vmiaas.ko
echo "@@INSMOD $?"
dmesg | grep 'vmiaas: ' | sed 's/^/# dmesg: /'
run switch-real --vmiaas --expect switch
run switch-long --vmiaas --expect switch --mode long
run loop-10 --vmiaas --mode loop --loops 10
run loop-1000 --vmiaas --mode loop --loops 1000
rmmod vmiaas
echo "@@RMMOD $?"
test -e /sys/module/vmiaas && echo "@@STILL-LOADED"
# a second load registers with KVM again
insmod ./vmiaas.ko
echo "@@INSMOD $?"
run reload-loop-1000 --vmiaas --mode loop --loops 1000
rmmod vmiaas
echo "@@RMMOD $?"
test -e /sys/module/vmiaas && echo "@@STILL-LOADED"
exit 0
