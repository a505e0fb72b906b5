// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * bpf-programs: a census of the guest's BPF programs (see bpf_census.h).
 *
 * eBPF rootkits change no kernel text: they load programs that call
 * bpf_probe_write_user, bpf_override_return or bpf_send_signal from a
 * syscall's tracepoint or kprobe, or hook LSM/fmod_ret. The verifier
 * rewrites each helper call to "call (helper - __bpf_call_base)" in the
 * program's kept instructions (prog->insnsi), so what a program can call
 * is read there, not trusted from any flag.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/btf.h>
#include <openssl/evp.h>

#include "bpf_attach.h"
#include "bpf_census.h"
#include "bpf_jit.h"
#include "list.h"
#include "u64set.h"

#define BPF_INSN_CALL		0x85	/* BPF_JMP | BPF_CALL */
#define BPF_INSN_SIZE		8
#define BPF_INSN_CHUNK		512	/* instructions read at once */
#define BPF_OFF_NONE		0xffffffffU	/* a member this kernel lacks */

struct bpf_layout {
	u32 p_type, p_eat, p_len, p_tag, p_aux, p_insnsi;
	u32 a_id, a_name, a_attach_func, a_ksym, a_func_cnt, a_func;
	u32 k_lnode, k_prog, k_name;
	u32 l_id, l_type, l_prog;
	u32 idr_head, xa_shift, xa_slots, xa_nr_slots;
	s64 lsm, tracing, fmod_ret, xdp;
	struct bpf_attach_layout at;	/* where programs are attached */
	struct bpf_jit_layout jit;
	u64 prog_idr, link_idr, kallsyms, call_base;
	u64 helpers[BPF_CENSUS_HELPER_SYMS];
};

struct bprog {
	u64 addr;		/* first: the sort key */
	u64 aux;
	u32 id, type, eat, helpers, len;
	u8 tag[8];
	u8 sha[32];		/* of the verified instructions */
	char name[BPF_NAME_LEN + 1];
	char attach[BPF_ATTACH_LEN];
	/* a link in link_idr holds it; its target's record was unreadable */
	bool linked, unread;
	u32 link_type;
	struct bpf_jit jit;	/* its machine code */
};

struct bpf_census {
	const struct bpf_layout *l;
	struct bprog *p;
	u32 nr;
	size_t cap;
	struct u64set auxes;	/* every program's and subprogram's aux */
	u64 insns_read;
	u32 nr_links;
	u64 hidden[16];		/* bpf_ksyms of programs prog_idr lacks */
	char hidden_name[16][64];
	u32 nr_hidden;
	struct u64set starts;	/* every bpf_ksym's start, sorted */
	u64 jit_total;		/* JIT bytes hashed */
	char gave_up[192];	/* the first attach walk that gave up, why */
};

static int bpf_layout_fail(struct vmiaas *v, const char *type,
			   const char *path)
{
	return engine_fail(v, -EBADMSG,
		"the guest kernel's BTF has no %s.%s: this kernel's BPF layout is not supported",
		type, path);
}

static int bpf_layout_members(struct vmiaas *v, struct bpf_layout *l)
{
	const struct btf_member_ref m[] = {
		{ "bpf_prog", "type", &l->p_type },
		{ "bpf_prog", "expected_attach_type", &l->p_eat },
		{ "bpf_prog", "len", &l->p_len },
		{ "bpf_prog", "tag", &l->p_tag },
		{ "bpf_prog", "aux", &l->p_aux },
		{ "bpf_prog", "insnsi", &l->p_insnsi },
		{ "bpf_prog_aux", "id", &l->a_id },
		{ "bpf_prog_aux", "name", &l->a_name },
		{ "bpf_prog_aux", "attach_func_name", &l->a_attach_func },
		{ "bpf_prog_aux", "ksym", &l->a_ksym },
		{ "bpf_prog_aux", "func_cnt", &l->a_func_cnt },
		{ "bpf_prog_aux", "func", &l->a_func },
		{ "bpf_ksym", "lnode", &l->k_lnode },
		{ "bpf_ksym", "name", &l->k_name },
		{ "bpf_link", "id", &l->l_id },
		{ "bpf_link", "type", &l->l_type },
		{ "bpf_link", "prog", &l->l_prog },
		{ "idr", "idr_rt.xa_head", &l->idr_head },
		{ "xa_node", "shift", &l->xa_shift },
		{ "xa_node", "slots", &l->xa_slots },
	};
	const struct btf_member_ref *bad;

	if (btf_offsets(v->btf, m, ARRAY_SIZE(m), &bad))
		return bpf_layout_fail(v, bad->type, bad->path);
	if (btf_member_size(v->btf, "xa_node", "slots", &l->xa_nr_slots))
		return bpf_layout_fail(v, "xa_node", "slots");
	l->xa_nr_slots /= 8;
	return 0;
}

/* What only some kernels have: missing pieces make attach points unknown. */
static void bpf_layout_optional(struct vmiaas *v, struct bpf_layout *l)
{
	static const char *const helper_syms[BPF_CENSUS_HELPER_SYMS] = {
		"bpf_probe_write_user", "bpf_override_return",
		"bpf_send_signal", "bpf_send_signal_thread",
	};
	size_t i;

	bpf_attach_layout_get(v, &l->at);
	bpf_jit_layout_get(v, &l->jit);
	if (btf_enum_value(v->btf, "BPF_PROG_TYPE_XDP", &l->xdp))
		l->xdp = -1;
	if (btf_offsetof(v->btf, "bpf_ksym", "prog", &l->k_prog))
		l->k_prog = BPF_OFF_NONE;
	if (btf_enum_value(v->btf, "BPF_PROG_TYPE_LSM", &l->lsm))
		l->lsm = -1;
	if (btf_enum_value(v->btf, "BPF_PROG_TYPE_TRACING", &l->tracing))
		l->tracing = -1;
	if (btf_enum_value(v->btf, "BPF_MODIFY_RETURN", &l->fmod_ret))
		l->fmod_ret = -1;
	for (i = 0; i < ARRAY_SIZE(helper_syms); i++)
		if (engine_sym(v, helper_syms[i], &l->helpers[i]))
			l->helpers[i] = 0;
}

/*
 * 0 with the layout; -ENOENT: the kernel has no BPF syscall. Memoized
 * (engine.h) but for the JIT's module range, which modarea_get() may read
 * from the guest's VMCOREINFO.
 */
static int bpf_layout_get(struct vmiaas *v, struct bpf_layout *l)
{
	static const char key;
	int err;

	if (engine_layout_get(v, &key, l, sizeof(*l))) {
		bpf_jit_layout_get(v, &l->jit);
		return 0;
	}
	memset(l, 0, sizeof(*l));
	if (engine_sym(v, "prog_idr", &l->prog_idr))
		return -ENOENT;
	if (engine_sym(v, "link_idr", &l->link_idr) ||
	    engine_sym(v, "bpf_kallsyms", &l->kallsyms) ||
	    engine_sym(v, "__bpf_call_base", &l->call_base))
		return engine_fail(v, -ENOEXEC,
			"the kernel has prog_idr but no link_idr, bpf_kallsyms or __bpf_call_base");
	err = bpf_layout_members(v, l);
	if (err)
		return err;
	bpf_layout_optional(v, l);
	engine_layout_put(v, &key, l, sizeof(*l));
	return 0;
}

u32 bpf_insns_helpers(const u8 *insns, u32 nr, u64 call_base,
		      const u64 helpers[BPF_CENSUS_HELPER_SYMS])
{
	static const u32 bit[BPF_CENSUS_HELPER_SYMS] = {
		BPF_HELPER_WRITE_USER, BPF_HELPER_OVERRIDE,
		BPF_HELPER_SIGNAL, BPF_HELPER_SIGNAL,
	};
	u32 i, bits = 0, h;

	for (i = 0; i < nr; i++) {
		const u8 *in = insns + (size_t)i * BPF_INSN_SIZE;
		s32 imm;
		u64 target;

		/* src_reg 0: a helper (1: a BPF function, 2: a kfunc) */
		if (in[0] != BPF_INSN_CALL || (in[1] >> 4))
			continue;
		memcpy(&imm, in + 4, sizeof(imm));
		target = call_base + (s64)imm;
		for (h = 0; h < BPF_CENSUS_HELPER_SYMS; h++)
			if (helpers[h] && target == helpers[h])
				bits |= bit[h];
	}
	return bits;
}

/* The helpers @p calls and the SHA-256 of its instructions, read now. */
static int bprog_insns(struct vmiaas *v, struct bpf_census *c,
		       struct bprog *p, EVP_MD_CTX *md)
{
	const struct bpf_layout *l = c->l;
	u8 buf[BPF_INSN_CHUNK * BPF_INSN_SIZE];
	u32 done, n;
	int err;

	for (done = 0; done < p->len; done += n) {
		n = min(p->len - done, (u32)BPF_INSN_CHUNK);
		err = engine_read(v, p->addr + l->p_insnsi +
				  (u64)done * BPF_INSN_SIZE, buf,
				  (size_t)n * BPF_INSN_SIZE);
		if (err)
			return engine_fail(v, err,
				"BPF program %u: instructions unreadable",
				p->id);
		p->helpers |= bpf_insns_helpers(buf, n, l->call_base,
						l->helpers);
		if (!EVP_DigestUpdate(md, buf, (size_t)n * BPF_INSN_SIZE))
			return -ENOMEM;
	}
	return EVP_DigestFinal_ex(md, p->sha, NULL) ? 0 : -ENOMEM;
}

static int bprog_helpers(struct vmiaas *v, struct bpf_census *c,
			 struct bprog *p)
{
	EVP_MD_CTX *md;
	int err;

	if (p->len > BPF_CENSUS_INSNS_MAX)
		return engine_fail(v, -EBADMSG,
			"BPF program %u has %u instructions (at most %u)",
			p->id, p->len, BPF_CENSUS_INSNS_MAX);
	c->insns_read += p->len;
	if (c->insns_read > BPF_CENSUS_TOTAL_INSNS)
		return engine_fail(v, -E2BIG,
			"BPF programs: more than %u instructions in all",
			BPF_CENSUS_TOTAL_INSNS);
	md = EVP_MD_CTX_new();
	if (!md)
		return -ENOMEM;
	err = EVP_DigestInit_ex(md, EVP_sha256(), NULL) ? 0 : -ENOMEM;
	err = err ?: bprog_insns(v, c, p, md);
	EVP_MD_CTX_free(md);
	return err;
}

static int census_aux_add(struct bpf_census *c, u64 aux)
{
	return u64set_add(&c->auxes, aux);
}

/* Subprograms have their own aux and ksym but no id: they are known too. */
static int bprog_subprogs(struct vmiaas *v, struct bpf_census *c, u64 aux)
{
	const struct bpf_layout *l = c->l;
	u64 func, sub, sub_aux;
	u32 cnt, i;
	int err;

	if (engine_read(v, aux + l->a_func_cnt, &cnt, sizeof(cnt)) ||
	    engine_read_u64(v, aux + l->a_func, &func))
		return engine_fail(v, -EFAULT, "bpf_prog_aux 0x%llx unreadable",
				   (unsigned long long)aux);
	if (!cnt || !func)
		return 0;
	if (cnt > BPF_CENSUS_SUBPROGS_MAX || !kernel_ptr(func))
		return engine_fail(v, -EBADMSG,
			"bpf_prog_aux 0x%llx: %u subprograms at 0x%llx",
			(unsigned long long)aux, cnt,
			(unsigned long long)func);
	for (i = 0; i < cnt; i++) {
		if (engine_read_u64(v, func + 8ULL * i, &sub) ||
		    !kernel_ptr(sub) ||
		    engine_read_u64(v, sub + l->p_aux, &sub_aux))
			continue;	/* a subprogram being freed */
		err = census_aux_add(c, sub_aux);
		if (err)
			return err;
	}
	return 0;
}

static int prog_visit(struct vmiaas *v, u64 prog, u64 index, void *arg)
{
	struct bpf_census *c = arg;
	const struct bpf_layout *l = c->l;
	struct bprog *p;
	int err;

	(void)index;
	if (!kernel_ptr(prog))
		return engine_fail(v, -EBADMSG,
			"prog_idr entry %llu is 0x%llx, not a kernel pointer",
			(unsigned long long)index, (unsigned long long)prog);
	if (c->nr >= BPF_CENSUS_PROGS_MAX)
		return engine_fail(v, -ELOOP, "prog_idr: more than %u programs",
				   BPF_CENSUS_PROGS_MAX);
	p = array_grow(c->p, &c->cap, c->nr, sizeof(*p), 32);
	if (!p)
		return -ENOMEM;
	c->p = p;
	p = &c->p[c->nr];
	memset(p, 0, sizeof(*p));
	p->addr = prog;
	if (engine_read(v, prog + l->p_type, &p->type, 4) ||
	    engine_read(v, prog + l->p_eat, &p->eat, 4) ||
	    engine_read(v, prog + l->p_len, &p->len, 4) ||
	    engine_read(v, prog + l->p_tag, p->tag, sizeof(p->tag)) ||
	    engine_read_u64(v, prog + l->p_aux, &p->aux) ||
	    !kernel_ptr(p->aux) ||
	    engine_read(v, p->aux + l->a_id, &p->id, 4) ||
	    engine_read(v, p->aux + l->a_name, p->name, BPF_NAME_LEN))
		return engine_fail(v, -EFAULT,
			"BPF program 0x%llx (prog_idr %llu) unreadable",
			(unsigned long long)prog, (unsigned long long)index);
	bpf_printable(p->name, sizeof(p->name));
	c->nr++;
	err = census_aux_add(c, p->aux);
	err = err ?: bprog_subprogs(v, c, p->aux);
	return err ?: bprog_helpers(v, c, p);
}

/* The program @prog points to, or NULL (c->p sorted by address). */
static struct bprog *census_prog(struct bpf_census *c, u64 prog)
{
	return c->nr ? bsearch(&prog, c->p, c->nr, sizeof(*c->p), u64_cmp) :
		       NULL;
}

static int link_visit(struct vmiaas *v, u64 link, u64 index, void *arg)
{
	struct bpf_census *c = arg;
	const struct bpf_layout *l = c->l;
	struct bprog *p;
	u64 prog;
	u32 type;

	if (!kernel_ptr(link))
		return engine_fail(v, -EBADMSG,
			"link_idr entry %llu is 0x%llx, not a kernel pointer",
			(unsigned long long)index, (unsigned long long)link);
	if (++c->nr_links > BPF_CENSUS_PROGS_MAX)
		return engine_fail(v, -ELOOP, "link_idr: more than %u links",
				   BPF_CENSUS_PROGS_MAX);
	if (engine_read(v, link + l->l_type, &type, 4) ||
	    engine_read_u64(v, link + l->l_prog, &prog))
		return engine_fail(v, -EFAULT, "BPF link 0x%llx unreadable",
				   (unsigned long long)link);
	p = census_prog(c, prog);
	if (p && !p->attach[0]) {
		p->linked = true;
		p->link_type = type;
		p->unread = bpf_attach_link(v, &l->at, link, type, p->attach,
					    sizeof(p->attach)) && !p->attach[0];
	}
	return 0;
}

/* fentry/fexit/fmod_ret/LSM programs name their target function. */
static void prog_attach_func(struct vmiaas *v, struct bpf_census *c,
			     struct bprog *p)
{
	char name[64];
	u64 va;

	if (p->attach[0] ||
	    engine_read_u64(v, p->aux + c->l->a_attach_func, &va) || !va)
		return;
	bpf_guest_string(v, va, name, sizeof(name));
	if (name[0])
		snprintf(p->attach, sizeof(p->attach), "function %s", name);
	p->unread = !name[0];
}

static int idr_walk(struct vmiaas *v, struct bpf_census *c, u64 idr,
		    int (*fn)(struct vmiaas *v, u64 e, u64 i, void *arg))
{
	const struct bpf_layout *l = c->l;
	u64 head;

	if (engine_read_u64(v, idr + l->idr_head, &head))
		return engine_fail(v, -EFAULT, "BPF IDR 0x%llx unreadable",
				   (unsigned long long)idr);
	return hidden_xa_walk(v, head, l->xa_shift, l->xa_slots,
			      l->xa_nr_slots, fn, c);
}

/* c->auxes sorted: thousands of programs, many more ksyms, all hostile */
static bool census_has_aux(const struct bpf_census *c, u64 aux)
{
	return u64set_has(&c->auxes, aux);
}

/* Where a JIT image's entry site may call or jump to (bpf_jit.h). */
static int census_start_add(struct vmiaas *v, struct bpf_census *c, u64 ksym)
{
	u64 start;

	if (!c->l->jit.ok ||
	    engine_read_u64(v, ksym + c->l->jit.k_start, &start))
		return 0;
	return u64set_add(&c->starts, start);
}

/* A program's bpf_ksym whose aux prog_idr does not know: hidden. */
static int ksym_visit(struct vmiaas *v, u64 node, void *arg)
{
	struct bpf_census *c = arg;
	const struct bpf_layout *l = c->l;
	u64 ksym = node - l->k_lnode;
	char name[64];
	u8 is_prog = 1;

	if (census_start_add(v, c, ksym))
		return -ENOMEM;

	if (l->k_prog != BPF_OFF_NONE &&
	    engine_read(v, ksym + l->k_prog, &is_prog, 1))
		return engine_fail(v, -EFAULT, "bpf_ksym 0x%llx unreadable",
				   (unsigned long long)ksym);
	if (engine_read(v, ksym + l->k_name, name, sizeof(name)))
		return engine_fail(v, -EFAULT, "bpf_ksym 0x%llx unreadable",
				   (unsigned long long)ksym);
	bpf_printable(name, sizeof(name));
	if (l->k_prog == BPF_OFF_NONE)	/* trampolines, dispatchers */
		is_prog = !strncmp(name, "bpf_prog_", 9);
	if (!is_prog || census_has_aux(c, ksym - l->a_ksym) ||
	    c->nr_hidden >= ARRAY_SIZE(c->hidden))
		return 0;
	c->hidden[c->nr_hidden] = ksym;
	snprintf(c->hidden_name[c->nr_hidden++], sizeof(c->hidden_name[0]),
		 "%s", name);
	return 0;
}

/* An XDP program without a link: attached through netlink, if at all. */
static bool census_xdp_unnamed(const struct bpf_census *c)
{
	u32 i;

	for (i = 0; i < c->nr; i++)
		if ((s64)c->p[i].type == c->l->xdp && !c->p[i].attach[0])
			return true;
	return false;
}

static void xdp_found(u64 prog, const char *dev, void *arg)
{
	struct bprog *p = census_prog(arg, prog);

	if (p && !p->attach[0])
		snprintf(p->attach, sizeof(p->attach), "xdp on %s", dev);
}

/* A walk found @prog attached at @where (the first found names it). */
static void attach_found(u64 prog, const char *where, void *arg)
{
	struct bprog *p = census_prog(arg, prog);

	if (p && !p->attach[0])
		snprintf(p->attach, sizeof(p->attach), "%s", where);
}

/* A program with no attach point found yet, which a walk may name. */
static bool census_unnamed(const struct bpf_census *c)
{
	u32 i;

	for (i = 0; i < c->nr; i++)
		if (!c->p[i].attach[0])
			return true;
	return false;
}

/*
 * An attach walk's error (a bound reached, a read that failed) is kept:
 * the programs it could have named are then "not checked", never "not
 * attached".
 */
static void census_walk_done(struct vmiaas *v, struct bpf_census *c,
			     const char *walk, int err)
{
	if (err && !c->gave_up[0])
		snprintf(c->gave_up, sizeof(c->gave_up), "the %s walk gave up: %.140s",
			 walk, v->diag.msg);
}

static void census_free(struct bpf_census *c)
{
	free(c->p);
	u64set_free(&c->auxes);
	u64set_free(&c->starts);
	memset(c, 0, sizeof(*c));
}

static int census_scan(struct vmiaas *v, const struct bpf_layout *l,
		       struct bpf_census *c)
{
	u32 i;
	int err;

	memset(c, 0, sizeof(*c));
	c->l = l;
	err = idr_walk(v, c, l->prog_idr, prog_visit);
	if (err)
		return err;
	/* lookups by address: struct bprog starts with it */
	if (c->nr)	/* qsort() and bsearch() want an array, even empty */
		qsort(c->p, c->nr, sizeof(*c->p), u64_cmp);
	u64set_sort(&c->auxes);
	err = idr_walk(v, c, l->link_idr, link_visit);
	for (i = 0; !err && i < c->nr; i++)
		prog_attach_func(v, c, &c->p[i]);
	if (!err && census_xdp_unnamed(c))	/* not found: stays unknown */
		census_walk_done(v, c, "XDP device",
				 bpf_attach_xdp_walk(v, &l->at, xdp_found, c));
	if (!err && census_unnamed(c))
		census_walk_done(v, c, "cgroup",
				 bpf_attach_cgroup_walk(v, &l->at, attach_found, c));
	if (!err && census_unnamed(c))
		census_walk_done(v, c, "tc filter",
				 bpf_attach_tc_walk(v, &l->at, attach_found, c));
	err = err ?: list_walk(v, "bpf_kallsyms", l->kallsyms,
			       BPF_CENSUS_KSYMS_MAX, ksym_visit, c);
	if (!err)
		u64set_sort(&c->starts);
	for (i = 0; !err && i < c->nr; i++)
		bpf_jit_judge(v, &l->jit, c->p[i].addr, c->p[i].aux,
			      c->starts.a, c->starts.nr, &c->jit_total,
			      &c->p[i].jit);
	return err;
}

static bool bprog_syscall_hook(const struct bprog *p)
{
	static const char *const syscall_hooks[] = {
		"raw_tracepoint sys_enter", "raw_tracepoint sys_exit",
		"function __x64_sys_", "function __ia32_sys_",
		"function __se_sys_", "function __do_sys_",
		"perf_event tracepoint sys_enter", "perf_event tracepoint sys_exit",
		"perf_event kprobe __x64_sys_", "perf_event kprobe __ia32_sys_",
		"perf_event kprobe __se_sys_", "perf_event kprobe __do_sys_",
		"kprobe_multi __x64_sys_", "kprobe_multi __ia32_sys_",
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(syscall_hooks); i++)
		if (!strncmp(p->attach, syscall_hooks[i],
			     strlen(syscall_hooks[i])))
			return true;
	return false;
}

/* Severity of what @p can do, and why (VMIAAS_SEV_INFO: nothing). */
static u32 bprog_judge(const struct bpf_layout *l, const struct bprog *p,
		       const char **why)
{
	if (p->helpers & BPF_HELPER_WRITE_USER) {
		*why = bprog_syscall_hook(p) ?
			"calls bpf_probe_write_user from a system call hook: it can rewrite any system call's user buffers (hide files, processes, change what execve runs)" :
			"calls bpf_probe_write_user: it can rewrite the memory of the processes it runs in";
		return VMIAAS_SEV_HIGH;
	}
	if (p->helpers & BPF_HELPER_OVERRIDE) {
		*why = "calls bpf_override_return: it can make the probed kernel function fail or return what it likes";
		return VMIAAS_SEV_HIGH;
	}
	if (p->helpers & BPF_HELPER_SIGNAL) {
		*why = "calls bpf_send_signal: it can kill the processes it runs in";
		return VMIAAS_SEV_MEDIUM;
	}
	if ((s64)p->type == l->lsm) {
		*why = "is a BPF LSM program: it decides security hooks' verdicts";
		return VMIAAS_SEV_MEDIUM;
	}
	if ((s64)p->type == l->tracing && (s64)p->eat == l->fmod_ret) {
		*why = "is an fmod_ret program: it changes the return value of the function it is attached to";
		return VMIAAS_SEV_MEDIUM;
	}
	*why = "can observe but none of its helpers writes user memory, overrides returns or sends signals";
	return VMIAAS_SEV_INFO;
}

/* unnamed programs are bpf_prog_TAG, as on kallsyms */
static void bprog_object(const char *name, const u8 tag[8], char *buf,
			 size_t size)
{
	if (name[0])
		snprintf(buf, size, "%s", name);
	else
		snprintf(buf, size, "bpf_prog_%02x%02x%02x%02x%02x%02x%02x%02x",
			 tag[0], tag[1], tag[2], tag[3], tag[4], tag[5], tag[6],
			 tag[7]);
}

/* "raw_tracepoint", "tracing/trace_fentry" (by attach type), ... */
static void bprog_type(struct vmiaas *v, const struct bpf_layout *l,
		       u32 type, u32 eat, char *buf, size_t size)
{
	size_t n;

	bpf_enum_name(v->btf, "bpf_prog_type", "BPF_PROG_TYPE_", type, buf, size);
	n = strlen(buf);
	if (((s64)type != l->tracing && (s64)type != l->lsm) || n + 2 >= size)
		return;
	buf[n] = '/';
	bpf_enum_name(v->btf, "bpf_attach_type", "BPF_", eat, buf + n + 1,
		  size - n - 1);
}

/* Where a program stands against the baseline (bprog_report()). */
enum bprog_since {
	SINCE_NO_BASELINE,	/* no comparison: reported as found */
	SINCE_NEW,		/* loaded since the baseline */
	SINCE_BASELINE,		/* the baseline's, attached as then */
	SINCE_REATTACHED,	/* the baseline's, attached elsewhere now */
	SINCE_RELOADED,		/* replaces a gone one of the baseline */
};

static const char *const since_text[] = {
	[SINCE_NO_BASELINE] = "",
	[SINCE_NEW] = "loaded since the baseline, ",
	[SINCE_BASELINE] = "present at baseline, ",
	[SINCE_REATTACHED] = "present at baseline (attached elsewhere then), now ",
	[SINCE_RELOADED] = "reloaded since the baseline (in place of its program of the same instructions, type, name and attach point, now unloaded), ",
};

/*
 * Against a baseline, a program present then and attached as then was
 * trusted with it: benign ones are not reported, the medium ones (LSM,
 * fmod_ret, signals: systemd and agents use them) are events. Helpers
 * nothing legitimate calls (write-user, override) stay findings.
 */
static bool bprog_quiet(u32 sev, enum bprog_since since, bool *event)
{
	*event = sev == VMIAAS_SEV_INFO ||
		 ((since == SINCE_BASELINE || since == SINCE_RELOADED) &&
		  sev < VMIAAS_SEV_HIGH);
	return since == SINCE_BASELINE && sev == VMIAAS_SEV_INFO;
}

/*
 * Where @p is attached, for a message: its attach point; else why none
 * was named (its link unreadable twice, a walk that gave up: "not
 * checked"), never "not attached" when that was not looked at.
 */
static void bprog_where(struct vmiaas *v, const struct bprog *p,
			const char *gave_up, char *buf, size_t size)
{
	char type[40];

	if (p->attach[0]) {
		snprintf(buf, size, "%s", p->attach);
	} else if (p->linked) {
		bpf_enum_name(v->btf, "bpf_link_type", "BPF_LINK_TYPE_",
			      p->link_type, type, sizeof(type));
		snprintf(buf, size, "a %s link %s", type, p->unread ?
			 "whose target was unreadable (read twice, 50 ms apart)" :
			 "(its target is not read for this kind of link)");
	} else if (p->unread) {
		snprintf(buf, size,
			 "a function whose name was unreadable (read twice, 50 ms apart)");
	} else if (gave_up[0]) {
		snprintf(buf, size,
			 "(no link found; attach point not checked: %s)",
			 gave_up);
	} else {
		snprintf(buf, size,
			 "(no link or target found: a perf event, a socket, or not attached)");
	}
}

static void bprog_report(struct vmiaas *v, const struct bpf_layout *l,
			 const struct bprog *p, enum bprog_since since,
			 const char *gave_up, const struct hidden_sink *s,
			 u32 *nr_events)
{
	struct vmiaas_finding *f;
	char type[64], object[48], where[256];
	const char *why;
	u32 sev = bprog_judge(l, p, &why);
	bool event;

	if (bprog_quiet(sev, since, &event) ||
	    (event && ++*nr_events > BPF_CENSUS_EVENTS_MAX))
		return;
	bprog_object(p->name, p->tag, object, sizeof(object));
	f = s->add(s->ctx, "bpf-programs", event ? VMIAAS_SEV_INFO : sev,
		   object);
	if (!f)
		return;
	bprog_type(v, l, p->type, p->eat, type, sizeof(type));
	bprog_where(v, p, gave_up, where, sizeof(where));
	if (event)
		f->flags |= VMIAAS_FINDING_EVENT;
	f->flags |= VMIAAS_FINDING_ADDRESS;
	f->address = p->addr;
	snprintf(f->message, sizeof(f->message),
		 "BPF program %s (id %u, type %s, tag %02x%02x%02x%02x%02x%02x%02x%02x) %sattached to %s %s",
		 object, p->id, type,
		 p->tag[0], p->tag[1], p->tag[2], p->tag[3], p->tag[4],
		 p->tag[5], p->tag[6], p->tag[7], since_text[since], where,
		 why);
}

/* What differs in a baseline program that should not ("" if nothing). */
static void bprog_diff(const struct bprog *p, const struct bpf_base_prog *was,
		       char *buf, size_t size)
{
	buf[0] = '\0';
	if (p->len != was->len || memcmp(p->sha, was->sha, sizeof(p->sha)))
		snprintf(buf, size,
			 "its verified instructions (%u, SHA-256 %02x%02x%02x%02x...; at baseline %u, %02x%02x%02x%02x...)",
			 p->len, p->sha[0], p->sha[1], p->sha[2], p->sha[3],
			 was->len, was->sha[0], was->sha[1], was->sha[2],
			 was->sha[3]);
	else if (p->type != was->type || p->eat != was->eat)
		snprintf(buf, size, "its type (%u/%u; at baseline %u/%u)",
			 p->type, p->eat, was->type, was->eat);
	else if (strcmp(p->name, was->name) ||
		 memcmp(p->tag, was->tag, sizeof(p->tag)))
		snprintf(buf, size, "its name or tag (at baseline %s)",
			 was->name);
}

/*
 * A loaded program never changes: the verifier passed these
 * instructions, and the kernel keeps them as they were. A difference is
 * a write to kernel memory.
 */
static bool bprog_changed(const struct bprog *p, const struct bpf_base_prog *was,
			  const struct hidden_sink *s)
{
	struct vmiaas_finding *f;
	char what[160], object[48];

	bprog_diff(p, was, what, sizeof(what));
	if (!what[0])
		return false;
	bprog_object(p->name, p->tag, object, sizeof(object));
	f = s->add(s->ctx, "bpf-programs", VMIAAS_SEV_CRITICAL, object);
	if (!f)
		return true;
	f->flags |= VMIAAS_FINDING_ADDRESS;
	f->address = p->addr;
	snprintf(f->message, sizeof(f->message),
		 "BPF program %s (id %u) of the baseline changed: %s differ; a loaded program is never rewritten by the kernel, so this was written past the verifier",
		 object, p->id, what);
	return true;
}

static const struct bpf_base_prog *base_find(const struct bpf_baseline *base,
					     const struct bprog *p)
{
	const struct bpf_base_prog *was;

	if (!base || !base->nr)
		return NULL;
	was = bsearch(&p->addr, base->p, base->nr, sizeof(*base->p), u64_cmp);
	return was && was->id == p->id ? was : NULL;
}

/* One check's state: the census, its rescan, the baseline (may be NULL). */
struct bpf_check {
	struct vmiaas *v;
	const struct bpf_layout *l;
	const struct bpf_baseline *base;	/* NULL: nothing compared */
	struct bpf_census *now, *again;		/* again: empty if no rescan */
	bool *reloaded;				/* base->p[i] replaced */
	const char *gave_up;			/* an attach walk, both scans */
	const struct hidden_sink *s;
	u32 nr_events;
};

/* Whether @p's JIT images differ from those @was (may be NULL) had. */
static bool bprog_jit_differs(const struct bprog *p,
			      const struct bpf_base_prog *was)
{
	return was && was->jit_hashed &&
	       (p->jit.func != was->jit_func || p->jit.len != was->jit_len ||
		!p->jit.hashed || memcmp(p->jit.sha, was->jit_sha, 32));
}

/* ... or are wrong now. */
static bool bprog_jit_suspect(const struct bprog *p,
			      const struct bpf_base_prog *was)
{
	return p->jit.sev > VMIAAS_SEV_INFO || bprog_jit_differs(p, was);
}

/* The same program (address and id) suspect in the rescan too. */
static bool bprog_jit_confirmed(struct bpf_check *k, const struct bprog *p,
				const struct bpf_base_prog *was)
{
	const struct bprog *q = census_prog(k->again, p->addr);

	return q && q->id == p->id && bprog_jit_suspect(q, was);
}

static void bprog_jit_report(struct bpf_check *k, const struct bprog *p,
			     const struct bpf_base_prog *was)
{
	bool changed = bprog_jit_differs(p, was);
	struct vmiaas_finding *f;
	char object[48];
	int n = 0;

	bprog_object(p->name, p->tag, object, sizeof(object));
	f = k->s->add(k->s->ctx, "bpf-programs",
		      changed ? VMIAAS_SEV_CRITICAL : p->jit.sev, object);
	if (!f)
		return;
	f->flags |= VMIAAS_FINDING_ADDRESS;
	f->address = p->jit.func;
	if (changed)
		n = snprintf(f->message, sizeof(f->message),
			"BPF program %s (id %u) of the baseline: its JIT code changed (bpf_func 0x%llx, %u bytes, SHA-256 %02x%02x%02x%02x...; at baseline 0x%llx, %u bytes, %02x%02x%02x%02x...): the kernel patches a loaded program only at its entry and tail-call sites, so this was written past the JIT",
			object, p->id, (unsigned long long)p->jit.func,
			p->jit.len, p->jit.sha[0], p->jit.sha[1],
			p->jit.sha[2], p->jit.sha[3],
			(unsigned long long)was->jit_func, was->jit_len,
			was->jit_sha[0], was->jit_sha[1], was->jit_sha[2],
			was->jit_sha[3]);
	if (p->jit.sev > VMIAAS_SEV_INFO && n >= 0 &&
	    (size_t)n < sizeof(f->message))
		snprintf(f->message + n, sizeof(f->message) - n,
			 "%sBPF program %s (id %u): %s", n ? "; " : "",
			 object, p->id, p->jit.what);
}

/* Same instructions, type, name, tag and attach point. */
static bool bprog_same(const struct bprog *p, const struct bpf_base_prog *was)
{
	char what[160];

	bprog_diff(p, was, what, sizeof(what));
	return !what[0] && !strcmp(p->attach, was->attach);
}

static bool base_is_gone(struct bpf_check *k, u32 i)
{
	const struct bprog *p = census_prog(k->now, k->base->p[i].addr);

	return !p || p->id != k->base->p[i].id;
}

/* A new program that replaces a gone one of the baseline: reloaded. */
static bool bprog_reload(struct bpf_check *k, const struct bprog *p)
{
	u32 i;

	for (i = 0; k->reloaded && i < k->base->nr; i++) {
		if (k->reloaded[i] || !bprog_same(p, &k->base->p[i]) ||
		    !base_is_gone(k, i))
			continue;
		k->reloaded[i] = true;
		return true;
	}
	return false;
}

/* One program now, against the baseline (NULL or not recorded). */
static void bprog_check(struct bpf_check *k, const struct bprog *p)
{
	const struct bpf_baseline *base = k->base;
	const struct bpf_base_prog *was = NULL;
	enum bprog_since since = SINCE_NO_BASELINE;

	if (base && base->recorded) {
		was = base_find(base, p);
		since = SINCE_NEW;
		if (was && bprog_changed(p, was, k->s))
			return;
		if (was)
			since = strcmp(p->attach, was->attach) ?
				SINCE_REATTACHED : SINCE_BASELINE;
		else if (bprog_reload(k, p))
			since = SINCE_RELOADED;
	}
	/* a program being freed is refilled: only what a rescan confirms */
	if (bprog_jit_suspect(p, was) && bprog_jit_confirmed(k, p, was))
		bprog_jit_report(k, p, was);
	bprog_report(k->v, k->l, p, since, k->gave_up, k->s, &k->nr_events);
}

static void base_gone(const struct bpf_base_prog *was,
		      const struct hidden_sink *s, u32 *nr_events)
{
	struct vmiaas_finding *f;
	char object[48];

	if (++*nr_events > BPF_CENSUS_EVENTS_MAX)
		return;
	bprog_object(was->name, was->tag, object, sizeof(object));
	f = s->add(s->ctx, "bpf-programs", VMIAAS_SEV_INFO, object);
	if (!f)
		return;
	f->flags |= VMIAAS_FINDING_EVENT | VMIAAS_FINDING_ADDRESS;
	f->address = was->addr;
	snprintf(f->message, sizeof(f->message),
		 "BPF program %s (id %u) of the baseline is gone (unloaded; it was attached to %s)",
		 object, was->id, was->attach[0] ? was->attach : "nothing found");
}

/* The baseline's programs neither in the census now nor reloaded. */
static void base_check_gone(struct bpf_check *k)
{
	u32 i;

	for (i = 0; k->base && k->base->recorded && i < k->base->nr; i++)
		if (base_is_gone(k, i) && !(k->reloaded && k->reloaded[i]))
			base_gone(&k->base->p[i], k->s, &k->nr_events);
}

static void base_unrecorded(const struct hidden_sink *s)
{
	struct vmiaas_finding *f;

	f = s->add(s->ctx, "bpf-programs", VMIAAS_SEV_INFO, "baseline");
	if (!f)
		return;
	f->flags |= VMIAAS_FINDING_EVENT;
	snprintf(f->message, sizeof(f->message),
		 "the baseline (format version 2) records no BPF programs: each program is judged as found, none compared; take a new baseline to compare");
}

static void hidden_report(const struct bpf_census *c, u32 i,
			  const struct hidden_sink *s)
{
	struct vmiaas_finding *f;

	f = s->add(s->ctx, "bpf-programs", VMIAAS_SEV_CRITICAL,
		   c->hidden_name[i]);
	if (!f)
		return;
	f->flags |= VMIAAS_FINDING_ADDRESS;
	f->address = c->hidden[i];
	snprintf(f->message, sizeof(f->message),
		 "BPF program %s (bpf_ksym 0x%llx) has JIT code on bpf_kallsyms but is not in prog_idr: a program hidden from bpf(2) and bpftool",
		 c->hidden_name[i], (unsigned long long)c->hidden[i]);
}

static bool census_hid(const struct bpf_census *c, u64 ksym)
{
	u32 i;

	for (i = 0; i < c->nr_hidden; i++)
		if (c->hidden[i] == ksym)
			return true;
	return false;
}

/*
 * A program whose link's target could not be read, or an attach walk
 * that gave up: the guest may have been changing those records.
 */
static bool census_unsettled(const struct bpf_census *c)
{
	u32 i;

	if (c->gave_up[0])
		return true;
	for (i = 0; i < c->nr; i++)
		if (c->p[i].unread && !c->p[i].attach[0])
			return true;
	return false;
}

/* The attach points @c missed, from its rescan @again (the same programs). */
static void census_fill(struct bpf_census *c, struct bpf_census *again)
{
	const struct bprog *q;
	u32 i;

	for (i = 0; i < c->nr; i++) {
		if (c->p[i].attach[0])
			continue;
		q = census_prog(again, c->p[i].addr);
		if (q && q->id == c->p[i].id && q->attach[0])
			memcpy(c->p[i].attach, q->attach, sizeof(q->attach));
	}
	/* a walk that gave up once only was a transient */
	if (!again->gave_up[0])
		c->gave_up[0] = '\0';
}

/* @c, with what it could not name read again once (@again: the rescan). */
static int census_settle(struct vmiaas *v, const struct bpf_layout *l,
			 struct bpf_census *c, struct bpf_census *again,
			 bool rescan)
{
	int err;

	if (!rescan && !census_unsettled(c))
		return 0;
	engine_pause(v, HIDDEN_RESCAN_DELAY_US);
	err = census_scan(v, l, again);
	if (!err)
		census_fill(c, again);
	return err;
}

int bpf_programs_take(struct vmiaas *v, struct bpf_base_prog **ret,
		      u32 *ret_nr, bool *ret_has_bpf)
{
	struct bpf_base_prog *b;
	struct bpf_census c, again = {};
	struct bpf_layout l;
	u32 i;
	int err;

	*ret = NULL;
	*ret_nr = 0;
	*ret_has_bpf = false;
	err = bpf_layout_get(v, &l);
	if (err)
		return err == -ENOENT ? 0 : err;
	*ret_has_bpf = true;
	err = census_scan(v, &l, &c);
	err = err ?: census_settle(v, &l, &c, &again, false);
	census_free(&again);
	b = err ? NULL : calloc(c.nr ? c.nr : 1, sizeof(*b));
	if (!err && !b)
		err = -ENOMEM;
	for (i = 0; !err && i < c.nr; i++) {
		const struct bprog *p = &c.p[i];

		b[i] = (struct bpf_base_prog){
			.addr = p->addr, .id = p->id, .type = p->type,
			.eat = p->eat, .len = p->len,
		};
		memcpy(b[i].tag, p->tag, sizeof(p->tag));
		memcpy(b[i].sha, p->sha, sizeof(p->sha));
		memcpy(b[i].name, p->name, sizeof(p->name));
		memcpy(b[i].attach, p->attach, sizeof(p->attach));
		b[i].jit_func = p->jit.func;
		b[i].jit_len = p->jit.len;
		b[i].jit_hashed = p->jit.hashed;
		memcpy(b[i].jit_sha, p->jit.sha, sizeof(p->jit.sha));
	}
	if (!err) {
		*ret = b;
		*ret_nr = c.nr;
	}
	census_free(&c);
	return err;
}

/* Whether a rescan is needed: hidden programs, suspect JIT images. */
static bool census_suspect(const struct bpf_census *c,
			   const struct bpf_baseline *base)
{
	u32 i;

	if (c->nr_hidden)
		return true;
	for (i = 0; i < c->nr; i++)
		if (bprog_jit_suspect(&c->p[i], base_find(base, &c->p[i])))
			return true;
	return false;
}

static void bpf_check_report(struct bpf_check *k)
{
	u32 i;

	if (k->base && !k->base->recorded)
		base_unrecorded(k->s);
	for (i = 0; i < k->now->nr; i++)
		bprog_check(k, &k->now->p[i]);
	base_check_gone(k);
	for (i = 0; i < k->again->nr_hidden; i++)
		if (census_hid(k->now, k->again->hidden[i]))
			hidden_report(k->again, i, k->s);
}

int bpf_check_programs(struct vmiaas *v, const struct bpf_baseline *base,
		       const struct hidden_sink *s)
{
	struct bpf_census first, second = {};
	struct bpf_check k = { .v = v, .base = base, .now = &first,
			       .again = &second, .s = s };
	struct bpf_layout l;
	int err;

	err = bpf_layout_get(v, &l);
	if (err)
		return err == -ENOENT ? 0 : err;
	k.l = &l;
	if (base && base->recorded && base->nr) {
		k.reloaded = calloc(base->nr, sizeof(*k.reloaded));
		if (!k.reloaded)
			return -ENOMEM;
	}
	err = census_scan(v, &l, &first);
	/* a program being loaded or freed is on one record only for a while */
	if (!err)
		err = census_settle(v, &l, &first, &second,
				    census_suspect(&first, base));
	k.gave_up = first.gave_up;
	if (!err)
		bpf_check_report(&k);
	census_free(&first);
	census_free(&second);
	free(k.reloaded);
	return err;
}
