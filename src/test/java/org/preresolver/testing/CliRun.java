package org.preresolver.testing;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import org.preresolver.cli.Cli;

/**
 * One run of {@code lkm-preresolver} in this JVM, through the same entry point as {@code Main}
 * ({@link Cli#run}): its exit code, stdout and stderr. The one in-process CLI runner of the tests.
 */
public record CliRun(int code, String out, String err) {

    /** The note the CLI prints for a KASLR kernel run with {@code --assume-nokaslr}. */
    public static final String KASLR_WARNING = "WARNING: this kernel has CONFIG_RANDOMIZE_BASE=y";

    /** Runs {@code lkm-preresolver ARGS} in-process. */
    public static CliRun cli(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Cli.run(args, new PrintWriter(out), new PrintWriter(err));
        return new CliRun(code, out.toString(), err.toString());
    }

    /** Runs {@code lkm-preresolver ARGS} in-process. */
    public static CliRun cli(List<String> args) {
        return cli(args.toArray(String[]::new));
    }

    /** Every non-blank line of stderr, warnings included. */
    public List<String> errLines() {
        return err.lines().filter(l -> !l.isBlank()).toList();
    }

    /** The lines of stderr without any line that contains {@code WARNING} (the error lines). */
    public List<String> errors() {
        return err.lines().filter(l -> !l.contains("WARNING")).toList();
    }

    /** The lines of stderr without the {@link #KASLR_WARNING} line only; any other warning stays. */
    public List<String> errLinesBesideKaslr() {
        return err.lines().filter(l -> !l.contains(KASLR_WARNING)).toList();
    }

    /** For assertion messages: the exit code, stdout (cut at 4000 characters) and stderr. */
    @Override
    public String toString() {
        return "exit " + code + "\n--- stdout:\n" + (out.length() > 4000 ? out.substring(0, 4000) + "..." : out)
                + "\n--- stderr:\n" + err;
    }
}
