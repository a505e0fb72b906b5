// SPDX-License-Identifier: GPL-2.0
/*
 * bpf-fentry FUNC: attaches a BPF fentry program (it only returns 0) to
 * the kernel function FUNC and keeps it attached until killed -- what
 * makes the kernel build a BPF trampoline and call it from FUNC's ftrace
 * site. The test guest has no libbpf or bpftool, so this is raw bpf(2):
 * FUNC's BTF id is looked up in /sys/kernel/btf/vmlinux by hand.
 * bpf-fentry xdp IFINDEX: an XDP program passing every packet, linked to
 * the device IFINDEX; bpf-fentry cgroup DIR: a cgroup_skb program
 * letting every packet in, linked to the cgroup v2 directory DIR;
 * bpf-fentry cgroup-attach DIR: the same attached the legacy way
 * (BPF_PROG_ATTACH, no bpf_link), which stays after the loader exits;
 * bpf-fentry cgroup-dev DIR: a cgroup_device program allowing every
 * device access, linked to DIR (what systemd and container runtimes
 * attach for a unit's or a container's device policy);
 * bpf-fentry tc IFINDEX: a sched_cls program passing every packet, a
 * direct-action cls_bpf filter on the device's clsact ingress (what
 * "tc filter add dev DEV ingress bpf da" makes), through rtnetlink;
 * bpf-fentry tcx IFINDEX: a sched_cls program passing every packet (TCX_PASS)
 * linked to the device's tcx ingress (6.6+, what Cilium attaches).
 * Prints "attached" once the link exists. Built static on the host.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <arpa/inet.h>
#include <linux/bpf.h>
#include <linux/btf.h>
#include <linux/if_ether.h>
#include <linux/netlink.h>
#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>

#define BTF_MAX		(64 << 20)
/* enum bpf_attach_type of 6.6+ (the build host's uapi header is 6.1's) */
#define TCX_INGRESS	46

static char *read_file(const char *path, size_t *ret_len)
{
	size_t len = 0;
	ssize_t n;
	char *buf = malloc(BTF_MAX);
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (!buf || fd < 0)
		return NULL;
	while (len < BTF_MAX && (n = read(fd, buf + len, BTF_MAX - len)) > 0)
		len += n;
	close(fd);
	*ret_len = len;
	return buf;
}

/* Bytes that follow a struct btf_type of this kind and vlen. */
static size_t type_extra(uint32_t kind, uint32_t vlen)
{
	switch (kind) {
	case BTF_KIND_INT: case BTF_KIND_VAR: case BTF_KIND_DECL_TAG:
		return 4;
	case BTF_KIND_ARRAY:
		return 12;
	case BTF_KIND_STRUCT: case BTF_KIND_UNION: case BTF_KIND_DATASEC:
		return 12 * vlen;
	case BTF_KIND_ENUM: case BTF_KIND_FUNC_PROTO:
		return 8 * vlen;
	case 19:	/* BTF_KIND_ENUM64 */
		return 12 * vlen;
	default:
		return 0;
	}
}

/* The id of the BTF_KIND_FUNC named @name, or -1. */
static long func_btf_id(const char *btf, size_t len, const char *name)
{
	const struct btf_header *h = (const void *)btf;
	const char *types, *strs;
	size_t off = 0;
	long id = 1;

	if (len < sizeof(*h) || h->magic != BTF_MAGIC ||
	    (size_t)h->hdr_len + h->str_off + h->str_len > len ||
	    (size_t)h->hdr_len + h->type_off + h->type_len > len)
		return -1;
	types = btf + h->hdr_len + h->type_off;
	strs = btf + h->hdr_len + h->str_off;
	while (off + sizeof(struct btf_type) <= h->type_len) {
		const struct btf_type *t = (const void *)(types + off);
		uint32_t kind = BTF_INFO_KIND(t->info);

		if (kind == BTF_KIND_FUNC && t->name_off < h->str_len &&
		    !strcmp(strs + t->name_off, name))
			return id;
		off += sizeof(*t) + type_extra(kind, BTF_INFO_VLEN(t->info));
		id++;
	}
	return -1;
}

/*
 * "r0 = @ret; exit" loaded as a program of @type (@attach_type, and
 * @btf_id for tracing): its fd, or -1 with the verifier's log printed.
 */
static int prog_load(uint32_t type, uint32_t attach_type, uint32_t btf_id,
		     int ret, const char *name)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0, .imm = ret },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	union bpf_attr load = {};
	char log[4096] = "";
	int prog;

	load.prog_type = type;
	load.expected_attach_type = attach_type;
	load.insns = (uintptr_t)insns;
	load.insn_cnt = 2;
	load.license = (uintptr_t)"GPL";
	load.attach_btf_id = btf_id;
	load.log_buf = (uintptr_t)log;
	load.log_size = sizeof(log);
	load.log_level = 1;
	strncpy(load.prog_name, name, sizeof(load.prog_name) - 1);
	prog = syscall(__NR_bpf, BPF_PROG_LOAD, &load, sizeof(load));
	if (prog < 0)
		fprintf(stderr, "bpf-fentry: BPF_PROG_LOAD: %s\n%s\n",
			strerror(errno), log);
	return prog;
}

/* The program linked to @target (a device index or a cgroup fd). */
static int net_link(uint32_t type, uint32_t attach_type, int ret,
		    uint32_t target, const char *name)
{
	union bpf_attr link = {};
	int prog = prog_load(type, attach_type, 0, ret, name);

	if (prog < 0)
		return -1;
	link.link_create.prog_fd = prog;
	link.link_create.target_fd = target;
	link.link_create.attach_type = attach_type;
	return syscall(__NR_bpf, BPF_LINK_CREATE, &link, sizeof(link));
}

/* The cgroup_skb program attached to cgroup @dir without a link. */
static int cgroup_attach(const char *dir)
{
	union bpf_attr attach = {};
	int prog = prog_load(BPF_PROG_TYPE_CGROUP_SKB, BPF_CGROUP_INET_INGRESS,
			     0, 1, "vmiaas_cgskb");

	if (prog < 0)
		return -1;
	attach.target_fd = open(dir, O_RDONLY | O_DIRECTORY);
	attach.attach_bpf_fd = prog;
	attach.attach_type = BPF_CGROUP_INET_INGRESS;
	return syscall(__NR_bpf, BPF_PROG_ATTACH, &attach, sizeof(attach));
}

struct tc_req {
	struct nlmsghdr nh;
	struct tcmsg tc;
	char attrs[256];
};

static struct rtattr *tc_attr(struct tc_req *r, unsigned short type,
			      const void *data, size_t len)
{
	struct rtattr *a = (void *)((char *)r + NLMSG_ALIGN(r->nh.nlmsg_len));

	a->rta_type = type;
	a->rta_len = RTA_LENGTH(len);
	if (data)
		memcpy(RTA_DATA(a), data, len);
	r->nh.nlmsg_len = NLMSG_ALIGN(r->nh.nlmsg_len) + RTA_ALIGN(a->rta_len);
	return a;
}

/* Sends @r on @fd and reads its ack: 0 or -errno. */
static int tc_send(int fd, struct tc_req *r)
{
	char buf[4096];
	struct nlmsgerr *e = NLMSG_DATA((struct nlmsghdr *)buf);

	if (send(fd, r, r->nh.nlmsg_len, 0) < 0 ||
	    recv(fd, buf, sizeof(buf), 0) < (ssize_t)NLMSG_LENGTH(sizeof(*e)))
		return -errno;
	return ((struct nlmsghdr *)buf)->nlmsg_type == NLMSG_ERROR ? e->error : 0;
}

static void tc_req_init(struct tc_req *r, unsigned short type, int ifindex,
			unsigned int parent)
{
	memset(r, 0, sizeof(*r));
	r->nh.nlmsg_len = NLMSG_LENGTH(sizeof(r->tc));
	r->nh.nlmsg_type = type;
	r->nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL;
	r->tc.tcm_family = AF_UNSPEC;
	r->tc.tcm_ifindex = ifindex;
	r->tc.tcm_parent = parent;
}

/* A clsact qdisc on @ifindex, then the program as its ingress filter. */
static int tc_attach(int ifindex)
{
	int prog = prog_load(BPF_PROG_TYPE_SCHED_CLS, 0, 0, 0, "vmiaas_tc");
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	unsigned int flags = TCA_BPF_FLAG_ACT_DIRECT;
	struct tc_req r;
	struct rtattr *opts;
	int err;

	if (prog < 0 || fd < 0)
		return -1;
	tc_req_init(&r, RTM_NEWQDISC, ifindex, TC_H_CLSACT);
	r.tc.tcm_handle = TC_H_MAKE(TC_H_CLSACT, 0);
	tc_attr(&r, TCA_KIND, "clsact", sizeof("clsact"));
	err = tc_send(fd, &r);
	if (err && err != -EEXIST)
		return errno = -err, -1;
	tc_req_init(&r, RTM_NEWTFILTER, ifindex,
		    TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_INGRESS));
	r.tc.tcm_handle = 1;
	r.tc.tcm_info = TC_H_MAKE(1U << 16, htons(ETH_P_ALL));
	tc_attr(&r, TCA_KIND, "bpf", sizeof("bpf"));
	opts = tc_attr(&r, TCA_OPTIONS | NLA_F_NESTED, NULL, 0);
	tc_attr(&r, TCA_BPF_FD, &prog, sizeof(prog));
	tc_attr(&r, TCA_BPF_NAME, "vmiaas_tc", sizeof("vmiaas_tc"));
	tc_attr(&r, TCA_BPF_FLAGS, &flags, sizeof(flags));
	opts->rta_len = (char *)&r + r.nh.nlmsg_len - (char *)opts;
	err = tc_send(fd, &r);
	return err ? (errno = -err, -1) : 0;
}

static int net_main(const char *kind, const char *where)
{
	int fd = -1;

	if (!strcmp(kind, "xdp"))
		fd = net_link(BPF_PROG_TYPE_XDP, BPF_XDP, 2 /* XDP_PASS */,
			      atoi(where), "vmiaas_xdp");
	else if (!strcmp(kind, "cgroup"))
		fd = net_link(BPF_PROG_TYPE_CGROUP_SKB, BPF_CGROUP_INET_INGRESS,
			      1, open(where, O_RDONLY | O_DIRECTORY),
			      "vmiaas_cgskb");
	else if (!strcmp(kind, "cgroup-attach"))
		fd = cgroup_attach(where);
	else if (!strcmp(kind, "cgroup-dev"))
		fd = net_link(BPF_PROG_TYPE_CGROUP_DEVICE, BPF_CGROUP_DEVICE,
			      1, open(where, O_RDONLY | O_DIRECTORY),
			      "vmiaas_cgdev");
	else if (!strcmp(kind, "tc"))
		fd = tc_attach(atoi(where));
	else if (!strcmp(kind, "tcx"))
		fd = net_link(BPF_PROG_TYPE_SCHED_CLS, TCX_INGRESS, 0,
			      atoi(where), "vmiaas_tcx");
	if (fd < 0) {
		fprintf(stderr, "bpf-fentry %s %s: %s\n", kind, where,
			strerror(errno));
		return 1;
	}
	printf("attached\n");
	fflush(stdout);
	pause();
	return 0;
}

int main(int argc, char **argv)
{
	union bpf_attr attach = {};
	size_t len;
	char *btf;
	long id;
	int prog, link;

	if (argc == 3)
		return net_main(argv[1], argv[2]);
	if (argc != 2) {
		fprintf(stderr, "usage: bpf-fentry FUNC | xdp IFINDEX | cgroup DIR | cgroup-attach DIR | cgroup-dev DIR | tc IFINDEX | tcx IFINDEX\n");
		return 2;
	}
	btf = read_file("/sys/kernel/btf/vmlinux", &len);
	id = btf ? func_btf_id(btf, len, argv[1]) : -1;
	if (id < 0) {
		fprintf(stderr, "bpf-fentry: no BTF function %s\n", argv[1]);
		return 1;
	}
	prog = prog_load(BPF_PROG_TYPE_TRACING, BPF_TRACE_FENTRY, id, 0, "");
	if (prog < 0)
		return 1;
	attach.raw_tracepoint.prog_fd = prog;
	link = syscall(__NR_bpf, BPF_RAW_TRACEPOINT_OPEN, &attach,
		       sizeof(attach));
	if (link < 0) {
		fprintf(stderr, "bpf-fentry: attach: %s\n", strerror(errno));
		return 1;
	}
	printf("attached\n");
	fflush(stdout);
	pause();
	return 0;
}
