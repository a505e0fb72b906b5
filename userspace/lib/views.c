// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * Views of the guest kernel: processes, modules, syscall tables, the IDT.
 * Struct layouts come from the guest's BTF, addresses from its kallsyms;
 * nothing here knows a kernel version.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "engine.h"
#include "hidden.h"
#include "list.h"

#define PF_KTHREAD		0x00200000U
#define MODULE_NAME_LEN		56
#define MAX_SYSCALLS		1024
#define IDT_GATES		256

struct task_layout {
	u32 tasks, pid, tgid, comm, real_parent, real_cred, cred, mm, flags;
	u32 signal, thread_node, sig_thread_head;
	u32 cred_uid, cred_euid, cred_gid, cred_egid;
};

static int layout_fail(struct vmiaas *v, const char *type, const char *path)
{
	return engine_fail(v, -EBADMSG,
		"the guest kernel's BTF has no %s.%s: this kernel's layout is not supported",
		type, path);
}

#define RESOLVE(v, type, path, out)					\
	do {								\
		if (btf_offsetof((v)->btf, type, path, out))		\
			return layout_fail(v, type, path);		\
	} while (0)

static int task_layout_get(struct vmiaas *v, struct task_layout *l)
{
	RESOLVE(v, "task_struct", "tasks", &l->tasks);
	RESOLVE(v, "task_struct", "pid", &l->pid);
	RESOLVE(v, "task_struct", "tgid", &l->tgid);
	RESOLVE(v, "task_struct", "comm", &l->comm);
	RESOLVE(v, "task_struct", "real_parent", &l->real_parent);
	RESOLVE(v, "task_struct", "real_cred", &l->real_cred);
	RESOLVE(v, "task_struct", "cred", &l->cred);
	RESOLVE(v, "task_struct", "mm", &l->mm);
	RESOLVE(v, "task_struct", "flags", &l->flags);
	RESOLVE(v, "task_struct", "signal", &l->signal);
	RESOLVE(v, "task_struct", "thread_node", &l->thread_node);
	RESOLVE(v, "signal_struct", "thread_head", &l->sig_thread_head);
	RESOLVE(v, "cred", "uid", &l->cred_uid);
	RESOLVE(v, "cred", "euid", &l->cred_euid);
	RESOLVE(v, "cred", "gid", &l->cred_gid);
	RESOLVE(v, "cred", "egid", &l->cred_egid);
	return 0;
}

struct task_walk {
	const struct task_layout *l;
	struct vmiaas_task *tasks;
	size_t nr, cap;
	bool mm_only;		/* engine_task_mms(): pid, tgid, comm, mm */
};

static int read_u32(struct vmiaas *v, u64 va, u32 *ret)
{
	return engine_read(v, va, ret, sizeof(*ret));
}

/* One field of a guest object: where, how big, where it goes. */
struct field {
	u32 off;
	u32 size;
	void *out;
};

#define FIELDS_SPAN_MAX	64	/* bytes read at once for nearby fields */

/*
 * Reads fields of the object at @base with one guest read when they lie
 * within FIELDS_SPAN_MAX bytes (pid and tgid, cred's ids: a task walk
 * makes some twenty reads per task, each a translation and a copy), else
 * one read each. All or nothing either way.
 */
static int read_fields(struct vmiaas *v, u64 base, const struct field *f,
		       unsigned int n)
{
	u8 span[FIELDS_SPAN_MAX];
	u64 lo = UINT64_MAX, hi = 0;
	unsigned int i;
	int err;

	for (i = 0; i < n; i++) {
		if (f[i].off < lo)
			lo = f[i].off;
		if ((u64)f[i].off + f[i].size > hi)
			hi = (u64)f[i].off + f[i].size;
	}
	if (!n || hi - lo > sizeof(span)) {
		for (i = 0; i < n; i++) {
			err = engine_read(v, base + f[i].off, f[i].out,
					  f[i].size);
			if (err)
				return err;
		}
		return 0;
	}
	err = engine_read(v, base + lo, span, hi - lo);
	if (err)
		return err;
	for (i = 0; i < n; i++)
		memcpy(f[i].out, span + (f[i].off - lo), f[i].size);
	return 0;
}

static int read_pid_tgid(struct vmiaas *v, const struct task_layout *l,
			 u64 task, s32 *pid, s32 *tgid)
{
	const struct field f[] = {
		{ l->pid, sizeof(*pid), pid },
		{ l->tgid, sizeof(*tgid), tgid },
	};

	return read_fields(v, task, f, ARRAY_SIZE(f));
}

/* Ids are best effort: a freed cred reads as garbage, not a failure. */
static void read_cred_ids(struct vmiaas *v, const struct task_layout *l,
			  u64 cred, struct vmiaas_task *t)
{
	const struct field f[] = {
		{ l->cred_uid, sizeof(t->uid), &t->uid },
		{ l->cred_euid, sizeof(t->euid), &t->euid },
		{ l->cred_gid, sizeof(t->gid), &t->gid },
		{ l->cred_egid, sizeof(t->egid), &t->egid },
	};

	read_fields(v, cred, f, ARRAY_SIZE(f));
}

/*
 * The fields of a task lie on a dozen cache lines (and host pages) of
 * guest RAM, and each read waits for its miss in turn: asking for all of
 * them first lets the misses overlap. (The walk over 1,000 tasks was
 * most of a full check's non-hashing time.)
 */
static void task_prefetch(struct vmiaas *v, const struct task_layout *l,
			  u64 task)
{
	engine_prefetch(v, task + l->pid);
	engine_prefetch(v, task + l->comm);
	engine_prefetch(v, task + l->flags);
	engine_prefetch(v, task + l->real_parent);
	engine_prefetch(v, task + l->real_cred);
	engine_prefetch(v, task + l->mm);
	engine_prefetch(v, task + l->signal);
}

/* What both reads of a task take: its ids, name and mm. */
static int task_read_ids(struct vmiaas *v, const struct task_layout *l,
			 u64 task, struct vmiaas_task *t)
{
	int err;

	memset(t, 0, sizeof(*t));
	t->addr = task;
	err = read_pid_tgid(v, l, task, &t->pid, &t->tgid);
	err = err ?: engine_read(v, task + l->comm, t->comm,
				 sizeof(t->comm) - 1);
	return err ?: engine_read_u64(v, task + l->mm, &t->mm);
}

/*
 * engine_task_mms()'s read of a task: the lines of its ids, name and mm;
 * not its parent's nor its creds' (other objects, each a miss of its own).
 */
static int task_read_mm(struct vmiaas *v, const struct task_layout *l,
			u64 task, struct vmiaas_task *t)
{
	engine_prefetch(v, task + l->pid);
	engine_prefetch(v, task + l->comm);
	engine_prefetch(v, task + l->mm);
	engine_prefetch(v, task + l->signal);
	return task_read_ids(v, l, task, t);
}

static int task_read(struct vmiaas *v, const struct task_layout *l, u64 task,
		     struct vmiaas_task *t)
{
	const struct field creds[] = {
		{ l->real_cred, sizeof(t->real_cred), &t->real_cred },
		{ l->cred, sizeof(t->cred), &t->cred },
	};
	u64 parent, cred_base;
	u32 ptgid;
	int err;

	task_prefetch(v, l, task);
	err = task_read_ids(v, l, task, t);
	err = err ?: read_u32(v, task + l->flags, &t->flags);
	err = err ?: engine_read_u64(v, task + l->real_parent, &parent);
	err = err ?: read_fields(v, task, creds, ARRAY_SIZE(creds));
	if (err)
		return err;
	if (kernel_ptr(parent) &&
	    !read_u32(v, parent + l->tgid, &ptgid))
		t->ppid = (s32)ptgid;
	cred_base = t->real_cred;
	if (kernel_ptr(cred_base))
		read_cred_ids(v, l, cred_base, t);
	return 0;
}

static int task_push(struct vmiaas *v, struct task_walk *w, u64 task)
{
	struct vmiaas_task *n;
	int err;

	if (w->nr == w->cap) {
		if (w->cap >= VMIAAS_MAX_TASKS)
			return engine_fail(v, -E2BIG,
				"more than %u tasks in the guest",
				VMIAAS_MAX_TASKS);
		w->cap = w->cap ? w->cap * 2 : 256;
		n = realloc(w->tasks, w->cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		w->tasks = n;
	}
	err = w->mm_only ? task_read_mm(v, w->l, task, &w->tasks[w->nr]) :
			   task_read(v, w->l, task, &w->tasks[w->nr]);
	if (err)
		return engine_fail(v, err,
			"task at 0x%llx is unreadable",
			(unsigned long long)task);
	w->nr++;
	return 0;
}

static int thread_visit(struct vmiaas *v, u64 node, void *arg)
{
	struct task_walk *w = arg;
	u64 task = node - w->l->thread_node;
	s32 pid, tgid;

	/* The leader is already listed from the tasks ring. */
	if (read_pid_tgid(v, w->l, task, &pid, &tgid))
		return engine_fail(v, -EFAULT, "thread at 0x%llx is unreadable",
				   (unsigned long long)task);
	return pid == tgid ? 0 : task_push(v, w, task);
}

static int process_visit(struct vmiaas *v, u64 node, void *arg)
{
	struct task_walk *w = arg;
	u64 task = node - w->l->tasks, signal;
	int err;

	err = task_push(v, w, task);
	if (err)
		return err;
	err = engine_read_u64(v, task + w->l->signal, &signal);
	if (err || !kernel_ptr(signal))
		return 0;	/* exiting: no threads to list */
	return list_walk(v, "a thread list", signal + w->l->sig_thread_head,
			 VMIAAS_MAX_TASKS, thread_visit, w);
}

static int tasks_walk(struct vmiaas *v, bool mm_only,
		      struct vmiaas_task **ret, size_t *ret_nr)
{
	struct task_layout l;
	struct task_walk w = { .l = &l, .mm_only = mm_only };
	u64 init_task;
	int err;

	err = task_layout_get(v, &l);
	if (err)
		return err;
	if (engine_sym(v, "init_task", &init_task))
		return engine_fail(v, -ENOEXEC, "the kernel has no init_task");
	err = list_walk(v, "the task list", init_task + l.tasks,
			VMIAAS_MAX_TASKS, process_visit, &w);
	if (err) {
		free(w.tasks);
		return err;
	}
	*ret = w.tasks;
	*ret_nr = w.nr;
	return 0;
}

int vmiaas_tasks(struct vmiaas *v, struct vmiaas_task **ret, size_t *ret_nr)
{
	return tasks_walk(v, false, ret, ret_nr);
}

int engine_task_mms(struct vmiaas *v, struct vmiaas_task **ret,
		    size_t *ret_nr)
{
	return tasks_walk(v, true, ret, ret_nr);
}

/* ---- modules ---- */

struct module_layout {
	u32 list, name, state;
	u32 text_base;		/* core_layout.base or mem[MOD_TEXT].base */
	u32 nr_sizes;		/* regions whose sizes /proc/modules adds */
	u32 size[16];
};

/* 6.4+ keeps regions in mod->mem[], older kernels in core/init_layout. */
static int module_layout_read(struct vmiaas *v, struct module_layout *l)
{
	char path[32];
	s64 nr_types;
	u32 i;

	RESOLVE(v, "module", "list", &l->list);
	RESOLVE(v, "module", "name", &l->name);
	RESOLVE(v, "module", "state", &l->state);
	if (!btf_offsetof(v->btf, "module", "mem[0].base", &l->text_base)) {
		if (btf_enum_value(v->btf, "MOD_MEM_NUM_TYPES", &nr_types) ||
		    nr_types < 1 || nr_types > (s64)ARRAY_SIZE(l->size))
			return layout_fail(v, "module", "mem[]");
		for (i = 0; i < nr_types; i++) {
			snprintf(path, sizeof(path), "mem[%u].size", i);
			RESOLVE(v, "module", path, &l->size[i]);
		}
		l->nr_sizes = nr_types;
		return 0;
	}
	RESOLVE(v, "module", "core_layout.base", &l->text_base);
	RESOLVE(v, "module", "core_layout.size", &l->size[0]);
	RESOLVE(v, "module", "init_layout.size", &l->size[1]);
	l->nr_sizes = 2;
	return 0;
}

static int module_layout_get(struct vmiaas *v, struct module_layout *l)
{
	static const char key;
	int err;

	if (engine_layout_get(v, &key, l, sizeof(*l)))
		return 0;
	err = module_layout_read(v, l);
	if (!err)
		engine_layout_put(v, &key, l, sizeof(*l));
	return err;
}

struct module_walk {
	const struct module_layout *l;
	struct vmiaas_module *mods;
	size_t nr, cap;
};

/*
 * Room for one more module: the array grows by doubling, because zeroing
 * room for VMIAAS_MAX_MODULES up front cost more than the walk itself.
 */
static int module_walk_grow(struct vmiaas *v, struct module_walk *w)
{
	struct vmiaas_module *mods;
	size_t cap;

	if (w->nr < w->cap)
		return 0;
	if (w->nr >= VMIAAS_MAX_MODULES)
		return engine_fail(v, -E2BIG, "more than %u modules",
				   VMIAAS_MAX_MODULES);
	cap = min(w->cap ? w->cap * 2 : 64, (size_t)VMIAAS_MAX_MODULES);
	mods = realloc(w->mods, cap * sizeof(*mods));
	if (!mods)
		return -ENOMEM;
	w->mods = mods;
	w->cap = cap;
	return 0;
}

static int module_visit(struct vmiaas *v, u64 node, void *arg)
{
	struct module_walk *w = arg;
	const struct module_layout *l = w->l;
	u64 mod = node - l->list;
	struct vmiaas_module *m;
	u32 i, size;
	int err;

	err = module_walk_grow(v, w);
	if (err)
		return err;
	m = &w->mods[w->nr];
	memset(m, 0, sizeof(*m));
	m->addr = mod;
	err = engine_read(v, mod + l->name, m->name, sizeof(m->name) - 1);
	err = err ?: engine_read(v, mod + l->state, &m->state,
				 sizeof(m->state));
	err = err ?: engine_read_u64(v, mod + l->text_base, &m->base);
	for (i = 0; !err && i < l->nr_sizes; i++) {
		err = read_u32(v, mod + l->size[i], &size);
		m->size += size;
	}
	if (err)
		return engine_fail(v, err, "module at 0x%llx is unreadable",
				   (unsigned long long)mod);
	w->nr++;
	return 0;
}

/*
 * Tries at the module list: it changes under the walk (a module loaded or
 * unloaded: list_del_rcu() leaves the node's next pointer for the
 * kernel's RCU readers, and vmiaas is not one of them, so the node can be
 * freed and reused while the walk stands on it). A walk that meets a bad
 * pointer, a cycle or an unreadable node runs again 10, 20 and 40 ms
 * later (hidden_torn_wait_us), as the hidden-object scans do; a list
 * corrupt for good fails every time and is reported.
 */
#define MODULES_TRIES	4

int vmiaas_modules(struct vmiaas *v, struct vmiaas_module **ret,
		   size_t *ret_nr)
{
	struct module_layout l;
	struct module_walk w = { .l = &l };
	u64 head;
	int err, i;

	err = module_layout_get(v, &l);
	if (err)
		return err;
	if (engine_sym(v, "modules", &head))
		return engine_fail(v, -ENOEXEC, "the kernel has no module list");
	for (i = 0; i < MODULES_TRIES; i++) {
		if (i)
			engine_pause(v, hidden_torn_wait_us << (i - 1));
		w.nr = 0;
		/* a non-NULL array, even if empty */
		err = module_walk_grow(v, &w);
		err = err ?: list_walk(v, "the module list", head,
				       VMIAAS_MAX_MODULES, module_visit, &w);
		if (!list_torn(err))
			break;
	}
	if (err) {
		free(w.mods);
		return err;
	}
	*ret = w.mods;
	*ret_nr = w.nr;
	return 0;
}

/* ---- syscall tables ---- */

static const struct {
	const char *symbol;
	u32 abi;
} syscall_tables[] = {
	{ "sys_call_table", VMIAAS_ABI_X64 },
	{ "ia32_sys_call_table", VMIAAS_ABI_IA32 },
	{ "x32_sys_call_table", VMIAAS_ABI_X32 },
};

/* A table's length: up to the next symbol, as kallsyms orders them. */
static int table_entries(struct vmiaas *v, u64 table, u32 *ret)
{
	u64 next;
	u32 idx;
	int err;

	err = vmi_ksym_lookup_addr(&v->ksym, table, &idx);
	while (!err) {
		err = vmi_ksym_addr(&v->ksym, ++idx, &next);
		if (!err && next > table)
			break;
	}
	if (err)
		return err;
	*ret = min((next - table) / 8, (u64)MAX_SYSCALLS);
	return 0;
}

static int syscall_table_read(struct vmiaas *v, u32 abi, u64 table,
			      bool symbols, struct vmiaas_syscall *out,
			      u32 *nr)
{
	u64 entries[MAX_SYSCALLS];
	u32 i, n;
	int err;

	err = table_entries(v, table, &n);
	err = err ?: engine_read(v, table, entries, n * sizeof(u64));
	if (err)
		return engine_fail(v, err, "syscall table at 0x%llx is unreadable",
				   (unsigned long long)table);
	/*
	 * The span up to the next symbol may include alignment padding: every
	 * real entry points at a function (holes at sys_ni_syscall), so
	 * trailing zeros are not entries.
	 */
	while (n && !entries[n - 1])
		n--;
	for (i = 0; i < n; i++) {
		struct vmiaas_syscall *s = &out[*nr + i];

		memset(s, 0, sizeof(*s));
		s->abi = abi;
		s->nr = i;
		s->address = entries[i];
		if (!symbols || vmiaas_symbolize(v, entries[i], s->symbol,
						 sizeof(s->symbol)))
			s->symbol[0] = '\0';
	}
	*nr += n;
	return 0;
}

int engine_syscalls(struct vmiaas *v, bool symbols,
		    struct vmiaas_syscall **ret, size_t *ret_nr)
{
	struct vmiaas_syscall *out;
	u32 nr = 0, i;
	u64 table;
	int err = 0;

	/* Not calloc: zeroing all of it cost more than reading the tables. */
	out = malloc(ARRAY_SIZE(syscall_tables) * MAX_SYSCALLS * sizeof(*out));
	if (!out)
		return -ENOMEM;
	for (i = 0; !err && i < ARRAY_SIZE(syscall_tables); i++) {
		if (engine_sym(v, syscall_tables[i].symbol, &table))
			continue;
		err = syscall_table_read(v, syscall_tables[i].abi, table,
					 symbols, out, &nr);
	}
	if (!err && !nr)
		err = engine_fail(v, -ENOEXEC, "the kernel has no sys_call_table");
	if (err) {
		free(out);
		return err;
	}
	*ret = out;
	*ret_nr = nr;
	return 0;
}

int vmiaas_syscalls(struct vmiaas *v, struct vmiaas_syscall **ret,
		    size_t *ret_nr)
{
	return engine_syscalls(v, true, ret, ret_nr);
}

/* ---- IDT ---- */

static void gate_decode(const u8 *g, struct vmiaas_idt_gate *out)
{
	out->address = vmi_get_u16(g) | (u64)vmi_get_u16(g + 6) << 16 |
		       (u64)vmi_get_u32(g + 8) << 32;
	out->selector = vmi_get_u16(g + 2);
	out->ist = g[4] & 7;
	out->type = g[5] & 0xf;
	out->dpl = (g[5] >> 5) & 3;
	out->present = g[5] >> 7;
}

int engine_idt(struct vmiaas *v, u32 vcpu, bool symbols, u64 *ret_base,
	       struct vmiaas_idt_gate **ret, size_t *ret_nr)
{
	struct vmiaas_idt_gate *gates;
	u8 raw[IDT_GATES * 16];
	u64 base;
	u32 n = IDT_GATES, i;
	int err;

	if (v->backend->nr_vcpus) {
		if (vcpu >= v->backend->nr_vcpus)
			return engine_fail(v, -EINVAL, "no vCPU %u (the guest has %zu)",
					   vcpu, v->backend->nr_vcpus);
		base = v->backend->vcpus[vcpu].idtr_base;
		n = min((v->backend->vcpus[vcpu].idtr_limit + 1) / 16,
			(u32)IDT_GATES);
	} else if (engine_sym(v, "idt_table", &base)) {
		return engine_fail(v, -ENOEXEC, "the kernel has no idt_table");
	}
	err = engine_read(v, base, raw, n * 16);
	if (err)
		return engine_fail(v, err, "the IDT at 0x%llx is unreadable",
				   (unsigned long long)base);
	gates = calloc(n, sizeof(*gates));
	if (!gates)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		gates[i].vector = i;
		gate_decode(raw + i * 16, &gates[i]);
		if (!symbols || !gates[i].present ||
		    vmiaas_symbolize(v, gates[i].address, gates[i].symbol,
				     sizeof(gates[i].symbol)))
			gates[i].symbol[0] = '\0';
	}
	*ret_base = base;
	*ret = gates;
	*ret_nr = n;
	return 0;
}

int vmiaas_idt(struct vmiaas *v, uint32_t vcpu, uint64_t *ret_base,
	       struct vmiaas_idt_gate **ret, size_t *ret_nr)
{
	return engine_idt(v, vcpu, true, ret_base, ret, ret_nr);
}
