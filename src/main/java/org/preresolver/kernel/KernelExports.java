package org.preresolver.kernel;

import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import org.preresolver.elf.Symbol;

/**
 * The exported-symbol table of one kernel: every symbol vmlinux exports, with the kernel's
 * identity and, when read from an ELF image, the table layout that was detected.
 */
public final class KernelExports {
    private final KernelIdentity identity;
    private final ExportLayout layout;
    private final List<KernelExport> exports;
    private final ExportNames byName;
    private final String source;
    private final ImageRanges ranges;

    public KernelExports(KernelIdentity identity, ExportLayout layout, List<KernelExport> exports, String source) {
        this(identity, layout, exports, source, null);
    }

    /**
     * @param exports the exports, in table order (sorted by name in v3.0+ kernels)
     * @param layout the detected layout, or null when the exports did not come from {@code __ksymtab}
     * @param source what they were read from, for messages ("vmlinuz-6.1.0-56-amd64 (xz payload)")
     * @param ranges which addresses move under KASLR, or null when unknown (anchor mode is then refused)
     */
    public KernelExports(KernelIdentity identity, ExportLayout layout, List<KernelExport> exports, String source,
            ImageRanges ranges) {
        this.identity = identity;
        this.layout = layout;
        this.exports = List.copyOf(exports);
        this.byName = new ExportNames(this.exports);
        this.source = source;
        this.ranges = ranges;
    }

    /** Which addresses move with the image under KASLR; empty when the source did not say. */
    public Optional<ImageRanges> ranges() {
        return Optional.ofNullable(ranges);
    }

    public KernelIdentity identity() {
        return identity;
    }

    public Optional<ExportLayout> layout() {
        return Optional.ofNullable(layout);
    }

    public List<KernelExport> all() {
        return exports;
    }

    /** The names exported, each once, in table order. */
    public Collection<String> names() {
        Collection<String> names = new LinkedHashSet<>();
        exports.forEach(e -> names.add(e.name()));
        return names;
    }

    public int size() {
        return exports.size();
    }

    /** The export with this name, or null. */
    public KernelExport get(String name) {
        return byName.get(name);
    }

    /**
     * The export with the name of module symbol {@code s}, or null: as {@link #get(String)}, read
     * from the module's string table without making the name.
     */
    public KernelExport get(Symbol s) {
        return get(s.stringTable(), s.nameStart());
    }

    /**
     * The export named by the NUL-terminated string at {@code at} in {@code strings} (which it ends
     * inside), or null; {@code at} negative: the empty name.
     */
    public KernelExport get(byte[] strings, int at) {
        return at < 0 ? byName.get("") : byName.get(strings, at);
    }

    public String source() {
        return source;
    }

    /** True if any export carries a modversions CRC. */
    public boolean hasCrcs() {
        return exports.stream().anyMatch(e -> e.crc() != null);
    }
}
