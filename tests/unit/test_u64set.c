// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * The sorted u64 set (userspace/lib/u64set.c) the checks share: empty
 * sets searched, growth past the first allocation, duplicates, the ends
 * of the u64 range, floors and (key, value) pairs.
 */
#include <stdlib.h>

#include "userspace/lib/u64set.h"
#include "tests/lib/tap.h"

static void test_empty(void)
{
	struct u64set s = {};

	u64set_sort(&s);
	u64set_pairs_sort(&s);
	ksft_test_result(!u64set_has(&s, 0) && !u64set_floor(&s, ~0ULL) &&
			 !u64set_pairs_find(&s, 0) &&
			 !u64_sorted_has(NULL, 0, 1),
			 "an empty set holds nothing\n");
	u64set_free(&s);
}

static void test_grow(void)
{
	struct u64set s = {};
	bool all = true, none = true;
	u64 i;
	int err = 0;

	for (i = 1000; i-- > 0 && !err;)	/* descending, odd values */
		err = u64set_add(&s, 2 * i + 1);
	err = err ?: u64set_add(&s, 7);		/* a duplicate */
	u64set_sort(&s);
	for (i = 0; i < 1000; i++) {
		all &= u64set_has(&s, 2 * i + 1);
		none &= !u64set_has(&s, 2 * i);
	}
	ksft_test_result(!err && s.nr == 1001 && all && none &&
			 !u64set_has(&s, 2001),
			 "1001 added unsorted: every one found, no other\n");
	ksft_test_result(u64set_floor(&s, 100) == 99 &&
			 u64set_floor(&s, 99) == 99 && !u64set_floor(&s, 0) &&
			 u64set_floor(&s, ~0ULL) == 1999,
			 "floors: below, at, before the first, past the last\n");
	u64set_free(&s);
	ksft_test_result(!s.a && !s.nr && !s.cap, "freed: empty again\n");
}

static void test_extremes(void)
{
	struct u64set s = {};
	int err;

	err = u64set_add(&s, ~0ULL);
	err = err ?: u64set_add(&s, 0);
	err = err ?: u64set_add(&s, 1ULL << 63);
	u64set_sort(&s);
	ksft_test_result(!err && s.a[0] == 0 && s.a[2] == ~0ULL &&
			 u64set_has(&s, 0) && u64set_has(&s, ~0ULL) &&
			 u64set_has(&s, 1ULL << 63) && !u64set_has(&s, 1),
			 "0, 2^63 and 2^64-1 sorted unsigned and found\n");
	u64set_free(&s);
}

static void test_pairs(void)
{
	struct u64set s = {};
	const u64 *p;
	int err = 0;
	u64 k;

	for (k = 50; k-- > 0 && !err;) {
		err = u64set_add(&s, 0xffffffff81000000ULL + 16 * k);
		err = err ?: u64set_add(&s, k);
	}
	u64set_pairs_sort(&s);
	p = u64set_pairs_find(&s, 0xffffffff81000000ULL + 16 * 42);
	ksft_test_result(!err && p && p[1] == 42 &&
			 !u64set_pairs_find(&s, 0xffffffff81000008ULL) &&
			 s.a[0] == 0xffffffff81000000ULL && s.a[1] == 0,
			 "pairs sorted by key, value kept beside it\n");
	u64set_free(&s);
}

int main(void)
{
	ksft_print_header();
	ksft_set_plan(6);
	test_empty();
	test_grow();
	test_extremes();
	test_pairs();
	ksft_finished();
}
