package org.preresolver.api;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.preresolver.io.ModuleFiles;

/**
 * The modules that command-line inputs name: {@code .ko}, {@code .ko.xz}, {@code .ko.zst},
 * {@code .ko.gz} files, directories walked. One listing serves a whole run (its progress count
 * and its modules), and it can be made while the kernel loads: {@link #start}.
 */
public final class Inputs {
    private final List<Path> paths;
    private final CompletableFuture<List<ModuleFiles.Entry>> entries;

    private Inputs(List<Path> paths, CompletableFuture<List<ModuleFiles.Entry>> entries) {
        this.paths = paths;
        this.entries = entries;
    }

    /** The inputs listed now. */
    public static Inputs list(List<Path> paths) {
        List<Path> copy = List.copyOf(paths);
        CompletableFuture<List<ModuleFiles.Entry>> f = new CompletableFuture<>();
        listInto(copy, f);
        return new Inputs(copy, f);
    }

    /**
     * The inputs listed on a daemon thread from now on: a walk of Debian's 4000-module tree takes
     * 0.1 s, which the command line spends loading the kernel meanwhile. Whatever is wrong with the
     * inputs is thrown when they are first used, as by {@link #list}.
     */
    public static Inputs start(List<Path> paths) {
        List<Path> copy = List.copyOf(paths);
        CompletableFuture<List<ModuleFiles.Entry>> f = new CompletableFuture<>();
        Thread t = new Thread(() -> listInto(copy, f), "list-inputs");
        t.setDaemon(true);
        t.start();
        return new Inputs(copy, f);
    }

    private static void listInto(List<Path> paths, CompletableFuture<List<ModuleFiles.Entry>> f) {
        try {
            f.complete(ModuleFiles.find(paths));
        } catch (IOException | RuntimeException e) {
            f.completeExceptionally(e);
        }
    }

    /** The paths as given. */
    public List<Path> paths() {
        return paths;
    }

    /**
     * How many modules the inputs name.
     *
     * @throws java.nio.file.NoSuchFileException an input does not exist
     */
    public int count() throws IOException {
        return entries().size();
    }

    /** The modules, in the order every command takes them; waits for a listing that is under way. */
    List<ModuleFiles.Entry> entries() throws IOException {
        return ModuleRunner.get(entries);
    }
}
