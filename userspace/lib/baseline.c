// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * Trusted baselines: measuring a guest, and the baseline file.
 *
 * File format (version 3, little-endian, see docs/integrity.md):
 *
 *   "VMIAASBL" u32 version u32 flags(0)
 *   sections: u32 id, u32 reserved(0), u64 length, length bytes
 *   the END section: id 0, length 32, HMAC-SHA256 of every byte before
 *   its payload, keyed with a key derived from the host key.
 *
 * The HASH section names the page MAC (GMAC-AES-128 for new baselines,
 * HMAC-SHA256 and Poly1305-AES also read) and the salt of the page key;
 * TEXT, RODATA, MODULE and MODULE_RO hold page MACs and bytes.
 *
 * The MAC is verified before any other byte is parsed; the parser still
 * bounds-checks everything (a file can be corrupt without being forged).
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/modes.h>
#include <openssl/rand.h>

#include "checks.h"

#define BL_MAGIC	"VMIAASBL"

enum bl_section {
	BL_SEC_END,
	BL_SEC_IDENT,
	BL_SEC_CPU,
	BL_SEC_SYSCALLS,
	BL_SEC_IDT,
	BL_SEC_TEXT,
	BL_SEC_HASH,		/* version 2: the page MAC; before any digest */
	BL_SEC_RODATA,
	BL_SEC_MODULE,		/* one per module */
	BL_SEC_MODULE_RO,	/* after its MODULE: one per data region */
	BL_SEC_ORIGIN,		/* optional: "golden NAME" (golden.c) */
	BL_SEC_BPF,		/* version 3: the BPF programs */
	BL_SEC_HELPERS = 20,	/* usermode-helper strings (check_helpers.c) */
	BL_SEC_BPF_JIT,		/* optional, after BPF: their JIT images */
	BL_SEC_PROC_OPS,	/* /proc entries' ops pointers (check_procops.c) */
	BL_SEC_HOOKS = 23,	/* hooks present at baseline (hookpolicy.c) */
	BL_SEC_UMH_PATHS,	/* release agents, binfmt_misc (check_umhpaths.c) */
	BL_SEC_TTY_LDISCS,	/* the kernel's line disciplines (check_tty.c) */
};
static_assert(BL_SEC_TTY_LDISCS == 25, "section ids are the file format");

/* The BPF section: this header, then nr struct bl_bpf_rec. */
struct bl_bpf_hdr {
	u32 nr, flags;		/* BL_BPF_KERNEL: the kernel has prog_idr */
};
static_assert(sizeof(struct bl_bpf_hdr) == 8, "bl_bpf_hdr layout");
#define BL_BPF_KERNEL	1U

struct bl_bpf_rec {
	u64 addr;
	u32 id, type, eat, len;
	u8 tag[8], sha[32];
	char name[BPF_NAME_LEN + 8];
	char attach[BPF_ATTACH_LEN];
};
static_assert(sizeof(struct bl_bpf_rec) == 216, "bl_bpf_rec layout");

/* The BPF_JIT section: one per BPF record, in the same order. */
struct bl_bpf_jit_rec {
	u64 addr, func;		/* struct bpf_prog *, its bpf_func */
	u32 id, len;		/* jited_len */
	u32 hashed, pad;
	u8 sha[32];		/* of the images (bpf_jit.h) */
};
static_assert(sizeof(struct bl_bpf_jit_rec) == 64, "bl_bpf_jit_rec layout");

struct bl_module_ro_rec {
	char name[BL_MODULE_NAME];
	u32 kind, pad;		/* enum bl_module_ro */
};
static_assert(sizeof(struct bl_module_ro_rec) == 64, "bl_module_ro_rec layout");

struct bl_hash_rec {
	u32 mac, digest_size;
	u8 salt[BL_SALT_SIZE];
};
static_assert(sizeof(struct bl_hash_rec) == 24, "bl_hash_rec layout");

struct bl_module_rec {
	char name[BL_MODULE_NAME];
	u64 addr;
	struct {
		u64 start, end;
		u32 page_size, digest_size;
	} text;
};
static_assert(sizeof(struct bl_module_rec) == 88, "bl_module_rec layout");

struct bl_ident_rec {
	char release[65];
	char banner[256];
	u8 pad[7];
	u64 created;
	u64 kaslr_offset;
	u64 text_va;
	u64 boot_tag;
	u32 boot_tag_kind;
	u32 nr_vcpus;
};
static_assert(sizeof(struct bl_ident_rec) == 368, "bl_ident_rec layout");

struct bl_cpu_rec {
	u32 index, flags;
	u64 cr0, cr4, lstar, cstar, sysenter_eip;
};
static_assert(sizeof(struct bl_cpu_rec) == 48, "bl_cpu_rec layout");

struct bl_syscall_rec {
	u32 abi, nr;
	u64 address;
	char symbol[128];
};
static_assert(sizeof(struct bl_syscall_rec) == 144, "bl_syscall_rec layout");

struct bl_idt_rec {
	u32 vcpu, limit;
	u64 base;
	u32 nr, pad;
};
static_assert(sizeof(struct bl_idt_rec) == 24, "bl_idt_rec layout");

struct bl_gate_rec {
	u32 vector;
	u16 selector;
	u8 type, dpl, ist, present;
	u8 pad[6];
	u64 address;
	char symbol[128];
};
static_assert(sizeof(struct bl_gate_rec) == 152, "bl_gate_rec layout");

struct bl_text_rec {
	u64 start, end;
	u32 page_size, digest_size;
};
static_assert(sizeof(struct bl_text_rec) == 24, "bl_text_rec layout");

/* ---- keys and hashing ---- */

static int hmac_sha256(const u8 *key, size_t key_len, const void *a,
		       size_t a_len, const void *b, size_t b_len, u8 out[32])
{
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
						 "SHA256", 0),
		OSSL_PARAM_construct_end(),
	};
	size_t n = 0;
	int ok;

	ok = ctx && EVP_MAC_init(ctx, key, key_len, params) &&
	     EVP_MAC_update(ctx, a, a_len) &&
	     (!b_len || EVP_MAC_update(ctx, b, b_len)) &&
	     EVP_MAC_final(ctx, out, &n, 32) && n == 32;
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	return ok ? 0 : -EIO;
}

static int key_derive(const u8 key[VMIAAS_KEY_SIZE], const char *label,
		      u8 out[32])
{
	return hmac_sha256(key, VMIAAS_KEY_SIZE, label, strlen(label), NULL,
			   0, out);
}

#define GMAC_TAG	16
#define GMAC_IV		12
#define GMAC_MASKS	64	/* pages whose AES_K(J0) one AES call makes */

/*
 * The page hashers. Each keys its OpenSSL context once; per page only the
 * per-page state is reset (HMAC: the inner/outer hash from the stored
 * key; GMAC: the IV, the AES key schedule and GHASH key stay).
 */
struct bl_hasher {
	u32 mac;
	EVP_MAC *hmac;
	EVP_MAC_CTX *hmac_ctx;
	GCM128_CONTEXT *gcm;
	EVP_MAC *poly;
	EVP_MAC_CTX *poly_ctx;
	EVP_CIPHER *aes_ecb;
	EVP_CIPHER_CTX *ecb_ctx;
	bool aes_failed;		/* in gmac_block(), which cannot say */
	bool have_masks;
	u64 masks_va;			/* page of masks[0] */
	u8 masks[GMAC_MASKS][16];	/* AES_K(J0) of masks_va's pages */
};

/* Byte-order helpers of the page MACs: one load or store per page. */
static void put_le64(u8 *p, u64 x)
{
	x = htole64(x);
	memcpy(p, &x, sizeof(x));
}

static int hmac_digest(void *arg, u64 va, const void *data, size_t len,
		       u8 *out)
{
	struct bl_hasher *h = arg;
	u8 le[8];
	size_t n = 0;

	put_le64(le, va);
	if (!EVP_MAC_init(h->hmac_ctx, NULL, 0, NULL) ||
	    !EVP_MAC_update(h->hmac_ctx, le, sizeof(le)) ||
	    !EVP_MAC_update(h->hmac_ctx, data, len) ||
	    !EVP_MAC_final(h->hmac_ctx, out, &n, 32) || n != 32)
		return -EIO;
	return 0;
}

static u64 get_le64(const u8 *p)
{
	u64 x;

	memcpy(&x, p, sizeof(x));
	return le64toh(x);
}

static void aes_blocks(struct bl_hasher *h, const u8 *in, u8 *out, int len)
{
	int n = 0;

	if (!EVP_EncryptUpdate(h->ecb_ctx, out, &n, in, len) || n != len) {
		h->aes_failed = true;
		memset(out, 0, len);
	}
}

/* J0 of a 96-bit IV is IV || 00000001 (NIST SP 800-38D, 7.1). */
static void gmac_j0(u8 j0[16], u64 va)
{
	memset(j0, 0, 16);
	put_le64(j0, va);
	j0[15] = 1;
}

/* The precomputed AES_K(J0) of the page at @va, or NULL. */
static const u8 *gmac_mask(const struct bl_hasher *h, u64 va)
{
	u64 off = va - h->masks_va;

	if (!h->have_masks || off % VMI_MEASURE_PAGE ||
	    off / VMI_MEASURE_PAGE >= GMAC_MASKS)
		return NULL;
	return h->masks[off / VMI_MEASURE_PAGE];
}

/*
 * OpenSSL's GCM calls the block cipher twice: H = AES_K(0^128) once, and
 * AES_K(J0) per IV. The masks of GMAC_MASKS pages come from one AES-NI
 * call through EVP (gmac_masks()); anything else is encrypted here.
 */
static void gmac_block(const unsigned char in[16], unsigned char out[16],
		       const void *key)
{
	struct bl_hasher *h = (struct bl_hasher *)key;
	const u8 *mask = gmac_mask(h, get_le64(in));
	u8 block[16];

	/* a J0 (gmac_j0()): the page address, then 00000000 00000001 */
	if (mask && get_le64(in + 8) == 1ULL << 56) {
		memcpy(out, mask, 16);
		return;
	}
	memcpy(block, in, 16);
	aes_blocks(h, block, out, 16);
}

/* The masks of the GMAC_MASKS pages from page-aligned @va on. */
static void gmac_masks(struct bl_hasher *h, u64 va)
{
	u8 in[GMAC_MASKS][16];
	int i;

	for (i = 0; i < GMAC_MASKS; i++)
		gmac_j0(in[i], va + (u64)i * VMI_MEASURE_PAGE);
	aes_blocks(h, in[0], h->masks[0], sizeof(in));
	h->masks_va = va;
	h->have_masks = true;
}

/*
 * GMAC: AES-128-GCM with no plaintext and the page as additional data;
 * the tag is GHASH_H(page, lengths) XOR AES_K(IV || 1). The IV is the
 * page's address (8 bytes LE) and 4 zero bytes: unique per page under a
 * per-baseline key (docs/integrity.md, "Why GMAC holds"). OpenSSL's
 * CRYPTO_gcm128 API (its GHASH with PCLMULQDQ/AVX) instead of EVP: EVP
 * resets a GCM context in some 350 ns, half the time of a 4 KiB page.
 */
static int gmac_digest(void *arg, u64 va, const void *data, size_t len,
		       u8 *out)
{
	struct bl_hasher *h = arg;
	u8 iv[GMAC_IV] = {};

	if (!(va % VMI_MEASURE_PAGE) && !gmac_mask(h, va))
		gmac_masks(h, va);
	put_le64(iv, va);
	CRYPTO_gcm128_setiv(h->gcm, iv, sizeof(iv));
	if (CRYPTO_gcm128_aad(h->gcm, data, len))
		return -EIO;
	CRYPTO_gcm128_tag(h->gcm, out, GMAC_TAG);
	return h->aes_failed ? -EIO : 0;
}

/*
 * Poly1305-AES: the page's one-time Poly1305 key (r, s) is
 * AES-128_K(va LE || 0^64) || AES-128_K(va LE || 1 || 0^56), so every
 * page of a baseline has its own key, as Poly1305 requires; the tag is
 * Poly1305 over the page (docs/integrity.md, "The page MAC").
 */
static int poly_digest(void *arg, u64 va, const void *data, size_t len,
		       u8 *out)
{
	struct bl_hasher *h = arg;
	u8 in[32] = {}, key[32];
	size_t n = 0;
	int k;

	if (len > INT_MAX)
		return -EINVAL;
	put_le64(in, va);
	put_le64(in + 16, va);
	in[24] = 1;
	if (!EVP_EncryptUpdate(h->ecb_ctx, key, &k, in, sizeof(in)) ||
	    k != sizeof(key) ||
	    !EVP_MAC_init(h->poly_ctx, key, sizeof(key), NULL) ||
	    !EVP_MAC_update(h->poly_ctx, data, len) ||
	    !EVP_MAC_final(h->poly_ctx, out, &n, 16) || n != 16) {
		OPENSSL_cleanse(key, sizeof(key));
		return -EIO;
	}
	OPENSSL_cleanse(key, sizeof(key));
	return 0;
}

/*
 * GMAC: the MAC the design names; Poly1305-AES is about as fast in cache
 * and both are memory-bound otherwise (docs/performance.md). Tools and
 * tests may change it.
 */
u32 bl_default_mac = BL_MAC_GMAC_AES128;

const char *bl_mac_name(u32 mac)
{
	switch (mac) {
	case BL_MAC_HMAC_SHA256:
		return "HMAC-SHA256";
	case BL_MAC_GMAC_AES128:
		return "GMAC-AES-128";
	case BL_MAC_POLY1305_AES:
		return "Poly1305-AES";
	}
	return "unknown";
}

u32 bl_mac_digest_size(u32 mac)
{
	switch (mac) {
	case BL_MAC_HMAC_SHA256:
		return 32;
	case BL_MAC_GMAC_AES128:
	case BL_MAC_POLY1305_AES:
		return 16;
	}
	return 0;
}

static int hasher_key_hmac(struct bl_hasher *h, const u8 key[32])
{
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
						 "SHA256", 0),
		OSSL_PARAM_construct_end(),
	};

	h->hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	h->hmac_ctx = h->hmac ? EVP_MAC_CTX_new(h->hmac) : NULL;
	if (!h->hmac_ctx || !EVP_MAC_init(h->hmac_ctx, key, 32, params))
		return -EIO;
	return 0;
}

/* AES-128-ECB under the first half of the 32-byte page key. */
static int hasher_key_aes(struct bl_hasher *h, const u8 key[32])
{
	h->aes_ecb = EVP_CIPHER_fetch(NULL, "AES-128-ECB", NULL);
	h->ecb_ctx = h->aes_ecb ? EVP_CIPHER_CTX_new() : NULL;
	if (!h->ecb_ctx ||
	    !EVP_EncryptInit_ex(h->ecb_ctx, h->aes_ecb, NULL, key, NULL) ||
	    !EVP_CIPHER_CTX_set_padding(h->ecb_ctx, 0))
		return -EIO;
	return 0;
}

static int hasher_key_gmac(struct bl_hasher *h, const u8 key[32])
{
	int err = hasher_key_aes(h, key);

	h->gcm = err ? NULL : CRYPTO_gcm128_new(h, gmac_block);
	if (!err && (!h->gcm || h->aes_failed))
		err = -EIO;
	return err;
}

/* Poly1305, and AES for the per-page keys. */
static int hasher_key_poly(struct bl_hasher *h, const u8 key[32])
{
	h->poly = EVP_MAC_fetch(NULL, "POLY1305", NULL);
	h->poly_ctx = h->poly ? EVP_MAC_CTX_new(h->poly) : NULL;
	if (!h->poly_ctx)
		return -EIO;
	return hasher_key_aes(h, key);
}

static int (*const hasher_digests[])(void *, u64, const void *, size_t,
				     u8 *) = {
	[BL_MAC_HMAC_SHA256] = hmac_digest,
	[BL_MAC_GMAC_AES128] = gmac_digest,
	[BL_MAC_POLY1305_AES] = poly_digest,
};

int bl_hasher_new(u32 mac, const u8 key[32], struct bl_hasher **ret,
		  struct vmi_hash_ops *ret_ops)
{
	struct bl_hasher *h;
	int err;

	if (!bl_mac_digest_size(mac))
		return -EINVAL;
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->mac = mac;
	err = mac == BL_MAC_HMAC_SHA256 ? hasher_key_hmac(h, key) :
	      mac == BL_MAC_GMAC_AES128 ? hasher_key_gmac(h, key) :
					  hasher_key_poly(h, key);
	if (err) {
		bl_hasher_free(h);
		return err;
	}
	*ret = h;
	*ret_ops = (struct vmi_hash_ops){
		.digest_size = bl_mac_digest_size(mac),
		.digest = hasher_digests[mac],
		.ctx = h,
	};
	return 0;
}

struct bl_hasher *bl_hasher_free(struct bl_hasher *h)
{
	if (!h)
		return NULL;
	EVP_MAC_CTX_free(h->hmac_ctx);
	EVP_MAC_free(h->hmac);
	if (h->gcm)
		CRYPTO_gcm128_release(h->gcm);
	EVP_MAC_CTX_free(h->poly_ctx);
	EVP_MAC_free(h->poly);
	EVP_CIPHER_CTX_free(h->ecb_ctx);
	EVP_CIPHER_free(h->aes_ecb);
	OPENSSL_cleanse(h->masks, sizeof(h->masks));
	free(h);
	return NULL;
}

static int read_va(void *ctx, u64 va, void *buf, size_t len)
{
	return engine_read(ctx, va, buf, len);
}

/* In place where the RAM is mapped into this process (shm, pid, dumps). */
static const void *map_va(void *ctx, u64 va, size_t len)
{
	struct vmiaas *v = ctx;
	struct vmi_xlate x;

	if (vmi_as_translate(v->kas, va, &x))
		return NULL;
	return vmi_phys_ptr(v->kas->phys, x.gpa, len);
}

void bl_read_ops(struct vmiaas *v, struct vmi_read_ops *ret)
{
	*ret = (struct vmi_read_ops){ .read = read_va, .map = map_va, .ctx = v };
}

/* A copy already read: the digests are of exactly these bytes. */
struct copy_src {
	u64 start;
	const u8 *bytes;
};

static int copy_read(void *ctx, u64 va, void *buf, size_t len)
{
	const struct copy_src *c = ctx;

	memcpy(buf, c->bytes + (va - c->start), len);
	return 0;
}

static const void *copy_map(void *ctx, u64 va, size_t len)
{
	const struct copy_src *c = ctx;

	return c->bytes + (va - c->start);
}

int bl_region_rehash(const struct vmiaas_baseline *b, u64 start, u64 end,
		     const u8 *bytes, u8 *digests)
{
	struct copy_src src = { .start = start, .bytes = bytes };
	struct vmi_read_ops r = {
		.read = copy_read, .map = copy_map, .ctx = &src,
	};
	u8 page[VMI_MEASURE_PAGE];
	struct vmi_hash_ops h;
	struct bl_hasher *hs;
	int err;

	err = bl_hasher_new(b->mac, b->page_key, &hs, &h);
	if (err)
		return err;
	err = vmi_measure_range(&r, &h, start, end, page, digests,
				vmi_measure_nr_pages(start, end));
	bl_hasher_free(hs);
	return err;
}

/* Reads exactly @len bytes, or creates the key (0600) if @create. */
int vmiaas_key_load(const char *path, int create,
		    uint8_t key[VMIAAS_KEY_SIZE], struct vmiaas_diag *diag)
{
	char dir[PATH_MAX], *slash;
	ssize_t n;
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 && errno == ENOENT && create) {
		snprintf(dir, sizeof(dir), "%s", path);
		slash = strrchr(dir, '/');
		if (slash && slash != dir) {
			*slash = '\0';
			if (mkdir(dir, 0700) < 0 && errno != EEXIST)
				return diag_set(diag, -errno,
						"cannot create the key directory %s: %s",
						dir, strerror(errno));
		}
		if (RAND_bytes(key, VMIAAS_KEY_SIZE) != 1)
			return diag_set(diag, -EIO,
					"no random bytes for a new host key");
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd < 0)
			return diag_set(diag, -errno,
					"cannot create the host key %s: %s",
					path, strerror(errno));
		n = write(fd, key, VMIAAS_KEY_SIZE);
		err = n == VMIAAS_KEY_SIZE ? fsync(fd) : -1;
		if (err < 0 || n != VMIAAS_KEY_SIZE) {
			err = n < 0 || err < 0 ? -errno : -EIO;
			close(fd);
			unlink(path);
			return diag_set(diag, err, "cannot write the host key %s",
					path);
		}
		close(fd);
		return 0;
	}
	if (fd < 0)
		return diag_set(diag, -errno, "cannot read the host key %s: %s%s",
				path, strerror(errno),
				errno == ENOENT ? " (give --key FILE)" : "");
	n = read(fd, key, VMIAAS_KEY_SIZE);
	err = n < 0 ? -errno : 0;
	if (!err && (n != VMIAAS_KEY_SIZE || read(fd, dir, 1) != 0))
		err = -EINVAL;
	close(fd);
	if (err)
		return diag_set(diag, err,
				"the host key %s must hold exactly %d bytes",
				path, VMIAAS_KEY_SIZE);
	return 0;
}

/* ---- measuring ---- */

int bl_boot_tag(struct vmiaas *v, u64 *ret_tag, u32 *ret_kind)
{
	u64 init_task;
	u32 off;
	int err;

	if (engine_sym(v, "init_task", &init_task) ||
	    btf_offsetof(v->btf, "task_struct", "stack_canary", &off)) {
		*ret_tag = 0;
		*ret_kind = BL_BOOT_TAG_NONE;
		return 0;
	}
	err = engine_read_u64(v, init_task + off, ret_tag);
	if (err)
		return engine_fail(v, err, "init_task.stack_canary is unreadable");
	*ret_kind = BL_BOOT_TAG_CANARY;
	return 0;
}

int bl_text_range(struct vmiaas *v, u64 *ret_start, u64 *ret_end)
{
	u64 s, e;

	if (engine_sym(v, "_stext", &s) || engine_sym(v, "_etext", &e))
		return engine_fail(v, -ENOEXEC, "the kernel has no _stext/_etext");
	if (e <= s || e - s > BL_TEXT_MAX)
		return engine_fail(v, -EBADMSG,
				   "kernel text 0x%llx..0x%llx is implausible",
				   (unsigned long long)s, (unsigned long long)e);
	*ret_start = s;
	*ret_end = e;
	return 0;
}

int bl_rodata_range(struct vmiaas *v, u64 *ret_start, u64 *ret_end)
{
	u64 s, e;

	if (engine_sym(v, "__start_rodata", &s) ||
	    engine_sym(v, "__end_rodata", &e))
		return engine_fail(v, -ENOEXEC,
				   "the kernel has no __start_rodata/__end_rodata");
	if (e <= s || e - s > BL_RODATA_MAX)
		return engine_fail(v, -EBADMSG,
				   "kernel rodata 0x%llx..0x%llx is implausible",
				   (unsigned long long)s, (unsigned long long)e);
	*ret_start = s;
	*ret_end = e;
	return 0;
}

void bl_region_free(struct bl_region *r)
{
	free(r->digests);
	if (!r->mapped)
		free(r->bytes);
	r->digests = NULL;
	r->bytes = NULL;
}

int bl_region_take(struct vmiaas *v, const struct vmiaas_baseline *b,
		   u64 start, u64 end, bool keep_bytes, const char *what,
		   struct bl_region *ret)
{
	u64 nr_pages = vmi_measure_nr_pages(start, end);
	u8 page[VMI_MEASURE_PAGE];
	struct copy_src src;
	struct vmi_read_ops r;
	struct vmi_hash_ops h;
	struct bl_hasher *hs;
	int err;

	*ret = (struct bl_region){ .start = start, .end = end };
	if (end <= start || end - start > VMI_MEASURE_MAX_RANGE)
		return engine_fail(v, -EINVAL, "%s 0x%llx..0x%llx: bad range",
				   what, (unsigned long long)start,
				   (unsigned long long)end);
	ret->digests = malloc(nr_pages * b->digest_size);
	if (keep_bytes)
		ret->bytes = malloc(end - start);
	if (!ret->digests || (keep_bytes && !ret->bytes)) {
		bl_region_free(ret);
		return -ENOMEM;
	}
	err = bl_hasher_new(b->mac, b->page_key, &hs, &h);
	if (err) {
		bl_region_free(ret);
		return err;
	}
	/* The bytes first, then the digests of exactly those bytes. */
	bl_read_ops(v, &r);
	if (keep_bytes) {
		src = (struct copy_src){ .start = start, .bytes = ret->bytes };
		r = (struct vmi_read_ops){
			.read = copy_read, .map = copy_map, .ctx = &src,
		};
		err = engine_read(v, start, ret->bytes, end - start);
	}
	if (!err)
		err = vmi_measure_range(&r, &h, start, end, page, ret->digests,
					nr_pages);
	bl_hasher_free(hs);
	if (err) {
		bl_region_free(ret);
		return engine_fail(v, err, "%s 0x%llx..0x%llx is unreadable",
				   what, (unsigned long long)start,
				   (unsigned long long)end);
	}
	return 0;
}

void vmiaas_baseline_free(struct vmiaas_baseline *b)
{
	u32 i;

	if (!b)
		return;
	free(b->cpus);
	free(b->syscalls);
	for (i = 0; b->idts && i < b->nr_idts; i++)
		free(b->idts[i].gates);
	free(b->idts);
	free(b->text_digests);
	if (!b->map)
		free(b->text);
	bl_region_free(&b->rodata);
	bl_modules_free(b->modules, b->nr_modules);
	free(b->bpf.p);
	free(b->proc_ops);
	free(b->tty);
	free(b->umh);
	free(b->hooks);
	OPENSSL_cleanse(b->page_key, sizeof(b->page_key));
	if (b->map)
		munmap(b->map, b->map_len);
	free(b);
}

static int take_cpus(struct vmiaas *v, struct vmiaas_baseline *b)
{
	struct vmiaas_vcpu *vc = NULL;
	size_t nr = 0, i;
	int err;

	err = vmiaas_vcpus(v, &vc, &nr);
	if (err == -ENODATA || (!err && !nr))
		return 0;	/* a dump without registers */
	if (err)
		return err;
	if (nr > BL_MAX_VCPUS) {
		free(vc);
		return engine_fail(v, -E2BIG, "more than %d vCPUs", BL_MAX_VCPUS);
	}
	b->cpus = calloc(nr, sizeof(*b->cpus));
	if (!b->cpus) {
		free(vc);
		return -ENOMEM;
	}
	for (i = 0; i < nr; i++)
		b->cpus[i] = (struct bl_cpu){
			.index = vc[i].index, .flags = vc[i].flags,
			.cr0 = vc[i].cr0, .cr4 = vc[i].cr4,
			.lstar = vc[i].lstar, .cstar = vc[i].cstar,
			.sysenter_eip = vc[i].sysenter_eip,
		};
	b->nr_vcpus = nr;
	free(vc);
	return 0;
}

static int take_idts(struct vmiaas *v, struct vmiaas_baseline *b)
{
	u32 n = b->nr_vcpus ? b->nr_vcpus : 1, i;
	size_t nr;
	int err;

	b->idts = calloc(n, sizeof(*b->idts));
	if (!b->idts)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		struct bl_idt *t = &b->idts[i];

		err = vmiaas_idt(v, i, &t->base, &t->gates, &nr);
		if (err)
			return err;
		t->vcpu = i;
		t->nr = nr;
		t->limit = b->nr_vcpus ? v->backend->vcpus[i].idtr_limit : 0xfff;
		b->nr_idts++;
	}
	return 0;
}

static int take_text(struct vmiaas *v, struct vmiaas_baseline *b)
{
	struct bl_region r;
	u64 start, end;
	int err;

	err = bl_text_range(v, &start, &end);
	err = err ?: bl_region_take(v, b, start, end, true, "kernel text", &r);
	if (err)
		return err;
	b->text_start = start;
	b->text_end = end;
	b->text = r.bytes;
	b->text_digests = r.digests;
	return 0;
}

static int take_rodata(struct vmiaas *v, struct vmiaas_baseline *b)
{
	u64 start, end;
	int err;

	err = bl_rodata_range(v, &start, &end);
	return err ?: bl_region_take(v, b, start, end, true, "kernel rodata",
				     &b->rodata);
}

/*
 * Pages are measured with the page key, which the take_*() need first:
 * HMAC-SHA256(host key, label || the baseline's salt), so every baseline
 * has its own key and a page address is a unique GMAC nonce under it.
 */
static int baseline_set_key(struct vmiaas_baseline *b,
			    const u8 key[VMIAAS_KEY_SIZE])
{
	static const char label[] = "vmiaas page hash v2";

	return hmac_sha256(key, VMIAAS_KEY_SIZE, label, sizeof(label) - 1,
			   b->salt, sizeof(b->salt), b->page_key);
}

int vmiaas_baseline_take(struct vmiaas *v, const uint8_t key[VMIAAS_KEY_SIZE],
			 struct vmiaas_baseline **ret)
{
	const struct vmiaas_info *info = vmiaas_info(v);
	struct vmiaas_baseline *b = NULL;
	enum vmiaas_kstate state;
	char why[320];
	size_t nr;
	int err;

	/* a kernel not up yet (or going down) is not the one to trust */
	state = vmiaas_kernel_state(v, why, sizeof(why));
	if (state == VMIAAS_KSTATE_BOOTING || state == VMIAAS_KSTATE_DOWN)
		return engine_fail(v, -EAGAIN,
				   "the kernel is %s (%s): a baseline now would not measure the running kernel; take it once it runs",
				   state == VMIAAS_KSTATE_BOOTING ? "still booting" : "going down",
				   why);
	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->version = BL_VERSION;
	b->mac = bl_default_mac;
	b->digest_size = bl_mac_digest_size(b->mac);
	b->created = (u64)time(NULL);
	snprintf(b->release, sizeof(b->release), "%s", info->kernel_release);
	snprintf(b->banner, sizeof(b->banner), "%s", info->banner);
	b->kaslr_offset = info->kaslr_offset;
	b->text_va = info->text_va;
	err = RAND_bytes(b->salt, sizeof(b->salt)) == 1 ? 0 : -EIO;
	err = err ?: baseline_set_key(b, key);
	err = err ?: bl_boot_tag(v, &b->boot_tag, &b->boot_tag_kind);
	err = err ?: take_cpus(v, b);
	if (!err) {
		err = vmiaas_syscalls(v, &b->syscalls, &nr);
		b->nr_syscalls = err ? 0 : nr;
	}
	err = err ?: take_idts(v, b);
	err = err ?: take_text(v, b);
	err = err ?: take_rodata(v, b);
	err = err ?: bl_modules_take(v, b, &b->modules, &b->nr_modules);
	err = err ?: bpf_programs_take(v, &b->bpf.p, &b->bpf.nr,
				       &b->bpf.has_bpf);
	b->bpf.recorded = true;
	b->bpf.jit_recorded = true;
	err = err ?: bl_helpers_take(v, b);
	err = err ?: bl_umh_take(v, b);
	err = err ?: bl_proc_ops_take(v, b);
	err = err ?: bl_tty_take(v, b);
	err = err ?: bl_hooks_take(v, b);	/* after the modules */
	if (err) {
		vmiaas_baseline_free(b);
		return err;
	}
	*ret = b;
	return 0;
}

/* ---- the file ---- */

struct bl_buf {
	u8 *p;
	size_t len, cap;
	int err;
};

static void buf_put(struct bl_buf *w, const void *data, size_t len)
{
	size_t cap;
	u8 *p;

	if (w->err)
		return;
	if (w->len + len > w->cap) {
		cap = w->cap ? w->cap : 1 << 20;
		while (cap < w->len + len)
			cap *= 2;
		p = realloc(w->p, cap);
		if (!p) {
			w->err = -ENOMEM;
			return;
		}
		w->p = p;
		w->cap = cap;
	}
	memcpy(w->p + w->len, data, len);
	w->len += len;
}

static void buf_section(struct bl_buf *w, u32 id, u64 len)
{
	u32 hdr[2] = { id, 0 };

	buf_put(w, hdr, sizeof(hdr));
	buf_put(w, &len, sizeof(len));
}

/*
 * A region section: @hdr_len bytes of @hdr (a record that ends where the
 * range record starts), the range record, the digests, the bytes.
 */
static void put_region(struct bl_buf *w, const struct vmiaas_baseline *b,
		       u32 id, const void *hdr, size_t hdr_len,
		       const struct bl_region *r)
{
	struct bl_text_rec tr = {
		.start = r->start, .end = r->end,
		.page_size = VMI_MEASURE_PAGE, .digest_size = b->digest_size,
	};
	u64 dlen = vmi_measure_nr_pages(r->start, r->end) * b->digest_size;

	buf_section(w, id, hdr_len + sizeof(tr) + dlen + (r->end - r->start));
	if (hdr_len)
		buf_put(w, hdr, hdr_len);
	buf_put(w, &tr, sizeof(tr));
	buf_put(w, r->digests, dlen);
	buf_put(w, r->bytes, r->end - r->start);
}

static void put_bpf(struct bl_buf *w, const struct bpf_baseline *bpf)
{
	struct bl_bpf_hdr h = {
		.nr = bpf->nr, .flags = bpf->has_bpf ? BL_BPF_KERNEL : 0,
	};
	u32 i;

	buf_section(w, BL_SEC_BPF,
		    sizeof(h) + (u64)bpf->nr * sizeof(struct bl_bpf_rec));
	buf_put(w, &h, sizeof(h));
	for (i = 0; i < bpf->nr; i++) {
		const struct bpf_base_prog *p = &bpf->p[i];
		struct bl_bpf_rec r = {
			.addr = p->addr, .id = p->id, .type = p->type,
			.eat = p->eat, .len = p->len,
		};

		memcpy(r.tag, p->tag, sizeof(r.tag));
		memcpy(r.sha, p->sha, sizeof(r.sha));
		memcpy(r.name, p->name, sizeof(r.name));
		memcpy(r.attach, p->attach, sizeof(r.attach));
		buf_put(w, &r, sizeof(r));
	}
}

static void put_bpf_jit(struct bl_buf *w, const struct bpf_baseline *bpf)
{
	u32 i;

	if (!bpf->jit_recorded)
		return;
	buf_section(w, BL_SEC_BPF_JIT,
		    (u64)bpf->nr * sizeof(struct bl_bpf_jit_rec));
	for (i = 0; i < bpf->nr; i++) {
		const struct bpf_base_prog *p = &bpf->p[i];
		struct bl_bpf_jit_rec r = {
			.addr = p->addr, .func = p->jit_func, .id = p->id,
			.len = p->jit_len, .hashed = p->jit_hashed,
		};

		memcpy(r.sha, p->jit_sha, sizeof(r.sha));
		buf_put(w, &r, sizeof(r));
	}
}

static void serialize(const struct vmiaas_baseline *b, struct bl_buf *w)
{
	struct bl_ident_rec id = {
		.created = b->created, .kaslr_offset = b->kaslr_offset,
		.text_va = b->text_va, .boot_tag = b->boot_tag,
		.boot_tag_kind = b->boot_tag_kind, .nr_vcpus = b->nr_vcpus,
	};
	struct bl_text_rec tr = {
		.start = b->text_start, .end = b->text_end,
		.page_size = VMI_MEASURE_PAGE, .digest_size = b->digest_size,
	};
	struct bl_hash_rec hr = { .mac = b->mac, .digest_size = b->digest_size };
	u64 nr_pages = vmi_measure_nr_pages(b->text_start, b->text_end);
	u32 i, j, version = BL_VERSION, flags = 0;

	memcpy(id.release, b->release, sizeof(id.release));
	memcpy(id.banner, b->banner, sizeof(id.banner));
	buf_put(w, BL_MAGIC, 8);
	buf_put(w, &version, 4);
	buf_put(w, &flags, 4);
	buf_section(w, BL_SEC_IDENT, sizeof(id));
	buf_put(w, &id, sizeof(id));
	memcpy(hr.salt, b->salt, sizeof(hr.salt));
	buf_section(w, BL_SEC_HASH, sizeof(hr));
	buf_put(w, &hr, sizeof(hr));

	buf_section(w, BL_SEC_CPU, (u64)b->nr_vcpus * sizeof(struct bl_cpu_rec));
	for (i = 0; i < b->nr_vcpus; i++) {
		const struct bl_cpu *c = &b->cpus[i];
		struct bl_cpu_rec cr = {
			.index = c->index, .flags = c->flags, .cr0 = c->cr0,
			.cr4 = c->cr4, .lstar = c->lstar, .cstar = c->cstar,
			.sysenter_eip = c->sysenter_eip,
		};
		buf_put(w, &cr, sizeof(cr));
	}

	buf_section(w, BL_SEC_SYSCALLS,
		    (u64)b->nr_syscalls * sizeof(struct bl_syscall_rec));
	for (i = 0; i < b->nr_syscalls; i++) {
		const struct vmiaas_syscall *s = &b->syscalls[i];
		struct bl_syscall_rec sr = {
			.abi = s->abi, .nr = s->nr, .address = s->address,
		};
		memcpy(sr.symbol, s->symbol, sizeof(sr.symbol));
		buf_put(w, &sr, sizeof(sr));
	}

	for (i = 0; i < b->nr_idts; i++) {
		const struct bl_idt *t = &b->idts[i];
		struct bl_idt_rec ir = {
			.vcpu = t->vcpu, .limit = t->limit, .base = t->base,
			.nr = t->nr,
		};
		buf_section(w, BL_SEC_IDT,
			    sizeof(ir) + (u64)t->nr * sizeof(struct bl_gate_rec));
		buf_put(w, &ir, sizeof(ir));
		for (j = 0; j < t->nr; j++) {
			const struct vmiaas_idt_gate *g = &t->gates[j];
			struct bl_gate_rec gr = {
				.vector = g->vector, .selector = g->selector,
				.type = g->type, .dpl = g->dpl, .ist = g->ist,
				.present = g->present, .address = g->address,
			};
			memcpy(gr.symbol, g->symbol, sizeof(gr.symbol));
			buf_put(w, &gr, sizeof(gr));
		}
	}

	buf_section(w, BL_SEC_TEXT, sizeof(tr) + nr_pages * b->digest_size +
				    (b->text_end - b->text_start));
	buf_put(w, &tr, sizeof(tr));
	buf_put(w, b->text_digests, nr_pages * b->digest_size);
	buf_put(w, b->text, b->text_end - b->text_start);

	put_region(w, b, BL_SEC_RODATA, NULL, 0, &b->rodata);
	for (i = 0; i < b->nr_modules; i++) {
		struct bl_module_rec mr = { .addr = b->modules[i].addr };

		memcpy(mr.name, b->modules[i].name, sizeof(mr.name));
		put_region(w, b, BL_SEC_MODULE, &mr,
			   offsetof(struct bl_module_rec, text),
			   &b->modules[i].text);
		for (j = 0; j < BL_MODULE_NR_RO; j++) {
			struct bl_module_ro_rec rr = { .kind = j };

			if (!b->modules[i].ro[j].end)
				continue;
			memcpy(rr.name, mr.name, sizeof(rr.name));
			put_region(w, b, BL_SEC_MODULE_RO, &rr, sizeof(rr),
				   &b->modules[i].ro[j]);
		}
	}
	if (b->origin[0]) {
		buf_section(w, BL_SEC_ORIGIN, sizeof(b->origin));
		buf_put(w, b->origin, sizeof(b->origin));
	}
	put_bpf(w, &b->bpf);
	put_bpf_jit(w, &b->bpf);
	if (b->has_helpers) {
		buf_section(w, BL_SEC_HELPERS,
			    (u64)b->nr_helpers * sizeof(b->helpers[0]));
		buf_put(w, b->helpers, b->nr_helpers * sizeof(b->helpers[0]));
	}
	if (b->has_umh) {
		buf_section(w, BL_SEC_UMH_PATHS,
			    (u64)b->nr_umh * sizeof(b->umh[0]));
		if (b->nr_umh)
			buf_put(w, b->umh, b->nr_umh * sizeof(b->umh[0]));
	}
	if (b->has_proc_ops) {
		buf_section(w, BL_SEC_PROC_OPS,
			    (u64)b->nr_proc_ops * sizeof(b->proc_ops[0]));
		buf_put(w, b->proc_ops,
			b->nr_proc_ops * sizeof(b->proc_ops[0]));
	}
	if (b->has_tty) {
		buf_section(w, BL_SEC_TTY_LDISCS,
			    (u64)b->nr_tty * sizeof(b->tty[0]));
		if (b->nr_tty)
			buf_put(w, b->tty, b->nr_tty * sizeof(b->tty[0]));
	}
	if (b->has_hooks) {
		buf_section(w, BL_SEC_HOOKS,
			    (u64)b->nr_hooks * sizeof(b->hooks[0]));
		buf_put(w, b->hooks, b->nr_hooks * sizeof(b->hooks[0]));
	}
}

int vmiaas_baseline_save(struct vmiaas *v, const struct vmiaas_baseline *b,
			 const char *path, const uint8_t key[VMIAAS_KEY_SIZE])
{
	struct bl_buf w = {};
	char tmp[PATH_MAX];
	u8 file_key[32], mac[32];
	size_t off;
	ssize_t n;
	int fd, err;

	serialize(b, &w);
	buf_section(&w, BL_SEC_END, sizeof(mac));
	err = w.err ?: key_derive(key, "vmiaas baseline file v1", file_key);
	err = err ?: hmac_sha256(file_key, sizeof(file_key), w.p, w.len,
				 NULL, 0, mac);
	OPENSSL_cleanse(file_key, sizeof(file_key));
	buf_put(&w, mac, sizeof(mac));
	err = err ?: w.err;
	if (err) {
		free(w.p);
		return err;
	}
	if (snprintf(tmp, sizeof(tmp), "%s.tmp.XXXXXX", path) >=
	    (int)sizeof(tmp)) {
		free(w.p);
		return engine_fail(v, -ENAMETOOLONG, "%s: name too long", path);
	}
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		free(w.p);
		return engine_fail(v, err, "cannot create %s: %s", tmp,
				   strerror(-err));
	}
	for (off = 0; off < w.len; off += n) {
		n = write(fd, w.p + off, w.len - off);
		if (n <= 0) {
			err = n < 0 ? -errno : -EIO;
			break;
		}
	}
	if (!err && fsync(fd) < 0)
		err = -errno;
	if (close(fd) < 0 && !err)
		err = -errno;
	if (!err && rename(tmp, path) < 0)
		err = -errno;
	free(w.p);
	if (err) {
		unlink(tmp);
		return engine_fail(v, err, "cannot write the baseline %s: %s",
				   path, strerror(-err));
	}
	return 0;
}

/* ---- loading ---- */

struct bl_reader {
	const u8 *p;
	size_t len, off;
};

static int rd_take(struct bl_reader *r, void *out, size_t len)
{
	if (len > r->len - r->off)
		return -EBADMSG;
	memcpy(out, r->p + r->off, len);
	r->off += len;
	return 0;
}

static int parse_cpu(struct vmiaas_baseline *b, struct bl_reader *s)
{
	struct bl_cpu_rec cr;
	u32 i, n = s->len / sizeof(cr);

	if (s->len % sizeof(cr) || n > BL_MAX_VCPUS || b->cpus)
		return -EBADMSG;
	b->cpus = calloc(n ? n : 1, sizeof(*b->cpus));
	if (!b->cpus)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		rd_take(s, &cr, sizeof(cr));
		b->cpus[i] = (struct bl_cpu){
			.index = cr.index, .flags = cr.flags, .cr0 = cr.cr0,
			.cr4 = cr.cr4, .lstar = cr.lstar, .cstar = cr.cstar,
			.sysenter_eip = cr.sysenter_eip,
		};
	}
	b->nr_vcpus = n;
	return 0;
}

static int parse_syscalls(struct vmiaas_baseline *b, struct bl_reader *s)
{
	struct bl_syscall_rec sr;
	u32 i, n = s->len / sizeof(sr);

	if (s->len % sizeof(sr) || n > 3 * 4096 || b->syscalls)
		return -EBADMSG;
	b->syscalls = calloc(n ? n : 1, sizeof(*b->syscalls));
	if (!b->syscalls)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		struct vmiaas_syscall *sc = &b->syscalls[i];

		rd_take(s, &sr, sizeof(sr));
		sc->abi = sr.abi;
		sc->nr = sr.nr;
		sc->address = sr.address;
		memcpy(sc->symbol, sr.symbol, sizeof(sc->symbol));
		sc->symbol[sizeof(sc->symbol) - 1] = '\0';
	}
	b->nr_syscalls = n;
	return 0;
}

static int parse_idt(struct vmiaas_baseline *b, struct bl_reader *s)
{
	struct bl_idt_rec ir;
	struct bl_gate_rec gr;
	struct bl_idt *t, *idts;
	u32 i;

	if (rd_take(s, &ir, sizeof(ir)) || ir.nr > 256 ||
	    s->len - s->off != (u64)ir.nr * sizeof(gr) ||
	    b->nr_idts >= BL_MAX_VCPUS)
		return -EBADMSG;
	idts = realloc(b->idts, (b->nr_idts + 1) * sizeof(*idts));
	if (!idts)
		return -ENOMEM;
	b->idts = idts;
	t = &idts[b->nr_idts];
	*t = (struct bl_idt){ .vcpu = ir.vcpu, .limit = ir.limit,
			      .base = ir.base, .nr = ir.nr };
	t->gates = calloc(ir.nr ? ir.nr : 1, sizeof(*t->gates));
	if (!t->gates)
		return -ENOMEM;
	b->nr_idts++;
	for (i = 0; i < ir.nr; i++) {
		struct vmiaas_idt_gate *g = &t->gates[i];

		rd_take(s, &gr, sizeof(gr));
		*g = (struct vmiaas_idt_gate){
			.vector = gr.vector, .selector = gr.selector,
			.type = gr.type, .dpl = gr.dpl, .ist = gr.ist,
			.present = gr.present, .address = gr.address,
		};
		memcpy(g->symbol, gr.symbol, sizeof(g->symbol));
		g->symbol[sizeof(g->symbol) - 1] = '\0';
	}
	return 0;
}

/* A range record, its digests and bytes: the rest of section @s. */
static int parse_region(const struct vmiaas_baseline *b, struct bl_reader *s,
			u64 max, struct bl_region *ret)
{
	struct bl_text_rec tr;
	u64 nr_pages, len;

	if (!b->digest_size || rd_take(s, &tr, sizeof(tr)) ||
	    tr.page_size != VMI_MEASURE_PAGE ||
	    tr.digest_size != b->digest_size || tr.end <= tr.start ||
	    tr.end - tr.start > max)
		return -EBADMSG;
	len = tr.end - tr.start;
	nr_pages = vmi_measure_nr_pages(tr.start, tr.end);
	if (s->len - s->off != nr_pages * b->digest_size + len)
		return -EBADMSG;
	ret->digests = malloc(nr_pages * b->digest_size);
	if (!ret->digests)
		return -ENOMEM;
	rd_take(s, ret->digests, nr_pages * b->digest_size);
	/* the bytes stay in the file's mapping (load()) */
	ret->bytes = (u8 *)s->p + s->off;
	ret->mapped = true;
	s->off += len;
	ret->start = tr.start;
	ret->end = tr.end;
	return 0;
}

static int parse_text(struct vmiaas_baseline *b, struct bl_reader *s)
{
	struct bl_region r;
	int err;

	if (b->text)
		return -EBADMSG;
	err = parse_region(b, s, BL_TEXT_MAX, &r);
	if (err)
		return err;
	b->text_start = r.start;
	b->text_end = r.end;
	b->text_digests = r.digests;
	b->text = r.bytes;
	return 0;
}

static int parse_hash(struct vmiaas_baseline *b, struct bl_reader *s)
{
	struct bl_hash_rec hr;

	if (b->mac || s->len != sizeof(hr))
		return -EBADMSG;
	rd_take(s, &hr, sizeof(hr));
	if (!bl_mac_digest_size(hr.mac) ||
	    hr.digest_size != bl_mac_digest_size(hr.mac))
		return -EBADMSG;
	b->mac = hr.mac;
	b->digest_size = hr.digest_size;
	memcpy(b->salt, hr.salt, sizeof(b->salt));
	return 0;
}

static int parse_rodata(struct vmiaas_baseline *b, struct bl_reader *s)
{
	if (b->rodata.bytes)
		return -EBADMSG;
	return parse_region(b, s, BL_RODATA_MAX, &b->rodata);
}

static int parse_module(struct vmiaas_baseline *b, struct bl_reader *s)
{
	const size_t hdr = offsetof(struct bl_module_rec, text);
	struct bl_module_rec mr;
	struct bl_module *mods, *m;
	int err;

	if (b->nr_modules >= VMIAAS_MAX_MODULES || rd_take(s, &mr, hdr))
		return -EBADMSG;
	mods = realloc(b->modules, (b->nr_modules + 1) * sizeof(*mods));
	if (!mods)
		return -ENOMEM;
	b->modules = mods;
	m = &mods[b->nr_modules];
	memset(m, 0, sizeof(*m));
	err = parse_region(b, s, BL_MODTEXT_MAX, &m->text);
	if (err)
		return err;
	memcpy(m->name, mr.name, sizeof(m->name));
	m->name[sizeof(m->name) - 1] = '\0';
	m->addr = mr.addr;
	b->nr_modules++;
	return 0;
}

/* A data region of the module just parsed. */
static int parse_module_ro(struct vmiaas_baseline *b, struct bl_reader *s)
{
	struct bl_module_ro_rec rr;
	struct bl_module *m;

	if (!b->nr_modules || rd_take(s, &rr, sizeof(rr)))
		return -EBADMSG;
	m = &b->modules[b->nr_modules - 1];
	rr.name[sizeof(rr.name) - 1] = '\0';
	if (strcmp(rr.name, m->name) || rr.kind >= BL_MODULE_NR_RO ||
	    m->ro[rr.kind].bytes)
		return -EBADMSG;
	return parse_region(b, s, BL_MODTEXT_MAX, &m->ro[rr.kind]);
}

/* The programs, sorted by address (bsearch()ed at check time). */
static int parse_bpf(struct vmiaas_baseline *b, struct bl_reader *s)
{
	struct bl_bpf_hdr h;
	struct bl_bpf_rec r;
	struct bpf_base_prog *p;
	u32 i;

	if (b->bpf.recorded || rd_take(s, &h, sizeof(h)) ||
	    h.nr > BPF_CENSUS_PROGS_MAX || (h.flags & ~BL_BPF_KERNEL) ||
	    s->len - s->off != (u64)h.nr * sizeof(r))
		return -EBADMSG;
	b->bpf.p = calloc(h.nr ? h.nr : 1, sizeof(*b->bpf.p));
	if (!b->bpf.p)
		return -ENOMEM;
	for (i = 0; i < h.nr; i++) {
		p = &b->bpf.p[i];
		rd_take(s, &r, sizeof(r));
		if (i && r.addr <= b->bpf.p[i - 1].addr)
			return -EBADMSG;
		*p = (struct bpf_base_prog){
			.addr = r.addr, .id = r.id, .type = r.type,
			.eat = r.eat, .len = r.len,
		};
		memcpy(p->tag, r.tag, sizeof(p->tag));
		memcpy(p->sha, r.sha, sizeof(p->sha));
		memcpy(p->name, r.name, sizeof(p->name) - 1);
		memcpy(p->attach, r.attach, sizeof(p->attach) - 1);
	}
	b->bpf.nr = h.nr;
	b->bpf.has_bpf = h.flags & BL_BPF_KERNEL;
	b->bpf.recorded = true;
	return 0;
}

/* The BPF section's programs' JIT images, record for record. */
static int parse_bpf_jit(struct vmiaas_baseline *b, struct bl_reader *s)
{
	struct bl_bpf_jit_rec r;
	struct bpf_base_prog *p;
	u32 i;

	if (!b->bpf.recorded || b->bpf.jit_recorded ||
	    s->len - s->off != (u64)b->bpf.nr * sizeof(r))
		return -EBADMSG;
	for (i = 0; i < b->bpf.nr; i++) {
		p = &b->bpf.p[i];
		rd_take(s, &r, sizeof(r));
		if (r.addr != p->addr || r.id != p->id || r.hashed > 1)
			return -EBADMSG;
		p->jit_func = r.func;
		p->jit_len = r.len;
		p->jit_hashed = r.hashed;
		memcpy(p->jit_sha, r.sha, sizeof(p->jit_sha));
	}
	b->bpf.jit_recorded = true;
	return 0;
}

int bl_records_copy(const void *p, u64 len, size_t size, u64 max, void **ret,
		    u32 *ret_nr)
{
	u64 n = len / size;
	void *r;

	if (len % size || n > max)
		return -EBADMSG;
	r = calloc(n ? n : 1, size);
	if (!r)
		return -ENOMEM;
	memcpy(r, p, len);
	*ret = r;
	*ret_nr = n;
	return 0;
}

/* Each record whole, its strings terminated; at most BL_HELPERS_MAX. */
static int parse_helpers(struct vmiaas_baseline *b, struct bl_reader *s)
{
	u32 i, n = s->len / sizeof(b->helpers[0]);

	if (s->len % sizeof(b->helpers[0]) || n > BL_HELPERS_MAX ||
	    b->has_helpers)
		return -EBADMSG;
	rd_take(s, b->helpers, s->len);
	for (i = 0; i < n; i++) {
		struct bl_helper *h = &b->helpers[i];

		if (!memchr(h->name, 0, sizeof(h->name)) ||
		    !memchr(h->value, 0, sizeof(h->value)) ||
		    h->size > sizeof(h->value))
			return -EBADMSG;
	}
	b->nr_helpers = n;
	b->has_helpers = true;
	return 0;
}

static int parse(struct vmiaas_baseline *b, const u8 *p, size_t len)
{
	struct bl_reader r = { .p = p, .len = len, .off = 16 };
	struct bl_ident_rec id;
	bool have_ident = false;
	u32 hdr[2];
	u64 slen;
	int err = 0;

	for (;;) {
		struct bl_reader s;

		if (rd_take(&r, hdr, sizeof(hdr)) ||
		    rd_take(&r, &slen, sizeof(slen)) || hdr[1] ||
		    slen > r.len - r.off)
			return -EBADMSG;
		if (hdr[0] == BL_SEC_END)
			break;
		s = (struct bl_reader){ .p = r.p + r.off, .len = slen };
		r.off += slen;
		switch (hdr[0]) {
		case BL_SEC_IDENT:
			if (slen != sizeof(id) || have_ident)
				return -EBADMSG;
			rd_take(&s, &id, sizeof(id));
			have_ident = true;
			break;
		case BL_SEC_CPU:
			err = parse_cpu(b, &s);
			break;
		case BL_SEC_SYSCALLS:
			err = parse_syscalls(b, &s);
			break;
		case BL_SEC_IDT:
			err = parse_idt(b, &s);
			break;
		case BL_SEC_TEXT:
			err = parse_text(b, &s);
			break;
		case BL_SEC_HASH:
			err = parse_hash(b, &s);
			break;
		case BL_SEC_RODATA:
			err = parse_rodata(b, &s);
			break;
		case BL_SEC_MODULE:
			err = parse_module(b, &s);
			break;
		case BL_SEC_MODULE_RO:
			err = parse_module_ro(b, &s);
			break;
		case BL_SEC_ORIGIN:
			if (b->origin[0] || rd_take(&s, b->origin,
						    sizeof(b->origin)) || s.off != s.len)
				return -EBADMSG;
			b->origin[sizeof(b->origin) - 1] = '\0';
			break;
		case BL_SEC_BPF:
			err = b->version >= 3 ? parse_bpf(b, &s) : -EBADMSG;
			break;
		case BL_SEC_HELPERS:
			err = parse_helpers(b, &s);
			break;
		case BL_SEC_BPF_JIT:
			err = parse_bpf_jit(b, &s);
			break;
		case BL_SEC_PROC_OPS:
			err = bl_proc_ops_parse(b, s.p, s.len);
			break;
		case BL_SEC_UMH_PATHS:
			err = bl_umh_parse(b, s.p, s.len);
			break;
		case BL_SEC_HOOKS:
			err = bl_hooks_parse(b, s.p, s.len);
			break;
		case BL_SEC_TTY_LDISCS:
			err = bl_tty_parse(b, s.p, s.len);
			break;
		default:
			return -EBADMSG;
		}
		if (err)
			return err;
	}
	if (!have_ident || !b->mac || !b->text || !b->rodata.bytes ||
	    !b->syscalls || !b->cpus || id.nr_vcpus != b->nr_vcpus ||
	    (b->version >= 3 && !b->bpf.recorded))
		return -EBADMSG;
	memcpy(b->release, id.release, sizeof(b->release));
	b->release[sizeof(b->release) - 1] = '\0';
	memcpy(b->banner, id.banner, sizeof(b->banner));
	b->banner[sizeof(b->banner) - 1] = '\0';
	b->created = id.created;
	b->kaslr_offset = id.kaslr_offset;
	b->text_va = id.text_va;
	b->boot_tag = id.boot_tag;
	b->boot_tag_kind = id.boot_tag_kind;
	return 0;
}

/*
 * The file, mapped read-only and private: the bytes of its regions stay
 * there, in the page cache, instead of in each process's heap.
 */
static int map_file(struct vmiaas *v, const char *path, u8 **ret,
		    size_t *ret_len)
{
	struct stat st;
	void *p;
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		err = -errno;
		if (fd >= 0)
			close(fd);
		return engine_fail(v, err, "cannot read the baseline %s: %s",
				   path, strerror(-err));
	}
	if (!S_ISREG(st.st_mode) || (u64)st.st_size > BL_FILE_MAX) {
		close(fd);
		return engine_fail(v, -EBADMSG,
				   "the baseline %s is not a regular file under %llu MiB",
				   path, BL_FILE_MAX >> 20);
	}
	if (!st.st_size) {
		close(fd);
		return engine_fail(v, -EBADMSG, "%s is not a vmiaas baseline", path);
	}
	p = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	err = p == MAP_FAILED ? -errno : 0;
	close(fd);
	if (err)
		return engine_fail(v, err, "cannot map the baseline %s: %s",
				   path, strerror(-err));
	*ret = p;
	*ret_len = st.st_size;
	return 0;
}

int bl_peek_ident(const char *path, char release[65], char banner[256])
{
	struct {
		char magic[8];
		u32 version, flags;
		u32 id, reserved;
		u64 len;
		struct bl_ident_rec id_rec;
	} h;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	n = read(fd, &h, sizeof(h));
	close(fd);
	if (n != (ssize_t)sizeof(h) || memcmp(h.magic, BL_MAGIC, 8) ||
	    h.id != BL_SEC_IDENT || h.len != sizeof(h.id_rec))
		return -EBADMSG;
	memcpy(release, h.id_rec.release, 65);
	release[64] = '\0';
	memcpy(banner, h.id_rec.banner, 256);
	banner[255] = '\0';
	return 0;
}

/* The attached guest must run the measured kernel build. */
static int build_check(struct vmiaas *v, const struct vmiaas_baseline *b,
		       const char *path)
{
	const struct vmiaas_info *info = vmiaas_info(v);

	if (strcmp(b->release, info->kernel_release) ||
	    strcmp(b->banner, info->banner))
		return engine_fail(v, -ESTALE,
				   "the baseline %s is of another kernel (%s), the guest runs %s: take a new baseline",
				   path, b->release, info->kernel_release);
	return 0;
}

/* The attached guest must be the measured kernel, in the same boot. */
static int bind_check(struct vmiaas *v, const struct vmiaas_baseline *b,
		      const char *path)
{
	const struct vmiaas_info *info = vmiaas_info(v);
	u64 tag;
	u32 kind;
	int err;

	err = build_check(v, b, path);
	if (err)
		return err;
	if (b->kaslr_offset != info->kaslr_offset)
		return engine_fail(v, -ESTALE,
				   "the baseline %s is of another boot (KASLR offset 0x%llx, now 0x%llx): the guest rebooted or is another guest; take a new baseline",
				   path, (unsigned long long)b->kaslr_offset,
				   (unsigned long long)info->kaslr_offset);
	err = bl_boot_tag(v, &tag, &kind);
	if (err)
		return err;
	if (kind != b->boot_tag_kind || tag != b->boot_tag)
		return engine_fail(v, -ESTALE,
				   "the baseline %s is of another boot (boot tag differs, same KASLR offset): the guest rebooted; take a new baseline",
				   path);
	if (b->nr_vcpus && info->nr_vcpus && b->nr_vcpus != info->nr_vcpus)
		return engine_fail(v, -ESTALE,
				   "the baseline %s has %u vCPUs, the guest now %u: take a new baseline",
				   path, b->nr_vcpus, info->nr_vcpus);
	return 0;
}

/*
 * A version 1 baseline (MAC verified: the same file key) cannot be
 * checked against: it has no rodata, module text or MAC field. Its IDENT
 * (the same record) says whether it is of the attached boot. If not, it
 * is stale like any baseline of another boot (-ESTALE: re-taken). If it
 * is, re-taking it would trust the guest as it is now, silently: -EPROTO
 * with what to do, the operator decides (docs/integrity.md).
 */
static int version1(struct vmiaas *v, const u8 *p, size_t len,
		    const char *path)
{
	struct vmiaas_baseline b = {};
	struct bl_ident_rec id;
	u32 hdr[2];
	u64 slen;
	int err;

	memcpy(hdr, p + 16, sizeof(hdr));
	memcpy(&slen, p + 24, sizeof(slen));
	if (len < 32 + sizeof(id) + 48 || hdr[0] != BL_SEC_IDENT ||
	    slen != sizeof(id))
		return engine_fail(v, -EBADMSG, "the baseline %s is malformed",
				   path);
	memcpy(&id, p + 32, sizeof(id));
	memcpy(b.release, id.release, sizeof(b.release) - 1);
	memcpy(b.banner, id.banner, sizeof(b.banner) - 1);
	b.kaslr_offset = id.kaslr_offset;
	b.boot_tag = id.boot_tag;
	b.boot_tag_kind = id.boot_tag_kind;
	b.nr_vcpus = id.nr_vcpus;
	err = bind_check(v, &b, path);
	if (err == -ESTALE)
		return engine_fail(v, -ESTALE,
				   "the baseline %s has format version 1 and is of another kernel or boot: take a new baseline",
				   path);
	if (err)
		return err;
	return engine_fail(v, -EPROTO,
			   "the baseline %s has format version 1 (no rodata, module text or MAC field), this vmiaas reads %u; it is of the guest's current boot, so a new one would trust the guest as it is now: take it when you trust the guest (vmid: vmictl vmid-rebaseline VM), or reboot the guest",
			   path, BL_VERSION);
}

/*
 * The verified file's version and sections, parsed into a new baseline
 * that owns the mapping @p (unmapped here on failure).
 */
static int load_parse(struct vmiaas *v, const char *path, u8 *p, size_t len,
		      struct vmiaas_baseline **ret)
{
	struct vmiaas_baseline *b = NULL;
	u32 version;
	int err;

	memcpy(&version, p + 8, 4);
	if (version == 1)
		err = version1(v, p, len, path);
	else if (version < BL_VERSION_OLDEST || version > BL_VERSION)
		err = engine_fail(v, -EPROTO,
				  "the baseline %s has format version %u, this vmiaas reads %u to %u: take a new baseline",
				  path, version, BL_VERSION_OLDEST, BL_VERSION);
	else
		err = (b = calloc(1, sizeof(*b))) ? 0 : -ENOMEM;
	if (err) {
		munmap(p, len);
		return err;
	}
	b->version = version;
	b->map = p;
	b->map_len = len;
	err = parse(b, p, len);
	if (err) {
		vmiaas_baseline_free(b);
		if (err == -ENOMEM)
			return err;
		return engine_fail(v, -EBADMSG, "the baseline %s is malformed",
				   path);
	}
	/* every page was read for the MAC: out of this process again */
	madvise(p, len, MADV_DONTNEED);
	*ret = b;
	return 0;
}

/*
 * The file is mapped (map_file()), its MAC verified over the mapping, the
 * small parts copied out, and the text, rodata and module bytes left in
 * the mapping. Reading it all faulted every page in: they are dropped
 * from this process again (MADV_DONTNEED; the page cache keeps them), so
 * a check maps back only the few pages it compares byte by byte. The
 * file is replaced only by rename() (vmiaas_baseline_save()), never
 * rewritten in place, so the mapping keeps the bytes the MAC covered;
 * bl_region_diff() still checks each page it uses against its MAC.
 */
static int load(struct vmiaas *v, const char *path,
		const uint8_t key[VMIAAS_KEY_SIZE], bool same_boot,
		struct vmiaas_baseline **ret)
{
	struct vmiaas_baseline *b = NULL;
	u8 file_key[32], mac[32], *p = NULL;
	size_t len = 0;
	int err;

	err = map_file(v, path, &p, &len);
	if (err)
		return err;
	if (len < 16 + 16 + 32 || memcmp(p, BL_MAGIC, 8)) {
		munmap(p, len);
		return engine_fail(v, -EBADMSG, "%s is not a vmiaas baseline", path);
	}
	err = key_derive(key, "vmiaas baseline file v1", file_key);
	err = err ?: hmac_sha256(file_key, sizeof(file_key), p, len - 32,
				 NULL, 0, mac);
	OPENSSL_cleanse(file_key, sizeof(file_key));
	if (!err && CRYPTO_memcmp(mac, p + len - 32, 32))
		err = engine_fail(v, -EBADMSG,
				  "the baseline %s fails its MAC: it was modified, or made with another host key; refusing it",
				  path);
	if (err) {
		munmap(p, len);
		return err;
	}
	err = load_parse(v, path, p, len, &b);
	if (err)
		return err;
	err = same_boot ? bind_check(v, b, path) : build_check(v, b, path);
	err = err ?: baseline_set_key(b, key);
	if (err) {
		vmiaas_baseline_free(b);
		return err;
	}
	*ret = b;
	return 0;
}

int vmiaas_baseline_load(struct vmiaas *v, const char *path,
			 const uint8_t key[VMIAAS_KEY_SIZE],
			 struct vmiaas_baseline **ret)
{
	return load(v, path, key, true, ret);
}

int bl_load_build(struct vmiaas *v, const char *path,
		  const u8 key[VMIAAS_KEY_SIZE], struct vmiaas_baseline **ret)
{
	return load(v, path, key, false, ret);
}

void vmiaas_baseline_summary(const struct vmiaas_baseline *b,
			     struct vmiaas_baseline_summary *ret)
{
	u32 i;

	memset(ret, 0, sizeof(*ret));
	ret->version = b->version;
	ret->nr_vcpus = b->nr_vcpus;
	ret->created = b->created;
	ret->kaslr_offset = b->kaslr_offset;
	ret->boot_tag = b->boot_tag;
	ret->text_start = b->text_start;
	ret->text_end = b->text_end;
	ret->nr_syscalls = b->nr_syscalls;
	for (i = 0; i < b->nr_idts; i++)
		ret->nr_idt_gates += b->idts[i].nr;
	memcpy(ret->kernel_release, b->release, sizeof(ret->kernel_release));
	memcpy(ret->origin, b->origin, sizeof(ret->origin));
	ret->nr_bpf_programs = b->bpf.recorded ? (int32_t)b->bpf.nr : -1;
	ret->nr_hooks_over_limit = b->nr_hooks_over;
}
