// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * core/ptypewalk.c and core/inputwalk.c on crafted guest memory: the
 * walks that packet-tap and input-handler run in userspace and in
 * vmiaas.ko find every packet type on every list and every handler and
 * handle, name where each is, and turn what a hostile guest can do to
 * the lists (cycles, non-kernel pointers, unreadable nodes and objects,
 * too many nodes, a handler linked in by hand) into bad objects, never
 * into a hang or a read outside what the layout says; the module's
 * judgement (vmi_*_suspects()) counts them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/inputwalk.h"
#include "core/ptypewalk.h"
#include "tests/lib/arena.h"
#include "tests/lib/tap.h"

#define KTEXT		0xffffffff81000000ULL
#define HEAP_FN		(BASE + 0x9000)

/* packet-tap */
#define PT_ALL		(BASE + 0x0)		/* ptype_all */
#define PT_BASE		(BASE + 0x100)		/* ptype_base[16] */
#define NET_HEAD	(BASE + 0x200)		/* net_namespace_list */
#define NET_A		(BASE + 0x1000)
#define NET_B		(BASE + 0x2000)
#define DEV_A		(BASE + 0x3000)
#define PT1		(BASE + 0x4000)		/* on ptype_all */
#define PT2		(BASE + 0x4100)		/* on ptype_base[8] */
#define PT3		(BASE + 0x4200)		/* on DEV_A's ptype_specific */
#define PT4		(BASE + 0x4300)		/* on NET_A's ptype_all */

/* input-handler */
#define HANDLERS	(BASE + 0x5000)		/* input_handler_list */
#define DEVS		(BASE + 0x5010)		/* input_dev_list */
#define H1		(BASE + 0x6000)
#define H2		(BASE + 0x6100)		/* not registered */
#define D1		(BASE + 0x7000)
#define HD1		(BASE + 0x7800)

/* ---- packet-tap ---- */

static struct vmi_ptype_layout pt_layout(void)
{
	return (struct vmi_ptype_layout){
		.all = PT_ALL, .base = PT_BASE, .net_head = NET_HEAD,
		.net_list = 0x10, .net_inum = 0x20, .net_all = 0x400,
		.net_specific = 0x410, .dev_base = 0x300, .dev_list = 0x40,
		.dev_all = 0x80, .dev_specific = 0x90, .pt_list = 0x30,
		.pt_type = 0x0, .fn_off = { 0x8, 0x10, 0x18 },
		.flags = VMI_PT_HAS_FN(0) | VMI_PT_HAS_FN(1) |
			 VMI_PT_HAS_FN(2),
		.max_netns = 16, .max_devs = 16, .max_list = 16,
		.max_total = 64,
	};
}

/*
 * PT1 (ETH_P_ALL) on ptype_all, PT2 (IPv4) on ptype_base[8], PT3 on the
 * ptype_specific of namespace A's one device, PT4 on namespace A's own
 * ptype_all (read only with VMI_PT_HAS_NET_LISTS); namespace B empty.
 * Every func in the kernel's text, list_func and id_match NULL.
 */
static void pt_craft(void)
{
	u64 nets[2] = { NET_A + 0x10, NET_B + 0x10 };
	u64 devs[1] = { DEV_A + 0x40 };
	u64 one;
	int i;

	memset(mem, 0, sizeof(mem));
	for (i = 0; i < VMI_PT_HASH; i++)
		link_list(PT_BASE + 16ULL * i, NULL, 0);
	one = PT1 + 0x30;
	link_list(PT_ALL, &one, 1);
	one = PT2 + 0x30;
	link_list(PT_BASE + 16 * 8, &one, 1);
	link_list(NET_HEAD, nets, 2);
	put64(NET_A + 0x20, 4026531840ULL);
	put64(NET_B + 0x20, 4026532000ULL);
	link_list(NET_A + 0x300, devs, 1);
	link_list(NET_B + 0x300, NULL, 0);
	one = PT4 + 0x30;
	link_list(NET_A + 0x400, &one, 1);
	link_list(NET_A + 0x410, NULL, 0);
	link_list(NET_B + 0x400, NULL, 0);
	link_list(NET_B + 0x410, NULL, 0);
	link_list(DEV_A + 0x80, NULL, 0);
	one = PT3 + 0x30;
	link_list(DEV_A + 0x90, &one, 1);
	put64(PT1, 0x0300);		/* htons(ETH_P_ALL) */
	put64(PT2, 0x0008);		/* htons(ETH_P_IP) */
	put64(PT1 + 0x8, KTEXT + 0x100);
	put64(PT2 + 0x8, KTEXT + 0x200);
	put64(PT3 + 0x8, KTEXT + 0x300);
	put64(PT4 + 0x8, KTEXT + 0x400);
}

struct pt_seen {
	struct vmi_ptype_hook h[128];
	int nr, bad;
	int stop_after;		/* > 0: return -EINTR at that one */
};

static int pt_collect(void *ctx, const struct vmi_ptype_hook *h)
{
	struct pt_seen *s = ctx;

	if (s->nr < 128)
		s->h[s->nr] = *h;
	s->nr++;
	s->bad += !!h->err;
	return s->stop_after && s->nr >= s->stop_after ? -EINTR : 0;
}

static int pt_walk(const struct vmi_ptype_layout *l, struct pt_seen *s)
{
	memset(s, 0, sizeof(*s));
	reads_outside = 0;
	return vmi_ptype_walk(&ops, l, pt_collect, s);
}

/* The first hook of @s with ->err, or NULL. */
static const struct vmi_ptype_hook *pt_first_bad(const struct pt_seen *s)
{
	int i;

	for (i = 0; i < s->nr && i < 128; i++)
		if (s->h[i].err)
			return &s->h[i];
	return NULL;
}

static void test_pt_clean(void)
{
	struct vmi_ptype_layout l = pt_layout();
	struct pt_seen s;
	int err;

	pt_craft();
	err = pt_walk(&l, &s);
	ksft_test_result(!err && s.nr == 9 && !s.bad && !reads_outside &&
			 s.h[0].pt == PT1 && s.h[0].list == VMI_PT_ALL &&
			 s.h[0].fn == KTEXT + 0x100 && s.h[0].member == 0 &&
			 s.h[0].type == 0x0300 && s.h[0].head == PT_ALL &&
			 s.h[1].member == 1 && !s.h[1].fn &&
			 s.h[3].pt == PT2 && s.h[3].list == VMI_PT_BASE &&
			 s.h[3].bucket == 8 && !s.h[3].net &&
			 s.h[6].pt == PT3 && s.h[6].list == VMI_PT_DEV_SPECIFIC &&
			 s.h[6].dev == DEV_A && s.h[6].net == NET_A &&
			 s.h[6].netns == 4026531840U,
			 "packet-tap: every function of every packet type, named by its list (%d)\n",
			 s.nr);
	l.flags |= VMI_PT_HAS_NET_LISTS;
	l.all = 0;
	err = pt_walk(&l, &s);
	ksft_test_result(!err && s.nr == 9 && !s.bad &&
			 s.h[0].pt == PT2 && s.h[3].pt == PT4 &&
			 s.h[3].list == VMI_PT_NET_ALL && s.h[3].net == NET_A &&
			 !s.h[3].dev && s.h[6].pt == PT3,
			 "packet-tap: no global ptype_all, the namespaces' own lists read (%d)\n",
			 s.nr);
}

static void test_pt_hostile_lists(void)
{
	struct vmi_ptype_layout l = pt_layout();
	const struct vmi_ptype_hook *b;
	struct pt_seen s;
	u64 devs[1] = { DEV_A + 0x40 };
	int err;

	pt_craft();
	put64(PT1 + 0x30, PT1 + 0x30);		/* a node holding itself */
	err = pt_walk(&l, &s);
	b = pt_first_bad(&s);
	ksft_test_result(!err && s.bad == 1 && b && b->list == VMI_PT_ALL &&
			 b->err == -ELOOP && !b->pt && b->head == PT_ALL &&
			 s.h[s.nr - 1].pt == PT3,
			 "packet-tap: ptype_all looping: one bad list, the other lists read\n");
	pt_craft();
	put64(PT_BASE + 16 * 8, 0x7fff00001000ULL);	/* a user address */
	err = pt_walk(&l, &s);
	b = pt_first_bad(&s);
	ksft_test_result(!err && s.bad == 1 && b && b->list == VMI_PT_BASE &&
			 b->bucket == 8 && b->err == -EBADMSG && !reads_outside,
			 "packet-tap: a user pointer on ptype_base[8]: a bad list, never followed\n");
	pt_craft();
	put64(PT2 + 0x30, BASE + 0x200000);	/* kernel, unmapped */
	err = pt_walk(&l, &s);
	b = pt_first_bad(&s);
	ksft_test_result(!err && s.bad == 2 && b && b->err == -EFAULT &&
			 b->pt == BASE + 0x200000 - 0x30 && b[1].err == -EFAULT &&
			 b[1].list == VMI_PT_BASE && !b[1].pt &&
			 s.h[s.nr - 1].pt == PT3,
			 "packet-tap: an unreadable node: a bad packet type and list, the walk goes on\n");
	pt_craft();
	link_list(NET_A + 0x300, devs, 1);
	put64(DEV_A + 0x40, DEV_A + 0x40);	/* a device holding itself */
	err = pt_walk(&l, &s);
	b = pt_first_bad(&s);
	ksft_test_result(!err && b && b->list == VMI_PT_DEV_LIST &&
			 b->net == NET_A && b->err == -ELOOP,
			 "packet-tap: a device list cycle: a bad device list of its namespace\n");
	pt_craft();
	put64(NET_B + 0x10, NET_A + 0x10);	/* B -> A: never the head */
	err = pt_walk(&l, &s);
	b = pt_first_bad(&s);
	ksft_test_result(!err && s.bad == 1 && b &&
			 b->list == VMI_PT_NETNS_LIST && b->err == -ELOOP &&
			 b->head == NET_HEAD && !b->net,
			 "packet-tap: a namespace list cycle: one bad list, not a hang\n");
	pt_craft();
	put64(NET_HEAD, BASE + 0x200000);
	ksft_test_result(pt_walk(&l, &s) == -EFAULT,
			 "packet-tap: an unreadable namespace node: the walk's error\n");
}

static void test_pt_caps(void)
{
	struct vmi_ptype_layout l = pt_layout();
	const struct vmi_ptype_hook *b;
	struct pt_seen s;
	int err, i;

	pt_craft();
	l.max_total = 1;
	err = pt_walk(&l, &s);
	b = pt_first_bad(&s);
	for (i = 0; i < s.nr && s.h[i].pt != PT3; i++)
		;
	ksft_test_result(!err && s.bad == 1 && b && b->err == -E2BIG &&
			 b->list == VMI_PT_BASE && b->bucket == 8 && i == s.nr,
			 "packet-tap: over the total cap: one bad list, no packet type read after it\n");
	pt_craft();
	l = pt_layout();
	l.max_list = 0;
	err = pt_walk(&l, &s);
	ksft_test_result(!err && s.bad == 3 && s.h[0].err == -ELOOP,
			 "packet-tap: more packet types on a list than its cap: bad lists (%d)\n",
			 s.bad);
	pt_craft();
	l = pt_layout();
	l.fn_off[2] = 0xc000;			/* id_match past the arena */
	err = pt_walk(&l, &s);
	b = pt_first_bad(&s);
	ksft_test_result(!err && b && b->err == -EFAULT && b->member == 2 &&
			 b->pt == PT1,
			 "packet-tap: an unreadable function: a bad packet type, named\n");
}

static void test_pt_layout_and_stop(void)
{
	struct vmi_ptype_layout l = pt_layout();
	struct pt_seen s;
	int err;

	pt_craft();
	l.flags = VMI_PT_HAS_FN(1);
	err = pt_walk(&l, &s);
	l = pt_layout();
	l.dev_specific = VMI_OFFSET_MAX;
	ksft_test_result(err == -EINVAL && !s.nr && pt_walk(&l, &s) == -EINVAL &&
			 !s.nr,
			 "packet-tap: a layout without func or with an offset over 64 KiB: refused\n");
	l = pt_layout();
	l.max_total = VMI_PT_TOTAL_MAX + 1;
	ksft_test_result(pt_walk(&l, &s) == -EINVAL && !reads_outside,
			 "packet-tap: caps over the core's: refused before any read\n");
	l = pt_layout();
	memset(&s, 0, sizeof(s));
	s.stop_after = 4;
	err = vmi_ptype_walk(&ops, &l, pt_collect, &s);
	ksft_test_result(err == -EINTR && s.nr == 4,
			 "packet-tap: the callback's error stops the walk\n");
}

static void test_pt_suspects(void)
{
	struct vmi_ptype_layout l = pt_layout();
	struct vmi_range text = { KTEXT, KTEXT + 0x1000000 };
	struct vmi_ptype_suspects s;
	int err;

	pt_craft();
	err = vmi_ptype_suspects(&ops, &l, &text, 1, &s);
	ksft_test_result(!err && !s.nr,
			 "packet-tap suspects: kernel functions only: none\n");
	put64(PT3 + 0x18, HEAP_FN);
	err = vmi_ptype_suspects(&ops, &l, &text, 1, &s);
	ksft_test_result(!err && s.nr == 1 && s.first.pt == PT3 &&
			 s.first.fn == HEAP_FN && s.first.member == 2,
			 "packet-tap suspects: an id_match in the heap: one, named\n");
	pt_craft();
	put64(PT1 + 0x30, PT1 + 0x30);
	err = vmi_ptype_suspects(&ops, &l, &text, 1, &s);
	ksft_test_result(!err && s.nr == 1 && s.first.err == -ELOOP,
			 "packet-tap suspects: a looping list is one\n");
}

/* ---- input-handler ---- */

static struct vmi_input_layout in_layout(void)
{
	return (struct vmi_input_layout){
		.handlers = HANDLERS, .devs = DEVS, .h_node = 0x40,
		.h_fn = { 0x0, 0x8, 0x10, 0x18, 0x20, 0x28, 0x30 },
		.d_node = 0x10, .d_hlist = 0x20,
		.hd_dnode = 0x10, .hd_handler = 0x20, .hd_events = 0x28,
		.flags = VMI_INPUT_FLAGS_ALL,
		.max_handlers = 16, .max_devs = 16, .max_handles = 16,
	};
}

/* H1 registered (event, connect in text), D1 with handle HD1 of H1. */
static void in_craft(void)
{
	u64 one;

	memset(mem, 0, sizeof(mem));
	one = H1 + 0x40;
	link_list(HANDLERS, &one, 1);
	one = D1 + 0x10;
	link_list(DEVS, &one, 1);
	one = HD1 + 0x10;
	link_list(D1 + 0x20, &one, 1);
	put64(H1 + 0x0, KTEXT + 0x500);
	put64(H1 + 0x20, KTEXT + 0x600);
	put64(H2 + 0x0, HEAP_FN);
	put64(HD1 + 0x20, H1);
	put64(HD1 + 0x28, KTEXT + 0x700);
}

struct in_seen {
	struct vmi_input_hook h[64];
	int nr, bad;
	int stop_after;
};

static int in_collect(void *ctx, const struct vmi_input_hook *h)
{
	struct in_seen *s = ctx;

	if (s->nr < 64)
		s->h[s->nr] = *h;
	s->nr++;
	s->bad += !!h->err;
	return s->stop_after && s->nr >= s->stop_after ? -EINTR : 0;
}

static struct vmi_input_scratch scratch;

static int in_walk(const struct vmi_input_layout *l, struct in_seen *s)
{
	memset(s, 0, sizeof(*s));
	reads_outside = 0;
	return vmi_input_walk(&ops, l, &scratch, in_collect, s);
}

static const struct vmi_input_hook *in_first_bad(const struct in_seen *s)
{
	int i;

	for (i = 0; i < s->nr && i < 64; i++)
		if (s->h[i].err)
			return &s->h[i];
	return NULL;
}

static void test_in_clean(void)
{
	struct vmi_input_layout l = in_layout();
	struct in_seen s;
	int err;

	in_craft();
	err = in_walk(&l, &s);
	ksft_test_result(!err && s.nr == 8 && !s.bad && !reads_outside &&
			 s.h[0].what == VMI_INPUT_HANDLER_FN &&
			 s.h[0].handler == H1 && s.h[0].fn == KTEXT + 0x500 &&
			 !s.h[0].dev && s.h[4].member == VMI_INPUT_CONNECT &&
			 s.h[4].fn == KTEXT + 0x600 &&
			 s.h[7].what == VMI_INPUT_HANDLE_EVENTS &&
			 s.h[7].handle == HD1 && s.h[7].dev == D1 &&
			 s.h[7].handler == H1 && s.h[7].fn == KTEXT + 0x700,
			 "input-handler: every callback of every handler, every handle's handle_events (%d)\n",
			 s.nr);
	l.flags &= ~VMI_INPUT_HAS_HANDLE_EVENTS;
	l.flags &= ~VMI_INPUT_HAS_FN(VMI_INPUT_START);
	err = in_walk(&l, &s);
	ksft_test_result(!err && s.nr == 6 && !s.bad,
			 "input-handler: members the kernel lacks are not read (%d)\n",
			 s.nr);
}

static void test_in_unregistered(void)
{
	struct vmi_input_layout l = in_layout();
	struct vmi_range text = { KTEXT, KTEXT + 0x1000000 };
	struct vmi_input_suspects sus;
	struct in_seen s;
	int err;

	in_craft();
	put64(HD1 + 0x20, H2);
	err = in_walk(&l, &s);
	ksft_test_result(!err && s.nr == 16 && s.bad == 1 &&
			 s.h[7].what == VMI_INPUT_UNREGISTERED &&
			 s.h[7].err == -ENOENT && s.h[7].handler == H2 &&
			 s.h[7].handle == HD1 && s.h[7].dev == D1 &&
			 s.h[8].what == VMI_INPUT_HANDLER_FN &&
			 s.h[8].handler == H2 && s.h[8].fn == HEAP_FN &&
			 s.h[8].dev == D1 && s.h[15].what == VMI_INPUT_HANDLE_EVENTS,
			 "input-handler: a handle's handler not on the list: bad, its callbacks passed too\n");
	err = vmi_input_suspects(&ops, &l, &text, 1, &scratch, &sus);
	ksft_test_result(!err && sus.nr == 2 &&
			 sus.first.what == VMI_INPUT_UNREGISTERED,
			 "input-handler suspects: the unregistered handler and its heap callback\n");
	in_craft();
	err = vmi_input_suspects(&ops, &l, &text, 1, &scratch, &sus);
	ksft_test_result(!err && !sus.nr,
			 "input-handler suspects: kernel callbacks only: none\n");
	put64(HD1 + 0x28, HEAP_FN);
	err = vmi_input_suspects(&ops, &l, &text, 1, &scratch, &sus);
	ksft_test_result(!err && sus.nr == 1 && sus.first.handle == HD1 &&
			 sus.first.what == VMI_INPUT_HANDLE_EVENTS,
			 "input-handler suspects: a handle_events in the heap: one, named\n");
}

static void test_in_hostile(void)
{
	struct vmi_input_layout l = in_layout();
	const struct vmi_input_hook *b;
	struct in_seen s;
	int err;

	in_craft();
	put64(HANDLERS, 0x7fff00001000ULL);
	err = in_walk(&l, &s);
	b = in_first_bad(&s);
	ksft_test_result(!err && b && b->what == VMI_INPUT_HANDLER_LIST &&
			 b->err == -EBADMSG && b->head == HANDLERS &&
			 s.h[1].what == VMI_INPUT_UNREGISTERED && !reads_outside,
			 "input-handler: a user pointer on input_handler_list: a bad list, the devices walked\n");
	in_craft();
	put64(HD1 + 0x10, HD1 + 0x10);	/* a handle holding itself */
	err = in_walk(&l, &s);
	b = in_first_bad(&s);
	ksft_test_result(!err && s.bad == 1 && b && b->what == VMI_INPUT_H_LIST &&
			 b->dev == D1 && b->head == D1 + 0x20 && b->err == -ELOOP,
			 "input-handler: a looping h_list: a bad list of its device\n");
	in_craft();
	put64(D1 + 0x20, BASE + ARENA - 8);	/* its handler past the arena */
	put64(BASE + ARENA - 8, D1 + 0x20);
	err = in_walk(&l, &s);
	b = in_first_bad(&s);
	ksft_test_result(!err && s.bad == 1 && b && b->what == VMI_INPUT_H_LIST &&
			 b->err == -EFAULT,
			 "input-handler: a handle whose handler cannot be read: a bad list\n");
	in_craft();
	put64(H1 + 0x40, BASE + 0x10);	/* a handler before the arena */
	put64(BASE + 0x10, HANDLERS);
	err = in_walk(&l, &s);
	b = in_first_bad(&s);
	ksft_test_result(!err && b && b->what == VMI_INPUT_HANDLER_FN &&
			 b->err == -EFAULT && b->handler == BASE - 0x30,
			 "input-handler: a handler whose callbacks cannot be read: bad, named\n");
	in_craft();
	put64(DEVS, BASE + 0x200000);
	ksft_test_result(in_walk(&l, &s) == -EFAULT,
			 "input-handler: an unreadable device node: the walk's error\n");
	in_craft();
	l.max_handlers = 0;
	err = in_walk(&l, &s);
	b = in_first_bad(&s);
	ksft_test_result(!err && b && b->what == VMI_INPUT_HANDLER_LIST &&
			 b->err == -ELOOP,
			 "input-handler: more handlers than the cap: a bad list\n");
}

static void test_in_layout_and_stop(void)
{
	struct vmi_input_layout l = in_layout();
	struct in_seen s;
	int err;

	in_craft();
	l.max_handlers = VMI_INPUT_HANDLERS_MAX + 1;
	err = in_walk(&l, &s);
	l = in_layout();
	l.h_fn[3] = VMI_OFFSET_MAX;
	ksft_test_result(err == -EINVAL &&
			 in_walk(&l, &s) == -EINVAL && !s.nr && !reads_outside,
			 "input-handler: a cap over the scratch's or an offset over 64 KiB: refused\n");
	l = in_layout();
	l.flags = VMI_INPUT_FLAGS_ALL + 1;
	ksft_test_result(in_walk(&l, &s) == -EINVAL &&
			 vmi_input_walk(&ops, &l, NULL, in_collect, &s) == -EINVAL,
			 "input-handler: unknown flags, no scratch: refused\n");
	l = in_layout();
	memset(&s, 0, sizeof(s));
	s.stop_after = 2;
	err = vmi_input_walk(&ops, &l, &scratch, in_collect, &s);
	ksft_test_result(err == -EINTR && s.nr == 2,
			 "input-handler: the callback's error stops the walk\n");
}

int main(void)
{
	ksft_print_header();
	ksft_set_plan(32);
	test_pt_clean();
	test_pt_hostile_lists();
	test_pt_caps();
	test_pt_layout_and_stop();
	test_pt_suspects();
	test_in_clean();
	test_in_unregistered();
	test_in_hostile();
	test_in_layout_and_stop();
	ksft_finished();
}
