#!/bin/sh
# Install the Debian packages vmiaas needs to build, test and demo.
# Idempotent: installs only what is missing.
# Usage: scripts/deps.sh [build|demo|test|vmfunc|package|all]
# (demo: make demo, the build and the test guest's rig only; vmfunc: the
# Bochs L1 rig, scripts/bochs-l1; package: make deb, DKMS and the
# debootstrapped systemd guest, docs/packaging.md)
# A minimal Debian 12 lacks some commands the tests use (python3, procps):
# scripts/fresh-machine.sh checks these lists on one.
set -eu

build_pkgs="gcc make pkg-config libbpf-dev libelf-dev zlib1g-dev libssl-dev \
	linux-headers-amd64 perl libjson-c-dev libsystemd-dev libvirt-dev"
demo_pkgs="qemu-system-x86 busybox-static cpio xz-utils socat jq"
test_pkgs="$demo_pkgs gdb clang llvm libclang-rt-14-dev socat jq \
	libvirt-daemon-system libvirt-clients prometheus curl libc6-dev python3 \
	procps openssl linux-perf bpftrace trace-cmd nftables iptables iproute2 \
	dmsetup auditd apparmor"
vmfunc_pkgs="bochs bochsbios vgabios isolinux syslinux-common genisoimage \
	busybox-static cpio xz-utils zstd binutils libc6-dev"
package_pkgs="dpkg-dev debhelper dh-dkms dkms debootstrap e2fsprogs fakeroot \
	build-essential"

case "${1:-all}" in
build)	pkgs=$build_pkgs ;;
demo)	pkgs="$build_pkgs $demo_pkgs" ;;
test)	pkgs="$build_pkgs $test_pkgs" ;;
vmfunc)	pkgs="$build_pkgs $vmfunc_pkgs" ;;
package) pkgs="$build_pkgs $package_pkgs" ;;
all)	pkgs="$build_pkgs $test_pkgs $vmfunc_pkgs $package_pkgs" ;;
*)	echo "usage: $0 [build|demo|test|vmfunc|package|all]" >&2; exit 2 ;;
esac

missing=
# shellcheck disable=SC2086
for p in $(printf '%s\n' $pkgs | sort -u); do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "vmiaas: missing packages:$missing (run as root to install them)" >&2
	exit 1
fi
echo "vmiaas: installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
stamp=/var/lib/apt/periodic/vmiaas-update-stamp
if [ ! -e "$stamp" ] || [ -n "$(find "$stamp" -mmin +360 2>/dev/null)" ]; then
	apt-get update -q >/dev/null
	mkdir -p "$(dirname "$stamp")" && touch "$stamp"
fi
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing >/dev/null
