#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0
# The benign storm of tests/integration/52-runtime-patching.sh, run in the
# guest (setsid, in the background) while the host checks it again and
# again: processes forked, exec'd and reaped, a module loaded and unloaded,
# tracepoints (task, signal, module, raw_syscalls: static calls and jump
# labels on the fork, exec, exit and module paths), kprobe events (at a
# function's entry, ftrace-based, and a kretprobe; not an optimized
# mid-function one: see "Reading a running guest" in docs/integrity.md),
# the function tracer and a BPF fentry program turned on and off; each
# round a little differently timed. It touches only its own kprobe events
# and these tracepoints, and leaves the tracer off (nop, no filter).
# Stops when /tmp/storm.stop exists; counts its rounds in /tmp/storm.rounds.
mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null
t=/sys/kernel/tracing
events="task signal module raw_syscalls"
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
