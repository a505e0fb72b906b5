#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The patched KVM modules, built out of tree by scripts/build-kvm.sh for
# every kernel generation that has a series in kmod/patches/GEN/: the build
# succeeds (warnings are fatal), is cached, kvm.ko and kvm-intel.ko carry the
# headers' vermagic, the kvm_vmx_altview_* exports exist, and every export
# Debian's kernel knows keeps Debian's CRC (else modversions refuses the
# modules on the stock kernel).  Loading them needs a VMX-capable L1
# (Bochs); that is not tested here.
set -u

top=${VMIAAS_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$top" || exit 1

exports="version supported register unregister enable set_eptp cur_eptp set_cur_eptp priv"
gens=()
for g in 6.1 6.12; do
	[ -f "kmod/patches/$g/series" ] && gens+=("$g")
done
per_gen=8
echo "1..$((${#gens[@]} * per_gen))"

n=0
failed=0
ok()
{
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n - $2"
	else
		failed=$((failed + 1))
		echo "not ok $n - $2"
	fi
}
skip_rest()
{
	while [ "$n" -lt "$1" ]; do
		n=$((n + 1))
		echo "ok $n # SKIP $2"
	done
}

for gen in "${gens[@]}"; do
	end=$((n + per_gen))
	log=$(mktemp)
	start=$(date +%s)
	out=$(scripts/build-kvm.sh "$gen" 2>"$log")
	rc=$?
	ok $rc "$gen: scripts/build-kvm.sh builds ($(( $(date +%s) - start )) s)"
	if [ $rc -ne 0 ]; then
		sed 's/^/# /' "$log"
		rm -f "$log"
		skip_rest "$end" "$gen: no build"
		continue
	fi
	echo "# $gen: $out"

	out2=$(scripts/build-kvm.sh "$gen" 2>"$log")
	grep -q 'up to date' "$log" && [ "$out2" = "$out" ]
	ok $? "$gen: a second run is cached"
	rm -f "$log"

	[ -s "$out/kvm.ko" ] && [ -s "$out/kvm-intel.ko" ] && [ -s "$out/Module.symvers" ]
	ok $? "$gen: kvm.ko, kvm-intel.ko and Module.symvers exist"

	abi=${out##*/kvm-}
	hdrs=/usr/src/linux-headers-$abi
	rel=$(sed -n 's/^#define UTS_RELEASE "\(.*\)"$/\1/p' \
		"$hdrs/include/generated/utsrelease.h")
	bad=0
	for m in kvm kvm-intel; do
		vm=$(modinfo -F vermagic "$out/$m.ko" | cut -d' ' -f1)
		{ [ -n "$rel" ] && [ "$vm" = "$rel" ]; } ||
			{ echo "# $m.ko vermagic '$vm', headers '$rel'"; bad=1; }
	done
	ok $bad "$gen: vermagic equals the headers' release $rel"

	[ "$(modinfo -F depends "$out/kvm-intel.ko")" = kvm ]
	ok $? "$gen: kvm-intel.ko depends on kvm only"

	bad=0
	for e in $exports; do
		awk -v s="kvm_vmx_altview_$e" '$2 == s && $3 ~ /kvm-intel$/ &&
			$4 == "EXPORT_SYMBOL_GPL" { f = 1 } END { exit !f }' \
			"$out/Module.symvers" ||
			{ echo "# kvm_vmx_altview_$e not exported by kvm-intel"; bad=1; }
	done
	awk '$2 == "kvm_x86_altview_memslot_check" && $3 ~ /kvm$/ &&
		$4 == "EXPORT_SYMBOL_GPL" { f = 1 } END { exit !f }' \
		"$out/Module.symvers" ||
		{ echo "# kvm_x86_altview_memslot_check not exported by kvm"; bad=1; }
	ok $bad "$gen: Module.symvers has the 9 kvm_vmx_altview_* exports and kvm's memslot hook"

	# Debian's own kvm and kvm-intel exports: all present, same CRCs.
	diffs=$(awk 'NR == FNR { crc[$2] = $1; next }
		$3 ~ /^arch\/x86\/kvm\/kvm(-intel)?$/ {
			total++
			if (!($2 in crc)) print "missing " $2
			else if (crc[$2] != $1) print $2 ": " crc[$2] " != Debian " $1
		}
		END { if (!total) print "no kvm exports in Debian'"'"'s Module.symvers" }' \
		"$out/Module.symvers" "$hdrs/Module.symvers")
	[ -z "$diffs" ]
	ok $? "$gen: all $(grep -cE $'\tarch/x86/kvm/kvm(-intel)?\t' \
		"$hdrs/Module.symvers") Debian exports keep Debian's CRCs"
	[ -z "$diffs" ] || printf '%s\n' "$diffs" | sed 's/^/# /'

	cmp -s "$out/tree/arch/x86/include/asm/kvm_vmx_altview.h" \
		kmod/kvm_vmx_altview.h
	ok $? "$gen: kmod/kvm_vmx_altview.h is the header the series adds"
done
[ "$failed" -eq 0 ]
