// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * Soft-dirty page skipping for checks: see dirty.h, and docs/integrity.md
 * ("A check after no change") for why it holds against the guest.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vmiaas/checks.h>

#include "dirty.h"
#include "engine.h"

#define PAGE			4096ULL
#define DIRTY_MAX_RANGES	4096	/* measured ranges tracked */
#define DIRTY_EPOCH_CHECKS	100	/* checks before a new epoch */
#define DIRTY_REARM_PAGES	256	/* verified pages found dirty in a check */
#define WINDOW			VMIAAS_DIRTY_WINDOW

struct dirty_range {
	const u8 *digests;	/* the baseline's: identifies the range */
	u64 start, end, epoch;
	u32 digest_size;
	u64 *frame;		/* per page: verified guest frame + 1, or 0 */
	u8 *verified;		/* per page: the digest it was verified with */
};

struct dirty_tracker {
	struct vmiaas *v;
	const struct vmiaas_dirty_ops *ops;	/* the host side */
	void *ctx;
	struct vmiaas_dirty_host *own;	/* dirty_open()'s in-process host */
	u64 dev, ino;		/* the RAM file */
	const u8 *self_base;	/* our mapping of it */
	u64 self_len, self_off;
	u64 epoch, checks_in_epoch, dirty_this_check;
	bool rearm_due;
	u64 check_nr;		/* checks begun */
	/* per window of WINDOW pages of the RAM file: its clean bits and
	   the check they were asked for (one query per window and check) */
	u8 **win;
	u64 *win_check;
	size_t nr_windows;
	struct dirty_range *ranges;
	size_t nr_ranges;
	struct dirty_stats stats;
};

/* Our own mapping of @p: the RAM file's identity and offset. */
static int find_self_mapping(struct dirty_tracker *t, const u8 *p,
			     char *why)
{
	FILE *f = fopen("/proc/self/maps", "re");
	struct dirty_maps_line m;
	char line[512];
	int err = -EOPNOTSUPP;

	snprintf(why, DIRTY_WHY_MAX, "guest RAM is not a file mapping here");
	while (f && fgets(line, sizeof(line), f)) {
		if (!dirty_parse_maps_line(line, &m) || (uintptr_t)p < m.start ||
		    (uintptr_t)p >= m.end)
			continue;
		if (m.ino) {
			t->dev = m.dev;
			t->ino = m.ino;
			t->self_base = (const u8 *)(uintptr_t)m.start;
			t->self_len = m.end - m.start;
			t->self_off = m.off;
			err = 0;
		}
		break;
	}
	if (f)
		fclose(f);
	return err;
}

static bool qom_says(struct qmp *q, const char *cmd, const char *want)
{
	char *out = NULL;
	bool ok;

	ok = !qmp_hmp(q, cmd, &out) && out && strstr(out, want);
	free(out);
	return ok;
}

/*
 * With nested virtualization KVM maps pages an L1 guest names (an L2's
 * virtual-APIC page, posted-interrupt descriptor) for the CPU to write
 * directly, past the VMM's page tables. The host side says when that is
 * possible (a KVM VM on a host with nesting on: VMIAAS_DIRTY_NESTED); a
 * guest CPU without VMX/SVM (QEMU's CPU properties, over QMP) rules it
 * out.
 */
static int check_nested(struct vmiaas *v, char *why)
{
	static const char cpu[] = "qom-get /machine/unattached/device[0]";
	struct qmp *q = v->backend->qmp;

	if (q && qom_says(q, "qom-get /machine/unattached/device[0] type",
			  "-cpu\"") &&
	    qom_says(q, "qom-get /machine/unattached/device[0] vmx", "false") &&
	    qom_says(q, "qom-get /machine/unattached/device[0] svm", "false"))
		return 0;
	snprintf(why, DIRTY_WHY_MAX,
		 "KVM nested virtualization is enabled and the guest's CPU may have VMX/SVM (%s: %s): KVM lets the CPU write pages the guest names, past the VMM's page tables",
		 cpu, q ? "not confirmed off" : "no QMP");
	return -EOPNOTSUPP;
}

/* The in-process host side (dirty_open()). */
static int local_epoch(void *ctx, uint64_t dev, uint64_t ino, char *why,
		       size_t size)
{
	return vmiaas_dirty_host_epoch(ctx, dev, ino, why, size);
}

static int local_clean(void *ctx, uint64_t first, uint8_t *bits)
{
	return vmiaas_dirty_host_clean(ctx, first, bits);
}

static const struct vmiaas_dirty_ops local_ops = {
	.epoch = local_epoch,
	.clean = local_clean,
};

/* A tracker for @v's guest, its host side behind @ops. */
static int tracker_new(struct vmiaas *v, const struct vmiaas_dirty_ops *ops,
		       void *ctx, struct dirty_tracker **ret,
		       char why[DIRTY_WHY_MAX])
{
	const struct vmi_phys *phys = &v->backend->phys;
	struct dirty_tracker *t;
	const u8 *p;
	int err;

	p = phys->nr_ranges ? vmi_phys_ptr(phys, phys->ranges[0].gpa, 1) : NULL;
	if (!p) {
		snprintf(why, DIRTY_WHY_MAX,
			 "the %s backend does not map guest RAM", v->backend->name);
		return -EOPNOTSUPP;
	}
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	*t = (struct dirty_tracker){
		.v = v, .ops = ops, .ctx = ctx, .rearm_due = true,
	};
	err = find_self_mapping(t, p, why);
	if (!err) {
		t->nr_windows = (t->self_off + t->self_len) / PAGE / WINDOW + 1;
		t->win = calloc(t->nr_windows, sizeof(*t->win));
		t->win_check = calloc(t->nr_windows, sizeof(*t->win_check));
		if (!t->win || !t->win_check)
			err = -ENOMEM;
	}
	if (err) {
		dirty_close(t);
		return err;
	}
	*ret = t;
	return 0;
}

int dirty_open(struct vmiaas *v, struct dirty_tracker **ret,
	       char why[DIRTY_WHY_MAX])
{
	struct vmiaas_dirty_host *h = NULL;
	struct dirty_tracker *t = NULL;
	int err;

	snprintf(why, DIRTY_WHY_MAX, "?");
	err = vmiaas_soft_dirty_probe(why, DIRTY_WHY_MAX);
	err = err ?: tracker_new(v, &local_ops, NULL, &t, why);
	err = err ?: dirty_host_new(0, t->dev, t->ino, &h);
	if (!err) {
		t->own = h;
		t->ctx = h;
		/* refuses now, and says why, where an epoch cannot start */
		err = vmiaas_dirty_host_epoch(h, t->dev, t->ino, why,
					      DIRTY_WHY_MAX);
		err = err < 0 ? err : 0;
	}
	if (err) {
		dirty_close(t);
		return err;
	}
	*ret = t;
	return 0;
}

int vmiaas_dirty_enable(struct vmiaas *v, const struct vmiaas_dirty_ops *ops,
			void *ctx, char *why, size_t size)
{
	char reason[DIRTY_WHY_MAX];
	struct dirty_tracker *t;
	int err;

	if (v->dirty)
		return -EBUSY;
	err = tracker_new(v, ops, ctx, &t, reason);
	if (err) {
		snprintf(why, size, "%s", reason);
		return err;
	}
	v->dirty = t;
	return 0;
}

int vmiaas_dirty_stats(const struct vmiaas *v, struct vmiaas_dirty_stats *ret)
{
	if (!v->dirty)
		return -ENOENT;
	*ret = (struct vmiaas_dirty_stats){
		.epochs = v->dirty->stats.epochs,
		.hashed = v->dirty->stats.hashed,
		.skipped = v->dirty->stats.skipped,
	};
	return 0;
}

void dirty_close(struct dirty_tracker *t)
{
	size_t i;

	if (!t)
		return;
	vmiaas_dirty_host_close(t->own);
	for (i = 0; t->win && i < t->nr_windows; i++)
		free(t->win[i]);
	free(t->win);
	free(t->win_check);
	for (i = 0; i < t->nr_ranges; i++) {
		free(t->ranges[i].frame);
		free(t->ranges[i].verified);
	}
	free(t->ranges);
	free(t);
}

/* ---- epochs ---- */

/* Asks the host side for a new epoch: every page clean from now. */
static int rearm(struct dirty_tracker *t)
{
	char why[DIRTY_WHY_MAX] = "?";
	int r;

	r = t->ops->epoch(t->ctx, t->dev, t->ino, why, sizeof(why));
	if (r >= 0 && (r & VMIAAS_DIRTY_NESTED))
		r = check_nested(t->v, why);
	if (r < 0)
		return engine_fail(t->v, r, "soft-dirty skip: %s", why);
	t->epoch++;
	t->stats.epochs++;
	t->checks_in_epoch = 0;
	t->rearm_due = false;
	return 0;
}

/*
 * QEMU's mappings are re-read only when an epoch starts: within one, a
 * mapping QEMU replaces or moves shows as soft-dirty (new VMAs carry
 * VM_SOFTDIRTY, mremap marks moved PTEs) or not present at the old
 * address, so every page there is hashed.
 */
int dirty_check_begin(struct dirty_tracker *t)
{
	/* a translation cached by an earlier check must not name the frame */
	vmi_as_flush(t->v->kas);
	t->check_nr++;		/* the windows' bits are of an earlier check */
	if (t->dirty_this_check > DIRTY_REARM_PAGES ||
	    ++t->checks_in_epoch > DIRTY_EPOCH_CHECKS)
		t->rearm_due = true;
	t->dirty_this_check = 0;
	return t->rearm_due ? rearm(t) : 0;
}

/* ---- pages ---- */

/*
 * Has RAM file page @page stayed unwritten in the VMM this epoch? One
 * query to the host side per window of pages and check: the kernel's
 * text and rodata are a window or two, module pages are scattered.
 */
static bool page_clean(struct dirty_tracker *t, u64 page)
{
	u64 w = page / WINDOW, i = page % WINDOW;

	if (w >= t->nr_windows)
		return false;
	if (t->win_check[w] != t->check_nr) {
		if (!t->win[w])
			t->win[w] = malloc(WINDOW / 8);
		if (!t->win[w] || t->ops->clean(t->ctx, w * WINDOW, t->win[w]))
			return false;
		t->win_check[w] = t->check_nr;
	}
	return t->win[w][i / 8] & (1U << (i % 8));
}

bool dirty_frame_clean(struct dirty_tracker *t, const u8 *ptr)
{
	if (t->rearm_due || ptr < t->self_base ||
	    (u64)(ptr - t->self_base) >= t->self_len)
		return false;
	return page_clean(t, ((u64)(ptr - t->self_base) + t->self_off) / PAGE);
}

/*
 * The state of @reg. A baseline freed and another loaded at the same
 * address finds this state: each page also keeps the digest it was
 * verified against, and only that digest is ever taken as its own.
 */
static struct dirty_range *range_get(struct dirty_tracker *t,
				     const struct bl_region *reg, u32 ds)
{
	u64 nr = vmi_measure_nr_pages(reg->start, reg->end);
	struct dirty_range *r;
	size_t i;

	for (i = 0; i < t->nr_ranges; i++) {
		r = &t->ranges[i];
		if (r->digests == reg->digests && r->start == reg->start &&
		    r->end == reg->end && r->digest_size == ds)
			return r;
	}
	if (t->nr_ranges == DIRTY_MAX_RANGES)
		return NULL;
	r = realloc(t->ranges, (t->nr_ranges + 1) * sizeof(*r));
	if (!r)
		return NULL;
	t->ranges = r;
	r = &t->ranges[t->nr_ranges];
	*r = (struct dirty_range){
		.digests = reg->digests, .start = reg->start, .end = reg->end,
		.digest_size = ds, .frame = calloc(nr, sizeof(u64)),
		.verified = calloc(nr, ds),
	};
	if (!r->frame || !r->verified) {
		free(r->frame);
		free(r->verified);
		return NULL;
	}
	t->nr_ranges++;
	return r;
}

/*
 * One page chunk [@va, @end) of a tracked range: its digest from the
 * baseline when proven unchanged, else hashed from the frame it
 * translates to now (the very frame then recorded as verified).
 */
static int chunk_measure(struct dirty_tracker *t, struct dirty_range *dr,
			 u64 i, u64 va, u64 end, const u8 *want,
			 const struct vmi_read_ops *r,
			 const struct vmi_hash_ops *h, u8 *page, u8 *out)
{
	struct vmi_xlate x;
	const u8 *data = NULL;
	u64 frame = 0;
	int err;

	if (!vmi_as_translate(t->v->kas, va, &x)) {
		data = vmi_phys_ptr(&t->v->backend->phys, x.gpa, end - va);
		frame = (x.gpa & ~(PAGE - 1)) + 1;
	}
	if (data && dr->frame[i] == frame &&
	    !memcmp(dr->verified + i * h->digest_size, want, h->digest_size)) {
		if (dirty_frame_clean(t, data)) {
			memcpy(out, want, h->digest_size);
			t->stats.skipped++;
			return 0;
		}
		t->dirty_this_check++;	/* verified, then written */
	}
	dr->frame[i] = 0;
	t->stats.hashed++;
	if (!data)
		return vmi_measure_range(r, h, va, end, page, out, 1);
	err = h->digest(h->ctx, va, data, end - va, out);
	if (!err && !memcmp(out, want, h->digest_size)) {
		dr->frame[i] = frame;
		memcpy(dr->verified + i * h->digest_size, out, h->digest_size);
	}
	return err;
}

int dirty_measure_range(struct dirty_tracker *t, const struct bl_region *reg,
			const struct vmi_read_ops *r,
			const struct vmi_hash_ops *h, u8 *page, u8 *digests)
{
	u64 nr = vmi_measure_nr_pages(reg->start, reg->end), i, va, next;
	u32 ds = h->digest_size;
	struct dirty_range *dr = t->rearm_due ? NULL : range_get(t, reg, ds);
	int err = 0;

	if (!dr)
		return vmi_measure_range(r, h, reg->start, reg->end, page,
					 digests, nr);
	if (dr->epoch != t->epoch) {
		memset(dr->frame, 0, nr * sizeof(u64));
		dr->epoch = t->epoch;
	}
	for (i = 0, va = reg->start; !err && i < nr; i++, va = next) {
		next = (va & ~(PAGE - 1)) + PAGE;
		if (next > reg->end || next < va)
			next = reg->end;
		err = chunk_measure(t, dr, i, va, next, reg->digests + i * ds,
				    r, h, page, digests + i * ds);
	}
	return err;
}

void dirty_get_stats(const struct dirty_tracker *t, struct dirty_stats *ret)
{
	*ret = t->stats;
}
