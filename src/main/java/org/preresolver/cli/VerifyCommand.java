package org.preresolver.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.preresolver.api.Verify;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code lkm-preresolver verify}: are the preresolved modules right for this kernel? */
@Command(name = "verify", mixinStandardHelpOptions = true, sortOptions = false,
        header = "Check preresolved modules against a kernel or a running target.",
        description = {"Check preresolved modules against a kernel image (--kernel, or --symvers",
            "with --system-map), or against a running target captured by the script",
            "of 'target-script' (--target DIR). One line per module:",
            "  OK      <path> (<n> preresolved symbols)",
            "  STALE   <path>: <reason>[; <reason>...]",
            "  PLAIN   <path> (not preresolved)",
            "Stale: the record names another release or build, a patched symbol has",
            "another address or is no longer exported, or the kernel's checks would",
            "now refuse one. Exit code 6 when any module is stale; a plain module is",
            "not an error."},
        footer = ExitCodes.HELP)
final class VerifyCommand extends TreeCommand {
    @Option(names = "--target", paramLabel = "DIR",
            description = "A running target's state, captured by the script of 'lkm-preresolver target-script'.")
    Path target;

    @Option(names = "--tree", paramLabel = "DIR",
            description = "More modules, read only to learn which module exports what (as when preresolving).")
    List<Path> trees = new ArrayList<>();

    @Option(names = {"-v", "--verbose"}, description = "Also print notes that do not make a module stale.")
    boolean verbose;

    @Option(names = {"-q", "--quiet"}, description = "Print only stale modules and errors.")
    boolean quiet;

    @Override
    int run(PrintWriter out, PrintWriter err, List<Path> inputs, int jobs) throws Exception {
        boolean kernelGiven = kernel.kernel != null || kernel.symvers != null || kernel.systemMap != null;
        Verify.Summary s;
        if (target != null) {
            if (kernelGiven) {
                throw new UsageException("give either a kernel (--kernel, --symvers/--system-map) or --target, not both");
            }
            s = Verify.againstTarget(target, inputs, jobs, r -> print(r, out, err));
        } else {
            if (!kernelGiven) {
                throw new UsageException("no kernel given: use --kernel FILE, --symvers FILE --system-map FILE, "
                        + "or --target DIR");
            }
            s = Verify.againstKernel(kernel.load(), inputs, trees, jobs, r -> print(r, out, err));
        }
        if (!quiet) {
            out.println("verify: " + s.count(Verify.Status.OK) + " ok, " + s.count(Verify.Status.STALE) + " stale, "
                    + s.count(Verify.Status.NOT_PRERESOLVED) + " not preresolved"
                    + errors(s.count(Verify.Status.ERROR) + s.count(Verify.Status.IO_ERROR)) + " (against " + s.against()
                    + ")");
        }
        out.flush();
        err.flush();
        if (s.count(Verify.Status.IO_ERROR) > 0) {
            return ExitCodes.IO;
        }
        if (s.count(Verify.Status.ERROR) > 0) {
            return ExitCodes.BAD_INPUT;
        }
        return s.count(Verify.Status.STALE) > 0 ? ExitCodes.STALE : ExitCodes.OK;
    }

    private static String errors(long n) {
        return n == 0 ? "" : ", " + n + (n == 1 ? " error" : " errors");
    }

    private void print(Verify.ModuleResult r, PrintWriter out, PrintWriter err) {
        switch (r.status()) {
            case ERROR, IO_ERROR -> {
                err.println("lkm-preresolver: " + r.path() + ": " + r.error());
                err.flush();
            }
            case STALE -> out.println("  STALE   " + r.path() + ": " + String.join("; ", r.problems()));
            case OK -> {
                if (!quiet) {
                    out.println("  OK      " + r.path() + " (" + r.patched() + " preresolved symbol"
                            + (r.patched() == 1 ? "" : "s") + ")"
                            + (verbose && !r.notes().isEmpty() ? "; " + String.join("; ", r.notes()) : ""));
                }
            }
            case NOT_PRERESOLVED -> {
                if (!quiet) {
                    out.println("  PLAIN   " + r.path() + " (not preresolved)");
                }
            }
        }
    }
}
