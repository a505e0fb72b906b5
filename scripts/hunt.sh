#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Hunts false alarms: boots a test guest (KGEN: 6.1 or 6.12), takes a
# baseline, starts a benign storm in the guest (STORM, default
# tests/guest/storm.sh, the one 52-runtime-patching runs) and runs ROUNDS
# checks against it, printing each check's exit status, time, the sites
# of an optimized kprobe it met waiting for the kprobe optimizer
# (" waiting=N") and every finding. A clean guest must give "st=0 findings=0" every round; load the
# host (stress-ng --cpu N) to widen the windows a reader of a running
# guest sees. docs/integrity.md, "The hunt", has the figures it gave.
# Usage: scripts/hunt.sh KGEN [ROUNDS]   (env: VMIAAS_BUILD, STORM, EXTRA)
set -u
[ $# -ge 1 ] || { echo "usage: $0 KGEN [ROUNDS]" >&2; exit 2; }
VMIAAS_TOP=$(cd "$(dirname "$0")/.." && pwd)
VMIAAS_BUILD=${VMIAAS_BUILD:-$VMIAAS_TOP/build}
VMICTL=$VMIAAS_BUILD/vmictl
export VMIAAS_TOP VMIAAS_BUILD VMICTL
# shellcheck source=tests/lib/guest.sh
. "$VMIAAS_TOP/tests/lib/guest.sh"
# shellcheck source=tests/lib/integrity.sh
. "$VMIAAS_TOP/tests/lib/integrity.sh"
rounds=${2:-20}
top_work=$(mktemp -d "${TMPDIR:-/tmp}/vmiaas-hunt.XXXXXX")
trap '_guest_cleanup; rm -rf "$top_work"' EXIT
bpf_fentry=$(guest_tool bpf-fentry) || exit 1
# shellcheck disable=SC2086
integrity_start "$1" --test-modules --add "$bpf_fentry" ${EXTRA:-}
take_baseline baseline
[ "$st" = 0 ] || exit 1
guest_put "${STORM:-$VMIAAS_TOP/tests/guest/storm.sh}" /tmp/storm.sh >/dev/null
guest_run 'rm -f /tmp/storm.stop /tmp/stop
	setsid sh /tmp/storm.sh </dev/null >/tmp/storm.log 2>&1 & sleep 2; echo storm started'
# " waiting=N": sites of an optimized kprobe met waiting for the optimizer
kp_waiting() {
	jq -r '[.events[] | select(.object == "kprobes") | .detail.message |
		capture("; (?<n>[0-9]+) of a probe waiting").n] |
		if length > 0 then " waiting=" + .[0] else "" end' "$work/$1.json" 2>/dev/null
}
for r in $(seq "$rounds"); do
	check_json "r$r"
	echo "round $r st=$st findings=$(nr_findings "r$r") $(jq -r .elapsed_ms "$work/r$r.json" 2>/dev/null) ms$(kp_waiting "r$r")"
	jq -c '.findings[]' "$work/r$r.json" 2>/dev/null
	[ "$st" -le 1 ] || cat "$work/r$r.err"
done
guest_run 'touch /tmp/storm.stop /tmp/stop; sleep 3; cat /tmp/storm.rounds 2>/dev/null' |
	sed 's/^/storm rounds: /'
