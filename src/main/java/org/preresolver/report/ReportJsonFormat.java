package org.preresolver.report;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.io.StringWriter;
import java.util.List;
import org.preresolver.report.ReportModel.DependencyClass;
import org.preresolver.report.ReportModel.ReasonCount;
import org.preresolver.report.ReportModel.Row;

/**
 * A report as JSON: the tables of {@link ReportModel} as data. Field names are stable:
 * {@code kernel, release, exports, dryRun, totals{...}, dependencyClasses[...], best[...],
 * worst[...], left{reason: count}, shareHistogram[11], modules[...]}.
 */
public final class ReportJsonFormat {
    private static final JsonFactory FACTORY = new JsonFactory();

    private ReportJsonFormat() {}

    public static String render(ReportModel r) {
        StringWriter w = new StringWriter();
        try (JsonGenerator g = FACTORY.createGenerator(w)) {
            g.useDefaultPrettyPrinter();
            g.writeStartObject();
            RunReport run = r.run();
            g.writeStringField("kernel", run.kernel());
            g.writeStringField("release", run.release());
            g.writeNumberField("exports", run.exports());
            g.writeBooleanField("dryRun", run.dryRun());
            ReportModel.Totals t = r.totals();
            g.writeObjectFieldStart("totals");
            g.writeNumberField("modules", t.modules());
            g.writeNumberField("failed", t.failed());
            g.writeNumberField("standard", t.before());
            g.writeNumberField("preresolved", t.preresolved());
            g.writeNumberField("left", t.after());
            g.writeNumberField("share", round(t.share()));
            g.writeNumberField("fullyPreresolved", t.full());
            g.writeNumberField("nonePreresolved", t.none());
            g.writeNumberField("noUndefined", t.noUndefined());
            g.writeEndObject();
            g.writeArrayFieldStart("dependencyClasses");
            for (DependencyClass c : r.classes()) {
                g.writeStartObject();
                g.writeStringField("depends", c.label());
                g.writeNumberField("modules", c.modules());
                g.writeNumberField("standard", c.before());
                g.writeNumberField("preresolved", c.preresolved());
                g.writeNumberField("left", c.after());
                g.writeNumberField("share", round(c.share()));
                g.writeEndObject();
            }
            g.writeEndArray();
            rows(g, "best", r.best());
            rows(g, "worst", r.worst());
            g.writeObjectFieldStart("left");
            for (ReasonCount c : r.left()) {
                g.writeNumberField(c.reason().key(), c.count());
            }
            g.writeEndObject();
            g.writeArrayFieldStart("shareHistogram");
            for (int n : r.shareHistogram()) {
                g.writeNumber(n);
            }
            g.writeEndArray();
            rows(g, "modules", r.rows());
            g.writeEndObject();
        } catch (IOException e) {
            throw new IllegalStateException("writing to a StringWriter failed", e);
        }
        return w + "\n";
    }

    private static void rows(JsonGenerator g, String field, List<Row> rows) throws IOException {
        g.writeArrayFieldStart(field);
        for (Row m : rows) {
            g.writeStartObject();
            g.writeStringField("path", m.path());
            g.writeStringField("name", m.name());
            g.writeStringField("status", m.status());
            if (m.failed()) {
                g.writeStringField("error", m.error());
            } else {
                g.writeNumberField("depends", m.dependencies());
                g.writeNumberField("standard", m.before());
                g.writeNumberField("preresolved", m.preresolved());
                g.writeNumberField("left", m.after());
                g.writeNumberField("share", round(m.share()));
                g.writeObjectFieldStart("leftReasons");
                for (ReasonCount c : m.leftSorted()) {
                    g.writeNumberField(c.reason().key(), c.count());
                }
                g.writeEndObject();
            }
            g.writeEndObject();
        }
        g.writeEndArray();
    }

    private static double round(double share) {
        return Math.round(share * 10000) / 10000.0;
    }
}
