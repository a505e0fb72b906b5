// SPDX-License-Identifier: GPL-2.0
/*
 * fuse-hello DIR: mounts a FUSE filesystem on DIR holding one read-only
 * file, "hello", and serves it until unmounted or killed -- what a FUSE
 * daemon (sshfs, a container's lxcfs or fuse-overlayfs) makes the kernel
 * do: a fuse superblock, its inodes and files, requests on /dev/fuse. The
 * test guest has no libfuse: this is the raw protocol of <linux/fuse.h>,
 * only the requests a lookup, stat, open and read of "hello" need; every
 * other request gets ENOSYS. Prints "mounted" once the mount exists.
 * Built static on the host.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <linux/fuse.h>

#define HELLO_INO	2
#define BUF_SIZE	(256 << 10)

static const char hello[] = "hello from fuse\n";
static char buf[BUF_SIZE];

static int reply(int fd, uint64_t unique, int error, const void *arg,
		 size_t len)
{
	struct fuse_out_header out = {
		.len = sizeof(out) + (error ? 0 : len),
		.error = error,
		.unique = unique,
	};
	struct iovec iov[2] = {
		{ &out, sizeof(out) },
		{ (void *)arg, error ? 0 : len },
	};

	return writev(fd, iov, 2) < 0 ? -errno : 0;
}

static void fill_attr(struct fuse_attr *a, uint64_t ino)
{
	memset(a, 0, sizeof(*a));
	a->ino = ino;
	a->nlink = ino == FUSE_ROOT_ID ? 2 : 1;
	a->mode = ino == FUSE_ROOT_ID ? S_IFDIR | 0755 : S_IFREG | 0444;
	a->size = ino == FUSE_ROOT_ID ? 0 : sizeof(hello) - 1;
	a->blksize = 4096;
}

/* One request: its reply, or none for the ones that take none. */
static int serve(int fd, const struct fuse_in_header *in, const void *arg)
{
	union {
		struct fuse_init_out init;
		struct fuse_attr_out attr;
		struct fuse_entry_out entry;
		struct fuse_open_out open;
	} o;
	const struct fuse_read_in *rd = arg;

	memset(&o, 0, sizeof(o));
	switch (in->opcode) {
	case FUSE_INIT:
		o.init.major = FUSE_KERNEL_VERSION;
		o.init.minor = FUSE_KERNEL_MINOR_VERSION;
		o.init.max_write = 4096;
		o.init.time_gran = 1;
		return reply(fd, in->unique, 0, &o.init, sizeof(o.init));
	case FUSE_GETATTR:
		if (in->nodeid != FUSE_ROOT_ID && in->nodeid != HELLO_INO)
			return reply(fd, in->unique, -ENOENT, NULL, 0);
		fill_attr(&o.attr.attr, in->nodeid);
		return reply(fd, in->unique, 0, &o.attr, sizeof(o.attr));
	case FUSE_LOOKUP:
		if (in->nodeid != FUSE_ROOT_ID || strcmp(arg, "hello"))
			return reply(fd, in->unique, -ENOENT, NULL, 0);
		o.entry.nodeid = HELLO_INO;
		fill_attr(&o.entry.attr, HELLO_INO);
		return reply(fd, in->unique, 0, &o.entry, sizeof(o.entry));
	case FUSE_OPEN:
		if (in->nodeid != HELLO_INO)
			return reply(fd, in->unique, -EISDIR, NULL, 0);
		return reply(fd, in->unique, 0, &o.open, sizeof(o.open));
	case FUSE_READ:
		if (rd->offset >= sizeof(hello) - 1)
			return reply(fd, in->unique, 0, NULL, 0);
		return reply(fd, in->unique, 0, hello + rd->offset,
			     sizeof(hello) - 1 - rd->offset < rd->size ?
			     sizeof(hello) - 1 - rd->offset : rd->size);
	case FUSE_RELEASE:
	case FUSE_FLUSH:
		return reply(fd, in->unique, 0, NULL, 0);
	case FUSE_FORGET:
	case FUSE_BATCH_FORGET:
	case FUSE_INTERRUPT:
		return 0;
	default:	/* the protocol's "not implemented": not asked again */
		return reply(fd, in->unique, -ENOSYS, NULL, 0);
	}
}

int main(int argc, char **argv)
{
	char opts[128];
	ssize_t n;
	int fd;

	if (argc != 2) {
		fprintf(stderr, "usage: fuse-hello DIR\n");
		return 2;
	}
	fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		perror("fuse-hello: /dev/fuse");
		return 1;
	}
	snprintf(opts, sizeof(opts),
		 "fd=%d,rootmode=40000,user_id=0,group_id=0", fd);
	if (mount("vmiaas-hello", argv[1], "fuse", MS_NOSUID | MS_NODEV,
		  opts)) {
		perror("fuse-hello: mount");
		return 1;
	}
	printf("mounted\n");
	fflush(stdout);
	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n < 0 && (errno == EINTR || errno == ENOENT))
			continue;
		if (n < 0 && errno == ENODEV)	/* unmounted */
			return 0;
		if (n < (ssize_t)sizeof(struct fuse_in_header)) {
			perror("fuse-hello: read");
			return 1;
		}
		buf[n < BUF_SIZE ? n : BUF_SIZE - 1] = 0;
		if (serve(fd, (void *)buf, buf + sizeof(struct fuse_in_header)))
			return 1;
	}
}
