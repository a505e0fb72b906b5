# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# tests/lib/integrity.sh: what the integrity tests (50-56) share, on a
# guest started with guest_start (tests/lib/guest.sh, sourced first).
# They set: VMICTL, and per kernel work (a directory), base (the
# baseline file), key (the host key file), KGEN.
#
#   vmictl_g ARG...          vmictl on the current guest
#   ksym NAME                a symbol's address from the guest's kallsyms
#   check_json NAME [BASE]   check --json into $work/NAME.json (.err); st
#   nr_findings NAME         findings in $work/NAME.json
#   expect_clean NAME WHAT   a TAP check: exit 0 and no findings
#   tracing_on               the function tracer, sched events, a kprobe
#                            event and a mid-function (optimized) one, a
#                            BPF fentry program (/vmiaas/bpf-fentry)

vmictl_g() { "$VMICTL" --shm "$GUEST_SHM" --qmp "$GUEST_QMP" "$@"; }
ksym() { guest_run "grep ' $1\$' /proc/kallsyms" | cut -d' ' -f1 | head -n 1; }

check_json()
{
	st=0
	vmictl_g --json check -b "${2:-$base}" --key "$key" >"$work/$1.json" \
		2>"$work/$1.err" || st=$?
}

nr_findings() { jq '.findings | length' "$work/$1.json" 2>/dev/null; }

expect_clean()
{
	check_json "$1"
	tap_is "$st:$(nr_findings "$1")" "0:0" "$KGEN: $2: exit 0, no findings"
	[ "$st:$(nr_findings "$1")" = 0:0 ] ||
		tap_diag "$(cat "$work/$1.err"; jq -c '.findings[]' "$work/$1.json" 2>/dev/null | head -5)"
}

# Tracing, kprobes and BPF put ftrace trampolines, kprobe instruction
# slots and a BPF trampoline in the module area.
tracing_on()
{
	guest_run 'mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null
	cd /sys/kernel/tracing && echo 1 >events/sched/enable &&
	echo "p:vmiaas_open do_sys_openat2" >>kprobe_events &&
	for off in $(seq 5 64); do
		echo "p:vmiaas_mid vfs_write+$off" >>kprobe_events 2>/dev/null && break
	done && echo 1 >events/kprobes/enable &&
	echo "vfs_read ksys_read" >set_ftrace_filter &&
	echo function >current_tracer && ls / >/dev/null
	/vmiaas/bpf-fentry vfs_fsync >/tmp/bpf.out 2>&1 &
	for i in $(seq 40); do
		[ "$(cat /tmp/bpf.out)" = attached ] && break
		sleep 0.5; done' >/dev/null
}
