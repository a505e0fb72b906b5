// SPDX-License-Identifier: GPL-2.0
/*
 * vmiaas_module_filter(): which of vmid's records (the text and syscall
 * table ranges, then vmiaas_module_policy()'s exec-memory and
 * usermode-helper) a module registers, by its caps.check_types, and what
 * is left to the worker's full checks (the ids vmictl status names).
 */
#include <stdio.h>
#include <string.h>

#include <vmiaas/checks.h>
#include "uapi/linux/vmiaas.h"
#include "tests/lib/tap.h"

#define NR	6

/* The kinds of record vmid sends, in its order. */
static void records(struct vmiaas_module_check *c)
{
	static const struct { uint32_t type; const char *check, *object; } r[NR] = {
		{ VMIAAS_CHECK_RANGE_GVA, "module", "" },
		{ VMIAAS_CHECK_RANGE_GVA, "module", "" },
		{ VMIAAS_CHECK_EXEC_GVA, "exec-memory", "kernel executable mappings" },
		{ VMIAAS_CHECK_BYTES_GVA, "usermode-helper", "modprobe_path" },
		{ VMIAAS_CHECK_BYTES_GVA, "usermode-helper", "core_pattern" },
		{ VMIAAS_CHECK_BYTES_GVA, "usermode-helper", "modules_disabled" },
	};
	size_t i;

	memset(c, 0, NR * sizeof(*c));
	for (i = 0; i < NR; i++) {
		c[i].type = r[i].type;
		c[i].addr = 0xffffffff81000000ULL + i * 4096;
		snprintf(c[i].check, sizeof(c[i].check), "%s", r[i].check);
		snprintf(c[i].object, sizeof(c[i].object), "%s", r[i].object);
	}
}

/* Filters the records for @types: "KEPT TYPES|LEFT_OUT" */
static const char *filter(uint64_t types, char *buf, size_t size)
{
	struct vmiaas_module_check c[NR];
	char left[64], kept[32] = "";
	size_t nr, i;

	records(c);
	nr = vmiaas_module_filter(c, NR, types, left, sizeof(left));
	for (i = 0; i < nr && i < sizeof(kept) - 1; i++)
		kept[i] = (char)('0' + c[i].type);
	snprintf(buf, size, "%zu %s|%s", nr, kept, left);
	return buf;
}

/* "KEPT TYPES|LEFT_OUT" for a caps.check_types */
static const struct {
	uint64_t types;
	const char *want, *what;
} masks[] = {
	{ VMIAAS_CHECK_TYPES_ALL, "6 227666|",
	  "types 1-7: every record registered, none left out" },
	{ 0, "2 22|exec-memory, usermode-helper",
	  "an older module (types 1-4): the ranges alone; exec-memory and usermode-helper to the worker" },
	{ 0x1e, "2 22|exec-memory, usermode-helper", "the same as 0" },
	{ 0xbe, "3 227|usermode-helper",
	  "no BYTES_GVA: exec-memory kept in order, usermode-helper named once" },
	{ 0x7e, "5 22666|exec-memory",
	  "no EXEC_GVA: the helpers kept, exec-memory left out" },
};

int main(void)
{
	char out[128];
	struct vmiaas_module_check c[NR], orig[NR];
	char left[16];
	size_t nr, i;

	ksft_print_header();
	ksft_set_plan(sizeof(masks) / sizeof(masks[0]) + 2);
	for (i = 0; i < sizeof(masks) / sizeof(masks[0]); i++)
		TEST_ASSERT(!strcmp(filter(masks[i].types, out, sizeof(out)),
				    masks[i].want),
			    "check_types %#llx: %s (%s)",
			    (unsigned long long)masks[i].types, masks[i].what, out);
	records(c);
	memcpy(orig, c, sizeof(c));
	nr = vmiaas_module_filter(c, NR, 0xbe, NULL, 0);
	TEST_ASSERT(nr == 3 && !memcmp(&c[2], &orig[2], sizeof(c[2])) &&
		    !strcmp(c[2].object, "kernel executable mappings"),
		    "a kept record is copied whole (check id, object, values); no list asked for (NULL)");
	records(c);
	c[1].type = 64;		/* not a bit of the mask */
	c[1].check[0] = '\0';
	snprintf(c[1].label, sizeof(c[1].label), "odd");
	nr = vmiaas_module_filter(c, NR, ~0ULL, left, sizeof(left));
	TEST_ASSERT(nr == 5 && !strcmp(left, "odd"),
		    "a type past the mask is left out, named by its label when it has no check id; a short list buffer holds (%zu, \"%s\")",
		    nr, left);
	ksft_finished();
}
