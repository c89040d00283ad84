package org.preresolver.qemu.sh4;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;

import org.junit.jupiter.api.Test;

/**
 * The r2d serial log parser on real logs of the kit (src/test/resources/sh4/): a clean boot, a boot with
 * the kernel's unload race cutting an init line in two, and a boot whose power-off let the kernel print
 * a panic after {@code reboot: Power down}. The retry in {@link Sh4BootTest} relies on
 * {@link Sh4BootLog#onlyTheUnloadRace()} being false for anything else.
 */
class Sh4BootLogTest {
    private static String resource(String name) throws IOException {
        try (InputStream in = Sh4BootLogTest.class.getResourceAsStream("/sh4/" + name)) {
            assertThat(in).as(name).isNotNull();
            return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }

    private static Sh4BootLog parse(String text) {
        return Sh4BootLog.parse(text, Path.of("test.log"), 0, Duration.ofSeconds(2));
    }

    @Test
    void cleanBootParsesCompletely() throws IOException {
        Sh4BootLog log = parse(resource("boot-clean-vfat.log"));
        assertThat(log.finitModule()).hasSize(20).allMatch(o -> o.rc() == 0);
        assertThat(log.finitModule().get(0)).isEqualTo(new Sh4BootLog.Op("/m/scsi_common.ko", 0));
        assertThat(log.mounts()).containsExactly(new Sh4BootLog.Mount("/dev/sda", "/mnt/cf", "vfat", 0));
        assertThat(log.read().content()).startsWith("Hello from the vfat").endsWith("\n");
        assertThat(log.read().bytes()).isEqualTo(log.read().content().length());
        assertThat(log.procModules()).hasSize(20).allMatch(l -> l.contains(" Live 0x"));
        assertThat(log.deleteModule()).hasSize(20).allMatch(o -> o.rc() == 0);
        assertThat(log.deleteModule().get(19)).isEqualTo(new Sh4BootLog.Op("scsi_common", 0));
        assertThat(log.procModulesAfterUnload()).isEmpty();
        assertThat(log.procVersion()).startsWith("Linux version 6.1.");
        assertThat(log.initDone()).isTrue();
        assertThat(log.poweredOff()).isTrue();
        assertThat(log.problems()).isEmpty();
        assertThat(log.onlyTheUnloadRace()).isFalse();
        assertThat(log.kernelMessagesSinceInit()).contains("scsi host0: pata_platform").doesNotContain("Run /init as init process");
    }

    @Test
    void unloadRaceIsRecognisedAndTheCutInitLineRejoined() throws IOException {
        Sh4BootLog log = parse(resource("boot-race-split-line.log"));
        // "=== delete_module([    0.988000] BUG: ..." ... "scsi_common) = 0 (OK)"
        assertThat(log.deleteModule()).hasSize(20).last().isEqualTo(new Sh4BootLog.Op("scsi_common", 0));
        assertThat(log.problems()).isNotEmpty().first().extracting(Sh4BootLog.KernelMessage::text).asString()
                .startsWith("BUG: unable to handle kernel paging request");
        assertThat(log.onlyTheUnloadRace()).isTrue();
        assertThat(log.initDone()).isTrue();
    }

    @Test
    void aProblemWhileLoadingIsNeverTakenForTheRace() throws IOException {
        String text = resource("boot-race-split-line.log");
        String at = "=== finit_module(/m/scsi_mod.ko) = 0 (OK)";
        assertThat(text).contains(at);
        Sh4BootLog log = parse(text.replace(at, at + "\r\n[    0.630000] libata: Unknown symbol ata_foo (err -2)"));
        assertThat(log.problems()).extracting(Sh4BootLog.KernelMessage::text)
                .contains("libata: Unknown symbol ata_foo (err -2)");
        assertThat(log.onlyTheUnloadRace()).isFalse();
    }

    @Test
    void anOopsWithoutTheDeviceLinkWorkqueueIsNotTheRace() throws IOException {
        String text = resource("boot-race-split-line.log").replace("Workqueue: device_link_wq device_link_release_fn",
                "Workqueue: events some_other_fn");
        Sh4BootLog log = parse(text);
        assertThat(log.problems()).isNotEmpty();
        assertThat(log.onlyTheUnloadRace()).isFalse();
    }

    @Test
    void whatTheKernelPrintsAfterPowerDownIsNotAProblem() throws IOException {
        Sh4BootLog log = parse(resource("boot-panic-after-power-down.log"));
        assertThat(log.poweredOff()).isTrue();
        assertThat(log.problems()).isEmpty();
        assertThat(log.finitModule()).hasSize(20);
        assertThat(log.deleteModule()).hasSize(20);
        // The panic is in the file, after the power-down line.
        assertThat(resource("boot-panic-after-power-down.log")).contains("Attempted to kill init!");
    }

    @Test
    void aTruncatedBootIsNeitherDoneNorPoweredOff() throws IOException {
        String text = resource("boot-clean-vfat.log");
        Sh4BootLog log = parse(text.substring(0, text.indexOf("=== /proc/filesystems:")));
        assertThat(log.initDone()).isFalse();
        assertThat(log.poweredOff()).isFalse();
        assertThat(log.deleteModule()).isEmpty();
        assertThat(log.procModules()).isNull();
    }
}
