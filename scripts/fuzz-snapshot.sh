#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Makes the guest snapshot that tests/fuzz/fuzz_checks.c edits: boots a
# Debian 6.1 test guest with the rig (scripts/guest, cached kernel), loads
# a test module, an ftrace hook (vmiaas_attack_ftrace) and a kprobe so
# those walkers have records to read, dumps its memory, and lets the
# harness in record mode keep only the pages attach and the checks read
# (a sparse ELF core of about 60 MB).
# Usage: scripts/fuzz-snapshot.sh OUT HARNESS
set -eu
out=${1:?usage: $0 OUT HARNESS}
harness=${2:?usage: $0 OUT HARNESS}
top=$(cd "$(dirname "$0")/.." && pwd)
guest=$top/scripts/guest
name=fuzzsnap-$$
work=$(mktemp -d "${TMPDIR:-/tmp}/vmiaas-fuzzsnap.XXXXXX")
trap '"$guest" stop "$name" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT

"$guest" setup --kernel 6.1 >/dev/null
"$guest" start --kernel 6.1 --mem 256 --test-modules --name "$name" >/dev/null
"$guest" run "$name" - <<'SH'
insmod /vmiaas/modules/vmiaas_test_hello.ko
a=$(grep ' __x64_sys_getdents64$' /proc/kallsyms | cut -d' ' -f1)
insmod /vmiaas/modules/vmiaas_attack_ftrace.ko "target=0x$a"
mount -t tracefs nodev /sys/kernel/tracing
echo 'p:fz do_sys_openat2' >/sys/kernel/tracing/kprobe_events
echo 1 >/sys/kernel/tracing/events/kprobes/fz/enable
sleep 1000 >/dev/null 2>&1 &
SH
"$guest" dump "$name" "$work/guest.elf"
"$guest" stop "$name" >/dev/null
mkdir -p "$(dirname "$out")"
VMIAAS_FUZZ_RECORD=$work/guest.elf VMIAAS_FUZZ_SNAPSHOT=$work/snap.elf \
	"$harness" -runs=0 >"$work/record.log" 2>&1 ||
	{ cat "$work/record.log" >&2; exit 1; }
grep 'pages of guest memory' "$work/record.log" >&2 || true
cp --sparse=always "$work/snap.elf" "$out"
