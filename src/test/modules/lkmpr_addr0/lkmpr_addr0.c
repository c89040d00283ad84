// SPDX-License-Identifier: GPL-2.0
/*
 * lkmpr_addr0: uses fixed_percpu_data, the one export of Debian's 6.1 amd64 vmlinux whose
 * __ksymtab_gpl entry gives address 0 (EXPORT_PER_CPU_SYMBOL_GPL in arch/x86/kernel/cpu/common.c;
 * it is the first per-CPU variable, and the SMP per-CPU area is zero-based on x86_64).
 *
 * The kernel resolves it to 0 like any other export (kernel_symbol_value()), and the module
 * loads. The preresolver never writes an address 0 (it cannot tell it from "no address"), so it
 * stays undefined and the kernel resolves it as before. The module prints the address it got.
 */
#include <linux/module.h>
#include <linux/init.h>
#include <asm/processor.h>

static int __init lkmpr_addr0_init(void)
{
	pr_info("lkmpr_addr0: loaded (&fixed_percpu_data %lx)\n", (unsigned long)&fixed_percpu_data);
	return 0;
}

static void __exit lkmpr_addr0_exit(void)
{
	pr_info("lkmpr_addr0: unloaded\n");
}

module_init(lkmpr_addr0_init);
module_exit(lkmpr_addr0_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("LKM Preresolver test: an export at address 0");
