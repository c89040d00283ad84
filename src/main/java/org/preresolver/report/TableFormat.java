package org.preresolver.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.preresolver.report.ReportModel.DependencyClass;
import org.preresolver.report.ReportModel.ReasonCount;
import org.preresolver.report.ReportModel.Row;

/**
 * A report as aligned plain-text tables for a terminal (and as the base of the Markdown form):
 * totals, dependency classes, best and worst modules, reasons left, then every module.
 */
public final class TableFormat {
    private TableFormat() {}

    /** The report as text. {@code rows}: include the per-module table. */
    public static String render(ReportModel r, boolean rows) {
        StringBuilder sb = new StringBuilder();
        sb.append(title(r)).append('\n').append('\n');

        sb.append("Totals\n");
        table(sb, List.of("", "modules", "standard", "preresolved", "left", "share"), "lrrrrr",
                List.of(List.of("all", num(r.totals().modules()), num(r.totals().before()),
                        num(r.totals().preresolved()), num(r.totals().after()), pct(r.totals().share()))));
        sb.append(String.format(Locale.ROOT, "%d fully preresolved, %d with none preresolved, "
                + "%d with no undefined symbol, %d failed%n", r.totals().full(), r.totals().none(),
                r.totals().noUndefined(), r.totals().failed()));
        sb.append('\n');

        sb.append("By dependency class (modules named in .modinfo depends=)\n");
        table(sb, classHeader(), "lrrrrr", classRows(r));
        sb.append('\n');

        sb.append("Best modules (highest share preresolved)\n");
        table(sb, rankHeader(), "lrrrrr", rankRows(r.best()));
        sb.append('\n');
        sb.append("Worst modules (lowest share preresolved)\n");
        table(sb, rankHeader(), "lrrrrr", rankRows(r.worst()));
        sb.append('\n');

        sb.append("Symbols left undefined, by reason\n");
        table(sb, List.of("reason", "symbols", "share of left"), "lrr", reasonRows(r));
        if (rows) {
            sb.append('\n').append("Modules\n");
            table(sb, moduleHeader(), "llrrrrrl", moduleRows(r));
        }
        return sb.toString();
    }

    static String title(ReportModel r) {
        RunReport run = r.run();
        return "Preresolve report: " + run.kernel() + (run.release().isEmpty() ? "" : ", release " + run.release())
                + ", " + run.exports() + " exports" + (run.dryRun() ? " (dry run)" : "");
    }

    static List<String> classHeader() {
        return List.of("depends on", "modules", "standard", "preresolved", "left", "share");
    }

    static List<List<String>> classRows(ReportModel r) {
        List<List<String>> out = new ArrayList<>();
        for (DependencyClass c : r.classes()) {
            out.add(List.of(c.label(), num(c.modules()), num(c.before()), num(c.preresolved()), num(c.after()),
                    pct(c.share())));
        }
        return out;
    }

    static List<String> rankHeader() {
        return List.of("module", "standard", "preresolved", "left", "share", "depends");
    }

    static List<List<String>> rankRows(List<Row> rows) {
        List<List<String>> out = new ArrayList<>();
        for (Row m : rows) {
            out.add(List.of(m.path(), num(m.before()), num(m.preresolved()), num(m.after()), pct(m.share()),
                    num(m.dependencies())));
        }
        return out;
    }

    static List<List<String>> reasonRows(ReportModel r) {
        List<List<String>> out = new ArrayList<>();
        long all = r.totals().after();
        for (ReasonCount c : r.left()) {
            out.add(List.of(c.reason().text(), num(c.count()), pct(all == 0 ? 0 : (double) c.count() / all)));
        }
        return out;
    }

    static List<String> moduleHeader() {
        return List.of("module", "status", "standard", "preresolved", "left", "share", "depends", "left because");
    }

    static List<List<String>> moduleRows(ReportModel r) {
        List<List<String>> out = new ArrayList<>();
        for (Row m : r.rows()) {
            if (m.failed()) {
                out.add(List.of(m.path(), m.status(), "", "", "", "", "", m.error()));
            } else {
                out.add(List.of(m.path(), m.status(), num(m.before()), num(m.preresolved()), num(m.after()),
                        m.before() == 0 ? "-" : pct(m.share()), num(m.dependencies()), reasons(m)));
            }
        }
        return out;
    }

    /** "13 exported by a module, 1 address 0 in the image", or "" when nothing was left. */
    static String reasons(Row m) {
        StringBuilder sb = new StringBuilder();
        for (ReasonCount c : m.leftSorted()) {
            if (sb.length() > 0) {
                sb.append(", ");
            }
            sb.append(c.count()).append(' ').append(c.reason().text());
        }
        return sb.toString();
    }

    static String num(long n) {
        return Long.toString(n);
    }

    static String pct(double share) {
        return String.format(Locale.ROOT, "%.1f%%", 100 * share);
    }

    /**
     * Appends an aligned table: two spaces between columns, a rule under the header.
     * {@code align}: one 'l' or 'r' per column. The last column is not padded.
     */
    static void table(StringBuilder sb, List<String> header, String align, List<List<String>> rows) {
        int n = header.size();
        int[] w = new int[n];
        for (int i = 0; i < n; i++) {
            w[i] = header.get(i).length();
        }
        for (List<String> row : rows) {
            for (int i = 0; i < n; i++) {
                w[i] = Math.max(w[i], row.get(i).length());
            }
        }
        line(sb, header, align, w);
        List<String> rule = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            rule.add("-".repeat(w[i]));
        }
        line(sb, rule, align, w);
        if (rows.isEmpty()) {
            sb.append("(none)\n");
        }
        for (List<String> row : rows) {
            line(sb, row, align, w);
        }
    }

    private static void line(StringBuilder sb, List<String> cells, String align, int[] w) {
        StringBuilder l = new StringBuilder();
        for (int i = 0; i < cells.size(); i++) {
            if (i > 0) {
                l.append("  ");
            }
            String c = cells.get(i);
            String pad = " ".repeat(w[i] - c.length());
            if (align.charAt(i) == 'r') {
                l.append(pad).append(c);
            } else if (i == cells.size() - 1) {
                l.append(c);
            } else {
                l.append(c).append(pad);
            }
        }
        sb.append(l.toString().stripTrailing()).append('\n');
    }
}
