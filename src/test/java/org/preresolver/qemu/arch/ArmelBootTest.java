package org.preresolver.qemu.arch;

import org.junit.jupiter.api.Tag;

/** Debian's armel (rpi) kernel in QEMU: see {@link ArchBootTestBase}. Logs: target/qemu/ArmelBootTest/. */
@Tag("qemu")
class ArmelBootTest extends ArchBootTestBase {
    ArmelBootTest() {
        super(GuestArch.ARMEL);
    }
}
