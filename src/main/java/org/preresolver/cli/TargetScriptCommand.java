package org.preresolver.cli;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import org.preresolver.api.TargetScript;
import picocli.CommandLine.Command;
import picocli.CommandLine.Spec;

/** {@code lkm-preresolver target-script}: prints the capture script for {@code verify --target}. */
@Command(name = "target-script", mixinStandardHelpOptions = true,
        header = "Print a shell script that captures a running target for verify.",
        description = {"Print a small POSIX sh script (busybox works) that captures the state of",
            "a running target's kernel into a directory: release, build-id notes,",
            "command line and kallsyms. Run it on the target as root, copy the",
            "directory back, then: verify --target DIR MODULE..."},
        footer = ExitCodes.HELP)
final class TargetScriptCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        out.print(TargetScript.text());
        out.flush();
        return ExitCodes.OK;
    }
}
