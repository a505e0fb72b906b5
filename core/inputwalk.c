// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * input-handler's execution: see inputwalk.h.
 */
#include "inputwalk.h"

struct in_walk {
	const struct vmi_read_ops *r;
	const struct vmi_input_layout *l;
	struct vmi_input_scratch *s;
	vmi_input_fn fn;
	void *ctx;
	u64 dev;			/* the device being walked */
	int fn_err;			/* what the callback returned */
};

bool vmi_input_layout_ok(const struct vmi_input_layout *l)
{
	u32 i;

	if (!l || (l->flags & ~VMI_INPUT_FLAGS_ALL) ||
	    l->max_handlers > VMI_INPUT_HANDLERS_MAX)
		return false;
	if (l->h_node >= VMI_OFFSET_MAX || l->d_node >= VMI_OFFSET_MAX ||
	    l->d_hlist >= VMI_OFFSET_MAX || l->hd_dnode >= VMI_OFFSET_MAX ||
	    l->hd_handler >= VMI_OFFSET_MAX || l->hd_events >= VMI_OFFSET_MAX)
		return false;
	for (i = 0; i < VMI_INPUT_FNS; i++)
		if (l->h_fn[i] >= VMI_OFFSET_MAX)
			return false;
	return true;
}

/* Passes @h to the callback; its error is remembered as not the walk's. */
static int in_call(struct in_walk *w, const struct vmi_input_hook *h)
{
	w->fn_err = w->fn(w->ctx, h);
	return w->fn_err;
}

/* A handler's callbacks; @h holds where it was met (dev, handle). */
static int in_handler(struct in_walk *w, struct vmi_input_hook *h)
{
	u32 i;
	int err;

	h->what = VMI_INPUT_HANDLER_FN;
	for (i = 0; i < VMI_INPUT_FNS; i++) {
		if (!(w->l->flags & VMI_INPUT_HAS_FN(i)))
			continue;
		h->member = i;
		if (vmi_read_u64(w->r, h->handler + w->l->h_fn[i], &h->fn)) {
			h->fn = 0;
			h->err = -EFAULT;
			return in_call(w, h);
		}
		err = in_call(w, h);
		if (err)
			return err;
	}
	return 0;
}

static int in_visit_handler(void *ctx, u64 node)
{
	struct in_walk *w = ctx;
	struct vmi_input_hook h = { .handler = node - w->l->h_node };

	if (w->s->nr < VMI_INPUT_HANDLERS_MAX)
		w->s->handlers[w->s->nr++] = h.handler;
	return in_handler(w, &h);
}

static bool in_registered(const struct in_walk *w, u64 handler)
{
	u32 i;

	for (i = 0; i < w->s->nr; i++)
		if (w->s->handlers[i] == handler)
			return true;
	return false;
}

/* One handle on a device's h_list: its handler, its handle_events. */
static int in_visit_handle(void *ctx, u64 node)
{
	struct in_walk *w = ctx;
	struct vmi_input_hook h = { .dev = w->dev,
				    .handle = node - w->l->hd_dnode };
	int err;

	if (vmi_read_u64(w->r, h.handle + w->l->hd_handler, &h.handler))
		return -EFAULT;
	if (!in_registered(w, h.handler)) {
		h.what = VMI_INPUT_UNREGISTERED;
		h.err = -ENOENT;
		err = in_call(w, &h);
		h.err = 0;
		err = err ?: in_handler(w, &h);
		if (err)
			return err;
	}
	if (!(w->l->flags & VMI_INPUT_HAS_HANDLE_EVENTS))
		return 0;
	h.what = VMI_INPUT_HANDLE_EVENTS;
	h.member = 0;
	h.err = 0;
	if (vmi_read_u64(w->r, h.handle + w->l->hd_events, &h.fn))
		return -EFAULT;
	return in_call(w, &h);
}

/* A bad list at @head: @what, @err; 0 or the callback's error. */
static int in_bad_list(struct in_walk *w, u32 what, u64 dev, u64 head,
		       int err)
{
	struct vmi_input_hook h = { .dev = dev, .head = head, .what = what,
				    .err = err };

	return in_call(w, &h);
}

static int in_visit_dev(void *ctx, u64 node)
{
	struct in_walk *w = ctx;
	u64 head;
	int err;

	w->dev = node - w->l->d_node;
	head = w->dev + w->l->d_hlist;
	w->fn_err = 0;
	err = vmi_list_walk(w->r, head, w->l->max_handles, in_visit_handle, w,
			    NULL);
	if (!err || w->fn_err)
		return err;
	return in_bad_list(w, VMI_INPUT_H_LIST, w->dev, head, err);
}

/* A global list that vmi_list_walk() ended with @err. */
static int in_list_end(struct in_walk *w, u32 what, u64 head, int err)
{
	if (w->fn_err || (err != -ELOOP && err != -EBADMSG))
		return err;
	return in_bad_list(w, what, 0, head, err);
}

int vmi_input_walk(const struct vmi_read_ops *r,
		   const struct vmi_input_layout *l,
		   struct vmi_input_scratch *s, vmi_input_fn fn, void *ctx)
{
	struct in_walk w = { .r = r, .l = l, .s = s, .fn = fn, .ctx = ctx };
	int err;

	if (!r || !r->read || !fn || !s || !vmi_input_layout_ok(l))
		return -EINVAL;
	s->nr = 0;
	err = vmi_list_walk(r, l->handlers, l->max_handlers, in_visit_handler,
			    &w, NULL);
	err = in_list_end(&w, VMI_INPUT_HANDLER_LIST, l->handlers, err);
	if (err)
		return err;
	w.fn_err = 0;
	err = vmi_list_walk(r, l->devs, l->max_devs, in_visit_dev, &w, NULL);
	return in_list_end(&w, VMI_INPUT_DEV_LIST, l->devs, err);
}

struct in_judge {
	const struct vmi_range *allow;
	u32 nr_allow;
	struct vmi_input_suspects *s;
};

static int in_suspect(void *ctx, const struct vmi_input_hook *h)
{
	struct in_judge *j = ctx;

	/* a NULL callback is one the handler does not have */
	if (!h->err && (!h->fn || vmi_in_ranges(h->fn, j->allow, j->nr_allow)))
		return 0;
	if (!j->s->nr++)
		j->s->first = *h;
	return 0;
}

int vmi_input_suspects(const struct vmi_read_ops *r,
		       const struct vmi_input_layout *l,
		       const struct vmi_range *allow, u32 nr_allow,
		       struct vmi_input_scratch *scratch,
		       struct vmi_input_suspects *ret)
{
	struct in_judge j = { .allow = allow, .nr_allow = nr_allow, .s = ret };

	if (!ret || (nr_allow && !allow))
		return -EINVAL;
	memset(ret, 0, sizeof(*ret));
	return vmi_input_walk(r, l, scratch, in_suspect, &j);
}
