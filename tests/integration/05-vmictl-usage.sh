#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# vmictl's argument handling and exit statuses, without a guest: usage
# errors exit 2 with one line and a hint, targets that are not a Linux
# guest exit 3 with one line, --help and --version exit 0.
set -u

top=${VMIAAS_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
vmictl=${VMICTL:-$top/build/vmictl}
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

echo "TAP version 13"
if [ ! -x "$vmictl" ]; then
	echo "1..0 # SKIP $vmictl not built (make userspace)"
	exit 4
fi

n=0
failed=0

ok() {
	n=$((n + 1))
	echo "ok $n $*"
}

not_ok() {
	n=$((n + 1))
	failed=$((failed + 1))
	echo "not ok $n $*"
	sed 's/^/# stderr: /' "$tmp/err"
}

# expect STATUS DESCRIPTION -- ARGS...: runs vmictl, checks the exit status.
expect() {
	want=$1 desc=$2
	shift 3
	"$vmictl" "$@" >"$tmp/out" 2>"$tmp/err"
	got=$?
	if [ "$got" -eq "$want" ]; then
		ok "$desc"
	else
		echo "# vmictl $*: expected exit $want, got $got"
		not_ok "$desc"
	fi
}

# A usage error: exit 2, nothing on stdout, "vmictl: ..." and the hint.
usage_error() {
	desc=$1
	shift 2
	"$vmictl" "$@" >"$tmp/out" 2>"$tmp/err"
	got=$?
	lines=$(wc -l <"$tmp/err")
	if [ "$got" -eq 2 ] && [ ! -s "$tmp/out" ] && [ "$lines" -eq 2 ] &&
	   head -n 1 "$tmp/err" | grep -q '^vmictl: ' &&
	   tail -n 1 "$tmp/err" | grep -qF "Try 'vmictl --help'"; then
		ok "usage error: $desc"
	else
		echo "# vmictl $*: expected exit 2 and two lines on stderr, got exit $got and $lines lines"
		not_ok "usage error: $desc"
	fi
}

# A guest that cannot be read: exit 3 and a single "vmictl: ..." line.
guest_error() {
	desc=$1
	shift 2
	"$vmictl" "$@" >"$tmp/out" 2>"$tmp/err"
	got=$?
	lines=$(wc -l <"$tmp/err")
	if [ "$got" -eq 3 ] && [ ! -s "$tmp/out" ] && [ "$lines" -eq 1 ] &&
	   grep -q '^vmictl: ..*' "$tmp/err"; then
		ok "guest error: $desc"
	else
		echo "# vmictl $*: expected exit 3 and one line on stderr, got exit $got and $lines lines"
		not_ok "guest error: $desc"
	fi
}

# stdout of the last run contains STRING
stdout_has() {
	if grep -qe "$1" "$tmp/out"; then
		ok "$2"
	else
		echo "# expected '$1' on stdout"
		not_ok "$2"
	fi
}

expect 0 "--help exits 0" -- --help
stdout_has '^Usage: vmictl' "--help prints the usage"
missing=
for cmd in info ps lsmod syscalls idt help; do
	grep -q "^  $cmd" "$tmp/out" || missing="$missing $cmd"
done
if [ -z "$missing" ]; then
	ok "--help lists the commands"
else
	echo "# --help does not list:$missing"
	not_ok "--help lists the commands"
fi
expect 0 "-h exits 0" -- -h
expect 0 "--version exits 0" -- --version
stdout_has '^vmictl [0-9]' "--version prints the version"
expect 0 "help ps exits 0" -- help ps
stdout_has '--threads' "help ps documents --threads"
expect 0 "ps --help exits 0" -- ps --help
stdout_has '^Usage: vmictl .* ps' "ps --help prints the usage of ps"
expect 0 "help alone prints the usage" -- help

usage_error "no command" --
usage_error "unknown command" -- frobnicate
usage_error "unknown long option" -- --frobnicate info
usage_error "unknown short option" -- -Z info
usage_error "option without its argument" -- info --dump
usage_error "help for an unknown command" -- help frobnicate
usage_error "no target" -- ps
usage_error "--shm and --dump" -- --shm "$tmp/a" --dump "$tmp/b" info
usage_error "--pid and --dump" -- --pid 1 --dump "$tmp/b" info
usage_error "--shm given twice" -- --shm "$tmp/a" --shm "$tmp/b" info
usage_error "--qmp with --dump" -- --dump "$tmp/b" --qmp "$tmp/q" info
usage_error "--pid 0" -- --pid 0 info
usage_error "--pid not a number" -- --pid 12x info
usage_error "--pid negative" -- --pid -5 info
usage_error "--vcpu not a number" -- --dump "$tmp/b" idt --vcpu x
usage_error "--vcpu out of range" -- --dump "$tmp/b" idt --vcpu 4294967296
usage_error "--threads is not an lsmod option" -- --dump "$tmp/b" lsmod -t
usage_error "--vcpu is not a ps option" -- --dump "$tmp/b" ps --vcpu 1
usage_error "unexpected argument" -- --dump "$tmp/b" info extra
usage_error "empty file name" -- --dump "" info
# before the target is opened (it is not even there)
usage_error "baseline without -o" -- --dump "$tmp/missing" baseline
usage_error "check without -b" -- --dump "$tmp/missing" check --key "$tmp/k"

# Not a guest: missing, empty, and a megabyte of zeros.
: >"$tmp/empty"
dd if=/dev/zero of="$tmp/zeros" bs=64k count=16 2>/dev/null
guest_error "missing dump file" -- --dump "$tmp/missing" info
guest_error "empty dump file" -- --dump "$tmp/empty" ps
guest_error "options after the command" -- ps --json --dump "$tmp/zeros"
guest_error "no such QEMU process" -- --pid 2147483647 info

echo "1..$n"
[ "$failed" -eq 0 ] && exit 0
exit 1
