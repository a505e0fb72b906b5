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
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <linux/bpf.h>

#define PROG_NAME	"vmiaas_wuser"

int main(void)
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

	load.prog_type = BPF_PROG_TYPE_RAW_TRACEPOINT;
	load.insns = (uintptr_t)insns;
	load.insn_cnt = sizeof(insns) / sizeof(insns[0]);
	load.license = (uintptr_t)"GPL";
	load.log_buf = (uintptr_t)log;
	load.log_size = sizeof(log);
	load.log_level = 1;
	memcpy(load.prog_name, PROG_NAME, sizeof(PROG_NAME));
	prog = syscall(__NR_bpf, BPF_PROG_LOAD, &load, sizeof(load));
	if (prog < 0) {
		fprintf(stderr, "bpf-writeuser: BPF_PROG_LOAD: %s\n%s\n",
			strerror(errno), log);
		return 1;
	}
	attach.raw_tracepoint.name = (uintptr_t)"sys_enter";
	attach.raw_tracepoint.prog_fd = prog;
	link = syscall(__NR_bpf, BPF_RAW_TRACEPOINT_OPEN, &attach,
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
