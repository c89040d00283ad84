package org.preresolver.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.preresolver.elf.FormatException;

/**
 * The System.map / kallsyms route gives an export only the address of a global symbol of its name.
 * Lines in the format of a real capture (Debian 6.1 arm64, no CONFIG_KALLSYMS_ALL: variables are
 * absent, static functions of the same name as an export are listed with a lower-case type).
 */
class SystemMapGlobalsTest {
    private static Map<String, Long> parse(String text) throws FormatException {
        return SymbolFiles.parseSystemMap(text.getBytes(StandardCharsets.ISO_8859_1));
    }

    @Test
    void aGlobalWinsOverALocalOfTheSameNameWhateverTheOrder() throws FormatException {
        Map<String, Long> m = parse("""
                ffff8000084c8a70 t user_destroy
                ffff8000084a2284 T user_destroy
                ffff8000084a21d0 T user_read
                ffff8000084ca864 t user_read
                """);
        assertThat(m).containsEntry("user_destroy", 0xffff8000084a2284L).containsEntry("user_read", 0xffff8000084a21d0L);
    }

    @Test
    void aNameListedOnlyAsLocalGetsNoAddress() throws FormatException {
        // Without KALLSYMS_ALL the exported variable is missing; a static function of its name is another symbol.
        Map<String, Long> m = parse("""
                ffff800008010000 T _text
                ffff800008123450 t __cpu_online_mask
                """);
        assertThat(m).containsOnlyKeys("_text");
    }

    @Test
    void aNameWithTwoDifferentGlobalAddressesGetsNone() throws FormatException {
        Map<String, Long> m = parse("""
                c0001000 T twice
                c0002000 T twice
                c0003000 T once
                c0003000 T once
                c0004000 u unique_global
                c0005000 W weak_global
                """);
        assertThat(m).containsOnlyKeys("once", "unique_global", "weak_global");
    }

    @Test
    void moduleLinesAreSkippedAndExportsWithoutAnAddressGetZero() throws FormatException {
        Map<String, Long> m = parse("""
                ffff800008093d80 T add_taint
                ffff800000b31000 T ext4_mount\t[ext4]
                """);
        assertThat(m).containsOnlyKeys("add_taint");
        KernelExports e = SymbolFiles.exports(List.of(
                new SymbolFiles.SymversEntry(0x1234, "add_taint", "vmlinux", false, ""),
                new SymbolFiles.SymversEntry(0x5678, "__cpu_online_mask", "vmlinux", false, ""),
                new SymbolFiles.SymversEntry(0x9abc, "jbd2_journal_start", "fs/jbd2/jbd2", false, "")),
                m, SymbolFiles.unknownIdentity("6.1.0-56-arm64"), "test");
        assertThat(e.size()).isEqualTo(2);
        assertThat(e.get("add_taint").address()).isEqualTo(0xffff800008093d80L);
        assertThat(e.get("__cpu_online_mask").address()).isZero();
        assertThat(e.get("jbd2_journal_start")).isNull();
    }

    @Test
    void debiansPlaceholderIsRefusedWithAHint() {
        assertThatThrownBy(() -> parse("ffffffffffffffff B The real System.map is in the linux-image-<version>-dbg "
                + "package\n")).isInstanceOf(FormatException.class).hasMessageContaining("line 1")
                .hasMessageContaining("placeholder");
        assertThatThrownBy(() -> parse("\n\n")).isInstanceOf(FormatException.class).hasMessageContaining("no symbols");
    }

    @Test
    void onlyLocalsGiveAnEmptyMap() throws FormatException {
        assertThat(parse("c0001000 t local_only\n")).isEmpty();
    }
}
