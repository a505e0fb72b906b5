// SPDX-License-Identifier: GPL-2.0
/*
 * vmiaas_module_filter(): which of vmid's records (the text and syscall
 * table ranges, then vmiaas_module_policy()'s exec-memory and
 * usermode-helper) a module registers, by its caps.check_types, and what
 * is left to the worker's full checks (the ids vmictl status names);
 * vmiaas_module_found(): what the module's events name, as findings.
 */
#include <errno.h>
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
	  "types 1-12: every record registered, none left out" },
	{ 0, "2 22|exec-memory, usermode-helper",
	  "an older module (types 1-4): the ranges alone; exec-memory and usermode-helper to the worker" },
	{ 0x1e, "2 22|exec-memory, usermode-helper", "the same as 0" },
	{ 0xbe, "3 227|usermode-helper",
	  "no BYTES_GVA: exec-memory kept in order, usermode-helper named once" },
	{ 0x7e, "5 22666|exec-memory",
	  "no EXEC_GVA: the helpers kept, exec-memory left out" },
};

/* What vmiaas.ko names in an event, as vmid's findings carry it. */
static void test_found(void)
{
	struct vmiaas_module_check proc = { .type = VMIAAS_CHECK_PROC_GVA };
	struct vmiaas_module_check nf = { .type = VMIAAS_CHECK_NF_GVA };
	struct vmiaas_proc_check *pc = (void *)proc.data;
	struct vmiaas_found fp = {
		.kind = VMIAAS_FOUND_PROC_PTR, .where = 0xffff888001234000ULL,
		.value = 0xffffffffc00023c0ULL,
		.expected = 0xffffffff82a0b0c0ULL, .netns = 4026532000U,
		.index = 2, .path = "/proc/net/tcp",
	};
	struct vmiaas_found fn = {
		.kind = VMIAAS_FOUND_NF_HOOK, .where = 0xffff888001235000ULL,
		.value = 0xffffffffc0001000ULL, .family = 0, .point = 0,
		.index = 1, .netns = 4026531840U,
	};
	struct vmiaas_finding f = { .severity = VMIAAS_SEV_CRITICAL };
	int r[4];

	pc->allow[0][0] = 0xffffffff81000000ULL;
	pc->allow[0][1] = 0xffffffff83000000ULL;
	pc->allow[1][0] = 0xffffffffc0000000ULL;
	pc->allow[1][1] = 0xffffffffff000000ULL;
	r[0] = vmiaas_module_found(&proc, &fp, &f);
	TEST_ASSERT(!r[0] && !strcmp(f.object, "/proc/net/tcp (netns 4026532000)") &&
		    f.severity == VMIAAS_SEV_CRITICAL &&
		    f.old_value == fp.expected && f.new_value == fp.value &&
		    f.address == fp.where &&
		    strstr(f.message, "seq_ops changed since the checks were registered: 0xffffffff82a0b0c0 -> 0xffffffffc00023c0 (module memory)"),
		    "found: a /proc entry's seq_ops into module memory: object the path, critical (%s)",
		    f.message);
	memset(&f, 0, sizeof(f));
	fp.value = 0xffffffff82000000ULL;	/* another kernel table */
	fp.flags = VMIAAS_FOUND_ROOT_INODE;
	fp.index = 0;
	fp.netns = 0;
	snprintf(fp.path, sizeof(fp.path), "/proc (root inode)");
	r[1] = vmiaas_module_found(&proc, &fp, &f);
	TEST_ASSERT(!r[1] && !strcmp(f.object, "/proc (root inode)") &&
		    f.severity == VMIAAS_SEV_HIGH &&
		    strstr(f.message, "i_fop changed") &&
		    strstr(f.message, "(another kernel table)"),
		    "found: the root inode's i_fop at another kernel table: high (%s)",
		    f.message);
	memset(&f, 0, sizeof(f));
	r[2] = vmiaas_module_found(&nf, &fn, &f);
	TEST_ASSERT(!r[2] && !strcmp(f.object, "ipv4 PRE_ROUTING") &&
		    f.new_value == fn.value &&
		    strstr(f.message, "netfilter hook 1 on ipv4 PRE_ROUTING of netns 4026531840: 0xffffffffc0001000"),
		    "found: a netfilter hook: object the hook point (%s)",
		    f.message);
	fn.kind = VMIAAS_FOUND_PROC_PTR;	/* not a netfilter kind */
	r[3] = vmiaas_module_found(&nf, &fn, &f);
	TEST_ASSERT(r[3] == -EINVAL, "found: a kind of another check is refused (-EINVAL)");
}

/*
 * What the module names for packet-tap, input-handler and
 * tracepoint-hook, as vmictl check names those checks' findings.
 */
static void test_found_hooks(void)
{
	struct vmiaas_module_check pt = { .type = VMIAAS_CHECK_PTYPE_GVA };
	struct vmiaas_module_check in = { .type = VMIAAS_CHECK_INPUT_GVA };
	struct vmiaas_module_check tp = { .type = VMIAAS_CHECK_TP_GVA,
					  .addr = 0xffffffff82f00000ULL };
	struct vmiaas_found fd = {
		.kind = VMIAAS_FOUND_PTYPE_FN, .where = 0xffff888001236000ULL,
		.value = 0xffffc90000123000ULL, .expected = 0x0300,
	};
	struct vmiaas_finding f = { 0 };
	int r;

	r = vmiaas_module_found(&pt, &fd, &f);
	TEST_ASSERT(!r && !strcmp(f.object, "ETH_P_ALL") &&
		    f.new_value == fd.value && f.address == fd.where &&
		    strstr(f.message, "the func of packet_type 0xffff888001236000 on ptype_all (ETH_P_ALL) calls 0xffffc90000123000"),
		    "found: a packet type's func on ptype_all: object its protocol, the func (%s)",
		    f.message);
	memset(&f, 0, sizeof(f));
	fd = (struct vmiaas_found){ .kind = VMIAAS_FOUND_PTYPE_FN,
		.where = 1, .value = 2, .expected = 0x0008, .point = 5,
		.dev = 0xffff888003000000ULL, .index = 2 };
	r = vmiaas_module_found(&pt, &fd, &f);
	TEST_ASSERT(!r && !strcmp(f.object, "dev@ffff888003000000 type 0x0800") &&
		    strstr(f.message, "the id_match of packet_type 0x1 on dev@ffff888003000000's ptype_specific"),
		    "found: a device's packet type: named by the device and protocol (%s)",
		    f.message);
	memset(&f, 0, sizeof(f));
	fd = (struct vmiaas_found){ .kind = VMIAAS_FOUND_PTYPE_BAD,
		.where = 0xffffffff83001230ULL, .point = 1, .family = 3,
		.err = -ELOOP };
	r = vmiaas_module_found(&pt, &fd, &f);
	TEST_ASSERT(!r && !strcmp(f.object, "ptype_base[3]") &&
		    strstr(f.message, "the list is corrupt (ELOOP"),
		    "found: a cycle on ptype_base[3]: the list named (%s)",
		    f.message);
	memset(&f, 0, sizeof(f));
	fd = (struct vmiaas_found){ .kind = VMIAAS_FOUND_INPUT_FN,
		.where = 0xffff888004000000ULL, .value = 0xdead000,
		.index = 4 };
	r = vmiaas_module_found(&in, &fd, &f);
	TEST_ASSERT(!r && !strcmp(f.object, "handler@ffff888004000000") &&
		    f.new_value == 0xdead000 &&
		    strstr(f.message, "the connect callback of input handler handler@ffff888004000000 (0xffff888004000000) calls 0xdead000"),
		    "found: a handler's connect: the handler and the callback (%s)",
		    f.message);
	memset(&f, 0, sizeof(f));
	fd = (struct vmiaas_found){ .kind = VMIAAS_FOUND_INPUT_BAD,
		.where = 0xffff888004000100ULL, .point = 1,
		.expected = 0xffff888005000000ULL,
		.dev = 0xffff888006000000ULL, .err = -ENOENT };
	r = vmiaas_module_found(&in, &fd, &f);
	TEST_ASSERT(!r && f.address == fd.expected &&
		    strstr(f.message, "input handle 0xffff888005000000 on device dev@ffff888006000000: its handler 0xffff888004000100 is not on input_handler_list"),
		    "found: a handle of an unregistered handler: the handle and the handler (%s)",
		    f.message);
	memset(&f, 0, sizeof(f));
	fd = (struct vmiaas_found){ .kind = VMIAAS_FOUND_TP_PROBE,
		.where = 0xffffffff83100000ULL, .value = 0xffffc90000200000ULL,
		.expected = 0x1234, .point = 7, .index = 1,
		.path = "sys_enter" };
	r = vmiaas_module_found(&tp, &fd, &f);
	TEST_ASSERT(!r && !strcmp(f.object, "sys_enter") &&
		    f.new_value == fd.value && f.address == fd.where &&
		    strstr(f.message, "probe 1 of tracepoint sys_enter (of the kernel) calls 0xffffc90000200000"),
		    "found: a sys_enter probe: object the tracepoint, the probe (%s)",
		    f.message);
	memset(&f, 0, sizeof(f));
	snprintf(fd.path, sizeof(fd.path), "evil\033[2Jname");
	fd.kind = VMIAAS_FOUND_TP_BAD;
	fd.err = -E2BIG;
	fd.value = 0xffff888007000000ULL;
	r = vmiaas_module_found(&tp, &fd, &f);
	TEST_ASSERT(!r && !strcmp(f.object, "evil?[2Jname") &&
		    strstr(f.message, "does not end within 4096 probes"),
		    "found: a probe array with no end; the guest's name made printable (%s)",
		    f.message);
	memset(&f, 0, sizeof(f));
	fd = (struct vmiaas_found){ .kind = VMIAAS_FOUND_TP_BAD, .point = 3,
		.where = 0xffffffff83100004ULL, .err = -EBADMSG };
	r = vmiaas_module_found(&tp, &fd, &f);
	TEST_ASSERT(!r && !strcmp(f.object, "tracepoints of the kernel") &&
		    strstr(f.message, "at 0xffffffff82f00000, entry 3: its entry points outside the kernel"),
		    "found: a misaligned entry of the kernel's array: the array and entry named (%s)",
		    f.message);
	fd.kind = VMIAAS_FOUND_NF_HOOK;
	TEST_ASSERT(vmiaas_module_found(&tp, &fd, &f) == -EINVAL &&
		    vmiaas_module_found(&in, &fd, &f) == -EINVAL &&
		    vmiaas_module_found(&pt, &fd, &f) == -EINVAL,
		    "found: a netfilter kind for these checks is refused (-EINVAL)");
}

int main(void)
{
	char out[128];
	struct vmiaas_module_check c[NR], orig[NR];
	char left[16];
	size_t nr, i;

	ksft_print_header();
	ksft_set_plan(sizeof(masks) / sizeof(masks[0]) + 15);
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
	test_found();
	test_found_hooks();
	ksft_finished();
}
