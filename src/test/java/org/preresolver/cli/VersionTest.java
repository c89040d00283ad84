package org.preresolver.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.preresolver.testing.CliRun.cli;

import java.nio.file.Files;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.preresolver.api.Version;
import org.preresolver.qemu.Host;
import org.preresolver.testing.CliRun;

/** {@code --version} prints the project's version and the git commit the build was made from. */
class VersionTest {
    @Test
    void versionPrintsTheProjectVersionAndTheGitCommit() throws Exception {
        CliRun r = cli("--version");
        assertThat(r.code()).isZero();
        Matcher m = Pattern.compile("^lkm-preresolver (\\S+) \\(commit ([0-9a-f]{7,40})\\)$")
                .matcher(r.out().strip());
        assertThat(m.matches()).as("version line: %s", r.out()).isTrue();

        String pom = Files.readString(Host.projectDir().resolve("pom.xml"));
        Matcher v = Pattern.compile("<artifactId>lkm-preresolver</artifactId>\\s*<version>([^<]+)</version>")
                .matcher(pom);
        assertThat(v.find()).isTrue();
        assertThat(m.group(1)).isEqualTo(v.group(1)).isEqualTo(Version.version());

        // the commit is the checkout's HEAD (the build filters it in at process-resources)
        String head = Host.run(Duration.ofSeconds(20), Host.projectDir(), "git", "rev-parse", "HEAD").output().strip();
        assertThat(head).startsWith(m.group(2));
        assertThat(Version.commit()).isEqualTo(m.group(2));
    }
}
