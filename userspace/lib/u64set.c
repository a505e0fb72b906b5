// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * Sorted u64 sets (u64set.h): one implementation for the checks that
 * collect addresses or frames, sort them once and search them often.
 */
#include <stdlib.h>

#include "engine.h"
#include "u64set.h"

int u64set_add(struct u64set *s, u64 x)
{
	u64 *n = array_grow(s->a, &s->cap, s->nr, sizeof(*n), 64);

	if (!n)
		return -ENOMEM;
	s->a = n;
	s->a[s->nr++] = x;
	return 0;
}

void u64set_free(struct u64set *s)
{
	free(s->a);
	*s = (struct u64set){};
}

void u64_sort(u64 *a, size_t nr)
{
	if (nr)		/* qsort() takes no NULL array */
		qsort(a, nr, sizeof(*a), u64_cmp);
}

bool u64_sorted_has(const u64 *a, size_t nr, u64 x)
{
	size_t lo = 0, hi = nr, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (a[mid] == x)
			return true;
		if (a[mid] < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

u64 u64set_floor(const struct u64set *s, u64 x)
{
	size_t lo = 0, hi = s->nr, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (s->a[mid] <= x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo ? s->a[lo - 1] : 0;
}

void u64set_pairs_sort(struct u64set *s)
{
	if (s->nr >= 2)
		qsort(s->a, s->nr / 2, 2 * sizeof(*s->a), u64_cmp);
}

const u64 *u64set_pairs_find(const struct u64set *s, u64 key)
{
	return s->nr >= 2 ? bsearch(&key, s->a, s->nr / 2, 2 * sizeof(*s->a),
				    u64_cmp) : NULL;
}
