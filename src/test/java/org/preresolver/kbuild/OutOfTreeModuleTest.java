package org.preresolver.kbuild;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.preresolver.api.Restore;
import org.preresolver.qemu.DebianKernel;
import org.preresolver.qemu.Host;

/**
 * The out-of-tree integration, end to end: a real module (src/test/kbuild/lkmpr_oot) is built
 * with kbuild against Debian's kernel headers by its own Makefile, which includes
 * scripts/kbuild/preresolve.mk; the tool then preresolves it in place and prints its PRERESV line.
 */
class OutOfTreeModuleTest {
    static final Pattern LINE = Pattern.compile("(?m)^  PRERESV (\\S+) \\((\\d+)/(\\d+) preresolved\\)$");

    @TempDir
    Path tmp;

    @Test
    void theMakefileFragmentPreresolvesAModuleBuiltAgainstDebianHeaders() throws Exception {
        DebianKernel k = DebianKernel.fetch();
        Path project = Host.projectDir();
        Host.Result kd = Host.run(Duration.ofMinutes(1), null, "sh",
                project.resolve("scripts/kbuild/debian-kdir.sh").toString(), k.root().getParent().toString(),
                tmp.resolve("kdir").toString());
        String kdir = kd.output().strip().lines().reduce((a, b) -> b).orElseThrow();
        try {
            buildAndCheck(k, project, kdir);
        } finally {
            // the shadow KDIR is symbolic links into the cache: remove the links, never what they point to
            Host.run(Duration.ofMinutes(1), null, "rm", "-rf", tmp.resolve("kdir").toString());
        }
    }

    void buildAndCheck(DebianKernel k, Path project, String kdir) throws Exception {
        Path m = tmp.resolve("lkmpr_oot");
        Files.createDirectories(m);
        try (Stream<Path> s = Files.list(project.resolve("src/test/kbuild/lkmpr_oot"))) {
            for (Path p : s.toList()) {
                Files.copy(p, m.resolve(p.getFileName()));
            }
        }
        String tool = String.join(" ", Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
                org.preresolver.cli.Main.class.getName());
        List<String> make = List.of("make", "-C", m.toString(), "KDIR=" + kdir,
                "LKMPR_MK=" + project.resolve("scripts/kbuild/preresolve.mk"), "LKMPR=" + tool,
                "LKMPR_KERNEL=" + k.vmlinuz(), "LKMPR_FLAGS=--assume-nokaslr");

        Host.Result build = Host.runAllowingFailure(Duration.ofMinutes(5), null, make.toArray(String[]::new));
        assertThat(build.exitCode()).as(build.output()).isZero();
        String out = build.output();
        // kbuild linked the module, then the tool ran: exactly one line, for this module
        assertThat(out).contains("LD [M]  " + m.resolve("lkmpr_oot.ko"));
        assertThat(out.indexOf("LD [M]")).isLessThan(out.indexOf("  PRERESV"));
        Matcher line = LINE.matcher(out);
        assertThat(line.find()).as(out).isTrue();
        assertThat(line.group(1)).isEqualTo("lkmpr_oot.ko");
        int n = Integer.parseInt(line.group(2));
        int total = Integer.parseInt(line.group(3));
        assertThat(line.find()).isFalse();

        // what is left undefined is only crc32c, from the libcrc32c module; the rest is absolute now
        Path ko = m.resolve("lkmpr_oot.ko");
        assertThat(undefined(ko)).containsExactly("crc32c");
        assertThat(n).isEqualTo(total - 1);
        String nm = Host.run(Duration.ofSeconds(30), null, "nm", ko.toString()).output();
        assertThat(nm).containsPattern("(?m)^ffffffff[0-9a-f]{8} A kfree$");
        // the module as kbuild built it (given back by restore) had all of them undefined
        byte[] after = Files.readAllBytes(ko);
        Path original = tmp.resolve("original.ko");
        Files.write(original, Restore.original(after).orElseThrow());
        assertThat(undefined(original)).hasSize(total).contains("crc32c", "kfree");

        // running the integration again changes nothing and says the same
        List<String> again = new java.util.ArrayList<>(make);
        again.add("preresolve");
        Host.Result second = Host.run(Duration.ofMinutes(2), null, again.toArray(String[]::new));
        assertThat(second.output()).contains("  PRERESV lkmpr_oot.ko (" + n + "/" + total + " preresolved)")
                .doesNotContain("LD [M]");
        assertThat(Files.readAllBytes(ko)).isEqualTo(after);
    }

    static List<String> undefined(Path ko) throws Exception {
        return Host.run(Duration.ofSeconds(30), null, "nm", "-u", ko.toString()).output().lines()
                .map(String::strip).filter(l -> !l.isEmpty()).map(l -> l.substring(l.lastIndexOf(' ') + 1)).toList();
    }
}
