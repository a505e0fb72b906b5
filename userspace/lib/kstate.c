// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * Is the guest kernel up? Its own system_state says: SYSTEM_BOOTING and
 * SYSTEM_SCHEDULING while start_kernel() runs, SYSTEM_FREEING_INITMEM
 * while kernel_init() frees init memory and calls mark_readonly(), then
 * SYSTEM_RUNNING, set just before kernel_init() execs the first program;
 * SYSTEM_HALT, SYSTEM_POWER_OFF and SYSTEM_RESTART when it goes down.
 * The values come from BTF's enum system_states (their order changed
 * when SYSTEM_FREEING_INITMEM was added).
 *
 * system_state is writable data: a rootkit can write "booting" there to
 * have the checks that need no baseline skipped. So "booting" is believed
 * only when the task list agrees: pid 1 is kernel_init() until it execs
 * the first program, which the kernel does only after SYSTEM_RUNNING, so
 * while the kernel boots pid 1 has no mm (or does not exist yet). A pid 1
 * with an mm while system_state says booting is a forged state. An
 * attacker cannot take init's mm away without its next page fault killing
 * init (and panicking the kernel); unlinking init from the task list only
 * makes "booting" unbelieved (the checks run) and is hidden-process's.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checks.h"

static const char *const kstate_names[] = {
	"SYSTEM_BOOTING", "SYSTEM_SCHEDULING", "SYSTEM_FREEING_INITMEM",
	"SYSTEM_RUNNING", "SYSTEM_HALT", "SYSTEM_POWER_OFF",
	"SYSTEM_RESTART", "SYSTEM_SUSPEND",
};

/* The enum's name of @value, or NULL. */
static const char *kstate_name(struct vmiaas *v, u32 value)
{
	s64 e;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(kstate_names); i++)
		if (!btf_enum_value(v->btf, kstate_names[i], &e) && e == value)
			return kstate_names[i];
	return NULL;
}

static bool kstate_is(struct vmiaas *v, u32 value, const char *name)
{
	s64 e;

	return !btf_enum_value(v->btf, name, &e) && e == value;
}

/*
 * Whether pid 1 has started a program: 1 yes (@comm its name), 0 no (not
 * there yet, or still a kernel thread), negative when the task list
 * cannot be read.
 */
static int init_started(struct vmiaas *v, char *comm, size_t size)
{
	struct vmiaas_task *tasks;
	size_t nr, i;
	int err, started = 0;

	err = vmiaas_tasks(v, &tasks, &nr);
	if (err)
		return err;
	for (i = 0; i < nr; i++) {
		if (tasks[i].pid != 1)
			continue;
		started = tasks[i].mm != 0;
		snprintf(comm, size, "%.15s", tasks[i].comm);
		break;
	}
	if (i == nr && nr)
		err = -ENOENT;	/* tasks, but no init: not believed */
	free(tasks);
	return err ?: started;
}

enum vmiaas_kstate vmiaas_kernel_state(struct vmiaas *v, char *why,
				       size_t size)
{
	const char *name;
	char comm[16] = "";
	s64 running;
	u64 sym;
	u32 st;
	int r;

	snprintf(why, size, "system_state cannot be read");
	if (engine_sym(v, "system_state", &sym) ||
	    engine_read(v, sym, &st, sizeof(st)) ||
	    btf_enum_value(v->btf, "SYSTEM_RUNNING", &running))
		return VMIAAS_KSTATE_RUNNING;	/* cannot tell: check */
	name = kstate_name(v, st);
	snprintf(why, size, "system_state %s (%u)", name ?: "unknown", st);
	if (st == running || !name)
		return VMIAAS_KSTATE_RUNNING;
	if (st > running)
		return kstate_is(v, st, "SYSTEM_SUSPEND") ?
		       VMIAAS_KSTATE_RUNNING : VMIAAS_KSTATE_DOWN;
	r = init_started(v, comm, sizeof(comm));
	if (r == 0) {
		snprintf(why, size,
			 "system_state %s (%u), and init (pid 1) has not started a program",
			 name, st);
		return VMIAAS_KSTATE_BOOTING;
	}
	if (r > 0) {
		snprintf(why, size,
			 "system_state says %s (%u), but init (pid 1, %s) already runs a program: the kernel sets SYSTEM_RUNNING before it starts one",
			 name, st, comm);
		return VMIAAS_KSTATE_FORGED;
	}
	snprintf(why, size,
		 "system_state says %s (%u), but init (pid 1) cannot be found to confirm it",
		 name, st);
	return VMIAAS_KSTATE_RUNNING;
}
