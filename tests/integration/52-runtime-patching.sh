#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runtime patching is not tampering: on a live Debian guest, a baseline,
# then the kernel patching its own text step by step -- modules loaded and
# unloaded, tracepoints, kprobe events (ftrace-based, kretprobe and one in
# mid-function: int3 or optimized JMP; one more with optimization off: an
# int3 running its instruction slot), the function tracer filtered and
# (on UNFILTERED_KGENS) unfiltered, the kernel's livepatch sample applied
# and disabled, BPF fentry programs attached and detached (their BPF
# trampolines called from ftrace sites), many processes -- each step checked: exit 0, no findings,
# and an event saying which kind of patching was explained. Then an
# ftrace-based hook (vmiaas_attack_ftrace), and the same module hooking
# through a kprobe, must each be a finding naming the hooked function and
# the module; so must a kernel static call redirected to module code
# (vmiaas_attack_staticcall), or to another kernel function the kernel
# never gives its key (the same module, func=), an optimized kprobe's detour buffer
# pointed at module code (vmiaas_attack_optprobe), and a kprobe's instruction
# slot pointed at a stub (vmiaas_attack_kprobeslot). An eBPF rootkit's shape
# (tests/guest/bpf-writeuser.c: bpf_probe_write_user on the sys_enter raw
# tracepoint) must be a bpf-programs finding naming the program and its
# attach point, while the fentry programs stay events. Runs on each kernel
# of KGENS.
. "$(dirname "$0")/../lib/guest.sh"
. "$(dirname "$0")/../lib/integrity.sh"

# The unfiltered function tracer patches every ftrace site (37,657 on
# Debian 6.1, 42,864 on 6.12): 80 s on and 20 s off under TCG here.
UNFILTERED_KGENS=${UNFILTERED_KGENS:-6.1}
integrity_begin patching 67

# raw-bpf(2) loaders: a fentry program, an eBPF rootkit's shape
bpf_fentry=$(guest_tool bpf-fentry) ||
	tap_bail "cannot build tests/guest/bpf-fentry.c statically"
bpf_writeuser=$(guest_tool bpf-writeuser) ||
	tap_bail "cannot build tests/guest/bpf-writeuser.c statically"


# to_v2 SRC DST: baseline SRC as format version 2 (its BPF sections, ids 11
# and 21, dropped; the file MAC recomputed with the host key).
to_v2()
{
	python3 - "$1" "$2" "$key" <<'EOF'
import hashlib, hmac, struct, sys
src, dst, keyfile = sys.argv[1:4]
data = open(src, 'rb').read()[:-32]
out, off = bytearray(data[:16]), 16
while off < len(data):
    sid, _, slen = struct.unpack_from('<IIQ', data, off)
    if sid not in (11, 21):
        out += data[off:off + 16 + slen]
    off += 16 + slen
out[8:12] = struct.pack('<I', 2)
fkey = hmac.new(open(keyfile, 'rb').read(), b'vmiaas baseline file v1', hashlib.sha256).digest()
open(dst, 'wb').write(bytes(out) + hmac.new(fkey, bytes(out), hashlib.sha256).digest())
EOF
}

# bpf_events NAME PATTERN: bpf-programs events of NAME whose message matches
bpf_events()
{
	jq --arg re "$2" '[.events[] | select(.check == "bpf-programs" and (.detail.message | test($re)))] | length' \
		"$work/$1.json" 2>/dev/null
}

# attack NAME TRIGGER ACTIVE WHAT MODULE ARGS...: loads an attack module
# of the corpus with ARGS; after TRIGGER (run in the guest) its hits
# parameter must count calls through it (ACTIVE); then a check into
# $work/NAME.json must exit 1 (WHAT).
attack()
{
	# shellcheck disable=SC2034 # trigger: read by tap_ok's eval
	local name=$1 trigger=$2 active=$3 what=$4 mod=$5
	shift 5
	guest_run insmod "/vmiaas/modules/$mod.ko" "$@" >"$work/$name.insmod" 2>&1 ||
		tap_diag "insmod $mod $*: $(cat "$work/$name.insmod")"
	tap_ok '[ "$(guest_run "$trigger; cat /sys/module/$mod/parameters/hits")" -gt 0 ]' \
		"$KGEN: $active"
	check_json "$name"
	tap_is "$st" 1 "$KGEN: $what: check exits 1"
}

# attack_gone NAME MODULE DESC: NAME's findings shown, the module
# unloaded, and the guest clean again.
attack_gone()
{
	tap_diag "$(jq -c '.findings[] | [.object, .detail.message]' "$work/$1.json" 2>/dev/null | head -4)"
	guest_run rmmod "$2" >/dev/null 2>&1
	clean "$1-gone" "$3"
}

# build_livepatch: the kernel's samples/livepatch/livepatch-sample.c, built
# against the guest's headers; prints the .ko.
build_livepatch()
{
	local src kdir out=$work/livepatch
	src=$("$VMIAAS_TOP/scripts/livepatch-sample.sh" "$KGEN") || return 1
	kdir=/usr/src/linux-headers-$GUEST_KVER
	[ -d "$kdir" ] || kdir=/lib/modules/$GUEST_KVER/build
	mkdir -p "$out"
	cp "$src/Kbuild" "$src/livepatch-sample.c" "$out/"
	make -C "$kdir" M="$out" modules >"$out/build.log" 2>&1 || {
		tail -5 "$out/build.log" >&2
		return 1
	}
	echo "$out/livepatch-sample.ko"
}

# wait_transition: until the live patch's transition is over (30 s).
wait_transition()
{
	guest_run 'for i in $(seq 60); do
		[ "$(cat /sys/kernel/livepatch/livepatch_sample/transition 2>/dev/null)" = 1 ] || exit 0
		sleep 0.5; done; exit 1'
}

patching_run()
{
integrity_start "$1" --cpu qemu64,+svm --test-modules \
	--add "$bpf_fentry" --add "$bpf_writeuser"
take_baseline
clean fresh "right after the baseline"

# ---- modules -------------------------------------------------------------------
guest_run insmod /vmiaas/modules/vmiaas_test_hello.ko >/dev/null
guest_run rmmod vmiaas_test_hello >/dev/null
clean modules "after loading and unloading a module"

# ---- tracepoints: jump labels and static calls -----------------------------------
guest_run 'mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null
	cd /sys/kernel/tracing && echo 1 >events/sched/enable &&
	echo 1 >events/syscalls/sys_enter_openat/enable' >/dev/null
tap_is "$(guest_run cat /sys/kernel/tracing/events/sched/sched_switch/enable)" 1 \
	"$KGEN: sched tracepoints enabled"
clean tracepoints "sched and syscall tracepoints on" "static calls"

# ---- the preemption model: the kernel's own static call updates ---------------------
# sched_dynamic_update() points cond_resched, might_resched, preempt_schedule
# ... at other kernel functions (or NULL, __static_call_return0): each is
# a function the kernel's own __static_call_update() calls give the key.
preempt=/sys/kernel/debug/sched/preempt
mode=$(guest_run "cat $preempt" | sed -n 's/.*(\(.*\)).*/\1/p')
if [ -z "$mode" ]; then
	tap_skip "$KGEN: kernel without a dynamic preemption model ($preempt)" 2
else
	guest_run "echo full >$preempt" >/dev/null
	clean preempt-full "preemption model switched to full" "static calls"
	guest_run "echo none >$preempt" >/dev/null
	clean preempt-none "preemption model switched to none" "static calls"
	guest_run "echo $mode >$preempt" >/dev/null
fi

# ---- kprobe events ------------------------------------------------------------------
# At a function's entry a kprobe rides on ftrace; at an instruction inside
# vfs_write it is an int3, later an optimized JMP. The kernel refuses
# offsets that are not instruction boundaries: the first accepted is used.
guest_run 'cd /sys/kernel/tracing &&
	echo "p:vmiaas_open do_sys_openat2" >>kprobe_events &&
	echo "r:vmiaas_read vfs_read" >>kprobe_events &&
	for off in $(seq 5 64); do
		echo "p:vmiaas_mid vfs_write+$off" >>kprobe_events 2>/dev/null && break
	done && echo 1 >events/kprobes/enable && ls / >/dev/null' >/dev/null
tap_is "$(guest_run 'grep -c " vfs_write+" /sys/kernel/debug/kprobes/list; grep -c FTRACE /sys/kernel/debug/kprobes/list' | tr '\n' ' ')" \
	"1 2 " "$KGEN: three kprobe events: one mid-function, two on ftrace"
tap_diag "$(guest_run cat /sys/kernel/debug/kprobes/list)"
clean kprobes "kprobe events on" "kprobes"
# one more in mid-function with optimization off: a plain int3 whose
# instruction runs from its slot (docs/integrity.md, "Kprobes: the
# instruction slot"); optimization back on for the probes after
guest_run 'cd /sys/kernel/tracing && echo 0 >/proc/sys/debug/kprobes-optimization &&
	for off in $(seq 5 64); do
		echo "p:vmiaas_plain ksys_read+$off" >>kprobe_events 2>/dev/null && break
	done && echo 1 >events/kprobes/vmiaas_plain/enable && ls / >/dev/null' >/dev/null
tap_is "$(guest_run 'grep " ksys_read+" /sys/kernel/debug/kprobes/list | grep -vc "FTRACE\|OPTIMIZED"')" 1 \
	"$KGEN: a mid-function kprobe event with optimization off: a plain int3"
clean kprobes-plain "a plain mid-function kprobe (its instruction slot verified)" "kprobes"
guest_run 'echo 1 >/proc/sys/debug/kprobes-optimization' >/dev/null

# ---- the function tracer ----------------------------------------------------------
guest_run 'cd /sys/kernel/tracing && echo "vfs_read ksys_read" >set_ftrace_filter &&
	echo function >current_tracer && ls / >/dev/null' >/dev/null
# (the ring buffer is paused while it is read: reading it calls vfs_read)
tap_is "$(guest_run 'cd /sys/kernel/tracing && cat current_tracer && echo 0 >tracing_on &&
	grep -c "vfs_read\|ksys_read" trace | sed "s/^0$/none/; s/^[1-9][0-9]*$/some/"; echo 1 >tracing_on' | tr '\n' ' ')" \
	"function some " "$KGEN: function tracer on, filtered, tracing"
clean ftrace "function tracer on (filtered)" "ftrace sites"
guest_run 'echo nop >/sys/kernel/tracing/current_tracer; echo >/sys/kernel/tracing/set_ftrace_filter' >/dev/null
clean ftrace-off "function tracer off"

if [[ " $UNFILTERED_KGENS " == *" $KGEN "* ]]; then
	guest_run --timeout 400 'echo function >/sys/kernel/tracing/current_tracer' >/dev/null
	clean ftrace-all "function tracer on (every function)" "ftrace sites"
	tap_diag "$(jq -r '.events[] | select(.object == "ftrace sites") | .detail.message' "$work/ftrace-all.json" 2>/dev/null)"
	guest_run --timeout 400 'echo nop >/sys/kernel/tracing/current_tracer' >/dev/null
else
	tap_ok true "$KGEN: unfiltered function tracer: not in UNFILTERED_KGENS ($UNFILTERED_KGENS)"
fi

# ---- livepatch ----------------------------------------------------------------------
if ! guest_run test -d /sys/kernel/livepatch; then
	tap_skip "$KGEN: kernel without CONFIG_LIVEPATCH" 3
elif ! lp=$(build_livepatch); then
	tap_bail "cannot build the livepatch sample for $GUEST_KVER"
else
	guest_put "$lp" /tmp/livepatch-sample.ko
	guest_run insmod /tmp/livepatch-sample.ko >/dev/null
	wait_transition
	tap_is "$(guest_run cat /proc/cmdline)" "this has been live patched" \
		"$KGEN: livepatch sample applied"
	clean livepatch "live patch applied" "livepatch livepatch_sample"
	tap_diag "$(jq -r '.events[] | select(.check == "ftrace-hook") | .detail.message' "$work/livepatch.json" 2>/dev/null)"
	guest_run 'echo 0 >/sys/kernel/livepatch/livepatch_sample/enabled' >/dev/null
	wait_transition
	guest_run rmmod livepatch_sample >/dev/null 2>&1
	clean livepatch-off "live patch disabled and unloaded"
fi

# ---- BPF: fentry programs, each behind a BPF trampoline -----------------------------------
guest_run '/vmiaas/bpf-fentry vfs_fsync >/tmp/bpf1.out 2>&1 &
	/vmiaas/bpf-fentry ksys_sync >/tmp/bpf2.out 2>&1 &
	for i in $(seq 40); do
		[ "$(cat /tmp/bpf1.out /tmp/bpf2.out)" = "$(printf "attached\nattached")" ] && break
		sleep 0.5; done; cat /tmp/bpf1.out /tmp/bpf2.out' >"$work/bpf.out" 2>&1
tap_is "$(tr '\n' ' ' <"$work/bpf.out")" "attached attached " \
	"$KGEN: two BPF fentry programs attached (vfs_fsync, ksys_sync)"
clean bpf "BPF fentry programs attached" "BPF trampolines"
tap_is "$(bpf_events bpf 'tracing/trace_fentry.*loaded since the baseline, attached to function (vfs_fsync|ksys_sync) ')" 2 \
	"$KGEN: the two fentry programs are bpf-programs events: loaded since the baseline, naming their functions"
# a baseline holding them: benign programs of the baseline are not reported
vmictl_g baseline -o "$work/base-bpf" --key "$key" >/dev/null 2>&1
check_json bpf-base "$work/base-bpf"
tap_is "$st:$(nr_findings bpf-base):$(bpf_events bpf-base .)" "0:0:0" \
	"$KGEN: against a baseline holding the two benign programs: exit 0, no finding, no bpf-programs event"
# that baseline as format version 2 (no BPF section): still read, every
# program judged as found, one event says to re-baseline
to_v2 "$work/base-bpf" "$work/base-bpf-v2"
check_json bpf-v2 "$work/base-bpf-v2"
tap_is "$st:$(nr_findings bpf-v2):$(bpf_events bpf-v2 'format version 2'):$(bpf_events bpf-v2 'attached to function')" "0:0:1:2" \
	"$KGEN: a format 2 baseline is read: exit 0, the programs judged, an event says to re-baseline"
tap_diag "$(cat "$work/bpf-v2.err")"
# a cgroup program, named by its cgroup's path
guest_run 'mkdir -p /sys/fs/cgroup && { mount -t cgroup2 none /sys/fs/cgroup 2>/dev/null; mkdir -p /sys/fs/cgroup/vmiaas; }
	/vmiaas/bpf-fentry cgroup /sys/fs/cgroup/vmiaas >/tmp/bpfc.out 2>&1 &
	for i in $(seq 40); do [ "$(cat /tmp/bpfc.out)" = attached ] && break; sleep 0.5; done
	cat /tmp/bpfc.out' >"$work/bpfc.out" 2>&1
check_json bpf-cgroup "$work/base-bpf"
tap_is "$st:$(nr_findings bpf-cgroup):$(bpf_events bpf-cgroup 'vmiaas_cgskb .*loaded since the baseline, attached to cgroup /vmiaas [(]cgroup_inet_ingress[)]')" "0:0:1" \
	"$KGEN: a cgroup_skb program loaded since the baseline: an event naming the cgroup's path ($(head -c 100 "$work/bpfc.out"))"
# an XDP program on lo: the XDP dispatcher's static call now calls its image
guest_run '/vmiaas/bpf-fentry xdp 1 >/tmp/bpfx.out 2>&1 &
	for i in $(seq 40); do [ "$(cat /tmp/bpfx.out)" = attached ] && break; sleep 0.5; done
	cat /tmp/bpfx.out' >"$work/bpfx.out" 2>&1
check_json bpf-xdp "$work/base-bpf"
tap_is "$st:$(nr_findings bpf-xdp):$(bpf_events bpf-xdp 'vmiaas_xdp .*loaded since the baseline, attached to xdp on lo ')" "0:0:1" \
	"$KGEN: an XDP program on lo: exit 0, no findings (dispatcher explained), an event naming the device ($(head -c 100 "$work/bpfx.out"))"
[ "$(nr_findings bpf-xdp)" = 0 ] || tap_diag "$(jq -c '.findings[] | [.object, .detail.message]' "$work/bpf-xdp.json" 2>/dev/null | head -3)"
guest_run 'kill $(pidof bpf-fentry); sleep 1' >/dev/null 2>&1
check_json bpf-gone "$work/base-bpf"
tap_is "$st:$(nr_findings bpf-gone):$(bpf_events bpf-gone 'of the baseline is gone .*attached to function (vfs_fsync|ksys_sync)')" "0:0:2" \
	"$KGEN: the baseline's programs unloaded: exit 0, two events saying they are gone"
clean bpf-off "BPF programs detached"

# ---- the attack: an eBPF rootkit's bpf_probe_write_user on every syscall's entry ----------
guest_run '/vmiaas/bpf-writeuser >/tmp/bpfw.out 2>&1 &
	for i in $(seq 40); do [ "$(cat /tmp/bpfw.out)" = attached ] && break; sleep 0.5; done
	cat /tmp/bpfw.out' >"$work/bpfw.out" 2>&1
tap_is "$(cat "$work/bpfw.out")" attached \
	"$KGEN: a raw tracepoint program on sys_enter calling bpf_probe_write_user attached"
check_json bpfw
tap_is "$st" 1 "$KGEN: eBPF write-user program: check exits 1"
tap_ok "jq -e '(.findings | length) == 1 and ([.findings[] | select(.check == \"bpf-programs\" and .object == \"vmiaas_wuser\" and .severity == \"high\" and (.detail.message | test(\"loaded since the baseline, attached to raw_tracepoint sys_enter calls bpf_probe_write_user\")))] | length == 1)' '$work/bpfw.json'" \
	"$KGEN: one bpf-programs finding names vmiaas_wuser, loaded since the baseline, raw_tracepoint sys_enter and bpf_probe_write_user"
tap_diag "$(jq -c '.findings[] | [.object, .detail.message]' "$work/bpfw.json" 2>/dev/null | head -2)"
guest_run 'kill $(pidof bpf-writeuser); sleep 1' >/dev/null 2>&1
clean bpfw-gone "eBPF write-user program unloaded"
# the same as a kprobe program on getdents64, through a perf_event link
guest_run '/vmiaas/bpf-writeuser kprobe __x64_sys_getdents64 >/tmp/bpfk.out 2>&1 &
	for i in $(seq 40); do [ "$(cat /tmp/bpfk.out)" = attached ] && break; sleep 0.5; done
	cat /tmp/bpfk.out' >"$work/bpfk.out" 2>&1
tap_is "$(head -c 200 "$work/bpfk.out")" attached \
	"$KGEN: a kprobe program on __x64_sys_getdents64 calling bpf_probe_write_user attached (perf_event link)"
check_json bpfk
got="$st:$(jq '[.findings[] | select(.check == "bpf-programs" and .object == "vmiaas_wuser_kp" and .severity == "high" and (.detail.message | test("loaded since the baseline, attached to perf_event kprobe __x64_sys_getdents64 calls bpf_probe_write_user from a system call hook")))] | length' "$work/bpfk.json" 2>/dev/null)"
tap_is "$got" "1:1" \
	"$KGEN: exit 1, a finding names vmiaas_wuser_kp and its perf_event kprobe on __x64_sys_getdents64"
tap_diag "$(jq -c '.findings[] | [.object, .detail.message]' "$work/bpfk.json" 2>/dev/null | head -3)"
# all of it when it failed: the error, every bpf-programs finding and event
[ "$got" = 1:1 ] || tap_diag "$(cat "$work/bpfk.err")" \
	"$(jq -c '(.findings + .events)[] | select(.check == "bpf-programs") | [.object, .severity, .detail.message]' "$work/bpfk.json" 2>&1)"
guest_run 'kill $(pidof bpf-writeuser); sleep 1' >/dev/null 2>&1
clean bpfk-gone "kprobe write-user program unloaded"

# ---- processes ---------------------------------------------------------------------
guest_run 'for i in $(seq 200); do /bin/true & done; wait' >/dev/null
clean spawn "200 processes spawned and reaped"

# ---- a storm during the checks: what a running guest shows a reader -----------------
# Checks read the guest while it changes (docs/integrity.md, "Reading a
# running guest"): tracepoints' static calls half switched, kprobes being
# optimized, css_set lists a task is leaving. STORM_CHECKS checks while
# tests/guest/storm.sh runs: every one exit 0 and no findings. Its
# mid-function kprobe, created and deleted over and over, spends a grace
# period waiting on the kernel's optimizing_list (int3 at its site, no
# copied_insn yet) each time, about 1 check in 5 meets it: the checks go
# on (at most 3 x STORM_CHECKS more) until one has, and one must have.
guest_put "$VMIAAS_TOP/tests/guest/storm.sh" /tmp/storm.sh >/dev/null
guest_run 'rm -f /tmp/storm.stop /tmp/storm.rounds
	setsid sh /tmp/storm.sh </dev/null >/tmp/storm.log 2>&1 & sleep 2
	[ -s /tmp/storm.rounds ] || sleep 5; cat /tmp/storm.rounds' >"$work/storm.out" 2>&1
tap_ok '[ -s "$work/storm.out" ]' "$KGEN: storm of processes, a module, tracepoints, kprobes, tracer and BPF running"
kp_waiting() {
	jq '[.events[] | select(.object == "kprobes") | .detail.message |
		capture("; (?<n>[0-9]+) of a probe waiting for the kprobe optimizer").n |
		tonumber] | add // 0' "$work/$1.json" 2>/dev/null || echo 0
}
storm_bad= storm_waiting=0 storm_n=${STORM_CHECKS:-8} storm_done=0
for i in $(seq $((4 * storm_n))); do
	[ "$i" -le "$storm_n" ] || [ "$storm_waiting" = 0 ] || break
	check_json "storm$i"
	storm_done=$i
	[ "$st:$(nr_findings "storm$i")" = 0:0 ] ||
		storm_bad="$storm_bad storm$i:$st:$(nr_findings "storm$i")"
	storm_waiting=$((storm_waiting + $(kp_waiting "storm$i")))
done
guest_run 'touch /tmp/storm.stop; sleep 3; cat /tmp/storm.rounds /tmp/storm.optprobes' >>"$work/storm.out" 2>&1
tap_is "${storm_bad:-none}" none "$KGEN: $storm_done checks during the storm: exit 0, no findings"
[ -z "$storm_bad" ] || for i in $storm_bad; do
	tap_diag "$i: $(cat "$work/${i%%:*}.err"; jq -c '.findings[]' "$work/${i%%:*}.json" 2>/dev/null | head -3)"
done
tap_ok '[ "$storm_waiting" -gt 0 ]' \
	"$KGEN: an optimized kprobe waiting for the optimizer met and explained ($storm_waiting sites)"
tap_diag "storm rounds, optimized probes: $(tr '\n' ' ' <"$work/storm.out")"

# ---- kvm: perf guest callbacks behind kernel keys ----------------------------------
# The guest CPU has SVM (qemu64,+svm): kvm_amd loads, and kvm registers its
# perf guest callbacks, retargeting the kernel's __SCK____perf_guest_* keys
# to kvm's code: explained by the struct perf_guest_cbs points to.
kvm_load()
{
	local kdir=${VMIAAS_CACHE:-$VMIAAS_TOP/.cache}/kernels/$GUEST_KVER/lib/modules/$GUEST_KVER/kernel
	local mod f
	for mod in virt/lib/irqbypass arch/x86/kvm/kvm drivers/crypto/ccp/ccp arch/x86/kvm/kvm-amd; do
		f=$work/${mod##*/}.ko
		if [ -e "$kdir/$mod.ko.xz" ]; then
			xz -dc "$kdir/$mod.ko.xz" >"$f" || return 1
		else
			cp "$kdir/$mod.ko" "$f" || return 1
		fi
		guest_put "$f" "/tmp/${mod##*/}.ko" >/dev/null &&
			guest_run insmod "/tmp/${mod##*/}.ko" >/dev/null || return 1
	done
}
kvm_load
tap_ok "guest_run 'grep -q \"^kvm_amd \" /proc/modules'" "$KGEN: kvm_amd loaded (SVM guest CPU)"
clean kvm "kvm loaded: perf guest callbacks are kvm's" "static calls"

# ---- the attack: an ftrace hook ----------------------------------------------------------
getdents=$(ksym __x64_sys_getdents64)
attack attack "ls / >/dev/null" "ftrace hook active: getdents64 goes through the module" \
	"ftrace hook" vmiaas_attack_ftrace "target=0x$getdents"
tap_ok "jq -e '[.findings[] | select(.check == \"ftrace-hook\" and .object == \"__x64_sys_getdents64\" and (.detail.new_symbol | startswith(\"[vmiaas_attack_ftrace]+\")))] | length == 1' '$work/attack.json'" \
	"$KGEN: ftrace-hook finding names __x64_sys_getdents64 and the module's callback"
attack_gone attack vmiaas_attack_ftrace "ftrace hook unloaded"

# ---- the attack: a kprobe hook ----------------------------------------------------------
attack kprobe "ls / >/dev/null" "kprobe hook active: getdents64 goes through the module" \
	"kprobe hook" vmiaas_attack_ftrace "target=0x$getdents" mode=kprobe
tap_ok "jq -e '[.findings[] | select(.check == \"ftrace-hook\" and .object == \"__x64_sys_getdents64\" and (.detail.new_symbol | startswith(\"[vmiaas_attack_ftrace]+\")))] | length == 1' '$work/kprobe.json'" \
	"$KGEN: kprobe hook finding names __x64_sys_getdents64 and the module's handler"
attack_gone kprobe vmiaas_attack_ftrace "kprobe hook unloaded"

# ---- the attack: a static call redirected to module code ----------------------------------
# __static_call_update() rewrites the trampoline and the inline sites as
# the kernel would; only the key's new function (module code behind a
# kernel key) tells it apart. Every finding must name the key.
attack staticcall "sleep 0.1" "static call hook active: sched_clock() goes through the module" \
	"static call redirected" vmiaas_attack_staticcall \
	"key=0x$(ksym __SCK__pv_sched_clock)" "tramp=0x$(ksym __SCT__pv_sched_clock)"
tap_ok "jq -e '[.findings[] | select(.check == \"kernel-text\" and (.object | startswith(\"__SCT__pv_sched_clock+\")))] | length == 1' '$work/staticcall.json'" \
	"$KGEN: a kernel-text finding at the trampoline __SCT__pv_sched_clock"
tap_ok "jq -e '.findings | length >= 2 and all(.check == \"kernel-text\" and (.detail.message | test(\"static call __SCK__pv_sched_clock now calls \\\\[vmiaas_attack_staticcall\\\\]\\\\+\")))' '$work/staticcall.json'" \
	"$KGEN: every finding (trampoline and inline sites) names the key and the module's function"
attack_gone staticcall vmiaas_attack_staticcall "static call restored on unload"

# ---- the attack: a static call redirected to another kernel function ----------------------
# Code reuse: the key and its sites now name ktime_get_mono_fast_ns, a
# kernel function with the clock's prototype, which no update site of the
# kernel gives __SCK__pv_sched_clock and which it did not hold at baseline.
guest_run insmod /vmiaas/modules/vmiaas_attack_staticcall.ko \
	"key=0x$(ksym __SCK__pv_sched_clock)" "tramp=0x$(ksym __SCT__pv_sched_clock)" \
	"func=0x$(ksym ktime_get_mono_fast_ns)" >/dev/null 2>&1
tap_is "$(guest_run 'dmesg | grep -c "now calls ktime_get_mono_fast_ns"')" 1 \
	"$KGEN: static call redirected to ktime_get_mono_fast_ns (code reuse)"
check_json staticcall-reuse
tap_is "$st" 1 "$KGEN: static call redirected to a kernel function: check exits 1"
tap_ok "jq -e '[.findings[] | select(.check == \"kernel-text\" and (.object | startswith(\"__SCT__pv_sched_clock+\")) and (.detail.message | test(\"static call __SCK__pv_sched_clock now calls ktime_get_mono_fast_ns .*not what it called at baseline\")))] | length == 1' '$work/staticcall-reuse.json'" \
	"$KGEN: the trampoline's finding names the key and the kernel function"
attack_gone staticcall-reuse vmiaas_attack_staticcall "static call restored on unload (code reuse)"

# ---- the attack: an optimized kprobe's detour buffer rewritten ------------------------------
# The mid-function kprobe event placed above is optimized: its JMP leads
# to a detour buffer, whose call to optimized_callback the module points
# at its own code. The probed text and the kprobe's records are untouched.
probe=$(guest_run 'grep " vfs_write+.*OPTIMIZED" /sys/kernel/debug/kprobes/list' | cut -d' ' -f1)
tap_ok '[ -n "$probe" ]' "$KGEN: the mid-function kprobe is optimized"
attack optprobe "echo x >/tmp/x" "detour hook active: vfs_write's probe goes through the module" \
	"detour rewritten" vmiaas_attack_optprobe "addr=0x$probe" \
	"callidx=$((0x$(ksym optprobe_template_call) - 0x$(ksym optprobe_template_entry)))" \
	"cb=0x$(ksym optimized_callback)"
tap_ok "jq -e '[.findings[] | select(.check == \"ftrace-hook\" and (.object | startswith(\"vfs_write+\")) and (.detail.new_symbol | startswith(\"[vmiaas_attack_optprobe]+\")) and (.detail.message | test(\"detour buffer\")))] | length == 1' '$work/optprobe.json'" \
	"$KGEN: an ftrace-hook finding names vfs_write+off, the detour and the module's function"
tap_ok "jq -e '[.findings[] | select(.check == \"kernel-text\" and (.object | startswith(\"vfs_write+\")))] | length == 1' '$work/optprobe.json'" \
	"$KGEN: the probe's JMP is no longer explained (kernel-text at vfs_write+off)"
attack_gone optprobe vmiaas_attack_optprobe "detour restored on unload"

# ---- the attack: a kprobe's instruction slot rewritten ----------------------------------------
# The module registers a kprobe in do_sys_openat2's straight-line start
# (neither optimized nor boosted, no handler left), makes its slot's page
# writable with set_memory_nx()/set_memory_rw() and back, and points the
# copy of the probed instruction at a stub of its own in that page: every
# open counts in hits. The text holds a registered probe's int3; only the
# slot tells. The kprobe events go first: nothing else runs from the
# slot page while it is not executable.
guest_run 'cd /sys/kernel/tracing && echo 0 >events/kprobes/enable && echo >kprobe_events' >/dev/null 2>&1
attack kprobeslot "cat /proc/version >/dev/null" "slot hook active: do_sys_openat2's probe runs the module's stub" \
	"kprobe slot rewritten" vmiaas_attack_kprobeslot "target=0x$(ksym do_sys_openat2)" \
	"setnx=0x$(ksym set_memory_nx)" "setrw=0x$(ksym set_memory_rw)" \
	"setro=0x$(ksym set_memory_ro)" "setx=0x$(ksym set_memory_x)"
tap_ok "jq -e '(.findings | length) == 1 and ([.findings[] | select(.check == \"ftrace-hook\" and .severity == \"critical\" and (.object | startswith(\"do_sys_openat2+\")) and (.detail.message | test(\"instruction slot 0x[0-9a-f]+ does not hold the probed instruction\")))] | length == 1)' '$work/kprobeslot.json'" \
	"$KGEN: one finding, ftrace-hook (critical), names do_sys_openat2+off and its rewritten instruction slot"
attack_gone kprobeslot vmiaas_attack_kprobeslot "kprobe slot restored, probe removed on unload"
}

integrity_main patching_run
