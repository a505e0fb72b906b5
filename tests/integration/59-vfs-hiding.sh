#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# File hiding through the VFS's operations tables (vfs-ops), on a live
# Debian guest. Benign first: Debian's own loop, jbd2 and ext4 modules
# with an ext4 filesystem mounted from a loop device (its tables are the
# ext4 module's: the owner of the filesystem type), fusectl mounted (the
# fuse module's on 6.1, built in on 6.12), a file of it and of debugfs
# held open, a process whose cwd is on it: exit 0, no finding. Then
# vmiaas_attack_vfsdir three ways, each hiding a file from ls (getdents64)
# while it stays there: a copy of the directory's file_operations in the
# module's writable data on a cached ext4 directory (/mnt/e/d); a
# kmalloc()ed copy on the root directory of the initramfs (/); a copy of
# the dentry_operations too on a tmpfs mount's root (/mnt/t), whose
# d_compare makes a lookup of the name fail (stat: ENOENT). Each: critical
# vfs-ops findings naming the path, the filesystem, the field and the
# module or the heap; unloaded: clean again. Runs on each kernel of KGENS
# (default: Debian 6.1 and 6.12).
. "$(dirname "$0")/../lib/guest.sh"
. "$(dirname "$0")/../lib/integrity.sh"
integrity_begin vfshide 12

MOD=/vmiaas/modules/vmiaas_attack_vfsdir.ko
WROTE='(.detail.new_symbol | startswith("[vmiaas_attack_vfsdir]+")) and (.detail.message | test("module vmiaas_attack_vfsdir .tainted"))'

# hide NAME PARAMS GUEST-TEST WHAT N OBJECT-REGEX JQ-FILTER FINDING:
# vmiaas_attack_vfsdir loaded with PARAMS, GUEST-TEST true in the guest
# (WHAT: the file hidden), N vfs-ops findings (expect_n), unloaded: clean.
hide()
{
	guest_run "insmod $MOD $2" >"$work/$1.insmod" 2>&1 ||
		tap_diag "insmod $MOD $2: $(cat "$work/$1.insmod")"
	tap_cmd "$KGEN: $1: $4" guest_run "$3"
	expect_n "$1" "$5" vfs-ops "$6" "$7" "$8"
	unload_clean "$1" vmiaas_attack_vfsdir "$1: the pointers restored on unload"
}

vfshide_run()
{
local fs mods=(drivers/block/loop fs/mbcache lib/crc16 fs/jbd2/jbd2 fs/ext4/ext4 crypto/crc32c_generic) args=() m
[ "$1" = 6.1 ] && mods+=(fs/fuse/fuse)
fs=$(debian_modules "$1" "$1-fs" "${mods[@]}") || tap_bail "no loop/jbd2/ext4/crc32c modules for $1"
for m in "$fs"/*.ko; do
	args+=(--add "$m")
done
integrity_start "$1" --test-modules "${args[@]}"
"$VMICTL" --json checks >"$work/checks.json"
tap_ok "jq -e '[.checks[].id] | index(\"vfs-ops\")' '$work/checks.json'" \
	"$KGEN: vmictl checks lists vfs-ops"
take_baseline

# ---- benign: ext4 from a module on a loop device, fusectl, open files ------
guest_run 'cd /vmiaas && for m in loop mbcache crc16 jbd2 crc32c_generic ext4 fuse; do
		[ ! -e $m.ko ] || insmod $m.ko || exit 1; done
	dd if=/dev/zero of=/tmp/e.img bs=1k count=4096 2>/dev/null &&
	losetup /dev/loop0 /tmp/e.img && mke2fs -q /dev/loop0 >/dev/null &&
	mkdir -p /mnt/e /mnt/t && mount -t ext4 /dev/loop0 /mnt/e &&
	mkdir /mnt/e/d && touch /mnt/e/d/secret /mnt/e/d/other &&
	mount -t fusectl none /sys/fs/fuse/connections &&
	mount -t tmpfs none /mnt/t && touch /mnt/t/secret /secret &&
	(sleep 1000 </mnt/e/d/other >/dev/null 2>&1 &) &&
	(sleep 1000 </sys/kernel/debug/sched/features >/dev/null 2>&1 &) &&
	(cd /sys/fs/fuse/connections && sleep 1000 >/dev/null 2>&1 &)' \
	>"$work/benign.out" 2>&1 || tap_diag "benign setup: $(cat "$work/benign.out")"
expect_clean benign "ext4 on loop (module fs), fusectl, open ext4 and debugfs files"

# ---- a module copy of a cached ext4 directory's i_fop ------------------------
hide ext4 path=/mnt/e/d '[ "$(ls /mnt/e/d)" = other ] && [ -e /mnt/e/d/secret ]' \
	"ls /mnt/e/d no longer lists secret, which is there" \
	1 '^/mnt/e/d \(ext4\)$' \
	".severity == \"critical\" and $WROTE and (.detail.message | test(\"directory inode i_fop .*writable memory\"))" \
	"a critical vfs-ops finding: /mnt/e/d's i_fop in vmiaas_attack_vfsdir's writable data"

# ---- a kmalloc()ed copy of the root directory's i_fop ------------------------
hide heap 'path=/ heap=1' '! ls / | grep -qx secret && [ -e /secret ] && ls / | grep -qx proc' \
	"ls / no longer lists secret, which is there" \
	1 '^/ \((rootfs|ramfs|tmpfs)\)$' \
	".severity == \"critical\" and (.detail.new_symbol | startswith(\"0x\")) and (.detail.message | test(\"directory inode i_fop .*the heap\"))" \
	"a critical vfs-ops finding: the root directory's i_fop in the heap"

# ---- d_op and i_fop copies on a tmpfs mount's root ----------------------------
hide dop 'path=/mnt/t dop=1' '[ -z "$(ls /mnt/t)" ] && ! stat /mnt/t/secret >/dev/null 2>&1' \
	"ls /mnt/t lists nothing, stat /mnt/t/secret fails" \
	2 '^/mnt/t \(tmpfs\)$' \
	".severity == \"critical\" and $WROTE and (.detail.message | test(\"dentry d_op|directory inode i_fop\"))" \
	"critical vfs-ops findings: /mnt/t's d_op and i_fop in vmiaas_attack_vfsdir's writable data"
}

integrity_main vfshide_run
