package org.preresolver.kernel;

import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.preresolver.elf.ElfFile;

/**
 * Finds the kernel release ({@code UTS_RELEASE}) in an image from its banner,
 * {@code "Linux version 6.1.0-56-amd64 (debian-kernel@lists.debian.org) ..."}.
 */
public final class KernelRelease {
    private static final byte[] BANNER = "Linux version ".getBytes(StandardCharsets.US_ASCII);

    private KernelRelease() {}

    /** The release from the banner in vmlinux's {@code .rodata}, or anywhere in the file when it has none. */
    public static Optional<String> find(ElfFile vmlinux) {
        int[] r = rodata(vmlinux);
        return find(vmlinux.data(), r[0], r[1]);
    }

    /** The release from the first complete banner in {@code data}. */
    public static Optional<String> find(byte[] data) {
        return find(data, 0, data.length);
    }

    /** {@code [from, to)} of vmlinux's {@code .rodata}, where the banner and IKCONFIG live; the whole file if absent. */
    static int[] rodata(ElfFile vmlinux) {
        return vmlinux.section(".rodata").filter(s -> s.fileSize() > 0)
                .map(s -> new int[] {(int) s.offset(), (int) (s.offset() + s.size())})
                .orElse(new int[] {0, vmlinux.data().length});
    }

    private static Optional<String> find(byte[] data, int start, int limit) {
        int from = start;
        while (true) {
            int at = indexOf(data, BANNER, from, limit);
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
        return indexOf(data, pat, from, data.length);
    }

    static int indexOf(byte[] data, byte[] pat, int from, int limit) {
        outer:
        for (int i = Math.max(0, from); i <= limit - pat.length; i++) {
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
