package org.preresolver.preresolve;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteOrder;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.preresolver.elf.Elf;
import org.preresolver.elf.ElfFile;
import org.preresolver.elf.Symbol;
import org.preresolver.kernel.ExportTableReader;
import org.preresolver.kernel.KernelExport;
import org.preresolver.kernel.KernelExports;
import org.preresolver.testing.ElfBuilder;

/** ELF32/ELF64 x little/big endian x absolute/PREL32 tables: read exports, preresolve, restore. */
class SyntheticMatrixTest {
    static Stream<Arguments> matrix() {
        return Stream.of(true, false).flatMap(is64 -> Stream.of(ByteOrder.LITTLE_ENDIAN, ByteOrder.BIG_ENDIAN)
                .flatMap(order -> Stream.of(true, false).map(prel -> Arguments.of(is64, order, prel))));
    }

    private static List<Object[]> exports(boolean is64) {
        long base = is64 ? 0xffffffff81000000L : 0xc0000000L;
        return List.of(
                new Object[] {"printk", base + 0x1000, false, "", 0x11111111L},
                new Object[] {"kmalloc", base + 0x2000, false, "", 0x22222222L},
                new Object[] {"gpl_thing", base + 0x3000, true, "", 0x33333333L},
                new Object[] {"ns_thing", base + 0x4000, true, "MY_NS", 0x44444444L});
    }

    @ParameterizedTest(name = "ELF{0}64 {1} prel32={2}")
    @MethodSource("matrix")
    void readsEveryLayoutFromContents(boolean is64, ByteOrder order, boolean prel32) throws Exception {
        int machine = is64 ? Elf.EM_AARCH64 : Elf.EM_ARM;
        byte[] vm = ElfBuilder.vmlinux(is64, order, machine, prel32, true, 4, exports(is64),
                "Linux version 9.9.9-test (builder@host) #1");
        KernelExports ex = ExportTableReader.read(ElfFile.parse(vm), "test");
        assertThat(ex.size()).isEqualTo(4);
        assertThat(ex.layout().orElseThrow().prel32()).isEqualTo(prel32);
        assertThat(ex.layout().orElseThrow().hasNamespace()).isTrue();
        assertThat(ex.layout().orElseThrow().crcSize()).isEqualTo(4);
        assertThat(ex.identity().release()).isEqualTo("9.9.9-test");
        for (Object[] e : exports(is64)) {
            KernelExport k = ex.get((String) e[0]);
            assertThat(k.address()).isEqualTo((Long) e[1]);
            assertThat(k.gplOnly()).isEqualTo((Boolean) e[2]);
            assertThat(k.namespace()).isEqualTo((String) e[3]);
            assertThat(k.crc()).isEqualTo((Long) e[4]);
        }
    }

    @ParameterizedTest(name = "ELF{0}64 {1} no-namespace prel32={2}")
    @MethodSource("matrix")
    void readsTablesWithoutNamespaceAndWideCrcs(boolean is64, ByteOrder order, boolean prel32) throws Exception {
        int machine = is64 ? Elf.EM_PPC64 : Elf.EM_386;
        byte[] vm = ElfBuilder.vmlinux(is64, order, machine, prel32, false, is64 ? 8 : 4,
                exports(is64).stream().map(e -> new Object[] {e[0], e[1], e[2], "", e[4]}).toList(), "x");
        KernelExports ex = ExportTableReader.read(ElfFile.parse(vm), "test");
        assertThat(ex.layout().orElseThrow().hasNamespace()).isFalse();
        assertThat(ex.layout().orElseThrow().prel32()).isEqualTo(prel32);
        assertThat(ex.layout().orElseThrow().crcSize()).isEqualTo(is64 ? 8 : 4);
        assertThat(ex.get("kmalloc").crc()).isEqualTo(0x22222222L);
    }

    @ParameterizedTest(name = "ELF{0}64 {1} prel32={2}")
    @MethodSource("matrix")
    void preresolvesRestoresAndIsIdempotent(boolean is64, ByteOrder order, boolean prel32) throws Exception {
        int machine = is64 ? Elf.EM_X86_64 : Elf.EM_SH;
        byte[] vm = ElfBuilder.vmlinux(is64, order, machine, prel32, true, 4, exports(is64),
                "Linux version 9.9.9-test (builder@host) #1");
        KernelExports ex = ExportTableReader.read(ElfFile.parse(vm), "test");
        Map<String, Long> crcs = new LinkedHashMap<>();
        crcs.put("printk", 0x11111111L);
        crcs.put("kmalloc", 0x22222222L);
        crcs.put("gpl_thing", 0x33333333L);
        crcs.put("ns_thing", 0x44444444L);
        byte[] module = ElfBuilder.module(is64, order).machine(machine)
                .modinfo("license=GPL", "vermagic=9.9.9-test SMP mod_unload", "name=synth")
                .progbits("__versions", ElfBuilder.versions(is64, order, crcs))
                .weakUndefined("weak_missing")
                .undefined("printk").undefined("kmalloc").undefined("gpl_thing").undefined("ns_thing")
                .undefined("from_a_module")
                .build();
        // With nothing known about the module that exports from_a_module, the GPL-only export
        // must stay for the kernel's proprietary-provider check.
        Preresolver unknown = new Preresolver(ex, Options.defaults().withAllowUnverifiedArch(true));
        Result guarded = unknown.process(module);
        assertThat(guarded.plan().preresolved()).isEqualTo(2);
        assertThat(guarded.plan().leftByReason()).containsEntry(Reason.GPL_TAINT_GUARD, 1);

        Preresolver p = new Preresolver(ex, Options.defaults().withAllowUnverifiedArch(true)
                .withProviders(Map.of("from_a_module", new Options.Provider("provider", true))));
        Result r = p.process(module);
        assertThat(r.status()).isEqualTo(Result.Status.PRERESOLVED);
        assertThat(r.plan().undefined()).isEqualTo(6);
        // weak_missing is exported by no known module: one loaded at run time may still export it,
        // so the GPL-only export stays (gplOnlyExportStaysForAnUnknownProviderBeforeOrAfterIt shows a
        // GPL-compatible provider releasing it).
        assertThat(r.plan().preresolved()).isEqualTo(2);
        assertThat(r.plan().leftByReason()).containsOnly(Map.entry(Reason.NAMESPACE_NOT_IMPORTED, 1),
                Map.entry(Reason.EXPORTED_BY_MODULE, 1), Map.entry(Reason.WEAK_NOT_EXPORTED, 1),
                Map.entry(Reason.GPL_TAINT_GUARD, 1));

        ElfFile out = ElfFile.parse(r.output());
        Map<String, Symbol> syms = new LinkedHashMap<>();
        for (Symbol s : out.symbolTable().symbols()) {
            syms.put(s.name(), s);
        }
        assertThat(syms.get("printk").shndx()).isEqualTo(Elf.SHN_ABS);
        assertThat(syms.get("printk").value()).isEqualTo(ex.get("printk").address());
        assertThat(syms.get("gpl_thing").shndx()).isEqualTo(Elf.SHN_UNDEF);
        assertThat(syms.get("kmalloc").shndx()).isEqualTo(Elf.SHN_ABS);
        assertThat(syms.get("ns_thing").shndx()).isEqualTo(Elf.SHN_UNDEF);
        assertThat(syms.get("from_a_module").shndx()).isEqualTo(Elf.SHN_UNDEF);
        assertThat(out.section(PreresolvedRecord.SECTION)).hasValueSatisfying(s -> assertThat(s.isAlloc()).isFalse());
        // The original prefix is untouched apart from the header fields and the patched entries.
        assertThat(Restorer.restore(out, Restorer.record(out).orElseThrow())).isEqualTo(module);
        // Running again changes nothing.
        Result again = p.process(r.output());
        assertThat(again.status()).isEqualTo(Result.Status.UNCHANGED);
        assertThat(again.changed()).isFalse();
    }

    /**
     * The kernel refuses a GPL module that takes a symbol from a proprietary module and a GPL-only
     * export in either .symtab order (inherit_taint(): refused outright when the GPL-only symbol came
     * first, the module tainted and the GPL-only lookup failing when it comes after). Both orders
     * keep the GPL-only export; a GPL-compatible provider releases it in both.
     */
    @org.junit.jupiter.api.Test
    void gplOnlyExportStaysForAnUnknownProviderBeforeOrAfterIt() throws Exception {
        byte[] vm = ElfBuilder.vmlinux(true, ByteOrder.LITTLE_ENDIAN, Elf.EM_X86_64, true, true, 4, exports(true),
                "Linux version 9.9.9-test (builder@host) #1");
        KernelExports ex = ExportTableReader.read(ElfFile.parse(vm), "test");
        Map<String, Long> crcs = Map.of("printk", 0x11111111L, "gpl_thing", 0x33333333L);
        for (boolean gplFirst : List.of(true, false)) {
            ElfBuilder b = ElfBuilder.module(true, ByteOrder.LITTLE_ENDIAN).machine(Elf.EM_X86_64)
                    .modinfo("license=GPL", "vermagic=9.9.9-test SMP mod_unload", "name=synth")
                    .progbits("__versions", ElfBuilder.versions(true, ByteOrder.LITTLE_ENDIAN, crcs))
                    .undefined("printk");
            byte[] module = (gplFirst ? b.undefined("gpl_thing").undefined("from_a_module")
                    : b.undefined("from_a_module").undefined("gpl_thing")).build();
            Map<String, Integer> index = new LinkedHashMap<>();
            for (Symbol s : ElfFile.parse(module).symbolTable().symbols()) {
                index.put(s.name(), s.index());
            }
            assertThat(index.get("gpl_thing") < index.get("from_a_module")).isEqualTo(gplFirst);

            Plan unknown = new Preresolver(ex, Options.defaults().withAllowUnverifiedArch(true))
                    .process(module).plan();
            assertThat(unknown.leftByReason()).as("gplFirst=%s", gplFirst)
                    .containsEntry(Reason.GPL_TAINT_GUARD, 1).containsEntry(Reason.NOT_EXPORTED, 1);
            assertThat(unknown.preresolved()).isEqualTo(1);
            Plan proprietary = new Preresolver(ex, Options.defaults().withAllowUnverifiedArch(true)
                    .withProviders(Map.of("from_a_module", new Options.Provider("prop", false)))).process(module).plan();
            assertThat(proprietary.leftByReason()).as("gplFirst=%s", gplFirst)
                    .containsEntry(Reason.GPL_TAINT_GUARD, 1).containsEntry(Reason.EXPORTED_BY_MODULE, 1);
            Plan gpl = new Preresolver(ex, Options.defaults().withAllowUnverifiedArch(true)
                    .withProviders(Map.of("from_a_module", new Options.Provider("free", true)))).process(module).plan();
            assertThat(gpl.leftByReason()).as("gplFirst=%s", gplFirst)
                    .containsOnly(Map.entry(Reason.EXPORTED_BY_MODULE, 1));
            assertThat(gpl.preresolved()).isEqualTo(2);
        }
    }

    @org.junit.jupiter.api.Test
    void anotherBuildOfTheSameReleaseRetargetsAndTheSameBuildDoesNot() throws Exception {
        List<Object[]> moved = exports(true).stream()
                .map(e -> new Object[] {e[0], (Long) e[1] + 0x200000, e[2], e[3], e[4]}).toList();
        KernelExports a = ExportTableReader.read(ElfFile.parse(ElfBuilder.vmlinux(true, ByteOrder.LITTLE_ENDIAN,
                Elf.EM_X86_64, true, true, 0, exports(true), "Linux version 9.9.9-test (b@h) #1")), "a");
        KernelExports b = ExportTableReader.read(ElfFile.parse(ElfBuilder.vmlinux(true, ByteOrder.LITTLE_ENDIAN,
                Elf.EM_X86_64, true, true, 0, moved, "Linux version 9.9.9-test (b@h) #2")), "b");
        byte[] module = ElfBuilder.module(true, ByteOrder.LITTLE_ENDIAN)
                .modinfo("license=GPL", "vermagic=9.9.9-test SMP").undefined("printk").undefined("kmalloc").build();
        Options o = Options.defaults();
        Result first = new Preresolver(a, o).process(module);
        assertThat(first.status()).isEqualTo(Result.Status.PRERESOLVED);
        Result other = new Preresolver(b, o).process(first.output());
        assertThat(other.status()).isEqualTo(Result.Status.RETARGETED);
        assertThat(ElfFile.parse(other.output()).symbolTable().symbols().stream()
                .filter(s -> s.name().equals("printk")).findFirst().orElseThrow().value())
                .isEqualTo(b.get("printk").address());
        assertThat(new Preresolver(b, o).process(other.output()).status()).isEqualTo(Result.Status.UNCHANGED);
        Result back = new Preresolver(a, o).process(other.output());
        assertThat(back.status()).isEqualTo(Result.Status.RETARGETED);
        assertThat(back.output()).isEqualTo(first.output());
    }

    @ParameterizedTest(name = "ELF{0}64 {1} prel32={2}")
    @MethodSource("matrix")
    void refusesAModuleOfAnotherMachine(boolean is64, ByteOrder order, boolean prel32) throws Exception {
        byte[] vm = ElfBuilder.vmlinux(is64, order, Elf.EM_X86_64, prel32, true, 4, exports(is64),
                "Linux version 9.9.9-test (b@h) #1");
        KernelExports ex = ExportTableReader.read(ElfFile.parse(vm), "test");
        byte[] module = ElfBuilder.module(!is64, order).machine(Elf.EM_MIPS)
                .modinfo("license=GPL", "vermagic=9.9.9-test SMP").undefined("printk").build();
        Preresolver p = new Preresolver(ex, Options.defaults().withAllowUnverifiedArch(true));
        assertThatThrownBy(() -> p.process(module)).isInstanceOf(RefusedException.class)
                .hasMessageContaining("module is ELF").hasMessageContaining("mips").hasMessageContaining("x86_64");
    }
}
