package org.preresolver.io;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.preresolver.kernel.KernelExports;
import org.preresolver.qemu.DebianKernel;

/** The exports cache gives exactly what reading the image gives, and never trusts a damaged entry. */
class ExportsCacheTest {
    @TempDir
    Path tmp;

    @Test
    void aCachedLoadEqualsADirectLoadAndADamagedEntryIsRebuilt() throws Exception {
        DebianKernel k = DebianKernel.fetch();
        ExportsCache cache = new ExportsCache(tmp);
        KernelLoader.LoadedKernel direct = KernelLoader.fromImage(k.vmlinuz(), null, null);
        KernelLoader.LoadedKernel first = KernelLoader.fromImage(k.vmlinuz(), null, cache);
        Path entry;
        try (Stream<Path> s = Files.list(tmp)) {
            entry = s.filter(p -> p.getFileName().toString().endsWith(".v2")).findFirst().orElseThrow();
        }
        KernelLoader.LoadedKernel cached = KernelLoader.fromImage(k.vmlinuz(), null, cache);
        for (KernelLoader.LoadedKernel l : new KernelLoader.LoadedKernel[] {first, cached}) {
            assertSame(direct.exports(), l.exports());
            assertThat(l.config().map(c -> c.text())).isEqualTo(direct.config().map(c -> c.text()));
        }
        // Flip one byte in the middle of the entry: the checksum catches it and the image is read again.
        byte[] b = Files.readAllBytes(entry);
        b[b.length / 2] ^= 0x40;
        Files.write(entry, b);
        assertThat(cache.get(entry.getFileName().toString().replace(".v2", ""))).isEmpty();
        assertSame(direct.exports(), KernelLoader.fromImage(k.vmlinuz(), null, cache).exports());
        assertThat(Files.readAllBytes(entry)).isNotEqualTo(b);
    }

    private static void assertSame(KernelExports a, KernelExports b) {
        assertThat(b.all()).isEqualTo(a.all());
        assertThat(b.identity()).isEqualTo(a.identity());
        assertThat(b.layout()).isEqualTo(a.layout());
        assertThat(b.source()).isEqualTo(a.source());
        // The image's sliding ranges (anchor mode) survive the cache.
        assertThat(b.ranges()).isPresent().isEqualTo(a.ranges());
    }
}
