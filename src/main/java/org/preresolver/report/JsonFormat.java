package org.preresolver.report;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.io.Writer;
import java.util.Map;
import org.preresolver.preresolve.Outcome;
import org.preresolver.preresolve.Reason;
import org.preresolver.preresolve.SymbolOutcome;

/** A run as JSON: the same facts as the text lines and summary, as data. Field names are stable. */
public final class JsonFormat {
    private static final JsonFactory FACTORY = new JsonFactory();

    private JsonFormat() {}

    public static void write(RunReport r, Writer w) throws IOException {
        try (JsonGenerator g = FACTORY.createGenerator(w)) {
            g.useDefaultPrettyPrinter();
            g.writeStartObject();
            g.writeStringField("kernel", r.kernel());
            g.writeStringField("release", r.release());
            g.writeNumberField("exports", r.exports());
            g.writeBooleanField("dryRun", r.dryRun());
            g.writeObjectFieldStart("summary");
            g.writeNumberField("modules", r.moduleCount());
            g.writeNumberField("undefined", r.undefinedTotal());
            g.writeNumberField("preresolved", r.preresolvedTotal());
            g.writeNumberField("share", Math.round(r.share() * 10000) / 10000.0);
            g.writeNumberField("fullyPreresolved", r.fullyPreresolved());
            g.writeNumberField("errors", r.failures());
            g.writeNumberField("signaturesStripped", r.signaturesStripped());
            g.writeNumberField("signaturesResigned", r.signaturesResigned());
            g.writeObjectFieldStart("statuses");
            for (ModuleReport.Status s : ModuleReport.Status.values()) {
                g.writeNumberField(s.key(), r.count(s));
            }
            g.writeEndObject();
            writeReasons(g, "left", r.leftByReason());
            g.writeEndObject();
            g.writeArrayFieldStart("modules");
            for (ModuleReport m : r.modules()) {
                writeModule(g, m);
            }
            g.writeEndArray();
            g.writeEndObject();
        }
        w.write(System.lineSeparator());
        w.flush();
    }

    private static void writeModule(JsonGenerator g, ModuleReport m) throws IOException {
        g.writeStartObject();
        g.writeStringField("path", m.path());
        g.writeStringField("name", m.name());
        g.writeStringField("status", m.status().key());
        if (m.status().failed()) {
            g.writeStringField("error", m.error());
        } else {
            g.writeNumberField("undefined", m.undefined());
            g.writeNumberField("preresolved", m.preresolved());
            g.writeBooleanField("full", m.isFull());
            writeReasons(g, "left", m.left());
            g.writeArrayFieldStart("depends");
            for (String d : m.depends()) {
                g.writeString(d);
            }
            g.writeEndArray();
            g.writeBooleanField("signatureStripped", m.signatureStripped());
            g.writeBooleanField("resigned", m.resigned());
            g.writeStringField("compression", m.compression());
            g.writeNumberField("sizeIn", m.sizeIn());
            g.writeNumberField("sizeOut", m.sizeOut());
            g.writeNumberField("uncompressedSizeOut", m.uncompressedSizeOut());
            if (!m.outcomes().isEmpty()) {
                g.writeArrayFieldStart("symbols");
                for (SymbolOutcome o : m.outcomes()) {
                    writeOutcome(g, o);
                }
                g.writeEndArray();
            }
        }
        g.writeEndObject();
    }

    static void writeOutcome(JsonGenerator g, SymbolOutcome o) throws IOException {
        g.writeStartObject();
        g.writeStringField("name", o.name());
        g.writeNumberField("index", o.index());
        g.writeBooleanField("weak", o.weak());
        if (o.outcome() instanceof Outcome.Preresolved p) {
            g.writeStringField("outcome", "preresolved");
            g.writeStringField("address", "0x" + Long.toHexString(p.address()));
            g.writeStringField("binding", p.binding() == Outcome.Binding.ANCHORED ? "anchored" : "absolute");
        } else if (o.outcome() instanceof Outcome.Left l) {
            g.writeStringField("outcome", "left");
            g.writeStringField("reason", l.reason().key());
            if (!l.detail().isEmpty()) {
                g.writeStringField("detail", l.detail());
            }
        }
        g.writeEndObject();
    }

    private static void writeReasons(JsonGenerator g, String field, Map<Reason, Integer> m) throws IOException {
        g.writeObjectFieldStart(field);
        for (Map.Entry<Reason, Integer> e : m.entrySet()) {
            g.writeNumberField(e.getKey().key(), e.getValue());
        }
        g.writeEndObject();
    }
}
