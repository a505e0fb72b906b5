# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# tests/lib/guest.sh: TAP helpers and test-guest helpers for the shell
# integration tests (run under "prove --exec ''").
#
#   . "$(dirname "$0")/../lib/guest.sh"
#   tap_plan 3
#   guest_start --kernel 6.1       # sets GUEST GUEST_DIR GUEST_SHM GUEST_QMP
#                                  #      GUEST_CMD GUEST_PID GUEST_KVER
#                                  #      GUEST_KGEN GUEST_SYSTEM_MAP
#   tap_is "$(guest_run uname -r)" "$GUEST_KVER" "uname -r"
#   guest_insmod "$(guest_modules)/vmiaas_test_hello.ko"
#   tap_ok 'guest_run grep -q vmiaas_test_hello /proc/modules' "loaded"
#   tap_done
#
# The tap_* checks always return 0, so a "set -e" test keeps going after
# a failed check; tap_done reports. Every guest started with guest_start is
# stopped when the test exits (an EXIT trap: a test that sets its own EXIT
# trap must call _guest_cleanup from it).
# Exit codes (kselftest): 0 pass, 1 fail, 4 skip.

VMIAAS_TOP=${VMIAAS_TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
VMIAAS_GUEST_CLI=${VMIAAS_GUEST_CLI:-$VMIAAS_TOP/scripts/guest}

# ---- TAP -------------------------------------------------------------------

_tap_n=0
_tap_fail=0
_tap_skip=0
_tap_plan=

tap_plan()
{
	_tap_plan=$1
	echo "1..$1"
}

# A failed test and the diagnostics after it go to stderr too: prove
# without -v (make check, CI) shows only that, so the log says why.
_tap_failed=

tap_diag()
{
	printf '%s\n' "$@" | sed 's/^/# /'
	[ -z "$_tap_failed" ] || printf '%s\n' "$@" | sed 's/^/# /' >&2
}

_tap_result()
{
	_tap_n=$((_tap_n + 1))
	if [ "$1" -eq 0 ]; then
		_tap_failed=
		echo "ok $_tap_n - $2"
	else
		_tap_fail=$((_tap_fail + 1))
		_tap_failed=1
		echo "not ok $_tap_n - $2"
		echo "not ok $_tap_n - $2" >&2
	fi
}

# tap_ok COND DESC: COND is a shell command (a string, run with eval);
# the test passes when it succeeds.
tap_ok()
{
	local st=0
	eval "$1" >/dev/null 2>&1 || st=1
	_tap_result $st "$2"
	[ $st -eq 0 ] || tap_diag "failed: $1"
	return 0
}

# tap_cmd DESC CMD...: passes when CMD (run as is, no eval) succeeds.
tap_cmd()
{
	local desc=$1 st=0
	shift
	"$@" >/dev/null 2>&1 || st=$?
	_tap_result $((st != 0)) "$desc"
	[ $st -eq 0 ] || tap_diag "failed (status $st): $*"
	return 0
}

# tap_is GOT EXPECTED DESC
tap_is()
{
	if [ "$1" = "$2" ]; then
		_tap_result 0 "$3"
		return 0
	fi
	_tap_result 1 "$3"
	tap_diag "     got: '$1'" "expected: '$2'"
	return 0
}

# tap_skip REASON [COUNT]: records COUNT (default 1) skipped tests.
tap_skip()
{
	local i
	for i in $(seq "${2:-1}"); do
		_tap_n=$((_tap_n + 1))
		_tap_skip=$((_tap_skip + 1))
		echo "ok $_tap_n # SKIP $1"
	done
}

# tap_skip_all REASON: the whole test is skipped (before any test ran).
tap_skip_all()
{
	echo "1..0 # SKIP $1"
	exit 4
}

# tap_bail REASON: stop the test now (guests are stopped by the trap).
tap_bail()
{
	echo "Bail out! $1"
	exit 1
}

tap_done()
{
	[ -n "$_tap_plan" ] || echo "1..$_tap_n"
	if [ -n "$_tap_plan" ] && [ "$_tap_plan" -ne "$_tap_n" ]; then
		tap_diag "planned $_tap_plan tests but ran $_tap_n"
		exit 1
	fi
	[ "$_tap_fail" -eq 0 ] || exit 1
	[ "$_tap_n" -gt 0 ] && [ "$_tap_skip" -eq "$_tap_n" ] && exit 4
	exit 0
}

# ---- guests ----------------------------------------------------------------

_guest_started=()

_guest_cleanup()
{
	local g
	for g in ${_guest_started[@]+"${_guest_started[@]}"}; do
		"$VMIAAS_GUEST_CLI" stop "$g" >/dev/null 2>&1 || true
	done
	_guest_started=()
}
trap _guest_cleanup EXIT
trap 'exit 1' INT TERM HUP

# guest_start [scripts/guest start options]: boots a guest and sets the
# GUEST* variables. Returns 1 (with a diagnostic) if it did not boot.
guest_start()
{
	local dir name='' a
	for a in "$@"; do
		[ "$a" = --name ] && name=given
	done
	# name it here, so that the trap stops it even if interrupted at boot
	if [ -z "$name" ]; then
		name=t$(date +%H%M%S)-$$-$RANDOM
		set -- "$@" --name "$name"
		_guest_started+=("$name")
	fi
	if ! dir=$("$VMIAAS_GUEST_CLI" start "$@" 2>"${TMPDIR:-/tmp}/vmiaas-start.$$"); then
		tap_diag "guest start $* failed:"
		tap_diag "$(cat "${TMPDIR:-/tmp}/vmiaas-start.$$")"
		rm -f "${TMPDIR:-/tmp}/vmiaas-start.$$"
		return 1
	fi
	rm -f "${TMPDIR:-/tmp}/vmiaas-start.$$"
	_guest_started+=("$dir")
	guest_use "$dir"
}

# guest_use DIR-or-NAME: sets the GUEST* variables of a started guest.
guest_use()
{
	local info
	info=$("$VMIAAS_GUEST_CLI" info "$1") || return 1
	GUEST=$(sed -n 's/^NAME=//p' <<<"$info")
	GUEST_DIR=$(sed -n 's/^DIR=//p' <<<"$info")
	GUEST_SHM=$(sed -n 's/^SHM=//p' <<<"$info")
	GUEST_QMP=$(sed -n 's/^QMP=//p' <<<"$info")
	GUEST_CMD=$(sed -n 's/^CMD=//p' <<<"$info")
	GUEST_PID=$(sed -n 's/^PID=//p' <<<"$info")
	GUEST_KVER=$(sed -n 's/^ABI=//p' <<<"$info")
	GUEST_KGEN=$(sed -n 's/^KGEN=//p' <<<"$info")
	GUEST_SYSTEM_MAP=$(sed -n 's/^SYSTEM_MAP=//p' <<<"$info")
	GUEST_READY_MS=$(sed -n 's/^READY_MS=//p' <<<"$info")
	export GUEST GUEST_DIR GUEST_SHM GUEST_QMP GUEST_CMD GUEST_PID \
		GUEST_KVER GUEST_KGEN GUEST_SYSTEM_MAP GUEST_READY_MS
}

# guest_run [--timeout S] CMD...: runs CMD in $GUEST; its stdout, stderr
# and status are the guest command's (124: the guest did not answer).
guest_run()
{
	local opts=()
	if [ "${1:-}" = --timeout ]; then
		opts=(--timeout "$2")
		shift 2
	fi
	"$VMIAAS_GUEST_CLI" run ${opts[@]+"${opts[@]}"} "$GUEST_DIR" "$@"
}

# guest_put LOCALFILE GUESTPATH
guest_put()
{
	"$VMIAAS_GUEST_CLI" put "$GUEST_DIR" "$1" "$2"
}

# guest_qmp JSON|HMP
guest_qmp()
{
	"$VMIAAS_GUEST_CLI" qmp "$GUEST_DIR" "$1"
}

# guest_dump FILE: ELF dump of the guest's memory.
guest_dump()
{
	"$VMIAAS_GUEST_CLI" dump "$GUEST_DIR" "$1"
}

# guest_modules: prints the directory of the test modules (tests/modules)
# built for $GUEST's kernel.
guest_modules()
{
	"$VMIAAS_GUEST_CLI" modules --kernel "${GUEST_KGEN:-6.1}"
}

# guest_headers GEN: sets abi (the kernel ABI of generation GEN) and kdir
# (its headers); skips the whole test if the headers are missing.
guest_headers()
{
	abi=$("$VMIAAS_GUEST_CLI" abi --kernel "$1") ||
		tap_bail "cannot fetch the $1 kernel"
	kdir=/lib/modules/$abi/build
	[ -d "$kdir" ] ||
		tap_skip_all "no headers for $abi at $kdir (scripts/guest setup)"
}

# agent_build DIR: guest-agent/ built for $kdir (guest_headers) in a
# private copy under DIR, never in the tree; sets ko to its .ko file.
agent_build()
{
	mkdir -p "$1/src"
	cp -r "$VMIAAS_TOP/guest-agent" "$VMIAAS_TOP/include" "$1/src/"
	find "$1/src" \( -name '*.o' -o -name '.*.cmd' -o -name '*.ko' \) -delete
	make -s -C "$kdir" M="$1/src/guest-agent" modules >"$1/build.log" 2>&1 ||
		tap_bail "vmiaas_agent.ko for $abi: $(tail -n 5 "$1/build.log")"
	ko=$1/src/guest-agent/vmiaas_agent.ko
}

# guest_insmod FILE.ko [PARAMS...]: copies a module into $GUEST and loads it.
guest_insmod()
{
	local ko=$1 base
	shift
	base=${ko##*/}
	guest_put "$ko" "/tmp/$base" &&
		guest_run insmod "/tmp/$base" "$@"
}

# guest_stop [DIR-or-NAME]: stops a guest (default $GUEST).
guest_stop()
{
	local g=${1:-$GUEST_DIR} i
	"$VMIAAS_GUEST_CLI" stop "$g"
	for i in "${!_guest_started[@]}"; do
		[ "${_guest_started[$i]}" = "$g" ] && unset '_guest_started[i]'
	done
	return 0
}
