/* SPDX-License-Identifier: LGPL-2.1 OR MIT */
/*
 * Hidden objects and credentials: checks that need no baseline, because
 * they compare the guest kernel's own structures with each other (the
 * module list with /sys/module and the module address tree; the task list
 * with the pid IDR; each task's cred with init_cred, its parent and the
 * other tasks).
 *
 * A live guest changes while it is read, so every discrepancy is looked
 * for twice and only those seen both times are reported.
 */
#ifndef VMIAAS_LIB_HIDDEN_H
#define VMIAAS_LIB_HIDDEN_H

#include <vmiaas/checks.h>
#include "engine.h"
#include "modarea.h"

/* Where findings go: returns a zeroed finding with check and object set. */
struct hidden_sink {
	struct vmiaas_finding *(*add)(void *ctx, const char *check,
				      u32 severity, const char *object);
	void *ctx;
};

/* Each returns 0 or a read/walk error (-EFAULT, -EBADMSG, -ELOOP...). */
int hidden_check_modules(struct vmiaas *v, const struct hidden_sink *s);
/* hidden-process and credentials: one census of the tasks serves both. */
int hidden_check_tasks(struct vmiaas *v, const struct hidden_sink *s);

/* Caps on the walks (a guest exceeding them gets -ELOOP). */
#define HIDDEN_RB_DEPTH_MAX	64	/* an rbtree of 2^32 nodes has <= 64 */
#define HIDDEN_RB_NODES_MAX	(8U * VMIAAS_MAX_MODULES)
#define HIDDEN_XA_NODES_MAX	(1U << 17)	/* 4M pids / 64 + inner */
#define HIDDEN_PID_TASKS_MAX	16	/* tasks on one pid's PIDTYPE_PID */
#define HIDDEN_RQ_CPUS_MAX	8192	/* NR_CPUS of any distribution kernel */
/*
 * The kernel's __per_cpu_offset[] (its address) and nr_cpu_ids (at most
 * HIDDEN_RQ_CPUS_MAX): CPU N's copy of a per-CPU symbol S is at S +
 * __per_cpu_offset[N].
 */
int hidden_percpu(struct vmiaas *v, u64 *offsets, u32 *nr_cpus);
#define HIDDEN_RQ_TASKS_MAX	(1U << 16)	/* runnable tasks, all CPUs */
#define HIDDEN_RQ_GROUP_DEPTH	16	/* nested task groups (cgroups) */
#define HIDDEN_RQ_VISITS_MAX	(1U << 18)	/* entities visited, all CPUs */
#define HIDDEN_CSET_BUCKETS	128	/* css_set_table: CSS_SET_HASH_BITS 7 */
#define HIDDEN_CSETS_MAX	(1U << 16)	/* css_sets in css_set_table */
#define HIDDEN_USERNS_DEPTH	33	/* user namespaces, init's included */
#define HIDDEN_PIDNS_LEVEL_MAX	32	/* MAX_PID_NS_LEVEL */
/* Module memory carving, in the guest's module range (modarea.h). */
#define HIDDEN_VMAP_TREES_MAX	1024	/* vmap_nodes (one per NUMA-ish group) */
#define HIDDEN_VMAP_NODES_MAX	(1U << 20)	/* vmap areas visited, all trees */
#define HIDDEN_CARVE_AREA_MAX	(64ULL << 20)	/* bytes carved of one area */
#define HIDDEN_CARVE_BYTES_MAX	(256U << 20)	/* bytes carved per scan */
#define HIDDEN_MODULE_SIZE_MAX	65536	/* sizeof(struct module) */
#define HIDDEN_TRAMP_AREA_MAX	(16U << 10)	/* an ftrace trampoline's area */
#define HIDDEN_TRAMP_CHECKS_MAX	1024	/* unowned areas checked as such */
#define HIDDEN_RESCAN_DELAY_US	50000	/* before a second scan */
/* the first wait before a scan torn by a moving list runs again */
extern unsigned int hidden_torn_wait_us;
extern unsigned int hidden_busy_wait_us;

/*
 * The walkers, exposed for tests: an rbtree from its root node pointer
 * (@fn gets each node's address), an xarray from its head entry (@fn gets
 * each non-internal, non-value entry and its index).
 */
int hidden_rb_walk(struct vmiaas *v, u64 root_node, u32 left, u32 right,
		   int (*fn)(struct vmiaas *v, u64 node, void *arg), void *arg);
int hidden_xa_walk(struct vmiaas *v, u64 head, u32 shift_off, u32 slots_off,
		   u32 nr_slots,
		   int (*fn)(struct vmiaas *v, u64 entry, u64 index, void *arg),
		   void *arg);

/*
 * Calls @fn with each busy vmap area (its struct vmap_area, start and
 * end, guard page included) that reaches [@lo, @hi), in no set order.
 * Bounded by HIDDEN_VMAP_NODES_MAX and HIDDEN_RB_DEPTH_MAX.
 */
int hidden_vmap_areas(struct vmiaas *v, u64 lo, u64 hi,
		      int (*fn)(struct vmiaas *v, u64 va, u64 start, u64 end,
				void *arg),
		      void *arg);

/*
 * Whether the guest may be in an RCU grace period that a module's init
 * memory waits for (do_free_init()), until one begun after the first call
 * with @w zeroed has ended; false if rcu_state is unreadable. The
 * hidden-module check's wait before its third scan (hidden.c); exposed
 * for tests.
 */
struct hidden_rcu_wait {
	u64 gp_snap, exp_snap;	/* rcu_seq_snap() of each sequence */
	bool started;		/* the snapshots were taken */
};

bool hidden_rcu_gp_pending(struct vmiaas *v, struct hidden_rcu_wait *w);

#define MOD_REGIONS_MAX		8	/* mem[MOD_MEM_NUM_TYPES], or core+init */

/* Offsets (from the guest's BTF) for carving module memory. */
struct carve_layout {
	u32 size, mkobj_mod, state, name, list;
	u32 nr_regions, base[MOD_REGIONS_MAX], len[MOD_REGIONS_MAX];
	u32 va_start, va_end, rb_left, rb_right, va_node;
	struct modarea area;	/* the module mapping range */
};

/*
 * Whether @buf, sizeof(struct module) bytes read at @va, is a
 * self-consistent struct module (mkobj.mod == @va, a known state, a
 * printable name, kernel list pointers, text in @l->area, @va
 * inside its own memory); its name goes to @name. The layout comes from
 * the guest's BTF (hidden.c).
 */
bool hidden_module_plausible(const struct carve_layout *l, const u8 *buf,
			     u64 va, char *name, size_t name_size);

#endif /* VMIAAS_LIB_HIDDEN_H */
