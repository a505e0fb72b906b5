#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# vmid with a real libvirtd: two TCG domains (direct kernel boot of the
# rig's Debian 6.1 kernel; one with memfd RAM, one with file RAM, later one
# with libvirt's default anonymous RAM) found
# through libvirt's lifecycle events, attached and baselined on their own
# with registers read through libvirt's monitor; a syscall hook in one
# domain gives a finding for that domain alone in the JSON lines, in the
# control socket's live stream and as a structured entry of a real
# systemd-journald; vmictl vmid-check / findings / vmid-rebaseline; the
# Prometheus endpoint
# scraped with curl and validated by promtool; a reboot inside one QEMU
# (libvirt's reboot event) re-baselined without findings; libvirtd
# SIGSTOPped: vmictl still answers at once and checks go on; the
# connection gone while a domain is destroyed and another started: both
# seen after the reconnect; destroyed domains detached with vmid's
# descriptors back to where they were.
. "$(dirname "$0")/../lib/guest.sh"

: "${VMICTL:?set VMICTL to the vmictl binary (scripts/run-tests.sh does)}"
VMID=${VMID:-$(dirname "$VMICTL")/vmid}
[ -x "$VMID" ] || tap_skip_all "no vmid binary at $VMID"
[ "$(id -u)" -eq 0 ] || tap_skip_all "needs root (libvirtd, QEMU memory)"
for t in libvirtd virtlogd virsh promtool curl socat jq unshare nsenter; do
	command -v "$t" >/dev/null || tap_skip_all "$t is missing (scripts/deps.sh test)"
done
[ -x /lib/systemd/systemd-journald ] || tap_skip_all "no systemd-journald"

INTERVAL=3
SETTLE=10
# A guest boot is bounded by its QEMU's own CPU time, not the wall clock:
# on a loaded host (2 cores shared by many TCG guests and Bochs) a boot
# of ~15 s of CPU can take minutes of wall time, while a guest that
# hangs or panics burns its CPU time like any other. BOOT_WALL only
# stops a wait that makes no progress at all (a QEMU that never runs).
BOOT_CPU=120
BOOT_WALL=1200
# vmid's work after a boot (attach, baseline, registers through libvirt's
# monitor) needs QEMU to answer: generous, it only costs time on failure
ATTACH_WAIT=300
# a round: the interval, up to 1 s of jitter, the check, libvirt's monitor
ROUND=$((INTERVAL + 1 + 8))
URI=qemu:///system
virsh() { command virsh -q -c "$URI" "$@"; }

tap_plan 46
work=$(mktemp -d "${TMPDIR:-/tmp}/vmiaas-lv.XXXXXX")
chmod 755 "$work"	# QEMU runs as libvirt-qemu: kernel, initrd, sockets
sock=$work/vmid.sock
events=$work/events.jsonl
prefix=lv$$-$RANDOM
vmid_pid=
started_libvirtd=
follow_pid=
idle_pid=
domains=()
proxy_pid=
notify_pid=
stopped=
cleanup()
{
	local dom
	[ -n "$stopped" ] && kill -CONT -- $stopped 2>/dev/null
	[ -n "$proxy_pid" ] && kill -- -"$proxy_pid" 2>/dev/null
	[ -n "$notify_pid" ] && kill "$notify_pid" 2>/dev/null
	[ -n "$vmid_pid" ] && kill -KILL "$vmid_pid" 2>/dev/null
	[ -s "$work/journald.pid" ] && kill "$(cat "$work/journald.pid")" 2>/dev/null
	[ -n "$follow_pid" ] && kill "$follow_pid" 2>/dev/null
	[ -n "$idle_pid" ] && kill "$idle_pid" 2>/dev/null
	for dom in ${domains[@]+"${domains[@]}"}; do
		virsh destroy "$dom" >/dev/null 2>&1
	done
	if [ -n "$started_libvirtd" ]; then
		kill "$(cat "$work/libvirtd.pid" 2>/dev/null)" 2>/dev/null
		kill "$(cat "$work/virtlogd.pid" 2>/dev/null)" 2>/dev/null
		sleep 0.5
	fi
	rm -rf "$work"
}
trap cleanup EXIT

# wait_for, status_json, nr_events, has: tests/lib/vmid.sh; vm_field A
# FIELD here names the domain by its suffix (a, b)
. "$(dirname "$0")/../lib/vmid.sh"
vm_field() { status_json | jq -r --arg n "vmiaas-$prefix-$1" ".vms[] | select(.name == \$n) | .$2"; }
# journal JOURNALCTL-MATCHES...: vmid's journal entries, JSON, one a line.
# -r: vmid's root too; entering a mount namespace alone resets the root to
# the namespace's, which under a chroot is the host's, not this machine's.
journal() { nsenter -t "$vmid_pid" -m -r journalctl -D /run/log/journal -o json --no-pager "$@" 2>/dev/null; }
fds() { ls "/proc/$vmid_pid/fd" | wc -l; }

# ---- libvirtd ----------------------------------------------------------------
if virsh version >/dev/null 2>&1; then
	tap_diag "using the libvirtd already running"
else
	virtlogd -d -p "$work/virtlogd.pid" || tap_bail "virtlogd did not start"
	LIBVIRT_LOG_OUTPUTS="3:file:$work/libvirtd.log" \
		libvirtd -d -p "$work/libvirtd.pid" || tap_bail "libvirtd did not start"
	started_libvirtd=1
	wait_for 60 'virsh version' || tap_bail "libvirtd does not answer"
fi

# vmid reaches libvirtd through a proxy that the outage cases below stop
# and kill: libvirtd may be shared (not started here), and a proxy gone
# is libvirtd gone for vmid, while virsh still reaches libvirtd directly.
proxy_start()
{
	# setsid: its own process group, the per-connection children too
	setsid socat UNIX-LISTEN:"$work/lv.sock",fork,unlink-early \
		UNIX-CONNECT:/run/libvirt/libvirt-sock </dev/null >/dev/null 2>&1 &
	proxy_pid=$!
	wait_for 10 '[ -S "$work/lv.sock" ]'
}
proxy_start || tap_bail "no proxy to libvirtd's socket"

# ---- the guests' kernel and initramfs (the rig's, with the test modules) -----
abi=$("$VMIAAS_GUEST_CLI" setup --kernel 6.1 | tail -n 1) || tap_bail "guest rig setup failed"
cache=${VMIAAS_CACHE:-$VMIAAS_TOP/.cache}
base=$cache/initramfs/base-$(cat /bin/busybox "$VMIAAS_TOP/tests/guest/init" | sha256sum | cut -c1-16).cpio
mods=$("$VMIAAS_GUEST_CLI" modules --kernel 6.1)
[ -s "$base" ] || tap_bail "no base initramfs at $base"
mkdir -p "$work/stage/vmiaas/modules"
cp "$mods"/*.ko "$work/stage/vmiaas/modules/"
{ cat "$base"; (cd "$work/stage" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0); } \
	>"$work/initrd.cpio"
cp "$cache/kernels/$abi/boot/vmlinuz-$abi" "$work/vmlinuz"
chmod 644 "$work/vmlinuz" "$work/initrd.cpio"

# domain_xml NAME RAM-SOURCE (memfd|file|anonymous, libvirt's default: no
# memoryBacking): ttyS0 to a file, ttyS1 to the rig's command agent socket
# (scripts/guest run DIR works on it).
# no_timer_check: at boot Linux wants the timer IRQ to tick 4 times in a
# TSC-timed delay; a starved TCG QEMU misses that and the kernel panics
# ("IO-APIC + timer doesn't work!"), as guest b did at a load of ~28.
domain_xml()
{
	local dir=$work/$1
	mkdir -p "$dir"
	chmod 777 "$dir"
	printf "NAME='%s'\nCMD='%s'\n" "$1" "$dir/cmd.sock" >"$dir/env"
	cat <<EOF
<domain type='qemu'>
  <name>vmiaas-$prefix-$1</name>
  <memory unit='MiB'>512</memory>
  <vcpu>1</vcpu>
$([ "$2" = anonymous ] ||
	echo "  <memoryBacking><source type='$2'/><access mode='shared'/></memoryBacking>")
  <os><type arch='x86_64' machine='pc'>hvm</type>
    <kernel>$work/vmlinuz</kernel><initrd>$work/initrd.cpio</initrd>
    <cmdline>console=ttyS0 quiet loglevel=4 no_timer_check</cmdline></os>
  <features><acpi/></features>
  <devices>
    <serial type='file'><source path='$dir/console.log'/><target port='0'/></serial>
    <serial type='unix'><source mode='bind' path='$dir/cmd.sock'/><target port='1'/></serial>
    <video><model type='none'/></video>
    <memballoon model='none'/>
  </devices>
</domain>
EOF
}
# guest_ready NAME [N]: the guest's init said it is ready N times (boots)
guest_ready() { [ "$(grep -c '^VMIAAS-GUEST-READY' "$work/$1/console.log" 2>/dev/null)" -ge "${2:-1}" ]; }
qemu_pid() { cat "/run/libvirt/qemu/vmiaas-$prefix-$1.pid" 2>/dev/null; }
# qemu_cpu NAME: the CPU seconds (user + system) its QEMU has used
qemu_cpu()
{
	local pid
	pid=$(qemu_pid "$1") && [ -n "$pid" ] || return 1
	sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null |
		awk -v hz="$(getconf CLK_TCK)" 'NF > 13 { print int(($12 + $13) / hz); ok = 1 } END { exit !ok }'
}
# wait_booted N NAME...: until every guest NAME has booted N times;
# fails at once if a QEMU is gone or a kernel panicked, when one used
# BOOT_CPU s of CPU since the call without booting, or after BOOT_WALL
# s; boot_fail says why
wait_booted()
{
	local n=$1 t0 end name cpu pending
	shift
	t0=$(date +%s)
	end=$((t0 + BOOT_WALL))
	declare -A cpu0=()
	for name; do cpu0[$name]=$(qemu_cpu "$name" || echo 0); done
	boot_fail=
	while :; do
		pending=
		for name; do
			guest_ready "$name" "$n" && continue
			if ! cpu=$(qemu_cpu "$name"); then
				boot_fail="guest $name: its QEMU is gone ($(virsh domstate "vmiaas-$prefix-$name" 2>&1))"
				return 1
			fi
			if grep -q 'Kernel panic' "$work/$name/console.log" 2>/dev/null; then
				boot_fail="guest $name: its kernel panicked ($(grep -m 1 -o 'Kernel panic.*' "$work/$name/console.log"))"
				return 1
			fi
			if [ $((cpu - cpu0[$name])) -ge $BOOT_CPU ]; then
				boot_fail="guest $name: not booted after $((cpu - cpu0[$name])) s of its QEMU's CPU time ($(($(date +%s) - t0)) s of wall time)"
				return 1
			fi
			pending+=" $name"
		done
		[ -z "$pending" ] && break
		if [ "$(date +%s)" -ge "$end" ]; then
			boot_fail="guest(s)$pending: not booted after $BOOT_WALL s of wall time"
			return 1
		fi
		sleep 0.5
	done
	boot_diag="booted $n time(s) in $(($(date +%s) - t0)) s of wall time; QEMU CPU s since:"
	for name; do boot_diag+=" $name $(($(qemu_cpu "$name") - cpu0[$name]))"; done
	return 0
}
# boot_report: what a failed wait_booted saw, and the guests' state; then
# the test stops (everything after needs the guests)
boot_report()
{
	local name
	tap_diag "$boot_fail" "load: $(cut -d' ' -f1-3 /proc/loadavg)"
	for name in a b c; do
		[ -e "$work/$name/console.log" ] || continue
		tap_diag "guest $name: $(virsh domstate "vmiaas-$prefix-$name" 2>&1), QEMU pid $(qemu_pid "$name"), $(qemu_cpu "$name") s of CPU; console:" \
			"$(tail -n 15 "$work/$name/console.log")" \
			"libvirt's log of it:" "$(tail -n 5 "/var/log/libvirt/qemu/vmiaas-$prefix-$name.log" 2>&1)"
	done
	tap_bail "$boot_fail"
}
run_in() { "$VMIAAS_GUEST_CLI" run "$work/$1" "${@:2}"; }
# create_domain NAME RAM-SOURCE: virsh create, or why not (a diagnostic)
create_domain()
{
	if virsh create <(domain_xml "$1" "$2") >/dev/null 2>"$work/create.err"; then
		domains+=("vmiaas-$prefix-$1")
	else
		tap_diag "virsh create of domain $1 failed (load $(cut -d' ' -f1-3 /proc/loadavg)):" \
			"$(cat "$work/create.err")"
	fi
}

# ---- vmid, in a mount namespace with its own systemd-journald -----------------
# /run/systemd (the journal's sockets) and /run/log (the runtime journal)
# are private tmpfs there, so a real journald takes vmid's sd_journal_send()
# without touching the host's.
cat >"$work/vmid-ns.sh" <<EOF
mount -t tmpfs tmpfs /run/systemd && mkdir -p /run/systemd/journal &&
	mount -t tmpfs tmpfs /run/log || exit 1
if [ -d /var/log/journal ]; then mount -t tmpfs tmpfs /var/log/journal; fi
env -u NOTIFY_SOCKET -u WATCHDOG_USEC /lib/systemd/systemd-journald </dev/null >"$work/journald.log" 2>&1 &
echo \$! >"$work/journald.pid"
for i in \$(seq 50); do [ -S /run/systemd/journal/socket ] && break; sleep 0.1; done
exec "\$@"
EOF
# sd_notify()'s datagrams, as systemd would get them, one a line with
# the time (ns) it came: WATCHDOG_USEC=4 s, so WATCHDOG=1 every 2 s
socat -u UNIX-RECVFROM:"$work/notify.sock",fork SYSTEM:'echo "$(cat) $(date +%s%N)"' \
	>>"$work/notify.log" 2>/dev/null &
notify_pid=$!
wait_for 10 '[ -S "$work/notify.sock" ]' || tap_bail "no notify socket"
# watchdogs FROM_NS: how many WATCHDOG=1 since, and the longest gap (ms)
watchdogs()
{
	awk -v from="$1" '$1 == "WATCHDOG=1" && $2 >= from {
		if (n++ && ($2 - last) / 1e6 > max) max = ($2 - last) / 1e6
		last = $2
	} END { printf "%d %d\n", n, max }' "$work/notify.log"
}
NOTIFY_SOCKET=$work/notify.sock WATCHDOG_USEC=4000000 \
unshare -m --propagation private bash "$work/vmid-ns.sh" \
	"$VMID" --state-dir "$work/state" --events "$events" --interval $INTERVAL \
	--socket "$sock" --match "vmiaas-$prefix-*" --settle $SETTLE \
	--scan-interval 600 --metrics 127.0.0.1:0 --journal yes \
	--libvirt "qemu+unix:///system?socket=$work/lv.sock" \
	2>"$work/vmid.log" &
vmid_pid=$!
port=$(metrics_port "$work/vmid.log")
tap_ok 'wait_for 20 "[ -S \"$sock\" ] && [ \"\$(status_json | jq .libvirt)\" = true ]"' \
	"vmid is up and connected to libvirt"
fds0=$(fds)

# ---- two domains, found through libvirt's events -------------------------------
create_domain a memfd
create_domain b file
tap_is "${#domains[@]}" 2 "libvirt created both domains"
tap_ok 'wait_for 5 "[ \"\$(status_json | jq \".vms | length\")\" = 2 ]"' \
	"both domains known to vmid at once (lifecycle event; the /proc scan is every 600 s)"
if wait_booted 1 a b; then
	tap_ok true "both guests booted"
	tap_diag "$boot_diag"
else
	tap_ok false "both guests booted"
	boot_report
fi
tap_ok 'wait_for $((SETTLE + ATTACH_WAIT)) "[ \"\$(status_json | jq \"[.vms[] | select(.checks >= 1)] | length\")\" = 2 ]"' \
	"both attached, baselined and checked automatically"
VMID_SOCKET=$sock "$VMICTL" status >"$work/status.txt" 2>&1
tap_diag "$(cat "$work/status.txt")"
tap_is "$(vm_field a uuid) $(vm_field a source) $(vm_field a pid)" \
	"$(virsh domuuid "vmiaas-$prefix-a") libvirt $(cat "/run/libvirt/qemu/vmiaas-$prefix-a.pid")" \
	"VM identity: libvirt's UUID and the QEMU pid of its pid file"
tap_is "$(vm_field a backend) $(vm_field b backend)" "pid shm" \
	"memfd RAM: pid backend; file RAM: shm backend"
tap_ok 'grep -q "vmiaas-$prefix-a: pid: .*registers through libvirt" "$work/status.txt"' \
	"vmictl status says which backend and why (registers through libvirt's monitor)"
tap_is "$(nr_events '.event == "baseline" and (.message | startswith("taken (trust on first use)"))')" 2 \
	"a baseline taken for each domain"
tap_is "$(nr_events '.check == "cpu-state" and (.detail.message | test("not available"))')" 0 \
	"the CPU state is checked (registers arrive from libvirt's monitor)"
tap_is "$(nr_events '.type == "finding"')" 0 "no findings on clean guests"

# ---- control socket: several clients, none blocks the loop ---------------------
socat -t 600 UNIX-CONNECT:"$sock" - </dev/null >/dev/null 2>&1 &	# connects, says nothing
idle_pid=$!
VMID_SOCKET=$sock timeout 60 "$VMICTL" --json follow >"$work/follow.jsonl" 2>/dev/null &
follow_pid=$!
sleep 0.5
t0=$(date +%s%N)
status_json >/dev/null
tap_ok '[ $((($(date +%s%N) - t0) / 1000000)) -lt 1000 ]' \
	"status answers at once beside an idle client and a follower"

# ---- an attack in domain a ------------------------------------------------------
table=$(run_in a "grep ' sys_call_table\$' /proc/kallsyms" | cut -d' ' -f1)
t0=$(date +%s%N)
run_in a insmod /vmiaas/modules/vmiaas_attack_syscall.ko "table=0x$table" >/dev/null 2>&1 ||
	tap_diag "insmod failed"
sel_a='.type == "finding" and .vm.name == "vmiaas-'$prefix-a'" and .check == "syscall-table" and .object == "x64 217 getdents64"'
tap_ok 'wait_for $ROUND "[ \"\$(nr_events \"\$sel_a\")\" = 1 ]"' \
	"syscall hook in domain a: one finding event within one round"
tap_diag "finding after $((($(date +%s%N) - t0) / 1000000)) ms (insmod through the serial agent included)"
tap_ok 'has "$events" "$sel_a and .vm.uuid == \"$(vm_field a uuid)\" and .vm.source == \"libvirt\" and .vm.pid == $(vm_field a pid)"' \
	"the JSON line carries the libvirt name, UUID and QEMU pid"
tap_ok 'has "$work/follow.jsonl" "$sel_a"' "vmictl follow streamed the finding live"
tap_ok 'wait_for 10 "journal VMIAAS_CHECK=syscall-table VM_NAME=vmiaas-$prefix-a | grep -q ."' \
	"a structured journal entry (systemd-journald, journalctl VMIAAS_CHECK= VM_NAME=)"
journal VMIAAS_CHECK=syscall-table VM_NAME="vmiaas-$prefix-a" | head -n 1 >"$work/entry.json"
tap_diag "$(jq -c '{MESSAGE, PRIORITY, MESSAGE_ID, VMIAAS_CHECK, VMIAAS_SEVERITY, VMIAAS_OBJECT, VM_NAME, VM_UUID, QEMU_PID}' "$work/entry.json")"
tap_ok 'has "$work/entry.json" ".PRIORITY == \"2\" and .VMIAAS_SEVERITY == \"critical\" and .VMIAAS_OBJECT == \"x64 217 getdents64\" and .VM_UUID == \"$(vm_field a uuid)\" and .QEMU_PID == \"$(vm_field a pid)\" and (.MESSAGE_ID | length == 32) and (.MESSAGE | test(\"FINDING\"))"' \
	"journal fields: PRIORITY, MESSAGE_ID, VMIAAS_SEVERITY/OBJECT, VM_UUID, QEMU_PID"
tap_is "$(journal VMIAAS_EVENT=finding VM_NAME="vmiaas-$prefix-b" | wc -l)" 0 "no journal finding for domain b"
sleep $ROUND
tap_is "$(nr_events '.type == "finding" and .vm.name == "vmiaas-'$prefix-b'"')" 0 "no finding for domain b"
rc=0; VMID_SOCKET=$sock "$VMICTL" vmid-check "vmiaas-$prefix-a" >"$work/vcheck" 2>&1 || rc=$?
tap_ok '[ $rc = 1 ] && grep -q "syscall-table.*x64 217 getdents64" "$work/vcheck"' \
	"vmictl vmid-check: a check now, exit 1 with the finding"
rc=0; VMID_SOCKET=$sock "$VMICTL" vmid-check "$(vm_field b uuid)" >/dev/null 2>&1 || rc=$?
tap_is "$rc" 0 "vmictl vmid-check of domain b (by UUID): exit 0"
tap_is "$(VMID_SOCKET=$sock "$VMICTL" --json findings "vmiaas-$prefix-a" | jq '[.findings[] | select(.check == "syscall-table")] | length')" 1 \
	"vmictl findings VM: the recent finding"

# ---- metrics ---------------------------------------------------------------------
curl -sf "http://127.0.0.1:$port/metrics" >"$work/metrics.txt"
tap_ok 'promtool check metrics <"$work/metrics.txt"' "the scrape passes promtool check metrics"
tap_ok 'grep -q "^vmiaas_findings_total{vm=\"vmiaas-$prefix-a\",check=\"syscall-table\",severity=\"critical\"} 1$" "$work/metrics.txt"' \
	"vmiaas_findings_total counts the finding"
tap_ok 'grep -q "^vmiaas_vms_attached{backend=\"pid\"} 1$" "$work/metrics.txt" && grep -q "^vmiaas_vms_attached{backend=\"shm\"} 1$" "$work/metrics.txt" && grep -q "^vmiaas_libvirt_connected 1$" "$work/metrics.txt"' \
	"vmiaas_vms_attached by backend, libvirt connected"
tap_ok 'grep "^vmiaas_check_duration_seconds_count{vm=\"vmiaas-$prefix-b\"} " "$work/metrics.txt" | awk "{ ok = \$2 >= 1 } END { exit !ok }" && grep "^vmiaas_findings_active{vm=\"vmiaas-$prefix-a\"} " "$work/metrics.txt" | awk "{ ok = \$2 >= 1 } END { exit !ok }"' \
	"check duration histogram and active findings per VM"
tap_is "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/other")" 404 "other paths: 404"
kill "$idle_pid" "$follow_pid" 2>/dev/null; idle_pid= follow_pid=

# ---- an operator re-baselines domain a over its findings -------------------------
rc=0; VMID_SOCKET=$sock "$VMICTL" vmid-rebaseline "vmiaas-$prefix-a" >/dev/null 2>&1 || rc=$?
tap_is "$rc" 0 "vmictl vmid-rebaseline a: accepted"
sel_ta='.vm.name == "vmiaas-'$prefix-a'" and .event == "baseline" and (.message | startswith("taken"))'
sel_ra='.vm.name == "vmiaas-'$prefix-a'" and .type == "resolved" and .check == "syscall-table"'
tap_ok 'wait_for 60 "[ \"\$(nr_events \"\$sel_ta\")\" = 2 ] && [ \"\$(nr_events \"\$sel_ra\")\" = 1 ]"' \
	"a new baseline taken (the hook now trusted), the finding resolved"

# ---- a reboot inside domain b's QEMU: libvirt's event, then a new baseline --------
pid_b=$(vm_field b pid)
timeout 5 "$VMIAAS_GUEST_CLI" run "$work/b" 'reboot -f' >/dev/null 2>&1
sel_b='.vm.name == "vmiaas-'$prefix-b'"'
tap_ok 'wait_for 30 "[ \"\$(nr_events \"\$sel_b and .event == \\\"rebooted\\\" and (.message | startswith(\\\"libvirt\\\"))\")\" -ge 1 ]"' \
	"guest b rebooted in its QEMU: libvirt's reboot event"
if wait_booted 2 b; then tap_diag "guest b $boot_diag"; else boot_report; fi
tap_ok 'wait_for $((SETTLE + ATTACH_WAIT)) "[ \"\$(nr_events \"\$sel_b and .event == \\\"baseline\\\" and (.message | startswith(\\\"re-taken\\\"))\")\" = 1 ] && [ \"\$(vm_field b state)\" = ready ] && [ \"\$(vm_field b checks)\" -ge 1 ]"' \
	"after settling: re-baselined (another boot) and checked"
tap_is "$(nr_events "$sel_b"' and .type == "finding"') $(vm_field b pid)" "0 $pid_b" \
	"no findings for b, same QEMU process"

# ---- libvirtd stopped: vmid's loop never waits for it ---------------------------------
# Its calls (registers before each check, listings) hang; the keepalive
# (5 s x 3) closes the connection after ~20 s and the reconnect hangs too.
if [ -n "$started_libvirtd" ]; then
	stopped=$(cat "$work/libvirtd.pid") stop_what=libvirtd
else
	stopped=-$proxy_pid stop_what="the proxy to the shared libvirtd"
fi
checks_b=$(vm_field b checks)
stop_ns=$(date +%s%N)
kill -STOP -- $stopped
slow=0
for i in $(seq 24); do
	t0=$(date +%s%N)
	VMID_SOCKET=$sock timeout 5 "$VMICTL" status >/dev/null 2>&1 || slow=$((slow + 1))
	[ $((($(date +%s%N) - t0) / 1000000)) -lt 1000 ] || slow=$((slow + 1))
	sleep 1
done
tap_is "$slow" 0 "$stop_what SIGSTOPped: vmictl status answered within 1 s, 24 times in 24 s"
read -r wd wd_gap <<<"$(watchdogs "$stop_ns")"
tap_ok '[ "$wd" -ge 8 ] && [ "$wd_gap" -lt 4000 ]' \
	"the systemd watchdog fed meanwhile: $wd WATCHDOG=1, at most $wd_gap ms apart (systemd's limit: 4000)"
tap_ok '[ "$(vm_field b checks)" -gt "$checks_b" ]' \
	"domain b checked meanwhile ($checks_b, now $(vm_field b checks); registers: libvirt did not answer)"
VMID_SOCKET=$sock "$VMICTL" status >"$work/status-stopped.txt" 2>&1
tap_diag "$(grep '^libvirt:' "$work/status-stopped.txt")"
tap_ok 'grep -q "^libvirt: .*waiting for libvirtd for [0-9]* s" "$work/status-stopped.txt"' \
	"vmictl status says what waits for libvirtd, and for how long"

# ---- the connection gone: a domain destroyed, one started; reconnect, re-sync ---------
wa=$(vm_field a worker_pid)
kill -KILL -- -"$proxy_pid"
[ -n "$started_libvirtd" ] && kill -CONT -- $stopped
stopped=
tap_ok 'wait_for 30 "[ \"\$(status_json | jq .libvirt)\" = false ]"' \
	"the connection closed: vmid says libvirt is not connected"
virsh destroy "vmiaas-$prefix-a" >/dev/null
tap_ok 'wait_for 10 "[ -z \"\$(vm_field a pid)\" ]"' \
	"domain a destroyed while disconnected: detached (its QEMU's pidfd)"
tap_is "$(nr_events '.event == "detached" and .vm.name == "vmiaas-'$prefix-a'"')" 1 "one detached event"
tap_ok '[ "${wa:-0}" -gt 0 ] && ! kill -0 "$wa" 2>/dev/null' "its worker is gone"
create_domain c anonymous
proxy_start
tap_ok 'wait_for 45 "[ \"\$(status_json | jq .libvirt)\" = true ]"' \
	"libvirt back: reconnected (backoff 1 s doubling to 30 s)"
tap_ok 'wait_for 15 "[ \"\$(vm_field c source)\" = libvirt ]"' \
	"domain c, started while disconnected, attached by the listing after the reconnect"
tap_ok 'wait_for 180 "[ \"\$(vm_field c checks)\" -ge 1 ]"' \
	"domain c (libvirt's default anonymous RAM, its monitor libvirt's) baselined and checked" ||
	tap_diag "$(grep -- "-c" "$work/vmid.log" | tail -n 5)"
tap_is "$(vm_field b source) $(vm_field b uuid)" "libvirt $(virsh domuuid "vmiaas-$prefix-b")" \
	"domain b stayed attached as libvirt's"

# ---- destroy: detached, nothing leaked -------------------------------------------------
virsh destroy "vmiaas-$prefix-b" >/dev/null
virsh destroy "vmiaas-$prefix-c" >/dev/null
domains=()
tap_ok 'wait_for 10 "[ \"\$(status_json | jq \".vms | length\")\" = 0 ] && [ \"\$(fds)\" = $fds0 ]"' \
	"all destroyed: vmid holds as many descriptors as before the domains ($fds0)"

# ---- stop ----------------------------------------------------------------------------
kill -TERM "$vmid_pid"
st=0
wait "$vmid_pid" || st=$?
vmid_pid=
tap_is "$st" 0 "vmid exits 0 on SIGTERM"
if [ "$_tap_fail" -ne 0 ]; then
	tap_diag "vmid log:" "$(tail -n 40 "$work/vmid.log")"
	tap_diag "journald's own output:" "$(tail -n 5 "$work/journald.log")"
	tap_diag "vmid's events:" "$(jq -c 'select(.type == "vmid") | [.vm.name, .event, .message]' "$events" | tail -n 30)"
	tap_diag "findings:" "$(jq -c 'select(.type == "finding") | [.time, .vm.name, .check, .severity, .object, .detail.message]' "$events" | tail -n 20)"
fi
tap_done
