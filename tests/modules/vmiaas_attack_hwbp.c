// SPDX-License-Identifier: GPL-2.0
/*
 * vmiaas_attack_hwbp: a system call hooked through a hardware breakpoint,
 * for hw-breakpoint's tests. No text, table, ftrace record or kprobe
 * changes: an execute breakpoint on the system call's function
 * (@target: __x64_sys_getppid's address from /proc/kallsyms) sends the
 * CPU to #DB before its first instruction, and this module's handler
 * moves regs->ip to vmiaas_attack_hwbp_getppid(), which returns 31337 to
 * the caller in the function's place (busybox sh's $PPID shows it).
 *
 * mode=1: register_wide_hw_breakpoint() on every CPU with this module's
 *         overflow_handler (the kernel records it: bp_per_reg).
 * mode=2: DR3 and DR7 written directly on every CPU (the kernel records
 *         nothing) and a notifier on die_chain (@chain: die_chain's
 *         address) catching DIE_DEBUG. arch/x86's own hw_breakpoint
 *         notifier, first on the chain at INT_MAX, stops the chain on a
 *         trap bit it does not own (bp_per_reg[3] NULL), so the block is
 *         put at the chain's head by hand, as a rootkit does.
 * Unloading removes the breakpoint (mode 2: DR7's bits and the block).
 * The module hides nothing else; @hits counts redirected calls.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/hw_breakpoint.h>
#include <linux/init.h>
#include <linux/kdebug.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/notifier.h>
#include <linux/perf_event.h>
#include <linux/ptrace.h>
#include <linux/smp.h>
#include <asm/debugreg.h>

static int mode = 1;
module_param(mode, int, 0444);
MODULE_PARM_DESC(mode, "1: register_wide_hw_breakpoint, 2: raw DR3/DR7 and a die notifier");

static unsigned long target;
module_param(target, ulong, 0444);
MODULE_PARM_DESC(target, "address of the function to hook (__x64_sys_getppid)");

static unsigned long chain;
module_param(chain, ulong, 0444);
MODULE_PARM_DESC(chain, "address of die_chain (mode 2)");

static atomic_t hits = ATOMIC_INIT(0);
module_param_named(hits, hits.counter, int, 0444);
MODULE_PARM_DESC(hits, "calls redirected");

#define HWBP_SLOT	3	/* mode 2's DR */
#define HWBP_DR7	((2UL << (HWBP_SLOT * 2)) | DR_GLOBAL_SLOWDOWN)	/* G3, execute, len 1 */

static struct perf_event * __percpu *wide;

/* Runs in the hooked function's place: its caller gets this. */
static noinline long vmiaas_attack_hwbp_getppid(const struct pt_regs *regs)
{
	atomic_inc(&hits);
	return 31337;
}

static void vmiaas_attack_hwbp_handler(struct perf_event *bp,
				       struct perf_sample_data *data,
				       struct pt_regs *regs)
{
	regs->ip = (unsigned long)vmiaas_attack_hwbp_getppid;
}

/* ---- mode 2 ---- */

static int vmiaas_attack_hwbp_die(struct notifier_block *nb,
				  unsigned long val, void *arg)
{
	struct die_args *args = arg;
	unsigned long *dr6 = (unsigned long *)ERR_PTR(args->err);

	if (val != DIE_DEBUG || !(*dr6 & (DR_TRAP0 << HWBP_SLOT)) ||
	    args->regs->ip != target)
		return NOTIFY_DONE;
	*dr6 &= ~(DR_TRAP0 << HWBP_SLOT);
	args->regs->ip = (unsigned long)vmiaas_attack_hwbp_getppid;
	return (*dr6 & DR_TRAP_BITS) ? NOTIFY_DONE : NOTIFY_STOP;
}

static struct notifier_block die_nb = {
	.notifier_call = vmiaas_attack_hwbp_die,
};

static void vmiaas_attack_hwbp_set(void *on)
{
	unsigned long dr7;

	get_debugreg(dr7, 7);
	if (on) {
		set_debugreg(target, HWBP_SLOT);
		dr7 &= ~(0xfUL << (16 + HWBP_SLOT * 4));
		dr7 |= HWBP_DR7;
	} else {
		dr7 &= ~(3UL << (HWBP_SLOT * 2));
	}
	set_debugreg(dr7, 7);
}

static int vmiaas_attack_hwbp_raw(void)
{
	struct atomic_notifier_head *h = (void *)chain;
	unsigned long flags;

	if (!chain)
		return -EINVAL;
	/* at the head, before arch/x86's notifier */
	spin_lock_irqsave(&h->lock, flags);
	die_nb.next = h->head;
	rcu_assign_pointer(h->head, &die_nb);
	spin_unlock_irqrestore(&h->lock, flags);
	on_each_cpu(vmiaas_attack_hwbp_set, (void *)1, 1);
	return 0;
}

static void vmiaas_attack_hwbp_raw_off(void)
{
	struct atomic_notifier_head *h = (void *)chain;
	struct notifier_block __rcu **nl;
	unsigned long flags;

	on_each_cpu(vmiaas_attack_hwbp_set, NULL, 1);
	spin_lock_irqsave(&h->lock, flags);
	for (nl = &h->head; *nl; nl = &(*nl)->next)
		if (*nl == &die_nb) {
			rcu_assign_pointer(*nl, die_nb.next);
			break;
		}
	spin_unlock_irqrestore(&h->lock, flags);
	synchronize_rcu();
}

static int __init vmiaas_attack_hwbp_init(void)
{
	struct perf_event_attr attr;
	int err;

	if (!target)
		return -EINVAL;
	if (mode == 2) {
		err = vmiaas_attack_hwbp_raw();
		if (err)
			return err;
		pr_info("DR%d=%pS on every CPU, die notifier at die_chain's head\n",
			HWBP_SLOT, (void *)target);
		return 0;
	}
	if (mode != 1)
		return -EINVAL;
	hw_breakpoint_init(&attr);
	attr.bp_addr = target;
	attr.bp_len = sizeof(long);
	attr.bp_type = HW_BREAKPOINT_X;
	wide = register_wide_hw_breakpoint(&attr, vmiaas_attack_hwbp_handler,
					   NULL);
	if (IS_ERR((void __force *)wide)) {
		err = PTR_ERR((void __force *)wide);
		pr_err("register_wide_hw_breakpoint: %d\n", err);
		return err;
	}
	pr_info("execute breakpoint on %pS, every CPU\n", (void *)target);
	return 0;
}

static void __exit vmiaas_attack_hwbp_exit(void)
{
	if (mode == 2)
		vmiaas_attack_hwbp_raw_off();
	else
		unregister_wide_hw_breakpoint(wide);
}

module_init(vmiaas_attack_hwbp_init);
module_exit(vmiaas_attack_hwbp_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("vmiaas test: a system call hooked through a hardware breakpoint");
