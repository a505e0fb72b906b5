/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * tty-ldisc's execution: the line disciplines, the code every byte typed
 * on a tty (a console, a serial line, an ssh session's pty) goes through.
 *
 * tty_register_ldisc() stores a struct tty_ldisc_ops in tty_ldiscs[] at
 * its number (N_TTY 0: n_tty_ops); a tty's struct tty_ldisc points at
 * the table of its discipline, whose receive_buf/receive_buf2 get every
 * byte received. The walk passes:
 *   - each registered table's function pointers (member by member, the
 *     members from the caller's layout);
 *   - every open tty it reaches whose ldisc->ops is not the table
 *     registered for the number that table claims (->err -ENOENT), then
 *     that table's function pointers;
 * the ttys reached: each driver's ttys[] on tty_drivers (those that have
 * one), each pty slave of every devpts instance (the children of the
 * root of each superblock on devpts_fs_type.fs_supers: a pts dentry's
 * d_fsdata is its tty) and each reached tty's link (a pty's master).
 * With VMI_TTY_HAS_OPS, the drivers' side too (a keylogger or session
 * injector hooking pty_write, or swapping a tty's ops for a copy):
 *   - each driver's ops table on tty_drivers, then its function pointers;
 *   - every tty reached whose ops are not its driver's (alloc_tty_struct()
 *     copies them from tty->driver, and nothing else sets them) or whose
 *     driver is not on tty_drivers, then that table's function pointers;
 *   - with VMI_TTY_HAS_PORT, every tty's port->client_ops that is not
 *     @client_default (tty_port_init()'s), then its function pointers.
 * tty_drivers is walked first (the drivers are remembered, sorted, at
 * most @max_drivers), then their ttys[] and devpts.
 * The layout (offsets, symbols) is the caller's, from the guest's BTF and
 * symbols; so is the judgement.
 *
 * Bounds: @nr_ldiscs entries (at most VMI_TTY_LDISCS_MAX), @nr_fns
 * members, tty_drivers walked with vmi_list_walk() (@max_drivers), each
 * driver's ttys[] up to @max_lines entries, fs_supers and 6.8+'s
 * d_children with vmi_hlist_walk(), 6.1's d_subdirs with
 * vmi_list_walk() (@max_sbs, @max_ptys). What cannot be walked or read is
 * passed to the callback as bad (->err), not returned: a guest must not
 * turn the check off by corrupting a list. Errors returned: -EINVAL (a
 * bad layout), the read error of tty_ldiscs[] or of a list's head, and
 * what the callback returns.
 */
#ifndef VMI_TTYWALK_H
#define VMI_TTYWALK_H

#include "klist.h"

#define VMI_TTY_LDISCS_MAX	64	/* NR_LDISCS: 31 in 6.1 */
#define VMI_TTY_FNS_MAX		24	/* struct tty_ldisc_ops: 15 in 6.1 */
#define VMI_TTY_DRIVERS_MAX	1024	/* on tty_drivers */
#define VMI_TTY_LINES_MAX	65536	/* one driver's ttys[] */
#define VMI_TTY_SBS_MAX		4096	/* devpts instances */
#define VMI_TTY_PTYS_MAX	65536	/* dentries of one devpts root */
#define VMI_TTY_CHUNK		256	/* ttys[] entries read at once */
#define VMI_TTY_OPS_MAX		64	/* struct tty_operations: 37 in 6.1 */
#define VMI_TTY_CLIENT_MAX	8	/* tty_port_client_operations: 3 */
#define VMI_TTY_TABLE_MAX	1024	/* bytes of one table read at once */

/* struct vmi_tty_layout.flags */
#define VMI_TTY_HAS_DEVPTS	(1U << 0)	/* devpts_supers is valid */
#define VMI_TTY_CHILDREN_HLIST	(1U << 1)	/* 6.8+: d_children, d_sib */
#define VMI_TTY_LDISCS_ONLY	(1U << 2)	/* tty_ldiscs[], no tty */
#define VMI_TTY_HAS_OPS		(1U << 3)	/* drivers' and ttys' ops */
#define VMI_TTY_HAS_PORT	(1U << 4)	/* ports' client_ops */
#define VMI_TTY_FLAGS_ALL	((VMI_TTY_HAS_PORT << 1) - 1)

/* struct vmi_tty_hook.what */
#define VMI_TTY_LDISC_FN	0	/* a registered table's ->member */
#define VMI_TTY_UNREGISTERED	1	/* a tty's table, not the registered */
#define VMI_TTY_TTY_FN		2	/* ->member of such a table */
#define VMI_TTY_BAD_LDISC	3	/* a registered table unreadable... */
#define VMI_TTY_BAD_TTY		4	/* a tty's ldisc unreadable */
#define VMI_TTY_DRIVER_LIST	5	/* tty_drivers itself */
#define VMI_TTY_LINES		6	/* a driver's ttys[] */
#define VMI_TTY_DEVPTS		7	/* fs_supers, or a root's children */
#define VMI_TTY_DRIVER_OPS	8	/* a driver's ops table (->ops) */
#define VMI_TTY_DRIVER_FN	9	/* ->member of it */
#define VMI_TTY_TTY_OPS		10	/* a tty's ops, not its driver's */
#define VMI_TTY_TTY_OPS_FN	11	/* ->member of them */
#define VMI_TTY_BAD_DRIVER	12	/* a driver, or a tty's, not readable */
#define VMI_TTY_CLIENT_OPS	13	/* a port's client_ops, not default */
#define VMI_TTY_CLIENT_FN	14	/* ->member of them */

struct vmi_tty_layout {
	u64 ldiscs;		/* &tty_ldiscs[0] */
	u64 drivers;		/* &tty_drivers */
	u64 devpts_supers;	/* &devpts_fs_type.fs_supers */
	u32 nr_ldiscs;		/* entries of tty_ldiscs[] */
	u32 lo_num;		/* offsetof(struct tty_ldisc_ops, num) */
	u32 nr_fns;
	u32 fn[VMI_TTY_FNS_MAX];	/* its function pointers */
	u32 drv_node, drv_num, drv_ttys;	/* struct tty_driver */
	u32 tty_ldisc, tty_link;	/* struct tty_struct */
	u32 ld_ops;		/* struct tty_ldisc */
	u32 sb_instances, sb_root;	/* struct super_block */
	u32 d_children, d_sib, d_fsdata;	/* struct dentry */
	u32 flags;		/* VMI_TTY_* */
	u32 max_drivers, max_lines, max_sbs, max_ptys;
	/* VMI_TTY_HAS_OPS: struct tty_driver, tty_struct, tty_operations */
	u32 drv_ops, tty_ops, tty_driver;
	u32 nr_ops;
	u32 ops_fn[VMI_TTY_OPS_MAX];
	/* VMI_TTY_HAS_PORT: struct tty_struct, tty_port, the client table */
	u32 tty_port, port_client;
	u64 client_default;	/* &tty_port_default_client_ops */
	u32 nr_client;
	u32 client_fn[VMI_TTY_CLIENT_MAX];
};

/* A function pointer, or (->err) a table, tty or list that is bad. */
struct vmi_tty_hook {
	u64 ops;		/* the table: tty_ldisc_ops, tty_operations... */
	u64 tty;		/* struct tty_struct, 0: a registered table */
	u64 driver;		/* struct tty_driver: LINES, the DRIVER_*s, TTY_OPS */
	u64 head;		/* with a bad list: its head */
	u64 expect;		/* VMI_TTY_TTY_OPS: the driver's table */
	u64 fn;			/* the function (0 with ->err) */
	u32 what;		/* VMI_TTY_* above */
	u32 member;		/* index in the layout's fn[], ops_fn[], client_fn[] */
	s32 num;		/* the ldisc number (the table's ->num) */
	/*
	 * 0, or: -EFAULT unreadable, -EBADMSG a registered table not at a
	 * kernel address or whose num is not its index (or a tty's ops,
	 * driver or port pointer not one), -ENOENT with
	 * VMI_TTY_UNREGISTERED, VMI_TTY_TTY_OPS and (a tty's driver not on
	 * tty_drivers) VMI_TTY_BAD_DRIVER; for a list: -ELOOP or -EBADMSG corrupt
	 * (vmi_list_walk()), -E2BIG a driver's num over @max_lines, or
	 * the read error
	 */
	s32 err;
};

typedef int (*vmi_tty_fn)(void *ctx, const struct vmi_tty_hook *h);

/* A walk's memory, the caller's (not on the stack: vmiaas.ko). */
struct vmi_tty_scratch {
	u64 ldiscs[VMI_TTY_LDISCS_MAX];	/* registered, by number */
	u64 lines[VMI_TTY_CHUNK];
	u32 nr_drivers;
	u64 drivers[VMI_TTY_DRIVERS_MAX][2];	/* on tty_drivers: its ops */
	u8 table[VMI_TTY_TABLE_MAX];
};

/* Whether @l is plausible (offsets and caps within bounds). */
bool vmi_tty_layout_ok(const struct vmi_tty_layout *l);

/* Calls @fn for every function pointer and every bad object (see top). */
int vmi_tty_walk(const struct vmi_read_ops *r, const struct vmi_tty_layout *l,
		 struct vmi_tty_scratch *s, vmi_tty_fn fn, void *ctx);

struct vmiaas_tty_check;

/*
 * The walk's layout from a tty-ldisc record of the uapi (type
 * VMIAAS_CHECK_TTY_GVA, @ldiscs its addr), as vmiaas.ko runs it and
 * vmid's policy runner replays it: every part (drivers, ops, ports), the
 * core's caps. -EINVAL when a function map has more bits than the
 * layout's arrays take (vmi_tty_layout_ok() still to be asked).
 */
int vmi_tty_layout_of(const struct vmiaas_tty_check *tc, u64 ldiscs,
		      struct vmi_tty_layout *l);

/* What vmi_tty_suspects() found. */
struct vmi_tty_suspects {
	u64 nr;			/* functions outside the ranges, bad objects */
	struct vmi_tty_hook first;	/* the first of them (if nr) */
	u32 first_off;		/* its function's offset in the table */
};

/*
 * The module's judgement (vmiaas.ko, and userspace's run of the same
 * record): every function that is not NULL and lies outside the
 * @nr_allow ranges of @allow is a suspect, and so is every hook the walk
 * passes with an error (a tty whose discipline is not the registered
 * one, whose ops are not its driver's, a table, tty or list that cannot
 * be read). A driver's table and a port's client_ops are not judged by
 * where they lie, only by their functions. Errors: vmi_tty_walk()'s.
 */
int vmi_tty_suspects(const struct vmi_read_ops *r,
		     const struct vmi_tty_layout *l, struct vmi_tty_scratch *s,
		     const struct vmi_range *allow, u32 nr_allow,
		     struct vmi_tty_suspects *ret);

struct vmiaas_found;

/*
 * The first suspect of @s as the uapi's struct vmiaas_found names it
 * (VMIAAS_FOUND_TTY_*); ->check and what @f held before are left.
 */
void vmi_tty_found(const struct vmi_tty_suspects *s, struct vmiaas_found *f);

#endif /* VMI_TTYWALK_H */
