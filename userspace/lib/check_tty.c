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

#include "checks.h"
#include "hidden.h"
#include "hookpolicy.h"
#include "../../core/ttywalk.h"

#define TTY_NAME	32	/* of a tty or a discipline, read at most */

struct tty_check {
	struct hook_scan h;		/* first: hookpolicy.h's hook_check */
	struct vmi_tty_layout l;	/* core/ttywalk.c's */
	const char *fn_names[VMI_TTY_FNS_MAX];
	u32 lo_name, tty_name;
	struct vmiaas *v;
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
		 "its tty, ldisc or ldisc->ops pointer is not a kernel address" :
		 "its ldisc or its table cannot be read");
}

/* core/ttywalk.c's callback: a function pointer or a bad object. */
static int tty_visit(void *ctx, const struct vmi_tty_hook *e)
{
	struct tty_check *c = ctx;
	char name[TTY_NAME], ld[TTY_NAME], where[HOOK_WHERE];

	switch (e->what) {
	case VMI_TTY_LDISC_FN:
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

/* The function pointers of struct tty_ldisc_ops, from BTF. */
static int tty_layout_fns(struct vmiaas *v, struct tty_check *c)
{
	struct btf_fn_member m[VMI_TTY_FNS_MAX];
	u32 i;

	if (btf_fn_members(v->btf, "tty_ldisc_ops", m, VMI_TTY_FNS_MAX,
			   &c->l.nr_fns) || !c->l.nr_fns)
		return engine_fail(v, -ENOENT,
				   "tty-ldisc: the kernel's BTF has no struct tty_ldisc_ops with function pointers (or over %u)",
				   VMI_TTY_FNS_MAX);
	for (i = 0; i < c->l.nr_fns; i++) {
		c->l.fn[i] = m[i].off;
		c->fn_names[i] = m[i].name;
	}
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
	err = tty_layout_fns(v, c);
	err = err ?: tty_layout_devpts(v, l);
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

static const struct hook_check tty_check = {
	.check = "tty-ldisc",
	.sees = "it receives every byte typed on the ttys with that line discipline (every ssh session's pty with n_tty)",
	.size = sizeof(struct tty_check),
	.layout = tty_layout,
	.walk = tty_walk_all,
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
	return check_confirmed(v, tty_scan, trust, sink);
}
