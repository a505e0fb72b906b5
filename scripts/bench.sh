#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make bench: vmiaas's performance figures against their targets, each next
# to the physical limit measured in the same run. Boots one test guest
# (Debian kernel under QEMU TCG, 512 MiB, 1,000 sleeping processes),
# measures, prints a report and stops the guest. Writes nothing into the
# repository (temporary files go to ${TMPDIR:-/tmp}). See
# docs/performance.md.
#
# Usage: scripts/bench.sh [BUILD_DIR]
# Environment: BENCH_RUNS (cold attaches per target, default 20),
#   BENCH_PS_CALLS (vmiaas_tasks() calls, default 100), BENCH_PROCS
#   (processes started in the guest, default 1000), BENCH_KERNEL (6.1 or
#   6.12, default 6.1), BENCH_CHECK_RUNS (full integrity checks, default
#   20), BENCH_OUT (also write the report to this file).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-build}
case $build in /*) ;; *) build=$top/$build ;; esac
guest=$top/scripts/guest
runs=${BENCH_RUNS:-20}
calls=${BENCH_PS_CALLS:-100}
procs=${BENCH_PROCS:-1000}
kgen=${BENCH_KERNEL:-6.1}
ba=$build/tests/tools/bench_attach
bp=$build/tests/tools/bench_paging
bc=$build/tests/tools/bench_check
vmictl=$build/vmictl
check_runs=${BENCH_CHECK_RUNS:-20}

for f in "$ba" "$bp" "$bc" "$vmictl"; do
	[ -x "$f" ] || { echo "bench: $f missing: run make userspace" >&2; exit 1; }
done

dir=
tmp=$(mktemp -d "${TMPDIR:-/tmp}/vmiaas-bench.XXXXXX")
cleanup()
{
	[ -z "$dir" ] || "$guest" stop "$dir" >/dev/null 2>&1 || true
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

BENCH_NAME=bench
. "$top/scripts/bench-lib.sh"

# field LINE KEY: the value of KEY=VALUE in a bench_attach line
field() { sed -n "s/.*[[:space:]]$2=\([^[:space:]]*\).*/\1/p" <<<"$1"; }

# ---- the guest -------------------------------------------------------------

log "preparing the $kgen test guest (cached after the first run)"
"$guest" setup --kernel "$kgen" >&2
dir=$("$guest" start --kernel "$kgen" --mem 512 --name "bench-$$" --test-modules)
info=$("$guest" info "$dir")
get() { sed -n "s/^$1=//p" <<<"$info"; }
shm=$(get SHM)
qmp=$(get QMP)
qpid=$(get PID)
kver=$(get ABI)
# The integrity target is for the test guest as it boots (make demo's,
# a few dozen processes); the rest of the bench adds $procs sleepers (the
# ps figure's guest), where the same check is measured again below.
one=()
command -v taskset >/dev/null && one=(taskset -c "$(($(nproc) - 1))")
ntasks0=$("$guest" run "$dir" 'ls -d /proc/[0-9]* | wc -l')
log "integrity: $check_runs full checks of the guest as booted ($ntasks0 processes)"
"${one[@]}" "$bc" --check --runs "$check_runs" --shm "$shm" --qmp "$qmp" >"$tmp/check0" ||
	fail "bench_check --check failed on the guest as booted"
log "guest $(get NAME) up in $(get READY_MS) ms; starting $procs processes"
"$guest" run --timeout 120 "$dir" \
	"for i in \$(seq $procs); do sleep 100000 </dev/null >/dev/null 2>&1 & done" \
	>/dev/null
"$guest" run "$dir" insmod /vmiaas/modules/vmiaas_test_hello.ko >/dev/null
ntasks=$("$guest" run "$dir" 'ls -d /proc/[0-9]* | wc -l')
cr3=$("$vmictl" --shm "$shm" --qmp "$qmp" --json info |
	sed -n 's/.*"cr3": *"\(0x[0-9a-fA-F]*\)".*/\1/p' | head -n 1)
[ -n "$cr3" ] || fail "no CR3 from vmictl --json info"

# ---- the machine -----------------------------------------------------------

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
out "vmiaas bench, $(date -u '+%Y-%m-%d %H:%M UTC')"
out "host:   $(nproc) CPUs ($cpu), $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo) RAM, Linux $(uname -r)"
out "        load average $(cut -d' ' -f1-3 /proc/loadavg) (other QEMU guests on the host: $(pgrep -c -f qemu-system-x86_64 || true) processes incl. ours)"
out "guest:  Debian $kver, 512 MiB, 1 vCPU, QEMU $(qemu-system-x86_64 --version | sed -n '1s/.*version \([^ ]*\).*/\1/p') TCG; $ntasks processes in /proc"
out "        CR3 $cr3; RAM file $shm (in /dev/shm: page cache, so \"cold\" means a fresh"
out "        process, not a cold page cache)"

# ---- physical limits ---------------------------------------------------------

bw=$("$ba" --membw "$shm")
gbps=$(field "$bw" best_gbps)
ddline=$(LC_ALL=C dd if="$shm" of=/dev/null bs=1M 2>&1 | tail -n 1)
ddrate=$(sed -n 's/.*, \([0-9.]* [GMk]*B\/s\)$/\1/p' <<<"$ddline")
scan_ms=$(awk -v g="$gbps" 'BEGIN { printf "%.1f", 536870912 / g / 1e6 }')
out ""
out "physical limits (same run)"
out "  memcpy from the guest RAM mapping (2 MiB chunks, best of 5)  $gbps GB/s (median $(field "$bw" median_gbps))"
out "  dd if=RAM-file of=/dev/null bs=1M (page cache -> user copy)  $ddrate"
out "  reading all 512 MiB of guest RAM once at memcpy speed        $scan_ms ms"

# ---- attach ----------------------------------------------------------------

log "dumping guest memory (QMP dump-guest-memory, ELF)"
t0=$(date +%s%N)
"$guest" dump "$dir" "$tmp/guest.elf" >/dev/null
dump_ms=$(( ($(date +%s%N) - t0) / 1000000 ))

out ""
out "attach, cold: a fresh process per run (fork+exec), N=$runs; median [min..max] ms"
out "$(printf '  %-9s %-19s %-22s %-19s %-19s %-22s %-22s %s' target backend kernel kallsyms btf total process 'total<50ms')"
attach_row()
{
	local name=$1 res s line row w
	shift
	log "attach: $name"
	if ! res=$("$ba" --runs "$runs" "$@" 2>"$tmp/err"); then
		out "$(printf '  %-10s failed: %s' "$name" "$(tail -n 1 "$tmp/err")")"
		return 0
	fi
	row=$(printf '  %-9s' "$name")
	for s in backend kernel kallsyms btf total process; do
		line=$(grep "^attach stage=$s " <<<"$res")
		case $s in kernel|total|process) w=22 ;; *) w=19 ;; esac
		row+=$(printf ' %-*s' $w "$(printf '%.2f [%.2f..%.2f]' \
			"$(field "$line" median_ms)" "$(field "$line" min_ms)" \
			"$(field "$line" max_ms)")")
		[ $s = total ] && total=$(field "$line" median_ms)
	done
	out "$row $(verdict "$total" '<' 50)"
}
attach_row shm+qmp --shm "$shm" --qmp "$qmp"
attach_row shm --shm "$shm"
if [ "$(id -u)" -eq 0 ]; then
	attach_row pid+qmp --pid "$qpid" --qmp "$qmp"
else
	out "  pid+qmp    skipped: process_vm_readv() on QEMU needs root"
fi
attach_row dump-elf --dump "$tmp/guest.elf"
out "  (total = vmiaas_open(); process = fork to exit, incl. exec, dynamic"
out "  linking and vmiaas_close(); the dump took $dump_ms ms to write and is"
out "  not part of the figure)"
out "  limit: with registers (shm+qmp, pid+qmp; the ELF dump carries them in its"
out "  notes) only the kernel image is read; shm without QMP searches all RAM:"
out "  >= $scan_ms ms at memcpy speed, over the 50 ms target by construction"

# ---- ps --------------------------------------------------------------------

log "ps: $calls calls of vmiaas_tasks()"
res=$("$ba" --ps "$calls" --shm "$shm" --qmp "$qmp")
ps_ms=$(field "$res" median_ms)
out ""
out "ps: vmiaas_tasks() after attach (shm+qmp), median of $calls calls"
out "$(printf '  %s tasks (%s with an mm): %s ms [%s..%s], %s us/task   <5 ms %s' \
	"$(field "$res" tasks)" "$(field "$res" user)" "$ps_ms" \
	"$(field "$res" min_ms)" "$(field "$res" max_ms)" \
	"$(awk -v m="$ps_ms" -v n="$(field "$res" tasks)" 'BEGIN { printf "%.2f", m * 1000 / n }')" \
	"$(verdict "$ps_ms" '<' 5)")"

# ---- paging ----------------------------------------------------------------

log "paging: bench_paging on the guest RAM, CR3 $cr3"
"$bp" "$shm" "$cr3" >"$tmp/paging"
warm=$(sed -n 's/^warm translation: *[0-9.]* ns\/op *\([0-9]*\) ops\/s.*/\1/p' "$tmp/paging")
warm_ns=$(sed -n 's/^warm translation: *\([0-9.]*\) ns\/op.*/\1/p' "$tmp/paging")
cold=$(sed -n 's/^cold 4 KiB read  4-level  : *\([0-9.]*\) ns\/op.*/\1/p' "$tmp/paging")
coldx=$(sed -n 's/^cold translation 4-level  : *\([0-9.]*\) ns\/op.*/\1/p' "$tmp/paging")
floor=$(sed -n 's/^memcpy floor (no walker) directmap: *\([0-9.]*\) ns\/op.*/\1/p' "$tmp/paging")
[ -n "$warm" ] && [ -n "$cold" ] || { cat "$tmp/paging" >&2; fail "bench_paging output not understood"; }
out ""
out "paging: bench_paging RAM-file $cr3 (one core)"
out "$(printf '  warm translation            %6.2f ns  %5.0f M/s      >20 M/s %s' \
	"$warm_ns" "$(awk -v w="$warm" 'BEGIN { print w / 1e6 }')" "$(verdict "$warm" '>' 20000000)")"
out "$(printf '  4 KiB read, full 4-level walk (cache cold)  %6.1f ns   <1 us   %s' \
	"$cold" "$(verdict "$cold" '<' 1000)")"
out "$(printf '    of which the walk (cold translation)     %6.1f ns' "$coldx")"
out "$(printf '    limit: memcpy of a cold 4 KiB page       %6.1f ns (no walker)' "$floor")"
out "  for scale: LibVMI from Xen Dom0 5.7 us, TinyVMI in Mini-OS 3.7 us per"
out "  4 KiB page read with a full walk (published figures, other hardware)"
# ---- integrity check --------------------------------------------------------

# One core (one=(), set above): the tools are single-threaded; pinning
# keeps the scheduler from moving them (QEMU and others still share it).
# ossl ALG: openssl speed's rate for 4 KiB blocks, in GB/s
ossl()
{
	"${one[@]}" openssl speed -seconds 3 -bytes 4096 -evp "$1" 2>/dev/null |
		awk -v a="$1" 'tolower($1) == tolower(a) { v = $2; sub(/k$/, "", v); printf "%.2f", v * 1000 / 1e9 }'
}
log "integrity: openssl speed and the page hashers"
sha=$(ossl sha256)
gcm=$(ossl aes-128-gcm)
# In cache (1 MiB: L2), as openssl speed measures; and 64 MiB streamed
# from memory, as a check of a cold guest reads it.
"${one[@]}" "$bc" --hash --mib 1 --runs 10 >"$tmp/hash"
"${one[@]}" "$bc" --hash --mib 64 --runs 5 >>"$tmp/hash"
hrate() { sed -n "s/^hash mac=$1 mode=$2 mib=$3 best_gbps=\([0-9.]*\) median_gbps=\([0-9.]*\)/\1 \2/p" "$tmp/hash"; }
log "integrity: $check_runs full checks of the guest"
"${one[@]}" "$bc" --check --runs "$check_runs" --shm "$shm" --qmp "$qmp" >"$tmp/check" ||
	fail "bench_check --check failed"
cpart() { sed -n "s/^check part=$1 median_ms=\([0-9.]*\).*/\1/p" "$tmp/check"; }
cfield() { grep "^check $1" "$tmp/check" | head -n 1; }
hashed=$(field " $(cfield hashed_bytes)" hashed_bytes)
in_gbps=$(field " $(cfield hashed_bytes)" hash_gbps)
rest=$(field " $(cfield hashed_bytes)" rest_ms)
out ""
out "integrity check (one core, pinned with taskset; page MAC: the default, GMAC-AES-128)"
out "  4 KiB messages, best [median] GB/s, data in cache (1 MiB) | streamed from memory (64 MiB):"
out "$(printf '    openssl speed -evp sha256                  %6s' "$sha")"
out "$(printf '    openssl speed -evp aes-128-gcm             %6s' "$gcm")"
hrow()
{
	local b m b2 m2
	read -r b m <<<"$(hrate "$1" "$2" 1)"
	read -r b2 m2 <<<"$(hrate "$1" "$2" 64)"
	printf '    %-43s%6s [%s] | %6s [%s]' "$3" "$b" "$m" "$b2" "$m2"
}
out "$(hrow HMAC-SHA256 direct 'page hasher HMAC-SHA256 (reused context)')"
read -r gmac m <<<"$(hrate GMAC-AES-128 direct 1)"
out "$(hrow GMAC-AES-128 direct 'page hasher GMAC-AES-128 (reused context)')   in cache >4 GB/s $(verdict "$gmac" '>' 4)"
out "$(hrow GMAC-AES-128 in_place 'GMAC through vmi_measure_range, in place')"
out "$(hrow GMAC-AES-128 measure_range 'GMAC through vmi_measure_range, memcpy')"
out "$(hrow Poly1305-AES direct 'page hasher Poly1305-AES (alternative)')"
out "  full check of this guest after attach, median of $check_runs (ms):"
out "    $(cfield mac= | sed 's/^check //')"
for p in total kernel-text kernel-rodata module-text+rodata syscall+idt+cpu hidden+creds exec-memory netfilter+proc-ops packet-tap+input vfs-ops tracepoint-hook usermode-helper net-protocol tty-ldisc netdev-hook; do
	out "$(printf '    %-18s %9s' "$p" "$(cpart "$p")")"
done
out "    vfs-ops walked: $(sed -n 's/^check vfs_//p' "$tmp/check" | head -n 1)"
out "$(printf '    hashing inside the check: %s bytes at %s GB/s (in place from the RAM file)' "$hashed" "$in_gbps")"
out "$(printf '    everything but hashing (total - text - rodata - modules): %s ms   <1 ms %s' "$rest" "$(verdict "$rest" '<' 1)")"
out "$(printf '    in CPU time (what the load does not stretch): hashing %s GB/s, the rest %s ms' "$(field " $(cfield hashed_bytes)" cpu_hash_gbps)" "$(field " $(cfield hashed_bytes)" cpu_rest_ms)")"
out "  the full checks' own steps, in order (mean of $check_runs, ms; wall | CPU):"
while read -r st w c; do
	out "$(printf '    %-18s %9s | %s' "$st" "$w" "$c")"
done < <(sed -n 's/^check step=\([^ ]*\) mean_ms=\([0-9.]*\) cpu_mean_ms=\([0-9.]*\)$/\1 \2 \3/p' "$tmp/check")
sums=" $(cfield steps_sum_ms)"
out "$(printf '    %-18s %9s | %s  (the full check: %s | %s)' "sum of the steps" \
	"$(field "$sums" steps_sum_ms)" "$(field "$sums" cpu_steps_sum_ms)" \
	"$(field "$sums" total_mean_ms)" "$(field "$sums" cpu_total_mean_ms)")"
rests=" $(cfield steps_rest_ms)"
out "$(printf '    everything but the text, rodata and module steps: %s ms, in CPU time %s ms   <1 ms %s' \
	"$(field "$rests" steps_rest_ms)" "$(field "$rests" cpu_steps_rest_ms)" \
	"$(verdict "$(field "$rests" cpu_steps_rest_ms)" '<' 1)")"
rests0=" $(grep '^check steps_rest_ms' "$tmp/check0" | head -n 1)"
out "$(printf '    the same on the guest as booted (%s processes, before the sleepers): %s ms, in CPU time %s ms   <1 ms %s' \
	"$ntasks0" "$(field "$rests0" steps_rest_ms)" "$(field "$rests0" cpu_steps_rest_ms)" \
	"$(verdict "$(field "$rests0" cpu_steps_rest_ms)" '<' 1)")"
# the same with the soft-dirty skip (a check after no change), where sound
"${one[@]}" "$bc" --check --dirty --runs "$check_runs" --shm "$shm" --qmp "$qmp" >"$tmp/dirty" ||
	fail "bench_check --check --dirty failed"
if grep -q '^dirty skip=on' "$tmp/dirty"; then
	dpart() { sed -n "s/^check part=$1 median_ms=[0-9.]* cpu_ms=\([0-9.]*\).*/\1/p" "$tmp/dirty"; }
	out "$(printf '    no-change check, soft-dirty skip on: CPU ms text %s, rodata %s, modules %s, total %s' \
		"$(dpart kernel-text)" "$(dpart kernel-rodata)" "$(dpart module-text+rodata)" "$(dpart total)")"
	out "    $(grep '^dirty skip=on' "$tmp/dirty")"
else
	out "    no-change check: the soft-dirty skip is off here: $(sed -n 's/^dirty skip=off why=//p' "$tmp/dirty")"
fi
out "  (the parts are timed on their own: syscall+idt+cpu and hidden+creds"
out "  are the reads and walks those checks do; GMAC in the check vs alone in"
out "  cache: $in_gbps vs $gmac GB/s; the check reads guest RAM: memcpy $gbps GB/s above)"

out ""
out "note: $(nproc)-core shared VM; the guest's QEMU (TCG) and any other guests"
out "run on the same cores, so figures vary by some 10-30% between runs."

if [ -n "${BENCH_OUT:-}" ]; then
	{ cat "$report"; echo; echo "bench_paging output:"; cat "$tmp/paging";
	  echo; echo "bench_check output:"; cat "$tmp/hash" "$tmp/check" "$tmp/dirty";
	  echo; echo "bench_check output, the guest as booted:"; cat "$tmp/check0"; } >"$BENCH_OUT"
	log "report written to $BENCH_OUT"
fi
