package org.preresolver.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.preresolver.elf.ElfFile;
import org.preresolver.elf.FormatException;
import org.preresolver.io.ModuleCodec;
import org.preresolver.io.ModuleFiles;
import org.preresolver.kernel.ModuleSignature;
import org.preresolver.kernel.SignatureInfo;
import org.preresolver.preresolve.PreresolvedRecord;
import org.preresolver.preresolve.Preresolver;
import org.preresolver.preresolve.Restorer;
import org.preresolver.report.SignatureFormat;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code lkm-preresolver signature}: who signed a module, as modinfo shows it. */
@Command(name = "signature", mixinStandardHelpOptions = true,
        header = "Show module signatures: signer, key id, hash (as modinfo does).",
        description = {"Show the signature of modules as kmod's modinfo does: sig_id, signer (issuer CN),",
            "sig_key (serial number), sig_hashalgo, and the key algorithm. For a preresolved module, also",
            "the original signature kept in its record (original_*). Reads .ko, .ko.xz, .ko.zst, .ko.gz."},
        footer = ExitCodes.HELP)
final class SignatureCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--json", description = "Print JSON.")
    boolean json;

    @Parameters(paramLabel = "MODULE|DIR", arity = "1..*", description = "Modules and directories.")
    List<Path> inputs;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        int code = ExitCodes.OK;
        List<SignatureFormat.Entry> entries = new ArrayList<>();
        for (ModuleFiles.Entry e : ModuleFiles.find(inputs)) {
            try {
                SignatureFormat.Entry entry = read(e.file(), e.display());
                entries.add(entry);
                if (!json) {
                    out.print(SignatureFormat.text(entry));
                }
            } catch (FormatException ex) {
                err.println("lkm-preresolver: " + e.display() + ": " + ex.getMessage());
                code = Math.max(code, ExitCodes.BAD_INPUT);
            } catch (IOException ex) {
                err.println("lkm-preresolver: " + e.display() + ": " + Messages.io(ex));
                code = ExitCodes.IO;
            }
        }
        if (json) {
            SignatureFormat.json(entries, out);
        }
        out.flush();
        err.flush();
        return code;
    }

    static SignatureFormat.Entry read(Path file, String shown) throws IOException, FormatException {
        byte[] bytes = ModuleCodec.decode(org.preresolver.io.ModuleFiles.read(file)).elf();
        Optional<SignatureInfo> sig = SignatureInfo.read(bytes);
        Optional<SignatureInfo> original = Optional.empty();
        boolean preresolved = false;
        if (ElfFile.isElf(bytes)) {
            Optional<PreresolvedRecord> rec = Restorer.record(ElfFile.parse(Preresolver.withoutSignature(bytes)));
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
