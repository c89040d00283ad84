package org.preresolver.report;

import java.util.Locale;

/** The forms a report can take. Each is a pure function of a {@link ReportModel}. */
public enum ReportFormat {
    /** Aligned plain-text tables, for a terminal. */
    TEXT("txt"),
    /** GitHub-flavoured Markdown tables. */
    MARKDOWN("md"),
    /** One CSV record per module. */
    CSV("csv"),
    /** The tables as JSON. */
    JSON("json"),
    /** One self-contained HTML file with inline SVG charts. */
    HTML("html");

    private final String extension;

    ReportFormat(String extension) {
        this.extension = extension;
    }

    /** The usual file name extension, without the dot. */
    public String extension() {
        return extension;
    }

    /**
     * Renders {@code r}.
     *
     * @param rows include the per-module table (CSV and JSON always have it)
     * @param generator who made the report, shown in the HTML footer; may be ""
     */
    public String render(ReportModel r, boolean rows, String generator) {
        return switch (this) {
            case TEXT -> TableFormat.render(r, rows);
            case MARKDOWN -> MarkdownFormat.render(r, rows);
            case CSV -> CsvFormat.render(r);
            case JSON -> ReportJsonFormat.render(r);
            case HTML -> HtmlFormat.render(r, generator, rows);
        };
    }

    /** Parses "text", "md"/"markdown", "csv", "json", "html" (any case). */
    public static ReportFormat parse(String s) {
        String k = s.strip().toLowerCase(Locale.ROOT);
        for (ReportFormat f : values()) {
            if (f.name().toLowerCase(Locale.ROOT).equals(k) || f.extension.equals(k)) {
                return f;
            }
        }
        throw new IllegalArgumentException("unknown report format '" + s + "' (text, markdown, csv, json, html)");
    }
}
