// SPDX-License-Identifier: GPL-2.0
/*
 * vmictl syscalls: the entries of the guest's system call tables.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "output.h"
#include "vmictl.h"

static const char *syscall_abi(uint32_t abi)
{
	switch (abi) {
	case VMIAAS_ABI_X64:
		return "x64";
	case VMIAAS_ABI_IA32:
		return "ia32";
	case VMIAAS_ABI_X32:
		return "x32";
	default:
		return "?";
	}
}

static const struct out_col syscall_cols[] = {
	{ "ABI", false }, { "NR", true }, { "ADDRESS", false },
	{ "SYMBOL", false },
};

static int syscall_row(struct out_table *tb, const struct vmiaas_syscall *s)
{
	char sym[OUT_ESC_SIZE(sizeof(s->symbol))];
	int r;

	out_escape(s->symbol, sizeof(s->symbol), sym, sizeof(sym));
	r = out_table_cell(tb, "%s", syscall_abi(s->abi));
	if (!r)
		r = out_table_cell(tb, "%u", s->nr);
	if (!r)
		r = out_table_cell(tb, "0x%016llx",
				   (unsigned long long)s->address);
	if (!r)
		r = out_table_cell(tb, "%s", sym[0] ? sym : "-");
	return r;
}

static int syscalls_print(const struct vmiaas_syscall *s, size_t nr)
{
	struct out_table *tb;
	size_t i;
	int r = 0;

	tb = out_table_new(syscall_cols,
			   sizeof(syscall_cols) / sizeof(syscall_cols[0]));
	if (!tb)
		return -ENOMEM;
	for (i = 0; i < nr && !r; i++)
		r = syscall_row(tb, &s[i]);
	if (!r)
		r = out_table_print(tb);
	out_table_free(tb);
	return r;
}

static struct json_object *syscall_json(const struct vmiaas_syscall *s)
{
	struct json_object *o = json_object_new_object();

	out_json_add(o, "abi", json_object_new_string(syscall_abi(s->abi)));
	out_json_add(o, "nr", json_object_new_int64(s->nr));
	out_json_add(o, "address", out_json_addr(s->address));
	/* json-c stores a NULL value as null: an unresolved address. */
	if (s->symbol[0])
		out_json_add(o, "symbol",
			     out_json_str(s->symbol, sizeof(s->symbol)));
	else if (o)
		json_object_object_add(o, "symbol", NULL);
	return o;
}

static int syscalls_json(const struct vmiaas_syscall *s, size_t nr)
{
	struct json_object *o = json_object_new_object();
	struct json_object *arr = json_object_new_array();
	size_t i;

	for (i = 0; i < nr; i++)
		out_json_append(arr, syscall_json(&s[i]));
	out_json_add(o, "syscalls", arr);
	return out_json_print(o);
}

int cmd_syscalls(struct vmictl *c)
{
	struct vmiaas_syscall *s = NULL;
	size_t nr = 0;
	int r;

	r = vmictl_guest(c, vmiaas_syscalls(c->v, &s, &nr),
			 "read the system call table");
	if (r < 0)
		return r;
	r = c->json ? syscalls_json(s, nr) : syscalls_print(s, nr);
	free(s);
	return r;
}
