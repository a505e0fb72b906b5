// SPDX-License-Identifier: GPL-2.0
/*
 * vmiaas_agent: asks vmiaas, outside the guest, to check this kernel.
 *
 * At load it finds what the host offers (hw.c): vmiaas's view 1 reached
 * with VMFUNC (no VM exit), else vmiaas's hypercall (one exit), else
 * a mailbox in its own memory that a host watcher polls (mode ram).
 * With mode=none it stays idle. Requests are made at load (reason BOOT),
 * after any module finishes loading (a module notifier; MODULE_LOAD),
 * every interval_ms (delayed work; PERIODIC) and on demand (a write to
 * /sys/module/vmiaas_agent/parameters/trigger; ON_DEMAND). Each verdict
 * is logged and kept in the "last" parameter. Requests are serialised.
 * See docs/guest-agent.md.
 */
#include <linux/atomic.h>
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/notifier.h>
#include <linux/string.h>
#include <linux/workqueue.h>

#include "agent.h"

static char *mode = "auto";
module_param(mode, charp, 0444);
MODULE_PARM_DESC(mode, "auto (default), vmfunc, hypercall, ram or none");

static unsigned int wait_ms = 5000;
module_param(wait_ms, uint, 0644);
MODULE_PARM_DESC(wait_ms, "how long a VMFUNC request waits for its verdict (ms)");

static bool on_module_load = true;
module_param(on_module_load, bool, 0644);
MODULE_PARM_DESC(on_module_load, "request a check after every module load");

static struct agent_hw hw;
static enum agent_mode agent_mode;
static DEFINE_MUTEX(agent_lock);	/* one request at a time; "last" */
static struct agent_result last;
static u32 last_reason;
static int last_err = -ENODATA;
static const char *last_channel = "none";
static u64 nr_requests;

static const char *const reason_names[] = {
	[VMIAAS_REASON_PERIODIC] = "periodic",
	[VMIAAS_REASON_MODULE_LOAD] = "module-load",
	[VMIAAS_REASON_ON_DEMAND] = "on-demand",
	[VMIAAS_REASON_BOOT] = "boot",
};

static const char *const verdict_names[] = {
	[VMIAAS_VERDICT_NONE] = "none",
	[VMIAAS_VERDICT_CLEAN] = "clean",
	[VMIAAS_VERDICT_TAMPERED] = "tampered",
	[VMIAAS_VERDICT_ERROR] = "error",
};

static const char *verdict_name(u32 verdict)
{
	return verdict < ARRAY_SIZE(verdict_names) ? verdict_names[verdict] :
	       "unknown";
}

static void log_result(u32 reason, const char *channel, int err,
		       const struct agent_result *res)
{
	const char *why = reason_names[reason];

	if (err) {
		pr_warn("request (%s) via %s failed: %d\n", why, channel, err);
	} else if (res->status) {
		pr_warn("request %llu (%s) via %s refused by the host: %d\n",
			res->seq, why, channel, res->status);
	} else if (res->verdict == VMIAAS_VERDICT_TAMPERED) {
		pr_warn("request %llu (%s) via %s: verdict tampered, %u of %u checks failed (mask %#llx)\n",
			res->seq, why, channel, res->nr_failed, res->nr_checks,
			res->failed_mask);
	} else {
		pr_info("request %llu (%s) via %s: verdict %s, %u of %u checks failed (mask %#llx), %llu us, %llu polls\n",
			res->seq, why, channel, verdict_name(res->verdict),
			res->nr_failed, res->nr_checks, res->failed_mask,
			res->wait_ns / NSEC_PER_USEC, res->polls);
	}
}

/* Posts one request with the mode found at load; logs and keeps it. */
static int agent_request(u32 reason)
{
	struct agent_result res;
	const char *channel;
	int err = -ENODEV;

	mutex_lock(&agent_lock);
	nr_requests++;
	if (agent_mode == AGENT_MODE_VMFUNC) {
		channel = "vmfunc";
		err = agent_request_vmfunc(reason, nr_requests, wait_ms, &res);
	}
	/* view 1 gone (the host detached): try the hypercall once */
	if (agent_mode == AGENT_MODE_HYPERCALL ||
	    (err == -ENODEV && hw.kvm)) {
		channel = "hypercall";
		err = agent_request_hypercall(reason, nr_requests, &res);
	}
	if (agent_mode == AGENT_MODE_RAM) {
		channel = "ram";
		err = agent_request_ram(reason, nr_requests, wait_ms, &res);
	}
	if (agent_mode == AGENT_MODE_NONE) {
		channel = "none";
		memset(&res, 0, sizeof(res));
	}
	log_result(reason, channel, err, &res);
	last = res;
	last_reason = reason;
	last_err = err;
	last_channel = channel;
	mutex_unlock(&agent_lock);
	return err ? err : res.status;
}

/* ---- triggers ---- */

static void periodic_fn(struct work_struct *work);
static DECLARE_DELAYED_WORK(periodic_work, periodic_fn);
static unsigned int interval_ms = 60000;

static void periodic_fn(struct work_struct *work)
{
	unsigned int ms = READ_ONCE(interval_ms);

	if (!ms)
		return;
	agent_request(VMIAAS_REASON_PERIODIC);
	schedule_delayed_work(&periodic_work, msecs_to_jiffies(ms));
}

static int interval_set(const char *val, const struct kernel_param *kp)
{
	int err = param_set_uint(val, kp);

	if (err || agent_mode == AGENT_MODE_NONE)
		return err;
	if (interval_ms)
		mod_delayed_work(system_wq, &periodic_work,
				 msecs_to_jiffies(interval_ms));
	else
		cancel_delayed_work(&periodic_work);
	return 0;
}

static const struct kernel_param_ops interval_ops = {
	.set = interval_set,
	.get = param_get_uint,
};
module_param_cb(interval_ms, &interval_ops, &interval_ms, 0644);
MODULE_PARM_DESC(interval_ms, "periodic requests every this many ms (0: none)");

/* Coalesced: several modules loading at once make one request. */
static void module_load_fn(struct work_struct *work)
{
	agent_request(VMIAAS_REASON_MODULE_LOAD);
}
static DECLARE_WORK(module_load_work, module_load_fn);

static void boot_fn(struct work_struct *work)
{
	agent_request(VMIAAS_REASON_BOOT);
}
static DECLARE_WORK(boot_work, boot_fn);

static int module_notify(struct notifier_block *nb, unsigned long state,
			 void *data)
{
	/* our own load has its BOOT request already */
	if (state == MODULE_STATE_LIVE && data != THIS_MODULE &&
	    READ_ONCE(on_module_load) && agent_mode != AGENT_MODE_NONE)
		schedule_work(&module_load_work);
	return NOTIFY_DONE;
}

static struct notifier_block module_nb = {
	.notifier_call = module_notify,
};

/* A write (any value) asks now and returns when the verdict is in. */
static int trigger_set(const char *val, const struct kernel_param *kp)
{
	int err;

	if (agent_mode == AGENT_MODE_NONE)
		return -ENODEV;
	err = agent_request(VMIAAS_REASON_ON_DEMAND);
	return err < 0 ? err : 0;
}

static const struct kernel_param_ops trigger_ops = {
	.set = trigger_set,
};
module_param_cb(trigger, &trigger_ops, NULL, 0200);
MODULE_PARM_DESC(trigger, "write anything: request a check now (waits for it)");

/* "last": the last request, one line of key=value. */
static int last_get(char *buf, const struct kernel_param *kp)
{
	int n;

	mutex_lock(&agent_lock);
	n = scnprintf(buf, PAGE_SIZE,
		      "requests=%llu reason=%s channel=%s err=%d seq=%llu status=%d verdict=%s failed=%u checks=%u mask=%#llx wait_us=%llu polls=%llu\n",
		      nr_requests, last_reason < ARRAY_SIZE(reason_names) &&
		      reason_names[last_reason] ? reason_names[last_reason] : "-",
		      last_channel, last_err, last.seq, last.status,
		      verdict_name(last.verdict), last.nr_failed,
		      last.nr_checks, last.failed_mask,
		      last.wait_ns / NSEC_PER_USEC, last.polls);
	mutex_unlock(&agent_lock);
	return n;
}

static const struct kernel_param_ops last_ops = {
	.get = last_get,
};
module_param_cb(last, &last_ops, NULL, 0444);
MODULE_PARM_DESC(last, "the last request and its verdict");

/* "found": what detection found, and the mode in use. */
static int found_get(char *buf, const struct kernel_param *kp)
{
	static const char *const names[] = {
		[AGENT_MODE_NONE] = "none",
		[AGENT_MODE_HYPERCALL] = "hypercall",
		[AGENT_MODE_VMFUNC] = "vmfunc",
		[AGENT_MODE_RAM] = "ram",
	};

	return scnprintf(buf, PAGE_SIZE,
			 "hypervisor=%s vmfunc=%d view1=%d probe=%ld mode=%s\n",
			 hw.signature[0] ? hw.signature : "-", hw.vmfunc,
			 hw.view1, hw.probe, names[agent_mode]);
}

static const struct kernel_param_ops found_ops = {
	.get = found_get,
};
module_param_cb(found, &found_ops, NULL, 0444);
MODULE_PARM_DESC(found, "what the agent found at load and the mode it uses");

/* ---- load and unload ---- */

static bool hypercall_usable(void)
{
	return hw.probe >= 0 && (hw.probe & VMIAAS_MODE_HYPERCALL);
}

static enum agent_mode choose_mode(void)
{
	bool vmfunc = hw.view1, hypercall = hypercall_usable();

	if (!strcmp(mode, "none"))
		return AGENT_MODE_NONE;
	if (!strcmp(mode, "vmfunc"))
		return vmfunc ? AGENT_MODE_VMFUNC : AGENT_MODE_NONE;
	if (!strcmp(mode, "hypercall"))
		return hypercall ? AGENT_MODE_HYPERCALL : AGENT_MODE_NONE;
	if (!strcmp(mode, "ram"))
		return AGENT_MODE_RAM;
	if (vmfunc)
		return AGENT_MODE_VMFUNC;
	return hypercall ? AGENT_MODE_HYPERCALL : AGENT_MODE_RAM;
}

static void report_found(void)
{
	pr_info("hypervisor: %s; VMFUNC: %s; vmiaas view 1: %s; vmiaas hypercall: %s (probe %ld)\n",
		hw.hypervisor ? (hw.signature[0] ? hw.signature : "unnamed") :
		"none", hw.vmfunc ? "yes" : "no (#UD)",
		hw.view1 ? "armed" : "no", hypercall_usable() ? "yes" : "no",
		hw.probe);
	if (agent_mode == AGENT_MODE_VMFUNC)
		pr_info("mode vmfunc: requests through the mailbox in view 1, no VM exit\n");
	else if (agent_mode == AGENT_MODE_HYPERCALL)
		pr_info("mode hypercall: one VM exit per request\n");
	else if (agent_mode == AGENT_MODE_RAM)
		pr_info("mode ram: requests through vmiaas_agent_mailbox, polled by the host\n");
	else
		pr_info("no way to reach vmiaas (mode=%s): staying idle\n", mode);
}

static int __init agent_init(void)
{
	int err;

	if (strcmp(mode, "auto") && strcmp(mode, "vmfunc") &&
	    strcmp(mode, "hypercall") && strcmp(mode, "ram") &&
	    strcmp(mode, "none")) {
		pr_err("mode=%s: want auto, vmfunc, hypercall, ram or none\n",
		       mode);
		return -EINVAL;
	}
	agent_hw_detect(&hw);
	agent_mode = choose_mode();
	if (agent_mode == AGENT_MODE_VMFUNC) {
		err = agent_mailbox_map();
		if (err) {
			pr_err("cannot map the mailbox address: %d\n", err);
			return err;
		}
	}
	if (agent_mode == AGENT_MODE_RAM)
		agent_ram_init();
	report_found();
	if (agent_mode == AGENT_MODE_NONE)
		return 0;

	err = register_module_notifier(&module_nb);
	if (err) {
		agent_mailbox_unmap();
		return err;
	}
	/* a host watcher polls at a low rate: do not hold insmod for it */
	if (agent_mode == AGENT_MODE_RAM)
		schedule_work(&boot_work);
	else
		agent_request(VMIAAS_REASON_BOOT);
	if (interval_ms)
		schedule_delayed_work(&periodic_work,
				      msecs_to_jiffies(interval_ms));
	return 0;
}

static void __exit agent_exit(void)
{
	if (agent_mode != AGENT_MODE_NONE) {
		unregister_module_notifier(&module_nb);
		cancel_work_sync(&module_load_work);
		cancel_work_sync(&boot_work);
		cancel_delayed_work_sync(&periodic_work);
	}
	agent_mailbox_unmap();
}

module_init(agent_init);
module_exit(agent_exit);
MODULE_DESCRIPTION("vmiaas guest agent: VMFUNC-triggered introspection requests");
MODULE_LICENSE("GPL");
