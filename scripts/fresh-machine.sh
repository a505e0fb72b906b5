#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# scripts/fresh-machine.sh: the README's set-up on a newcomer's clean
# machine. Debootstraps a fresh Debian 12 (minbase: less than a cloud
# image has), does there what README.md tells a newcomer (install git and
# make, clone, then make demo / make check), and reports each step as TAP.
# make check-fresh runs it; see docs/testing.md, "A newcomer's machine".
#
# Usage: scripts/fresh-machine.sh [--root DIR] [--keep] [--seed-cache]
#                                 [STEP]...
#   STEP: demo        make demo (default, with unit)
#         unit        make check-unit: deps, sanitized build, unit tests
#         modules     make modules (vmiaas.ko against the installed headers)
#         deb         make deb (after scripts/deps.sh package)
#         check       make check, everything (over 1.5 h on a loaded 2-core host)
#         NN-name     one integration test, tests/integration/NN-name.sh
#   --root DIR      where the fresh root goes (default
#                   /var/tmp/vmiaas-fresh); removed first, and at the end
#                   unless --keep
#   --seed-cache    copy the downloaded Debian kernels (.cache/kernels,
#                   .cache/debs) of this checkout into the fresh clone, to
#                   save downloads; without it everything is downloaded
#
# The clone is of this checkout's HEAD. The chroot has its own /dev (no
# /dev/kvm), /proc, /sys, /dev/shm and /tmp, the host's cgroups and
# network; the environment is cleared (no locale, no git identity).
# Logs: DIR.log/.
# Needs root and debootstrap. VMIAAS_DEBIAN_MIRROR as in scripts/sysguest.sh.
set -euo pipefail

prog=fresh-machine
die() { echo "$prog: $*" >&2; exit 1; }
log() { echo "$prog: $*" >&2; }

top=$(cd "$(dirname "$0")/.." && pwd)
root=/var/tmp/vmiaas-fresh
keep=0
seed=0
steps=()
while [ $# -gt 0 ]; do
	case "$1" in
	--root)		root=${2:?--root DIR}; shift ;;
	--keep)		keep=1 ;;
	--seed-cache)	seed=1 ;;
	-h|--help)	sed -n '3,28p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	-*)		die "unknown option $1 (see --help)" ;;
	*)		steps+=("$1") ;;
	esac
	shift
done
[ ${#steps[@]} -gt 0 ] || steps=(demo unit)
[ "$(id -u)" -eq 0 ] || die "needs root (debootstrap, chroot, mounts)"
command -v debootstrap >/dev/null ||
	die "debootstrap is missing (scripts/deps.sh package)"
case $root in /|/usr|/var|/tmp|/root|"$top"*) die "refusing --root $root" ;; esac

mirror()
{
	local m
	m=${VMIAAS_DEBIAN_MIRROR:-$(cat /etc/apt/sources.list \
		/etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources \
		2>/dev/null | grep -Eo 'https?://[^ ]*/debian/?( |$)' |
		head -n 1 | tr -d ' ')}
	echo "${m:-http://deb.debian.org/debian}"
}

# The mounts of a running machine; a private /dev without /dev/kvm, itself
# a mount (libvirt's QEMU driver refuses to start a domain otherwise:
# "Unable to find any /dev mount"), and "/" a mount ("Failed disable
# mount propagation out of the root filesystem" otherwise), and the
# host's cgroup hierarchies as a booted machine has them (systemd-journald
# exits with "Failed to acquire cgroup root path" without them).
mount_root()
{
	local n
	# "/" a mount too: libvirt makes it a slave in its namespaces
	mount --bind "$root" "$root"
	mount -t proc proc "$root/proc"
	mount -t sysfs sysfs "$root/sys"
	# a slave: unmounting the copies later must not unmount the host's
	mount --rbind /sys/fs/cgroup "$root/sys/fs/cgroup"
	mount --make-rslave "$root/sys/fs/cgroup"
	mount -t tmpfs -o mode=1777 tmpfs "$root/tmp"
	mount -t tmpfs -o mode=0755,nosuid tmpfs "$root/dev"
	for n in "null 1 3" "zero 1 5" "full 1 7" "random 1 8" "urandom 1 9" \
		 "tty 5 0"; do
		# shellcheck disable=SC2086 # "name major minor"
		set -- $n
		mknod -m 0666 "$root/dev/$1" c "$2" "$3"
	done
	mkdir -m 0755 "$root/dev/pts"
	mkdir -m 1777 "$root/dev/shm"
	ln -s pts/ptmx "$root/dev/ptmx"
	ln -s /proc/self/fd "$root/dev/fd"
	for n in stdin:0 stdout:1 stderr:2; do
		ln -s "/proc/self/fd/${n#*:}" "$root/dev/${n%:*}"
	done
	mount -t tmpfs -o mode=1777 tmpfs "$root/dev/shm"
	mount -t devpts -o newinstance,ptmxmode=0666 devpts "$root/dev/pts"
}

umount_root()
{
	local m
	# deepest first; also what the steps left mounted
	awk -v r="$root" '$2 == r || index($2, r "/") == 1 { print $2 }' \
		/proc/mounts |
		sort -r | while read -r m; do
		umount -l "$m" 2>/dev/null || true
	done
}

cleanup()
{
	umount_root
	if [ "$keep" -eq 0 ] && [ -d "$root" ]; then
		rm -rf --one-file-system "$root"
	fi
}

# A Debian 12 as a cloud image has it: main, updates and security.
make_root()
{
	local m
	m=$(mirror)
	log "debootstrap --variant=minbase bookworm from $m"
	debootstrap --variant=minbase bookworm "$root" "$m" \
		>"$logs/debootstrap.log" 2>&1 ||
		die "debootstrap failed, see $logs/debootstrap.log"
	cat >"$root/etc/apt/sources.list" <<EOF
deb $m bookworm main
deb $m bookworm-updates main
deb ${m%/debian*}/debian-security bookworm-security main
EOF
	cp /etc/resolv.conf "$root/etc/resolv.conf"
	echo fresh >"$root/etc/hostname"
}

# in_root CMD: a login-like shell in the root with a cleared environment
in_root()
{
	chroot "$root" /usr/bin/env -i HOME=/root USER=root LOGNAME=root \
		SHELL=/bin/bash TERM=dumb \
		PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		/bin/bash -c "$1"
}

# The newcomer's first commands: README.md, "Set-up". The clone is made
# from outside (this checkout may be a git worktree), of its HEAD.
clone()
{
	in_root 'apt-get update -q && DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -q --no-install-recommends git make ca-certificates' \
		>"$logs/newcomer.log" 2>&1 &&
	git clone -q "$top" "$root/root/vmiaas" >>"$logs/newcomer.log" 2>&1
}

seed_cache()
{
	local d
	mkdir -p "$root/root/vmiaas/.cache"
	for d in kernels debs; do
		[ -d "$top/.cache/$d" ] || continue
		log "seeding .cache/$d"
		cp -a "$top/.cache/$d" "$root/root/vmiaas/.cache/"
	done
	rm -f "$root/root/vmiaas/.cache/kernels/.lock"
}

step_cmd()
{
	case "$1" in
	demo|check) echo "make $1" ;;
	unit)	echo "make check-unit" ;;
	modules) echo "scripts/deps.sh build && make modules" ;;
	deb)	echo "scripts/deps.sh package && make deb" ;;
	[0-9][0-9]-*)
		echo "scripts/deps.sh all && make san && VMIAAS_TOP=\$PWD" \
			"VMIAAS_BUILD=\$PWD/build/san VMICTL=\$PWD/build/san/vmictl" \
			"prove -v --exec '' tests/integration/$1.sh" ;;
	*)	return 1 ;;
	esac
}

n=0
failed=0
run_step()
{
	local name=$1 cmd=$2 t0 st=0
	n=$((n + 1))
	t0=$(date +%s)
	in_root "cd /root/vmiaas && $cmd" >"$logs/$name.log" 2>&1 || st=$?
	if [ "$st" -eq 0 ]; then
		echo "ok $n - $name ($(( $(date +%s) - t0 )) s)"
	else
		echo "not ok $n - $name (exit $st, $(( $(date +%s) - t0 )) s; $logs/$name.log)"
		tail -n 15 "$logs/$name.log" | sed 's/^/# /'
		failed=$((failed + 1))
	fi
}

for s in "${steps[@]}"; do
	step_cmd "$s" >/dev/null || die "unknown step $s (see --help)"
done
logs=$root.log
rm -rf "$logs"
mkdir -p "$logs"
umount_root
rm -rf --one-file-system "$root"
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "TAP version 13"
echo "1..$(( ${#steps[@]} + 2 ))"
t0=$(date +%s)
make_root
echo "ok 1 - debootstrap minbase bookworm ($(( $(date +%s) - t0 )) s)"
n=1
mount_root
t0=$(date +%s)
n=2
if clone; then
	echo "ok 2 - apt-get install git make; git clone ($(( $(date +%s) - t0 )) s)"
else
	echo "not ok 2 - apt-get install git make; git clone (see $logs/newcomer.log)"
	exit 1
fi
[ "$seed" -eq 0 ] || seed_cache
for s in "${steps[@]}"; do
	run_step "$s" "$(step_cmd "$s")"
done
[ "$failed" -eq 0 ]
