// SPDX-License-Identifier: GPL-2.0
/*
 * The soft-dirty skip in vmid (docs/vmid.md, "The soft-dirty skip"): a
 * quiet guest's check hashes only the pages QEMU's page tables say were
 * written. The worker keeps the tracker (which pages it verified, in
 * which epoch); the daemon keeps everything that needs privilege: the
 * /proc scans that rule out writers the soft-dirty bits cannot see, the
 * write to QEMU's clear_refs that starts an epoch, and QEMU's pagemap,
 * whose entries it turns into clean bits (a pagemap opened with
 * privileges also holds host frame numbers: those stay here).
 *
 * A clean bit the daemon should not have sent is a missed attack, so
 * everything unknown is dirty: no host side, an epoch that failed, a
 * window it cannot read, a worker asking about another file.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "vmid.h"

#define EPOCH_RETRY_S	60.0	/* a failed epoch is retried after this */

_Static_assert(sizeof(((struct vmid_msg *)0)->s2) >= VMIAAS_DIRTY_WINDOW / 8,
	       "a window's clean bits fit in one message");

/* ---- the daemon's side ---- */

bool softdirty_attach(struct vm *vm, bool pid_backend, bool wanted,
		      bool once)
{
	struct vm_dirty *s = &vm->dirty;

	softdirty_detach(vm);
	if (!wanted || once) {
		/* one check has nothing to skip: no clear_refs for it */
		snprintf(s->why, sizeof(s->why), "%s", once ?
			 "--once: a single check has no earlier one to build on" :
			 "soft_dirty = off in the configuration");
		return false;
	}
	if (pid_backend || !vm->ident.shm[0]) {
		snprintf(s->why, sizeof(s->why),
			 "the pid backend reads QEMU's memory without mapping its RAM file: no file pages to ask QEMU's pagemap about");
		return false;
	}
	if (vmiaas_dirty_host_open(vm->ident.pid, vm->ident.shm, &s->host,
				   s->why, sizeof(s->why)) < 0) {
		s->host = NULL;
		return false;
	}
	return true;
}

void softdirty_detach(struct vm *vm)
{
	vmiaas_dirty_host_close(vm->dirty.host);
	vm->dirty = (struct vm_dirty){ 0 };
}

static int answer(struct vm *vm, struct vmid_msg *a)
{
	ssize_t n;

	do
		n = send(vm->fd, a, sizeof(*a), MSG_DONTWAIT | MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n == (ssize_t)sizeof(*a) ? 0 : -EPIPE;
}

/*
 * A new epoch for the worker's file (@m's dev and inode). A failure is
 * remembered and given again until EPOCH_RETRY_S passed: each attempt
 * reads every process's maps, and the reasons (a second writer, VFIO)
 * rarely go away soon.
 */
static int epoch(struct vm *vm, const struct vmid_msg *m)
{
	struct vmid_msg a = { .type = VMID_MSG_DIRTY_EPOCH_ANSWER };
	struct vm_dirty *s = &vm->dirty;
	double now = vmid_now();

	if (!s->host) {
		a.err = -EOPNOTSUPP;
		snprintf(a.s2, sizeof(a.s2), "%s", s->why);
	} else if (s->failing && now < s->retry) {
		a.err = -EAGAIN;
		snprintf(a.s2, sizeof(a.s2), "%s", s->why);
	} else if (s->epoch_round == vm->sched.sent) {
		/* a worker asks once per check: more is a worker gone bad */
		a.err = -EAGAIN;
		snprintf(a.s2, sizeof(a.s2), "one epoch per check");
	} else {
		s->epoch_round = vm->sched.sent;
		a.err = vmiaas_dirty_host_epoch(s->host, m->c, m->d, a.s2,
						sizeof(a.s2));
		s->failing = a.err < 0;
		if (s->failing) {
			s->retry = now + EPOCH_RETRY_S;
			snprintf(s->why, sizeof(s->why), "%s", a.s2);
			vm_count_error(vm, VMID_ERR_CHECK);
		} else {
			s->epochs++;
		}
	}
	return answer(vm, &a);
}

static int pages(struct vm *vm, const struct vmid_msg *m)
{
	struct vmid_msg a = { .type = VMID_MSG_DIRTY_PAGES, .c = m->c };

	/* all dirty (zero) unless the host side knows better */
	if (vm->dirty.host && !vm->dirty.failing)
		vmiaas_dirty_host_clean(vm->dirty.host, m->c, (uint8_t *)a.s2);
	return answer(vm, &a);
}

static void stats(struct vm *vm, const struct vmid_msg *m)
{
	struct vm_dirty *s = &vm->dirty;

	s->worker_off = m->err != 0;
	if (s->worker_off) {
		snprintf(s->why, sizeof(s->why), "%s", m->s2);
		return;
	}
	s->hashed = m->c;
	s->skipped = m->d;
	s->checks++;
	vm->m.dirty_hashed += m->c;
	vm->m.dirty_skipped += m->d;
}

int softdirty_msg(struct vm *vm, const struct vmid_msg *m)
{
	if (vm->state != VM_CHECKING)
		return -EPROTO;
	switch (m->type) {
	case VMID_MSG_DIRTY_EPOCH:
		return epoch(vm, m);
	case VMID_MSG_DIRTY_QUERY:
		return pages(vm, m);
	case VMID_MSG_DIRTY_STATS:
		stats(vm, m);
		return 0;
	}
	return -EPROTO;
}

const char *softdirty_status(const struct vm *vm, char *buf, size_t size)
{
	const struct vm_dirty *s = &vm->dirty;
	char why[256];

	if (!s->host && !s->why[0] &&
	    vmiaas_soft_dirty_probe(why, sizeof(why)) < 0)
		snprintf(buf, size, "soft-dirty skip: off, because %s", why);
	else if (!s->host && !s->why[0])
		snprintf(buf, size, "soft-dirty skip: not started (no worker yet)");
	else if (!s->host || s->worker_off)
		snprintf(buf, size, "soft-dirty skip: off, because %s", s->why);
	else if (s->failing)
		snprintf(buf, size,
			 "soft-dirty skip: off for now, because %s (tried again after %.0f s)",
			 s->why, EPOCH_RETRY_S);
	else if (!s->checks)
		snprintf(buf, size, "soft-dirty skip: on (no check yet)");
	else
		snprintf(buf, size,
			 "soft-dirty skip: on: epoch %llu; the latest check hashed %llu pages and skipped %llu",
			 (unsigned long long)s->epochs,
			 (unsigned long long)s->hashed,
			 (unsigned long long)s->skipped);
	return buf;
}

/* ---- the worker's side ---- */

static bool worker_asked;		/* the parent runs the host side */
static int worker_err;			/* the tracker did not start: */
static char worker_why[256];		/* why */
static struct vmiaas_dirty_stats worker_last;

/* One request to the daemon and its answer, during a check. */
static int ask(struct vmid_msg *m, uint32_t answer_type)
{
	int r = worker_send(m);

	r = r ?: worker_recv(m);
	if (!r && m->type != answer_type)
		r = -EPROTO;
	return r;
}

static int remote_epoch(void *ctx, uint64_t dev, uint64_t ino, char *why,
			size_t size)
{
	struct vmid_msg m = { .type = VMID_MSG_DIRTY_EPOCH, .c = dev, .d = ino };
	int r = ask(&m, VMID_MSG_DIRTY_EPOCH_ANSWER);

	if (r < 0) {
		snprintf(why, size, "no answer from the daemon: %s", strerror(-r));
		return r;
	}
	m.s2[sizeof(m.s2) - 1] = '\0';
	snprintf(why, size, "%s", m.s2);
	if (m.err > 0)
		return m.err & VMIAAS_DIRTY_NESTED;
	return m.err < 0 ? m.err : 0;
}

static int remote_clean(void *ctx, uint64_t first, uint8_t *bits)
{
	struct vmid_msg m = { .type = VMID_MSG_DIRTY_QUERY, .c = first };
	int r = ask(&m, VMID_MSG_DIRTY_PAGES);

	if (r < 0)
		return r;
	if (m.c != first)
		return -EPROTO;
	memcpy(bits, m.s2, VMIAAS_DIRTY_WINDOW / 8);
	return 0;
}

static const struct vmiaas_dirty_ops remote_ops = {
	.epoch = remote_epoch,
	.clean = remote_clean,
};

void softdirty_worker_enable(struct vmiaas *v)
{
	worker_asked = true;
	worker_err = vmiaas_dirty_enable(v, &remote_ops, NULL, worker_why,
					 sizeof(worker_why));
}

/* What the check just done hashed and skipped; why the skip is off. */
int softdirty_worker_report(struct vmiaas *v)
{
	struct vmid_msg m = { .type = VMID_MSG_DIRTY_STATS, .err = worker_err };
	struct vmiaas_dirty_stats st;

	if (!worker_asked)
		return 0;
	if (worker_err || vmiaas_dirty_stats(v, &st) < 0) {
		m.err = worker_err ?: -ENOENT;
		snprintf(m.s2, sizeof(m.s2), "%s", worker_why);
		return worker_send(&m);
	}
	m.a = (uint32_t)st.epochs;
	m.c = st.hashed - worker_last.hashed;
	m.d = st.skipped - worker_last.skipped;
	worker_last = st;
	return worker_send(&m);
}
