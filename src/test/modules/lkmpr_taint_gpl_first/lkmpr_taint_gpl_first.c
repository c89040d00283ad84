// SPDX-License-Identifier: GPL-2.0
/*
 * lkmpr_taint_gpl_first: a GPL module using ktime_get (EXPORT_SYMBOL_GPL of vmlinux) and lkmpr_prop_fn
 * (exported by the proprietary lkmpr_prop_provider), ktime_get first in .symtab.
 *
 * simplify_symbols() resolves in .symtab order, and inherit_taint() (6.1 kernel/module/main.c)
 * refuses the module either way:
 *   ktime_get first: using_gplonly_symbols is set, then lkmpr_prop_fn is refused, "module using
 *     GPL-only symbols uses symbols lkmpr_prop_fn from proprietary module lkmpr_prop_provider."
 *     and "Unknown symbol lkmpr_prop_fn (err -2)";
 *   lkmpr_prop_fn first: the module inherits TAINT_PROPRIETARY_MODULE ("module uses symbols
 *     lkmpr_prop_fn from proprietary module lkmpr_prop_provider, inheriting taint."), so the
 *     later GPL-only lookup fails: "Unknown symbol ktime_get (err -2)".
 * A preresolved ktime_get is never looked up, and the kernel would load the module in both cases.
 * The order is made certain after the build (scripts/patch-test-module.py symorder) and checked
 * with readelf by SafetyRulesBootTest. Built against lkmpr_prop_provider's Module.symvers.
 */
#include <linux/module.h>
#include <linux/init.h>
#include <linux/timekeeping.h>

int lkmpr_prop_fn(int x);

static int __init lkmpr_taint_gpl_first_init(void)
{
	ktime_t t = ktime_get();	/* EXPORT_SYMBOL_GPL */
	int v = lkmpr_prop_fn(21);	/* proprietary module */

	pr_info("lkmpr_taint_gpl_first: loaded (ktime %lld, lkmpr_prop_fn(21) = %d)\n", (long long)t, v);
	return 0;
}

static void __exit lkmpr_taint_gpl_first_exit(void)
{
	pr_info("lkmpr_taint_gpl_first: unloaded\n");
}

module_init(lkmpr_taint_gpl_first_init);
module_exit(lkmpr_taint_gpl_first_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("LKM Preresolver test: GPL-only export and a proprietary provider, ktime_get first");
