package org.preresolver.qemu.arch;

import org.junit.jupiter.api.Tag;

/** Debian's arm64 kernel in QEMU: see {@link ArchBootTestBase}. Logs: target/qemu/Arm64BootTest/. */
@Tag("qemu")
class Arm64BootTest extends ArchBootTestBase {
    Arm64BootTest() {
        super(GuestArch.ARM64);
    }
}
