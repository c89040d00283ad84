package org.preresolver.debian;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.preresolver.io.KernelLoader;
import org.preresolver.kernel.KernelExport;
import org.preresolver.kernel.KernelExports;
import org.preresolver.kernel.SymbolFiles;
import org.preresolver.qemu.DebianKernel;

/** The exports read from Debian's compressed vmlinuz against the Module.symvers of the same build. */
class DebianExportsTest {
    static DebianKernel kernel;
    static KernelLoader.LoadedKernel loaded;

    @BeforeAll
    static void load() throws Exception {
        kernel = DebianKernel.fetch();
        loaded = KernelLoader.fromImage(kernel.vmlinuz(), null, null); // no cache: really read the image
    }

    static Path symvers() {
        return kernel.root().resolve("usr/src/linux-headers-" + kernel.release() + "/Module.symvers");
    }

    @Test
    void everyExportMatchesModuleSymversOnNameCrcLicenceAndNamespace() throws Exception {
        KernelExports ex = loaded.exports();
        List<SymbolFiles.SymversEntry> symvers = SymbolFiles.parseSymvers(Files.readAllBytes(symvers())).stream()
                .filter(SymbolFiles.SymversEntry::fromVmlinux).toList();
        assertThat(symvers).hasSizeGreaterThan(10000);
        Map<String, KernelExport> byName = new HashMap<>();
        for (KernelExport e : ex.all()) {
            assertThat(byName.put(e.name(), e)).as("duplicate export %s", e.name()).isNull();
        }
        assertThat(byName.keySet()).as("none missing, none extra")
                .containsExactlyInAnyOrderElementsOf(symvers.stream().map(SymbolFiles.SymversEntry::name).toList());
        int namespaced = 0;
        for (SymbolFiles.SymversEntry s : symvers) {
            KernelExport e = byName.get(s.name());
            assertThat(e.crc()).as("CRC of %s", s.name()).isEqualTo(s.crc());
            assertThat(e.gplOnly()).as("GPL flag of %s", s.name()).isEqualTo(s.gplOnly());
            assertThat(e.namespace()).as("namespace of %s", s.name()).isEqualTo(s.namespace());
            namespaced += e.hasNamespace() ? 1 : 0;
        }
        assertThat(namespaced).isPositive();
    }

    @Test
    void detectsTheLayoutAndIdentityFromTheImage() {
        KernelExports ex = loaded.exports();
        assertThat(ex.layout()).hasValueSatisfying(l -> {
            assertThat(l.prel32()).isTrue();
            assertThat(l.hasNamespace()).isTrue();
            assertThat(l.entrySize()).isEqualTo(12);
            assertThat(l.crcSize()).isEqualTo(4);
        });
        assertThat(ex.identity().release()).isEqualTo(kernel.release());
        assertThat(ex.identity().buildId()).matches("[0-9a-f]{40}");
        assertThat(ex.source()).contains("bzImage, xz payload");
        assertThat(loaded.config()).hasValueSatisfying(c -> assertThat(c.randomizesBase()).isTrue());
    }

    @Test
    void addressesAreKernelTextAndDataAndPerCpuOffsetsKeepTheirSmallValue() {
        KernelExports ex = loaded.exports();
        long zero = ex.all().stream().filter(e -> e.address() == 0).count();
        assertThat(zero).as("exports at address 0 (fixed_percpu_data)").isLessThanOrEqualTo(1);
        // Per-CPU variables are zero-based on x86_64: PREL32 arithmetic must wrap to small values.
        KernelExport pcpu = ex.get("cpu_number");
        assertThat(pcpu).isNotNull();
        assertThat(pcpu.address()).isBetween(1L, 0x100000L);
        KernelExport printk = ex.get("_printk");
        assertThat(Long.compareUnsigned(printk.address(), 0xffffffff81000000L)).isPositive();
    }
}
