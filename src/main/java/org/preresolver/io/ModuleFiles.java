package org.preresolver.io;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import org.preresolver.elf.Elf;
import org.preresolver.elf.ElfFile;
import org.preresolver.elf.FormatException;
import org.preresolver.elf.SectionHeader;
import org.preresolver.kernel.Compression;

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
     * @throws FormatException the file is larger than any module
     */
    public static byte[] read(Path file) throws IOException, FormatException {
        checkSize(regular(file).size());
        return FileBytes.read(file);
    }

    /** No module is larger than the decompression limit: a larger file is refused before it is read. */
    private static void checkSize(long size) throws FormatException {
        long limit = Compression.DEFAULT_LIMIT;
        if (size > limit) {
            throw new FormatException("file of " + size + " bytes is larger than any module (limit " + (limit >> 20)
                    + " MiB)");
        }
    }

    /** A file found by the walk: its path as a string (the sort key), and its size or -1. */
    private record Listed(String name, Path path, long size) {}

    /**
     * What the exports pass needs of a module, read as {@link #read} reads it: an uncompressed
     * module's ELF header, section tables, {@code .modinfo}, symbol table and its strings, each at
     * its place in an array of the file's size (an eighth of Debian's tree, which is mostly code
     * and relocations); any other file whole.
     */
    public static byte[] readExportParts(Path file) throws IOException, FormatException {
        checkRegular(file);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
            long size = ch.size();
            checkSize(size);
            byte[] b = new byte[(int) size];
            ElfFile.Filler fill = (off, len) -> FileBytes.readAt(ch, b, off, len);
            try {
                ElfFile elf = ElfFile.parseFilled(b, fill);
                if (elf != null) {
                    for (SectionHeader s : elf.sections()) {
                        if (s.type() == Elf.SHT_SYMTAB) {
                            fillSection(elf, s, fill);
                            if (s.link() > 0 && s.link() < elf.sections().size()) {
                                fillSection(elf, elf.sections().get(s.link()), fill);
                            }
                        } else if (s.name().equals(".modinfo")) {
                            fillSection(elf, s, fill);
                        }
                    }
                    return b;
                }
            } catch (FormatException ex) {
                // read whole below: the module's own pass reports what is wrong with it
            }
            FileBytes.readAt(ch, b, 0, size);
            return b;
        }
    }

    /** Fills a section's bytes, when it has any in the file. */
    private static void fillSection(ElfFile elf, SectionHeader s, ElfFile.Filler fill) throws IOException {
        if (s.type() != Elf.SHT_NOBITS && elf.reader().inRange(s.offset(), s.size())) {
            fill.fill(s.offset(), s.size());
        }
    }

    /**
     * The guard of {@link #read} alone: {@code file} is a regular file, not reached through a
     * symbolic link.
     *
     * @throws NotRegular it is a link, a FIFO, a device or a directory
     */
    public static void checkRegular(Path file) throws NotRegular {
        regular(file);
    }

    /** {@link #checkRegular} from one {@code lstat}, whose attributes it returns (the size for the limit). */
    private static BasicFileAttributes regular(Path file) throws NotRegular {
        BasicFileAttributes a;
        try {
            a = Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (IOException e) {
            throw new NotRegular("not a regular file");
        }
        if (a.isSymbolicLink()) {
            throw new NotRegular("is a symbolic link; not followed");
        }
        if (!a.isRegularFile()) {
            throw new NotRegular("not a regular file");
        }
        return a;
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
                String prefix = a.toString().endsWith("/") ? a.toString() : a + "/";
                for (Listed f : files) {
                    // Under the argument, as the walk made it: the rest of its name (relativize() builds
                    // each name's components, 0.12 s over 4000 modules).
                    Path rel = f.name().startsWith(prefix) ? Path.of(f.name().substring(prefix.length()))
                            : a.relativize(f.path());
                    out.add(new Entry(f.path(), rel, a, f.size()));
                }
            } else {
                Path parent = a.toAbsolutePath().getParent();
                out.add(new Entry(a, a.getFileName(), parent, -1));
            }
        }
        return out;
    }
}
