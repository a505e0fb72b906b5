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
		const int types[] = { t.ptr, uint, t.lh };
		const u32 offs[] = { 0, 8, 16 };

		STRUCT(b, "tty_driver", 32, "ttys", "num", "tty_drivers");
	}
	{
		const int types[] = { t.ptr, t.ptr,
				      btf__add_array(b, t.i32, t.i8, 16) };
		const u32 offs[] = { 0, 8, 16 };

		STRUCT(b, "tty_struct", 32, "ldisc", "link", "name");
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
		{ "modules", MODULES }, { "tty_drivers", DRIVERS },
		{ "devpts_fs_type", FS_TYPE }, { "tty_ldiscs", LDISCS },
	};

	test_symmap_load(syms, ARRAY_SIZE(syms), &v.symmap);
	v.info.text_va = KBASE;
}

/* @tty with N_TTY, named @name; its struct tty_ldisc at LD + @i * 16. */
static void put_tty(u64 tty, u32 i, const char *name, u64 link)
{
	put(tty, LD + 16 * i);
	put(tty + 8, link);
	put_str(tty + 16, name);
	put(LD + 16 * i, N_TTY_OPS);
	put(LD + 16 * i + 8, tty);
}

/* A consistent guest: every function in kernel text, one module live. */
static void tty_guest(void)
{
	u64 n[1];

	memset(ram + DATA_GPA, 0, 0x100000);
	tiny_module(MODULES, MOD, MOD_TEXT);
	put(LDISCS, N_TTY_OPS);
	put(N_TTY_OPS, STRINGS);
	put_str(STRINGS, "n_tty");
	put(N_TTY_OPS + 16, KFN);
	put(N_TTY_OPS + 24, KFN + 0x40);
	n[0] = DRV + 16;
	list_ring(DRIVERS, n, 1);
	put(DRV, LINES);
	put(DRV + 8, 2);
	put(LINES, TTY0);
	put(LINES + 8, TTY1);
	put_tty(TTY0, 0, "ttyS0", 0);
	put_tty(TTY1, 1, "ttyS1", 0);
	put_tty(PTS, 2, "pts0", PTM);
	put_tty(PTM, 3, "ptm0", PTS);
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

int main(void)
{
	struct btf *b;

	ksft_print_header();
	ksft_set_plan(12);
	guest_init();
	b = tty_btf();
	v.btf = b;
	tty_symbols();
	check_rescan_us = 0;
	test_policy();
	test_hostile();
	symmap_free(v.symmap);
	btf__free(b);
	ksft_finished();
}
