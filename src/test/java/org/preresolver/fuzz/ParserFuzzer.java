package org.preresolver.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.util.Arrays;

/**
 * Coverage-guided fuzzing (Jazzer) of every parser through one entry point: the first byte of an
 * input picks the {@link Targets} constant, the rest is that target's input. One fuzz test for all
 * parsers because Jazzer fuzzes one test per JVM; libFuzzer's coverage feedback spreads the
 * effort over them.
 *
 * <p>Not named {@code *Test}: surefire does not run it in the build's JVM, where Jazzer's agent
 * would instrument the classes of every later test. {@link FuzzSessionTest} runs it (Jazzer's
 * fuzzing mode, through the JUnit Platform) in a separate JVM for a bounded time; FUZZING.md has
 * the command for longer sessions. Kept findings are replayed by {@link FuzzRegressionTest}.
 */
class ParserFuzzer {

    @FuzzTest(maxDuration = "30s")
    void parsers(byte[] data) {
        if (data.length == 0) {
            return;
        }
        Targets[] all = Targets.values();
        Targets t = all[(data[0] & 0xff) % all.length];
        t.run(Arrays.copyOfRange(data, 1, data.length));
    }

    /** The fuzzer input for {@code payload} fed to {@code t}. */
    static byte[] input(Targets t, byte[] payload) {
        byte[] b = new byte[payload.length + 1];
        b[0] = (byte) t.ordinal();
        System.arraycopy(payload, 0, b, 1, payload.length);
        return b;
    }
}
