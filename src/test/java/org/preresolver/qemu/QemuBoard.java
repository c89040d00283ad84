package org.preresolver.qemu;

import java.util.List;

/**
 * A QEMU machine as the tests boot it, as data: the emulator and its flags, the guest memory, the
 * serial console the kernel writes to with the kernel parameters the board needs, and how disks
 * attach. {@link QemuLauncher} makes one bounded run of a board with a kernel and an initramfs.
 *
 * @param qemu the emulator binary
 * @param flags machine, CPU, display and serial flags, in this order
 * @param memory guest memory ({@code -m})
 * @param console the kernel's {@code console=}; null: no {@code -append} at all (a kernel with its
 *     command line built in)
 * @param append kernel parameters the board needs, after {@code console=... nokaslr panic=-1}
 * @param diskInterface {@code if=} of each {@code -drive}: {@code virtio} (vda, vdb, ...) or {@code ide}
 */
public record QemuBoard(String qemu, List<String> flags, String memory, String console, String append,
        String diskInterface) {

    /**
     * A PC under qemu-system-x86_64 (TCG). {@code no_timer_check}: on a busy host, TCG can miss the
     * IO-APIC timer check of early boot, and the kernel then panics ("IO-APIC + timer doesn't work!").
     */
    public static final QemuBoard X86_64 = new QemuBoard("qemu-system-x86_64", List.of("-nographic"), "1G", "ttyS0",
            "no_timer_check", "virtio");

    /**
     * The SH-4 r2d board (Renesas R2D-PLUS): its second serial port (SCIF) is the console, the one disk is on
     * the CompactFlash (IDE) slot, 64 MiB; the SH-4 kit's kernel has its command line built in.
     */
    public static final QemuBoard SH4_R2D = new QemuBoard("qemu-system-sh4", List.of("-M", "r2d", "-serial", "null",
            "-serial", "stdio", "-display", "none", "-monitor", "none"), "64", null, "", "ide");
}
