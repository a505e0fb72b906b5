// SPDX-License-Identifier: GPL-2.0
/*
 * vmiaas_attack_inputlog: a keylogger through the input core, for the
 * integrity tests. It registers an input handler
 * (input_register_handler()) that matches every device with keys
 * (EV_KEY); its connect() attaches a handle to each and opens it, and
 * from then on the input core passes every event of those keyboards to
 * this module's event callback, beside kbd and evdev. The callback keeps
 * the last keycodes pressed in a small ring (the "log") and counts them
 * in @hits. No keyboard notifier (what notifier-hook reads), nothing in
 * kernel text or read-only data: the traces are the handler on the
 * writable input_handler_list and its handles on each keyboard's h_list.
 * Unloading unregisters.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/init.h>
#include <linux/input.h>
#include <linux/kernel.h>
#include <linux/mod_devicetable.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/slab.h>

static unsigned int hits;
module_param(hits, uint, 0444);
MODULE_PARM_DESC(hits, "key presses seen");

#define LOG_SIZE	64
static unsigned int log_ring[LOG_SIZE];

static void vmiaas_attack_inputlog_event(struct input_handle *handle,
					 unsigned int type, unsigned int code,
					 int value)
{
	unsigned int n;

	if (type != EV_KEY || value != 1)
		return;
	n = READ_ONCE(hits);
	log_ring[n % LOG_SIZE] = code;
	WRITE_ONCE(hits, n + 1);
}

static int vmiaas_attack_inputlog_connect(struct input_handler *handler,
					  struct input_dev *dev,
					  const struct input_device_id *id)
{
	struct input_handle *handle;
	int err;

	handle = kzalloc(sizeof(*handle), GFP_KERNEL);
	if (!handle)
		return -ENOMEM;
	handle->dev = dev;
	handle->handler = handler;
	handle->name = KBUILD_MODNAME;
	err = input_register_handle(handle);
	if (err)
		goto free;
	err = input_open_device(handle);
	if (err)
		goto unregister;
	return 0;
unregister:
	input_unregister_handle(handle);
free:
	kfree(handle);
	return err;
}

static void vmiaas_attack_inputlog_disconnect(struct input_handle *handle)
{
	input_close_device(handle);
	input_unregister_handle(handle);
	kfree(handle);
}

static const struct input_device_id vmiaas_attack_inputlog_ids[] = {
	{
		.flags = INPUT_DEVICE_ID_MATCH_EVBIT,
		.evbit = { BIT_MASK(EV_KEY) },
	},
	{ },
};

static struct input_handler vmiaas_attack_inputlog_handler = {
	.event = vmiaas_attack_inputlog_event,
	.connect = vmiaas_attack_inputlog_connect,
	.disconnect = vmiaas_attack_inputlog_disconnect,
	.name = KBUILD_MODNAME,
	.id_table = vmiaas_attack_inputlog_ids,
};

static int __init vmiaas_attack_inputlog_init(void)
{
	int err = input_register_handler(&vmiaas_attack_inputlog_handler);

	if (!err)
		pr_info("input handler registered\n");
	return err;
}

static void __exit vmiaas_attack_inputlog_exit(void)
{
	input_unregister_handler(&vmiaas_attack_inputlog_handler);
	pr_info("input handler unregistered after %u keys\n", hits);
}

module_init(vmiaas_attack_inputlog_init);
module_exit(vmiaas_attack_inputlog_exit);

MODULE_DESCRIPTION("vmiaas attack corpus: input handler keylogger");
MODULE_AUTHOR("vmiaas developers");
MODULE_LICENSE("GPL");
