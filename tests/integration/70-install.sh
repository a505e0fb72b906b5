#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make install / uninstall / install-dkms into a DESTDIR: the expected
# tree (programs, unit with the right ExecStart, configuration example,
# manual pages, docs, uapi header, DKMS sources), an administrator's
# configuration kept across a reinstall and an uninstall, another PREFIX.
# Installs the binaries of the build under test (VMIAAS_BUILD) without
# rebuilding them. The DKMS build itself is in 75-deb-systemd.sh.
. "$(dirname "$0")/../lib/guest.sh"

top=$VMIAAS_TOP
build=${VMIAAS_BUILD:?set VMIAAS_BUILD (scripts/run-tests.sh does)}
[ -x "$build/vmid" ] && [ -x "$build/vmictl" ] || tap_skip_all "no vmid/vmictl in $build"

tap_plan 14
work=$(mktemp -d "${TMPDIR:-/tmp}/vmiaas-install.XXXXXX")
trap 'rm -rf "$work"' EXIT
version=$(make -s --no-print-directory -C "$top" version)
# -o: take the binaries as they are (never rebuild them with other flags)
mk() { make -s --no-print-directory -C "$top" O="$build" -o "$build/vmid" -o "$build/vmictl" "$@"; }
tree() { (cd "$1" && find . ! -type d | LC_ALL=C sort); }

d=$work/d
mk DESTDIR="$d" install >"$work/install.log" 2>&1 || tap_diag "$(cat "$work/install.log")"
cat >"$work/expected" <<EOF
./etc/vmiaas/vmid.conf
./lib/systemd/system/vmid.service
./usr/bin/vmictl
$(cd "$top" && for f in README.md docs/*.md; do echo "./usr/share/doc/vmiaas/${f##*/}"; done | LC_ALL=C sort)
./usr/include/linux/vmiaas.h
./usr/lib/sysusers.d/vmiaas.conf
./usr/sbin/vmid
./usr/share/man/man8/vmictl.8
./usr/share/man/man8/vmid.8
EOF
LC_ALL=C sort -o "$work/expected" "$work/expected"
tree "$d" >"$work/got"
tap_ok 'diff -u "$work/expected" "$work/got"' "make install DESTDIR: the expected tree (PREFIX=/usr)"
[ -s "$work/got" ] && ! diff -q "$work/expected" "$work/got" >/dev/null &&
	tap_diag "$(diff -u "$work/expected" "$work/got")"
tap_ok 'cmp "$build/vmid" "$d/usr/sbin/vmid" && [ "$(stat -c %a "$d/usr/sbin/vmid")" = 755 ]' \
	"vmid is the build's, mode 0755"
tap_ok 'grep -qx "ExecStart=/usr/sbin/vmid" "$d/lib/systemd/system/vmid.service" && [ "$(stat -c %a "$d/lib/systemd/system/vmid.service")" = 644 ]' \
	"the unit runs /usr/sbin/vmid, mode 0644"
tap_ok 'MANWIDTH=80 man -l "$d/usr/share/man/man8/vmid.8" 2>/dev/null | grep -q vmid' "the installed vmid(8) renders"

echo "interval = 30" >>"$d/etc/vmiaas/vmid.conf"
mk DESTDIR="$d" install >"$work/install2.log" 2>&1
tap_ok 'tail -n 1 "$d/etc/vmiaas/vmid.conf" | grep -qx "interval = 30" && grep -q keeping "$work/install2.log"' \
	"a second make install keeps the administrator's vmid.conf"
mk DESTDIR="$d" uninstall >"$work/uninstall.log" 2>&1 || tap_diag "$(cat "$work/uninstall.log")"
tap_is "$(tree "$d" | tr '\n' ' ')" "./etc/vmiaas/vmid.conf " \
	"make uninstall removes everything but the modified vmid.conf"
rm -f "$d/etc/vmiaas/vmid.conf"
mk DESTDIR="$d" install >/dev/null 2>&1
mk DESTDIR="$d" uninstall >/dev/null 2>&1
tap_is "$(tree "$d" | wc -l)" 0 "install then uninstall with the example config: nothing left"

p=$work/p
mk DESTDIR="$p" PREFIX=/opt/vmiaas install >/dev/null 2>&1
tap_ok '[ -x "$p/opt/vmiaas/sbin/vmid" ] && [ -x "$p/opt/vmiaas/bin/vmictl" ] && [ -f "$p/etc/vmiaas/vmid.conf" ]' \
	"PREFIX=/opt/vmiaas: programs under the prefix, the config in /etc/vmiaas"
tap_ok 'grep -qx "ExecStart=/opt/vmiaas/sbin/vmid" "$p/opt/vmiaas/lib/systemd/system/vmid.service"' \
	"PREFIX=/opt/vmiaas: the unit under the prefix starts that vmid"

k=$work/k
mk DESTDIR="$k" install-dkms >"$work/dkms.log" 2>&1 || tap_diag "$(cat "$work/dkms.log")"
src=$k/usr/src/vmiaas-$version
tap_ok 'grep -qx "PACKAGE_VERSION=\"$version\"" "$src/dkms.conf" && grep -qx "BUILT_MODULE_NAME\[0\]=\"vmiaas\"" "$src/dkms.conf"' \
	"make install-dkms: /usr/src/vmiaas-$version/dkms.conf, version filled in"
# every object Kbuild names has its source
objs=$(cd "$top" && make -s --no-print-directory -f - <<'EOF'
include Kbuild
all: ; @echo $(vmiaas-y)
EOF
)
missing=
for o in $objs; do [ -f "$src/${o%.o}.c" ] || missing="$missing ${o%.o}.c"; done
tap_is "${missing:-none}" none "the DKMS tree holds Kbuild's sources ($(echo "$objs" | wc -w) objects)"
mk DESTDIR="$k" uninstall-dkms >/dev/null 2>&1
tap_is "$(tree "$k" | wc -l)" 0 "make uninstall-dkms removes it"

# the guest agent's tree: guest-agent/ beside include/, as its Kbuild wants
mk DESTDIR="$k" install-dkms-agent >"$work/dkms-agent.log" 2>&1 || tap_diag "$(cat "$work/dkms-agent.log")"
a=$k/usr/src/vmiaas-agent-$version
tap_ok 'grep -qx "PACKAGE_VERSION=\"$version\"" "$a/dkms.conf" && [ -f "$a/guest-agent/Kbuild" ] && [ -f "$a/include/uapi/linux/vmiaas.h" ] && (for f in "$top"/guest-agent/*.c; do [ -f "$a/guest-agent/${f##*/}" ] || exit 1; done)' \
	"make install-dkms-agent: /usr/src/vmiaas-agent-$version with guest-agent/, the uapi header, dkms.conf"
mk DESTDIR="$k" uninstall-dkms-agent >/dev/null 2>&1
tap_is "$(tree "$k" | wc -l)" 0 "make uninstall-dkms-agent removes it"
tap_done
