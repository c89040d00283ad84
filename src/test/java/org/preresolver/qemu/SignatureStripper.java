package org.preresolver.qemu;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Removes an appended module signature (scripts/sign-file.c layout): {@code [module][PKCS#7]
 * [struct module_signature, 12 bytes, last 4 = big-endian sig_len]["~Module signature appended~\n"]}.
 * Test-side helper to build the "std unsigned" reference set; the product has its own.
 */
public final class SignatureStripper {
    public static final byte[] MAGIC = "~Module signature appended~\n".getBytes(StandardCharsets.US_ASCII);
    private static final int SIG_STRUCT = 12;

    private SignatureStripper() {
    }

    public static boolean isSigned(byte[] module) {
        int n = module.length;
        return n >= MAGIC.length + SIG_STRUCT
                && Arrays.equals(module, n - MAGIC.length, n, MAGIC, 0, MAGIC.length);
    }

    /** The module without its signature; the same bytes when it has none. */
    public static byte[] strip(byte[] module) {
        if (!isSigned(module)) {
            return module;
        }
        int structAt = module.length - MAGIC.length - SIG_STRUCT;
        long sigLen = Integer.toUnsignedLong(
                ByteBuffer.wrap(module, structAt + 8, 4).order(ByteOrder.BIG_ENDIAN).getInt());
        long end = structAt - sigLen;
        if (end < 0) {
            throw new IllegalArgumentException("signature length " + sigLen + " larger than the module");
        }
        return Arrays.copyOf(module, (int) end);
    }

    /** Writes the stripped copy of {@code in} to {@code out} (parent directories are created). */
    public static void stripFile(Path in, Path out) throws IOException {
        byte[] stripped = strip(Files.readAllBytes(in));
        if (out.getParent() != null) {
            Files.createDirectories(out.getParent());
        }
        Files.write(out, stripped);
    }
}
