package org.preresolver.qemu;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One QEMU run, the same for every architecture: a {@link QemuBoard} with a kernel, an initramfs and
 * disks (opened with {@code snapshot=on}, never written), under an outer {@code timeout(1)} and a
 * bounded wait; the serial console goes to the log file, QEMU's stderr to {@code LOG.stderr} and the
 * command line to {@code LOG.cmd} beside it.
 *
 * <p>The timeouts are hang guards, not measurements: no test asserts how long a boot takes. A run also
 * ends when the log shows the kernel halted after /init's {@code === DONE} (a machine that cannot
 * power off, such as raspi0).
 */
public final class QemuLauncher {
    /** Exit status of a run that the timeout ended ({@code timeout(1)}'s, or the wait's own). */
    public static final int TIMED_OUT = 124;
    /** {@code timeout -k}: how long after TERM the emulator gets KILL. */
    private static final int KILL_AFTER_SECONDS = 10;
    /** How much longer than the outer timeout the wait lasts before it kills the process tree itself. */
    private static final int WAIT_GRACE_SECONDS = 30;

    /** How a run ended: QEMU's exit status ({@link #TIMED_OUT} for a timeout) and the time it took. */
    public record Exit(int code, Duration elapsed) {
    }

    private final QemuBoard board;
    private final Path kernel;
    private final Path initrd;
    private final List<Path> disks = new ArrayList<>();
    private final List<String> qemuArgs = new ArrayList<>();
    private String memory;
    private String append = "";
    private boolean kaslr;
    private Duration timeout = Duration.ofSeconds(300);

    private QemuLauncher(QemuBoard board, Path kernel, Path initrd) {
        this.board = board;
        this.kernel = kernel.toAbsolutePath();
        this.initrd = initrd.toAbsolutePath();
        this.memory = board.memory();
    }

    public static QemuLauncher of(QemuBoard board, Path kernel, Path initrd) {
        return new QemuLauncher(board, kernel, initrd);
    }

    /** A raw disk image, opened with {@code snapshot=on}; disks attach in this order (vda, vdb, ...). */
    public QemuLauncher disk(Path image) {
        String s = image.toAbsolutePath().toString();
        if (s.contains(",")) {
            throw new IllegalArgumentException("disk path with ',' is not supported by -drive: " + s);
        }
        disks.add(image.toAbsolutePath());
        return this;
    }

    /** More QEMU arguments; they come before the {@link #disk} drives (so a writable drive given here is vda). */
    public QemuLauncher qemuArgs(List<String> args) {
        qemuArgs.addAll(args);
        return this;
    }

    public QemuLauncher memory(String mem) {
        this.memory = mem;
        return this;
    }

    /** More kernel parameters, after the board's. */
    public QemuLauncher append(String kernelArgs) {
        this.append = kernelArgs;
        return this;
    }

    /** Boot without {@code nokaslr}: the kernel randomises its base where it can. */
    public QemuLauncher kaslr(boolean on) {
        this.kaslr = on;
        return this;
    }

    /** The outer timeout (default 300 s). */
    public QemuLauncher timeout(Duration t) {
        this.timeout = t;
        return this;
    }

    /** The QEMU command line, without the outer timeout. */
    public List<String> command() {
        List<String> cmd = new ArrayList<>(List.of(board.qemu()));
        cmd.addAll(board.flags());
        cmd.addAll(List.of("-m", memory, "-no-reboot", "-nic", "none", "-kernel", kernel.toString(), "-initrd",
                initrd.toString()));
        if (board.console() != null) {
            String line = "console=" + board.console() + (kaslr ? "" : " nokaslr") + " panic=-1 " + board.append() + " "
                    + append;
            cmd.addAll(List.of("-append", line.strip().replaceAll(" +", " ")));
        }
        cmd.addAll(qemuArgs);
        for (int i = 0; i < disks.size(); i++) {
            cmd.addAll(List.of("-drive", "file=" + disks.get(i) + ",format=raw,if=" + board.diskInterface()
                    + (board.diskInterface().equals("ide") ? ",index=" + i : "") + ",snapshot=on"));
        }
        return cmd;
    }

    /** Runs QEMU to its end or its timeout; the serial console goes to {@code log}. */
    public Exit run(Path log) throws IOException {
        Path serial = log.toAbsolutePath();
        Files.createDirectories(serial.getParent());
        List<String> cmd = new ArrayList<>(List.of("timeout", "-k", Integer.toString(KILL_AFTER_SECONDS),
                Long.toString(timeout.toSeconds())));
        cmd.addAll(command());
        Files.writeString(beside(serial, ".cmd"), String.join(" ", cmd) + "\n", StandardCharsets.UTF_8);
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(serial.getParent().toFile())
                .redirectOutput(serial.toFile()).redirectError(beside(serial, ".stderr").toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        long start = System.nanoTime();
        int code = waitFor(pb.start(), serial, timeout.toSeconds() + WAIT_GRACE_SECONDS);
        return new Exit(code, Duration.ofNanos(System.nanoTime() - start));
    }

    private static Path beside(Path log, String suffix) {
        return log.resolveSibling(log.getFileName() + suffix);
    }

    /**
     * Waits at most {@code seconds} for the run; kills its process tree when the time is up ({@link #TIMED_OUT})
     * or when the log shows the kernel halted after /init's {@code === DONE} (0).
     */
    private static int waitFor(Process p, Path log, long seconds) throws IOException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        try {
            while (true) {
                if (p.waitFor(1, TimeUnit.SECONDS)) {
                    return p.exitValue();
                }
                if (haltedAfterDone(log)) {
                    kill(p);
                    return 0;
                }
                if (System.nanoTime() > deadline) {
                    kill(p);
                    return TIMED_OUT;
                }
            }
        } catch (InterruptedException e) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while booting", e);
        }
    }

    private static void kill(Process p) throws InterruptedException {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        p.waitFor(10, TimeUnit.SECONDS);
    }

    /** True when the log ends with /init's {@code === DONE} and then the kernel's "reboot: System halted". */
    static boolean haltedAfterDone(Path log) throws IOException {
        String text = Files.readString(log, StandardCharsets.ISO_8859_1);
        int done = text.lastIndexOf("=== DONE");
        return done >= 0 && text.indexOf("reboot: System halted", done) > 0;
    }
}
