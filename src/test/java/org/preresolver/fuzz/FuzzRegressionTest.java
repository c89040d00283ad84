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
 * (the directory names the {@link Targets} constant, lower case; {@code jazzer/} holds Jazzer's
 * crash files as written, target byte first), replayed under the fuzzing contract. FUZZING.md
 * lists what each one found.
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
        // Jazzer's findings as the fuzzer wrote them: the first byte picks the target (ParserFuzzer).
        Path jazzer = root.resolve("jazzer");
        if (Files.isDirectory(jazzer)) {
            try (Stream<Path> s = Files.list(jazzer)) {
                for (Path p : s.filter(Files::isRegularFile).sorted().toList()) {
                    out.add(DynamicTest.dynamicTest("jazzer/" + p.getFileName(), () -> {
                        byte[] b = Files.readAllBytes(p);
                        if (b.length > 0) {
                            Targets t = Targets.values()[(b[0] & 0xff) % Targets.values().length];
                            Contract.check(t, java.util.Arrays.copyOfRange(b, 1, b.length));
                        }
                    }));
                }
            }
        }
        assertThat(out).as("kept regression inputs under " + root).isNotEmpty();
        return out;
    }
}
