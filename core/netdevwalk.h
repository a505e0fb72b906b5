/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * The network devices of every namespace, shared by vmiaas.ko and
 * userspace: the walk itself (vmi_netns_walk(), which packet-tap's
 * core/ptypewalk.c runs too), and netdev-hook's reads of each device's
 * hooks (vmi_netdev_walk()).
 *
 * net_namespace_list links every struct net (->list); each net links its
 * devices on ->dev_base_head (struct net_device ->dev_list). A device
 * carries pointers the kernel calls through for its packets: rx_handler
 * (netdev_rx_handler_register(): __netif_receive_skb_core() calls it for
 * every received packet, before the packet taps of ptype_base and before
 * netfilter) with its rx_handler_data, the tables netdev_ops (transmit:
 * ndo_start_xmit), ethtool_ops and header_ops, and the XDP programs of
 * xdp_state[XDP_MODE_SKB, _DRV, _HW] (struct bpf_xdp_entity: prog,
 * link). Which of them the kernel has, and where, is the caller's (from
 * BTF); so is their judgement.
 *
 * Bounds: namespaces and devices are walked with vmi_list_walk() (caps
 * @max_netns and @max_devs, cycle detection). A namespace or device list
 * that does not end is passed to the callback as bad (->err), not
 * returned: a guest must not turn a check off by corrupting a list.
 * Errors returned: -EINVAL (a bad layout), the read error of the
 * namespace list's head or of a list node's next pointer, and what the
 * callback returns.
 */
#ifndef VMI_NETDEVWALK_H
#define VMI_NETDEVWALK_H

#include "klist.h"

/* Where the namespaces and their devices are. */
struct vmi_netns_layout {
	u64 net_head;		/* &net_namespace_list */
	u32 net_list;		/* offsetof(struct net, list) */
	u32 net_inum;		/* offsetof(struct net, ns.inum) */
	u32 dev_base;		/* offsetof(struct net, dev_base_head) */
	u32 dev_list;		/* offsetof(struct net_device, dev_list) */
	u32 max_netns;		/* at most VMI_NETNS_MAX */
	u32 max_devs;		/* at most VMI_NET_DEVS_MAX */
};

/* A namespace, one of its devices, or (->err) a list that does not end. */
struct vmi_netns_pos {
	u64 net;		/* struct net, 0 for net_namespace_list */
	u64 dev;		/* struct net_device, 0 for a namespace */
	u64 head;		/* with ->err: the list */
	u32 netns;		/* the namespace's inode number, 0 unread */
	/* with ->dev == 0: -ELOOP or -EBADMSG, the list of ->head */
	s32 err;
};

/* vmi_netns_walk()'s callbacks; @net may be NULL. */
struct vmi_netns_ops {
	int (*net)(void *ctx, const struct vmi_netns_pos *p);
	int (*dev)(void *ctx, const struct vmi_netns_pos *p);
	int (*bad)(void *ctx, const struct vmi_netns_pos *p);
};

bool vmi_netns_layout_ok(const struct vmi_netns_layout *l);

/*
 * Calls @ops->net for every namespace, then @ops->dev for each of its
 * devices, and @ops->bad for a namespace or device list that does not
 * end (-ELOOP, -EBADMSG; the devices before the bad node were seen).
 */
int vmi_netns_walk(const struct vmi_read_ops *r,
		   const struct vmi_netns_layout *l,
		   const struct vmi_netns_ops *ops, void *ctx);

/* The pointers of a device netdev-hook reads (struct vmi_netdev_layout.off) */
enum vmi_netdev_ptr {
	VMI_ND_RX_HANDLER,
	VMI_ND_RX_DATA,
	VMI_ND_NETDEV_OPS,
	VMI_ND_ETHTOOL_OPS,
	VMI_ND_HEADER_OPS,
	VMI_ND_XDP_SKB,		/* xdp_state[XDP_MODE_SKB].prog */
	VMI_ND_XDP_SKB_LINK,	/* ... .link */
	VMI_ND_XDP_DRV,
	VMI_ND_XDP_DRV_LINK,
	VMI_ND_XDP_HW,
	VMI_ND_XDP_HW_LINK,
	VMI_ND_PTRS,
};

struct vmi_netdev_layout {
	struct vmi_netns_layout ns;
	u32 off[VMI_ND_PTRS];	/* in struct net_device */
	u32 has;		/* BIT(VMI_ND_*): the kernel has off[] */
};

#define VMI_ND_HAS_ALL		((1U << VMI_ND_PTRS) - 1)

/* A device's pointers, or (->err) a namespace or device list not walked. */
struct vmi_netdev_hook {
	struct vmi_netns_pos pos;
	u64 ptr[VMI_ND_PTRS];	/* 0: NULL, unread or not in the layout */
	u32 read;		/* BIT(VMI_ND_*): ptr[] read */
	u32 pad;
};

typedef int (*vmi_netdev_fn)(void *ctx, const struct vmi_netdev_hook *h);

bool vmi_netdev_layout_ok(const struct vmi_netdev_layout *l);

/* Calls @fn for every device of every namespace, and every bad list. */
int vmi_netdev_walk(const struct vmi_read_ops *r,
		    const struct vmi_netdev_layout *l, vmi_netdev_fn fn,
		    void *ctx);

#endif /* VMI_NETDEVWALK_H */
