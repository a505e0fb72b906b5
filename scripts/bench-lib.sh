# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# What the bench scripts (bench.sh, bench-vmid.sh) share; sourced after
# they set BENCH_NAME (their name in messages) and made $tmp.

report=$tmp/report
out() { printf '%s\n' "$*" | tee -a "$report"; }
log() { printf '%s: %s\n' "$BENCH_NAME" "$*" >&2; }
fail() { echo "$BENCH_NAME: $*" >&2; exit 1; }
# verdict VALUE OP LIMIT: PASS or MISS (OP is < or >)
verdict()
{
	awk -v v="$1" -v l="$3" -v op="$2" 'BEGIN {
		ok = op == "<" ? v < l : v > l; print ok ? "PASS" : "MISS" }'
}
