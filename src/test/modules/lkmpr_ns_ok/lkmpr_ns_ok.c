// SPDX-License-Identifier: GPL-2.0
/*
 * lkmpr_ns_ok: positive twin of lkmpr_ns_missing. Uses dma_buf_get (EXPORT_SYMBOL_GPL, namespace
 * DMA_BUF) and imports DMA_BUF properly: dma_buf_get may be preresolved. Not post-processed.
 */
#include <linux/module.h>
#include <linux/init.h>
#include <linux/err.h>
#include <linux/dma-buf.h>

static int __init lkmpr_ns_ok_init(void)
{
	/* fd -1 is never valid: dma_buf_get() returns ERR_PTR(-EBADF) and has no side effect */
	struct dma_buf *b = dma_buf_get(-1);

	pr_info("lkmpr_ns_ok: loaded (dma_buf_get(-1) = %d)\n", PTR_ERR_OR_ZERO(b));
	return 0;
}

static void __exit lkmpr_ns_ok_exit(void)
{
	pr_info("lkmpr_ns_ok: unloaded\n");
}

module_init(lkmpr_ns_ok_init);
module_exit(lkmpr_ns_ok_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("LKM Preresolver test: namespaced symbol with import_ns");
MODULE_IMPORT_NS(DMA_BUF);
