package org.preresolver.qemu.arch;

import org.junit.jupiter.api.Tag;

/** Debian's armhf kernel in QEMU: see {@link ArchBootTestBase}. Logs: target/qemu/ArmhfBootTest/. */
@Tag("qemu")
class ArmhfBootTest extends ArchBootTestBase {
    ArmhfBootTest() {
        super(GuestArch.ARMHF);
    }
}
