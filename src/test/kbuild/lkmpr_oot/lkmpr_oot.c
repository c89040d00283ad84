// SPDX-License-Identifier: GPL-2.0
/*
 * An out-of-tree module for the build-integration test: built with kbuild against Debian's
 * headers, then preresolved by scripts/kbuild/preresolve.mk. It uses a few vmlinux exports
 * (preresolved) and crc32c from the libcrc32c module (left undefined: not in vmlinux).
 */
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/crc32c.h>

static int __init lkmpr_oot_init(void)
{
	char *buf = kmalloc(16, GFP_KERNEL);

	if (!buf)
		return -ENOMEM;
	memset(buf, 0x5a, 16);
	pr_info("lkmpr_oot: crc32c %08x\n", crc32c(0, buf, 16));
	kfree(buf);
	return 0;
}

static void __exit lkmpr_oot_exit(void)
{
	pr_info("lkmpr_oot: bye\n");
}

module_init(lkmpr_oot_init);
module_exit(lkmpr_oot_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("LKM Preresolver out-of-tree build test");
