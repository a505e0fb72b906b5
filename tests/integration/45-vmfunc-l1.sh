#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The VMFUNC chain in the Bochs L1 (issue 4): tests/vmfunc/l1-suite.sh
# runs its steps in L1s with the patched KVM (VMIAAS_L1_KVER: 6.1 by
# default, or 6.12), one Bochs boot per number of L1 CPUs the steps want
# (two boots at once: `checks` with two CPUs, the rest with one), and
# prints their TAP:
#   stock     Debian's KVM: the L2's VMFUNC exits (reason 59) and gets #UD
#   view      vmiaas.ko arms view 1: VMFUNC switches views without exit,
#             the mailbox, an invalid index, rmmod refused/allowed, reload
#   checks    requests, checks, events, hypercall, rate limit, garbage,
#             two VMs, enrolment, memslot change, teardown in flight
#   linux-l2  a Debian Linux L2 with guest-agent: verdicts, an inline hook
#             found, VMFUNC requests cost no exit, hypercalls one each
#   softdirty the soft-dirty facts under KVM, the tracker's unit test
#   vmid      vmid attaches the Linux L2 through /dev/vmiaas: the agent's
#             verdicts, a module finding for the hook, resolved
# and, for every step, no WARNING/BUG/Oops in the L1 kernel log.
# VMIAAS_BOCHS_TIMEOUT (s, default 3600) bounds each boot; see
# docs/vmfunc.md ("Tests") for the wall times.
exec "${VMIAAS_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/vmfunc/l1-suite.sh"
