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
# clean once unloaded. The guest has no NIC (scripts/guest starts QEMU
# with -nodefaults): the hider is shown on lo, from inside the guest.
# Runs on each kernel of KGENS (default: Debian 6.1 and 6.12), one boot.
. "$(dirname "$0")/../lib/guest.sh"
. "$(dirname "$0")/../lib/integrity.sh"
integrity_begin netdev 11

PORT=31340

netdev_run()
{
integrity_start "$1" --test-modules --sys-tools
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

# ---- a packet hider on lo: an rx_handler that drops TCP to one port ---------
guest_run "insmod /vmiaas/modules/vmiaas_attack_netdev.ko rx=1 port=$PORT" \
	>"$work/rx.insmod" 2>&1 || tap_diag "insmod vmiaas_attack_netdev rx=1: $(cat "$work/rx.insmod")"
guest_run "nc -l -p $PORT 127.0.0.1 >/dev/null 2>&1 </dev/null &
	nc -l -p $((PORT + 1)) 127.0.0.1 >/dev/null 2>&1 </dev/null & sleep 1
	echo x | nc -w 3 127.0.0.1 $((PORT + 1)) 2>/dev/null; a=\$?
	echo x | nc -w 3 127.0.0.1 $PORT 2>/dev/null; b=\$?
	echo \$a \$b \$(cat /sys/module/vmiaas_attack_netdev/parameters/hits)" \
	>"$work/rx.nc" 2>&1
read -r rx_a rx_b rx_hits < <(grep -E '^[0-9]+ [0-9]+ [0-9]+$' "$work/rx.nc" | tail -n 1)
tap_ok "[ '$rx_a' = 0 ] && [ '${rx_b:-0}' != 0 ] && [ '${rx_hits:-0}' -ge 1 ]" \
	"$KGEN: rx: port $PORT unreachable through lo (its SYNs dropped: hits ${rx_hits:-?}), port $((PORT + 1)) answers"
tap_diag "$(tail -n 3 "$work/rx.nc")"
expect_one rx netdev-hook '^lo rx_handler$' \
	".severity == \"high\" and (.detail.new_symbol | startswith(\"[vmiaas_attack_netdev]+\")) and (.detail.message | test(\"^the rx_handler of device lo .*vmiaas_attack_netdev is tainted [PF]*OE\"))" \
	"a high netdev-hook finding for lo rx_handler naming [vmiaas_attack_netdev]"
guest_run "pkill -f 'nc -l' 2>/dev/null; kill \$(pidof nc) 2>/dev/null" >/dev/null 2>&1
unload_clean rx vmiaas_attack_netdev "rx: the rx_handler gone on unload"

# ---- a transmit hook: lo's netdev_ops on a copy ----------------------------
guest_run insmod /vmiaas/modules/vmiaas_attack_netdev.ko xmit=1 \
	>"$work/tx.insmod" 2>&1 || tap_diag "insmod vmiaas_attack_netdev xmit=1: $(cat "$work/tx.insmod")"
tap_ok "guest_run 'ping -c 1 -W 2 127.0.0.1 >/dev/null; [ \$(cat /sys/module/vmiaas_attack_netdev/parameters/hits) -ge 1 ]'" \
	"$KGEN: xmit: lo's packets go through the module's ndo_start_xmit (hits)"
expect_n tx 2 netdev-hook '^lo netdev_ops$' \
	"(.severity == \"critical\" and (.detail.message | test(\"^device lo .*its netdev_ops .*outside the kernel.s read-only data and every module.s\"))) or (.severity == \"high\" and (.detail.new_symbol | startswith(\"[vmiaas_attack_netdev]+\")) and (.detail.message | test(\"^the ndo_start_xmit of device lo.s netdev_ops .*vmiaas_attack_netdev is tainted [PF]*OE\")))" \
	"two findings for lo netdev_ops: critical, the table a writable copy; high, ndo_start_xmit in [vmiaas_attack_netdev]"
unload_clean tx vmiaas_attack_netdev "xmit: loopback's own netdev_ops back on unload"
}

integrity_main netdev_run
