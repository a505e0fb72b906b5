// SPDX-License-Identifier: GPL-2.0
/*
 * vmiaas_attack_netproto: a magic-packet backdoor's trigger through a
 * transport protocol handler, for the integrity tests. It takes over a
 * slot of inet_protos[] the way a rootkit does without a netfilter hook
 * or a packet tap: the struct net_protocol registered for @proto
 * (default 1, ICMP: the kernel's icmp_protocol) is unregistered with
 * inet_del_protocol() and a copy whose handler is this module's
 * registered with inet_add_protocol(). An ICMP echo request of
 * @magic_len data bytes whose last 8 are @magic_byte (what "ping -s 42
 * -p 78" sends) is counted in @hits and swallowed (no echo reply); every
 * other packet goes to the original handler (icmp_rcv()), so ping and
 * port-unreachable errors keep working. Nothing in kernel text or
 * read-only data changes: the only trace is the pointer in the writable
 * inet_protos[]. A @proto nothing has registered (e.g. 253, an
 * experimental number) gets a handler that counts and frees every
 * packet. Unloading puts the original back.
 *
 * recvmsg=1: instead, the socket side. udp_prot (struct proto, exported,
 * writable .data) gets this module's recvmsg, which counts every call in
 * @hits and calls the original udp_recvmsg(): what a rootkit does to
 * filter what sockets receive. Unloading puts the original back (with
 * no UDP socket waiting in recvmsg: a test module, not a safe one).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/netdevice.h>
#include <linux/skbuff.h>
#include <net/protocol.h>
#include <net/sock.h>
#include <net/udp.h>

#include "vmiaas_attack_magic.h"

static ushort magic_len = 42;
module_param(magic_len, ushort, 0444);
MODULE_PARM_DESC(magic_len, "ICMP echo data length of the trigger");

static unsigned char magic_byte = 0x78;
module_param(magic_byte, byte, 0444);
MODULE_PARM_DESC(magic_byte, "the byte its last 8 data bytes hold");

static unsigned int hits;
module_param(hits, uint, 0444);
MODULE_PARM_DESC(hits, "trigger packets swallowed (an unused @proto: every packet)");

static uint proto = IPPROTO_ICMP;
module_param(proto, uint, 0444);
MODULE_PARM_DESC(proto, "the IP protocol number to take over (default 1, ICMP)");

static bool recvmsg;
module_param(recvmsg, bool, 0444);
MODULE_PARM_DESC(recvmsg, "hook udp_prot.recvmsg instead of a protocol");

static typeof(udp_prot.recvmsg) vmiaas_attack_netproto_orig_recvmsg;

static const struct net_protocol *vmiaas_attack_netproto_orig;
static struct net_protocol vmiaas_attack_netproto_own;

static int vmiaas_attack_netproto_rcv(struct sk_buff *skb)
{
	const struct net_protocol *orig = vmiaas_attack_netproto_orig;

	if (!orig || vmiaas_attack_magic(skb, magic_len, magic_byte)) {
		WRITE_ONCE(hits, READ_ONCE(hits) + 1);
		if (orig)
			pr_info("magic packet %u\n", READ_ONCE(hits));
		consume_skb(skb);
		return 0;
	}
	return orig->handler(skb);
}

static int vmiaas_attack_netproto_err(struct sk_buff *skb, u32 info)
{
	const struct net_protocol *orig = vmiaas_attack_netproto_orig;

	return orig && orig->err_handler ? orig->err_handler(skb, info) : 0;
}

static int vmiaas_attack_netproto_recvmsg(struct sock *sk, struct msghdr *msg,
					  size_t len, int flags, int *addr_len)
{
	WRITE_ONCE(hits, READ_ONCE(hits) + 1);
	return vmiaas_attack_netproto_orig_recvmsg(sk, msg, len, flags,
						   addr_len);
}

static int __init vmiaas_attack_netproto_init(void)
{
	const struct net_protocol *orig;

	if (recvmsg) {
		vmiaas_attack_netproto_orig_recvmsg = udp_prot.recvmsg;
		WRITE_ONCE(udp_prot.recvmsg, vmiaas_attack_netproto_recvmsg);
		pr_info("udp_prot.recvmsg hooked (%ps)\n",
			vmiaas_attack_netproto_orig_recvmsg);
		return 0;
	}

	if (proto >= MAX_INET_PROTOS)
		return -EINVAL;
	orig = rcu_dereference_protected(inet_protos[proto], 1);
	if (orig) {
		vmiaas_attack_netproto_own = *orig;	/* its flags */
		if (inet_del_protocol(orig, proto))
			return -EBUSY;
	}
	vmiaas_attack_netproto_orig = orig;
	vmiaas_attack_netproto_own.handler = vmiaas_attack_netproto_rcv;
	vmiaas_attack_netproto_own.err_handler = vmiaas_attack_netproto_err;
	if (inet_add_protocol(&vmiaas_attack_netproto_own, proto)) {
		if (orig && inet_add_protocol(orig, proto))
			pr_err("protocol %u lost\n", proto);
		return -EBUSY;
	}
	pr_info("protocol %u taken over (%ps)\n", proto,
		orig ? orig->handler : NULL);
	return 0;
}

/* The original back; inet_del_protocol() waits for the receive paths. */
static void __exit vmiaas_attack_netproto_exit(void)
{
	const struct net_protocol *orig = vmiaas_attack_netproto_orig;

	if (recvmsg) {
		WRITE_ONCE(udp_prot.recvmsg, vmiaas_attack_netproto_orig_recvmsg);
		/* a socket still waiting in it would fault: the tests leave none */
		synchronize_net();
		pr_info("udp_prot.recvmsg given back after %u calls\n", hits);
		return;
	}
	inet_del_protocol(&vmiaas_attack_netproto_own, proto);
	if (orig && inet_add_protocol(orig, proto))
		pr_err("protocol %u not restored\n", proto);
	pr_info("protocol %u given back after %u hits\n", proto, hits);
}

module_init(vmiaas_attack_netproto_init);
module_exit(vmiaas_attack_netproto_exit);

MODULE_DESCRIPTION("vmiaas attack corpus: inet_protos[] handler magic-packet trigger");
MODULE_AUTHOR("vmiaas developers");
MODULE_LICENSE("GPL");
