// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * net-protocol: the transport protocol handlers of IPv4 and IPv6, and the
 * socket layer's tables of functions.
 *
 * IP hands every packet addressed to the host to the handler in
 * inet_protos[protocol] (IPv6: inet6_protos[]), a writable array of
 * pointers to const structs (core/protowalk.h). A magic-packet backdoor
 * can take over a protocol there instead of hooking netfilter or tapping
 * packets: inet_del_protocol(&icmp_protocol, IPPROTO_ICMP), then
 * inet_add_protocol() of its own struct whose handler looks for the
 * trigger and calls icmp_rcv() for the rest; or it writes the slot, or
 * claims a protocol number nothing uses. No text and no read-only data
 * changes.
 *
 * Two rules for the tables:
 *   - each protocol the kernel registers itself at boot (icmp, igmp, tcp,
 *     udp, udplite, pim; ipv6's tcp, udp, icmpv6, udplite, pim and the
 *     extension headers) has one right slot value, the address of the
 *     kernel's own struct (named in its symbols; 6.9+: the member of
 *     net_hotdata): anything else, empty included, is critical. This
 *     needs no baseline: the kernel never unregisters them.
 *   - every handler and err_handler of every slot through hookpolicy.h's
 *     rules: kernel text nothing, an untainted module (gre, sctp, l2tp,
 *     ipip's tunnel4...) an event, a module tainted P, F, O or E high
 *     (trusted while unchanged if present at baseline), anywhere else
 *     critical. A slot that is not a kernel pointer, or whose struct
 *     cannot be read, is critical.
 * And the socket side: every function pointer (BTF's members) of every
 * struct proto on proto_list (tcp_prot, udp_prot...: writable .data; a
 * rootkit's udp_prot.recvmsg filter) through the same rules, tcp_prot
 * required on the list.
 * And the socket layer's tables, with the same walk and rules: the slots
 * of sock_diag_handlers[] (what ss asks through NETLINK_SOCK_DIAG: a
 * connection hider for ss wraps AF_INET's dump) and inet_rcv_compat,
 * each filled only by one diag module (inet_diag, unix_diag...: Debian's
 * are all modules, loaded on demand), so a filled slot must hold that
 * module's own struct (its symbol table) or is critical; and the slots of
 * net_families[] (each socket()'s create), the kernel's unix, inet,
 * inet6, netlink and packet families on their own structs as for
 * inet_protos.
 * The walks are core/protowalk.c's; this file resolves the layout from BTF
 * and symbols and judges, and builds vmiaas.ko's record (type 15: every
 * function by where it lies; which struct a slot must hold stays here).
 * What a scan reports is confirmed by a second one (check_confirmed()).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/btf.h>

#include "uapi/linux/vmiaas.h"
#include "checks.h"
#include "hidden.h"
#include "hookpolicy.h"
#include "../../core/protowalk.h"

#define NP_TABLES	7
#define NP_OWN_MAX	9	/* the longest own list: np_own6 */
#define NP_SOCK_MAX	11	/* SOCK_MAX: SOCK_PACKET + 1, 6.1 to 6.12 */
#define NP_AF_MAX	46	/* AF_MAX, NPROTO: 6.1 to 6.12 (AF_MCTP 45) */

/* The members of struct net_protocol judged as code (fn_off[] order). */
static const char *const np_fns[] = {
	"handler", "err_handler", "early_demux", "early_demux_handler",
};
static const char *const np_diag_fns[] = { "dump", "get_info", "destroy" };
static const char *const np_compat_fns[] = { "fn" };
static const char *const np_family_fns[] = { "create" };
static const char *const np_offload_fns[] = {
	"callbacks.gso_segment", "callbacks.gro_receive",
	"callbacks.gro_complete",
};
static_assert(ARRAY_SIZE(np_fns) <= VMI_PROTO_FNS, "np_fns");
static_assert(ARRAY_SIZE(np_diag_fns) <= VMI_PROTO_FNS, "np_diag_fns");

/*
 * An entry the kernel registers itself at boot, or (@module) that only
 * one of its modules registers, and the struct it registers.
 */
struct np_own {
	u8 nr;
	const char *name;	/* in objects and messages */
	const char *sym;	/* a symbol, or a member of net_hotdata */
	const char *module;	/* NULL: the kernel's; else in @module */
	bool ipv6;		/* registered by IPv6's init */
};

static const struct np_own np_own4[] = {
	{ 1, "icmp", "icmp_protocol" },
	{ 2, "igmp", "igmp_protocol" },
	{ 6, "tcp", "tcp_protocol" },
	{ 17, "udp", "udp_protocol" },
	{ 103, "pim", "pim_protocol" },
	{ 136, "udplite", "udplite_protocol" },
};

static const struct np_own np_own6[] = {
	{ 6, "tcp", "tcpv6_protocol", NULL, true },
	{ 17, "udp", "udpv6_protocol", NULL, true },
	{ 43, "routing", "rthdr_protocol", NULL, true },
	{ 44, "fragment", "frag_protocol", NULL, true },
	{ 58, "icmpv6", "icmpv6_protocol", NULL, true },
	{ 59, "none", "nodata_protocol", NULL, true },
	{ 60, "dstopts", "destopt_protocol", NULL, true },
	{ 103, "pim", "pim6_protocol", NULL, true },
	{ 136, "udplite", "udplitev6_protocol", NULL, true },
};
static_assert(ARRAY_SIZE(np_own6) <= NP_OWN_MAX, "np_own6");

/* Debian builds every socket diagnostics module as a module. */
static const struct np_own np_own_diag[] = {
	{ 1, "unix", "unix_diag_handler", "unix_diag" },
	{ 2, "inet", "inet_diag_handler", "inet_diag" },
	{ 10, "inet6", "inet6_diag_handler", "inet_diag" },
	{ 16, "netlink", "netlink_diag_handler", "netlink_diag" },
	{ 17, "packet", "packet_diag_handler", "af_packet_diag" },
};

static const struct np_own np_own_compat[] = {
	{ 0, "inet", "inet_diag_compat", "inet_diag" },
};

static const struct np_own np_own_family[] = {
	{ 1, "unix", "unix_family_ops" },
	{ 2, "inet", "inet_family_ops" },
	{ 10, "inet6", "inet6_family_ops", NULL, true },
	{ 16, "netlink", "netlink_family_ops" },
	{ 17, "packet", "packet_family_ops" },
};

/*
 * The GRO/GSO offloads the kernel registers itself at boot (6.9+: tcp's
 * and udp's in net_hotdata): inet_offloads[] by ipv4_offload_init(),
 * gre_offload_init() and ipv6_offload_init() (sit), inet6_offloads[] by
 * ipv6_offload_init() (the extension headers; hbh 6.10+), gre and
 * inet6_init() (udp: not with ipv6.disable=1).
 */
static const struct np_own np_own_off4[] = {
	{ 4, "ipip", "ipip_offload" },
	{ 6, "tcp", "tcpv4_offload" },
	{ 17, "udp", "udpv4_offload" },
	{ 41, "ipv6", "sit_offload" },
	{ 47, "gre", "gre_offload" },
};

static const struct np_own np_own_off6[] = {
	{ 0, "hopopts", "hbh_offload" },
	{ 4, "ipip", "ip4ip6_offload" },
	{ 6, "tcp", "tcpv6_offload" },
	{ 17, "udp", "udpv6_offload", NULL, true },
	{ 41, "ipv6", "ip6ip6_offload" },
	{ 43, "routing", "rthdr_offload" },
	{ 47, "gre", "gre_offload" },
	{ 60, "dstopts", "dstopt_offload" },
};
static_assert(ARRAY_SIZE(np_own_off6) <= NP_OWN_MAX, "np_own_off6");

struct np_name {
	u8 nr;
	const char *name;
};

/* Names of other protocols modules register (for objects only). */
static const struct np_name np_names[] = {
	{ 4, "ipip" }, { 41, "ipv6" }, { 47, "gre" }, { 50, "esp" },
	{ 51, "ah" }, { 108, "comp" }, { 112, "vrrp" }, { 115, "l2tp" },
	{ 132, "sctp" }, { 33, "dccp" }, { 137, "mpls" }, { 0, NULL },
};

/* And of other address families. */
static const struct np_name np_af_names[] = {
	{ 3, "ax25" }, { 4, "ipx" }, { 5, "appletalk" }, { 9, "x25" },
	{ 15, "key" }, { 21, "rds" }, { 29, "can" }, { 30, "tipc" },
	{ 31, "bluetooth" }, { 38, "alg" }, { 40, "vsock" }, { 42, "qipcrtr" },
	{ 43, "smc" }, { 44, "xdp" }, { 45, "mctp" }, { 0, NULL },
};

/*
 * An inet_protosw the kernel registers itself at boot (inet_init(),
 * inet6_init(); mptcp from both): the entry, at @sym + @idx entries, and
 * the struct proto and proto_ops it points at. Its key (@type,
 * @protocol) belongs to no other entry.
 */
struct np_sw_own {
	u16 type, protocol;
	const char *name;
	const char *sym;
	u32 idx;
	const char *prot, *ops;
	bool ipv6;		/* not registered with ipv6.disable=1 */
};

static const struct np_sw_own np_sw_own4[] = {
	{ 1, 6, "tcp", "inetsw_array", 0, "tcp_prot", "inet_stream_ops" },
	{ 2, 17, "udp", "inetsw_array", 1, "udp_prot", "inet_dgram_ops" },
	{ 2, 1, "icmp", "inetsw_array", 2, "ping_prot", "inet_sockraw_ops" },
	{ 3, 0, "raw", "inetsw_array", 3, "raw_prot", "inet_sockraw_ops" },
	{ 2, 136, "udplite", "udplite4_protosw", 0, "udplite_prot",
	  "inet_dgram_ops" },
	{ 1, 262, "mptcp", "mptcp_protosw", 0, "mptcp_prot",
	  "mptcp_stream_ops" },
};

static const struct np_sw_own np_sw_own6[] = {
	{ 1, 6, "tcp", "tcpv6_protosw", 0, "tcpv6_prot", "inet6_stream_ops",
	  true },
	{ 2, 17, "udp", "udpv6_protosw", 0, "udpv6_prot", "inet6_dgram_ops",
	  true },
	{ 2, 58, "icmpv6", "pingv6_protosw", 0, "pingv6_prot",
	  "inet6_sockraw_ops", true },
	{ 3, 0, "raw", "rawv6_protosw", 0, "rawv6_prot", "inet6_sockraw_ops",
	  true },
	{ 2, 136, "udplite", "udplite6_protosw", 0, "udplitev6_prot",
	  "inet6_dgram_ops", true },
	{ 1, 262, "mptcp", "mptcp_v6_protosw", 0, "mptcp_v6_prot",
	  "mptcp_v6_stream_ops", true },
};

#define NP_SW_OWN_MAX	6

/* Where an own entry is in this kernel: all 0 if it has none. */
struct np_sw_at {
	u64 entry, prot, ops;
	bool seen;
};

/* inetsw[] or inetsw6[]. */
struct np_sw {
	const char *table;
	const struct np_sw_own *own;
	u32 nr_own;
	struct np_sw_at at[NP_SW_OWN_MAX];
	struct vmi_protosw_layout l;
	bool present;
};

/* A packet_offload the kernel puts on offload_base at boot. */
struct np_po_own {
	u16 type;		/* the ethertype */
	const char *name;
	const char *sym;	/* a symbol, or a member of net_hotdata */
	u32 idx;		/* in an array @sym */
};

static const struct np_po_own np_po_own[] = {
	{ 0x0800, "ip", "ip_packet_offload" },
	{ 0x86dd, "ipv6", "ipv6_packet_offload" },
	{ 0x6558, "teb", "eth_packet_offload" },
	{ 0x8100, "8021q", "vlan_packet_offloads", 0 },
	{ 0x88a8, "8021ad", "vlan_packet_offloads", 1 },
};

#define NP_PO_OWN	ARRAY_SIZE(np_po_own)

/* A table of pointers to structs of functions (core/protowalk.h). */
struct np_table {
	const char *name;		/* objects: "ipv4 1 (icmp)" */
	const char *table;		/* "inet_protos" */
	const char *type;		/* "net_protocol" */
	const char *const *fns;		/* its members judged, fn_off[] order */
	u32 nr_fns;
	u32 slots;
	const struct np_own *own;
	u32 nr_own;
	const struct np_name *names;
	const char *why;		/* an own entry not on its struct */
	bool optional;			/* no fns[0] in BTF: skipped */
	u64 own_at[NP_OWN_MAX];		/* 0: not in this kernel */
	struct vmi_proto_layout l;
	bool present;
};

struct np_walk {
	struct hook_scan h;		/* first: hookpolicy.h's hook_check */
	struct vmiaas *v;
	struct np_table f[NP_TABLES];
	struct np_table *cur;
	/* struct proto on proto_list; pl.head 0: not in this kernel */
	struct vmi_prot_layout pl;
	const char *pl_fns[VMI_PROT_FNS_MAX];	/* member names (BTF's) */
	u32 pl_name;			/* offsetof(struct proto, name) */
	u64 tcp_prot;			/* &tcp_prot: must be on the list */
	bool tcp_seen;
	u64 last;			/* the struct proto last visited */
	u64 named;			/* the struct proto named in @pname */
	char pname[32];
	u64 prots[VMI_PROT_LIST_MAX];	/* those on proto_list */
	u32 nr_prots;
	/* the inet_protosw lists; sw_fns: struct proto_ops's (BTF's) */
	struct np_sw sw[2];
	const char *sw_fns[VMI_PROTOSW_FNS];
	struct np_sw *sw_cur;
	u64 ro_start, ro_end;		/* the kernel's rodata */
	/* offload_base; ol.head 0: not in this kernel */
	struct vmi_prot_layout ol;
	const char *ol_fns[ARRAY_SIZE(np_offload_fns)];
	u32 ol_type;			/* offsetof(packet_offload, type) */
	u64 ol_at[NP_PO_OWN];		/* 0: not in this kernel */
	bool ol_seen[NP_PO_OWN];
	u64 ol_last;			/* the packet_offload in @ol_object */
	char ol_object[HOOK_OBJECT];
	const struct np_po_own *ol_own;	/* @ol_last's type's, or NULL */
};

static const struct np_own *np_own_of(const struct np_table *f, u32 nr,
				      u32 *ret_i)
{
	u32 i;

	for (i = 0; i < f->nr_own; i++)
		if (f->own[i].nr == nr) {
			*ret_i = i;
			return &f->own[i];
		}
	return NULL;
}

/* "icmp", "gre" or "" for entry @nr of @f. */
static const char *np_name(const struct np_table *f, u32 nr)
{
	const struct np_name *n;
	u32 i;

	if (np_own_of(f, nr, &i))
		return f->own[i].name;
	for (n = f->names; n && n->name; n++)
		if (n->nr == nr)
			return n->name;
	return "";
}

/* "ipv4 1 (icmp)": the object of entry @nr of @f; a single slot: @f's name. */
static void np_object(const struct np_table *f, u32 nr, char *buf,
		      size_t size)
{
	const char *name = np_name(f, nr);

	if (f->slots == 1)
		snprintf(buf, size, "%s", f->name);
	else
		snprintf(buf, size, "%s %u%s%s%s", f->name, nr,
			 name[0] ? " (" : "", name, name[0] ? ")" : "");
}

/* "inet_protos[1]", or the pointer's name if the table is one slot. */
static void np_slot(const struct np_table *f, u32 nr, char *buf, size_t size)
{
	if (f->slots == 1)
		snprintf(buf, size, "%s", f->table);
	else
		snprintf(buf, size, "%s[%u]", f->table, nr);
}

/*
 * An own entry's slot not holding @at, the struct of its owner (0: its
 * module is not loaded, or has no such symbol).
 */
static void np_replaced(struct np_walk *w, const struct vmi_proto_slot *s,
			const char *object, const struct np_own *own, u64 at)
{
	char where[HOOK_WHERE], now[64], slot[32];

	if (s->prot)
		check_symbolize(w->v, s->prot, now, sizeof(now));
	else
		snprintf(now, sizeof(now), "nothing");
	np_slot(w->cur, s->nr, slot, sizeof(slot));
	if (!own->module)
		snprintf(where, sizeof(where), "%s holds %s, not %.32s", slot,
			 now, own->sym);
	else if (at)
		snprintf(where, sizeof(where), "%s holds %s, not [%.16s] %.24s",
			 slot, now, own->module, own->sym);
	else
		snprintf(where, sizeof(where), "%s holds %s, %.16s not loaded",
			 slot, now, own->module);
	hook_bad(&w->h, object, where, s->prot, w->cur->why);
}

/*
 * The struct @own's module registers: in the kernel if built in, else in
 * the module's symbols; 0 if the module is not loaded.
 */
static int np_module_own(struct vmiaas *v, const struct np_own *own,
			 u64 *ret)
{
	int err;

	if (!engine_sym(v, own->sym, ret))
		return 0;
	err = engine_module_sym(v, own->module, own->sym, ret);
	if (err == -ENOENT)
		*ret = 0;
	return err == -ENOENT ? 0 : err;
}

/* core/protowalk.c's callback: one slot, judged. */
static int np_visit(void *ctx, const struct vmi_proto_slot *s)
{
	struct np_walk *w = ctx;
	struct np_table *f = w->cur;
	const struct np_own *own;
	char object[HOOK_OBJECT], where[HOOK_WHERE], slot[32];
	bool named;
	u64 at = 0;
	u32 i;
	int err;

	own = np_own_of(f, s->nr, &i);
	if (own && !own->module)
		at = f->own_at[i];
	if (!s->prot && !at)
		return 0;
	for (i = 0, named = s->err || !s->prot || own; i < f->nr_fns; i++)
		named |= hook_judged(&w->h, s->fn[i]);
	if (!named)
		return 0;	/* nothing to judge, nothing to name */
	np_object(f, s->nr, object, sizeof(object));
	np_slot(f, s->nr, slot, sizeof(slot));
	if (own && own->module && s->prot) {
		err = np_module_own(w->v, own, &at);
		if (err)
			return engine_fail(w->v, err,
					   "net-protocol: %s's symbol %s is unreadable",
					   own->module, own->sym);
		if (s->prot != at)
			np_replaced(w, s, object, own, at);
	} else if (at && s->prot != at) {
		np_replaced(w, s, object, own, at);
	}
	if (!s->prot)
		return 0;
	if (s->err) {
		snprintf(where, sizeof(where), "%s (%s 0x%llx)", slot, f->type,
			 (unsigned long long)s->prot);
		hook_bad(&w->h, object, where, s->prot, s->err == -EBADMSG ?
			 "not a kernel pointer" : "its struct cannot be read");
		return 0;
	}
	for (i = 0; i < f->nr_fns; i++) {
		if (!hook_judged(&w->h, s->fn[i]))
			continue;
		snprintf(where, sizeof(where), "the %s of %s (%s 0x%llx)",
			 f->fns[i], slot, f->type, (unsigned long long)s->prot);
		hook_judge(w->v, &w->h, object, where, s->prot, s->fn[i]);
	}
	return 0;
}

/* core/protowalk.c's struct proto callback: a function or a bad one. */
static int np_prot_visit(void *ctx, const struct vmi_prot_hook *e)
{
	struct np_walk *w = ctx;
	char object[HOOK_OBJECT], where[HOOK_WHERE];

	if (!e->prot) {
		hook_bad(&w->h, "proto_list", "proto_list", w->pl.head,
			 "the list is corrupt (a cycle, a non-kernel or unreadable pointer, or over 1024 protocols)");
		return 0;
	}
	if (e->prot == w->tcp_prot)
		w->tcp_seen = true;
	if (e->prot != w->last) {
		w->last = e->prot;
		if (w->nr_prots < VMI_PROT_LIST_MAX)
			w->prots[w->nr_prots++] = e->prot;
	}
	if (!e->err && !hook_judged(&w->h, e->fn))
		return 0;
	if (w->named != e->prot) {	/* read once it is needed */
		w->named = e->prot;
		hook_string(w->v, e->prot + w->pl_name, w->pname,
			    sizeof(w->pname), "?");
	}
	snprintf(object, sizeof(object), "proto %s", w->pname);
	if (e->err) {
		snprintf(where, sizeof(where), "struct proto 0x%llx (%s)",
			 (unsigned long long)e->prot, w->pname);
		hook_bad(&w->h, object, where, e->prot, "it cannot be read");
		return 0;
	}
	snprintf(where, sizeof(where), "the %s of struct proto 0x%llx (%s)",
		 w->pl_fns[e->member], (unsigned long long)e->prot, w->pname);
	hook_judge(w->v, &w->h, object, where, e->prot, e->fn);
	return 0;
}

/* proto_list's struct protos; tcp_prot must be one of them. */
static int np_walk_prots(struct vmiaas *v, struct np_walk *w)
{
	struct vmi_read_ops r;
	int err;

	if (!w->pl.head)
		return 0;
	bl_read_ops(v, &r);
	w->tcp_seen = false;
	w->last = 0;
	w->named = 0;
	w->nr_prots = 0;
	err = vmi_prot_walk(&r, &w->pl, np_prot_visit, w);
	if (err)
		return engine_fail(v, err, "net-protocol: proto_list: %d", err);
	if (w->tcp_prot && !w->tcp_seen)
		hook_bad(&w->h, "proto TCP", "struct proto tcp_prot", w->tcp_prot,
			 "it is not on proto_list: unregistered, or the list is not the kernel's");
	return 0;
}

/* "stream", "dgram"...: socket type @t's name in objects. */
static const char *np_sock_type(u32 t)
{
	static const char *const names[NP_SOCK_MAX] = {
		[1] = "stream", [2] = "dgram", [3] = "raw", [4] = "rdm",
		[5] = "seqpacket", [6] = "dccp", [10] = "packet",
	};

	return t < NP_SOCK_MAX && names[t] ? names[t] : "type";
}

/* "inetsw stream 6 (tcp)": an entry's object. */
static void np_sw_object(const struct np_sw *sw, u32 list, u32 protocol,
			 char *buf, size_t size)
{
	const char *name = "";
	const struct np_name *n;
	u32 i;

	for (i = 0; i < sw->nr_own; i++)
		if (sw->own[i].type == list && sw->own[i].protocol == protocol)
			name = sw->own[i].name;
	for (n = np_names; !name[0] && n->name; n++)
		if (n->nr == protocol)
			name = n->name;
	snprintf(buf, size, "%s %s %u%s%s%s", sw->table, np_sock_type(list),
		 protocol, name[0] ? " (" : "", name, name[0] ? ")" : "");
}

/* Whether @prot is a struct proto on proto_list (unknown: true). */
static bool np_prot_listed(const struct np_walk *w, u64 prot)
{
	u32 i;

	if (!w->pl.head || w->nr_prots >= VMI_PROT_LIST_MAX)
		return true;
	for (i = 0; i < w->nr_prots; i++)
		if (w->prots[i] == prot)
			return true;
	return false;
}

/*
 * Where a struct proto_ops may lie: the kernel's rodata or a live
 * module's read-only data (every one in 6.1 and 6.12 is const). NULL,
 * or why not.
 */
static const char *np_ops_why(const struct np_walk *w, u64 ops)
{
	const struct bl_module *m;
	u32 i;

	if (ops >= w->ro_start && ops < w->ro_end)
		return NULL;
	for (i = 0; i < w->h.nr_mods; i++) {
		m = &w->h.mods[i];
		if (ops >= m->ro[BL_MODULE_RODATA].start &&
		    ops < m->ro[BL_MODULE_RODATA].end)
			return NULL;
	}
	return "its struct proto_ops is outside the kernel's read-only data and every module's (a copy: the kernel's are const)";
}

/* An own entry not holding its kernel struct proto and proto_ops. */
static void np_sw_own_bad(struct np_walk *w, const struct vmi_protosw_entry *e,
			  const char *object, const struct np_sw_own *own,
			  const struct np_sw_at *at)
{
	char where[HOOK_WHERE], now[64];
	bool ops = e->ops != at->ops;

	check_symbolize(w->v, ops ? e->ops : e->prot, now, sizeof(now));
	snprintf(where, sizeof(where), "%s's entry %.24s (0x%llx): %s is %s, not %s",
		 w->sw_cur->table, own->sym, (unsigned long long)e->entry,
		 ops ? "ops" : "prot", now, ops ? own->ops : own->prot);
	hook_bad(&w->h, object, where, e->entry,
		 "the kernel registers this socket type itself at boot and never changes it: socket() of it gets other functions");
}

/*
 * The functions of @e's proto_ops through hookpolicy.h's rules; @object
 * NULL: named here if one is judged (a clean entry is never named).
 */
static int np_sw_judge(struct np_walk *w, const struct vmi_protosw_entry *e,
		       const char *object)
{
	const struct np_sw *sw = w->sw_cur;
	char where[HOOK_WHERE], name[HOOK_OBJECT];
	u32 i;

	for (i = 0; i < sw->l.nr_fns; i++) {
		if (!hook_judged(&w->h, e->fn[i]))
			continue;
		if (!object) {
			np_sw_object(sw, e->list, e->protocol, name,
				     sizeof(name));
			object = name;
		}
		snprintf(where, sizeof(where), "the %s of %s[%u]'s entry 0x%llx (proto_ops 0x%llx)",
			 w->sw_fns[i], sw->table, e->list,
			 (unsigned long long)e->entry,
			 (unsigned long long)e->ops);
		hook_judge(w->v, &w->h, object, where, e->ops, e->fn[i]);
	}
	return 0;
}

/* The own entry of @e's socket type and protocol in this kernel, or NULL. */
static struct np_sw_at *np_sw_own_of(struct np_sw *sw,
				     const struct vmi_protosw_entry *e)
{
	u32 i;

	for (i = 0; i < sw->nr_own; i++)
		if (sw->at[i].entry && sw->own[i].type == e->type &&
		    sw->own[i].protocol == e->protocol)
			return &sw->at[i];
	return NULL;
}

/* core/protowalk.c's inet_protosw callback: one entry, judged. */
static int np_sw_visit(void *ctx, const struct vmi_protosw_entry *e)
{
	struct np_walk *w = ctx;
	struct np_sw *sw = w->sw_cur;
	char object[HOOK_OBJECT], where[HOOK_WHERE];
	struct np_sw_at *own;
	const char *why;

	if (!e->entry) {
		snprintf(object, sizeof(object), "%s %s", sw->table,
			 np_sock_type(e->list));
		snprintf(where, sizeof(where), "%s[%u]", sw->table, e->list);
		hook_bad(&w->h, object, where, sw->l.table + 16ULL * e->list,
			 "the list is corrupt (a cycle, a non-kernel or unreadable pointer, or over 256 entries)");
		return 0;
	}
	own = e->err || e->type != e->list ? NULL : np_sw_own_of(sw, e);
	if (own && own->entry == e->entry && e->prot == own->prot &&
	    e->ops == own->ops) {	/* the kernel's own, as registered */
		own->seen = true;
		return np_sw_judge(w, e, NULL);
	}
	np_sw_object(sw, e->list, e->protocol, object, sizeof(object));
	snprintf(where, sizeof(where), "%s[%u]'s entry 0x%llx", sw->table,
		 e->list, (unsigned long long)e->entry);
	if (e->err) {
		hook_bad(&w->h, object, where, e->entry, "it cannot be read");
		return 0;
	}
	if (e->type != e->list) {
		hook_bad(&w->h, object, where, e->entry,
			 "its socket type is not its list's: inet_register_protosw() never puts it there");
		return 0;
	}
	if (own && own->entry != e->entry) {
		hook_bad(&w->h, object, where, e->entry,
			 "the kernel's own entry has this socket type and protocol: another one takes its socket() calls");
		own = NULL;
	} else if (own) {	/* its struct proto or proto_ops replaced */
		own->seen = true;
		np_sw_own_bad(w, e, object, &sw->own[own - sw->at], own);
		if (e->ops_err)
			return 0;
	}
	if (!np_prot_listed(w, e->prot))
		hook_bad(&w->h, object, where, e->prot,
			 "its struct proto is not on proto_list (a copy, its functions judged nowhere)");
	why = e->ops_err == -EBADMSG ? "its ops is not a kernel pointer" :
	      e->ops_err ? "its struct proto_ops cannot be read" :
	      own ? NULL : np_ops_why(w, e->ops);
	if (why)
		hook_bad(&w->h, object, where, e->ops, why);
	return e->ops_err ? 0 : np_sw_judge(w, e, object);
}

/* inetsw[] and inetsw6[]; each own entry must be on its list. */
static int np_walk_sw(struct vmiaas *v, struct np_walk *w)
{
	char object[HOOK_OBJECT], where[HOOK_WHERE];
	struct vmi_read_ops r;
	struct np_sw *sw;
	u32 i, k;
	int err;

	bl_read_ops(v, &r);
	for (i = 0; i < ARRAY_SIZE(w->sw); i++) {
		sw = &w->sw[i];
		if (!sw->present)
			continue;
		for (k = 0; k < sw->nr_own; k++)
			sw->at[k].seen = false;
		w->sw_cur = sw;
		err = vmi_protosw_walk(&r, &sw->l, np_sw_visit, w);
		if (err)
			return engine_fail(v, err, "net-protocol: %s: %d",
					   sw->table, err);
		for (k = 0; k < sw->nr_own; k++) {
			if (!sw->at[k].entry || sw->at[k].seen)
				continue;
			np_sw_object(sw, sw->own[k].type, sw->own[k].protocol,
				     object, sizeof(object));
			snprintf(where, sizeof(where), "%s's entry %.24s (0x%llx)",
				 sw->table, sw->own[k].sym,
				 (unsigned long long)sw->at[k].entry);
			hook_bad(&w->h, object, where, sw->at[k].entry,
				 "it is not on its list: the kernel never unregisters it, socket() of it goes elsewhere or fails");
		}
	}
	return 0;
}

/* core/protowalk.c's callback on offload_base: a function or a bad one. */
static int np_po_visit(void *ctx, const struct vmi_prot_hook *e)
{
	struct np_walk *w = ctx;
	char where[HOOK_WHERE], name[24];
	u8 type[2];
	u32 i;

	if (!e->prot) {
		hook_bad(&w->h, "gro offload_base", "offload_base", w->ol.head,
			 "the list is corrupt (a cycle, a non-kernel or unreadable pointer, or over 1024 entries)");
		return 0;
	}
	if (e->prot != w->ol_last) {
		w->ol_last = e->prot;
		w->ol_own = NULL;
		if (engine_read(w->v, e->prot + w->ol_type, type, 2)) {
			snprintf(w->ol_object, sizeof(w->ol_object), "gro ?");
		} else {
			snprintf(name, sizeof(name), "0x%02x%02x", type[0], type[1]);
			for (i = 0; i < NP_PO_OWN; i++)
				if (np_po_own[i].type == (type[0] << 8 | type[1]))
					w->ol_own = &np_po_own[i];
			snprintf(w->ol_object, sizeof(w->ol_object), "gro %s%s%s%s",
				 name, w->ol_own ? " (" : "",
				 w->ol_own ? w->ol_own->name : "",
				 w->ol_own ? ")" : "");
		}
		i = w->ol_own ? (u32)(w->ol_own - np_po_own) : 0;
		if (w->ol_own && w->ol_at[i] == e->prot) {
			w->ol_seen[i] = true;
		} else if (w->ol_own && w->ol_at[i]) {
			snprintf(where, sizeof(where), "offload_base's packet_offload 0x%llx, not %.32s",
				 (unsigned long long)e->prot, w->ol_own->sym);
			hook_bad(&w->h, w->ol_object, where, e->prot,
				 "the kernel registers this ethertype's offload itself at boot: GRO of its packets goes elsewhere");
		}
	}
	if (e->err) {
		snprintf(where, sizeof(where), "offload_base's packet_offload 0x%llx",
			 (unsigned long long)e->prot);
		hook_bad(&w->h, w->ol_object, where, e->prot, "it cannot be read");
		return 0;
	}
	if (!hook_judged(&w->h, e->fn))
		return 0;
	snprintf(where, sizeof(where), "the %s of offload_base's packet_offload 0x%llx",
		 w->ol_fns[e->member], (unsigned long long)e->prot);
	hook_judge(w->v, &w->h, w->ol_object, where, e->prot, e->fn);
	return 0;
}

/* offload_base; each own packet_offload must be on it. */
static int np_walk_po(struct vmiaas *v, struct np_walk *w)
{
	char object[HOOK_OBJECT], where[HOOK_WHERE];
	struct vmi_read_ops r;
	u32 i;
	int err;

	if (!w->ol.head)
		return 0;
	bl_read_ops(v, &r);
	memset(w->ol_seen, 0, sizeof(w->ol_seen));
	w->ol_last = 0;
	err = vmi_prot_walk(&r, &w->ol, np_po_visit, w);
	if (err)
		return engine_fail(v, err, "net-protocol: offload_base: %d", err);
	for (i = 0; i < NP_PO_OWN; i++) {
		if (!w->ol_at[i] || w->ol_seen[i])
			continue;
		snprintf(object, sizeof(object), "gro 0x%04x (%s)",
			 np_po_own[i].type, np_po_own[i].name);
		snprintf(where, sizeof(where), "packet_offload %.32s (0x%llx)",
			 np_po_own[i].sym, (unsigned long long)w->ol_at[i]);
		hook_bad(&w->h, object, where, w->ol_at[i],
			 "it is not on offload_base: the kernel never removes it, GRO of its packets goes elsewhere or stops");
	}
	return 0;
}

static int np_walk_all(struct vmiaas *v, struct hook_scan *h)
{
	struct np_walk *w = (struct np_walk *)h;
	struct vmi_read_ops r;
	u32 i;
	int err;

	bl_read_ops(v, &r);
	for (i = 0; i < NP_TABLES; i++) {
		if (!w->f[i].present)
			continue;
		w->cur = &w->f[i];
		err = vmi_proto_walk(&r, &w->f[i].l, np_visit, w);
		if (err)
			return engine_fail(v, err,
					   "net-protocol: %s is unreadable",
					   w->f[i].table);
	}
	err = np_walk_prots(v, w);
	err = err ?: np_walk_sw(v, w);
	return err ?: np_walk_po(v, w);
}

/* Where the kernel's own struct of @own is: 0 if this kernel has none. */
static u64 np_own_addr(struct vmiaas *v, const struct np_own *own)
{
	u64 at;
	u32 off;

	if (!engine_sym(v, own->sym, &at))
		return at;
	/* 6.9+: tcp's and udp's structs are members of net_hotdata */
	if (!btf_offsetof(v->btf, "net_hotdata", own->sym, &off) &&
	    !engine_sym(v, "net_hotdata", &at))
		return at + off;
	return 0;
}

static int np_table_layout(struct vmiaas *v, struct np_table *f)
{
	u32 i;

	f->present = false;
	if (engine_sym(v, f->table, &f->l.table))
		return 0;	/* IPv6 a module, or not built */
	f->l.flags = 0;
	f->l.slots = f->slots;
	for (i = 0; i < f->nr_fns; i++)
		if (!btf_offsetof(v->btf, f->type, f->fns[i], &f->l.fn_off[i]))
			f->l.flags |= VMI_PROTO_HAS_FN(i);
	/* no such struct (before 6.9 and its backports: another shape) */
	if (f->optional && !(f->l.flags & VMI_PROTO_HAS_FN(0)))
		return 0;
	if (!vmi_proto_layout_ok(&f->l))
		return engine_fail(v, -ENOENT,
				   "net-protocol: the kernel's BTF has no plausible struct %s with a %s",
				   f->type, f->fns[0]);
	for (i = 0; i < f->nr_own; i++)
		f->own_at[i] = f->own[i].module ? 0 :
			       np_own_addr(v, &f->own[i]);
	f->present = true;
	return 0;
}

/*
 * Booted with ipv6.disable=1, inet6_init() stops before registering a
 * protocol or its family: IPv6's slots are empty by design and only
 * their functions are judged. The flag is the kernel's (a module
 * parameter, 0444: read-only from userland); a rootkit writing it in
 * memory turns off this slot rule for IPv6 only, the function rules
 * still hold.
 */
static int np_ipv6_disabled(struct vmiaas *v, struct np_walk *w)
{
	u32 disabled, i, k;
	u64 at;

	if (engine_sym(v, "disable_ipv6_mod", &at))
		return 0;
	if (engine_read(v, at, &disabled, sizeof(disabled)))
		return engine_fail(v, -EFAULT,
				   "net-protocol: disable_ipv6_mod is unreadable");
	for (i = 0; disabled && i < NP_TABLES; i++)
		for (k = 0; k < w->f[i].nr_own; k++)
			if (w->f[i].own[k].ipv6)
				w->f[i].own_at[k] = 0;
	for (i = 0; disabled && i < ARRAY_SIZE(w->sw); i++)
		for (k = 0; k < w->sw[i].nr_own; k++)
			if (w->sw[i].own[k].ipv6)
				w->sw[i].at[k] = (struct np_sw_at){ 0 };
	return 0;
}

/* struct proto's function pointers, from BTF; no proto_list: none. */
static int np_prot_layout(struct vmiaas *v, struct np_walk *w)
{
	struct btf_fn_member fns[VMI_PROT_FNS_MAX];
	u32 i, nr;
	int err;

	w->pl = (struct vmi_prot_layout){ .max = VMI_PROT_LIST_MAX };
	if (engine_sym(v, "proto_list", &w->pl.head)) {
		w->pl.head = 0;
		return 0;
	}
	if (btf_offsetof(v->btf, "proto", "node", &w->pl.node) ||
	    btf_offsetof(v->btf, "proto", "name", &w->pl_name))
		return engine_fail(v, -ENOENT,
				   "net-protocol: the kernel's BTF has no struct proto with node and name");
	err = engine_fn_members(v, "proto", fns, VMI_PROT_FNS_MAX, &nr);
	if (err == -E2BIG)
		return engine_fail(v, -E2BIG,
				   "net-protocol: over %u function pointers in struct proto: implausible",
				   VMI_PROT_FNS_MAX);
	if (err)
		return engine_fail(v, err,
				   "net-protocol: struct proto's function pointers cannot be read from the kernel's BTF");
	for (i = 0; i < nr; i++) {
		w->pl_fns[i] = fns[i].name;
		w->pl.fn_off[i] = fns[i].off;
	}
	w->pl.nr_fns = nr;
	if (!vmi_prot_layout_ok(&w->pl))
		return engine_fail(v, -EBADMSG,
				   "net-protocol: struct proto's layout is implausible (%u function pointers)",
				   w->pl.nr_fns);
	if (engine_sym(v, "tcp_prot", &w->tcp_prot))
		w->tcp_prot = 0;
	return 0;
}

/* An own entry's addresses; all 0 if this kernel lacks one of them. */
static void np_sw_own_at(struct vmiaas *v, const struct np_sw_own *own,
			 u32 size, struct np_sw_at *at)
{
	*at = (struct np_sw_at){ 0 };
	if (engine_sym(v, own->sym, &at->entry) ||
	    engine_sym(v, own->prot, &at->prot) ||
	    engine_sym(v, own->ops, &at->ops))
		*at = (struct np_sw_at){ 0 };
	else
		at->entry += (u64)size * own->idx;
}

/* inetsw[] and inetsw6[] from BTF and symbols; absent: not walked. */
static int np_sw_layout(struct vmiaas *v, struct np_walk *w)
{
	struct btf_fn_member fns[VMI_PROTOSW_FNS];
	struct vmi_protosw_layout l = { .lists = NP_SOCK_MAX,
					.max = VMI_PROTOSW_MAX };
	const struct btf_member_ref m[] = {
		{ "inet_protosw", "list", &l.node },
		{ "inet_protosw", "type", &l.type },
		{ "inet_protosw", "protocol", &l.protocol },
		{ "inet_protosw", "prot", &l.prot },
		{ "inet_protosw", "ops", &l.ops },
	};
	u32 i, k, nr, size;
	u64 at;
	int err;

	w->sw[0] = (struct np_sw){ .table = "inetsw", .own = np_sw_own4,
				   .nr_own = ARRAY_SIZE(np_sw_own4) };
	w->sw[1] = (struct np_sw){ .table = "inetsw6", .own = np_sw_own6,
				   .nr_own = ARRAY_SIZE(np_sw_own6) };
	if (engine_sym(v, "inetsw", &at) && engine_sym(v, "inetsw6", &at))
		return 0;
	if (btf_offsets(v->btf, m, ARRAY_SIZE(m), NULL) ||
	    btf_sizeof(v->btf, "inet_protosw", &size))
		return engine_fail(v, -ENOENT,
				   "net-protocol: the kernel's BTF has no struct inet_protosw with list, type, protocol, prot and ops");
	err = engine_fn_members(v, "proto_ops", fns, VMI_PROTOSW_FNS, &nr);
	if (err)
		return engine_fail(v, err,
				   "net-protocol: struct proto_ops's function pointers cannot be read from the kernel's BTF (%d)",
				   err);
	for (i = 0; i < nr; i++) {
		w->sw_fns[i] = fns[i].name;
		l.fn_off[i] = fns[i].off;
	}
	l.nr_fns = nr;
	for (i = 0; i < ARRAY_SIZE(w->sw); i++) {
		if (engine_sym(v, w->sw[i].table, &l.table))
			continue;	/* IPv6 a module, or not built */
		if (!vmi_protosw_layout_ok(&l))
			return engine_fail(v, -EBADMSG,
					   "net-protocol: struct inet_protosw's layout is implausible");
		w->sw[i].l = l;
		for (k = 0; k < w->sw[i].nr_own; k++)
			np_sw_own_at(v, &w->sw[i].own[k], size, &w->sw[i].at[k]);
		w->sw[i].present = true;
	}
	return bl_rodata_range(v, &w->ro_start, &w->ro_end);
}

/* offload_base (6.9+: a member of net_hotdata); absent: not walked. */
static int np_po_layout(struct vmiaas *v, struct np_walk *w)
{
	u32 i, off, size;

	w->ol = (struct vmi_prot_layout){ .max = VMI_PROT_LIST_MAX };
	if (engine_sym(v, "offload_base", &w->ol.head)) {
		w->ol.head = 0;
		if (btf_offsetof(v->btf, "net_hotdata", "offload_base", &off) ||
		    engine_sym(v, "net_hotdata", &w->ol.head))
			return 0;
		w->ol.head += off;
	}
	for (i = 0; i < ARRAY_SIZE(np_offload_fns); i++) {
		w->ol_fns[i] = np_offload_fns[i];
		if (btf_offsetof(v->btf, "packet_offload", np_offload_fns[i],
				 &w->ol.fn_off[i]))
			break;
	}
	w->ol.nr_fns = i;
	if (i < ARRAY_SIZE(np_offload_fns) ||
	    btf_offsetof(v->btf, "packet_offload", "list", &w->ol.node) ||
	    btf_offsetof(v->btf, "packet_offload", "type", &w->ol_type) ||
	    btf_sizeof(v->btf, "packet_offload", &size) ||
	    !vmi_prot_layout_ok(&w->ol))
		return engine_fail(v, -ENOENT,
				   "net-protocol: the kernel's BTF has no plausible struct packet_offload");
	for (i = 0; i < NP_PO_OWN; i++) {
		struct np_own own = { .sym = np_po_own[i].sym };

		w->ol_at[i] = np_own_addr(v, &own);
		if (w->ol_at[i])
			w->ol_at[i] += (u64)size * np_po_own[i].idx;
	}
	return 0;
}

#define NP_TABLE(n, t, ty, f, sl, o, nm, w) ((struct np_table){		\
	.name = n, .table = t, .type = ty, .fns = f,			\
	.nr_fns = ARRAY_SIZE(f), .slots = sl, .own = o,			\
	.nr_own = ARRAY_SIZE(o), .names = nm, .why = w })

static const char np_why_proto[] =
	"the kernel registers this protocol itself at boot and never replaces it: its packets go elsewhere";
static const char np_why_diag[] =
	"only that module registers this family's socket diagnostics: what ss asks (NETLINK_SOCK_DIAG) goes elsewhere";
static const char np_why_offload[] =
	"the kernel registers this offload itself at boot and never replaces it: GRO and GSO of its packets go elsewhere";
static const char np_why_family[] =
	"the kernel registers this address family itself at boot and never replaces it: its socket() calls go elsewhere";

static int np_layout(struct vmiaas *v, struct hook_scan *h)
{
	struct np_walk *w = (struct np_walk *)h;
	int err;
	u32 i;

	w->v = v;
	w->f[0] = NP_TABLE("ipv4", "inet_protos", "net_protocol", np_fns,
			   VMI_PROTO_SLOTS, np_own4, np_names, np_why_proto);
	w->f[1] = NP_TABLE("ipv6", "inet6_protos", "inet6_protocol", np_fns,
			   VMI_PROTO_SLOTS, np_own6, np_names, np_why_proto);
	w->f[2] = NP_TABLE("sock_diag", "sock_diag_handlers",
			   "sock_diag_handler", np_diag_fns, NP_AF_MAX,
			   np_own_diag, np_af_names, np_why_diag);
	w->f[3] = NP_TABLE("sock_diag inet compat", "inet_rcv_compat",
			   "sock_diag_inet_compat", np_compat_fns, 1,
			   np_own_compat, NULL, np_why_diag);
	w->f[4] = NP_TABLE("family", "net_families", "net_proto_family",
			   np_family_fns, NP_AF_MAX, np_own_family,
			   np_af_names, np_why_family);
	w->f[5] = NP_TABLE("gro ipv4", "inet_offloads", "net_offload",
			   np_offload_fns, VMI_PROTO_SLOTS, np_own_off4,
			   np_names, np_why_offload);
	w->f[6] = NP_TABLE("gro ipv6", "inet6_offloads", "net_offload",
			   np_offload_fns, VMI_PROTO_SLOTS, np_own_off6,
			   np_names, np_why_offload);
	err = np_table_layout(v, &w->f[0]);
	if (!err && !w->f[0].present)
		return engine_fail(v, -ENOENT,
				   "net-protocol: the kernel has no inet_protos");
	for (i = 1; !err && i < NP_TABLES; i++) {
		w->f[i].optional = i > 1;
		err = np_table_layout(v, &w->f[i]);
	}
	err = err ?: np_sw_layout(v, w);
	err = err ?: np_po_layout(v, w);
	err = err ?: np_ipv6_disabled(v, w);
	return err ?: np_prot_layout(v, w);
}

/* ---- vmiaas.ko's record ---- */

/*
 * The words at @off[@nr] as a map of @words words: -ERANGE for one not a
 * word in it.
 */
static int np_fn_map(const u32 *off, u32 nr, u32 words, __u64 *map)
{
	u32 i;

	for (i = 0; i < nr; i++) {
		if (off[i] % 8 || off[i] / 8 >= words)
			return -ERANGE;
		map[off[i] / 512] |= 1ULL << (off[i] / 8 % 64);
	}
	return 0;
}

/* @at as the record's distance from @addr: -ERANGE past 2 GiB. */
static int np_at(u64 at, u64 addr, s32 *ret)
{
	s64 d = (s64)(at - addr);

	if (d < INT32_MIN || d > INT32_MAX)
		return -ERANGE;
	*ret = (s32)d;
	return 0;
}

/* A table's layout as the record's struct vmiaas_proto_table. */
static int np_record_table(const struct np_table *f, u64 addr,
			   struct vmiaas_proto_table *t)
{
	u32 off[VMI_PROTO_FNS], nr = 0, i;
	__u64 map = 0;

	if (!f->present)
		return 0;
	for (i = 0; i < VMI_PROTO_FNS; i++)
		if (f->l.flags & VMI_PROTO_HAS_FN(i))
			off[nr++] = f->l.fn_off[i];
	if (np_fn_map(off, nr, 16, &map) || np_at(f->l.table, addr, &t->at))
		return -ERANGE;
	t->slots = f->l.slots;
	t->fns = (u16)map;
	return 0;
}

/* proto_list's or offload_base's layout as the record's list. */
static int np_record_list(const struct vmi_prot_layout *l, u64 addr,
			  struct vmiaas_proto_list *pl)
{
	if (!l->head)
		return 0;
	pl->node = l->node;
	return np_fn_map(l->fn_off, l->nr_fns, 128, pl->fns) ?:
	       np_at(l->head, addr, &pl->at);
}

/* inetsw[]'s and inetsw6[]'s layout (one but for ->table). */
static int np_record_sw(const struct np_walk *w, u64 addr,
			struct vmiaas_proto_sw *sw)
{
	const struct vmi_protosw_layout *l = NULL;
	u32 i;

	for (i = 0; i < ARRAY_SIZE(w->sw); i++) {
		if (!w->sw[i].present)
			continue;
		l = &w->sw[i].l;
		if (np_at(l->table, addr, &sw->at[i]))
			return -ERANGE;
	}
	if (!l)
		return 0;
	/* vmi_protosw_layout_ok(): every offset under 64 KiB */
	*sw = (struct vmiaas_proto_sw){
		.at = { sw->at[0], sw->at[1] }, .types = l->lists,
		.node = l->node, .type = l->type, .protocol = l->protocol,
		.prot = l->prot, .ops = l->ops,
	};
	return np_fn_map(l->fn_off, l->nr_fns, 64, &sw->fns);
}

/*
 * net-protocol's record: the seven tables (inet_protos first),
 * proto_list, offload_base, inetsw[] and inetsw6[], and the ranges a
 * function may lie in. Which struct a protocol the kernel registers
 * must be on (the "own" rules) and where a proto_ops lies stay vmictl's.
 */
static int np_module_record(struct vmiaas *v, struct hook_scan *h,
			    struct vmiaas_module_check *c)
{
	struct np_walk *w = (struct np_walk *)h;
	struct vmiaas_proto_check *pc = (struct vmiaas_proto_check *)c->data;
	u64 addr = w->f[0].l.table;
	int err = 0;
	u32 i;

	static_assert(sizeof(*pc) <= VMIAAS_MODULE_DATA, "data");
	static_assert(VMIAAS_PROTO_TABLES == NP_TABLES, "tables");
	for (i = 0; !err && i < NP_TABLES; i++)
		err = np_record_table(&w->f[i], addr, &pc->table[i]);
	err = err ?: np_record_list(&w->pl, addr, &pc->list[0]);
	err = err ?: np_record_list(&w->ol, addr, &pc->list[1]);
	err = err ?: np_record_sw(w, addr, &pc->sw);
	if (err)
		return engine_fail(v, err,
				   "net-protocol: a function pointer unaligned or past its struct's words in the record, or a table 2 GiB from inet_protos: no record for vmiaas.ko");
	return hook_record(v, h, c, VMIAAS_CHECK_PROTO_GVA, addr,
			   "protocol handlers", pc->allow,
			   VMIAAS_MAX_HOOK_ALLOW, &pc->nr_allow);
}

static const struct hook_check np_check = {
	.check = "net-protocol",
	.sees = "the kernel calls it for every packet or socket of that protocol",
	.size = sizeof(struct np_walk),
	.layout = np_layout,
	.walk = np_walk_all,
	.record = np_module_record,
};

static int np_scan(struct vmiaas *v, const struct hidden_sink *sink,
		   void *arg)
{
	return hook_check_scan(v, &np_check, sink, arg);
}

int check_net_protocols(struct vmiaas *v, const struct hidden_sink *sink,
			struct hook_trust *trust)
{
	return check_confirmed(v, np_scan, trust, sink);
}

/* net-protocol's record for vmiaas_module_policy(), appended at *@nr. */
int proto_module_check(struct vmiaas *v, struct vmiaas_module_check *out,
		       size_t max, size_t *nr, struct hook_trust *trust)
{
	return hook_module_check(v, &np_check, out, max, nr, trust);
}
