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
# module's taint; unloaded: the file opens, clean again. The same hider
# loaded before a baseline: the baseline lists its probe as trusted
# (stderr and JSON), a check gives the event "hook present at baseline"
# and exit 0; that baseline without its HOOKS section (as an older vmiaas
# wrote it) still loads and trusts nothing (high); the module unloaded
# and loaded again (a new struct module): high again. Last, the probe
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
integrity_begin tracepoint 20

bpf_fentry=$(guest_tool bpf-fentry) ||
	tap_bail "cannot build tests/guest/bpf-fentry.c statically"

# tp_high NAME BASELINE WHAT: exit 1, one finding, the hider's high one.
tp_high()
{
	check_json "$1" "$2"
	tap_ok "[ $st = 1 ] && jq -e '(.findings | length == 1) and (.findings[0] | .check == \"tracepoint-hook\" and .object == \"sys_enter\" and .severity == \"high\" and (.detail.message | test(\"module vmiaas_attack_tracepoint is tainted\")))' '$work/$1.json'" \
		"$KGEN: $3: exit 1, the high tracepoint-hook finding for sys_enter"
	tap_diag "$(cat "$work/$1.err"; jq -c '.findings[] | [.check, .severity, .object, .detail.message]' "$work/$1.json" 2>/dev/null | cut -c1-300 | head -4)"
}

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

# ---- the hider loaded before a baseline: trusted while it is the same -----
probe() { guest_run "grep ' vmiaas_attack_tracepoint_probe' /proc/kallsyms" | cut -d' ' -f1 | head -n 1; }
guest_run insmod /vmiaas/modules/vmiaas_attack_tracepoint.ko >/dev/null 2>&1
at_baseline=$(probe)
btp=$work/baseline-tp
st=0
vmictl_g --json baseline -o "$btp" --key "$key" >"$work/btp.json" 2>"$work/btp.err" || st=$?
tap_ok "[ $st = 0 ] && grep -q '^vmictl: trusted, present at baseline: tracepoint-hook sys_enter: \[vmiaas_attack_tracepoint\]+0x[0-9a-f]* (module tainted [PF]*OE)\$' '$work/btp.err' && jq -e '([.trusted_hooks[] | select(.check == \"tracepoint-hook\" and .object == \"sys_enter\" and .module == \"vmiaas_attack_tracepoint\")] | length == 1) and .hooks_over_limit == 0' '$work/btp.json' && ! grep -q 'more hooks' '$work/btp.err'" \
	"$KGEN: baseline with the hider loaded: exit 0, its sys_enter probe listed as trusted (stderr and JSON), none over the limit"
tap_diag "$(cat "$work/btp.err") $(jq -c .trusted_hooks "$work/btp.json" 2>/dev/null)"
check_json trusted "$btp"
tap_ok "[ $st = 0 ] && jq -e '(.findings | length == 0) and ([.events[] | select(.check == \"tracepoint-hook\" and .object == \"sys_enter\" and (.detail.message | test(\"^hook present at baseline: .*vmiaas_attack_tracepoint .tainted [PF]*OE. is the module measured at baseline\")))] | length == 1)' '$work/trusted.json'" \
	"$KGEN: loaded before the baseline: exit 0, no finding, the event 'hook present at baseline'"
tap_diag "$(cat "$work/trusted.err"; jq -c '.findings[], (.events[] | select(.check == "tracepoint-hook"))' "$work/trusted.json" 2>/dev/null | cut -c1-300 | head -4)"
# the file as a vmiaas without HOOKS wrote it: that section (last before
# END: 16 + 160 bytes a record) dropped, END and the MAC again
n=$(jq '.trusted_hooks | length' "$work/btp.json" 2>/dev/null || echo 0)
size=$(stat -c %s "$btp")
head -c $((size - 48 - 16 - 160 * n)) "$btp" >"$work/old-baseline"
printf '\0\0\0\0\0\0\0\0\040\0\0\0\0\0\0\0' >>"$work/old-baseline"
bl_remac "$work/old-baseline"
tp_high old "$work/old-baseline" "a baseline without the HOOKS section loads and trusts nothing"
# unloaded and loaded again after another module: a new struct module
guest_run 'rmmod vmiaas_attack_tracepoint && insmod /vmiaas/irqbypass.ko &&
	insmod /vmiaas/modules/vmiaas_attack_tracepoint.ko' >/dev/null 2>&1
reloaded=$(probe)
tp_high reloaded "$btp" "reloaded at ${reloaded:-?} (was ${at_baseline:-?}): not the module of the baseline"
guest_run 'rmmod vmiaas_attack_tracepoint irqbypass' >/dev/null 2>&1

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
