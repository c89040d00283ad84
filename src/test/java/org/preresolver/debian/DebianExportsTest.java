package org.preresolver.debian;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.preresolver.io.KernelLoader;
import org.preresolver.kernel.KernelExport;
import org.preresolver.kernel.KernelExports;
import org.preresolver.kernel.SymbolFiles;
import org.preresolver.qemu.DebianKernel;
import org.preresolver.qemu.Host;

/**
 * The exports read from Debian's compressed vmlinuz against the Module.symvers of the same build, for
 * the kernels users run: Debian 12's 6.1 (xz payload), Debian 13 "trixie"'s 6.12 and sid's 7.x (zstd
 * payloads, with kbuild's 4-byte size trailer after the zstd frame; 7.x: {@code __kflagstab}).
 */
class DebianExportsTest {
    /** Suite names for {@link DebianKernel#fetchSuite}; bookworm is the machine's own (6.1, {@link DebianKernel#fetch()}). */
    static Stream<String> suites() {
        return Stream.of(BOOKWORM, "trixie", "sid");
    }

    private static final String BOOKWORM = "bookworm";

    private record Loaded(DebianKernel kernel, KernelLoader.LoadedKernel loaded) {}

    private static final Map<String, Loaded> LOADED = new HashMap<>();

    static synchronized Loaded load(String suite) throws Exception {
        Loaded l = LOADED.get(suite);
        if (l == null) {
            DebianKernel k = suite.equals(BOOKWORM) ? DebianKernel.fetch() : DebianKernel.fetchSuite(suite);
            // no cache, and no --config: really read the image, and find the package's config where it is
            l = new Loaded(k, KernelLoader.fromImage(k.vmlinuz(), null, null));
            LOADED.put(suite, l);
        }
        return l;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("suites")
    void everyExportMatchesModuleSymversOnNameCrcLicenceAndNamespace(String suite) throws Exception {
        Loaded l = load(suite);
        KernelExports ex = l.loaded().exports();
        List<SymbolFiles.SymversEntry> symvers = SymbolFiles.parseSymvers(Files.readAllBytes(l.kernel().symvers()))
                .stream().filter(SymbolFiles.SymversEntry::fromVmlinux).toList();
        assertThat(symvers).hasSizeGreaterThan(10000);
        boolean crcs = symvers.stream().anyMatch(s -> s.crc() != 0); // all 0x00000000 without MODVERSIONS
        Map<String, KernelExport> byName = new HashMap<>();
        for (KernelExport e : ex.all()) {
            assertThat(byName.put(e.name(), e)).as("duplicate export %s", e.name()).isNull();
        }
        assertThat(byName.keySet()).as("none missing, none extra")
                .containsExactlyInAnyOrderElementsOf(symvers.stream().map(SymbolFiles.SymversEntry::name).toList());
        int namespaced = 0;
        int gpl = 0;
        for (SymbolFiles.SymversEntry s : symvers) {
            KernelExport e = byName.get(s.name());
            if (crcs) {
                assertThat(e.crc()).as("CRC of %s", s.name()).isEqualTo(s.crc());
            } else {
                assertThat(e.crc()).as("CRC of %s (no CONFIG_MODVERSIONS: none in Module.symvers)", s.name()).isNull();
            }
            assertThat(e.gplOnly()).as("GPL flag of %s", s.name()).isEqualTo(s.gplOnly());
            assertThat(e.namespace()).as("namespace of %s", s.name()).isEqualTo(s.namespace());
            namespaced += e.hasNamespace() ? 1 : 0;
            gpl += e.gplOnly() ? 1 : 0;
        }
        assertThat(namespaced).isPositive();
        assertThat(gpl).isPositive().isLessThan(symvers.size());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("suites")
    void detectsTheLayoutCompressionAndIdentityFromTheImage(String suite) throws Exception {
        Loaded l = load(suite);
        KernelExports ex = l.loaded().exports();
        // Independent sources: Module.symvers says whether there are CRCs (all 0x00000000 without
        // CONFIG_MODVERSIONS), the package's config names the payload compression.
        boolean crcs = SymbolFiles.parseSymvers(Files.readAllBytes(l.kernel().symvers())).stream()
                .anyMatch(s -> s.fromVmlinux() && s.crc() != 0);
        assertThat(ex.layout()).hasValueSatisfying(lay -> {
            assertThat(lay.prel32()).isTrue();
            assertThat(lay.hasNamespace()).isTrue();
            assertThat(lay.entrySize()).isEqualTo(12);
            assertThat(lay.crcSize()).isEqualTo(crcs ? 4 : 0);
        });
        assertThat(ex.identity().release()).isEqualTo(l.kernel().release());
        assertThat(ex.identity().buildId()).matches("[0-9a-f]{40}");
        String config = Files.readString(l.kernel().config(), StandardCharsets.ISO_8859_1);
        Matcher m = Pattern.compile("(?m)^CONFIG_KERNEL_([A-Z0-9]+)=y$").matcher(config);
        assertThat(m.find()).as("CONFIG_KERNEL_<compression>=y in %s", l.kernel().config()).isTrue();
        assertThat(ex.source()).contains("bzImage, " + m.group(1).toLowerCase(java.util.Locale.ROOT) + " payload");
        // The KASLR check found the package's config without --config: /boot/config-R or /usr/lib/modules/R/config.
        assertThat(l.loaded().config()).hasValueSatisfying(c -> assertThat(c.randomizesBase()).isTrue());
        assertThat(l.loaded().configNote()).isEqualTo(l.kernel().config().toString());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("suites")
    void addressesAreKernelTextAndPerCpuExportsLieInThePerCpuSection(String suite) throws Exception {
        Loaded l = load(suite);
        KernelExports ex = l.loaded().exports();
        long zero = ex.all().stream().filter(e -> e.address() == 0).count();
        assertThat(zero).as("exports at address 0 (fixed_percpu_data)").isLessThanOrEqualTo(1);
        KernelExport printk = ex.get("_printk");
        assertThat(Long.compareUnsigned(printk.address(), 0xffffffff81000000L)).isPositive();
        // Per-CPU variables: zero-based on x86_64 until 6.14 (.data..percpu at address 0, PREL32 arithmetic
        // must wrap to small values), at kernel addresses since 6.15. readelf gives the section's range.
        Host.Result r = Host.run(java.time.Duration.ofMinutes(2), Host.projectDir(), "readelf", "-SW",
                l.kernel().vmlinux().toString());
        Matcher m = Pattern.compile("\\]\\s+\\.data\\.\\.percpu\\s+\\S+\\s+([0-9a-f]+)\\s+[0-9a-f]+\\s+([0-9a-f]+)")
                .matcher(r.output());
        assertThat(m.find()).as(".data..percpu in readelf -S of %s", l.kernel().vmlinux()).isTrue();
        long start = Long.parseUnsignedLong(m.group(1), 16);
        long size = Long.parseUnsignedLong(m.group(2), 16);
        KernelExport pcpu = ex.get("this_cpu_off");
        assertThat(pcpu).isNotNull();
        assertThat(Long.compareUnsigned(pcpu.address(), start)).as("this_cpu_off >= .data..percpu").isGreaterThanOrEqualTo(0);
        assertThat(Long.compareUnsigned(pcpu.address(), start + size)).as("this_cpu_off < end of .data..percpu").isNegative();
    }
    /**
     * Every undefined symbol of real modules, looked up from the module's string table ({@link
     * KernelExports#get(org.preresolver.elf.Symbol)}, no {@code String} made) and by name, is found
     * exactly when vmlinux's Module.symvers lists the name; the names come from {@code nm -u}.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("suites")
    void lookupsFromTheStringTableFindWhatModuleSymversLists(String suite) throws Exception {
        Loaded l = load(suite);
        KernelExports ex = l.loaded().exports();
        java.util.Set<String> vmlinux = new java.util.HashSet<>();
        for (SymbolFiles.SymversEntry s : SymbolFiles.parseSymvers(Files.readAllBytes(l.kernel().symvers()))) {
            if (s.fromVmlinux()) {
                vmlinux.add(s.name());
            }
        }
        int found = 0;
        int missing = 0;
        for (String name : List.of("ext4", "xfs", "btrfs", "nf_tables", "snd-hda-intel")) {
            java.nio.file.Path ko;
            try (Stream<java.nio.file.Path> w = Files.walk(l.kernel().modulesDir())) {
                ko = w.filter(p -> p.getFileName().toString().matches(java.util.regex.Pattern.quote(name)
                        + "\\.ko(\\.(xz|zst|gz))?")).findFirst().orElseThrow();
            }
            byte[] elf = org.preresolver.io.ModuleCodec.decode(Files.readAllBytes(ko)).elf();
            java.nio.file.Path plain = Files.createTempFile("lookup", ".ko");
            List<String> undefined;
            try {
                Files.write(plain, elf);
                undefined = Host.run(java.time.Duration.ofSeconds(30), null, "nm", "-u", plain.toString()).output()
                        .lines().map(String::strip).filter(x -> !x.isEmpty()).map(x -> x.substring(x.indexOf(' ') + 1))
                        .toList();
            } finally {
                Files.deleteIfExists(plain);
            }
            assertThat(undefined).as("nm -u of %s", ko).hasSizeGreaterThan(20);
            Map<String, org.preresolver.elf.Symbol> byName = new HashMap<>();
            for (org.preresolver.elf.Symbol s : org.preresolver.elf.ElfFile.parse(elf).symbolTable().symbols()) {
                if (s.isUndefined() && !s.name().isEmpty()) {
                    byName.put(s.name(), s);
                }
            }
            for (String u : undefined) {
                org.preresolver.elf.Symbol s = byName.get(u);
                assertThat(s).as("%s in the symbol table of %s", u, ko).isNotNull();
                KernelExport e = ex.get(s);
                assertThat(e != null).as("%s of %s found in vmlinux's exports", u, name).isEqualTo(vmlinux.contains(u));
                assertThat(e).as("%s looked up by name", u).isSameAs(ex.get(u));
                if (e != null) {
                    assertThat(e.name()).isEqualTo(u);
                    found++;
                } else {
                    missing++;
                }
            }
        }
        assertThat(found).isGreaterThan(500);
        assertThat(missing).as("names other modules export (jbd2, mbcache, nf_conntrack, ...)").isPositive();
        assertThat(ex.get("")).isNull();
        assertThat(ex.get("no_such_export_anywhere")).isNull();
    }

    /**
     * The ELF vmlinux is read compactly (export tables, .rodata, notes: {@link
     * org.preresolver.kernel.KernelImage#parseCompact}); what it gives must equal what the whole
     * vmlinuz gives (checked against Module.symvers above), and the read must really be partial.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("suites")
    void theElfVmlinuxReadCompactlyGivesWhatTheWholeImageGives(String suite) throws Exception {
        Loaded l = load(suite);
        java.nio.file.Path vmlinux = l.kernel().vmlinux();
        KernelLoader.LoadedKernel compact = KernelLoader.fromImage(vmlinux, null, null);
        KernelExports a = l.loaded().exports();
        KernelExports b = compact.exports();
        assertThat(b.all()).containsExactlyElementsOf(a.all());
        assertThat(b.identity()).isEqualTo(a.identity());
        assertThat(b.layout()).isEqualTo(a.layout());
        assertThat(b.ranges()).isPresent();
        assertThat(b.ranges().get().sliding()).isEqualTo(a.ranges().get().sliding());
        assertThat(b.ranges().get().fixed()).isEqualTo(a.ranges().get().fixed());
        assertThat(b.ranges().get().sliding()).as("readelf's SHF_ALLOC sections at kernel addresses")
                .hasSizeGreaterThan(10);
        long size = Files.size(vmlinux);
        long[] read = {0};
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(vmlinux)) {
            var img = org.preresolver.kernel.KernelImage.parseCompact(size, (off, len) -> {
                read[0] += len;
                java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate(len);
                while (buf.hasRemaining() && ch.read(buf, off + buf.position()) > 0) {
                    // to the end of the range
                }
                return buf.array();
            });
            assertThat(img).isNotNull();
            assertThat(img.vmlinux().section(".text")).hasValueSatisfying(t -> assertThat(t.fileSize()).isZero());
        }
        assertThat(read[0]).as("bytes read of %s bytes", size).isLessThan(size / 5);
    }
}
