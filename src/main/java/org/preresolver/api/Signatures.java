package org.preresolver.api;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import org.preresolver.elf.ElfFile;
import org.preresolver.elf.FormatException;
import org.preresolver.io.ModuleFiles;
import org.preresolver.kernel.ModuleSignature;
import org.preresolver.kernel.SignatureInfo;
import org.preresolver.preresolve.PreresolvedRecord;
import org.preresolver.preresolve.Restorer;
import org.preresolver.report.SignatureFormat;

/**
 * Who signed each module, as kmod's {@code modinfo} shows it, and for a preresolved module the
 * original signature its record keeps; read through the one pipeline ({@link ModuleSource},
 * {@link ModuleRunner}).
 */
public final class Signatures {
    private Signatures() {}

    /**
     * One module's signatures, or what went wrong ({@code io} for an I/O problem, else bad input).
     *
     * @param entry null when it failed
     * @param error the one-line error, "" when it did not fail
     */
    public record Outcome(String path, SignatureFormat.Entry entry, boolean io, String error) {
        public boolean failed() {
            return entry == null;
        }
    }

    /**
     * Reads the signatures of every module of {@code inputs}.
     *
     * @param each called with each module's outcome, in order
     * @throws IOException the inputs cannot be listed
     */
    public static List<Outcome> run(List<Path> inputs, Consumer<Outcome> each) throws IOException {
        List<ModuleFiles.Entry> entries = ModuleFiles.find(inputs);
        try (ModuleRunner runner = new ModuleRunner(Runtime.getRuntime().availableProcessors(), "signature")) {
            return runner.eachInput(entries, in -> one(in), each);
        }
    }

    private static Outcome one(ModuleSource.ModuleInput in) {
        if (!in.ok()) {
            return new Outcome(in.path(), null, in.failure().io(), in.failure().message());
        }
        try {
            return new Outcome(in.path(), read(in.path(), in.decoded().elf()), false, "");
        } catch (FormatException ex) {
            return new Outcome(in.path(), null, false, ex.getMessage());
        }
    }

    /** The signatures of one decoded module file; {@code shown} is the path to show. */
    static SignatureFormat.Entry read(String shown, byte[] bytes) throws FormatException {
        Optional<SignatureInfo> sig = SignatureInfo.read(bytes);
        Optional<SignatureInfo> original = Optional.empty();
        boolean preresolved = false;
        if (ElfFile.isElf(bytes)) {
            Optional<PreresolvedRecord> rec = Restorer.record(ElfFile.parse(ModuleSignature.withoutSignature(bytes)));
            preresolved = rec.isPresent();
            if (rec.isPresent() && rec.get().trailer().length > 0) {
                Optional<ModuleSignature> t = ModuleSignature.parse(rec.get().trailer());
                if (t.isPresent() && t.get().idType() == ModuleSignature.PKEY_ID_PKCS7) {
                    original = Optional.of(SignatureInfo.pkcs7(t.get()));
                }
            }
        }
        return new SignatureFormat.Entry(shown, sig, original, preresolved);
    }
}
