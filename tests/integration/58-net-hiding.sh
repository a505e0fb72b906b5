#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Network backdoors and connection hiders on a live Debian guest, each
# found and named. Benign first: Debian's own x_tables, ip_tables and
# iptable_filter (forward=0: the filter table and its hooks set up at
# load, in every namespace: their function is ip_tables' ipt_do_table)
# give events naming ip_tables, no finding. A magic-packet trigger
# (vmiaas_attack_nfhook, a PRE_ROUTING hook): the ICMP echo of "ping -s
# 42 -p 76" is seen and dropped (no reply), another ping is answered; a high
# netfilter-hook finding names "ipv4 PRE_ROUTING" and the module (tainted
# O and E). A connection hider (vmiaas_attack_procnet): /proc/net/tcp's
# seq_ops pointed at a copy in the module: the listening port disappears
# from /proc/net/tcp; a critical proc-ops finding names /proc/net/tcp,
# seq_ops and the module. A process hider (vmiaas_attack_procroot): the
# /proc root inode's i_fop pointed at a copy whose iterate_shared skips
# a pid: a critical proc-ops finding names "/proc (root inode)", i_fop
# and the module (vfs-ops names the same i_fop of "/proc (proc)"). Each
# unloaded: clean again. Packet taps: raw sockets
# (tests/guest/rawsock: an ETH_P_ALL one on ptype_all, an ETH_P_IP one
# with a receive ring on lo's ptype_specific; af_packet is built in)
# give no finding; a magic-packet trigger on ptype_all
# (vmiaas_attack_ptype, dev_add_pack()) sees "ping -s 42 -p 77" (hits
# 1) and a high packet-tap finding names ETH_P_ALL and the module (tainted
# O and E), clean once unloaded; the same tap bound to lo (on lo's own
# ptype_all) a finding naming "lo ETH_P_ALL"; last, the same tap with its handler
# copied to an executable page of the direct map (mode=heap): a critical
# packet-tap finding naming that page. vmiaas.ko's netfilter-hook,
# proc-ops and packet-tap records (vmiaas_module_policy(), taken with
# ip_tables hooking) are run as the module runs them
# (tests/tools/module_policy: the same core/nfhook.c, core/procwalk.c and
# core/ptypewalk.c walks): all pass with ip_tables and with the raw
# sockets; the netfilter-hook record alone fails with the trigger, the
# proc-ops record alone with the connection hider, it and the vfs-ops
# record (core/vfswalk.c: the hider's table in a module loaded after
# them) with the process hider (its table holds every kernel entry, its
# walk the root inodes), each named as vmid's finding names it, the packet-tap record
# alone with the tap (on ptype_all, on lo's); all pass again once each is
# gone. The trigger loaded before a second baseline: that baseline
# trusts its hook (a check: exit 0, the event "hook present at
# baseline" for ipv4 PRE_ROUTING), and the records taken with it
# (as vmid takes them) allow its text: none fails. Runs on each kernel
# of KGENS (default: Debian 6.1 and 6.12).
. "$(dirname "$0")/../lib/guest.sh"
. "$(dirname "$0")/../lib/integrity.sh"
integrity_begin nethide 42

rawsock=$(guest_tool rawsock) ||
	tap_bail "cannot build tests/guest/rawsock.c statically"

PORT=31338
PORT_HEX=$(printf '%04X' $PORT)

nethide_run()
{
local nf
nf=$(debian_modules "$1" "$1-nf" net/netfilter/x_tables \
	net/ipv4/netfilter/ip_tables net/ipv4/netfilter/iptable_filter) || tap_bail "no x_tables/ip_tables/iptable_filter modules for $1"
integrity_start "$1" --test-modules --add "$nf/x_tables.ko" \
	--add "$nf/ip_tables.ko" --add "$nf/iptable_filter.ko" --add "$rawsock"
guest_run 'ip link set lo up' >/dev/null 2>&1
take_baseline
"$VMICTL" --json checks >"$work/checks.json"
tap_ok "jq -e '[.checks[].id] as \$i | [\"netfilter-hook\", \"proc-ops\", \"packet-tap\"] - \$i == []' '$work/checks.json'" \
	"$KGEN: vmictl checks lists netfilter-hook, proc-ops and packet-tap"
expect_clean clean "right after boot"

# ---- benign: an in-tree netfilter table ----------------------------------
guest_run 'insmod /vmiaas/x_tables.ko && insmod /vmiaas/ip_tables.ko &&
	insmod /vmiaas/iptable_filter.ko forward=0' >"$work/iptables.insmod" 2>&1 ||
	tap_diag "insmod iptable_filter: $(cat "$work/iptables.insmod")"
check_json iptables
tap_ok "[ $st = 0 ] && jq -e '(.findings | length == 0) and ([.events[] | select(.check == \"netfilter-hook\" and (.detail.message | test(\"module ip_tables \")))] | length >= 1)' '$work/iptables.json'" \
	"$KGEN: iptable_filter loaded (forward=0): exit 0, no finding, netfilter-hook events name ip_tables"
tap_diag "$(cat "$work/iptables.err"; jq -c '.findings[], [.events[] | select(.check == "netfilter-hook") | .detail.message][0:3]' "$work/iptables.json" 2>/dev/null | cut -c1-300 | head -4)"
policy_take
tap_ok "grep -q '^check [0-9]* type=8 flags=0 len=1 netfilter-hook (2 allowed ranges); finding netfilter-hook \"netfilter hooks\" critical\$' '$work/policy.txt'" \
	"$KGEN: module policy: a netfilter-hook record allowing the kernel's text and ip_tables' (the one hooking module)"
nr_watched=$(sed -n 's/^check [0-9]* type=9 flags=2 len=1 proc-ops (\([0-9]*\) watched entries, \/proc root inodes); finding proc-ops "\/proc entries" critical$/\1/p' "$work/policy.txt")
tap_ok "[ '${nr_watched:-0}' -ge 100 ] && [ \$(stat -c %s '$work/policy.bin.table') = \$((${nr_watched:-0} * 32)) ]" \
	"$KGEN: module policy: a proc-ops record watching every kernel /proc entry a baseline records (${nr_watched:-none}) and the /proc root inodes"
tap_ok "grep -q '^check [0-9]* type=10 flags=0 len=1 packet-tap (1 allowed ranges); finding packet-tap \"packet types\" critical\$' '$work/policy.txt'" \
	"$KGEN: module policy: a packet-tap record allowing the kernel's text (no module has a packet type)"
nr_ranges=$(sed -n 's/^check [0-9]* type=13 flags=0 len=\([0-9]*\) vfs-ops (\1 allowed ranges); finding vfs-ops "filesystem operations" critical$/\1/p' "$work/policy.txt")
tap_ok "[ '${nr_ranges:-0}' -ge 2 ] && [ \$(stat -c %s '$work/policy.bin.vfs') = \$((${nr_ranges:-0} * 16)) ]" \
	"$KGEN: module policy: a vfs-ops record (type 13) whose allowed ranges (${nr_ranges:-none}: the kernel's text and rodata, the modules' read-only memory) go in its own table"
tap_diag "$(grep 'type=\(8\|9\|10\|13\) ' "$work/policy.txt")"
nf_bit=$(sed -n 's/^check \([0-9]*\) type=8 .*/\1/p' "$work/policy.txt")
proc_bit=$(sed -n 's/^check \([0-9]*\) type=9 .*/\1/p' "$work/policy.txt")
policy_run iptables 0 "nothing fails with ip_tables hooking"

# ---- a magic-packet trigger ------------------------------------------------
guest_run insmod /vmiaas/modules/vmiaas_attack_nfhook.ko >"$work/nfhook.insmod" 2>&1 ||
	tap_diag "insmod vmiaas_attack_nfhook: $(cat "$work/nfhook.insmod")"
guest_run 'ping -c 1 -W 2 -s 41 -p 76 127.0.0.1 && ! ping -c 1 -W 2 -s 42 -p 76 127.0.0.1;
	echo $?; cat /sys/module/vmiaas_attack_nfhook/parameters/hits' >"$work/nfhook.ping" 2>&1
tap_is "$(tail -n 2 "$work/nfhook.ping" | tr '\n' ' ')" "0 1 " \
	"$KGEN: nfhook: the magic ping reached the PRE_ROUTING hook and got no reply (hits 1), another did"
expect_one nfhook netfilter-hook '^ipv4 PRE_ROUTING$' \
	".severity == \"high\" and (.detail.new_symbol | startswith(\"[vmiaas_attack_nfhook]+\")) and (.detail.message | test(\"vmiaas_attack_nfhook is tainted [PF]*OE\"))" \
	"a high netfilter-hook finding for ipv4 PRE_ROUTING naming [vmiaas_attack_nfhook] (tainted OE)"
policy_run nfhook "$(policy_mask 8)" \
	"the netfilter-hook record alone fails with the trigger's hook"
tap_ok "grep -q '^found ${nf_bit:-none} critical \"ipv4 PRE_ROUTING\": netfilter hook [0-9]* on ipv4 PRE_ROUTING of netns [0-9]*: 0x[0-9a-f]*, outside' '$work/nfhook.policy'" \
	"$KGEN: module policy: the netfilter-hook record names ipv4 PRE_ROUTING and the hook"
# the trigger present at a baseline: trusted, in the checks and the records
nfbase=$work/baseline-nfhook
vmictl_g baseline -o "$nfbase" --key "$key" >/dev/null 2>"$work/nfbase.err" ||
	tap_diag "baseline with the trigger: $(cat "$work/nfbase.err")"
check_json nftrusted "$nfbase"
tap_ok "[ $st = 0 ] && jq -e '(.findings | length == 0) and ([.events[] | select(.check == \"netfilter-hook\" and .object == \"ipv4 PRE_ROUTING\" and (.detail.message | test(\"^hook present at baseline: .*vmiaas_attack_nfhook .tainted [PF]*OE.\")))] | length == 1)' '$work/nftrusted.json'" \
	"$KGEN: nfhook loaded before a baseline: exit 0, the event 'hook present at baseline' for ipv4 PRE_ROUTING"
tap_diag "$(cat "$work/nfbase.err" "$work/nftrusted.err"; jq -c '.findings[], (.events[] | select(.check == "netfilter-hook"))' "$work/nftrusted.json" 2>/dev/null | cut -c1-300 | head -4)"
"$VMIAAS_BUILD/tests/tools/module_policy" --take "$work/policy-nf.bin" \
	--baseline "$nfbase" --key "$key" --shm "$GUEST_SHM" --qmp "$GUEST_QMP" \
	>"$work/policy-nf.txt" 2>&1 || tap_diag "module_policy --take --baseline: $(cat "$work/policy-nf.txt")"
"$VMIAAS_BUILD/tests/tools/module_policy" --run "$work/policy-nf.bin" \
	--shm "$GUEST_SHM" --qmp "$GUEST_QMP" >"$work/nftrusted.policy" 2>&1
tap_is "$(head -n 1 "$work/nftrusted.policy")" "failed=0 checks=$(grep -c '^check ' "$work/policy-nf.txt")" \
	"$KGEN: module policy taken with that baseline: nothing fails, the trusted module's text allowed (as vmiaas.ko runs its records)"
tap_diag "$(tail -n +2 "$work/nftrusted.policy" | cut -c1-300)"
guest_run rmmod vmiaas_attack_nfhook >/dev/null 2>&1
check_json nfhook-gone
tap_is "$st:$(nr_findings nfhook-gone)" "0:0" "$KGEN: nfhook: unregistered on unload: exit 0, no findings"
policy_run nfhook-gone 0 "nothing fails once the trigger is gone"

# ---- a connection hider ------------------------------------------------------
guest_run "nc -l -p $PORT 127.0.0.1 >/dev/null 2>&1 </dev/null & echo \$! >/tmp/nc.pid; sleep 1" >/dev/null 2>&1
tap_ok "guest_run 'grep -q \":$PORT_HEX 00000000:0000 0A\" /proc/net/tcp'" \
	"$KGEN: procnet: port $PORT listens and /proc/net/tcp lists it"
guest_run insmod /vmiaas/modules/vmiaas_attack_procnet.ko port=$PORT >"$work/procnet.insmod" 2>&1 ||
	tap_diag "insmod vmiaas_attack_procnet: $(cat "$work/procnet.insmod")"
tap_ok "guest_run '! grep -q \":$PORT_HEX \" /proc/net/tcp && [ -d /proc/\$(cat /tmp/nc.pid) ]'" \
	"$KGEN: procnet: the listener runs, /proc/net/tcp no longer lists port $PORT"
expect_one procnet proc-ops '^/proc/net/tcp$' \
	".severity == \"critical\" and (.detail.new_symbol | startswith(\"[vmiaas_attack_procnet]+\")) and (.detail.old_symbol | test(\"tcp4_seq_ops\")) and (.detail.message | test(\"seq_ops changed\"))" \
	"a critical proc-ops finding: /proc/net/tcp's seq_ops from tcp4_seq_ops to [vmiaas_attack_procnet]"
policy_run procnet "$(policy_mask 9)" \
	"the proc-ops record alone fails with /proc/net/tcp's seq_ops swapped"
tap_ok "grep -q '^found ${proc_bit:-none} critical \"/proc/net/tcp\": /proc/net/tcp: seq_ops changed since the checks were registered: 0x[0-9a-f]* -> 0x[0-9a-f]* (module memory)\$' '$work/procnet.policy'" \
	"$KGEN: module policy: the proc-ops record names /proc/net/tcp's seq_ops, old and new, in module memory (as vmid's finding from the module's event)"
guest_run 'rmmod vmiaas_attack_procnet; kill $(cat /tmp/nc.pid)' >/dev/null 2>&1
check_json procnet-gone
tap_is "$st:$(nr_findings procnet-gone)" "0:0" "$KGEN: procnet: pointer restored on unload: exit 0, no findings"
policy_run procnet-gone 0 "nothing fails once the connection hider is gone"

# ---- a process hider through /proc's root inode --------------------------------
pid=$(guest_run 'sleep 1000 >/dev/null 2>&1 </dev/null & echo $!')
guest_run "insmod /vmiaas/modules/vmiaas_attack_procroot.ko name=$pid" >"$work/procroot.insmod" 2>&1 ||
	tap_diag "insmod vmiaas_attack_procroot: $(cat "$work/procroot.insmod")"
tap_ok "guest_run '! ls /proc | grep -qx \"$pid\" && kill -0 \"$pid\"'" \
	"$KGEN: procroot: process $pid runs, ls /proc no longer lists it"
check_json procroot
tap_ok "[ $st = 1 ] && jq -e '(.findings | length == 2) and ([.findings[] | select(.check == \"proc-ops\" and .object == \"/proc (root inode)\" and .severity == \"critical\" and (.detail.new_symbol | startswith(\"[vmiaas_attack_procroot]+\")) and (.detail.old_symbol | test(\"proc_root_operations\")) and (.detail.message | test(\"i_fop changed\")))] | length == 1) and ([.findings[] | select(.check == \"vfs-ops\" and .object == \"/proc (proc)\" and (.detail.new_symbol | startswith(\"[vmiaas_attack_procroot]+\")))] | length == 1)' '$work/procroot.json'" \
	"$KGEN: procroot: exit 1, a critical proc-ops finding: the /proc root inode's i_fop from proc_root_operations to [vmiaas_attack_procroot]; vfs-ops names /proc too"
tap_diag "$(cat "$work/procroot.err"; jq -c '.findings[] | [.check, .severity, .object, .detail.message]' "$work/procroot.json" 2>/dev/null | cut -c1-300 | head -4)"
policy_run procroot "$(printf '%#x' $(($(policy_mask 9) | $(policy_mask 13))))" \
	"the proc-ops and vfs-ops records fail with the /proc root inode's i_fop swapped (and no other)"
tap_ok "grep -q '^found ${proc_bit:-none} critical \"/proc (root inode)\": /proc (root inode): i_fop changed since the checks were registered: 0x[0-9a-f]* -> 0x[0-9a-f]* (module memory)\$' '$work/procroot.policy'" \
	"$KGEN: module policy: the proc-ops record names the /proc root inode's i_fop, in module memory"
guest_run "rmmod vmiaas_attack_procroot; kill $pid" >/dev/null 2>&1
check_json procroot-gone
tap_is "$st:$(nr_findings procroot-gone)" "0:0" "$KGEN: procroot: i_fop restored on unload: exit 0, no findings"
policy_run procroot-gone 0 "nothing fails once the process hider is gone"

# ---- packet taps ---------------------------------------------------------------
guest_run '/vmiaas/rawsock lo >/tmp/rawsock.out 2>&1 </dev/null &
	for i in $(seq 20); do [ -s /tmp/rawsock.out ] && break; sleep 0.2; done; cat /tmp/rawsock.out' >"$work/rawsock.out" 2>&1
check_json rawsock
tap_ok "grep -qx open '$work/rawsock.out' && [ $st = 0 ] && jq -e '(.findings | length == 0) and ([.events[] | select(.check == \"packet-tap\")] | length == 0)' '$work/rawsock.json'" \
	"$KGEN: raw sockets open (ETH_P_ALL; ETH_P_IP on lo with a ring): exit 0, no finding, no packet-tap event"
tap_diag "$(cat "$work/rawsock.out" "$work/rawsock.err"; jq -c '.findings[]' "$work/rawsock.json" 2>/dev/null | cut -c1-300 | head -4)"

guest_run insmod /vmiaas/modules/vmiaas_attack_ptype.ko >"$work/ptype.insmod" 2>&1 ||
	tap_diag "insmod vmiaas_attack_ptype: $(cat "$work/ptype.insmod")"
guest_run 'ping -c 1 -W 2 -s 41 -p 77 127.0.0.1 >/dev/null; ping -c 1 -W 2 -s 42 -p 77 127.0.0.1 >/dev/null;
	cat /sys/module/vmiaas_attack_ptype/parameters/hits' >"$work/ptype.ping" 2>&1
tap_is "$(tail -n 1 "$work/ptype.ping")" 1 \
	"$KGEN: ptype: the ETH_P_ALL tap saw the magic ping and no other (hits 1)"
expect_one ptype packet-tap '^ETH_P_ALL$' \
	".severity == \"high\" and (.detail.new_symbol | startswith(\"[vmiaas_attack_ptype]+\")) and (.detail.message | test(\"on ptype_all .*vmiaas_attack_ptype is tainted [PF]*OE\"))" \
	"a high packet-tap finding for ETH_P_ALL on ptype_all naming [vmiaas_attack_ptype] (tainted OE)"
policy_run ptype "$(policy_mask 10)" \
	"the packet-tap record alone fails with the tap on ptype_all"
guest_run rmmod vmiaas_attack_ptype >/dev/null 2>&1
check_json ptype-gone
tap_is "$st:$(nr_findings ptype-gone)" "0:0" "$KGEN: ptype: removed on unload: exit 0, no findings"
policy_run ptype-gone 0 "nothing fails once the tap is gone"

# The same tap bound to one device: on lo's own ptype_all.
guest_run 'insmod /vmiaas/modules/vmiaas_attack_ptype.ko ifname=lo &&
	ping -c 1 -W 2 -s 42 -p 77 127.0.0.1 >/dev/null; cat /sys/module/vmiaas_attack_ptype/parameters/hits' >"$work/ptype-lo.out" 2>&1
tap_is "$(tail -n 1 "$work/ptype-lo.out")" 1 "$KGEN: ptype ifname=lo: the tap on lo saw the magic ping (hits 1)"
expect_one ptype-lo packet-tap '^lo ETH_P_ALL$' \
	".severity == \"high\" and (.detail.new_symbol | startswith(\"[vmiaas_attack_ptype]+\")) and (.detail.message | test(\"on lo.s ptype_all \"))" \
	"a high packet-tap finding for lo ETH_P_ALL, on lo's ptype_all"
policy_run ptype-lo "$(policy_mask 10)" \
	"the packet-tap record alone fails with the tap on lo's ptype_all"
guest_run rmmod vmiaas_attack_ptype >/dev/null 2>&1
check_json ptype-lo-gone
tap_is "$st:$(nr_findings ptype-lo-gone)" "0:0" "$KGEN: ptype ifname=lo: removed on unload: exit 0, no findings"

# The handler in an executable page of the direct map (last: the page stays).
guest_run 'ro=$(grep " set_memory_ro$" /proc/kallsyms | cut -d" " -f1)
	x=$(grep " set_memory_x$" /proc/kallsyms | cut -d" " -f1)
	insmod /vmiaas/modules/vmiaas_attack_ptype.ko mode=heap setro=0x$ro setx=0x$x &&
	ping -c 1 -W 2 127.0.0.1 >/dev/null; dmesg | grep "tap code at" | tail -n 1;
	cat /sys/module/vmiaas_attack_ptype/parameters/hits' >"$work/ptype-heap.out" 2>&1
code=$(sed -n 's/.*tap code at \(0x[0-9a-f]*\).*/\1/p' "$work/ptype-heap.out")
tap_ok "[ -n '$code' ] && [ \"\$(tail -n 1 '$work/ptype-heap.out')\" -ge 1 ] 2>/dev/null" \
	"$KGEN: ptype mode=heap: the copied handler at ${code:-?} counted packets ($(tail -n 1 "$work/ptype-heap.out"))"
check_json ptype-heap
tap_ok "[ $st = 1 ] && jq -e --arg code '${code:-none}' '[.findings[] | select(.check == \"packet-tap\")] as \$p | (\$p | length == 1) and (\$p[0].object == \"ETH_P_ALL\") and (\$p[0].severity == \"critical\") and (\$p[0].detail.new == \$code) and (\$p[0].detail.message | test(\"outside the kernel.s text and every live module.s text\"))' '$work/ptype-heap.json'" \
	"$KGEN: ptype mode=heap: one critical packet-tap finding for ETH_P_ALL naming the page ${code:-?}"
tap_diag "$(jq -c '.findings[] | [.check, .severity, .object, .detail.new, .detail.message]' "$work/ptype-heap.json" 2>/dev/null | cut -c1-300 | head -4)"
}

integrity_main nethide_run
