// SPDX-License-Identifier: GPL-2.0
/*
 * lkmpr_weak: two weak undefined references (STB_WEAK, SHN_UNDEF):
 *  - crc32_le: exported by vmlinux (EXPORT_SYMBOL, lib/crc32.c): may be preresolved;
 *  - lkmpr_nonexistent: exported by nothing: must stay undefined. The kernel resolves an
 *    unresolvable weak symbol to 0 and loads the module; modpost does not complain about it.
 * Not post-processed.
 */
#include <linux/module.h>
#include <linux/init.h>
#include <linux/types.h>

/* Declared here (not via <linux/crc32.h>) so that the references are weak. */
extern u32 crc32_le(u32 crc, unsigned char const *p, size_t len) __attribute__((weak));
extern int lkmpr_nonexistent(void) __attribute__((weak));

static const unsigned char lkmpr_weak_data[] = "lkmpr";

static int __init lkmpr_weak_init(void)
{
	u32 crc = 0;
	int other = -1;

	if (crc32_le)
		crc = crc32_le(~0U, lkmpr_weak_data, sizeof(lkmpr_weak_data) - 1);
	if (lkmpr_nonexistent)
		other = lkmpr_nonexistent();
	pr_info("lkmpr_weak: loaded (crc32_le %s, crc %08x; lkmpr_nonexistent %s, %d)\n",
		crc32_le ? "present" : "absent", crc,
		lkmpr_nonexistent ? "present" : "absent", other);
	return 0;
}

static void __exit lkmpr_weak_exit(void)
{
	pr_info("lkmpr_weak: unloaded\n");
}

module_init(lkmpr_weak_init);
module_exit(lkmpr_weak_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("LKM Preresolver test: weak undefined symbols");
