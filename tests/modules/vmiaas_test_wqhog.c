// SPDX-License-Identifier: GPL-2.0
/*
 * vmiaas_test_wqhog: keeps the system workqueue's pool of this CPU busy
 * for up to "ms" milliseconds (or until unloaded) with a work item that
 * never sleeps, so that the work items queued behind it on that pool wait.
 * Tests use it on a one-vCPU guest to hold do_free_init() off: the init
 * memory of a module loaded meanwhile stays on init_free_list, module
 * memory of no module, as it briefly is after every module load. Since
 * 6.5 the workqueue lets other work run past an item that hogs the CPU
 * for long (wq_cpu_intensive_thresh_us), so there the window is short.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/jiffies.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/sched.h>
#include <linux/workqueue.h>

static unsigned int ms = 20000;
module_param(ms, uint, 0444);
MODULE_PARM_DESC(ms, "longest time to hold the pool, in ms (default 20000)");

static bool wqhog_stop;

static void wqhog_fn(struct work_struct *work)
{
	unsigned long end = jiffies + msecs_to_jiffies(ms);

	pr_info("holding the system workqueue for up to %u ms\n", ms);
	/* cond_resched() lets tasks run; the pool sees no sleep */
	while (!READ_ONCE(wqhog_stop) && time_before(jiffies, end))
		cond_resched();
	pr_info("released\n");
}

static DECLARE_WORK(wqhog_work, wqhog_fn);

static int __init vmiaas_test_wqhog_init(void)
{
	schedule_work(&wqhog_work);
	return 0;
}

static void __exit vmiaas_test_wqhog_exit(void)
{
	WRITE_ONCE(wqhog_stop, true);
	cancel_work_sync(&wqhog_work);
}

module_init(vmiaas_test_wqhog_init);
module_exit(vmiaas_test_wqhog_exit);

MODULE_DESCRIPTION("vmiaas test module that holds the system workqueue");
MODULE_AUTHOR("vmiaas developers");
MODULE_LICENSE("GPL");
