package org.preresolver.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Arrays;
import java.util.List;

/** Test helper: runs the CLI in-process and keeps its exit code, stdout and stderr. */
record InProcessCli(int code, String out, String err) {

    static InProcessCli run(String... args) {
        StringWriter o = new StringWriter();
        StringWriter e = new StringWriter();
        int code = Cli.run(args, new PrintWriter(o), new PrintWriter(e));
        return new InProcessCli(code, o.toString(), e.toString());
    }

    static InProcessCli run(List<String> args) {
        return run(args.toArray(String[]::new));
    }

    /** The non-blank lines of stderr. */
    List<String> errLines() {
        return Arrays.stream(err.split("\n")).filter(l -> !l.isBlank()).toList();
    }

    @Override
    public String toString() {
        return "exit " + code + "\n--- stdout:\n" + (out.length() > 4000 ? out.substring(0, 4000) + "..." : out)
                + "\n--- stderr:\n" + err;
    }
}
