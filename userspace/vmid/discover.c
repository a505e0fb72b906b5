// SPDX-License-Identifier: GPL-2.0
/*
 * Discovery of plain QEMU processes: /proc/PID/exe (or comm) names a
 * qemu-system-* binary; its command line (the library's parser,
 * userspace/lib/qemu_cmdline.c) gives the VM's name, uuid, QMP socket
 * and, when its RAM is a shared memory-backend-file, the file to map.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "userspace/lib/qemu_cmdline.h"
#include "vmid.h"

static void make_id(struct vm_ident *id)
{
	size_t i;

	if (!id->name[0]) {
		snprintf(id->id, sizeof(id->id), "pid-%d", (int)id->pid);
		return;
	}
	snprintf(id->id, sizeof(id->id), "%s", id->name);
	for (i = 0; id->id[i]; i++)
		if (!isalnum((unsigned char)id->id[i]) &&
		    !strchr("._-", id->id[i]))
			id->id[i] = '_';
	if (id->id[0] == '.')
		id->id[0] = '_';
}

static bool still_daemonizing(pid_t pid, const struct qemu_cmdline *cl);

/*
 * @id's name, uuid, QMP socket and shared RAM file from the command line
 * of QEMU process id->pid: -ENOENT, -ENOMEM (qemu_cmdline_read()), or
 * -EAGAIN for a QEMU that is still daemonizing.
 */
static int parse_cmdline(struct vm_ident *id)
{
	struct qemu_cmdline cl;
	struct stat st;
	int err;

	err = qemu_cmdline_read(id->pid, &cl);
	if (err < 0)
		return err;
	if (still_daemonizing(id->pid, &cl))
		return -EAGAIN;
	snprintf(id->name, sizeof(id->name), "%s", cl.name);
	snprintf(id->uuid, sizeof(id->uuid), "%s", cl.uuid);
	snprintf(id->qmp, sizeof(id->qmp), "%s", cl.qmp);
	/* a RAM file vmid can map: shared, a regular file */
	if (cl.ram_shared && cl.ram_path[0] == '/' &&
	    stat(cl.ram_path, &st) == 0 && S_ISREG(st.st_mode))
		snprintf(id->shm, sizeof(id->shm), "%s", cl.ram_path);
	make_id(id);
	return 0;
}

static ssize_t read_file(const char *path, char *buf, size_t size)
{
	size_t off = 0;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (off < size) {
		n = read(fd, buf + off, size - off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			n = -errno;
			close(fd);
			return n;
		}
		if (!n)
			break;
		off += (size_t)n;
	}
	close(fd);
	return (ssize_t)off;
}

/* Field @field (3: state, 4: ppid, 6: session, 22: starttime) of /proc/PID/stat. */
static int proc_stat_field(pid_t pid, int field, uint64_t *ret)
{
	char path[64], buf[1024], *p;
	ssize_t n;
	int i;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	n = read_file(path, buf, sizeof(buf) - 1);
	if (n < 0)
		return (int)n;
	buf[n] = '\0';
	/* after the command's name, which may hold spaces and ')' */
	p = strrchr(buf, ')');
	if (!p)
		return -EBADMSG;
	/* p + 1 is the space before field 3 */
	p++;
	for (i = 3; i < field && p; i++)
		p = strchr(p + 1, ' ');
	if (!p)
		return -EBADMSG;
	*ret = strtoull(p + 1, NULL, 10);
	return 0;
}

static int proc_starttime(pid_t pid, uint64_t *ret)
{
	return proc_stat_field(pid, 22, ret);
}

/*
 * QEMU's -daemonize: the process started forks, its child calls setsid()
 * and forks the daemon, and the first waits, with the same command line,
 * until the daemon has set the machine up; then it exits. That waiting
 * process owns no guest: attached, it gave the VM a "booting" event (its
 * QMP socket not there yet) and a second attach when it exited. The
 * daemon is the process -pidfile names (written right after the forks,
 * before the machine exists). Without a pidfile vmid can read: the daemon
 * is in the session its parent made and left at once, so the session has
 * no leader, while the waiting process is in its launcher's session (or
 * leads one). A pid reused since cannot lead that session: setsid() is
 * refused while the daemon's process group bears its number. Such a
 * process is left for the next scan.
 */
static bool still_daemonizing(pid_t pid, const struct qemu_cmdline *cl)
{
	char path[sizeof(cl->pidfile) + 32], buf[32];
	uint64_t sid, leader_sid;
	ssize_t n;

	if (!cl->daemonize)
		return false;
	if (cl->pidfile[0]) {
		if (cl->pidfile[0] == '/')
			snprintf(path, sizeof(path), "%s", cl->pidfile);
		else
			snprintf(path, sizeof(path), "/proc/%d/cwd/%s", (int)pid,
				 cl->pidfile);
		n = read_file(path, buf, sizeof(buf) - 1);
		if (n > 0) {
			buf[n] = '\0';
			return strtol(buf, NULL, 10) != (long)pid;
		}
	}
	if (proc_stat_field(pid, 6, &sid) < 0 || !sid || sid > INT_MAX)
		return false;
	if (sid == (uint64_t)pid)
		return true;
	return proc_stat_field((pid_t)sid, 6, &leader_sid) == 0 &&
	       leader_sid == sid;
}

double discover_age(uint64_t starttime)
{
	char buf[64];
	ssize_t n;
	long hz = sysconf(_SC_CLK_TCK);

	n = read_file("/proc/uptime", buf, sizeof(buf) - 1);
	if (n <= 0 || hz <= 0)
		return 1e9;
	buf[n] = '\0';
	return strtod(buf, NULL) - (double)starttime / (double)hz;
}

int discover_alive(pid_t pid, uint64_t starttime)
{
	uint64_t t;

	if (proc_starttime(pid, &t) < 0 || t != starttime)
		return -ESRCH;
	return 0;
}

/* Other KVM VMMs to watch (config "vmm", a glob), "" none. */
static char vmm_glob[VMID_NAME_MAX];

void discover_set_vmm(const char *glob)
{
	snprintf(vmm_glob, sizeof(vmm_glob), "%s", glob);
}

/*
 * A QEMU or a VMM of vmm_glob: its executable's name (comm if the link is
 * not ours to read) in @vmm, for the events: "l2vmm pid 42".
 */
static bool is_vmm(pid_t pid, char *vmm, size_t size)
{
	char path[64], exe[PATH_MAX];
	const char *base;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	n = readlink(path, exe, sizeof(exe) - 1);
	if (n <= 0) {
		/* not ours to read: fall back to comm */
		snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
		n = read_file(path, exe, sizeof(exe) - 1);
		if (n <= 0)
			return false;
	}
	exe[n] = '\0';
	exe[strcspn(exe, "\n")] = '\0';	/* comm ends with one */
	base = strrchr(exe, '/');
	base = base ? base + 1 : exe;
	if (strncmp(base, "qemu-system-", 12) &&
	    (!vmm_glob[0] || fnmatch(vmm_glob, base, 0)))
		return false;
	snprintf(vmm, size, "%.*s", (int)size - 1, base);
	return true;
}

int discover_pid(pid_t pid, struct vm_ident *id)
{
	int r;

	memset(id, 0, sizeof(*id));
	if (pid <= 0 || !is_vmm(pid, id->vmm, sizeof(id->vmm)))
		return -ESRCH;
	id->pid = pid;
	r = proc_starttime(pid, &id->starttime);
	if (r < 0)
		return r;
	r = parse_cmdline(id);
	return r == -ENOMEM ? r : r < 0 ? -ESRCH : 0;
}

int discover_scan(const char *match,
		  bool (*known)(pid_t pid, uint64_t *starttime, void *arg),
		  void (*fn)(const struct vm_ident *id, void *arg), void *arg)
{
	struct dirent *de;
	DIR *dir;

	dir = opendir("/proc");
	if (!dir)
		return -errno;
	while ((de = readdir(dir))) {
		struct vm_ident id = {};
		uint64_t was;
		char *end;
		long pid;

		pid = strtol(de->d_name, &end, 10);
		if (*end || pid <= 0 || pid == getpid())
			continue;
		id.pid = (pid_t)pid;
		if (known && known(id.pid, &was, arg)) {
			if (proc_starttime(id.pid, &id.starttime) < 0)
				continue;	/* exited meanwhile */
			if (id.starttime == was) {
				fn(&id, arg);	/* the same process */
				continue;
			}
			/* the pid of another process now: read in full */
		}
		if (!is_vmm(id.pid, id.vmm, sizeof(id.vmm)) ||
		    proc_starttime(id.pid, &id.starttime) < 0 ||
		    parse_cmdline(&id) < 0)
			continue;	/* exited, or a zombie */
		if (match[0] && fnmatch(match, id.name, 0))
			continue;
		fn(&id, arg);
	}
	closedir(dir);
	return 0;
}
