// SPDX-License-Identifier: GPL-2.0
/*
 * vmiaas_attack_optprobe: an optimized kprobe's detour buffer rewritten,
 * for the integrity tests. The test places a kprobe event in the middle
 * of a function (the kernel optimizes it: a JMP at @addr to a detour
 * buffer in a kprobe instruction slot) and passes @addr, @callidx (the
 * offset of the detour's call, optprobe_template_call -
 * optprobe_template_entry) and @cb (optimized_callback), all from
 * /proc/kallsyms and the kprobes list. The module follows the JMP and
 * points the detour's call at its own function, which counts the call in
 * @hits and goes on to optimized_callback, so the probe still works: the
 * probed function's text and the probe's records are untouched, only the
 * detour (executable memory outside the kernel's text) runs this
 * module's code. The write goes through the read-only mapping with
 * CR0.WP cleared. Unloading puts the call back.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/rcupdate.h>

#include "vmiaas_attack_wp.h"

static unsigned long addr;
module_param(addr, ulong, 0444);
MODULE_PARM_DESC(addr, "an optimized kprobe's address");

static unsigned long callidx;
module_param(callidx, ulong, 0444);
MODULE_PARM_DESC(callidx, "optprobe_template_call - optprobe_template_entry");

static unsigned long cb;
module_param(cb, ulong, 0444);
MODULE_PARM_DESC(cb, "optimized_callback");

static unsigned int hits;
module_param(hits, uint, 0444);
MODULE_PARM_DESC(hits, "probe hits that went through this module");

typedef void (*callback_t)(void *op, void *regs);
static u8 *call;		/* the detour's call instruction */
static s32 saved;

static void notrace vmiaas_attack_optprobe_cb(void *op, void *regs)
{
	WRITE_ONCE(hits, READ_ONCE(hits) + 1);
	((callback_t)cb)(op, regs);
}

static unsigned long rel32_target(const u8 *insn)
{
	s32 rel;

	memcpy(&rel, insn + 1, sizeof(rel));
	return (unsigned long)insn + 5 + rel;
}

static int __init vmiaas_attack_optprobe_init(void)
{
	const u8 *jmp = (const u8 *)addr;
	long rel;
	s32 rel32;

	if (!addr || !cb || !callidx || callidx > 1024 || jmp[0] != 0xe9)
		return -EINVAL;
	call = (u8 *)rel32_target(jmp) + callidx;
	if (call[0] != 0xe8 || rel32_target(call) != cb)
		return -ENOENT;
	rel = (long)vmiaas_attack_optprobe_cb - (long)(call + 5);
	rel32 = rel;
	if (rel != rel32)
		return -ERANGE;
	memcpy(&saved, call + 1, sizeof(saved));
	wp_write(call + 1, &rel32, sizeof(rel32));
	pr_info("the detour of %pS now calls this module\n", (void *)addr);
	return 0;
}

static void __exit vmiaas_attack_optprobe_exit(void)
{
	wp_write(call + 1, &saved, sizeof(saved));
	/* no task may still be inside the replacement when it is freed */
	synchronize_rcu_tasks();
	pr_info("the detour of %pS restored\n", (void *)addr);
}

module_init(vmiaas_attack_optprobe_init);
module_exit(vmiaas_attack_optprobe_exit);

MODULE_DESCRIPTION("vmiaas attack corpus: an optprobe detour buffer rewritten");
MODULE_AUTHOR("vmiaas developers");
MODULE_LICENSE("GPL");
