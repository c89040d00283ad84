package org.preresolver.io;

import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.spec.PKCS8EncodedKeySpec;
import org.bouncycastle.asn1.nist.NISTObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.openssl.PEMEncryptedKeyPair;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JceOpenSSLPKCS8DecryptorProviderBuilder;
import org.bouncycastle.openssl.jcajce.JcePEMDecryptorProviderBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;
import org.bouncycastle.pkcs.PKCSException;
import org.preresolver.elf.FormatException;
import org.preresolver.kernel.ModuleSigner;

/**
 * Reads a module signing key and certificate as {@code scripts/sign-file} takes them: the key
 * from a PEM file (PKCS#8, or traditional RSA/EC; the kernel's {@code certs/signing_key.pem}
 * holds the key and the certificate together), the certificate DER-encoded
 * ({@code certs/signing_key.x509}) or PEM. RSA, EC and ML-DSA-44/65/87 keys (OpenSSL 3.5+ writes
 * these as PKCS#8, the seed and the expanded key) are read. An encrypted key is opened with the
 * passphrase that sign-file reads from {@code KBUILD_SIGN_PIN}. PKCS#11 URIs and OpenSSL engine
 * keys are not supported.
 */
public final class SigningKeys {
    private SigningKeys() {}

    /**
     * @param hash the digest, or null to choose it per module (the target kernel's
     *     {@code CONFIG_MODULE_SIG_HASH}, else the module's own signature's: see {@link ModuleSigner})
     * @param pin the key's passphrase, or null
     * @throws FormatException a file holds no usable key or certificate, or the key is not the
     *     certificate's (the message names the file)
     */
    public static ModuleSigner load(Path keyFile, Path certFile, ModuleSigner.Hash hash, char[] pin)
            throws IOException, FormatException {
        if (keyFile.toString().startsWith("pkcs11:")) {
            throw new FormatException(keyFile + ": PKCS#11 keys are not supported; sign with the kernel's "
                    + "scripts/sign-file instead");
        }
        PrivateKey key = readKey(keyFile, pin);
        X509CertificateHolder cert = readCertificate(certFile);
        try {
            return new ModuleSigner(key, cert, hash);
        } catch (IllegalArgumentException e) {
            throw new FormatException(keyFile + ": " + e.getMessage());
        }
    }

    static PrivateKey readKey(Path file, char[] pin) throws IOException, FormatException {
        String text = Files.readString(file, StandardCharsets.ISO_8859_1);
        try (PEMParser p = new PEMParser(new StringReader(text))) {
            Object o;
            while ((o = p.readObject()) != null) {
                PrivateKeyInfo info = null;
                if (o instanceof PrivateKeyInfo i) {
                    info = i;
                } else if (o instanceof PEMKeyPair kp) {
                    info = kp.getPrivateKeyInfo();
                } else if (o instanceof PKCS8EncryptedPrivateKeyInfo enc) {
                    info = enc.decryptPrivateKeyInfo(new JceOpenSSLPKCS8DecryptorProviderBuilder()
                            .setProvider(bc()).build(needPin(file, pin)));
                } else if (o instanceof PEMEncryptedKeyPair enc) {
                    info = enc.decryptKeyPair(new JcePEMDecryptorProviderBuilder().setProvider(bc())
                            .build(needPin(file, pin))).getPrivateKeyInfo();
                }
                if (info != null) {
                    return toKey(file, info);
                }
            }
        } catch (PKCSException | OperatorCreationException | org.bouncycastle.openssl.EncryptionException e) {
            throw new FormatException(file + ": cannot decrypt the private key (wrong KBUILD_SIGN_PIN?)", e);
        } catch (IOException | RuntimeException e) {
            // PEMParser reads from memory: an IOException here is a malformed PEM block.
            throw new FormatException(file + ": not a PEM private key: " + e.getMessage());
        }
        throw new FormatException(file + ": no private key found (a PEM file is expected)");
    }

    /**
     * OpenSSL's key encryption names ciphers the JDK lacks ("AES/CBC/PKCS7Padding"): decrypt with
     * BouncyCastle's provider, used directly and never installed in the JVM.
     */
    private static java.security.Provider bc() {
        return new org.bouncycastle.jce.provider.BouncyCastleProvider();
    }

    private static char[] needPin(Path file, char[] pin) throws FormatException {
        if (pin == null) {
            throw new FormatException(file + ": the private key is encrypted; set KBUILD_SIGN_PIN to its passphrase");
        }
        return pin;
    }

    private static PrivateKey toKey(Path file, PrivateKeyInfo info) throws FormatException {
        var oid = info.getPrivateKeyAlgorithm().getAlgorithm();
        String alg;
        java.security.Provider provider = null;
        if (oid.equals(PKCSObjectIdentifiers.rsaEncryption)) {
            alg = "RSA";
        } else if (oid.equals(X9ObjectIdentifiers.id_ecPublicKey)) {
            alg = "EC";
        } else if (oid.equals(NISTObjectIdentifiers.id_ml_dsa_44) || oid.equals(NISTObjectIdentifiers.id_ml_dsa_65)
                || oid.equals(NISTObjectIdentifiers.id_ml_dsa_87)) {
            alg = "ML-DSA";
            provider = bc();
        } else {
            throw new FormatException(file + ": unsupported key algorithm " + oid.getId()
                    + "; module signing keys are RSA, ECDSA or ML-DSA");
        }
        try {
            KeyFactory f = provider == null ? KeyFactory.getInstance(alg) : KeyFactory.getInstance(alg, provider);
            return f.generatePrivate(new PKCS8EncodedKeySpec(info.getEncoded()));
        } catch (GeneralSecurityException | IOException e) {
            throw new FormatException(file + ": unreadable " + alg + " private key: " + e.getMessage());
        }
    }

    /** The certificate: DER first, then PEM, as sign-file tries them. */
    static X509CertificateHolder readCertificate(Path file) throws IOException, FormatException {
        byte[] bytes = FileBytes.read(file);
        try {
            return new X509CertificateHolder(bytes);
        } catch (IOException | RuntimeException derFailed) {
            // not DER; try PEM
        }
        try (PEMParser p = new PEMParser(new StringReader(new String(bytes, StandardCharsets.ISO_8859_1)))) {
            Object o;
            while ((o = p.readObject()) != null) {
                if (o instanceof X509CertificateHolder c) {
                    return c;
                }
            }
        } catch (IOException | RuntimeException e) {
            throw new FormatException(file + ": not an X.509 certificate (DER or PEM): " + e.getMessage());
        }
        throw new FormatException(file + ": no X.509 certificate found (DER or PEM expected)");
    }
}
