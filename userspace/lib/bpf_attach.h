/* SPDX-License-Identifier: LGPL-2.1 OR MIT */
/*
 * Where a BPF program is attached, from the kernel's records of its link
 * (link_idr) or, for XDP attached without a link, of the network
 * devices: "raw_tracepoint sys_enter", "cgroup /system.slice
 * (cgroup_inet_ingress)", "xdp on eth0", "tcx_ingress on eth0",
 * "perf_event kprobe vfs_read", "kprobe_multi vfs_read, vfs_write".
 * Every layout comes from BTF; a kernel that lacks one leaves that kind
 * unnamed (the caller says "not found"). Every read is bounded and a
 * read that fails names nothing, never fails the check.
 */
#ifndef VMIAAS_LIB_BPF_ATTACH_H
#define VMIAAS_LIB_BPF_ATTACH_H

#include "engine.h"

#define BPF_ATTACH_CGROUP_DEPTH	32	/* cgroup path components named */
#define BPF_ATTACH_NETNS_MAX	1024	/* network namespaces walked */
#define BPF_ATTACH_NETDEVS_MAX	(1U << 16)	/* devices, all namespaces */
#define BPF_ATTACH_MULTI_NAMED	3	/* kprobe_multi functions named */
#define BPF_ATTACH_CGROUPS_MAX	(1U << 16)	/* cgroups walked */
#define BPF_ATTACH_CGROUP_PROGS	(1U << 16)	/* programs on their lists */
#define BPF_ATTACH_TC_CHAIN	64		/* tcf_protos of one qdisc */
#define BPF_ATTACH_TC_FILTERS	(1U << 12)	/* cls_bpf programs, all devices */

#define BPF_NO_MEMBER		0xffffffffU

struct bpf_attach_layout {
	s64 lt_raw_tp, lt_cgroup, lt_xdp, lt_perf, lt_kmulti, lt_tcx;
	u32 rtl_btp, btp_tp, tp_name;
	u32 cgl_cgroup, cgl_type, cg_kn, kn_name, kn_parent;
	u32 xl_dev, nd_name;
	u32 tl_dev, tl_loc;
	u32 pl_file, f_priv, pe_tp, pe_type, pe_config, call_name, call_flags;
	s64 fl_tracepoint, fl_kprobe, fl_uprobe;
	u32 km_addrs, km_cnt;
	/* XDP without a link: net_namespace_list -> net -> net_device */
	u64 net_list;
	u32 net_node, net_devs, nd_node, nd_xdp, xdp_prog, xdp_size, xdp_nr;
	/* cgroup programs without a link: cgrp_dfl_root's tree */
	u64 cg_root;
	u32 cgr_cgrp, cg_self, css_children, css_sibling, cg_progs, cg_nr_types;
	u32 pl_node, pl_prog, pl_link;
	/* tc: the clsact qdisc's cls_bpf filters */
	bool tc;
	u32 nd_miniq[2], nd_tcx[2], me_parent, te_bundle, te_miniq;
	u32 mq_filters, tp_next, tp_root, tp_ops, ops_kind;
};

/* The layouts this kernel has (each kind: -1 / BPF_NO_MEMBER if not). */
void bpf_attach_layout_get(struct vmiaas *v, struct bpf_attach_layout *a);

/*
 * Where link @link of type @type attaches its program; "" if unknown.
 * False: a kind of link whose target is not read here.
 */
bool bpf_attach_link(struct vmiaas *v, const struct bpf_attach_layout *a,
		     u64 link, u32 type, char *buf, size_t size);

/*
 * Each program attached to a network device's XDP hook (every mode, all
 * namespaces): @fn(prog, device name, @arg). 0 or a walk error.
 */
int bpf_attach_xdp_walk(struct vmiaas *v, const struct bpf_attach_layout *a,
			void (*fn)(u64 prog, const char *dev, void *arg),
			void *arg);

/*
 * Each program attached to a cgroup of the v2 hierarchy without a link
 * (BPF_PROG_ATTACH): @fn(prog, "cgroup /PATH (TYPE, attached without a
 * link)", @arg). 0 or a walk error.
 */
int bpf_attach_cgroup_walk(struct vmiaas *v, const struct bpf_attach_layout *a,
			   void (*fn)(u64 prog, const char *where, void *arg),
			   void *arg);

/*
 * Each program of a cls_bpf filter on a network device's clsact (or
 * ingress) qdisc, all namespaces: @fn(prog, "tc ingress on eth0 (cls_bpf
 * filter)", @arg). 0 or a walk error.
 */
int bpf_attach_tc_walk(struct vmiaas *v, const struct bpf_attach_layout *a,
		       void (*fn)(u64 prog, const char *where, void *arg),
		       void *arg);

/* A guest string at @va into @buf: bounded, printable, "" if unreadable. */
void bpf_guest_string(struct vmiaas *v, u64 va, char *buf, size_t size);
/* @buf (guest bytes) terminated, unprintable bytes as '?'. */
void bpf_printable(char *buf, size_t size);

/*
 * The lower-case name of @value of the guest's enum @type without
 * @prefix ("raw_tracepoint" for BPF_PROG_TYPE_RAW_TRACEPOINT), else the
 * number.
 */
struct btf;
void bpf_enum_name(const struct btf *btf, const char *type, const char *prefix,
		   u32 value, char *buf, size_t size);

#endif /* VMIAAS_LIB_BPF_ATTACH_H */
