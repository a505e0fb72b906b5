/* SPDX-License-Identifier: LGPL-2.1 OR MIT */
/*
 * bpf-programs: the guest's BPF programs from its own records (prog_idr,
 * link_idr, bpf_kallsyms), each with what it can do: the helpers its
 * verified instructions call and where it is attached. See
 * docs/integrity.md, "BPF programs".
 */
#ifndef VMIAAS_LIB_BPF_CENSUS_H
#define VMIAAS_LIB_BPF_CENSUS_H

#include "hidden.h"

/* Caps on what a guest's BPF records can make us read. */
#define BPF_CENSUS_PROGS_MAX	(1U << 16)	/* programs and links, each */
#define BPF_CENSUS_INSNS_MAX	(1U << 20)	/* BPF_COMPLEXITY_LIMIT_INSNS */
#define BPF_CENSUS_TOTAL_INSNS	(1U << 23)	/* all programs, one scan */
#define BPF_CENSUS_SUBPROGS_MAX	256		/* BPF_MAX_SUBPROGS */
#define BPF_CENSUS_KSYMS_MAX	(1U << 18)	/* bpf_kallsyms entries */
#define BPF_CENSUS_EVENTS_MAX	64		/* per-program events */

/* Dangerous helpers a program calls (bpf_prog_info.helpers). */
enum {
	BPF_HELPER_WRITE_USER = 1U << 0,	/* bpf_probe_write_user */
	BPF_HELPER_OVERRIDE = 1U << 1,		/* bpf_override_return */
	BPF_HELPER_SIGNAL = 1U << 2,		/* bpf_send_signal(_thread) */
};

#define BPF_NAME_LEN		16	/* BPF_OBJ_NAME_LEN */
#define BPF_ATTACH_LEN		128	/* "cgroup /system.slice/x.service"... */

/*
 * A program as a baseline records it. Its identity is the struct
 * bpf_prog's address and id together (either alone can be reused: an id
 * by a kernel write, an address by the allocator); what it does is the
 * SHA-256 of its verified instructions, computed here from guest memory
 * (the kernel's own tag is guest data), with its type, name and length.
 */
struct bpf_base_prog {
	u64 addr;			/* struct bpf_prog *: sorted by it */
	u32 id, type, eat, len;		/* eat: expected_attach_type */
	u8 tag[8];			/* the kernel's, for messages */
	u8 sha[32];			/* of prog->insnsi[0..len) */
	char name[BPF_NAME_LEN + 8];
	char attach[BPF_ATTACH_LEN];	/* "" when none was found */
	/* its JIT images (bpf_jit.h), when the baseline has them */
	u64 jit_func;			/* prog->bpf_func; 0: not JITed */
	u32 jit_len;
	bool jit_hashed;
	u8 jit_sha[32];
};

/* The programs of a baseline (vmiaas_baseline.bpf). */
struct bpf_baseline {
	bool recorded;			/* false: a format 2 baseline */
	bool has_bpf;			/* the kernel had prog_idr */
	bool jit_recorded;		/* the JIT section was there */
	u32 nr;
	struct bpf_base_prog *p;	/* sorted by addr */
};

/*
 * The programs now, for a baseline: *@ret (free()) sorted by address.
 * A kernel without BPF gives none and *@ret_has_bpf false.
 */
int bpf_programs_take(struct vmiaas *v, struct bpf_base_prog **ret,
		      u32 *ret_nr, bool *ret_has_bpf);

/*
 * The check: findings and events of "bpf-programs" to @s. 0, or a
 * read/walk error; a kernel without BPF (no prog_idr) has nothing to see.
 * With @base (may be NULL) programs are compared with the baseline's:
 * new ones are named as such, unchanged benign ones are not reported,
 * changed ones are findings and gone ones events (docs/integrity.md).
 */
int bpf_check_programs(struct vmiaas *v, const struct bpf_baseline *base,
		       const struct hidden_sink *s);

/* Helper functions looked for: write-user, override, signal, signal-thread. */
#define BPF_CENSUS_HELPER_SYMS	4

/*
 * The helper bits of @nr instructions (struct bpf_insn, 8 bytes each) of
 * a verified program: calls to helper functions are "call imm" with imm
 * the helper's address minus __bpf_call_base (@call_base); @helpers: the
 * addresses of the helpers above (0: absent). For tests.
 */
u32 bpf_insns_helpers(const u8 *insns, u32 nr, u64 call_base,
		      const u64 helpers[BPF_CENSUS_HELPER_SYMS]);

#endif /* VMIAAS_LIB_BPF_CENSUS_H */
