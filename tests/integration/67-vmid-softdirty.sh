#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# vmid's soft-dirty skip on a host kernel that keeps soft-dirty bits
# (this build host's does not): a Debian 6.1 guest under QEMU TCG is the
# "host". In it, vmid watches a stand-in for QEMU (tests/tools/
# qemu_standin.c, named qemu-system-x86_64) that maps the saved RAM of a
# booted 6.1 rig guest shared and writable, as QEMU does, and writes into
# it through that mapping on command, as a guest's writes through KVM
# reach it. The checks are driven one by one (vmictl vmid-check): the
# first hashes everything, a quiet one almost nothing; a byte written into
# kernel text is found by the next check and its undoing resolved; 300
# pages written with their own bytes roll the epoch over; a remapped RAM
# mapping and an exec'd stand-in (same PID, new address space) give "all
# dirty" and their writes are found; a second writable mapper turns the
# skip off with its name; a restarted stand-in is a new VM whose first
# check hashes everything. Also tests/unit/test_dirty on that kernel.
# About 3-4 min (two guest boots).
. "$(dirname "$0")/../lib/guest.sh"
. "$(dirname "$0")/../lib/vmid.sh"

vmid_setup softdirty
build=$(dirname "$VMICTL")
standin=$build/tests/tools/qemu_standin
unit=$build/tests/unit/test_dirty
for f in "$standin" "$unit"; do
	[ -x "$f" ] || tap_skip_all "$f missing (make userspace)"
done
command -v gzip >/dev/null || tap_skip_all "gzip missing"

tap_plan 25

# ---- the VM: a booted 6.1 guest's RAM, and where its text is in the file ------
guest_start --kernel 6.1 --mem 128 || tap_bail "the inner guest did not boot"
# RAM below 128 MiB: the file offset of a guest-physical address is itself
gpa() { guest_qmp "gva2gpa 0x$(ksym "$1")" | sed -n 's/^gpa: 0x//p'; }
off_read=$(printf '%x' $((0x$(gpa vfs_read) + 0x40)))
off_write=$(printf '%x' $((0x$(gpa vfs_write) + 0x40)))
off_text=$(gpa _stext)
guest_qmp '{"execute":"stop"}' >/dev/null
gzip -1 -c "$GUEST_SHM" >"$work/vm.ram.gz"
guest_stop
tap_diag "RAM file offsets: vfs_read+0x40 $off_read, vfs_write+0x40 $off_write, _stext $off_text"
[ -n "$off_read" ] && [ -n "$off_write" ] && [ -n "$off_text" ] ||
	tap_bail "no guest-physical addresses for the kernel's text"

# ---- the soft-dirty host: a 6.1 guest with vmid, vmictl, the stand-in ---------
# The binaries run there with this host's libraries (their ldd closure).
adds=(--add "$VMID:/usr/sbin/vmid" --add "$VMICTL:/usr/bin/vmictl"
	--add "$standin:/opt/sd/qemu-system-x86_64" --add "$unit:/opt/sd/test_dirty"
	--add "$work/vm.ram.gz:/opt/sd/vm.ram.gz")
for l in $(ldd "$VMID" "$VMICTL" "$standin" "$unit" |
	awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\/.*ld-linux/ { print $1 }' | sort -u); do
	adds+=(--add "$l:$l")
done
guest_start --kernel 6.1 --mem 1024 --timeout 300 "${adds[@]}" ||
	tap_bail "the soft-dirty host guest did not boot"

out=$(guest_run --timeout 120 /opt/sd/test_dirty 2>&1)
tap_ok '[ "$(grep -c "^ok " <<<"$out")" = 7 ] && ! grep -q "SKIP\|^not ok" <<<"$out"' \
	"tests/unit/test_dirty on Debian 6.1 (soft-dirty bits): 7 passed, none skipped"
grep -q "^ok 7" <<<"$out" || tap_diag "$out"

ram=/dev/shm/sdvm-ram
qemu_args="-machine pc,memory-backend=mem -object memory-backend-file,id=mem,size=128M,mem-path=$ram,share=on"
# gunzip of the RAM file can take over the default 60 s (TCG, loaded host)
guest_run --timeout 300 "ifconfig lo 127.0.0.1 up; mkdir -p /dev/shm && mount -t tmpfs -o size=200m tmpfs /dev/shm &&
	gunzip -c /opt/sd/vm.ram.gz >$ram && mkdir -p /tmp/sd && mkfifo /tmp/sd/cmd" ||
	tap_bail "cannot set up the RAM file in the guest"
# standin NAME: starts a stand-in (its acks in /tmp/sd/ack)
standin() {
	guest_run "cd /tmp/sd; STANDIN_DIR=/tmp/sd setsid /opt/sd/qemu-system-x86_64 -name $1 $qemu_args </dev/null >>/tmp/sd/standin.log 2>&1 &
		i=0; until grep -q '^ready' /tmp/sd/ack 2>/dev/null || [ \$i -ge 50 ]; do sleep 0.2; i=\$((i + 1)); done"
}
# sd CMD: one command to the stand-in; prints its ack ("ok CMD")
sd() {
	guest_run "n=\$(cat /tmp/sd/ack | wc -l); echo '$1' >/tmp/sd/cmd; i=0
		while [ \$(cat /tmp/sd/ack | wc -l) -le \$n ] && [ \$i -lt 100 ]; do sleep 0.1; i=\$((i + 1)); done
		sleep 0.2; tail -n 1 /tmp/sd/ack"
}
standin sdvm
standin_pid=$(guest_run "sed -n 's/^ready //p' /tmp/sd/ack | tail -n 1")

printf 'interval = 600\njitter = 0\nsettle = 0\ncpu_budget = 0\npriority_min_interval = 0\nmetrics = 127.0.0.1:9848\nlibvirt = off\nmodule = off\njournal = no\n' \
	>"$work/vmid.conf"
guest_put "$work/vmid.conf" /tmp/sd/vmid.conf >/dev/null
guest_run "setsid vmid --config /tmp/sd/vmid.conf --state-dir /tmp/sd/state --socket /tmp/sd/vmid.sock --events /tmp/sd/events.jsonl --match 'sdvm*' </dev/null >/tmp/sd/vmid.log 2>&1 & echo \$! >/tmp/sd/vmid.pid"

st() { guest_run "vmictl --json status /tmp/sd/vmid.sock"; }
# vf FIELD [NAME]: a field of the VM in vmid's status
vf() { st | jq -r --arg n "${2:-sdvm}" '.vms[] | select(.name == $n) | .'"$1"; }
# check: one check now, through vmid; its exit status in $rc, then the
# latest check's pages hashed and skipped, epochs, findings in $h $s $e $f
check() {
	rc=0
	guest_run --timeout 120 "VMID_SOCKET=/tmp/sd/vmid.sock vmictl vmid-check ${1:-sdvm}" >"$work/check.out" 2>&1 || rc=$?
	read -r h s e f < <(st | jq -r --arg n "${1:-sdvm}" '.vms[] | select(.name == $n) |
		"\(.dirty_pages_hashed) \(.dirty_pages_skipped) \(.dirty_epochs) \(.findings)"')
	tap_diag "check: exit $rc, pages hashed $h, skipped $s, epoch $e, findings $f, worker CPU $(vf check_cpu_ms) ms; $(vf dirty_skip)"
}
# first_check: the check vmid runs at once when a worker is ready (or,
# if it has not come after 60 s, one asked for), read as check() does
first_check() {
	if gwait 60 '[ "$(vf checks)" -ge 1 ]'; then
		rc=0
		read -r h s e f < <(st | jq -r '.vms[] | select(.name == "sdvm") |
			"\(.dirty_pages_hashed) \(.dirty_pages_skipped) \(.dirty_epochs) \(.findings)"')
		tap_diag "first check: pages hashed $h, skipped $s, epoch $e, findings $f, worker CPU $(vf check_cpu_ms) ms; $(vf dirty_skip)"
	else
		check
	fi
}
events() { guest_run "cat /tmp/sd/events.jsonl"; }
# measure LABEL N: with SOFTDIRTY_BENCH=N in the environment (not in make
# check), N checks in a row and the CPU of vmid's daemon and of the
# worker over them, per check (docs/performance.md)
measure() {
	[ -n "${SOFTDIRTY_BENCH:-}" ] || return 0
	local w
	w=$(vf worker_pid)
	tap_diag "measured, $1: $(guest_run --timeout 0 "d=\$(cat /tmp/sd/vmid.pid); w=$w
		cpu() { awk '{ print \$14 + \$15 }' /proc/\$1/stat; }
		d0=\$(cpu \$d); w0=\$(cpu \$w); t0=\$(cut -d' ' -f1 /proc/uptime)
		i=0; while [ \$i -lt $SOFTDIRTY_BENCH ]; do VMID_SOCKET=/tmp/sd/vmid.sock vmictl vmid-check sdvm >/dev/null; i=\$((i + 1)); done
		d1=\$(cpu \$d); w1=\$(cpu \$w); t1=\$(cut -d' ' -f1 /proc/uptime)
		awk -v n=$SOFTDIRTY_BENCH -v d=\$((d1 - d0)) -v w=\$((w1 - w0)) -v t0=\$t0 -v t1=\$t1 'BEGIN {
			printf \"%d checks in %.1f s: daemon %.1f ms, worker %.1f ms of CPU per check\", n, t1 - t0, d * 10 / n, w * 10 / n }'")"
}
gwait() {
	local end=$(($(date +%s) + $1))
	until eval "$2" >/dev/null 2>&1; do
		[ "$(date +%s)" -lt "$end" ] || return 1
		sleep 2
	done
}

# ---- the first check, then a quiet one -------------------------------------------
tap_ok 'gwait 240 "[ \"\$(vf state)\" = ready ] || [ \"\$(vf checks)\" -ge 1 ]"' \
	"vmid attached the stand-in (shm) and baselined it"
[ "$(vf state)" = ready ] || [ "$(vf checks)" -ge 1 ] 2>/dev/null ||
	tap_diag "$(guest_run 'cat /tmp/sd/vmid.log')"
first_check
full=$h full_ms=$(vf check_cpu_ms)
tap_ok '[ $rc = 0 ] && [[ "$(vf dirty_skip)" == "soft-dirty skip: on: epoch 1;"* ]] && [ "$s" = 0 ] && [ "$full" -gt 3000 ]' \
	"the first check starts epoch 1 and hashes every page ($full)"
check
quiet_ms=$(vf check_cpu_ms)
tap_ok '[ $rc = 0 ] && [ "$e" = 1 ] && [ "$s" -gt $((full * 95 / 100)) ] && [ "$h" -lt $((full / 20)) ]' \
	"a quiet check hashes almost nothing: $h pages hashed, $s skipped (epoch $e)"
tap_diag "worker CPU: the first check ${full_ms} ms, a quiet one ${quiet_ms} ms"
guest_run "wget -q -O - http://127.0.0.1:9848/metrics" >"$work/metrics" 2>&1
mval() { sed -n "s/^vmiaas_dirty_pages_total{vm=\"sdvm\",how=\"$1\"} //p" "$work/metrics"; }
tap_ok '[ "$(mval skipped)" -ge "$s" ] && [ "$(mval hashed)" -ge "$full" ] &&
	{ ! command -v promtool >/dev/null || promtool check metrics <"$work/metrics"; }' \
	"metrics: vmiaas_dirty_pages_total hashed $(mval hashed), skipped $(mval skipped) so far (promtool passes)"
grep -q vmiaas_dirty_pages_total "$work/metrics" || tap_diag "$(head -c 2000 "$work/metrics")"

# ---- a write into kernel text through QEMU's mapping ----------------------------
tap_is "$(sd "w $off_read cc")" "ok w $off_read cc" "the stand-in wrote 0xcc at vfs_read+0x40 through its mapping"
check
tap_ok '[ $rc = 1 ] && [ "$f" -ge 1 ] && [ "$h" -ge 1 ] && grep -q "kernel-text" "$work/check.out"' \
	"the next check finds it (exit $rc, $f findings, the page hashed: $h)"
grep -q "kernel-text" "$work/check.out" || tap_diag "$(cat "$work/check.out")"
tap_ok 'events | jq -e "select(.type == \"finding\" and .check == \"kernel-text\")" >/dev/null' \
	"a kernel-text finding event in the JSON lines"
sd u >/dev/null
check
tap_ok '[ $rc = 0 ] && [ "$f" = 0 ] && events | jq -e "select(.type == \"resolved\")" >/dev/null' \
	"the byte written back: clean again, the finding resolved"

# ---- epoch roll-over: 300 verified pages written (with their own bytes) --------
e0=$e
tap_is "$(sd "t $off_text 300")" "ok t $off_text 300" "the stand-in wrote 300 text pages with their own bytes"
check
tap_ok '[ $rc = 0 ] && [ "$h" -ge 300 ] && [ "$e" = "$e0" ]' \
	"the next check hashes them ($h pages), finds nothing"
check
tap_ok '[ $rc = 0 ] && [ "$e" = $((e0 + 1)) ] && [ "$s" = 0 ]' \
	"more than 256 verified pages written: the check after starts epoch $e and hashes all"
check
tap_ok '[ $rc = 0 ] && [ "$s" -gt $((full * 95 / 100)) ] && [ "$e" = $((e0 + 1)) ]' \
	"then quiet again: $s skipped, $h hashed"

# ---- QEMU maps its RAM again, elsewhere, and writes through the new mapping ----
sd m >/dev/null
tap_is "$(sd "w $off_write cc")" "ok w $off_write cc" "the stand-in remapped its RAM and wrote 0xcc at vfs_write+0x40"
check
tap_ok '[ $rc = 1 ] && [ "$f" -ge 1 ] && [ "$s" = 0 ]' \
	"the next check finds it; every page dirty (the old addresses are unmapped): $s skipped"
sd u >/dev/null
check
tap_ok '[ $rc = 0 ] && [ "$f" = 0 ]' "written back: clean"

# ---- QEMU replaced in place: exec, same PID, a new address space ---------------
guest_run "sed -n 's/^ready //p' /tmp/sd/ack | wc -l" >"$work/nready"
sd x >/dev/null
gwait 20 "[ \"\$(guest_run \"sed -n 's/^ready //p' /tmp/sd/ack | wc -l\")\" -gt $(cat "$work/nready") ]"
sd "w $off_read cc" >/dev/null
check
tap_ok '[ $rc = 1 ] && [ "$f" -ge 1 ] && [ "$s" = 0 ] && [ "$(vf pid)" = "$standin_pid" ]' \
	"the stand-in exec'd itself (PID $standin_pid kept) and wrote vfs_read again: found, all dirty ($s skipped)"
sd u >/dev/null
check
check
tap_ok '[ $rc = 0 ] && [ "$f" = 0 ] && [ "$s" -gt $((full * 95 / 100)) ]' \
	"written back: clean, and a new epoch ($e) skips again ($s)"

# ---- a second process maps the RAM file writable --------------------------------
guest_run "mkdir -p /tmp/sd2; mkfifo /tmp/sd2/cmd; cd /tmp; STANDIN_DIR=/tmp/sd2 setsid /opt/sd/qemu-system-x86_64 -name other $qemu_args </dev/null >/dev/null 2>&1 & echo \$! >/tmp/sd2/pid; sleep 2" >/dev/null
sd "t $off_text 300" >/dev/null
check
check
tap_ok '[ $rc = 0 ] && [ "$s" = 0 ] && [[ "$(vf dirty_skip)" == *"also mapped writable by PID"*"qemu-system-x86"* ]]' \
	"a second writable mapper: the epoch is refused, every page hashed: $(vf dirty_skip)"
guest_run 'kill $(cat /tmp/sd2/pid)' >/dev/null

# ---- the stand-in restarted: a new QEMU process --------------------------------
guest_run "kill $standin_pid" >/dev/null
tap_ok 'gwait 30 "! st | jq -e \".vms[] | select(.pid == $standin_pid)\""' "the stand-in killed: detached"
guest_run ": >/tmp/sd/ack" >/dev/null
standin sdvm
pid2=$(guest_run "sed -n 's/^ready //p' /tmp/sd/ack | tail -n 1")
tap_ok 'gwait 120 "[ \"\$(vf state)\" = ready ] && [ \"\$(vf pid)\" = $pid2 ]"' \
	"restarted (PID $pid2): attached again as a new VM, its baseline loaded"
first_check
tap_ok '[ $rc = 0 ] && [ "$s" = 0 ] && [ "$e" = 1 ] && [ "$h" = "$full" ]' \
	"its first check hashes every page ($h), epoch 1, clean"
check
tap_ok '[ $rc = 0 ] && [ "$s" -gt $((full * 95 / 100)) ]' "and the next skips again ($s)"
measure "soft-dirty skip on, quiet guest" "${SOFTDIRTY_BENCH:-0}"

# ---- off, with the reason --------------------------------------------------------
guest_run "kill \$(cat /tmp/sd/vmid.pid); sleep 2; printf 'soft_dirty = no\n' >>/tmp/sd/vmid.conf
	setsid vmid --config /tmp/sd/vmid.conf --state-dir /tmp/sd/state --socket /tmp/sd/vmid.sock --events /tmp/sd/events.jsonl --match 'sdvm*' </dev/null >/tmp/sd/vmid2.log 2>&1 & echo \$! >/tmp/sd/vmid.pid" >/dev/null
gwait 120 '[ "$(vf state)" = ready ]'
check
tap_ok '[ $rc = 0 ] && [ "$s" = 0 ] && [ "$(vf dirty_skip)" = "soft-dirty skip: off, because soft_dirty = off in the configuration" ]' \
	"soft_dirty = no: every page hashed, status says why"
measure "soft_dirty = no" "${SOFTDIRTY_BENCH:-0}"
tap_diag "vmid's log in the guest:" "$(guest_run 'cat /tmp/sd/vmid.log /tmp/sd/vmid2.log' | tail -n 30)"
rc=0
guest_run 'kill $(cat /tmp/sd/vmid.pid); sleep 2; kill -0 $(cat /tmp/sd/vmid.pid) 2>/dev/null && exit 1; kill '"$pid2" >/dev/null || rc=$?
tap_is "$rc" 0 "vmid exits on SIGTERM"
tap_done
