package org.preresolver.report;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import org.preresolver.api.Kernel;
import org.preresolver.api.Preresolve;
import org.preresolver.qemu.DebianKernel;
import org.preresolver.testing.TestFiles;

/**
 * A small fixed set of real modules of the Debian kernel in use ({@link org.preresolver.testing.TestKernels}),
 * for the report tests: modules with 0, 1 and more dependencies, some of whose providers are in the
 * set (left: exported by a module) and some not (left: not exported by vmlinux), one with no
 * undefined symbol at all. No ABI is pinned: every expected value is computed from the kernel's own
 * files by {@link org.preresolver.testing.SymbolOracle}.
 */
public final class GoldenSet {

    /** Paths under lib/modules/RELEASE. */
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
                TestFiles.deleteTree(dir);
            }
        }
        return run;
    }

    public static DebianKernel kernel() throws IOException {
        return DebianKernel.fetch();
    }

    /** Copies the set into {@code dir} (keeping the paths under lib/modules/RELEASE); returns {@code dir}. */
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
