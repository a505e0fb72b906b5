// SPDX-License-Identifier: GPL-2.0
/*
 * vmictl lsmod: the guest's loaded modules, in list order (newest first).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "output.h"
#include "vmictl.h"

/* enum module_state, include/linux/module.h */
static const char *const mod_states[] = {
	"live", "coming", "going", "unformed",
};

#define NR_MOD_STATES	(sizeof(mod_states) / sizeof(mod_states[0]))

static const char *lsmod_state(int32_t state, char *buf, size_t size)
{
	if (state >= 0 && (size_t)state < NR_MOD_STATES)
		return mod_states[state];
	snprintf(buf, size, "%d", state);
	return buf;
}

static const struct out_col lsmod_cols[] = {
	{ "MODULE", false }, { "BASE", false }, { "SIZE", true },
	{ "STATE", false }, { "STRUCT", false },
};

static int lsmod_row(struct out_table *tb, const struct vmiaas_module *m)
{
	char name[OUT_ESC_SIZE(sizeof(m->name))], state[16];
	int r;

	out_escape(m->name, sizeof(m->name), name, sizeof(name));
	r = out_table_cell(tb, "%s", name);
	if (!r)
		r = out_table_cell(tb, "0x%016llx",
				   (unsigned long long)m->base);
	if (!r)
		r = out_table_cell(tb, "%llu", (unsigned long long)m->size);
	if (!r)
		r = out_table_cell(tb, "%s",
				   lsmod_state(m->state, state, sizeof(state)));
	if (!r)
		r = out_table_cell(tb, "0x%016llx",
				   (unsigned long long)m->addr);
	return r;
}

static int lsmod_print(const struct vmiaas_module *m, size_t nr)
{
	struct out_table *tb;
	size_t i;
	int r = 0;

	tb = out_table_new(lsmod_cols,
			   sizeof(lsmod_cols) / sizeof(lsmod_cols[0]));
	if (!tb)
		return -ENOMEM;
	for (i = 0; i < nr && !r; i++)
		r = lsmod_row(tb, &m[i]);
	if (!r)
		r = out_table_print(tb);
	out_table_free(tb);
	return r;
}

static struct json_object *lsmod_json_module(const struct vmiaas_module *m)
{
	struct json_object *o = json_object_new_object();
	char state[16];

	out_json_add(o, "name", out_json_str(m->name, sizeof(m->name)));
	out_json_add(o, "base", out_json_addr(m->base));
	out_json_add(o, "size", json_object_new_uint64(m->size));
	out_json_add(o, "state", json_object_new_string(
			lsmod_state(m->state, state, sizeof(state))));
	out_json_add(o, "addr", out_json_addr(m->addr));
	return o;
}

static int lsmod_json(const struct vmiaas_module *m, size_t nr)
{
	struct json_object *o = json_object_new_object();
	struct json_object *arr = json_object_new_array();
	size_t i;

	for (i = 0; i < nr; i++)
		out_json_append(arr, lsmod_json_module(&m[i]));
	out_json_add(o, "modules", arr);
	return out_json_print(o);
}

int cmd_lsmod(struct vmictl *c)
{
	struct vmiaas_module *m = NULL;
	size_t nr = 0;
	int r;

	r = vmictl_guest(c, vmiaas_modules(c->v, &m, &nr),
			 "read the module list");
	if (r < 0)
		return r;
	r = c->json ? lsmod_json(m, nr) : lsmod_print(m, nr);
	free(m);
	return r;
}
