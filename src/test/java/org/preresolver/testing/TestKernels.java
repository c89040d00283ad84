package org.preresolver.testing;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.regex.Pattern;
import org.preresolver.qemu.Host;

/**
 * The one place that decides which Debian kernels the tests use. Every test asks here (through
 * {@code DebianKernel.fetch()} and {@code ArchKernel.fetch(arch)}); no test names an ABI itself.
 *
 * <ul>
 *   <li>One ABI for the whole suite, e.g. {@code 6.1.0-57-amd64}. Other architectures and flavours
 *       use the same ABI number ({@code 6.1.0-57}) with their flavour ({@code -arm64},
 *       {@code -cloud-amd64}, ...), so no test mixes two ABIs.</li>
 *   <li>Override: system property {@code lkmpr.debianAbi} or environment variable
 *       {@code LKMPR_DEBIAN_ABI}, e.g. {@code mvn test -Dlkmpr.debianAbi=6.1.0-56-amd64}.</li>
 *   <li>Otherwise the ABI resolved earlier is kept in the cache with the packages,
 *       {@code $LKMPR_CACHE/debian/test-abi}; the first run writes it from Debian's current default
 *       ({@code linux-image-amd64}, asked once through {@code scripts/fetch-debian-kernel.sh
 *       --print-default}).</li>
 *   <li>When the kept ABI is gone from the cache and the archive no longer has it, the suite moves
 *       to the current default by itself and rewrites the file (one line on stderr says so). Every
 *       expected value is computed from the kernel in use, so nothing else changes.</li>
 *   <li>When an overridden ABI cannot be downloaded, fetching fails with one line saying what to do.</li>
 * </ul>
 * Fetches of the same ABI by two JVMs are serialised by {@code flock} in the fetch scripts; the
 * resolved-ABI file is written under a file lock and renamed into place.
 */
public final class TestKernels {
    /** System property that pins the ABI. */
    public static final String PROPERTY = "lkmpr.debianAbi";
    /** Environment variable that pins the ABI (the property wins). */
    public static final String ENV = "LKMPR_DEBIAN_ABI";
    /** Exit code of the fetch scripts when a package of the asked ABI is not in the archive. */
    public static final int NOT_DOWNLOADABLE = 3;

    private static final Pattern AMD64_ABI = Pattern.compile("(\\d+\\.\\d+\\.\\d+-\\d+)-amd64");

    private static String abi;

    private TestKernels() {}

    /** The failure of a kernel choice or fetch: one line that says what to do. */
    public static final class KernelUnavailable extends IOException {
        public KernelUnavailable(String line) {
            super(line);
        }

        @Override
        public synchronized Throwable fillInStackTrace() {
            return this; // the line says it all; a stack trace would only hide it
        }
    }

    /** The cache of fetched kernels ({@code LKMPR_CACHE}, default ~/.cache/lkm-preresolver). */
    public static Path cache() {
        String c = System.getenv("LKMPR_CACHE");
        if (c != null && !c.isBlank()) {
            return Path.of(c);
        }
        return Path.of(System.getProperty("user.home"), ".cache", "lkm-preresolver");
    }

    /** The file that keeps the resolved ABI beside the packages. */
    public static Path resolvedAbiFile() {
        return cache().resolve("debian").resolve("test-abi");
    }

    /** The override, or null. */
    public static String override() {
        String p = System.getProperty(PROPERTY);
        if (p != null && !p.isBlank()) {
            return p.strip();
        }
        String e = System.getenv(ENV);
        return e == null || e.isBlank() ? null : e.strip();
    }

    /** The amd64 ABI of this run, e.g. {@code 6.1.0-57-amd64}; resolved once per JVM. */
    public static synchronized String debianAbi() throws IOException {
        if (abi == null) {
            String o = override();
            if (o != null) {
                if (!AMD64_ABI.matcher(o).matches()) {
                    throw new KernelUnavailable(PROPERTY + "/" + ENV + "=" + o
                            + " is not an amd64 ABI like 6.1.0-57-amd64: set one of that form or unset it");
                }
                abi = o;
            } else {
                abi = keptOrDefault();
            }
        }
        return abi;
    }

    /** The ABI number shared by every flavour and architecture of this run, e.g. {@code 6.1.0-57}. */
    public static String abiNumber() throws IOException {
        String a = debianAbi();
        return a.substring(0, a.length() - "-amd64".length());
    }

    /** This run's ABI with another flavour, e.g. {@code flavour("cloud-amd64")} = {@code 6.1.0-57-cloud-amd64}. */
    public static String withFlavour(String flavour) throws IOException {
        return abiNumber() + "-" + flavour;
    }

    /**
     * The kernel flavour QEMU boots for a Debian architecture (what the meta package
     * {@code linux-image-FLAVOUR} of that architecture points to).
     */
    public static String flavourOf(String debianArch) {
        return switch (debianArch) {
            case "amd64" -> "amd64";
            case "arm64" -> "arm64";
            case "armhf" -> "armmp";
            case "armel" -> "rpi";
            case "i386" -> "686-pae";
            case "s390x" -> "s390x";
            case "ppc64el" -> "powerpc64le";
            case "mips64el" -> "5kc-malta";
            case "mipsel" -> "4kc-malta";
            default -> throw new IllegalArgumentException("no kernel flavour known for " + debianArch);
        };
    }

    /**
     * Runs a fetch script for an ABI this class chose; turns "not in the archive" into one line.
     *
     * @return the script's output (stderr merged)
     */
    public static Host.Result fetch(String what, String... cmd) throws IOException {
        Host.Result r = Host.runAllowingFailure(Duration.ofMinutes(30), Host.projectDir(), cmd);
        if (r.exitCode() == NOT_DOWNLOADABLE) {
            String o = override();
            if (o != null) {
                throw new KernelUnavailable(what + " cannot be downloaded (" + PROPERTY + "/" + ENV + "=" + o
                        + "): set an ABI the archive has (apt-cache search 'linux-image-6.1.0-.*-amd64-unsigned') or unset it");
            }
            throw new KernelUnavailable(what + " cannot be downloaded any more: delete " + resolvedAbiFile()
                    + " (or run with -D" + PROPERTY + "=ABI) to move the suite to Debian's current kernel");
        }
        if (r.exitCode() != 0) {
            String[] lines = r.output().strip().split("\n");
            throw new KernelUnavailable(what + ": " + String.join(" ", cmd) + " failed (" + r.exitCode() + "): "
                    + lines[lines.length - 1]);
        }
        return r;
    }

    /**
     * The kept ABI when its packages are cached or can still be downloaded; else Debian's current
     * default, written to the file for the next tests and runs.
     */
    private static String keptOrDefault() throws IOException {
        Path file = resolvedAbiFile();
        Files.createDirectories(file.getParent());
        try (FileChannel ch = FileChannel.open(file.resolveSibling(".test-abi.lock"), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE); FileLock lock = ch.lock()) {
            String kept = Files.isRegularFile(file) ? Files.readString(file, StandardCharsets.US_ASCII).strip() : "";
            if (AMD64_ABI.matcher(kept).matches()) {
                if (Files.isRegularFile(cache().resolve("debian").resolve(kept).resolve(".complete"))) {
                    return kept;
                }
                Host.Result r = Host.runAllowingFailure(Duration.ofMinutes(30), Host.projectDir(), "sh",
                        Host.script("scripts/fetch-debian-kernel.sh").toString(), kept);
                if (r.exitCode() == 0) {
                    return kept;
                }
                if (r.exitCode() != NOT_DOWNLOADABLE) {
                    throw new KernelUnavailable("cannot fetch Debian kernel " + kept + " (kept in " + file + "): "
                            + lastLine(r.output()));
                }
            }
            Host.Result d = Host.runAllowingFailure(Duration.ofMinutes(10), Host.projectDir(), "sh",
                    Host.script("scripts/fetch-debian-kernel.sh").toString(), "--print-default");
            String def = lastLine(d.output()).strip();
            if (d.exitCode() != 0 || !AMD64_ABI.matcher(def).matches()) {
                throw new KernelUnavailable("cannot find Debian's default amd64 kernel (apt-cache depends linux-image-amd64): "
                        + def + "; set -D" + PROPERTY + "=ABI or " + ENV);
            }
            if (!kept.isEmpty()) {
                System.err.println("TestKernels: Debian kernel " + kept + " is no longer available; the suite moves to "
                        + def + " (" + file + ")");
            }
            Path tmp = Files.createTempFile(file.getParent(), "test-abi", ".tmp");
            Files.writeString(tmp, def + "\n", StandardCharsets.US_ASCII);
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            return def;
        }
    }

    private static String lastLine(String s) {
        String[] l = s.strip().split("\n");
        return l[l.length - 1];
    }
}
