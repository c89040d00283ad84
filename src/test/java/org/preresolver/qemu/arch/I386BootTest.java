package org.preresolver.qemu.arch;

import org.junit.jupiter.api.Tag;

/** Debian's i386 kernel in QEMU: see {@link ArchBootTestBase}. Logs: target/qemu/I386BootTest/. */
@Tag("qemu")
class I386BootTest extends ArchBootTestBase {
    I386BootTest() {
        super(GuestArch.I386);
    }
}
