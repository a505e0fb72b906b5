#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Two tampering techniques on a live Debian guest. usermode-helper: the
# strings naming programs the kernel runs as root (modprobe_path,
# core_pattern, poweroff_cmd) changed since the baseline, through sysctl
# from a root shell and directly in memory by a module
# (vmiaas_attack_umh), each a finding naming the string with its old and
# new value; restored, the guest is clean again; kexec_load_disabled set
# (an event) and turned back to 0 in memory (critical). The dynamic
# paths, from a root shell as an attacker does it, no module: a cgroup v1
# hierarchy (named, and the real pids controller) mounted and given a
# release_agent (which the kernel then runs as root when a cgroup with
# notify_on_release empties), changed and cleared against a baseline
# that has it; binfmt_misc (Debian's module, mounted before the
# baseline: its empty list is clean) given a handler by extension
# (medium; the kernel runs its interpreter for a matching file), one by
# magic with flag C (high), one disabled and unregistered (events),
# re-registered with another interpreter (high) and with another magic
# and no C (medium) against a baseline that has it. exec-memory: code copied
# into a vmalloc() page and into a page of the direct map, made
# executable (set_memory_ro + set_memory_x) by a module that then unloads
# (vmiaas_attack_execmem), and a writable+executable page (6.2+ kernels
# warn, "CPA detected W^X violation", and map it): each a finding naming
# its address range. Before the attacks, runtime patching (the function tracer,
# kprobes incl. an optimized mid-function one, a BPF fentry program, a
# module loaded and unloaded) gives no finding. The records vmid would
# register with vmiaas.ko for both checks (vmiaas_module_policy()) are
# taken at the start and run as the module runs them (the same core
# code; tests/tools/module_policy) at each stage: clean, clean with
# tracing on, the umh attack fails modprobe_path's record alone, the
# execmem one exec-memory's. Runs on each kernel of KGENS (default:
# Debian 6.1 and 6.12).
. "$(dirname "$0")/../lib/guest.sh"
. "$(dirname "$0")/../lib/integrity.sh"
integrity_begin exec 47

bpf_fentry=$(guest_tool bpf-fentry) ||
	tap_bail "cannot build tests/guest/bpf-fentry.c statically"

# expect_helper NAME OBJECT SEVERITY NEWVALUE [BASELINE]: exit 1, exactly
# one finding: usermode-helper for OBJECT, of SEVERITY, naming NEWVALUE.
expect_helper()
{
	check_json "$1" "${5:-}"
	tap_ok "[ $st = 1 ] && jq -e --arg o '$2' --arg s '$3' --arg n '$4' '(.findings | length) == 1 and .findings[0].check == \"usermode-helper\" and .findings[0].object == \$o and .findings[0].severity == \$s and (.findings[0].detail.message | contains(\"-> \\\"\" + \$n + \"\\\"\"))' '$work/$1.json'" \
		"$KGEN: $1: exit 1, one $3 usermode-helper finding for $2, naming \"$4\""
	tap_diag "$(jq -c '.findings[] | [.check, .severity, .object, .detail.message]' "$work/$1.json" 2>/dev/null | head -3)"
}

# execmem_load NAME MODE [ARG...]: the attack module in MODE, unloaded at
# once; sets code to the address of the page it left.
execmem_load()
{
	guest_run "insmod /vmiaas/modules/vmiaas_attack_execmem.ko mode=$2 setro=0x$setro setx=0x$setx ${*:3} && rmmod vmiaas_attack_execmem && dmesg | grep 'code at' | tail -n 1" \
		>"$work/$1.insmod" 2>&1 || tap_diag "insmod vmiaas_attack_execmem mode=$2: $(cat "$work/$1.insmod")"
	code=$(sed -n 's/.*code at \(0x[0-9a-f]*\) .*/\1/p' "$work/$1.insmod")
}

# expect_exec NAME NR REGEX: exit 1, NR findings, all exec-memory; the
# one starting at $code has a message matching REGEX.
expect_exec()
{
	check_json "$1"
	tap_ok "[ $st = 1 ] && jq -e --arg c '$code' --arg r '$3' '(.findings | length) == $2 and ([.findings[] | select(.check != \"exec-memory\")] | length) == 0 and ([.findings[] | select((.object | startswith(\$c + \"-\")) and (.detail.message | test(\$r)))] | length) == 1' '$work/$1.json'" \
		"$KGEN: $1: exit 1, $2 exec-memory finding(s), the page at ${code:-?} named ($3)"
	tap_diag "$(jq -c '.findings[] | [.object, .detail.message]' "$work/$1.json" 2>/dev/null | cut -c1-200)"
}

# expect_umh NAME OBJECT SEVERITY TEXT [BASELINE]: exit 1, exactly one
# finding: usermode-helper for OBJECT, of SEVERITY, its message holding
# TEXT.
expect_umh()
{
	check_json "$1" "${5:-}"
	tap_ok "[ $st = 1 ] && jq -e --arg o '$2' --arg s '$3' --arg t '$4' '(.findings | length) == 1 and .findings[0].check == \"usermode-helper\" and .findings[0].object == \$o and .findings[0].severity == \$s and (.findings[0].detail.message | contains(\$t))' '$work/$1.json'" \
		"$KGEN: $1: exit 1, one $3 usermode-helper finding for $2"
	tap_diag "$(cat "$work/$1.err"; jq -c '.findings[] | [.check, .severity, .object, .detail.message]' "$work/$1.json" 2>/dev/null | head -3)"
}

# expect_umh_event NAME OBJECT BASELINE: exit 0, no finding, an event for
# OBJECT.
expect_umh_event()
{
	check_json "$1" "$3"
	tap_ok "[ $st = 0 ] && jq -e --arg o '$2' '(.findings | length) == 0 and ([.events[] | select(.check == \"usermode-helper\" and .object == \$o)] | length) == 1' '$work/$1.json'" \
		"$KGEN: $1: exit 0, an event for $2"
	tap_diag "$(cat "$work/$1.err"; jq -c '.findings[], .events[] | select(.check == "usermode-helper") | [.severity, .object, .detail.message]' "$work/$1.json" 2>/dev/null | head -3)"
}

exec_run()
{
bf=$(debian_modules "$1" "$1-binfmt" fs/binfmt_misc) || tap_bail "no binfmt_misc module for $1"
integrity_start "$1" --test-modules --add "$bpf_fentry" --add "$bf/binfmt_misc.ko"
# what a Debian system has: binfmt_misc loaded and mounted, no handler
tap_is "$(guest_run 'insmod /vmiaas/binfmt_misc.ko && mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc && ls /proc/sys/fs/binfmt_misc' | tr '\n' ' ')" \
	"register status " "$KGEN: binfmt_misc loaded and mounted, no handler"
take_baseline
expect_clean clean "right after boot"
policy_take
tap_diag "$(cat "$work/policy.txt")"
tap_ok "grep -q '^check 0 type=7 flags=0 len=4 exec-memory' '$work/policy.txt' && grep -q '^check 1 type=6 flags=1 len=256 usermode-helper modprobe_path' '$work/policy.txt' && grep -q 'usermode-helper core_pattern' '$work/policy.txt' && grep -q 'usermode-helper poweroff_cmd' '$work/policy.txt'" \
	"$KGEN: module policy: exec-memory (4 allowed ranges) and the helper strings, modprobe_path second"
tap_ok "grep -q '^check 0 .*; finding exec-memory \"kernel executable mappings\" critical\$' '$work/policy.txt' && grep -q '^check 1 .*; finding usermode-helper \"modprobe_path\" critical\$' '$work/policy.txt' && grep -q '; finding usermode-helper \"poweroff_cmd\" high\$' '$work/policy.txt'" \
	"$KGEN: module policy: each record's finding (what vmid reports when vmiaas.ko fails it) has vmictl check's id, object and severity"
"$VMICTL" --json checks >"$work/checks.json"
tap_ok "jq -e '[.checks[].id] as \$i | [\"usermode-helper\", \"exec-memory\"] - \$i == []' '$work/checks.json'" \
	"$KGEN: vmictl checks lists usermode-helper and exec-memory"

# ---- runtime patching: trampolines, instruction slots, JIT ---------------
guest_run 'insmod /vmiaas/modules/vmiaas_test_hello.ko && rmmod vmiaas_test_hello' >/dev/null
tracing_on
tap_is "$(guest_run 'grep -c " vfs_write+" /sys/kernel/debug/kprobes/list; cat /sys/kernel/tracing/current_tracer /tmp/bpf.out' | tr '\n' ' ')" \
	"1 function attached " "$KGEN: a mid-function kprobe, the function tracer and a BPF fentry program on"
expect_clean tracing "with tracing, kprobes and BPF on"
policy_run tracing 0 "nothing fails with tracing, kprobes and BPF on"
tracing_off
expect_clean tracing-off "tracing, kprobes and BPF off again"

# ---- usermode helpers ------------------------------------------------------
tap_is "$(guest_run 'cat /proc/sys/kernel/modprobe /proc/sys/kernel/poweroff_cmd' | tr '\n' ' ')" \
	"/sbin/modprobe /sbin/poweroff " "$KGEN: modprobe_path and poweroff_cmd as Debian builds them"
core=$(guest_run cat /proc/sys/kernel/core_pattern)
guest_run 'echo /tmp/vmiaas-modprobe >/proc/sys/kernel/modprobe' >/dev/null
expect_helper sysctl-modprobe modprobe_path critical /tmp/vmiaas-modprobe
guest_run 'echo /sbin/modprobe >/proc/sys/kernel/modprobe' >/dev/null
guest_run 'echo "|/tmp/vmiaas-core %p" >/proc/sys/kernel/core_pattern' >/dev/null
expect_helper sysctl-core-pipe core_pattern critical "|/tmp/vmiaas-core %p"
guest_run 'echo /tmp/core.%p >/proc/sys/kernel/core_pattern' >/dev/null
expect_helper sysctl-core-file core_pattern medium /tmp/core.%p
guest_run "echo '$core' >/proc/sys/kernel/core_pattern; echo /tmp/vmiaas-off >/proc/sys/kernel/poweroff_cmd" >/dev/null
expect_helper sysctl-poweroff poweroff_cmd high /tmp/vmiaas-off
guest_run 'echo /sbin/poweroff >/proc/sys/kernel/poweroff_cmd' >/dev/null
expect_clean sysctl-restored "the strings written back"

guest_run insmod /vmiaas/modules/vmiaas_attack_umh.ko "addr=0x$(ksym modprobe_path)" \
	>"$work/umh.insmod" 2>&1 || tap_diag "insmod vmiaas_attack_umh: $(cat "$work/umh.insmod")"
tap_is "$(guest_run cat /proc/sys/kernel/modprobe)" /tmp/vmiaas-pwn \
	"$KGEN: umh: modprobe_path overwritten in memory"
expect_helper umh modprobe_path critical /tmp/vmiaas-pwn
policy_run umh 0x2 "modprobe_path's record alone fails"
guest_run rmmod vmiaas_attack_umh >/dev/null 2>&1
expect_clean umh-gone "modprobe_path restored on unload"

# A one-way lock: set through its sysctl (an event), then, against a
# baseline taken with it set, turned back to 0 in memory (the umh module
# writing "" over its first byte).
guest_run 'echo 1 >/proc/sys/kernel/kexec_load_disabled' >/dev/null
check_json lock-set
tap_ok "[ $st = 0 ] && jq -e '(.findings | length) == 0 and ([.events[] | select(.check == \"usermode-helper\" and .object == \"kexec_load_disabled\")] | length) == 1' '$work/lock-set.json'" \
	"$KGEN: kexec_load_disabled set through sysctl: exit 0, an event"
vmictl_g baseline -o "$work/base-locked" --key "$key" >/dev/null 2>&1 ||
	tap_diag "baseline with kexec_load_disabled set failed"
guest_run insmod /vmiaas/modules/vmiaas_attack_umh.ko "addr=0x$(ksym kexec_load_disabled)" \
	len=4 path= >"$work/unlock.insmod" 2>&1 || tap_diag "insmod vmiaas_attack_umh (unlock): $(cat "$work/unlock.insmod")"
tap_is "$(guest_run cat /proc/sys/kernel/kexec_load_disabled)" 0 \
	"$KGEN: umh: kexec_load_disabled turned back to 0 in memory"
expect_helper unlock kexec_load_disabled critical 0 "$work/base-locked"
guest_run rmmod vmiaas_attack_umh >/dev/null 2>&1
check_json lock-back "$work/base-locked"
tap_is "$st:$(nr_findings lock-back)" 0:0 "$KGEN: kexec_load_disabled 1 again on unload: exit 0, no findings"

# ---- cgroup v1 release_agent ---------------------------------------------
guest_run 'printf "#!/bin/sh\necho \$0 ran as \$(id -u) >>/tmp/vmiaas-ran\n" >/tmp/vmiaas-agent && chmod +x /tmp/vmiaas-agent && mkdir -p /tmp/cgx /tmp/cgp && mount -t cgroup -o none,name=vmiaas cgroup /tmp/cgx' >/dev/null
expect_clean cg-mounted "a named cgroup v1 hierarchy mounted, no release_agent"
guest_run 'echo /tmp/vmiaas-agent >/tmp/cgx/release_agent' >/dev/null
expect_helper agent-named "release_agent name=vmiaas" high /tmp/vmiaas-agent
guest_run 'echo >/tmp/cgx/release_agent; mount -t cgroup -o pids cgroup /tmp/cgp && echo /tmp/vmiaas-agent >/tmp/cgp/release_agent && mkdir /tmp/cgp/x && echo 1 >/tmp/cgp/x/notify_on_release && sh -c "echo \$\$ >/tmp/cgp/x/cgroup.procs" && rmdir /tmp/cgp/x' >/dev/null
tap_ok "guest_run 'sleep 1; grep -q \"ran as 0\" /tmp/vmiaas-ran'" \
	"$KGEN: the pids hierarchy's release_agent ran as root when its cgroup emptied"
expect_helper agent-pids "release_agent pids" high /tmp/vmiaas-agent
vmictl_g baseline -o "$work/base-agent" --key "$key" >/dev/null 2>&1 ||
	tap_diag "baseline with a release_agent failed"
guest_run 'echo /tmp/vmiaas-agent2 >/tmp/cgp/release_agent' >/dev/null
expect_helper agent-changed "release_agent pids" high /tmp/vmiaas-agent2 "$work/base-agent"
guest_run 'echo >/tmp/cgp/release_agent' >/dev/null
expect_umh_event agent-gone "release_agent pids" "$work/base-agent"
expect_clean agent-cleared "both release agents cleared"

# ---- binfmt_misc handlers ----------------------------------------------
guest_run 'printf "#!/bin/sh\necho \$1 ran >>/tmp/vmiaas-ran\n" >/tmp/vmiaas-interp && chmod +x /tmp/vmiaas-interp && echo ":vmiaas-x:E::vmx::/tmp/vmiaas-interp:" >/proc/sys/fs/binfmt_misc/register && touch /tmp/a.vmx && chmod +x /tmp/a.vmx && /tmp/a.vmx' >/dev/null
tap_ok "guest_run 'grep -q \"^/tmp/a.vmx ran\" /tmp/vmiaas-ran'" \
	"$KGEN: binfmt_misc: the handler's interpreter ran for /tmp/a.vmx"
expect_umh binfmt-ext "binfmt_misc vmiaas-x" medium 'interpreter "/tmp/vmiaas-interp" for extension .vmx, flags -, enabled'
guest_run 'echo -1 >/proc/sys/fs/binfmt_misc/vmiaas-x; printf ":vmiaas-c:M:2:VMI\\\\x41AS::/tmp/vmiaas-interp:C\n" >/proc/sys/fs/binfmt_misc/register' >/dev/null
tap_is "$(guest_run cat /proc/sys/fs/binfmt_misc/vmiaas-c | tr '\n' ' ')" \
	"enabled interpreter /tmp/vmiaas-interp flags: OC offset 2 magic 564d49414153 " \
	"$KGEN: binfmt_misc: a handler by magic with flag C registered"
expect_umh binfmt-cred "binfmt_misc vmiaas-c" high 'for magic 564d49414153 at offset 2, flags OC'
vmictl_g baseline -o "$work/base-binfmt" --key "$key" >/dev/null 2>&1 ||
	tap_diag "baseline with a binfmt_misc handler failed"
guest_run 'echo 0 >/proc/sys/fs/binfmt_misc/vmiaas-c' >/dev/null
expect_umh_event binfmt-disabled "binfmt_misc vmiaas-c" "$work/base-binfmt"
guest_run 'echo -1 >/proc/sys/fs/binfmt_misc/vmiaas-c' >/dev/null
expect_umh_event binfmt-gone "binfmt_misc vmiaas-c" "$work/base-binfmt"
guest_run 'printf ":vmiaas-c:M:2:VMI\\\\x41AS::/tmp/vmiaas-other:C\n" >/proc/sys/fs/binfmt_misc/register' >/dev/null
expect_helper binfmt-interp "binfmt_misc vmiaas-c" high /tmp/vmiaas-other "$work/base-binfmt"
guest_run 'echo -1 >/proc/sys/fs/binfmt_misc/vmiaas-c; echo ":vmiaas-c:M:2:VMIXAS::/tmp/vmiaas-interp:" >/proc/sys/fs/binfmt_misc/register' >/dev/null
expect_umh binfmt-match "binfmt_misc vmiaas-c" medium 'magic 564d49414153 at offset 2, flags OC -> magic 564d49584153 at offset 2, flags -' "$work/base-binfmt"
guest_run 'echo -1 >/proc/sys/fs/binfmt_misc/vmiaas-c' >/dev/null
expect_clean binfmt-cleared "the handlers unregistered"

# ---- executable memory nobody owns ---------------------------------------
setro=$(ksym set_memory_ro)
setx=$(ksym set_memory_x)
execmem_load execmem-vmalloc vmalloc
tap_ok "grep -q 'returns 42' '$work/execmem-vmalloc.insmod'" \
	"$KGEN: execmem: the copied code ran from its vmalloc page, module unloaded"
expect_exec execmem-vmalloc 1 "vmalloc area .*mapped executable, outside"
policy_run execmem 0x1 "exec-memory's record alone fails"
execmem_load execmem-page page
expect_exec execmem-page 2 "direct map .*mapped executable, outside"
execmem_load execmem-wx wx
expect_exec execmem-wx 3 "vmalloc area .*writable and executable .W.X."
# Between the image and MODULES_VADDR (0xffffffffc0000000 in a KASLR
# kernel): not module memory, even above 0xffffffffa0000000.
vrange=$(ksym __vmalloc_node_range)
[ -n "$vrange" ] || vrange=$(ksym __vmalloc_node_range_noprof)
execmem_load execmem-gap gap "vrange=0x$vrange" "after=0x$(ksym _end)"
expect_exec execmem-gap 4 "kernel image mapping .*mapped executable, outside"
tap_ok "[ \$(( ${code:-0} >= 0xffffffffa0000000 && ${code:-0} < 0xffffffffc0000000 )) = 1 ]" \
	"$KGEN: execmem-gap: the page (${code:-?}) lies where a kernel without KASLR has its module range"
}

integrity_main exec_run
