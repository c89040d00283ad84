package org.preresolver.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.preresolver.qemu.Host;

/**
 * Every input that once broke a parser, kept in {@code src/test/resources/fuzz-regressions/<target>/}
 * (the directory names the {@link Targets} constant, lower case), replayed under the fuzzing
 * contract. FUZZING.md lists what each one found.
 */
class FuzzRegressionTest {

    @TestFactory
    List<DynamicTest> everyKeptCrashingInputNowEndsInAFormatErrorOrSuccess() throws IOException {
        Path root = Host.projectDir().resolve("src/test/resources/fuzz-regressions");
        List<DynamicTest> out = new ArrayList<>();
        for (Targets t : Targets.values()) {
            Path dir = root.resolve(t.name().toLowerCase(Locale.ROOT));
            if (!Files.isDirectory(dir)) {
                continue;
            }
            try (Stream<Path> s = Files.list(dir)) {
                for (Path p : s.filter(Files::isRegularFile).sorted().toList()) {
                    out.add(DynamicTest.dynamicTest(t + "/" + p.getFileName(), () -> Contract.check(t, Files.readAllBytes(p))));
                }
            }
        }
        assertThat(out).as("kept regression inputs under " + root).isNotEmpty();
        return out;
    }
}
