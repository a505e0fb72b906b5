# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# tests/lib/integrity.sh: what the integrity tests (50-56) share
# (tests/lib/guest.sh sourced first). A test reads:
#
#   integrity_begin TAG PER_KERNEL   VMICTL required, KGENS (default
#                                    "6.1 6.12"), the TAP plan, $top_work
#                                    (removed at exit with the guests)
#   tool=$(guest_tool NAME) || tap_bail ...
#                                    tests/guest/NAME.c built static into
#                                    $top_work/NAME, its path printed
#   my_run() { integrity_start "$1" --test-modules ...; take_baseline; ...; }
#   integrity_main my_run            my_run KGEN for each of KGENS, each
#                                    guest stopped after it; tap_done
#
#   integrity_start KGEN START-ARG...  per kernel: KGEN, work (a directory),
#                            key (the host key file), base (the baseline
#                            file); a guest booted with guest_start
#   take_baseline [DESC]     vmictl baseline --json into $base: a TAP check
#   vmictl_g ARG...          vmictl on the current guest
#   ksym NAME                a symbol's address from the guest's kallsyms
#   debian_modules KGEN DIR PATH...
#                            Debian's own modules of KGEN's kernel (PATH
#                            under kernel/, without .ko: net/sched/cls_bpf)
#                            into $top_work/DIR/, uncompressed (the guest
#                            has no modprobe); prints that directory
#   check_json NAME [BASE]   check --json into $work/NAME.json (.err); st
#   nr_findings NAME         findings in $work/NAME.json
#   expect_clean NAME WHAT   a TAP check: exit 0 and no findings
#   has_event NAME OBJECT    $work/NAME.json has an event of OBJECT
#   clean NAME DESC [EVENT]  a TAP check: exit 0, no findings and, if
#                            given, an event of object EVENT
#   expect_n NAME N CHECK OBJECT-REGEX JQ-FILTER WHAT
#                            a TAP check: exit 1 and exactly N findings,
#                            each of CHECK, its object matching
#                            OBJECT-REGEX and passing JQ-FILTER
#   expect_one NAME CHECK OBJECT-REGEX JQ-FILTER WHAT   expect_n with N=1
#   unload_clean NAME MODULE WHAT
#                            MODULE unloaded, then expect_clean NAME-gone
#   tracing_on               the function tracer, sched events, a kprobe
#                            event and a mid-function (optimized) one, a
#                            BPF fentry program (/vmiaas/bpf-fentry)
#   tracing_off              all of it off again

integrity_begin()
{
	local nr_kgens

	: "${VMICTL:?set VMICTL to the vmictl binary (scripts/run-tests.sh does)}"
	KGENS=${KGENS:-6.1 6.12}
	nr_kgens=$(wc -w <<<"$KGENS")
	tap_plan $(($2 * nr_kgens))
	top_work=$(mktemp -d "${TMPDIR:-/tmp}/vmiaas-$1.XXXXXX")
	trap '_guest_cleanup; rm -rf "$top_work"' EXIT
}

# The guest image has no BPF loader and no compiler: static programs.
guest_tool()
{
	${CC:-cc} -static -Os -s -o "$top_work/$1" "$VMIAAS_TOP/tests/guest/$1.c" >&2 &&
		echo "$top_work/$1"
}

integrity_start()
{
	KGEN=$1
	shift
	work=$top_work/$KGEN
	mkdir -p "$work"
	key=$work/keys/host.key
	base=$work/baseline
	guest_start --kernel "$KGEN" "$@" || tap_bail "guest did not boot"
	tap_diag "guest $GUEST: kernel $GUEST_KVER, ready in ${GUEST_READY_MS} ms"
}

take_baseline()
{
	st=0
	vmictl_g --json baseline -o "$base" --key "$key" \
		>"$work/baseline.json" 2>&1 || st=$?
	tap_is "$st" 0 "$KGEN: ${1:-baseline}: exit 0"
	[ "$st" = 0 ] || tap_diag "$(cat "$work/baseline.json")"
}

integrity_main()
{
	local kgen

	for kgen in $KGENS; do
		"$1" "$kgen"
		guest_stop "$GUEST_DIR" >/dev/null 2>&1
	done
	tap_done
}

vmictl_g() { "$VMICTL" --shm "$GUEST_SHM" --qmp "$GUEST_QMP" "$@"; }

debian_modules()
{
	local abi dir m f kdir
	abi=$("$VMIAAS_GUEST_CLI" abi --kernel "$1") || return 1
	kdir=${VMIAAS_CACHE:-$VMIAAS_TOP/.cache}/kernels/$abi/lib/modules/$abi/kernel
	dir=$top_work/$2
	mkdir -p "$dir"
	shift 2
	for m in "$@"; do
		f=$kdir/$m.ko
		if [ -e "$f.xz" ]; then xz -dc "$f.xz" >"$dir/${m##*/}.ko"; else cp "$f" "$dir/${m##*/}.ko"; fi || return 1
	done
	echo "$dir"
}
ksym() { guest_run "grep ' $1\$' /proc/kallsyms" | cut -d' ' -f1 | head -n 1; }

check_json()
{
	st=0
	vmictl_g --json check -b "${2:-$base}" --key "$key" >"$work/$1.json" \
		2>"$work/$1.err" || st=$?
}

# vmiaas.ko's records (vmiaas_module_policy(), tests/tools/module_policy):
# policy_take takes them from the guest now into $work/policy.bin, one
# line each in $work/policy.txt ("check I type=T ..."), and sets
# nr_policy; policy_mask TYPE is the failed mask of the record of check
# type TYPE alone; policy_run NAME MASK WHAT: the records run as
# vmiaas.ko runs them (the same core code) fail exactly MASK.
policy_take()
{
	"$VMIAAS_BUILD/tests/tools/module_policy" --take "$work/policy.bin" \
		--shm "$GUEST_SHM" --qmp "$GUEST_QMP" >"$work/policy.txt" 2>&1 ||
		tap_diag "module_policy --take: $(cat "$work/policy.txt")"
	nr_policy=$(grep -c '^check ' "$work/policy.txt")
}

policy_mask()
{
	local bit
	bit=$(sed -n "s/^check \([0-9]*\) type=$1 .*/\1/p" "$work/policy.txt" | head -n 1)
	printf '%#x' $((1 << ${bit:-63}))
}

policy_run()
{
	"$VMIAAS_BUILD/tests/tools/module_policy" --run "$work/policy.bin" \
		--shm "$GUEST_SHM" --qmp "$GUEST_QMP" >"$work/$1.policy" 2>&1 || true
	tap_is "$(head -n 1 "$work/$1.policy")" "failed=$2 checks=$nr_policy" \
		"$KGEN: module policy: $3 (as vmiaas.ko runs its records)"
	# what the failed walks found, as vmid's findings name it
	tap_diag "$(tail -n +2 "$work/$1.policy" | cut -c1-300)"
}

# bl_remac FILE: appends the file MAC of FILE's bytes, computed with the
# host key $key (as vmiaas_baseline_save() does): a baseline a buggy or
# older vmiaas with the key would have written.
bl_remac()
{
	local filekey
	filekey=$(printf 'vmiaas baseline file v1' |
		openssl dgst -sha256 -mac HMAC -macopt "hexkey:$(od -An -tx1 -v "$key" | tr -d ' \n')" |
		awk '{print $NF}')
	openssl dgst -sha256 -mac HMAC -macopt "hexkey:$filekey" -binary \
		"$1" >>"$1"
}

nr_findings() { jq '.findings | length' "$work/$1.json" 2>/dev/null; }

expect_clean()
{
	check_json "$1"
	tap_is "$st:$(nr_findings "$1")" "0:0" "$KGEN: $2: exit 0, no findings"
	[ "$st:$(nr_findings "$1")" = 0:0 ] ||
		tap_diag "$(cat "$work/$1.err"; jq -c '.findings[]' "$work/$1.json" 2>/dev/null | head -5)"
}

has_event() { jq -e --arg o "$2" '[.events[] | select(.object == $o)] | length >= 1' "$work/$1.json" >/dev/null 2>&1; }

# clean NAME DESC [EVENT]: a check after a benign step: exit 0, no
# findings and, if given, an event of that object (the kind of patching
# the step made and the classifier explained).
clean()
{
	local name=$1 desc=$2 event=${3:-} got
	check_json "$name"
	got="$st:$(nr_findings "$name")"
	[ -z "$event" ] || { has_event "$name" "$event" && got="$got:$event"; }
	tap_is "$got" "0:0${event:+:$event}" "$KGEN: $desc: exit 0, no findings${event:+, '$event' explained}"
	[ "$got" = "0:0${event:+:$event}" ] || {
		tap_diag "$(cat "$work/$name.err")"
		tap_diag "$(jq -c '.findings[]' "$work/$name.json" 2>/dev/null | head -5)"
		tap_diag "$(jq -c '[.events[].object]' "$work/$name.json" 2>/dev/null)"
	}
}

expect_n()
{
	check_json "$1"
	tap_ok "[ $st = 1 ] && jq -e --argjson n '$2' --arg c '$3' --arg o '$4' '(.findings | length == \$n) and ([.findings[] | select(.check == \$c and (.object | test(\$o)) and ($5))] | length == \$n)' '$work/$1.json'" \
		"$KGEN: $1: exit 1, $6"
	tap_diag "$(cat "$work/$1.err"; jq -c '.findings[] | [.check, .severity, .object, .detail.message]' "$work/$1.json" 2>/dev/null | cut -c1-300 | head -4)"
}

expect_one() { expect_n "$1" 1 "$2" "$3" "$4" "$5"; }

unload_clean()
{
	guest_run rmmod "$2" >/dev/null 2>&1
	expect_clean "$1-gone" "$3"
}

# Tracing, kprobes and BPF put ftrace trampolines, kprobe instruction
# slots and a BPF trampoline in the module area.
tracing_on()
{
	guest_run 'mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null
	cd /sys/kernel/tracing && echo 1 >events/sched/enable &&
	echo "p:vmiaas_open do_sys_openat2" >>kprobe_events &&
	for off in $(seq 5 64); do
		echo "p:vmiaas_mid vfs_write+$off" >>kprobe_events 2>/dev/null && break
	done && echo 1 >events/kprobes/enable &&
	echo "vfs_read ksys_read" >set_ftrace_filter &&
	echo function >current_tracer && ls / >/dev/null
	/vmiaas/bpf-fentry vfs_fsync >/tmp/bpf.out 2>&1 &
	for i in $(seq 40); do
		[ "$(cat /tmp/bpf.out)" = attached ] && break
		sleep 0.5; done' >/dev/null
}

tracing_off()
{
	guest_run 'kill $(pidof bpf-fentry); cd /sys/kernel/tracing && echo nop >current_tracer &&
	echo 0 >events/kprobes/enable && echo >kprobe_events && echo 0 >events/sched/enable' >/dev/null 2>&1
}
