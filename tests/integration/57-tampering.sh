#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Three more tampering techniques on a live Debian guest, each found and
# named. Kernel text remapped (vmiaas_attack_remap): the 2 MiB page
# holding __x64_sys_acct split, its 4 KiB page pointed at a copy with a
# jmp to the module, the image's frame left intact; a kernel-mapping
# finding names the page and both frames (and kernel-text the changed
# bytes); the same copy mapped through one process's private top-level
# entry (mode=pgd) while the vCPU runs that process: kernel-mapping
# findings for vcpu0's CR3 entry 511 and that table on pgd_list; the
# same through a top-level table of the process's own, off pgd_list,
# while the process sleeps (mode=mm): one finding for its mm->pgd. A
# keylogger (vmiaas_attack_keylog, register_keyboard_notifier()): keys
# sent through QMP reach it; a notifier-hook finding names
# keyboard_notifier_list and the module. A keylogger through the input
# core instead (vmiaas_attack_inputlog, input_register_handler() on every
# keyboard): the keys reach it, a high input-handler finding names the
# handler and the module; Debian's evdev, loaded before it, gives an
# input-handler event naming evdev and no finding; vmiaas.ko's records
# (vmiaas_module_policy(), taken with evdev loaded) run as the module runs
# them (tests/tools/module_policy): the input-handler record (the kernel's
# text and evdev's allowed, core/inputwalk.c) passes, fails alone with the
# keylogger, passes once it is gone. A kprobe whose pre_handler
# rewrites regs->ip (vmiaas_attack_ftrace mode=kprobe-ip): getdents64
# runs the module's replacement; an ftrace-hook finding names the
# function and the handler. Each unloaded: clean again. Last, code in a
# page mapped by hand in the module range, in no vmap area
# (vmiaas_attack_execmem mode=novmap): one exec-memory finding; then
# system_state forged to SYSTEM_BOOTING (vmiaas_attack_sysstate) while
# init runs: a critical kernel-mapping finding for system_state, and
# novmap's finding still there (the checks ran). Before them,
# runtime patching (the function tracer, kprobes, a BPF fentry program,
# a module loaded and unloaded) gives no finding from the new checks or
# any other. Runs on each kernel of KGENS (default: Debian 6.1 and 6.12).
. "$(dirname "$0")/../lib/guest.sh"
. "$(dirname "$0")/../lib/integrity.sh"
integrity_begin tamper 35

bpf_fentry=$(guest_tool bpf-fentry) ||
	tap_bail "cannot build tests/guest/bpf-fentry.c statically"

# expect_one NAME CHECK OBJECT-REGEX JQ-FILTER WHAT: exit 1 and exactly
# one finding of CHECK whose object matches OBJECT-REGEX and which passes
# JQ-FILTER (on the finding); expect_found: the same of the check that
# check_json NAME ran last.
expect_one()
{
	check_json "$1"
	expect_found "$@"
}

expect_found()
{
	tap_ok "[ $st = 1 ] && jq -e --arg c '$2' --arg o '$3' '[.findings[] | select(.check == \$c and (.object | test(\$o)) and ($4))] | length == 1' '$work/$1.json'" \
		"$KGEN: $1: exit 1, $5"
	tap_diag "$(jq -c '.findings[] | [.check, .severity, .object, .detail.message]' "$work/$1.json" 2>/dev/null | cut -c1-300 | head -4)"
}

send_keys()
{
	local k
	for k in "$@"; do
		guest_qmp "{\"execute\":\"send-key\",\"arguments\":{\"keys\":[{\"type\":\"qcode\",\"data\":\"$k\"}]}}" >/dev/null
	done
}

tamper_run()
{
local input
input=$(debian_modules "$1" "$1-input" drivers/input/evdev) || tap_bail "no evdev module for $1"
integrity_start "$1" --test-modules --add "$bpf_fentry" --add "$input/evdev.ko"
take_baseline
"$VMICTL" --json checks >"$work/checks.json"
tap_ok "jq -e '[.checks[].id] as \$i | [\"kernel-mapping\", \"notifier-hook\", \"input-handler\"] - \$i == []' '$work/checks.json'" \
	"$KGEN: vmictl checks lists kernel-mapping, notifier-hook and input-handler"
expect_clean clean "right after boot"

# ---- runtime patching and a module: nothing ------------------------------
guest_run 'insmod /vmiaas/modules/vmiaas_test_hello.ko && rmmod vmiaas_test_hello' >/dev/null
tracing_on
expect_clean tracing "with tracing, kprobes and BPF on, a module loaded and unloaded"
tracing_off

# ---- kernel text remapped --------------------------------------------------
acct=$(ksym __x64_sys_acct)
guest_run "insmod /vmiaas/modules/vmiaas_attack_remap.ko target=0x$acct && dmesg | grep 'now runs from' | tail -n 1" \
	>"$work/remap.insmod" 2>&1 || tap_diag "insmod vmiaas_attack_remap: $(cat "$work/remap.insmod")"
frame=$(sed -n 's/.*now runs from frame \(0x[0-9a-f]*\) .*/\1/p' "$work/remap.insmod")
tap_ok "grep -q 'hits 1\$' '$work/remap.insmod'" \
	"$KGEN: remap: __x64_sys_acct called through its address ran the copy (hits 1)"
page=$(printf '%016x' $((0x$acct & ~0xfff)))
expect_one remap kernel-mapping "^text 0x$page-" \
	".severity == \"critical\" and (.detail.message | test(\"not the image\"))" \
	"a critical kernel-mapping finding for the page 0x$page of __x64_sys_acct"
new=$(jq -r '[.findings[] | select(.check == "kernel-mapping")][0].detail.new' "$work/remap.json" 2>/dev/null)
tap_is "$((${new:-0}))" "$((${frame:-1}))" \
	"$KGEN: remap: the finding names the copy's frame (${frame:-?}) as what the page maps now"
tap_ok "jq -e '[.findings[] | select(.check == \"kernel-text\" and .object == \"__x64_sys_acct\")] | length == 1' '$work/remap.json'" \
	"$KGEN: remap: kernel-text reads through the page tables: the copy's jmp at __x64_sys_acct"
guest_run rmmod vmiaas_attack_remap >/dev/null 2>&1
expect_clean remap-gone "remap: mapped back on unload"

# The same shadow in one process's top-level table only (mode=pgd): the
# kernel's init_top_pgt is intact, the vCPU runs a busy loop on the
# process's tables. CR3 is sampled when QMP stops the vCPU (twice: the
# second read confirms a table that differs): the agent's shell or a
# kworker may hold the vCPU then instead. The check runs at most three
# times, until both samples are the spinner's; the pgd_list finding must
# be there every time.
guest_run 'sh -c "while :; do :; done" >/dev/null 2>&1 </dev/null & echo $! >/tmp/spin.pid' >/dev/null
guest_run "insmod /vmiaas/modules/vmiaas_attack_remap.ko target=0x$acct mode=pgd pid=\$(cat /tmp/spin.pid)" \
	>"$work/remap-pgd.insmod" 2>&1 || tap_diag "insmod vmiaas_attack_remap mode=pgd: $(cat "$work/remap-pgd.insmod")"
for try in 1 2 3; do
	check_json remap-pgd
	jq -e '[.findings[] | select(.object == "vcpu0 CR3 entry 511")] | length == 1' \
		"$work/remap-pgd.json" >/dev/null 2>&1 && break
	tap_diag "remap-pgd: check $try sampled vcpu0 outside the spinner"
	jq -e '[.findings[] | select(.object | test("^pgd 0x[0-9a-f]+ entry 511$"))] | length == 1' \
		"$work/remap-pgd.json" >/dev/null 2>&1 || break
done
expect_found remap-pgd kernel-mapping '^vcpu0 CR3 entry 511$' \
	".severity == \"critical\" and (.detail.message | test(\"init_top_pgt\"))" \
	"a critical kernel-mapping finding for vcpu0's private kernel-half entry 511"
tap_ok "jq -e '[.findings[] | select(.check == \"kernel-mapping\" and (.object | test(\"^pgd 0x[0-9a-f]+ entry 511\$\")))] | length == 1' '$work/remap-pgd.json'" \
	"$KGEN: remap-pgd: and one for the process's top-level table on pgd_list"
guest_run 'rmmod vmiaas_attack_remap; kill $(cat /tmp/spin.pid)' >/dev/null 2>&1
expect_clean remap-pgd-gone "remap mode=pgd: the entry put back on unload"

# The same shadow through a top-level table of the process's own, made
# its mm->pgd and kept off pgd_list: CR3 holds it only while the process
# runs (it sleeps), pgd_list has its old table, unchanged.
guest_run 'sh -c "while :; do sleep 1; done" >/dev/null 2>&1 </dev/null & echo $! >/tmp/nap.pid' >/dev/null
nap=$(guest_run cat /tmp/nap.pid)
guest_run "insmod /vmiaas/modules/vmiaas_attack_remap.ko target=0x$acct mode=mm pid=$nap" \
	>"$work/remap-mm.insmod" 2>&1 || tap_diag "insmod vmiaas_attack_remap mode=mm: $(cat "$work/remap-mm.insmod")"
sleep 2
expect_one remap-mm kernel-mapping "^pid $nap mm->pgd 0x[0-9a-f]+ entry 511\$" \
	".severity == \"critical\" and (.detail.message | test(\"not on pgd_list\"))" \
	"a critical kernel-mapping finding for pid $nap's own top-level table, entry 511"
tap_ok "jq -e '[.findings[] | select(.check == \"kernel-mapping\" and (.object | test(\"^pgd \")))] | length == 0' '$work/remap-mm.json'" \
	"$KGEN: remap-mm: no table on pgd_list differs (the process's old one is intact)"
guest_run "rmmod vmiaas_attack_remap; kill $nap" >/dev/null 2>&1
expect_clean remap-mm-gone "remap mode=mm: mm->pgd put back on unload"

# ---- keylogger -------------------------------------------------------------
guest_run insmod /vmiaas/modules/vmiaas_attack_keylog.ko >"$work/keylog.insmod" 2>&1 ||
	tap_diag "insmod vmiaas_attack_keylog: $(cat "$work/keylog.insmod")"
send_keys v m i
sleep 1
tap_is "$(guest_run cat /sys/module/vmiaas_attack_keylog/parameters/hits)" 3 \
	"$KGEN: keylog: the 3 keys sent through QMP reached the module"
expect_one keylog notifier-hook '^keyboard_notifier_list$' \
	".severity == \"high\" and (.detail.new_symbol | startswith(\"[vmiaas_attack_keylog]+\")) and (.detail.message | test(\"key press\"))" \
	"a high notifier-hook finding for keyboard_notifier_list naming [vmiaas_attack_keylog]"
guest_run rmmod vmiaas_attack_keylog >/dev/null 2>&1
expect_clean keylog-gone "keylog: unregistered on unload"

# ---- a keylogger through the input core -------------------------------------
guest_run insmod /vmiaas/evdev.ko >"$work/evdev.insmod" 2>&1 ||
	tap_diag "insmod evdev: $(cat "$work/evdev.insmod")"
check_json evdev
tap_ok "[ $st = 0 ] && jq -e '(.findings | length == 0) and ([.events[] | select(.check == \"input-handler\" and .object == \"evdev\" and (.detail.message | test(\"module evdev .untainted\")))] | length == 1)' '$work/evdev.json'" \
	"$KGEN: evdev loaded: exit 0, no finding, an input-handler event names evdev"
tap_diag "$(cat "$work/evdev.err"; jq -c '.findings[], [.events[] | select(.check == "input-handler") | .detail.message]' "$work/evdev.json" 2>/dev/null | cut -c1-300 | head -4)"
policy_take
tap_ok "grep -q '^check [0-9]* type=11 flags=0 len=1 input-handler (2 allowed ranges); finding input-handler \"input handlers\" critical\$' '$work/policy.txt'" \
	"$KGEN: module policy: an input-handler record allowing the kernel's text and evdev's"
tap_diag "$(grep 'type=11 ' "$work/policy.txt")"
policy_run evdev 0 "nothing fails with evdev's handler"
guest_run insmod /vmiaas/modules/vmiaas_attack_inputlog.ko >"$work/inputlog.insmod" 2>&1 ||
	tap_diag "insmod vmiaas_attack_inputlog: $(cat "$work/inputlog.insmod")"
send_keys v m i
sleep 1
tap_is "$(guest_run cat /sys/module/vmiaas_attack_inputlog/parameters/hits)" 3 \
	"$KGEN: inputlog: the 3 keys sent through QMP reached the input handler"
expect_one inputlog input-handler '^vmiaas_attack_inputlog$' \
	".severity == \"high\" and (.detail.new_symbol | startswith(\"[vmiaas_attack_inputlog]+\")) and (.detail.message | test(\"input handler vmiaas_attack_inputlog .*tainted [PF]*OE\"))" \
	"a high input-handler finding for vmiaas_attack_inputlog naming [vmiaas_attack_inputlog]"
policy_run inputlog "$(policy_mask 11)" \
	"the input-handler record alone fails with the keylogger's handler"
guest_run 'rmmod vmiaas_attack_inputlog && rmmod evdev' >/dev/null 2>&1
expect_clean inputlog-gone "inputlog and evdev: unregistered on unload"
policy_run inputlog-gone 0 "nothing fails once the keylogger and evdev are gone"

# ---- a kprobe that redirects the call --------------------------------------
getdents=$(ksym __x64_sys_getdents64)
guest_run "insmod /vmiaas/modules/vmiaas_attack_ftrace.ko target=0x$getdents mode=kprobe-ip && ls / >/dev/null &&
	cat /sys/module/vmiaas_attack_ftrace/parameters/hits" >"$work/kprobe-ip.insmod" 2>&1
tap_ok "[ \"\$(tail -n 1 '$work/kprobe-ip.insmod')\" -ge 1 ] 2>/dev/null" \
	"$KGEN: kprobe-ip: getdents64 ran the module's replacement ($(tail -n 1 "$work/kprobe-ip.insmod") calls)"
expect_one kprobe-ip ftrace-hook '^__x64_sys_getdents64$' \
	"(.detail.new_symbol | startswith(\"[vmiaas_attack_ftrace]+\")) and (.detail.message | test(\"kprobe\"))" \
	"an ftrace-hook finding for __x64_sys_getdents64 naming the module's pre_handler"
guest_run rmmod vmiaas_attack_ftrace >/dev/null 2>&1
expect_clean kprobe-ip-gone "kprobe-ip: unregistered on unload"

# ---- code mapped by hand in the module range (last: it stays) --------------
guest_run "insmod /vmiaas/modules/vmiaas_attack_execmem.ko mode=novmap initmm=0x$(ksym init_mm) &&
	rmmod vmiaas_attack_execmem && dmesg | grep 'code at' | tail -n 1" \
	>"$work/novmap.insmod" 2>&1 || tap_diag "insmod vmiaas_attack_execmem mode=novmap: $(cat "$work/novmap.insmod")"
code=$(sed -n 's/.*code at \(0x[0-9a-f]*\) .*/\1/p' "$work/novmap.insmod")
tap_ok "grep -q 'returns 42' '$work/novmap.insmod'" \
	"$KGEN: novmap: the code ran from its page in the module range (${code:-?}), module unloaded"
expect_one novmap exec-memory "^0x0*${code#0x}-" \
	".severity == \"critical\" and (.detail.message | test(\"module mapping range in no vmap area\"))" \
	"a critical exec-memory finding for the page mapped outside every vmap area"
tap_ok "jq -e '(.findings | length) == 1' '$work/novmap.json'" \
	"$KGEN: novmap: it is the only finding"

# ---- system_state forged to "booting" (novmap's page still there) ----------
# A rootkit writes SYSTEM_BOOTING to have kernel-mapping, notifier-hook and
# exec-memory skipped; init runs a program, so it is not believed.
guest_run 'insmod /vmiaas/modules/vmiaas_attack_sysstate.ko && dmesg | grep "now 0 (SYSTEM_BOOTING)" | tail -n 1' \
	>"$work/sysstate.insmod" 2>&1 || tap_diag "insmod vmiaas_attack_sysstate: $(cat "$work/sysstate.insmod")"
expect_one sysstate kernel-mapping '^system_state$' \
	".severity == \"critical\" and (.detail.message | test(\"system_state says SYSTEM_BOOTING .0., but init .pid 1, \"))" \
	"a critical kernel-mapping finding: system_state says SYSTEM_BOOTING while init runs a program"
tap_ok "jq -e '([.findings[] | select(.check == \"exec-memory\" and (.object | test(\"^0x0*${code#0x}-\")))] | length) == 1 and ([.events[]? | select(.object == \"not checked yet (guest booting)\")] | length) == 0' '$work/sysstate.json'" \
	"$KGEN: sysstate: the checks still ran (novmap's exec-memory finding again, no \"not checked yet\" event)"
guest_run rmmod vmiaas_attack_sysstate >/dev/null 2>&1
check_json sysstate-gone
tap_ok "[ $st = 1 ] && jq -e '[.findings[].check] == [\"exec-memory\"]' '$work/sysstate-gone.json'" \
	"$KGEN: sysstate: restored on unload, novmap's finding alone again"
}

integrity_main tamper_run
