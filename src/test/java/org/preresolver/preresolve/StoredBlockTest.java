package org.preresolver.preresolve;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.Random;
import java.util.zip.Inflater;
import org.junit.jupiter.api.Test;
import org.preresolver.elf.FormatException;

/**
 * The record's saved sections below {@link PreresolvedRecord#STORED_BELOW} bytes are written as one
 * stored deflate block without zlib, and read back without it: zlib's own inflater (the reader of
 * every earlier release) must read them as the same bytes, and a damaged block must be refused.
 */
class StoredBlockTest {
    @Test
    void zlibInflatesAStoredBlockToItsBytes() throws Exception {
        Random rnd = new Random(3);
        for (int size : new int[] {0, 1, 24, PreresolvedRecord.STORED_BELOW - 1, 4096, 0xffff}) {
            byte[] data = new byte[size];
            rnd.nextBytes(data);
            byte[] z = PreresolvedRecord.stored(data);
            Inflater in = new Inflater(true);
            in.setInput(z);
            byte[] out = new byte[size + 1];
            int n = in.inflate(out);
            assertThat(in.finished()).as("size %d: one final block", size).isTrue();
            assertThat(in.getRemaining()).isZero();
            assertThat(Arrays.copyOf(out, n)).isEqualTo(data);
            in.end();
            assertThat(PreresolvedRecord.inflate(z, size)).isEqualTo(data);
        }
        assertThatThrownBy(() -> PreresolvedRecord.stored(new byte[0x10000])).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void smallSectionsAreStoredAndLargeOnesDeflated() throws Exception {
        byte[] small = new byte[PreresolvedRecord.STORED_BELOW - 1];
        assertThat(PreresolvedRecord.deflate(small)).isEqualTo(PreresolvedRecord.stored(small));
        byte[] large = new byte[PreresolvedRecord.STORED_BELOW * 8]; // zeros: deflate makes them tiny
        byte[] z = PreresolvedRecord.deflate(large);
        assertThat(z.length).isLessThan(large.length / 8);
        assertThat(PreresolvedRecord.inflate(z, large.length)).isEqualTo(large);
    }

    @Test
    void aDamagedStoredBlockIsRefusedNotMisread() throws Exception {
        byte[] data = "anchored entries".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        byte[] z = PreresolvedRecord.stored(data);
        byte[] badNlen = z.clone();
        badNlen[3] ^= 1;
        assertThatThrownBy(() -> PreresolvedRecord.inflate(badNlen, data.length)).isInstanceOf(FormatException.class)
                .hasMessageContaining("not deflate data");
        byte[] otherType = z.clone();
        otherType[0] = 7; // BTYPE 11: reserved, an error for every inflater
        assertThatThrownBy(() -> PreresolvedRecord.inflate(otherType, data.length)).isInstanceOf(FormatException.class)
                .hasMessageContaining("not deflate data");
        assertThatThrownBy(() -> PreresolvedRecord.inflate(z, data.length + 1)).isInstanceOf(FormatException.class)
                .hasMessageContaining("does not inflate to its");
        // zlib is left usable by a failure: the next section on the same thread inflates.
        byte[] large = new byte[4096];
        assertThat(PreresolvedRecord.inflate(PreresolvedRecord.deflate(large), large.length)).isEqualTo(large);
    }
}
