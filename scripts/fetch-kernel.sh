#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Fetch a Debian kernel generation for the test guests, once.
#
# Usage: scripts/fetch-kernel.sh 6.1|6.12
#
# Resolves the exact ABI package through the meta-package (apt-cache
# depends), downloads the image with apt-get download, unpacks it with
# dpkg -x into $VMIAAS_CACHE/kernels/ABI and installs the matching
# linux-headers-ABI (so that test modules can be built for the guest).
# Prints the ABI (e.g. 6.1.0-56-amd64) on stdout. Idempotent and cached.
set -eu

die() { echo "vmiaas-guest: $*" >&2; exit 1; }

top=$(cd "$(dirname "$0")/.." && pwd)
cache=${VMIAAS_CACHE:-$top/.cache}
gen=${1:?usage: $0 6.1|6.12}

case "$gen" in
6.1)	meta=linux-image-amd64 ;;
6.12)	meta=linux-image-6.12-amd64 ;;
*)	die "unknown kernel generation '$gen' (want 6.1 or 6.12)" ;;
esac

resolve()
{
	apt-cache depends "$meta" 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-[^ ]*\)$/\1/p' | head -n 1
}

apt_update()
{
	[ "$(id -u)" -eq 0 ] || return 0
	echo "vmiaas-guest: apt-get update" >&2
	apt-get update -q >/dev/null 2>&1 || true
}

# The resolved ABI is remembered for the day; security updates move it.
mkdir -p "$cache/kernels"
abifile=$cache/kernels/$gen.abi
if [ -s "$abifile" ] && [ -z "$(find "$abifile" -mmin +1440)" ]; then
	abi=$(cat "$abifile")
else
	pkg=$(resolve)
	if [ -z "$pkg" ]; then
		apt_update
		pkg=$(resolve)
	fi
	[ -n "$pkg" ] || die "cannot resolve $meta with apt-cache depends"
	abi=${pkg#linux-image-}
	abi=${abi%-unsigned}
	echo "$abi" >"$abifile.$$" && mv "$abifile.$$" "$abifile"
fi

kdir=$cache/kernels/$abi
lock=$cache/kernels/.lock
exec 9>"$lock"
flock 9

if [ ! -e "$kdir/.done" ]; then
	echo "vmiaas-guest: fetching linux-image-$abi" >&2
	dl=$(mktemp -d "$cache/kernels/.dl.XXXXXX")
	trap 'rm -rf "$dl"' EXIT
	if ! (cd "$dl" && apt-get download -q "linux-image-$abi" \
		>/dev/null 2>"$dl/err"); then
		# stale package lists: the archive moved on (security update)
		apt_update
		pkg=$(resolve)
		[ -n "$pkg" ] || die "cannot resolve $meta with apt-cache depends"
		if [ "${pkg#linux-image-}" != "$abi" ]; then
			rm -rf "$dl"
			rm -f "$abifile"
			exec "$0" "$gen"
		fi
		(cd "$dl" && apt-get download -q "linux-image-$abi" \
			>/dev/null 2>"$dl/err") ||
			die "apt-get download linux-image-$abi failed: $(cat "$dl/err")"
	fi
	rm -rf "$kdir.tmp"
	dpkg -x "$dl"/linux-image-*.deb "$kdir.tmp"
	[ -f "$kdir.tmp/boot/vmlinuz-$abi" ] ||
		die "no boot/vmlinuz-$abi in the package"
	rm -rf "$kdir"
	mv "$kdir.tmp" "$kdir"
	touch "$kdir/.done"
	rm -rf "$dl"
	trap - EXIT
fi

if [ ! -d "/usr/src/linux-headers-$abi" ]; then
	[ "$(id -u)" -eq 0 ] ||
		die "linux-headers-$abi is missing (run as root to install it)"
	echo "vmiaas-guest: installing linux-headers-$abi" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y -q --no-install-recommends "linux-headers-$abi" \
		>/dev/null 2>"$cache/kernels/.apt.err" || {
		apt_update
		apt-get install -y -q --no-install-recommends \
			"linux-headers-$abi" >/dev/null 2>"$cache/kernels/.apt.err"
	} || die "apt-get install linux-headers-$abi failed: $(cat "$cache/kernels/.apt.err")"
fi

echo "$abi"
