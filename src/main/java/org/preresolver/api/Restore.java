package org.preresolver.api;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.preresolver.elf.ElfFile;
import org.preresolver.elf.FormatException;
import org.preresolver.io.AtomicWriter;
import org.preresolver.io.ModuleCodec;
import org.preresolver.io.ModuleFiles;
import org.preresolver.io.TreeLock;
import java.util.List;
import java.util.function.Consumer;
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
        byte[] bytes = ModuleFiles.read(file);
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
     * Restores one module found by {@link ModuleFiles#find}: in place ({@code outputDir} null), or
     * into {@code outputDir} mirroring its tree, never writing through a symbolic link there.
     */
    public static Status restore(ModuleFiles.Entry e, Path outputDir, boolean dryRun) throws IOException,
            FormatException {
        Path target = outputDir == null || dryRun ? e.file() : TreeRunner.outputPath(outputDir, e.relative());
        return restore(e.file(), target, dryRun);
    }

    /**
     * Restores every module of {@code inputs}; in place ({@code outputDir} null and not a dry run)
     * under the tree lock that an in-place preresolve takes, so that the two never interleave.
     *
     * @param each called with each module and its status or error, in order
     * @throws IOException the inputs cannot be listed, or a tree is locked by another run
     */
    public static void run(List<Path> inputs, Path outputDir, boolean dryRun, Consumer<Outcome> each)
            throws IOException {
        List<ModuleFiles.Entry> entries = ModuleFiles.find(inputs);
        boolean inPlace = outputDir == null && !dryRun;
        try (AutoCloseable lock = inPlace ? TreeLock.acquireAll(entries) : () -> { }) {
            for (ModuleFiles.Entry e : entries) {
                try {
                    each.accept(new Outcome(e.display(), restore(e, outputDir, dryRun), null));
                } catch (FormatException | IOException ex) {
                    each.accept(new Outcome(e.display(), null, ex));
                }
            }
        } catch (IOException ex) {
            throw ex;
        } catch (Exception ex) {
            throw new IOException(ex.getMessage(), ex);
        }
    }

    /**
     * One module's restore: its status, or the error ({@link FormatException} for bad input,
     * {@link IOException} otherwise).
     */
    public record Outcome(String path, Status status, Exception error) {}

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
