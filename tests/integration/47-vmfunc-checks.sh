#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# vmiaas.ko serves guest requests: the mailbox protocol (VMFUNC into view 1,
# no VM exit), the checks registered with VMIAAS_IOC_SET_CHECKS (SHA-256 of
# guest-physical and guest-virtual ranges, a pointer table), events on
# read(), the hypercall fallback, the rate limit, garbage in the mailbox,
# a second VM, a vCPU that enrols itself, a memslot change, and teardown
# with requests in flight. In the Bochs L1 with the patched kvm-intel.ko,
# tests/vmfunc/checks-test.sh runs tests/vmfunc/vmfunc_checks (a minimal
# VMM whose 64-bit L2 guest posts the requests); its TAP is re-emitted
# here, then: rmmod and a reload work, and the L1 kernel log has no
# WARNING, BUG or Oops. One Bochs boot; VMIAAS_BOCHS_TIMEOUT (s, default
# 900) bounds it.
set -eu
# shellcheck source=tests/lib/guest.sh
. "$(dirname "$0")/../lib/guest.sh"

top=$VMIAAS_TOP
L1=$top/scripts/bochs-l1
command -v bochs >/dev/null ||
	tap_skip_all "bochs missing (scripts/deps.sh vmfunc)"
command -v genisoimage >/dev/null ||
	tap_skip_all "genisoimage missing (scripts/deps.sh vmfunc)"
command -v gcc >/dev/null || tap_skip_all "gcc missing"
[ -f /usr/lib/x86_64-linux-gnu/libcrypto.a ] ||
	tap_skip_all "static libcrypto missing (libssl-dev)"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/vmiaas-checks.XXXXXX")
trap '_guest_cleanup; rm -rf "$tmp"' EXIT

abi=$("$L1" abi) || tap_bail "scripts/bochs-l1 abi failed"
kdir=/lib/modules/$abi/build
[ -d "$kdir" ] || tap_skip_all "no headers for $abi at $kdir"
kvm=$("$top/scripts/build-kvm.sh" 6.1 2>"$tmp/kvm.err") ||
	tap_bail "scripts/build-kvm.sh 6.1 failed: $(tail -n 5 "$tmp/kvm.err")"

mkdir -p "$tmp/kbuild"
cp -r "$top/Kbuild" "$top/kmod" "$top/core" "$top/include" "$tmp/kbuild/"
find "$tmp/kbuild" \( -name '*.o' -o -name '.*.cmd' -o -name '*.ko' \) -delete
make -s -C "$kdir" M="$tmp/kbuild" modules >"$tmp/build.log" 2>&1 ||
	tap_bail "vmiaas.ko for $abi: $(tail -n 5 "$tmp/build.log")"
gcc -static -O2 -Wall -Wextra -Werror -o "$tmp/vmfunc_checks" \
	"$top/tests/vmfunc/vmfunc_checks.c" \
	"$top/tests/vmfunc/checks_guest.S" -lcrypto 2>"$tmp/cc.err" ||
	tap_bail "cannot build vmfunc_checks: $(grep -v 'statically linked' "$tmp/cc.err" | head -n 5)"

st=0
"$L1" run --timeout "${VMIAAS_BOCHS_TIMEOUT:-900}" --log "$tmp/com1" \
	--cpus "${VMIAAS_L1_CPUS:-2}" \
	--kvm-dir "$kvm" --add "$tmp/kbuild/vmiaas.ko" \
	--add "$tmp/vmfunc_checks" \
	--add "$top/tests/vmfunc/checks-test.sh" -- sh checks-test.sh \
	>"$tmp/out" 2>"$tmp/err" || st=$?
tap_diag "$(cat "$tmp/err")"

# the L2 tests, as vmfunc_checks printed them (ok/not ok lines and notes)
section=$(sed -n '/^@@RUN checks$/,/^@@RUN-END checks /p' "$tmp/out")
tap_diag "$(grep '^#' <<<"$section" || true)"
mapfile -t results < <(grep -E '^(not )?ok [0-9]+ ' <<<"$section" || true)
planned=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' <<<"$section")

tap_plan $((${#results[@]} + 7))
tap_is "$st" 0 "the Bochs L1 runs checks-test.sh to its end (exit status)"
for r in "${results[@]}"; do
	name=$(sed -E 's/^(not )?ok [0-9]+ - //' <<<"$r")
	case $r in
	ok*) tap_ok true "L2: $name" ;;
	*) tap_ok false "L2: $name" ;;
	esac
done
tap_is "${#results[@]}" "${planned:-none}" \
	"vmfunc_checks ran all its tests (plan ${planned:-missing})"
tap_is "$(sed -n 's/^@@RUN-END checks //p' "$tmp/out")" 0 \
	"vmfunc_checks exits 0"
tap_is "$(sed -n 's/^@@INSMOD //p' "$tmp/out" | tr '\n' ' ')" "0 0 " \
	"insmod vmiaas.ko, twice"
tap_is "$(sed -n 's/^@@RMMOD //p' "$tmp/out" | tr '\n' ' ')" "0 0 " \
	"rmmod vmiaas once the VMs are closed (requests left in flight), twice"
tap_ok "! grep -q '^@@STILL-LOADED' '$tmp/out'" "vmiaas is gone after each rmmod"

tr -d '\r' <"$tmp/com1" >"$tmp/com1.txt"
grep -E 'WARNING: CPU: [0-9]+ PID:|BUG:|Oops|kernel BUG at|general protection fault' \
	"$tmp/com1.txt" | grep -v 'at arch/x86/kernel/fpu/xstate.c:' \
	>"$tmp/bad" || true
[ -s "$tmp/bad" ] && tap_diag "$(cat "$tmp/bad")"
tap_ok "grep -q '^@@VMIAAS-L1-INIT' '$tmp/com1.txt' && [ ! -s '$tmp/bad' ]" \
	"the L1 kernel log has no WARNING, BUG or Oops beyond the known Bochs noise"
tap_done
