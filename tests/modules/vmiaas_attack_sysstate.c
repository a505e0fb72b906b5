// SPDX-License-Identifier: GPL-2.0
/*
 * vmiaas_attack_sysstate: a forged boot state, for the integrity tests.
 * kernel-mapping, notifier-hook and exec-memory judge a kernel once it is
 * up and only say "not checked yet" for one that still boots, which its
 * own system_state tells. That is writable (exported) data: this module
 * writes SYSTEM_BOOTING there in a running kernel, as a rootkit with a
 * kernel write would to have those checks skipped. vmiaas must not
 * believe it (init already runs a program). The value is this kernel's
 * own enum constant. Unloading restores the state.
 *
 * Meant for a short window: while system_state says booting, the
 * kernel's own code takes boot-time paths (an x86 static call updated
 * then is written with text_poke_early() into read-only text), so nothing
 * else should be loaded or toggled until it is unloaded.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/compiler.h>
#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/module.h>

static enum system_states saved;

static int __init vmiaas_attack_sysstate_init(void)
{
	saved = READ_ONCE(system_state);
	WRITE_ONCE(system_state, SYSTEM_BOOTING);
	pr_info("system_state %d now %d (SYSTEM_BOOTING)\n", saved,
		SYSTEM_BOOTING);
	return 0;
}

static void __exit vmiaas_attack_sysstate_exit(void)
{
	WRITE_ONCE(system_state, saved);
	pr_info("system_state %d restored\n", saved);
}

module_init(vmiaas_attack_sysstate_init);
module_exit(vmiaas_attack_sysstate_exit);

MODULE_DESCRIPTION("vmiaas attack corpus: system_state forged to SYSTEM_BOOTING");
MODULE_AUTHOR("vmiaas developers");
MODULE_LICENSE("GPL");
