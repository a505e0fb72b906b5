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
 * qdisc=1: the Qdisc_ops of the device's root qdisc (it must have one
 *         that queues: "tc qdisc add dev lo root sfq") copied into this
 *         module's writable data with an enqueue of its own that drops
 *         IPv4 TCP packets to @port (counting them in @hits) and queues
 *         every other, the qdisc's ops and cached enqueue pointer set to
 *         the copy's, and its TCQ_F_CAN_BYPASS cleared (an empty qdisc
 *         would send without enqueueing): outgoing packets to the port
 *         vanish (a packet hider on the send side, after every netfilter
 *         hook).
 *         Not with rx or xmit.
 * Unloading undoes each.
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
#include <net/sch_generic.h>

static bool rx;
module_param(rx, bool, 0444);
MODULE_PARM_DESC(rx, "register an rx_handler that drops TCP to @port");

static bool xmit;
module_param(xmit, bool, 0444);
MODULE_PARM_DESC(xmit, "swap netdev_ops for a copy with our ndo_start_xmit");

static char *ifname = "lo";
module_param(ifname, charp, 0444);
MODULE_PARM_DESC(ifname, "the device (initial namespace), default lo");

static bool qdisc;
module_param(qdisc, bool, 0444);
MODULE_PARM_DESC(qdisc, "swap the root qdisc's Qdisc_ops for a copy whose enqueue drops TCP to @port");

static ushort port = 31340;
module_param(port, ushort, 0444);
MODULE_PARM_DESC(port, "rx, qdisc: the TCP port whose packets are dropped");

static unsigned int hits;
module_param(hits, uint, 0444);
MODULE_PARM_DESC(hits, "packets dropped (rx, qdisc) or sent through the copy (xmit)");

static struct net_device *vmiaas_attack_netdev_dev;
static const struct net_device_ops *vmiaas_attack_netdev_orig;
/* the writable copy of the table: its function pointers, xmit replaced */
static void *vmiaas_attack_netdev_ops[128];
static struct Qdisc *vmiaas_attack_netdev_q;
static const struct Qdisc_ops *vmiaas_attack_netdev_qorig;
/* the writable copy of the root qdisc's Qdisc_ops, enqueue replaced */
static struct Qdisc_ops vmiaas_attack_netdev_qops;
static unsigned int vmiaas_attack_netdev_qflags;

/*
 * Whether @skb is IPv4 TCP to @port: its network header at the data
 * (received) or after the link-layer header (sent).
 */
static bool vmiaas_attack_netdev_match(struct sk_buff *skb)
{
	unsigned int off = skb_network_offset(skb);
	const struct iphdr *iph;
	const struct tcphdr *th;
	unsigned int ihl;

	if (skb->protocol != htons(ETH_P_IP) ||
	    !pskb_may_pull(skb, off + sizeof(*iph)))
		return false;
	iph = (const struct iphdr *)(skb->data + off);
	ihl = iph->ihl * 4;
	if (iph->protocol != IPPROTO_TCP || ihl < sizeof(*iph) ||
	    !pskb_may_pull(skb, off + ihl + sizeof(*th)))
		return false;
	th = (const struct tcphdr *)(skb->data + off + ihl);
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

static int vmiaas_attack_netdev_enqueue(struct sk_buff *skb, struct Qdisc *sch,
					struct sk_buff **to_free)
{
	if (!vmiaas_attack_netdev_match(skb))
		return vmiaas_attack_netdev_qorig->enqueue(skb, sch, to_free);
	WRITE_ONCE(hits, READ_ONCE(hits) + 1);
	return qdisc_drop(skb, sch, to_free);
}

/* The root qdisc's ops and enqueue on the copy; under RTNL. */
static int vmiaas_attack_netdev_qdisc(struct net_device *dev)
{
	struct Qdisc *q = rtnl_dereference(dev->qdisc);

	if (!q || !q->enqueue || q->enqueue != q->ops->enqueue) {
		pr_err("%s: no root qdisc that queues (tc qdisc add dev %s root sfq)\n",
		       dev->name, dev->name);
		return -ENOENT;
	}
	vmiaas_attack_netdev_qorig = q->ops;
	vmiaas_attack_netdev_qops = *q->ops;
	vmiaas_attack_netdev_qops.enqueue = vmiaas_attack_netdev_enqueue;
	vmiaas_attack_netdev_q = q;
	vmiaas_attack_netdev_qflags = q->flags;
	WRITE_ONCE(q->ops, &vmiaas_attack_netdev_qops);
	WRITE_ONCE(q->enqueue, vmiaas_attack_netdev_enqueue);
	WRITE_ONCE(q->flags, q->flags & ~TCQ_F_CAN_BYPASS);
	return 0;
}

static int __init vmiaas_attack_netdev_init(void)
{
	struct net_device *dev;
	int err = 0;

	if ((!rx && !xmit && !qdisc) || (qdisc && (rx || xmit)))
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
	if (qdisc)
		err = vmiaas_attack_netdev_qdisc(dev);
	rtnl_unlock();
	if (err) {
		dev_put(dev);
		return err;
	}
	vmiaas_attack_netdev_dev = dev;
	pr_info("%s%s%son %s (port %u)\n", rx ? "rx_handler " : "",
		xmit ? "netdev_ops copy " : "", qdisc ? "Qdisc_ops copy " : "",
		ifname, port);
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
	/* the qdisc is still the root one: RTNL held since we set it */
	if (qdisc && rtnl_dereference(dev->qdisc) == vmiaas_attack_netdev_q) {
		WRITE_ONCE(vmiaas_attack_netdev_q->enqueue,
			   vmiaas_attack_netdev_qorig->enqueue);
		WRITE_ONCE(vmiaas_attack_netdev_q->ops,
			   vmiaas_attack_netdev_qorig);
		WRITE_ONCE(vmiaas_attack_netdev_q->flags,
			   vmiaas_attack_netdev_qflags);
	}
	rtnl_unlock();
	synchronize_net();
	dev_put(dev);
	pr_info("removed after %u hits\n", hits);
}

module_init(vmiaas_attack_netdev_init);
module_exit(vmiaas_attack_netdev_exit);

MODULE_DESCRIPTION("vmiaas attack corpus: rx_handler, netdev_ops and Qdisc_ops hooks on a device");
MODULE_AUTHOR("vmiaas developers");
MODULE_LICENSE("GPL");
