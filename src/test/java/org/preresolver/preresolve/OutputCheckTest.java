package org.preresolver.preresolve;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.preresolver.elf.ElfFile;
import org.preresolver.elf.FormatException;
import org.preresolver.io.KernelLoader;
import org.preresolver.kernel.KernelExports;
import org.preresolver.qemu.DebianKernel;

/**
 * The output check ({@link Preresolver#checkRestores}) restores modules up to 4 MiB into one buffer
 * per thread, which keeps the bytes of earlier, larger modules past the end of the current one.
 * On Debian's modules, in one thread, largest first: every real output passes, and an original
 * that differs from the restore by one byte, by its last byte, or by its length fails.
 */
class OutputCheckTest {
    static KernelExports exports;
    static List<Path> modules;

    @BeforeAll
    static void load() throws Exception {
        DebianKernel k = DebianKernel.fetch();
        exports = KernelLoader.fromImage(k.vmlinux(), null).exports();
        try (Stream<Path> s = Files.walk(k.modulesDir())) {
            List<Path> all = s.filter(p -> p.toString().endsWith(".ko")).sorted().toList();
            // Largest first (buffer grown, then reused by smaller ones); one over 4 MiB, restored apart.
            modules = new ArrayList<>(all.stream().sorted((a, b) -> Long.compare(size(b), size(a))).limit(3).toList());
            for (int i = 0; i < all.size(); i += 97) {
                modules.add(all.get(i));
            }
        }
        assertThat(size(modules.get(0))).isGreaterThan(4 << 20);
    }

    private static long size(Path p) {
        try {
            return Files.size(p);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void realOutputsPassAndEveryOtherOriginalFails() throws Exception {
        for (Options.Mode mode : Options.Mode.values()) {
            Preresolver pre = new Preresolver(exports, Options.defaults().withStripSignature(true).withMode(mode));
            int checked = 0;
            for (Path p : modules) {
                byte[] original = Files.readAllBytes(p);
                Result r = pre.process(original);
                if (!r.changed()) {
                    continue;
                }
                ElfFile out = ElfFile.parse(r.output());
                Preresolver.checkRestores(out, original);
                byte[] oneByte = original.clone();
                oneByte[oneByte.length / 3] ^= 0x20;
                byte[] lastByte = original.clone();
                lastByte[lastByte.length - 1] ^= 1;
                byte[] shorter = Arrays.copyOf(original, original.length - 1);
                byte[] longer = Arrays.copyOf(original, original.length + 1);
                for (byte[] other : List.of(oneByte, lastByte, shorter, longer)) {
                    assertThatThrownBy(() -> Preresolver.checkRestores(out, other)).as("%s %s", mode, p)
                            .isInstanceOf(FormatException.class).hasMessageContaining("does not restore to the original");
                }
                checked++;
            }
            assertThat(checked).as("%s", mode).isGreaterThan(30);
        }
    }
}
