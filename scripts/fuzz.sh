#!/bin/sh
# Runs each libFuzzer harness for SECONDS on its corpus (tests/fuzz/corpus/
# NAME, copied to a scratch directory so runs do not grow the repository),
# with its dictionary (tests/fuzz/NAME.dict) if it has one, printing one
# TAP line per harness.
# An input running FUZZ_TIMEOUT seconds (default 60) is a hang: a walk
# that does not end never finishes, while fuzz_checks' whole-check inputs
# take 4-14 s under ASan on this 2-core machine at load 13-25 (seed-4:
# 8.8 s at load 16, too close to the old 10 s).
# Usage: scripts/fuzz.sh SECONDS HARNESS...
set -u
secs=${1:?usage: $0 SECONDS HARNESS...}
shift
top=$(cd "$(dirname "$0")/.." && pwd)
# fuzz_checks' guest snapshot, named by its recipe (make fuzz makes it:
# scripts/fuzz-snapshot.sh).
export VMIAAS_FUZZ_SNAPSHOT=${VMIAAS_FUZZ_SNAPSHOT:-$top/$("$top/scripts/fuzz-snapshot.sh" --path)}
work=$(mktemp -d "${TMPDIR:-/tmp}/vmiaas-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT

echo "TAP version 13"
echo "1..$#"
n=0 failed=0
for h in "$@"; do
	n=$((n + 1))
	name=$(basename "$h")
	mkdir -p "$work/$name"
	if [ -d "$top/tests/fuzz/corpus/$name" ]; then
		cp -r "$top/tests/fuzz/corpus/$name/." "$work/$name/"
	fi
	dict=
	[ -e "$top/tests/fuzz/$name.dict" ] && dict=-dict=$top/tests/fuzz/$name.dict
	if "$h" -max_total_time="$secs" -rss_limit_mb=2048 -timeout="${FUZZ_TIMEOUT:-60}" \
		${dict:+"$dict"} -artifact_prefix="$work/" "$work/$name" >"$work/$name.log" 2>&1; then
		# libFuzzer's last status line and its "Done N runs in S
		# second(s)": what docs/testing.md records of a run
		echo "ok $n $name: no crash in ${secs}s; $(grep -E '^Done [0-9]+ runs' "$work/$name.log");" \
			"$(grep -E '^#[0-9]+' "$work/$name.log" | tail -n 1 |
			   grep -oE '(cov|ft|corp): [0-9]+(/[0-9A-Za-z]+)?' | tr '\n' ' ')"
	else
		failed=$((failed + 1))
		echo "not ok $n $name"
		tail -n 30 "$work/$name.log" | sed 's/^/# /'
		cp "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-* \
			"$top/tests/fuzz/" 2>/dev/null
	fi
done
[ "$failed" -eq 0 ]
