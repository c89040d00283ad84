package org.preresolver.elf;

/**
 * Malformed input: the one checked exception every parser of this project throws for bad bytes.
 *
 * <p>The message names what was being read and, where known, the offset, in the style of Go's
 * {@code debug/elf.FormatError}: {@code sh_link 47 out of range (31 sections) in section header 12 at 0x1a40}.
 * The file name is added by whoever knows it ({@link #withSource(String)}), so that the one-line
 * error a user sees reads {@code foo.ko: sh_link 47 out of range ...}.
 */
public class FormatException extends Exception {
    private final String source;
    private final long offset;
    private final String detail;

    public FormatException(String detail) {
        this(null, -1, detail, null);
    }

    public FormatException(String detail, long offset) {
        this(null, offset, detail, null);
    }

    public FormatException(String detail, Throwable cause) {
        this(null, -1, detail, cause);
    }

    public FormatException(String source, long offset, String detail, Throwable cause) {
        super(compose(source, offset, printable(detail)), cause);
        this.source = source;
        this.offset = offset;
        this.detail = printable(detail);
    }

    /**
     * {@code s} with control characters (C0, DEL, C1) written as {@code \xNN}: messages quote
     * names and strings from the input, and an error must stay one line that cannot drive a terminal.
     */
    public static String printable(String s) {
        if (s == null) {
            return null;
        }
        StringBuilder sb = null;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean control = c < 0x20 || (c >= 0x7f && c <= 0x9f);
            if (control && sb == null) {
                sb = new StringBuilder(s.length() + 8).append(s, 0, i);
            }
            if (sb != null) {
                if (control) {
                    sb.append(String.format("\\x%02x", (int) c));
                } else {
                    sb.append(c);
                }
            }
        }
        return sb == null ? s : sb.toString();
    }

    private static String compose(String source, long offset, String detail) {
        StringBuilder sb = new StringBuilder();
        if (source != null) {
            sb.append(printable(source)).append(": ");
        }
        sb.append(detail);
        if (offset >= 0) {
            sb.append(" at 0x").append(Long.toHexString(offset));
        }
        return sb.toString();
    }

    /** The file (or other input) this error is about, or null when not yet known. */
    public String source() {
        return source;
    }

    /** The file offset of the bad bytes, or -1. */
    public long offset() {
        return offset;
    }

    /** The message without the source prefix. */
    public String detail() {
        return detail;
    }

    /** The same error, attributed to {@code newSource} (kept if already attributed). */
    public FormatException withSource(String newSource) {
        if (source != null) {
            return this;
        }
        FormatException e = new FormatException(newSource, offset, detail, getCause());
        e.setStackTrace(getStackTrace());
        return e;
    }
}
