/* SPDX-License-Identifier: LGPL-2.1 OR MIT */
/*
 * A System.map for a unit test's hand-made guest: the symbols are
 * written to a temporary file and loaded with symmap_load(), as vmictl
 * --system-map would.
 */
#ifndef VMIAAS_TESTS_SYMFILE_H
#define VMIAAS_TESTS_SYMFILE_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "userspace/lib/symmap.h"
#include "tests/lib/tap.h"

struct sym {
	const char *name;
	u64 addr;
};

/* Loads @n symbols into *@ret; exits the test on any failure. */
static inline void test_symmap_load(const struct sym *syms, size_t n,
				    struct symmap **ret)
{
	char path[] = "/tmp/vmiaas-test-symmap.XXXXXX";
	struct vmiaas_diag diag = {};
	int fd = mkstemp(path);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	size_t i;

	if (!f)
		exit(KSFT_FAIL);
	for (i = 0; i < n; i++)
		fprintf(f, "%016llx T %s\n", (unsigned long long)syms[i].addr,
			syms[i].name);
	fclose(f);
	if (symmap_load(path, ret, &diag))
		exit(KSFT_FAIL);
	unlink(path);
}

#endif /* VMIAAS_TESTS_SYMFILE_H */
