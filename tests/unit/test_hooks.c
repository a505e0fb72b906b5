// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * packet-tap, input-handler and netfilter-hook (userspace/lib/check_ptype.c,
 * check_input.c, check_netfilter.c, their shared hookpolicy.c and
 * netwalk.c) on a tiny guest kernel with its own BTF: one module, one
 * network namespace with one device, a packet type on ptype_all and one
 * on the device's ptype_specific, an input handler with a handle on one
 * input device. The policy first: a handler in kernel text is nothing,
 * in an untainted module an event, in a tainted one high, elsewhere
 * critical. Then hostile memory: lists that loop or hold user pointers,
 * a handle whose handler is not registered, an unreadable name, random
 * words. Every check must end, with a finding where the lists are
 * broken; ASan/UBSan (make san) catch the rest.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/btf.h>

#include "userspace/lib/checks.h"
#include "userspace/lib/hidden.h"
#include "userspace/lib/hookpolicy.h"
#include "tests/lib/symfile.h"
#include "tests/lib/tap.h"
#include "tests/lib/tinyguest.h"

#define HEADS		(KBASE + 0x1000)
#define MODULES		(HEADS + 0x000)
#define NETNS_LIST	(HEADS + 0x010)
#define PTYPE_ALL	(HEADS + 0x020)
#define HANDLERS	(HEADS + 0x030)
#define INPUT_DEVS	(HEADS + 0x040)
#define PTYPE_BASE	(HEADS + 0x100)	/* 16 list heads */
#define NET		(KBASE + 0x2000)
#define DEV		(KBASE + 0x3000)
#define PT_ALL		(KBASE + 0x4000)	/* on ptype_all */
#define PT_DEV		(KBASE + 0x4100)	/* on DEV's ptype_specific */
#define HANDLER		(KBASE + 0x5000)
#define HANDLER2	(KBASE + 0x5100)	/* on no list */
#define HANDLE		(KBASE + 0x5200)
#define IDEV		(KBASE + 0x6000)
#define STRINGS		(KBASE + 0x7000)
#define TEXT		(KBASE + 0x10000)	/* _stext.._etext */
#define KFN		(TEXT + 0x100)
#define MOD		(KBASE + 0x40000)
#define MOD_TEXT	(KBASE + 0x50000)
#define MFN		(MOD_TEXT + 0x10)
#define HEAP		(KBASE + 0x90000)

#define TAINT_OE	((1ULL << 12) | (1ULL << 13))

static struct btf *hooks_btf(void)
{
	struct tiny_btf t;
	struct btf *b = tiny_btf_new(&t);
	int be16 = btf__add_int(b, "__be16", 2, 0);
	int uint = btf__add_int(b, "unsigned int", 4, 0);
	int ns;

	tiny_btf_module(b, &t);
	{
		const int types[] = { uint };
		const u32 offs[] = { 0 };

		ns = STRUCT(b, "ns_common", 8, "inum");
	}
	{
		const int types[] = { t.lh, ns, t.lh };
		const u32 offs[] = { 0, 16, 32 };

		STRUCT(b, "net", 48, "list", "ns", "dev_base_head");
	}
	{
		const int types[] = { t.lh, btf__add_array(b, t.i32, t.i8, 16),
				      t.lh, t.lh };
		const u32 offs[] = { 0, 16, 32, 48 };

		STRUCT(b, "net_device", 64, "dev_list", "name", "ptype_all",
		       "ptype_specific");
	}
	{
		const int types[] = { be16, t.ptr, t.ptr, t.ptr, t.ptr, t.lh };
		const u32 offs[] = { 0, 8, 16, 24, 32, 40 };

		STRUCT(b, "packet_type", 56, "type", "dev", "func",
		       "list_func", "id_match", "list");
	}
	{
		const int types[] = { t.ptr, t.ptr, t.ptr, t.ptr, t.ptr, t.ptr,
				      t.ptr, t.ptr, t.lh };
		const u32 offs[] = { 8, 16, 24, 32, 40, 48, 56, 64, 72 };

		STRUCT(b, "input_handler", 88, "event", "events", "filter",
		       "match", "connect", "disconnect", "start", "name",
		       "node");
	}
	{
		const int types[] = { t.ptr, t.ptr, t.ptr, t.lh, t.lh, t.ptr };
		const u32 offs[] = { 8, 16, 24, 32, 48, 64 };

		STRUCT(b, "input_handle", 72, "name", "dev", "handler",
		       "d_node", "h_node", "handle_events");
	}
	{
		const int types[] = { t.ptr, t.lh, t.lh };
		const u32 offs[] = { 0, 8, 24 };

		STRUCT(b, "input_dev", 40, "name", "h_list", "node");
	}
	return b;
}

static void hooks_symbols(void)
{
	static const struct sym syms[] = {
		{ "_text", KBASE }, { "_stext", TEXT }, { "_etext", TEXT + 0x10000 },
		{ "modules", MODULES }, { "net_namespace_list", NETNS_LIST },
		{ "ptype_all", PTYPE_ALL }, { "ptype_base", PTYPE_BASE },
		{ "input_handler_list", HANDLERS },
		{ "input_dev_list", INPUT_DEVS },
	};

	test_symmap_load(syms, ARRAY_SIZE(syms), &v.symmap);
	v.info.text_va = KBASE;
}

/* A consistent guest: every function in kernel text, one module live. */
static void hooks_guest(void)
{
	u64 n[1];
	u32 i;

	memset(ram + DATA_GPA, 0, 0x100000);
	tiny_module(MODULES, MOD, MOD_TEXT);
	n[0] = NET;
	list_ring(NETNS_LIST, n, 1);
	put(NET + 16, 4026531840ULL);
	n[0] = DEV;
	list_ring(NET + 32, n, 1);
	put_str(DEV + 16, "eth0");
	n[0] = PT_ALL + 40;
	list_ring(PTYPE_ALL, n, 1);
	put(PT_ALL, 0x0300);			/* htons(ETH_P_ALL) */
	put(PT_ALL + 16, KFN);
	for (i = 0; i < 16; i++)
		list_ring(PTYPE_BASE + 16 * i, NULL, 0);
	list_ring(DEV + 32, NULL, 0);
	n[0] = PT_DEV + 40;
	list_ring(DEV + 48, n, 1);
	put(PT_DEV, 0x0008);			/* htons(ETH_P_IP) */
	put(PT_DEV + 16, KFN);
	put(PT_DEV + 32, KFN + 0x40);		/* id_match */
	n[0] = HANDLER + 72;
	list_ring(HANDLERS, n, 1);
	put(HANDLER + 8, KFN);			/* event */
	put(HANDLER + 40, KFN + 0x80);		/* connect */
	put(HANDLER + 64, STRINGS);
	put_str(STRINGS, "kbd");
	n[0] = IDEV + 24;
	list_ring(INPUT_DEVS, n, 1);
	put(IDEV, STRINGS + 0x40);
	put_str(STRINGS + 0x40, "AT keyboard");
	n[0] = HANDLE + 32;
	list_ring(IDEV + 8, n, 1);
	put(HANDLE + 24, HANDLER);
	put(HANDLE + 64, KFN + 0xc0);		/* handle_events */
}

static void test_policy(void)
{
	const struct vmiaas_finding *f;
	u32 nr;
	int err;

	hooks_guest();
	err = tiny_check(check_packet_taps, &nr, &f);
	ksft_test_result(!err && !nr && !nr_findings,
			 "packet-tap: kernel handlers only: nothing (err %d, %u: %s)\n",
			 err, nr, v.diag.msg);
	err = tiny_check(check_input_handlers, &nr, &f);
	ksft_test_result(!err && !nr && !nr_findings,
			 "input-handler: kernel callbacks only: nothing (err %d, %u: %s)\n",
			 err, nr, v.diag.msg);
	err = tiny_check(check_netfilter, &nr, &f);
	ksft_test_result(!err && !nr, "netfilter-hook: no hook point in this BTF, the walk ends (err %d, %u)\n",
			 err, nr);

	put(PT_ALL + 16, MFN);
	put(MOD + 80, TAINT_OE);
	err = tiny_check(check_packet_taps, &nr, &f);
	ksft_test_result(!err && nr == 1 && f->severity == VMIAAS_SEV_HIGH &&
			 !strcmp(f->object, "ETH_P_ALL") &&
			 strstr(f->message, "module rootkit is tainted OE"),
			 "packet-tap: a tap in a module tainted OE: high, ETH_P_ALL (%d, %u: %s)\n",
			 err, nr, f ? f->message : "");
	put(MOD + 80, 0);
	err = tiny_check(check_packet_taps, &nr, &f);
	ksft_test_result(!err && !nr && tiny_has_event("packet-tap", "ETH_P_ALL"),
			 "packet-tap: the same module untainted: an event, no finding (%d, %u)\n",
			 err, nr);
	put(PT_DEV + 32, HEAP);
	err = tiny_check(check_packet_taps, &nr, &f);
	ksft_test_result(!err && nr == 1 && f->severity == VMIAAS_SEV_CRITICAL &&
			 !strcmp(f->object, "eth0 type 0x0800") &&
			 strstr(f->message, "id_match"),
			 "packet-tap: eth0's id_match in the heap: critical, named (%d, %u: %s)\n",
			 err, nr, f ? f->message : "");

	hooks_guest();
	put(HANDLER + 8, MFN);
	put(MOD + 80, TAINT_OE);
	err = tiny_check(check_input_handlers, &nr, &f);
	ksft_test_result(!err && nr == 1 && f->severity == VMIAAS_SEV_HIGH &&
			 !strcmp(f->object, "kbd"),
			 "input-handler: an event callback in a tainted module: high, named by the handler (%d, %u: %s)\n",
			 err, nr, f ? f->message : "");
	hooks_guest();
	put(HANDLE + 64, HEAP);
	err = tiny_check(check_input_handlers, &nr, &f);
	ksft_test_result(!err && nr == 1 && f->severity == VMIAAS_SEV_CRITICAL &&
			 strstr(f->message, "handle_events"),
			 "input-handler: a handle's handle_events in the heap: critical (%d, %u: %s)\n",
			 err, nr, f ? f->message : "");
}

static void test_hostile(void)
{
	const struct vmiaas_finding *f;
	u32 nr, i, ok = 0;
	int err;

	hooks_guest();
	put(PT_ALL + 40, PT_ALL + 40);			/* a self-loop */
	err = tiny_check(check_packet_taps, &nr, &f);
	ksft_test_result(!err && nr == 1 && f->severity == VMIAAS_SEV_CRITICAL &&
			 !strcmp(f->object, "ptype_all"),
			 "packet-tap: ptype_all looping on a node: one critical finding (%d, %u: %s)\n",
			 err, nr, f ? f->message : "");
	hooks_guest();
	put(DEV, DEV);					/* device list loops */
	put(PT_DEV + 40, 0x1000);			/* a user pointer */
	err = tiny_check(check_packet_taps, &nr, &f);
	ksft_test_result(!err && nr == 2,
			 "packet-tap: a user pointer on a device list and a looping device list: two findings (%d, %u)\n",
			 err, nr);
	hooks_guest();
	put(HANDLE + 24, HANDLER2);			/* not registered */
	put(HANDLER2 + 8, HEAP);
	put(HANDLER2 + 64, 0xdead000000000000ULL);	/* unreadable name */
	err = tiny_check(check_input_handlers, &nr, &f);
	ksft_test_result(!err && nr == 2 && f->severity == VMIAAS_SEV_CRITICAL &&
			 strstr(f->message, "not on input_handler_list") &&
			 !strncmp(f->object, "handler@", 8),
			 "input-handler: a handle of an unregistered handler: critical, its heap callback too (%d, %u: %s)\n",
			 err, nr, f ? f->message : "");
	hooks_guest();
	put(HANDLE + 32, HANDLE + 32);			/* handle list loops */
	put(HANDLER + 72, 0x1000);			/* handler list: user ptr */
	err = tiny_check(check_input_handlers, &nr, &f);
	ksft_test_result(!err && nr >= 1,
			 "input-handler: looping lists are findings, the check ends (%d, %u)\n",
			 err, nr);

	/* Random words over every structure: each check must end. */
	srand(11);
	for (i = 0; i < 40; i++) {
		u32 k, n = 1 + rand() % 6;

		hooks_guest();
		for (k = 0; k < n; k++) {
			u64 at = HEADS + (rand() % 0x6100 & ~7ULL);
			u64 r = rand() % 2 ? HEADS + (rand() % 0x6100 & ~7ULL) :
					     (u64)rand() << 33 ^ rand();

			put(at, r);
		}
		tiny_check(check_packet_taps, &nr, &f);
		tiny_check(check_input_handlers, &nr, &f);
		tiny_check(check_netfilter, &nr, &f);
		ok++;
	}
	ksft_test_result(ok == 40, "40 guests with random words over their structures: every check ended\n");
}

/* The tap of hooks_guest()'s module "rootkit", tainted OE, at MFN. */
static void trust_guest(void)
{
	hooks_guest();
	put(PT_ALL + 16, MFN);
	put(MOD + 80, TAINT_OE);
}

static void trust_rec(struct vmiaas_baseline_hook *r, const char *check,
		      const char *object, u64 offset, u64 taints)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->check, sizeof(r->check), "%s", check);
	snprintf(r->object, sizeof(r->object), "%s", object);
	snprintf(r->module, sizeof(r->module), "rootkit");
	r->offset = offset;
	r->taints = taints;
}

/* packet-tap with @t: its findings' number, the first in *@f. */
static int trust_check(struct hook_trust *t, u32 *nr,
		       const struct vmiaas_finding **f)
{
	int err;

	tiny_trust = t;
	err = tiny_check(check_packet_taps, nr, f);
	tiny_trust = NULL;
	return err;
}

/*
 * Hooks present at baseline (hookpolicy.c): a tainted module's hook is
 * an event only if the module is the measured one (name, struct module,
 * text range) and a record has the check, object, offset and taints.
 */
static void test_trust(void)
{
	struct bl_module mod = {
		.name = "rootkit", .addr = MOD,
		.text = { .start = MOD_TEXT, .end = MOD_TEXT + 0x1000 },
	};
	struct vmiaas_baseline_hook rec;
	struct hook_trust t = {
		.hooks = &rec, .nr_hooks = 1, .mods = &mod, .nr_mods = 1,
	};
	const struct vmiaas_finding *f;
	u32 nr, i;
	int err;

	trust_guest();
	trust_rec(&rec, "packet-tap", "ETH_P_ALL", MFN - MOD_TEXT, TAINT_OE);
	err = trust_check(&t, &nr, &f);
	for (i = 0; i < nr_findings && !(findings[i].flags & VMIAAS_FINDING_EVENT); i++)
		;
	ksft_test_result(!err && !nr && i < nr_findings &&
			 !strcmp(findings[i].object, "ETH_P_ALL") &&
			 strstr(findings[i].message, "hook present at baseline") &&
			 strstr(findings[i].message, "tainted OE"),
			 "trust: the hook of the baseline in its measured module: an event, no finding (%d, %u: %s)\n",
			 err, nr, i < nr_findings ? findings[i].message : "");
	rec.offset += 0x10;
	err = trust_check(&t, &nr, &f);
	ksft_test_result(!err && nr == 1 && f->severity == VMIAAS_SEV_HIGH,
			 "trust: the same module hooking at another offset: high (%d, %u)\n",
			 err, nr);
	rec.offset -= 0x10;
	rec.taints = 1ULL << 12;
	err = trust_check(&t, &nr, &f);
	ksft_test_result(!err && nr == 1 && f->severity == VMIAAS_SEV_HIGH,
			 "trust: other taints than at baseline: high (%d, %u)\n",
			 err, nr);
	rec.taints = TAINT_OE;
	snprintf(rec.object, sizeof(rec.object), "ETH_P_IP");
	err = trust_check(&t, &nr, &f);
	ksft_test_result(!err && nr == 1 && !strcmp(f->object, "ETH_P_ALL"),
			 "trust: a record of another object: high (%d, %u)\n",
			 err, nr);
	trust_rec(&rec, "netfilter-hook", "ETH_P_ALL", MFN - MOD_TEXT, TAINT_OE);
	err = trust_check(&t, &nr, &f);
	ksft_test_result(!err && nr == 1,
			 "trust: a record of another check: high (%d, %u)\n",
			 err, nr);
	trust_rec(&rec, "packet-tap", "ETH_P_ALL", MFN - MOD_TEXT, TAINT_OE);
	mod.addr = MOD + 0x100;
	err = trust_check(&t, &nr, &f);
	ksft_test_result(!err && nr == 1 && f->severity == VMIAAS_SEV_HIGH,
			 "trust: another struct module than the measured one (reloaded): high (%d, %u)\n",
			 err, nr);
	mod.addr = MOD;
	t.nr_mods = 0;
	err = trust_check(&t, &nr, &f);
	ksft_test_result(!err && nr == 1,
			 "trust: the module's text changed since the baseline (not verified): high (%d, %u)\n",
			 err, nr);
	t.nr_mods = 1;
	put(PT_DEV + 32, HEAP);
	err = trust_check(&t, &nr, &f);
	ksft_test_result(!err && nr == 1 && f->severity == VMIAAS_SEV_CRITICAL,
			 "trust: the trusted tap still an event, a hook in the heap critical (%d, %u)\n",
			 err, nr);
	ksft_test_result(hook_trusted(&t, "packet-tap", "ETH_P_ALL", &mod, MFN,
				      TAINT_OE) &&
			 !hook_trusted(&t, "packet-tap", "ETH_P_ALL", &mod,
				       MOD_TEXT + 0x1000 + (MFN - MOD_TEXT),
				       TAINT_OE) &&
			 !hook_trusted(NULL, "packet-tap", "ETH_P_ALL", &mod,
				       MFN, TAINT_OE),
			 "trust: hook_trusted(): only inside the module's text, never without a baseline\n");
}

/* At baseline: a tainted module's hooks taken, in a measured module only. */
static void test_take(void)
{
	struct vmiaas_baseline_hook taken[BL_HOOKS_MAX];
	struct bl_module mod = {
		.name = "rootkit", .addr = MOD,
		.text = { .start = MOD_TEXT, .end = MOD_TEXT + 0x1000 },
	};
	struct hook_trust t = { .mods = &mod, .nr_mods = 1, .taken = taken };
	const struct vmiaas_finding *f;
	u32 nr;
	int err;

	trust_guest();
	put(PT_DEV + 16, MFN + 0x20);
	err = trust_check(&t, &nr, &f);
	trust_check(&t, &nr, &f);	/* a second scan adds nothing */
	ksft_test_result(!err && t.nr_taken == 2 &&
			 !strcmp(taken[0].check, "packet-tap") &&
			 !strcmp(taken[0].object, "ETH_P_ALL") &&
			 !strcmp(taken[0].module, "rootkit") &&
			 taken[0].offset == MFN - MOD_TEXT &&
			 taken[0].taints == TAINT_OE &&
			 !strcmp(taken[1].object, "eth0 type 0x0800") &&
			 taken[1].offset == 0x30,
			 "take: both taps of the tainted module recorded once, by offset (%d, %u)\n",
			 err, t.nr_taken);
	/* room for one more: the second tap is counted, not taken */
	memset(taken, 0, sizeof(taken));
	for (nr = 0; nr < BL_HOOKS_MAX - 1; nr++)
		snprintf(taken[nr].object, sizeof(taken[nr].object), "f%u", nr);
	t.nr_taken = BL_HOOKS_MAX - 1;
	err = trust_check(&t, &nr, &f);
	/* both scans of the check saw it: beyond the room, repeats count */
	ksft_test_result(!err && t.nr_taken == BL_HOOKS_MAX && t.nr_over == 2 &&
			 !strcmp(taken[BL_HOOKS_MAX - 1].object, "ETH_P_ALL"),
			 "take: beyond the baseline's room: counted as over, not taken (%d, %u, %u)\n",
			 err, t.nr_taken, t.nr_over);
	t.nr_taken = 0;
	mod.addr = MOD + 0x100;
	err = trust_check(&t, &nr, &f);
	ksft_test_result(!err && !t.nr_taken && nr == 2,
			 "take: a module not measured into the baseline: nothing taken (%d, %u)\n",
			 err, t.nr_taken);
	mod.addr = MOD;
	put(MOD + 80, 0);
	err = trust_check(&t, &nr, &f);
	ksft_test_result(!err && !t.nr_taken,
			 "take: an untainted module's hooks: nothing taken (events already)\n");
}

/* The HOOKS section, and a golden baseline's hooks. */
static void test_section(void)
{
	struct vmiaas_baseline b = {}, g = {};
	struct vmiaas_baseline_hook r[3];
	int err;

	trust_rec(&r[0], "packet-tap", "ETH_P_ALL", 0x10, TAINT_OE);
	trust_rec(&r[1], "tracepoint-hook", "sys_enter", 0x40, TAINT_OE);
	trust_rec(&r[2], "tracepoint-hook", "sys_exit", 0x80, TAINT_OE);
	err = bl_hooks_parse(&b, r, sizeof(r));
	ksft_test_result(!err && b.has_hooks && b.nr_hooks == 3 &&
			 b.hooks[1].offset == 0x40 &&
			 bl_hooks_parse(&b, r, sizeof(r)) == -EBADMSG,
			 "section: three records parsed, a second section refused (%d)\n",
			 err);
	g.hooks = r + 1;
	g.nr_hooks = 1;
	bl_hooks_golden(&g, &b);
	ksft_test_result(b.nr_hooks == 1 && !strcmp(b.hooks[0].object, "sys_enter"),
			 "section: golden: only the hooks the golden boot had (%u)\n",
			 b.nr_hooks);
	g.nr_hooks = 0;
	bl_hooks_golden(&g, &b);
	ksft_test_result(!b.nr_hooks, "section: golden without hooks: none trusted\n");
	free(b.hooks);
	memset(&b, 0, sizeof(b));
	r[2] = r[0];
	err = bl_hooks_parse(&b, r, sizeof(r));
	free(b.hooks);
	memset(&b, 0, sizeof(b));
	ksft_test_result(err == -EBADMSG, "section: a repeated record refused\n");
	trust_rec(&r[2], "tracepoint-hook", "sys_exit", 0x80, TAINT_OE);
	memset(r[1].module, 'x', sizeof(r[1].module));
	err = bl_hooks_parse(&b, r, sizeof(r));
	free(b.hooks);
	memset(&b, 0, sizeof(b));
	ksft_test_result(err == -EBADMSG &&
			 bl_hooks_parse(&b, r, sizeof(r[0]) + 8) == -EBADMSG,
			 "section: an unterminated name, a partial record refused\n");
	err = bl_hooks_parse(&b, r, 0);
	ksft_test_result(!err && b.has_hooks && !b.nr_hooks,
			 "section: empty: nothing trusted (%d)\n", err);
	free(b.hooks);
}

int main(void)
{
	ksft_print_header();
	ksft_set_plan(13 + 10 + 3 + 6);
	guest_init();
	v.btf = hooks_btf();
	hooks_symbols();
	test_policy();
	test_hostile();
	test_trust();
	test_take();
	test_section();
	symmap_free(v.symmap);
	btf__free(v.btf);
	ksft_finished();
}
