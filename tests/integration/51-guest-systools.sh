#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The system tools cloud guests run are not tampering (issue 5, no false
# alarms): a guest with Debian's nft, iptables, iproute2, dmsetup and
# unshare and Debian's own modules (scripts/guest start --sys-tools; every
# module loaded on demand, by busybox modprobe or the kernel's
# request_module()), a baseline of it as booted, then each step of
# tests/guest/systools.sh run and checked while its state is up (exit 0,
# no findings):
#   - net: nftables (filter, NAT, conntrack, a set; netdev ingress and
#     egress, bridge and ARP hooks, a flowtable), iptables-nft,
#     iptables-legacy (x_tables) and ip6tables, a bridge, veth, VLAN,
#     VXLAN, tun, tap, WireGuard, tc (htb, fq_codel, clsact with a
#     classic-BPF and an eBPF cls_bpf filter) and XDP;
#   - ns: a network, mount and pid namespace with its own netfilter
#     tables (its own hooks), and one that stays;
#   - fs: overlayfs, a FUSE filesystem served (tests/guest/fuse-hello.c),
#     zram as swap, dm-crypt (aes-xts) on a loop device, and a process
#     holding a file of each open;
#   - cg: cgroup v2 with a BPF device program;
#   - sec: audit rules (auditctl, auditd running), an AppArmor profile
#     loaded (apparmor_parser);
#   - kvm: kvm and kvm_amd (an SVM guest CPU: TCG emulates no VMX, so
#     kvm_intel cannot load), a VM run until it halts and kept open
#     (tests/guest/kvm-vm.c);
# then everything torn down and the modules unloaded, and checked again.
# Then every step again in the background, and the same module loaded
# twice at once 15 times (dup), with checks all through it.
# Every finding is printed in full. Runs on each kernel of KGENS.
. "$(dirname "$0")/../lib/guest.sh"
. "$(dirname "$0")/../lib/integrity.sh"

integrity_begin systools 18

bpf_fentry=$(guest_tool bpf-fentry) ||
	tap_bail "cannot build tests/guest/bpf-fentry.c statically"
fuse_hello=$(guest_tool fuse-hello) ||
	tap_bail "cannot build tests/guest/fuse-hello.c statically"
kvm_vm=$(guest_tool kvm-vm) ||
	tap_bail "cannot build tests/guest/kvm-vm.c statically"

# step NAME DESC: systools.sh NAME in the guest (a TAP check that all of
# it worked), then a check (exit 0, no findings: any finding in full)
step()
{
	local out got
	out=$(guest_run --timeout 300 "sh /vmiaas/systools.sh $1" 2>&1)
	tap_is "$(tail -n 1 <<<"$out")" "$1: ok" "$KGEN: $2: the tools ran"
	[ "$(tail -n 1 <<<"$out")" = "$1: ok" ] ||
		tap_diag "$out" "$(guest_run 'tail -n 20 /tmp/systools.log' 2>&1)"
	check_json "$1"
	got="$st:$(nr_findings "$1")"
	tap_is "$got" 0:0 "$KGEN: $2: exit 0, no findings"
	[ "$got" = 0:0 ] || {
		tap_diag "$(cat "$work/$1.err")"
		tap_diag "$(jq -c '.findings[]' "$work/$1.json" 2>/dev/null)"
	}
	tap_diag "$1: $(jq -r '[.events[].object] | unique | join(", ")' "$work/$1.json" 2>/dev/null | cut -c1-400)"
}

# storm: every step again, one after the other in the background, and
# checks all through it until it is done (15 minutes at most: a fast
# host makes more checks, never fewer): each clean (the
# first two that are not printed in full). What a check sees mid-step --
# a module coming or going, jump labels and hooks being switched, a
# namespace being torn down -- is what the checks above never see.
storm()
{
	local n=0 bad=0 name diags= end=$((SECONDS + 900))
	guest_run "(for s in net ns fs cg sec dup kvm down; do sh /vmiaas/systools.sh \$s; done >/tmp/storm.out 2>&1
		echo done >>/tmp/storm.out) >/dev/null 2>&1 &" >/dev/null
	while [ $SECONDS -lt $end ]; do
		n=$((n + 1))
		name=storm-$n
		check_json "$name"
		if [ "$st:$(nr_findings "$name")" != 0:0 ]; then
			bad=$((bad + 1))
			[ $bad -gt 2 ] || diags+="check $n: $(cat "$work/$name.err")
$(jq -c '.findings[]' "$work/$name.json" 2>/dev/null)
"
		fi
		guest_run 'tail -n 1 /tmp/storm.out' 2>/dev/null | grep -qx done && break
	done
	tap_is "$(guest_run 'grep -c ": ok$" /tmp/storm.out' 2>&1)" 8 \
		"$KGEN: every step again, while checks run: all of it worked"
	[ "$(guest_run 'grep -c ": ok$" /tmp/storm.out' 2>&1)" = 8 ] ||
		tap_diag "$(guest_run 'cat /tmp/storm.out' 2>&1)"
	tap_is "$bad" 0 "$KGEN: $n checks while every step ran again, none with findings"
	# after the verdict, so that a failure's findings reach CI's log
	[ -z "$diags" ] || tap_diag "$diags"
}

systools_run()
{
	integrity_start "$1" --sys-tools --cpu qemu64,+svm \
		--add "$bpf_fentry" --add "$fuse_hello" --add "$kvm_vm" \
		--add "$VMIAAS_TOP/tests/guest/systools.sh"
	take_baseline
	tap_diag "$(guest_run 'lsmod | wc -l' 2>&1) lines of lsmod at baseline"
	step net "nftables, iptables (nft, legacy), bridge, veth, VLAN, VXLAN, tun/tap, WireGuard, tc, cls_bpf, XDP"
	step ns "unshare -n -p -m with its own nftables and iptables"
	step fs "overlayfs, a FUSE filesystem, zram swap, dm-crypt on loop, their files open"
	step cg "cgroup v2 with a BPF device program"
	step sec "audit rules with auditd, an AppArmor profile loaded"
	step kvm "kvm_amd loaded (SVM guest CPU), a VM run until it halts"
	step down "all torn down, modules unloaded"
	tap_diag "$(guest_run 'lsmod' 2>&1 | tail -n +2 | cut -d' ' -f1 | tr '\n' ' ') still loaded"
	clean again "a second check after the teardown"
	storm
}

integrity_main systools_run
