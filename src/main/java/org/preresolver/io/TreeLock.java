package org.preresolver.io;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * An exclusive lock on a module tree for an in-place run: a second run on the same tree gets a
 * clear error instead of interleaving with the first. The lock is held on
 * {@code .lkm-preresolver.lock} in the tree's root and released by the OS if the process dies.
 */
public final class TreeLock implements AutoCloseable {
    public static final String NAME = ".lkm-preresolver.lock";

    private final Path file;
    private final FileChannel channel;
    private final FileLock lock;

    private TreeLock(Path file, FileChannel channel, FileLock lock) {
        this.file = file;
        this.channel = channel;
        this.lock = lock;
    }

    /** Takes the lock, or throws {@link LockedException} when another run holds it. */
    public static TreeLock acquire(Path root) throws IOException {
        Path f = root.resolve(NAME);
        FileChannel ch = FileChannel.open(f, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock l;
        try {
            l = ch.tryLock();
        } catch (OverlappingFileLockException e) {
            l = null;
        }
        if (l == null) {
            ch.close();
            throw new LockedException(root + ": another lkm-preresolver run is working on this tree (" + NAME + ")");
        }
        return new TreeLock(f, ch, l);
    }

    /**
     * Locks the tree of every entry (its root argument) for an in-place run; the returned handle
     * releases them all. Throws {@link LockedException} when another run holds one.
     */
    public static AutoCloseable acquireAll(java.util.List<ModuleFiles.Entry> entries) throws IOException {
        java.util.Set<Path> roots = new java.util.LinkedHashSet<>();
        for (ModuleFiles.Entry e : entries) {
            roots.add(e.root().toAbsolutePath().normalize());
        }
        java.util.List<TreeLock> locks = new java.util.ArrayList<>();
        try {
            for (Path r : roots) {
                locks.add(acquire(r));
            }
        } catch (IOException e) {
            for (TreeLock l : locks) {
                l.close();
            }
            throw e;
        }
        return () -> {
            for (TreeLock l : locks) {
                l.close();
            }
        };
    }

    @Override
    public void close() throws IOException {
        try {
            java.nio.file.Files.deleteIfExists(file); // still held: no other run can be inside
            lock.release();
        } finally {
            channel.close();
        }
    }

    /** The tree is locked by another run. */
    public static final class LockedException extends IOException {
        public LockedException(String message) {
            super(message);
        }
    }
}
