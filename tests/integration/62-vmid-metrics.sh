#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# vmid's Prometheus endpoint and control socket against awkward clients,
# without guests: the scrape passes promtool, bad requests get 404, 405
# and 431, idle and over-the-limit connections block neither the endpoint
# nor the control socket, a client that half-closes still gets its answer,
# bad metrics addresses are refused at start. (With guests and libvirt:
# 61-vmid-libvirt.sh.)
. "$(dirname "$0")/../lib/guest.sh"

: "${VMICTL:?set VMICTL to the vmictl binary (scripts/run-tests.sh does)}"
VMID=${VMID:-$(dirname "$VMICTL")/vmid}
[ -x "$VMID" ] || tap_skip_all "no vmid binary at $VMID"
for t in promtool curl socat jq; do
	command -v "$t" >/dev/null || tap_skip_all "$t is missing (scripts/deps.sh test)"
done

tap_plan 16
work=$(mktemp -d "${TMPDIR:-/tmp}/vmiaas-metrics.XXXXXX")
sock=$work/vmid.sock
vmid_pid=
idle=()
cleanup()
{
	[ ${#idle[@]} -gt 0 ] && kill "${idle[@]}" 2>/dev/null
	[ -n "$vmid_pid" ] && kill -KILL "$vmid_pid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

. "$(dirname "$0")/../lib/vmid.sh"	# wait_for
ms_since() { echo $((($(date +%s%N) - $1) / 1000000)); }

rc=0; "$VMID" --metrics nowhere --state-dir "$work/x" --socket "$work/x.sock" \
	--libvirt off 2>"$work/bad.err" || rc=$?
tap_ok '[ $rc = 3 ] && grep -q "want ADDR:PORT or off" "$work/bad.err" && [ ! -e "$work/x.sock" ]' \
	"an invalid metrics address: exit 3, says what it wants"

# no VM matches: the daemon alone
"$VMID" --state-dir "$work/state" --events "$work/events.jsonl" --socket "$sock" \
	--match "no-vm-$$-*" --libvirt off --metrics 127.0.0.1:0 \
	2>"$work/vmid.log" &
vmid_pid=$!
port=$(metrics_port "$work/vmid.log")
url=http://127.0.0.1:$port
tap_ok 'wait_for 20 "curl -sf $url/metrics"' "vmid serves /metrics"
curl -s -D "$work/head" "$url/metrics" >"$work/metrics.txt"
tap_ok 'grep -qi "^content-type: text/plain; version=0.0.4" "$work/head" && grep -q "^HTTP/1.0 200" "$work/head"' \
	"HTTP/1.0 200, Prometheus text format 0.0.4"
tap_ok 'promtool check metrics <"$work/metrics.txt"' "promtool check metrics passes"
tap_ok 'grep -q "^vmiaas_vms 0$" "$work/metrics.txt" && grep -q "^vmiaas_libvirt_connected 0$" "$work/metrics.txt" && grep -q "^process_open_fds " "$work/metrics.txt"' \
	"node metrics: no VMs, libvirt off, process figures"
tap_is "$(curl -s -o /dev/null -w '%{http_code}' "$url/")" 404 "GET / : 404"
tap_is "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$url/metrics")" 405 "POST: 405"
tap_is "$(curl -s -o /dev/null -w '%{http_code}' -H "X-Big: $(head -c 3000 /dev/zero | tr '\0' a)" "$url/metrics")" 431 \
	"a request head over 2 KiB: 431"

# 20 connections that never send a request (the limit is 16)
for i in $(seq 20); do
	socat -u TCP:127.0.0.1:$port - >/dev/null 2>&1 &
	idle+=($!)
	socat -u UNIX-CONNECT:"$sock" - >/dev/null 2>&1 &
	idle+=($!)
done
sleep 0.5
t0=$(date +%s%N)
tap_ok 'curl -sf -m 5 "$url/metrics" >/dev/null' "a scrape is answered beside 20 idle connections"
tap_ok '[ $(ms_since $t0) -lt 1500 ]' "... at once ($(ms_since "$t0") ms)"
tap_ok 'wait_for 5 "VMID_SOCKET=$sock $VMICTL status"' \
	"vmictl status answers beside 20 idle control clients"
kill "${idle[@]}" 2>/dev/null
idle=()

# a client that sends its request and shuts down its sending side
tap_ok 'printf "status\n" | socat -t 5 - UNIX-CONNECT:"$sock" | jq -e ".vms == []"' \
	"a half-closed control client still gets its answer"
tap_ok 'printf "bogus\n" | socat -t 5 - UNIX-CONNECT:"$sock" | jq -e ".error | test(\"unknown request\")"' \
	"an unknown request: an error document"
tap_is "$(head -c 400 /dev/zero | tr '\0' a | socat -t 5 - UNIX-CONNECT:"$sock" | jq -r '.error')" \
	"request line over 256 bytes" "a request line over 256 bytes: refused"

rc=0; VMID_SOCKET=$sock "$VMICTL" vmid-rebaseline nope >/dev/null 2>"$work/rb.err" || rc=$?
tap_ok '[ $rc = 3 ] && grep -q "no VM .nope." "$work/rb.err"' "vmid-rebaseline of an unknown VM: exit 3, says so"

kill -TERM "$vmid_pid"
st=0
wait "$vmid_pid" || st=$?
vmid_pid=
tap_is "$st" 0 "vmid exits 0 on SIGTERM"
[ "$_tap_fail" -eq 0 ] || tap_diag "vmid log:" "$(tail -n 20 "$work/vmid.log")"
tap_done
