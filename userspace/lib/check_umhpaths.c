// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * usermode-helper, the program paths that live in guest objects rather
 * than fixed symbols (check_helpers.c has those):
 *
 * - each cgroup v1 hierarchy's release_agent (struct cgroup_root on
 *   cgroup_roots): the kernel runs it as root in the init namespaces
 *   when a cgroup of the hierarchy with notify_on_release set empties.
 *   A root shell (or a container that can mount cgroup v1,
 *   CVE-2022-0492) mounts a hierarchy, writes release_agent and empties
 *   a cgroup: root code outside the container, no module, no hook.
 * - binfmt_misc's handlers of the initial user namespace (6.1: the
 *   module's static entries list, found in its own symbol table; 6.7+:
 *   init_user_ns.binfmt_misc): the kernel execs a handler's interpreter
 *   for every file matching its magic or extension, with flag C with
 *   the file's credentials (a setuid file run through it makes the
 *   interpreter root). Persistence by one echo into
 *   /proc/sys/fs/binfmt_misc/register.
 *
 * Measured at baseline (section UMH_PATHS, only non-empty release
 * agents), compared at check. Reading is core/umhwalk.c's; the lists are
 * walked with list_walk()'s cap and cycle detection; a list that cannot
 * be walked at check is a finding, not an abort: a guest must not turn
 * the rest of the check off by corrupting a node.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "uapi/linux/vmiaas.h"
#include "checks.h"
#include "hidden.h"
#include "list.h"
#include "../../core/umhwalk.h"

#define UMH_SUBSYS_MAX		32	/* bits of cgroup_root.subsys_mask */
#define UMH_SUBSYS_NAME		32

struct umh_scan {
	struct vmiaas *v;
	struct vmi_read_ops r;
	struct vmi_cg_layout cg;
	struct vmi_binfmt_layout bf;
	u32 nr_subsys;
	char subsys[UMH_SUBSYS_MAX][UMH_SUBSYS_NAME];
	struct bl_umh *rec;
	u32 nr;
	size_t cap;
	u64 node;		/* the node being read, for messages */
	struct vmi_cg_root root;
	struct vmi_binfmt_entry entry;
};

static struct bl_umh *umh_add(struct umh_scan *sc, u32 kind)
{
	struct bl_umh *u, *a;

	if (sc->nr >= BL_UMH_MAX)
		return NULL;
	a = array_grow(sc->rec, &sc->cap, sc->nr, sizeof(*a), 8);
	if (!a)
		return NULL;
	sc->rec = a;
	u = &a[sc->nr++];
	memset(u, 0, sizeof(*u));
	u->kind = kind;
	return u;
}

/* The v1 controllers' names (cgroup_subsys[i]->legacy_name), best effort. */
static void umh_subsys_names(struct umh_scan *sc)
{
	struct vmiaas *v = sc->v;
	u64 arr, ss, name;
	u32 off, i;
	s64 count;

	sc->nr_subsys = 0;
	if (engine_sym(v, "cgroup_subsys", &arr) ||
	    btf_enum_value(v->btf, "CGROUP_SUBSYS_COUNT", &count) ||
	    btf_offsetof(v->btf, "cgroup_subsys", "legacy_name", &off))
		return;
	sc->nr_subsys = count < 0 ? 0 : min_t(s64, count, UMH_SUBSYS_MAX);
	for (i = 0; i < sc->nr_subsys; i++) {
		snprintf(sc->subsys[i], UMH_SUBSYS_NAME, "subsys%u", i);
		if (engine_read_u64(v, arr + 8ULL * i, &ss) ||
		    engine_read_u64(v, ss + off, &name) ||
		    vmi_read_cstr(&sc->r, name, sc->subsys[i],
				  UMH_SUBSYS_NAME) <= 0)
			snprintf(sc->subsys[i], UMH_SUBSYS_NAME, "subsys%u", i);
	}
}

/* "cpuset,memory", "name=x", "cpu,name=y"; "hierarchy N" if neither. */
static void umh_cg_key(const struct umh_scan *sc, const struct vmi_cg_root *c,
		       char *out, size_t size)
{
	size_t n = 0;
	u32 i;

	out[0] = '\0';
	for (i = 0; i < UMH_SUBSYS_MAX && n < size; i++) {
		if (!(c->subsys_mask & (1U << i)))
			continue;
		if (i < sc->nr_subsys)
			n += snprintf(out + n, size - n, "%s%s", n ? "," : "",
				      sc->subsys[i]);
		else
			n += snprintf(out + n, size - n, "%ssubsys%u",
				      n ? "," : "", i);
	}
	if (c->name[0] && n < size)
		n += snprintf(out + n, size - n, "%sname=%s", n ? "," : "",
			      c->name);
	if (!out[0])
		snprintf(out, size, "hierarchy %d", c->hierarchy_id);
}

static int umh_cg_node(struct vmiaas *v, u64 node, void *arg)
{
	struct umh_scan *sc = arg;
	struct bl_umh *u;
	int err;

	sc->node = node;
	err = vmi_cg_root_read(&sc->r, &sc->cg, node, &sc->root);
	if (err)
		return err;
	if (!sc->root.agent[0])
		return 0;
	u = umh_add(sc, BL_UMH_RELEASE_AGENT);
	if (!u)
		return -E2BIG;
	umh_cg_key(sc, &sc->root, u->name, sizeof(u->name));
	snprintf(u->value, sizeof(u->value), "%s", sc->root.agent);
	return 0;
}

static int umh_binfmt_node(struct vmiaas *v, u64 node, void *arg)
{
	struct umh_scan *sc = arg;
	struct vmi_binfmt_entry *e = &sc->entry;
	struct bl_umh *u;
	int err;

	sc->node = node;
	err = vmi_binfmt_read(&sc->r, &sc->bf, node, e);
	if (err)
		return err;
	u = umh_add(sc, BL_UMH_BINFMT);
	if (!u)
		return -E2BIG;
	u->flags = e->flags;
	u->offset = e->offset;
	u->size = e->size;
	snprintf(u->name, sizeof(u->name), "%s", e->name);
	memcpy(u->magic, e->magic, sizeof(u->magic));
	memcpy(u->mask, e->mask, sizeof(u->mask));
	snprintf(u->value, sizeof(u->value), "%s", e->interpreter);
	return 0;
}

/*
 * The handlers' list the kernel uses for the initial user namespace:
 * 6.7+ init_user_ns.binfmt_misc (NULL: &init_binfmt_misc, as
 * load_binfmt_misc() falls back), earlier binfmt_misc.ko's own static
 * `entries`. -ENOENT: no binfmt_misc (module not loaded).
 */
static int umh_binfmt_head(struct vmiaas *v, u64 *ret)
{
	u32 o_ns, o_entries;
	u64 ns, misc;
	int err;

	if (btf_offsetof(v->btf, "user_namespace", "binfmt_misc", &o_ns) ||
	    btf_offsetof(v->btf, "binfmt_misc", "entries", &o_entries))
		return engine_module_sym(v, "binfmt_misc", "entries", ret);
	if (engine_sym(v, "init_user_ns", &ns))
		return -ENOENT;
	err = engine_read_u64(v, ns + o_ns, &misc);
	if (err)
		return err;
	if (!misc && engine_sym(v, "init_binfmt_misc", &misc))
		return -ENOENT;
	if (!kernel_ptr(misc))
		return -EBADMSG;
	*ret = misc + o_entries;
	return 0;
}

static int umh_scan_init(struct vmiaas *v, struct umh_scan *sc)
{
	const struct vmi_binfmt_layout bf = VMI_BINFMT_LAYOUT_DEFAULT;

	memset(sc, 0, sizeof(*sc));
	sc->v = v;
	sc->bf = bf;
	bl_read_ops(v, &sc->r);
	if (btf_offsetof(v->btf, "cgroup_root", "root_list",
			 &sc->cg.root_list) ||
	    btf_offsetof(v->btf, "cgroup_root", "hierarchy_id",
			 &sc->cg.hierarchy_id) ||
	    btf_offsetof(v->btf, "cgroup_root", "subsys_mask",
			 &sc->cg.subsys_mask) ||
	    btf_offsetof(v->btf, "cgroup_root", "release_agent_path",
			 &sc->cg.agent) ||
	    btf_offsetof(v->btf, "cgroup_root", "name", &sc->cg.name))
		return engine_fail(v, -EBADMSG,
				   "usermode-helper: the guest kernel's BTF has no struct cgroup_root layout");
	umh_subsys_names(sc);
	return 0;
}

/*
 * Walks one list into sc->rec; on error says which list and node in
 * @why and returns the error.
 */
static int umh_walk(struct umh_scan *sc, u32 kind, char *why, size_t size)
{
	const char *what = kind == BL_UMH_RELEASE_AGENT ? "cgroup_roots" :
			   "binfmt_misc's entries";
	u64 head;
	int err;

	sc->node = 0;
	if (kind == BL_UMH_RELEASE_AGENT) {
		if (engine_sym(sc->v, "cgroup_roots", &head))
			return 0;	/* no cgroups */
		err = list_walk(sc->v, what, head, VMI_CG_ROOTS_MAX,
				umh_cg_node, sc);
	} else {
		err = umh_binfmt_head(sc->v, &head);
		if (err == -ENOENT)
			return 0;
		err = err ?: list_walk(sc->v, what, head, VMI_BINFMT_MAX,
				       umh_binfmt_node, sc);
	}
	if (err && sc->node)
		snprintf(why, size, "%s cannot be walked (at node 0x%llx): %s",
			 what, (unsigned long long)sc->node, strerror(-err));
	else if (err)
		snprintf(why, size, "%s cannot be walked: %s", what,
			 strerror(-err));
	return err;
}

int bl_umh_take(struct vmiaas *v, struct vmiaas_baseline *b)
{
	struct umh_scan *sc;
	char why[160];
	int err;

	sc = malloc(sizeof(*sc));
	if (!sc)
		return -ENOMEM;
	err = umh_scan_init(v, sc);
	err = err ?: umh_walk(sc, BL_UMH_RELEASE_AGENT, why, sizeof(why));
	err = err ?: umh_walk(sc, BL_UMH_BINFMT, why, sizeof(why));
	if (err) {
		free(sc->rec);
		free(sc);
		return engine_fail(v, err, "usermode-helper: %s", why);
	}
	free(b->umh);
	b->umh = sc->rec;
	b->nr_umh = sc->nr;
	b->has_umh = true;
	free(sc);
	return 0;
}

int bl_umh_parse(struct vmiaas_baseline *b, const void *p, u64 len)
{
	u64 n = len / sizeof(struct bl_umh), i;
	struct bl_umh *u;

	if (b->has_umh || len % sizeof(*u) || n > BL_UMH_MAX)
		return -EBADMSG;
	u = n ? malloc(len) : NULL;
	if (n && !u)
		return -ENOMEM;
	if (n)
		memcpy(u, p, len);
	for (i = 0; i < n; i++)
		if ((u[i].kind != BL_UMH_RELEASE_AGENT &&
		     u[i].kind != BL_UMH_BINFMT) ||
		    !memchr(u[i].name, 0, sizeof(u[i].name)) ||
		    !memchr(u[i].value, 0, sizeof(u[i].value)) ||
		    u[i].size > BL_UMH_MATCH) {
			free(u);
			return -EBADMSG;
		}
	b->umh = u;
	b->nr_umh = n;
	b->has_umh = true;
	return 0;
}

/* ---- the comparison ---- */

/* @s with non-printable bytes as '?', at most @size - 1 of them. */
static const char *printable(const char *s, char *out, size_t size)
{
	size_t i;

	for (i = 0; s[i] && i + 1 < size; i++)
		out[i] = (unsigned char)s[i] < 0x20 ||
			 (unsigned char)s[i] > 0x7e ? '?' : s[i];
	out[i] = '\0';
	return out;
}

/* "extension .xyz" or "magic 7f454c46.. at 0 (masked)", for messages. */
static void umh_match(const struct bl_umh *u, char *out, size_t size)
{
	char ext[64];
	size_t n;
	u32 i;

	if (!(u->flags & VMI_BINFMT_MAGIC)) {
		snprintf(out, size, "extension .%s",
			 printable((const char *)u->magic, ext, sizeof(ext)));
		return;
	}
	n = snprintf(out, size, "magic ");
	for (i = 0; i < u->size && i < 16 && n + 3 < size; i++)
		n += snprintf(out + n, size - n, "%02x", u->magic[i]);
	for (i = 0; i < u->size && u->mask[i] == 0xff; i++)
		;
	snprintf(out + n, size - n, "%s at offset %d%s",
		 u->size > 16 ? ".." : "", u->offset,
		 i < u->size ? " (masked)" : "");
}

/* The flags as /proc/sys/fs/binfmt_misc shows them: "POCF". */
static void umh_flags(u32 flags, char *out)
{
	int n = 0;

	if (flags & VMI_BINFMT_ARGV0)
		out[n++] = 'P';
	if (flags & VMI_BINFMT_OPEN_BINARY)
		out[n++] = 'O';
	if (flags & VMI_BINFMT_CREDENTIALS)
		out[n++] = 'C';
	if (flags & VMI_BINFMT_OPEN_FILE)
		out[n++] = 'F';
	if (!n)
		out[n++] = '-';
	out[n] = '\0';
}

static const struct bl_umh *umh_find(const struct bl_umh *u, u32 nr,
				     const struct bl_umh *want)
{
	u32 i;

	for (i = 0; i < nr; i++)
		if (u[i].kind == want->kind && !strcmp(u[i].name, want->name))
			return &u[i];
	return NULL;
}

static void umh_report(const struct hidden_sink *s, u32 sev,
		       const struct bl_umh *u, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void umh_report(const struct hidden_sink *s, u32 sev,
		       const struct bl_umh *u, const char *fmt, ...)
{
	struct vmiaas_finding *f;
	char object[160], name[128];
	va_list ap;

	snprintf(object, sizeof(object), "%s %s",
		 u->kind == BL_UMH_RELEASE_AGENT ? "release_agent" :
		 "binfmt_misc", printable(u->name, name, sizeof(name)));
	f = s->add(s->ctx, "usermode-helper", sev, object);
	if (!f)
		return;
	if (sev == VMIAAS_SEV_INFO)
		f->flags |= VMIAAS_FINDING_EVENT;
	va_start(ap, fmt);
	vsnprintf(f->message, sizeof(f->message), fmt, ap);
	va_end(ap);
}

#define RUNS_AGENT	"run as root in the init namespaces when a cgroup of the hierarchy with notify_on_release empties"
#define RUNS_BINFMT	"exec'd for every matching file"

static void umh_agent(const struct hidden_sink *s, const struct bl_umh *old,
		      const struct bl_umh *now)
{
	char a[224], b[224], n[128];

	printable(now ? now->name : old->name, n, sizeof(n));
	if (!now) {
		umh_report(s, VMIAAS_SEV_INFO, old,
			   "the release_agent \"%s\" of cgroup v1 hierarchy %s is gone since the baseline",
			   printable(old->value, a, sizeof(a)), n);
		return;
	}
	if (!old) {
		umh_report(s, VMIAAS_SEV_HIGH, now,
			   "cgroup v1 hierarchy %s has a release_agent since the baseline: \"\" -> \"%s\" (%s)",
			   n, printable(now->value, b, sizeof(b)),
			   RUNS_AGENT);
		return;
	}
	if (strcmp(old->value, now->value))
		umh_report(s, VMIAAS_SEV_HIGH, now,
			   "release_agent of cgroup v1 hierarchy %s changed since the baseline: \"%s\" -> \"%s\" (%s)",
			   n, printable(old->value, a, sizeof(a)),
			   printable(now->value, b, sizeof(b)), RUNS_AGENT);
}

/*
 * A handler new since the baseline: medium (a root program on every
 * matching exec); with C, high: the interpreter runs with the matched
 * file's credentials, so any setuid-root file that matches makes it
 * root for any user (C implies O).
 */
static void umh_binfmt(const struct hidden_sink *s, const struct bl_umh *old,
		       const struct bl_umh *now)
{
	bool cred = now && now->flags & VMI_BINFMT_CREDENTIALS;
	char m[80], m_old[80], f[8], a[200], b[200], n[128];
	u32 sev;

	printable(now ? now->name : old->name, n, sizeof(n));
	if (!now) {
		umh_report(s, VMIAAS_SEV_INFO, old,
			   "binfmt_misc handler %s (interpreter \"%s\") unregistered since the baseline",
			   n, printable(old->value, a, sizeof(a)));
		return;
	}
	umh_match(now, m, sizeof(m));
	umh_flags(now->flags, f);
	printable(now->value, b, sizeof(b));
	if (!old) {
		umh_report(s, cred ? VMIAAS_SEV_HIGH : VMIAAS_SEV_MEDIUM, now,
			   "binfmt_misc handler %s registered since the baseline: interpreter \"%s\" for %s, flags %s, %s (%s%s)",
			   n, b, m, f,
			   now->flags & VMI_BINFMT_ENABLED ? "enabled" : "disabled",
			   RUNS_BINFMT, cred ? ", with the file's credentials: a setuid file makes it root" : "");
		return;
	}
	printable(old->value, a, sizeof(a));
	if (strcmp(old->value, now->value)) {
		umh_report(s, VMIAAS_SEV_HIGH, now,
			   "binfmt_misc handler %s changed since the baseline: interpreter \"%s\" -> \"%s\" (%s, %s)",
			   n, a, b, m, RUNS_BINFMT);
		return;
	}
	if (old->offset == now->offset && old->size == now->size &&
	    !memcmp(old->magic, now->magic, sizeof(old->magic)) &&
	    !memcmp(old->mask, now->mask, sizeof(old->mask)) &&
	    !((old->flags ^ now->flags) & ~VMI_BINFMT_ENABLED)) {
		if ((old->flags ^ now->flags) & VMI_BINFMT_ENABLED)
			umh_report(s, now->flags & VMI_BINFMT_ENABLED ?
				   VMIAAS_SEV_MEDIUM : VMIAAS_SEV_INFO, now,
				   "binfmt_misc handler %s (interpreter \"%s\" for %s) %s since the baseline",
				   n, b, m,
				   now->flags & VMI_BINFMT_ENABLED ?
				   "enabled" : "disabled");
		return;
	}
	/* what it matches or how it runs: C gained is an escalation */
	sev = cred && !(old->flags & VMI_BINFMT_CREDENTIALS) ?
	      VMIAAS_SEV_HIGH : VMIAAS_SEV_MEDIUM;
	umh_flags(old->flags, a);
	umh_match(old, m_old, sizeof(m_old));
	umh_report(s, sev, now,
		   "binfmt_misc handler %s (interpreter \"%s\") changed since the baseline: %s, flags %s -> %s, flags %s%s",
		   n, b, m_old, a, m, f,
		   now->flags & VMI_BINFMT_ENABLED ? "" : " (disabled)");
}

static void umh_compare(const struct vmiaas_baseline *b,
			const struct umh_scan *sc, u32 kind,
			const struct hidden_sink *s)
{
	const struct bl_umh *o;
	u32 i;

	for (i = 0; i < sc->nr; i++) {
		if (sc->rec[i].kind != kind)
			continue;
		o = umh_find(b->umh, b->nr_umh, &sc->rec[i]);
		if (kind == BL_UMH_RELEASE_AGENT)
			umh_agent(s, o, &sc->rec[i]);
		else
			umh_binfmt(s, o, &sc->rec[i]);
	}
	for (i = 0; i < b->nr_umh; i++) {
		if (b->umh[i].kind != kind ||
		    umh_find(sc->rec, sc->nr, &b->umh[i]))
			continue;
		if (kind == BL_UMH_RELEASE_AGENT)
			umh_agent(s, &b->umh[i], NULL);
		else
			umh_binfmt(s, &b->umh[i], NULL);
	}
}

int check_umh_paths(struct vmiaas *v, const struct vmiaas_baseline *b,
		    const struct hidden_sink *s)
{
	static const u32 kinds[] = { BL_UMH_RELEASE_AGENT, BL_UMH_BINFMT };
	struct vmiaas_finding *f;
	struct umh_scan *sc;
	char why[160];
	size_t k;
	int err;

	if (!b->has_umh) {
		f = s->add(s->ctx, "usermode-helper", VMIAAS_SEV_INFO,
			   "release_agent, binfmt_misc");
		if (f) {
			f->flags |= VMIAAS_FINDING_EVENT;
			snprintf(f->message, sizeof(f->message),
				 "cgroup v1 release agents and binfmt_misc handlers not checked: the baseline holds none (taken by an older vmiaas); take a new baseline");
		}
		return 0;
	}
	sc = malloc(sizeof(*sc));
	if (!sc)
		return -ENOMEM;
	err = umh_scan_init(v, sc);
	for (k = 0; !err && k < ARRAY_SIZE(kinds); k++) {
		sc->nr = 0;
		if (umh_walk(sc, kinds[k], why, sizeof(why))) {
			f = s->add(s->ctx, "usermode-helper", VMIAAS_SEV_HIGH,
				   kinds[k] == BL_UMH_RELEASE_AGENT ?
				   "cgroup_roots" : "binfmt_misc");
			if (f)
				snprintf(f->message, sizeof(f->message),
					 "%s: what it holds is not checked (a corrupt list can hide a root program)",
					 why);
			continue;
		}
		umh_compare(b, sc, kinds[k], s);
	}
	free(sc->rec);
	free(sc);
	return err;
}
