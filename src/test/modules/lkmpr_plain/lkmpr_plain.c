// SPDX-License-Identifier: GPL-2.0
/*
 * lkmpr_plain: positive control for the preresolver's safety rules.
 * A GPL module that uses only ordinary vmlinux exports (no namespace, GPL and non-GPL ones):
 * every undefined symbol except __this_module must be preresolved.
 */
#include <linux/module.h>
#include <linux/init.h>
#include <linux/jiffies.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/timekeeping.h>

static int lkmpr_plain_len = 32;
module_param(lkmpr_plain_len, int, 0444);

static int __init lkmpr_plain_init(void)
{
	/* __kmalloc (EXPORT_SYMBOL): the size is not a compile-time constant, so kmalloc() calls it */
	char *buf = __kmalloc(lkmpr_plain_len, GFP_KERNEL);
	ktime_t t = ktime_get();			/* EXPORT_SYMBOL_GPL */

	if (!buf)
		return -ENOMEM;
	strscpy(buf, "lkmpr", lkmpr_plain_len);		/* EXPORT_SYMBOL */
	/* _printk, jiffies (EXPORT_SYMBOL) */
	pr_info("lkmpr_plain: loaded (%s, jiffies %lu, ktime %lld)\n", buf, jiffies, (long long)t);
	kfree(buf);					/* EXPORT_SYMBOL */
	return 0;
}

static void __exit lkmpr_plain_exit(void)
{
	pr_info("lkmpr_plain: unloaded\n");
}

module_init(lkmpr_plain_init);
module_exit(lkmpr_plain_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("LKM Preresolver test: plain module, fully preresolvable");
