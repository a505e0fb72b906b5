// SPDX-License-Identifier: GPL-2.0
/*
 * QEMU's command line (userspace/lib/qemu_cmdline.c), which the pid
 * backend and vmid's discovery parse: real command lines (libvirt 9.0's
 * from Debian 12, captured from /var/log/libvirt/qemu/; scripts/guest's),
 * a libvirt-style one of over 100 KiB, QEMU's option syntax, a hostile
 * or truncated one, and /proc/PID/cmdline of a real process.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "tests/lib/tap.h"
#include "userspace/lib/qemu_cmdline.h"

#define MiB	(1ull << 20)

/* libvirt 9.0.0 (Debian 12), a TCG domain with <memoryBacking> file */
static const char *const libvirt_file[] = {
	"/usr/bin/qemu-system-x86_64",
	"-name", "guest=vmiaas-lv10850-30277-b,debug-threads=on",
	"-S",
	"-object", "{\"qom-type\":\"secret\",\"id\":\"masterKey0\",\"format\":\"raw\",\"file\":\"/var/lib/libvirt/qemu/domain-2-vmiaas-lv10850-30277/master-key.aes\"}",
	"-machine", "pc-i440fx-7.2,usb=off,dump-guest-core=off,memory-backend=pc.ram",
	"-accel", "tcg",
	"-cpu", "qemu64",
	"-m", "512",
	"-object", "{\"qom-type\":\"memory-backend-file\",\"id\":\"pc.ram\",\"mem-path\":\"/var/lib/libvirt/qemu/ram/2-vmiaas-lv10850-30277/pc.ram\",\"share\":true,\"x-use-canonical-path-for-ramblock-id\":false,\"size\":536870912}",
	"-overcommit", "mem-lock=off",
	"-smp", "1,sockets=1,cores=1,threads=1",
	"-uuid", "92c6cafb-4b54-48e4-995d-949cf8ecd1f4",
	"-display", "none",
	"-no-user-config",
	"-nodefaults",
	"-chardev", "socket,id=charmonitor,fd=36,server=on,wait=off",
	"-mon", "chardev=charmonitor,id=monitor,mode=control",
	"-rtc", "base=utc",
	"-no-shutdown",
	"-boot", "strict=on",
	"-kernel", "/tmp/vmiaas-lv.TJOO32/vmlinuz",
	"-initrd", "/tmp/vmiaas-lv.TJOO32/initrd.cpio",
	"-append", "console=ttyS0 quiet loglevel=4 no_timer_check",
	"-device", "{\"driver\":\"piix3-usb-uhci\",\"id\":\"usb\",\"bus\":\"pci.0\",\"addr\":\"0x1.0x2\"}",
	"-add-fd", "set=0,fd=35,opaque=serial0-source",
	"-chardev", "file,id=charserial0,path=/dev/fdset/0,append=on",
	"-device", "{\"driver\":\"isa-serial\",\"chardev\":\"charserial0\",\"id\":\"serial0\",\"index\":0}",
	"-chardev", "socket,id=charserial1,fd=34,server=on,wait=off",
	"-device", "{\"driver\":\"isa-serial\",\"chardev\":\"charserial1\",\"id\":\"serial1\",\"index\":1}",
	"-audiodev", "{\"id\":\"audio1\",\"driver\":\"none\"}",
	"-sandbox", "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny",
	"-msg", "timestamp=on",
	NULL
};

/* the same libvirt, its default RAM backend: anonymous, not shared */
static const char *const libvirt_ram[] = {
	"/usr/bin/qemu-system-x86_64",
	"-name", "guest=vmiaas-lv19302-10317-c,debug-threads=on",
	"-S",
	"-machine", "pc-i440fx-7.2,usb=off,dump-guest-core=off,memory-backend=pc.ram",
	"-accel", "tcg",
	"-m", "512",
	"-object", "{\"qom-type\":\"memory-backend-ram\",\"id\":\"pc.ram\",\"size\":536870912}",
	"-uuid", "814d1616-e49c-4053-b3e0-769bc8007ddd",
	"-chardev", "socket,id=charmonitor,fd=30,server=on,wait=off",
	"-mon", "chardev=charmonitor,id=monitor,mode=control",
	NULL
};

/* scripts/guest: a console and a command socket besides QMP */
static const char *const rig[] = {
	"qemu-system-x86_64",
	"-name", "vmiaas-g1",
	"-machine", "pc,memory-backend=mem",
	"-object", "memory-backend-file,id=mem,size=512M,mem-path=/dev/shm/vmiaas-g1-1a2b3c4d,share=on",
	"-m", "512", "-smp", "1",
	"-chardev", "file,id=con,path=/run/vmiaas/g1/console.log",
	"-serial", "chardev:con",
	"-chardev", "socket,id=cmd,path=/run/vmiaas/g1/cmd.sock,server=on,wait=off",
	"-serial", "chardev:cmd",
	"-qmp", "unix:/run/vmiaas/g1/qmp.sock,server=on,wait=off",
	"-pidfile", "/run/vmiaas/g1/qemu.pid", "-daemonize",
	NULL
};

/* Joins @argv as /proc/PID/cmdline has it: every argument ends in NUL. */
static size_t join(const char *const *argv, char *buf, size_t size)
{
	size_t len = 0, l;

	for (; *argv; argv++) {
		l = strlen(*argv) + 1;
		if (len + l > size)
			abort();
		memcpy(buf + len, *argv, l);
		len += l;
	}
	return len;
}

static void parse(const char *const *argv, struct qemu_cmdline *cl)
{
	static char buf[64 << 10];

	qemu_cmdline_parse(buf, join(argv, buf, sizeof(buf)), cl);
}

static void test_real(void)
{
	struct qemu_cmdline cl;

	parse(libvirt_file, &cl);
	TEST_ASSERT(!strcmp(cl.name, "vmiaas-lv10850-30277-b") &&
		    !strcmp(cl.uuid, "92c6cafb-4b54-48e4-995d-949cf8ecd1f4"),
		    "libvirt: name from -name guest=...,debug-threads=on, -uuid (%s, %s)",
		    cl.name, cl.uuid);
	TEST_ASSERT(!strcmp(cl.ram_path, "/var/lib/libvirt/qemu/ram/2-vmiaas-lv10850-30277/pc.ram") &&
		    cl.ram_shared && cl.ram_size == 512 * MiB,
		    "libvirt: RAM is the JSON memory-backend-file pc.ram, shared, 512 MiB (%s, %d, %llu)",
		    cl.ram_path, cl.ram_shared, (unsigned long long)cl.ram_size);
	TEST_ASSERT(!cl.qmp[0], "libvirt: its monitor is a passed fd, no socket path ('%s')",
		    cl.qmp);

	parse(libvirt_ram, &cl);
	TEST_ASSERT(!cl.ram_path[0] && !cl.ram_shared && cl.ram_size == 512 * MiB,
		    "libvirt: memory-backend-ram: no file, 512 MiB ('%s', %llu)",
		    cl.ram_path, (unsigned long long)cl.ram_size);

	parse(rig, &cl);
	TEST_ASSERT(!strcmp(cl.name, "vmiaas-g1") &&
		    !strcmp(cl.qmp, "/run/vmiaas/g1/qmp.sock") &&
		    !strcmp(cl.ram_path, "/dev/shm/vmiaas-g1-1a2b3c4d") &&
		    cl.ram_shared && cl.ram_size == 512 * MiB && !cl.uuid[0],
		    "scripts/guest: name, -qmp unix: (not the cmd socket), shared RAM file (%s, %s, %s)",
		    cl.name, cl.qmp, cl.ram_path);
	TEST_ASSERT(cl.daemonize && !strcmp(cl.pidfile, "/run/vmiaas/g1/qemu.pid"),
		    "scripts/guest: -daemonize as the last word, -pidfile (%d, '%s')",
		    cl.daemonize, cl.pidfile);
	parse(libvirt_file, &cl);
	TEST_ASSERT(!cl.daemonize && !cl.pidfile[0],
		    "libvirt: not daemonizing, no -pidfile (%d, '%s')",
		    cl.daemonize, cl.pidfile);
}

/* libvirt with many devices: the facts come after 100 KiB of -device */
static void test_long(void)
{
	size_t size = 256 << 10, len = 0, i;
	char *buf = malloc(size);
	struct qemu_cmdline cl;

	if (!buf)
		abort();
	len += (size_t)sprintf(buf, "/usr/bin/qemu-system-x86_64") + 1;
	for (i = 0; i < 1000; i++) {
		len += (size_t)sprintf(buf + len, "-device") + 1;
		len += (size_t)sprintf(buf + len,
			"{\"driver\":\"pcie-root-port\",\"port\":%zu,\"chassis\":%zu,\"id\":\"pci.%zu\",\"bus\":\"pcie.0\",\"addr\":\"0x2\"}",
			i, i + 1, i + 1) + 1;
	}
	len += (size_t)sprintf(buf + len, "-m") + 1;
	len += (size_t)sprintf(buf + len, "size=4194304k,slots=16,maxmem=16777216k") + 1;
	len += (size_t)sprintf(buf + len, "-name") + 1;
	len += (size_t)sprintf(buf + len, "guest=big,debug-threads=on") + 1;
	qemu_cmdline_parse(buf, len, &cl);
	TEST_ASSERT(len > 100 << 10 && cl.ram_size == 4096 * MiB &&
		    !strcmp(cl.name, "big"),
		    "a %zu KiB libvirt command line: -m size=4194304k,slots=,maxmem= at its end (%llu, %s)",
		    len >> 10, (unsigned long long)cl.ram_size, cl.name);
	free(buf);
}

static void test_sizes(void)
{
	static const struct { const char *s; unsigned long long unit, want; } t[] = {
		{ "512", MiB, 512 * MiB }, { "2G", MiB, 2048 * MiB },
		{ "2g", MiB, 2048 * MiB }, { "524288k", MiB, 512 * MiB },
		{ "1.5G", MiB, 1536 * MiB }, { "1T", MiB, 1ull << 40 },
		{ "4096B", MiB, 4096 }, { "536870912", 1, 512 * MiB },
		{ "1024M,slots=2", MiB, 1024 * MiB }, { "0", MiB, 0 },
		{ "", MiB, 0 }, { "-1", MiB, 0 }, { "12X", MiB, 0 },
		{ "2Gx", MiB, 0 }, { "99999999999999999999", MiB, 0 },
		{ "2048P", MiB, 0 }, { "1E", MiB, 1ull << 60 },
	};
	unsigned int i, bad = 0;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		unsigned long long got = qemu_parse_size(t[i].s, t[i].unit);

		if (got != t[i].want) {
			ksft_print_msg("size '%s': %llu, want %llu\n", t[i].s, got, t[i].want);
			bad++;
		}
	}
	TEST_ASSERT(!bad, "QEMU sizes: suffixes, fractions, MiB for -m, bad ones 0 (%u wrong)", bad);
}

static void test_syntax(void)
{
	static const char *const escaped[] = {
		"qemu", "-name", "guest=a,,b,,,debug-threads=on",
		"-M", "q35,memory-backend=ram0", "-m", "1G",
		"-object", "memory-backend-file,id=ram0,mem-path=/dev/shm/x,,y,share=yes,size=1G",
		"--qmp", "unix:path=/run/q,,1.sock,server=on", NULL };
	static const char *const monitor[] = {
		"qemu", "-chardev", "socket,id=hmp,path=/run/hmp.sock,server=on",
		"-mon", "chardev=hmp", "-chardev",
		"socket,id=qmp0,path=/run/qmp0.sock,server=on,wait=off",
		"-mon", "chardev=qmp0,mode=control", NULL };
	static const char *const numa[] = {
		"qemu", "-name", "plain", "-m", "2G", "-m", "size=3G",
		"-object", "memory-backend-memfd,id=m0,size=3G,share=on",
		"-numa", "node,memdev=m0", NULL };
	static const char *const sizeless[] = {
		"qemu", "-machine", "pc,memory-backend=pc.ram", "-object",
		"{\"qom-type\":\"memory-backend-ram\",\"id\":\"pc.ram\",\"size\":268435456}",
		NULL };
	struct qemu_cmdline cl;

	parse(escaped, &cl);
	TEST_ASSERT(!strcmp(cl.name, "a,b,") && !strcmp(cl.ram_path, "/dev/shm/x,y") &&
		    cl.ram_shared && cl.ram_size == 1024 * MiB &&
		    !strcmp(cl.qmp, "/run/q,1.sock"),
		    "',,' is a comma in a value; -M, --qmp, unix:path=, share=yes (%s, %s, %s)",
		    cl.name, cl.ram_path, cl.qmp);
	parse(monitor, &cl);
	TEST_ASSERT(!strcmp(cl.qmp, "/run/qmp0.sock"),
		    "QMP is the -chardev socket of a -mon mode=control, not an HMP one (%s)",
		    cl.qmp);
	parse(numa, &cl);
	TEST_ASSERT(!strcmp(cl.name, "plain") && cl.ram_size == 3072 * MiB &&
		    cl.ram_shared && !cl.ram_path[0],
		    "-name NAME, the last -m, RAM from -numa memdev (%s, %llu)",
		    cl.name, (unsigned long long)cl.ram_size);
	parse(sizeless, &cl);
	TEST_ASSERT(cl.ram_size == 256 * MiB,
		    "no -m: the RAM backend's size (%llu)", (unsigned long long)cl.ram_size);
}

/* A QEMU rewriting its own command line: nothing read past the buffer. */
static void test_hostile(void)
{
	static const char *const junk[] = {
		"qemu", "-machine", "memory-backend=r", "-object", "{\"id\":\"r\",",
		"-object", "{\"qom-type\":\"memory-backend-file\",\"id\":\"r\",\"size\":-5,\"share\":\"on\",\"mem-path\":7}",
		"-object", "[1,2]", "-object", "memory-backend-file", "-m", "size=",
		"-mon", "mode=control", "-chardev", ",,,,,,", "-qmp", "unix:", "-uuid",
		"short", "-name", "", "-m", NULL };
	char name[300], *buf = malloc(4096);
	struct qemu_cmdline cl;
	size_t len;

	if (!buf)
		abort();
	parse(junk, &cl);
	TEST_ASSERT(!cl.ram_size && !cl.ram_shared && !cl.ram_path[0] &&
		    !cl.uuid[0] && !cl.name[0] && !cl.qmp[0],
		    "malformed options and JSON of the wrong types: nothing taken");

	/* a name too long for its field: left out, not cut */
	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	len = join((const char *const[]){ "qemu", "-name", name, NULL }, buf, 4096);
	qemu_cmdline_parse(buf, len, &cl);
	TEST_ASSERT(!cl.name[0], "a 299-byte name: left out ('%.20s')", cl.name);

	/* truncated: "-m" "1G" without its NUL, at the end of a heap buffer */
	len = join((const char *const[]){ "qemu", "-name", "t", "-m", NULL }, buf, 4096);
	memcpy(buf + len, "1G", 2);
	qemu_cmdline_parse(buf, len + 2, &cl);
	TEST_ASSERT(!cl.ram_size && !strcmp(cl.name, "t"),
		    "an unterminated last argument is not read (%llu)",
		    (unsigned long long)cl.ram_size);
	qemu_cmdline_parse(buf, 0, &cl);
	TEST_ASSERT(!cl.name[0], "an empty command line");
	free(buf);
}

/* /proc/PID/cmdline of a process with 150 KiB of arguments */
static void test_proc(void)
{
	enum { PADS = 1500 };
	char **argv = calloc(PADS + 16, sizeof(*argv)), pad[101];
	struct qemu_cmdline cl;
	int i, n = 0, err, st;
	int pipefd[2];
	pid_t pid;

	if (!argv || pipe(pipefd))
		abort();
	memset(pad, 'p', sizeof(pad) - 1);
	pad[sizeof(pad) - 1] = '\0';
	/* sh -c 'read x' sh ARGS...: the ARGS are its positional parameters */
	argv[n++] = "sh";
	argv[n++] = "-c";
	argv[n++] = "read x";
	argv[n++] = "sh";
	for (i = 0; i < PADS; i++)
		argv[n++] = pad;
	argv[n++] = "-name";
	argv[n++] = "guest=proc-test";
	argv[n++] = "-m";
	argv[n++] = "768";
	pid = fork();
	if (pid == 0) {
		dup2(pipefd[0], 0);
		close(pipefd[1]);
		execv("/bin/sh", argv);
		_exit(127);
	}
	close(pipefd[0]);
	/* execv is done once cmdline names the new image's arguments */
	for (i = 0; i < 500; i++) {
		err = qemu_cmdline_read(pid, &cl);
		if (!err && cl.name[0])
			break;
		usleep(10000);
	}
	TEST_ASSERT(!err && !strcmp(cl.name, "proc-test") && cl.ram_size == 768 * MiB,
		    "/proc/%d/cmdline of about 150 KiB: name and -m after the padding (err %d, '%s', %llu)",
		    (int)pid, err, cl.name, (unsigned long long)cl.ram_size);
	close(pipefd[1]);
	waitpid(pid, &st, 0);
	err = qemu_cmdline_read(pid, &cl);
	TEST_ASSERT(err == -ENOENT, "a reaped process: -ENOENT (%d)", err);
	free(argv);
}

int main(void)
{
	ksft_print_header();
	ksft_set_plan(19);
	test_real();
	test_long();
	test_sizes();
	test_syntax();
	test_hostile();
	test_proc();
	ksft_finished();
}
