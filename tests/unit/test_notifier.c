// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * notifier-hook (userspace/lib/check_notifier.c) on a tiny guest with its
 * own BTF: die_chain and keyboard_notifier_list, blocks written by the
 * cases, one live module. The rules: on an input chain a module's
 * callback is high; on any chain a callback outside the kernel's text and
 * every module's text is critical; a block ahead of one of higher
 * priority (linked in by hand: the kernel keeps chains sorted) is
 * critical wherever its callback lies; a chain that does not end or
 * cannot be read is critical. Then random words over the blocks: the
 * check must end. The tiny guest has no kallsyms in memory: kernel
 * addresses are named by their hex value.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/btf.h>

#include "vmiaas/checks.h"
#include "userspace/lib/checks.h"
#include "userspace/lib/hidden.h"
#include "tests/lib/symfile.h"
#include "tests/lib/tap.h"
#include "tests/lib/tinyguest.h"

#define MODULES		(KBASE + 0x1000)
#define DIE_CHAIN	(KBASE + 0x2000)	/* atomic_notifier_head */
#define KBD_CHAIN	(KBASE + 0x2100)
#define BLOCKS		(KBASE + 0x3000)	/* notifier_blocks, 0x40 each */
#define TEXT		(KBASE + 0x10000)	/* _stext.._etext */
#define KFN		(TEXT + 0x100)		/* hw_breakpoint_exceptions_notify */
#define KFN2		(TEXT + 0x200)
#define MOD		(KBASE + 0x40000)
#define MOD_TEXT	(KBASE + 0x50000)
#define MFN		(MOD_TEXT + 0x20)
#define HEAP		(KBASE + 0x90000)

#define HEAD_OFF	8	/* atomic_notifier_head.head, after its lock */
#define INT_MAX_PRIO	0x7fffffff

static struct btf *notifier_btf(void)
{
	struct tiny_btf t;
	struct btf *b = tiny_btf_new(&t);

	tiny_btf_module(b, &t);
	{
		const int types[] = { t.ptr, t.ptr, t.i32 };
		const u32 offs[] = { 0, 8, 16 };

		STRUCT(b, "notifier_block", 24, "notifier_call", "next",
		       "priority");
	}
	{
		const int types[] = { t.i32, t.ptr };
		const u32 offs[] = { 0, HEAD_OFF };

		STRUCT(b, "atomic_notifier_head", 16, "lock", "head");
	}
	return b;
}

static void notifier_symbols(void)
{
	static const struct sym syms[] = {
		{ "_text", KBASE }, { "_stext", TEXT }, { "_etext", TEXT + 0x10000 },
		{ "modules", MODULES }, { "die_chain", DIE_CHAIN },
		{ "keyboard_notifier_list", KBD_CHAIN },
	};

	test_symmap_load(syms, ARRAY_SIZE(syms), &v.symmap);
	v.info.text_va = KBASE;
}

/* Block @i calling @fn at priority @prio; returns its address. */
static u64 block(u32 i, u64 fn, s32 prio)
{
	u64 nb = BLOCKS + 0x40 * i;

	put(nb, fn);
	put(nb + 8, 0);
	put(nb + 16, (u32)prio);
	return nb;
}

/* Chain @head: the blocks @nb[0..@n) in that order. */
static void chain(u64 head, const u64 *nb, u32 n)
{
	u32 i;

	put(head + HEAD_OFF, n ? nb[0] : 0);
	for (i = 0; i + 1 < n; i++)
		put(nb[i] + 8, nb[i + 1]);
}

static void notifier_guest(void)
{
	memset(ram + DATA_GPA, 0, 0x200000);
	tiny_module(MODULES, MOD, MOD_TEXT);
}

static int run_notifiers(struct vmiaas *vm, const struct hidden_sink *sink,
			 struct hook_trust *trust)
{
	(void)trust;
	return check_notifiers(vm, sink);
}

static int run(u32 *nr, const struct vmiaas_finding **f)
{
	return tiny_check(run_notifiers, nr, f);
}

static void test_order(void)
{
	const struct vmiaas_finding *f;
	u64 nb[3];
	u32 nr;
	int err;

	/* arch/x86's block first at INT_MAX, a module's after it */
	notifier_guest();
	nb[0] = block(0, KFN, INT_MAX_PRIO);
	nb[1] = block(1, MFN, 0);
	nb[2] = block(2, KFN2, -1);
	chain(DIE_CHAIN, nb, 3);
	err = run(&nr, &f);
	ksft_test_result(!err && nr == 0,
			 "die_chain in priority order, a module's callback on it: no finding (%d, %u)\n",
			 err, nr);

	/* equal priorities in either order are what registration makes */
	notifier_guest();
	nb[0] = block(0, MFN, 0);
	nb[1] = block(1, KFN, 0);
	chain(DIE_CHAIN, nb, 2);
	err = run(&nr, &f);
	ksft_test_result(!err && nr == 0,
			 "equal priorities: no finding (%d, %u)\n", err, nr);

	/* a rootkit's block put at the head by hand, ahead of INT_MAX */
	notifier_guest();
	nb[0] = block(0, MFN, 0);
	nb[1] = block(1, KFN, INT_MAX_PRIO);
	nb[2] = block(2, KFN2, 0);
	chain(DIE_CHAIN, nb, 3);
	err = run(&nr, &f);
	ksft_test_result(!err && nr == 1 && f->severity == VMIAAS_SEV_CRITICAL &&
			 !strcmp(f->object, "die_chain") && f->address == nb[0] &&
			 !strncmp(f->new_symbol, "[rootkit]+0x20", 14) &&
			 strstr(f->message, "(priority 0) is ahead of one calling") &&
			 strstr(f->message, "(priority 2147483647)") &&
			 strstr(f->message, "linked in by hand"),
			 "a module's block ahead of an INT_MAX one: critical, naming both (%d, %u: %s)\n",
			 err, nr, f ? f->message : "");

	/* out of order twice on one chain: one finding */
	notifier_guest();
	nb[0] = block(0, MFN, -5);
	nb[1] = block(1, KFN, 3);
	nb[2] = block(2, KFN2, 9);
	chain(DIE_CHAIN, nb, 3);
	err = run(&nr, &f);
	ksft_test_result(!err && nr == 1 && f->address == nb[0],
			 "two inversions on one chain: one finding, for the first (%d, %u)\n",
			 err, nr);

	/* a heap callback ahead: outside every text, and out of order */
	notifier_guest();
	nb[0] = block(0, HEAP, -1);
	nb[1] = block(1, KFN, INT_MAX_PRIO);
	chain(DIE_CHAIN, nb, 2);
	err = run(&nr, &f);
	ksft_test_result(!err && nr == 2 && strstr(findings[0].message, "outside the kernel's text") &&
			 strstr(findings[1].message, "linked in by hand"),
			 "a heap callback ahead of INT_MAX: two critical findings (%d, %u)\n",
			 err, nr);
}

static void test_rules(void)
{
	const struct vmiaas_finding *f;
	u64 nb[2];
	u32 nr;
	int err;

	notifier_guest();
	nb[0] = block(0, MFN, 0);
	chain(KBD_CHAIN, nb, 1);
	err = run(&nr, &f);
	ksft_test_result(!err && nr == 1 && f->severity == VMIAAS_SEV_HIGH &&
			 !strcmp(f->object, "keyboard_notifier_list") &&
			 strstr(f->message, "every key press"),
			 "a module's keyboard notifier: high (%d, %u)\n", err, nr);

	notifier_guest();
	nb[0] = block(0, KFN, 0);
	nb[1] = block(1, KFN2, 0);
	chain(DIE_CHAIN, nb, 2);
	put(nb[1] + 8, nb[0]);		/* a cycle */
	err = run(&nr, &f);
	ksft_test_result(!err && nr == 1 && f->severity == VMIAAS_SEV_CRITICAL &&
			 strstr(f->message, "does not end"),
			 "a chain in a cycle: critical, the walk ends (%d, %u)\n",
			 err, nr);

	notifier_guest();
	nb[0] = block(0, KFN, 0);
	chain(DIE_CHAIN, nb, 1);
	put(nb[0] + 8, 0xffffc90000000000ULL);	/* unmapped */
	err = run(&nr, &f);
	ksft_test_result(!err && nr == 1 && strstr(f->message, "cannot be read"),
			 "a block that cannot be read: critical (%d, %u)\n",
			 err, nr);
}

static void test_hostile(void)
{
	const struct vmiaas_finding *f;
	u32 i, k, nr, ok = 0;
	u64 nb[3];

	srand(29);
	for (i = 0; i < 60; i++) {
		notifier_guest();
		nb[0] = block(0, KFN, INT_MAX_PRIO);
		nb[1] = block(1, MFN, 0);
		nb[2] = block(2, KFN2, 0);
		chain(DIE_CHAIN, nb, 3);
		chain(KBD_CHAIN, nb + 1, 2);
		for (k = 0; k < 1 + (u32)rand() % 5; k++) {
			u64 at = BLOCKS + (rand() % 0xc0 & ~7ULL);
			u64 r = rand() % 2 ? BLOCKS + (rand() % 0xc0 & ~7ULL) :
					     (u64)rand() << 33 ^ rand();

			put(at, r);
		}
		if (!run(&nr, &f) && nr_findings <= ARRAY_SIZE(findings))
			ok++;
	}
	ksft_test_result(ok == 60, "60 chains with random words over their blocks: the check ended (%u)\n",
			 ok);
}

int main(void)
{
	ksft_print_header();
	ksft_set_plan(9);
	guest_init();
	v.btf = notifier_btf();
	notifier_symbols();
	check_rescan_us = 0;
	test_order();
	test_rules();
	test_hostile();
	btf__free(v.btf);
	free(ram);
	ksft_finished();
}
