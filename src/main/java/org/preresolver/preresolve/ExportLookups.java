package org.preresolver.preresolve;

import org.preresolver.elf.ElfFile;
import org.preresolver.elf.FormatException;
import org.preresolver.elf.Symbol;
import org.preresolver.kernel.KernelExport;
import org.preresolver.kernel.KernelExports;

/**
 * vmlinux's exports as one module's run looks them up. The plan looks up every undefined symbol of
 * the module, and the loader simulation the same symbols of the same file again: those are kept
 * by symbol index, so that each name is looked up in the kernel's table once (a lookup there
 * hashes and compares the name, and misses the cache). The output's names, fewer, are looked up.
 * Belongs to one module, on one thread.
 */
final class ExportLookups {
    private final KernelExports kernel;
    private final ElfFile original;
    private KernelExport[] found;
    private boolean[] looked;

    /** Lookups for the module {@code original}, whose symbols are kept by index. */
    ExportLookups(KernelExports kernel, ElfFile original) {
        this.kernel = kernel;
        this.original = original;
    }

    /** vmlinux's export of the name of symbol {@code s} of {@code file}, or null: {@link KernelExports#get}. */
    KernelExport of(ElfFile file, Symbol s) throws FormatException {
        return of(file, s.index(), s.stringTable(), s.nameStart());
    }

    /**
     * As {@link #of(ElfFile, Symbol)}, for symbol {@code i} of {@code file} named by the string at
     * {@code nameAt} in {@code strings} ({@link Symbol#stringTable()}, {@link Symbol#nameStart()}).
     */
    KernelExport of(ElfFile file, int i, byte[] strings, int nameAt) throws FormatException {
        if (file != original) {
            return kernel.get(strings, nameAt);
        }
        if (found == null) {
            int n = original.symbolTable().size();
            found = new KernelExport[n];
            looked = new boolean[n];
        }
        if (!looked[i]) {
            found[i] = kernel.get(strings, nameAt);
            looked[i] = true;
        }
        return found[i];
    }

    KernelExports kernel() {
        return kernel;
    }
}
