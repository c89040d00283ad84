package org.preresolver.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The edge cases of {@link ExportNames} that no Debian kernel has (real kernels:
 * {@code DebianExportsTest.lookupsFromTheStringTableFindWhatModuleSymversLists}): names whose
 * {@code String} hashes collide, a name given twice, a name with a character above U+00FF, and
 * a table grown past many collisions. The reference is a {@code HashMap} filled first-wins.
 */
class ExportNamesTest {
    private static KernelExport export(String name, long address) {
        return new KernelExport(name, address, false, "", null);
    }

    /** {@code name} as a NUL-terminated string at offset 3 of a string table. */
    private static byte[] table(String name) {
        byte[] b = name.getBytes(StandardCharsets.ISO_8859_1);
        byte[] t = new byte[3 + b.length + 1 + 2];
        System.arraycopy(b, 0, t, 3, b.length);
        return t;
    }

    @Test
    void collidingHashesDuplicatesAndWideNamesAreFoundAsAMapFindsThem() {
        assertThat("Aa".hashCode()).isEqualTo("BB".hashCode());
        List<KernelExport> all = new ArrayList<>(List.of(export("Aa", 1), export("BB", 2), export("AaBB", 3),
                export("BBAa", 4), export("Aa", 5), export("caf\u00e9", 6), export("\u0101wide", 7), export("", 8)));
        for (int i = 0; i < 5000; i++) {
            all.add(export("sym_" + i, 100 + i));
        }
        Map<String, KernelExport> ref = new HashMap<>();
        all.forEach(e -> ref.putIfAbsent(e.name(), e));
        ExportNames names = new ExportNames(all);
        for (String n : ref.keySet()) {
            assertThat(names.get(n)).as("by String: %s", n).isSameAs(ref.get(n));
            if (n.chars().allMatch(c -> c <= 0xff)) {
                assertThat(names.get(table(n), 3)).as("by bytes: %s", n).isSameAs(ref.get(n));
            }
        }
        assertThat(names.get("Aa").address()).as("the first of a name wins").isEqualTo(1);
        for (String n : List.of("aA", "Ab", "BBB", "sym_5000", "sym_", "caf", "\u0101wid", "\u0101wide2")) {
            assertThat(names.get(n)).as("by String: %s", n).isNull();
        }
        for (String n : List.of("aA", "Ab", "BBB", "sym_5000", "sym_", "caf", "caf\u00e9\u00e9")) {
            assertThat(names.get(table(n), 3)).as("by bytes: %s", n).isNull();
        }
        // A prefix of a longer name in the table: only up to the NUL counts.
        byte[] t = table("sym_12");
        assertThat(names.get(t, 3).address()).isEqualTo(112);
        assertThat(names.get(t, 4)).as("ym_12").isNull();
    }

    @Test
    void anEmptyListFindsNothing() {
        ExportNames names = new ExportNames(List.of());
        assertThat(names.get("x")).isNull();
        assertThat(names.get(table("x"), 3)).isNull();
        assertThat(names.get(table(""), 3)).isNull();
    }
}
