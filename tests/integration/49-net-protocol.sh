#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Transport protocol handlers (net-protocol) on a live Debian guest. Right
# after boot: every protocol the kernel registers itself (icmp, igmp, tcp,
# udp, pim, udplite; ipv6's) holds the kernel's own struct: no finding.
# Benign: Debian's gre (IPPROTO_GRE) and tunnel4 (IPPROTO_IPIP, IPV6)
# register protocols of their own: events naming them, no finding. A
# magic-packet trigger (vmiaas_attack_netproto) takes ICMP over with
# inet_del_protocol() and inet_add_protocol() of its own struct: "ping -s
# 42 -p 78" is swallowed (hits 1, no reply), another ping is answered
# through icmp_rcv(); the check names "ipv4 1 (icmp)" twice: critical,
# the slot no longer holds icmp_protocol, and high, the handler in the
# module (tainted O and E). Clean once unloaded. The same module on an
# unused protocol number (253): a high finding for "ipv4 253". The socket
# side: udp_prot's recvmsg (struct proto on proto_list, writable data)
# pointed at the module: a high finding for "proto UDP". Last, a guest
# booted with ipv6.disable=1 (no IPv6 protocol registered): clean. Runs
# on each kernel of KGENS (default: Debian 6.1 and 6.12).
. "$(dirname "$0")/../lib/guest.sh"
. "$(dirname "$0")/../lib/integrity.sh"
integrity_begin netproto 14

netproto_run()
{
local mods
mods=$(debian_modules "$1" "$1-np" net/ipv4/gre net/ipv4/tunnel4) ||
	tap_bail "no gre/tunnel4 modules for $1"
integrity_start "$1" --test-modules --add "$mods/gre.ko" --add "$mods/tunnel4.ko"
guest_run 'ip link set lo up' >/dev/null 2>&1
take_baseline
"$VMICTL" --json checks >"$work/checks.json"
tap_ok "jq -e '[.checks[].id] | index(\"net-protocol\")' '$work/checks.json'" \
	"$KGEN: vmictl checks lists net-protocol"
expect_clean clean "right after boot (every kernel protocol on its own struct)"

# ---- benign: in-tree modules' protocols --------------------------------
guest_run 'insmod /vmiaas/gre.ko && insmod /vmiaas/tunnel4.ko' \
	>"$work/gre.insmod" 2>&1 || tap_diag "insmod gre, tunnel4: $(cat "$work/gre.insmod")"
check_json gre
tap_ok "[ $st = 0 ] && jq -e '(.findings | length == 0) and ([.events[] | select(.check == \"net-protocol\" and .object == \"ipv4 47 (gre)\" and (.detail.message | test(\"module gre \")))] | length == 1) and ([.events[] | select(.check == \"net-protocol\" and .object == \"ipv4 4 (ipip)\" and (.detail.message | test(\"module tunnel4 \")))] | length == 1)' '$work/gre.json'" \
	"$KGEN: gre and tunnel4 loaded: exit 0, no finding, net-protocol events name gre (ipv4 47) and tunnel4 (ipv4 4)"
tap_diag "$(cat "$work/gre.err"; jq -c '.findings[], [.events[] | select(.check == "net-protocol") | .object]' "$work/gre.json" 2>/dev/null | cut -c1-300 | head -4)"

# ---- a magic-packet trigger on ICMP -----------------------------------------
guest_run insmod /vmiaas/modules/vmiaas_attack_netproto.ko >"$work/np.insmod" 2>&1 ||
	tap_diag "insmod vmiaas_attack_netproto: $(cat "$work/np.insmod")"
guest_run 'ping -c 1 -W 2 -s 41 -p 78 127.0.0.1 >/dev/null && ! ping -c 1 -W 2 -s 42 -p 78 127.0.0.1 >/dev/null;
	echo $?; cat /sys/module/vmiaas_attack_netproto/parameters/hits' >"$work/np.ping" 2>&1
tap_is "$(tail -n 2 "$work/np.ping" | tr '\n' ' ')" "0 1 " \
	"$KGEN: netproto: the magic ping was swallowed by the ICMP handler (hits 1, no reply), another was answered"
expect_n np 2 net-protocol '^ipv4 1 .icmp.$' \
	"(.severity == \"critical\" and (.detail.message | test(\"inet_protos.1. holds [[]vmiaas_attack_netproto[]][+]0x[0-9a-f]*, not icmp_protocol\"))) or (.severity == \"high\" and (.detail.new_symbol | startswith(\"[vmiaas_attack_netproto]+\")) and (.detail.message | test(\"^the handler of inet_protos.1. .*vmiaas_attack_netproto is tainted [PF]*OE\")))" \
	"two findings for ipv4 1 (icmp): critical, the slot not on icmp_protocol; high, the handler in [vmiaas_attack_netproto] (tainted OE)"
tap_ok "jq -e '[.findings[].severity] | sort == [\"critical\", \"high\"]' '$work/np.json'" \
	"$KGEN: netproto: one critical (the slot) and one high (the handler)"
unload_clean np vmiaas_attack_netproto "netproto: icmp_protocol back on unload"

# ---- the same on a protocol number nothing uses --------------------------------
guest_run insmod /vmiaas/modules/vmiaas_attack_netproto.ko proto=253 >"$work/np253.insmod" 2>&1 ||
	tap_diag "insmod vmiaas_attack_netproto proto=253: $(cat "$work/np253.insmod")"
expect_one np253 net-protocol '^ipv4 253$' \
	".severity == \"high\" and (.detail.new_symbol | startswith(\"[vmiaas_attack_netproto]+\")) and (.detail.message | test(\"^the handler of inet_protos.253. \"))" \
	"a high net-protocol finding for ipv4 253 naming [vmiaas_attack_netproto]'s handler"
unload_clean np253 vmiaas_attack_netproto "netproto proto=253: removed on unload"

# ---- the socket side: udp_prot.recvmsg ------------------------------------------
guest_run insmod /vmiaas/modules/vmiaas_attack_netproto.ko recvmsg=1 >"$work/nprecv.insmod" 2>&1 ||
	tap_diag "insmod vmiaas_attack_netproto recvmsg=1: $(cat "$work/nprecv.insmod")"
expect_one nprecv net-protocol '^proto UDP$' \
	".severity == \"high\" and (.detail.new_symbol | startswith(\"[vmiaas_attack_netproto]+\")) and (.detail.message | test(\"^the recvmsg of struct proto 0x[0-9a-f]* .UDP. calls .*vmiaas_attack_netproto is tainted [PF]*OE\"))" \
	"a high net-protocol finding for proto UDP: udp_prot's recvmsg in [vmiaas_attack_netproto]"
unload_clean nprecv vmiaas_attack_netproto "netproto recvmsg=1: udp_recvmsg back on unload"

# ---- booted with ipv6.disable=1: IPv6's protocols never registered -----------------
guest_stop "$GUEST_DIR" >/dev/null 2>&1
integrity_start "$1" --append ipv6.disable=1
take_baseline "ipv6.disable=1: baseline"
expect_clean nov6 "ipv6.disable=1 (IPv6's slots empty by design)"
}

integrity_main netproto_run
