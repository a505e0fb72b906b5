// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * tty-ldisc: the line disciplines, what every byte typed on a tty goes
 * through (a console, a serial line, every ssh session's pty).
 *
 * A tty keylogger in the vlogger and linspy line needs no keyboard
 * notifier and no input handler (notifier-hook and input-handler read
 * those): it replaces a discipline's receive_buf/receive_buf2 (and
 * forwards to the original), by registering its own struct
 * tty_ldisc_ops for a number (tty_register_ldisc() over tty_ldiscs[N]),
 * by writing into the kernel's own table (n_tty_ops is writable data in
 * 6.1 and 6.12) or by pointing one open tty's tty->ldisc->ops at a copy.
 * None of that changes text or read-only data. The walk is
 * core/ttywalk.c's: every registered table's function pointers, and every
 * open tty reached (the drivers' ttys[], each devpts instance's ptys and
 * their masters) whose table is not the one registered for its number.
 * This file resolves the layout from BTF and symbols (the function
 * pointers of struct tty_ldisc_ops are the members BTF says are ones;
 * tty_ldiscs[]'s length is where kallsyms says the next symbol begins,
 * else the uapi's NR_LDISCS)
 * and judges:
 *   - each function pointer by hookpolicy.h's rules (kernel text
 *     nothing, an untainted module an event: n_hdlc, slip, ppp's,
 *     hci_uart; a tainted module high; anywhere else critical);
 *   - a tty whose table is not the registered one: critical (the kernel
 *     takes a tty's table from tty_ldiscs[] and nowhere else), its
 *     functions judged too;
 *   - a table or list that cannot be read or walked: critical.
 * A tainted module's discipline present at baseline is trusted as for
 * the other hook checks. Findings are confirmed by a second scan
 * (check_confirmed()): a tty being released is torn down during a scan.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/tty.h>

#include "uapi/linux/vmiaas.h"
#include "checks.h"
#include "hidden.h"
#include "hookpolicy.h"
#include "../../core/ttywalk.h"

#define TTY_NAME	32	/* of a tty or a discipline, read at most */

static_assert(BL_TTY_FNS == VMI_TTY_FNS_MAX, "fns");
static_assert(BL_TTY_MAX == VMI_TTY_LDISCS_MAX, "ldiscs");
static_assert(BL_TTY_NAME == TTY_NAME, "name");

/* A kernel discipline's pointer not as at baseline (fn: its member). */
struct tty_change {
	u64 ops, old, now;
	s32 num, member;		/* member -1: the table itself */
};

struct tty_check {
	struct hook_scan h;		/* first: hookpolicy.h's hook_check */
	struct vmi_tty_layout l;	/* core/ttywalk.c's */
	const char *fn_names[VMI_TTY_FNS_MAX];
	const char *ops_names[VMI_TTY_OPS_MAX];
	const char *client_names[VMI_TTY_CLIENT_MAX];
	u32 lo_name, tty_name;
	u32 drv_name, drv_owner;	/* struct tty_driver */
	u64 ro_start, ro_end;		/* the kernel's rodata */
	struct vmiaas *v;
	/* the table whose functions follow (DRIVER_OPS, TTY_OPS, CLIENT_OPS) */
	char obj[TTY_NAME];
	bool skip_fns;			/* in the kernel's rodata: measured */
	/* the comparison with the baseline's kernel disciplines */
	const struct vmiaas_baseline *b;	/* NULL: none */
	u64 seen;			/* numbers registered now */
	struct tty_change ch[VMI_TTY_LDISCS_MAX];
	u32 nr_ch;
	/* taking them: by number, nr_fns 0 where none */
	struct bl_tty_ldisc *take;
	u64 img_start, img_end;		/* _text.._end */
	struct vmi_tty_scratch s;
};

/* A discipline's name (ops->name), or "ldisc@ADDR". */
static void tty_ldisc_name(struct tty_check *c, u64 ops, char *buf,
			   size_t size)
{
	char dflt[32];
	u64 name = 0;

	snprintf(dflt, sizeof(dflt), "ldisc@%llx", (unsigned long long)ops);
	if (ops)
		engine_read_u64(c->v, ops + c->lo_name, &name);
	hook_string(c->v, name, buf, size, dflt);
}

/* A tty's name (tty->name, an array), or "tty@ADDR". */
static void tty_tty_name(struct tty_check *c, u64 tty, char *buf,
			 size_t size)
{
	char dflt[32];

	snprintf(dflt, sizeof(dflt), "tty@%llx", (unsigned long long)tty);
	hook_string(c->v, tty ? tty + c->tty_name : 0, buf, size, dflt);
}

static const char *tty_list_why(int err)
{
	return err == -ELOOP ? "the list does not end (a cycle, or over its cap)" :
	       err == -EBADMSG ? "a node is not a kernel address" :
	       err == -E2BIG ? "its num is over 65536 lines: implausible" :
	       "it cannot be read";
}

/* A list, array or devpts instance that cannot be walked. */
static void tty_bad_list(struct tty_check *c, const struct vmi_tty_hook *e)
{
	char where[HOOK_WHERE];

	if (e->what == VMI_TTY_DRIVER_LIST) {
		hook_bad(&c->h, "tty_drivers", "tty_drivers", e->head,
			 tty_list_why(e->err));
		return;
	}
	if (e->what == VMI_TTY_LINES) {
		snprintf(where, sizeof(where), "the ttys[] of tty driver 0x%llx",
			 (unsigned long long)e->driver);
		hook_bad(&c->h, "tty driver", where, e->driver,
			 tty_list_why(e->err));
		return;
	}
	snprintf(where, sizeof(where), "devpts (pty) list at 0x%llx",
		 (unsigned long long)e->head);
	hook_bad(&c->h, "devpts", where, e->head, tty_list_why(e->err));
}

/* A registered table or a tty that cannot be read. */
static void tty_bad_object(struct tty_check *c, const struct vmi_tty_hook *e)
{
	char name[TTY_NAME], where[HOOK_WHERE];

	if (e->what == VMI_TTY_BAD_LDISC) {
		tty_ldisc_name(c, e->err == -EBADMSG && !vmi_kernel_ptr(e->ops) ?
			       0 : e->ops, name, sizeof(name));
		snprintf(where, sizeof(where),
			 "line discipline %s (tty_ldiscs[%d] = 0x%llx)", name,
			 e->num, (unsigned long long)e->ops);
		hook_bad(&c->h, name, where, e->ops,
			 e->err != -EBADMSG ? "its table cannot be read" :
			 vmi_kernel_ptr(e->ops) ?
			 "its num is not its index (tty_register_ldisc() stores a table at its num)" :
			 "it is not a kernel address");
		return;
	}
	tty_tty_name(c, vmi_kernel_ptr(e->tty) ? e->tty : 0, name,
		     sizeof(name));
	snprintf(where, sizeof(where), "tty %s (0x%llx)", name,
		 (unsigned long long)e->tty);
	hook_bad(&c->h, name, where, e->tty,
		 e->err == -EBADMSG ?
		 "its tty, ldisc, ldisc->ops, ops or port pointer is not a kernel address" :
		 "its ldisc, ops, port or one of their tables cannot be read");
}

/* A driver's name (driver->name, "ptm"), or "driver@ADDR". */
static void tty_driver_name(struct tty_check *c, u64 drv, char *buf,
			    size_t size)
{
	char dflt[32];
	u64 name = 0;

	snprintf(dflt, sizeof(dflt), "driver@%llx", (unsigned long long)drv);
	if (vmi_kernel_ptr(drv))
		engine_read_u64(c->v, drv + c->drv_name, &name);
	hook_string(c->v, name, buf, size, dflt);
}

/*
 * Where a tty_operations or tty_port_client_operations table may lie:
 * the kernel's rodata (its pointers measured by kernel-rodata: the
 * functions not judged), or the read-only data of the module @owner
 * (struct module *, 0: the kernel) that made it (functions judged).
 * Every such table in 6.1 and 6.12 is const. NULL, or why not.
 */
static const char *tty_table_why(struct tty_check *c, u64 table, u64 owner)
{
	int m;

	c->skip_fns = table >= c->ro_start && table < c->ro_end;
	if (c->skip_fns)
		return NULL;
	m = hook_module_holding(&c->h, table);
	if (m < 0)
		return "outside the kernel's read-only data and every module's (a copy: the kernel's tables are const)";
	if (owner && c->h.mods[m].addr == owner)
		return NULL;
	return owner ? "in another module than the driver's" :
	       "in a module, the driver the kernel's";
}

/* A driver's table, or a tty's ops that are not its driver's. */
static void tty_driver_table(struct tty_check *c, const struct vmi_tty_hook *e)
{
	char dname[TTY_NAME], where[HOOK_WHERE], sym[128], esym[128];
	const char *bad;
	u64 owner = 0;

	tty_driver_name(c, e->driver, dname, sizeof(dname));
	engine_read_u64(c->v, e->driver + c->drv_owner, &owner);
	check_symbolize(c->v, e->ops, sym, sizeof(sym));
	if (e->what == VMI_TTY_DRIVER_OPS) {
		snprintf(c->obj, sizeof(c->obj), "%s", dname);
		bad = tty_table_why(c, e->ops, owner);
		if (!bad)
			return;
		snprintf(where, sizeof(where),
			 "tty driver %s (0x%llx): its ops %.60s", dname,
			 (unsigned long long)e->driver, sym);
		hook_bad(&c->h, dname, where, e->driver, bad);
		return;
	}
	tty_tty_name(c, e->tty, c->obj, sizeof(c->obj));
	tty_table_why(c, e->ops, owner);	/* its functions judged or not */
	check_symbolize(c->v, e->expect, esym, sizeof(esym));
	snprintf(where, sizeof(where), "tty %s: its ops %.32s, its driver %s's %.32s",
		 c->obj, sym, dname, esym);
	hook_bad(&c->h, c->obj, where, e->tty,
		 "not its driver's table (alloc_tty_struct() gives a tty its driver's ops, nothing else sets them)");
}

/* A port's client_ops other than tty_port_default_client_ops. */
static void tty_client_table(struct tty_check *c, const struct vmi_tty_hook *e)
{
	char where[HOOK_WHERE], sym[128];
	const char *bad;
	u64 drv = 0, owner = 0;

	tty_tty_name(c, e->tty, c->obj, sizeof(c->obj));
	if (!engine_read_u64(c->v, e->tty + c->l.tty_driver, &drv) &&
	    vmi_kernel_ptr(drv))
		engine_read_u64(c->v, drv + c->drv_owner, &owner);
	bad = tty_table_why(c, e->ops, owner);
	if (!bad)
		return;
	check_symbolize(c->v, e->ops, sym, sizeof(sym));
	snprintf(where, sizeof(where), "tty %s: its port's client_ops %.60s",
		 c->obj, sym);
	hook_bad(&c->h, c->obj, where, e->tty, bad);
}

/* A bad driver: its ops unreadable, or a tty's driver not on the list. */
static void tty_bad_driver(struct tty_check *c, const struct vmi_tty_hook *e)
{
	char name[TTY_NAME], where[HOOK_WHERE];

	if (e->tty) {
		tty_tty_name(c, e->tty, name, sizeof(name));
		snprintf(where, sizeof(where),
			 "tty %s (0x%llx): its driver 0x%llx", name,
			 (unsigned long long)e->tty,
			 (unsigned long long)e->driver);
		hook_bad(&c->h, name, where, e->tty,
			 "not a tty driver on tty_drivers (a forged driver)");
		return;
	}
	tty_driver_name(c, e->driver, name, sizeof(name));
	snprintf(where, sizeof(where), "tty driver %s (0x%llx): its ops 0x%llx",
		 name, (unsigned long long)e->driver,
		 (unsigned long long)e->ops);
	hook_bad(&c->h, name, where, e->driver,
		 e->err == -EBADMSG ? "not a kernel address" :
		 "cannot be read");
}

/* A function of the table the last DRIVER_OPS, TTY_OPS or CLIENT_OPS named. */
static void tty_table_fn(struct tty_check *c, const struct vmi_tty_hook *e)
{
	char where[HOOK_WHERE];

	if (c->skip_fns || !hook_judged(&c->h, e->fn))
		return;
	if (e->what == VMI_TTY_DRIVER_FN)
		snprintf(where, sizeof(where),
			 "the %s of tty driver %s's ops 0x%llx",
			 c->ops_names[e->member], c->obj,
			 (unsigned long long)e->ops);
	else
		snprintf(where, sizeof(where), "the %s of tty %s's %s 0x%llx",
			 e->what == VMI_TTY_CLIENT_FN ?
			 c->client_names[e->member] : c->ops_names[e->member],
			 c->obj, e->what == VMI_TTY_CLIENT_FN ?
			 "port client_ops" : "ops",
			 (unsigned long long)e->ops);
	hook_judge(c->v, &c->h, c->obj, where,
		   e->what == VMI_TTY_DRIVER_FN ? e->driver : e->tty, e->fn);
}

/* The baseline's record of discipline @num, or NULL. */
static const struct bl_tty_ldisc *tty_record(const struct tty_check *c,
					     s32 num)
{
	u32 i;

	for (i = 0; c->b && i < c->b->nr_tty; i++)
		if ((s32)c->b->tty[i].num == num)
			return &c->b->tty[i];
	return NULL;
}

static void tty_change_add(struct tty_check *c, const struct vmi_tty_hook *e,
			   s32 member, u64 old, u64 now)
{
	if (c->nr_ch < ARRAY_SIZE(c->ch))
		c->ch[c->nr_ch++] = (struct tty_change){
			.ops = e->ops, .old = old, .now = now, .num = e->num,
			.member = member,
		};
}

/*
 * A registered table's pointer against the baseline's record of its
 * number: true if it changed (reported by tty_report(), not judged by
 * where it points alone).
 */
static bool tty_compare(struct tty_check *c, const struct vmi_tty_hook *e)
{
	const struct bl_tty_ldisc *r;

	if (e->num < 0 || e->num >= VMI_TTY_LDISCS_MAX)
		return false;
	c->seen |= 1ULL << e->num;
	r = tty_record(c, e->num);
	if (!r)
		return false;
	if (r->ops != e->ops) {
		if (!e->member)
			tty_change_add(c, e, -1, r->ops, e->ops);
		return false;	/* another table: judged as any */
	}
	if (e->member >= r->nr_fns || r->fn[e->member] == e->fn)
		return false;
	tty_change_add(c, e, e->member, r->fn[e->member], e->fn);
	return true;
}

/* At baseline: a kernel table's pointer, or the table is not the kernel's. */
static void tty_take_fn(struct tty_check *c, const struct vmi_tty_hook *e)
{
	struct bl_tty_ldisc *r;

	if (e->num < 0 || e->num >= VMI_TTY_LDISCS_MAX)
		return;
	r = &c->take[e->num];
	if (!e->member) {
		memset(r, 0, sizeof(*r));
		if (e->ops < c->img_start || e->ops >= c->img_end)
			return;		/* a module's table: not recorded */
		r->num = e->num;
		r->ops = e->ops;
		r->nr_fns = c->l.nr_fns;
		tty_ldisc_name(c, e->ops, r->name, sizeof(r->name));
	}
	if (r->ops != e->ops)
		return;
	if (e->fn && (e->fn < c->h.text_start || e->fn >= c->h.text_end))
		r->nr_fns = 0;		/* not all the kernel's: not recorded */
	else
		r->fn[e->member] = e->fn;
}

/* core/ttywalk.c's callback: a function pointer or a bad object. */
static int tty_visit(void *ctx, const struct vmi_tty_hook *e)
{
	struct tty_check *c = ctx;
	char name[TTY_NAME], ld[TTY_NAME], where[HOOK_WHERE];

	if (c->take) {
		if (e->what == VMI_TTY_LDISC_FN)
			tty_take_fn(c, e);
		else if (e->what == VMI_TTY_BAD_LDISC && e->num >= 0 &&
			 e->num < VMI_TTY_LDISCS_MAX)
			memset(&c->take[e->num], 0, sizeof(c->take[0]));
		return 0;
	}
	switch (e->what) {
	case VMI_TTY_LDISC_FN:
		if (tty_compare(c, e) || !hook_judged(&c->h, e->fn))
			break;
		tty_ldisc_name(c, e->ops, name, sizeof(name));
		snprintf(where, sizeof(where),
			 "the %s of line discipline %s (number %d, table 0x%llx)",
			 c->fn_names[e->member], name, e->num,
			 (unsigned long long)e->ops);
		hook_judge(c->v, &c->h, name, where, e->ops, e->fn);
		break;
	case VMI_TTY_UNREGISTERED:
		tty_tty_name(c, e->tty, name, sizeof(name));
		tty_ldisc_name(c, e->ops, ld, sizeof(ld));
		snprintf(where, sizeof(where),
			 "tty %s (0x%llx): its line discipline %s (table 0x%llx, num %d)",
			 name, (unsigned long long)e->tty, ld,
			 (unsigned long long)e->ops, e->num);
		hook_bad(&c->h, name, where, e->tty,
			 "not the table registered for that number in tty_ldiscs[] (set by hand)");
		break;
	case VMI_TTY_TTY_FN:
		if (!hook_judged(&c->h, e->fn))
			break;
		tty_tty_name(c, e->tty, name, sizeof(name));
		snprintf(where, sizeof(where),
			 "the %s of tty %s's unregistered line discipline table 0x%llx",
			 c->fn_names[e->member], name,
			 (unsigned long long)e->ops);
		hook_judge(c->v, &c->h, name, where, e->tty, e->fn);
		break;
	case VMI_TTY_BAD_LDISC:
	case VMI_TTY_BAD_TTY:
		tty_bad_object(c, e);
		break;
	case VMI_TTY_DRIVER_OPS:
	case VMI_TTY_TTY_OPS:
		tty_driver_table(c, e);
		break;
	case VMI_TTY_CLIENT_OPS:
		tty_client_table(c, e);
		break;
	case VMI_TTY_DRIVER_FN:
	case VMI_TTY_TTY_OPS_FN:
	case VMI_TTY_CLIENT_FN:
		tty_table_fn(c, e);
		break;
	case VMI_TTY_BAD_DRIVER:
		tty_bad_driver(c, e);
		break;
	default:
		tty_bad_list(c, e);
		break;
	}
	return 0;
}

static int tty_walk_all(struct vmiaas *v, struct hook_scan *h)
{
	struct tty_check *c = (struct tty_check *)h;
	struct vmi_read_ops r;
	int err;

	bl_read_ops(v, &r);
	err = vmi_tty_walk(&r, &c->l, &c->s, tty_visit, c);
	if (err)
		return engine_fail(v, err,
				   "tty-ldisc: tty_ldiscs[] or the head of tty_drivers or of devpts' superblocks is unreadable");
	return 0;
}

/*
 * tty_ldiscs[]'s entries: up to where the guest's kallsyms puts the next
 * symbol; without kallsyms there (a System.map), the uapi's NR_LDISCS
 * (31 in 6.1 and 6.12).
 */
static u32 tty_ldiscs_len(struct vmiaas *v, u64 base)
{
	char sym[128];
	u32 n;

	if (vmiaas_symbolize(v, base, sym, sizeof(sym)) ||
	    strcmp(sym, "tty_ldiscs"))
		return NR_LDISCS;
	for (n = 1; n < VMI_TTY_LDISCS_MAX; n++)
		if (vmiaas_symbolize(v, base + 8ULL * n, sym, sizeof(sym)) ||
		    strncmp(sym, "tty_ldiscs+", 11))
			break;
	return n;
}

/* @type's function pointers (BTF) into @off and @names, at most @max. */
static int tty_layout_table(struct vmiaas *v, const char *type, u32 *off,
			    const char **names, u32 max, u32 *ret_nr)
{
	struct btf_fn_member m[VMI_TTY_OPS_MAX];
	u32 i;

	if (engine_fn_members(v, type, m, max, ret_nr) || !*ret_nr)
		return engine_fail(v, -ENOENT,
				   "tty-ldisc: the kernel's BTF has no struct %s with function pointers (or over %u)",
				   type, max);
	for (i = 0; i < *ret_nr; i++) {
		off[i] = m[i].off;
		names[i] = m[i].name;
	}
	return 0;
}

/*
 * The drivers' side: struct tty_driver's ops, each tty's ops, driver and
 * port, the port's client_ops, the tables' functions; and the kernel's
 * rodata, where the kernel's own tables lie.
 */
static int tty_layout_ops(struct vmiaas *v, struct tty_check *c)
{
	struct vmi_tty_layout *l = &c->l;
	const struct btf_member_ref m[] = {
		{ "tty_driver", "ops", &l->drv_ops },
		{ "tty_driver", "name", &c->drv_name },
		{ "tty_driver", "owner", &c->drv_owner },
		{ "tty_struct", "ops", &l->tty_ops },
		{ "tty_struct", "driver", &l->tty_driver },
		{ "tty_struct", "port", &l->tty_port },
		{ "tty_port", "client_ops", &l->port_client },
	};
	int err;

	if (btf_offsets(v->btf, m, ARRAY_SIZE(m), NULL))
		return engine_fail(v, -ENOENT,
				   "tty-ldisc: the kernel's BTF lacks struct tty_driver, tty_struct or tty_port members");
	err = tty_layout_table(v, "tty_operations", l->ops_fn, c->ops_names,
			       VMI_TTY_OPS_MAX, &l->nr_ops);
	err = err ?: tty_layout_table(v, "tty_port_client_operations",
				      l->client_fn, c->client_names,
				      VMI_TTY_CLIENT_MAX, &l->nr_client);
	err = err ?: bl_rodata_range(v, &c->ro_start, &c->ro_end);
	if (err)
		return err;
	if (engine_sym(v, "tty_port_default_client_ops", &l->client_default))
		l->client_default = 0;	/* every client_ops then judged */
	l->flags |= VMI_TTY_HAS_OPS | VMI_TTY_HAS_PORT;
	return 0;
}

/* devpts: where its superblocks are, and how a directory lists children. */
static int tty_layout_devpts(struct vmiaas *v, struct vmi_tty_layout *l)
{
	const struct btf_member_ref m[] = {
		{ "super_block", "s_instances", &l->sb_instances },
		{ "super_block", "s_root", &l->sb_root },
		{ "dentry", "d_fsdata", &l->d_fsdata },
	};
	u64 fs_type;
	u32 supers;

	if (engine_sym(v, "devpts_fs_type", &fs_type))
		return 0;	/* no devpts: ptys unreached, as the kernel's */
	if (btf_offsets(v->btf, m, ARRAY_SIZE(m), NULL) ||
	    btf_offsetof(v->btf, "file_system_type", "fs_supers", &supers))
		return engine_fail(v, -ENOENT,
				   "tty-ldisc: the kernel's BTF lacks super_block, dentry or file_system_type members");
	if (!btf_offsetof(v->btf, "dentry", "d_children", &l->d_children) &&
	    !btf_offsetof(v->btf, "dentry", "d_sib", &l->d_sib))
		l->flags |= VMI_TTY_CHILDREN_HLIST;
	else if (btf_offsetof(v->btf, "dentry", "d_subdirs", &l->d_children) ||
		 btf_offsetof(v->btf, "dentry", "d_child", &l->d_sib))
		return engine_fail(v, -ENOENT,
				   "tty-ldisc: struct dentry has neither d_children/d_sib nor d_subdirs/d_child in BTF");
	l->devpts_supers = fs_type + supers;
	l->flags |= VMI_TTY_HAS_DEVPTS;
	return 0;
}

static int tty_layout(struct vmiaas *v, struct hook_scan *h)
{
	struct tty_check *c = (struct tty_check *)h;
	struct vmi_tty_layout *l = &c->l;
	const struct btf_member_ref m[] = {
		{ "tty_ldisc_ops", "num", &l->lo_num },
		{ "tty_ldisc_ops", "name", &c->lo_name },
		{ "tty_driver", "tty_drivers", &l->drv_node },
		{ "tty_driver", "num", &l->drv_num },
		{ "tty_driver", "ttys", &l->drv_ttys },
		{ "tty_struct", "ldisc", &l->tty_ldisc },
		{ "tty_struct", "link", &l->tty_link },
		{ "tty_struct", "name", &c->tty_name },
		{ "tty_ldisc", "ops", &l->ld_ops },
	};
	int err;

	*l = (struct vmi_tty_layout){
		.max_drivers = VMI_TTY_DRIVERS_MAX,
		.max_lines = VMI_TTY_LINES_MAX,
		.max_sbs = VMI_TTY_SBS_MAX,
		.max_ptys = VMI_TTY_PTYS_MAX,
	};
	c->v = v;
	if (btf_offsets(v->btf, m, ARRAY_SIZE(m), NULL))
		return engine_fail(v, -ENOENT,
				   "tty-ldisc: the kernel's BTF lacks struct tty_ldisc_ops, tty_driver, tty_struct or tty_ldisc members");
	err = tty_layout_table(v, "tty_ldisc_ops", l->fn, c->fn_names,
			       VMI_TTY_FNS_MAX, &l->nr_fns);
	err = err ?: tty_layout_devpts(v, l);
	err = err ?: tty_layout_ops(v, c);
	if (err)
		return err;
	if (engine_sym(v, "tty_ldiscs", &l->ldiscs))
		return engine_fail(v, -ENOENT,
				   "tty-ldisc: the kernel has no tty_ldiscs");
	l->nr_ldiscs = tty_ldiscs_len(v, l->ldiscs);
	if (engine_sym(v, "tty_drivers", &l->drivers))
		return engine_fail(v, -ENOENT,
				   "tty-ldisc: the kernel has no tty_drivers");
	if (!vmi_tty_layout_ok(l))
		return engine_fail(v, -EBADMSG,
				   "tty-ldisc: tty or dentry offsets over 64 KiB: implausible");
	return 0;
}

/* "name+0xoff", or "NULL". */
static void tty_symbol(struct vmiaas *v, u64 p, char *buf, size_t size)
{
	if (p)
		check_symbolize(v, p, buf, size);
	else
		snprintf(buf, size, "NULL");
}

/* A changed kernel discipline: critical unless it is the kernel's still. */
static void tty_report_change(struct tty_check *c, const struct tty_change *x,
			      const struct hidden_sink *sink)
{
	const struct bl_tty_ldisc *r = tty_record(c, x->num);
	bool kernel = x->member < 0 ?
		      x->now >= c->img_start && x->now < c->img_end :
		      !x->now || (x->now >= c->h.text_start &&
				  x->now < c->h.text_end);
	struct vmiaas_finding *f;
	char olds[128], nows[128];

	f = sink->add(sink->ctx, "tty-ldisc",
		      kernel ? VMIAAS_SEV_HIGH : VMIAAS_SEV_CRITICAL, r->name);
	if (!f)
		return;
	tty_symbol(c->v, x->old, olds, sizeof(olds));
	tty_symbol(c->v, x->now, nows, sizeof(nows));
	f->flags |= VMIAAS_FINDING_ADDRESS | VMIAAS_FINDING_VALUES |
		    VMIAAS_FINDING_SYMBOLS;
	f->address = x->ops;
	f->old_value = x->old;
	f->new_value = x->now;
	snprintf(f->old_symbol, sizeof(f->old_symbol), "%s", olds);
	snprintf(f->new_symbol, sizeof(f->new_symbol), "%s", nows);
	if (x->member < 0)
		snprintf(f->message, sizeof(f->message),
			 "line discipline %s (number %d): tty_ldiscs[%d] changed since the baseline: %s -> %s%s",
			 r->name, x->num, x->num, olds, nows,
			 kernel ? " (another kernel table)" :
			 " (not the kernel's: a module's or a copy)");
	else
		snprintf(f->message, sizeof(f->message),
			 "the %s of line discipline %s (number %d, table 0x%llx) changed since the baseline: %s -> %s%s; it receives every byte typed on the ttys with that line discipline",
			 c->fn_names[x->member], r->name, x->num,
			 (unsigned long long)x->ops, olds, nows,
			 kernel ? " (another kernel function)" :
			 " (outside the kernel's text)");
}

/* The comparison's findings (hook_check.report). */
static void tty_report(struct vmiaas *v, struct hook_scan *h,
		       const struct hidden_sink *sink)
{
	struct tty_check *c = (struct tty_check *)h;
	struct vmiaas_finding *f;
	u32 i;

	for (i = 0; i < c->nr_ch; i++)
		tty_report_change(c, &c->ch[i], sink);
	for (i = 0; c->b && i < c->b->nr_tty; i++) {
		const struct bl_tty_ldisc *r = &c->b->tty[i];

		if (c->seen & (1ULL << r->num))
			continue;
		f = sink->add(sink->ctx, "tty-ldisc", VMIAAS_SEV_HIGH, r->name);
		if (!f)
			continue;
		f->flags |= VMIAAS_FINDING_ADDRESS;
		f->address = r->ops;
		snprintf(f->message, sizeof(f->message),
			 "line discipline %s (number %u, the kernel's table 0x%llx at baseline) is no longer registered in tty_ldiscs[] (or not readable as registered)",
			 r->name, r->num, (unsigned long long)r->ops);
	}
}

/* _text.._end: where a table of the kernel's own lies. */
static int tty_image(struct vmiaas *v, struct tty_check *c)
{
	if (engine_sym(v, "_text", &c->img_start) ||
	    engine_sym(v, "_end", &c->img_end) || c->img_end <= c->img_start)
		return engine_fail(v, -ENOENT,
				   "tty-ldisc: no plausible _text and _end");
	return 0;
}

static int tty_layout_check(struct vmiaas *v, struct hook_scan *h)
{
	struct tty_check *c = (struct tty_check *)h;

	c->b = h->trust ? h->trust->b : NULL;
	return tty_layout(v, h) ?: tty_image(v, c);
}

/* ---- vmiaas.ko's record ---- */

/* The words at @off[@nr] as a map: -ERANGE for one not a word in it. */
static int tty_fn_map(const u32 *off, u32 nr, __u64 *ret_map)
{
	u32 i;

	*ret_map = 0;
	for (i = 0; i < nr; i++) {
		if (off[i] % 8 || off[i] / 8 >= VMIAAS_TTY_TABLE_WORDS)
			return -ERANGE;
		*ret_map |= 1ULL << (off[i] / 8);
	}
	return 0;
}

/*
 * tty-ldisc's record: the layout (every part), the function maps and the
 * ranges a function may lie in. The comparison with the baseline (n_tty's
 * functions) and where a driver's table lies stay vmictl's.
 */
static int tty_module_record(struct vmiaas *v, struct hook_scan *h,
			     struct vmiaas_module_check *c)
{
	struct tty_check *t = (struct tty_check *)h;
	const struct vmi_tty_layout *l = &t->l;
	struct vmiaas_tty_check *tc = (struct vmiaas_tty_check *)c->data;

	static_assert(sizeof(*tc) <= VMIAAS_MODULE_DATA, "data");
	static_assert(VMIAAS_MAX_TTY_LDISCS == VMI_TTY_LDISCS_MAX, "ldiscs");
	*tc = (struct vmiaas_tty_check){
		.drivers = l->drivers, .devpts_supers = l->devpts_supers,
		.client_default = l->client_default,
		.nr_ldiscs = l->nr_ldiscs, .lo_num = l->lo_num,
		.drv_node = l->drv_node, .drv_num = l->drv_num,
		.drv_ttys = l->drv_ttys, .drv_ops = l->drv_ops,
		.tty_ldisc = l->tty_ldisc, .tty_link = l->tty_link,
		.tty_ops = l->tty_ops, .tty_driver = l->tty_driver,
		.tty_port = l->tty_port, .ld_ops = l->ld_ops,
		.port_client = l->port_client,
		.sb_instances = l->sb_instances, .sb_root = l->sb_root,
		.d_children = l->d_children, .d_sib = l->d_sib,
		.d_fsdata = l->d_fsdata,
	};
	if (l->flags & VMI_TTY_HAS_DEVPTS)
		tc->flags |= VMIAAS_TTY_DEVPTS;
	if (l->flags & VMI_TTY_CHILDREN_HLIST)
		tc->flags |= VMIAAS_TTY_HLIST;
	if (tty_fn_map(l->fn, l->nr_fns, &tc->ldisc_fns) ||
	    tty_fn_map(l->ops_fn, l->nr_ops, &tc->ops_fns) ||
	    tty_fn_map(l->client_fn, l->nr_client, &tc->client_fns))
		return engine_fail(v, -ERANGE,
				   "tty-ldisc: a function pointer of struct tty_ldisc_ops, tty_operations or tty_port_client_operations unaligned or past 512 bytes: no record for vmiaas.ko");
	return hook_record(v, h, c, VMIAAS_CHECK_TTY_GVA, l->ldiscs,
			   "line disciplines", tc->allow,
			   VMIAAS_MAX_HOOK_ALLOW, &tc->nr_allow);
}

static const struct hook_check tty_check = {
	.check = "tty-ldisc",
	.sees = "it sees every byte typed on or written to the ttys it serves (every ssh session's pty, consoles, serial lines)",
	.size = sizeof(struct tty_check),
	.layout = tty_layout_check,
	.walk = tty_walk_all,
	.record = tty_module_record,
	.report = tty_report,
};

/* One scan: every discipline and tty now, suspects and events to @sink. */
static int tty_scan(struct vmiaas *v, const struct hidden_sink *sink,
		    void *arg)
{
	return hook_check_scan(v, &tty_check, sink, arg);
}

int check_tty_ldiscs(struct vmiaas *v, const struct hidden_sink *sink,
		     struct hook_trust *trust)
{
	struct vmiaas_finding *f;

	if (trust && trust->b && !trust->b->has_tty && !trust->taken) {
		f = sink->add(sink->ctx, "tty-ldisc", VMIAAS_SEV_INFO,
			      "baseline");
		if (f) {
			f->flags |= VMIAAS_FINDING_EVENT;
			snprintf(f->message, sizeof(f->message),
				 "the kernel's line disciplines not compared: the baseline predates them (taken by an older vmiaas); take a new baseline");
		}
	}
	return check_confirmed(v, tty_scan, trust, sink);
}

/* tty-ldisc's record for vmiaas_module_policy(), appended at *@nr. */
int tty_module_check(struct vmiaas *v, struct vmiaas_module_check *out,
		     size_t max, size_t *nr, struct hook_trust *trust)
{
	return hook_module_check(v, &tty_check, out, max, nr, trust);
}

/* ---- the baseline: the kernel's own disciplines ---- */

int bl_tty_take(struct vmiaas *v, struct vmiaas_baseline *b)
{
	struct tty_check *c = calloc(1, sizeof(*c));
	struct bl_tty_ldisc *take = calloc(BL_TTY_MAX, sizeof(*take));
	struct vmi_read_ops r;
	u32 i, n = 0;
	int err;

	err = c && take ? 0 : -ENOMEM;
	err = err ?: tty_layout(v, &c->h);
	err = err ?: tty_image(v, c);
	err = err ?: bl_text_range(v, &c->h.text_start, &c->h.text_end);
	if (!err) {
		c->take = take;
		c->l.flags |= VMI_TTY_LDISCS_ONLY;
		bl_read_ops(v, &r);
		err = vmi_tty_walk(&r, &c->l, &c->s, tty_visit, c);
		if (err)
			err = engine_fail(v, err,
					  "tty-ldisc: tty_ldiscs[] is unreadable");
	}
	for (i = 0; !err && i < BL_TTY_MAX; i++)
		if (take[i].nr_fns)
			take[n++] = take[i];
	free(c);
	if (err) {
		free(take);
		return err;
	}
	free(b->tty);
	b->tty = take;
	b->nr_tty = n;
	b->has_tty = true;
	return 0;
}

/* The TTY_LDISCS section: whole records, by increasing number, sane. */
int bl_tty_parse(struct vmiaas_baseline *b, const void *p, u64 len)
{
	struct bl_tty_ldisc *r;
	u32 n, i;
	int err;

	if (b->has_tty)
		return -EBADMSG;
	err = bl_records_copy(p, len, sizeof(*r), BL_TTY_MAX, (void **)&r, &n);
	if (err)
		return err;
	for (i = 0; i < n; i++)
		if (r[i].num >= BL_TTY_MAX || !r[i].nr_fns ||
		    r[i].nr_fns > BL_TTY_FNS ||
		    !memchr(r[i].name, 0, sizeof(r[i].name)) ||
		    (i && r[i - 1].num >= r[i].num)) {
			free(r);
			return -EBADMSG;
		}
	b->tty = r;
	b->nr_tty = n;
	b->has_tty = true;
	return 0;
}

/* For golden baselines: @g's kernel disciplines, slid by @delta. */
int bl_tty_rebase(const struct vmiaas_baseline *g, struct vmiaas_baseline *b,
		  u64 delta)
{
	struct bl_tty_ldisc *r;
	u32 i, k;

	if (!g->has_tty)
		return 0;	/* this boot's, measured now */
	r = calloc(g->nr_tty ? g->nr_tty : 1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	memcpy(r, g->tty, g->nr_tty * sizeof(*r));
	for (i = 0; i < g->nr_tty; i++) {
		r[i].ops += delta;
		for (k = 0; k < r[i].nr_fns; k++)
			if (r[i].fn[k])
				r[i].fn[k] += delta;
	}
	free(b->tty);
	b->tty = r;
	b->nr_tty = g->nr_tty;
	b->has_tty = true;
	return 0;
}
