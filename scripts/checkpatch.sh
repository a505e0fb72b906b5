#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The kernel-style gate: the kernel's own scripts/checkpatch.pl --no-tree
# over vmiaas's kernel-side C (kmod/, core/, guest-agent/, tests/modules/,
# include/uapi/).
#
# Usage: scripts/checkpatch.sh [--strict] [FILE...]
#        scripts/checkpatch.sh --setup
#
# checkpatch.pl and its data files come from Debian's linux-source-6.1
# package: fetched once with "apt-get download", and only the members
# checkpatch needs are unpacked into $VMIAAS_CACHE/linux-source-6.1/
# (default cache: <repo>/.cache); the 139 MB package is not kept.
# --setup only does that and prints the path of checkpatch.pl.
#
# Every file is checked on its own (checkpatch -f). --strict adds the
# CHECK-level tests (reported, but only ERROR and WARNING fail the gate).
# Exit status: 0 clean, 1 an ERROR or WARNING in some file, 2 checkpatch
# could not be set up (no package, no perl).
set -eu

die() { echo "vmiaas-checkpatch: $*" >&2; exit 2; }

top=$(cd "$(dirname "$0")/.." && pwd)
cache=${VMIAAS_CACHE:-$top/.cache}
pkg=linux-source-6.1
dest=$cache/$pkg
members="scripts/checkpatch.pl scripts/spelling.txt
	scripts/const_structs.checkpatch .clang-format"

# setup: unpack the members from the package's tarball, once.
setup()
{
	local dl tarball m pats=()

	[ -e "$dest/.done" ] && return 0
	command -v perl >/dev/null || die "perl is missing"
	mkdir -p "$cache"
	exec 8>"$cache/.$pkg.lock"
	flock 8
	[ -e "$dest/.done" ] && return 0

	dl=$(mktemp -d "$cache/.$pkg.XXXXXX")
	# shellcheck disable=SC2064
	trap "rm -rf '$dl'" EXIT
	echo "vmiaas-checkpatch: fetching $pkg (once)" >&2
	if ! (cd "$dl" && apt-get download -q "$pkg" >/dev/null 2>"$dl/err"); then
		# stale package lists: the archive moved on
		[ "$(id -u)" -eq 0 ] && apt-get update -q >/dev/null 2>&1
		(cd "$dl" && apt-get download -q "$pkg" >/dev/null 2>"$dl/err") ||
			die "apt-get download $pkg failed: $(cat "$dl/err")"
	fi
	set -- "$dl"/"$pkg"_*.deb
	[ -f "$1" ] || die "apt-get download left no $pkg .deb"
	# the tarball's name inside the package, resolved, not assumed
	tarball=$(dpkg-deb --fsys-tarfile "$1" | tar -t |
		grep -m1 '^\./usr/src/linux-source-[^/]*\.tar\.xz$') ||
		die "no linux-source tarball in $(basename "$1")"
	for m in $members; do
		pats+=("*/$m")
	done
	mkdir -p "$dl/out"
	dpkg-deb --fsys-tarfile "$1" | tar -xO "$tarball" |
		tar -xJ -C "$dl/out" --strip-components=1 --wildcards "${pats[@]}" ||
		die "cannot unpack checkpatch from $tarball"
	[ -f "$dl/out/scripts/checkpatch.pl" ] || die "no checkpatch.pl in $tarball"
	dpkg-deb -f "$1" Version >"$dl/out/VERSION"
	rm -rf "$dest"
	mv "$dl/out" "$dest"
	touch "$dest/.done"
	rm -rf "$dl"
	trap - EXIT
}

strict=
case "${1:-}" in
--setup)
	setup
	echo "$dest/scripts/checkpatch.pl"
	exit 0
	;;
--strict)
	strict=--strict
	shift
	;;
-h|--help)
	sed -n '3,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//'
	exit 0
	;;
esac

setup

if [ $# -eq 0 ]; then
	cd "$top"
	mapfile -t files < <(find kmod core guest-agent tests/modules include/uapi \
		-name '*.[ch]' ! -name '*.mod.c' -type f 2>/dev/null | sort)
	[ ${#files[@]} -gt 0 ] || die "no kernel-side C files under $top"
else
	files=("$@")
fi

bad=0
nbad=0
for f in "${files[@]}"; do
	if [ ! -f "$f" ]; then
		echo "vmiaas-checkpatch: $f: no such file" >&2
		bad=1
		continue
	fi
	# checkpatch's own status also counts CHECKs: the verdict comes from
	# the findings it prints instead.
	out=$(perl "$dest/scripts/checkpatch.pl" --quiet --no-tree --no-signoff \
		--show-types $strict -f "$f" 2>&1) || true
	[ -z "$out" ] && continue
	printf '%s\n\n' "$out"
	if grep -qE '^(ERROR|WARNING):' <<<"$out"; then
		bad=1
		nbad=$((nbad + 1))
	fi
done
echo "vmiaas-checkpatch: ${#files[@]} files, $nbad with errors or warnings" \
	"(checkpatch from $pkg $(cat "$dest/VERSION"))" >&2
exit $bad
