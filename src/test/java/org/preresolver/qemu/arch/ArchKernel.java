package org.preresolver.qemu.arch;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.preresolver.qemu.DebianKernel;
import org.preresolver.qemu.Host;
import org.preresolver.qemu.ModuleTree;
import org.preresolver.qemu.QemuGuest;
import org.preresolver.testing.TestKernels;

/**
 * Debian's kernel for one architecture and that architecture's static busybox, fetched and unpacked
 * by {@code scripts/fetch-debian-arch.sh} (private apt state, cached in ~/.cache/lkm-preresolver).
 *
 * @param arch the architecture
 * @param root the unpacked packages ({@code boot/}, {@code lib/modules/}, {@code usr/src/})
 * @param release e.g. {@code 6.1.0-56-arm64}
 * @param busybox a static busybox for {@code arch}
 */
public record ArchKernel(GuestArch arch, Path root, String release, Path busybox) {
    private static final Map<GuestArch, ArchKernel> CACHE = new ConcurrentHashMap<>();
    private static final Map<String, Boolean> PACKAGES = new ConcurrentHashMap<>();

    /** Fetches (once per JVM) Debian's kernel for {@code arch}: the ABI {@link TestKernels#archAbi} chose. */
    public static synchronized ArchKernel fetch(GuestArch arch) throws IOException {
        ArchKernel k = CACHE.get(arch);
        if (k != null) {
            return k;
        }
        ensureHostPackages(arch);
        String abi = TestKernels.archAbi(arch.debian());
        Host.Result r = TestKernels.fetch("Debian kernel " + abi + " (" + arch.debian() + ")", "sh",
                Host.script("scripts/fetch-debian-arch.sh").toString(), arch.debian(), abi);
        String[] lines = r.output().strip().split("\n");
        if (lines.length < 2) {
            throw new IOException("fetch-debian-arch.sh printed no paths:\n" + r.output());
        }
        Path dir = Path.of(lines[lines.length - 2].strip());
        Path busybox = Path.of(lines[lines.length - 1].strip());
        DebianKernel unpacked = DebianKernel.at(dir.resolve("root"));
        if (!unpacked.release().equals(abi)) {
            throw new TestKernels.KernelUnavailable(unpacked.root() + " holds kernel " + unpacked.release() + ", not "
                    + abi + ": delete " + dir + " and run again");
        }
        k = new ArchKernel(arch, unpacked.root(), unpacked.release(), busybox);
        CACHE.put(arch, k);
        return k;
    }

    /**
     * The default kernel of another Debian suite for {@code arch} (sid: 7.x), fetched by
     * {@code APT_ARCH=arch SUITE=suite scripts/fetch-debian-kernel.sh} through a private apt configuration
     * (the same script and layout as the amd64 suites: {@code usr/lib/modules/R/} holds the modules,
     * {@code vmlinuz} and {@code config}), with the static busybox of {@link #fetch(GuestArch)}.
     */
    public static synchronized ArchKernel fetchSuite(GuestArch arch, String suite) throws IOException {
        Path busybox = fetch(arch).busybox();
        Host.Result r = TestKernels.fetch("Debian " + suite + " kernel (" + arch.debian() + ")", "env",
                "APT_ARCH=" + arch.debian(), "SUITE=" + suite, "sh", Host.script("scripts/fetch-debian-kernel.sh").toString());
        String[] lines = r.output().strip().split("\n");
        DebianKernel unpacked = DebianKernel.at(Path.of(lines[lines.length - 1].strip()).resolve("root"));
        return new ArchKernel(arch, unpacked.root(), unpacked.release(), busybox);
    }

    /** The emulator and the tools that build the initramfs and the images. */
    static void ensureHostPackages(GuestArch arch) throws IOException {
        if (PACKAGES.putIfAbsent(arch.hostPackage(), true) == null) {
            Host.run(Duration.ofMinutes(15), null, "sh", Host.script("scripts/qemu/ensure-packages.sh").toString(),
                    arch.hostPackage(), "cpio", "e2fsprogs", "dosfstools", "mtools");
        }
    }

    /** The same unpacked packages seen as a {@link DebianKernel}: one layout (config, modules, symvers) for all. */
    public DebianKernel debian() {
        return new DebianKernel(root, release);
    }

    /** {@code boot/vmlinuz-R} or, on ppc64el, {@code boot/vmlinux-R}; else {@link DebianKernel#vmlinuz()}. */
    public Path image() {
        Path vmlinux = root.resolve("boot/vmlinux-" + release);
        boolean onlyVmlinux = !Files.exists(root.resolve("boot/vmlinuz-" + release)) && Files.exists(vmlinux);
        return onlyVmlinux ? vmlinux : debian().vmlinuz();
    }

    public Path config() {
        return debian().config();
    }

    public Path symvers() {
        return debian().symvers();
    }

    public Path modulesDir() {
        return debian().modulesDir();
    }

    public ModuleTree modules() throws IOException {
        return debian().modules();
    }

    /** A guest for this kernel: its architecture's board, its image and busybox, and the device tree it needs. */
    public QemuGuest guest() {
        QemuGuest g = QemuGuest.of(arch.board(), image()).busybox(busybox);
        if (!arch.dtb().isEmpty()) {
            g.qemuArgs("-dtb", root.resolve("usr/lib/linux-image-" + release).resolve(arch.dtb()).toString());
        }
        return g;
    }
}
