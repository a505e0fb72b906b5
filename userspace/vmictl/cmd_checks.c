// SPDX-License-Identifier: GPL-2.0
/*
 * vmictl checks: the integrity checks 'vmictl check' runs.
 */
#include <errno.h>
#include <stdio.h>

#include <vmiaas/checks.h>

#include "output.h"
#include "vmictl.h"

static const struct out_col checks_cols[] = {
	{ "CHECK", false }, { "DESCRIPTION", false },
};

int cmd_checks(struct vmictl *c)
{
	const struct vmiaas_check_desc *d;
	struct json_object *o, *arr, *e;
	struct out_table *tb;
	size_t nr, i;
	int r = 0;

	d = vmiaas_checks(&nr);
	if (c->json) {
		o = json_object_new_object();
		arr = json_object_new_array();
		for (i = 0; i < nr; i++) {
			e = json_object_new_object();
			out_json_add(e, "id", json_object_new_string(d[i].id));
			out_json_add(e, "description",
				     json_object_new_string(d[i].description));
			out_json_append(arr, e);
		}
		out_json_add(o, "checks", arr);
		return out_json_print(o);
	}
	tb = out_table_new(checks_cols, 2);
	if (!tb)
		return -ENOMEM;
	for (i = 0; i < nr && !r; i++) {
		r = out_table_cell(tb, "%s", d[i].id);
		if (!r)
			r = out_table_cell(tb, "%s", d[i].description);
	}
	if (!r)
		r = out_table_print(tb);
	out_table_free(tb);
	return r;
}
