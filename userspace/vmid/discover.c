// SPDX-License-Identifier: GPL-2.0
/*
 * Discovery of plain QEMU processes: /proc/PID/exe (or comm) names a
 * qemu-system-* binary; the command line gives the VM's name (-name),
 * its QMP socket (-qmp unix:PATH) and, when its RAM is a shared
 * memory-backend-file (the -machine memory-backend= object, share=on),
 * the file to map. Command lines are QEMU's, not the guest's, but are
 * still parsed with every length bounded.
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

#include <json-c/json.h>

#include "vmid.h"

#define CMDLINE_MAX	(256 * 1024)
#define MAX_OBJECTS	64

struct mem_object {
	char id[64];
	char path[VMID_PATH_MAX];
	bool file, share;
};

static void copy(char *dst, size_t size, const char *s, size_t len)
{
	if (len >= size)
		len = size - 1;
	memcpy(dst, s, len);
	dst[len] = '\0';
}

/* The value of KEY= in a QEMU "a=b,c=d" option string, or NULL. */
static const char *opt_get(const char *s, const char *key, size_t *ret_len)
{
	size_t kl = strlen(key);
	const char *p = s;

	while (p && *p) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);

		if (len > kl && !strncmp(p, key, kl) && p[kl] == '=') {
			*ret_len = len - kl - 1;
			return p + kl + 1;
		}
		p = end ? end + 1 : NULL;
	}
	return NULL;
}

static bool opt_true(const char *v, size_t len)
{
	return (len == 2 && !strncmp(v, "on", 2)) ||
	       (len == 3 && !strncmp(v, "yes", 3)) ||
	       (len == 4 && !strncmp(v, "true", 4));
}

static void object_parse_json(const char *arg, struct mem_object *o)
{
	struct json_object *j = json_tokener_parse(arg), *v;

	if (!j)
		return;
	if (json_object_object_get_ex(j, "qom-type", &v) &&
	    !strcmp(json_object_get_string(v) ?: "", "memory-backend-file"))
		o->file = true;
	if (json_object_object_get_ex(j, "id", &v))
		snprintf(o->id, sizeof(o->id), "%s", json_object_get_string(v) ?: "");
	if (json_object_object_get_ex(j, "mem-path", &v))
		snprintf(o->path, sizeof(o->path), "%s", json_object_get_string(v) ?: "");
	if (json_object_object_get_ex(j, "share", &v))
		o->share = json_object_get_boolean(v);
	json_object_put(j);
}

static void object_parse(const char *arg, struct mem_object *o)
{
	const char *v;
	size_t len;

	memset(o, 0, sizeof(*o));
	if (arg[0] == '{') {
		object_parse_json(arg, o);
		return;
	}
	o->file = !strncmp(arg, "memory-backend-file,", 20);
	v = opt_get(arg, "id", &len);
	if (v)
		copy(o->id, sizeof(o->id), v, len);
	v = opt_get(arg, "mem-path", &len);
	if (v)
		copy(o->path, sizeof(o->path), v, len);
	v = opt_get(arg, "share", &len);
	o->share = v && opt_true(v, len);
}

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

void discover_parse_cmdline(const char *buf, size_t len, struct vm_ident *id)
{
	struct mem_object *objs;
	char ram_id[64] = "";
	size_t nr_objs = 0, i;
	const char *args[2] = {};
	size_t off = 0;

	objs = calloc(MAX_OBJECTS, sizeof(*objs));
	if (!objs)
		return;
	while (off < len) {
		const char *a = buf + off;
		size_t l = strnlen(a, len - off);
		const char *v;
		size_t vl;

		off += l + 1;
		args[0] = args[1];
		args[1] = a;
		if (!args[0])
			continue;
		if (!strcmp(args[0], "-name") && !id->name[0]) {
			v = a;
			if (!strncmp(v, "guest=", 6))
				v += 6;
			vl = strcspn(v, ",");
			copy(id->name, sizeof(id->name), v, vl);
		} else if (!strcmp(args[0], "-qmp") && !id->qmp[0] &&
			   !strncmp(a, "unix:", 5)) {
			v = a + 5;
			if (!strncmp(v, "path=", 5))
				v += 5;
			copy(id->qmp, sizeof(id->qmp), v, strcspn(v, ","));
		} else if (!strcmp(args[0], "-uuid") && !id->uuid[0] &&
			   strlen(a) == 36) {
			copy(id->uuid, sizeof(id->uuid), a, 36);
		} else if (!strcmp(args[0], "-object") && nr_objs < MAX_OBJECTS) {
			object_parse(a, &objs[nr_objs]);
			if (objs[nr_objs].file)
				nr_objs++;
		} else if (!strcmp(args[0], "-machine") || !strcmp(args[0], "-M")) {
			v = opt_get(a, "memory-backend", &vl);
			if (v)
				copy(ram_id, sizeof(ram_id), v, vl);
		}
	}
	for (i = 0; i < nr_objs && ram_id[0]; i++) {
		struct stat st;

		if (strcmp(objs[i].id, ram_id) || !objs[i].share ||
		    objs[i].path[0] != '/')
			continue;
		if (stat(objs[i].path, &st) == 0 && S_ISREG(st.st_mode))
			snprintf(id->shm, sizeof(id->shm), "%s", objs[i].path);
	}
	free(objs);
	make_id(id);
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

static int proc_starttime(pid_t pid, uint64_t *ret)
{
	char path[64], buf[1024], *p;
	ssize_t n;
	int field;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	n = read_file(path, buf, sizeof(buf) - 1);
	if (n < 0)
		return (int)n;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	if (!p)
		return -EBADMSG;
	/* p + 1 is the space before field 3; starttime is field 22 */
	p++;
	for (field = 3; field < 22 && p; field++)
		p = strchr(p + 1, ' ');
	if (!p)
		return -EBADMSG;
	*ret = strtoull(p + 1, NULL, 10);
	return 0;
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
	char path[64], *buf;
	ssize_t n;
	int r;

	memset(id, 0, sizeof(*id));
	if (pid <= 0 || !is_vmm(pid, id->vmm, sizeof(id->vmm)))
		return -ESRCH;
	id->pid = pid;
	r = proc_starttime(pid, &id->starttime);
	if (r < 0)
		return r;
	buf = malloc(CMDLINE_MAX);
	if (!buf)
		return -ENOMEM;
	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	n = read_file(path, buf, CMDLINE_MAX);
	if (n > 0)
		discover_parse_cmdline(buf, (size_t)n, id);
	free(buf);
	return n > 0 ? 0 : -ESRCH;
}

int discover_scan(const char *match,
		  void (*fn)(const struct vm_ident *id, void *arg), void *arg)
{
	struct dirent *de;
	char *buf;
	DIR *dir;

	dir = opendir("/proc");
	if (!dir)
		return -errno;
	buf = malloc(CMDLINE_MAX);
	if (!buf) {
		closedir(dir);
		return -ENOMEM;
	}
	while ((de = readdir(dir))) {
		struct vm_ident id = {};
		char path[64];
		char *end;
		long pid;
		ssize_t n;

		pid = strtol(de->d_name, &end, 10);
		if (*end || pid <= 0 || pid == getpid() ||
		    !is_vmm((pid_t)pid, id.vmm, sizeof(id.vmm)))
			continue;
		id.pid = (pid_t)pid;
		if (proc_starttime(id.pid, &id.starttime) < 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/cmdline", pid);
		n = read_file(path, buf, CMDLINE_MAX);
		if (n <= 0)
			continue;	/* exited, or a zombie */
		discover_parse_cmdline(buf, (size_t)n, &id);
		if (match[0] && fnmatch(match, id.name, 0))
			continue;
		fn(&id, arg);
	}
	free(buf);
	closedir(dir);
	return 0;
}
