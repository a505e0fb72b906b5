#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The tracing tools operators run in their guests are not tampering: a
# guest with Debian's own perf, bpftrace and trace-cmd in it (scripts/guest
# start --tools), a baseline of it clean, then each tool started, checked
# while it runs (exit 0, no findings, and the event that says what kind of
# patching it made), stopped, and checked again:
#   - perf probe at vfs_read (an ftrace-based kprobe), perf record on it;
#   - perf probe in mid vfs_write (an optimized kprobe), perf record -g;
#   - perf ftrace -G (the function graph tracer, every ftrace site), and
#     checks all through its teardown, which takes tens of seconds under
#     TCG (the sites turned back one batch of text_poke_bp() at a time,
#     the tracer's ftrace_ops already off the list);
#   - bpftrace with kprobe, kretprobe, tracepoint, kfunc (fentry, a BPF
#     trampoline), a wildcard kprobe (kprobe_multi/fprobe where the kernel
#     has it) and a uprobe in libc: its programs are events;
#   - the stack tracer on and off (every ftrace site again);
#   - trace-cmd's function_graph on vfs_* and its reset;
#   - perf trace (the syscall tracepoints).
# Runs on each kernel of KGENS.
. "$(dirname "$0")/../lib/guest.sh"
. "$(dirname "$0")/../lib/integrity.sh"

integrity_begin tools 24

# started DESC TIMEOUT COND: a TAP check that the tool works: COND (a
# guest shell condition) true within TIMEOUT s.
started()
{
	local st=0
	guest_run --timeout $(($2 + 10)) "for i in \$(seq $2); do $3 && exit 0; sleep 1; done; exit 1" \
		>/dev/null 2>&1 || st=1
	tap_is "$st" 0 "$KGEN: $1: the tool runs"
	[ "$st" = 0 ] ||
		tap_diag "$(guest_run 'cat /sys/kernel/debug/kprobes/list; tail -3 /tmp/bg.out' 2>&1)"
}

# stop_tool NAME [SIG]: SIG (default INT, as ^C: perf catches it
# although a background job of the agent's shell starts with it ignored;
# bpftrace needs TERM then) to every process NAME, then waits until they
# are gone.
stop_tool()
{
	guest_run --timeout 120 "kill -${2:-INT} \$(pidof $1) 2>/dev/null
		for i in \$(seq 100); do pidof $1 >/dev/null || exit 0; sleep 1; done; exit 1" \
		>/dev/null 2>&1 || tap_diag "$1 did not stop"
}

# bg CMD: CMD in the guest, in the background (its output in /tmp)
bg() { guest_run "cd /tmp && ($1 >/tmp/bg.out 2>&1 &)" >/dev/null; }

# The function graph tracer's teardown: checks until current_tracer is nop
# and the ftrace sites are back (at most 40): each one clean.
teardown_checks()
{
	local n=0 bad=0 name
	while [ $n -lt 40 ]; do
		n=$((n + 1))
		name=$1-$n
		check_json "$name"
		if [ "$st:$(nr_findings "$name")" != 0:0 ]; then
			bad=$((bad + 1))
			[ $bad -gt 1 ] || tap_diag "$(jq -c '.findings[] | [.check, .object, .detail.message]' "$work/$name.json" 2>/dev/null | head -3)" "$(cat "$work/$name.err")"
		fi
		has_event "$name" "ftrace sites" || break
	done
	# Every check while the kernel rewrites every ftrace site: int3 sites
	# of a newer text_poke_bp batch and an ops between ftrace_ops_list and
	# removed_ops are read again (docs/integrity.md, "Tracing tools in the
	# guest", 3 and 4), never excused.
	tap_is "$bad" 0 "$KGEN: $2: $n checks during the teardown, none with findings"
}

tools_run()
{
	integrity_start "$1" --tools
	guest_run 'mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null; true'
	take_baseline
	kp=/sys/kernel/debug/kprobes/list

	# perf probe (ftrace-based kprobe at a function's entry), perf record
	guest_run 'perf probe -q -a vfs_read' >/dev/null 2>&1
	bg 'perf record -e probe:vfs_read -a -o /tmp/p1.data sleep 600'
	started "perf probe vfs_read + perf record" 60 \
		"grep -q 'vfs_read+0x[0-9a-f]*  *\[FTRACE\]\$' $kp"
	clean perf-kprobe "perf record -e probe:vfs_read, running" "ftrace sites"
	stop_tool perf
	guest_run 'perf probe -q -d "probe:*"' >/dev/null 2>&1
	clean perf-kprobe-off "perf record -e probe:vfs_read, stopped"

	# a mid-function perf probe: an optimized kprobe; perf record -g
	guest_run 'for off in $(seq 5 64); do perf probe -q -a "vfs_write+$off" 2>/dev/null && break; done' \
		>/dev/null 2>&1
	bg 'perf record -g -e probe:vfs_write -a -o /tmp/p2.data sleep 600'
	started "mid-function perf probe + perf record -g" 180 \
		"grep -q 'vfs_write+0x.*OPTIMIZED' $kp"
	clean perf-optprobe "optimized perf probe, perf record -g, running" kprobes
	stop_tool perf
	guest_run 'perf probe -q -d "probe:*"' >/dev/null 2>&1
	clean perf-optprobe-off "optimized perf probe, perf record -g, stopped"

	# perf ftrace -G: the function graph tracer on every ftrace site
	bg 'perf ftrace -G vfs_read -a sleep 600'
	started "perf ftrace -G (function_graph)" 90 \
		'[ "$(cat /sys/kernel/tracing/current_tracer)" = function_graph ]'
	clean graph "perf ftrace -G, running" "ftrace sites"
	guest_run 'kill -INT $(pidof perf)' >/dev/null 2>&1
	teardown_checks graph-down "perf ftrace -G stopping"
	stop_tool perf
	clean graph-off "perf ftrace -G, stopped"

	# bpftrace: kprobe, kretprobe, tracepoint, kfunc, wildcard, uprobe
	# BEGIN runs once bpftrace has attached every probe ("Attaching N
	# probes" comes before); vfs_fsync's ftrace site then serves the
	# kfunc's trampoline and the wildcard kprobe
	bg "bpftrace -e 'BEGIN { printf(\"vmiaas: attached\\n\"); }
		kprobe:vfs_read { @k[comm] = count(); }
		kretprobe:vfs_read { @r = count(); }
		tracepoint:syscalls:sys_enter_openat { @t = count(); }
		kfunc:vfs_fsync { @f = count(); }
		kprobe:vfs_fsync* { @w = count(); }
		uprobe:/lib/x86_64-linux-gnu/libc.so.6:getpid { @u = count(); }'"
	started "bpftrace (kprobe, kretprobe, tracepoint, kfunc, wildcard, uprobe)" 150 \
		'grep -q "^vmiaas: attached" /tmp/bg.out && grep -q "^vfs_fsync " /sys/kernel/tracing/enabled_functions'
	clean bpftrace "bpftrace, running" vfs_fsync
	stop_tool bpftrace TERM
	clean bpftrace-off "bpftrace, stopped"

	# the stack tracer (its ftrace_ops on every site)
	guest_run 'echo 1 >/proc/sys/kernel/stack_tracer_enabled' >/dev/null 2>&1
	started "stack tracer" 60 '[ "$(sed -n 1p /sys/kernel/tracing/stack_max_size)" -gt 0 ]'
	clean stack "stack tracer on" "ftrace sites"
	guest_run --timeout 120 'echo 0 >/proc/sys/kernel/stack_tracer_enabled' >/dev/null 2>&1
	teardown_checks stack-down "stack tracer stopping"
	clean stack-off "stack tracer off"

	# trace-cmd: the function graph tracer on a few functions
	guest_run 'trace-cmd start -p function_graph -g vfs_read -l "vfs_*"' >/dev/null 2>&1
	started "trace-cmd start -p function_graph -l 'vfs_*'" 30 \
		'[ "$(cat /sys/kernel/tracing/current_tracer)" = function_graph ]'
	clean trace-cmd "trace-cmd function_graph, running" "ftrace sites"
	guest_run --timeout 120 'trace-cmd reset' >/dev/null 2>&1
	clean trace-cmd-off "trace-cmd reset"

	# perf trace: the syscall tracepoints
	bg 'perf trace -a -o /tmp/pt.out sleep 600'
	started "perf trace" 90 'ls / >/dev/null; grep -q execve /tmp/pt.out'
	clean perf-trace "perf trace, running"
	stop_tool perf
	clean perf-trace-off "perf trace, stopped"
}

integrity_main tools_run
