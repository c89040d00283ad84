package org.preresolver.qemu.arch;

import org.junit.jupiter.api.Tag;

/** Debian's mipsel kernel in QEMU: see {@link ArchBootTestBase}. Logs: target/qemu/MipselBootTest/. */
@Tag("qemu")
class MipselBootTest extends ArchBootTestBase {
    MipselBootTest() {
        super(GuestArch.MIPSEL);
    }
}
