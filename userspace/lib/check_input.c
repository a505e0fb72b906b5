// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * input-handler: the code the input core gives every key press to.
 *
 * input_register_handler() puts a struct input_handler on
 * input_handler_list; its connect() attaches a struct input_handle to
 * each matching device (the device's h_list), and from then on every
 * event of the device goes to the handler's filter, event or events
 * callback (6.11+: through the handle's handle_events). A keylogger that
 * registers a handler on keyboards needs no keyboard notifier (what
 * notifier-hook reads) and changes no text and no read-only data. The
 * kernel's own handlers (kbd, sysrq, mousedev, input_leds: built into
 * Debian's kernels) and evdev (a module) are the benign ones. Every
 * registered handler's callbacks (event, events, filter, match, connect,
 * disconnect, start) and every handle on every device's h_list (its
 * handle_events where the kernel has it, and its handler: one not on
 * input_handler_list is critical, its callbacks judged too) go through
 * hookpolicy.h's rules (kernel text nothing, an untainted module an
 * event, a tainted one high, anywhere else critical); findings are named
 * by the handler's name (a bounded string read). Lists that do not end
 * or cannot be read are critical. The walk (which lists, where, with what
 * bounds and cycle checks) is core/inputwalk.c's, the code vmiaas.ko runs
 * for input_module_check()'s record; this file resolves the layout from
 * BTF and symbols and judges what the walk passes it. What a scan
 * reports is confirmed by a second one (check_confirmed()).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checks.h"
#include "hidden.h"
#include "hookpolicy.h"
#include "uapi/linux/vmiaas.h"
#include "../../core/inputwalk.h"

#define INPUT_NAME		32	/* of a handler, read at most */

/* struct input_handler's callbacks, in core/inputwalk.h's order */
static const char *const input_fns[VMI_INPUT_FNS] = {
	"event", "events", "filter", "match", "connect", "disconnect", "start",
};

const char *input_fn_name(u32 i)
{
	return i < VMI_INPUT_FNS ? input_fns[i] : "?";
}

struct input_walk {
	struct hook_scan h;		/* first: hookpolicy.h's hook_check */
	struct vmi_input_layout l;	/* core/inputwalk.c's */
	u32 h_name, d_name;
	struct vmiaas *v;
	u64 dev;			/* the device named in @dev_name */
	char dev_name[INPUT_NAME];
	struct vmi_input_scratch s;
};

static void input_handler_name(struct input_walk *w, u64 handler, char *buf,
			       size_t size)
{
	char dflt[32];
	u64 name = 0;

	snprintf(dflt, sizeof(dflt), "handler@%llx", (unsigned long long)handler);
	engine_read_u64(w->v, handler + w->h_name, &name);
	hook_string(w->v, name, buf, size, dflt);
}

/* The name of the device @dev (read once per device). */
static const char *input_dev_name(struct input_walk *w, u64 dev)
{
	char dflt[32];
	u64 name = 0;

	if (w->dev == dev && w->dev_name[0])
		return w->dev_name;
	w->dev = dev;
	snprintf(dflt, sizeof(dflt), "dev@%llx", (unsigned long long)dev);
	engine_read_u64(w->v, dev + w->d_name, &name);
	hook_string(w->v, name, w->dev_name, sizeof(w->dev_name), dflt);
	return w->dev_name;
}

/* A list that does not end or cannot be read. */
static void input_bad_list(struct input_walk *w, const struct vmi_input_hook *e)
{
	char where[HOOK_WHERE];
	const char *dev;

	if (e->what != VMI_INPUT_H_LIST) {
		const char *sym = e->what == VMI_INPUT_HANDLER_LIST ?
				  "input_handler_list" : "input_dev_list";

		hook_bad(&w->h, sym, sym, e->head,
			 "the list is corrupt (a cycle, a non-kernel pointer or over its cap)");
		return;
	}
	dev = input_dev_name(w, e->dev);
	snprintf(where, sizeof(where), "input device %s (0x%llx)", dev,
		 (unsigned long long)e->dev);
	hook_bad(&w->h, dev, where, e->head,
		 "its handle list is corrupt (a cycle, a non-kernel or unreadable pointer, or over 256 handles)");
}

/* A handler's callback (registered, or met on a device unregistered). */
static void input_handler_fn(struct input_walk *w,
			     const struct vmi_input_hook *e, const char *name)
{
	char where[HOOK_WHERE], how[64] = "";

	if (e->dev)
		snprintf(how, sizeof(how), ", unregistered, on device %s",
			 input_dev_name(w, e->dev));
	if (e->err) {
		snprintf(where, sizeof(where), "input handler %s (0x%llx%s)",
			 name, (unsigned long long)e->handler, how);
		hook_bad(&w->h, name, where, e->handler, "it cannot be read");
		return;
	}
	snprintf(where, sizeof(where),
		 "the %s callback of input handler %s (0x%llx%s)",
		 input_fns[e->member], name, (unsigned long long)e->handler,
		 how);
	hook_judge(w->v, &w->h, name, where, e->handler, e->fn);
}

/* core/inputwalk.c's callback: a callback or a bad object, judged. */
static int input_visit(void *ctx, const struct vmi_input_hook *e)
{
	struct input_walk *w = ctx;
	char name[INPUT_NAME], where[HOOK_WHERE];

	if (e->what >= VMI_INPUT_HANDLER_LIST) {
		input_bad_list(w, e);
		return 0;
	}
	if (!hook_judged(&w->h, e->fn) &&
	    (e->what == VMI_INPUT_HANDLE_EVENTS ||
	     (e->what == VMI_INPUT_HANDLER_FN && !e->err)))
		return 0;	/* nothing to judge, nothing to name */
	input_handler_name(w, e->handler, name, sizeof(name));
	if (e->what == VMI_INPUT_HANDLER_FN) {
		input_handler_fn(w, e, name);
	} else if (e->what == VMI_INPUT_UNREGISTERED) {
		snprintf(where, sizeof(where),
			 "input handle 0x%llx on device %s",
			 (unsigned long long)e->handle,
			 input_dev_name(w, e->dev));
		hook_bad(&w->h, name, where, e->handle,
			 "its handler is not on input_handler_list (registered by hand)");
	} else {
		snprintf(where, sizeof(where),
			 "the handle_events of input handle 0x%llx (handler %s) on device %s",
			 (unsigned long long)e->handle, name,
			 input_dev_name(w, e->dev));
		hook_judge(w->v, &w->h, name, where, e->handle, e->fn);
	}
	return 0;
}

static int input_walk_all(struct vmiaas *v, struct hook_scan *h)
{
	struct input_walk *w = (struct input_walk *)h;
	struct vmi_read_ops r;
	int err;

	bl_read_ops(v, &r);
	w->dev = 0;
	w->dev_name[0] = '\0';
	err = vmi_input_walk(&r, &w->l, &w->s, input_visit, w);
	if (err)
		return engine_fail(v, err,
				   "input-handler: a handler or device list node is unreadable");
	return 0;
}

static int input_layout(struct vmiaas *v, struct hook_scan *h)
{
	struct input_walk *w = (struct input_walk *)h;
	struct vmi_input_layout *l = &w->l;
	const struct btf_member_ref m[] = {
		{ "input_handler", "node", &l->h_node },
		{ "input_handler", "name", &w->h_name },
		{ "input_dev", "node", &l->d_node },
		{ "input_dev", "h_list", &l->d_hlist },
		{ "input_dev", "name", &w->d_name },
		{ "input_handle", "d_node", &l->hd_dnode },
		{ "input_handle", "handler", &l->hd_handler },
	};
	u32 i;

	*l = (struct vmi_input_layout){
		.max_handlers = VMI_INPUT_HANDLERS_MAX,
		.max_devs = VMI_INPUT_DEVS_MAX,
		.max_handles = VMI_INPUT_HANDLES_MAX,
	};
	w->v = v;
	if (btf_offsets(v->btf, m, ARRAY_SIZE(m), NULL))
		return engine_fail(v, -ENOENT,
				   "input-handler: the kernel's BTF lacks struct input_handler, input_handle or input_dev members");
	for (i = 0; i < VMI_INPUT_FNS; i++)
		if (!btf_offsetof(v->btf, "input_handler", input_fns[i],
				  &l->h_fn[i]))
			l->flags |= VMI_INPUT_HAS_FN(i);
	if (!btf_offsetof(v->btf, "input_handle", "handle_events",
			  &l->hd_events))
		l->flags |= VMI_INPUT_HAS_HANDLE_EVENTS;
	if (!vmi_input_layout_ok(l))
		return engine_fail(v, -EBADMSG,
				   "input-handler: struct input_handler, input_handle or input_dev offsets over 64 KiB: implausible");
	if (engine_sym(v, "input_handler_list", &l->handlers))
		return engine_fail(v, -ENOENT,
				   "input-handler: the kernel has no input_handler_list");
	if (engine_sym(v, "input_dev_list", &l->devs))
		return engine_fail(v, -ENOENT,
				   "input-handler: the kernel has no input_dev_list");
	return 0;
}

static int input_record(struct vmiaas *v, struct hook_scan *h,
			struct vmiaas_module_check *c);

static const struct hook_check input_check = {
	.check = "input-handler",
	.sees = "it receives every event of the input devices it connects to (a keyboard's key presses)",
	.size = sizeof(struct input_walk),
	.layout = input_layout,
	.walk = input_walk_all,
	.record = input_record,
};

/* One scan: every handler and handle now, suspects and events to @sink. */
static int input_scan(struct vmiaas *v, const struct hidden_sink *sink,
		      void *arg)
{
	return hook_check_scan(v, &input_check, sink, arg);
}

int check_input_handlers(struct vmiaas *v, const struct hidden_sink *sink,
			 struct hook_trust *trust)
{
	return check_confirmed(v, input_scan, trust, sink);
}

/* ---- vmiaas.ko's record ---- */

/* The layout of @l in the uapi's form. */
static void input_record_layout(const struct vmi_input_layout *l,
				struct vmiaas_input_check *ic)
{
	static_assert(VMIAAS_INPUT_FN(0) == VMI_INPUT_HAS_FN(0) &&
		      VMIAAS_INPUT_HANDLE_EVENTS == VMI_INPUT_HAS_HANDLE_EVENTS &&
		      VMIAAS_INPUT_ALL == VMI_INPUT_FLAGS_ALL &&
		      ARRAY_SIZE(ic->fn_off) == VMI_INPUT_FNS, "input flags");
	ic->devs = l->devs;
	ic->h_node = l->h_node;
	memcpy(ic->fn_off, l->h_fn, sizeof(ic->fn_off));
	ic->d_node = l->d_node;
	ic->d_hlist = l->d_hlist;
	ic->hd_dnode = l->hd_dnode;
	ic->hd_handler = l->hd_handler;
	ic->hd_events = l->hd_events;
	ic->flags = l->flags;
}

/* input-handler's record: its device list, layout and allowed ranges. */
static int input_record(struct vmiaas *v, struct hook_scan *h,
			struct vmiaas_module_check *c)
{
	struct input_walk *w = (struct input_walk *)h;
	struct vmiaas_input_check *ic = (struct vmiaas_input_check *)c->data;

	static_assert(sizeof(*ic) <= VMIAAS_MODULE_DATA, "data");
	input_record_layout(&w->l, ic);
	return hook_record(v, h, c, VMIAAS_CHECK_INPUT_GVA, w->l.handlers,
			   "input handlers", ic->allow, VMIAAS_MAX_HOOK_ALLOW,
			   &ic->nr_allow);
}

/* input-handler's record for vmiaas_module_policy(), appended at *@nr. */
int input_module_check(struct vmiaas *v, struct vmiaas_module_check *out,
		       size_t max, size_t *nr, struct hook_trust *trust)
{
	return hook_module_check(v, &input_check, out, max, nr, trust);
}
