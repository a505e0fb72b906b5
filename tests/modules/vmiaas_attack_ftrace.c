// SPDX-License-Identifier: GPL-2.0
/*
 * vmiaas_attack_ftrace: an ftrace-based function hook, for the integrity
 * tests: the technique of today's rootkits, which leaves kernel text
 * exactly as the kernel's own patching would. An ftrace_ops with
 * SAVE_REGS and IPMODIFY is registered on the function at @target (the
 * test passes __x64_sys_getdents64 from /proc/kallsyms); its callback
 * rewrites regs->ip, so the function's callers run this module's
 * replacement instead, which counts the call in @hits and calls the
 * original (the callback lets calls from this module through).
 * With mode=kprobe it registers a kprobe at @target instead, whose
 * pre_handler (this module's code) counts the calls in @hits: the other
 * hooking API the kernel offers. With mode=kprobe-ip the kprobe's
 * pre_handler redirects the call instead: it sets regs->ip to the
 * replacement and returns 1 (the kernel then leaves regs->ip as the
 * handler set it), the kprobe form of the ftrace hook, which leaves only
 * the probe's legitimate site in the text. Unloading unregisters.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ftrace.h>
#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/kprobes.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/ptrace.h>

static unsigned long target;
module_param(target, ulong, 0444);
MODULE_PARM_DESC(target, "syscall function to hook (from /proc/kallsyms)");

static char *mode = "ftrace";
module_param(mode, charp, 0444);
MODULE_PARM_DESC(mode, "ftrace (default), kprobe or kprobe-ip");

static unsigned int hits;
module_param(hits, uint, 0444);
MODULE_PARM_DESC(hits, "calls that went through the replacement");

typedef long (*syscall_fn_t)(const struct pt_regs *regs);

/*
 * Counting after the call keeps it from being a tail call: the original
 * must return here, or the callback would not see this module as its
 * caller and would redirect it again, forever.
 */
static long notrace vmiaas_attack_ftrace_repl(const struct pt_regs *regs)
{
	long ret = ((syscall_fn_t)target)(regs);

	WRITE_ONCE(hits, READ_ONCE(hits) + 1);
	return ret;
}

static void notrace vmiaas_attack_ftrace_cb(unsigned long ip,
					    unsigned long parent_ip,
					    struct ftrace_ops *op,
					    struct ftrace_regs *fregs)
{
	struct pt_regs *regs = ftrace_get_regs(fregs);

	/* the replacement calling the original: let it through */
	if (!regs || within_module(parent_ip, THIS_MODULE))
		return;
	regs->ip = (unsigned long)vmiaas_attack_ftrace_repl;
}

static struct ftrace_ops vmiaas_attack_ftrace_ops = {
	.func = vmiaas_attack_ftrace_cb,
	.flags = FTRACE_OPS_FL_SAVE_REGS | FTRACE_OPS_FL_IPMODIFY |
		 FTRACE_OPS_FL_RECURSION,
};

static int notrace vmiaas_attack_ftrace_pre(struct kprobe *p,
					    struct pt_regs *regs)
{
	WRITE_ONCE(hits, READ_ONCE(hits) + 1);
	return 0;
}

/*
 * At the probed function's entry the return address is at regs->sp: the
 * replacement's own call of the original goes through.
 */
static int notrace vmiaas_attack_ftrace_pre_ip(struct kprobe *p,
					       struct pt_regs *regs)
{
	if (within_module(*(unsigned long *)regs->sp, THIS_MODULE))
		return 0;
	regs->ip = (unsigned long)vmiaas_attack_ftrace_repl;
	return 1;
}

static struct kprobe vmiaas_attack_ftrace_kprobe = {
	.pre_handler = vmiaas_attack_ftrace_pre,
};

static bool use_kprobe(void)
{
	if (!strcmp(mode, "kprobe-ip"))
		vmiaas_attack_ftrace_kprobe.pre_handler =
			vmiaas_attack_ftrace_pre_ip;
	return !strcmp(mode, "kprobe") || !strcmp(mode, "kprobe-ip");
}

static int __init vmiaas_attack_ftrace_init(void)
{
	int err;

	if (!target)
		return -EINVAL;
	if (use_kprobe()) {
		vmiaas_attack_ftrace_kprobe.addr = (kprobe_opcode_t *)target;
		err = register_kprobe(&vmiaas_attack_ftrace_kprobe);
		if (!err)
			pr_info("%pS hooked through a kprobe\n", (void *)target);
		return err;
	}
	if (strcmp(mode, "ftrace"))
		return -EINVAL;
	err = ftrace_set_filter_ip(&vmiaas_attack_ftrace_ops, target, 0, 0);
	if (err)
		return err;
	err = register_ftrace_function(&vmiaas_attack_ftrace_ops);
	if (err) {
		ftrace_set_filter_ip(&vmiaas_attack_ftrace_ops, target, 1, 0);
		return err;
	}
	pr_info("%pS hooked through ftrace\n", (void *)target);
	return 0;
}

static void __exit vmiaas_attack_ftrace_exit(void)
{
	if (use_kprobe()) {
		unregister_kprobe(&vmiaas_attack_ftrace_kprobe);
		pr_info("%pS unhooked\n", (void *)target);
		return;
	}
	unregister_ftrace_function(&vmiaas_attack_ftrace_ops);
	ftrace_set_filter_ip(&vmiaas_attack_ftrace_ops, target, 1, 0);
	pr_info("%pS unhooked\n", (void *)target);
}

module_init(vmiaas_attack_ftrace_init);
module_exit(vmiaas_attack_ftrace_exit);

MODULE_DESCRIPTION("vmiaas attack corpus: ftrace function hook");
MODULE_AUTHOR("vmiaas developers");
MODULE_LICENSE("GPL");
