/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * The kernel's own symbol table (scripts/kallsyms.c output), located and
 * decoded in a buffer holding guest memory, with no profile and no
 * System.map.
 *
 * Layouts are detected, never assumed:
 *   6.1-6.3: offsets, relative_base, num_syms, names, markers,
 *            [seqs_of_names], token_table, token_index
 *   6.4+:    num_syms, names, markers, token_table, token_index, offsets,
 *            relative_base, seqs_of_names
 * seqs_of_names exists from 6.2 (backported to 6.1.42 stable, so Debian 12
 * has it, in 3-byte big-endian entries like mainline; u32 entries are
 * detected too); markers are u32 or unsigned long; addresses are relative to
 * relative_base, with ABSOLUTE_PERCPU on x86-64 before 6.15.
 *
 * Every table is bounds-checked against the buffer: a corrupt or hostile
 * guest yields -EBADMSG, never an out-of-bounds access.
 * Errors:
 *   -ENOENT  no kallsyms tables in the buffer / no such symbol
 *   -EBADMSG tables found but inconsistent
 *   -ENAMETOOLONG a name does not fit the caller's buffer
 */
#ifndef VMI_KALLSYMS_H
#define VMI_KALLSYMS_H

#include "vmi_env.h"

#define VMI_KSYM_NAME_LEN	512	/* KSYM_NAME_LEN since 6.1 */

#define VMI_KSYM_ABS_PERCPU	(1U << 0)	/* off >= 0: absolute */
#define VMI_KSYM_LAYOUT_6_4	(1U << 1)	/* 6.4+ table order */
#define VMI_KSYM_HAS_SEQS	(1U << 2)	/* kallsyms_seqs_of_names */
#define VMI_KSYM_SEQS_3BYTE	(1U << 3)	/* 3-byte seqs (6.2 mainline) */
#define VMI_KSYM_MARKERS_U64	(1U << 4)	/* markers are unsigned long */
#define VMI_KSYM_REL_U32	(1U << 5)	/* 6.15+: base + (u32)off */

/*
 * The located tables. Offsets are relative to the start of the buffer they
 * were found in (->buf); the whole set lies in [->start, ->end).
 */
struct vmi_ksym {
	const u8 *buf;
	size_t buf_len;
	size_t start, end;	/* span of all tables in buf */
	u32 flags;		/* VMI_KSYM_* */
	u32 num_syms;
	u64 relative_base;	/* runtime address of _text (KASLR applied) */
	size_t offsets;		/* s32[num_syms] */
	size_t names;		/* compressed names */
	size_t names_len;
	size_t markers;		/* u32 or u64 [(num_syms + 255) / 256] */
	size_t seqs;		/* seqs_of_names, if VMI_KSYM_HAS_SEQS */
	size_t token_table;	/* 256 NUL-terminated tokens */
	size_t token_table_len;
	size_t token_index;	/* u16[256] */
	const u32 *name_pos;	/* vmi_ksym_index_names(), or NULL */
	u32 name_pos_nr;
};

/*
 * Searches @buf (@len bytes of guest memory, for instance the kernel image
 * or a chunk of guest RAM) for kallsyms tables. On success fills @ret with
 * positions relative to @buf. The first complete, consistent set wins;
 * after 64 token tables that lead nowhere the search gives up (-EBADMSG),
 * which bounds the work a guest can cause by planting decoys.
 *
 * The readers below take a struct filled by locate or rebase, and
 * bounds-check every guest byte they read again: the buffer may be live
 * guest memory that changes after locate.
 */
int vmi_ksym_locate(const u8 *buf, size_t len, struct vmi_ksym *ret);

/*
 * Points @ks at a private copy of its tables: @copy holds the bytes
 * [ks->start, ks->end) of the original buffer. Re-validates everything.
 */
int vmi_ksym_rebase(struct vmi_ksym *ks, const u8 *copy, size_t copy_len);

/*
 * Indexes the names stream so that finding symbol @idx's name no longer
 * decodes up to 255 names from its marker (each lookup by name decodes
 * ~17 names through seqs_of_names; each lookup by address one). @pos is
 * caller-owned, at least num_syms entries, and must outlive @ks's use;
 * the walk is checked against every marker. Only for tables that no
 * longer change (a vmi_ksym_rebase() copy): positions are trusted later.
 * Rebase forgets the index. -EINVAL (@nr too small), -E2BIG (names over
 * 4 GiB), -EBADMSG (leaves @ks without an index).
 */
int vmi_ksym_index_names(struct vmi_ksym *ks, u32 *pos, size_t nr);

/* Address of symbol @idx (in address order). */
int vmi_ksym_addr(const struct vmi_ksym *ks, u32 idx, u64 *ret_addr);

/* Name and type letter ('T', 't', 'D'...) of symbol @idx. */
int vmi_ksym_name(const struct vmi_ksym *ks, u32 idx, char *name,
		  size_t size, char *ret_type);

/*
 * Iteration in address order without re-seeking the names stream:
 * *pos starts at 0 and is advanced past symbol @idx (left alone on error).
 */
int vmi_ksym_next(const struct vmi_ksym *ks, u32 idx, size_t *pos,
		  char *name, size_t size, char *ret_type);

/*
 * Name to address (binary search through seqs_of_names when present, a
 * linear walk otherwise): the lowest address of that name, like the
 * kernel's kallsyms_lookup_name(). The order of seqs_of_names is only
 * spot-checked, so a guest that reorders it can hide names (as it could by
 * renaming them); a name found is always that name.
 */
int vmi_ksym_lookup_name(const struct vmi_ksym *ks, const char *name,
			 u64 *ret_addr);

/*
 * Address to the symbol containing it: the highest address <= @addr and,
 * of the symbols at that address, the first (the kernel's
 * get_symbol_pos()). -ENOENT below the first symbol.
 */
int vmi_ksym_lookup_addr(const struct vmi_ksym *ks, u64 addr, u32 *ret_idx);

#endif /* VMI_KALLSYMS_H */
