#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs one test for prove (scripts/run-tests.sh: prove --exec this), every
# line of its stderr prefixed with the test's name: prove -j passes the
# tests' stderr through as it comes, so without the name a failure's
# diagnostics (tests/lib/guest.sh copies them to stderr) could not be told
# from another test's running beside it. Stdout (the TAP) is untouched;
# the exit status is the test's.
# Usage: scripts/run-one.sh TEST
set -u
t=${1:?usage: $0 TEST}
name=${t##*/}
name=${name%.sh}
exec 3>&2
# sed -u: each line written whole as it comes (one write, atomic beside
# the other test's lines)
exec 2> >(sed -u "s|^|[$name] |" >&3)
prefixer=$!
st=0
"$t" || st=$?
exec 2>&3
# sed ends when the test and everything it left behind closed stderr; a
# process the test leaked keeps it open, so wait a bounded time only
for _ in $(seq 50); do
	kill -0 "$prefixer" 2>/dev/null || break
	sleep 0.1
done
exit "$st"
