// SPDX-License-Identifier: GPL-2.0
/*
 * module_policy: what vmid registers with vmiaas.ko for exec-memory and
 * usermode-helper (libvmiaas's vmiaas_module_policy()), and its run as
 * the module runs it (vmiaas_module_policy_run(): the same core code),
 * for tests/integration/56-exec-helpers.sh on live guests, where no
 * patched KVM lets the module itself attach.
 *
 *   module_policy --take FILE [--baseline BL --key KEY] --shm SHM --qmp SOCK
 *       takes the records from the guest now into FILE (proc-ops' table
 *       of watched entries into FILE.table, vfs-ops' allowed ranges into
 *       FILE.vfs), with baseline BL (the
 *       hooks it trusts allowed, as vmid's are) if given; prints one
 *       line per record: "check I type=T flags=F len=L LABEL; finding
 *       CHECK \"OBJECT\" SEVERITY" (what vmid reports when it fails)
 *   module_policy --run FILE --shm SHM --qmp SOCK
 *       runs FILE's records (proc-ops' with FILE.table, vfs-ops' with
 *       FILE.vfs); prints
 *       "failed=0xMASK checks=N", then for each failed netfilter-hook
 *       and proc-ops record what it found, as vmid's finding names it
 *       from the module's event: "found I SEVERITY \"OBJECT\": MESSAGE"
 * Exit status: 0, or 1 with a message.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uapi/linux/vmiaas.h>
#include <vmiaas/checks.h>
#include <vmiaas/vmiaas.h>

#define RECORDS_MAX	20	/* vmid's MODULE_POLICY_MAX */

/* FILE.SUFFIX: @nr entries of @size at @t, as vmid sends them to its parent. */
static int table_write(const char *path, const char *suffix, const void *t,
		       size_t size, size_t nr)
{
	char name[4096];
	FILE *f;

	snprintf(name, sizeof(name), "%s.%s", path, suffix);
	f = fopen(name, "w");
	if (!f || (nr && fwrite(t, size, nr, f) != nr) || fclose(f))
		return -EIO;
	return 0;
}

/* FILE.SUFFIX's entries of @size, at most @max (*@ret_n): free() it, or NULL. */
static void *table_load(const char *path, const char *suffix, size_t size,
			size_t max, size_t *ret_n)
{
	char name[4096];
	void *t;
	FILE *f;

	*ret_n = 0;
	snprintf(name, sizeof(name), "%s.%s", path, suffix);
	f = fopen(name, "r");
	if (!f)
		return NULL;
	t = calloc(max, size);
	if (t)
		*ret_n = fread(t, size, max, f);
	fclose(f);
	return t;
}

/* Points the vfs-ops records of @c at FILE.vfs (*@ret: free it). */
static int vfs_read(const char *path, struct vmiaas_module_check *c,
		    size_t nr, uint64_t **ret)
{
	size_t n, i;
	uint64_t *r = table_load(path, "vfs", 2 * sizeof(*r),
				 VMIAAS_MAX_VFS_ALLOW, &n);

	if (!r)
		return -ENOENT;
	for (i = 0; i < nr; i++) {
		uint64_t a = (uintptr_t)r;

		if (c[i].type != VMIAAS_CHECK_VFS_GVA)
			continue;
		if (c[i].len != n) {
			free(r);
			return -EBADMSG;
		}
		memcpy(c[i].data + VMIAAS_MODULE_VFS_ALLOW, &a, sizeof(a));
	}
	*ret = r;
	return 0;
}

/* Points the proc-ops records of @c at FILE.table (*@ret: free it). */
static int table_read(const char *path, struct vmiaas_module_check *c,
		      size_t nr, struct vmiaas_proc_watch **ret)
{
	size_t n, i;
	struct vmiaas_proc_watch *t = table_load(path, "table", sizeof(*t),
						 VMIAAS_MAX_PROC_TABLE, &n);

	if (!t)
		return -ENOENT;
	for (i = 0; i < nr; i++) {
		struct vmiaas_proc_more *more = (void *)(c[i].data +
			sizeof(struct vmiaas_proc_check));

		if (c[i].type != VMIAAS_CHECK_PROC_GVA ||
		    !(c[i].flags & VMIAAS_CHECK_PROC_MORE))
			continue;
		if (more->nr_watch != n) {
			free(t);
			return -EBADMSG;
		}
		more->watch = (uint64_t)(uintptr_t)t;
	}
	*ret = t;
	return 0;
}

static int take(struct vmiaas *v, const char *path, const char *bl,
		const char *key_path)
{
	struct vmiaas_module_check c[RECORDS_MAX];
	const struct vmiaas_proc_watch *t;
	struct vmiaas_baseline *b = NULL;
	uint8_t key[VMIAAS_KEY_SIZE];
	size_t nr = 0, i, n, n2;
	const uint64_t *r;
	FILE *f;
	int err = 0;

	if (bl) {
		err = vmiaas_key_load(key_path, 0, key, NULL);
		err = err ?: vmiaas_baseline_load(v, bl, key, &b);
	}
	err = err ?: vmiaas_module_policy(v, b, c, RECORDS_MAX, &nr);
	vmiaas_baseline_free(b);
	if (err)
		return err;
	f = fopen(path, "w");
	if (!f || fwrite(c, sizeof(c[0]), nr, f) != nr || fclose(f))
		return -EIO;
	t = vmiaas_module_proc_table(v, &n);
	r = vmiaas_module_vfs_ranges(v, &n2);
	if (table_write(path, "table", t, sizeof(*t), n) ||
	    table_write(path, "vfs", r, 2 * sizeof(*r), n2))
		return -EIO;
	for (i = 0; i < nr; i++)
		printf("check %zu type=%u flags=%u len=%llu %s; finding %s \"%s\" %s\n",
		       i, c[i].type, c[i].flags, (unsigned long long)c[i].len,
		       c[i].label, c[i].check, c[i].object,
		       vmiaas_severity_name(c[i].severity));
	return 0;
}

static int run(struct vmiaas *v, const char *path)
{
	struct vmiaas_module_check c[RECORDS_MAX];
	struct vmiaas_found found[RECORDS_MAX];
	struct vmiaas_proc_watch *table = NULL;
	uint64_t failed = 0, *ranges = NULL;
	size_t nr, i;
	FILE *f;
	int err;

	f = fopen(path, "r");
	if (!f)
		return -ENOENT;
	nr = fread(c, sizeof(c[0]), RECORDS_MAX, f);
	fclose(f);
	err = table_read(path, c, nr, &table);
	err = err ?: vfs_read(path, c, nr, &ranges);
	err = err ?: vmiaas_module_policy_found(v, c, nr, &failed, found);
	free(table);
	free(ranges);
	if (err)
		return err;
	printf("failed=%#llx checks=%zu\n", (unsigned long long)failed, nr);
	for (i = 0; i < nr; i++) {
		struct vmiaas_finding fd = { .severity = c[i].severity };

		if (found[i].kind && !vmiaas_module_found(&c[i], &found[i], &fd))
			printf("found %zu %s \"%s\": %s\n", i,
			       vmiaas_severity_name(fd.severity), fd.object,
			       fd.message);
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "take", required_argument, NULL, 't' },
		{ "run", required_argument, NULL, 'r' },
		{ "shm", required_argument, NULL, 's' },
		{ "qmp", required_argument, NULL, 'q' },
		{ "baseline", required_argument, NULL, 'b' },
		{ "key", required_argument, NULL, 'k' },
		{ 0 }
	};
	const char *bl = NULL, *key = VMIAAS_KEY_DEFAULT;
	struct vmiaas_target t = { .sz = sizeof(t) };
	struct vmiaas_diag diag = { 0 };
	const char *take_path = NULL, *run_path = NULL;
	struct vmiaas *v = NULL;
	int o, err;

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (o == 't')
			take_path = optarg;
		else if (o == 'r')
			run_path = optarg;
		else if (o == 's')
			t.shm_path = optarg;
		else if (o == 'q')
			t.qmp_path = optarg;
		else if (o == 'b')
			bl = optarg;
		else if (o == 'k')
			key = optarg;
		else
			return 2;
	}
	if (!t.shm_path || !t.qmp_path || !take_path == !run_path) {
		fprintf(stderr, "usage: module_policy --take FILE [--baseline BL --key KEY] | --run FILE --shm SHM --qmp SOCK\n");
		return 2;
	}
	err = vmiaas_open(&t, &v, &diag);
	if (err) {
		fprintf(stderr, "module_policy: %s\n", diag.msg);
		return 1;
	}
	err = take_path ? take(v, take_path, bl, key) : run(v, run_path);
	if (err)
		fprintf(stderr, "module_policy: %s (%s)\n",
			vmiaas_last_diag(v)->msg, strerror(-err));
	vmiaas_close(v);
	return err ? 1 : 0;
}
