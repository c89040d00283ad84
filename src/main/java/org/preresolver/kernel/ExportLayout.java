package org.preresolver.kernel;

/**
 * How a vmlinux stores {@code struct kernel_symbol} and its CRCs, as detected from section sizes
 * and contents (never from a version string).
 *
 * @param prel32 fields are 32-bit offsets relative to the field ({@code CONFIG_HAVE_ARCH_PREL32_RELOCATIONS})
 * @param hasNamespace entries have a third field, the namespace
 * @param entrySize bytes per {@code __ksymtab} entry
 * @param crcSize bytes per {@code __kcrctab} entry, 0 when there are no CRCs
 */
public record ExportLayout(boolean prel32, boolean hasNamespace, int entrySize, int crcSize) {

    public String describe() {
        return entrySize + "-byte " + (prel32 ? "PREL32" : "absolute") + " entries"
                + (hasNamespace ? " with namespace" : " without namespace")
                + (crcSize == 0 ? ", no CRCs" : ", " + crcSize + "-byte CRCs");
    }
}
