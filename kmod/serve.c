// SPDX-License-Identifier: GPL-2.0
/*
 * Serving guest requests without VM exits of their own.
 *
 * A guest posts a request by bumping req_seq in its vCPU's mailbox (view 1,
 * see the uapi header). Every attached VM has its own work item on an
 * unbound workqueue, which serves its mailboxes: at most one request per
 * vCPU per pass, the checks run there. Two things queue it, and do
 * nothing else:
 * - view.c's post_exit hook compares req_seq with the last sequence
 *   number served, one load on every exit that happens anyway (timer
 *   interrupts, I/O, EPT faults);
 * - the polling kthread wakes every poll_ms milliseconds and looks at
 *   every armed vCPU of every attached VM (one load each).
 * So one VM's long check or flood delays neither another VM's verdict
 * nor the exit path, and a detach stops and waits for its own VM's work
 * only (vm.c). A VM's passes are at least SERVE_GAP_NS apart, so a
 * guest that bumps req_seq as fast as it can (VMFUNC has no privilege
 * check: guest user space can) costs the host a bounded number of passes
 * per second, and the checks themselves are limited by a token bucket per
 * VM (checks_per_sec, checks_burst): a request over the rate is answered
 * -EAGAIN without running anything. The work item is never run twice at
 * once, so a VM never has more than one CPU serving it.
 *
 * The hypercall (VMIAAS_HC_*) is served on the calling vCPU's thread,
 * with the same rate limit: one exit per request, the baseline VMFUNC is
 * measured against.
 */
#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/kvm_host.h>
#include <linux/moduleparam.h>
#include <linux/sched/mm.h>
#include <linux/timekeeping.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <uapi/linux/vmiaas.h>

#include "checks.h"
#include "events.h"
#include "kvm_vmx_altview.h"
#include "serve.h"
#include "view.h"
#include "vm.h"

static unsigned int poll_ms = 10;
module_param(poll_ms, uint, 0644);
MODULE_PARM_DESC(poll_ms, "mailbox polling interval in ms (1-1000, default 10)");

static unsigned int checks_per_sec = 100;
module_param(checks_per_sec, uint, 0644);
MODULE_PARM_DESC(checks_per_sec, "check runs per second per VM (1-100000, default 100)");

static unsigned int checks_burst = 20;
module_param(checks_burst, uint, 0644);
MODULE_PARM_DESC(checks_burst, "check runs a VM may make at once (1-1000, default 20)");

/* Counters for tests and tuning; read-only. */
static atomic64_t stat_passes, stat_kicks, stat_served, stat_works;
static atomic64_t stat_work_ns;

static int serve_stat_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%lld\n", atomic64_read(kp->arg));
}

static const struct kernel_param_ops serve_stat_ops = {
	.get = serve_stat_get,
};

module_param_cb(stat_passes, &serve_stat_ops, &stat_passes, 0444);
MODULE_PARM_DESC(stat_passes, "passes of the polling kthread");
module_param_cb(stat_kicks, &serve_stat_ops, &stat_kicks, 0444);
MODULE_PARM_DESC(stat_kicks, "work queued for a request seen on a VM exit");
module_param_cb(stat_served, &serve_stat_ops, &stat_served, 0444);
MODULE_PARM_DESC(stat_served, "mailbox requests answered");
module_param_cb(stat_works, &serve_stat_ops, &stat_works, 0444);
MODULE_PARM_DESC(stat_works, "passes of the VMs' work items (counted at their start)");
module_param_cb(stat_work_ns, &serve_stat_ops, &stat_work_ns, 0444);
MODULE_PARM_DESC(stat_work_ns, "time spent in the VMs' work items (ns, wall)");

#define SERVE_GAP_NS	NSEC_PER_MSEC	/* least time between a VM's passes */
#define SERVE_KICKED	0		/* vm->serve_flags: queued by an exit */

/* Unbound: checks are long and CPU-bound (see docs/vmfunc.md). */
static struct workqueue_struct *serve_wq;
static struct task_struct *poll_task;
static DECLARE_WAIT_QUEUE_HEAD(serve_wait);	/* the poller's sleep */

/* A request as copied, once, from the guest (or the hypercall). */
struct serve_req {
	u64 seq;
	u32 reason;
	u32 flags;
	u64 cookie;
	u32 source;		/* VMIAAS_SRC_* */
	struct kvm_vcpu *vcpu;
};

/* Token bucket: true if @vm may run its checks now. vm->lock held. */
static bool serve_rate_ok(struct vmiaas_vm *vm, u64 now)
{
	u32 rate = clamp_val(READ_ONCE(checks_per_sec), 1, 100000);
	u32 burst = clamp_val(READ_ONCE(checks_burst), 1, 1000);
	u64 cost = NSEC_PER_SEC / rate;
	u64 cap = cost * burst;

	if (!vm->credit_t_ns)
		vm->credit_ns = cap;
	else
		vm->credit_ns = min(cap, vm->credit_ns + (now - vm->credit_t_ns));
	vm->credit_t_ns = now;
	if (vm->credit_ns < cost)
		return false;
	vm->credit_ns -= cost;
	return true;
}

/*
 * Runs the checks with the VMM's memory reachable: the vCPU thread has it
 * already; the VM's work item (a kworker) borrows the mm, if the VMM
 * still has one.
 */
static int serve_run_checks(struct vmiaas_vm *vm, struct kvm_vcpu *vcpu,
			    const struct vmiaas_checkset *cs,
			    struct vmiaas_verdict *v)
{
	struct kvm *kvm = vm->kvm;
	/* KVM intercepts CR4.LA57 writes: arch.cr4 holds the bit */
	bool la57 = READ_ONCE(vcpu->arch.cr4) & X86_CR4_LA57;
	struct mm_struct *mm = NULL;
	int idx, r;

	if (current->mm != kvm->mm) {
		if (!(current->flags & PF_KTHREAD) || current->mm ||
		    !mmget_not_zero(kvm->mm))
			return -ESRCH;
		mm = kvm->mm;
		kthread_use_mm(mm);
	}
	idx = srcu_read_lock(&kvm->srcu);
	/* a detach stops the run at its next page */
	r = vmiaas_checks_run(cs, kvm, la57, &vm->detached, v);
	srcu_read_unlock(&kvm->srcu, idx);
	if (mm) {
		kthread_unuse_mm(mm);
		mmput(mm);
	}
	return r;
}

/*
 * Under vm->lock: validates the request, charges the rate limit and takes
 * a reference on the checks to run (*ret_cs), or gives the status.
 */
static int serve_admit(struct vmiaas_vm *vm, const struct serve_req *req,
		       u64 now, struct vmiaas_checkset **ret_cs)
{
	*ret_cs = NULL;
	if (!req->reason || req->reason > VMIAAS_REASON_MAX ||
	    req->flags & ~VMIAAS_REQ_ALL)
		return -EINVAL;
	if (!vm->checks)
		return -ENOENT;
	if (!serve_rate_ok(vm, now))
		return -EAGAIN;
	vmiaas_checks_get(vm->checks);
	*ret_cs = vm->checks;
	return 0;
}

/* Validates, rate-limits and runs one request, and queues its event. */
static void serve_request(struct vmiaas_vm *vm, const struct serve_req *req,
			  struct vmiaas_event *e)
{
	struct vmiaas_verdict v = {};
	struct vmiaas_checkset *cs;
	u64 now = ktime_get_ns();

	*e = (struct vmiaas_event){
		.vcpu = req->vcpu->vcpu_idx, .seq = req->seq,
		.reason = req->reason, .source = req->source,
		.cookie = req->cookie, .t_seen_ns = now,
	};
	spin_lock(&vm->lock);
	e->status = serve_admit(vm, req, now, &cs);
	if (cs)
		vm->nr_runs++;
	else
		vm->nr_refused++;
	e->vm_runs = vm->nr_runs;
	e->vm_refused = vm->nr_refused;
	spin_unlock(&vm->lock);
	if (cs) {
		e->status = serve_run_checks(vm, req->vcpu, cs, &v);
		vmiaas_checks_put(cs);
	}
	e->verdict = e->status ? VMIAAS_VERDICT_NONE : v.verdict;
	e->nr_failed = v.nr_failed;
	e->nr_checks = v.nr_checks;
	e->failed_mask = v.failed_mask;
	e->nr_found = v.nr_found;
	BUILD_BUG_ON(sizeof(e->found) != sizeof(v.found));
	memcpy(e->found, v.found, sizeof(e->found));
	e->t_done_ns = ktime_get_ns();
	/* after detach the file, and its queue, may be gone */
	spin_lock(&vm->lock);
	if (!vm->detached)
		vmiaas_events_push(vm->events, e);
	spin_unlock(&vm->lock);
}

/* Writes the answer; the guest sees resp_seq last. */
static void serve_respond(struct vmiaas_mailbox *mb,
			  const struct vmiaas_event *e)
{
	WRITE_ONCE(mb->magic, VMIAAS_MAILBOX_MAGIC);
	WRITE_ONCE(mb->version, VMIAAS_MAILBOX_VERSION);
	WRITE_ONCE(mb->vcpu, e->vcpu);
	WRITE_ONCE(mb->resp_status, e->status);
	WRITE_ONCE(mb->resp_verdict, e->verdict);
	WRITE_ONCE(mb->resp_nr_failed, e->nr_failed);
	WRITE_ONCE(mb->resp_nr_checks, e->nr_checks);
	WRITE_ONCE(mb->resp_failed_mask, e->failed_mask);
	WRITE_ONCE(mb->resp_cookie, e->cookie);
	/* pairs with the guest's acquire load of resp_seq */
	smp_store_release(&mb->resp_seq, e->seq);
}

/* Serves @vcpu's mailbox if it holds a new request; @vm's work only. */
static void serve_mailbox(struct vmiaas_vm *vm, struct kvm_vcpu *vcpu,
			  u32 source)
{
	struct view_vcpu *vv = vmiaas_view_vcpu(vcpu);
	struct vmiaas_mailbox *mb;
	struct vmiaas_event e;
	struct serve_req req;

	if (!vv || !READ_ONCE(vm->view_enabled))
		return;
	mb = vv->mailbox;
	/* pairs with the guest's release store of req_seq */
	req.seq = smp_load_acquire(&mb->req_seq);
	if (req.seq == vv->served_seq)
		return;
	req.reason = READ_ONCE(mb->req_reason);
	req.flags = READ_ONCE(mb->req_flags);
	req.cookie = READ_ONCE(mb->req_cookie);
	req.source = source;
	req.vcpu = vcpu;
	WRITE_ONCE(vv->served_seq, req.seq);
	serve_request(vm, &req, &e);
	serve_respond(mb, &e);
	atomic64_inc(&stat_served);
}

/* True if a vCPU of @vm has a request not served yet (one load each). */
static bool serve_pending(struct vmiaas_vm *vm)
{
	const struct vmiaas_mailbox *mb;
	struct kvm_vcpu *vcpu;
	struct view_vcpu *vv;
	unsigned long i;

	if (!READ_ONCE(vm->view_enabled))
		return false;
	kvm_for_each_vcpu(i, vcpu, vm->kvm) {
		vv = vmiaas_view_vcpu(vcpu);
		if (!vv)
			continue;
		mb = vv->mailbox;
		if (READ_ONCE(mb->req_seq) != READ_ONCE(vv->served_seq))
			return true;
	}
	return false;
}

/*
 * Waits until @vm's last pass ended SERVE_GAP_NS ago (at most that long,
 * on this VM's own work item): the bound on passes of a flooding guest.
 */
static void serve_wait_gap(struct vmiaas_vm *vm)
{
	s64 left = READ_ONCE(vm->serve_end_ns) + SERVE_GAP_NS - ktime_get_ns();

	if (left > 0 && left <= SERVE_GAP_NS)
		usleep_range(div_u64(left, NSEC_PER_USEC),
			     div_u64(left, NSEC_PER_USEC) + 100);
}

/* @vm's work item: one pass over its vCPUs, one request each at most. */
static void serve_work(struct work_struct *work)
{
	struct vmiaas_vm *vm = container_of(work, struct vmiaas_vm,
					    serve_work);
	struct kvm_vcpu *vcpu;
	unsigned long i;
	u32 source;
	u64 start;

	serve_wait_gap(vm);
	if (READ_ONCE(vm->detached))
		return;
	start = ktime_get_ns();
	atomic64_inc(&stat_works);
	source = test_and_clear_bit(SERVE_KICKED, &vm->serve_flags) ?
		 VMIAAS_SRC_EXIT : VMIAAS_SRC_POLL;
	kvm_for_each_vcpu(i, vcpu, vm->kvm)
		serve_mailbox(vm, vcpu, source);
	WRITE_ONCE(vm->serve_end_ns, ktime_get_ns());
	atomic64_add(READ_ONCE(vm->serve_end_ns) - start, &stat_work_ns);
}

/*
 * Queues @vm's work unless detach has begun. No lock: the caller is in an
 * RCU read section (post_exit) or holds vmiaas_vms_lock (the poller), and
 * detach waits for both after setting "detached", then cancels the work
 * (vmiaas_serve_cancel_vm()).
 */
static void serve_queue(struct vmiaas_vm *vm, bool by_exit)
{
	if (READ_ONCE(vm->detached))
		return;
	if (by_exit)
		set_bit(SERVE_KICKED, &vm->serve_flags);
	queue_work(serve_wq, &vm->serve_work);
}

/* The polling kthread's look at @vm, vmiaas_vms_lock held. */
static void serve_poll_vm(struct vmiaas_vm *vm, void *unused)
{
	if (serve_pending(vm))
		serve_queue(vm, false);
}

static int serve_poll_thread(void *unused)
{
	long ms;

	while (!kthread_should_stop()) {
		ms = clamp_val(READ_ONCE(poll_ms), 1, 1000);
		/*
		 * An hrtimer, not jiffies: jiffies stop while the CPU that
		 * keeps them runs a guest that takes no timer exit (seen in
		 * the Bochs L1), and this CPU would sleep through.
		 */
		wait_event_interruptible_hrtimeout(serve_wait,
						   kthread_should_stop(),
						   ms_to_ktime(ms));
		if (kthread_should_stop())
			break;
		atomic64_inc(&stat_passes);
		mutex_lock(&vmiaas_vms_lock);
		vmiaas_vm_for_each(serve_poll_vm, NULL);
		mutex_unlock(&vmiaas_vms_lock);
	}
	return 0;
}

/*
 * From post_exit (IRQs off, under RCU): @kvm's vCPU has a request not
 * served yet. Queues the VM's work unless it is queued already, so a
 * flooding guest that exits often costs a lookup and a load per exit,
 * and a queue_work() once per pass; no lock of ours.
 */
void vmiaas_serve_kick(struct kvm *kvm)
{
	struct vmiaas_vm *vm;

	rcu_read_lock();
	vm = vmiaas_vm_lookup_rcu(kvm);
	if (vm && !work_pending(&vm->serve_work)) {
		serve_queue(vm, true);
		atomic64_inc(&stat_kicks);
	}
	rcu_read_unlock();
}

/* At attach, before the VM can be found. */
void vmiaas_serve_init_vm(struct vmiaas_vm *vm)
{
	INIT_WORK(&vm->serve_work, serve_work);
}

/*
 * At detach, once vm->detached is set and the VM is out of the set of
 * attached VMs (so the poller cannot queue it): waits for the post_exit
 * kicks that may not have seen "detached" (RCU), then drops a queued pass
 * and waits for one running, which stops at its next page.
 */
void vmiaas_serve_cancel_vm(struct vmiaas_vm *vm)
{
	synchronize_rcu();
	cancel_work_sync(&vm->serve_work);
}

int vmiaas_serve_start(void)
{
	struct task_struct *t;

	serve_wq = alloc_workqueue("vmiaas_serve", WQ_UNBOUND, 0);
	if (!serve_wq)
		return -ENOMEM;
	t = kthread_run(serve_poll_thread, NULL, "vmiaas-serve");
	if (IS_ERR(t)) {
		destroy_workqueue(serve_wq);
		return PTR_ERR(t);
	}
	poll_task = t;
	return 0;
}

/* Module exit: no file is open, so no VM is attached and no work queued. */
void vmiaas_serve_stop(void)
{
	if (poll_task)
		kthread_stop(poll_task);
	poll_task = NULL;
	if (serve_wq)
		destroy_workqueue(serve_wq);
	serve_wq = NULL;
}

/* VMIAAS_HC_PROBE: the modes this vCPU can use now. */
static long serve_hc_probe(struct vmiaas_vm *vm, struct kvm_vcpu *vcpu)
{
	long modes = VMIAAS_MODE_HYPERCALL;
	struct view_vcpu *vv = vmiaas_view_vcpu(vcpu);

	if (READ_ONCE(vm->view_enabled) && vv && READ_ONCE(vv->want))
		modes |= VMIAAS_MODE_VMFUNC | VMIAAS_MODE_POLL;
	return modes;
}

/* VMIAAS_HC_REQUEST: verdict | nr_failed << 8, or a negative errno. */
static long serve_hc_request(struct vmiaas_vm *vm, struct kvm_vcpu *vcpu,
			     unsigned long reason, unsigned long cookie)
{
	struct serve_req req = {
		.reason = reason > U32_MAX ? 0 : reason, .cookie = cookie,
		.source = VMIAAS_SRC_HYPERCALL, .vcpu = vcpu,
	};
	struct vmiaas_event e;

	serve_request(vm, &req, &e);
	if (e.status)
		return e.status;
	return e.verdict | min_t(u32, e.nr_failed, 0xff) << 8;
}

/**
 * vmiaas_serve_hypercall() - VMCALL VMIAAS_HC_NR, on the vCPU's thread
 * @vcpu: the calling vCPU (vcpu->mutex held by KVM_RUN)
 * @op: RBX, VMIAAS_HC_*
 * @a1: RCX
 * @a2: RDX
 * @a3: RSI
 *
 * Return: what the guest gets in RAX (see the uapi header).
 */
long vmiaas_serve_hypercall(struct kvm_vcpu *vcpu, unsigned long op,
			    unsigned long a1, unsigned long a2,
			    unsigned long a3)
{
	struct vmiaas_vm *vm;
	long r;

	BUILD_BUG_ON(VMIAAS_HC_NR != KVM_HC_VMX_ALTVIEW);
	vm = vmiaas_vm_get_attached(vcpu->kvm);
	if (!vm)
		return -ENXIO;
	if (op == VMIAAS_HC_PROBE)
		r = serve_hc_probe(vm, vcpu);
	else if (op == VMIAAS_HC_REQUEST)
		r = serve_hc_request(vm, vcpu, a1, a2);
	else if (op == VMIAAS_HC_ENROLL)
		r = vmiaas_vm_enroll(vm, vcpu);
	else
		r = -EINVAL;
	vmiaas_vm_put(vm);
	return r;
}
