// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * The bpf-programs census (userspace/lib/bpf_census.c) on a tiny guest
 * kernel with its own BTF: two programs in prog_idr (one calling
 * bpf_probe_write_user from a raw tracepoint link on sys_enter, one
 * benign fentry program), a program whose JIT code is on bpf_kallsyms
 * but not in prog_idr; then hostile memory: an IDR node that loops, huge
 * instruction and subprogram counts, a kallsyms ring that cycles, user
 * pointers, random words. Every census must end, with an error where the
 * records are broken; ASan/UBSan (make san) catch the rest.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/btf.h>

#include "userspace/lib/bpf_census.h"
#include "userspace/lib/list.h"
#include "tests/lib/symfile.h"
#include "tests/lib/tap.h"
#include "tests/lib/tinyguest.h"

#define C		(KBASE + 0x10000)
#define PROG_IDR	(C + 0x0000)
#define LINK_IDR	(C + 0x0040)
#define KALLSYMS	(C + 0x0080)
#define PROG_A		(C + 0x1000)	/* the rootkit */
#define AUX_A		(C + 0x2000)
#define PROG_B		(C + 0x3000)	/* benign fentry */
#define AUX_B		(C + 0x4000)
#define LINK		(C + 0x5000)
#define BTP		(C + 0x5100)
#define TP		(C + 0x5200)
#define TP_NAME		(C + 0x5300)
#define FUNC_NAME	(C + 0x5340)
#define XNODE		(C + 0x6000)
#define PROG_H		(C + 0x7000)	/* hidden: only on bpf_kallsyms */
#define AUX_H		(C + 0x8000)
#define SUBS		(C + 0x9000)	/* A's subprogram array */
#define AT		(C + 0x10000)	/* attach targets */
#define CGROUP		(AT + 0x0000)
#define KN1		(AT + 0x0100)	/* x.service */
#define KN2		(AT + 0x0200)	/* system.slice */
#define KN_ROOT		(AT + 0x0300)
#define NAMES		(AT + 0x0400)	/* strings, 0x40 apart */
#define FILE_		(AT + 0x1000)
#define EVENT		(AT + 0x1100)
#define CALL		(AT + 0x1200)
#define ADDRS		(AT + 0x1300)
#define NET		(AT + 0x2000)
#define NETNS_LIST	(AT + 0x2100)
#define DEV		(AT + 0x3000)
#define CG_ROOT		(AT + 0x4000)	/* cgrp_dfl_root; its cgroup at +8 */
#define CG_CHILD	(AT + 0x4400)	/* a cgroup below the root */
#define CG_PL		(AT + 0x4800)	/* a bpf_prog_list on the child */
#define CG_KN		(AT + 0x4900)	/* the child's kernfs node */
#define CG_KN_ROOT	(AT + 0x4a00)
#define CG_NAMES	(AT + 0x4b00)
#define TC_MQ		(AT + 0x5000)	/* eth0's ingress mini_Qdisc */
#define TC_TP		(AT + 0x5100)	/* its one tcf_proto */
#define TC_OPS		(AT + 0x5200)
#define TC_HEAD		(AT + 0x5300)	/* cls_bpf_head */
#define TC_CLS		(AT + 0x5400)	/* cls_bpf_prog: filter, link */
#define CGR_CGRP	0x08		/* cgroup_root.cgrp */
#define CG_SELF		0x20		/* cgroup.self: children, sibling */
#define CG_PROGS	0x40		/* cgroup.bpf.progs[4] */
#define CALL_BASE	(KBASE + 0x1000)
#define H_WRITE_USER	(KBASE + 0x2000)
#define H_OVERRIDE	(KBASE + 0x2100)
#define H_SIGNAL	(KBASE + 0x2200)
#define H_SIGNAL_THREAD	(KBASE + 0x2300)
/* bpf_prog */
#define PR_TYPE		0x04
#define PR_EAT		0x08
#define PR_LEN		0x0c
#define PR_TAG		0x10
#define PR_AUX		0x20
#define PR_JITED_LEN	0x28
#define PR_FUNC		0x30
#define PR_INSNS	0x48
/* bpf_prog_aux */
#define AX_ID		0x00
#define AX_FUNC_CNT	0x04
#define AX_FUNC		0x08
#define AX_ATTACH	0x10
#define AX_NAME		0x20
#define AX_KSYM		0x40
/* bpf_ksym */
#define KS_NAME		0x10
#define KS_LNODE	0x50
#define KS_PROG		0x60

static void put32(u64 va, u32 val)
{
	memcpy(ram + DATA_GPA + (va - KBASE), &val, 4);
}

static void add_enum(struct btf *b, const char *name,
		     const char *const *names, const int *vals, int n)
{
	int i;

	btf__add_enum(b, name, 4);
	for (i = 0; i < n; i++)
		btf__add_enum_value(b, names[i], vals[i]);
}

static void bpf_btf_enums(struct btf *b)
{
	static const char *const types[] = {
		"BPF_PROG_TYPE_RAW_TRACEPOINT", "BPF_PROG_TYPE_TRACING",
		"BPF_PROG_TYPE_LSM", "BPF_PROG_TYPE_XDP",
	};
	static const int type_vals[] = { 17, 26, 29, 6 };
	static const char *const eats[] = {
		"BPF_TRACE_FENTRY", "BPF_MODIFY_RETURN",
		"BPF_CGROUP_INET_INGRESS", "BPF_TCX_INGRESS",
	};
	static const int eat_vals[] = { 24, 26, 0, 46 };
	static const char *const links[] = {
		"BPF_LINK_TYPE_RAW_TRACEPOINT", "BPF_LINK_TYPE_CGROUP",
		"BPF_LINK_TYPE_XDP", "BPF_LINK_TYPE_PERF_EVENT",
		"BPF_LINK_TYPE_KPROBE_MULTI", "BPF_LINK_TYPE_TCX",
	};
	static const int link_vals[] = { 1, 3, 6, 7, 8, 11 };
	static const char *const fls[] = {
		"TRACE_EVENT_FL_TRACEPOINT", "TRACE_EVENT_FL_KPROBE",
	};
	static const int fl_vals[] = { 16, 32 };

	add_enum(b, "bpf_prog_type", types, type_vals, 4);
	add_enum(b, "bpf_attach_type", eats, eat_vals, 4);
	add_enum(b, "bpf_link_type", links, link_vals, 6);
	add_enum(b, "trace_event_flags", fls, fl_vals, 2);
	{
		static const char *const cg[] = {
			"CGROUP_INET_INGRESS", "CGROUP_INET_EGRESS",
		};
		static const int cg_vals[] = { 0, 1 };

		add_enum(b, "cgroup_bpf_attach_type", cg, cg_vals, 2);
	}
}

/* The cgroup v2 tree and its programs attached without a link. */
static void bpf_btf_cgroups(struct btf *b, int ptr, int lh)
{
	int css, cbpf, cgrp, i32 = btf__find_by_name(b, "int");

	{
		const int types[] = { lh, lh };
		const u32 offs[] = { 0, 0x10 };

		css = STRUCT(b, "cgroup_subsys_state", 0x20, "children",
			     "sibling");
	}
	{
		const int types[] = { btf__add_array(b, i32, ptr, 4) };
		const u32 offs[] = { 0 };

		cbpf = STRUCT(b, "cgroup_bpf", 0x20, "progs");
	}
	{
		const int types[] = { ptr, css, cbpf };
		const u32 offs[] = { 0x10, CG_SELF, CG_PROGS };

		cgrp = STRUCT(b, "cgroup", 0x100, "kn", "self", "bpf");
	}
	{
		const int types[] = { cgrp };
		const u32 offs[] = { CGR_CGRP };

		STRUCT(b, "cgroup_root", 0x200, "cgrp");
	}
	{
		const int types[] = { ptr, ptr, ptr };
		const u32 offs[] = { 0, 0x10, 0x18 };

		STRUCT(b, "bpf_prog_list", 0x20, "node", "prog", "link");
	}
}

/* The link containers and what they point to (bpf_attach.c). */
static void bpf_btf_attach(struct btf *b, int ptr, int i32, int name16,
			   int lh)
{
	int attr, ent;

	{
		const int types[] = { ptr, i32 };
		const u32 offs[] = { 0x40, 0x48 };

		STRUCT(b, "bpf_cgroup_link", 0x50, "cgroup", "type");
		STRUCT(b, "tcx_link", 0x50, "dev", "location");
		STRUCT(b, "bpf_kprobe_multi_link", 0x50, "addrs", "cnt");
	}
	{
		const int types[] = { ptr };
		const u32 offs[] = { 0x40 };

		STRUCT(b, "bpf_xdp_link", 0x48, "dev");
		STRUCT(b, "bpf_perf_link", 0x48, "perf_file");
	}
	{
		const int types[] = { ptr };
		const u32 offs[] = { 0x10 };

		STRUCT(b, "file", 0x20, "private_data");
	}
	bpf_btf_cgroups(b, ptr, lh);
	{
		const int types[] = { ptr, ptr };
		const u32 offs[] = { 0, 8 };

		STRUCT(b, "kernfs_node", 0x20, "parent", "name");
		ent = STRUCT(b, "bpf_xdp_entity", 16, "prog", "link");
	}
	{
		const int types[] = { i32, i32 };
		const u32 offs[] = { 0, 8 };

		attr = STRUCT(b, "perf_event_attr", 0x10, "type", "config");
	}
	{
		const int types[] = { ptr, attr };
		const u32 offs[] = { 0x20, 0x30 };

		STRUCT(b, "perf_event", 0x40, "tp_event", "attr");
	}
	{
		const int types[] = { ptr, i32 };
		const u32 offs[] = { 0, 0x10 };

		STRUCT(b, "trace_event_call", 0x20, "name", "flags");
	}
	{
		const int types[] = { lh, lh };
		const u32 offs[] = { 0, 0x10 };

		STRUCT(b, "net", 0x20, "list", "dev_base_head");
	}
	{
		const int types[] = { name16, lh,
				      btf__add_array(b, i32, ent, 3), ptr, ptr };
		const u32 offs[] = { 0, 0x20, 0x40, 0x70, 0x78 };

		STRUCT(b, "net_device", 0x80, "name", "dev_list", "xdp_state",
		       "miniq_ingress", "miniq_egress");
	}
	{
		const int types[] = { ptr, ptr, ptr };
		const u32 offs[] = { 0, 8, 0x10 };

		STRUCT(b, "mini_Qdisc", 0x20, "filter_list");
		STRUCT(b, "tcf_proto", 0x20, "next", "root", "ops");
	}
	{
		const int types[] = { name16 };
		const u32 offs[] = { 0 };

		STRUCT(b, "tcf_proto_ops", 0x20, "kind");
	}
}

static struct btf *bpf_btf(void)
{
	struct tiny_btf t;
	struct btf *b = tiny_btf_new(&t);
	int i8 = t.i8, i32 = t.i32, ptr = t.ptr, lh = t.lh, name16, name64, ksym;

	name16 = btf__add_array(b, i32, i8, 16);
	name64 = btf__add_array(b, i32, i8, 64);
	{
		const int types[] = { ptr, ptr, name64, lh, i8 };
		const u32 offs[] = { 0, 8, KS_NAME, KS_LNODE, KS_PROG };

		ksym = STRUCT(b, "bpf_ksym", 0x68, "start", "end", "name",
			      "lnode", "prog");
	}
	{
		const int types[] = { i32, i32, ptr, ptr, name16, ksym };
		const u32 offs[] = { AX_ID, AX_FUNC_CNT, AX_FUNC, AX_ATTACH,
				     AX_NAME, AX_KSYM };

		STRUCT(b, "bpf_prog_aux", 0x200, "id", "func_cnt", "func",
		       "attach_func_name", "name", "ksym");
	}
	{
		const int types[] = { i32, i32, i32, name16, ptr, i32, ptr,
				      ptr };
		const u32 offs[] = { PR_TYPE, PR_EAT, PR_LEN, PR_TAG, PR_AUX,
				     PR_JITED_LEN, PR_FUNC, PR_INSNS };

		STRUCT(b, "bpf_prog", 0x100, "type", "expected_attach_type",
		       "len", "tag", "aux", "jited_len", "bpf_func", "insnsi");
	}
	{
		const int types[] = { i32, i32, ptr };
		const u32 offs[] = { 8, 0xc, 0x18 };

		STRUCT(b, "bpf_link", 0x40, "id", "type", "prog");
	}
	{
		const int types[] = { ptr };
		const u32 offs[] = { 0x40 };

		STRUCT(b, "bpf_raw_tp_link", 0x48, "btp");
	}
	{
		const int types[] = { ptr };
		const u32 offs[] = { 0 };

		STRUCT(b, "bpf_raw_event_map", 0x20, "tp");
		STRUCT(b, "tracepoint", 0x20, "name");
	}
	bpf_btf_attach(b, ptr, i32, name16, lh);
	bpf_btf_enums(b);
	return b;
}

static void bpf_symbols(void)
{
	static const struct sym syms[] = {
		{ "_text", KBASE }, { "prog_idr", PROG_IDR },
		{ "link_idr", LINK_IDR }, { "bpf_kallsyms", KALLSYMS },
		{ "__bpf_call_base", CALL_BASE },
		{ "bpf_probe_write_user", H_WRITE_USER },
		{ "bpf_override_return", H_OVERRIDE },
		{ "bpf_send_signal", H_SIGNAL },
		{ "bpf_send_signal_thread", H_SIGNAL_THREAD },
		{ "net_namespace_list", NETNS_LIST },
		{ "cgrp_dfl_root", CG_ROOT },
		/* a KASLR build's image: modules from 0xffffffffc0000000 */
		{ "_end", 0xffffffff83000000ULL },
		{ "kernel_randomize_memory", 0xffffffff82000000ULL },
	};

	test_symmap_load(syms, ARRAY_SIZE(syms), &v.symmap);
	v.info.text_va = KBASE;
}

/* A call to @helper (src_reg 0), then exit, at @prog's instructions. */
static void prog_insns(u64 prog, u64 helper)
{
	u64 call = 0x85 | (u64)(u32)(s32)(helper - CALL_BASE) << 32;

	put(prog + PR_INSNS, call);
	put(prog + PR_INSNS + 8, 0x95);
	put32(prog + PR_LEN, 2);
}

static void prog_make(u64 prog, u64 aux, u32 type, u32 eat, u32 id,
		      const char *name)
{
	memset(ram + DATA_GPA + (prog - KBASE), 0, 0x100);
	memset(ram + DATA_GPA + (aux - KBASE), 0, 0x200);
	put(prog + PR_TYPE, type | (u64)eat << 32);
	put(prog + PR_TAG, 0x0807060504030201ULL);
	put(prog + PR_AUX, aux);
	put(aux + AX_ID, id);
	put_str(aux + AX_NAME, name);
	put(aux + AX_KSYM + KS_PROG, 1);
	snprintf((char *)ram + DATA_GPA + (aux + AX_KSYM + KS_NAME - KBASE),
		 64, "bpf_prog_0102030405060708_%s", name);
}

/* bpf_kallsyms: a ring of the ksyms of @n auxes. */
static void kallsyms_ring(const u64 *auxes, u32 n)
{
	u64 nodes[8];
	u32 i;

	for (i = 0; i < n && i < ARRAY_SIZE(nodes); i++)
		nodes[i] = auxes[i] + AX_KSYM + KS_LNODE;
	list_ring(KALLSYMS, nodes, i);
}

static void bpf_guest(void)
{
	const u64 auxes[] = { AUX_A, AUX_B };

	prog_make(PROG_A, AUX_A, 17, 0, 7, "rootkit_a");
	prog_insns(PROG_A, H_WRITE_USER);
	prog_make(PROG_B, AUX_B, 26, 24, 8, "benign_b");
	prog_insns(PROG_B, KBASE + 0x3000);	/* another helper */
	put_str(FUNC_NAME, "vfs_fsync");
	put(AUX_B + AX_ATTACH, FUNC_NAME);
	prog_make(PROG_H, AUX_H, 17, 0, 0, "hidden_h");
	/* prog_idr: an xa_node with A at 1 and B at 2 */
	memset(ram + DATA_GPA + (XNODE - KBASE), 0, 0x228);
	put(XNODE + 0x28 + 8, PROG_A);
	put(XNODE + 0x28 + 16, PROG_B);
	put(PROG_IDR + 8, XNODE | 2);
	/* link_idr: one raw tracepoint link of A on sys_enter */
	put(LINK + 0xc, 1);
	put(LINK + 0x18, PROG_A);
	put(LINK + 0x40, BTP);
	put(BTP, TP);
	put(TP, TP_NAME);
	put_str(TP_NAME, "sys_enter");
	put(LINK_IDR + 8, LINK);
	kallsyms_ring(auxes, 2);
}

static int census_base(const struct bpf_baseline *base)
{
	const struct hidden_sink sink = { .add = add_finding };

	nr_findings = 0;
	v.diag.msg[0] = '\0';
	return bpf_check_programs(&v, base, &sink);
}

static int census(void)
{
	return census_base(NULL);
}

static const struct vmiaas_finding *finding(const char *object)
{
	u32 i;

	for (i = 0; i < nr_findings; i++)
		if (!strcmp(findings[i].object, object))
			return &findings[i];
	return NULL;
}

static void test_helpers(void)
{
	const u64 helpers[BPF_CENSUS_HELPER_SYMS] = {
		H_WRITE_USER, H_OVERRIDE, H_SIGNAL, H_SIGNAL_THREAD,
	};
	u8 insns[4 * 8] = {};
	s32 imm = H_SIGNAL_THREAD - CALL_BASE;

	insns[0] = 0x85;
	memcpy(insns + 4, &imm, 4);
	imm = H_WRITE_USER - CALL_BASE;
	insns[8] = 0x85;
	insns[9] = 1 << 4;		/* a BPF-to-BPF call: not a helper */
	memcpy(insns + 12, &imm, 4);
	insns[16] = 0x85;
	imm = H_OVERRIDE - CALL_BASE;
	memcpy(insns + 20, &imm, 4);
	ksft_test_result(bpf_insns_helpers(insns, 4, CALL_BASE, helpers) ==
			 (BPF_HELPER_SIGNAL | BPF_HELPER_OVERRIDE),
			 "helpers: send_signal_thread and override_return found, a pseudo call ignored\n");
}

static void test_census(void)
{
	const struct vmiaas_finding *a, *b, *h;
	const u64 auxes[] = { AUX_A, AUX_H, AUX_B };
	int err;

	bpf_guest();
	put(PROG_IDR + 8, 0);			/* no program at all */
	put(LINK_IDR + 8, 0);
	kallsyms_ring(auxes, 0);
	err = census();
	ksft_test_result(!err && !nr_findings,
			 "census: a kernel without BPF programs, no report (err %d, %u)\n",
			 err, nr_findings);

	bpf_guest();
	err = census();
	a = finding("rootkit_a");
	b = finding("benign_b");
	ksft_test_result(!err && nr_findings == 2 && a && b,
			 "census: two programs, two reports (err %d, %u: %s)\n",
			 err, nr_findings, v.diag.msg);
	ksft_test_result(a && a->severity == VMIAAS_SEV_HIGH &&
			 !(a->flags & VMIAAS_FINDING_EVENT) &&
			 strstr(a->message, "raw_tracepoint sys_enter") &&
			 strstr(a->message, "tag 0102030405060708") &&
			 strstr(a->message, "bpf_probe_write_user"),
			 "census: write-user on sys_enter is a high finding naming the attach point (%s)\n",
			 a ? a->message : "none");
	ksft_test_result(b && (b->flags & VMIAAS_FINDING_EVENT) &&
			 strstr(b->message, "function vfs_fsync") &&
			 strstr(b->message, "tracing/trace_fentry"),
			 "census: the benign fentry program is an event (%s)\n",
			 b ? b->message : "none");

	put32(PROG_B + PR_EAT, 26);		/* fmod_ret */
	err = census();
	b = finding("benign_b");
	ksft_test_result(!err && b && b->severity == VMIAAS_SEV_MEDIUM,
			 "census: an fmod_ret program is a medium finding\n");

	bpf_guest();
	kallsyms_ring(auxes, 3);
	err = census();
	h = finding("bpf_prog_0102030405060708_hidden_h");
	ksft_test_result(!err && h && h->severity == VMIAAS_SEV_CRITICAL,
			 "census: JIT code on bpf_kallsyms of no prog_idr program is critical (err %d, %u)\n",
			 err, nr_findings);

	bpf_guest();
	put32(AUX_A + AX_FUNC_CNT, 2);
	put(AUX_A + AX_FUNC, SUBS);
	put(SUBS, PROG_H);			/* H is A's subprogram */
	put(SUBS + 8, 0x1000);			/* a user pointer: skipped */
	kallsyms_ring(auxes, 3);
	err = census();
	ksft_test_result(!err && nr_findings == 2,
			 "census: a subprogram's ksym is known, not hidden (err %d, %u)\n",
			 err, nr_findings);

	bpf_guest();
	put(XNODE + 0x28 + 16, XNODE | 2);	/* a leaf pointing to itself */
	err = census();
	ksft_test_result(err == -EBADMSG, "census: a looping IDR node is -EBADMSG (%d)\n",
			 err);

	bpf_guest();
	put(XNODE + 0x28 + 16, 0x400000);	/* a user pointer */
	err = census();
	ksft_test_result(err == -EBADMSG && v.diag.msg[0],
			 "census: a user pointer in prog_idr is -EBADMSG with a message (%s)\n",
			 v.diag.msg);

	bpf_guest();
	put32(PROG_A + PR_LEN, 0xffffffff);
	err = census();
	ksft_test_result(err == -EBADMSG, "census: 2^32-1 instructions is -EBADMSG (%d)\n",
			 err);

	bpf_guest();
	put32(PROG_A + PR_LEN, 1U << 20);		/* runs off the mapped page */
	err = census();
	ksft_test_result(err < 0, "census: instructions past mapped memory are an error (%d)\n",
			 err);

	bpf_guest();
	put32(AUX_A + AX_FUNC_CNT, 100000);
	put(AUX_A + AX_FUNC, SUBS);
	err = census();
	ksft_test_result(err == -EBADMSG, "census: 100000 subprograms is -EBADMSG (%d)\n",
			 err);

	bpf_guest();
	put(AUX_B + AX_KSYM + KS_LNODE, AUX_A + AX_KSYM + KS_LNODE);
	err = census();
	ksft_test_result(err == -ELOOP, "census: a bpf_kallsyms cycle not through the head is -ELOOP (%d)\n",
			 err);

	bpf_guest();
	put(TP, 0xffffffffdead0000ULL);		/* unmapped tracepoint name */
	put(AUX_B + AX_ATTACH, FUNC_NAME + 0x1ffff0); /* off the page */
	err = census();
	a = finding("rootkit_a");
	b = finding("benign_b");
	ksft_test_result(!err && a && !strstr(a->message, "sys_enter") &&
			 strstr(a->message, "attached to a raw_tracepoint link whose target was unreadable") &&
			 b && strstr(b->message, "attached to a function whose name was unreadable"),
			 "census: unreadable attach names are said so, a link's kind named (err %d)\n",
			 err);
}

/* The programs of bpf_guest() now, as a baseline records them. */
static void take(struct bpf_baseline *base)
{
	memset(base, 0, sizeof(*base));
	if (bpf_programs_take(&v, &base->p, &base->nr, &base->has_bpf))
		exit(KSFT_FAIL);
	base->recorded = true;
}

static bool has_text(const struct vmiaas_finding *f, const char *text,
		     bool event)
{
	return f && strstr(f->message, text) &&
	       !(f->flags & VMIAAS_FINDING_EVENT) == !event;
}

static void test_baseline(void)
{
	struct bpf_baseline base, empty = { .recorded = true }, v2 = {};
	const struct vmiaas_finding *a, *b;
	int err;

	bpf_guest();
	take(&base);
	ksft_test_result(base.nr == 2 && base.has_bpf &&
			 base.p[0].addr == PROG_A && base.p[0].id == 7 &&
			 !strcmp(base.p[0].attach, "raw_tracepoint sys_enter") &&
			 !strcmp(base.p[1].attach, "function vfs_fsync"),
			 "baseline: both programs recorded with their ids and attach points\n");
	err = census_base(&base);
	a = finding("rootkit_a");
	ksft_test_result(!err && nr_findings == 1 && !finding("benign_b") &&
			 has_text(a, "present at baseline, attached to raw_tracepoint sys_enter calls bpf_probe_write_user", false),
			 "baseline: the benign program of the baseline is not reported, write-user still a finding (%u: %s)\n",
			 nr_findings, a ? a->message : "none");
	err = census_base(&empty);
	b = finding("benign_b");
	ksft_test_result(!err && has_text(b, "loaded since the baseline, attached to function vfs_fsync", true),
			 "baseline: a benign program loaded since is an event saying so (%s)\n",
			 b ? b->message : "none");
	put32(PROG_B + PR_EAT, 26);		/* fmod_ret: medium */
	err = census_base(&empty);
	b = finding("benign_b");
	ksft_test_result(!err && b && b->severity == VMIAAS_SEV_MEDIUM &&
			 has_text(b, "loaded since the baseline", false),
			 "baseline: its dangerous variant loaded since is a finding\n");

	bpf_guest();
	put(PROG_B + PR_INSNS + 8, 0x1095);	/* one instruction rewritten */
	err = census_base(&base);
	b = finding("benign_b");
	ksft_test_result(!err && b && b->severity == VMIAAS_SEV_CRITICAL &&
			 has_text(b, "changed: its verified instructions", false),
			 "baseline: a program whose instructions changed is critical (%s)\n",
			 b ? b->message : "none");

	bpf_guest();
	put(AUX_B + AX_ID, 9);			/* B freed, another at its place */
	put(PROG_B + PR_INSNS + 8, 0x1095);	/* ... of other instructions */
	err = census_base(&base);
	ksft_test_result(!err && nr_findings == 3 &&
			 has_text(&findings[1], "(id 9, type", true) &&
			 has_text(&findings[1], "loaded since the baseline", true) &&
			 has_text(&findings[2], "benign_b (id 8) of the baseline is gone", true),
			 "baseline: the same address with another id and other instructions is a new program, the old one gone (%u)\n",
			 nr_findings);

	bpf_guest();
	put(AUX_B + AX_ID, 9);			/* B reloaded: same everything */
	err = census_base(&base);
	ksft_test_result(!err && nr_findings == 2 &&
			 has_text(&findings[1], "(id 9, type", true) &&
			 has_text(&findings[1], "reloaded since the baseline", true) &&
			 !has_text(finding("benign_b"), "is gone", false),
			 "baseline: the same program with another id is one 'reloaded' event, nothing gone (%u)\n",
			 nr_findings);

	bpf_guest();
	put(AUX_B + AX_ATTACH, 0);
	put(LINK + 0x18, PROG_B);		/* the link now runs B */
	err = census_base(&base);
	b = finding("benign_b");
	ksft_test_result(!err && has_text(b, "(attached elsewhere then), now attached to raw_tracepoint sys_enter", true),
			 "baseline: a baseline program attached elsewhere now is named so (%s)\n",
			 b ? b->message : "none");

	bpf_guest();				/* JIT code in kernel text */
	put32(PROG_B + PR_JITED_LEN, 64);
	put(PROG_B + PR_FUNC, KBASE + 0x100);
	err = census_base(&base);
	b = finding("benign_b");
	ksft_test_result(!err && b && b->severity == VMIAAS_SEV_CRITICAL &&
			 has_text(b, "is not in the module mapping range", false),
			 "jit: an image outside the module range is critical (%s)\n",
			 b ? b->message : "none");
	put32(PROG_B + PR_JITED_LEN, 0xfffffff0);
	put(PROG_B + PR_FUNC, 0xffffffffc0000000ULL);
	err = census_base(&base);
	b = finding("benign_b");
	ksft_test_result(!err && b && b->severity == VMIAAS_SEV_CRITICAL &&
			 has_text(b, "4294967280 bytes", false),
			 "jit: a 4 GiB image is critical, not read (%s)\n",
			 b ? b->message : "none");

	bpf_guest();
	err = census_base(&v2);
	ksft_test_result(!err && nr_findings == 3 && finding("baseline") &&
			 has_text(finding("baseline"), "format version 2", true),
			 "baseline: a format 2 baseline (no programs): every program judged, one event says why\n");
	free(base.p);
}

/* Link LINK (of bpf_guest()) becomes one of @type, running B. */
static void link_of_b(u32 type)
{
	bpf_guest();
	put(AUX_B + AX_ATTACH, 0);
	put32(LINK + 0xc, type);
	put(LINK + 0x18, PROG_B);
}

static const char *b_attach(void)
{
	const struct vmiaas_finding *b;

	census();
	b = finding("benign_b");
	return b && strstr(b->message, "attached to ") ?
	       strstr(b->message, "attached to ") + 12 : "";
}

static bool b_attached(const char *want)
{
	return !strncmp(b_attach(), want, strlen(want));
}

static void test_cgroup(void)
{
	link_of_b(3);
	put(LINK + 0x40, CGROUP);
	put32(LINK + 0x48, 0);
	put(CGROUP + 0x10, KN1);
	put(KN1, KN2);
	put(KN1 + 8, NAMES);
	put_str(NAMES, "x.service");
	put(KN2, KN_ROOT);
	put(KN2 + 8, NAMES + 0x40);
	put_str(NAMES + 0x40, "system.slice");
	put(KN_ROOT, 0);
	put(KN_ROOT + 8, NAMES + 0x80);
	put_str(NAMES + 0x80, "");
	ksft_test_result(b_attached("cgroup /system.slice/x.service (cgroup_inet_ingress) "),
			 "attach: a cgroup link names the cgroup's path and attach type (%s)\n",
			 b_attach());
	put(KN2, KN1);				/* a parent cycle */
	ksft_test_result(b_attached("cgroup .../"),
			 "attach: a cycle of cgroup parents ends at the depth cap (%.60s)\n",
			 b_attach());
	put(CGROUP + 0x10, 0x1000);		/* a user pointer */
	ksft_test_result(b_attached("a cgroup link whose target was unreadable (read twice"),
			 "attach: a cgroup whose kernfs node is a user pointer: its link, unreadable (%s)\n",
			 b_attach());
}

/* B attached without a link to cgroup /vmiaas, a child of the root. */
static void cgroup_tree(void)
{
	const u64 root = CG_ROOT + CGR_CGRP, sibling = CG_CHILD + CG_SELF + 0x10;

	bpf_guest();
	put(AUX_B + AX_ATTACH, 0);
	memset(ram + DATA_GPA + (CG_ROOT - KBASE), 0, 0xc00);
	put(root + 0x10, CG_KN_ROOT);
	put(CG_KN_ROOT + 8, CG_NAMES);
	put(CG_CHILD + 0x10, CG_KN);
	put(CG_KN, CG_KN_ROOT);
	put(CG_KN + 8, CG_NAMES + 0x40);
	put_str(CG_NAMES + 0x40, "vmiaas");
	list_ring(root + CG_SELF, &sibling, 1);
	list_ring(CG_CHILD + CG_SELF, NULL, 0);
	put(CG_CHILD + CG_PROGS + 8, CG_PL);	/* CGROUP_INET_EGRESS */
	put(CG_PL + 0x10, PROG_B);
}

static void test_cgroup_attach(void)
{
	const u64 sibling = CG_CHILD + CG_SELF + 0x10;

	cgroup_tree();
	ksft_test_result(b_attached("cgroup /vmiaas (cgroup_inet_egress, attached without a link) "),
			 "attach: a program on a cgroup's list without a link names the cgroup (%s)\n",
			 b_attach());
	cgroup_tree();
	put(CG_PL + 0x18, LINK);		/* attached through a link */
	ksft_test_result(b_attached("(no link ") && !strstr(b_attach(), "cgroup /"),
			 "attach: a cgroup list entry with a link is the link's to name (%.60s)\n",
			 b_attach());
	cgroup_tree();
	list_ring(CG_CHILD + CG_SELF, &sibling, 1);	/* its own child */
	put(CG_PL, CG_PL);			/* an hlist that loops */
	ksft_test_result(b_attached("cgroup /vmiaas (cgroup_inet_egress"),
			 "attach: a cgroup that is its own child and a looping program list end (%s)\n",
			 b_attach());
	memset(ram + DATA_GPA + (CG_ROOT - KBASE), 0, 0xc00);
}

static void test_perf(void)
{
	const struct vmiaas_finding *a;

	link_of_b(7);
	put(LINK + 0x40, FILE_);
	put(FILE_ + 0x10, EVENT);
	put(EVENT + 0x20, CALL);
	put(CALL, NAMES);
	put_str(NAMES, "vfs_read");
	put(CALL + 0x10, 32);			/* a kprobe's event */
	ksft_test_result(b_attached("perf_event kprobe vfs_read "),
			 "attach: a perf_event link names its kprobe (%s)\n",
			 b_attach());
	put(CALL + 0x10, 16);			/* a tracepoint's */
	put(CALL, TP);
	put(TP, TP_NAME);
	put_str(TP_NAME, "sys_enter");
	put(LINK + 0x18, PROG_A);
	put(AUX_A + AX_ATTACH, 0);
	census();
	a = finding("rootkit_a");
	ksft_test_result(a && strstr(a->message, "attached to perf_event tracepoint sys_enter calls bpf_probe_write_user from a system call hook"),
			 "attach: write-user on a perf_event tracepoint sys_enter is a syscall hook (%s)\n",
			 a ? a->message : "none");
	link_of_b(7);
	put(LINK + 0x40, FILE_);
	put(EVENT + 0x20, 0);			/* a software event */
	put32(EVENT + 0x30, 1);
	put(EVENT + 0x38, 9);
	ksft_test_result(b_attached("perf_event type 1 config 0x9 "),
			 "attach: a perf event without a trace event names type and config (%s)\n",
			 b_attach());
	put(FILE_ + 0x10, 0xdead000);
	ksft_test_result(b_attached("a perf_event link whose target was unreadable (read twice"),
			 "attach: a perf file's user-pointer event: its link, unreadable (%s)\n",
			 b_attach());
	link_of_b(5);				/* netns: not read here */
	ksft_test_result(b_attached("a 5 link (its target is not read for this kind of link) "),
			 "attach: a link of a kind not read is named as such (%s)\n",
			 b_attach());
}

/* net_namespace_list: one namespace whose one device is DEV. */
static void netns_one_dev(void)
{
	put(NETNS_LIST, NET);
	put(NETNS_LIST + 8, NET);
	put(NET, NETNS_LIST);
	put(NET + 8, NETNS_LIST);
	put(NET + 0x10, DEV + 0x20);
	put(NET + 0x18, DEV + 0x20);
	put(DEV + 0x20, NET + 0x10);
	put(DEV + 0x28, NET + 0x10);
}

static void test_netdev(void)
{
	link_of_b(8);				/* kprobe_multi */
	put(LINK + 0x40, ADDRS);
	put32(LINK + 0x48, 5);
	put(ADDRS, H_WRITE_USER);
	put(ADDRS + 8, H_OVERRIDE);
	put(ADDRS + 16, H_SIGNAL);
	/* symbolized as the checks do (this guest has no kallsyms: addresses) */
	ksft_test_result(b_attached("kprobe_multi ") &&
			 strstr(b_attach(), "2000, 0x") &&
			 strstr(b_attach(), "2200 (+2 more) "),
			 "attach: a kprobe_multi link names its first functions (%s)\n",
			 b_attach());
	link_of_b(6);				/* xdp */
	put(LINK + 0x40, DEV);
	put_str(DEV, "eth0");
	ksft_test_result(b_attached("xdp on eth0 "),
			 "attach: an XDP link names its device (%s)\n", b_attach());
	link_of_b(11);				/* tcx */
	put(LINK + 0x40, DEV);
	put32(LINK + 0x48, 46);
	ksft_test_result(b_attached("tcx_ingress on eth0 "),
			 "attach: a tcx link names direction and device (%s)\n",
			 b_attach());

	bpf_guest();				/* XDP through netlink */
	put(LINK_IDR + 8, 0);
	put(AUX_B + AX_ATTACH, 0);
	put32(PROG_B + PR_TYPE, 6);
	netns_one_dev();
	put(DEV + 0x40 + 16, PROG_B);		/* xdp_state[1].prog */
	ksft_test_result(b_attached("xdp on eth0 "),
			 "attach: an XDP program without a link is found on its device (%s)\n",
			 b_attach());
	put(DEV + 0x20, DEV + 0x20);		/* a device list cycle */
	put(DEV + 0x40 + 16, 0);
	ksft_test_result(!census() && finding("benign_b") &&
			 b_attached("(no link found; attach point not checked: the XDP device walk gave up: "),
			 "attach: a cyclic device list: not checked, the check goes on (%s)\n",
			 b_attach());
}

/* B, without a link, a cls_bpf filter on eth0's ingress (6.1's miniq). */
static void tc_guest(void)
{
	const u64 cls = TC_CLS + 8;

	bpf_guest();
	put(LINK_IDR + 8, 0);
	put(AUX_B + AX_ATTACH, 0);
	list_ring(CG_ROOT + CGR_CGRP + CG_SELF, NULL, 0);
	netns_one_dev();
	put_str(DEV, "eth0");
	put(DEV + 0x70, TC_MQ);
	put(DEV + 0x78, 0);
	put(TC_MQ, TC_TP);
	put(TC_TP, 0);
	put(TC_TP + 8, TC_HEAD);
	put(TC_TP + 0x10, TC_OPS);
	put_str(TC_OPS, "bpf");
	list_ring(TC_HEAD, &cls, 1);
	put(TC_CLS, PROG_B);
}

static void test_tc(void)
{
	tc_guest();
	ksft_test_result(b_attached("tc ingress on eth0 (cls_bpf filter) "),
			 "attach: a cls_bpf filter names device and direction (%s)\n",
			 b_attach());
	put(TC_TP + 0x10, 0x1000);		/* ops: a user pointer */
	ksft_test_result(b_attached("(no link found; attach point not checked: the tc filter walk gave up: tc ingress on eth0 (cls_bpf filter): tcf_proto 0x"),
			 "attach: a tcf_proto without readable ops: not checked (%s)\n",
			 b_attach());
	tc_guest();
	put_str(TC_OPS, "u32");
	put(TC_TP, TC_TP);			/* a chain that loops */
	ksft_test_result(b_attached("(no link found; attach point not checked: the tc filter walk gave up: tc ingress on eth0 (cls_bpf filter): more than 64 filters"),
			 "attach: a qdisc chain past its bound: not checked (%s)\n",
			 b_attach());
	put(DEV + 0x70, 0);
}

static void test_random(void)
{
	u32 i, k, ok = 0;

	srand(11);
	for (i = 0; i < 300; i++) {
		u32 n = 1 + rand() % 8;

		bpf_guest();
		for (k = 0; k < n; k++) {
			u64 at = C + (rand() % 0x9100 & ~7ULL);
			u64 r = rand() % 2 ? C + (rand() % 0x9100 & ~7ULL) +
					     (rand() % 4 ? 0 : 2) :
					     (u64)rand() << 33 ^ rand();

			put(at, r);
		}
		census();
		ok++;
	}
	ksft_test_result(ok == 300, "300 guests with random words over their BPF records: every census ended\n");
}

int main(void)
{
	ksft_print_header();
	ksft_set_plan(46);
	guest_init();
	v.btf = bpf_btf();
	bpf_symbols();
	test_helpers();
	test_census();
	test_baseline();
	test_cgroup();
	test_cgroup_attach();
	test_perf();
	test_netdev();
	test_tc();
	test_random();
	symmap_free(v.symmap);
	btf__free(v.btf);
	free(ram);
	ksft_finished();
}
