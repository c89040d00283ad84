// SPDX-License-Identifier: GPL-2.0
/*
 * driverloader: a GPL module that the kernel treats as proprietary by its name alone
 * (6.1 check_module_license_and_versions(): "driverloader was caught wrongly pretending to be
 * under GPL", add_taint_module(mod, TAINT_PROPRIETARY_MODULE); newest module_license_offenders[]).
 * The taint is set before simplify_symbols(), so resolve_symbol() looks ktime_get
 * (EXPORT_SYMBOL_GPL) up with gplok false: "driverloader: Unknown symbol ktime_get (err -2)".
 * Not post-processed: modpost sees a GPL module.
 */
#include <linux/module.h>
#include <linux/init.h>
#include <linux/timekeeping.h>

static int __init driverloader_init(void)
{
	ktime_t t = ktime_get();	/* EXPORT_SYMBOL_GPL */

	pr_info("driverloader: loaded (ktime %lld)\n", (long long)t);
	return 0;
}

static void __exit driverloader_exit(void)
{
	pr_info("driverloader: unloaded\n");
}

module_init(driverloader_init);
module_exit(driverloader_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("LKM Preresolver test: GPL licence, proprietary by name");
