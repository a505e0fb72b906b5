#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The kernel-style gate: one TAP line per kernel-side C file (kmod/,
# core/, guest-agent/, tests/modules/), each passing when the kernel's
# checkpatch.pl --no-tree finds no ERROR and no WARNING in it. Its
# findings are printed as diagnostics; --strict CHECKs are printed too
# (informational, they do not fail the test).
set -u

top=${VMIAAS_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
cp=$top/scripts/checkpatch.sh

if ! err=$("$cp" --setup 2>&1 >/dev/null); then
	echo "1..0 # SKIP checkpatch unavailable: $err"
	exit 4
fi

cd "$top" || exit 1
mapfile -t files < <(find kmod core guest-agent tests/modules \
	-name '*.[ch]' ! -name '*.mod.c' -type f 2>/dev/null | sort)
echo "1..${#files[@]}"

n=0
failed=0
for f in "${files[@]}"; do
	n=$((n + 1))
	if out=$("$cp" "$f" 2>/dev/null); then
		echo "ok $n - checkpatch --no-tree $f"
	else
		failed=$((failed + 1))
		echo "not ok $n - checkpatch --no-tree $f"
		printf '%s\n' "$out" | sed 's/^/# /'
	fi
	checks=$("$cp" --strict "$f" 2>/dev/null | grep -c '^CHECK:')
	[ "$checks" -eq 0 ] || echo "# $f: $checks --strict CHECK(s) (informational)"
done
[ "$failed" -eq 0 ]
