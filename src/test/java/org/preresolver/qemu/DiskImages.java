package org.preresolver.qemu;

import static org.preresolver.testing.TestFiles.deleteTree;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/** Raw ext4 and vfat disk images with known files (e2fsprogs, dosfstools, mtools; no root, no mount). */
public final class DiskImages {
    private DiskImages() {
    }

    /** {@code mkfs.ext4 -d}: an ext4 image holding the given files (name relative to the root, content). */
    public static Path ext4(Path image, int sizeMiB, Map<String, String> files) throws IOException {
        Host.ensurePackages();
        Path content = image.resolveSibling(image.getFileName() + ".d");
        deleteTree(content);
        Files.createDirectories(content);
        for (Map.Entry<String, String> f : files.entrySet()) {
            Path p = content.resolve(f.getKey());
            Files.createDirectories(p.getParent());
            Files.writeString(p, f.getValue(), StandardCharsets.UTF_8);
        }
        Files.deleteIfExists(image);
        Host.run(Duration.ofMinutes(2), null, Host.tool("mkfs.ext4"), "-q", "-F", "-L", "lkmpr-ext4", "-d", content.toString(),
                image.toString(), sizeMiB + "M");
        deleteTree(content);
        return image;
    }

    /** {@code mkfs.vfat -C} plus {@code mcopy}: a FAT image holding the given files (flat names). */
    public static Path vfat(Path image, int sizeMiB, Map<String, String> files) throws IOException {
        Host.ensurePackages();
        Files.deleteIfExists(image);
        Host.run(Duration.ofMinutes(2), null, Host.tool("mkfs.vfat"), "-n", "LKMPRFAT", "-C", image.toString(),
                Integer.toString(sizeMiB * 1024));
        for (Map.Entry<String, String> f : files.entrySet()) {
            Path tmp = Files.createTempFile("lkmpr-vfat", ".tmp");
            try {
                Files.writeString(tmp, f.getValue(), StandardCharsets.UTF_8);
                Host.run(Duration.ofMinutes(1), null, Host.tool("mcopy"), "-o", "-i", image.toString(), tmp.toString(),
                        "::" + f.getKey());
            } finally {
                Files.deleteIfExists(tmp);
            }
        }
        return image;
    }
}
