package org.preresolver.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Writes a file so that readers only ever see the old or the complete new contents: a temp file
 * in the target's directory, the same permissions as the file it replaces, {@code force(true)},
 * then an atomic rename. On any failure the temp file is removed and the target is untouched.
 */
public final class AtomicWriter {
    /** Infix of temp file names; {@link #removeStaleTemps} finds leftovers of killed runs by it. */
    public static final String TEMP_INFIX = ".preresv-tmp-";
    private static final int CHUNK = 128 << 10;

    private AtomicWriter() {}

    /**
     * Replaces (or creates) {@code target} with {@code data}.
     *
     * @param permsFrom file whose POSIX permissions the new file gets, or null for the default
     */
    public static void write(Path target, byte[] data, Path permsFrom) throws IOException {
        write(target, data, permsFrom, true);
    }

    /**
     * As {@link #write(Path, byte[], Path)}; {@code sync} false skips {@code force(true)}: the
     * rename is still atomic for other processes and across a crash of this one, but not across a
     * power loss.
     */
    public static void write(Path target, byte[] data, Path permsFrom, boolean sync) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        if (Files.isSymbolicLink(target)) {
            throw new IOException("is a symbolic link; not writing through it");
        }
        String name = "." + target.getFileName() + TEMP_INFIX + ProcessHandle.current().pid() + "-"
                + Long.toHexString(ThreadLocalRandom.current().nextLong() & 0xffffffffL);
        Path tmp = dir.resolve(name);
        boolean done = false;
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                // In slices: the JDK copies a heap buffer through a temporary direct buffer of the
                // same size, and a fresh multi-megabyte one per file costs more than the write.
                for (int off = 0; off < data.length; off += CHUNK) {
                    ByteBuffer b = ByteBuffer.wrap(data, off, Math.min(CHUNK, data.length - off));
                    while (b.hasRemaining()) {
                        ch.write(b);
                    }
                }
                if (sync) {
                    ch.force(true);
                }
            }
            if (permsFrom != null && Files.exists(permsFrom, LinkOption.NOFOLLOW_LINKS)) {
                try {
                    Set<PosixFilePermission> perms = Files.getPosixFilePermissions(permsFrom, LinkOption.NOFOLLOW_LINKS);
                    Files.setPosixFilePermissions(tmp, perms);
                } catch (UnsupportedOperationException e) {
                    // Not a POSIX file system: keep the default permissions.
                }
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                throw new IOException("cannot rename atomically in " + dir, e);
            }
            done = true;
        } finally {
            if (!done) {
                Files.deleteIfExists(tmp);
            }
        }
    }

    /** Deletes temp files that a killed run left in {@code dir} (not recursive). Returns how many. */
    public static int removeStaleTemps(Path dir) throws IOException {
        int n = 0;
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, p -> p.getFileName().toString().contains(TEMP_INFIX)
                && p.getFileName().toString().startsWith("."))) {
            for (Path p : ds) {
                if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                    Files.deleteIfExists(p);
                    n++;
                }
            }
        }
        return n;
    }
}
