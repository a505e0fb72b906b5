/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Execution of integrity measurements, shared by vmiaas.ko and userspace.
 *
 * Policy (what to measure, what a difference means) lives in userspace;
 * this file only executes: hash guest-virtual ranges page by page with a
 * keyed hash the caller supplies (the core cannot call OpenSSL or the
 * kernel crypto API itself), compare digests, and compare a pointer table
 * with its expected values. Guest memory is reached only through
 * struct vmi_read_ops; nothing here allocates.
 *
 * Errors: -EINVAL (bad arguments: an empty or reversed range, a digest
 * size over VMI_DIGEST_MAX, an output array too small), -E2BIG (a range
 * or table over the caps below), and whatever the read or hash callback
 * returns (for reads: -EFAULT not backed, -ENOENT not mapped).
 */
#ifndef VMI_MEASURE_H
#define VMI_MEASURE_H

#include "vmi_env.h"
#include "paging.h"

#define VMI_MEASURE_PAGE	4096U
#define VMI_DIGEST_MAX		32U		/* HMAC-SHA256 */
#define VMI_MEASURE_MAX_RANGE	(1ULL << 30)	/* bytes in one range */
#define VMI_MEASURE_MAX_PTRS	(1U << 16)	/* entries in one table */

/*
 * Reads @len bytes of guest-virtual memory at @va. 0 or a negative errno.
 * map (optional, may be NULL): a pointer to the @len bytes at @va (never
 * crossing a 4 KiB page) where the caller can read them in place (a RAM
 * file mapped into the host process), or NULL, and then read() is used.
 * Hashing in place saves a copy per page; the bytes may change under the
 * hash either way (the guest runs): a copy is no more a snapshot.
 */
struct vmi_read_ops {
	int (*read)(void *ctx, u64 va, void *buf, size_t len);
	void *ctx;
	const void *(*map)(void *ctx, u64 va, size_t len);
};

/*
 * A keyed hash. digest() computes the MAC of (@va as 8 little-endian
 * bytes, then @data) into @out (digest_size bytes): binding the address
 * makes two pages with swapped contents differ.
 */
struct vmi_hash_ops {
	u32 digest_size;	/* <= VMI_DIGEST_MAX */
	int (*digest)(void *ctx, u64 va, const void *data, size_t len,
		      u8 *out);
	void *ctx;
};

/* Number of page-sized chunks of [@start, @end): pages it touches. */
static inline u64 vmi_measure_nr_pages(u64 start, u64 end)
{
	if (end <= start)
		return 0;
	return ((end - 1) / VMI_MEASURE_PAGE) - (start / VMI_MEASURE_PAGE) + 1;
}

/*
 * Hashes [@start, @end) one chunk per 4 KiB page (the first and last
 * chunks are cut to the range) into @ret_digests, nr_pages * digest_size
 * bytes. @page is a VMI_MEASURE_PAGE scratch buffer (unused for the
 * chunks @r->map gives in place).
 */
int vmi_measure_range(const struct vmi_read_ops *r,
		      const struct vmi_hash_ops *h, u64 start, u64 end,
		      u8 *page, u8 *ret_digests, u64 nr_digests);

/*
 * Indexes of the pages whose digests differ between @old and @now (both
 * @nr digests of @size bytes), in order, into @ret_idx (room for @max).
 * Returns the number of differing pages, which may exceed @max (only the
 * first @max are stored), or -EINVAL.
 */
s64 vmi_measure_diff(const u8 *old, const u8 *now, u64 nr, u32 size,
		     u64 *ret_idx, u64 max);

/*
 * Reads a table of @nr u64 pointers at @va into @ret_now and compares it
 * with @expected. Returns the number of entries that differ (>= 0) or a
 * negative errno; on error @ret_now is undefined.
 */
s64 vmi_measure_ptrs(const struct vmi_read_ops *r, u64 va, u32 nr,
		     const u64 *expected, u64 *ret_now);

/*
 * A page of a mapping measured with vmi_measure_mapping() that is not
 * mapped as expected: not at all (@err: the walk's -ENOENT, -EFAULT,
 * -EBADMSG), to another frame, or with other permissions.
 */
struct vmi_map_bad {
	u64 va;			/* of the 4 KiB page */
	u64 gpa;		/* the frame it maps now (0 if @err) */
	u32 prot;		/* VMI_PROT_* now */
	s32 err;		/* 0, or the walk's error */
};

/*
 * Whether every 4 KiB page of [@start, @end) (page-aligned) translates
 * through @as to @pa + (page - @start) with (prot & @prot_mask) ==
 * @prot_want: the kernel image's mapping of its own frames. The first
 * @max pages that do not go to @ret_bad, in order. Returns how many do
 * not (which may exceed @max), -EINVAL (unaligned or empty range) or
 * -E2BIG (over VMI_MEASURE_MAX_RANGE). Translations go through @as's
 * cache: flush it first if the guest ran since it was filled.
 */
s64 vmi_measure_mapping(struct vmi_as *as, u64 start, u64 end, u64 pa,
			u32 prot_mask, u32 prot_want,
			struct vmi_map_bad *ret_bad, u64 max);

/* vmi_measure_bytes() flags */
#define VMI_MEASURE_CSTRING	(1U << 0)	/* up to @expected's NUL */

/*
 * Reads the @len bytes at @va (at most VMI_MEASURE_PAGE) into @buf and
 * compares them with @expected; with VMI_MEASURE_CSTRING only up to and
 * including @expected's first NUL, which must lie within @len (bytes past
 * a string's NUL are stale leftovers of longer values: not compared, not
 * read). Returns 1 if they differ, 0 if not, or a negative errno.
 */
int vmi_measure_bytes(const struct vmi_read_ops *r, u64 va, u32 len,
		      const u8 *expected, u32 flags, u8 *buf);

#endif /* VMI_MEASURE_H */
