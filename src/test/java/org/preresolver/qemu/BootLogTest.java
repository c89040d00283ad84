package org.preresolver.qemu;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;

import org.junit.jupiter.api.Test;

class BootLogTest {
    private static final String LOG = String.join("\r\n",
            "\u001bc\u001b[?7lSeaBIOS (version 1.16.2)",
            "[    0.000000] Linux version 6.1.0-56-amd64",
            "=== INIT start",
            "=== TAINT_START 0",
            "=== INSMOD virtio_ring rc=0",
            "insmod: can't insert '/modules/002-foo.ko': unknown symbol in module, or unknown parameter",
            "=== INSMOD foo rc=1 err=insmod: can't insert '/modules/002-foo.ko': unknown symbol in module",
            "=== LSMOD loaded begin",
            "virtio_blk 28672 2 - Live 0xffffffffc0232000",
            "virtio 20480 2 virtio_blk,virtio_pci, Live 0xffffffffc0213000",
            "=== LSMOD loaded end",
            "=== EXT4_HELLO hello world",
            "=== CHECK mount -t ext4 /dev/vda /mnt/ext4 rc=0",
            "=== CHECK umount /mnt/vfat rc=1",
            "=== RMMOD virtio_ring rc=0",
            "=== TAINT_END 8192",
            "=== DMESG begin",
            "[    0.000000] Linux version 6.1.0-56-amd64",
            "[    2.4] virtio_ring: module verification failed: signature and/or required key missing - tainting kernel",
            "[    2.5] foo: Unknown symbol bar (err -2)",
            "=== DMESG end",
            "=== DONE",
            "[    9.0] reboot: Power down",
            "");

    @Test
    void parsesMarkersModulesAndKernelLines() {
        BootLog log = BootLog.parse(LOG, Path.of("serial.log"), 0, Duration.ofSeconds(7));
        assertThat(log.completed()).isTrue();
        assertThat(log.timedOut()).isFalse();
        assertThat(log.insmods()).hasSize(2);
        assertThat(log.insmodRc("virtio-ring")).hasValue(0);
        assertThat(log.failedInsmods()).singleElement().satisfies(o -> {
            assertThat(o.name()).isEqualTo("foo");
            assertThat(o.error()).contains("unknown symbol");
        });
        assertThat(log.rmmods()).singleElement().extracting(BootLog.ModuleOp::ok).isEqualTo(true);
        assertThat(log.lsmod("loaded")).hasSize(2);
        assertThat(log.lsmod("loaded").get(1).users()).containsExactly("virtio_blk", "virtio_pci");
        assertThat(log.useCounts("loaded")).containsEntry("virtio_blk", 2).containsEntry("virtio", 2);
        assertThat(log.marker("EXT4_HELLO")).isEqualTo("hello world");
        assertThat(log.failedChecks()).containsExactly("umount /mnt/vfat rc=1");
        assertThat(log.taintEnd()).isEqualTo(BootLog.TAINT_UNSIGNED_MODULE);
        assertThat(log.kernelLines()).hasSize(4).last().asString().contains("Power down");
        assertThat(log.problems()).singleElement().asString().contains("Unknown symbol bar");
        assertThat(log.taintLines()).singleElement().asString().contains(BootLog.UNSIGNED_TAINT);
        assertThat(log.unexpectedTaintLines()).isEmpty();
    }

    @Test
    void comparesLsmodSnapshots() {
        BootLog a = BootLog.parse(LOG, Path.of("a.log"), 0, Duration.ZERO);
        BootLog b = BootLog.parse(LOG.replace("virtio_blk 28672 2 -", "virtio_blk 28672 1 -"), Path.of("b.log"), 0,
                Duration.ZERO);
        assertThat(a.lsmodDifferences(a)).isEmpty();
        assertThat(a.lsmodDifferences(b)).containsExactly("loaded: virtio_blk used 2 [] vs 1 []");
    }

    @Test
    void withoutTheDumpTheConsoleIsTheKernelLog() {
        String hung = "[    1.0] Linux\r\n=== INIT start\r\n[    3.0] BUG: unable to handle page fault\r\n";
        BootLog log = BootLog.parse(hung, Path.of("serial.log"), 124, Duration.ofSeconds(300));
        assertThat(log.completed()).isFalse();
        assertThat(log.timedOut()).isTrue();
        assertThat(log.problems()).hasSize(1);
        assertThat(log.summary()).contains("TIMEOUT", "NOT completed", "BUG: unable");
    }
}
