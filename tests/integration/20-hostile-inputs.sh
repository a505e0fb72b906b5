#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Bad and hostile inputs give a clear error and a non-zero exit, never a
# crash or a hang: truncated dumps, random bytes, memory that holds no
# Linux; kernel objects of a live guest forged under the integrity walks
# (a netfilter hook array with a huge count, a /proc tree with a cycle,
# system_state and pid 1, a task's mm->pgd at a page-table loop): each a
# finding naming it; and a live guest whose task list a module made
# cyclic.
. "$(dirname "$0")/../lib/guest.sh"

: "${VMICTL:?set VMICTL to the vmictl binary}"
tap_plan 20
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

# ---- forged kernel objects under the integrity walks ----
# Each edit is written into the guest's RAM (the RAM file, at the GPA
# QEMU's gva2gpa gives; a dump file at that GPA's offset), checked, and
# undone. Offsets come from the guest's BTF (tests/tools/btfinfo).
btfinfo=${VMIAAS_BUILD:?}/tests/tools/btfinfo
vmictl_g() { "$VMICTL" --shm "$GUEST_SHM" --qmp "$GUEST_QMP" "$@"; }
ksym() { guest_run "grep ' $1\$' /proc/kallsyms" | cut -d' ' -f1 | head -n 1; }
member() { "$btfinfo" "$GUEST_SHM" "$1" "$2" | sed -n 's/^[^ ]* = \([0-9]*\) .*/\1/p'; }
gpa()
{
	guest_qmp "gva2gpa $(printf '0x%x' $(($1)))" |
		grep -o 'gpa: 0x[0-9a-f]*' | cut -d' ' -f2 | grep . ||
		tap_bail "QEMU's gva2gpa did not translate $(printf '0x%x' $(($1)))"
}
# peek FILE OFFSET SIZE, poke FILE OFFSET SIZE VALUE: little-endian
peek() { echo $((0x$(od -An -tx"$3" -j $(($2)) -N"$3" "$1" | tr -d ' \n'))); }
poke()
{
	local i s=
	for ((i = 0; i < $3; i++)); do
		s+=$(printf '\\x%02x' $(( ($4 >> (8 * i)) & 255 )))
	done
	printf "$s" | dd of="$1" bs=1 seek=$(($2)) conv=notrunc status=none
}
# dump_off FILE GPA: where GPA is in an ELF dump
dump_off()
{
	local type off va pa size rest
	while read -r type off va pa size rest; do
		if [ "$type" = LOAD ] && (($2 >= pa && $2 < pa + size)); then
			echo $((off + $2 - pa))
			return 0
		fi
	done < <(readelf -lW "$1")
	tap_bail "GPA $2 is not in $1"
}
# expect_finding DESC CHECK REGEX [TARGET...]: check exits 1 within 120
# s, no sanitizer report, a finding of CHECK whose object and message
# match REGEX (extended, on "object: message")
expect_finding()
{
	local desc=$1 check=$2 re=$3 st=0
	shift 3
	[ $# -gt 0 ] || set -- --shm "$GUEST_SHM" --qmp "$GUEST_QMP"
	timeout 120 "$VMICTL" "$@" --json check -b "$work/base" \
		--key "$work/host.key" >"$work/out" 2>"$work/err" || st=$?
	if [ "$st" = 1 ] && ! grep -q Sanitizer "$work/err" &&
	   jq -e --arg c "$check" --arg re "$re" '[.findings[] |
		select(.check == $c and ("\(.object): \(.detail.message)" |
		test($re)))] | length > 0' "$work/out" >/dev/null; then
		_tap_result 0 "$desc"
	else
		_tap_result 1 "$desc"
		tap_diag "status $st (want 1); stderr:" "$(head -n 10 "$work/err")"
	fi
	jq -r --arg c "$check" '.findings[] | select(.check == $c) |
		"\(.object): \(.detail.message)"' "$work/out" 2>/dev/null |
		head -n 2 | cut -c1-240 | while read -r l; do tap_diag "$l"; done
}

vmictl_g baseline -o "$work/base" --key "$work/host.key" >/dev/null ||
	tap_bail "no baseline of the live guest"
guest_insmod "$(guest_modules)/vmiaas_attack_nfhook.ko" >/dev/null ||
	tap_diag "insmod vmiaas_attack_nfhook failed"
# its PRE_ROUTING hook array (init_net.nf.hooks_ipv4[0]): count 65535
slot=$((0x$(ksym init_net) + $(member net nf.hooks_ipv4)))
at=$(gpa "$(peek "$GUEST_SHM" "$(gpa $slot)" 8)")
was=$(peek "$GUEST_SHM" "$at" 2)
poke "$GUEST_SHM" "$at" 2 0xffff
expect_finding "netfilter hook array counting 65535: critical finding" \
	netfilter-hook '^ipv4 PRE_ROUTING: .*MAX_HOOK_COUNT'
poke "$GUEST_SHM" "$at" 2 "$was"

# /proc's root entry's first child: its rb_left pointing at itself
root=$(peek "$GUEST_SHM" "$(gpa $((0x$(ksym proc_root) + \
	$(member proc_dir_entry subdir))))" 8)
at=$(gpa $((root + $(member rb_node rb_left))))
was=$(peek "$GUEST_SHM" "$at" 8)
poke "$GUEST_SHM" "$at" 8 "$root"
expect_finding "/proc entry tree with a cycle: critical finding" \
	proc-ops 'cannot be walked'
poke "$GUEST_SHM" "$at" 8 "$was"

# system_state written back to SYSTEM_BOOTING (0) while init runs
at=$(gpa 0x"$(ksym system_state)")
state=$(peek "$GUEST_SHM" "$at" 4)
poke "$GUEST_SHM" "$at" 4 0
expect_finding "forged system_state: critical finding, the checks run" \
	kernel-mapping '^system_state: .*SYSTEM_BOOTING'
# and pid 1 renumbered: "booting" cannot be confirmed, the checks run
init=$("$VMICTL" --shm "$GUEST_SHM" --json ps |
	jq -r '.tasks[] | select(.pid == 1) | .task')
pid_at=$(gpa $((init + $(member task_struct pid))))
poke "$GUEST_SHM" "$pid_at" 4 0x7ffffff0
expect_finding "forged system_state and pid 1: checked, pid 1 found hidden" \
	hidden-process '^pid 2147483632 '
tap_ok "! jq -e '.events[]? | select((.detail.message // \"\") | test(\"booting\"))' '$work/out' >/dev/null" \
	"forged system_state and pid 1: no check skipped as \"booting\""
poke "$GUEST_SHM" "$pid_at" 4 1
poke "$GUEST_SHM" "$at" 4 "$state"

# a dump where a sleeping task's mm->pgd is a page-table loop: a page
# (empty_zero_page's, in the dump only) whose kernel half maps itself
spid=$(guest_run 'sleep 1000 >/dev/null 2>&1 & echo $!')
mm=$("$VMICTL" --shm "$GUEST_SHM" --json ps |
	jq -r ".tasks[] | select(.pid == $spid) | .mm")
mm_at=$(gpa $((mm + $(member mm_struct pgd))))
zero=$(ksym empty_zero_page)
zero_at=$(gpa 0x$zero)
guest_dump "$work/loop.elf" >/dev/null || tap_bail "dump failed"
chmod u+w "$work/loop.elf"
poke "$work/loop.elf" "$(dump_off "$work/loop.elf" "$mm_at")" 8 0x$zero
off=$(dump_off "$work/loop.elf" "$zero_at")
for i in $(seq 256 511); do
	poke "$work/loop.elf" $((off + 8 * i)) 8 $((zero_at | 0x63))
done
expect_finding "mm->pgd at a page-table loop: critical finding naming the task" \
	kernel-mapping "^pid $spid mm->pgd .*not on pgd_list" --dump "$work/loop.elf"
rm -f "$work/loop.elf"

# a hidden module (vmiaas_attack_hidemod) while module_mutex looks held,
# as during the kernel's own unload: the check waits for the mutex (3 s
# at most), then judges; holding it does not hide a module
guest_insmod "$(guest_modules)/vmiaas_attack_hidemod.ko" >/dev/null ||
	tap_diag "insmod vmiaas_attack_hidemod failed"
at=$(gpa $((0x$(ksym module_mutex) + $(member mutex owner))))
poke "$GUEST_SHM" "$at" 8 $((0x$(ksym init_task)))
expect_finding "hidden module while module_mutex is held: still a finding" \
	hidden-module 'vmiaas_attack_hidemod'
poke "$GUEST_SHM" "$at" 8 0

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
