package org.preresolver.qemu.arch;

import java.util.ArrayList;
import java.util.List;
import org.preresolver.elf.Elf;
import org.preresolver.qemu.QemuBoard;

/**
 * A Debian architecture as QEMU boots it here: the emulator, the machine flags that worked, the
 * serial console the kernel writes to, and the host package that has the emulator.
 *
 * @param debian Debian's architecture name, as {@code scripts/fetch-debian-arch.sh} takes it
 * @param machine {@code e_machine} of its modules
 * @param qemu the emulator binary
 * @param qemuArgs machine, CPU and device flags
 * @param console the kernel's {@code console=}
 * @param memory guest memory
 * @param hostPackage Debian package with the emulator
 * @param imageRoute the package's kernel image holds the export tables (ELF vmlinux, x86 bzImage);
 *     false: exports come from Module.symvers and a captured /proc/kallsyms
 */
public enum GuestArch {
    ARM64("arm64", Elf.EM_AARCH64, "qemu-system-aarch64", List.of("-M", "virt", "-cpu", "cortex-a57"), "ttyAMA0",
            "1G", "qemu-system-arm", false),
    ARMHF("armhf", Elf.EM_ARM, "qemu-system-arm", List.of("-M", "virt", "-cpu", "cortex-a15"), "ttyAMA0", "1G",
            "qemu-system-arm", false),
    I386("i386", Elf.EM_386, "qemu-system-i386", List.of("-cpu", "max"), "ttyS0", "1G", "qemu-system-x86", true),
    // x-vof=on: QEMU's Virtual Open Firmware instead of SLOF (boot 20 s faster under TCG).
    PPC64EL("ppc64el", Elf.EM_PPC64, "qemu-system-ppc64",
            List.of("-M", "pseries,cap-cfpc=broken,cap-sbbc=broken,cap-ibs=broken,cap-ccf-assist=off,x-vof=on", "-cpu",
                    "power9", "-vga", "none"),
            "hvc0", "1G", "qemu-system-ppc", true),
    S390X("s390x", Elf.EM_S390, "qemu-system-s390x", List.of("-M", "s390-ccw-virtio"), "ttysclp0", "1G",
            "qemu-system-misc", false),
    MIPS64EL("mips64el", Elf.EM_MIPS, "qemu-system-mips64el", List.of("-M", "malta", "-cpu", "5KEc", "-vga", "none"),
            "ttyS0", "256M", "qemu-system-mips", false),
    MIPSEL("mipsel", Elf.EM_MIPS, "qemu-system-mipsel", List.of("-M", "malta", "-vga", "none"), "ttyS0", "256M",
            "qemu-system-mips", false),
    // Debian's armel flavours: marvell (Kirkwood: no QEMU machine) and rpi (Raspberry Pi 0/1: raspi0).
    // QEMU's raspi0 lacks the firmware the power-domain driver asks and the i2c clock (both oops at
    // boot, long before /init: their initcalls are blacklisted), and it cannot power off (the kernel
    // halts; QemuLauncher then ends the run).
    ARMEL("armel", Elf.EM_ARM, "qemu-system-arm", List.of("-M", "raspi0"), "ttyAMA0", "512M", "qemu-system-arm",
            false);

    private final String debian;
    private final int machine;
    private final String qemu;
    private final List<String> qemuArgs;
    private final String console;
    private final String memory;
    private final String hostPackage;
    private final boolean imageRoute;

    GuestArch(String debian, int machine, String qemu, List<String> qemuArgs, String console, String memory,
            String hostPackage, boolean imageRoute) {
        this.debian = debian;
        this.machine = machine;
        this.qemu = qemu;
        this.qemuArgs = qemuArgs;
        this.console = console;
        this.memory = memory;
        this.hostPackage = hostPackage;
        this.imageRoute = imageRoute;
    }

    public String debian() {
        return debian;
    }

    public int machine() {
        return machine;
    }

    public String qemu() {
        return qemu;
    }

    public List<String> qemuArgs() {
        return qemuArgs;
    }

    public String console() {
        return console;
    }

    public String memory() {
        return memory;
    }

    public String hostPackage() {
        return hostPackage;
    }

    public boolean imageRoute() {
        return imageRoute;
    }

    /** The board QEMU boots: the machine flags, memory and console above, disks on virtio. */
    public QemuBoard board() {
        List<String> flags = new ArrayList<>(qemuArgs);
        flags.addAll(List.of("-nographic", "-L", "/usr/share/qemu"));
        return new QemuBoard(qemu, List.copyOf(flags), memory, console, extraAppend(), "virtio");
    }

    /** The device tree QEMU must be given, in {@code usr/lib/linux-image-<release>/}; "" for none. */
    public String dtb() {
        return this == ARMEL ? "bcm2835-rpi-zero.dtb" : "";
    }

    /** Kernel parameters the machine needs, after {@code console=... nokaslr panic=-1}. */
    public String extraAppend() {
        return this == ARMEL ? "initcall_blacklist=bcm2835_pm_driver_init,bcm2835_i2c_driver_init" : "";
    }

    /**
     * A kernel message that is no problem of the modules although it looks like one. pseries under
     * QEMU's Virtual Open Firmware ({@code x-vof=on}, 20 s faster than SLOF) has an empty NVRAM,
     * which the kernel reports while it sets up the platform, long before /init.
     */
    public boolean benign(String kernelLine) {
        return this == PPC64EL && kernelLine.contains("WARNING: nvram corruption detected: 0-length partition");
    }
}
