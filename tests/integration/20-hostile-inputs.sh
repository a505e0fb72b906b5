#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Bad and hostile inputs give a clear error and a non-zero exit, never a
# crash or a hang: truncated dumps, random bytes, memory that holds no
# Linux, and a live guest whose task list a module made cyclic.
. "$(dirname "$0")/../lib/guest.sh"

: "${VMICTL:?set VMICTL to the vmictl binary}"
tap_plan 13
work=$(mktemp -d "${TMPDIR:-/tmp}/vmiaas-hostile.XXXXXX")
trap '_guest_cleanup; rm -rf "$work"' EXIT

# expect_fail DESC STATUS PATTERN CMD...: CMD must exit with STATUS within
# 60 s (no hang), print PATTERN on stderr, and not be killed by a signal
# (ASan/UBSan abort the process on any error they find).
expect_fail()
{
	local desc=$1 want=$2 pattern=$3 st=0
	shift 3
	timeout 60 "$@" >"$work/out" 2>"$work/err" || st=$?
	if [ "$st" -eq "$want" ] && grep -qE "$pattern" "$work/err" &&
	   ! grep -q 'Sanitizer' "$work/err"; then
		_tap_result 0 "$desc"
		tap_diag "$(head -n 2 "$work/err")"
		return 0
	fi
	_tap_result 1 "$desc"
	tap_diag "status $st (want $want); stderr:" "$(head -n 20 "$work/err")"
	return 1
}

guest_start --kernel 6.1 --test-modules || tap_bail "guest did not boot"
guest_dump "$work/good.elf" >/dev/null || tap_bail "dump failed"
size=$(stat -c %s "$work/good.elf")

# ---- files that are not (whole) Linux guests ----
head -c $((size / 3)) "$work/good.elf" >"$work/truncated.elf"
expect_fail "truncated ELF dump: exit 3 with a message" 3 'vmictl: .+' \
	"$VMICTL" --dump "$work/truncated.elf" info

head -c 64M /dev/urandom >"$work/random.raw"
expect_fail "random bytes: exit 3, not Linux" 3 'vmictl: .+' \
	"$VMICTL" --dump "$work/random.raw" info

# RAM of a guest that runs no Linux: QEMU's BIOS waiting for a boot disk.
truncate -s 64M "$work/empty.raw"
expect_fail "empty memory image: exit 3" 3 'vmictl: .+' \
	"$VMICTL" --dump "$work/empty.raw" ps

# A Linux image with its kallsyms scrambled: the kernel image's middle
# pages overwritten with random bytes.
cp "$work/good.elf" "$work/scrambled.elf"
text_pa=$("$VMICTL" --dump "$work/good.elf" --json info | jq -r .text_pa)
off=$(( $(stat -c %s "$work/good.elf") - $(stat -c %s "$GUEST_SHM") + text_pa + (8 << 20) ))
dd if=/dev/urandom of="$work/scrambled.elf" bs=1M seek=$((off >> 20)) \
	count=40 conv=notrunc status=none
expect_fail "kernel image scrambled: exit 3, clear message" 3 'vmictl: .+' \
	"$VMICTL" --dump "$work/scrambled.elf" ps

expect_fail "missing file: exit 3" 3 'vmictl: .+' \
	"$VMICTL" --dump "$work/nonexistent" info
expect_fail "two targets: usage error, exit 2" 2 'vmictl: ' \
	"$VMICTL" --dump "$work/good.elf" --shm "$GUEST_SHM" info
expect_fail "no such QEMU pid: exit 3" 3 'vmictl: .+' \
	"$VMICTL" --pid 999999 info

# Random corruption anywhere in a real dump: never a crash or a hang.
ok=1
for seed in 1 2 3 4 5 6; do
	cp "$work/good.elf" "$work/fuzzed.elf"
	RANDOM=$seed
	for i in $(seq 200); do
		pos=$(( (RANDOM * 32768 + RANDOM) % size ))
		printf '\xff\x00\x41' | dd of="$work/fuzzed.elf" bs=1 seek=$pos \
			conv=notrunc status=none
	done
	for cmd in info ps lsmod syscalls idt; do
		st=0
		timeout 60 "$VMICTL" --dump "$work/fuzzed.elf" "$cmd" \
			>/dev/null 2>"$work/err" || st=$?
		case $st in
		0|3) ;;
		*) ok=0; tap_diag "seed $seed $cmd: status $st" \
			"$(head -n 5 "$work/err")" ;;
		esac
	done
done
tap_ok '[ $ok -eq 1 ]' "1,200 random corruptions of a dump: exit 0 or 3, never a crash"

# ---- a live guest whose task list is cyclic ----
tap_ok '[ "$("$VMICTL" --shm "$GUEST_SHM" --json ps | jq ".tasks | length")" -gt 20 ]' \
	"before: ps lists the guest's processes"
guest_insmod "$(guest_modules)/vmiaas_test_cyclic.ko" >/dev/null ||
	tap_diag "insmod vmiaas_test_cyclic failed"
expect_fail "cyclic task list (shm): exit 3 naming the cycle" 3 'cycle' \
	"$VMICTL" --shm "$GUEST_SHM" --qmp "$GUEST_QMP" ps
expect_fail "cyclic task list (pid): exit 3 naming the cycle" 3 'cycle' \
	"$VMICTL" --pid "$GUEST_PID" ps
tap_ok '"$VMICTL" --shm "$GUEST_SHM" lsmod | grep -q vmiaas_test_cyclic' \
	"the rest of the guest is still readable (lsmod)"
guest_dump "$work/cyclic.elf" >/dev/null
expect_fail "cyclic task list (dump): exit 3 naming the cycle" 3 'cycle' \
	"$VMICTL" --dump "$work/cyclic.elf" ps
tap_done
