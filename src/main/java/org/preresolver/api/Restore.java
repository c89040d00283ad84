package org.preresolver.api;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import org.preresolver.elf.ElfFile;
import org.preresolver.elf.FormatException;
import org.preresolver.io.FileBytes;
import org.preresolver.io.ModuleCodec;
import org.preresolver.io.ModuleFiles;
import org.preresolver.kernel.ModuleSignature;
import org.preresolver.preresolve.PreresolvedRecord;
import org.preresolver.preresolve.Restorer;

/** Gives back original modules from preresolved ones, byte for byte, signature included. */
public final class Restore {
    private Restore() {}

    /** What restoring one file did. */
    public enum Status { RESTORED, NOT_PRERESOLVED }

    /**
     * Restores every module of {@code inputs}: into {@code outputDir} mirroring each tree (a module
     * that is not preresolved is copied as it is), in place ({@code outputDir} null, not a dry run)
     * under the tree lock that an in-place preresolve takes, so that the two never interleave, or
     * only reported ({@code dryRun}). The one pipeline: {@link ModuleSource}, {@link ModuleSink},
     * {@link ModuleRunner}.
     *
     * @param each called with each module and its status or error, in order
     * @throws IOException the inputs cannot be listed, or a tree is locked by another run
     */
    public static void run(List<Path> inputs, Path outputDir, boolean dryRun, Consumer<Outcome> each)
            throws IOException {
        List<ModuleFiles.Entry> entries = ModuleFiles.find(inputs);
        try (ModuleSink sink = dryRun ? ModuleSink.dryRun() : outputDir == null ? ModuleSink.inPlace(entries, true)
                : ModuleSink.toDirectory(outputDir, true);
                ModuleRunner runner = new ModuleRunner(Runtime.getRuntime().availableProcessors(), "restore")) {
            runner.eachInput(entries, in -> one(in, sink), each);
        }
    }

    private static Outcome one(ModuleSource.ModuleInput in, ModuleSink sink) {
        if (!in.ok()) {
            return new Outcome(in.path(), null, in.failure().io(), in.failure().message());
        }
        try {
            Optional<byte[]> original = original(in.decoded().elf());
            if (original.isEmpty()) {
                if (!sink.inPlace()) {
                    sink.write(in.entry(), in.file() != null ? in.file() : FileBytes.read(in.entry().file()));
                }
                return new Outcome(in.path(), Status.NOT_PRERESOLVED, false, "");
            }
            if (sink.writes()) {
                sink.write(in.entry(), ModuleCodec.encode(original.get(), in.decoded().compression()));
            }
            return new Outcome(in.path(), Status.RESTORED, false, "");
        } catch (FormatException ex) {
            return new Outcome(in.path(), null, false, ex.getMessage());
        } catch (IOException ex) {
            return new Outcome(in.path(), null, true, ModuleSource.ioMessage(ex, "cannot write"));
        } catch (OutOfMemoryError ex) {
            return new Outcome(in.path(), null, false, ModuleSource.outOfMemory().message());
        }
    }

    /**
     * One module's restore: its status, or what went wrong ({@code io} for an I/O problem, else bad input).
     *
     * @param status null when it failed
     * @param error the one-line error, "" when it did not fail
     */
    public record Outcome(String path, Status status, boolean io, String error) {
        public boolean failed() {
            return status == null;
        }
    }

    /**
     * The original bytes of a preresolved (uncompressed) module, or empty for a plain one. A
     * re-signed module carries our signature after the ELF part holding the record.
     */
    public static Optional<byte[]> original(byte[] elf) throws FormatException {
        if (!ElfFile.isElf(elf)) {
            throw new FormatException("not an ELF file (bad magic)", 0);
        }
        ElfFile f = ElfFile.parse(ModuleSignature.withoutSignature(elf));
        Optional<PreresolvedRecord> rec = Restorer.record(f);
        if (rec.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(Restorer.restore(f, rec.get()));
    }
}
