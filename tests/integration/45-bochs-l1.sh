#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The Bochs L1 rig (scripts/bochs-l1) and the first VMFUNC probe: Debian's
# 6.1 kernel boots in Bochs' emulated VT-x, kvm_intel loads with EPT, and
# an L2 guest made through /dev/kvm executes VMFUNC, in real mode and in
# 64-bit mode. With stock KVM the VMFUNC exits (reason 59) and KVM
# injects #UD, which the probe's L2 catches (tests/vmfunc/vmfunc_probe.c).
# One Bochs boot: about 40 s to power off (25 s to /init) on a busy
# 2-core host; VMIAAS_BOCHS_TIMEOUT (s, default 170) bounds it.
set -eu
# shellcheck source=tests/lib/guest.sh
. "$(dirname "$0")/../lib/guest.sh"

L1=$VMIAAS_TOP/scripts/bochs-l1
command -v bochs >/dev/null ||
	tap_skip_all "bochs missing (scripts/deps.sh vmfunc)"
command -v genisoimage >/dev/null ||
	tap_skip_all "genisoimage missing (scripts/deps.sh vmfunc)"
command -v gcc >/dev/null || tap_skip_all "gcc missing"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/vmiaas-l1test.XXXXXX")
trap '_guest_cleanup; rm -rf "$tmp"' EXIT

gcc -static -O2 -Wall -Wextra -Werror -o "$tmp/vmfunc_probe" \
	"$VMIAAS_TOP/tests/vmfunc/vmfunc_probe.c" \
	"$VMIAAS_TOP/tests/vmfunc/vmfunc_guest.S" 2>"$tmp/cc.err" ||
	tap_bail "cannot build vmfunc_probe: $(cat "$tmp/cc.err")"

tap_plan 15

st=0
# shellcheck disable=SC2016 # expanded in the L1
"$L1" run --timeout "${VMIAAS_BOCHS_TIMEOUT:-170}" --log "$tmp/com1" \
	--add "$tmp/vmfunc_probe" --add "$VMIAAS_TOP/tests/vmfunc/kvm-exits.sh" -- \
	'sh kvm-exits.sh sh -c "./vmfunc_probe; a=\$?; ./vmfunc_probe --mode long; exit \$((a | \$?))"' \
	>"$tmp/out" 2>"$tmp/err" || st=$?
tap_diag "$(cat "$tmp/err")"
tap_diag "$(cat "$tmp/out")"
tap_is "$st" 0 "vmfunc_probe passes in the Bochs L1, real and long mode (exit status)"

probe_ok()
{
	tap_ok "grep -qxF '$1' '$tmp/out'" "probe: $1"
}
probe_ok "ok 1 - /dev/kvm opens"
probe_ok "ok 2 - VM created"
probe_ok "ok 3 - L2 runs to its first exit"
probe_ok "ok 4 - stock KVM: VMFUNC(0,0) raises #UD in the guest (got vector 6)"
probe_ok "ok 5 - stock KVM: VMFUNC(0,1) raises #UD in the guest (got vector 6)"
probe_ok "ok 3 - L2 runs to its first exit [long mode]"
probe_ok "ok 4 - stock KVM: VMFUNC(0,0) raises #UD in the guest (got vector 6) [long mode]"
probe_ok "ok 5 - stock KVM: VMFUNC(0,1) raises #UD in the guest (got vector 6) [long mode]"
tap_ok "! grep -q '^not ok' '$tmp/out'" "probe: no failed test"
# the L1's kvm:kvm_exit trace: one exit 59 per VMFUNC, 2 per probe run
vmfunc_exits=$(sed -n 's/^# kvm_exit VMFUNC \([0-9]*\)$/\1/p' "$tmp/out")
tap_is "${vmfunc_exits:-0}" 4 "KVM handled 4 exits with reason VMFUNC (59), one per VMFUNC"
tap_ok "grep -q '^# MSR 0x491 (IA32_VMX_VMFUNC) = 0x0000000000000001' '$tmp/out'" \
	"the emulated CPU offers EPTP switching (IA32_VMX_VMFUNC = 1)"

tr -d '\r' <"$tmp/com1" >"$tmp/com1.txt"
kvm=$(grep '^@@VMIAAS-L1-KVM' "$tmp/com1.txt" || true)
tap_diag "${kvm:-no kvm_intel parameters on COM1}"
tap_ok "! grep -q '^@@VMIAAS-L1-MODULE-FAILED' '$tmp/com1.txt'" \
	"irqbypass, kvm, kvm_intel and msr load"
tap_ok "[[ '$kvm' == *' ept=Y'* && '$kvm' == *' unrestricted_guest=Y'* ]]" \
	"kvm_intel is loaded with ept=Y and unrestricted_guest=Y"

# The L1's kernel messages of level warning and above (its console) with
# the known Bochs boot noise taken out: one WARNING in
# fpu__init_system_xstate (arch/x86/kernel/fpu/xstate.c). ("RETBleed:
# WARNING: ..." and "TSC_DEADLINE disabled due to Errata" are not kernel
# warnings in this sense and are not matched.)
grep -E 'WARNING: CPU: [0-9]+ PID:|BUG:|Oops|kernel BUG at|general protection fault' \
	"$tmp/com1.txt" | grep -v 'at arch/x86/kernel/fpu/xstate.c:' \
	>"$tmp/bad" || true
[ -s "$tmp/bad" ] && tap_diag "$(cat "$tmp/bad")"
tap_ok "grep -q '^@@VMIAAS-L1-INIT' '$tmp/com1.txt' && [ ! -s '$tmp/bad' ]" \
	"the L1 kernel log has no WARNING, BUG or Oops beyond the known Bochs noise"
tap_done
