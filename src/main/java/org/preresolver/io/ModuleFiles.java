package org.preresolver.io;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;

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
     * @param size its size when it was listed, or -1 (a reader checks the file itself again)
     */
    public record Entry(Path file, Path relative, Path root, long size) {
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
        return FileBytes.read(file);
    }

    /** A file found by the walk: its path as a string (the sort key), and its size or -1. */
    private record Listed(String name, Path path, long size) {}

    /**
     * What the exports pass needs of a module, read as {@link #read} reads it: an uncompressed
     * module's ELF header, section tables, {@code .modinfo}, symbol table and its strings, each at
     * its place in an array of the file's size (an eighth of Debian's tree, which is mostly code
     * and relocations); any other file whole.
     */
    public static byte[] readExportParts(Path file) throws IOException, org.preresolver.elf.FormatException {
        checkRegular(file);
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(file,
                java.nio.file.StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
            long size = ch.size();
            long limit = org.preresolver.kernel.Compression.DEFAULT_LIMIT;
            if (size > limit) {
                throw new org.preresolver.elf.FormatException("file of " + size + " bytes is larger than any module "
                        + "(limit " + (limit >> 20) + " MiB)");
            }
            byte[] b = new byte[(int) size];
            org.preresolver.elf.ElfFile.Filler fill = (off, len) -> FileBytes.readAt(ch, b, off, len);
            try {
                org.preresolver.elf.ElfFile elf = org.preresolver.elf.ElfFile.parseFilled(b, fill);
                if (elf != null) {
                    for (org.preresolver.elf.SectionHeader s : elf.sections()) {
                        boolean symtab = s.type() == org.preresolver.elf.Elf.SHT_SYMTAB;
                        if ((symtab || s.name().equals(".modinfo")) && s.type() != org.preresolver.elf.Elf.SHT_NOBITS
                                && elf.reader().inRange(s.offset(), s.size())) {
                            fill.fill(s.offset(), s.size());
                        }
                        if (symtab && s.link() > 0 && s.link() < elf.sections().size()) {
                            var str = elf.sections().get(s.link());
                            if (str.type() != org.preresolver.elf.Elf.SHT_NOBITS
                                    && elf.reader().inRange(str.offset(), str.size())) {
                                fill.fill(str.offset(), str.size());
                            }
                        }
                    }
                    return b;
                }
            } catch (org.preresolver.elf.FormatException ex) {
                // read whole below: the module's own pass reports what is wrong with it
            }
            FileBytes.readAt(ch, b, 0, size);
            return b;
        }
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
                // One walk, each entry's attributes read once (lstat: links are listed, not followed).
                List<Listed> files = new ArrayList<>();
                Files.walkFileTree(a, Set.of(), Integer.MAX_VALUE, new SimpleFileVisitor<>() {
                    @Override
                    public FileVisitResult visitFile(Path p, BasicFileAttributes attrs) {
                        if (!attrs.isDirectory() && isModuleName(p.getFileName().toString())) {
                            files.add(new Listed(p.toString(), p, attrs.isRegularFile() ? attrs.size() : -1));
                        }
                        return FileVisitResult.CONTINUE;
                    }

                    @Override
                    public FileVisitResult visitFileFailed(Path p, IOException e) throws IOException {
                        if (p.equals(a)) {
                            throw e;
                        }
                        // Listed as Files.walk listed it: reading it reports what is wrong.
                        if (isModuleName(p.getFileName().toString()) && !Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                            files.add(new Listed(p.toString(), p, -1));
                            return FileVisitResult.CONTINUE;
                        }
                        throw e;
                    }
                });
                files.sort(Comparator.comparing(Listed::name));
                for (Listed f : files) {
                    out.add(new Entry(f.path(), a.relativize(f.path()), a, f.size()));
                }
            } else {
                Path parent = a.toAbsolutePath().getParent();
                out.add(new Entry(a, a.getFileName(), parent, -1));
            }
        }
        return out;
    }
}
