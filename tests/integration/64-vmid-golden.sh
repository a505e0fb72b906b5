#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Golden baselines per kernel build: a baseline of one boot of Debian's
# 6.1 kernel, put in vmid's STATE_DIR/golden/, is used for another boot
# of that kernel (another KASLR slide) from its first attach: clean, no
# trust on first use, status says "golden NAME"; a syscall hook loaded
# later is found; re-baselining with the hook in place derives the
# baseline from the golden one again, so the hook stays a finding (trust
# on first use would have accepted it); a guest booted with 6.12 has no
# golden baseline and falls back to trust on first use. Baselines of
# format version 1: refused with what to do if of the current boot,
# re-taken if of another boot.
set -u
. "$(dirname "$0")/../lib/guest.sh"
. "$(dirname "$0")/../lib/vmid.sh"

vmid_setup golden64
INTERVAL=2
ROUND=$((INTERVAL + 1 + 10))
state=$work/state
mkdir -p "$state/golden"

tap_plan 18

# ---- the golden baseline: one trusted boot, then that guest is gone -------------
guest_start --kernel 6.1 --test-modules --name "$prefix-gold" || tap_bail "the golden guest did not boot"
"$VMICTL" --key "$state/host.key" --shm "$GUEST_SHM" --qmp "$GUEST_QMP" --json \
	baseline -o "$state/golden/debian-6.1" >"$work/golden.json" 2>"$work/golden.err"
tap_ok 'jq -e ".kernel" "$work/golden.json"' "golden baseline of a 6.1 boot taken with vmictl baseline"
gold_slide=$(jq -r .kaslr_offset "$work/golden.json")
guest_stop

# ---- another boot of the same kernel, and a 6.12 guest --------------------------
guest_start --kernel 6.1 --test-modules --name "$prefix-a" || tap_bail "guest a did not boot"
dir_a=$GUEST_DIR
a_slide=$("$VMICTL" --shm "$GUEST_SHM" --qmp "$GUEST_QMP" --json info | jq -r .kaslr_offset)
tap_diag "KASLR offset of the golden boot $gold_slide, of guest a $a_slide"
guest_start --kernel 6.12 --name "$prefix-b" || tap_bail "guest b (6.12) did not boot"

"$VMID" --state-dir "$state" --events "$events" --interval $INTERVAL --metrics off \
	--libvirt off --socket "$sock" --match "vmiaas-$prefix-*" --settle 5 2>"$work/vmid.log" &
vmid_pid=$!

tap_ok 'wait_for 120 "[ \"\$(status_json | jq \"[.vms[] | select(.checks >= 1)] | length\")\" = 2 ]"' \
	"both VMs attached and checked"
tap_is "$(vm_field "$prefix-a" baseline)" "golden debian-6.1" "status: guest a uses the golden baseline"
tap_ok '[[ "$(vm_field "$prefix-b" baseline)" == "tofu 20"* ]]' \
	"status: guest b (6.12, no golden baseline) trusted on first use, with the date"
"$VMICTL" status "$sock" >"$work/status.txt" 2>&1
tap_ok 'grep -q "vmiaas-$prefix-a: baseline golden debian-6.1" "$work/status.txt"' \
	"vmictl status prints which baseline each VM uses"
sel_ga='.event == "baseline" and .vm.name == "vmiaas-'$prefix-a'"'
tap_diag "$(jq -r "select($sel_ga) | .message" "$events")"
tap_ok 'has "$events" "$sel_ga and (.message | startswith(\"from the golden baseline\")) and (.message | contains(\" 0 bytes of text and 0 of rodata unlike it\"))"' \
	"guest a: baseline from the golden one, every byte of text and rodata explained by the slide"
tap_ok 'has "$events" ".event == \"baseline\" and .vm.name == \"vmiaas-'$prefix-b'\" and (.message | startswith(\"taken (trust on first use)\"))"' \
	"guest b: a golden baseline of another kernel is not used"
tap_is "$(nr_events '.type == "finding"')" 0 "no findings on either guest (another boot than the golden one)"

# ---- a hook loaded later ----------------------------------------------------------
GUEST_DIR=$dir_a
table=$(ksym sys_call_table)
guest_run insmod /vmiaas/modules/vmiaas_attack_syscall.ko "table=0x$table" >"$work/insmod" 2>&1 ||
	tap_diag "insmod: $(cat "$work/insmod")"
sel_f='.type == "finding" and .vm.name == "vmiaas-'$prefix-a'" and .check == "syscall-table" and .object == "x64 217 getdents64"'
tap_ok 'wait_for $ROUND "[ \"\$(nr_events \"\$sel_f\")\" = 1 ]"' \
	"syscall hook in guest a: a finding within a round"
tap_ok 'has "$events" "$sel_f and (.detail.old_symbol == \"__x64_sys_getdents64\")"' \
	"the finding names the original handler (the golden table moved to this boot's slide)"

# ---- re-baselined with the hook in place: still a finding -------------------------
t_rb=$(date +%s)
rc=0; VMID_SOCKET=$sock "$VMICTL" vmid-rebaseline "vmiaas-$prefix-a" >"$work/rebase.out" 2>&1 || rc=$?
tap_is "$rc" 0 "vmictl vmid-rebaseline a"
tap_ok 'wait_for 60 "[ \"\$(nr_events \"\$sel_ga and (.message | startswith(\\\"from the golden baseline\\\"))\")\" = 2 ]"' \
	"the new baseline is derived from the golden one again"
tap_ok 'wait_for 60 "[ \"\$(vm_field \"$prefix-a\" last_check)\" -gt $t_rb ]"' \
	"guest a checked against it"
tap_ok '[ "$(vm_field "$prefix-a" findings)" -ge 1 ] && [ "$(nr_events "$sel_f")" = 1 ] && [ "$(nr_events ".type == \"resolved\"")" = 0 ]' \
	"the hook stays an active finding: re-baselining does not launder it"

kill -TERM "$vmid_pid"
rc=0; wait "$vmid_pid" || rc=$?
vmid_pid=
tap_is "$rc" 0 "vmid exits 0 on SIGTERM"

# ---- format version 1 (a baseline from before an upgrade of vmiaas) -----------------
# to_v1 SRC DST SHIFT: SRC as a version 1 file (version field and MAC
# rewritten, the MAC key is the same), its KASLR offset moved by SHIFT
to_v1()
{
	python3 - "$1" "$2" "$state/host.key" "$3" <<'EOF'
import hashlib, hmac, struct, sys
src, dst, keyfile, shift = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
data = bytearray(open(src, 'rb').read()[:-32])
key = open(keyfile, 'rb').read()
data[8:12] = struct.pack('<I', 1)
off = 32 + 65 + 256 + 7 + 8            # IDENT: release, banner, pad, created
kaslr = struct.unpack_from('<Q', data, off)[0]
struct.pack_into('<Q', data, off, kaslr + shift)
fkey = hmac.new(key, b'vmiaas baseline file v1', hashlib.sha256).digest()
open(dst, 'wb').write(bytes(data) + hmac.new(fkey, bytes(data), hashlib.sha256).digest())
EOF
}
# once_b: vmid --once on guest b with state directory $work/v1
once_b()
{
	"$VMID" --once --state-dir "$work/v1" --events "$work/once.jsonl" --metrics off \
		--libvirt off --socket "$work/once.sock" --match "vmiaas-$prefix-b" 2>>"$work/once.log"
}
mkdir -p "$work/v1/baselines"
cp "$state/host.key" "$work/v1/"
v1=$work/v1/baselines/vmiaas-$prefix-b
to_v1 "$state/baselines/vmiaas-$prefix-b" "$v1" 0
sum=$(md5sum <"$v1")
once_b >/dev/null
tap_ok 'has "$work/once.jsonl" ".event == \"error\" and (.message | test(\"format version 1 .*current boot.*vmid-rebaseline\"))"' \
	"a version 1 baseline of the current boot: refused, the event says what to do"
tap_is "$(md5sum <"$v1")" "$sum" "and the file is left as it was (no silent trust of the guest as it is now)"
to_v1 "$state/baselines/vmiaas-$prefix-b" "$v1" $((2 << 20))
: >"$work/once.jsonl"
once_b >/dev/null
tap_ok 'has "$work/once.jsonl" ".event == \"baseline\" and (.message | test(\"^re-taken: .*format version 1 and is of another kernel or boot\"))" && [ "$(od -An -tu4 -j8 -N4 "$v1" | tr -d " ")" = 3 ]' \
	"a version 1 baseline of another boot: re-taken as version 3, the event says why"
tap_done
