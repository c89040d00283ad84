package org.preresolver.preresolve;

/** Why an undefined symbol was left {@code SHN_UNDEF}. Each is one check the kernel makes, or a fact. */
public enum Reason {
    /** Not in vmlinux's export table, but a module of the tree exports it: resolved at load time. */
    EXPORTED_BY_MODULE("exported by a module"),
    /** Not exported by vmlinux, nor by any module known to this run. */
    NOT_EXPORTED("not exported by vmlinux"),
    /** A weak reference to a symbol vmlinux does not export: the kernel resolves it to 0 or a module. */
    WEAK_NOT_EXPORTED("weak, not exported by vmlinux"),
    /** {@code EXPORT_SYMBOL_GPL} into a module whose licence is not GPL-compatible: the kernel refuses it. */
    GPL_ONLY("GPL-only export, module licence not GPL-compatible"),
    /** The export's namespace is not among the module's {@code import_ns=}: the kernel refuses it. */
    NAMESPACE_NOT_IMPORTED("namespace not imported"),
    /** The module's {@code __versions} CRC differs from the kernel's: "disagrees about version of symbol". */
    CRC_MISMATCH("modversions CRC mismatch"),
    /**
     * The kernel has a CRC but the module's {@code __versions} has no entry: "no symbol version for"
     * it, then refused (Debian's 6.1.0-57, seen in QEMU) or accepted (upstream 6.1 source: warned once).
     */
    NO_VERSION_ENTRY("no __versions entry, the kernel refuses it or warns"),
    /**
     * The kernel has CRCs but the module has no {@code __versions} at all: {@code try_to_force_load()}
     * for {@code module_layout} and every symbol, which taints the module F and warns once
     * ({@code CONFIG_MODULE_FORCE_LOAD=y}, Debian's choice) or refuses the module (ENOEXEC).
     */
    NO_VERSIONS("module has no __versions, the kernel force-loads it (taint F) or refuses it"),
    /** A protected export ({@code ___kflagstab}) and the output will be unsigned. */
    PROTECTED("protected export, module will be unsigned"),
    /**
     * A GPL-only export resolved before a symbol that another module provides: the kernel's
     * check against proprietary providers ({@code inherit_taint}) depends on it.
     */
    GPL_TAINT_GUARD("GPL-only export kept for the proprietary-provider check"),
    /**
     * No address: the image stores 0 (filled at boot from relocations), or the System.map or
     * captured kallsyms does not list the symbol as global. Never written.
     */
    ADDRESS_ZERO("no address (0 in the image, or not in the System.map)"),
    /** Names the loader and modpost ignore ({@code __this_module}, {@code _GLOBAL_OFFSET_TABLE_}, ...). */
    IGNORED_NAME("ignored by the loader"),
    /** {@code SHN_LIVEPATCH}, or referenced from a livepatch relocation section: left to livepatch. */
    LIVEPATCH("livepatch symbol"),
    /** An architecture's module loader needs the symbol undefined (e.g. ppc64 REL24 stubs). */
    ARCH_RULE("architecture loader rule"),
    /**
     * Anchor mode: the one image symbol kept undefined so that the loader places it after the
     * boot's KASLR slide; every other image symbol is rebased on it.
     */
    ANCHOR("the anchor, resolved by the loader"),
    /**
     * Anchor mode: the address lies in no range that the image's own sections (or System.map)
     * show to move with the image, nor in a zero-based per-CPU area: where it is after a KASLR
     * boot is unknown.
     */
    UNKNOWN_SLIDE("address not known to move with the image");

    private final String text;

    Reason(String text) {
        this.text = text;
    }

    /** Short human text, e.g. "namespace not imported". */
    public String text() {
        return text;
    }

    /** Stable lower-case key for JSON and CSV: {@code namespace-not-imported}. */
    public String key() {
        return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
    }
}
