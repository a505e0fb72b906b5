// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * notifier-hook: callbacks on the kernel's notifier chains that a
 * keylogger or a rootkit registers.
 *
 * A notifier chain is a singly linked list of struct notifier_block in
 * writable memory; the kernel calls each block's notifier_call. A module
 * that registers one changes no text and no read-only data: the only
 * trace is the block on the chain. Two rules:
 *   - on the chains that see what a user types or reads
 *     (keyboard_notifier_list: every key press, register_keyboard_notifier(),
 *     the hook of Linux keyloggers; vt_notifier_list: every character
 *     written to a virtual console), a callback in a module's text is a
 *     finding naming the module (high: accessibility modules, speakup and
 *     the braille console, are the legitimate users; a server VM has
 *     none);
 *   - on every chain read here, a callback outside the kernel's text and
 *     every live module's text (a hidden module, code left in executable
 *     heap, freed memory) is a critical finding.
 * A chain that does not end within NOTIFIER_CHAIN_MAX blocks (a cycle) or
 * whose blocks cannot be read is a critical finding too: the guest
 * kernel would hang or fault walking it. So is a block ahead of one of
 * higher priority: notifier_chain_register() inserts a block after every
 * block of its priority or more, so the kernel keeps each chain sorted;
 * a block out of that order was linked in by hand (a rootkit's die
 * notifier put ahead of arch/x86's INT_MAX one, to see its #DB first),
 * whatever text its callback lies in. Layouts come from BTF (the
 * head's "head" member, notifier_block's "notifier_call", "next" and
 * "priority").
 * What a scan reports is confirmed by a second one (check_confirmed()):
 * a module being unloaded unregisters its blocks just after it stops
 * being live.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checks.h"
#include "hidden.h"

#define NOTIFIER_CHAIN_MAX	1024	/* blocks on one chain */
#define NOTIFIER_SUSPECTS_MAX	64	/* suspect blocks per check */

struct notifier_chain {
	const char *sym;		/* the chain head's symbol */
	const char *head_type;		/* struct *_notifier_head */
	const char *input;		/* what a module sees there, or NULL */
};

static const struct notifier_chain notifier_chains[] = {
	{ "keyboard_notifier_list", "atomic_notifier_head",
	  "every key press (a keylogger's hook)" },
	{ "vt_notifier_list", "atomic_notifier_head",
	  "every character written to a virtual console" },
	{ "module_notify_list", "blocking_notifier_head", NULL },
	{ "panic_notifier_list", "atomic_notifier_head", NULL },
	{ "reboot_notifier_list", "blocking_notifier_head", NULL },
	{ "die_chain", "atomic_notifier_head", NULL },
	{ "netdev_chain", "raw_notifier_head", NULL },
	{ "inetaddr_chain", "blocking_notifier_head", NULL },
};

/* A block worth a finding. */
struct notifier_suspect {
	const struct notifier_chain *chain;
	u64 block, call;		/* 0, 0: the chain itself is bad */
	const char *why;		/* for a bad chain */
	bool in_module;
	/* out of order: @block (@prio) is ahead of @after_call's block */
	bool order;
	s32 prio, after_prio;
	u64 after_call;
};

/* The block a walk read last, for the order rule. */
struct notifier_block_seen {
	u64 block, call;
	s32 prio;
};

struct notifier_walk {
	u32 call_off, next_off, prio_off; /* in struct notifier_block */
	u64 text_start, text_end;	/* the kernel's */
	struct bl_module *mods;
	u32 nr_mods;
	struct notifier_suspect s[NOTIFIER_SUSPECTS_MAX];
	size_t nr;
};

static bool notifier_in_module(const struct notifier_walk *w, u64 addr)
{
	u32 i;

	for (i = 0; i < w->nr_mods; i++)
		if (addr >= w->mods[i].text.start && addr < w->mods[i].text.end)
			return true;
	return false;
}

static void notifier_suspect(struct notifier_walk *w,
			     const struct notifier_chain *c, u64 block,
			     u64 call, const char *why)
{
	if (w->nr >= NOTIFIER_SUSPECTS_MAX)
		return;
	w->s[w->nr++] = (struct notifier_suspect){
		.chain = c, .block = block, .call = call, .why = why,
		.in_module = notifier_in_module(w, call),
	};
}

/* @prev ahead of @cur on @c although @cur's priority is higher. */
static void notifier_out_of_order(struct notifier_walk *w,
				  const struct notifier_chain *c,
				  const struct notifier_block_seen *prev,
				  const struct notifier_block_seen *cur)
{
	if (w->nr >= NOTIFIER_SUSPECTS_MAX)
		return;
	w->s[w->nr++] = (struct notifier_suspect){
		.chain = c, .block = prev->block, .call = prev->call,
		.order = true, .prio = prev->prio, .after_prio = cur->prio,
		.after_call = cur->call,
	};
}

/* One block's callback against the rules (see the top). */
static void notifier_judge(struct notifier_walk *w,
			   const struct notifier_chain *c, u64 block, u64 call)
{
	if (call >= w->text_start && call < w->text_end)
		return;
	if (notifier_in_module(w, call) && !c->input)
		return;
	notifier_suspect(w, c, block, call, NULL);
}

static int notifier_walk_chain(struct vmiaas *v, struct notifier_walk *w,
			       const struct notifier_chain *c)
{
	struct notifier_block_seen prev = {}, now;
	bool ordered = true;
	u64 head, block, cur, call;
	u32 head_off, n;
	s32 prio;

	if (engine_sym(v, c->sym, &head))
		return 0;	/* not built into this kernel */
	if (btf_offsetof(v->btf, c->head_type, "head", &head_off))
		return engine_fail(v, -ENOENT,
				   "notifier-hook: the kernel's BTF has no struct %s.head",
				   c->head_type);
	if (engine_read_u64(v, head + head_off, &block)) {
		notifier_suspect(w, c, 0, 0, "its head cannot be read");
		return 0;
	}
	for (n = 0; block && n < NOTIFIER_CHAIN_MAX; n++) {
		cur = block;
		if (engine_read_u64(v, cur + w->call_off, &call) ||
		    engine_read_u64(v, cur + w->next_off, &block) ||
		    engine_read(v, cur + w->prio_off, &prio, sizeof(prio))) {
			notifier_suspect(w, c, cur, 0,
					 "a block on it cannot be read");
			return 0;
		}
		notifier_judge(w, c, cur, call);
		now = (struct notifier_block_seen){ cur, call, prio };
		if (n && ordered && prio > prev.prio) {
			notifier_out_of_order(w, c, &prev, &now);
			ordered = false;	/* one finding a chain */
		}
		prev = now;
	}
	if (block)
		notifier_suspect(w, c, 0, 0, "it does not end (a cycle, or over "
				 "1024 blocks)");
	return 0;
}

static int notifier_walk_all(struct vmiaas *v, struct notifier_walk *w)
{
	size_t i;
	int err = 0;

	w->nr = 0;
	for (i = 0; !err && i < ARRAY_SIZE(notifier_chains); i++)
		err = notifier_walk_chain(v, w, &notifier_chains[i]);
	return err;
}

static void notifier_report(struct vmiaas *v, const struct notifier_suspect *s,
			    const struct hidden_sink *sink)
{
	bool input = s->in_module && !s->why && !s->order;
	struct vmiaas_finding *f;
	char call[128], after[128];

	f = sink->add(sink->ctx, "notifier-hook",
		      input ? VMIAAS_SEV_HIGH : VMIAAS_SEV_CRITICAL,
		      s->chain->sym);
	if (!f)
		return;
	if (s->why) {
		snprintf(f->message, sizeof(f->message),
			 "notifier chain %s: %s", s->chain->sym, s->why);
		return;
	}
	check_symbolize(v, s->call, call, sizeof(call));
	f->flags |= VMIAAS_FINDING_ADDRESS | VMIAAS_FINDING_SYMBOLS;
	f->address = s->block;
	f->new_value = s->call;
	snprintf(f->new_symbol, sizeof(f->new_symbol), "%s", call);
	if (s->order) {
		check_symbolize(v, s->after_call, after, sizeof(after));
		snprintf(f->message, sizeof(f->message),
			 "a notifier_block at 0x%llx calling %s (priority %d) is ahead of one calling %s (priority %d) on %s: the kernel keeps a chain in priority order, so it was linked in by hand, to run first",
			 (unsigned long long)s->block, call, s->prio, after,
			 s->after_prio, s->chain->sym);
	} else if (input)
		snprintf(f->message, sizeof(f->message),
			 "%s receives %s: a notifier_block at 0x%llx on %s",
			 call, s->chain->input, (unsigned long long)s->block,
			 s->chain->sym);
	else
		snprintf(f->message, sizeof(f->message),
			 "a notifier_block at 0x%llx on %s calls %s, outside the kernel's text and every live module's text",
			 (unsigned long long)s->block, s->chain->sym, call);
}

static int notifier_layout(struct vmiaas *v, struct notifier_walk *w)
{
	const struct btf_member_ref m[] = {
		{ "notifier_block", "notifier_call", &w->call_off },
		{ "notifier_block", "next", &w->next_off },
		{ "notifier_block", "priority", &w->prio_off },
	};

	if (btf_offsets(v->btf, m, ARRAY_SIZE(m), NULL))
		return engine_fail(v, -ENOENT,
				   "notifier-hook: the kernel's BTF has no struct notifier_block");
	return bl_text_range(v, &w->text_start, &w->text_end);
}

/* One scan: every chain now, its suspects to @sink. */
static int notifier_scan(struct vmiaas *v, const struct hidden_sink *sink,
			 void *arg)
{
	struct notifier_walk *w = calloc(1, sizeof(*w));
	size_t i;
	int err;

	if (!w)
		return -ENOMEM;
	err = notifier_layout(v, w);
	err = err ?: bl_modules_now(v, &w->mods, &w->nr_mods);
	err = err ?: notifier_walk_all(v, w);
	for (i = 0; !err && i < w->nr; i++)
		notifier_report(v, &w->s[i], sink);
	bl_modules_free(w->mods, w->nr_mods);
	free(w);
	return err;
}

int check_notifiers(struct vmiaas *v, const struct hidden_sink *sink)
{
	return check_confirmed(v, notifier_scan, NULL, sink);
}
