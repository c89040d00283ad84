package org.preresolver.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.preresolver.api.Kernel;
import org.preresolver.api.Preresolve;
import org.preresolver.preresolve.RefusedException;
import org.preresolver.report.JsonFormat;
import org.preresolver.report.RunReport;
import org.preresolver.report.TextFormat;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code lkm-preresolver explain}: every undefined symbol of a module and what would happen to it. */
@Command(name = "explain", mixinStandardHelpOptions = true,
        header = "Show what happens to each undefined symbol, and why.",
        description = {"Lists each undefined symbol of the modules with its outcome: the address it is",
            "preresolved to, or why it stays undefined. Writes nothing."},
        footer = ExitCodes.HELP)
final class ExplainCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Mixin
    KernelOptions kernel;

    @Option(names = "--tree", paramLabel = "DIR",
            description = "The module tree, to name the module that exports a symbol vmlinux does not.")
    List<Path> trees = new ArrayList<>();

    @Option(names = "--json", description = "Print JSON.")
    boolean json;

    @Option(names = "--assume-nokaslr",
            description = "As for preresolve: explain plain (absolute) mode for a kernel that randomises its base.")
    boolean assumeNokaslr;

    @Parameters(paramLabel = "MODULE|DIR", arity = "1..*", description = "Modules to explain.")
    List<Path> inputs;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Kernel k = kernel.load();
        Preresolve pre = Preresolve.against(k).withStripSignature(true).withAllowUnverifiedArch(true)
                .withAssumeNokaslr(assumeNokaslr).withOutcomes(true).withProviderTrees(trees).withSync(false);
        try {
            pre.warning();
        } catch (RefusedException e) {
            err.println("lkm-preresolver: note: preresolve would refuse this kernel (" + e.getMessage()
                    + "); explaining plain mode");
            pre = pre.withAssumeNokaslr(true);
        }
        int digits = k.is64() ? 16 : 8;
        RunReport r = pre.withListener(m -> {
            if (m.status().failed()) {
                err.println("lkm-preresolver: " + TextFormat.error(m));
            } else if (!json) {
                out.print(TextFormat.explain(m, digits));
            }
        }).dryRun(inputs);
        if (json) {
            JsonFormat.write(r, out);
        }
        out.flush();
        err.flush();
        return PreresolveCommand.exitCode(r);
    }
}
