#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# checks-test.sh: the "checks" step of tests/vmfunc/l1-suite.sh, run
# in the Bochs L1 (scripts/bochs-l1) next to vmiaas.ko and vmfunc_checks,
# with the patched kvm-intel.ko loaded. Framed for the host like
# view-test.sh: @@RUN NAME / @@RUN-END NAME STATUS around the TAP of
# vmfunc_checks, @@INSMOD STATUS, @@RMMOD STATUS, @@STILL-LOADED.
# poll_ms=1: the L1's clock runs slowly against the L2's instructions in
# Bochs, and the L2 gives up waiting after a fixed number of polls
insmod ./vmiaas.ko poll_ms=1
echo "@@INSMOD $?"
echo "@@RUN checks"
./vmfunc_checks
echo "@@RUN-END checks $?"
# every VM is closed: the module goes, with the requests left unanswered
rmmod vmiaas
echo "@@RMMOD $?"
test -e /sys/module/vmiaas && echo "@@STILL-LOADED"
insmod ./vmiaas.ko
echo "@@INSMOD $?"
rmmod vmiaas
echo "@@RMMOD $?"
test -e /sys/module/vmiaas && echo "@@STILL-LOADED"
exit 0
