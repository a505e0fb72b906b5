#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# softdirty-test.sh: the "softdirty" step of tests/vmfunc/l1-suite.sh, run
# in the Bochs L1 (Debian's kernel, CONFIG_MEM_SOFT_DIRTY=y) with KVM:
# softdirty_kvm's L2 writes one page through KVM after the VMM's
# clear_refs; that page must turn soft-dirty in the VMM and the pages it
# only reads or never touches must stay clean (the soft-dirty skip of
# userspace/lib/dirty.c rests on it). Framed for the host: @@RUN
# softdirty / @@RUN-END softdirty STATUS around its TAP.
echo "# kvm_intel nested=$(cat /sys/module/kvm_intel/parameters/nested 2>/dev/null || echo -)"
echo "@@RUN softdirty"
./softdirty_kvm
echo "@@RUN-END softdirty $?"
