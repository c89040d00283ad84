package org.preresolver.qemu;

import static org.preresolver.testing.TestFiles.deleteTree;

import java.io.IOException;
import java.nio.file.Path;

/**
 * The std boot (the functional set from {@link FunctionalSet#stdDir()}), booted once per JVM and shared
 * by the tests that check it ({@link StdModulesBootTest}) and compare with it ({@link PreresolvedBootTest}).
 * Work dir and logs: target/qemu/StdModulesBootTest/.
 */
final class StdBoot {
    private static FunctionalSet set;
    private static BootLog log;

    private StdBoot() {
    }

    /** The prepared set (std copies and images in target/qemu/StdModulesBootTest/). */
    static synchronized FunctionalSet set() throws IOException {
        if (set == null) {
            Path work = Host.projectDir().resolve("target/qemu/StdModulesBootTest");
            deleteTree(work);
            set = FunctionalSet.prepare(work);
        }
        return set;
    }

    /** The std boot's log; boots on the first call. */
    static synchronized BootLog log() throws IOException {
        if (log == null) {
            log = set().boot(set().stdDir());
        }
        return log;
    }
}
