package org.preresolver.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.preresolver.api.Version;
import org.preresolver.report.ReportFormat;
import org.preresolver.report.ReportModel;
import org.preresolver.report.RunReport;

/**
 * A report to write after a run, from {@code --report FORMAT[:FILE]}: the format and the file,
 * or stdout when there is no file (or it is "-").
 */
record ReportSpec(ReportFormat format, Path file) {

    static ReportSpec parse(String s) throws UsageException {
        int colon = s.indexOf(':');
        String f = colon < 0 ? s : s.substring(0, colon);
        String file = colon < 0 ? "" : s.substring(colon + 1);
        try {
            return new ReportSpec(ReportFormat.parse(f), file.isEmpty() || file.equals("-") ? null : Path.of(file));
        } catch (IllegalArgumentException e) {
            throw new UsageException("--report " + s + ": " + e.getMessage());
        }
    }

    /** Renders the report and writes it to its file, or to {@code out}. */
    void write(RunReport run, int top, boolean rows, PrintWriter out) throws IOException {
        String text = format.render(ReportModel.of(run, top), rows, generator());
        if (file == null) {
            out.print(text);
            out.flush();
        } else {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            Files.writeString(file, text, StandardCharsets.UTF_8);
        }
    }

    static String generator() {
        return Version.tool() + " (commit " + Version.commit() + ")";
    }
}
