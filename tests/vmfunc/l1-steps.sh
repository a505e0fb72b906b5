#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# l1-steps.sh: the L1 side of tests/vmfunc/l1-suite.sh. Run in the Bochs L1
# (scripts/bochs-l1) from /vmiaas, it runs the step scripts listed in
# /vmiaas/steps one after the other in the same boot, each with the KVM it
# wants, and frames each for the host:
#   @@STEP NAME UPTIME                 the step's output follows
#   @@STEP-KVM NAME KVM STATUS         (only when it switched KVM modules)
#   @@STEP-CPUS NAME N STATUS          (only when it changed the online CPUs)
#   @@STEP-END NAME STATUS UPTIME      STATUS 124: killed by its timeout
# /vmiaas/steps: one line per step, "NAME KVM TIMEOUT SCRIPT [CPUS]", KVM
# being "patched" (the modules the L1 booted with: scripts/build-kvm.sh's)
# or "stock" (Debian's, in /lib/modules/vmiaas/stock), TIMEOUT in seconds
# of L1 time, CPUS how many CPUs are online during the step (default 1;
# the L1 boots with one, "maxcpus=1": in Bochs every online CPU slows the
# whole machine down). A step script runs as "sh SCRIPT" with /vmiaas as its working
# directory and must leave vmiaas.ko unloaded and its VMs closed.
# Exits 0 when every step exited 0.
kvm_now=patched
worst=0

# use_kvm NAME KVM: reload kvm and kvm_intel from KVM's directory
use_kvm()
{
	[ "$2" = "$kvm_now" ] && return 0
	case "$2" in
	stock) d=/lib/modules/vmiaas/stock ;;
	patched) d=/lib/modules/vmiaas ;;
	*) echo "@@STEP-KVM $1 $2 unknown"; return 1 ;;
	esac
	rmmod kvm_intel && rmmod kvm && insmod $d/kvm.ko && insmod $d/kvm-intel.ko
	st=$?
	echo "@@STEP-KVM $1 $2 $st"
	[ $st -eq 0 ] && kvm_now=$2
	return $st
}

# use_cpus NAME N: CPUs 0..N-1 online, the others offline
use_cpus()
{
	changed=
	st=0
	for c in /sys/devices/system/cpu/cpu[0-9]*; do
		[ -e "$c/online" ] || continue	# CPU 0
		i=${c##*/cpu}
		want=0
		[ "$i" -lt "$2" ] && want=1
		[ "$(cat "$c/online")" = $want ] && continue
		echo $want >"$c/online" || st=1
		changed=1
	done
	[ -n "$changed" ] && echo "@@STEP-CPUS $1 $2 $st"
	return $st
}

up() { cut -d' ' -f1 /proc/uptime; }

while read -r name kvm limit script cpus; do
	case "$name" in '' | '#'*) continue ;; esac
	echo "@@STEP $name $(up)"
	st=125
	if use_kvm "$name" "$kvm" && use_cpus "$name" "${cpus:-1}"; then
		timeout "$limit" sh "./$script"
		st=$?
		[ $st -eq 143 ] && st=124	# busybox timeout: SIGTERM
	fi
	echo "@@STEP-END $name $st $(up)"
	[ $st -eq 0 ] || worst=1
	cd /vmiaas || exit 1
done </vmiaas/steps
exit $worst
