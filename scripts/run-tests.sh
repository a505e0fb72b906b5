#!/bin/sh
# Runs the test suite under prove: unit tests (C, TAP) from BUILD/tests/unit
# and the integration tests in tests/integration (which boot real guests).
# vmfunc: only the VMFUNC chain (patched KVM build, one Bochs L1 boot with
# every step), as "make check-vmfunc" runs it.
# Usage: scripts/run-tests.sh BUILD [unit|integration|vmfunc|all]
set -eu
build=${1:?usage: $0 BUILD [unit|integration|vmfunc|all]}
what=${2:-all}
top=$(cd "$(dirname "$0")/.." && pwd)
export VMIAAS_BUILD="$top/$build" VMIAAS_TOP="$top"
export VMICTL="$VMIAAS_BUILD/vmictl"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

tests=
if [ "$what" = vmfunc ]; then
	for t in 40-kvm-build 45-vmfunc-l1; do
		tests="$tests $top/tests/integration/$t.sh"
	done
	# shellcheck disable=SC2086
	exec prove --exec '' --timer $tests
fi
if [ "$what" != integration ]; then
	tests="$tests $(find "$VMIAAS_BUILD/tests/unit" -maxdepth 1 -type f \
		-perm -u+x 2>/dev/null | sort)"
fi
if [ "$what" != unit ]; then
	tests="$tests $(find "$top/tests/integration" -maxdepth 1 -name '*.sh' \
		-perm -u+x | sort)"
fi
# shellcheck disable=SC2086
exec prove --exec '' --timer $tests
