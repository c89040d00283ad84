package org.preresolver.qemu.arch;

import org.junit.jupiter.api.Tag;

/** Debian's s390x kernel in QEMU: see {@link ArchBootTestBase}. Logs: target/qemu/S390xBootTest/. */
@Tag("qemu")
class S390xBootTest extends ArchBootTestBase {
    S390xBootTest() {
        super(GuestArch.S390X);
    }
}
