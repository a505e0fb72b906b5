// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * net-protocol (core/protowalk.c, userspace/lib/check_netproto.c) on a
 * tiny guest kernel with its own BTF: inet_protos[] with the kernel's
 * icmp_protocol at 1 and 6.9+'s net_hotdata.tcp_protocol at 6,
 * inet6_protos[] with tcpv6_protocol at 6, one module. The walk first
 * (every slot once, bad slots passed as bad, bad layouts refused), then
 * the policy on crafted slots: a kernel protocol's slot on another
 * struct or empty is critical, a handler in a tainted module high, in an
 * untainted one an event, elsewhere critical; the socket layer's tables
 * (net_families[], sock_diag_handlers[], inet_rcv_compat) by the same
 * rules; inetsw[] (tcp's entry in inetsw_array, its ops in rodata), the
 * GRO offloads (inet_offloads[] with tcpv4_offload, offload_base with
 * ip_packet_offload) and their walks; then random words over the tables:
 * the check must end.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/btf.h>

#include "core/protowalk.h"
#include "userspace/lib/checks.h"
#include "userspace/lib/hidden.h"
#include "userspace/lib/hookpolicy.h"
#include "uapi/linux/vmiaas.h"
#include "tests/lib/symfile.h"
#include "tests/lib/tap.h"
#include "tests/lib/tinyguest.h"

#define MODULES		(KBASE + 0x1000)
#define PROTOS		(KBASE + 0x2000)	/* inet_protos[256] */
#define PROTOS6		(KBASE + 0x3000)	/* inet6_protos[256] */
#define ICMP		(KBASE + 0x4000)	/* icmp_protocol */
#define TCP6		(KBASE + 0x4100)	/* tcpv6_protocol */
#define HOTDATA		(KBASE + 0x5000)	/* net_hotdata */
#define TCP		(HOTDATA + 0x40)	/* net_hotdata.tcp_protocol */
#define ROGUE		(KBASE + 0x6000)	/* an attacker's struct */
#define PROTO_LIST	(KBASE + 0x1100)	/* proto_list */
#define TCP_PROT	(KBASE + 0x7000)	/* tcp_prot */
#define UDP_PROT	(KBASE + 0x7100)	/* udp_prot */
#define V6_DISABLED	(KBASE + 0x7200)	/* disable_ipv6_mod */
#define FAMILIES	(KBASE + 0x7400)	/* net_families[46] */
#define DIAG		(KBASE + 0x7600)	/* sock_diag_handlers[46] */
#define COMPAT		(KBASE + 0x7800)	/* inet_rcv_compat */
#define INET_OPS	(KBASE + 0x7900)	/* inet_family_ops */
#define UNIX_OPS	(KBASE + 0x7940)	/* unix_family_ops */
#define ROGUE_OPS	(KBASE + 0x7980)	/* a struct of the attacker's */
#define ROGUE_SWOPS	(KBASE + 0x79c0)	/* a proto_ops copy */
#define INETSW		(KBASE + 0x8000)	/* inetsw[11] */
#define SW_ARRAY	(KBASE + 0x8100)	/* inetsw_array[], 48 each */
#define ROGUE_SW	(KBASE + 0x8200)	/* an attacker's entry */
#define OFFLOADS	(KBASE + 0x8400)	/* inet_offloads[256] */
#define TCP_OFF		(KBASE + 0x8c00)	/* tcpv4_offload */
#define ROGUE_OFF	(KBASE + 0x8c40)	/* an attacker's */
#define OFFLOAD_BASE	(KBASE + 0x8d00)	/* offload_base */
#define IP_PO		(KBASE + 0x8d40)	/* ip_packet_offload */
#define ROGUE_PO	(KBASE + 0x8d80)	/* an attacker's */
#define TABLES_END	(KBASE + 0x9000)
#define RODATA		(KBASE + 0x20000)	/* __start_rodata */
#define STREAM_OPS	(RODATA + 0x100)	/* inet_stream_ops */
#define DGRAM_OPS	(RODATA + 0x140)	/* inet_dgram_ops */
#define TEXT		(KBASE + 0x10000)	/* _stext.._etext */
#define TEXT_END	(KBASE + 0x20000)
#define KFN		(TEXT + 0x100)
#define MOD		(KBASE + 0x40000)
#define MOD_TEXT	(KBASE + 0x50000)
#define MFN		(MOD_TEXT + 0x10)
#define HEAP		(KBASE + 0x90000)
#define UNMAPPED	(KBASE + 0x400000)	/* past the 2 MiB page */

#define TAINT_OE	((1ULL << 12) | (1ULL << 13))

/* The tiny kernel's BTF; without struct sock_diag_inet_compat unless @compat. */
static struct btf *np_btf(bool compat)
{
	struct tiny_btf t;
	struct btf *b = tiny_btf_new(&t);
	int uint = btf__add_int(b, "unsigned int", 4, 0);
	int np;

	tiny_btf_module(b, &t);
	{
		const int types[] = { t.ptr, t.ptr, uint };
		const u32 offs[] = { 0, 8, 16 };

		np = STRUCT(b, "net_protocol", 24, "handler", "err_handler",
			    "secret");
		STRUCT(b, "inet6_protocol", 24, "handler", "err_handler",
		       "flags");
	}
	{
		const int types[] = { np };
		const u32 offs[] = { 0x40 };

		STRUCT(b, "net_hotdata", 0x80, "tcp_protocol");
	}
	{
		int fp = btf__add_ptr(b, btf__add_func_proto(b, t.i32));
		const int types[] = { fp, t.ptr, fp,
				      btf__add_array(b, t.i32, t.i8, 32), t.lh };
		const u32 offs[] = { 0, 8, 16, 24, 56 };

		STRUCT(b, "proto", 72, "close", "memory_pressure", "recvmsg",
		       "name", "node");
	}
	{
		const int types[] = { t.ptr, t.i8, t.ptr, t.ptr, t.ptr };
		const u32 offs[] = { 0, 8, 16, 24, 32 };

		STRUCT(b, "sock_diag_handler", 40, "owner", "family", "dump",
		       "get_info", "destroy");
	}
	if (compat) {
		const int types[] = { t.ptr, t.ptr };
		const u32 offs[] = { 0, 8 };

		STRUCT(b, "sock_diag_inet_compat", 16, "owner", "fn");
	}
	{
		const int types[] = { t.i32, t.ptr, t.ptr };
		const u32 offs[] = { 0, 8, 16 };

		STRUCT(b, "net_proto_family", 24, "family", "create", "owner");
	}
	{
		int fp = btf__add_ptr(b, btf__add_func_proto(b, t.i32));
		int ushort = btf__add_int(b, "short unsigned int", 2, 0);
		int cb;
		{
			const int types[] = { fp, fp, fp };
			const u32 offs[] = { 0, 8, 16 };

			cb = STRUCT(b, "offload_callbacks", 24, "gso_segment",
				    "gro_receive", "gro_complete");
		}
		{
			const int types[] = { cb, uint };
			const u32 offs[] = { 0, 24 };

			STRUCT(b, "net_offload", 32, "callbacks", "flags");
		}
		{
			const int types[] = { ushort, ushort, cb, t.lh };
			const u32 offs[] = { 0, 2, 8, 32 };

			STRUCT(b, "packet_offload", 48, "type", "priority",
			       "callbacks", "list");
		}
		{
			const int types[] = { t.lh, ushort, ushort, t.ptr, t.ptr, t.i8 };
			const u32 offs[] = { 0, 16, 18, 24, 32, 40 };

			STRUCT(b, "inet_protosw", 48, "list", "type", "protocol",
			       "prot", "ops", "flags");
		}
		{
			const int types[] = { t.i32, t.ptr, fp, fp, fp };
			const u32 offs[] = { 0, 8, 16, 24, 32 };

			STRUCT(b, "proto_ops", 40, "family", "owner", "release",
			       "getname", "recvmsg");
		}
	}
	return b;
}

static void np_symbols(void)
{
	static const struct sym syms[] = {
		{ "_text", KBASE }, { "_stext", TEXT }, { "_etext", TEXT_END },
		{ "modules", MODULES }, { "inet_protos", PROTOS },
		{ "inet6_protos", PROTOS6 }, { "icmp_protocol", ICMP },
		{ "tcpv6_protocol", TCP6 }, { "net_hotdata", HOTDATA },
		{ "proto_list", PROTO_LIST }, { "tcp_prot", TCP_PROT },
		{ "disable_ipv6_mod", V6_DISABLED }, { "net_families", FAMILIES },
		{ "sock_diag_handlers", DIAG }, { "inet_rcv_compat", COMPAT },
		{ "inet_family_ops", INET_OPS }, { "unix_family_ops", UNIX_OPS },
		{ "udp_prot", UDP_PROT }, { "inetsw", INETSW },
		{ "inetsw_array", SW_ARRAY }, { "inet_stream_ops", STREAM_OPS },
		{ "inet_dgram_ops", DGRAM_OPS }, { "inet_offloads", OFFLOADS },
		{ "tcpv4_offload", TCP_OFF }, { "offload_base", OFFLOAD_BASE },
		{ "ip_packet_offload", IP_PO }, { "__start_rodata", RODATA },
		{ "__end_rodata", RODATA + 0x1000 },
	};

	test_symmap_load(syms, ARRAY_SIZE(syms), &v.symmap);
	v.info.text_va = KBASE;
}

/* An inet_protosw at @at. */
static void sw_entry(u64 at, u16 type, u16 protocol, u64 prot, u64 ops)
{
	put(at + 16, type | (u64)protocol << 16);
	put(at + 24, prot);
	put(at + 32, ops);
}

/* A consistent guest: the kernel's protocols on their own structs. */
static void np_guest(void)
{
	u64 n[1];
	u32 i;

	memset(ram + DATA_GPA, 0, 0x100000);
	tiny_module(MODULES, MOD, MOD_TEXT);
	put(PROTOS + 8 * 1, ICMP);
	put(ICMP, KFN);
	put(ICMP + 8, KFN + 0x40);
	put(PROTOS + 8 * 6, TCP);
	put(TCP, KFN + 0x80);
	put(TCP + 8, KFN + 0xc0);
	put(PROTOS6 + 8 * 6, TCP6);
	put(TCP6, KFN + 0x100);
	put(TCP6 + 8, KFN + 0x140);
	put(ROGUE, MFN);
	put(ROGUE + 8, KFN + 0x40);
	n[0] = UDP_PROT + 56;
	list_ring(PROTO_LIST, n, 1);
	n[0] = TCP_PROT + 56;
	list_ring(UDP_PROT + 56, n, 1);		/* after udp_prot */
	put(PROTO_LIST + 8, TCP_PROT + 56);
	put(TCP_PROT + 64, UDP_PROT + 56);
	put(TCP_PROT + 56, PROTO_LIST);
	put(TCP_PROT, KFN + 0x200);
	put(TCP_PROT + 8, HEAP);		/* data: not judged */
	put(TCP_PROT + 16, KFN + 0x240);
	memcpy(ram + DATA_GPA + (TCP_PROT + 24 - KBASE), "TCP", 4);
	put(UDP_PROT, KFN + 0x280);
	memcpy(ram + DATA_GPA + (UDP_PROT + 24 - KBASE), "UDP", 4);
	put(FAMILIES + 8 * 1, UNIX_OPS);
	put(UNIX_OPS + 8, KFN + 0x300);
	put(FAMILIES + 8 * 2, INET_OPS);
	put(INET_OPS + 8, KFN + 0x340);
	put(ROGUE_OPS, MOD);			/* owner: not judged */
	put(ROGUE_OPS + 8, MFN);
	put(ROGUE_OPS + 16, MFN + 0x40);
	/* inetsw[]: tcp on list 1, udp on list 2, the others empty */
	for (i = 0; i < 11; i++)
		list_ring(INETSW + 16 * i, NULL, 0);
	sw_entry(SW_ARRAY, 1, 6, TCP_PROT, STREAM_OPS);
	sw_entry(SW_ARRAY + 48, 2, 17, UDP_PROT, DGRAM_OPS);
	list_ring(INETSW + 16 * 1, (u64[]){ SW_ARRAY }, 1);
	list_ring(INETSW + 16 * 2, (u64[]){ SW_ARRAY + 48 }, 1);
	put(STREAM_OPS + 16, KFN + 0x500);
	put(STREAM_OPS + 32, KFN + 0x540);
	put(DGRAM_OPS + 32, KFN + 0x580);
	put(ROGUE_SWOPS + 16, KFN + 0x500);
	put(ROGUE_SWOPS + 32, MFN + 0x80);
	/* the GRO offloads */
	put(OFFLOADS + 8 * 6, TCP_OFF);
	put(TCP_OFF, KFN + 0x600);
	put(TCP_OFF + 8, KFN + 0x640);
	put(ROGUE_OFF + 8, MFN + 0xc0);
	put(IP_PO, 0x0008);			/* htons(ETH_P_IP) */
	put(IP_PO + 16, KFN + 0x680);
	put(ROGUE_PO, 0x0008);
	put(ROGUE_PO + 16, MFN + 0x100);
	list_ring(OFFLOAD_BASE, (u64[]){ IP_PO + 32 }, 1);
}

/* ---- the walk ---- */

struct slots {
	u32 nr, used, bad[2];	/* bad: -EBADMSG, -EFAULT */
	u64 fn[4];		/* slot 1's */
	int stop_at;		/* return -EINTR at this slot, or -1 */
};

static int count_slot(void *ctx, const struct vmi_proto_slot *s)
{
	struct slots *c = ctx;

	if (s->nr != c->nr++)
		return -EDOM;
	c->used += !!s->prot;
	c->bad[0] += s->err == -EBADMSG;
	c->bad[1] += s->err == -EFAULT;
	if (s->nr == 1)
		memcpy(c->fn, s->fn, sizeof(c->fn));
	return (int)s->nr == c->stop_at ? -EINTR : 0;
}

static void test_core(void)
{
	struct vmi_proto_layout l = {
		.table = PROTOS, .fn_off = { 0, 8 },
		.flags = VMI_PROTO_HAS_FN(0) | VMI_PROTO_HAS_FN(1),
		.slots = VMI_PROTO_SLOTS,
	};
	struct vmi_read_ops r;
	struct slots c = { .stop_at = -1 };
	int err;

	bl_read_ops(&v, &r);
	np_guest();
	err = vmi_proto_walk(&r, &l, count_slot, &c);
	ksft_test_result(!err && c.nr == 256 && c.used == 2 && !c.bad[0] &&
			 !c.bad[1] && c.fn[0] == KFN && c.fn[1] == KFN + 0x40 &&
			 !c.fn[2],
			 "walk: 256 slots in order, 2 used, slot 1's handler and err_handler (%d, %u, %u)\n",
			 err, c.nr, c.used);
	put(PROTOS + 8 * 200, 0x1000);			/* a user pointer */
	put(PROTOS + 8 * 201, ICMP + 1);		/* misaligned */
	put(PROTOS + 8 * 202, UNMAPPED);		/* unreadable */
	c = (struct slots){ .stop_at = -1 };
	err = vmi_proto_walk(&r, &l, count_slot, &c);
	ksft_test_result(!err && c.nr == 256 && c.bad[0] == 2 && c.bad[1] == 1,
			 "walk: a user, a misaligned and an unreadable slot passed as bad, never followed (%d, %u, %u)\n",
			 err, c.bad[0], c.bad[1]);
	c = (struct slots){ .stop_at = 6 };
	err = vmi_proto_walk(&r, &l, count_slot, &c);
	ksft_test_result(err == -EINTR && c.nr == 7,
			 "walk: the callback's error stops it (%d at %u)\n", err,
			 c.nr);
	l.table = UNMAPPED;
	err = vmi_proto_walk(&r, &l, count_slot, &c);
	ksft_test_result(err && err != -EINVAL,
			 "walk: an unreadable table is the walk's error (%d)\n", err);
	l.table = 0x1000;
	err = vmi_proto_walk(&r, &l, count_slot, &c);
	l.table = PROTOS;
	l.flags = VMI_PROTO_HAS_FN(1);
	err = err == -EINVAL ? vmi_proto_walk(&r, &l, count_slot, &c) : err;
	l.flags = VMI_PROTO_HAS_FN(0) | (VMI_PROTO_FLAGS_ALL + 1);
	err = err == -EINVAL ? vmi_proto_walk(&r, &l, count_slot, &c) : err;
	l.flags = VMI_PROTO_HAS_FN(0);
	l.fn_off[0] = VMI_OFFSET_MAX;
	err = err == -EINVAL ? vmi_proto_walk(&r, &l, count_slot, &c) : err;
	ksft_test_result(err == -EINVAL,
			 "walk: a user table, no handler, unknown flags, an offset over 64 KiB: refused (%d)\n",
			 err);
	l.fn_off[0] = 0;
	l.slots = 0;
	err = vmi_proto_walk(&r, &l, count_slot, &c);
	l.slots = VMI_PROTO_SLOTS_MAX + 1;
	err = err == -EINVAL ? vmi_proto_walk(&r, &l, count_slot, &c) : err;
	l.slots = 46;
	c = (struct slots){ .stop_at = -1 };
	err = err == -EINVAL ? vmi_proto_walk(&r, &l, count_slot, &c) : err;
	ksft_test_result(!err && c.nr == 46,
			 "walk: 0 or 513 slots refused, 46 slots walked as 46 (%d, %u)\n",
			 err, c.nr);
}

/* ---- the policy ---- */

static void test_policy(void)
{
	const struct vmiaas_finding *f;
	bool ok;
	u32 nr;
	int err;

	np_guest();
	err = tiny_check(check_net_protocols, &nr, &f);
	ksft_test_result(!err && !nr && !nr_findings,
			 "kernel protocols on their own structs (one a net_hotdata member): nothing (%d, %u: %s)\n",
			 err, nr, v.diag.msg);

	put(PROTOS + 8 * 1, ROGUE);
	put(MOD + 80, TAINT_OE);
	err = tiny_check(check_net_protocols, &nr, &f);
	ksft_test_result(!err && nr == 2 && f->severity == VMIAAS_SEV_CRITICAL &&
			 !strcmp(f->object, "ipv4 1 (icmp)") &&
			 strstr(f->message, "inet_protos[1] holds ") &&
			 strstr(f->message, "not icmp_protocol") &&
			 findings[1].severity == VMIAAS_SEV_HIGH &&
			 strstr(findings[1].message, "the handler of inet_protos[1]") &&
			 strstr(findings[1].message, "module rootkit is tainted OE"),
			 "icmp taken over by a tainted module: critical (the slot) and high (the handler) (%d, %u: %s)\n",
			 err, nr, f ? f->message : "");
	put(PROTOS + 8 * 1, 0);
	err = tiny_check(check_net_protocols, &nr, &f);
	ksft_test_result(!err && nr == 1 && f->severity == VMIAAS_SEV_CRITICAL &&
			 strstr(f->message, "inet_protos[1] holds nothing"),
			 "icmp's slot emptied: critical (%d, %u: %s)\n", err, nr,
			 f ? f->message : "");

	np_guest();
	put(TCP, HEAP);		/* net_hotdata is writable */
	err = tiny_check(check_net_protocols, &nr, &f);
	ksft_test_result(!err && nr == 1 && f->severity == VMIAAS_SEV_CRITICAL &&
			 !strcmp(f->object, "ipv4 6 (tcp)") &&
			 strstr(f->message, "the handler of inet_protos[6]") &&
			 strstr(f->message, "outside the kernel's text"),
			 "net_hotdata.tcp_protocol's handler in the heap: critical (%d, %u: %s)\n",
			 err, nr, f ? f->message : "");

	np_guest();
	put(PROTOS + 8 * 253, ROGUE);
	err = tiny_check(check_net_protocols, &nr, &f);
	ksft_test_result(!err && !nr && tiny_has_event("net-protocol", "ipv4 253"),
			 "an unused number claimed by an untainted module: an event (%d, %u)\n",
			 err, nr);
	put(MOD + 80, TAINT_OE);
	err = tiny_check(check_net_protocols, &nr, &f);
	ksft_test_result(!err && nr == 1 && f->severity == VMIAAS_SEV_HIGH &&
			 !strcmp(f->object, "ipv4 253"),
			 "the same module tainted OE: high, ipv4 253 (%d, %u: %s)\n",
			 err, nr, f ? f->message : "");

	np_guest();
	put(PROTOS6 + 8 * 6, ROGUE);
	err = tiny_check(check_net_protocols, &nr, &f);
	ksft_test_result(!err && nr == 1 && f->severity == VMIAAS_SEV_CRITICAL &&
			 !strcmp(f->object, "ipv6 6 (tcp)") &&
			 strstr(f->message, "not tcpv6_protocol"),
			 "ipv6 tcp on another struct: critical, named (%d, %u: %s)\n",
			 err, nr, f ? f->message : "");
	np_guest();
	put(PROTOS6 + 8 * 6, 0);
	put(V6_DISABLED, 1);
	err = tiny_check(check_net_protocols, &nr, &f);
	ok = !err && !nr;
	put(PROTOS + 8 * 1, 0);
	err = tiny_check(check_net_protocols, &nr, &f);
	ksft_test_result(ok && !err && nr == 1 && !strcmp(f->object, "ipv4 1 (icmp)"),
			 "ipv6.disable=1: ipv6 tcp's slot empty by design, ipv4's rule still holds (%d, %u: %s)\n",
			 err, nr, f ? f->message : "");
}

static void test_prots(void)
{
	const struct vmiaas_finding *f;
	u32 nr;
	int err;

	np_guest();
	put(TCP_PROT + 16, MFN);
	put(MOD + 80, TAINT_OE);
	err = tiny_check(check_net_protocols, &nr, &f);
	ksft_test_result(!err && nr == 1 && f->severity == VMIAAS_SEV_HIGH &&
			 !strcmp(f->object, "proto TCP") &&
			 strstr(f->message, "the recvmsg of struct proto ") &&
			 strstr(f->message, "module rootkit is tainted OE"),
			 "tcp_prot.recvmsg in a tainted module: high, proto TCP, recvmsg (%d, %u: %s)\n",
			 err, nr, f ? f->message : "");
	put(TCP_PROT + 16, HEAP);
	err = tiny_check(check_net_protocols, &nr, &f);
	ksft_test_result(!err && nr == 1 && f->severity == VMIAAS_SEV_CRITICAL &&
			 strstr(f->message, "outside the kernel's text"),
			 "tcp_prot.recvmsg in the heap: critical (%d, %u: %s)\n",
			 err, nr, f ? f->message : "");
	np_guest();
	put(UDP_PROT + 56, PROTO_LIST);		/* tcp_prot unlinked */
	put(PROTO_LIST + 8, UDP_PROT + 56);
	err = tiny_check(check_net_protocols, &nr, &f);
	ksft_test_result(!err && nr == 1 && f->severity == VMIAAS_SEV_CRITICAL &&
			 !strcmp(f->object, "proto TCP") &&
			 strstr(f->message, "not on proto_list"),
			 "tcp_prot not on proto_list: critical (%d, %u: %s)\n",
			 err, nr, f ? f->message : "");
	np_guest();
	put(UDP_PROT + 56, UDP_PROT + 56);	/* a self-loop */
	err = tiny_check(check_net_protocols, &nr, &f);
	ksft_test_result(!err && nr >= 1 && f->severity == VMIAAS_SEV_CRITICAL &&
			 !strcmp(f->object, "proto_list"),
			 "proto_list looping: critical, the check ends (%d, %u: %s)\n",
			 err, nr, f ? f->message : "");
}

static void test_sockets(void)
{
	const struct vmiaas_finding *f;
	bool ok;
	u32 nr;
	int err;

	np_guest();
	put(FAMILIES + 8 * 2, ROGUE_OPS);
	put(MOD + 80, TAINT_OE);
	err = tiny_check(check_net_protocols, &nr, &f);
	ksft_test_result(!err && nr == 2 && f->severity == VMIAAS_SEV_CRITICAL &&
			 !strcmp(f->object, "family 2 (inet)") &&
			 strstr(f->message, "net_families[2] holds ") &&
			 strstr(f->message, "not inet_family_ops") &&
			 findings[1].severity == VMIAAS_SEV_HIGH &&
			 strstr(findings[1].message, "the create of net_families[2]") &&
			 strstr(findings[1].message, "module rootkit is tainted OE"),
			 "AF_INET's family on a tainted module's struct: critical (the slot) and high (create) (%d, %u: %s)\n",
			 err, nr, f ? f->message : "");
	np_guest();
	put(FAMILIES + 8 * 1, 0);
	put(INET_OPS + 8, HEAP);
	err = tiny_check(check_net_protocols, &nr, &f);
	ksft_test_result(!err && nr == 2 && f->severity == VMIAAS_SEV_CRITICAL &&
			 !strcmp(f->object, "family 1 (unix)") &&
			 strstr(f->message, "net_families[1] holds nothing") &&
			 findings[1].severity == VMIAAS_SEV_CRITICAL &&
			 strstr(findings[1].message, "net_families[2] (net_proto_family") &&
			 strstr(findings[1].message, "outside the kernel's text"),
			 "inet_family_ops.create in the heap, AF_UNIX's slot emptied: critical each (%d, %u: %s)\n",
			 err, nr, f ? f->message : "");

	np_guest();
	put(DIAG + 8 * 2, ROGUE_OPS);
	err = tiny_check(check_net_protocols, &nr, &f);
	ksft_test_result(!err && nr == 1 && f->severity == VMIAAS_SEV_CRITICAL &&
			 !strcmp(f->object, "sock_diag 2 (inet)") &&
			 strstr(f->message, "sock_diag_handlers[2] holds ") &&
			 strstr(f->message, "inet_diag not loaded") &&
			 tiny_has_event("net-protocol", "sock_diag 2 (inet)"),
			 "AF_INET's diag handler while inet_diag is not loaded: critical; its untainted module an event (%d, %u: %s)\n",
			 err, nr, f ? f->message : "");
	np_guest();
	put(DIAG + 8 * 40, ROGUE_OPS);
	put(MOD + 80, TAINT_OE);
	err = tiny_check(check_net_protocols, &nr, &f);
	ksft_test_result(!err && nr == 1 && f->severity == VMIAAS_SEV_HIGH &&
			 !strcmp(f->object, "sock_diag 40 (vsock)") &&
			 strstr(f->message, "the dump of sock_diag_handlers[40]"),
			 "another family's diag handler in a tainted module: high, named (%d, %u: %s)\n",
			 err, nr, f ? f->message : "");
	np_guest();
	put(COMPAT, ROGUE_OPS + 8);		/* fn: MFN + 0x40 */
	put(DIAG + 8 * 17, 0x1000);
	err = tiny_check(check_net_protocols, &nr, &f);
	ksft_test_result(!err && nr == 3 && f->severity == VMIAAS_SEV_CRITICAL &&
			 !strcmp(f->object, "sock_diag 17 (packet)") &&
			 strstr(f->message, "packet_diag not loaded") &&
			 strstr(f[1].message, "not a kernel pointer") &&
			 !strcmp(f[2].object, "sock_diag inet compat") &&
			 strstr(f[2].message, "inet_rcv_compat holds ") &&
			 tiny_has_event("net-protocol", "sock_diag inet compat"),
			 "a user pointer in sock_diag_handlers[17], inet_rcv_compat set without inet_diag: critical, not followed; compat's fn judged (%d, %u: %s)\n",
			 err, nr, f ? f->message : "");

	/* before 6.9 (and its backports) inet_rcv_compat was a function */
	btf_unload(v.btf);	/* btf_field()'s memo with it */
	v.btf = np_btf(false);
	np_guest();
	put(COMPAT, KFN + 0x400);
	err = tiny_check(check_net_protocols, &nr, &f);
	ok = !err && !nr;
	put(FAMILIES + 8 * 2, 0);
	err = tiny_check(check_net_protocols, &nr, &f);
	ksft_test_result(ok && !err && nr == 1 && !strcmp(f->object, "family 2 (inet)"),
			 "no struct sock_diag_inet_compat in BTF: inet_rcv_compat not read, the other tables still are (%d, %u: %s)\n",
			 err, nr, f ? f->message : "");
	btf_unload(v.btf);
	v.btf = np_btf(true);
}

/* ---- inetsw[] and the GRO offloads ---- */

struct sw_count {
	u32 entries, bad_lists, bad_ops;
	u64 fn;			/* tcp's recvmsg */
};

static int count_sw(void *ctx, const struct vmi_protosw_entry *e)
{
	struct sw_count *c = ctx;

	if (!e->entry) {
		c->bad_lists++;
		return 0;
	}
	c->entries++;
	c->bad_ops += !!e->ops_err;
	if (e->type == 1 && e->protocol == 6)
		c->fn = e->fn[2];
	return 0;
}

static void test_sw_core(void)
{
	struct vmi_protosw_layout l = {
		.table = INETSW, .lists = 11, .type = 16, .protocol = 18,
		.prot = 24, .ops = 32, .nr_fns = 3, .fn_off = { 16, 24, 32 },
		.max = VMI_PROTOSW_MAX,
	};
	struct vmi_read_ops r;
	struct sw_count c = { 0 };
	int err;

	bl_read_ops(&v, &r);
	np_guest();
	err = vmi_protosw_walk(&r, &l, count_sw, &c);
	ksft_test_result(!err && c.entries == 2 && !c.bad_lists && !c.bad_ops &&
			 c.fn == KFN + 0x540,
			 "protosw walk: 11 lists, 2 entries, tcp's recvmsg read (%d, %u, %u)\n",
			 err, c.entries, c.bad_lists);
	put(SW_ARRAY + 48, SW_ARRAY + 48);	/* udp's list loops */
	put(SW_ARRAY + 32, 0x1000);		/* tcp's ops a user pointer */
	c = (struct sw_count){ 0 };
	err = vmi_protosw_walk(&r, &l, count_sw, &c);
	ksft_test_result(!err && c.bad_lists == 1 && c.bad_ops == 1 && !c.fn,
			 "protosw walk: a looping list one bad list, the next walked; a user ops not followed (%d, %u, %u)\n",
			 err, c.bad_lists, c.bad_ops);
	l.lists = VMI_PROTOSW_LISTS_MAX + 1;
	err = vmi_protosw_walk(&r, &l, count_sw, &c);
	l.lists = 11;
	l.max = 0;
	err = err == -EINVAL ? vmi_protosw_walk(&r, &l, count_sw, &c) : err;
	l.max = VMI_PROTOSW_MAX;
	l.nr_fns = VMI_PROTOSW_FNS + 1;
	err = err == -EINVAL ? vmi_protosw_walk(&r, &l, count_sw, &c) : err;
	ksft_test_result(err == -EINVAL,
			 "protosw walk: 17 lists, no cap, 49 functions refused (%d)\n",
			 err);
}

static void test_sw(void)
{
	const struct vmiaas_finding *f;
	u32 nr;
	int err;

	np_guest();
	put(SW_ARRAY + 32, ROGUE_SWOPS);	/* tcp's entry on a copy */
	put(MOD + 80, TAINT_OE);
	err = tiny_check(check_net_protocols, &nr, &f);
	ksft_test_result(!err && nr == 2 && f->severity == VMIAAS_SEV_CRITICAL &&
			 !strcmp(f->object, "inetsw stream 6 (tcp)") &&
			 strstr(f->message, "ops is ") &&
			 strstr(f->message, "not inet_stream_ops") &&
			 findings[1].severity == VMIAAS_SEV_HIGH &&
			 strstr(findings[1].message, "the recvmsg of inetsw[1]'s entry") &&
			 strstr(findings[1].message, "module rootkit is tainted OE"),
			 "tcp's inet_protosw on a copy of its ops: critical (the ops) and high (recvmsg) (%d, %u: %s)\n",
			 err, nr, f ? f->message : "");
	np_guest();
	sw_entry(ROGUE_SW, 1, 6, TCP_PROT, STREAM_OPS);
	list_ring(INETSW + 16 * 1, (u64[]){ ROGUE_SW, SW_ARRAY }, 2);
	err = tiny_check(check_net_protocols, &nr, &f);
	ksft_test_result(!err && nr == 1 && f->severity == VMIAAS_SEV_CRITICAL &&
			 strstr(f->message, "another one takes"),
			 "another entry for stream/tcp ahead of the kernel's: critical (%d, %u: %s)\n",
			 err, nr, f ? f->message : "");
	np_guest();
	sw_entry(ROGUE_SW, 5, 132, UDP_PROT + 8, HEAP);
	list_ring(INETSW + 16 * 5, (u64[]){ ROGUE_SW }, 1);
	list_ring(INETSW + 16 * 1, NULL, 0);	/* tcp's entry gone */
	err = tiny_check(check_net_protocols, &nr, &f);
	ksft_test_result(!err && nr == 3 && f->severity == VMIAAS_SEV_CRITICAL &&
			 !strcmp(f->object, "inetsw seqpacket 132 (sctp)") &&
			 strstr(f->message, "not on proto_list") &&
			 strstr(f[1].message, "outside the kernel's read-only data") &&
			 !strcmp(f[2].object, "inetsw stream 6 (tcp)") &&
			 strstr(f[2].message, "not on its list"),
			 "an entry with a struct proto off proto_list and ops in the heap, tcp's unlinked: critical each (%d, %u: %s)\n",
			 err, nr, f ? f->message : "");
	np_guest();
	put(SW_ARRAY + 16, 2 | 6 << 16);	/* tcp's entry says dgram */
	put(INETSW + 16 * 3, 0x1000);		/* raw's list corrupt */
	err = tiny_check(check_net_protocols, &nr, &f);
	ksft_test_result(!err && nr == 3 &&
			 strstr(f->message, "not its list's") &&
			 !strcmp(f[1].object, "inetsw raw") &&
			 strstr(f[2].message, "not on its list"),
			 "an entry on another type's list, a corrupt list: critical, the check ends (%d, %u: %s)\n",
			 err, nr, f ? f->message : "");
}

static void test_gro(void)
{
	const struct vmiaas_finding *f;
	u32 nr;
	int err;

	np_guest();
	put(OFFLOADS + 8 * 6, ROGUE_OFF);
	put(MOD + 80, TAINT_OE);
	err = tiny_check(check_net_protocols, &nr, &f);
	ksft_test_result(!err && nr == 2 && f->severity == VMIAAS_SEV_CRITICAL &&
			 !strcmp(f->object, "gro ipv4 6 (tcp)") &&
			 strstr(f->message, "inet_offloads[6] holds ") &&
			 strstr(f->message, "not tcpv4_offload") &&
			 findings[1].severity == VMIAAS_SEV_HIGH &&
			 strstr(findings[1].message, "the callbacks.gro_receive of inet_offloads[6]"),
			 "tcp's GRO offload on a tainted module's copy: critical (the slot) and high (gro_receive) (%d, %u: %s)\n",
			 err, nr, f ? f->message : "");
	np_guest();
	put(OFFLOADS + 8 * 50, ROGUE_OFF);
	err = tiny_check(check_net_protocols, &nr, &f);
	ksft_test_result(!err && !nr && tiny_has_event("net-protocol", "gro ipv4 50 (esp)"),
			 "esp's offload in an untainted module: an event (%d, %u)\n",
			 err, nr);
	np_guest();
	list_ring(OFFLOAD_BASE, (u64[]){ ROGUE_PO + 32, IP_PO + 32 }, 2);
	put(MOD + 80, TAINT_OE);
	err = tiny_check(check_net_protocols, &nr, &f);
	ksft_test_result(!err && nr == 2 && f->severity == VMIAAS_SEV_CRITICAL &&
			 !strcmp(f->object, "gro 0x0800 (ip)") &&
			 strstr(f->message, "not ip_packet_offload") &&
			 findings[1].severity == VMIAAS_SEV_HIGH &&
			 strstr(findings[1].message, "the callbacks.gro_receive of offload_base's"),
			 "a packet_offload for IPv4 ahead of the kernel's: critical and high (%d, %u: %s)\n",
			 err, nr, f ? f->message : "");
	np_guest();
	list_ring(OFFLOAD_BASE, NULL, 0);
	err = tiny_check(check_net_protocols, &nr, &f);
	ksft_test_result(!err && nr == 1 && f->severity == VMIAAS_SEV_CRITICAL &&
			 strstr(f->message, "not on offload_base"),
			 "ip_packet_offload unlinked: critical (%d, %u: %s)\n",
			 err, nr, f ? f->message : "");
	np_guest();
	put(IP_PO + 32, IP_PO + 32);		/* a self-loop */
	err = tiny_check(check_net_protocols, &nr, &f);
	ksft_test_result(!err && nr >= 1 && f->severity == VMIAAS_SEV_CRITICAL &&
			 !strcmp(f->object, "gro offload_base"),
			 "offload_base looping: critical, the check ends (%d, %u: %s)\n",
			 err, nr, f ? f->message : "");
}

static void test_hostile(void)
{
	const struct vmiaas_finding *f;
	u32 nr, i, ok = 0;
	int err;

	np_guest();
	put(PROTOS + 8 * 47, 0x1000);
	put(PROTOS + 8 * 50, UNMAPPED);
	err = tiny_check(check_net_protocols, &nr, &f);
	ksft_test_result(!err && nr == 2 && f->severity == VMIAAS_SEV_CRITICAL &&
			 strstr(f->message, "not a kernel pointer") &&
			 strstr(findings[1].message, "cannot be read"),
			 "a user pointer and an unreadable struct in slots: critical each (%d, %u: %s)\n",
			 err, nr, f ? f->message : "");

	srand(5);
	for (i = 0; i < 40; i++) {
		u32 k, n = 1 + rand() % 8;

		np_guest();
		for (k = 0; k < n; k++) {
			u64 at = MODULES + (rand() % (TABLES_END - MODULES) & ~7ULL);
			u64 r = rand() % 2 ? MODULES + (rand() % (TABLES_END - MODULES) & ~7ULL) :
					     (u64)rand() << 33 ^ rand();

			put(at, r);
		}
		tiny_check(check_net_protocols, &nr, &f);
		ok++;
	}
	ksft_test_result(ok == 40, "40 guests with random words over tables and structs: every check ended\n");
}

/* ---- vmiaas.ko's record (struct vmiaas_proto_check, type 15) ---- */

#define SK_PROT_COPY	(ROGUE + 0x100)		/* a copy of tcp_prot */

/*
 * @c run as the module runs it (vmiaas_module_policy_found():
 * policy_proto(), the same vmi_proto_suspects()) and, when it fails
 * naming something, its event as vmid's finding @f.
 */
static int rec_run(const struct vmiaas_module_check *c, uint64_t *failed,
		   struct vmiaas_found *found, struct vmiaas_finding *f)
{
	int err;

	memset(f, 0, sizeof(*f));
	err = vmiaas_module_policy_found(&v, c, 1, failed, found);
	if (err || !*failed || !found->kind)
		return err;
	return vmiaas_module_found(c, found, f);
}

/* Whether @fd is a _PROTO_FN at @point, slot @nr, @where + @off: @fn. */
static bool rec_fn(const struct vmiaas_found *fd, u32 point, u32 nr,
		   u64 where, u32 off, u64 fn)
{
	return fd->kind == VMIAAS_FOUND_PROTO_FN && fd->point == point &&
	       fd->family == nr && fd->where == where && fd->index == off &&
	       fd->value == fn && !fd->err;
}

/*
 * The record built from the layouts and the policy's ranges (every
 * table, list and inetsw[] at its distance from inet_protos, proto_list
 * below it), then run on the guest: clean; a function outside the
 * ranges in a table, on proto_list, in an entry's proto_ops or its
 * struct proto (a copy, on no list), on offload_base; proto_list
 * looping; an entry on another type's list: each fails it, named.
 */
static void test_record(void)
{
	static struct vmiaas_module_check c;
	struct vmiaas_proto_check *pc = (void *)c.data;
	struct vmiaas_finding f;
	struct vmiaas_found fd;
	uint64_t failed = 1;
	size_t n = 0;
	int err;
	bool ok;

	np_guest();
	v.info.pgd_pa = 0x1000;
	err = proto_module_check(&v, &c, 1, &n, NULL);
	ksft_test_result(!err && n == 1 && c.type == VMIAAS_CHECK_PROTO_GVA &&
			 c.addr == PROTOS && !pc->table[0].at &&
			 pc->table[0].slots == 256 && pc->table[0].fns == 0x3 &&
			 pc->table[1].at == PROTOS6 - PROTOS &&
			 pc->table[5].at == OFFLOADS - PROTOS &&
			 pc->table[5].fns == 0x7 &&
			 pc->list[0].at == -(s32)(PROTOS - PROTO_LIST) &&
			 pc->list[0].node == 56 && pc->list[0].fns[0] == 0x5 &&
			 pc->list[1].at == OFFLOAD_BASE - PROTOS &&
			 pc->list[1].node == 32 && pc->list[1].fns[0] == 0xe &&
			 pc->sw.at[0] == INETSW - PROTOS && !pc->sw.at[1] &&
			 pc->sw.types == 11 && pc->sw.ops == 32 &&
			 pc->sw.fns == 0x1c && pc->nr_allow >= 1 &&
			 pc->allow[0][0] == TEXT && !strcmp(c.check, "net-protocol"),
			 "record: 7 tables, proto_list (below inet_protos), offload_base, inetsw[] at their distances, the kernel's text (err %d, %zu, %d, %u ranges)\n",
			 err, n, pc->list[0].at, pc->nr_allow);
	err = rec_run(&c, &failed, &fd, &f);
	ok = !err && !failed && !fd.kind;
	put(ICMP + 8, HEAP);			/* icmp's err_handler */
	err = rec_run(&c, &failed, &fd, &f);
	ksft_test_result(ok && !err && failed == 1 &&
			 rec_fn(&fd, 0, 1, ICMP, 8, HEAP) &&
			 !strcmp(f.object, "inet_protos[1]") &&
			 f.new_value == HEAP && strstr(f.message, "+0x8"),
			 "record: clean, then icmp's err_handler in the heap fails it, named as a finding (%d: %s: %s)\n",
			 err, f.object, f.message);
	np_guest();
	put(UDP_PROT, HEAP);			/* udp_prot's first function */
	err = rec_run(&c, &failed, &fd, &f);
	ksft_test_result(!err && failed == 1 &&
			 rec_fn(&fd, VMIAAS_PROTO_AT_PROTOS, 0, UDP_PROT, 0, HEAP) &&
			 strstr(f.object, "proto@"),
			 "record: a struct proto's function in the heap fails it, the struct named (%d: %s: %s)\n",
			 err, f.object, f.message);
	np_guest();
	put(UDP_PROT + 56, UDP_PROT + 56);	/* proto_list loops */
	err = rec_run(&c, &failed, &fd, &f);
	ksft_test_result(!err && failed == 1 &&
			 fd.kind == VMIAAS_FOUND_PROTO_BAD &&
			 fd.point == VMIAAS_PROTO_AT_PROTOS && !fd.where &&
			 fd.err == -ELOOP && !strcmp(f.object, "proto_list"),
			 "record: a looping proto_list fails it, the walk ends (%d: %s)\n",
			 err, f.message);
	np_guest();
	put(ROGUE_SWOPS + 32, HEAP);		/* the copy's recvmsg */
	sw_entry(SW_ARRAY, 1, 6, TCP_PROT, ROGUE_SWOPS);
	err = rec_run(&c, &failed, &fd, &f);
	ksft_test_result(!err && failed == 1 &&
			 rec_fn(&fd, VMIAAS_PROTO_AT_SW, 1, ROGUE_SWOPS, 32, HEAP) &&
			 fd.expected == SW_ARRAY &&
			 !(fd.flags & VMIAAS_FOUND_PROTO_PROT) &&
			 !strcmp(f.object, "inetsw[1]") &&
			 strstr(f.message, "the proto_ops"),
			 "record: tcp's inetsw entry on a proto_ops copy whose recvmsg is in the heap fails it, entry and copy named (%d: %s: %s)\n",
			 err, f.object, f.message);
	np_guest();
	memcpy(ram + DATA_GPA + (SK_PROT_COPY - KBASE),
	       ram + DATA_GPA + (TCP_PROT - KBASE), 56);
	put(SK_PROT_COPY + 16, HEAP);		/* the copy's recvmsg */
	sw_entry(SW_ARRAY, 1, 6, SK_PROT_COPY, STREAM_OPS);
	err = rec_run(&c, &failed, &fd, &f);
	ksft_test_result(!err && failed == 1 &&
			 rec_fn(&fd, VMIAAS_PROTO_AT_SW, 1, SK_PROT_COPY, 16, HEAP) &&
			 fd.expected == SW_ARRAY &&
			 (fd.flags & VMIAAS_FOUND_PROTO_PROT) &&
			 strstr(f.message, "the struct proto"),
			 "record: tcp's entry on a struct proto copy (on no list) whose recvmsg is in the heap fails it (%d: %s)\n",
			 err, f.message);
	np_guest();
	sw_entry(SW_ARRAY, 2, 6, TCP_PROT, STREAM_OPS);	/* on list 1 */
	err = rec_run(&c, &failed, &fd, &f);
	ksft_test_result(!err && failed == 1 &&
			 fd.kind == VMIAAS_FOUND_PROTO_BAD &&
			 fd.point == VMIAAS_PROTO_AT_SW && fd.family == 1 &&
			 fd.where == SW_ARRAY && fd.err == -EBADMSG &&
			 strstr(f.message, "another socket type's list"),
			 "record: an entry of type 2 on inetsw[1] fails it (%d: %s)\n",
			 err, f.message);
	np_guest();
	put(TCP_OFF + 8, HEAP);			/* tcpv4_offload's gro_receive */
	err = rec_run(&c, &failed, &fd, &f);
	ok = !err && failed == 1 && rec_fn(&fd, 5, 6, TCP_OFF, 8, HEAP) &&
	     !strcmp(f.object, "inet_offloads[6]");
	np_guest();
	put(IP_PO + 16, HEAP);			/* ip_packet_offload's */
	err = rec_run(&c, &failed, &fd, &f);
	ksft_test_result(ok && !err && failed == 1 &&
			 rec_fn(&fd, VMIAAS_PROTO_AT_OFFLOADS, 0, IP_PO, 16, HEAP) &&
			 strstr(f.object, "packet_offload@"),
			 "record: a gro_receive in the heap in inet_offloads[6], then on offload_base, fails it (%d: %s: %s)\n",
			 err, f.object, f.message);
	np_guest();
	pc->nr_allow = VMIAAS_MAX_HOOK_ALLOW + 1;
	err = rec_run(&c, &failed, &fd, &f);
	ok = !err && failed == 1 && !fd.kind;
	pc->nr_allow = 1;
	pc->allow[0][1] = pc->allow[0][0];
	err = rec_run(&c, &failed, &fd, &f);
	ksft_test_result(ok && !err && failed == 1 && !fd.kind,
			 "record: 11 ranges, an empty range: the record fails, nothing walked\n");
}

/* One hostile change to a valid record: a field set to @value. */
struct rec_bad {
	const char *what;
	size_t off, size;
	u64 value;
	u64 addr;			/* the check's; 0: the record's */
};

#define REC_BAD(w, field, val)						\
	{ w, offsetof(struct vmiaas_proto_check, field),		\
	  sizeof(((struct vmiaas_proto_check *)0)->field), (u64)(val) }

/*
 * Hostile records (a table of changes to a valid one): every one refused
 * by vmi_proto_set_of(), the validation vmiaas.ko runs (-EINVAL), the
 * valid one taken.
 */
static void test_record_hostile(void)
{
	static const struct rec_bad bad[] = {
		REC_BAD("reserved", reserved, 1),
		REC_BAD("table 0 not at addr", table[0].at, 8),
		REC_BAD("table 0 without slots", table[0].slots, 0),
		REC_BAD("a table at a distance without slots", table[1].slots, 0),
		REC_BAD("a second table at addr", table[1].at, 0),
		REC_BAD("513 slots", table[0].slots, 513),
		REC_BAD("no function", table[0].fns, 0),
		REC_BAD("9 functions", table[0].fns, 0x1ff),
		REC_BAD("an absent table's functions", table[6].fns, 1),
		{ "a table landing in the user half",
		  offsetof(struct vmiaas_proto_check, table[1].at), 4,
		  (u32)-0x2000, 0xff00000000001000ULL },
		REC_BAD("proto_list without functions", list[0].fns[0], 0),
		REC_BAD("functions without proto_list", list[0].at, 0),
		REC_BAD("66 functions on proto_list", list[0].fns[1], ~0ULL),
		REC_BAD("offload_base's node at 64 KiB", list[1].node, 65536),
		REC_BAD("offload_base misaligned", list[1].at,
			OFFLOAD_BASE - PROTOS + 4),
		REC_BAD("no socket type", sw.types, 0),
		REC_BAD("17 socket types", sw.types, 17),
		REC_BAD("inetsw without functions", sw.fns, 0),
		REC_BAD("49 proto_ops functions", sw.fns, (1ULL << 49) - 1),
		REC_BAD("inetsw's reserved", sw.reserved, 1),
		REC_BAD("no inetsw but its layout", sw.at[0], 0),
	};
	static struct vmiaas_module_check c;
	const struct vmiaas_proto_check *pc = (void *)c.data;
	struct vmiaas_proto_check t;
	struct vmi_proto_set set;
	char missed[256] = "";
	size_t n = 0, i;
	int err;

	np_guest();
	err = proto_module_check(&v, &c, 1, &n, NULL);
	err = err ?: vmi_proto_set_of(pc, c.addr, &set);
	for (i = 0; !err && i < ARRAY_SIZE(bad); i++) {
		t = *pc;
		/* little-endian: the value's low bytes */
		memcpy((u8 *)&t + bad[i].off, &bad[i].value, bad[i].size);
		if (vmi_proto_set_of(&t, bad[i].addr ?: c.addr, &set) != -EINVAL)
			snprintf(missed + strlen(missed),
				 sizeof(missed) - strlen(missed), "%s; ",
				 bad[i].what);
	}
	ksft_test_result(!err && !missed[0],
			 "record: the valid one taken, %zu hostile ones refused (EINVAL) by vmi_proto_set_of() (%d; taken: %s)\n",
			 ARRAY_SIZE(bad), err, missed);
}

int main(void)
{
	ksft_print_header();
	ksft_set_plan(6 + 8 + 4 + 6 + 3 + 4 + 5 + 2 + 9 + 1);
	guest_init();
	v.btf = np_btf(true);
	np_symbols();
	check_rescan_us = 0;
	test_core();
	test_policy();
	test_prots();
	test_sockets();
	test_sw_core();
	test_sw();
	test_gro();
	test_hostile();
	test_record();
	test_record_hostile();
	symmap_free(v.symmap);
	btf__free(v.btf);
	ksft_finished();
}
