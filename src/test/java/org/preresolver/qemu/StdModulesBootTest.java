package org.preresolver.qemu;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Boots Debian's kernel with the std functional set (Debian's modules, signature stripped, otherwise
 * unmodified): the reference the preresolved set is compared with. Logs: target/qemu/StdModulesBootTest/.
 */
@Tag("qemu")
class StdModulesBootTest {
    private static FunctionalSet set;
    private static BootLog log;

    @BeforeAll
    static void boot() throws IOException {
        set = StdBoot.set();
        log = StdBoot.log();
        System.out.printf("StdModulesBootTest: %d modules, boot %d ms (guest uptime %s..%s s), log %s%n",
                set.loadOrder().size(), log.elapsed().toMillis(), log.marker("UPTIME_START"),
                log.marker("UPTIME_END"), log.logFile());
    }

    @Test
    void setHasTheRequiredModulesInDependencyOrder() throws IOException {
        List<String> order = set.loadOrder();
        assertThat(order).hasSizeGreaterThanOrEqualTo(40).doesNotHaveDuplicates()
                .contains("virtio_ring", "virtio", "virtio_pci_legacy_dev", "virtio_pci_modern_dev", "virtio_pci",
                        "virtio_blk", "fat", "vfat", "nls_cp437", "nls_iso8859_1", "nls_utf8", "mbcache", "crc16",
                        "jbd2", "crc32c_generic", "ext4");
        for (String m : order) {
            for (String d : set.tree().depends(m)) {
                assertThat(order.indexOf(d)).as("%s before %s", d, m).isBetween(0, order.indexOf(m) - 1);
            }
            assertThat(set.tree().isBuiltin(m)).as(m).isFalse();
        }
        for (Path f : set.moduleFiles(set.stdDir())) {
            assertThat(SignatureStripper.isSigned(Files.readAllBytes(f))).as(f.toString()).isFalse();
        }
        assertThat(SignatureStripper.isSigned(Files.readAllBytes(set.tree().path("ext4")))).isTrue();
    }

    @Test
    void bootCompletes() {
        assertThat(log.timedOut()).as(log.summary()).isFalse();
        assertThat(log.completed()).as(log.summary()).isTrue();
        assertThat(log.exitCode()).as(log.summary()).isZero();
        assertThat(log.marker("KERNEL")).isEqualTo(set.kernel().release());
        // No time limit here (timing is for benchmarks); the boot's own timeout is only a hang guard.
    }

    @Test
    void allModulesLoad() {
        assertThat(log.insmods()).extracting(BootLog.ModuleOp::name).containsExactlyElementsOf(set.loadOrder());
        assertThat(log.failedInsmods()).as(log.summary()).isEmpty();
        assertThat(log.lsmod(FunctionalSet.LOADED)).extracting(BootLog.LsmodEntry::name)
                .containsExactlyInAnyOrderElementsOf(set.loadOrder());
        assertThat(log.lsmod(FunctionalSet.LOADED)).allSatisfy(e -> assertThat(e.state()).isEqualTo("Live"));
    }

    @Test
    void filesystemsWork() {
        assertThat(log.failedChecks()).as(log.summary()).isEmpty();
        assertThat(log.markers("DISK_MISSING")).isEmpty();
        assertThat(log.markers("CHECK")).hasSize(8);
        assertThat(log.marker("EXT4_HELLO")).isEqualTo(FunctionalSet.EXT4_HELLO);
        assertThat(log.marker("VFAT_HELLO")).isEqualTo(FunctionalSet.VFAT_HELLO);
        assertThat(log.marker("EXT4_READBACK")).isEqualTo(FunctionalSet.WRITTEN + " ext4");
        assertThat(log.marker("VFAT_READBACK")).isEqualTo(FunctionalSet.WRITTEN + " vfat");
        Map<String, Integer> mounted = log.useCounts(FunctionalSet.MOUNTED);
        assertThat(mounted).containsEntry("ext4", 1).containsEntry("vfat", 1).containsEntry("nls_cp437", 1)
                .containsEntry("nls_utf8", 1).containsEntry("virtio_blk", 2);
        assertThat(log.useCounts(FunctionalSet.REMOUNTED)).containsEntry("nls_iso8859_1", 1).containsEntry("nls_utf8", 0);
        assertThat(log.useCounts(FunctionalSet.UNMOUNTED)).containsEntry("ext4", 0).containsEntry("vfat", 0)
                .containsEntry("nls_cp437", 0).containsEntry("nls_iso8859_1", 0).containsEntry("virtio_blk", 0);
    }

    @Test
    void onlyTheUnsignedTaintAndNothingWorse() {
        assertThat(log.problems()).as(log.summary()).isEmpty();
        assertThat(log.unexpectedTaintLines()).isEmpty();
        assertThat(log.taintLines()).singleElement().asString().contains(BootLog.UNSIGNED_TAINT);
        assertThat(log.marker("TAINT_START")).isEqualTo("0");
        assertThat(log.taintEnd()).isEqualTo(BootLog.TAINT_UNSIGNED_MODULE);
        assertThat(log.kernelLines()).anyMatch(l -> l.contains("EXT4-fs (vda): mounted filesystem"));
    }

    @Test
    void allModulesUnloadInReverseOrder() {
        List<String> reverse = new ArrayList<>(set.loadOrder());
        Collections.reverse(reverse);
        assertThat(log.rmmods()).extracting(BootLog.ModuleOp::name).containsExactlyElementsOf(reverse);
        assertThat(log.failedRmmods()).as(log.summary()).isEmpty();
        assertThat(log.lsmodTags()).contains(FunctionalSet.FINAL);
        assertThat(log.lsmod(FunctionalSet.FINAL)).isEmpty();
    }
}
