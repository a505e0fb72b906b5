// SPDX-License-Identifier: GPL-2.0
/*
 * libvirt: the domains of qemu:///system, their lifecycle events and
 * their vCPU registers (through libvirt's own QEMU monitor: the QMP
 * socket belongs to libvirtd, vmid cannot open it).
 *
 * Every libvirt call blocks until libvirtd answers, and a slow, hung or
 * SIGSTOPped libvirtd must not stall vmid's main loop (control socket,
 * schedule, watchdog). So the main loop makes none; two threads of ours
 * do:
 *
 *  - the event thread runs libvirt's default event loop
 *    (virEventRunDefaultImpl): keepalive, lifecycle and close callbacks;
 *  - the call thread owns the connection: it opens it, and again with a
 *    backoff (1 s doubling to 30 s) after it closed (libvirtd restarted,
 *    or silent for the keepalive's 5 s x 3), then lists the domains; it
 *    makes every blocking call (list, lookup, monitor command) for the
 *    requests the main loop queues (lv_request()).
 *
 * Both post records (struct lv_event) to a bounded queue and wake the
 * main loop through an eventfd. Every decision (attach, detach,
 * re-baseline) stays in the main thread, so vmid's state needs no lock;
 * the main loop never waits for an answer (a check waits for its
 * registers until a deadline, vmid.c). The lock here is held for queue
 * operations only, never across a libvirt call.
 *
 * Workers are forked from the main thread; they close every descriptor
 * but their own socket first (the connection's too) and never call
 * libvirt. The registers reach them as text (see worker.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <libvirt/libvirt.h>
#include <libvirt/libvirt-qemu.h>
#include <libvirt/virterror.h>

#include "vmid.h"

#define LV_REQ_MAX	256	/* requests queued for the call thread */
#define LV_RES_MAX	4096	/* records queued for the main loop */
#define LV_BACKOFF_MIN	1.0	/* s before reconnecting, doubling */
#define LV_BACKOFF_MAX	30.0
#define LV_STOP_WAIT	2.0	/* s lv_stop() waits for the call thread */

struct lv_req {
	int kind;		/* enum lv_req_kind */
	uint64_t seq;
	char uuid[VIR_UUID_STRING_BUFLEN];
};

struct lv_node {
	struct lv_node *next;
	struct lv_event e;
};

/* Shared with the threads, under lock. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake;		/* the call thread: work, or stop */
static pthread_cond_t call_done_cond;	/* the call thread has finished */
static struct lv_req reqs[LV_REQ_MAX];
static size_t req_first, nr_reqs;
static struct lv_node *res_first, **res_last = &res_first;
static size_t nr_res;
static bool res_lost;			/* records dropped: the queue was full */
static bool conn_lost, stopping, call_done;
static const char *busy;		/* the call under way, or NULL */
static double busy_since, retry_at;
static char last_error[256];

static atomic_bool connected;
static int efd = -1;
static bool started;
static char uri[VMID_PATH_MAX];

/* The call thread's own. */
static virConnectPtr conn;
static int cb_lifecycle = -1, cb_reboot = -1;

static void lv_quiet(void *arg, virErrorPtr err)
{
	/* errors are reported where they matter, from virGetLastError() */
}

static const char *lv_error(void)
{
	virErrorPtr e = virGetLastError();

	return e && e->message ? e->message : "unknown libvirt error";
}

static const char *lv_uri(void)
{
	return uri[0] ? uri : VMID_LIBVIRT_URI;
}

static void wake_main(void)
{
	(void)!eventfd_write(efd, 1);
}

/* Queues @e for the main loop (it owns e->text then); under lock. */
static void post_locked(const struct lv_event *e)
{
	struct lv_node *n = NULL;

	if (nr_res < LV_RES_MAX)
		n = malloc(sizeof(*n));
	if (!n) {
		free(e->text);
		res_lost = true;	/* the main loop re-lists the domains */
		return;
	}
	n->e = *e;
	n->next = NULL;
	*res_last = n;
	res_last = &n->next;
	nr_res++;
}

static void post(const struct lv_event *e)
{
	pthread_mutex_lock(&lock);
	post_locked(e);
	pthread_mutex_unlock(&lock);
	wake_main();
}

/* ---- the event thread: libvirt's callbacks ---- */

static void post_domain(int kind, int detail, virDomainPtr dom)
{
	struct lv_event e = { .kind = kind, .detail = detail };

	/* local: the UUID came with the event */
	if (virDomainGetUUIDString(dom, e.uuid) == 0)
		post(&e);
}

static int on_lifecycle(virConnectPtr c, virDomainPtr dom, int event,
			int detail, void *arg)
{
	if (event == VIR_DOMAIN_EVENT_STARTED)
		post_domain(LV_EV_STARTED, detail, dom);
	else if (event == VIR_DOMAIN_EVENT_STOPPED)
		post_domain(LV_EV_STOPPED, detail, dom);
	else if (event == VIR_DOMAIN_EVENT_SUSPENDED &&
		 detail == VIR_DOMAIN_EVENT_SUSPENDED_MIGRATED)
		post_domain(LV_EV_MIGRATING, detail, dom);
	return 0;
}

static void on_reboot(virConnectPtr c, virDomainPtr dom, void *arg)
{
	post_domain(LV_EV_REBOOTED, 0, dom);
}

static void on_close(virConnectPtr c, int reason, void *arg)
{
	struct lv_event e = { .kind = LV_EV_CLOSED, .detail = reason };

	atomic_store(&connected, false);
	pthread_mutex_lock(&lock);
	conn_lost = true;
	post_locked(&e);
	pthread_cond_signal(&wake);
	pthread_mutex_unlock(&lock);
	wake_main();
}

static void *event_thread(void *arg)
{
	for (;;)
		if (virEventRunDefaultImpl() < 0)
			usleep(100000);
	return NULL;
}

/* ---- the call thread: the connection and every blocking call ---- */

static void set_busy(const char *what)
{
	pthread_mutex_lock(&lock);
	busy = what;
	busy_since = vmid_now();
	pthread_mutex_unlock(&lock);
}

static void conn_drop(void)
{
	if (!conn)
		return;
	atomic_store(&connected, false);
	if (cb_lifecycle >= 0)
		virConnectDomainEventDeregisterAny(conn, cb_lifecycle);
	if (cb_reboot >= 0)
		virConnectDomainEventDeregisterAny(conn, cb_reboot);
	cb_lifecycle = cb_reboot = -1;
	virConnectUnregisterCloseCallback(conn, on_close);
	virConnectClose(conn);
	conn = NULL;
}

static int conn_open(char *err, size_t errsize)
{
	set_busy("the connection attempt");
	conn = virConnectOpen(lv_uri());
	set_busy(NULL);
	if (!conn) {
		snprintf(err, errsize, "%s", lv_error());
		return -ECONNREFUSED;
	}
	/* a silent libvirtd is noticed within 5 s x 3, not at the next call */
	virConnectSetKeepAlive(conn, 5, 3);
	virConnectRegisterCloseCallback(conn, on_close, NULL, NULL);
	cb_lifecycle = virConnectDomainEventRegisterAny(conn, NULL,
		VIR_DOMAIN_EVENT_ID_LIFECYCLE,
		VIR_DOMAIN_EVENT_CALLBACK(on_lifecycle), NULL, NULL);
	cb_reboot = virConnectDomainEventRegisterAny(conn, NULL,
		VIR_DOMAIN_EVENT_ID_REBOOT,
		VIR_DOMAIN_EVENT_CALLBACK(on_reboot), NULL, NULL);
	if (cb_lifecycle < 0 || cb_reboot < 0) {
		snprintf(err, errsize, "cannot subscribe to domain events: %s",
			 lv_error());
		conn_drop();
		return -EIO;
	}
	atomic_store(&connected, true);
	return 0;
}

/* The QEMU pid libvirt wrote for the domain @name. */
static pid_t domain_pid(const char *name)
{
	char path[VMID_PATH_MAX], buf[32];
	ssize_t n;
	long pid;
	char *end;
	int fd;

	if (!name[0] || strchr(name, '/') || name[0] == '.')
		return -EINVAL;
	snprintf(path, sizeof(path), "%s/%s.pid", VMID_LIBVIRT_RUN, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -ENODATA;
	buf[n] = '\0';
	pid = strtol(buf, &end, 10);
	if (pid <= 0 || pid > 0x3fffffff || (*end && *end != '\n'))
		return -EBADMSG;
	return (pid_t)pid;
}

static int domain_ident(virDomainPtr dom, struct vm_ident *id)
{
	char uuid[VIR_UUID_STRING_BUFLEN];
	const char *name = virDomainGetName(dom);
	pid_t pid;
	int r;

	if (!name || virDomainGetUUIDString(dom, uuid) < 0)
		return -EIO;
	pid = domain_pid(name);
	if (pid < 0)
		return pid;
	r = discover_pid(pid, id);
	if (r < 0)
		return r;
	/* a stale pid file names another process */
	if (id->uuid[0] && strcmp(id->uuid, uuid))
		return -ESRCH;
	snprintf(id->name, sizeof(id->name), "%s", name);
	snprintf(id->uuid, sizeof(id->uuid), "%s", uuid);
	id->libvirt = true;
	return 0;
}


/* The ident of the active domain @uuid; -ESRCH if it is not running. */
static int resolve(const char *uuid, struct vm_ident *id)
{
	virDomainPtr dom;
	int r;

	if (!conn)
		return -ENOTCONN;
	set_busy("a domain lookup");
	dom = virDomainLookupByUUIDString(conn, uuid);
	r = dom && virDomainIsActive(dom) == 1 ? domain_ident(dom, id) : -ESRCH;
	set_busy(NULL);
	if (dom)
		virDomainFree(dom);
	return r;
}

/* "info registers -a" through libvirt's monitor (@ret: free()). */
static int monitor_registers(const char *uuid, char **ret, char *err, size_t errsize)
{
	virDomainPtr dom;
	char *text = NULL;
	int r;

	if (!conn) {
		snprintf(err, errsize, "not connected to libvirt");
		return -ENOTCONN;
	}
	set_busy("a monitor command (registers)");
	dom = virDomainLookupByUUIDString(conn, uuid);
	r = dom ? virDomainQemuMonitorCommand(dom, "info registers -a", &text,
			VIR_DOMAIN_QEMU_MONITOR_COMMAND_HMP) : -1;
	set_busy(NULL);
	if (r < 0)
		snprintf(err, errsize, "%s", lv_error());
	if (dom)
		virDomainFree(dom);
	if (r < 0)
		return dom ? -EIO : -ESRCH;
	if (strlen(text) >= VMID_REGS_MAX) {
		free(text);
		snprintf(err, errsize, "register text over %d bytes", VMID_REGS_MAX);
		return -EMSGSIZE;
	}
	*ret = text;
	return 0;
}

/*
 * Every active domain as an LV_EV_ACTIVE record (UUID and name, no
 * lookups), then LV_EV_LISTED: all queued at once, or none, so that the
 * main loop never takes a partial listing for the whole.
 */
static void list_domains(void)
{
	virDomainPtr *doms = NULL;
	struct lv_event e = { .kind = LV_EV_LISTED };
	int nr, i;

	if (!conn)
		return;
	set_busy("the listing of the domains");
	nr = virConnectListAllDomains(conn, &doms, VIR_CONNECT_LIST_DOMAINS_ACTIVE);
	set_busy(NULL);
	if (nr < 0) {
		e.err = -EIO;
		snprintf(e.msg, sizeof(e.msg), "%s", lv_error());
		post(&e);
		return;
	}
	pthread_mutex_lock(&lock);
	if (nr_res + nr + 1 > LV_RES_MAX) {
		res_lost = true;
	} else {
		for (i = 0; i < nr; i++) {
			struct lv_event a = { .kind = LV_EV_ACTIVE };
			const char *name = virDomainGetName(doms[i]);

			if (!name || virDomainGetUUIDString(doms[i], a.uuid) < 0)
				continue;
			snprintf(a.msg, sizeof(a.msg), "%s", name);
			post_locked(&a);
		}
		e.detail = nr;
		post_locked(&e);
	}
	pthread_mutex_unlock(&lock);
	wake_main();
	for (i = 0; i < nr; i++)
		virDomainFree(doms[i]);
	free(doms);
}

static void serve(const struct lv_req *r)
{
	struct lv_event e = { .seq = r->seq };

	memcpy(e.uuid, r->uuid, sizeof(e.uuid));
	switch (r->kind) {
	case LV_REQ_LIST:
		list_domains();
		return;
	case LV_REQ_RESOLVE:
		e.kind = LV_EV_DOMAIN;
		e.err = resolve(r->uuid, &e.id);
		break;
	case LV_REQ_REGISTERS:
		e.kind = LV_EV_REGISTERS;
		e.err = monitor_registers(r->uuid, &e.text, e.msg, sizeof(e.msg));
		break;
	default:
		return;
	}
	post(&e);
}

/* Under lock: the first request (removed), false if none. */
static bool req_pop(struct lv_req *r)
{
	if (!nr_reqs)
		return false;
	*r = reqs[req_first];
	req_first = (req_first + 1) % LV_REQ_MAX;
	nr_reqs--;
	return true;
}

static void wait_until(pthread_cond_t *c, double when)
{
	struct timespec ts;
	double t = when > 1e9 ? 1e9 : when;

	ts.tv_sec = (time_t)t;
	ts.tv_nsec = (long)((t - (double)ts.tv_sec) * 1e9);
	pthread_cond_timedwait(c, &lock, &ts);
}

/* Under lock (dropped meanwhile): one attempt, and its outcome posted. */
static void connect_once(double *backoff)
{
	struct lv_event e = { .kind = LV_EV_CONNECTED };
	char err[sizeof(last_error)];
	int r;

	pthread_mutex_unlock(&lock);
	r = conn_open(err, sizeof(err));
	pthread_mutex_lock(&lock);
	if (r < 0) {
		e.kind = LV_EV_UNREACHABLE;
		e.err = r;
		e.detail = (int)*backoff;
		snprintf(e.msg, sizeof(e.msg), "%s", err);
		snprintf(last_error, sizeof(last_error), "%s", err);
		retry_at = vmid_now() + *backoff;
		*backoff = *backoff * 2 < LV_BACKOFF_MAX ? *backoff * 2 : LV_BACKOFF_MAX;
	} else {
		*backoff = LV_BACKOFF_MIN;
		last_error[0] = '\0';
		snprintf(e.msg, sizeof(e.msg), "%.255s", lv_uri());
	}
	post_locked(&e);
	pthread_mutex_unlock(&lock);
	wake_main();
	if (r == 0)
		list_domains();	/* what started or stopped meanwhile */
	pthread_mutex_lock(&lock);
}

static void *call_thread(void *arg)
{
	double backoff = LV_BACKOFF_MIN;
	struct lv_req r;

	pthread_mutex_lock(&lock);
	while (!stopping) {
		if (conn_lost) {
			conn_lost = false;
			pthread_mutex_unlock(&lock);
			conn_drop();
			pthread_mutex_lock(&lock);
		} else if (!conn && vmid_now() >= retry_at) {
			connect_once(&backoff);
		} else if (req_pop(&r)) {
			pthread_mutex_unlock(&lock);
			serve(&r);	/* fails at once without a connection */
			pthread_mutex_lock(&lock);
		} else if (!conn) {
			wait_until(&wake, retry_at);
		} else {
			pthread_cond_wait(&wake, &lock);
		}
	}
	pthread_mutex_unlock(&lock);
	conn_drop();
	pthread_mutex_lock(&lock);
	call_done = true;
	pthread_cond_broadcast(&call_done_cond);
	pthread_mutex_unlock(&lock);
	return NULL;
}

/* ---- the main loop's side ---- */

static int cond_init_monotonic(pthread_cond_t *c)
{
	pthread_condattr_t attr;
	int r;

	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	r = pthread_cond_init(c, &attr);
	pthread_condattr_destroy(&attr);
	return -r;
}

static int thread_start(void *(*fn)(void *))
{
	pthread_attr_t attr;
	pthread_t t;
	int r;

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	r = pthread_create(&t, &attr, fn, NULL);
	pthread_attr_destroy(&attr);
	return -r;
}

int lv_start(const char *u)
{
	int r;

	if (started)
		return 0;
	snprintf(uri, sizeof(uri), "%s", u ? u : "");
	virSetErrorFunc(NULL, lv_quiet);
	if (virInitialize() < 0 || virEventRegisterDefaultImpl() < 0)
		return -EIO;
	efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (efd < 0)
		return -errno;
	r = cond_init_monotonic(&wake);
	if (!r)
		r = cond_init_monotonic(&call_done_cond);
	if (!r)
		r = thread_start(event_thread);
	if (!r)
		r = thread_start(call_thread);
	if (r < 0) {
		close(efd);
		efd = -1;
		return r;
	}
	started = true;
	return 0;
}

/* The call thread closes the connection, unless a call still hangs. */
void lv_stop(void)
{
	double end = vmid_now() + LV_STOP_WAIT;
	struct lv_event e;

	if (!started)
		return;
	pthread_mutex_lock(&lock);
	stopping = true;
	pthread_cond_signal(&wake);
	while (!call_done && vmid_now() < end)
		wait_until(&call_done_cond, end);
	pthread_mutex_unlock(&lock);
	while (lv_event_read(&e) == 0)
		free(e.text);
}

bool lv_connected(void)
{
	return atomic_load(&connected);
}

int lv_event_fd(void)
{
	return efd;
}

int lv_event_read(struct lv_event *e)
{
	struct lv_node *n;
	bool lost = false;

	pthread_mutex_lock(&lock);
	n = res_first;
	if (n) {
		res_first = n->next;
		if (!res_first)
			res_last = &res_first;
		nr_res--;
	} else if (res_lost) {
		lost = true;
		res_lost = false;
	}
	pthread_mutex_unlock(&lock);
	if (lost) {
		memset(e, 0, sizeof(*e));
		e->kind = LV_EV_OVERFLOW;
		return 0;
	}
	if (!n)
		return -EAGAIN;
	*e = n->e;
	free(n);
	e->uuid[sizeof(e->uuid) - 1] = '\0';
	e->msg[sizeof(e->msg) - 1] = '\0';
	return 0;
}

/* Under lock: the queued request of @kind for @uuid, or NULL. */
static struct lv_req *req_find(int kind, const char *uuid)
{
	size_t i;

	for (i = 0; i < nr_reqs; i++) {
		struct lv_req *r = &reqs[(req_first + i) % LV_REQ_MAX];

		if (r->kind == kind && !strcmp(r->uuid, uuid))
			return r;
	}
	return NULL;
}

int lv_request(enum lv_req_kind kind, const char *uuid, uint64_t seq)
{
	struct lv_req *r;
	int ret = 0;

	if (!started)
		return -ENOTCONN;
	if (!uuid)
		uuid = "";
	if (strlen(uuid) >= sizeof(r->uuid))
		return -EINVAL;
	pthread_mutex_lock(&lock);
	r = req_find(kind, uuid);
	if (r) {
		r->seq = seq;	/* asked again: one answer, the latest seq */
	} else if (nr_reqs == LV_REQ_MAX) {
		ret = -ENOSPC;
	} else {
		r = &reqs[(req_first + nr_reqs++) % LV_REQ_MAX];
		r->kind = kind;
		r->seq = seq;
		snprintf(r->uuid, sizeof(r->uuid), "%s", uuid);
		pthread_cond_signal(&wake);
	}
	pthread_mutex_unlock(&lock);
	return ret;
}

void lv_describe(char *buf, size_t size)
{
	double now = vmid_now();

	pthread_mutex_lock(&lock);
	if (!started)
		snprintf(buf, size, "off");
	else if (busy && now - busy_since >= 1)
		snprintf(buf, size, "%s %s: %s, waiting for libvirtd for %.0f s",
			 lv_connected() ? "connected to" : "connecting to",
			 lv_uri(), busy, now - busy_since);
	else if (lv_connected())
		snprintf(buf, size, "connected to %s", lv_uri());
	else if (last_error[0])
		snprintf(buf, size, "%s unreachable: %.160s; retrying in %.0f s",
			 lv_uri(), last_error,
			 retry_at > now ? retry_at - now : 0);
	else
		snprintf(buf, size, "connecting to %s", lv_uri());
	pthread_mutex_unlock(&lock);
}

const char *lv_stopped_why(int detail)
{
	switch (detail) {
	case VIR_DOMAIN_EVENT_STOPPED_SHUTDOWN:
		return "shut down";
	case VIR_DOMAIN_EVENT_STOPPED_DESTROYED:
		return "destroyed";
	case VIR_DOMAIN_EVENT_STOPPED_CRASHED:
		return "crashed";
	case VIR_DOMAIN_EVENT_STOPPED_MIGRATED:
		return "migrated away";
	case VIR_DOMAIN_EVENT_STOPPED_SAVED:
		return "saved";
	case VIR_DOMAIN_EVENT_STOPPED_FAILED:
		return "failed";
	}
	return "stopped";
}
