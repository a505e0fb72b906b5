#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# l1-suite.sh [STEP...]: the VMFUNC chain's tests in one Bochs L1 boot per
# number of L1 CPUs the steps want (today two boots, run at the same time:
# the `checks` step's two CPUs, and one CPU for the others).
#
# Boots Debian's kernel (VMIAAS_L1_KVER: 6.1, the default, or 6.12) in
# Bochs (scripts/bochs-l1) with the patched kvm.ko/kvm-intel.ko of
# scripts/build-kvm.sh, and runs the steps below one after the other in
# their boot (tests/vmfunc/l1-steps.sh, in the L1), each a shell script of
# tests/vmfunc/ run in the L1. Prints TAP: per step, "NAME: ..." results:
# it ran to its end (exit 0), the step's own checks (check_NAME below, or
# the TAP lines the step printed), and no WARNING/BUG/Oops in the L1
# kernel log while it ran. A failed step shows its part of the L1's
# console (its output and the kernel's messages) as diagnostics.
# With STEP arguments only those steps run (still one boot per CPU count), e.g.
#   VMIAAS_TOP=$PWD tests/vmfunc/l1-suite.sh checks
# tests/integration/45-vmfunc-l1.sh runs all of them.
#
# Adding a step: one line in STEPS (name, the KVM it needs, how many L1
# CPUs, a timeout in L1 seconds, its script in tests/vmfunc/, what it
# needs: the need_* functions below). A step that prints TAP ("ok N - ...") is checked by
# its TAP lines; write check_NAME for more.
#
# Environment: VMIAAS_TOP, VMIAAS_L1_KVER (6.1),
# VMIAAS_BOCHS_TIMEOUT (s of wall time for each whole boot, 3600),
# VMIAAS_L1_LOG (keep the L1's whole console output in that file),
# VMIAAS_L1_TIMELINE (append each console line to that file after the wall
# and Bochs CPU seconds at which it came: where the time goes),
# VMIAAS_L1_REPLAY (check such a file instead of booting: for working on
# the checks). With two boots, each file is FILE.N for the boot with N
# CPUs (a replay takes FILE when there is no FILE.N).
# the need_* and check_* functions are called by name
# shellcheck disable=SC2317
set -eu
VMIAAS_TOP=${VMIAAS_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
# shellcheck source=tests/lib/guest.sh
. "$VMIAAS_TOP/tests/lib/guest.sh"

# NAME      KVM      CPUS TIMEOUT SCRIPT          NEEDS
STEPS=(
	"stock    stock    1    300     stock-test.sh   probe"
	"view     patched  1    600     view-test.sh    vmiaas probe"
	"checks   patched  2    1200    checks-test.sh  vmiaas checks"
	"linux-l2 patched  1    2400    l2-chain.sh     vmiaas l2vmm"
	"softdirty patched 1    300     softdirty-test.sh softdirty"
	"vmid     patched  1    2400    vmid-l1.sh      vmiaas l2vmm vmid"
)
# Steps run only when named (tests/vmfunc/l1-suite.sh NAME): none today.
NAMED_STEPS=()

top=$VMIAAS_TOP
v=$top/tests/vmfunc
kver=${VMIAAS_L1_KVER:-6.1}
l1() { "$top/scripts/bochs-l1" --kver "$kver" "$@"; }

command -v bochs >/dev/null ||
	tap_skip_all "bochs missing (scripts/deps.sh vmfunc)"
command -v genisoimage >/dev/null ||
	tap_skip_all "genisoimage missing (scripts/deps.sh vmfunc)"
command -v gcc >/dev/null || tap_skip_all "gcc missing"
[ -f /usr/lib/x86_64-linux-gnu/libcrypto.a ] ||
	tap_skip_all "static libcrypto missing (libssl-dev)"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/vmiaas-l1suite.XXXXXX")
trap '_guest_cleanup; rm -rf "$tmp"' EXIT

abi=$(l1 abi) || tap_bail "scripts/bochs-l1 --kver $kver abi failed"
kdir=/lib/modules/$abi/build
[ -d "$kdir" ] || tap_skip_all "no headers for $abi at $kdir"
kvm=$("$top/scripts/build-kvm.sh" "$kver" 2>"$tmp/kvm.err") ||
	tap_bail "scripts/build-kvm.sh $kver failed: $(tail -n 5 "$tmp/kvm.err")"

# ---- what the steps need: each need_X builds X once and adds its files -----

adds=()
declare -A needed=()

# cc_static OUT SRC... [-lLIB]: a static L1 program
cc_static()
{
	local out=$1
	shift
	gcc -static -O2 -Wall -Wextra -Wno-unused-parameter \
		-Wno-missing-field-initializers -Werror -pthread \
		-o "$tmp/$out" "$@" 2>"$tmp/cc.err" ||
		tap_bail "cannot build $out: $(grep -v 'statically linked' "$tmp/cc.err" | head -n 5)"
	adds+=(--add "$tmp/$out")
}

# kbuild DIR WHAT: a private build of a module for the L1's kernel
kbuild()
{
	make -s -C "$kdir" M="$1" modules >"$tmp/kbuild.log" 2>&1 ||
		tap_bail "$2 for $abi: $(tail -n 5 "$tmp/kbuild.log")"
}

# vmiaas.ko for the L1's kernel. It does not link against KVM (it
# resolves the kvm_vmx_altview_* exports at run time): the stock headers
# are all it needs.
need_vmiaas()
{
	mkdir -p "$tmp/kbuild"
	cp -r "$top/Kbuild" "$top/kmod" "$top/core" "$top/include" "$tmp/kbuild/"
	find "$tmp/kbuild" \( -name '*.o' -o -name '.*.cmd' -o -name '*.ko' \) -delete
	kbuild "$tmp/kbuild" vmiaas.ko
	adds+=(--add "$tmp/kbuild/vmiaas.ko")
}

need_probe()
{
	cc_static vmfunc_probe "$v/vmfunc_probe.c" "$v/vmfunc_guest.S"
	adds+=(--add "$v/kvm-exits.sh")
}

need_checks()
{
	cc_static vmfunc_checks "$v/vmfunc_checks.c" "$v/checks_guest.S" -lcrypto
}

# l2_syms IMAGE NAME...: "ADDRESS NAME" lines from the kallsyms tables in
# the kernel IMAGE (tests/tools/ksymdump; Debian's System.map is a stub),
# so that the L2 need not read its /proc/kallsyms (minutes under Bochs)
l2_syms()
{
	local image=$1 s
	shift
	gcc -O2 -Wall -I"$top" -I"$top/core" -I"$top/include" -o "$tmp/ksymdump" \
		"$top/tests/tools/ksymdump.c" "$top/core/kallsyms.c" 2>"$tmp/cc.err" ||
		tap_bail "cannot build ksymdump: $(head -n 5 "$tmp/cc.err")"
	for s in "$@"; do
		"$tmp/ksymdump" "$image" "$s" 2>"$tmp/ksym.err" ||
			tap_bail "no $s in $image: $(head -n 3 "$tmp/ksym.err")"
	done
}

# l2vmm and the Linux L2 it boots: the L1's own kernel image with a
# busybox initramfs holding guest-agent's module and an inline hook
need_l2vmm()
{
	local mods kernel cmdline l2=$tmp/l2
	cc_static l2vmm "$v/l2vmm.c" "$v/l2vmm_stats.c" "$v/l2vmm_vmiaas.c" -lcrypto
	kernel=$(l1 kernel) || tap_bail "scripts/bochs-l1 kernel failed"
	mkdir -p "$tmp/agent" "$l2/bin" "$l2/l2"
	cp -r "$top/guest-agent" "$top/include" "$tmp/agent/"
	find "$tmp/agent" \( -name '*.o' -o -name '.*.cmd' -o -name '*.ko' \) -delete
	kbuild "$tmp/agent/guest-agent" vmiaas_agent.ko
	mods=$("$VMIAAS_GUEST_CLI" modules --kernel "$kver" 2>"$tmp/mods.err") ||
		tap_bail "test modules: $(tail -n 5 "$tmp/mods.err")"
	cp /bin/busybox "$l2/bin/busybox"
	cp "$v/l2-init" "$l2/init"
	cp "$v/l2-chain-guest.sh" "$l2/l2/cmd.sh"
	cp "$tmp/agent/guest-agent/vmiaas_agent.ko" "$mods/vmiaas_attack_inline.ko" \
		"$mods/vmiaas_attack_umh.ko" "$mods/vmiaas_attack_execmem.ko" "$l2/l2/"
	l2_syms "$kernel" _text __x64_sys_acct sys_call_table init_top_pgt _etext \
		_end real_mode_header real_mode_blob real_mode_blob_end \
		modprobe_path core_pattern set_memory_ro set_memory_x >"$l2/l2/syms"
	strip --strip-debug "$l2/l2/"*.ko
	chmod 0755 "$l2/init" "$l2/bin/busybox"
	(cd "$l2" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) \
		>"$tmp/l2.cpio"
	cp "$kernel" "$tmp/vmlinuz-l2"
	cmdline="console=ttyS0 quiet reboot=t acpi=off pci=off io_delay=none"
	# no crypto self-tests: about a third of the L2's boot under Bochs
	cmdline="$cmdline 8250.nr_uarts=1 mitigations=off tsc=reliable rcupdate.rcu_expedited=1"
	cmdline="$cmdline cryptomgr.notests=1"
	printf '%s\n' "--kernel vmlinuz-l2 --initrd l2.cpio --mem 128 --timeout 900" \
		"--cmdline '$cmdline'" >"$tmp/l2vmm.args"
	adds+=(--add "$tmp/vmlinuz-l2" --add "$tmp/l2.cpio" --add "$tmp/l2vmm.args")
}

# the soft-dirty facts under KVM (userspace/lib/dirty.c rests on them),
# and the tracker's unit test on a kernel that has soft-dirty bits
need_softdirty()
{
	cc_static softdirty_kvm "$v/softdirty_kvm.c"
	cc_static test_dirty -std=gnu11 -D_GNU_SOURCE -I"$top" -I"$top/include" \
		"$top/tests/unit/test_dirty.c" "$top"/userspace/lib/*.c \
		"$top"/core/*.c -lbpf -lelf -lz -ljson-c -lcrypto
}

# ---- the steps' own checks: check_NAME, run with $o = the step's output ----

# The known Bochs boot noise: one WARNING in fpu__init_system_xstate
# (arch/x86/kernel/fpu/xstate.c: the emulated CPU's XSAVE leaves), and on
# 6.12 one in parse_legacy (arch/x86/kernel/cpu/topology_common.c: the
# emulated CPUID.1 counts fewer logical processors than leaf 4 counts
# cores; 6.1 does not check). ("RETBleed: WARNING: ..." and
# "TSC_DEADLINE disabled due to Errata" are not kernel warnings in this
# sense and are not matched.)
klog_bad()
{
	grep -E 'WARNING: CPU: [0-9]+ PID:|BUG:|Oops|kernel BUG at|general protection fault' \
		"$1" | grep -v -e 'at arch/x86/kernel/fpu/xstate.c:' \
		-e 'at arch/x86/kernel/cpu/topology_common.c:[0-9]* parse_legacy+' || true
}

# kvm_params FILE PREFIX: kvm_intel loaded with EPT and unrestricted guest
kvm_params()
{
	local p
	p=$(grep "^$2" "$1" | head -n 1 || true)
	tap_diag "${p:-no kvm_intel parameters}"
	tap_ok "[[ '$p' == *' ept=Y'* && '$p' == *' unrestricted_guest=Y'* ]]" \
		"$3 kvm_intel is loaded with ept=Y and unrestricted_guest=Y"
}

# stock KVM: VMFUNC exits (reason 59) and KVM injects #UD, which the
# probe's L2 catches (tests/vmfunc/vmfunc_probe.c)
check_stock()
{
	local t exits
	tap_is "$(sed -n 's/^@@STEP-KVM stock stock //p' "$o")" 0 \
		"stock: Debian's kvm and kvm_intel replace the patched ones"
	kvm_params "$o" @@KVM "stock: Debian's"
	for t in "ok 1 - /dev/kvm opens" "ok 2 - VM created" \
		"ok 3 - L2 runs to its first exit" \
		"ok 4 - stock KVM: VMFUNC(0,0) raises #UD in the guest (got vector 6)" \
		"ok 5 - stock KVM: VMFUNC(0,1) raises #UD in the guest (got vector 6)" \
		"ok 3 - L2 runs to its first exit [long mode]" \
		"ok 4 - stock KVM: VMFUNC(0,0) raises #UD in the guest (got vector 6) [long mode]" \
		"ok 5 - stock KVM: VMFUNC(0,1) raises #UD in the guest (got vector 6) [long mode]"; do
		tap_ok "grep -qxF '$t' '$o'" "stock: probe: $t"
	done
	tap_ok "! grep -q '^not ok' '$o'" "stock: probe: no failed test"
	exits=$(sed -n 's/^# kvm_exit VMFUNC \([0-9]*\)$/\1/p' "$o")
	if [ "$kver" = 6.1 ]; then
		tap_is "${exits:-0}" 4 \
			"stock: KVM handled 4 exits with reason VMFUNC (59), one per VMFUNC"
	else
		# 6.12 clears "enable VM functions" for L1 (vmx_secondary_exec_control):
		# the CPU raises #UD itself, KVM sees it as an exception exit
		tap_is "${exits:-0}" 0 \
			"stock: no exit with reason VMFUNC: $kver keeps VM functions off, the CPU raises #UD"
	fi
	tap_ok "grep -q '^# MSR 0x491 (IA32_VMX_VMFUNC) = 0x0000000000000001' '$o'" \
		"stock: the emulated CPU offers EPTP switching (IA32_VMX_VMFUNC = 1)"
}

# module_life STEP INSMODS RMMODS: what the step said of vmiaas.ko's loads
module_life()
{
	tap_is "$(sed -n 's/^@@INSMOD //p' "$o" | tr '\n' ' ')" "$2" \
		"$1: insmod vmiaas.ko ($2)"
	tap_is "$(sed -n 's/^@@RMMOD //p' "$o" | tr '\n' ' ')" "$3" \
		"$1: rmmod vmiaas once its VMs are closed ($3)"
	tap_ok "! grep -q '^@@STILL-LOADED' '$o'" "$1: vmiaas is gone after each rmmod"
}

# view 1 on the patched KVM: VMFUNC switches views with no VM exit
check_view()
{
	local run l10 l1000
	section() { sed -n "/^@@RUN $1\$/,/^@@RUN-END $1 /p" "$o"; }
	status() { section "$1" | sed -n "s/^@@RUN-END $1 \\([0-9]*\\)\$/\\1/p"; }
	exits() { section "$1" | sed -n "s/^# kvm_exit $2 \\([0-9]*\\)\$/\\1/p"; }
	has() { section "$1" | grep -q "^ok [0-9]* - $2"; }
	loop_exits() { section "$1" | sed -n "s/^# loop [0-9]* exits \\(-\\?[0-9]*\\)\$/\\1/p"; }

	module_life view "0 0 " "0 0 "
	tap_ok "grep -q '^# dmesg: .*vmiaas: VMFUNC mode available' '$o'" \
		"view: vmiaas.ko finds the alternate-view API at load"
	for run in switch-real switch-long; do
		tap_is "$(status "$run")" 0 "view: $run: vmfunc_probe --vmiaas --expect switch passes"
	done
	tap_ok "has switch-real 'vmiaas: ATTACH_VM attaches' && has switch-real 'vmiaas: ENABLE_VIEW arms view 1 on 1 vCPU' && has switch-real 'vmiaas: bad arguments are refused'" \
		"view: ATTACH_VM and ENABLE_VIEW work, bad arguments are refused"
	tap_ok "has switch-real 'EPTP switching KVM: VMFUNC(0,1) completes' && has switch-long 'EPTP switching KVM: VMFUNC(0,1) completes in the guest without exit .* \\[long mode\\]'" \
		"view: VMFUNC(0,0) and VMFUNC(0,1) complete in the L2 without exit, real and long mode"
	tap_is "$(exits switch-real VMFUNC)$(exits switch-long VMFUNC)" "" \
		"view: no exit with reason VMFUNC in the switch runs"
	for run in loop-10 loop-1000 reload-loop-1000; do
		tap_is "$(status "$run")" 0 "view: $run: vmfunc_probe --vmiaas --mode loop passes"
		tap_is "$(exits "$run" VMFUNC)" 1 \
			"view: $run: exactly one exit with reason VMFUNC (59): the VMFUNC(0,5)"
	done
	tap_ok "has loop-10 'vmiaas: the L2 wrote the mailbox in view 1, the host reads it (magic 0x534141494d56, 10)' && has loop-1000 'vmiaas: the L2 wrote the mailbox in view 1, the host reads it (magic 0x534141494d56, 1000)'" \
		"view: view 1 maps vmiaas's mailbox: the L2 writes it, READ_MAILBOX reads it"
	tap_ok "has loop-1000 'VMFUNC(0,5), an unarmed index: #UD in the guest'" \
		"view: VMFUNC(0,5): the L2 gets #UD and the L1 goes on"
	l10=$(loop_exits loop-10)
	l1000=$(loop_exits loop-1000)
	tap_diag "view: VM exits during the VMFUNC loop: N=10: ${l10:-?}, N=1000: ${l1000:-?}"
	tap_ok "[ -n '$l10' ] && [ '$l10' = '$l1000' ]" \
		"view: the exit count during the loop does not grow with N (10 vs 1000 round trips)"
	tap_ok "has loop-1000 'vmiaas: rmmod vmiaas is refused while a VM is attached' && has loop-1000 'vmiaas: rmmod vmiaas is still refused while the VM lives'" \
		"view: rmmod vmiaas is refused while attached and while an armed VM lives"
}

# step_tap STEP SECTION: re-emits the TAP results a program printed in
# SECTION (@@RUN SECTION ... @@RUN-END SECTION STATUS) and checks that
# all ran and that it exited 0
step_tap()
{
	local section r name planned results
	section=$(sed -n "/^@@RUN $2\$/,/^@@RUN-END $2 /p" "$o")
	mapfile -t results < <(grep -E '^(not )?ok [0-9]+ ' <<<"$section" || true)
	planned=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' <<<"$section")
	for r in ${results[@]+"${results[@]}"}; do
		name=$(sed -E 's/^(not )?ok [0-9]+( -)? ?//' <<<"$r")
		case $r in
		ok*) tap_ok true "$1: $name" ;;
		*) tap_ok false "$1: $name" ;;
		esac
	done
	tap_is "${#results[@]}" "${planned:-none}" \
		"$1: $2 ran all its tests (plan ${planned:-missing})"
	tap_is "$(sed -n "s/^@@RUN-END $2 //p" "$o")" 0 "$1: $2 exits 0"
}

# softdirty_kvm's TAP; the L1's kernel has soft-dirty bits, so no skips
check_softdirty()
{
	step_tap softdirty softdirty
	tap_ok "! sed -n '/^@@RUN softdirty\$/,/^@@RUN-END/p' '$o' | grep -q SKIP" \
		"softdirty: the L1 kernel keeps soft-dirty bits (nothing skipped)"
	step_tap softdirty test_dirty
	tap_ok "! sed -n '/^@@RUN test_dirty\$/,/^@@RUN-END/p' '$o' | grep -q SKIP" \
		"softdirty: test_dirty's facts, tracker and engine skip all ran (nothing skipped)"
}

# requests, checks, the hypercall, the rate limit, garbage, a second VM, a
# memslot change, teardown with requests in flight: vmfunc_checks' TAP
check_checks()
{
	step_tap checks checks
	module_life checks "0 0 " "0 0 "
}

# the whole chain with a Linux L2 (issue 4, "Must show"), see
# tests/vmfunc/l2-chain.sh and l2-chain-guest.sh
check_linux_l2()
{
	local found hc_vmfunc hc_hyper
	tap_diag "$(grep -v '^@@MAILBOX' "$o" | grep -E '^(@@L2-|@@HIST|@@TRACE|l2vmm:)' | tail -n 60)"
	module_life linux-l2 "0 " "0 "
	tap_ok "grep -q '^l2vmm: vmiaas: attached, view 1 armed on 1 vCPU' '$o'" \
		"linux-l2: l2vmm attaches its VM and arms view 1"
	tap_ok "grep -q '^@@L2-INIT ' '$o' && grep -q '^@@L2-TEXT ffffffff81000000 ffffffff81000000 ' '$o'" \
		"linux-l2: the Linux L2 boots to its /init, its kernel at the link address (its /proc/kallsyms and its image's tables agree)"
	tap_ok "grep -q '^l2vmm: vmiaas: SET_CHECKS: 5 checks registered' '$o'" \
		"linux-l2: l2vmm registers 5 checks (text, syscall slot, exec-memory, modprobe_path, core_pattern), baselined from the booted L2"
	tap_is "$(sed -n 's/^@@L2-AGENT-INSMOD \([0-9]*\).*/\1/p' "$o" | head -n 1)" 0 \
		"linux-l2: insmod vmiaas_agent.ko in the L2"
	found=$(sed -n 's/^@@L2-FOUND \(.*\) \[.*/\1/p' "$o")
	tap_ok "grep -q 'hypervisor=KVMKVMKVM vmfunc=1 view1=1 .*mode=vmfunc' <<<'$found'" \
		"linux-l2: the agent detects VMFUNC and view 1 (found: $found)"

	# last TAG FIELD: a field of the agent's "last" after step TAG
	last() { sed -n "s/^@@L2-LAST $1 .*\\b$2=\\([^ ]*\\).*/\\1/p" "$o" | head -n 1; }
	tap_is "$(last boot channel) $(last boot reason) $(last boot verdict) $(last boot checks)" \
		"vmfunc boot clean 5" "linux-l2: the agent's BOOT request via VMFUNC: clean, 5 checks ran (exec-memory and usermode-helper among them)"
	tap_is "$(last vmfunc requests) $(last vmfunc channel) $(last vmfunc verdict)" \
		"11 vmfunc clean" "linux-l2: 10 on-demand VMFUNC requests: clean"
	tap_is "$(sed -n 's/^@@L2-ATTACK-INSMOD \([0-9]*\).*/\1/p' "$o")" 0 \
		"linux-l2: insmod vmiaas_attack_inline.ko in the L2 (hooks __x64_sys_acct)"
	tap_ok "grep -q '^@@L2-DMESG .*vmiaas_attack_inline: jmp at __x64_sys_acct+0x0/' '$o'" \
		"linux-l2: the L2's kernel names the hooked address __x64_sys_acct (the image's tables are right)"
	tap_is "$(last module-load reason) $(last module-load verdict) $(last module-load mask)" \
		"module-load tampered 0x1" "linux-l2: the agent's module-notifier request: tampered, check 0 (the hooked text)"
	tap_is "$(last tampered reason) $(last tampered verdict) $(last tampered failed) $(last tampered mask)" \
		"on-demand tampered 1 0x1" "linux-l2: the next on-demand request: tampered, 1 check failed (mask 0x1)"
	tap_is "$(last restored verdict) $(last restored mask)" "clean 0x0" \
		"linux-l2: after rmmod of the hook the verdict is clean again"
	tap_ok "grep -q '^@@EVENT .*verdict=2 .*mask=0x1 ' '$o'" \
		"linux-l2: vmiaas.ko reports the tampered verdict as an event on /dev/vmiaas"
	tap_is "$(sed -n 's/^@@L2-UMH-INSMOD \([0-9]*\).*/\1/p' "$o")" 0 \
		"linux-l2: insmod vmiaas_attack_umh.ko in the L2 (modprobe_path rewritten in memory)"
	tap_is "$(last umh verdict) $(last umh failed) $(last umh mask)" "tampered 1 0x8" \
		"linux-l2: usermode-helper in vmiaas.ko: the next request is tampered, check 3 (modprobe_path) alone"
	tap_is "$(last umh-restored verdict) $(last umh-restored mask)" "clean 0x0" \
		"linux-l2: modprobe_path restored: clean again"
	tap_is "$(sed -n 's/^@@L2-EXECMEM \([0-9]*\).*/\1/p' "$o")" 0 \
		"linux-l2: vmiaas_attack_execmem loads, runs its copied code and unloads in the L2"
	tap_ok "grep -q '^@@L2-DMESG .*vmiaas_attack_execmem: code at 0x.* (vmalloc) returns 42' '$o'" \
		"linux-l2: the copied code ran from its vmalloc page"
	# a hypercall's answer carries no mask: the event on /dev/vmiaas does
	tap_is "$(last execmem channel) $(last execmem verdict) $(last execmem failed)" \
		"hypercall tampered 1" \
		"linux-l2: exec-memory in vmiaas.ko: the next request (hypercall) is tampered, 1 check failed"
	tap_ok "grep -q '^@@EVENT .*reason=3 source=3 status=0 verdict=2 failed=1 checks=5 mask=0x4 ' '$o'" \
		"linux-l2: its event on /dev/vmiaas: check 2 (exec-memory) alone"

	# stat MARK FIELD: a counter l2vmm printed on "@@L2-MARK MARK"
	stat() { sed -n "s/^@@L2-MARK $1 \\[.*\\b$2=\\([0-9]*\\).*/\\1/p" "$o" | head -n 1; }
	delta() {
		local a b
		a=$(stat "$1-before" "$2")
		b=$(stat "$1-after" "$2")
		if [ -n "$a" ] && [ -n "$b" ]; then echo $((b - a)); fi
	}
	hc_vmfunc=$(delta vmfunc hypercalls)
	hc_hyper=$(delta hypercall hypercalls)
	tap_diag "linux-l2: VM exits (all reasons) during 10 requests: vmfunc $(delta vmfunc exits), hypercall $(delta hypercall exits), empty loop $(delta idle exits)"
	tap_diag "linux-l2: hypercalls during 10 requests: vmfunc ${hc_vmfunc:-?}, hypercall ${hc_hyper:-?}"
	tap_is "$hc_vmfunc" 0 "linux-l2: 10 VMFUNC requests: no hypercall (KVM's per-vCPU stats)"
	tap_is "$hc_hyper" 10 "linux-l2: 10 hypercall requests: exactly 10 hypercalls"
	tap_is "$(last hypercall channel) $(last hypercall verdict)" "hypercall clean" \
		"linux-l2: hypercall mode gets the same verdict"
	tap_is "$(last periodic reason) $(last periodic verdict)" "periodic clean" \
		"linux-l2: a periodic request (interval_ms) gets a verdict"
	trace() { sed -n "s/^@@TRACE $1 //p" "$o"; }
	tap_diag "linux-l2: L1 kvm_exit trace: VMFUNC $(trace VMFUNC), VMCALL $(trace VMCALL)"
	tap_diag "linux-l2: L2 exits by reason (L1 kvm_exit histogram): $(sed -n 's/^@@HIST //p' "$o" | tail -n 1)"
	tap_ok "[ -z '$(trace VMFUNC)' ] && [ '$(trace VMCALL)' -ge 10 ] && grep -q '^@@HIST .*[0-9]=' '$o'" \
		"linux-l2: the whole run: no L2 exit with reason VMFUNC, at least 10 with VMCALL (kvm_exit histogram)"
	tap_ok "! grep -E '^@@L2-DMESG ' '$o' | grep -qE 'WARNING: CPU: [0-9]+ PID:|BUG:|Oops|kernel BUG at|general protection fault'" \
		"linux-l2: no WARNING, BUG or Oops in the L2's kernel log"
}

# the vmid step's need_vmid and check_vmid
# shellcheck source=tests/vmfunc/vmid-step.inc
. "$v/vmid-step.inc"

# ---- the run ----------------------------------------------------------------

selected=("$@")
steps=()
named() { [[ " ${selected[*]} " == *" $1 "* ]]; }
for s in "${STEPS[@]}"; do
	read -r name _ <<<"$s"
	if [ ${#selected[@]} -eq 0 ] || named "$name"; then
		steps+=("$s")
	fi
done
for s in "${NAMED_STEPS[@]}"; do
	read -r name _ <<<"$s"
	! named "$name" || steps+=("$s")
done
[ ${#steps[@]} -gt 0 ] || tap_bail "no such step: $* (steps: $(printf '%s\n' "${STEPS[@]}" "${NAMED_STEPS[@]}" | cut -d' ' -f1 | tr '\n' ' '))"

# Steps that want the same number of L1 CPUs share a Bochs boot; the
# boots run at the same time (a one-CPU Bochs costs about half of a
# two-CPU one, docs/performance.md). boots: their CPU counts; boot_adds[N]:
# the --add arguments of boot N, one a line; steps-N: its steps.
boots=()
declare -A boot_adds=() boot_needs=()
for s in "${steps[@]}"; do
	read -r name kvmwant ncpu limit script needs <<<"$s"
	if [ -z "${boot_adds[$ncpu]+set}" ]; then
		boots+=("$ncpu")
		boot_adds[$ncpu]=
		: >"$tmp/steps-$ncpu"
	fi
	printf '%s %s %s %s %s\n' "$name" "$kvmwant" "$limit" "$script" "$ncpu" >>"$tmp/steps-$ncpu"
	boot_adds[$ncpu]+="--add"$'\n'"$v/$script"$'\n'
	for n in $needs; do
		if [ -z "${needed[$n]+set}" ]; then
			first=${#adds[@]}
			[ -n "${VMIAAS_L1_REPLAY:-}" ] || "need_$n"
			needed[$n]=$(printf '%s\n' "${adds[@]:first}")
		fi
		[ -n "${boot_needs[$ncpu $n]:-}" ] && continue
		boot_needs[$ncpu $n]=1
		boot_adds[$ncpu]+=${needed[$n]}$'\n'
	done
done

# boot_file FILE N: FILE for the only boot, FILE.N for boot N of several;
# boot_name N: how the TAP names boot N
boot_file() { if [ ${#boots[@]} -gt 1 ]; then echo "$1.$2"; else echo "$1"; fi; }
boot_name() { if [ ${#boots[@]} -gt 1 ]; then echo "the L1 with $1 CPU(s)"; else echo "the L1"; fi; }

# run_boot N: boot N's console in com1-N, its status in st-N
run_boot()
{
	local c=$1 st=0 a=()
	mapfile -t a < <(sed '/^$/d' <<<"${boot_adds[$c]}")
	# rcu_expedited: grace periods (module unload, VM teardown, CPU
	# hotplug) need not wait on an idle L1, which a two-CPU Bochs pays
	# for dearly (docs/performance.md, "Where the time goes")
	l1 run --timeout "${VMIAAS_BOCHS_TIMEOUT:-3600}" --log "$tmp/com1-$c" \
		${VMIAAS_L1_TIMELINE:+--timeline "$(boot_file "$VMIAAS_L1_TIMELINE" "$c")"} \
		--cpus "$c" --append "maxcpus=1 rcupdate.rcu_expedited=1" \
		--mem 640 --kvm-dir "$kvm" \
		--add "$tmp/steps-$c:/vmiaas/steps" --add "$v/l1-steps.sh" "${a[@]}" -- \
		sh l1-steps.sh >/dev/null 2>"$tmp/err-$c" || st=$?
	touch "$tmp/com1-$c"	# none if Bochs never started
	[ -z "${VMIAAS_L1_LOG:-}" ] || cp "$tmp/com1-$c" "$(boot_file "$VMIAAS_L1_LOG" "$c")"
	echo "$st" >"$tmp/st-$c"
}

t0=$(date +%s)
for c in "${boots[@]}"; do
	if [ -n "${VMIAAS_L1_REPLAY:-}" ]; then
		# re-check console logs kept with VMIAAS_L1_LOG, without a boot
		f=$(boot_file "$VMIAAS_L1_REPLAY" "$c")
		[ -f "$f" ] || f=$VMIAAS_L1_REPLAY
		cp "$f" "$tmp/com1-$c"
		st=$(tr -d '\r' <"$tmp/com1-$c" | sed -n 's/^@@VMIAAS-L1-STATUS \([0-9]*\) @@.*/\1/p')
		echo "${st:-125}" >"$tmp/st-$c"
	else
		run_boot "$c" &
	fi
done
wait
for c in "${boots[@]}"; do
	tap_diag "$(cat "$tmp/err-$c" 2>/dev/null)" \
		"L1 $abi with $c CPU(s): $(grep -c . "$tmp/steps-$c") steps, $(($(date +%s) - t0)) s wall for all boots"
	# the console, cut at the step markers: boot-N.log, NAME.log, after-N.log
	tr -d '\r' <"$tmp/com1-$c" | awk -v d="$tmp" -v c="$c" '
		BEGIN { f = d "/boot-" c ".log" }
		$1 == "@@STEP" { f = d "/" $2 ".log" }
		$1 == "@@VMIAAS-L1-END" { f = d "/after-" c ".log" }
		{ print > f }'
	touch "$tmp/boot-$c.log" "$tmp/after-$c.log"
	o=$tmp/boot-$c.log
	who=$(boot_name "$c")
	tap_ok "grep -q '^@@VMIAAS-L1-INIT' '$o'" "$who ($abi) boots to its /init"
	tap_ok "! grep -q '^@@VMIAAS-L1-MODULE-FAILED' '$o'" \
		"$who: irqbypass, the patched kvm and kvm_intel, and msr load"
	kvm_params "$o" @@VMIAAS-L1-KVM "$who: the patched"
done
for s in "${steps[@]}"; do
	read -r name _ _ limit _ <<<"$s"
	failed_before=$_tap_fail
	o=$tmp/$name.log
	touch "$o"
	end=$(sed -n "s/^@@STEP-END $name \\([0-9]*\\) .*/\\1/p" "$o")
	times=$(sed -n -e "s/^@@STEP $name \\(.*\\)/\\1/p" \
		-e "s/^@@STEP-END $name [0-9]* \\(.*\\)/\\1/p" "$o" | tr '\n' ' ')
	if ! grep -q "^@@STEP $name " "$o"; then
		tap_ok false "$name: the step did not start (the L1 stopped before it)"
		continue
	fi
	tap_diag "step $name: L1 uptime at start and end: $times"
	tap_is "$end" 0 "$name: the step runs to its end in the L1 (exit status; 124: its $limit s ran out)"
	fn=check_${name//-/_}
	if declare -F "$fn" >/dev/null; then
		"$fn"
	else
		step_tap "$name" "$name"
	fi
	klog_bad "$o" >"$tmp/bad"
	[ -s "$tmp/bad" ] && tap_diag "$(cat "$tmp/bad")"
	tap_ok "[ -s '$o' ] && [ ! -s '$tmp/bad' ]" \
		"$name: no WARNING, BUG or Oops in the L1 kernel log during the step"
	if [ "$_tap_fail" -gt "$failed_before" ]; then
		tap_diag "---- the L1 console during step $name (last 150 lines) ----" \
			"$(grep -v '^@@MAILBOX' "$o" | tail -n 150)"
	fi
done
for c in "${boots[@]}"; do
	who=$(boot_name "$c")
	cat "$tmp/boot-$c.log" "$tmp/after-$c.log" >"$tmp/outside.log"
	klog_bad "$tmp/outside.log" >"$tmp/bad"
	[ -s "$tmp/bad" ] && tap_diag "$(cat "$tmp/bad")"
	tap_ok "[ ! -s '$tmp/bad' ]" \
		"no WARNING, BUG or Oops in the kernel log of $who outside the steps (boot, power off) beyond the known Bochs noise"
	tap_is "$(cat "$tmp/st-$c")" 0 "the Bochs boot of $who runs every step and reports status 0"
done
tap_done
