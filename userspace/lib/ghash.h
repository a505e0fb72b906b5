/* SPDX-License-Identifier: LGPL-2.1 OR MIT */
/*
 * GHASH (NIST SP 800-38D, 6.4) with VPCLMULQDQ on 256-bit registers, for
 * the GMAC page MAC (userspace/lib/baseline.c): the same function as
 * OpenSSL's GHASH, 8 blocks per reduction and 2 blocks per instruction
 * where OpenSSL 3.0 multiplies one block per PCLMULQDQ. Only where the CPU
 * has VPCLMULQDQ and AVX2 (ghash_x8_usable()); OpenSSL's otherwise.
 */
#ifndef VMIAAS_GHASH_H
#define VMIAAS_GHASH_H

#include <stdbool.h>
#include <stddef.h>

#include "../../core/vmi_env.h"

/* H^1..H^8 in POLYVAL's representation (RFC 8452, appendix A) */
struct ghash_key {
	u8 pow[8][16];
};

bool ghash_x8_usable(void);
/* @h: the GHASH key AES_K(0^128), as GCM defines it (bytes) */
void ghash_x8_key(struct ghash_key *k, const u8 h[16]);
/*
 * GHASH_H(A || 0-pad || [len(A)]64 || [0]64): GCM's S for additional data
 * @a of @len bytes and no ciphertext, which XOR AES_K(J0) makes a GMAC tag.
 * Prefetches the 4 KiB after @a as it goes (a hint: never faults): the
 * page a measurement hashes next, where the host's 4 KiB pages stop the
 * CPU's own prefetcher.
 */
void ghash_x8_aad(const struct ghash_key *k, const void *a, size_t len,
		  u8 out[16]);

#endif
