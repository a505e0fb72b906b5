// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * Golden baselines: a baseline of one trusted boot of a kernel build,
 * held against every other boot of the same build (docs/integrity.md,
 * "Golden baselines").
 *
 * What differs between two clean boots of one build (measured: Debian
 * 6.1, two boots, every byte of text and rodata compared):
 *  - the KASLR slide. The decompressor relocates the absolute addresses
 *    in the kernel image: 64-bit and sign-extended 32-bit values that
 *    differ by the slide, and "inverse" 32-bit ones (per-CPU references)
 *    that differ by minus the slide. Text: 74,498 such values and not
 *    one other byte; rodata: 42,793 values, and
 *  - ro_after_init data written during boot: pointers to objects
 *    allocated then (kmem caches...), the randomized bases of the direct
 *    map, vmalloc and vmemmap, poking_addr. Per boot;
 *  - modules: loaded at random addresses and relocated at load. Per boot.
 * So text, rodata outside ro_after_init, the syscall table, the IDT and
 * the control registers come from the golden baseline, moved by the
 * slide; ro_after_init and modules are measured in this boot.
 *
 * A value accepted as relocated differs by exactly the slide difference,
 * which the guest does not know (it knows its own slide, not the golden
 * boot's), and both values must lie in the kernel image mapping; every
 * other difference keeps the golden byte, so the first check reports it.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checks.h"

#define GOLDEN_MAX_ENTRIES	256
#define KERNEL_IMAGE_MAP	0xffffffff80000000ULL	/* __START_KERNEL_map */
#define KERNEL_IMAGE_SIZE	(1ULL << 30)

/* The slide between the boots, and where the golden image was. */
struct reloc {
	u64 delta;
	u64 golden_slide;	/* the golden boot's KASLR offset */
};

static bool in_image(u64 x)
{
	return x >= KERNEL_IMAGE_MAP;
}

/* @x of the golden boot, in this boot: only kernel image addresses move. */
static u64 slide(u64 x, u64 delta)
{
	return in_image(x) && in_image(x + delta) ? x + delta : x;
}

static u64 le(const u8 *p, int width)
{
	u64 x = 0;
	int i;

	for (i = width - 1; i >= 0; i--)
		x = x << 8 | p[i];
	return x;
}

static u64 sext32(u64 x)
{
	return (u64)(s64)(s32)(u32)x;
}

/*
 * Is the value at @golden / @now one the decompressor relocated? 64-bit
 * and sign-extended 32-bit kernel addresses move by the slide, so do
 * zero-extended 32-bit values within the image's size above the slide
 * (physical addresses in early boot code, kaslr_offset()), per-CPU
 * references ("inverse" 32-bit) by minus the slide.
 */
static bool relocated(const u8 *golden, const u8 *now, int width,
		      const struct reloc *rl)
{
	u64 g = le(golden, width), n = le(now, width), d = rl->delta;

	if (width == 8)
		return n - g == d && in_image(g) && in_image(n);
	if ((u32)(n - g) == (u32)-d)
		return true;
	if ((u32)(n - g) != (u32)d)
		return false;
	return (in_image(sext32(g)) && in_image(sext32(n))) ||
	       (g - rl->golden_slide < KERNEL_IMAGE_SIZE &&
		n - (rl->golden_slide + d) < KERNEL_IMAGE_SIZE);
}

/*
 * The width of a relocated value that starts in [@lo, @i] and covers
 * byte @i, with its start in *@ret_start; 0 if none.
 */
static int relocation_at(const u8 *golden, const u8 *now, size_t n,
			 size_t lo, size_t i, const struct reloc *rl,
			 size_t *ret_start)
{
	static const int widths[] = { 8, 4 };
	size_t s;
	int w;

	for (s = i >= lo + 7 ? i - 7 : lo; s <= i; s++)
		for (w = 0; w < 2; w++)
			if (s + widths[w] <= n && s + widths[w] > i &&
			    relocated(golden + s, now + s, widths[w], rl)) {
				*ret_start = s;
				return widths[w];
			}
	return 0;
}

/*
 * A byte at @i unlike the golden one, not relocated: the golden byte is
 * kept, or, inside an aligned kernel address (a pointer in data), the
 * whole golden pointer moved by the slide, so that a finding names what
 * it pointed to. Returns the bytes that differ; *@next: where to go on.
 */
static u64 keep_golden(u8 *now, const u8 *golden, size_t n, size_t lo,
		       size_t i, const struct reloc *rl, size_t *next)
{
	size_t a = i & ~(size_t)7, j;
	u64 g, differ = 0;

	if (a < lo || a + 8 > n || !in_image(g = le(golden + a, 8)) ||
	    !in_image(g + rl->delta)) {
		now[i] = golden[i];
		*next = i + 1;
		return 1;
	}
	g += rl->delta;
	for (j = 0; j < 8; j++, g >>= 8) {
		differ += now[a + j] != (u8)g;
		now[a + j] = (u8)g;
	}
	*next = a + 8;
	return differ;
}

/*
 * @now becomes the golden bytes moved by the slide: relocated values keep
 * this boot's, [@keep_lo, @keep_hi) (per boot) is left as it is, every
 * other differing byte gets the golden one. Returns the bytes that
 * differed and were not relocated.
 */
static u64 rebase_bytes(u8 *now, const u8 *golden, size_t n,
			const struct reloc *rl, size_t keep_lo, size_t keep_hi,
			struct vmiaas_golden_report *rep)
{
	size_t i = 0, lo = 0, start;
	u64 differ = 0;
	int w;

	while (i < n) {
		if (i >= keep_lo && i < keep_hi) {
			i = lo = keep_hi;
			continue;
		}
		if (now[i] == golden[i]) {
			i++;
			continue;
		}
		w = rl->delta ? relocation_at(golden, now, n, lo, i, rl,
					      &start) : 0;
		if (w && (start + w <= keep_lo || start >= keep_hi)) {
			rep->relocated++;
			i = lo = start + w;
			continue;
		}
		differ += keep_golden(now, golden, n, lo, i, rl, &i);
	}
	return differ;
}

/* Same build, same layout: the ranges sit at the same image offsets. */
static int same_layout(struct vmiaas *v, const char *path, u64 g_start,
		       u64 g_end, u64 start, u64 end, u64 delta,
		       const char *what)
{
	if (end - start == g_end - g_start && start - g_start == delta)
		return 0;
	return engine_fail(v, -ESTALE,
			   "the golden baseline %s has another %s layout than the guest's kernel: not the same build",
			   path, what);
}

static int rebase_text(struct vmiaas *v, const char *path,
		       const struct vmiaas_baseline *g, struct vmiaas_baseline *b,
		       u64 delta, struct vmiaas_golden_report *rep)
{
	const struct reloc rl = {
		.delta = delta, .golden_slide = g->kaslr_offset,
	};
	int err;

	err = same_layout(v, path, g->text_start, g->text_end, b->text_start,
			  b->text_end, delta, "text");
	if (err)
		return err;
	rep->text_differ = rebase_bytes(b->text, g->text,
					b->text_end - b->text_start, &rl, 0,
					0, rep);
	return bl_region_rehash(b, b->text_start, b->text_end, b->text,
				b->text_digests);
}

static int rebase_rodata(struct vmiaas *v, const char *path,
			 const struct vmiaas_baseline *g,
			 struct vmiaas_baseline *b, u64 delta,
			 struct vmiaas_golden_report *rep)
{
	const struct reloc rl = {
		.delta = delta, .golden_slide = g->kaslr_offset,
	};
	struct bl_region *r = &b->rodata;
	u64 lo = 0, hi = 0;
	int err;

	err = same_layout(v, path, g->rodata.start, g->rodata.end, r->start,
			  r->end, delta, "rodata");
	if (err)
		return err;
	/* ro_after_init is per boot; without its symbols nothing is */
	if (engine_sym(v, "__start_ro_after_init", &lo) ||
	    engine_sym(v, "__end_ro_after_init", &hi) || lo < r->start ||
	    hi > r->end || hi < lo)
		lo = hi = r->start;
	rep->ro_after_init = hi - lo;
	rep->rodata_differ = rebase_bytes(r->bytes, g->rodata.bytes,
					  r->end - r->start, &rl,
					  lo - r->start, hi - r->start, rep);
	return bl_region_rehash(b, r->start, r->end, r->bytes, r->digests);
}

static int rebase_syscalls(const struct vmiaas_baseline *g,
			   struct vmiaas_baseline *b, u64 delta)
{
	struct vmiaas_syscall *s;
	u32 i;

	s = calloc(g->nr_syscalls ? g->nr_syscalls : 1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	for (i = 0; i < g->nr_syscalls; i++) {
		s[i] = g->syscalls[i];
		s[i].address = slide(s[i].address, delta);
	}
	free(b->syscalls);
	b->syscalls = s;
	b->nr_syscalls = g->nr_syscalls;
	return 0;
}

/* Each vCPU's IDT from the golden one of the same vCPU, else vCPU 0's. */
static int rebase_idts(const struct vmiaas_baseline *g,
		       struct vmiaas_baseline *b, u64 delta)
{
	const struct bl_idt *gt;
	struct vmiaas_idt_gate *gates;
	u32 i, j;

	if (!g->nr_idts)
		return 0;
	for (i = 0; i < b->nr_idts; i++) {
		struct bl_idt *t = &b->idts[i];

		for (gt = g->idts, j = 0; j < g->nr_idts; j++)
			if (g->idts[j].vcpu == t->vcpu)
				gt = &g->idts[j];
		gates = calloc(gt->nr ? gt->nr : 1, sizeof(*gates));
		if (!gates)
			return -ENOMEM;
		for (j = 0; j < gt->nr; j++) {
			gates[j] = gt->gates[j];
			gates[j].address = slide(gates[j].address, delta);
		}
		free(t->gates);
		t->gates = gates;
		t->nr = gt->nr;
		t->limit = gt->limit;
		t->base = slide(gt->base, delta);
	}
	return 0;
}

static void rebase_cpus(const struct vmiaas_baseline *g,
			struct vmiaas_baseline *b, u64 delta)
{
	const struct bl_cpu *gc;
	u32 i, j;

	if (!g->nr_vcpus)
		return;
	for (i = 0; i < b->nr_vcpus; i++) {
		struct bl_cpu *c = &b->cpus[i];

		for (gc = g->cpus, j = 0; j < g->nr_vcpus; j++)
			if (g->cpus[j].index == c->index)
				gc = &g->cpus[j];
		c->cr0 = gc->cr0;
		c->cr4 = gc->cr4;
		if (!(gc->flags & VMIAAS_VCPU_MSRS))
			continue;	/* this boot's, measured now */
		c->lstar = slide(gc->lstar, delta);
		c->cstar = slide(gc->cstar, delta);
		c->sysenter_eip = slide(gc->sysenter_eip, delta);
		c->flags |= VMIAAS_VCPU_MSRS;
	}
}

static int rebase(struct vmiaas *v, const char *path,
		  const struct vmiaas_baseline *g, struct vmiaas_baseline *b,
		  struct vmiaas_golden_report *rep)
{
	u64 delta = b->kaslr_offset - g->kaslr_offset;
	const char *name = strrchr(path, '/');
	int err;

	rep->kaslr_delta = delta;
	rep->modules = b->nr_modules;
	err = rebase_text(v, path, g, b, delta, rep);
	err = err ?: rebase_rodata(v, path, g, b, delta, rep);
	err = err ?: rebase_syscalls(g, b, delta);
	err = err ?: rebase_idts(g, b, delta);
	if (err)
		return err;
	rebase_cpus(g, b, delta);
	if (g->has_helpers) {	/* the trusted boot's strings, not this one's */
		memcpy(b->helpers, g->helpers, sizeof(b->helpers));
		b->nr_helpers = g->nr_helpers;
	}
	if (g->has_umh) {	/* likewise its release agents and handlers */
		free(b->umh);
		b->umh = NULL;
		b->nr_umh = 0;
		if (g->nr_umh) {
			b->umh = malloc(g->nr_umh * sizeof(*b->umh));
			if (!b->umh)
				return -ENOMEM;
			memcpy(b->umh, g->umh, g->nr_umh * sizeof(*b->umh));
			b->nr_umh = g->nr_umh;
		}
	}
	err = bl_proc_ops_rebase(g, b, delta);
	err = err ?: bl_tty_rebase(g, b, delta);
	if (err)
		return err;
	bl_hooks_golden(g, b);
	snprintf(b->origin, sizeof(b->origin), "golden %s",
		 name ? name + 1 : path);
	return 0;
}

int vmiaas_baseline_from_golden(struct vmiaas *v, const char *path,
				const uint8_t key[VMIAAS_KEY_SIZE],
				struct vmiaas_baseline **ret,
				struct vmiaas_golden_report *report)
{
	struct vmiaas_baseline *g = NULL, *b = NULL;
	int err;

	memset(report, 0, sizeof(*report));
	err = bl_load_build(v, path, key, &g);
	err = err ?: vmiaas_baseline_take(v, key, &b);
	err = err ?: rebase(v, path, g, b, report);
	vmiaas_baseline_free(g);
	if (err) {
		vmiaas_baseline_free(b);
		return err;
	}
	*ret = b;
	return 0;
}

static bool golden_candidate(const struct dirent *e)
{
	return e->d_name[0] != '.' && !strstr(e->d_name, ".tmp.") &&
	       (e->d_type == DT_REG || e->d_type == DT_UNKNOWN);
}

int vmiaas_golden_find(struct vmiaas *v, const char *dir, char *ret,
		       size_t size)
{
	const struct vmiaas_info *info = vmiaas_info(v);
	char release[65], banner[256], path[4096], best[256] = "";
	struct dirent *e;
	unsigned int n = 0;
	DIR *d;

	d = opendir(dir);
	if (!d)
		return -errno;
	while ((e = readdir(d)) && n++ < GOLDEN_MAX_ENTRIES) {
		if (!golden_candidate(e) || strlen(e->d_name) >= sizeof(best) ||
		    (best[0] && strcmp(e->d_name, best) >= 0))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (bl_peek_ident(path, release, banner) == 0 &&
		    !strcmp(release, info->kernel_release) &&
		    !strcmp(banner, info->banner))
			snprintf(best, sizeof(best), "%s", e->d_name);
	}
	closedir(d);
	if (!best[0])
		return -ENOENT;
	if ((size_t)snprintf(ret, size, "%s/%s", dir, best) >= size)
		return -ENAMETOOLONG;
	return 0;
}
