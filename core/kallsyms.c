// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * kallsyms tables located and decoded in guest memory.
 *
 * Locating: the token table is anchored on its run of single-digit tokens
 * "0\0" ... "9\0" (indices 0x30..0x39) and confirmed by the token index
 * that follows it. The markers, and on 6.1-6.3 seqs_of_names, end where the
 * token table starts; num_syms and names precede the markers, so the names
 * stream is found by its length prefix and must reach every marker exactly.
 * offsets and relative_base are then either before num_syms (6.1-6.3) or
 * after the token index (6.4+). Each candidate is checked whole by
 * ks_validate(), which is also what vmi_ksym_rebase() runs on a copy.
 *
 * Readers do not rely on what locate saw: guest memory may change under a
 * live reader, so every read of guest bytes is bounds-checked again. They
 * do rely on the struct vmi_ksym they get, which only locate and rebase
 * produce.
 */
#include "vmi_env.h"
#include "kallsyms.h"

#define KS_ALIGN		8	/* ALGN in the generated .S (64-bit) */
#define KS_MAX_SYMS		(1U << 21)
#define KS_MAX_MARKERS		((KS_MAX_SYMS + 255) / 256)
#define KS_MAX_ENTRY		VMI_KSYM_NAME_LEN	/* tokens per name */
#define KS_MAX_TOKEN		VMI_KSYM_NAME_LEN	/* chars per token */
#define KS_INDEX_WINDOW		64	/* token_table end to token_index */
#define KS_MAX_CANDIDATES	64	/* token tables tried per locate */
#define KS_MAX_NAME_TRIES	64	/* names searches and walks per table */
#define KS_SORT_SAMPLES		64	/* seqs_of_names order spot checks */
#define KS_INDEX_SIZE		(256 * sizeof(u16))

/* The single-character tokens '0'..'9', each with its terminating NUL. */
static const u8 ks_anchor[] = "0\0001\0002\0003\0004\0005\0006\0007\0008\0009";
#define KS_ANCHOR_LEN		sizeof(ks_anchor)	/* 20, with final NUL */

static_assert(sizeof(ks_anchor) == 20, "anchor is ten 2-byte tokens");

/* Next position >= @pos congruent to @ref modulo KS_ALIGN. */
static size_t ks_align(size_t pos, size_t ref)
{
	return pos + ((ref - pos) & (KS_ALIGN - 1));
}

static bool ks_in(size_t buf_len, size_t off, size_t n)
{
	size_t end;

	return !check_add_overflow(off, n, &end) && end <= buf_len;
}

static size_t ks_marker_width(u32 flags)
{
	return flags & VMI_KSYM_MARKERS_U64 ? 8 : 4;
}

static size_t ks_seq_width(u32 flags)
{
	return flags & VMI_KSYM_SEQS_3BYTE ? 3 : 4;
}

static u64 ks_read_marker(const u8 *p, size_t width)
{
	return width == 8 ? vmi_get_u64(p) : vmi_get_u32(p);
}

/*
 * Length of the names entry at @p (@avail bytes left in the stream): 1 or
 * 2 header bytes (bit 7 of the first one set: big length, since 6.1) and
 * then that many token bytes.
 */
static int ks_entry(const u8 *p, size_t avail, size_t *ret_hdr,
		    size_t *ret_len)
{
	size_t len, hdr = 1;

	if (!avail)
		return -EBADMSG;
	len = p[0];
	if (len & 0x80) {
		if (avail < 2)
			return -EBADMSG;
		len = (len & 0x7f) | ((size_t)p[1] << 7);
		hdr = 2;
	}
	if (!len || len > KS_MAX_ENTRY || len > avail - hdr)
		return -EBADMSG;
	*ret_hdr = hdr;
	*ret_len = len;
	return 0;
}

/*
 * Walks @n entries of the names stream at @names, which must end by
 * @limit, checking that every 256th entry starts at its marker and that
 * every entry's first token, which leads with the type letter, is not
 * empty. The token table and index of @ks must have been checked.
 */
static int ks_walk_names(const struct vmi_ksym *ks, size_t names,
			 size_t limit, u32 n, size_t markers, size_t mw,
			 size_t *ret_len)
{
	const u8 *buf = ks->buf, *ti = buf + ks->token_index;
	size_t pos = 0, avail = limit - names, hdr, len, tok;
	u32 i;
	int err;

	if (names > limit)
		return -EBADMSG;
	for (i = 0; i < n; i++) {
		if (!(i & 0xff) &&
		    ks_read_marker(buf + markers + (i >> 8) * mw, mw) != pos)
			return -EBADMSG;
		err = ks_entry(buf + names + pos, avail - pos, &hdr, &len);
		if (err)
			return err;
		tok = vmi_get_u16(ti + 2 * buf[names + pos + hdr]);
		if (tok >= ks->token_table_len ||
		    !buf[ks->token_table + tok])
			return -EBADMSG;
		pos += hdr + len;
	}
	*ret_len = pos;
	return 0;
}

/* The string of token @t: within the token table, NUL-terminated. */
static int ks_token(const struct vmi_ksym *ks, u8 t, const u8 **ret_s,
		    size_t *ret_n)
{
	size_t off = vmi_get_u16(ks->buf + ks->token_index + 2 * t);
	const u8 *s, *z;

	if (off >= ks->token_table_len)
		return -EBADMSG;
	s = ks->buf + ks->token_table + off;
	z = memchr(s, 0, min(ks->token_table_len - off,
			     (size_t)KS_MAX_TOKEN + 1));
	if (!z)
		return -EBADMSG;
	*ret_s = s;
	*ret_n = z - s;
	return 0;
}

/*
 * Checks that the token table holds 256 NUL-terminated tokens, ending at
 * exactly ->token_table_len, and that the token index points at each.
 */
static int ks_check_tokens(const struct vmi_ksym *ks)
{
	const u8 *tt = ks->buf + ks->token_table, *z;
	size_t off = 0;
	int i;

	for (i = 0; i < 256; i++) {
		if (vmi_get_u16(ks->buf + ks->token_index + 2 * i) != off ||
		    off >= ks->token_table_len)
			return -EBADMSG;
		z = memchr(tt + off, 0, min(ks->token_table_len - off,
					    (size_t)KS_MAX_TOKEN + 1));
		if (!z)
			return -EBADMSG;
		off = z - tt + 1;
	}
	return off == ks->token_table_len ? 0 : -EBADMSG;
}

static int ks_get_marker(const struct vmi_ksym *ks, u32 k, size_t *ret)
{
	size_t mw = ks_marker_width(ks->flags);
	u64 v;

	if (k > (ks->num_syms - 1) >> 8)
		return -EBADMSG;
	v = ks_read_marker(ks->buf + ks->markers + (size_t)k * mw, mw);
	if (v >= ks->names_len)
		return -EBADMSG;
	*ret = v;
	return 0;
}

/* Position in the names stream of symbol @idx. */
static int ks_seek(const struct vmi_ksym *ks, u32 idx, size_t *ret_pos)
{
	size_t pos, hdr, len;
	u32 i;
	int err;

	if (idx >= ks->num_syms)
		return -ENOENT;
	if (ks->name_pos && idx < ks->name_pos_nr) {
		*ret_pos = ks->name_pos[idx];	/* < names_len: see index */
		return 0;
	}
	err = ks_get_marker(ks, idx >> 8, &pos);
	if (err)
		return err;
	for (i = 0; i < (idx & 0xff); i++) {
		err = ks_entry(ks->buf + ks->names + pos,
			       ks->names_len - pos, &hdr, &len);
		if (err)
			return err;
		pos += hdr + len;
	}
	*ret_pos = pos;
	return 0;
}

/*
 * Expands the entry at @pos into its type letter and @name; on success
 * *ret_next is the position of the next entry.
 */
static int ks_expand(const struct vmi_ksym *ks, size_t pos, char *name,
		     size_t size, char *ret_type, size_t *ret_next)
{
	const u8 *p, *s;
	size_t hdr, len, i, n, o = 0;
	char type = 0;
	int err;

	if (pos >= ks->names_len)
		return -EBADMSG;
	p = ks->buf + ks->names + pos;
	err = ks_entry(p, ks->names_len - pos, &hdr, &len);
	if (err)
		return err;
	if (!size)
		return -ENAMETOOLONG;
	for (i = 0; i < len; i++) {
		err = ks_token(ks, p[hdr + i], &s, &n);
		if (err)
			return err;
		if (!type && n) {
			type = s[0];
			s++;
			n--;
		}
		if (n >= size - o)
			return -ENAMETOOLONG;
		memcpy(name + o, s, n);
		o += n;
	}
	if (!type)
		return -EBADMSG;
	name[o] = '\0';
	*ret_type = type;
	*ret_next = pos + hdr + len;
	return 0;
}

/*
 * strcmp() of the name at @pos, without its type letter, against @name:
 * *ret < 0, 0 or > 0 as the symbol sorts before, equal to or after it.
 */
static int ks_compare(const struct vmi_ksym *ks, size_t pos,
		      const char *name, int *ret)
{
	const u8 *q = (const u8 *)name, *p, *s;
	size_t hdr, len, i, j, n;
	bool typed = false;
	int err;

	if (pos >= ks->names_len)
		return -EBADMSG;
	p = ks->buf + ks->names + pos;
	err = ks_entry(p, ks->names_len - pos, &hdr, &len);
	if (err)
		return err;
	for (i = 0; i < len; i++) {
		err = ks_token(ks, p[hdr + i], &s, &n);
		if (err)
			return err;
		for (j = 0; j < n; j++) {
			if (!typed) {
				typed = true;
				continue;
			}
			if (s[j] != *q) {
				*ret = s[j] < *q ? -1 : 1;
				return 0;
			}
			q++;
		}
	}
	if (!typed)
		return -EBADMSG;
	*ret = *q ? -1 : 0;
	return 0;
}

static u64 ks_addr(const struct vmi_ksym *ks, u32 idx)
{
	s32 off = (s32)vmi_get_u32(ks->buf + ks->offsets + 4 * (size_t)idx);

	if (!(ks->flags & VMI_KSYM_ABS_PERCPU))
		return ks->relative_base + (u32)off;
	if (off >= 0)
		return (u64)off;
	return ks->relative_base + (u64)(-1 - (s64)off);
}

static u32 ks_seq(const struct vmi_ksym *ks, u32 i)
{
	const u8 *p;

	if (ks->flags & VMI_KSYM_SEQS_3BYTE) {
		p = ks->buf + ks->seqs + 3 * (size_t)i;
		return (u32)p[0] << 16 | (u32)p[1] << 8 | p[2];
	}
	return vmi_get_u32(ks->buf + ks->seqs + 4 * (size_t)i);
}

/* seqs_of_names: every entry a symbol index. */
static int ks_check_seqs_range(const struct vmi_ksym *ks)
{
	u32 i;

	for (i = 0; i < ks->num_syms; i++)
		if (ks_seq(ks, i) >= ks->num_syms)
			return -EBADMSG;
	return 0;
}

/* seqs_of_names: spot checks of the name order (a full one costs ms). */
static int ks_check_seqs_order(const struct vmi_ksym *ks)
{
	char prev[VMI_KSYM_NAME_LEN], type;
	size_t pos, next;
	u32 i, k, a;
	int err, cmp;

	for (k = 0; k < KS_SORT_SAMPLES; k++) {
		i = (u32)((u64)k * (ks->num_syms - 1) / KS_SORT_SAMPLES);
		if (i + 1 >= ks->num_syms)
			break;
		a = ks_seq(ks, i);
		err = ks_seek(ks, a, &pos);
		if (!err)
			err = ks_expand(ks, pos, prev, sizeof(prev), &type,
					&next);
		if (!err)
			err = ks_seek(ks, ks_seq(ks, i + 1), &pos);
		if (!err)
			err = ks_compare(ks, pos, prev, &cmp);
		if (err)
			return -EBADMSG;
		if (cmp < 0)
			return -EBADMSG;
	}
	return 0;
}

/* Addresses in table order must not decrease. */
static int ks_check_offsets(const struct vmi_ksym *ks)
{
	u64 prev = 0, addr;
	u32 i;

	for (i = 0; i < ks->num_syms; i++) {
		addr = ks_addr(ks, i);
		if (addr < prev)
			return -EBADMSG;
		prev = addr;
	}
	return 0;
}

static void ks_span(struct vmi_ksym *ks, size_t off, size_t len)
{
	ks->start = min(ks->start, off);
	ks->end = max(ks->end, off + len);
}

/*
 * Checks a complete description against its buffer and computes the span.
 * Cheap checks first: a wrong layout guess mostly fails on the offsets.
 */
static int ks_validate(struct vmi_ksym *ks)
{
	u32 n = ks->num_syms, abs_rel;
	size_t mw = ks_marker_width(ks->flags), nm, len;
	size_t sw = ks_seq_width(ks->flags);
	int err;

	if (!n || n > KS_MAX_SYMS)
		return -EBADMSG;
	nm = (n + 255) / 256;
	abs_rel = ks->flags & (VMI_KSYM_ABS_PERCPU | VMI_KSYM_REL_U32);
	if (abs_rel != VMI_KSYM_ABS_PERCPU && abs_rel != VMI_KSYM_REL_U32)
		return -EBADMSG;
	if (!(ks->flags & VMI_KSYM_HAS_SEQS) &&
	    (ks->flags & VMI_KSYM_SEQS_3BYTE))
		return -EBADMSG;
	if (!ks_in(ks->buf_len, ks->offsets, 4 * (size_t)n) ||
	    !ks_in(ks->buf_len, ks->names, ks->names_len) ||
	    !ks_in(ks->buf_len, ks->markers, nm * mw) ||
	    !ks_in(ks->buf_len, ks->token_table, ks->token_table_len) ||
	    !ks_in(ks->buf_len, ks->token_index, KS_INDEX_SIZE) ||
	    ((ks->flags & VMI_KSYM_HAS_SEQS) &&
	     !ks_in(ks->buf_len, ks->seqs, sw * n)))
		return -EBADMSG;

	err = ks_check_tokens(ks);
	if (err)
		return err;
	if (ks->flags & VMI_KSYM_HAS_SEQS) {
		err = ks_check_seqs_range(ks);
		if (err)
			return err;
	}
	err = ks_check_offsets(ks);
	if (err)
		return err;
	err = ks_walk_names(ks, ks->names, ks->names + ks->names_len, n,
			    ks->markers, mw, &len);
	if (err)
		return err;
	if (len != ks->names_len)
		return -EBADMSG;
	if (ks->flags & VMI_KSYM_HAS_SEQS) {
		err = ks_check_seqs_order(ks);
		if (err)
			return err;
	}

	ks->start = ks->offsets;
	ks->end = ks->offsets + 4 * (size_t)n;
	ks_span(ks, ks->names, ks->names_len);
	ks_span(ks, ks->markers, nm * mw);
	ks_span(ks, ks->token_table, ks->token_table_len);
	ks_span(ks, ks->token_index, KS_INDEX_SIZE);
	if (ks->flags & VMI_KSYM_HAS_SEQS)
		ks_span(ks, ks->seqs, sw * n);
	return 0;
}

/* ABSOLUTE_PERCPU stores the last (highest, never per-cpu) one negated. */
static void ks_detect_percpu(struct vmi_ksym *ks)
{
	s32 last;

	ks->flags &= ~(VMI_KSYM_ABS_PERCPU | VMI_KSYM_REL_U32);
	last = (s32)vmi_get_u32(ks->buf + ks->offsets +
				4 * ((size_t)ks->num_syms - 1));
	ks->flags |= last < 0 ? VMI_KSYM_ABS_PERCPU : VMI_KSYM_REL_U32;
}

/* offsets and relative_base at @offsets, then a full validation. */
static int ks_try_offsets(struct vmi_ksym *ks, size_t offsets)
{
	size_t rb = ks_align(offsets + 4 * (size_t)ks->num_syms,
			     ks->token_table);

	if (!ks_in(ks->buf_len, offsets, 4 * (size_t)ks->num_syms) ||
	    !ks_in(ks->buf_len, rb, 8))
		return -EBADMSG;
	ks->offsets = offsets;
	ks->relative_base = vmi_get_u64(ks->buf + rb);
	ks_detect_percpu(ks);
	return ks_validate(ks);
}

/*
 * num_syms at @nsyms, names and markers known: decide where offsets and
 * seqs_of_names are. @seqs is 0 unless seqs_of_names was found between the
 * markers and the token table (6.1-6.3).
 */
static int ks_try_layouts(struct vmi_ksym *ks, size_t nsyms, size_t seqs,
			  u32 seq_flags)
{
	static const u32 seq_try[] = {
		VMI_KSYM_HAS_SEQS,
		VMI_KSYM_HAS_SEQS | VMI_KSYM_SEQS_3BYTE,
		0,
	};
	u32 base = ks->flags & VMI_KSYM_MARKERS_U64;
	size_t t = ks->token_table, off, offsets, size;
	unsigned int i;

	if (!seqs) {
		/* 6.4+: offsets, relative_base, seqs after the index. */
		offsets = ks_align(ks->token_index + KS_INDEX_SIZE, t);
		off = ks_align(offsets + 4 * (size_t)ks->num_syms, t);
		off = ks_align(off + 8, t);
		for (i = 0; i < ARRAY_SIZE(seq_try); i++) {
			ks->flags = base | VMI_KSYM_LAYOUT_6_4 | seq_try[i];
			ks->seqs = seq_try[i] ? off : 0;
			if (!ks_try_offsets(ks, offsets))
				return 0;
		}
	}

	/* 6.1-6.3: offsets, relative_base, then num_syms. */
	size = (4 * (size_t)ks->num_syms + KS_ALIGN - 1) &
	       ~(size_t)(KS_ALIGN - 1);
	if (nsyms < 8 + size)
		return -EBADMSG;
	ks->flags = base | seq_flags;
	ks->seqs = seqs;
	return ks_try_offsets(ks, nsyms - 8 - size);
}

/*
 * The markers, @m entries of @mw bytes, start at @p. The names stream ends
 * right before them and is led by a u32 num_syms in [@nlo, @nhi]: search
 * for it backwards, as far as 256 entries of the longest kind reach.
 */
static int ks_find_names(struct vmi_ksym *ks, size_t p, size_t mw, u32 m,
			 u32 nlo, u32 nhi, size_t seqs, u32 seq_flags,
			 unsigned int *tries)
{
	size_t t = ks->token_table, last, s, lo, names, len;
	u32 n;

	if (++*tries > KS_MAX_NAME_TRIES)
		return -EBADMSG;
	last = ks_read_marker(ks->buf + p + (size_t)(m - 1) * mw, mw);
	if (p < last + 2 + 4 + KS_ALIGN)
		return -ENOENT;
	s = p - last - 2 - 4;
	s -= (s - t) & (KS_ALIGN - 1);
	lo = p - last;
	lo = lo > 256 * (KS_MAX_ENTRY + 2) + 2 * KS_ALIGN ?
	     lo - 256 * (KS_MAX_ENTRY + 2) - 2 * KS_ALIGN : 0;
	for (; s >= lo; s -= KS_ALIGN) {
		n = vmi_get_u32(ks->buf + s);
		if (n >= nlo && n <= nhi) {
			if (++*tries > KS_MAX_NAME_TRIES)
				return -EBADMSG;
			names = ks_align(s + 4, t);
			if (!ks_walk_names(ks, names, p, n, p, mw, &len) &&
			    ks_align(names + len, t) == p) {
				ks->num_syms = n;
				ks->names = names;
				ks->names_len = len;
				ks->markers = p;
				ks->flags = mw == 8 ? VMI_KSYM_MARKERS_U64 : 0;
				if (!ks_try_layouts(ks, s, seqs, seq_flags))
					return 0;
			}
		}
		if (s < KS_ALIGN)
			break;
	}
	return -ENOENT;
}

/*
 * @m markers of @mw bytes at @p: either they end at the token table, or
 * seqs_of_names (4 or 3 bytes per symbol) fills the gap.
 */
static int ks_try_markers(struct vmi_ksym *ks, size_t p, size_t mw, u32 m,
			  unsigned int *tries)
{
	size_t t = ks->token_table, gap, sw;
	u32 n, nmax;
	int err;

	gap = ks_align(p + (size_t)m * mw, t);
	if (gap > t)
		return -ENOENT;
	gap = t - gap;
	if (!gap)
		return ks_find_names(ks, p, mw, m, (m - 1) * 256 + 1, m * 256,
				     0, 0, tries);
	for (sw = 4; sw >= 3; sw--) {
		nmax = gap / sw < KS_MAX_SYMS ? gap / sw : KS_MAX_SYMS;
		for (n = nmax; n && gap - (size_t)n * sw < KS_ALIGN; n--) {
			if ((n + 255) / 256 != m)
				continue;
			err = ks_find_names(ks, p, mw, m, n, n, t - gap,
					    VMI_KSYM_HAS_SEQS |
					    (sw == 3 ? VMI_KSYM_SEQS_3BYTE : 0),
					    tries);
			if (err != -ENOENT)
				return err;
		}
	}
	return -ENOENT;
}

/*
 * Markers start with 0 and increase; look for that start below the token
 * table, skipping at most a 4-byte seqs_of_names of the largest table.
 */
static int ks_find_markers(struct vmi_ksym *ks)
{
	const size_t span = (size_t)KS_MAX_SYMS * 4 + KS_MAX_MARKERS * 8 +
			    2 * KS_ALIGN;
	size_t t = ks->token_table, p, mw, k, lo;
	unsigned int tries = 0;
	u64 prev, v;
	u32 m;
	int err;

	lo = t > span ? t - span : 0;
	for (p = t; p >= lo + KS_ALIGN; ) {
		p -= KS_ALIGN;
		if (vmi_get_u32(ks->buf + p))
			continue;
		for (mw = 4; mw <= 8; mw += 4) {
			prev = 0;
			for (k = 1; k < KS_MAX_MARKERS &&
			     p + (k + 1) * mw <= t; k++) {
				v = ks_read_marker(ks->buf + p + k * mw, mw);
				if (v <= prev || v >> 32)
					break;
				prev = v;
			}
			/* seqs_of_names may continue the increasing run */
			for (m = k; m >= 1 && m + 3 >= k; m--) {
				err = ks_try_markers(ks, p, mw, m, &tries);
				if (err != -ENOENT)
					return err;
			}
		}
	}
	return -EBADMSG;
}

/*
 * A token table whose token 0x30 is at @a: find its end and its index, then
 * the rest. -ENOENT if this is not a token table, -EBADMSG if it is but the
 * other tables do not fit.
 */
static int ks_try_anchor(const u8 *buf, size_t len, size_t a,
			 struct vmi_ksym *ks)
{
	size_t e = a, q, t, i30;
	const u8 *z;
	int k;

	for (k = 0x30; k < 256; k++) {
		if (e >= len)
			return -ENOENT;
		z = memchr(buf + e, 0, min(len - e, (size_t)KS_MAX_TOKEN + 1));
		if (!z)
			return -ENOENT;
		e = z - buf + 1;
	}
	for (q = e; q < e + KS_INDEX_WINDOW && q + KS_INDEX_SIZE <= len;
	     q++) {
		i30 = vmi_get_u16(buf + q + 2 * 0x30);
		if (vmi_get_u16(buf + q) || i30 > a)
			continue;
		for (k = 1; k < 10; k++)
			if (vmi_get_u16(buf + q + 2 * (0x30 + k)) !=
			    i30 + 2 * k)
				break;
		if (k < 10)
			continue;
		t = a - i30;
		memset(ks, 0, sizeof(*ks));
		ks->buf = buf;
		ks->buf_len = len;
		ks->token_table = t;
		ks->token_table_len = e - t;
		ks->token_index = q;
		if (!ks_check_tokens(ks))
			return ks_find_markers(ks);
	}
	return -ENOENT;
}

/*
 * A u64 that could lie inside the anchor: digits 0x30-0x3f in the even or
 * in the odd bytes, zeros in the others. Every 20-byte anchor contains one
 * whole word of any 8-byte grid.
 */
static int ks_word_digit_lane(u64 w)
{
	const u64 dig = 0x0030003000300030ULL;
	u64 x = w & 0xf0f0f0f0f0f0f0f0ULL;	/* one test, then the rest */

	if (likely(x != dig && x != dig << 8))
		return -1;
	if (!(w & 0xff00ff00ff00ff00ULL) && x == dig)
		return 0;
	if (!(w & 0x00ff00ff00ff00ffULL) && x == dig << 8)
		return 1;
	return -1;
}

int vmi_ksym_locate(const u8 *buf, size_t len, struct vmi_ksym *ret)
{
	struct vmi_ksym ks;
	size_t i, a, last = SIZE_MAX;
	unsigned int tries = 0;
	int err = -ENOENT, lane, r;
	u8 c;

	if (!buf)
		return -ENOENT;
	for (i = 0; len >= 8 && i <= len - 8; i += 8) {
		lane = ks_word_digit_lane(vmi_get_u64(buf + i));
		if (likely(lane < 0))
			continue;
		c = buf[i + lane];
		if (c > '9' || i + lane < 2 * (size_t)(c - '0'))
			continue;
		a = i + lane - 2 * (size_t)(c - '0');
		if (a == last || len < KS_ANCHOR_LEN ||
		    a > len - KS_ANCHOR_LEN ||
		    memcmp(buf + a, ks_anchor, KS_ANCHOR_LEN))
			continue;
		last = a;
		r = ks_try_anchor(buf, len, a, &ks);
		if (!r) {
			*ret = ks;
			return 0;
		}
		if (r == -EBADMSG) {
			err = r;
			if (++tries >= KS_MAX_CANDIDATES)
				break;
		}
	}
	return err;
}

int vmi_ksym_rebase(struct vmi_ksym *ks, const u8 *copy, size_t copy_len)
{
	struct vmi_ksym n = *ks;
	size_t d = ks->start;

	if (!copy || ks->start > ks->end || ks->end - ks->start > copy_len ||
	    ks->offsets < d || ks->names < d || ks->markers < d ||
	    ks->token_table < d || ks->token_index < d ||
	    ((ks->flags & VMI_KSYM_HAS_SEQS) && ks->seqs < d))
		return -EBADMSG;
	n.buf = copy;
	n.buf_len = copy_len;
	n.offsets -= d;
	n.names -= d;
	n.markers -= d;
	n.token_table -= d;
	n.token_index -= d;
	if (n.flags & VMI_KSYM_HAS_SEQS)
		n.seqs -= d;
	n.name_pos = NULL;	/* positions in the old buffer */
	n.name_pos_nr = 0;
	if (ks_validate(&n))
		return -EBADMSG;
	*ks = n;
	return 0;
}

int vmi_ksym_index_names(struct vmi_ksym *ks, u32 *pos, size_t nr)
{
	size_t p = 0, hdr, len, marker;
	u32 i;
	int err;

	ks->name_pos = NULL;
	ks->name_pos_nr = 0;
	if (!pos || nr < ks->num_syms)
		return -EINVAL;
	if (ks->names_len > 0xffffffffUL)
		return -E2BIG;
	for (i = 0; i < ks->num_syms; i++) {
		if (!(i & 0xff)) {
			err = ks_get_marker(ks, i >> 8, &marker);
			if (err)
				return err;
			if (marker != p)
				return -EBADMSG;
		}
		if (p >= ks->names_len)
			return -EBADMSG;
		err = ks_entry(ks->buf + ks->names + p, ks->names_len - p,
			       &hdr, &len);
		if (err)
			return err;
		pos[i] = p;
		p += hdr + len;
	}
	ks->name_pos = pos;
	ks->name_pos_nr = ks->num_syms;
	return 0;
}

int vmi_ksym_addr(const struct vmi_ksym *ks, u32 idx, u64 *ret_addr)
{
	if (idx >= ks->num_syms)
		return -ENOENT;
	*ret_addr = ks_addr(ks, idx);
	return 0;
}

int vmi_ksym_name(const struct vmi_ksym *ks, u32 idx, char *name,
		  size_t size, char *ret_type)
{
	size_t pos, next;
	int err;

	err = ks_seek(ks, idx, &pos);
	if (err)
		return err;
	return ks_expand(ks, pos, name, size, ret_type, &next);
}

int vmi_ksym_next(const struct vmi_ksym *ks, u32 idx, size_t *pos,
		  char *name, size_t size, char *ret_type)
{
	size_t marker, next;
	int err;

	if (idx >= ks->num_syms)
		return -ENOENT;
	if (!(idx & 0xff)) {
		err = ks_get_marker(ks, idx >> 8, &marker);
		if (err)
			return err;
		if (marker != *pos)
			return -EBADMSG;
	}
	err = ks_expand(ks, *pos, name, size, ret_type, &next);
	if (err)
		return err;
	*pos = next;
	return 0;
}

/* First symbol in address order named @name, walking all of them. */
static int ks_lookup_linear(const struct vmi_ksym *ks, const char *name,
			    u32 *ret_idx)
{
	size_t pos = 0, hdr, len;
	u32 i;
	int err, cmp;

	for (i = 0; i < ks->num_syms; i++) {
		err = ks_compare(ks, pos, name, &cmp);
		if (err)
			return err;
		if (!cmp) {
			*ret_idx = i;
			return 0;
		}
		err = ks_entry(ks->buf + ks->names + pos, ks->names_len - pos,
			       &hdr, &len);
		if (err)
			return err;
		pos += hdr + len;
	}
	return -ENOENT;
}

/*
 * Leftmost match in seqs_of_names: the kernel sorts equal names by address,
 * so this is the same symbol the linear walk finds.
 */
static int ks_lookup_seqs(const struct vmi_ksym *ks, const char *name,
			  u32 *ret_idx)
{
	u32 lo = 0, hi = ks->num_syms, mid, idx;
	size_t pos;
	int err, cmp;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		err = ks_seek(ks, ks_seq(ks, mid), &pos);
		if (!err)
			err = ks_compare(ks, pos, name, &cmp);
		if (err)
			return err == -ENOENT ? -EBADMSG : err;
		if (cmp < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo >= ks->num_syms)
		return -ENOENT;
	idx = ks_seq(ks, lo);
	err = ks_seek(ks, idx, &pos);
	if (!err)
		err = ks_compare(ks, pos, name, &cmp);
	if (err)
		return err == -ENOENT ? -EBADMSG : err;
	if (cmp)
		return -ENOENT;
	*ret_idx = idx;
	return 0;
}

int vmi_ksym_lookup_name(const struct vmi_ksym *ks, const char *name,
			 u64 *ret_addr)
{
	u32 idx;
	int err;

	if (!name || !*name)
		return -ENOENT;
	if (ks->flags & VMI_KSYM_HAS_SEQS)
		err = ks_lookup_seqs(ks, name, &idx);
	else
		err = ks_lookup_linear(ks, name, &idx);
	if (err)
		return err;
	*ret_addr = ks_addr(ks, idx);
	return 0;
}

int vmi_ksym_lookup_addr(const struct vmi_ksym *ks, u64 addr, u32 *ret_idx)
{
	u32 lo = 0, hi = ks->num_syms, mid;
	u64 found;

	/* lo: the first symbol above @addr */
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (ks_addr(ks, mid) <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return -ENOENT;
	/* like the kernel's get_symbol_pos(), the first of the aliases */
	found = ks_addr(ks, lo - 1);
	hi = lo - 1;
	lo = 0;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (ks_addr(ks, mid) < found)
			lo = mid + 1;
		else
			hi = mid;
	}
	*ret_idx = lo;
	return 0;
}
