#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# tracepoint-hook on a live Debian guest. The kernel's own probes are
# nothing: right after boot, with the sched and raw_syscalls trace events
# on (trace_event_raw_event_* on sys_enter and sys_exit), with tracing_on's
# kprobes and BPF fentry program, and with Debian's kvm.ko loaded and its
# own trace events on (probes in kvm's text on kvm's tracepoints): no
# finding and no tracepoint-hook event. A file hider through a sys_enter
# probe (vmiaas_attack_tracepoint: open/openat of a path containing
# "vmiaas_tp_hidden" gets -ENOENT, no system call table or text touched):
# the file is listed but cannot be opened, and exactly one finding, high,
# names sys_enter, the probe ([vmiaas_attack_tracepoint]+0x...) and the
# module's taint; unloaded: the file opens, clean again. Last, the probe
# copied to an executable heap page (mode=heap, it counts system calls):
# one critical tracepoint-hook finding naming the page; unloaded: no
# tracepoint-hook finding (the page stays: exec-memory's). vmiaas.ko's
# records (vmiaas_module_policy(), taken right after boot) run as the
# module runs them (tests/tools/module_policy: the same core/tpwalk.c):
# a tracepoint-hook record over the kernel's tracepoints allowing the
# kernel's text passes after boot, fails alone with the hider's probe
# (named: sys_enter, the probe, as vmid's finding names it from the
# module's event) and passes once it is unloaded. Runs on each kernel of
# KGENS (default: Debian 6.1 and 6.12).
. "$(dirname "$0")/../lib/guest.sh"
. "$(dirname "$0")/../lib/integrity.sh"
integrity_begin tracepoint 16

bpf_fentry=$(guest_tool bpf-fentry) ||
	tap_bail "cannot build tests/guest/bpf-fentry.c statically"

# no_tp NAME WHAT: exit 0, no finding, no tracepoint-hook event.
no_tp()
{
	check_json "$1"
	tap_ok "[ $st = 0 ] && jq -e '(.findings | length == 0) and ([.events[] | select(.check == \"tracepoint-hook\")] | length == 0)' '$work/$1.json'" \
		"$KGEN: $2: exit 0, no finding, no tracepoint-hook event"
	tap_diag "$(cat "$work/$1.err"; jq -c '.findings[], (.events[] | select(.check == "tracepoint-hook"))' "$work/$1.json" 2>/dev/null | cut -c1-300 | head -4)"
}

tp_run()
{
local kvm
kvm=$(debian_modules "$1" "$1-kvm" virt/lib/irqbypass arch/x86/kvm/kvm) ||
	tap_bail "no kvm module for $1"
integrity_start "$1" --test-modules --add "$bpf_fentry" \
	--add "$kvm/irqbypass.ko" --add "$kvm/kvm.ko"
take_baseline
"$VMICTL" --json checks >"$work/checks.json"
tap_ok "jq -e '[.checks[].id] | index(\"tracepoint-hook\")' '$work/checks.json'" \
	"$KGEN: vmictl checks lists tracepoint-hook"
no_tp boot "right after boot"
policy_take
tap_ok "grep -q '^check [0-9]* type=12 flags=0 len=[1-9][0-9]* tracepoint-hook (1 allowed ranges); finding tracepoint-hook \"tracepoints\" critical\$' '$work/policy.txt'" \
	"$KGEN: module policy: a tracepoint-hook record over the kernel's tracepoints allowing the kernel's text"
tap_diag "$(grep 'type=12' "$work/policy.txt")"
policy_run boot 0 "nothing fails right after boot"

# ---- the kernel's own probes: nothing -------------------------------------
tracing_on
guest_run 'echo 1 >/sys/kernel/tracing/events/raw_syscalls/enable &&
	insmod /vmiaas/irqbypass.ko && insmod /vmiaas/kvm.ko &&
	echo 1 >/sys/kernel/tracing/events/kvm/enable && ls / >/dev/null' \
	>"$work/tracing.out" 2>&1 || tap_diag "tracing: $(cat "$work/tracing.out")"
no_tp tracing "sched, raw_syscalls and kvm's trace events, kprobes and BPF on"
guest_run 'echo 0 >/sys/kernel/tracing/events/kvm/enable &&
	echo 0 >/sys/kernel/tracing/events/raw_syscalls/enable &&
	rmmod kvm irqbypass' >/dev/null 2>&1
tracing_off

# ---- a file hider on sys_enter ---------------------------------------------
guest_run 'echo secret >/tmp/vmiaas_tp_hidden &&
	insmod /vmiaas/modules/vmiaas_attack_tracepoint.ko &&
	ls /tmp | grep -c vmiaas_tp_hidden; cat /tmp/vmiaas_tp_hidden 2>&1;
	cat /sys/module/vmiaas_attack_tracepoint/parameters/hits' >"$work/hide.out" 2>&1
tap_ok "[ \"\$(sed -n 1p '$work/hide.out')\" = 1 ] && sed -n 2p '$work/hide.out' | grep -q 'No such file' && [ \"\$(tail -n 1 '$work/hide.out')\" -ge 1 ] 2>/dev/null" \
	"$KGEN: tracepoint: /tmp/vmiaas_tp_hidden is listed but cannot be opened (hits $(tail -n 1 "$work/hide.out"))"
expect_one hide tracepoint-hook '^sys_enter$' \
	".severity == \"high\" and (.detail.new_symbol | startswith(\"[vmiaas_attack_tracepoint]+\")) and (.detail.message | test(\"tracepoint sys_enter .*module vmiaas_attack_tracepoint is tainted [PF]*OE\"))" \
	"a high tracepoint-hook finding for sys_enter naming [vmiaas_attack_tracepoint]"
policy_run hide "$(policy_mask 12)" \
	"the tracepoint-hook record alone fails with the hider's sys_enter probe"
tap_ok "grep -q '^found [0-9]* critical \"sys_enter\": probe [0-9]* of tracepoint sys_enter (of the kernel) calls 0x' '$work/hide.policy'" \
	"$KGEN: module policy: what the module names is sys_enter and the probe"
guest_run 'rmmod vmiaas_attack_tracepoint && cat /tmp/vmiaas_tp_hidden' >"$work/hide-gone.out" 2>&1
tap_is "$(cat "$work/hide-gone.out")" secret "$KGEN: tracepoint: unloaded, the file opens again"
expect_clean hide-gone "tracepoint: the probe unregistered on unload"
policy_run hide-gone 0 "nothing fails once the hider is gone"

# ---- the probe in an executable heap page (last: the page stays) -----------
guest_run 'ro=$(grep " set_memory_ro$" /proc/kallsyms | cut -d" " -f1)
	x=$(grep " set_memory_x$" /proc/kallsyms | cut -d" " -f1)
	insmod /vmiaas/modules/vmiaas_attack_tracepoint.ko mode=heap setro=0x$ro setx=0x$x &&
	ls / >/dev/null; dmesg | grep "probe code at" | tail -n 1;
	cat /sys/module/vmiaas_attack_tracepoint/parameters/hits' >"$work/heap.out" 2>&1
code=$(sed -n 's/.*probe code at \(0x[0-9a-f]*\).*/\1/p' "$work/heap.out")
tap_ok "[ -n '$code' ] && [ \"\$(tail -n 1 '$work/heap.out')\" -ge 1 ] 2>/dev/null" \
	"$KGEN: tracepoint mode=heap: the copied probe at ${code:-?} counted system calls ($(tail -n 1 "$work/heap.out"))"
check_json heap
tap_ok "[ $st = 1 ] && jq -e --arg code '${code:-none}' '[.findings[] | select(.check == \"tracepoint-hook\")] as \$p | (\$p | length == 1) and (\$p[0].object == \"sys_enter\") and (\$p[0].severity == \"critical\") and (\$p[0].detail.new == \$code) and (\$p[0].detail.message | test(\"outside the kernel.s text and every live module.s text\"))' '$work/heap.json'" \
	"$KGEN: tracepoint mode=heap: one critical tracepoint-hook finding for sys_enter naming the page ${code:-?}"
tap_diag "$(jq -c '.findings[] | [.check, .severity, .object, .detail.new, .detail.message]' "$work/heap.json" 2>/dev/null | cut -c1-300 | head -4)"
guest_run rmmod vmiaas_attack_tracepoint >/dev/null 2>&1
check_json heap-gone
tap_ok "jq -e '[.findings[] | select(.check == \"tracepoint-hook\")] | length == 0' '$work/heap-gone.json'" \
	"$KGEN: tracepoint mode=heap: unloaded, no tracepoint-hook finding"
tap_diag "$(jq -c '.findings[] | [.check, .object]' "$work/heap-gone.json" 2>/dev/null | head -4)"
}

integrity_main tp_run
