#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The kernel's own live patch sample, samples/livepatch/livepatch-sample.c
# (it replaces cmdline_proc_show), for a guest kernel generation.
#
# Usage: scripts/livepatch-sample.sh [6.1|6.12]        (default 6.1)
#
# Downloads linux-source-GEN once with "apt-get download" into
# $VMIAAS_CACHE/debs (default cache: <repo>/.cache; scripts/build-kvm.sh
# shares it), unpacks only that one file into
# $VMIAAS_CACHE/livepatch-sample/GEN/ with a Kbuild next to it, and prints
# that directory. Build it like the test modules:
#   make -C /usr/src/linux-headers-ABI M=DIR modules
set -eu

die() { echo "vmiaas-livepatch-sample: $*" >&2; exit 1; }

top=$(cd "$(dirname "$0")/.." && pwd)
cache=${VMIAAS_CACHE:-$top/.cache}
gen=${1:-6.1}
case "$gen" in
6.1|6.12) ;;
*) die "unknown kernel generation '$gen' (want 6.1 or 6.12)" ;;
esac
pkg=linux-source-$gen
dest=$cache/livepatch-sample/$gen
member=samples/livepatch/livepatch-sample.c

if [ -e "$dest/.done" ]; then
	echo "$dest"
	exit 0
fi
mkdir -p "$cache/debs" "$cache/livepatch-sample"
exec 9>"$cache/livepatch-sample/.$gen.lock"
flock 9
if [ -e "$dest/.done" ]; then
	echo "$dest"
	exit 0
fi

ver=$(apt-cache policy "$pkg" 2>/dev/null | sed -n 's/^ *Candidate: //p')
if [ -z "$ver" ] || [ "$ver" = "(none)" ]; then
	[ "$(id -u)" -eq 0 ] && apt-get update -q >/dev/null 2>&1
	ver=$(apt-cache policy "$pkg" 2>/dev/null | sed -n 's/^ *Candidate: //p')
fi
{ [ -n "$ver" ] && [ "$ver" != "(none)" ]; } || die "no candidate for $pkg"
deb=$cache/debs/${pkg}_${ver//:/%3a}_all.deb
if [ ! -s "$deb" ]; then
	echo "vmiaas-livepatch-sample: downloading $pkg $ver (once)" >&2
	(cd "$cache/debs" && apt-get download -q "$pkg=$ver" >/dev/null 2>&1) ||
		die "apt-get download $pkg=$ver failed"
	[ -s "$deb" ] || die "apt-get download left no $deb"
fi

tmp=$(mktemp -d "$cache/livepatch-sample/.$gen.XXXXXX")
# shellcheck disable=SC2064
trap "rm -rf '$tmp'" EXIT
tarball=$(dpkg-deb --fsys-tarfile "$deb" | tar -t |
	grep -m1 '^\./usr/src/linux-source-[^/]*\.tar\.xz$') ||
	die "no linux-source tarball in $(basename "$deb")"
dpkg-deb --fsys-tarfile "$deb" | tar -xO "$tarball" |
	tar -xJ -C "$tmp" --strip-components=3 --wildcards "*/$member" ||
	die "cannot unpack $member from $tarball"
[ -f "$tmp/livepatch-sample.c" ] || die "no $member in $tarball"
echo "obj-m += livepatch-sample.o" >"$tmp/Kbuild"
echo "$pkg $ver" >"$tmp/VERSION"
rm -rf "$dest"
mv "$tmp" "$dest"
touch "$dest/.done"
trap - EXIT
echo "$dest"
