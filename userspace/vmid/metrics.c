// SPDX-License-Identifier: GPL-2.0
/*
 * The Prometheus endpoint: a tiny HTTP/1.0 server in vmid's poll() loop.
 * Non-blocking throughout: a client has METRICS_TIMEOUT seconds and
 * METRICS_REQ_MAX bytes to send its request head, gets one response
 * (GET /metrics: the text exposition format 0.0.4; anything else 404 or
 * 405) and the connection is closed. At most METRICS_MAX_CLIENTS at once:
 * a new client then takes the place of the oldest one still sending its
 * request, so that idle connections (any local user can open them) cannot
 * lock the scraper out. Listens on localhost by default.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <dirent.h>
#include <unistd.h>

#include "uapi/linux/vmiaas.h"
#include "vmid.h"

#ifndef VMIAAS_VERSION
#define VMIAAS_VERSION "0.1.0"
#endif

#define METRICS_REQ_MAX		2048
#define METRICS_TIMEOUT		5.0	/* s per connection, request to close */

const double vmid_hist_le[VMID_HIST_BUCKETS] = {
	0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
};

const char *const vmid_error_kind_names[VMID_ERR_NR] = {
	[VMID_ERR_ATTACH] = "attach", [VMID_ERR_BASELINE] = "baseline",
	[VMID_ERR_CHECK] = "check", [VMID_ERR_CRASH] = "worker-crashed",
	[VMID_ERR_TIMEOUT] = "worker-timeout", [VMID_ERR_PROTOCOL] = "protocol",
	[VMID_ERR_LIBVIRT] = "libvirt",
};

const char *const vmid_agent_channel_names[VMID_AGENT_CHANNELS] = {
	[VMID_AGENT_MODULE] = "module", [VMID_AGENT_MAILBOX] = "mailbox",
};

const char *const vmid_agent_outcome_names[VMID_AGENT_OUTCOMES] = {
	[VMID_AGENT_CLEAN] = "clean", [VMID_AGENT_TAMPERED] = "tampered",
	[VMID_AGENT_ERROR] = "error",
};

void vm_count_agent(struct vm *vm, enum vmid_agent_channel ch, int status,
		    uint32_t verdict)
{
	enum vmid_agent_outcome o = VMID_AGENT_ERROR;

	if (!status && verdict == VMIAAS_VERDICT_CLEAN)
		o = VMID_AGENT_CLEAN;
	else if (!status && verdict == VMIAAS_VERDICT_TAMPERED)
		o = VMID_AGENT_TAMPERED;
	vm->m.agent[ch][o]++;
}

struct mclient {
	int fd;
	double deadline;
	char req[METRICS_REQ_MAX + 1];
	size_t len;
	char *out;		/* the response, once the request is read */
	size_t out_len, out_off;
};

static int lfd = -1;
static struct mclient clients[METRICS_MAX_CLIENTS];
static size_t nr_clients;
static double started;

/* "ADDR:PORT", "[ADDR6]:PORT"; -EINVAL otherwise. */
static int parse_spec(const char *spec, struct sockaddr_storage *ss,
		      socklen_t *len)
{
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	char host[64];
	const char *colon = strrchr(spec, ':');
	char *end;
	long port;
	size_t hl;

	if (!colon)
		return -EINVAL;
	port = strtol(colon + 1, &end, 10);
	if (*end || port < 0 || port > 65535 || end == colon + 1)
		return -EINVAL;
	hl = (size_t)(colon - spec);
	if (hl >= sizeof(host))
		return -EINVAL;
	memcpy(host, spec, hl);
	host[hl] = '\0';
	memset(ss, 0, sizeof(*ss));
	if (host[0] == '[' && hl > 2 && host[hl - 1] == ']') {
		host[hl - 1] = '\0';
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*s6);
		return inet_pton(AF_INET6, host + 1, &s6->sin6_addr) == 1 ? 0 : -EINVAL;
	}
	s4->sin_family = AF_INET;
	s4->sin_port = htons((uint16_t)port);
	*len = sizeof(*s4);
	return inet_pton(AF_INET, host, &s4->sin_addr) == 1 ? 0 : -EINVAL;
}

/*
 * The address really listened on, logged: with port 0 the kernel picks a
 * free one, and this line is how a scraper (or a test) learns it.
 */
static void log_bound(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char host[INET6_ADDRSTRLEN];
	const void *a;
	unsigned int port;

	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		return;
	if (ss.ss_family == AF_INET6) {
		a = &((struct sockaddr_in6 *)&ss)->sin6_addr;
		port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	} else {
		a = &((struct sockaddr_in *)&ss)->sin_addr;
		port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	}
	if (!inet_ntop(ss.ss_family, a, host, sizeof(host)))
		return;
	vmid_log(VMID_LOG_INFO, ss.ss_family == AF_INET6 ?
		 "metrics on [%s]:%u" : "metrics on %s:%u", host, port);
}

int metrics_open(const char *spec)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, one = 1, r;

	started = vmid_realtime();
	r = parse_spec(spec, &ss, &len);
	if (r < 0)
		return r;
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, 16) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	lfd = fd;
	log_bound(fd);
	return fd;
}

static void client_drop(size_t i)
{
	close(clients[i].fd);
	free(clients[i].out);
	clients[i] = clients[--nr_clients];
}

void metrics_close(void)
{
	while (nr_clients)
		client_drop(nr_clients - 1);
	if (lfd >= 0)
		close(lfd);
	lfd = -1;
}

/* The client longest in its request, or -1 if all are being answered. */
static ssize_t oldest_reader(void)
{
	ssize_t pick = -1;
	size_t i;

	for (i = 0; i < nr_clients; i++)
		if (!clients[i].out &&
		    (pick < 0 || clients[i].deadline < clients[pick].deadline))
			pick = (ssize_t)i;
	return pick;
}

void metrics_accept(void)
{
	ssize_t old;
	int fd;

	while ((fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK)) >= 0) {
		if (nr_clients == METRICS_MAX_CLIENTS) {
			old = oldest_reader();
			if (old < 0) {
				close(fd);
				continue;
			}
			client_drop((size_t)old);
		}
		clients[nr_clients++] = (struct mclient){
			.fd = fd, .deadline = vmid_now() + METRICS_TIMEOUT,
		};
	}
}

size_t metrics_pollfds(struct pollfd *p, size_t max)
{
	size_t i;

	for (i = 0; i < nr_clients && i < max; i++)
		p[i] = (struct pollfd){
			.fd = clients[i].fd,
			.events = clients[i].out ? POLLOUT : POLLIN,
		};
	return i;
}

double metrics_deadline(void)
{
	double t = 1e300;
	size_t i;

	for (i = 0; i < nr_clients; i++)
		if (clients[i].deadline < t)
			t = clients[i].deadline;
	return t;
}

void metrics_timers(void)
{
	double now = vmid_now();
	size_t i;

	for (i = nr_clients; i-- > 0;)
		if (now >= clients[i].deadline)
			client_drop(i);
}

/* ---- the exposition ---- */

struct buf {
	char *p;
	size_t len, cap;
	bool failed;
};

static void __attribute__((format(printf, 2, 3)))
out(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->failed)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->failed = true;
			return;
		}
		if ((size_t)n < b->cap - b->len) {
			b->len += (size_t)n;
			return;
		}
		char *np = realloc(b->p, b->cap * 2 + (size_t)n);

		if (!np) {
			b->failed = true;
			return;
		}
		b->p = np;
		b->cap = b->cap * 2 + (size_t)n;
	}
}

/* A label value: backslash, double quote and newline escaped. */
static const char *label(const char *s, size_t max, char *buf, size_t size)
{
	size_t i, o = 0;

	for (i = 0; i < max && s[i] && o + 3 < size; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\\' || c == '"') {
			buf[o++] = '\\';
			buf[o++] = (char)c;
		} else if (c == '\n') {
			buf[o++] = '\\';
			buf[o++] = 'n';
		} else {
			buf[o++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
		}
	}
	buf[o] = '\0';
	return buf;
}

static void header(struct buf *b, const char *name, const char *type,
		   const char *help)
{
	out(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void per_vm_checks(struct buf *b, const struct vmid *d)
{
	char vm[VMID_NAME_MAX * 2 + 1];
	size_t i, n = vmid_nr_vms(d), k;

	header(b, "vmiaas_checks_total", "counter",
	       "Integrity check rounds run, by VM and result.");
	for (i = 0; i < n; i++) {
		const struct vm *v = vmid_vm(d, i);

		label(v->ident.id, sizeof(v->ident.id), vm, sizeof(vm));
		out(b, "vmiaas_checks_total{vm=\"%s\",result=\"ok\"} %llu\n", vm,
		    (unsigned long long)v->m.checks_ok);
		out(b, "vmiaas_checks_total{vm=\"%s\",result=\"failed\"} %llu\n", vm,
		    (unsigned long long)v->m.checks_failed);
	}
	header(b, "vmiaas_check_duration_seconds", "histogram",
	       "Time a check round took in the VM's worker.");
	for (i = 0; i < n; i++) {
		const struct vm *v = vmid_vm(d, i);
		uint64_t cum = 0;

		label(v->ident.id, sizeof(v->ident.id), vm, sizeof(vm));
		for (k = 0; k < VMID_HIST_BUCKETS; k++) {
			cum += v->m.hist[k];
			out(b, "vmiaas_check_duration_seconds_bucket{vm=\"%s\",le=\"%g\"} %llu\n",
			    vm, vmid_hist_le[k], (unsigned long long)cum);
		}
		out(b, "vmiaas_check_duration_seconds_bucket{vm=\"%s\",le=\"+Inf\"} %llu\n",
		    vm, (unsigned long long)v->m.checks_ok);
		out(b, "vmiaas_check_duration_seconds_sum{vm=\"%s\"} %.6f\n", vm,
		    v->m.dur_sum);
		out(b, "vmiaas_check_duration_seconds_count{vm=\"%s\"} %llu\n", vm,
		    (unsigned long long)v->m.checks_ok);
	}
	header(b, "vmiaas_dirty_pages_total", "counter",
	       "Measured pages a check hashed or skipped (the soft-dirty skip), by VM.");
	for (i = 0; i < n; i++) {
		const struct vm *v = vmid_vm(d, i);

		label(v->ident.id, sizeof(v->ident.id), vm, sizeof(vm));
		out(b, "vmiaas_dirty_pages_total{vm=\"%s\",how=\"hashed\"} %llu\n",
		    vm, (unsigned long long)v->m.dirty_hashed);
		out(b, "vmiaas_dirty_pages_total{vm=\"%s\",how=\"skipped\"} %llu\n",
		    vm, (unsigned long long)v->m.dirty_skipped);
	}
}

static void per_vm_findings(struct buf *b, const struct vmid *d)
{
	char vm[VMID_NAME_MAX * 2 + 1], check[64 * 2 + 1];
	size_t i, n = vmid_nr_vms(d), k;

	header(b, "vmiaas_findings_total", "counter",
	       "Findings reported (new ones, not repeats), by VM, check and severity.");
	for (i = 0; i < n; i++) {
		const struct vm *v = vmid_vm(d, i);

		label(v->ident.id, sizeof(v->ident.id), vm, sizeof(vm));
		for (k = 0; k < v->m.nr_fstats; k++)
			out(b, "vmiaas_findings_total{vm=\"%s\",check=\"%s\",severity=\"%s\"} %llu\n",
			    vm, label(v->m.fstats[k].check, sizeof(v->m.fstats[k].check),
				      check, sizeof(check)),
			    vmiaas_severity_name(v->m.fstats[k].severity),
			    (unsigned long long)v->m.fstats[k].n);
	}
	header(b, "vmiaas_findings_active", "gauge",
	       "Findings present in the VM's latest check round.");
	for (i = 0; i < n; i++) {
		const struct vm *v = vmid_vm(d, i);

		out(b, "vmiaas_findings_active{vm=\"%s\"} %u\n",
		    label(v->ident.id, sizeof(v->ident.id), vm, sizeof(vm)),
		    v->nr_findings_active);
	}
	header(b, "vmiaas_errors_total", "counter",
	       "Errors by VM and kind (attach, baseline, check, worker crashes and timeouts, protocol, libvirt).");
	for (i = 0; i < n; i++) {
		const struct vm *v = vmid_vm(d, i);

		label(v->ident.id, sizeof(v->ident.id), vm, sizeof(vm));
		for (k = 0; k < VMID_ERR_NR; k++)
			out(b, "vmiaas_errors_total{vm=\"%s\",kind=\"%s\"} %llu\n", vm,
			    vmid_error_kind_names[k], (unsigned long long)v->m.errors[k]);
	}
	header(b, "vmiaas_agent_requests_total", "counter",
	       "Guest agent requests answered, by VM, channel (module event or RAM mailbox) and verdict (clean, tampered, or error: refused, unreadable or failed).");
	for (i = 0; i < n; i++) {
		const struct vm *v = vmid_vm(d, i);
		size_t c;

		label(v->ident.id, sizeof(v->ident.id), vm, sizeof(vm));
		for (c = 0; c < VMID_AGENT_CHANNELS; c++)
			for (k = 0; k < VMID_AGENT_OUTCOMES; k++)
				out(b, "vmiaas_agent_requests_total{vm=\"%s\",channel=\"%s\",verdict=\"%s\"} %llu\n",
				    vm, vmid_agent_channel_names[c],
				    vmid_agent_outcome_names[k],
				    (unsigned long long)v->m.agent[c][k]);
	}
	header(b, "vmiaas_worker_restarts_total", "counter",
	       "Times the VM's worker process was restarted.");
	for (i = 0; i < n; i++) {
		const struct vm *v = vmid_vm(d, i);

		out(b, "vmiaas_worker_restarts_total{vm=\"%s\"} %u\n",
		    label(v->ident.id, sizeof(v->ident.id), vm, sizeof(vm)),
		    v->nr_restarts);
	}
}

static void node(struct buf *b, const struct vmid *d)
{
	static const char *const all[] = { "shm", "pid", "module" };
	const char *backends[8];
	size_t counts[8], nr, i, j;
	struct rusage ru;
	long rss = 0, page = sysconf(_SC_PAGESIZE);
	unsigned long vsz;
	int fds = 0;
	FILE *f;
	DIR *dir;

	nr = vmid_nr_attached(d, backends, counts, 8);
	header(b, "vmiaas_vms_attached", "gauge",
	       "VMs whose worker is attached, by memory backend.");
	for (i = 0; i < 3; i++) {
		size_t c = 0;

		for (j = 0; j < nr; j++)
			if (!strcmp(backends[j], all[i]))
				c = counts[j];
		out(b, "vmiaas_vms_attached{backend=\"%s\"} %zu\n", all[i], c);
	}
	for (j = 0; j < nr; j++) {
		char l[64];

		for (i = 0; i < 3 && strcmp(backends[j], all[i]); i++)
			;
		if (i == 3)
			out(b, "vmiaas_vms_attached{backend=\"%s\"} %zu\n",
			    label(backends[j], 16, l, sizeof(l)), counts[j]);
	}
	header(b, "vmiaas_vms", "gauge", "VMs vmid knows, attached or not.");
	out(b, "vmiaas_vms %zu\n", vmid_nr_vms(d));
	header(b, "vmiaas_libvirt_connected", "gauge",
	       "1 when vmid follows libvirt's domains and events.");
	out(b, "vmiaas_libvirt_connected %d\n", vmid_libvirt_connected(d) ? 1 : 0);
	header(b, "vmiaas_build_info", "gauge", "vmid's version.");
	out(b, "vmiaas_build_info{version=\"%s\"} 1\n", VMIAAS_VERSION);

	getrusage(RUSAGE_SELF, &ru);
	header(b, "process_cpu_seconds_total", "counter",
	       "User and system CPU time of vmid (not its workers).");
	out(b, "process_cpu_seconds_total %.3f\n",
	    ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	    ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6);
	f = fopen("/proc/self/statm", "re");
	if (f) {
		if (fscanf(f, "%lu %ld", &vsz, &rss) != 2)
			rss = 0;
		fclose(f);
	}
	header(b, "process_resident_memory_bytes", "gauge", "Resident memory of vmid.");
	out(b, "process_resident_memory_bytes %ld\n", rss * page);
	dir = opendir("/proc/self/fd");
	if (dir) {
		while (readdir(dir))
			fds++;
		closedir(dir);
		fds -= 3;	/* ".", "..", the directory's own descriptor */
	}
	header(b, "process_open_fds", "gauge", "Open descriptors of vmid.");
	out(b, "process_open_fds %d\n", fds);
	header(b, "process_start_time_seconds", "gauge",
	       "When vmid started, seconds since the epoch.");
	out(b, "process_start_time_seconds %.0f\n", started);
}

/* The CPU budget and what the checks cost (sched.c). */
static void schedule(struct buf *b, const struct vmid *d)
{
	const struct vmid_sched *s = vmid_sched(d);
	char l[VMID_NAME_MAX * 4 + 1];
	size_t i;

	header(b, "vmiaas_cpu_budget_ratio", "gauge",
	       "Share of one core the checks may use (cpu_budget), 0: none.");
	out(b, "vmiaas_cpu_budget_ratio %g\n", s->budget);
	header(b, "vmiaas_check_cpu_demand_ratio", "gauge",
	       "Share of one core the checks would use at the configured interval.");
	out(b, "vmiaas_check_cpu_demand_ratio %g\n", s->demand);
	header(b, "vmiaas_check_interval_stretch", "gauge",
	       "Factor the CPU budget stretches the check interval by (1: none).");
	out(b, "vmiaas_check_interval_stretch %g\n", s->stretch);
	header(b, "vmiaas_check_interval_seconds", "gauge",
	       "Seconds between two scheduled checks of a VM, stretched.");
	out(b, "vmiaas_check_interval_seconds %g\n", sched_interval(s));
	header(b, "vmiaas_check_cpu_seconds_total", "counter",
	       "CPU time the workers spent in checks (their CPU clocks).");
	for (i = 0; i < vmid_nr_vms(d); i++) {
		const struct vm *vm = vmid_vm(d, i);

		out(b, "vmiaas_check_cpu_seconds_total{vm=\"%s\"} %.6f\n",
		    label(vm->ident.id, sizeof(vm->ident.id), l, sizeof(l)),
		    vm->sched.cpu_sum);
	}
}

char *metrics_render(const struct vmid *d, size_t *ret_len)
{
	struct buf b = { .cap = 16384 };

	b.p = malloc(b.cap);
	if (!b.p)
		return NULL;
	per_vm_checks(&b, d);
	per_vm_findings(&b, d);
	node(&b, d);
	schedule(&b, d);
	if (b.failed) {
		free(b.p);
		return NULL;
	}
	*ret_len = b.len;
	return b.p;
}

/* ---- HTTP ---- */

static void respond(struct mclient *c, int code, const char *reason,
		    const char *type, const char *body, size_t len)
{
	char head[256];
	int hl;

	hl = snprintf(head, sizeof(head),
		      "HTTP/1.0 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
		      code, reason, type, len);
	c->out = malloc((size_t)hl + len);
	if (!c->out) {
		c->deadline = 0;	/* dropped at the next timer pass */
		return;
	}
	memcpy(c->out, head, (size_t)hl);
	memcpy(c->out + hl, body, len);
	c->out_len = (size_t)hl + len;
	c->out_off = 0;
}

static void handle_request(const struct vmid *d, struct mclient *c)
{
	static const char text[] = "text/plain; charset=utf-8";
	char *body;
	size_t len;

	if (strncmp(c->req, "GET ", 4) && strncmp(c->req, "HEAD ", 5)) {
		respond(c, 405, "Method Not Allowed", text, "GET only\n", 9);
		return;
	}
	if (strncmp(strchr(c->req, ' ') + 1, "/metrics", 8) ||
	    !strchr(" ?", strchr(c->req, ' ')[9])) {
		respond(c, 404, "Not Found", text, "try /metrics\n", 13);
		return;
	}
	body = metrics_render(d, &len);
	if (!body) {
		respond(c, 500, "Internal Server Error", text, "out of memory\n", 14);
		return;
	}
	respond(c, 200, "OK", "text/plain; version=0.0.4; charset=utf-8", body,
		strncmp(c->req, "HEAD ", 5) ? len : 0);
	free(body);
}

/* Reads what is there; answers once the request head is complete. */
static bool client_read(const struct vmid *d, struct mclient *c)
{
	ssize_t n;

	n = read(c->fd, c->req + c->len, METRICS_REQ_MAX - c->len);
	if (n < 0)
		return errno == EAGAIN || errno == EINTR;
	if (n == 0)
		return false;
	c->len += (size_t)n;
	c->req[c->len] = '\0';
	if (strstr(c->req, "\r\n\r\n") || strstr(c->req, "\n\n"))
		handle_request(d, c);
	else if (c->len == METRICS_REQ_MAX)
		respond(c, 431, "Request Header Fields Too Large",
			"text/plain", "request too large\n", 18);
	return true;
}

static bool client_write(struct mclient *c)
{
	ssize_t n;

	n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
		 MSG_NOSIGNAL | MSG_DONTWAIT);
	if (n < 0)
		return errno == EAGAIN || errno == EINTR;
	c->out_off += (size_t)n;
	if (c->out_off == c->out_len) {
		shutdown(c->fd, SHUT_WR);
		return false;
	}
	return true;
}

void metrics_io(const struct vmid *d, const struct pollfd *p, size_t n)
{
	size_t i;

	for (i = n; i-- > 0;) {
		struct mclient *c;
		bool keep = true;

		if (i >= nr_clients || p[i].fd != clients[i].fd || !p[i].revents)
			continue;
		c = &clients[i];
		if (p[i].revents & (POLLERR | POLLNVAL))
			keep = false;
		else if (!c->out && (p[i].revents & (POLLIN | POLLHUP)))
			keep = client_read(d, c);
		if (keep && c->out && (p[i].revents & POLLOUT))
			keep = client_write(c);
		if (!keep)
			client_drop(i);
	}
}
