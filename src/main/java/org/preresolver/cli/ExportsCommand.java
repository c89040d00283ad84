package org.preresolver.cli;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import org.preresolver.report.ExportsFormat;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code lkm-preresolver exports}: dump the kernel's export table. */
@Command(name = "exports", mixinStandardHelpOptions = true,
        header = "Print the kernel's export table, as Module.symvers does.",
        description = {"Prints the symbols vmlinux exports, sorted by name, in Module.symvers format",
            "(crc, name, vmlinux, export type, namespace) with the address as a sixth column:",
            "  diff <(lkm-preresolver exports --symvers-only -k vmlinuz) <(grep -P '\\tvmlinux\\t' Module.symvers | sort -k2)"},
        footer = ExitCodes.HELP)
final class ExportsCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Mixin
    KernelOptions kernel;

    @Option(names = "--symvers-only", description = "Omit the address column: exactly Module.symvers' columns.")
    boolean symversOnly;

    @Option(names = "--layout", description = "Print the detected table layout and kernel identity first, as # comments.")
    boolean layout;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        out.print(ExportsFormat.text(kernel.load().exports(), layout, !symversOnly));
        out.flush();
        return ExitCodes.OK;
    }
}
