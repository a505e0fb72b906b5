// SPDX-License-Identifier: GPL-2.0
/*
 * core/kallsyms.c against synthetic kallsyms tables, laid out the way
 * scripts/kallsyms.c emits them: the 6.1-6.3 order (seqs_of_names absent,
 * 4-byte or 3-byte, markers u32 or u64) and the 6.4+ order, buried in
 * pseudo-random bytes. Then the same tables damaged: truncated, wrong
 * num_syms, garbage token index, oversized names, broken markers and
 * offsets, and a flood of fake token tables.
 *
 *   test_kallsyms                    run the tests
 *   test_kallsyms --write-corpus DIR write a few images as a fuzz corpus
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/kallsyms.h"
#include "tests/lib/tap.h"

#define NSYMS		700	/* three marker blocks */
#define NPERCPU		5	/* absolute per-cpu symbols first */
#define TEXT		0xffffffff81000000ULL
#define REL_BASE	(TEXT - 0x1000)	/* 6.15+: the lowest address */
#define IMG_MAX		(1 << 20)

struct sym {
	u64 addr;
	char type;
	char name[300];
};

enum layout { L61, L64 };

struct variant {
	const char *desc;
	enum layout layout;
	int seq_width;		/* 0: no seqs_of_names */
	int marker_width;
	bool rel_u32;		/* 6.15+ offsets */
	size_t cut_after_base;	/* 6.4: image ends after relative_base */
};

struct image {
	u8 *buf;
	size_t len;
	/* where the tables went, for the damage tests */
	size_t num_syms, names, markers, token_table, token_index, offsets;
	size_t seqs;
};

static struct sym syms[NSYMS];
static char tokens[256][8];
static u32 rng_state = 0x12345678;

static u32 rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state;
}

/* 6.15+ has no absolute per-cpu symbols: they move below _text. */
static u64 want_addr(const struct variant *v, int i)
{
	if (v->rel_u32 && i < NPERCPU)
		return REL_BASE + syms[i].addr;
	return syms[i].addr;
}

static u64 want_base(const struct variant *v)
{
	return v->rel_u32 ? REL_BASE : TEXT;
}

static void make_symbols(void)
{
	static const char *const stems[] = {
		"sym_", "per_cpu_", "init_", "do_", "__x64_sys_", "foo_bar",
	};
	static const char types[] = "TtDdBbRr";
	u64 addr = TEXT;
	int i, j;

	for (i = 0; i < NSYMS; i++) {
		struct sym *s = &syms[i];

		if (i < NPERCPU) {
			s->addr = i * 0x40;
			s->type = 'A';
			snprintf(s->name, sizeof(s->name), "percpu_var%d", i);
			continue;
		}
		s->addr = addr;
		addr += rnd() % 3 ? 0x10 * (1 + rnd() % 64) : 0; /* aliases */
		s->type = types[rnd() % 8];
		snprintf(s->name, sizeof(s->name), "%s%u_%x",
			 stems[rnd() % ARRAY_SIZE(stems)], i, rnd() % 4096);
	}
	/* duplicate names: lookups must find the first */
	for (i = 100; i < 110; i++)
		strcpy(syms[i + 300].name, syms[i].name);
	/* a name longer than 127 tokens: two-byte length */
	for (j = 0; j < 200; j++)
		syms[600].name[j] = 'a' + j % 26;
	syms[600].name[j] = '\0';
	strcpy(syms[NPERCPU].name, "_text");
	syms[NPERCPU].type = 'T';
	syms[NPERCPU + 1].addr = TEXT;
	strcpy(syms[NPERCPU + 1].name, "_stext");
	strcpy(syms[250].name, "init_task");
	syms[250].type = 'D';
}

/* Single characters as themselves, some longer tokens elsewhere. */
static void make_tokens(void)
{
	static const char *const multi[] = {
		"Tsym_", "sym_", "per_cpu_", "_x", "init", "do_", "__",
		"bar", "foo", "dper", "tsym_",
	};
	unsigned int i, k = 0;

	for (i = 0; i < 256; i++) {
		if (i > 0x20 && i < 0x7f) {
			tokens[i][0] = i;
			tokens[i][1] = '\0';
		} else if (k < ARRAY_SIZE(multi)) {
			strcpy(tokens[i], multi[k++]);
		} else {
			tokens[i][0] = '\0';	/* unused, empty */
		}
	}
}

/* Greedy: the longest token matching at each position. */
static size_t encode(const struct sym *s, u8 *out)
{
	char full[320];
	size_t pos = 0, n = 0, best, bl, l;
	unsigned int t;

	snprintf(full, sizeof(full), "%c%s", s->type, s->name);
	while (full[pos]) {
		best = (u8)full[pos];
		bl = 1;
		for (t = 0; t < 256; t++) {
			l = strlen(tokens[t]);
			if (l > bl && !strncmp(full + pos, tokens[t], l)) {
				best = t;
				bl = l;
			}
		}
		out[n++] = best;
		pos += bl;
	}
	return n;
}

struct builder {
	u8 *buf;
	size_t pos;
};

static void put(struct builder *b, const void *p, size_t n)
{
	memcpy(b->buf + b->pos, p, n);
	b->pos += n;
}

static void put_u(struct builder *b, u64 v, size_t n)
{
	put(b, &v, n);	/* little endian */
}

static void align8(struct builder *b)
{
	while (b->pos & 7)
		b->buf[b->pos++] = 0;
}

static void garbage(struct builder *b, size_t n)
{
	while (n--)
		b->buf[b->pos++] = rnd();
}

static int cmp_seq(const void *a, const void *b)
{
	const struct sym *x = &syms[*(const u32 *)a];
	const struct sym *y = &syms[*(const u32 *)b];
	int r = strcmp(x->name, y->name);

	if (r)
		return r;
	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return *(const u32 *)a < *(const u32 *)b ? -1 : 1;
}

static void emit_names(struct builder *b, struct image *img,
		       const struct variant *v)
{
	static u64 markers[(NSYMS + 255) / 256];
	size_t start, n;
	u8 enc[320];
	int i;

	align8(b);
	img->num_syms = b->pos;
	put_u(b, NSYMS, 4);
	align8(b);
	img->names = start = b->pos;
	for (i = 0; i < NSYMS; i++) {
		if (!(i & 0xff))
			markers[i >> 8] = b->pos - start;
		n = encode(&syms[i], enc);
		if (n > 0x7f) {
			put_u(b, 0x80 | (n & 0x7f), 1);
			put_u(b, n >> 7, 1);
		} else {
			put_u(b, n, 1);
		}
		put(b, enc, n);
	}
	align8(b);
	img->markers = b->pos;
	for (i = 0; i < (NSYMS + 255) / 256; i++)
		put_u(b, markers[i], v->marker_width);
}

static void emit_seqs(struct builder *b, struct image *img, int width)
{
	u32 seq[NSYMS];
	int i;

	for (i = 0; i < NSYMS; i++)
		seq[i] = i;
	qsort(seq, NSYMS, sizeof(seq[0]), cmp_seq);
	align8(b);
	img->seqs = b->pos;
	for (i = 0; i < NSYMS; i++) {
		if (width == 4) {
			put_u(b, seq[i], 4);
		} else {
			put_u(b, seq[i] >> 16 & 0xff, 1);
			put_u(b, seq[i] >> 8 & 0xff, 1);
			put_u(b, seq[i] & 0xff, 1);
		}
	}
}

static void emit_tokens(struct builder *b, struct image *img)
{
	u16 index[256];
	size_t start;
	int i;

	align8(b);
	img->token_table = start = b->pos;
	for (i = 0; i < 256; i++) {
		index[i] = b->pos - start;
		put(b, tokens[i], strlen(tokens[i]) + 1);
	}
	align8(b);
	img->token_index = b->pos;
	put(b, index, sizeof(index));
}

static void emit_offsets(struct builder *b, struct image *img,
			 const struct variant *v)
{
	s64 off;
	int i;

	align8(b);
	img->offsets = b->pos;
	for (i = 0; i < NSYMS; i++) {
		if (v->rel_u32)
			off = want_addr(v, i) - REL_BASE;
		else if (syms[i].type == 'A')
			off = syms[i].addr;
		else
			off = -(s64)(syms[i].addr - TEXT) - 1;
		put_u(b, (u32)off, 4);
	}
	align8(b);
	put_u(b, want_base(v), 8);
}

static void build(const struct variant *v, struct image *img)
{
	struct builder b = { .buf = calloc(1, IMG_MAX) };

	memset(img, 0, sizeof(*img));
	/* odd start: tables need only be aligned to each other */
	garbage(&b, 4099);
	if (v->layout == L61) {
		emit_offsets(&b, img, v);
		emit_names(&b, img, v);
		if (v->seq_width)
			emit_seqs(&b, img, v->seq_width);
		emit_tokens(&b, img);
	} else {
		emit_names(&b, img, v);
		emit_tokens(&b, img);
		emit_offsets(&b, img, v);
		if (v->seq_width)
			emit_seqs(&b, img, v->seq_width);
	}
	if (!v->cut_after_base)
		garbage(&b, 3001);
	img->buf = b.buf;
	img->len = b.pos;
}

static u32 expected_flags(const struct variant *v)
{
	u32 f = v->rel_u32 ? VMI_KSYM_REL_U32 : VMI_KSYM_ABS_PERCPU;

	if (v->layout == L64)
		f |= VMI_KSYM_LAYOUT_6_4;
	if (v->seq_width)
		f |= VMI_KSYM_HAS_SEQS;
	if (v->seq_width == 3)
		f |= VMI_KSYM_SEQS_3BYTE;
	if (v->marker_width == 8)
		f |= VMI_KSYM_MARKERS_U64;
	return f;
}

/* Every symbol through every accessor; returns the number of mismatches. */
static int check_symbols(const struct vmi_ksym *ks, const struct variant *v)
{
	char name[VMI_KSYM_NAME_LEN], type;
	int i, j, bad = 0, err;
	size_t pos = 0;
	u64 addr, want;
	u32 idx;

	for (i = 0; i < NSYMS; i++) {
		want = want_addr(v, i);
		err = vmi_ksym_next(ks, i, &pos, name, sizeof(name), &type);
		if (err || type != syms[i].type ||
		    strcmp(name, syms[i].name)) {
			ksft_print_msg("next %d: err %d '%c %s', expected '%c %s'\n",
				       i, err, type, name, syms[i].type,
				       syms[i].name);
			bad++;
		}
		err = vmi_ksym_name(ks, i, name, sizeof(name), &type);
		if (err || strcmp(name, syms[i].name)) {
			ksft_print_msg("name %d: err %d %s\n", i, err, name);
			bad++;
		}
		err = vmi_ksym_addr(ks, i, &addr);
		if (err || addr != want) {
			ksft_print_msg("addr %d: err %d %#" PRIx64
				       ", expected %#" PRIx64 "\n",
				       i, err, addr, want);
			bad++;
		}
		/* the first symbol of that name */
		for (j = 0; strcmp(syms[j].name, syms[i].name); j++)
			;
		err = vmi_ksym_lookup_name(ks, syms[i].name, &addr);
		if (err || addr != want_addr(v, j)) {
			ksft_print_msg("lookup_name %s: err %d %#" PRIx64 "\n",
				       syms[i].name, err, addr);
			bad++;
		}
		/* the first alias at that address */
		for (j = 0; want_addr(v, j) != want; j++)
			;
		err = vmi_ksym_lookup_addr(ks, want + 1, &idx);
		if (err || idx != (u32)j) {
			ksft_print_msg("lookup_addr %#" PRIx64 ": err %d idx %u, expected %d\n",
				       want + 1, err, idx, j);
			bad++;
		}
	}
	return bad;
}

/*
 * The names index on a rebased copy @ks: refused when too small, then
 * the same answers with it, and refused on a copy whose walk disagrees
 * with a marker (a hostile or torn copy), leaving lookups unindexed.
 */
static void test_index(const struct variant *v, struct vmi_ksym ks,
		       const u8 *copy, size_t len)
{
	size_t mw = v->marker_width;
	u32 *pos = calloc(NSYMS, sizeof(*pos));
	u8 *bad = malloc(len);
	int err, err2;

	err = vmi_ksym_index_names(&ks, pos, NSYMS - 1);
	err2 = vmi_ksym_index_names(&ks, NULL, NSYMS);
	TEST_ASSERT(err == -EINVAL && err2 == -EINVAL && !ks.name_pos,
		    "%s: index: too small or NULL array refused (%d, %d)",
		    v->desc, err, err2);
	err = vmi_ksym_index_names(&ks, pos, NSYMS);
	TEST_ASSERT(!err && ks.name_pos == pos && !check_symbols(&ks, v) &&
		    !vmi_ksym_rebase(&ks, copy, len) && !ks.name_pos,
		    "%s: indexed lookups decode the same; rebase drops the index (err %d)",
		    v->desc, err);
	memcpy(bad, copy, len);
	bad[ks.markers + mw] ^= 1;	/* block 1 starts one byte off */
	ks.buf = bad;
	err = vmi_ksym_index_names(&ks, pos, NSYMS);
	TEST_ASSERT(err == -EBADMSG && !ks.name_pos,
		    "%s: index of a copy with a wrong marker: %d, no index",
		    v->desc, err);
	free(bad);
	free(pos);
}

static void test_variant(const struct variant *v)
{
	char name[VMI_KSYM_NAME_LEN], type;
	struct vmi_ksym ks;
	struct image img;
	u8 *copy;
	u64 addr;
	u32 idx;
	int err;

	build(v, &img);
	err = vmi_ksym_locate(img.buf, img.len, &ks);
	TEST_ASSERT(!err && ks.num_syms == NSYMS &&
		    ks.flags == expected_flags(v) &&
		    ks.relative_base == want_base(v),
		    "%s: locate: err %d, %u symbols, flags %#x (expected %#x)",
		    v->desc, err, ks.num_syms, ks.flags, expected_flags(v));
	if (err) {
		free(img.buf);
		return;
	}
	TEST_ASSERT(ks.names == img.names && ks.markers == img.markers &&
		    ks.token_table == img.token_table &&
		    ks.token_index == img.token_index &&
		    ks.offsets == img.offsets &&
		    (!v->seq_width || ks.seqs == img.seqs),
		    "%s: table positions", v->desc);
	err = check_symbols(&ks, v);
	TEST_ASSERT(!err, "%s: %d symbols decoded, %d mismatches", v->desc,
		    NSYMS, err);

	err = vmi_ksym_lookup_name(&ks, "init_task", &addr);
	TEST_ASSERT(!err && addr == syms[250].addr,
		    "%s: init_task at %#" PRIx64, v->desc, addr);
	TEST_ASSERT(vmi_ksym_lookup_name(&ks, "init_tas", &addr) == -ENOENT &&
		    vmi_ksym_lookup_name(&ks, "init_task_", &addr) == -ENOENT &&
		    vmi_ksym_lookup_name(&ks, "zzz", &addr) == -ENOENT &&
		    vmi_ksym_lookup_name(&ks, "", &addr) == -ENOENT &&
		    vmi_ksym_lookup_name(&ks, "\x01", &addr) == -ENOENT,
		    "%s: missing names give -ENOENT", v->desc);
	TEST_ASSERT(vmi_ksym_name(&ks, 600, name, 200, &type) ==
		    -ENAMETOOLONG &&
		    !vmi_ksym_name(&ks, 600, name, 201, &type) &&
		    strlen(name) == 200,
		    "%s: 200-char name needs 201 bytes", v->desc);
	TEST_ASSERT(vmi_ksym_name(&ks, NSYMS, name, sizeof(name), &type) ==
		    -ENOENT && vmi_ksym_addr(&ks, NSYMS, &addr) == -ENOENT,
		    "%s: index out of range gives -ENOENT", v->desc);
	if (!v->rel_u32)
		TEST_ASSERT(vmi_ksym_lookup_addr(&ks, 0, &idx) == 0 && idx == 0,
			    "%s: per-cpu address 0 is symbol 0", v->desc);

	copy = malloc(ks.end - ks.start);
	memcpy(copy, img.buf + ks.start, ks.end - ks.start);
	TEST_ASSERT(vmi_ksym_rebase(&ks, copy, ks.end - ks.start - 1) ==
		    -EBADMSG, "%s: rebase into a short copy fails", v->desc);
	err = vmi_ksym_rebase(&ks, copy, ks.end - ks.start);
	TEST_ASSERT(!err && ks.buf == copy && ks.start == 0 &&
		    !check_symbols(&ks, v),
		    "%s: rebased copy decodes the same (err %d)", v->desc, err);
	test_index(v, ks, copy, ks.end - ks.start);
	free(copy);
	free(img.buf);
}

static const struct variant variants[] = {
	{ "6.1 seqs u32", L61, 4, 4 },
	{ "6.1 seqs 3-byte", L61, 3, 4 },
	{ "6.1 no seqs, u64 markers", L61, 0, 8 },
	{ "6.1 seqs u32, u64 markers", L61, 4, 8 },
	{ "6.4 seqs 3-byte", L64, 3, 4 },
	{ "6.4 seqs u32", L64, 4, 4 },
	{ "6.15 rel u32", L64, 3, 4, true },
	{ "6.4 cut after relative_base", L64, 0, 4, false, 1 },
};

static const struct variant *v61 = &variants[0], *v64 = &variants[4];

/* Damages a fresh image with @fn and expects locate to fail. */
static void test_damage(const struct variant *v, const char *what,
			void (*fn)(struct image *), int want)
{
	struct vmi_ksym ks;
	struct image img;
	int err;

	build(v, &img);
	fn(&img);
	err = vmi_ksym_locate(img.buf, img.len, &ks);
	TEST_ASSERT(err == want, "%s: %s: locate gives %d, expected %d",
		    v->desc, what, err, want);
	free(img.buf);
}

static void nsyms_plus(struct image *img)
{
	img->buf[img->num_syms]++;
}

static void nsyms_minus(struct image *img)
{
	img->buf[img->num_syms]--;
}

static void nsyms_huge(struct image *img)
{
	memset(img->buf + img->num_syms, 0xff, 4);
}

static void index_cycle(struct image *img)
{
	/* token 0x50 points back at token 0x30 */
	memcpy(img->buf + img->token_index + 2 * 0x50,
	       img->buf + img->token_index + 2 * 0x30, 2);
}

static void index_garbage(struct image *img)
{
	memset(img->buf + img->token_index + 2 * 0x80, 0xff, 64);
}

static void huge_name(struct image *img)
{
	img->buf[img->names] = 0xff;
	img->buf[img->names + 1] = 0x7f;
}

static void zero_name(struct image *img)
{
	img->buf[img->names] = 0;
}

/* the first token must hold the type letter (found by fuzzing) */
static void typeless_name(struct image *img)
{
	img->buf[img->names + 1] = 0x10;	/* an empty token */
}

static void bad_marker(struct image *img)
{
	img->buf[img->markers + 4]++;
}

static void bad_offsets(struct image *img)
{
	u32 off = vmi_get_u32(img->buf + img->offsets + 4 * 400);

	off = -(s32)off;
	memcpy(img->buf + img->offsets + 4 * 400, &off, 4);
}

static void bad_seqs(struct image *img)
{
	memset(img->buf + img->seqs + 3 * 100, 0xff, 3);
}

static void test_truncated(const struct variant *v)
{
	struct vmi_ksym ks;
	struct image img;
	size_t cut, end;
	int err, bad = 0;

	build(v, &img);
	end = img.token_index + 512;
	for (cut = 0; cut < end; cut += 1 + cut / 64) {
		err = vmi_ksym_locate(img.buf, cut, &ks);
		if (err != -ENOENT && err != -EBADMSG) {
			ksft_print_msg("cut at %zu: %d\n", cut, err);
			bad++;
		}
	}
	/* 6.1-6.3: everything but the start of offsets */
	if (v->layout == L61) {
		err = vmi_ksym_locate(img.buf + img.offsets + 1,
				      end - img.offsets - 1, &ks);
		bad += err != -EBADMSG;
	}
	TEST_ASSERT(!bad, "%s: truncated images fail cleanly", v->desc);
	free(img.buf);
}

/* Fake token tables only: locate gives up after a bounded number. */
static void test_flood(void)
{
	struct vmi_ksym ks;
	struct image img;
	size_t tlen, n = 0;
	u8 *buf;
	clock_t t0;
	double ms;
	int err;

	build(v64, &img);
	tlen = img.token_index + 512 - img.token_table;
	buf = calloc(1, 2000 * tlen);
	for (n = 0; n < 2000; n++)
		memcpy(buf + n * tlen, img.buf + img.token_table, tlen);
	t0 = clock();
	err = vmi_ksym_locate(buf, 2000 * tlen, &ks);
	ms = (clock() - t0) * 1000.0 / CLOCKS_PER_SEC;
	TEST_ASSERT(err == -EBADMSG && ms < 5000,
		    "2000 fake token tables: %d after %.1f ms", err, ms);
	free(buf);
	free(img.buf);
}

static void test_empty(void)
{
	static const u8 digits[] = "[0\0" "1\0" "2\0" "3\0" "4\0" "5\0"
				   "6\0" "7\0" "8\0" "9\0";
	static u8 zeros[4096];
	struct vmi_ksym ks;
	int bad = 0, err;
	size_t len;
	u8 *p;

	bad += vmi_ksym_locate(zeros, sizeof(zeros), &ks) != -ENOENT;
	bad += vmi_ksym_locate(zeros, 0, &ks) != -ENOENT;
	/* the anchor cut short at the end of the buffer (found by fuzzing) */
	for (len = 0; len < sizeof(digits); len++) {
		p = malloc(len + 1);
		memcpy(p, digits, len);
		err = vmi_ksym_locate(p, len, &ks);
		bad += err != -ENOENT;
		free(p);
	}
	TEST_ASSERT(!bad, "no tables, or anchors cut short: -ENOENT");
}

static int write_corpus(const char *dir)
{
	static const struct variant small[] = {
		{ "61", L61, 4, 4 }, { "61-3", L61, 3, 8 },
		{ "64", L64, 3, 4 },
	};
	char path[4096];
	struct image img;
	unsigned int i;
	size_t len;
	FILE *f;

	for (i = 0; i < ARRAY_SIZE(small); i++) {
		build(&small[i], &img);
		snprintf(path, sizeof(path), "%s/synthetic-%s", dir,
			 small[i].desc);
		/* the tables with a little of the garbage around them */
		len = img.len - 4096 - 2900;
		f = fopen(path, "we");
		if (!f || fwrite(img.buf + 4096, len, 1, f) != 1 || fclose(f)) {
			perror(path);
			return 1;
		}
		free(img.buf);
	}
	return 0;
}

int main(int argc, char **argv)
{
	unsigned int i;

	make_symbols();
	make_tokens();
	if (argc == 3 && !strcmp(argv[1], "--write-corpus"))
		return write_corpus(argv[2]);

	ksft_print_header();
	/* 13 per variant, but no per-cpu check for the 6.15+ one */
	ksft_set_plan(ARRAY_SIZE(variants) * 13 - 1 + 19);
	for (i = 0; i < ARRAY_SIZE(variants); i++)
		test_variant(&variants[i]);

	test_damage(v61, "num_syms + 1", nsyms_plus, -EBADMSG);
	test_damage(v61, "num_syms - 1", nsyms_minus, -EBADMSG);
	test_damage(v61, "num_syms ~0", nsyms_huge, -EBADMSG);
	test_damage(v64, "num_syms + 1", nsyms_plus, -EBADMSG);
	test_damage(v64, "num_syms ~0", nsyms_huge, -EBADMSG);
	test_damage(v61, "cyclic token_index", index_cycle, -ENOENT);
	test_damage(v64, "garbage token_index", index_garbage, -ENOENT);
	test_damage(v61, "name length 16383", huge_name, -EBADMSG);
	test_damage(v64, "name length 16383", huge_name, -EBADMSG);
	test_damage(v64, "name length 0", zero_name, -EBADMSG);
	test_damage(v61, "empty first token", typeless_name, -EBADMSG);
	test_damage(v61, "marker off by one", bad_marker, -EBADMSG);
	test_damage(v64, "offsets out of order", bad_offsets, -EBADMSG);
	test_damage(&variants[1], "seqs out of range", bad_seqs, -EBADMSG);
	test_truncated(v61);
	test_truncated(v64);
	test_truncated(&variants[2]);
	test_flood();
	test_empty();
	ksft_finished();
}
