#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The kernel-style gate: one TAP line per kernel-side C file (kmod/,
# core/, guest-agent/, tests/modules/, include/uapi/), each passing when
# the kernel's checkpatch.pl --no-tree finds no ERROR and no WARNING in it. Its
# findings are printed as diagnostics; --strict CHECKs are printed too
# (informational, they do not fail the test). The files are checked on
# every CPU at once (checkpatch.pl is CPU-bound: two minutes of it on
# one), the results printed in file order.
set -u

top=${VMIAAS_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
cp=$top/scripts/checkpatch.sh

if ! err=$("$cp" --setup 2>&1 >/dev/null); then
	echo "1..0 # SKIP checkpatch unavailable: $err"
	exit 4
fi

cd "$top" || exit 1
mapfile -t files < <(find kmod core guest-agent tests/modules include/uapi \
	-name '*.[ch]' ! -name '*.mod.c' -type f 2>/dev/null | sort)
echo "1..${#files[@]}"

res=$(mktemp -d "${TMPDIR:-/tmp}/vmiaas-checkpatch.XXXXXX") || exit 1
trap 'rm -rf "$res"' EXIT

# check_one N FILE: checkpatch's findings in RES/N.out, its status in
# RES/N.rc, the number of --strict CHECKs in RES/N.chk
check_one()
{
	local st=0
	"$cp" "$2" >"$res/$1.out" 2>/dev/null || st=$?
	"$cp" --strict "$2" 2>/dev/null | grep -c '^CHECK:' >"$res/$1.chk"
	echo "$st" >"$res/$1.rc"
}
export -f check_one
export cp res
for i in "${!files[@]}"; do
	printf '%s\0%s\0' "$i" "${files[$i]}"
done | xargs -0 -n 2 -P "$(nproc)" bash -c 'check_one "$@"' check_one

n=0
failed=0
for i in "${!files[@]}"; do
	f=${files[$i]}
	n=$((n + 1))
	if [ "$(cat "$res/$i.rc" 2>/dev/null)" = 0 ]; then
		echo "ok $n - checkpatch --no-tree $f"
	else
		failed=$((failed + 1))
		echo "not ok $n - checkpatch --no-tree $f"
		sed 's/^/# /' "$res/$i.out" 2>/dev/null
	fi
	checks=$(cat "$res/$i.chk" 2>/dev/null)
	[ "${checks:-0}" -eq 0 ] || echo "# $f: $checks --strict CHECK(s) (informational)"
done
[ "$failed" -eq 0 ]
