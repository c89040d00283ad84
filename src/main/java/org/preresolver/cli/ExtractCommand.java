package org.preresolver.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.preresolver.api.Kernel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code lkm-preresolver extract}: the ELF vmlinux inside a compressed image, as scripts/extract-vmlinux does. */
@Command(name = "extract", mixinStandardHelpOptions = true,
        header = "Write the ELF vmlinux found inside a kernel image.",
        description = "Finds the ELF vmlinux in a bzImage payload or a compressed vmlinux, as scripts/extract-vmlinux does.",
        footer = ExitCodes.HELP)
final class ExtractCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "IMAGE", description = "The kernel image.")
    Path image;

    @Option(names = {"-o", "--output"}, paramLabel = "FILE", required = true, description = "Where to write the ELF.")
    Path output;

    @Override
    public Integer call() throws Exception {
        Kernel.Extracted x = Kernel.extract(image, output);
        spec.commandLine().getOut().println("  EXTRACT " + output + " (" + x.form() + ", " + x.bytes() + " bytes)");
        spec.commandLine().getOut().flush();
        return ExitCodes.OK;
    }
}
