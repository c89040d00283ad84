package org.preresolver.qemu;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** Host side helpers: the project dir, the scripts in it, running commands, installing packages. */
public final class Host {
    private static volatile boolean packagesChecked;

    private Host() {
    }

    /** The project base dir: system property {@code lkmpr.projectDir} (set by surefire), else the cwd. */
    public static Path projectDir() {
        String p = System.getProperty("lkmpr.projectDir");
        return (p == null || p.isBlank() ? Path.of("") : Path.of(p)).toAbsolutePath().normalize();
    }

    public static Path script(String relative) {
        Path p = projectDir().resolve(relative);
        if (!Files.isRegularFile(p)) {
            throw new IllegalStateException("missing " + p + " (is lkmpr.projectDir right?)");
        }
        return p;
    }

    /** Installs qemu-system-x86, busybox-static, cpio, e2fsprogs, dosfstools, mtools when missing. */
    public static synchronized void ensurePackages() throws IOException {
        if (packagesChecked) {
            return;
        }
        run(Duration.ofMinutes(15), null, "sh", script("scripts/qemu/ensure-packages.sh").toString());
        packagesChecked = true;
    }

    /** A host tool by name: from PATH, else /usr/sbin or /sbin (mkfs.* live there; PATH may lack them). */
    public static String tool(String name) {
        String path = System.getenv().getOrDefault("PATH", "");
        for (String d : (path + ":/usr/sbin:/sbin:/usr/bin:/bin").split(":")) {
            if (!d.isEmpty() && Files.isExecutable(Path.of(d, name))) {
                return Path.of(d, name).toString();
            }
        }
        return name;
    }

    /** Result of {@link #run}: exit code and the combined stdout+stderr. */
    public record Result(int exitCode, String output) {
    }

    /**
     * Runs a command (no shell), stdout and stderr merged; throws when it fails or times out.
     *
     * @param dir working directory, or null for the current one
     */
    public static Result run(Duration timeout, Path dir, String... cmd) throws IOException {
        Result r = runAllowingFailure(timeout, dir, cmd);
        if (r.exitCode() != 0) {
            throw new IOException("command failed (" + r.exitCode() + "): " + String.join(" ", cmd) + "\n" + r.output());
        }
        return r;
    }

    public static Result runAllowingFailure(Duration timeout, Path dir, String... cmd) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        if (dir != null) {
            pb.directory(dir.toFile());
        }
        Path out = Files.createTempFile("lkmpr-cmd", ".out");
        try {
            pb.redirectOutput(out.toFile());
            pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
            Process p = pb.start();
            try {
                if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                    p.descendants().forEach(ProcessHandle::destroyForcibly);
                    p.destroyForcibly();
                    p.waitFor(10, TimeUnit.SECONDS);
                    throw new IOException("timed out after " + timeout + ": " + String.join(" ", cmd));
                }
            } catch (InterruptedException e) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                Thread.currentThread().interrupt();
                throw new IOException("interrupted: " + String.join(" ", cmd), e);
            }
            return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
        }
    }

}
