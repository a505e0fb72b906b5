// SPDX-License-Identifier: GPL-2.0
/*
 * vmictl idt: the gates of one vCPU's interrupt descriptor table.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "output.h"
#include "vmictl.h"

static const char *idt_type(uint8_t type, char *buf, size_t size)
{
	switch (type) {
	case 0x5:
		return "task";
	case 0xe:
		return "interrupt";
	case 0xf:
		return "trap";
	default:
		snprintf(buf, size, "0x%x", type);
		return buf;
	}
}

static const struct out_col idt_cols[] = {
	{ "VEC", true }, { "ADDRESS", false }, { "TYPE", false },
	{ "DPL", true }, { "IST", true }, { "P", false }, { "SYMBOL", false },
};

static int idt_row(struct out_table *tb, const struct vmiaas_idt_gate *g)
{
	char sym[OUT_ESC_SIZE(sizeof(g->symbol))], type[8];
	int r;

	out_escape(g->symbol, sizeof(g->symbol), sym, sizeof(sym));
	r = out_table_cell(tb, "%u", g->vector);
	if (!r)
		r = out_table_cell(tb, "0x%016llx",
				   (unsigned long long)g->address);
	if (!r)
		r = out_table_cell(tb, "%s",
				   idt_type(g->type, type, sizeof(type)));
	if (!r)
		r = out_table_cell(tb, "%u", g->dpl);
	if (!r)
		r = out_table_cell(tb, "%u", g->ist);
	if (!r)
		r = out_table_cell(tb, "%s", g->present ? "y" : "-");
	if (!r)
		r = out_table_cell(tb, "%s", sym[0] ? sym : "-");
	return r;
}

static int idt_print(uint32_t vcpu, uint64_t base,
		     const struct vmiaas_idt_gate *g, size_t nr)
{
	struct out_table *tb;
	size_t i;
	int r = 0;

	printf("vcpu %u: IDTR base 0x%016llx, %zu gates\n", vcpu,
	       (unsigned long long)base, nr);
	tb = out_table_new(idt_cols, sizeof(idt_cols) / sizeof(idt_cols[0]));
	if (!tb)
		return -ENOMEM;
	for (i = 0; i < nr && !r; i++)
		r = idt_row(tb, &g[i]);
	if (!r)
		r = out_table_print(tb);
	out_table_free(tb);
	return r;
}

static struct json_object *idt_json_gate(const struct vmiaas_idt_gate *g)
{
	struct json_object *o = json_object_new_object();
	char type[8];

	out_json_add(o, "vector", json_object_new_int64(g->vector));
	out_json_add(o, "address", out_json_addr(g->address));
	if (g->symbol[0])
		out_json_add(o, "symbol",
			     out_json_str(g->symbol, sizeof(g->symbol)));
	else if (o)
		json_object_object_add(o, "symbol", NULL);
	out_json_add(o, "selector", json_object_new_int(g->selector));
	out_json_add(o, "type", json_object_new_string(
			idt_type(g->type, type, sizeof(type))));
	out_json_add(o, "dpl", json_object_new_int(g->dpl));
	out_json_add(o, "ist", json_object_new_int(g->ist));
	out_json_add(o, "present", json_object_new_boolean(g->present));
	return o;
}

static int idt_json(uint32_t vcpu, uint64_t base,
		    const struct vmiaas_idt_gate *g, size_t nr)
{
	struct json_object *o = json_object_new_object();
	struct json_object *arr = json_object_new_array();
	size_t i;

	out_json_add(o, "vcpu", json_object_new_int64(vcpu));
	out_json_add(o, "idtr_base", out_json_addr(base));
	for (i = 0; i < nr; i++)
		out_json_append(arr, idt_json_gate(&g[i]));
	out_json_add(o, "idt", arr);
	return out_json_print(o);
}

int cmd_idt(struct vmictl *c)
{
	struct vmiaas_idt_gate *g = NULL;
	uint64_t base = 0;
	size_t nr = 0;
	int r;

	r = vmictl_guest(c, vmiaas_idt(c->v, c->vcpu, &base, &g, &nr),
			 "read the interrupt descriptor table");
	if (r < 0)
		return r;
	if (c->json)
		r = idt_json(c->vcpu, base, g, nr);
	else
		r = idt_print(c->vcpu, base, g, nr);
	free(g);
	return r;
}
