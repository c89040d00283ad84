package org.preresolver.io;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitOption;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/** Finds the modules named on a command line: {@code .ko} files, and directories walked recursively. */
public final class ModuleFiles {
    private ModuleFiles() {}

    /**
     * A module to process.
     *
     * @param file where it is
     * @param relative its path under the argument it came from (the file name for a file
     *     argument); {@code -o DIR} mirrors this path
     * @param root the directory argument it was found under, or its parent for a file argument
     */
    public record Entry(Path file, Path relative, Path root) {
        /** The path to show: relative to the tree, as kbuild shows paths relative to the objtree. */
        public String display() {
            return relative.toString();
        }
    }

    /**
     * Reads a module file the one guarded way every command uses: not through a symbolic link,
     * only a regular file (a FIFO would block for ever, a device never end), and no larger than
     * any module can be.
     *
     * @throws IOException the file is a link, not a regular file, or cannot be read
     * @throws org.preresolver.elf.FormatException the file is larger than any module
     */
    public static byte[] read(Path file) throws IOException, org.preresolver.elf.FormatException {
        checkRegular(file);
        long size = Files.size(file);
        long limit = org.preresolver.kernel.Compression.DEFAULT_LIMIT;
        if (size > limit) {
            throw new org.preresolver.elf.FormatException("file of " + size + " bytes is larger than any module (limit "
                    + (limit >> 20) + " MiB)");
        }
        return Files.readAllBytes(file);
    }

    /**
     * The guard of {@link #read} alone: {@code file} is a regular file, not reached through a
     * symbolic link.
     *
     * @throws NotRegular it is a link, a FIFO, a device or a directory
     */
    public static void checkRegular(Path file) throws NotRegular {
        if (Files.isSymbolicLink(file)) {
            throw new NotRegular("is a symbolic link; not followed");
        }
        if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
            throw new NotRegular("not a regular file");
        }
    }

    /** A module path that is not a regular file: the message is the whole one-line reason. */
    public static final class NotRegular extends IOException {
        NotRegular(String message) {
            super(message);
        }
    }

    /** True for {@code .ko}, {@code .ko.xz}, {@code .ko.zst}, {@code .ko.gz}. */
    public static boolean isModuleName(String name) {
        return name.endsWith(".ko") || name.endsWith(".ko.xz") || name.endsWith(".ko.zst") || name.endsWith(".ko.gz");
    }

    /**
     * Expands the arguments, sorted within each directory for a stable order. Symbolic links are
     * listed (so that they can be reported), never followed into other directories.
     *
     * @throws NoSuchFileException an argument does not exist
     */
    public static List<Entry> find(List<Path> args) throws IOException {
        List<Entry> out = new ArrayList<>();
        for (Path a : args) {
            if (!Files.exists(a, LinkOption.NOFOLLOW_LINKS)) {
                throw new NoSuchFileException(a.toString(), null, "no such file or directory");
            }
            if (Files.isDirectory(a)) {
                try (Stream<Path> s = Files.walk(a, new FileVisitOption[0])) {
                    List<Path> files = s.filter(p -> isModuleName(p.getFileName().toString()))
                            .filter(p -> !Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS))
                            .sorted(Comparator.comparing(Path::toString))
                            .toList();
                    for (Path p : files) {
                        out.add(new Entry(p, a.relativize(p), a));
                    }
                } catch (UncheckedIOException e) {
                    throw e.getCause();
                }
            } else {
                Path parent = a.toAbsolutePath().getParent();
                out.add(new Entry(a, a.getFileName(), parent));
            }
        }
        return out;
    }
}
