// SPDX-License-Identifier: GPL-2.0
/*
 * vmiaas_attack_kprobeslot: a kprobe's out-of-line instruction copy
 * rewritten, for the integrity tests. When a kprobe's int3 is hit, the
 * kernel runs the probe's handlers and then the copy of the probed
 * instruction in its slot (ainsn.insn, a kprobe_insn_slots page: module
 * memory, read-only and executable, not measured), followed by an int3
 * that resumes after the probed instruction.
 *
 * The module registers a kprobe of its own in @target (a kernel function,
 * from /proc/kallsyms), on the first instruction of its straight-line
 * start that the kernel copies as is and that is at least 5 bytes long
 * (the probes it tries on the way tell it the instructions' lengths and
 * which are branches). The probe is registered with a post_handler so
 * that the kernel neither optimizes nor boosts it; the handler is then
 * cleared, and the probe has no handler at all: nothing outside the
 * kernel's text is named by its record. The slot's page is made writable
 * with the kernel's own set_memory_nx(), set_memory_rw() (then back with
 * set_memory_ro(), set_memory_x(); not exported: @setnx, @setrw, @setro,
 * @setx from /proc/kallsyms) while the probe is disabled, and the slot
 * now jumps to a stub in the free end of the same page: it counts the
 * hit in @hits, runs the probed instruction and jumps back to the int3
 * after the copy. Every call of @target runs code of this module's
 * choosing, while the text holds only a registered probe's int3.
 * Unloading restores the slot and the page's end and removes the probe.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/kprobes.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/string.h>

#define SCAN_MAX	256	/* bytes of @target tried */
#define STUB_SIZE	32	/* at the end of the slot's page */
#define JMP_LEN		5

static unsigned long target, setnx, setrw, setro, setx;
module_param(target, ulong, 0444);
MODULE_PARM_DESC(target, "a kernel function to probe (from /proc/kallsyms)");
module_param(setnx, ulong, 0444);
MODULE_PARM_DESC(setnx, "address of set_memory_nx");
module_param(setrw, ulong, 0444);
MODULE_PARM_DESC(setrw, "address of set_memory_rw");
module_param(setro, ulong, 0444);
MODULE_PARM_DESC(setro, "address of set_memory_ro");
module_param(setx, ulong, 0444);
MODULE_PARM_DESC(setx, "address of set_memory_x");

static unsigned long hits;
module_param(hits, ulong, 0444);
MODULE_PARM_DESC(hits, "probe hits that ran this module's stub");

static unsigned long probed;
module_param(probed, ulong, 0444);
MODULE_PARM_DESC(probed, "the probed address");

typedef int (*set_memory_fn)(unsigned long addr, int numpages);

static struct kprobe kp;
static u8 saved_slot[JMP_LEN], saved_stub[STUB_SIZE];
static u8 *stub;

static void vmiaas_attack_kprobeslot_post(struct kprobe *p,
					  struct pt_regs *regs,
					  unsigned long flags)
{
}

static bool rel32(const void *from_end, const void *to, s32 *ret)
{
	long rel = (long)to - (long)from_end;

	*ret = rel;
	return rel == *ret;
}

/*
 * Registers kp at @target + @off; 0 if it is a plain probe on a copied
 * instruction, else its instruction's length (*@branch: it is a branch
 * other than a call) or a negative error, the probe removed.
 */
static int try_probe(unsigned long off, bool *branch)
{
	int err, len;

	memset(&kp, 0, sizeof(kp));
	kp.addr = (kprobe_opcode_t *)(target + off);
	kp.post_handler = vmiaas_attack_kprobeslot_post;
	err = register_kprobe(&kp);
	if (err)
		return err;
	len = kp.ainsn.size;
	*branch = kp.ainsn.emulate_op && kp.opcode != 0xe8;
	if (!(kp.flags & (KPROBE_FLAG_FTRACE | KPROBE_FLAG_OPTIMIZED)) &&
	    !kp.ainsn.emulate_op && len >= JMP_LEN &&
	    !memcmp(kp.ainsn.insn + 1, (u8 *)kp.addr + 1, len - 1))
		return 0;
	unregister_kprobe(&kp);
	return len ? len : -EINVAL;
}

/* The first suitable instruction of @target's straight-line start. */
static int find_probe(void)
{
	unsigned long off = 1;
	bool branch = false;
	int ret;

	while (off < SCAN_MAX) {
		ret = try_probe(off, &branch);
		if (!ret)
			return 0;
		if (branch)
			break;
		off += ret > 0 ? ret : 1;
	}
	return -ENOENT;
}

/* Writes @len bytes at @dst in the slot page, with the kernel's APIs. */
static int page_write(void *dst, const void *src, size_t len)
{
	unsigned long page = (unsigned long)kp.ainsn.insn & PAGE_MASK;
	int err;

	err = ((set_memory_fn)setnx)(page, 1);
	err = err ?: ((set_memory_fn)setrw)(page, 1);
	if (!err)
		memcpy(dst, src, len);
	err = ((set_memory_fn)setro)(page, 1) ?: err;
	return ((set_memory_fn)setx)(page, 1) ?: err;
}

/* pushfq; lock incq hits(%rip); popfq; the probed instruction; jmp back */
static int stub_build(u8 *buf, u8 *at)
{
	u8 *slot = kp.ainsn.insn, *p = buf;
	int len = kp.ainsn.size;
	s32 rel;

	*p++ = 0x9c;
	memcpy(p, "\xf0\x48\xff\x05", 4);
	if (!rel32(at + (p - buf) + 8, &hits, &rel))
		return -ERANGE;
	memcpy(p + 4, &rel, 4);
	p += 8;
	*p++ = 0x9d;
	memcpy(p, slot, len);
	p += len;
	*p = 0xe9;
	if (!rel32(at + (p - buf) + JMP_LEN, slot + len, &rel))
		return -ERANGE;
	memcpy(p + 1, &rel, 4);
	return 0;
}

static int __init vmiaas_attack_kprobeslot_init(void)
{
	u8 code[STUB_SIZE], jmp[JMP_LEN];
	s32 rel;
	int err;

	if (!target || !setnx || !setrw || !setro || !setx)
		return -EINVAL;
	err = find_probe();
	if (err) {
		pr_err("no instruction to probe in %pS\n", (void *)target);
		return err;
	}
	WRITE_ONCE(kp.post_handler, NULL);	/* no handler left to see */
	probed = (unsigned long)kp.addr;
	stub = (u8 *)(((unsigned long)kp.ainsn.insn & PAGE_MASK) +
		      PAGE_SIZE - STUB_SIZE);
	memset(code, 0xcc, sizeof(code));
	err = stub_build(code, stub);
	jmp[0] = 0xe9;
	if (!err && !rel32(kp.ainsn.insn + JMP_LEN, stub, &rel))
		err = -ERANGE;
	if (err || stub < kp.ainsn.insn + MAX_INSN_SIZE) {
		unregister_kprobe(&kp);
		return err ?: -ENOSPC;
	}
	memcpy(jmp + 1, &rel, 4);
	memcpy(saved_stub, stub, STUB_SIZE);
	memcpy(saved_slot, kp.ainsn.insn, JMP_LEN);
	disable_kprobe(&kp);
	err = page_write(stub, code, STUB_SIZE);
	err = err ?: page_write(kp.ainsn.insn, jmp, JMP_LEN);
	enable_kprobe(&kp);
	if (err) {
		pr_err("set_memory: %d\n", err);
		return err;	/* the probe stays: the slot may be rewritten */
	}
	pr_info("the kprobe at %pS (slot 0x%lx) now runs this module's stub\n",
		kp.addr, (unsigned long)kp.ainsn.insn);
	return 0;
}

static void __exit vmiaas_attack_kprobeslot_exit(void)
{
	disable_kprobe(&kp);
	page_write(kp.ainsn.insn, saved_slot, JMP_LEN);
	page_write(stub, saved_stub, STUB_SIZE);
	unregister_kprobe(&kp);
	pr_info("the kprobe at %pS removed, its slot restored\n", kp.addr);
}

module_init(vmiaas_attack_kprobeslot_init);
module_exit(vmiaas_attack_kprobeslot_exit);

MODULE_DESCRIPTION("vmiaas attack corpus: a kprobe's instruction slot rewritten");
MODULE_AUTHOR("vmiaas developers");
MODULE_LICENSE("GPL");
