// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * tty-ldisc (userspace/lib/check_tty.c, core/ttywalk.c) on a tiny guest
 * kernel with its own BTF: tty_ldiscs[] with n_tty's table, one tty
 * driver with two lines, one devpts instance with one pty slave (its
 * master its link), one module. The policy first: every function in
 * kernel text is nothing; n_tty's receive_buf2 in a tainted module high,
 * in an untainted one an event; a pty whose ldisc->ops is a copy not in
 * tty_ldiscs[] critical, named by the tty, its heap function critical
 * too. Then hostile memory: lists that loop or hold user pointers, a
 * registered table whose num is not its index, a driver with 2^20 lines,
 * random words. Every check must end, with a finding where the guest is
 * broken; ASan/UBSan (make san) catch the rest.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/btf.h>

#include "userspace/lib/checks.h"
#include "userspace/lib/hidden.h"
#include "userspace/lib/hookpolicy.h"
#include "uapi/linux/vmiaas.h"
#include "core/ttywalk.h"
#include "tests/lib/symfile.h"
#include "tests/lib/tap.h"
#include "tests/lib/tinyguest.h"

#define HEADS		(KBASE + 0x1000)
#define MODULES		(HEADS + 0x000)
#define DRIVERS		(HEADS + 0x010)	/* tty_drivers */
#define FS_TYPE		(HEADS + 0x020)	/* devpts_fs_type: fs_supers at 0 */
#define LDISCS		(HEADS + 0x100)	/* tty_ldiscs[31] */
#define N_TTY_OPS	(KBASE + 0x2000)
#define COPY_OPS	(KBASE + 0x2100)	/* a copy, on no list */
#define DRV		(KBASE + 0x3000)
#define LINES		(KBASE + 0x3100)	/* DRV's ttys[2] */
#define TTY0		(KBASE + 0x4000)
#define TTY1		(KBASE + 0x4100)
#define PTS		(KBASE + 0x4200)	/* devpts' slave */
#define PTM		(KBASE + 0x4300)	/* its master */
#define LD		(KBASE + 0x4800)	/* struct tty_ldisc of each */
#define SB		(KBASE + 0x5000)
#define ROOT		(KBASE + 0x5100)	/* devpts root dentry */
#define DPTS		(KBASE + 0x5200)	/* /dev/pts/0 */
#define DPTMX		(KBASE + 0x5300)	/* /dev/pts/ptmx: no d_fsdata */
#define STRINGS		(KBASE + 0x7000)
#define RODATA		(KBASE + 0x8000)	/* __start_rodata */
#define RO_OPS		(RODATA + 0x000)	/* DRV's tty_operations */
#define RO_PTY_OPS	(RODATA + 0x100)	/* PDRV's */
#define RO_CLIENT	(RODATA + 0x200)	/* tty_port_default_client_ops */
#define PDRV		(KBASE + 0x3200)	/* the ptys' driver, no ttys[] */
#define FAKE_DRV	(KBASE + 0x3400)	/* a driver on no list */
#define PORT		(KBASE + 0x4c00)	/* the ttys' struct tty_port */
#define TEXT		(KBASE + 0x10000)	/* _stext.._etext */
#define KFN		(TEXT + 0x100)
#define MOD		(KBASE + 0x40000)
#define MOD_TEXT	(KBASE + 0x50000)
#define MFN		(MOD_TEXT + 0x10)
#define HEAP		(KBASE + 0x90000)

#define TAINT_OE	((1ULL << 12) | (1ULL << 13))

static struct btf *tty_btf(void)
{
	struct tiny_btf t;
	struct btf *b = tiny_btf_new(&t);
	int uint, fn;

	tiny_btf_module(b, &t);
	uint = btf__find_by_name_kind(b, "unsigned int", BTF_KIND_INT);
	fn = btf__add_ptr(b, btf__add_func_proto(b, t.i32));
	{
		const int types[] = { t.ptr, t.i32, fn, fn, t.ptr };
		const u32 offs[] = { 0, 8, 16, 24, 32 };

		STRUCT(b, "tty_ldisc_ops", 40, "name", "num", "open",
		       "receive_buf2", "owner");
	}
	{
		const int types[] = { t.ptr, uint, t.lh, t.ptr, t.ptr, t.ptr };
		const u32 offs[] = { 0, 8, 16, 32, 40, 48 };

		STRUCT(b, "tty_driver", 56, "ttys", "num", "tty_drivers",
		       "ops", "name", "owner");
	}
	{
		const int types[] = { t.ptr, t.ptr,
				      btf__add_array(b, t.i32, t.i8, 16),
				      t.ptr, t.ptr, t.ptr };
		const u32 offs[] = { 0, 8, 16, 32, 40, 48 };

		STRUCT(b, "tty_struct", 56, "ldisc", "link", "name", "ops",
		       "driver", "port");
	}
	{
		const int types[] = { fn, fn };
		const u32 offs[] = { 0, 8 };

		STRUCT(b, "tty_operations", 16, "write", "open");
	}
	{
		const int types[] = { fn };
		const u32 offs[] = { 0 };

		STRUCT(b, "tty_port_client_operations", 8, "receive_buf");
	}
	{
		const int types[] = { t.ptr };
		const u32 offs[] = { 0 };

		STRUCT(b, "tty_port", 8, "client_ops");
	}
	{
		const int types[] = { t.ptr, t.ptr };
		const u32 offs[] = { 0, 8 };

		STRUCT(b, "tty_ldisc", 16, "ops", "tty");
	}
	{
		const int types[] = { t.ptr, t.ptr };
		const u32 offs[] = { 0, 16 };

		STRUCT(b, "super_block", 24, "s_instances", "s_root");
	}
	{
		const int types[] = { t.ptr, t.lh, t.lh };
		const u32 offs[] = { 0, 8, 24 };

		STRUCT(b, "dentry", 40, "d_fsdata", "d_subdirs", "d_child");
	}
	{
		const int types[] = { t.ptr };
		const u32 offs[] = { 0 };

		STRUCT(b, "file_system_type", 8, "fs_supers");
	}
	return b;
}

static void tty_symbols(void)
{
	static const struct sym syms[] = {
		{ "_text", KBASE }, { "_stext", TEXT }, { "_etext", TEXT + 0x10000 },
		{ "_end", TEXT + 0x10000 },
		{ "__start_rodata", RODATA }, { "__end_rodata", RODATA + 0x1000 },
		{ "tty_port_default_client_ops", RO_CLIENT },
		{ "modules", MODULES }, { "tty_drivers", DRIVERS },
		{ "devpts_fs_type", FS_TYPE }, { "tty_ldiscs", LDISCS },
	};

	test_symmap_load(syms, ARRAY_SIZE(syms), &v.symmap);
	v.info.text_va = KBASE;
}

/*
 * @tty with N_TTY, named @name, of driver @drv (its ops), on PORT; its
 * struct tty_ldisc at LD + @i * 16.
 */
static void put_tty(u64 tty, u32 i, const char *name, u64 link, u64 drv)
{
	put(tty, LD + 16 * i);
	put(tty + 8, link);
	put_str(tty + 16, name);
	put(tty + 32, drv == DRV ? RO_OPS : RO_PTY_OPS);
	put(tty + 40, drv);
	put(tty + 48, PORT);
	put(LD + 16 * i, N_TTY_OPS);
	put(LD + 16 * i + 8, tty);
}

/* Driver @drv named @name (at @str) with table @ops. */
static void put_driver(u64 drv, u64 str, const char *name, u64 ops)
{
	put(drv + 32, ops);
	put(drv + 40, str);
	put_str(str, name);
}

/* A consistent guest: every function in kernel text, one module live. */
static void tty_guest(void)
{
	u64 n[2];

	memset(ram + DATA_GPA, 0, 0x100000);
	tiny_module(MODULES, MOD, MOD_TEXT);
	put(LDISCS, N_TTY_OPS);
	put(N_TTY_OPS, STRINGS);
	put_str(STRINGS, "n_tty");
	put(N_TTY_OPS + 16, KFN);
	put(N_TTY_OPS + 24, KFN + 0x40);
	n[0] = PDRV + 16;
	n[1] = DRV + 16;
	list_ring(DRIVERS, n, 2);
	put(DRV, LINES);
	put(DRV + 8, 2);
	put_driver(DRV, STRINGS + 0x40, "ttyS", RO_OPS);
	put_driver(PDRV, STRINGS + 0x60, "pts", RO_PTY_OPS);
	put(RO_OPS, KFN + 0x80);		/* write */
	put(RO_OPS + 8, KFN + 0x90);		/* open */
	put(RO_PTY_OPS, KFN + 0xa0);
	put(RO_PTY_OPS + 8, KFN + 0xb0);
	put(RO_CLIENT, KFN + 0xc0);
	put(PORT, RO_CLIENT);
	put(LINES, TTY0);
	put(LINES + 8, TTY1);
	put_tty(TTY0, 0, "ttyS0", 0, DRV);
	put_tty(TTY1, 1, "ttyS1", 0, DRV);
	put_tty(PTS, 2, "pts0", PTM, PDRV);
	put_tty(PTM, 3, "ptm0", PTS, PDRV);
	put(FS_TYPE, SB);			/* fs_supers.first */
	put(SB + 16, ROOT);
	n[0] = DPTMX + 24;
	list_ring(ROOT + 8, n, 1);
	put(DPTMX + 24, DPTS + 24);		/* then /dev/pts/0 */
	put(DPTS + 24, ROOT + 8);
	put(ROOT + 16, DPTS + 24);
	put(DPTS, PTS);
}

static void test_policy(void)
{
	const struct vmiaas_finding *f;
	u32 nr;
	int err;

	tty_guest();
	err = tiny_check(check_tty_ldiscs, &nr, &f);
	ksft_test_result(!err && !nr && !nr_findings,
			 "tty-ldisc: kernel functions, every tty on the registered table: nothing (err %d, %u: %s)\n",
			 err, nr, v.diag.msg);
	put(N_TTY_OPS + 24, MFN);
	put(MOD + 80, TAINT_OE);
	err = tiny_check(check_tty_ldiscs, &nr, &f);
	ksft_test_result(!err && nr == 1 && f->severity == VMIAAS_SEV_HIGH &&
			 !strcmp(f->object, "n_tty") &&
			 strstr(f->message, "the receive_buf2 of line discipline n_tty (number 0") &&
			 strstr(f->message, "module rootkit is tainted OE"),
			 "tty-ldisc: n_tty's receive_buf2 in a module tainted OE: high, named (%d, %u: %s)\n",
			 err, nr, f ? f->message : "");
	put(MOD + 80, 0);
	err = tiny_check(check_tty_ldiscs, &nr, &f);
	ksft_test_result(!err && !nr && tiny_has_event("tty-ldisc", "n_tty"),
			 "tty-ldisc: the same module untainted: an event, no finding (%d, %u)\n",
			 err, nr);

	tty_guest();
	put(COPY_OPS, STRINGS);			/* a copy of n_tty's */
	put(COPY_OPS + 16, KFN);
	put(COPY_OPS + 24, HEAP);
	put(LD + 16 * 2, COPY_OPS);		/* pts0's */
	err = tiny_check(check_tty_ldiscs, &nr, &f);
	ksft_test_result(!err && nr == 2 && f->severity == VMIAAS_SEV_CRITICAL &&
			 !strcmp(f->object, "pts0") &&
			 strstr(f->message, "not the table registered") &&
			 findings[1].severity == VMIAAS_SEV_CRITICAL &&
			 strstr(findings[1].message, "receive_buf2 of tty pts0"),
			 "tty-ldisc: a pty (through devpts) on an unregistered copy, its receive_buf2 in the heap: two critical, named (%d, %u: %s)\n",
			 err, nr, f ? f->message : "");
	tty_guest();
	put(LD + 16 * 3, COPY_OPS);		/* ptm0's: reached as pts0's link */
	put(COPY_OPS, STRINGS);
	err = tiny_check(check_tty_ldiscs, &nr, &f);
	ksft_test_result(!err && nr == 1 && !strcmp(f->object, "ptm0"),
			 "tty-ldisc: a pty master (the slave's link) on an unregistered table: critical (%d, %u: %s)\n",
			 err, nr, f ? f->message : "");
	tty_guest();
	put(LD + 16, COPY_OPS);			/* ttyS1's */
	put(COPY_OPS + 8, 40);			/* num 40: none registered */
	err = tiny_check(check_tty_ldiscs, &nr, &f);
	ksft_test_result(!err && nr == 1 && !strcmp(f->object, "ttyS1") &&
			 strstr(f->message, "num 40"),
			 "tty-ldisc: a driver's tty whose table claims an unregistered number: critical (%d, %u: %s)\n",
			 err, nr, f ? f->message : "");
}

/* The first finding of the last check whose object is @object. */
static const struct vmiaas_finding *finding_of(const char *object)
{
	u32 i;

	for (i = 0; i < nr_findings; i++)
		if (!(findings[i].flags & VMIAAS_FINDING_EVENT) &&
		    !strcmp(findings[i].object, object))
			return &findings[i];
	return NULL;
}

static void test_hostile(void)
{
	const struct vmiaas_finding *f;
	u32 nr, i, ok = 0;
	int err;

	tty_guest();
	put(DRV + 16, DRV + 16);		/* a self-loop */
	put(LD + 16 * 2, COPY_OPS);		/* and pts0 on a copy */
	put(COPY_OPS, STRINGS);
	err = tiny_check(check_tty_ldiscs, &nr, &f);
	f = finding_of("tty_drivers");
	ksft_test_result(!err && f && f->severity == VMIAAS_SEV_CRITICAL &&
			 finding_of("pts0") && nr == 2,
			 "tty-ldisc: a looping tty_drivers: critical, devpts still walked (%d, %u)\n",
			 err, nr);
	tty_guest();
	put(DPTS + 24, DPTMX + 24);		/* children ring without the head */
	err = tiny_check(check_tty_ldiscs, &nr, &f);
	f = finding_of("devpts");
	ksft_test_result(!err && nr == 1 && f && strstr(f->message, "does not end"),
			 "tty-ldisc: a devpts root's children in a cycle: critical, the walk ends (%d, %u)\n",
			 err, nr);
	tty_guest();
	put(LDISCS + 8, 0x400000);		/* a user pointer */
	put(LDISCS + 16, N_TTY_OPS);		/* num 0 at index 2 */
	err = tiny_check(check_tty_ldiscs, &nr, &f);
	ksft_test_result(!err && nr == 2 &&
			 strstr(findings[0].message, "not a kernel address") &&
			 strstr(findings[1].message, "num is not its index"),
			 "tty-ldisc: tty_ldiscs[] with a user pointer, a table at another index: two critical (%d, %u)\n",
			 err, nr);
	tty_guest();
	put(DRV + 8, 1U << 20);
	err = tiny_check(check_tty_ldiscs, &nr, &f);
	ksft_test_result(!err && nr == 1 && strstr(f->message, "over 65536 lines"),
			 "tty-ldisc: a driver with 2^20 lines: critical, nothing read (%d, %u)\n",
			 err, nr);
	tty_guest();
	put(TTY1, 0x1234);			/* ttyS1's ldisc: not a pointer */
	err = tiny_check(check_tty_ldiscs, &nr, &f);
	ksft_test_result(!err && nr == 1 && !strcmp(f->object, "ttyS1"),
			 "tty-ldisc: a tty whose ldisc is not a kernel address: critical, named (%d, %u)\n",
			 err, nr);

	/* random words over every object: each check ends */
	srand(7);
	for (i = 0; i < 200; i++) {
		u64 at = KBASE + 0x1000 + (u64)(rand() % 0x6000) * 8;

		tty_guest();
		put(at, rand() % 3 ? KBASE + (u64)(rand() % 0x8000) * 8 :
				     (u64)rand() << 32 | (u32)rand());
		tiny_check(check_tty_ldiscs, &nr, &f);
		ok++;
	}
	ksft_test_result(ok == 200,
			 "tty-ldisc: 200 guests with one random word: every check ends\n");
}

/*
 * The drivers' side: a driver's ops swapped for a copy (a pty_write
 * keylogger), one tty's ops set to a copy, a tty on a forged driver, a
 * port's client_ops a copy; each named by driver or tty and member.
 */
static void test_drivers(void)
{
	const struct vmiaas_finding *f, *g;
	u32 nr, i, crit = 0;
	int err;

	tty_guest();
	put(HEAP, KFN + 0x80);			/* a copy of RO_OPS... */
	put(HEAP + 8, MFN);			/* ...its open the module's */
	put(DRV + 32, HEAP);
	put(MOD + 80, TAINT_OE);
	err = tiny_check(check_tty_ldiscs, &nr, &f);
	f = finding_of("ttyS");
	for (i = 0; i < nr_findings; i++)
		crit += findings[i].severity == VMIAAS_SEV_CRITICAL &&
			strstr(findings[i].message, "not its driver's table") &&
			!strncmp(findings[i].object, "ttyS", 4);
	g = f && f + 1 < findings + nr_findings ? f + 1 : NULL;
	ksft_test_result(!err && nr == 4 && f &&
			 f->severity == VMIAAS_SEV_CRITICAL &&
			 strstr(f->message, "tty driver ttyS") &&
			 strstr(f->message, "outside the kernel's read-only data") &&
			 g && !strcmp(g->object, "ttyS") &&
			 g->severity == VMIAAS_SEV_HIGH &&
			 strstr(g->message, "the open of tty driver ttyS's ops") &&
			 strstr(g->message, "module rootkit is tainted OE") &&
			 crit == 2,
			 "tty ops: a driver's ops swapped for a copy, its open in a tainted module: critical and high naming driver and member, its two open ttys critical (%d, %u: %s)\n",
			 err, nr, f ? f->message : "");
	put(MOD + 80, 0);
	tty_guest();
	put(HEAP, HEAP + 0x800);		/* write in the heap */
	put(HEAP + 8, KFN + 0x90);
	put(TTY1 + 32, HEAP);
	err = tiny_check(check_tty_ldiscs, &nr, &f);
	ksft_test_result(!err && nr == 2 && !strcmp(f->object, "ttyS1") &&
			 f->severity == VMIAAS_SEV_CRITICAL &&
			 strstr(f->message, "its driver ttyS's") &&
			 strstr(f->message, "not its driver's table") &&
			 !strcmp(findings[1].object, "ttyS1") &&
			 strstr(findings[1].message, "the write of tty ttyS1's ops") &&
			 findings[1].severity == VMIAAS_SEV_CRITICAL,
			 "tty ops: one tty's ops a copy, its write in the heap: two critical naming the tty and member (%d, %u: %s)\n",
			 err, nr, f ? f->message : "");
	tty_guest();
	put(PTS + 40, FAKE_DRV);		/* pts0 on a forged driver */
	put(FAKE_DRV + 32, RO_PTY_OPS);
	err = tiny_check(check_tty_ldiscs, &nr, &f);
	ksft_test_result(!err && nr == 1 && !strcmp(f->object, "pts0") &&
			 strstr(f->message, "not a tty driver on tty_drivers"),
			 "tty ops: a pty on a driver not on tty_drivers: critical (%d, %u: %s)\n",
			 err, nr, f ? f->message : "");
	tty_guest();
	put(PORT + 0x100, RO_CLIENT + 0x800);	/* ttyS1's own port... */
	put(TTY1 + 48, PORT + 0x100);
	put(RO_CLIENT + 0x800, MFN);		/* ...its client_ops in rodata */
	err = tiny_check(check_tty_ldiscs, &nr, &f);
	ksft_test_result(!err && !nr,
			 "tty ops: a port's client_ops another table in the kernel's rodata: nothing (%d, %u: %s)\n",
			 err, nr, f ? f->message : "");
	put(PORT + 0x100, HEAP);		/* now a copy in the heap */
	put(HEAP, MFN);
	put(MOD + 80, TAINT_OE);
	err = tiny_check(check_tty_ldiscs, &nr, &f);
	ksft_test_result(!err && nr == 2 && !strcmp(f->object, "ttyS1") &&
			 strstr(f->message, "its port's client_ops") &&
			 f->severity == VMIAAS_SEV_CRITICAL &&
			 findings[1].severity == VMIAAS_SEV_HIGH &&
			 strstr(findings[1].message, "the receive_buf of tty ttyS1's port client_ops"),
			 "tty ops: a port's client_ops a copy, its receive_buf in a tainted module: critical and high (%d, %u: %s)\n",
			 err, nr, f ? f->message : "");
	put(MOD + 80, 0);
	tty_guest();
	put(DRV + 32, 0x7000);			/* a user pointer */
	err = tiny_check(check_tty_ldiscs, &nr, &f);
	for (crit = 0, i = 0; i < nr_findings; i++)
		crit += !strcmp(findings[i].object, "ttyS") &&
			strstr(findings[i].message, "its ops 0x7000: not a kernel address");
	ksft_test_result(!err && nr == 4 && crit == 1 && finding_of("ttyS1"),
			 "tty ops: a driver's ops a user pointer: critical, its ttys still compared (%d, %u: %s)\n",
			 err, nr, f ? f->message : "");
}

/*
 * Section 25: n_tty's pointers at baseline; a pointer retargeted to
 * another kernel function (no module involved) is a finding naming the
 * member and both functions, one into a module critical and reported
 * once; the table swapped, or gone; an old baseline an event; the
 * section parsed strictly and slid for golden baselines.
 */
static void test_baseline(void)
{
	struct vmiaas_baseline b = { 0 }, g = { 0 }, old = { 0 };
	struct hook_trust t = { .b = &b };
	const struct vmiaas_finding *f;
	struct bl_tty_ldisc bad[2];
	u32 nr;
	int err;

	tty_guest();
	put(LDISCS + 8, MOD + 0x200);		/* a module's table: not taken */
	put(MOD + 0x208, 1);
	err = bl_tty_take(&v, &b);
	ksft_test_result(!err && b.has_tty && b.nr_tty == 1 &&
			 b.tty[0].num == 0 && b.tty[0].ops == N_TTY_OPS &&
			 !strcmp(b.tty[0].name, "n_tty") &&
			 b.tty[0].nr_fns == 2 && b.tty[0].fn[1] == KFN + 0x40,
			 "tty-ldisc baseline: n_tty's table and pointers taken, a module's table not (err %d, %u)\n",
			 err, b.nr_tty);
	tiny_trust = &t;
	tty_guest();
	err = tiny_check(check_tty_ldiscs, &nr, &f);
	ksft_test_result(!err && !nr && !nr_findings,
			 "tty-ldisc baseline: unchanged: nothing (%d, %u)\n",
			 err, nr);
	put(N_TTY_OPS + 24, KFN + 0x80);	/* another kernel function */
	err = tiny_check(check_tty_ldiscs, &nr, &f);
	ksft_test_result(!err && nr == 1 && f->severity == VMIAAS_SEV_HIGH &&
			 !strcmp(f->object, "n_tty") &&
			 f->old_value == KFN + 0x40 && f->new_value == KFN + 0x80 &&
			 (f->flags & VMIAAS_FINDING_SYMBOLS) &&
			 strstr(f->message, "the receive_buf2 of line discipline n_tty (number 0") &&
			 strstr(f->message, "changed since the baseline") &&
			 strstr(f->message, "another kernel function"),
			 "tty-ldisc baseline: n_tty's receive_buf2 retargeted to another kernel function: high, member and both named (%d, %u: %s)\n",
			 err, nr, f ? f->message : "");
	put(N_TTY_OPS + 24, MFN);
	put(MOD + 80, TAINT_OE);
	err = tiny_check(check_tty_ldiscs, &nr, &f);
	ksft_test_result(!err && nr == 1 && f->severity == VMIAAS_SEV_CRITICAL &&
			 strstr(f->message, "outside the kernel's text"),
			 "tty-ldisc baseline: retargeted into a tainted module: one critical finding, not two (%d, %u: %s)\n",
			 err, nr, f ? f->message : "");
	put(MOD + 80, 0);
	tty_guest();
	put(HEAP, STRINGS);			/* a copy registered for 0 */
	put(HEAP + 16, KFN);
	put(HEAP + 24, KFN + 0x40);
	put(LDISCS, HEAP);
	err = tiny_check(check_tty_ldiscs, &nr, &f);
	f = finding_of("n_tty");
	ksft_test_result(!err && f && f->severity == VMIAAS_SEV_CRITICAL &&
			 f->new_value == HEAP && strstr(f->message, "tty_ldiscs[0] changed"),
			 "tty-ldisc baseline: tty_ldiscs[0] now a copy in the heap: critical (%d, %u: %s)\n",
			 err, nr, f ? f->message : "");
	tty_guest();
	put(LDISCS, 0);
	err = tiny_check(check_tty_ldiscs, &nr, &f);
	f = finding_of("n_tty");
	ksft_test_result(!err && f && strstr(f->message, "no longer registered"),
			 "tty-ldisc baseline: n_tty unregistered: a finding (%d, %u: %s)\n",
			 err, nr, f ? f->message : "");
	t.b = &old;
	tty_guest();
	put(N_TTY_OPS + 24, KFN + 0x80);
	err = tiny_check(check_tty_ldiscs, &nr, &f);
	ksft_test_result(!err && !nr && tiny_has_event("tty-ldisc", "baseline") &&
			 strstr(findings[0].message, "predates"),
			 "tty-ldisc baseline: an older baseline: not compared, an event says so (%d, %u)\n",
			 err, nr);
	tiny_trust = NULL;

	err = bl_tty_parse(&g, b.tty, sizeof(b.tty[0]));
	ksft_test_result(!err && g.has_tty && g.nr_tty == 1 &&
			 !memcmp(g.tty, b.tty, sizeof(b.tty[0])),
			 "tty-ldisc baseline: the section parsed back (%d)\n", err);
	free(g.tty);
	memset(&g, 0, sizeof(g));
	err = bl_tty_rebase(&b, &g, 0x200000);
	ksft_test_result(!err && g.nr_tty == 1 &&
			 g.tty[0].ops == N_TTY_OPS + 0x200000 &&
			 g.tty[0].fn[0] == KFN + 0x200000 &&
			 g.tty[0].fn[1] == KFN + 0x40 + 0x200000,
			 "tty-ldisc baseline: a golden baseline's slid by the KASLR delta (%d)\n",
			 err);
	free(g.tty);
	memset(&g, 0, sizeof(g));
	bad[0] = b.tty[0];
	bad[1] = b.tty[0];			/* the same number twice */
	err = bl_tty_parse(&g, bad, sizeof(bad));
	bad[1].num = 64;
	err = err == -EBADMSG ? bl_tty_parse(&g, bad, sizeof(bad)) : 0;
	bad[1].num = 1;
	bad[1].nr_fns = 25;
	err = err == -EBADMSG ? bl_tty_parse(&g, bad, sizeof(bad)) : 0;
	bad[1].nr_fns = 2;
	memset(bad[1].name, 'x', sizeof(bad[1].name));
	err = err == -EBADMSG ? bl_tty_parse(&g, bad, sizeof(bad)) : 0;
	err = err == -EBADMSG ? bl_tty_parse(&g, bad, sizeof(bad[0]) + 1) : 0;
	ksft_test_result(err == -EBADMSG && !g.has_tty && !g.tty,
			 "tty-ldisc baseline: a number twice, over 63, 25 functions, an unterminated name, a partial record: refused (%d)\n",
			 err);
	free(b.tty);
}

/*
 * vmiaas.ko's record (struct vmiaas_tty_check, type 14): built from the
 * layout and the policy's ranges, run as the module runs it
 * (vmiaas_module_policy_found(): policy_tty(), the same
 * vmi_tty_suspects()), and what its event names as vmid's finding; the
 * record's hostile fields (11 ranges, 25 discipline functions, an offset
 * of 64 KiB) fail it, nothing walked.
 */
static void test_record(void)
{
	static struct vmiaas_module_check c;
	struct vmiaas_tty_check *tc = (void *)c.data;
	struct vmiaas_finding f = { 0 };
	struct vmiaas_found found;
	uint64_t failed = 1;
	size_t n = 0;
	int err, err2;
	bool ok;

	tty_guest();
	v.info.pgd_pa = 0x1000;
	err = tty_module_check(&v, &c, 1, &n, NULL);
	ksft_test_result(!err && n == 1 && c.type == VMIAAS_CHECK_TTY_GVA &&
			 c.addr == LDISCS && c.len == 1 && c.root == 0x1000 &&
			 tc->ldisc_fns == 0xc && tc->ops_fns == 0x3 &&
			 tc->client_fns == 0x1 && tc->nr_ldiscs == 31 &&
			 tc->flags == VMIAAS_TTY_DEVPTS &&
			 tc->devpts_supers == FS_TYPE &&
			 tc->client_default == RO_CLIENT && tc->nr_allow == 1 &&
			 tc->allow[0][0] == TEXT && !strcmp(c.check, "tty-ldisc"),
			 "record: n_tty's, the drivers' and the clients' function maps, devpts, the kernel's text (err %d, %zu, maps %#llx %#llx %#llx, %u ranges)\n",
			 err, n, (unsigned long long)tc->ldisc_fns,
			 (unsigned long long)tc->ops_fns,
			 (unsigned long long)tc->client_fns, tc->nr_allow);
	err = vmiaas_module_policy_found(&v, &c, 1, &failed, &found);
	ok = !err && !failed && !found.kind;
	put(N_TTY_OPS + 24, HEAP);
	err = vmiaas_module_policy_found(&v, &c, 1, &failed, &found);
	err2 = err ?: vmiaas_module_found(&c, &found, &f);
	ksft_test_result(ok && !err2 && failed == 1 &&
			 found.kind == VMIAAS_FOUND_TTY_FN &&
			 found.where == N_TTY_OPS && found.value == HEAP &&
			 found.index == 24 && found.point == VMI_TTY_LDISC_FN &&
			 !strcmp(f.object, "line discipline 0") &&
			 f.new_value == HEAP && strstr(f.message, "+0x18"),
			 "record: clean, then n_tty's receive_buf2 in the heap fails it, named as a finding (%d: %s: %s)\n",
			 err2, f.object, f.message);
	tty_guest();
	put(HEAP, KFN + 0x80);
	put(HEAP + 8, KFN + 0x90);
	put(TTY1 + 32, HEAP);			/* ttyS1's ops a copy */
	memset(&f, 0, sizeof(f));
	err = vmiaas_module_policy_found(&v, &c, 1, &failed, &found);
	err2 = err ?: vmiaas_module_found(&c, &found, &f);
	ksft_test_result(!err2 && failed == 1 &&
			 found.kind == VMIAAS_FOUND_TTY_BAD &&
			 found.point == VMI_TTY_TTY_OPS && found.dev == TTY1 &&
			 found.where == HEAP && found.expected == RO_OPS &&
			 found.err == -ENOENT && !strncmp(f.object, "tty@", 4) &&
			 strstr(f.message, "not its driver's table"),
			 "record: a tty's ops a copy of its driver's: fails it, the tty named (%d: %s: %s)\n",
			 err2, f.object, f.message);
	tty_guest();
	put(DRV + 16, DRV + 16);		/* tty_drivers loops */
	memset(&f, 0, sizeof(f));
	err = vmiaas_module_policy_found(&v, &c, 1, &failed, &found);
	err2 = err ?: vmiaas_module_found(&c, &found, &f);
	ksft_test_result(!err2 && failed == 1 &&
			 found.kind == VMIAAS_FOUND_TTY_BAD &&
			 found.point == VMI_TTY_DRIVER_LIST &&
			 found.err == -ELOOP && found.value == DRIVERS &&
			 !strcmp(f.object, "tty_drivers") &&
			 strstr(f.message, "does not end"),
			 "record: a looping tty_drivers fails it, the walk ends (%d: %s)\n",
			 err2, f.message);
	tty_guest();
	tc->nr_allow = VMIAAS_MAX_HOOK_ALLOW + 1;
	err = vmiaas_module_policy_found(&v, &c, 1, &failed, &found);
	ok = !err && failed == 1 && !found.kind;
	tc->nr_allow = 1;
	tc->ldisc_fns = (1ULL << 25) - 1;
	err = vmiaas_module_policy_found(&v, &c, 1, &failed, &found);
	ok = ok && !err && failed == 1 && !found.kind;
	tc->ldisc_fns = 0xc;
	tc->lo_num = 65536;
	err = vmiaas_module_policy_found(&v, &c, 1, &failed, &found);
	ksft_test_result(ok && !err && failed == 1 && !found.kind,
			 "record: 11 ranges, 25 discipline functions, an offset of 64 KiB: the record fails, nothing walked\n");
}

int main(void)
{
	struct btf *b;

	ksft_print_header();
	ksft_set_plan(33);
	guest_init();
	b = tty_btf();
	v.btf = b;
	tty_symbols();
	check_rescan_us = 0;
	test_policy();
	test_hostile();
	test_drivers();
	test_baseline();
	test_record();
	symmap_free(v.symmap);
	btf__free(b);
	ksft_finished();
}
