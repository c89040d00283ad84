package org.preresolver.cli;

import java.io.PrintWriter;
import java.nio.charset.Charset;

/** The launcher's entry point. The only place that calls {@link System#exit}. */
public final class Main {
    private Main() {}

    public static void main(String[] args) {
        PrintWriter out = new PrintWriter(new java.io.OutputStreamWriter(System.out, Charset.defaultCharset()), false);
        PrintWriter err = new PrintWriter(new java.io.OutputStreamWriter(System.err, Charset.defaultCharset()), true);
        System.exit(Cli.run(args, out, err));
    }
}
