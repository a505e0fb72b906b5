// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * The hidden-object walkers (userspace/lib/hidden.c) on hostile memory:
 * a tiny guest with one 2 MiB kernel page, trees and xarrays built by
 * hand (valid, cyclic, too deep, wrong shifts, bad pointers), then
 * random memory; the census's css_set walks (css_set_table's hlist
 * buckets, each css_set's task rings) with chains that loop and counts
 * over the caps; then the whole task census (hidden_check_tasks()) on a
 * tiny guest kernel with its own BTF, its lists made cyclic, self-looping,
 * torn, pointing outside the kernel map, its counts huge, its words
 * random. Every walk must end, with an error where the structure is
 * broken; ASan/UBSan (make san) catch the rest.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/btf.h>

#include "userspace/lib/hidden.h"
#include "userspace/lib/list.h"
#include "tests/lib/symfile.h"
#include "tests/lib/tap.h"
#include "tests/lib/tinyguest.h"

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
	err = hl(100000);
	ksft_test_result(err == -ELOOP && visits < 16,
			 "css_set_table: a looping chain ends in -ELOOP at once, not at the cap (%d, %u)\n",
			 err, visits);
	put(HN(1), 0);
	put(HN(2), 0x1234);
	err = hl(100);
	ksft_test_result(err == -EBADMSG, "css_set_table: a user pointer ends the walk (%d)\n",
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

/*
 * A made-up struct module layout: 6.4+ style, text and data regions; the
 * module range of a KASLR build (KERNEL_IMAGE_SIZE 1 GiB).
 */
static struct carve_layout mod_l = {
	.size = 512, .mkobj_mod = 0x100, .state = 0, .name = 0x18,
	.list = 0x8, .nr_regions = 2, .base = { 0x180, 0x190 },
	.len = { 0x188, 0x198 },
	.area = { 0xffffffffc0000000ULL, 0xffffffffff000000ULL },
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
	mod_put(buf, 0x180, 0xffffffffb0000000ULL, 8);
	ok = !hidden_module_plausible(&mod_l, buf, MOD_VA, name, sizeof(name));
	mod_l.area.start = 0xffffffffa0000000ULL;	/* 512 MiB image */
	ok = ok && hidden_module_plausible(&mod_l, buf, MOD_VA, name,
					   sizeof(name));
	mod_l.area.start = 0xffffffffc0000000ULL;
	ksft_test_result(ok, "carving: text at 0xffffffffb0000000 is in the module range of a 512 MiB image only\n");
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

/* ---- the task census (hidden_check_tasks) on hostile memory ---- */

/*
 * A tiny guest kernel laid out by hand with its BTF: init_task and task
 * A on the task list, in the IDR (one struct pid as the xarray's head),
 * in init's children list and on init_css_set; one CPU whose run queue
 * runs the idle task; no vmap areas. Then its lists are broken.
 */
#define C		(KBASE + 0x100000)
#define T_SIZE		0x400
#define INIT_TASK	(C + 0x0000)
#define TASK_A		(C + 0x0400)
#define TASK_B		(C + 0x0800)
#define INIT_CRED	(C + 0x2000)
#define CRED_A		(C + 0x2040)
#define CRED_B		(C + 0x2080)
#define SIG_A		(C + 0x2100)
#define PID_A		(C + 0x2200)
#define INIT_PID_NS	(C + 0x2300)
#define INIT_CSS_SET	(C + 0x2400)
#define INIT_NSPROXY	(C + 0x2500)	/* mnt_ns at 0x18 */
#define NSPROXY_C	(C + 0x2540)	/* a container's */
#define INIT_FS		(C + 0x2600)	/* root (mnt, dentry) at 0x18 */
#define FS_C		(C + 0x2640)
#define INIT_USERNS	(C + 0x2700)	/* parent at 0 */
#define USERNS_C	(C + 0x2740)
#define MNT_NS_0	(C + 0x2800)	/* compared, never read */
#define MNT_NS_C	(C + 0x2840)
#define ROOT_MNT	(C + 0x2880)
#define ROOT_DENTRY	(C + 0x28c0)
#define CSS_SET_TABLE	(C + 0x3000)
#define RQ		(C + 0x4000)
#define PCPU_OFF	(C + 0x4200)
#define NR_CPU_IDS	(C + 0x4210)
#define VMAP_ROOT	(C + 0x4300)
#define VA_A		(C + 0x5000)	/* vmap_area of A's stack */
#define VA_B		(C + 0x5040)
#define VM_A		(C + 0x5100)	/* vm_struct */
#define VM_B		(C + 0x5140)
#define STACK_A		(C + 0x8000)	/* a page and a guard page */
#define STACK_B		(C + 0xa000)
#define STACK_CALLER	(KBASE + 0x123)
/* task_struct members */
#define T_TASKS		0x000
#define T_PID		0x010
#define T_TGID		0x014
#define T_PARENT	0x018
#define T_CHILDREN	0x020
#define T_SIBLING	0x030
#define T_LEADER	0x040
#define T_COMM		0x048
#define T_REAL_CRED	0x060
#define T_CRED		0x068
#define T_SIGNAL	0x070
#define T_THREAD_NODE	0x078
#define T_PID_LINKS	0x090
#define T_CG_LIST	0x0d0
#define T_STACK		0x180
#define T_STACK_VM	0x188
#define T_NSPROXY	0x190
#define T_FS		0x198
#define T_THREAD_PID	0x1a0
#define T_MM		0x088
#define T_FILES		0x1a8
#define PID_X		(C + 0x2280)	/* a struct pid in no IDR */
#define MM_A		(C + 0x2900)
#define FILES_A		(C + 0x2940)

static struct btf *census_btf(void)
{
	struct tiny_btf tb;
	struct btf *b = tiny_btf_new(&tb);
	int i8 = tb.i8, i32 = tb.i32, ptr = tb.ptr, lh = tb.lh, idr = tb.idr;
	int hn, hh, rb, rbr, rbc, upid, se, rte, dle, cfs, rtq, dlq, prio, arr;

	{
		const int types[] = { ptr, ptr };
		const u32 offs[] = { 0, 8 };

		hn = STRUCT(b, "hlist_node", 16, "next", "pprev");
		rbc = 0;
	}
	{
		const int types[] = { ptr };
		const u32 offs[] = { 0 };

		hh = STRUCT(b, "hlist_head", 8, "first");
		rbr = STRUCT(b, "rb_root", 8, "rb_node");
		STRUCT(b, "mm_struct", 64, "exe_file");
		STRUCT(b, "file", 64, "f_inode");
	}
	{
		const int types[] = { ptr, ptr, ptr };
		const u32 offs[] = { 0, 8, 16 };

		rb = STRUCT(b, "rb_node", 24, "__rb_parent_color", "rb_right",
			    "rb_left");
	}
	{
		const int types[] = { rbr, ptr };
		const u32 offs[] = { 0, 8 };

		rbc = STRUCT(b, "rb_root_cached", 16, "rb_root", "rb_leftmost");
	}
	{
		const int types[] = { idr, ptr };
		const u32 offs[] = { 0, 0x30 };

		STRUCT(b, "pid_namespace", 64, "idr", "child_reaper");
	}
	{
		const int types[] = { i32, ptr };
		const u32 offs[] = { 0, 8 };

		upid = STRUCT(b, "upid", 16, "nr", "ns");
	}
	{
		const int types[] = { i32, i32, btf__add_array(b, i32, hh, 4),
				      btf__add_array(b, i32, upid, 1) };
		const u32 offs[] = { 0, 4, 8, 0x30 };

		STRUCT(b, "pid", 0x40, "count", "level", "tasks", "numbers");
	}
	{
		const int types[] = { lh, lh, lh, hn };
		const u32 offs[] = { 0, 0x10, 0x20, 0x30 };

		STRUCT(b, "css_set", 0x40, "tasks", "mg_tasks", "dying_tasks",
		       "hlist");
	}
	{
		const int types[] = { lh };
		const u32 offs[] = { 0x10 };

		STRUCT(b, "signal_struct", 0x40, "thread_head");
	}
	{
		const int types[] = { i32, i32, ptr, ptr };
		const u32 offs[] = { 4, 0x14, 0x20, 0x28 };

		STRUCT(b, "cred", 0x40, "uid", "euid", "cap_bset", "user_ns");
	}
	{
		const int types[] = { ptr };
		const u32 offs[] = { 0 };

		STRUCT(b, "user_namespace", 0x40, "parent");
	}
	{
		const int types[] = { ptr };
		const u32 offs[] = { 0x18 };

		STRUCT(b, "nsproxy", 0x40, "mnt_ns");
	}
	{
		const int types[] = { ptr, ptr };
		const u32 offs[] = { 0, 8 };
		int path = STRUCT(b, "path", 16, "mnt", "dentry");
		const int types2[] = { path };
		const u32 offs2[] = { 0x18 };

		add_struct(b, "fs_struct", 0x40, (const char *[]){ "root" },
			   types2, offs2, 1);
	}
	{
		const int types[] = { i32, i32 };
		const u32 offs[] = { 0, 4 };

		STRUCT(b, "inode", 0x40, "i_mode", "i_uid");
	}
	{
		const int types[] = { rb, ptr };
		const u32 offs[] = { 0, 0x20 };

		se = STRUCT(b, "sched_entity", 0x40, "run_node", "my_q");
	}
	{
		const int types[] = { lh };
		const u32 offs[] = { 0 };

		rte = STRUCT(b, "sched_rt_entity", 0x20, "run_list");
	}
	{
		const int types[] = { rb };
		const u32 offs[] = { 0 };

		dle = STRUCT(b, "sched_dl_entity", 0x20, "rb_node");
	}
	{
		const int types[] = { rbc };
		const u32 offs[] = { 0 };

		cfs = STRUCT(b, "cfs_rq", 0x40, "tasks_timeline");
		dlq = STRUCT(b, "dl_rq", 0x20, "root");
	}
	arr = btf__add_array(b, i32, lh, 2);
	{
		const int types[] = { ptr, arr };
		const u32 offs[] = { 0, 8 };

		prio = STRUCT(b, "rt_prio_array", 0x28, "bitmap", "queue");
	}
	{
		const int types[] = { prio };
		const u32 offs[] = { 0 };

		rtq = STRUCT(b, "rt_rq", 0x40, "active");
	}
	{
		const int types[] = { ptr, ptr, cfs, rtq, dlq };
		const u32 offs[] = { 0, 8, 0x40, 0x80, 0xc0 };

		STRUCT(b, "rq", 0x100, "curr", "idle", "cfs", "rt", "dl");
	}
	{
		const int types[] = { ptr, ptr, rb, ptr };
		const u32 offs[] = { 0, 8, 0x10, 0x30 };

		STRUCT(b, "vmap_area", 0x40, "va_start", "va_end", "rb_node",
		       "vm");
	}
	{
		const int types[] = { ptr };
		const u32 offs[] = { 0x30 };

		STRUCT(b, "vm_struct", 0x40, "caller");
	}
	{
		const int types[] = {
			lh, i32, i32, ptr, lh, lh, ptr,
			btf__add_array(b, i32, i8, 16), i32, i32, ptr, ptr,
			ptr, lh, ptr, btf__add_array(b, i32, hn, 4), lh, se,
			rte, dle, ptr, ptr, ptr, ptr, ptr, ptr,
		};
		const u32 offs[] = {
			T_TASKS, T_PID, T_TGID, T_PARENT, T_CHILDREN,
			T_SIBLING, T_LEADER, T_COMM, 0x058, 0x05c,
			T_REAL_CRED, T_CRED, T_SIGNAL, T_THREAD_NODE, T_MM,
			T_PID_LINKS, T_CG_LIST, 0x100, 0x140, 0x160, T_STACK,
			0x188, T_NSPROXY, T_FS, T_THREAD_PID, T_FILES,
		};

		STRUCT(b, "task_struct", T_SIZE, "tasks", "pid", "tgid",
		       "real_parent", "children", "sibling", "group_leader",
		       "comm", "flags", "exit_state", "real_cred", "cred",
		       "signal", "thread_node", "mm", "pid_links", "cg_list",
		       "se", "rt", "dl", "stack", "stack_vm_area", "nsproxy",
		       "fs", "thread_pid", "files");
	}
	btf__add_enum(b, "pid_type", 4);
	btf__add_enum_value(b, "PIDTYPE_PID", 0);
	return b;
}

static void census_symbols(void)
{
	static const struct sym syms[] = {
		{ "_text", KBASE }, { "init_task", INIT_TASK },
		{ "init_cred", INIT_CRED }, { "init_pid_ns", INIT_PID_NS },
		{ "init_css_set", INIT_CSS_SET },
		{ "css_set_table", CSS_SET_TABLE }, { "runqueues", RQ },
		{ "__per_cpu_offset", PCPU_OFF }, { "nr_cpu_ids", NR_CPU_IDS },
		{ "vmap_area_root", VMAP_ROOT },
		{ "init_nsproxy", INIT_NSPROXY },
	};

	test_symmap_load(syms, ARRAY_SIZE(syms), &v.symmap);
	v.info.text_va = KBASE;
}

static void census_guest(void)
{
	u64 t[] = { TASK_A };

	memset(ram + DATA_GPA + 0x100000, 0, 0x100000);
	/* init_task: pid 0, the list head, the parent of A */
	memcpy(ram + DATA_GPA + (INIT_TASK - KBASE) + T_COMM, "swapper", 8);
	put(INIT_TASK + T_CRED, INIT_CRED);
	put(INIT_TASK + T_REAL_CRED, INIT_CRED);
	put(INIT_TASK + T_LEADER, INIT_TASK);
	t[0] = TASK_A + T_TASKS;
	list_ring(INIT_TASK + T_TASKS, t, 1);
	t[0] = TASK_A + T_SIBLING;
	list_ring(INIT_TASK + T_CHILDREN, t, 1);
	/* A: pid 1, its own thread group, cred uid 1000 */
	put(TASK_A + T_PID, 1ULL | 1ULL << 32);		/* pid, tgid */
	memcpy(ram + DATA_GPA + (TASK_A - KBASE) + T_COMM, "init", 5);
	put(TASK_A + T_PARENT, INIT_TASK);
	put(TASK_A + T_LEADER, TASK_A);
	put(TASK_A + T_CRED, CRED_A);
	put(TASK_A + T_REAL_CRED, CRED_A);
	put(CRED_A, 1000ULL << 32);
	put(CRED_A + 0x10, 1000ULL << 32);
	put(TASK_A + T_SIGNAL, SIG_A);
	t[0] = TASK_A + T_THREAD_NODE;
	list_ring(SIG_A + 0x10, t, 1);
	list_ring(TASK_A + T_CHILDREN, NULL, 0);
	/* the IDR: one struct pid as the head, nr 1, A on tasks[0] */
	put(INIT_PID_NS + 8, PID_A);
	put(PID_A + 0x30, 1);
	put(PID_A + 8, TASK_A + T_PID_LINKS);
	put(TASK_A + T_PID_LINKS + 8, PID_A + 8);
	/* init_css_set: A on tasks; mg_tasks and dying_tasks empty */
	t[0] = TASK_A + T_CG_LIST;
	list_ring(INIT_CSS_SET, t, 1);
	list_ring(INIT_CSS_SET + 0x10, NULL, 0);
	list_ring(INIT_CSS_SET + 0x20, NULL, 0);
	/* one CPU running its idle task, empty queues */
	put(NR_CPU_IDS, 1);
	put(RQ, INIT_TASK);
	put(RQ + 8, INIT_TASK);
	list_ring(RQ + 0x80 + 8, NULL, 0);
	list_ring(RQ + 0x80 + 0x18, NULL, 0);
	/* A's stack, a vmap area: the tree's root */
	put(TASK_A + T_STACK, STACK_A);
	put(TASK_A + T_STACK_VM, VM_A);
	put(VMAP_ROOT, VA_A + 0x10);
	put(VA_A, STACK_A);
	put(VA_A + 8, STACK_A + 0x2000);
	put(VA_A + 0x30, VM_A);
	put(VM_A + 0x30, STACK_CALLER);
	/* namespaces: A in init's, sharing init's fs; a container's set */
	put(INIT_NSPROXY + 0x18, MNT_NS_0);
	put(NSPROXY_C + 0x18, MNT_NS_C);
	put(INIT_FS + 0x18, ROOT_MNT);
	put(INIT_FS + 0x20, ROOT_DENTRY);
	put(FS_C + 0x18, ROOT_MNT + 0x100);
	put(FS_C + 0x20, ROOT_DENTRY + 0x100);
	put(INIT_TASK + T_FS, INIT_FS);
	put(INIT_TASK + T_NSPROXY, INIT_NSPROXY);
	put(TASK_A + T_FS, INIT_FS);
	put(TASK_A + T_NSPROXY, INIT_NSPROXY);
	put(TASK_A + T_THREAD_PID, PID_A);
	put(PID_A + 0x38, INIT_PID_NS);			/* numbers[0].ns */
	put(USERNS_C, INIT_USERNS);
	put(CRED_A + 0x20, 0x1ffffffffffULL);		/* full bounding set */
	put(CRED_A + 0x28, INIT_USERNS);
	put(TASK_A + T_MM, MM_A);
	put(TASK_A + T_FILES, FILES_A);
}

static void put32(u64 va, u32 val)
{
	memcpy(ram + DATA_GPA + (va - KBASE), &val, 4);
}

/* B, on no list, sleeping on its own stack: VA_B right of VA_A. */
static void census_hidden_stack(void)
{
	put(VA_A + 0x18, VA_B + 0x10);
	put(VA_B, STACK_B);
	put(VA_B + 8, STACK_B + 0x2000);
	put(VA_B + 0x30, VM_B);
	put(VM_B + 0x30, STACK_CALLER);
	put(TASK_B + T_PID, 2ULL | 2ULL << 32);
	put(TASK_B + T_STACK, STACK_B);
	put(TASK_B + T_STACK_VM, VM_B);
	put(STACK_B + 0x7f0, TASK_B);
}

/* hidden_check_tasks(): its error; *@nr the findings it reported. */
static int census(u32 *nr)
{
	const struct hidden_sink sink = { .add = add_finding };
	int err;

	nr_findings = 0;
	v.diag.msg[0] = '\0';
	err = hidden_check_tasks(&v, &sink);
	*nr = nr_findings;
	return err;
}

static void test_census(void)
{
	const struct engine_task *shared;
	size_t nr_shared = 0;
	u32 nr, i, ok = 0;
	u64 t[2];
	int err;

	v.btf = census_btf();
	census_symbols();

	census_guest();
	err = census(&nr);
	ksft_test_result(!err && !nr, "census: a consistent guest, no finding (err %d, %u: %s)\n",
			 err, nr, v.diag.msg);

	census_guest();
	list_ring(INIT_TASK + T_TASKS, NULL, 0);	/* A off the list */
	err = census(&nr);
	ksft_test_result(!err && nr == 1, "census: a task off the list, in the IDR: one finding (err %d, %u)\n",
			 err, nr);

	census_guest();
	put(TASK_A + T_TASKS, TASK_A + T_TASKS);	/* a self-loop */
	err = census(&nr);
	ksft_test_result(err == -ELOOP && v.diag.msg[0],
			 "census: a task list looping on a task ends in -ELOOP with a message (%d: %s)\n",
			 err, v.diag.msg);

	census_guest();
	t[0] = TASK_A + T_TASKS;
	t[1] = TASK_B + T_TASKS;
	list_ring(INIT_TASK + T_TASKS, t, 2);
	put(TASK_B + T_TASKS, TASK_A + T_TASKS);	/* A <-> B, not the head */
	err = census(&nr);
	ksft_test_result(err == -ELOOP, "census: a cycle not through the head ends in -ELOOP (%d)\n",
			 err);

	census_guest();
	put(TASK_A + T_TASKS, 0x1000);			/* a user pointer */
	err = census(&nr);
	ksft_test_result(err < 0 && v.diag.msg[0],
			 "census: a user pointer in the list is an error with a message (%d: %s)\n",
			 err, v.diag.msg);

	census_guest();
	put(TASK_A + T_TASKS, 0xffffffffdead0000ULL);	/* unmapped */
	err = census(&nr);
	ksft_test_result(err < 0, "census: an unmapped kernel pointer is an error (%d)\n",
			 err);

	census_guest();
	put(TASK_A + T_PID_LINKS, TASK_A + T_PID_LINKS); /* pid hlist loop */
	err = census(&nr);
	ksft_test_result(err == -EBADMSG, "census: a struct pid's task chain that loops is -EBADMSG (%d)\n",
			 err);

	census_guest();
	put(NR_CPU_IDS, 0xffffffff);			/* huge count */
	err = census(&nr);
	ksft_test_result(err == -EBADMSG, "census: nr_cpu_ids of 2^32-1 is -EBADMSG (%d)\n",
			 err);

	census_guest();
	put(INIT_PID_NS + 8, 0);			/* A only on the list */
	put(TASK_A + T_SIBLING, TASK_A + T_SIBLING);	/* torn: next to itself */
	err = census(&nr);
	ksft_test_result(!err && nr == 1, "census: a torn children list and a task missing from the IDR: one finding (err %d, %u)\n",
			 err, nr);

	census_guest();
	put(TASK_A + T_SIGNAL, SIG_A + 0x8);		/* thread ring garbage */
	put(SIG_A + 0x18, SIG_A + 0x18);
	err = census(&nr);
	ksft_test_result(err <= 0, "census: a garbage thread list ends (%d)\n", err);

	census_guest();
	census_hidden_stack();
	err = census(&nr);
	ksft_test_result(!err && nr == 1, "census: a task on no list, named by its kernel stack: one finding (err %d, %u)\n",
			 err, nr);
	put(TASK_B + T_STACK, 0);			/* a stack being freed */
	err = census(&nr);
	ksft_test_result(!err && !nr, "census: a stack no task names as its own: no finding (err %d, %u)\n",
			 err, nr);
	for (i = 0; i < 0x1000; i += 8)			/* self-pointers */
		put(STACK_B + i, STACK_B + i);
	put(TASK_B + T_STACK, STACK_B);
	err = census(&nr);
	ksft_test_result(!err && !nr, "census: a stack full of pointers to itself ends, no finding (err %d, %u)\n",
			 err, nr);
	put(VA_B + 0x18, VA_A + 0x10);			/* a vmap cycle */
	err = census(&nr);
	ksft_test_result(err == -ELOOP, "census: a cycle in the vmap area tree ends in -ELOOP (%d)\n",
			 err);

	/* The namespace rules on A (pid 1, its parent init_task). */
	census_guest();
	put32(PID_A + 4, 1);				/* level 1 */
	err = census(&nr);
	ksft_test_result(!err && nr == 1 && !strcmp(findings[0].check, "credentials") &&
			 strstr(findings[0].message, "init_nsproxy"),
			 "census: a task of a child pid namespace with init_nsproxy: one credentials finding (err %d, %u: %s)\n",
			 err, nr, nr ? findings[0].message : "");
	put(TASK_A + T_NSPROXY, NSPROXY_C);
	err = census(&nr);
	ksft_test_result(!err && nr == 1 && strstr(findings[0].message, "init's root"),
			 "census: init's root in another mount namespace: one finding (err %d, %u: %s)\n",
			 err, nr, nr ? findings[0].message : "");
	put(TASK_A + T_FS, FS_C);
	err = census(&nr);
	ksft_test_result(!err && !nr, "census: a container's nsproxy and its own root: no finding (err %d, %u: %s)\n",
			 err, nr, nr ? findings[0].message : "");
	put32(PID_A + 4, 0xffffffff);			/* a level past 32 */
	put(TASK_A + T_FS, INIT_FS);
	err = census(&nr);
	ksft_test_result(!err && !nr, "census: a pid level of 2^32-1 is not read past (err %d, %u)\n",
			 err, nr);
	/*
	 * The level comes from the IDR's read of the pid only for the task
	 * whose thread_pid that pid is: a thread_pid the IDR does not hold
	 * (level 1 there, 0 in the IDR's) is read for itself.
	 */
	census_guest();
	put(TASK_A + T_THREAD_PID, PID_X);
	put32(PID_X + 4, 1);
	put(PID_X + 0x38, INIT_PID_NS);
	err = census(&nr);
	ksft_test_result(!err && nr == 1 && strstr(findings[0].message, "init_nsproxy"),
			 "census: a thread_pid other than the IDR's pid: its own level is judged (err %d, %u: %s)\n",
			 err, nr, nr ? findings[0].message : "");
	put(TASK_A + T_THREAD_PID, 0xffffffffdead0000ULL);	/* unmapped */
	err = census(&nr);
	ksft_test_result(!err && !nr,
			 "census: an unmapped thread_pid is not judged, no error (err %d, %u)\n",
			 err, nr);

	/*
	 * The bounding set: A's parent B (only in init's children list:
	 * one hidden-process finding of its own) holds fewer capabilities.
	 */
	census_guest();
	t[0] = TASK_A + T_SIBLING;
	t[1] = TASK_B + T_SIBLING;
	list_ring(INIT_TASK + T_CHILDREN, t, 2);
	list_ring(TASK_B + T_CHILDREN, NULL, 0);
	put(TASK_B + T_PID, 2ULL | 2ULL << 32);
	put(TASK_B + T_PARENT, INIT_TASK);
	put(TASK_B + T_LEADER, TASK_B);
	put(TASK_A + T_PARENT, TASK_B);
	put(TASK_B + T_REAL_CRED, CRED_B);
	put(TASK_B + T_CRED, CRED_B);
	put(CRED_B, 1ULL << 32);			/* uid, euid 0 */
	put(CRED_B + 0x20, 0x1ffffffffffULL & ~(1ULL << 21));
	put(CRED_B + 0x28, INIT_USERNS);
	err = census(&nr);
	ksft_test_result(!err && nr == 2 && strstr(findings[0].message, "0x200000") &&
			 strstr(findings[0].message, "pid 2 lacks"),
			 "census: a bounding set beyond its parent's, same user namespace: found, with the capability (err %d, %u: %s)\n",
			 err, nr, nr ? findings[0].message : "");
	put(CRED_B + 0x28, USERNS_C);			/* A's an ancestor of B's */
	err = census(&nr);
	ksft_test_result(!err && nr == 2,
			 "census: ... and where the child's user namespace is an ancestor of the parent's (err %d, %u)\n",
			 err, nr);
	put(CRED_A + 0x28, USERNS_C);			/* A's below B's */
	put(CRED_B + 0x28, INIT_USERNS);
	err = census(&nr);
	ksft_test_result(!err && nr == 1,
			 "census: a child in a new user namespace (a full set) is not compared (err %d, %u)\n",
			 err, nr);
	put(USERNS_C, USERNS_C);			/* a parent loop */
	put(CRED_A + 0x28, INIT_USERNS);
	put(CRED_B + 0x28, USERNS_C);
	err = census(&nr);
	ksft_test_result(!err && nr == 1,
			 "census: a user namespace that is its own parent ends, not compared (err %d, %u)\n",
			 err, nr);
	put(CRED_B + 0x28, INIT_USERNS);
	put(INIT_PID_NS + 0x30, TASK_B);		/* B: the namespace's init */
	err = census(&nr);
	ksft_test_result(!err && nr == 1,
			 "census: a parent that is its pid namespace's init (orphans from setns()) is not compared (err %d, %u)\n",
			 err, nr);

	/* Random words over every structure: each census must end. */
	srand(7);
	for (i = 0; i < 300; i++) {
		u32 k, n = 1 + rand() % 8;

		census_guest();
		census_hidden_stack();
		for (k = 0; k < n; k++) {
			u64 at = C + (rand() % 0x5200 & ~7ULL);
			u64 r = rand() % 2 ? C + (rand() % 0x5200 & ~7ULL) +
					     (rand() % 4 ? 0 : 8) :
					     (u64)rand() << 33 ^ rand();

			put(at, r);
		}
		census(&nr);
		ok++;
	}
	ksft_test_result(ok == 300, "census: 300 guests with random words over their structures: every census ended\n");

	/* Its tasks for the checks after it (engine_tasks_shared()). */
	census_guest();
	engine_tasks_keep(&v);
	err = census(&nr);
	shared = engine_tasks_shared(&v, &nr_shared);
	ksft_test_result(!err && shared && nr_shared == 1 &&
			 shared[0].addr == TASK_A && shared[0].mm == MM_A &&
			 shared[0].files == FILES_A && shared[0].pid == 1 &&
			 shared[0].tgid == 1,
			 "census: kept for the checks after it: task, mm, files, pid (err %d, %zu)\n",
			 err, shared ? nr_shared : 0);
	put(TASK_A + T_TASKS, TASK_A + T_TASKS);	/* a self-loop */
	err = census(&nr);
	ksft_test_result(err == -ELOOP && !engine_tasks_shared(&v, &nr_shared),
			 "census: a census that fails leaves no tasks, not the last ones (%d)\n",
			 err);
	census_guest();
	engine_tasks_drop(&v);
	err = census(&nr);
	ksft_test_result(!err && !engine_tasks_shared(&v, &nr_shared),
			 "census: outside a check (not kept) no tasks are shared (%d)\n",
			 err);
	symmap_free(v.symmap);
	v.symmap = NULL;
	btf__free(v.btf);
	v.btf = NULL;
}

/*
 * The hidden-module check's wait for an RCU grace period
 * (hidden_rcu_gp_pending()): rcu_state with its root rcu_node, two CPUs'
 * rcu_data, each state a grace period can be in, forged counts.
 */
#define R		(KBASE + 0x180000)
#define R_STATE		(R + 0x000)	/* node[0] at 0, gp_seq 0x40, exp 0x48 */
#define R_NEEDED	(R_STATE + 0x08)	/* node[0].gp_seq_needed */
#define R_SEQ		(R_STATE + 0x40)
#define R_EXP		(R_STATE + 0x48)
#define R_PCPU		(R + 0x100)	/* __per_cpu_offset[2] */
#define R_NR_CPUS	(R + 0x120)
#define R_DATA		(R + 0x1000)	/* rcu_data, CPU 1's 0x800 on */
#define R_CBS_LEN	0x28		/* rcu_data.cblist.len */

static struct btf *rcu_btf(void)
{
	struct tiny_btf t;
	struct btf *b = tiny_btf_new(&t);
	int ulong = btf__add_int(b, "long unsigned int", 8, 0);
	int slong = btf__add_int(b, "long int", 8, BTF_INT_SIGNED);
	int node, cbl;

	{
		const int types[] = { ulong, ulong };
		const u32 offs[] = { 0, 8 };

		node = STRUCT(b, "rcu_node", 0x40, "gp_seq", "gp_seq_needed");
	}
	{
		const int types[] = { btf__add_array(b, t.i32, node, 1), ulong,
				      ulong };
		const u32 offs[] = { 0, 0x40, 0x48 };

		STRUCT(b, "rcu_state", 0x80, "node", "gp_seq",
		       "expedited_sequence");
	}
	{
		const int types[] = { t.ptr, slong };
		const u32 offs[] = { 0, 0x20 };

		cbl = STRUCT(b, "rcu_segcblist", 0x40, "head", "len");
	}
	{
		const int types[] = { ulong, cbl };
		const u32 offs[] = { 0, 0x08 };

		STRUCT(b, "rcu_data", 0x100, "gp_seq", "cblist");
	}
	return b;
}

/* An idle guest: grace period 0x1000 over, none needed, no callbacks. */
static void rcu_guest(void)
{
	memset(ram + DATA_GPA + (R - KBASE), 0, 0x2000);
	put(R_STATE, 0x1000);
	put(R_NEEDED, 0x1000);
	put(R_SEQ, 0x1000);
	put(R_EXP, 0x10);
	put(R_PCPU, 0);
	put(R_PCPU + 8, 0x800);
	put(R_NR_CPUS, 2);
}

static void test_rcu_wait(void)
{
	static const struct sym syms[] = {
		{ "rcu_state", R_STATE }, { "_text", KBASE },
		{ "rcu_data", R_DATA }, { "__per_cpu_offset", R_PCPU },
		{ "nr_cpu_ids", R_NR_CPUS },
	};
	struct hidden_rcu_wait w = {};
	bool a, b, c;
	u32 i;

	v.btf = rcu_btf();
	test_symmap_load(syms, ARRAY_SIZE(syms), &v.symmap);
	v.info.text_va = KBASE;

	rcu_guest();
	ksft_test_result(!hidden_rcu_gp_pending(&v, &w) && w.started,
			 "rcu wait: no grace period running or needed, no callbacks: no wait\n");

	rcu_guest();
	w = (struct hidden_rcu_wait){};
	put(R_DATA + 0x800 + R_CBS_LEN, 3);	/* CPU 1 */
	a = hidden_rcu_gp_pending(&v, &w);
	put(R_SEQ, 0x1001);			/* the grace period starts */
	b = hidden_rcu_gp_pending(&v, &w);
	put(R_SEQ, 0x1004);			/* and ends */
	c = hidden_rcu_gp_pending(&v, &w);
	ksft_test_result(a && b && !c,
			 "rcu wait: a callback queued: until a grace period begun after the first look ends (%d %d %d)\n",
			 a, b, c);

	rcu_guest();
	w = (struct hidden_rcu_wait){};
	put(R_NEEDED, 0x1004);
	a = hidden_rcu_gp_pending(&v, &w);
	put(R_NEEDED, 0x1000);
	put(R_SEQ, 0x1001);
	b = hidden_rcu_gp_pending(&v, &w);
	ksft_test_result(a && b, "rcu wait: a grace period requested, then running: wait (%d %d)\n",
			 a, b);

	rcu_guest();
	w = (struct hidden_rcu_wait){};
	put(R_SEQ, 0x1001);			/* began before the first look */
	put(R_NEEDED, 0x1008);
	a = hidden_rcu_gp_pending(&v, &w);
	put(R_SEQ, 0x1004);			/* over; the next one needed */
	b = hidden_rcu_gp_pending(&v, &w);
	put(R_SEQ, 0x1008);
	put(R_DATA + R_CBS_LEN, 1);		/* more callbacks since */
	put(R_NEEDED, 0x100c);
	c = hidden_rcu_gp_pending(&v, &w);
	ksft_test_result(a && b && !c,
			 "rcu wait: a grace period running at the first look is not enough, the next one is (%d %d %d)\n",
			 a, b, c);

	rcu_guest();
	w = (struct hidden_rcu_wait){};
	put(R_EXP, 0x11);
	a = hidden_rcu_gp_pending(&v, &w);
	put(R_EXP, 0x14);
	b = hidden_rcu_gp_pending(&v, &w);
	ksft_test_result(a && !b, "rcu wait: an expedited grace period, while it runs (%d %d)\n",
			 a, b);

	rcu_guest();
	w = (struct hidden_rcu_wait){};
	put(R_SEQ, 0xfffffffffffffffcULL);	/* the counter wraps */
	put(R_NEEDED, 0);
	a = hidden_rcu_gp_pending(&v, &w);
	put(R_SEQ, 0);
	b = hidden_rcu_gp_pending(&v, &w);
	ksft_test_result(a && !b, "rcu wait: across the counter's wrap (%d %d)\n",
			 a, b);

	/* Forged: what cannot be read is no callback, and no error. */
	rcu_guest();
	w = (struct hidden_rcu_wait){};
	put(R_DATA + R_CBS_LEN, 1);
	put(R_NR_CPUS, 0xffffffff);
	snprintf(v.diag.msg, sizeof(v.diag.msg), "before");
	a = hidden_rcu_gp_pending(&v, &w);
	put(R_NR_CPUS, 2);
	put(R_PCPU, 0xdead000000000000ULL);
	b = hidden_rcu_gp_pending(&v, &w);
	ksft_test_result(!a && !b && !strcmp(v.diag.msg, "before"),
			 "rcu wait: nr_cpu_ids of 2^32-1, a bad per-cpu offset: no callback seen, no message left (%d %d: %s)\n",
			 a, b, v.diag.msg);

	rcu_guest();
	w = (struct hidden_rcu_wait){};
	put(R_SEQ, 0x2001);		/* a grace period that never ends */
	for (a = true, i = 0; i < 100; i++)
		a = a && hidden_rcu_gp_pending(&v, &w);
	ksft_test_result(a, "rcu wait: a grace period forged never to end: pending at every look (the caller's tries end it)\n");

	symmap_free(v.symmap);
	test_symmap_load(syms + 1, ARRAY_SIZE(syms) - 1, &v.symmap);
	w = (struct hidden_rcu_wait){};
	a = hidden_rcu_gp_pending(&v, &w);
	symmap_free(v.symmap);
	v.symmap = NULL;
	btf__free(v.btf);
	v.btf = NULL;
	ksft_test_result(!a,
			 "rcu wait: a kernel without rcu_state: no wait\n");
}

int main(void)
{
	ksft_print_header();
	ksft_set_plan(67);
	/* hostile lists fail every scan: no waits between their retries */
	hidden_torn_wait_us = 0;
	guest_init();
	test_rb();
	test_xa();
	test_csets();
	test_carve();
	test_random();
	test_census();
	test_rcu_wait();
	free(ram);
	ksft_finished();
}
