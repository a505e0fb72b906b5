// SPDX-License-Identifier: GPL-2.0
/*
 * pty-hold: what an ssh session does to the tty layer, the benign case of
 * tty-ldisc. Opens a pty pair (/dev/ptmx, unlocked, its slave opened:
 * both with N_TTY), writes a line into the master (the slave's N_TTY
 * receives it), prints the slave's path and keeps both open until
 * killed. Built static on the host (the test guest has only busybox).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(void)
{
	int master, slave;
	char *name;

	master = posix_openpt(O_RDWR | O_NOCTTY);
	if (master < 0 || grantpt(master) || unlockpt(master)) {
		perror("ptmx");
		return 1;
	}
	name = ptsname(master);
	slave = name ? open(name, O_RDWR | O_NOCTTY) : -1;
	if (slave < 0) {
		perror("pts");
		return 1;
	}
	if (write(master, "typed\n", 6) != 6) {
		perror("write");
		return 1;
	}
	printf("%s\n", name);
	fflush(stdout);
	for (;;)
		pause();
}
