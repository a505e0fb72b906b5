// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * exec-memory's execution: see execmem.h.
 */
#include "execmem.h"

struct exec_merge {
	struct vmi_exec_run cur;	/* the run being built */
	bool open;			/* cur holds a run */
	vmi_exec_run_fn fn;
	void *ctx;
};

/* Extends the open run with @leaf, or hands it over and starts anew. */
static int exec_leaf(void *ctx, const struct vmi_leaf *leaf)
{
	struct exec_merge *m = ctx;
	u32 w = !!(leaf->prot & VMI_PROT_WRITE);
	struct vmi_exec_run *r = &m->cur;
	u64 end = leaf->va + leaf->size;
	int err;

	/* a leaf at the top of the address space: its end saturates */
	if (end < leaf->va)
		end = ~0ULL;
	if (m->open && r->end == leaf->va && r->writable == w &&
	    r->gpa + (r->end - r->start) == leaf->gpa) {
		r->end = end;
		return 0;
	}
	if (m->open) {
		err = m->fn(m->ctx, r);
		if (err)
			return err;
	}
	*r = (struct vmi_exec_run){
		.start = leaf->va, .end = end, .gpa = leaf->gpa, .writable = w,
	};
	m->open = true;
	return 0;
}

int vmi_exec_scan(const struct vmi_as *as, u64 first, u64 max_tables,
		  vmi_exec_run_fn fn, void *ctx, struct vmi_scan_stats *stats,
		  struct vmi_scan_bufs *bufs)
{
	struct exec_merge m = { .fn = fn, .ctx = ctx };
	int err;

	if (!as || !fn)
		return -EINVAL;
	err = vmi_as_scan_bufs(as, first, ~0ULL,
			       VMI_SCAN_EXEC | VMI_SCAN_SUPERVISOR, max_tables,
			       exec_leaf, &m, stats, bufs);
	if (!err && m.open)
		err = fn(ctx, &m.cur);
	return err;
}

static bool exec_inside(u64 start, u64 end, u64 lo, u64 hi)
{
	return lo < hi && start >= lo && end <= hi;
}

bool vmi_exec_allowed(const struct vmi_exec_run *run,
		      const struct vmi_exec_allow *allow, u32 nr)
{
	u64 len = run->end - run->start;
	u32 i;

	if (run->writable)
		return false;
	for (i = 0; i < nr; i++) {
		const struct vmi_exec_allow *a = &allow[i];

		if (a->flags & VMI_EXEC_ALLOW_PHYS) {
			if (run->gpa + len >= run->gpa &&
			    exec_inside(run->gpa, run->gpa + len, a->start,
					a->end))
				return true;
		} else if (exec_inside(run->start, run->end, a->start,
				       a->end)) {
			return true;
		}
	}
	return false;
}

bool vmi_exec_seen(const struct vmi_exec_run *runs, u64 nr, u64 *pos,
		   const struct vmi_exec_run *run)
{
	u64 i;

	while (*pos < nr && runs[*pos].end <= run->start)
		(*pos)++;
	for (i = *pos; i < nr && runs[i].start <= run->start; i++)
		if (run->end <= runs[i].end &&
		    runs[i].writable == run->writable)
			return true;
	return false;
}

static int exec_suspect(void *ctx, const struct vmi_exec_run *run)
{
	struct vmi_exec_suspects *s = ctx;

	if (vmi_exec_allowed(run, s->allow, s->nr_allow))
		return 0;
	if (s->nr < VMI_EXEC_SUSPECTS)
		s->runs[s->nr] = *run;
	s->nr++;
	return 0;
}

int vmi_exec_suspects(const struct vmi_as *as, u64 first, u64 max_tables,
		      struct vmi_exec_suspects *s, struct vmi_scan_bufs *bufs)
{
	if (!s || (s->nr_allow && !s->allow))
		return -EINVAL;
	s->nr = 0;
	return vmi_exec_scan(as, first, max_tables, exec_suspect, s, NULL,
			     bufs);
}

bool vmi_exec_confirmed(const struct vmi_exec_suspects *first,
			const struct vmi_exec_suspects *again)
{
	u64 pos = 0;
	u32 i;

	if (first->nr > VMI_EXEC_SUSPECTS || again->nr > VMI_EXEC_SUSPECTS)
		return first->nr && again->nr;
	for (i = 0; i < again->nr; i++)
		if (vmi_exec_seen(first->runs, first->nr, &pos,
				  &again->runs[i]))
			return true;
	return false;
}
