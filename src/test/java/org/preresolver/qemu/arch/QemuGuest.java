package org.preresolver.qemu.arch;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.preresolver.qemu.BootLog;
import org.preresolver.qemu.Host;

/**
 * Boots a Debian kernel of any {@link GuestArch} under its qemu-system-* (TCG) with a busybox
 * initramfs made by {@code scripts/qemu/mkinitramfs.sh} (the busybox of the guest's architecture),
 * with {@code nokaslr} unless {@link #kaslr} asks otherwise, and returns the parsed serial log. The script and its helpers are
 * those of {@link org.preresolver.qemu.QemuX86}.
 */
public final class QemuGuest {
    private final ArchKernel kernel;
    private final List<Path> modules = new ArrayList<>();
    private final List<String> files = new ArrayList<>();
    private String script = "";
    private Duration timeout = Duration.ofSeconds(240);
    private boolean kaslr;

    private QemuGuest(ArchKernel kernel) {
        this.kernel = kernel;
    }

    public static QemuGuest of(ArchKernel kernel) {
        return new QemuGuest(kernel);
    }

    /** Modules in load order ({@code load_all}). */
    public QemuGuest modules(List<Path> files) {
        modules.addAll(files);
        return this;
    }

    public QemuGuest script(String body) {
        this.script = body;
        return this;
    }

    /** An extra file in the initramfs at {@code guestPath}. */
    public QemuGuest file(Path hostFile, String guestPath) {
        files.add(hostFile.toAbsolutePath() + "=" + guestPath);
        return this;
    }

    /**
     * True: no {@code nokaslr} on the command line, the kernel randomises its base where it can
     * (QEMU's {@code virt} puts a {@code kaslr-seed} in the device tree it generates).
     */
    public QemuGuest kaslr(boolean on) {
        this.kaslr = on;
        return this;
    }

    public QemuGuest timeout(Duration t) {
        this.timeout = t;
        return this;
    }

    /** True when the log ends with /init's {@code === DONE} and then the kernel's "reboot: System halted". */
    static boolean haltedAfterDone(Path log) throws IOException {
        String text = Files.readString(log, StandardCharsets.ISO_8859_1);
        int done = text.lastIndexOf("=== DONE");
        return done >= 0 && text.indexOf("reboot: System halted", done) > 0;
    }

    /** The qemu command line for an initramfs (without the outer timeout). */
    public List<String> command(Path initrd) {
        GuestArch a = kernel.arch();
        List<String> cmd = new ArrayList<>(List.of(a.qemu()));
        cmd.addAll(a.qemuArgs());
        cmd.addAll(List.of("-m", a.memory(), "-nographic", "-no-reboot", "-nic", "none", "-L", "/usr/share/qemu"));
        if (!a.dtb().isEmpty()) {
            cmd.addAll(List.of("-dtb", kernel.root().resolve("usr/lib/linux-image-" + kernel.release()).resolve(a.dtb())
                    .toString()));
        }
        cmd.addAll(List.of("-kernel", kernel.image().toString(), "-initrd", initrd.toString(),
                "-append", ("console=" + a.console() + (kaslr ? "" : " nokaslr") + " panic=-1 " + a.extraAppend()).strip()));
        return cmd;
    }

    /** Writes {@code workDir/initrd.cpio}, boots, writes {@code workDir/serial.log}, returns it parsed. */
    public BootLog boot(Path workDir) throws IOException {
        Path wd = workDir.toAbsolutePath();
        Files.createDirectories(wd);
        Path initrd = wd.resolve("initrd.cpio");
        Path scriptFile = wd.resolve("test.sh");
        Files.writeString(scriptFile, script, StandardCharsets.UTF_8);
        List<String> mk = new ArrayList<>(List.of("sh", Host.script("scripts/qemu/mkinitramfs.sh").toString(), "-o",
                initrd.toString(), "-b", kernel.busybox().toString(), "-s", scriptFile.toString()));
        for (String f : files) {
            mk.addAll(List.of("-f", f));
        }
        for (Path m : modules) {
            mk.add(m.toAbsolutePath().toString());
        }
        Host.run(Duration.ofMinutes(2), wd, mk.toArray(String[]::new));

        List<String> cmd = new ArrayList<>(List.of("timeout", "-k", "10", Long.toString(timeout.toSeconds())));
        cmd.addAll(command(initrd));
        Files.writeString(wd.resolve("qemu.cmd"), String.join(" ", cmd) + "\n", StandardCharsets.UTF_8);
        Path log = wd.resolve("serial.log");
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(wd.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        long start = System.nanoTime();
        Process p = pb.start();
        int rc;
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeout.toSeconds() + 30);
            rc = -1;
            while (rc < 0) {
                if (p.waitFor(1, TimeUnit.SECONDS)) {
                    rc = p.exitValue();
                } else if (haltedAfterDone(log)) {
                    // A machine that cannot power off (raspi0): the kernel halts after /init's poweroff.
                    p.descendants().forEach(ProcessHandle::destroyForcibly);
                    p.destroyForcibly();
                    p.waitFor(10, TimeUnit.SECONDS);
                    rc = 0;
                } else if (System.nanoTime() > deadline) {
                    p.descendants().forEach(ProcessHandle::destroyForcibly);
                    p.destroyForcibly();
                    p.waitFor(10, TimeUnit.SECONDS);
                    rc = 124;
                }
            }
        } catch (InterruptedException e) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while booting", e);
        }
        return BootLog.parse(log, rc, Duration.ofNanos(System.nanoTime() - start));
    }
}
