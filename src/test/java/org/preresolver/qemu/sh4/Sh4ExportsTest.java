package org.preresolver.qemu.sh4;

import static org.assertj.core.api.Assertions.assertThat;
import static org.preresolver.testing.CliRun.cli;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.preresolver.testing.CliRun;

/**
 * The SH-4 kit's vmlinux (ELF32 little-endian, EM_SH, 12-byte absolute {@code __ksymtab} entries
 * {@code {value, name, namespace}}): {@code exports -k vmlinux} must say exactly what the build's
 * Module.symvers says about vmlinux (name, CRC, export type, namespace), and give System.map's address.
 * The tables are also decoded here without the tool (section headers from readelf, entries as three
 * little-endian u32), so that a tool that misreads them in the same way as Module.symvers cannot pass.
 */
class Sh4ExportsTest {
    private static Sh4Kit kit;
    private static List<String> toolLines;
    private static String layout;

    @BeforeAll
    static void run() {
        kit = Sh4Kit.find();
        CliRun r = cli("exports", "-k", kit.vmlinux().toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.err()).isEmpty();
        toolLines = r.out().lines().toList();
        CliRun l = cli("exports", "--layout", "--symvers-only", "-k", kit.vmlinux().toString());
        assertThat(l.code()).as(l.err()).isZero();
        layout = l.out().lines().filter(s -> s.startsWith("#")).reduce("", (a, b) -> a + b + "\n");
    }

    @Test
    void vmlinuxIsElf32LittleEndianSuperH() throws IOException {
        byte[] h = new byte[20];
        try (var in = Files.newInputStream(kit.vmlinux())) {
            assertThat(in.readNBytes(h, 0, h.length)).isEqualTo(h.length);
        }
        assertThat(new String(h, 1, 3, StandardCharsets.US_ASCII)).isEqualTo("ELF");
        assertThat(h[4]).as("EI_CLASS").isEqualTo((byte) 1); // ELFCLASS32
        assertThat(h[5]).as("EI_DATA").isEqualTo((byte) 1); // ELFDATA2LSB
        assertThat(ByteBuffer.wrap(h, 18, 2).order(ByteOrder.LITTLE_ENDIAN).getShort()).as("e_machine")
                .isEqualTo((short) 42); // EM_SH
    }

    @Test
    void layoutIsTwelveByteAbsoluteWithNamespaceAndFourByteCrcs() throws IOException {
        assertThat(layout).contains("# layout: 12-byte absolute entries with namespace, 4-byte CRCs");
        long vmlinuxExports = kit.symversEntries().stream().filter(Sh4Kit.SymversEntry::vmlinux).count();
        assertThat(layout).contains("# exports: " + vmlinuxExports + "\n");
        // The kit's README states the number too.
        Matcher m = Pattern.compile("vmlinux exports (\\d+) symbols").matcher(Files.readString(kit.readme()));
        assertThat(m.find()).isTrue();
        assertThat(Long.parseLong(m.group(1))).isEqualTo(vmlinuxExports);
    }

    @Test
    void exportsMatchModuleSymversExactly() throws IOException {
        List<String> expected = new ArrayList<>();
        for (Sh4Kit.SymversEntry e : kit.symversEntries()) {
            if (e.vmlinux()) {
                expected.add(String.format("0x%08x\t%s\tvmlinux\t%s\t%s", e.crc(), e.name(), e.exportType(), e.namespace()));
            }
        }
        List<String> got = toolLines.stream().map(l -> l.substring(0, l.lastIndexOf('\t'))).toList();
        assertThat(got).hasSize(expected.size()).containsExactlyInAnyOrderElementsOf(expected);
        // Some exports have a namespace and some are GPL-only: both columns are really compared.
        assertThat(got).anyMatch(l -> l.endsWith("\tEXPORT_SYMBOL_GPL\tCRYPTO_INTERNAL"))
                .anyMatch(l -> l.contains("\tEXPORT_SYMBOL\t"));
    }

    @Test
    void addressesAreSystemMapsGlobalSymbols() throws IOException {
        Map<String, List<Long>> map = kit.systemMap(true);
        int checked = 0;
        for (String l : toolLines) {
            String[] f = l.split("\t", -1);
            assertThat(f).as(l).hasSize(6);
            assertThat(f[5]).as(l).hasSize(8); // 32-bit addresses print as 8 hex digits
            long addr = Long.parseLong(f[5], 16);
            assertThat(map.get(f[1])).as("System.map address of %s", f[1]).isNotNull().contains(addr);
            checked++;
        }
        assertThat(checked).isEqualTo(toolLines.size()).isGreaterThan(5000);
    }

    /** Decodes {@code __ksymtab}/{@code __ksymtab_gpl} here and compares every entry with the tool's line. */
    @Test
    void independentDecodeOfTheAbsoluteTablesAgrees() throws IOException {
        Map<String, long[]> sec = sections();
        byte[] file = Files.readAllBytes(kit.vmlinux());
        ByteBuffer bb = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
        long[] strings = sec.get("__ksymtab_strings");
        Map<String, String> decoded = new HashMap<>();
        for (String tab : List.of("__ksymtab", "__ksymtab_gpl")) {
            long[] s = sec.get(tab);
            long[] crc = sec.get(tab.replace("ksymtab", "kcrctab"));
            assertThat(s[2] % 12).as(tab + " size").isZero();
            long n = s[2] / 12;
            assertThat(crc[2]).as("one 4-byte CRC per entry of " + tab).isEqualTo(n * 4);
            for (int i = 0; i < n; i++) {
                int e = (int) (s[1] + 12L * i);
                long value = bb.getInt(e) & 0xffffffffL;
                long namePtr = bb.getInt(e + 4) & 0xffffffffL;
                long nsPtr = bb.getInt(e + 8) & 0xffffffffL;
                String name = cstring(file, strings, namePtr);
                String ns = cstring(file, strings, nsPtr);
                long c = bb.getInt((int) (crc[1] + 4L * i)) & 0xffffffffL;
                decoded.put(name, String.format("0x%08x\t%s\tvmlinux\t%s\t%s\t%08x", c, name,
                        tab.endsWith("_gpl") ? "EXPORT_SYMBOL_GPL" : "EXPORT_SYMBOL", ns, value));
            }
        }
        assertThat(decoded).hasSize(toolLines.size());
        assertThat(toolLines).containsExactlyInAnyOrderElementsOf(decoded.values());
    }

    /** A NUL-terminated string at virtual address {@code va}, which must lie in {@code __ksymtab_strings}. */
    private static String cstring(byte[] file, long[] strings, long va) {
        assertThat(va).as("pointer into __ksymtab_strings").isBetween(strings[0], strings[0] + strings[2] - 1);
        int off = (int) (strings[1] + (va - strings[0]));
        int end = off;
        while (file[end] != 0) {
            end++;
        }
        return new String(file, off, end - off, StandardCharsets.ISO_8859_1);
    }

    /** Section name to {addr, offset, size}, from {@code readelf -SW}. */
    private static Map<String, long[]> sections() throws IOException {
        String out = Sh4Kit.run(Duration.ofSeconds(30), "readelf", "-SW", kit.vmlinux().toString());
        Pattern p = Pattern.compile("\\]\\s+(\\S+)\\s+\\S+\\s+([0-9a-f]{8})\\s+([0-9a-f]+)\\s+([0-9a-f]+)\\s");
        Map<String, long[]> m = new HashMap<>();
        for (String line : out.split("\n")) {
            Matcher x = p.matcher(line);
            if (x.find()) {
                m.put(x.group(1), new long[] {Long.parseLong(x.group(2), 16), Long.parseLong(x.group(3), 16),
                    Long.parseLong(x.group(4), 16)});
            }
        }
        assertThat(m).containsKeys("__ksymtab", "__ksymtab_gpl", "__kcrctab", "__kcrctab_gpl", "__ksymtab_strings");
        return m;
    }
}
