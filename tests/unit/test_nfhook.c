// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * core/nfhook.c and core/klist.c on crafted guest memory: the walk that
 * netfilter-hook runs in userspace and in vmiaas.ko finds every hook of
 * every namespace and device, and turns what a hostile guest can do to
 * the lists and hook points (cycles, non-kernel pointers, unreadable
 * entries, an implausible count, too many nodes) into bad points, never
 * into a hang or a read outside what the layout says.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/nfhook.h"
#include "tests/lib/arena.h"
#include "tests/lib/tap.h"

#define HEAD		(BASE + 0x0)
#define NET_A		(BASE + 0x1000)
#define NET_B		(BASE + 0x2000)
#define DEV_A		(BASE + 0x3000)
#define DEV_B		(BASE + 0x3800)
#define ENTRIES		(BASE + 0x8000)
#define ENTRIES_DEV	(BASE + 0x9000)
#define HOOK_FN		0xffffffff81234560ULL

static struct vmi_nf_layout layout(void)
{
	return (struct vmi_nf_layout){
		.net_head = HEAD, .net_list = 0x10, .net_inum = 0x20,
		.fam_off = { 0x100, 0x140, 0x180, 0x1c0 },
		.fam_nr = { 5, 5, 3, 5 },
		.dev_base = 0x300, .dev_list = 0x40,
		.ingress = 0x80, .egress = 0x88,
		.flags = VMI_NF_HAS_INGRESS | VMI_NF_HAS_EGRESS,
		.max_netns = 16, .max_devs = 16,
	};
}

/*
 * Two namespaces: A with two hooks on ipv4 PRE_ROUTING (point 0) and one
 * device with an ingress hook, B with nothing and no device.
 */
static void craft(void)
{
	u64 nets[2] = { NET_A + 0x10, NET_B + 0x10 };
	u64 devs[1] = { DEV_A + 0x40 };

	memset(mem, 0, sizeof(mem));
	link_list(HEAD, nets, 2);
	put64(NET_A + 0x20, 4026531840ULL);
	put64(NET_B + 0x20, 4026532000ULL);
	put64(NET_A + 0x100, ENTRIES);
	put16(ENTRIES, 2);
	put64(ENTRIES + 8, HOOK_FN);
	put64(ENTRIES + 24, HOOK_FN + 0x40);
	link_list(NET_A + 0x300, devs, 1);
	link_list(NET_B + 0x300, NULL, 0);
	put64(DEV_A + 0x80, ENTRIES_DEV);
	put16(ENTRIES_DEV, 1);
	put64(ENTRIES_DEV + 8, HOOK_FN + 0x80);
}

struct seen {
	struct vmi_nf_hook h[64];
	int nr, bad;
	int stop_after;		/* > 0: return -EINTR at that hook */
};

static int collect(void *ctx, const struct vmi_nf_hook *h)
{
	struct seen *s = ctx;

	if (s->nr < 64)
		s->h[s->nr] = *h;
	s->nr++;
	s->bad += !!h->err;
	return s->stop_after && s->nr >= s->stop_after ? -EINTR : 0;
}

static int walk(const struct vmi_nf_layout *l, struct seen *s)
{
	memset(s, 0, sizeof(*s));
	reads_outside = 0;
	return vmi_nf_walk(&ops, l, collect, s);
}

static void test_clean(void)
{
	struct vmi_nf_layout l = layout();
	struct seen s;
	int err;

	craft();
	err = walk(&l, &s);
	ksft_test_result(!err && s.nr == 3 && !s.bad &&
			 s.h[0].fn == HOOK_FN && s.h[0].family == 0 &&
			 s.h[0].point == 0 && s.h[0].index == 0 &&
			 s.h[0].net == NET_A && s.h[0].entries == ENTRIES &&
			 s.h[0].netns == 4026531840U &&
			 s.h[1].fn == HOOK_FN + 0x40 && s.h[1].index == 1 &&
			 s.h[2].fn == HOOK_FN + 0x80 &&
			 s.h[2].family == VMI_NF_INGRESS && s.h[2].dev == DEV_A &&
			 !reads_outside,
			 "every hook of every namespace and device, named by where it is\n");
}

static void test_netns_cycle(void)
{
	struct vmi_nf_layout l = layout();
	struct seen s;
	int err;

	craft();
	put64(NET_B + 0x10, NET_A + 0x10);	/* B -> A: never the head */
	err = walk(&l, &s);
	ksft_test_result(!err && s.bad == 1 &&
			 s.h[s.nr - 1].family == VMI_NF_NETNS_LIST &&
			 s.h[s.nr - 1].err == -ELOOP &&
			 s.h[s.nr - 1].entries == HEAD,
			 "a namespace list cycle is one bad point, not a hang\n");
}

static int count_node(void *ctx, u64 node)
{
	(void)ctx;
	(void)node;
	return 0;
}

static void test_self_loop(void)
{
	u32 nr = 0;
	int err;

	craft();
	put64(NET_A + 0x10, NET_A + 0x10);
	err = vmi_list_walk(&ops, HEAD, 1000000, count_node,
			    NULL, &nr);
	ksft_test_result(err == -ELOOP && nr <= 2,
			 "a node pointing at itself ends the list walk (%u nodes)\n",
			 nr);
}

static void test_too_many(void)
{
	struct vmi_nf_layout l = layout();
	struct seen s;
	int err;

	craft();
	l.max_netns = 1;
	err = walk(&l, &s);
	ksft_test_result(!err && s.bad == 1 &&
			 s.h[s.nr - 1].family == VMI_NF_NETNS_LIST &&
			 s.h[s.nr - 1].err == -ELOOP,
			 "more namespaces than the cap: a bad point\n");
}

static void test_user_pointer(void)
{
	struct vmi_nf_layout l = layout();
	struct seen s;
	int err;

	craft();
	put64(NET_A + 0x10, 0x7fff00001000ULL);	/* a user address */
	err = walk(&l, &s);
	ksft_test_result(!err && s.bad == 1 &&
			 s.h[s.nr - 1].err == -EBADMSG && !reads_outside,
			 "a non-kernel pointer in the list is never followed\n");
}

static void test_huge_count(void)
{
	struct vmi_nf_layout l = layout();
	struct seen s;
	int err;

	craft();
	put16(ENTRIES, 0xffff);
	err = walk(&l, &s);
	ksft_test_result(!err && s.bad == 1 && s.h[0].err == -E2BIG &&
			 s.h[0].entries == ENTRIES && s.nr == 2,
			 "a count over MAX_HOOK_COUNT is a bad point, its entries unread\n");
}

static void test_bad_entries(void)
{
	struct vmi_nf_layout l = layout();
	struct seen s;
	int err;

	craft();
	put64(NET_A + 0x100, BASE + 0x100000);	/* unmapped */
	err = walk(&l, &s);
	ksft_test_result(!err && s.bad == 1 && s.h[0].err == -EFAULT &&
			 s.h[0].entries == BASE + 0x100000 && s.nr == 2,
			 "unreadable hook entries: a bad point, the walk goes on\n");
	craft();
	put64(NET_A + 0x100, BASE + ARENA - 32);
	put16(BASE + ARENA - 32, 300);	/* runs past the arena */
	err = walk(&l, &s);
	ksft_test_result(!err && s.h[0].err == -EFAULT,
			 "a count whose entries run past readable memory: a bad point\n");
}

static void test_dev_cycle(void)
{
	struct vmi_nf_layout l = layout();
	u64 devs[2] = { DEV_A + 0x40, DEV_B + 0x40 };
	struct seen s;
	int err;

	craft();
	link_list(NET_A + 0x300, devs, 2);
	put64(DEV_B + 0x40, DEV_A + 0x40);	/* B -> A */
	err = walk(&l, &s);
	ksft_test_result(!err && s.bad == 1 &&
			 s.h[s.nr - 1].family == VMI_NF_DEV_LIST &&
			 s.h[s.nr - 1].net == NET_A,
			 "a device list cycle: a bad point of its namespace, the next namespace walked\n");
}

static void test_unreadable_node(void)
{
	struct vmi_nf_layout l = layout();
	struct seen s;
	int err;

	craft();
	put64(HEAD, BASE + 0x200000);	/* kernel, unmapped */
	err = walk(&l, &s);
	ksft_test_result(err == -EFAULT,
			 "an unreadable namespace node: the walk's error\n");
}

static void test_layout_and_stop(void)
{
	struct vmi_nf_layout l = layout();
	struct seen s;
	int err;

	craft();
	l.fam_nr[1] = VMI_NF_POINTS_MAX + 1;
	err = walk(&l, &s);
	l = layout();
	l.ingress = VMI_NF_OFFSET_MAX;
	ksft_test_result(err == -EINVAL && s.nr == 0 &&
			 walk(&l, &s) == -EINVAL,
			 "an implausible layout is refused before any read\n");
	l = layout();
	memset(&s, 0, sizeof(s));
	s.stop_after = 1;
	err = vmi_nf_walk(&ops, &l, collect, &s);
	ksft_test_result(err == -EINTR && s.nr == 1,
			 "the callback's error stops the walk\n");
}

int main(void)
{
	ksft_print_header();
	ksft_set_plan(12);
	test_clean();
	test_netns_cycle();
	test_self_loop();
	test_too_many();
	test_user_pointer();
	test_huge_count();
	test_bad_entries();
	test_dev_cycle();
	test_unreadable_node();
	test_layout_and_stop();
	ksft_finished();
}
