package org.preresolver.kernel;

import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * Finds the kernel release ({@code UTS_RELEASE}) in an image from its banner,
 * {@code "Linux version 6.1.0-56-amd64 (debian-kernel@lists.debian.org) ..."}.
 */
public final class KernelRelease {
    private static final byte[] BANNER = "Linux version ".getBytes(StandardCharsets.US_ASCII);

    private KernelRelease() {}

    /** The release from the first complete banner in {@code data}. */
    public static Optional<String> find(byte[] data) {
        int from = 0;
        while (true) {
            int at = indexOf(data, BANNER, from);
            if (at < 0) {
                return Optional.empty();
            }
            int s = at + BANNER.length;
            int e = s;
            while (e < data.length && e - s < 128 && data[e] > ' ' && data[e] < 0x7f) {
                e++;
            }
            String rel = new String(data, s, e - s, StandardCharsets.ISO_8859_1);
            // A banner is followed by " (" (compiler info); a format string ("%s") is not a banner.
            if (!rel.isEmpty() && !rel.contains("%") && e + 1 < data.length && data[e] == ' ' && data[e + 1] == '(') {
                return Optional.of(rel);
            }
            from = at + 1;
        }
    }

    static int indexOf(byte[] data, byte[] pat, int from) {
        outer:
        for (int i = Math.max(0, from); i <= data.length - pat.length; i++) {
            if (data[i] != pat[0]) {
                continue;
            }
            for (int j = 1; j < pat.length; j++) {
                if (data[i + j] != pat[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
