#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0
# The benign storm of tests/integration/52-runtime-patching.sh, run in the
# guest (setsid, in the background) while the host checks it again and
# again: processes forked, exec'd and reaped, a module loaded and unloaded,
# tracepoints (task, signal, module, raw_syscalls: static calls and jump
# labels on the fork, exec, exit and module paths), kprobe events (at a
# function's entry, ftrace-based, and a kretprobe), the function tracer
# and a BPF fentry program turned on and off; each round a little
# differently timed. Beside it, a mid-function kprobe (optimized: int3,
# then a JMP to a detour buffer) inside vfs_read created and deleted over
# and over: each new probe waits on the kernel's optimizing_list for a
# grace period (see "Optimized kprobes being (un)optimized" in
# docs/integrity.md). It touches only its own kprobe events and these
# tracepoints, and leaves the tracer off (nop, no filter). Stops when
# /tmp/storm.stop exists; counts its rounds in /tmp/storm.rounds and the
# optimized probe's in /tmp/storm.optprobes.
mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null
t=/sys/kernel/tracing
events="task signal module raw_syscalls"
optprobe_churn()
{
	n=0
	while [ ! -e /tmp/storm.stop ]; do
		for off in $(seq 5 64); do
			echo "p:storm_mid vfs_read+$off" >>$t/kprobe_events 2>/dev/null && break
		done
		echo 1 >$t/events/kprobes/storm_mid/enable
		sleep 0.1
		echo 0 >$t/events/kprobes/storm_mid/enable
		echo "-:storm_mid" >>$t/kprobe_events
		n=$((n + 1))
		echo $n >/tmp/storm.optprobes
	done
}
# not a child: the rounds below wait for theirs
(optprobe_churn &)
i=0
while [ ! -e /tmp/storm.stop ]; do
	i=$((i + 1))
	for j in 1 2 3 4 5 6 7 8 9 10; do sh -c 'exec /bin/true' & done
	for j in 1 2 3 4 5; do (sleep 0.$j) & done
	(insmod /vmiaas/modules/vmiaas_test_hello.ko && rmmod vmiaas_test_hello) &
	for e in $events; do echo 1 >$t/events/$e/enable; done
	echo "p:storm_open do_sys_openat2" >>$t/kprobe_events
	echo "r:storm_ret vfs_read" >>$t/kprobe_events
	echo 1 >$t/events/kprobes/storm_open/enable
	echo 1 >$t/events/kprobes/storm_ret/enable
	echo "vfs_read ksys_read" >$t/set_ftrace_filter
	echo function >$t/current_tracer
	/vmiaas/bpf-fentry vfs_fsync >/dev/null 2>&1 &
	bpf=$!
	for j in 1 2 3 4 5 6 7 8 9 10; do /bin/true & done
	sleep 0.$((i % 7))
	kill $bpf 2>/dev/null
	wait
	echo nop >$t/current_tracer
	echo >$t/set_ftrace_filter
	echo 0 >$t/events/kprobes/storm_open/enable
	echo 0 >$t/events/kprobes/storm_ret/enable
	echo "-:storm_open" >>$t/kprobe_events
	echo "-:storm_ret" >>$t/kprobe_events
	for e in $events; do echo 0 >$t/events/$e/enable; done
	echo $i >/tmp/storm.rounds
done
