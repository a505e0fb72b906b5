/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * net-protocol's walk: the transport protocol handlers IPv4 and IPv6
 * deliver every received packet to, after netfilter's PRE_ROUTING and
 * LOCAL_IN hooks; and, with the same walk, the socket layer's other
 * tables of pointers to structs of functions (see "Other tables" below).
 *
 * inet_add_protocol() and inet6_add_protocol() store a pointer to a
 * struct net_protocol (IPv6: struct inet6_protocol) in inet_protos[256]
 * (inet6_protos[256]), one slot per IP protocol number: writable data,
 * while the structs the kernel registers are const (6.9+: tcp's and
 * udp's live in the writable net_hotdata). ip_protocol_deliver_rcu() and
 * ip6_protocol_deliver_rcu() call the slot's handler; icmp_unreach() and
 * icmpv6_notify() its err_handler. Kernels before 5.x also had
 * early_demux and early_demux_handler. Which members exist and where is
 * the caller's (the guest's BTF); so is the judgement.
 *
 * Other tables: the same shape, an array of @slots pointers to structs
 * whose members include functions, one slot per index:
 *   - sock_diag_handlers[AF_MAX] (struct sock_diag_handler: dump,
 *     get_info, destroy): sock_diag_register(); NETLINK_SOCK_DIAG
 *     requests of family F (what ss sends) go to slot F's dump;
 *   - inet_rcv_compat (one slot, struct sock_diag_inet_compat: fn): the
 *     old NETLINK_INET_DIAG requests;
 *   - net_families[NPROTO] (struct net_proto_family: create):
 *     sock_register(); every socket() of family F calls slot F's create;
 *   - inet_offloads[256] and inet6_offloads[256] (struct net_offload:
 *     callbacks.gso_segment, gro_receive, gro_complete):
 *     inet_add_offload(); GRO calls slot P's gro_receive for every
 *     received packet of IP protocol P before the stack sees it, GSO its
 *     gso_segment for every packet segmented.
 *
 * Bounds: @slots slots (at most VMI_PROTO_SLOTS_MAX), each read once; a
 * slot that is neither 0 nor an aligned kernel-half pointer is passed as
 * bad (-EBADMSG), a struct whose functions cannot be read as bad
 * (-EFAULT), never followed further. Errors returned: -EINVAL (a bad
 * layout), the read error of the table, and what the callback returns.
 */
#ifndef VMI_PROTOWALK_H
#define VMI_PROTOWALK_H

#include "klist.h"

#define VMI_PROTO_SLOTS		256	/* MAX_INET_PROTOS */
#define VMI_PROTO_SLOTS_MAX	512	/* IPPROTO_MAX is 263, AF_MAX 46 */
/* net_protocol: handler, err_handler, early_demux(_handler); at most 8 */
#define VMI_PROTO_FNS		8

/* struct vmi_proto_layout.flags */
#define VMI_PROTO_HAS_FN(i)	(1U << (i))	/* fn_off[i] is valid */
#define VMI_PROTO_FLAGS_ALL	(VMI_PROTO_HAS_FN(VMI_PROTO_FNS) - 1)

struct vmi_proto_layout {
	u64 table;			/* &inet_protos[0], &inet6_protos[0] */
	u32 fn_off[VMI_PROTO_FNS];	/* in struct net_protocol (inet6_) */
	u32 flags;			/* VMI_PROTO_HAS_*; FN(0) required */
	u32 slots;			/* 1 to VMI_PROTO_SLOTS_MAX */
};

/* One slot of the table: empty, a protocol's functions, or bad (->err). */
struct vmi_proto_slot {
	u64 prot;			/* the slot's value; 0: empty */
	u64 fn[VMI_PROTO_FNS];		/* 0: no such member, or NULL */
	u32 nr;				/* the protocol number (the index) */
	/*
	 * 0, or -EBADMSG ->prot not a kernel pointer, -EFAULT its
	 * functions unreadable (->fn all 0)
	 */
	s32 err;
};

typedef int (*vmi_proto_fn)(void *ctx, const struct vmi_proto_slot *s);

/*
 * Whether @l is plausible (offsets within bounds, handler present, 1 to
 * VMI_PROTO_SLOTS_MAX slots).
 */
bool vmi_proto_layout_ok(const struct vmi_proto_layout *l);

/* Calls @fn for each of the @l->slots slots, in order, empty ones too. */
int vmi_proto_walk(const struct vmi_read_ops *r,
		   const struct vmi_proto_layout *l, vmi_proto_fn fn,
		   void *ctx);

/*
 * The socket-level side: every struct proto on proto_list
 * (proto_register(): tcp_prot, udp_prot, raw_prot, tcpv6_prot..., and
 * modules' sctp_prot, l2tp_ip_prot...). Each is writable data in the
 * kernel (.data) or its module, and the socket layer calls its function
 * pointers (recvmsg, sendmsg, ioctl, getsockopt...) for every socket of
 * that protocol. The members judged are the caller's (every
 * pointer-to-function member BTF has). The list is walked with
 * vmi_list_walk() (cap @max); a list that does not end, or a struct
 * proto that cannot be read, is passed as bad (->err), not returned.
 * Errors returned: -EINVAL (a bad layout) and what the callback returns.
 */
#define VMI_PROT_FNS_MAX	64	/* struct proto has about 45 */
#define VMI_PROT_LIST_MAX	1024	/* struct protos on proto_list */

struct vmi_prot_layout {
	u64 head;			/* &proto_list */
	u32 node;			/* offsetof(struct proto, node) */
	u32 nr_fns;			/* 1 to VMI_PROT_FNS_MAX */
	u32 fn_off[VMI_PROT_FNS_MAX];	/* its function pointers */
	u32 max;			/* at most VMI_PROT_LIST_MAX */
};

/* A struct proto's function, or (->err) a bad list or struct proto. */
struct vmi_prot_hook {
	u64 prot;		/* 0 for a bad list */
	u64 fn;			/* 0 with ->err */
	u32 member;		/* fn_off[] index of ->fn */
	/*
	 * 0, or: -EFAULT the struct proto unreadable (->prot set); for the
	 * list: -ELOOP or -EBADMSG corrupt, or the read error of a node
	 */
	s32 err;
};

typedef int (*vmi_prot_fn)(void *ctx, const struct vmi_prot_hook *h);

bool vmi_prot_layout_ok(const struct vmi_prot_layout *l);

/*
 * Calls @fn for every non-NULL function of every struct proto. The same
 * walk reads offload_base (6.9+: net_hotdata.offload_base), the list of
 * struct packet_offload dev_add_offload() keeps by ethertype (node: its
 * list, fn_off[]: callbacks.gso_segment, gro_receive, gro_complete):
 * dev_gro_receive() calls the first entry of the packet's ethertype.
 */
int vmi_prot_walk(const struct vmi_read_ops *r,
		  const struct vmi_prot_layout *l, vmi_prot_fn fn, void *ctx);

/*
 * The same for the one struct at @prot (an inet_protosw's struct proto:
 * @l's ->fn_off[] and ->nr_fns; its list not walked): each non-NULL
 * function, or once ->err: -EBADMSG @prot not a kernel pointer, -EFAULT
 * unreadable. Errors returned: -EINVAL, what the callback returns.
 */
int vmi_prot_fns(const struct vmi_read_ops *r,
		 const struct vmi_prot_layout *l, u64 prot, vmi_prot_fn fn,
		 void *ctx);

/*
 * The inet_protosw lists socket() picks from: inetsw[SOCK_MAX] (IPv4)
 * and inetsw6[SOCK_MAX], static arrays of struct list_head, one list per
 * socket type. inet_create() (inet6_create()) takes the first entry of
 * list[type] whose protocol matches the caller's (or is the IPPROTO_IP
 * wildcard) and sets sock->ops = entry->ops, sk->sk_prot = entry->prot:
 * an entry's ops is every such socket's bind, accept, getname, recvmsg,
 * sendmsg... Entries are writable (the kernel's inetsw_array[],
 * tcpv6_protosw...; modules' sctp_stream_protosw...); the struct
 * proto_ops they point at is const. Each list is walked with
 * vmi_list_walk() (cap @max); an entry's ops functions are read (the
 * members the caller's BTF names).
 */
#define VMI_PROTOSW_LISTS_MAX	16	/* SOCK_MAX is 11 */
#define VMI_PROTOSW_MAX		256	/* entries on one list */
#define VMI_PROTOSW_FNS		48	/* struct proto_ops has about 27 */

struct vmi_protosw_layout {
	u64 table;			/* &inetsw[0] */
	u32 lists;			/* SOCK_MAX: 1 to VMI_PROTOSW_LISTS_MAX */
	u32 node;			/* offsetof(struct inet_protosw, list) */
	u32 type, protocol;		/* its u16 members' offsets */
	u32 prot, ops;			/* its pointers' offsets */
	u32 nr_fns;			/* 1 to VMI_PROTOSW_FNS */
	u32 fn_off[VMI_PROTOSW_FNS];	/* struct proto_ops's functions */
	u32 max;			/* at most VMI_PROTOSW_MAX */
};

/* An entry of list @list, or (->entry 0, ->err) a bad list. */
struct vmi_protosw_entry {
	u64 entry;			/* struct inet_protosw */
	u64 prot, ops;
	u64 fn[VMI_PROTOSW_FNS];	/* @ops's, fn_off[] order; 0: NULL */
	u32 list;			/* the index: the socket type */
	u16 type, protocol;
	/*
	 * 0, or: -EFAULT the entry unreadable (->entry set, the rest 0);
	 * for a bad list: -ELOOP or -EBADMSG corrupt, or the read error
	 */
	s32 err;
	/* 0, or -EBADMSG ->ops not a kernel pointer, -EFAULT unreadable */
	s32 ops_err;
};

typedef int (*vmi_protosw_fn)(void *ctx, const struct vmi_protosw_entry *e);

bool vmi_protosw_layout_ok(const struct vmi_protosw_layout *l);

/*
 * Calls @fn for every entry of each of the @l->lists lists, in order; a
 * bad list is passed as one bad entry and the next list walked.
 * Errors returned: -EINVAL (a bad layout) and what the callback returns.
 */
int vmi_protosw_walk(const struct vmi_read_ops *r,
		     const struct vmi_protosw_layout *l, vmi_protosw_fn fn,
		     void *ctx);
/* ---- vmiaas.ko's record (VMIAAS_CHECK_PROTO_GVA) ---- */

#define VMI_PROTO_TABLES	7	/* inet_protos ... inet6_offloads */
/* struct vmi_proto_first.table beyond the tables (the uapi's ->point) */
#define VMI_PROTO_AT_PROTOS	7	/* proto_list */
#define VMI_PROTO_AT_OFFLOADS	8	/* offload_base */
#define VMI_PROTO_AT_SW		9	/* inetsw[]; inetsw6[]: 10 */

/* Every walk of a record: what this kernel lacks has ->table (->head) 0. */
struct vmi_proto_set {
	struct vmi_proto_layout tables[VMI_PROTO_TABLES];
	struct vmi_prot_layout lists[2];	/* proto_list, offload_base */
	struct vmi_protosw_layout sw[2];	/* inetsw[], inetsw6[] */
};

struct vmiaas_proto_check;

/*
 * The walks of a net-protocol record of the uapi whose check's addr is
 * @addr, every field validated as vmiaas.ko validates it but the allowed
 * ranges (the caller's): -EINVAL for what the uapi header refuses.
 */
int vmi_proto_set_of(const struct vmiaas_proto_check *pc, u64 addr,
		     struct vmi_proto_set *ret);

/* What vmi_proto_suspects() found first. */
struct vmi_proto_first {
	u64 prot;		/* the struct; 0: the list */
	u64 fn;			/* 0 with ->err */
	u64 entry;		/* inetsw: the struct inet_protosw */
	u32 table;		/* 0 to 6, VMI_PROTO_AT_* */
	u32 nr;			/* the slot; inetsw: the socket type */
	u32 off;		/* the function's offset in the struct */
	s32 err;
	bool sk_prot;		/* inetsw: ->prot the entry's struct proto */
};

struct vmi_proto_suspects {
	u64 nr;
	struct vmi_proto_first first;
};

/*
 * The module's judgement (vmiaas.ko, and userspace's run of the same
 * record) of @set: every function that is not NULL and lies outside the
 * @nr_allow ranges of @allow (in a table's structs, the structs on
 * proto_list and offload_base, an inet_protosw's proto_ops and struct
 * proto, this one with proto_list's layout), every slot, entry or struct
 * that is not a kernel pointer or cannot be read, an entry whose type is
 * not its list's and a list that cannot be walked is a suspect.
 * Errors: the walks' (-EINVAL a bad layout, a table unreadable).
 */
int vmi_proto_suspects(const struct vmi_read_ops *r,
		       const struct vmi_proto_set *set,
		       const struct vmi_range *allow, u32 nr_allow,
		       struct vmi_proto_suspects *ret);

struct vmiaas_found;

/* The first suspect of @s as VMIAAS_FOUND_PROTO_*; ->check left. */
void vmi_proto_found(const struct vmi_proto_suspects *s,
		     struct vmiaas_found *f);

#endif /* VMI_PROTOWALK_H */
