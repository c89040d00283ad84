package org.preresolver.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.preresolver.api.Signatures;
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
        int[] code = {ExitCodes.OK};
        List<SignatureFormat.Entry> entries = new ArrayList<>();
        Signatures.run(inputs, o -> {
            if (o.failed()) {
                err.println("lkm-preresolver: " + o.path() + ": " + o.error());
                code[0] = o.io() || code[0] == ExitCodes.IO ? ExitCodes.IO : ExitCodes.BAD_INPUT;
                return;
            }
            entries.add(o.entry());
            if (!json) {
                out.print(SignatureFormat.text(o.entry()));
            }
        });
        if (json) {
            SignatureFormat.json(entries, out);
        }
        out.flush();
        err.flush();
        return code[0];
    }
}
