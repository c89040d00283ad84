package org.preresolver.fuzz;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The fuzzing contract, time-boxed: a target either succeeds or ends in the project's format
 * (or refusal) exception, within {@link #TIMEOUT_SECONDS}. Anything else, an
 * {@code IndexOutOfBoundsException}, a {@code NegativeArraySizeException}, an
 * {@code OutOfMemoryError}, an {@code ArithmeticException}, a violated output check or a hang, fails.
 */
final class Contract {
    /** Per call. Every seed takes milliseconds; a call this slow is a hang or a lying size field. */
    static final long TIMEOUT_SECONDS = 10;

    private static final ExecutorService POOL = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "fuzz-target");
        t.setDaemon(true);
        return t;
    });

    private Contract() {}

    static Targets.Tally check(Targets target, byte[] input) {
        Seeds.get(); // loads the Debian kernel once, outside the time box
        Future<Targets.Tally> f = POOL.submit(() -> target.run(input));
        try {
            return f.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            f.cancel(true);
            throw new AssertionError(target + ": no answer within " + TIMEOUT_SECONDS + " s on " + Targets.describe(input)
                    + keep(target, input));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            throw new AssertionError(target + " threw " + c + " on " + Targets.describe(input) + keep(target, input), c);
        }
    }

    /**
     * Saves a failing input under {@code target/fuzz-findings/<target>/} so that it can be kept
     * as a regression test (moved to {@code src/test/resources/fuzz-regressions/<target>/}).
     */
    static String keep(Targets target, byte[] input) {
        try {
            String name = java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-1")
                    .digest(input)).substring(0, 16);
            java.nio.file.Path dir = org.preresolver.qemu.Host.projectDir().resolve("target/fuzz-findings")
                    .resolve(target.name().toLowerCase(java.util.Locale.ROOT));
            java.nio.file.Files.createDirectories(dir);
            java.nio.file.Path p = dir.resolve(name);
            java.nio.file.Files.write(p, input);
            return " (saved as " + p + ")";
        } catch (java.io.IOException | java.security.NoSuchAlgorithmException e) {
            return " (could not save the input: " + e + ")";
        }
    }
}
