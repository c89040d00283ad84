package org.preresolver.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.preresolver.api.RunConfig;
import org.preresolver.api.TreeRunner;
import org.preresolver.io.KernelLoader;
import org.preresolver.preresolve.KaslrCheck;
import org.preresolver.preresolve.Options;
import org.preresolver.preresolve.Outcome;
import org.preresolver.preresolve.Preresolver;
import org.preresolver.preresolve.SymbolOutcome;
import org.preresolver.report.JsonFormat;
import org.preresolver.report.ModuleReport;
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
        KernelLoader.LoadedKernel k = kernel.load();
        Options.Mode mode;
        try {
            mode = KaslrCheck.decide(k.exports().identity(), k.config(), k.configNote(), assumeNokaslr).mode();
        } catch (org.preresolver.preresolve.RefusedException e) {
            err.println("lkm-preresolver: note: preresolve would refuse this kernel (" + e.getMessage()
                    + "); explaining plain mode");
            mode = Options.Mode.PLAIN;
        }
        Options.Mode bind = mode;
        TreeRunner runner = new TreeRunner(p -> new Preresolver(k.exports(),
                Options.defaults().withStripSignature(true).withAllowUnverifiedArch(true).withProviders(p).withMode(bind)));
        RunConfig cfg = new RunConfig(inputs, null, false, true, false, Runtime.getRuntime().availableProcessors(),
                true, trees, false);
        RunReport r = runner.run(cfg, m -> {
            if (m.status().failed()) {
                err.println("lkm-preresolver: " + TextFormat.error(m));
            } else if (!json) {
                print(m, out, k.exports().identity().is64() ? 16 : 8);
            }
        });
        if (json) {
            JsonFormat.write(r, out);
        }
        out.flush();
        err.flush();
        return PreresolveCommand.exitCode(r);
    }

    private static void print(ModuleReport m, PrintWriter out, int digits) {
        out.println(TextFormat.line(m).strip().substring("PRERESV ".length()));
        int w = 8;
        for (SymbolOutcome o : m.outcomes()) {
            w = Math.max(w, o.name().length());
        }
        for (SymbolOutcome o : m.outcomes()) {
            String what;
            if (o.outcome() instanceof Outcome.Preresolved p) {
                what = String.format(Locale.ROOT, "0x%0" + digits + "x", p.address())
                        + (p.binding() == Outcome.Binding.ANCHORED ? " (anchored)" : "");
            } else {
                Outcome.Left l = (Outcome.Left) o.outcome();
                what = "left: " + l.reason().text() + (l.detail().isEmpty() ? "" : " (" + l.detail() + ")");
            }
            out.println(String.format(Locale.ROOT, "  %-" + w + "s %s%s", o.name(), o.weak() ? "[weak] " : "", what));
        }
    }
}
