package org.preresolver.report;

import java.util.List;
import java.util.Locale;
import org.preresolver.report.ReportModel.ReasonCount;
import org.preresolver.report.ReportModel.Row;

/**
 * A report's per-module rows as CSV (RFC 4180, CRLF-free: one {@code \n} per record), for
 * spreadsheets and scripts. Columns, stable:
 * <pre>
 * path,name,status,depends,standard,preresolved,left,share,left_reasons,error
 * </pre>
 * {@code standard}: undefined symbols before; {@code left}: undefined after; {@code share}:
 * preresolved/standard with four decimals (empty for a failed module or one with no undefined
 * symbol); {@code left_reasons}: {@code key=count} pairs joined by {@code ;}, keys as in the JSON.
 */
public final class CsvFormat {
    /** The header line's fields. */
    public static final List<String> COLUMNS = List.of("path", "name", "status", "depends", "standard", "preresolved",
            "left", "share", "left_reasons", "error");

    private CsvFormat() {}

    public static String render(ReportModel r) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.join(",", COLUMNS)).append('\n');
        for (Row m : r.rows()) {
            if (m.failed()) {
                record(sb, List.of(m.path(), m.name(), m.status(), "", "", "", "", "", "", m.error()));
                continue;
            }
            StringBuilder reasons = new StringBuilder();
            for (ReasonCount c : m.leftSorted()) {
                if (reasons.length() > 0) {
                    reasons.append(';');
                }
                reasons.append(c.reason().key()).append('=').append(c.count());
            }
            record(sb, List.of(m.path(), m.name(), m.status(), Integer.toString(m.dependencies()),
                    Integer.toString(m.before()), Integer.toString(m.preresolved()), Integer.toString(m.after()),
                    m.before() == 0 ? "" : String.format(Locale.ROOT, "%.4f", m.share()), reasons.toString(), ""));
        }
        return sb.toString();
    }

    private static void record(StringBuilder sb, List<String> fields) {
        for (int i = 0; i < fields.size(); i++) {
            if (i > 0) {
                sb.append(',');
            }
            sb.append(field(fields.get(i)));
        }
        sb.append('\n');
    }

    /** Quotes a field that holds a comma, a quote or a line break; doubles quotes. */
    static String field(String s) {
        if (s.indexOf(',') < 0 && s.indexOf('"') < 0 && s.indexOf('\n') < 0 && s.indexOf('\r') < 0) {
            return s;
        }
        return '"' + s.replace("\"", "\"\"") + '"';
    }
}
