package org.preresolver.qemu;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The functional module set of issue 4 on Debian's amd64 kernel: the virtio disk stack, fat/vfat/nls,
 * ext4 and its deps, crypto, raid and lib modules, in dependency order, plus an ext4 and a vfat image.
 * The guest loads everything, mounts both images, reads a known file, writes a file and reads it back
 * after a remount, unmounts and unloads everything in reverse order.
 *
 * <pre>{@code
 * FunctionalSet set = FunctionalSet.prepare(workDir);   // fetch kernel, std unsigned copies, images
 * BootLog std = set.boot(set.stdDir());                 // workDir/std: kernel/fs/ext4/ext4.ko, ...
 * // the preresolver's output of set.stdDir() mirrors that tree:
 * BootLog pre = set.boot(preresolvedDir);
 * assertThat(pre.useCounts(FunctionalSet.MOUNTED)).isEqualTo(std.useCounts(FunctionalSet.MOUNTED));
 * }</pre>
 */
public final class FunctionalSet {
    /** The modules asked for; {@link #loadOrder()} adds their dependencies and sorts them. */
    public static final List<String> MODULES = List.of(
            // virtio disk stack
            "virtio_ring", "virtio", "virtio_pci_legacy_dev", "virtio_pci_modern_dev", "virtio_pci", "virtio_blk",
            // checksums and small libs (crc32c_generic before ext4/libcrc32c, crct10dif_generic before crc-t10dif)
            "crc16", "crc32c_generic", "crc32_generic", "crc64", "crc7", "crc8", "crc-itu-t",
            "crct10dif_common", "crct10dif_generic", "crc-t10dif", "libcrc32c", "xxhash_generic",
            // ext4
            "mbcache", "jbd2", "ext4",
            // fat
            "fat", "vfat", "msdos",
            "nls_cp437", "nls_iso8859-1", "nls_utf8", "nls_ascii", "nls_cp850", "nls_iso8859-15",
            // crypto (generic C implementations: they load on any x86_64 CPU, TCG's included)
            "gf128mul", "ghash-generic", "libdes", "des_generic", "ecb", "xts", "ctr", "gcm", "ccm", "cmac",
            "seqiv", "echainiv", "authenc", "sha512_generic", "sha3_generic", "md4", "blake2b_generic",
            "cryptd", "crypto_simd", "twofish_common", "twofish_generic", "serpent_generic",
            "blowfish_common", "blowfish_generic", "cast_common", "cast5_generic", "cast6_generic",
            "camellia_generic", "michael_mic", "libchacha", "chacha_generic", "libpoly1305", "poly1305_generic",
            "lz4_compress", "lz4",
            // raid helpers
            "xor", "raid6_pq", "async_tx", "async_xor", "async_memcpy", "async_pq", "async_raid6_recov",
            // block and other lib modules
            "loop", "zsmalloc", "zram", "cdrom", "isofs", "udf", "squashfs",
            "ts_kmp", "ts_bm", "ts_fsm", "reed_solomon", "bch", "lru_cache");

    /** lsmod snapshot tags printed by {@link #SCRIPT}, in order. */
    public static final String LOADED = "loaded";
    public static final String MOUNTED = "mounted";
    public static final String REMOUNTED = "remounted";
    public static final String UNMOUNTED = "unmounted";
    public static final String FINAL = "final";

    public static final String EXT4_HELLO = "hello from the ext4 image";
    public static final String VFAT_HELLO = "hello from the vfat image";
    public static final String WRITTEN = "written by the guest";

    /** The guest script; markers EXT4_HELLO, VFAT_HELLO, EXT4_READBACK, VFAT_READBACK, CHECK. */
    public static final String SCRIPT = """
            load_all
            lsmod_snapshot loaded
            mkdir -p /mnt/ext4 /mnt/vfat
            wait_dev /dev/vda || mark DISK_MISSING vda
            wait_dev /dev/vdb || mark DISK_MISSING vdb
            check mount -t ext4 /dev/vda /mnt/ext4
            check mount -t vfat -o codepage=437,iocharset=utf8 /dev/vdb /mnt/vfat
            mark EXT4_HELLO "$(cat /mnt/ext4/hello.txt)"
            mark VFAT_HELLO "$(cat /mnt/vfat/hello.txt)"
            lsmod_snapshot mounted
            echo "written by the guest ext4" > /mnt/ext4/written.txt
            echo "written by the guest vfat" > /mnt/vfat/written.txt
            check umount /mnt/ext4
            check umount /mnt/vfat
            check mount -t ext4 /dev/vda /mnt/ext4
            check mount -t vfat -o codepage=437,iocharset=iso8859-1 /dev/vdb /mnt/vfat
            mark EXT4_READBACK "$(cat /mnt/ext4/written.txt)"
            mark VFAT_READBACK "$(cat /mnt/vfat/written.txt)"
            lsmod_snapshot remounted
            check umount /mnt/ext4
            check umount /mnt/vfat
            lsmod_snapshot unmounted
            settle
            unload_all
            lsmod_snapshot final
            """;

    private final Path workDir;
    private final DebianKernel kernel;
    private final ModuleTree tree;
    private final List<String> order;
    private final Path stdDir;
    private final Path ext4Image;
    private final Path vfatImage;
    private final List<String> skipped;
    private final Path signedDir;

    private FunctionalSet(Path workDir, DebianKernel kernel, ModuleTree tree, List<String> order, Path stdDir,
            Path ext4Image, Path vfatImage, List<String> skipped, Path signedDir) {
        this.skipped = skipped;
        this.signedDir = signedDir;
        this.workDir = workDir;
        this.kernel = kernel;
        this.tree = tree;
        this.order = order;
        this.stdDir = stdDir;
        this.ext4Image = ext4Image;
        this.vfatImage = vfatImage;
    }

    /**
     * Fetches Debian's kernel (scripts/fetch-debian-kernel.sh), installs the host packages, writes the
     * signature-stripped copies to {@code workDir/std/} (same tree as lib/modules/&lt;release&gt;/, e.g.
     * {@code std/kernel/fs/ext4/ext4.ko}) and the images to {@code workDir/images/}.
     */
    public static FunctionalSet prepare(Path workDir) throws IOException {
        return prepare(workDir, DebianKernel.fetch());
    }

    public static FunctionalSet prepare(Path workDir, DebianKernel kernel) throws IOException {
        return prepare(workDir, kernel, false);
    }

    /**
     * As {@link #prepare(Path, DebianKernel)}, but for newer kernels whose tree differs from 6.1's: with
     * {@code skipMissing}, the entries of {@link #MODULES} that are no module of this kernel (built in, or
     * gone: see {@link #skipped()}) are left out instead of failing. Compressed modules ({@code .ko.xz}) are
     * decompressed on the host: busybox insmod hands the file to init_module, which takes ELF only. The
     * decompressed Debian originals, signature kept, are in {@link #signedDir()}.
     */
    public static FunctionalSet prepare(Path workDir, DebianKernel kernel, boolean skipMissing)
            throws IOException {
        Host.ensurePackages();
        Path wd = workDir.toAbsolutePath();
        ModuleTree tree = kernel.modules();
        List<String> wanted = new ArrayList<>();
        List<String> skipped = new ArrayList<>();
        for (String m : MODULES) {
            if (tree.isModule(m)) {
                wanted.add(m);
            } else if (skipMissing) {
                skipped.add(m);
            } else {
                throw new IllegalStateException(m + " is not a module in " + kernel.release()
                        + (tree.isBuiltin(m) ? " (built in)" : ""));
            }
        }
        List<String> order = tree.loadOrder(wanted);
        Path std = wd.resolve("std");
        Path signed = null;
        for (String m : order) {
            Path rel = elfPath(tree.relativePath(m));
            if (rel.equals(tree.relativePath(m))) {
                SignatureStripper.stripFile(tree.path(m), std.resolve(rel));
            } else {
                signed = wd.resolve("signed");
                byte[] elf = ModInfo.moduleBytes(tree.path(m));
                Files.createDirectories(signed.resolve(rel).getParent());
                Files.write(signed.resolve(rel), elf);
                Files.createDirectories(std.resolve(rel).getParent());
                Files.write(std.resolve(rel), SignatureStripper.strip(elf));
            }
        }
        Path images = wd.resolve("images");
        Files.createDirectories(images);
        Path ext4 = DiskImages.ext4(images.resolve("ext4.img"), 32,
                Map.of("hello.txt", EXT4_HELLO + "\n", "dir/nested.txt", "nested\n"));
        Path vfat = DiskImages.vfat(images.resolve("vfat.img"), 16, Map.of("hello.txt", VFAT_HELLO + "\n"));
        return new FunctionalSet(wd, kernel, tree, List.copyOf(order), std, ext4, vfat, List.copyOf(skipped),
                signed);
    }

    /** {@code kernel/fs/ext4/ext4.ko.xz} to {@code kernel/fs/ext4/ext4.ko}; an uncompressed path unchanged. */
    private static Path elfPath(Path rel) {
        String name = rel.getFileName().toString();
        String elf = name.replaceFirst("\\.ko\\.xz$", ".ko");
        return elf.equals(name) ? rel : rel.resolveSibling(elf);
    }

    /** Entries of {@link #MODULES} left out because this kernel has no such module (empty for 6.1). */
    public List<String> skipped() {
        return skipped;
    }

    /** The decompressed Debian originals (signed), mirroring lib/modules; null when the tree is not compressed. */
    public Path signedDir() {
        return signedDir;
    }

    /**
     * The Debian originals in load order as ELF files, signatures intact: the tree's own files, or their
     * decompressed copies in {@link #signedDir()} for a compressed tree.
     */
    public List<Path> signedFiles() throws IOException {
        return signedDir == null ? order.stream().map(tree::path).toList() : moduleFiles(signedDir);
    }

    public DebianKernel kernel() {
        return kernel;
    }

    public ModuleTree tree() {
        return tree;
    }

    /** Module names (kernel spelling, '_'), dependencies first. */
    public List<String> loadOrder() {
        return order;
    }

    /** The std unsigned set: {@code workDir/std}, mirroring lib/modules/&lt;release&gt;. */
    public Path stdDir() {
        return stdDir;
    }

    public Path ext4Image() {
        return ext4Image;
    }

    public Path vfatImage() {
        return vfatImage;
    }

    public Path workDir() {
        return workDir;
    }

    /**
     * The module files in load order, found in {@code moduleDir}: at the same relative path as in
     * lib/modules/&lt;release&gt; ({@code kernel/fs/ext4/ext4.ko}), or without the leading {@code kernel/},
     * or else as the only file of that name anywhere under moduleDir.
     */
    public List<Path> moduleFiles(Path moduleDir) throws IOException {
        List<Path> all;
        try (Stream<Path> s = Files.walk(moduleDir)) {
            all = s.filter(Files::isRegularFile).toList();
        }
        List<Path> files = new ArrayList<>();
        for (String m : order) {
            Path rel = elfPath(tree.relativePath(m));
            Path a = moduleDir.resolve(rel);
            Path b = rel.getNameCount() > 1 ? moduleDir.resolve(rel.subpath(1, rel.getNameCount())) : a;
            if (Files.isRegularFile(a)) {
                files.add(a);
            } else if (Files.isRegularFile(b)) {
                files.add(b);
            } else {
                String name = rel.getFileName().toString();
                List<Path> hits = all.stream().filter(p -> p.getFileName().toString().equals(name)).toList();
                if (hits.size() != 1) {
                    throw new IOException((hits.isEmpty() ? "no " : "several ") + name + " under " + moduleDir);
                }
                files.add(hits.get(0));
            }
        }
        return files;
    }

    /** Boots the set from {@code moduleDir}; logs go to {@code workDir/boot-<dir name>/}. */
    public BootLog boot(Path moduleDir) throws IOException {
        return boot(moduleDir, workDir.resolve("boot-" + moduleDir.getFileName()));
    }

    public BootLog boot(Path moduleDir, Path bootDir) throws IOException {
        return QemuGuest.x86_64(kernel.vmlinuz())
                .modules(moduleFiles(moduleDir))
                .script(SCRIPT)
                .disk(ext4Image)
                .disk(vfatImage)
                .timeout(java.time.Duration.ofSeconds(300))
                .boot(bootDir);
    }
}
