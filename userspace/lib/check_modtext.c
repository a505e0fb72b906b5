// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * module-text and module-rodata: each module's text, rodata and
 * ro_after_init hashed per page at baseline; at check a module with the
 * same name, struct module and ranges is re-hashed. Every run of differing
 * text that the text classifier (checks.c, text_classify()) cannot
 * explain is a module-text finding at [module]+offset; every change in
 * its read-only data is a module-rodata finding. A module loaded or
 * unloaded since the baseline is an event: it was never measured (or is
 * gone), so there is nothing to compare.
 *
 * Where the regions are comes from BTF, never from the kernel version:
 * 6.4+ has mod->mem[MOD_TEXT/MOD_RODATA/MOD_RO_AFTER_INIT].{base,size},
 * earlier kernels mod->core_layout.{base,text_size,ro_size,
 * ro_after_init_size}.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checks.h"
#include "hidden.h"

#define MODULE_STATE_LIVE	0

/*
 * Where a module's regions are. 6.4+ (@split): one allocation per type,
 * mem[MOD_TEXT], mem[MOD_RODATA], mem[MOD_RO_AFTER_INIT] (indexes from
 * the BTF enum). Earlier: one core allocation at core_layout.base, text
 * up to text_size, then rodata up to ro_size, then ro_after_init up to
 * ro_after_init_size (cumulative sizes).
 */
struct modtext_layout {
	bool split;
	u32 base[3], size[3];	/* offsets in struct module */
};

static const char *const mem_enums[3] = {
	"MOD_TEXT", "MOD_RODATA", "MOD_RO_AFTER_INIT",
};

static int modtext_layout_read(struct vmiaas *v, struct modtext_layout *l)
{
	static const char *const sizes[3] = {
		"core_layout.text_size", "core_layout.ro_size",
		"core_layout.ro_after_init_size",
	};
	char path[48];
	s64 idx;
	int k;

	l->split = !btf_enum_value(v->btf, mem_enums[0], &idx);
	for (k = 0; k < 3 && l->split; k++) {
		if (btf_enum_value(v->btf, mem_enums[k], &idx) || idx < 0 ||
		    idx > 16)
			goto fail;
		snprintf(path, sizeof(path), "mem[%lld].base", (long long)idx);
		if (btf_offsetof(v->btf, "module", path, &l->base[k]))
			goto fail;
		snprintf(path, sizeof(path), "mem[%lld].size", (long long)idx);
		if (btf_offsetof(v->btf, "module", path, &l->size[k]))
			goto fail;
	}
	if (l->split)
		return 0;
	if (btf_offsetof(v->btf, "module", "core_layout.base", &l->base[0]))
		goto fail;
	for (k = 0; k < 3; k++)
		if (btf_offsetof(v->btf, "module", sizes[k], &l->size[k]))
			goto fail;
	return 0;
fail:
	return engine_fail(v, -ENOEXEC,
			   "struct module has neither mem[MOD_TEXT/MOD_RODATA/MOD_RO_AFTER_INIT] nor core_layout's sizes in BTF");
}

static int modtext_layout_get(struct vmiaas *v, struct modtext_layout *l)
{
	static const char key;
	int err;

	if (engine_layout_get(v, &key, l, sizeof(*l)))
		return 0;
	err = modtext_layout_read(v, l);
	if (!err)
		engine_layout_put(v, &key, l, sizeof(*l));
	return err;
}

static int read_u32(struct vmiaas *v, u64 va, u32 *ret)
{
	return vmiaas_read_va(v, va, ret, sizeof(*ret));
}

/* The three regions' [start, end), empty ones start == end == 0. */
static int module_regions(struct vmiaas *v, const struct modtext_layout *l,
			  u64 mod, u64 start[3], u64 end[3])
{
	u32 size[3];
	u64 base;
	int k, err = 0;

	for (k = 0; k < 3 && !err; k++) {
		err = read_u32(v, mod + l->size[k], &size[k]);
		if (!err && (l->split || !k))
			err = engine_read_u64(v, mod + l->base[k], &start[k]);
	}
	if (err)
		return err;
	if (!l->split) {
		/* cumulative: each region starts where the previous ends */
		base = start[0];
		if (size[0] > size[1] || size[1] > size[2])
			return -EBADMSG;
		start[1] = base + size[0];
		start[2] = base + size[1];
		size[2] -= size[1];
		size[1] -= size[0];
	}
	for (k = 0; k < 3; k++) {
		end[k] = start[k] + size[k];
		if (!size[k])
			start[k] = end[k] = 0;
	}
	return 0;
}

/*
 * A module's regions, validated: text non-empty, every region
 * page-aligned, bounded, in the upper half, no wrap.
 */
static int module_ranges(struct vmiaas *v, const struct modtext_layout *l,
			 const struct vmiaas_module *m, struct bl_module *bm)
{
	struct bl_region *r[3] = { &bm->text, &bm->ro[0], &bm->ro[1] };
	u64 start[3], end[3];
	int k, err;

	err = module_regions(v, l, m->addr, start, end);
	if (err == -EBADMSG || (!err && !end[0]))
		goto bad;
	if (err)
		return engine_fail(v, err, "module at 0x%llx is unreadable",
				   (unsigned long long)m->addr);
	for (k = 0; k < 3; k++) {
		if (end[k] &&
		    (start[k] & (VMI_MEASURE_PAGE - 1) || end[k] < start[k] ||
		     end[k] - start[k] > BL_MODTEXT_MAX ||
		     start[k] < (1ULL << 63)))
			goto bad;
		r[k]->start = start[k];
		r[k]->end = end[k];
	}
	return 0;
bad:
	return engine_fail(v, -EBADMSG,
			   "module at 0x%llx: its text and data ranges are implausible",
			   (unsigned long long)m->addr);
}

/* The guest's name, printable: it ends up in messages and terminals. */
static void module_name(const struct vmiaas_module *m, char *name)
{
	size_t i;

	memcpy(name, m->name, BL_MODULE_NAME);
	name[BL_MODULE_NAME - 1] = '\0';
	for (i = 0; name[i]; i++)
		if ((unsigned char)name[i] < 0x20 || (unsigned char)name[i] > 0x7e)
			name[i] = '?';
}

void bl_modules_free(struct bl_module *m, u32 nr)
{
	u32 i;

	for (i = 0; m && i < nr; i++) {
		bl_region_free(&m[i].text);
		bl_region_free(&m[i].ro[0]);
		bl_region_free(&m[i].ro[1]);
	}
	free(m);
}

/* Live modules now, with their text and data ranges (no bytes, no digests). */
int bl_modules_now(struct vmiaas *v, struct bl_module **ret, u32 *ret_nr)
{
	struct vmiaas_module *m = NULL;
	struct modtext_layout l;
	struct bl_module *out;
	size_t nr = 0, i;
	u32 n = 0;
	int err;

	err = modtext_layout_get(v, &l);
	err = err ?: vmiaas_modules(v, &m, &nr);
	if (err)
		return err;
	out = calloc(nr ? nr : 1, sizeof(*out));
	if (!out) {
		free(m);
		return -ENOMEM;
	}
	for (i = 0; i < nr && !err; i++) {
		struct bl_module *bm = &out[n];

		if (m[i].state != MODULE_STATE_LIVE)
			continue;	/* coming or going: not measurable */
		module_name(&m[i], bm->name);
		bm->addr = m[i].addr;
		err = module_ranges(v, &l, &m[i], bm);
		n++;
	}
	free(m);
	if (err) {
		free(out);
		return err;
	}
	*ret = out;
	*ret_nr = n;
	return 0;
}

int bl_modules_take(struct vmiaas *v, const struct vmiaas_baseline *b,
		    struct bl_module **ret, u32 *ret_nr)
{
	struct bl_module *m;
	u64 total = 0;
	u32 nr, i;
	int k, err;

	err = bl_modules_now(v, &m, &nr);
	for (i = 0; !err && i < nr; i++)
		for (k = 0; !err && k < 3; k++) {
			struct bl_region *r = k ? &m[i].ro[k - 1] : &m[i].text;
			u64 start = r->start, end = r->end;

			if (!end)
				continue;	/* an empty data region */
			total += end - start;
			if (total > BL_MODTEXT_TOTAL_MAX) {
				err = engine_fail(v, -E2BIG,
						  "module text and data over %llu MiB in all: implausible",
						  BL_MODTEXT_TOTAL_MAX >> 20);
				break;
			}
			err = bl_region_take(v, b, start, end, true, m[i].name, r);
		}
	if (err) {
		bl_modules_free(m, nr);
		return err;
	}
	*ret = m;
	*ret_nr = nr;
	return 0;
}

/* ---- at check time ---- */

struct modtext_ctx {
	struct vmiaas *v;
	const struct vmiaas_baseline *b;
	const struct hidden_sink *sink;
	const struct bl_module *mod;
	struct text_ctx *classifier;
	size_t nr_explained;
	size_t nr_unexplained;		/* bl_module_unchanged()'s */
};

static int modtext_run(void *arg, u64 va, u64 len, const u8 *old,
		       const u8 *now)
{
	struct modtext_ctx *c = arg;
	struct vmiaas_finding *f;
	char obj[160];

	if (check_text_explained(c->v, c->b, &c->classifier, va, len, old)) {
		c->nr_explained++;
		return 0;
	}
	snprintf(obj, sizeof(obj), "[%s]+0x%llx", c->mod->name,
		 (unsigned long long)(va - c->mod->text.start));
	f = c->sink->add(c->sink->ctx, "module-text", VMIAAS_SEV_HIGH, obj);
	if (!f)
		return 0;
	f->flags = VMIAAS_FINDING_ADDRESS | VMIAAS_FINDING_BYTES;
	f->address = va;
	f->nr_bytes_total = len;
	f->nr_bytes = min(len, (u64)VMIAAS_FINDING_BYTES_MAX);
	memcpy(f->old_bytes, old, f->nr_bytes);
	memcpy(f->new_bytes, now, f->nr_bytes);
	snprintf(f->message, sizeof(f->message),
		 "%llu byte%s of module text changed at %s (0x%llx)%s%s",
		 (unsigned long long)len, len == 1 ? "" : "s", obj,
		 (unsigned long long)va,
		 check_text_rejected(c->classifier) ? ": " : "",
		 check_text_rejected(c->classifier) ?: "");
	return 0;
}

static void modtext_event(const struct hidden_sink *sink, const char *name,
			  const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void modtext_event(const struct hidden_sink *sink, const char *name,
			  const char *fmt, ...)
{
	struct vmiaas_finding *f;
	va_list ap;

	f = sink->add(sink->ctx, "module-text", VMIAAS_SEV_INFO, name);
	if (!f)
		return;
	f->flags = VMIAAS_FINDING_EVENT;
	va_start(ap, fmt);
	vsnprintf(f->message, sizeof(f->message), fmt, ap);
	va_end(ap);
}

static const struct bl_module *module_find(const struct bl_module *m, u32 nr,
					   const char *name)
{
	u32 i;

	for (i = 0; i < nr; i++)
		if (!strcmp(m[i].name, name))
			return &m[i];
	return NULL;
}

static bool same_region(const struct bl_region *a, const struct bl_region *b)
{
	return a->start == b->start && a->end == b->end;
}

static bool same_place(const struct bl_module *a, const struct bl_module *b)
{
	return a->addr == b->addr && same_region(&a->text, &b->text) &&
	       same_region(&a->ro[0], &b->ro[0]) &&
	       same_region(&a->ro[1], &b->ro[1]);
}

/* module-rodata: every change in a module's read-only data is a finding. */
static int modro_compare(struct modtext_ctx *c, const struct bl_module *old)
{
	static const char *const names[BL_MODULE_NR_RO] = {
		"rodata", "ro_after_init",
	};
	const struct bl_region *rai = &old->ro[BL_MODULE_RO_AFTER_INIT];
	char label[BL_MODULE_NAME + 32];
	int k, err = 0;

	for (k = 0; k < BL_MODULE_NR_RO && !err; k++) {
		if (!old->ro[k].end)
			continue;
		snprintf(label, sizeof(label), "[%s] %s", old->name, names[k]);
		err = bl_data_diff(c->v, c->b, &old->ro[k], "module-rodata",
				   "module data", label, rai->start, rai->end,
				   c->sink);
	}
	return err;
}

/* bl_module_unchanged()'s run: one the classifier does not explain. */
static int modtext_unexplained(void *arg, u64 va, u64 len, const u8 *old,
			       const u8 *now)
{
	struct modtext_ctx *c = arg;

	if (!check_text_explained(c->v, c->b, &c->classifier, va, len, old))
		c->nr_unexplained++;
	return 0;
}

int bl_module_unchanged(struct vmiaas *v, const struct vmiaas_baseline *b,
			const struct bl_module *old, const struct bl_module *now,
			u32 nr_now, bool *ret)
{
	struct modtext_ctx c = { .v = v, .b = b, .mod = old };
	const struct bl_diff_ops ops = { .run = modtext_unexplained, .ctx = &c };
	const struct bl_module *m = module_find(now, nr_now, old->name);
	u64 nr_pages = 0;
	int err;

	*ret = false;
	if (!m || !same_place(m, old))
		return 0;
	err = bl_region_diff(v, b, &old->text, old->name, &ops, &nr_pages);
	check_text_ctx_free(c.classifier);
	*ret = !err && !c.nr_unexplained && nr_pages <= BL_REGION_MAX_PAGES;
	return err;
}

/* Baseline modules: compared, reloaded, or gone. */
static int modtext_compare(struct modtext_ctx *c, const struct bl_module *now,
			   u32 nr_now)
{
	const struct bl_diff_ops ops = { .run = modtext_run, .ctx = c };
	const struct vmiaas_baseline *b = c->b;
	u32 i;
	int err;

	for (i = 0; i < b->nr_modules; i++) {
		const struct bl_module *old = &b->modules[i];
		const struct bl_module *m = module_find(now, nr_now, old->name);

		if (!m) {
			modtext_event(c->sink, old->name,
				      "module unloaded: %s (since the baseline)",
				      old->name);
			continue;
		}
		if (!same_place(m, old)) {
			modtext_event(c->sink, old->name,
				      "module reloaded: %s (another struct module or other ranges since the baseline: not compared)",
				      old->name);
			continue;
		}
		c->mod = old;
		err = bl_region_diff(c->v, b, &old->text, old->name, &ops, NULL);
		err = err ?: modro_compare(c, old);
		if (err)
			return err;
	}
	return 0;
}

int check_modtext(struct vmiaas *v, const struct vmiaas_baseline *b,
		  const struct hidden_sink *sink)
{
	struct modtext_ctx c = { .v = v, .b = b, .sink = sink };
	struct bl_module *now;
	struct vmiaas_finding *f;
	u32 nr_now, i;
	int err;

	err = bl_modules_now(v, &now, &nr_now);
	if (err)
		return err;
	err = modtext_compare(&c, now, nr_now);
	for (i = 0; !err && i < nr_now; i++)
		if (!module_find(b->modules, b->nr_modules, now[i].name))
			modtext_event(sink, now[i].name,
				      "module loaded: %s (since the baseline; its text was not measured)",
				      now[i].name);
	if (!err && c.nr_explained) {
		f = sink->add(sink->ctx, "module-text", VMIAAS_SEV_INFO,
			      "runtime patching");
		if (f) {
			f->flags = VMIAAS_FINDING_EVENT;
			snprintf(f->message, sizeof(f->message),
				 "%zu run%s of module text changed by the kernel's own runtime patching",
				 c.nr_explained, c.nr_explained == 1 ? "" : "s");
		}
	}
	check_text_ctx_free(c.classifier);
	free(now);
	return err;
}
