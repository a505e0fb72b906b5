#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0
# The teardown storm of the hunt (docs/integrity.md, "The hunt"): the
# function graph tracer on every ftrace site turned on and off again and
# again, by `perf ftrace -G vfs_read -a` and ^C where the guest has perf
# (scripts/guest start --tools), else through tracefs as perf does it.
# Each switch rewrites every site (tens of seconds under TCG), one
# text_poke_bp() batch of queued sites after another, the tracer's
# ftrace_ops off the list (removed_ops) while it is turned off. Run by
# scripts/hunt.sh with STORM=tests/guest/storm-graph.sh; stops when
# /tmp/stop exists, counts its rounds in /tmp/storm.rounds.
mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null
t=/sys/kernel/tracing
i=0
while [ ! -e /tmp/stop ]; do
	i=$((i + 1))
	if command -v perf >/dev/null; then
		perf ftrace -G vfs_read -a sleep 600 >/dev/null 2>&1 &
		until [ "$(cat $t/current_tracer)" = function_graph ] ||
		      [ -e /tmp/stop ]; do sleep 0.5; done
		sleep 0.$((i % 9))
		kill -INT $(pidof perf)
		wait
	else
		echo vfs_read >$t/set_graph_function
		echo function_graph >$t/current_tracer
		sleep 0.$((i % 9))
		echo nop >$t/current_tracer
		echo >$t/set_graph_function
	fi
	echo $i >/tmp/storm.rounds
done
