// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * module-text: each module's text hashed per page at baseline; at check a
 * module with the same name, struct module, base and size is re-hashed and
 * every run of differing bytes that the text classifier (checks.c,
 * text_classify()) cannot explain is a finding at [module]+offset. A
 * module loaded or unloaded since the baseline is an event: its text was
 * never measured (or is gone), so there is nothing to compare.
 *
 * Where the text is comes from BTF, never from the kernel version: 6.4+
 * has mod->mem[MOD_TEXT].{base,size}, earlier kernels
 * mod->core_layout.{base,text_size}.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checks.h"
#include "hidden.h"

#define MODULE_STATE_LIVE	0

struct modtext_layout {
	u32 base, size;		/* offsets in struct module */
};

static int modtext_layout_get(struct vmiaas *v, struct modtext_layout *l)
{
	char path[48];
	s64 text;

	if (!btf_enum_value(v->btf, "MOD_TEXT", &text)) {
		if (text < 0 || text > 16)
			return engine_fail(v, -EBADMSG, "MOD_TEXT is %lld",
					   (long long)text);
		snprintf(path, sizeof(path), "mem[%lld].base", (long long)text);
		if (btf_offsetof(v->btf, "module", path, &l->base))
			goto fail;
		snprintf(path, sizeof(path), "mem[%lld].size", (long long)text);
		if (btf_offsetof(v->btf, "module", path, &l->size))
			goto fail;
		return 0;
	}
	if (!btf_offsetof(v->btf, "module", "core_layout.base", &l->base) &&
	    !btf_offsetof(v->btf, "module", "core_layout.text_size", &l->size))
		return 0;
fail:
	return engine_fail(v, -ENOEXEC,
			   "struct module has neither mem[MOD_TEXT] nor core_layout.text_size in BTF");
}

/* A module's text range, validated: page-aligned, bounded, no wrap. */
static int modtext_range(struct vmiaas *v, const struct modtext_layout *l,
			 const struct vmiaas_module *m, u64 *ret_start,
			 u64 *ret_end)
{
	u64 base;
	u32 size;
	int err;

	err = engine_read_u64(v, m->addr + l->base, &base);
	err = err ?: vmiaas_read_va(v, m->addr + l->size, &size, sizeof(size));
	if (err)
		return engine_fail(v, err, "module at 0x%llx is unreadable",
				   (unsigned long long)m->addr);
	if (!size || size > BL_MODTEXT_MAX || base & (VMI_MEASURE_PAGE - 1) ||
	    base + size < base || base < (1ULL << 63))
		return engine_fail(v, -EBADMSG,
				   "module at 0x%llx: text 0x%llx size %u is implausible",
				   (unsigned long long)m->addr,
				   (unsigned long long)base, size);
	*ret_start = base;
	*ret_end = base + size;
	return 0;
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

	for (i = 0; m && i < nr; i++)
		bl_region_free(&m[i].text);
	free(m);
}

/* Live modules now, with their text ranges (no bytes, no digests). */
static int modules_now(struct vmiaas *v, struct bl_module **ret, u32 *ret_nr)
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
		err = modtext_range(v, &l, &m[i], &bm->text.start,
				    &bm->text.end);
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
	int err;

	err = modules_now(v, &m, &nr);
	for (i = 0; !err && i < nr; i++) {
		total += m[i].text.end - m[i].text.start;
		if (total > BL_MODTEXT_TOTAL_MAX) {
			err = engine_fail(v, -E2BIG,
					  "module text over %llu MiB in all: implausible",
					  BL_MODTEXT_TOTAL_MAX >> 20);
			break;
		}
		err = bl_region_take(v, b, m[i].text.start, m[i].text.end, true,
				     m[i].name, &m[i].text);
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
		 "%llu byte%s of module text changed at %s (0x%llx)",
		 (unsigned long long)len, len == 1 ? "" : "s", obj,
		 (unsigned long long)va);
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
		if (m->addr != old->addr || m->text.start != old->text.start ||
		    m->text.end != old->text.end) {
			modtext_event(c->sink, old->name,
				      "module reloaded: %s (another struct module or text range since the baseline: its text is not compared)",
				      old->name);
			continue;
		}
		c->mod = old;
		err = bl_region_diff(c->v, b, &old->text, old->name, &ops, NULL);
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

	err = modules_now(v, &now, &nr_now);
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
