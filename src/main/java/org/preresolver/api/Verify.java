package org.preresolver.api;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.preresolver.elf.FormatException;
import org.preresolver.io.ModuleFiles;
import org.preresolver.io.TargetCapture;
import org.preresolver.kernel.KernelExports;
import org.preresolver.kernel.RunningKernel;
import org.preresolver.preresolve.Options;
import org.preresolver.preresolve.Verifier;
import org.preresolver.report.VerifyFormat;

/**
 * Verifies module files and trees against a kernel image or a captured running target, in
 * parallel, reporting each module in input order.
 */
public final class Verify {
    private Verify() {}

    /** What verifying one module found. */
    public enum Status {
        /** Preresolved, and right for the kernel. */
        OK,
        /** Preresolved for another kernel, or no longer admitted: see the problems. */
        STALE,
        /** No record: a plain module, which any kernel of its release takes. */
        NOT_PRERESOLVED,
        /** The module or its record is malformed. */
        ERROR,
        /** The module could not be read. */
        IO_ERROR
    }

    /**
     * One module's result.
     *
     * @param path the path to show (relative to its tree)
     * @param verdict the verdict; null for ERROR and IO_ERROR
     * @param error what went wrong for ERROR and IO_ERROR, "" otherwise
     */
    public record ModuleResult(String path, Status status, Verifier.Verdict verdict, String error) {
        /** The problems that make the module stale, in words; empty when it is not stale. */
        public List<String> problems() {
            return verdict == null ? List.of() : VerifyFormat.problems(verdict);
        }

        /** Notes that do not make the module stale. */
        public List<String> notes() {
            return verdict == null ? List.of() : VerifyFormat.notes(verdict);
        }

        /** How many symbols the record says were preresolved. */
        public int patched() {
            return verdict == null ? 0 : verdict.patched();
        }
    }

    /**
     * The results of a run, in input order.
     *
     * @param against what the modules were checked against, in words: the image, or the target and its release
     */
    public record Summary(List<ModuleResult> results, String against) {
        public Summary {
            results = List.copyOf(results);
        }

        public long count(Status s) {
            return results.stream().filter(r -> r.status() == s).count();
        }
    }

    @FunctionalInterface
    private interface Check {
        Verifier.Verdict check(byte[] elf) throws FormatException;
    }

    /**
     * Verifies against a kernel image's exports.
     *
     * @param trees more module trees, read only to learn which symbols modules export (the
     *     proprietary-provider guard depends on it, as it does when preresolving)
     */
    public static Summary againstKernel(KernelExports kernel, List<Path> inputs, List<Path> trees, int threads,
            Consumer<ModuleResult> listener) throws IOException {
        List<ModuleFiles.Entry> entries = ModuleFiles.find(inputs);
        try (ModuleRunner runner = new ModuleRunner(threads, "verify")) {
            List<ModuleFiles.Entry> known = new ArrayList<>(entries);
            known.addAll(ModuleFiles.find(trees));
            Map<String, Options.Provider> providers = TreeRunner.providers(known, runner, ModuleSource.Kept.none());
            Options options = Options.defaults().withProviders(providers);
            return new Summary(run(runner, entries, elf -> Verifier.againstKernel(elf, kernel, options), listener),
                    kernel.source());
        }
    }

    /** Verifies against a loaded kernel image's exports; see {@link #againstKernel(KernelExports, List, List, int, Consumer)}. */
    public static Summary againstKernel(Kernel kernel, List<Path> inputs, List<Path> trees, int threads,
            Consumer<ModuleResult> listener) throws IOException {
        return againstKernel(kernel.exports(), inputs, trees, threads, listener);
    }

    /**
     * Verifies against a running target captured by the script of {@code target-script} into {@code dir}.
     *
     * @throws FormatException the capture is incomplete or malformed
     */
    public static Summary againstTarget(Path dir, List<Path> inputs, int threads, Consumer<ModuleResult> listener)
            throws IOException, FormatException {
        RunningKernel target = TargetCapture.read(dir);
        Summary s = againstTarget(target, inputs, threads, listener);
        return new Summary(s.results(), "target " + dir + " (" + target.release() + ")");
    }

    /** Verifies against the captured state of a running kernel. */
    public static Summary againstTarget(RunningKernel target, List<Path> inputs, int threads,
            Consumer<ModuleResult> listener) throws IOException {
        List<ModuleFiles.Entry> entries = ModuleFiles.find(inputs);
        try (ModuleRunner runner = new ModuleRunner(threads, "verify")) {
            return new Summary(run(runner, entries, elf -> Verifier.againstTarget(elf, target), listener),
                    "target " + target.release());
        }
    }

    private static List<ModuleResult> run(ModuleRunner runner, List<ModuleFiles.Entry> entries, Check check,
            Consumer<ModuleResult> listener) throws IOException {
        return runner.eachInput(entries, in -> one(in, check), listener);
    }

    private static ModuleResult one(ModuleSource.ModuleInput in, Check check) {
        if (!in.ok()) {
            return new ModuleResult(in.path(), in.failure().io() ? Status.IO_ERROR : Status.ERROR, null,
                    in.failure().message());
        }
        try {
            Verifier.Verdict v = check.check(in.decoded().elf());
            Status s = !v.preresolved() ? Status.NOT_PRERESOLVED : v.stale() ? Status.STALE : Status.OK;
            return new ModuleResult(in.path(), s, v, "");
        } catch (FormatException ex) {
            return new ModuleResult(in.path(), Status.ERROR, null, ex.getMessage());
        } catch (OutOfMemoryError ex) {
            return new ModuleResult(in.path(), Status.ERROR, null, ModuleSource.outOfMemory().message());
        }
    }
}
