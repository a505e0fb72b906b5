#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make demo: boots the bundled test guest (Debian's own 6.1 kernel under
# QEMU TCG, RAM in a shared file, a QMP socket) and introspects it from
# outside with vmictl: nothing is configured, nothing runs in the guest.
# Usage: scripts/demo.sh BUILD_DIR
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-build}
case $build in /*) ;; *) build=$top/$build ;; esac
vmictl=$build/vmictl
guest=$top/scripts/guest
kgen=${KGEN:-6.1}

[ -x "$vmictl" ] || { echo "demo: $vmictl missing: run make" >&2; exit 1; }

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
# show CMD...: prints the command with the demo's paths as $SHM, $QMP,
# $WORK (printed once below); run CMD...: shows and runs it
show()
{
	local shown="$*"
	shown=${shown//"$vmictl"/vmictl}
	[ -z "${shm:-}" ] || shown=${shown//"$shm"/\$SHM}
	[ -z "${qmp:-}" ] || shown=${shown//"$qmp"/\$QMP}
	[ -z "${work:-}" ] || shown=${shown//"$work"/\$WORK}
	printf '$ %s\n' "$shown"
}
run() { show "$@"; "$@"; }

say "Preparing the test guest (Debian $kgen kernel; cached after the first run)"
"$guest" setup --kernel "$kgen"
work=$(mktemp -d "${TMPDIR:-/tmp}/vmiaas-demo.XXXXXX")
trap 'rm -rf "$work"' EXIT
dir=$("$guest" start --kernel "$kgen" --test-modules)
trap '"$guest" stop "$dir" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
echo "WORK=$work (the baseline and the host key)"
info=$("$guest" info "$dir")
shm=$(sed -n 's/^SHM=//p' <<<"$info")
qmp=$(sed -n 's/^QMP=//p' <<<"$info")
pid=$(sed -n 's/^PID=//p' <<<"$info")
echo "SHM=$shm (the guest's RAM)"
echo "QMP=$qmp (QEMU's QMP socket)"
echo "QEMU pid $pid; vmictl is $vmictl"

say "What the guest says about itself"
# shellcheck disable=SC2016 # expanded in the guest
"$guest" run "$dir" 'echo "kernel $(uname -r), modules loaded: $(wc -l </proc/modules)"'

say "Attach: kernel under KASLR, kallsyms and BTF found in guest memory"
run "$vmictl" --shm "$shm" --qmp "$qmp" info

say "A process and a module appear in the guest"
"$guest" run "$dir" 'printf "#!/bin/sh\nsleep 1000\n" >/tmp/demo-worker;
	chmod +x /tmp/demo-worker; /tmp/demo-worker </dev/null >/dev/null 2>&1 &
	insmod /vmiaas/modules/vmiaas_test_hello.ko'
show "$vmictl" --shm "$shm" --qmp "$qmp" ps
"$vmictl" --shm "$shm" --qmp "$qmp" ps >"$work/ps"
head -n 4 "$work/ps"
echo "..."
grep -E ' (demo-worker|sleep)$' "$work/ps"
run "$vmictl" --shm "$shm" lsmod

say "System call table and IDT, resolved to the kernel's own symbols"
show "$vmictl" --shm "$shm" syscalls
"$vmictl" --shm "$shm" syscalls | head -n 8
echo "..."
show "$vmictl" --shm "$shm" --qmp "$qmp" idt
"$vmictl" --shm "$shm" --qmp "$qmp" idt | head -n 8
echo "..."

say "The same guest through its QEMU process, with no shared file (JSON)"
filter='{backend, kernel_version, kaslr_offset, nr_symbols, nr_btf_types}'
show "$vmictl" --pid "$pid" --qmp "$qmp" --json info "| jq '$filter'"
"$vmictl" --pid "$pid" --qmp "$qmp" --json info | jq "$filter"

say "Integrity: a trusted baseline, then a rootkit-style syscall hook"
key=$work/host.key
run "$vmictl" --shm "$shm" --qmp "$qmp" baseline -o "$work/baseline" --key "$key"
run "$vmictl" --shm "$shm" --qmp "$qmp" check -b "$work/baseline" --key "$key"
echo "(exit $?: no findings; an event is information, not a finding)"
table=$("$guest" run "$dir" "grep ' sys_call_table\$' /proc/kallsyms" | cut -d' ' -f1)
echo
echo "Inside the guest, a module replaces getdents64 in sys_call_table (as"
echo "rootkits do to hide files): insmod vmiaas_attack_syscall.ko"
"$guest" run "$dir" "insmod /vmiaas/modules/vmiaas_attack_syscall.ko table=0x$table"
st=0
show "$vmictl" --shm "$shm" --qmp "$qmp" check -b "$work/baseline" --key "$key"
"$vmictl" --shm "$shm" --qmp "$qmp" check -b "$work/baseline" --key "$key" \
	>"$work/check" || st=$?
cat "$work/check"
if [ "$st" -ne 1 ] || ! grep -q '^critical syscall-table  *x64 217 getdents64' "$work/check"; then
	echo "demo: the hook was not found (vmictl check exit $st)" >&2
	exit 1
fi
echo "(exit 1: findings: the hooked entry points into the module, and the"
echo "table, read-only data, changed; the module itself is an event)"

say "Done: the guest is stopped."
