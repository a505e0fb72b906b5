#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make bench, vmid's part (issue 6): vmid watching many VMs, checked every
# 10 s: its total CPU (daemon + workers) as a share of one core with the
# CPU of one check beside it, then the same under a 5 % CPU budget; memory
# per attached VM (PSS); tampering to event. The VMs are many attachments
# of one live guest's memory: one Debian TCG guest (512 MiB) and N
# stand-ins for QEMU (a program named qemu-system-x86_64 whose command
# line names the guest's RAM file as a shared memory-backend-file), so
# vmid discovers N QEMU processes and runs N workers, each of which maps
# the same RAM, attaches (no QMP: the kernel is found by its page tables),
# takes its own baseline and checks on its own schedule. Writes nothing
# into the repository. See docs/performance.md.
#
# Usage: scripts/bench-vmid.sh [BUILD_DIR]
# Environment: BENCH_VMID_VMS (attachments, default 100),
#   BENCH_VMID_INTERVAL (s, default 10), BENCH_VMID_SECONDS (measuring
#   window, default 60), BENCH_VMID_BUDGET (% of one core for the budget
#   run, default 5), BENCH_COMMIT (the commit measured, for the report;
#   default: the repository's HEAD), BENCH_OUT (append the report to this file).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-build}
case $build in /*) ;; *) build=$top/$build ;; esac
guest=$top/scripts/guest
nvms=${BENCH_VMID_VMS:-100}
interval=${BENCH_VMID_INTERVAL:-10}
window=${BENCH_VMID_SECONDS:-60}
budget=${BENCH_VMID_BUDGET:-5}
vmid=$build/vmid
vmictl=$build/vmictl
bc=$build/tests/tools/bench_check
for f in "$vmid" "$vmictl" "$bc"; do
	[ -x "$f" ] || { echo "bench-vmid: $f missing: run make userspace" >&2; exit 1; }
done
for t in jq cc; do
	command -v "$t" >/dev/null || { echo "bench-vmid: $t missing (scripts/deps.sh)" >&2; exit 1; }
done

dir=
vmid_pid=
fakes=()
tmp=$(mktemp -d "${TMPDIR:-/tmp}/vmiaas-bench-vmid.XXXXXX")
cleanup()
{
	[ -z "$vmid_pid" ] || kill -KILL "$vmid_pid" 2>/dev/null || true
	[ ${#fakes[@]} -eq 0 ] || kill "${fakes[@]}" 2>/dev/null || true
	[ -z "$dir" ] || "$guest" stop "$dir" >/dev/null 2>&1 || true
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

BENCH_NAME=bench-vmid
. "$top/scripts/bench-lib.sh"
sock=$tmp/vmid.sock
events=$tmp/events.jsonl
status_json() { "$vmictl" --json status "$sock"; }
# wait_until SECONDS CMD: polls CMD (eval) every second
wait_until()
{
	local end=$(($(date +%s) + $1))
	until eval "$2" >/dev/null 2>&1; do
		[ "$(date +%s)" -lt "$end" ] || return 1
		sleep 1
	done
}
hz=$(getconf CLK_TCK)
# cpu_ticks: vmid's CPU so far, in clock ticks: the daemon (with its
# reaped children) and every live worker
cpu_ticks()
{
	local pids p
	pids=$(status_json | jq -r '.vms[].worker_pid | select(. > 0)')
	{
		awk '{ print $14 + $15 + $16 + $17 }' "/proc/$vmid_pid/stat"
		for p in $pids; do
			awk '{ print $14 + $15 }' "/proc/$p/stat" 2>/dev/null || true
		done
	} | awk '{ s += $1 } END { print s }'
}
daemon_ticks() { awk '{ print $14 + $15 }' "/proc/$vmid_pid/stat"; }
checks() { status_json | jq '[.vms[].checks] | add'; }
check_cpu() { status_json | jq '.schedule.check_cpu_seconds'; }
# measure SECONDS: vmid's CPU over SECONDS; sets m_total m_daemon (% of
# one core), m_checks, m_per_check_ms (vmid's own measure) m_per_check_all
m_total= m_daemon= m_checks= m_per_check_ms= m_per_check_all=
measure()
{
	local t0 d0 c0 k0 t1 d1 c1 k1 s0 s1 secs
	s0=$(date +%s%N); t0=$(cpu_ticks); d0=$(daemon_ticks); c0=$(checks); k0=$(check_cpu)
	sleep "$1"
	s1=$(date +%s%N); t1=$(cpu_ticks); d1=$(daemon_ticks); c1=$(checks); k1=$(check_cpu)
	secs=$(awk -v a="$s0" -v b="$s1" 'BEGIN { print (b - a) / 1e9 }')
	m_checks=$((c1 - c0))
	read -r m_total m_daemon m_per_check_ms m_per_check_all < <(awk \
		-v t="$((t1 - t0))" -v d="$((d1 - d0))" -v hz="$hz" -v s="$secs" \
		-v n="$m_checks" -v k0="$k0" -v k1="$k1" 'BEGIN {
		printf "%.2f %.2f %.1f %.1f\n", t / hz / s * 100, d / hz / s * 100,
			n ? (k1 - k0) * 1000 / n : 0, n ? t / hz * 1000 / n : 0 }')
}

# ---- the guest and its N attachments ---------------------------------------

log "booting the 6.1 test guest (512 MiB)"
"$guest" setup --kernel 6.1 >&2
dir=$("$guest" start --kernel 6.1 --mem 512 --name "benchvmid-$$" --test-modules)
info=$("$guest" info "$dir")
shm=$(sed -n 's/^SHM=//p' <<<"$info")
qmp=$(sed -n 's/^QMP=//p' <<<"$info")
printf 'int pause(void);\nint main(void) { for (;;) pause(); }\n' >"$tmp/fakeqemu.c"
cc -O2 -o "$tmp/qemu-system-x86_64" "$tmp/fakeqemu.c"
prefix=bv$$
for i in $(seq "$nvms"); do
	"$tmp/qemu-system-x86_64" -name "$prefix-$i" -machine pc,memory-backend=mem \
		-object "memory-backend-file,id=mem,size=512M,mem-path=$shm,share=on" &
	fakes+=($!)
done
load0=$(cut -d' ' -f1-3 /proc/loadavg)
printf 'interval = %s\ncpu_budget = 0\n' "$interval" >"$tmp/vmid.conf"
log "vmid: $nvms VMs, interval $interval s, attaching (a few at a time)"
t0=$(date +%s)
"$vmid" --config "$tmp/vmid.conf" --state-dir "$tmp/state" --events "$events" \
	--socket "$sock" --metrics off --libvirt off --match "$prefix-*" --settle 0 \
	--timeout 120 2>"$tmp/vmid.log" &
vmid_pid=$!
wait_until $((60 + 10 * nvms)) "[ \"\$(status_json | jq '[.vms[] | select(.checks >= 1)] | length')\" = $nvms ]" ||
	fail "not all $nvms VMs attached and checked: $(status_json | jq -c '[.vms[].state] | group_by(.) | map({(.[0]): length}) | add')"
attach_s=$(($(date +%s) - t0))
# one interval more: every VM on its steady schedule
sleep "$interval"

# ---- CPU, unbudgeted ----------------------------------------------------------
log "measuring vmid's CPU over $window s (no budget)"
load1=$(cut -d' ' -f1-3 /proc/loadavg)
measure "$window"
free_total=$m_total free_daemon=$m_daemon free_checks=$m_checks
free_pc=$m_per_check_ms free_pc_all=$m_per_check_all
rate=$(awk -v n="$m_checks" -v w="$window" 'BEGIN { printf "%.1f", n / w }')
demand=$(status_json | jq '.schedule.demand_percent * 100 | round / 100')

# ---- memory per VM ----------------------------------------------------------
pss() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/smaps_rollup" 2>/dev/null; }
for p in $(status_json | jq -r '.vms[].worker_pid | select(. > 0)'); do
	echo "$(pss "$p" Pss) $(pss "$p" Pss_Anon) $(pss "$p" Pss_File) $(pss "$p" Pss_Shmem) $(pss "$p" Rss)"
done >"$tmp/pss"
read -r w_pss w_anon w_file w_shmem w_rss < <(sort -n "$tmp/pss" |
	awk '{ a[NR] = $0 } END { print a[int((NR + 1) / 2)] }')
d_pss=$(pss "$vmid_pid" Pss)
per_vm=$(awk -v w="$w_pss" -v d="$d_pss" -v n="$nvms" 'BEGIN { printf "%.0f", w + d / n }')

# ---- CPU under the budget -------------------------------------------------------
printf 'interval = %s\ncpu_budget = %s\n' "$interval" "$budget" >"$tmp/vmid.conf"
kill -HUP "$vmid_pid"
sleep "$interval"
log "measuring vmid's CPU over $window s (cpu_budget = $budget)"
measure "$window"
sched=$(status_json | jq -c '.schedule')
stretch=$(jq '.stretch * 100 | round / 100' <<<"$sched")
eff=$(jq '.effective_interval * 10 | round / 10' <<<"$sched")
overhead=$(jq '.overhead_percent * 100 | round / 100' <<<"$sched")

# ---- tampering to event ---------------------------------------------------------
printf 'interval = %s\ncpu_budget = 0\n' "$interval" >"$tmp/vmid.conf"
kill -HUP "$vmid_pid"
sleep $((interval * 2))
table=$("$guest" run "$dir" "grep ' sys_call_table\$' /proc/kallsyms" | cut -d' ' -f1 | head -n 1)
log "tampering: vmiaas_attack_syscall in the guest (sys_call_table 0x$table)"
"$guest" run "$dir" insmod /vmiaas/modules/vmiaas_attack_syscall.ko "table=0x$table" >/dev/null
t_tamper=$(date +%s.%N)
sel='select(.type == "finding" and .check == "syscall-table")'
wait_until $((interval * 4)) "[ \"\$(jq -c '$sel' '$events' | wc -l)\" -ge $nvms ]" ||
	log "only $(jq -c "$sel" "$events" | wc -l) of $nvms VMs reported the hook"
# latency per VM: its first finding's time (ms, UTC) - the moment insmod returned
jq -r "$sel | [.vm.name, .time] | @tsv" "$events" | sort -u -k1,1 |
	while IFS=$'\t' read -r _ t; do
		s=$(date -d "$t" +%s.%N)
		awk -v a="$s" -v b="$t_tamper" 'BEGIN { printf "%.0f\n", (a - b) * 1000 }'
	done | sort -n >"$tmp/latency"
nlat=$(wc -l <"$tmp/latency")
lat_min=$(head -n 1 "$tmp/latency")
lat_med=$(awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }' "$tmp/latency")
lat_max=$(tail -n 1 "$tmp/latency")
"$guest" run "$dir" rmmod vmiaas_attack_syscall >/dev/null 2>&1 || true

# ---- where a check's CPU goes ---------------------------------------------------
log "bench_check: a check's parts on the same guest (shm + QMP)"
"$bc" --check --runs 10 --shm "$shm" --qmp "$qmp" >"$tmp/check" 2>&1 || log "bench_check failed: $(tail -n 1 "$tmp/check")"
kill -TERM "$vmid_pid"
wait "$vmid_pid" || true
vmid_pid=

# ---- report ---------------------------------------------------------------------
commit=${BENCH_COMMIT:-$(git -C "$top" rev-parse --short HEAD 2>/dev/null || echo unknown)}
out ""
out "vmid bench, $(date -u '+%Y-%m-%d %H:%M UTC'), vmid of $build (repository HEAD $commit)"
out "host:  $(nproc) CPUs, load average $load0 before, $load1 while measuring (shared machine:"
out "       $(pgrep -c -f qemu-system-x86_64 || true) QEMU processes incl. the $nvms stand-ins and ours)"
out "VMs:   $nvms attachments of one Debian 6.1 TCG guest's RAM (512 MiB, shm backend,"
out "       no QMP), interval $interval s, jitter 0 (the default); all attached and checked in $attach_s s"
out ""
out "CPU of vmid (daemon + $nvms workers, /proc/PID/stat) over $window s, % of one core:"
out "  no budget:        total $free_total % (daemon $free_daemon %), $free_checks checks ($rate/s)   <5 % $(verdict "$free_total" '<' 5)"
out "    per check: $free_pc ms of worker CPU (vmid's own measure, the worker's CPU clock),"
out "    $free_pc_all ms of all vmid CPU per check; vmid's demand estimate $demand %"
out "  cpu_budget = $budget:  total $m_total % (daemon $m_daemon %), $m_checks checks; stretch x$stretch,"
out "    every VM checked every $eff s instead of $interval s (vmid's estimate of its"
out "    CPU outside checks: $overhead %)   <5 % $(verdict "$m_total" '<' 5)"
out ""
out "memory per attached VM (smaps_rollup, median worker + daemon / $nvms): $per_vm KiB"
out "  worker PSS $w_pss KiB (anon $w_anon, file $w_file, shmem $w_shmem; RSS $w_rss: the"
out "  guest RAM pages it touched, shared by the $nvms workers), daemon PSS $d_pss KiB"
out ""
out "tampering to event: insmod vmiaas_attack_syscall -> syscall-table finding in the"
out "  JSON lines, per VM ($nlat of $nvms VMs): min $lat_min ms, median $lat_med ms, max $lat_max ms"
out "  target: one interval + 100 ms = $((interval * 1000 + 100)) ms: max $(verdict "$lat_max" '<' $((interval * 1000 + 100)))"
out "  (from the moment 'scripts/guest run insmod' returned; a VM's check starts an"
out "  interval after its last one started, so the hook is seen by the first check"
out "  that starts after it: within an interval plus that check's time)"
out ""
out "a check's parts (bench_check --check --runs 10 --shm --qmp, same guest, ms):"
grep '^check' "$tmp/check" | sed 's/^/  /' | tee -a "$report"
if [ -n "${BENCH_OUT:-}" ]; then
	{ echo; cat "$report"; } >>"$BENCH_OUT"
	log "report appended to $BENCH_OUT"
fi
