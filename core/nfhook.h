/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * netfilter-hook's execution, shared by vmiaas.ko and userspace: every
 * function on every netfilter hook point of every network namespace.
 *
 * nf_register_net_hook() puts a function on a hook point of a namespace:
 * net->nf.hooks_ipv4[], hooks_ipv6[], hooks_arp[], hooks_bridge[], and
 * per device nf_hooks_ingress and nf_hooks_egress. Each point is a pointer
 * to a struct nf_hook_entries: a u16 count, then that many { hook, priv }
 * pairs of u64. The layout (offsets, which families and device points
 * exist) is the caller's, from the guest's BTF; so is the judgement of a
 * hook (vmi_nf_allowed() for a list of allowed ranges).
 *
 * Bounds: namespaces and devices are walked with vmi_list_walk() (caps
 * @max_netns and @max_devs, cycle detection); a point with more than
 * VMI_NF_HOOKS_MAX hooks (the kernel's MAX_HOOK_COUNT) is not read. What
 * cannot be walked is passed to the callback as a bad point (->err), not
 * returned: a guest must not turn the check off by corrupting a list.
 * Errors returned: -EINVAL (a bad layout), the read error of the
 * namespace list's head or of a list node's next pointer, and what the
 * callback returns.
 */
#ifndef VMI_NFHOOK_H
#define VMI_NFHOOK_H

#include "klist.h"

#define VMI_NF_FAMILIES		4	/* ipv4, ipv6, arp, bridge */
#define VMI_NF_POINTS_MAX	8	/* hook points of one family */
#define VMI_NF_HOOKS_MAX	1024	/* MAX_HOOK_COUNT */
#define VMI_NF_OFFSET_MAX	VMI_OFFSET_MAX	/* in struct net(_device) */

/* ->family of a struct vmi_nf_hook beyond the VMI_NF_FAMILIES indexes */
#define VMI_NF_INGRESS		4	/* a device's nf_hooks_ingress */
#define VMI_NF_EGRESS		5	/* a device's nf_hooks_egress */
#define VMI_NF_NETNS_LIST	6	/* net_namespace_list itself */
#define VMI_NF_DEV_LIST		7	/* a namespace's device list */

/* struct vmi_nf_layout.flags */
#define VMI_NF_HAS_INGRESS	(1U << 0)
#define VMI_NF_HAS_EGRESS	(1U << 1)

struct vmi_nf_layout {
	u64 net_head;		/* &net_namespace_list */
	u32 net_list;		/* offsetof(struct net, list) */
	u32 net_inum;		/* offsetof(struct net, ns.inum) */
	u32 fam_off[VMI_NF_FAMILIES];	/* offsetof(struct net, nf.hooks_*) */
	u32 fam_nr[VMI_NF_FAMILIES];	/* points of each, 0: not built */
	u32 dev_base;		/* offsetof(struct net, dev_base_head) */
	u32 dev_list;		/* offsetof(struct net_device, dev_list) */
	u32 ingress, egress;	/* offsetof(struct net_device, nf_hooks_*) */
	u32 flags;		/* VMI_NF_HAS_* */
	u32 max_netns, max_devs;
};

/* A hook, or (->err) a point or list that cannot be walked. */
struct vmi_nf_hook {
	u64 net;		/* struct net (0 for VMI_NF_NETNS_LIST) */
	u64 dev;		/* struct net_device, 0 for a namespace point */
	u64 entries;		/* struct nf_hook_entries, or the list head */
	u64 fn;			/* the hook function (0 with ->err) */
	u32 netns;		/* the namespace's inode number, 0 unread */
	u32 family;		/* 0..3 (layout order), VMI_NF_INGRESS... */
	u32 point;		/* hook number within the family */
	u32 index;		/* the hook's place on its point */
	/*
	 * 0, or: -EFAULT unreadable, -E2BIG over VMI_NF_HOOKS_MAX,
	 * -ELOOP or -EBADMSG a corrupt list (vmi_list_walk())
	 */
	s32 err;
	u32 pad;
};

typedef int (*vmi_nf_fn)(void *ctx, const struct vmi_nf_hook *h);

/* Whether @l is plausible (offsets and counts under their caps). */
bool vmi_nf_layout_ok(const struct vmi_nf_layout *l);

/* Calls @fn for every hook and every bad point, namespace by namespace. */
int vmi_nf_walk(const struct vmi_read_ops *r, const struct vmi_nf_layout *l,
		vmi_nf_fn fn, void *ctx);


/* What vmi_nf_suspects() found. */
struct vmi_nf_suspects {
	u64 nr;				/* bad points and hooks not allowed */
	struct vmi_nf_hook first;	/* the first of them (if nr) */
};

/*
 * The module's judgement (vmiaas.ko, and userspace's run of the same
 * record): every bad point, and every hook outside the @nr_allow ranges
 * of @allow (the kernel's text and the text of the modules userspace
 * found hooking and untainted), is a suspect.
 */
int vmi_nf_suspects(const struct vmi_read_ops *r,
		    const struct vmi_nf_layout *l,
		    const struct vmi_range *allow, u32 nr_allow,
		    struct vmi_nf_suspects *ret);

#endif /* VMI_NFHOOK_H */
