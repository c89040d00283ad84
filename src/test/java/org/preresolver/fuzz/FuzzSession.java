package org.preresolver.fuzz;

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectMethod;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

/**
 * Runs {@link ParserFuzzer#parsers} in Jazzer's fuzzing mode through the JUnit Platform, in
 * this JVM (start it with {@code JAZZER_FUZZ=1} in the environment) for the given time, from the
 * seed corpus {@link #writeSeeds} wrote. Exit status 0 when nothing was found.
 *
 * <pre>usage: FuzzSession SECONDS WORKDIR</pre>
 * WORKDIR gets {@code corpus/} (what the fuzzer keeps), {@code seeds/}, {@code findings/}
 * (crashing inputs) and {@code coverage.txt} (Jazzer's coverage report).
 */
public final class FuzzSession {
    /** The code under test: every package that parses or rewrites input. */
    static final String INSTRUMENT = "org.preresolver.elf.**,org.preresolver.kernel.**,org.preresolver.preresolve.**"
            + ",org.preresolver.io.**,org.preresolver.api.**";
    /**
     * libFuzzer's per-input timeout. Generous because the first input loads the Debian kernel and
     * builds the seeds (which cannot happen earlier: classes loaded before Jazzer's agent is
     * installed get no coverage instrumentation); every later input takes milliseconds.
     */
    static final int TIMEOUT_SECONDS = 90;

    private FuzzSession() {}

    public static void main(String[] args) throws IOException {
        long seconds = Long.parseLong(args[0]);
        Path work = Path.of(args[1]).toAbsolutePath();
        Path corpus = Files.createDirectories(work.resolve("corpus"));
        Path seeds = Files.createDirectories(work.resolve("seeds"));
        Path findings = Files.createDirectories(work.resolve("findings"));
        // No project class may be loaded before Jazzer's agent is in place (it would stay
        // uninstrumented): the seeds were written by FuzzSessionTest, in another JVM.
        System.err.println("fuzz session: " + seconds + " s, in " + work);
        LauncherDiscoveryRequest req = LauncherDiscoveryRequestBuilder.request()
                .selectors(selectMethod(ParserFuzzer.class, "parsers", "byte[]"))
                .configurationParameter("jazzer.max_duration", seconds + "s")
                .configurationParameter("jazzer.instrument", INSTRUMENT)
                .configurationParameter("jazzer.coverage_report", work.resolve("coverage.txt").toString())
                .configurationParameter("jazzer.internal.arg.0", "fuzz")
                .configurationParameter("jazzer.internal.arg.1", corpus.toString())
                .configurationParameter("jazzer.internal.arg.2", seeds.toString())
                .configurationParameter("jazzer.internal.arg.3", "-artifact_prefix=" + findings + "/")
                .configurationParameter("jazzer.internal.arg.4", "-timeout=" + TIMEOUT_SECONDS)
                .configurationParameter("jazzer.internal.arg.5", "-print_final_stats=1")
                .configurationParameter("jazzer.internal.arg.6", "-report_slow_units=" + TIMEOUT_SECONDS)
                .build();
        Launcher launcher = LauncherFactory.create();
        SummaryGeneratingListener listener = new SummaryGeneratingListener();
        launcher.execute(req, listener);
        TestExecutionSummary s = listener.getSummary();
        s.printTo(new PrintWriter(System.err));
        s.printFailuresTo(new PrintWriter(System.err), 40);
        System.exit(s.getTotalFailureCount() == 0 && s.getTestsSucceededCount() > 0 ? 0 : 1);
    }

    /** Every seed of every target, as fuzzer inputs (target byte first). */
    static int writeSeeds(Path dir) throws IOException {
        int n = 0;
        Seeds all = Seeds.get();
        for (Targets t : Targets.values()) {
            for (Seeds.Seed s : all.seeds(t)) {
                String name = t.name().toLowerCase(Locale.ROOT) + "-" + s.name().replaceAll("[^A-Za-z0-9.+_-]", "_");
                Files.write(dir.resolve(name), ParserFuzzer.input(t, s.bytes()));
                n++;
            }
        }
        return n;
    }
}
