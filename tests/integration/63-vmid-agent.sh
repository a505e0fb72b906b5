#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Agent-triggered checks without vmiaas.ko: vmiaas_agent.ko mode=ram in a
# Debian 6.1 guest (QEMU TCG) keeps its mailbox in its own memory; vmid,
# with a 600 s interval so that only the agent's requests trigger checks,
# finds it through the module's kallsyms, polls it every second, checks
# at once and writes the verdict back. An on-demand request gets CLEAN; a
# syscall hook loaded with on_module_load=1 gets TAMPERED and a finding;
# garbage written over the mailbox (from the host, through the RAM file)
# gets -EINVAL once, vmid and its worker survive, and a valid magic again
# is served again. First, before the agent (whose boot request would
# trigger a check of its own), vmid runs with the monotonic clock of a
# node that has just booted (fresh_clock): its first check must still
# come at once, not 0.9 interval later. At the end, the metrics count the
# answers by verdict as the agent-answer events do.
set -u
. "$(dirname "$0")/../lib/guest.sh"

. "$(dirname "$0")/../lib/vmid.sh"

vmid_setup agent63
p=/sys/module/vmiaas_agent/parameters

guest_headers 6.1
agent_build "$work"

tap_plan 19
guest_start --kernel 6.1 --test-modules --add "$ko" --name "$prefix" ||
	tap_bail "the 6.1 guest did not boot"

# ---- a node that has just booted: the first check at once ---------------------
fresh_clock
"${fresh[@]}" "$VMID" --state-dir "$work/state" --events "$events" --interval 600 \
	--metrics off --socket "$sock" --match "vmiaas-$prefix" --settle 0 2>"$work/vmid.log" &
vmid_pid=$!
tap_ok 'wait_for 120 "[ \"\$(vm_field checks)\" -ge 1 ]"' \
	"with a monotonic clock at 5 s and a 600 s interval: baselined and checked at once" ||
	tap_diag "$(tail -n 20 "$work/vmid.log")"
tap_ok 'has "$events" ".event == \"discovered\" and (.message | startswith(\"qemu-system-x86_64 pid \"))"' \
	"the discovered event names the VMM by its executable" ||
	tap_diag "$(grep -m1 discovered "$events")"
vmid_stop

# the agent first: its mailbox's GPA from QEMU's gva2gpa while the QMP
# socket is free (vmid's worker holds it later)
out=$(guest_run "insmod /vmiaas/vmiaas_agent.ko mode=ram wait_ms=120000 interval_ms=0 on_module_load=1 && cat $p/found" 2>&1)
tap_ok "grep -q 'mode=ram' <<<\"\$out\"" "the agent loads in mode ram" || tap_diag "$out"
va=$(ksym vmiaas_agent_mailbox)
gpa=
for _ in 1 2 3 4 5; do
	gpa=$(guest_qmp "{\"execute\":\"human-monitor-command\",\"arguments\":{\"command-line\":\"gva2gpa 0x$va\"}}" |
		grep -o 'gpa: 0x[0-9a-f]*' | cut -d' ' -f2)
	[ -n "$gpa" ] && break
	sleep 0.5
done
tap_diag "vmiaas_agent_mailbox at 0x$va, GPA ${gpa:-unknown}"

# again, the baseline loaded from its file
"$VMID" --state-dir "$work/state" --events "$events" --interval 600 \
	--metrics 127.0.0.1:0 --socket "$sock" --match "vmiaas-$prefix" --settle 0 2>>"$work/vmid.log" &
vmid_pid=$!
port=$(metrics_port "$work/vmid.log")
tap_ok 'wait_for 120 "[ \"\$(vm_field checks)\" -ge 1 ]"' \
	"vmid attached, loaded its baseline and checked the guest once" ||
	tap_diag "$(tail -n 20 "$work/vmid.log")"
worker=$(vm_field worker_pid)
# no vmiaas.ko on this host: the module backend says why it is not used
mod=$(vm_field module)
tap_ok "grep -q '^module: not available (no /dev/vmiaas: vmiaas.ko is not loaded)' <<<\"\$mod\"" \
	"vmictl status: module: not available, and why ($mod)"

# the boot request: vmid finds the mailbox and answers it
tap_ok 'wait_for 60 "guest_run \"grep -q \\\"reason=boot channel=ram err=0 .*status=0 verdict=\\\" $p/last\""' \
	"vmid found the mailbox and answered the agent's boot request" ||
	tap_diag "$(guest_run "cat $p/last"; tail -n 5 "$events")"
before=$(nr_events '.event == "agent-request"')
t0=$(date +%s%N)
guest_run "echo 1 > $p/trigger" >"$work/trigger" 2>&1
ms=$((($(date +%s%N) - t0) / 1000000))
last=$(guest_run "cat $p/last")
tap_diag "on-demand: $last (${ms} ms)"
tap_ok "grep -q 'reason=on-demand channel=ram err=0 .*status=0 verdict=clean failed=0 checks=[1-9][0-9]* mask=0x0 ' <<<\"\$last\"" \
	"an on-demand request gets verdict clean (0 failed of the checks run, mask 0)"
tap_ok '[ "$(nr_events ".event == \"agent-request\" and (.message | contains(\"on-demand\"))")" -ge 1 ] && [ "$(nr_events ".event == \"agent-request\"")" -gt "$before" ]' \
	"vmid emits an agent-request event (reason on-demand)"
tap_ok '[ $ms -lt 15000 ]' "the verdict came within 15 s on this loaded machine (${ms} ms)"

# ---- a syscall hook loaded: TAMPERED -------------------------------------------
table=$(ksym sys_call_table)
sleep 1.2	# agent_min_interval
guest_run insmod /vmiaas/modules/vmiaas_attack_syscall.ko "table=0x$table" >"$work/insmod" 2>&1 ||
	tap_diag "insmod: $(cat "$work/insmod")"
tap_ok 'wait_for 60 "guest_run \"grep -q \\\"reason=module-load channel=ram err=0 .*verdict=tampered failed=[1-9][0-9]* checks=[1-9][0-9]* mask=0x[0-9a-f]\\\" $p/last\""' \
	"the module-load request gets verdict tampered (failed, checks run, mask of the failed checks)" ||
	tap_diag "$(guest_run "cat $p/last")"
tap_ok '[ "$(nr_events ".type == \"finding\" and .check == \"syscall-table\"")" -ge 1 ]' \
	"vmid reports the syscall-table finding"
tap_ok '[ "$(nr_events ".event == \"agent-answer\" and (.message | contains(\"verdict tampered\"))")" -ge 1 ]' \
	"an agent-answer event says tampered (agent-triggered check)"
guest_run rmmod vmiaas_attack_syscall >/dev/null 2>&1

# ---- garbage over the mailbox ---------------------------------------------------
if [ -n "$gpa" ]; then
	head -c 128 /dev/urandom | dd of="$GUEST_SHM" bs=1 seek=$((gpa)) conv=notrunc status=none
	tap_ok 'wait_for 10 "[ \"\$(nr_events \".event == \\\"agent-answer\\\" and (.message | contains(\\\"lost its magic\\\"))\")\" = 1 ]"' \
		"garbage over the mailbox: -EINVAL reported once"
	sleep 2
	tap_ok '[ "$(nr_events ".event == \"agent-answer\" and (.message | contains(\"lost its magic\"))")" = 1 ] && [ "$(vm_field worker_pid)" = "$worker" ] && [ "$(vm_field state)" = ready ]' \
		"vmid and its worker survive, the page is then ignored"
	# the magic and version back (what mode=ram's init writes)
	printf 'VMIAASMB\001\000\000\000' | dd of="$GUEST_SHM" bs=1 seek=$((gpa)) conv=notrunc status=none
	sleep 1.5
	guest_run "echo 1 > $p/trigger" >/dev/null 2>&1
	last=$(guest_run "cat $p/last")
	tap_ok "grep -q 'reason=on-demand channel=ram err=0 .*status=0 verdict=clean' <<<\"\$last\"" \
		"with the magic back, a request is served again" || tap_diag "$last"
else
	tap_skip "QEMU's gva2gpa did not translate 0x$va" 3
fi

# ---- the metrics: answers by channel and verdict, as the events say ---------------
if command -v curl >/dev/null && command -v promtool >/dev/null; then
	curl -s "http://127.0.0.1:$port/metrics" >"$work/metrics.txt"
	tap_ok 'promtool check metrics <"$work/metrics.txt"' "the scrape passes promtool check metrics"
	ctr() { awk -v s="vmiaas_agent_requests_total{vm=\"vmiaas-$prefix\",channel=\"$1\",verdict=\"$2\"}" '$1 == s { print $2 }' "$work/metrics.txt"; }
	ans() { nr_events ".event == \"agent-answer\" and (.message | $1)"; }
	clean=$(ans 'contains("verdict clean")')
	tampered=$(ans 'contains("verdict tampered")')
	errors=$(ans 'contains("verdict clean") or contains("verdict tampered") | not')
	tap_diag "$(grep '^vmiaas_agent_requests_total' "$work/metrics.txt")"
	tap_is "$(ctr mailbox clean) $(ctr mailbox tampered) $(ctr mailbox error) $(ctr module clean)$(ctr module tampered)$(ctr module error)" \
		"$clean $tampered $errors 000" \
		"vmiaas_agent_requests_total: the mailbox's answers by verdict ($clean clean, $tampered tampered, $errors error: the events'), none through the module"
	tap_ok '[ "$clean" -ge 3 ] && [ "$tampered" = 1 ] && [ "$errors" -ge "$([ -n "$gpa" ] && echo 1 || echo 0)" ]' \
		"counted: the boot, on-demand and restored-magic requests clean, the module-load one tampered, the garbage an error"
else
	tap_skip "curl or promtool missing (scripts/deps.sh test)" 3
fi
kill -TERM "$vmid_pid"
rc=0; wait "$vmid_pid" || rc=$?
vmid_pid=
tap_is "$rc" 0 "vmid exits cleanly on SIGTERM"
tap_done
