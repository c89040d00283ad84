package org.preresolver.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.preresolver.qemu.Host;

/**
 * What the preresolver should do with a module, computed without the preresolver: an independent
 * oracle for expected counts and per-symbol decisions. Its only inputs are
 * <ul>
 *   <li>binutils' {@code readelf -W -s}: the module's undefined (global or weak) symbols, in symbol-table order;</li>
 *   <li>the kernel package's {@code Module.symvers}: name, CRC, owner ({@code vmlinux} or a module),
 *       export type (GPL-only or not), namespace;</li>
 *   <li>kmod's {@code modinfo -F license|import_ns}: the module's licence and imported namespaces
 *       (and the licence of each provider module found in the tree);</li>
 *   <li>kmod's {@code modprobe --dump-modversions}: the module's {@code __versions} CRCs.</li>
 * </ul>
 * The rules are the kernel's ({@code resolve_symbol()}, {@code inherit_taint()} in
 * kernel/module/main.c; docs/kernel-rules.md): a symbol is expected preresolved when vmlinux exports
 * it, its licence and namespace admit the module, and the module's {@code __versions} has its name
 * with the CRC Module.symvers gives. A symbol of a module outside the tree given is "not exported"
 * (the tool knows only vmlinux and that tree). A GPL-only symbol stays undefined when the module also
 * imports a symbol that may come from a module not known to be GPL-compatible, in either order
 * ({@code inherit_taint()} refuses both).
 * Module.symvers has no addresses, so an export whose address is 0 in the image is not seen here.
 */
public final class SymbolOracle {
    /** One line of Module.symvers. */
    public record Export(String name, long crc, String owner, boolean gplOnly, String namespace) {
        boolean vmlinux() {
            return owner.equals("vmlinux");
        }
    }

    /** Why a symbol stays undefined, in the oracle's own words. */
    public enum Why {
        IGNORED_NAME, NOT_EXPORTED, EXPORTED_BY_MODULE, GPL_ONLY, NAMESPACE, NO_VERSIONS, NO_VERSION_ENTRY, CRC_MISMATCH,
        PROPRIETARY_PROVIDER
    }

    /**
     * The oracle's verdict on one module.
     *
     * @param undefined the named undefined symbols, in symbol-table order
     * @param left      the ones expected to stay undefined, with why
     */
    public record Expected(List<String> undefined, Map<String, Why> left) {
        public int preresolved() {
            return undefined.size() - left.size();
        }

        /** The kbuild-style count the tool prints: {@code n/m}. */
        public String ratio() {
            return preresolved() + "/" + undefined.size();
        }

        public List<String> preresolvedNames() {
            return undefined.stream().filter(n -> !left.containsKey(n)).toList();
        }
    }

    /** {@code license_is_gpl_compatible()} in include/linux/license.h. */
    private static final Set<String> GPL_COMPATIBLE = Set.of("GPL", "GPL v2", "GPL and additional rights",
            "Dual BSD/GPL", "Dual MIT/GPL", "Dual MPL/GPL");

    /** Names the loader never looks up on x86 ({@code ignore_undef_symbol()} in scripts/mod/modpost.c). */
    private static final Set<String> IGNORED = Set.of("__this_module", "_GLOBAL_OFFSET_TABLE_", ".TOC.");

    private final Map<String, Export> exports;
    private final Map<String, Boolean> providerGpl = new HashMap<>();

    private SymbolOracle(Map<String, Export> exports) {
        this.exports = exports;
    }

    /** Reads a Module.symvers (tab-separated: crc, name, owner, export type, namespace). */
    public static SymbolOracle of(Path symvers) throws IOException {
        Map<String, Export> m = new HashMap<>();
        for (String l : Files.readAllLines(symvers, StandardCharsets.ISO_8859_1)) {
            if (l.isBlank()) {
                continue;
            }
            String[] f = l.split("\t", -1);
            if (f.length < 4) {
                throw new IOException(symvers + ": not a Module.symvers line: " + l);
            }
            m.put(f[1], new Export(f[1], Long.decode(f[0]), f[2], f[3].endsWith("_GPL"),
                    f.length > 4 ? f[4] : ""));
        }
        return new SymbolOracle(m);
    }

    /** The Module.symvers of an unpacked Debian kernel ({@code usr/src/linux-headers-R/Module.symvers}). */
    public static SymbolOracle ofKernel(Path root, String release) throws IOException {
        return of(root.resolve("usr/src/linux-headers-" + release + "/Module.symvers"));
    }

    public Export export(String name) {
        return exports.get(name);
    }

    /**
     * The oracle's verdict on {@code ko}.
     *
     * @param tree the tree the tool is given with it (provider modules are looked up there by name,
     *             as the tool knows only those); null: no provider is known
     */
    public Expected expect(Path ko, Path tree) throws IOException {
        List<String> undefined = undefinedSymbols(ko);
        String license = modinfo(ko, "license").stream().findFirst().orElse("");
        boolean gplOk = GPL_COMPATIBLE.contains(license);
        List<String> importNs = modinfo(ko, "import_ns");
        Map<String, Long> versions = modversions(ko);
        Map<String, Path> providers = tree == null ? Map.of() : modulesByName(tree);
        // A symbol vmlinux does not export comes from a module. Only modules in the tree are known;
        // one that is not, or is not GPL-compatible, may be proprietary: inherit_taint().
        boolean unsafeProvider = false;
        for (String n : undefined) {
            Export e = exports.get(n);
            if (!IGNORED.contains(n) && (e == null || !e.vmlinux()) && !providerIsGpl(e, providers)) {
                unsafeProvider = true;
            }
        }
        Map<String, Why> left = new LinkedHashMap<>();
        for (String n : undefined) {
            Export e = exports.get(n);
            Why why;
            if (IGNORED.contains(n)) {
                why = Why.IGNORED_NAME;
            } else if (e != null && !e.vmlinux()) {
                why = providers.containsKey(providerName(e)) ? Why.EXPORTED_BY_MODULE : Why.NOT_EXPORTED;
            } else if (e == null) {
                why = Why.NOT_EXPORTED;
            } else if (e.gplOnly() && !gplOk) {
                why = Why.GPL_ONLY;
            } else if (!e.namespace().isEmpty() && !importNs.contains(e.namespace())) {
                why = Why.NAMESPACE;
            } else if (versions.isEmpty()) {
                why = Why.NO_VERSIONS;
            } else if (!versions.containsKey(n)) {
                why = Why.NO_VERSION_ENTRY;
            } else if (versions.get(n) != e.crc()) {
                why = Why.CRC_MISMATCH;
            } else if (e.gplOnly() && unsafeProvider) {
                why = Why.PROPRIETARY_PROVIDER;
            } else {
                continue;
            }
            left.put(n, why);
        }
        return new Expected(undefined, left);
    }

    private static String providerName(Export e) {
        return normalize(e.owner().substring(e.owner().lastIndexOf('/') + 1));
    }

    private boolean providerIsGpl(Export e, Map<String, Path> providers) throws IOException {
        Path p = e == null ? null : providers.get(providerName(e));
        if (p == null) {
            return false;
        }
        Boolean b = providerGpl.get(p.toString());
        if (b == null) {
            b = GPL_COMPATIBLE.contains(modinfo(p, "license").stream().findFirst().orElse(""));
            providerGpl.put(p.toString(), b);
        }
        return b;
    }

    private static String normalize(String moduleName) {
        return moduleName.replace('-', '_');
    }

    private static Map<String, Path> modulesByName(Path tree) throws IOException {
        Map<String, Path> m = new HashMap<>();
        try (Stream<Path> s = Files.walk(tree)) {
            s.filter(p -> p.getFileName().toString().endsWith(".ko")).forEach(p -> {
                String f = p.getFileName().toString();
                m.put(normalize(f.substring(0, f.length() - 3)), p);
            });
        }
        return m;
    }

    /** {@code readelf -W -s}: named SHN_UNDEF symbols bound GLOBAL or WEAK, in table order. */
    public static List<String> undefinedSymbols(Path ko) throws IOException {
        String out = Host.run(Duration.ofMinutes(2), null, "readelf", "-W", "-s", ko.toString()).output();
        List<String> names = new ArrayList<>();
        boolean symtab = false;
        for (String l : out.split("\n")) {
            if (l.startsWith("Symbol table ")) {
                symtab = l.contains("'.symtab'");
                continue;
            }
            String[] f = l.strip().split("\\s+");
            // Num: Value Size Type Bind Vis Ndx Name
            if (symtab && f.length == 8 && f[0].endsWith(":") && f[6].equals("UND")
                    && (f[4].equals("GLOBAL") || f[4].equals("WEAK"))) {
                names.add(f[7]);
            }
        }
        return names;
    }

    /** {@code modinfo -F KEY}: every value of that key. */
    public static List<String> modinfo(Path ko, String key) throws IOException {
        String out = Host.run(Duration.ofMinutes(1), null, Host.tool("modinfo"), "-F", key, ko.toString()).output();
        return out.lines().map(String::strip).filter(s -> !s.isEmpty()).toList();
    }

    /** {@code modprobe --dump-modversions}: name to CRC from {@code __versions} (empty when it has none). */
    public static Map<String, Long> modversions(Path ko) throws IOException {
        Host.Result r = Host.runAllowingFailure(Duration.ofMinutes(1), null, Host.tool("modprobe"),
                "--dump-modversions", ko.toString());
        Map<String, Long> m = new HashMap<>();
        if (r.exitCode() != 0) {
            return m; // kmod: "could not get modversions" (no __versions section)
        }
        for (String l : r.output().split("\n")) {
            String[] f = l.strip().split("\t");
            if (f.length == 2 && f[0].startsWith("0x")) {
                m.put(f[1], Long.decode(f[0]));
            }
        }
        return m;
    }
}
