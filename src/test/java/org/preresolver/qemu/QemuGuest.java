package org.preresolver.qemu;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Boots a Debian kernel with a busybox initramfs made by {@code scripts/qemu/mkinitramfs.sh} through
 * {@link QemuLauncher}, with {@code nokaslr} unless {@link #kaslr} asks otherwise, and returns the parsed
 * serial log. For x86_64 ({@link #x86_64}) and every {@code qemu.arch.GuestArch} ({@code ArchKernel.guest()}).
 *
 * <pre>{@code
 * BootLog log = QemuGuest.x86_64(kernel.vmlinuz())
 *         .modules(List.of(a, b))                // copied into /modules/, load order
 *         .script("load_all\nlsmod_snapshot loaded\nunload_all\n")
 *         .disk(ext4Image)                       // /dev/vda
 *         .boot(workDir);                        // writes initrd.cpio, serial.log there
 * }</pre>
 * The script runs inside /init (busybox sh) with these helpers: {@code load_all}, {@code unload_all},
 * {@code ins NAME FILE}, {@code rmm NAME}, {@code lsmod_snapshot TAG}, {@code mark KEY VALUE},
 * {@code wait_dev /dev/X}, {@code check CMD...}; see mkinitramfs.sh.
 */
public final class QemuGuest {
    private final QemuBoard board;
    private final Path kernel;
    private final boolean hostPackages;
    private Path busybox;
    private final List<Path> modules = new ArrayList<>();
    private final List<Path> disks = new ArrayList<>();
    private final List<String> files = new ArrayList<>();
    private final List<String> qemuArgs = new ArrayList<>();
    private String script;
    private Duration timeout = Duration.ofSeconds(300);
    private String memory;
    private String append = "";
    private boolean kaslr;

    private QemuGuest(QemuBoard board, Path kernel, boolean hostPackages) {
        this.board = board;
        this.kernel = kernel;
        this.hostPackages = hostPackages;
    }

    /** An x86_64 kernel on {@link QemuBoard#X86_64}, with the host's busybox (installed when missing). */
    public static QemuGuest x86_64(Path vmlinuz) {
        return new QemuGuest(QemuBoard.X86_64, vmlinuz, true);
    }

    /** A kernel on {@code board}; give the busybox of the guest's architecture with {@link #busybox}. */
    public static QemuGuest of(QemuBoard board, Path kernel) {
        return new QemuGuest(board, kernel, false);
    }

    /** A static busybox for the guest's architecture (default: mkinitramfs.sh's, the host's). */
    public QemuGuest busybox(Path staticBusybox) {
        this.busybox = staticBusybox;
        return this;
    }

    /** Modules in load order; {@code load_all} loads them in this order, {@code unload_all} in reverse. */
    public QemuGuest modules(List<Path> moduleFiles) {
        modules.addAll(moduleFiles);
        return this;
    }

    /** The test script body (busybox sh); default: mkinitramfs.sh's (load_all, lsmod_snapshot loaded, unload_all). */
    public QemuGuest script(String body) {
        this.script = body;
        return this;
    }

    /** A raw disk image, opened with snapshot=on (the image is never changed): vda, vdb, ... */
    public QemuGuest disk(Path image) {
        disks.add(image);
        return this;
    }

    /** An extra file in the initramfs at {@code guestPath} (absolute). */
    public QemuGuest file(Path hostFile, String guestPath) {
        files.add(hostFile.toAbsolutePath() + "=" + guestPath);
        return this;
    }

    /**
     * Extra qemu arguments, e.g. {@code "-drive", "file=out.img,format=raw,if=virtio"} for a disk the
     * guest may write (unlike {@link #disk}); they come before the {@link #disk} drives, so such a disk is vda.
     */
    public QemuGuest qemuArgs(String... args) {
        qemuArgs.addAll(List.of(args));
        return this;
    }

    /** Outer timeout around qemu (default 300 s): a hang guard. */
    public QemuGuest timeout(Duration t) {
        this.timeout = t;
        return this;
    }

    /** Guest memory (default: the board's). */
    public QemuGuest memory(String mem) {
        this.memory = mem;
        return this;
    }

    /** Extra kernel command line, after {@code console=... nokaslr panic=-1} and the board's parameters. */
    public QemuGuest append(String kernelArgs) {
        this.append = kernelArgs;
        return this;
    }

    /**
     * True: no {@code nokaslr} on the command line, the kernel randomises its base where it can (QEMU's
     * {@code virt} puts a {@code kaslr-seed} in the device tree it generates). Never load modules
     * preresolved for a fixed base then: the guest hangs.
     */
    public QemuGuest kaslr(boolean on) {
        this.kaslr = on;
        return this;
    }

    /**
     * Builds {@code workDir/initrd.cpio}, boots, writes {@code workDir/serial.log} and returns it parsed.
     * A timeout is no exception: see {@link BootLog#timedOut()} and {@link BootLog#completed()}.
     */
    public BootLog boot(Path workDir) throws IOException {
        if (hostPackages) {
            Host.ensurePackages();
        }
        Path wd = workDir.toAbsolutePath();
        Files.createDirectories(wd);
        Path initrd = wd.resolve("initrd.cpio");
        List<String> mk = new ArrayList<>(List.of("sh", Host.script("scripts/qemu/mkinitramfs.sh").toString(),
                "-o", initrd.toString()));
        if (busybox != null) {
            mk.addAll(List.of("-b", busybox.toString()));
        }
        if (script != null) {
            Path scriptFile = wd.resolve("test.sh");
            Files.writeString(scriptFile, script, StandardCharsets.UTF_8);
            mk.addAll(List.of("-s", scriptFile.toString()));
        }
        for (String f : files) {
            mk.addAll(List.of("-f", f));
        }
        for (Path m : modules) {
            mk.add(m.toAbsolutePath().toString());
        }
        Host.run(Duration.ofMinutes(2), wd, mk.toArray(String[]::new));

        QemuLauncher q = QemuLauncher.of(board, kernel, initrd).kaslr(kaslr).append(append).qemuArgs(qemuArgs)
                .timeout(timeout);
        if (memory != null) {
            q.memory(memory);
        }
        disks.forEach(q::disk);
        Path log = wd.resolve("serial.log");
        QemuLauncher.Exit exit = q.run(log);
        return BootLog.parse(log, exit.code(), exit.elapsed());
    }
}
