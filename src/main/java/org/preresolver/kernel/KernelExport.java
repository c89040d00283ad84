package org.preresolver.kernel;

/**
 * One symbol that vmlinux exports.
 *
 * @param name the symbol name
 * @param address its kernel virtual address (0 when the image stores no address, e.g. an entry
 *     filled only at boot); never preresolved when 0
 * @param gplOnly exported with {@code EXPORT_SYMBOL_GPL} (from {@code __ksymtab_gpl})
 * @param namespace the symbol namespace, "" for none
 * @param crc the modversions CRC, or null when the kernel has none
 * @param protectedSymbol marked protected in {@code ___kflagstab}: refused to unsigned modules
 */
public record KernelExport(String name, long address, boolean gplOnly, String namespace, Long crc,
        boolean protectedSymbol) {

    public KernelExport(String name, long address, boolean gplOnly, String namespace, Long crc) {
        this(name, address, gplOnly, namespace, crc, false);
    }

    /** {@code EXPORT_SYMBOL} or {@code EXPORT_SYMBOL_GPL}, as written in {@code Module.symvers}. */
    public String exportType() {
        return gplOnly ? "EXPORT_SYMBOL_GPL" : "EXPORT_SYMBOL";
    }

    public boolean hasNamespace() {
        return !namespace.isEmpty();
    }
}
