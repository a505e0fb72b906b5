// SPDX-License-Identifier: GPL-2.0
/*
 * hwbp-watch: what gdb's "watch" does, the benign case of hw-breakpoint.
 * A child that spins, traced by this process, gets a hardware write
 * watchpoint on one of its variables through PTRACE_POKEUSER on DR0 and
 * DR7 (the kernel registers it as a perf event with ptrace_triggered()
 * and installs it in the CPU's debug registers whenever the child runs).
 * Prints "watching ADDR" and waits until killed (the child dies with it:
 * PTRACE_O_EXITKILL).
 * "hwbp-watch perf ADDR": what root's `perf stat -e mem:ADDR:x` does on
 * a kernel address: perf_event_open() of an execute breakpoint on ADDR
 * for this process (the kernel's handler, perf_event_output_forward());
 * prints "perf ADDR" and spins until killed, so that the breakpoint is
 * installed while it runs.
 * Built static on the host (the test guest has only busybox).
 */
#define _GNU_SOURCE
#include <linux/hw_breakpoint.h>
#include <linux/perf_event.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

static long watched;

/* A loop step the compiler cannot drop: the process stays on a CPU. */
static inline void spin(void)
{
	__asm__ __volatile__("" : : "r"(&watched) : "memory");
}

#define DR_OFF(n)	(offsetof(struct user, u_debugreg) + (n) * sizeof(long))

static int perf_breakpoint(const char *at)
{
	struct perf_event_attr attr;
	long fd;

	memset(&attr, 0, sizeof(attr));
	attr.size = sizeof(attr);
	attr.type = PERF_TYPE_BREAKPOINT;
	attr.bp_type = HW_BREAKPOINT_X;
	attr.bp_addr = strtoull(at, NULL, 16);
	attr.bp_len = sizeof(long);
	attr.sample_period = 1;
	fd = syscall(SYS_perf_event_open, &attr, 0, -1, -1, 0);
	if (fd < 0) {
		perror("perf_event_open");
		return 1;
	}
	printf("perf 0x%llx\n", (unsigned long long)attr.bp_addr);
	fflush(stdout);
	for (;;)
		spin();
}

int main(int argc, char **argv)
{
	/* L0, R/W 01 (write), LEN 11 (4 bytes) */
	unsigned long dr7 = 1UL | (1UL << 16) | (3UL << 18);
	int st;
	pid_t child;

	if (argc == 3 && !strcmp(argv[1], "perf"))
		return perf_breakpoint(argv[2]);
	child = fork();
	if (child < 0) {
		perror("fork");
		return 1;
	}
	if (!child) {
		ptrace(PTRACE_TRACEME, 0, NULL, NULL);
		raise(SIGSTOP);
		for (;;)
			spin();
	}
	if (waitpid(child, &st, 0) != child || !WIFSTOPPED(st) ||
	    ptrace(PTRACE_SETOPTIONS, child, NULL, (void *)PTRACE_O_EXITKILL) ||
	    ptrace(PTRACE_POKEUSER, child, (void *)DR_OFF(0), (void *)&watched) ||
	    ptrace(PTRACE_POKEUSER, child, (void *)DR_OFF(7), (void *)dr7) ||
	    ptrace(PTRACE_CONT, child, NULL, NULL)) {
		perror("ptrace");
		kill(child, SIGKILL);
		return 1;
	}
	printf("watching %p\n", (void *)&watched);
	fflush(stdout);
	for (;;)
		pause();
}
