package org.preresolver.preresolve;

import java.util.HashMap;
import java.util.Map;
import org.preresolver.kernel.KernelExport;
import org.preresolver.kernel.KernelExports;

/**
 * vmlinux's exports as one module's run looks them up: each name in the kernel's table once. The
 * plan looks up every undefined symbol, and the loader simulation looks up the same names in the
 * original and in the output again; a lookup in the kernel's table of 10,000+ names is a few cache
 * misses, one in this module's own small table is not. Belongs to one module, on one thread.
 */
final class ExportLookups {
    /** Stands for "vmlinux does not export it" (the map cannot hold null usefully). */
    private static final KernelExport NONE = new KernelExport("", 0, false, "", null, false);

    private final KernelExports kernel;
    private final Map<String, KernelExport> seen = new HashMap<>();

    ExportLookups(KernelExports kernel) {
        this.kernel = kernel;
    }

    /** vmlinux's export of {@code name}, or null: {@link KernelExports#get}. */
    KernelExport get(String name) {
        KernelExport e = seen.get(name);
        if (e == null) {
            e = kernel.get(name);
            seen.put(name, e == null ? NONE : e);
            return e;
        }
        return e == NONE ? null : e;
    }

    KernelExports kernel() {
        return kernel;
    }
}
