// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * vfs-ops's walks (userspace/lib/check_vfsops.c) on a tiny guest built by
 * hand: a superblock list, a root dentry with cached children, a task
 * with an fd table, laid out with offsets of our own. A clean tree gives
 * no finding; a directory's i_fop in the heap or the image's writable
 * data, an open file's f_op in the heap are found and named by path. The
 * hostile cases: a children ring that loops without its head, a chain of
 * directories deeper than the cap, a superblock list that loops, an fd
 * table whose max_fds is forged or whose array is unmapped, and then
 * random words: every walk ends, without a finding made of the garbage
 * where the structure is merely torn; ASan/UBSan (make san) catch the rest.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "userspace/lib/checks.h"
#include "userspace/lib/vfsops.h"
#include "tests/lib/tap.h"
#include "tests/lib/tinyguest.h"

#define AT(off)		(KBASE + (u64)(off))
#define TEXT		AT(0x100000)	/* .. 0x110000 */
#define RODATA		AT(0x110000)	/* .. 0x120000 */
#define KDATA		AT(0x120000)	/* .. 0x130000: the image's rw data */
#define HEAP		AT(0x1f0000)
#define SBS		AT(0x1000)	/* the super_blocks head */
#define SB		AT(0x2000)
#define FSTYPE		AT(0x3000)
#define NAMES		AT(0x4000)	/* 64 bytes a name, 256 */
#define DENTRY(i)	AT(0x10000 + (u64)(i) * 0x100)
#define INODE(i)	AT(0x30000 + (u64)(i) * 0x100)
#define TASKS		AT(0x50000)	/* init_task; tasks at 0 */
#define TASK		AT(0x51000)
#define FILES		AT(0x52000)
#define FDT		AT(0x53000)
#define FDARR		AT(0x54000)
#define FILE1		AT(0x55000)
#define MOUNT		AT(0x56000)
#define MOD_NFS		AT(0x60000)	/* struct module of "nfs" */
#define MOD_NFS4	AT(0x61000)	/* of "nfsv4", which uses nfs */
#define MOD_USE		AT(0x62000)	/* struct module_use */

static struct vfs_scan scan;

static void layout(struct vfs_layout *l)
{
	*l = (struct vfs_layout){
		.s_list = 0, .s_type = 16, .s_ptr = { 24, 32, 40, 48 },
		.s_root = 56, .s_mounts = 64,
		.fs_name = 0, .fs_owner = 8,
		.d_op = 0, .d_inode = 8, .d_parent = 16, .d_name = 24,
		.d_children = 32, .d_sib = 48, .d_flags = 64,
		.i_op = 0, .i_fop = 8, .i_mode = 16, .i_sb = 24,
		.mnt_parent = 0, .mnt_mountpoint = 8, .mnt_root = 16, .mnt = 16,
		.mnt_instance = 32, .mnt_ns = 48,
		.tasks = 0, .tgid = 16, .files = 24,
		.fdt = 0, .max_fds = 0, .fd = 8,
		.f_op = 0, .f_inode = 8, .f_dentry = 16, .f_mnt = 24,
		.fop_size = 256,
		.has_deps = true, .m_target_list = 0x40,
		.mu_target_list = 16, .mu_target = 40,
	};
}

static void name(u64 dentry, int i, const char *s)
{
	memcpy(ram + DATA_GPA + (NAMES + 64 * i - KBASE), s, strlen(s) + 1);
	put(dentry + 24, NAMES + 64 * i);
}

/* Dentry @i of inode @i, mode @mode, under @parent. */
static void dentry(int i, u64 parent, u16 mode, const char *s)
{
	u64 d = DENTRY(i), in = INODE(i);

	put(d + 0, 0);
	put(d + 8, in);
	put(d + 16, parent);
	put(d + 64, S_ISDIR(mode) ? VFS_DCACHE_DIRECTORY : 0x00400000);
	name(d, i, s);
	list_ring(d + 32, NULL, 0);
	put(in + 0, RODATA + 0x100);
	put(in + 8, RODATA + 0x200);
	put(in + 16, mode);
	put(in + 24, SB);
}

/* One tmpfs superblock, root DENTRY(0) with children 1 (dir), 2 (file). */
static void build(void)
{
	u64 nodes[2] = { DENTRY(1) + 48, DENTRY(2) + 48 }, sb = SB;

	memset(ram + DATA_GPA, 0, 0x100000);
	list_ring(SBS, &sb, 1);
	put(SB + 16, FSTYPE);
	put(SB + 24, TEXT + 0x40);		/* s_op: fine */
	put(SB + 48, KDATA + 0x80);		/* s_xattr: an array, fine */
	put(SB + 56, DENTRY(0));
	list_ring(SB + 64, NULL, 0);
	put(FSTYPE, NAMES + 64 * 255);
	memcpy(ram + DATA_GPA + (NAMES + 64 * 255 - KBASE), "tmpfs", 6);
	dentry(0, DENTRY(0), S_IFDIR, "/");
	dentry(1, DENTRY(0), S_IFDIR, "d1");
	dentry(2, DENTRY(0), S_IFREG, "f2");
	list_ring(DENTRY(0) + 32, nodes, 2);
	/* init_task's ring: one process, pid 7, fd 1 open on f2 */
	list_ring(TASKS, (u64[]){ TASK }, 1);
	put(TASK + 16, 7);
	put(TASK + 24, FILES);
	put(FILES, FDT);
	put(FDT, 4);
	put(FDT + 8, FDARR);
	put(FDARR + 8, FILE1);
	put(FILE1, RODATA + 0x300);
	put(FILE1 + 8, INODE(2));
	put(FILE1 + 16, DENTRY(2));
	put(FILE1 + 24, MOUNT + 16);
	put(MOUNT, MOUNT);			/* its own parent: "/" */
}

static int walk(void)
{
	const struct hidden_sink sink = { .add = add_finding };

	nr_findings = 0;
	scan.dentries = scan.fds = scan.torn = 0;
	scan.truncated = false;
	scan.nr_seen = 0;
	scan.sink = &sink;
	return vfs_scan_walk(&scan, SBS, TASKS);
}

static bool found(const char *object, const char *text, u32 severity)
{
	u32 i;

	for (i = 0; i < nr_findings; i++)
		if (strstr(findings[i].object, object) &&
		    strstr(findings[i].message, text) &&
		    findings[i].severity == severity)
			return true;
	return false;
}

static void test_clean_and_found(void)
{
	int err;

	build();
	err = walk();
	ksft_test_result(!err && !nr_findings && scan.dentries == 2 &&
			 scan.fds == 4,
			 "a clean tree: no finding, 2 children, 4 fd slots (err %d, %u findings, %u, %u)\n",
			 err, nr_findings, scan.dentries, scan.fds);
	put(INODE(1) + 8, HEAP);
	err = walk();
	ksft_test_result(!err && nr_findings == 1 &&
			 found("(internal mount)/d1 (tmpfs)",
			       "directory inode i_fop", VMIAAS_SEV_CRITICAL),
			 "a directory's i_fop in the heap: one critical finding naming d1 (%u: %s)\n",
			 nr_findings, nr_findings ? findings[0].message : "");
	put(INODE(1) + 8, KDATA + 0x100);
	err = walk();
	ksft_test_result(!err && nr_findings == 1 &&
			 found("d1", "writable data", VMIAAS_SEV_CRITICAL),
			 "a directory's i_fop in the image's writable data: critical\n");
	build();
	put(FILE1, HEAP + 0x800);
	err = walk();
	ksft_test_result(!err && nr_findings == 1 &&
			 found("/f2 (pid 7 fd 1) (tmpfs)", "open file f_op",
			       VMIAAS_SEV_CRITICAL),
			 "an open file's f_op in the heap: named by path, pid and fd (%s)\n",
			 nr_findings ? findings[0].object : "");
}

/*
 * In a full check the processes come from the census
 * (engine_tasks_shared()): the task list is not walked, each task's
 * files pointer is the census's copy, or (the confirming scan,
 * fresh_files) read again from the task.
 */
static void test_census_tasks(void)
{
	struct engine_task t = { .addr = TASK, .files = FILES, .pid = 9,
				 .tgid = 9 };
	int err;

	build();
	put(FILE1, HEAP + 0x800);
	put(TASKS, TASKS);			/* the task list: empty */
	engine_tasks_keep(&v);
	v.census.t = &t;
	v.census.nr = 1;
	v.census.valid = true;
	err = walk();
	ksft_test_result(!err && nr_findings == 1 && scan.nr_files == 1 &&
			 found("/f2 (pid 9 fd 1)", "open file f_op",
			       VMIAAS_SEV_CRITICAL),
			 "census tasks: the task list not walked, the census's files and tgid (%u: %s)\n",
			 nr_findings, nr_findings ? findings[0].object : "");
	put(TASK + 24, 0);			/* exited: exit_files() */
	scan.fresh_files = true;
	err = walk();
	ksft_test_result(!err && !nr_findings && !scan.nr_files,
			 "census tasks, confirming scan: files read again from the task (exited: none) (%u)\n",
			 nr_findings);
	scan.fresh_files = false;
	v.census = (struct engine_tasks){};
}

/* Modules "nfs" and "nfsv4": read-only at 0x140000 and 0x150000. */
static void modules(void)
{
	static const char *const names[] = { "nfs", "nfsv4" };
	int i;

	scan.mods = calloc(2, sizeof(*scan.mods));
	if (!scan.mods)
		exit(KSFT_FAIL);
	for (i = 0; i < 2; i++) {
		scan.mods[i].addr = i ? MOD_NFS4 : MOD_NFS;
		snprintf(scan.mods[i].name, sizeof(scan.mods[i].name), "%s",
			 names[i]);
		scan.mods[i].r[0] = (struct vfs_range){
			AT(0x140000 + 0x10000 * i), AT(0x150000 + 0x10000 * i),
			true };
		scan.mods[i].nr = 1;
	}
	scan.nr_mods = 2;
}

static void test_owner(void)
{
	int err;

	build();
	put(FSTYPE + 8, MOD_NFS4);		/* nfsv4's filesystem */
	list_ring(MOD_NFS4 + 0x40, NULL, 0);
	put(INODE(1) + 8, AT(0x150100));	/* nfsv4's table */
	err = walk();
	ksft_test_result(!err && !nr_findings,
			 "a directory's i_fop in the owner module's rodata: fine\n");
	put(INODE(1) + 8, AT(0x140100));	/* nfs's table */
	err = walk();
	ksft_test_result(!err && nr_findings == 1 &&
			 found("d1", "module that does not own", VMIAAS_SEV_HIGH) &&
			 strstr(findings[0].message, "module nfs"),
			 "in another (untainted) module's rodata: high, naming it (%s)\n",
			 nr_findings ? findings[0].message : "");
	list_ring(MOD_NFS4 + 0x40, (u64[]){ MOD_USE + 16 }, 1);
	put(MOD_USE + 40, MOD_NFS);
	err = walk();
	ksft_test_result(!err && !nr_findings,
			 "in a module the owner uses (module_use): fine\n");
	put(MOD_USE + 40, MOD_NFS4);		/* uses only itself... */
	put(MOD_USE + 16, MOD_USE + 16);	/* ...in a list that loops */
	err = walk();
	ksft_test_result(!err && nr_findings == 1,
			 "the owner's use list looping without nfs: the walk ends, the finding stays\n");
}

static void test_hostile_dentries(void)
{
	u64 chain[1];
	int err, i;

	build();
	put(DENTRY(2) + 48, DENTRY(1) + 48);	/* loops past the head */
	err = walk();
	ksft_test_result(!err && scan.torn == 1 && !nr_findings,
			 "a children ring looping without its head: skipped as torn (err %d, torn %u)\n",
			 err, scan.torn);
	build();
	for (i = 1; i < 60; i++) {		/* d1 > d2 > ... > d59 */
		dentry(i, DENTRY(i - 1), S_IFDIR, "n");
		chain[0] = DENTRY(i) + 48;
		list_ring(DENTRY(i - 1) + 32, chain, 1);
	}
	put(INODE(59) + 8, HEAP);
	err = walk();
	ksft_test_result(!err && scan.dentries == VFS_DEPTH_MAX &&
			 !nr_findings,
			 "59 nested directories: the walk stops at %u levels (%u visited)\n",
			 VFS_DEPTH_MAX, scan.dentries);
	build();
	put(DENTRY(1) + 8, AT(0x400000));	/* an unmapped inode */
	put(DENTRY(2) + 64, VFS_DCACHE_AUTODIR);	/* a file typed dir */
	put(DENTRY(2) + 48, 0x1234);		/* a user pointer */
	err = walk();
	ksft_test_result(!err && !nr_findings && scan.torn == 1,
			 "an unmapped inode and a user-space list pointer: skipped (err %d)\n",
			 err);
}

/* @parent's children, dentries @kids: a ring, or (6.8+) an hlist. */
static void children(int parent, const int *kids, int n)
{
	u64 nodes[128];
	int i;

	for (i = 0; i < n; i++)
		nodes[i] = DENTRY(kids[i]) + 48;
	if (!scan.l.children_hlist) {
		list_ring(DENTRY(parent) + 32, nodes, n);
		return;
	}
	put(DENTRY(parent) + 32, n ? nodes[0] : 0);
	for (i = 0; i < n; i++)
		put(nodes[i], i + 1 < n ? nodes[i + 1] : 0);
}

/*
 * More directories than the walk has lanes (VFS_LANES lists at once):
 * the root's 102 children, 100 of them directories with a directory
 * each; two of those deep ones swapped. Then the root's list looping.
 */
static void test_wide(bool hlist)
{
	const char *kind = hlist ? "hlists (6.8+)" : "rings";
	int kids[102] = { 1, 2 }, i, err;

	build();
	scan.l.children_hlist = hlist;
	for (i = 0; i < 100; i++) {
		dentry(3 + i, DENTRY(0), S_IFDIR, "w");
		dentry(103 + i, DENTRY(3 + i), S_IFDIR, "x");
		children(3 + i, (int[]){ 103 + i }, 1);
		children(103 + i, NULL, 0);
		kids[2 + i] = 3 + i;
	}
	children(1, NULL, 0);
	children(2, NULL, 0);
	children(0, kids, 102);
	put(INODE(202) + 8, HEAP);		/* the last one's i_fop */
	put(DENTRY(150), HEAP + 0x100);		/* one in the middle: d_op */
	err = walk();
	ksft_test_result(!err && scan.dentries == 202 && !scan.torn &&
			 nr_findings == 2 &&
			 found("/w/x (tmpfs)", "directory inode i_fop",
			       VMIAAS_SEV_CRITICAL) &&
			 found("/w/x (tmpfs)", "dentry d_op",
			       VMIAAS_SEV_CRITICAL),
			 "%s: 202 dentries, 200 directories: each visited once, both swapped tables found (%u visited, %u torn, %u findings)\n",
			 kind, scan.dentries, scan.torn, nr_findings);
	put(DENTRY(102) + 48, DENTRY(50) + 48);	/* the last child loops */
	err = walk();
	ksft_test_result(!err && scan.torn == 1 && nr_findings == 2,
			 "%s: the root's list looping: torn, the walk ends, findings reported once (%u torn, %u findings)\n",
			 kind, scan.torn, nr_findings);
	scan.l.children_hlist = false;
}

/* core/vfswalk.c's layout from the test's, with the check's caps. */
static void core_layout(struct vmi_vfs_layout *cl)
{
	const struct vfs_layout *l = &scan.l;

	*cl = (struct vmi_vfs_layout){
		.s_list = l->s_list, .s_type = l->s_type, .s_root = l->s_root,
		.s_mounts = l->s_mounts, .d_op = l->d_op,
		.d_flags = l->d_flags, .d_inode = l->d_inode,
		.d_children = l->d_children, .d_sib = l->d_sib,
		.i_op = l->i_op, .i_fop = l->i_fop, .i_mode = l->i_mode,
		.i_sb = l->i_sb, .mnt_root = l->mnt_root,
		.mnt_instance = l->mnt_instance, .tasks = l->tasks,
		.tgid = l->tgid, .files = l->files, .fdt = l->fdt,
		.max_fds = l->max_fds, .fd = l->fd, .f_op = l->f_op,
		.f_inode = l->f_inode, .max_sbs = VFS_SB_MAX,
		.max_mounts = VFS_MOUNTS_MAX, .max_depth = VFS_DEPTH_MAX,
		.max_dentries = VFS_DENTRIES_MAX, .max_tasks = VFS_TASKS_MAX,
		.max_fd_slots = VFS_FDS_MAX,
	};
	memcpy(cl->s_ptr, l->s_ptr, sizeof(cl->s_ptr));
}

static u32 core_nr_dop, core_nr_iop;

static int core_count(void *ctx, const struct vmi_vfs_ptr *p)
{
	core_nr_dop += p->field == VMI_VFS_D_OP && p->dentry;
	core_nr_iop += p->field == VMI_VFS_I_FOP && p->dentry;
	return 0;
}

/*
 * The core's own guards, as vmiaas.ko meets them: a layout with hostile
 * offsets or caps is refused before any read; a scratch too small for
 * the directories found ends the walk as truncated (every directory read
 * still passed); where a pointer lies.
 */
static void test_core(void)
{
	static struct vmi_vfs_scratch w;
	struct vmi_vfs_layout cl, bad;
	struct vmi_vfs_stats st;
	struct vmi_vfs_pend pend[2];
	struct vmi_vfs_task tasks[4];
	struct vmi_vfs_module mod = {
		.addr = MOD_NFS, .r = { { AT(0x140000), AT(0x141000) },
					{ AT(0x141000), AT(0x142000) } },
		.ro = { 1, 0 }, .nr = 2,
	};
	const struct vmi_vfs_bounds b = {
		.text = { TEXT, RODATA }, .rodata = { RODATA, KDATA },
		.image = { TEXT, KDATA + 0x10000 },
		.area = { 0xffffffffa0000000ULL, 0xffffffffff000000ULL },
		.mods = &mod, .nr_mods = 1,
	};
	struct vmi_read_ops r;
	u32 refused = 0, i;
	int roots[15];
	s32 idx, idx2;
	int err;

	bl_read_ops(&v, &r);
	core_layout(&cl);
	for (i = 0; i < 6; i++) {
		bad = cl;
		if (i == 0)
			bad.d_sib = VMI_OFFSET_MAX;	/* an offset past any struct */
		else if (i == 1)
			bad.d_children = 4096;		/* a 4 KiB dentry span */
		else if (i == 2)
			bad.max_dentries = VMI_VFS_DENTRIES_MAX + 1;
		else if (i == 3)
			bad.max_fd_slots = ~0U;
		else if (i == 4)
			bad.max_depth = 1000;
		else
			bad.f_inode = 0xfffffff8;
		refused += !vmi_vfs_layout_ok(&bad) &&
			   vmi_vfs_walk(&r, &bad, SBS, TASKS, &w, core_count,
					NULL, &st) == -EINVAL;
	}
	ksft_test_result(vmi_vfs_layout_ok(&cl) && refused == 6,
			 "core: 6 hostile layouts (offsets, span, caps) refused before a read (%u)\n",
			 refused);
	/*
	 * The root's 15 directories, 10 empty directories in each: the
	 * lanes find directories faster than they take them.
	 */
	build();
	w = (struct vmi_vfs_scratch){ .pend = pend, .pend_cap = 2,
				      .tasks = tasks, .tasks_cap = 4 };
	for (i = 0; i < 15; i++) {
		int kids[10], k;

		dentry(3 + i, DENTRY(0), S_IFDIR, "s");
		for (k = 0; k < 10; k++) {
			kids[k] = 18 + 10 * i + k;
			dentry(kids[k], DENTRY(3 + i), S_IFDIR, "t");
			children(kids[k], NULL, 0);
		}
		children(3 + i, kids, 10);
		roots[i] = 3 + i;
	}
	children(0, roots, 15);
	core_nr_dop = core_nr_iop = 0;
	err = vmi_vfs_walk(&r, &cl, SBS, TASKS, &w, core_count, NULL, &st);
	ksft_test_result(!err && st.truncated && core_nr_dop < 165 &&
			 core_nr_iop == core_nr_dop && st.files == 1,
			 "core: room for 2 waiting directories: truncated, each of the %u directories read passed (%u i_fop)\n",
			 core_nr_dop, core_nr_iop);
	ksft_test_result(vmi_vfs_where(&b, 0, &idx) == VMI_VFS_NULL &&
			 vmi_vfs_where(&b, RODATA + 8, &idx) == VMI_VFS_KERNEL_RO &&
			 vmi_vfs_where(&b, KDATA + 8, &idx) == VMI_VFS_KERNEL_RW &&
			 vmi_vfs_where(&b, AT(0x140008), &idx) == VMI_VFS_MODULE_RO &&
			 vmi_vfs_where(&b, AT(0x141008), &idx2) == VMI_VFS_MODULE_RW &&
			 !idx && !idx2 &&
			 vmi_vfs_where(&b, 0xffffffffa0001000ULL, &idx) == VMI_VFS_MODULE_AREA &&
			 idx == -1 &&
			 vmi_vfs_where(&b, HEAP, &idx) == VMI_VFS_OUTSIDE,
			 "core: where a pointer lies (NULL, kernel ro/rw, a module's ro/rw, the area, outside)\n");
}

/*
 * vmiaas.ko's judgement of the same walk (vmi_vfs_suspects()): allowed
 * the kernel's text and rodata; s_xattr in the image's data passes; the
 * first suspect names the field, the object and its dentry; a debugfs
 * file is not judged; a looping superblock list is a suspect.
 */
static void test_suspects(void)
{
	static struct vmi_vfs_pend pend[VFS_DENTRIES_MAX + 1];
	static struct vmi_vfs_task tasks[16];
	static struct vmi_vfs_scratch w;
	const struct vmi_range allow[] = { { TEXT, RODATA }, { RODATA, KDATA } };
	const struct vmi_range image = { TEXT, KDATA + 0x10000 };
	struct vmi_vfs_suspects sus;
	struct vmi_vfs_layout cl;
	struct vmi_read_ops r;
	int err, err2, err3;
	u64 nr_clean;

	bl_read_ops(&v, &r);
	core_layout(&cl);
	w = (struct vmi_vfs_scratch){ .pend = pend,
				      .pend_cap = ARRAY_SIZE(pend),
				      .tasks = tasks,
				      .tasks_cap = ARRAY_SIZE(tasks) };
	build();
	err = vmi_vfs_suspects(&r, &cl, SBS, TASKS, &w, allow, 2, &image, 0,
			       &sus);
	nr_clean = sus.nr;
	put(INODE(1) + 8, HEAP);
	err2 = vmi_vfs_suspects(&r, &cl, SBS, TASKS, &w, allow, 2, &image, 0,
				&sus);
	ksft_test_result(!err && !nr_clean && !err2 && sus.nr == 1 &&
			 sus.first.field == VMI_VFS_I_FOP &&
			 sus.first.obj == INODE(1) &&
			 sus.first.dentry == DENTRY(1) &&
			 sus.first.ptr == HEAP && sus.first.sb == SB,
			 "suspects: clean %llu; a directory's i_fop in the heap: 1, named by field, inode, dentry and superblock (%llu)\n",
			 (unsigned long long)nr_clean,
			 (unsigned long long)sus.nr);
	build();
	put(FILE1, HEAP + 0x800);
	err = vmi_vfs_suspects(&r, &cl, SBS, TASKS, &w, allow, 2, &image,
			       FSTYPE, &sus);
	nr_clean = sus.nr;
	err2 = vmi_vfs_suspects(&r, &cl, SBS, TASKS, &w, allow, 2, &image, 0,
				&sus);
	ksft_test_result(!err && !nr_clean && !err2 && sus.nr == 1 &&
			 sus.first.field == VMI_VFS_F_OP &&
			 sus.first.obj == FILE1 && sus.first.tgid == 7 &&
			 sus.first.fd == 1,
			 "suspects: an open file's f_op in the heap: not judged on debugfs, else pid 7 fd 1 (%llu)\n",
			 (unsigned long long)sus.nr);
	/* Processes given by the caller: the task list not walked. */
	build();
	put(FILE1, HEAP + 0x800);
	put(TASK + 24, 0);			/* the task list names no files */
	w.tasks_given = 1;
	w.nr_tasks = 1;
	tasks[0] = (struct vmi_vfs_task){ .files = FILES, .tgid = 9 };
	err = vmi_vfs_suspects(&r, &cl, SBS, TASKS, &w, allow, 2, &image, 0,
			       &sus);
	nr_clean = sus.nr == 1 && sus.first.field == VMI_VFS_F_OP &&
		   sus.first.tgid == 9 && sus.first.fd == 1 &&
		   sus.stats.files == 1;
	w.nr_tasks = ARRAY_SIZE(tasks) + 1;
	err2 = vmi_vfs_suspects(&r, &cl, SBS, TASKS, &w, allow, 2, &image, 0,
				&sus);
	w.tasks_given = 0;
	ksft_test_result(!err && nr_clean && err2 == -EINVAL,
			 "suspects: given processes walked instead of the task list (pid 9's file found); more than the scratch holds: -EINVAL (%d, %d)\n",
			 err, err2);
	build();
	put(SB, SB);
	err3 = vmi_vfs_suspects(&r, &cl, SBS, TASKS, &w, allow, 2, &image, 0,
				&sus);
	ksft_test_result(!err3 && sus.nr >= 1 &&
			 sus.first.field == VMI_VFS_BAD_SBS &&
			 sus.first.err == -ELOOP,
			 "suspects: a superblock list looping: a suspect (-ELOOP, %u nodes)\n",
			 sus.first.nodes);
}

/*
 * vmiaas.ko's record (struct vmiaas_module_vfs), run as the module runs
 * it (vmiaas_module_policy_found(): policy_vfs(), the same
 * vmi_vfs_suspects()), and what its event names as vmid's finding; the
 * record's hostile fields (an unsorted range list, more ranges than the
 * module takes, a dentry cap over the module's) fail it, nothing read.
 */
static void test_record(void)
{
	static struct vmiaas_module_check c;
	struct vmiaas_module_vfs *rec = (void *)c.data;
	uint64_t allow[2][2] = { { TEXT, RODATA }, { RODATA, KDATA } };
	struct vmiaas_finding f = { 0 };
	struct vmiaas_found found;
	struct vmi_vfs_layout cl;
	uint64_t failed = 0;
	int err, err2;
	bool ok;

	core_layout(&cl);
	memset(&c, 0, sizeof(c));
	c.type = VMIAAS_CHECK_VFS_GVA;
	c.addr = SBS;
	c.len = 2;
	c.root = 0x1000;
	rec->vc = (struct vmiaas_vfs_check){
		.init_task = TASKS, .image = { TEXT, KDATA + 0x10000 },
		.s_list = cl.s_list, .s_type = cl.s_type, .s_root = cl.s_root,
		.s_mounts = cl.s_mounts, .d_op = cl.d_op,
		.d_flags = cl.d_flags, .d_inode = cl.d_inode,
		.d_children = cl.d_children, .d_sib = cl.d_sib,
		.i_op = cl.i_op, .i_fop = cl.i_fop, .i_mode = cl.i_mode,
		.i_sb = cl.i_sb, .mnt_root = cl.mnt_root,
		.mnt_instance = cl.mnt_instance, .tasks = cl.tasks,
		.tgid = cl.tgid, .files = cl.files, .fdt = cl.fdt,
		.max_fds = cl.max_fds, .fd = cl.fd, .f_op = cl.f_op,
		.f_inode = cl.f_inode, .max_dentries = 1024,
		.max_fd_slots = 1024,
	};
	memcpy(rec->vc.s_ptr, cl.s_ptr, sizeof(cl.s_ptr));
	rec->allow = (uintptr_t)allow;
	build();
	err = vmiaas_module_policy_found(&v, &c, 1, &failed, &found);
	ok = !err && !failed && !found.kind;
	put(FILE1, HEAP + 0x800);
	err = vmiaas_module_policy_found(&v, &c, 1, &failed, &found);
	err2 = err ?: vmiaas_module_found(&c, &found, &f);
	ksft_test_result(ok && !err2 && failed == 1 &&
			 found.kind == VMIAAS_FOUND_VFS_PTR &&
			 found.point == VMI_VFS_F_OP && found.family == 7 &&
			 found.index == 1 && f.new_value == HEAP + 0x800 &&
			 strstr(f.object, "(pid 7 fd 1)") &&
			 strstr(f.message, "f_op points to"),
			 "record: clean, then an open file's f_op in the heap fails it, named as a finding (%d: %s: %s)\n",
			 err2, f.object, f.message);
	build();
	put(SB, SB);				/* super_blocks loops */
	memset(&f, 0, sizeof(f));
	err = vmiaas_module_policy_found(&v, &c, 1, &failed, &found);
	err2 = err ?: vmiaas_module_found(&c, &found, &f);
	ksft_test_result(!err2 && failed == 1 &&
			 found.kind == VMIAAS_FOUND_VFS_BAD &&
			 found.err == -ELOOP && !strcmp(f.object, "super_blocks") &&
			 strstr(f.message, "a cycle after"),
			 "record: a superblock list that loops fails it (%d: %s)\n",
			 err2, f.message);
	build();
	allow[1][0] = TEXT;			/* overlapping: refused */
	err = vmiaas_module_policy_found(&v, &c, 1, &failed, &found);
	ok = !err && failed == 1 && !found.kind;
	allow[1][0] = RODATA;
	c.len = VMIAAS_MAX_VFS_ALLOW + 1;
	err = vmiaas_module_policy_found(&v, &c, 1, &failed, &found);
	ok = ok && !err && failed == 1;
	c.len = 2;
	rec->vc.max_dentries = VFS_DENTRIES_MAX + 1;
	err = vmiaas_module_policy_found(&v, &c, 1, &failed, &found);
	ksft_test_result(ok && !err && failed == 1,
			 "record: overlapping ranges, 1025 ranges, a dentry cap over the module's: the record fails, nothing walked\n");
}

static void test_hostile_lists(void)
{
	int err;

	build();
	put(SB, SB);				/* super_blocks loops */
	err = walk();
	ksft_test_result(!err && found("super_blocks", "cannot be walked",
				       VMIAAS_SEV_CRITICAL),
			 "a superblock list looping past its head: critical (err %d)\n",
			 err);
	build();
	put(FDT, 0xffffffff);
	err = walk();
	ksft_test_result(!err && !nr_findings && scan.fds == 0 &&
			 scan.torn == 1,
			 "a forged max_fds (0xffffffff): refused, nothing read (%u slots)\n",
			 scan.fds);
	put(FDT, VFS_NR_OPEN);
	put(FDT + 8, AT(0x400000));
	err = walk();
	ksft_test_result(!err && !nr_findings && scan.fds <= 256,
			 "an fd array in unmapped memory: the walk stops at the first read (%u slots)\n",
			 scan.fds);
}

static void test_random(void)
{
	u32 round, i, ended = 0;
	u64 *w = (u64 *)(ram + DATA_GPA);

	srand(5);
	for (round = 0; round < 200; round++) {
		build();
		/* random words over the objects; pointers into the page often */
		for (i = 0; i < 64; i++) {
			u64 off = (u64)(rand() % 0x57000) & ~7ULL;
			u64 val = rand() % 3 ? AT(rand() % 0x57000) :
				  ((u64)rand() << 32 | (u64)rand());

			w[off / 8] = val;
		}
		walk();
		ended++;
	}
	ksft_test_result(ended == 200, "200 scans of randomly corrupted structures all ended\n");
}

int main(void)
{
	struct tiny_btf tb;

	ksft_print_header();
	ksft_set_plan(31);
	guest_init();
	v.btf = tiny_btf_new(&tb);	/* no struct module: symbols are hex */
	layout(&scan.l);
	scan.v = &v;
	scan.text_start = TEXT;
	scan.text_end = RODATA;
	scan.rodata_start = RODATA;
	scan.rodata_end = KDATA;
	scan.img_start = TEXT;
	scan.img_end = KDATA + 0x10000;
	scan.area = (struct modarea){ 0xffffffffa0000000ULL,
				      0xffffffffff000000ULL };
	test_clean_and_found();
	test_census_tasks();
	modules();
	test_owner();
	test_hostile_dentries();
	test_wide(false);
	test_wide(true);
	test_hostile_lists();
	test_core();
	test_suspects();
	test_record();
	test_random();
	vfs_scan_fini(&scan);
	btf__free(v.btf);
	free(ram);
	ksft_finished();
}
