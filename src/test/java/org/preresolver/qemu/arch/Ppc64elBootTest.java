package org.preresolver.qemu.arch;

import org.junit.jupiter.api.Tag;

/** Debian's ppc64el kernel in QEMU: see {@link ArchBootTestBase}. Logs: target/qemu/Ppc64elBootTest/. */
@Tag("qemu")
class Ppc64elBootTest extends ArchBootTestBase {
    Ppc64elBootTest() {
        super(GuestArch.PPC64EL);
    }
}
