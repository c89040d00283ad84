package org.preresolver.report;

import java.util.Locale;

/** A small writer of inline SVG: the few shapes the report's charts use, with escaped text. */
final class Svg {
    private final StringBuilder sb = new StringBuilder();

    Svg(String id, int width, int height, String label) {
        sb.append("<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" id=\"").append(id)
                .append("\" viewBox=\"0 0 ").append(width).append(' ').append(height)
                .append("\" width=\"").append(width).append("\" height=\"").append(height)
                .append("\" role=\"img\" aria-label=\"").append(esc(label)).append("\">\n");
    }

    /** A rectangle; {@code tip} becomes its tooltip ({@code <title>}) when not empty. */
    Svg rect(double x, double y, double w, double h, String cls, String tip) {
        sb.append("<rect class=\"").append(cls).append("\" x=\"").append(n(x)).append("\" y=\"").append(n(y))
                .append("\" width=\"").append(n(w)).append("\" height=\"").append(n(h)).append('"');
        if (tip.isEmpty()) {
            sb.append("/>\n");
        } else {
            sb.append("><title>").append(esc(tip)).append("</title></rect>\n");
        }
        return this;
    }

    /** Text; {@code anchor} is start, middle or end. */
    Svg text(double x, double y, String anchor, String cls, String s) {
        sb.append("<text x=\"").append(n(x)).append("\" y=\"").append(n(y)).append("\" text-anchor=\"")
                .append(anchor).append('"');
        if (!cls.isEmpty()) {
            sb.append(" class=\"").append(cls).append('"');
        }
        sb.append('>').append(esc(s)).append("</text>\n");
        return this;
    }

    /** Text with a tooltip holding the full string (for labels shortened to fit). */
    Svg label(double x, double y, String anchor, String shown, String full) {
        sb.append("<text x=\"").append(n(x)).append("\" y=\"").append(n(y)).append("\" text-anchor=\"")
                .append(anchor).append("\" class=\"label\"><title>").append(esc(full)).append("</title>")
                .append(esc(shown)).append("</text>\n");
        return this;
    }

    Svg line(double x1, double y1, double x2, double y2, String cls) {
        sb.append("<line class=\"").append(cls).append("\" x1=\"").append(n(x1)).append("\" y1=\"").append(n(y1))
                .append("\" x2=\"").append(n(x2)).append("\" y2=\"").append(n(y2)).append("\"/>\n");
        return this;
    }

    String end() {
        return sb.append("</svg>\n").toString();
    }

    /** Coordinates with at most two decimals, no exponent, '.' as the separator. */
    static String n(double v) {
        if (v == Math.rint(v)) {
            return Long.toString((long) v);
        }
        return String.format(Locale.ROOT, "%.2f", v);
    }

    /** Escapes text for XML and HTML content and attribute values. */
    static String esc(String s) {
        StringBuilder out = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '&' -> out.append("&amp;");
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '"' -> out.append("&quot;");
                case '\'' -> out.append("&#39;");
                default -> out.append(c < 0x20 && c != '\n' && c != '\t' ? '?' : c);
            }
        }
        return out.toString();
    }

    /**
     * A round tick step for values up to {@code max}: about five ticks, each 1, 2, 2.5 or 5 times
     * a power of ten, and a whole number.
     */
    static long niceStep(long max) {
        if (max <= 5) {
            return 1;
        }
        double raw = max / 5.0;
        double mag = Math.pow(10, Math.floor(Math.log10(raw)));
        for (double m : new double[] {1, 2, 2.5, 5, 10}) {
            double step = m * mag;
            if (step >= raw && step == Math.rint(step)) {
                return (long) step;
            }
        }
        return (long) (10 * mag);
    }

    /** The axis end: the first multiple of {@code step} at or above {@code max} (at least one step). */
    static long axisMax(long max, long step) {
        return Math.max(step, (max + step - 1) / step * step);
    }
}
