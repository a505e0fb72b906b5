// SPDX-License-Identifier: GPL-2.0
/*
 * vmiaas_attack_staticcall: a kernel static call redirected to this
 * module, for the integrity tests. The test passes the key and the
 * trampoline of pv_sched_clock (__SCK__pv_sched_clock and
 * __SCT__pv_sched_clock, from /proc/kallsyms: neither is exported); the
 * module calls the kernel's own __static_call_update(), which sets the
 * key's function and rewrites the trampoline and every inline call site
 * with text_poke_bp(), exactly as static_call_update() would. Every
 * sched_clock() then runs this module's replacement, which counts the
 * call in @hits and returns the original clock. The text is what the
 * kernel's records allow for the key's function: only the policy on
 * what that function may be tells it from the kernel's own patching.
 * Unloading puts the original function back.
 *
 * With func=ADDR the key is given that kernel function instead (the test
 * passes ktime_get_mono_fast_ns, u64 (void) like the clock and NMI-safe):
 * code reuse, no module code is called; the text is again what the
 * kernel's records allow, and only what the key may hold tells it apart.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/rcupdate.h>
#include <linux/static_call.h>

static unsigned long key;
module_param(key, ulong, 0444);
MODULE_PARM_DESC(key, "static call key, __SCK__pv_sched_clock");

static unsigned long tramp;
module_param(tramp, ulong, 0444);
MODULE_PARM_DESC(tramp, "its trampoline, __SCT__pv_sched_clock");

static unsigned long func;
module_param(func, ulong, 0444);
MODULE_PARM_DESC(func, "a kernel function to call instead of this module's");

static unsigned int hits;
module_param(hits, uint, 0444);
MODULE_PARM_DESC(hits, "calls that went through the replacement");

typedef u64 (*clock_fn_t)(void);
static clock_fn_t orig;

static u64 notrace vmiaas_attack_staticcall_clock(void)
{
	WRITE_ONCE(hits, READ_ONCE(hits) + 1);
	return orig();
}

static int __init vmiaas_attack_staticcall_init(void)
{
	struct static_call_key *k = (struct static_call_key *)key;

	if (!key || !tramp || !k->func)
		return -EINVAL;
	orig = k->func;
	__static_call_update(k, (void *)tramp, func ? (clock_fn_t)func :
			     vmiaas_attack_staticcall_clock);
	pr_info("%ps now calls %ps (was %ps)\n", (void *)tramp, k->func, orig);
	return 0;
}

static void __exit vmiaas_attack_staticcall_exit(void)
{
	__static_call_update((struct static_call_key *)key, (void *)tramp,
			     orig);
	/* no task may still be inside the replacement when it is freed */
	synchronize_rcu_tasks();
	pr_info("%ps restored\n", (void *)tramp);
}

module_init(vmiaas_attack_staticcall_init);
module_exit(vmiaas_attack_staticcall_exit);

MODULE_DESCRIPTION("vmiaas attack corpus: a static call redirected to a module");
MODULE_AUTHOR("vmiaas developers");
MODULE_LICENSE("GPL");
