// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * System.map ("ffffffff81000000 T _text" per line): parsed once, sorted by
 * name, searched with bsearch(). The addresses are link-time ones; the
 * caller adds the KASLR slide it measured.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "backend.h"
#include "symmap.h"

#define SYMMAP_MAX_SYMS		(4U << 20)

struct symmap_ent {
	u64 addr;
	char *name;
};

struct symmap {
	struct symmap_ent *ents;
	size_t nr;
};

static int ent_cmp(const void *a, const void *b)
{
	return strcmp(((const struct symmap_ent *)a)->name,
		      ((const struct symmap_ent *)b)->name);
}

static int symmap_add(struct symmap *m, size_t *cap, u64 addr,
		      const char *name)
{
	struct symmap_ent *n;

	if (m->nr == *cap) {
		if (*cap >= SYMMAP_MAX_SYMS)
			return -E2BIG;
		*cap = *cap ? *cap * 2 : 4096;
		n = realloc(m->ents, *cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		m->ents = n;
	}
	m->ents[m->nr].name = strdup(name);
	if (!m->ents[m->nr].name)
		return -ENOMEM;
	m->ents[m->nr++].addr = addr;
	return 0;
}

int symmap_load(const char *path, struct symmap **ret,
		struct vmiaas_diag *diag)
{
	unsigned long long addr_ll;
	u64 addr;
	struct symmap *m;
	char line[1024], name[512], type;
	size_t cap = 0;
	int err = 0;
	FILE *f;

	f = fopen(path, "re");
	if (!f)
		return diag_set(diag, -errno, "cannot open System.map %s: %s",
				path, strerror(errno));
	m = calloc(1, sizeof(*m));
	if (!m) {
		fclose(f);
		return -ENOMEM;
	}
	while (!err && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llx %c %511s", &addr_ll, &type, name) != 3)
			continue;
		err = symmap_add(m, &cap, addr_ll, name);
	}
	fclose(f);
	if (err) {
		symmap_free(m);
		return diag_set(diag, err, "cannot load System.map %s: %s", path,
				strerror(-err));
	}
	if (m->nr)	/* qsort() and bsearch() take no NULL array */
		qsort(m->ents, m->nr, sizeof(*m->ents), ent_cmp);
	/* Addresses are taken relative to _text: without it they mean nothing. */
	if (symmap_lookup(m, "_text", &addr)) {
		symmap_free(m);
		return diag_set(diag, -EINVAL,
			"%s has no _text symbol: not a kernel System.map (Debian ships a placeholder; the real one is in linux-image-*-dbg)",
			path);
	}
	*ret = m;
	return 0;
}

void symmap_free(struct symmap *m)
{
	size_t i;

	if (!m)
		return;
	for (i = 0; i < m->nr; i++)
		free(m->ents[i].name);
	free(m->ents);
	free(m);
}

int symmap_lookup(const struct symmap *m, const char *name, u64 *ret)
{
	struct symmap_ent key = { .name = (char *)name }, *e;

	if (!m->nr)
		return -ENOENT;
	e = bsearch(&key, m->ents, m->nr, sizeof(*m->ents), ent_cmp);
	if (!e)
		return -ENOENT;
	*ret = e->addr;
	return 0;
}
