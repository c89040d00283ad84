package org.preresolver.api;

import java.nio.file.Path;
import java.util.List;

/**
 * Where a tree run reads and writes.
 *
 * @param inputs module files and directories (walked recursively)
 * @param outputDir mirror the input tree here; null with {@code inPlace} or {@code dryRun}
 * @param inPlace rewrite the input files
 * @param dryRun decide and report, write nothing
 * @param failFast stop at the first failed module
 * @param threads worker threads, at least 1
 * @param keepOutcomes keep every symbol's outcome in the reports (for explain and reports)
 * @param providerTrees more module trees, read only to learn which symbols modules export
 * @param sync flush each output to disk before renaming it into place (power-loss safe)
 */
public record RunConfig(List<Path> inputs, Path outputDir, boolean inPlace, boolean dryRun, boolean failFast,
        int threads, boolean keepOutcomes, List<Path> providerTrees, boolean sync) {

    public RunConfig {
        inputs = List.copyOf(inputs);
        providerTrees = List.copyOf(providerTrees);
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1");
        }
        int modes = (outputDir != null ? 1 : 0) + (inPlace ? 1 : 0) + (dryRun ? 1 : 0);
        if (modes != 1) {
            throw new IllegalArgumentException("exactly one of an output directory, in-place or dry-run is needed");
        }
    }

    public static RunConfig dryRun(List<Path> inputs) {
        return new RunConfig(inputs, null, false, true, false, Runtime.getRuntime().availableProcessors(), false,
                List.of(), false);
    }
}
