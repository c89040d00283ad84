package org.preresolver.kernel;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.Map;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1String;
import org.bouncycastle.asn1.nist.NISTObjectIdentifiers;
import org.bouncycastle.asn1.oiw.OIWObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.AttributeTypeAndValue;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.cms.CMSException;
import org.bouncycastle.cms.CMSSignedData;
import org.bouncycastle.cms.SignerId;
import org.bouncycastle.cms.SignerInformation;
import org.preresolver.elf.FormatException;

/**
 * What a module's signature says about its signer, as kmod's {@code modinfo} shows it
 * ({@code libkmod-signature.c}): the signer (the common name of the certificate's issuer), the
 * key id (the certificate's serial number), the hash algorithm and the signature itself.
 *
 * <p>For PKCS#7 signatures ({@code id_type} 2, every kernel since 4.3) these come from the CMS
 * SignedData; a signer identified by subject key identifier ({@code sign-file -k}) has no
 * issuer, so {@code signer} is empty and {@code keyId} is the identifier. Older signatures carry
 * signer and key id in the trailer itself.
 *
 * @param idType "PKCS#7", "X509" or "PGP", as kmod names {@code id_type}
 * @param signer the signer's name, "" if none
 * @param keyId the key identifier bytes (serial number without leading zeros, or SKID)
 * @param keyIdIsSerial {@code keyId} is a certificate serial number (issuer and serial), not a SKID
 * @param hashAlgorithm "sha256", ..., or the digest's OID when unknown
 * @param keyAlgorithm "RSA", "ECDSA", "ML-DSA-65", ..., or the signature algorithm's OID when unknown
 * @param signature the signature value
 * @param trailerLength bytes of the whole trailer (signature, struct, magic)
 */
public record SignatureInfo(String idType, String signer, byte[] keyId, boolean keyIdIsSerial, String hashAlgorithm,
        String keyAlgorithm, byte[] signature, int trailerLength) {

    private static final String[] ID_TYPES = {"PGP", "X509", "PKCS#7"};
    private static final String[] LEGACY_ALGOS = {"DSA", "RSA"};
    private static final String[] LEGACY_HASHES = {"md4", "md5", "sha1", "rmd160", "sha256", "sha384", "sha512",
        "sha224", "sm3"};

    private static final Map<String, String> DIGESTS = Map.of(
            OIWObjectIdentifiers.idSHA1.getId(), "sha1",
            NISTObjectIdentifiers.id_sha224.getId(), "sha224",
            NISTObjectIdentifiers.id_sha256.getId(), "sha256",
            NISTObjectIdentifiers.id_sha384.getId(), "sha384",
            NISTObjectIdentifiers.id_sha512.getId(), "sha512",
            NISTObjectIdentifiers.id_sha3_256.getId(), "sha3-256",
            NISTObjectIdentifiers.id_sha3_384.getId(), "sha3-384",
            NISTObjectIdentifiers.id_sha3_512.getId(), "sha3-512",
            "1.2.156.10197.1.401", "sm3");

    /** The signature of an (uncompressed) module file, or empty when it is not signed. */
    public static java.util.Optional<SignatureInfo> read(byte[] file) throws FormatException {
        java.util.Optional<ModuleSignature> sig = ModuleSignature.parse(file);
        if (sig.isEmpty()) {
            return java.util.Optional.empty();
        }
        ModuleSignature s = sig.get();
        return java.util.Optional.of(s.idType() == ModuleSignature.PKEY_ID_PKCS7 ? pkcs7(s) : legacy(s, file));
    }

    /** Reads the signer's details from a PKCS#7 trailer. */
    public static SignatureInfo pkcs7(ModuleSignature sig) throws FormatException {
        if (sig.idType() != ModuleSignature.PKEY_ID_PKCS7) {
            throw new IllegalArgumentException("id_type " + sig.idType() + " is not PKCS#7");
        }
        CMSSignedData cms;
        try {
            cms = new CMSSignedData(sig.signature());
        } catch (CMSException | RuntimeException e) {
            throw new FormatException("module signature is not a PKCS#7 SignedData message: " + message(e));
        }
        try {
            return signer(cms, sig);
        } catch (RuntimeException e) {
            // BouncyCastle decodes lazily: a malformed signer (e.g. an issuer name that is not
            // UTF-8) shows up here, as IllegalArgumentException and the like.
            throw new FormatException("module signature (PKCS#7) is malformed: " + message(e));
        }
    }

    private static SignatureInfo signer(CMSSignedData cms, ModuleSignature sig) throws FormatException {
        Iterator<SignerInformation> it = cms.getSignerInfos().getSigners().iterator();
        if (!it.hasNext()) {
            throw new FormatException("module signature (PKCS#7) has no signer");
        }
        SignerInformation si = it.next();
        SignerId sid = si.getSID();
        String signer = "";
        byte[] keyId;
        boolean serial;
        if (sid.getIssuer() != null && sid.getSerialNumber() != null) {
            signer = commonName(sid.getIssuer());
            keyId = unsigned(sid.getSerialNumber());
            serial = true;
        } else if (sid.getSubjectKeyIdentifier() != null) {
            keyId = sid.getSubjectKeyIdentifier().clone();
            serial = false;
        } else {
            throw new FormatException("module signature (PKCS#7) does not identify its signer");
        }
        String digest = DIGESTS.getOrDefault(si.getDigestAlgOID(), si.getDigestAlgOID());
        return new SignatureInfo("PKCS#7", signer, keyId, serial, digest, keyAlgorithm(si.getEncryptionAlgOID()),
                si.getSignature().clone(), sig.trailer().length);
    }

    /**
     * Signatures before Linux 4.3: {@code [signer][key id][signature][struct][magic]}, algorithm
     * and hash by table index (kmod's {@code fill_default()}).
     */
    private static SignatureInfo legacy(ModuleSignature sig, byte[] file) throws FormatException {
        int keyStart = sig.moduleLength() - sig.keyIdLen();
        int signerStart = keyStart - sig.signerLen();
        if (signerStart < 0 || sig.idType() >= ID_TYPES.length || sig.algo() >= LEGACY_ALGOS.length
                || sig.hash() >= LEGACY_HASHES.length) {
            throw new FormatException("module_signature: unknown id_type " + sig.idType() + ", algo " + sig.algo()
                    + " or hash " + sig.hash() + ", or signer and key id longer than the file");
        }
        String signer = new String(file, signerStart, sig.signerLen(), StandardCharsets.ISO_8859_1);
        byte[] keyId = Arrays.copyOfRange(file, keyStart, sig.moduleLength());
        return new SignatureInfo(ID_TYPES[sig.idType()], signer, keyId, false, LEGACY_HASHES[sig.hash()],
                LEGACY_ALGOS[sig.algo()], sig.signature().clone(),
                sig.trailer().length + sig.keyIdLen() + sig.signerLen());
    }

    /** The first common name of {@code name}, as kmod's {@code x509_name_to_str()}; "" if none. */
    private static String commonName(X500Name name) {
        for (RDN rdn : name.getRDNs()) {
            for (AttributeTypeAndValue tv : rdn.getTypesAndValues()) {
                if (BCStyle.CN.equals(tv.getType())) {
                    ASN1Encodable v = tv.getValue();
                    return v instanceof ASN1String s ? s.getString() : v.toString();
                }
            }
        }
        return "";
    }

    /** {@code BN_bn2bin()}: big-endian, no sign byte, no leading zeros. */
    private static byte[] unsigned(BigInteger n) {
        byte[] b = n.toByteArray();
        int i = 0;
        while (i < b.length - 1 && b[i] == 0) {
            i++;
        }
        return Arrays.copyOfRange(b, i, b.length);
    }

    private static String keyAlgorithm(String oid) {
        if (oid.equals(PKCSObjectIdentifiers.rsaEncryption.getId()) || oid.startsWith("1.2.840.113549.1.1.")) {
            return "RSA";
        }
        if (oid.equals(X9ObjectIdentifiers.id_ecPublicKey.getId()) || oid.startsWith("1.2.840.10045.4.")) {
            return "ECDSA";
        }
        if (oid.startsWith("2.16.840.1.101.3.4.3.")) {
            // NIST sigAlgs: 9-12 id-ecdsa-with-sha3-*, 13-16 id-rsassa-pkcs1-v1_5-with-sha3-*, 17-19 id-ml-dsa-*.
            switch (oid.substring("2.16.840.1.101.3.4.3.".length())) {
                case "9", "10", "11", "12": return "ECDSA";
                case "13", "14", "15", "16": return "RSA";
                case "17": return "ML-DSA-44";
                case "18": return "ML-DSA-65";
                case "19": return "ML-DSA-87";
                default: return oid;
            }
        }
        if (oid.equals("1.2.156.10197.1.501")) {
            return "SM2";
        }
        return oid;
    }

    private static String message(Exception e) {
        String m = e.getMessage();
        return m == null ? e.getClass().getSimpleName() : m.lines().findFirst().orElse("");
    }

    /** Bytes as modinfo prints them: upper-case hex pairs joined by colons. */
    public static String colonHex(byte[] b) {
        return HexFormat.ofDelimiter(":").withUpperCase().formatHex(b);
    }

    public String keyIdHex() {
        return colonHex(keyId);
    }

    /** Lines as {@code modinfo} prints them ({@code sig_id}, {@code signer}, {@code sig_key}, {@code sig_hashalgo}). */
    public String modinfoLines() {
        return "sig_id:         " + idType + "\n"
                + (signer.isEmpty() ? "" : "signer:         " + signer + "\n")
                + "sig_key:        " + keyIdHex() + "\n"
                + "sig_hashalgo:   " + hashAlgorithm + "\n";
    }
}
