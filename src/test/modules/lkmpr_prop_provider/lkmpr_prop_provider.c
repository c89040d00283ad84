// SPDX-License-Identifier: GPL-2.0
/*
 * lkmpr_prop_provider: a module with licence "Proprietary" that exports lkmpr_prop_fn
 * (EXPORT_SYMBOL) for lkmpr_taint_gpl_first and lkmpr_taint_prop_first. The kernel taints it
 * TAINT_PROPRIETARY_MODULE (set_license()); its own imports are ordinary vmlinux exports, so it
 * loads. Not post-processed (modpost accepts a non-GPL module that uses no GPL-only symbol).
 */
#include <linux/module.h>
#include <linux/init.h>
#include <linux/export.h>

int lkmpr_prop_fn(int x)
{
	return x * 2;
}
EXPORT_SYMBOL(lkmpr_prop_fn);

static int __init lkmpr_prop_provider_init(void)
{
	pr_info("lkmpr_prop_provider: loaded\n");
	return 0;
}

static void __exit lkmpr_prop_provider_exit(void)
{
	pr_info("lkmpr_prop_provider: unloaded\n");
}

module_init(lkmpr_prop_provider_init);
module_exit(lkmpr_prop_provider_exit);
MODULE_LICENSE("Proprietary");
MODULE_DESCRIPTION("LKM Preresolver test: proprietary module exporting a symbol");
