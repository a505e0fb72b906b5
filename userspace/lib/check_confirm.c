// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * Findings confirmed by a second scan: for checks that walk writable
 * kernel objects while the guest runs (netfilter-hook, proc-ops). An
 * object being torn down during the first scan (a module unloading
 * unregisters its hooks, removes its /proc entries just after it stops
 * being live) may be read half freed; what the kernel really holds is
 * there again check_rescan_us later.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "checks.h"
#include "hidden.h"

#define CONFIRM_MAX		256	/* findings and events per scan */

/* The wait before a second scan (confirm, exec-memory, kernel-mapping). */
unsigned int check_rescan_us = 50000;

/*
 * Grown as findings come: a clean scan allocates nothing (a fixed array
 * of CONFIRM_MAX findings was 280 KiB to zero per list, six lists a
 * check: ~0.1 ms of a check's CPU).
 */
struct confirm_list {
	struct vmiaas_finding *f;
	size_t nr, cap;
	bool oom;		/* a finding could not be kept */
};

static struct vmiaas_finding *confirm_collect(void *ctx, const char *check,
					      u32 severity, const char *object)
{
	struct confirm_list *l = ctx;
	struct vmiaas_finding *f;

	if (l->nr >= CONFIRM_MAX)
		return NULL;
	f = array_grow(l->f, &l->cap, l->nr, sizeof(*f), 8);
	if (!f) {
		l->oom = true;
		return NULL;
	}
	l->f = f;
	f = &l->f[l->nr++];
	memset(f, 0, sizeof(*f));
	snprintf(f->check, sizeof(f->check), "%s", check);
	f->severity = severity;
	snprintf(f->object, sizeof(f->object), "%s", object);
	return f;
}

static int confirm_scan(struct vmiaas *v, check_scan_fn scan, void *arg,
			struct confirm_list *l)
{
	const struct hidden_sink sink = { .add = confirm_collect, .ctx = l };
	int err;

	l->nr = 0;
	err = scan(v, &sink, arg);
	return err ?: l->oom ? -ENOMEM : 0;
}

static bool confirm_seen(const struct confirm_list *l,
			 const struct vmiaas_finding *f)
{
	size_t i;

	for (i = 0; i < l->nr; i++)
		if (!strcmp(l->f[i].check, f->check) &&
		    !strcmp(l->f[i].object, f->object) &&
		    !strcmp(l->f[i].message, f->message))
			return true;
	return false;
}

/* Whether @l holds a finding, not only informational events. */
static bool confirm_any_finding(const struct confirm_list *l)
{
	size_t i;

	for (i = 0; i < l->nr; i++)
		if (!(l->f[i].flags & VMIAAS_FINDING_EVENT))
			return true;
	return false;
}

/* @l's entries, or those @first saw too, to @sink. */
static void confirm_pass(const struct confirm_list *l,
			 const struct confirm_list *first,
			 const struct hidden_sink *sink)
{
	struct vmiaas_finding *f;
	size_t i;

	for (i = 0; i < l->nr; i++) {
		if (first && !confirm_seen(first, &l->f[i]))
			continue;
		f = sink->add(sink->ctx, l->f[i].check, l->f[i].severity,
			      l->f[i].object);
		if (f)
			*f = l->f[i];
	}
}

/*
 * Events only (an in-tree module's hook, evdev's input handler: on many
 * guests at every check) need no second scan: they change no verdict,
 * and the wait would cost every check 50 ms.
 */
int check_confirmed(struct vmiaas *v, check_scan_fn scan, void *arg,
		    const struct hidden_sink *sink)
{
	struct confirm_list first = {}, second = {};
	int err;

	err = confirm_scan(v, scan, arg, &first);
	if (err || !first.nr)
		goto out;
	if (!confirm_any_finding(&first)) {
		confirm_pass(&first, NULL, sink);
		goto out;
	}
	engine_pause(v, check_rescan_us);
	err = confirm_scan(v, scan, arg, &second);
	if (!err)
		confirm_pass(&second, &first, sink);
out:
	free(first.f);
	free(second.f);
	return err;
}
