/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * packet-tap's execution, shared by vmiaas.ko and userspace: every
 * packet handler the receive path calls before netfilter.
 *
 * dev_add_pack() puts a struct packet_type on a list the kernel walks
 * for every packet: ETH_P_ALL taps on ptype_all (6.1: a global list;
 * 6.9+: net_hotdata.ptype_all), one protocol on ptype_base[16], each
 * device's ptype_all and ptype_specific, and on newer kernels each
 * namespace's net->ptype_all and ptype_specific. Each packet_type holds
 * up to three function pointers (func, list_func, id_match). The layout
 * (offsets, list heads, which members and lists exist) is the caller's,
 * from the guest's BTF and symbols; so is the judgement of a function
 * (vmi_ptype_suspects() for a list of allowed ranges).
 *
 * Bounds: namespaces and devices are walked with vmi_list_walk() (caps
 * @max_netns and @max_devs); each packet-type list with at most
 * @max_list nodes, and all of them together with at most @max_total
 * (then the list is passed as bad with -E2BIG and no packet type is read
 * any more; namespace and device lists are still walked). What cannot be
 * walked or read is passed to the callback as a bad list or packet type
 * (->err), not returned: a guest must not turn the check off by
 * corrupting a list. Errors returned: -EINVAL (a bad layout), the read
 * error of the namespace list's head or of a namespace or device list
 * node's next pointer, and what the callback returns.
 */
#ifndef VMI_PTYPEWALK_H
#define VMI_PTYPEWALK_H

#include "netdevwalk.h"

#define VMI_PT_FNS		3	/* func, list_func, id_match */
#define VMI_PT_HASH		16	/* ptype_base[] (PTYPE_HASH_SIZE) */
#define VMI_PT_LIST_MAX		16384	/* packet types on one list */
#define VMI_PT_TOTAL_MAX	65536	/* on all lists of one walk */

/* struct vmi_ptype_layout.flags */
#define VMI_PT_HAS_FN(i)	(1U << (i))	/* fn_off[i] is valid */
#define VMI_PT_HAS_NET_LISTS	(1U << VMI_PT_FNS)	/* net->ptype_* */
#define VMI_PT_FLAGS_ALL	((VMI_PT_HAS_NET_LISTS << 1) - 1)

/* struct vmi_ptype_hook.list: which list */
#define VMI_PT_ALL		0	/* ptype_all (or net_hotdata's) */
#define VMI_PT_BASE		1	/* ptype_base[->bucket] */
#define VMI_PT_NET_ALL		2	/* net->ptype_all */
#define VMI_PT_NET_SPECIFIC	3	/* net->ptype_specific */
#define VMI_PT_DEV_ALL		4	/* dev->ptype_all */
#define VMI_PT_DEV_SPECIFIC	5	/* dev->ptype_specific */
#define VMI_PT_NETNS_LIST	6	/* net_namespace_list itself */
#define VMI_PT_DEV_LIST		7	/* a namespace's device list */

struct vmi_ptype_layout {
	u64 all;		/* &ptype_all, &net_hotdata.ptype_all, 0 */
	u64 base;		/* &ptype_base[0] */
	u64 net_head;		/* &net_namespace_list */
	u32 net_list;		/* offsetof(struct net, list) */
	u32 net_inum;		/* offsetof(struct net, ns.inum) */
	u32 net_all, net_specific;	/* ... ptype_all, ptype_specific */
	u32 dev_base;		/* offsetof(struct net, dev_base_head) */
	u32 dev_list;		/* offsetof(struct net_device, dev_list) */
	u32 dev_all, dev_specific;	/* ... ptype_all, ptype_specific */
	u32 pt_list, pt_type;	/* offsetof(struct packet_type, list, type) */
	u32 fn_off[VMI_PT_FNS];	/* ... func, list_func, id_match */
	u32 flags;		/* VMI_PT_HAS_*; VMI_PT_HAS_FN(0) required */
	u32 max_netns, max_devs;
	u32 max_list;		/* at most VMI_PT_LIST_MAX */
	u32 max_total;		/* at most VMI_PT_TOTAL_MAX */
};

/* A packet type's function, or (->err) a list or packet type not read. */
struct vmi_ptype_hook {
	u64 net;		/* the list's namespace, 0: a global list */
	u64 dev;		/* the list's device, 0: not a device's */
	u64 head;		/* the list */
	u64 pt;			/* struct packet_type, 0 for a bad list */
	u64 fn;			/* the function (0 with ->err) */
	u32 netns;		/* the namespace's inode number, 0 unread */
	u32 list;		/* VMI_PT_* */
	u32 bucket;		/* with VMI_PT_BASE: ptype_base[] index */
	u32 member;		/* fn_off[] index of ->fn */
	u16 type;		/* packet_type.type as stored (big-endian) */
	u16 pad;
	/*
	 * 0, or: -EFAULT the packet type's function unreadable (->pt set);
	 * for a list: -E2BIG over max_total, -ELOOP or -EBADMSG corrupt
	 * (vmi_list_walk()), or the read error of one of its nodes
	 */
	s32 err;
};

typedef int (*vmi_ptype_fn)(void *ctx, const struct vmi_ptype_hook *h);

/* Whether @l is plausible (offsets and caps within bounds). */
bool vmi_ptype_layout_ok(const struct vmi_ptype_layout *l);

/*
 * Calls @fn for every function of every packet type and every bad list
 * or packet type: the global lists, then namespace by namespace its own
 * lists and its devices'.
 */
int vmi_ptype_walk(const struct vmi_read_ops *r,
		   const struct vmi_ptype_layout *l, vmi_ptype_fn fn,
		   void *ctx);

/* What vmi_ptype_suspects() found. */
struct vmi_ptype_suspects {
	u64 nr;				/* bad ones, functions not allowed */
	struct vmi_ptype_hook first;	/* the first of them (if nr) */
};

/*
 * The module's judgement (vmiaas.ko, and userspace's run of the same
 * record): every bad list or packet type, and every function outside
 * the @nr_allow ranges of @allow, is a suspect.
 */
int vmi_ptype_suspects(const struct vmi_read_ops *r,
		       const struct vmi_ptype_layout *l,
		       const struct vmi_range *allow, u32 nr_allow,
		       struct vmi_ptype_suspects *ret);

#endif /* VMI_PTYPEWALK_H */
