/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * input-handler's execution, shared by vmiaas.ko and userspace: the code
 * the input core gives every event (a key press) to.
 *
 * input_register_handler() puts a struct input_handler on
 * input_handler_list; its connect() attaches a struct input_handle to
 * each matching device (the device's h_list, the device on
 * input_dev_list), and every event of the device goes to the handler's
 * callbacks (6.11+: through the handle's handle_events). The walk passes
 * each registered handler's callbacks, then for each handle on each
 * device's h_list its handle_events (where the layout has it) and, when
 * its handler is not on input_handler_list (linked in by hand), that
 * handler (->err -ENOENT) and its callbacks. The layout (offsets, list
 * heads, which callbacks exist) is the caller's, from the guest's BTF and
 * symbols; so is the judgement (vmi_input_suspects() for a list of
 * allowed ranges).
 *
 * Bounds: the handler list and device list are walked with
 * vmi_list_walk() (caps @max_handlers, at most VMI_INPUT_HANDLERS_MAX,
 * and @max_devs), each device's h_list with at most @max_handles nodes.
 * What cannot be walked or read is passed to the callback as bad (->err),
 * not returned: a guest must not turn the check off by corrupting a list.
 * Errors returned: -EINVAL (a bad layout), the read error of a handler or
 * device list node's next pointer (or its head), and what the callback
 * returns.
 */
#ifndef VMI_INPUTWALK_H
#define VMI_INPUTWALK_H

#include "klist.h"

#define VMI_INPUT_FNS		7	/* see the callbacks below */
#define VMI_INPUT_HANDLERS_MAX	1024	/* on input_handler_list */
#define VMI_INPUT_DEVS_MAX	4096	/* on input_dev_list */
#define VMI_INPUT_HANDLES_MAX	256	/* on one device's h_list */

/* struct input_handler's callbacks, in struct vmi_input_layout.h_fn[] */
#define VMI_INPUT_EVENT		0
#define VMI_INPUT_EVENTS	1
#define VMI_INPUT_FILTER	2
#define VMI_INPUT_MATCH		3
#define VMI_INPUT_CONNECT	4
#define VMI_INPUT_DISCONNECT	5
#define VMI_INPUT_START		6

/* struct vmi_input_layout.flags */
#define VMI_INPUT_HAS_FN(i)	(1U << (i))	/* h_fn[i] is valid */
#define VMI_INPUT_HAS_HANDLE_EVENTS	(1U << VMI_INPUT_FNS)
#define VMI_INPUT_FLAGS_ALL	((VMI_INPUT_HAS_HANDLE_EVENTS << 1) - 1)

/* struct vmi_input_hook.what */
#define VMI_INPUT_HANDLER_FN	0	/* a handler's callback ->member */
#define VMI_INPUT_UNREGISTERED	1	/* a handle's handler not on the list */
#define VMI_INPUT_HANDLE_EVENTS	2	/* a handle's handle_events */
#define VMI_INPUT_HANDLER_LIST	3	/* input_handler_list itself */
#define VMI_INPUT_DEV_LIST	4	/* input_dev_list itself */
#define VMI_INPUT_H_LIST	5	/* a device's h_list */

struct vmi_input_layout {
	u64 handlers;		/* &input_handler_list */
	u64 devs;		/* &input_dev_list */
	u32 h_node;		/* offsetof(struct input_handler, node) */
	u32 h_fn[VMI_INPUT_FNS];	/* ... event, events, filter... */
	u32 d_node, d_hlist;	/* offsetof(struct input_dev, node, h_list) */
	u32 hd_dnode;		/* offsetof(struct input_handle, d_node) */
	u32 hd_handler;		/* ... handler */
	u32 hd_events;		/* ... handle_events */
	u32 flags;		/* VMI_INPUT_HAS_* */
	u32 max_handlers, max_devs, max_handles;
};

/* A callback, or (->err) a list, handle or handler that is bad. */
struct vmi_input_hook {
	u64 handler;		/* struct input_handler, 0 for a bad list */
	u64 dev;		/* struct input_dev, 0: a registered handler */
	u64 handle;		/* struct input_handle, 0: idem */
	u64 head;		/* with a bad list: its head */
	u64 fn;			/* the callback (0 with ->err) */
	u32 what;		/* VMI_INPUT_* above */
	u32 member;		/* VMI_INPUT_EVENT... with _HANDLER_FN */
	/*
	 * 0, or: -EFAULT a handler's callbacks unreadable, -ENOENT with
	 * VMI_INPUT_UNREGISTERED; for a list: -ELOOP or -EBADMSG corrupt
	 * (vmi_list_walk()), or (an h_list) the read error of a node, of a
	 * handle's handler or of its handle_events
	 */
	s32 err;
	u32 pad;
};

typedef int (*vmi_input_fn)(void *ctx, const struct vmi_input_hook *h);

/* A walk's memory, the caller's (not on the stack: vmiaas.ko). */
struct vmi_input_scratch {
	u64 handlers[VMI_INPUT_HANDLERS_MAX];	/* registered, list order */
	u32 nr;
};

/* Whether @l is plausible (offsets and caps within bounds). */
bool vmi_input_layout_ok(const struct vmi_input_layout *l);

/* Calls @fn for every callback and every bad object (see the top). */
int vmi_input_walk(const struct vmi_read_ops *r,
		   const struct vmi_input_layout *l,
		   struct vmi_input_scratch *s, vmi_input_fn fn, void *ctx);

/* What vmi_input_suspects() found. */
struct vmi_input_suspects {
	u64 nr;				/* bad ones, callbacks not allowed */
	struct vmi_input_hook first;	/* the first of them (if nr) */
};

/*
 * The module's judgement (vmiaas.ko, and userspace's run of the same
 * record): every bad object (an unregistered handler included), and
 * every callback outside the @nr_allow ranges of @allow, is a suspect.
 */
int vmi_input_suspects(const struct vmi_read_ops *r,
		       const struct vmi_input_layout *l,
		       const struct vmi_range *allow, u32 nr_allow,
		       struct vmi_input_scratch *scratch,
		       struct vmi_input_suspects *ret);

#endif /* VMI_INPUTWALK_H */
