// SPDX-License-Identifier: GPL-2.0
/*
 * vmiaas_attack_netdev: hooks on a network device itself, for the
 * netdev-hook integration test. Nothing in kernel text or read-only data
 * changes; the traces are pointers in the writable struct net_device.
 *
 * rx=1:   netdev_rx_handler_register() on @ifname (default lo): the
 *         handler sees every packet the device receives, before the packet
 *         taps and netfilter, and drops (consumes) IPv4 TCP packets to
 *         @port, counting them in @hits: the port becomes unreachable, as
 *         a packet hider or a backdoor's trigger would make it.
 * xmit=1: the device's netdev_ops copied into this module's writable data
 *         with an ndo_start_xmit of its own that counts every packet in
 *         @hits and calls the original, and dev->netdev_ops pointed at the
 *         copy (what hides or alters outgoing packets).
 * Unloading undoes both.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/if_ether.h>
#include <linux/init.h>
#include <linux/ip.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/netdevice.h>
#include <linux/rtnetlink.h>
#include <linux/skbuff.h>
#include <linux/stddef.h>
#include <linux/string.h>
#include <linux/tcp.h>
#include <net/net_namespace.h>

static bool rx;
module_param(rx, bool, 0444);
MODULE_PARM_DESC(rx, "register an rx_handler that drops TCP to @port");

static bool xmit;
module_param(xmit, bool, 0444);
MODULE_PARM_DESC(xmit, "swap netdev_ops for a copy with our ndo_start_xmit");

static char *ifname = "lo";
module_param(ifname, charp, 0444);
MODULE_PARM_DESC(ifname, "the device (initial namespace), default lo");

static ushort port = 31340;
module_param(port, ushort, 0444);
MODULE_PARM_DESC(port, "rx: the TCP port whose packets are dropped");

static unsigned int hits;
module_param(hits, uint, 0444);
MODULE_PARM_DESC(hits, "packets dropped (rx) or sent through the copy (xmit)");

static struct net_device *vmiaas_attack_netdev_dev;
static const struct net_device_ops *vmiaas_attack_netdev_orig;
/* the writable copy of the table: its function pointers, xmit replaced */
static void *vmiaas_attack_netdev_ops[128];

/* Whether @skb is IPv4 TCP to @port. */
static bool vmiaas_attack_netdev_match(struct sk_buff *skb)
{
	const struct iphdr *iph;
	const struct tcphdr *th;
	unsigned int ihl;

	if (skb->protocol != htons(ETH_P_IP) ||
	    !pskb_may_pull(skb, sizeof(*iph)))
		return false;
	iph = (const struct iphdr *)skb->data;
	ihl = iph->ihl * 4;
	if (iph->protocol != IPPROTO_TCP || ihl < sizeof(*iph) ||
	    !pskb_may_pull(skb, ihl + sizeof(*th)))
		return false;
	th = (const struct tcphdr *)(skb->data + ihl);
	return th->dest == htons(port);
}

static rx_handler_result_t vmiaas_attack_netdev_rx(struct sk_buff **pskb)
{
	struct sk_buff *skb = *pskb;

	if (!vmiaas_attack_netdev_match(skb))
		return RX_HANDLER_PASS;
	WRITE_ONCE(hits, READ_ONCE(hits) + 1);
	kfree_skb(skb);
	return RX_HANDLER_CONSUMED;
}

static netdev_tx_t vmiaas_attack_netdev_xmit(struct sk_buff *skb,
					     struct net_device *dev)
{
	WRITE_ONCE(hits, READ_ONCE(hits) + 1);
	return vmiaas_attack_netdev_orig->ndo_start_xmit(skb, dev);
}

static int __init vmiaas_attack_netdev_init(void)
{
	struct net_device *dev;
	int err = 0;

	if (!rx && !xmit)
		return -EINVAL;
	dev = dev_get_by_name(&init_net, ifname);
	if (!dev)
		return -ENODEV;
	rtnl_lock();
	if (rx)
		err = netdev_rx_handler_register(dev, vmiaas_attack_netdev_rx,
						 NULL);
	if (!err && xmit) {
		vmiaas_attack_netdev_orig = dev->netdev_ops;
		BUILD_BUG_ON(sizeof(*dev->netdev_ops) >
			     sizeof(vmiaas_attack_netdev_ops));
		memcpy(vmiaas_attack_netdev_ops, dev->netdev_ops,
		       sizeof(*dev->netdev_ops));
		vmiaas_attack_netdev_ops[offsetof(typeof(*dev->netdev_ops),
						  ndo_start_xmit) /
					 sizeof(void *)] =
			vmiaas_attack_netdev_xmit;
		WRITE_ONCE(dev->netdev_ops,
			   (const void *)vmiaas_attack_netdev_ops);
	}
	rtnl_unlock();
	if (err) {
		dev_put(dev);
		return err;
	}
	vmiaas_attack_netdev_dev = dev;
	pr_info("%s%son %s (port %u)\n", rx ? "rx_handler " : "",
		xmit ? "netdev_ops copy " : "", ifname, port);
	return 0;
}

/* Both undone under RTNL, then the receive and transmit paths waited for. */
static void __exit vmiaas_attack_netdev_exit(void)
{
	struct net_device *dev = vmiaas_attack_netdev_dev;

	rtnl_lock();
	if (rx)
		netdev_rx_handler_unregister(dev);
	if (xmit)
		WRITE_ONCE(dev->netdev_ops, vmiaas_attack_netdev_orig);
	rtnl_unlock();
	synchronize_net();
	dev_put(dev);
	pr_info("removed after %u hits\n", hits);
}

module_init(vmiaas_attack_netdev_init);
module_exit(vmiaas_attack_netdev_exit);

MODULE_DESCRIPTION("vmiaas attack corpus: rx_handler and netdev_ops hooks on a device");
MODULE_AUTHOR("vmiaas developers");
MODULE_LICENSE("GPL");
