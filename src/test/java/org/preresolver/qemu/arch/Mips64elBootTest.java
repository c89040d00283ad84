package org.preresolver.qemu.arch;

import org.junit.jupiter.api.Tag;

/** Debian's mips64el kernel in QEMU: see {@link ArchBootTestBase}. Logs: target/qemu/Mips64elBootTest/. */
@Tag("qemu")
class Mips64elBootTest extends ArchBootTestBase {
    Mips64elBootTest() {
        super(GuestArch.MIPS64EL);
    }
}
