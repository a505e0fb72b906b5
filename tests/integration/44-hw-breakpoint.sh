#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# hw-breakpoint on a live Debian guest with two vCPUs. Right after boot:
# no finding, no hw-breakpoint event. What a debugger does: a traced child
# with a ptrace write watchpoint on its own variable (tests/guest/
# hwbp-watch.c, as gdb's watch), running: its address is in a vCPU's DR0
# and the check says nothing. What root's `perf stat -e mem:ADDR:x` does
# on a kernel address (hwbp-watch perf: perf_event_open() of an execute
# breakpoint on __x64_sys_getppid): no finding, one event naming the
# function and the kernel's handler. A system call hooked through the
# debug registers (vmiaas_attack_hwbp: busybox sh's $PPID, from getppid(),
# becomes 31337; QEMU TCG honours guest execute breakpoints): mode 1,
# register_wide_hw_breakpoint() with the module's handler: one critical
# finding naming getppid and the tainted module; mode 2, DR3 and DR7
# written on every CPU with a notifier at die_chain's head (nothing the
# kernel records): one critical finding per vCPU, "a hardware breakpoint
# the kernel did not register" on getppid, and a critical notifier-hook
# finding for die_chain (the notifier linked ahead of arch/x86's INT_MAX
# one, out of the priority order registration keeps); each unloaded: $PPID is real
# again and the check is clean. Last, mode 1 loaded before a baseline:
# the baseline lists its handler as trusted, a check gives the event
# "hook present at baseline" and exit 0; loaded again after another
# module (a new struct module): critical again. Runs on each kernel of
# KGENS (default: Debian 6.1 and 6.12), one boot each.
. "$(dirname "$0")/../lib/guest.sh"
. "$(dirname "$0")/../lib/integrity.sh"
integrity_begin hwbp 16

watch=$(guest_tool hwbp-watch) ||
	tap_bail "cannot build tests/guest/hwbp-watch.c statically"

# ppid NAME: busybox sh's $PPID (getppid()) and the module's hits.
ppid()
{
	guest_run 'sh -c "echo \$PPID"; cat /sys/module/vmiaas_attack_hwbp/parameters/hits 2>/dev/null' \
		>"$work/$1.ppid" 2>&1
}

# no_hw NAME WHAT: exit 0, no finding, no hw-breakpoint event.
no_hw()
{
	check_json "$1"
	tap_ok "[ $st = 0 ] && jq -e '(.findings | length == 0) and ([.events[] | select(.check == \"hw-breakpoint\")] | length == 0)' '$work/$1.json'" \
		"$KGEN: $2: exit 0, no finding, no hw-breakpoint event"
	tap_diag "$(cat "$work/$1.err"; jq -c '.findings[], (.events[] | select(.check == "hw-breakpoint"))' "$work/$1.json" 2>/dev/null | cut -c1-300 | head -4)"
}

# gone NAME WHAT: the module unloaded: $PPID real, exit 0, no finding, no
# hw-breakpoint event.
gone()
{
	guest_run 'rmmod vmiaas_attack_hwbp' >/dev/null 2>&1
	ppid "$1"
	check_json "$1"
	tap_ok "[ \"\$(sed -n 1p '$work/$1.ppid')\" -ge 1 ] 2>/dev/null && [ \"\$(sed -n 1p '$work/$1.ppid')\" != 31337 ] && [ $st = 0 ] && jq -e '(.findings | length == 0) and ([.events[] | select(.check == \"hw-breakpoint\")] | length == 0)' '$work/$1.json'" \
		"$KGEN: $2 unloaded: \$PPID real again ($(sed -n 1p "$work/$1.ppid")), exit 0, no finding, no hw-breakpoint event"
	tap_diag "$(cat "$work/$1.err"; jq -c '.findings[], (.events[] | select(.check == "hw-breakpoint"))' "$work/$1.json" 2>/dev/null | cut -c1-300 | head -4)"
}

hw_run()
{
local target chain addr
integrity_start "$1" --smp 2 --test-modules --add "$watch"
take_baseline
"$VMICTL" --json checks >"$work/checks.json"
tap_ok "jq -e '[.checks[].id] | index(\"hw-breakpoint\")' '$work/checks.json'" \
	"$KGEN: vmictl checks lists hw-breakpoint"
no_hw boot "right after boot"
target=$(ksym __x64_sys_getppid)
chain=$(ksym die_chain)

# ---- a debugger's watchpoint on a user address: nothing -------------------
guest_run '/vmiaas/hwbp-watch >/tmp/watch.out 2>&1 & sleep 1; cat /tmp/watch.out' \
	>"$work/watch.out" 2>&1
addr=$(sed -n 's/^watching 0x\([0-9a-f]*\)$/\1/p' "$work/watch.out")
guest_qmp 'info registers -a' >"$work/watch.regs" 2>&1
tap_ok "[ -n '$addr' ] && grep -qi 'DR0=0*$addr ' '$work/watch.regs'" \
	"$KGEN: ptrace watchpoint: the traced child's 0x${addr:-?} is in a vCPU's DR0"
tap_diag "$(cat "$work/watch.out"; grep -E 'DR0|DR7' "$work/watch.regs" | tr -s ' ' | head -4)"
no_hw watch "a ptrace write watchpoint on a user address, its process running"
guest_run 'killall hwbp-watch' >/dev/null 2>&1

# ---- root's perf breakpoint on a kernel function: an event ----------------
guest_run "/vmiaas/hwbp-watch perf $target >/tmp/perf.out 2>&1 & sleep 1; cat /tmp/perf.out" \
	>"$work/perf.out" 2>&1
check_json perf
tap_ok "[ $st = 0 ] && jq -e '(.findings | length == 0) and ([.events[] | select(.check == \"hw-breakpoint\")] as \$e | (\$e | length == 1) and (\$e[0].object | test(\"^execute breakpoint on __(x64|do)_sys_getppid\$\")) and (\$e[0].detail.message | test(\"registered with the kernel .*perf_event_output\")))' '$work/perf.json'" \
	"$KGEN: perf execute breakpoint on getppid: exit 0, no finding, one event naming it and perf's handler"
tap_diag "$(cat "$work/perf.out" "$work/perf.err"; jq -c '.findings[], (.events[] | select(.check == "hw-breakpoint"))' "$work/perf.json" 2>/dev/null | cut -c1-300 | head -4)"
guest_run 'killall hwbp-watch' >/dev/null 2>&1

# ---- mode 1: register_wide_hw_breakpoint() with the module's handler ------
guest_run "insmod /vmiaas/modules/vmiaas_attack_hwbp.ko target=0x$target" \
	>"$work/m1.out" 2>&1 || tap_diag "insmod: $(cat "$work/m1.out")"
ppid m1
tap_ok "[ \"\$(sed -n 1p '$work/m1.ppid')\" = 31337 ] && [ \"\$(sed -n 2p '$work/m1.ppid')\" -ge 1 ] 2>/dev/null" \
	"$KGEN: mode 1: getppid() redirected by the breakpoint's handler (\$PPID $(sed -n 1p "$work/m1.ppid"), hits $(sed -n 2p "$work/m1.ppid"))"
expect_one m1 hw-breakpoint '^execute breakpoint on __(x64|do)_sys_getppid$' \
	".severity == \"critical\" and (.detail.new_symbol | startswith(\"[vmiaas_attack_hwbp]+\")) and (.detail.message | test(\"module vmiaas_attack_hwbp is tainted [PF]*OE\"))" \
	"one critical hw-breakpoint finding: the execute breakpoint on getppid, its handler in the tainted module"
gone m1-gone "mode 1"

# ---- mode 2: raw DR3/DR7 on every CPU and a die notifier ------------------
guest_run "insmod /vmiaas/modules/vmiaas_attack_hwbp.ko mode=2 target=0x$target chain=0x$chain" \
	>"$work/m2.out" 2>&1 || tap_diag "insmod: $(cat "$work/m2.out")"
ppid m2
tap_ok "[ \"\$(sed -n 1p '$work/m2.ppid')\" = 31337 ] && [ \"\$(sed -n 2p '$work/m2.ppid')\" -ge 1 ] 2>/dev/null" \
	"$KGEN: mode 2: getppid() redirected by the die notifier (\$PPID $(sed -n 1p "$work/m2.ppid"), hits $(sed -n 2p "$work/m2.ppid"))"
check_json m2
tap_ok "[ $st = 1 ] && jq -e '(.findings | length == 3) and ([.findings[] | select(.check == \"hw-breakpoint\" and (.object | test(\"^vcpu[01] DR3\$\")) and .severity == \"critical\" and (.detail.new_symbol | test(\"^__(x64|do)_sys_getppid\$\")) and (.detail.message | test(\"a hardware breakpoint the kernel did not register: .*execute.*bp_per_reg.3.: empty\")))] | length == 2)' '$work/m2.json'" \
	"$KGEN: m2: exit 1, two critical hw-breakpoint findings, one per vCPU: DR3 on getppid, a breakpoint the kernel did not register"
tap_ok "jq -e '[.findings[] | select(.check == \"notifier-hook\" and .object == \"die_chain\" and .severity == \"critical\" and (.detail.new_symbol | startswith(\"[vmiaas_attack_hwbp]+\")) and (.detail.message | test(\"priority 0. is ahead of one calling .*priority 2147483647.*linked in by hand\")))] | length == 1' '$work/m2.json'" \
	"$KGEN: m2: and a critical notifier-hook finding: the module's die notifier linked ahead of arch/x86's INT_MAX one"
tap_diag "$(cat "$work/m2.err"; jq -c '.findings[] | [.check, .severity, .object, .detail.message]' "$work/m2.json" 2>/dev/null | cut -c1-300 | head -4)"
gone m2-gone "mode 2"

# ---- mode 1 loaded before a baseline: trusted while it is the same ----------
guest_run "insmod /vmiaas/modules/vmiaas_attack_hwbp.ko target=0x$target" >/dev/null 2>&1
btp=$work/baseline-hw
st=0
vmictl_g --json baseline -o "$btp" --key "$key" >"$work/btp.json" 2>"$work/btp.err" || st=$?
tap_ok "[ $st = 0 ] && grep -Eq '^vmictl: trusted, present at baseline: hw-breakpoint execute breakpoint on __(x64|do)_sys_getppid: \[vmiaas_attack_hwbp\]\+0x[0-9a-f]+ \(module tainted [PF]*OE\)\$' '$work/btp.err'" \
	"$KGEN: baseline with mode 1 loaded: exit 0, its handler listed as trusted"
tap_diag "$(cat "$work/btp.err")"
check_json trusted "$btp"
tap_ok "[ $st = 0 ] && jq -e '(.findings | length == 0) and ([.events[] | select(.check == \"hw-breakpoint\" and (.detail.message | test(\"^hook present at baseline: the execute breakpoint on .*vmiaas_attack_hwbp .tainted [PF]*OE. is the module measured at baseline\")))] | length == 1)' '$work/trusted.json'" \
	"$KGEN: loaded before the baseline: exit 0, no finding, the event 'hook present at baseline'"
tap_diag "$(cat "$work/trusted.err"; jq -c '.findings[], (.events[] | select(.check == "hw-breakpoint"))' "$work/trusted.json" 2>/dev/null | cut -c1-300 | head -4)"
guest_run "rmmod vmiaas_attack_hwbp && insmod /vmiaas/modules/vmiaas_test_hello.ko &&
	insmod /vmiaas/modules/vmiaas_attack_hwbp.ko target=0x$target" >/dev/null 2>&1
check_json reloaded "$btp"
tap_ok "[ $st = 1 ] && jq -e '(.findings | length == 1) and (.findings[0] | .check == \"hw-breakpoint\" and .severity == \"critical\" and (.object | test(\"getppid\")))' '$work/reloaded.json'" \
	"$KGEN: loaded again (a new struct module): not the module of the baseline, critical again"
tap_diag "$(cat "$work/reloaded.err"; jq -c '.findings[] | [.check, .severity, .object]' "$work/reloaded.json" 2>/dev/null | head -4)"
guest_run 'rmmod vmiaas_attack_hwbp vmiaas_test_hello' >/dev/null 2>&1
}

integrity_main hw_run
