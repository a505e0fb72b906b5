// SPDX-License-Identifier: GPL-2.0
/*
 * The checks a VM's guest requests run: policy (which ranges, which
 * digests, which pointer values, strings and executable ranges) comes
 * from userspace; the module only executes, with the freestanding core/
 * (guest-virtual translation in core/paging.c, pointer tables and bytes
 * in core/measure.c, exec-memory's page-table walk in core/execmem.c,
 * netfilter-hook's walk in core/nfhook.c, proc-ops' in core/procwalk.c,
 * packet-tap's in core/ptypewalk.c, input-handler's in core/inputwalk.c,
 * tracepoint-hook's in core/tpwalk.c, vfs-ops' in core/vfswalk.c,
 * tty-ldisc's in core/ttywalk.c, net-protocol's in core/protowalk.c,
 * netdev-hook's in core/netdevwalk.c: the code vmictl runs) and the
 * kernel's SHA-256 library.
 *
 * Guest memory is read with kvm_read_guest() through the VMM's user
 * mapping: the caller holds kvm->srcu and runs with the VMM's mm (the vCPU
 * thread itself, or the VM's work item under kthread_use_mm()), and no
 * spinlock, since a read may fault pages in. Everything read is guest
 * data: lengths and counts come from the registered checks (capped at
 * registration), never from the guest, and a read that fails makes the
 * check fail instead of the run.
 *
 * A set is immutable once registered and referenced by each run, so a
 * run needs no lock: SET_CHECKS swaps the VM's pointer and the old set
 * goes with its last run. Each run has its own scratch, so the work item
 * and a hypercall may run the same set at once.
 */
#include <linux/delay.h>
#include <linux/kref.h>
#include <linux/kvm_host.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/uaccess.h>
#include <crypto/sha2.h>
#include <uapi/linux/vmiaas.h>

#include "../core/execmem.h"
#include "../core/inputwalk.h"
#include "../core/measure.h"
#include "../core/netdevwalk.h"
#include "../core/nfhook.h"
#include "../core/procwalk.h"
#include "../core/protowalk.h"
#include "../core/ptypewalk.h"
#include "../core/tpwalk.h"
#include "../core/ttywalk.h"
#include "../core/vfswalk.h"
#include "../core/paging.h"
#include "checks.h"
#include "view.h"

/* Between exec-memory's two walks: a mapping being changed settles. */
#define EXEC_RESCAN_MS		20
/* netfilter-hook's caps: userspace's (check_netfilter.c) */
#define NF_NETNS_MAX		4096
#define NF_DEVS_MAX		65536

/* proc-ops' caps: userspace's (check_procops.c) */
#define PROC_ENTRIES_MAX	(1U << 18)
#define PROC_NODES_MAX		32768
#define PROC_NETNS_MAX		4096
#define PROC_SB_MAX		65536

/* A VMIAAS_CHECK_PROC_GVA check's values, validated, in the core's form. */
struct proc_values {
	struct vmi_proc_layout layout;
	struct vmi_range allow[2];
	struct vmi_proc_roots roots;
	bool has_roots;
	u32 nr_watch;
	/* inline and table entries, sorted by key (kvmalloc()ed) */
	struct vmi_proc_watch *watch;
};

/* A VMIAAS_CHECK_NF_GVA check's values, validated, in the core's form. */
struct nf_values {
	struct vmi_nf_layout layout;
	u32 nr_allow;
	struct vmi_range allow[VMIAAS_MAX_NF_ALLOW];
};

/* A VMIAAS_CHECK_PTYPE_GVA check's values, validated, in the core's form. */
struct ptype_values {
	struct vmi_ptype_layout layout;
	u32 nr_allow;
	struct vmi_range allow[VMIAAS_MAX_HOOK_ALLOW];
};

/* A VMIAAS_CHECK_INPUT_GVA check's values, validated, in the core's form. */
struct input_values {
	struct vmi_input_layout layout;
	u32 nr_allow;
	struct vmi_range allow[VMIAAS_MAX_HOOK_ALLOW];
};

/* A VMIAAS_CHECK_TP_GVA check's values, validated, in the core's form. */
struct tp_values {
	struct vmi_tp_layout layout;
	u64 ptrs, nr;		/* the check's addr and len */
	u32 nr_allow;
	struct vmi_range allow[VMIAAS_MAX_HOOK_ALLOW];
};

/* A VMIAAS_CHECK_VFS_GVA check's values, validated, in the core's form. */
struct vfs_values {
	struct vmi_vfs_layout layout;
	u64 super_blocks, init_task;	/* the check's addr, the record's */
	u64 debugfs_type;
	struct vmi_range image;
	u32 nr_allow;			/* the check's len */
	struct vmi_range allow[];
};

/* A VMIAAS_CHECK_TTY_GVA check's values, validated, in the core's form. */
struct tty_values {
	struct vmi_tty_layout layout;
	u32 nr_allow;
	struct vmi_range allow[VMIAAS_MAX_HOOK_ALLOW];
};

/* A VMIAAS_CHECK_PROTO_GVA check's values, validated, in the core's form. */
struct proto_values {
	struct vmi_proto_set set;
	u32 nr_allow;
	struct vmi_range allow[VMIAAS_MAX_HOOK_ALLOW];
};

struct vmiaas_checkset {
	struct kref ref;
	u32 nr;
	struct vmiaas_check checks[VMIAAS_MAX_CHECKS];	/* ->values unused */
	/*
	 * Expected values: tables' words, _BYTES' bytes, _EXEC's allowed
	 * ranges as struct vmi_exec_allow, _NF's struct nf_values,
	 * _PROC's struct proc_values, _PTYPE's struct ptype_values,
	 * _INPUT's struct input_values, _TP's struct tp_values, _VFS's
	 * struct vfs_values, _TTY's struct tty_values, _PROTO's struct
	 * proto_values or _NETDEV's struct vmi_netdev_policy.
	 */
	void *values[VMIAAS_MAX_CHECKS];
};

/* What one run of a set works with (kvmalloc()ed: too big for a stack). */
struct check_run {
	const struct vmiaas_checkset *cs;
	struct vmi_phys phys;		/* all of guest RAM through ->read */
	struct vmi_as as;		/* for _GVA checks */
	bool la57;			/* the vCPU's CR4.LA57: 5-level walks */
	const bool *stop;		/* true: give up (the VM is detached) */
	u64 now[VMIAAS_MAX_PTRS];	/* a table as read */
	u8 page[PAGE_SIZE];		/* a range's page as read */
	struct vmi_exec_suspects exec[2];	/* exec-memory's two walks */
	struct vmi_nf_suspects nf[2];	/* netfilter-hook's two walks */
	struct vmi_proc_suspects proc;	/* proc-ops' walks */
	struct vmi_proc_scratch proc_scratch;
	struct vmi_input_scratch input_scratch;	/* input-handler's walks */
	/* the confirming walk's suspects of packet-tap, input-handler... */
	struct vmi_ptype_suspects ptype;
	struct vmi_input_suspects input;
	struct vmi_tp_suspects tp;
	struct vmi_vfs_suspects vfs;
	struct vmi_vfs_scratch vfs_scratch;	/* its arrays: check_vfs()'s */
	struct vmi_tty_suspects tty;
	struct vmi_proto_suspects proto;
	struct vmi_tty_scratch tty_scratch;
	struct vmi_netdev_suspects netdev;
	struct vmi_netdev_scratch netdev_scratch;
	struct vmi_scan_bufs bufs;	/* page tables as read */
};

static void checkset_free(struct kref *ref)
{
	struct vmiaas_checkset *cs = container_of(ref, struct vmiaas_checkset,
						  ref);
	unsigned int i;

	for (i = 0; i < cs->nr; i++) {
		if (cs->checks[i].type == VMIAAS_CHECK_PROC_GVA &&
		    cs->values[i])
			kvfree(((struct proc_values *)cs->values[i])->watch);
		kvfree(cs->values[i]);
	}
	kvfree(cs);
}

void vmiaas_checks_get(struct vmiaas_checkset *cs)
{
	if (cs)
		kref_get(&cs->ref);
}

void vmiaas_checks_put(struct vmiaas_checkset *cs)
{
	if (cs)
		kref_put(&cs->ref, checkset_free);
}

static bool check_is_range(u32 type)
{
	return type == VMIAAS_CHECK_RANGE_GPA || type == VMIAAS_CHECK_RANGE_GVA;
}

static bool check_is_gva(u32 type)
{
	return type == VMIAAS_CHECK_RANGE_GVA || type == VMIAAS_CHECK_PTRS_GVA ||
	       type == VMIAAS_CHECK_BYTES_GVA || type == VMIAAS_CHECK_EXEC_GVA ||
	       type == VMIAAS_CHECK_NF_GVA || type == VMIAAS_CHECK_PROC_GVA ||
	       type == VMIAAS_CHECK_PTYPE_GVA || type == VMIAAS_CHECK_INPUT_GVA ||
	       type == VMIAAS_CHECK_TP_GVA || type == VMIAAS_CHECK_VFS_GVA ||
	       type == VMIAAS_CHECK_TTY_GVA || type == VMIAAS_CHECK_PROTO_GVA ||
	       type == VMIAAS_CHECK_NETDEV_GVA;
}

static bool check_is_bytes(u32 type)
{
	return type == VMIAAS_CHECK_BYTES_GPA || type == VMIAAS_CHECK_BYTES_GVA;
}

/*
 * The guest memory a check reads at addr, in bytes, after its length's
 * cap: 0, -EINVAL or -E2BIG. An exec-memory walk reads no range at addr.
 */
static int check_span(const struct vmiaas_check *c, u64 *ret_bytes)
{
	*ret_bytes = 0;
	if (check_is_range(c->type)) {
		if (c->len > VMIAAS_MAX_RANGE)
			return -E2BIG;
		*ret_bytes = c->len;
	} else if (check_is_bytes(c->type)) {
		if (c->len > VMIAAS_MAX_BYTES)
			return -E2BIG;
		*ret_bytes = c->len;
	} else if (c->type == VMIAAS_CHECK_EXEC_GVA) {
		if (c->len > VMIAAS_MAX_EXEC_RANGES)
			return -E2BIG;
		/* 0 or a kernel-half address: never a user mapping */
		if (c->addr && !(c->addr >> 63))
			return -EINVAL;
	} else if (c->type == VMIAAS_CHECK_NF_GVA ||
		   c->type == VMIAAS_CHECK_PROC_GVA ||
		   c->type == VMIAAS_CHECK_PTYPE_GVA ||
		   c->type == VMIAAS_CHECK_INPUT_GVA ||
		   c->type == VMIAAS_CHECK_TTY_GVA ||
		   c->type == VMIAAS_CHECK_PROTO_GVA ||
		   c->type == VMIAAS_CHECK_NETDEV_GVA) {
		/* one struct vmiaas_nf_check, _proc_check...; a list head */
		if (c->len != 1 || !(c->addr >> 63))
			return -EINVAL;
	} else if (c->type == VMIAAS_CHECK_TP_GVA) {
		/* the kernel's array of s32 offsets */
		if (c->len > VMIAAS_MAX_TP)
			return -E2BIG;
		if (!(c->addr >> 63) || (c->addr & 3))
			return -EINVAL;
		*ret_bytes = c->len * sizeof(s32);
	} else if (c->type == VMIAAS_CHECK_VFS_GVA) {
		/* one struct vmiaas_vfs_check and len ranges; &super_blocks */
		if (c->len > VMIAAS_MAX_VFS_ALLOW)
			return -E2BIG;
		if (!(c->addr >> 63))
			return -EINVAL;
	} else {
		if (c->len > VMIAAS_MAX_PTRS)
			return -E2BIG;
		*ret_bytes = c->len * sizeof(u64);
	}
	return 0;
}

/* One registered check: 0, -EINVAL or -E2BIG (see the uapi header). */
static int check_validate(const struct vmiaas_check *c)
{
	u64 bytes, end;
	u32 flags = 0;
	int r;

	if (c->type >= 64 || !(VMIAAS_CHECK_TYPES_ALL & BIT_ULL(c->type)))
		return -EINVAL;
	if (check_is_bytes(c->type))
		flags = VMIAAS_CHECK_CSTRING;
	else if (c->type == VMIAAS_CHECK_PROC_GVA)
		flags = VMIAAS_CHECK_PROC_MORE;
	if (c->flags & ~flags)
		return -EINVAL;
	if (c->reserved[0] || c->reserved[1] || !c->len)
		return -EINVAL;
	if (check_is_gva(c->type) != !!c->root)
		return -EINVAL;
	if (c->root & ~PAGE_MASK)
		return -EINVAL;
	if (check_is_range(c->type) ? !!c->values :
	    !c->values || memchr_inv(c->digest, 0, sizeof(c->digest)))
		return -EINVAL;
	r = check_span(c, &bytes);
	if (r)
		return r;
	if (check_add_overflow(c->addr, bytes, &end))
		return -EINVAL;
	return 0;
}

static int checkset_read_phys(void *ctx, u64 gpa, void *buf, size_t len)
{
	return vmiaas_view_read_guest(ctx, gpa, buf, len);
}

/* The run was told to stop: its caller has no use for a verdict. */
static bool check_run_stopped(const struct check_run *run)
{
	return run->stop && READ_ONCE(*run->stop);
}

static struct check_run *check_run_alloc(const struct vmiaas_checkset *cs,
					 struct kvm *kvm, bool la57)
{
	struct check_run *run;

	run = kvzalloc(sizeof(*run), GFP_KERNEL_ACCOUNT);
	if (!run)
		return NULL;
	run->cs = cs;
	run->la57 = la57;
	/* guest RAM lies below the mailbox (memslots above are refused) */
	vmi_phys_add_range(&run->phys, 0, VMIAAS_MAILBOX_GPA, NULL);
	run->phys.read = checkset_read_phys;
	run->phys.ctx = kvm;
	return run;
}

/* An exec check's allowed ranges, validated, in the core's form. */
static int checkset_copy_exec(struct vmiaas_checkset *cs, unsigned int i,
			      const struct vmiaas_exec_range *ranges)
{
	const struct vmiaas_check *c = &cs->checks[i];
	struct vmi_exec_allow *allow;
	u64 k;

	allow = kvcalloc(c->len, sizeof(*allow), GFP_KERNEL_ACCOUNT);
	if (!allow)
		return -ENOMEM;
	cs->values[i] = allow;
	for (k = 0; k < c->len; k++) {
		const struct vmiaas_exec_range *e = &ranges[k];

		if (e->start >= e->end || (e->flags & ~VMIAAS_EXEC_ALL) ||
		    e->reserved)
			return -EINVAL;
		allow[k].start = e->start;
		allow[k].end = e->end;
		if (e->flags & VMIAAS_EXEC_PHYS)
			allow[k].flags = VMI_EXEC_ALLOW_PHYS;
	}
	return 0;
}

/* Whether @nf's offsets, counts and flags are within their caps. */
static bool nf_check_ok(const struct vmiaas_nf_check *nf)
{
	const u32 off[] = { nf->net_list, nf->net_inum, nf->dev_base,
			    nf->dev_list, nf->ingress, nf->egress,
			    nf->family_off[0], nf->family_off[1],
			    nf->family_off[2], nf->family_off[3] };
	unsigned int i;

	BUILD_BUG_ON(VMIAAS_NF_FAMILIES != VMI_NF_FAMILIES);
	BUILD_BUG_ON(VMIAAS_MAX_NF_POINTS != VMI_NF_POINTS_MAX);
	BUILD_BUG_ON(VMIAAS_MAX_NF_OFFSET != VMI_NF_OFFSET_MAX);
	if ((nf->flags & ~VMIAAS_NF_ALL) || nf->reserved || !nf->nr_allow ||
	    nf->nr_allow > VMIAAS_MAX_NF_ALLOW)
		return false;
	for (i = 0; i < ARRAY_SIZE(off); i++)
		if (off[i] >= VMIAAS_MAX_NF_OFFSET)
			return false;
	for (i = 0; i < VMIAAS_NF_FAMILIES; i++)
		if (nf->family_nr[i] > VMIAAS_MAX_NF_POINTS)
			return false;
	for (i = 0; i < nf->nr_allow; i++)
		if (nf->allow[i][0] >= nf->allow[i][1])
			return false;
	return true;
}

/* An _NF check's layout and ranges, validated, in the core's form. */
static int checkset_copy_nf(struct vmiaas_checkset *cs, unsigned int i,
			    const struct vmiaas_nf_check *nf)
{
	struct nf_values *v;
	unsigned int f;

	if (!nf_check_ok(nf))
		return -EINVAL;
	v = kvzalloc(sizeof(*v), GFP_KERNEL_ACCOUNT);
	if (!v)
		return -ENOMEM;
	cs->values[i] = v;
	v->layout = (struct vmi_nf_layout){
		.net_head = cs->checks[i].addr,
		.net_list = nf->net_list, .net_inum = nf->net_inum,
		.dev_base = nf->dev_base, .dev_list = nf->dev_list,
		.ingress = nf->ingress, .egress = nf->egress,
		.max_netns = NF_NETNS_MAX, .max_devs = NF_DEVS_MAX,
	};
	for (f = 0; f < VMIAAS_NF_FAMILIES; f++) {
		v->layout.fam_off[f] = nf->family_off[f];
		v->layout.fam_nr[f] = nf->family_nr[f];
	}
	if (nf->flags & VMIAAS_NF_INGRESS)
		v->layout.flags |= VMI_NF_HAS_INGRESS;
	if (nf->flags & VMIAAS_NF_EGRESS)
		v->layout.flags |= VMI_NF_HAS_EGRESS;
	v->nr_allow = nf->nr_allow;
	for (f = 0; f < nf->nr_allow; f++)
		v->allow[f] = (struct vmi_range){ nf->allow[f][0],
						  nf->allow[f][1] };
	return vmi_nf_layout_ok(&v->layout) ? 0 : -EINVAL;
}

static int proc_watch_cmp(const void *a, const void *b)
{
	const struct vmi_proc_watch *x = a, *y = b;

	return x->key < y->key ? -1 : x->key > y->key;
}

/*
 * The watched entries of a _PROC check: the inline ones and, with
 * VMIAAS_CHECK_PROC_MORE, the table at @more->watch, into one array
 * sorted by key (the core's binary search), keys unique.
 */
static int proc_copy_watch(struct proc_values *v,
			   const struct vmiaas_proc_check *pc,
			   const struct vmiaas_proc_more *more)
{
	u32 nr_table = more ? more->nr_watch : 0, k;
	struct vmiaas_proc_watch *table = NULL;
	size_t nr = pc->nr_watch + nr_table;

	if (nr_table > VMIAAS_MAX_PROC_TABLE)
		return -E2BIG;
	if (!nr)
		return 0;
	if (nr_table) {
		table = vmemdup_user(u64_to_user_ptr(more->watch),
				     array_size(nr_table, sizeof(*table)));
		if (IS_ERR(table))
			return PTR_ERR(table);
	}
	v->watch = kvcalloc(nr, sizeof(*v->watch), GFP_KERNEL_ACCOUNT);
	if (!v->watch) {
		kvfree(table);
		return -ENOMEM;
	}
	for (k = 0; k < pc->nr_watch; k++) {
		v->watch[k].key = pc->watch[k].key;
		memcpy(v->watch[k].ptr, pc->watch[k].ptr,
		       sizeof(v->watch[k].ptr));
	}
	for (k = 0; k < nr_table; k++) {
		v->watch[pc->nr_watch + k].key = table[k].key;
		memcpy(v->watch[pc->nr_watch + k].ptr, table[k].ptr,
		       sizeof(table[k].ptr));
	}
	kvfree(table);
	v->nr_watch = nr;
	sort(v->watch, nr, sizeof(*v->watch), proc_watch_cmp, NULL);
	return vmi_proc_watch_sorted(v->watch, nr) ? 0 : -EINVAL;
}

/* The root inodes' layout of a VMIAAS_CHECK_PROC_MORE, validated. */
static int proc_copy_roots(struct proc_values *v,
			   const struct vmiaas_proc_more *more)
{
	if (more->reserved32 || more->reserved[0] || more->reserved[1])
		return -EINVAL;
	if (!more->super_blocks)
		return 0;
	v->roots = (struct vmi_proc_roots){
		.super_blocks = more->super_blocks,
		.proc_fs_type = more->proc_fs_type,
		.s_list = more->s_list, .s_type = more->s_type,
		.s_root = more->s_root, .d_inode = more->d_inode,
		.i_fop = more->i_fop, .i_op = more->i_op,
		.max_sbs = PROC_SB_MAX,
	};
	BUILD_BUG_ON(VMIAAS_MAX_NF_OFFSET != VMI_OFFSET_MAX);
	v->has_roots = true;
	return vmi_proc_roots_ok(&v->roots) ? 0 : -EINVAL;
}

/* A _PROC check's layout, ranges and watched entries, validated. */
static int checkset_copy_proc(struct vmiaas_checkset *cs, unsigned int i,
			      const struct vmiaas_proc_check *pc)
{
	const struct vmiaas_proc_more *more = NULL;
	struct proc_values *v;
	unsigned int k;
	int r;

	BUILD_BUG_ON(VMIAAS_PROC_PTRS != VMI_PROC_PTRS);
	BUILD_BUG_ON(VMIAAS_MAX_PROC_SIZE != VMI_PROC_PDE_MAX);
	if (cs->checks[i].flags & VMIAAS_CHECK_PROC_MORE)
		more = (const struct vmiaas_proc_more *)(pc + 1);
	if (pc->reserved || pc->nr_watch > VMIAAS_MAX_PROC_WATCH ||
	    !(pc->root >> 63) || !(pc->init_net >> 63))
		return -EINVAL;
	v = kvzalloc(sizeof(*v), GFP_KERNEL_ACCOUNT);
	if (!v)
		return -ENOMEM;
	cs->values[i] = v;
	v->layout = (struct vmi_proc_layout){
		.root = pc->root, .init_net = pc->init_net,
		.net_head = cs->checks[i].addr,
		.subdir = pc->subdir, .node = pc->node, .name = pc->name,
		.namelen = pc->namelen, .mode = pc->mode, .size = pc->size,
		.rb_left = pc->rb_left, .rb_right = pc->rb_right,
		.net_list = pc->net_list, .proc_net = pc->proc_net,
		.net_inum = pc->net_inum, .max_entries = PROC_ENTRIES_MAX,
		.max_nodes = PROC_NODES_MAX, .max_netns = PROC_NETNS_MAX,
	};
	for (k = 0; k < VMI_PROC_PTRS; k++)
		v->layout.ptr[k] = pc->ptr[k];
	for (k = 0; k < 2; k++) {
		if (pc->allow[k][0] >= pc->allow[k][1])
			return -EINVAL;
		v->allow[k] = (struct vmi_range){ pc->allow[k][0],
						  pc->allow[k][1] };
	}
	if (!vmi_proc_layout_ok(&v->layout))
		return -EINVAL;
	if (more) {
		r = proc_copy_roots(v, more);
		if (r)
			return r;
	}
	return proc_copy_watch(v, pc, more);
}

/* A _PTYPE or _INPUT check's allowed ranges, validated, in the core's form. */
static int hook_allow_copy(const __u64 (*in)[2], u32 nr,
			   struct vmi_range *out)
{
	u32 k;

	if (!nr || nr > VMIAAS_MAX_HOOK_ALLOW)
		return -EINVAL;
	for (k = 0; k < nr; k++) {
		if (in[k][0] >= in[k][1])
			return -EINVAL;
		out[k] = (struct vmi_range){ in[k][0], in[k][1] };
	}
	return 0;
}

/* A _PTYPE check's lists, layout and ranges, validated. */
static int checkset_copy_ptype(struct vmiaas_checkset *cs, unsigned int i,
			       const struct vmiaas_ptype_check *pc)
{
	struct ptype_values *v;

	BUILD_BUG_ON(VMI_PT_HAS_FN(0) != VMIAAS_PTYPE_FUNC);
	BUILD_BUG_ON(VMI_PT_HAS_FN(1) != VMIAAS_PTYPE_LIST_FUNC);
	BUILD_BUG_ON(VMI_PT_HAS_FN(2) != VMIAAS_PTYPE_ID_MATCH);
	BUILD_BUG_ON(VMIAAS_PTYPE_NET_LISTS != VMI_PT_HAS_NET_LISTS);
	BUILD_BUG_ON(VMIAAS_PTYPE_ALL != VMI_PT_FLAGS_ALL);
	BUILD_BUG_ON(ARRAY_SIZE(pc->fn_off) != VMI_PT_FNS);
	if ((pc->flags & ~VMIAAS_PTYPE_ALL) || !(pc->flags & VMIAAS_PTYPE_FUNC) ||
	    pc->reserved || !(pc->base >> 63) || (pc->all && !(pc->all >> 63)))
		return -EINVAL;
	v = kvzalloc(sizeof(*v), GFP_KERNEL_ACCOUNT);
	if (!v)
		return -ENOMEM;
	cs->values[i] = v;
	v->layout = (struct vmi_ptype_layout){
		.all = pc->all, .base = pc->base,
		.net_head = cs->checks[i].addr,
		.net_list = pc->net_list, .net_inum = pc->net_inum,
		.net_all = pc->net_all, .net_specific = pc->net_specific,
		.dev_base = pc->dev_base, .dev_list = pc->dev_list,
		.dev_all = pc->dev_all, .dev_specific = pc->dev_specific,
		.pt_list = pc->pt_list, .pt_type = pc->pt_type,
		.flags = pc->flags, .max_netns = NF_NETNS_MAX,
		.max_devs = NF_DEVS_MAX, .max_list = VMI_PT_LIST_MAX,
		.max_total = VMI_PT_TOTAL_MAX,
	};
	memcpy(v->layout.fn_off, pc->fn_off, sizeof(v->layout.fn_off));
	v->nr_allow = pc->nr_allow;
	if (hook_allow_copy(pc->allow, pc->nr_allow, v->allow))
		return -EINVAL;
	return vmi_ptype_layout_ok(&v->layout) ? 0 : -EINVAL;
}

/* An _INPUT check's device list, layout and ranges, validated. */
static int checkset_copy_input(struct vmiaas_checkset *cs, unsigned int i,
			       const struct vmiaas_input_check *ic)
{
	struct input_values *v;

	BUILD_BUG_ON(VMIAAS_INPUT_FN(0) != VMI_INPUT_HAS_FN(0));
	BUILD_BUG_ON(VMIAAS_INPUT_HANDLE_EVENTS != VMI_INPUT_HAS_HANDLE_EVENTS);
	BUILD_BUG_ON(VMIAAS_INPUT_ALL != VMI_INPUT_FLAGS_ALL);
	BUILD_BUG_ON(ARRAY_SIZE(ic->fn_off) != VMI_INPUT_FNS);
	if ((ic->flags & ~VMIAAS_INPUT_ALL) || ic->reserved ||
	    !(ic->devs >> 63))
		return -EINVAL;
	v = kvzalloc(sizeof(*v), GFP_KERNEL_ACCOUNT);
	if (!v)
		return -ENOMEM;
	cs->values[i] = v;
	v->layout = (struct vmi_input_layout){
		.handlers = cs->checks[i].addr, .devs = ic->devs,
		.h_node = ic->h_node, .d_node = ic->d_node,
		.d_hlist = ic->d_hlist, .hd_dnode = ic->hd_dnode,
		.hd_handler = ic->hd_handler, .hd_events = ic->hd_events,
		.flags = ic->flags, .max_handlers = VMI_INPUT_HANDLERS_MAX,
		.max_devs = VMI_INPUT_DEVS_MAX,
		.max_handles = VMI_INPUT_HANDLES_MAX,
	};
	memcpy(v->layout.h_fn, ic->fn_off, sizeof(v->layout.h_fn));
	v->nr_allow = ic->nr_allow;
	if (hook_allow_copy(ic->allow, ic->nr_allow, v->allow))
		return -EINVAL;
	return vmi_input_layout_ok(&v->layout) ? 0 : -EINVAL;
}

/* A _TP check's layout and ranges, validated. */
static int checkset_copy_tp(struct vmiaas_checkset *cs, unsigned int i,
			    const struct vmiaas_tp_check *tc)
{
	struct tp_values *v;

	BUILD_BUG_ON(VMIAAS_MAX_TP != VMI_TP_MAX);
	BUILD_BUG_ON(VMIAAS_MAX_TP_FUNC != VMI_TP_FUNC_MAX);
	BUILD_BUG_ON(VMIAAS_FOUND_PATH != VMI_TP_NAME);
	if (tc->reserved)
		return -EINVAL;
	v = kvzalloc(sizeof(*v), GFP_KERNEL_ACCOUNT);
	if (!v)
		return -ENOMEM;
	cs->values[i] = v;
	v->layout = (struct vmi_tp_layout){
		.tp_name = tc->tp_name, .tp_funcs = tc->tp_funcs,
		.func_fn = tc->func_fn, .func_data = tc->func_data,
		.func_size = tc->func_size, .max_tps = VMI_TP_MAX,
		.max_probes = VMI_TP_PROBES_MAX,
	};
	v->ptrs = cs->checks[i].addr;
	v->nr = cs->checks[i].len;
	v->nr_allow = tc->nr_allow;
	if (hook_allow_copy(tc->allow, tc->nr_allow, v->allow))
		return -EINVAL;
	return vmi_tp_layout_ok(&v->layout) ? 0 : -EINVAL;
}

/* A _VFS check's layout, roots, caps and ranges, validated. */
static int checkset_copy_vfs(struct vmiaas_checkset *cs, unsigned int i,
			     const struct vmiaas_vfs_check *vc)
{
	const struct vmiaas_check *c = &cs->checks[i];
	const __u64 (*in)[2] = (const void *)(vc + 1);
	struct vfs_values *v;
	u32 k;

	BUILD_BUG_ON(sizeof(*vc) != 176);
	BUILD_BUG_ON(VMIAAS_MAX_VFS_DENTRIES != VMI_VFS_DENTRIES_MAX);
	BUILD_BUG_ON(VMIAAS_MAX_VFS_FDS != VMI_VFS_FDS_MAX);
	BUILD_BUG_ON(VMI_VFS_S_OP != 0 || VMI_VFS_F_OP != 7);
	if (vc->reserved32 || vc->reserved[0] || vc->reserved[1] ||
	    (vc->flags & ~VMIAAS_VFS_ALL))
		return -EINVAL;
	if (!(vc->init_task >> 63) || !(vc->image[0] >> 63) ||
	    vc->image[0] >= vc->image[1] ||
	    (vc->debugfs_type && !(vc->debugfs_type >> 63)))
		return -EINVAL;
	if (!vc->max_dentries || !vc->max_fd_slots)
		return -EINVAL;
	v = kvzalloc(struct_size(v, allow, c->len), GFP_KERNEL_ACCOUNT);
	if (!v)
		return -ENOMEM;
	cs->values[i] = v;
	vmi_vfs_layout_of(vc, &v->layout);
	v->super_blocks = c->addr;
	v->init_task = vc->init_task;
	v->debugfs_type = vc->debugfs_type;
	v->image = (struct vmi_range){ vc->image[0], vc->image[1] };
	v->nr_allow = c->len;
	for (k = 0; k < c->len; k++)
		v->allow[k] = (struct vmi_range){ in[k][0], in[k][1] };
	return vmi_vfs_layout_ok(&v->layout) &&
	       vmi_vfs_ranges_ok(v->allow, v->nr_allow) ? 0 : -EINVAL;
}

/* A _TTY check's roots, layout and ranges, validated. */
static int checkset_copy_tty(struct vmiaas_checkset *cs, unsigned int i,
			     const struct vmiaas_tty_check *tc)
{
	bool devpts = tc->flags & VMIAAS_TTY_DEVPTS;
	struct tty_values *v;

	BUILD_BUG_ON(sizeof(*tc) != 296);
	BUILD_BUG_ON(VMIAAS_MAX_TTY_LDISCS != VMI_TTY_LDISCS_MAX);
	BUILD_BUG_ON(VMIAAS_TTY_TABLE_WORDS * 8 > VMI_TTY_TABLE_MAX);
	BUILD_BUG_ON(VMI_TTY_LDISC_FN != 0 || VMI_TTY_UNREGISTERED != 1 ||
		     VMI_TTY_TTY_FN != 2 || VMI_TTY_BAD_LDISC != 3 ||
		     VMI_TTY_BAD_TTY != 4 || VMI_TTY_DRIVER_LIST != 5 ||
		     VMI_TTY_LINES != 6 || VMI_TTY_DEVPTS != 7 ||
		     VMI_TTY_DRIVER_FN != 9 || VMI_TTY_TTY_OPS != 10 ||
		     VMI_TTY_TTY_OPS_FN != 11 || VMI_TTY_BAD_DRIVER != 12 ||
		     VMI_TTY_CLIENT_FN != 14);
	if (tc->reserved || (tc->flags & ~VMIAAS_TTY_ALL) || !tc->ldisc_fns)
		return -EINVAL;
	if (!(tc->drivers >> 63) || devpts != !!(tc->devpts_supers >> 63) ||
	    (!devpts && tc->devpts_supers) ||
	    (tc->client_default && !(tc->client_default >> 63)))
		return -EINVAL;
	if (!tc->nr_ldiscs || tc->nr_ldiscs > VMIAAS_MAX_TTY_LDISCS)
		return -EINVAL;
	v = kvzalloc(sizeof(*v), GFP_KERNEL_ACCOUNT);
	if (!v)
		return -ENOMEM;
	cs->values[i] = v;
	if (vmi_tty_layout_of(tc, cs->checks[i].addr, &v->layout))
		return -EINVAL;
	v->nr_allow = tc->nr_allow;
	if (hook_allow_copy(tc->allow, tc->nr_allow, v->allow))
		return -EINVAL;
	return vmi_tty_layout_ok(&v->layout) ? 0 : -EINVAL;
}

/* A _PROTO check's tables, lists and ranges, validated (core/protowalk.c). */
static int checkset_copy_proto(struct vmiaas_checkset *cs, unsigned int i,
			       const struct vmiaas_proto_check *pc)
{
	struct proto_values *v;

	v = kvzalloc(sizeof(*v), GFP_KERNEL_ACCOUNT);
	if (!v)
		return -ENOMEM;
	cs->values[i] = v;
	if (vmi_proto_set_of(pc, cs->checks[i].addr, &v->set))
		return -EINVAL;
	v->nr_allow = pc->nr_allow;
	return hook_allow_copy(pc->allow, pc->nr_allow, v->allow);
}

/* A _NETDEV check's layout, function maps and ranges, validated. */
static int checkset_copy_netdev(struct vmiaas_checkset *cs, unsigned int i,
				const struct vmiaas_netdev_check *nc)
{
	struct vmi_netdev_policy *v;

	BUILD_BUG_ON(sizeof(*nc) != 312);
	BUILD_BUG_ON(VMIAAS_NETDEV_TABLES != VMI_ND_TABLES);
	BUILD_BUG_ON(VMIAAS_NETDEV_TABLE_WORDS * 8 != VMI_ND_TABLE_BYTES);
	BUILD_BUG_ON(VMIAAS_MAX_NETDEV_RANGES != VMI_ND_RANGES_MAX);
	BUILD_BUG_ON(VMI_ND_RX_HANDLER != 0 || VMI_ND_NETDEV_OPS != 2 ||
		     VMI_ND_ETHTOOL_OPS != 3 || VMI_ND_HEADER_OPS != 4 ||
		     VMI_ND_BAD_DEV != 16 || VMI_ND_BAD_NETNS != 17 ||
		     VMI_ND_BAD_DEVS != 18 || VMI_ND_BAD_TOTAL != 19);
	v = kvzalloc(sizeof(*v), GFP_KERNEL_ACCOUNT);
	if (!v)
		return -ENOMEM;
	cs->values[i] = v;
	return vmi_netdev_policy_of(nc, cs->checks[i].addr, v);
}

/* The size of what a check's ->values points to. */
static size_t check_values_size(const struct vmiaas_check *c)
{
	if (check_is_bytes(c->type))
		return c->len;
	if (c->type == VMIAAS_CHECK_EXEC_GVA)
		return c->len * sizeof(struct vmiaas_exec_range);
	if (c->type == VMIAAS_CHECK_NF_GVA)
		return sizeof(struct vmiaas_nf_check);
	if (c->type == VMIAAS_CHECK_PROC_GVA &&
	    (c->flags & VMIAAS_CHECK_PROC_MORE))
		return sizeof(struct vmiaas_proc_check) +
		       sizeof(struct vmiaas_proc_more);
	if (c->type == VMIAAS_CHECK_PROC_GVA)
		return sizeof(struct vmiaas_proc_check);
	if (c->type == VMIAAS_CHECK_PTYPE_GVA)
		return sizeof(struct vmiaas_ptype_check);
	if (c->type == VMIAAS_CHECK_INPUT_GVA)
		return sizeof(struct vmiaas_input_check);
	if (c->type == VMIAAS_CHECK_TP_GVA)
		return sizeof(struct vmiaas_tp_check);
	if (c->type == VMIAAS_CHECK_VFS_GVA)
		return sizeof(struct vmiaas_vfs_check) + c->len * 2 * sizeof(u64);
	if (c->type == VMIAAS_CHECK_TTY_GVA)
		return sizeof(struct vmiaas_tty_check);
	if (c->type == VMIAAS_CHECK_PROTO_GVA)
		return sizeof(struct vmiaas_proto_check);
	if (c->type == VMIAAS_CHECK_NETDEV_GVA)
		return sizeof(struct vmiaas_netdev_check);
	return c->len * sizeof(u64);
}

/* Copies check @i, and its expected values, from userspace. */
static int checkset_copy_check(struct vmiaas_checkset *cs, unsigned int i,
			       const struct vmiaas_check __user *uc)
{
	struct vmiaas_check *c = &cs->checks[i];
	void *values;
	int r = 0;

	if (copy_from_user(c, uc, sizeof(*c)))
		return -EFAULT;
	r = check_validate(c);
	if (r || check_is_range(c->type))
		return r;
	values = vmemdup_user(u64_to_user_ptr(c->values),
			      check_values_size(c));
	if (IS_ERR(values))
		return PTR_ERR(values);
	c->values = 0;
	if (c->type == VMIAAS_CHECK_EXEC_GVA) {
		r = checkset_copy_exec(cs, i, values);
		kvfree(values);
		return r;
	}
	if (c->type == VMIAAS_CHECK_NF_GVA) {
		r = checkset_copy_nf(cs, i, values);
		kvfree(values);
		return r;
	}
	if (c->type == VMIAAS_CHECK_PROC_GVA) {
		r = checkset_copy_proc(cs, i, values);
		kvfree(values);
		return r;
	}
	if (c->type == VMIAAS_CHECK_PTYPE_GVA) {
		r = checkset_copy_ptype(cs, i, values);
		kvfree(values);
		return r;
	}
	if (c->type == VMIAAS_CHECK_INPUT_GVA) {
		r = checkset_copy_input(cs, i, values);
		kvfree(values);
		return r;
	}
	if (c->type == VMIAAS_CHECK_TP_GVA) {
		r = checkset_copy_tp(cs, i, values);
		kvfree(values);
		return r;
	}
	if (c->type == VMIAAS_CHECK_VFS_GVA) {
		r = checkset_copy_vfs(cs, i, values);
		kvfree(values);
		return r;
	}
	if (c->type == VMIAAS_CHECK_TTY_GVA) {
		r = checkset_copy_tty(cs, i, values);
		kvfree(values);
		return r;
	}
	if (c->type == VMIAAS_CHECK_PROTO_GVA) {
		r = checkset_copy_proto(cs, i, values);
		kvfree(values);
		return r;
	}
	if (c->type == VMIAAS_CHECK_NETDEV_GVA) {
		r = checkset_copy_netdev(cs, i, values);
		kvfree(values);
		return r;
	}
	cs->values[i] = values;
	if ((c->flags & VMIAAS_CHECK_CSTRING) && !memchr(values, 0, c->len))
		return -EINVAL;
	return 0;
}

/**
 * vmiaas_checks_from_user() - validate and copy a set of checks
 * @args: VMIAAS_IOC_SET_CHECKS's argument, already checked for size,
 *        flags and reserved fields
 * @ret_cs: the new set, or NULL for an empty one
 *
 * Return: 0; -E2BIG; -EINVAL; -ENOMEM; -EFAULT.
 */
int vmiaas_checks_from_user(const struct vmiaas_set_checks *args,
			    struct vmiaas_checkset **ret_cs)
{
	const struct vmiaas_check __user *uc = u64_to_user_ptr(args->checks);
	struct vmiaas_checkset *cs;
	unsigned int i;
	int r;

	*ret_cs = NULL;
	if (args->nr_checks > VMIAAS_MAX_CHECKS)
		return -E2BIG;
	if (!args->nr_checks)
		return args->checks ? -EINVAL : 0;
	cs = kvzalloc(sizeof(*cs), GFP_KERNEL_ACCOUNT);
	if (!cs)
		return -ENOMEM;
	kref_init(&cs->ref);
	for (i = 0; i < args->nr_checks; i++) {
		cs->nr = i + 1;	/* so that free finds values[i] */
		r = checkset_copy_check(cs, i, uc + i);
		if (r) {
			vmiaas_checks_put(cs);
			return r;
		}
	}
	*ret_cs = cs;
	return 0;
}

/* A struct vmi_read_ops callback: guest-physical memory. */
static int read_gpa(void *ctx, u64 gpa, void *buf, size_t len)
{
	struct check_run *run = ctx;

	return vmi_phys_read(&run->phys, gpa, buf, len);
}

/* A struct vmi_read_ops callback: guest-virtual memory through run->as. */
static int read_gva(void *ctx, u64 va, void *buf, size_t len)
{
	struct check_run *run = ctx;

	return vmi_as_read(&run->as, va, buf, len);
}

/*
 * read_gva() for walks whose length a guest sets within caps (its lists):
 * yields between reads and stops when the run is told to.
 */
static int read_gva_yield(void *ctx, u64 va, void *buf, size_t len)
{
	struct check_run *run = ctx;

	cond_resched();
	if (check_run_stopped(run))
		return -ENXIO;
	return vmi_as_read(&run->as, va, buf, len);
}

/* SHA-256 of a range, one page at a time: 0 and the digest, or -errno. */
static int check_range_digest(struct check_run *run,
			      const struct vmi_read_ops *r,
			      const struct vmiaas_check *c, u8 *digest)
{
	struct sha256_state sha;
	u64 va = c->addr, end = c->addr + c->len, next;
	int err;

	sha256_init(&sha);
	for (; va < end; va = next) {
		next = min(end, (va & PAGE_MASK) + PAGE_SIZE);
		err = r->read(r->ctx, va, run->page, next - va);
		if (err)
			return err;
		sha256_update(&sha, run->page, next - va);
		cond_resched();
		if (check_run_stopped(run))
			return -ENXIO;
	}
	sha256_final(&sha, digest);
	return 0;
}

static int exec_walk(struct check_run *run, const struct vmiaas_check *c,
		     const struct vmi_exec_allow *allow, unsigned int pass)
{
	struct vmi_exec_suspects *s = &run->exec[pass];

	s->allow = allow;
	s->nr_allow = c->len;
	return vmi_exec_suspects(&run->as,
				 c->addr ?: vmi_exec_kernel_half(&run->as),
				 VMIAAS_MAX_EXEC_TABLES, s, &run->bufs);
}

/* exec-memory: 1 when a suspect run is still there a moment later. */
static int check_exec(struct check_run *run, const struct vmiaas_check *c,
		      const struct vmi_exec_allow *allow)
{
	int err;

	err = exec_walk(run, c, allow, 0);
	if (err || !run->exec[0].nr)
		return err;
	msleep(EXEC_RESCAN_MS);
	if (check_run_stopped(run))
		return -ENXIO;
	vmi_as_flush(&run->as);
	err = exec_walk(run, c, allow, 1);
	if (err)
		return err;
	return vmi_exec_confirmed(&run->exec[0], &run->exec[1]);
}

/*
 * netfilter-hook: 1 when a walk finds a hook outside the allowed ranges
 * (or a point it cannot walk) and so does a second walk a moment later.
 */
static int check_nf(struct check_run *run, const struct vmi_read_ops *r,
		    const struct nf_values *v)
{
	int err;

	err = vmi_nf_suspects(r, &v->layout, v->allow, v->nr_allow,
			      &run->nf[0]);
	if (err || !run->nf[0].nr)
		return err;
	msleep(EXEC_RESCAN_MS);
	if (check_run_stopped(run))
		return -ENXIO;
	vmi_as_flush(&run->as);
	err = vmi_nf_suspects(r, &v->layout, v->allow, v->nr_allow,
			      &run->nf[1]);
	return err ?: run->nf[1].nr != 0;
}

/* proc-ops' walk with @v's judgement into run->proc: 0 or -errno. */
static int proc_walk_once(struct check_run *run, const struct vmi_read_ops *r,
			  const struct proc_values *v)
{
	run->proc.allow = v->allow;
	run->proc.nr_allow = ARRAY_SIZE(v->allow);
	run->proc.watch = v->watch;
	run->proc.nr_watch = v->nr_watch;
	run->proc.roots = v->has_roots ? &v->roots : NULL;
	return vmi_proc_suspects(r, &v->layout, &run->proc_scratch,
				 &run->proc);
}

/* proc-ops: 1 when two walks a moment apart both find a suspect. */
static int check_proc(struct check_run *run, const struct vmi_read_ops *r,
		      const struct proc_values *v)
{
	int err;

	err = proc_walk_once(run, r, v);
	if (err || !run->proc.nr)
		return err;
	msleep(EXEC_RESCAN_MS);
	if (check_run_stopped(run))
		return -ENXIO;
	vmi_as_flush(&run->as);
	err = proc_walk_once(run, r, v);
	return err ?: run->proc.nr != 0;
}

/* One walk of a hook check: 0 and its number of suspects, or -errno. */
typedef int (*hook_walk_fn)(struct check_run *run,
			    const struct vmi_read_ops *r, const void *values,
			    u64 *ret_nr);

static int ptype_walk_once(struct check_run *run, const struct vmi_read_ops *r,
			   const void *values, u64 *ret_nr)
{
	const struct ptype_values *v = values;
	int err;

	err = vmi_ptype_suspects(r, &v->layout, v->allow, v->nr_allow,
				 &run->ptype);
	*ret_nr = run->ptype.nr;
	return err;
}

static int input_walk_once(struct check_run *run, const struct vmi_read_ops *r,
			   const void *values, u64 *ret_nr)
{
	const struct input_values *v = values;
	int err;

	err = vmi_input_suspects(r, &v->layout, v->allow, v->nr_allow,
				 &run->input_scratch, &run->input);
	*ret_nr = run->input.nr;
	return err;
}

/* One tracepoint-hook walk: the check's array (addr, len tracepoints). */
static int tp_walk_once(struct check_run *run, const struct vmi_read_ops *r,
			const void *values, u64 *ret_nr)
{
	const struct tp_values *v = values;
	int err;

	err = vmi_tp_suspects(r, &v->layout, v->ptrs, v->nr, v->allow,
			      v->nr_allow, &run->tp);
	*ret_nr = run->tp.nr;
	return err;
}

/* One vfs-ops walk: every superblock, cached directory and open file. */
static int vfs_walk_once(struct check_run *run, const struct vmi_read_ops *r,
			 const void *values, u64 *ret_nr)
{
	const struct vfs_values *v = values;
	int err;

	err = vmi_vfs_suspects(r, &v->layout, v->super_blocks, v->init_task,
			       &run->vfs_scratch, v->allow, v->nr_allow,
			       &v->image, v->debugfs_type, &run->vfs);
	*ret_nr = run->vfs.nr;
	return err;
}

/* One tty-ldisc walk: every discipline, driver and tty reached. */
static int tty_walk_once(struct check_run *run, const struct vmi_read_ops *r,
			 const void *values, u64 *ret_nr)
{
	const struct tty_values *v = values;
	int err;

	err = vmi_tty_suspects(r, &v->layout, &run->tty_scratch, v->allow,
			       v->nr_allow, &run->tty);
	*ret_nr = run->tty.nr;
	return err;
}

/* One net-protocol walk: every table, list and inet_protosw. */
static int proto_walk_once(struct check_run *run,
			   const struct vmi_read_ops *r, const void *values,
			   u64 *ret_nr)
{
	const struct proto_values *v = values;
	int err;

	err = vmi_proto_suspects(r, &v->set, v->allow, v->nr_allow,
				 &run->proto);
	*ret_nr = run->proto.nr;
	return err;
}

/* One netdev-hook walk: every device of every namespace. */
static int netdev_walk_once(struct check_run *run,
			    const struct vmi_read_ops *r, const void *values,
			    u64 *ret_nr)
{
	int err;

	err = vmi_netdev_suspects(r, values, &run->netdev_scratch,
				  &run->netdev);
	*ret_nr = run->netdev.nr;
	return err;
}

/*
 * packet-tap, input-handler, tracepoint-hook, vfs-ops, tty-ldisc,
 * net-protocol, netdev-hook: 1 when a walk finds a suspect (a function
 * outside the allowed ranges, or what it cannot walk) and so does a
 * second walk a moment later.
 */
static int check_twice(struct check_run *run, const struct vmi_read_ops *r,
		       hook_walk_fn walk, const void *values)
{
	u64 nr;
	int err;

	err = walk(run, r, values, &nr);
	if (err || !nr)
		return err;
	msleep(EXEC_RESCAN_MS);
	if (check_run_stopped(run))
		return -ENXIO;
	vmi_as_flush(&run->as);
	err = walk(run, r, values, &nr);
	return err ?: nr != 0;
}

/* What netfilter-hook's confirming walk found first, named. */
static void found_nf(const struct vmi_nf_hook *h, struct vmiaas_found *f)
{
	BUILD_BUG_ON(VMIAAS_NF_FAM_INGRESS != VMI_NF_INGRESS);
	BUILD_BUG_ON(VMIAAS_NF_FAM_EGRESS != VMI_NF_EGRESS);
	BUILD_BUG_ON(VMIAAS_NF_FAM_NETNS != VMI_NF_NETNS_LIST);
	BUILD_BUG_ON(VMIAAS_NF_FAM_DEVS != VMI_NF_DEV_LIST);
	f->kind = h->err ? VMIAAS_FOUND_NF_BAD : VMIAAS_FOUND_NF_HOOK;
	f->where = h->entries;
	f->value = h->fn;
	f->dev = h->dev;
	f->netns = h->netns;
	f->family = h->family;
	f->point = h->point;
	f->index = h->index;
	f->err = h->err;
}

/* What proc-ops' confirming walk found first, named. */
static void found_proc(const struct vmi_proc_suspects *s, u64 init_net,
		       struct vmiaas_found *f)
{
	BUILD_BUG_ON(sizeof(f->path) != sizeof(s->first_path));
	f->kind = s->first_bad ? VMIAAS_FOUND_PROC_BAD :
		  VMIAAS_FOUND_PROC_PTR;
	f->where = s->first_pde;
	f->value = s->first_now;
	f->expected = s->first_old;
	f->netns = s->first_netns;
	f->index = s->first_bad ?: s->first_ptr;
	f->err = s->first_err;
	if (s->first_root)
		f->flags |= VMIAAS_FOUND_ROOT_INODE;
	if (s->first_net == init_net)
		f->flags |= VMIAAS_FOUND_INIT_NET;
	memcpy(f->path, s->first_path, sizeof(f->path));
	f->path[sizeof(f->path) - 1] = '\0';
}

/* What packet-tap's confirming walk found first, named. */
static void found_ptype(const struct vmi_ptype_hook *h, struct vmiaas_found *f)
{
	BUILD_BUG_ON(VMI_PT_ALL != 0 || VMI_PT_BASE != 1 ||
		     VMI_PT_NET_ALL != 2 || VMI_PT_NET_SPECIFIC != 3 ||
		     VMI_PT_DEV_ALL != 4 || VMI_PT_DEV_SPECIFIC != 5 ||
		     VMI_PT_NETNS_LIST != 6 || VMI_PT_DEV_LIST != 7);
	f->kind = h->err ? VMIAAS_FOUND_PTYPE_BAD : VMIAAS_FOUND_PTYPE_FN;
	f->where = h->err ? h->head : h->pt;
	f->value = h->err ? h->pt : h->fn;
	f->expected = h->type;
	f->dev = h->dev;
	f->netns = h->netns;
	f->family = h->bucket;
	f->point = h->list;
	f->index = h->member;
	f->err = h->err;
}

/* What input-handler's confirming walk found first, named. */
static void found_input(const struct vmi_input_hook *h, struct vmiaas_found *f)
{
	BUILD_BUG_ON(VMI_INPUT_HANDLER_FN != 0 || VMI_INPUT_UNREGISTERED != 1 ||
		     VMI_INPUT_HANDLE_EVENTS != 2 ||
		     VMI_INPUT_HANDLER_LIST != 3 || VMI_INPUT_DEV_LIST != 4 ||
		     VMI_INPUT_H_LIST != 5);
	f->kind = h->err ? VMIAAS_FOUND_INPUT_BAD : VMIAAS_FOUND_INPUT_FN;
	f->where = h->what >= VMI_INPUT_HANDLER_LIST ? h->head : h->handler;
	f->value = h->fn;
	f->expected = h->handle;
	f->dev = h->dev;
	f->point = h->what;
	f->index = h->member;
	f->err = h->err;
}

/*
 * vfs-ops: the walk's arrays for this check (room for its dentry cap:
 * the walk is never cut short by them; 4 MiB at most), then two walks.
 */
static int check_vfs(struct check_run *run, const struct vmi_read_ops *r,
		     const struct vfs_values *v)
{
	struct vmi_vfs_scratch *s = &run->vfs_scratch;
	int err = -ENOMEM;

	s->pend_cap = v->layout.max_dentries + 1;
	s->tasks_cap = v->layout.max_tasks;
	s->pend = kvmalloc_array(s->pend_cap, sizeof(*s->pend),
				 GFP_KERNEL_ACCOUNT);
	s->tasks = kvmalloc_array(s->tasks_cap, sizeof(*s->tasks),
				  GFP_KERNEL_ACCOUNT);
	if (s->pend && s->tasks)
		err = check_twice(run, r, vfs_walk_once, v);
	kvfree(s->pend);
	kvfree(s->tasks);
	s->pend = NULL;
	s->tasks = NULL;
	return err;
}

/* What vfs-ops' confirming walk found first, named. */
static void found_vfs(const struct vmi_vfs_ptr *p, struct vmiaas_found *f)
{
	if (p->field == VMI_VFS_BAD_SBS) {
		f->kind = VMIAAS_FOUND_VFS_BAD;
		f->where = p->obj;
		f->index = p->nodes;
		f->err = p->err;
		return;
	}
	f->kind = VMIAAS_FOUND_VFS_PTR;
	f->where = p->obj;
	f->value = p->ptr;
	f->expected = p->sb;
	f->dev = p->dentry;
	f->point = p->field;
	f->family = p->tgid;
	f->index = p->fd;
}

/* What tracepoint-hook's confirming walk found first, named. */
static void found_tp(const struct vmi_tp_suspects *s, struct vmiaas_found *f)
{
	const struct vmi_tp_probe *p = &s->first;

	f->kind = p->err ? VMIAAS_FOUND_TP_BAD : VMIAAS_FOUND_TP_PROBE;
	f->where = p->tp;
	f->value = p->err ? p->funcs : p->fn;
	f->expected = p->data;
	f->point = p->entry;
	f->index = p->index;
	f->err = p->err;
	memcpy(f->path, s->first_name, sizeof(f->path));
	f->path[sizeof(f->path) - 1] = '\0';
}

/*
 * Names what check @i found, when it failed (@res > 0) and is a walk
 * whose suspect the run holds, in the verdict's next free slot.
 */
static void check_found(const struct check_run *run, unsigned int i,
			int res, struct vmiaas_verdict *ret)
{
	u32 type = run->cs->checks[i].type;
	struct vmiaas_found *f;

	if (res <= 0 || ret->nr_found >= VMIAAS_EVENT_FOUND ||
	    type < VMIAAS_CHECK_NF_GVA)
		return;
	f = &ret->found[ret->nr_found++];
	memset(f, 0, sizeof(*f));
	f->check = i;
	if (type == VMIAAS_CHECK_NF_GVA)
		found_nf(&run->nf[1].first, f);
	else if (type == VMIAAS_CHECK_PROC_GVA)
		found_proc(&run->proc, ((const struct proc_values *)
					run->cs->values[i])->layout.init_net, f);
	else if (type == VMIAAS_CHECK_PTYPE_GVA)
		found_ptype(&run->ptype.first, f);
	else if (type == VMIAAS_CHECK_INPUT_GVA)
		found_input(&run->input.first, f);
	else if (type == VMIAAS_CHECK_TP_GVA)
		found_tp(&run->tp, f);
	else if (type == VMIAAS_CHECK_VFS_GVA)
		found_vfs(&run->vfs.first, f);
	else if (type == VMIAAS_CHECK_TTY_GVA)
		vmi_tty_found(&run->tty, f);
	else if (type == VMIAAS_CHECK_PROTO_GVA)
		vmi_proto_found(&run->proto, f);
	else
		vmi_netdev_found(&run->netdev, f);
}

/* 1 if the check differs, 0 if it matches, -errno if it could not run. */
static int check_run_one(struct check_run *run, unsigned int i)
{
	const struct vmiaas_check *c = &run->cs->checks[i];
	const void *values = run->cs->values[i];
	struct vmi_read_ops r = { .ctx = run };
	u8 digest[SHA256_DIGEST_SIZE];
	s64 n;
	int err;

	BUILD_BUG_ON(sizeof(c->digest) != SHA256_DIGEST_SIZE);
	BUILD_BUG_ON(VMIAAS_MAX_BYTES > PAGE_SIZE);
	r.read = check_is_gva(c->type) ? read_gva : read_gpa;
	if (check_is_gva(c->type))
		vmi_as_init(&run->as, &run->phys, c->root, run->la57);
	if (check_is_range(c->type)) {
		err = check_range_digest(run, &r, c, digest);
		if (err)
			return err;
		return memcmp(digest, c->digest, sizeof(digest)) != 0;
	}
	if (check_is_bytes(c->type))
		return vmi_measure_bytes(&r, c->addr, c->len, values,
					 c->flags & VMIAAS_CHECK_CSTRING ?
					 VMI_MEASURE_CSTRING : 0, run->page);
	if (c->type == VMIAAS_CHECK_EXEC_GVA)
		return check_exec(run, c, values);
	if (c->type == VMIAAS_CHECK_NF_GVA) {
		r.read = read_gva_yield;
		return check_nf(run, &r, values);
	}
	if (c->type == VMIAAS_CHECK_PROC_GVA) {
		r.read = read_gva_yield;
		return check_proc(run, &r, values);
	}
	if (c->type == VMIAAS_CHECK_PTYPE_GVA) {
		r.read = read_gva_yield;
		return check_twice(run, &r, ptype_walk_once, values);
	}
	if (c->type == VMIAAS_CHECK_INPUT_GVA) {
		r.read = read_gva_yield;
		return check_twice(run, &r, input_walk_once, values);
	}
	if (c->type == VMIAAS_CHECK_TP_GVA) {
		r.read = read_gva_yield;
		return check_twice(run, &r, tp_walk_once, values);
	}
	if (c->type == VMIAAS_CHECK_VFS_GVA) {
		r.read = read_gva_yield;
		return check_vfs(run, &r, values);
	}
	if (c->type == VMIAAS_CHECK_TTY_GVA) {
		r.read = read_gva_yield;
		return check_twice(run, &r, tty_walk_once, values);
	}
	if (c->type == VMIAAS_CHECK_PROTO_GVA) {
		r.read = read_gva_yield;
		return check_twice(run, &r, proto_walk_once, values);
	}
	if (c->type == VMIAAS_CHECK_NETDEV_GVA) {
		r.read = read_gva_yield;
		return check_twice(run, &r, netdev_walk_once, values);
	}
	n = vmi_measure_ptrs(&r, c->addr, c->len, values, run->now);
	if (n < 0)
		return n;
	return n != 0;
}

/**
 * vmiaas_checks_run() - run every registered check of a VM
 * @cs: the set, referenced by the caller
 * @kvm: the VM; the caller holds kvm->srcu and runs with the VMM's mm
 * @la57: walk guest-virtual addresses with 5 levels (the requesting
 *        vCPU's CR4.LA57)
 * @stop: NULL, or a flag that ends the run early when it turns true
 *        (looked at after every page and every check)
 * @ret: the verdict
 *
 * No lock is needed: the set is immutable, the scratch is this run's.
 *
 * Return: 0; -ENOMEM or -ENXIO (stopped): no verdict.
 */
int vmiaas_checks_run(const struct vmiaas_checkset *cs, struct kvm *kvm,
		      bool la57, const bool *stop, struct vmiaas_verdict *ret)
{
	struct check_run *run;
	bool differs = false;
	unsigned int i;
	int r;

	memset(ret, 0, sizeof(*ret));
	run = check_run_alloc(cs, kvm, la57);
	if (!run)
		return -ENOMEM;
	run->stop = stop;
	for (i = 0; i < cs->nr; i++) {
		r = check_run_one(run, i);
		if (check_run_stopped(run)) {
			kvfree(run);
			return -ENXIO;
		}
		if (!r)
			continue;
		check_found(run, i, r, ret);
		differs |= r > 0;
		ret->nr_failed++;
		ret->failed_mask |= BIT_ULL(i);
	}
	kvfree(run);
	ret->nr_checks = cs->nr;
	if (differs)
		ret->verdict = VMIAAS_VERDICT_TAMPERED;
	else if (ret->nr_failed)
		ret->verdict = VMIAAS_VERDICT_ERROR;
	else
		ret->verdict = VMIAAS_VERDICT_CLEAN;
	return 0;
}
