package org.preresolver.testing;

import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.preresolver.elf.FormatException;
import org.preresolver.io.KernelLoader;
import org.preresolver.qemu.DebianKernel;

/** Debian kernels loaded once per test JVM: decompressing and reading an image takes seconds. */
public final class LoadedKernels {
    private static final Map<String, KernelLoader.LoadedKernel> CACHE = new ConcurrentHashMap<>();

    private LoadedKernels() {}

    /** The exports (and configuration) of a fetched Debian kernel's vmlinuz. */
    public static synchronized KernelLoader.LoadedKernel of(DebianKernel k) throws IOException, FormatException {
        KernelLoader.LoadedKernel l = CACHE.get(k.release());
        if (l == null) {
            l = KernelLoader.fromImage(k.vmlinuz(), null);
            CACHE.put(k.release(), l);
        }
        return l;
    }
}
