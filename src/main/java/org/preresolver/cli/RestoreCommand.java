package org.preresolver.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.preresolver.api.Restore;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code lkm-preresolver restore}: undo preresolving. */
@Command(name = "restore", mixinStandardHelpOptions = true,
        header = "Give back the original modules, byte for byte.",
        description = {"Gives back the original modules, byte for byte (signature included), from the",
            "record in their .preresolved section. Prints '  RESTORE <path>' per restored module;",
            "modules that are not preresolved are reported and left alone."},
        footer = ExitCodes.HELP)
final class RestoreCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Mode mode;

    static final class Mode {
        @Option(names = {"-o", "--output"}, paramLabel = "DIR", required = true,
                description = "Write the originals here, mirroring each input tree.")
        Path output;

        @Option(names = "--in-place", required = true, description = "Restore the files where they are.")
        boolean inPlace;

        @Option(names = {"-n", "--dry-run"}, required = true, description = "Only report.")
        boolean dryRun;
    }

    @Option(names = {"-q", "--quiet"}, description = "Print only errors.")
    boolean quiet;

    @Parameters(paramLabel = "MODULE|DIR", arity = "1..*", description = "Modules and directories.")
    List<Path> inputs;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        int[] code = {ExitCodes.OK};
        int[] restored = {0};
        int[] plain = {0};
        Restore.run(inputs, mode.inPlace ? null : mode.output, mode.dryRun, o -> {
            if (o.failed()) {
                err.println("lkm-preresolver: " + o.path() + ": " + o.error());
                code[0] = o.io() || code[0] == ExitCodes.IO ? ExitCodes.IO : ExitCodes.BAD_INPUT;
            } else if (o.status() == Restore.Status.RESTORED) {
                restored[0]++;
                if (!quiet) {
                    out.println("  RESTORE " + o.path());
                }
            } else {
                plain[0]++;
                if (!quiet) {
                    out.println("  RESTORE " + o.path() + " (not preresolved)");
                }
            }
        });
        if (!quiet) {
            out.println((mode.dryRun ? "dry run: " : "") + restored[0] + " restored, " + plain[0] + " not preresolved");
        }
        out.flush();
        err.flush();
        return code[0];
    }
}
