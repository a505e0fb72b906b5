// SPDX-License-Identifier: GPL-2.0
/*
 * Requests to the host: the mailbox protocol of <uapi/linux/vmiaas.h> in
 * view 1, or the hypercall.
 *
 * The mailbox page exists at VMIAAS_MAILBOX_GPA only in view 1, and each
 * vCPU has its own page there. So every access to it happens between
 * VMFUNC(0,1) and VMFUNC(0,0) with interrupts off on one CPU (nothing
 * else runs in view 1, and nothing touches the address in view 0, where
 * it is an MMIO exit to the VMM), and a request is posted and awaited on
 * the same CPU (migration disabled). The host answers within its polling
 * interval or at the vCPU's next VM exit; meanwhile the agent polls
 * resp_seq with plain loads, returning to view 0 between polls, and
 * neither halts nor pauses (both would exit). The wait is bounded.
 */
#include <linux/errno.h>
#include <linux/io.h>
#include <linux/irqflags.h>
#include <linux/kernel.h>
#include <linux/delay.h>
#include <linux/ktime.h>
#include <linux/kvm_para.h>
#include <linux/preempt.h>
#include <linux/sched.h>

#include "agent.h"

static struct vmiaas_mailbox *mailbox;	/* valid in view 1 only */

int agent_mailbox_map(void)
{
	BUILD_BUG_ON(sizeof(struct vmiaas_mailbox) != VMIAAS_MAILBOX_SIZE);
	mailbox = memremap(VMIAAS_MAILBOX_GPA, VMIAAS_MAILBOX_SIZE,
			   MEMREMAP_WB);
	return mailbox ? 0 : -ENOMEM;
}

void agent_mailbox_unmap(void)
{
	if (mailbox)
		memunmap(mailbox);
	mailbox = NULL;
}

/* In view 1, interrupts off: posts the request, returns its number. */
static u64 mailbox_post(u32 reason, u64 cookie)
{
	u64 seq = READ_ONCE(mailbox->req_seq) + 1;

	WRITE_ONCE(mailbox->req_reason, reason);
	WRITE_ONCE(mailbox->req_flags, 0);
	WRITE_ONCE(mailbox->req_cookie, cookie);
	/* the request's fields are visible before its number */
	smp_store_release(&mailbox->req_seq, seq);
	return seq;
}

/* In view 1, interrupts off: true and @res filled once @seq is answered. */
static bool mailbox_answered(u64 seq, struct agent_result *res)
{
	/* the host writes resp_seq last: read it first */
	if (smp_load_acquire(&mailbox->resp_seq) != seq)
		return false;
	res->seq = seq;
	res->status = READ_ONCE(mailbox->resp_status);
	res->verdict = READ_ONCE(mailbox->resp_verdict);
	res->nr_failed = READ_ONCE(mailbox->resp_nr_failed);
	res->nr_checks = READ_ONCE(mailbox->resp_nr_checks);
	res->failed_mask = READ_ONCE(mailbox->resp_failed_mask);
	return true;
}

/*
 * One visit to view 1: post (if @seq is 0) or poll. 0, -EAGAIN (not
 * answered yet), or -ENODEV (view 1 is gone: the host detached).
 */
static int mailbox_visit(u32 reason, u64 cookie, u64 *seq,
			 struct agent_result *res)
{
	unsigned long flags;
	int err = -EAGAIN;

	local_irq_save(flags);
	if (agent_vmfunc(VMIAAS_VIEW_INDEX)) {
		err = -ENODEV;
	} else {
		if (!*seq)
			*seq = mailbox_post(reason, cookie);
		else if (mailbox_answered(*seq, res))
			err = 0;
		agent_vmfunc(0);
	}
	local_irq_restore(flags);
	return err;
}

/*
 * Posts a request through the mailbox and waits up to @wait_ms for the
 * answer. 0 with @res filled, -ENODEV (view 1 not armed), -ETIMEDOUT,
 * -ENOMEM (no mapping).
 */
int agent_request_vmfunc(u32 reason, u64 cookie, unsigned int wait_ms,
			 struct agent_result *res)
{
	ktime_t start = ktime_get(), deadline;
	u64 seq = 0;
	int err;

	if (!mailbox)
		return -ENOMEM;
	memset(res, 0, sizeof(*res));
	deadline = ktime_add_ms(start, wait_ms);
	migrate_disable();
	err = mailbox_visit(reason, cookie, &seq, res);
	while (err == -EAGAIN) {
		if (ktime_after(ktime_get(), deadline)) {
			err = -ETIMEDOUT;
			break;
		}
		cond_resched();
		res->polls++;
		err = mailbox_visit(reason, cookie, &seq, res);
	}
	migrate_enable();
	res->seq = seq;
	res->wait_ns = ktime_to_ns(ktime_sub(ktime_get(), start));
	return err;
}

/*
 * VMIAAS_HC_REQUEST: the host runs the checks during the VM exit.
 * 0 with @res filled (res->status may be negative), or -EOPNOTSUPP
 * (no hypercall), -EPROTONOSUPPORT (KVM without vmiaas's hypercall).
 */
int agent_request_hypercall(u32 reason, u64 cookie, struct agent_result *res)
{
	ktime_t start = ktime_get();
	long ret;
	int err;

	memset(res, 0, sizeof(*res));
	err = agent_vmcall(VMIAAS_HC_REQUEST, reason, cookie, &ret);
	res->wait_ns = ktime_to_ns(ktime_sub(ktime_get(), start));
	if (err)
		return err;
	if (ret == -KVM_ENOSYS)	/* no companion took the call */
		return -EPROTONOSUPPORT;
	if (ret < 0) {
		res->status = ret;
		return 0;
	}
	res->verdict = ret & 0xff;
	res->nr_failed = (ret >> 8) & 0xff;
	return 0;
}

/*
 * Mode ram: the mailbox is a page of this module's own memory, found from
 * outside through this symbol (the module's kallsyms) by a host watcher
 * that polls it (vmid, see docs/vmid.md); no VMFUNC, no hypercall. The
 * agent writes the host's magic and version itself, since no host
 * prepares the page. Waiting sleeps: there are no exits to avoid.
 */
struct vmiaas_mailbox vmiaas_agent_mailbox __aligned(PAGE_SIZE);

void agent_ram_init(void)
{
	struct vmiaas_mailbox *mb = &vmiaas_agent_mailbox;

	BUILD_BUG_ON(sizeof(*mb) != PAGE_SIZE);
	WRITE_ONCE(mb->version, VMIAAS_MAILBOX_VERSION);
	/* the magic last: a watcher that sees it sees the rest */
	smp_store_release(&mb->magic, VMIAAS_MAILBOX_MAGIC);
}

/*
 * Posts a request in the RAM mailbox and waits up to @wait_ms for the
 * answer, polling resp_seq every few milliseconds. 0 with @res filled,
 * or -ETIMEDOUT (no watcher answered).
 */
int agent_request_ram(u32 reason, u64 cookie, unsigned int wait_ms,
		      struct agent_result *res)
{
	struct vmiaas_mailbox *mb = &vmiaas_agent_mailbox;
	ktime_t start = ktime_get(), deadline;
	u64 seq = READ_ONCE(mb->req_seq) + 1;

	memset(res, 0, sizeof(*res));
	deadline = ktime_add_ms(start, wait_ms);
	WRITE_ONCE(mb->req_reason, reason);
	WRITE_ONCE(mb->req_flags, 0);
	WRITE_ONCE(mb->req_cookie, cookie);
	/* the request's fields are visible before its number */
	smp_store_release(&mb->req_seq, seq);
	res->seq = seq;
	/* the watcher writes resp_seq last: read it before the rest */
	while (smp_load_acquire(&mb->resp_seq) != seq) {
		if (ktime_after(ktime_get(), deadline)) {
			res->wait_ns = ktime_to_ns(ktime_sub(ktime_get(), start));
			return -ETIMEDOUT;
		}
		res->polls++;
		usleep_range(5000, 10000);
	}
	res->status = READ_ONCE(mb->resp_status);
	res->verdict = READ_ONCE(mb->resp_verdict);
	res->nr_failed = READ_ONCE(mb->resp_nr_failed);
	res->nr_checks = READ_ONCE(mb->resp_nr_checks);
	res->failed_mask = READ_ONCE(mb->resp_failed_mask);
	res->wait_ns = ktime_to_ns(ktime_sub(ktime_get(), start));
	return 0;
}
