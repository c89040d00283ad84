package org.preresolver.api;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.preresolver.io.AtomicWriter;
import org.preresolver.io.ModuleFiles;
import org.preresolver.io.TreeLock;

/**
 * Where a command's outputs go, the one way every command writes: nowhere (a dry run), into a
 * directory mirroring each input tree (never through a symbolic link on the way), or over the
 * inputs, with every input tree locked against another run and the temporary files of a killed
 * run removed first. Each write goes to a temporary file beside the target, renamed over it.
 */
final class ModuleSink implements AutoCloseable {
    private final Path outputDir;
    private final boolean inPlace;
    private final boolean sync;
    private final AutoCloseable locks;

    private ModuleSink(Path outputDir, boolean inPlace, boolean sync, AutoCloseable locks) {
        this.outputDir = outputDir;
        this.inPlace = inPlace;
        this.sync = sync;
        this.locks = locks;
    }

    /** Writes nothing. */
    static ModuleSink dryRun() {
        return new ModuleSink(null, false, false, () -> { });
    }

    /** Into {@code dir}, mirroring each input tree. */
    static ModuleSink toDirectory(Path dir, boolean sync) {
        return new ModuleSink(dir, false, sync, () -> { });
    }

    /**
     * Over the inputs: locks every input tree and removes the temporary files a killed run left.
     *
     * @throws TreeLock.LockedException another run holds a tree's lock
     */
    static ModuleSink inPlace(List<ModuleFiles.Entry> entries, boolean sync) throws IOException {
        AutoCloseable locks = TreeLock.acquireAll(entries);
        try {
            Set<Path> dirs = new HashSet<>();
            for (ModuleFiles.Entry e : entries) {
                Path d = e.file().toAbsolutePath().getParent();
                if (dirs.add(d)) {
                    AtomicWriter.removeStaleTemps(d);
                }
            }
        } catch (IOException e) {
            closeQuietly(locks);
            throw e;
        }
        return new ModuleSink(null, true, sync, locks);
    }

    /** The sink a {@link RunConfig} names; {@code entries} are its inputs. */
    static ModuleSink of(RunConfig cfg, List<ModuleFiles.Entry> entries) throws IOException {
        return cfg.dryRun() ? dryRun() : cfg.inPlace() ? inPlace(entries, cfg.sync()) : toDirectory(cfg.outputDir(), cfg.sync());
    }

    /** False for a dry run. */
    boolean writes() {
        return inPlace || outputDir != null;
    }

    /** True when outputs replace their inputs. */
    boolean inPlace() {
        return inPlace;
    }

    /**
     * Writes {@code bytes} as the output of {@code e}, atomically, with its permissions; nothing
     * for a dry run. Returns the bytes written.
     */
    long write(ModuleFiles.Entry e, byte[] bytes) throws IOException {
        if (!writes()) {
            return 0;
        }
        Path target = inPlace ? e.file() : outputPath(outputDir, e.relative());
        if (!inPlace) {
            Files.createDirectories(target.toAbsolutePath().getParent());
        }
        AtomicWriter.write(target, bytes, e.file(), sync);
        return bytes.length;
    }

    /**
     * Where {@code relative} goes under the output directory. An existing directory on the way
     * that is a symbolic link is refused: following it would write outside the output tree.
     */
    static Path outputPath(Path outputDir, Path relative) throws IOException {
        Path p = outputDir;
        for (int i = 0; i < relative.getNameCount() - 1; i++) {
            p = p.resolve(relative.getName(i).toString());
            if (Files.isSymbolicLink(p)) {
                throw new IOException("output directory " + outputDir.relativize(p)
                        + " is a symbolic link; not writing through it");
            }
        }
        return outputDir.resolve(relative.toString());
    }

    /** Releases the tree locks. */
    @Override
    public void close() throws IOException {
        try {
            locks.close();
        } catch (IOException e) {
            throw e;
        } catch (Exception e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception ignored) {
            // the first failure is the one reported
        }
    }
}
