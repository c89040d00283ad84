// SPDX-License-Identifier: GPL-2.0
/*
 * lkmpr_uses_dep: calls lkmpr_provider_fn, exported by the module lkmpr_dep_provider (built
 * against that module's Module.symvers through KBUILD_EXTRA_SYMBOLS, so modpost records the
 * dependency "depends=lkmpr_dep_provider" and a __versions CRC for it). lkmpr_provider_fn must
 * stay undefined (exported by a module); the vmlinux symbols (_printk, jiffies) may be
 * preresolved. Not post-processed.
 */
#include <linux/module.h>
#include <linux/init.h>
#include <linux/jiffies.h>

extern int lkmpr_provider_fn(int x);

static int __init lkmpr_uses_dep_init(void)
{
	int r = lkmpr_provider_fn(1);

	pr_info("lkmpr_uses_dep: loaded (lkmpr_provider_fn(1) = %d, jiffies %lu)\n", r, jiffies);
	return 0;
}

static void __exit lkmpr_uses_dep_exit(void)
{
	pr_info("lkmpr_uses_dep: unloaded\n");
}

module_init(lkmpr_uses_dep_init);
module_exit(lkmpr_uses_dep_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("LKM Preresolver test: uses a symbol exported by another module");
