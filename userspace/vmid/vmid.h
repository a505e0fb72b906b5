/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmid: the node daemon. Finds the QEMU processes on the node, attaches
 * each in a forked, de-privileged worker, baselines it on first sight and
 * checks it on a schedule; findings go to a JSON-lines file and the
 * journal. See docs/vmid.md.
 *
 *   vmid.c      options, configuration, the main loop, signals, sd_notify
 *   discover.c  /proc scan: QEMU processes and their command lines
 *   worker.c    the per-VM worker process and its wire protocol
 *   events.c    logging (stderr with <N> prefixes), JSON-lines events and
 *               their structured journal entries
 *   control.c   the control socket (status, check, findings, follow)
 *   libvirt.c   libvirt: domains, lifecycle events, registers via its monitor
 *   metrics.c   the Prometheus endpoint (HTTP/1.0 GET /metrics)
 *   softdirty.c the soft-dirty skip: epochs and page queries answered for
 *               the workers from QEMU's /proc files
 */
#ifndef VMID_H
#define VMID_H

#include <stdbool.h>
#include <stdint.h>
#include <poll.h>
#include <stdio.h>
#include <sys/types.h>
#include <time.h>

#include <vmiaas/checks.h>

#define VMID_CONFIG_DEFAULT	"/etc/vmiaas/vmid.conf"
#define VMID_STATE_DEFAULT	"/var/lib/vmiaas"
#define VMID_SOCKET_DEFAULT	"/run/vmiaas/vmid.sock"
#define VMID_METRICS_DEFAULT	"127.0.0.1:9848"
#define VMID_LIBVIRT_URI	"qemu:///system"
#define VMID_LIBVIRT_RUN	"/run/libvirt/qemu"	/* NAME.pid */
#define VMID_REGS_MAX		(64 * 1024)	/* "info registers -a" text */
#define VMID_REGS_WAIT		3.0	/* s an attach or check waits for them */
#define VMID_PATH_MAX		512
#define VMID_NAME_MAX		128
/* Caps on what a (possibly compromised) worker can make the parent hold. */
#define VMID_MAX_VMS		1024
#define VMID_MAX_FINDINGS	1024	/* per VM and round */

/* Exit statuses. */
#define VMID_EXIT_OK		0
#define VMID_EXIT_FINDINGS	1	/* --once: there were findings */
#define VMID_EXIT_USAGE		2
#define VMID_EXIT_FAILURE	3

/* ---- configuration (vmid.c) ---- */

#define VMID_MODULE_TEXT_MAX	1024	/* module_text's value */

struct vmid_config {
	char state_dir[VMID_PATH_MAX];
	char key[VMID_PATH_MAX];	/* "" = STATE_DIR/host.key */
	char events[VMID_PATH_MAX];	/* "" = STATE_DIR/events.jsonl, "-" stdout */
	char socket[VMID_PATH_MAX];
	char match[VMID_NAME_MAX];	/* fnmatch() on the VM name; "" all */
	double interval;		/* s between checks of a VM */
	double jitter;			/* s, uniform extra delay */
	double scan_interval;		/* s between /proc scans */
	double timeout;			/* s a worker may take per request */
	double backoff_max;		/* s, cap of the restart backoff */
	double settle;			/* s: attach QEMUs at least this old */
	bool seccomp;			/* worker: seccomp allow-list */
	bool soft_dirty;		/* the soft-dirty skip (softdirty.c) */
	char worker_user[VMID_NAME_MAX];	/* workers' uid, "" none */
	bool pid_only;			/* backend = pid: never the RAM file */
	char libvirt[VMID_PATH_MAX];	/* "auto", "off" or a URI */
	char metrics[VMID_NAME_MAX];	/* "ADDR:PORT" or "off" */
	int journal;			/* VMID_JOURNAL_* */
	double agent_poll;		/* s between agent mailbox polls, 0 off */
	double agent_min_interval;	/* s between agent-triggered checks */
	bool no_module;			/* module = off: never /dev/vmiaas */
	char module_text[VMID_MODULE_TEXT_MAX];	/* "all" or functions (module.c) */
	char vmm[VMID_NAME_MAX];	/* glob: non-QEMU VMMs, "" none */
	double cpu_budget;		/* % of one core for checks, 0: none */
	double priority_min_interval;	/* s between priority checks of a VM */
};

enum { VMID_JOURNAL_AUTO, VMID_JOURNAL_YES, VMID_JOURNAL_NO };

/* ---- logging and events (events.c) ---- */

/* Priorities as in <sys/syslog.h> / sd-daemon.h. */
#define VMID_LOG_ERR		3
#define VMID_LOG_WARNING	4
#define VMID_LOG_NOTICE		5
#define VMID_LOG_INFO		6
#define VMID_LOG_DEBUG		7

void vmid_log(int prio, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

struct vm;

int events_open(const char *path);
void events_close(void);
/* Structured journal entries for every event (sd_journal_send). */
void events_journal(bool on);
/* Every event line is also handed to @fn (the control socket). */
void events_set_sink(void (*fn)(const struct vm *vm, const char *type,
				const char *line, size_t len));
/* A finding as its JSON event object (type, vm, check, detail...). */
struct json_object *events_finding_json(const struct vm *vm, const char *type,
					const struct vmiaas_finding *f);
/* Copies untrusted bytes as printable ASCII ("\xNN" otherwise). */
const char *vmid_escape(const char *s, size_t max, char *buf, size_t size);

/* A finding or check event of @vm (type "finding", "event", "resolved"). */
void events_finding(const struct vm *vm, const char *type,
		    const struct vmiaas_finding *f);
/* "periodic", "boot"...; "clean", "tampered"...: "unknown" if out of range. */
const char *vmid_reason_name(uint32_t reason);
const char *vmid_verdict_name(uint32_t verdict);
/* A daemon event about @vm ("attached", "baseline", "worker-crashed"...). */
void events_vm(const struct vm *vm, int prio, const char *event,
	       const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* ---- discovery (discover.c) ---- */

struct vm_ident {
	pid_t pid;
	uint64_t starttime;		/* /proc/PID/stat field 22: pid reuse */
	char name[VMID_NAME_MAX];	/* -name (guest=), "" if none */
	char id[VMID_NAME_MAX];		/* file-name-safe: name or pid-N */
	char shm[VMID_PATH_MAX];	/* RAM memory-backend-file, "" if none */
	char qmp[VMID_PATH_MAX];	/* -qmp unix:PATH, "" if none */
	char uuid[37];			/* -uuid, or libvirt's; "" if none */
	bool libvirt;			/* a libvirt domain (name, uuid from it) */
	char vmm[32];			/* its executable's name (or comm) */
};

/*
 * Calls @fn for every QEMU process (qemu-system-*) in /proc whose name
 * matches @match. A pid that @known (optional) says it knows, with the
 * start time it knows, is not read again when its start time is the
 * same: @fn gets only its pid and start time (a pid reused since has
 * another start time, and is read in full). Returns 0 or a negative
 * errno (/proc unreadable).
 */
int discover_scan(const char *match,
		  bool (*known)(pid_t pid, uint64_t *starttime, void *arg),
		  void (*fn)(const struct vm_ident *id, void *arg), void *arg);
/*
 * Also VMMs other than QEMU whose executable's name matches @glob
 * (Firecracker, cloud-hypervisor...: no command line parsed, memory
 * through the pid backend, the module by their KVM VM fd); "" none.
 */
void discover_set_vmm(const char *glob);
/* Seconds since a process with @starttime started. */
double discover_age(uint64_t starttime);
/* 0 if @pid still is the process that had @starttime, else -ESRCH. */
int discover_alive(pid_t pid, uint64_t starttime);
/* @id of the QEMU process @pid (start time, command line); -errno. */
int discover_pid(pid_t pid, struct vm_ident *id);

/* ---- workers (worker.c) ---- */

enum vmid_msg_type {
	/* worker -> parent */
	VMID_MSG_ATTACHED = 1,	/* s1: backend, s2: kernel release */
	VMID_MSG_BASELINE,	/* a: enum vmid_baseline_how, s1: which
				   ("golden NAME", "tofu DATE"), s2: detail */
	VMID_MSG_READY,		/* privileges dropped, waiting for checks */
	VMID_MSG_FINDING,	/* f */
	VMID_MSG_DONE,		/* a: findings, b: events, ms */
	VMID_MSG_ERROR,		/* err, a: enum vmid_error_kind, s1: stage,
				   s2: message */
	VMID_MSG_AGENT,		/* the guest agent asks for a check: a:
				   reason, s2: what it asked */
	VMID_MSG_AGENT_ANSWER,	/* err: resp_status, a: verdict, b: failed,
				   s2: what was answered */
	VMID_MSG_MODULE_CHECK,	/* a: index, b: count, s2: struct
				   vmiaas_module_check (module.c), err:
				   0 or why the policy's records are not
				   among them */
	VMID_MSG_DIRTY_EPOCH,	/* c: dev, d: inode of the worker's RAM
				   file: a new epoch, please (softdirty.c) */
	VMID_MSG_DIRTY_QUERY,	/* c: first RAM file page of a window */
	VMID_MSG_DIRTY_STATS,	/* err: 0 on, else -errno and s2: why off;
				   a: epochs, c: pages hashed, d: skipped
				   by the check that follows (its DONE) */
	VMID_MSG_MODULE_TABLE,	/* a: first entry, b: entries in all, c:
				   here, d: which table, s2: its entries
				   (before the records): VMID_TABLE_* */
	VMID_MSG_CRASH,		/* a: fatal signal, err: its si_code,
				   c: si_addr (worker.c on_crash()) */
	/* parent -> worker */
	VMID_MSG_CHECK = 100,	/* a: length of the register text packet
				   that follows (0: none) */
	VMID_MSG_DIRTY_EPOCH_ANSWER,	/* err: as vmiaas_dirty_host_epoch(),
					   s2: why not */
	VMID_MSG_DIRTY_PAGES,	/* c: first page, s2: the clean bits */
};

enum vmid_error_kind {
	VMID_ERROR_TRANSIENT,	/* the worker exits: restart with backoff */
	VMID_ERROR_FATAL,	/* the baseline is refused: no restart */
	VMID_ERROR_REBOOTED,	/* the guest rebooted: re-attach after settle */
	VMID_ERROR_BOOTING,	/* the kernel is not running yet: retry soon */
};

enum vmid_baseline_how {
	VMID_BASELINE_LOADED,
	VMID_BASELINE_FIRST,	/* trust on first use */
	VMID_BASELINE_RETAKEN,	/* the library refused the old one: -ESTALE */
	VMID_BASELINE_GOLDEN,	/* this boot's, from a golden baseline */
};

/* VMID_MSG_MODULE_TABLE's d: the tables records refer to */
enum vmid_table {
	VMID_TABLE_PROC,	/* struct vmiaas_proc_watch: proc-ops' */
	VMID_TABLE_VFS,		/* __u64[2]: vfs-ops' allowed ranges */
	VMID_TABLES,
};

struct vmid_msg {
	uint32_t type;
	int32_t err;
	uint32_t a, b;
	double ms;
	uint64_t c, d;
	char s1[80];
	char s2[512];
	struct vmiaas_finding f;
};

/*
 * Binary payloads in s2 (module check records, proc-ops' table) leave its
 * last byte out: the daemon terminates s1 and s2 of every message it
 * receives (vm_message()), whatever its type.
 */
#define VMID_MSG_PAYLOAD	(sizeof(((struct vmid_msg *)0)->s2) - 1)

struct vmid_worker_args {
	const struct vm_ident *ident;
	const char *baseline_path;
	const char *golden_dir;	/* golden baselines, by kernel build */
	const uint8_t *key;
	bool seccomp;
	bool allow_retake;	/* else -ESTALE is VMID_ERROR_REBOOTED */
	uid_t uid;		/* worker_user's, if has_user */
	gid_t gid;
	bool has_user;
	const char *no_user;	/* why not, if !has_user */
	const char *vcpus_text;	/* registers from libvirt, or NULL */
	unsigned int agent_poll_ms;	/* 0: no agent mailbox polling */
	unsigned int agent_min_interval_ms;
	bool module;		/* send checks for /dev/vmiaas (module.c) */
	const char *module_text;	/* what of the text they cover */
	bool dirty;		/* the parent runs the soft-dirty host side */
};

/*
 * Forks the worker for one VM. Returns its pid and, in *ret_fd, the
 * parent's end of a SOCK_SEQPACKET pair; or a negative errno.
 */
pid_t worker_spawn(const struct vmid_worker_args *a, int *ret_fd);
/*
 * The uid and gid of @user for the workers (a->uid, gid, has_user), or
 * why not in a->no_user (@buf): none configured, no such user.
 */
void worker_user(const char *user, struct vmid_worker_args *a, char *buf,
		 size_t size);

/* ---- the per-VM state the parent keeps (vmid.c) ---- */

enum vm_state {
	VM_SETTLING,		/* QEMU too young: its guest may still boot */
	VM_STARTING,		/* worker attaching / baselining */
	VM_READY,		/* idle, waiting for its next check */
	VM_CHECKING,		/* a check request is out */
	VM_BACKOFF,		/* worker gone, restart pending */
	VM_REFUSED,		/* the baseline is refused (MAC): no restart */
};

/* Prometheus: vmiaas_check_duration_seconds buckets (metrics.c). */
#define VMID_HIST_BUCKETS	11
extern const double vmid_hist_le[VMID_HIST_BUCKETS];

enum vmid_error_kind_metric {
	VMID_ERR_ATTACH, VMID_ERR_BASELINE, VMID_ERR_CHECK, VMID_ERR_CRASH,
	VMID_ERR_TIMEOUT, VMID_ERR_PROTOCOL, VMID_ERR_LIBVIRT, VMID_ERR_NR,
};
extern const char *const vmid_error_kind_names[VMID_ERR_NR];

/*
 * Agent requests by channel (the module's event, the RAM mailbox) and
 * outcome: a verdict clean or tampered, or error (the check failed, the
 * request was refused or unreadable, the answer not written). A fixed
 * set of series per VM: what a worker or a guest sends cannot grow it.
 */
enum vmid_agent_channel { VMID_AGENT_MODULE, VMID_AGENT_MAILBOX, VMID_AGENT_CHANNELS };
enum vmid_agent_outcome {
	VMID_AGENT_CLEAN, VMID_AGENT_TAMPERED, VMID_AGENT_ERROR, VMID_AGENT_OUTCOMES,
};
extern const char *const vmid_agent_channel_names[VMID_AGENT_CHANNELS];
extern const char *const vmid_agent_outcome_names[VMID_AGENT_OUTCOMES];

#define VMID_FSTATS_MAX		64	/* (check, severity) series per VM */

struct vm_fstat {
	char check[32];
	uint8_t severity;
	uint64_t n;
};

struct vm_metrics {
	uint64_t checks_ok, checks_failed;
	uint64_t hist[VMID_HIST_BUCKETS];	/* cumulative at render */
	double dur_sum;
	uint64_t dirty_hashed, dirty_skipped;	/* pages, soft-dirty skip on */
	uint64_t errors[VMID_ERR_NR];
	uint64_t agent[VMID_AGENT_CHANNELS][VMID_AGENT_OUTCOMES];
	struct vm_fstat fstats[VMID_FSTATS_MAX];
	size_t nr_fstats;
};

/* ---- scheduling: the CPU budget, spreading checks (sched.c) ---- */

struct vm_sched {
	clockid_t clock;		/* the worker's CPU clock */
	bool clock_ok;
	bool urgent;			/* an agent or on-demand check is wanted */
	double last_urgent;		/* monotonic s of the last priority check, -inf: never */
	double cpu_at_send;		/* worker CPU s when the check went out */
	double last_start;		/* realtime s: the latest check sent */
	double sent;			/* monotonic s: the latest check sent */
	double cost;			/* s, a check's CPU (moving average), 0 */
	double last_cost;		/* s, the latest check's CPU */
	double cpu_sum;			/* s, the CPU of all its checks */
};

struct vmid_sched {
	double budget;			/* share of one core, 0: no budget */
	double interval;		/* s, the configured interval */
	double prio_min;		/* s between priority checks of a VM */
	double demand;			/* share of one core at interval */
	double stretch;			/* >= 1: checks every interval * stretch */
	bool over;			/* over budget: intervals stretched */
	bool unpaced;			/* --once: no spreading, no budget */
	double gap;			/* s between two scheduled check starts */
	double last_slot;		/* monotonic s: the last scheduled start, -inf: never */
	unsigned int attach_max;	/* workers attaching at once */
	double win_start, win_cpu;	/* the window under way; checks' CPU */
	double win_total;		/* vmid's whole CPU at win_start */
	double used;			/* vmid's share of one core, last window */
	double overhead;		/* the part of it that is not checks */
	double cpu_total;		/* s, the CPU of every check */
	uint64_t nr_checks;		/* checks measured */
};

/* ---- the soft-dirty skip (softdirty.c) ---- */

struct vm_dirty {
	struct vmiaas_dirty_host *host;	/* NULL: off, because @why */
	char why[512];
	bool worker_off;		/* the worker's tracker did not start:
					   @why */
	bool failing;			/* the latest epoch failed: @why */
	double retry;			/* monotonic s: next epoch attempt */
	double epoch_round;		/* sched.sent of the check that asked */
	uint64_t epochs;		/* started for this worker */
	uint64_t hashed, skipped;	/* pages, by the latest check */
	uint64_t checks;		/* checks that reported */
};

struct vm;
/* Before a worker starts: the host side for it, if the skip can run. */
bool softdirty_attach(struct vm *vm, bool pid_backend, bool wanted,
		      bool once);
void softdirty_detach(struct vm *vm);
/* A VMID_MSG_DIRTY_* from @vm's worker; -errno kills the worker. */
int softdirty_msg(struct vm *vm, const struct vmid_msg *m);
/* "soft-dirty skip: on ..." / "off, because ..." for vmictl status. */
const char *softdirty_status(const struct vm *vm, char *buf, size_t size);
/* Worker: before the sandbox; after each check (before DONE). */
void softdirty_worker_enable(struct vmiaas *v);
int softdirty_worker_report(struct vmiaas *v);
/* Worker: one message to the parent; the next one from it. */
int worker_send(struct vmid_msg *m);
int worker_recv(struct vmid_msg *m);

struct vm_finding_key {
	uint64_t hash;
	struct vmiaas_finding f;	/* kept for "resolved" events */
};

struct vm {
	struct vm_ident ident;
	int pidfd;			/* QEMU's pidfd, -1 if unsupported */
	pid_t worker;			/* 0: none */
	int fd;				/* socket to the worker, -1 */
	enum vm_state state;
	char backend[16];
	char backend_why[512];		/* why this backend and registers */
	char kernel[65];
	char baseline[80];		/* "golden NAME", "tofu DATE", "" */
	char isolation[256];		/* the worker's uid, Landlock... */
	double deadline;		/* monotonic s: request time limit */
	double next;			/* monotonic s: next check / restart */
	double backoff;
	double last_check;		/* realtime s, 0 never */
	double last_ms;
	uint64_t nr_checks;
	uint32_t nr_restarts;
	bool seen;			/* in the latest scan */
	bool rounds_done;		/* --once: a round finished or failed */
	bool rebooted;			/* the worker saw another boot */
	bool reboot_unconfirmed;	/* ... and no new boot's baseline since */
	struct vmid_msg_crash {		/* the worker's VMID_MSG_CRASH */
		int sig;		/* 0: none came */
		int code;		/* si_code */
		uint64_t addr;		/* si_addr */
	} crash;
	bool booting;			/* the worker saw a kernel still booting */
	double boot_since;		/* monotonic s: first "booting" of
					   this run of them, 0 */
	uint32_t boot_tries;		/* attach attempts in that run */
	char boot_why[160];		/* the last reason logged */
	double born;			/* monotonic s: QEMU start or last reboot */
	double attach_failing;		/* monotonic s: first attach failure
					   since the last good attach, 0 */
	bool allow_retake;		/* the next worker may re-take */
	/* findings: the active set, and the round being received */
	struct vm_finding_key *active;
	size_t nr_active;
	struct vm_finding_key *round;
	size_t nr_round;
	uint32_t nr_findings_active;	/* active, excluding events */
	uint32_t nr_dropped;
	bool check_soon;		/* a control client asked for a check */
	struct vm_metrics m;
	struct vm_sched sched;		/* sched.c */
	struct vm_module *mod;		/* /dev/vmiaas attachment (module.c) */
	char mod_why[256];		/* "module: ..." for vmictl status */
	struct vm_dirty dirty;		/* softdirty.c */
	/* libvirt registers asked of its call thread (vmid.c) */
	uint64_t regs_seq;		/* the request's, 0: none out */
	double regs_due;		/* monotonic s: go on without them */
	bool regs_for_check;		/* else for the worker's attach */
	bool lv_listed;			/* in the listing being received */
};

void vm_count_error(struct vm *vm, enum vmid_error_kind_metric kind);
/* An agent request answered (@status: resp_status, @verdict: VMIAAS_VERDICT_*). */
void vm_count_agent(struct vm *vm, enum vmid_agent_channel ch, int status,
		    uint32_t verdict);

struct vmid;

void sched_init(struct vmid_sched *s, bool unpaced);
/* A new VM's scheduling state (the rest of it starts at 0). */
void sched_vm_init(struct vm *vm);
/* A new configuration: @budget_pct of one core, 0 for none. */
void sched_config(struct vmid_sched *s, double budget_pct, double interval,
		  double prio_min);
/* Demand and stretch from the VMs' check costs; says so when over budget. */
void sched_update(struct vmid_sched *s, struct vm *const *vms, size_t n);
/* s between two scheduled checks of a VM: interval * stretch. */
double sched_interval(const struct vmid_sched *s);
/* When @vm's next scheduled check is due: an interval after its last start. */
double sched_next_check(const struct vmid_sched *s, const struct vm *vm);
void sched_worker_started(struct vm *vm);
void sched_check_sent(struct vm *vm);
/* The round is done: its CPU is measured (s, or -1 if unknown). */
double sched_check_done(struct vmid_sched *s, struct vm *vm, double now);
/* The next VM whose check may start now, or NULL (marks its slot used). */
struct vm *sched_next(struct vmid_sched *s, struct vm *const *vms, size_t n,
		      double now);
/* When sched_next() may return a VM next (monotonic s, or INFINITY). */
double sched_deadline(const struct vmid_sched *s, struct vm *const *vms,
		      size_t n);
/* May one more worker start attaching now? */
bool sched_may_attach(const struct vmid_sched *s, struct vm *const *vms,
		      size_t n);
/* The node's schedule as a JSON object (status) and a VM's part. */
struct json_object *sched_json(const struct vmid_sched *s);
void sched_vm_json(struct json_object *v, const struct vm *vm, double now);
const struct vmid_sched *vmid_sched(const struct vmid *d);

/* ---- control socket (control.c) ---- */

int control_open(const char *path);
void control_close(int fd, const char *path);
/* Accepts on the listening @fd: clients are served from the main loop. */
void control_accept(int fd);
/* pollfds of the clients (at most @max); their I/O; their deadlines. */
size_t control_pollfds(struct pollfd *p, size_t max);
void control_io(struct vmid *d, const struct pollfd *p, size_t n);
double control_deadline(void);
void control_timers(struct vmid *d);
/*
 * A VM finished a round (@failed NULL) or left, or its round failed
 * (@failed: why, for the clients): answers clients waiting for it.
 */
#define CONTROL_CHECK_FAILED	"the check failed (see the VM's error event)"
#define CONTROL_REBOOTED	"the guest rebooted during the check (see the VM's events)"
void control_vm_round(struct vmid *d, const struct vm *vm, const char *failed);
void control_sink(const struct vm *vm, const char *type, const char *line,
		  size_t len);
void control_shutdown(void);
#define CONTROL_MAX_CLIENTS	32

/* For control.c: run a check of a VM now (0, or -errno: not ready). */
struct vm *vmid_vm_find(struct vmid *d, const char *name);
int vmid_check_now(struct vmid *d, struct vm *vm);
/* A new finding of @vm, for vmiaas_findings_total. */
void vmid_count_finding(struct vm *vm, const struct vmiaas_finding *f);
/* agent_min_interval: s between agent-triggered checks of a VM. */
double vmid_agent_min_interval(const struct vmid *d);
/* Removes the VM's baseline and restarts its worker, which re-takes it. */
int vmid_rebaseline(struct vmid *d, struct vm *vm);

/* ---- /dev/vmiaas, the module backend (module.c) ---- */

/*
 * The checks for vmiaas.ko (struct vmiaas_module_check), derived by the
 * worker from guest memory that its last check found clean: the syscall
 * table and the kernel text as guest-virtual ranges through the kernel's
 * own page tables, with the SHA-256 the module must find there (in data;
 * check "module"), then libvmiaas's vmiaas_module_policy() records
 * (exec-memory, usermode-helper). The parent registers those whose type
 * the module runs (caps.check_types).
 */
#define VMID_MOD_CHECKS_MAX	64	/* VMIAAS_MAX_CHECKS */

/* Parent: attach @vm through /dev/vmiaas (once per worker start). */
void module_attach(struct vm *vm);
void module_detach(struct vm *vm);
/* The attached /dev/vmiaas fd to poll for events, or -1. */
int module_fd(const struct vm *vm);
/* Reads the module's events of @vm: agent requests and verdicts. */
void module_events(struct vmid *d, struct vm *vm);
/* A VMID_MSG_MODULE_CHECK from the worker; -errno kills the worker. */
int module_check_msg(struct vm *vm, const struct vmid_msg *m);
/* A VMID_MSG_MODULE_TABLE from the worker; -errno kills the worker. */
int module_table_msg(struct vm *vm, const struct vmid_msg *m);
/* "module: ..." for vmictl status, in @buf (or vm->mod_why). */
const char *module_status(const struct vm *vm, char *buf, size_t size);
/* The module findings still active: how many; check @i's, or NULL. */
unsigned int module_nr_open(const struct vm *vm);
const struct vmiaas_finding *module_open_finding(const struct vm *vm,
						 unsigned int i);
/*
 * Worker: before the sandbox; then the checks of a clean guest (@b its
 * baseline: the hooks it trusts are allowed, vmiaas_module_policy()).
 */
int module_worker_prepare(void);
int module_checks_build(struct vmiaas *v, const struct vmiaas_baseline *b,
			const char *text, struct vmiaas_module_check *out,
			size_t max, size_t *ret_nr, int *ret_policy_err);
/* module_text: "all" (or empty: the default), else function names. */
bool module_text_all(const char *text);
int module_text_valid(const char *text);

/* ---- Prometheus metrics (metrics.c) ---- */

int metrics_open(const char *spec);	/* listening fd, or -errno */
void metrics_close(void);
void metrics_accept(void);
size_t metrics_pollfds(struct pollfd *p, size_t max);
void metrics_io(const struct vmid *d, const struct pollfd *p, size_t n);
double metrics_deadline(void);
void metrics_timers(void);
#define METRICS_MAX_CLIENTS	16
/* The exposition text (for tests and the endpoint); free(). */
char *metrics_render(const struct vmid *d, size_t *ret_len);
size_t vmid_nr_attached(const struct vmid *d, const char **backends,
			size_t *counts, size_t max);
bool vmid_libvirt_connected(const struct vmid *d);

/* ---- libvirt (libvirt.c) ---- */

/*
 * What libvirt's threads post to the main loop (lv_event_read()), in the
 * order it happened.
 */
enum lv_event_kind {
	LV_EV_CONNECTED,	/* msg: the URI; a listing follows */
	LV_EV_UNREACHABLE,	/* msg: why; detail: s to the next attempt */
	LV_EV_CLOSED,		/* libvirtd went away: reconnecting */
	LV_EV_ACTIVE,		/* a listing: uuid, msg: the name */
	LV_EV_LISTED,		/* the listing is complete (err: it failed) */
	LV_EV_STARTED,		/* lifecycle events: uuid, detail */
	LV_EV_STOPPED,
	LV_EV_MIGRATING,	/* suspended for an outgoing migration */
	LV_EV_REBOOTED,
	LV_EV_DOMAIN,		/* LV_REQ_RESOLVE's answer: id, or err */
	LV_EV_REGISTERS,	/* LV_REQ_REGISTERS's: text, or err and msg */
	LV_EV_OVERFLOW,		/* records were lost: list again */
};

struct lv_event {
	int kind;			/* enum lv_event_kind */
	int detail;			/* libvirt's lifecycle detail */
	int err;			/* 0 or -errno */
	uint64_t seq;			/* the request's */
	char uuid[37];
	char msg[256];
	char *text;			/* registers: the reader free()s it */
	struct vm_ident id;
};

enum lv_req_kind {
	LV_REQ_LIST,		/* LV_EV_ACTIVE for each domain, LV_EV_LISTED */
	LV_REQ_RESOLVE,		/* uuid: LV_EV_DOMAIN */
	LV_REQ_REGISTERS,	/* uuid: LV_EV_REGISTERS, with @seq */
};

/*
 * Starts libvirt's threads (once); the connection (@uri NULL: default)
 * is opened by them, and re-opened with backoff: LV_EV_CONNECTED.
 */
int lv_start(const char *uri);
/* Closes the connection, if no call hangs (waits 2 s at most). */
void lv_stop(void);
bool lv_connected(void);
int lv_event_fd(void);			/* an eventfd: the main loop polls it */
/* The next record, 0; -EAGAIN when none. */
int lv_event_read(struct lv_event *e);
/* Queues a request, never blocks: 0, -ENOSPC (full), -ENOTCONN. */
int lv_request(enum lv_req_kind kind, const char *uuid, uint64_t seq);
/* The connection's state for vmictl status: "connected to URI"... */
void lv_describe(char *buf, size_t size);
const char *lv_stopped_why(int detail);

/* For control.c: the VMs. */
size_t vmid_nr_vms(const struct vmid *d);
const struct vm *vmid_vm(const struct vmid *d, size_t i);
const char *vm_state_name(enum vm_state s);

double vmid_now(void);		/* CLOCK_MONOTONIC, s */
double vmid_realtime(void);	/* CLOCK_REALTIME, s */

#endif /* VMID_H */
