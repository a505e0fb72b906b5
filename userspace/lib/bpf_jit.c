// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * The JIT images of BPF programs (see bpf_jit.h).
 *
 * A loaded program's machine code never changes but in two places, both
 * patched by the kernel with text_poke: the 5-byte NOP the x86 JIT puts
 * at each image's entry (after ENDBR on IBT kernels), which becomes a
 * CALL of a BPF trampoline (fentry/fexit on a BPF program) or a JMP to
 * an extension program (freplace), and the direct tail-call sites of
 * the program's poke_tab. Those bytes are judged on their own (an entry
 * site may only reach the start of a bpf_ksym) and left out of the hash;
 * any other change is a write to kernel code.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>

#include "bpf_jit.h"
#include "hidden.h"
#include "list.h"
#include "u64set.h"

#define JIT_SITE_LEN		5	/* X86_PATCH_SIZE */
#define JIT_ENDBR_LEN		4
#define JIT_CHUNK		4096
/* the entry site of each image and both sites of each poke */
#define JIT_SITES_MAX		(BPF_JIT_IMAGES_MAX + 2 * BPF_JIT_POKES_MAX)
#define BPF_JIT_IMAGES_MAX	256	/* BPF_MAX_SUBPROGS */

static const u8 jit_nop5[JIT_SITE_LEN] = { 0x0f, 0x1f, 0x44, 0x00, 0x00 };
static const u8 jit_endbr[JIT_ENDBR_LEN] = { 0xf3, 0x0f, 0x1e, 0xfa };

void bpf_jit_layout_get(struct vmiaas *v, struct bpf_jit_layout *j)
{
	const struct btf_member_ref m[] = {
		{ "bpf_prog", "bpf_func", &j->p_func },
		{ "bpf_prog", "jited_len", &j->p_jited_len },
		{ "bpf_prog", "aux", &j->p_aux },
		{ "bpf_prog_aux", "ksym", &j->a_ksym },
		{ "bpf_prog_aux", "func_cnt", &j->a_func_cnt },
		{ "bpf_prog_aux", "func", &j->a_func },
		{ "bpf_ksym", "start", &j->k_start },
		{ "bpf_ksym", "end", &j->k_end },
	}, poke[] = {
		{ "bpf_prog_aux", "poke_tab", &j->a_poke_tab },
		{ "bpf_prog_aux", "size_poke_tab", &j->a_poke_nr },
		{ "bpf_jit_poke_descriptor", "tailcall_target", &j->pd_target },
		{ "bpf_jit_poke_descriptor", "tailcall_bypass", &j->pd_bypass },
	};

	memset(j, 0, sizeof(*j));
	/* without a module range, hidden-module and exec-memory fail */
	j->ok = !btf_offsets(v->btf, m, ARRAY_SIZE(m), NULL) &&
		!modarea_get(v, &j->area);
	j->pokes = !btf_offsets(v->btf, poke, ARRAY_SIZE(poke), NULL) &&
		   !btf_sizeof(v->btf, "bpf_jit_poke_descriptor", &j->pd_size) &&
		   j->pd_size;
}

struct jit_ctx {
	struct vmiaas *v;
	const struct bpf_jit_layout *j;
	const u64 *starts;
	u32 nr_starts;
	u64 sites[JIT_SITES_MAX];	/* bytes left out of the hash */
	u32 nr_sites;
	EVP_MD_CTX *md;
	u64 *total;
	struct bpf_jit *out;
};

/* Records what is wrong, the most severe first seen. */
static void __attribute__((format(printf, 3, 4)))
jit_bad(struct bpf_jit *out, u32 sev, const char *fmt, ...)
{
	va_list ap;

	if (sev <= out->sev)
		return;
	out->sev = sev;
	va_start(ap, fmt);
	vsnprintf(out->what, sizeof(out->what), fmt, ap);
	va_end(ap);
}

static void jit_site_add(struct jit_ctx *x, u64 site)
{
	if (site && x->nr_sites < JIT_SITES_MAX)
		x->sites[x->nr_sites++] = site;
}

/* The tail-call sites the kernel re-points when a prog array changes. */
static void jit_pokes(struct jit_ctx *x, u64 aux)
{
	const struct bpf_jit_layout *j = x->j;
	u64 tab, target, bypass, d;
	u32 nr, i;

	if (!j->pokes || engine_read_u64(x->v, aux + j->a_poke_tab, &tab) ||
	    engine_read(x->v, aux + j->a_poke_nr, &nr, sizeof(nr)) ||
	    !tab || !nr)
		return;
	if (nr > BPF_JIT_POKES_MAX || !kernel_ptr(tab)) {
		jit_bad(x->out, VMIAAS_SEV_HIGH,
			"its poke_tab (%u entries at 0x%llx) is not believable",
			nr, (unsigned long long)tab);
		return;
	}
	for (i = 0; i < nr; i++) {
		d = tab + (u64)i * j->pd_size;
		if (engine_read_u64(x->v, d + j->pd_target, &target) ||
		    engine_read_u64(x->v, d + j->pd_bypass, &bypass))
			return;
		jit_site_add(x, target);
		jit_site_add(x, bypass);
	}
}

static bool jit_is_start(const struct jit_ctx *x, u64 va)
{
	return u64_sorted_has(x->starts, x->nr_starts, va);
}

/* The entry site: the JIT's NOP, or a CALL/JMP to a bpf_ksym's start. */
static void jit_entry(struct jit_ctx *x, u64 func)
{
	u8 b[JIT_ENDBR_LEN + JIT_SITE_LEN];
	u64 site = func, target;
	s32 rel;

	if (engine_read(x->v, func, b, sizeof(b))) {
		jit_bad(x->out, VMIAAS_SEV_HIGH,
			"its JIT image at 0x%llx is unreadable",
			(unsigned long long)func);
		return;
	}
	if (!memcmp(b, jit_endbr, JIT_ENDBR_LEN)) {
		site += JIT_ENDBR_LEN;
		memmove(b, b + JIT_ENDBR_LEN, JIT_SITE_LEN);
	}
	jit_site_add(x, site);
	if (!memcmp(b, jit_nop5, JIT_SITE_LEN))
		return;
	memcpy(&rel, b + 1, sizeof(rel));
	target = site + JIT_SITE_LEN + (s64)rel;
	if ((b[0] == 0xe8 || b[0] == 0xe9) && jit_is_start(x, target))
		return;
	jit_bad(x->out, VMIAAS_SEV_CRITICAL,
		"the entry of its JIT image (0x%llx) holds %02x %02x %02x %02x %02x: neither the JIT's NOP nor a CALL/JMP to a BPF trampoline or program (target 0x%llx)",
		(unsigned long long)site, b[0], b[1], b[2], b[3], b[4],
		(unsigned long long)target);
}

/* Every page of [@func, @func + @len): mapped read-only and executable. */
static void jit_mapping(struct jit_ctx *x, u64 func, u32 len)
{
	struct vmi_xlate xl;
	u64 va = func, end = func + len;
	int err;

	while (va < end) {
		err = vmi_as_walk(x->v->kas, va, &xl);
		if (err) {
			jit_bad(x->out, VMIAAS_SEV_HIGH,
				"its JIT image is not mapped at 0x%llx (%s)",
				(unsigned long long)va, strerror(-err));
			return;
		}
		if (xl.prot & VMI_PROT_WRITE)
			jit_bad(x->out, VMIAAS_SEV_CRITICAL,
				"its JIT image is mapped writable at 0x%llx: the kernel maps JIT code read-only",
				(unsigned long long)va);
		if (xl.prot & VMI_PROT_NX)
			jit_bad(x->out, VMIAAS_SEV_HIGH,
				"its JIT image is mapped non-executable at 0x%llx",
				(unsigned long long)va);
		va = (va & ~(xl.page_size - 1)) + xl.page_size;
	}
}

static void jit_mask(const struct jit_ctx *x, u64 va, u8 *buf, u32 n)
{
	u64 site;
	u32 i, k;

	for (i = 0; i < x->nr_sites; i++) {
		site = x->sites[i];
		if (site + JIT_SITE_LEN <= va || site >= va + n)
			continue;
		for (k = 0; k < JIT_SITE_LEN; k++)
			if (site + k >= va && site + k < va + n)
				buf[site + k - va] = 0;
	}
}

/* Hashes [@func, @func + @len), its sites zeroed; false if unreadable. */
static bool jit_hash(struct jit_ctx *x, u64 func, u32 len)
{
	u8 buf[JIT_CHUNK];
	u32 done, n;

	*x->total += len;
	if (*x->total > BPF_JIT_TOTAL_MAX ||
	    !EVP_DigestUpdate(x->md, &len, sizeof(len)))
		return false;
	for (done = 0; done < len; done += n) {
		n = min(len - done, (u32)(JIT_CHUNK - ((func + done) & (JIT_CHUNK - 1))));
		if (engine_read(x->v, func + done, buf, n))
			return false;
		jit_mask(x, func + done, buf, n);
		if (!EVP_DigestUpdate(x->md, buf, n))
			return false;
	}
	return true;
}

/* One image, of the bpf_prog @img. */
static bool jit_image(struct jit_ctx *x, u64 img, u64 *ret_func, u32 *ret_len)
{
	const struct bpf_jit_layout *j = x->j;
	u64 func, aux, start = 0, end = 0;
	u32 len;

	if (engine_read_u64(x->v, img + j->p_func, &func) ||
	    engine_read(x->v, img + j->p_jited_len, &len, sizeof(len)) ||
	    engine_read_u64(x->v, img + j->p_aux, &aux) || !kernel_ptr(aux) ||
	    engine_read_u64(x->v, aux + j->a_ksym + j->k_start, &start) ||
	    engine_read_u64(x->v, aux + j->a_ksym + j->k_end, &end)) {
		jit_bad(x->out, VMIAAS_SEV_HIGH,
			"its bpf_prog 0x%llx is unreadable",
			(unsigned long long)img);
		return false;
	}
	*ret_func = func;
	*ret_len = len;
	if (!len || len > BPF_JIT_IMAGE_MAX || func < j->area.start ||
	    func >= j->area.end || len > j->area.end - func) {
		jit_bad(x->out, VMIAAS_SEV_CRITICAL,
			"its JIT image (0x%llx, %u bytes) is not in the module mapping range, where the kernel allocates JIT code",
			(unsigned long long)func, len);
		return false;
	}
	/* programs loaded without CAP_BPF have no bpf_ksym (start 0) */
	if (start && (start != func || end < func + len))
		jit_bad(x->out, VMIAAS_SEV_CRITICAL,
			"its bpf_func 0x%llx (%u bytes) is not where its bpf_ksym says (0x%llx-0x%llx)",
			(unsigned long long)func, len,
			(unsigned long long)start, (unsigned long long)end);
	jit_mapping(x, func, len);
	jit_entry(x, func);
	return true;
}

/* The bpf_prog of each image: the subprograms', or the program's own. */
static u32 jit_images(struct jit_ctx *x, u64 prog, u64 aux,
		      u64 imgs[BPF_JIT_IMAGES_MAX])
{
	const struct bpf_jit_layout *j = x->j;
	u64 func;
	u32 cnt, i;

	imgs[0] = prog;
	if (engine_read(x->v, aux + j->a_func_cnt, &cnt, sizeof(cnt)) ||
	    engine_read_u64(x->v, aux + j->a_func, &func) || !cnt || !func)
		return 1;
	if (cnt > BPF_JIT_IMAGES_MAX || !kernel_ptr(func)) {
		jit_bad(x->out, VMIAAS_SEV_HIGH,
			"its %u subprograms at 0x%llx are not believable", cnt,
			(unsigned long long)func);
		return 1;
	}
	for (i = 0; i < cnt; i++)
		if (engine_read_u64(x->v, func + 8ULL * i, &imgs[i]) ||
		    !kernel_ptr(imgs[i]))
			return 1;
	return cnt;
}

static void jit_judge(struct jit_ctx *x, u64 prog, u64 aux)
{
	u64 imgs[BPF_JIT_IMAGES_MAX], funcs[BPF_JIT_IMAGES_MAX];
	u32 lens[BPF_JIT_IMAGES_MAX], nr, i;
	bool ok = true;

	jit_pokes(x, aux);
	nr = jit_images(x, prog, aux, imgs);
	for (i = 0; i < nr && ok; i++)
		ok = jit_image(x, imgs[i], &funcs[i], &lens[i]);
	/* the program runs from its first subprogram's image */
	if (ok && nr > 1 && (funcs[0] != x->out->func || lens[0] != x->out->len))
		jit_bad(x->out, VMIAAS_SEV_CRITICAL,
			"its bpf_func 0x%llx is not its first subprogram's (0x%llx)",
			(unsigned long long)x->out->func,
			(unsigned long long)funcs[0]);
	for (i = 0; i < nr && ok; i++)
		ok = jit_hash(x, funcs[i], lens[i]);
	x->out->hashed = ok && EVP_DigestFinal_ex(x->md, x->out->sha, NULL);
}

void bpf_jit_judge(struct vmiaas *v, const struct bpf_jit_layout *j,
		   u64 prog, u64 aux, const u64 *starts, u32 nr_starts,
		   u64 *total, struct bpf_jit *out)
{
	struct jit_ctx *x;
	EVP_MD_CTX *md;

	memset(out, 0, sizeof(*out));
	out->sev = VMIAAS_SEV_INFO;
	if (!j->ok || engine_read_u64(v, prog + j->p_func, &out->func) ||
	    engine_read(v, prog + j->p_jited_len, &out->len, sizeof(out->len)) ||
	    !out->len) {
		out->func = 0;		/* interpreted, or unknown */
		return;
	}
	x = calloc(1, sizeof(*x));
	md = EVP_MD_CTX_new();
	if (!x || !md || !EVP_DigestInit_ex(md, EVP_sha256(), NULL)) {
		EVP_MD_CTX_free(md);
		free(x);
		return;
	}
	*x = (struct jit_ctx){ .v = v, .j = j, .starts = starts,
			       .nr_starts = nr_starts, .md = md,
			       .total = total, .out = out };
	jit_judge(x, prog, aux);
	EVP_MD_CTX_free(md);
	free(x);
}
