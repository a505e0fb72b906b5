// SPDX-License-Identifier: GPL-2.0
/*
 * vmiaas_caps: exercises /dev/vmiaas's VMIAAS_IOC_GET_CAPS from inside a
 * test guest (tests/integration/30-kmod-tcg.sh). Built static for the
 * busybox guest (gcc -static -Iinclude), and by "make userspace".
 *
 *   vmiaas_caps [--dev PATH] [--as-uid UID] TEST
 *
 * TEST is one of:
 *   caps       GET_CAPS with the full size; prints
 *              "size=S api_version=V modes=0xM check_types=0xT
 *              check_flags=0xF event_size=E reserved=0"
 *              (check_types: bit N, VMIAAS_CHECK_ type N runs; check_flags
 *              the struct vmiaas_check.flags taken; event_size the
 *              largest struct vmiaas_event record; reserved is
 *              the first nonzero reserved word's index and value, else 0;
 *              the buffer is filled with 0xff first, so a zero is the
 *              module's)
 *   bad-size   GET_CAPS with ->size 0 and sizeof - 1; prints the errno
 *              name of each ("EINVAL EINVAL")
 *   bad-ioctl  unknown ioctl numbers; prints the errno name of each
 *   open       only opens the device; prints "ok" or the errno name
 *
 * --as-uid UID drops every group and becomes UID (group UID) first.
 * Exits 0 when the test could run (the shell compares the output),
 * 1 with a message on stderr otherwise, 2 on a usage error.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <uapi/linux/vmiaas.h>

static const char *err_name(int err)
{
	const char *name = strerrorname_np(err);

	return name ? name : "E?";
}

static int caps_ioctl(int fd, __u32 size, struct vmiaas_caps *ret_caps)
{
	memset(ret_caps, 0xff, sizeof(*ret_caps));
	ret_caps->size = size;
	return ioctl(fd, VMIAAS_IOC_GET_CAPS, ret_caps) < 0 ? -errno : 0;
}

static int test_caps(int fd)
{
	struct vmiaas_caps caps;
	unsigned int i;
	int r;

	r = caps_ioctl(fd, sizeof(caps), &caps);
	if (r < 0) {
		fprintf(stderr, "vmiaas_caps: GET_CAPS: %s\n", strerror(-r));
		return 1;
	}
	printf("size=%u api_version=%u modes=%#llx check_types=%#llx check_flags=%#llx event_size=%llu",
	       caps.size, caps.api_version, (unsigned long long)caps.modes,
	       (unsigned long long)caps.check_types,
	       (unsigned long long)caps.check_flags,
	       (unsigned long long)caps.event_size);
	for (i = 0; i < sizeof(caps.reserved) / sizeof(caps.reserved[0]); i++)
		if (caps.reserved[i])
			break;
	if (i < sizeof(caps.reserved) / sizeof(caps.reserved[0]))
		printf(" reserved[%u]=%#llx\n", i,
		       (unsigned long long)caps.reserved[i]);
	else
		printf(" reserved=0\n");
	return 0;
}

static int test_bad_size(int fd)
{
	static const __u32 sizes[] = { 0, sizeof(struct vmiaas_caps) - 1 };
	struct vmiaas_caps caps;
	unsigned int i;
	int r;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		r = caps_ioctl(fd, sizes[i], &caps);
		printf("%s%s", i ? " " : "", r ? err_name(-r) : "ok");
	}
	printf("\n");
	return 0;
}

static int test_bad_ioctl(int fd)
{
	static const unsigned long cmds[] = {
		_IOWR(VMIAAS_IOC_MAGIC, 0xff, struct vmiaas_caps),
		_IO(VMIAAS_IOC_MAGIC, 0x00),	/* GET_CAPS's nr, no size */
		_IOR('T', 0x01, int),
	};
	struct vmiaas_caps caps;
	unsigned int i;
	int r;

	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		memset(&caps, 0, sizeof(caps));
		caps.size = sizeof(caps);
		r = ioctl(fd, cmds[i], &caps) < 0 ? errno : 0;
		printf("%s%s", i ? " " : "", r ? err_name(r) : "ok");
	}
	printf("\n");
	return 0;
}

static int drop_to(const char *arg)
{
	char *end;
	unsigned long uid;

	errno = 0;
	uid = strtoul(arg, &end, 10);
	if (errno || end == arg || *end || uid == 0 || uid > 65535) {
		fprintf(stderr, "vmiaas_caps: --as-uid wants a non-root uid, not '%s'\n",
			arg);
		return -EINVAL;
	}
	if (setgroups(0, NULL) < 0 || setgid(uid) < 0 || setuid(uid) < 0) {
		fprintf(stderr, "vmiaas_caps: cannot become uid %lu: %s\n", uid,
			strerror(errno));
		return -errno;
	}
	if (geteuid() != uid || getegid() != uid) {
		fprintf(stderr, "vmiaas_caps: still euid %u egid %u\n",
			(unsigned int)geteuid(), (unsigned int)getegid());
		return -EPERM;
	}
	return 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: vmiaas_caps [--dev PATH] [--as-uid UID] "
		"caps|bad-size|bad-ioctl|open\n");
	return 2;
}

int main(int argc, char **argv)
{
	const char *dev = "/dev/vmiaas", *test;
	int i, fd, r;

	for (i = 1; i < argc - 1; i += 2) {
		if (!strcmp(argv[i], "--dev")) {
			dev = argv[i + 1];
		} else if (!strcmp(argv[i], "--as-uid")) {
			r = drop_to(argv[i + 1]);
			if (r < 0)
				return r == -EINVAL ? 2 : 1;
		} else {
			break;
		}
	}
	if (i != argc - 1)
		return usage();
	test = argv[i];
	if (strcmp(test, "caps") && strcmp(test, "bad-size") &&
	    strcmp(test, "bad-ioctl") && strcmp(test, "open"))
		return usage();

	fd = open(dev, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		if (!strcmp(test, "open")) {
			printf("%s\n", err_name(errno));
			return 0;
		}
		fprintf(stderr, "vmiaas_caps: open %s: %s\n", dev, strerror(errno));
		return 1;
	}
	if (!strcmp(test, "open")) {
		printf("ok\n");
		r = 0;
	} else if (!strcmp(test, "caps")) {
		r = test_caps(fd);
	} else if (!strcmp(test, "bad-size")) {
		r = test_bad_size(fd);
	} else {
		r = test_bad_ioctl(fd);
	}
	close(fd);
	return r;
}
