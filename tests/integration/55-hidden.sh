#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Hidden objects and credentials on a live Debian guest: hidden-module,
# hidden-process and credentials compare the kernel's own structures with
# each other. A fresh guest and a benign workload give no findings; each
# attack module (tests/modules) is found and named: a self-hiding module
# (found through mod_tree, and, once it also erases itself from mod_tree,
# by carving the module memory areas, and once it also wipes its struct
# module, as module-area memory no record owns), a process unlinked from the task
# list (found through the IDR), a busy process unlinked from the task
# list and from its struct pid (found on the run queues), a sleeping
# process unlinked from both and erased from the IDR (found through its
# parent's children list), a sleeping process also taken off its
# parent's children list (found on its css_set's task list), and also off
# its css_set's list (found through its kernel stack), a non-root
# process given root by overwriting its ids and by pointing it at
# init_cred. Containers (pid and mount namespaces, an empty capability
# bounding set), a process entering one from outside and left orphaned in
# it, a process of a container entering the initial namespaces, and an
# unprivileged user namespace give no finding; the payloads of kernel
# exploits run in them are found: a fresh copy of init_cred
# (prepare_kernel_cred()), the container's init switched to init_nsproxy,
# a task given init's root directory. Tracing and kprobes (trampolines and
# instruction slots in the module area) give no false alarm. Runs on each
# kernel of KGENS (default: Debian 6.1 and 6.12).
. "$(dirname "$0")/../lib/guest.sh"
. "$(dirname "$0")/../lib/integrity.sh"
integrity_begin hidden 79

# A BPF fentry program puts a BPF trampoline in the module area.
bpf_fentry=$(guest_tool bpf-fentry) ||
	tap_bail "cannot build tests/guest/bpf-fentry.c statically"
capdrop=$(guest_tool capdrop) ||
	tap_bail "cannot build tests/guest/capdrop.c statically"

# hideproc_load NAME PID [ARG...]: hides PID with the process-hiding
# module (tasklist_lock's address in $tasklist), with more module ARGs.
hideproc_load()
{
	local name=$1 pid=$2
	shift 2
	guest_run insmod /vmiaas/modules/vmiaas_attack_hideproc.ko "pid=$pid" \
		"tasklist=0x$tasklist" "$@" >"$work/$name.insmod" 2>&1 ||
		tap_diag "insmod vmiaas_attack_hideproc $*: $(cat "$work/$name.insmod")"
}

# hidemod_load MODE: one more copy of the self-hiding module, hiding in
# MODE (tree, wipe), given a second to do it.
hidemod_load()
{
	guest_run insmod /vmiaas/modules/vmiaas_attack_hidemod.ko "mode=$1" \
		"modtree=0x$(ksym mod_tree)" "modmutex=0x$(ksym module_mutex)" \
		>"$work/hidemod-$1.insmod" 2>&1 ||
		tap_diag "insmod vmiaas_attack_hidemod mode=$1: $(cat "$work/hidemod-$1.insmod")"
	guest_run sleep 1
}

# expect_finding NAME CHECK OBJECT: exit 1 and exactly one finding, of
# CHECK for OBJECT.
expect_finding()
{
	check_json "$1"
	tap_is "$st" 1 "$KGEN: $1: check exits 1"
	tap_ok "jq -e --arg c '$2' --arg o '$3' '([.findings[] | select(.check == \$c and .object == \$o)] | length == 1) and (.findings | length) == 1' '$work/$1.json'" \
		"$KGEN: $1: one $2 finding, for '$3'"
	tap_diag "$(jq -c '.findings[] | [.check, .object, .detail.message]' "$work/$1.json" 2>/dev/null | head -3)"
}

# payload NAME PID MODE REGEX [ARG...]: vmiaas_attack_cred in MODE on
# PID: one credentials finding for it, its message matching REGEX; then
# unloaded, and clean again.
payload()
{
	local name=$1 pid=$2 mode=$3 re=$4 comm
	shift 4
	comm=$(guest_run cat "/proc/$pid/comm")
	guest_run insmod /vmiaas/modules/vmiaas_attack_cred.ko "pid=$pid" \
		"mode=$mode" "$@" >"$work/$name.insmod" 2>&1 ||
		tap_diag "insmod vmiaas_attack_cred mode=$mode: $(cat "$work/$name.insmod")"
	expect_finding "$name" credentials "pid $pid $comm"
	tap_ok "jq -e --arg r '$re' '.findings[0].detail.message | test(\$r)' '$work/$name.json'" \
		"$KGEN: $name: the finding says '$re'"
	guest_run rmmod vmiaas_attack_cred >/dev/null 2>&1
	expect_clean "$name-gone" "$name: undone on unload"
}

# A container as runtimes start one: new pid and mount namespaces, /proc
# mounted anew, the bounding set emptied before its init (a sh) runs; in
# it a sh with three sleeps. Prints the pids (the initial namespace's) of
# the sleeps, of that sh and of the container's init, then the sleeps'
# bounding set.
ctr_script='unshare --pid --fork --mount-proc /vmiaas/capdrop \
	sh -c "sh -c \"sleep 1010 & sleep 1011 & sleep 1012 & wait\" & wait" \
	</dev/null >/dev/null 2>&1 &
sleep 1
s=$(ps -o pid,args | awk "\$2 == \"sleep\" && \$3 == 1010 { print \$1 }")
t=$(ps -o pid,args | awk "\$2 == \"sleep\" && \$3 == 1011 { print \$1 }")
ppid() { awk "/^PPid:/ { print \$2 }" /proc/$1/status; }
echo $s $t $(ppid $s) $(ppid $(ppid $s))
awk "/^CapBnd:/ { print \$2 }" /proc/$s/status'

# sleep_pid N: the pid of the guest's "sleep N"; ns_of PID NS: its
# namespace NS (/proc/PID/ns/NS).
sleep_pid() { guest_run "ps -o pid,args | awk '\$2 == \"sleep\" && \$3 == $1 { print \$1 }'"; }
ns_of() { guest_run readlink "/proc/$1/ns/$2"; }

# A user and a non-root process tree: sh (uid 1000) with two sleeps.
user_script='mkdir -p /etc
echo "root:x:0:0::/:/bin/sh" >/etc/passwd
echo "u:x:1000:1000::/:/bin/sh" >>/etc/passwd
printf "root:x:0:\nu:x:1000:\n" >/etc/group
start-stop-daemon -S -b -c u:u -x /bin/sh -- -c "sleep 1000 & sleep 1001 & wait"
sleep 0.5
ps -o pid,user,args | grep -E "^ *[0-9]+ u +sleep 100[01]" | sort -k3'

hidden_run()
{
integrity_start "$1" --test-modules --add "$bpf_fentry" --add "$capdrop"
take_baseline
expect_clean clean "right after boot"
tap_diag "check: $(jq -r .elapsed_ms "$work/clean.json" 2>/dev/null) ms"

st=0
"$VMICTL" --json checks >"$work/checks.json" || st=$?
tap_ok "jq -e '[.checks[].id] as \$i | [\"hidden-module\", \"hidden-process\", \"credentials\"] - \$i == []' '$work/checks.json'" \
	"$KGEN: vmictl checks lists hidden-module, hidden-process, credentials"

# ---- benign workload -----------------------------------------------------
guest_run 'insmod /vmiaas/modules/vmiaas_test_hello.ko && rmmod vmiaas_test_hello && echo ok' >"$work/mod.out" 2>&1
tap_is "$(cat "$work/mod.out")" ok "$KGEN: a module loaded and unloaded"
# After a module's init, do_init_module() hands its init memory to
# do_free_init(), a system_wq work item: with that pool held by
# vmiaas_test_wqhog (one vCPU; 6.12 lets it run sooner), the init memory
# of a module loaded meanwhile waits on init_free_list, module memory no
# module owns, for as long as the hog runs.
guest_run 'insmod /vmiaas/modules/vmiaas_test_wqhog.ko ms=20000 && sleep 0.5 &&
	insmod /vmiaas/modules/vmiaas_test_hello.ko && rmmod vmiaas_test_hello && echo ok' >"$work/initfree.out" 2>&1
tap_is "$(cat "$work/initfree.out")" ok "$KGEN: a module loaded and unloaded with system_wq held"
expect_clean initfree "a module's init memory waiting to be freed"
guest_run 'rmmod vmiaas_test_wqhog' >/dev/null 2>&1
guest_run 'for i in $(seq 100); do /bin/true & done; wait; echo done' >"$work/spawn.out"
tap_is "$(cat "$work/spawn.out")" done "$KGEN: 100 processes spawned and reaped"
expect_clean benign "after module load/unload and 100 processes"
guest_run 'for i in $(seq 100); do sleep 600 & done; echo started' >"$work/sleepers.out"
guest_run insmod /vmiaas/modules/vmiaas_test_hello.ko >/dev/null 2>&1
expect_clean sleepers "100 live processes and a module loaded"

# Tracing, kprobes and BPF put ftrace trampolines, kprobe instruction
# slots and a BPF trampoline in the module area (the BPF JIT pack is there
# from boot): carving must find no struct module in them.
tracing_on
tap_is "$(guest_run 'grep -c " vfs_write+" /sys/kernel/debug/kprobes/list; cat /sys/kernel/tracing/current_tracer /tmp/bpf.out' | tr '\n' ' ')" \
	"1 function attached " "$KGEN: a mid-function kprobe, the function tracer and a BPF fentry program on"
expect_clean tracing "with tracing, kprobes and BPF on"
guest_run 'kill $(pidof bpf-fentry); echo nop >/sys/kernel/tracing/current_tracer' >/dev/null 2>&1

guest_run - <<<"$user_script" >"$work/user.out" 2>&1
victim=$(awk '$4 == 1000 { print $1 }' "$work/user.out")
hidden=$(awk '$4 == 1001 { print $1 }' "$work/user.out")
tap_ok '[ -n "$victim" ] && [ -n "$hidden" ]' "$KGEN: non-root processes (uid 1000) started"
[ -n "$victim" ] || tap_diag "$(cat "$work/user.out")"
expect_clean user "with non-root processes"

# ---- attacks -----------------------------------------------------------------
guest_run insmod /vmiaas/modules/vmiaas_attack_cred.ko "pid=$victim" >"$work/cred.insmod" 2>&1 ||
	tap_diag "insmod vmiaas_attack_cred: $(cat "$work/cred.insmod")"
expect_finding cred-ids credentials "pid $victim sleep"
guest_run rmmod vmiaas_attack_cred >/dev/null 2>&1
expect_clean cred-ids-gone "cred (ids) restored on unload"

initcred=$(ksym init_cred)
guest_run insmod /vmiaas/modules/vmiaas_attack_cred.ko "pid=$victim" mode=init \
	"initcred=0x$initcred" >"$work/cred2.insmod" 2>&1 ||
	tap_diag "insmod vmiaas_attack_cred mode=init: $(cat "$work/cred2.insmod")"
expect_finding cred-init credentials "pid $victim sleep"
tap_ok "jq -e '.findings[0].detail.message | test(\"init_cred\")' '$work/cred-init.json'" \
	"$KGEN: cred-init: the finding says init_cred"
guest_run rmmod vmiaas_attack_cred >/dev/null 2>&1
expect_clean cred-init-gone "cred (init_cred) restored on unload"

# ---- containers, benign, then exploits' payloads in them ---------------------
guest_run - <<<"$ctr_script" >"$work/ctr.out" 2>&1
read -r csleep csleep2 csh cinit <"$work/ctr.out"
tap_ok '[ -n "$cinit" ] && [ "$(sed -n 2p "$work/ctr.out")" = 0000000000000000 ]' \
	"$KGEN: a container started, its bounding set empty"
[ -n "$cinit" ] || tap_diag "$(cat "$work/ctr.out")"
expect_clean ctr "a container (pid and mount namespaces, no bounding set)"

# Entering it from outside (nsenter, docker exec): a process with the full
# bounding set, orphaned in it, goes to the container's init.
guest_run "nsenter -t $cinit -p -m sh -c 'sleep 1013 </dev/null >/dev/null 2>&1 &'; sleep 0.5" >/dev/null 2>&1
orphan=$(sleep_pid 1013)
tap_is "$(guest_run "awk '/^PPid:/ { print \$2 }' /proc/${orphan:-0}/status")" "$cinit" \
	"$KGEN: a process entered the container, orphaned to its init"
expect_clean ctr-enter "an orphan from outside under the container's init"

# A privileged container (full capabilities, the host's pid namespace)
# entering the initial namespaces, as nsenter -t 1 -a does.
guest_run "unshare --mount --fork sh -c 'nsenter -t 1 -m -u -i -n -p sleep 1014 & wait' </dev/null >/dev/null 2>&1 & sleep 0.5" >/dev/null 2>&1
entered=$(sleep_pid 1014)
tap_ok "[ -n '$entered' ] && [ \"\$(ns_of $entered mnt)\" = \"\$(ns_of 1 mnt)\" ]" \
	"$KGEN: a process of a privileged container entered the initial namespaces"
expect_clean ctr-nsenter "nsenter -t 1 from a privileged container"

# An unprivileged user namespace (rootless containers): uid 1000 mapped
# to root in it.
# (A pid file of its own: start-stop-daemon -x alone finds the sh above.)
guest_run 'start-stop-daemon -S -b -p /tmp/rootless.pid -m -c u:u -x /bin/sh -- -c "unshare -U -r sh -c \"sleep 1015 & wait\""; sleep 0.5' >/dev/null 2>&1
rootless=$(sleep_pid 1015)
tap_ok "[ -n '$rootless' ] && [ \"\$(ns_of $rootless user)\" != \"\$(ns_of 1 user)\" ]" \
	"$KGEN: a process in an unprivileged user namespace"
expect_clean userns "an unprivileged user namespace"

# commit_creds(prepare_kernel_cred()) in the container: root already,
# but a full bounding set under a parent with none.
payload ctr-kcred "$csleep" kcred "bounding-set capabilities .* its parent pid $csh lacks"
# switch_task_namespaces(find_task_by_vpid(1), &init_nsproxy): the
# container's init holds the initial namespaces.
payload ctr-nsproxy "$cinit" nsproxy "child pid namespace .level 1. but holds init_nsproxy" \
	"nsproxy=0x$(ksym init_nsproxy)"
# current->fs = copy of init's: the host's root in the container's mount
# namespace.
payload ctr-fsroot "$csleep2" fsroot "has init.s root directory"
# The same credentials payload in a rootless container: root of the
# initial user namespace under a parent of uid 1000.
payload userns-kcred "$rootless" kcred "euid 0 but its parent runs as uid 1000"

tasklist=$(ksym tasklist_lock)
hideproc_load hideproc "$hidden"
expect_finding hideproc hidden-process "pid $hidden sleep"
guest_run rmmod vmiaas_attack_hideproc >/dev/null 2>&1
expect_clean hideproc-gone "hidden process back on the task list after unload"

# A busy process off the task list and off its struct pid: only the run
# queues still have it.
busy=$(guest_run 'sh -c "while :; do :; done" </dev/null >/dev/null 2>&1 & echo $!')
hideproc_load hideproc-rq "$busy" mode=idr
expect_finding hideproc-rq hidden-process "pid $busy sh"
tap_ok "jq -e '.findings[0].detail.message | test(\"run queue\")' '$work/hideproc-rq.json'" \
	"$KGEN: hideproc-rq: the finding says it was on a run queue"
guest_run rmmod vmiaas_attack_hideproc >/dev/null 2>&1
expect_clean hideproc-rq-gone "busy process back on the task list and its pid after unload"
tap_ok "guest_run kill $busy" "$KGEN: hideproc-rq: the busy process can be killed again"

# hide_sleeper NAME MODE REGEX WHERE [ARG...]: hides the sleeping $hidden
# in MODE (pidfree, tree or cgroup; more module ARGs): kill(2) and /proc
# no longer find it; the one finding's message matches REGEX (WHERE it
# was found); unloading brings it back, and it can be signalled again.
hide_sleeper()
{
	hideproc_load "$1" "$hidden" "pidmap=0x$(ksym pidmap_lock)" "mode=$2" "${@:5}"
	tap_ok "! guest_run 'kill -0 $hidden || test -d /proc/$hidden'" \
		"$KGEN: $1: pid $hidden is gone from kill(2) and /proc"
	expect_finding "$1" hidden-process "pid $hidden sleep"
	tap_ok "jq -e --arg r '$3' '.findings[0].detail.message | test(\$r)' '$work/$1.json'" \
		"$KGEN: $1: found through $4"
	guest_run rmmod vmiaas_attack_hideproc >/dev/null 2>&1
	expect_clean "$1-gone" "$1: the sleeping process back where it was after unload"
	tap_ok "guest_run kill -0 $hidden" "$KGEN: $1: the process can be signalled again"
}

# A sleeping process off the task list, off its struct pid and out of the
# IDR: no walk and no lookup by pid finds it, and it is on no run queue.
# Only its parent's children list still has it.
hide_sleeper hideproc-sleep pidfree "children list" "its parent's children list"
# All that, and off its parent's children list too: wait() and the
# process tree no longer see it. Only its css_set's task list has it.
hide_sleeper hideproc-tree tree "css_set" "its css_set's task list"
# And off its css_set's task list: no list of tasks has it any more. Its
# kernel stack, a vmalloc area no known task owns, still names it.
hide_sleeper hideproc-cgroup cgroup "owns a kernel stack" "its kernel stack" \
	"csslock=0x$(ksym css_set_lock)"

# Last: the hidden module cannot be unloaded.
guest_run 'insmod /vmiaas/modules/vmiaas_attack_hidemod.ko && sleep 1 && dmesg | grep -c "vmiaas_attack_hidemod: hidden"' >"$work/hidemod.insmod" 2>&1
tap_ok '! guest_run "grep -q vmiaas_attack_hidemod /proc/modules || test -e /sys/module/vmiaas_attack_hidemod"' \
	"$KGEN: hidemod: gone from /proc/modules and /sys/module"
expect_finding hidemod hidden-module vmiaas_attack_hidemod

# The same module again (the hidden copy no longer holds the name), now
# also erased from mod_tree: only its memory area is left to carve.
hidemod_load tree
check_json hidemod-tree
tap_is "$st" 1 "$KGEN: hidemod-tree: check exits 1"
tap_ok "jq -e '(.findings | length) == 2 and ([.findings[] | select(.check == \"hidden-module\" and .object == \"vmiaas_attack_hidemod\")] | length) == 2' '$work/hidemod-tree.json'" \
	"$KGEN: hidemod-tree: two hidden-module findings, both vmiaas_attack_hidemod"
tap_ok "jq -e '[.findings[].detail.message | select(test(\"carved\"))] | length == 1' '$work/hidemod-tree.json'" \
	"$KGEN: hidemod-tree: the second one found by carving the module memory"
tap_diag "$(jq -c '.findings[] | [.check, .object, .detail.message]' "$work/hidemod-tree.json" 2>/dev/null | head -3)"

# Once more, and now its struct module wiped too (name, list pointers,
# mkobj.mod): carving finds nothing, but its memory is owned by no module,
# BPF program, ftrace trampoline or kprobe page the kernel records.
hidemod_load wipe
check_json hidemod-wipe
tap_is "$st" 1 "$KGEN: hidemod-wipe: check exits 1"
tap_ok "jq -e '[.findings[] | select(.check == \"hidden-module\" and (.object | test(\"^0x[0-9a-f]+-0x[0-9a-f]+\$\")) and (.detail.message | test(\"wiped\")))] | length >= 1' '$work/hidemod-wipe.json'" \
	"$KGEN: hidemod-wipe: its memory found, named by its address range"
tap_ok "jq -e '(.findings | length) >= 3 and ([.findings[] | select(.check != \"hidden-module\")] | length) == 0' '$work/hidemod-wipe.json'" \
	"$KGEN: hidemod-wipe: only hidden-module findings, the two earlier copies still found"
tap_diag "$(jq -c '.findings[] | [.object, .detail.message]' "$work/hidemod-wipe.json" 2>/dev/null | cut -c1-160)"
}

integrity_main hidden_run
