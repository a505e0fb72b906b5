// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * The owner of a function pointer in writable kernel memory, judged the
 * same way for every check that reads such pointers (see hookpolicy.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hidden.h"
#include "hookpolicy.h"
#include "modarea.h"

/* struct module.taints bits a distribution's own modules never carry. */
#define HOOK_TAINT_BITS	((1UL << 0) | (1UL << 1) | (1UL << 12) | (1UL << 13))

int hook_scan_begin(struct vmiaas *v, struct hook_scan *h)
{
	int err;

	h->nr = 0;
	h->nr_ev = 0;
	h->mods = NULL;
	h->nr_mods = 0;
	if (btf_offsetof(v->btf, "module", "taints", &h->taints_off))
		return engine_fail(v, -ENOENT,
				   "%s: the kernel's BTF has no struct module.taints",
				   h->check);
	err = bl_text_range(v, &h->text_start, &h->text_end);
	return err ?: bl_modules_now(v, &h->mods, &h->nr_mods);
}

void hook_scan_end(struct hook_scan *h)
{
	bl_modules_free(h->mods, h->nr_mods);
	h->mods = NULL;
	h->nr_mods = 0;
}

static int hook_module_of(const struct hook_scan *h, u64 addr)
{
	u32 i;

	for (i = 0; i < h->nr_mods; i++)
		if (addr >= h->mods[i].text.start && addr < h->mods[i].text.end)
			return i;
	return -1;
}

int hook_module_holding(const struct hook_scan *h, u64 p)
{
	const struct bl_module *m;
	u32 i, k;

	for (i = 0; i < h->nr_mods; i++) {
		m = &h->mods[i];
		if (p >= m->text.start && p < m->text.end)
			return i;
		for (k = 0; k < BL_MODULE_NR_RO; k++)
			if (p >= m->ro[k].start && p < m->ro[k].end)
				return i;
	}
	return -1;
}

/* Whether @list already holds a suspect of @object with owner @mod. */
static bool hook_seen(const struct hook_suspect *list, size_t nr,
		      const char *object, int mod)
{
	size_t i;

	for (i = 0; i < nr; i++)
		if (list[i].mod == mod && list[i].fn &&
		    !strcmp(list[i].object, object))
			return true;
	return false;
}

static void hook_fill(struct hook_suspect *s, const char *object,
		      const char *where, u64 address)
{
	snprintf(s->object, sizeof(s->object), "%s", object);
	snprintf(s->where, sizeof(s->where), "%s", where);
	s->address = address;
}

/* @m is one of @t's modules: the same name, struct module and text. */
static bool hook_trust_module(const struct hook_trust *t,
			      const struct bl_module *m)
{
	u32 i;

	for (i = 0; i < t->nr_mods; i++)
		if (t->mods[i].addr == m->addr &&
		    t->mods[i].text.start == m->text.start &&
		    t->mods[i].text.end == m->text.end &&
		    !strncmp(t->mods[i].name, m->name, BL_MODULE_NAME))
			return true;
	return false;
}

/* The record of @check's hook @fn of @m on @object. */
static void hook_rec(struct vmiaas_baseline_hook *r, const char *check,
		     const char *object, const struct bl_module *m, u64 fn,
		     unsigned long taints)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->check, sizeof(r->check), "%s", check);
	snprintf(r->object, sizeof(r->object), "%s", object);
	snprintf(r->module, sizeof(r->module), "%.*s",
		 (int)sizeof(r->module) - 1, m->name);
	r->offset = fn - m->text.start;
	r->taints = taints;
}

static bool hook_rec_same(const struct vmiaas_baseline_hook *a,
			  const struct vmiaas_baseline_hook *b)
{
	return a->offset == b->offset && a->taints == b->taints &&
	       !strcmp(a->check, b->check) && !strcmp(a->object, b->object) &&
	       !strcmp(a->module, b->module);
}

static bool hook_rec_in(const struct vmiaas_baseline_hook *set, u32 nr,
			const struct vmiaas_baseline_hook *r)
{
	u32 i;

	for (i = 0; i < nr; i++)
		if (hook_rec_same(&set[i], r))
			return true;
	return false;
}

bool hook_trusted(const struct hook_trust *t, const char *check,
		  const char *object, const struct bl_module *m, u64 fn,
		  unsigned long taints)
{
	struct vmiaas_baseline_hook r;

	if (!t || fn < m->text.start || fn >= m->text.end ||
	    !hook_trust_module(t, m))
		return false;
	hook_rec(&r, check, object, m, fn, taints);
	return hook_rec_in(t->hooks, t->nr_hooks, &r);
}

/* At baseline: a tainted hook in a measured module, recorded once. */
static void hook_take(struct hook_trust *t, const char *check,
		      const char *object, const struct bl_module *m, u64 fn,
		      unsigned long taints)
{
	struct vmiaas_baseline_hook r;

	if (!hook_trust_module(t, m))
		return;		/* loaded since the modules were measured */
	hook_rec(&r, check, object, m, fn, taints);
	if (hook_rec_in(t->taken, t->nr_taken, &r))
		return;
	if (t->nr_taken < (t->room ?: BL_HOOKS_MAX))
		t->taken[t->nr_taken++] = r;
	else
		t->nr_over++;
}

/* An event: untainted, or trusted since the baseline. */
static void hook_event(struct hook_scan *h, struct hook_suspect *s,
		       const char *object, const char *where, u64 address)
{
	if (h->nr_ev < HOOK_EVENTS_MAX &&
	    !hook_seen(h->ev, h->nr_ev, object, s->mod)) {
		hook_fill(s, object, where, address);
		h->ev[h->nr_ev++] = *s;
	}
}

void hook_judge(struct vmiaas *v, struct hook_scan *h, const char *object,
		const char *where, u64 address, u64 fn)
{
	struct hook_suspect s = { .fn = fn };
	const struct bl_module *m;

	if (!hook_judged(h, fn))
		return;
	s.mod = hook_module_of(h, fn);
	if (s.mod >= 0 && engine_read(v, h->mods[s.mod].addr + h->taints_off,
				      &s.taints, sizeof(s.taints)))
		s.why = "its module's struct module cannot be read";
	if (s.mod >= 0 && !s.why && (s.taints & HOOK_TAINT_BITS)) {
		m = &h->mods[s.mod];
		if (h->trust && h->trust->taken)
			hook_take(h->trust, h->check, object, m, fn, s.taints);
		else
			s.trusted = hook_trusted(h->trust, h->check, object, m,
						 fn, s.taints);
	}
	if (s.mod >= 0 && !s.why &&
	    (s.trusted || !(s.taints & HOOK_TAINT_BITS))) {
		hook_event(h, &s, object, where, address);
		return;
	}
	if (h->nr < HOOK_SUSPECTS_MAX && !hook_seen(h->s, h->nr, object, s.mod)) {
		hook_fill(&s, object, where, address);
		h->s[h->nr++] = s;
	}
}

void hook_bad(struct hook_scan *h, const char *object, const char *where,
	      u64 address, const char *why)
{
	struct hook_suspect *s;

	if (h->nr >= HOOK_SUSPECTS_MAX)
		return;
	s = &h->s[h->nr++];
	memset(s, 0, sizeof(*s));
	hook_fill(s, object, where, address);
	s->why = why;
	s->mod = -1;
}

void hook_bad_netlist(struct hook_scan *h, const char *what, bool netns,
		      u32 inum, u64 head)
{
	const char *object = netns ? "namespaces" : "devices";
	char where[HOOK_WHERE];

	snprintf(where, sizeof(where), "%s: %s of netns %u", what, object,
		 inum);
	hook_bad(h, object, where, head, netns ?
		 "net_namespace_list is corrupt (a cycle, a non-kernel pointer or over 4096 namespaces)" :
		 "its device list is corrupt (a cycle, a non-kernel pointer or over 65536 devices)");
}

/* "OE": the taint letters of @t among HOOK_TAINT_BITS. */
static void hook_taint_letters(unsigned long t, char *buf)
{
	static const struct { int bit; char c; } l[] = {
		{ 0, 'P' }, { 1, 'F' }, { 12, 'O' }, { 13, 'E' },
	};
	size_t i, n = 0;

	for (i = 0; i < ARRAY_SIZE(l); i++)
		if (t & (1UL << l[i].bit))
			buf[n++] = l[i].c;
	buf[n] = '\0';
}

static void hook_report_one(struct vmiaas *v, const struct hook_scan *h,
			    const struct hook_suspect *s,
			    const struct hidden_sink *sink)
{
	bool tainted = s->mod >= 0 && !s->why;
	struct vmiaas_finding *f;
	char call[128], taints[8];

	f = sink->add(sink->ctx, h->check,
		      tainted ? VMIAAS_SEV_HIGH : VMIAAS_SEV_CRITICAL, s->object);
	if (!f)
		return;
	f->flags |= VMIAAS_FINDING_ADDRESS;
	f->address = s->address;
	if (!s->fn) {
		snprintf(f->message, sizeof(f->message), "%s: %s", s->where,
			 s->why);
		return;
	}
	check_symbolize(v, s->fn, call, sizeof(call));
	f->flags |= VMIAAS_FINDING_SYMBOLS | VMIAAS_FINDING_VALUES;
	f->new_value = s->fn;
	snprintf(f->new_symbol, sizeof(f->new_symbol), "%s", call);
	hook_taint_letters(s->taints, taints);
	if (tainted)
		snprintf(f->message, sizeof(f->message),
			 "%s calls %s: module %s is tainted %s (not an in-tree, signed module); %s",
			 s->where, call, h->mods[s->mod].name, taints, h->sees);
	else if (s->why)
		snprintf(f->message, sizeof(f->message), "%s calls %s: %s",
			 s->where, call, s->why);
	else
		snprintf(f->message, sizeof(f->message),
			 "%s calls %s, outside the kernel's text and every live module's text",
			 s->where, call);
}

static void hook_report_event(struct vmiaas *v, const struct hook_scan *h,
			      const struct hook_suspect *s,
			      const struct hidden_sink *sink)
{
	struct vmiaas_finding *f;
	char call[128], taints[8];

	f = sink->add(sink->ctx, h->check, VMIAAS_SEV_INFO, s->object);
	if (!f)
		return;
	check_symbolize(v, s->fn, call, sizeof(call));
	f->flags |= VMIAAS_FINDING_EVENT | VMIAAS_FINDING_SYMBOLS;
	snprintf(f->new_symbol, sizeof(f->new_symbol), "%s", call);
	hook_taint_letters(s->taints, taints);
	if (s->trusted)
		snprintf(f->message, sizeof(f->message),
			 "hook present at baseline: %s calls %s: module %s (tainted %s) is the module measured at baseline, its text unchanged",
			 s->where, call, h->mods[s->mod].name, taints);
	else
		snprintf(f->message, sizeof(f->message),
			 "module %s (untainted: in-tree, signed): %s calls %s",
			 h->mods[s->mod].name, s->where, call);
}

void hook_report(struct vmiaas *v, const struct hook_scan *h,
		 const struct hidden_sink *sink)
{
	size_t i;

	for (i = 0; i < h->nr_ev; i++)
		hook_report_event(v, h, &h->ev[i], sink);
	for (i = 0; i < h->nr; i++)
		hook_report_one(v, h, &h->s[i], sink);
}

static int hook_allow(struct vmiaas *v, const struct hook_scan *h,
		      __u64 (*allow)[2], u32 max, u32 *ret_nr)
{
	struct modarea area;
	size_t i;
	u32 k, nr = 1;
	int err;

	if (max < 2)
		return -EINVAL;
	allow[0][0] = h->text_start;
	allow[0][1] = h->text_end;
	for (i = 0; i < h->nr_ev; i++) {
		const struct bl_region *t = &h->mods[h->ev[i].mod].text;

		for (k = 1; k < nr; k++)
			if (allow[k][0] == t->start)
				break;
		if (k < nr || t->start >= t->end)
			continue;
		if (nr == max)
			goto whole_area;
		allow[nr][0] = t->start;
		allow[nr][1] = t->end;
		nr++;
	}
	*ret_nr = nr;
	return 0;
whole_area:
	/* more hooking modules than ranges: any module's text */
	err = modarea_get(v, &area);
	if (err)
		return err;
	allow[1][0] = area.start;
	allow[1][1] = area.end;
	*ret_nr = 2;
	return 0;
}

int hook_record(struct vmiaas *v, const struct hook_scan *h,
		struct vmiaas_module_check *c, u32 type, u64 addr,
		const char *object, __u64 (*allow)[2], u32 max, u32 *ret_nr)
{
	int err;

	err = hook_allow(v, h, allow, max, ret_nr);
	if (err)
		return err;
	c->type = type;
	c->addr = addr;
	c->len = 1;
	c->root = v->info.pgd_pa;
	snprintf(c->label, sizeof(c->label), "%s (%u allowed ranges)", h->check,
		 *ret_nr);
	snprintf(c->check, sizeof(c->check), "%s", h->check);
	snprintf(c->object, sizeof(c->object), "%s", object);
	c->severity = VMIAAS_SEV_CRITICAL;
	return 0;
}

/* A zeroed walk state of @hc, its layout resolved and its scan begun. */
static struct hook_scan *hook_check_begin(struct vmiaas *v,
					  const struct hook_check *hc,
					  struct hook_trust *trust,
					  int *ret_err)
{
	struct hook_scan *h = calloc(1, hc->size);

	*ret_err = -ENOMEM;
	if (!h)
		return NULL;
	h->trust = trust;
	h->check = hc->check;
	h->sees = hc->sees;
	*ret_err = hc->layout(v, h);
	*ret_err = *ret_err ?: hook_scan_begin(v, h);
	*ret_err = *ret_err ?: hc->walk(v, h);
	return h;
}

static void hook_check_end(struct hook_scan *h)
{
	if (h)
		hook_scan_end(h);
	free(h);
}

int hook_check_scan(struct vmiaas *v, const struct hook_check *hc,
		    const struct hidden_sink *sink, struct hook_trust *trust)
{
	struct hook_scan *h;
	int err;

	h = hook_check_begin(v, hc, trust, &err);
	if (!err)
		hook_report(v, h, sink);
	if (!err && hc->report)
		hc->report(v, h, sink);
	hook_check_end(h);
	return err;
}

int hook_module_check(struct vmiaas *v, const struct hook_check *hc,
		      struct vmiaas_module_check *out, size_t max, size_t *nr,
		      struct hook_trust *trust)
{
	struct hook_scan *h;
	int err;

	if (*nr >= max)
		return -ENOSPC;
	h = hook_check_begin(v, hc, trust, &err);
	if (!err) {
		memset(&out[*nr], 0, sizeof(out[*nr]));
		err = hc->record(v, h, &out[*nr]);
	}
	if (!err)
		(*nr)++;
	hook_check_end(h);
	return err;
}

void hook_printable(char *s)
{
	for (; *s; s++)
		if (*s < 0x20 || *s > 0x7e)
			*s = '?';
}

void hook_string(struct vmiaas *v, u64 addr, char *buf, size_t size,
		 const char *dflt)
{
	size_t len = size - 1;

	if (len > 4096 - (addr & 4095))
		len = 4096 - (addr & 4095);	/* the next page may be absent */
	memset(buf, 0, size);
	if (!addr || engine_read(v, addr, buf, len) || !buf[0])
		snprintf(buf, size, "%s", dflt);
	hook_printable(buf);
}

/* ---- hooks present at baseline ---- */

static bool hook_trust_named(const struct vmiaas_baseline *b,
			     const char *name)
{
	u32 i;

	for (i = 0; i < b->nr_hooks; i++)
		if (!strncmp(b->hooks[i].module, name, BL_MODULE_NAME))
			return true;
	return false;
}

int hook_trust_get(struct vmiaas *v, const struct vmiaas_baseline *b,
		   struct hook_trust *ret)
{
	struct bl_module *now = NULL;
	u32 nr_now = 0, i;
	bool same;
	int err;

	memset(ret, 0, sizeof(*ret));
	ret->b = b;
	if (!b || !b->nr_hooks)
		return 0;
	ret->mods = calloc(b->nr_modules ? b->nr_modules : 1,
			   sizeof(*ret->mods));
	if (!ret->mods)
		return -ENOMEM;
	err = bl_modules_now(v, &now, &nr_now);
	for (i = 0; !err && i < b->nr_modules; i++) {
		const struct bl_module *old = &b->modules[i];

		if (!hook_trust_named(b, old->name))
			continue;
		err = bl_module_unchanged(v, b, old, now, nr_now, &same);
		if (err || !same)
			continue;
		memcpy(ret->mods[ret->nr_mods].name, old->name, BL_MODULE_NAME);
		ret->mods[ret->nr_mods].addr = old->addr;
		ret->mods[ret->nr_mods].text.start = old->text.start;
		ret->mods[ret->nr_mods].text.end = old->text.end;
		ret->nr_mods++;
	}
	bl_modules_free(now, nr_now);
	if (err) {
		hook_trust_put(ret);
		return err;
	}
	ret->hooks = b->hooks;
	ret->nr_hooks = b->nr_hooks;
	return 0;
}

void hook_trust_put(struct hook_trust *t)
{
	free(t->mods);
	free(t->taken);
	memset(t, 0, sizeof(*t));
}

int check_hook_lists(struct vmiaas *v, const struct vmiaas_baseline *b,
		     const struct hidden_sink *sink)
{
	struct hook_trust t;
	int err;

	err = hook_trust_get(v, b, &t);
	err = err ?: check_netfilter(v, sink, &t);
	err = err ?: check_packet_taps(v, sink, &t);
	err = err ?: check_input_handlers(v, sink, &t);
	err = err ?: check_tracepoints(v, sink, &t);
	err = err ?: check_net_protocols(v, sink, &t);
	err = err ?: check_tty_ldiscs(v, sink, &t);
	err = err ?: check_hw_breakpoints(v, sink, &t);
	err = err ?: check_netdev_hooks(v, sink, &t);
	hook_trust_put(&t);
	return err;
}

static struct vmiaas_finding *hook_discard(void *ctx, const char *check,
					   u32 severity, const char *object)
{
	return NULL;
}

/*
 * Every tainted module's hook now whose module was measured into @b
 * (bl_modules_take(), before): the hook lists walked as at check, the
 * findings dropped. Over BL_HOOKS_MAX, the rest stay findings: taken
 * into twice the room, so that the baseline can say how many (the walks
 * see a hook more than once, and only taken records are told apart).
 */
int bl_hooks_take(struct vmiaas *v, struct vmiaas_baseline *b)
{
	const struct hidden_sink sink = { .add = hook_discard };
	struct hook_trust t = {
		.mods = b->modules, .nr_mods = b->nr_modules,
		.room = 2 * BL_HOOKS_MAX,
	};
	int err;

	t.taken = calloc(t.room, sizeof(*t.taken));
	if (!t.taken)
		return -ENOMEM;
	err = check_netfilter(v, &sink, &t) ?:
	      check_packet_taps(v, &sink, &t) ?:
	      check_input_handlers(v, &sink, &t) ?:
	      check_tracepoints(v, &sink, &t) ?:
	      check_net_protocols(v, &sink, &t) ?:
	      check_tty_ldiscs(v, &sink, &t) ?:
	      check_hw_breakpoints(v, &sink, &t) ?:
	      check_netdev_hooks(v, &sink, &t);
	if (err) {
		free(t.taken);
		return err;
	}
	free(b->hooks);
	b->hooks = t.taken;
	b->nr_hooks = min_t(u32, t.nr_taken, BL_HOOKS_MAX);
	b->nr_hooks_over = t.nr_taken - b->nr_hooks + t.nr_over;
	b->has_hooks = true;
	return 0;
}

/* The HOOKS section's records: whole, terminated, unique, bounded. */
int bl_hooks_parse(struct vmiaas_baseline *b, const void *p, u64 len)
{
	struct vmiaas_baseline_hook *r;
	u32 n, i;
	int err;

	if (b->has_hooks)
		return -EBADMSG;
	err = bl_records_copy(p, len, sizeof(*r), BL_HOOKS_MAX, (void **)&r,
			      &n);
	if (err)
		return err;
	for (i = 0; i < n; i++)
		if (!memchr(r[i].check, 0, sizeof(r[i].check)) ||
		    !memchr(r[i].object, 0, sizeof(r[i].object)) ||
		    !memchr(r[i].module, 0, sizeof(r[i].module)) ||
		    hook_rec_in(r, i, &r[i])) {
			free(r);
			return -EBADMSG;
		}
	b->hooks = r;
	b->nr_hooks = n;
	b->has_hooks = true;
	return 0;
}

/*
 * For golden baselines: this boot's hooks (@b, taken now, as its
 * modules) that the golden boot @g had too; none if @g has no HOOKS
 * section.
 */
void bl_hooks_golden(const struct vmiaas_baseline *g, struct vmiaas_baseline *b)
{
	u32 i, n = 0;

	for (i = 0; i < b->nr_hooks; i++)
		if (hook_rec_in(g->hooks, g->nr_hooks, &b->hooks[i]))
			b->hooks[n++] = b->hooks[i];
	b->nr_hooks = n;
}

const struct vmiaas_baseline_hook *
vmiaas_baseline_hooks(const struct vmiaas_baseline *b, size_t *ret_nr)
{
	*ret_nr = b->nr_hooks;
	return b->hooks;
}
