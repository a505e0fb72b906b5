// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * usermode-helper: writable kernel strings that name a program the kernel
 * runs as root with every capability (call_usermodehelper()), compared
 * with the baseline. Exploits with a kernel write primitive overwrite
 * modprobe_path and then make any user trigger request_module() (an exec
 * of an unknown binary format); a root shell does it through
 * /proc/sys/kernel/modprobe_path. core_pattern starting with "|" pipes
 * every core dump to a root program; uevent_helper runs on every uevent;
 * poweroff_cmd on an orderly poweroff (a thermal or ACPI event). With
 * them, two one-way locks an attacker with a write primitive turns back:
 * modules_disabled and kexec_load_disabled (ints; their sysctls refuse
 * 1 -> 0, so 0 now after 1 at baseline is a memory write).
 *
 * The strings and their buffer sizes are the kernel's (KMOD_PATH_LEN,
 * CORENAME_MAX_SIZE, UEVENT_HELPER_PATH_LEN, POWEROFF_CMD_PATH_LEN: fixed
 * by the kernel's ABI since 2.6); each is read up to its NUL within that
 * size. A symbol the kernel lacks (CONFIG_UEVENT_HELPER off) is not
 * measured. reboot_cmd, request_key's path and the like are const: they
 * are in rodata, measured by kernel-rodata.
 *
 * The comparison is core/measure.c's vmi_measure_bytes() (a string up to
 * its NUL, a lock's 4 bytes exactly), which vmiaas.ko runs too: the
 * expected bytes come from the baseline here (helper_expected()) and
 * from memory a check found clean for the module
 * (vmiaas_module_policy()). The module cannot tell a lock's 0 -> 1 (an
 * event) from a tampering: its policy registers a lock only once set.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "uapi/linux/vmiaas.h"
#include "checks.h"
#include "hidden.h"

enum helper_rule {
	HELPER_ANY,		/* every change: the table's severity */
	HELPER_PIPE,		/* critical when it now pipes, else medium */
	HELPER_LOCK,		/* an int: set -> 0 critical, 0 -> set an event */
};

static const struct {
	const char *name;
	u32 size;
	u32 severity;
	u32 rule;
	const char *runs;	/* who runs it, for the message */
} helpers[] = {
	{ "modprobe_path", 256, VMIAAS_SEV_CRITICAL, HELPER_ANY,
	  "run as root by request_module(), which any user can trigger" },
	{ "core_pattern", 128, VMIAAS_SEV_CRITICAL, HELPER_PIPE,
	  "a \"|program\" runs as root on every core dump" },
	{ "uevent_helper", 256, VMIAAS_SEV_CRITICAL, HELPER_ANY,
	  "run as root on every uevent" },
	{ "poweroff_cmd", 256, VMIAAS_SEV_HIGH, HELPER_ANY,
	  "run as root by orderly_poweroff()" },
	/* one-way locks: the sysctl only sets them; back to 0 is a write */
	{ "modules_disabled", 4, VMIAAS_SEV_HIGH, HELPER_LOCK,
	  "once 1, no module can be loaded until reboot" },
	{ "kexec_load_disabled", 4, VMIAAS_SEV_HIGH, HELPER_LOCK,
	  "once 1, kexec_load() is refused until reboot" },
};

static_assert(ARRAY_SIZE(helpers) <= BL_HELPERS_MAX, "BL_HELPERS_MAX");

/*
 * The value in the guest now, as a printable string (a HELPER_LOCK int in
 * decimal); -ENOENT if no such symbol.
 */
static int helper_read(struct vmiaas *v, size_t k, char *out)
{
	const char *name = helpers[k].name;
	u32 size = helpers[k].size, i;
	s32 n;
	u64 addr;
	int err;

	if (engine_sym(v, name, &addr))
		return -ENOENT;
	memset(out, 0, BL_HELPER_VALUE);
	err = engine_read(v, addr, helpers[k].rule == HELPER_LOCK ?
			  (void *)&n : out, size);
	if (err)
		return engine_fail(v, err, "usermode-helper: %s (0x%llx) is unreadable",
				   name, (unsigned long long)addr);
	if (helpers[k].rule == HELPER_LOCK) {
		snprintf(out, BL_HELPER_VALUE, "%d", n);
		return 0;
	}
	out[size - 1] = '\0';
	for (i = 0; out[i]; i++)
		if ((unsigned char)out[i] < 0x20 || (unsigned char)out[i] > 0x7e)
			out[i] = '?';
	memset(out + i, 0, size - i);
	return 0;
}

int bl_helpers_take(struct vmiaas *v, struct vmiaas_baseline *b)
{
	size_t i;
	int err;

	b->nr_helpers = 0;
	for (i = 0; i < ARRAY_SIZE(helpers); i++) {
		struct bl_helper *h = &b->helpers[b->nr_helpers];

		memset(h, 0, sizeof(*h));
		err = helper_read(v, i, h->value);
		if (err == -ENOENT)
			continue;
		if (err)
			return err;
		snprintf(h->name, sizeof(h->name), "%s", helpers[i].name);
		h->size = helpers[i].size;
		b->nr_helpers++;
	}
	b->has_helpers = true;
	return 0;
}

static u32 helper_severity(size_t i, const char *old, const char *now)
{
	if (helpers[i].rule == HELPER_PIPE && now[0] != '|')
		return VMIAAS_SEV_MEDIUM;
	if (helpers[i].rule == HELPER_LOCK && strcmp(old, "0") &&
	    !strcmp(now, "0"))
		return VMIAAS_SEV_CRITICAL;	/* unlocked: only a write can */
	if (helpers[i].rule == HELPER_LOCK && !strcmp(old, "0"))
		return VMIAAS_SEV_INFO;		/* locked since: an event */
	return helpers[i].severity;
}

/*
 * The bytes helper @i's @value (as the baseline records it) stands for,
 * into @out (BL_HELPER_VALUE bytes): a lock's int, or the string with its
 * NUL, for vmi_measure_bytes() with *@ret_flags. Returns the length.
 */
static u32 helper_expected(size_t i, const char *value, u8 *out,
			   u32 *ret_flags)
{
	s32 n;

	memset(out, 0, BL_HELPER_VALUE);
	if (helpers[i].rule == HELPER_LOCK) {
		n = (s32)strtol(value, NULL, 10);
		memcpy(out, &n, sizeof(n));
		*ret_flags = 0;
		return sizeof(n);
	}
	memcpy(out, value, strnlen(value, helpers[i].size - 1));
	*ret_flags = VMI_MEASURE_CSTRING;
	return helpers[i].size;
}

/* 1: helper @i differs from @value, 0: same, -errno: unreadable. */
static int helper_differs(struct vmiaas *v, size_t i, const char *value)
{
	u8 expected[BL_HELPER_VALUE], buf[BL_HELPER_VALUE];
	struct vmi_read_ops r;
	u32 len, flags;
	u64 addr;
	int err;

	if (engine_sym(v, helpers[i].name, &addr))
		return -ENOENT;
	len = helper_expected(i, value, expected, &flags);
	bl_read_ops(v, &r);
	err = vmi_measure_bytes(&r, addr, len, expected, flags, buf);
	if (err < 0)
		return engine_fail(v, err, "usermode-helper: %s (0x%llx) is unreadable",
				   helpers[i].name, (unsigned long long)addr);
	return err;
}

static int helper_compare(struct vmiaas *v, const struct bl_helper *h,
			  size_t i, const struct hidden_sink *s)
{
	char now[BL_HELPER_VALUE];
	struct vmiaas_finding *f;
	u32 sev;
	int err;

	err = helper_differs(v, i, h->value);
	if (err == -ENOENT)
		return engine_fail(v, -EBADMSG,
				   "usermode-helper: %s was measured at baseline but the kernel has no such symbol now",
				   h->name);
	if (err <= 0)
		return err;
	err = helper_read(v, i, now);
	if (err)
		return err;
	sev = helper_severity(i, h->value, now);
	f = s->add(s->ctx, "usermode-helper", sev, h->name);
	if (f && sev == VMIAAS_SEV_INFO)
		f->flags |= VMIAAS_FINDING_EVENT;
	if (f)
		snprintf(f->message, sizeof(f->message),
			 "%s changed since the baseline: \"%.200s\" -> \"%.200s\" (%s)",
			 h->name, h->value, now, helpers[i].runs);
	return 0;
}

int check_helpers(struct vmiaas *v, const struct vmiaas_baseline *b,
		  const struct hidden_sink *s)
{
	struct vmiaas_finding *f;
	size_t i;
	u32 k;
	int err;

	if (!b->has_helpers) {
		f = s->add(s->ctx, "usermode-helper", VMIAAS_SEV_INFO,
			   "baseline");
		if (f) {
			f->flags |= VMIAAS_FINDING_EVENT;
			snprintf(f->message, sizeof(f->message),
				 "not checked: the baseline holds no usermode-helper strings (taken by an older vmiaas); take a new baseline");
		}
		return 0;
	}
	for (k = 0; k < b->nr_helpers; k++) {
		const struct bl_helper *h = &b->helpers[k];

		for (i = 0; i < ARRAY_SIZE(helpers); i++)
			if (!strcmp(h->name, helpers[i].name))
				break;
		if (i == ARRAY_SIZE(helpers))
			continue;	/* a newer vmiaas's: not judged here */
		err = helper_compare(v, h, i, s);
		if (err)
			return err;
	}
	return 0;
}

/* usermode-helper's records for vmiaas_module_policy(), appended at *@nr. */
int helpers_module_checks(struct vmiaas *v, struct vmiaas_module_check *out,
			  size_t max, size_t *nr)
{
	char now[BL_HELPER_VALUE];
	struct vmiaas_module_check *c;
	u32 flags;
	size_t i;
	u64 addr;
	int err;

	static_assert(BL_HELPER_VALUE <= VMIAAS_MODULE_DATA, "data");
	for (i = 0; i < ARRAY_SIZE(helpers); i++) {
		err = helper_read(v, i, now);
		if (err == -ENOENT)
			continue;
		if (err)
			return err;
		/* a lock not set yet: setting it is an event, not a finding */
		if (helpers[i].rule == HELPER_LOCK && !strcmp(now, "0"))
			continue;
		if (*nr >= max)
			return -ENOSPC;
		engine_sym(v, helpers[i].name, &addr);
		c = &out[(*nr)++];
		memset(c, 0, sizeof(*c));
		c->type = VMIAAS_CHECK_BYTES_GVA;
		c->addr = addr;
		c->root = v->info.pgd_pa;
		c->len = helper_expected(i, now, c->data, &flags);
		c->flags = flags & VMI_MEASURE_CSTRING ? VMIAAS_CHECK_CSTRING : 0;
		snprintf(c->label, sizeof(c->label), "usermode-helper %s",
			 helpers[i].name);
		snprintf(c->check, sizeof(c->check), "usermode-helper");
		snprintf(c->object, sizeof(c->object), "%s", helpers[i].name);
		/* core_pattern's pipe rule needs the new value: the worst */
		c->severity = helpers[i].severity;
	}
	return 0;
}
