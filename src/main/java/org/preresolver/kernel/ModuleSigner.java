package org.preresolver.kernel;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.interfaces.ECKey;
import java.security.interfaces.RSAKey;
import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.DERNull;
import org.bouncycastle.asn1.nist.NISTObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cms.CMSException;
import org.bouncycastle.cms.CMSProcessableByteArray;
import org.bouncycastle.cms.CMSSignedData;
import org.bouncycastle.cms.CMSSignedDataGenerator;
import org.bouncycastle.cms.SignerId;
import org.bouncycastle.cms.SignerInfoGeneratorBuilder;
import org.bouncycastle.cms.SignerInformation;
import org.bouncycastle.cms.jcajce.JcaSimpleSignerInfoVerifierBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;
import org.preresolver.elf.FormatException;

/**
 * Signs modules as the kernel's {@code scripts/sign-file} (Linux 4.3 to 6.x, OpenSSL CMS) does:
 * a detached CMS SignedData over the module bytes, without certificates
 * ({@code CMS_NOCERTS|CMS_BINARY|CMS_NOSMIMECAP|CMS_NOATTR}: no signed attributes), the signer
 * named by issuer and serial number, DER-encoded; then {@code struct module_signature}
 * ({@code id_type} {@link ModuleSignature#PKEY_ID_PKCS7}, {@code sig_len} big-endian) and
 * {@link ModuleSignature#MAGIC}. RSA (PKCS#1 v1.5, deterministic: the same bytes as sign-file)
 * and ECDSA keys (kernel 5.13+; a fresh random signature each time) are accepted.
 *
 * <p>Thread-safe: every call builds its own signer.
 */
public final class ModuleSigner {

    /** The digests the kernel accepts for module signatures, by sign-file's names. */
    public enum Hash {
        SHA256("sha256", NISTObjectIdentifiers.id_sha256),
        SHA384("sha384", NISTObjectIdentifiers.id_sha384),
        SHA512("sha512", NISTObjectIdentifiers.id_sha512);

        private final String label;
        private final ASN1ObjectIdentifier oid;

        Hash(String label, ASN1ObjectIdentifier oid) {
            this.label = label;
            this.oid = oid;
        }

        /** The name sign-file and modinfo use: "sha256". */
        public String label() {
            return label;
        }

        /** The JCA name: "SHA256". */
        String jca() {
            return name();
        }

        /** @throws IllegalArgumentException an unknown or unsupported name */
        public static Hash of(String name) {
            for (Hash h : values()) {
                if (h.label.equals(name.toLowerCase(Locale.ROOT))) {
                    return h;
                }
            }
            throw new IllegalArgumentException("unsupported signature hash '" + name + "' (use sha256, sha384 or sha512)");
        }
    }

    private final PrivateKey key;
    private final X509CertificateHolder cert;
    private final Hash hash;
    private final String algorithm;

    /**
     * @throws IllegalArgumentException the key is neither RSA nor EC, or does not belong to the
     *     certificate (OpenSSL's {@code CMS_add1_signer} makes the same check)
     */
    public ModuleSigner(PrivateKey key, X509CertificateHolder cert, Hash hash) {
        this.key = key;
        this.cert = cert;
        this.hash = hash;
        if (key instanceof RSAKey) {
            algorithm = hash.jca() + "withRSA";
        } else if (key instanceof ECKey) {
            algorithm = hash.jca() + "withECDSA";
        } else {
            throw new IllegalArgumentException("unsupported key type " + key.getAlgorithm()
                    + ": module signing keys are RSA or ECDSA");
        }
        checkKeyMatchesCertificate();
    }

    public Hash hash() {
        return hash;
    }

    public X509CertificateHolder certificate() {
        return cert;
    }

    private void checkKeyMatchesCertificate() {
        byte[] probe = "lkm-preresolver key check".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        try {
            PublicKey pub = new org.bouncycastle.cert.jcajce.JcaX509CertificateConverter().getCertificate(cert)
                    .getPublicKey();
            Signature s = Signature.getInstance(algorithm);
            s.initSign(key);
            s.update(probe);
            byte[] sig = s.sign();
            Signature v = Signature.getInstance(algorithm);
            v.initVerify(pub);
            v.update(probe);
            if (!v.verify(sig)) {
                throw new IllegalArgumentException("the private key does not belong to the certificate "
                        + cert.getSubject());
            }
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("the private key does not belong to the certificate "
                    + cert.getSubject() + " (" + e.getMessage() + ")", e);
        }
    }

    /** The detached CMS SignedData over {@code module}, DER, as {@code sign-file -d} writes it. */
    public byte[] signature(byte[] module) {
        try {
            ContentSigner signer = new JcaContentSignerBuilder(algorithm).build(key);
            CMSSignedDataGenerator gen = new CMSSignedDataGenerator();
            gen.addSignerInfoGenerator(new SignerInfoGeneratorBuilder(new JcaDigestCalculatorProviderBuilder().build(),
                    ModuleSigner::signatureAlgorithm)
                    .setDirectSignature(true)
                    // OpenSSL writes the SHA-2 digest identifiers without parameters.
                    .setContentDigest(new AlgorithmIdentifier(hash.oid))
                    .build(signer, cert));
            CMSSignedData sd = gen.generate(new CMSProcessableByteArray(module), false);
            return sd.getEncoded(ASN1Encoding.DER);
        } catch (OperatorCreationException | CMSException | IOException e) {
            throw new IllegalStateException("signing failed: " + e.getMessage(), e);
        }
    }

    /**
     * The {@code signatureAlgorithm} OpenSSL writes into a SignerInfo: {@code rsaEncryption} with
     * NULL parameters for RSA (PKCS#1 v1.5), {@code ecdsa-with-SHAn} without parameters for ECDSA.
     */
    private static AlgorithmIdentifier signatureAlgorithm(AlgorithmIdentifier sigAlg) {
        if (sigAlg.getAlgorithm().getId().startsWith("1.2.840.113549.1.1.")) {
            return new AlgorithmIdentifier(PKCSObjectIdentifiers.rsaEncryption, DERNull.INSTANCE);
        }
        return new AlgorithmIdentifier(sigAlg.getAlgorithm());
    }

    /** The trailer to append to {@code module}: signature, {@code struct module_signature}, magic. */
    public byte[] trailer(byte[] module) {
        byte[] sig = signature(module);
        ByteBuffer b = ByteBuffer.allocate(sig.length + ModuleSignature.INFO_SIZE + ModuleSignature.MAGIC.length)
                .order(ByteOrder.BIG_ENDIAN);
        b.put(sig);
        b.put(new byte[] {0, 0, ModuleSignature.PKEY_ID_PKCS7, 0, 0, 0, 0, 0});
        b.putInt(sig.length);
        b.put(ModuleSignature.MAGIC);
        return b.array();
    }

    /**
     * True if {@code file} is the first {@code moduleLength} bytes followed by a signature trailer
     * that this signer's certificate verifies, made with this signer's hash.
     */
    public boolean isSignedBy(byte[] file, int moduleLength) {
        try {
            Optional<ModuleSignature> sig = ModuleSignature.parse(file);
            if (sig.isEmpty() || sig.get().moduleLength() != moduleLength
                    || sig.get().idType() != ModuleSignature.PKEY_ID_PKCS7) {
                return false;
            }
            CMSSignedData cms = new CMSSignedData(new CMSProcessableByteArray(Arrays.copyOf(file, moduleLength)),
                    sig.get().signature());
            SignerInformation si = cms.getSignerInfos().get(new SignerId(cert.getIssuer(), cert.getSerialNumber()));
            return si != null && si.getDigestAlgOID().equals(hash.oid.getId())
                    && si.verify(new JcaSimpleSignerInfoVerifierBuilder().build(cert));
        } catch (FormatException | CMSException | OperatorCreationException | java.security.cert.CertificateException
                | RuntimeException e) {
            return false;
        }
    }

    /** {@code module} with the trailer appended: what {@code sign-file HASH KEY CERT module} writes. */
    public byte[] sign(byte[] module) {
        byte[] t = trailer(module);
        byte[] out = Arrays.copyOf(module, module.length + t.length);
        System.arraycopy(t, 0, out, module.length, t.length);
        return out;
    }
}
