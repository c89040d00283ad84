package org.preresolver.cli;

import java.io.IOException;
import java.nio.file.Path;
import org.preresolver.api.Kernel;
import org.preresolver.elf.FormatException;
import picocli.CommandLine.Option;

/** How a command is told about the kernel: an image, or Module.symvers with a System.map. */
final class KernelOptions {
    @Option(names = {"-k", "--kernel"}, paramLabel = "FILE",
            description = "Kernel image: ELF vmlinux, x86 bzImage/vmlinuz (any payload compression but lzo), "
                    + "or a compressed vmlinux.")
    Path kernel;

    @Option(names = "--symvers", paramLabel = "FILE",
            description = "Module.symvers, for images that are not ELF (with --system-map).")
    Path symvers;

    @Option(names = "--system-map", paramLabel = "FILE",
            description = "System.map or a captured /proc/kallsyms (with --symvers).")
    Path systemMap;

    @Option(names = "--release", paramLabel = "RELEASE",
            description = "Kernel release, for --symvers input (an image's own banner is used otherwise).")
    String release;

    @Option(names = "--config", paramLabel = "FILE",
            description = "Kernel .config (for KASLR). Default: the image's IKCONFIG, else config-RELEASE beside "
                    + "the image, config beside a vmlinuz in /usr/lib/modules/RELEASE/, /boot/config-RELEASE, "
                    + ".config beside the image.")
    Path config;

    Kernel load() throws IOException, FormatException, UsageException {
        if (kernel != null) {
            if (symvers != null || systemMap != null) {
                throw new UsageException("give either --kernel, or --symvers with --system-map, not both");
            }
            return Kernel.fromImage(kernel, config);
        }
        if (symvers != null && systemMap != null) {
            return Kernel.fromSymbolFiles(symvers, systemMap, config, release);
        }
        if (symvers != null || systemMap != null) {
            throw new UsageException("--symvers and --system-map go together");
        }
        throw new UsageException("no kernel given: use --kernel FILE, or --symvers FILE --system-map FILE");
    }
}
