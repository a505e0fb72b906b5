// SPDX-License-Identifier: GPL-2.0
/*
 * vmid: watches every QEMU guest on the node.
 *
 * One process, one poll() loop over: a signalfd (SIGTERM, SIGINT, SIGHUP,
 * SIGCHLD), the control socket and its clients, the metrics listener and
 * its clients, libvirt's event pipe (libvirt.c), and an epoll set of the
 * VMs' descriptors: each worker's socket, each QEMU's pidfd (a VM is
 * detached the moment its QEMU exits) and /dev/vmiaas files. Timers (checks,
 * restarts, request deadlines, the /proc scan, the watchdog) are
 * deadlines on CLOCK_MONOTONIC turned into the poll() timeout. The parent
 * never touches guest memory: workers do (worker.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <getopt.h>
#include <math.h>		/* INFINITY, isfinite(): macros, no -lm */
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "vmid.h"

#ifndef VMIAAS_VERSION
#define VMIAAS_VERSION "0.1.0"
#endif

#define CLI_MAX		32

struct vmid {
	struct vmid_config cfg;
	const char *config_path;
	bool config_given;
	const char *cli_key[CLI_MAX], *cli_val[CLI_MAX];
	int nr_cli;
	bool once;

	uint8_t key[VMIAAS_KEY_SIZE];
	char key_path[VMID_PATH_MAX + 16];
	char socket_path[VMID_PATH_MAX];
	struct vm **vms;
	size_t nr_vms;
	int sfd, cfd, mfd;
	double next_scan;
	bool lv_logged;			/* "libvirt unreachable" said once */
	bool lv_failed;			/* a connection attempt failed */
	bool lv_listed;			/* a listing came since connecting */
	unsigned int lv_resolving;	/* domain lookups out */
	uint64_t lv_seq;		/* of the latest registers request */
	double started;			/* monotonic s */
	double watchdog;		/* s, 0: off */
	double next_watchdog;
	bool stopping;
	bool any_findings;
	char status[256];
	struct vmid_sched sched;	/* CPU budget, spreading (sched.c) */
};

static double dmin(double a, double b)
{
	return a < b ? a : b;
}

double vmid_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

double vmid_realtime(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

size_t vmid_nr_vms(const struct vmid *d)
{
	return d->nr_vms;
}

const struct vm *vmid_vm(const struct vmid *d, size_t i)
{
	return d->vms[i];
}

const struct vmid_sched *vmid_sched(const struct vmid *d)
{
	return &d->sched;
}

const char *vm_state_name(enum vm_state s)
{
	switch (s) {
	case VM_SETTLING:
		return "settling";
	case VM_STARTING:
		return "attaching";
	case VM_READY:
		return "ready";
	case VM_CHECKING:
		return "checking";
	case VM_BACKOFF:
		return "restarting";
	case VM_REFUSED:
		return "refused";
	}
	return "?";
}

/* ---- configuration ---- */

static void config_defaults(struct vmid_config *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->state_dir, sizeof(c->state_dir), "%s", VMID_STATE_DEFAULT);
	snprintf(c->socket, sizeof(c->socket), "%s", VMID_SOCKET_DEFAULT);
	c->interval = 10;
	c->jitter = 0;		/* sched.c spreads the VMs' checks */
	c->scan_interval = 5;
	c->timeout = 60;
	c->backoff_max = 60;
	c->settle = 30;
	c->seccomp = true;
	c->soft_dirty = true;
	snprintf(c->worker_user, sizeof(c->worker_user), "vmiaas");
	snprintf(c->libvirt, sizeof(c->libvirt), "auto");
	snprintf(c->metrics, sizeof(c->metrics), "%s", VMID_METRICS_DEFAULT);
	c->journal = VMID_JOURNAL_AUTO;
	c->agent_poll = 1;
	c->agent_min_interval = 1;
	c->cpu_budget = 20;
	c->priority_min_interval = 1;
}

static int set_seconds(double *slot, const char *v, double min)
{
	char *end;
	double x;

	errno = 0;
	x = strtod(v, &end);
	if (errno || end == v || *end || !isfinite(x) || x < min || x > 86400)
		return -EINVAL;
	*slot = x;
	return 0;
}

/* A share of one core in percent ("5", "5%", "2.5"): 0 (none) .. 10000. */
static int set_percent(double *slot, const char *v)
{
	char *end;
	double x;

	errno = 0;
	x = strtod(v, &end);
	if (end != v && *end == '%')
		end++;
	if (errno || end == v || *end || !isfinite(x) || x < 0 || x > 10000)
		return -EINVAL;
	*slot = x;
	return 0;
}

static int set_str(char *slot, size_t size, const char *v)
{
	if (strlen(v) >= size)
		return -ENAMETOOLONG;
	strcpy(slot, v);
	return 0;
}

static int set_bool(bool *slot, const char *v)
{
	if (!strcmp(v, "yes") || !strcmp(v, "true") || !strcmp(v, "1") ||
	    !strcmp(v, "on"))
		*slot = true;
	else if (!strcmp(v, "no") || !strcmp(v, "false") || !strcmp(v, "0") ||
		 !strcmp(v, "off"))
		*slot = false;
	else
		return -EINVAL;
	return 0;
}

/* 0, -ENOENT (unknown key) or -EINVAL/-ENAMETOOLONG (bad value). */
static int config_set(struct vmid_config *c, const char *k, const char *v)
{
	if (!strcmp(k, "state_dir"))
		return v[0] == '/' ? set_str(c->state_dir, sizeof(c->state_dir), v) : -EINVAL;
	if (!strcmp(k, "key"))
		return set_str(c->key, sizeof(c->key), v);
	if (!strcmp(k, "events"))
		return set_str(c->events, sizeof(c->events), v);
	if (!strcmp(k, "socket"))
		return v[0] == '/' ? set_str(c->socket, sizeof(c->socket), v) : -EINVAL;
	if (!strcmp(k, "match"))
		return set_str(c->match, sizeof(c->match), v);
	if (!strcmp(k, "interval"))
		return set_seconds(&c->interval, v, 0.1);
	if (!strcmp(k, "jitter"))
		return set_seconds(&c->jitter, v, 0);
	if (!strcmp(k, "scan_interval"))
		return set_seconds(&c->scan_interval, v, 0.1);
	if (!strcmp(k, "timeout"))
		return set_seconds(&c->timeout, v, 1);
	if (!strcmp(k, "backoff_max"))
		return set_seconds(&c->backoff_max, v, 1);
	if (!strcmp(k, "backend")) {
		if (strcmp(v, "auto") && strcmp(v, "pid"))
			return -EINVAL;
		c->pid_only = !strcmp(v, "pid");
		return 0;
	}
	if (!strcmp(k, "settle"))
		return set_seconds(&c->settle, v, 0);
	if (!strcmp(k, "agent_poll"))
		return set_seconds(&c->agent_poll, v, 0);
	if (!strcmp(k, "agent_min_interval"))
		return set_seconds(&c->agent_min_interval, v, 0);
	if (!strcmp(k, "cpu_budget"))
		return set_percent(&c->cpu_budget, v);
	if (!strcmp(k, "priority_min_interval"))
		return set_seconds(&c->priority_min_interval, v, 0);
	if (!strcmp(k, "seccomp"))
		return set_bool(&c->seccomp, v);
	if (!strcmp(k, "soft_dirty"))
		return set_bool(&c->soft_dirty, v);
	if (!strcmp(k, "worker_user"))
		return set_str(c->worker_user, sizeof(c->worker_user), v);
	if (!strcmp(k, "vmm"))
		return set_str(c->vmm, sizeof(c->vmm), v);
	if (!strcmp(k, "module")) {
		if (strcmp(v, "auto") && strcmp(v, "off"))
			return -EINVAL;
		c->no_module = !strcmp(v, "off");
		return 0;
	}
	if (!strcmp(k, "module_text"))
		return module_text_valid(v) ?:
		       set_str(c->module_text, sizeof(c->module_text), v);
	if (!strcmp(k, "libvirt"))
		return v[0] ? set_str(c->libvirt, sizeof(c->libvirt), v) : -EINVAL;
	if (!strcmp(k, "metrics"))
		return v[0] ? set_str(c->metrics, sizeof(c->metrics), v) : -EINVAL;
	if (!strcmp(k, "journal")) {
		bool on;

		if (!strcmp(v, "auto")) {
			c->journal = VMID_JOURNAL_AUTO;
			return 0;
		}
		if (set_bool(&on, v) < 0)
			return -EINVAL;
		c->journal = on ? VMID_JOURNAL_YES : VMID_JOURNAL_NO;
		return 0;
	}
	return -ENOENT;
}

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && strchr(" \t\r\n", e[-1]))
		*--e = '\0';
	return s;
}

/* Reads @path into @c; a missing file is fine unless @required. */
static int config_file(struct vmid_config *c, const char *path, bool required)
{
	char line[1024];
	int n = 0, r = 0;
	FILE *f;

	f = fopen(path, "re");
	if (!f) {
		if (errno == ENOENT && !required)
			return 0;
		r = -errno;
		vmid_log(VMID_LOG_ERR, "cannot read %s: %s", path, strerror(errno));
		return r;
	}
	while (fgets(line, sizeof(line), f)) {
		char *s = trim(line), *eq, *k, *v;
		int e;

		n++;
		if (!*s || *s == '#')
			continue;
		eq = strchr(s, '=');
		if (!eq) {
			vmid_log(VMID_LOG_ERR, "%s:%d: expected 'key = value'", path, n);
			r = -EINVAL;
			continue;
		}
		*eq = '\0';
		k = trim(s);
		v = trim(eq + 1);
		e = config_set(c, k, v);
		if (e == -ENOENT) {
			vmid_log(VMID_LOG_WARNING, "%s:%d: unknown key '%s' ignored",
				 path, n, k);
		} else if (e < 0) {
			vmid_log(VMID_LOG_ERR, "%s:%d: invalid %s '%s'", path, n, k, v);
			r = -EINVAL;
		}
	}
	fclose(f);
	return r;
}

/* Defaults, then the file, then the command line. */
static int config_load(struct vmid *d, struct vmid_config *c)
{
	int r, i;

	config_defaults(c);
	r = config_file(c, d->config_path, d->config_given);
	if (r < 0)
		return r;
	for (i = 0; i < d->nr_cli; i++) {
		r = config_set(c, d->cli_key[i], d->cli_val[i]);
		if (r < 0) {
			vmid_log(VMID_LOG_ERR, "invalid --%s '%s'", d->cli_key[i],
				 d->cli_val[i]);
			return r;
		}
	}
	discover_set_vmm(c->vmm);
	return 0;
}

static int mkdir_p(const char *path, mode_t mode)
{
	char buf[VMID_PATH_MAX], *p;

	snprintf(buf, sizeof(buf), "%s", path);
	for (p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, mode) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static int state_setup(struct vmid *d)
{
	const struct vmid_config *c = &d->cfg;
	char path[VMID_PATH_MAX + 16];
	struct vmiaas_diag diag = {};
	int r;

	r = mkdir_p(c->state_dir, 0700);
	snprintf(path, sizeof(path), "%s/baselines", c->state_dir);
	if (r == 0)
		r = mkdir_p(path, 0700);
	if (r < 0) {
		vmid_log(VMID_LOG_ERR, "cannot create %s: %s", path, strerror(-r));
		return r;
	}
	if (c->key[0])
		snprintf(d->key_path, sizeof(d->key_path), "%s", c->key);
	else
		snprintf(d->key_path, sizeof(d->key_path), "%s/host.key", c->state_dir);
	r = vmiaas_key_load(d->key_path, 1, d->key, &diag);
	if (r < 0) {
		vmid_log(VMID_LOG_ERR, "%s", diag.msg);
		return r;
	}
	if (c->events[0])
		snprintf(path, sizeof(path), "%s", c->events);
	else
		snprintf(path, sizeof(path), "%s/events.jsonl", c->state_dir);
	r = events_open(path);
	if (r < 0)
		vmid_log(VMID_LOG_ERR, "cannot open the event file %s: %s", path,
			 strerror(-r));
	/* auto: on under systemd, whose journal would get the log lines */
	events_journal(c->journal == VMID_JOURNAL_YES ||
		       (c->journal == VMID_JOURNAL_AUTO &&
			(getenv("JOURNAL_STREAM") || getenv("INVOCATION_ID"))));
	return r;
}

/* ---- VMs ---- */

static double jitter(const struct vmid *d)
{
	return d->cfg.jitter * (random() / (double)RAND_MAX);
}

void vm_count_error(struct vm *vm, enum vmid_error_kind_metric kind)
{
	vm->m.errors[kind]++;
}

/*
 * A libvirt domain's registers come through libvirt's monitor, asked of
 * libvirt's call thread (libvirt.c): the answer (LV_EV_REGISTERS) goes
 * on with the attach or the check; so does its absence after at most
 * VMID_REGS_WAIT s (a hung libvirtd). Without them the worker finds the
 * kernel by its page tables and checks without the CPU state.
 * True if they were asked; false if there is nothing to wait for, with
 * why not in @err for a libvirt domain.
 */
static bool vm_ask_registers(struct vmid *d, struct vm *vm, bool for_check,
			     char *err, size_t errsize)
{
	int r;

	err[0] = '\0';
	if (!vm->ident.libvirt || vm->ident.qmp[0])
		return false;
	r = lv_connected() ? lv_request(LV_REQ_REGISTERS, vm->ident.uuid,
					d->lv_seq + 1) : -ENOTCONN;
	if (r < 0) {
		snprintf(err, errsize, "%s", r == -ENOTCONN ?
			 "not connected to libvirt" : "too many requests queued for libvirt");
		vm_count_error(vm, VMID_ERR_LIBVIRT);
		return false;
	}
	vm->regs_seq = ++d->lv_seq;
	vm->regs_due = vmid_now() + dmin(VMID_REGS_WAIT, d->cfg.timeout / 2);
	vm->regs_for_check = for_check;
	return true;
}

/* Says which backend and register source the worker will use, and why. */
static void vm_explain(struct vm *vm, const struct vmid *d, bool regs,
		       const char *regs_err)
{
	const char *mem, *src;

	if (vm->ident.shm[0])
		mem = "shm: the RAM is a shared memory-backend-file (share=on), mapped read-only";
	else if (d->cfg.pid_only)
		mem = "pid: backend = pid in the configuration (QEMU's memory, zero-copy for file or memfd RAM)";
	else
		mem = "pid: no shared RAM file on the command line, so QEMU's memory (zero-copy for file or memfd RAM)";
	if (vm->ident.qmp[0])
		src = "registers through the QMP socket";
	else if (regs)
		src = "registers through libvirt's monitor (HMP info registers)";
	else if (vm->ident.libvirt)
		src = "no registers (libvirt's monitor failed)";
	else
		src = "no registers (no QMP socket): kernel found by its page tables";
	snprintf(vm->backend_why, sizeof(vm->backend_why), "%s; %s%s%.200s; found by %s",
		 mem, src, regs_err && regs_err[0] ? ": " : "",
		 regs_err ? regs_err : "",
		 vm->ident.libvirt ? "libvirt" : "the /proc scan");
}

/*
 * The VMs' descriptors live in one epoll set, added when opened and
 * removed before they are closed, so that a wake-up costs what is ready,
 * not a pass of the kernel over 3 x VMs descriptors (the poll() set that
 * was rebuilt at every wake-up cost vmid's daemon most of its CPU). An
 * event names its VM (calloc'ed, so the low bits are free) and which of
 * its descriptors is ready; a VM freed while a batch is being handled is
 * struck from the rest of the batch.
 */
enum vm_fd_kind { VMFD_WORKER, VMFD_PIDFD, VMFD_MODULE, VMFD_MASK = 3 };

#define LOOP_EVENTS	64

static int loop_ep = -1;
static struct epoll_event loop_ev[LOOP_EVENTS];
static int loop_nr_ev;

static int loop_epoll(void)
{
	if (loop_ep < 0)
		loop_ep = epoll_create1(EPOLL_CLOEXEC);
	return loop_ep;
}

static void vm_watch(struct vm *vm, int fd, enum vm_fd_kind kind)
{
	struct epoll_event e = {
		.events = EPOLLIN, .data.u64 = (uintptr_t)vm | kind,
	};

	if (fd < 0)
		return;
	if (loop_epoll() < 0 || epoll_ctl(loop_ep, EPOLL_CTL_ADD, fd, &e) < 0)
		events_vm(vm, VMID_LOG_ERR, "error",
			  "cannot watch descriptor %d: %s: this VM's events are missed",
			  fd, strerror(errno));
}

static void vm_unwatch(int fd)
{
	if (fd >= 0 && loop_ep >= 0)
		epoll_ctl(loop_ep, EPOLL_CTL_DEL, fd, NULL);
}

static void vm_close_worker_fd(struct vm *vm)
{
	vm_unwatch(vm->fd);
	close(vm->fd);
	vm->fd = -1;
}

/* The /dev/vmiaas file, opened once per VM by module_attach(). */
static void vm_module_attach(struct vm *vm)
{
	bool had = module_fd(vm) >= 0;

	module_attach(vm);
	if (!had)
		vm_watch(vm, module_fd(vm), VMFD_MODULE);
}

/* Starts @vm's worker, with libvirt's register text @regs or NULL. */
static void vm_spawn_with(struct vmid *d, struct vm *vm, const char *regs,
			  const char *regs_err)
{
	char path[2 * VMID_PATH_MAX], golden[VMID_PATH_MAX + 8];
	char no_user[VMID_NAME_MAX + 64];
	struct vmid_worker_args a = {
		.ident = &vm->ident,
		.baseline_path = path,
		.golden_dir = golden,
		.key = d->key,
		.seccomp = d->cfg.seccomp,
		.allow_retake = vm->allow_retake,
		.agent_poll_ms = (unsigned int)(dmin(d->cfg.agent_poll, 3600) * 1e3),
		.agent_min_interval_ms =
			(unsigned int)(dmin(d->cfg.agent_min_interval, 3600) * 1e3),
	};
	pid_t pid;

	snprintf(path, sizeof(path), "%s/baselines/%s", d->cfg.state_dir,
		 vm->ident.id);
	snprintf(golden, sizeof(golden), "%s/golden", d->cfg.state_dir);
	worker_user(d->cfg.worker_user, &a, no_user, sizeof(no_user));
	a.vcpus_text = regs;
	vm_explain(vm, d, regs != NULL, regs_err);
	if (!d->cfg.no_module)
		vm_module_attach(vm);
	else
		snprintf(vm->mod_why, sizeof(vm->mod_why),
			 "module: off (module = off in the configuration)");
	a.module = vm->mod != NULL;
	a.module_text = d->cfg.module_text;
	a.dirty = softdirty_attach(vm, d->cfg.pid_only, d->cfg.soft_dirty,
				   d->once);
	fflush(NULL);
	pid = worker_spawn(&a, &vm->fd);
	if (pid >= 0)
		vm_watch(vm, vm->fd, VMFD_WORKER);
	if (pid < 0) {
		events_vm(vm, VMID_LOG_ERR, "error", "cannot start a worker: %s",
			  strerror((int)-pid));
		vm->state = VM_BACKOFF;
		vm->next = vmid_now() + vm->backoff;
		return;
	}
	vm->worker = pid;
	sched_worker_started(vm);
	vm->state = VM_STARTING;
	vm->deadline = vmid_now() + d->cfg.timeout;
	vm->nr_round = 0;
}

static void vm_spawn(struct vmid *d, struct vm *vm)
{
	char err[256];

	if (!vm_ask_registers(d, vm, false, err, sizeof(err)))
		vm_spawn_with(d, vm, NULL, err);
}

static void vm_free(struct vm *vm)
{
	int i;

	for (i = 0; i < loop_nr_ev; i++)
		if ((loop_ev[i].data.u64 & ~(uint64_t)VMFD_MASK) == (uintptr_t)vm)
			loop_ev[i].data.u64 = 0;
	vm_unwatch(module_fd(vm));
	module_detach(vm);
	vm_unwatch(vm->pidfd);
	softdirty_detach(vm);
	if (vm->pidfd >= 0)
		close(vm->pidfd);
	if (vm->fd >= 0)
		vm_close_worker_fd(vm);
	free(vm->active);
	free(vm->round);
	free(vm);
}

/* Stops the worker (if any) and waits for it. */
static void vm_stop_worker(struct vm *vm)
{
	vm->regs_seq = 0;	/* an answer still out is for nobody */
	if (vm->fd >= 0)
		vm_close_worker_fd(vm);
	if (vm->worker > 0) {
		kill(vm->worker, SIGKILL);
		while (waitpid(vm->worker, NULL, 0) < 0 && errno == EINTR)
			;
		vm->worker = 0;
	}
}

static void vm_remove(struct vmid *d, size_t i, const char *why)
{
	struct vm *vm = d->vms[i];

	vm_stop_worker(vm);
	if (why)
		events_vm(vm, VMID_LOG_NOTICE, "detached", "%s", why);
	d->vms[i] = d->vms[--d->nr_vms];
	vm_free(vm);
}

static void vm_add(struct vmid *d, const struct vm_ident *id)
{
	struct vm **vms, *vm;
	double age;

	if (d->nr_vms >= VMID_MAX_VMS)
		return;
	vms = realloc(d->vms, (d->nr_vms + 1) * sizeof(*vms));
	if (!vms)
		return;
	d->vms = vms;
	vm = calloc(1, sizeof(*vm));
	if (!vm)
		return;
	vm->ident = *id;
	if (d->cfg.pid_only)
		vm->ident.shm[0] = '\0';
	vm->fd = -1;
	vm->backoff = 1;
	vm->seen = true;
	vm->allow_retake = true;	/* first sight: trust on first use */
	sched_vm_init(vm);
	vm->pidfd = (int)syscall(SYS_pidfd_open, id->pid, 0);
	if (vm->pidfd >= 0)
		fcntl(vm->pidfd, F_SETFD, FD_CLOEXEC);
	/* the pidfd pins the identity: recheck that it is the same process */
	if (discover_alive(id->pid, id->starttime) < 0) {
		vm_free(vm);
		return;
	}
	d->vms[d->nr_vms++] = vm;
	vm_watch(vm, vm->pidfd, VMFD_PIDFD);
	/* the module needs no booted guest: view 1 is armed from the start */
	if (!d->cfg.no_module)
		vm_module_attach(vm);
	events_vm(vm, VMID_LOG_INFO, "discovered", "%s pid %d, %s%s%s%s",
		  id->vmm[0] ? id->vmm : "VMM", (int)id->pid,
		  vm->ident.shm[0] ? "RAM file " : "pid backend",
		  vm->ident.shm, id->qmp[0] ? ", QMP " : ", no QMP", id->qmp);
	/*
	 * Trust on first use must not trust a kernel still booting (its
	 * text is patched and its module list not yet set up).
	 */
	age = discover_age(id->starttime);
	vm->born = vmid_now() - age;
	if (!d->once && age < d->cfg.settle) {
		vm->state = VM_SETTLING;
		vm->next = vmid_now() + d->cfg.settle - age;
		vmid_log(VMID_LOG_INFO, "%s: %s started %.0f s ago, attaching in %.0f s",
			 id->id, id->vmm[0] ? id->vmm : "its VMM", age, d->cfg.settle - age);
		return;
	}
	/* at once, or when fewer workers are attaching (timers()) */
	vm->state = VM_SETTLING;
	vm->next = vmid_now();
}

/* discover_scan()'s @known: a VM's QEMU, its command line read already */
static bool scan_known(pid_t pid, uint64_t *starttime, void *arg)
{
	const struct vmid *d = arg;
	size_t i;

	for (i = 0; i < d->nr_vms; i++)
		if (d->vms[i]->ident.pid == pid) {
			*starttime = d->vms[i]->ident.starttime;
			return true;
		}
	return false;
}

/*
 * A VM found: its record marked seen, or a new one added. Of a VM known
 * by pid and start time, only those are read (discover_scan()).
 */
static void scan_one(const struct vm_ident *id, void *arg)
{
	struct vmid *d = arg;
	size_t i;

	for (i = 0; i < d->nr_vms; i++) {
		struct vm *vm = d->vms[i];

		if (vm->ident.pid == id->pid && vm->ident.starttime == id->starttime) {
			vm->seen = true;
			if (id->libvirt && !vm->ident.libvirt) {
				/* found by /proc first: libvirt names it now */
				snprintf(vm->ident.uuid, sizeof(vm->ident.uuid), "%s", id->uuid);
				vm->ident.libvirt = true;
			}
			return;
		}
	}
	/* libvirt's QEMUs (-uuid on their command line) come from libvirt */
	if (!id->libvirt && id->uuid[0] && lv_connected())
		return;
	vm_add(d, id);
}

static bool libvirt_wanted(const struct vmid *d)
{
	return strcmp(d->cfg.libvirt, "off") != 0;
}

/* libvirt's threads, once; they connect (and reconnect) on their own. */
static void libvirt_start(struct vmid *d)
{
	const char *uri = strcmp(d->cfg.libvirt, "auto") ? d->cfg.libvirt : NULL;
	int r;

	if (!libvirt_wanted(d))
		return;
	r = lv_start(uri);
	if (r < 0 && !d->lv_logged) {
		vmid_log(VMID_LOG_ERR, "cannot start libvirt's threads: %s",
			 strerror(-r));
		d->lv_logged = true;
	}
}

static void scan(struct vmid *d)
{
	size_t i;
	int r;

	for (i = 0; i < d->nr_vms; i++)
		d->vms[i]->seen = false;
	libvirt_start(d);
	/* events missed (none should be): the listing makes up for them */
	if (lv_connected())
		lv_request(LV_REQ_LIST, NULL, 0);
	r = discover_scan(d->cfg.match, scan_known, scan_one, d);
	if (r < 0) {
		vmid_log(VMID_LOG_ERR, "cannot scan /proc: %s", strerror(-r));
		return;
	}
	for (i = d->nr_vms; i-- > 0;)
		if (!d->vms[i]->seen &&
		    discover_alive(d->vms[i]->ident.pid, d->vms[i]->ident.starttime) < 0)
			vm_remove(d, i, "QEMU exited");
	d->next_scan = vmid_now() + d->cfg.scan_interval;
}

/* FNV-1a over what identifies a finding across rounds. */
static uint64_t finding_hash(const struct vmiaas_finding *f)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	const uint8_t *parts[] = {
		(const uint8_t *)f->check, (const uint8_t *)f->object,
		(const uint8_t *)f->new_symbol, f->new_bytes,
	};
	const size_t lens[] = {
		strnlen(f->check, sizeof(f->check)),
		strnlen(f->object, sizeof(f->object)),
		strnlen(f->new_symbol, sizeof(f->new_symbol)),
		f->nr_bytes <= VMIAAS_FINDING_BYTES_MAX ? f->nr_bytes : 0,
	};
	uint64_t nums[] = { f->severity, f->flags, f->new_value };
	size_t i, j;

	for (i = 0; i < 4; i++)
		for (j = 0; j < lens[i]; j++)
			h = (h ^ parts[i][j]) * 0x100000001b3ULL;
	for (i = 0; i < 3; i++)
		for (j = 0; j < 8; j++)
			h = (h ^ ((nums[i] >> (8 * j)) & 0xff)) * 0x100000001b3ULL;
	return h;
}

static bool in_set(const struct vm_finding_key *set, size_t nr, uint64_t h)
{
	size_t i;

	for (i = 0; i < nr; i++)
		if (set[i].hash == h)
			return true;
	return false;
}

void vmid_count_finding(struct vm *vm, const struct vmiaas_finding *f)
{
	struct vm_fstat *s;
	size_t i;

	for (i = 0; i < vm->m.nr_fstats; i++) {
		s = &vm->m.fstats[i];
		if (s->severity == f->severity &&
		    !strncmp(s->check, f->check, sizeof(s->check) - 1)) {
			s->n++;
			return;
		}
	}
	if (vm->m.nr_fstats == VMID_FSTATS_MAX)
		return;		/* a worker cannot make the series grow */
	s = &vm->m.fstats[vm->m.nr_fstats++];
	snprintf(s->check, sizeof(s->check), "%.*s", (int)sizeof(s->check) - 1,
		 f->check);
	s->severity = (uint8_t)f->severity;
	s->n = 1;
}

static void count_check(struct vm *vm, double ms)
{
	double sec = ms > 0 && ms < 1e9 ? ms / 1e3 : 0;
	size_t k;

	vm->m.checks_ok++;
	vm->m.dur_sum += sec;
	for (k = 0; k < VMID_HIST_BUCKETS; k++)
		if (sec <= vmid_hist_le[k]) {
			vm->m.hist[k]++;
			break;
		}
}

/* A round is complete: new findings and events out, gone ones resolved. */
static void vm_round_done(struct vmid *d, struct vm *vm,
			  const struct vmid_msg *m)
{
	struct vm_finding_key *t;
	uint32_t nr = 0;
	size_t i;

	for (i = 0; i < vm->nr_round; i++) {
		const struct vm_finding_key *k = &vm->round[i];
		bool ev = k->f.flags & VMIAAS_FINDING_EVENT;

		nr += !ev;
		if (!in_set(vm->active, vm->nr_active, k->hash)) {
			events_finding(vm, ev ? "event" : "finding", &k->f);
			if (!ev)
				vmid_count_finding(vm, &k->f);
		}
	}
	for (i = 0; i < vm->nr_active; i++)
		if (!in_set(vm->round, vm->nr_round, vm->active[i].hash) &&
		    !(vm->active[i].f.flags & VMIAAS_FINDING_EVENT))
			events_finding(vm, "resolved", &vm->active[i].f);
	if (vm->nr_dropped)
		events_vm(vm, VMID_LOG_WARNING, "truncated",
			  "%u findings over the limit of %d were dropped",
			  vm->nr_dropped, VMID_MAX_FINDINGS);
	t = vm->active;
	vm->active = vm->round;
	vm->nr_active = vm->nr_round;
	vm->round = t;
	vm->nr_round = 0;
	vm->nr_dropped = 0;
	vm->nr_findings_active = nr + module_nr_open(vm);
	d->any_findings |= nr > 0;
	vm->nr_checks++;
	vm->last_check = vmid_realtime();
	vm->last_ms = m->ms;
	vm->backoff = 1;
	vm->state = VM_READY;
	sched_check_done(&d->sched, vm, vmid_now());
	sched_update(&d->sched, d->vms, d->nr_vms);
	vm->next = sched_next_check(&d->sched, vm) + jitter(d);
	vm->sched.urgent |= vm->check_soon;
	vm->check_soon = false;
	vm->rounds_done = true;
	count_check(vm, m->ms);
	control_vm_round(d, vm, NULL);
}

static void terminate(char *s, size_t size)
{
	s[size - 1] = '\0';
}

static void strtrunc(char *dst, size_t size, const char *s)
{
	size_t n = strnlen(s, size - 1);

	memcpy(dst, s, n);
	dst[n] = '\0';
}

static int vm_finding(struct vm *vm, struct vmid_msg *m)
{
	struct vmiaas_finding *f = &m->f;

	terminate(f->check, sizeof(f->check));
	terminate(f->object, sizeof(f->object));
	terminate(f->message, sizeof(f->message));
	terminate(f->old_symbol, sizeof(f->old_symbol));
	terminate(f->new_symbol, sizeof(f->new_symbol));
	if (f->nr_bytes > VMIAAS_FINDING_BYTES_MAX)
		f->nr_bytes = VMIAAS_FINDING_BYTES_MAX;
	if (vm->nr_round >= VMID_MAX_FINDINGS) {
		vm->nr_dropped++;
		return 0;
	}
	if (!vm->round) {
		vm->round = calloc(VMID_MAX_FINDINGS, sizeof(*vm->round));
		if (!vm->round)
			return -ENOMEM;
	}
	vm->round[vm->nr_round].hash = finding_hash(f);
	vm->round[vm->nr_round].f = *f;
	vm->nr_round++;
	return 0;
}

static const char *const baseline_how[] = {
	[VMID_BASELINE_LOADED] = "loaded",
	[VMID_BASELINE_FIRST] = "taken (trust on first use)",
	[VMID_BASELINE_RETAKEN] = "re-taken",
	[VMID_BASELINE_GOLDEN] = "from the golden baseline",
};

/*
 * A guest whose kernel cannot be found (its decompressor's page tables in
 * CR3...) in the first minutes of its QEMU, or in those after attaching
 * worked before (a reboot inside the QEMU: a check fails, the restarted
 * worker meets the new kernel booting), is booting rather than failing:
 * no error event, no growing backoff, a retry every 3 s, for settle + 120
 * s at most. --once retries so up to timeout (see reap()).
 */
static bool attach_may_boot(const struct vmid *d, struct vm *vm)
{
	double now = vmid_now(), limit = d->cfg.settle + 120;

	if (d->once)
		return true;
	if (!vm->attach_failing)
		vm->attach_failing = now;
	return now - vm->born < limit || now - vm->attach_failing < limit;
}

/* The length of @why up to its first number in hex: the reason's kind. */
static size_t reason_len(const char *why)
{
	const char *hex = strstr(why, "0x");

	return hex ? (size_t)(hex - why) : strlen(why);
}

/*
 * An attach refused because the guest is booting: retried every 3 s
 * (reap()). One "booting" event per run of refusals, a log line when the
 * reason changes (decompressor, then SYSTEM_BOOTING, SYSTEM_SCHEDULING...),
 * not one per attempt.
 */
static void vm_booting(const struct vmid *d, struct vm *vm, const char *why)
{
	size_t kind = reason_len(why);
	double now = vmid_now();

	vm->booting = true;
	vm->boot_tries++;
	if (!vm->boot_since) {
		vm->boot_since = now;
		events_vm(vm, VMID_LOG_NOTICE, "booting",
			  "%s; taken for a guest that boots: not baselined or checked until its kernel runs, attaching again every 3 s for up to %.0f s",
			  why, d->once ? d->cfg.timeout : d->cfg.settle + 120);
	}
	/* the same reason with other addresses (CR3...) is not news */
	if (kind > sizeof(vm->boot_why) - 1)
		kind = sizeof(vm->boot_why) - 1;
	if (!strncmp(vm->boot_why, why, kind) && vm->boot_why[kind] == '\0')
		return;
	memcpy(vm->boot_why, why, kind);
	vm->boot_why[kind] = '\0';
	vmid_log(VMID_LOG_INFO, "%s: %s: attaching again every 3 s (attempt %u, %.0f s since the first)",
		 vm->ident.id, why, vm->boot_tries, now - vm->boot_since);
}

/* A worker's error: booting, rebooted, transient or fatal. */
static void vm_error(struct vmid *d, struct vm *vm, struct vmid_msg *m)
{
	if (vm->state == VM_CHECKING) {
		if (m->a != VMID_ERROR_REBOOTED)
			vm->m.checks_failed++;
		control_vm_round(d, vm, m->a == VMID_ERROR_REBOOTED ?
				 CONTROL_REBOOTED : CONTROL_CHECK_FAILED);
		/* the worker exits: the reap restarts it */
		vm->state = VM_BACKOFF;
		vm->next = INFINITY;
	}
	if ((m->a == VMID_ERROR_TRANSIENT || m->a == VMID_ERROR_BOOTING) &&
	    !strcmp(m->s1, "attach"))
		m->a = attach_may_boot(d, vm) ? VMID_ERROR_BOOTING :
		       VMID_ERROR_TRANSIENT;
	if (m->a == VMID_ERROR_BOOTING) {
		vm_booting(d, vm, m->s2);
		return;
	}
	if (m->a != VMID_ERROR_REBOOTED)
		vm_count_error(vm, !strcmp(m->s1, "attach") ? VMID_ERR_ATTACH :
			       strstr(m->s1, "baseline") ? VMID_ERR_BASELINE :
			       VMID_ERR_CHECK);
	if (m->a == VMID_ERROR_REBOOTED && vm->nr_findings_active) {
		/* never a new baseline over findings */
		events_vm(vm, VMID_LOG_ERR, "error",
			  "%s; with %u active finding%s the baseline is not re-taken: remove it to re-baseline",
			  m->s2, vm->nr_findings_active,
			  vm->nr_findings_active == 1 ? "" : "s");
		vm->state = VM_REFUSED;
		return;
	}
	if (m->a == VMID_ERROR_REBOOTED) {
		events_vm(vm, VMID_LOG_NOTICE, "rebooted",
			  "%s: re-attaching in %.0f s", m->s2, d->cfg.settle);
		vm->rebooted = true;
		vm->reboot_unconfirmed = true;
		return;
	}
	events_vm(vm, VMID_LOG_ERR, "error", "cannot %s: %s%s", m->s1,
		  m->s2, m->a == VMID_ERROR_FATAL ?
		  " (not replaced: remove it to re-baseline)" : "");
	if (m->a == VMID_ERROR_FATAL)
		vm->state = VM_REFUSED;
}

/*
 * The guest agent asked for a check (its RAM mailbox, polled by the
 * worker): check now rather than at the schedule; the worker answers
 * the agent when that check is done.
 */
static int vm_agent(struct vmid *d, struct vm *vm, struct vmid_msg *m)
{
	if (vm->state != VM_READY && vm->state != VM_CHECKING)
		return -EPROTO;
	events_vm(vm, VMID_LOG_INFO, "agent-request",
		  "%s: agent-triggered check", m->s2);
	if (vm->state == VM_READY)
		vm->sched.urgent = true;
	else
		vm->check_soon = true;
	return 0;
}

/* One message from a worker; a negative errno kills the worker. */
static int vm_message(struct vmid *d, struct vm *vm, struct vmid_msg *m)
{
	terminate(m->s1, sizeof(m->s1));
	terminate(m->s2, sizeof(m->s2));
	switch (m->type) {
	case VMID_MSG_ATTACHED:
		if (vm->state != VM_STARTING)
			return -EPROTO;
		strtrunc(vm->backend, sizeof(vm->backend), m->s1);
		strtrunc(vm->kernel, sizeof(vm->kernel), m->s2);
		events_vm(vm, VMID_LOG_INFO, "attached", "backend %s, kernel %s",
			  m->s1, m->s2);
		return 0;
	case VMID_MSG_BASELINE:
		if (vm->state != VM_STARTING || m->a > VMID_BASELINE_GOLDEN)
			return -EPROTO;
		strtrunc(vm->baseline, sizeof(vm->baseline), m->s1);
		events_vm(vm, m->a == VMID_BASELINE_RETAKEN ? VMID_LOG_NOTICE :
			  VMID_LOG_INFO, "baseline", "%s: %s", baseline_how[m->a],
			  m->s2);
		/* the signs a worker took for a reboot were the guest's own */
		if (vm->reboot_unconfirmed && m->a == VMID_BASELINE_LOADED)
			events_vm(vm, VMID_LOG_ERR, "error",
				  "the guest was reported rebooted, but its kernel is the same boot (its baseline loads): the signs were forged or a check failed for another reason");
		vm->reboot_unconfirmed = false;
		return 0;
	case VMID_MSG_READY:
		if (vm->state != VM_STARTING)
			return -EPROTO;
		strtrunc(vm->isolation, sizeof(vm->isolation), m->s2);
		vm->state = VM_READY;
		vm->attach_failing = 0;
		if (vm->boot_since)
			vmid_log(VMID_LOG_INFO, "%s: attached after %u attempts in %.0f s while it booted",
				 vm->ident.id, vm->boot_tries, vmid_now() - vm->boot_since);
		vm->boot_since = 0;
		vm->boot_tries = 0;
		vm->boot_why[0] = '\0';
		vm->allow_retake = false;	/* from now on, a reboot settles */
		vm->next = vmid_now();	/* the first check at once */
		return 0;
	case VMID_MSG_FINDING:
		if (vm->state != VM_CHECKING)
			return -EPROTO;
		return vm_finding(vm, m);
	case VMID_MSG_DONE:
		if (vm->state != VM_CHECKING)
			return -EPROTO;
		vm_round_done(d, vm, m);
		return 0;
	case VMID_MSG_ERROR:
		vm_error(d, vm, m);
		return 0;
	case VMID_MSG_AGENT:
		return vm_agent(d, vm, m);
	case VMID_MSG_MODULE_CHECK:
		return module_check_msg(vm, m);
	case VMID_MSG_MODULE_TABLE:
		return module_table_msg(vm, m);
	case VMID_MSG_DIRTY_EPOCH:
	case VMID_MSG_DIRTY_QUERY:
	case VMID_MSG_DIRTY_STATS:
		return softdirty_msg(vm, m);
	case VMID_MSG_AGENT_ANSWER:
		events_vm(vm, m->err ? VMID_LOG_WARNING : VMID_LOG_INFO,
			  "agent-answer", "%s", m->s2);
		vm_count_agent(vm, VMID_AGENT_MAILBOX, m->err, m->a);
		return 0;
	case VMID_MSG_CRASH:
		if (!m->a || m->a >= NSIG)
			return -EPROTO;
		vm->crash = (struct vmid_msg_crash){
			.sig = (int)m->a, .code = m->err, .addr = m->c,
		};
		return 0;
	}
	return -EPROTO;
}

static void vm_drain(struct vmid *d, struct vm *vm)
{
	struct vmid_msg *m;
	ssize_t n;

	m = malloc(sizeof(*m));
	if (!m)
		return;
	while (vm->fd >= 0) {
		n = recv(vm->fd, m, sizeof(*m), MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n != (ssize_t)sizeof(*m)) {
			/* EOF, or a malformed packet: the worker is done */
			if (n > 0) {
				events_vm(vm, VMID_LOG_ERR, "protocol",
					  "malformed message from the worker");
				vm_count_error(vm, VMID_ERR_PROTOCOL);
			}
			vm_close_worker_fd(vm);
			if (vm->worker > 0 && n != 0)
				kill(vm->worker, SIGKILL);
			break;
		}
		if (vm_message(d, vm, m) < 0) {
			vm_count_error(vm, VMID_ERR_PROTOCOL);
			events_vm(vm, VMID_LOG_ERR, "protocol",
				  "unexpected message %u from the worker in state %s",
				  m->type, vm_state_name(vm->state));
			vm_close_worker_fd(vm);
			kill(vm->worker, SIGKILL);
		}
	}
	free(m);
}

static struct vm *vm_by_worker(struct vmid *d, pid_t pid, size_t *ret_i)
{
	size_t i;

	for (i = 0; i < d->nr_vms; i++) {
		if (d->vms[i]->worker == pid) {
			*ret_i = i;
			return d->vms[i];
		}
	}
	return NULL;
}

/*
 * A worker ended by a fatal signal: the kernel's (it died of it), or one
 * its crash handler caught first and told of (a sanitizer's handler then
 * ended it: an exit, or SIGSYS when seccomp refused the report's system
 * calls while it had signals blocked; worker.c on_crash()).
 */
static void worker_crashed_event(struct vm *vm, pid_t pid, int st)
{
	const struct vmid_msg_crash *c = &vm->crash;
	int sig = c->sig ? c->sig : WTERMSIG(st);
	char where[64] = "";

	if (c->sig && c->code > 0)	/* from the CPU: the fault's address */
		snprintf(where, sizeof(where), " at 0x%llx",
			 (unsigned long long)c->addr);
	else if (c->sig)
		snprintf(where, sizeof(where), " sent by a process");
	events_vm(vm, VMID_LOG_ERR, "worker-crashed",
		  "the worker (pid %d) died of signal %d (%s)%s%s", (int)pid,
		  sig, strsignal(sig), where,
		  c->sig && !(WIFSIGNALED(st) && WTERMSIG(st) == c->sig) ?
		  ", then its sanitizer's handler ended it" : "");
	vm->crash.sig = 0;
}

static void reap(struct vmid *d)
{
	struct vm *vm;
	size_t i;
	pid_t pid;
	int st;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		vm = vm_by_worker(d, pid, &i);
		if (!vm)
			continue;
		vm_drain(d, vm);
		if (vm->fd >= 0)
			vm_close_worker_fd(vm);
		vm->worker = 0;
		if (discover_alive(vm->ident.pid, vm->ident.starttime) < 0) {
			vm_remove(d, i, "QEMU exited");
			continue;
		}
		if (vm->state == VM_CHECKING) {
			vm->m.checks_failed++;
			control_vm_round(d, vm, CONTROL_CHECK_FAILED);
		}
		if (vm->crash.sig ||
		    (WIFSIGNALED(st) && (WTERMSIG(st) != SIGKILL || vm->state != VM_BACKOFF)))
			vm_count_error(vm, VMID_ERR_CRASH);
		if (vm->crash.sig || (WIFSIGNALED(st) && WTERMSIG(st) != SIGKILL))
			worker_crashed_event(vm, pid, st);
		else if (WIFSIGNALED(st) && vm->state != VM_BACKOFF)
			events_vm(vm, VMID_LOG_ERR, "worker-crashed",
				  "the worker (pid %d) was killed", (int)pid);
		if (vm->state == VM_REFUSED) {
			vm->rounds_done = true;
			continue;
		}
		/* --once waits for a booting kernel, up to timeout */
		if (vm->booting && (!d->once ||
				    vmid_now() - d->started < d->cfg.timeout)) {
			vm->booting = false;
			vm->state = VM_SETTLING;
			vm->next = vmid_now() + 3;
			continue;
		}
		if (vm->rebooted && !d->once) {
			/* let the new kernel boot before trusting it */
			vm->rebooted = false;
			vm->allow_retake = true;
			vm->kernel[0] = '\0';
			vm->born = vmid_now();
			vm->state = VM_SETTLING;
			vm->next = vmid_now() + d->cfg.settle;
			continue;
		}
		if (d->once && vm->booting)
			events_vm(vm, VMID_LOG_ERR, "error",
				  "cannot attach within %.0f s: the guest is booting, or not Linux",
				  d->cfg.timeout);
		if (d->once) {
			vm->rounds_done = true;
			vm->state = VM_BACKOFF;
			vm->next = INFINITY;
			continue;
		}
		vm->state = VM_BACKOFF;
		vm->next = vmid_now() + vm->backoff;
		vm->nr_restarts++;
		vmid_log(VMID_LOG_INFO, "%s: restarting its worker in %.0f s",
			 vm->ident.id, vm->backoff);
		vm->backoff = dmin(vm->backoff * 2, d->cfg.backoff_max);
	}
}

/* A check request, with fresh registers (@regs) for a libvirt domain. */
static int vm_send_check(struct vm *vm, const char *regs)
{
	struct vmid_msg m = { .type = VMID_MSG_CHECK };
	size_t len = regs ? strlen(regs) : 0;

	m.a = (uint32_t)len;
	if (send(vm->fd, &m, sizeof(m), MSG_NOSIGNAL | MSG_DONTWAIT) !=
	    (ssize_t)sizeof(m))
		return -EPIPE;
	if (len && send(vm->fd, regs, len, MSG_NOSIGNAL | MSG_DONTWAIT) != (ssize_t)len)
		return -EPIPE;
	return 0;
}

/* The worker cannot take a request: the reap restarts it. */
static void vm_send_failed(struct vm *vm)
{
	kill(vm->worker, SIGKILL);
	vm->next = INFINITY;
	vm->sched.urgent = false;
}

/*
 * libvirt answered @vm's registers request (or did not in time, @regs
 * NULL): the attach or the check it was for goes on, if still wanted.
 */
static void vm_regs_answer(struct vmid *d, struct vm *vm, const char *regs,
			   const char *err)
{
	vm->regs_seq = 0;
	if (!regs)
		vm_count_error(vm, VMID_ERR_LIBVIRT);
	if (vm->regs_for_check) {
		if (vm->state == VM_CHECKING && vm->fd >= 0 &&
		    vm_send_check(vm, regs) < 0)
			vm_send_failed(vm);
	} else if (vm->state == VM_SETTLING ||
		   (vm->state == VM_BACKOFF && !vm->worker)) {
		vm_spawn_with(d, vm, regs, err);
	}
}

static void vm_start_check(struct vmid *d, struct vm *vm, double now)
{
	char err[256];

	if (!vm_ask_registers(d, vm, true, err, sizeof(err)) &&
	    vm_send_check(vm, NULL) < 0) {
		vm_send_failed(vm);
		return;
	}
	sched_check_sent(vm);
	vm->state = VM_CHECKING;
	vm->deadline = now + d->cfg.timeout;
	vm->nr_round = 0;
}

/* Deadlines: checks due, restarts due, requests over their time limit. */
static void timers(struct vmid *d)
{
	double now = vmid_now();
	struct vm *vm;
	size_t i;

	for (i = 0; i < d->nr_vms; i++) {
		vm = d->vms[i];

		if (vm->regs_seq && now >= vm->regs_due) {
			char why[64];

			snprintf(why, sizeof(why), "libvirt did not answer within %.0f s",
				 dmin(VMID_REGS_WAIT, d->cfg.timeout / 2));
			vm_regs_answer(d, vm, NULL, why);
		}
		if ((vm->state == VM_STARTING || vm->state == VM_CHECKING) &&
		    vm->worker > 0 && now >= vm->deadline) {
			events_vm(vm, VMID_LOG_ERR, "worker-timeout",
				  "the worker (pid %d) took more than %.0f s to %s: killed",
				  (int)vm->worker, d->cfg.timeout,
				  vm->state == VM_STARTING ? "attach" : "check");
			kill(vm->worker, SIGKILL);
			vm_count_error(vm, VMID_ERR_TIMEOUT);
			if (vm->state == VM_CHECKING) {
				vm->m.checks_failed++;
				control_vm_round(d, vm, CONTROL_CHECK_FAILED);
			}
			vm->state = VM_BACKOFF;	/* the reap restarts it */
			vm->next = INFINITY;
		} else if ((vm->state == VM_SETTLING ||
			    (vm->state == VM_BACKOFF && !vm->worker)) &&
			   now >= vm->next && !vm->regs_seq &&
			   sched_may_attach(&d->sched, d->vms, d->nr_vms)) {
			vm_spawn(d, vm);
		}
	}
	while ((vm = sched_next(&d->sched, d->vms, d->nr_vms, now)))
		vm_start_check(d, vm, now);
}

static double next_deadline(const struct vmid *d)
{
	double t = d->once ? INFINITY : d->next_scan;
	size_t i;

	for (i = 0; i < d->nr_vms; i++) {
		const struct vm *vm = d->vms[i];

		if (vm->regs_seq)
			t = dmin(t, vm->regs_due);
		if (vm->state == VM_STARTING || vm->state == VM_CHECKING)
			t = dmin(t, vm->deadline);
		else if (vm->state == VM_SETTLING ||
			 (vm->state == VM_BACKOFF && !vm->worker))
			t = dmin(t, vm->next);
	}
	t = dmin(t, sched_deadline(&d->sched, d->vms, d->nr_vms));
	if (d->watchdog > 0)
		t = dmin(t, d->next_watchdog);
	t = dmin(t, control_deadline());
	t = dmin(t, metrics_deadline());
	return t;
}

static void notify_status(struct vmid *d)
{
	char s[256];
	uint32_t f = 0;
	size_t i;

	for (i = 0; i < d->nr_vms; i++)
		f += d->vms[i]->nr_findings_active;
	snprintf(s, sizeof(s), "STATUS=watching %zu VM%s, %u active finding%s",
		 d->nr_vms, d->nr_vms == 1 ? "" : "s", f, f == 1 ? "" : "s");
	if (strcmp(s, d->status)) {
		snprintf(d->status, sizeof(d->status), "%s", s);
		sd_notify(0, s);
	}
}

static void reload(struct vmid *d)
{
	struct vmid_config c;

	sd_notify(0, "RELOADING=1");
	if (config_load(d, &c) < 0) {
		vmid_log(VMID_LOG_ERR, "reload: %s has errors: configuration unchanged",
			 d->config_path);
	} else {
		if (strcmp(c.socket, d->cfg.socket))
			vmid_log(VMID_LOG_WARNING, "reload: the socket path changes only at restart");
		d->cfg = c;
		sched_config(&d->sched, c.cpu_budget, c.interval,
			     c.priority_min_interval);
		sched_update(&d->sched, d->vms, d->nr_vms);
		if (state_setup(d) < 0)
			vmid_log(VMID_LOG_ERR, "reload: state directory, key or event file unusable");
		else
			events_vm(NULL, VMID_LOG_NOTICE, "reloaded",
				  "configuration reloaded from %s", d->config_path);
	}
	sd_notify(0, "READY=1");
}

static bool once_done(const struct vmid *d)
{
	size_t i;

	for (i = 0; i < d->nr_vms; i++)
		if (!d->vms[i]->rounds_done)
			return false;
	return true;
}

static int signals_setup(void)
{
	sigset_t s;

	sigemptyset(&s);
	sigaddset(&s, SIGTERM);
	sigaddset(&s, SIGINT);
	sigaddset(&s, SIGHUP);
	sigaddset(&s, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &s, NULL) < 0)
		return -errno;
	signal(SIGPIPE, SIG_IGN);
	return signalfd(-1, &s, SFD_CLOEXEC | SFD_NONBLOCK);
}

static void on_signals(struct vmid *d)
{
	struct signalfd_siginfo si;

	while (read(d->sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGTERM:
		case SIGINT:
			d->stopping = true;
			break;
		case SIGHUP:
			reload(d);
			break;
		case SIGCHLD:
			reap(d);
			break;
		}
	}
}

static struct vm *vm_by_uuid(struct vmid *d, const char *uuid, size_t *ret_i)
{
	size_t i;

	for (i = 0; i < d->nr_vms; i++) {
		if (d->vms[i]->ident.libvirt && !strcmp(d->vms[i]->ident.uuid, uuid)) {
			*ret_i = i;
			return d->vms[i];
		}
	}
	return NULL;
}

/* A domain started, or listed and not watched yet: libvirt looks it up. */
static void libvirt_resolve(struct vmid *d, const char *uuid)
{
	if (lv_request(LV_REQ_RESOLVE, uuid, 0) == 0)
		d->lv_resolving++;
}

/* One domain of a listing: watched already, or to be looked up. */
static void libvirt_active(struct vmid *d, const struct lv_event *e)
{
	struct vm *vm;
	size_t i;

	vm = vm_by_uuid(d, e->uuid, &i);
	if (vm)
		vm->lv_listed = true;
	else if (!d->cfg.match[0] || !fnmatch(d->cfg.match, e->msg, 0))
		libvirt_resolve(d, e->uuid);
}

/*
 * A complete listing: libvirt's domains that it no longer runs are
 * detached (stopped while the connection was down: their QEMU's pidfd
 * has usually said so already).
 */
static void libvirt_listed(struct vmid *d, const struct lv_event *e)
{
	size_t i;

	if (e->err) {
		vmid_log(VMID_LOG_WARNING, "cannot list libvirt's domains: %s", e->msg);
	} else {
		for (i = d->nr_vms; i-- > 0;)
			if (d->vms[i]->ident.libvirt && !d->vms[i]->lv_listed)
				vm_remove(d, i, "libvirt: the domain is no longer running (found by listing the domains)");
		d->lv_listed = true;
	}
	for (i = 0; i < d->nr_vms; i++)
		d->vms[i]->lv_listed = false;
}

/* The answer to a lookup: the domain's identity, or it is gone again. */
static void libvirt_domain(struct vmid *d, const struct lv_event *e)
{
	if (d->lv_resolving)
		d->lv_resolving--;
	if (e->err)
		return;		/* gone again, or not ours to read */
	if (d->cfg.match[0] && fnmatch(d->cfg.match, e->id.name, 0))
		return;
	scan_one(&e->id, d);
}

static void libvirt_registers(struct vmid *d, const struct lv_event *e)
{
	struct vm *vm;
	size_t i;

	vm = vm_by_uuid(d, e->uuid, &i);
	if (vm && vm->regs_seq && vm->regs_seq == e->seq)
		vm_regs_answer(d, vm, e->err ? NULL : e->text, e->msg);
}

/* The connection: (re)connected, unreachable, closed. */
static void libvirt_connection(struct vmid *d, const struct lv_event *e)
{
	const char *uri = strcmp(d->cfg.libvirt, "auto") ? d->cfg.libvirt : NULL;

	switch (e->kind) {
	case LV_EV_CONNECTED:
		d->lv_logged = false;
		events_vm(NULL, VMID_LOG_NOTICE, "libvirt",
			  "connected to %s: following its domains' lifecycle events",
			  e->msg);
		break;
	case LV_EV_UNREACHABLE:
		d->lv_failed = true;
		if (!d->lv_logged)
			vmid_log(uri ? VMID_LOG_ERR : VMID_LOG_INFO,
				 "libvirt (%s) not reachable: %s; QEMU processes are found in /proc (retried with a backoff up to 30 s)",
				 uri ? uri : VMID_LIBVIRT_URI, e->msg);
		d->lv_logged = true;
		break;
	case LV_EV_CLOSED:
		events_vm(NULL, VMID_LOG_WARNING, "libvirt",
			  "the connection to libvirt closed: reconnecting; its domains stay attached");
		break;
	}
}

/*
 * The guest rebooted inside its QEMU (libvirt's reboot event): its
 * kernel will be elsewhere. The worker is stopped now, before a check
 * can compare the baseline with a booting kernel; after the settle time
 * a new worker re-takes the baseline ("another boot")—unless findings
 * are active: a baseline is never re-taken over a finding.
 */
static void vm_rebooted(struct vmid *d, struct vm *vm)
{
	if (vm->state == VM_REFUSED)
		return;
	if (vm->nr_findings_active) {
		events_vm(vm, VMID_LOG_ERR, "error",
			  "libvirt: the guest rebooted; with %u active finding%s the baseline is not re-taken: remove it to re-baseline",
			  vm->nr_findings_active, vm->nr_findings_active == 1 ? "" : "s");
		vm_stop_worker(vm);
		vm->state = VM_REFUSED;
		return;
	}
	events_vm(vm, VMID_LOG_NOTICE, "rebooted",
		  "libvirt: the guest rebooted: re-attaching in %.0f s", d->cfg.settle);
	vm_stop_worker(vm);
	if (vm->state == VM_CHECKING)
		control_vm_round(d, vm, CONTROL_REBOOTED);
	vm->kernel[0] = '\0';
	vm->born = vmid_now();
	vm->rebooted = false;
	vm->allow_retake = true;
	vm->state = VM_SETTLING;
	vm->next = vmid_now() + d->cfg.settle;
}

/* A lifecycle event of a domain vmid may watch. */
static void libvirt_lifecycle(struct vmid *d, const struct lv_event *e)
{
	struct vm *vm;
	size_t i;
	char why[64];

	if (e->kind == LV_EV_STARTED) {
		libvirt_resolve(d, e->uuid);
		return;
	}
	vm = vm_by_uuid(d, e->uuid, &i);
	if (!vm)
		return;
	if (e->kind == LV_EV_STOPPED) {
		snprintf(why, sizeof(why), "libvirt: domain %s",
			 lv_stopped_why(e->detail));
		vm_remove(d, i, why);
	} else if (e->kind == LV_EV_MIGRATING) {
		events_vm(vm, VMID_LOG_INFO, "migrating",
			  "libvirt: paused for an outgoing migration; detached when it has migrated away");
	} else if (e->kind == LV_EV_REBOOTED) {
		vm_rebooted(d, vm);
	}
}

static void on_libvirt(struct vmid *d)
{
	struct lv_event e;
	eventfd_t n;

	(void)!eventfd_read(lv_event_fd(), &n);	/* then every record */
	while (lv_event_read(&e) == 0) {
		switch (e.kind) {
		case LV_EV_CONNECTED:
		case LV_EV_UNREACHABLE:
		case LV_EV_CLOSED:
			libvirt_connection(d, &e);
			break;
		case LV_EV_ACTIVE:
			libvirt_active(d, &e);
			break;
		case LV_EV_LISTED:
			libvirt_listed(d, &e);
			break;
		case LV_EV_DOMAIN:
			libvirt_domain(d, &e);
			break;
		case LV_EV_REGISTERS:
			libvirt_registers(d, &e);
			break;
		case LV_EV_OVERFLOW:
			lv_request(LV_REQ_LIST, NULL, 0);
			break;
		default:
			libvirt_lifecycle(d, &e);
		}
		free(e.text);
	}
}

/*
 * --once: libvirt's domains before the one round (at most 10 s, or
 * the request timeout); the daemon does not wait, they come as events.
 */
static void libvirt_wait_once(struct vmid *d)
{
	struct pollfd p = { .fd = lv_event_fd(), .events = POLLIN };
	double end = vmid_now() + dmin(d->cfg.timeout, 10);

	while (p.fd >= 0 && !d->lv_failed && !(d->lv_listed && !d->lv_resolving)) {
		double t = end - vmid_now();

		if (t <= 0 || (poll(&p, 1, (int)(t * 1000) + 1) < 0 && errno != EINTR))
			break;
		on_libvirt(d);
	}
}

struct vm *vmid_vm_find(struct vmid *d, const char *name)
{
	size_t i;

	for (i = 0; i < d->nr_vms; i++) {
		struct vm *vm = d->vms[i];

		if (!strcmp(vm->ident.id, name) || !strcmp(vm->ident.name, name) ||
		    (vm->ident.uuid[0] && !strcmp(vm->ident.uuid, name)))
			return vm;
	}
	return NULL;
}

double vmid_agent_min_interval(const struct vmid *d)
{
	return d->cfg.agent_min_interval;
}

/* 0: the VM's next check starts now; 1: after the round under way. */
int vmid_check_now(struct vmid *d, struct vm *vm)
{
	if (vm->state == VM_READY) {
		vm->sched.urgent = true;
		return 0;
	}
	if (vm->state == VM_CHECKING) {
		vm->check_soon = true;
		return 1;
	}
	return -EAGAIN;
}

/*
 * An operator's request (control socket): the stored baseline goes, the
 * worker is restarted and takes a new one on first use. Active findings
 * are then compared with the new baseline and resolved by the next round.
 * This is the one way to re-baseline over findings, and it is an event.
 */
int vmid_rebaseline(struct vmid *d, struct vm *vm)
{
	char path[2 * VMID_PATH_MAX];

	snprintf(path, sizeof(path), "%s/baselines/%s", d->cfg.state_dir,
		 vm->ident.id);
	if (unlink(path) < 0 && errno != ENOENT)
		return -errno;
	events_vm(vm, VMID_LOG_NOTICE, "baseline",
		  "removed on request (control socket): re-taken at the next attach");
	if (vm->state == VM_CHECKING)
		control_vm_round(d, vm, CONTROL_CHECK_FAILED);
	vm_stop_worker(vm);
	vm->allow_retake = true;
	vm->booting = vm->rebooted = false;
	vm->state = VM_SETTLING;
	vm->next = vmid_now();
	return 0;
}

/* Counts @name in backends[]/counts[]; returns the new length. */
static size_t count_backend(const char *name, const char **backends,
			    size_t *counts, size_t nr, size_t max)
{
	size_t j;

	for (j = 0; j < nr && strcmp(backends[j], name); j++)
		;
	if (j == nr) {
		if (nr == max)
			return nr;
		backends[nr] = name;
		counts[nr++] = 0;
	}
	counts[j]++;
	return nr;
}

/* A VM attached through /dev/vmiaas counts as "module" too. */
size_t vmid_nr_attached(const struct vmid *d, const char **backends,
			size_t *counts, size_t max)
{
	size_t i, nr = 0;

	for (i = 0; i < d->nr_vms; i++) {
		const struct vm *vm = d->vms[i];

		if (module_fd(vm) >= 0)
			nr = count_backend("module", backends, counts, nr, max);
		if ((vm->state != VM_READY && vm->state != VM_CHECKING) ||
		    !vm->backend[0])
			continue;
		nr = count_backend(vm->backend, backends, counts, nr, max);
	}
	return nr;
}

bool vmid_libvirt_connected(const struct vmid *d)
{
	return lv_connected();
}

/* The pollfd layout of one loop iteration; the VMs are in the epoll set. */
struct loop_fds {
	struct pollfd p[5 + CONTROL_MAX_CLIENTS + METRICS_MAX_CLIENTS];
	size_t n;
	size_t ctl, nr_ctl;	/* control clients */
	size_t met, nr_met;	/* metrics clients */
	size_t lv;		/* libvirt's event pipe */
	size_t ep;		/* the VMs' epoll set */
};

static void loop_fds_build(struct vmid *d, struct loop_fds *l)
{
	struct pollfd *p = l->p;

	l->n = 0;
	p[l->n++] = (struct pollfd){ .fd = d->sfd, .events = POLLIN };
	p[l->n++] = (struct pollfd){ .fd = d->cfd, .events = POLLIN };
	p[l->n++] = (struct pollfd){ .fd = d->mfd, .events = POLLIN };
	l->lv = l->n;
	p[l->n++] = (struct pollfd){ .fd = lv_event_fd(), .events = POLLIN };
	l->ep = l->n;
	p[l->n++] = (struct pollfd){ .fd = loop_ep, .events = POLLIN };
	l->ctl = l->n;
	l->nr_ctl = control_pollfds(p + l->n, CONTROL_MAX_CLIENTS);
	l->n += l->nr_ctl;
	l->met = l->n;
	l->nr_met = metrics_pollfds(p + l->n, METRICS_MAX_CLIENTS);
	l->n += l->nr_met;
}

/* QEMU exited: @vm is detached (found by its place in d->vms). */
static void vm_exited(struct vmid *d, const struct vm *vm)
{
	size_t i;

	for (i = 0; i < d->nr_vms; i++) {
		if (d->vms[i] == vm) {
			vm_remove(d, i, "QEMU exited");
			return;
		}
	}
}

/*
 * The VMs' ready descriptors: workers' messages and module events first,
 * then exits, so that what a worker sent before its QEMU exited is read.
 */
static void loop_vms(struct vmid *d)
{
	int i, pass;

	loop_nr_ev = epoll_wait(loop_ep, loop_ev, LOOP_EVENTS, 0);
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < loop_nr_ev; i++) {
			uint64_t u = loop_ev[i].data.u64;
			struct vm *vm = (struct vm *)(uintptr_t)(u & ~(uint64_t)VMFD_MASK);
			enum vm_fd_kind kind = u & VMFD_MASK;

			if (!vm || (kind == VMFD_PIDFD) != (pass == 1))
				continue;
			if (kind == VMFD_WORKER && vm->fd >= 0)
				vm_drain(d, vm);
			else if (kind == VMFD_MODULE)
				module_events(d, vm);
			else if (kind == VMFD_PIDFD)
				vm_exited(d, vm);
		}
	}
	loop_nr_ev = 0;
}

static int run(struct vmid *d)
{
	struct loop_fds l = {};
	uint64_t usec;

	if (loop_epoll() < 0)
		return -errno;
	d->started = vmid_now();
	if (sd_watchdog_enabled(0, &usec) > 0) {
		d->watchdog = usec / 2e6;
		d->next_watchdog = vmid_now();
	}
	if (d->once) {
		libvirt_start(d);
		libvirt_wait_once(d);
	}
	scan(d);
	sd_notify(0, "READY=1");
	vmid_log(VMID_LOG_NOTICE, "watching %zu VM%s (interval %.1f s, state in %s)",
		 d->nr_vms, d->nr_vms == 1 ? "" : "s", d->cfg.interval,
		 d->cfg.state_dir);
	while (!d->stopping) {
		double t, now;
		int timeout;

		if (d->once && once_done(d))
			break;
		timers(d);
		control_timers(d);
		metrics_timers();
		now = vmid_now();
		if (!d->once && now >= d->next_scan)
			scan(d);
		if (d->watchdog > 0 && now >= d->next_watchdog) {
			sd_notify(0, "WATCHDOG=1");
			d->next_watchdog = now + d->watchdog;
		}
		notify_status(d);

		loop_fds_build(d, &l);
		t = next_deadline(d) - vmid_now();
		timeout = t <= 0 ? 0 : t > 60 ? 60000 : (int)(t * 1000) + 1;
		if (poll(l.p, l.n, timeout) < 0 && errno != EINTR)
			return -errno;
		if (l.p[0].revents)
			on_signals(d);
		if (l.p[1].revents & POLLIN)
			control_accept(d->cfd);
		if (l.p[2].revents & POLLIN)
			metrics_accept();
		if (l.p[l.lv].revents & POLLIN)
			on_libvirt(d);
		control_io(d, l.p + l.ctl, l.nr_ctl);
		metrics_io(d, l.p + l.met, l.nr_met);
		if (l.p[l.ep].revents & POLLIN)
			loop_vms(d);
	}
	return 0;
}

static void shutdown_all(struct vmid *d)
{
	sd_notify(0, "STOPPING=1");
	while (d->nr_vms)
		vm_remove(d, d->nr_vms - 1, NULL);
	free(d->vms);
	d->vms = NULL;
}

/* ---- options ---- */

static void usage(FILE *f)
{
	fputs("Usage: vmid [OPTIONS]\n"
	      "\n"
	      "Watches every QEMU guest on this node (libvirt's domains through\n"
	      "libvirt, other QEMU processes in /proc): attaches each (its shared RAM\n"
	      "file, else the QEMU process), takes an integrity baseline the first\n"
	      "time it sees the guest, checks it against the baseline on a schedule\n"
	      "and reports every finding (JSON lines, journal, metrics). Runs in the\n"
	      "foreground (systemd Type=notify). See vmid(8).\n"
	      "\n"
	      "  -c, --config FILE     configuration (default " VMID_CONFIG_DEFAULT ")\n"
	      "      --state-dir DIR   baselines, host key, events (default " VMID_STATE_DEFAULT ")\n"
	      "      --events FILE     JSON-lines event file, '-' for stdout\n"
	      "                        (default STATE_DIR/events.jsonl)\n"
	      "      --interval S      seconds between checks of a VM (default 10)\n"
	      "      --jitter S        up to S extra seconds, random (default 0)\n"
	      "      --scan-interval S\n"
	      "                        seconds between scans for new VMs (default 5)\n"
	      "      --timeout S       a worker's time limit per request (default 60)\n"
	      "      --cpu-budget PCT  share of one core the checks may use, in %;\n"
	      "                        over it, intervals stretch (default 20, 0: none)\n"
	      "      --socket PATH     control socket (default " VMID_SOCKET_DEFAULT ")\n"
	      "      --match GLOB      only VMs whose -name matches GLOB\n"
	      "      --key FILE        host key (default STATE_DIR/host.key)\n"
	      "      --settle S        attach a QEMU only once it is S s old, so that\n"
	      "                        its guest has booted (default 30)\n"
	      "      --no-seccomp      workers without their seccomp allow-list\n"
	      "      --libvirt URI     libvirt connection: auto (default: qemu:///system\n"
	      "                        when reachable), off, or a URI\n"
	      "      --metrics ADDR:PORT  Prometheus endpoint (default " VMID_METRICS_DEFAULT "),\n"
	      "                        'off' for none\n"
	      "      --journal auto|yes|no  findings as structured journal entries\n"
	      "                        (default auto: when run by systemd)\n"
	      "      --once            one scan and one check of each VM, then exit\n"
	      "                        (exit status 1 when there were findings)\n"
	      "  -h, --help            this help\n"
	      "      --version         the version\n"
	      "\n"
	      "Signals: SIGHUP reloads the configuration and reopens the event file;\n"
	      "SIGTERM and SIGINT stop. Exit status: 0, 1 (--once: findings), 2 usage,\n"
	      "3 failure.\n", f);
}

enum {
	OPT_STATE = 0x100, OPT_EVENTS, OPT_INTERVAL, OPT_JITTER, OPT_SCAN,
	OPT_TIMEOUT, OPT_SOCKET, OPT_MATCH, OPT_KEY, OPT_SETTLE, OPT_LIBVIRT,
	OPT_METRICS, OPT_JOURNAL, OPT_CPU_BUDGET, OPT_SECCOMP, OPT_ONCE,
	OPT_VERSION,
};

static const struct option options[] = {
	{ "config", required_argument, NULL, 'c' },
	{ "state-dir", required_argument, NULL, OPT_STATE },
	{ "events", required_argument, NULL, OPT_EVENTS },
	{ "interval", required_argument, NULL, OPT_INTERVAL },
	{ "jitter", required_argument, NULL, OPT_JITTER },
	{ "scan-interval", required_argument, NULL, OPT_SCAN },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "socket", required_argument, NULL, OPT_SOCKET },
	{ "match", required_argument, NULL, OPT_MATCH },
	{ "key", required_argument, NULL, OPT_KEY },
	{ "settle", required_argument, NULL, OPT_SETTLE },
	{ "no-seccomp", no_argument, NULL, OPT_SECCOMP },
	{ "libvirt", required_argument, NULL, OPT_LIBVIRT },
	{ "metrics", required_argument, NULL, OPT_METRICS },
	{ "journal", required_argument, NULL, OPT_JOURNAL },
	{ "cpu-budget", required_argument, NULL, OPT_CPU_BUDGET },
	{ "once", no_argument, NULL, OPT_ONCE },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{}
};

static const char *const opt_keys[] = {
	[OPT_STATE - OPT_STATE] = "state_dir",
	[OPT_EVENTS - OPT_STATE] = "events",
	[OPT_INTERVAL - OPT_STATE] = "interval",
	[OPT_JITTER - OPT_STATE] = "jitter",
	[OPT_SCAN - OPT_STATE] = "scan_interval",
	[OPT_TIMEOUT - OPT_STATE] = "timeout",
	[OPT_SOCKET - OPT_STATE] = "socket",
	[OPT_MATCH - OPT_STATE] = "match",
	[OPT_KEY - OPT_STATE] = "key",
	[OPT_SETTLE - OPT_STATE] = "settle",
	[OPT_SECCOMP - OPT_STATE] = "seccomp",
	[OPT_LIBVIRT - OPT_STATE] = "libvirt",
	[OPT_METRICS - OPT_STATE] = "metrics",
	[OPT_JOURNAL - OPT_STATE] = "journal",
	[OPT_CPU_BUDGET - OPT_STATE] = "cpu_budget",
};

static int parse_args(struct vmid *d, int argc, char **argv)
{
	int opt;

	while ((opt = getopt_long(argc, argv, "c:h", options, NULL)) != -1) {
		switch (opt) {
		case 'c':
			d->config_path = optarg;
			d->config_given = true;
			break;
		case 'h':
			usage(stdout);
			exit(VMID_EXIT_OK);
		case OPT_VERSION:
			printf("vmid %s\n", VMIAAS_VERSION);
			exit(VMID_EXIT_OK);
		case OPT_ONCE:
			d->once = true;
			break;
		case '?':
			fputs("Try 'vmid --help' for more information.\n", stderr);
			return -EINVAL;
		default:
			if (opt < OPT_STATE || opt > OPT_SECCOMP || d->nr_cli >= CLI_MAX)
				return -EINVAL;
			d->cli_key[d->nr_cli] = opt_keys[opt - OPT_STATE];
			d->cli_val[d->nr_cli++] = opt == OPT_SECCOMP ? "no" : optarg;
			break;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "vmid: unexpected argument '%s'\n"
			"Try 'vmid --help' for more information.\n", argv[optind]);
		return -EINVAL;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct vmid d = { .config_path = VMID_CONFIG_DEFAULT, .sfd = -1, .cfd = -1,
			  .mfd = -1 };
	int r;

	if (parse_args(&d, argc, argv) < 0)
		return VMID_EXIT_USAGE;
	if (config_load(&d, &d.cfg) < 0)
		return VMID_EXIT_USAGE;
	srandom((unsigned int)(getpid() ^ (unsigned int)vmid_realtime()));
	sched_init(&d.sched, d.once);
	sched_config(&d.sched, d.cfg.cpu_budget, d.cfg.interval,
		     d.cfg.priority_min_interval);
	if (state_setup(&d) < 0)
		return VMID_EXIT_FAILURE;
	d.sfd = signals_setup();
	if (d.sfd < 0) {
		vmid_log(VMID_LOG_ERR, "cannot set up signals: %s", strerror(-d.sfd));
		return VMID_EXIT_FAILURE;
	}
	if (!d.once) {
		snprintf(d.socket_path, sizeof(d.socket_path), "%s", d.cfg.socket);
		d.cfd = control_open(d.socket_path);
		if (d.cfd < 0) {
			vmid_log(VMID_LOG_ERR, "cannot listen on %s: %s%s", d.socket_path,
				 strerror(-d.cfd), d.cfd == -EADDRINUSE ?
				 " (another vmid is running)" : "");
			return VMID_EXIT_FAILURE;
		}
		events_set_sink(control_sink);
		if (strcmp(d.cfg.metrics, "off")) {
			d.mfd = metrics_open(d.cfg.metrics);
			if (d.mfd < 0) {
				vmid_log(VMID_LOG_ERR, "cannot serve metrics on %s: %s",
					 d.cfg.metrics, d.mfd == -EINVAL ?
					 "want ADDR:PORT or off" : strerror(-d.mfd));
				control_close(d.cfd, d.socket_path);
				return VMID_EXIT_FAILURE;
			}
		}
	}
	r = run(&d);
	if (r < 0)
		vmid_log(VMID_LOG_ERR, "main loop: %s", strerror(-r));
	shutdown_all(&d);
	events_set_sink(NULL);
	control_shutdown();
	control_close(d.cfd, d.socket_path);
	metrics_close();
	lv_stop();
	close(d.sfd);
	events_close();
	if (r < 0)
		return VMID_EXIT_FAILURE;
	vmid_log(VMID_LOG_NOTICE, "stopped");
	return d.once && d.any_findings ? VMID_EXIT_FINDINGS : VMID_EXIT_OK;
}
