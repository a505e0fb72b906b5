// SPDX-License-Identifier: GPL-2.0
/*
 * vmiaas_attack_umh: a usermode-helper hijack, for the integrity tests.
 * Overwrites a writable kernel string the kernel runs as a root program
 * (modprobe_path: run by request_module() for an unknown binary format
 * or protocol; core_pattern: a "|program" runs on every core dump) with
 * @path, directly in memory, as exploits with a kernel write primitive
 * do (no sysctl write, nothing logged). @addr comes from /proc/kallsyms,
 * @len is the string's buffer size (KMOD_PATH_LEN 256 for modprobe_path,
 * CORENAME_MAX_SIZE 128 for core_pattern). Unloading restores it.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/string.h>

static unsigned long addr;
static unsigned int len = 256;
static char *path = "/tmp/vmiaas-pwn";
module_param(addr, ulong, 0444);
MODULE_PARM_DESC(addr, "address of the string (from /proc/kallsyms)");
module_param(len, uint, 0444);
MODULE_PARM_DESC(len, "size of its buffer (default 256)");
module_param(path, charp, 0444);
MODULE_PARM_DESC(path, "what to write there");

static char saved[256];

static int __init vmiaas_attack_umh_init(void)
{
	if (!addr || !len || len > sizeof(saved) || strlen(path) >= len)
		return -EINVAL;
	memcpy(saved, (void *)addr, len);
	strscpy((char *)addr, path, len);
	pr_info("%ps now \"%s\"\n", (void *)addr, (char *)addr);
	return 0;
}

static void __exit vmiaas_attack_umh_exit(void)
{
	memcpy((void *)addr, saved, len);
	pr_info("%ps restored\n", (void *)addr);
}

module_init(vmiaas_attack_umh_init);
module_exit(vmiaas_attack_umh_exit);

MODULE_DESCRIPTION("vmiaas attack corpus: usermode helper path overwritten");
MODULE_AUTHOR("vmiaas developers");
MODULE_LICENSE("GPL");
