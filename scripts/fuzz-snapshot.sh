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
# two handlers, by magic with a mask and by extension; for the walks
# that came later: more network devices (a bridge over a dummy device and
# a macvlan over another, Debian's modules: their rx_handlers and
# tables) and lo with an rx_handler and a copied netdev_ops
# (vmiaas_attack_netdev rx=1 xmit=1), an execute breakpoint the kernel
# registered on every CPU with a module's handler (vmiaas_attack_hwbp
# mode=1) and a ptrace write watchpoint of a spinning traced child
# (tests/guest/hwbp-watch), tcp's inet_protosw on a copied proto_ops and
# udp's GRO offload on a copy (vmiaas_attack_netproto protosw=1 gro=1),
# a container (new pid and mount namespaces, /proc mounted anew, an
# emptied bounding set: tests/guest/capdrop) and a user namespace of its
# own (unshare -U -r), each with a sleeping process. It pauses the guest,
# saves its vCPUs' registers (HMP info registers -a: the debug registers,
# which a dump's notes lack) beside the snapshot (OUT without .elf, plus
# .regs), dumps its memory and lets the harness in record mode keep only
# the pages attach and the checks read (a sparse ELF core).
#
# The snapshot is named by what makes it: "scripts/fuzz-snapshot.sh
# --path" prints .cache/fuzz/checks-6.1-KEY.elf, KEY a hash of this script,
# the harness's source (its record mode runs the walkers: a walker added
# there reads pages an older snapshot lacks) and the guest programs and
# modules it loads. make fuzz and make check-fuzz make that file when it
# is missing; scripts/fuzz.sh reads it. A newer checkout, or a cache
# copied from another machine, never reuses a snapshot of another recipe.
# Usage: scripts/fuzz-snapshot.sh OUT HARNESS
#        scripts/fuzz-snapshot.sh --path
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
# What the snapshot is made of (relative to the top): its KEY.
recipe="scripts/fuzz-snapshot.sh tests/fuzz/fuzz_checks.c
	tests/guest/bpf-fentry.c tests/guest/pty-hold.c tests/guest/capdrop.c
	tests/guest/hwbp-watch.c tests/modules/vmiaas_test_hello.c
	tests/modules/vmiaas_attack_nfhook.c tests/modules/vmiaas_attack_procnet.c
	tests/modules/vmiaas_attack_ptype.c tests/modules/vmiaas_attack_inputlog.c
	tests/modules/vmiaas_attack_ttylog.c tests/modules/vmiaas_attack_ftrace.c
	tests/modules/vmiaas_attack_hideproc.c tests/modules/vmiaas_attack_netdev.c
	tests/modules/vmiaas_attack_hwbp.c tests/modules/vmiaas_attack_netproto.c"
if [ "${1:-}" = --path ]; then
	# shellcheck disable=SC2086 # recipe: one path per word
	key=$(cd "$top" && cat $recipe | sha256sum | cut -c1-12)
	echo ".cache/fuzz/checks-6.1-$key.elf"
	exit 0
fi
out=${1:?usage: $0 OUT HARNESS}
harness=${2:?usage: $0 OUT HARNESS}
guest=$top/scripts/guest
name=fuzzsnap-$$
work=$(mktemp -d "${TMPDIR:-/tmp}/vmiaas-fuzzsnap.XXXXXX")
trap '"$guest" stop "$name" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT

"$guest" setup --kernel 6.1 >/dev/null
# The guest has no BPF loader: the tests' static raw-bpf(2) one.
${CC:-cc} -static -Os -s -o "$work/bpf-fentry" "$top/tests/guest/bpf-fentry.c"
for p in pty-hold capdrop hwbp-watch; do
	${CC:-cc} -static -Os -s -o "$work/$p" "$top/tests/guest/$p.c"
done
# The kernel's livepatch sample, built against the guest's headers.
lp_src=$("$top/scripts/livepatch-sample.sh" 6.1)
mkdir -p "$work/lp"
cp "$lp_src/Kbuild" "$lp_src/livepatch-sample.c" "$work/lp/"

abi=$("$guest" abi --kernel 6.1)
kmod=${VMIAAS_CACHE:-$top/.cache}/kernels/$abi/lib/modules/$abi/kernel
# Debian's modules, in load order (bridge needs llc and stp).
debmods="fs/binfmt_misc net/llc/llc net/802/stp net/bridge/bridge
	drivers/net/dummy drivers/net/macvlan"
adds=()
for m in $debmods; do
	if [ -e "$kmod/$m.ko.xz" ]; then
		xz -dc "$kmod/$m.ko.xz" >"$work/${m##*/}.ko"
	else
		cp "$kmod/$m.ko" "$work/${m##*/}.ko"
	fi
	adds+=(--add "$work/${m##*/}.ko")
done
"$guest" start --kernel 6.1 --mem 256 --smp 2 --test-modules \
	--add "$work/bpf-fentry" --add "$work/pty-hold" \
	--add "$work/capdrop" --add "$work/hwbp-watch" "${adds[@]}" \
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
for m in llc stp bridge dummy macvlan; do insmod /vmiaas/$m.ko; done
ip link set lo up
ip link add d0 type dummy
ip link add br0 type bridge
ip link set d0 master br0
ip link add d1 type dummy
ip link add mv0 link d1 type macvlan
for d in d0 br0 d1 mv0; do ip link set $d up; done
insmod /vmiaas/modules/vmiaas_attack_netdev.ko rx=1 xmit=1
insmod /vmiaas/modules/vmiaas_attack_netproto.ko protosw=1 gro=1 \
	"table=0x$(ksym inetsw_array)"
insmod /vmiaas/modules/vmiaas_attack_hwbp.ko "target=0x$(ksym __x64_sys_getppid)"
# a container (pid and mount namespaces, no bounding set) and a user
# namespace, a sleep in each
unshare --pid --fork --mount-proc /vmiaas/capdrop \
	sh -c 'sleep 1010 & wait' </dev/null >/dev/null 2>&1 &
unshare -U -r sh -c 'sleep 1011 & wait' </dev/null >/dev/null 2>&1 &
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
# last: busy loops slow everything else down under TCG (the traced
# child of hwbp-watch spins too: its watchpoint is installed while it runs)
/vmiaas/hwbp-watch </dev/null >/tmp/watch.out 2>&1 &
for i in 1 2; do sh -c 'while :; do :; done' </dev/null >/dev/null 2>&1 & done
SH
# what the snapshot holds, for the log
"$guest" run "$name" 'grep -c OPTIMIZED /sys/kernel/debug/kprobes/list
	cat /proc/cmdline /tmp/bpf.out /tmp/watch.out
	dmesg | grep -c "unlinked from its css_set"
	ls /proc/sys/fs/binfmt_misc; cat /tmp/cgx/release_agent
	ls /sys/class/net | tr "\n" " "; echo
	dmesg | grep -E "vmiaas_attack_(netdev|netproto|hwbp)" | tail -n 4
	ps -o pid,args | grep -E "sleep 101[01]" | grep -v grep' >&2 || true
# paused: the registers and the memory of one instant
"$guest" qmp "$name" stop >/dev/null
"$guest" qmp "$name" 'info registers -a' >"$work/snap.regs"
grep -E '^(CPU#|DR[0-7])' "$work/snap.regs" >&2 || true
"$guest" dump "$name" "$work/guest.elf"
"$guest" stop "$name" >/dev/null
mkdir -p "$(dirname "$out")"
VMIAAS_FUZZ_RECORD=$work/guest.elf VMIAAS_FUZZ_SNAPSHOT=$work/snap.elf \
	"$harness" -runs=0 >"$work/record.log" 2>&1 ||
	{ cat "$work/record.log" >&2; exit 1; }
grep 'pages of guest memory' "$work/record.log" >&2 || true
# the registers first: a snapshot that exists has its registers
cp "$work/snap.regs" "${out%.elf}.regs"
cp --sparse=always "$work/snap.elf" "$out.tmp"
mv "$out.tmp" "$out"
# snapshots of other recipes, unused for a day
find "$(dirname "$out")" -maxdepth 1 -name 'checks-6.1*.elf' \
	! -name "${out##*/}" -mmin +1440 -delete
find "$(dirname "$out")" -maxdepth 1 -name 'checks-6.1*.regs' \
	! -name "$(basename "${out%.elf}.regs")" -mmin +1440 -delete
