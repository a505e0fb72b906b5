// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * usermode-helper's dynamic program paths: see umhwalk.h.
 */
#include "umhwalk.h"

#define UMH_PAGE	4096ULL

int vmi_read_cstr(const struct vmi_read_ops *r, u64 va, char *buf, u32 size)
{
	u32 done = 0, chunk;
	const char *nul;
	int err;

	if (!r || !r->read || !buf || !size)
		return -EINVAL;
	if (!vmi_kernel_ptr(va & ~7ULL))
		return -EBADMSG;
	while (done < size) {
		chunk = min_t(u64, size - done, UMH_PAGE - ((va + done) & (UMH_PAGE - 1)));
		err = r->read(r->ctx, va + done, buf + done, chunk);
		if (err)
			return err;
		nul = memchr(buf + done, 0, chunk);
		if (nul)
			return nul - buf;
		done += chunk;
	}
	buf[size - 1] = '\0';
	return -EBADMSG;
}

int vmi_cg_root_read(const struct vmi_read_ops *r,
		     const struct vmi_cg_layout *l, u64 node,
		     struct vmi_cg_root *ret)
{
	u64 root = node - l->root_list;
	u8 raw[4];
	int err;

	memset(ret, 0, sizeof(*ret));
	err = r->read(r->ctx, root + l->hierarchy_id, raw, sizeof(raw));
	if (err)
		return err;
	ret->hierarchy_id = (s32)vmi_get_u32(raw);
	err = r->read(r->ctx, root + l->subsys_mask, raw, sizeof(raw));
	if (err)
		return err;
	ret->subsys_mask = vmi_get_u32(raw);
	err = vmi_read_cstr(r, root + l->name, ret->name, sizeof(ret->name));
	if (err < 0)
		return err;
	err = vmi_read_cstr(r, root + l->agent, ret->agent,
			    sizeof(ret->agent));
	return err < 0 ? err : 0;
}

/* Reads @len bytes at the pointer stored at @node + @off into @buf. */
static int binfmt_bytes(const struct vmi_read_ops *r, u64 node, u32 off,
			u8 *buf, u32 len)
{
	u64 p;
	int err;

	err = vmi_read_u64(r, node + off, &p);
	if (err)
		return err;
	if (!vmi_kernel_ptr(p & ~7ULL))
		return -EBADMSG;
	return len ? r->read(r->ctx, p, buf, len) : 0;
}

static int binfmt_str(const struct vmi_read_ops *r, u64 node, u32 off,
		      char *buf, u32 size)
{
	u64 p;
	int err;

	err = vmi_read_u64(r, node + off, &p);
	if (err)
		return err;
	err = vmi_read_cstr(r, p, buf, size);
	return err < 0 ? err : 0;
}

int vmi_binfmt_read(const struct vmi_read_ops *r,
		    const struct vmi_binfmt_layout *l, u64 node,
		    struct vmi_binfmt_entry *ret)
{
	u8 raw[8];
	u64 mask;
	int err;

	memset(ret, 0, sizeof(*ret));
	err = r->read(r->ctx, node + l->flags, raw, sizeof(raw));
	if (err)
		return err;
	ret->flags = vmi_get_u32(raw);
	err = r->read(r->ctx, node + l->offset, raw, 4);
	err = err ?: r->read(r->ctx, node + l->size, raw + 4, 4);
	if (err)
		return err;
	ret->offset = (s32)vmi_get_u32(raw);
	ret->size = vmi_get_u32(raw + 4);
	err = binfmt_str(r, node, l->name, ret->name, sizeof(ret->name));
	err = err ?: binfmt_str(r, node, l->interpreter, ret->interpreter,
				sizeof(ret->interpreter));
	if (err)
		return err;
	if (!(ret->flags & VMI_BINFMT_MAGIC)) {
		/* an extension: a string; the kernel ignores offset and size */
		err = binfmt_str(r, node, l->magic, (char *)ret->magic,
				 sizeof(ret->magic));
		if (err)
			return err;
		ret->offset = 0;
		ret->size = strlen((char *)ret->magic);
		memset(ret->mask, 0xff, sizeof(ret->mask));
		return 0;
	}
	/* the kernel's own rule at registration (create_entry()) */
	if (ret->offset < 0 || ret->size > VMI_BINFMT_BUF ||
	    (u32)ret->offset > VMI_BINFMT_BUF - ret->size)
		return -EBADMSG;
	err = binfmt_bytes(r, node, l->magic, ret->magic, ret->size);
	if (err)
		return err;
	err = vmi_read_u64(r, node + l->mask, &mask);
	if (err)
		return err;
	memset(ret->mask, 0xff, sizeof(ret->mask));
	if (!mask)
		return 0;
	ret->has_mask = true;
	return binfmt_bytes(r, node, l->mask, ret->mask, ret->size);
}
