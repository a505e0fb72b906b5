/* SPDX-License-Identifier: GPL-2.0 */
/* The bounded queue of struct vmiaas_event behind read()/poll(). */
#ifndef _VMIAAS_KMOD_EVENTS_H
#define _VMIAAS_KMOD_EVENTS_H

#include <linux/spinlock.h>
#include <linux/wait.h>
#include <uapi/linux/vmiaas.h>

struct vmiaas_events {
	spinlock_t lock;	/* guards everything below */
	wait_queue_head_t wait;	/* readers and pollers */
	unsigned int head;	/* oldest record */
	unsigned int count;	/* records queued */
	u64 lost;		/* dropped since the last queued record */
	struct vmiaas_event ring[VMIAAS_EVENT_QUEUE];
};

void vmiaas_events_init(struct vmiaas_events *ev);
void vmiaas_events_push(struct vmiaas_events *ev,
			const struct vmiaas_event *e);
bool vmiaas_events_pop(struct vmiaas_events *ev, struct vmiaas_event *e);
bool vmiaas_events_ready(struct vmiaas_events *ev);

#endif /* _VMIAAS_KMOD_EVENTS_H */
