#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# vmid's node-wide CPU budget (cpu_budget): each check's CPU is measured
# from the worker's CPU clock; over the budget the intervals stretch
# (status, metrics, one log line); back within it, the checks that came
# due together are spread over the interval instead of starting at once;
# on-demand checks keep priority, rate-limited per VM. The VMs: four
# stand-ins for QEMU whose command lines name the saved RAM of one booted
# Debian guest as a shared memory-backend-file (vmid attaches them with
# the shm backend; four real TCG guests would cost far more here).
. "$(dirname "$0")/../lib/guest.sh"
. "$(dirname "$0")/../lib/vmid.sh"

vmid_setup budget
for t in curl promtool cc; do
	command -v "$t" >/dev/null || tap_skip_all "$t is missing (scripts/deps.sh test)"
done
NR=4
INTERVAL=2

tap_plan 19
conf=$work/vmid.conf
fakes=()
cleanup()
{
	[ ${#fakes[@]} -gt 0 ] && kill "${fakes[@]}" 2>/dev/null
	_vmid_cleanup
}
trap cleanup EXIT

sched() { status_json | jq -r ".schedule.$1"; }
nr_checked() { status_json | jq '[.vms[] | select(.checks >= 1)] | length'; }
total_checks() { status_json | jq '[.vms[].checks] | add'; }
vm_checks() { status_json | jq --arg n "$prefix-$1" '.vms[] | select(.name == $n) | .checks'; }
# configure BUDGET [MORE]: writes the configuration and reloads vmid
configure()
{
	printf 'interval = %s\njitter = 0\ncpu_budget = %s\n%s' "$INTERVAL" "$1" "${2:-}" >"$conf"
	[ -z "$vmid_pid" ] || kill -HUP "$vmid_pid"
}
# timed CMD...: runs CMD; its wall time in ms in $ms, its status in $rc
timed()
{
	local t0=$(date +%s%N)
	rc=0
	"$@" >"$work/out" 2>&1 || rc=$?
	ms=$((($(date +%s%N) - t0) / 1000000))
}

rc=0; "$VMID" --once --cpu-budget lots --state-dir "$work/x" --libvirt off >/dev/null 2>&1 || rc=$?
tap_is "$rc" 2 "--cpu-budget lots: exit 2"
printf 'cpu_budget = -1\n' >"$work/bad.conf"
rc=0; "$VMID" --once --config "$work/bad.conf" --state-dir "$work/x" --libvirt off \
	2>"$work/bad.err" >/dev/null || rc=$?
tap_ok '[ $rc = 2 ] && grep -q "bad.conf:1: invalid cpu_budget" "$work/bad.err"' \
	"cpu_budget = -1 in the file: exit 2, file and line named"

# ---- the VMs: one guest's RAM, four QEMU stand-ins ------------------------------
guest_start --kernel 6.1 --mem 256 || tap_bail "the guest did not boot"
guest_qmp '{"execute":"stop"}' >/dev/null
cp --sparse=always "$GUEST_SHM" "$work/vm.ram"
guest_stop
qemu_stand_in "$work" || tap_bail "cannot build the QEMU stand-in"
for i in $(seq $NR); do
	"$work/qemu-system-x86_64" -name "$prefix-$i" -machine pc,memory-backend=mem \
		-object "memory-backend-file,id=mem,size=256M,mem-path=$work/vm.ram,share=on" &
	fakes+=($!)
done

# ---- no budget: every VM attached and checked, each check's CPU measured ------
configure 0
"$VMID" --config "$conf" --state-dir "$work/state" --events "$events" --socket "$sock" \
	--metrics 127.0.0.1:0 --libvirt off --match "$prefix-*" --settle 0 \
	2>"$work/vmid.log" &
vmid_pid=$!
port=$(metrics_port "$work/vmid.log")
tap_ok 'wait_for 180 "[ \"\$(nr_checked)\" = $NR ]"' "all $NR VMs attached and checked (no budget)"
tap_ok 'wait_for 30 "[ \"\$(status_json | jq \"[.vms[] | select(.check_cpu_ms > 0)] | length\")\" = $NR ]"' \
	"each VM's check CPU is measured (the worker's CPU clock)"
demand=$(sched demand_percent)
tap_diag "checks need $(printf %.2f "$demand") % of one core at $INTERVAL s; per check (ms of CPU): $(status_json | jq -c '[.vms[].check_cpu_ms | . * 10 | round / 10]')"
tap_is "$(status_json | jq '.schedule.stretch == 1')" true "no budget: no stretch"

# ---- a tiny budget: intervals stretch -------------------------------------------
configure 0.01
tap_ok 'wait_for 10 "[ \"\$(sched over_budget)\" = true ]"' "cpu_budget = 0.01 (%): over budget at once (SIGHUP)"
tap_ok '[ "$(status_json | jq ".schedule | .stretch > 1 and .effective_interval > '$INTERVAL'")" = true ]' \
	"status: stretch $(sched stretch), effective interval $(sched effective_interval) s"
"$VMICTL" status "$sock" >"$work/status.txt" 2>&1
tap_diag "$(grep schedule: "$work/status.txt")"
tap_ok 'grep -q "^schedule: .*over the CPU budget of 0.01%: intervals stretched x" "$work/status.txt"' \
	"vmictl status says the intervals are stretched"
curl -s "http://127.0.0.1:$port/metrics" >"$work/metrics.txt"
tap_ok 'awk "/^vmiaas_check_interval_stretch / { exit !(\$2 > 1) }" "$work/metrics.txt" && grep -q "^vmiaas_cpu_budget_ratio 0.0001$" "$work/metrics.txt" && grep -q "^vmiaas_check_cpu_seconds_total{vm=\"$prefix-1\"} [0-9.]*[1-9]" "$work/metrics.txt"' \
	"metrics: the budget, the stretch, the check CPU per VM"
tap_ok 'promtool check metrics <"$work/metrics.txt"' "promtool check metrics passes"
c0=$(total_checks)
sleep 12
c1=$(total_checks)
tap_ok '[ $((c1 - c0)) -le 2 ]' \
	"over budget: $((c1 - c0)) checks in 12 s, not the $((NR * 12 / INTERVAL)) of the configured interval"

# ---- on-demand checks keep priority, one per VM per priority_min_interval -----
configure 0.01 'priority_min_interval = 5
'
sleep 1
o2=$(vm_checks 2)
timed env VMID_SOCKET="$sock" "$VMICTL" vmid-check "$prefix-1"
tap_ok '[ $rc = 0 ] && [ $ms -lt 10000 ]' "vmid-check while over budget: answered at once ($ms ms)"
[ $rc = 0 ] || tap_diag "rc $rc: $(cat "$work/out")"
timed env VMID_SOCKET="$sock" "$VMICTL" vmid-check "$prefix-1"
tap_ok '[ $rc = 0 ] && [ $ms -ge 3000 ]' \
	"a second one right after: served after priority_min_interval (5 s; $ms ms)"
[ $rc = 0 ] || tap_diag "rc $rc: $(cat "$work/out")"
tap_is "$(vm_checks 2)" "$o2" "the other VMs keep their stretched schedule"

# ---- within the budget again: the checks due together are spread -----------
t_reload=$(date +%s.%N)
configure 0
tap_ok 'wait_for 10 "[ \"\$(status_json | jq \".schedule | .over_budget == false and .stretch == 1\")\" = true ]"' \
	"cpu_budget = 0: within budget, stretch 1"
# every check start since the reload, from the status (realtime, s)
for _ in $(seq 40); do
	status_json | jq -r --argjson t "$t_reload" '.vms[].last_check_start // empty | select(. > $t)'
	sleep 0.2
done | sort -un >"$work/starts"
gap=$(awk 'NR > 1 { d = $1 - p; if (min == "" || d < min) min = d } { p = $1 } END { printf "%.3f", min }' "$work/starts")
tap_diag "$(wc -l <"$work/starts") check starts in 8 s, at least $gap s apart (slot $(sched gap) s)"
tap_ok '[ "$(wc -l <"$work/starts")" -ge $((NR * 2)) ]' "checks at the configured interval again"
tap_ok 'awk -v g="$gap" "BEGIN { exit !(g >= 0.3) }"' \
	"the $NR VMs that came due together started at least 0.3 s apart ($gap s), not at once"
tap_is "$(nr_events '.event == "cpu-budget" and (.message | test("over the budget"))') $(nr_events '.event == "cpu-budget" and (.message | test("within the budget"))')" \
	"1 1" "one cpu-budget event when the budget was exceeded (not one per check or reload), one when it was met again"

vmid_stop
tap_is "$st" 0 "vmid exits 0 on SIGTERM"
[ "$_tap_fail" -eq 0 ] || tap_diag "vmid log:" "$(tail -n 30 "$work/vmid.log")"
tap_done
