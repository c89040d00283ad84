package org.preresolver.qemu;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Boots an x86_64 kernel under qemu-system-x86_64 (TCG) with an initramfs made by
 * {@code scripts/qemu/mkinitramfs.sh} and {@code scripts/qemu/boot.sh}, and returns the parsed log.
 *
 * <pre>{@code
 * BootLog log = QemuX86.builder(kernel.vmlinuz())
 *         .modules(List.of(a, b))                // copied into /modules/, load order
 *         .script("load_all\nlsmod_snapshot loaded\nunload_all\n")
 *         .disk(ext4Image)                       // /dev/vda
 *         .boot(workDir);                        // writes initrd.cpio, serial.log there
 * }</pre>
 * The script runs inside /init (busybox sh) with these helpers: {@code load_all}, {@code unload_all},
 * {@code ins NAME FILE}, {@code rmm NAME}, {@code lsmod_snapshot TAG}, {@code mark KEY VALUE},
 * {@code wait_dev /dev/X}, {@code check CMD...}; see mkinitramfs.sh.
 */
public final class QemuX86 {
    private final Path vmlinuz;
    private final List<Path> modules = new ArrayList<>();
    private final List<Path> disks = new ArrayList<>();
    private final List<String> extraFiles = new ArrayList<>();
    private final List<String> qemuArgs = new ArrayList<>();
    private String script;
    private Duration timeout = Duration.ofSeconds(300);
    private String memory = "1G";
    private String append = "";
    private boolean kaslr;

    private QemuX86(Path vmlinuz) {
        this.vmlinuz = vmlinuz;
    }

    public static QemuX86 builder(Path vmlinuz) {
        return new QemuX86(vmlinuz);
    }

    /** Modules in load order; {@code load_all} loads them in this order, {@code unload_all} in reverse. */
    public QemuX86 modules(List<Path> moduleFiles) {
        modules.addAll(moduleFiles);
        return this;
    }

    /** The test script body (busybox sh); default: load_all, lsmod_snapshot loaded, unload_all. */
    public QemuX86 script(String body) {
        this.script = body;
        return this;
    }

    /** A raw disk image on virtio, opened with snapshot=on (the image is never changed): vda, vdb, ... */
    public QemuX86 disk(Path image) {
        disks.add(image);
        return this;
    }

    /** An extra file in the initramfs at {@code guestPath} (absolute). */
    public QemuX86 file(Path hostFile, String guestPath) {
        extraFiles.add(hostFile.toAbsolutePath() + "=" + guestPath);
        return this;
    }

    /**
     * Extra qemu arguments, e.g. {@code "-drive", "file=out.img,format=raw,if=virtio"} for a disk the
     * guest may write (unlike {@link #disk}); they come before the {@link #disk} drives, so such a disk is vda.
     */
    public QemuX86 qemuArgs(String... args) {
        qemuArgs.addAll(List.of(args));
        return this;
    }

    /** Outer timeout around qemu (default 300 s). */
    public QemuX86 timeout(Duration t) {
        this.timeout = t;
        return this;
    }

    public QemuX86 memory(String mem) {
        this.memory = mem;
        return this;
    }

    /** Extra kernel command line, after {@code console=ttyS0 nokaslr no_timer_check panic=-1}. */
    public QemuX86 append(String kernelArgs) {
        this.append = kernelArgs;
        return this;
    }

    /** Boot WITHOUT nokaslr. Never load modules preresolved for a fixed base then: the guest hangs. */
    public QemuX86 kaslr(boolean on) {
        this.kaslr = on;
        return this;
    }

    /**
     * Builds {@code workDir/initrd.cpio}, boots, writes {@code workDir/serial.log} and returns it parsed.
     * A timeout is no exception: see {@link BootLog#timedOut()} and {@link BootLog#completed()}.
     */
    public BootLog boot(Path workDir) throws IOException {
        Host.ensurePackages();
        Files.createDirectories(workDir);
        Path wd = workDir.toAbsolutePath();
        for (Path p : disks) {
            String s = p.toAbsolutePath().toString();
            if (s.contains(",") || s.contains(" ")) {
                throw new IllegalArgumentException("disk path with ',' or ' ' is not supported: " + s);
            }
        }
        Path initrd = wd.resolve("initrd.cpio");
        Path scriptFile = wd.resolve("test.sh");
        List<String> mk = new ArrayList<>(List.of("sh", Host.script("scripts/qemu/mkinitramfs.sh").toString(),
                "-o", initrd.toString()));
        if (script != null) {
            Files.writeString(scriptFile, script, StandardCharsets.UTF_8);
            mk.addAll(List.of("-s", scriptFile.toString()));
        }
        for (String f : extraFiles) {
            mk.addAll(List.of("-f", f));
        }
        for (Path m : modules) {
            mk.add(m.toAbsolutePath().toString());
        }
        Host.run(Duration.ofMinutes(2), wd, mk.toArray(String[]::new));

        List<String> cmd = new ArrayList<>(List.of("sh", Host.script("scripts/qemu/boot.sh").toString(),
                "-k", vmlinuz.toAbsolutePath().toString(), "-i", initrd.toString(),
                "-t", Long.toString(timeout.toSeconds()), "-m", memory));
        if (!append.isBlank()) {
            cmd.addAll(List.of("-a", append));
        }
        if (kaslr) {
            cmd.add("-K");
        }
        for (Path d : disks) {
            cmd.addAll(List.of("-d", d.toAbsolutePath().toString()));
        }
        if (!qemuArgs.isEmpty()) {
            cmd.add("--");
            cmd.addAll(qemuArgs);
        }
        Path log = wd.resolve("serial.log");
        Path err = wd.resolve("boot.stderr");
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(wd.toFile())
                .redirectOutput(log.toFile()).redirectError(err.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        long start = System.nanoTime();
        Process p = pb.start();
        int rc;
        // boot.sh has its own timeout; this one only guards against the script itself hanging.
        rc = Host.waitForBoot(p, timeout.toSeconds() + 30);
        Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
        return BootLog.parse(log, rc, elapsed);
    }
}
