package org.preresolver.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.preresolver.api.Restore;
import org.preresolver.elf.FormatException;
import org.preresolver.io.ModuleFiles;
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
        int code = ExitCodes.OK;
        int restored = 0;
        int plain = 0;
        for (ModuleFiles.Entry e : ModuleFiles.find(inputs)) {
            Path target = mode.inPlace || mode.dryRun ? e.file() : mode.output.resolve(e.relative());
            try {
                Restore.Status s = Restore.restore(e.file(), target, mode.dryRun);
                if (s == Restore.Status.RESTORED) {
                    restored++;
                    if (!quiet) {
                        out.println("  RESTORE " + e.display());
                    }
                } else {
                    plain++;
                    if (!quiet) {
                        out.println("  RESTORE " + e.display() + " (not preresolved)");
                    }
                }
            } catch (FormatException ex) {
                err.println("lkm-preresolver: " + e.display() + ": " + ex.getMessage());
                code = Math.max(code, ExitCodes.BAD_INPUT);
            } catch (IOException ex) {
                err.println("lkm-preresolver: " + e.display() + ": " + Messages.io(ex));
                code = ExitCodes.IO;
            }
        }
        if (!quiet) {
            out.println((mode.dryRun ? "dry run: " : "") + restored + " restored, " + plain + " not preresolved");
        }
        out.flush();
        err.flush();
        return code;
    }
}
