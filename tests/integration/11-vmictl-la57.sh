#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# A guest with 5-level paging (LA57, QEMU's max CPU): the kernel is found
# with and without registers, and ps matches the guest's /proc.
. "$(dirname "$0")/../lib/guest.sh"
. "$(dirname "$0")/../lib/procs.sh"

: "${VMICTL:?set VMICTL to the vmictl binary}"
tap_plan 6
guest_start --kernel 6.1 --cpu max,la57=on || tap_bail "guest did not boot"
work=$(mktemp -d "${TMPDIR:-/tmp}/vmiaas-la57.XXXXXX")
trap '_guest_cleanup; rm -rf "$work"' EXIT

tap_ok 'guest_run grep -qw la57 /proc/cpuinfo' "the guest runs with LA57"
"$VMICTL" --shm "$GUEST_SHM" --qmp "$GUEST_QMP" --json info >"$work/info.json"
tap_is "$(jq -r .paging_levels "$work/info.json")" 5 "info: 5-level paging"
tap_is "$(jq -r .kernel_version "$work/info.json")" "$GUEST_KVER" \
	"info: kernel_version with registers"
tap_is "$("$VMICTL" --shm "$GUEST_SHM" --json info | jq -r .kernel_version)" \
	"$GUEST_KVER" "info: kernel_version from memory alone"
for how in qmp noregs; do
	args=(--shm "$GUEST_SHM")
	[ $how = qmp ] && args+=(--qmp "$GUEST_QMP")
	guest_procs >"$work/proc"
	vmictl_procs "$VMICTL" "${args[@]}" >"$work/ps"
	guest_procs >"$work/proc2"
	tap_ok 'compare_procs "$work/proc" "$work/proc2" "$work/ps"' \
		"ps ($how) matches the guest's /proc" ||
		tap_diag "$(compare_procs "$work/proc" "$work/proc2" "$work/ps")"
done
tap_done
