#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# vmiaas.ko arms view 1 on a patched KVM, and VMFUNC switches views with
# no VM exit. In the Bochs L1 (scripts/bochs-l1) with the patched
# kvm.ko/kvm-intel.ko of scripts/build-kvm.sh 6.1 and vmiaas.ko built for
# the L1's kernel, tests/vmfunc/view-test.sh runs vmfunc_probe --vmiaas:
# the probe creates an L2 VM, attaches it through /dev/vmiaas
# (ATTACH_VM, ENABLE_VIEW), and its L2 executes VMFUNC(0,0)/(0,1) (real
# and long mode), then VMFUNC(0,1)+VMFUNC(0,0) 10 and 1000 times, writes a
# magic into the mailbox page that only view 1 maps (the probe reads it
# back with READ_MAILBOX), and VMFUNC(0,5). Checked here: no exit with reason VMFUNC (the L1's
# kvm:kvm_exit trace) except exactly one for index 5, which the guest gets
# as #UD; the loop's exit count does not grow with N; detach, VM close,
# rmmod and a reload work and leave no WARNING/BUG/Oops in the L1 log.
# One Bochs boot; VMIAAS_BOCHS_TIMEOUT (s, default 240) bounds it.
set -eu
# shellcheck source=tests/lib/guest.sh
. "$(dirname "$0")/../lib/guest.sh"

top=$VMIAAS_TOP
L1=$top/scripts/bochs-l1
command -v bochs >/dev/null ||
	tap_skip_all "bochs missing (scripts/deps.sh vmfunc)"
command -v genisoimage >/dev/null ||
	tap_skip_all "genisoimage missing (scripts/deps.sh vmfunc)"
command -v gcc >/dev/null || tap_skip_all "gcc missing"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/vmiaas-view.XXXXXX")
trap '_guest_cleanup; rm -rf "$tmp"' EXIT

abi=$("$L1" abi) || tap_bail "scripts/bochs-l1 abi failed"
kdir=/lib/modules/$abi/build
[ -d "$kdir" ] || tap_skip_all "no headers for $abi at $kdir"
kvm=$("$top/scripts/build-kvm.sh" 6.1 2>"$tmp/kvm.err") ||
	tap_bail "scripts/build-kvm.sh 6.1 failed: $(tail -n 5 "$tmp/kvm.err")"

# vmiaas.ko for the L1's kernel: a private build of the same sources. It
# does not link against KVM (it resolves the kvm_vmx_altview_* exports at
# run time), so the stock headers are all it needs.
mkdir -p "$tmp/kbuild"
cp -r "$top/Kbuild" "$top/kmod" "$top/core" "$top/include" "$tmp/kbuild/"
find "$tmp/kbuild" \( -name '*.o' -o -name '.*.cmd' -o -name '*.ko' \) -delete
make -s -C "$kdir" M="$tmp/kbuild" modules >"$tmp/build.log" 2>&1 ||
	tap_bail "vmiaas.ko for $abi: $(tail -n 5 "$tmp/build.log")"
gcc -static -O2 -Wall -Wextra -Werror -o "$tmp/vmfunc_probe" \
	"$top/tests/vmfunc/vmfunc_probe.c" \
	"$top/tests/vmfunc/vmfunc_guest.S" 2>"$tmp/cc.err" ||
	tap_bail "cannot build vmfunc_probe: $(cat "$tmp/cc.err")"

tap_plan 21

st=0
"$L1" run --timeout "${VMIAAS_BOCHS_TIMEOUT:-240}" --log "$tmp/com1" \
	--kvm-dir "$kvm" --add "$tmp/kbuild/vmiaas.ko" \
	--add "$tmp/vmfunc_probe" --add "$top/tests/vmfunc/kvm-exits.sh" \
	--add "$top/tests/vmfunc/view-test.sh" -- sh view-test.sh \
	>"$tmp/out" 2>"$tmp/err" || st=$?
tap_diag "$(cat "$tmp/err")"
tap_diag "$(cat "$tmp/out")"
tap_is "$st" 0 "the Bochs L1 runs view-test.sh to its end (exit status)"

# section NAME: the output of one probe run
section() { sed -n "/^@@RUN $1\$/,/^@@RUN-END $1 /p" "$tmp/out"; }
status() { section "$1" | sed -n "s/^@@RUN-END $1 \\([0-9]*\\)\$/\\1/p"; }
exits() { section "$1" | sed -n "s/^# kvm_exit $2 \\([0-9]*\\)\$/\\1/p"; }
has() { section "$1" | grep -q "^ok [0-9]* - $2"; }
loop_exits() { section "$1" | sed -n "s/^# loop [0-9]* exits \\(-\\?[0-9]*\\)\$/\\1/p"; }

tap_is "$(sed -n 's/^@@INSMOD //p' "$tmp/out" | head -n 1)" 0 \
	"insmod vmiaas.ko next to the patched kvm-intel.ko"
tap_ok "grep -q '^# dmesg: .*vmiaas: VMFUNC mode available' '$tmp/out'" \
	"vmiaas.ko finds the alternate-view API at load"
for run in switch-real switch-long; do
	tap_is "$(status $run)" 0 "$run: vmfunc_probe --vmiaas --expect switch passes"
done
tap_ok "has switch-real 'vmiaas: ATTACH_VM attaches' && has switch-real 'vmiaas: ENABLE_VIEW arms view 1 on 1 vCPU' && has switch-real 'vmiaas: bad arguments are refused'" \
	"ATTACH_VM and ENABLE_VIEW work, bad arguments are refused"
tap_ok "has switch-real 'EPTP switching KVM: VMFUNC(0,1) completes' && has switch-long 'EPTP switching KVM: VMFUNC(0,1) completes in the guest without exit .* \\[long mode\\]'" \
	"VMFUNC(0,0) and VMFUNC(0,1) complete in the L2 without exit, real and long mode"
tap_is "$(exits switch-real VMFUNC)$(exits switch-long VMFUNC)" "" \
	"no exit with reason VMFUNC in the switch runs"
for run in loop-10 loop-1000 reload-loop-1000; do
	tap_is "$(status $run)" 0 "$run: vmfunc_probe --vmiaas --mode loop passes"
	tap_is "$(exits $run VMFUNC)" 1 \
		"$run: exactly one exit with reason VMFUNC (59): the VMFUNC(0,5)"
done
tap_ok "has loop-10 'vmiaas: the L2 wrote the mailbox in view 1, the host reads it (magic 0x534141494d56, 10)' && has loop-1000 'vmiaas: the L2 wrote the mailbox in view 1, the host reads it (magic 0x534141494d56, 1000)'" \
	"view 1 maps vmiaas's mailbox: the L2 writes it, READ_MAILBOX reads it"
tap_ok "has loop-1000 'VMFUNC(0,5), an unarmed index: #UD in the guest'" \
	"VMFUNC(0,5): the L2 gets #UD and the L1 goes on"
l10=$(loop_exits loop-10)
l1000=$(loop_exits loop-1000)
tap_diag "VM exits during the VMFUNC loop: N=10: ${l10:-?}, N=1000: ${l1000:-?}"
tap_ok "[ -n '$l10' ] && [ '$l10' = '$l1000' ]" \
	"the exit count during the loop does not grow with N (10 vs 1000 round trips)"
tap_ok "has loop-1000 'vmiaas: rmmod vmiaas is refused while a VM is attached' && has loop-1000 'vmiaas: rmmod vmiaas is still refused while the VM lives'" \
	"rmmod vmiaas is refused while attached and while an armed VM lives"
tap_is "$(sed -n 's/^@@RMMOD //p' "$tmp/out" | tr '\n' ' ')" "0 0 " \
	"rmmod vmiaas succeeds once the VMs are closed, twice"
tap_ok "! grep -q '^@@STILL-LOADED' '$tmp/out'" "vmiaas is gone after each rmmod"

tr -d '\r' <"$tmp/com1" >"$tmp/com1.txt"
grep -E 'WARNING: CPU: [0-9]+ PID:|BUG:|Oops|kernel BUG at|general protection fault' \
	"$tmp/com1.txt" | grep -v 'at arch/x86/kernel/fpu/xstate.c:' \
	>"$tmp/bad" || true
[ -s "$tmp/bad" ] && tap_diag "$(cat "$tmp/bad")"
tap_ok "grep -q '^@@VMIAAS-L1-INIT' '$tmp/com1.txt' && [ ! -s '$tmp/bad' ]" \
	"the L1 kernel log has no WARNING, BUG or Oops beyond the known Bochs noise"
tap_done
