#!/bin/sh
# Runs the test suite under prove: unit tests (C, TAP) from BUILD/tests/unit
# and the integration tests in tests/integration (which boot real guests).
# vmfunc: only the VMFUNC chain (patched KVM build, one Bochs L1 boot with
# every step), as "make check-vmfunc" runs it.
#
# The tests run VMIAAS_JOBS at a time (default: the number of CPUs; 1:
# one after the other, in file name order). Most of a test's time is
# waiting (guests booting, QMP, vmid's intervals), so two at a time on two
# cores halve the wall time (docs/performance.md). Each test names its
# guests, work directories, sockets and ports uniquely (docs/testing.md),
# so that they can. In parallel they start longest first (the order
# below, from CI's timings), so that the run does not end on a long test
# alone; and three run one after the other, first: 40 builds the KVM that
# 45 boots in Bochs, and 45 and 75 (the .deb build) are the heaviest on
# the CPU. Each test's stderr lines are prefixed with its name
# (scripts/run-one.sh): prove -j passes them through as they come.
# Usage: scripts/run-tests.sh BUILD [unit|integration|vmfunc|all]
set -eu
build=${1:?usage: $0 BUILD [unit|integration|vmfunc|all]}
what=${2:-all}
top=$(cd "$(dirname "$0")/.." && pwd)
export VMIAAS_BUILD="$top/$build" VMIAAS_TOP="$top"
export VMICTL="$VMIAAS_BUILD/vmictl"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
jobs=${VMIAAS_JOBS:-$(nproc)}
case $jobs in
''|*[!0-9]*|0) echo "$0: VMIAAS_JOBS=$jobs: want a number of tests at a time" >&2; exit 2 ;;
esac
run="prove --exec $top/scripts/run-one.sh --timer"

# The chain (in this order, one at a time), then the rest longest first
# (serial, on CI's 2 cores: the clean-clone runs of 2026-11-30 20:27 and
# 21:44 UTC, docs/performance.md; those under its ten longest, 117 s, and
# not timed alone by their docs' estimates); tests not named here come
# after them, in name order.
chain="40-kvm-build 45-vmfunc-l1 75-deb-systemd"
longest="51-guest-tools 52-runtime-patching 51-guest-systools
	67-vmid-softdirty 60-vmid 55-hidden 00-guest-rig 50-integrity
	61-vmid-libvirt 10-vmictl-live-6.12 49-net-protocol 56-exec-helpers
	47-tty-ldisc 43-netdev-hook 59-vfs-hiding 44-hw-breakpoint 48-tracepoint-hook 69-vmid-boot
	10-vmictl-live-6.1 57-tampering 01-checkpatch 20-hostile-inputs
	53-rodata-modtext 58-net-hiding 54-bpf-jit 64-vmid-golden
	65-vmid-budget 63-vmid-agent 11-vmictl-la57 31-guest-agent-tcg
	68-vmid-pid-anon 66-vmid-baseline-file 30-kmod-tcg"
tests=
if [ "$what" = vmfunc ]; then
	for t in $chain; do
		[ "$t" = 75-deb-systemd ] || tests="$tests $top/tests/integration/$t.sh"
	done
	# shellcheck disable=SC2086
	exec $run $tests
fi
if [ "$what" != unit ]; then
	all=$(find "$top/tests/integration" -maxdepth 1 -name '*.sh' -perm -u+x | sort | tr '\n' ' ')
	if [ "$jobs" -gt 1 ]; then
		for t in $chain $longest; do
			f=$top/tests/integration/$t.sh
			case " $all " in *" $f "*) tests="$tests $f" ;; esac
		done
		for f in $all; do
			case " $tests " in *" $f "*) ;; *) tests="$tests $f" ;; esac
		done
	else
		tests=$all
	fi
fi
if [ "$what" != integration ]; then
	tests="$tests $(find "$VMIAAS_BUILD/tests/unit" -maxdepth 1 -type f \
		-perm -u+x 2>/dev/null | sort)"
fi
if [ "$jobs" -gt 1 ]; then
	# prove's scheduler starts a test given alone (par=) before any test
	# of a group (seq=), whatever the order: so every test is a group,
	# the chain one of three, and the groups start in the order given
	seq=
	for t in $chain; do
		seq="$seq${seq:+,}**/$t.sh"
	done
	run="$run -j $jobs --rules seq={$seq}"
	for f in $tests; do
		run="$run --rules seq=**/${f##*/}"
	done
fi
set -f	# the rules' globs are prove's
# shellcheck disable=SC2086
exec $run $tests
