// SPDX-License-Identifier: GPL-2.0
/*
 * The event queue of one /dev/vmiaas file: a fixed ring, so a guest that
 * requests faster than userspace reads costs no memory; what does not fit
 * is counted and reported with the next record queued.
 */
#include <linux/sched.h>

#include "events.h"

void vmiaas_events_init(struct vmiaas_events *ev)
{
	spin_lock_init(&ev->lock);
	init_waitqueue_head(&ev->wait);
	ev->head = 0;
	ev->count = 0;
	ev->lost = 0;
}

void vmiaas_events_push(struct vmiaas_events *ev,
			const struct vmiaas_event *e)
{
	struct vmiaas_event *slot;

	spin_lock(&ev->lock);
	if (ev->count == VMIAAS_EVENT_QUEUE) {
		ev->lost++;
		spin_unlock(&ev->lock);
		return;
	}
	slot = &ev->ring[(ev->head + ev->count) % VMIAAS_EVENT_QUEUE];
	*slot = *e;
	slot->size = sizeof(*slot);
	slot->lost = ev->lost;
	ev->lost = 0;
	ev->count++;
	spin_unlock(&ev->lock);
	wake_up_interruptible(&ev->wait);
}

bool vmiaas_events_pop(struct vmiaas_events *ev, struct vmiaas_event *e)
{
	bool got = false;

	spin_lock(&ev->lock);
	if (ev->count) {
		*e = ev->ring[ev->head];
		ev->head = (ev->head + 1) % VMIAAS_EVENT_QUEUE;
		ev->count--;
		got = true;
	}
	spin_unlock(&ev->lock);
	return got;
}

bool vmiaas_events_ready(struct vmiaas_events *ev)
{
	return READ_ONCE(ev->count) != 0;
}
