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
run() { printf '$ %s\n' "$*"; "$@"; }

say "Preparing the test guest (Debian $kgen kernel; cached after the first run)"
"$guest" setup --kernel "$kgen"
dir=$("$guest" start --kernel "$kgen" --test-modules)
trap '"$guest" stop "$dir" >/dev/null 2>&1 || true' EXIT
info=$("$guest" info "$dir")
shm=$(sed -n 's/^SHM=//p' <<<"$info")
qmp=$(sed -n 's/^QMP=//p' <<<"$info")
pid=$(sed -n 's/^PID=//p' <<<"$info")
echo "guest RAM: $shm   QMP: $qmp   QEMU pid: $pid"

say "What the guest says about itself"
# shellcheck disable=SC2016 # expanded in the guest
"$guest" run "$dir" 'echo "kernel $(uname -r), modules loaded: $(wc -l </proc/modules)"'

say "Attach: kernel under KASLR, kallsyms and BTF found in guest memory"
run "$vmictl" --shm "$shm" --qmp "$qmp" info

say "A process and a module appear in the guest"
"$guest" run "$dir" 'printf "#!/bin/sh\nsleep 1000\n" >/tmp/demo-worker;
	chmod +x /tmp/demo-worker; /tmp/demo-worker </dev/null >/dev/null 2>&1 &
	insmod /vmiaas/modules/vmiaas_test_hello.ko'
run "$vmictl" --shm "$shm" --qmp "$qmp" ps
run "$vmictl" --shm "$shm" lsmod

say "System call table and IDT, resolved to the kernel's own symbols"
"$vmictl" --shm "$shm" syscalls | head -n 8
echo "..."
"$vmictl" --shm "$shm" --qmp "$qmp" idt | head -n 8
echo "..."

say "The same guest through its QEMU process, with no shared file"
run "$vmictl" --pid "$pid" --qmp "$qmp" --json info

say "Integrity: a trusted baseline, then a rootkit-style syscall hook"
work=$(mktemp -d "${TMPDIR:-/tmp}/vmiaas-demo.XXXXXX")
trap '"$guest" stop "$dir" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
key=$work/host.key
run "$vmictl" --shm "$shm" --qmp "$qmp" baseline -o "$work/baseline" --key "$key"
run "$vmictl" --shm "$shm" --qmp "$qmp" check -b "$work/baseline" --key "$key"
echo "(exit $?: clean)"
table=$("$guest" run "$dir" "grep ' sys_call_table\$' /proc/kallsyms" | cut -d' ' -f1)
echo "The guest loads a module that hooks getdents64 in sys_call_table:"
"$guest" run "$dir" "insmod /vmiaas/modules/vmiaas_attack_syscall.ko table=0x$table"
st=0
run "$vmictl" --shm "$shm" --qmp "$qmp" check -b "$work/baseline" --key "$key" || st=$?
echo "(exit $st: findings)"

say "Done: the guest is stopped."
