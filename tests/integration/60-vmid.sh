#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# vmid, the node daemon, on two live Debian 6.1 guests: both found and
# baselined on their own, a syscall hook in one of them reported for that
# VM alone within an interval, a crashed worker restarted without
# touching the other VM, a stopped guest detached (no descriptors left),
# a new boot under the same name re-baselined, a tampered baseline never
# replaced, a clean exit on SIGTERM.
. "$(dirname "$0")/../lib/guest.sh"

. "$(dirname "$0")/../lib/vmid.sh"

vmid_setup vmid60
INTERVAL=2
# a round is the interval, up to 1 s of jitter and the check itself
ROUND=$((INTERVAL + 1 + 5))

tap_plan 50
# nr_events counts all event lines: events.jsonl.1 is the file before the
# rotation test
all_events() { cat "$events.1" "$events" 2>/dev/null; }
nr_events() { all_events | jq -c "select($1)" 2>/dev/null | wc -l; }

# ---- usage and configuration (no guest needed) ---------------------------------
rc=0; "$VMID" --help >"$work/help" 2>&1 || rc=$?
tap_ok '[ $rc = 0 ] && grep -q -- "--once" "$work/help"' "vmid --help: exit 0, lists the options"
rc=0; "$VMID" --bogus >/dev/null 2>&1 || rc=$?
tap_is "$rc" 2 "unknown option: exit 2"
rc=0; "$VMID" --once --config "$work/none.conf" --state-dir "$work/x" >/dev/null 2>&1 || rc=$?
tap_is "$rc" 2 "a --config file that does not exist: exit 2"
printf '# test\ninterval = soon\n' >"$work/bad.conf"
rc=0; "$VMID" --once --config "$work/bad.conf" --state-dir "$work/x" 2>"$work/bad.err" >/dev/null || rc=$?
tap_ok '[ $rc = 2 ] && grep -q "bad.conf:2: invalid interval" "$work/bad.err"' \
	"an invalid value in the configuration: exit 2, file and line named"
printf 'module_text = __x64_sys_acct, __x64_sys_kill\nmodule_text = __x64_sys_acct; reboot\n' >"$work/bad.conf"
rc=0; "$VMID" --once --config "$work/bad.conf" --state-dir "$work/x" 2>"$work/bad.err" >/dev/null || rc=$?
tap_ok '[ $rc = 2 ] && grep -q "bad.conf:2: invalid module_text" "$work/bad.err" && ! grep -q "bad.conf:1:" "$work/bad.err"' \
	"module_text: a list of function names is taken, anything else is invalid"
rc=0; "$VMICTL" status "$work/nosock" >/dev/null 2>"$work/nosock.err" || rc=$?
tap_ok '[ $rc = 3 ] && grep -q "is vmid running" "$work/nosock.err"' "vmictl status without vmid: exit 3, says why"

guest_start --kernel 6.1 --test-modules --name "$prefix-a" || tap_bail "guest a did not boot"
dir_a=$GUEST_DIR
# a guest reboot resets the machine inside the same QEMU (as with libvirt),
# instead of the rig's -no-reboot exit; QMP now, vmid's workers hold it later
guest_qmp '{"execute":"set-action","arguments":{"reboot":"reset"}}' >/dev/null
guest_start --kernel 6.1 --name "$prefix-b" || tap_bail "guest b did not boot"
dir_b=$GUEST_DIR

# workers under their own uid: nobody exists everywhere (a package
# creates "vmiaas", the default)
printf 'worker_user = nobody\n' >"$work/vmid.conf"
"$VMID" --config "$work/vmid.conf" --state-dir "$work/state" --events "$events" --interval $INTERVAL \
	--metrics off --socket "$sock" --match "vmiaas-$prefix-*" --settle 15 2>"$work/vmid.log" &
vmid_pid=$!

# ---- discovery, attach, baseline ----------------------------------------------
tap_ok 'wait_for 10 "[ -S \"$sock\" ]"' "vmid listens on its control socket"
tap_is "$(stat -c %a "$sock" 2>/dev/null)" 600 "control socket is mode 0600"
tap_ok 'wait_for 60 "[ \"\$(status_json | jq \"[.vms[] | select(.checks >= 1)] | length\")\" = 2 ]"' \
	"vmictl status lists both VMs, each checked"
"$VMICTL" status "$sock" >"$work/status.txt" 2>&1
tap_diag "$(cat "$work/status.txt")"
tap_ok 'grep -q "vmiaas-$prefix-a .*shm" "$work/status.txt" && grep -q "vmiaas-$prefix-b .*shm" "$work/status.txt"' \
	"status table: both VMs on the shm backend"
tap_is "$(vm_field "$prefix-a" pid) $(vm_field "$prefix-b" pid)" \
	"$(cat "$dir_a/qemu.pid") $(cat "$dir_b/qemu.pid")" "status: the QEMU pids"
tap_is "$(nr_events '.event == "baseline" and (.message | startswith("taken (trust on first use)"))')" 2 \
	"a baseline taken for each VM on first sight"
tap_ok '[ -s "$work/state/baselines/vmiaas-$prefix-a" ] && [ -s "$work/state/baselines/vmiaas-$prefix-b" ]' \
	"baselines stored under the state directory, keyed by VM name"
tap_is "$(stat -c %a "$work/state/host.key" 2>/dev/null)" 600 "host key created 0600"
tap_is "$(nr_events '.type == "finding"')" 0 "no findings on clean guests"
tap_ok 'jq -e . "$events"' "every event line is valid JSON"

# ---- isolation ------------------------------------------------------------------
wa=$(vm_field "$prefix-a" worker_pid)
wb=$(vm_field "$prefix-b" worker_pid)
tap_ok '[ "$(awk "/^CapEff/ {print \$2}" /proc/$wa/status)" = 0000000000000000 ] && grep -q "^NoNewPrivs:[[:space:]]*1" /proc/$wa/status && grep -q "^Seccomp:[[:space:]]*2" /proc/$wa/status' \
	"worker runs without capabilities, with no_new_privs, under seccomp"
nobody=$(id -u nobody)
tap_ok 'awk -v u="$nobody" "/^Uid:/ { exit !(\$2 == u && \$3 == u && \$4 == u && \$5 == u) }" /proc/$wa/status && awk -v u="$(id -g nobody)" "/^Gid:/ { exit !(\$2 == u && \$3 == u) }" /proc/$wa/status && grep -q "^Groups:[[:space:]]*\$" /proc/$wa/status && [ "$(awk "/^CapPrm/ {print \$2}" /proc/$wa/status)" = 0000000000000000 ]' \
	"worker runs as worker_user (nobody: uid $nobody), no supplementary groups, no permitted capabilities"
iso=$(vm_field "$prefix-a" isolation)
tap_diag "isolation: $iso"
if [ -n "$(python3 -c 'import ctypes; l = ctypes.CDLL(None); print(l.syscall(444, None, 0, 1))' | grep -v -- -1)" ]; then
	tap_ok 'grep -Eq "^uid $nobody; Landlock ABI [0-9]+: no file system access \(open: Permission denied\); seccomp\$" <<<"$iso"' \
		"Landlock: the worker's own open() after the sandbox is denied (vmictl status says so)"
else
	tap_skip "this kernel has no Landlock"
fi
tap_is "$(ps -o ppid= -p "$wa" | tr -d ' ') $(ps -o ppid= -p "$wb" | tr -d ' ')" "$vmid_pid $vmid_pid" \
	"one worker process per VM, children of vmid"

# ---- memory: the baseline's bytes stay in the file, the skip says why it is off ---
base_a=$work/state/baselines/vmiaas-$prefix-a
# the Rss of the worker's mapping of its baseline file, in KiB
map_rss=$(awk -v f="$base_a" '/^[0-9a-f]+-[0-9a-f]+ / { m = $NF == f && $2 == "r--p" }
	m && $1 == "Rss:" { print $2; exit }' "/proc/$wa/smaps")
tap_ok '[ -n "$map_rss" ] && [ "$map_rss" -lt 1024 ]' \
	"the worker maps its baseline file read-only, ${map_rss:-no} KiB of it resident (the bytes are read only where a page differs)"
anon=$(awk '$1 == "Pss_Anon:" { print $2 }' "/proc/$wa/smaps_rollup")
if ldd "$VMID" | grep -q libasan; then
	tap_skip "worker's private memory: $anon KiB under ASan (its quarantine keeps freed memory)"
else
	tap_ok '[ "$anon" -lt $((16 * 1024)) ]' \
		"worker's private memory $anon KiB < 16 MiB (37 MiB when it held the baseline's bytes and a second BTF)"
fi
# the soft-dirty skip: on where the kernel keeps soft-dirty bits (67-vmid-softdirty.sh
# shows it working), else off because of that
sd=$(python3 -c 'import ctypes, mmap, struct
m = mmap.mmap(-1, 4096); m[0] = 1
a = ctypes.addressof(ctypes.c_char.from_buffer(m))
f = open("/proc/self/pagemap", "rb"); f.seek(a // 4096 * 8)
print(struct.unpack("Q", f.read(8))[0] >> 55 & 1)')
want="soft-dirty skip: on"
[ "$sd" = 1 ] || want="soft-dirty skip: off, because the host kernel keeps no soft-dirty bits (CONFIG_MEM_SOFT_DIRTY)"
tap_ok 'grep -qF "vmiaas-$prefix-a: ${want}" "$work/status.txt" && [[ "$(vm_field "$prefix-a" dirty_skip)" == "$want"* ]]' \
	"status: ${want}"

# ---- an attack in one guest ----------------------------------------------------
GUEST_DIR=$dir_a
table=$(ksym sys_call_table)
t0=$(date +%s%N)
guest_run insmod /vmiaas/modules/vmiaas_attack_syscall.ko "table=0x$table" >"$work/insmod" 2>&1 ||
	tap_diag "insmod: $(cat "$work/insmod")"
sel_a='.type == "finding" and .vm.name == "vmiaas-'$prefix-a'" and .check == "syscall-table" and .object == "x64 217 getdents64"'
tap_ok 'wait_for $ROUND "[ \"\$(nr_events \"\$sel_a\")\" = 1 ]"' \
	"syscall hook in guest a: a finding event within one round (${ROUND} s)"
tap_diag "finding after $((($(date +%s%N) - t0) / 1000000)) ms"
tap_diag "$(jq -c "select($sel_a)" "$events" | cut -c1-400)"
tap_ok 'has "$events" "$sel_a and .vm.pid == $(cat "$dir_a/qemu.pid") and (.vm.shm | length > 0) and (.detail.new_symbol | startswith(\"[vmiaas_attack_syscall]\"))"' \
	"the finding carries the VM's pid and shm path, and names the module"
sleep $ROUND
tap_is "$(nr_events '.type == "finding" and .vm.name == "vmiaas-'$prefix-b'"')" 0 "no finding for guest b"
tap_is "$(nr_events "$sel_a")" 1 "a lasting finding is reported once, not every round"
tap_ok '[ "$(vm_field "$prefix-a" findings)" -ge 1 ] && [ "$(vm_field "$prefix-b" findings)" = 0 ]' \
	"status: active findings for a (the hook: syscall-table, kernel-rodata), none for b"
guest_run rmmod vmiaas_attack_syscall >/dev/null 2>&1
tap_ok 'wait_for $ROUND "[ \"\$(nr_events \".type == \\\"resolved\\\" and .vm.name == \\\"vmiaas-$prefix-a\\\" and .check == \\\"syscall-table\\\"\")\" = 1 ]"' \
	"module unloaded: the finding is resolved"

# ---- a crashing worker ------------------------------------------------------------
kill -SEGV "$wb"
tap_ok 'wait_for 10 "[ \"\$(nr_events \".event == \\\"worker-crashed\\\" and .vm.name == \\\"vmiaas-$prefix-b\\\"\")\" = 1 ]"' \
	"a worker killed by SIGSEGV is reported as an event"
# under the sanitized build its handler's report met seccomp: the event
# must still name the signal, and no error blame the allow-list
tap_is "$(nr_events '.event == "worker-crashed" and .vm.name == "vmiaas-'$prefix-b'" and (.message | contains("signal 11 (Segmentation fault)"))') $(nr_events '.event == "error" and .vm.name == "vmiaas-'$prefix-b'" and (.message | contains("seccomp"))')" \
	"1 0" "the event names SIGSEGV; no error event blames seccomp"
tap_ok 'wait_for 20 "[ \"\$(vm_field $prefix-b restarts)\" = 1 ] && [ \"\$(vm_field $prefix-b state)\" = ready ]"' \
	"the worker is restarted (with backoff) and checks again"
tap_is "$(nr_events '.event == "baseline" and .vm.name == "vmiaas-'$prefix-b'" and (.message | startswith("loaded"))')" 1 \
	"the restarted worker loads the stored baseline"
tap_is "$(vm_field "$prefix-a" worker_pid) $(vm_field "$prefix-a" restarts)" "$wa 0" \
	"guest a's worker is untouched"

# ---- detach -----------------------------------------------------------------------
fds_before=$(ls /proc/$vmid_pid/fd | wc -l)
"$VMIAAS_GUEST_CLI" stop "$dir_b" >/dev/null 2>&1
tap_ok 'wait_for 10 "[ \"\$(status_json | jq \".vms | length\")\" = 1 ]"' \
	"guest b stopped: status no longer lists it"
tap_is "$(nr_events '.event == "detached" and .vm.name == "vmiaas-'$prefix-b'"')" 1 "a detached event"
tap_is "$(ls /proc/$vmid_pid/fd | wc -l)" $((fds_before - 2)) \
	"vmid holds two descriptors fewer (worker socket, QEMU pidfd)"

# ---- a new boot under the same name: re-baselined --------------------------------
guest_start --kernel 6.1 --name "$prefix-b" || tap_bail "guest b did not boot again"
tap_ok 'wait_for 60 "[ \"\$(nr_events \".event == \\\"baseline\\\" and .vm.name == \\\"vmiaas-$prefix-b\\\" and (.message | startswith(\\\"re-taken\\\"))\")\" = 1 ]"' \
	"guest b booted again: its baseline is re-taken (another boot)"
tap_diag "$(all_events | jq -r 'select(.event == "baseline" and (.message | startswith("re-taken"))) | .message')"
tap_is "$(all_events | jq -r 'select(.event == "discovered") | .vm.pid' | sort | uniq -d)" "" \
	"each QEMU process discovered once"

# ---- a reboot inside the same QEMU: settle, then re-baseline ---------------------
timeout 5 "$VMIAAS_GUEST_CLI" run "$dir_a" 'reboot -f' >/dev/null 2>&1
sel_r='.vm.name == "vmiaas-'$prefix-a'" and .vm.pid == '$(cat "$dir_a/qemu.pid")
tap_ok 'wait_for 90 "[ \"\$(nr_events \"\$sel_r and .event == \\\"rebooted\\\"\")\" = 1 ]"' \
	"guest a rebooted inside its QEMU: reported as a reboot"
tap_ok 'wait_for 90 "[ \"\$(nr_events \"\$sel_r and .event == \\\"baseline\\\" and (.message | startswith(\\\"re-taken\\\"))\")\" = 1 ] && [ \"\$(vm_field $prefix-a state)\" = ready ] && [ \"\$(vm_field $prefix-a findings)\" = 0 ]"' \
	"after settling: re-baselined, checked, no findings"

# ---- ... but never over a finding -------------------------------------------------
GUEST_DIR=$dir_a
wait_for 30 'guest_run true' || tap_diag "guest a's agent is not back after the reboot"
table=$(ksym sys_call_table)
guest_run insmod /vmiaas/modules/vmiaas_attack_syscall.ko "table=0x$table" >/dev/null 2>&1
tap_ok 'wait_for $ROUND "[ \"\$(nr_events \"\$sel_a\")\" = 2 ]"' \
	"after the reboot, the hook again gives a finding"
timeout 5 "$VMIAAS_GUEST_CLI" run "$dir_a" 'reboot -f' >/dev/null 2>&1
tap_ok 'wait_for 90 "[ \"\$(vm_field $prefix-a state)\" = refused ]"' \
	"a reboot with an active finding: the VM is refused, not re-baselined"
tap_is "$(nr_events "$sel_r"' and .event == "error" and (.message | test("active finding"))')" 1 \
	"an error event says the baseline is not re-taken over the finding"

# ---- reload ---------------------------------------------------------------------
mv "$events" "$events.1"
kill -HUP "$vmid_pid"
tap_ok 'wait_for 10 "[ -s \"$events\" ]"' "SIGHUP reopens the event file (rotation)"
tap_ok 'has "$events" ".event == \"reloaded\"" && [ "$(status_json | jq ".vms | length")" = 2 ]' \
	"SIGHUP: configuration reloaded, both VMs still watched"

# ---- stop -------------------------------------------------------------------------
workers="$(status_json | jq -r '.vms[].worker_pid' | tr '\n' ' ')"
kill -TERM "$vmid_pid"
st=0
for _ in $(seq 50); do kill -0 "$vmid_pid" 2>/dev/null || break; sleep 0.1; done
wait "$vmid_pid" || st=$?
vmid_pid=
tap_is "$st" 0 "vmid exits 0 on SIGTERM"
tap_ok '[ ! -e "$sock" ] && ! ps -p "${workers// /,}0" >/dev/null' \
	"control socket removed, no worker left"

# ---- a tampered baseline is reported, never replaced -------------------------------
# guest a rebooted above: --once waits at most its timeout (60 s) for a
# kernel that boots, which a loaded host's TCG boot can exceed (76 s at
# a load of 27); the test is about the baseline, so the guest is up first
GUEST_DIR=$dir_a
wait_for 240 'guest_run true' || tap_diag "guest a's agent is not back after its second reboot"
base=$work/state/baselines/vmiaas-$prefix-a
size=$(stat -c %s "$base")
printf '\x5a' | dd of="$base" bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null
sum=$(md5sum <"$base")
st=0
"$VMID" --once --state-dir "$work/state" --events "$work/once.jsonl" \
	--metrics off --match "vmiaas-$prefix-a" 2>"$work/once.log" || st=$?
tap_ok 'has "$work/once.jsonl" ".event == \"error\" and (.message | test(\"not replaced\"))"' \
	"--once with a tampered baseline: an error event, the baseline not replaced"
tap_is "$(md5sum <"$base")" "$sum" "the tampered baseline file is left as it was"
[ "$_tap_fail" -eq 0 ] || tap_diag "vmid log:" "$(tail -n 40 "$work/vmid.log")"
tap_done
