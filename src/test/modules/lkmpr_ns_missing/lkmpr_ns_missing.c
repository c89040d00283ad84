// SPDX-License-Identifier: GPL-2.0
/*
 * lkmpr_ns_missing: uses a namespaced vmlinux export (dma_buf_get, EXPORT_SYMBOL_GPL in namespace
 * DMA_BUF) without importing DMA_BUF.
 *
 * modpost refuses to build that ("module ... uses symbol dma_buf_get from namespace DMA_BUF, but
 * does not import it"), so the module imports DMA_BUF here and scripts/build-test-modules.sh then
 * rewrites the .modinfo string in place (scripts/patch-test-module.py import-ns):
 *   "import_ns=DMA_BUF"  ->  "import_ns=LKMPRNS"   (same length; LKMPRNS is exported by nothing)
 * So the module still has an import_ns= entry, just not the right one. The kernel then refuses it:
 * "lkmpr_ns_missing: module uses symbol (dma_buf_get) from namespace DMA_BUF, but does not import it."
 * (CONFIG_MODULE_ALLOW_MISSING_NAMESPACE_IMPORTS is not set in Debian's kernel).
 */
#include <linux/module.h>
#include <linux/init.h>
#include <linux/err.h>
#include <linux/dma-buf.h>

static int __init lkmpr_ns_missing_init(void)
{
	/* fd -1 is never valid: dma_buf_get() returns ERR_PTR(-EBADF) and has no side effect */
	struct dma_buf *b = dma_buf_get(-1);

	pr_info("lkmpr_ns_missing: loaded (dma_buf_get(-1) = %d)\n", PTR_ERR_OR_ZERO(b));
	return 0;
}

static void __exit lkmpr_ns_missing_exit(void)
{
	pr_info("lkmpr_ns_missing: unloaded\n");
}

module_init(lkmpr_ns_missing_init);
module_exit(lkmpr_ns_missing_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("LKM Preresolver test: namespaced symbol without import_ns");
/* Patched to import_ns=LKMPRNS after the build; see above. Keep this exact namespace. */
MODULE_IMPORT_NS(DMA_BUF);
