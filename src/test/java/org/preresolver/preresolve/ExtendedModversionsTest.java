package org.preresolver.preresolve;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.preresolver.elf.Elf;
import org.preresolver.elf.ElfFile;
import org.preresolver.elf.Symbol;
import org.preresolver.kernel.ExportTableReader;
import org.preresolver.kernel.KernelExports;
import org.preresolver.testing.ElfBuilder;

/**
 * Extended modversions (6.14+, {@code check_version()} in kernel/module/version.c): when a module has
 * {@code __version_ext_crcs}/{@code __version_ext_names}, the kernel checks only them and ignores
 * {@code __versions}. Synthetic modules, because no Debian 7.x kernel is built with CONFIG_MODVERSIONS
 * (docs/kernel-rules.md §11: there is no real module or kernel to judge this); ELF64 in both byte orders.
 * <ul>
 * <li>right in {@code __versions}, wrong in the ext tables: the kernel refuses ("disagrees about version"),
 *     so the symbol stays undefined;</li>
 * <li>wrong in {@code __versions}, right in the ext tables: the kernel accepts, so it is preresolved;</li>
 * <li>in {@code __versions} but missing from the ext tables: the kernel warns once ("no extended symbol
 *     version for") and resolves it; the tool leaves it to the kernel.</li>
 * </ul>
 */
class ExtendedModversionsTest {
    @ParameterizedTest
    @EnumSource(names = {"LITTLE", "BIG"})
    void extendedTablesReplaceVersions(Endian e) throws Exception {
        ByteOrder order = e.order;
        long base = 0xffffffff81000000L;
        List<Object[]> exports = List.of(
                new Object[] {"printk", base + 0x1000, false, "", 0x11111111L},
                new Object[] {"kmalloc", base + 0x2000, false, "", 0x22222222L},
                new Object[] {"kfree", base + 0x3000, false, "", 0x33333333L});
        KernelExports ex = ExportTableReader.read(ElfFile.parse(ElfBuilder.vmlinux(true, order, Elf.EM_X86_64, true,
                true, 4, exports, "Linux version 9.9.9-test (builder@host) #1")), "test");
        Map<String, Long> versions = new LinkedHashMap<>();
        versions.put("printk", 0x11111111L); // right here, wrong in the ext tables
        versions.put("kmalloc", 0xdeadbeefL); // wrong here, right in the ext tables
        versions.put("kfree", 0x33333333L); // right here, absent from the ext tables
        Map<String, Long> ext = new LinkedHashMap<>();
        ext.put("printk", 0x11111112L);
        ext.put("kmalloc", 0x22222222L);
        byte[] module = ElfBuilder.module(true, order).machine(Elf.EM_X86_64)
                .modinfo("license=GPL", "vermagic=9.9.9-test SMP mod_unload", "name=synth")
                .progbits("__versions", ElfBuilder.versions(true, order, versions))
                .progbits("__version_ext_crcs", crcs(ext, order))
                .progbits("__version_ext_names", names(ext))
                .undefined("printk").undefined("kmalloc").undefined("kfree")
                .build();
        Result r = new Preresolver(ex, Options.defaults()).process(module);
        Map<String, Outcome> by = new LinkedHashMap<>();
        r.plan().outcomes().forEach(s -> by.put(s.name(), s.outcome()));
        assertThat(by.get("printk")).isInstanceOfSatisfying(Outcome.Left.class,
                l -> assertThat(l.reason()).isEqualTo(Reason.CRC_MISMATCH));
        assertThat(by.get("kmalloc")).isInstanceOf(Outcome.Preresolved.class);
        assertThat(by.get("kfree")).isInstanceOfSatisfying(Outcome.Left.class,
                l -> assertThat(l.reason()).isEqualTo(Reason.NO_VERSION_ENTRY));
        Map<String, Symbol> out = new LinkedHashMap<>();
        ElfFile.parse(r.output()).symbolTable().symbols().forEach(s -> out.put(s.name(), s));
        assertThat(out.get("kmalloc").shndx()).isEqualTo(Elf.SHN_ABS);
        assertThat(out.get("kmalloc").value()).isEqualTo(base + 0x2000);
        assertThat(out.get("printk").shndx()).isEqualTo(Elf.SHN_UNDEF);
        assertThat(out.get("kfree").shndx()).isEqualTo(Elf.SHN_UNDEF);
    }

    enum Endian {
        LITTLE(ByteOrder.LITTLE_ENDIAN), BIG(ByteOrder.BIG_ENDIAN);

        final ByteOrder order;

        Endian(ByteOrder order) {
            this.order = order;
        }
    }

    private static byte[] crcs(Map<String, Long> m, ByteOrder order) {
        ByteBuffer b = ByteBuffer.allocate(4 * m.size()).order(order);
        m.values().forEach(v -> b.putInt((int) (long) v));
        return b.array();
    }

    private static byte[] names(Map<String, Long> m) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        m.keySet().forEach(n -> {
            o.writeBytes(n.getBytes(StandardCharsets.US_ASCII));
            o.write(0);
        });
        return o.toByteArray();
    }
}
