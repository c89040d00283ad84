package org.preresolver.api;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.preresolver.io.ModuleFiles;

/**
 * The one runner of every command over modules: chunks of neighbouring modules
 * ({@link ModuleSource#chunks}) on worker threads, each module's result handed on in input order
 * from the calling thread. With fail-fast the modules run one after the other in the calling
 * thread, so that nothing after the first failure is read or written and no write is cut short.
 * Closing it lets the workers finish their clean-up (temporary files) before it returns.
 */
final class ModuleRunner implements AutoCloseable {
    /** Work over neighbouring modules: one result per module, in order; never throws for a module's own problem. */
    @FunctionalInterface
    interface ChunkWork<T> {
        List<T> apply(List<ModuleFiles.Entry> chunk);
    }

    private final ExecutorService pool;

    ModuleRunner(int threads, String name) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1");
        }
        pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Runs {@code work} over every entry; {@code listener} gets each result in input order.
     *
     * @param failed with {@code failFast}, the result after which nothing more is run
     */
    <T> List<T> run(List<ModuleFiles.Entry> entries, boolean failFast, ChunkWork<T> work, Predicate<T> failed,
            Consumer<T> listener) throws IOException {
        List<T> out = new ArrayList<>(entries.size());
        if (failFast) {
            for (ModuleFiles.Entry e : entries) {
                T r = work.apply(List.of(e)).get(0);
                out.add(r);
                listener.accept(r);
                if (failed.test(r)) {
                    break;
                }
            }
            return out;
        }
        List<Future<List<T>>> futures = new ArrayList<>();
        for (List<ModuleFiles.Entry> chunk : ModuleSource.chunks(entries)) {
            futures.add(pool.submit(() -> work.apply(chunk)));
        }
        for (Future<List<T>> f : futures) {
            for (T r : get(f)) {
                out.add(r);
                listener.accept(r);
            }
        }
        return out;
    }

    /**
     * Every module read and decoded by {@link ModuleSource} (nothing kept from an earlier pass) and
     * handed to {@code each}, in parallel chunks; {@code listener} gets each result in input order.
     */
    <T> List<T> eachInput(List<ModuleFiles.Entry> entries, java.util.function.Function<ModuleSource.ModuleInput, T> each,
            Consumer<T> listener) throws IOException {
        return run(entries, false, chunk -> ModuleSource.read(chunk, ModuleSource.Kept.none()).stream().map(each).toList(),
                r -> false, listener);
    }

    /** {@link #run} without a listener or fail-fast: every result, in order. */
    <T> List<T> map(List<ModuleFiles.Entry> entries, ChunkWork<T> work) throws IOException {
        return run(entries, false, work, r -> false, r -> { });
    }

    @Override
    public void close() {
        pool.shutdownNow();
        try {
            pool.awaitTermination(60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The result of work on another thread: what it threw is thrown here, an I/O error as it was. */
    static <T> T get(Future<T> f) throws IOException {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof IOException io) {
                throw io;
            }
            if (c instanceof RuntimeException re) {
                throw re;
            }
            if (c instanceof Error err) {
                throw err;
            }
            throw new IOException(c);
        }
    }
}
