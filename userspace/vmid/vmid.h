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
 *   events.c    logging (stderr with <N> prefixes) and JSON-lines events
 *   control.c   the control socket (status)
 */
#ifndef VMID_H
#define VMID_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include <vmiaas/checks.h>

#define VMID_CONFIG_DEFAULT	"/etc/vmiaas/vmid.conf"
#define VMID_STATE_DEFAULT	"/var/lib/vmiaas"
#define VMID_SOCKET_DEFAULT	"/run/vmiaas/vmid.sock"
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
	bool pid_only;			/* backend = pid: never the RAM file */
};

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
/* Copies untrusted bytes as printable ASCII ("\xNN" otherwise). */
const char *vmid_escape(const char *s, size_t max, char *buf, size_t size);

/* A finding or check event of @vm (type "finding", "event", "resolved"). */
void events_finding(const struct vm *vm, const char *type,
		    const struct vmiaas_finding *f);
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
};

/*
 * Calls @fn for every QEMU process (qemu-system-*) in /proc whose name
 * matches @match. Returns 0 or a negative errno (/proc unreadable).
 */
int discover_scan(const char *match,
		  void (*fn)(const struct vm_ident *id, void *arg), void *arg);
/* Parses one QEMU command line (NUL-separated) into @id. */
void discover_parse_cmdline(const char *buf, size_t len, struct vm_ident *id);
/* Seconds since a process with @starttime started. */
double discover_age(uint64_t starttime);
/* 0 if @pid still is the process that had @starttime, else -ESRCH. */
int discover_alive(pid_t pid, uint64_t starttime);

/* ---- workers (worker.c) ---- */

enum vmid_msg_type {
	/* worker -> parent */
	VMID_MSG_ATTACHED = 1,	/* s1: backend, s2: kernel release */
	VMID_MSG_BASELINE,	/* a: enum vmid_baseline_how, s2: detail */
	VMID_MSG_READY,		/* privileges dropped, waiting for checks */
	VMID_MSG_FINDING,	/* f */
	VMID_MSG_DONE,		/* a: findings, b: events, ms */
	VMID_MSG_ERROR,		/* err, a: enum vmid_error_kind, s1: stage,
				   s2: message */
	/* parent -> worker */
	VMID_MSG_CHECK = 100,
};

enum vmid_error_kind {
	VMID_ERROR_TRANSIENT,	/* the worker exits: restart with backoff */
	VMID_ERROR_FATAL,	/* the baseline is refused: no restart */
	VMID_ERROR_REBOOTED,	/* the guest rebooted: re-attach after settle */
};

enum vmid_baseline_how {
	VMID_BASELINE_LOADED,
	VMID_BASELINE_FIRST,	/* trust on first use */
	VMID_BASELINE_RETAKEN,	/* the library refused the old one: -ESTALE */
};

struct vmid_msg {
	uint32_t type;
	int32_t err;
	uint32_t a, b;
	double ms;
	char s1[80];
	char s2[512];
	struct vmiaas_finding f;
};

struct vmid_worker_args {
	const struct vm_ident *ident;
	const char *baseline_path;
	const uint8_t *key;
	bool seccomp;
	bool allow_retake;	/* else -ESTALE is VMID_ERROR_REBOOTED */
};

/*
 * Forks the worker for one VM. Returns its pid and, in *ret_fd, the
 * parent's end of a SOCK_SEQPACKET pair; or a negative errno.
 */
pid_t worker_spawn(const struct vmid_worker_args *a, int *ret_fd);

/* ---- the per-VM state the parent keeps (vmid.c) ---- */

enum vm_state {
	VM_SETTLING,		/* QEMU too young: its guest may still boot */
	VM_STARTING,		/* worker attaching / baselining */
	VM_READY,		/* idle, waiting for its next check */
	VM_CHECKING,		/* a check request is out */
	VM_BACKOFF,		/* worker gone, restart pending */
	VM_REFUSED,		/* the baseline is refused (MAC): no restart */
};

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
	char kernel[65];
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
	bool allow_retake;		/* the next worker may re-take */
	/* findings: the active set, and the round being received */
	struct vm_finding_key *active;
	size_t nr_active;
	struct vm_finding_key *round;
	size_t nr_round;
	uint32_t nr_findings_active;	/* active, excluding events */
	uint32_t nr_dropped;
};

struct vmid;

/* ---- control socket (control.c) ---- */

int control_open(const char *path);
void control_close(int fd, const char *path);
/* Serves one connection on the listening @fd. */
void control_serve(int fd, const struct vmid *d);

/* For control.c: the VMs. */
size_t vmid_nr_vms(const struct vmid *d);
const struct vm *vmid_vm(const struct vmid *d, size_t i);
const char *vm_state_name(enum vm_state s);

double vmid_now(void);		/* CLOCK_MONOTONIC, s */
double vmid_realtime(void);	/* CLOCK_REALTIME, s */

#endif /* VMID_H */
