#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# tty-ldisc on a live Debian guest: a tty keylogger through the line
# discipline (vlogger, linspy) or the tty driver (a hook on pty_write) is
# found, the tty layer's benign use is not. Right after boot, with nine
# pty pairs open (tests/guest/pty-hold: what an ssh session opens), the
# serial console, and Debian's n_hdlc registered (an in-tree module's
# line discipline): exit 0, no finding, one tty-ldisc event naming its
# discipline hdlc. vmiaas_attack_ttylog mode=ops writes its function
# into n_tty_ops.receive_buf2 (the kernel's N_TTY table, writable data):
# the host agent's bytes on ttyS1 reach it, and exactly one finding,
# critical, names n_tty, receive_buf2, n_tty_receive_buf2 at baseline and
# [vmiaas_attack_ttylog] now. mode=kfn points n_tty_ops.ioctl at another
# kernel function (n_tty_ioctl_helper; no module code involved): exactly
# one finding, high, naming both functions (the baseline's section 25).
# mode=tty points one tty's ldisc->ops at a copy of n_tty's table with
# its own receive_buf2, tty_ldiscs[] untouched: on ttyS1 (the agent's
# bytes reach it) a critical finding (the tty's table is not the
# registered one) and a high one (its receive_buf2 in the tainted
# module), both naming ttyS1; on the pty's slave (found through devpts)
# the same naming it. mode=driver points the pty master driver's ops at
# a copy with its own write: a pty opened then gets the copy, and the
# line written into its master (what an sshd writes: what is typed)
# reaches the module; findings: the driver ptm's table outside read-only
# data (critical), its write in the tainted module (high), and each pty
# master opened before, whose ops are no longer its driver's (critical).
# mode=ttyops points ttyS1's tty->ops at a copy with its own write (the
# agent's replies reach it): exactly two findings naming ttyS1. Each
# unloaded, n_hdlc too: clean again. Runs on each kernel of KGENS
# (default: Debian 6.1 and 6.12).
. "$(dirname "$0")/../lib/guest.sh"
. "$(dirname "$0")/../lib/integrity.sh"
integrity_begin ttyldisc 20

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
	for i in $(seq 8); do /vmiaas/pty-hold >/dev/null 2>&1 </dev/null & done
	insmod /vmiaas/n_hdlc.ko
	for i in $(seq 20); do [ -s /tmp/pty.out ] && break; sleep 0.2; done; cat /tmp/pty.out' >"$work/pty.out" 2>&1
pts=$(grep -m1 '^/dev/pts/' "$work/pty.out")
check_json benign
tap_ok "[ -n '$pts' ] && [ $st = 0 ] && jq -e '(.findings | length == 0) and ([.events[] | select(.check == \"tty-ldisc\")] | length == 1) and ([.events[] | select(.check == \"tty-ldisc\" and .object == \"hdlc\" and (.detail.message | test(\"module n_hdlc .untainted\")))] | length == 1)' '$work/benign.json'" \
	"$KGEN: nine pty pairs open (${pts:-none}...), n_hdlc registered: exit 0, no finding, one tty-ldisc event naming n_hdlc's hdlc"
tap_diag "$(cat "$work/pty.out" "$work/benign.err"; jq -c '.findings[], (.events[] | select(.check == "tty-ldisc"))' "$work/benign.json" 2>/dev/null | cut -c1-300 | head -4)"

# ---- n_tty_ops.receive_buf2 overwritten --------------------------------------
guest_run "insmod /vmiaas/modules/vmiaas_attack_ttylog.ko mode=ops ops=0x$(ksym n_tty_ops)" \
	>"$work/ops.insmod" 2>&1 || tap_diag "insmod mode=ops: $(cat "$work/ops.insmod")"
n=$(hits)
tap_ok "[ '${n:-0}' -gt 0 ] 2>/dev/null" \
	"$KGEN: ttylog mode=ops: the agent's bytes on ttyS1 reached the module's receive_buf2 (${n:-?} bytes)"
expect_one ops tty-ldisc '^n_tty$' \
	".severity == \"critical\" and (.detail.old_symbol | test(\"^n_tty_receive_buf2([+]0x0)?$\")) and (.detail.new_symbol | startswith(\"[vmiaas_attack_ttylog]+\")) and (.detail.message | test(\"the receive_buf2 of line discipline n_tty .number 0.* changed since the baseline: n_tty_receive_buf2([+]0x0)? -> .vmiaas_attack_ttylog.\"))" \
	"a critical tty-ldisc finding for n_tty's receive_buf2: n_tty_receive_buf2 at baseline, [vmiaas_attack_ttylog] now"
guest_run rmmod vmiaas_attack_ttylog >/dev/null 2>&1
expect_clean ops-gone "ttylog mode=ops: n_tty_ops restored on unload"

# ---- n_tty_ops.ioctl retargeted to another kernel function -------------------
guest_run "insmod /vmiaas/modules/vmiaas_attack_ttylog.ko mode=kfn ops=0x$(ksym n_tty_ops)" \
	>"$work/kfn.insmod" 2>&1 || tap_diag "insmod mode=kfn: $(cat "$work/kfn.insmod")"
expect_one kfn tty-ldisc '^n_tty$' \
	".severity == \"high\" and (.detail.old_symbol | test(\"^n_tty_ioctl([+]0x0)?$\")) and (.detail.new_symbol | test(\"^n_tty_ioctl_helper([+]0x0)?$\")) and (.detail.message | test(\"the ioctl of line discipline n_tty .number 0.* changed since the baseline: n_tty_ioctl([+]0x0)? -> n_tty_ioctl_helper([+]0x0)? .another kernel function.\"))" \
	"a high tty-ldisc finding: n_tty's ioctl n_tty_ioctl at baseline, n_tty_ioctl_helper now"
guest_run rmmod vmiaas_attack_ttylog >/dev/null 2>&1
expect_clean kfn-gone "ttylog mode=kfn: n_tty_ops.ioctl restored on unload"

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

# ---- the pty master driver's ops swapped for a copy (pty_write hooked) -------
guest_run insmod /vmiaas/modules/vmiaas_attack_ttylog.ko mode=driver \
	>"$work/drv.insmod" 2>&1 || tap_diag "insmod mode=driver: $(cat "$work/drv.insmod")"
guest_run '/vmiaas/pty-hold >/tmp/pty2.out 2>&1 </dev/null & echo $! >/tmp/pty2.pid
	for i in $(seq 20); do [ -s /tmp/pty2.out ] && break; sleep 0.2; done' >/dev/null 2>&1
n=$(hits)
tap_ok "[ '${n:-0}' -ge 6 ] 2>/dev/null" \
	"$KGEN: ttylog mode=driver: the line written into a new pty's master reached the copy's write (${n:-?} bytes)"
check_json drv
tap_ok "[ $st = 1 ] && jq -e '([.findings[] | select(.check == \"tty-ldisc\" and .object == \"ptm\" and .severity == \"critical\" and (.detail.message | test(\"tty driver ptm .*its ops .vmiaas_attack_ttylog.*outside the kernel.s read-only data\")))] | length == 1) and ([.findings[] | select(.check == \"tty-ldisc\" and .object == \"ptm\" and .severity == \"high\" and (.detail.new_symbol | startswith(\"[vmiaas_attack_ttylog]+\")) and (.detail.message | test(\"the write of tty driver ptm.s ops .*module vmiaas_attack_ttylog is tainted [PF]*OE\")))] | length == 1) and ([.findings[] | select(.object | test(\"^ptm[0-9]+$\")) | select(.severity == \"critical\" and (.detail.message | test(\"not its driver.s table\")))] | length >= 9) and ([.findings[] | select(.object != \"ptm\" and (.object | test(\"^ptm[0-9]+$\") | not))] | length == 0)' '$work/drv.json'" \
	"$KGEN: drv: exit 1, the driver ptm's table (critical) and its write (high) named, each master opened before critical, nothing else"
tap_diag "$(cat "$work/drv.err"; jq -c '.findings[] | [.check, .severity, .object, .detail.message]' "$work/drv.json" 2>/dev/null | cut -c1-300 | head -4)"
guest_run 'kill $(cat /tmp/pty2.pid); sleep 1' >/dev/null 2>&1
guest_run rmmod vmiaas_attack_ttylog >/dev/null 2>&1
expect_clean drv-gone "ttylog mode=driver: ptm's ops restored on unload"

# ---- ttyS1's tty->ops swapped for a copy -------------------------------------
guest_run insmod /vmiaas/modules/vmiaas_attack_ttylog.ko mode=ttyops path=/dev/ttyS1 \
	>"$work/tops.insmod" 2>&1 || tap_diag "insmod mode=ttyops: $(cat "$work/tops.insmod")"
n=$(hits)
tap_ok "[ '${n:-0}' -gt 0 ] 2>/dev/null" \
	"$KGEN: ttylog mode=ttyops: the agent's replies on ttyS1 reached the copy's write (${n:-?} bytes)"
check_json tops
tap_ok "[ $st = 1 ] && jq -e '(.findings | length == 2) and ([.findings[] | select(.check == \"tty-ldisc\" and .object == \"ttyS1\" and .severity == \"critical\" and (.detail.message | test(\"tty ttyS1: its ops .vmiaas_attack_ttylog.*its driver ttyS.s uart_ops([+]0x0)?: not its driver.s table\")))] | length == 1) and ([.findings[] | select(.check == \"tty-ldisc\" and .object == \"ttyS1\" and .severity == \"high\" and (.detail.message | test(\"the write of tty ttyS1.s ops .*module vmiaas_attack_ttylog is tainted [PF]*OE\")))] | length == 1)' '$work/tops.json'" \
	"$KGEN: tops: exit 1, ttyS1's ops not its driver's (critical), its write in the module (high)"
tap_diag "$(cat "$work/tops.err"; jq -c '.findings[] | [.check, .severity, .object, .detail.message]' "$work/tops.json" 2>/dev/null | cut -c1-300 | head -4)"
guest_run rmmod vmiaas_attack_ttylog >/dev/null 2>&1
expect_clean tops-gone "ttylog mode=ttyops: ttyS1's ops restored on unload"

# ---- benign: n_hdlc unloaded --------------------------------------------------
guest_run rmmod n_hdlc >/dev/null 2>&1
check_json hdlc-gone
tap_ok "[ $st = 0 ] && jq -e '(.findings | length == 0) and ([.events[] | select(.check == \"tty-ldisc\")] | length == 0)' '$work/hdlc-gone.json'" \
	"$KGEN: n_hdlc unloaded: exit 0, no finding, no tty-ldisc event"
}

integrity_main tty_run
