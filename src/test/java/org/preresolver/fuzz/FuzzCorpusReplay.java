package org.preresolver.fuzz;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Replays fuzzer inputs (target byte first, as {@link ParserFuzzer} reads them) under the
 * fuzzing contract and counts them per target; run under the JaCoCo agent it measures the
 * coverage of a fuzzing corpus (FUZZING.md). Exit status 1 if any input breaks the contract.
 *
 * <pre>usage: FuzzCorpusReplay DIR...</pre>
 */
public final class FuzzCorpusReplay {
    private FuzzCorpusReplay() {}

    public static void main(String[] args) throws IOException {
        Map<Targets, Integer> count = new EnumMap<>(Targets.class);
        int failed = 0;
        for (String a : args) {
            try (Stream<Path> s = Files.list(Path.of(a))) {
                for (Path p : s.filter(Files::isRegularFile).sorted().toList()) {
                    byte[] b = Files.readAllBytes(p);
                    if (b.length == 0) {
                        continue;
                    }
                    Targets t = Targets.values()[(b[0] & 0xff) % Targets.values().length];
                    count.merge(t, 1, Integer::sum);
                    try {
                        Contract.check(t, java.util.Arrays.copyOfRange(b, 1, b.length));
                    } catch (AssertionError e) {
                        failed++;
                        System.err.println(p + ": " + e.getMessage());
                    }
                }
            }
        }
        System.out.println("replayed " + count + ", " + failed + " broke the contract");
        System.exit(failed == 0 ? 0 : 1);
    }
}
