package org.preresolver.kernel;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * A module's {@code .modinfo}: NUL-separated {@code key=value} strings. Keys may repeat
 * ({@code import_ns}, {@code alias}).
 */
public final class ModInfo {
    /** {@code license_is_gpl_compatible()} in include/linux/license.h. */
    private static final Set<String> GPL_COMPATIBLE = Set.of("GPL", "GPL v2", "GPL and additional rights",
            "Dual BSD/GPL", "Dual MIT/GPL", "Dual MPL/GPL");

    private final List<String[]> entries;

    private ModInfo(List<String[]> entries) {
        this.entries = Collections.unmodifiableList(entries);
    }

    public static ModInfo empty() {
        return new ModInfo(List.of());
    }

    public static ModInfo parse(byte[] section) {
        List<String[]> out = new ArrayList<>();
        int i = 0;
        while (i < section.length) {
            int e = i;
            while (e < section.length && section[e] != 0) {
                e++;
            }
            if (e > i) {
                String s = new String(section, i, e - i, StandardCharsets.ISO_8859_1);
                int eq = s.indexOf('=');
                if (eq > 0) {
                    out.add(new String[] {s.substring(0, eq), s.substring(eq + 1)});
                }
            }
            i = e + 1;
        }
        return new ModInfo(out);
    }

    /** The first value for {@code key}. */
    public Optional<String> get(String key) {
        for (String[] kv : entries) {
            if (kv[0].equals(key)) {
                return Optional.of(kv[1]);
            }
        }
        return Optional.empty();
    }

    public List<String> getAll(String key) {
        List<String> out = new ArrayList<>();
        for (String[] kv : entries) {
            if (kv[0].equals(key)) {
                out.add(kv[1]);
            }
        }
        return out;
    }

    /** The {@code license=} value, "" when absent. */
    public String license() {
        return get("license").orElse("");
    }

    /** {@code license_is_gpl_compatible()}: the kernel's exact list. */
    public boolean isGplCompatible() {
        return GPL_COMPATIBLE.contains(license());
    }

    /** Namespaces named by {@code import_ns=} entries. */
    public List<String> importedNamespaces() {
        return getAll("import_ns");
    }

    /** The release in {@code vermagic=}: its first word, "" when absent. */
    public String vermagicRelease() {
        String v = get("vermagic").orElse("").strip();
        int sp = v.indexOf(' ');
        return sp < 0 ? v : v.substring(0, sp);
    }

    /** Module names from {@code depends=}, in order. */
    public List<String> depends() {
        String d = get("depends").orElse("");
        List<String> out = new ArrayList<>();
        for (String s : d.split(",")) {
            if (!s.isBlank()) {
                out.add(s.strip());
            }
        }
        return out;
    }

    /** {@code livepatch=Y}: the module is a livepatch. */
    public boolean isLivepatch() {
        return "Y".equals(get("livepatch").orElse(""));
    }
}
