// SPDX-License-Identifier: GPL-2.0
/*
 * The checks a VM's guest requests run: policy (which ranges, which
 * digests, which pointer values) comes from userspace; the module only
 * executes, with the freestanding core/ (guest-virtual translation in
 * core/paging.c, pointer tables in core/measure.c) and the kernel's
 * SHA-256 library.
 *
 * Guest memory is read with kvm_read_guest() through the VMM's user
 * mapping: the caller holds kvm->srcu and runs with the VMM's mm (the vCPU
 * thread itself, or the serving kthread under kthread_use_mm()), and no
 * spinlock, since a read may fault pages in. Everything read is guest
 * data: lengths and counts come from the registered checks (capped at
 * registration), never from the guest, and a read that fails makes the
 * check fail instead of the run.
 */
#include <linux/kvm_host.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <crypto/sha2.h>
#include <uapi/linux/vmiaas.h>

#include "../core/measure.h"
#include "../core/paging.h"
#include "checks.h"
#include "view.h"

struct vmiaas_checkset {
	u32 nr;
	struct vmiaas_check checks[VMIAAS_MAX_CHECKS];	/* ->values unused */
	u64 *values[VMIAAS_MAX_CHECKS];	/* tables: expected words */
	/* scratch of a run: the caller serializes runs of one set */
	u64 *now;			/* VMIAAS_MAX_PTRS words */
	u8 *page;			/* PAGE_SIZE bytes */
	struct vmi_phys phys;		/* all of guest RAM through ->read */
	struct vmi_as as;		/* for _GVA checks */
};

void vmiaas_checks_free(struct vmiaas_checkset *cs)
{
	unsigned int i;

	if (!cs)
		return;
	for (i = 0; i < cs->nr; i++)
		kvfree(cs->values[i]);
	kvfree(cs->now);
	kfree(cs->page);
	kvfree(cs);
}

static bool check_is_range(u32 type)
{
	return type == VMIAAS_CHECK_RANGE_GPA || type == VMIAAS_CHECK_RANGE_GVA;
}

static bool check_is_gva(u32 type)
{
	return type == VMIAAS_CHECK_RANGE_GVA || type == VMIAAS_CHECK_PTRS_GVA;
}

/* One registered check: 0, -EINVAL or -E2BIG (see the uapi header). */
static int check_validate(const struct vmiaas_check *c)
{
	u64 bytes, end;

	if (c->type < VMIAAS_CHECK_RANGE_GPA || c->type > VMIAAS_CHECK_PTRS_GVA)
		return -EINVAL;
	if (c->flags || c->reserved[0] || c->reserved[1] || !c->len)
		return -EINVAL;
	if (check_is_gva(c->type) != !!c->root)
		return -EINVAL;
	if (c->root & ~PAGE_MASK)
		return -EINVAL;
	if (check_is_range(c->type)) {
		if (c->values)
			return -EINVAL;
		if (c->len > VMIAAS_MAX_RANGE)
			return -E2BIG;
		bytes = c->len;
	} else {
		if (!c->values || memchr_inv(c->digest, 0, sizeof(c->digest)))
			return -EINVAL;
		if (c->len > VMIAAS_MAX_PTRS)
			return -E2BIG;
		bytes = c->len * sizeof(u64);
	}
	if (check_add_overflow(c->addr, bytes, &end))
		return -EINVAL;
	return 0;
}

static int checkset_read_phys(void *ctx, u64 gpa, void *buf, size_t len)
{
	return vmiaas_view_read_guest(ctx, gpa, buf, len);
}

static struct vmiaas_checkset *checkset_alloc(void)
{
	struct vmiaas_checkset *cs;

	cs = kvzalloc(sizeof(*cs), GFP_KERNEL_ACCOUNT);
	if (!cs)
		return NULL;
	cs->now = kvcalloc(VMIAAS_MAX_PTRS, sizeof(u64), GFP_KERNEL_ACCOUNT);
	cs->page = kmalloc(PAGE_SIZE, GFP_KERNEL_ACCOUNT);
	if (!cs->now || !cs->page) {
		vmiaas_checks_free(cs);
		return NULL;
	}
	/* guest RAM lies below the mailbox (view 1 maps nothing else there) */
	vmi_phys_add_range(&cs->phys, 0, VMIAAS_MAILBOX_GPA, NULL);
	cs->phys.read = checkset_read_phys;
	return cs;
}

/* Copies check @i, and a table's expected words, from userspace. */
static int checkset_copy_check(struct vmiaas_checkset *cs, unsigned int i,
			       const struct vmiaas_check __user *uc)
{
	struct vmiaas_check *c = &cs->checks[i];
	int r;

	if (copy_from_user(c, uc, sizeof(*c)))
		return -EFAULT;
	r = check_validate(c);
	if (r || check_is_range(c->type))
		return r;
	cs->values[i] = vmemdup_user(u64_to_user_ptr(c->values),
				     c->len * sizeof(u64));
	if (IS_ERR(cs->values[i])) {
		r = PTR_ERR(cs->values[i]);
		cs->values[i] = NULL;
		return r;
	}
	c->values = 0;
	return 0;
}

/**
 * vmiaas_checks_from_user() - validate and copy a set of checks
 * @args: VMIAAS_IOC_SET_CHECKS's argument, already checked for size,
 *        flags and reserved fields
 * @ret_cs: the new set, or NULL for an empty one
 *
 * Return: 0; -E2BIG; -EINVAL; -ENOMEM; -EFAULT.
 */
int vmiaas_checks_from_user(const struct vmiaas_set_checks *args,
			    struct vmiaas_checkset **ret_cs)
{
	const struct vmiaas_check __user *uc = u64_to_user_ptr(args->checks);
	struct vmiaas_checkset *cs;
	unsigned int i;
	int r;

	*ret_cs = NULL;
	if (args->nr_checks > VMIAAS_MAX_CHECKS)
		return -E2BIG;
	if (!args->nr_checks)
		return args->checks ? -EINVAL : 0;
	cs = checkset_alloc();
	if (!cs)
		return -ENOMEM;
	for (i = 0; i < args->nr_checks; i++) {
		cs->nr = i + 1;	/* so that free finds values[i] */
		r = checkset_copy_check(cs, i, uc + i);
		if (r) {
			vmiaas_checks_free(cs);
			return r;
		}
	}
	*ret_cs = cs;
	return 0;
}

/* A struct vmi_read_ops callback: guest-physical memory. */
static int read_gpa(void *ctx, u64 gpa, void *buf, size_t len)
{
	struct vmiaas_checkset *cs = ctx;

	return vmi_phys_read(&cs->phys, gpa, buf, len);
}

/* A struct vmi_read_ops callback: guest-virtual memory through cs->as. */
static int read_gva(void *ctx, u64 va, void *buf, size_t len)
{
	struct vmiaas_checkset *cs = ctx;

	return vmi_as_read(&cs->as, va, buf, len);
}

/* SHA-256 of a range, one page at a time: 0 and the digest, or -errno. */
static int check_range_digest(struct vmiaas_checkset *cs,
			      const struct vmi_read_ops *r,
			      const struct vmiaas_check *c, u8 *digest)
{
	struct sha256_state sha;
	u64 va = c->addr, end = c->addr + c->len, next;
	int err;

	sha256_init(&sha);
	for (; va < end; va = next) {
		next = min(end, (va & PAGE_MASK) + PAGE_SIZE);
		err = r->read(r->ctx, va, cs->page, next - va);
		if (err)
			return err;
		sha256_update(&sha, cs->page, next - va);
		cond_resched();
	}
	sha256_final(&sha, digest);
	return 0;
}

/* 1 if the check differs, 0 if it matches, -errno if it could not run. */
static int check_run_one(struct vmiaas_checkset *cs, unsigned int i)
{
	const struct vmiaas_check *c = &cs->checks[i];
	struct vmi_read_ops r = { .ctx = cs };
	u8 digest[SHA256_DIGEST_SIZE];
	s64 n;
	int err;

	BUILD_BUG_ON(sizeof(c->digest) != SHA256_DIGEST_SIZE);
	r.read = check_is_gva(c->type) ? read_gva : read_gpa;
	if (check_is_gva(c->type))
		vmi_as_init(&cs->as, &cs->phys, c->root, false);
	if (check_is_range(c->type)) {
		err = check_range_digest(cs, &r, c, digest);
		if (err)
			return err;
		return memcmp(digest, c->digest, sizeof(digest)) != 0;
	}
	n = vmi_measure_ptrs(&r, c->addr, c->len, cs->values[i], cs->now);
	if (n < 0)
		return n;
	return n != 0;
}

/**
 * vmiaas_checks_run() - run every registered check of a VM
 * @cs: the set (NULL: none registered)
 * @kvm: the VM; the caller holds kvm->srcu and runs with the VMM's mm
 * @ret: the verdict
 *
 * Runs of one set must be serialized (they share its scratch buffers).
 */
void vmiaas_checks_run(struct vmiaas_checkset *cs, struct kvm *kvm,
		       struct vmiaas_verdict *ret)
{
	bool differs = false;
	unsigned int i;
	int r;

	memset(ret, 0, sizeof(*ret));
	if (!cs) {
		ret->verdict = VMIAAS_VERDICT_NONE;
		return;
	}
	cs->phys.ctx = kvm;
	for (i = 0; i < cs->nr; i++) {
		r = check_run_one(cs, i);
		if (!r)
			continue;
		differs |= r > 0;
		ret->nr_failed++;
		ret->failed_mask |= BIT_ULL(i);
	}
	ret->nr_checks = cs->nr;
	if (differs)
		ret->verdict = VMIAAS_VERDICT_TAMPERED;
	else if (ret->nr_failed)
		ret->verdict = VMIAAS_VERDICT_ERROR;
	else
		ret->verdict = VMIAAS_VERDICT_CLEAN;
}
