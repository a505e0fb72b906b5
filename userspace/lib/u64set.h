/* SPDX-License-Identifier: LGPL-2.1 OR MIT */
/*
 * A growable array of u64 (addresses, frames), sorted once filled, then
 * searched: the checks' sets of what they have seen or may accept. Flat
 * (key, value) pairs are searched by key.
 */
#ifndef VMIAAS_U64SET_H
#define VMIAAS_U64SET_H

#include <stdbool.h>
#include <stddef.h>
#include "../../core/vmi_env.h"

struct u64set {
	u64 *a;
	size_t nr, cap;
};

/* Appends @x (unsorted until u64set_sort()). 0 or -ENOMEM. */
int u64set_add(struct u64set *s, u64 x);
void u64set_free(struct u64set *s);

/* Ascending order of a plain array (NULL with @nr 0 allowed). */
void u64_sort(u64 *a, size_t nr);
/* Whether sorted @a[0..@nr) holds @x. */
bool u64_sorted_has(const u64 *a, size_t nr, u64 x);

static inline void u64set_sort(struct u64set *s)
{
	u64_sort(s->a, s->nr);
}

static inline bool u64set_has(const struct u64set *s, u64 x)
{
	return u64_sorted_has(s->a, s->nr, x);
}

/* The largest element <= @x of a sorted set, or 0. */
u64 u64set_floor(const struct u64set *s, u64 x);

/* Pairs (key, value) stored flat, sorted and searched by key. */
void u64set_pairs_sort(struct u64set *s);
const u64 *u64set_pairs_find(const struct u64set *s, u64 key);

#endif
