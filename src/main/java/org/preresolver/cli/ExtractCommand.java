package org.preresolver.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.preresolver.elf.FormatException;
import org.preresolver.io.AtomicWriter;
import org.preresolver.kernel.KernelImage;
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
        KernelImage img;
        try {
            img = KernelImage.parse(Files.readAllBytes(image));
        } catch (FormatException e) {
            throw e.withSource(image.toString());
        }
        AtomicWriter.write(output, img.vmlinux().data(), null);
        spec.commandLine().getOut().println("  EXTRACT " + output + " (" + img.form() + ", "
                + img.vmlinux().data().length + " bytes)");
        spec.commandLine().getOut().flush();
        return ExitCodes.OK;
    }
}
