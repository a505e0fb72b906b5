// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * tracepoint-hook's execution: see tpwalk.h.
 */
#include "tpwalk.h"

#define TP_OFFS		64	/* offsets read at once */

struct tp_walk {
	const struct vmi_read_ops *r;
	const struct vmi_tp_layout *l;
	vmi_tp_fn fn;
	void *ctx;
	struct vmi_tp_probe cur;	/* ptrs, tp, funcs, entry */
	u8 offs[4 * TP_OFFS];
	u8 func[VMI_TP_FUNC_MAX];
};

bool vmi_tp_layout_ok(const struct vmi_tp_layout *l)
{
	return l && l->tp_funcs < VMI_OFFSET_MAX &&
	       l->tp_name < VMI_OFFSET_MAX &&
	       l->func_size >= 8 && l->func_size <= VMI_TP_FUNC_MAX &&
	       l->func_fn <= l->func_size - 8 &&
	       l->func_data <= l->func_size - 8 &&
	       l->max_tps <= VMI_TP_MAX && l->max_probes <= VMI_TP_PROBES_MAX;
}

static int tp_bad(struct tp_walk *w, int err)
{
	struct vmi_tp_probe p = w->cur;

	p.err = err;
	return w->fn(w->ctx, &p);
}

/* The probes of w->cur.tp, up to the NULL entry. */
static int tp_probes(struct tp_walk *w)
{
	const struct vmi_tp_layout *l = w->l;
	struct vmi_tp_probe p = w->cur;
	u64 end;
	u32 i;
	int err;

	if (vmi_read_u64(w->r, p.tp + l->tp_funcs, &p.funcs))
		return tp_bad(w, -EFAULT);
	if (!p.funcs)
		return 0;
	w->cur.funcs = p.funcs;
	if (!vmi_kernel_ptr(p.funcs) ||
	    check_add_overflow(p.funcs, (u64)l->func_size * (l->max_probes + 1),
			       &end))
		return tp_bad(w, -EBADMSG);
	/* one entry at a time: the array may end just before a hole */
	for (i = 0; i <= l->max_probes; i++) {
		if (w->r->read(w->r->ctx, p.funcs + (u64)l->func_size * i,
			       w->func, l->func_size))
			return tp_bad(w, -EFAULT);
		p.fn = vmi_get_u64(w->func + l->func_fn);
		if (!p.fn)
			return 0;
		p.data = vmi_get_u64(w->func + l->func_data);
		p.index = i;
		err = w->fn(w->ctx, &p);
		if (err)
			return err;
	}
	return tp_bad(w, -E2BIG);
}

int vmi_tp_walk(const struct vmi_read_ops *r, const struct vmi_tp_layout *l,
		u64 ptrs, u64 nr, vmi_tp_fn fn, void *ctx)
{
	struct tp_walk w = { .r = r, .l = l, .fn = fn, .ctx = ctx };
	u64 i, k, n, at, end;
	s32 off;
	int err;

	if (!r || !r->read || !fn || !vmi_tp_layout_ok(l))
		return -EINVAL;
	w.cur.ptrs = ptrs;
	if (!nr)
		return 0;
	if (nr > l->max_tps)
		return tp_bad(&w, -E2BIG);
	if (ptrs < 0xff00000000000000ULL || ptrs & 3 ||
	    check_add_overflow(ptrs, 4 * nr, &end))
		return tp_bad(&w, -EBADMSG);
	for (i = 0; i < nr; i += n) {
		n = min_t(u64, nr - i, TP_OFFS);
		w.cur.entry = i;
		w.cur.tp = 0;
		w.cur.funcs = 0;
		if (r->read(r->ctx, ptrs + 4 * i, w.offs, 4 * n))
			return tp_bad(&w, -EFAULT);
		for (k = 0; k < n; k++) {
			off = (s32)vmi_get_u32(w.offs + 4 * k);
			at = ptrs + 4 * (i + k);
			w.cur.entry = i + k;
			w.cur.tp = at + (u64)(s64)off;
			w.cur.funcs = 0;
			if (!vmi_kernel_ptr(w.cur.tp) ||
			    check_add_overflow(w.cur.tp, (u64)l->tp_funcs + 8,
					       &end))
				err = tp_bad(&w, -EBADMSG);
			else
				err = tp_probes(&w);
			if (err)
				return err;
		}
	}
	return 0;
}

struct tp_judge {
	const struct vmi_read_ops *r;
	const struct vmi_tp_layout *l;
	const struct vmi_range *allow;
	u32 nr_allow;
	struct vmi_tp_suspects *s;
};

/* The name of tracepoint @tp into @buf (VMI_TP_NAME bytes), "" unread. */
static void tp_read_name(const struct tp_judge *j, u64 tp, char *buf)
{
	u64 name, len = VMI_TP_NAME - 1;

	memset(buf, 0, VMI_TP_NAME);
	if (!vmi_kernel_ptr(tp) ||
	    vmi_read_u64(j->r, tp + j->l->tp_name, &name) ||
	    name < 0xff00000000000000ULL)
		return;
	len = min_t(u64, len, 4096 - (name & 4095));
	if (j->r->read(j->r->ctx, name, buf, len))
		memset(buf, 0, VMI_TP_NAME);
}

static int tp_suspect(void *ctx, const struct vmi_tp_probe *p)
{
	struct tp_judge *j = ctx;

	if (!p->err && vmi_in_ranges(p->fn, j->allow, j->nr_allow))
		return 0;
	if (!j->s->nr++) {
		j->s->first = *p;
		tp_read_name(j, p->tp, j->s->first_name);
	}
	return 0;
}

int vmi_tp_suspects(const struct vmi_read_ops *r,
		    const struct vmi_tp_layout *l, u64 ptrs, u64 nr,
		    const struct vmi_range *allow, u32 nr_allow,
		    struct vmi_tp_suspects *ret)
{
	struct tp_judge j = { .r = r, .l = l, .allow = allow,
			      .nr_allow = nr_allow, .s = ret };

	if (!ret || (nr_allow && !allow))
		return -EINVAL;
	memset(ret, 0, sizeof(*ret));
	return vmi_tp_walk(r, l, ptrs, nr, tp_suspect, &j);
}
