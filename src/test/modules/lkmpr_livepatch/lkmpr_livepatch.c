// SPDX-License-Identifier: GPL-2.0
/*
 * lkmpr_livepatch: a livepatch-style module (modinfo livepatch=Y) with one livepatch relocation,
 * the way klp-convert / kpatch-build would produce it (Debian ships neither, so
 * scripts/build-test-modules.sh makes it from this normal module; scripts/patch-test-module.py
 * livepatch):
 *  - the symbol ".klp.sym.vmlinux.saved_command_line,0" (undefined here; saved_command_line is
 *    not exported) gets st_shndx = SHN_LIVEPATCH (0xff20) and binding GLOBAL (it is declared weak
 *    below only so that modpost does not reject it as undefined);
 *  - its only relocation, in ".rela.lkmpr_klp", becomes the section ".klp.rela.vmlinux..lkmpr_klp"
 *    with the flag SHF_RELA_LIVEPATCH (0x00100000).
 * The kernel (6.1, kernel/module/main.c apply_relocations -> klp_apply_section_relocs) applies
 * .klp.rela.vmlinux.* sections at load time, resolving .klp.sym.vmlinux.NAME,POS through kallsyms;
 * every symbol they use must still be SHN_LIVEPATCH ("symbol ... is not marked as a livepatch
 * symbol" otherwise). simplify_symbols() leaves SHN_LIVEPATCH symbols alone.
 * init fails with -EINVAL if the livepatch relocation was not applied. The module does not call
 * klp_enable_patch(): it patches no function, so it loads and unloads like any other module
 * (with TAINT_LIVEPATCH).
 */
#include <linux/module.h>
#include <linux/init.h>
#include <linux/compiler.h>

/* The reference that becomes the SHN_LIVEPATCH symbol. */
extern char *lkmpr_klp_saved_command_line
	__asm__("\".klp.sym.vmlinux.saved_command_line,0\"") __attribute__((weak));

/*
 * The only contents of section .lkmpr_klp: a pointer relocated (R_X86_64_64) against that
 * symbol, so that .rela.lkmpr_klp holds the livepatch relocation and nothing else.
 * Global and read with READ_ONCE so that the compiler cannot fold it into .text.
 */
char **lkmpr_klp_ref __section(".lkmpr_klp") __used = &lkmpr_klp_saved_command_line;

static int __init lkmpr_livepatch_init(void)
{
	char **ref = READ_ONCE(lkmpr_klp_ref);
	char *cmdline = ref ? READ_ONCE(*ref) : NULL;

	if (!cmdline) {
		pr_err("lkmpr_livepatch: livepatch relocation not applied\n");
		return -EINVAL;
	}
	pr_info("lkmpr_livepatch: loaded (saved_command_line \"%.40s\")\n", cmdline);
	return 0;
}

static void __exit lkmpr_livepatch_exit(void)
{
	pr_info("lkmpr_livepatch: unloaded\n");
}

module_init(lkmpr_livepatch_init);
module_exit(lkmpr_livepatch_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("LKM Preresolver test: livepatch-style module with an SHN_LIVEPATCH symbol");
MODULE_INFO(livepatch, "Y");
