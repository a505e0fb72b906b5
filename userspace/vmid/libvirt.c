// SPDX-License-Identifier: GPL-2.0
/*
 * libvirt: the domains of qemu:///system, their lifecycle events and
 * their vCPU registers (through libvirt's own QEMU monitor: the QMP
 * socket belongs to libvirtd, vmid cannot open it).
 *
 * Event loop: libvirt's default implementation runs in one thread of its
 * own (virEventRunDefaultImpl in a loop). Its callbacks do nothing but
 * write a fixed-size struct lv_event into a non-blocking pipe that vmid's
 * poll() loop reads; every decision (attach, detach, re-baseline) is taken
 * in the main thread, so vmid's state needs no lock. The other way,
 * virEventRegisterImpl() with vmid's poll() loop as the implementation,
 * means six callbacks and a handle/timeout table to keep in step with
 * libvirt's expectations for the same result. Calls on the connection
 * (list, lookup, monitor commands) are made from the main thread; libvirt
 * connections are thread-safe.
 *
 * Workers are forked from the main thread; they close every descriptor
 * but their own socket first (the connection's too) and never call
 * libvirt. The registers reach them as text (see worker.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libvirt/libvirt.h>
#include <libvirt/libvirt-qemu.h>
#include <libvirt/virterror.h>

#include "vmid.h"

static virConnectPtr conn;
static int cb_lifecycle = -1, cb_reboot = -1;
static int ev_pipe[2] = { -1, -1 };
static bool loop_started;

static void lv_quiet(void *arg, virErrorPtr err)
{
	/* errors are reported where they matter, from virGetLastError() */
}

static const char *lv_error(void)
{
	virErrorPtr e = virGetLastError();

	return e && e->message ? e->message : "unknown libvirt error";
}

static void lv_push(int kind, int detail, virDomainPtr dom)
{
	struct lv_event e = { .kind = kind, .detail = detail };

	if (dom && virDomainGetUUIDString(dom, e.uuid) < 0)
		return;
	if (write(ev_pipe[1], &e, sizeof(e)) != (ssize_t)sizeof(e)) {
		/* full: the main loop re-lists every domain instead */
		e.kind = LV_EV_OVERFLOW;
		e.uuid[0] = '\0';
		(void)!write(ev_pipe[1], &e, sizeof(e));
	}
}

static int on_lifecycle(virConnectPtr c, virDomainPtr dom, int event,
			int detail, void *arg)
{
	if (event == VIR_DOMAIN_EVENT_STARTED)
		lv_push(LV_EV_STARTED, detail, dom);
	else if (event == VIR_DOMAIN_EVENT_STOPPED)
		lv_push(LV_EV_STOPPED, detail, dom);
	return 0;
}

static void on_reboot(virConnectPtr c, virDomainPtr dom, void *arg)
{
	lv_push(LV_EV_REBOOTED, 0, dom);
}

static void on_close(virConnectPtr c, int reason, void *arg)
{
	lv_push(LV_EV_CLOSED, reason, NULL);
}

static void *event_thread(void *arg)
{
	for (;;)
		if (virEventRunDefaultImpl() < 0)
			usleep(100000);
	return NULL;
}

/* Once per process: libvirt's event loop thread and our pipe. */
static int loop_start(void)
{
	pthread_attr_t attr;
	pthread_t t;
	int r;

	if (loop_started)
		return 0;
	virSetErrorFunc(NULL, lv_quiet);
	if (virInitialize() < 0 || virEventRegisterDefaultImpl() < 0)
		return -EIO;
	if (pipe2(ev_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
		return -errno;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	r = pthread_create(&t, &attr, event_thread, NULL);
	pthread_attr_destroy(&attr);
	if (r)
		return -r;
	loop_started = true;
	return 0;
}

int lv_connect(const char *uri, char *err, size_t errsize)
{
	int r;

	if (conn)
		return 0;
	r = loop_start();
	if (r < 0) {
		snprintf(err, errsize, "cannot start libvirt's event loop: %s",
			 strerror(-r));
		return r;
	}
	conn = virConnectOpen(uri ? uri : VMID_LIBVIRT_URI);
	if (!conn) {
		snprintf(err, errsize, "%s", lv_error());
		return -ECONNREFUSED;
	}
	/* a dead libvirtd is noticed within 5 x 3 s, not at the next call */
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
		lv_disconnect();
		return -EIO;
	}
	return 0;
}

void lv_disconnect(void)
{
	if (!conn)
		return;
	if (cb_lifecycle >= 0)
		virConnectDomainEventDeregisterAny(conn, cb_lifecycle);
	if (cb_reboot >= 0)
		virConnectDomainEventDeregisterAny(conn, cb_reboot);
	cb_lifecycle = cb_reboot = -1;
	virConnectUnregisterCloseCallback(conn, on_close);
	virConnectClose(conn);
	conn = NULL;
}

bool lv_connected(void)
{
	return conn != NULL;
}

int lv_event_fd(void)
{
	return ev_pipe[0];
}

int lv_event_read(struct lv_event *e)
{
	ssize_t n;

	if (ev_pipe[0] < 0)
		return -EAGAIN;
	n = read(ev_pipe[0], e, sizeof(*e));
	if (n != (ssize_t)sizeof(*e))
		return -EAGAIN;
	e->uuid[sizeof(e->uuid) - 1] = '\0';
	return 0;
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

int lv_list(const char *match, bool (*known)(const char *uuid, void *arg),
	    void (*fn)(const struct vm_ident *id, void *arg), void *arg)
{
	virDomainPtr *doms = NULL;
	int nr, i;

	if (!conn)
		return -ENOTCONN;
	nr = virConnectListAllDomains(conn, &doms, VIR_CONNECT_LIST_DOMAINS_ACTIVE);
	if (nr < 0)
		return -EIO;
	for (i = 0; i < nr; i++) {
		char uuid[VIR_UUID_STRING_BUFLEN];
		struct vm_ident id;
		const char *name = virDomainGetName(doms[i]);

		/* a domain already watched costs no pid file and /proc reads */
		if (virDomainGetUUIDString(doms[i], uuid) == 0 && known(uuid, arg)) {
			virDomainFree(doms[i]);
			continue;
		}
		if (name && (!match[0] || !fnmatch(match, name, 0)) &&
		    domain_ident(doms[i], &id) == 0)
			fn(&id, arg);
		virDomainFree(doms[i]);
	}
	free(doms);
	return 0;
}

int lv_domain(const char *uuid, struct vm_ident *id)
{
	virDomainPtr dom;
	int r;

	if (!conn)
		return -ENOTCONN;
	dom = virDomainLookupByUUIDString(conn, uuid);
	if (!dom)
		return -ESRCH;
	r = virDomainIsActive(dom) == 1 ? domain_ident(dom, id) : -ESRCH;
	virDomainFree(dom);
	return r;
}

int lv_registers(const char *uuid, char **ret, char *err, size_t errsize)
{
	virDomainPtr dom;
	char *text = NULL;
	int r;

	if (!conn) {
		snprintf(err, errsize, "not connected to libvirt");
		return -ENOTCONN;
	}
	dom = virDomainLookupByUUIDString(conn, uuid);
	if (!dom) {
		snprintf(err, errsize, "%s", lv_error());
		return -ESRCH;
	}
	r = virDomainQemuMonitorCommand(dom, "info registers -a", &text,
					VIR_DOMAIN_QEMU_MONITOR_COMMAND_HMP);
	virDomainFree(dom);
	if (r < 0) {
		snprintf(err, errsize, "%s", lv_error());
		return -EIO;
	}
	if (strlen(text) >= VMID_REGS_MAX) {
		free(text);
		snprintf(err, errsize, "register text over %d bytes", VMID_REGS_MAX);
		return -EMSGSIZE;
	}
	*ret = text;
	return 0;
}
