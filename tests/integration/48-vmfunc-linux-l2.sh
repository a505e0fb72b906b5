#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The whole VMFUNC chain with a real Linux guest (issue 4, "Must show"):
# sandbox -> Bochs (emulated VT-x) -> L1 Debian 6.1 with the patched KVM
# and vmiaas.ko -> L2 Debian 6.1 (the same kernel image) with a busybox
# initramfs, booted by tests/vmfunc/l2vmm, a small VMM on the KVM API.
#
# l2vmm attaches its VM to vmiaas.ko and arms view 1 before the L2 runs;
# once the L2 has booted it registers two checks, baselined from the L2's
# memory: SHA-256 of the first 64 bytes of __x64_sys_acct and the
# sys_call_table slot of acct (the L2 names them by their /proc/kallsyms
# addresses: Debian ships no System.map; the L2 runs at its link address,
# no KASLR, so l2vmm turns them into GPAs). In the L2 (tests/vmfunc/
# l2-chain-guest.sh) guest-agent's vmiaas_agent.ko detects VMFUNC and
# view 1, gets a clean verdict for its BOOT request and 10 on-demand
# requests through the mailbox; vmiaas_attack_inline.ko then patches
# __x64_sys_acct, and the agent's next requests (its module notifier's,
# and an on-demand one) get "tampered" with check 0 failed; after the
# hook is removed the verdict is clean again. The agent then runs in
# hypercall mode for comparison, and a periodic request is awaited.
#
# Exit counts: KVM's per-vCPU statistics (l2vmm reads its stats fd at
# every "@@" line) and a histogram of the L1's kvm:kvm_exit trace event by
# exit reason (VMFUNC 59, VMCALL 18). The VMFUNC requests cost no hypercall and no VMFUNC exit; each
# hypercall request costs one VMCALL exit.
# One Bochs boot; VMIAAS_BOCHS_TIMEOUT (s, default 2400) bounds it. Wall
# time: 20 min on a build host with a load average of 10 on 2 cores (L1
# boot 3-4 min, L2 boot 4 min, the chain 10); Bochs runs some 5 times
# faster on a quiet host.
set -eu
# shellcheck source=tests/lib/guest.sh
. "$(dirname "$0")/../lib/guest.sh"

top=$VMIAAS_TOP
L1=$top/scripts/bochs-l1
command -v bochs >/dev/null ||
	tap_skip_all "bochs missing (scripts/deps.sh vmfunc)"
command -v genisoimage >/dev/null ||
	tap_skip_all "genisoimage missing (scripts/deps.sh vmfunc)"
[ -f /usr/lib/x86_64-linux-gnu/libcrypto.a ] ||
	tap_skip_all "no static libcrypto (libssl-dev)"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/vmiaas-l2.XXXXXX")
trap '_guest_cleanup; rm -rf "$tmp"' EXIT

abi=$("$L1" abi) || tap_bail "scripts/bochs-l1 abi failed"
kdir=/lib/modules/$abi/build
[ -d "$kdir" ] || tap_skip_all "no headers for $abi at $kdir"
kvm=$("$top/scripts/build-kvm.sh" 6.1 2>"$tmp/kvm.err") ||
	tap_bail "scripts/build-kvm.sh 6.1 failed: $(tail -n 5 "$tmp/kvm.err")"
kernel=$("$L1" kernel) || tap_bail "scripts/bochs-l1 kernel failed"

# ---- what goes into the L1 and the L2 (private builds, never in the tree)
mkdir -p "$tmp/kbuild" "$tmp/agent" "$tmp/l2/bin" "$tmp/l2/l2"
cp -r "$top/Kbuild" "$top/kmod" "$top/core" "$top/include" "$tmp/kbuild/"
cp -r "$top/guest-agent" "$top/include" "$tmp/agent/"
find "$tmp/kbuild" "$tmp/agent" \( -name '*.o' -o -name '.*.cmd' -o -name '*.ko' \) -delete
make -s -C "$kdir" M="$tmp/kbuild" modules >"$tmp/build.log" 2>&1 ||
	tap_bail "vmiaas.ko for $abi: $(tail -n 5 "$tmp/build.log")"
make -s -C "$kdir" M="$tmp/agent/guest-agent" modules >"$tmp/agent.log" 2>&1 ||
	tap_bail "vmiaas_agent.ko for $abi: $(tail -n 5 "$tmp/agent.log")"
mods=$("$VMIAAS_GUEST_CLI" modules --kernel 6.1 2>"$tmp/mods.err") ||
	tap_bail "test modules: $(tail -n 5 "$tmp/mods.err")"
v=$top/tests/vmfunc
gcc -static -O2 -Wall -Wextra -Wno-unused-parameter -Werror -pthread \
	-o "$tmp/l2vmm" "$v/l2vmm.c" "$v/l2vmm_stats.c" "$v/l2vmm_vmiaas.c" \
	-lcrypto 2>"$tmp/cc.err" ||
	tap_bail "cannot build l2vmm: $(grep -v 'statically linked' "$tmp/cc.err" | head -n 5)"

cp /bin/busybox "$tmp/l2/bin/busybox"
cp "$v/l2-init" "$tmp/l2/init"
cp "$v/l2-chain-guest.sh" "$tmp/l2/l2/cmd.sh"
cp "$tmp/agent/guest-agent/vmiaas_agent.ko" "$mods/vmiaas_attack_inline.ko" \
	"$tmp/l2/l2/"
strip --strip-debug "$tmp/l2/l2/"*.ko
chmod 0755 "$tmp/l2/init" "$tmp/l2/bin/busybox"
(cd "$tmp/l2" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) \
	>"$tmp/l2.cpio"
cp "$kernel" "$tmp/vmlinuz-l2"

cmdline="console=ttyS0 quiet reboot=t acpi=off pci=off io_delay=none"
cmdline="$cmdline 8250.nr_uarts=1 mitigations=off tsc=reliable"
printf '%s\n' "--kernel vmlinuz-l2 --initrd l2.cpio --mem 128 --timeout 900" \
	"--cmdline '$cmdline'" >"$tmp/l2vmm.args"

tap_plan 21

st=0
"$L1" run --timeout "${VMIAAS_BOCHS_TIMEOUT:-2400}" --mem 640 --log "$tmp/com1" \
	--kvm-dir "$kvm" --add "$tmp/kbuild/vmiaas.ko" --add "$tmp/l2vmm" \
	--add "$tmp/vmlinuz-l2" --add "$tmp/l2.cpio" --add "$tmp/l2vmm.args" \
	--add "$v/l2-chain.sh" -- sh l2-chain.sh \
	>"$tmp/out" 2>"$tmp/err" || st=$?
tap_diag "$(cat "$tmp/err")"
tap_diag "$(grep -v '^@@MAILBOX' "$tmp/out")"
tap_is "$st" 0 "the Bochs L1 runs l2-chain.sh to its end (exit status)"
tap_is "$(sed -n 's/^@@INSMOD //p' "$tmp/out")" 0 "insmod vmiaas.ko in the L1"
tap_ok "grep -q '^l2vmm: vmiaas: attached, view 1 armed on 1 vCPU' '$tmp/out'" \
	"l2vmm attaches its VM and arms view 1"
tap_ok "grep -q '^@@L2-INIT ' '$tmp/out' && grep -q '^@@L2-TEXT ffffffff81000000 ' '$tmp/out'" \
	"the Linux L2 boots to its /init, its kernel at the link address"
tap_ok "grep -q '^l2vmm: vmiaas: SET_CHECKS: 2 checks registered' '$tmp/out'" \
	"l2vmm registers 2 checks, baselined from the booted L2"
tap_is "$(sed -n 's/^@@L2-AGENT-INSMOD \([0-9]*\).*/\1/p' "$tmp/out" | head -n 1)" 0 \
	"insmod vmiaas_agent.ko in the L2"
found=$(sed -n 's/^@@L2-FOUND \(.*\) \[.*/\1/p' "$tmp/out")
tap_ok "grep -q 'hypervisor=KVMKVMKVM vmfunc=1 view1=1 .*mode=vmfunc' <<<'$found'" \
	"the agent detects VMFUNC and view 1 (found: $found)"

# last TAG FIELD: a field of the agent's "last" after step TAG
last() { sed -n "s/^@@L2-LAST $1 .*\\b$2=\\([^ ]*\\).*/\\1/p" "$tmp/out" | head -n 1; }
tap_is "$(last boot channel) $(last boot reason) $(last boot verdict) $(last boot checks)" \
	"vmfunc boot clean 2" "the agent's BOOT request via VMFUNC: clean, 2 checks ran"
tap_is "$(last vmfunc requests) $(last vmfunc channel) $(last vmfunc verdict)" \
	"11 vmfunc clean" "10 on-demand VMFUNC requests: clean"
tap_is "$(sed -n 's/^@@L2-ATTACK-INSMOD \([0-9]*\).*/\1/p' "$tmp/out")" 0 \
	"insmod vmiaas_attack_inline.ko in the L2 (hooks __x64_sys_acct)"
tap_is "$(last module-load reason) $(last module-load verdict) $(last module-load mask)" \
	"module-load tampered 0x1" "the agent's module-notifier request: tampered, check 0 (the hooked text)"
tap_is "$(last tampered reason) $(last tampered verdict) $(last tampered failed) $(last tampered mask)" \
	"on-demand tampered 1 0x1" "the next on-demand request: tampered, 1 check failed (mask 0x1)"
tap_is "$(last restored verdict) $(last restored mask)" "clean 0x0" \
	"after rmmod of the hook the verdict is clean again"
tap_ok "grep -q '^@@EVENT .*verdict=2 .*mask=0x1 ' '$tmp/out'" \
	"vmiaas.ko reports the tampered verdict as an event on /dev/vmiaas"

# stat MARK FIELD: a counter l2vmm printed on "@@L2-MARK MARK"
stat() { sed -n "s/^@@L2-MARK $1 \\[.*\\b$2=\\([0-9]*\\).*/\\1/p" "$tmp/out" | head -n 1; }
delta() {
	local a b
	a=$(stat "$1-before" "$2")
	b=$(stat "$1-after" "$2")
	if [ -n "$a" ] && [ -n "$b" ]; then echo $((b - a)); fi
}
hc_vmfunc=$(delta vmfunc hypercalls)
hc_hyper=$(delta hypercall hypercalls)
tap_diag "VM exits (all reasons) during 10 requests: vmfunc $(delta vmfunc exits), hypercall $(delta hypercall exits), empty loop $(delta idle exits)"
tap_diag "hypercalls during 10 requests: vmfunc ${hc_vmfunc:-?}, hypercall ${hc_hyper:-?}"
tap_is "$hc_vmfunc" 0 "10 VMFUNC requests: no hypercall (KVM's per-vCPU stats)"
tap_is "$hc_hyper" 10 "10 hypercall requests: exactly 10 hypercalls"
tap_is "$(last hypercall channel) $(last hypercall verdict)" "hypercall clean" \
	"hypercall mode gets the same verdict"
tap_is "$(last periodic reason) $(last periodic verdict)" "periodic clean" \
	"a periodic request (interval_ms) gets a verdict"
trace() { sed -n "s/^@@TRACE $1 //p" "$tmp/out"; }
tap_diag "L1 kvm_exit trace: VMFUNC $(trace VMFUNC), VMCALL $(trace VMCALL)"
tap_diag "L2 exits by reason (L1 kvm_exit histogram): $(sed -n 's/^@@HIST //p' "$tmp/out" | tail -n 1)"
tap_ok "[ -z '$(trace VMFUNC)' ] && [ '$(trace VMCALL)' -ge 10 ] && grep -q '^@@HIST .*[0-9]=' '$tmp/out'" \
	"the whole run: no L2 exit with reason VMFUNC, at least 10 with VMCALL (kvm_exit histogram)"
tap_is "$(sed -n 's/^@@RMMOD //p' "$tmp/out")" 0 "rmmod vmiaas after the L2 ended"

tr -d '\r' <"$tmp/com1" >"$tmp/com1.txt"
grep -E 'WARNING: CPU: [0-9]+ PID:|BUG:|Oops|kernel BUG at|general protection fault' \
	"$tmp/com1.txt" | grep -v 'at arch/x86/kernel/fpu/xstate.c:' \
	>"$tmp/bad" || true
[ -s "$tmp/bad" ] && tap_diag "$(cat "$tmp/bad")"
tap_ok "grep -q '^@@VMIAAS-L1-INIT' '$tmp/com1.txt' && [ ! -s '$tmp/bad' ]" \
	"no WARNING, BUG or Oops in the L1 or L2 logs beyond the known Bochs noise"
tap_done
