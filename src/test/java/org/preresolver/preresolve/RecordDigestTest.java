package org.preresolver.preresolve;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The record's exports digest is what docs/preresolved-record.md says it is: SHA-256 over
 * {@code name NUL hex-address LF} per patched symbol, the address as {@code Long.toHexString}
 * writes it. Computed here the plain way, one piece at a time, for names with every byte value
 * and addresses at the edges (0, all ones, kernel text, small per-CPU offsets).
 */
class RecordDigestTest {
    @Test
    void theDigestIsSha256OverNameNulHexAddressLf() throws Exception {
        Random r = new Random(7);
        for (int t = 0; t < 500; t++) {
            List<String> names = new ArrayList<>();
            List<Long> addresses = new ArrayList<>();
            int k = t == 0 ? 0 : r.nextInt(60);
            for (int i = 0; i < k; i++) {
                StringBuilder sb = new StringBuilder();
                for (int j = r.nextInt(40); j > 0; j--) {
                    sb.append((char) (1 + r.nextInt(255)));
                }
                names.add(sb.toString());
                addresses.add(switch (r.nextInt(5)) {
                    case 0 -> 0L;
                    case 1 -> -1L;
                    case 2 -> r.nextLong();
                    case 3 -> (long) r.nextInt(0x10000);
                    default -> 0xffffffff81000000L + r.nextInt(1 << 24);
                });
            }
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            for (int i = 0; i < k; i++) {
                sha.update(names.get(i).getBytes(StandardCharsets.ISO_8859_1));
                sha.update((byte) 0);
                sha.update(Long.toHexString(addresses.get(i)).getBytes(StandardCharsets.US_ASCII));
                sha.update((byte) '\n');
            }
            assertThat(PreresolvedRecord.digest(names, addresses)).as("case %d", t).isEqualTo(sha.digest());
        }
    }
}
