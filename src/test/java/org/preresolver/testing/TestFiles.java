package org.preresolver.testing;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/** Files and trees in tests: delete, copy, hash. */
public final class TestFiles {
    private TestFiles() {
    }

    /** Deletes a directory tree (or a file), if it exists; fails on anything it cannot delete. */
    public static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    /** Copies the tree {@code from} into {@code to} (created), keeping the layout; symbolic links stay links. */
    public static void copyTree(Path from, Path to) throws IOException {
        Files.walkFileTree(from, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                Files.createDirectories(to.resolve(from.relativize(dir).toString()));
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.copy(file, to.resolve(from.relativize(file).toString()), StandardCopyOption.REPLACE_EXISTING,
                        LinkOption.NOFOLLOW_LINKS);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    /** SHA-256 of every regular {@code .ko} file under {@code root}, by path relative to it. */
    public static Map<String, String> moduleHashes(Path root) throws IOException {
        Map<String, String> out = new TreeMap<>();
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.filter(p -> p.toString().endsWith(".ko") && Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS))
                    .toList()) {
                out.put(root.relativize(p).toString(), sha256(Files.readAllBytes(p)));
            }
        }
        return out;
    }

    /** SHA-256 of {@code b}, in lower-case hex. */
    public static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The symbol table of an uncompressed module file, as the tool's ELF reader decodes it. */
    public static java.util.List<org.preresolver.elf.Symbol> symbols(Path ko) throws IOException {
        try {
            return org.preresolver.elf.ElfFile.parse(Files.readAllBytes(ko)).symbolTable().symbols();
        } catch (org.preresolver.elf.FormatException e) {
            throw new IOException(ko + ": " + e.getMessage(), e);
        }
    }
}
