/* SPDX-License-Identifier: LGPL-2.1 OR MIT */
/*
 * A unit test's tiny guest: 4 MiB of RAM whose second 2 MiB are one
 * kernel page mapped at KBASE (a direct-map address unless the test
 * defines KBASE first), words written into it by hand, and a struct
 * vmiaas reading it; and hand-made BTF structs (STRUCT()) for the layouts
 * the code under test resolves. One copy per test binary (static).
 */
#ifndef VMIAAS_TESTS_TINYGUEST_H
#define VMIAAS_TESTS_TINYGUEST_H

#include <stdlib.h>
#include <string.h>
#include <bpf/btf.h>

#include "userspace/lib/engine.h"
#include "tests/lib/tap.h"

#define RAM_SIZE	(4ULL << 20)
#define DATA_GPA	0x200000ULL	/* the 2 MiB page mapped at KBASE */
#ifndef KBASE			/* a test may map its page elsewhere */
#define KBASE		0xffff888000000000ULL
#endif
#define P		0x1ULL
#define RW		0x2ULL
#define PS		0x80ULL

static u8 *ram;
static struct vmi_phys phys;
static struct vmi_as as;
static struct vmiaas v;

static inline void guest_init(void)
{
	ram = aligned_alloc(4096, RAM_SIZE);
	if (!ram)
		exit(KSFT_FAIL);
	memset(ram, 0, RAM_SIZE);
	/* PML4 0x1000 -> PDPT 0x2000 -> PD 0x3000 -> 2 MiB at DATA_GPA. */
	*(u64 *)(ram + 0x1000 + 8 * ((KBASE >> 39) & 511)) = 0x2000 | P | RW;
	*(u64 *)(ram + 0x2000 + 8 * ((KBASE >> 30) & 511)) = 0x3000 | P | RW;
	*(u64 *)(ram + 0x3000 + 8 * ((KBASE >> 21) & 511)) = DATA_GPA | P | RW | PS;
	if (vmi_phys_add_range(&phys, 0, RAM_SIZE, ram))
		exit(KSFT_FAIL);
	vmi_as_init(&as, &phys, 0x1000, false);
	v.kas = &as;
}

static inline void put(u64 va, u64 val)
{
	memcpy(ram + DATA_GPA + (va - KBASE), &val, 8);
}

static inline int add_struct(struct btf *b, const char *name, u32 size,
			     const char *const *names, const int *types,
			     const u32 *offs, int n)
{
	int id = btf__add_struct(b, name, size), i;

	for (i = 0; i < n; i++)
		btf__add_field(b, names[i], types[i], offs[i] * 8, 0);
	return id;
}

/* A struct from local arrays `types` and `offs` and the member names. */
#define STRUCT(b, name, size, ...)					\
	add_struct(b, name, size, (const char *[]){ __VA_ARGS__ },	\
		   (const int *)(types), (const u32 *)(offs),		\
		   sizeof((const char *[]){ __VA_ARGS__ }) / sizeof(char *))

#endif /* VMIAAS_TESTS_TINYGUEST_H */
