/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A directory listing filter for the attack modules that hide entries
 * (vmiaas_attack_procroot, vmiaas_attack_vfsdir): the original
 * iterate_shared runs with an actor of ours in front of the caller's,
 * which drops the names @hide accepts and passes the rest on, position
 * included, so that getdents64() resumes where it should.
 */
#ifndef VMIAAS_ATTACK_DIRHIDE_H
#define VMIAAS_ATTACK_DIRHIDE_H

#include <linux/fs.h>
#include <linux/string.h>

/* Whether @entry (@len bytes) is @want; counted in *@hits. */
static bool dirhide_match(const char *want, const char *entry, int len,
			  unsigned int *hits)
{
	if (len != strlen(want) || memcmp(entry, want, len))
		return false;
	WRITE_ONCE(*hits, READ_ONCE(*hits) + 1);
	return true;
}

struct dirhide_ctx {
	struct dir_context ctx;
	struct dir_context *orig;
	bool (*hide)(const char *name, int len);
};

static bool dirhide_actor(struct dir_context *ctx, const char *entry, int len,
			  loff_t off, u64 ino, unsigned int type)
{
	struct dirhide_ctx *h = container_of(ctx, struct dirhide_ctx, ctx);

	if (h->hide(entry, len))
		return true;
	h->orig->pos = ctx->pos;
	return h->orig->actor(h->orig, entry, len, off, ino, type);
}

static int dirhide_iterate(const struct file_operations *orig,
			   struct file *file, struct dir_context *ctx,
			   bool (*hide)(const char *name, int len))
{
	struct dirhide_ctx h = {
		.ctx.actor = dirhide_actor,
		.ctx.pos = ctx->pos,
		.orig = ctx,
		.hide = hide,
	};
	int err = orig->iterate_shared(file, &h.ctx);

	ctx->pos = h.ctx.pos;
	return err;
}

#endif /* VMIAAS_ATTACK_DIRHIDE_H */
