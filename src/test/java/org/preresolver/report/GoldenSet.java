package org.preresolver.report;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import org.preresolver.api.Kernel;
import org.preresolver.api.Preresolve;
import org.preresolver.qemu.DebianKernel;

/**
 * A small fixed set of real modules of Debian's 6.1.0-56-amd64 kernel, for golden files and
 * rendering tests: modules with 0, 1 and more dependencies, some of whose providers are in the
 * set (left: exported by a module) and some not (left: not exported by vmlinux), one with no
 * undefined symbol at all. The ABI is pinned so that the golden files stay true.
 */
public final class GoldenSet {
    /** The pinned Debian kernel ABI. */
    public static final String ABI = "6.1.0-56-amd64";

    /** Paths under lib/modules/ABI. */
    public static final List<String> MODULES = List.of(
            "kernel/crypto/af_alg.ko",
            "kernel/crypto/algif_hash.ko",
            "kernel/crypto/async_tx/async_memcpy.ko",
            "kernel/crypto/async_tx/async_pq.ko",
            "kernel/crypto/async_tx/async_tx.ko",
            "kernel/crypto/async_tx/async_xor.ko",
            "kernel/crypto/cast5_generic.ko",
            "kernel/crypto/cast_common.ko",
            "kernel/crypto/des_generic.ko",
            "kernel/crypto/xor.ko",
            "kernel/lib/crc8.ko");

    private static RunReport run;

    private GoldenSet() {}

    /**
     * The dry run over the set (strip-signature, KASLR assumed off), made once per JVM: the
     * kernel's bzImage takes seconds to decompress.
     */
    public static synchronized RunReport run() throws Exception {
        if (run == null) {
            Path dir = Files.createTempDirectory("lkmpr-golden");
            try {
                Path tree = copyTo(dir.resolve("tree"));
                run = Preresolve.against(Kernel.fromImage(kernel().vmlinuz())).withAssumeNokaslr(true)
                        .withStripSignature(true).dryRun(List.of(tree));
            } finally {
                try (var s = Files.walk(dir)) {
                    s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                }
            }
        }
        return run;
    }

    public static DebianKernel kernel() throws IOException {
        return DebianKernel.fetch(ABI);
    }

    /** Copies the set into {@code dir} (keeping the paths under lib/modules/ABI); returns {@code dir}. */
    public static Path copyTo(Path dir) throws IOException {
        Path src = kernel().modulesDir();
        for (String m : MODULES) {
            Path to = dir.resolve(m);
            Files.createDirectories(to.getParent());
            Files.copy(src.resolve(m), to, StandardCopyOption.REPLACE_EXISTING);
        }
        return dir;
    }
}
