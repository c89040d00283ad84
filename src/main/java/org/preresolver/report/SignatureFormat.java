package org.preresolver.report;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.io.Writer;
import java.util.List;
import java.util.Optional;
import org.preresolver.kernel.SignatureInfo;

/** The {@code signature} command's output: modinfo's signature fields, as text or JSON. */
public final class SignatureFormat {
    private static final JsonFactory FACTORY = new JsonFactory();

    private SignatureFormat() {}

    /**
     * One module's signatures.
     *
     * @param path the file as shown
     * @param signature its signature, empty when unsigned
     * @param original for a preresolved module, the original's signature kept in its record
     * @param preresolved the module carries a {@code .preresolved} record
     */
    public record Entry(String path, Optional<SignatureInfo> signature, Optional<SignatureInfo> original,
            boolean preresolved) {}

    /** modinfo's layout, {@code "%-16s%s"}; longer names get one space. */
    public static String text(Entry e) {
        StringBuilder sb = new StringBuilder();
        field(sb, "filename:", e.path());
        if (e.signature().isEmpty()) {
            field(sb, "sig_id:", "(not signed)");
        } else {
            fields(sb, "", e.signature().get());
        }
        if (e.original().isPresent()) {
            fields(sb, "original_", e.original().get());
        }
        return sb.toString();
    }

    private static void fields(StringBuilder sb, String prefix, SignatureInfo s) {
        field(sb, prefix + "sig_id:", s.idType());
        if (!s.signer().isEmpty()) {
            field(sb, prefix + "signer:", s.signer());
        }
        field(sb, prefix + "sig_key:", s.keyIdHex() + (s.keyIdIsSerial() ? "" : " (subject key identifier)"));
        field(sb, prefix + "sig_hashalgo:", s.hashAlgorithm());
        field(sb, prefix + "sig_keyalgo:", s.keyAlgorithm());
    }

    private static void field(StringBuilder sb, String name, String value) {
        sb.append(name).append(" ".repeat(Math.max(1, 16 - name.length()))).append(value).append(System.lineSeparator());
    }

    public static void json(List<Entry> entries, Writer w) throws IOException {
        try (JsonGenerator g = FACTORY.createGenerator(w)) {
            g.useDefaultPrettyPrinter();
            g.writeStartArray();
            for (Entry e : entries) {
                g.writeStartObject();
                g.writeStringField("path", e.path());
                g.writeBooleanField("signed", e.signature().isPresent());
                g.writeBooleanField("preresolved", e.preresolved());
                if (e.signature().isPresent()) {
                    g.writeFieldName("signature");
                    json(g, e.signature().get());
                }
                if (e.original().isPresent()) {
                    g.writeFieldName("originalSignature");
                    json(g, e.original().get());
                }
                g.writeEndObject();
            }
            g.writeEndArray();
        }
        w.write(System.lineSeparator());
        w.flush();
    }

    private static void json(JsonGenerator g, SignatureInfo s) throws IOException {
        g.writeStartObject();
        g.writeStringField("idType", s.idType());
        g.writeStringField("signer", s.signer());
        g.writeStringField("keyId", s.keyIdHex());
        g.writeStringField("keyIdKind", s.keyIdIsSerial() ? "serial" : "subjectKeyIdentifier");
        g.writeStringField("hashAlgorithm", s.hashAlgorithm());
        g.writeStringField("keyAlgorithm", s.keyAlgorithm());
        g.writeNumberField("signatureBytes", s.signature().length);
        g.writeNumberField("trailerBytes", s.trailerLength());
        g.writeEndObject();
    }
}
