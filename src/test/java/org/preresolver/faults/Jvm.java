package org.preresolver.faults;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.JarFile;
import java.util.jar.Manifest;

/** Starting other JVMs with this test run's class path (surefire's manifest-only jar expanded). */
public final class Jvm {
    private Jvm() {}

    public static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /** The class path entries of this JVM, as files. */
    public static List<Path> classpath() {
        List<Path> out = new ArrayList<>();
        for (String e : System.getProperty("java.class.path").split(File.pathSeparator)) {
            if (e.isEmpty()) {
                continue;
            }
            Path p = Path.of(e).toAbsolutePath();
            out.add(p);
            if (e.endsWith(".jar") && p.getFileName().toString().startsWith("surefire")) {
                out.addAll(manifestClassPath(p));
            }
        }
        return out;
    }

    public static String classpathString() {
        return String.join(File.pathSeparator, classpath().stream().map(Path::toString).toList());
    }

    private static List<Path> manifestClassPath(Path jar) {
        List<Path> out = new ArrayList<>();
        try (JarFile j = new JarFile(jar.toFile())) {
            Manifest m = j.getManifest();
            String cp = m == null ? null : m.getMainAttributes().getValue("Class-Path");
            if (cp != null) {
                for (String u : cp.trim().split("\\s+")) {
                    out.add(u.startsWith("file:") ? Path.of(URI.create(u)) : jar.getParent().resolve(u));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }
}
