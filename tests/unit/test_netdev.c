// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * netdev-hook (userspace/lib/check_netdev.c on core/netdevwalk.c) on a
 * tiny guest kernel with its own BTF: one module "rootkit" (text, then
 * read-only data), one network namespace with two devices: lo on a table
 * in the kernel's rodata, eth0 on a table in the module's read-only data.
 * The policy first: an rx_handler in kernel text is nothing, in an
 * untainted module an event, in a tainted one high, elsewhere critical; a
 * table in the kernel's rodata is not read, in a module's read-only data
 * its functions are judged, anywhere else it is critical (a copy); an XDP
 * program is an event. Traffic control: lo's root qdisc and its ingress
 * filter chain (6.1's miniq_ingress) with a cls_bpf filter: the program
 * an event; a Qdisc_ops copy, a Qdisc's own enqueue, a filter's classify
 * or a tcf_proto_ops copy outside the rules: findings; on 6.6+'s
 * layout (a second BTF) a tcx program and the chain on the tcx_entry.
 * Then hostile memory: device and namespace lists, qdisc hash chains and
 * filter chains that loop or hold user pointers, random words. Every check must
 * end, with a finding where the lists are broken; ASan/UBSan (make san)
 * catch the rest. Last vmiaas.ko's record (type 16): built, run as the module
 * runs it (the same core/netdevwalk.c judgement), its verdicts named as
 * vmid's findings; hostile record fields refused; a synthetic guest of
 * 80,000 devices ends at the 65,536-device cap.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/btf.h>

#include "userspace/lib/checks.h"
#include "userspace/lib/hidden.h"
#include "userspace/lib/hookpolicy.h"
#include "uapi/linux/vmiaas.h"
#include "core/netdevwalk.h"
#include "tests/lib/symfile.h"
#include "tests/lib/tap.h"
#include "tests/lib/tinyguest.h"

#define HEADS		(KBASE + 0x1000)
#define MODULES		(HEADS + 0x000)
#define NETNS_LIST	(HEADS + 0x010)
#define NET		(KBASE + 0x2000)
#define LO		(KBASE + 0x3000)
#define ETH		(KBASE + 0x3100)
#define PROG		(KBASE + 0x3200)	/* struct bpf_prog */
#define AUX		(KBASE + 0x3300)	/* its aux */
#define RODATA		(KBASE + 0x8000)	/* __start_rodata */
#define LO_OPS		(RODATA + 0x100)
#define TEXT		(KBASE + 0x10000)	/* _stext.._etext */
#define KFN		(TEXT + 0x100)
#define MOD		(KBASE + 0x40000)
#define MOD_TEXT	(KBASE + 0x50000)
#define MFN		(MOD_TEXT + 0x10)
#define MOD_RO		(MOD_TEXT + 0x1000)	/* the module's rodata */
#define ETH_OPS		(MOD_RO + 0x100)
#define HEAP		(KBASE + 0x90000)
#define QBASE		(HEADS + 0x020)	/* qdisc_base */
#define TBASE		(HEADS + 0x030)	/* tcf_proto_base */
#define KQOPS		(KBASE + 0x5000)	/* a registered Qdisc_ops */
#define KTOPS		(KBASE + 0x5100)	/* cls_bpf's tcf_proto_ops */
#define QD		(HEAP + 0x1000)		/* lo's root qdisc */
#define QD2		(HEAP + 0x1100)		/* a child on qdisc_hash */
#define MINIQ		(HEAP + 0x2000)		/* lo's ingress mini_Qdisc */
#define TP		(HEAP + 0x3000)		/* its filter */
#define CLSHEAD		(HEAP + 0x4000)		/* struct cls_bpf_head */
#define CLSPROG		(HEAP + 0x5000)		/* struct cls_bpf_prog */
#define COPY		(HEAP + 0x6000)		/* a rootkit's table copy */
#define TCX		(HEAP + 0x8000)		/* 6.6+: lo's struct tcx_entry */
#define TCX_LINK	(HEAP + 0xa000)		/* a bpf_link */

/* struct net_device */
#define D_NAME		16
#define D_RX		32
#define D_RX_DATA	40
#define D_OPS		48
#define D_ETHTOOL	56
#define D_HEADER	64
#define D_XDP		72		/* xdp_state[3]: { prog, link } */
#define D_QDISC		128
#define D_QHASH		136		/* qdisc_hash[2] */
#define D_INGQ		152		/* ingress_queue */
#define D_MINIQ		160		/* miniq_ingress, _egress; tcx_* on 6.6+ */
/* struct tcx_entry: miniq, then the bundle, whose entry a is first */
#define TE_BUNDLE	8
#define ME_PARENT	512		/* after fp_items[64] */
#define BU_CP		1040		/* cp_items[64], after entries a and b */
/* struct Qdisc, Qdisc_ops, tcf_proto, tcf_proto_ops */
#define Q_ENQ		0
#define Q_DEQ		8
#define Q_OPS		16
#define Q_HASH		24
#define QO_ID		8
#define QO_ENQ		24
#define QO_CL		48		/* Qdisc_ops.cl_ops */
#define TP_ROOT		8
#define TP_CLASSIFY	16
#define TP_OPS		24
#define TO_KIND		16
#define TO_CLASSIFY	32

#define TAINT_OE	((1ULL << 12) | (1ULL << 13))

/* 6.1's layout, or with @tcx 6.6+'s (tcx_ingress/_egress, no miniq_*). */
static struct btf *netdev_btf(bool tcx)
{
	struct tiny_btf t;
	struct btf *b = tiny_btf_new(&t);
	int uint = btf__add_int(b, "unsigned int", 4, 0);
	int fn, ns, xdp, name16;

	tiny_btf_module(b, &t);
	fn = btf__add_ptr(b, btf__add_func_proto(b, t.i32));
	name16 = btf__add_array(b, t.i32, t.i8, 16);
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
		const int types[] = { t.ptr, t.ptr };
		const u32 offs[] = { 0, 8 };

		xdp = STRUCT(b, "bpf_xdp_entity", 16, "prog", "link");
	}
	{
		const int types[] = { t.lh, name16, fn, t.ptr, t.ptr, t.ptr,
				      t.ptr, btf__add_array(b, t.i32, xdp, 3),
				      t.ptr, btf__add_array(b, t.i32, t.ptr, 2),
				      t.ptr, t.ptr, t.ptr };
		const u32 offs[] = { 0, D_NAME, D_RX, D_RX_DATA, D_OPS,
				     D_ETHTOOL, D_HEADER, D_XDP, D_QDISC,
				     D_QHASH, D_INGQ, D_MINIQ, D_MINIQ + 8 };

		STRUCT(b, "net_device", 256, "dev_list", "name", "rx_handler",
		       "rx_handler_data", "netdev_ops", "ethtool_ops",
		       "header_ops", "xdp_state", "qdisc", "qdisc_hash",
		       "ingress_queue", tcx ? "tcx_ingress" : "miniq_ingress",
		       tcx ? "tcx_egress" : "miniq_egress");
	}
	if (tcx) {
		int fp, cp, entry, bundle;

		{
			const int types[] = { t.ptr };
			const u32 offs[] = { 0 };

			fp = STRUCT(b, "bpf_mprog_fp", 8, "prog");
			cp = STRUCT(b, "bpf_mprog_cp", 8, "link");
		}
		{
			const int types[] = { btf__add_array(b, t.i32, fp, 64),
					      t.ptr };
			const u32 offs[] = { 0, ME_PARENT };

			entry = STRUCT(b, "bpf_mprog_entry", ME_PARENT + 8,
				       "fp_items", "parent");
		}
		{
			const int types[] = { entry, entry,
					      btf__add_array(b, t.i32, cp, 64) };
			const u32 offs[] = { 0, ME_PARENT + 8, BU_CP };

			bundle = STRUCT(b, "bpf_mprog_bundle", BU_CP + 512, "a",
					"b", "cp_items");
		}
		{
			const int types[] = { t.ptr, bundle };
			const u32 offs[] = { 0, TE_BUNDLE };

			STRUCT(b, "tcx_entry", TE_BUNDLE + BU_CP + 512, "miniq",
			       "bundle");
		}
	}
	{
		const int types[] = { t.ptr, t.ptr };
		const u32 offs[] = { 0, 8 };

		STRUCT(b, "netdev_queue", 16, "qdisc", "qdisc_sleeping");
	}
	{
		const int types[] = { fn, fn, t.ptr, t.ptr };
		const u32 offs[] = { Q_ENQ, Q_DEQ, Q_OPS, Q_HASH };

		STRUCT(b, "Qdisc", 64, "enqueue", "dequeue", "ops", "hash");
	}
	{
		const int types[] = { t.ptr, name16, fn, fn, t.ptr, t.ptr };
		const u32 offs[] = { 0, QO_ID, QO_ENQ, QO_ENQ + 8, QO_ENQ + 16,
				     QO_CL };

		STRUCT(b, "Qdisc_ops", 56, "next", "id", "enqueue", "dequeue",
		       "owner", "cl_ops");
	}
	{
		const int types[] = { fn, fn };
		const u32 offs[] = { 0, 8 };

		STRUCT(b, "Qdisc_class_ops", 16, "graft", "find");
	}
	{
		const int types[] = { t.ptr, t.ptr };
		const u32 offs[] = { 0, 8 };

		STRUCT(b, "mini_Qdisc", 16, "filter_list", "block");
	}
	{
		const int types[] = { t.ptr, t.ptr, fn, t.ptr };
		const u32 offs[] = { 0, TP_ROOT, TP_CLASSIFY, TP_OPS };

		STRUCT(b, "tcf_proto", 64, "next", "root", "classify", "ops");
	}
	{
		const int types[] = { t.lh, name16, fn };
		const u32 offs[] = { 0, TO_KIND, TO_CLASSIFY };

		STRUCT(b, "tcf_proto_ops", 40, "head", "kind", "classify");
	}
	{
		const int types[] = { t.ptr, fn, fn, fn };
		const u32 offs[] = { 0, 8, 16, 24 };

		STRUCT(b, "net_device_ops", 32, "owner", "ndo_open",
		       "ndo_stop", "ndo_start_xmit");
	}
	{
		const int types[] = { fn, fn };
		const u32 offs[] = { 0, 8 };

		STRUCT(b, "header_ops", 16, "create", "parse");
	}
	{
		const int types[] = { t.ptr };
		const u32 offs[] = { 8 };

		STRUCT(b, "bpf_prog", 16, "aux");
	}
	{
		const int types[] = { uint, t.ptr, name16 };
		const u32 offs[] = { 4, 8, 16 };

		STRUCT(b, "bpf_prog_aux", 32, "id", "prog", "name");
	}
	return b;
}

static void netdev_symbols(void)
{
	static const struct sym syms[] = {
		{ "_text", KBASE }, { "_stext", TEXT }, { "_etext", TEXT + 0x10000 },
		{ "__start_rodata", RODATA }, { "__end_rodata", RODATA + 0x1000 },
		{ "modules", MODULES }, { "net_namespace_list", NETNS_LIST },
		{ "_end", KBASE + 0x20000 }, { "qdisc_base", QBASE },
		{ "tcf_proto_base", TBASE },
	};

	test_symmap_load(syms, ARRAY_SIZE(syms), &v.symmap);
	v.info.text_va = KBASE;
}

/* A consistent guest: lo on the kernel's table, eth0 on the module's. */
static void netdev_guest(void)
{
	u64 n[2];

	memset(ram + DATA_GPA, 0, 0x100000);
	tiny_module(MODULES, MOD, MOD_TEXT);
	put(MOD + 96 + 8, 0x2000ULL | 0x1000ULL << 32);	/* size, text */
	put(MOD + 96 + 16, 0x2000ULL | 0x2000ULL << 32);	/* ro sizes */
	n[0] = NET;
	list_ring(NETNS_LIST, n, 1);
	put(NET + 16, 4026531840ULL);
	n[0] = LO;
	n[1] = ETH;
	list_ring(NET + 32, n, 2);
	put_str(LO + D_NAME, "lo");
	put(LO + D_OPS, LO_OPS);
	put(LO_OPS + 24, KFN);
	put_str(ETH + D_NAME, "eth0");
	put(ETH + D_OPS, ETH_OPS);
	put(ETH_OPS + 8, MFN);
	put(ETH_OPS + 24, MFN + 0x20);
	put(AUX + 4, 7);
	put(AUX + 8, PROG);
	put_str(AUX + 16, "vmiaas_tc");
	put(PROG + 8, AUX);
	/* registered: a qdisc in the kernel, cls_bpf */
	put(QBASE, KQOPS);
	put_str(KQOPS + QO_ID, "pfifo_fast");
	put(KQOPS + QO_ENQ, KFN);
	put(KQOPS + QO_ENQ + 8, KFN + 8);
	n[0] = KTOPS;
	list_ring(TBASE, n, 1);
	put_str(KTOPS + TO_KIND, "bpf");
	put(KTOPS + TO_CLASSIFY, KFN + 16);
}

/* lo with a root qdisc and an ingress chain holding a cls_bpf filter. */
static void tc_guest(void)
{
	u64 n[1] = { CLSPROG + 8 };

	netdev_guest();
	put(ETH + D_OPS, LO_OPS);	/* not the module's: taints below */
	put(LO + D_QDISC, QD);
	put(QD + Q_ENQ, KFN);
	put(QD + Q_DEQ, KFN + 8);
	put(QD + Q_OPS, KQOPS);
	put(LO + D_MINIQ, MINIQ);
	put(MINIQ, TP);
	put(TP + TP_ROOT, CLSHEAD);
	put(TP + TP_CLASSIFY, KFN + 16);
	put(TP + TP_OPS, KTOPS);
	list_ring(CLSHEAD, n, 1);
	put(CLSPROG, PROG);
}

static void test_tc(void)
{
	const struct vmiaas_finding *f;
	u32 nr;
	int err;

	tc_guest();
	err = tiny_check(check_netdev_hooks, &nr, &f);
	ksft_test_result(!err && !nr && tiny_has_event("netdev-hook", "lo tc ingress") &&
			 strstr(findings[0].message, "cls_bpf filter 0xffff888000093000 runs BPF program id 7 (vmiaas_tc)"),
			 "tc: a registered qdisc, a cls_bpf filter: an event naming its program, no finding (%d, %u: %s)\n",
			 err, nr, findings[0].message);

	/* the Qdisc_ops copied to the heap, its enqueue in a tainted module */
	put(COPY + QO_ENQ, MFN);
	put(QD + Q_OPS, COPY);
	put(QD + Q_ENQ, MFN);
	put(MOD + 80, TAINT_OE);
	err = tiny_check(check_netdev_hooks, &nr, &f);
	ksft_test_result(!err && nr == 2 && !strcmp(findings[0].object, "lo qdisc") &&
			 !strcmp(findings[1].object, "lo qdisc") &&
			 findings[1].severity == VMIAAS_SEV_CRITICAL &&
			 strstr(findings[1].message, "not registered and outside the kernel image: a copy") &&
			 findings[0].severity == VMIAAS_SEV_HIGH &&
			 strstr(findings[0].message, "the enqueue of device lo's root qdisc"),
			 "tc: the root qdisc on a Qdisc_ops copy, enqueue in a tainted module: critical and high (%d, %u: %s | %s)\n",
			 err, nr, findings[1].message, findings[0].message);
	put(QD + Q_OPS, KQOPS);
	put(QD + Q_ENQ, HEAP + 0x100);		/* the qdisc's own pointer */
	err = tiny_check(check_netdev_hooks, &nr, &f);
	ksft_test_result(!err && nr == 1 && f->severity == VMIAAS_SEV_CRITICAL &&
			 strstr(f->message, "the enqueue of device lo's root qdisc pfifo_fast"),
			 "tc: a registered qdisc whose own enqueue is in the heap: critical (%d, %u: %s)\n",
			 err, nr, f ? f->message : "");
	put(QD + Q_ENQ, KFN);
	put(KQOPS + QO_ENQ + 8, MFN);		/* a registered table edited */
	err = tiny_check(check_netdev_hooks, &nr, &f);
	ksft_test_result(!err && nr == 1 && f->severity == VMIAAS_SEV_HIGH &&
			 strstr(f->message, "the dequeue of device lo's root qdisc pfifo_fast"),
			 "tc: a registered Qdisc_ops's dequeue in a tainted module: high (%d, %u: %s)\n",
			 err, nr, f ? f->message : "");
	put(KQOPS + QO_ENQ + 8, KFN + 8);
	put(KQOPS + QO_CL, COPY + 0x800);	/* class ops: a heap copy */
	put(COPY + 0x808, KFN);
	err = tiny_check(check_netdev_hooks, &nr, &f);
	ksft_test_result(!err && nr == 1 && f->severity == VMIAAS_SEV_CRITICAL &&
			 strstr(f->message, "its Qdisc_class_ops 0xffff888000096800: outside the kernel's read-only data"),
			 "tc: a qdisc's Qdisc_class_ops a heap copy: critical (%d, %u: %s)\n",
			 err, nr, f ? f->message : "");
	put(KQOPS + QO_CL, MOD_RO + 0x200);	/* in a module: its functions */
	put(MOD_RO + 0x208, HEAP + 0x300);
	err = tiny_check(check_netdev_hooks, &nr, &f);
	ksft_test_result(!err && nr == 1 && f->severity == VMIAAS_SEV_CRITICAL &&
			 strstr(f->message, "the find of device lo's root qdisc pfifo_fast"),
			 "tc: class ops in a module's read-only data with find in the heap: critical (%d, %u: %s)\n",
			 err, nr, f ? f->message : "");
	put(KQOPS + QO_CL, 0);

	/* a filter: its classify, its ops */
	put(TP + TP_CLASSIFY, HEAP + 0x200);
	err = tiny_check(check_netdev_hooks, &nr, &f);
	ksft_test_result(!err && nr == 1 && f->severity == VMIAAS_SEV_CRITICAL &&
			 !strcmp(f->object, "lo tc ingress") &&
			 strstr(f->message, "the classify of device lo's tc ingress filter"),
			 "tc: a filter's classify in the heap: critical, lo tc ingress (%d, %u: %s)\n",
			 err, nr, f ? f->message : "");
	put(TP + TP_CLASSIFY, KFN + 16);
	put_str(COPY + TO_KIND, "u32");
	put(COPY + TO_CLASSIFY, KFN + 16);
	put(TP + TP_OPS, COPY);
	err = tiny_check(check_netdev_hooks, &nr, &f);
	ksft_test_result(!err && nr == 1 && f->severity == VMIAAS_SEV_CRITICAL &&
			 strstr(f->message, "its tcf_proto_ops 0xffff888000096000: not registered"),
			 "tc: a filter on an unregistered tcf_proto_ops copy: critical (%d, %u: %s)\n",
			 err, nr, f ? f->message : "");
	put(MOD + 80, 0);
}

static void test_policy(void)
{
	const struct vmiaas_finding *f;
	u32 nr;
	int err;

	netdev_guest();
	err = tiny_check(check_netdev_hooks, &nr, &f);
	ksft_test_result(!err && !nr && tiny_has_event("netdev-hook", "eth0 netdev_ops"),
			 "clean: lo on rodata, eth0 on its untainted module's table: an event, no finding (err %d, %u: %s)\n",
			 err, nr, v.diag.msg);

	put(LO + D_RX, KFN);
	err = tiny_check(check_netdev_hooks, &nr, &f);
	ksft_test_result(!err && !nr, "rx_handler in kernel text: nothing (%d, %u)\n",
			 err, nr);
	put(LO + D_RX, MFN);
	put(MOD + 80, TAINT_OE);
	err = tiny_check(check_netdev_hooks, &nr, &f);
	ksft_test_result(!err && nr == 2 && f->severity == VMIAAS_SEV_HIGH &&
			 !strcmp(f->object, "lo rx_handler") &&
			 strstr(f->message, "module rootkit is tainted OE"),
			 "rx_handler in a module tainted OE: high, lo rx_handler (and eth0's table: %d, %u: %s)\n",
			 err, nr, f ? f->message : "");
	put(MOD + 80, 0);
	err = tiny_check(check_netdev_hooks, &nr, &f);
	ksft_test_result(!err && !nr && tiny_has_event("netdev-hook", "lo rx_handler"),
			 "the same module untainted: an event, no finding (%d, %u)\n",
			 err, nr);
	put(LO + D_RX, HEAP);
	err = tiny_check(check_netdev_hooks, &nr, &f);
	ksft_test_result(!err && nr == 1 && f->severity == VMIAAS_SEV_CRITICAL &&
			 strstr(f->message, "outside the kernel's text and every live module's text"),
			 "rx_handler in the heap: critical (%d, %u: %s)\n", err, nr,
			 f ? f->message : "");
	put(LO + D_RX, 0);

	/* lo's table copied to the heap, its transmit in the tainted module */
	put(HEAP + 24, MFN);
	put(LO + D_OPS, HEAP);
	put(MOD + 80, TAINT_OE);
	put(ETH + D_OPS, LO_OPS);
	err = tiny_check(check_netdev_hooks, &nr, &f);
	ksft_test_result(!err && nr == 2 && !strcmp(findings[0].object, "lo netdev_ops") &&
			 !strcmp(findings[1].object, "lo netdev_ops") &&
			 findings[0].severity == VMIAAS_SEV_CRITICAL &&
			 findings[1].severity == VMIAAS_SEV_HIGH &&
			 strstr(findings[0].message, "a copy") &&
			 strstr(findings[1].message, "the ndo_start_xmit of device lo's netdev_ops"),
			 "netdev_ops a heap copy with ndo_start_xmit in a tainted module: critical and high (%d, %u: %s | %s)\n",
			 err, nr, findings[0].message, findings[1].message);
	put(HEAP + 24, KFN);
	put(MOD + 80, 0);
	err = tiny_check(check_netdev_hooks, &nr, &f);
	ksft_test_result(!err && nr == 1 && f->severity == VMIAAS_SEV_CRITICAL,
			 "a heap copy of kernel functions: critical still (%d, %u)\n",
			 err, nr);
	put(LO + D_OPS, LO_OPS);
	put(LO + D_HEADER, MOD_TEXT + 0x800);	/* in module text: not a copy */
	put(MOD_TEXT + 0x800 + 8, HEAP);
	err = tiny_check(check_netdev_hooks, &nr, &f);
	ksft_test_result(!err && nr == 1 && f->severity == VMIAAS_SEV_CRITICAL &&
			 !strcmp(f->object, "lo header_ops") && strstr(f->message, "the parse of"),
			 "header_ops in a module with parse in the heap: critical (%d, %u: %s)\n",
			 err, nr, f ? f->message : "");
	put(LO + D_HEADER, 0);

	put(LO + D_XDP + 16, PROG);		/* xdp_state[XDP_MODE_DRV] */
	err = tiny_check(check_netdev_hooks, &nr, &f);
	ksft_test_result(!err && !nr && tiny_has_event("netdev-hook", "lo xdp") &&
			 strstr(findings[0].message, "id 7 (drv mode) attached without a bpf_link"),
			 "an XDP program without a link: an event with its id (%d, %u: %s)\n",
			 err, nr, findings[0].message);
	put(LO + D_XDP + 16, 0);
	put(LO + D_XDP, PROG);			/* xdp_state[XDP_MODE_SKB] */
	err = tiny_check(check_netdev_hooks, &nr, &f);
	ksft_test_result(!err && !nr && tiny_has_event("netdev-hook", "lo xdp") &&
			 strstr(findings[0].message, "id 7 (skb mode)"),
			 "an XDP program in skb mode: an event, its pointer not taken for a table (%d, %u: %s)\n",
			 err, nr, findings[0].message);
	put(LO + D_XDP, 0);
}

/*
 * 200 guests made by @guest, each with random words and pointers over
 * @span bytes at @base: how many checks ended.
 */
static u32 random_words(void (*guest)(void), u64 base, u32 span,
			unsigned int seed)
{
	const struct vmiaas_finding *f;
	u32 nr, i, k, ok = 0;
	int err;

	srand(seed);
	for (i = 0; i < 200; i++) {
		guest();
		for (k = 0; k < 1 + i % 8; k++)
			put(base + (rand() % span & ~7ULL), rand() % 2 ?
			    base + (rand() % span & ~7ULL) :
			    (u64)rand() << 33 ^ rand());
		err = tiny_check(check_netdev_hooks, &nr, &f);
		ok += err <= 0 && nr <= nr_findings;
	}
	return ok;
}

/* Lists that do not end, pointers outside the kernel, random words. */
static void test_hostile(void)
{
	const struct vmiaas_finding *f;
	u32 nr, ok;
	int err;

	netdev_guest();
	put(ETH, ETH);				/* eth0 -> itself */
	err = tiny_check(check_netdev_hooks, &nr, &f);
	ksft_test_result(!err && nr == 1 && f->severity == VMIAAS_SEV_CRITICAL &&
			 !strcmp(f->object, "devices"),
			 "a device list that loops: critical, the walk ends (%d, %u)\n",
			 err, nr);
	netdev_guest();
	put(NET, 0x1000);			/* a user pointer */
	err = tiny_check(check_netdev_hooks, &nr, &f);
	ksft_test_result(!err && nr == 1 && !strcmp(f->object, "namespaces"),
			 "a user pointer on net_namespace_list: critical, never followed (%d, %u)\n",
			 err, nr);
	netdev_guest();
	put(LO + D_OPS, KBASE + 0x300000);	/* unmapped */
	err = tiny_check(check_netdev_hooks, &nr, &f);
	ksft_test_result(!err && nr == 1 && f->severity == VMIAAS_SEV_CRITICAL,
			 "a table pointer to unmapped memory: critical, not read (%d, %u)\n",
			 err, nr);
	tc_guest();
	put(TP, TP);				/* the filter -> itself */
	err = tiny_check(check_netdev_hooks, &nr, &f);
	ksft_test_result(!err && nr == 1 && f->severity == VMIAAS_SEV_CRITICAL &&
			 !strcmp(f->object, "lo tc") && strstr(f->message, "does not end"),
			 "tc: a filter chain that loops: critical, the walk ends (%d, %u: %s)\n",
			 err, nr, f ? f->message : "");
	tc_guest();
	put(LO + D_QHASH + 8, QD2 + Q_HASH);	/* a child qdisc -> itself */
	put(QD2 + Q_HASH, QD2 + Q_HASH);
	put(QD2 + Q_OPS, KQOPS);
	err = tiny_check(check_netdev_hooks, &nr, &f);
	ksft_test_result(!err && nr == 1 && !strcmp(f->object, "lo tc"),
			 "tc: a qdisc hash chain that loops: critical, the walk ends (%d, %u: %s)\n",
			 err, nr, f ? f->message : "");
	tc_guest();
	put(CLSHEAD, 0x1000);			/* a user pointer */
	put(LO + D_INGQ, 0x2000);
	err = tiny_check(check_netdev_hooks, &nr, &f);
	ksft_test_result(!err && nr == 2 && !strcmp(f->object, "lo tc"),
			 "tc: user pointers for the ingress queue and cls_bpf's list: critical, never followed (%d, %u)\n",
			 err, nr);
	ok = random_words(tc_guest, HEAP, 0x6000, 4343);
	ksft_test_result(ok == 200,
			 "tc: 200 guests with random words over qdiscs, filters and cls_bpf: every check ended (%u)\n",
			 ok);
	ok = random_words(netdev_guest, NET, 0x1400, 43);
	ksft_test_result(ok == 200,
			 "200 guests with random words over the namespace and devices: every check ended (%u)\n",
			 ok);
}

/*
 * 6.6+: lo's tcx_ingress entry with one program linked and the clsact
 * chain (the cls_bpf filter) on the tcx_entry's miniq.
 */
static void tcx_guest(void)
{
	const u64 entry = TCX + TE_BUNDLE;	/* the bundle's entry a */

	tc_guest();
	put(LO + D_MINIQ, entry);
	put(TCX, MINIQ);
	put(entry + ME_PARENT, TCX + TE_BUNDLE);
	put(entry, PROG);			/* fp_items[0] */
	put(TCX + TE_BUNDLE + BU_CP, TCX_LINK);	/* cp_items[0] */
}

static void test_tcx(void)
{
	const struct vmiaas_finding *f;
	u32 nr, i, ok;
	int err;

	tcx_guest();
	err = tiny_check(check_netdev_hooks, &nr, &f);
	ksft_test_result(!err && !nr && tiny_has_event("netdev-hook", "lo tcx ingress") &&
			 tiny_has_event("netdev-hook", "lo tc ingress"),
			 "tcx: a linked program and the clsact chain on the tcx_entry's miniq: events, no finding (%d, %u: %s)\n",
			 err, nr, nr_findings ? findings[0].message : "");
	for (i = 0; i < 64; i++)		/* every slot full */
		put(TCX + TE_BUNDLE + 8 * i, PROG);
	err = tiny_check(check_netdev_hooks, &nr, &f);
	ksft_test_result(!err && !nr && tiny_nr_events() >= 64,
			 "tcx: 64 programs, no NULL to end them: the walk stops at BPF_MPROG_MAX (%d, %u, %u events)\n",
			 err, nr, tiny_nr_events());
	tcx_guest();
	put(TCX + TE_BUNDLE + ME_PARENT, 0x3000);	/* a user pointer */
	err = tiny_check(check_netdev_hooks, &nr, &f);
	ksft_test_result(!err && nr == 1 && !strcmp(f->object, "lo tc") &&
			 f->severity == VMIAAS_SEV_CRITICAL,
			 "tcx: an entry whose bundle is a user pointer: critical, never followed (%d, %u)\n",
			 err, nr);
	ok = random_words(tcx_guest, TCX, 0x2000, 4344);
	ksft_test_result(ok == 200,
			 "tcx: 200 guests with random words over the tcx entry: every check ended (%u)\n",
			 ok);
}

/* The core's own argument checks. */
static void test_core(void)
{
	struct vmi_netdev_layout l = {
		.ns = { .max_netns = VMI_NETNS_MAX, .max_devs = VMI_NET_DEVS_MAX },
	};

	ksft_test_result(vmi_netdev_layout_ok(&l), "core: a plain layout is fine\n");
	l.has = VMI_ND_HAS_ALL + 1;
	ksft_test_result(!vmi_netdev_layout_ok(&l), "core: an unknown pointer bit refused\n");
	l.has = 0;
	l.off[VMI_ND_HEADER_OPS] = VMI_OFFSET_MAX;
	ksft_test_result(!vmi_netdev_layout_ok(&l), "core: an offset over 64 KiB refused\n");
	l.off[VMI_ND_HEADER_OPS] = 0;
	l.ns.max_devs = VMI_NET_DEVS_MAX + 1;
	ksft_test_result(!vmi_netdev_layout_ok(&l) &&
			 vmi_netns_walk(NULL, &l.ns, NULL, NULL) == -EINVAL,
			 "core: a device cap over VMI_NET_DEVS_MAX, a walk without ops refused\n");
	{
		struct vmi_tc_layout t = { .has = VMI_TC_HAS_ALL };
		struct vmi_read_ops r = { .read = (void *)1 };

		ksft_test_result(vmi_tc_layout_ok(&t), "core: a plain tc layout is fine\n");
		t.tp_next = 8;
		ksft_test_result(!vmi_tc_layout_ok(&t) &&
				 vmi_tc_walk(&r, &t, LO, NULL, NULL) == -EINVAL,
				 "core: tc filters whose next is not first refused, a tc walk without a callback too\n");
		t.tp_next = 0;
		t.nr_hash = VMI_TC_HASH_MAX + 1;
		ksft_test_result(!vmi_tc_layout_ok(&t), "core: over 64 qdisc hash buckets refused\n");
		t.nr_hash = 0;
		t.has = VMI_TC_HAS_ALL + 1;
		ksft_test_result(!vmi_tc_layout_ok(&t), "core: an unknown tc bit refused\n");
	}
}

/* Runs record @c: its error; *@failed, @found, and @f named from it. */
static int record_run(const struct vmiaas_module_check *c, uint64_t *failed,
		      struct vmiaas_found *found, struct vmiaas_finding *f)
{
	int err;

	memset(f, 0, sizeof(*f));
	err = vmiaas_module_policy_found(&v, c, 1, failed, found);
	if (!err && found->kind)
		err = vmiaas_module_found(c, found, f);
	return err;
}

/*
 * vmiaas.ko's record: the layout, the maps (ndo_open, ndo_stop,
 * ndo_start_xmit: 0xe; create, parse: 0x3; no ethtool_ops in this BTF),
 * the function ranges (the kernel's text, the untainted module's text: its
 * table's functions are events) and the table ranges (rodata, the
 * module's read-only part holding eth0's table); then its run: clean, and
 * each attack named as vmid names it.
 */
static void test_record(void)
{
	static struct vmiaas_module_check c;
	struct vmiaas_netdev_check *nc = (void *)c.data;
	struct vmiaas_finding f;
	struct vmiaas_found found;
	uint64_t failed = 1;
	size_t n = 0;
	int err;
	bool ok;

	netdev_guest();
	v.info.pgd_pa = 0x1000;
	err = netdev_module_check(&v, &c, 1, &n, NULL);
	ksft_test_result(!err && n == 1 && c.type == VMIAAS_CHECK_NETDEV_GVA &&
			 c.addr == NETNS_LIST && c.len == 1 && c.root == 0x1000 &&
			 nc->dev_list == 0 && nc->dev_name == D_NAME &&
			 nc->rx_handler == D_RX && nc->rx_data == D_RX_DATA &&
			 nc->table_off[0] == D_OPS && nc->table_off[2] == D_HEADER &&
			 nc->fns[0][0] == 0xe && !nc->fns[0][1] &&
			 !nc->fns[1][0] && nc->fns[2][0] == 0x3 &&
			 nc->nr_allow == 2 && nc->ranges[0][0] == TEXT &&
			 nc->ranges[1][0] == MOD_TEXT && nc->nr_ro == 2 &&
			 nc->ranges[2][0] == RODATA &&
			 nc->ranges[3][0] <= ETH_OPS && nc->ranges[3][1] > ETH_OPS &&
			 nc->ranges[3][0] >= MOD_TEXT + 0x1000 &&
			 !strcmp(c.check, "netdev-hook"),
			 "record: the layout, maps %#llx/%#llx/%#llx, %u function ranges (text, the module's), %u table ranges (rodata, %#llx-%#llx) (err %d: %s)\n",
			 (unsigned long long)nc->fns[0][0],
			 (unsigned long long)nc->fns[1][0],
			 (unsigned long long)nc->fns[2][0], nc->nr_allow,
			 nc->nr_ro, (unsigned long long)nc->ranges[3][0],
			 (unsigned long long)nc->ranges[3][1], err, c.label);
	err = record_run(&c, &failed, &found, &f);
	ksft_test_result(!err && !failed && !found.kind,
			 "record: the guest as taken: clean (%d, %#llx)\n", err,
			 (unsigned long long)failed);

	put(LO + D_RX, HEAP);
	put(LO + D_RX_DATA, HEAP + 0x100);
	err = record_run(&c, &failed, &found, &f);
	ksft_test_result(!err && failed == 1 &&
			 found.kind == VMIAAS_FOUND_NETDEV_FN &&
			 found.point == VMI_ND_RX_HANDLER && found.dev == LO &&
			 found.value == HEAP && found.expected == HEAP + 0x100 &&
			 found.netns == 4026531840U &&
			 !strcmp(f.object, "lo rx_handler") && f.new_value == HEAP &&
			 strstr(f.message, "the rx_handler of device lo (netns 4026531840"),
			 "record: lo's rx_handler in the heap fails it: \"lo rx_handler\" (%d: %s)\n",
			 err, f.message);
	put(LO + D_RX, MFN);			/* the untainted module's text */
	err = record_run(&c, &failed, &found, &f);
	ok = !err && !failed;
	put(LO + D_RX, 0);

	put(HEAP + 24, KFN);			/* lo's table copied, kernel functions */
	put(LO + D_OPS, HEAP);
	err = record_run(&c, &failed, &found, &f);
	ksft_test_result(ok && !err && failed == 1 &&
			 found.kind == VMIAAS_FOUND_NETDEV_BAD &&
			 found.point == VMI_ND_NETDEV_OPS && found.where == HEAP &&
			 found.err == -EPERM && !strcmp(f.object, "lo netdev_ops") &&
			 strstr(f.message, "a copy"),
			 "record: an rx_handler in the module's text passes; lo's netdev_ops a heap copy fails it (%d: %s)\n",
			 err, f.message);
	put(LO + D_OPS, LO_OPS);

	put(ETH_OPS + 24, HEAP + 0x40);		/* eth0's ndo_start_xmit */
	err = record_run(&c, &failed, &found, &f);
	ksft_test_result(!err && failed == 1 &&
			 found.kind == VMIAAS_FOUND_NETDEV_FN &&
			 found.point == VMI_ND_NETDEV_OPS && found.dev == ETH &&
			 found.where == ETH_OPS && found.index == 24 &&
			 found.value == HEAP + 0x40 &&
			 !strcmp(f.object, "eth0 netdev_ops") &&
			 strstr(f.message, "+0x18 of device eth0's netdev_ops"),
			 "record: eth0's ndo_start_xmit in the heap fails it, its offset named (%d: %s)\n",
			 err, f.message);
	netdev_guest();
	put(LO + D_HEADER, KBASE + 0x300000);	/* unmapped, not a table range */
	err = record_run(&c, &failed, &found, &f);
	ksft_test_result(!err && failed == 1 &&
			 found.kind == VMIAAS_FOUND_NETDEV_BAD &&
			 found.point == VMI_ND_HEADER_OPS && found.err == -EPERM &&
			 !strcmp(f.object, "lo header_ops"),
			 "record: a table pointer to unmapped memory: outside the table ranges, the first suspect (%d: %s)\n",
			 err, f.message);

	netdev_guest();
	put(ETH, ETH);				/* eth0 -> itself */
	err = record_run(&c, &failed, &found, &f);
	ksft_test_result(!err && failed == 1 &&
			 found.kind == VMIAAS_FOUND_NETDEV_BAD &&
			 found.point == VMI_ND_BAD_DEVS && found.err == -ELOOP &&
			 found.where == NET + 32 && !strcmp(f.object, "devices") &&
			 strstr(f.message, "corrupt"),
			 "record: a device list that loops fails it, the walk ends (%d: %s)\n",
			 err, f.message);
	netdev_guest();
	put(NET, 0x1000);
	err = record_run(&c, &failed, &found, &f);
	ksft_test_result(!err && failed == 1 &&
			 found.point == VMI_ND_BAD_NETNS && found.err == -EBADMSG &&
			 !strcmp(f.object, "namespaces"),
			 "record: a user pointer on net_namespace_list fails it, never followed (%d: %s)\n",
			 err, f.message);
}

/*
 * Hostile fields of the record (as the module gets them from SET_CHECKS;
 * vmi_netdev_policy_of() is the module's own validation): each fails the
 * record, nothing walked.
 */
static void test_record_hostile(void)
{
	static struct vmiaas_module_check c, bad;
	struct vmiaas_netdev_check *nc = (void *)bad.data;
	struct vmi_netdev_policy p;
	struct vmiaas_finding f;
	struct vmiaas_found found;
	uint64_t failed;
	u32 i, refused = 0, nr = 0;
	size_t n = 0;

	netdev_guest();
	v.info.pgd_pa = 0x1000;
	if (netdev_module_check(&v, &c, 1, &n, NULL))
		n = 0;
	for (i = 0; n && i < 12; i++) {
		bad = c;
		switch (i) {
		case 0: bad.addr = 0x1000; break;
		case 1: nc->reserved = 1; break;
		case 2: nc->nr_allow = 0; break;
		case 3: nc->nr_ro = 0; break;
		case 4: nc->nr_allow = 11; nc->nr_ro = 3; break;
		case 5: nc->nr_ro = 0xffffffffU; break;
		case 6: nc->ranges[0][1] = nc->ranges[0][0]; break;
		case 7: nc->ranges[3][0] = nc->ranges[3][1] + 1; break;
		case 8: nc->fns[0][0] = 0; break;
		case 9: nc->dev_list = VMIAAS_MAX_NF_OFFSET; break;
		case 10: nc->table_off[1] = VMIAAS_MAX_NF_OFFSET; break;
		case 11: nc->dev_name = VMIAAS_MAX_NF_OFFSET; break;
		}
		nr++;
		refused += vmi_netdev_policy_of(nc, bad.addr, &p) == -EINVAL &&
			   !record_run(&bad, &failed, &found, &f) &&
			   failed == 1 && !found.kind;
	}
	ksft_test_result(n && refused == nr && nr == 12,
			 "record: a user-half head, reserved bits, 0 function or table ranges, 14 ranges, an overflowing count, two empty ranges, no netdev_ops function, offsets of 64 KiB: refused, the record fails, nothing named (%u of %u)\n",
			 refused, nr);
}

/*
 * A synthetic guest (its words computed, not stored): net_namespace_list
 * with two namespaces of 40,000 devices each, every table and pointer 0.
 */
#define SY_HEAD		0xffff900000000000ULL
#define SY_NS(k)	(SY_HEAD + ((u64)(k) + 1) * 0x10000000ULL)
#define SY_DEV(k, i)	(SY_NS(k) + 0x1000000ULL + (u64)(i) * 0x100)
#define SY_DEVS		40000

static u64 sy_word(u64 va)
{
	u64 ns, i;
	u32 k;

	if (va == SY_HEAD)
		return SY_NS(0);
	for (k = 0; k < 2; k++) {
		ns = SY_NS(k);
		if (va == ns)
			return k ? SY_HEAD : SY_NS(1);
		if (va == ns + 32)		/* dev_base_head */
			return SY_DEV(k, 0);
		if (va < SY_DEV(k, 0) || va >= SY_DEV(k, SY_DEVS))
			continue;
		i = (va - SY_DEV(k, 0)) / 0x100;
		if (va == SY_DEV(k, i))
			return i + 1 < SY_DEVS ? SY_DEV(k, i + 1) : ns + 32;
	}
	return 0;
}

static u32 sy_reads;

static int sy_read(void *ctx, u64 va, void *buf, size_t len)
{
	u8 *b = buf;
	u64 w;
	size_t i;

	sy_reads++;
	for (i = 0; i < len; i++) {
		w = sy_word((va + i) & ~7ULL);
		b[i] = (u8)(w >> (8 * ((va + i) & 7)));
	}
	return 0;
}

/* The device cap over all namespaces: the walk stops, one suspect. */
static void test_total(void)
{
	static struct vmi_netdev_scratch scratch;
	const struct vmi_read_ops r = { .read = sy_read };
	struct vmiaas_netdev_check nc = {
		.net_list = 0, .net_inum = 16, .dev_base = 32, .dev_list = 0,
		.dev_name = 8, .rx_handler = 16, .rx_data = 24,
		.table_off = { 40, 48, 56 }, .fns = { { 0x2 } },
		.nr_allow = 1, .nr_ro = 1,
		.ranges = { { KBASE, KBASE + 0x1000 },
			    { KBASE + 0x1000, KBASE + 0x2000 } },
	};
	struct vmi_netdev_suspects s;
	struct vmi_netdev_policy p;
	struct vmiaas_found found = { 0 };
	int err;

	err = vmi_netdev_policy_of(&nc, SY_HEAD, &p);
	err = err ?: vmi_netdev_suspects(&r, &p, &scratch, &s);
	vmi_netdev_found(&s, &found);
	ksft_test_result(!err && s.nr == 1 &&
			 s.first.point == VMI_ND_BAD_TOTAL &&
			 s.first.err == -E2BIG &&
			 found.kind == VMIAAS_FOUND_NETDEV_BAD &&
			 found.dev == SY_DEV(1, VMI_ND_TOTAL_MAX - SY_DEVS) &&
			 scratch.devs == VMI_ND_TOTAL_MAX + 1,
			 "core: 80,000 devices in two namespaces: the walk stops after 65,536 with one suspect, -E2BIG (%d, %llu suspects, %u devices, %u reads)\n",
			 err, (unsigned long long)s.nr, scratch.devs, sy_reads);
}

int main(void)
{
	ksft_print_header();
	ksft_set_plan(10 + 8 + 8 + 8 + 4 + 8 + 1 + 1);
	check_rescan_us = 0;
	guest_init();
	v.btf = netdev_btf(false);
	netdev_symbols();
	test_policy();
	test_tc();
	test_hostile();
	test_core();
	test_record();
	test_record_hostile();
	test_total();
	btf__free(v.btf);
	v.btf = netdev_btf(true);
	test_tcx();
	symmap_free(v.symmap);
	btf__free(v.btf);
	ksft_finished();
}
