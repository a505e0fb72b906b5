// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * vmiaas.ko's share of exec-memory, usermode-helper, netfilter-hook,
 * proc-ops, packet-tap, input-handler, tracepoint-hook, vfs-ops,
 * tty-ldisc, net-protocol and netdev-hook: the records to register
 * (policy, from check_exec.c, check_helpers.c, check_netfilter.c,
 * check_procops.c, check_ptype.c, check_input.c, check_tracepoint.c,
 * check_vfsops.c, check_tty.c, check_netproto.c and check_netdev.c) and,
 * for tests and for a caller
 * that wants to know a set passes before registering it, their run as
 * the module runs them: the same core functions (core/execmem.c,
 * vmi_measure_bytes(), core/nfhook.c, core/procwalk.c, core/ptypewalk.c,
 * core/inputwalk.c, core/tpwalk.c, core/vfswalk.c, core/ttywalk.c,
 * core/protowalk.c, core/netdevwalk.c),
 * through the records'
 * own root; and what the module's events name, as vmictl check's
 * findings.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "uapi/linux/vmiaas.h"
#include "checks.h"
#include "hookpolicy.h"
#include "../../core/nfhook.h"
#include "../../core/procwalk.h"
#include "../../core/protowalk.h"
#include "../../core/ptypewalk.h"
#include "../../core/inputwalk.h"
#include "../../core/netdevwalk.h"
#include "../../core/tpwalk.h"
#include "../../core/ttywalk.h"
#include "vfsops.h"

#define ND_FOUND_NAME		24	/* a device's name, or "dev@" and 16 digits */
#define POLICY_RESCAN_US	20000	/* kmod/checks.c's EXEC_RESCAN_MS */
#define POLICY_NF_NETNS		4096	/* kmod/checks.c's NF_NETNS_MAX */
#define POLICY_NF_DEVS		65536	/* and NF_DEVS_MAX */
#define POLICY_PROC_ENTRIES	(1U << 18)	/* and PROC_ENTRIES_MAX */
#define POLICY_PROC_NODES	32768		/* and PROC_NODES_MAX */
#define POLICY_PROC_NETNS	4096		/* and PROC_NETNS_MAX */
/* what a module that leaves caps.check_types zero runs: types 1 to 4 */
#define MODULE_TYPES_OLD	0x1eULL

/*
 * The module's pause between two scans of a record's suspects: the guest
 * runs, then @as forgets its translations, so the second scan reads the
 * page tables as they are then (engine_pause() for a record's own root).
 */
static void policy_pause(struct vmi_as *as)
{
	usleep(POLICY_RESCAN_US);
	vmi_as_flush(as);
}

int vmiaas_module_policy(struct vmiaas *v, const struct vmiaas_baseline *b,
			 struct vmiaas_module_check *out, size_t max,
			 size_t *ret_nr)
{
	struct hook_trust t;
	size_t nr = 0;
	int err;

	*ret_nr = 0;
	if (!v->kas || !v->info.pgd_pa)
		return -EINVAL;
	free(v->proc_table);	/* proc_module_check() makes this set's */
	v->proc_table = NULL;
	v->nr_proc_table = 0;
	err = hook_trust_get(v, b, &t);
	err = err ?: exec_module_check(v, out, max, &nr);
	err = err ?: helpers_module_checks(v, out, max, &nr);
	err = err ?: nf_module_check(v, out, max, &nr, &t);
	err = err ?: proc_module_check(v, out, max, &nr);
	err = err ?: ptype_module_check(v, out, max, &nr, &t);
	err = err ?: input_module_check(v, out, max, &nr, &t);
	err = err ?: tp_module_check(v, out, max, &nr, &t);
	err = err ?: vfs_module_check(v, out, max, &nr);
	err = err ?: tty_module_check(v, out, max, &nr, &t);
	err = err ?: proto_module_check(v, out, max, &nr, &t);
	err = err ?: netdev_module_check(v, out, max, &nr, &t);
	hook_trust_put(&t);
	*ret_nr = nr;	/* on error: those of the checks before it */
	return err;
}

/* Adds @id to the comma-separated @list unless it is there already. */
static void list_add(char *list, size_t size, const char *id)
{
	size_t used = strlen(list), n = strlen(id);
	const char *p;

	for (p = strstr(list, id); p; p = strstr(p + 1, id))
		if ((p == list || p[-1] == ' ') && (p[n] == ',' || !p[n]))
			return;
	snprintf(list + used, size - used, "%s%s", used ? ", " : "", id);
}

size_t vmiaas_module_filter(struct vmiaas_module_check *c, size_t nr,
			    uint64_t check_types, char *left_out, size_t size)
{
	uint64_t runs = check_types ?: MODULE_TYPES_OLD;
	size_t i, kept = 0;

	if (left_out && size)
		left_out[0] = '\0';
	for (i = 0; i < nr; i++) {
		if (c[i].type < 64 && (runs & (1ULL << c[i].type))) {
			if (kept != i)
				c[kept] = c[i];
			kept++;
		} else if (left_out && size) {
			list_add(left_out, size, c[i].check[0] ? c[i].check :
				 c[i].label);
		}
	}
	return kept;
}

/* A record's allowed ranges in the core's form (as kmod/checks.c). */
static int policy_allow(const struct vmiaas_module_check *c,
			struct vmi_exec_allow *allow)
{
	const struct vmiaas_exec_range *e = (const void *)c->data;
	u32 i;

	if (c->len > VMIAAS_MAX_EXEC_RANGES ||
	    c->len * sizeof(*e) > sizeof(c->data))
		return -E2BIG;
	for (i = 0; i < c->len; i++)
		allow[i] = (struct vmi_exec_allow){
			.start = e[i].start, .end = e[i].end,
			.flags = e[i].flags & VMIAAS_EXEC_PHYS ?
				 VMI_EXEC_ALLOW_PHYS : 0,
		};
	return 0;
}

/* kmod/checks.c's check_exec(): 1 failed, 0 passed, -errno. */
static int policy_exec(struct vmi_as *as, const struct vmiaas_module_check *c)
{
	struct vmi_exec_allow allow[VMIAAS_MAX_EXEC_RANGES];
	struct vmi_exec_suspects s[2] = {
		{ .allow = allow, .nr_allow = c->len },
		{ .allow = allow, .nr_allow = c->len },
	};
	u64 first = c->addr ?: vmi_exec_kernel_half(as);
	int err;

	err = policy_allow(c, allow);
	err = err ?: vmi_exec_suspects(as, first, VMIAAS_MAX_EXEC_TABLES,
				       &s[0], NULL);
	if (err || !s[0].nr)
		return err;
	policy_pause(as);
	err = vmi_exec_suspects(as, first, VMIAAS_MAX_EXEC_TABLES, &s[1], NULL);
	return err ?: vmi_exec_confirmed(&s[0], &s[1]);
}

/* A record's struct vmiaas_nf_check in the core's form (as kmod/checks.c). */
static int policy_nf_layout(const struct vmiaas_module_check *c,
			    struct vmi_nf_layout *l, struct vmi_range *allow)
{
	const struct vmiaas_nf_check *nf = (const void *)c->data;
	u32 i;

	if (nf->nr_allow > VMIAAS_MAX_NF_ALLOW)
		return -E2BIG;
	*l = (struct vmi_nf_layout){
		.net_head = c->addr, .net_list = nf->net_list,
		.net_inum = nf->net_inum, .dev_base = nf->dev_base,
		.dev_list = nf->dev_list, .ingress = nf->ingress,
		.egress = nf->egress, .max_netns = POLICY_NF_NETNS,
		.max_devs = POLICY_NF_DEVS,
		.flags = (nf->flags & VMIAAS_NF_INGRESS ? VMI_NF_HAS_INGRESS : 0) |
			 (nf->flags & VMIAAS_NF_EGRESS ? VMI_NF_HAS_EGRESS : 0),
	};
	for (i = 0; i < VMIAAS_NF_FAMILIES; i++) {
		l->fam_off[i] = nf->family_off[i];
		l->fam_nr[i] = nf->family_nr[i];
	}
	for (i = 0; i < nf->nr_allow; i++)
		allow[i] = (struct vmi_range){ nf->allow[i][0], nf->allow[i][1] };
	return 0;
}

/*
 * kmod/checks.c's check_nf(): 1 failed (and *@f, if given, names the
 * first suspect as the module's event does), 0 passed, -errno.
 */
static int policy_nf(struct vmi_as *as, const struct vmiaas_module_check *c,
		     const struct vmi_read_ops *r, struct vmiaas_found *f)
{
	const struct vmiaas_nf_check *nf = (const void *)c->data;
	struct vmi_range allow[VMIAAS_MAX_NF_ALLOW];
	struct vmi_nf_suspects s;
	struct vmi_nf_layout l;
	int err;

	err = policy_nf_layout(c, &l, allow);
	err = err ?: vmi_nf_suspects(r, &l, allow, nf->nr_allow, &s);
	if (err || !s.nr)
		return err;
	policy_pause(as);
	err = vmi_nf_suspects(r, &l, allow, nf->nr_allow, &s);
	if (!err && s.nr && f)
		*f = (struct vmiaas_found){
			.kind = s.first.err ? VMIAAS_FOUND_NF_BAD :
				VMIAAS_FOUND_NF_HOOK,
			.where = s.first.entries, .value = s.first.fn,
			.dev = s.first.dev, .netns = s.first.netns,
			.family = s.first.family, .point = s.first.point,
			.index = s.first.index, .err = s.first.err,
		};
	return err ?: s.nr != 0;
}

#define POLICY_PROC_SBS		65536		/* and PROC_SB_MAX */

/* proc-ops' record in the core's form (as kmod/checks.c). */
struct policy_proc {
	struct vmi_proc_layout l;
	struct vmi_range allow[2];
	struct vmi_proc_roots roots;
	struct vmi_proc_suspects s;
	struct vmi_proc_watch *watch;	/* inline and table, sorted */
};

/*
 * A record's struct vmiaas_proc_check (and struct vmiaas_proc_more: its
 * table at ->watch, or @v's with ->watch 0) in the core's form: 0,
 * -ENOMEM, or -EINVAL where the module refuses it too.
 */
static int policy_proc_layout(struct vmiaas *v,
			      const struct vmiaas_module_check *c,
			      struct policy_proc *p)
{
	const struct vmiaas_proc_check *pc = (const void *)c->data;
	const struct vmiaas_proc_more *more = (const void *)(pc + 1);
	const struct vmiaas_proc_watch *table = NULL;
	u32 i, nr_table = 0, nr;

	if (c->flags & VMIAAS_CHECK_PROC_MORE) {
		nr_table = more->nr_watch;
		table = more->watch ? (const void *)(uintptr_t)more->watch :
			v->proc_table;
		if (!more->watch && nr_table > v->nr_proc_table)
			return -EINVAL;
	}
	if (pc->nr_watch > VMIAAS_MAX_PROC_WATCH ||
	    nr_table > VMIAAS_MAX_PROC_TABLE)
		return -EINVAL;
	p->l = (struct vmi_proc_layout){
		.root = pc->root, .init_net = pc->init_net,
		.net_head = c->addr, .subdir = pc->subdir, .node = pc->node,
		.name = pc->name, .namelen = pc->namelen, .mode = pc->mode,
		.size = pc->size, .rb_left = pc->rb_left,
		.rb_right = pc->rb_right, .net_list = pc->net_list,
		.proc_net = pc->proc_net, .net_inum = pc->net_inum,
		.max_entries = POLICY_PROC_ENTRIES,
		.max_nodes = POLICY_PROC_NODES, .max_netns = POLICY_PROC_NETNS,
	};
	memcpy(p->l.ptr, pc->ptr, sizeof(p->l.ptr));
	for (i = 0; i < 2; i++)
		p->allow[i] = (struct vmi_range){ pc->allow[i][0],
						  pc->allow[i][1] };
	nr = pc->nr_watch + nr_table;
	p->watch = calloc(nr ? nr : 1, sizeof(*p->watch));
	if (!p->watch)
		return -ENOMEM;
	for (i = 0; i < pc->nr_watch; i++) {
		p->watch[i].key = pc->watch[i].key;
		memcpy(p->watch[i].ptr, pc->watch[i].ptr, sizeof(p->watch[i].ptr));
	}
	for (i = 0; i < nr_table; i++) {
		p->watch[pc->nr_watch + i].key = table[i].key;
		memcpy(p->watch[pc->nr_watch + i].ptr, table[i].ptr,
		       sizeof(table[i].ptr));
	}
	qsort(p->watch, nr, sizeof(*p->watch), u64_cmp);
	p->s = (struct vmi_proc_suspects){ .allow = p->allow, .nr_allow = 2,
					   .watch = p->watch, .nr_watch = nr };
	if ((c->flags & VMIAAS_CHECK_PROC_MORE) && more->super_blocks) {
		p->roots = (struct vmi_proc_roots){
			.super_blocks = more->super_blocks,
			.proc_fs_type = more->proc_fs_type,
			.s_list = more->s_list, .s_type = more->s_type,
			.s_root = more->s_root, .d_inode = more->d_inode,
			.i_fop = more->i_fop, .i_op = more->i_op,
			.max_sbs = POLICY_PROC_SBS,
		};
		p->s.roots = &p->roots;
	}
	return vmi_proc_watch_sorted(p->watch, nr) ? 0 : -EINVAL;
}

/* kmod/checks.c's check_proc(), as policy_nf(). */
static int policy_proc(struct vmiaas *v, struct vmi_as *as,
		       const struct vmiaas_module_check *c,
		       const struct vmi_read_ops *r, struct vmiaas_found *f)
{
	struct vmi_proc_scratch *scratch;
	struct policy_proc p = { 0 };
	int err;

	scratch = malloc(sizeof(*scratch));
	if (!scratch)
		return -ENOMEM;
	err = policy_proc_layout(v, c, &p);
	err = err ?: vmi_proc_suspects(r, &p.l, scratch, &p.s);
	if (!err && p.s.nr) {
		policy_pause(as);
		err = vmi_proc_suspects(r, &p.l, scratch, &p.s);
	}
	if (!err && p.s.nr && f) {
		*f = (struct vmiaas_found){
			.kind = p.s.first_bad ? VMIAAS_FOUND_PROC_BAD :
				VMIAAS_FOUND_PROC_PTR,
			.where = p.s.first_pde, .value = p.s.first_now,
			.expected = p.s.first_old, .netns = p.s.first_netns,
			.index = p.s.first_bad ? p.s.first_bad : p.s.first_ptr,
			.err = p.s.first_err,
			.flags = (p.s.first_root ? VMIAAS_FOUND_ROOT_INODE : 0) |
				 (p.s.first_net == p.l.init_net ?
				  VMIAAS_FOUND_INIT_NET : 0),
		};
		memcpy(f->path, p.s.first_path, sizeof(f->path));
	}
	free(scratch);
	free(p.watch);
	return err ?: p.s.nr != 0;
}

/*
 * A hook record's allowed ranges in the core's form, refused as
 * kmod/checks.c's hook_allow_copy() refuses them: none, over
 * VMIAAS_MAX_HOOK_ALLOW or an empty one.
 */
static int policy_hook_allow(const __u64 (*in)[2], u32 nr,
			     struct vmi_range *allow)
{
	u32 i;

	if (!nr || nr > VMIAAS_MAX_HOOK_ALLOW)
		return -EINVAL;
	for (i = 0; i < nr; i++) {
		if (in[i][0] >= in[i][1])
			return -EINVAL;
		allow[i] = (struct vmi_range){ in[i][0], in[i][1] };
	}
	return 0;
}

/* A record's struct vmiaas_ptype_check in the core's form (as kmod). */
static void policy_ptype_layout(const struct vmiaas_module_check *c,
				struct vmi_ptype_layout *l)
{
	const struct vmiaas_ptype_check *pc = (const void *)c->data;

	*l = (struct vmi_ptype_layout){
		.all = pc->all, .base = pc->base, .net_head = c->addr,
		.net_list = pc->net_list, .net_inum = pc->net_inum,
		.net_all = pc->net_all, .net_specific = pc->net_specific,
		.dev_base = pc->dev_base, .dev_list = pc->dev_list,
		.dev_all = pc->dev_all, .dev_specific = pc->dev_specific,
		.pt_list = pc->pt_list, .pt_type = pc->pt_type,
		.flags = pc->flags, .max_netns = POLICY_NF_NETNS,
		.max_devs = POLICY_NF_DEVS, .max_list = VMI_PT_LIST_MAX,
		.max_total = VMI_PT_TOTAL_MAX,
	};
	memcpy(l->fn_off, pc->fn_off, sizeof(l->fn_off));
}

/* What packet-tap's walk found first, as kmod/checks.c's found_ptype(). */
static void found_of_ptype(const struct vmi_ptype_hook *h,
			   struct vmiaas_found *f)
{
	*f = (struct vmiaas_found){
		.kind = h->err ? VMIAAS_FOUND_PTYPE_BAD : VMIAAS_FOUND_PTYPE_FN,
		.where = h->err ? h->head : h->pt,
		.value = h->err ? h->pt : h->fn, .expected = h->type,
		.dev = h->dev, .netns = h->netns, .family = h->bucket,
		.point = h->list, .index = h->member, .err = h->err,
	};
}

/* kmod/checks.c's packet-tap run, as policy_nf(). */
static int policy_ptype(struct vmi_as *as, const struct vmiaas_module_check *c,
			const struct vmi_read_ops *r, struct vmiaas_found *f)
{
	const struct vmiaas_ptype_check *pc = (const void *)c->data;
	struct vmi_range allow[VMIAAS_MAX_HOOK_ALLOW];
	struct vmi_ptype_suspects s;
	struct vmi_ptype_layout l;
	int err;

	policy_ptype_layout(c, &l);
	err = policy_hook_allow(pc->allow, pc->nr_allow, allow);
	err = err ?: vmi_ptype_suspects(r, &l, allow, pc->nr_allow, &s);
	if (err || !s.nr)
		return err;
	policy_pause(as);
	err = vmi_ptype_suspects(r, &l, allow, pc->nr_allow, &s);
	if (!err && s.nr && f)
		found_of_ptype(&s.first, f);
	return err ?: s.nr != 0;
}

/* A record's struct vmiaas_input_check in the core's form (as kmod). */
static void policy_input_layout(const struct vmiaas_module_check *c,
				struct vmi_input_layout *l)
{
	const struct vmiaas_input_check *ic = (const void *)c->data;

	*l = (struct vmi_input_layout){
		.handlers = c->addr, .devs = ic->devs, .h_node = ic->h_node,
		.d_node = ic->d_node, .d_hlist = ic->d_hlist,
		.hd_dnode = ic->hd_dnode, .hd_handler = ic->hd_handler,
		.hd_events = ic->hd_events, .flags = ic->flags,
		.max_handlers = VMI_INPUT_HANDLERS_MAX,
		.max_devs = VMI_INPUT_DEVS_MAX,
		.max_handles = VMI_INPUT_HANDLES_MAX,
	};
	memcpy(l->h_fn, ic->fn_off, sizeof(l->h_fn));
}

/* What input-handler's walk found first, as kmod/checks.c's found_input(). */
static void found_of_input(const struct vmi_input_hook *h,
			   struct vmiaas_found *f)
{
	*f = (struct vmiaas_found){
		.kind = h->err ? VMIAAS_FOUND_INPUT_BAD : VMIAAS_FOUND_INPUT_FN,
		.where = h->what >= VMI_INPUT_HANDLER_LIST ? h->head :
			 h->handler,
		.value = h->fn, .expected = h->handle, .dev = h->dev,
		.point = h->what, .index = h->member, .err = h->err,
	};
}

/* kmod/checks.c's input-handler run, as policy_nf(). */
static int policy_input(struct vmi_as *as, const struct vmiaas_module_check *c,
			const struct vmi_read_ops *r, struct vmiaas_found *f)
{
	const struct vmiaas_input_check *ic = (const void *)c->data;
	struct vmi_range allow[VMIAAS_MAX_HOOK_ALLOW];
	struct vmi_input_scratch *scratch;
	struct vmi_input_suspects s;
	struct vmi_input_layout l;
	int err;

	scratch = malloc(sizeof(*scratch));
	if (!scratch)
		return -ENOMEM;
	policy_input_layout(c, &l);
	err = policy_hook_allow(ic->allow, ic->nr_allow, allow);
	err = err ?: vmi_input_suspects(r, &l, allow, ic->nr_allow, scratch,
					&s);
	if (!err && s.nr) {
		policy_pause(as);
		err = vmi_input_suspects(r, &l, allow, ic->nr_allow, scratch,
					 &s);
	}
	if (!err && s.nr && f)
		found_of_input(&s.first, f);
	free(scratch);
	return err ?: s.nr != 0;
}

/* kmod/checks.c's tracepoint-hook run, as policy_nf(). */
static int policy_tp(struct vmi_as *as, const struct vmiaas_module_check *c,
		     const struct vmi_read_ops *r, struct vmiaas_found *f)
{
	const struct vmiaas_tp_check *tc = (const void *)c->data;
	struct vmi_range allow[VMIAAS_MAX_HOOK_ALLOW];
	const struct vmi_tp_layout l = {
		.tp_name = tc->tp_name, .tp_funcs = tc->tp_funcs,
		.func_fn = tc->func_fn, .func_data = tc->func_data,
		.func_size = tc->func_size, .max_tps = VMI_TP_MAX,
		.max_probes = VMI_TP_PROBES_MAX,
	};
	struct vmi_tp_suspects s;
	int err;

	err = policy_hook_allow(tc->allow, tc->nr_allow, allow);
	err = err ?: vmi_tp_suspects(r, &l, c->addr, c->len, allow,
				     tc->nr_allow, &s);
	if (err || !s.nr)
		return err;
	policy_pause(as);
	err = vmi_tp_suspects(r, &l, c->addr, c->len, allow, tc->nr_allow, &s);
	if (!err && s.nr && f) {
		*f = (struct vmiaas_found){
			.kind = s.first.err ? VMIAAS_FOUND_TP_BAD :
				VMIAAS_FOUND_TP_PROBE,
			.where = s.first.tp,
			.value = s.first.err ? s.first.funcs : s.first.fn,
			.expected = s.first.data, .point = s.first.entry,
			.index = s.first.index, .err = s.first.err,
		};
		static_assert(sizeof(f->path) == sizeof(s.first_name), "name");
		memcpy(f->path, s.first_name, sizeof(f->path));
	}
	return err ?: s.nr != 0;
}

/* What vfs-ops' walk found first, as kmod/checks.c's found_vfs(). */
static void found_of_vfs(const struct vmi_vfs_ptr *p, struct vmiaas_found *f)
{
	if (p->field == VMI_VFS_BAD_SBS) {
		*f = (struct vmiaas_found){
			.kind = VMIAAS_FOUND_VFS_BAD, .where = p->obj,
			.index = p->nodes, .err = p->err,
		};
		return;
	}
	*f = (struct vmiaas_found){
		.kind = VMIAAS_FOUND_VFS_PTR, .where = p->obj, .value = p->ptr,
		.expected = p->sb, .dev = p->dentry, .point = p->field,
		.family = (u32)p->tgid, .index = p->fd,
	};
}

/* kmod/checks.c's check_vfs(), as policy_nf(). */
static int policy_vfs(struct vmiaas *v, struct vmi_as *as,
		      const struct vmiaas_module_check *c,
		      const struct vmi_read_ops *r, struct vmiaas_found *f)
{
	const struct vmiaas_module_vfs *rec = (const void *)c->data;
	const struct vmiaas_vfs_check *vc = &rec->vc;
	const struct vmi_range *allow;
	struct vmi_vfs_scratch *w;
	struct vmi_vfs_suspects s;
	struct vmi_vfs_layout l;
	const struct vmi_range image = { vc->image[0], vc->image[1] };
	int err;

	static_assert(sizeof(struct vmi_range) == 2 * sizeof(u64), "range");
	vmi_vfs_layout_of(vc, &l);
	allow = rec->allow ? (const void *)(uintptr_t)rec->allow :
		(const void *)v->vfs_ranges;
	if (!allow || (!rec->allow && c->len != v->nr_vfs_ranges) ||
	    c->len > VMIAAS_MAX_VFS_ALLOW || !vmi_vfs_layout_ok(&l))
		return -EINVAL;	/* before the scratch its caps size */
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->pend_cap = l.max_dentries + 1;
	w->tasks_cap = l.max_tasks;
	w->pend = malloc(sizeof(*w->pend) * w->pend_cap);
	w->tasks = malloc(sizeof(*w->tasks) * w->tasks_cap);
	err = w->pend && w->tasks ? 0 : -ENOMEM;
	err = err ?: vmi_vfs_suspects(r, &l, c->addr, vc->init_task, w, allow,
				      (u32)c->len, &image, vc->debugfs_type,
				      &s);
	if (!err && s.nr) {
		policy_pause(as);
		err = vmi_vfs_suspects(r, &l, c->addr, vc->init_task, w,
				       allow, (u32)c->len, &image,
				       vc->debugfs_type, &s);
	}
	if (!err && s.nr && f)
		found_of_vfs(&s.first, f);
	free(w->pend);
	free(w->tasks);
	free(w);
	return err ?: s.nr != 0;
}

/* kmod/checks.c's tty-ldisc run, as policy_nf(). */
static int policy_tty(struct vmi_as *as, const struct vmiaas_module_check *c,
		      const struct vmi_read_ops *r, struct vmiaas_found *f)
{
	const struct vmiaas_tty_check *tc = (const void *)c->data;
	struct vmi_range allow[VMIAAS_MAX_HOOK_ALLOW];
	struct vmi_tty_scratch *scratch;
	struct vmi_tty_suspects s;
	struct vmi_tty_layout l;
	int err;

	err = policy_hook_allow(tc->allow, tc->nr_allow, allow);
	if (err)
		return err;
	if (vmi_tty_layout_of(tc, c->addr, &l) || !vmi_tty_layout_ok(&l))
		return -EINVAL;
	scratch = calloc(1, sizeof(*scratch));
	if (!scratch)
		return -ENOMEM;
	err = vmi_tty_suspects(r, &l, scratch, allow, tc->nr_allow, &s);
	if (!err && s.nr) {
		policy_pause(as);
		err = vmi_tty_suspects(r, &l, scratch, allow, tc->nr_allow,
				       &s);
	}
	if (!err && s.nr && f)
		vmi_tty_found(&s, f);
	free(scratch);
	return err ?: s.nr != 0;
}

/* kmod/checks.c's net-protocol run, as policy_nf(). */
static int policy_proto(struct vmi_as *as, const struct vmiaas_module_check *c,
			const struct vmi_read_ops *r, struct vmiaas_found *f)
{
	const struct vmiaas_proto_check *pc = (const void *)c->data;
	struct vmi_range allow[VMIAAS_MAX_HOOK_ALLOW];
	struct vmi_proto_suspects s;
	struct vmi_proto_set set;
	int err;

	err = policy_hook_allow(pc->allow, pc->nr_allow, allow);
	if (err)
		return err;
	if (vmi_proto_set_of(pc, c->addr, &set))
		return -EINVAL;
	err = vmi_proto_suspects(r, &set, allow, pc->nr_allow, &s);
	if (!err && s.nr) {
		policy_pause(as);
		err = vmi_proto_suspects(r, &set, allow, pc->nr_allow, &s);
	}
	if (!err && s.nr && f)
		vmi_proto_found(&s, f);
	return err ?: s.nr != 0;
}

/* kmod/checks.c's netdev-hook run, as policy_nf(). */
static int policy_netdev(struct vmi_as *as, const struct vmiaas_module_check *c,
			 const struct vmi_read_ops *r, struct vmiaas_found *f)
{
	struct vmi_netdev_scratch *scratch;
	struct vmi_netdev_suspects s;
	struct vmi_netdev_policy p;
	int err;

	if (vmi_netdev_policy_of((const void *)c->data, c->addr, &p))
		return -EINVAL;
	scratch = calloc(1, sizeof(*scratch));
	if (!scratch)
		return -ENOMEM;
	err = vmi_netdev_suspects(r, &p, scratch, &s);
	if (!err && s.nr) {
		policy_pause(as);
		err = vmi_netdev_suspects(r, &p, scratch, &s);
	}
	if (!err && s.nr && f)
		vmi_netdev_found(&s, f);
	free(scratch);
	return err ?: s.nr != 0;
}

static int policy_read(void *ctx, u64 va, void *buf, size_t len)
{
	return vmi_as_read(ctx, va, buf, len);
}

int vmiaas_module_policy_run(struct vmiaas *v,
			     const struct vmiaas_module_check *c, size_t nr,
			     uint64_t *ret_failed)
{
	return vmiaas_module_policy_found(v, c, nr, ret_failed, NULL);
}

int vmiaas_module_policy_found(struct vmiaas *v,
			       const struct vmiaas_module_check *c, size_t nr,
			       uint64_t *ret_failed, struct vmiaas_found *found)
{
	u8 buf[VMIAAS_MODULE_DATA];
	struct vmi_as as;
	struct vmi_read_ops r = { .read = policy_read, .ctx = &as };
	size_t i;
	int res;

	*ret_failed = 0;
	if (!v->kas || nr > 64)
		return -EINVAL;
	if (found)
		memset(found, 0, nr * sizeof(*found));
	for (i = 0; i < nr; i++) {
		vmi_as_init(&as, v->kas->phys, c[i].root, v->kas->levels == 5);
		if (c[i].type == VMIAAS_CHECK_EXEC_GVA)
			res = policy_exec(&as, &c[i]);
		else if (c[i].type == VMIAAS_CHECK_NF_GVA)
			res = policy_nf(&as, &c[i], &r,
					found ? &found[i] : NULL);
		else if (c[i].type == VMIAAS_CHECK_PROC_GVA)
			res = policy_proc(v, &as, &c[i], &r,
					  found ? &found[i] : NULL);
		else if (c[i].type == VMIAAS_CHECK_PTYPE_GVA)
			res = policy_ptype(&as, &c[i], &r,
					   found ? &found[i] : NULL);
		else if (c[i].type == VMIAAS_CHECK_INPUT_GVA)
			res = policy_input(&as, &c[i], &r,
					   found ? &found[i] : NULL);
		else if (c[i].type == VMIAAS_CHECK_TP_GVA)
			res = policy_tp(&as, &c[i], &r,
					found ? &found[i] : NULL);
		else if (c[i].type == VMIAAS_CHECK_VFS_GVA)
			res = policy_vfs(v, &as, &c[i], &r,
					 found ? &found[i] : NULL);
		else if (c[i].type == VMIAAS_CHECK_TTY_GVA)
			res = policy_tty(&as, &c[i], &r,
					 found ? &found[i] : NULL);
		else if (c[i].type == VMIAAS_CHECK_PROTO_GVA)
			res = policy_proto(&as, &c[i], &r,
					   found ? &found[i] : NULL);
		else if (c[i].type == VMIAAS_CHECK_NETDEV_GVA)
			res = policy_netdev(&as, &c[i], &r,
					    found ? &found[i] : NULL);
		else if (c[i].type == VMIAAS_CHECK_BYTES_GVA &&
			 c[i].len <= sizeof(c[i].data))
			res = vmi_measure_bytes(&r, c[i].addr, c[i].len,
						c[i].data,
						c[i].flags & VMIAAS_CHECK_CSTRING ?
						VMI_MEASURE_CSTRING : 0, buf);
		else
			return -EINVAL;
		if (res)
			*ret_failed |= 1ULL << i;
		if (found)
			found[i].check = (u32)i;
	}
	return 0;
}

/* Where a pointer of a proc-ops record lies, as check_procops.c says. */
static const char *found_where(const struct vmiaas_proc_check *pc, u64 p,
			       u32 *sev)
{
	*sev = VMIAAS_SEV_CRITICAL;
	if (p >= pc->allow[0][0] && p < pc->allow[0][1]) {
		*sev = VMIAAS_SEV_HIGH;
		return " (another kernel table)";
	}
	if (p >= pc->allow[1][0] && p < pc->allow[1][1])
		return " (module memory)";
	return " (outside the kernel image and the module area)";
}

/* A struct vmiaas_found of proc-ops into @f. */
static void found_proc(const struct vmiaas_module_check *c,
		       const struct vmiaas_found *fd, struct vmiaas_finding *f)
{
	static const char *const names[] = { "proc_ops", "proc_iops",
					     "seq_ops" };
	static const char *const root_names[] = { "i_fop", "i_op", "?" };
	const struct vmiaas_proc_check *pc = (const void *)c->data;
	const char *what = names[fd->index % VMIAAS_PROC_PTRS], *where;
	struct vmi_proc_entry e = { .bad = fd->index, .err = fd->err };
	char path[VMIAAS_FOUND_PATH], ns[24] = "";

	snprintf(path, sizeof(path), "%.*s", (int)sizeof(fd->path) - 1,
		 fd->path);
	/* as vmictl check: another namespace's entries only */
	if (fd->netns && !(fd->flags & VMIAAS_FOUND_INIT_NET))
		snprintf(ns, sizeof(ns), " (netns %u)", fd->netns);
	snprintf(f->object, sizeof(f->object), "%s%s", path, ns);
	f->address = fd->where;
	f->flags |= VMIAAS_FINDING_ADDRESS;
	if (fd->kind == VMIAAS_FOUND_PROC_BAD) {
		f->severity = VMIAAS_SEV_CRITICAL;
		snprintf(f->message, sizeof(f->message),
			 "the /proc tree at %s%s cannot be walked: %s",
			 path, ns, proc_bad_why(&e));
		return;
	}
	if (fd->flags & VMIAAS_FOUND_ROOT_INODE)
		what = root_names[fd->index % VMIAAS_PROC_PTRS];
	where = found_where(pc, fd->value, &f->severity);
	f->flags |= VMIAAS_FINDING_VALUES;
	f->old_value = fd->expected;
	f->new_value = fd->value;
	if (fd->expected)
		snprintf(f->message, sizeof(f->message),
			 "%s%s: %s changed since the checks were registered: %#llx -> %#llx%s",
			 path, ns, what,
			 (unsigned long long)fd->expected,
			 (unsigned long long)fd->value, where);
	else
		snprintf(f->message, sizeof(f->message),
			 "%s%s: %s points to %#llx, outside the kernel image and the module area",
			 path, ns, what, (unsigned long long)fd->value);
}

/* A struct vmiaas_found of netfilter-hook into @f. */
static void found_nf(const struct vmiaas_found *fd, struct vmiaas_finding *f)
{
	struct vmi_nf_hook h = {
		.dev = fd->dev, .entries = fd->where, .fn = fd->value,
		.netns = fd->netns, .family = fd->family, .point = fd->point,
		.index = fd->index, .err = fd->err,
	};
	char point[64];

	nf_point_name(NULL, 0, &h, point, sizeof(point));
	snprintf(f->object, sizeof(f->object), "%s", point);
	f->address = fd->where;
	f->flags |= VMIAAS_FINDING_ADDRESS;
	if (fd->kind == VMIAAS_FOUND_NF_BAD) {
		snprintf(f->message, sizeof(f->message),
			 "netfilter %s of netns %u cannot be walked: %s",
			 point, fd->netns, nf_bad_why(&h));
		return;
	}
	f->flags |= VMIAAS_FINDING_VALUES;
	f->new_value = fd->value;
	snprintf(f->message, sizeof(f->message),
		 "netfilter hook %u on %s of netns %u: %#llx, outside the kernel's text and the untainted modules that hooked at registration",
		 fd->index, point, fd->netns, (unsigned long long)fd->value);
}

/* What a hook outside the ranges calls, as the module judged it. */
#define FOUND_OUTSIDE \
	"outside the kernel's text and the untainted modules seen hooking at registration"

/* A struct vmiaas_found of packet-tap into @f, as check_ptype.c names it. */
static void found_ptype(const struct vmiaas_found *fd,
			struct vmiaas_finding *f)
{
	static const char *const members[] = { "func", "list_func",
					       "id_match" };
	struct vmi_ptype_hook e = { .list = fd->point, .bucket = fd->family };
	char owner[32] = "", list[64], proto[16];

	if (fd->point == VMI_PT_NET_ALL || fd->point == VMI_PT_NET_SPECIFIC)
		snprintf(owner, sizeof(owner), "netns %u", fd->netns);
	else if (fd->point == VMI_PT_DEV_ALL ||
		 fd->point == VMI_PT_DEV_SPECIFIC)
		snprintf(owner, sizeof(owner), "dev@%llx",
			 (unsigned long long)fd->dev);
	f->address = fd->where;
	f->flags |= VMIAAS_FINDING_ADDRESS;
	if (fd->point == VMI_PT_NETNS_LIST || fd->point == VMI_PT_DEV_LIST) {
		snprintf(f->object, sizeof(f->object), "%s",
			 fd->point == VMI_PT_NETNS_LIST ? "namespaces" :
			 "devices");
		snprintf(f->message, sizeof(f->message),
			 "packet types: %s of netns %u: the list is corrupt (%s)",
			 f->object, fd->netns, strerrorname_np(-fd->err) ?: "?");
		return;
	}
	ptype_list_name(&e, owner, list, sizeof(list));
	if (fd->kind == VMIAAS_FOUND_PTYPE_BAD && !fd->value) {
		snprintf(f->object, sizeof(f->object), "%s", list);
		snprintf(f->message, sizeof(f->message),
			 "%s: the list is corrupt (%s: a cycle, a non-kernel or unreadable pointer, or over its cap)",
			 list, strerrorname_np(-fd->err) ?: "?");
		return;
	}
	ptype_name((u16)fd->expected, proto, sizeof(proto));
	snprintf(f->object, sizeof(f->object), "%s%s%s", owner,
		 owner[0] ? " " : "", proto);
	if (fd->kind == VMIAAS_FOUND_PTYPE_BAD) {
		f->address = fd->value;
		snprintf(f->message, sizeof(f->message),
			 "packet_type %#llx on %s (%s): it cannot be read",
			 (unsigned long long)fd->value, list, proto);
		return;
	}
	f->flags |= VMIAAS_FINDING_VALUES;
	f->new_value = fd->value;
	snprintf(f->message, sizeof(f->message),
		 "the %s of packet_type %#llx on %s (%s) calls %#llx, %s",
		 members[fd->index % ARRAY_SIZE(members)],
		 (unsigned long long)fd->where, list, proto,
		 (unsigned long long)fd->value, FOUND_OUTSIDE);
}

/* A struct vmiaas_found of input-handler into @f, as check_input.c. */
static void found_input(const struct vmiaas_found *fd,
			struct vmiaas_finding *f)
{
	const char *list = fd->point == VMI_INPUT_HANDLER_LIST ?
			   "input_handler_list" : "input_dev_list";
	char name[32], dev[32];

	snprintf(name, sizeof(name), "handler@%llx",
		 (unsigned long long)fd->where);
	snprintf(dev, sizeof(dev), "dev@%llx", (unsigned long long)fd->dev);
	f->address = fd->where;
	f->flags |= VMIAAS_FINDING_ADDRESS;
	snprintf(f->object, sizeof(f->object), "%s", name);
	if (fd->point == VMI_INPUT_HANDLER_LIST ||
	    fd->point == VMI_INPUT_DEV_LIST) {
		snprintf(f->object, sizeof(f->object), "%s", list);
		snprintf(f->message, sizeof(f->message),
			 "%s: the list is corrupt (%s: a cycle, a non-kernel pointer or over its cap)",
			 list, strerrorname_np(-fd->err) ?: "?");
	} else if (fd->point == VMI_INPUT_H_LIST) {
		snprintf(f->object, sizeof(f->object), "%s", dev);
		snprintf(f->message, sizeof(f->message),
			 "input device %s: its handle list is corrupt (%s: a cycle, a non-kernel or unreadable pointer, or over 256 handles)",
			 dev, strerrorname_np(-fd->err) ?: "?");
	} else if (fd->point == VMI_INPUT_UNREGISTERED) {
		f->address = fd->expected;
		snprintf(f->message, sizeof(f->message),
			 "input handle %#llx on device %s: its handler %#llx is not on input_handler_list (registered by hand)",
			 (unsigned long long)fd->expected, dev,
			 (unsigned long long)fd->where);
	} else if (fd->kind == VMIAAS_FOUND_INPUT_BAD) {
		snprintf(f->message, sizeof(f->message),
			 "input handler %s (%#llx): it cannot be read", name,
			 (unsigned long long)fd->where);
	} else if (fd->point == VMI_INPUT_HANDLE_EVENTS) {
		f->address = fd->expected;
		f->flags |= VMIAAS_FINDING_VALUES;
		f->new_value = fd->value;
		snprintf(f->message, sizeof(f->message),
			 "the handle_events of input handle %#llx (handler %s) on device %s calls %#llx, %s",
			 (unsigned long long)fd->expected, name, dev,
			 (unsigned long long)fd->value, FOUND_OUTSIDE);
	} else {
		f->flags |= VMIAAS_FINDING_VALUES;
		f->new_value = fd->value;
		snprintf(f->message, sizeof(f->message),
			 "the %s callback of input handler %s (%#llx%s%s) calls %#llx, %s",
			 input_fn_name(fd->index), name,
			 (unsigned long long)fd->where,
			 fd->dev ? ", unregistered, on device " : "",
			 fd->dev ? dev : "", (unsigned long long)fd->value,
			 FOUND_OUTSIDE);
	}
}

/* A struct vmiaas_found of tracepoint-hook into @f, as check_tracepoint.c. */
static void found_tp(const struct vmiaas_module_check *c,
		     const struct vmiaas_found *fd, struct vmiaas_finding *f)
{
	struct vmi_tp_probe p = { .tp = fd->where, .funcs = fd->value,
				  .err = fd->err };
	char name[VMIAAS_FOUND_PATH];

	snprintf(name, sizeof(name), "%.*s", (int)sizeof(fd->path) - 1,
		 fd->path);
	hook_printable(name);
	if (!name[0])
		snprintf(name, sizeof(name), "tracepoint@%llx",
			 (unsigned long long)fd->where);
	f->address = fd->where;
	f->flags |= VMIAAS_FINDING_ADDRESS;
	snprintf(f->object, sizeof(f->object), "%s", name);
	if (fd->kind == VMIAAS_FOUND_TP_PROBE) {
		f->flags |= VMIAAS_FINDING_VALUES;
		f->new_value = fd->value;
		snprintf(f->message, sizeof(f->message),
			 "probe %u of tracepoint %s (of the kernel) calls %#llx (data %#llx), %s",
			 fd->index, name, (unsigned long long)fd->value,
			 (unsigned long long)fd->expected, FOUND_OUTSIDE);
	} else if (!fd->where || (fd->err == -EBADMSG && !fd->value)) {
		snprintf(f->object, sizeof(f->object),
			 "tracepoints of the kernel");
		snprintf(f->message, sizeof(f->message),
			 "tracepoint array of the kernel at %#llx, entry %u: %s",
			 (unsigned long long)c->addr, fd->point,
			 tp_bad_why(&p));
	} else {
		snprintf(f->message, sizeof(f->message),
			 "tracepoint %s (%#llx, of the kernel): %s", name,
			 (unsigned long long)fd->where, tp_bad_why(&p));
	}
}

/* A struct vmiaas_found of vfs-ops into @f, as check_vfsops.c names it. */
static void found_vfs(const struct vmiaas_found *fd, struct vmiaas_finding *f)
{
	static const char *const fields[] = {
		"s_op", "s_d_op", "s_export_op", "s_xattr", "d_op", "i_op",
		"i_fop", "f_op",
	};
	const char *field = fd->point < ARRAY_SIZE(fields) ?
			    fields[fd->point] : "?";
	char dir[48] = "", why[64];

	f->address = fd->where;
	f->flags |= VMIAAS_FINDING_ADDRESS;
	if (fd->kind == VMIAAS_FOUND_VFS_BAD) {
		vfs_bad_why(fd->err, fd->index, why, sizeof(why));
		snprintf(f->object, sizeof(f->object), "super_blocks");
		snprintf(f->message, sizeof(f->message),
			 "the superblock list cannot be walked: super_blocks (head 0x%llx): %s: the guest's list is corrupt",
			 (unsigned long long)fd->where, why);
		return;
	}
	if (fd->point == VMI_VFS_F_OP)
		snprintf(f->object, sizeof(f->object),
			 "file@%llx (pid %d fd %u)",
			 (unsigned long long)fd->where, (int)fd->family,
			 fd->index);
	else
		snprintf(f->object, sizeof(f->object), "%s@%llx",
			 fd->point <= VMI_VFS_S_XATTR ? "superblock" :
			 fd->point == VMI_VFS_D_OP ? "dentry" : "inode",
			 (unsigned long long)fd->where);
	if (fd->dev)
		snprintf(dir, sizeof(dir), ", cached directory %#llx",
			 (unsigned long long)fd->dev);
	f->flags |= VMIAAS_FINDING_VALUES;
	f->new_value = fd->value;
	snprintf(f->message, sizeof(f->message),
		 "%s: %s points to %#llx, outside the kernel's text and rodata and the read-only memory of the modules live at registration (superblock %#llx%s)",
		 f->object, field, (unsigned long long)fd->value,
		 (unsigned long long)fd->expected, dir);
}

/* What a tty-ldisc finding is about: "tty@...", "tty driver@...". */
static void tty_found_object(const struct vmiaas_found *fd, char *buf,
			     size_t size)
{
	if (fd->dev)
		snprintf(buf, size, "tty@%llx", (unsigned long long)fd->dev);
	else if (fd->point == VMI_TTY_LDISC_FN ||
		 fd->point == VMI_TTY_BAD_LDISC)
		snprintf(buf, size, "line discipline %d", (int)fd->family);
	else if (fd->expected)
		snprintf(buf, size, "tty driver@%llx",
			 (unsigned long long)fd->expected);
	else if (fd->point == VMI_TTY_DRIVER_LIST)
		snprintf(buf, size, "tty_drivers");
	else
		snprintf(buf, size, "devpts");
}

/* Why a _TTY_BAD was found, as check_tty.c says it. */
static const char *tty_found_why(const struct vmiaas_found *fd)
{
	if (fd->point == VMI_TTY_UNREGISTERED)
		return "its line discipline's table is not the one registered for that number in tty_ldiscs[] (set by hand)";
	if (fd->point == VMI_TTY_TTY_OPS)
		return "its ops are not its driver's table (alloc_tty_struct() gives a tty its driver's ops, nothing else sets them)";
	if (fd->point == VMI_TTY_BAD_DRIVER && fd->err == -ENOENT)
		return "its driver is not on tty_drivers (a forged driver)";
	if (fd->err == -ELOOP)
		return "the list does not end (a cycle, or over its cap)";
	if (fd->err == -EBADMSG)
		return "a pointer is not a kernel address, or a table's num is not its index";
	if (fd->err == -E2BIG)
		return "its num is over 65536 lines: implausible";
	return "it cannot be read";
}

/* A struct vmiaas_found of tty-ldisc into @f, as check_tty.c names it. */
static void found_tty(const struct vmiaas_found *fd, struct vmiaas_finding *f)
{
	static const char *const holders[] = {
		[VMI_TTY_LDISC_FN] = "a registered line discipline's table",
		[VMI_TTY_TTY_FN] = "a tty's unregistered line discipline table",
		[VMI_TTY_DRIVER_FN] = "a tty driver's ops",
		[VMI_TTY_TTY_OPS_FN] = "a tty's ops, not its driver's",
		[VMI_TTY_CLIENT_FN] = "a tty port's client_ops",
	};
	const char *holder = fd->point < ARRAY_SIZE(holders) &&
			     holders[fd->point] ? holders[fd->point] : "a table";

	tty_found_object(fd, f->object, sizeof(f->object));
	f->flags |= VMIAAS_FINDING_ADDRESS;
	f->address = fd->dev ?: fd->where ?: fd->value;
	if (fd->kind == VMIAAS_FOUND_TTY_BAD) {
		snprintf(f->message, sizeof(f->message),
			 "%s (table %#llx, list %#llx, driver or its table %#llx, number %d): %s",
			 f->object, (unsigned long long)fd->where,
			 (unsigned long long)fd->value,
			 (unsigned long long)fd->expected, (int)fd->family,
			 tty_found_why(fd));
		return;
	}
	f->flags |= VMIAAS_FINDING_VALUES;
	f->new_value = fd->value;
	snprintf(f->message, sizeof(f->message),
		 "%s: the function at +%#x of %s %#llx points to %#llx, %s; it sees every byte typed on or written to the ttys it serves",
		 f->object, fd->index, holder, (unsigned long long)fd->where,
		 (unsigned long long)fd->value, FOUND_OUTSIDE);
}

/* Why net-protocol's module found @fd bad. */
static const char *proto_found_why(const struct vmiaas_found *fd)
{
	if (!fd->where)
		return fd->err == -ELOOP ? "the list does not end (a cycle, or over its cap)" :
		       "the list is corrupt (a pointer not the kernel's, or a node unreadable)";
	if (fd->err != -EBADMSG)
		return "it cannot be read";
	if (fd->point >= VMI_PROTO_AT_SW && fd->where == fd->expected)
		return "the entry is on another socket type's list: inet_register_protosw() never puts it there";
	return "not a kernel pointer";
}

/* A struct vmiaas_found of net-protocol into @f, as check_netproto.c. */
static void found_proto(const struct vmiaas_found *fd,
			struct vmiaas_finding *f)
{
	static const char *const tables[] = {
		"inet_protos", "inet6_protos", "sock_diag_handlers",
		"inet_rcv_compat", "net_families", "inet_offloads",
		"inet6_offloads", "proto_list", "offload_base", "inetsw",
		"inetsw6",
	};
	const char *table = fd->point < ARRAY_SIZE(tables) ?
			    tables[fd->point] : "?";
	const char *holder = fd->flags & VMIAAS_FOUND_PROTO_PROT ?
			     "the struct proto" : "the proto_ops";
	char in[64];

	static_assert(ARRAY_SIZE(tables) == VMI_PROTO_AT_SW + 2, "tables");
	if (fd->point == VMI_PROTO_AT_PROTOS && fd->where)
		snprintf(f->object, sizeof(f->object), "proto@%llx",
			 (unsigned long long)fd->where);
	else if (fd->point == VMI_PROTO_AT_OFFLOADS && fd->where)
		snprintf(f->object, sizeof(f->object), "packet_offload@%llx",
			 (unsigned long long)fd->where);
	else if (fd->point == VMI_PROTO_AT_PROTOS ||
		 fd->point == VMI_PROTO_AT_OFFLOADS)
		snprintf(f->object, sizeof(f->object), "%s", table);
	else
		snprintf(f->object, sizeof(f->object), "%s[%u]", table,
			 fd->family);
	f->flags |= VMIAAS_FINDING_ADDRESS;
	f->address = fd->where;
	if (fd->kind == VMIAAS_FOUND_PROTO_BAD) {
		snprintf(f->message, sizeof(f->message),
			 "%s (%#llx, inet_protosw %#llx): %s", f->object,
			 (unsigned long long)fd->where,
			 (unsigned long long)fd->expected,
			 proto_found_why(fd));
		return;
	}
	if (fd->point >= VMI_PROTO_AT_SW)
		snprintf(in, sizeof(in), "%s %#llx of entry %#llx", holder,
			 (unsigned long long)fd->where,
			 (unsigned long long)fd->expected);
	else
		snprintf(in, sizeof(in), "struct %#llx",
			 (unsigned long long)fd->where);
	f->flags |= VMIAAS_FINDING_VALUES;
	f->new_value = fd->value;
	snprintf(f->message, sizeof(f->message),
		 "%s: the function at +%#x of %s points to %#llx, %s; the kernel calls it for every packet or socket of that protocol",
		 f->object, fd->index, in, (unsigned long long)fd->value,
		 FOUND_OUTSIDE);
}

/* A netdev-hook device's name as the module read it, or "dev@...". */
static void netdev_found_name(const struct vmiaas_found *fd, char *buf,
			      size_t size)
{
	snprintf(buf, size, "%.16s", fd->path);
	hook_printable(buf);
	if (!buf[0])
		snprintf(buf, size, "dev@%llx", (unsigned long long)fd->dev);
}

/* Why a _NETDEV_BAD was found, as check_netdev.c says it. */
static const char *netdev_found_why(const struct vmiaas_found *fd)
{
	if (fd->point == VMI_ND_BAD_NETNS)
		return "net_namespace_list is corrupt (a cycle, a non-kernel pointer or over 4096 namespaces)";
	if (fd->point == VMI_ND_BAD_DEVS)
		return "its device list is corrupt (a cycle, a non-kernel pointer or over 65536 devices)";
	if (fd->point == VMI_ND_BAD_TOTAL)
		return "over 65536 devices in all namespaces: the walk stops there";
	if (fd->point == VMI_ND_BAD_DEV)
		return "its struct net_device cannot be read";
	if (fd->err == -EPERM)
		return "outside the kernel's read-only data and the modules' parts holding tables at registration: a copy (the kernel's and the drivers' tables are const)";
	return "it cannot be read";
}

/* A struct vmiaas_found of netdev-hook into @f, as check_netdev.c names it. */
static void found_netdev(const struct vmiaas_found *fd,
			 struct vmiaas_finding *f)
{
	static const char *const ptrs[] = {
		[VMI_ND_RX_HANDLER] = "rx_handler",
		[VMI_ND_NETDEV_OPS] = "netdev_ops",
		[VMI_ND_ETHTOOL_OPS] = "ethtool_ops",
		[VMI_ND_HEADER_OPS] = "header_ops",
	};
	const char *ptr = fd->point < ARRAY_SIZE(ptrs) && ptrs[fd->point] ?
			  ptrs[fd->point] : NULL;
	char name[ND_FOUND_NAME];

	netdev_found_name(fd, name, sizeof(name));
	f->flags |= VMIAAS_FINDING_ADDRESS;
	f->address = fd->dev ?: fd->where;
	if (!fd->dev)
		snprintf(f->object, sizeof(f->object), "%s",
			 fd->point == VMI_ND_BAD_DEVS ? "devices" : "namespaces");
	else if (ptr)
		snprintf(f->object, sizeof(f->object), "%s %s", name, ptr);
	else
		snprintf(f->object, sizeof(f->object), "%s", name);
	if (fd->kind == VMIAAS_FOUND_NETDEV_BAD && !fd->dev)
		snprintf(f->message, sizeof(f->message),
			 "network devices: %s of netns %u (list 0x%llx): %s",
			 f->object, fd->netns, (unsigned long long)fd->where,
			 netdev_found_why(fd));
	else if (fd->kind == VMIAAS_FOUND_NETDEV_BAD && ptr)
		snprintf(f->message, sizeof(f->message),
			 "device %s (0x%llx, netns %u): its %s 0x%llx: %s",
			 name, (unsigned long long)fd->dev, fd->netns, ptr,
			 (unsigned long long)fd->where, netdev_found_why(fd));
	else if (fd->kind == VMIAAS_FOUND_NETDEV_BAD)
		snprintf(f->message, sizeof(f->message),
			 "device %s (0x%llx, netns %u): %s", name,
			 (unsigned long long)fd->dev, fd->netns,
			 netdev_found_why(fd));
	if (fd->kind == VMIAAS_FOUND_NETDEV_BAD)
		return;
	f->flags |= VMIAAS_FINDING_VALUES;
	f->new_value = fd->value;
	if (fd->point == VMI_ND_RX_HANDLER)
		snprintf(f->message, sizeof(f->message),
			 "the rx_handler of device %s (netns %u, rx_handler_data 0x%llx) points to 0x%llx, %s; it sees (and can drop or change) the device's packets before packet taps and netfilter",
			 name, fd->netns, (unsigned long long)fd->expected,
			 (unsigned long long)fd->value, FOUND_OUTSIDE);
	else
		snprintf(f->message, sizeof(f->message),
			 "the function at +0x%x of device %s's %s 0x%llx points to 0x%llx, %s; it sees (and can drop or change) the device's packets",
			 fd->index, name, ptr ? ptr : "table",
			 (unsigned long long)fd->where,
			 (unsigned long long)fd->value, FOUND_OUTSIDE);
}

int vmiaas_module_found(const struct vmiaas_module_check *c,
			const struct vmiaas_found *found,
			struct vmiaas_finding *f)
{
	if (c->type == VMIAAS_CHECK_PROC_GVA &&
	    (found->kind == VMIAAS_FOUND_PROC_PTR ||
	     found->kind == VMIAAS_FOUND_PROC_BAD))
		found_proc(c, found, f);
	else if (c->type == VMIAAS_CHECK_NF_GVA &&
		 (found->kind == VMIAAS_FOUND_NF_HOOK ||
		  found->kind == VMIAAS_FOUND_NF_BAD))
		found_nf(found, f);
	else if (c->type == VMIAAS_CHECK_PTYPE_GVA &&
		 (found->kind == VMIAAS_FOUND_PTYPE_FN ||
		  found->kind == VMIAAS_FOUND_PTYPE_BAD))
		found_ptype(found, f);
	else if (c->type == VMIAAS_CHECK_INPUT_GVA &&
		 (found->kind == VMIAAS_FOUND_INPUT_FN ||
		  found->kind == VMIAAS_FOUND_INPUT_BAD))
		found_input(found, f);
	else if (c->type == VMIAAS_CHECK_TP_GVA &&
		 (found->kind == VMIAAS_FOUND_TP_PROBE ||
		  found->kind == VMIAAS_FOUND_TP_BAD))
		found_tp(c, found, f);
	else if (c->type == VMIAAS_CHECK_VFS_GVA &&
		 (found->kind == VMIAAS_FOUND_VFS_PTR ||
		  found->kind == VMIAAS_FOUND_VFS_BAD))
		found_vfs(found, f);
	else if (c->type == VMIAAS_CHECK_TTY_GVA &&
		 (found->kind == VMIAAS_FOUND_TTY_FN ||
		  found->kind == VMIAAS_FOUND_TTY_BAD))
		found_tty(found, f);
	else if (c->type == VMIAAS_CHECK_PROTO_GVA &&
		 (found->kind == VMIAAS_FOUND_PROTO_FN ||
		  found->kind == VMIAAS_FOUND_PROTO_BAD))
		found_proto(found, f);
	else if (c->type == VMIAAS_CHECK_NETDEV_GVA &&
		 (found->kind == VMIAAS_FOUND_NETDEV_FN ||
		  found->kind == VMIAAS_FOUND_NETDEV_BAD))
		found_netdev(found, f);
	else
		return -EINVAL;
	return 0;
}
