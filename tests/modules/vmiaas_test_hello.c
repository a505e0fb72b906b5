// SPDX-License-Identifier: GPL-2.0
/*
 * vmiaas_test_hello: a module that does nothing, so that tests can look
 * for it in the guest's module list. The "tag" parameter is kept in the
 * module's memory and printed on load, so a test can also find it there.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/moduleparam.h>

static char *tag = "vmiaas-hello";
module_param(tag, charp, 0444);
MODULE_PARM_DESC(tag, "string kept in module memory (default vmiaas-hello)");

static int __init vmiaas_test_hello_init(void)
{
	pr_info("loaded, tag=%s\n", tag);
	return 0;
}

static void __exit vmiaas_test_hello_exit(void)
{
	pr_info("unloaded\n");
}

module_init(vmiaas_test_hello_init);
module_exit(vmiaas_test_hello_exit);

MODULE_DESCRIPTION("vmiaas test module that does nothing");
MODULE_AUTHOR("vmiaas developers");
MODULE_LICENSE("GPL");
