/* SPDX-License-Identifier: LGPL-2.1 OR MIT */
/*
 * The JIT images of a BPF program (its own and each subprogram's): where
 * struct bpf_prog says they are, whether the kernel would have put them
 * there (the module mapping range, read-only and executable, the start
 * of the program's bpf_ksym), and a SHA-256 of their bytes that leaves
 * out only what the kernel itself patches in a loaded program: the
 * 5-byte entry site a BPF trampoline or an extension program is called
 * from, and the direct tail-call sites of poke_tab. See docs/integrity.md,
 * "BPF programs".
 */
#ifndef VMIAAS_LIB_BPF_JIT_H
#define VMIAAS_LIB_BPF_JIT_H

#include "engine.h"
#include "modarea.h"

#define BPF_JIT_IMAGE_MAX	(16U << 20)	/* bytes of one image */
#define BPF_JIT_TOTAL_MAX	(64U << 20)	/* all images, one scan */
#define BPF_JIT_POKES_MAX	1024		/* poke_tab entries */
#define BPF_JIT_WHAT_LEN	200

struct bpf_jit_layout {
	bool ok;			/* the kernel has what is needed */
	bool pokes;			/* and poke_tab */
	u32 p_func, p_jited_len, p_aux;
	u32 a_ksym, a_func_cnt, a_func, a_poke_tab, a_poke_nr;
	u32 k_start, k_end;
	u32 pd_target, pd_bypass, pd_size;
	struct modarea area;		/* where JIT images may be */
};

/* A program's JIT images now. */
struct bpf_jit {
	u64 func;			/* prog->bpf_func; 0: not JITed */
	u32 len;			/* prog->jited_len */
	bool hashed;			/* sha is of every image */
	u8 sha[32];
	u32 sev;			/* VMIAAS_SEV_INFO: nothing wrong */
	char what[BPF_JIT_WHAT_LEN];	/* what is wrong */
};

void bpf_jit_layout_get(struct vmiaas *v, struct bpf_jit_layout *j);

/*
 * The judgment of program @prog (its aux @aux) into *@out; @starts: the
 * sorted start addresses of every bpf_ksym (programs, trampolines,
 * dispatchers), which an entry site may call or jump to. *@total counts
 * the bytes hashed in this scan. Never fails: what cannot be read is
 * said in @out.
 */
void bpf_jit_judge(struct vmiaas *v, const struct bpf_jit_layout *j,
		   u64 prog, u64 aux, const u64 *starts, u32 nr_starts,
		   u64 *total, struct bpf_jit *out);

#endif /* VMIAAS_LIB_BPF_JIT_H */
