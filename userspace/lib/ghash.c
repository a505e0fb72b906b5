// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * GHASH through POLYVAL (RFC 8452, appendix A):
 *
 *   GHASH(H, X1..Xn) = rev(POLYVAL(mulX(rev(H)), rev(X1), ..., rev(Xn)))
 *
 * with rev() the reversal of a block's 16 bytes and mulX() a multiplication
 * by x in POLYVAL's field. POLYVAL's product of two field elements is the
 * carry-less product times x^-128 mod x^128 + x^127 + x^126 + x^121 + 1,
 * which needs no bit reflection: four carry-less 64x64 products and a
 * Montgomery reduction of two more. The sum of eight products is reduced
 * once, so 8 blocks take (S + X1) H^8 + X2 H^7 + ... + X8 H per reduction,
 * the products of two blocks in one VPCLMULQDQ. Tags equal OpenSSL's for
 * every key and input (tests/unit/test_ghash.c compares them).
 */
#include <string.h>

#include "ghash.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define GHASH_TARGET __attribute__((target("avx2,pclmul,vpclmulqdq")))

bool ghash_x8_usable(void)
{
	__builtin_cpu_init();
	return __builtin_cpu_supports("avx2") &&
	       __builtin_cpu_supports("pclmul") &&
	       __builtin_cpu_supports("vpclmulqdq");
}

/* x^128 = x^127 + x^126 + x^121 + 1: the upper 64 bits' part, x^-64 folds */
#define POLY_HI 0xc200000000000000ULL

/* @v * x^-128 where @v = @hi x^128 + @mid x^64 + @lo (each 128 bits) */
static inline GHASH_TARGET __m128i reduce(__m128i lo, __m128i mid, __m128i hi)
{
	const __m128i poly = _mm_set_epi64x(POLY_HI, 1);
	__m128i t;

	lo = _mm_xor_si128(lo, _mm_slli_si128(mid, 8));
	hi = _mm_xor_si128(hi, _mm_srli_si128(mid, 8));
	/* twice: v x^-64 = (v mod x^64)(x^64 + POLY_HI) + v div x^64 */
	t = _mm_clmulepi64_si128(lo, poly, 0x10);
	lo = _mm_xor_si128(t, _mm_shuffle_epi32(lo, 0x4e));
	t = _mm_clmulepi64_si128(lo, poly, 0x10);
	lo = _mm_xor_si128(t, _mm_shuffle_epi32(lo, 0x4e));
	return _mm_xor_si128(lo, hi);
}

static inline GHASH_TARGET __m128i dot(__m128i a, __m128i b)
{
	__m128i mid = _mm_xor_si128(_mm_clmulepi64_si128(a, b, 0x01),
				    _mm_clmulepi64_si128(a, b, 0x10));

	return reduce(_mm_clmulepi64_si128(a, b, 0x00), mid,
		      _mm_clmulepi64_si128(a, b, 0x11));
}

static inline GHASH_TARGET __m128i rev128(__m128i x)
{
	return _mm_shuffle_epi8(x, _mm_set_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9,
						10, 11, 12, 13, 14, 15));
}

GHASH_TARGET void ghash_x8_key(struct ghash_key *k, const u8 h[16])
{
	__m128i x = rev128(_mm_loadu_si128((const __m128i *)h));
	__m128i carry, p;
	int i;

	/* mulX: shift the 128 bits left by one; x^128 reduces to the poly */
	carry = _mm_srai_epi32(_mm_shuffle_epi32(x, 0xff), 31);
	x = _mm_or_si128(_mm_slli_epi64(x, 1),
			 _mm_srli_epi64(_mm_slli_si128(x, 8), 63));
	x = _mm_xor_si128(x, _mm_and_si128(carry,
					   _mm_set_epi64x(POLY_HI, 1)));
	p = x;
	for (i = 0; i < 8; i++) {
		_mm_storeu_si128((__m128i *)k->pow[i], p);
		p = dot(p, x);
	}
}

/* ymm i of a chunk holds blocks 2i and 2i + 1: keys H^(8-2i), H^(7-2i) */
static inline GHASH_TARGET __m256i key_pair(const struct ghash_key *k, int i)
{
	return _mm256_set_m128i(_mm_loadu_si128((const __m128i *)k->pow[6 - 2 * i]),
				_mm_loadu_si128((const __m128i *)k->pow[7 - 2 * i]));
}

GHASH_TARGET void ghash_x8_aad(const struct ghash_key *k, const void *a,
			       size_t len, u8 out[16])
{
	const __m256i rev = _mm256_broadcastsi128_si256(
		_mm_set_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
			     15));
	const __m128i h1 = _mm_loadu_si128((const __m128i *)k->pow[0]);
	const u8 *p = a;
	u64 bits = (u64)len * 8;
	__m256i kp[4];
	__m128i s = _mm_setzero_si128(), x;
	u8 last[16];
	int i;

	for (i = 0; i < 4; i++)
		kp[i] = key_pair(k, i);
	for (; len >= 128; len -= 128, p += 128) {
		__m256i lo = _mm256_setzero_si256(), mid = lo, hi = lo;

		_mm_prefetch((const char *)p + 4096, _MM_HINT_T0);
		_mm_prefetch((const char *)p + 4096 + 64, _MM_HINT_T0);

		for (i = 0; i < 4; i++) {
			__m256i v = _mm256_shuffle_epi8(
				_mm256_loadu_si256((const __m256i *)(p + 32 * i)),
				rev);

			if (!i)
				v = _mm256_xor_si256(v, _mm256_set_m128i(
					_mm_setzero_si128(), s));
			lo = _mm256_xor_si256(lo,
				_mm256_clmulepi64_epi128(v, kp[i], 0x00));
			hi = _mm256_xor_si256(hi,
				_mm256_clmulepi64_epi128(v, kp[i], 0x11));
			mid = _mm256_xor_si256(mid,
				_mm256_clmulepi64_epi128(v, kp[i], 0x01));
			mid = _mm256_xor_si256(mid,
				_mm256_clmulepi64_epi128(v, kp[i], 0x10));
		}
		s = reduce(_mm_xor_si128(_mm256_castsi256_si128(lo),
					 _mm256_extracti128_si256(lo, 1)),
			   _mm_xor_si128(_mm256_castsi256_si128(mid),
					 _mm256_extracti128_si256(mid, 1)),
			   _mm_xor_si128(_mm256_castsi256_si128(hi),
					 _mm256_extracti128_si256(hi, 1)));
	}
	/* a short tail block by block; additional data are zero-padded */
	for (; len; len -= len < 16 ? len : 16, p += 16) {
		memset(last, 0, sizeof(last));
		memcpy(last, p, len < 16 ? len : 16);
		x = rev128(_mm_loadu_si128((const __m128i *)last));
		s = dot(_mm_xor_si128(s, x), h1);
	}
	/* rev([len(A)]64 || [0]64): the bit count in the upper half */
	x = _mm_set_epi64x((long long)bits, 0);
	s = dot(_mm_xor_si128(s, x), h1);
	_mm_storeu_si128((__m128i *)out, rev128(s));
}

#else

bool ghash_x8_usable(void)
{
	return false;
}

void ghash_x8_key(struct ghash_key *k, const u8 h[16])
{
	memset(k, 0, sizeof(*k));
}

void ghash_x8_aad(const struct ghash_key *k, const void *a, size_t len,
		  u8 out[16])
{
	memset(out, 0, 16);
}

#endif
