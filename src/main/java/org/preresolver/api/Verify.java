package org.preresolver.api;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;
import org.preresolver.elf.FormatException;
import org.preresolver.io.ModuleCodec;
import org.preresolver.io.ModuleFiles;
import org.preresolver.kernel.KernelExports;
import org.preresolver.kernel.RunningKernel;
import org.preresolver.preresolve.Options;
import org.preresolver.preresolve.Verifier;

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
    public record ModuleResult(String path, Status status, Verifier.Verdict verdict, String error) {}

    /** Counts of a run. */
    public record Summary(List<ModuleResult> results) {
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
        ExecutorService pool = pool(threads);
        try {
            List<ModuleFiles.Entry> known = new ArrayList<>(entries);
            known.addAll(ModuleFiles.find(trees));
            Map<String, Options.Provider> providers = TreeRunner.providers(known, pool);
            Options options = Options.defaults().withProviders(providers);
            return run(entries, elf -> Verifier.againstKernel(elf, kernel, options), pool, listener);
        } finally {
            pool.shutdownNow();
        }
    }

    /** Verifies against the captured state of a running kernel. */
    public static Summary againstTarget(RunningKernel target, List<Path> inputs, int threads,
            Consumer<ModuleResult> listener) throws IOException {
        List<ModuleFiles.Entry> entries = ModuleFiles.find(inputs);
        ExecutorService pool = pool(threads);
        try {
            return run(entries, elf -> Verifier.againstTarget(elf, target), pool, listener);
        } finally {
            pool.shutdownNow();
        }
    }

    private static ExecutorService pool(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1");
        }
        return Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "verify");
            t.setDaemon(true);
            return t;
        });
    }

    private static Summary run(List<ModuleFiles.Entry> entries, Check check, ExecutorService pool,
            Consumer<ModuleResult> listener) throws IOException {
        List<Future<ModuleResult>> futures = new ArrayList<>();
        for (ModuleFiles.Entry e : entries) {
            futures.add(pool.submit(() -> one(e, check)));
        }
        List<ModuleResult> out = new ArrayList<>();
        for (Future<ModuleResult> f : futures) {
            ModuleResult r;
            try {
                r = f.get();
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", ex);
            } catch (ExecutionException ex) {
                Throwable c = ex.getCause();
                if (c instanceof RuntimeException re) {
                    throw re;
                }
                if (c instanceof Error err) {
                    throw err;
                }
                throw new IOException(c);
            }
            out.add(r);
            listener.accept(r);
        }
        return new Summary(out);
    }

    private static ModuleResult one(ModuleFiles.Entry e, Check check) {
        String path = e.display();
        byte[] file;
        try {
            file = ModuleFiles.read(e.file());
        } catch (IOException ex) {
            return new ModuleResult(path, Status.IO_ERROR, null, TreeRunner.ioMessage(ex, "cannot read"));
        } catch (FormatException ex) {
            return new ModuleResult(path, Status.ERROR, null, ex.getMessage());
        }
        try {
            Verifier.Verdict v = check.check(ModuleCodec.decode(file).elf());
            Status s = !v.preresolved() ? Status.NOT_PRERESOLVED : v.stale() ? Status.STALE : Status.OK;
            return new ModuleResult(path, s, v, "");
        } catch (FormatException ex) {
            return new ModuleResult(path, Status.ERROR, null, ex.getMessage());
        }
    }
}
