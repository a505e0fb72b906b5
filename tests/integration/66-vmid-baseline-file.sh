#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# vmid's worker keeps its baseline's bytes in the baseline file's
# read-only mapping (docs/vmid.md, "Memory per VM"): next to none of it
# resident while the guest is clean. Bytes written into the file in place
# under a running worker (vmid only ever replaces the file by rename) are
# caught when a check uses them, against the page MAC held in the
# worker's memory: an error event, not findings computed from other bytes;
# the restarted worker then refuses the file (its MAC fails) and leaves it.
set -u
. "$(dirname "$0")/../lib/guest.sh"

. "$(dirname "$0")/../lib/vmid.sh"

vmid_setup bmap66
tap_plan 6
guest_start --kernel 6.1 --test-modules --name "$prefix" || tap_bail "the 6.1 guest did not boot"
"$VMID" --state-dir "$work/state" --events "$events" --interval 2 --metrics off \
	--libvirt off --socket "$sock" --match "vmiaas-$prefix" --settle 0 2>"$work/vmid.log" &
vmid_pid=$!
tap_ok 'wait_for 120 "[ \"\$(vm_field checks)\" -ge 1 ]"' "vmid attached, baselined and checked the guest"
w=$(vm_field worker_pid)
base=$work/state/baselines/vmiaas-$prefix
# the Rss of the worker's read-only mapping of its baseline file, in KiB
map_rss=$(awk -v f="$base" '/^[0-9a-f]+-[0-9a-f]+ / { m = $NF == f && $2 == "r--p" }
	m && $1 == "Rss:" { print $2; exit }' "/proc/$w/smaps" 2>/dev/null)
tap_ok '[ -n "$map_rss" ] && [ "$map_rss" -lt 1024 ]' \
	"the worker maps its baseline file read-only, ${map_rss:-no} KiB of it resident"

# the file offset of x64 syscall 217's entry in the RODATA section's bytes
table=$(ksym sys_call_table)
off=$(python3 - "$base" "$table" <<'EOF'
import struct, sys
data = open(sys.argv[1], 'rb').read()
va = int(sys.argv[2], 16) + 217 * 8
off = 16
while off + 16 <= len(data):
    sid, _, ln = struct.unpack_from('<IIQ', data, off)
    off += 16
    if sid == 0:
        break
    if sid == 7:        # RODATA: range record, page MACs, bytes
        start, end, page, ds = struct.unpack_from('<QQII', data, off)
        pages = (end - 1) // page - start // page + 1
        if start <= va < end:
            print(off + 24 + pages * ds + (va - start))
            sys.exit(0)
    off += ln
sys.exit(1)
EOF
)
[ -n "$off" ] || tap_bail "sys_call_table (0x$table) is not in the baseline's rodata"
printf '\x5a' | dd of="$base" bs=1 seek="$off" conv=notrunc 2>/dev/null
sum=$(md5sum <"$base")
guest_run insmod /vmiaas/modules/vmiaas_attack_syscall.ko "table=0x$table" >"$work/insmod" 2>&1 ||
	tap_diag "insmod: $(cat "$work/insmod")"
sel='.event == "error" and (.message | test("no longer match its MAC"))'
tap_ok 'wait_for 30 "has \"\$events\" \"\$sel\""' \
	"a check that needs the baseline's bytes of a page modified in the file: an error event"
tap_diag "$(jq -r "select($sel) | .message" "$events" | head -n 1)"
tap_is "$(nr_events '.type == "finding" and .check == "kernel-rodata"')" 0 \
	"no kernel-rodata finding computed from the modified bytes"
tap_ok 'wait_for 30 "[ \"\$(vm_field state)\" = refused ]"' \
	"the restarted worker finds the file's MAC broken: the VM is refused"
tap_ok 'kill -0 "$vmid_pid" && [ "$(md5sum <"$base")" = "$sum" ]' \
	"vmid runs on, the baseline file is left as it was"
[ "$_tap_fail" -eq 0 ] || tap_diag "vmid log:" "$(tail -n 30 "$work/vmid.log")"
tap_done
