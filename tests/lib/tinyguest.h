/* SPDX-License-Identifier: LGPL-2.1 OR MIT */
/*
 * A unit test's tiny guest: 4 MiB of RAM whose second 2 MiB are one
 * kernel page mapped at KBASE (a direct-map address unless the test
 * defines KBASE first), words written into it by hand, and a struct
 * vmiaas reading it; and hand-made BTF structs (STRUCT(), on the common
 * types of tiny_btf_new()) for the layouts the code under test resolves,
 * list rings, and a findings sink. One copy per test binary (static).
 */
#ifndef VMIAAS_TESTS_TINYGUEST_H
#define VMIAAS_TESTS_TINYGUEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/btf.h>

#include <vmiaas/checks.h>
#include "core/measure.h"
#include "userspace/lib/engine.h"
#include "userspace/lib/hidden.h"
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

/* The types every test BTF starts from, by id. */
struct tiny_btf {
	int i8, i32, ptr;
	int lh;		/* struct list_head { next, prev } */
	int xa;		/* struct xarray { xa_lock, xa_flags, xa_head } */
	int idr;	/* struct idr { idr_rt } */
};

/*
 * A new BTF with char, int, void *, list_head, xarray, idr and xa_node
 * (shift at 0, 64 slots at 0x28: the kernel's layout on x86-64).
 */
static inline struct btf *tiny_btf_new(struct tiny_btf *t)
{
	struct btf *b = btf__new_empty();

	if (!b)
		exit(KSFT_FAIL);
	t->i8 = btf__add_int(b, "char", 1, 0);
	t->i32 = btf__add_int(b, "int", 4, BTF_INT_SIGNED);
	t->ptr = btf__add_ptr(b, 0);
	{
		const int types[] = { t->ptr, t->ptr };
		const u32 offs[] = { 0, 8 };

		t->lh = STRUCT(b, "list_head", 16, "next", "prev");
	}
	{
		const int types[] = { t->i32, t->i32, t->ptr };
		const u32 offs[] = { 0, 4, 8 };

		t->xa = STRUCT(b, "xarray", 16, "xa_lock", "xa_flags",
			       "xa_head");
	}
	{
		const int types[] = { t->xa };
		const u32 offs[] = { 0 };

		t->idr = STRUCT(b, "idr", 24, "idr_rt");
	}
	{
		const int types[] = { t->i8,
				      btf__add_array(b, t->i32, t->ptr, 64) };
		const u32 offs[] = { 0, 0x28 };

		STRUCT(b, "xa_node", 0x228, "shift", "slots");
	}
	return b;
}

/*
 * Read ops for a core/ walk alone: the kernel page at KBASE, nothing
 * else; a read outside it fails with -EFAULT and is counted.
 */
static u64 tiny_reads_outside;

static inline int tiny_page_read(void *ctx, u64 va, void *buf, size_t len)
{
	(void)ctx;
	if (va < KBASE || va - KBASE >= 0x200000 ||
	    len > 0x200000 - (va - KBASE)) {
		tiny_reads_outside++;
		return -EFAULT;
	}
	memcpy(buf, ram + DATA_GPA + (va - KBASE), len);
	return 0;
}

static const struct vmi_read_ops tiny_page_ops = { .read = tiny_page_read };

/* @s and its NUL at guest-virtual @va. */
static inline void put_str(u64 va, const char *s)
{
	memcpy(ram + DATA_GPA + (va - KBASE), s, strlen(s) + 1);
}

/*
 * struct module_layout as 6.1 has it (base, size, text_size, ro_size,
 * ro_after_init_size: 24 bytes), for a test's struct module: list at 0,
 * name at 16, state at 72, taints at 80, core_layout at 96, init_layout
 * at 128 (tiny_module()).
 */
static inline int tiny_btf_module_layout(struct btf *b, const struct tiny_btf *t)
{
	int uint = btf__find_by_name_kind(b, "unsigned int", BTF_KIND_INT);

	if (uint < 0)
		uint = btf__add_int(b, "unsigned int", 4, 0);
	{
		const int types[] = { t->ptr, uint, uint, uint, uint };
		const u32 offs[] = { 0, 8, 12, 16, 20 };

		return STRUCT(b, "module_layout", 24, "base", "size",
			      "text_size", "ro_size", "ro_after_init_size");
	}
}

/* struct module with the members and offsets tiny_module() fills. */
static inline int tiny_btf_module(struct btf *b, const struct tiny_btf *t)
{
	int ml = tiny_btf_module_layout(b, t);
	int ulong = btf__find_by_name_kind(b, "long unsigned int",
					   BTF_KIND_INT);

	if (ulong < 0)
		ulong = btf__add_int(b, "long unsigned int", 8, 0);
	{
		const int types[] = { t->lh, btf__add_array(b, t->i32, t->i8, 56),
				      t->i32, ulong, ml, ml };
		const u32 offs[] = { 0, 16, 72, 80, 96, 128 };

		return STRUCT(b, "module", 160, "list", "name", "state",
			      "taints", "core_layout", "init_layout");
	}
}

/* A list_head ring: @head and @nodes[0..@n), each next and prev set. */
static inline void list_ring(u64 head, const u64 *nodes, u32 n)
{
	u64 prev = head;
	u32 i;

	for (i = 0; i < n; i++) {
		put(prev, nodes[i]);
		put(nodes[i] + 8, prev);
		prev = nodes[i];
	}
	put(prev, head);
	put(head + 8, prev);
}

/* Module "rootkit" at @mod, the only one on @head, its text 4 KiB at @text. */
static inline void tiny_module(u64 head, u64 mod, u64 text)
{
	list_ring(head, &mod, 1);
	put_str(mod + 16, "rootkit");
	put(mod + 96, text);				/* core_layout.base */
	put(mod + 96 + 8, 0x1000ULL | 0x1000ULL << 32);	/* size, text_size */
	put(mod + 96 + 16, 0x1000ULL | 0x1000ULL << 32);	/* ro sizes */
}

/* The findings a check reported (a hidden_sink's add). */
static struct vmiaas_finding findings[64];
static u32 nr_findings;

static inline struct vmiaas_finding *add_finding(void *ctx, const char *check,
						 u32 severity,
						 const char *object)
{
	struct vmiaas_finding *f;

	if (nr_findings >= ARRAY_SIZE(findings))
		return NULL;
	f = &findings[nr_findings++];
	memset(f, 0, sizeof(*f));
	snprintf(f->check, sizeof(f->check), "%s", check);
	snprintf(f->object, sizeof(f->object), "%s", object);
	f->severity = severity;
	return f;
}

struct hook_trust;
typedef int (*tiny_check_fn)(struct vmiaas *v, const struct hidden_sink *sink,
			     struct hook_trust *trust);

/* The hooks present at baseline tiny_check() passes (NULL: none). */
static struct hook_trust *tiny_trust;

/*
 * @check run on the tiny guest into findings[]: its error; *@nr its
 * findings (events not counted), *@first the first of them or NULL.
 */
static inline int tiny_check(tiny_check_fn check, u32 *nr,
			     const struct vmiaas_finding **first)
{
	const struct hidden_sink sink = { .add = add_finding };
	u32 i;
	int err;

	nr_findings = 0;
	err = check(&v, &sink, tiny_trust);
	*nr = 0;
	*first = NULL;
	for (i = 0; i < nr_findings; i++) {
		if (findings[i].flags & VMIAAS_FINDING_EVENT)
			continue;
		if (!*first)
			*first = &findings[i];
		(*nr)++;
	}
	return err;
}

/* Whether findings[] holds an event of @check about @object. */
static inline bool tiny_has_event(const char *check, const char *object)
{
	u32 i;

	for (i = 0; i < nr_findings; i++)
		if ((findings[i].flags & VMIAAS_FINDING_EVENT) &&
		    !strcmp(findings[i].check, check) &&
		    !strcmp(findings[i].object, object))
			return true;
	return false;
}

/* The events (not findings) in findings[] after tiny_check(). */
static inline u32 tiny_nr_events(void)
{
	u32 i, n = 0;

	for (i = 0; i < nr_findings; i++)
		n += !!(findings[i].flags & VMIAAS_FINDING_EVENT);
	return n;
}

#endif /* VMIAAS_TESTS_TINYGUEST_H */
