// SPDX-License-Identifier: GPL-2.0
/*
 * module_policy: what vmid registers with vmiaas.ko for exec-memory and
 * usermode-helper (libvmiaas's vmiaas_module_policy()), and its run as
 * the module runs it (vmiaas_module_policy_run(): the same core code),
 * for tests/integration/56-exec-helpers.sh on live guests, where no
 * patched KVM lets the module itself attach.
 *
 *   module_policy --take FILE --shm SHM --qmp SOCK
 *       takes the records from the guest now into FILE; prints one line
 *       per record: "check I type=T flags=F len=L LABEL; finding CHECK
 *       \"OBJECT\" SEVERITY" (what vmid reports when it fails)
 *   module_policy --run FILE --shm SHM --qmp SOCK
 *       runs FILE's records; prints "failed=0xMASK checks=N"
 * Exit status: 0, or 1 with a message.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vmiaas/checks.h>
#include <vmiaas/vmiaas.h>

#define RECORDS_MAX	16

static int take(struct vmiaas *v, const char *path)
{
	struct vmiaas_module_check c[RECORDS_MAX];
	size_t nr = 0, i;
	FILE *f;
	int err;

	err = vmiaas_module_policy(v, c, RECORDS_MAX, &nr);
	if (err)
		return err;
	f = fopen(path, "w");
	if (!f || fwrite(c, sizeof(c[0]), nr, f) != nr || fclose(f))
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
	uint64_t failed = 0;
	size_t nr;
	FILE *f;
	int err;

	f = fopen(path, "r");
	if (!f)
		return -ENOENT;
	nr = fread(c, sizeof(c[0]), RECORDS_MAX, f);
	fclose(f);
	err = vmiaas_module_policy_run(v, c, nr, &failed);
	if (!err)
		printf("failed=%#llx checks=%zu\n", (unsigned long long)failed,
		       nr);
	return err;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "take", required_argument, NULL, 't' },
		{ "run", required_argument, NULL, 'r' },
		{ "shm", required_argument, NULL, 's' },
		{ "qmp", required_argument, NULL, 'q' },
		{ 0 }
	};
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
		else
			return 2;
	}
	if (!t.shm_path || !t.qmp_path || !take_path == !run_path) {
		fprintf(stderr, "usage: module_policy --take FILE | --run FILE --shm SHM --qmp SOCK\n");
		return 2;
	}
	err = vmiaas_open(&t, &v, &diag);
	if (err) {
		fprintf(stderr, "module_policy: %s\n", diag.msg);
		return 1;
	}
	err = take_path ? take(v, take_path) : run(v, run_path);
	if (err)
		fprintf(stderr, "module_policy: %s (%s)\n",
			vmiaas_last_diag(v)->msg, strerror(-err));
	vmiaas_close(v);
	return err ? 1 : 0;
}
