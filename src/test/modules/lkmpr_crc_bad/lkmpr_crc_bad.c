// SPDX-License-Identifier: GPL-2.0
/*
 * lkmpr_crc_bad: uses a few ordinary vmlinux exports (_printk, __kmalloc, kfree, jiffies).
 * scripts/build-test-modules.sh then inverts the CRC of the __kmalloc entry of __versions
 * (scripts/patch-test-module.py crc: crc ^= 0xffffffff, in place). The kernel then refuses it:
 * "lkmpr_crc_bad: disagrees about version of symbol __kmalloc" / "Unknown symbol __kmalloc (err -22)".
 * The other symbols keep their correct CRCs and may be preresolved.
 */
#include <linux/module.h>
#include <linux/init.h>
#include <linux/jiffies.h>
#include <linux/slab.h>

static int lkmpr_crc_bad_len = 16;
module_param(lkmpr_crc_bad_len, int, 0444);

static int __init lkmpr_crc_bad_init(void)
{
	void *p = __kmalloc(lkmpr_crc_bad_len, GFP_KERNEL);	/* the symbol whose CRC is broken */

	if (!p)
		return -ENOMEM;
	pr_info("lkmpr_crc_bad: loaded (jiffies %lu)\n", jiffies);
	kfree(p);
	return 0;
}

static void __exit lkmpr_crc_bad_exit(void)
{
	pr_info("lkmpr_crc_bad: unloaded\n");
}

module_init(lkmpr_crc_bad_init);
module_exit(lkmpr_crc_bad_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("LKM Preresolver test: a __versions CRC made to mismatch");
