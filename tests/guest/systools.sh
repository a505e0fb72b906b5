#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# systools.sh STEP: what a cloud guest's own tools do to its kernel, run in
# the test guest (scripts/guest start --sys-tools: Debian's nft, iptables,
# iproute2, dmsetup, unshare, and Debian's modules loaded on demand by
# busybox modprobe, as the kernel's request_module() does too). Each STEP
# prints "STEP: ok" as its last line when every command of it worked, or
# the commands that failed. The kernel loads every module it needs.
#   net    nftables (inet filter, NAT, conntrack, a set), iptables (nft and
#          legacy: x_tables, conntrack and MASQUERADE), a bridge with a veth
#          pair on it, a VLAN, VXLAN, tun and tap, WireGuard, tc (htb,
#          fq_codel, clsact with a classic-BPF cls_bpf filter and the eBPF
#          one of /vmiaas/bpf-fentry), XDP on a veth (/vmiaas/bpf-fentry)
#   ns     a new network, mount and pid namespace (unshare -n -p -m) with its
#          own loopback, nftables table and iptables-legacy rule
#   fs     overlayfs over tmpfs, a FUSE filesystem served by /vmiaas/fuse-hello,
#          zram as swap, a loop device under dm-crypt (aes-xts) written and
#          read back; a process holding files of each open
#   cg     cgroup v2 with a BPF device program (/vmiaas/bpf-fentry)
#   sec    audit rules (auditctl) with auditd running, an AppArmor profile
#          loaded (apparmor_parser)
#   kvm    kvm and kvm_amd (the guest CPU has SVM under TCG; kvm_intel
#          cannot load: TCG emulates no VMX), a VM (/vmiaas/kvm-vm) run until
#          it halts and kept
#   dup    kvm_amd loaded twice at once, 15 times (the second load waits
#          for the first and fails with EEXIST, as udev's do)
#   down   all of it torn down and the modules unloaded
fail=0
# busybox's sh runs its own applets before PATH: Debian's tools by path
ip() { /usr/sbin/ip "$@"; }
tc() { /usr/sbin/tc "$@"; }
unshare() { /usr/bin/unshare "$@"; }

run()
{
	"$@" >>/tmp/systools.log 2>&1 || {
		echo "failed: $*"
		fail=1
	}
}

# bg_start NAME LINE CMD...: CMD in the background until its output's
# first line is LINE (20 s)
bg_start()
{
	local name=$1 line=$2
	shift 2
	: >"/tmp/$name.out"
	"$@" >>"/tmp/$name.out" 2>&1 &
	for i in $(seq 40); do
		[ "$(head -n 1 "/tmp/$name.out")" = "$line" ] && return 0
		sleep 0.5
	done
	echo "failed: $*: $(cat "/tmp/$name.out")"
	fail=1
}

bpf_start() { bg_start "bpf-$1" attached /vmiaas/bpf-fentry "$@"; }

step_net()
{
	run nft -f - <<EOF
table inet vm {
	set allowed { type ipv4_addr; elements = { 10.0.0.1, 10.0.0.2 } }
	chain input {
		type filter hook input priority 0; policy accept;
		ct state established,related accept
		ip saddr @allowed tcp dport 22 accept
		iifname "lo" accept
		counter
	}
	chain forward { type filter hook forward priority 0; policy accept; }
}
table ip nat {
	chain postrouting {
		type nat hook postrouting priority 100;
		oifname "br0" masquerade
	}
	chain prerouting {
		type nat hook prerouting priority -100;
		tcp dport 8080 dnat to 10.0.0.2:80
	}
}
EOF
	run iptables -A INPUT -p tcp --dport 2222 -m conntrack --ctstate NEW -j ACCEPT
	run iptables-legacy -A INPUT -p tcp --dport 2223 -m comment --comment vmiaas -j ACCEPT
	run iptables-legacy -t nat -A POSTROUTING -o br0 -j MASQUERADE
	run ip6tables -A INPUT -p udp --dport 53 -j ACCEPT
	run ip link add br0 type bridge
	run ip link add veth0 type veth peer name veth1
	run ip link set veth1 master br0
	run ip link add link veth0 name veth0.10 type vlan id 10
	run ip link add vx0 type vxlan id 42 dstport 4789 local 10.0.0.1 dev br0
	# /dev/net/tun exists once tun is in (udev or static nodes, on a full system)
	run modprobe tun
	run ip tuntap add dev tap0 mode tap
	run ip tuntap add dev tun0 mode tun
	run ip link add wg0 type wireguard
	for d in br0 veth0 veth1 veth0.10 vx0 tap0 tun0 wg0 lo; do
		run ip link set "$d" up
	done
	run ip addr add 10.0.0.1/24 dev br0
	run ip addr add 10.0.1.1/24 dev veth0
	run sysctl -qw net.ipv4.ip_forward=1
	run tc qdisc add dev veth0 root handle 1: htb default 10
	run tc class add dev veth0 parent 1: classid 1:10 htb rate 100mbit
	run tc qdisc add dev veth0 parent 1:10 fq_codel
	run tc qdisc add dev veth1 clsact
	run tc filter add dev veth1 egress bpf bytecode '1,6 0 0 4294967295,'
	bpf_start tc "$(cat /sys/class/net/veth1/ifindex)"
	bpf_start xdp "$(cat /sys/class/net/veth0/ifindex)"
	run ping -c 2 -W 2 10.0.0.1
	run ping -c 2 -W 2 10.0.1.1
	# hooks on a device (netdev ingress, egress), the bridge and ARP families, a
	# flowtable (its own ingress hooks)
	run nft -f - <<EOF
table netdev edge {
	chain in {
		type filter hook ingress device veth0 priority 0; policy accept;
	}
	chain out {
		type filter hook egress device veth0 priority 0; policy accept;
	}
}
table bridge br {
	chain brfwd {
		type filter hook forward priority 0; policy accept;
	}
}
table arp ar {
	chain arpin {
		type filter hook input priority 0; policy accept;
	}
}
table inet ft {
	flowtable f {
		hook ingress priority 0; devices = { veth0, veth1 };
	}
	chain ftfwd {
		type filter hook forward priority 0;
		meta l4proto tcp flow add @f
	}
}
EOF
	run nft list ruleset
}

step_ns()
{
	run unshare -n -p -m -f sh -c '
		mount -t proc proc /proc && /usr/sbin/ip link set lo up &&
		nft add table inet ns && nft add chain inet ns in "{ type filter hook input priority 0; }" &&
		iptables-legacy -A INPUT -j ACCEPT && ping -c 1 -W 2 127.0.0.1 &&
		[ "$(ls /proc | grep -c "^[0-9]")" -lt 5 ]'
	# a namespace that stays, as a container's does
	unshare -n sh -c 'echo $$ >/tmp/ns.pid; /usr/sbin/ip link set lo up
		nft add table ip keep && nft add chain ip keep in "{ type filter hook input priority 0; }"
		iptables-legacy -A OUTPUT -j ACCEPT
		exec sleep 100000' >/dev/null 2>&1 &
}

step_fs()
{
	mkdir -p /tmp/ov/lower /tmp/ov/upper /tmp/ov/work /tmp/ov/merged /mnt/fuse
	echo lower >/tmp/ov/lower/f
	run mount -t overlay overlay -o lowerdir=/tmp/ov/lower,upperdir=/tmp/ov/upper,workdir=/tmp/ov/work /tmp/ov/merged
	run sh -c 'echo upper >>/tmp/ov/merged/f && grep -q upper /tmp/ov/upper/f'
	run modprobe fuse
	bg_start fuse-hello mounted /vmiaas/fuse-hello /mnt/fuse
	run grep -q "hello from fuse" /mnt/fuse/hello
	run modprobe zram
	run sh -c 'echo 32M >/sys/block/zram0/disksize'
	run mkswap /dev/zram0
	run swapon /dev/zram0
	run dd if=/dev/zero of=/tmp/crypt.img bs=1M count=8
	run modprobe loop
	run losetup /dev/loop0 /tmp/crypt.img
	run modprobe dm-crypt
	run dmsetup create vmcrypt --table "0 16384 crypt aes-xts-plain64 $(printf '%064d' 7) 0 /dev/loop0 0"
	run sh -c 'echo secret | dd of=/dev/mapper/vmcrypt bs=512 conv=sync 2>/dev/null && head -c 6 /dev/mapper/vmcrypt | grep -q secret && ! grep -q secret /tmp/crypt.img'
	# files held open, as daemons and containers hold theirs: each
	# filesystem's and device's own file operations
	sleep 100000 3</mnt/fuse/hello 4</tmp/ov/merged/f 5</dev/mapper/vmcrypt \
		6</dev/fuse 7</dev/net/tun 8</dev/zram0 9</dev/loop0 &
	echo $! >/tmp/holder.pid
}

step_cg()
{
	mkdir -p /sys/fs/cgroup
	grep -q " /sys/fs/cgroup cgroup2 " /proc/mounts ||
		run mount -t cgroup2 none /sys/fs/cgroup
	run mkdir -p /sys/fs/cgroup/vm
	bpf_start cgroup-dev /sys/fs/cgroup/vm
}

step_sec()
{
	run auditctl -e 1
	run auditctl -a always,exit -F arch=b64 -S openat -F dir=/etc -k vmiaas
	run auditctl -w /tmp -p wa -k vmiaas-tmp
	mkdir -p /var/log/audit
	# the guest has no group database: Debian's log_group "adm" by number
	sed -i 's/^log_group.*/log_group = 0/' /etc/audit/auditd.conf
	run auditd
	run sh -c 'touch /tmp/audited; for i in $(seq 20); do auditctl -s | grep -q "^pid [1-9]" && exit 0; sleep 0.5; done; exit 1'
	grep -q " /sys/kernel/security " /proc/mounts ||
		run mount -t securityfs securityfs /sys/kernel/security
	run sh -c '[ "$(cat /sys/module/apparmor/parameters/enabled)" = Y ]'
	cat >/tmp/vmiaas.profile <<EOF
profile vmiaas-sleep /bin/sleep flags=(enforce) {
	/bin/busybox rix,
	/etc/** r,
	network inet stream,
	capability net_admin,
}
EOF
	run apparmor_parser -r /tmp/vmiaas.profile
	run sh -c 'grep -q vmiaas-sleep /sys/kernel/security/apparmor/profiles'
}

step_kvm()
{
	run modprobe kvm_amd
	bg_start kvm-vm halted /vmiaas/kvm-vm
}

step_dup()
{
	# two loads of one module at once, 15 times: what udev's modprobes
	# of one driver for several devices do at boot (kvm_amd: its init
	# takes long enough under TCG for the second load to wait for it)
	local ko
	ko=$(find /lib/modules -name kvm-amd.ko)
	run modprobe kvm_amd
	for i in $(seq 15); do
		rmmod kvm_amd 2>/dev/null
		sleep 0.5
		insmod "$ko" 2>/dev/null &
		insmod "$ko" 2>/dev/null
		wait
	done
	run grep -q "^kvm_amd " /proc/modules
}

step_down()
{
	kill $(pidof bpf-fentry) $(cat /tmp/ns.pid /tmp/holder.pid) \
		$(pidof auditd) $(pidof kvm-vm) 2>/dev/null
	sleep 1
	run rmdir /sys/fs/cgroup/vm
	run auditctl -D
	run auditctl -e 0
	run apparmor_parser -R /tmp/vmiaas.profile
	run nft flush ruleset
	run iptables -F
	run iptables-legacy -F
	run iptables-legacy -t nat -F
	run ip6tables -F
	for d in wg0 tun0 tap0 vx0 veth0.10 veth0 br0; do
		run ip link del "$d"
	done
	run swapoff /dev/zram0
	run dmsetup remove vmcrypt
	run losetup -d /dev/loop0
	run umount /tmp/ov/merged
	run umount /mnt/fuse
	# every module not in use, as "modprobe -r" of each would; the ones
	# still held (by a socket, a namespace being freed) stay
	for i in 1 2 3 4 5 6; do
		for m in $(awk '$3 == 0 { print $1 }' /proc/modules); do
			rmmod "$m" 2>/dev/null
		done
	done
}

step_"$1"
[ $fail = 0 ] && echo "$1: ok"
