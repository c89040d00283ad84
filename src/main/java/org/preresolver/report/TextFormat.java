package org.preresolver.report;

import java.util.Locale;
import java.util.Map;
import org.preresolver.preresolve.Outcome;
import org.preresolver.preresolve.Reason;
import org.preresolver.preresolve.SymbolOutcome;

/**
 * The kbuild-style text of a run. The per-module line is a stable interface that build systems
 * parse: {@code "  PRERESV <path> (<n>/<m> preresolved)"}, or {@code "(<n>/<n> *fully* preresolved)"}.
 */
public final class TextFormat {
    private TextFormat() {}

    /** The kbuild quiet-mode line for a module that was processed; null for a failed one. */
    public static String line(ModuleReport m) {
        if (m.status().failed()) {
            return null;
        }
        String counts = m.isFull()
                ? "(" + m.preresolved() + "/" + m.undefined() + " *fully* preresolved)"
                : "(" + m.preresolved() + "/" + m.undefined() + " preresolved)";
        return "  PRERESV " + m.path() + " " + counts;
    }

    /**
     * {@code explain}'s text for one module: its counts, then each undefined symbol with the address
     * it is preresolved to ({@code digits} hex digits; "(anchored)" in anchor mode), or why it is left.
     */
    public static String explain(ModuleReport m, int digits) {
        StringBuilder sb = new StringBuilder();
        sb.append(m.path()).append(m.isFull()
                ? " (" + m.preresolved() + "/" + m.undefined() + " *fully* preresolved)"
                : " (" + m.preresolved() + "/" + m.undefined() + " preresolved)").append('\n');
        int w = 8;
        for (SymbolOutcome o : m.outcomes()) {
            w = Math.max(w, o.name().length());
        }
        for (SymbolOutcome o : m.outcomes()) {
            String what;
            if (o.outcome() instanceof Outcome.Preresolved p) {
                what = String.format(Locale.ROOT, "0x%0" + digits + "x", p.address())
                        + (p.binding() == Outcome.Binding.ANCHORED ? " (anchored)" : "");
            } else {
                Outcome.Left l = (Outcome.Left) o.outcome();
                what = "left: " + l.reason().text() + (l.detail().isEmpty() ? "" : " (" + l.detail() + ")");
            }
            sb.append(String.format(Locale.ROOT, "  %-" + w + "s %s%s", o.name(), o.weak() ? "[weak] " : "", what))
                    .append('\n');
        }
        return sb.toString();
    }

    /** The one-line error for a failed module: {@code path: message}. */
    public static String error(ModuleReport m) {
        return m.path() + ": " + m.error();
    }

    /** Extra detail for {@code -v}: status and reasons, indented under the line. */
    public static String verbose(ModuleReport m) {
        StringBuilder sb = new StringBuilder("          ").append(m.status().key());
        if (m.signatureStripped()) {
            sb.append(", signature stripped");
        }
        if (m.resigned()) {
            sb.append(", re-signed");
        }
        if (!m.compression().equals("none")) {
            sb.append(", ").append(m.compression());
        }
        for (Map.Entry<Reason, Integer> e : m.left().entrySet()) {
            sb.append(", ").append(e.getValue()).append(' ').append(e.getKey().text());
        }
        return sb.toString();
    }

    /** {@code n} and the words for one or for any other number: "1 module", "2 modules", "0 errors". */
    static String count(long n, String one, String many) {
        return n + " " + (n == 1 ? one : many);
    }

    /** The summary printed after the lines. */
    public static String summary(RunReport r) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%s%s, %d/%d undefined symbols preresolved (%.1f%%), "
                + "%d fully preresolved, %s%n", r.dryRun() ? "dry run: " : "", count(r.moduleCount(), "module", "modules"),
                r.preresolvedTotal(), r.undefinedTotal(), 100 * r.share(), r.fullyPreresolved(),
                count(r.failures(), "error", "errors")));
        Map<Reason, Integer> left = r.leftByReason();
        if (left.containsKey(Reason.ANCHOR)) {
            sb.append(String.format(Locale.ROOT, "anchor mode (KASLR): one image symbol per module left for the loader; "
                    + "%s nothing else left%n", count(r.allButTheAnchor(), "module has", "modules have")));
        }
        if (!left.isEmpty()) {
            sb.append("left undefined:");
            String sep = " ";
            for (Map.Entry<Reason, Integer> e : left.entrySet()) {
                sb.append(sep).append(e.getValue()).append(' ').append(e.getKey().text());
                sep = ", ";
            }
            sb.append(System.lineSeparator());
        }
        long stripped = r.signaturesStripped();
        if (stripped > 0) {
            sb.append(count(stripped, "module is", "modules are")).append(" now unsigned (--strip-signature)")
                    .append(System.lineSeparator());
        }
        long resigned = r.signaturesResigned();
        if (resigned > 0) {
            sb.append(count(resigned, "module", "modules")).append(" re-signed (--sign-key)").append(System.lineSeparator());
        }
        return sb.toString();
    }
}
