#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# bpf-programs beyond the instructions: on a live Debian guest with an XDP
# program (tests/guest/bpf-fentry.c) at baseline, its JIT code patched in
# place (tests/modules/vmiaas_attack_bpfjit.c: the prologue's NOP2 turned
# into "xor eax, eax" through the read-only mapping) must be a critical
# finding naming the program, and so must the page mapping its code made
# writable; both undone, the guest is clean again. The program unloaded
# and loaded again (same instructions, type, name, attach point; new id
# and address) is one "reloaded" event, not gone + new. A cgroup_skb
# program attached the legacy way (BPF_PROG_ATTACH, no bpf_link) is named
# by its cgroup, and a cls_bpf filter on lo's clsact ingress by its
# device and direction. Runs on each kernel of KGENS.
. "$(dirname "$0")/../lib/guest.sh"
. "$(dirname "$0")/../lib/integrity.sh"
integrity_begin bpfjit 13

bpf_fentry=$(guest_tool bpf-fentry) ||
	tap_bail "cannot build tests/guest/bpf-fentry.c statically"

# bpf_start ARGS...: bpf-fentry ARGS in the background, until "attached".
bpf_start()
{
	guest_run "/vmiaas/bpf-fentry $* >/tmp/bpf.out 2>&1 &
		for i in \$(seq 40); do [ \"\$(cat /tmp/bpf.out)\" = attached ] && break; sleep 0.5; done
		cat /tmp/bpf.out"
}

# bpf_func NAME: the JIT image of the program NAME, from /proc/kallsyms.
bpf_func() { guest_run "grep -E ' bpf_prog_[0-9a-f]{16}_$1\b' /proc/kallsyms" | cut -d' ' -f1 | head -n 1; }

# bpf_msgs NAME KIND PATTERN: bpf-programs findings or events (KIND) of
# check NAME whose message matches PATTERN.
bpf_msgs()
{
	jq --arg re "$3" "[.$2[] | select(.check == \"bpf-programs\" and (.detail.message | test(\$re)))] | length" \
		"$work/$1.json" 2>/dev/null
}

# xdp_finding NAME PATTERN: exit 1 and a critical bpf-programs finding on
# vmiaas_xdp matching PATTERN.
xdp_finding()
{
	jq -r --arg re "$2" '[.findings[] | select(.check == "bpf-programs" and .object == "vmiaas_xdp" and .severity == "critical" and (.detail.message | test($re)))] | length' \
		"$work/$1.json" 2>/dev/null
}

# jit_attack NAME PATTERN WHAT UNDONE [PARAMS...]: vmiaas_attack_bpfjit on
# vmiaas_xdp's image ($func) with PARAMS: exit 1 and a critical finding
# matching PATTERN; unloaded, the guest clean again.
jit_attack()
{
	local name=$1 re=$2 what=$3 undone=$4
	shift 4
	guest_run insmod /vmiaas/modules/vmiaas_attack_bpfjit.ko "addr=0x$func" "$@" \
		>"$work/$name.insmod" 2>&1 || tap_diag "insmod $*: $(cat "$work/$name.insmod")"
	check_json "$name"
	tap_is "$st:$(xdp_finding "$name" "$re")" "1:1" \
		"$KGEN: $what: exit 1, a critical finding names vmiaas_xdp"
	show "$name"
	guest_run rmmod vmiaas_attack_bpfjit >/dev/null 2>&1
	expect_clean "$name-gone" "$undone"
}

# attached_event NAME WHAT PATTERN NAMED ARGS...: bpf-fentry ARGS attached
# (WHAT), then a check: exit 0, no finding, one event matching PATTERN.
attached_event()
{
	local name=$1 what=$2 re=$3 named=$4
	shift 4
	tap_is "$(bpf_start "$@" 2>&1 | head -c 200)" attached "$KGEN: $what"
	check_json "$name"
	tap_is "$st:$(nr_findings "$name"):$(bpf_msgs "$name" events "$re")" "0:0:1" \
		"$KGEN: exit 0, an event names $named"
	[ "$(bpf_msgs "$name" events "$re")" = 1 ] || show "$name"
}

show() { tap_diag "$(cat "$work/$1.err"; jq -c '.findings[], [.events[].detail.message]' "$work/$1.json" 2>/dev/null | head -6)"; }

jit_run()
{
local tc
tc=$(debian_modules "$1" "$1-tc" net/sched/sch_ingress net/sched/cls_bpf) || tap_bail "no sch_ingress/cls_bpf modules for $1"
integrity_start "$1" --test-modules --add "$bpf_fentry" \
	--add "$tc/sch_ingress.ko" --add "$tc/cls_bpf.ko"

tap_is "$(bpf_start xdp 1 2>&1 | head -c 200)" attached "$KGEN: an XDP program linked to lo"
take_baseline
expect_clean fresh "right after the baseline, the program's JIT code hashed"

func=$(bpf_func vmiaas_xdp)
tap_diag "vmiaas_xdp's JIT image at 0x$func"
jit_attack patch 'vmiaas_xdp .* of the baseline: its JIT code changed' \
	"JIT code patched in place" "JIT code restored"
jit_attack rw 'its JIT image is mapped writable' \
	"JIT code's page made writable" "JIT code's page read-only again" writable=1

# ---- reloaded: same program, new id and address ---------------------------------
guest_run 'kill $(pidof bpf-fentry); sleep 1' >/dev/null 2>&1
bpf_start xdp 1 >/dev/null 2>&1
check_json reload
tap_is "$st:$(nr_findings reload):$(bpf_msgs reload events 'vmiaas_xdp .*reloaded since the baseline.* attached to xdp on lo '):$(bpf_msgs reload events 'is gone')" \
	"0:0:1:0" "$KGEN: the XDP program reloaded: exit 0, one 'reloaded' event, no 'gone' one"
[ "$st:$(nr_findings reload)" = 0:0 ] || show reload

# ---- legacy cgroup attach: no link, named from the cgroup's own records ----------
guest_run 'mkdir -p /sys/fs/cgroup && { mount -t cgroup2 none /sys/fs/cgroup 2>/dev/null; mkdir -p /sys/fs/cgroup/vmiaas; }' >/dev/null 2>&1
attached_event cgattach "a cgroup_skb program attached with BPF_PROG_ATTACH" \
	'vmiaas_cgskb .*loaded since the baseline, attached to cgroup /vmiaas [(]cgroup_inet_ingress, attached without a link[)]' \
	"the program's cgroup and attach type" cgroup-attach /sys/fs/cgroup/vmiaas

# ---- tc: a cls_bpf filter on lo's clsact ingress, no link -----------------------
guest_run 'insmod /vmiaas/sch_ingress.ko; insmod /vmiaas/cls_bpf.ko' >/dev/null 2>&1
attached_event tc "a sched_cls program as a direct-action cls_bpf filter on lo's ingress" \
	'vmiaas_tc .*loaded since the baseline, attached to tc ingress on lo [(]cls_bpf filter[)]' \
	"the filter's device and direction" tc 1
guest_run 'kill $(pidof bpf-fentry); sleep 1' >/dev/null 2>&1
expect_clean off "programs unloaded"
}

integrity_main jit_run
