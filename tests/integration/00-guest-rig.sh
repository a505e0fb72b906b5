#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The test-guest rig itself: boot, command agent, put + insmod, QMP, dump,
# two guests at once (6.1 and 6.12), clean stop.
set -eu
# shellcheck source=tests/lib/guest.sh
. "$(dirname "$0")/../lib/guest.sh"

G=$VMIAAS_GUEST_CLI
command -v qemu-system-x86_64 >/dev/null ||
	tap_skip_all "qemu-system-x86_64 missing (scripts/deps.sh test)"

tap_plan 23
tmp=$(mktemp -d "${TMPDIR:-/tmp}/vmiaas-rig.XXXXXX")
trap '_guest_cleanup; rm -rf "$tmp"' EXIT

abi61=$("$G" abi --kernel 6.1) || tap_bail "cannot fetch the 6.1 kernel"
abi612=$("$G" abi --kernel 6.12) || tap_bail "cannot fetch the 6.12 kernel"
mods=$("$G" modules --kernel 6.1) || tap_bail "cannot build the test modules"

# Two builds of the test modules at once, in an empty cache: one builds,
# the other waits for it, and both print the same complete directory.
pids=()
for i in 1 2; do
	VMIAAS_MODULES_CACHE=$tmp/modcache "$G" modules --kernel 6.1 \
		>"$tmp/modules$i" 2>&1 &
	pids+=($!)
done
st=0; wait "${pids[0]}" || st=$?; wait "${pids[1]}" || st=$((st + $?))
tap_ok "[ $st = 0 ] && [ \"\$(cat '$tmp/modules1')\" = \"\$(cat '$tmp/modules2')\" ]" \
	"two test-module builds at once: both succeed, one directory"
nr_mods=$(grep -c '^obj-m' "$VMIAAS_TOP/tests/modules/Kbuild")
built=$(head -n 1 "$tmp/modules1")
tap_is "$(ls "$built"/*.ko 2>/dev/null | wc -l) $(grep -c ' CC \[M\] .*/vmiaas_[a-z_]*\.o$' "$built/build.log" 2>/dev/null)" \
	"$nr_mods $nr_mods" "every module built, and built once (the second build waited and reused it)"

# Old builds are pruned: beyond the VMIAAS_MODULES_KEEP most recently used,
# those unused for 3 hours go, unless being built (their .lock held); so do
# the loose files of the one-directory layout before digests.
mc=${built%/*}
for d in 1 2 3 4 5; do
	mkdir -p "$mc/00000000000000a$d"
	touch -d "-$d days" "$mc/00000000000000a$d/.used"
done
mkdir -p "$mc/00000000000000b1" "$mc/00000000000000c1" "$mc/.tmp_1"
touch -d '-20 minutes' "$mc/00000000000000b1/.used"
touch -d '-6 days' "$mc/00000000000000c1/.used" "$mc/Kbuild" "$mc/.tmp_1"
touch "$mc/build.log.recent"
# no .used (built before the stamps): the directory's age, new and old
mkdir -p "$mc/00000000000000d1" "$mc/00000000000000d2"
touch -d '-2 days' "$mc/00000000000000d2"
exec {busy}>"$mc/00000000000000c1/.lock"
flock "$busy"
VMIAAS_MODULES_CACHE=$tmp/modcache VMIAAS_MODULES_KEEP=2 "$G" modules \
	--kernel 6.1 >/dev/null 2>&1 || true
exec {busy}>&-
tap_is "$(cd "$mc" && ls -A | LC_ALL=C sort | tr '\n' ' ')" \
	"$(printf '%s\n' .prune 00000000000000b1 00000000000000c1 00000000000000d1 \
		"${built##*/}" build.log.recent | LC_ALL=C sort | tr '\n' ' ')" \
	"old test-module builds pruned: the 2 newest kept, and those used in 3 h, or being built"

t0=$(date +%s%N)
guest_start --kernel 6.1 || tap_bail "6.1 guest did not boot"
tap_diag "6.1 guest ready in ${GUEST_READY_MS} ms ($GUEST)"
tap_is "$(guest_run uname -r)" "$abi61" "6.1 guest runs $abi61"

st=0; guest_run false || st=$?
tap_is "$st" 1 "exit status of false is 1"
st=0; guest_run 'exit 42' || st=$?
tap_is "$st" 42 "exit status 42 propagates"

out=$(guest_run 'printf "%s\n" "a '"'"'quoted'"'"' \"word\"" line2; echo e >&2' 2>"$tmp/err")
tap_is "$out" "a 'quoted' \"word\"
line2" "quotes and multi-line output"
tap_is "$(cat "$tmp/err")" e "stderr comes back on stderr"

# the limit unscaled (VMIAAS_TIMEOUT_SCALE=1): the guest's kill itself
# is under test, not the load's allowance
s=$(date +%s)
st=0; VMIAAS_TIMEOUT_SCALE=1 guest_run --timeout 1 'sleep 30' >/dev/null 2>&1 || st=$?
tap_ok "[ $st -ne 0 ] && [ $(( $(date +%s) - s )) -lt 10 ]" \
	"a hung command is killed after its timeout (status $st)"
tap_is "$(guest_run echo still alive)" "still alive" "agent answers after a timeout"

guest_insmod "$mods/vmiaas_test_hello.ko" tag=rigtest >/dev/null 2>&1 || true
tap_ok 'guest_run grep -q "^vmiaas_test_hello " /proc/modules' \
	"put + insmod: vmiaas_test_hello in /proc/modules"
tap_ok 'guest_run grep -q rigtest /sys/module/vmiaas_test_hello/parameters/tag' \
	"module parameter set"

tap_ok "[ -f '$GUEST_SHM' ] && [ \$(stat -c %s '$GUEST_SHM') -eq $((512 << 20)) ]" \
	"RAM file $GUEST_SHM is 512 MiB"
tap_ok "grep -a -q -m1 'Linux version $abi61' '$GUEST_SHM'" \
	"kernel banner readable in the RAM file"
tap_ok "guest_qmp 'info registers' | grep -q CR3=" "HMP info registers via QMP"
guest_dump "$tmp/dump.elf" || true
tap_is "$(head -c 4 "$tmp/dump.elf" 2>/dev/null | tail -c 3)" ELF "dump-guest-memory writes an ELF file"
rm -f "$tmp/dump.elf"

# a second guest (6.12) beside the first
g1_dir=$GUEST_DIR g1_shm=$GUEST_SHM g1_pid=$GUEST_PID
guest_start --kernel 6.12 --mem 256 || tap_bail "6.12 guest did not boot"
tap_diag "6.12 guest ready in ${GUEST_READY_MS} ms ($GUEST)"
tap_is "$(guest_run uname -r)" "$abi612" "6.12 guest runs $abi612"
tap_ok "[ '$GUEST_SHM' != '$g1_shm' ] && [ -f '$GUEST_SHM' ] && [ -f '$g1_shm' ]" \
	"two guests, two RAM files"
tap_is "$(GUEST_DIR=$g1_dir guest_run echo one) $(guest_run echo two)" "one two" \
	"both agents answer"

mods612=$(guest_modules) || tap_bail "cannot build the test modules for 6.12"
guest_insmod "$mods612/vmiaas_test_cyclic.ko" >/dev/null 2>&1 || true
tap_ok 'guest_run "dmesg | grep -q \"task list made cyclic\""' \
	"6.12: vmiaas_test_cyclic loads, guest still answers"

guest_stop
guest_stop "$g1_dir"
tap_ok "! kill -0 $g1_pid 2>/dev/null" "QEMU exited on stop"
tap_ok "[ ! -e '$g1_shm' ] && [ ! -e '$GUEST_SHM' ]" "RAM files removed"
tap_ok "[ ! -e '$g1_dir' ] && [ ! -e '$GUEST_DIR' ]" "state directories removed"
tap_diag "total $(( ($(date +%s%N) - t0) / 1000000 )) ms"
tap_done
