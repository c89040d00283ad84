package org.preresolver.testing;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The tool's stable kbuild-style lines, {@code "  PRERESV <path> (<n>/<m> [*fully* ]preresolved)"}, read back. */
public final class PreresvLines {
    public static final Pattern LINE =
            Pattern.compile("^\\s*PRERESV (\\S+) \\((\\d+)/(\\d+)( \\*fully\\*)? preresolved\\)$");

    private PreresvLines() {}

    /** Path as printed to {@code {n, m}}, in output order. */
    public static Map<String, int[]> byPath(String stdout) {
        Map<String, int[]> out = new LinkedHashMap<>();
        for (String l : stdout.split("\n")) {
            Matcher m = LINE.matcher(l);
            if (m.matches()) {
                out.put(m.group(1), new int[] {Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3))});
            }
        }
        return out;
    }

    /** File name (e.g. {@code ext4.ko}) to {@code {n, m}}. */
    public static Map<String, int[]> byFileName(String stdout) {
        Map<String, int[]> out = new LinkedHashMap<>();
        byPath(stdout).forEach((p, c) -> out.put(Path.of(p).getFileName().toString(), c));
        return out;
    }
}
