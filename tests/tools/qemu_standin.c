// SPDX-License-Identifier: GPL-2.0
/*
 * A stand-in for QEMU for the soft-dirty tests (tests/integration/
 * 67-vmid-softdirty.sh): copied to a file named qemu-system-x86_64 and
 * started with QEMU's options for a shared RAM file
 *
 *   -name NAME -machine pc,memory-backend=mem
 *   -object memory-backend-file,id=mem,size=SIZE,mem-path=RAM,share=on
 *
 * it maps RAM shared and writable, as QEMU does, and reads every page (so
 * that its page tables map them, as a running guest's would). Then it
 * obeys commands, one per line, from the FIFO $STANDIN_DIR/cmd, and
 * appends "ok CMD" (or "error CMD") to $STANDIN_DIR/ack after each:
 *
 *   w OFFSET HEX   write the bytes HEX at OFFSET of the RAM file through
 *                  its mapping (as the guest's writes through KVM reach
 *                  the RAM: the VMM's page tables); the old bytes are kept
 *   u              write the old bytes of the latest w back
 *   t OFFSET N     write each of N pages from OFFSET with its own first
 *                  byte (no change, but written)
 *   m              map RAM again elsewhere, then unmap the old mapping
 *   x              execute itself again (same PID, a new address space)
 *
 * On start it appends "ready PID". Writes nothing else.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define PAGE	4096UL
#define MAX_W	64

static unsigned char *ram;
static size_t ram_size;
static const char *ram_path;
static unsigned long long w_off;
static unsigned char w_old[MAX_W];
static size_t w_len;

/* SIZE and RAM from the -object argument. */
static int parse_args(int argc, char **argv)
{
	char *p, *s;
	int i;

	for (i = 1; i < argc; i++) {
		p = strstr(argv[i], "mem-path=");
		s = strstr(argv[i], "size=");
		if (!p || !s)
			continue;
		ram_path = strndup(p + 9, strcspn(p + 9, ","));
		ram_size = strtoull(s + 5, &s, 0);
		if (*s == 'M')
			ram_size <<= 20;
		else if (*s == 'G')
			ram_size <<= 30;
		return ram_path && ram_size ? 0 : -1;
	}
	return -1;
}

static unsigned char *map_ram(void)
{
	volatile unsigned char sum = 0;
	unsigned char *m;
	size_t i;
	int fd = open(ram_path, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return NULL;
	m = mmap(NULL, ram_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (m == MAP_FAILED)
		return NULL;
	for (i = 0; i < ram_size; i += PAGE)
		sum += m[i];
	return m;
}

static void ack(const char *what, const char *cmd)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/ack", getenv("STANDIN_DIR"));
	f = fopen(path, "ae");
	if (!f)
		return;
	fprintf(f, "%s %s\n", what, cmd);
	fclose(f);
}

static int hexbyte(const char *s)
{
	unsigned int v;

	return sscanf(s, "%2x", &v) == 1 ? (int)v : -1;
}

static int do_write(const char *args)
{
	unsigned long long off;
	char hex[2 * MAX_W + 1];
	size_t i, n;
	int b;

	if (sscanf(args, "%llx %128s", &off, hex) != 2)
		return -1;
	n = strlen(hex) / 2;
	if (!n || n > MAX_W || off > ram_size || n > ram_size - off)
		return -1;
	memcpy(w_old, ram + off, n);
	w_off = off;
	w_len = n;
	for (i = 0; i < n; i++) {
		b = hexbyte(hex + 2 * i);
		if (b < 0)
			return -1;
		ram[off + i] = (unsigned char)b;
	}
	return 0;
}

static int do_touch(const char *args)
{
	unsigned long long off, n, i;

	if (sscanf(args, "%llx %llu", &off, &n) != 2 || off > ram_size ||
	    n > (ram_size - off) / PAGE)
		return -1;
	for (i = 0; i < n; i++) {
		volatile unsigned char *p = ram + off + i * PAGE;

		*p = *p;
	}
	return 0;
}

static int do_remap(void)
{
	unsigned char *m = map_ram();

	if (!m)
		return -1;
	munmap(ram, ram_size);
	ram = m;
	return 0;
}

static int command(char *line, char **argv)
{
	line[strcspn(line, "\n")] = '\0';
	switch (line[0]) {
	case 'w':
		return do_write(line + 1);
	case 'u':
		memcpy(ram + w_off, w_old, w_len);
		return 0;
	case 't':
		return do_touch(line + 1);
	case 'm':
		return do_remap();
	case 'x':
		ack("ok", line);
		execv("/proc/self/exe", argv);
		return -1;
	}
	return -1;
}

int main(int argc, char **argv)
{
	char path[512], line[256], pid[32];
	FILE *f;

	if (!getenv("STANDIN_DIR") || parse_args(argc, argv) < 0) {
		fprintf(stderr, "qemu stand-in: STANDIN_DIR and -object memory-backend-file,size=S,mem-path=P needed\n");
		return 2;
	}
	ram = map_ram();
	if (!ram) {
		fprintf(stderr, "qemu stand-in: %s: %s\n", ram_path, strerror(errno));
		return 1;
	}
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	ack("ready", pid);
	snprintf(path, sizeof(path), "%s/cmd", getenv("STANDIN_DIR"));
	for (;;) {
		f = fopen(path, "re");
		if (!f)
			return 1;
		while (fgets(line, sizeof(line), f)) {
			char cmd[sizeof(line)];

			snprintf(cmd, sizeof(cmd), "%s", line);
			cmd[strcspn(cmd, "\n")] = '\0';
			ack(command(line, argv) ? "error" : "ok", cmd);
		}
		fclose(f);
	}
}
