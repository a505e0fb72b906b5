// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * The runtime-patching classifier (userspace/lib/patching.c) on a tiny
 * guest: one 2 MiB kernel page with text, an ftrace page of records, an
 * ftrace_ops with a filter hash, a kprobe and a jump table, laid out by
 * hand with a BTF built here and a System.map for the symbols. Legitimate
 * sites are explained and nothing else; then the records are made
 * hostile (cycles, huge counts, bad pointers, random bytes) and every
 * walk must end with an error, never explain a change.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <unistd.h>
#include <bpf/btf.h>

#define KBASE		0xffffffff81000000ULL	/* kernel text */

#include "userspace/lib/checks.h"
#include "userspace/lib/patching.h"
#include "tests/lib/symfile.h"
#include "tests/lib/tinyguest.h"

/* text */
#define FTRACE_CALLER	(KBASE + 0x100)
#define FTRACE_OP_PTR	(KBASE + 0x110)
#define FTRACE_CALL	(KBASE + 0x120)
#define FTRACE_RELOC	(KBASE + 0x130)	/* a call out of the template */
#define FTRACE_END	(KBASE + 0x140)
#define SITE_A		(KBASE + 0x400)
#define JUMP_SITE	(KBASE + 0x405)	/* right after A */
#define SITE_B		(KBASE + 0x3f0)	/* where A's record may move */
#define SITE_C		(KBASE + 0x700)
#define JUMP_TARGET	(KBASE + 0x540)
#define KPROBE_ADDR	(KBASE + 0x600)
#define OPS_FUNC	(KBASE + 0x900)
#define ETEXT		(KBASE + 0x2000)
#define TRAMP		(KBASE + 0x3000)	/* a dynamic trampoline */
#define KFUNC		(KBASE + 0xa00)		/* kernel functions */
#define KFUNC2		(KBASE + 0xa40)
#define SCT		(KBASE + 0xb00)		/* __SCT__foo */
#define SCT_TP		(KBASE + 0xb10)		/* __SCT__tp_func_bar */
#define SC_SITE		(KBASE + 0xc00)		/* an inline static call */
#define SCT_PG		(KBASE + 0xb20)		/* __SCT____perf_guest_get_ip */
#define SC_UPDATE	(KBASE + 0xa80)		/* __static_call_update */
#define SCT_D		(KBASE + 0xb30)		/* __SCT__bpf_dispatcher_xdp_call */
#define D_IMAGE		(KBASE + 0x9000)	/* its image (a BPF pack page) */
#define D_NOP2		(KBASE + 0xa60)		/* another bpf_dispatcher_nop_func */
#define SC_UPD_SITE	(KBASE + 0x1800)	/* a call to it */
#define OPT_ADDR	(KBASE + 0xd00)		/* an optimized kprobe */
#define OPT_CB		(KBASE + 0xe00)		/* optimized_callback */
#define OPT_TMPL	(KBASE + 0x1000)	/* optprobe_template_entry */
#define OPT_CLAC	(OPT_TMPL + 0x4)
#define OPT_VAL		(OPT_TMPL + 0x10)
#define OPT_CALL	(OPT_TMPL + 0x1a)
#define OPT_END		(OPT_TMPL + 0x40)
#define OPT_SIZE	7			/* mov disp32(%rip),%rax */
#define MODULE_CODE	(KBASE + 0x5000)	/* outside the text: MOD's */
#define MOD_OWN_KEY	(KBASE + 0x5900)	/* in MOD's data */
#define MOD_K_KEY	(KBASE + 0x6900)	/* in MOD_K's data */
#define KP_INSN		(KBASE + 0x7000)	/* a kprobe insn page */
#define KP_EMU		(KBASE + 0x1c00)	/* kprobe_emulate_*, 8 bytes apart */
#define SLOT		(KBASE + 0x8000)	/* an optprobe insn page */
/* data */
#define PAGES_START	(KBASE + 0x10000)
#define OPS_LIST	(KBASE + 0x10008)
#define LIST_END	(KBASE + 0x10100)
#define KPROBE_TABLE	(KBASE + 0x11000)
#define JUMP_TABLE	(KBASE + 0x12000)
#define FPAGE		(KBASE + 0x20000)
#define RECORDS		(KBASE + 0x21000)
#define OPS		(KBASE + 0x30000)
#define OPS_HASH	(KBASE + 0x30100)
#define HASH		(KBASE + 0x30200)
#define BUCKETS		(KBASE + 0x30300)
#define ENTRY		(KBASE + 0x30400)
#define KPROBE		(KBASE + 0x40000)
#define SC_KEY		(KBASE + 0x13000)	/* __SCK__foo */
#define SC_TP_KEY	(KBASE + 0x13010)	/* __SCK__tp_func_bar */
#define SC_PG_KEY	(KBASE + 0x13020)	/* __SCK____perf_guest_get_ip */
#define PERF_GUEST_CBS	(KBASE + 0x13030)	/* perf_guest_cbs */
#define SC_D_KEY	(KBASE + 0x13040)	/* __SCK__bpf_dispatcher_xdp_call */
#define DISP		(KBASE + 0x13400)	/* bpf_dispatcher_xdp */
#define BPF_KSYMS	(KBASE + 0x13500)	/* bpf_kallsyms */
#define D_KSYM		(KBASE + 0x13600)	/* the dispatcher's bpf_ksym */
#define TP		(KBASE + 0x13100)	/* __tracepoint_bar */
#define TP_FUNCS	(KBASE + 0x13200)
#define MODULES		(KBASE + 0x14000)
#define MOD		(KBASE + 0x14100)	/* text has MODULE_CODE */
#define MOD_K		(KBASE + 0x14200)	/* owns MOD_K_KEY */
#define MOD_USE		(KBASE + 0x14300)	/* MOD uses MOD_K */
#define SC_SITES	(KBASE + 0x15000)
#define OPT_KP		(KBASE + 0x41000)
#define OPT_SLOTS	(KBASE + 0x42000)	/* kprobe_optinsn_slots */
#define INSN_PAGE	(KBASE + 0x42100)
#define OPT_QUEUE	(KBASE + 0x42200)	/* optimizing_list */
#define BP_DESC		(KBASE + 0x16000)	/* bp_desc */
#define TP_VEC_NR	(KBASE + 0x16100)	/* tp_vec_nr */
#define TP_VEC		(KBASE + 0x17000)	/* tp_vec[256] */
#define REMOVED_OPS	(KBASE + 0x16200)	/* removed_ops */
#define FTRACE_LOCK	(KBASE + 0x16300)	/* ftrace_lock */
#define TP_LOCK		(KBASE + 0x16340)	/* tracepoints_mutex */
#define KP_SLOTS	(KBASE + 0x42300)	/* kprobe_insn_slots */
#define KP_PAGE		(KBASE + 0x42400)	/* its kprobe_insn_page */
/* struct kprobe's ainsn (struct arch_specific_insn) */
#define AI_INSN		80
#define AI_SIZE		88
#define AI_OP		89	/* opcode, jcc.type, loop.type, indirect.reg */
#define AI_ASIZE	90	/* loop.asize */
#define AI_REL32	92
#define AI_EMULATE	96

static const u8 nop5[] = { 0x0f, 0x1f, 0x44, 0x00, 0x00 };

static void put_bytes(u64 va, const void *p, size_t n)
{
	memcpy(ram + DATA_GPA + (va - KBASE), p, n);
}

static u8 *at(u64 va)
{
	return ram + DATA_GPA + (va - KBASE);
}

/* e8/e9 rel32 from @site to @target. */
static void put_branch(u64 site, u8 op, u64 target)
{
	s32 rel = (s32)(target - (site + 5));
	u8 insn[5] = { op };

	memcpy(insn + 1, &rel, 4);
	put_bytes(site, insn, 5);
}

static void add_fields(struct btf *b, const char *const *names,
		       const int *types, const u32 *bits, int n)
{
	int i;

	for (i = 0; i < n; i++)
		btf__add_field(b, names[i], types[i], bits[i], 0);
}

static struct btf *build_btf(void)
{
	struct btf *b = btf__new_empty();
	int i32, i64, ptr, hn, lh, kp, aoi, ml, u8t, text, un, asi, sub[3];

	if (!b)
		exit(KSFT_FAIL);
	i32 = btf__add_int(b, "int", 4, BTF_INT_SIGNED);
	i64 = btf__add_int(b, "long", 8, BTF_INT_SIGNED);
	ptr = btf__add_ptr(b, 0);
	hn = btf__add_struct(b, "hlist_node", 16);
	add_fields(b, (const char *[]){ "next", "pprev" },
		   (int[]){ ptr, ptr }, (u32[]){ 0, 64 }, 2);
	lh = btf__add_struct(b, "list_head", 16);
	add_fields(b, (const char *[]){ "next", "prev" },
		   (int[]){ ptr, ptr }, (u32[]){ 0, 64 }, 2);
	btf__add_struct(b, "jump_entry", 16);
	add_fields(b, (const char *[]){ "code", "target", "key" },
		   (int[]){ i32, i32, i64 }, (u32[]){ 0, 32, 64 }, 3);
	btf__add_struct(b, "dyn_ftrace", 16);
	add_fields(b, (const char *[]){ "ip", "flags" },
		   (int[]){ i64, i64 }, (u32[]){ 0, 64 }, 2);
	btf__add_struct(b, "ftrace_page", 24);
	add_fields(b, (const char *[]){ "next", "records", "index", "order" },
		   (int[]){ ptr, ptr, i32, i32 }, (u32[]){ 0, 64, 128, 160 }, 4);
	btf__add_struct(b, "ftrace_ops", 40);
	add_fields(b, (const char *[]){ "func", "next", "flags", "func_hash",
					"trampoline" },
		   (int[]){ ptr, ptr, i64, ptr, ptr },
		   (u32[]){ 0, 64, 128, 192, 256 }, 5);
	btf__add_struct(b, "ftrace_ops_hash", 16);
	add_fields(b, (const char *[]){ "notrace_hash", "filter_hash" },
		   (int[]){ ptr, ptr }, (u32[]){ 0, 64 }, 2);
	btf__add_struct(b, "ftrace_hash", 24);
	add_fields(b, (const char *[]){ "size_bits", "buckets", "count" },
		   (int[]){ i64, ptr, i64 }, (u32[]){ 0, 64, 128 }, 3);
	btf__add_struct(b, "ftrace_func_entry", 32);
	add_fields(b, (const char *[]){ "hlist", "ip", "direct" },
		   (int[]){ hn, i64, i64 }, (u32[]){ 0, 128, 192 }, 3);
	/* arch_specific_insn, its anonymous union of one-byte operands */
	u8t = btf__add_int(b, "unsigned char", 1, 0);
	sub[0] = btf__add_struct(b, NULL, 1);
	btf__add_field(b, "type", u8t, 0, 0);
	sub[1] = btf__add_struct(b, NULL, 2);
	add_fields(b, (const char *[]){ "type", "asize" },
		   (int[]){ u8t, u8t }, (u32[]){ 0, 8 }, 2);
	sub[2] = btf__add_struct(b, NULL, 1);
	btf__add_field(b, "reg", u8t, 0, 0);
	un = btf__add_union(b, NULL, 2);
	add_fields(b, (const char *[]){ "opcode", "jcc", "loop", "indirect" },
		   (int[]){ u8t, sub[0], sub[1], sub[2] }, (u32[]){ 0, 0, 0, 0 }, 4);
	asi = btf__add_struct(b, "arch_specific_insn", 40);
	add_fields(b, (const char *[]){ "insn", "size", "", "rel32", "emulate_op" },
		   (int[]){ ptr, u8t, un, i32, ptr },
		   (u32[]){ 0, 64, 72, 96, 128 }, 5);
	kp = btf__add_struct(b, "kprobe", 128);
	add_fields(b, (const char *[]){ "hlist", "list", "addr", "pre_handler",
					"post_handler", "ainsn", "flags" },
		   (int[]){ hn, lh, ptr, ptr, ptr, asi, i32 },
		   (u32[]){ 0, 128, 320, 512, 576, 640, 960 }, 7);
	btf__add_field(b, "opcode", i32, 992, 0);
	aoi = btf__add_struct(b, "arch_optimized_insn", 24);
	add_fields(b, (const char *[]){ "copied_insn", "insn", "size" },
		   (int[]){ i32, ptr, i32 }, (u32[]){ 0, 64, 128 }, 3);
	btf__add_struct(b, "optimized_kprobe", 168);
	add_fields(b, (const char *[]){ "kp", "list", "optinsn" },
		   (int[]){ kp, lh, aoi }, (u32[]){ 0, 1024, 1152 }, 3);
	btf__add_struct(b, "kprobe_insn_cache", 16);
	btf__add_field(b, "pages", lh, 0, 0);
	btf__add_struct(b, "kprobe_insn_page", 24);
	add_fields(b, (const char *[]){ "list", "insns" },
		   (int[]){ lh, ptr }, (u32[]){ 0, 128 }, 2);
	btf__add_struct(b, "static_call_site", 8);
	add_fields(b, (const char *[]){ "addr", "key" },
		   (int[]){ i32, i32 }, (u32[]){ 0, 32 }, 2);
	btf__add_struct(b, "perf_guest_info_callbacks", 24);
	add_fields(b, (const char *[]){ "state", "get_ip", "handle_intel_pt_intr" },
		   (int[]){ ptr, ptr, ptr }, (u32[]){ 0, 64, 128 }, 3);
	btf__add_struct(b, "tracepoint", 72);
	add_fields(b, (const char *[]){ "name", "static_call_key", "funcs" },
		   (int[]){ ptr, ptr, ptr }, (u32[]){ 0, 192, 512 }, 3);
	btf__add_struct(b, "tracepoint_func", 24);
	add_fields(b, (const char *[]){ "func", "data", "prio" },
		   (int[]){ ptr, ptr, i32 }, (u32[]){ 0, 64, 128 }, 3);
	ml = btf__add_struct(b, "module_layout", 16);
	add_fields(b, (const char *[]){ "base", "size", "text_size" },
		   (int[]){ ptr, i32, i32 }, (u32[]){ 0, 64, 96 }, 3);
	btf__add_struct(b, "module", 128);
	add_fields(b, (const char *[]){ "list", "name", "state", "core_layout",
					"init_layout", "source_list" },
		   (int[]){ lh, i64, i32, ml, ml, lh },
		   (u32[]){ 0, 128, 576, 640, 768, 896 }, 6);
	btf__add_struct(b, "module_use", 48);
	add_fields(b, (const char *[]){ "source_list", "target_list", "source",
					"target" },
		   (int[]){ lh, lh, ptr, ptr }, (u32[]){ 0, 128, 256, 320 }, 4);
	btf__add_struct(b, "bpf_ksym", 0x60);
	add_fields(b, (const char *[]){ "start", "end", "name", "lnode" },
		   (int[]){ i64, i64, i64, lh }, (u32[]){ 0, 64, 128, 640 }, 4);
	btf__add_struct(b, "bpf_dispatcher", 0x28);
	add_fields(b, (const char *[]){ "image", "image_off", "sc_key" },
		   (int[]){ ptr, i32, ptr }, (u32[]){ 128, 192, 256 }, 3);
	btf__add_struct(b, "kretprobe", 144);
	add_fields(b, (const char *[]){ "kp", "handler", "entry_handler" },
		   (int[]){ kp, ptr, ptr }, (u32[]){ 0, 1024, 1088 }, 3);
	btf__add_struct(b, "mutex", 32);
	btf__add_field(b, "owner", i64, 0, 0);
	btf__add_struct(b, "bp_patching_desc", 16);
	add_fields(b, (const char *[]){ "vec", "nr_entries", "refs" },
		   (int[]){ ptr, i32, i32 }, (u32[]){ 0, 64, 96 }, 3);
	u8t = btf__add_int(b, "u8", 1, 0);
	text = btf__add_array(b, i32, u8t, 5);
	btf__add_struct(b, "text_poke_loc", 16);
	add_fields(b, (const char *[]){ "rel_addr", "disp", "len", "opcode",
					"text", "old" },
		   (int[]){ i32, i32, u8t, u8t, text, u8t },
		   (u32[]){ 0, 32, 64, 72, 80, 120 }, 6);
	return b;
}

static int sym_cmp(const void *a, const void *b)
{
	const struct sym *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/*
 * The guest's kallsyms, for lookups by address: one marker, each name
 * a run of one-byte tokens (token c is the character c), 6.1's order.
 */
static u8 ksym_buf[16384];

static void put32(u8 *p, u32 x)
{
	memcpy(p, &x, 4);
}

static void put16(u8 *p, u16 x)
{
	memcpy(p, &x, 2);
}

static void ksym_init(const struct sym *unsorted, size_t n)
{
	struct sym syms[64];
	size_t o = 0, i, len;
	struct vmi_ksym *k = &v.ksym;

	if (n > ARRAY_SIZE(syms))
		exit(KSFT_FAIL);
	memcpy(syms, unsorted, n * sizeof(*syms));
	qsort(syms, n, sizeof(*syms), sym_cmp);
	for (i = 0; i < n; i++, o += 4)
		put32(ksym_buf + o, (u32)(syms[i].addr - KBASE));
	k->names = o;
	for (i = 0; i < n; i++) {
		len = strlen(syms[i].name);
		ksym_buf[o++] = len + 1;
		ksym_buf[o++] = 'T';
		memcpy(ksym_buf + o, syms[i].name, len);
		o += len;
	}
	k->names_len = o - k->names;
	o = (o + 7) & ~7UL;
	k->markers = o;
	put32(ksym_buf + o, 0);
	o += 8;
	k->token_table = o;
	for (i = 0; i < 256; i++) {
		put16(ksym_buf + 12288 + 2 * i, o - k->token_table);
		ksym_buf[o++] = i;
		if (i)
			ksym_buf[o++] = 0;
	}
	k->token_table_len = o - k->token_table;
	k->token_index = 12288;
	k->buf = ksym_buf;
	k->buf_len = sizeof(ksym_buf);
	k->end = sizeof(ksym_buf);
	k->num_syms = n;
	k->relative_base = KBASE;
}

static void symbols_init(void)
{
	static const struct sym syms[] = {
		{ "_text", KBASE }, { "_stext", KBASE }, { "_etext", ETEXT },
		{ "ftrace_caller", FTRACE_CALLER },
		{ "ftrace_call", FTRACE_CALL },
		{ "ftrace_caller_op_ptr", FTRACE_OP_PTR },
		{ "ftrace_caller_end", FTRACE_END },
		{ "ftrace_pages_start", PAGES_START },
		{ "ftrace_ops_list", OPS_LIST },
		{ "ftrace_list_end", LIST_END },
		{ "kprobe_table", KPROBE_TABLE },
		{ "__start___jump_table", JUMP_TABLE },
		{ "__stop___jump_table", JUMP_TABLE + 16 },
		{ "kfunc", KFUNC }, { "kfunc2", KFUNC2 },
		{ "__static_call_update", SC_UPDATE },
		{ "__SCT__foo", SCT }, { "__SCK__foo", SC_KEY },
		{ "__SCT__tp_func_bar", SCT_TP },
		{ "__SCK__tp_func_bar", SC_TP_KEY },
		{ "__tracepoint_bar", TP },
		{ "__SCT____perf_guest_get_ip", SCT_PG },
		{ "__SCK____perf_guest_get_ip", SC_PG_KEY },
		{ "perf_guest_cbs", PERF_GUEST_CBS },
		{ "__SCT__bpf_dispatcher_xdp_call", SCT_D },
		{ "__SCK__bpf_dispatcher_xdp_call", SC_D_KEY },
		{ "bpf_dispatcher_xdp", DISP }, { "bpf_kallsyms", BPF_KSYMS },
		{ "bpf_dispatcher_nop_func", D_NOP2 },
		{ "__start_static_call_sites", SC_SITES },
		{ "__stop_static_call_sites", SC_SITES + 8 },
		{ "modules", MODULES },
		{ "optprobe_template_entry", OPT_TMPL },
		{ "optprobe_template_clac", OPT_CLAC },
		{ "optprobe_template_val", OPT_VAL },
		{ "optprobe_template_call", OPT_CALL },
		{ "optprobe_template_end", OPT_END },
		{ "optimized_callback", OPT_CB },
		{ "kprobe_optinsn_slots", OPT_SLOTS },
		{ "optimizing_list", OPT_QUEUE },
		{ "bp_desc", BP_DESC }, { "tp_vec", TP_VEC },
		{ "tp_vec_nr", TP_VEC_NR },
		{ "removed_ops", REMOVED_OPS }, { "ftrace_lock", FTRACE_LOCK },
		{ "tracepoints_mutex", TP_LOCK },
		{ "kprobe_insn_slots", KP_SLOTS },
		{ "kprobe_emulate_ifmodifiers", KP_EMU },
		{ "kprobe_emulate_ret", KP_EMU + 8 },
		{ "kprobe_emulate_call", KP_EMU + 16 },
		{ "kprobe_emulate_jmp", KP_EMU + 24 },
		{ "kprobe_emulate_jcc", KP_EMU + 32 },
		{ "kprobe_emulate_loop", KP_EMU + 40 },
		{ "kprobe_emulate_call_indirect", KP_EMU + 48 },
		{ "kprobe_emulate_jmp_indirect", KP_EMU + 56 },
	};
	test_symmap_load(syms, ARRAY_SIZE(syms), &v.symmap);
	v.info.text_va = KBASE;
	ksym_init(syms, ARRAY_SIZE(syms));
}

static void patching_guest_init(void)
{
	guest_init();
	v.btf = build_btf();
	symbols_init();
}

/*
 * ftrace_caller's template, and the trampoline create_trampoline() would
 * make of it for OPS: its ops pointer after a 1-byte ret, the op
 * reference pointing there, the call to the ops' function, and the call
 * out of the template relocated.
 */
static void tramp_init(void)
{
	const u64 size = FTRACE_END - FTRACE_CALLER, ptr = TRAMP + size + 1;
	u8 *tr = at(TRAMP);
	s32 disp;

	put_bytes(FTRACE_OP_PTR, "\x48\x8b\x15\0\0\0\0", 7);
	put_branch(FTRACE_RELOC, 0xe8, KBASE + 0x800);
	memcpy(tr, at(FTRACE_CALLER), size);
	tr[size] = 0xc3;
	put(ptr, OPS);
	disp = (s32)(ptr - (TRAMP + (FTRACE_OP_PTR - FTRACE_CALLER) + 7));
	memcpy(tr + (FTRACE_OP_PTR - FTRACE_CALLER) + 3, &disp, 4);
	put_branch(TRAMP + (FTRACE_CALL - FTRACE_CALLER), 0xe8, OPS_FUNC);
	put_branch(TRAMP + (FTRACE_RELOC - FTRACE_CALLER), 0xe8, KBASE + 0x800);
}

/* A 6.1-style module: one core allocation of 4 KiB, its text the first 2. */
static void mod_init(u64 mod, u64 base, const char *name)
{
	put_bytes(mod + 16, name, strlen(name) + 1);
	put(mod + 80, base);
	put(mod + 88, 0x1000 | 0x800ULL << 32);		/* size, text_size */
	put(mod + 112, mod + 112);			/* no users */
	put(mod + 120, mod + 112);
}

/*
 * Static calls: key foo (kernel data, kfunc) with its trampoline and an
 * inline site; tracepoint bar's key (its one probe kfunc2); modules MOD
 * (text has MODULE_CODE) and MOD_K (owns MOD_K_KEY), on the list.
 */
static void sc_init(void)
{
	s32 rel;

	put(SC_KEY, KFUNC);
	put_branch(SCT, 0xe9, KFUNC);
	put_branch(SC_SITE, 0xe8, KFUNC);
	rel = (s32)(SC_SITE - SC_SITES);
	put_bytes(SC_SITES, &rel, 4);
	rel = (s32)(SC_KEY - (SC_SITES + 4));
	put_bytes(SC_SITES + 4, &rel, 4);
	put(SC_TP_KEY, KFUNC2);
	put_branch(SCT_TP, 0xe9, KFUNC2);
	put(TP + 24, SC_TP_KEY);			/* static_call_key */
	put(TP + 64, TP_FUNCS);				/* funcs */
	put(TP_FUNCS, KFUNC2);
	put(MODULES, MOD);
	put(MODULES + 8, MOD_K);
	put(MOD, MOD_K);
	put(MOD + 8, MODULES);
	put(MOD_K, MODULES);
	put(MOD_K + 8, MOD);
	mod_init(MOD, MODULE_CODE, "user");
	mod_init(MOD_K, MOD_K_KEY & ~0xfffULL, "owner");
}

/* The static call site table's key for SC_SITE. */
static void sc_site_key(u64 key)
{
	s32 rel = (s32)(key - (SC_SITES + 4));

	put_bytes(SC_SITES + 4, &rel, 4);
}

/* mov 0x10(%rip),%rax: the probed instruction, rip-relative. */
static const u8 opt_orig[OPT_SIZE] = { 0x48, 0x8b, 0x05, 0x10, 0, 0, 0 };

/*
 * An optimized kprobe at OPT_ADDR: its JMP to a detour in SLOT (the one
 * optprobe insn page), the detour as arch_prepare_optimized_kprobe()
 * writes it (template, mov $op, call optimized_callback, the probed
 * instruction relocated, jmp back), the displaced bytes in the probe.
 */
static void opt_init(void)
{
	const u64 t = OPT_END - OPT_TMPL, val = OPT_VAL - OPT_TMPL;
	u8 *d = at(SLOT);
	s32 disp;
	u64 i;

	for (i = 0; i < t; i++)
		at(OPT_TMPL)[i] = 0x50 + i % 8;
	put_bytes(OPT_CLAC, "\x0f\x1f\x00", 3);
	memset(at(OPT_VAL), 0x90, 10);
	put_bytes(OPT_CALL, nop5, 5);
	memset(d, 0xcc, 0x1000);
	memcpy(d, at(OPT_TMPL), t);
	d[val] = 0x48;
	d[val + 1] = 0xbf;
	put(SLOT + val + 2, OPT_KP);
	put_branch(SLOT + (OPT_CALL - OPT_TMPL), 0xe8, OPT_CB);
	memcpy(d + t, opt_orig, OPT_SIZE);
	disp = 0x10 + (s32)(OPT_ADDR - (SLOT + t));
	memcpy(d + t + 3, &disp, 4);
	put_branch(SLOT + t + OPT_SIZE, 0xe9, OPT_ADDR + OPT_SIZE);
	memcpy(at(OPT_ADDR), opt_orig, OPT_SIZE);
	put_branch(OPT_ADDR, 0xe9, SLOT);
	put(KPROBE_TABLE + 5 * 8, OPT_KP);
	put(OPT_KP + 40, OPT_ADDR);
	put(OPT_KP + 120, 4);				/* OPTIMIZED */
	*at(OPT_KP + 124) = opt_orig[0];		/* opcode */
	put_bytes(OPT_KP + 144, opt_orig + 1, 4);	/* copied_insn */
	put(OPT_KP + 152, SLOT);			/* optinsn.insn */
	put(OPT_KP + 160, OPT_SIZE);			/* optinsn.size */
	put(OPT_SLOTS, INSN_PAGE);
	put(OPT_SLOTS + 8, INSN_PAGE);
	put(INSN_PAGE, OPT_SLOTS);
	put(INSN_PAGE + 8, OPT_SLOTS);
	put(INSN_PAGE + 16, SLOT);
	put(OPT_QUEUE, OPT_QUEUE);			/* optimizing_list: empty */
	put(OPT_QUEUE + 8, OPT_QUEUE);
}

/*
 * The kprobe insn page: KPROBE's slot (push %rbp, then int3) and the
 * optimized probe's (its rip-relative mov relocated to the slot, int3),
 * as arch_prepare_kprobe() writes them.
 */
static void kp_slots_init(void)
{
	s32 disp = 0x10 + (s32)(OPT_ADDR - (KP_INSN + 15));

	memset(at(KP_INSN), 0xcc, 0x1000);
	put_bytes(KP_INSN, "\x55\xcc", 2);
	memcpy(at(KP_INSN + 15), opt_orig, OPT_SIZE);
	memcpy(at(KP_INSN + 15 + 3), &disp, 4);
	memset(at(KPROBE_ADDR), 0xcc, 16);
	memset(at(KPROBE + AI_INSN), 0, 40);
	*at(KPROBE + 124) = 0x55;			/* opcode */
	put(KPROBE + AI_INSN, KP_INSN);
	*at(KPROBE + AI_SIZE) = 1;
	memset(at(OPT_KP + AI_INSN), 0, 40);
	put(OPT_KP + AI_INSN, KP_INSN + 15);
	*at(OPT_KP + AI_SIZE) = OPT_SIZE;
	put(KP_SLOTS, KP_PAGE);
	put(KP_SLOTS + 8, KP_PAGE);
	put(KP_PAGE, KP_SLOTS);
	put(KP_PAGE + 8, KP_SLOTS);
	put(KP_PAGE + 16, KP_INSN);
}

/* A consistent guest: every record valid, the text as at baseline. */
static void records_init(void)
{
	s32 rel;

	memset(ram + DATA_GPA, 0xcc, 0x2000);		/* text: int3 */
	memset(ram + DATA_GPA + 0x10000, 0, 0x40000);
	put_bytes(SITE_A, nop5, 5);
	put_bytes(JUMP_SITE, nop5, 5);
	put_bytes(FTRACE_CALL, nop5, 5);
	put(PAGES_START, FPAGE);
	put(FPAGE + 8, RECORDS);
	put(FPAGE + 16, 1);				/* index */
	put(RECORDS, SITE_A);
	put(OPS_LIST, OPS);
	put(LIST_END + 8, LIST_END);
	put(OPS, OPS_FUNC);
	put(OPS + 8, LIST_END);
	put(OPS + 24, OPS_HASH);
	put(OPS + 32, TRAMP);
	put(OPS_HASH + 8, HASH);
	put(HASH, 1);					/* size_bits */
	put(HASH + 8, BUCKETS);
	put(HASH + 16, 1);
	put(BUCKETS + 8, ENTRY);
	put(ENTRY + 16, SITE_A);
	put(KPROBE_TABLE + 3 * 8, KPROBE);
	put(KPROBE + 40, KPROBE_ADDR);
	put(KPROBE + 64, OPS_FUNC);			/* pre_handler */
	rel = (s32)(JUMP_SITE - JUMP_TABLE);
	put_bytes(JUMP_TABLE, &rel, 4);
	rel = (s32)(JUMP_TARGET - (JUMP_TABLE + 4));
	put_bytes(JUMP_TABLE + 4, &rel, 4);
	tramp_init();
	sc_init();
	opt_init();
	kp_slots_init();
}

/* Whether the bytes now at [@va, @va + @len) are explained against @old. */
static bool explain(u64 va, u64 len, const u8 *old)
{
	struct patching *p;
	bool ok;

	if (patching_new(&v, &p))
		exit(KSFT_FAIL);
	ok = patching_explain(p, va, len, old, at(va));
	patching_free(p);
	return ok;
}

static void test_sites(void)
{
	u8 old[16];

	records_init();
	memcpy(old, at(SITE_A), 10);
	put_branch(SITE_A, 0xe8, FTRACE_CALLER);
	ksft_test_result(explain(SITE_A, 5, old),
			 "ftrace site: NOP -> call ftrace_caller explained\n");
	put_branch(SITE_A, 0xe8, TRAMP);
	ksft_test_result(explain(SITE_A, 5, old),
			 "ftrace site: call to a registered ops' trampoline explained\n");
	*at(TRAMP + 0x8) ^= 1;
	ksft_test_result(!explain(SITE_A, 5, old),
			 "ftrace site: call to a trampoline that is not ftrace_caller's copy is not explained\n");
	*at(TRAMP + 0x8) ^= 1;
	put_branch(TRAMP + (FTRACE_CALL - FTRACE_CALLER), 0xe8, MODULE_CODE);
	ksft_test_result(!explain(SITE_A, 5, old),
			 "ftrace site: call to a trampoline calling elsewhere is not explained\n");
	put_branch(TRAMP + (FTRACE_CALL - FTRACE_CALLER), 0xe8, OPS_FUNC);
	put_branch(SITE_A, 0xe8, MODULE_CODE);
	ksft_test_result(!explain(SITE_A, 5, old),
			 "ftrace site: call elsewhere is not explained\n");
	put_branch(SITE_A, 0xe8, FTRACE_CALLER);
	put_branch(JUMP_SITE, 0xe9, JUMP_TARGET);
	ksft_test_result(explain(SITE_A, 10, old),
			 "a run over an ftrace site and a jump label next to it explained\n");
	put_branch(JUMP_SITE, 0xe9, JUMP_TARGET + 8);
	ksft_test_result(!explain(SITE_A, 10, old),
			 "jump label: JMP to another target is not explained\n");
	put_bytes(JUMP_SITE, nop5, 5);
	*at(SITE_A + 5) = 0x90;
	ksft_test_result(!explain(SITE_A, 6, old),
			 "a changed byte just after a site is not explained\n");
	memcpy(at(SITE_A), old, 10);
	ksft_test_result(explain(SITE_A, 10, NULL) && !explain(SITE_A, 11, NULL),
			 "without old bytes every byte must be a site's\n");

	*at(KPROBE_ADDR) = 0xcc;
	old[0] = 0x55;
	ksft_test_result(explain(KPROBE_ADDR, 1, old),
			 "kprobe: int3 at a registered probe explained\n");
	*at(KPROBE + 124) = 0x57;
	ksft_test_result(!explain(KPROBE_ADDR, 1, old),
			 "kprobe: int3 of a probe that saved another byte than the baseline's is not explained\n");
	*at(KPROBE + 124) = 0x55;
	ksft_test_result(!explain(KPROBE_ADDR + 1, 1, old),
			 "int3 next to a probe is not explained\n");

	memcpy(old, at(FTRACE_CALL), 5);
	put_branch(FTRACE_CALL, 0xe8, OPS_FUNC);
	ksft_test_result(explain(FTRACE_CALL, 5, old),
			 "ftrace_call: call to a registered ops' function explained\n");
	put_branch(FTRACE_CALL, 0xe8, MODULE_CODE);
	ksft_test_result(!explain(FTRACE_CALL, 5, old),
			 "ftrace_call: call elsewhere is not explained\n");
}

/*
 * The records' sort order is kept on the handle from one check to the
 * next; records that changed since (moved, added, read in another
 * order) are sorted anew: each check judges by the records it read.
 */
static void test_site_order(void)
{
	u8 old[5];

	records_init();
	memcpy(old, nop5, 5);
	put_branch(SITE_A, 0xe8, FTRACE_CALLER);
	put_branch(SITE_B, 0xe8, FTRACE_CALLER);
	put_branch(SITE_C, 0xe8, FTRACE_CALLER);
	ksft_test_result(explain(SITE_A, 5, old) && v.site_order,
			 "sorted records: the order is kept on the handle\n");
	put(RECORDS, SITE_B);		/* same place in the order */
	ksft_test_result(explain(SITE_B, 5, old) && !explain(SITE_A, 5, old),
			 "a record moved, still in the old order: its new site explained, the old not\n");
	put(RECORDS, SITE_C);		/* past the jump label */
	ksft_test_result(explain(SITE_C, 5, old) && !explain(SITE_B, 5, old),
			 "a record moved out of the old order: sorted anew, its new site explained, the old not\n");
	put(FPAGE + 16, 2);
	put(RECORDS + 16, SITE_A);
	ksft_test_result(explain(SITE_A, 5, old) && explain(SITE_C, 5, old),
			 "a record added: both sites explained\n");
	put(RECORDS, SITE_A);
	put(RECORDS + 16, SITE_C);
	ksft_test_result(explain(SITE_A, 5, old) && explain(SITE_C, 5, old) &&
			 !explain(SITE_B, 5, old),
			 "the same records read in another order: both explained, nothing else\n");
	put(FPAGE + 16, 1);
	put(RECORDS + 16, 0);
	put_bytes(SITE_B, nop5, 5);
	put_bytes(SITE_C, nop5, 5);
}

/* explain(), and whether the refusal named @what. */
static bool refused_naming(u64 va, u64 len, const u8 *old, const char *what)
{
	struct patching *p;
	const char *why;
	bool named;

	if (patching_new(&v, &p))
		exit(KSFT_FAIL);
	named = !patching_explain(p, va, len, old, at(va)) &&
		(why = patching_rejected(p)) && strstr(why, what);
	patching_free(p);
	return named;
}

/*
 * A call to __static_call_update(&@key, tramp, @func) at SC_UPD_SITE, as
 * gcc compiles static_call_update(): mov $key,%rdi; lea func(%rip),%rdx.
 */
static void put_update_site(u64 key, u64 func)
{
	u8 insn[14] = { 0x48, 0xc7, 0xc7, 0, 0, 0, 0, 0x48, 0x8d, 0x15 };
	s32 imm = (s32)key, rel = (s32)(func - (SC_UPD_SITE + 14));

	memcpy(insn + 3, &imm, 4);
	memcpy(insn + 10, &rel, 4);
	put_bytes(SC_UPD_SITE, insn, sizeof(insn));
	put_branch(SC_UPD_SITE + sizeof(insn), 0xe8, SC_UPDATE);
}

/*
 * kvm's perf guest callbacks: kernel key __SCK____perf_guest_get_ip
 * calling MOD's code, explained only by the get_ip member of the struct
 * perf_guest_cbs points to, a struct in that module's memory.
 */
static void test_perf_guest_cbs(void)
{
	const u64 cbs = MODULE_CODE + 0x900;	/* MOD's data */
	u8 old[5];

	records_init();
	memcpy(old, at(SCT_PG), 5);
	put(SC_PG_KEY, MODULE_CODE);
	put_branch(SCT_PG, 0xe9, MODULE_CODE);
	put(cbs + 8, MODULE_CODE);
	ksft_test_result(refused_naming(SCT_PG, 5, old, "__SCK____perf_guest_get_ip"),
			 "perf guest key calling module code, no callbacks registered: refused\n");
	put(PERF_GUEST_CBS, cbs);
	ksft_test_result(explain(SCT_PG, 5, old),
			 "the same explained when perf_guest_cbs->get_ip, in that module, is it (kvm)\n");
	put(cbs + 8, MODULE_CODE + 0x10);
	ksft_test_result(!explain(SCT_PG, 5, old),
			 "perf_guest_cbs->get_ip another function: not explained\n");
	put(KBASE + 0x13300 + 8, MODULE_CODE);
	put(PERF_GUEST_CBS, KBASE + 0x13300);
	ksft_test_result(!explain(SCT_PG, 5, old),
			 "callbacks struct outside any module: not explained\n");
	put(PERF_GUEST_CBS, 0);
}

static void test_static_calls(void)
{
	u8 old[5];

	records_init();
	put_branch(SCT, 0xe9, KFUNC2);
	memcpy(old, at(SCT), 5);
	put_branch(SCT, 0xe9, KFUNC);
	ksft_test_result(refused_naming(SCT, 5, old, "not what it called at baseline"),
			 "static call trampoline: JMP to a kernel function no update site gives the key refused (code reuse)\n");
	put_update_site(SC_TP_KEY, KFUNC);
	ksft_test_result(!explain(SCT, 5, old),
			 "an update site giving that function to another key explains nothing\n");
	put_update_site(SC_KEY, KFUNC);
	ksft_test_result(explain(SCT, 5, old),
			 "the same explained when a call to __static_call_update() in the text gives the key that function\n");
	put(SC_KEY, KFUNC + 3);
	put_branch(SCT, 0xe9, KFUNC + 3);
	ksft_test_result(refused_naming(SCT, 5, old, "__SCK__foo"),
			 "a key calling into the middle of a kernel function is refused, naming the key\n");
	put(SC_KEY, MODULE_CODE);
	put_branch(SCT, 0xe9, MODULE_CODE);
	ksft_test_result(refused_naming(SCT, 5, old, "0xffffffff81005000"),
			 "a kernel key calling module code is refused, naming the function\n");
	memcpy(old, at(SC_SITE), 5);
	put_branch(SC_SITE, 0xe8, MODULE_CODE);
	ksft_test_result(!explain(SC_SITE, 5, old),
			 "an inline site calling module code for a kernel key is not explained\n");

	sc_site_key(MOD_K_KEY);
	put(MOD_K_KEY, MODULE_CODE);
	ksft_test_result(!explain(SC_SITE, 5, old),
			 "module code for another module's key is not explained\n");
	put(MOD_K + 112, MOD_USE);			/* MOD_K's users: MOD */
	put(MOD_K + 120, MOD_USE);
	put(MOD_USE, MOD_K + 112);
	put(MOD_USE + 8, MOD_K + 112);
	put(MOD_USE + 32, MOD);
	ksft_test_result(explain(SC_SITE, 5, old),
			 "module code for the key of a module it uses explained (kvm_intel, kvm)\n");
	put(MOD_USE, MOD_USE);				/* a cycle, */
	put(MOD_USE + 32, MOD_K);			/* not MOD's */
	ksft_test_result(!explain(SC_SITE, 5, old),
			 "a cyclic module_use list explains nothing\n");
	sc_site_key(MOD_OWN_KEY);
	put(MOD_OWN_KEY, MODULE_CODE);
	ksft_test_result(explain(SC_SITE, 5, old),
			 "module code for the module's own key explained\n");
	put(MOD + 80, 0x1000);				/* a user address */
	ksft_test_result(!explain(SC_SITE, 5, old),
			 "a module at a user address owns nothing\n");

	records_init();
	memcpy(old, at(SCT_TP), 5);
	put(SC_TP_KEY, MODULE_CODE);
	put(TP_FUNCS, MODULE_CODE);
	put_branch(SCT_TP, 0xe9, MODULE_CODE);
	ksft_test_result(explain(SCT_TP, 5, old),
			 "a tracepoint's key calling its one probe in a module explained\n");
	put(TP_FUNCS + 24, KFUNC);
	ksft_test_result(!explain(SCT_TP, 5, old),
			 "the same with a second probe registered is not explained\n");
	put(TP_FUNCS + 24, 0);
	put(TP + 24, SC_KEY);
	ksft_test_result(!explain(SCT_TP, 5, old),
			 "a tracepoint that names another key explains nothing\n");
	test_perf_guest_cbs();
}

/* explain() against baseline @b: its text is scanned for update sites. */
static bool explain_base(u64 va, u64 len, const u8 *old,
			 const struct vmiaas_baseline *b)
{
	struct patching *p;
	bool ok;

	if (patching_new(&v, &p))
		exit(KSFT_FAIL);
	patching_use_baseline(p, b);
	ok = patching_explain(p, va, len, old, at(va));
	patching_free(p);
	return ok;
}

/*
 * The __static_call_update() scan reads the baseline's copy of the text,
 * not the guest's, once per handle and baseline (its salt); a mapped
 * baseline's copy is checked against its page MACs first.
 */
static void test_sc_update_memo(void)
{
	static u8 text[ETEXT - KBASE];
	struct vmiaas_baseline b = {
		.text_start = KBASE, .text_end = ETEXT, .text = text,
		.mac = BL_MAC_GMAC_AES128, .digest_size = 16,
		.salt = { 1 },
	};
	u8 old[5], zero[21] = { 0 };

	records_init();
	put_branch(SCT, 0xe9, KFUNC2);
	memcpy(old, at(SCT), 5);
	put_branch(SCT, 0xe9, KFUNC);
	put_update_site(SC_KEY, KFUNC);
	memcpy(text, at(KBASE), sizeof(text));
	put_bytes(SC_UPD_SITE, zero, sizeof(zero));	/* gone from the guest */
	ksft_test_result(explain_base(SCT, 5, old, &b) && v.sc_upd_memo,
			 "update site found in the baseline's text, the guest's erased: explained, kept on the handle\n");
	memset(text + (SC_UPD_SITE - KBASE), 0, sizeof(zero));
	ksft_test_result(explain_base(SCT, 5, old, &b),
			 "the same baseline again: the kept scan is used, the text not read again\n");
	b.salt[0] = 2;
	put_update_site(SC_KEY, KFUNC);			/* only in the guest */
	ksft_test_result(!explain_base(SCT, 5, old, &b),
			 "another baseline without the site: scanned anew; a site the guest added explains nothing\n");
	memcpy(text, at(KBASE), sizeof(text));
	b.salt[0] = 3;
	b.map = text;		/* "mapped": its page MACs are checked */
	b.text_digests = calloc(vmi_measure_nr_pages(KBASE, ETEXT), 16);
	if (!b.text_digests ||
	    bl_region_rehash(&b, KBASE, ETEXT, text, b.text_digests))
		exit(KSFT_FAIL);
	ksft_test_result(explain_base(SCT, 5, old, &b),
			 "a mapped baseline whose text matches its page MACs is scanned\n");
	b.salt[0] = 4;			/* new memo key, same page key */
	text[0] ^= 1;
	ksft_test_result(!explain_base(SCT, 5, old, &b),
			 "a mapped baseline text failing its page MACs is not trusted: nothing explained\n");
	free(b.text_digests);
	patching_memo_free(v.sc_upd_memo);
	v.sc_upd_memo = NULL;
	put_bytes(SC_UPD_SITE, zero, sizeof(zero));
}

/*
 * The XDP dispatcher: its key may call the current half of its image
 * (bpf_dispatcher_xdp.image + image_off, on bpf_kallsyms as
 * "bpf_dispatcher_xdp"), nothing else outside the text.
 */
static void test_bpf_dispatcher(void)
{
	u8 old[5];

	records_init();
	put(SC_D_KEY, KFUNC2);				/* the nop function */
	put_branch(SCT_D, 0xe9, KFUNC2);
	memcpy(old, at(SCT_D), 5);
	put(DISP + 16, D_IMAGE);
	put(DISP + 24, 2048);				/* image_off */
	put(DISP + 32, SC_D_KEY);
	put(BPF_KSYMS, D_KSYM + 0x50);			/* the ring: one ksym */
	put(BPF_KSYMS + 8, D_KSYM + 0x50);
	put(D_KSYM + 0x50, BPF_KSYMS);
	put(D_KSYM + 0x58, BPF_KSYMS);
	put(D_KSYM, D_IMAGE);
	put(D_KSYM + 8, D_IMAGE + 0x1000);
	put_bytes(D_KSYM + 16, "bpf_dispatcher_xdp", 19);
	put(SC_D_KEY, D_IMAGE + 2048);
	put_branch(SCT_D, 0xe9, D_IMAGE + 2048);
	ksft_test_result(explain(SCT_D, 5, old),
			 "XDP dispatcher key calling its image's current half: explained\n");
	put(DISP + 24, 0);
	ksft_test_result(explain(SCT_D, 5, old),
			 "the same while image_off is not switched yet: explained\n");
	put(SC_D_KEY, D_IMAGE + 0x100);
	put_branch(SCT_D, 0xe9, D_IMAGE + 0x100);
	ksft_test_result(!explain(SCT_D, 5, old),
			 "into the middle of the image: not explained\n");
	put(SC_D_KEY, D_IMAGE);
	put_branch(SCT_D, 0xe9, D_IMAGE);
	put(DISP + 32, SC_KEY);
	ksft_test_result(!explain(SCT_D, 5, old),
			 "a dispatcher naming another key: not explained\n");
	put(DISP + 32, SC_D_KEY);
	put_bytes(D_KSYM + 16, "bpf_trampoline_", 16);
	ksft_test_result(!explain(SCT_D, 5, old),
			 "an image whose ksym is not the dispatcher's: not explained\n");
	put(D_KSYM + 0x50, D_KSYM + 0x50);		/* a ring cycle */
	ksft_test_result(!explain(SCT_D, 5, old),
			 "a cyclic bpf_kallsyms explains nothing\n");
	put(SC_D_KEY, D_NOP2);		/* dispatcher.c's copy of the nop */
	put_branch(SCT_D, 0xe9, D_NOP2);
	ksft_test_result(explain(SCT_D, 5, old),
			 "the dispatcher key back at another copy of bpf_dispatcher_nop_func: explained\n");
	put_branch(SCT, 0xe9, KFUNC2);
	memcpy(old, at(SCT), 5);
	put(SC_KEY, D_NOP2);
	put_branch(SCT, 0xe9, D_NOP2);
	ksft_test_result(!explain(SCT, 5, old),
			 "another key calling bpf_dispatcher_nop_func: not explained\n");
}

/* patching_kprobe_hooks(): how many; the first's detour, bad byte, target. */
static int kprobe_detour_hooks(int *ret_err, u64 *ret_bad, u64 *ret_target)
{
	struct patching_kprobe_hook *k;
	size_t nr = 0;

	*ret_err = patching_kprobe_hooks(&v, &k, &nr);
	*ret_bad = nr && k[0].detour == SLOT ? k[0].bad_at : 0;
	*ret_target = nr ? k[0].handler : 0;
	free(k);
	return nr;
}

static void test_optprobes(void)
{
	const u64 t = OPT_END - OPT_TMPL;
	u64 bad, target;
	u8 old[OPT_SIZE];
	int err, n;

	records_init();
	memcpy(old, opt_orig, OPT_SIZE);
	n = kprobe_detour_hooks(&err, &bad, &target);
	ksft_test_result(explain(OPT_ADDR, 5, old) && !err && !n,
			 "optimized kprobe: JMP to the kernel's detour (relocated copy) explained, no hook (%d, %d)\n",
			 err, n);
	put_bytes(SLOT + (OPT_CLAC - OPT_TMPL), "\x0f\x01\xca", 3);
	n = kprobe_detour_hooks(&err, &bad, &target);
	ksft_test_result(explain(OPT_ADDR, 5, old) && !n,
			 "a detour with CLAC explained\n");
	put_branch(SLOT + (OPT_CALL - OPT_TMPL), 0xe8, MODULE_CODE);
	n = kprobe_detour_hooks(&err, &bad, &target);
	ksft_test_result(!explain(OPT_ADDR, 5, old) && n == 1 &&
			 bad == SLOT + (OPT_CALL - OPT_TMPL) && target == MODULE_CODE,
			 "a detour calling module code: not explained, a hook naming the call and its target\n");
	opt_init();
	*at(SLOT + 1) ^= 0x40;
	n = kprobe_detour_hooks(&err, &bad, &target);
	ksft_test_result(!explain(OPT_ADDR, 5, old) && n == 1 && bad == SLOT + 1,
			 "a template byte changed in the detour: a hook from that byte\n");
	opt_init();
	put(SLOT + (OPT_VAL - OPT_TMPL) + 2, OPT_KP + 8);
	n = kprobe_detour_hooks(&err, &bad, &target);
	ksft_test_result(n == 1, "a detour passing another optimized_kprobe: a hook\n");
	opt_init();
	*at(SLOT + t) = 0x49;				/* mov to %r8 */
	n = kprobe_detour_hooks(&err, &bad, &target);
	ksft_test_result(!explain(OPT_ADDR, 5, old) && n == 1 && bad == SLOT + t,
			 "a detour running other instructions: a hook\n");
	opt_init();
	put_branch(SLOT + t + OPT_SIZE, 0xe9, MODULE_CODE);
	n = kprobe_detour_hooks(&err, &bad, &target);
	ksft_test_result(n == 1 && target == MODULE_CODE,
			 "a detour jumping elsewhere after the copy: a hook naming where\n");
	opt_init();
	put(OPT_KP + 160, 1000);
	n = kprobe_detour_hooks(&err, &bad, &target);
	ksft_test_result(!explain(OPT_ADDR, 5, old) && n == 1,
			 "an optinsn.size of 1000 is refused\n");
	opt_init();
	put(OPT_KP + 152, SLOT + 0x1000);
	put_branch(OPT_ADDR, 0xe9, SLOT + 0x1000);
	n = kprobe_detour_hooks(&err, &bad, &target);
	ksft_test_result(!explain(OPT_ADDR, 5, old) && n == 1,
			 "a detour outside the optprobe pages: not explained, a hook\n");
	opt_init();
	put(INSN_PAGE, INSN_PAGE);			/* a cycle */
	n = kprobe_detour_hooks(&err, &bad, &target);
	ksft_test_result(!explain(OPT_ADDR, 5, old) && err == -ELOOP,
			 "a cyclic optprobe page list: nothing explained, the hooks check fails (%d)\n",
			 err);
	opt_init();
	put_branch(OPT_ADDR, 0xe9, SLOT + 0x10);
	ksft_test_result(!explain(OPT_ADDR, 5, old),
			 "a JMP at the probe to elsewhere in the detour page is not explained\n");
}

/* patching_explain() of the optimized probe's site; *ret_waiting as counted. */
static bool explain_waiting(const u8 *old, size_t *ret_waiting)
{
	struct patching *p;
	bool ok;

	if (patching_new(&v, &p))
		exit(KSFT_FAIL);
	ok = patching_explain(p, OPT_ADDR, 5, old, at(OPT_ADDR));
	*ret_waiting = patching_kprobes_waiting(p);
	patching_free(p);
	return ok;
}

/*
 * A probe flagged OPTIMIZED that still waits on optimizing_list: its site
 * is int3 and the probed bytes, its copied_insn not saved yet (zeroes).
 */
static void opt_waiting_init(void)
{
	opt_init();
	memcpy(at(OPT_ADDR), opt_orig, OPT_SIZE);
	*at(OPT_ADDR) = 0xcc;
	memset(at(OPT_KP + 144), 0, 4);
	put(OPT_QUEUE, OPT_KP + 128);			/* &op->list */
	put(OPT_QUEUE + 8, OPT_KP + 128);
	put(OPT_KP + 128, OPT_QUEUE);
	put(OPT_KP + 136, OPT_QUEUE);
}

static void test_optprobe_waiting(void)
{
	u64 bad, target;
	size_t waiting;
	u8 old[OPT_SIZE];
	int err, n;

	records_init();
	memcpy(old, opt_orig, OPT_SIZE);
	opt_waiting_init();
	n = kprobe_detour_hooks(&err, &bad, &target);
	ksft_test_result(explain_waiting(old, &waiting) && waiting == 1 && !err && !n,
			 "an optimized kprobe waiting on optimizing_list (int3, no copied_insn yet): explained, counted, no hook (%d, %d)\n",
			 err, n);
	put(OPT_QUEUE, OPT_QUEUE);
	put(OPT_QUEUE + 8, OPT_QUEUE);
	n = kprobe_detour_hooks(&err, &bad, &target);
	ksft_test_result(!explain_waiting(old, &waiting) && n == 1,
			 "the same probe not on optimizing_list: not explained, a hook\n");
	opt_waiting_init();
	put(OPT_KP + 128, OPT_KP + 128);		/* a cycle */
	n = kprobe_detour_hooks(&err, &bad, &target);
	ksft_test_result(!explain_waiting(old, &waiting) && n == 1,
			 "a cyclic optimizing_list: the probe judged by copied_insn, a hook\n");
	opt_waiting_init();
	at(OPT_ADDR)[3] ^= 0x01;
	at(SLOT + (OPT_END - OPT_TMPL))[3] ^= 0x01;
	n = kprobe_detour_hooks(&err, &bad, &target);
	ksft_test_result(!explain_waiting(old, &waiting) && n == 1 && !bad,
			 "a waiting probe whose text and detour both changed after the int3: not explained, its instruction slot a hook\n");
	opt_waiting_init();
	put_branch(OPT_ADDR, 0xe9, SLOT);
	*at(OPT_ADDR) = 0xcc;
	put_bytes(OPT_KP + 144, opt_orig + 1, 4);
	ksft_test_result(explain_waiting(old, &waiting) && !waiting,
			 "int3 and the JMP's displacement (text_poke_bp() writing it): explained\n");
	put_branch(OPT_ADDR, 0xe9, SLOT + 0x10);
	*at(OPT_ADDR) = 0xcc;
	ksft_test_result(!explain_waiting(old, &waiting),
			 "int3 and a displacement elsewhere: not explained\n");
	opt_init();
	memcpy(at(OPT_ADDR), opt_orig, OPT_SIZE);
	*at(OPT_ADDR) = 0xcc;
	at(OPT_ADDR)[2] ^= 0x01;
	at(SLOT + (OPT_END - OPT_TMPL))[2] ^= 0x01;
	put_bytes(OPT_KP + 144, at(OPT_ADDR) + 1, 4);
	n = kprobe_detour_hooks(&err, &bad, &target);
	ksft_test_result(!explain_waiting(old, &waiting) && n == 1 && !bad,
			 "an optimized probe's int3 over changed bytes (copied_insn and detour to match): not explained, its instruction slot a hook\n");
	opt_init();
	memcpy(old, at(OPT_ADDR), 5);			/* baseline: the JMP */
	memcpy(at(OPT_ADDR), opt_orig, OPT_SIZE);
	*at(OPT_ADDR) = 0xcc;
	ksft_test_result(explain_waiting(old, &waiting),
			 "baseline with the JMP, now int3 and the probed bytes (unoptimizing): explained\n");
}

/*
 * patching_explain() of a run as a page read saw it (@seen), while the
 * guest holds what it holds now; *ret_reverted the bytes found back to
 * the baseline's when read again (from the probe's site at OPT_ADDR; -1
 * if they began elsewhere).
 */
static bool explain_seen(u64 va, u64 len, const u8 *old, const u8 *seen,
			 size_t *ret_reverted)
{
	struct patching *p;
	u64 first;
	bool ok;

	if (patching_new(&v, &p))
		exit(KSFT_FAIL);
	ok = patching_explain(p, va, len, old, seen);
	*ret_reverted = patching_reverted(p, &first);
	if (*ret_reverted && first != OPT_ADDR)
		*ret_reverted = (size_t)-1;	/* not the probe's site */
	patching_free(p);
	return ok;
}

/*
 * 52's storm under load: an ftrace site calling ftrace_caller, and right
 * after it the optimized probe's JMP (6.1) or int3 (6.12) in the page
 * read; by the time the ftrace site is judged, the probe is disarmed and
 * off kprobe_table, its bytes the baseline's again. Explained (the bytes
 * are the baseline's at the last read), and nothing that still differs:
 * a JMP there with no probe, or a probe's first byte restored over a
 * tail that is not.
 */
static void test_reverted(void)
{
	const u64 f = OPT_ADDR - 5;	/* an ftrace site right before the probe */
	u8 old[10], seen[10];
	size_t reverted;

	records_init();
	put(FPAGE + 16, 2);
	put(RECORDS + 16, f);
	memcpy(old, nop5, 5);			/* baseline: NOP, probed bytes */
	memcpy(old + 5, opt_orig, 5);
	put_branch(f, 0xe8, FTRACE_CALLER);
	memcpy(seen, at(f), 10);		/* the call, the JMP */
	ksft_test_result(explain_seen(f, 10, old, seen, &reverted) && !reverted,
			 "an ftrace call and an optimized probe's JMP after it: explained\n");
	put(KPROBE_TABLE + 5 * 8, 0);		/* the probe removed ... */
	memcpy(at(OPT_ADDR), opt_orig, 5);	/* ... its bytes restored */
	ksft_test_result(explain_seen(f, 10, old, seen, &reverted) && reverted == 5,
			 "the same run read, the probe since removed and its bytes the baseline's: explained, 5 bytes undone (%zu)\n",
			 reverted);
	seen[5] = 0xcc;
	memcpy(seen + 6, opt_orig + 1, 4);
	ksft_test_result(explain_seen(f, 6, old, seen, &reverted) && reverted == 1,
			 "an ftrace call and a probe's int3 read, the probe since removed: explained (%zu)\n",
			 reverted);
	put(KPROBE_TABLE + 5 * 8, OPT_KP);	/* still on the table, disarmed */
	ksft_test_result(explain_seen(f, 6, old, seen, &reverted) && reverted == 1,
			 "... the probe still on the table but its byte restored: explained\n");
	put(KPROBE_TABLE + 5 * 8, 0);
	put_branch(OPT_ADDR, 0xe9, MODULE_CODE);
	memcpy(seen, at(f), 10);
	ksft_test_result(!explain_seen(f, 10, old, seen, &reverted),
			 "a JMP to module code right after an ftrace call, no kprobe record: not explained\n");
	put_branch(OPT_ADDR, 0xe9, SLOT);
	memcpy(seen, at(f), 10);
	ksft_test_result(!explain_seen(f, 10, old, seen, &reverted),
			 "the kernel's detour JMP with no kprobe record: not explained\n");
	*at(OPT_ADDR) = opt_orig[0];
	ksft_test_result(!explain_seen(f, 10, old, seen, &reverted) && reverted == 1,
			 "its first byte restored, the displacement still there: not explained\n");
	put(FPAGE + 16, 1);
	put(RECORDS + 16, 0);
}

/*
 * A text_poke_bp_batch() in flight (bp_desc, refs 1) turning SITE_A from
 * a call to the ops' trampoline back into the NOP: int3 written, the
 * call's tail still behind it. Its one entry's handler emulates @opcode
 * to ip + 5 + @disp; @old is the first byte the int3 replaced.
 */
static void poke_init(u8 opcode, s32 disp, u8 old)
{
	u8 *e = at(TP_VEC);
	s32 rel = (s32)(SITE_A - KBASE);

	put(BP_DESC, TP_VEC);
	put(BP_DESC + 8, 1 | 1ULL << 32);		/* nr_entries, refs */
	memcpy(e, &rel, 4);
	memcpy(e + 4, &disp, 4);
	e[8] = 5;					/* len */
	e[9] = opcode;
	memcpy(e + 10, nop5, 5);			/* text */
	e[15] = old;
	put_branch(SITE_A, 0xe8, TRAMP);
	*at(SITE_A) = 0xcc;
}

/*
 * The records (bp_desc with no batch) read by a first explain, the 8
 * waits of a check used up by 8 unexplained int3, then the batch begins:
 * SITE_A judged with the same context.
 */
static bool explain_late_batch(const u8 *old)
{
	struct patching *p;
	u8 probe_old = 0x55;
	bool ok;
	int i;

	records_init();
	put_branch(SITE_A, 0xe8, TRAMP);
	*at(KPROBE_ADDR + 1) = 0xcc;
	if (patching_new(&v, &p))
		exit(KSFT_FAIL);
	for (i = 0; i < 8; i++)
		patching_explain(p, KPROBE_ADDR + 1, 1, &probe_old,
				 at(KPROBE_ADDR + 1));
	poke_init(0xe9, 0, 0xe8);
	ok = patching_explain(p, SITE_A, 5, old, at(SITE_A));
	patching_free(p);
	return ok;
}

static void test_pokes(void)
{
	u8 old[5];

	records_init();
	memcpy(old, at(SITE_A), 5);
	poke_init(0xe9, 0, 0xe8);
	ksft_test_result(explain(SITE_A, 5, old),
			 "a site a text_poke_bp batch rewrites (int3, the old call's tail; the NOP emulated as JMP +0): explained\n");
	put(BP_DESC + 8, 1);				/* refs 0 */
	ksft_test_result(!explain(SITE_A, 5, old),
			 "the same site with no batch in flight (refs 0): not explained\n");
	poke_init(0xe8, (s32)(MODULE_CODE - (SITE_A + 5)), 0xe8);
	ksft_test_result(!explain(SITE_A, 5, old),
			 "an entry whose text is the NOP but whose handler would call module code: not explained\n");
	poke_init(0xe9, 0x40, 0xe8);
	ksft_test_result(!explain(SITE_A, 5, old),
			 "an entry whose text is the NOP but whose handler would jump 0x40 on: not explained\n");
	poke_init(0xe9, 0, 0x0f);
	ksft_test_result(!explain(SITE_A, 5, old),
			 "an entry whose old first byte does not make the tail an allowed instruction: not explained\n");
	ksft_test_result(explain_late_batch(old),
			 "a batch begun after the records were read, the re-reads used up: explained\n");
	poke_init(0xe9, 0, 0xe8);
	put(BP_DESC + 8, 600 | 1ULL << 32);
	ksft_test_result(!explain(SITE_A, 5, old),
			 "a batch of 600 entries (the kernel's TP_VEC_MAX is 256): not explained\n");
}

/* What ftrace_shutdown() does after ftrace_hash_rec_disable(): */
static void *ops_to_removed(void *arg)
{
	usleep(*(unsigned int *)arg);
	put(REMOVED_OPS, OPS);
	return arg;
}

/*
 * The window of ftrace_shutdown() between taking the ops off
 * ftrace_ops_list and putting it in removed_ops: SITE_A still calls the
 * ops' trampoline, no record names the ops; ftrace_lock held or not. A
 * thread plays the kernel and ends the window @ends_us later (0: never).
 */
/*
 * explain() of the 5 bytes at @site (@old at baseline) while the mutex
 * at @lock is held or not, and a thread playing the kernel runs @kernel
 * @ends_us later (0: never).
 */
static bool explain_locked(u64 site, const u8 *old, u64 lock, bool held,
			   void *(*kernel)(void *), unsigned int ends_us)
{
	pthread_t t;
	bool ok;

	put(lock, held ? KBASE + 0x50000 : 0);	/* owner */
	if (ends_us && pthread_create(&t, NULL, kernel, &ends_us))
		exit(KSFT_FAIL);
	ok = explain(site, 5, old);
	if (ends_us)
		pthread_join(t, NULL);
	return ok;
}

static bool explain_window(bool held, unsigned int ends_us)
{
	u8 old[5];

	records_init();
	memcpy(old, at(SITE_A), 5);
	put_branch(SITE_A, 0xe8, TRAMP);
	put(OPS_LIST, LIST_END);
	return explain_locked(SITE_A, old, FTRACE_LOCK, held, ops_to_removed,
			      ends_us);
}

static void *tp_publish(void *arg)
{
	usleep(*(unsigned int *)arg);
	put(TP_FUNCS, KFUNC);
	put(TP_LOCK, 0);
	return arg;
}

/*
 * tracepoint_add_func()'s window (0 to 1 probe): the key, its trampoline
 * and sites already call the new probe KFUNC, tp->funcs does not list it
 * yet; tracepoints_mutex held or not. The kernel publishes the probe
 * and frees the lock @ends_us later (0: never).
 */
static bool explain_tp_window(bool held, unsigned int ends_us)
{
	u8 old[5];

	records_init();
	memcpy(old, at(SCT_TP), 5);
	put(SC_TP_KEY, KFUNC);
	put_branch(SCT_TP, 0xe9, KFUNC);
	return explain_locked(SCT_TP, old, TP_LOCK, held, tp_publish, ends_us);
}

/* Both windows, the kernel ending each under its lock, or not. */
static void test_lock_windows(void)
{
	patching_busy_wait_us = 20000;
	ksft_test_result(explain_window(true, 30000),
			 "ftrace_lock held, the ops in no record, then in removed_ops 30 ms later: explained\n");
	ksft_test_result(!explain_window(false, 2000000),
			 "the same with ftrace_lock free (removed_ops set 2 s later): not waited for, not explained\n");
	ksft_test_result(!explain_window(true, 0),
			 "ftrace_lock held and the ops never in a record: not explained\n");
	put(FTRACE_LOCK, 0);
	ksft_test_result(explain_tp_window(true, 30000),
			 "tracepoints_mutex held, the key calling a probe tp->funcs lists 30 ms later: explained\n");
	ksft_test_result(!explain_tp_window(false, 2000000),
			 "the same with tracepoints_mutex free: not waited for, not explained\n");
	ksft_test_result(!explain_tp_window(true, 0),
			 "tracepoints_mutex held and the probe never listed: not explained\n");
	put(TP_LOCK, 0);
	patching_busy_wait_us = 0;
}

/* patching_kprobe_hooks(): how many; the first's slot, bad byte, target. */
static int kprobe_slot_hooks(int *ret_err, u64 *ret_slot, u64 *ret_bad,
			     u64 *ret_target)
{
	struct patching_kprobe_hook *k;
	size_t nr = 0;

	*ret_err = patching_kprobe_hooks(&v, &k, &nr);
	*ret_slot = nr ? k[0].slot : 0;
	*ret_bad = nr ? k[0].bad_at : 0;
	*ret_target = nr ? k[0].handler : 0;
	free(k);
	return nr;
}

/* KPROBE probing @insn (@len bytes): its site int3, its slot the copy. */
static void kp_probe(const u8 *insn, u32 len, u64 emulate, u8 op, s32 rel32)
{
	kp_slots_init();
	memcpy(at(KPROBE_ADDR), insn, len);
	*at(KPROBE_ADDR) = 0xcc;
	*at(KPROBE + 124) = insn[0];
	memcpy(at(KP_INSN), insn, len);
	*at(KPROBE + AI_SIZE) = len;
	put(KPROBE + AI_EMULATE, emulate);
	*at(KPROBE + AI_OP) = op;
	memcpy(at(KPROBE + AI_REL32), &rel32, 4);
}

static void test_kprobe_slots(void)
{
	static const u8 call[] = { 0xe8, 0x00, 0x01, 0x00, 0x00 };
	static const u8 je[] = { 0x0f, 0x84, 0x10, 0x00, 0x00, 0x00 };
	static const u8 call_r11[] = { 0x41, 0xff, 0xd3 };
	static const u8 nop15[] = { 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x2e,
				    0x0f, 0x1f, 0x84, 0, 0, 0, 0, 0 };
	u64 slot, bad, target;
	u8 old[1] = { 0x55 };
	int err, n;

	records_init();
	n = kprobe_slot_hooks(&err, &slot, &bad, &target);
	ksft_test_result(!err && !n,
			 "kprobe slots holding the probed instruction (one rip-relative, relocated) and an int3: no hook (%d, %d)\n",
			 err, n);
	put_branch(KP_INSN, 0xe9, MODULE_CODE);
	n = kprobe_slot_hooks(&err, &slot, &bad, &target);
	ksft_test_result(n == 1 && slot == KP_INSN && bad == KP_INSN &&
			 target == MODULE_CODE,
			 "a slot rewritten to jump to module code: a hook naming the slot and where it leads\n");
	kp_slots_init();
	*at(KP_INSN + 1) = 0x90;
	n = kprobe_slot_hooks(&err, &slot, &bad, &target);
	ksft_test_result(n == 1 && bad == KP_INSN + 1,
			 "a slot whose int3 after the copy is gone: a hook\n");
	put_branch(KP_INSN + 1, 0xe9, KPROBE_ADDR + 1);
	n = kprobe_slot_hooks(&err, &slot, &bad, &target);
	ksft_test_result(!err && !n, "a boosted slot (jmp back to the next instruction): no hook\n");
	put_branch(KP_INSN + 1, 0xe9, MODULE_CODE);
	n = kprobe_slot_hooks(&err, &slot, &bad, &target);
	ksft_test_result(n == 1 && target == MODULE_CODE,
			 "a slot jumping elsewhere after the copy: a hook naming where\n");
	kp_slots_init();
	at(KP_INSN + 15)[3]++;
	n = kprobe_slot_hooks(&err, &slot, &bad, &target);
	ksft_test_result(n == 1 && slot == KP_INSN + 15 && bad == KP_INSN + 18,
			 "a rip-relative copy relocated to another address: a hook\n");
	kp_slots_init();
	put(KPROBE + AI_INSN, MODULE_CODE);
	n = kprobe_slot_hooks(&err, &slot, &bad, &target);
	ksft_test_result(n == 1 && slot == MODULE_CODE,
			 "a copy outside the kprobe instruction pages: a hook\n");
	put(KPROBE + AI_INSN, KP_INSN + 8);
	n = kprobe_slot_hooks(&err, &slot, &bad, &target);
	ksft_test_result(n == 1, "a copy between two slots: a hook\n");
	put(KPROBE + AI_INSN, KP_INSN + 0xff8);
	n = kprobe_slot_hooks(&err, &slot, &bad, &target);
	ksft_test_result(n == 1, "a copy running off its page: a hook\n");
	kp_slots_init();
	*at(KPROBE + AI_SIZE) = 2;
	n = kprobe_slot_hooks(&err, &slot, &bad, &target);
	ksft_test_result(n == 1 && bad == KPROBE + AI_SIZE,
			 "an ainsn.size that is not the instruction's length: a hook\n");
	kp_slots_init();
	put(KPROBE + AI_EMULATE, KP_EMU + 24);
	n = kprobe_slot_hooks(&err, &slot, &bad, &target);
	ksft_test_result(n == 1 && target == KP_EMU + 24,
			 "push %%rbp emulated as a jmp: a hook naming the emulate_op\n");
	put(KPROBE + AI_EMULATE, MODULE_CODE);
	n = kprobe_slot_hooks(&err, &slot, &bad, &target);
	ksft_test_result(n == 1 && target == MODULE_CODE,
			 "an emulate_op in module code: a hook naming it\n");

	kp_probe(call, sizeof(call), KP_EMU + 16, 0, 0x100);
	n = kprobe_slot_hooks(&err, &slot, &bad, &target);
	ksft_test_result(!err && !n,
			 "a probed call emulated by kprobe_emulate_call with its displacement: no hook (%d, %d)\n",
			 err, n);
	kp_probe(call, sizeof(call), KP_EMU + 16, 0, 0x2000);
	n = kprobe_slot_hooks(&err, &slot, &bad, &target);
	ksft_test_result(n == 1 && bad == KPROBE + AI_REL32,
			 "an emulated call to another displacement: a hook\n");
	kp_probe(call, sizeof(call), 0, 0, 0);
	n = kprobe_slot_hooks(&err, &slot, &bad, &target);
	ksft_test_result(n == 1 && bad == KPROBE + AI_EMULATE,
			 "a call run from the slot instead of emulated: a hook\n");
	kp_probe(je, sizeof(je), KP_EMU + 32, 4, 0x10);
	n = kprobe_slot_hooks(&err, &slot, &bad, &target);
	ksft_test_result(!err && !n, "je rel32 emulated as jcc type 4: no hook\n");
	kp_probe(je, sizeof(je), KP_EMU + 32, 5, 0x10);
	n = kprobe_slot_hooks(&err, &slot, &bad, &target);
	ksft_test_result(n == 1 && bad == KPROBE + AI_OP,
			 "je emulated as jne: a hook\n");
	kp_probe(call_r11, sizeof(call_r11), KP_EMU + 48, 11, 0);
	n = kprobe_slot_hooks(&err, &slot, &bad, &target);
	ksft_test_result(!err && !n, "call *%%r11 emulated with register 11: no hook\n");
	kp_probe(call_r11, sizeof(call_r11), KP_EMU + 48, 3, 0);
	n = kprobe_slot_hooks(&err, &slot, &bad, &target);
	ksft_test_result(n == 1, "call *%%r11 emulated with register 3: a hook\n");

	kp_slots_init();
	*at(KPROBE + 124) = 0x57;
	*at(KP_INSN) = 0x57;
	n = kprobe_slot_hooks(&err, &slot, &bad, &target);
	ksft_test_result(!n && !explain(KPROBE_ADDR, 1, old),
			 "saved byte and slot rewritten alike: no hook without the text, the int3 not explained against the baseline\n");
	kp_probe(nop15, sizeof(nop15), 0, 0, 0);
	n = kprobe_slot_hooks(&err, &slot, &bad, &target);
	ksft_test_result(n == 1,
			 "a 15-byte instruction (no room for the int3 in a slot): a hook\n");
	kp_slots_init();
	*at(KPROBE + 124) = 0x06;			/* invalid in 64-bit */
	*at(KP_INSN) = 0x06;
	n = kprobe_slot_hooks(&err, &slot, &bad, &target);
	ksft_test_result(n == 1, "a probe on bytes that are no instruction: a hook\n");
	kp_slots_init();
	*at(KPROBE_ADDR) = 0x57;
	n = kprobe_slot_hooks(&err, &slot, &bad, &target);
	ksft_test_result(n == 1 && bad == KPROBE + 124,
			 "a disarmed probe whose saved byte is not the text's: a hook\n");
	kp_slots_init();
	put(KP_PAGE, KP_PAGE);				/* a cycle */
	kprobe_slot_hooks(&err, &slot, &bad, &target);
	ksft_test_result(err == -ELOOP,
			 "a cyclic kprobe insn page list: the hooks check fails (%d)\n", err);
	kp_slots_init();
}

static int nr_hooks(int *ret_err, u32 *ret_funcs)
{
	struct patching_hook *h;
	size_t nr = 0;

	*ret_err = patching_ftrace_hooks(&v, &h, &nr);
	*ret_funcs = nr ? h[0].nr_funcs : 0;
	if (nr && h[0].funcs[0] != SITE_A)
		*ret_funcs = 1000;
	free(h);
	return nr;
}

static int nr_kprobe_hooks(int *ret_err)
{
	struct patching_kprobe_hook *k;
	size_t nr = 0;

	*ret_err = patching_kprobe_hooks(&v, &k, &nr);
	free(k);
	return nr;
}

static void test_hooks(void)
{
	u32 funcs;
	int err, n;

	records_init();
	n = nr_hooks(&err, &funcs);
	ksft_test_result(!err && !n, "an ops with its callback in the text hooks nothing (%d, %d)\n",
			 err, n);
	put(OPS + 16, 1ULL << 12);			/* IPMODIFY */
	n = nr_hooks(&err, &funcs);
	ksft_test_result(!err && n == 1 && funcs == 1,
			 "an IPMODIFY ops hooks its filter function (%d, %d, %u)\n",
			 err, n, funcs);
	put(OPS + 16, 0);
	put(OPS, MODULE_CODE);
	n = nr_hooks(&err, &funcs);
	ksft_test_result(!err && n == 1, "a callback outside the text hooks (%d, %d)\n",
			 err, n);
	n = nr_kprobe_hooks(&err);
	ksft_test_result(!err && !n, "a kprobe with a text handler hooks nothing (%d, %d)\n",
			 err, n);
	put(KPROBE + 72, MODULE_CODE);			/* post_handler */
	n = nr_kprobe_hooks(&err);
	ksft_test_result(!err && n == 1, "a kprobe with a handler outside the text hooks (%d, %d)\n",
			 err, n);
}

static void test_hostile(void)
{
	struct patching *p;
	u8 old[5];
	u32 funcs;
	int err;

	records_init();
	memcpy(old, at(SITE_A), 5);
	put_branch(SITE_A, 0xe8, FTRACE_CALLER);
	put(FPAGE, FPAGE);				/* page->next = page */
	patching_new(&v, &p);
	ksft_test_result(!patching_explain(p, SITE_A, 5, old, at(SITE_A)) &&
			 patching_why(p),
			 "a cyclic ftrace page list explains nothing and says why\n");
	patching_free(p);
	put(FPAGE, 0);
	put(FPAGE + 16, 1U << 30);
	ksft_test_result(!explain(SITE_A, 5, old),
			 "an ftrace page with 2^30 records is refused\n");
	put(FPAGE + 16, 1);
	put(FPAGE + 8, 0x1000);
	ksft_test_result(!explain(SITE_A, 5, old),
			 "records at a user address are refused\n");
	put(FPAGE + 8, RECORDS);

	put(OPS + 8, OPS);				/* ops->next = ops */
	nr_hooks(&err, &funcs);
	ksft_test_result(err == -ELOOP, "a cyclic ftrace_ops list is -ELOOP (%d)\n", err);
	put(OPS + 8, LIST_END);
	put(OPS + 16, 1ULL << 12);
	put(HASH, 40);
	nr_hooks(&err, &funcs);
	ksft_test_result(err == -EBADMSG, "a 2^40-bucket filter hash is -EBADMSG (%d)\n", err);
	put(HASH, 1);
	put(ENTRY, ENTRY);				/* entry->next = entry */
	nr_hooks(&err, &funcs);
	ksft_test_result(err == -ELOOP, "a cyclic hash chain is -ELOOP (%d)\n", err);
	put(ENTRY, 0);
	put(KPROBE, KPROBE);				/* hlist->next = self */
	nr_kprobe_hooks(&err);
	ksft_test_result(err == -ELOOP, "a cyclic kprobe chain is -ELOOP (%d)\n", err);
}

/* Random records: every walk must end; ASan/UBSan catch the rest. */
static void test_random(void)
{
	u64 *w = (u64 *)(ram + DATA_GPA + 0x10000);
	u8 old[5] = { 0 };
	u32 i, n, funcs, ok = 0;
	int err;

	srand(7);
	for (n = 0; n < 300; n++) {
		for (i = 0; i < 0x40000 / 8; i++) {
			u64 r = (u64)rand() << 33 ^ (u64)rand() << 11 ^ rand();

			w[i] = rand() % 4 ? KBASE + 0x10000 +
					    (r % 0x40000 & ~7ULL) : r;
		}
		explain(SITE_A, 5, old);
		nr_hooks(&err, &funcs);
		nr_kprobe_hooks(&err);
		ok++;
	}
	ksft_test_result(ok == 300, "300 random memories: every walk ended\n");
}

int main(void)
{
	ksft_print_header();
	ksft_set_plan(126);
	/* a site that fails fails every read here: no waits between */
	patching_poke_wait_us = 0;
	patching_busy_wait_us = 0;
	patching_guest_init();
	test_sites();
	test_site_order();
	test_static_calls();
	test_sc_update_memo();
	test_bpf_dispatcher();
	test_optprobes();
	test_optprobe_waiting();
	test_reverted();
	test_pokes();
	test_lock_windows();
	test_kprobe_slots();
	test_hooks();
	test_hostile();
	test_random();
	patching_order_free(v.site_order);
	symmap_free(v.symmap);
	btf__free(v.btf);
	free(ram);
	ksft_finished();
}
