#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# softdirty-test.sh: the "softdirty" step of tests/vmfunc/l1-suite.sh, run
# in the Bochs L1 (Debian's kernel, CONFIG_MEM_SOFT_DIRTY=y) with KVM:
# softdirty_kvm's L2 writes one page through KVM after the VMM's
# clear_refs; that page must turn soft-dirty in the VMM and the pages it
# only reads or never touches must stay clean (the soft-dirty skip of
# userspace/lib/dirty.c rests on it). Then tests/unit/test_dirty: the
# same facts without KVM, the tracker, and the engine's skip finding a
# patched and a remapped text page after a clear. Framed for the host:
# @@RUN NAME / @@RUN-END NAME STATUS around each TAP.
echo "# kvm_intel nested=$(cat /sys/module/kvm_intel/parameters/nested 2>/dev/null || echo -)"
echo "@@RUN softdirty"
./softdirty_kvm
echo "@@RUN-END softdirty $?"
echo "@@RUN test_dirty"
./test_dirty
echo "@@RUN-END test_dirty $?"
