// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * core/procwalk.c on crafted guest memory: the walk of /proc and each
 * namespace's /proc/net that proc-ops runs in userspace (and vmiaas.ko's
 * record, later) names every entry by its path with its three operation
 * pointers, and turns what a hostile guest can do to the trees (rbtree
 * cycles, a directory containing itself, non-kernel pointers, unreadable
 * names, names of 255 bytes at every level, too many entries, a NULL
 * proc_net) into bad entries: no hang, no read or write out of bounds
 * (run under ASan in make check).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/procwalk.h"
#include "tests/lib/tap.h"

#define BASE		0xffff888000000000ULL
#define ARENA		0x20000
#define HEAD		(BASE + 0x100)		/* net_namespace_list */
#define NET		(BASE + 0x1000)		/* init_net */
#define PDE(i)		(BASE + 0x4000 + 0x200 * (i))
#define NAMES		(BASE + 0x10000)

/* struct proc_dir_entry and rb_node as crafted here */
#define O_IOPS		0x20
#define O_OPS		0x28
#define O_SEQ		0x38
#define O_SUBDIR	0x60
#define O_NODE		0x68	/* rb_node: right at +8, left at +16 */
#define O_NAME		0x80
#define O_NAMELEN	0x88
#define O_MODE		0x8a
#define PDE_SIZE	0xc0

enum { ROOT, MODULES, SYS, KERNEL, X, NETTOP, TCP, NR_PDE };

static u8 mem[ARENA];

static int arena_read(void *ctx, u64 va, void *buf, size_t len)
{
	(void)ctx;
	if (va < BASE || va - BASE >= ARENA || len > ARENA - (va - BASE))
		return -EFAULT;
	memcpy(buf, mem + (va - BASE), len);
	return 0;
}

static const struct vmi_read_ops ops = { .read = arena_read };

static void put64(u64 va, u64 v)
{
	memcpy(mem + (va - BASE), &v, 8);
}

static void pde(int i, const char *name, bool dir)
{
	u64 p = PDE(i), n = NAMES + 0x100 * i;
	u16 mode = dir ? 0040555 : 0100444;

	memcpy(mem + (n - BASE), name, strlen(name));
	put64(p + O_NAME, n);
	mem[p - BASE + O_NAMELEN] = (u8)strlen(name);
	memcpy(mem + (p - BASE) + O_MODE, &mode, 2);
	put64(p + O_OPS, 0xffffffff82000000ULL + i);
	put64(p + O_IOPS, 0xffffffff82100000ULL + i);
	put64(p + O_SEQ, dir ? 0 : 0xffffffff82200000ULL + i);
}

/* @parent's subdir: @left's node at its root, @right below it. */
static void tree(int parent, int root, int right)
{
	put64(PDE(parent) + O_SUBDIR, PDE(root) + O_NODE);
	if (right >= 0)
		put64(PDE(root) + O_NODE + 8, PDE(right) + O_NODE);
}

static void craft(void)
{
	memset(mem, 0, sizeof(mem));
	pde(ROOT, "", true);
	pde(MODULES, "modules", false);
	pde(SYS, "sys", true);
	pde(KERNEL, "kernel", true);
	pde(X, "x", false);
	pde(NETTOP, "net", true);
	pde(TCP, "tcp", false);
	tree(ROOT, SYS, MODULES);	/* /proc: sys, modules */
	tree(SYS, KERNEL, -1);
	tree(KERNEL, X, -1);
	tree(NETTOP, TCP, -1);
	put64(HEAD, NET + 0x10);	/* one namespace: init_net */
	put64(NET + 0x10, HEAD);
	put64(NET + 0x20, 4026531840ULL);
	put64(NET + 0x30, PDE(NETTOP));	/* proc_net */
}

static struct vmi_proc_layout layout(void)
{
	return (struct vmi_proc_layout){
		.root = PDE(ROOT), .init_net = NET, .net_head = HEAD,
		.ptr = { O_OPS, O_IOPS, O_SEQ },
		.subdir = O_SUBDIR, .node = O_NODE, .name = O_NAME,
		.namelen = O_NAMELEN, .mode = O_MODE, .size = PDE_SIZE,
		.rb_left = 16, .rb_right = 8,
		.net_list = 0x10, .proc_net = 0x30, .net_inum = 0x20,
		.max_entries = 1000, .max_nodes = 1000, .max_netns = 16,
	};
}

struct seen {
	char paths[2048];
	int nr, bad, last_bad, last_err;
	u64 last_ptr0;
	size_t longest;
};

static int collect(void *ctx, const struct vmi_proc_entry *e)
{
	struct seen *s = ctx;
	size_t n = strlen(s->paths);

	if (strlen(e->path) > s->longest)
		s->longest = strlen(e->path);
	if (n + strlen(e->path) + 2 < sizeof(s->paths))
		snprintf(s->paths + n, sizeof(s->paths) - n, "%s%s%s",
			 n ? " " : "", e->bad ? "!" : "",
			 strlen(e->path) < 64 ? e->path : "LONG");
	s->nr++;
	if (e->bad) {
		s->bad++;
		s->last_bad = e->bad;
		s->last_err = e->err;
	}
	s->last_ptr0 = e->ptr[0];
	return 0;
}

static struct vmi_proc_scratch scratch;

static int walk(const struct vmi_proc_layout *l, bool init_only,
		struct seen *s)
{
	memset(s, 0, sizeof(*s));
	return vmi_proc_walk(&ops, l, init_only, &scratch, collect, s);
}

static void test_clean(void)
{
	struct vmi_proc_layout l = layout();
	struct seen s;
	int err;

	craft();
	err = walk(&l, false, &s);
	ksft_test_result(!err && !s.bad &&
			 !strcmp(s.paths, "/proc /proc/sys /proc/sys/kernel /proc/sys/kernel/x /proc/modules /proc/net/. /proc/net/tcp") &&
			 s.last_ptr0 == 0xffffffff82000000ULL + TCP,
			 "every entry by its path, /proc then /proc/net (%s)\n",
			 s.paths);
}

static void test_rb_cycle(void)
{
	struct vmi_proc_layout l = layout();
	struct seen s;
	int err;

	craft();
	put64(PDE(MODULES) + O_NODE + 16, PDE(SYS) + O_NODE);	/* back up */
	err = walk(&l, false, &s);
	ksft_test_result(!err && s.bad == 1 && s.last_bad == VMI_PROC_BAD_TREE &&
			 s.last_err == -ELOOP && strstr(s.paths, "/proc/net/tcp"),
			 "an rbtree cycle: one bad tree, the walk goes on (%d entries)\n",
			 s.nr);
}

static void test_self_dir(void)
{
	struct vmi_proc_layout l = layout();
	char name[256];
	struct seen s;
	int err;

	craft();
	memset(name, 'a', 255);
	name[255] = '\0';
	pde(KERNEL, name, true);
	tree(KERNEL, KERNEL, -1);	/* a directory holding itself */
	err = walk(&l, true, &s);
	ksft_test_result(!err && s.bad == 1 &&
			 s.last_bad == VMI_PROC_BAD_DEPTH &&
			 s.longest == VMI_PROC_PATH_MAX - 1,
			 "a directory holding itself, names of 255 bytes: cut at %zu bytes, stopped at depth 8 (err %d, %d bad: %d)\n",
			 s.longest, err, s.bad, s.last_bad);
}

static void test_user_pointer(void)
{
	struct vmi_proc_layout l = layout();
	struct seen s;
	int err;

	craft();
	put64(PDE(SYS) + O_NODE + 8, 0x7fff00000000ULL);
	err = walk(&l, false, &s);
	ksft_test_result(!err && s.bad == 1 && s.last_err == -EBADMSG,
			 "a non-kernel pointer in a tree: a bad tree, never followed\n");
}

static void test_bad_name(void)
{
	struct vmi_proc_layout l = layout();
	struct seen s;
	int err;

	craft();
	put64(PDE(MODULES) + O_NAME, BASE + 0x100000);
	err = walk(&l, false, &s);
	ksft_test_result(!err && s.bad == 1 && s.last_bad == VMI_PROC_BAD_ENTRY &&
			 strstr(s.paths, "!/proc ") && strstr(s.paths, "/proc/net/tcp"),
			 "an unreadable name: a bad entry of its directory, the rest walked\n");
}

static void test_caps(void)
{
	struct vmi_proc_layout l = layout();
	struct seen s;
	int err;

	craft();
	l.max_entries = 3;
	err = walk(&l, false, &s);
	ksft_test_result(!err && s.bad == 1 && s.last_bad == VMI_PROC_BAD_WALK &&
			 s.last_err == -E2BIG,
			 "over the entry cap: a bad walk\n");
	craft();
	put64(NET + 0x30, 0);
	l = layout();
	err = walk(&l, false, &s);
	ksft_test_result(!err && s.bad == 1 && s.last_bad == VMI_PROC_BAD_NET,
			 "a NULL proc_net: a bad namespace\n");
	craft();
	put64(NET + 0x10, NET + 0x10);	/* the namespace list: a cycle */
	err = walk(&l, false, &s);
	ksft_test_result(!err && s.last_bad == VMI_PROC_BAD_WALK &&
			 s.last_err == -ELOOP,
			 "a namespace list cycle: a bad walk, no hang\n");
	l.size = VMI_PROC_PDE_MAX + 8;
	ksft_test_result(walk(&l, false, &s) == -EINVAL && !s.nr,
			 "an implausible layout is refused before any read\n");
}

/* vmiaas.ko's judgement: pointers outside the ranges, watched entries. */
static void test_suspects(void)
{
	const struct vmi_range allow[] = {
		{ 0xffffffff82000000ULL, 0xffffffff82300000ULL },
	};
	struct vmi_proc_layout l = layout();
	struct vmi_proc_watch watch = {
		.key = vmi_path_key("/proc/net/tcp"),
		.ptr = { 0xffffffff82000000ULL + TCP,
			 0xffffffff82100000ULL + TCP,
			 0xffffffff82200000ULL + TCP },
	};
	struct vmi_proc_suspects s = { .allow = allow, .nr_allow = 1,
				       .watch = &watch, .nr_watch = 1 };
	int err[4];
	u64 nr[4];

	craft();
	err[0] = vmi_proc_suspects(&ops, &l, &scratch, &s);
	nr[0] = s.nr;
	put64(PDE(TCP) + O_SEQ, BASE + 0x5000);		/* a copy in the heap */
	err[1] = vmi_proc_suspects(&ops, &l, &scratch, &s);
	nr[1] = s.nr;
	ksft_test_result(!err[0] && !nr[0] && !err[1] && nr[1] == 1 &&
			 s.first_pde == PDE(TCP) && s.first_ptr == 2 &&
			 !s.first_bad,
			 "suspects: none on the crafted tree; seq_ops in the heap: /proc/net/tcp's pointer 2\n");
	put64(PDE(TCP) + O_SEQ, 0xffffffff82200000ULL + X);	/* another table */
	err[2] = vmi_proc_suspects(&ops, &l, &scratch, &s);
	nr[2] = s.nr;
	put64(PDE(TCP) + O_SEQ, 0xffffffff82200000ULL + TCP);
	put64(PDE(X) + O_SEQ, 0xffffffff82200000ULL + MODULES);	/* unwatched */
	put64(PDE(MODULES) + O_NODE + 16, PDE(SYS) + O_NODE);	/* a cycle */
	err[3] = vmi_proc_suspects(&ops, &l, &scratch, &s);
	nr[3] = s.nr;
	ksft_test_result(!err[2] && nr[2] == 1 && !err[3] && nr[3] == 1 &&
			 s.first_bad == VMI_PROC_BAD_TREE,
			 "suspects: a watched entry pointed at another kernel table; a cycle (one bad tree)\n");
}

/* Every entry watched (sorted by key, as vmiaas.ko holds a baseline). */
static u32 watch_all(struct vmi_proc_watch *w)
{
	static const char *const paths[NR_PDE] = {
		"/proc", "/proc/modules", "/proc/sys", "/proc/sys/kernel",
		"/proc/sys/kernel/x", "/proc/net/.", "/proc/net/tcp",
	};
	u32 i, j;

	for (i = 0; i < NR_PDE; i++) {
		w[i].key = vmi_path_key(paths[i]);
		w[i].ptr[0] = 0xffffffff82000000ULL + i;
		w[i].ptr[1] = 0xffffffff82100000ULL + i;
		w[i].ptr[2] = i == ROOT || i == SYS || i == KERNEL ||
			      i == NETTOP ? 0 : 0xffffffff82200000ULL + i;
	}
	for (i = 1; i < NR_PDE; i++)	/* insertion sort by key */
		for (j = i; j && w[j - 1].key > w[j].key; j--) {
			struct vmi_proc_watch t = w[j];

			w[j] = w[j - 1];
			w[j - 1] = t;
		}
	return NR_PDE;
}

/* A baseline's every entry: any one changed is named, old and new. */
static void test_watch_all(void)
{
	const struct vmi_range allow[] = {
		{ 0xffffffff82000000ULL, 0xffffffff82300000ULL },
	};
	struct vmi_proc_layout l = layout();
	struct vmi_proc_watch w[NR_PDE];
	struct vmi_proc_suspects s = { .allow = allow, .nr_allow = 1,
				       .watch = w };
	int err[2];
	u64 nr[2];

	s.nr_watch = watch_all(w);
	craft();
	err[0] = vmi_proc_suspects(&ops, &l, &scratch, &s);
	nr[0] = s.nr;
	put64(PDE(X) + O_IOPS, 0xffffffff82100000ULL + MODULES);
	err[1] = vmi_proc_suspects(&ops, &l, &scratch, &s);
	nr[1] = s.nr;
	ksft_test_result(vmi_proc_watch_sorted(w, NR_PDE) && !err[0] &&
			 !nr[0] && !err[1] && nr[1] == 1 &&
			 !strcmp(s.first_path, "/proc/sys/kernel/x") &&
			 s.first_ptr == 1 && !s.first_bad && !s.first_root &&
			 s.first_now == 0xffffffff82100000ULL + MODULES &&
			 s.first_old == 0xffffffff82100000ULL + X &&
			 !s.first_netns,
			 "every entry watched: none on the crafted tree; /proc/sys/kernel/x's proc_iops named with old and new (%s)\n",
			 s.first_path);
	w[1].key = w[0].key;
	ksft_test_result(!vmi_proc_watch_sorted(w, NR_PDE),
			 "watches with a key twice are not sorted (the module refuses them)\n");
}

/* super_blocks at SB_HEAD: a procfs superblock and another filesystem's */
#define SB_HEAD		(BASE + 0x18000)
#define SB(i)		(BASE + 0x18100 + 0x100 * (i))	/* s_list at 0 */
#define FS_PROC		(BASE + 0x18800)
#define DENTRY		(BASE + 0x18900)		/* d_inode at 0x30 */
#define INODE		(BASE + 0x18a00)		/* i_op 0x20, i_fop 0x28 */

static struct vmi_proc_roots roots(void)
{
	return (struct vmi_proc_roots){
		.super_blocks = SB_HEAD, .proc_fs_type = FS_PROC,
		.s_list = 0, .s_type = 0x28, .s_root = 0x60, .d_inode = 0x30,
		.i_fop = 0x28, .i_op = 0x20, .max_sbs = 16,
	};
}

static void craft_sbs(void)
{
	put64(SB_HEAD, SB(0));
	put64(SB(0), SB(1));
	put64(SB(1), SB_HEAD);
	put64(SB(0) + 0x28, BASE + 0x18f00);	/* another type */
	put64(SB(1) + 0x28, FS_PROC);
	put64(SB(1) + 0x60, DENTRY);
	put64(DENTRY + 0x30, INODE);
	put64(INODE + 0x28, 0xffffffff82000000ULL + ROOT);	/* proc_ops */
	put64(INODE + 0x20, 0xffffffff82100000ULL + ROOT);	/* proc_iops */
}

/* The root inode of each mounted /proc, against "/proc"'s watch. */
static void test_roots(void)
{
	const struct vmi_range allow[] = {
		{ 0xffffffff82000000ULL, 0xffffffff82300000ULL },
	};
	struct vmi_proc_layout l = layout();
	struct vmi_proc_roots rl = roots();
	struct vmi_proc_watch w[NR_PDE];
	struct vmi_proc_suspects s = { .allow = allow, .nr_allow = 1,
				       .watch = w, .roots = &rl };
	struct seen seen = { 0 };
	int err[5];
	u64 nr[4];

	s.nr_watch = watch_all(w);
	craft();
	craft_sbs();
	err[0] = vmi_proc_roots_walk(&ops, &rl, collect, &seen);
	err[1] = vmi_proc_suspects(&ops, &l, &scratch, &s);
	nr[0] = s.nr;
	ksft_test_result(!err[0] && seen.nr == 1 && !seen.bad &&
			 !strcmp(seen.paths, VMI_PROC_ROOT_PATH) && !err[1] &&
			 !nr[0],
			 "root inodes: the one procfs superblock of two, as watched (%s)\n",
			 seen.paths);
	put64(INODE + 0x28, 0xffffffffc0001000ULL);	/* a module's copy */
	err[1] = vmi_proc_suspects(&ops, &l, &scratch, &s);
	nr[1] = s.nr;
	put64(INODE + 0x28, 0xffffffff82000000ULL + MODULES);
	err[2] = vmi_proc_suspects(&ops, &l, &scratch, &s);
	nr[2] = s.nr;
	ksft_test_result(!err[1] && nr[1] == 1 && !err[2] && nr[2] == 1 &&
			 s.first_root && s.first_ptr == 0 &&
			 s.first_pde == INODE &&
			 s.first_old == 0xffffffff82000000ULL + ROOT &&
			 !strcmp(s.first_path, VMI_PROC_ROOT_PATH),
			 "root inodes: i_fop outside the ranges, then at another kernel table: named as the root inode\n");
	craft_sbs();
	put64(SB(1) + 0x60, 0);				/* no root */
	err[3] = vmi_proc_suspects(&ops, &l, &scratch, &s);
	nr[2] = s.nr;
	craft_sbs();
	put64(SB(1), SB(0));				/* a cycle */
	err[4] = vmi_proc_suspects(&ops, &l, &scratch, &s);
	nr[3] = s.nr;
	ksft_test_result(!err[3] && nr[2] == 1 && !err[4] && nr[3] == 1 &&
			 s.first_bad == VMI_PROC_BAD_SUPERS &&
			 s.first_err == -ELOOP && s.first_root,
			 "root inodes: a NULL root a bad root, a superblock cycle a bad list, no hang\n");
	rl.proc_fs_type = 0x7fff0000ULL;
	ksft_test_result(vmi_proc_roots_walk(&ops, &rl, collect, &seen) ==
			 -EINVAL && vmi_proc_suspects(&ops, &l, &scratch, &s) ==
			 -EINVAL,
			 "root inodes: a user-half proc_fs_type is refused before any read\n");
}

int main(void)
{
	ksft_print_header();
	ksft_set_plan(17);
	test_clean();
	test_rb_cycle();
	test_self_dir();
	test_user_pointer();
	test_bad_name();
	test_caps();
	test_suspects();
	test_watch_all();
	test_roots();
	ksft_finished();
}
