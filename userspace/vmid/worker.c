// SPDX-License-Identifier: GPL-2.0
/*
 * The per-VM worker: a forked process that attaches one guest, loads or
 * takes its baseline, drops what it no longer needs (capabilities, the
 * ability to gain privileges, other VMs' descriptors, optionally most
 * system calls) and then runs checks on request. All guest parsing
 * happens here, so a guest that crashes or hangs the parser takes only
 * its own worker down.
 *
 * Wire: SOCK_SEQPACKET, one struct vmid_msg per packet, both ways.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <malloc.h>
#include <pwd.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/landlock.h>
#include <linux/seccomp.h>

#include "uapi/linux/vmiaas.h"
#include "vmid.h"

#define WORKER_FD	3

static int send_msg(struct vmid_msg *m)
{
	ssize_t n;

	do
		n = send(WORKER_FD, m, sizeof(*m), MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n == (ssize_t)sizeof(*m) ? 0 : -EPIPE;
}

int worker_send(struct vmid_msg *m)
{
	return send_msg(m);
}

int worker_recv(struct vmid_msg *m)
{
	ssize_t n;

	do
		n = recv(WORKER_FD, m, sizeof(*m), 0);
	while (n < 0 && errno == EINTR);
	return n == (ssize_t)sizeof(*m) ? 0 : -EPIPE;
}

static void send_error(int err, enum vmid_error_kind kind, const char *stage,
		       const char *msg)
{
	struct vmid_msg m = { .type = VMID_MSG_ERROR, .err = err, .a = kind };

	snprintf(m.s1, sizeof(m.s1), "%s", stage);
	snprintf(m.s2, sizeof(m.s2), "%s", msg && msg[0] ? msg : strerror(-err));
	send_msg(&m);
}

void worker_user(const char *user, struct vmid_worker_args *a, char *buf,
		 size_t size)
{
	struct passwd *pw;

	a->has_user = false;
	a->no_user = buf;
	if (!user[0]) {
		snprintf(buf, size, "no worker_user configured");
		return;
	}
	pw = getpwnam(user);
	if (!pw) {
		snprintf(buf, size, "no user %s on this node", user);
		return;
	}
	if (!pw->pw_uid) {
		snprintf(buf, size, "worker_user %s is root", user);
		return;
	}
	a->uid = pw->pw_uid;
	a->gid = pw->pw_gid;
	a->has_user = true;
}

/*
 * The worker's own uid, where the backend allows it: the shm backend
 * reads a mapping made before, the pid backend calls process_vm_readv(),
 * which checks ptrace access to QEMU (same uid or CAP_SYS_PTRACE) at
 * every read. Any failure leaves uid 0 (without capabilities): @note
 * says which and why.
 */
static void switch_user(const struct vmid_worker_args *a, bool may,
			char *note, size_t size)
{
	if (!a->has_user) {
		snprintf(note, size, "uid 0 (%s)", a->no_user ? a->no_user : "no worker_user");
		return;
	}
	if (!may) {
		snprintf(note, size, "uid 0 (the pid backend: process_vm_readv() checks ptrace access to QEMU at every read)");
		return;
	}
	if (setgroups(0, NULL) < 0 || setresgid(a->gid, a->gid, a->gid) < 0 ||
	    setresuid(a->uid, a->uid, a->uid) < 0) {
		snprintf(note, size, "uid %u (setting uid %u failed: %s)",
			 (unsigned int)getuid(), (unsigned int)a->uid,
			 strerror(errno));
		return;
	}
	/* a uid change clears the parent-death signal */
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	snprintf(note, size, "uid %u", (unsigned int)a->uid);
}

/*
 * Every capability, from the bounding set too (that needs CAP_SETPCAP,
 * so first), the worker's own uid if possible (that needs CAP_SETUID,
 * so before the capabilities go); then no new privileges.
 */
static int drop_privileges(const struct vmid_worker_args *a, bool may_switch,
			   char *note, size_t size)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct d[2] = {};
	int cap;

	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	for (cap = 0; cap < 64; cap++)
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno == EINVAL)
			break;
	switch_user(a, may_switch, note, size);
	if (syscall(SYS_capset, &h, d) < 0)
		return -errno;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	return 0;
}

/* Landlock's file system rights by ABI: 1 has 13, 2 REFER, 3 TRUNCATE, 5 IOCTL_DEV. */
static __u64 landlock_fs_rights(int abi)
{
	__u64 r = (1ULL << 13) - 1;

	if (abi >= 2)
		r |= 1ULL << 13;
	if (abi >= 3)
		r |= 1ULL << 14;
	if (abi >= 5)
		r |= 1ULL << 15;
	return r;
}

/*
 * No file system access at all once the worker holds its descriptors: a
 * Landlock ruleset that handles every right the kernel knows and allows
 * none (after no_new_privs). Best effort: a kernel without Landlock
 * (disabled, or before 5.13) keeps seccomp's list, which has no open()
 * either. An open() after it must fail: @note says it did.
 */
static void landlock_deny_fs(char *note, size_t size)
{
	struct landlock_ruleset_attr attr = {};
	size_t n = strlen(note);
	int abi, fd, probe;

	abi = syscall(__NR_landlock_create_ruleset, NULL, 0,
		      LANDLOCK_CREATE_RULESET_VERSION);
	if (abi < 0) {
		snprintf(note + n, size - n, "; no Landlock (%s)", strerror(errno));
		return;
	}
	attr.handled_access_fs = landlock_fs_rights(abi);
	fd = syscall(__NR_landlock_create_ruleset, &attr, sizeof(attr), 0);
	if (fd < 0 || syscall(__NR_landlock_restrict_self, fd, 0) < 0) {
		snprintf(note + n, size - n, "; Landlock ABI %d failed (%s)", abi,
			 strerror(errno));
		if (fd >= 0)
			close(fd);
		return;
	}
	close(fd);
	probe = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	if (probe >= 0) {
		close(probe);
		snprintf(note + n, size - n, "; Landlock ABI %d, but open() works", abi);
		return;
	}
	snprintf(note + n, size - n,
		 "; Landlock ABI %d: no file system access (open: %s)", abi,
		 strerror(errno));
}

/*
 * A seccomp allow-list for the check loop: reading mapped memory, the
 * QMP socket and the parent's socket, allocating, the clock. Anything
 * else kills the worker (SIGSYS), which the parent reports as a crash.
 */
#define ALLOW(nr) \
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), 0, 1), \
	BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)

/*
 * A fatal signal in a worker is a bug (no guest data may cause one).
 * Without a handler the kernel ends the worker with it, and the parent
 * reports the signal. A sanitizer's runtime (the san build) has its own
 * handler, which prints a report and exits; under seccomp that report's
 * first refused system call (open() of /proc/self/maps, to symbolize)
 * raised SIGSYS, and the worker ended as if a system call were missing
 * from the allow-list. So where a handler is already in place, the
 * worker first tells the parent which signal came, and where (one
 * packet, async-signal-safe), then lets that handler run; a SIGSYS from
 * it ends the worker at once with the crash's status (128 + signal).
 */
static const int crash_sigs[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT };
#define NR_CRASH_SIGS	(sizeof(crash_sigs) / sizeof(crash_sigs[0]))
static struct sigaction crash_prev[NR_CRASH_SIGS];
static volatile sig_atomic_t crash_sig;

static void on_crash(int sig, siginfo_t *si, void *uc)
{
	static struct vmid_msg m;
	size_t i;

	if (!crash_sig) {
		crash_sig = sig;
		m.type = VMID_MSG_CRASH;
		m.a = (uint32_t)sig;
		m.err = si->si_code;
		m.c = (uint64_t)(uintptr_t)si->si_addr;
		send(WORKER_FD, &m, sizeof(m), MSG_NOSIGNAL);
	}
	for (i = 0; i < NR_CRASH_SIGS; i++) {
		if (crash_sigs[i] != sig)
			continue;
		if (crash_prev[i].sa_flags & SA_SIGINFO)
			crash_prev[i].sa_sigaction(sig, si, uc);
		else
			crash_prev[i].sa_handler(sig);
	}
	_exit(128 + sig);
}

static void crash_handlers_install(void)
{
	struct sigaction sa = {
		.sa_sigaction = on_crash,
		.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER,
	};
	size_t i;

	for (i = 0; i < NR_CRASH_SIGS; i++) {
		if (sigaction(crash_sigs[i], NULL, &crash_prev[i]) < 0 ||
		    crash_prev[i].sa_handler == SIG_DFL ||
		    crash_prev[i].sa_handler == SIG_IGN)
			continue;
		sigaction(crash_sigs[i], &sa, NULL);
	}
}

/* A blocked system call: say which before dying (async-signal-safe). */
static void on_sigsys(int sig, siginfo_t *si, void *uc)
{
	static struct vmid_msg m;
	static const char what[] = "system call ";
	int nr = si->si_syscall, i = sizeof(what) - 1, d;

	if (crash_sig)		/* a crash handler's; the parent knows */
		_exit(128 + crash_sig);

	m.type = VMID_MSG_ERROR;
	m.err = -EPERM;
	m.a = VMID_ERROR_TRANSIENT;
	memcpy(m.s1, "run under seccomp", 18);
	memcpy(m.s2, what, sizeof(what) - 1);
	for (d = 1000; d; d /= 10)
		if (nr >= d || d == 1)
			m.s2[i++] = (char)('0' + nr / d % 10);
	memcpy(m.s2 + i, " is not on the allow-list", 26);
	send(WORKER_FD, &m, sizeof(m), MSG_NOSIGNAL);
	_exit(128 + SIGSYS);
}

static int seccomp_install(void)
{
	struct sigaction sa = {
		.sa_sigaction = on_sigsys,
		.sa_flags = SA_SIGINFO,
	};
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, nr)),
		ALLOW(SYS_read), ALLOW(SYS_write), ALLOW(SYS_pread64),
		ALLOW(SYS_readv), ALLOW(SYS_writev), ALLOW(SYS_preadv),
		ALLOW(SYS_sendto), ALLOW(SYS_recvfrom), ALLOW(SYS_sendmsg),
		ALLOW(SYS_recvmsg), ALLOW(SYS_poll), ALLOW(SYS_ppoll),
		ALLOW(SYS_close), ALLOW(SYS_lseek), ALLOW(SYS_fstat),
		ALLOW(SYS_newfstatat), ALLOW(SYS_mmap), ALLOW(SYS_munmap),
		ALLOW(SYS_mremap), ALLOW(SYS_mprotect), ALLOW(SYS_madvise),
		ALLOW(SYS_brk), ALLOW(SYS_futex), ALLOW(SYS_clock_gettime),
		ALLOW(SYS_gettimeofday), ALLOW(SYS_getpid), ALLOW(SYS_gettid),
		ALLOW(SYS_getrandom), ALLOW(SYS_rt_sigreturn),
		ALLOW(SYS_rt_sigprocmask), ALLOW(SYS_rt_sigaction),
		ALLOW(SYS_sigaltstack), ALLOW(SYS_exit), ALLOW(SYS_exit_group),
		ALLOW(SYS_fcntl), ALLOW(SYS_process_vm_readv),
		ALLOW(SYS_sched_yield), ALLOW(SYS_nanosleep),
		ALLOW(SYS_clock_nanosleep), ALLOW(SYS_getrusage),
		ALLOW(SYS_sysinfo),	/* glibc's qsort() sizes its buffer */
		/* the agent's answers: shm, pid */
		ALLOW(SYS_pwrite64),
		/*
		 * a poll() or sleep stopped by a signal (SIGSTOP and SIGCONT,
		 * a debugger attaching, a freezer) resumes through it
		 */
		ALLOW(SYS_restart_syscall),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP),
	};
	struct sock_fprog prog = {
		.len = sizeof(f) / sizeof(f[0]),
		.filter = f,
	};

	if (sigaction(SIGSYS, &sa, NULL) < 0)
		return -errno;
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) < 0)
		return -errno;
	return 0;
}

/*
 * A kernel attached while it still boots (QEMU's age says little on a
 * loaded host) would be baselined half set up: its stack canary (the boot
 * tag) still zero, its text not yet patched, still writable. The kernel's
 * own system_state says (vmiaas_kernel_state(): before SYSTEM_RUNNING,
 * confirmed by pid 1 not having started a program; halt, power off,
 * restart while it goes down): -EAGAIN then, @why saying what was read.
 */
static int kernel_running(struct vmiaas *v, char *why, size_t size)
{
	switch (vmiaas_kernel_state(v, why, size)) {
	case VMIAAS_KSTATE_BOOTING:
	case VMIAAS_KSTATE_DOWN:
		return -EAGAIN;
	default:
		return 0;
	}
}

/* "tofu 2026-11-29 13:40 UTC": trusted on first use, measured then. */
static void tofu_label(char *buf, size_t size, uint64_t created)
{
	time_t t = (time_t)created;
	char date[32] = "?";
	struct tm tm;

	if (gmtime_r(&t, &tm))
		strftime(date, sizeof(date), "%Y-%m-%d %H:%M UTC", &tm);
	snprintf(buf, size, "tofu %s", date);
}

/* Which baseline this is, for vmictl status: its origin, or TOFU. */
static void baseline_label(const struct vmiaas_baseline *b, char *buf,
			   size_t size)
{
	struct vmiaas_baseline_summary s;

	vmiaas_baseline_summary(b, &s);
	if (s.origin[0])
		snprintf(buf, size, "%s", s.origin);
	else
		tofu_label(buf, size, s.created);
}

/* Hooks the baseline had no room to trust: said with its event. */
static void hooks_over_note(const struct vmiaas_baseline *b, char *buf,
			    size_t size)
{
	struct vmiaas_baseline_summary s;
	size_t len = strnlen(buf, size);

	vmiaas_baseline_summary(b, &s);
	if (s.nr_hooks_over_limit && len < size)
		snprintf(buf + len, size - len,
			 "; %u hooks in tainted modules beyond the %d it can trust: findings at every check",
			 s.nr_hooks_over_limit, VMIAAS_BASELINE_HOOKS_MAX);
}

/* This boot's baseline from the golden one at @path (docs/vmid.md). */
static int golden_take(struct vmiaas *v, const struct vmid_worker_args *a,
		       const char *path, struct vmiaas_baseline **ret,
		       struct vmid_msg *m)
{
	struct vmiaas_golden_report g;
	int r;

	r = vmiaas_baseline_from_golden(v, path, a->key, ret, &g);
	if (r < 0)
		return r;
	m->a = VMID_BASELINE_GOLDEN;
	snprintf(m->s2, sizeof(m->s2),
		 "%.200s: KASLR slide moved by 0x%llx, %llu relocated values; %llu bytes of text and %llu of rodata unlike it (the first check reports them); %llu bytes of ro_after_init and %u modules measured in this boot",
		 path, (unsigned long long)g.kaslr_delta,
		 (unsigned long long)g.relocated,
		 (unsigned long long)g.text_differ,
		 (unsigned long long)g.rodata_differ,
		 (unsigned long long)g.ro_after_init, g.modules);
	return 0;
}

/* The error kind of a failed load: a refused file is never replaced. */
static enum vmid_error_kind load_error_kind(int r)
{
	return r == -EBADMSG || r == -EPROTO ? VMID_ERROR_FATAL :
	       VMID_ERROR_TRANSIENT;
}

/*
 * Saves a new baseline and loads it back: the loaded one keeps its bytes
 * in the file's mapping, not in this worker's heap (24 MiB for a Debian
 * kernel's text and rodata), and is known to load.
 */
static int baseline_save_reload(struct vmiaas *v,
				const struct vmid_worker_args *a,
				struct vmiaas_baseline **b)
{
	int r;

	r = vmiaas_baseline_save(v, *b, a->baseline_path, a->key);
	vmiaas_baseline_free(*b);
	*b = NULL;
	if (r == 0)
		r = vmiaas_baseline_load(v, a->baseline_path, a->key, b);
	malloc_trim(0);
	return r;
}

/*
 * The VM's baseline: its file if it loads; else, for a first attach or a
 * new boot, this boot's from a golden baseline of its kernel build if
 * there is one, else a new one (trust on first use). Saved either way.
 */
static int baseline_prepare(struct vmiaas *v, const struct vmid_worker_args *a,
			    struct vmiaas_baseline **ret)
{
	struct vmid_msg m = { .type = VMID_MSG_BASELINE };
	const char *stage = "take the baseline";
	const struct vmiaas_diag *d;
	char golden[VMID_PATH_MAX] = "";
	int r;

	r = vmiaas_baseline_load(v, a->baseline_path, a->key, ret);
	if (r == 0) {
		m.a = VMID_BASELINE_LOADED;
		baseline_label(*ret, m.s1, sizeof(m.s1));
		snprintf(m.s2, sizeof(m.s2), "%s (%s)", a->baseline_path, m.s1);
		return send_msg(&m);
	}
	d = vmiaas_last_diag(v);
	if (r == -ESTALE && !a->allow_retake) {
		/* the parent lets the new kernel settle first */
		send_error(r, VMID_ERROR_REBOOTED, "load the baseline",
			   d && d->err == r ? d->msg : NULL);
		return r;
	}
	if ((r == -ESTALE || r == -ENOENT || r == -EPROTO) && a->golden_dir &&
	    vmiaas_golden_find(v, a->golden_dir, golden, sizeof(golden)) < 0)
		golden[0] = '\0';
	/*
	 * Modified, another host key: never replaced. An old format of this
	 * boot: only by an operator (vmid-rebaseline), or from a golden
	 * baseline, which does not trust the guest as it is now.
	 */
	if (r != -ESTALE && r != -ENOENT && !(r == -EPROTO && golden[0])) {
		send_error(r, load_error_kind(r), "load the baseline",
			   d && d->err == r ? d->msg : NULL);
		return r;
	}
	m.a = r == -ENOENT ? VMID_BASELINE_FIRST : VMID_BASELINE_RETAKEN;
	snprintf(m.s2, sizeof(m.s2), "%s", r == -ENOENT ? a->baseline_path :
		 d && d->msg[0] ? d->msg : "the baseline is of another boot");
	if (golden[0]) {
		stage = "use the golden baseline";
		r = golden_take(v, a, golden, ret, &m);
	} else {
		r = vmiaas_baseline_take(v, a->key, ret);
	}
	if (r == 0)
		r = baseline_save_reload(v, a, ret);
	if (r < 0) {
		d = vmiaas_last_diag(v);
		/* a golden baseline that fails its MAC is never replaced by TOFU */
		send_error(r, golden[0] ? load_error_kind(r) :
			   VMID_ERROR_TRANSIENT, stage,
			   d && d->err == r ? d->msg : NULL);
		return r;
	}
	baseline_label(*ret, m.s1, sizeof(m.s1));
	hooks_over_note(*ret, m.s2, sizeof(m.s2));
	return send_msg(&m);
}

static double ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1e3 + (t.tv_nsec - t0->tv_nsec) / 1e6;
}

/*
 * A guest rebooted inside the same QEMU (libvirt, a reset) has its kernel
 * elsewhere: the attach-time view of it is stale and a check would
 * compare the baseline with whatever is now at the old addresses. The
 * kernel banner read through that view tells: with KASLR it is no longer
 * there. The restarted worker's baseline load then decides (the library
 * refuses a baseline of another boot). A guest that rewrites its banner
 * only makes its worker re-attach. -ESTALE: another boot.
 */
static int same_boot(struct vmiaas *v)
{
	const struct vmiaas_info *info = vmiaas_info(v);
	size_t n = strnlen(info->banner, sizeof(info->banner));
	char buf[sizeof(info->banner)];
	uint64_t va;

	if (!n || vmiaas_symbol_addr(v, "linux_banner", &va) < 0)
		return 0;	/* cannot tell */
	if (vmiaas_read_va(v, va, buf, n) < 0 || memcmp(buf, info->banner, n))
		return -ESTALE;
	return 0;
}

/*
 * A reset leaves guest RAM as it was until the new boot overwrites it,
 * so the banner test above passes for a while after a reboot; the
 * registers do not: the boot processor restarts in real mode. vCPU 0
 * (the boot processor: other vCPUs may never have been started, e.g.
 * with maxcpus=) without paging or long mode means the guest is being
 * reset or boots: VCPU0_RESET, before a check could compare the baseline
 * with a machine in reset and report the difference as findings.
 *
 * Once the new kernel runs, vCPU 0 is back in long mode, and the banner
 * and system_state tests read through the attach-time view: the old
 * kernel's page tables (init_top_pgt), which the reset left in RAM with
 * the old banner and state in it. vCPU 0's own CR3 does not: the new
 * kernel's tables map _text's attach-time address (another KASLR slide)
 * nowhere or elsewhere: VCPU0_OTHER_KERNEL. Every page table of a
 * running kernel maps its text (a PTI user CR3 is read as its kernel
 * half). A guest can load tables that do not while it does not run on
 * them; like a rewritten banner, that only makes its worker re-attach.
 */
enum vcpu0_state { VCPU0_SAME, VCPU0_RESET, VCPU0_OTHER_KERNEL };

static enum vcpu0_state vcpu0_look_once(struct vmiaas *v)
{
	const struct vmiaas_info *info = vmiaas_info(v);
	enum vcpu0_state st = VCPU0_SAME;
	struct vmiaas_vcpu *vc = NULL;
	size_t nr = 0, i;
	uint64_t pa;

	if (vmiaas_vcpus(v, &vc, &nr) < 0)
		return VCPU0_SAME;	/* no registers: cannot tell */
	for (i = 0; i < nr; i++) {
		if (vc[i].index != 0)
			continue;
		if (!(vc[i].cr0 & (1ULL << 31)) || !(vc[i].efer & (1ULL << 10)))
			st = VCPU0_RESET;
		else if (info->text_va &&
			 (vmiaas_translate_cr3(v, vc[i].cr3, !!(vc[i].cr4 & (1ULL << 12)),
					       info->text_va, &pa) < 0 ||
			  pa != info->text_pa))
			st = VCPU0_OTHER_KERNEL;
	}
	free(vc);
	return st;
}

/*
 * vCPU 0's state, its registers read again 10 and 20 ms later while its
 * CR3 maps no kernel: a process exiting under the read leaves a freed,
 * zeroed or reused table behind it (as in the kernel-mapping check); a
 * new kernel keeps its own tables.
 */
static enum vcpu0_state vcpu0_look(struct vmiaas *v)
{
	enum vcpu0_state st = vcpu0_look_once(v);
	int n;

	for (n = 0; n < 2 && st == VCPU0_OTHER_KERNEL; n++) {
		usleep(10000U << n);
		st = vcpu0_look_once(v);
	}
	return st;
}

static const char *const vcpu0_why[] = {
	[VCPU0_RESET] = "vCPU 0 runs without paging or long mode: the guest is being reset",
	[VCPU0_OTHER_KERNEL] = "vCPU 0's page tables do not map the kernel's text where it was at attach: the guest rebooted",
};

/*
 * A check that failed (an error, not findings) while the guest reboots
 * in place: the old kernel's structures are rewritten under the walks
 * ("pgd_list links ..., not a struct page"), or the registers are the
 * new boot's (the decompressor's IDT, unreadable in the old kernel's
 * tables), and vCPU 0 may be back in long mode by then. Looked at again
 * after the failure, with fresh registers: vCPU 0 out of long mode, the
 * banner gone, or the old kernel's own system_state saying it went down
 * (kernel_restart_prepare() sets SYSTEM_RESTART; a reset keeps RAM as it
 * was): a reboot, reported as one. A guest can fake the last two, as it
 * can rewrite its banner; it only makes its worker re-attach, and the
 * daemon reports it when the re-attached worker finds the same boot.
 */
static bool rebooting(struct vmiaas *v, char *why, size_t size)
{
	char st[160];

	enum vcpu0_state v0 = vcpu0_look(v);

	if (v0 != VCPU0_SAME) {
		snprintf(why, size, "%s", vcpu0_why[v0]);
		return true;
	}
	if (same_boot(v) < 0) {
		snprintf(why, size, "the kernel banner is no longer where it was at attach: the guest rebooted");
		return true;
	}
	if (vmiaas_kernel_state(v, st, sizeof(st)) == VMIAAS_KSTATE_DOWN) {
		snprintf(why, size, "the kernel went down (%.120s): the guest rebooted",
			 st);
		return true;
	}
	return false;
}

/* What the last check found, for the agent's answer. */
struct check_result {
	int err;
	uint32_t findings;
	uint32_t nr_checks;	/* vmiaas_checks(), at most 64 */
	uint64_t failed_mask;	/* bit i: check i of that list found something */
};

/*
 * The agent's resp_nr_checks and resp_failed_mask: vmid runs every check
 * of the library (vmiaas_checks(), in that order), not the module's
 * registered list, so bit i is the library's check i.
 */
static void check_mask(const struct vmiaas_finding *f, size_t nr,
		       struct check_result *res)
{
	const struct vmiaas_check_desc *desc;
	size_t nr_desc = 0, i, j;

	desc = vmiaas_checks(&nr_desc);
	res->nr_checks = nr_desc < 64 ? (uint32_t)nr_desc : 64;
	res->failed_mask = 0;
	for (i = 0; i < nr; i++) {
		if (f[i].flags & VMIAAS_FINDING_EVENT)
			continue;
		for (j = 0; j < res->nr_checks; j++)
			if (!strncmp(f[i].check, desc[j].id, sizeof(f[i].check)))
				res->failed_mask |= 1ULL << j;
	}
}

static int check_once(struct vmiaas *v, const struct vmiaas_baseline *b,
		      struct check_result *res)
{
	struct vmid_msg m = { .type = VMID_MSG_DONE };
	const struct vmiaas_diag *d;
	struct vmiaas_finding *f = NULL;
	char why[200], failed[320];
	enum vcpu0_state v0;
	struct timespec t0;
	size_t nr = 0, i;
	int r;

	v0 = vcpu0_look(v);
	if (v0 != VCPU0_SAME) {
		send_error(-ESTALE, VMID_ERROR_REBOOTED, "check the guest",
			   vcpu0_why[v0]);
		return -ESTALE;
	}
	r = same_boot(v);
	if (r < 0) {
		send_error(r, VMID_ERROR_REBOOTED, "check the guest",
			   "the kernel banner is no longer where it was at attach: the guest rebooted");
		return r;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	r = vmiaas_check_run(v, b, &f, &nr);
	res->err = r < 0 ? r : 0;
	if (r < 0) {
		d = vmiaas_last_diag(v);
		snprintf(failed, sizeof(failed), "%.300s",
			 d && d->err == r ? d->msg : strerror(-r));
		if (rebooting(v, why, sizeof(why))) {
			snprintf(m.s2, sizeof(m.s2), "%.190s (the check failed: %.300s)",
				 why, failed);
			send_error(-ESTALE, VMID_ERROR_REBOOTED,
				   "check the guest", m.s2);
			return -ESTALE;
		}
		send_error(r, VMID_ERROR_TRANSIENT, "check the guest", failed);
		return r;
	}
	m.ms = ms_since(&t0);
	/*
	 * A reset during the check: the registers the check read may be
	 * those of the machine in reset (CR0.WP "cleared"...). Looked at
	 * again afterwards, vCPU 0 is then still out of long mode (firmware
	 * and the new boot take far longer than a check), or, if the check
	 * took longer than the new boot, runs another kernel; the round is
	 * dropped as a reboot, not reported. A guest cannot stay out of long
	 * mode or off its text's tables to hide a hook: its kernel would
	 * not run.
	 */
	v0 = vcpu0_look(v);
	if (v0 != VCPU0_SAME) {
		free(f);
		snprintf(m.s2, sizeof(m.s2), "%s (seen after the check began)",
			 vcpu0_why[v0]);
		send_error(-ESTALE, VMID_ERROR_REBOOTED, "check the guest", m.s2);
		return -ESTALE;
	}
	for (i = 0; i < nr && r == 0; i++) {
		struct vmid_msg fm = { .type = VMID_MSG_FINDING, .f = f[i] };

		if (f[i].flags & VMIAAS_FINDING_EVENT)
			m.b++;
		else
			m.a++;
		r = send_msg(&fm);
	}
	check_mask(f, nr, res);
	free(f);
	res->findings = m.a;
	r = r ?: softdirty_worker_report(v);
	return r ? r : send_msg(&m);
}

/*
 * The registers the parent read through libvirt for this check: one
 * packet of @len bytes of "info registers -a" text after the request. A
 * text that does not parse leaves the previous registers in place (the
 * check then reports on those); a missing packet ends the worker.
 */
static int registers_update(struct vmiaas *v, uint32_t len)
{
	char *text;
	ssize_t n;

	if (len > VMID_REGS_MAX)
		return -EPROTO;
	text = malloc(len + 1);
	if (!text)
		return -ENOMEM;
	do
		n = recv(WORKER_FD, text, len, MSG_TRUNC);
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)len) {
		free(text);
		return -EPROTO;
	}
	text[len] = '\0';
	vmiaas_set_vcpus(v, text);
	free(text);
	return 0;
}

/*
 * The guest agent's RAM mailbox (vmiaas_agent.ko mode=ram): looked for
 * every AGENT_FIND_MS while absent; once found, its request line is read
 * every agent_poll_ms. A new req_seq goes to the parent, which schedules
 * a check now; the answer is written after that check. The page is the
 * guest's: a page without the magic is reported once and never written,
 * and the mailbox is looked up again before each answer so that nothing
 * is written into a page the agent no longer owns.
 */
#define AGENT_FIND_MS	10000

struct agent_state {
	unsigned int poll_ms, min_interval_ms;
	uint64_t va;		/* 0: not found */
	uint64_t found_va;	/* where it was last found */
	uint64_t seen;		/* the last req_seq acted upon */
	uint64_t pending;	/* a req_seq awaiting a check, 0: none */
	uint64_t cookie;
	uint32_t reason;
	bool garbage;		/* reported; ignored until the magic is back */
	uint64_t next_find_ms, last_find_ms, last_check_ms;
};

static uint64_t now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

/* Answers @seq, only if the mailbox is still where it was and valid. */
static int agent_answer(struct vmiaas *v, struct agent_state *s, uint64_t seq,
			int status, uint32_t verdict,
			const struct check_result *res)
{
	uint32_t failed = res ? res->findings : 0;
	struct vmiaas_agent_answer a = {
		.seq = seq, .cookie = s->cookie, .status = status,
		.verdict = verdict, .nr_failed = failed,
		.nr_checks = res ? res->nr_checks : 0,
		.failed_mask = res ? res->failed_mask : 0,
	};
	struct vmid_msg m = { .type = VMID_MSG_AGENT_ANSWER, .err = status,
			      .a = verdict, .b = failed };
	uint64_t va = 0;
	int r;

	r = vmiaas_agent_find(v, &va);
	if (r == 0 && va != s->va)
		r = -ESTALE;
	if (r == 0)
		r = vmiaas_agent_answer(v, va, &a);
	if (r < 0) {
		s->va = 0;	/* moved, gone or broken: look again */
		snprintf(m.s2, sizeof(m.s2),
			 "seq %llu: the answer could not be written: %s",
			 (unsigned long long)seq, strerror(-r));
		m.err = r;
	} else if (status) {
		snprintf(m.s2, sizeof(m.s2), "seq %llu: refused: %s",
			 (unsigned long long)seq, strerror(-status));
	} else {
		snprintf(m.s2, sizeof(m.s2),
			 "seq %llu: verdict %s, %u finding%s (agent-triggered check)",
			 (unsigned long long)seq, vmid_verdict_name(verdict), failed,
			 failed == 1 ? "" : "s");
	}
	return send_msg(&m);
}

/* A page without the magic: said once, then left alone. */
static int agent_garbage(struct agent_state *s)
{
	struct vmid_msg m = { .type = VMID_MSG_AGENT_ANSWER, .err = -EINVAL };

	if (s->garbage)
		return 0;
	s->garbage = true;
	snprintf(m.s2, sizeof(m.s2),
		 "the agent's mailbox at 0x%llx lost its magic or version: -EINVAL, ignored until it is valid again",
		 (unsigned long long)s->va);
	return send_msg(&m);
}

/* A new request: to the parent for a check, or refused by the rate. */
static int agent_request(struct vmiaas *v, struct agent_state *s,
			 const struct vmiaas_agent_request *req)
{
	struct vmid_msg m = { .type = VMID_MSG_AGENT, .a = req->reason };
	uint64_t now = now_ms();

	s->seen = req->seq;
	s->cookie = req->cookie;
	s->reason = req->reason;
	if (req->flags || !req->reason || req->reason > VMIAAS_REASON_MAX)
		return agent_answer(v, s, req->seq, -EINVAL,
				    VMIAAS_VERDICT_NONE, NULL);
	if (s->last_check_ms && now - s->last_check_ms < s->min_interval_ms)
		return agent_answer(v, s, req->seq, -EAGAIN,
				    VMIAAS_VERDICT_NONE, NULL);
	s->pending = req->seq;
	snprintf(m.s2, sizeof(m.s2), "reason %s, seq %llu, cookie %llu",
		 vmid_reason_name(req->reason), (unsigned long long)req->seq,
		 (unsigned long long)req->cookie);
	return send_msg(&m);
}

/* One poll: find the mailbox if needed, then read its request line. */
static int agent_tick(struct vmiaas *v, struct agent_state *s)
{
	struct vmiaas_agent_request req = {};
	uint64_t now = now_ms();
	int r;

	if (s->pending)
		return 0;	/* the parent's check will answer it */
	if (!s->va) {
		if (now < s->next_find_ms)
			return 0;
		s->next_find_ms = now + AGENT_FIND_MS;
		s->last_find_ms = now;
		if (vmiaas_agent_find(v, &s->va) < 0) {
			s->va = 0;
			return 0;
		}
		/* what was asked before we looked is answered too, once */
		if (s->va != s->found_va &&
		    vmiaas_agent_read(v, s->va, &req) == 0)
			s->seen = req.resp_seq;
		s->found_va = s->va;
		s->garbage = false;
	}
	r = vmiaas_agent_read(v, s->va, &req);
	if (r == -EINVAL)
		return agent_garbage(s);
	if (r < 0) {
		s->va = 0;	/* unmapped: the agent was unloaded */
		return 0;
	}
	if (s->garbage) {
		s->garbage = false;
		s->seen = req.seq;	/* valid again: from the next request */
		return 0;
	}
	return req.seq != s->seen ? agent_request(v, s, &req) : 0;
}

/*
 * After a check, while no mailbox is known: a look once the last is
 * AGENT_FIND_MS / 2 old, made awake anyway rather than by a wake-up of
 * its own; the timer then waits AGENT_FIND_MS * 3 / 2. With checks every
 * AGENT_FIND_MS or more often an idle worker wakes only for them (and
 * looks every 5-10 s); without checks it still looks every 15 s.
 */
static int agent_look_now(struct vmiaas *v, struct agent_state *s)
{
	uint64_t now = now_ms();
	int r;

	if (!s->poll_ms || s->va || s->pending ||
	    now - s->last_find_ms < AGENT_FIND_MS / 2)
		return 0;
	s->next_find_ms = 0;
	r = agent_tick(v, s);
	if (!s->va)
		s->next_find_ms = now + AGENT_FIND_MS * 3 / 2;
	return r;
}

/* After a check: the answer to the request that was waiting for it. */
static int agent_after_check(struct vmiaas *v, struct agent_state *s,
			     const struct check_result *res)
{
	uint64_t seq = s->pending;

	if (!seq)
		return 0;
	s->pending = 0;
	s->last_check_ms = now_ms();
	if (res->err)
		return agent_answer(v, s, seq, 0, VMIAAS_VERDICT_ERROR, NULL);
	return agent_answer(v, s, seq, 0, res->findings ?
			    VMIAAS_VERDICT_TAMPERED : VMIAAS_VERDICT_CLEAN, res);
}

/*
 * How long to sleep before the next agent_tick(): the poll interval while
 * a mailbox is read, else until the next look for one (100 idle workers
 * waking every second cost more than their look-ups).
 */
static int agent_timeout(const struct agent_state *s)
{
	uint64_t now;

	if (!s->poll_ms)
		return -1;
	if (s->va || s->pending)
		return (int)s->poll_ms;
	now = now_ms();
	return s->next_find_ms > now ? (int)(s->next_find_ms - now) : 0;
}

/* Waits for the parent, polling the agent's mailbox meanwhile. */
static int wait_parent(struct vmiaas *v, struct agent_state *s)
{
	struct pollfd p = { .fd = WORKER_FD, .events = POLLIN };
	int n, r;

	for (;;) {
		n = poll(&p, 1, agent_timeout(s));
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return -errno;
		if (n == 0) {
			r = agent_tick(v, s);
			if (r < 0)
				return r;
		}
	}
}

/*
 * /dev/vmiaas: after a check that found nothing, the checks the module
 * should run, hashed from that memory; sent only when they changed.
 */
struct module_state {
	bool on;
	const char *text;	/* module_text */
	size_t nr;
	struct vmiaas_module_check sent[VMID_MOD_CHECKS_MAX];
	void *table[VMID_TABLES];	/* the tables sent (enum vmid_table) */
	size_t nr_table[VMID_TABLES];
};

/* Table @kind (@nr entries of @size bytes), as many entries a message as fit. */
static int module_send_table(uint64_t kind, const void *t, size_t nr,
			     size_t size)
{
	struct vmid_msg m = { .type = VMID_MSG_MODULE_TABLE, .b = (uint32_t)nr,
			      .d = kind };
	size_t per = VMID_MSG_PAYLOAD / size, i;
	int r = 0;

	for (i = 0; i < nr && !r; i += per) {
		m.a = (uint32_t)i;
		m.c = nr - i < per ? nr - i : per;
		memcpy(m.s2, (const uint8_t *)t + i * size, m.c * size);
		r = send_msg(&m);
	}
	return r;
}

/* Whether @t (@nr entries of @size) is table @kind as @s sent it; else kept. */
static bool module_table_same(struct module_state *s, unsigned int kind,
			      const void *t, size_t nr, size_t size)
{
	void *copy;

	if (nr == s->nr_table[kind] &&
	    (!nr || !memcmp(t, s->table[kind], nr * size)))
		return true;
	copy = malloc(nr ? nr * size : 1);
	if (copy && nr)
		memcpy(copy, t, nr * size);
	free(s->table[kind]);
	s->table[kind] = copy;
	s->nr_table[kind] = copy ? nr : 0;
	return false;
}

static int module_send(struct vmiaas *v, const struct vmiaas_baseline *b,
		       struct module_state *s, const struct check_result *res)
{
	struct vmiaas_module_check *c;
	struct vmid_msg m = { .type = VMID_MSG_MODULE_CHECK };
	const void *table[VMID_TABLES];
	const size_t size[VMID_TABLES] = {
		sizeof(struct vmiaas_proc_watch), 2 * sizeof(uint64_t),
	};
	size_t nr = 0, i, nr_table[VMID_TABLES];
	bool same_tables = true;
	int r, policy_err = 0;

	if (!s->on || res->err || res->findings)
		return 0;
	c = calloc(VMID_MOD_CHECKS_MAX, sizeof(*c));
	if (!c)
		return -ENOMEM;
	r = module_checks_build(v, b, s->text, c, VMID_MOD_CHECKS_MAX, &nr,
				&policy_err);
	table[VMID_TABLE_PROC] = vmiaas_module_proc_table(v,
						&nr_table[VMID_TABLE_PROC]);
	table[VMID_TABLE_VFS] = vmiaas_module_vfs_ranges(v,
						&nr_table[VMID_TABLE_VFS]);
	for (i = 0; r >= 0 && nr && i < VMID_TABLES; i++)
		same_tables &= module_table_same(s, (unsigned int)i, table[i],
						 nr_table[i], size[i]);
	if (r < 0 || !nr ||
	    (same_tables && nr == s->nr && !memcmp(c, s->sent, nr * sizeof(*c)))) {
		free(c);
		return 0;	/* nothing new; a failure leaves the old set */
	}
	/* the tables first: the last record registers the set */
	for (i = 0; i < VMID_TABLES && !r; i++)
		r = module_send_table(i, table[i], nr_table[i], size[i]);
	for (i = 0; i < nr && r == 0; i++) {
		m.a = (uint32_t)i;
		m.b = (uint32_t)nr;
		m.err = policy_err;
		memcpy(m.s2, &c[i], sizeof(c[i]));
		r = send_msg(&m);
	}
	memcpy(s->sent, c, nr * sizeof(*c));
	s->nr = nr;
	free(c);
	return r;
}

static int worker_main(const struct vmid_worker_args *a)
{
	struct module_state *mod = NULL;
	struct vmiaas_target t = { .sz = sizeof(t) };
	struct vmid_msg m = { .type = VMID_MSG_ATTACHED };
	struct vmiaas_baseline *b = NULL;
	struct vmiaas_diag diag = {};
	const struct vmiaas_info *info;
	struct agent_state agent = {
		.poll_ms = a->agent_poll_ms,
		.min_interval_ms = a->agent_min_interval_ms,
	};
	struct check_result res = {};
	struct vmiaas *v;
	char why[320], msg[352];
	ssize_t n;
	int r;

	/*
	 * Large buffers (baseline, BTF, kallsyms copies: megabytes) in their
	 * own mappings, returned when freed: glibc would otherwise raise this
	 * threshold after the first such free and keep later ones in a heap
	 * that does not shrink. Not the buffers every check allocates and
	 * frees (the syscall tables' 436 KiB, the task census growing to
	 * 156 KiB): as mappings they cost an mmap, a page fault per page
	 * and an munmap at every check (~2 % of a check's CPU); from the
	 * heap, with that much kept at its top, they are reused.
	 */
	mallopt(M_MMAP_THRESHOLD, 512 * 1024);
	mallopt(M_TRIM_THRESHOLD, 1024 * 1024);
	if (a->ident->shm[0])
		t.shm_path = a->ident->shm;
	else
		t.pid = a->ident->pid;
	if (a->ident->qmp[0])
		t.qmp_path = a->ident->qmp;
	else
		t.vcpus_text = a->vcpus_text;
	r = vmiaas_open(&t, &v, &diag);
	if (r < 0) {
		send_error(r, VMID_ERROR_TRANSIENT, "attach", diag.msg);
		return 1;
	}
	info = vmiaas_info(v);
	snprintf(m.s1, sizeof(m.s1), "%s", info->backend);
	snprintf(m.s2, sizeof(m.s2), "%s", info->kernel_release);
	if (kernel_running(v, why, sizeof(why)) < 0) {
		snprintf(msg, sizeof(msg), "the kernel is not running yet: %s",
			 why);
		send_error(-EAGAIN, VMID_ERROR_BOOTING, "attach", msg);
		vmiaas_close(v);
		return 1;
	}
	r = send_msg(&m);
	if (r == 0)
		r = baseline_prepare(v, a, &b);
	/* a dump, or a RAM file we may not write: no agent mailbox */
	if (r == 0 && agent.poll_ms && vmiaas_write_open(v) < 0)
		agent.poll_ms = 0;
	/* reads /proc/self/maps: before the sandbox */
	if (r == 0 && a->dirty)
		softdirty_worker_enable(v);
	if (r == 0 && a->module && module_worker_prepare() == 0)
		mod = calloc(1, sizeof(*mod));
	if (mod) {
		mod->on = true;
		mod->text = a->module_text;
	}
	m = (struct vmid_msg){ .type = VMID_MSG_READY };
	if (r == 0) {
		r = drop_privileges(a, strcmp(info->backend, "pid") != 0, m.s2,
				    sizeof(m.s2) / 2);
		if (r < 0)
			send_error(r, VMID_ERROR_TRANSIENT, "drop privileges", NULL);
	}
	if (r == 0)
		landlock_deny_fs(m.s2, sizeof(m.s2) - 32);
	if (r == 0 && a->seccomp) {
		r = seccomp_install();
		if (r < 0)
			send_error(r, VMID_ERROR_TRANSIENT,
				   "install the seccomp filter", NULL);
	}
	if (r == 0) {
		strncat(m.s2, a->seccomp ? "; seccomp" : "; no seccomp",
			sizeof(m.s2) - strlen(m.s2) - 1);
		r = send_msg(&m);
	}
	while (r == 0) {
		r = wait_parent(v, &agent);
		if (r < 0)
			break;
		n = recv(WORKER_FD, &m, sizeof(m), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n != (ssize_t)sizeof(m))
			break;		/* the parent closed: detach */
		if (m.type != VMID_MSG_CHECK)
			continue;
		if (m.a)
			r = registers_update(v, m.a);
		if (r == 0) {
			r = check_once(v, b, &res);
			if (agent_after_check(v, &agent, &res) < 0 && !r)
				r = -EPIPE;
			if (r == 0)
				r = agent_look_now(v, &agent);
			if (r == 0 && mod)
				r = module_send(v, b, mod, &res);
		}
	}
	for (int i = 0; mod && i < VMID_TABLES; i++)
		free(mod->table[i]);
	free(mod);
	vmiaas_baseline_free(b);
	vmiaas_close(v);
	return r ? 1 : 0;
}

pid_t worker_spawn(const struct vmid_worker_args *a, int *ret_fd)
{
	int sv[2], fd, null;
	sigset_t all;
	pid_t pid, parent = getpid();

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		pid = -errno;
		close(sv[0]);
		close(sv[1]);
		return pid;
	}
	if (pid) {
		close(sv[1]);
		*ret_fd = sv[0];
		return pid;
	}

	/* the worker */
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	if (getppid() != parent)
		_exit(1);
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGCHLD, SIG_DFL);
	fd = sv[1];
	if (fd != WORKER_FD) {
		if (dup2(fd, WORKER_FD) < 0)
			_exit(1);
		close(fd);
	}
	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null >= 0) {
		dup2(null, 0);
		dup2(null, 1);	/* stdout may be the parent's event stream */
		close(null);
	}
	/* nothing of the parent's but stderr and our socket */
	if (syscall(SYS_close_range, WORKER_FD + 1, ~0U, 0) < 0) {
		for (fd = WORKER_FD + 1; fd < 1024; fd++)
			close(fd);
	}
	setrlimit(RLIMIT_CORE, &(struct rlimit){ 0, 0 });
	prctl(PR_SET_NAME, "vmid-worker", 0, 0, 0);
	crash_handlers_install();
	_exit(worker_main(a));
}
