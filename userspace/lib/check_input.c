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
 * or cannot be read are critical. What a scan reports is confirmed by a
 * second one (check_confirmed()).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checks.h"
#include "hidden.h"
#include "hookpolicy.h"
#include "list.h"

#define INPUT_HANDLERS_MAX	1024	/* on input_handler_list */
#define INPUT_DEVS_MAX		4096	/* on input_dev_list */
#define INPUT_HANDLES_MAX	256	/* on one device's h_list */
#define INPUT_NAME		32	/* of a handler, read at most */

static const char *const input_fns[] = {
	"event", "events", "filter", "match", "connect", "disconnect", "start",
};

struct input_walk {
	/* layout */
	u32 h_node, h_name, h_fn[ARRAY_SIZE(input_fns)];
	bool h_has_fn[ARRAY_SIZE(input_fns)];
	u32 d_node, d_hlist, d_name;
	u32 hd_dnode, hd_handler, hd_events;
	bool has_handle_events;
	/* now */
	u64 handlers[INPUT_HANDLERS_MAX];	/* registered, in list order */
	u32 nr_handlers;
	char dev[INPUT_NAME];			/* the device being walked */
	struct hook_scan h;
};

/* A guest string at @addr, at most @size - 1 bytes, printable. */
static void input_string(struct vmiaas *v, u64 addr, char *buf, size_t size,
			 const char *dflt)
{
	size_t len = size - 1;

	if (len > 4096 - (addr & 4095))
		len = 4096 - (addr & 4095);	/* the next page may be absent */
	memset(buf, 0, size);
	if (!addr || engine_read(v, addr, buf, len) || !buf[0])
		snprintf(buf, size, "%s", dflt);
	hook_printable(buf);
}

static void input_handler_name(struct vmiaas *v, struct input_walk *w,
			       u64 handler, char *buf, size_t size)
{
	char dflt[32];
	u64 name = 0;

	snprintf(dflt, sizeof(dflt), "handler@%llx", (unsigned long long)handler);
	engine_read_u64(v, handler + w->h_name, &name);
	input_string(v, name, buf, size, dflt);
}

/* A handler's callbacks against the rules; @how says where it was met. */
static void input_judge_handler(struct vmiaas *v, struct input_walk *w,
				u64 handler, const char *how)
{
	char name[INPUT_NAME], where[HOOK_WHERE];
	size_t i;
	u64 fn;

	input_handler_name(v, w, handler, name, sizeof(name));
	for (i = 0; i < ARRAY_SIZE(input_fns); i++) {
		if (!w->h_has_fn[i])
			continue;
		if (engine_read_u64(v, handler + w->h_fn[i], &fn)) {
			snprintf(where, sizeof(where), "input handler %s (0x%llx%s)",
				 name, (unsigned long long)handler, how);
			hook_bad(&w->h, name, where, handler, "it cannot be read");
			return;
		}
		snprintf(where, sizeof(where),
			 "the %s callback of input handler %s (0x%llx%s)",
			 input_fns[i], name, (unsigned long long)handler, how);
		hook_judge(v, &w->h, name, where, handler, fn);
	}
}

static int input_visit_handler(struct vmiaas *v, u64 node, void *arg)
{
	struct input_walk *w = arg;
	u64 handler = node - w->h_node;

	if (w->nr_handlers < INPUT_HANDLERS_MAX)
		w->handlers[w->nr_handlers++] = handler;
	input_judge_handler(v, w, handler, "");
	return 0;
}

static bool input_registered(const struct input_walk *w, u64 handler)
{
	u32 i;

	for (i = 0; i < w->nr_handlers; i++)
		if (w->handlers[i] == handler)
			return true;
	return false;
}

/* One handle on a device's h_list: its handler, its handle_events. */
static int input_visit_handle(struct vmiaas *v, u64 node, void *arg)
{
	struct input_walk *w = arg;
	u64 handle = node - w->hd_dnode, handler, fn;
	char name[INPUT_NAME], where[HOOK_WHERE], how[64];

	if (engine_read_u64(v, handle + w->hd_handler, &handler))
		return -EFAULT;
	input_handler_name(v, w, handler, name, sizeof(name));
	if (!input_registered(w, handler)) {
		snprintf(where, sizeof(where),
			 "input handle 0x%llx on device %s",
			 (unsigned long long)handle, w->dev);
		hook_bad(&w->h, name, where, handle,
			 "its handler is not on input_handler_list (registered by hand)");
		snprintf(how, sizeof(how), ", unregistered, on device %s",
			 w->dev);
		input_judge_handler(v, w, handler, how);
	}
	if (!w->has_handle_events)
		return 0;
	if (engine_read_u64(v, handle + w->hd_events, &fn))
		return -EFAULT;
	snprintf(where, sizeof(where),
		 "the handle_events of input handle 0x%llx (handler %s) on device %s",
		 (unsigned long long)handle, name, w->dev);
	hook_judge(v, &w->h, name, where, handle, fn);
	return 0;
}

static int input_visit_dev(struct vmiaas *v, u64 node, void *arg)
{
	struct input_walk *w = arg;
	u64 dev = node - w->d_node, name = 0;
	char where[HOOK_WHERE], dflt[32];
	int err;

	snprintf(dflt, sizeof(dflt), "dev@%llx", (unsigned long long)dev);
	engine_read_u64(v, dev + w->d_name, &name);
	input_string(v, name, w->dev, sizeof(w->dev), dflt);
	err = list_walk(v, "an input device's handle list", dev + w->d_hlist,
			INPUT_HANDLES_MAX, input_visit_handle, w);
	if (err && err != -ENOMEM) {
		snprintf(where, sizeof(where), "input device %s (0x%llx)",
			 w->dev, (unsigned long long)dev);
		hook_bad(&w->h, w->dev, where, dev + w->d_hlist,
			 "its handle list is corrupt (a cycle, a non-kernel or unreadable pointer, or over 256 handles)");
		return 0;
	}
	return err;
}

/* A global list; a corrupt one is a finding, not an error. */
static int input_walk_list(struct vmiaas *v, struct input_walk *w,
			   const char *sym, u32 max,
			   int (*fn)(struct vmiaas *v, u64 node, void *arg))
{
	u64 head;
	int err;

	if (engine_sym(v, sym, &head))
		return engine_fail(v, -ENOENT, "input-handler: the kernel has no %s",
				   sym);
	err = list_walk(v, sym, head, max, fn, w);
	if (err == -ELOOP || err == -EBADMSG) {
		hook_bad(&w->h, sym, sym, head,
			 "the list is corrupt (a cycle, a non-kernel pointer or over its cap)");
		return 0;
	}
	return err;
}

static int input_layout(struct vmiaas *v, struct input_walk *w)
{
	const struct btf_member_ref m[] = {
		{ "input_handler", "node", &w->h_node },
		{ "input_handler", "name", &w->h_name },
		{ "input_dev", "node", &w->d_node },
		{ "input_dev", "h_list", &w->d_hlist },
		{ "input_dev", "name", &w->d_name },
		{ "input_handle", "d_node", &w->hd_dnode },
		{ "input_handle", "handler", &w->hd_handler },
	};
	size_t i;

	if (btf_offsets(v->btf, m, ARRAY_SIZE(m), NULL))
		return engine_fail(v, -ENOENT,
				   "input-handler: the kernel's BTF lacks struct input_handler, input_handle or input_dev members");
	for (i = 0; i < ARRAY_SIZE(input_fns); i++)
		w->h_has_fn[i] = !btf_offsetof(v->btf, "input_handler",
					       input_fns[i], &w->h_fn[i]);
	w->has_handle_events = !btf_offsetof(v->btf, "input_handle",
					     "handle_events", &w->hd_events);
	return 0;
}

/* One scan: every handler and handle now, suspects and events to @sink. */
static int input_scan(struct vmiaas *v, const struct hidden_sink *sink,
		      void *arg)
{
	struct input_walk *w = calloc(1, sizeof(*w));
	int err;

	if (!w)
		return -ENOMEM;
	w->h.check = "input-handler";
	w->h.sees = "it receives every event of the input devices it connects to (a keyboard's key presses)";
	err = input_layout(v, w);
	err = err ?: hook_scan_begin(v, &w->h);
	err = err ?: input_walk_list(v, w, "input_handler_list",
				     INPUT_HANDLERS_MAX, input_visit_handler);
	err = err ?: input_walk_list(v, w, "input_dev_list", INPUT_DEVS_MAX,
				     input_visit_dev);
	if (!err)
		hook_report(v, &w->h, sink);
	hook_scan_end(&w->h);
	free(w);
	return err;
}

int check_input_handlers(struct vmiaas *v, const struct hidden_sink *sink)
{
	return check_confirmed(v, input_scan, NULL, sink);
}
