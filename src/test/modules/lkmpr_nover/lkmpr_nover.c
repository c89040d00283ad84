// SPDX-License-Identifier: GPL-2.0
/*
 * lkmpr_nover: a module without __versions (modversions kernel, module built without them).
 *
 * kbuild always writes __versions, so scripts/build-test-modules.sh renames the section after
 * the build (scripts/patch-test-module.py rename-section: "__versions" -> "__lkmpr_nv", same
 * length, in place). 6.1 check_modstruct_version() then finds no versions for module_layout and
 * calls try_to_force_load(): Debian's kernel has CONFIG_MODULE_FORCE_LOAD=y, so it warns
 * "lkmpr_nover: module_layout: kernel tainted." once, taints the module F and loads it; every
 * symbol then goes the same way (check_version(): no __versions -> try_to_force_load()).
 * Without CONFIG_MODULE_FORCE_LOAD the load fails with ENOEXEC.
 */
#include <linux/module.h>
#include <linux/init.h>
#include <linux/kstrtox.h>

static int __init lkmpr_nover_init(void)
{
	unsigned int v = 0;
	int err = kstrtouint("17", 10, &v);	/* EXPORT_SYMBOL */

	pr_info("lkmpr_nover: loaded (kstrtouint = %d, %u)\n", err, v);
	return 0;
}

static void __exit lkmpr_nover_exit(void)
{
	pr_info("lkmpr_nover: unloaded\n");
}

module_init(lkmpr_nover_init);
module_exit(lkmpr_nover_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("LKM Preresolver test: module without __versions");
