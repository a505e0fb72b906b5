#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Hooks on the network devices themselves (netdev-hook) on a live Debian
# guest. Right after boot: lo's tables are the kernel's own (rodata), no
# rx_handler: no finding. Benign: a bridge over a dummy device and a
# macvlan over another (Debian's bridge, dummy and macvlan modules): the
# bridge's and macvlan's rx_handlers and the devices' tables in those
# modules are events, no finding. A packet hider on lo
# (vmiaas_attack_netdev rx=1: netdev_rx_handler_register() with a handler
# that drops TCP to one port): the port is unreachable while another
# answers, and the check names "lo rx_handler": high, the handler in the
# module (tainted O and E). A transmit hook (xmit=1: lo's netdev_ops
# copied into the module's writable data with its own ndo_start_xmit):
# two findings for "lo netdev_ops", critical (the table is a copy, outside
# every read-only section) and high (ndo_start_xmit in the module). Each
# clean once unloaded. Traffic control, benign: sfq (sch_sfq.ko) as lo's
# root qdisc, a clsact qdisc with a cls_bpf filter (/vmiaas/bpf-fentry tc,
# a direct-action eBPF program through rtnetlink) and, on 6.12, a tcx
# program linked to lo's ingress (bpf-fentry tcx): events naming sch_sfq
# and the programs, no finding. A packet hider in the qdisc
# (vmiaas_attack_netdev qdisc=1: sfq's Qdisc_ops copied into the
# module's writable data with an enqueue dropping TCP to one port, the
# root qdisc pointed at it, its bypass flag cleared): the port is
# unreachable while another answers, and two findings for "lo qdisc":
# critical (a Qdisc_ops neither registered nor in the kernel image) and
# high (enqueue in the module); clean once unloaded. The guest has no NIC (scripts/guest starts QEMU
# with -nodefaults): the hiders are shown on lo, from inside the guest.
# vmiaas.ko's records (vmiaas_module_policy(), taken with the bridge and
# the macvlan up) run as the module runs them (tests/tools/module_policy:
# the same core/netdevwalk.c judgement): nothing fails with them; the
# netdev-hook record alone fails with the hider's rx_handler and with
# lo's netdev_ops copied, each named as vmid names the module's verdict
# ("lo rx_handler", "lo netdev_ops"); nothing once the module is gone
# (the record leaves traffic control to the full check).
# Runs on each kernel of KGENS (default: Debian 6.1 and 6.12), one boot.
. "$(dirname "$0")/../lib/guest.sh"
. "$(dirname "$0")/../lib/integrity.sh"
integrity_begin netdev 23

PORT=31340
bpf_fentry=$(guest_tool bpf-fentry) ||
	tap_bail "cannot build tests/guest/bpf-fentry.c statically"

# In the guest: sfq as lo's root qdisc, a cls_bpf filter on a clsact
# qdisc (bpf-fentry tc) and, with tcx, a tcx program (bpf-fentry tcx).
tc_cmds='i=$(cat /sys/class/net/lo/ifindex)
attached() {
	for n in $(seq 40); do
		[ "$(cat "$1")" = attached ] && return 0
		sleep 0.5
	done
	cat "$1"; return 1
}
/usr/sbin/tc qdisc add dev lo root sfq || exit 1
/vmiaas/bpf-fentry tc "$i" >/tmp/tc.out 2>&1 </dev/null &
attached /tmp/tc.out || exit 1'
tcx_cmds='
/vmiaas/bpf-fentry tcx "$i" >/tmp/tcx.out 2>&1 </dev/null &
attached /tmp/tcx.out'

# hider MODE HOW: vmiaas_attack_netdev MODE=1 port=$PORT loaded, then TCP
# to $PORT and $PORT+1 on 127.0.0.1 (listeners on both): a TAP check that
# $PORT is unreachable (the module's hits counted) and $PORT+1 answers
hider()
{
	local a b hits
	guest_run "insmod /vmiaas/modules/vmiaas_attack_netdev.ko $1=1 port=$PORT" \
		>"$work/$1.insmod" 2>&1 ||
		tap_diag "insmod vmiaas_attack_netdev $1=1: $(cat "$work/$1.insmod")"
	guest_run "nc -l -p $PORT 127.0.0.1 >/dev/null 2>&1 </dev/null &
	nc -l -p $((PORT + 1)) 127.0.0.1 >/dev/null 2>&1 </dev/null & sleep 1
	echo x | nc -w 3 127.0.0.1 $((PORT + 1)) 2>/dev/null; a=\$?
	echo x | nc -w 3 127.0.0.1 $PORT 2>/dev/null; b=\$?
	echo \$a \$b \$(cat /sys/module/vmiaas_attack_netdev/parameters/hits)
	pkill -f 'nc -l' 2>/dev/null; kill \$(pidof nc) 2>/dev/null" \
		>"$work/$1.nc" 2>&1
	read -r a b hits < <(grep -E '^[0-9]+ [0-9]+ [0-9]+$' "$work/$1.nc" | tail -n 1)
	tap_ok "[ '$a' = 0 ] && [ '${b:-0}' != 0 ] && [ '${hits:-0}' -ge 1 ]" \
		"$KGEN: $1: port $PORT unreachable through lo ($2: hits ${hits:-?}), port $((PORT + 1)) answers"
	tap_diag "$(tail -n 3 "$work/$1.nc")"
}

netdev_run()
{
integrity_start "$1" --test-modules --sys-tools --add "$bpf_fentry"
guest_run 'ip link set lo up' >/dev/null 2>&1
take_baseline
"$VMICTL" --json checks >"$work/checks.json"
tap_ok "jq -e '[.checks[].id] | index(\"netdev-hook\")' '$work/checks.json'" \
	"$KGEN: vmictl checks lists netdev-hook"
expect_clean clean "right after boot (lo on the kernel's own tables)"

# ---- benign: a bridge and a macvlan -----------------------------------------
tap_ok "guest_run 'modprobe dummy && modprobe bridge && modprobe macvlan &&
	ip link add d0 type dummy && ip link add br0 type bridge &&
	ip link set d0 master br0 && ip link add d1 type dummy &&
	ip link add mv0 link d1 type macvlan &&
	ip link set d0 up && ip link set br0 up && ip link set d1 up && ip link set mv0 up' >'$work/br.run' 2>&1" \
	"$KGEN: a bridge br0 over dummy d0, a macvlan mv0 over dummy d1"
tap_diag "$(head -c 600 "$work/br.run")"
check_json br
tap_ok "[ $st = 0 ] && jq -e '(.findings | length == 0) and ([.events[] | select(.check == \"netdev-hook\" and .object == \"d0 rx_handler\" and (.detail.message | test(\"module bridge \")))] | length == 1) and ([.events[] | select(.check == \"netdev-hook\" and .object == \"d1 rx_handler\" and (.detail.message | test(\"module macvlan \")))] | length == 1)' '$work/br.json'" \
	"$KGEN: bridge and macvlan: exit 0, no finding, events name bridge (d0 rx_handler) and macvlan (d1 rx_handler)"
tap_diag "$(cat "$work/br.err"; jq -c '.findings[], [.events[] | select(.check == "netdev-hook") | .object]' "$work/br.json" 2>/dev/null | cut -c1-400 | head -4)"
policy_take
tap_ok "grep -Eq '^check [0-9]+ type=16 flags=0 len=1 netdev-hook \\(4 function ranges, 4 table ranges\\); finding netdev-hook \"network devices\" critical\$' '$work/policy.txt'" \
	"$KGEN: module policy: a netdev-hook record allowing the kernel's text and bridge's, macvlan's and dummy's, the kernel's rodata and the three modules' tables"
tap_diag "$(grep 'type=16 ' "$work/policy.txt")"
policy_run br 0 "nothing fails with the bridge and the macvlan"

# ---- a packet hider on lo: an rx_handler that drops TCP to one port ---------
hider rx "its SYNs dropped"
expect_one rx netdev-hook '^lo rx_handler$' \
	".severity == \"high\" and (.detail.new_symbol | startswith(\"[vmiaas_attack_netdev]+\")) and (.detail.message | test(\"^the rx_handler of device lo .*vmiaas_attack_netdev is tainted [PF]*OE\"))" \
	"a high netdev-hook finding for lo rx_handler naming [vmiaas_attack_netdev]"
policy_run rx "$(policy_mask 16)" \
	"the netdev-hook record alone fails with the hider's rx_handler on lo"
tap_ok "grep -q '^found [0-9]* critical \"lo rx_handler\": the rx_handler of device lo (netns [0-9]*, rx_handler_data 0x[0-9a-f]*) points to 0x' '$work/rx.policy'" \
	"$KGEN: module policy: the record's verdict named as vmid names it: lo rx_handler and the handler"
unload_clean rx vmiaas_attack_netdev "rx: the rx_handler gone on unload"

# ---- a transmit hook: lo's netdev_ops on a copy ----------------------------
guest_run insmod /vmiaas/modules/vmiaas_attack_netdev.ko xmit=1 \
	>"$work/tx.insmod" 2>&1 || tap_diag "insmod vmiaas_attack_netdev xmit=1: $(cat "$work/tx.insmod")"
tap_ok "guest_run 'ping -c 1 -W 2 127.0.0.1 >/dev/null; [ \$(cat /sys/module/vmiaas_attack_netdev/parameters/hits) -ge 1 ]'" \
	"$KGEN: xmit: lo's packets go through the module's ndo_start_xmit (hits)"
expect_n tx 2 netdev-hook '^lo netdev_ops$' \
	"(.severity == \"critical\" and (.detail.message | test(\"^device lo .*its netdev_ops .*outside the kernel.s read-only data and every module.s\"))) or (.severity == \"high\" and (.detail.new_symbol | startswith(\"[vmiaas_attack_netdev]+\")) and (.detail.message | test(\"^the ndo_start_xmit of device lo.s netdev_ops .*vmiaas_attack_netdev is tainted [PF]*OE\")))" \
	"two findings for lo netdev_ops: critical, the table a writable copy; high, ndo_start_xmit in [vmiaas_attack_netdev]"
policy_run tx "$(policy_mask 16)" \
	"the netdev-hook record alone fails with lo's netdev_ops copied"
tap_ok "grep -q '^found [0-9]* critical \"lo netdev_ops\": device lo (0x[0-9a-f]*, netns [0-9]*): its netdev_ops 0x[0-9a-f]*: outside .*: a copy' '$work/tx.policy'" \
	"$KGEN: module policy: the record's verdict named as vmid names it: lo netdev_ops, a copy"
unload_clean tx vmiaas_attack_netdev "xmit: loopback's own netdev_ops back on unload"
policy_run tx-gone 0 "nothing fails once the module is gone"

# ---- traffic control: sfq, a cls_bpf filter, tcx (6.12) ---------------------
cmds=$tc_cmds
tcx_ev=true
if [ "$KGEN" != 6.1 ]; then
	cmds=$tc_cmds$tcx_cmds
	tcx_ev='([.events[] | select(.check == "netdev-hook" and .object == "lo tcx ingress" and (.detail.message | test("tcx ingress BPF program id [1-9][0-9]* [(]vmiaas_tcx[)] attached through bpf_link")))] | length == 1)'
fi
tap_ok "guest_run \"\$cmds\" >'$work/tc.run' 2>&1" \
	"$KGEN: sfq as lo's root qdisc, clsact with a cls_bpf filter$([ "$tcx_ev" = true ] || echo ', a tcx program')"
tap_diag "$(head -c 600 "$work/tc.run")"
check_json tc
tap_ok "[ $st = 0 ] && jq -e '(.findings | length == 0) and ([.events[] | select(.check == \"netdev-hook\" and .object == \"lo qdisc\" and (.detail.message | test(\"module sch_sfq \")))] | length == 1) and ([.events[] | select(.check == \"netdev-hook\" and .object == \"lo tc ingress\" and (.detail.message | test(\"cls_bpf filter 0x[0-9a-f]+ runs BPF program id [1-9][0-9]* [(]vmiaas_tc[)]\")))] | length == 1) and $tcx_ev' '$work/tc.json'" \
	"$KGEN: tc: exit 0, no finding, events for sch_sfq (lo qdisc) and the BPF programs"
tap_diag "$(cat "$work/tc.err"; jq -c '.findings[], [.events[] | select(.check == "netdev-hook" and (.object | test("^lo "))) | [.object, .detail.message[0:90]]]' "$work/tc.json" 2>/dev/null | cut -c1-900 | head -4)"

# ---- a packet hider in lo's root qdisc: a Qdisc_ops copy -------------------
hider qdisc "its SYNs dropped by the enqueue"
expect_n qd 2 netdev-hook '^lo qdisc$' \
	"(.severity == \"critical\" and (.detail.message | test(\"^device lo.s root qdisc sfq 0x[0-9a-f]+: its Qdisc_ops 0x[0-9a-f]+: not registered and outside the kernel image: a copy\"))) or (.severity == \"high\" and (.detail.new_symbol | startswith(\"[vmiaas_attack_netdev]+\")) and (.detail.message | test(\"^the enqueue of device lo.s root qdisc sfq .*vmiaas_attack_netdev is tainted [PF]*OE\")))" \
	"two findings for lo qdisc: critical, its Qdisc_ops an unregistered copy; high, enqueue in [vmiaas_attack_netdev]"
unload_clean qd vmiaas_attack_netdev "qdisc: sfq's own ops, enqueue and flags back on unload"
}

integrity_main netdev_run
