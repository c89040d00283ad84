package org.preresolver.kernel;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Optional;
import org.bouncycastle.asn1.ASN1InputStream;
import org.bouncycastle.asn1.ASN1Sequence;
import org.preresolver.elf.ByteReader;
import org.preresolver.elf.FormatException;

/**
 * The signature trailer appended by {@code scripts/sign-file}:
 * {@code [module][signature][struct module_signature][MODULE_SIG_STRING]}, where
 * {@code struct module_signature} is {@code u8 algo, hash, id_type, signer_len, key_id_len;
 * u8 pad[3]; __be32 sig_len} and {@code MODULE_SIG_STRING} is {@code "~Module signature appended~\n"}.
 *
 * @param moduleLength bytes of the module before the trailer
 * @param idType {@code id_type}: 2 is PKEY_ID_PKCS7
 * @param signature the {@code sig_len} signature bytes (PKCS#7 DER for id_type 2)
 * @param trailer the whole trailer, signature through magic, exactly as it was in the file
 */
public record ModuleSignature(int moduleLength, int algo, int hash, int idType, int signerLen, int keyIdLen,
        byte[] signature, byte[] trailer) {

    public static final byte[] MAGIC = "~Module signature appended~\n".getBytes(StandardCharsets.US_ASCII);
    public static final int INFO_SIZE = 12;
    public static final int PKEY_ID_PKCS7 = 2;

    /** True if {@code data} ends with the signature magic. */
    public static boolean isSigned(byte[] data, int length) {
        if (length < MAGIC.length) {
            return false;
        }
        return Arrays.equals(data, length - MAGIC.length, length, MAGIC, 0, MAGIC.length);
    }

    /** The ELF part of a module file: the bytes before its signature trailer, if it has one. */
    public static byte[] withoutSignature(byte[] file) throws FormatException {
        Optional<ModuleSignature> sig = parse(file);
        return sig.isPresent() ? java.util.Arrays.copyOf(file, sig.get().moduleLength()) : file;
    }

    /** Parses the trailer of {@code data}, if it has one. */
    public static Optional<ModuleSignature> parse(byte[] data) throws FormatException {
        return parse(data, data.length);
    }

    /** As {@link #parse(byte[])}, of the file that is the first {@code len} bytes of {@code data}. */
    public static Optional<ModuleSignature> parse(byte[] data, int len) throws FormatException {
        if (!isSigned(data, len)) {
            return Optional.empty();
        }
        int info = len - MAGIC.length - INFO_SIZE;
        if (info < 0) {
            throw new FormatException("signature trailer truncated: no room for struct module_signature", 0);
        }
        ByteReader in = new ByteReader(data, java.nio.ByteOrder.BIG_ENDIAN);
        long sigLen = in.u32(info + 8, "module_signature.sig_len");
        if (sigLen > info) {
            throw new FormatException("module_signature.sig_len " + sigLen + " is larger than the file", info + 8);
        }
        int start = info - (int) sigLen;
        int idType = data[info + 2] & 0xff;
        if (idType == PKEY_ID_PKCS7 && (data[info] != 0 || data[info + 1] != 0 || data[info + 3] != 0
                || data[info + 4] != 0)) {
            throw new FormatException("PKCS#7 module_signature has non-zero algo/hash/signer_len/key_id_len", info);
        }
        if (idType == PKEY_ID_PKCS7) {
            checkDerLength(data, start, (int) sigLen, info + 8);
        }
        return Optional.of(new ModuleSignature(start, data[info] & 0xff, data[info + 1] & 0xff, idType,
                data[info + 3] & 0xff, data[info + 4] & 0xff, Arrays.copyOfRange(data, start, info),
                Arrays.copyOfRange(data, start, len)));
    }

    /**
     * A PKCS#7 signature is one DER SEQUENCE of exactly {@code sig_len} bytes: a lying
     * {@code sig_len} is caught here rather than as a damaged ELF file later.
     */
    private static void checkDerLength(byte[] data, int start, int sigLen, int at) throws FormatException {
        java.io.ByteArrayInputStream bytes = new java.io.ByteArrayInputStream(data, start, sigLen);
        boolean ok;
        try (ASN1InputStream in = new ASN1InputStream(bytes, sigLen)) {
            ok = in.readObject() instanceof ASN1Sequence && bytes.available() == 0;
        } catch (java.io.IOException | RuntimeException e) {
            ok = false;
        }
        if (!ok) {
            throw new FormatException("module_signature.sig_len " + sigLen + " does not match the PKCS#7 signature "
                    + "before it (not one DER SEQUENCE of that length)", at);
        }
    }
}
