package org.preresolver.qemu.sh4;

import static org.preresolver.testing.TestFiles.deleteTree;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.cpio.CpioArchiveEntry;
import org.apache.commons.compress.archivers.cpio.CpioArchiveOutputStream;
import org.apache.commons.compress.archivers.cpio.CpioConstants;
import org.preresolver.qemu.Host;
import org.preresolver.qemu.QemuBoard;
import org.preresolver.qemu.QemuLauncher;

/**
 * Boots the SH-4 kit's kernel on QEMU's r2d board with one disk on the CompactFlash (IDE) slot and an
 * initramfs made here: the kit's libc-free {@code /init}, the modules under {@code /m/}, {@code /load.list}
 * (load order) and {@code /mount.list} ({@code /dev/sda /mnt/cf FSTYPE}). See the kit's README for the
 * protocol of that /init; {@link Sh4BootLog} parses what it prints.
 */
final class Sh4Boot {
    /** Where the disk is mounted in the guest. */
    static final String MOUNT_DIR = "/mnt/cf";
    /**
     * Outer {@code timeout} of one boot: a hang guard only, generous for a loaded machine (a good
     * boot takes about 2 s). No test asserts how long a boot takes.
     */
    static final int TIMEOUT_SECONDS = 300;

    private Sh4Boot() {
    }

    /** Installs qemu-system-sh4 (qemu-system-misc) and the disk image tools when missing. */
    static void ensurePackages() throws IOException {
        Host.run(Duration.ofMinutes(15), null, "sh", Host.script("scripts/qemu/ensure-packages.sh").toString(),
                "qemu-system-misc", "dosfstools", "mtools", "e2fsprogs", "binutils");
    }

    /**
     * Writes a gzip'd newc cpio: {@code /init} (the kit's), {@code /m/<file>} for each module,
     * {@code /load.list} with {@code /m/<file>} lines in the given order, and {@code /mount.list}.
     */
    static Path initramfs(Path out, Path init, List<Path> modulesInLoadOrder, String mountList) throws IOException {
        StringBuilder load = new StringBuilder();
        for (Path m : modulesInLoadOrder) {
            load.append("/m/").append(m.getFileName()).append('\n');
        }
        try (OutputStream fo = new BufferedOutputStream(Files.newOutputStream(out));
                GZIPOutputStream gz = new GZIPOutputStream(fo);
                CpioArchiveOutputStream cpio = new CpioArchiveOutputStream(gz, CpioConstants.FORMAT_NEW)) {
            file(cpio, "init", Files.readAllBytes(init), 0755);
            file(cpio, "load.list", load.toString().getBytes(StandardCharsets.US_ASCII), 0644);
            file(cpio, "mount.list", mountList.getBytes(StandardCharsets.US_ASCII), 0644);
            CpioArchiveEntry dir = new CpioArchiveEntry(CpioConstants.FORMAT_NEW, "m", 0);
            dir.setMode(CpioConstants.C_ISDIR | 0755);
            dir.setNumberOfLinks(2);
            cpio.putArchiveEntry(dir);
            cpio.closeArchiveEntry();
            for (Path m : modulesInLoadOrder) {
                file(cpio, "m/" + m.getFileName(), Files.readAllBytes(m), 0644);
            }
            cpio.finish();
        }
        return out;
    }

    private static void file(CpioArchiveOutputStream cpio, String name, byte[] data, int perm) throws IOException {
        CpioArchiveEntry e = new CpioArchiveEntry(CpioConstants.FORMAT_NEW, name, data.length);
        e.setMode(CpioConstants.C_ISREG | perm);
        e.setNumberOfLinks(1);
        cpio.putArchiveEntry(e);
        cpio.write(data);
        cpio.closeArchiveEntry();
    }

    /** An 8 MiB FAT image holding {@code hello.txt} ({@code mkfs.vfat -C} and {@code mcopy}, as the kit's README). */
    static Path vfatImage(Path image, String hello) throws IOException {
        Files.deleteIfExists(image);
        Path txt = image.resolveSibling(image.getFileName() + ".hello.txt");
        Files.writeString(txt, hello, StandardCharsets.UTF_8);
        Host.run(Duration.ofMinutes(1), null, Host.tool("mkfs.vfat"), "-C", image.toString(), "8192");
        Host.run(Duration.ofMinutes(1), null, Host.tool("mcopy"), "-i", image.toString(), txt.toString(), "::hello.txt");
        Files.delete(txt);
        return image;
    }

    /** An 8 MiB ext2 image (1 KiB blocks) holding {@code hello.txt} ({@code mkfs.ext2 -d}, as the kit's README). */
    static Path ext2Image(Path image, String hello) throws IOException {
        Files.deleteIfExists(image);
        Path dir = image.resolveSibling(image.getFileName() + ".d");
        deleteTree(dir);
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("hello.txt"), hello, StandardCharsets.UTF_8);
        Host.run(Duration.ofMinutes(1), null, Host.tool("mkfs.ext2"), "-q", "-b", "1024", "-d", dir.toString(),
                image.toString(), "8192");
        deleteTree(dir);
        return image;
    }

    /**
     * Boots {@code zImage} with {@code initrd} and {@code disk} (snapshot=on: never written) on {@link QemuBoard#SH4_R2D}
     * through {@link QemuLauncher}; the serial console goes to {@code log}.
     */
    static Sh4BootLog boot(Path zImage, Path initrd, Path disk, Path log) throws IOException {
        QemuLauncher.Exit exit = QemuLauncher.of(QemuBoard.SH4_R2D, zImage, initrd).disk(disk)
                .timeout(Duration.ofSeconds(TIMEOUT_SECONDS)).run(log);
        return Sh4BootLog.parse(Files.readString(log, StandardCharsets.ISO_8859_1), log, exit.code(), exit.elapsed());
    }
}
