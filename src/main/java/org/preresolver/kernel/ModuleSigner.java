package org.preresolver.kernel;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.PublicKey;
import java.security.Signature;
import java.security.interfaces.ECKey;
import java.security.interfaces.RSAKey;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.bouncycastle.asn1.ASN1EncodableVector;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.DERNull;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.DERSet;
import org.bouncycastle.asn1.cms.Attribute;
import org.bouncycastle.asn1.cms.AttributeTable;
import org.bouncycastle.asn1.cms.CMSAttributes;
import org.bouncycastle.asn1.nist.NISTObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cms.CMSAttributeTableGenerator;
import org.bouncycastle.cms.CMSException;
import org.bouncycastle.cms.CMSProcessableByteArray;
import org.bouncycastle.cms.CMSSignedData;
import org.bouncycastle.cms.CMSSignedDataGenerator;
import org.bouncycastle.cms.SignerId;
import org.bouncycastle.cms.SignerInfoGeneratorBuilder;
import org.bouncycastle.cms.SignerInformation;
import org.bouncycastle.cms.jcajce.JcaSimpleSignerInfoVerifierBuilder;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;
import org.preresolver.elf.FormatException;

/**
 * Signs modules as the kernel's {@code scripts/sign-file} (Linux 4.3 to 7.x, OpenSSL's CMS API)
 * does: a detached CMS SignedData over the module bytes, without certificates, the signer named
 * by issuer and serial number, DER-encoded; then {@code struct module_signature} ({@code id_type}
 * {@link ModuleSignature#PKEY_ID_PKCS7}, {@code sig_len} big-endian) and {@link ModuleSignature#MAGIC}.
 *
 * <p>sign-file's flags are {@code CMS_NOCERTS|CMS_PARTIAL|CMS_BINARY|CMS_DETACHED|CMS_STREAM|
 * CMS_NOSMIMECAP|CMS_NO_SIGNING_TIME|CMS_NOATTR}, except that since Linux 7.0, built against
 * OpenSSL 3.x, an ML-DSA key drops {@code CMS_NOATTR} (OpenSSL before 4 cannot sign ML-DSA without
 * signed attributes). So:
 * <ul>
 * <li>RSA (PKCS#1 v1.5, {@code signatureAlgorithm} rsaEncryption with NULL parameters): no signed
 *     attributes; deterministic, the same bytes as sign-file;
 * <li>ECDSA (kernel 5.13+; {@code ecdsa-with-SHAn} or {@code id-ecdsa-with-sha3-n}): no signed
 *     attributes; a fresh random signature each time;
 * <li>ML-DSA-44/65/87 (kernel 7.0+; {@code id-ml-dsa-n}, pure ML-DSA with an empty context): the
 *     signed attributes {@code contentType} (data) and {@code messageDigest}, nothing else, and the
 *     signature over them; randomised (hedged), as OpenSSL's.
 * </ul>
 * The digest is one of {@link Hash}; the digest identifiers are written without parameters, as
 * OpenSSL writes them.
 *
 * <p>Which digest: the one given, else the target kernel's {@code CONFIG_MODULE_SIG_HASH}
 * ({@link #forConfig}), else the one of the signature the module had ({@link #hashFor}).
 *
 * <p>Thread-safe: every call builds its own signer.
 */
public final class ModuleSigner {

    /**
     * The digests the kernel's {@code CONFIG_MODULE_SIG_HASH} choice offers (7.x: SHA-2 and, since
     * 6.7, SHA-3; SHA-1 and SHA-224 are gone), by sign-file's names.
     */
    public enum Hash {
        SHA256("sha256", "SHA256", NISTObjectIdentifiers.id_sha256),
        SHA384("sha384", "SHA384", NISTObjectIdentifiers.id_sha384),
        SHA512("sha512", "SHA512", NISTObjectIdentifiers.id_sha512),
        SHA3_256("sha3-256", "SHA3-256", NISTObjectIdentifiers.id_sha3_256),
        SHA3_384("sha3-384", "SHA3-384", NISTObjectIdentifiers.id_sha3_384),
        SHA3_512("sha3-512", "SHA3-512", NISTObjectIdentifiers.id_sha3_512);

        private final String label;
        private final String jca;
        private final ASN1ObjectIdentifier oid;

        Hash(String label, String jca, ASN1ObjectIdentifier oid) {
            this.label = label;
            this.jca = jca;
            this.oid = oid;
        }

        /** The name sign-file, Kconfig and modinfo use: "sha256", "sha3-256". */
        public String label() {
            return label;
        }

        /** The JCA name: "SHA256", "SHA3-256". */
        String jca() {
            return jca;
        }

        /** @throws IllegalArgumentException an unknown or unsupported name */
        public static Hash of(String name) {
            return find(name).orElseThrow(() -> new IllegalArgumentException("unsupported signature hash '" + name
                    + "' (use sha256, sha384, sha512, sha3-256, sha3-384 or sha3-512)"));
        }

        /** The digest of that name (sign-file's, any case), if it is one of these. */
        public static Optional<Hash> find(String name) {
            for (Hash h : values()) {
                if (h.label.equals(name.toLowerCase(Locale.ROOT))) {
                    return Optional.of(h);
                }
            }
            return Optional.empty();
        }
    }

    /** The kinds of module signing keys, as the kernel's {@code CONFIG_MODULE_SIG_KEY_TYPE_*}. */
    private enum KeyType {
        RSA, ECDSA, MLDSA
    }

    private static final Map<ASN1ObjectIdentifier, String> MLDSA = Map.of(
            NISTObjectIdentifiers.id_ml_dsa_44, "ML-DSA-44",
            NISTObjectIdentifiers.id_ml_dsa_65, "ML-DSA-65",
            NISTObjectIdentifiers.id_ml_dsa_87, "ML-DSA-87");

    /** BouncyCastle's provider for ML-DSA (the JDK 17 has none): used directly, never installed. */
    private static final Provider BC = new BouncyCastleProvider();

    private final PrivateKey key;
    private final X509CertificateHolder cert;
    private final Hash hash;
    private final KeyType type;
    /** The ML-DSA parameter set ("ML-DSA-65"), or null. */
    private final String mldsa;

    /**
     * @param hash the digest, or null to choose it per module ({@link #hashFor})
     * @throws IllegalArgumentException the key is not RSA, EC or ML-DSA, or does not belong to the
     *     certificate (OpenSSL's {@code CMS_add1_signer} makes the same check)
     */
    public ModuleSigner(PrivateKey key, X509CertificateHolder cert, Hash hash) {
        this.key = key;
        this.cert = cert;
        this.hash = hash;
        if (key instanceof RSAKey) {
            type = KeyType.RSA;
            mldsa = null;
        } else if (key instanceof ECKey) {
            type = KeyType.ECDSA;
            mldsa = null;
        } else if (key.getAlgorithm().startsWith("ML-DSA-")) {
            type = KeyType.MLDSA;
            mldsa = key.getAlgorithm();
        } else {
            throw new IllegalArgumentException("unsupported key type " + key.getAlgorithm()
                    + ": module signing keys are RSA, ECDSA or ML-DSA");
        }
        checkKeyMatchesCertificate();
    }

    private ModuleSigner(ModuleSigner s, Hash hash) {
        this.key = s.key;
        this.cert = s.cert;
        this.type = s.type;
        this.mldsa = s.mldsa;
        this.hash = hash;
    }

    /** The digest given, or empty when it is chosen per module. */
    public Optional<Hash> hash() {
        return Optional.ofNullable(hash);
    }

    /** This signer with the digest {@code h}. */
    public ModuleSigner withHash(Hash h) {
        return new ModuleSigner(this, java.util.Objects.requireNonNull(h, "hash"));
    }

    /**
     * This signer for a target kernel: when no digest was given, the kernel's
     * {@code CONFIG_MODULE_SIG_HASH} if the configuration is known and names one of {@link Hash}.
     */
    public ModuleSigner forConfig(Optional<KernelConfig> config) {
        if (hash != null || config.isEmpty()) {
            return this;
        }
        return config.get().get("CONFIG_MODULE_SIG_HASH").flatMap(Hash::find).map(this::withHash).orElse(this);
    }

    /**
     * The digest to sign {@code input} (the module as it was given, signed) with: the one given or
     * taken from the kernel's configuration, else the digest of {@code input}'s own signature.
     *
     * @return empty when none was given and {@code input}'s signature uses none of {@link Hash}
     *     (SHA-1, SM3, a pre-4.3 signature) or cannot be read
     */
    public Optional<Hash> hashFor(byte[] input) {
        if (hash != null) {
            return Optional.of(hash);
        }
        try {
            return SignatureInfo.read(input).filter(s -> s.idType().equals("PKCS#7"))
                    .flatMap(s -> Hash.find(s.hashAlgorithm()));
        } catch (FormatException e) {
            return Optional.empty();
        }
    }

    public X509CertificateHolder certificate() {
        return cert;
    }

    private String jcaAlgorithm(Hash h) {
        return switch (type) {
            case RSA -> h.jca() + "withRSA";
            case ECDSA -> h.jca() + "withECDSA";
            case MLDSA -> mldsa;
        };
    }

    private Hash need() {
        if (hash == null) {
            throw new IllegalStateException("no digest chosen: use withHash or hashFor");
        }
        return hash;
    }

    private void checkKeyMatchesCertificate() {
        byte[] probe = "lkm-preresolver key check".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        String algorithm = jcaAlgorithm(Hash.SHA256);
        try {
            if (type == KeyType.MLDSA && !mldsa.equals(MLDSA.get(cert.getSubjectPublicKeyInfo().getAlgorithm()
                    .getAlgorithm()))) {
                throw new IllegalArgumentException("the private key (" + mldsa
                        + ") does not belong to the certificate " + cert.getSubject());
            }
            // The JDK's own key classes for RSA and EC (its Signature takes no others); BouncyCastle's for ML-DSA.
            PublicKey pub = type == KeyType.MLDSA
                    ? new JcaPEMKeyConverter().setProvider(BC).getPublicKey(cert.getSubjectPublicKeyInfo())
                    : new org.bouncycastle.cert.jcajce.JcaX509CertificateConverter().getCertificate(cert).getPublicKey();
            Signature s = signature(algorithm);
            s.initSign(key);
            s.update(probe);
            byte[] sig = s.sign();
            Signature v = signature(algorithm);
            v.initVerify(pub);
            v.update(probe);
            if (!v.verify(sig)) {
                throw new IllegalArgumentException("the private key does not belong to the certificate "
                        + cert.getSubject());
            }
        } catch (GeneralSecurityException | java.io.IOException e) {
            throw new IllegalArgumentException("the private key does not belong to the certificate "
                    + cert.getSubject() + " (" + e.getMessage() + ")", e);
        }
    }

    private Signature signature(String algorithm) throws GeneralSecurityException {
        return type == KeyType.MLDSA ? Signature.getInstance(algorithm, BC) : Signature.getInstance(algorithm);
    }

    /** The detached CMS SignedData over {@code module}, DER, as {@code sign-file -d} writes it. */
    public byte[] signature(byte[] module) {
        return signature(module, need());
    }

    /** The detached CMS SignedData over {@code module} with the digest {@code h}. */
    public byte[] signature(byte[] module, Hash h) {
        try {
            JcaContentSignerBuilder csb = new JcaContentSignerBuilder(jcaAlgorithm(h));
            if (type == KeyType.MLDSA) {
                csb.setProvider(BC);
            }
            ContentSigner signer = csb.build(key);
            SignerInfoGeneratorBuilder sib = new SignerInfoGeneratorBuilder(new JcaDigestCalculatorProviderBuilder()
                    .setProvider(BC).build(), this::signatureAlgorithm)
                    // OpenSSL writes the digest identifiers without parameters.
                    .setContentDigest(new AlgorithmIdentifier(h.oid));
            if (type == KeyType.MLDSA) {
                // CMS_NO_SIGNING_TIME | CMS_NOSMIMECAP: contentType and messageDigest only.
                sib.setSignedAttributeGenerator(ModuleSigner::contentTypeAndDigest);
            } else {
                sib.setDirectSignature(true);
            }
            CMSSignedDataGenerator gen = new CMSSignedDataGenerator();
            gen.addSignerInfoGenerator(sib.build(signer, cert));
            CMSSignedData sd = gen.generate(new CMSProcessableByteArray(module), false);
            return sd.getEncoded(ASN1Encoding.DER);
        } catch (OperatorCreationException | CMSException | IOException e) {
            throw new IllegalStateException("signing failed: " + e.getMessage(), e);
        }
    }

    /** The signed attributes OpenSSL writes with sign-file's flags: contentType, messageDigest. */
    private static AttributeTable contentTypeAndDigest(Map<?, ?> parameters) {
        ASN1ObjectIdentifier contentType = (ASN1ObjectIdentifier) parameters.get(CMSAttributeTableGenerator.CONTENT_TYPE);
        byte[] digest = (byte[]) parameters.get(CMSAttributeTableGenerator.DIGEST);
        ASN1EncodableVector v = new ASN1EncodableVector();
        v.add(new Attribute(CMSAttributes.contentType, new DERSet(contentType)));
        v.add(new Attribute(CMSAttributes.messageDigest, new DERSet(new DEROctetString(digest))));
        return new AttributeTable(v);
    }

    /**
     * The {@code signatureAlgorithm} OpenSSL writes into a SignerInfo: {@code rsaEncryption} with
     * NULL parameters for RSA (PKCS#1 v1.5, whatever the digest), the signature algorithm's OID
     * without parameters otherwise ({@code ecdsa-with-SHAn}, {@code id-ecdsa-with-sha3-n},
     * {@code id-ml-dsa-n}).
     */
    private AlgorithmIdentifier signatureAlgorithm(AlgorithmIdentifier sigAlg) {
        if (type == KeyType.RSA) {
            return new AlgorithmIdentifier(PKCSObjectIdentifiers.rsaEncryption, DERNull.INSTANCE);
        }
        return new AlgorithmIdentifier(sigAlg.getAlgorithm());
    }

    /** The trailer to append to {@code module}: signature, {@code struct module_signature}, magic. */
    public byte[] trailer(byte[] module) {
        return trailer(module, need());
    }

    /** The trailer to append to {@code module}, with the digest {@code h}. */
    public byte[] trailer(byte[] module, Hash h) {
        byte[] sig = signature(module, h);
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
     * that this signer's certificate verifies, made with the digest {@code h}, with signed
     * attributes exactly when this signer writes them (ML-DSA).
     */
    public boolean isSignedBy(byte[] file, int moduleLength, Hash h) {
        try {
            Optional<ModuleSignature> sig = ModuleSignature.parse(file);
            if (sig.isEmpty() || sig.get().moduleLength() != moduleLength
                    || sig.get().idType() != ModuleSignature.PKEY_ID_PKCS7) {
                return false;
            }
            CMSSignedData cms = new CMSSignedData(new CMSProcessableByteArray(Arrays.copyOf(file, moduleLength)),
                    sig.get().signature());
            SignerInformation si = cms.getSignerInfos().get(new SignerId(cert.getIssuer(), cert.getSerialNumber()));
            return si != null && si.getDigestAlgOID().equals(h.oid.getId())
                    && (si.getSignedAttributes() != null) == (type == KeyType.MLDSA)
                    && si.verify(new JcaSimpleSignerInfoVerifierBuilder().setProvider(BC).build(cert));
        } catch (FormatException | CMSException | OperatorCreationException | java.security.cert.CertificateException
                | RuntimeException e) {
            return false;
        }
    }

    /** {@code module} with the trailer appended: what {@code sign-file HASH KEY CERT module} writes. */
    public byte[] sign(byte[] module) {
        return sign(module, need());
    }

    /** {@code module} signed with the digest {@code h}. */
    public byte[] sign(byte[] module, Hash h) {
        byte[] t = trailer(module, h);
        byte[] out = Arrays.copyOf(module, module.length + t.length);
        System.arraycopy(t, 0, out, module.length, t.length);
        return out;
    }
}
