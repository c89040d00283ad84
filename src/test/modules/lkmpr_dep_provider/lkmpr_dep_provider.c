// SPDX-License-Identifier: GPL-2.0
/*
 * lkmpr_dep_provider: exports lkmpr_provider_fn (EXPORT_SYMBOL) for lkmpr_uses_dep.
 * Its own undefined symbols are ordinary vmlinux exports. Not post-processed.
 */
#include <linux/module.h>
#include <linux/init.h>
#include <linux/export.h>

int lkmpr_provider_fn(int x)
{
	pr_info("lkmpr_dep_provider: lkmpr_provider_fn(%d)\n", x);
	return x + 42;
}
EXPORT_SYMBOL(lkmpr_provider_fn);

static int __init lkmpr_dep_provider_init(void)
{
	pr_info("lkmpr_dep_provider: loaded\n");
	return 0;
}

static void __exit lkmpr_dep_provider_exit(void)
{
	pr_info("lkmpr_dep_provider: unloaded\n");
}

module_init(lkmpr_dep_provider_init);
module_exit(lkmpr_dep_provider_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("LKM Preresolver test: provides a symbol to another module");
