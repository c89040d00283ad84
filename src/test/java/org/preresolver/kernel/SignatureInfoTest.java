package org.preresolver.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import org.bouncycastle.cms.CMSProcessableByteArray;
import org.bouncycastle.cms.CMSSignedDataGenerator;
import org.bouncycastle.cms.SignerInfoGeneratorBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;
import org.junit.jupiter.api.Test;
import org.preresolver.elf.FormatException;

/** Signature trailers a real Debian module never shows: a SKID signer, a pre-4.3 trailer, garbage. */
class SignatureInfoTest {
    private static final byte[] MODULE = "\u007fELF pretend module".getBytes(StandardCharsets.ISO_8859_1);

    private static byte[] trailer(byte[] before, byte[] sig, int algo, int hash, int idType, int signerLen,
            int keyIdLen) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(before);
        out.writeBytes(sig);
        out.writeBytes(new byte[] {(byte) algo, (byte) hash, (byte) idType, (byte) signerLen, (byte) keyIdLen, 0, 0, 0});
        out.writeBytes(ByteBuffer.allocate(4).putInt(sig.length).array());
        out.writeBytes(ModuleSignature.MAGIC);
        return out.toByteArray();
    }

    @Test
    void signerNamedBySubjectKeyIdentifierShowsTheIdentifier() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(256);
        KeyPair kp = g.generateKeyPair();
        byte[] skid = {1, 2, 3, 4, (byte) 0xab};
        CMSSignedDataGenerator gen = new CMSSignedDataGenerator();
        gen.addSignerInfoGenerator(new SignerInfoGeneratorBuilder(new JcaDigestCalculatorProviderBuilder().build())
                .setDirectSignature(true)
                .build(new JcaContentSignerBuilder("SHA384withECDSA").build(kp.getPrivate()), skid));
        byte[] sig = gen.generate(new CMSProcessableByteArray(MODULE), false).getEncoded("DER");
        SignatureInfo info = SignatureInfo.read(trailer(MODULE, sig, 0, 0, 2, 0, 0)).orElseThrow();
        assertThat(info.keyIdIsSerial()).isFalse();
        assertThat(info.keyIdHex()).isEqualTo("01:02:03:04:AB");
        assertThat(info.signer()).isEmpty();
        assertThat(info.hashAlgorithm()).isEqualTo("sha384");
        assertThat(info.keyAlgorithm()).isEqualTo("ECDSA");
    }

    @Test
    void pre43TrailerCarriesSignerAndKeyIdItself() throws Exception {
        byte[] signer = "Magrathea".getBytes(StandardCharsets.ISO_8859_1);
        byte[] keyId = {(byte) 0xde, (byte) 0xad};
        ByteArrayOutputStream before = new ByteArrayOutputStream();
        before.writeBytes(MODULE);
        before.writeBytes(signer);
        before.writeBytes(keyId);
        // algo 1 = RSA, hash 4 = sha256, id_type 1 = X509
        byte[] file = trailer(before.toByteArray(), new byte[] {9, 9, 9}, 1, 4, 1, signer.length, keyId.length);
        SignatureInfo info = SignatureInfo.read(file).orElseThrow();
        assertThat(info).extracting(SignatureInfo::idType, SignatureInfo::signer, SignatureInfo::keyIdHex,
                SignatureInfo::hashAlgorithm, SignatureInfo::keyAlgorithm)
                .containsExactly("X509", "Magrathea", "DE:AD", "sha256", "RSA");
    }

    @Test
    void unsignedIsEmptyAndGarbageIsAFormatError() throws Exception {
        assertThat(SignatureInfo.read(MODULE)).isEmpty();
        // A DER SEQUENCE of the right length that is not a SignedData.
        byte[] notCms = {0x30, 0x03, 0x02, 0x01, 0x05};
        assertThatThrownBy(() -> SignatureInfo.read(trailer(MODULE, notCms, 0, 0, 2, 0, 0)))
                .isInstanceOf(FormatException.class).hasMessageContaining("not a PKCS#7 SignedData");
        byte[] file = trailer(new byte[2], new byte[] {1}, 1, 4, 1, 200, 0); // signer longer than the file
        assertThatThrownBy(() -> SignatureInfo.read(file)).isInstanceOf(FormatException.class);
    }
}
