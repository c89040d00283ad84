// SPDX-License-Identifier: GPL-2.0
/*
 * lkmpr_vers_missing: __versions present, but without an entry for kstrtouint.
 *
 * scripts/build-test-modules.sh renames that entry after the build (scripts/patch-test-module.py
 * unversion: the 56-byte name "kstrtouint" -> "lkmpr_unversioned", in place), so no entry matches.
 * check_version() then says "lkmpr_vers_missing: no symbol version for kstrtouint". The upstream 6.1
 * source warns once per boot and accepts the symbol; Debian's 6.1.0-57 kernel refuses it at every
 * load ("Unknown symbol kstrtouint (err -22)", seen in QEMU). A preresolved kstrtouint is never
 * looked up, so the kernel would load the module without a word.
 */
#include <linux/module.h>
#include <linux/init.h>
#include <linux/kstrtox.h>

static int __init lkmpr_vers_missing_init(void)
{
	unsigned int v = 0;
	int err = kstrtouint("23", 10, &v);	/* EXPORT_SYMBOL, __versions entry removed */

	pr_info("lkmpr_vers_missing: loaded (kstrtouint = %d, %u)\n", err, v);
	return 0;
}

static void __exit lkmpr_vers_missing_exit(void)
{
	pr_info("lkmpr_vers_missing: unloaded\n");
}

module_init(lkmpr_vers_missing_init);
module_exit(lkmpr_vers_missing_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("LKM Preresolver test: a symbol without a __versions entry");
