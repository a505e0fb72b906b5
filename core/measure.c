// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Measurement execution: see measure.h.
 */
#include "measure.h"

int vmi_measure_range(const struct vmi_read_ops *r,
		      const struct vmi_hash_ops *h, u64 start, u64 end,
		      u8 *page, u8 *ret_digests, u64 nr_digests)
{
	const void *data;
	u64 va, next, i = 0;
	int err;

	if (!r || !r->read || !h || !h->digest || !page || !ret_digests)
		return -EINVAL;
	if (!h->digest_size || h->digest_size > VMI_DIGEST_MAX)
		return -EINVAL;
	if (end <= start)
		return -EINVAL;
	if (end - start > VMI_MEASURE_MAX_RANGE)
		return -E2BIG;
	if (nr_digests < vmi_measure_nr_pages(start, end))
		return -EINVAL;
	for (va = start; va < end; va = next, i++) {
		next = (va & ~(u64)(VMI_MEASURE_PAGE - 1)) + VMI_MEASURE_PAGE;
		if (next > end || next < va)
			next = end;
		data = r->map ? r->map(r->ctx, va, next - va) : NULL;
		if (!data) {
			err = r->read(r->ctx, va, page, next - va);
			if (err)
				return err;
			data = page;
		}
		err = h->digest(h->ctx, va, data, next - va,
				ret_digests + i * h->digest_size);
		if (err)
			return err;
	}
	return 0;
}

s64 vmi_measure_diff(const u8 *old, const u8 *now, u64 nr, u32 size,
		     u64 *ret_idx, u64 max)
{
	u64 i, n = 0;

	if (!old || !now || !size || size > VMI_DIGEST_MAX ||
	    (max && !ret_idx))
		return -EINVAL;
	for (i = 0; i < nr; i++) {
		if (!memcmp(old + i * size, now + i * size, size))
			continue;
		if (n < max)
			ret_idx[n] = i;
		n++;
	}
	return (s64)n;
}

s64 vmi_measure_ptrs(const struct vmi_read_ops *r, u64 va, u32 nr,
		     const u64 *expected, u64 *ret_now)
{
	u32 i;
	s64 n = 0;
	int err;

	if (!r || !r->read || !expected || !ret_now)
		return -EINVAL;
	if (nr > VMI_MEASURE_MAX_PTRS)
		return -E2BIG;
	if (!nr)
		return 0;
	err = r->read(r->ctx, va, ret_now, (size_t)nr * sizeof(u64));
	if (err)
		return err;
	for (i = 0; i < nr; i++)
		n += ret_now[i] != expected[i];
	return n;
}

s64 vmi_measure_mapping(struct vmi_as *as, u64 start, u64 end, u64 pa,
			u32 prot_mask, u32 prot_want,
			struct vmi_map_bad *ret_bad, u64 max)
{
	struct vmi_xlate x;
	u64 va, step, n = 0;
	int err;

	if (!as || (max && !ret_bad) || end <= start ||
	    ((start | end | pa) & (VMI_MEASURE_PAGE - 1)))
		return -EINVAL;
	if (end - start > VMI_MEASURE_MAX_RANGE)
		return -E2BIG;
	for (va = start; va < end; va += step) {
		step = VMI_MEASURE_PAGE;
		err = vmi_as_translate(as, va, &x);
		if (!err && x.gpa == pa + (va - start) &&
		    (x.prot & prot_mask) == prot_want) {
			/*
			 * One leaf maps the rest of a large page: the next
			 * frames follow this one, with its permissions.
			 */
			if (x.page_size > VMI_MEASURE_PAGE)
				step = min_t(u64, end - va, x.page_size -
					     (va & (x.page_size - 1)));
			continue;
		}
		if (n < max)
			ret_bad[n] = (struct vmi_map_bad){
				.va = va, .err = err,
				.gpa = err ? 0 : x.gpa, .prot = err ? 0 : x.prot,
			};
		n++;
	}
	return (s64)n;
}

int vmi_measure_bytes(const struct vmi_read_ops *r, u64 va, u32 len,
		      const u8 *expected, u32 flags, u8 *buf)
{
	const u8 *nul;
	int err;

	if (!r || !r->read || !expected || !buf || !len ||
	    (flags & ~VMI_MEASURE_CSTRING))
		return -EINVAL;
	if (len > VMI_MEASURE_PAGE)
		return -E2BIG;
	if (flags & VMI_MEASURE_CSTRING) {
		nul = memchr(expected, 0, len);
		if (!nul)
			return -EINVAL;
		len = nul - expected + 1;
	}
	err = r->read(r->ctx, va, buf, len);
	if (err)
		return err;
	return memcmp(buf, expected, len) != 0;
}
