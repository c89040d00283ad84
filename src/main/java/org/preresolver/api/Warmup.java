package org.preresolver.api;

import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.List;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import java.util.zip.Inflater;

/**
 * Work that the JVM does once per process for any run over modules, started on a spare core while
 * the command line is still being read (picocli builds its model on one thread for about 0.15 s):
 * the SHA-256 provider (about 30 ms at its first use), zlib, the byte-order {@code VarHandle}s of
 * {@code elf.ByteReader}, and loading the classes that every module passes through. None of it
 * changes what a run does; whatever fails here is met again, and reported, by the run itself.
 */
public final class Warmup {
    private Warmup() {}

    /** Starts the warm-up on a daemon thread and returns at once. */
    public static void start() {
        Thread t = new Thread(Warmup::run, "warm-up");
        t.setDaemon(true);
        t.start();
    }

    private static void run() {
        try {
            MessageDigest.getInstance("SHA-256").digest(new byte[64]);
            Deflater d = new Deflater(Deflater.BEST_SPEED, true);
            d.end();
            new Inflater(true).end();
            new CRC32().update(new byte[64]);
            // ByteReader's static VarHandles are its whole initialisation; the rest are only loaded (naming
            // a class loads it).
            Class.forName(org.preresolver.elf.ByteReader.class.getName(), true, Warmup.class.getClassLoader());
            List.of(org.preresolver.elf.ElfFile.class, org.preresolver.elf.SymbolTable.class,
                    org.preresolver.elf.RelocationTable.class, org.preresolver.elf.ElfEditor.class,
                    org.preresolver.kernel.KernelModule.class, org.preresolver.kernel.ModInfo.class,
                    org.preresolver.kernel.ModVersions.class, org.preresolver.preresolve.Preresolver.class,
                    org.preresolver.preresolve.PreresolvedRecord.class, org.preresolver.preresolve.Restorer.class,
                    org.preresolver.io.ModuleFiles.class, org.preresolver.io.ModuleCodec.class, TreeRunner.class,
                    ModuleSource.class);
        } catch (GeneralSecurityException | ReflectiveOperationException | RuntimeException | LinkageError e) {
            // nothing to do: the run meets it again
        }
    }
}
