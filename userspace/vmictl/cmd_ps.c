// SPDX-License-Identifier: GPL-2.0
/*
 * vmictl ps: the guest's processes (or threads), sorted by PID.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output.h"
#include "vmictl.h"

#define PF_KTHREAD	0x00200000U	/* include/linux/sched.h */

static bool ps_is_kthread(const struct vmiaas_task *t)
{
	return t->flags & PF_KTHREAD;
}

static int ps_cmp(const void *a, const void *b)
{
	const struct vmiaas_task *x = a, *y = b;

	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return 0;
}

/* Keeps thread-group leaders only, unless --threads. Returns the count. */
static size_t ps_filter(const struct vmictl *c, struct vmiaas_task *t,
			size_t nr)
{
	size_t i, n = 0;

	if (c->threads)
		return nr;
	for (i = 0; i < nr; i++)
		if (t[i].pid == t[i].tgid)
			t[n++] = t[i];
	return n;
}

static const struct out_col ps_cols[] = {
	{ "PID", true }, { "TGID", true }, { "PPID", true },
	{ "UID", true }, { "EUID", true }, { "TASK", false },
	{ "COMMAND", false },
};

static int ps_row(struct out_table *tb, const struct vmiaas_task *t)
{
	char comm[OUT_ESC_SIZE(sizeof(t->comm))];
	bool kt = ps_is_kthread(t);
	int r;

	out_escape(t->comm, sizeof(t->comm), comm, sizeof(comm));
	r = out_table_cell(tb, "%d", t->pid);
	if (!r)
		r = out_table_cell(tb, "%d", t->tgid);
	if (!r)
		r = out_table_cell(tb, "%d", t->ppid);
	if (!r)
		r = out_table_cell(tb, "%u", t->uid);
	if (!r)
		r = out_table_cell(tb, "%u", t->euid);
	if (!r)
		r = out_table_cell(tb, "0x%016llx",
				   (unsigned long long)t->addr);
	if (!r)
		r = out_table_cell(tb, kt ? "[%s]" : "%s", comm);
	return r;
}

static int ps_print(const struct vmiaas_task *t, size_t nr)
{
	struct out_table *tb;
	size_t i;
	int r = 0;

	tb = out_table_new(ps_cols, sizeof(ps_cols) / sizeof(ps_cols[0]));
	if (!tb)
		return -ENOMEM;
	for (i = 0; i < nr && !r; i++)
		r = ps_row(tb, &t[i]);
	if (!r)
		r = out_table_print(tb);
	out_table_free(tb);
	return r;
}

static struct json_object *ps_json_task(const struct vmiaas_task *t)
{
	struct json_object *o = json_object_new_object();

	out_json_add(o, "pid", json_object_new_int(t->pid));
	out_json_add(o, "tgid", json_object_new_int(t->tgid));
	out_json_add(o, "ppid", json_object_new_int(t->ppid));
	out_json_add(o, "comm", out_json_str(t->comm, sizeof(t->comm)));
	out_json_add(o, "kthread", json_object_new_boolean(ps_is_kthread(t)));
	out_json_add(o, "uid", json_object_new_int64(t->uid));
	out_json_add(o, "euid", json_object_new_int64(t->euid));
	out_json_add(o, "gid", json_object_new_int64(t->gid));
	out_json_add(o, "egid", json_object_new_int64(t->egid));
	out_json_add(o, "flags", json_object_new_int64(t->flags));
	out_json_add(o, "task", out_json_addr(t->addr));
	out_json_add(o, "cred", out_json_addr(t->cred));
	out_json_add(o, "real_cred", out_json_addr(t->real_cred));
	out_json_add(o, "mm", out_json_addr(t->mm));
	return o;
}

static int ps_json(const struct vmiaas_task *t, size_t nr)
{
	struct json_object *o = json_object_new_object();
	struct json_object *arr = json_object_new_array();
	size_t i;

	for (i = 0; i < nr; i++)
		out_json_append(arr, ps_json_task(&t[i]));
	out_json_add(o, "tasks", arr);
	return out_json_print(o);
}

int cmd_ps(struct vmictl *c)
{
	struct vmiaas_task *t = NULL;
	size_t nr = 0;
	int r;

	r = vmictl_guest(c, vmiaas_tasks(c->v, &t, &nr), "read the task list");
	if (r < 0)
		return r;
	nr = ps_filter(c, t, nr);
	qsort(t, nr, sizeof(*t), ps_cmp);
	r = c->json ? ps_json(t, nr) : ps_print(t, nr);
	free(t);
	return r;
}
