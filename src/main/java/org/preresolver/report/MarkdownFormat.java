package org.preresolver.report;

import static org.preresolver.report.TableFormat.num;
import static org.preresolver.report.TableFormat.pct;

import java.util.List;
import java.util.Locale;

/** A report as GitHub-flavoured Markdown: the same tables as {@link TableFormat}, for a README or an issue. */
public final class MarkdownFormat {
    private MarkdownFormat() {}

    /** The report as Markdown. {@code rows}: include the per-module table. */
    public static String render(ReportModel r, boolean rows) {
        StringBuilder sb = new StringBuilder();
        sb.append("# ").append(escape(TableFormat.title(r))).append("\n\n");

        sb.append("## Totals\n\n");
        table(sb, List.of("", "modules", "standard", "preresolved", "left", "share"), "lrrrrr",
                List.of(List.of("all", num(r.totals().modules()), num(r.totals().before()),
                        num(r.totals().preresolved()), num(r.totals().after()), pct(r.totals().share()))));
        sb.append(String.format(Locale.ROOT, "%n%d fully preresolved, %d with none preresolved, "
                + "%d with no undefined symbol, %d failed.%n%n", r.totals().full(), r.totals().none(),
                r.totals().noUndefined(), r.totals().failed()));

        sb.append("## By dependency class\n\nModules grouped by how many modules their `.modinfo` `depends=` names.\n\n");
        table(sb, TableFormat.classHeader(), "lrrrrr", TableFormat.classRows(r));

        sb.append("\n## Best modules\n\nHighest share preresolved.\n\n");
        table(sb, TableFormat.rankHeader(), "lrrrrr", TableFormat.rankRows(r.best()));
        sb.append("\n## Worst modules\n\nLowest share preresolved.\n\n");
        table(sb, TableFormat.rankHeader(), "lrrrrr", TableFormat.rankRows(r.worst()));

        sb.append("\n## Symbols left undefined, by reason\n\n");
        table(sb, List.of("reason", "symbols", "share of left"), "lrr", TableFormat.reasonRows(r));
        if (rows) {
            sb.append("\n## Modules\n\n");
            table(sb, TableFormat.moduleHeader(), "llrrrrrl", TableFormat.moduleRows(r));
        }
        return sb.toString();
    }

    private static void table(StringBuilder sb, List<String> header, String align, List<List<String>> rows) {
        row(sb, header);
        sb.append('|');
        for (int i = 0; i < header.size(); i++) {
            sb.append(align.charAt(i) == 'r' ? " ---: |" : " --- |");
        }
        sb.append('\n');
        for (List<String> r : rows) {
            row(sb, r);
        }
        if (rows.isEmpty()) {
            sb.append("\n(none)\n");
        }
    }

    private static void row(StringBuilder sb, List<String> cells) {
        sb.append('|');
        for (String c : cells) {
            sb.append(' ').append(escape(c)).append(" |");
        }
        sb.append('\n');
    }

    /** Escapes what Markdown would read as markup in a table cell. */
    static String escape(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        for (char c : s.toCharArray()) {
            switch (c) {
                case '|', '\\', '*', '_', '`', '<', '>', '[', ']' -> sb.append('\\').append(c);
                case '\n', '\r' -> sb.append(' ');
                default -> sb.append(c);
            }
        }
        return sb.toString();
    }
}
