package org.preresolver.faults;

import static org.preresolver.testing.CliRun.cli;
import static org.preresolver.testing.TestFiles.copyTree;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.preresolver.elf.FormatException;
import org.preresolver.io.AtomicWriter;
import org.preresolver.io.TreeLock;
import org.preresolver.kernel.KernelImage;
import org.preresolver.qemu.DebianKernel;
import org.preresolver.qemu.Host;
import org.preresolver.testing.CliRun;

/**
 * What the fault tests share: Debian's kernel (as an extracted ELF vmlinux, which loads faster
 * than the bzImage), copies of parts of its module tree, SHA-256 of every module, and running
 * the CLI in this JVM or as a separate process.
 */
public final class Fixture {
    private static Fixture instance;

    public final DebianKernel debian;
    /** The ELF vmlinux from Debian's vmlinuz. */
    public final Path vmlinux;

    private Fixture(DebianKernel debian, Path vmlinux) {
        this.debian = debian;
        this.vmlinux = vmlinux;
    }

    public static synchronized Fixture get() throws IOException {
        if (instance == null) {
            DebianKernel k = DebianKernel.fetch();
            Path dir = Files.createDirectories(Host.projectDir().resolve("target/faults-cache"));
            Path v = dir.resolve("vmlinux-" + k.release());
            if (!Files.isRegularFile(v)) {
                try {
                    byte[] elf = KernelImage.parse(Files.readAllBytes(k.vmlinuz())).vmlinux().data();
                    Path tmp = dir.resolve(v.getFileName() + ".tmp");
                    Files.write(tmp, elf);
                    Files.move(tmp, v, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                } catch (FormatException e) {
                    throw new IOException(e.getMessage(), e);
                }
            }
            instance = new Fixture(k, v);
        }
        return instance;
    }

    /** {@code lib/modules/<release>/kernel} */
    public Path modules() {
        return debian.modulesDir().resolve("kernel");
    }

    /** The kernel options of every preresolve run here. */
    public List<String> kernelArgs() {
        return List.of("--kernel", vmlinux.toString(), "--config", debian.config().toString(), "--assume-nokaslr",
                "--strip-signature");
    }

    /** Copies {@code kernel/<dir>} for each dir into {@code dst}, keeping the layout. */
    public void copyModules(Path dst, String... dirs) throws IOException {
        for (String d : dirs) {
            copyTree(modules().resolve(d), dst.resolve(d));
        }
    }

    /** Temp files of {@link AtomicWriter} anywhere under {@code root}. */
    public static List<Path> temps(Path root) throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            return s.filter(p -> p.getFileName().toString().contains(AtomicWriter.TEMP_INFIX)).toList();
        }
    }

    public static boolean lockFile(Path root) {
        return Files.exists(root.resolve(TreeLock.NAME), LinkOption.NOFOLLOW_LINKS);
    }

    /** {@code preresolve} with the kernel options, then {@code more}. */
    public CliRun preresolve(String... more) {
        List<String> a = new ArrayList<>(List.of("preresolve"));
        a.addAll(kernelArgs());
        a.addAll(List.of(more));
        return cli(a);
    }

    /** The command line that runs the CLI in another JVM; {@code prefix} goes first (e.g. setpriv). */
    public static List<String> childCommand(List<String> prefix, String classpath, List<String> args) {
        List<String> cmd = new ArrayList<>(prefix);
        cmd.addAll(List.of(Jvm.java(), "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp", classpath,
                "org.preresolver.cli.Main"));
        cmd.addAll(args);
        return cmd;
    }

    /** Runs the CLI in another JVM to its end. */
    public static CliRun child(Duration timeout, List<String> command) throws IOException, InterruptedException {
        return child(timeout, command, Map.of());
    }

    /** Runs the CLI in another JVM to its end, with more environment variables. */
    public static CliRun child(Duration timeout, List<String> command, Map<String, String> env)
            throws IOException, InterruptedException {
        Path out = Files.createTempFile("lkmpr-child", ".out");
        Path err = Files.createTempFile("lkmpr-child", ".err");
        try {
            ProcessBuilder pb = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
            pb.environment().putAll(env);
            Process p = pb.start();
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                p.waitFor();
                throw new AssertionError("timed out: " + command);
            }
            return new CliRun(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                    Files.readString(err, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    /** Runs a host command as root helper (mount, chattr, chown); fails the test when it fails. */
    public static String sh(String... cmd) throws IOException {
        return Host.run(Duration.ofMinutes(2), null, cmd).output();
    }

    public static boolean isRoot() {
        return "root".equals(System.getProperty("user.name"));
    }
}
