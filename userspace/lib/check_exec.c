// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * exec-memory: supervisor-executable mappings in the kernel half of the
 * guest's page tables that no known code accounts for, and every
 * writable+executable kernel mapping (W^X).
 *
 * Code copied into a vmalloc() or kmalloc() page and made executable
 * (set_memory_x(), or a vmap with PAGE_KERNEL_EXEC) survives its module:
 * no record of the kernel names it, only the page tables still map it
 * executable. The walk (core/ptscan.c) visits only subtrees without XD
 * and passes executable supervisor leaves; contiguous ones become runs,
 * and each run must lie in:
 *   - the kernel image's text (_text.._etext);
 *   - the module mapping range, inside a busy vmap area (each live
 *     module's executable memory must be its text; an area that belongs
 *     to no module is hidden-module's to judge: BPF JIT packs, ftrace
 *     trampolines and kprobe instruction pages are executable and
 *     recorded there). The kernel maps memory there only through
 *     vmalloc (module_alloc(), execmem_alloc()), which inserts the area
 *     before it maps a page and unmaps the pages before the area is
 *     reused: an executable page there in no area was mapped by hand
 *     (page table entries written directly, or an area unlinked from
 *     the tree), and no record of the kernel accounts for it;
 *   - the real-mode trampoline (real_mode_header, in the direct map:
 *     set_memory_x() at boot, for AP startup and resume);
 *   - or map frames of the kernel's text (an alias of it).
 * Anything else is a critical finding naming the range, the area of the
 * kernel's address space it lies in and its first bytes. Any of them
 * writable too is one, whatever it maps: the kernel never keeps a
 * mapping writable and executable after boot (CONFIG_DEBUG_WX checks the
 * same at boot, from inside).
 *
 * The walk, the runs and their judgement against the allowed ranges are
 * core/execmem.c, which vmiaas.ko runs too; the allowed ranges are this
 * file's policy (exec_allow_get()), handed to the module with the check
 * (vmiaas_module_policy()). Only the module-data rule needs the module
 * list, which the module does not walk: there, the whole module range is
 * allowed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "uapi/linux/vmiaas.h"
#include "checks.h"
#include "hidden.h"
#include "../../core/execmem.h"

#define EXEC_RUNS_MAX		(1U << 16)	/* executable runs per scan */
#define EXEC_TABLES_MAX		(1U << 18)	/* page tables read per scan */
#define EXEC_REALMODE_MAX	(1U << 20)	/* the real-mode blob's size cap */
#define EXEC_HEAD_BYTES		16	/* shown of a suspect run */

struct exec_runs {
	struct vmi_exec_run *a;
	size_t nr, cap;
};

/* What the kernel itself maps executable (see the top of the file). */
struct exec_known {
	struct exec_allow policy;
	struct bl_module *mods;
	u32 nr_mods;
	struct exec_runs areas;	/* busy vmap areas of the module range */
};

static int exec_run_add(void *ctx, const struct vmi_exec_run *run)
{
	struct exec_runs *r = ctx;
	struct vmi_exec_run *a;

	if (r->nr >= EXEC_RUNS_MAX)
		return -E2BIG;
	a = array_grow(r->a, &r->cap, r->nr, sizeof(*a), 64);
	if (!a)
		return -ENOMEM;
	r->a = a;
	r->a[r->nr++] = *run;
	return 0;
}

/* Every executable supervisor run of the kernel half, in address order. */
static int exec_scan(struct vmiaas *v, struct exec_runs *r,
		     struct vmi_scan_stats *st)
{
	int err;

	err = vmi_exec_scan(v->kas, vmi_exec_kernel_half(v->kas),
			    EXEC_TABLES_MAX, exec_run_add, r, st, NULL);
	if (err == -E2BIG)
		return engine_fail(v, err,
				   "exec-memory: the kernel's page tables map more than %u executable runs or take more than %u tables: implausible",
				   EXEC_RUNS_MAX, EXEC_TABLES_MAX);
	if (err)
		return engine_fail(v, err,
				   "exec-memory: the kernel's page tables cannot be walked (%s)",
				   strerror(-err));
	return 0;
}

static int exec_area_add(struct vmiaas *v, u64 va, u64 start, u64 end,
			 void *arg)
{
	struct vmi_exec_run area = { .start = start, .end = end };

	(void)v;
	(void)va;
	return exec_run_add(arg, &area);
}

static int exec_area_cmp(const void *a, const void *b)
{
	const struct vmi_exec_run *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/*
 * The busy vmap areas of the module range, sorted: read after each walk
 * of the page tables (vmalloc inserts an area before it maps its pages;
 * a page seen mapped has its area in the tree by then, unless it was
 * freed since, and then the second walk does not see it).
 */
static int exec_areas_get(struct vmiaas *v, struct exec_known *k)
{
	int err;

	k->areas.nr = 0;
	err = hidden_vmap_areas(v, k->policy.modules.start,
				k->policy.modules.end, exec_area_add,
				&k->areas);
	if (err)
		return engine_fail(v, err,
				   "exec-memory: the vmap areas of the module range cannot be read (%s)",
				   strerror(-err));
	if (k->areas.nr)
		qsort(k->areas.a, k->areas.nr, sizeof(*k->areas.a),
		      exec_area_cmp);
	return 0;
}

/* Whether the sorted busy vmap areas cover all of @r. */
static bool exec_in_areas(const struct exec_known *k,
			  const struct vmi_exec_run *r)
{
	u64 at = r->start;
	size_t i;

	for (i = 0; i < k->areas.nr && at < r->end; i++) {
		const struct vmi_exec_run *a = &k->areas.a[i];

		if (a->start > at)
			break;
		if (a->end > at)
			at = a->end;
	}
	return at >= r->end;
}

/* The real-mode trampoline, if the kernel has one (false if not). */
static bool exec_realmode(struct vmiaas *v, struct vmi_exec_allow *a)
{
	u64 hdr_ptr, start, blob, blob_end;

	if (engine_sym(v, "real_mode_header", &hdr_ptr) ||
	    engine_read_u64(v, hdr_ptr, &start) ||
	    engine_sym(v, "real_mode_blob", &blob) ||
	    engine_sym(v, "real_mode_blob_end", &blob_end) ||
	    blob_end < blob || blob_end - blob > EXEC_REALMODE_MAX ||
	    start < (1ULL << 63) || start > ~0ULL - EXEC_REALMODE_MAX)
		return false;
	a->start = start & VMI_PAGE_MASK;
	a->end = (start + (blob_end - blob) + VMI_PAGE_SIZE - 1) &
		 VMI_PAGE_MASK;
	return a->start < a->end;
}

int exec_allow_get(struct vmiaas *v, struct exec_allow *p)
{
	u64 text_start, text_end, image_end, text_pa = v->info.text_pa;
	struct vmi_exec_allow *a = p->allow;
	int err;

	memset(p, 0, sizeof(*p));
	err = engine_sym(v, "_text", &text_start);
	err = err ?: engine_sym(v, "_etext", &text_end);
	err = err ?: engine_sym(v, "_end", &image_end);
	if (err || text_end <= text_start || image_end < text_end)
		return engine_fail(v, err ?: -EBADMSG,
				   "exec-memory: no kernel text and image (_text, _etext, _end)");
	err = modarea_get(v, &p->modules);	/* above _end: checked there */
	if (err)
		return err;
	/* the page holding _etext is text */
	text_end = (text_end + VMI_PAGE_SIZE - 1) & VMI_PAGE_MASK;
	a[p->nr++] = (struct vmi_exec_allow){
		.start = text_start & VMI_PAGE_MASK, .end = text_end,
	};
	/* an alias of the kernel text's frames */
	a[p->nr++] = (struct vmi_exec_allow){
		.start = text_pa & VMI_PAGE_MASK,
		.end = text_pa + (text_end - text_start),
		.flags = VMI_EXEC_ALLOW_PHYS,
	};
	/* the module range: hidden-module judges what no module owns */
	a[p->nr++] = (struct vmi_exec_allow){
		.start = p->modules.start, .end = p->modules.end,
	};
	if (exec_realmode(v, &a[p->nr]))
		p->nr++;
	return 0;
}

static int exec_known_get(struct vmiaas *v, struct exec_known *k)
{
	int err;

	memset(k, 0, sizeof(*k));
	err = exec_allow_get(v, &k->policy);
	return err ?: bl_modules_now(v, &k->mods, &k->nr_mods);
}

static bool inside(u64 start, u64 end, u64 lo, u64 hi)
{
	return start >= lo && end <= hi && lo < hi;
}

static bool in_module_range(const struct exec_known *k,
			    const struct vmi_exec_run *r)
{
	return r->start >= k->policy.modules.start &&
	       r->end <= k->policy.modules.end;
}

/*
 * In the module range: a run inside a live module's memory must be inside
 * its text; anywhere else there it is hidden-module's to judge.
 */
static const struct bl_module *exec_module_data(const struct exec_known *k,
						const struct vmi_exec_run *r)
{
	u32 i, j;

	for (i = 0; i < k->nr_mods; i++) {
		const struct bl_module *m = &k->mods[i];

		if (inside(r->start, r->end, m->text.start, m->text.end))
			return NULL;
		for (j = 0; j < BL_MODULE_NR_RO; j++)
			if (r->start < m->ro[j].end && m->ro[j].start < r->end)
				return m;
	}
	return NULL;
}

/* Whether the kernel maps @r executable itself, writable or not. */
static bool exec_explained(const struct exec_known *k,
			   const struct vmi_exec_run *r)
{
	struct vmi_exec_run ro = *r;

	ro.writable = 0;
	if (!vmi_exec_allowed(&ro, k->policy.allow, k->policy.nr))
		return false;
	return !in_module_range(k, r) ||
	       (exec_in_areas(k, r) && !exec_module_data(k, r));
}

/* Which part of the kernel's address space @va is in (x86-64 layout). */
static const char *exec_area(struct vmiaas *v, const struct exec_known *k,
			     u64 va)
{
	static const char *const names[] = {
		"the direct map", "the vmalloc area", "the vmemmap area",
	};
	const char *bases[] = {
		"page_offset_base", "vmalloc_base", "vmemmap_base",
	};
	const char *best = "the kernel half";
	u64 best_base = 0, base, sym;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bases); i++)
		if (!engine_sym(v, bases[i], &sym) &&
		    !engine_read_u64(v, sym, &base) && base <= va &&
		    base >= best_base) {
			best_base = base;
			best = names[i];
		}
	if (va >= 0xfffffe0000000000ULL)
		best = "the cpu_entry_area";
	if (va >= 0xffffff0000000000ULL)
		best = "the espfix area";
	if (va >= 0xffffffff80000000ULL)
		best = "the kernel image mapping";
	if (va >= k->policy.modules.start)
		best = "the module mapping range";
	if (va >= k->policy.modules.end)
		best = "the fixmap";
	return best;
}

/* The first bytes at @va in hex, what the code starts with. */
static void exec_head(struct vmiaas *v, u64 va, char *buf, size_t size)
{
	u8 b[EXEC_HEAD_BYTES];
	size_t i;

	snprintf(buf, size, "(unreadable)");
	if (engine_read(v, va, b, sizeof(b)))
		return;
	for (i = 0; i < sizeof(b) && 2 * i + 2 < size; i++)
		snprintf(buf + 2 * i, size - 2 * i, "%02x", b[i]);
}

static void exec_report(struct vmiaas *v, const struct exec_known *k,
			const struct vmi_exec_run *r, const struct hidden_sink *s)
{
	const struct bl_module *m = in_module_range(k, r) ?
				    exec_module_data(k, r) : NULL;
	bool known = exec_explained(k, r);
	char obj[64], where[160], head[2 * EXEC_HEAD_BYTES + 1];
	struct vmiaas_finding *f;

	snprintf(obj, sizeof(obj), "0x%016llx-0x%016llx",
		 (unsigned long long)r->start, (unsigned long long)r->end);
	f = s->add(s->ctx, "exec-memory", VMIAAS_SEV_CRITICAL, obj);
	if (!f)
		return;
	if (m)
		snprintf(where, sizeof(where), "the read-only data of module %s",
			 m->name);
	else if (in_module_range(k, r) && !exec_in_areas(k, r))
		snprintf(where, sizeof(where),
			 "the module mapping range in no vmap area (mapped by hand: module, BPF, ftrace and kprobe memory is all vmalloc's)");
	else
		snprintf(where, sizeof(where), "%s", exec_area(v, k, r->start));
	f->flags |= VMIAAS_FINDING_ADDRESS;
	f->address = r->start;
	exec_head(v, r->start, head, sizeof(head));
	snprintf(f->message, sizeof(f->message),
		 "%llu KiB of kernel memory in %s (physical 0x%llx) %s%s; it starts %s",
		 (unsigned long long)(r->end - r->start) >> 10, where,
		 (unsigned long long)r->gpa,
		 r->writable ? "mapped writable and executable (W^X)" :
			       "mapped executable",
		 known ? "" : ", outside the kernel's text, module text, the real-mode trampoline and the module area's JIT, ftrace and kprobe pages",
		 head);
}


static size_t exec_suspects(const struct exec_known *k, struct exec_runs *r)
{
	size_t i, n = 0;

	for (i = 0; i < r->nr; i++)
		if (r->a[i].writable || !exec_explained(k, &r->a[i]))
			r->a[n++] = r->a[i];
	r->nr = n;
	return n;
}

int check_exec(struct vmiaas *v, const struct hidden_sink *s)
{
	struct exec_runs first = {}, second = {};
	struct vmi_scan_stats st;
	struct exec_known k;
	u64 pos = 0;
	size_t i;
	int err;

	err = exec_known_get(v, &k);
	err = err ?: exec_scan(v, &first, &st);
	err = err ?: exec_areas_get(v, &k);
	if (!err && exec_suspects(&k, &first)) {
		/* a mapping being changed (text_poke, module load) settles */
		engine_pause(v, check_rescan_us);
		err = exec_scan(v, &second, &st);
		err = err ?: exec_areas_get(v, &k);
		for (i = 0; !err && i < second.nr; i++)
			if ((second.a[i].writable ||
			     !exec_explained(&k, &second.a[i])) &&
			    vmi_exec_seen(first.a, first.nr, &pos, &second.a[i]))
				exec_report(v, &k, &second.a[i], s);
	}
	free(first.a);
	free(second.a);
	free(k.areas.a);
	bl_modules_free(k.mods, k.nr_mods);
	return err;
}

/* exec-memory's record for vmiaas_module_policy(), appended at *@nr. */
int exec_module_check(struct vmiaas *v, struct vmiaas_module_check *out,
		      size_t max, size_t *nr)
{
	struct vmiaas_module_check *c = &out[*nr];
	struct vmiaas_exec_range *e;
	struct exec_allow p;
	u32 i;
	int err;

	static_assert(EXEC_ALLOW_MAX * sizeof(struct vmiaas_exec_range) <=
		      VMIAAS_MODULE_DATA, "data");
	err = exec_allow_get(v, &p);
	if (err)
		return err;
	if (*nr >= max)
		return -ENOSPC;
	memset(c, 0, sizeof(*c));
	e = (struct vmiaas_exec_range *)c->data;
	for (i = 0; i < p.nr; i++)
		e[i] = (struct vmiaas_exec_range){
			.start = p.allow[i].start, .end = p.allow[i].end,
			.flags = p.allow[i].flags & VMI_EXEC_ALLOW_PHYS ?
				 VMIAAS_EXEC_PHYS : 0,
		};
	c->type = VMIAAS_CHECK_EXEC_GVA;
	c->len = p.nr;
	c->root = v->info.pgd_pa;
	snprintf(c->label, sizeof(c->label), "exec-memory (%u allowed ranges)",
		 p.nr);
	snprintf(c->check, sizeof(c->check), "exec-memory");
	snprintf(c->object, sizeof(c->object), "kernel executable mappings");
	c->severity = VMIAAS_SEV_CRITICAL;
	(*nr)++;
	return 0;
}
