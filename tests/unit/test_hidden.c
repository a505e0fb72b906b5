// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * The hidden-object walkers (userspace/lib/hidden.c) on hostile memory:
 * a tiny guest with one 2 MiB kernel page, trees and xarrays built by
 * hand (valid, cyclic, too deep, wrong shifts, bad pointers), then
 * random memory; the census's css_set walks (css_set_table's hlist
 * buckets, each css_set's task rings) with chains that loop and counts
 * over the caps. Every walk must end, with an error where the structure
 * is broken; ASan/UBSan (make san) catch the rest.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "userspace/lib/hidden.h"
#include "userspace/lib/list.h"
#include "tests/lib/tap.h"

#define RAM_SIZE	(4ULL << 20)
#define DATA_GPA	0x200000ULL	/* the 2 MiB page mapped at KBASE */
#define KBASE		0xffff888000000000ULL
#define P		0x1ULL
#define RW		0x2ULL
#define PS		0x80ULL

static u8 *ram;
static struct vmi_phys phys;
static struct vmi_as as;
static struct vmiaas v;

static void guest_init(void)
{
	ram = aligned_alloc(4096, RAM_SIZE);
	if (!ram)
		exit(KSFT_FAIL);
	memset(ram, 0, RAM_SIZE);
	/* PML4 0x1000 -> PDPT 0x2000 -> PD 0x3000 -> 2 MiB at DATA_GPA. */
	*(u64 *)(ram + 0x1000 + 8 * ((KBASE >> 39) & 511)) = 0x2000 | P | RW;
	*(u64 *)(ram + 0x2000 + 8 * ((KBASE >> 30) & 511)) = 0x3000 | P | RW;
	*(u64 *)(ram + 0x3000 + 8 * ((KBASE >> 21) & 511)) = DATA_GPA | P | RW | PS;
	if (vmi_phys_add_range(&phys, 0, RAM_SIZE, ram))
		exit(KSFT_FAIL);
	vmi_as_init(&as, &phys, 0x1000, false);
	v.kas = &as;
}

static void put(u64 va, u64 val)
{
	memcpy(ram + DATA_GPA + (va - KBASE), &val, 8);
}

static u32 visits;

static int count_node(struct vmiaas *vv, u64 node, void *arg)
{
	visits++;
	return 0;
}

static int count_entry(struct vmiaas *vv, u64 e, u64 index, void *arg)
{
	visits++;
	return 0;
}

/* rb_node: parent_color 0, right 8, left 16; nodes 64 bytes apart. */
#define RB(i)	(KBASE + 0x1000 + (u64)(i) * 64)

static int rb(u64 root)
{
	visits = 0;
	return hidden_rb_walk(&v, root, 16, 8, count_node, NULL);
}

static void test_rb(void)
{
	u32 i;
	int err;

	memset(ram + DATA_GPA, 0, 0x100000);
	put(RB(0) + 16, RB(1));
	put(RB(0) + 8, RB(2));
	err = rb(RB(0));
	ksft_test_result(!err && visits == 3, "rbtree: 3 nodes visited (err %d, %u)\n",
			 err, visits);
	put(RB(2) + 16, RB(0));
	err = rb(RB(0));
	ksft_test_result(err == -ELOOP, "rbtree: a cycle ends in -ELOOP (%d)\n", err);
	put(RB(2) + 16, RB(2));
	err = rb(RB(0));
	ksft_test_result(err == -ELOOP, "rbtree: a self-loop ends in -ELOOP (%d)\n", err);
	put(RB(2) + 16, 0);
	for (i = 0; i < 200; i++)
		put(RB(i) + 16, RB(i + 1));
	err = rb(RB(0));
	ksft_test_result(err == -ELOOP, "rbtree: a 200-deep chain ends in -ELOOP (%d)\n", err);
	put(RB(5) + 16, 0x1234);
	err = rb(RB(0));
	ksft_test_result(err == -EBADMSG, "rbtree: a user pointer is -EBADMSG (%d)\n", err);
	put(RB(5) + 16, KBASE + (8ULL << 30));
	err = rb(RB(0));
	ksft_test_result(err < 0 && err != -ELOOP,
			 "rbtree: an unmapped node is an error (%d)\n", err);
}

/* xa_node: shift at 0, slots at 64, 64 slots; nodes 1 KiB apart. */
#define XN(i)	(KBASE + 0x10000 + (u64)(i) * 1024)
#define XI(i)	(XN(i) + 2)	/* internal entry for node i */

static int xa(u64 head)
{
	visits = 0;
	return hidden_xa_walk(&v, head, 0, 64, 64, count_entry, NULL);
}

static void test_xa(void)
{
	int err;

	memset(ram + DATA_GPA, 0, 0x100000);
	ram[DATA_GPA + XN(0) - KBASE] = 6;
	put(XN(0) + 64, XI(1));
	put(XN(0) + 64 + 8, XI(2));
	put(XN(1) + 64 + 8 * 3, KBASE + 0x100);
	put(XN(1) + 64 + 8 * 4, KBASE + 0x200);
	put(XN(1) + 64 + 8 * 5, 0x402);		/* retry entry: skipped */
	put(XN(2) + 64, KBASE + 0x300);
	put(XN(2) + 64 + 8, 0x11);		/* value entry: skipped */
	err = xa(XI(0));
	ksft_test_result(!err && visits == 3, "xarray: 3 entries in 3 nodes (err %d, %u)\n",
			 err, visits);
	err = xa(KBASE + 0x100);
	ksft_test_result(!err && visits == 1, "xarray: a single entry as head\n");
	put(XN(2) + 64 + 16, XI(0));
	err = xa(XI(0));
	ksft_test_result(err == -EBADMSG, "xarray: a leaf pointing to a node is -EBADMSG (%d)\n", err);
	ram[DATA_GPA + XN(2) - KBASE] = 6;
	err = xa(XI(0));
	ksft_test_result(err == -EBADMSG, "xarray: a cycle (shift not decreasing) is -EBADMSG (%d)\n", err);
	ram[DATA_GPA + XN(2) - KBASE] = 7;
	err = xa(XI(2));
	ksft_test_result(err == -EBADMSG, "xarray: a shift not a multiple of 6 is -EBADMSG (%d)\n", err);
	err = xa(0xdead0002);
	ksft_test_result(err == -EBADMSG, "xarray: a user node pointer is -EBADMSG (%d)\n", err);
	err = hidden_xa_walk(&v, XI(0), 0, 64, 3, count_entry, NULL);
	ksft_test_result(err == -EBADMSG, "xarray: 3 slots per node refused (%d)\n", err);
}

/* css_set_table: 4 bucket heads at HL, css_set nodes 64 bytes apart. */
#define HL	(KBASE + 0x30000)
#define HN(i)	(KBASE + 0x31000 + (u64)(i) * 64)

static int hl(u32 max)
{
	visits = 0;
	return hlist_heads_walk(&v, "css_set_table", HL, 4, max, count_node,
				NULL);
}

/* A css_set's task ring: head at CS, task nodes 64 bytes apart. */
#define CS	(KBASE + 0x40000)
#define CN(i)	(KBASE + 0x41000 + (u64)(i) * 64)

static int ring(void)
{
	visits = 0;
	return list_walk(&v, "a css_set's task list", CS, 1000, count_node,
			 NULL);
}

static void test_csets(void)
{
	int err;

	memset(ram + DATA_GPA, 0, 0x100000);
	put(HL, HN(0));
	put(HN(0), HN(1));
	put(HL + 16, HN(2));
	err = hl(100);
	ksft_test_result(!err && visits == 3,
			 "css_set_table: 3 css_sets in 2 buckets (err %d, %u)\n",
			 err, visits);
	put(HN(1), HN(0));
	err = hl(100);
	ksft_test_result(err == -ELOOP, "css_set_table: a looping chain ends in -ELOOP (%d)\n",
			 err);
	put(HN(1), 0);
	put(HN(2), 0x1234);
	err = hl(100);
	ksft_test_result(err == -ELOOP, "css_set_table: a user pointer ends the walk (%d)\n",
			 err);
	put(HN(2), 0);
	err = hl(2);
	ksft_test_result(err == -ELOOP, "css_set_table: more css_sets than the cap is -ELOOP (%d)\n",
			 err);
	put(CS, CN(0));
	put(CN(0), CN(1));
	put(CN(1), CS);
	err = ring();
	ksft_test_result(!err && visits == 2, "css_set ring: 2 tasks (err %d, %u)\n",
			 err, visits);
	put(CN(1), CN(0));
	err = ring();
	ksft_test_result(err == -ELOOP, "css_set ring: a loop not through the head is -ELOOP (%d)\n",
			 err);
}

/* A made-up struct module layout: 6.4+ style, text and data regions. */
static const struct carve_layout mod_l = {
	.size = 512, .mkobj_mod = 0x100, .state = 0, .name = 0x18,
	.list = 0x8, .nr_regions = 2, .base = { 0x180, 0x190 },
	.len = { 0x188, 0x198 },
};

#define MOD_TEXT_VA	0xffffffffc0100000ULL
#define MOD_DATA_VA	0xffffffffc0200000ULL
#define MOD_VA		(MOD_DATA_VA + 0x40)

static void mod_put(u8 *buf, u32 off, u64 val, size_t len)
{
	memcpy(buf + off, &val, len);
}

static void mod_make(u8 *buf)
{
	memset(buf, 0, 512);
	mod_put(buf, 0x100, MOD_VA, 8);
	mod_put(buf, 0, 0, 4);				/* LIVE */
	mod_put(buf, 0x8, 0xffffffffb0001000ULL, 8);	/* list.next */
	mod_put(buf, 0x10, 0xdead000000000122ULL, 8);	/* list_del_rcu */
	memcpy(buf + 0x18, "rootkit", 8);
	mod_put(buf, 0x180, MOD_TEXT_VA, 8);
	mod_put(buf, 0x188, 0x3000, 4);
	mod_put(buf, 0x190, MOD_DATA_VA, 8);
	mod_put(buf, 0x198, 0x1000, 4);
}

static void test_carve(void)
{
	u8 buf[512];
	char name[64] = "";
	bool ok;

	mod_make(buf);
	ok = hidden_module_plausible(&mod_l, buf, MOD_VA, name, sizeof(name));
	ksft_test_result(ok && !strcmp(name, "rootkit"),
			 "carving: a self-consistent struct module, named (%s)\n",
			 name);
	ksft_test_result(!hidden_module_plausible(&mod_l, buf, MOD_VA + 8, name,
						  sizeof(name)),
			 "carving: mkobj.mod not pointing back is refused\n");
	mod_put(buf, 0x18 + 7, '!', 1);
	memset(buf + 0x18 + 8, 'a', 56 - 8);
	ksft_test_result(!hidden_module_plausible(&mod_l, buf, MOD_VA, name,
						  sizeof(name)),
			 "carving: a name without its NUL is refused\n");
	mod_make(buf);
	buf[0x18 + 2] = '\n';
	ksft_test_result(!hidden_module_plausible(&mod_l, buf, MOD_VA, name,
						  sizeof(name)),
			 "carving: an unprintable name is refused\n");
	mod_make(buf);
	mod_put(buf, 0, 7, 4);
	ksft_test_result(!hidden_module_plausible(&mod_l, buf, MOD_VA, name,
						  sizeof(name)),
			 "carving: an unknown state is refused\n");
	mod_make(buf);
	mod_put(buf, 0x8, 0x401000, 8);
	ksft_test_result(!hidden_module_plausible(&mod_l, buf, MOD_VA, name,
						  sizeof(name)),
			 "carving: a user-space list pointer is refused\n");
	mod_make(buf);
	mod_put(buf, 0x180, 0xffffffff81000000ULL, 8);
	ksft_test_result(!hidden_module_plausible(&mod_l, buf, MOD_VA, name,
						  sizeof(name)),
			 "carving: text outside the module range is refused\n");
	mod_make(buf);
	mod_put(buf, 0x198, 0x100, 4);	/* data too small to hold it */
	ksft_test_result(!hidden_module_plausible(&mod_l, buf, MOD_VA, name,
						  sizeof(name)),
			 "carving: a struct outside its own memory is refused\n");
}

/* Random bytes everywhere: the walks must end. */
static void test_random(void)
{
	u32 i, n, ok = 0;
	u64 *w = (u64 *)(ram + DATA_GPA);

	srand(5);
	for (n = 0; n < 2000; n++) {
		for (i = 0; i < 0x20000 / 8; i++) {
			u64 r = (u64)rand() << 33 ^ (u64)rand() << 11 ^ rand();

			/* Mostly pointers into the page, some internal. */
			w[i] = rand() % 4 ? KBASE + (r % 0x20000 & ~7ULL) +
					    (rand() % 3 ? 0 : 2) : r;
		}
		for (i = 0; i < 0x20000; i += 1024)
			ram[DATA_GPA + i] = rand() % 3 ? 6 * (rand() % 4) : rand();
		rb(KBASE + (rand() % 0x20000 & ~7ULL));
		xa(KBASE + (rand() % 0x20000 & ~7ULL) + 2);
		hlist_heads_walk(&v, "random", KBASE + (rand() % 0x20000 & ~7ULL),
				 rand() % 256, 4096, count_node, NULL);
		list_walk(&v, "random", KBASE + (rand() % 0x20000 & ~7ULL),
			  4096, count_node, NULL);
		ok++;
	}
	ksft_test_result(ok == 2000, "2000 random memories: every walk ended\n");
}

int main(void)
{
	ksft_print_header();
	ksft_set_plan(28);
	guest_init();
	test_rb();
	test_xa();
	test_csets();
	test_carve();
	test_random();
	free(ram);
	ksft_finished();
}
