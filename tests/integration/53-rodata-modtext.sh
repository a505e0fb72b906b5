#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# kernel-rodata and module-text on a live Debian guest: a baseline with a
# module loaded (vmiaas_test_hello), no findings after tracepoints and
# processes, an ro_after_init pointer redirected (vmiaas_attack_lsm) and
# another module's text patched (vmiaas_attack_modtext) each found and
# named, modules unloaded and loaded since a baseline reported as events
# only, and a version-1 baseline refused with a clear message. Runs on each
# kernel of KGENS (default: Debian 6.1 and 6.12).
. "$(dirname "$0")/../lib/guest.sh"
. "$(dirname "$0")/../lib/integrity.sh"
integrity_begin rodata 28

modsym() { guest_run "grep ' $1	\\[$2\\]\$' /proc/kallsyms" | cut -d' ' -f1 | head -n 1; }
# has NAME JQ-FILTER: the filter (over the whole output) is true
has() { jq -e "$2" "$work/$1.json" >/dev/null 2>&1; }

# remac OUT OFFSET BYTE: the baseline with one byte set at OFFSET and the
# file MAC recomputed with the host key (as a buggy or older vmiaas with
# the key would have written it).
remac()
{
	local size
	size=$(stat -c %s "$base")
	head -c $((size - 32)) "$base" >"$1"
	printf "\\$(printf %o "$3")" | dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null
	bl_remac "$1"
}

rodata_run()
{
integrity_start "$1" --test-modules
guest_run insmod /vmiaas/modules/vmiaas_test_hello.ko >/dev/null

# ---- baseline with a module loaded ------------------------------------------
take_baseline "baseline with vmiaas_test_hello loaded"
check_json clean
tap_is "$st:$(nr_findings clean)" "0:0" "check right after the baseline: exit 0, no findings"
[ "$st" = 0 ] || tap_diag "$(head -c 600 "$work/clean.json") $(cat "$work/clean.err")"

# ---- benign: tracepoints on and off, processes ------------------------------------
guest_run 'T=/sys/kernel/tracing; mount -t tracefs nodev $T 2>/dev/null;
	echo 1 > $T/events/sched/enable && echo 1 > $T/events/irq/enable &&
	for i in $(seq 50); do /bin/true & done; wait;
	echo 0 > $T/events/sched/enable && echo 0 > $T/events/irq/enable && echo done' \
	>"$work/trace.out" 2>&1
tap_is "$(tail -n 1 "$work/trace.out")" done "tracepoints enabled and disabled, 50 processes"
check_json benign
tap_is "$st:$(nr_findings benign)" "0:0" "after tracing on/off: exit 0, no findings"
[ "$(nr_findings benign)" = 0 ] || tap_diag "$(jq -c '.findings[]' "$work/benign.json" | head -3)"

# ---- an ro_after_init pointer redirected --------------------------------------------
target=security_hook_heads
[ -n "$(ksym $target)" ] || target=static_calls_table	# 6.12: static calls
addr=$(ksym $target)
guest_run insmod /vmiaas/modules/vmiaas_attack_lsm.ko "addr=0x$addr" >"$work/lsm.insmod" 2>&1 ||
	tap_diag "insmod vmiaas_attack_lsm: $(cat "$work/lsm.insmod")"
check_json lsm
tap_is "$st" 1 "lsm ($target): check exits 1"
tap_ok "has lsm '[.findings[] | select(.check == \"kernel-rodata\" and .object == \"$target\")] | length == 1'" \
	"lsm: one kernel-rodata finding naming $target"
tap_ok "has lsm '.findings[0].detail.new_symbol | startswith(\"[vmiaas_attack_lsm]\")'" \
	"lsm: the new pointer is named as module memory"
tap_ok "has lsm '.findings[0].detail.message | test(\"read-only-after-init\")'" \
	"lsm: the message says read-only-after-init"
tap_ok "has lsm '[.events[] | select(.check == \"module-text\" and .detail.message == \"module loaded: vmiaas_attack_lsm (since the baseline; its text was not measured)\")] | length == 1'" \
	"lsm: 'module loaded: vmiaas_attack_lsm' event"
tap_is "$(jq '[.findings[] | select(.check != "kernel-rodata")] | length' "$work/lsm.json")" 0 \
	"lsm: no finding of another check"
[ "$st" = 1 ] && tap_diag "$(jq -c '.findings[0]' "$work/lsm.json")"
unload_clean lsm vmiaas_attack_lsm "lsm: restored on unload"

# ---- another module's text patched --------------------------------------------------
fn=$(modsym vmiaas_test_hello_exit vmiaas_test_hello)
guest_run insmod /vmiaas/modules/vmiaas_attack_modtext.ko "target=0x$fn" >"$work/modtext.insmod" 2>&1 ||
	tap_diag "insmod vmiaas_attack_modtext: $(cat "$work/modtext.insmod")"
check_json modtext
tap_is "$st" 1 "modtext: check exits 1"
tap_ok "has modtext '[.findings[] | select(.check == \"module-text\" and (.object | startswith(\"[vmiaas_test_hello]+0x\")))] | length == 1'" \
	"modtext: one module-text finding at [vmiaas_test_hello]+off"
tap_ok "has modtext '.findings[0].detail | (.new_bytes | startswith(\"e9\")) and .old_bytes != .new_bytes and (.address | ltrimstr(\"0x\") | ascii_downcase) == \"$fn\"'" \
	"modtext: at the hooked function, old and new bytes, new starts with a JMP"
tap_is "$(jq '[.findings[] | select(.check != "module-text")] | length' "$work/modtext.json")" 0 \
	"modtext: no finding of another check"
[ "$st" = 1 ] && tap_diag "$(jq -c '.findings[0]' "$work/modtext.json")"
unload_clean modtext vmiaas_attack_modtext "modtext: restored on unload"

# ---- another module's read-only data redirected --------------------------------------
param=$(modsym __param_tag vmiaas_test_hello)
guest_run insmod /vmiaas/modules/vmiaas_attack_lsm.ko "addr=0x$param" >"$work/modro.insmod" 2>&1 ||
	tap_diag "insmod vmiaas_attack_lsm addr=__param_tag: $(cat "$work/modro.insmod")"
check_json modro
tap_is "$st" 1 "modro (vmiaas_test_hello's __param_tag): check exits 1"
tap_ok "has modro '[.findings[] | select(.check == \"module-rodata\" and (.object | startswith(\"[vmiaas_test_hello] rodata+0x\")) and (.detail.address | ltrimstr(\"0x\")) == \"$param\")] | length == 1'" \
	"modro: one module-rodata finding at [vmiaas_test_hello] rodata+off, at __param_tag"
[ "$st" = 1 ] && tap_diag "$(jq -c '.findings[0]' "$work/modro.json")"
unload_clean modro vmiaas_attack_lsm "modro: restored on unload"

# ---- modules unloaded and loaded since a baseline: events ---------------------------
guest_run rmmod vmiaas_test_hello >/dev/null 2>&1
check_json unloaded
tap_is "$st:$(nr_findings unloaded)" "0:0" "module unloaded: exit 0, no findings"
tap_ok "has unloaded '[.events[] | select(.check == \"module-text\" and .object == \"vmiaas_test_hello\" and (.detail.message | startswith(\"module unloaded: vmiaas_test_hello\")))] | length == 1'" \
	"module unloaded: an event naming it"
st=0
vmictl_g baseline -o "$work/base-nomod" --key "$key" >/dev/null 2>&1 || st=$?
guest_run insmod /vmiaas/modules/vmiaas_test_hello.ko >/dev/null
check_json loaded "$work/base-nomod"
tap_is "$st:$(nr_findings loaded)" "0:0" "module loaded after a baseline: exit 0, no findings"
tap_ok "has loaded '[.events[] | select(.check == \"module-text\" and (.detail.message | startswith(\"module loaded: vmiaas_test_hello\")))] | length == 1'" \
	"module loaded: an event naming it"

# ---- format -------------------------------------------------------------------------
remac "$work/v1" 8 1		# the version field
st=0
vmictl_g check -b "$work/v1" --key "$key" >/dev/null 2>"$work/v1.err" || st=$?
tap_is "$st" 3 "a version-1 baseline (valid MAC): exit 3"
tap_ok 'grep -q "format version 1 .*this vmiaas reads 3" "$work/v1.err"' \
	"version 1: the message says which versions"
tap_diag "$(cat "$work/v1.err")"
# The HASH section follows IDENT (16-byte header, 16-byte section header,
# 368-byte record): its first field, at 416, is the MAC id.
tap_is "$(od -An -tu4 -j 400 -N 4 "$base" | tr -d ' ')" 6 "the HASH section follows IDENT"
remac "$work/badmac" 416 9
st=0
vmictl_g check -b "$work/badmac" --key "$key" >/dev/null 2>"$work/badmac.err" || st=$?
tap_is "$st:$(grep -c "is malformed" "$work/badmac.err")" "3:1" \
	"a baseline naming an unknown page MAC (file MAC valid): exit 3, malformed"
st=0
"$VMICTL" --json checks >"$work/checks.json" || st=$?
tap_ok 'jq -e "[.checks[].id] | index(\"kernel-rodata\") and index(\"module-text\") and index(\"module-rodata\")" "$work/checks.json"' \
	"vmictl checks lists kernel-rodata, module-text and module-rodata"
}

integrity_main rodata_run
