#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Builds the Debian packages (debian/, dpkg-buildpackage -b) in a copy of
# the tree, so that the build touches nothing in it, and puts
# vmiaas_VERSION_amd64.deb, vmiaas-dkms_VERSION_all.deb and
# vmiaas-agent-dkms_VERSION_all.deb in OUTDIR.
#
# Usage: scripts/mkdeb.sh OUTDIR
# The copy holds the files git knows (tracked, and new ones not ignored)
# as they are in the working tree; VMIAAS_DEB_REV=REV takes them from
# git commit REV instead. LINTIAN=1 runs lintian on the result.
set -eu

die() { echo "mkdeb: $*" >&2; exit 1; }

top=$(cd "$(dirname "$0")/.." && pwd)
out=${1:?usage: $0 OUTDIR}
mkdir -p "$out"
out=$(cd "$out" && pwd)
for t in dpkg-buildpackage dh dh_dkms; do
	command -v $t >/dev/null 2>&1 ||
		die "$t is missing (scripts/deps.sh package installs it)"
done

version=$(make -s --no-print-directory -C "$top" version)
work=$(mktemp -d "$out/.build.XXXXXX")
trap 'rm -rf "$work"' EXIT
src=$work/vmiaas-$version
mkdir "$src"

if [ -n "${VMIAAS_DEB_REV:-}" ]; then
	git -C "$top" archive "$VMIAAS_DEB_REV" | tar -x -C "$src"
elif git -C "$top" rev-parse --git-dir >/dev/null 2>&1; then
	# tracked files deleted in the working tree are left out
	(cd "$top" && git ls-files -z --cached --others --exclude-standard |
		xargs -0 sh -c 'for f; do [ -e "$f" ] && printf "%s\0" "$f"; done' sh |
		tar --null -T - -cf -) | tar -x -C "$src"
else
	(cd "$top" && tar --exclude=./build --exclude=./.cache -cf - .) |
		tar -x -C "$src"
fi

changelog=$(dpkg-parsechangelog -l "$src/debian/changelog" -SVersion)
[ "$changelog" = "$version" ] ||
	die "debian/changelog says $changelog, the Makefile's VERSION $version"

echo "mkdeb: building vmiaas $version in $src" >&2
(cd "$src" && DEB_BUILD_OPTIONS="${DEB_BUILD_OPTIONS:-parallel=2}" \
	dpkg-buildpackage -us -uc -b >"$work/build.log" 2>&1) || {
	tail -n 40 "$work/build.log" >&2
	die "dpkg-buildpackage failed (the log's end is above)"
}
for f in "$work"/*.deb "$work"/*.changes "$work"/*.buildinfo; do
	[ -e "$f" ] && mv "$f" "$out/"
done
cp "$work/build.log" "$out/build.log"
if [ "${LINTIAN:-0}" = 1 ]; then
	lintian --no-tag-display-limit "$out"/*_"${version}"_*.deb >&2 || true
fi
ls "$out/vmiaas_${version}_amd64.deb" "$out/vmiaas-dkms_${version}_all.deb" \
	"$out/vmiaas-agent-dkms_${version}_all.deb"
