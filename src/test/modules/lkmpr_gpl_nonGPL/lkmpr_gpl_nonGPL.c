// SPDX-License-Identifier: GPL-2.0
/*
 * lkmpr_gpl_nonGPL: a module whose licence is not GPL-compatible ("Proprietary") using a
 * GPL-only vmlinux export (ktime_get, EXPORT_SYMBOL_GPL, no namespace).
 *
 * modpost refuses to build such a module ("GPL-incompatible module ... uses GPL-only symbol"),
 * so it is built with the GPL-compatible licence below and scripts/build-test-modules.sh then
 * rewrites the .modinfo string in place (scripts/patch-test-module.py license):
 *   "license=Dual MIT/GPL\0"  ->  "license=Proprietary\0\0"   (same 21 bytes, no offset moves)
 * The kernel then refuses ktime_get to it (resolve_symbol: GPL-only symbol, non-GPL module:
 * "Unknown symbol ktime_get (err -2)"); _printk stays fine (EXPORT_SYMBOL).
 */
#include <linux/module.h>
#include <linux/init.h>
#include <linux/timekeeping.h>

static int __init lkmpr_gpl_nonGPL_init(void)
{
	ktime_t t = ktime_get();	/* EXPORT_SYMBOL_GPL */

	pr_info("lkmpr_gpl_nonGPL: loaded (ktime %lld)\n", (long long)t);
	return 0;
}

static void __exit lkmpr_gpl_nonGPL_exit(void)
{
	pr_info("lkmpr_gpl_nonGPL: unloaded\n");
}

module_init(lkmpr_gpl_nonGPL_init);
module_exit(lkmpr_gpl_nonGPL_exit);
/* Patched to "Proprietary" after the build; see above. Keep this exact string. */
MODULE_LICENSE("Dual MIT/GPL");
MODULE_DESCRIPTION("LKM Preresolver test: non-GPL module using a GPL-only symbol");
