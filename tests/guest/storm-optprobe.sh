#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0
# Storm B of the hunt (docs/integrity.md, "The hunt"): storm.sh's kind of
# churn plus a mid-function (optimized) kprobe on vfs_write created and
# deleted every round, the case still open. Run by scripts/hunt.sh with
# STORM=tests/guest/storm-optprobe.sh; stops when /tmp/stop exists.
mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null
i=0
while [ ! -e /tmp/stop ]; do
  i=$((i+1))
  for j in $(seq 20); do sh -c 'exec /bin/true' & done
  for j in $(seq 10); do (sleep 0.$j; exit 0) & done
  insmod /vmiaas/modules/vmiaas_test_hello.ko; rmmod vmiaas_test_hello &
  cd /sys/kernel/tracing
  echo 1 > events/sched/enable; echo 1 > events/syscalls/enable 2>/dev/null
  echo "p:hunt_open do_sys_openat2" >> kprobe_events
  for off in $(seq 5 64); do echo "p:hunt_mid vfs_write+$off" >> kprobe_events 2>/dev/null && break; done
  echo "r:hunt_ret vfs_read" >> kprobe_events
  echo 1 > events/kprobes/enable
  echo "vfs_read ksys_read" > set_ftrace_filter; echo function > current_tracer
  /vmiaas/bpf-fentry vfs_fsync > /tmp/bpf.out 2>&1 &
  bp=$!
  for j in $(seq 30); do /bin/true & done
  sleep 0.$((i % 9))
  kill $bp 2>/dev/null
  wait
  echo nop > current_tracer; echo 0 > events/kprobes/enable; echo > kprobe_events
  echo 0 > events/sched/enable; echo 0 > events/syscalls/enable 2>/dev/null
  cd /
done
