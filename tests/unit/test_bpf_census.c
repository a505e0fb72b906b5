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

static void put_str(u64 va, const char *s)
{
	memcpy(ram + DATA_GPA + (va - KBASE), s, strlen(s) + 1);
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
		"BPF_PROG_TYPE_LSM",
	};
	static const int type_vals[] = { 17, 26, 29 };
	static const char *const eats[] = {
		"BPF_TRACE_FENTRY", "BPF_MODIFY_RETURN",
	};
	static const int eat_vals[] = { 24, 26 };
	static const char *const links[] = { "BPF_LINK_TYPE_RAW_TRACEPOINT" };
	static const int link_vals[] = { 1 };

	add_enum(b, "bpf_prog_type", types, type_vals, 3);
	add_enum(b, "bpf_attach_type", eats, eat_vals, 2);
	add_enum(b, "bpf_link_type", links, link_vals, 1);
}

static struct btf *bpf_btf(void)
{
	struct btf *b = btf__new_empty();
	int i8, i32, ptr, lh, xa, idr, name16, name64, ksym;

	if (!b)
		exit(KSFT_FAIL);
	i8 = btf__add_int(b, "char", 1, 0);
	i32 = btf__add_int(b, "int", 4, BTF_INT_SIGNED);
	ptr = btf__add_ptr(b, 0);
	name16 = btf__add_array(b, i32, i8, 16);
	name64 = btf__add_array(b, i32, i8, 64);
	{
		const int types[] = { ptr, ptr };
		const u32 offs[] = { 0, 8 };

		lh = STRUCT(b, "list_head", 16, "next", "prev");
	}
	{
		const int types[] = { i32, i32, ptr };
		const u32 offs[] = { 0, 4, 8 };

		xa = STRUCT(b, "xarray", 16, "xa_lock", "xa_flags", "xa_head");
	}
	{
		const int types[] = { xa };
		const u32 offs[] = { 0 };

		idr = STRUCT(b, "idr", 24, "idr_rt");
		(void)idr;
	}
	{
		const int types[] = { i8, btf__add_array(b, i32, ptr, 64) };
		const u32 offs[] = { 0, 0x28 };

		STRUCT(b, "xa_node", 0x228, "shift", "slots");
	}
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
		const int types[] = { i32, i32, i32, name16, ptr, ptr };
		const u32 offs[] = { PR_TYPE, PR_EAT, PR_LEN, PR_TAG, PR_AUX,
				     PR_INSNS };

		STRUCT(b, "bpf_prog", 0x100, "type", "expected_attach_type",
		       "len", "tag", "aux", "insnsi");
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
	u64 prev = KALLSYMS, node;
	u32 i;

	for (i = 0; i < n; i++) {
		node = auxes[i] + AX_KSYM + KS_LNODE;
		put(prev, node);
		put(node + 8, prev);
		prev = node;
	}
	put(prev, KALLSYMS);
	put(KALLSYMS + 8, prev);
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

static struct vmiaas_finding findings[64];
static u32 nr_findings;

static struct vmiaas_finding *add_finding(void *ctx, const char *check,
					  u32 severity, const char *object)
{
	struct vmiaas_finding *f;

	if (nr_findings >= ARRAY_SIZE(findings))
		return NULL;
	f = &findings[nr_findings++];
	memset(f, 0, sizeof(*f));
	snprintf(f->check, sizeof(f->check), "%s", check);
	snprintf(f->object, sizeof(f->object), "%s", object);
	f->severity = severity;
	return f;
}

static int census(void)
{
	const struct hidden_sink sink = { .add = add_finding };

	nr_findings = 0;
	v.diag.msg[0] = '\0';
	return bpf_check_programs(&v, &sink);
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
	ksft_test_result(!err && a && !strstr(a->message, "sys_enter"),
			 "census: unreadable attach names leave the attach point unknown (err %d)\n",
			 err);
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
	ksft_set_plan(16);
	guest_init();
	v.btf = bpf_btf();
	bpf_symbols();
	test_helpers();
	test_census();
	test_random();
	symmap_free(v.symmap);
	btf__free(v.btf);
	free(ram);
	ksft_finished();
}
