// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * core/umhwalk.c on crafted guest memory: usermode-helper's reads of a
 * cgroup v1 hierarchy (its release_agent) and of a binfmt_misc handler
 * (name, interpreter, magic or extension, mask, flags) take every string
 * up to its NUL within the kernel's own bound, a page at a time, and
 * turn what a hostile guest can put there (no NUL, a magic longer than
 * BINPRM_BUF_SIZE or out of the file's first 256 bytes, a negative
 * offset, NULL or user pointers, unreadable memory, a cycle in the list)
 * into an error, never into a read outside what the object says; and
 * the baseline's UMH_PATHS section takes only whole, terminated records
 * of a known kind.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/umhwalk.h"
#include "userspace/lib/checks.h"
#include "tests/lib/arena.h"
#include "tests/lib/tap.h"

#define CG_HEAD		(BASE + 0xf000)
#define CG_A		(BASE + 0x1000)
#define CG_B		(BASE + 0x3000)
#define BF_HEAD		(BASE + 0xf100)
#define BF_E		(BASE + 0x6000)		/* by extension */
#define BF_M		(BASE + 0x6100)		/* by magic, with a mask */
#define STR		(BASE + 0x7000)		/* strings, 0x100 apart */

static const struct vmi_cg_layout cg = {
	.root_list = 0x10, .hierarchy_id = 0x8, .subsys_mask = 0xc,
	.agent = 0x100, .name = 0x1100,
};
static const struct vmi_binfmt_layout bf = VMI_BINFMT_LAYOUT_DEFAULT;

static void put32(u64 va, u32 val)
{
	memcpy(mem + (va - BASE), &val, 4);
}

static void puts_at(u64 va, const char *s)
{
	memcpy(mem + (va - BASE), s, strlen(s) + 1);
}

/* A handler at @node: name, interpreter and magic strings at STR + @slot. */
static void bf_node(u64 node, u32 flags, s32 offset, u32 size, int slot)
{
	u64 s = STR + 0x400ULL * slot;

	put64(node + bf.flags, flags);
	put32(node + bf.offset, (u32)offset);
	put32(node + bf.size, size);
	put64(node + bf.name, s);
	put64(node + bf.interpreter, s + 0x100);
	put64(node + bf.magic, s + 0x200);
	put64(node + bf.mask, 0);
}

static void craft(void)
{
	u64 roots[2] = { CG_A + cg.root_list, CG_B + cg.root_list };
	u64 nodes[2] = { BF_E, BF_M };

	memset(mem, 0, sizeof(mem));
	link_list(CG_HEAD, roots, 2);
	put32(CG_A + cg.hierarchy_id, 2);
	put32(CG_A + cg.subsys_mask, 0);
	puts_at(CG_A + cg.name, "vmiaas");
	puts_at(CG_A + cg.agent, "/tmp/agent");
	put32(CG_B + cg.hierarchy_id, 3);
	put32(CG_B + cg.subsys_mask, 1U << 11);

	link_list(BF_HEAD, nodes, 2);
	bf_node(BF_E, VMI_BINFMT_ENABLED, 0, 0, 0);
	puts_at(STR, "vmiaas-x");
	puts_at(STR + 0x100, "/tmp/interp");
	puts_at(STR + 0x200, "vmx");
	bf_node(BF_M, VMI_BINFMT_ENABLED | VMI_BINFMT_MAGIC |
		VMI_BINFMT_CREDENTIALS | VMI_BINFMT_OPEN_BINARY, 2, 4, 1);
	puts_at(STR + 0x400, "vmiaas-c");
	puts_at(STR + 0x500, "/tmp/other");
	memcpy(mem + (STR + 0x600 - BASE), "\x7f" "ELF", 4);
	memcpy(mem + (STR + 0x680 - BASE), "\xff\xff\x00\xff", 4);
	put64(BF_M + bf.mask, STR + 0x680);
}

static void test_cstr(void)
{
	char buf[VMI_BINFMT_INTERP];
	u64 before;

	craft();
	/* "xyz" in the arena's last 4 bytes: only its page may be read */
	memcpy(mem + ARENA - 4, "xyz", 4);
	ksft_test_result(vmi_read_cstr(&ops, BASE + ARENA - 4, buf, 64) == 3 &&
			 !strcmp(buf, "xyz"),
			 "a string ending before unreadable memory reads\n");
	memset(mem + 0x100, 'a', 0x200);
	ksft_test_result(vmi_read_cstr(&ops, BASE + 0x100, buf, 256) ==
			 -EBADMSG && !buf[255],
			 "no NUL within the bound: -EBADMSG\n");
	before = reads_outside;
	ksft_test_result(vmi_read_cstr(&ops, 0x1000, buf, 64) == -EBADMSG &&
			 vmi_read_cstr(&ops, 0, buf, 64) == -EBADMSG &&
			 reads_outside == before,
			 "a user or NULL pointer: -EBADMSG, nothing read\n");
	ksft_test_result(vmi_read_cstr(&ops, BASE + ARENA + 8, buf, 64) ==
			 -EFAULT, "unreadable: the read's error\n");
}

static int count_roots(void *ctx, u64 node)
{
	struct vmi_cg_root *c = ctx;

	return vmi_cg_root_read(&ops, &cg, node, c);
}

static void test_cgroup(void)
{
	struct vmi_cg_root c;
	u32 nr;
	int err;

	craft();
	err = vmi_cg_root_read(&ops, &cg, CG_A + cg.root_list, &c);
	ksft_test_result(!err && c.hierarchy_id == 2 && !c.subsys_mask &&
			 !strcmp(c.name, "vmiaas") &&
			 !strcmp(c.agent, "/tmp/agent"),
			 "a named hierarchy and its release_agent (%d)\n", err);
	err = vmi_cg_root_read(&ops, &cg, CG_B + cg.root_list, &c);
	ksft_test_result(!err && c.subsys_mask == 1U << 11 && !c.name[0] &&
			 !c.agent[0],
			 "a controller's hierarchy without one (%d)\n", err);
	memset(mem + (CG_A + cg.agent - BASE), 'a', VMI_CG_AGENT);
	err = vmi_cg_root_read(&ops, &cg, CG_A + cg.root_list, &c);
	ksft_test_result(err == -EBADMSG,
			 "a release_agent without a NUL in PATH_MAX: -EBADMSG (%d)\n",
			 err);
	craft();
	put64(CG_B + cg.root_list, CG_A + cg.root_list);	/* A <-> B */
	err = vmi_list_walk(&ops, CG_HEAD, VMI_CG_ROOTS_MAX, count_roots, &c,
			    &nr);
	ksft_test_result(err == -ELOOP && nr <= 4,
			 "cgroup_roots in a cycle: -ELOOP after %u nodes\n", nr);
}

static void test_binfmt(void)
{
	struct vmi_binfmt_entry *e = malloc(sizeof(*e));
	u64 before;
	int err;

	if (!e)
		exit(KSFT_FAIL);
	craft();
	err = vmi_binfmt_read(&ops, &bf, BF_E, e);
	ksft_test_result(!err && !strcmp(e->name, "vmiaas-x") &&
			 !strcmp(e->interpreter, "/tmp/interp") &&
			 !strcmp((char *)e->magic, "vmx") && e->size == 3 &&
			 !e->offset && !e->has_mask && e->mask[0] == 0xff,
			 "a handler by extension (%d)\n", err);
	err = vmi_binfmt_read(&ops, &bf, BF_M, e);
	ksft_test_result(!err && !strcmp(e->name, "vmiaas-c") &&
			 e->flags & VMI_BINFMT_CREDENTIALS && e->offset == 2 &&
			 e->size == 4 && !memcmp(e->magic, "\x7f" "ELF", 4) &&
			 e->has_mask && e->mask[2] == 0 && e->mask[4] == 0xff,
			 "a handler by magic with a mask and flag C (%d)\n", err);

	before = reads_outside;
	put32(BF_M + bf.size, VMI_BINFMT_BUF + 1);
	err = vmi_binfmt_read(&ops, &bf, BF_M, e);
	put32(BF_M + bf.size, 200);
	put32(BF_M + bf.offset, 100);
	err = err == -EBADMSG ? vmi_binfmt_read(&ops, &bf, BF_M, e) : 1;
	put32(BF_M + bf.size, 4);
	put32(BF_M + bf.offset, (u32)-1);
	err = err == -EBADMSG ? vmi_binfmt_read(&ops, &bf, BF_M, e) : 1;
	ksft_test_result(err == -EBADMSG && reads_outside == before,
			 "magic over 256 bytes, past the file's first 256, at a negative offset: -EBADMSG, nothing read\n");

	craft();
	put64(BF_M + bf.interpreter, 0);
	err = vmi_binfmt_read(&ops, &bf, BF_M, e);
	ksft_test_result(err == -EBADMSG, "a NULL interpreter: -EBADMSG (%d)\n",
			 err);
	craft();
	put64(BF_M + bf.mask, 0x7fff0000);
	err = vmi_binfmt_read(&ops, &bf, BF_M, e);
	ksft_test_result(err == -EBADMSG, "a user-space mask: -EBADMSG (%d)\n",
			 err);
	craft();
	put64(BF_E + bf.magic, BASE + ARENA + 0x1000);
	err = vmi_binfmt_read(&ops, &bf, BF_E, e);
	ksft_test_result(err == -EFAULT,
			 "an unreadable extension: -EFAULT (%d)\n", err);
	free(e);
}

static void rec(struct bl_umh *u, u32 kind, const char *name)
{
	memset(u, 0, sizeof(*u));
	u->kind = kind;
	snprintf(u->name, sizeof(u->name), "%s", name);
	snprintf(u->value, sizeof(u->value), "/tmp/x");
}

static int parse(const struct bl_umh *u, u64 len)
{
	struct vmiaas_baseline b = {};
	int err = bl_umh_parse(&b, u, len);

	free(b.umh);
	return err;
}

static void test_parse(void)
{
	struct vmiaas_baseline b = {};
	struct bl_umh *u = calloc(2, sizeof(*u));
	int err;

	if (!u)
		exit(KSFT_FAIL);
	rec(&u[0], BL_UMH_RELEASE_AGENT, "pids");
	rec(&u[1], BL_UMH_BINFMT, "vmiaas-x");
	err = bl_umh_parse(&b, u, 2 * sizeof(*u));
	ksft_test_result(!err && b.has_umh && b.nr_umh == 2 &&
			 !strcmp(b.umh[1].name, "vmiaas-x"),
			 "two records parsed (%d)\n", err);
	ksft_test_result(bl_umh_parse(&b, u, sizeof(*u)) == -EBADMSG,
			 "a second UMH_PATHS section refused\n");
	free(b.umh);
	ksft_test_result(!parse(u, 0) && parse(u, sizeof(*u) + 8) == -EBADMSG,
			 "an empty section parses, a partial record does not\n");
	u[1].kind = 3;
	ksft_test_result(parse(u, 2 * sizeof(*u)) == -EBADMSG,
			 "an unknown kind refused\n");
	rec(&u[1], BL_UMH_BINFMT, "x");
	memset(u[1].value, 'a', sizeof(u[1].value));
	ksft_test_result(parse(u, 2 * sizeof(*u)) == -EBADMSG,
			 "a value without a NUL refused\n");
	rec(&u[1], BL_UMH_BINFMT, "x");
	u[1].size = BL_UMH_MATCH + 1;
	ksft_test_result(parse(u, 2 * sizeof(*u)) == -EBADMSG,
			 "a magic size over 256 refused\n");
	free(u);
}

int main(void)
{
	ksft_print_header();
	ksft_set_plan(20);
	test_cstr();
	test_cgroup();
	test_binfmt();
	test_parse();
	ksft_finished();
}
