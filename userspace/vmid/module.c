// SPDX-License-Identifier: GPL-2.0
/*
 * The module backend: each VM attached through /dev/vmiaas when vmiaas.ko
 * is loaded and works (docs/vmid.md, "The module backend").
 *
 * The daemon (privileged) opens /dev/vmiaas per VM, takes the VMM's KVM
 * VM fd with pidfd_getfd() (the fd whose link reads anon_inode:kvm-vm),
 * attaches it, arms view 1 when the host offers VMFUNC (ENABLE_VIEW
 * returns at once: it waits for no vCPU since KVM patch 0006), registers the
 * checks the worker derived from memory its last check found clean, and
 * reads the module's events in its main loop. The worker (unprivileged)
 * still parses the guest: it reads the kernel text and syscall table
 * through the memory backend and hashes them; the daemon only copies the
 * records into VMIAAS_IOC_SET_CHECKS, where the module validates them.
 *
 * An event is an agent's request served by the module: its verdict is
 * logged, and a request schedules a full userspace check (at most one per
 * agent_min_interval after the last, as for the RAM mailbox; always when
 * the verdict opens a module finding). Module findings (check
 * "module", one per registered check that failed) follow the lifecycle of
 * the worker's: a "finding" event when a check starts failing (not again
 * while it keeps failing), counted in the metrics and the active set, and
 * "resolved" when a verdict says it passes again or when new checks are
 * registered (which only follows a full check that found memory clean).
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "uapi/linux/vmiaas.h"
#include "vmid.h"

#define MODULE_DEV	"/dev/vmiaas"
#define MODULE_EVENTS	16		/* read per wake-up */
#define TEXT_CHUNK_MIN	(64U << 10)
/*
 * records of vmiaas_module_policy(): exec-memory, 6 usermode-helper,
 * netfilter-hook, proc-ops, packet-tap, input-handler, tracepoint-hook,
 * vfs-ops, tty-ldisc, net-protocol, netdev-hook (16), and room for the
 * next checks'
 */
#define MODULE_POLICY_MAX	20

_Static_assert(sizeof(struct vmiaas_module_check) <= VMID_MSG_PAYLOAD,
	       "a check record travels in vmid_msg.s2");

struct vm_module {
	int fd;				/* attached /dev/vmiaas */
	uint64_t modes;			/* VMIAAS_MODE_* of the host */
	bool view_wanted;		/* the host offers VMFUNC */
	int view_err;			/* the last ENABLE_VIEW's: 0 armed */
	uint32_t view_vcpus;		/* vCPUs it armed */
	const char *view;		/* without VMFUNC: how the guest asks */
	uint64_t check_types;		/* caps.check_types of the module */
	uint64_t check_flags;		/* caps.check_flags of the module */
	uint32_t event_size;		/* bytes of its records (ATTACH_VM) */
	struct vmiaas_module_check *pending;	/* records being received */
	/* the tables being received (enum vmid_table): proc-ops' watched
	 * entries, vfs-ops' allowed ranges */
	void *table[VMID_TABLES];
	uint32_t nr_table[VMID_TABLES], got_table[VMID_TABLES];
	int policy_err;			/* theirs: why no policy records */
	struct vmiaas_module_check *reg;	/* the registered checks */
	char left_out[64];		/* their check ids: not registered */
	bool vfs_torn;			/* vfs-ops left out: ranges not whole */
	uint32_t nr_checks;
	uint64_t open_mask;		/* checks with an active finding */
	struct vmiaas_finding *open;	/* those findings, for "resolved" */
	double last_full;		/* monotonic s: last check asked */
	uint64_t events, lost;
};

/*
 * Arms view 1 on every vCPU the VM has now. The module waits for no vCPU
 * (a running one is kicked and armed at its next VM entry), so this runs
 * on the main loop. -EOPNOTSUPP: KVM's shadow MMU, or a vCPU without EPTP
 * switching; -ERANGE: guest memory where the mailbox goes; -ENXIO: the
 * file is no longer attached.
 */
static int view_enable(struct vm_module *m)
{
	struct vmiaas_enable_view ev = { .size = sizeof(ev) };

	m->view_err = ioctl(m->fd, VMIAAS_IOC_ENABLE_VIEW, &ev) < 0 ? -errno : 0;
	m->view_vcpus = m->view_err ? 0 : ev.nr_vcpus;
	return m->view_err;
}

/* Why ENABLE_VIEW failed, after its strerror(). */
static const char *view_err_hint(int err)
{
	switch (err) {
	case -EOPNOTSUPP:
		return ": KVM's shadow MMU (tdp_mmu=0) or no EPTP switching";
	case -ERANGE:
		return ": guest memory at or above the mailbox (512 GiB)";
	case -ENXIO:
		return ": the VM is no longer attached";
	default:
		return "";
	}
}

/* The fd of @pid whose link is anon_inode:kvm-vm; -ENOENT if none. */
static int find_vm_fd(pid_t pid, int *ret_nr)
{
	char path[64], link[64];
	struct dirent *de;
	int found = -ENOENT;
	DIR *dir;

	*ret_nr = 0;
	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	dir = opendir(path);
	if (!dir)
		return -errno;
	while ((de = readdir(dir))) {
		char p2[sizeof(path) + sizeof(de->d_name)];
		ssize_t n;

		if (de->d_name[0] == '.')
			continue;
		snprintf(p2, sizeof(p2), "%s/%s", path, de->d_name);
		n = readlink(p2, link, sizeof(link) - 1);
		if (n <= 0)
			continue;
		link[n] = '\0';
		if (strcmp(link, "anon_inode:kvm-vm"))
			continue;
		if (!(*ret_nr)++)
			found = atoi(de->d_name);
	}
	closedir(dir);
	return found;
}

static void checks_register(struct vm *vm, uint32_t nr);
static void module_resolve(struct vm *vm, uint64_t mask);

/* Opens /dev/vmiaas and asks what the host can do; -errno and why. */
static int module_open(struct vmiaas_caps *caps, char *why, size_t size)
{
	int fd;

	*caps = (struct vmiaas_caps){ .size = sizeof(*caps) };
	fd = open(MODULE_DEV, O_RDWR | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		int err = -errno;

		snprintf(why, size, err == -ENOENT ?
			 "not available (no " MODULE_DEV ": vmiaas.ko is not loaded)" :
			 "not available (" MODULE_DEV ": %s)", strerror(-err));
		return err;
	}
	if (ioctl(fd, VMIAAS_IOC_GET_CAPS, caps) < 0 ||
	    caps->api_version != VMIAAS_API_VERSION) {
		snprintf(why, size, "not available (" MODULE_DEV " GET_CAPS: %s)",
			 caps->api_version != VMIAAS_API_VERSION && !errno ?
			 "another API version" : strerror(errno));
		close(fd);
		return -EPROTO;
	}
	return fd;
}

/*
 * ATTACH_VM with the VMM's own VM fd, taken with pidfd_getfd(); records
 * with what the module's walks found when it knows them (@event_size).
 */
static int attach_vm(struct vm *vm, int fd, uint32_t event_size, char *why,
		     size_t size)
{
	struct vmiaas_attach_vm at = { .size = sizeof(at),
				       .event_size = event_size };
	int target, nr, pidfd = vm->pidfd, own = -1, r;

	target = find_vm_fd(vm->ident.pid, &nr);
	if (target < 0) {
		snprintf(why, size, "not used (process %d holds no KVM VM fd%s)",
			 (int)vm->ident.pid, target == -ENOENT ? "" : ": /proc unreadable");
		return target;
	}
	if (pidfd < 0)
		pidfd = own = (int)syscall(SYS_pidfd_open, vm->ident.pid, 0);
	at.vm_fd = (int)syscall(SYS_pidfd_getfd, pidfd, target, 0);
	if (own >= 0)
		close(own);
	if (at.vm_fd < 0) {
		r = -errno;
		snprintf(why, size, "not used (pidfd_getfd of the VM fd %d: %s)",
			 target, strerror(-r));
		return r;
	}
	r = ioctl(fd, VMIAAS_IOC_ATTACH_VM, &at) < 0 ? -errno : 0;
	close(at.vm_fd);	/* the attachment holds the VM */
	if (r < 0)
		snprintf(why, size, "not used (ATTACH_VM: %s%s)", strerror(-r),
			 r == -EOPNOTSUPP ? ": no KVM with vmiaas's patches 0001-0006" :
			 r == -EBUSY ? ": another /dev/vmiaas file holds this VM" : "");
	else if (nr > 1)
		snprintf(why, size, "attached (the first of %d KVM VMs of the process)", nr);
	return r;
}

/* The status line as an event: a warning if view 1 is wanted and not armed. */
static void module_say(struct vm *vm)
{
	char buf[sizeof(vm->mod_why)];

	module_status(vm, buf, sizeof(buf));
	/* the event's name says "module" already */
	events_vm(vm, vm->mod->view_err ? VMID_LOG_WARNING : VMID_LOG_INFO,
		  "module", "%s", buf + strlen("module: "));
}

/*
 * No module path for @vm (@err, @why): kept for vmictl status and, when
 * the module is loaded but refused this VM (ATTACH_VM, pidfd_getfd,
 * GET_CAPS failed: not merely no /dev/vmiaas, or a VMM without a KVM VM
 * fd), a warning event, once per reason rather than at every worker start.
 */
static void module_refused(struct vm *vm, int err, const char *why)
{
	char was[sizeof(vm->mod_why)];

	snprintf(was, sizeof(was), "%s", vm->mod_why);
	snprintf(vm->mod_why, sizeof(vm->mod_why), "module: %s", why);
	if (err != -ENOENT && strcmp(was, vm->mod_why))
		events_vm(vm, VMID_LOG_WARNING, "module", "%s", why);
}

void module_attach(struct vm *vm)
{
	char why[sizeof(vm->mod_why) - 16];
	struct vmiaas_caps caps;
	uint32_t event_size;
	struct vm_module *m;
	int fd, r;

	if (vm->mod) {
		m = vm->mod;
		/* a new worker, maybe a new boot: no checks until it sends them */
		if (m->nr_checks)
			checks_register(vm, 0);
		/* ENABLE_VIEW again (idempotent): vCPUs created since */
		if (m->view_wanted) {
			int was = m->view_err;

			if (view_enable(m) != was)
				module_say(vm);
		}
		return;
	}
	why[0] = '\0';
	fd = module_open(&caps, why, sizeof(why));
	/* an older module knows only the first layout (96 bytes) */
	event_size = caps.event_size ? sizeof(struct vmiaas_event) : 0;
	if (fd >= 0) {
		r = attach_vm(vm, fd, event_size, why, sizeof(why));
		if (r < 0) {
			close(fd);
			fd = r;
		}
	}
	m = fd >= 0 ? calloc(1, sizeof(*m)) : NULL;
	if (fd >= 0 && !m) {
		close(fd);
		snprintf(why, sizeof(why), "not used (out of memory)");
	}
	if (!m) {
		module_refused(vm, fd, why);
		return;
	}
	m->fd = fd;
	m->modes = caps.modes;
	m->check_types = caps.check_types;
	m->check_flags = caps.check_flags;
	m->event_size = event_size ? event_size : VMIAAS_EVENT_SIZE_V1;
	vm->mod = m;
	m->view_wanted = m->modes & VMIAAS_MODE_VMFUNC;
	if (!m->view_wanted)
		m->view = "hypercall and polling (no VMFUNC on this host)";
	else
		view_enable(m);
	module_say(vm);
}

void module_detach(struct vm *vm)
{
	struct vm_module *m = vm->mod;

	if (!m)
		return;
	close(m->fd);	/* the last close detaches */
	free(m->open);
	free(m->pending);
	for (int i = 0; i < VMID_TABLES; i++)
		free(m->table[i]);
	free(m->reg);
	free(m);
	vm->mod = NULL;
}

int module_fd(const struct vm *vm)
{
	return vm->mod ? vm->mod->fd : -1;
}

/*
 * The checks not on the module path: "; exec-memory not run by this
 * vmiaas.ko ...", or "".
 */
static const char *module_left_out(const struct vm_module *m, char *buf,
				   size_t size)
{
	if (m->nr_checks && m->vfs_torn)
		snprintf(buf, size,
			 "; vfs-ops not registered (its allowed ranges did not arrive whole)%s%s: vmid's worker checks %s, on its schedule and after each request",
			 m->left_out[0] ? "; nor, not run by this vmiaas.ko, " : "",
			 m->left_out, m->left_out[0] ? "them" : "it");
	else if (m->nr_checks && m->left_out[0])
		snprintf(buf, size,
			 "; %s not run by this vmiaas.ko (check_types %#llx): vmid's worker checks them, on its schedule and after each request",
			 m->left_out, (unsigned long long)m->check_types);
	else if (m->nr_checks && m->policy_err)
		snprintf(buf, size,
			 "; exec-memory, usermode-helper, netfilter-hook, proc-ops, packet-tap, input-handler, tracepoint-hook, vfs-ops, tty-ldisc, net-protocol or netdev-hook not registered (their records: %s): vmid's worker checks them, on its schedule and after each request",
			 strerror(-m->policy_err));
	else
		buf[0] = '\0';
	return buf;
}

const char *module_status(const struct vm *vm, char *buf, size_t size)
{
	const struct vm_module *m = vm->mod;
	char view[160], other[384];

	if (!m)
		return vm->mod_why;
	if (!m->view_wanted)
		snprintf(view, sizeof(view), "%s", m->view);
	else if (!m->view_err)
		snprintf(view, sizeof(view), "VMFUNC (view 1 armed on %u vCPU%s), hypercall and polling",
			 m->view_vcpus, m->view_vcpus == 1 ? "" : "s");
	else
		snprintf(view, sizeof(view), "hypercall and polling (view 1 not armed: ENABLE_VIEW: %s%s)",
			 strerror(-m->view_err), view_err_hint(m->view_err));
	snprintf(buf, size,
		 "module: attached through " MODULE_DEV "; the agent asks via %s; %u check%s registered; %llu request%s served%s",
		 view, m->nr_checks, m->nr_checks == 1 ? "" : "s",
		 (unsigned long long)m->events, m->events == 1 ? "" : "s",
		 module_left_out(m, other, sizeof(other)));
	return buf;
}

/* ---- checks: worker -> parent -> module ---- */

/*
 * vfs-ops' values as the module reads them: the record's struct
 * vmiaas_vfs_check, then the ranges the worker sent (vfs_drop_torn()
 * checked they arrived whole, as many as the record says).
 */
static void *vfs_values(const struct vm_module *m,
			const struct vmiaas_module_check *rec)
{
	size_t head = sizeof(struct vmiaas_vfs_check);
	size_t ranges = rec->len * 2 * sizeof(uint64_t);
	uint8_t *v = malloc(head + ranges);

	if (v) {
		memcpy(v, rec->data, head);
		memcpy(v + head, m->table[VMID_TABLE_VFS], ranges);
	}
	return v;
}

static int set_checks(struct vm_module *m,
		      const struct vmiaas_module_check *rec, uint32_t nr)
{
	struct vmiaas_check *c = calloc(nr ?: 1, sizeof(*c));
	/* none clears the set, and then the module wants no array at all */
	struct vmiaas_set_checks sc = {
		.size = sizeof(sc), .nr_checks = nr,
		.checks = nr ? (uint64_t)(uintptr_t)c : 0,
	};
	void *vfs = NULL;
	uint32_t i;
	int r;

	if (!c)
		return -ENOMEM;
	for (i = 0; i < nr; i++) {
		c[i].type = rec[i].type;
		c[i].flags = rec[i].flags;
		c[i].addr = rec[i].addr;
		c[i].len = rec[i].len;
		c[i].root = rec[i].root;
		/* the module reads values at registration */
		if (rec[i].type == VMIAAS_CHECK_RANGE_GVA)
			memcpy(c[i].digest, rec[i].data, sizeof(c[i].digest));
		else if (rec[i].type == VMIAAS_CHECK_VFS_GVA && !vfs)
			c[i].values = (uint64_t)(uintptr_t)(vfs = vfs_values(m, &rec[i]));
		else
			c[i].values = (uint64_t)(uintptr_t)rec[i].data;
	}
	r = ioctl(m->fd, VMIAAS_IOC_SET_CHECKS, &sc) < 0 ? -errno : 0;
	free(vfs);
	free(c);
	return r;
}

int module_table_msg(struct vm *vm, const struct vmid_msg *m)
{
	static const size_t size[VMID_TABLES] = {
		sizeof(struct vmiaas_proc_watch), 2 * sizeof(uint64_t),
	};
	static const uint32_t max[VMID_TABLES] = {
		VMIAAS_MAX_PROC_TABLE, VMIAAS_MAX_VFS_ALLOW,
	};
	struct vm_module *mod = vm->mod;
	unsigned int k = (unsigned int)m->d;
	size_t per;

	if (!mod || m->d >= VMID_TABLES)
		return -EPROTO;
	per = VMID_MSG_PAYLOAD / size[k];
	if (m->b > max[k] || m->c > per || m->a > m->b || m->c > m->b - m->a)
		return -EPROTO;
	if (!m->a) {	/* a new table: the old one goes */
		free(mod->table[k]);
		mod->table[k] = calloc(m->b ? m->b : 1, size[k]);
		mod->nr_table[k] = mod->table[k] ? m->b : 0;
		mod->got_table[k] = 0;
		if (!mod->table[k])
			return -ENOMEM;
	}
	if (!mod->table[k] || m->b != mod->nr_table[k] ||
	    m->a != mod->got_table[k])
		return -EPROTO;
	memcpy((uint8_t *)mod->table[k] + m->a * size[k], m->s2, m->c * size[k]);
	mod->got_table[k] += (uint32_t)m->c;
	return 0;
}

/* Whether table @k arrived whole, with the @nr entries a record says. */
static bool table_whole(const struct vm_module *mod, unsigned int k,
			uint64_t nr)
{
	return mod->table[k] && mod->got_table[k] == mod->nr_table[k] &&
	       nr == mod->nr_table[k];
}

/*
 * proc-ops' record @c (VMIAAS_CHECK_PROC_MORE) points at the table the
 * worker sent, if whole and the size the record says; else (or with a
 * module that takes no such flag) the record goes without it: its
 * ranges, no watched entries, no root inodes.
 */
static void proc_table_attach(struct vm_module *mod,
			      struct vmiaas_module_check *c)
{
	struct vmiaas_proc_check *pc = (struct vmiaas_proc_check *)c->data;
	struct vmiaas_proc_more *more = (struct vmiaas_proc_more *)(pc + 1);

	if (c->type != VMIAAS_CHECK_PROC_GVA ||
	    !(c->flags & VMIAAS_CHECK_PROC_MORE))
		return;
	if ((mod->check_flags & VMIAAS_CHECK_PROC_MORE) &&
	    (!more->nr_watch ||
	     table_whole(mod, VMID_TABLE_PROC, more->nr_watch))) {
		more->watch = (uint64_t)(uintptr_t)mod->table[VMID_TABLE_PROC];
		return;
	}
	c->flags &= ~VMIAAS_CHECK_PROC_MORE;
	memset(more, 0, sizeof(*more));
	snprintf(c->label, sizeof(c->label),
		 "proc-ops (no watched entries: %s)",
		 mod->check_flags & VMIAAS_CHECK_PROC_MORE ?
		 "the table did not arrive whole" :
		 "this vmiaas.ko takes no table");
}

int module_check_msg(struct vm *vm, const struct vmid_msg *m)
{
	struct vm_module *mod = vm->mod;
	struct vmiaas_module_check rec;

	if (!mod || !m->b || m->b > VMID_MOD_CHECKS_MAX || m->a >= m->b)
		return -EPROTO;
	if (!mod->pending) {
		mod->pending = calloc(VMID_MOD_CHECKS_MAX, sizeof(*mod->pending));
		if (!mod->pending)
			return -ENOMEM;
	}
	memcpy(&rec, m->s2, sizeof(rec));
	rec.label[sizeof(rec.label) - 1] = '\0';
	rec.check[sizeof(rec.check) - 1] = '\0';
	rec.object[sizeof(rec.object) - 1] = '\0';
	mod->pending[m->a] = rec;
	mod->policy_err = m->err;
	/* the last record: the set, as a whole, for the module to validate */
	if (m->a + 1 == m->b)
		checks_register(vm, m->b);
	return 0;
}

/*
 * "syscall-table 1, kernel-text 3, ...": how many of the @nr records in
 * @reg each check has, in the order they come, into @buf.
 */
static const char *checks_by_id(const struct vmiaas_module_check *reg,
				uint32_t nr, char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	for (uint32_t i = 0; i < nr && len < size; i++) {
		uint32_t j, same = 0;

		for (j = 0; j < i && strcmp(reg[j].check, reg[i].check); j++)
			;
		if (j < i)
			continue;	/* counted at its first record */
		for (j = i; j < nr; j++)
			same += !strcmp(reg[j].check, reg[i].check);
		len += (size_t)snprintf(buf + len, size - len, "%s%s %u",
					len ? ", " : "", reg[i].check, same);
	}
	return buf;
}

/*
 * vfs-ops' record out of the @nr in @reg when its allowed ranges did not
 * arrive whole (*ret_torn): the module would judge every table against
 * ranges that are not the guest's. The records left.
 */
static uint32_t vfs_drop_torn(const struct vm_module *mod,
			      struct vmiaas_module_check *reg, uint32_t nr,
			      bool *ret_torn)
{
	uint32_t i, kept = 0;

	for (i = 0; i < nr; i++) {
		if (reg[i].type == VMIAAS_CHECK_VFS_GVA &&
		    !table_whole(mod, VMID_TABLE_VFS, reg[i].len)) {
			*ret_torn = true;
			continue;
		}
		reg[kept++] = reg[i];
	}
	return kept;
}

/*
 * SET_CHECKS with those of the first @nr records the module runs (0:
 * none); the others stay with the worker's full checks.
 */
static void checks_register(struct vm *vm, uint32_t nr)
{
	struct vm_module *mod = vm->mod;
	struct vmiaas_module_check *reg = NULL;
	char left_out[sizeof(mod->left_out)] = "";
	bool vfs_torn = false;
	char by_id[256], note[384];
	uint32_t kept = 0;
	int r;

	if (nr) {
		reg = malloc(nr * sizeof(*reg));
		if (!reg) {
			events_vm(vm, VMID_LOG_ERR, "error",
				  "module: SET_CHECKS of %u checks: out of memory", nr);
			return;
		}
		memcpy(reg, mod->pending, nr * sizeof(*reg));
		nr = vfs_drop_torn(mod, reg, nr, &vfs_torn);
		kept = (uint32_t)vmiaas_module_filter(reg, nr, mod->check_types,
						      left_out, sizeof(left_out));
		for (uint32_t i = 0; i < kept; i++)
			proc_table_attach(mod, &reg[i]);
	}
	r = set_checks(mod, reg, kept);
	if (r < 0) {
		events_vm(vm, VMID_LOG_ERR, "error",
			  "module: SET_CHECKS of %u checks: %s", kept, strerror(-r));
		free(reg);
		return;
	}
	free(mod->reg);
	mod->reg = reg;
	mod->nr_checks = kept;
	snprintf(mod->left_out, sizeof(mod->left_out), "%s", left_out);
	mod->vfs_torn = vfs_torn;
	if (!kept)
		return;
	/* registered from memory the full check found clean, just now */
	mod->last_full = vmid_now();
	module_resolve(vm, ~0ULL);
	events_vm(vm, VMID_LOG_INFO, "module",
		  "%u checks registered with " MODULE_DEV " (%s; from memory the last check found clean)%s",
		  kept, checks_by_id(reg, kept, by_id, sizeof(by_id)),
		  module_left_out(mod, note, sizeof(note)));
}

/* ---- events ---- */

static const char *const sources[] = { "unknown", "exit", "poll", "hypercall" };

#define NAME(tab, i) ((i) < sizeof(tab) / sizeof(tab[0]) ? tab[i] : tab[0])

unsigned int module_nr_open(const struct vm *vm)
{
	return vm->mod ? (unsigned int)__builtin_popcountll(vm->mod->open_mask) : 0;
}

const struct vmiaas_finding *module_open_finding(const struct vm *vm,
						 unsigned int i)
{
	const struct vm_module *mod = vm->mod;

	if (!mod || i >= VMID_MOD_CHECKS_MAX || !(mod->open_mask & (1ULL << i)))
		return NULL;
	return &mod->open[i];
}

/* "resolved" for the open findings of the checks in @mask. */
static void module_resolve(struct vm *vm, uint64_t mask)
{
	struct vm_module *mod = vm->mod;
	unsigned int i;

	for (i = 0; i < VMID_MOD_CHECKS_MAX; i++) {
		if (!(mod->open_mask & mask & (1ULL << i)))
			continue;
		events_finding(vm, "resolved", &mod->open[i]);
		mod->open_mask &= ~(1ULL << i);
		vm->nr_findings_active--;
	}
}

/* What the module named for check @i in @e, or NULL. */
static const struct vmiaas_found *module_found(const struct vmiaas_event *e,
					       unsigned int i)
{
	uint32_t k;

	for (k = 0; k < e->nr_found && k < VMIAAS_EVENT_FOUND; k++)
		if (e->found[k].check == i && e->found[k].kind)
			return &e->found[k];
	return NULL;
}

/*
 * Registered check @i failed: the finding of its check ("module" for the
 * text and syscall table ranges; exec-memory, usermode-helper as
 * vmictl check reports them); for netfilter-hook, proc-ops, packet-tap,
 * input-handler, tracepoint-hook, vfs-ops, tty-ldisc and netdev-hook,
 * what the module's walk named (the hook point, the /proc entry, the
 * packet type, the handler, the tracepoint, the superblock, inode, dentry
 * or file, the discipline, tty or driver, the network device; the
 * pointer).
 */
static void module_finding(const struct vm_module *mod, unsigned int i,
			   const struct vmiaas_event *e, struct vmiaas_finding *f)
{
	const struct vmiaas_module_check *c = mod->reg && i < mod->nr_checks ?
					      &mod->reg[i] : NULL;
	const char *what = c ? c->label : "?";
	const struct vmiaas_found *found;

	*f = (struct vmiaas_finding){
		.severity = c && c->severity ? c->severity : VMIAAS_SEV_CRITICAL,
	};
	snprintf(f->check, sizeof(f->check), "%s",
		 c && c->check[0] ? c->check : "module");
	if (c && c->object[0])
		snprintf(f->object, sizeof(f->object), "%s", c->object);
	else
		snprintf(f->object, sizeof(f->object), "check %u: %s", i, what);
	snprintf(f->message, sizeof(f->message),
		 "vmiaas.ko: %s differs from the guest's memory when vmid last found it clean (check %u; agent request: %s, vCPU %u, seq %llu); a full check follows",
		 what, i, vmid_reason_name(e->reason), e->vcpu,
		 (unsigned long long)e->seq);
	if (c && c->type != VMIAAS_CHECK_EXEC_GVA &&
	    c->type != VMIAAS_CHECK_NF_GVA && c->type != VMIAAS_CHECK_PROC_GVA &&
	    c->type != VMIAAS_CHECK_PTYPE_GVA &&
	    c->type != VMIAAS_CHECK_INPUT_GVA &&
	    c->type != VMIAAS_CHECK_TP_GVA && c->type != VMIAAS_CHECK_VFS_GVA &&
	    c->type != VMIAAS_CHECK_TTY_GVA &&
	    c->type != VMIAAS_CHECK_PROTO_GVA &&
	    c->type != VMIAAS_CHECK_NETDEV_GVA) {
		f->address = c->addr;
		f->flags |= VMIAAS_FINDING_ADDRESS;
	}
	found = module_found(e, i);
	if (c && found && !vmiaas_module_found(c, found, f)) {
		size_t n = strlen(f->message);

		snprintf(f->message + n, sizeof(f->message) - n,
			 " (vmiaas.ko, check %u; agent request: %s, vCPU %u, seq %llu); a full check follows",
			 i, vmid_reason_name(e->reason), e->vcpu,
			 (unsigned long long)e->seq);
	}
}

/* A TAMPERED verdict: a finding per check that newly failed; how many. */
static unsigned int module_findings(struct vm *vm, const struct vmiaas_event *e)
{
	struct vm_module *mod = vm->mod;
	unsigned int i, nr = 0;

	if (!mod->open)
		mod->open = calloc(VMID_MOD_CHECKS_MAX, sizeof(*mod->open));
	for (i = 0; mod->open && i < VMID_MOD_CHECKS_MAX; i++) {
		struct vmiaas_finding *f = &mod->open[i];

		if (!(e->failed_mask & (1ULL << i)) || (mod->open_mask & (1ULL << i)))
			continue;
		module_finding(mod, i, e, f);
		events_finding(vm, "finding", f);
		vmid_count_finding(vm, f);
		mod->open_mask |= 1ULL << i;
		vm->nr_findings_active++;
		nr++;
	}
	return nr;
}

static void module_event(struct vmid *d, struct vm *vm,
			 const struct vmiaas_event *e)
{
	struct vm_module *mod = vm->mod;
	double now = vmid_now();
	unsigned int found = 0;

	mod->events++;
	mod->lost += e->lost;
	vm_count_agent(vm, VMID_AGENT_MODULE, e->status, e->verdict);
	events_vm(vm, e->verdict == VMIAAS_VERDICT_TAMPERED ? VMID_LOG_WARNING :
		  VMID_LOG_INFO, "agent-request",
		  "module: %s request, vCPU %u, seq %llu, via %s: status %d, verdict %s, %u of %u checks failed (mask %#llx)%s",
		  vmid_reason_name(e->reason), e->vcpu, (unsigned long long)e->seq,
		  NAME(sources, e->source), e->status, vmid_verdict_name(e->verdict),
		  e->nr_failed, e->nr_checks, (unsigned long long)e->failed_mask,
		  e->lost ? " (events were lost before this one)" : "");
	/*
	 * A verdict over the whole registered set opens and closes findings;
	 * one over none (the set cleared for a new worker) closes nothing.
	 */
	if (e->verdict == VMIAAS_VERDICT_TAMPERED)
		found = module_findings(vm, e);
	if ((e->verdict == VMIAAS_VERDICT_TAMPERED ||
	     e->verdict == VMIAAS_VERDICT_CLEAN) && mod->nr_checks &&
	    e->nr_checks == mod->nr_checks)
		module_resolve(vm, ~e->failed_mask);
	/*
	 * The full userspace check: always after a new module finding (it
	 * tells a runtime patch from a hook; the scheduler's
	 * priority_min_interval still paces it), else at most once per
	 * agent_min_interval after the last one.
	 */
	if (!found && mod->last_full &&
	    now - mod->last_full < vmid_agent_min_interval(d))
		return;
	if (vmid_check_now(d, vm) >= 0)
		mod->last_full = now;
}

void module_events(struct vmid *d, struct vm *vm)
{
	/* records of m->event_size bytes: sizeof(ev), or 96 (older modules) */
	uint8_t buf[MODULE_EVENTS * sizeof(struct vmiaas_event)];
	uint32_t size;
	ssize_t n;
	size_t i;

	if (!vm->mod)
		return;
	size = vm->mod->event_size;
	n = read(vm->mod->fd, buf, sizeof(buf));
	if (n < 0)
		return;		/* EAGAIN, or not attached any more */
	for (i = 0; i + size <= (size_t)n; i += size) {
		struct vmiaas_event e = { 0 };
		uint32_t filled;

		memcpy(&filled, buf + i, sizeof(filled));
		if (filled < VMIAAS_EVENT_SIZE_V1 || filled > size)
			continue;
		memcpy(&e, buf + i, filled < sizeof(e) ? filled : sizeof(e));
		module_event(d, vm, &e);
	}
}

/* ---- worker: the checks, from guest memory found clean ---- */

static EVP_MD *sha256;

int module_worker_prepare(void)
{
	/* fetched before the sandbox: providers may open files */
	sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
	return sha256 ? 0 : -ENOSYS;
}

static int hash_va(struct vmiaas *v, uint64_t va, uint64_t len, uint8_t *out)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	uint8_t buf[64 * 1024];
	unsigned int n = 0;
	int r = 0;

	if (!ctx || !EVP_DigestInit_ex(ctx, sha256, NULL))
		r = -ENOMEM;
	while (!r && len) {
		size_t k = len < sizeof(buf) ? len : sizeof(buf);

		r = vmiaas_read_va(v, va, buf, k);
		if (!r && !EVP_DigestUpdate(ctx, buf, k))
			r = -EIO;
		va += k;
		len -= k;
	}
	if (!r && (!EVP_DigestFinal_ex(ctx, out, &n) || n != 32))
		r = -EIO;
	EVP_MD_CTX_free(ctx);
	return r;
}

static uint64_t x64_syscalls(struct vmiaas *v)
{
	struct vmiaas_syscall *sc = NULL;
	size_t nr = 0, i;
	uint64_t n = 0;

	if (vmiaas_syscalls(v, &sc, &nr) < 0)
		return 0;
	for (i = 0; i < nr; i++)
		if (sc[i].abi == VMIAAS_ABI_X64 && sc[i].nr + 1 > n)
			n = sc[i].nr + 1;
	free(sc);
	return n;
}

/* A RANGE_GVA record of check "module" (its digest: module_checks_build()). */
static void range_check(struct vmiaas_module_check *c, uint64_t va,
			uint64_t len, uint64_t root)
{
	*c = (struct vmiaas_module_check){
		.type = VMIAAS_CHECK_RANGE_GVA, .addr = va, .len = len,
		.root = root, .severity = VMIAAS_SEV_CRITICAL,
	};
	snprintf(c->check, sizeof(c->check), "module");
}

/* The x64 syscall table as out[0], if its size and address are known. */
static size_t syscall_table_check(struct vmiaas *v, uint64_t root,
				  struct vmiaas_module_check *out)
{
	uint64_t nr_sys = x64_syscalls(v), va;

	if (!nr_sys || vmiaas_symbol_addr(v, "sys_call_table", &va) < 0)
		return 0;
	range_check(&out[0], va, nr_sys * 8, root);
	snprintf(out[0].label, sizeof(out[0].label),
		 "x64 syscall table (%llu entries)", (unsigned long long)nr_sys);
	return 1;
}

/* [_stext, _etext) in at most @max chunks of at least TEXT_CHUNK_MIN. */
static int text_chunks(struct vmiaas *v, uint64_t root,
		       struct vmiaas_module_check *out, size_t max, size_t *ret_nr)
{
	uint64_t start, end, chunk, va;
	size_t nr = 0;

	if (vmiaas_symbol_addr(v, "_stext", &start) < 0 ||
	    vmiaas_symbol_addr(v, "_etext", &end) < 0 || end <= start ||
	    end - start > (uint64_t)max * VMIAAS_MAX_RANGE)
		return -ENOENT;
	chunk = (end - start + max - 1) / max;
	chunk = (chunk + 4095) & ~4095ULL;
	if (chunk < TEXT_CHUNK_MIN)
		chunk = TEXT_CHUNK_MIN;
	for (va = start; va < end && nr < max; va += chunk) {
		uint64_t len = end - va < chunk ? end - va : chunk;

		range_check(&out[nr], va, len, root);
		snprintf(out[nr].label, sizeof(out[nr].label),
			 "kernel text _stext+%#llx..+%#llx",
			 (unsigned long long)(va - start),
			 (unsigned long long)(va - start + len));
		nr++;
	}
	*ret_nr = nr;
	return 0;
}

/*
 * Each function named in @names (module_text: names separated by spaces
 * or commas), from its symbol to the next; names the guest's kallsyms
 * does not have are left out.
 */
static void text_functions(struct vmiaas *v, uint64_t root, const char *names,
			   struct vmiaas_module_check *out, size_t max,
			   size_t *ret_nr)
{
	char name[VMID_MODULE_TEXT_MAX], *save = NULL, *fn;
	uint64_t va, len;
	size_t nr = 0;

	snprintf(name, sizeof(name), "%s", names);
	for (fn = strtok_r(name, " \t,", &save); fn && nr < max;
	     fn = strtok_r(NULL, " \t,", &save)) {
		if (vmiaas_symbol_extent(v, fn, VMIAAS_MAX_RANGE, &va, &len) < 0)
			continue;
		range_check(&out[nr], va, len, root);
		snprintf(out[nr].label, sizeof(out[nr].label),
			 "kernel text %.40s (%llu bytes)", fn,
			 (unsigned long long)len);
		nr++;
	}
	*ret_nr = nr;
}

/*
 * The x64 syscall table and the kernel text through the kernel's page
 * tables: with @text "all" (or empty) [_stext, _etext) in the chunks left
 * by the others, else the functions it names. A legitimate runtime patch
 * of the text (a static key flipped after this check) makes the module
 * say TAMPERED once; the full check that every request triggers tells,
 * and re-registers from the patched text. Then libvmiaas's records for
 * exec-memory and usermode-helper (vmiaas_module_policy(): vmid has no
 * policy of its own); if it fails, *@ret_policy_err says why and the
 * others go alone.
 */
int module_checks_build(struct vmiaas *v, const struct vmiaas_baseline *b,
			const char *text, struct vmiaas_module_check *out,
			size_t max, size_t *ret_nr, int *ret_policy_err)
{
	const struct vmiaas_info *info = vmiaas_info(v);
	size_t nr, more = 0, nr_policy = 0;
	struct vmiaas_module_check *policy;
	int r = 0;

	if (!sha256 || max < 2 + MODULE_POLICY_MAX || !info->pgd_pa)
		return -EINVAL;
	policy = calloc(MODULE_POLICY_MAX, sizeof(*policy));
	if (!policy)
		return -ENOMEM;
	*ret_policy_err = vmiaas_module_policy(v, b, policy, MODULE_POLICY_MAX,
					       &nr_policy);
	max -= nr_policy;
	nr = syscall_table_check(v, info->pgd_pa, out);
	if (!module_text_all(text))
		text_functions(v, info->pgd_pa, text, out + nr, max - nr, &more);
	else
		r = text_chunks(v, info->pgd_pa, out + nr, max - 1, &more);
	nr += more;
	for (size_t i = 0; !r && i < nr; i++)
		r = hash_va(v, out[i].addr, out[i].len, out[i].data);
	if (!r) {
		memcpy(out + nr, policy, nr_policy * sizeof(*policy));
		*ret_nr = nr + nr_policy;
	}
	free(policy);
	return r;
}

bool module_text_all(const char *text)
{
	return !text || !text[0] || !strcmp(text, "all");
}

/* "all", or 1..VMID_MOD_CHECKS_MAX - 1 kallsyms names, for module_text. */
int module_text_valid(const char *text)
{
	size_t names = 0, i;
	bool in = false;

	if (module_text_all(text))
		return 0;
	if (strlen(text) >= VMID_MODULE_TEXT_MAX)
		return -ENAMETOOLONG;
	for (i = 0; text[i]; i++) {
		bool sep = strchr(" \t,", text[i]) != NULL;

		if (!sep && !isalnum((unsigned char)text[i]) &&
		    !strchr("_.$", text[i]))
			return -EINVAL;
		if (!sep && !in)
			names++;
		in = !sep;
	}
	return names && names < VMID_MOD_CHECKS_MAX ? 0 : -EINVAL;
}
