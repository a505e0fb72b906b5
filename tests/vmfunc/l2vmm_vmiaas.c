// SPDX-License-Identifier: GPL-2.0
/*
 * l2vmm_vmiaas: l2vmm's side of vmiaas.ko, the policy end of the chain.
 *
 * Setup: the VMM attaches its own VM (VMIAAS_IOC_ATTACH_VM with the fd
 * KVM_CREATE_VM gave it) and arms view 1 (VMIAAS_IOC_ENABLE_VIEW) before
 * the vCPU first runs: ENABLE_VIEW waits for each vCPU to be outside
 * KVM_RUN.
 *
 * Checks: when the guest prints "@@L2-BASELINE" (booted, its boot-time
 * text patching done; the line may name more checks, see
 * add_guest_checks()), the VMM takes the current contents of each
 * --check range (SHA-256 of guest-physical memory, from its own mapping
 * of the guest's RAM), --check-ptr word and guest string as the expected
 * values, lists what the kernel maps executable itself for exec-memory
 * (the policy of userspace/lib/check_exec.c's exec_allow_get(), from the
 * symbols the line names), and registers them with VMIAAS_IOC_SET_CHECKS
 * (trust on first use). From then on every request the guest makes is
 * served by vmiaas.ko against that baseline.
 *
 * Events: a thread reads struct vmiaas_event records from /dev/vmiaas
 * (poll(), read()) in the first layout (96 bytes: ATTACH_VM's event_size
 * 0, as a VMM written before larger records) and prints each as
 *   @@EVENT vcpu=0 seq=3 reason=3 source=2 status=0 verdict=1 failed=0
 *           checks=2 mask=0x0 cookie=5 lost=0 serve_us=1234
 * On each "@@" line from the guest it also prints vCPU 0's mailbox as the
 * host sees it (VMIAAS_IOC_READ_MAILBOX), as "@@MAILBOX w0 w1 w2 w3".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <openssl/evp.h>

#include "l2vmm.h"

#define MAX_CHECKS	8
#define KERNEL_MAP	((uint64_t)0xffffffff80000000ULL)	/* __START_KERNEL_map */
#define MODULES_END	((uint64_t)0xffffffffff000000ULL)
#define STR_MAX		256	/* a string check's buffer (KMOD_PATH_LEN) */
#define PAGE_MASK_4K	(~(uint64_t)4095)

/* exec=: the symbols exec-memory's allowed ranges come from, in order */
enum { EX_ROOT, EX_TEXT, EX_ETEXT, EX_END, EX_RMH, EX_RMB, EX_RMBE, EX_NR };

struct l2vmm_vmiaas {
	int fd;			/* /dev/vmiaas, attached to the VM */
	uint8_t *mem;		/* the guest's RAM, as the VMM maps it */
	uint64_t mem_size;
	struct vmiaas_check checks[MAX_CHECKS];
	uint64_t values[MAX_CHECKS];	/* expected words of _PTRS checks */
	uint8_t bytes[MAX_CHECKS][STR_MAX];	/* of _BYTES checks */
	struct vmiaas_exec_range exec[4];	/* of the _EXEC check */
	uint64_t exec_syms[EX_NR];	/* kernel-image addresses */
	unsigned int nr_checks;
	bool baseline_done;
	pthread_t events;
	volatile bool stop;
};

static void __attribute__((noreturn)) vmiaas_die(const char *what, int err)
{
	fflush(stdout);
	fprintf(stderr, "l2vmm: vmiaas: %s: %s\n", what, strerror(err));
	exit(1);
}

/* "GPA:LEN" for a range, "GPA" for one pointer word. */
static void add_check(struct l2vmm_vmiaas *vi, uint32_t type, const char *arg)
{
	struct vmiaas_check *c;
	char *end;

	if (vi->nr_checks >= MAX_CHECKS)
		vmiaas_die("--check: too many", E2BIG);
	c = &vi->checks[vi->nr_checks];
	memset(c, 0, sizeof(*c));
	c->type = type;
	c->addr = strtoull(arg, &end, 0);
	c->len = 1;
	if (type == VMIAAS_CHECK_RANGE_GPA) {
		if (*end != ':')
			vmiaas_die("--check wants GPA:LEN", EINVAL);
		c->len = strtoull(end + 1, &end, 0);
	}
	if (*end || !c->len || c->len > VMIAAS_MAX_RANGE ||
	    c->addr >= vi->mem_size || c->len * (type == VMIAAS_CHECK_RANGE_GPA ? 1 : 8) >
	    vi->mem_size - c->addr)
		vmiaas_die("--check/--check-ptr: outside guest RAM", EINVAL);
	vi->nr_checks++;
}

void l2vmm_vmiaas_add_checks(struct l2vmm_vmiaas *vi, const char *ranges,
			     const char *ptrs)
{
	char *list, *tok, *save;

	list = strdup(ranges ? ranges : "");
	for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
		add_check(vi, VMIAAS_CHECK_RANGE_GPA, tok);
	free(list);
	list = strdup(ptrs ? ptrs : "");
	for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
		add_check(vi, VMIAAS_CHECK_PTRS_GPA, tok);
	free(list);
}

static void print_event(const struct vmiaas_event *e)
{
	printf("@@EVENT vcpu=%u seq=%" PRIu64 " reason=%u source=%u status=%d verdict=%u failed=%u checks=%u mask=0x%" PRIx64 " cookie=%" PRIu64 " lost=%" PRIu64 " serve_us=%" PRIu64 "\n",
	       e->vcpu, (uint64_t)e->seq, e->reason, e->source, e->status,
	       e->verdict, e->nr_failed, e->nr_checks, (uint64_t)e->failed_mask,
	       (uint64_t)e->cookie, (uint64_t)e->lost,
	       (uint64_t)(e->t_done_ns - e->t_seen_ns) / 1000);
	fflush(stdout);
}

/* The events thread: prints every record until told to stop. */
static void *events_fn(void *arg)
{
	struct l2vmm_vmiaas *vi = arg;
	struct vmiaas_event e;
	struct pollfd pfd = { .fd = vi->fd, .events = POLLIN };

	while (!vi->stop) {
		ssize_t n;

		if (poll(&pfd, 1, 100) <= 0 || !(pfd.revents & POLLIN))
			continue;
		/* records of the first layout (ATTACH_VM's event_size 0) */
		n = read(vi->fd, &e, VMIAAS_EVENT_SIZE_V1);
		if (n == VMIAAS_EVENT_SIZE_V1 && e.size == n) {
			print_event(&e);
		} else {
			printf("l2vmm: vmiaas: read event: %zd (%s)\n", n,
			       n < 0 ? strerror(errno) : "short");
			fflush(stdout);
			usleep(100000);
		}
	}
	return NULL;
}

struct l2vmm_vmiaas *l2vmm_vmiaas_setup(int kvm_fd, int vm_fd, int vcpu_fd,
					 uint8_t *mem, uint64_t mem_size)
{
	struct vmiaas_caps caps = { .size = sizeof(caps) };
	struct vmiaas_attach_vm at = { .size = sizeof(at), .vm_fd = vm_fd };
	struct vmiaas_enable_view ev = { .size = sizeof(ev) };
	struct l2vmm_vmiaas *vi;
	sigset_t all, old;
	int err;

	vi = calloc(1, sizeof(*vi));
	if (!vi)
		vmiaas_die("setup", ENOMEM);
	vi->mem = mem;
	vi->mem_size = mem_size;
	vi->fd = open("/dev/vmiaas", O_RDWR | O_CLOEXEC);
	if (vi->fd < 0)
		vmiaas_die("open /dev/vmiaas", errno);
	if (ioctl(vi->fd, VMIAAS_IOC_GET_CAPS, &caps))
		vmiaas_die("GET_CAPS", errno);
	if (!(caps.modes & VMIAAS_MODE_VMFUNC))
		vmiaas_die("GET_CAPS: no VMIAAS_MODE_VMFUNC", EOPNOTSUPP);
	if (ioctl(vi->fd, VMIAAS_IOC_ATTACH_VM, &at))
		vmiaas_die("ATTACH_VM", errno);
	if (ioctl(vi->fd, VMIAAS_IOC_ENABLE_VIEW, &ev))
		vmiaas_die("ENABLE_VIEW", errno);
	printf("l2vmm: vmiaas: attached, view 1 armed on %u vCPU(s), host modes 0x%llx\n",
	       ev.nr_vcpus, (unsigned long long)caps.modes);

	/* the vCPU thread takes the timer signals, not this one */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	err = pthread_create(&vi->events, NULL, events_fn, vi);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err)
		vmiaas_die("events thread", err);
	return vi;
}

/* The guest's u64 at kernel-image address @va (0 if outside RAM). */
static uint64_t guest_u64(const struct l2vmm_vmiaas *vi, uint64_t va)
{
	uint64_t v = 0;

	if (va >= KERNEL_MAP && va - KERNEL_MAP <= vi->mem_size - 8)
		memcpy(&v, vi->mem + (va - KERNEL_MAP), 8);
	return v;
}

/*
 * exec-memory's allowed ranges, as exec_allow_get() lists them: the text
 * (_text.._etext, page-rounded), its frames, the module range past _end,
 * the real-mode trampoline (*real_mode_header, the blob's size).
 */
static unsigned int exec_ranges(struct l2vmm_vmiaas *vi)
{
	const uint64_t *s = vi->exec_syms;
	uint64_t text_end = (s[EX_ETEXT] + 4095) & PAGE_MASK_4K;
	uint64_t rm = guest_u64(vi, s[EX_RMH]), n = 0;
	struct vmiaas_exec_range *e = vi->exec;

	e[n++] = (struct vmiaas_exec_range){ .start = s[EX_TEXT] & PAGE_MASK_4K,
					     .end = text_end };
	e[n++] = (struct vmiaas_exec_range){
		.start = (s[EX_TEXT] - KERNEL_MAP) & PAGE_MASK_4K,
		.end = s[EX_TEXT] - KERNEL_MAP + (text_end - s[EX_TEXT]),
		.flags = VMIAAS_EXEC_PHYS,
	};
	e[n++] = (struct vmiaas_exec_range){
		.start = (s[EX_END] + 4095) & PAGE_MASK_4K, .end = MODULES_END,
	};
	if (rm >> 63 && s[EX_RMBE] > s[EX_RMB])
		e[n++] = (struct vmiaas_exec_range){
			.start = rm & PAGE_MASK_4K,
			.end = (rm + s[EX_RMBE] - s[EX_RMB] + 4095) & PAGE_MASK_4K,
		};
	return n;
}

static int sha256(const uint8_t *data, size_t len, uint8_t digest[32])
{
	unsigned int n = 0;

	if (!EVP_Digest(data, len, digest, &n, EVP_sha256(), NULL) || n != 32)
		return -EIO;
	return 0;
}

/* Takes the guest's current contents as the expected values. */
static void baseline(struct l2vmm_vmiaas *vi)
{
	struct vmiaas_set_checks sc = { .size = sizeof(sc) };
	unsigned int i;

	for (i = 0; i < vi->nr_checks; i++) {
		struct vmiaas_check *c = &vi->checks[i];

		if (c->type == VMIAAS_CHECK_RANGE_GPA) {
			if (sha256(vi->mem + c->addr, c->len, c->digest))
				vmiaas_die("SHA-256", EIO);
			printf("l2vmm: vmiaas: check %u: SHA-256 of GPA 0x%llx+%llu = %02x%02x%02x%02x...\n",
			       i, (unsigned long long)c->addr,
			       (unsigned long long)c->len, c->digest[0],
			       c->digest[1], c->digest[2], c->digest[3]);
		} else if (c->type == VMIAAS_CHECK_EXEC_GVA) {
			c->len = exec_ranges(vi);
			c->values = (uintptr_t)vi->exec;
			printf("l2vmm: vmiaas: check %u: exec-memory at root 0x%llx, %llu allowed ranges\n",
			       i, (unsigned long long)c->root,
			       (unsigned long long)c->len);
		} else if (c->type == VMIAAS_CHECK_BYTES_GVA) {
			memcpy(vi->bytes[i], vi->mem + (c->addr - KERNEL_MAP),
			       c->len);
			c->values = (uintptr_t)vi->bytes[i];
			printf("l2vmm: vmiaas: check %u: the string at 0x%llx = \"%.*s\"\n",
			       i, (unsigned long long)c->addr, (int)c->len,
			       (const char *)vi->bytes[i]);
		} else {
			memcpy(&vi->values[i], vi->mem + c->addr, 8);
			c->values = (uintptr_t)&vi->values[i];
			printf("l2vmm: vmiaas: check %u: the word at GPA 0x%llx = 0x%llx\n",
			       i, (unsigned long long)c->addr,
			       (unsigned long long)vi->values[i]);
		}
	}
	sc.nr_checks = vi->nr_checks;
	sc.checks = (uintptr_t)vi->checks;
	if (ioctl(vi->fd, VMIAAS_IOC_SET_CHECKS, &sc))
		printf("l2vmm: vmiaas: SET_CHECKS: %s\n", strerror(errno));
	else
		printf("l2vmm: vmiaas: SET_CHECKS: %u checks registered\n",
		       vi->nr_checks);
	vi->baseline_done = true;
}

static void print_mailbox(struct l2vmm_vmiaas *vi)
{
	struct vmiaas_read_mailbox mb = { .size = sizeof(mb), .vcpu = 0 };

	if (ioctl(vi->fd, VMIAAS_IOC_READ_MAILBOX, &mb)) {
		printf("@@MAILBOX error %s\n", strerror(errno));
		return;
	}
	printf("@@MAILBOX 0x%llx 0x%llx 0x%llx 0x%llx\n",
	       (unsigned long long)mb.data[0], (unsigned long long)mb.data[1],
	       (unsigned long long)mb.data[2], (unsigned long long)mb.data[3]);
}

/* "exec=ROOT:TEXT:ETEXT:END:RMH:RMB:RMBE" (see the enum): the check. */
static void add_exec_check(struct l2vmm_vmiaas *vi, const char *arg)
{
	struct vmiaas_check *c = &vi->checks[vi->nr_checks];
	char *end;
	int i;

	for (i = 0; i < EX_NR; i++, arg = end + 1) {
		vi->exec_syms[i] = strtoull(arg, &end, 16);
		if (vi->exec_syms[i] < KERNEL_MAP ||
		    *end != (i == EX_NR - 1 ? '\0' : ':')) {
			printf("l2vmm: vmiaas: ignoring exec=\n");
			return;
		}
	}
	if (vi->nr_checks >= MAX_CHECKS)
		vmiaas_die("exec=: too many checks", E2BIG);
	memset(c, 0, sizeof(*c));
	c->type = VMIAAS_CHECK_EXEC_GVA;
	c->root = vi->exec_syms[EX_ROOT] - KERNEL_MAP;
	vi->nr_checks++;
}

/* "str=ADDR:LEN": the guest's string at ADDR (a GVA check at exec='s root). */
static void add_str_check(struct l2vmm_vmiaas *vi, const char *arg)
{
	struct vmiaas_check *c = &vi->checks[vi->nr_checks];
	char *end;

	if (vi->nr_checks >= MAX_CHECKS)
		vmiaas_die("str=: too many checks", E2BIG);
	memset(c, 0, sizeof(*c));
	c->type = VMIAAS_CHECK_BYTES_GVA;
	c->flags = VMIAAS_CHECK_CSTRING;
	c->addr = strtoull(arg, &end, 16);
	c->len = *end == ':' ? strtoull(end + 1, &end, 0) : 0;
	c->root = vi->exec_syms[EX_ROOT] - KERNEL_MAP;
	if (*end || !c->len || c->len > STR_MAX || c->addr < KERNEL_MAP ||
	    !vi->exec_syms[EX_ROOT] ||
	    c->addr - KERNEL_MAP + c->len > vi->mem_size) {
		printf("l2vmm: vmiaas: ignoring str=%s (exec= names the root first)\n",
		       arg);
		return;
	}
	vi->nr_checks++;
}

/*
 * "@@L2-BASELINE range=ADDR:LEN ptr=ADDR+OFF": kernel-image addresses
 * (hex, as /proc/kallsyms prints them) of more checks. The L2 kernel
 * runs where it was linked (l2vmm's fast image neither relocates nor
 * randomises), so GPA = address - __START_KERNEL_map. A test's
 * convenience: a real deployment takes symbols from outside the guest
 * (vmictl reads the kernel's own kallsyms from its memory).
 */
static void add_guest_checks(struct l2vmm_vmiaas *vi, const char *line)
{
	char *copy = strdup(line), *tok, *save, *end, arg[64];
	uint64_t addr, num;

	for (tok = strtok_r(copy, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		bool range = !strncmp(tok, "range=", 6);

		if (!strncmp(tok, "exec=", 5)) {
			add_exec_check(vi, tok + 5);
			continue;
		}
		if (!strncmp(tok, "str=", 4)) {
			add_str_check(vi, tok + 4);
			continue;
		}

		if (!range && strncmp(tok, "ptr=", 4))
			continue;
		addr = strtoull(tok + (range ? 6 : 4), &end, 16);
		num = *end == (range ? ':' : '+') ? strtoull(end + 1, &end, 0) : 0;
		if (*end || addr < KERNEL_MAP) {
			printf("l2vmm: vmiaas: ignoring \"%s\"\n", tok);
			continue;
		}
		if (range)
			snprintf(arg, sizeof(arg), "0x%" PRIx64 ":%" PRIu64,
				 addr - KERNEL_MAP, num);
		else
			snprintf(arg, sizeof(arg), "0x%" PRIx64,
				 addr - KERNEL_MAP + num);
		add_check(vi, range ? VMIAAS_CHECK_RANGE_GPA : VMIAAS_CHECK_PTRS_GPA,
			  arg);
	}
	free(copy);
}

void l2vmm_vmiaas_guest_line(struct l2vmm_vmiaas *vi, const char *line)
{
	if (!strncmp(line, "@@L2-BASELINE", 13) && !vi->baseline_done) {
		add_guest_checks(vi, line);
		baseline(vi);
	}
	print_mailbox(vi);
	fflush(stdout);
}

void l2vmm_vmiaas_teardown(struct l2vmm_vmiaas *vi)
{
	vi->stop = true;
	pthread_join(vi->events, NULL);
	if (ioctl(vi->fd, VMIAAS_IOC_DETACH_VM, NULL))
		printf("l2vmm: vmiaas: DETACH_VM: %s\n", strerror(errno));
	close(vi->fd);
	free(vi);
}
