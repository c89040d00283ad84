package org.preresolver.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.preresolver.api.Inputs;
import org.preresolver.api.Kernel;
import org.preresolver.api.Preresolve;
import org.preresolver.preresolve.RefusedException;
import org.preresolver.report.ReportFormat;
import org.preresolver.report.RunReport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code lkm-preresolver report}: what preresolving a tree does, as tables and charts. Writes no module. */
@Command(name = "report", mixinStandardHelpOptions = true, sortOptions = false,
        header = "Report what preresolving would do: tables and charts.",
        description = {"A dry run over the modules, reported as:",
            "per-module rows (undefined symbols standard and left, preresolved, dependencies, reasons),",
            "totals, the best and worst modules, and the split by dependency class (0, 1, >1).",
            "Formats: text (terminal tables), markdown, csv, json, html (one self-contained file",
            "with SVG charts). A report of a real run: preresolve --report FORMAT[:FILE].",
            "Exits 0 once the report is written, whatever it says about the modules."},
        footer = ExitCodes.HELP)
final class ReportCommand extends TreeCommand {
    @Option(names = {"-f", "--format"}, paramLabel = "FORMAT", defaultValue = "text",
            description = "text, markdown, csv, json or html (default: ${DEFAULT-VALUE}).")
    String format;

    @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "Write the report here instead of stdout.")
    Path output;

    @Option(names = "--top", paramLabel = "N", defaultValue = "10",
            description = "Modules in the best and worst tables (default: ${DEFAULT-VALUE}).")
    int top;

    @Option(names = "--summary", description = "Leave out the per-module table (text, markdown, html).")
    boolean summary;

    @Option(names = "--assume-nokaslr",
            description = "As for preresolve. Without it a KASLR kernel is reported on, with a note that "
                    + "preresolve would refuse it.")
    boolean assumeNokaslr;

    @Option(names = "--strip-signature",
            description = "As for preresolve: count signed modules as preresolved (else they are refused).")
    boolean stripSignature;

    @Option(names = "--allow-unverified-arch", description = "As for preresolve.")
    boolean allowUnverifiedArch;

    @Option(names = "--tree", paramLabel = "DIR",
            description = "More module trees, read to learn which symbols their modules export.")
    List<Path> trees = new ArrayList<>();

    @Option(names = {"-q", "--quiet"}, description = "No progress bar, no notes; errors only.")
    boolean quiet;

    @Override
    int run(PrintWriter out, PrintWriter err, List<Path> inputs, int jobs) throws Exception {
        if (top < 0) {
            throw new UsageException("--top must not be negative");
        }
        ReportSpec target;
        try {
            target = new ReportSpec(ReportFormat.parse(format), output);
        } catch (IllegalArgumentException e) {
            throw new UsageException("--format: " + e.getMessage());
        }
        Inputs listed = Inputs.start(inputs); // walked while the kernel loads
        Kernel k = kernel.load();
        Optional<String> note;
        boolean plain = assumeNokaslr;
        try {
            note = Preresolve.against(k).withAssumeNokaslr(assumeNokaslr).warning();
        } catch (RefusedException e) {
            note = Optional.of("note: preresolve would refuse this kernel: " + e.getMessage());
            plain = true;
        }
        if (!quiet) {
            note.ifPresent(n -> {
                err.println("lkm-preresolver: " + n);
                err.flush();
            });
        }
        Progress progress = Progress.forRun(err, listed, quiet);
        RunReport run = Preresolve.against(k).withAssumeNokaslr(plain).withStripSignature(stripSignature)
                .withAllowUnverifiedArch(allowUnverifiedArch).withThreads(jobs).withProviderTrees(trees)
                .withProgress(progress::step).dryRun(listed);
        progress.finish();
        long failed = run.failures();
        if (failed > 0 && !quiet) {
            err.println("lkm-preresolver: " + failed + " of " + run.moduleCount()
                    + " modules failed or were refused; the report says why");
            err.flush();
        }
        target.write(run, top, !summary, out);
        return ExitCodes.OK; // the modules that failed are in the report; preresolve -n is the gate
    }
}
