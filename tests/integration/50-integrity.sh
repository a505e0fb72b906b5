#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Integrity checking on a live Debian guest: a baseline of a fresh guest,
# no findings after a benign workload, each attack module of the corpus
# found and named, a tampered baseline and another guest's baseline
# refused, a baseline attempted while a guest boots refused as "still
# booting". Runs on each kernel of KGENS (default: Debian 6.1 and 6.12).
. "$(dirname "$0")/../lib/guest.sh"
. "$(dirname "$0")/../lib/integrity.sh"
integrity_begin integrity 35

integrity_run()
{
integrity_start "$1" --test-modules

# ---- baseline ----------------------------------------------------------------
take_baseline
tap_diag "baseline: $(jq -r '"\(.elapsed_ms) ms, \(.syscalls) syscalls, \(.idt_gates) gates, \(.text_bytes) text bytes"' "$work/baseline.json" 2>/dev/null)"
tap_is "$(stat -c %a "$key" 2>/dev/null) $(stat -c %a "$work/keys" 2>/dev/null)" "600 700" \
	"host key created 0600 in a 0700 directory"
tap_ok '[ -s "$base" ] && ! ls "$work"/baseline.tmp.* >/dev/null 2>&1' \
	"baseline written, no temporary file left"

check_json clean
tap_is "$st" 0 "check right after the baseline: exit 0"
tap_is "$(nr_findings clean)" 0 "check right after the baseline: no findings"
tap_diag "check: $(jq -r .elapsed_ms "$work/clean.json" 2>/dev/null) ms"
tap_ok 'jq -e "[.events[] | select(.check == \"cpu-state\" and (.detail.message | test(\"not checked\")))] | length >= 1" "$work/clean.json"' \
	"syscall MSRs reported as not checked, in events"
tap_ok 'jq -e "[.findings[] | select(.check == \"cpu-state\")] | length == 0" "$work/clean.json"' \
	"no cpu-state findings"
st=0
vmictl_g check -b "$base" --key "$key" >"$work/clean.txt" 2>&1 || st=$?
tap_is "$st" 0 "check (table output): exit 0"

# ---- benign workload -----------------------------------------------------------
guest_run insmod /vmiaas/modules/vmiaas_test_hello.ko >/dev/null
guest_run rmmod vmiaas_test_hello >/dev/null
guest_run 'for i in $(seq 100); do /bin/true & done; wait; echo done' >"$work/spawn.out"
tap_is "$(cat "$work/spawn.out")" done "guest spawned and reaped 100 processes"
check_json benign
tap_is "$st" 0 "after loading/unloading a module and 100 processes: exit 0"
tap_is "$(nr_findings benign)" 0 "after the benign workload: no findings"
[ "$(nr_findings benign)" = 0 ] || tap_diag "$(jq -c '.findings[]' "$work/benign.json" | head -5)"

# ---- attacks -------------------------------------------------------------------
# attack NAME MODULE-ARGS CHECK OBJECT: loads the module, expects exit 1 and
# a finding of CHECK whose object is OBJECT; unloads it, expects exit 0.
attack()
{
	local name=$1 args=$2 check=$3 object=$4 mod=vmiaas_attack_$1
	if ! guest_run insmod "/vmiaas/modules/$mod.ko" "$args" >"$work/$name.insmod" 2>&1; then
		tap_diag "insmod $mod $args: $(cat "$work/$name.insmod")"
	fi
	check_json "$name"
	tap_is "$st" 1 "$name: check exits 1"
	tap_ok "jq -e --arg c '$check' --arg o '$object' '[.findings[] | select(.check == \$c and .object == \$o)] | length == 1' '$work/$name.json'" \
		"$name: a $check finding for '$object'"
	[ "$st" = 1 ] && tap_diag "$(jq -c '.findings[0]' "$work/$name.json")"
	unload_clean "$name" "$mod" "$name: restored on unload"
}

table=$(ksym sys_call_table)
attack syscall "table=0x$table" syscall-table "x64 217 getdents64"
tap_ok "jq -e '.findings[0].detail.new_symbol | startswith(\"[vmiaas_attack_syscall]\")' '$work/syscall.json'" \
	"syscall: the new handler is named as module code"

idt=$(ksym idt_table)
attack idt "idt=0x$idt" idt "vcpu0 vector 4 (asm_exc_overflow)"
tap_ok "jq -e '.findings[0].detail.new_symbol | startswith(\"[vmiaas_attack_idt]\")' '$work/idt.json'" \
	"idt: the new handler is named as module code"

acct=$(ksym __x64_sys_acct)
attack inline "target=0x$acct" kernel-text "__x64_sys_acct"
tap_ok "jq -e '.findings[0].detail | (.new_bytes | startswith(\"e9\")) and .old_bytes != .new_bytes' '$work/inline.json'" \
	"inline: old and new bytes shown, new starts with a JMP"

# ---- refused baselines ---------------------------------------------------------
cp "$base" "$work/tampered"
size=$(stat -c %s "$work/tampered")
printf '\x5a' | dd of="$work/tampered" bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null
st=0
vmictl_g check -b "$work/tampered" --key "$key" >/dev/null 2>"$work/tampered.err" || st=$?
tap_is "$st" 3 "tampered baseline (one byte): exit 3"
tap_ok 'grep -q "fails its MAC" "$work/tampered.err"' "tampered baseline: clear message"

head -c 32 /dev/urandom >"$work/other.key"
st=0
vmictl_g check -b "$base" --key "$work/other.key" >/dev/null 2>"$work/otherkey.err" || st=$?
tap_is "$st" 3 "baseline checked with another host key: exit 3"

head -c 1000 "$base" >"$work/truncated"
st=0
vmictl_g check -b "$work/truncated" --key "$key" >/dev/null 2>&1 || st=$?
tap_is "$st" 3 "truncated baseline: exit 3"

st=0
vmictl_g check --key "$key" >/dev/null 2>&1 || st=$?
tap_is "$st" 2 "check without -b: usage error"

first=$GUEST_DIR
# The second guest is baselined while it boots, again and again: until its
# kernel runs (system_state SYSTEM_RUNNING, set before init's first
# program) each attempt is refused, exit 3, once the kernel is found with
# "still booting" (the initcalls take seconds under TCG, so attempts meet
# them); never a baseline of a half-booted kernel.
boot_name=b$(date +%H%M%S)-$$-$RANDOM
_guest_started+=("$boot_name")
"$VMIAAS_GUEST_CLI" start --kernel "$KGEN" --name "$boot_name" >/dev/null 2>"$work/boot.start" &
boot_pid=$!
boot_env=${VMIAAS_GUESTS:-${TMPDIR:-/tmp}/vmiaas-guests}/$boot_name/env
booting=0
boot_bad=
while kill -0 "$boot_pid" 2>/dev/null; do
	if grep -q "^PID=" "$boot_env" 2>/dev/null; then
		st=0
		"$VMICTL" --shm "$(sed -n "s/^SHM='\(.*\)'$/\1/p" "$boot_env")" \
			--qmp "$(sed -n "s/^QMP='\(.*\)'$/\1/p" "$boot_env")" \
			baseline -o "$work/boot.base" --key "$key" >/dev/null 2>"$work/boot.err" || st=$?
		case "$st:$(cat "$work/boot.err")" in
		3:*"still booting"*) booting=$((booting + 1)) ;;
		0:* | 3:*) ;;
		*) boot_bad="$boot_bad $st" ;;
		esac
	fi
	sleep 0.2
done
wait "$boot_pid" || tap_bail "second guest did not boot: $(cat "$work/boot.start")"
guest_use "$boot_name" || tap_bail "second guest: no state"
tap_is "${boot_bad:-none}:$([ "$booting" -gt 0 ] && echo refused)" none:refused \
	"baseline while the guest boots: exit 3 'still booting' ($booting times), no other failure"
st=0
vmictl_g check -b "$base" --key "$key" >/dev/null 2>"$work/other.err" || st=$?
tap_is "$st" 3 "another guest's baseline: exit 3"
tap_ok 'grep -q "of another boot" "$work/other.err"' "another guest's baseline: says another boot"
tap_diag "$(cat "$work/other.err")"
st=0
vmictl_g baseline -o "$work/base2" --key "$key" >/dev/null 2>&1 &&
	vmictl_g check -b "$work/base2" --key "$key" >/dev/null 2>&1 || st=$?
tap_is "$st" 0 "second guest: its own baseline checks clean"
guest_stop "$GUEST_DIR" >/dev/null 2>&1
guest_stop "$first" >/dev/null 2>&1

# Two boots with nokaslr have the same layout: only the boot tag
# (init_task.stack_canary) tells them apart, as after a reboot.
guest_start --kernel "$KGEN" --append nokaslr || tap_bail "nokaslr guest did not boot"
vmictl_g baseline -o "$work/nokaslr" --key "$key" >/dev/null 2>&1
guest_stop "$GUEST_DIR" >/dev/null 2>&1
guest_start --kernel "$KGEN" --append nokaslr || tap_bail "nokaslr guest did not boot"
st=0
vmictl_g check -b "$work/nokaslr" --key "$key" >/dev/null 2>"$work/nokaslr.err" || st=$?
tap_is "$st" 3 "nokaslr: baseline of the previous boot refused"
tap_ok 'grep -q "boot tag differs" "$work/nokaslr.err"' \
	"nokaslr: says the boot tag differs"
guest_stop "$GUEST_DIR" >/dev/null 2>&1

st=0
"$VMICTL" --json checks >"$work/checks.json" || st=$?
tap_is "$st:$(jq -r '[.checks[].id] | join(",")' "$work/checks.json")" \
	"0:syscall-table,idt,cpu-state,kernel-text,kernel-rodata,module-text,module-rodata,ftrace-hook,hidden-module,bpf-programs,hidden-process,credentials,usermode-helper,exec-memory,kernel-mapping,notifier-hook,netfilter-hook,packet-tap,input-handler,proc-ops,vfs-ops,tracepoint-hook,net-protocol,tty-ldisc,hw-breakpoint,netdev-hook" "vmictl checks lists the check ids"
}

integrity_main integrity_run
