package org.preresolver.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.preresolver.testing.CliRun.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.preresolver.io.KernelLoader;
import org.preresolver.qemu.DebianKernel;
import org.preresolver.testing.CliRun;

/**
 * Debian 13+ installs {@code vmlinuz}, {@code config} and {@code System.map} in
 * {@code /usr/lib/modules/RELEASE/} (sid's 7.x packages do; trixie's 6.12 still uses /boot). The KASLR
 * check must find the configuration there, or in {@code /boot/config-RELEASE} of the same root, without
 * {@code --config}; and the image's directory is the tree when no module is named. Real packages,
 * unpacked by {@code scripts/fetch-debian-kernel.sh}, arranged as an installed system would have them.
 */
class DebianInstalledLayoutTest {
    @Test
    void sidImageInUsrLibModulesFindsItsConfigBesideIt() throws Exception {
        DebianKernel sid = DebianKernel.fetchSuite("sid");
        Path image = sid.modulesDir().resolve("vmlinuz");
        assertThat(image).as("the 7.x package installs its image in usr/lib/modules/R").isRegularFile();
        // No --config: the config beside the image is the one found (anchor mode needs no option, so the
        // loader says it; plain mode's warning names it).
        KernelLoader.LoadedKernel k = KernelLoader.fromImage(image, null, null);
        assertThat(k.configNote()).isEqualTo(sid.modulesDir().resolve("config").toString());
        assertThat(k.config()).hasValueSatisfying(c -> assertThat(c.randomizesBase()).isTrue());
        Path one = sid.modulesDir().resolve("kernel/fs/isofs/isofs.ko.xz");
        CliRun plain = cli("preresolve", "-n", "--assume-nokaslr", "--strip-signature", "-k",
                image.toString(), one.toString());
        assertThat(plain.code()).as(plain.toString()).isZero();
        assertThat(plain.errLines()).as(plain.toString()).singleElement().asString()
                .contains("CONFIG_RANDOMIZE_BASE=y (" + sid.modulesDir().resolve("config") + ")");
        assertThat(KernelLoader.moduleTreeBeside(image)).contains(sid.modulesDir());
    }

    @Test
    void imageInUsrLibModulesWithTheConfigInBootOfTheSameRoot(@TempDir Path root) throws Exception {
        DebianKernel trixie = DebianKernel.fetchSuite("trixie");
        String rel = trixie.release();
        Path dir = Files.createDirectories(root.resolve("usr/lib/modules/" + rel));
        Path image = Files.createSymbolicLink(dir.resolve("vmlinuz"), trixie.vmlinuz());
        Path boot = Files.createDirectories(root.resolve("boot"));
        Path config = Files.createSymbolicLink(boot.resolve("config-" + rel), trixie.config());
        KernelLoader.LoadedKernel k = KernelLoader.fromImage(image, null, null);
        assertThat(k.configNote()).isEqualTo(config.toString());
        assertThat(k.config()).hasValueSatisfying(c -> assertThat(c.randomizesBase()).isTrue());
        // Without it: anchor mode, which is right either way; plain mode warns, saying where it looked.
        Files.delete(config);
        CliRun r = cli("preresolve", "-n", "-k", image.toString(), dir.toString());
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.err()).isEmpty();
        CliRun plain = cli("preresolve", "-n", "--assume-nokaslr", "-k", image.toString(),
                dir.toString());
        assertThat(plain.code()).as(plain.toString()).isZero();
        assertThat(plain.err()).contains("cannot tell").contains("no configuration found")
                .contains("/boot/config-" + rel);
    }

    @Test
    void noModuleArgumentMeansTheTreeBesideTheImage(@TempDir Path root) throws Exception {
        DebianKernel sid = DebianKernel.fetchSuite("sid");
        String rel = sid.release();
        Path dir = Files.createDirectories(root.resolve("usr/lib/modules/" + rel));
        Path image = Files.createSymbolicLink(dir.resolve("vmlinuz"), sid.modulesDir().resolve("vmlinuz"));
        Files.createSymbolicLink(dir.resolve("config"), sid.modulesDir().resolve("config"));
        List<String> names = List.of("net/key/af_key.ko.xz", "fs/isofs/isofs.ko.xz");
        for (String n : names) {
            Path to = dir.resolve("kernel/" + n);
            Files.createDirectories(to.getParent());
            Files.copy(sid.modulesDir().resolve("kernel/" + n), to);
        }
        CliRun r = cli("preresolve", "-n", "--assume-nokaslr", "--strip-signature", "-k",
                image.toString());
        assertThat(r.code()).as(r.toString()).isZero();
        List<String> lines;
        try (Stream<String> s = r.out().lines()) {
            lines = s.filter(l -> l.strip().startsWith("PRERESV ")).map(l -> l.strip().split(" ")[1]).sorted().toList();
        }
        assertThat(lines).containsExactly("kernel/fs/isofs/isofs.ko.xz", "kernel/net/key/af_key.ko.xz");
        // An image elsewhere implies nothing: a usage error.
        CliRun none = cli("preresolve", "-n", "--assume-nokaslr", "-k", sid.vmlinux().toString());
        assertThat(none.code()).as(none.toString()).isEqualTo(2);
        assertThat(none.err()).contains("no modules given");
    }
}
