package org.preresolver.cli;

import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** The module arguments and worker count of the commands that walk module trees, as a picocli mixin. */
final class TreeArgs {
    @Option(names = {"-j", "--jobs"}, paramLabel = "N", description = "Worker threads (default: the number of CPUs).")
    int jobs = Runtime.getRuntime().availableProcessors();

    @Parameters(paramLabel = "MODULE|DIR", arity = "0..*",
            description = "Module files (.ko, .ko.xz, .ko.zst, .ko.gz) and directories, walked recursively. "
                    + "None with -k /usr/lib/modules/RELEASE/vmlinuz: that directory's tree.")
    List<Path> inputs;

    /** The worker count, checked. */
    int jobs() throws UsageException {
        if (jobs < 1) {
            throw new UsageException("--jobs must be at least 1");
        }
        return jobs;
    }

    /**
     * Fills in the default tree when no module was named: the directory of a kernel image installed as
     * Debian 13+ installs it ({@code /usr/lib/modules/RELEASE/vmlinuz} beside {@code kernel/}).
     * Otherwise at least one module or directory is required. Call once, before {@link #inputs()}.
     */
    void defaultTo(KernelOptions kernel) throws UsageException {
        if (inputs != null && !inputs.isEmpty()) {
            return;
        }
        java.util.Optional<Path> tree = kernel == null || kernel.kernel == null ? java.util.Optional.empty()
                : org.preresolver.api.Kernel.moduleTreeBeside(kernel.kernel);
        if (tree.isEmpty()) {
            throw new UsageException("no modules given: name module files or directories (only a kernel given as "
                    + ".../modules/RELEASE/vmlinuz implies its own tree)");
        }
        inputs = List.of(tree.get());
    }

    List<Path> inputs() {
        return inputs;
    }
}
