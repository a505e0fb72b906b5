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

/*
 * ---- netdev-hook's traffic control: a device's qdiscs and filters ----
 *
 * Every packet a device sends goes through its root qdisc (dev->qdisc:
 * __dev_xmit_skb() calls the struct Qdisc's own enqueue and dequeue
 * pointers, copied from its Qdisc_ops at creation); the qdiscs under it
 * (a classful qdisc's children, mq's per-queue ones) are on the hash
 * table dev->qdisc_hash (Qdisc.hash). The ingress and clsact qdiscs sit
 * on dev->ingress_queue->qdisc_sleeping. Their filters run from a
 * mini_Qdisc: net_device.miniq_ingress/_egress before 6.6, since then
 * the struct tcx_entry (tcx.h) whose bundle holds the device's
 * tcx_ingress/_egress entry, with the tcx BPF programs themselves
 * (bpf_mprog_entry.fp_items[], their links in the bundle's cp_items[]).
 * A mini_Qdisc's filter_list is the chain of struct tcf_proto (->next,
 * NULL-terminated), each with its classify pointer, ops and root; a
 * cls_bpf filter's root is a struct cls_bpf_head whose plist links its
 * struct cls_bpf_prog (cls_bpf.c, a module: not in the kernel's BTF;
 * VMI_CLS_BPF_* below, the same in 6.1 and 6.12, the caller confirms
 * each program by its aux->prog back pointer).
 *
 * Bounds: VMI_TC_QDISCS_MAX qdiscs on the hash, VMI_TC_FILTERS_MAX
 * filters on a chain, VMI_TC_CLS_BPF_MAX programs on a cls_bpf filter,
 * VMI_TC_TCX_MAX tcx programs; a list that does not end, or a pointer
 * that cannot be read, is passed to the callback as VMI_TC_BAD (->err),
 * and the walk goes on with the next list.
 */
#define VMI_TC_QDISCS_MAX	4096	/* on one device's qdisc_hash */
#define VMI_TC_HASH_MAX		64	/* its buckets (16 in 6.1, 6.12) */
#define VMI_TC_FILTERS_MAX	1024	/* tcf_protos of one chain */
#define VMI_TC_CLS_BPF_MAX	1024	/* programs of one cls_bpf filter */
#define VMI_TC_TCX_MAX		64	/* BPF_MPROG_MAX */
#define VMI_CLS_BPF_PLIST	0	/* offsetof(struct cls_bpf_head, plist) */
#define VMI_CLS_BPF_LINK	8	/* offsetof(struct cls_bpf_prog, link) */
#define VMI_CLS_BPF_FILTER	0	/* offsetof(struct cls_bpf_prog, filter) */

/* What the kernel has (struct vmi_tc_layout.has) */
enum vmi_tc_has {
	VMI_TC_HAS_ROOT,	/* dev_qdisc, q_* */
	VMI_TC_HAS_HASH,	/* dev_qdisc_hash, nr_hash, q_hash */
	VMI_TC_HAS_INGRESS,	/* dev_ingress_queue, txq_qdisc */
	VMI_TC_HAS_MINIQ,	/* dev_miniq[] (before 6.6) */
	VMI_TC_HAS_TCX,		/* dev_tcx[], me_*, bundle_cp, te_* */
	VMI_TC_HAS_FILTERS,	/* mq_filters, tp_*, ops_kind */
	VMI_TC_HAS_NR,
};

#define VMI_TC_HAS_ALL		((1U << VMI_TC_HAS_NR) - 1)

struct vmi_tc_layout {
	u32 has;		/* BIT(VMI_TC_HAS_*) */
	u32 dev_qdisc;		/* net_device.qdisc */
	u32 dev_qdisc_hash;	/* net_device.qdisc_hash[] */
	u32 nr_hash;		/* its hlist_heads, at most VMI_TC_HASH_MAX */
	u32 dev_ingress_queue;	/* net_device.ingress_queue */
	u32 txq_qdisc;		/* netdev_queue.qdisc_sleeping */
	u32 q_enqueue, q_dequeue, q_ops, q_hash;	/* struct Qdisc */
	u32 dev_miniq[2];	/* net_device.miniq_ingress, _egress */
	u32 dev_tcx[2];		/* net_device.tcx_ingress, _egress */
	u32 me_fp;		/* bpf_mprog_entry.fp_items (8 bytes each) */
	u32 me_parent;		/* bpf_mprog_entry.parent */
	u32 bundle_cp;		/* bpf_mprog_bundle.cp_items (8 bytes each) */
	u32 te_bundle, te_miniq;	/* struct tcx_entry */
	u32 mq_filters;		/* mini_Qdisc.filter_list */
	u32 tp_next;		/* tcf_proto.next: 0 (the walk needs it first) */
	u32 tp_root, tp_classify, tp_ops;
	u32 ops_kind;		/* tcf_proto_ops.kind */
};

/* What a struct vmi_tc_item is. */
enum vmi_tc_kind {
	VMI_TC_QDISC,		/* the root qdisc */
	VMI_TC_QDISC_CHILD,	/* a qdisc on qdisc_hash */
	VMI_TC_QDISC_INGRESS,	/* the ingress or clsact qdisc */
	VMI_TC_FILTER,		/* a tcf_proto of a mini_Qdisc's chain */
	VMI_TC_CLS_BPF,		/* a program of a cls_bpf filter */
	VMI_TC_TCX,		/* a tcx program */
	VMI_TC_BAD,		/* ->err: the list or pointer at ->obj */
};

/*
 * One qdisc (obj: struct Qdisc, ops, fn[]: enqueue, dequeue), filter
 * (obj: struct tcf_proto, ops, fn[0]: classify), cls_bpf program (obj:
 * struct bpf_prog, ops: its tcf_proto) or tcx program (obj: struct
 * bpf_prog, link: its bpf_link, 0 for none) of device @dev; @dir 0
 * ingress, 1 egress for filters and programs.
 */
struct vmi_tc_item {
	u64 dev;
	u64 obj;
	u64 ops;
	u64 fn[2];
	u64 link;
	u32 kind;		/* VMI_TC_* */
	u32 dir;
	s32 err;		/* VMI_TC_BAD: -ELOOP, -EBADMSG, a read's */
	u32 pad;
};

typedef int (*vmi_tc_fn)(void *ctx, const struct vmi_tc_item *it);

bool vmi_tc_layout_ok(const struct vmi_tc_layout *l);

/*
 * Calls @fn for each qdisc, filter and tc program of the device @dev
 * that @l's members reach, and for each list that does not end. Returns
 * 0, -EINVAL (a bad layout) or what @fn returns.
 */
int vmi_tc_walk(const struct vmi_read_ops *r, const struct vmi_tc_layout *l,
		u64 dev, vmi_tc_fn fn, void *ctx);

/* ---- vmiaas.ko's netdev-hook: a record's policy and its judgement ---- */

#define VMI_ND_TABLES		3	/* netdev_ops, ethtool_ops, header_ops */
#define VMI_ND_TABLE_BYTES	1024	/* of a table: where its functions are */
#define VMI_ND_RANGES_MAX	13	/* function and table ranges together */
#define VMI_ND_TOTAL_MAX	65536	/* devices of all namespaces, a walk */
#define VMI_ND_SEEN		8	/* tables judged clean, not read again */
#define VMI_ND_NAME		16	/* IFNAMSIZ */

/* What a bad suspect is, beyond a table (VMI_ND_NETDEV_OPS...) */
enum vmi_netdev_bad {
	VMI_ND_BAD_DEV = 16,	/* a struct net_device that cannot be read */
	VMI_ND_BAD_NETNS,	/* net_namespace_list does not end */
	VMI_ND_BAD_DEVS,	/* a namespace's device list does not end */
	VMI_ND_BAD_TOTAL,	/* over VMI_ND_TOTAL_MAX devices in all */
};

/* A record's struct vmiaas_netdev_check, validated, in the core's form. */
struct vmi_netdev_policy {
	struct vmi_netdev_layout l;	/* no XDP: rx_handler to header_ops */
	u32 dev_name;			/* offsetof(struct net_device, name) */
	u32 size[VMI_ND_TABLES];	/* bytes read of a table: 0 none */
	u64 fns[VMI_ND_TABLES][VMI_ND_TABLE_BYTES / 8 / 64];
	u32 nr_allow, nr_ro;
	struct vmi_range allow[VMI_ND_RANGES_MAX];	/* a function's */
	struct vmi_range ro[VMI_ND_RANGES_MAX];	/* a table's */
};

struct vmiaas_netdev_check;

/*
 * @nc (of the uapi, type VMIAAS_CHECK_NETDEV_GVA, @net_head its addr) in
 * the core's form, as vmiaas.ko registers it and vmid's policy runner
 * replays it: -EINVAL for any field out of its bounds (see the uapi).
 */
int vmi_netdev_policy_of(const struct vmiaas_netdev_check *nc, u64 net_head,
			 struct vmi_netdev_policy *p);

/* A function outside the ranges, a table outside them, what is bad. */
struct vmi_netdev_suspect {
	u64 dev;		/* the struct net_device, 0: a list */
	u64 where;		/* the table; a bad list's head */
	u64 value;		/* the function, or the table */
	u64 data;		/* with the rx_handler: rx_handler_data */
	u32 netns;		/* the namespace's inode number */
	u32 point;		/* VMI_ND_RX_HANDLER, _NETDEV_OPS..., VMI_ND_BAD_* */
	u32 off;		/* a table's function: its offset */
	s32 err;		/* 0: a function; else why it is bad */
	char name[VMI_ND_NAME];	/* the device's, as read (no NUL needed) */
};

struct vmi_netdev_suspects {
	u64 nr;
	struct vmi_netdev_suspect first;
};

/* vmi_netdev_suspects()'s buffers (1 KiB: not for a kernel stack). */
struct vmi_netdev_scratch {
	u8 table[VMI_ND_TABLE_BYTES];
	u64 seen[VMI_ND_SEEN];	/* tables found clean in this walk */
	u32 nr_seen;
	u32 devs;		/* devices walked */
};

/*
 * The module's judgement of every device (vmiaas.ko, and userspace's run
 * of the same record): an rx_handler outside @p's function ranges, a
 * table outside its table ranges, a table's function outside the function
 * ranges, a device or table that cannot be read, a list that does not end
 * and more than VMI_ND_TOTAL_MAX devices (the walk stops there) are
 * suspects; the first is kept with its device's name. A table found clean
 * is not read again in the same walk. Errors: vmi_netdev_walk()'s.
 */
int vmi_netdev_suspects(const struct vmi_read_ops *r,
			const struct vmi_netdev_policy *p,
			struct vmi_netdev_scratch *s,
			struct vmi_netdev_suspects *ret);

struct vmiaas_found;

/*
 * The first suspect of @s as the uapi's struct vmiaas_found names it
 * (VMIAAS_FOUND_NETDEV_*); ->check and what @f held before are left.
 */
void vmi_netdev_found(const struct vmi_netdev_suspects *s,
		      struct vmiaas_found *f);

#endif /* VMI_NETDEVWALK_H */
