// SPDX-License-Identifier: GPL-2.0
/*
 * bpf-writeuser: what an eBPF rootkit (bad-bpf's "sudoadd"/"pidhide",
 * TripleCross's execve hijack) loads, reduced to its shape: a raw
 * tracepoint program on sys_enter -- every system call's entry -- that
 * calls bpf_probe_write_user. Here it writes 8 bytes to address 0, which
 * fails with -EFAULT every time: the guest is unharmed, but the program
 * is loaded, attached and can do what a rootkit does. It stays attached
 * until killed; prints "attached" once the link exists. The test guest
 * has no libbpf or bpftool: raw bpf(2), built static on the host.
 * bpf-writeuser kprobe FUNC: the same as a kprobe program named
 * vmiaas_wuser_kp on FUNC, through a perf event of the kprobe PMU and a
 * BPF_LINK_CREATE link (the attach point a bpf_perf_link records).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <linux/bpf.h>
#include <linux/perf_event.h>

#define PROG_NAME	"vmiaas_wuser"

/* A kprobe perf event on @func (the kprobe PMU's type from sysfs). */
static int kprobe_event(const char *func)
{
	struct perf_event_attr attr = { .size = sizeof(attr) };
	char buf[16] = "";
	FILE *f = fopen("/sys/bus/event_source/devices/kprobe/type", "r");

	if (!f || !fgets(buf, sizeof(buf), f))
		return -1;
	fclose(f);
	attr.type = atoi(buf);
	attr.config1 = (uintptr_t)func;		/* kprobe_func */
	return syscall(__NR_perf_event_open, &attr, -1, 0, -1, 0);
}

static int attach_kprobe(int prog, const char *func)
{
	union bpf_attr link = {};
	int ev = kprobe_event(func);

	if (ev < 0)
		return -1;
	link.link_create.prog_fd = prog;
	link.link_create.target_fd = ev;
	link.link_create.attach_type = BPF_PERF_EVENT;
	return syscall(__NR_bpf, BPF_LINK_CREATE, &link, sizeof(link));
}

int main(int argc, char **argv)
{
	/*
	 * *(u64 *)(r10 - 8) = 0; r1 = 0; r2 = r10 - 8; r3 = 8;
	 * call bpf_probe_write_user; r0 = 0; exit
	 */
	struct bpf_insn insns[] = {
		{ .code = BPF_ST | BPF_MEM | BPF_DW, .dst_reg = 10, .off = -8 },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 1, .imm = 0 },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_X, .dst_reg = 2,
		  .src_reg = 10 },
		{ .code = BPF_ALU64 | BPF_ADD | BPF_K, .dst_reg = 2, .imm = -8 },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 3, .imm = 8 },
		{ .code = BPF_JMP | BPF_CALL, .imm = BPF_FUNC_probe_write_user },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	union bpf_attr load = {}, attach = {};
	char log[4096] = "";
	int prog, link;

	const int kprobe = argc == 3 && !strcmp(argv[1], "kprobe");

	load.prog_type = kprobe ? BPF_PROG_TYPE_KPROBE :
				  BPF_PROG_TYPE_RAW_TRACEPOINT;
	load.insns = (uintptr_t)insns;
	load.insn_cnt = sizeof(insns) / sizeof(insns[0]);
	load.license = (uintptr_t)"GPL";
	load.log_buf = (uintptr_t)log;
	load.log_size = sizeof(log);
	load.log_level = 1;
	strcpy(load.prog_name, kprobe ? PROG_NAME "_kp" : PROG_NAME);
	prog = syscall(__NR_bpf, BPF_PROG_LOAD, &load, sizeof(load));
	if (prog < 0) {
		fprintf(stderr, "bpf-writeuser: BPF_PROG_LOAD: %s\n%s\n",
			strerror(errno), log);
		return 1;
	}
	attach.raw_tracepoint.name = (uintptr_t)"sys_enter";
	attach.raw_tracepoint.prog_fd = prog;
	link = kprobe ? attach_kprobe(prog, argv[2]) :
			syscall(__NR_bpf, BPF_RAW_TRACEPOINT_OPEN, &attach,
				sizeof(attach));
	if (link < 0) {
		fprintf(stderr, "bpf-writeuser: attach: %s\n", strerror(errno));
		return 1;
	}
	printf("attached\n");
	fflush(stdout);
	pause();
	return 0;
}
