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
# pointed at the module: a high finding for "proto UDP". The socket
# layer's tables (the guest has ss: scripts/guest --sys-tools): ss -t,
# -u, -x, -0 and -A netlink load Debian's inet_diag, tcp_diag, udp_diag,
# unix_diag, af_packet_diag and netlink_diag on demand: no finding. A
# connection hider for ss (diag=1): sock_diag_handlers[AF_INET] on a
# copy whose dump adds a filter: "ss -tln" no longer lists the listener's
# port while /proc/net/tcp does; critical, the slot not on [inet_diag]
# inet_diag_handler, and high, the dump in the module. A socket() hook
# (family=1): net_families[AF_INET] on a copy of inet_family_ops whose
# create counts: critical (the slot) and high (create). Each clean once
# unloaded. Benign again: Debian's sctp (with its dependencies) adds
# socket types to inetsw[] and inetsw6[] and GRO offloads to
# inet_offloads[] and inet6_offloads[]: events naming sctp, no finding;
# clean once removed. A socket-type hook (protosw=1): tcp's inet_protosw
# (inetsw_array[0]) on a copy of inet_stream_ops whose recvmsg counts: a
# new TCP connection's data goes through it (hits); critical, the entry's
# ops not inet_stream_ops, and high, recvmsg in the module. A GRO hook
# (gro=1): inet_offloads[17] on a copy of udp's offload: critical, the
# slot not on udpv4_offload, and high, gro_receive in the module. Last, a guest booted with ipv6.disable=1 (no IPv6 protocol
# or family registered): clean. vmiaas.ko's record (type 15,
# tests/tools/module_policy: the same core/protowalk.c code the module
# runs) on the live kernel: taken right after boot and again after each
# set of benign modules (their text joins the allowed ranges), clean;
# the ICMP trigger, the udp_prot recvmsg, the socket-type and the GRO
# hooks each fail it alone, named as vmid names them. Runs on each
# kernel of KGENS (default: Debian 6.1 and 6.12).
. "$(dirname "$0")/../lib/guest.sh"
. "$(dirname "$0")/../lib/integrity.sh"
integrity_begin netproto 41

PORT=31339
PORT_HEX=$(printf '%04X' $PORT)

netproto_run()
{
local mods
local m sctp=(crypto/crc32c_generic lib/libcrc32c net/ipv4/udp_tunnel
	net/ipv6/ip6_udp_tunnel net/sctp/sctp) add=()
mods=$(debian_modules "$1" "$1-np" net/ipv4/gre net/ipv4/tunnel4 "${sctp[@]}") ||
	tap_bail "no gre/tunnel4/sctp modules for $1"
for m in gre tunnel4 "${sctp[@]##*/}"; do add+=(--add "$mods/$m.ko"); done
integrity_start "$1" --test-modules --sys-tools "${add[@]}"
guest_run 'ip link set lo up' >/dev/null 2>&1
take_baseline
"$VMICTL" --json checks >"$work/checks.json"
tap_ok "jq -e '[.checks[].id] | index(\"net-protocol\")' '$work/checks.json'" \
	"$KGEN: vmictl checks lists net-protocol"
expect_clean clean "right after boot (every kernel protocol on its own struct)"
policy_take
tap_ok "grep -q '^check [0-9]* type=15 flags=0 len=1 net-protocol ([1-9][0-9]* allowed ranges); finding net-protocol \"protocol handlers\" critical\$' '$work/policy.txt'" \
	"$KGEN: module policy: a net-protocol record (7 tables, proto_list, offload_base, inetsw, inetsw6) allowing the kernel's text"
tap_diag "$(grep 'type=15' "$work/policy.txt")"
policy_run boot 0 "nothing fails right after boot"

# ---- benign: in-tree modules' protocols --------------------------------
guest_run 'insmod /vmiaas/gre.ko && insmod /vmiaas/tunnel4.ko' \
	>"$work/gre.insmod" 2>&1 || tap_diag "insmod gre, tunnel4: $(cat "$work/gre.insmod")"
check_json gre
tap_ok "[ $st = 0 ] && jq -e '(.findings | length == 0) and ([.events[] | select(.check == \"net-protocol\" and .object == \"ipv4 47 (gre)\" and (.detail.message | test(\"module gre \")))] | length == 1) and ([.events[] | select(.check == \"net-protocol\" and .object == \"ipv4 4 (ipip)\" and (.detail.message | test(\"module tunnel4 \")))] | length == 1)' '$work/gre.json'" \
	"$KGEN: gre and tunnel4 loaded: exit 0, no finding, net-protocol events name gre (ipv4 47) and tunnel4 (ipv4 4)"
tap_diag "$(cat "$work/gre.err"; jq -c '.findings[], [.events[] | select(.check == "net-protocol") | .object]' "$work/gre.json" 2>/dev/null | cut -c1-300 | head -4)"
policy_take
policy_run gre 0 "taken again with gre and tunnel4 loaded (untainted, with handlers: allowed), nothing fails"

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
policy_run np "$(policy_mask 15)" \
	"the net-protocol record alone fails with the trigger on ICMP"
tap_ok "grep -q '^found [0-9]* critical \"inet_protos\[1\]\": inet_protos\[1\]: the function at +0 of struct 0x[0-9a-f]* points to 0x' '$work/np.policy'" \
	"$KGEN: module policy: what the module names is inet_protos[1] and the handler"
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
policy_run nprecv "$(policy_mask 15)" \
	"the net-protocol record alone fails with udp_prot's recvmsg in the module"
tap_ok "grep -q '^found [0-9]* critical \"proto@[0-9a-f]*\": .* points to 0x' '$work/nprecv.policy'" \
	"$KGEN: module policy: what the module names is udp_prot (proto@ADDR) and its recvmsg"
unload_clean nprecv vmiaas_attack_netproto "netproto recvmsg=1: udp_recvmsg back on unload"

# ---- benign: ss loads Debian's socket diagnostics modules -------------------
guest_run "nc -l -p $PORT 127.0.0.1 >/dev/null 2>&1 </dev/null &
	nc -l -p $((PORT + 1)) 127.0.0.1 >/dev/null 2>&1 </dev/null & sleep 1
	ss -tuln >/tmp/ss.out && ss -xl >/dev/null && ss -0 >/dev/null && ss -A netlink >/dev/null" \
	>"$work/ss.run" 2>&1 || tap_diag "ss: $(cat "$work/ss.run")"
tap_ok "guest_run 'grep -q \"127.0.0.1:$PORT \" /tmp/ss.out && grep -q \"^inet_diag \" /proc/modules && grep -q \"^tcp_diag \" /proc/modules && grep -q \"^unix_diag \" /proc/modules'" \
	"$KGEN: ss lists port $PORT, inet_diag, tcp_diag and unix_diag loaded on demand"
check_json diag
tap_ok "[ $st = 0 ] && jq -e '(.findings | length == 0) and ([.events[] | select(.check == \"net-protocol\" and .object == \"sock_diag 2 (inet)\" and (.detail.message | test(\"module inet_diag \")))] | length == 1)' '$work/diag.json'" \
	"$KGEN: diag modules loaded: exit 0, no finding, an event names inet_diag for sock_diag 2 (inet)"
tap_diag "$(cat "$work/diag.err"; jq -c '.findings[], [.events[] | select(.check == "net-protocol") | .object]' "$work/diag.json" 2>/dev/null | cut -c1-300 | head -4)"

# ---- a connection hider for ss: sock_diag_handlers[AF_INET] -----------------
guest_run "insmod /vmiaas/modules/vmiaas_attack_netproto.ko diag=1 table=0x$(ksym sock_diag_handlers) port=$PORT" \
	>"$work/npdiag.insmod" 2>&1 || tap_diag "insmod vmiaas_attack_netproto diag=1: $(cat "$work/npdiag.insmod")"
tap_ok "guest_run 'ss -tln >/tmp/ss2.out && ! grep -q \":$PORT \" /tmp/ss2.out && grep -q \":$((PORT + 1)) \" /tmp/ss2.out && grep -q \":$PORT_HEX 00000000:0000 0A\" /proc/net/tcp && [ \$(cat /sys/module/vmiaas_attack_netproto/parameters/hits) -ge 1 ]'" \
	"$KGEN: npdiag: ss -tln lists port $((PORT + 1)) but no longer $PORT, which /proc/net/tcp still lists"
tap_diag "$(guest_run 'cat /tmp/ss2.out; dmesg | tail -n 3' 2>&1 | head -8)"
expect_n npdiag 2 net-protocol '^sock_diag 2 .inet.$' \
	"(.severity == \"critical\" and (.detail.message | test(\"sock_diag_handlers.2. holds [[]vmiaas_attack_netproto[]][+]0x[0-9a-f]*, not [[]inet_diag[]] inet_diag_handler\"))) or (.severity == \"high\" and (.detail.new_symbol | startswith(\"[vmiaas_attack_netproto]+\")) and (.detail.message | test(\"^the dump of sock_diag_handlers.2. .*vmiaas_attack_netproto is tainted [PF]*OE\")))" \
	"two findings for sock_diag 2 (inet): critical, the slot not on [inet_diag] inet_diag_handler; high, the dump in [vmiaas_attack_netproto] (tainted OE)"
unload_clean npdiag vmiaas_attack_netproto "npdiag: inet_diag_handler back on unload"

# ---- a socket() hook: net_families[AF_INET] ---------------------------------------
guest_run "insmod /vmiaas/modules/vmiaas_attack_netproto.ko family=1 table=0x$(ksym net_families)" \
	>"$work/npfam.insmod" 2>&1 || tap_diag "insmod vmiaas_attack_netproto family=1: $(cat "$work/npfam.insmod")"
tap_ok "guest_run 'ping -c 1 -W 2 127.0.0.1 >/dev/null; [ \$(cat /sys/module/vmiaas_attack_netproto/parameters/hits) -ge 1 ]'" \
	"$KGEN: npfam: AF_INET socket() goes through the module's create (hits)"
expect_n npfam 2 net-protocol '^family 2 .inet.$' \
	"(.severity == \"critical\" and (.detail.message | test(\"net_families.2. holds [[]vmiaas_attack_netproto[]][+]0x[0-9a-f]*, not inet_family_ops\"))) or (.severity == \"high\" and (.detail.new_symbol | startswith(\"[vmiaas_attack_netproto]+\")) and (.detail.message | test(\"^the create of net_families.2. .*vmiaas_attack_netproto is tainted [PF]*OE\")))" \
	"two findings for family 2 (inet): critical, the slot not on inet_family_ops; high, create in [vmiaas_attack_netproto] (tainted OE)"
unload_clean npfam vmiaas_attack_netproto "npfam: inet_family_ops back on unload"

# ---- benign: sctp's socket types and GRO offloads ----------------------------------
guest_run 'for m in crc32c_generic libcrc32c udp_tunnel ip6_udp_tunnel sctp; do insmod /vmiaas/$m.ko || exit 1; done' \
	>"$work/sctp.insmod" 2>&1 || tap_diag "insmod sctp: $(cat "$work/sctp.insmod")"
check_json sctp
tap_ok "[ $st = 0 ] && jq -e '(.findings | length == 0) and ([.events[] | select(.check == \"net-protocol\" and (.object | test(\"^inetsw6? (stream|seqpacket) 132 .sctp.$\")) and (.detail.message | test(\"module sctp \")))] | length == 4) and ([.events[] | select(.check == \"net-protocol\" and (.object | test(\"^gro ipv[46] 132 .sctp.$\")) and (.detail.message | test(\"module sctp \")))] | length == 2)' '$work/sctp.json'" \
	"$KGEN: sctp loaded: exit 0, no finding, events name sctp for its 4 socket types (inetsw, inetsw6) and 2 offloads"
tap_diag "$(cat "$work/sctp.err"; jq -c '.findings[], [.events[] | select(.check == "net-protocol") | .object]' "$work/sctp.json" 2>/dev/null | cut -c1-400 | head -4)"
unload_clean sctp sctp "sctp removed"
policy_take
policy_run sw-before 0 "taken again with the diag modules loaded, nothing fails"

# ---- a socket-type hook: tcp's inet_protosw on a copy of its ops --------------------
guest_run "insmod /vmiaas/modules/vmiaas_attack_netproto.ko protosw=1 table=0x$(ksym inetsw_array)" \
	>"$work/npsw.insmod" 2>&1 || tap_diag "insmod vmiaas_attack_netproto protosw=1: $(cat "$work/npsw.insmod")"
tap_ok "guest_run 'nc -l -p $((PORT + 2)) 127.0.0.1 >/tmp/sw.out 2>/dev/null </dev/null & sleep 1
	echo magic | timeout 3 nc 127.0.0.1 $((PORT + 2)); sleep 1; kill \$! 2>/dev/null
	grep -q magic /tmp/sw.out && [ \$(cat /sys/module/vmiaas_attack_netproto/parameters/hits) -ge 1 ]'" \
	"$KGEN: npsw: a new TCP connection's data is read through the module's recvmsg (hits)"
expect_n npsw 2 net-protocol '^inetsw stream 6 .tcp.$' \
	"(.severity == \"critical\" and (.detail.message | test(\"inetsw.s entry inetsw_array .0x[0-9a-f]*.: ops is [[]vmiaas_attack_netproto[]][+]0x[0-9a-f]*, not inet_stream_ops\"))) or (.severity == \"high\" and (.detail.new_symbol | startswith(\"[vmiaas_attack_netproto]+\")) and (.detail.message | test(\"^the recvmsg of inetsw.1..s entry .*vmiaas_attack_netproto is tainted [PF]*OE\")))" \
	"two findings for inetsw stream 6 (tcp): critical, the entry's ops not inet_stream_ops; high, recvmsg in [vmiaas_attack_netproto] (tainted OE)"
policy_run npsw "$(policy_mask 15)" \
	"the net-protocol record alone fails with tcp's entry on the copied ops"
tap_ok "grep -q '^found [0-9]* critical \"inetsw\[1\]\": inetsw\[1\]: the function at +0x[0-9a-f]* of the proto_ops 0x[0-9a-f]* of entry 0x[0-9a-f]* points to 0x' '$work/npsw.policy'" \
	"$KGEN: module policy: what the module names is inetsw[1], the copied proto_ops and the entry"
unload_clean npsw vmiaas_attack_netproto "npsw: inet_stream_ops back on unload"

# ---- a GRO hook: inet_offloads[IPPROTO_UDP] on a copy -----------------------------
guest_run "insmod /vmiaas/modules/vmiaas_attack_netproto.ko gro=1" \
	>"$work/npgro.insmod" 2>&1 || tap_diag "insmod vmiaas_attack_netproto gro=1: $(cat "$work/npgro.insmod")"
expect_n npgro 2 net-protocol '^gro ipv4 17 .udp.$' \
	"(.severity == \"critical\" and (.detail.message | test(\"inet_offloads.17. holds [[]vmiaas_attack_netproto[]][+]0x[0-9a-f]*, not udpv4_offload\"))) or (.severity == \"high\" and (.detail.new_symbol | startswith(\"[vmiaas_attack_netproto]+\")) and (.detail.message | test(\"^the callbacks.gro_receive of inet_offloads.17. .*vmiaas_attack_netproto is tainted [PF]*OE\")))" \
	"two findings for gro ipv4 17 (udp): critical, the slot not on udpv4_offload; high, gro_receive in [vmiaas_attack_netproto] (tainted OE)"
policy_run npgro "$(policy_mask 15)" \
	"the net-protocol record alone fails with udp's offload on the copy"
tap_ok "grep -q '^found [0-9]* critical \"inet_offloads\[17\]\": inet_offloads\[17\]: the function at +0x8 of struct 0x[0-9a-f]* points to 0x' '$work/npgro.policy'" \
	"$KGEN: module policy: what the module names is inet_offloads[17] and gro_receive"
unload_clean npgro vmiaas_attack_netproto "npgro: udp's offload back on unload"

# ---- booted with ipv6.disable=1: IPv6's protocols never registered -----------------
guest_stop "$GUEST_DIR" >/dev/null 2>&1
integrity_start "$1" --append ipv6.disable=1
take_baseline "ipv6.disable=1: baseline"
expect_clean nov6 "ipv6.disable=1 (IPv6's slots empty by design)"
}

integrity_main netproto_run
