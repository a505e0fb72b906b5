// SPDX-License-Identifier: GPL-2.0
/*
 * userspace/lib/btf.c against a small kernel-like BTF written with libbpf's
 * writer API (anonymous union and struct, typedef, qualifiers, array of
 * structs, kind_flag bitfield, FWD, empty duplicate, enums), buried at an
 * odd offset in pseudo-random bytes with decoy headers. Then the blob
 * damaged: truncated, lengths that overflow, unterminated strings, ids and
 * name offsets out of range, an unknown kind, module (split) BTF, and
 * cycles through typedefs and anonymous members. Last, the name index that
 * lookups build on first use: 5,000 names sharing hash buckets, duplicate
 * and empty definitions, enumerators of the same name, an enum of 65,535
 * values, a btf freed behind the index's back, more btfs than index slots.
 *
 *   test_btf                    run the tests
 *   test_btf --write-corpus DIR write a few blobs as a fuzz corpus
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/btf.h>

#include "userspace/lib/engine.h"
#include "tests/lib/tap.h"

#define JUNK_LEN	(256 * 1024)
#define BLOB_AT		12345		/* odd on purpose */
#define NR_TESTS	72

/*
 * struct task_struct {			offset
 *	int state;			0
 *	union { int a; long b; };	8
 *	struct { int pid; int tgid; };	16, 20
 *	struct list_head tasks;		24
 *	char comm[16];			40
 *	int flags:3;			56 (bit 448)
 *	const lh_t children;		64   (typedef struct list_head lh_t)
 *	struct region mem[3];		80   (struct region { void *base; int size; })
 *	loop_a cyc;			128  (typedef loop_a -> loop_b -> loop_a)
 * };					size 136
 */
struct ids {
	int i32, i64, chr, ptr, lh, lh_t, c_lh_t, region, arr_region, arr_chr,
	    loop_a, loop_b;
};

static struct btf *build_btf(bool with_task_struct)
{
	struct btf *b = btf__new_empty();
	struct ids id;
	int s, u;

	if (!b)
		return NULL;
	id.i32 = btf__add_int(b, "int", 4, BTF_INT_SIGNED);
	id.i64 = btf__add_int(b, "long", 8, BTF_INT_SIGNED);
	id.chr = btf__add_int(b, "char", 1, BTF_INT_CHAR);
	id.ptr = btf__add_ptr(b, 0);

	btf__add_fwd(b, "list_head", BTF_FWD_STRUCT);
	btf__add_struct(b, "list_head", 0);	/* empty duplicate */
	id.lh = btf__add_struct(b, "list_head", 16);
	btf__add_field(b, "next", id.ptr, 0, 0);
	btf__add_field(b, "prev", id.ptr, 64, 0);
	id.lh_t = btf__add_typedef(b, "lh_t", id.lh);
	id.c_lh_t = btf__add_const(b, id.lh_t);

	id.region = btf__add_struct(b, "region", 16);
	btf__add_field(b, "base", id.ptr, 0, 0);
	btf__add_field(b, "size", id.i32, 64, 0);
	id.arr_region = btf__add_array(b, id.i32, id.region, 3);
	id.arr_chr = btf__add_array(b, id.i32, id.chr, 16);

	/* a typedef cycle: loop_a -> loop_b -> loop_a */
	id.loop_a = btf__type_cnt(b);
	id.loop_b = id.loop_a + 1;
	btf__add_typedef(b, "loop_a", id.loop_b);
	btf__add_typedef(b, "loop_b", id.loop_a);

	btf__add_fwd(b, "mm_struct", BTF_FWD_STRUCT);

	/* an anonymous struct that contains itself */
	s = btf__type_cnt(b);
	btf__add_struct(b, "selfref", 8);
	btf__add_field(b, "", s + 1, 0, 0);
	btf__add_struct(b, NULL, 8);
	btf__add_field(b, "", s + 1, 0, 0);

	u = btf__add_union(b, NULL, 8);
	btf__add_field(b, "a", id.i32, 0, 0);
	btf__add_field(b, "b", id.i64, 0, 0);
	s = btf__add_struct(b, NULL, 8);
	btf__add_field(b, "pid", id.i32, 0, 0);
	btf__add_field(b, "tgid", id.i32, 32, 0);

	if (with_task_struct) {
		btf__add_struct(b, "task_struct", 136);
		btf__add_field(b, "state", id.i32, 0, 0);
		btf__add_field(b, "", u, 64, 0);
		btf__add_field(b, "", s, 128, 0);
		btf__add_field(b, "tasks", id.lh, 192, 0);
		btf__add_field(b, "comm", id.arr_chr, 320, 0);
		btf__add_field(b, "flags", id.i32, 448, 3);
		btf__add_field(b, "children", id.c_lh_t, 512, 0);
		btf__add_field(b, "mem", id.arr_region, 640, 0);
		btf__add_field(b, "cyc", id.loop_a, 1024, 0);
	}

	btf__add_enum(b, "module_state", 4);
	btf__add_enum_value(b, "MODULE_STATE_LIVE", 0);
	btf__add_enum_value(b, "MODULE_STATE_COMING", 1);
	btf__add_enum_value(b, "MODULE_STATE_NEG", -2);
	btf__add_enum64(b, "big", 8, false);
	btf__add_enum64_value(b, "BIG_VALUE", 1ULL << 40);

	s = btf__add_var(b, "runqueues", BTF_VAR_GLOBAL_ALLOCATED, id.i64);
	btf__add_datasec(b, ".data..percpu", 8);
	btf__add_datasec_var_info(b, s, 0, 8);
	return b;
}

/* The raw blob of build_btf(), malloc()ed. */
static u8 *raw_blob(bool with_task_struct, size_t *ret_len)
{
	struct btf *b = build_btf(with_task_struct);
	const void *raw;
	u32 len;
	u8 *copy;

	if (!b) {
		ksft_print_msg("btf__new_empty failed\n");
		exit(KSFT_FAIL);
	}
	raw = btf__raw_data(b, &len);
	copy = malloc(len);
	if (!raw || !copy)
		exit(KSFT_FAIL);
	memcpy(copy, raw, len);
	btf__free(b);
	*ret_len = len;
	return copy;
}

static u64 rng_state = 0x9e3779b97f4a7c15ULL;

static u8 rnd8(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state >> 32;
}

static void put32(u8 *p, u32 v)
{
	memcpy(p, &v, sizeof(v));
}

static u32 get32(const u8 *p)
{
	u32 v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* Pseudo-random bytes with a few decoy BTF headers in them. */
static u8 *junk(void)
{
	static const u8 decoy[24] = { 0x9f, 0xeb, 1, 0, 24, 0, 0, 0 };
	u8 *buf = malloc(JUNK_LEN);
	size_t i;

	if (!buf)
		exit(KSFT_FAIL);
	for (i = 0; i < JUNK_LEN; i++)
		buf[i] = rnd8();
	for (i = 1000; i + 64 < JUNK_LEN; i += 7777) {
		memcpy(buf + i, decoy, sizeof(decoy));
		put32(buf + i + 20, (u32)i);	/* str_len: runs off */
	}
	put32(buf + JUNK_LEN - 30, 0x0001eb9f); /* truncated header */
	return buf;
}

static void test_good(void)
{
	size_t len, off = 0, size = 0;
	struct btf_field f;
	u8 *blob = raw_blob(true, &len), *buf = junk();
	struct btf *btf = NULL;
	u32 v = 0;
	s64 e = 0;
	int err;

	memcpy(buf + BLOB_AT, blob, len);
	err = btf_locate(buf, JUNK_LEN, &off, &size);
	TEST_ASSERT(!err && off == BLOB_AT && size == len,
		    "locate at an odd offset in junk (err %d, at %zu size %zu, expected %d %zu)",
		    err, off, size, BLOB_AT, len);
	err = btf_load(buf + BLOB_AT, JUNK_LEN - BLOB_AT, &btf);
	TEST_ASSERT(!err && btf, "load (err %d)", err);
	if (err)
		exit(KSFT_FAIL);

#define OFF(type, path, want) do {					\
	v = ~0U;							\
	err = btf_offsetof(btf, type, path, &v);			\
	TEST_ASSERT(!err && v == (want), "offsetof %s.%s: %d %u, expected %u", \
		    type, path, err, v, (u32)(want));			\
} while (0)
#define ERR(type, path, want) do {					\
	err = btf_offsetof(btf, type, path, &v);			\
	TEST_ASSERT(err == (want), "offsetof %s.%s: %d, expected %d",	\
		    type, path, err, want);				\
} while (0)
#define SIZE(type, path, want) do {					\
	v = ~0U;							\
	err = btf_member_size(btf, type, path, &v);			\
	TEST_ASSERT(!err && v == (want), "sizeof %s.%s: %d %u, expected %u", \
		    type, path, err, v, (u32)(want));			\
} while (0)

	OFF("task_struct", "state", 0);
	OFF("task_struct", "b", 8);		/* anonymous union */
	OFF("task_struct", "pid", 16);		/* anonymous struct */
	OFF("task_struct", "tgid", 20);
	OFF("task_struct", "tasks", 24);
	OFF("task_struct", "tasks.prev", 32);
	OFF("task_struct", "comm", 40);
	OFF("task_struct", "comm[5]", 45);
	OFF("task_struct", "children.prev", 72);	/* const typedef */
	OFF("task_struct", "mem", 80);
	OFF("task_struct", "mem[0].base", 80);
	OFF("task_struct", "mem[2].size", 80 + 32 + 8);
	OFF("list_head", "prev", 8);		/* not the FWD, not the empty one */
	OFF("lh_t", "prev", 8);			/* typedef of a struct */
	SIZE("task_struct", "tasks", 16);
	SIZE("task_struct", "children", 16);
	SIZE("task_struct", "comm", 16);
	SIZE("task_struct", "mem", 48);
	SIZE("task_struct", "mem[1]", 16);
	SIZE("task_struct", "mem[1].size", 4);
	err = btf_sizeof(btf, "task_struct", &v);
	TEST_ASSERT(!err && v == 136, "sizeof task_struct: %d %u", err, v);

	ERR("task_struct", "flags", -EINVAL);	/* bitfield */
	err = btf_field(btf, "task_struct", "flags", &f);
	TEST_ASSERT(!err && f.bit_off == 448 && f.bit_size == 3 && f.size == 4,
		    "bitfield: %d bit %" PRIu64 ":%u size %u", err, f.bit_off,
		    f.bit_size, f.size);
	ERR("task_struct", "nope", -ENOENT);
	ERR("task_struct", "tasks.nope", -ENOENT);
	ERR("nope", "tasks", -ENOENT);
	ERR("mm_struct", "pgd", -ENOENT);	/* FWD only */
	ERR("task_struct", "comm[16]", -EINVAL);
	ERR("task_struct", "mem[3].base", -EINVAL);
	ERR("task_struct", "mem[4294967296]", -EINVAL);
	ERR("task_struct", "tasks[0]", -EINVAL);
	ERR("task_struct", "mem[0", -EINVAL);
	ERR("task_struct", "mem[]", -EINVAL);
	ERR("task_struct", "", -EINVAL);
	ERR("task_struct", "tasks.", -EINVAL);
	ERR("task_struct", "state.x", -EINVAL);
	ERR("task_struct", "flags.x", -EINVAL);
	ERR("task_struct", "a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q", -EINVAL);
	ERR("task_struct", "cyc", -ELOOP);	/* typedef cycle */
	ERR("selfref", "x", -ELOOP);		/* anonymous member cycle */

	err = btf_enum_value(btf, "MODULE_STATE_COMING", &e);
	TEST_ASSERT(!err && e == 1, "enum MODULE_STATE_COMING: %d %" PRId64, err, e);
	err = btf_enum_value(btf, "MODULE_STATE_NEG", &e);
	TEST_ASSERT(!err && e == -2, "enum signed: %d %" PRId64, err, e);
	err = btf_enum_value(btf, "BIG_VALUE", &e);
	TEST_ASSERT(!err && e == 1LL << 40, "enum64: %d %" PRId64, err, e);
	err = btf_enum_value(btf, "NOPE", &e);
	TEST_ASSERT(err == -ENOENT, "enum missing: %d", err);

	btf_unload(btf);
	free(buf);
	free(blob);
}

/* Damages a copy of the blob; both locate and load must refuse it. */
static void test_damage(const char *desc, void (*damage)(u8 *, size_t *),
			int want)
{
	size_t len, off, size;
	u8 *blob = raw_blob(true, &len), *buf = junk();
	struct btf *btf = NULL;
	int lerr, err;

	damage(blob, &len);
	memcpy(buf + BLOB_AT, blob, len);
	lerr = btf_locate(buf, BLOB_AT + len, &off, &size);
	err = btf_load(blob, len, &btf);
	TEST_ASSERT(lerr == -ENOENT && err == want,
		    "%s: locate %d load %d, expected -ENOENT and %d", desc,
		    lerr, err, want);
	btf_unload(btf);
	free(buf);
	free(blob);
}

static u32 hdr(const u8 *b, int field)
{
	return get32(b + 4 * field);
}

/* struct btf_header as u32s: 1 hdr_len, 2 type_off, 3 type_len, 4/5 str. */
static void truncate_one(u8 *b, size_t *len) { (*len)--; }
static void truncate_hdr(u8 *b, size_t *len) { *len = 20; }
static void str_len_huge(u8 *b, size_t *len) { put32(b + 20, 0xffffffffU); }
static void str_off_wrap(u8 *b, size_t *len)
{
	put32(b + 16, 0xfffffff0U);
	put32(b + 20, 0x20);
}
static void type_len_over(u8 *b, size_t *len) { put32(b + 12, hdr(b, 3) + 4); }
static void str_unterminated(u8 *b, size_t *len) { b[*len - 1] = 'x'; }
static void str_no_leading_nul(u8 *b, size_t *len) { b[24 + hdr(b, 4)] = 'x'; }
static void hdr_tail(u8 *b, size_t *len) { put32(b + 4, 28); }
static void bad_version(u8 *b, size_t *len) { b[2] = 2; }
static void bad_kind(u8 *b, size_t *len) { put32(b + 24 + 4, 31U << 24); }
/* type 4 is the PTR, after three INTs of 16 bytes */
static void bad_ref(u8 *b, size_t *len) { put32(b + 24 + 48 + 8, 0x7fffffff); }
static void bad_name(u8 *b, size_t *len) { put32(b + 24, hdr(b, 5) + 3); }
static void bad_info(u8 *b, size_t *len) { b[24 + 4 + 2] = 1; }

static void test_damages(void)
{
	test_damage("truncated by one byte", truncate_one, -EBADMSG);
	test_damage("truncated header", truncate_hdr, -EBADMSG);
	test_damage("str_len 0xffffffff", str_len_huge, -E2BIG);
	test_damage("str_off + str_len wraps", str_off_wrap, -E2BIG);
	test_damage("type section into strings", type_len_over, -EBADMSG);
	test_damage("strings not NUL-terminated", str_unterminated, -EBADMSG);
	test_damage("strings not starting with NUL", str_no_leading_nul, -EBADMSG);
	test_damage("hdr_len 28, types in the tail", hdr_tail, -EBADMSG);
	test_damage("version 2", bad_version, -EBADMSG);
	test_damage("kind 31", bad_kind, -EBADMSG);
	test_damage("type id out of range", bad_ref, -EBADMSG);
	test_damage("name offset out of range", bad_name, -EBADMSG);
	test_damage("reserved info bits", bad_info, -EBADMSG);
}

/* A 28-byte header with a zero tail is a later version's: accepted. */
static void test_long_header(void)
{
	size_t len, off, size;
	u8 *blob = raw_blob(true, &len), *buf = junk();
	struct btf *btf = NULL;
	int lerr, err;

	memcpy(buf + BLOB_AT, blob, 24);
	put32(buf + BLOB_AT + 4, 28);
	memset(buf + BLOB_AT + 24, 0, 4);
	memcpy(buf + BLOB_AT + 28, blob + 24, len - 24);
	lerr = btf_locate(buf, JUNK_LEN, &off, &size);
	err = btf_load(buf + BLOB_AT, len + 4, &btf);
	TEST_ASSERT(!lerr && off == BLOB_AT && size == len + 4 && !err,
		    "hdr_len 28 with zero tail: locate %d (%zu, %zu) load %d",
		    lerr, off, size, err);
	btf_unload(btf);
	free(buf);
	free(blob);
}

/* No task_struct; module BTF, split off a base: neither is vmlinux. */
static void test_not_vmlinux(void)
{
	size_t len, off, size;
	u8 *blob = raw_blob(false, &len), *buf = junk();
	struct btf *btf = NULL, *base, *split;
	const void *raw;
	u32 rlen;
	int lerr, err;

	memcpy(buf + BLOB_AT, blob, len);
	lerr = btf_locate(buf, JUNK_LEN, &off, &size);
	err = btf_load(blob, len, &btf);
	TEST_ASSERT(lerr == -ENOENT && err == -ENOENT,
		    "no task_struct: locate %d load %d", lerr, err);
	free(blob);

	base = build_btf(true);
	split = btf__new_empty_split(base);
	if (!base || !split)
		exit(KSFT_FAIL);
	btf__add_struct(split, "task_struct", 8);
	btf__add_field(split, "module_field", 1, 0, 0);
	btf__add_struct(split, "module", 8);
	btf__add_field(split, "x", btf__type_cnt(split) - 2, 0, 0);
	raw = btf__raw_data(split, &rlen);
	memcpy(buf + BLOB_AT, raw, rlen);
	lerr = btf_locate(buf, JUNK_LEN, &off, &size);
	err = btf_load(raw, rlen, &btf);
	TEST_ASSERT(lerr == -ENOENT && err == -EBADMSG,
		    "module split BTF: locate %d load %d", lerr, err);
	btf__free(split);
	btf__free(base);
	free(buf);
}

/* Valid blobs without task_struct ahead of the real one do not hide it. */
static void test_decoys(void)
{
	size_t dlen, len, off = 0, size = 0, at = 0;
	u8 *decoy = raw_blob(false, &dlen), *blob = raw_blob(true, &len), *buf;
	unsigned int i;
	int err;

	buf = malloc(300 * dlen + len);
	if (!buf)
		exit(KSFT_FAIL);
	for (i = 0; i < 300; i++, at += dlen)
		memcpy(buf + at, decoy, dlen);
	memcpy(buf + at, blob, len);
	err = btf_locate(buf, at + len, &off, &size);
	TEST_ASSERT(!err && off == at && size == len,
		    "after 300 decoy blobs: %d at %zu, expected %zu", err, off, at);
	free(buf);
	free(blob);
	free(decoy);
}

/* Raw blob of a BTF built by @b, which is freed. */
static u8 *raw_of(struct btf *b, size_t *ret_len)
{
	const void *raw;
	u32 len;
	u8 *copy;

	raw = b ? btf__raw_data(b, &len) : NULL;
	copy = raw ? malloc(len) : NULL;
	if (!copy)
		exit(KSFT_FAIL);
	memcpy(copy, raw, len);
	btf__free(b);
	*ret_len = len;
	return copy;
}

#define NR_NAMES	5000
#define BIG_ENUM	65535	/* the most a BTF vlen holds */

/*
 * task_struct of 200 bytes; n0..n4999 of sizes 1..5000; "dup": three
 * empty (sizes 24, 32, 0) then complete of 40 and 80; "emp": empty of 24
 * and 32 only; typedef tdup -> n7; DUP_E in an enum (1) then an enum64
 * (2); E0..E65534 in one enum.
 */
static struct btf *build_names_btf(void)
{
	struct btf *b = btf__new_empty();
	char name[32];
	int i32, i;

	if (!b)
		return NULL;
	i32 = btf__add_int(b, "int", 4, BTF_INT_SIGNED);
	btf__add_struct(b, "task_struct", 200);
	btf__add_field(b, "pid", i32, 0, 0);
	for (i = 0; i < NR_NAMES; i++) {
		snprintf(name, sizeof(name), "n%d", i);
		btf__add_struct(b, name, i + 1);
		btf__add_field(b, "x", i32, 0, 0);
	}
	btf__add_struct(b, "dup", 24);
	btf__add_struct(b, "emp", 24);
	btf__add_struct(b, "dup", 32);
	btf__add_struct(b, "emp", 32);
	btf__add_struct(b, "dup", 0);
	btf__add_struct(b, "dup", 40);
	btf__add_field(b, "x", i32, 0, 0);
	btf__add_struct(b, "dup", 80);
	btf__add_field(b, "y", i32, 0, 0);
	btf__add_typedef(b, "tdup", 2 + 1 + 7);	/* n7: int, task_struct, n0.. */
	btf__add_enum(b, "first", 4);
	btf__add_enum_value(b, "DUP_E", 1);
	btf__add_enum64(b, "second", 8, false);
	btf__add_enum64_value(b, "DUP_E", 2);
	btf__add_enum(b, "big", 4);
	for (i = 0; i < BIG_ENUM; i++) {
		snprintf(name, sizeof(name), "E%d", i);
		btf__add_enum_value(b, name, i);
	}
	return b;
}

static int check_names(const struct btf *btf)
{
	char name[32];
	int i, bad = 0;
	u32 size;

	for (i = 0; i < NR_NAMES; i++) {
		snprintf(name, sizeof(name), "n%d", i);
		if (btf_sizeof(btf, name, &size) || size != (u32)i + 1)
			bad++;
	}
	return bad;
}

static void test_index(void)
{
	size_t len;
	u8 *blob = raw_of(build_names_btf(), &len);
	struct btf *btf = NULL;
	u32 sd = 0, se = 0, st = 0;
	s64 e1 = 0, e2 = 0;
	int err, bad;

	err = btf_load(blob, len, &btf);
	TEST_ASSERT(!err, "index: a BTF with %d names and an enum of %d loads (%d)",
		    NR_NAMES, BIG_ENUM, err);
	if (err) {
		for (bad = 0; bad < 4; bad++)
			ksft_test_result(0, "index: no BTF to ask\n");
		free(blob);
		return;
	}
	bad = check_names(btf);
	TEST_ASSERT(!bad, "index: %d names in shared buckets, %d wrong", NR_NAMES,
		    bad);
	err = btf_sizeof(btf, "dup", &sd) || btf_sizeof(btf, "emp", &se) ||
	      btf_sizeof(btf, "tdup", &st);
	TEST_ASSERT(!err && sd == 40 && se == 24 && st == 8,
		    "index: duplicates: first complete (dup %u), else first empty (emp %u), typedef (tdup %u)",
		    sd, se, st);
	err = btf_enum_value(btf, "DUP_E", &e1) ||
	      btf_enum_value(btf, "E65534", &e2);
	TEST_ASSERT(!err && e1 == 1 && e2 == BIG_ENUM - 1,
		    "index: enumerators: first DUP_E %lld, last of %d %lld",
		    (long long)e1, BIG_ENUM, (long long)e2);
	TEST_ASSERT(btf_sizeof(btf, "", &sd) == -ENOENT &&
		    btf_enum_value(btf, "", &e1) == -ENOENT &&
		    btf_sizeof(btf, "n5000", &sd) == -ENOENT &&
		    btf_enum_value(btf, "E65535", &e1) == -ENOENT &&
		    btf_offsetof(btf, "nope", "x", &sd) == -ENOENT,
		    "index: empty and absent names are -ENOENT");
	btf_unload(btf);
	free(blob);
}

/*
 * A btf freed with btf__free() leaves its index behind; whatever btf_load()
 * returns next (at that address or another) must answer for itself. More
 * btfs at once than index slots must still answer (by walking).
 */
static void test_index_lifetime(void)
{
	size_t len, nlen;
	u8 *blob = raw_blob(true, &len), *names = raw_of(build_names_btf(),
							 &nlen);
	struct btf *btf = NULL, *many[12] = { NULL };
	unsigned int i, bad = 0;
	u32 size = 0;
	s64 e;

	if (!btf_load(blob, len, &btf))
		btf_sizeof(btf, "task_struct", &size);
	btf__free(btf);
	btf = NULL;
	TEST_ASSERT(size == 136 && !btf_load(names, nlen, &btf) &&
		    !btf_sizeof(btf, "task_struct", &size) && size == 200 &&
		    !check_names(btf),
		    "index: a btf__free()d BTF's index does not answer for the next (%u)",
		    size);
	btf_unload(btf);
	for (i = 0; i < ARRAY_SIZE(many); i++)
		if (btf_load(blob, len, &many[i]) ||
		    btf_sizeof(many[i], "task_struct", &size) || size != 136 ||
		    btf_enum_value(many[i], "MODULE_STATE_NEG", &e) || e != -2)
			bad++;
	for (i = 0; i < ARRAY_SIZE(many); i++)
		btf_unload(many[i]);
	TEST_ASSERT(!bad, "index: %zu BTFs at once (more than the slots): %u wrong",
		    ARRAY_SIZE(many), bad);
	free(names);
	free(blob);
}

static int write_corpus(const char *dir)
{
	char path[4096];
	size_t len;
	u8 *blob;
	FILE *f;
	int i;

	for (i = 0; i < 2; i++) {
		blob = raw_blob(!i, &len);
		snprintf(path, sizeof(path), "%s/synthetic-%d", dir, i);
		f = fopen(path, "we");
		if (!f || fwrite(blob, len, 1, f) != 1 || fclose(f)) {
			perror(path);
			return 1;
		}
		free(blob);
	}
	return 0;
}

/*
 * btf_field()'s memo (kept once the index is built) answers as the walk
 * did, bitfields included, and never for another btf: one freed with
 * btf__free() and the next loaded, at that address or another.
 */
static void test_field_memo(void)
{
	size_t len, nlen;
	u8 *blob = raw_blob(true, &len), *names = raw_of(build_names_btf(),
							 &nlen);
	struct btf_field walked = { 0 }, f;
	struct btf *btf = NULL;
	u32 pid = 0, size = 0, off = 1;
	int i, bad = 0, missing = 0;

	if (!btf_load(blob, len, &btf)) {
		btf_offsetof(btf, "task_struct", "pid", &pid);
		btf_offsetof(btf, "task_struct", "mem[1].size", &size);
		btf_field(btf, "task_struct", "flags", &walked);
		missing = btf_field(btf, "task_struct", "no_such", &f);
	}
	for (i = 0; i < 100; i++)	/* past BTF_INDEX_AFTER: memoized */
		if (btf_offsetof(btf, "task_struct", "pid", &off) || off != pid ||
		    btf_offsetof(btf, "task_struct", "mem[1].size", &off) ||
		    off != size || btf_field(btf, "task_struct", "flags", &f) ||
		    f.type_id != walked.type_id || f.size != walked.size ||
		    f.bit_off != walked.bit_off || f.bit_size != walked.bit_size ||
		    btf_field(btf, "task_struct", "no_such", &f) != missing)
			bad++;
	TEST_ASSERT(!bad && pid == 16 && size == 104 && walked.bit_size == 3 &&
		    missing == -ENOENT,
		    "memo: 100 rounds of the same fields answer as the walk (pid %u, mem[1].size %u, flags %u bits, a missing member %d), %d wrong",
		    pid, size, walked.bit_size, missing, bad);
	btf__free(btf);
	btf = NULL;
	off = 1;
	TEST_ASSERT(!btf_load(names, nlen, &btf) &&
		    !btf_offsetof(btf, "task_struct", "pid", &off) && !off &&
		    btf_offsetof(btf, "task_struct", "mem[1].size", &off) == -ENOENT,
		    "memo: a btf__free()d BTF's answers are not the next one's");
	btf_unload(btf);
	free(names);
	free(blob);
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "--write-corpus"))
		return write_corpus(argv[2]);

	ksft_print_header();
	ksft_set_plan(NR_TESTS);
	test_good();
	test_damages();
	test_long_header();
	test_not_vmlinux();
	test_decoys();
	test_index();
	test_index_lifetime();
	test_field_memo();
	if (ksft_nr != NR_TESTS)
		ksft_print_msg("ran %u tests, planned %u\n", ksft_nr, NR_TESTS);
	ksft_finished();
}
