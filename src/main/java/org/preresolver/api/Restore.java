package org.preresolver.api;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.preresolver.elf.ElfFile;
import org.preresolver.elf.FormatException;
import org.preresolver.io.AtomicWriter;
import org.preresolver.io.ModuleCodec;
import org.preresolver.preresolve.PreresolvedRecord;
import org.preresolver.preresolve.Preresolver;
import org.preresolver.preresolve.Restorer;

/** Gives back original modules from preresolved ones, byte for byte, signature included. */
public final class Restore {
    private Restore() {}

    /** What restoring one file did. */
    public enum Status { RESTORED, NOT_PRERESOLVED }

    /**
     * Restores {@code file} into {@code target} (which may be {@code file} itself). A module that
     * is not preresolved is copied unchanged when {@code target} differs, else left alone.
     */
    public static Status restore(Path file, Path target, boolean dryRun) throws IOException, FormatException {
        byte[] bytes = Files.readAllBytes(file);
        ModuleCodec.Decoded dec = ModuleCodec.decode(bytes);
        Optional<byte[]> original = original(dec.elf());
        if (dryRun) {
            return original.isPresent() ? Status.RESTORED : Status.NOT_PRERESOLVED;
        }
        boolean same = Files.exists(target) && Files.isSameFile(file, target);
        if (original.isEmpty()) {
            if (!same) {
                Files.createDirectories(target.toAbsolutePath().getParent());
                AtomicWriter.write(target, bytes, file);
            }
            return Status.NOT_PRERESOLVED;
        }
        if (!same) {
            Files.createDirectories(target.toAbsolutePath().getParent());
        }
        AtomicWriter.write(target, ModuleCodec.encode(original.get(), dec.compression()), file);
        return Status.RESTORED;
    }

    /**
     * The original bytes of a preresolved (uncompressed) module, or empty for a plain one. A
     * re-signed module carries our signature after the ELF part holding the record.
     */
    public static Optional<byte[]> original(byte[] elf) throws FormatException {
        if (!ElfFile.isElf(elf)) {
            throw new FormatException("not an ELF file (bad magic)", 0);
        }
        ElfFile f = ElfFile.parse(Preresolver.withoutSignature(elf));
        Optional<PreresolvedRecord> rec = Restorer.record(f);
        if (rec.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(Restorer.restore(f, rec.get()));
    }
}
