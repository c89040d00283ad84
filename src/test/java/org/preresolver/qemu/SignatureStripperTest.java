package org.preresolver.qemu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

class SignatureStripperTest {
    private static byte[] signed(byte[] module, int sigLen) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(module);
        out.writeBytes(new byte[sigLen]);
        // struct module_signature: algo, hash, id_type=2, signer_len, key_id_len, pad[3], __be32 sig_len
        out.writeBytes(new byte[] {0, 0, 2, 0, 0, 0, 0, 0});
        out.writeBytes(ByteBuffer.allocate(4).putInt(sigLen).array());
        out.writeBytes(SignatureStripper.MAGIC);
        return out.toByteArray();
    }

    @Test
    void stripsTheTrailer() {
        byte[] module = "\u007fELF pretend module".getBytes(StandardCharsets.ISO_8859_1);
        byte[] s = signed(module, 700);
        assertThat(SignatureStripper.isSigned(s)).isTrue();
        assertThat(SignatureStripper.strip(s)).isEqualTo(module);
        assertThat(SignatureStripper.isSigned(module)).isFalse();
        assertThat(SignatureStripper.strip(module)).isSameAs(module);
    }

    @Test
    void rejectsASignatureLongerThanTheFile() {
        byte[] s = signed(new byte[4], 0);
        ByteBuffer.wrap(s).putInt(s.length - SignatureStripper.MAGIC.length - 4, 1 << 20);
        assertThatThrownBy(() -> SignatureStripper.strip(s)).isInstanceOf(IllegalArgumentException.class);
    }
}
