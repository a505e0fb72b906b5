#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Makes the guest snapshot that tests/fuzz/fuzz_checks.c edits: boots a
# Debian 6.1 test guest with the rig (scripts/guest, cached kernel, two
# vCPUs) and gives every walker of the checks records to read: a test
# module, an ftrace hook (vmiaas_attack_ftrace), a kprobe on ftrace and an
# optimized one mid-function (its detour buffer), the kernel's livepatch
# sample applied, a BPF fentry program attached (a BPF trampoline), busy
# run queues, a sleeping process hidden from every list of tasks
# (found only through its kernel stack), a netfilter hook of an
# out-of-tree module (vmiaas_attack_nfhook), /proc/net/tcp's seq_ops
# swapped (vmiaas_attack_procnet), a packet tap (vmiaas_attack_ptype) and
# an input handler on the keyboard (vmiaas_attack_inputlog), a pty pair
# (tests/guest/pty-hold) whose slave's ldisc ops is a copy in a module
# (vmiaas_attack_ttylog mode=tty), a cgroup v1
# hierarchy with a release_agent and binfmt_misc (Debian's module) with
# two handlers, by magic with a mask and by extension. It dumps the guest's
# memory and lets the harness in record mode keep only the pages attach
# and the checks read (a sparse ELF core).
# Usage: scripts/fuzz-snapshot.sh OUT HARNESS
set -eu
out=${1:?usage: $0 OUT HARNESS}
harness=${2:?usage: $0 OUT HARNESS}
top=$(cd "$(dirname "$0")/.." && pwd)
guest=$top/scripts/guest
name=fuzzsnap-$$
work=$(mktemp -d "${TMPDIR:-/tmp}/vmiaas-fuzzsnap.XXXXXX")
trap '"$guest" stop "$name" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT

"$guest" setup --kernel 6.1 >/dev/null
# The guest has no BPF loader: the tests' static raw-bpf(2) one.
${CC:-cc} -static -Os -s -o "$work/bpf-fentry" "$top/tests/guest/bpf-fentry.c"
${CC:-cc} -static -Os -s -o "$work/pty-hold" "$top/tests/guest/pty-hold.c"
# The kernel's livepatch sample, built against the guest's headers.
lp_src=$("$top/scripts/livepatch-sample.sh" 6.1)
mkdir -p "$work/lp"
cp "$lp_src/Kbuild" "$lp_src/livepatch-sample.c" "$work/lp/"

abi=$("$guest" abi --kernel 6.1)
kmod=${VMIAAS_CACHE:-$top/.cache}/kernels/$abi/lib/modules/$abi/kernel
if [ -e "$kmod/fs/binfmt_misc.ko.xz" ]; then
	xz -dc "$kmod/fs/binfmt_misc.ko.xz" >"$work/binfmt_misc.ko"
else
	cp "$kmod/fs/binfmt_misc.ko" "$work/binfmt_misc.ko"
fi
"$guest" start --kernel 6.1 --mem 256 --smp 2 --test-modules \
	--add "$work/bpf-fentry" --add "$work/binfmt_misc.ko" \
	--add "$work/pty-hold" \
	--name "$name" >/dev/null
abi=$("$guest" info "$name" | sed -n 's/^ABI=//p')
kdir=/usr/src/linux-headers-$abi
[ -d "$kdir" ] || kdir=/lib/modules/$abi/build
make -C "$kdir" M="$work/lp" modules >"$work/lp/build.log" 2>&1 ||
	{ tail -5 "$work/lp/build.log" >&2; exit 1; }
"$guest" put "$name" "$work/lp/livepatch-sample.ko" /tmp/livepatch-sample.ko
"$guest" run --timeout 400 "$name" - <<'SH'
ksym() { grep " $1\$" /proc/kallsyms | cut -d' ' -f1 | head -n 1; }
insmod /vmiaas/modules/vmiaas_test_hello.ko
insmod /vmiaas/modules/vmiaas_attack_nfhook.ko
insmod /vmiaas/modules/vmiaas_attack_procnet.ko
insmod /vmiaas/modules/vmiaas_attack_ptype.ko
insmod /vmiaas/modules/vmiaas_attack_inputlog.ko
/vmiaas/pty-hold >/tmp/pty.out 2>&1 </dev/null &
for i in $(seq 20); do [ -s /tmp/pty.out ] && break; sleep 0.2; done
insmod /vmiaas/modules/vmiaas_attack_ttylog.ko mode=tty "path=$(head -n 1 /tmp/pty.out)"
insmod /vmiaas/modules/vmiaas_attack_ftrace.ko "target=0x$(ksym __x64_sys_getdents64)"
mkdir -p /tmp/cgx
mount -t cgroup -o none,name=fuzz cgroup /tmp/cgx
echo /tmp/agent >/tmp/cgx/release_agent
insmod /vmiaas/binfmt_misc.ko
mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
echo ':fz-m:M:4:\x07\x09:\xff\xfe:/tmp/interp:OC' >/proc/sys/fs/binfmt_misc/register
echo ':fz-e:E::fzx::/tmp/interp:P' >/proc/sys/fs/binfmt_misc/register
mount -t tracefs nodev /sys/kernel/tracing
cd /sys/kernel/tracing
echo 'p:fz do_sys_openat2' >>kprobe_events
for off in $(seq 5 64); do
	echo "p:fzmid vfs_write+$off" >>kprobe_events 2>/dev/null && break
done
echo 1 >events/kprobes/enable
insmod /tmp/livepatch-sample.ko
for i in $(seq 60); do
	[ "$(cat /sys/kernel/livepatch/livepatch_sample/transition)" = 0 ] && break
	sleep 0.5
done
/vmiaas/bpf-fentry vfs_fsync >/tmp/bpf.out 2>&1 &
for i in $(seq 40); do [ "$(cat /tmp/bpf.out)" = attached ] && break; sleep 0.5; done
sleep 1000 >/dev/null 2>&1 &
insmod /vmiaas/modules/vmiaas_attack_hideproc.ko "pid=$!" mode=cgroup \
	"tasklist=0x$(ksym tasklist_lock)" "pidmap=0x$(ksym pidmap_lock)" \
	"csslock=0x$(ksym css_set_lock)"
# last: busy loops slow everything else down under TCG
for i in 1 2 3; do sh -c 'while :; do :; done' </dev/null >/dev/null 2>&1 & done
SH
# what the snapshot holds, for the log
"$guest" run "$name" 'grep -c OPTIMIZED /sys/kernel/debug/kprobes/list
	cat /proc/cmdline /tmp/bpf.out; dmesg | grep -c "unlinked from its css_set"
	ls /proc/sys/fs/binfmt_misc; cat /tmp/cgx/release_agent' >&2 || true
"$guest" dump "$name" "$work/guest.elf"
"$guest" stop "$name" >/dev/null
mkdir -p "$(dirname "$out")"
VMIAAS_FUZZ_RECORD=$work/guest.elf VMIAAS_FUZZ_SNAPSHOT=$work/snap.elf \
	"$harness" -runs=0 >"$work/record.log" 2>&1 ||
	{ cat "$work/record.log" >&2; exit 1; }
grep 'pages of guest memory' "$work/record.log" >&2 || true
cp --sparse=always "$work/snap.elf" "$out"
