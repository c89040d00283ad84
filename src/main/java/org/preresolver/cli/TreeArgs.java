package org.preresolver.cli;

import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** The module arguments and worker count of the commands that walk module trees, as a picocli mixin. */
final class TreeArgs {
    @Option(names = {"-j", "--jobs"}, paramLabel = "N", description = "Worker threads (default: the number of CPUs).")
    int jobs = Runtime.getRuntime().availableProcessors();

    @Parameters(paramLabel = "MODULE|DIR", arity = "1..*",
            description = "Module files (.ko, .ko.xz, .ko.zst, .ko.gz) and directories, walked recursively.")
    List<Path> inputs;

    /** The worker count, checked. */
    int jobs() throws UsageException {
        if (jobs < 1) {
            throw new UsageException("--jobs must be at least 1");
        }
        return jobs;
    }

    List<Path> inputs() {
        return inputs;
    }
}
