# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# tests/lib/vmid.sh: the set-up the vmid integration tests share (after
# tests/lib/guest.sh).
#
#   . "$(dirname "$0")/../lib/guest.sh"
#   . "$(dirname "$0")/../lib/vmid.sh"
#   vmid_setup agent63            # VMID, work sock events prefix vmid_pid,
#                                 # the EXIT trap (vmid killed, guests
#                                 # stopped, $work removed)
#   "$VMID" --socket "$sock" --events "$events" ... &
#   vmid_pid=$!
#   wait_for 60 '[ "$(vm_field state)" = ready ]'
#
# vm_field and nr_events read $sock and $events; vm_field takes the VM's
# name as the guest rig names it (without "vmiaas-"), $prefix by default.

# vmid_setup TAG: checks for the binaries, makes the work directory.
vmid_setup()
{
	: "${VMICTL:?set VMICTL to the vmictl binary (scripts/run-tests.sh does)}"
	VMID=${VMID:-$(dirname "$VMICTL")/vmid}
	[ -x "$VMID" ] || tap_skip_all "no vmid binary at $VMID"
	command -v qemu-system-x86_64 >/dev/null ||
		tap_skip_all "qemu-system-x86_64 missing (scripts/deps.sh test)"
	command -v jq >/dev/null || tap_skip_all "jq missing (scripts/deps.sh test)"
	work=$(mktemp -d "${TMPDIR:-/tmp}/vmiaas-$1.XXXXXX")
	sock=$work/vmid.sock
	events=$work/events.jsonl
	prefix=$1-$$-$RANDOM
	vmid_pid=
	trap _vmid_cleanup EXIT
}

_vmid_cleanup()
{
	[ -n "${vmid_pid:-}" ] && kill -KILL "$vmid_pid" 2>/dev/null
	_guest_cleanup
	[ -n "${work:-}" ] && rm -rf "$work"
}

# wait_for SECONDS COND: polls COND (eval) every 0.2 s; 0 when it held.
wait_for()
{
	local end=$(($(date +%s) + $1))
	while [ "$(date +%s)" -le "$end" ]; do
		eval "$2" >/dev/null 2>&1 && return 0
		sleep 0.2
	done
	return 1
}

# metrics_port LOG: the port of vmid's metrics endpoint, from the line it
# logs to LOG when it listens. Tests start vmid with --metrics 127.0.0.1:0
# (the kernel picks a free port): tests running at once, or another vmid
# on this machine, never take each other's port, nor scrape each other's
# vmid. Empty if vmid did not say within 30 s.
metrics_port()
{
	wait_for 30 "grep -q 'metrics on 127\.0\.0\.1:[1-9]' '$1'" &&
		sed -n 's/.*metrics on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$1" | tail -n 1
}

# fresh_clock: sets the array fresh to a command prefix under which
# CLOCK_MONOTONIC reads about 5 s, as on a node that has just booted
# (where systemd starts vmid): a time namespace (unshare -T, Linux 5.6).
# vmid's timers count from that clock; one that only works on a host up
# for hours is a bug a test on a long-running machine does not see.
# CLOCK_BOOTTIME stays: /proc/PID/stat's start times count from it.
fresh_clock()
{
	local up
	up=$(cut -d. -f1 /proc/uptime)
	fresh=(unshare -T --monotonic=-$((up - 5)))
	"${fresh[@]}" true 2>/dev/null ||
		tap_bail "no time namespace here (unshare -T): $("${fresh[@]}" true 2>&1)"
}

status_json() { "$VMICTL" --json status "$sock"; }
# vm_field [NAME] FIELD: a field of VM vmiaas-NAME (default: $prefix, a
# test with one guest) in vmictl status
vm_field()
{
	local name=$prefix
	if [ $# -gt 1 ]; then
		name=$1
		shift
	fi
	status_json | jq -r --arg n "vmiaas-$name" ".vms[] | select(.name == \$n) | .$1"
}
# nr_events JQ-CONDITION: event lines that satisfy it
nr_events() { jq -c "select($1)" "$events" 2>/dev/null | wc -l; }
# has FILE JQ-CONDITION: a line of FILE satisfies it (jq 1.6's -e looks
# only at the last line)
has() { jq -c "select($2)" "$1" 2>/dev/null | grep -q .; }
# ksym NAME: the address of a kernel symbol in $GUEST
ksym() { guest_run "awk '\$3 == \"$1\" { print \$1; exit }' /proc/kallsyms"; }

# vmid_stop: SIGTERM to vmid, waits for it; its exit status in $st.
vmid_stop()
{
	st=0
	kill -TERM "$vmid_pid"
	wait "$vmid_pid" || st=$?
	vmid_pid=
}

# qemu_stand_in DIR: builds DIR/qemu-system-x86_64, a stand-in for QEMU
# that only waits; vmid takes it for QEMU by its name and reads its
# command line, e.g. -name NAME -machine pc,memory-backend=mem -object
# memory-backend-file,id=mem,size=256M,mem-path=RAM,share=on (RAM: a
# saved guest's, attached with the shm backend).
qemu_stand_in()
{
	printf 'int pause(void);\nint main(void) { for (;;) pause(); }\n' >"$1/fakeqemu.c"
	cc -O2 -o "$1/qemu-system-x86_64" "$1/fakeqemu.c"
}
