#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# scripts/sysguest.sh: a Debian 12 guest with systemd as PID 1, for testing
# the vmiaas packages as a real system runs them (docs/packaging.md).
#
#   scripts/sysguest.sh image [--deb FILE]... [--add FILE:PATH]... \
#                             [--enable UNIT]... IMG
#       IMG: an ext4 disk image of a minimal Debian 12 (debootstrap
#       --variant=minbase with systemd-sysv and udev, plus every
#       dependency of the --deb packages, so that installing them needs no
#       network), the packages installed with apt in a chroot, FILEs
#       copied to PATH, UNITs enabled. The debootstrapped tree is cached
#       as .cache/sysguest/rootfs-KEY.tar, KEY a hash of the package list
#       and the mirror: a second run needs no download.
#   scripts/sysguest.sh boot [--kernel G] [--mem MIB] [--smp N] \
#                            [--timeout S] IMG DIR
#       boots IMG under QEMU TCG with Debian's kernel G (6.1 by default,
#       from scripts/fetch-kernel.sh) and a busybox initramfs that loads
#       virtio_blk and ext4 and switches to /dev/vda, systemd as PID 1.
#       ttyS0 (kernel and systemd console) goes to DIR/console.log, ttyS1
#       (for the guest's own reports) to DIR/ttyS1.log. Returns when the
#       guest powers off (0) or after S s (default 300; 124, QEMU killed).
#
# Needs root (debootstrap, chroot, device nodes). Environment:
# VMIAAS_CACHE (default <repo>/.cache), VMIAAS_DEBIAN_MIRROR (default:
# the first Debian mirror in apt's sources, else deb.debian.org).
set -euo pipefail

prog=sysguest
die() { echo "$prog: $*" >&2; exit 1; }
log() { echo "$prog: $*" >&2; }

top=$(cd "$(dirname "$0")/.." && pwd)
cache=${VMIAAS_CACHE:-$top/.cache}
suite=bookworm
# what every image has; the packages' dependencies are added to it
base_pkgs=(systemd-sysv udev)
# bump when the recipe below changes, so that old caches are not used
recipe=1

mirror()
{
	local m
	if [ -n "${VMIAAS_DEBIAN_MIRROR:-}" ]; then
		echo "$VMIAAS_DEBIAN_MIRROR"
		return
	fi
	m=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
		/etc/apt/sources.list.d/*.sources 2>/dev/null |
		grep -Eo 'https?://[^ ]*/debian/?( |$)' | head -n 1 | tr -d ' ')
	echo "${m:-http://deb.debian.org/debian}"
}

# The packages a .deb depends on: the first of each alternative, no
# versions, no architecture qualifiers.
deb_depends()
{
	{ dpkg-deb -f "$1" Depends; dpkg-deb -f "$1" Pre-Depends; } | tr ',' '\n' |
		sed 's/|.*//; s/(.*)//; s/:any//; s/[[:space:]]//g' | grep -v '^$'
}

# Prints the path of the cached rootfs tarball with packages $*.
rootfs()
{
	local pkgs key tar tmp m
	pkgs=$(printf '%s\n' "${base_pkgs[@]}" "$@" | LC_ALL=C sort -u | paste -sd, -)
	m=$(mirror)
	key=$(printf '%s %s %s %s' "$recipe" "$suite" "$m" "$pkgs" |
		sha256sum | cut -c1-16)
	mkdir -p "$cache/sysguest"
	tar=$cache/sysguest/rootfs-$key.tar
	exec 8>"$cache/sysguest/.lock"
	flock 8
	if [ ! -s "$tar" ]; then
		command -v debootstrap >/dev/null ||
			die "debootstrap is missing (scripts/deps.sh package)"
		tmp=$(mktemp -d "$cache/sysguest/.root.XXXXXX")
		chmod 0755 "$tmp"	# the guest's /
		# debootstrap mounts proc and sys in the target
		trap 'umount -l "$tmp/proc" "$tmp/sys" 2>/dev/null; rm -rf "$tmp" "$tmp.log"' EXIT
		log "debootstrap $suite ($pkgs) from $m: once, a few minutes"
		debootstrap --variant=minbase --include="$pkgs" "$suite" \
			"$tmp" "$m" >"$tmp.log" 2>&1 || {
			tail -n 20 "$tmp.log" >&2
			die "debootstrap failed (log above)"
		}
		chroot "$tmp" apt-get clean
		tar -C "$tmp" -cf "$tar.tmp" . && mv "$tar.tmp" "$tar"
		rm -rf "$tmp" "$tmp.log"
		trap - EXIT
		# other package lists' trees, unused for a week
		find "$cache/sysguest" -maxdepth 1 -name 'rootfs-*.tar' \
			! -name "${tar##*/}" -mtime +7 -delete
	fi
	flock -u 8
	touch "$tar"
	echo "$tar"
}

cmd_image()
{
	local debs=() adds=() units=() deps=() paths=() img tar root d a u
	while [ $# -gt 1 ]; do
		case "$1" in
		--deb)		debs+=("$(realpath "$2")"); shift 2 ;;
		--add)		adds+=("$2"); shift 2 ;;
		--enable)	units+=("$2"); shift 2 ;;
		*)		die "image: unknown option $1" ;;
		esac
	done
	img=${1:?usage: $0 image [--deb FILE]... [--add FILE:PATH]... [--enable UNIT]... IMG}
	for d in "${debs[@]}"; do
		mapfile -t -O "${#deps[@]}" deps < <(deb_depends "$d")
	done
	tar=$(rootfs "${deps[@]}")
	root=$(mktemp -d "${TMPDIR:-/tmp}/sysguest-root.XXXXXX")
	trap 'rm -rf "$root"' RETURN
	tar -C "$root" -xf "$tar"
	chmod 0755 "$root"

	echo "/dev/vda / ext4 rw,relatime 0 0" >"$root/etc/fstab"
	echo vmiaas-sys >"$root/etc/hostname"
	if [ ${#debs[@]} -gt 0 ]; then
		mkdir -p "$root/var/tmp/debs"
		cp "${debs[@]}" "$root/var/tmp/debs/"
		for d in "${debs[@]}"; do
			paths+=("/var/tmp/debs/${d##*/}")
		done
		# every dependency is in the tree already: no download
		chroot "$root" env DEBIAN_FRONTEND=noninteractive \
			apt-get install -y -q --no-install-recommends \
			"${paths[@]}" \
			>"$img.apt.log" 2>&1 || {
			tail -n 20 "$img.apt.log" >&2
			die "apt-get install of the packages failed in the chroot"
		}
		rm -rf "$root/var/tmp/debs"
	fi
	for a in "${adds[@]}"; do
		mkdir -p "$(dirname "$root/${a#*:}")"
		cp -p --sparse=always "${a%%:*}" "$root/${a#*:}"
	done
	# what a test system does not need: logins, timers, scrubbing
	systemctl --root="$root" mask getty@.service serial-getty@.service \
		getty-static.service \
		e2scrub_reap.service apt-daily.timer apt-daily-upgrade.timer \
		dpkg-db-backup.timer e2scrub_all.timer fstrim.timer \
		systemd-tmpfiles-clean.timer >/dev/null 2>&1
	for u in "${units[@]}"; do
		systemctl --root="$root" enable "$u" >/dev/null 2>&1 ||
			die "cannot enable $u in the image"
	done
	rm -f "$img"
	mkfs.ext4 -q -F -L vmiaas-root -d "$root" "$img" 1G ||
		die "mkfs.ext4 -d failed"
}

# ---- boot -----------------------------------------------------------------

# The modules (paths under lib/modules/ABI) that MOD needs, then MOD.
mod_closure()
{
	local kmod=$1 name=$2 f dep
	f=$(find "$kmod" -name "$name.ko" -o -name "${name//_/-}.ko" | head -n 1)
	[ -n "$f" ] || die "no module $name in $kmod"
	for dep in $(modinfo -F depends "$f" | tr ',' ' '); do
		mod_closure "$kmod" "$dep"
	done
	echo "${f#"$kmod"/}"
}

# Prints the path of the initramfs for kernel ABI (cached).
initramfs()
{
	local abi=$1 kdir=$cache/kernels/$1 kmod out stage m key
	kmod=$kdir/lib/modules/$abi
	if [ ! -x /bin/busybox ] || ldd /bin/busybox >/dev/null 2>&1; then
		die "a static /bin/busybox is needed (busybox-static)"
	fi
	key=$(cat /bin/busybox "$0" | sha256sum | cut -c1-12)
	out=$cache/sysguest/initrd-$abi-$key.cpio
	[ -s "$out" ] && { echo "$out"; return; }
	stage=$(mktemp -d "$cache/sysguest/.initrd.XXXXXX")
	mkdir -p "$stage/bin" "$stage/dev" "$stage/proc" "$stage/sys" \
		"$stage/newroot" "$stage/modules"
	cp /bin/busybox "$stage/bin/busybox"
	# crc32c for ext4's checksums (a crypto API soft dependency)
	for m in crc32c_generic virtio_pci virtio_blk ext4; do
		mod_closure "$kmod" $m
	done | awk '!seen[$0]++' >"$stage/modules.list"
	while read -r m; do
		cp "$kmod/$m" "$stage/modules/"
	done <"$stage/modules.list"
	cat >"$stage/init" <<'EOF'
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
while read -r m; do
	insmod "/modules/${m##*/}" || echo "sysguest-init: insmod $m failed"
done </modules.list
i=0
while [ ! -b /dev/vda ] && [ $i -lt 200 ]; do sleep 0.1; i=$((i + 1)); done
if ! mount -t ext4 -o rw /dev/vda /newroot; then
	echo "sysguest-init: cannot mount /dev/vda"
	poweroff -f
fi
umount /proc /sys
mount --move /dev /newroot/dev
exec switch_root /newroot /sbin/init
EOF
	chmod 0755 "$stage/init" "$stage/bin/busybox"
	(cd "$stage" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) \
		>"$stage.cpio"
	mv "$stage.cpio" "$out"
	rm -rf "$stage"
	# other versions of this script's initramfs, unused for a day
	find "$cache/sysguest" -maxdepth 1 -name "initrd-$abi-*.cpio" \
		! -name "${out##*/}" -mmin +1440 -delete
	echo "$out"
}

cmd_boot()
{
	local gen=6.1 mem=512 smp=1 timeout=300 img dir abi initrd rc=0
	while [ $# -gt 2 ]; do
		case "$1" in
		--kernel)	gen=$2; shift 2 ;;
		--mem)		mem=$2; shift 2 ;;
		--smp)		smp=$2; shift 2 ;;
		--timeout)	timeout=$2; shift 2 ;;
		*)		die "boot: unknown option $1" ;;
		esac
	done
	img=${1:?usage: $0 boot [OPTIONS] IMG DIR}
	dir=${2:?usage: $0 boot [OPTIONS] IMG DIR}
	abi=$("$top/scripts/fetch-kernel.sh" "$gen")
	mkdir -p "$cache/sysguest" "$dir"
	initrd=$(initramfs "$abi")
	timeout -k 5 "$timeout" qemu-system-x86_64 -machine pc -accel tcg \
		-m "$mem" -smp "$smp" -display none -monitor none -no-reboot \
		-nic none -serial "file:$dir/console.log" \
		-serial "file:$dir/ttyS1.log" \
		-drive "file=$img,if=virtio,format=raw" \
		-kernel "$cache/kernels/$abi/boot/vmlinuz-$abi" -initrd "$initrd" \
		-append "console=ttyS0 loglevel=4 panic=-1 net.ifnames=0 systemd.show_status=1" \
		</dev/null >"$dir/qemu.log" 2>&1 || rc=$?
	return $rc
}

case "${1:-}" in
image)	shift; cmd_image "$@" ;;
boot)	shift; cmd_boot "$@" ;;
rootfs)	shift; rootfs "$@" ;;
*)	die "usage: $0 image|boot|rootfs ... (see the comment at the top)" ;;
esac
