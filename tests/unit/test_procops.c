// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * The baseline's PROC_OPS section (userspace/lib/check_procops.c): the
 * records of a file whose MAC verified may still be corrupt, so the
 * parser takes only whole, NUL-terminated, sorted, unique records, at
 * most BL_PROC_OPS_MAX, one section per file; and a golden baseline's
 * records slide by the KASLR delta, NULL pointers staying NULL.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "userspace/lib/checks.h"
#include "tests/lib/tap.h"

static void rec(struct bl_proc_op *r, const char *path, u64 ops)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->path, sizeof(r->path), "%s", path);
	r->ptr[0] = ops;
	r->ptr[2] = ops ? ops + 0x100 : 0;
}

static int parse(const struct bl_proc_op *r, u64 len)
{
	struct vmiaas_baseline b = {};
	int err = bl_proc_ops_parse(&b, r, len);

	free(b.proc_ops);
	return err;
}

static void test_parse(void)
{
	struct vmiaas_baseline b = {};
	struct bl_proc_op r[3];
	int err;

	rec(&r[0], "/proc/modules", 0xffffffff81000000ULL);
	rec(&r[1], "/proc/net/tcp", 0xffffffff82000000ULL);
	rec(&r[2], "/proc/net/udp", 0);
	err = bl_proc_ops_parse(&b, r, sizeof(r));
	ksft_test_result(!err && b.has_proc_ops && b.nr_proc_ops == 3 &&
			 !strcmp(b.proc_ops[1].path, "/proc/net/tcp") &&
			 b.proc_ops[1].ptr[2] == 0xffffffff82000100ULL,
			 "three sorted records parsed (%d)\n", err);
	ksft_test_result(bl_proc_ops_parse(&b, r, sizeof(r)) == -EBADMSG,
			 "a second PROC_OPS section refused\n");
	free(b.proc_ops);
	ksft_test_result(parse(r, 0) == 0, "an empty section: no entries\n");
	ksft_test_result(parse(r, sizeof(r) - 1) == -EBADMSG &&
			 parse(r, sizeof(r[0]) + 8) == -EBADMSG,
			 "a partial record refused\n");
	rec(&r[1], "/proc/modules", 1);
	ksft_test_result(parse(r, sizeof(r)) == -EBADMSG,
			 "a repeated path refused\n");
	rec(&r[1], "/proc/a", 1);
	ksft_test_result(parse(r, sizeof(r)) == -EBADMSG,
			 "records out of order refused\n");
	rec(&r[1], "/proc/net/tcp", 1);
	memset(r[1].path, 'x', sizeof(r[1].path));
	ksft_test_result(parse(r, sizeof(r)) == -EBADMSG,
			 "a path without its NUL refused\n");
}

static void test_many(void)
{
	size_t n = BL_PROC_OPS_MAX + 1, i;
	struct bl_proc_op *r = calloc(n, sizeof(*r));

	for (i = 0; r && i < n; i++)
		snprintf(r[i].path, sizeof(r[i].path), "/proc/e%06zu", i);
	ksft_test_result(r && parse(r, (n - 1) * sizeof(*r)) == 0 &&
			 parse(r, n * sizeof(*r)) == -EBADMSG,
			 "%d records taken, one more refused\n", BL_PROC_OPS_MAX);
	free(r);
}

static void test_rebase(void)
{
	struct vmiaas_baseline g = {}, b = {};
	struct bl_proc_op r[2];
	int err;

	rec(&r[0], "/proc", 0xffffffff81000000ULL);
	rec(&r[1], "/proc/net/tcp", 0xffffffff82000000ULL);
	r[1].ptr[1] = 0;
	g.proc_ops = r;
	g.nr_proc_ops = 2;
	g.has_proc_ops = true;
	err = bl_proc_ops_rebase(&g, &b, 0x200000);
	ksft_test_result(!err && b.has_proc_ops && b.nr_proc_ops == 2 &&
			 b.proc_ops[0].ptr[0] == 0xffffffff81200000ULL &&
			 b.proc_ops[1].ptr[2] == 0xffffffff82200100ULL &&
			 !b.proc_ops[1].ptr[1] && r[0].ptr[0] == 0xffffffff81000000ULL,
			 "golden records slid by the KASLR delta, NULL kept, the golden's own untouched\n");
	free(b.proc_ops);
	memset(&b, 0, sizeof(b));
	g.has_proc_ops = false;
	ksft_test_result(!bl_proc_ops_rebase(&g, &b, 0x200000) &&
			 !b.has_proc_ops && !b.proc_ops,
			 "a golden baseline without the section: this boot's measured records stay\n");
}

int main(void)
{
	ksft_print_header();
	ksft_set_plan(10);
	test_parse();
	test_many();
	test_rebase();
	ksft_finished();
}
