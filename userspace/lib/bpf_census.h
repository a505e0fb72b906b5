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

/*
 * The check: findings and events of "bpf-programs" to @s. 0, or a
 * read/walk error; a kernel without BPF (no prog_idr) has nothing to see.
 */
int bpf_check_programs(struct vmiaas *v, const struct hidden_sink *s);

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
