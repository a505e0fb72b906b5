#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# tty-ldisc on a live Debian guest: a tty keylogger through the line
# discipline (vlogger, linspy) is found, the tty layer's benign use is
# not. Right after boot, with a pty pair open (tests/guest/pty-hold: what
# an ssh session opens) and Debian's n_hdlc registered (an in-tree
# module's line discipline): exit 0, no finding, one tty-ldisc event
# naming its discipline hdlc. vmiaas_attack_ttylog mode=ops writes its
# function into n_tty_ops.receive_buf2 (the kernel's N_TTY table,
# writable data): the host agent's bytes on ttyS1 reach it, and exactly
# one finding, high, names n_tty, receive_buf2 and
# [vmiaas_attack_ttylog]. mode=tty points one tty's ldisc->ops at a copy
# of n_tty's table with its own receive_buf2, tty_ldiscs[] untouched: on
# ttyS1 (the agent's bytes reach it) a critical finding (the tty's table
# is not the registered one) and a high one (its receive_buf2 in the
# tainted module), both naming ttyS1; on the pty's slave (found through
# devpts) the same naming it. Each unloaded: clean again. Runs on each
# kernel of KGENS (default: Debian 6.1 and 6.12).
. "$(dirname "$0")/../lib/guest.sh"
. "$(dirname "$0")/../lib/integrity.sh"
integrity_begin ttyldisc 11

pty_hold=$(guest_tool pty-hold) ||
	tap_bail "cannot build tests/guest/pty-hold.c statically"

hits() { guest_run cat /sys/module/vmiaas_attack_ttylog/parameters/hits; }

# tty_pair NAME OBJECT WHAT: exit 1, exactly two findings on OBJECT: the
# critical "not the registered table" one, the high one naming the module.
tty_pair()
{
	check_json "$1"
	tap_ok "[ $st = 1 ] && jq -e --arg o '$2' '(.findings | length == 2) and ([.findings[] | select(.check == \"tty-ldisc\" and .object == \$o and .severity == \"critical\" and (.detail.message | test(\"not the table registered for that number\")))] | length == 1) and ([.findings[] | select(.check == \"tty-ldisc\" and .object == \$o and .severity == \"high\" and (.detail.new_symbol | startswith(\"[vmiaas_attack_ttylog]+\")) and (.detail.message | test(\"receive_buf2 of tty .*module vmiaas_attack_ttylog is tainted [PF]*OE\")))] | length == 1)' '$work/$1.json'" \
		"$KGEN: $1: exit 1, $3"
	tap_diag "$(cat "$work/$1.err"; jq -c '.findings[] | [.check, .severity, .object, .detail.message]' "$work/$1.json" 2>/dev/null | cut -c1-300 | head -4)"
}

tty_run()
{
local hdlc
hdlc=$(debian_modules "$1" "$1-tty" drivers/tty/n_hdlc) ||
	tap_bail "no n_hdlc module for $1"
integrity_start "$1" --test-modules --add "$pty_hold" --add "$hdlc/n_hdlc.ko"
take_baseline
"$VMICTL" --json checks >"$work/checks.json"
tap_ok "jq -e '[.checks[].id] | index(\"tty-ldisc\")' '$work/checks.json'" \
	"$KGEN: vmictl checks lists tty-ldisc"

# ---- benign: a pty pair, an in-tree module's discipline ---------------------
guest_run '/vmiaas/pty-hold >/tmp/pty.out 2>&1 </dev/null &
	insmod /vmiaas/n_hdlc.ko
	for i in $(seq 20); do [ -s /tmp/pty.out ] && break; sleep 0.2; done; cat /tmp/pty.out' >"$work/pty.out" 2>&1
pts=$(grep -m1 '^/dev/pts/' "$work/pty.out")
check_json benign
tap_ok "[ -n '$pts' ] && [ $st = 0 ] && jq -e '(.findings | length == 0) and ([.events[] | select(.check == \"tty-ldisc\")] | length == 1) and ([.events[] | select(.check == \"tty-ldisc\" and .object == \"hdlc\" and (.detail.message | test(\"module n_hdlc .untainted\")))] | length == 1)' '$work/benign.json'" \
	"$KGEN: pty pair open (${pts:-none}), n_hdlc registered: exit 0, no finding, one tty-ldisc event naming n_hdlc's hdlc"
tap_diag "$(cat "$work/pty.out" "$work/benign.err"; jq -c '.findings[], (.events[] | select(.check == "tty-ldisc"))' "$work/benign.json" 2>/dev/null | cut -c1-300 | head -4)"

# ---- n_tty_ops.receive_buf2 overwritten --------------------------------------
guest_run "insmod /vmiaas/modules/vmiaas_attack_ttylog.ko mode=ops ops=0x$(ksym n_tty_ops)" \
	>"$work/ops.insmod" 2>&1 || tap_diag "insmod mode=ops: $(cat "$work/ops.insmod")"
n=$(hits)
tap_ok "[ '${n:-0}' -gt 0 ] 2>/dev/null" \
	"$KGEN: ttylog mode=ops: the agent's bytes on ttyS1 reached the module's receive_buf2 (${n:-?} bytes)"
expect_one ops tty-ldisc '^n_tty$' \
	".severity == \"high\" and (.detail.new_symbol | startswith(\"[vmiaas_attack_ttylog]+\")) and (.detail.message | test(\"the receive_buf2 of line discipline n_tty .number 0.*module vmiaas_attack_ttylog is tainted [PF]*OE\"))" \
	"a high tty-ldisc finding for n_tty's receive_buf2 naming [vmiaas_attack_ttylog]"
guest_run rmmod vmiaas_attack_ttylog >/dev/null 2>&1
expect_clean ops-gone "ttylog mode=ops: n_tty_ops restored on unload"

# ---- one tty's table swapped for a copy --------------------------------------
guest_run insmod /vmiaas/modules/vmiaas_attack_ttylog.ko mode=tty path=/dev/ttyS1 \
	>"$work/tty.insmod" 2>&1 || tap_diag "insmod mode=tty: $(cat "$work/tty.insmod")"
n=$(hits)
tap_ok "[ '${n:-0}' -gt 0 ] 2>/dev/null" \
	"$KGEN: ttylog mode=tty: the agent's bytes on ttyS1 reached the copy's receive_buf2 (${n:-?} bytes)"
tty_pair tty ttyS1 "ttyS1's table not the registered one (critical), its receive_buf2 in the module (high)"
guest_run rmmod vmiaas_attack_ttylog >/dev/null 2>&1
expect_clean tty-gone "ttylog mode=tty: ttyS1's table restored on unload"

slave=pts${pts#/dev/pts/}
guest_run insmod /vmiaas/modules/vmiaas_attack_ttylog.ko mode=tty "path=$pts" \
	>"$work/pts.insmod" 2>&1 || tap_diag "insmod mode=tty path=$pts: $(cat "$work/pts.insmod")"
tty_pair pts "$slave" "the pty slave $slave (reached through devpts): the same two findings"
guest_run rmmod vmiaas_attack_ttylog >/dev/null 2>&1
expect_clean pts-gone "ttylog mode=tty on $slave: restored on unload"
}

integrity_main tty_run
