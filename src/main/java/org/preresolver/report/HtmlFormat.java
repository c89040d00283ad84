package org.preresolver.report;

import static org.preresolver.report.Svg.esc;

import java.util.List;
import java.util.Locale;
import org.preresolver.report.ReportModel.DependencyClass;
import org.preresolver.report.ReportModel.ReasonCount;
import org.preresolver.report.ReportModel.Row;

/**
 * A report as one self-contained HTML file: figures, charts in inline SVG, and the tables.
 * No script, no font, no stylesheet or image from elsewhere: the page needs no network.
 *
 * <p>Charts, each an {@code <svg class="chart">} with the id shown:
 * <ul>
 *   <li>{@code chart-largest}: undefined symbols of the largest modules, standard against preresolved;
 *   <li>{@code chart-share}: how many modules have which share of their symbols preresolved;
 *   <li>{@code chart-reasons}: the reasons symbols were left undefined;
 *   <li>{@code chart-classes}: standard against preresolved by dependency class.
 * </ul>
 */
public final class HtmlFormat {
    /** How many modules the bar chart of the largest modules shows. */
    public static final int LARGEST = 20;

    private static final int W = 560;

    private HtmlFormat() {}

    /**
     * The report as HTML.
     *
     * @param generator who made it, e.g. "lkm-preresolver 0.1.0 (commit abc)"; "" to leave it out
     * @param rows include the per-module table
     */
    public static String render(ReportModel r, String generator, boolean rows) {
        StringBuilder sb = new StringBuilder(64 * 1024);
        String title = TableFormat.title(r);
        sb.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
                .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
                .append("<title>").append(esc(title)).append("</title>\n<style>\n").append(CSS).append("</style>\n")
                .append("</head>\n<body>\n<main>\n");
        RunReport run = r.run();
        sb.append("<h1>Preresolved kernel modules</h1>\n<p class=\"sub\">").append(esc(run.kernel()));
        if (!run.release().isEmpty()) {
            sb.append(" &middot; release <b>").append(esc(run.release())).append("</b>");
        }
        sb.append(" &middot; ").append(group(run.exports())).append(" symbols exported by vmlinux");
        if (run.dryRun()) {
            sb.append(" &middot; dry run");
        }
        sb.append("</p>\n");
        figures(sb, r);

        sb.append("<div class=\"grid\">\n");
        figure(sb, "Undefined symbols of the " + Math.min(LARGEST, r.largest(LARGEST).size())
                + " largest modules", "Symbols the loader looks up: as built (standard) and left after this tool (preresolved).",
                largestChart(r));
        figure(sb, "Share of each module's symbols preresolved",
                "Modules with undefined symbols, by the share this tool made absolute.", shareChart(r));
        figure(sb, "Why symbols were left undefined", "Each is a check the kernel makes, or a fact of the tree.",
                reasonsChart(r));
        figure(sb, "By dependency class", "Modules grouped by how many modules their .modinfo depends= names.",
                classesChart(r));
        sb.append("</div>\n");

        sb.append("<h2>Totals</h2>\n");
        table(sb, List.of("", "modules", "standard", "preresolved", "left", "share"), "lrrrrr",
                List.of(List.of("all", group(r.totals().modules()), group(r.totals().before()),
                        group(r.totals().preresolved()), group(r.totals().after()), TableFormat.pct(r.totals().share()))));
        sb.append("<h2>By dependency class</h2>\n");
        table(sb, TableFormat.classHeader(), "lrrrrr", TableFormat.classRows(r));
        sb.append("<div class=\"pair\">\n<section>\n<h2>Best modules</h2>\n<p class=\"note\">Highest share preresolved.</p>\n");
        table(sb, TableFormat.rankHeader(), "lrrrrr", TableFormat.rankRows(r.best()));
        sb.append("</section>\n<section>\n<h2>Worst modules</h2>\n<p class=\"note\">Lowest share preresolved.</p>\n");
        table(sb, TableFormat.rankHeader(), "lrrrrr", TableFormat.rankRows(r.worst()));
        sb.append("</section>\n</div>\n");
        sb.append("<h2>Symbols left undefined, by reason</h2>\n");
        table(sb, List.of("reason", "symbols", "share of left"), "lrr", TableFormat.reasonRows(r));
        if (rows) {
            sb.append("<details>\n<summary>All ").append(r.rows().size()).append(" modules</summary>\n");
            table(sb, TableFormat.moduleHeader(), "llrrrrrl", TableFormat.moduleRows(r));
            sb.append("</details>\n");
        }
        if (!generator.isEmpty()) {
            sb.append("<p class=\"foot\">Made by ").append(esc(generator)).append(".</p>\n");
        }
        sb.append("</main>\n</body>\n</html>\n");
        return sb.toString();
    }

    private static void figures(StringBuilder sb, ReportModel r) {
        ReportModel.Totals t = r.totals();
        sb.append("<div class=\"figures\">\n");
        kpi(sb, group(t.modules()), "modules");
        kpi(sb, group(t.before()), "undefined symbols, standard");
        kpi(sb, group(t.preresolved()), "preresolved (" + TableFormat.pct(t.share()) + ")");
        kpi(sb, group(t.after()), "left for the loader");
        kpi(sb, group(t.full()), "modules fully preresolved");
        if (t.failed() > 0) {
            kpi(sb, group(t.failed()), "modules failed");
        }
        sb.append("</div>\n");
    }

    private static void kpi(StringBuilder sb, String value, String what) {
        sb.append("<div class=\"kpi\"><b>").append(esc(value)).append("</b><span>").append(esc(what))
                .append("</span></div>\n");
    }

    private static void figure(StringBuilder sb, String title, String note, String svg) {
        sb.append("<figure>\n<figcaption><b>").append(esc(title)).append("</b><br><span class=\"note\">")
                .append(esc(note)).append("</span></figcaption>\n").append(svg).append("</figure>\n");
    }

    private static String empty(String id, String label, String text) {
        return new Svg(id, W, 60, label).text(W / 2.0, 34, "middle", "empty", text).end();
    }

    private static void legend(Svg s, double x, double y) {
        s.rect(x, y - 9, 12, 10, "std", "");
        s.text(x + 16, y, "start", "legend", "standard");
        s.rect(x + 90, y - 9, 12, 10, "pre", "");
        s.text(x + 106, y, "start", "legend", "preresolved");
    }

    /** Grouped horizontal bars: per module, undefined symbols standard and left after preresolving. */
    static String largestChart(ReportModel r) {
        List<Row> mods = r.largest(LARGEST);
        String label = "Undefined symbols of the largest modules, standard against preresolved";
        if (mods.isEmpty()) {
            return empty("chart-largest", label, "No module has undefined symbols.");
        }
        int longest = 0;
        for (Row m : mods) {
            longest = Math.max(longest, Math.min(24, moduleName(m).length()));
        }
        int left = 16 + longest * 7;
        int right = W - 50;
        int top = 34;
        int bar = 9;
        int rowH = 2 * bar + 7;
        int h = top + mods.size() * rowH + 30;
        long step = Svg.niceStep(mods.get(0).before());
        long max = Svg.axisMax(mods.get(0).before(), step);
        double scale = (right - left) / (double) max;
        Svg s = new Svg("chart-largest", W, h, label);
        legend(s, left, 16);
        axis(s, left, right, top - 4, top + mods.size() * rowH, max, step, true);
        for (int i = 0; i < mods.size(); i++) {
            Row m = mods.get(i);
            double y = top + i * rowH;
            s.label(left - 6, y + bar + 3, "end", shorten(moduleName(m), 24), m.path());
            double ws = Math.max(1, m.before() * scale);
            s.rect(left, y, ws, bar, "std", m.path() + ": " + m.before() + " undefined symbols, standard");
            s.text(left + ws + 3, y + bar - 1, "start", "val", group(m.before()));
            double wp = m.after() == 0 ? 0 : Math.max(1, m.after() * scale);
            if (wp > 0) {
                s.rect(left, y + bar, wp, bar, "pre", m.path() + ": " + m.after() + " left after preresolving ("
                        + m.preresolved() + " preresolved)");
            }
            s.text(left + wp + 3, y + 2 * bar - 1, "start", "val", group(m.after()));
        }
        return s.end();
    }

    /** Histogram of the share preresolved per module. */
    static String shareChart(ReportModel r) {
        int[] bins = r.shareHistogram();
        List<String> labels = ReportModel.shareBinLabels();
        String label = "How many modules have which share of their undefined symbols preresolved";
        int total = 0;
        int peak = 0;
        for (int b : bins) {
            total += b;
            peak = Math.max(peak, b);
        }
        if (total == 0) {
            return empty("chart-share", label, "No module has undefined symbols.");
        }
        Columns c = Columns.open("chart-share", label, 50, 20, peak);
        Svg s = c.svg();
        int left = c.left();
        int right = c.right();
        int bottom = c.bottom();
        double scale = c.scale();
        double slot = (right - left) / (double) bins.length;
        for (int i = 0; i < bins.length; i++) {
            double x = left + i * slot + 3;
            double hgt = bins[i] == 0 ? 0 : Math.max(1, bins[i] * scale);
            if (hgt > 0) {
                s.rect(x, bottom - hgt, slot - 6, hgt, i == 10 ? "pre full" : "pre",
                        bins[i] + " modules with " + labels.get(i) + " of their symbols preresolved");
            }
            s.text(x + (slot - 6) / 2, bottom - hgt - 4, "middle", "val", group(bins[i]));
            s.text(x + (slot - 6) / 2, bottom + 14, "middle", "tick", labels.get(i));
        }
        s.text((left + right) / 2.0, bottom + 36, "middle", "axis-title", "share of the module's undefined symbols preresolved");
        return s.end();
    }

    /** A column chart begun: its SVG with the value axis drawn, the plot area and pixels per unit. */
    private record Columns(Svg svg, int left, int right, int bottom, double scale) {
        static Columns open(String id, String label, int left, int top, long peak) {
            int bottom = 250;
            int right = W - 10;
            long step = Svg.niceStep(peak);
            long max = Svg.axisMax(peak, step);
            Svg s = new Svg(id, W, bottom + 44, label);
            axis(s, top, bottom, left, right, max, step, false);
            return new Columns(s, left, right, bottom, (bottom - top) / (double) max);
        }
    }

    /** Horizontal bars: symbols left undefined, by reason. */
    static String reasonsChart(ReportModel r) {
        List<ReasonCount> reasons = r.left();
        String label = "Symbols left undefined, by reason";
        if (reasons.isEmpty()) {
            return empty("chart-reasons", label, "No symbol was left undefined.");
        }
        int left = 230;
        int right = W - 60;
        int top = 10;
        int rowH = 24;
        int h = top + reasons.size() * rowH + 30;
        long step = Svg.niceStep(reasons.get(0).count());
        long max = Svg.axisMax(reasons.get(0).count(), step);
        double scale = (right - left) / (double) max;
        Svg s = new Svg("chart-reasons", W, h, label);
        axis(s, left, right, top - 4, top + reasons.size() * rowH, max, step, true);
        for (int i = 0; i < reasons.size(); i++) {
            ReasonCount c = reasons.get(i);
            double y = top + i * rowH + 3;
            s.label(left - 6, y + 12, "end", shorten(c.reason().text(), 38), c.reason().text());
            double w = Math.max(2, c.count() * scale);
            s.rect(left, y, w, 16, "left", c.count() + " symbols: " + c.reason().text());
            s.text(left + w + 4, y + 12, "start", "val", group(c.count()));
        }
        return s.end();
    }

    /** Grouped vertical bars per dependency class, with the share preresolved above. */
    static String classesChart(ReportModel r) {
        List<DependencyClass> cls = r.classes();
        String label = "Undefined symbols by dependency class, standard against preresolved";
        long peak = 0;
        for (DependencyClass c : cls) {
            peak = Math.max(peak, c.before());
        }
        if (peak == 0) {
            return empty("chart-classes", label, "No module has undefined symbols.");
        }
        Columns frame = Columns.open("chart-classes", label, 60, 40, peak);
        Svg s = frame.svg();
        legend(s, frame.left(), 16);
        int left = frame.left();
        double scale = frame.scale();
        int bottom = frame.bottom();
        int right = frame.right();
        double slot = (right - left) / (double) cls.size();
        double bw = Math.min(60, slot / 3);
        for (int i = 0; i < cls.size(); i++) {
            DependencyClass c = cls.get(i);
            double cx = left + slot * i + slot / 2;
            double hs = c.before() == 0 ? 0 : Math.max(1, c.before() * scale);
            double hp = c.after() == 0 ? 0 : Math.max(1, c.after() * scale);
            String who = c.modules() + " modules depending on " + c.label() + " modules";
            if (hs > 0) {
                s.rect(cx - bw, bottom - hs, bw, hs, "std", who + ": " + c.before() + " undefined symbols, standard");
            }
            if (hp > 0) {
                s.rect(cx, bottom - hp, bw, hp, "pre", who + ": " + c.after() + " left after preresolving");
            }
            s.text(cx - bw / 2, bottom - hs - 4, "middle", "val", group(c.before()));
            s.text(cx + bw / 2, bottom - hp - 4, "middle", "val", group(c.after()));
            s.text(cx, bottom + 16, "middle", "tick", "depends on " + c.label() + " (" + group(c.modules()) + " modules)");
            s.text(cx, bottom + 32, "middle", "share", TableFormat.pct(c.share()) + " preresolved");
        }
        return s.end();
    }

    /**
     * An axis with a tick and a grid line every {@code step} up to {@code max}. Horizontal ({@code horizontal}): values along x from
     * {@code a} to {@code b}, grid from y {@code c} to {@code d}. Vertical: values along y from
     * {@code b} (0) up to {@code a}, grid from x {@code c} to {@code d}.
     */
    private static void axis(Svg s, double a, double b, double c, double d, long max, long step, boolean horizontal) {
        long ticks = max / step;
        for (int i = 0; i <= ticks; i++) {
            long v = step * i;
            double p = horizontal ? a + (b - a) * i / ticks : b - (b - a) * i / ticks;
            if (horizontal) {
                s.line(p, c, p, d, i == 0 ? "axis" : "gridline");
                s.text(p, d + 14, "middle", "tick", group(v));
            } else {
                s.line(c, p, d, p, i == 0 ? "axis" : "gridline");
                s.text(c - 6, p + 4, "end", "tick", group(v));
            }
        }
    }

    /** A module's name for a label: .modinfo name=, else its file name without .ko. */
    private static String moduleName(Row m) {
        if (!m.name().isEmpty()) {
            return m.name();
        }
        String f = m.path().substring(m.path().lastIndexOf('/') + 1);
        int i = f.indexOf(".ko");
        return i > 0 ? f.substring(0, i) : f;
    }

    private static String shorten(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max - 1) + "\u2026";
    }

    /** 143844 as "143,844". */
    static String group(long n) {
        return String.format(Locale.ROOT, "%,d", n);
    }

    private static void table(StringBuilder sb, List<String> header, String align, List<List<String>> rows) {
        sb.append("<table>\n<thead><tr>");
        for (int i = 0; i < header.size(); i++) {
            sb.append(align.charAt(i) == 'r' ? "<th class=\"r\">" : "<th>").append(esc(header.get(i))).append("</th>");
        }
        sb.append("</tr></thead>\n<tbody>\n");
        if (rows.isEmpty()) {
            sb.append("<tr><td colspan=\"").append(header.size()).append("\">(none)</td></tr>\n");
        }
        for (List<String> row : rows) {
            sb.append("<tr>");
            for (int i = 0; i < row.size(); i++) {
                sb.append(align.charAt(i) == 'r' ? "<td class=\"r\">" : "<td>").append(esc(row.get(i))).append("</td>");
            }
            sb.append("</tr>\n");
        }
        sb.append("</tbody>\n</table>\n");
    }

    private static final String CSS = """
            :root { --std: #4e79a7; --pre: #f28e2b; --left: #b07aa1; --ink: #1f2328; --muted: #59636e;
                    --grid: #d8dee4; --bg: #ffffff; --card: #f6f8fa; }
            * { box-sizing: border-box; }
            body { margin: 0; background: var(--bg); color: var(--ink);
                   font: 14px/1.45 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", Helvetica, Arial, sans-serif; }
            main { max-width: 1220px; margin: 0 auto; padding: 20px 24px 40px; }
            h1 { font-size: 24px; margin: 0 0 2px; }
            h2 { font-size: 17px; margin: 26px 0 8px; }
            .sub, .note, .foot { color: var(--muted); }
            .sub { margin: 0 0 14px; }
            .note { font-size: 12.5px; }
            .figures { display: flex; flex-wrap: wrap; gap: 10px; margin-bottom: 16px; }
            .kpi { background: var(--card); border: 1px solid var(--grid); border-radius: 8px; padding: 8px 14px;
                   min-width: 150px; }
            .kpi b { display: block; font-size: 22px; }
            .kpi span { color: var(--muted); font-size: 12.5px; }
            .grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(540px, 1fr)); gap: 14px; }
            .pair { display: grid; grid-template-columns: repeat(auto-fit, minmax(540px, 1fr)); gap: 14px; }
            figure { margin: 0; border: 1px solid var(--grid); border-radius: 8px; padding: 10px 12px; }
            figcaption { margin-bottom: 6px; }
            svg.chart { display: block; width: 100%; height: auto; max-width: 560px; }
            svg .std { fill: var(--std); }
            svg .pre { fill: var(--pre); }
            svg .left { fill: var(--left); }
            svg .gridline { stroke: var(--grid); stroke-width: 1; }
            svg .axis { stroke: var(--muted); stroke-width: 1; }
            svg text { font-size: 11px; fill: var(--ink); }
            svg .tick, svg .val { fill: var(--muted); font-size: 10px; }
            svg .legend { font-size: 11px; }
            svg .share { font-size: 11px; font-weight: 600; }
            svg .axis-title { fill: var(--muted); font-size: 11px; }
            svg .empty { fill: var(--muted); font-size: 13px; }
            table { border-collapse: collapse; font-size: 13px; margin: 4px 0 8px; }
            th, td { padding: 3px 10px; border-bottom: 1px solid var(--grid); text-align: left; white-space: nowrap; }
            th { background: var(--card); }
            .r { text-align: right; font-variant-numeric: tabular-nums; }
            details summary { cursor: pointer; font-weight: 600; margin: 20px 0 8px; }
            """;
}
