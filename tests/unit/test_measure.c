// SPDX-License-Identifier: GPL-2.0
/*
 * core/measure.c on synthetic guest memory: a malloc'd region standing for
 * guest-virtual [BASE, BASE + MEM_SIZE) with a hole, hashed with a toy
 * keyed hash and with libvmiaas's page hashers (HMAC-SHA256, GMAC).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "core/measure.h"
#include "userspace/lib/checks.h"
#include "tests/lib/tap.h"

#define BASE		0xffffffff81000000ULL
#define MEM_SIZE	(8 * 4096ULL)
#define HOLE		(BASE + 6 * 4096ULL)	/* page 6 is unmapped */

static u8 *mem;
static unsigned int nr_reads;

static int mem_read(void *ctx, u64 va, void *buf, size_t len)
{
	nr_reads++;
	if (va < BASE || va + len > BASE + MEM_SIZE || va + len < va)
		return -EFAULT;
	if (va < HOLE + 4096 && va + len > HOLE)
		return -ENOENT;
	memcpy(buf, mem + (va - BASE), len);
	return 0;
}

static const struct vmi_read_ops rd = { .read = mem_read };

static unsigned int nr_maps;

/* In place except in the first page (NULL: the core falls back to read). */
static const void *mem_map(void *ctx, u64 va, size_t len)
{
	if (va < BASE + 4096 || va + len > BASE + MEM_SIZE ||
	    (va < HOLE + 4096 && va + len > HOLE))
		return NULL;
	nr_maps++;
	return mem + (va - BASE);
}

static const struct vmi_read_ops rd_map = { .read = mem_read, .map = mem_map };

/* FNV-1a over (key, va, data), spread over 32 bytes. */
static int toy_digest(void *ctx, u64 va, const void *data, size_t len,
		      u8 *out)
{
	u64 h = 0xcbf29ce484222325ULL ^ *(u64 *)ctx, i;
	const u8 *p = data;
	int k;

	for (k = 0; k < 8; k++)
		h = (h ^ (u8)(va >> (8 * k))) * 0x100000001b3ULL;
	for (i = 0; i < len; i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	for (k = 0; k < 32; k++) {
		h = (h ^ (u64)k) * 0x100000001b3ULL;
		out[k] = h >> 56;
	}
	return 0;
}

static u64 toy_key = 42;
static const struct vmi_hash_ops toy = {
	.digest_size = 32, .digest = toy_digest, .ctx = &toy_key,
};

static void test_nr_pages(void)
{
	ksft_test_result(vmi_measure_nr_pages(BASE, BASE + 4096) == 1 &&
			 vmi_measure_nr_pages(BASE, BASE + 4097) == 2 &&
			 vmi_measure_nr_pages(BASE + 4095, BASE + 4097) == 2 &&
			 vmi_measure_nr_pages(BASE + 10, BASE + 20) == 1 &&
			 vmi_measure_nr_pages(BASE, BASE) == 0 &&
			 vmi_measure_nr_pages(BASE + 1, BASE) == 0,
			 "nr_pages: aligned, unaligned, empty, reversed\n");
}

/* Unaligned range: chunks cut at page boundaries and at the ends. */
static void test_range_chunks(void)
{
	u64 start = BASE + 100, end = BASE + 3 * 4096 + 50;
	u8 page[4096], got[4 * 32], want[32];
	int err, ok = 1;

	err = vmi_measure_range(&rd, &toy, start, end, page, got, 4);
	toy_digest(&toy_key, start, mem + 100, 4096 - 100, want);
	ok &= !memcmp(got, want, 32);
	toy_digest(&toy_key, BASE + 4096, mem + 4096, 4096, want);
	ok &= !memcmp(got + 32, want, 32);
	toy_digest(&toy_key, BASE + 3 * 4096, mem + 3 * 4096, 50, want);
	ok &= !memcmp(got + 96, want, 32);
	ksft_test_result(!err && ok, "range: first/middle/last chunk digests (err %d)\n",
			 err);
}

static void test_diff(void)
{
	u8 page[4096], a[6 * 32], b[6 * 32];
	u64 idx[4], few[1];
	s64 n, n2;
	int e1, e2;

	e1 = vmi_measure_range(&rd, &toy, BASE, BASE + 6 * 4096, page, a, 6);
	mem[2 * 4096 + 7] ^= 0xff;
	mem[5 * 4096] ^= 0x01;
	e2 = vmi_measure_range(&rd, &toy, BASE, BASE + 6 * 4096, page, b, 6);
	n = vmi_measure_diff(a, b, 6, 32, idx, 4);
	ksft_test_result(!e1 && !e2 && n == 2 && idx[0] == 2 && idx[1] == 5,
			 "diff: one flipped byte per page localizes pages 2 and 5 (got %lld: %llu %llu)\n",
			 (long long)n, (unsigned long long)idx[0],
			 (unsigned long long)idx[1]);
	n2 = vmi_measure_diff(a, b, 6, 32, few, 1);
	ksft_test_result(n2 == 2 && few[0] == 2,
			 "diff: count beyond max is still returned, first stored\n");
	mem[2 * 4096 + 7] ^= 0xff;
	mem[5 * 4096] ^= 0x01;
	e2 = vmi_measure_range(&rd, &toy, BASE, BASE + 6 * 4096, page, b, 6);
	ksft_test_result(!e2 && vmi_measure_diff(a, b, 6, 32, idx, 4) == 0,
			 "diff: restored bytes: no difference\n");
}

/* Equal contents at two addresses must not hash the same. */
static void test_va_bound(void)
{
	u8 page[4096], d[2 * 32];
	int err;

	memset(mem, 0xcc, 2 * 4096);
	err = vmi_measure_range(&rd, &toy, BASE, BASE + 2 * 4096, page, d, 2);
	ksft_test_result(!err && memcmp(d, d + 32, 32),
			 "digest binds the address: equal pages differ\n");
}

/* The in-place path gives the same digests; unmapped still fails. */
static void test_map(void)
{
	u64 start = BASE + 100, end = BASE + 5 * 4096 + 9;
	u8 page[4096], a[6 * 32], b[6 * 32], c[8 * 32];
	unsigned int reads, maps;
	int e1, e2, e3;

	e1 = vmi_measure_range(&rd, &toy, start, end, page, a, 6);
	nr_maps = 0;
	reads = nr_reads;
	e2 = vmi_measure_range(&rd_map, &toy, start, end, page, b, 6);
	reads = nr_reads - reads;
	maps = nr_maps;
	e3 = vmi_measure_range(&rd_map, &toy, BASE, BASE + 8 * 4096, page, c, 8);
	ksft_test_result(!e1 && !e2 && !memcmp(a, b, sizeof(a)) && maps == 5 &&
			 reads == 1 && e3 == -ENOENT,
			 "map: in place equals read (%u in place, %u read), hole -ENOENT (%d)\n",
			 maps, reads, e3);
}

static void test_errors(void)
{
	struct vmi_hash_ops big = toy;
	u8 page[4096], d[8 * 32];
	int e_hole, e_rev, e_small, e_big, e_size;

	big.digest_size = 33;
	e_hole = vmi_measure_range(&rd, &toy, BASE, BASE + 8 * 4096, page, d, 8);
	e_rev = vmi_measure_range(&rd, &toy, BASE + 10, BASE + 10, page, d, 8);
	e_small = vmi_measure_range(&rd, &toy, BASE, BASE + 3 * 4096, page, d, 2);
	e_big = vmi_measure_range(&rd, &toy, 0xffff800000000000ULL,
				  0xffff800000000000ULL + (2ULL << 30), page, d, 8);
	e_size = vmi_measure_range(&rd, &big, BASE, BASE + 4096, page, d, 8);
	ksft_test_result(e_hole == -ENOENT, "range over an unmapped page: -ENOENT (%d)\n",
			 e_hole);
	ksft_test_result(e_rev == -EINVAL && e_small == -EINVAL &&
			 e_size == -EINVAL,
			 "empty range, short output, digest over 32: -EINVAL (%d %d %d)\n",
			 e_rev, e_small, e_size);
	ksft_test_result(e_big == -E2BIG, "range over the cap: -E2BIG (%d)\n",
			 e_big);
}

static void test_ptrs(void)
{
	u64 want[4], now[4], va = BASE + 4096 * 3;
	s64 n0, n1, ebig, ehole;

	memcpy(want, mem + 3 * 4096, sizeof(want));
	n0 = vmi_measure_ptrs(&rd, va, 4, want, now);
	want[2] ^= 0xffff;
	n1 = vmi_measure_ptrs(&rd, va, 4, want, now);
	ebig = vmi_measure_ptrs(&rd, va, VMI_MEASURE_MAX_PTRS + 1, want, now);
	ehole = vmi_measure_ptrs(&rd, HOLE, 4, want, now);
	ksft_test_result(n0 == 0, "ptrs: unchanged table: 0 differences\n");
	ksft_test_result(n1 == 1 && now[2] == (want[2] ^ 0xffff),
			 "ptrs: one entry differs, current value returned\n");
	ksft_test_result(ebig == -E2BIG && ehole == -ENOENT,
			 "ptrs: over the cap -E2BIG, unmapped -ENOENT\n");
}

/* Strings and ints: vmi_measure_bytes() (usermode-helper, in vmiaas.ko too) */
static void test_bytes(void)
{
	u64 va = BASE + 4096 * 2;
	u8 want[16], buf[4096];
	int same, past_nul, differs, exact, exact_diff, no_nul, big, hole;

	memcpy(mem + 2 * 4096, "/sbin/modprobe\0xyz", 18);
	memcpy(want, "/sbin/modprobe\0\0", 16);
	same = vmi_measure_bytes(&rd, va, 16, want, VMI_MEASURE_CSTRING, buf);
	mem[2 * 4096 + 16] = 'Q';	/* past the NUL: a leftover */
	past_nul = vmi_measure_bytes(&rd, va, 16, want, VMI_MEASURE_CSTRING, buf);
	mem[2 * 4096 + 1] = 't';	/* "/tbin/modprobe" */
	differs = vmi_measure_bytes(&rd, va, 16, want, VMI_MEASURE_CSTRING, buf);
	exact = vmi_measure_bytes(&rd, va + 6, 4, mem + 2 * 4096 + 6, 0, buf);
	exact_diff = vmi_measure_bytes(&rd, va, 16, want, 0, buf);
	memset(want, 'a', sizeof(want));
	no_nul = vmi_measure_bytes(&rd, va, 16, want, VMI_MEASURE_CSTRING, buf);
	big = vmi_measure_bytes(&rd, va, 4097, want, 0, buf);
	hole = vmi_measure_bytes(&rd, HOLE, 4, want, 0, buf);
	ksft_test_result(same == 0 && past_nul == 0 && differs == 1,
			 "bytes: a string equal up to its NUL (bytes after it ignored), then differing (%d %d %d)\n",
			 same, past_nul, differs);
	ksft_test_result(exact == 0 && exact_diff == 1,
			 "bytes: exact comparison (%d %d)\n", exact, exact_diff);
	ksft_test_result(no_nul == -EINVAL && big == -E2BIG && hole == -ENOENT,
			 "bytes: a string without NUL -EINVAL, over a page -E2BIG, unmapped -ENOENT (%d %d %d)\n",
			 no_nul, big, hole);
}

/* The same measurement through libvmiaas's page hashers (reused contexts). */
static void test_mac(u32 mac)
{
	u8 k1[32] = { 1 }, k2[32] = { 2 }, page[4096];
	u8 a[32], b[32], c[32], d[2 * 32];
	struct vmi_hash_ops h1, h2;
	struct bl_hasher *x1, *x2;
	u32 size = bl_mac_digest_size(mac);
	int err;

	err = bl_hasher_new(mac, k1, &x1, &h1);
	err = err ?: bl_hasher_new(mac, k2, &x2, &h2);
	if (err) {
		ksft_test_result(0, "%s hasher: %d\n", bl_mac_name(mac), err);
		ksft_test_result(0, "%s hasher: %d\n", bl_mac_name(mac), err);
		return;
	}
	err = vmi_measure_range(&rd, &h1, BASE, BASE + 4096, page, a, 1);
	err = err ?: vmi_measure_range(&rd, &h1, BASE, BASE + 4096, page, b, 1);
	err = err ?: vmi_measure_range(&rd, &h2, BASE, BASE + 4096, page, c, 1);
	ksft_test_result(!err && h1.digest_size == size && !memcmp(a, b, size) &&
			 memcmp(a, c, size),
			 "%s: same key same digest, other key other digest\n",
			 bl_mac_name(mac));
	memset(mem, 0x5a, 2 * 4096);
	err = vmi_measure_range(&rd, &h1, BASE, BASE + 2 * 4096, page, d, 2);
	mem[4096 + 4095] ^= 1;
	err = err ?: vmi_measure_range(&rd, &h1, BASE + 4096, BASE + 2 * 4096,
				       page, a, 1);
	mem[4096 + 4095] ^= 1;
	ksft_test_result(!err && memcmp(d, d + size, size) &&
			 memcmp(a, d + size, size),
			 "%s: binds the address; one flipped bit changes the tag\n",
			 bl_mac_name(mac));
	bl_hasher_free(x1);
	bl_hasher_free(x2);
}

/* AES-128-GCM, no plaintext, @aad: one fresh context (the reference). */
static int gmac_once(const u8 key[16], const u8 iv[12], const u8 *aad,
		     int len, u8 tag[16])
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	u8 none[16];
	int n, ok;

	ok = ctx && EVP_EncryptInit_ex(ctx, EVP_aes_128_gcm(), NULL, key, iv) &&
	     EVP_EncryptUpdate(ctx, NULL, &n, aad, len) &&
	     EVP_EncryptFinal_ex(ctx, none, &n) &&
	     EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, tag);
	EVP_CIPHER_CTX_free(ctx);
	return ok ? 0 : -EIO;
}

static int unhex(const char *s, u8 *out)
{
	int n = 0;
	unsigned int x;

	while (s[0] && s[1] && sscanf(s, "%2x", &x) == 1) {
		out[n++] = x;
		s += 2;
	}
	return n;
}

/*
 * GMAC: the reference against NIST's GCM vector (gcmEncryptExtIV128,
 * empty plaintext, 128-bit AAD), then the reused-context page hasher
 * against the reference, page after page (IV = address LE || 0^32).
 */
static void test_gmac_kat(void)
{
	u8 key[32], iv[12], aad[16], want[16], got[16], page[4096];
	u8 tags[3 * 16];
	struct vmi_hash_ops h;
	struct bl_hasher *x;
	int ok = 1, err, i;

	unhex("77be63708971c4e240d1cb79e8d77feb", key);
	unhex("e0e00f19fed7ba0136a797f3", iv);
	unhex("7a43ec1d9c0a5a78a0b16533a6213cab", aad);
	unhex("209fcc8d3675ed938e9c7166709dd946", want);
	err = gmac_once(key, iv, aad, 16, got);
	ksft_test_result(!err && !memcmp(got, want, 16),
			 "gmac reference: NIST GCM vector (empty text, AAD)\n");
	memset(key + 16, 0xee, 16);	/* the hasher uses the first 16 */
	err = bl_hasher_new(BL_MAC_GMAC_AES128, key, &x, &h);
	err = err ?: vmi_measure_range(&rd, &h, BASE, BASE + 3 * 4096, page,
				       tags, 3);
	for (i = 0; !err && i < 3; i++) {
		u64 va = BASE + i * 4096ULL;
		int k;

		memset(iv, 0, sizeof(iv));
		for (k = 0; k < 8; k++)
			iv[k] = va >> (8 * k);
		err = gmac_once(key, iv, mem + i * 4096, 4096, got);
		ok &= !memcmp(got, tags + i * 16, 16);
	}
	ksft_test_result(!err && ok,
			 "gmac page hasher (one context, IV reset per page) equals fresh GCM per page\n");
	if (!err)
		bl_hasher_free(x);
}

#define BIG_PAGES	150	/* over two batches of precomputed masks */

static const u8 *big;

static const void *big_map(void *ctx, u64 va, size_t len)
{
	return big + (va - *(const u64 *)ctx);
}

static int big_read(void *ctx, u64 va, void *buf, size_t len)
{
	memcpy(buf, big_map(ctx, va, len), len);
	return 0;
}

/* Each chunk's tag of [@start, @end) against a fresh GCM: 1 if all equal. */
static int gmac_range_ok(const struct vmi_hash_ops *h, const u8 key[16],
			 u64 base, u64 start, u64 end)
{
	const struct vmi_read_ops r = {
		.read = big_read, .map = big_map, .ctx = &base,
	};
	u64 nr = vmi_measure_nr_pages(start, end), i, va, next;
	u8 *tags = malloc(nr * 16), iv[12], got[16], page[4096];
	int ok, k;

	ok = tags && !vmi_measure_range(&r, h, start, end, page, tags, nr);
	for (i = 0, va = start; ok && i < nr; i++, va = next) {
		next = (va & ~4095ULL) + 4096;
		next = next > end || next < va ? end : next;
		memset(iv, 0, sizeof(iv));
		for (k = 0; k < 8; k++)
			iv[k] = va >> (8 * k);
		ok = !gmac_once(key, iv, big + (va - base), (int)(next - va),
				got) && !memcmp(got, tags + i * 16, 16);
	}
	free(tags);
	return ok;
}

/*
 * The GMAC hasher precomputes AES_K(J0) for batches of pages: ranges that
 * start and end inside a page, span batches, come back to an earlier
 * batch, or sit at the top of the address space must still give GCM's
 * tag for each chunk's address.
 */
static void test_gmac_batches(void)
{
	u64 base = BASE, top = 0ULL - BIG_PAGES * 4096ULL;
	u8 key[32] = { 9, 8, 7 }, *buf = malloc(BIG_PAGES * 4096);
	struct vmi_hash_ops h;
	struct bl_hasher *x = NULL;
	u64 end = BIG_PAGES * 4096ULL;
	int ok, i;

	for (i = 0; buf && i < BIG_PAGES * 4096; i++)
		buf[i] = (u8)(i * 13 + (i >> 9));
	big = buf;
	ok = buf && !bl_hasher_new(BL_MAC_GMAC_AES128, key, &x, &h);
	ok = ok && gmac_range_ok(&h, key, base, base + 0x123, base + end - 5);
	ok = ok && gmac_range_ok(&h, key, base, base + 5 * 4096,
				 base + 9 * 4096);
	ok = ok && gmac_range_ok(&h, key, base, base, base + end);
	ok = ok && gmac_range_ok(&h, key, top, top + 7, top + end - 1);
	ksft_test_result(ok,
			 "gmac page hasher with precomputed masks equals GCM for unaligned, multi-batch, revisited and top-of-space ranges\n");
	if (buf && x)
		bl_hasher_free(x);
	free(buf);
}

/* AES-128-ECB of one 32-byte block pair, and Poly1305: the references. */
static int aes_ecb(const u8 key[16], const u8 in[32], u8 out[32])
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int n = 0, ok;

	ok = ctx && EVP_EncryptInit_ex(ctx, EVP_aes_128_ecb(), NULL, key, NULL) &&
	     EVP_CIPHER_CTX_set_padding(ctx, 0) &&
	     EVP_EncryptUpdate(ctx, out, &n, in, 32) && n == 32;
	EVP_CIPHER_CTX_free(ctx);
	return ok ? 0 : -EIO;
}

static int poly_once(const u8 key[32], const u8 *msg, size_t len, u8 tag[16])
{
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "POLY1305", NULL);
	EVP_MAC_CTX *ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
	size_t n = 0;
	int ok;

	ok = ctx && EVP_MAC_init(ctx, key, 32, NULL) &&
	     EVP_MAC_update(ctx, msg, len) && EVP_MAC_final(ctx, tag, &n, 16) &&
	     n == 16;
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	return ok ? 0 : -EIO;
}

/*
 * Poly1305-AES: the reference against RFC 8439 2.5.2, then the page
 * hasher against AES-derived one-time keys and the reference, per page.
 */
static void test_poly_kat(void)
{
	static const char msg[] = "Cryptographic Forum Research Group";
	u8 key[32], want[16], got[16], in[32], pk[32], page[4096];
	u8 tags[3 * 16];
	struct vmi_hash_ops h;
	struct bl_hasher *x;
	int ok = 1, err, i, k;

	unhex("85d6be7857556d337f4452fe42d506a80103808afb0db2fd4abff6af4149f51b",
	      key);
	unhex("a8061dc1305136c6c22b8baf0c0127a9", want);
	err = poly_once(key, (const u8 *)msg, sizeof(msg) - 1, got);
	ksft_test_result(!err && !memcmp(got, want, 16),
			 "poly1305 reference: RFC 8439 2.5.2 vector\n");
	err = bl_hasher_new(BL_MAC_POLY1305_AES, key, &x, &h);
	err = err ?: vmi_measure_range(&rd, &h, BASE, BASE + 3 * 4096, page,
				       tags, 3);
	for (i = 0; !err && i < 3; i++) {
		u64 va = BASE + i * 4096ULL;

		memset(in, 0, sizeof(in));
		for (k = 0; k < 8; k++)
			in[k] = in[16 + k] = va >> (8 * k);
		in[24] = 1;
		err = aes_ecb(key, in, pk);
		err = err ?: poly_once(pk, mem + i * 4096, 4096, got);
		ok &= !memcmp(got, tags + i * 16, 16);
	}
	ksft_test_result(!err && ok,
			 "poly1305-aes page hasher equals AES-derived one-time keys + Poly1305, per page\n");
	if (!err)
		bl_hasher_free(x);
}

int main(void)
{
	size_t i;

	mem = malloc(MEM_SIZE);
	if (!mem)
		return KSFT_FAIL;
	for (i = 0; i < MEM_SIZE; i++)
		mem[i] = (u8)(i * 7 + (i >> 12));
	ksft_print_header();
	ksft_set_plan(27);
	test_nr_pages();
	test_range_chunks();
	test_diff();
	test_va_bound();
	test_errors();
	test_map();
	test_ptrs();
	test_bytes();
	test_mac(BL_MAC_HMAC_SHA256);
	test_mac(BL_MAC_GMAC_AES128);
	test_mac(BL_MAC_POLY1305_AES);
	test_gmac_kat();
	test_gmac_batches();
	test_poly_kat();
	free(mem);
	ksft_finished();
}
