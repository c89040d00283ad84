package org.preresolver.cli;

import java.io.PrintWriter;
import java.nio.charset.Charset;

/** The launcher's entry point. The only place that calls {@link System#exit}. */
public final class Main {
    private Main() {}

    public static void main(String[] args) {
        org.preresolver.api.Warmup.start();
        PrintWriter out = new PrintWriter(new java.io.OutputStreamWriter(System.out, Charset.defaultCharset()), false);
        PrintWriter err = new PrintWriter(new java.io.OutputStreamWriter(System.err, Charset.defaultCharset()), true);
        int code;
        try {
            code = Cli.run(args, out, err);
        } catch (OutOfMemoryError e) {
            // E.g. a kernel image too large for the heap: one line, not a stack trace.
            out.flush();
            err.println("lkm-preresolver: out of memory (" + (Runtime.getRuntime().maxMemory() >> 20)
                    + " MiB Java heap); give Java more (LKMPR_JAVA_OPTS=-Xmx...)");
            err.flush();
            code = ExitCodes.IO;
        }
        System.exit(code);
    }
}
