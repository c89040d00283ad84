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
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.preresolver.qemu.Host;

/**
 * The one place that decides which Debian kernels the tests use. Every test asks here (through
 * {@code DebianKernel.fetch()}, {@code DebianKernel.flavour(f)} and {@code ArchKernel.fetch(arch)});
 * no test names an ABI itself, and a test uses one kernel package set (image, modules, headers,
 * Module.symvers of one ABI).
 *
 * <ul>
 *   <li>amd64: one ABI for the whole suite, e.g. {@code 6.1.0-57-amd64}; other amd64 flavours use
 *       the same ABI number ({@code 6.1.0-57-cloud-amd64}).</li>
 *   <li>Override: system property {@code lkmpr.debianAbi} or environment variable
 *       {@code LKMPR_DEBIAN_ABI}, e.g. {@code mvn test -Dlkmpr.debianAbi=6.1.0-56-amd64}.</li>
 *   <li>Otherwise the ABI resolved earlier is kept in the cache with the packages,
 *       {@code $LKMPR_CACHE/debian/test-abi}; the first run writes it from Debian's current default
 *       ({@code linux-image-amd64}, asked once through {@code scripts/fetch-debian-kernel.sh
 *       --print-default}).</li>
 *   <li>Other architectures: kept the same way in {@code test-abi-ARCH}. Resolved once: the amd64
 *       ABI number with the architecture's flavour when the archive has it, else that
 *       architecture's own default (Debian's security archive carries arm64, armhf, i386 and
 *       ppc64el, but armel, s390x and the mips ports stay at the point release, e.g. 6.1.0-50).
 *       Override: {@code lkmpr.debianAbi.ARCH} / {@code LKMPR_DEBIAN_ABI_ARCH}.</li>
 *   <li>When a kept ABI is gone from the cache and the archive no longer has it, the suite moves
 *       to the current default by itself and rewrites the file (one line on stderr says so). Every
 *       expected value is computed from the kernel in use, so nothing else changes.</li>
 *   <li>When an overridden ABI cannot be downloaded, fetching fails with one line saying what to do.</li>
 * </ul>
 * Fetches of the same ABI by two JVMs are serialised by {@code flock} in the fetch scripts; a
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
    private static final java.util.Map<String, String> ARCH_ABIS = new java.util.HashMap<>();

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

    /** The same line, for callers that may only throw unchecked exceptions (static initialisers, suppliers). */
    public static final class KernelUnavailableError extends java.io.UncheckedIOException {
        public KernelUnavailableError(KernelUnavailable cause) {
            super(cause.getMessage(), cause);
        }

        @Override
        public synchronized Throwable fillInStackTrace() {
            return this;
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

    /** The amd64 override, or null. */
    public static String override() {
        return override(PROPERTY, ENV);
    }

    private static String override(String property, String env) {
        String p = System.getProperty(property);
        if (p != null && !p.isBlank()) {
            return p.strip();
        }
        String e = System.getenv(env);
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
                Path script = Host.script("scripts/fetch-debian-kernel.sh");
                abi = keptOrResolved(resolvedAbiFile(), AMD64_ABI, List.of(), List.of("sh", script.toString()),
                        "linux-image-amd64");
            }
        }
        return abi;
    }

    /**
     * The ABI of this run for another Debian architecture, e.g. {@code 6.1.0-57-arm64}; resolved once
     * and kept in {@code test-abi-ARCH} (see the class comment).
     */
    public static synchronized String archAbi(String debianArch) throws IOException {
        String a = ARCH_ABIS.get(debianArch);
        if (a != null) {
            return a;
        }
        String flavour = flavourOf(debianArch);
        Pattern form = Pattern.compile("\\d+\\.\\d+\\.\\d+-\\d+-" + Pattern.quote(flavour));
        String o = override(PROPERTY + "." + debianArch, ENV + "_" + debianArch.toUpperCase(java.util.Locale.ROOT));
        if (o != null) {
            if (!form.matcher(o).matches()) {
                throw new KernelUnavailable(PROPERTY + "." + debianArch + "=" + o + " is not a " + debianArch
                        + " ABI like 6.1.0-57-" + flavour + ": set one of that form or unset it");
            }
            a = o;
        } else {
            Path script = Host.script("scripts/fetch-debian-arch.sh");
            a = keptOrResolved(resolvedAbiFile().resolveSibling("test-abi-" + debianArch), form,
                    List.of(withFlavour(flavour)), List.of("sh", script.toString(), debianArch),
                    "the meta package of " + debianArch);
        }
        ARCH_ABIS.put(debianArch, a);
        return a;
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
            if (o != null && what.contains(o)) {
                throw new KernelUnavailable(what + " cannot be downloaded (" + PROPERTY + "/" + ENV + "=" + o
                        + "): set an ABI the archive has (apt-cache search 'linux-image-6.1.0-.*-amd64-unsigned') or unset it");
            }
            throw new KernelUnavailable(what + " cannot be downloaded: delete the kept choice " + resolvedAbiFile()
                    + "[-ARCH] (or set -D" + PROPERTY + "[.ARCH]=ABI) to move the suite to Debian's current kernel");
        }
        if (r.exitCode() != 0) {
            String[] lines = r.output().strip().split("\n");
            throw new KernelUnavailable(what + ": " + String.join(" ", cmd) + " failed (" + r.exitCode() + "): "
                    + lines[lines.length - 1]);
        }
        return r;
    }

    /**
     * The kept ABI when its packages are cached or can still be downloaded; else the first of
     * {@code preferred} the archive has, else the current default, written to {@code file} for the
     * next tests and runs.
     *
     * @param fetch the fetch script's command; the ABI (or {@code --print-default}) is appended
     */
    private static String keptOrResolved(Path file, Pattern form, List<String> preferred, List<String> fetch,
            String meta) throws IOException {
        Files.createDirectories(file.getParent());
        try (FileChannel ch = FileChannel.open(file.resolveSibling("." + file.getFileName() + ".lock"),
                StandardOpenOption.CREATE, StandardOpenOption.WRITE); FileLock lock = ch.lock()) {
            String kept = Files.isRegularFile(file) ? Files.readString(file, StandardCharsets.US_ASCII).strip() : "";
            List<String> candidates = new ArrayList<>();
            if (form.matcher(kept).matches()) {
                candidates.add(kept);
            }
            candidates.addAll(preferred);
            for (String c : candidates) {
                if (Files.isRegularFile(cache().resolve("debian").resolve(c).resolve(".complete"))
                        || tryFetch(fetch, c)) {
                    return keep(file, kept, c);
                }
            }
            Host.Result d = Host.runAllowingFailure(Duration.ofMinutes(10), Host.projectDir(),
                    plus(fetch, "--print-default"));
            String def = lastLine(d.output()).strip();
            if (d.exitCode() != 0 || !form.matcher(def).matches()) {
                throw new KernelUnavailable("cannot find Debian's default kernel (apt-cache depends " + meta + "): "
                        + def + "; set the ABI with -D" + PROPERTY + "...");
            }
            return keep(file, kept, def);
        }
    }

    /** Fetches {@code abi}: true when done, false when the archive does not have it (exit code 3). */
    private static boolean tryFetch(List<String> fetch, String abi) throws IOException {
        Host.Result r = Host.runAllowingFailure(Duration.ofMinutes(30), Host.projectDir(), plus(fetch, abi));
        if (r.exitCode() == 0) {
            return true;
        }
        if (r.exitCode() != NOT_DOWNLOADABLE) {
            throw new KernelUnavailable("cannot fetch Debian kernel " + abi + ": " + lastLine(r.output()));
        }
        return false;
    }

    private static String keep(Path file, String kept, String chosen) throws IOException {
        if (chosen.equals(kept)) {
            return kept;
        }
        if (!kept.isEmpty()) {
            System.err.println("TestKernels: Debian kernel " + kept + " is no longer available; the suite moves to "
                    + chosen + " (" + file + ")");
        }
        Path tmp = Files.createTempFile(file.getParent(), file.getFileName().toString(), ".tmp");
        Files.writeString(tmp, chosen + "\n", StandardCharsets.US_ASCII);
        try {
            Files.setPosixFilePermissions(tmp, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
        } catch (UnsupportedOperationException e) {
            // not a POSIX file system: the default permissions do
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        return chosen;
    }

    private static String[] plus(List<String> cmd, String arg) {
        List<String> l = new ArrayList<>(cmd);
        l.add(arg);
        return l.toArray(String[]::new);
    }

    private static String lastLine(String s) {
        String[] l = s.strip().split("\n");
        return l[l.length - 1];
    }
}
