#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build Debian's kvm.ko and kvm-intel.ko, with vmiaas's patch series, out of
# tree against the stock linux-headers package.
#
# Usage: scripts/build-kvm.sh [6.1|6.12]        (default 6.1)
#
# 1. Resolves the kernel ABI through the meta-package (apt-cache depends),
#    never a hard-coded version, and installs linux-headers-ABI if missing.
# 2. Downloads linux-source-GEN once into $VMIAAS_CACHE/debs (default
#    cache: <repo>/.cache) and unpacks only arch/x86/kvm and virt/kvm from
#    its tarball into $VMIAAS_CACHE/kvm-src/SRCVERSION.
# 3. Copies them into $VMIAAS_CACHE/kvm-ABI/tree, turns arch/x86/kvm/Makefile
#    applies kmod/patches/GEN/series with patch -p1 (no fuzz), turns
#    arch/x86/kvm/Makefile into a Kbuild that works under M= (include paths
#    relative to $(src), kvm-amd dropped) and runs
#    make -C /usr/src/linux-headers-ABI M=....
# 4. Copies kvm.ko, kvm-intel.ko and Module.symvers to $VMIAAS_CACHE/kvm-ABI/
#    and prints that directory on stdout.  The companion module builds with
#    KBUILD_EXTRA_SYMBOLS=<that dir>/Module.symvers.
#
# Cached: nothing is rebuilt unless the patches, this script, the source
# package or the headers changed.  Checks before success: the header shared
# with the companion (kmod/kvm_vmx_altview.h) is byte-identical to the one
# the series adds, and every export that also exists in Debian's
# Module.symvers has the same CRC there (else the stock kernel's modversions
# would refuse the modules).
set -eu

die() { echo "vmiaas-build-kvm: $*" >&2; exit 1; }
say() { echo "vmiaas-build-kvm: $*" >&2; }

top=$(cd "$(dirname "$0")/.." && pwd)
cache=${VMIAAS_CACHE:-$top/.cache}
gen=${1:-6.1}

case "$gen" in
6.1)	meta=linux-image-amd64 ;;
6.12)	meta=linux-image-6.12-amd64 ;;
*)	die "unknown kernel generation '$gen' (want 6.1 or 6.12)" ;;
esac
srcpkg=linux-source-$gen
patchdir=$top/kmod/patches/$gen
[ -f "$patchdir/series" ] || die "no patch series in $patchdir"

apt_update()
{
	[ "$(id -u)" -eq 0 ] || return 0
	say "apt-get update"
	apt-get update -q >/dev/null 2>&1 || true
}

resolve_abi()
{
	apt-cache depends "$meta" 2>/dev/null |
		sed -n 's/^ *Depends: linux-image-\([^ ]*\)$/\1/p' | head -n 1
}

abi=$(resolve_abi)
if [ -z "$abi" ]; then
	apt_update
	abi=$(resolve_abi)
fi
[ -n "$abi" ] || die "cannot resolve $meta with apt-cache depends"
abi=${abi%-unsigned}

hdrs=/usr/src/linux-headers-$abi
if [ ! -e "$hdrs/Module.symvers" ]; then
	[ "$(id -u)" -eq 0 ] || die "$hdrs missing; run as root or install linux-headers-$abi"
	say "installing linux-headers-$abi"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q "linux-headers-$abi" \
		>/dev/null || { apt_update; DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -q "linux-headers-$abi" >/dev/null; } ||
		die "cannot install linux-headers-$abi"
fi

mkdir -p "$cache/debs"
exec 9>"$cache/.build-kvm.lock"
flock 9

# The source package: the newest candidate, downloaded once.
srcver=$(apt-cache policy "$srcpkg" 2>/dev/null | sed -n 's/^ *Candidate: //p')
if [ -z "$srcver" ] || [ "$srcver" = "(none)" ]; then
	apt_update
	srcver=$(apt-cache policy "$srcpkg" 2>/dev/null | sed -n 's/^ *Candidate: //p')
fi
{ [ -n "$srcver" ] && [ "$srcver" != "(none)" ]; } || die "no candidate for $srcpkg"
deb=$cache/debs/${srcpkg}_${srcver//:/%3a}_all.deb
if [ ! -s "$deb" ]; then
	say "downloading $srcpkg $srcver"
	(cd "$cache/debs" && apt-get download -q "$srcpkg=$srcver" >/dev/null 2>&1) ||
		{ apt_update; (cd "$cache/debs" && apt-get download -q "$srcpkg=$srcver" \
			>/dev/null 2>&1); } || die "apt-get download $srcpkg=$srcver failed"
	[ -s "$deb" ] || die "apt-get download did not produce $deb"
fi

# Pristine arch/x86/kvm and virt/kvm, once per source version.
pristine=$cache/kvm-src/$srcpkg-$srcver
if [ ! -e "$pristine/.done" ]; then
	say "unpacking arch/x86/kvm and virt/kvm from $srcpkg $srcver"
	rm -rf "$pristine" "$pristine.tmp"
	mkdir -p "$pristine.tmp"
	dpkg-deb --fsys-tarfile "$deb" |
		tar -x -C "$pristine.tmp" "./usr/src/$srcpkg.tar.xz"
	tar -xJf "$pristine.tmp/usr/src/$srcpkg.tar.xz" -C "$pristine.tmp" \
		--strip-components=1 \
		"$srcpkg/arch/x86/kvm" "$srcpkg/virt/kvm"
	rm -rf "$pristine.tmp/usr"
	touch "$pristine.tmp/.done"
	mv "$pristine.tmp" "$pristine"
fi

# The cache key: everything that goes into the build.
patches=$(grep -v '^[[:space:]]*\(#.*\)\?$' "$patchdir/series" || true)
stamp=$( {
	echo "$srcpkg $srcver $abi"
	for f in "$0" "$patchdir/series" "$hdrs/Module.symvers" \
		"$top/kmod/kvm_vmx_altview.h"; do
		sha256sum <"$f"
	done
	for p in $patches; do sha256sum <"$patchdir/$p"; done
} | sha256sum | cut -d' ' -f1)

out=$cache/kvm-$abi
if [ -e "$out/.stamp" ] && [ "$(cat "$out/.stamp")" = "$stamp" ] &&
   [ -e "$out/kvm.ko" ] && [ -e "$out/kvm-intel.ko" ]; then
	say "up to date"
	echo "$out"
	exit 0
fi

rm -rf "$out"
mkdir -p "$out"
tree=$out/tree
cp -a "$pristine" "$tree"
rm -f "$tree/.done"

for p in $patches; do
	say "applying $p"
	patch -d "$tree" -p1 --batch --forward --fuzz=0 --no-backup-if-mismatch \
		-s <"$patchdir/$p" || die "$p does not apply to $srcpkg $srcver"
done

# Kbuild under M=: include paths relative to $(src) (= TREE/arch/x86/kvm):
# $(src)/.. resolves trace.h's TRACE_INCLUDE_PATH ../../arch/x86/kvm, and
# $(src)/../include carries the headers the series adds under
# arch/x86/include (the headers package has none of them, so nothing stock
# is shadowed).  kvm-amd is not built.
kb=$tree/arch/x86/kvm
# shellcheck disable=SC2016 # make variables, not shell ones
sed -e 's|-I \$(srctree)/arch/x86/kvm|-I $(src) -I $(src)/.. -I $(src)/../include|' \
    -e 's|^include \$(srctree)/virt/kvm/Makefile.kvm|include $(src)/../../../virt/kvm/Makefile.kvm|' \
    -e '/^obj-\$(CONFIG_KVM_AMD)/d' \
    "$kb/Makefile" >"$kb/Kbuild"
rm "$kb/Makefile"
# shellcheck disable=SC2016
{ grep -q -- '-I $(src) ' "$kb/Kbuild" && grep -q '^include $(src)/' "$kb/Kbuild"; } ||
	die "arch/x86/kvm/Makefile of $srcpkg $srcver no longer has the expected shape"

# The companion builds against kmod/kvm_vmx_altview.h; KVM against the copy
# the series adds.  They must be the same bytes.
shared=$tree/arch/x86/include/asm/kvm_vmx_altview.h
if [ -e "$shared" ]; then
	cmp -s "$shared" "$top/kmod/kvm_vmx_altview.h" ||
		die "kmod/kvm_vmx_altview.h differs from the header in $patchdir"
fi

say "building in $kb against $hdrs"
start=$(date +%s)
make -C "$hdrs" M="$kb" -j"$(nproc)" modules >"$out/build.log" 2>&1 ||
	{ tail -n 40 "$out/build.log" >&2; die "build failed (log: $out/build.log)"; }
say "built in $(( $(date +%s) - start )) s"
if grep -E 'warning:|objtool' "$out/build.log" | grep -v 'Skipping BTF' >&2; then
	die "the build printed warnings (log: $out/build.log)"
fi

cp "$kb/kvm.ko" "$kb/kvm-intel.ko" "$kb/Module.symvers" "$out/"

# Every export Debian also has must keep Debian's CRC.
awk 'NR == FNR { crc[$2] = $1; next }
     ($2 in crc) && crc[$2] != $1 { print $2 ": " $1 " != Debian " crc[$2]; bad = 1 }
     END { exit bad }' "$hdrs/Module.symvers" "$out/Module.symvers" >&2 ||
	die "exported CRCs differ from $hdrs/Module.symvers"

echo "$stamp" >"$out/.stamp"
echo "$out"
