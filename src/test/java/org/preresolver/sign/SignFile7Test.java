package org.preresolver.sign;

import static org.assertj.core.api.Assertions.assertThat;
import static org.preresolver.testing.CliRun.cli;
import static org.preresolver.testing.TestFiles.deleteTree;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1Sequence;
import org.bouncycastle.asn1.cms.ContentInfo;
import org.bouncycastle.asn1.cms.SignedData;
import org.bouncycastle.asn1.cms.SignerInfo;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.preresolver.cli.ExitCodes;
import org.preresolver.kernel.ModuleSignature;
import org.preresolver.qemu.Host;
import org.preresolver.testing.CliRun;

/**
 * Re-signing Debian sid's 7.x modules as 7.x's {@code scripts/sign-file} (Debian's
 * {@code linux-kbuild-7.2.13+deb14}) signs them:
 * <ul>
 * <li>RSA: byte for byte, with every digest of {@code CONFIG_MODULE_SIG_HASH} (SHA-2 and SHA-3),
 *     with sign-file on the host's OpenSSL 3.0 and on sid's 3.6;
 * <li>ECDSA and ML-DSA (randomised): every field but the signature value equal to sign-file's (run
 *     with sid's OpenSSL 3.6: the host's 3.0 knows neither ML-DSA nor ECDSA with SHA-3), and the
 *     signature checked by {@code openssl cms -verify} (the host's 3.0, or sid's 3.6 where 3.0
 *     cannot), which also rejects a changed module;
 * <li>without {@code --sign-hash}, the digest of the target kernel's {@code CONFIG_MODULE_SIG_HASH},
 *     else that of the module's own signature.
 * </ul>
 */
class SignFile7Test {
    /** Small sid modules with symbols to preresolve (shipped as .ko.xz; decompressed here). */
    static final List<String> MODULES = List.of("drivers/net/dummy.ko", "net/802/stp.ko", "fs/nls/nls_utf8.ko");

    static SignTools t;
    static SignTools.Sid sid;
    static Path in;
    static Path vmlinux;

    @BeforeAll
    static void setUp() throws Exception {
        t = SignTools.get();
        sid = SignTools.sid();
        vmlinux = sid.kernel.vmlinux();
        in = sid.dir.resolve("in");
        deleteTree(in);
        for (String m : MODULES) {
            Path dst = in.resolve(m + ".xz");
            Files.createDirectories(dst.getParent());
            Files.copy(sid.kernel.modulesDir().resolve("kernel").resolve(m + ".xz"), dst);
            sid.run("xz", "-d", dst.toString());
        }
    }

    /** {@code preresolve} against sid's 7.x vmlinux with {@code config}, into a fresh directory. */
    private static Path resign(String name, Path input, Path config, String key, String cert, String hash)
            throws Exception {
        Path out = sid.dir.resolve(name);
        deleteTree(out);
        List<String> args = new ArrayList<>(List.of("preresolve", "-k", vmlinux.toString(), "--config",
                config.toString(), "--assume-nokaslr", "-j", "2", "--sign-key", key, "--sign-cert", cert));
        if (hash != null) {
            args.addAll(List.of("--sign-hash", hash));
        }
        args.addAll(List.of("-o", out.toString(), input.toString()));
        CliRun r = cli(args.toArray(String[]::new));
        assertThat(r.code()).as(r.err()).isEqualTo(ExitCodes.OK);
        assertThat(r.out()).contains(MODULES.size() + " modules re-signed");
        return out;
    }

    /** What 7.x's sign-file writes for the ELF part of {@code signed}, with {@code hash} and the key. */
    private static byte[] signFile(byte[] signed, String hash, Path key, Path cert, boolean sidOpenssl)
            throws Exception {
        Path unsigned = sid.dir.resolve("unsigned.ko");
        Path out = sid.dir.resolve("by-sign-file.ko");
        Files.deleteIfExists(out);
        Files.write(unsigned, SignTools.elfPart(signed));
        String[] cmd = {sid.signFile.toString(), hash, key.toString(), cert.toString(), unsigned.toString(),
            out.toString()};
        sid.run(sidOpenssl ? sid.newOpenssl(cmd) : cmd);
        return Files.readAllBytes(out);
    }

    @ParameterizedTest
    @ValueSource(strings = {"sha256", "sha512", "sha3-256", "sha3-384", "sha3-512"})
    void rsaIsByteIdenticalTo7xSignFile(String hash) throws Exception {
        Path out = resign("rsa-" + hash, in, sid.kernel.config(), t.rsaPem.toString(), t.rsaDer.toString(), hash);
        for (String m : MODULES) {
            byte[] ours = Files.readAllBytes(out.resolve(m));
            assertThat(SignTools.elfPart(ours).length).isGreaterThan((int) Files.size(in.resolve(m)) - 2000);
            assertThat(ours).as("%s, %s: ours and sign-file 7.2 (OpenSSL 3.0)", m, hash)
                    .isEqualTo(signFile(ours, hash, t.rsaPem, t.rsaDer, false));
            assertThat(ours).as("%s, %s: ours and sign-file 7.2 (OpenSSL 3.6)", m, hash)
                    .isEqualTo(signFile(ours, hash, t.rsaPem, t.rsaDer, true));
            assertThat(verify(ours, t.rsaPem, false)).contains("Verification successful");
            CliRun sig = cli("signature", out.resolve(m).toString());
            assertThat(sig.out()).contains("sig_hashalgo:   " + hash, "sig_keyalgo:    RSA",
                    "signer:         Build time autogenerated kernel key");
        }
    }

    @Test
    void withoutSignHashTheKernelsConfigDecides() throws Exception {
        // Debian's 7.2 config with CONFIG_MODULE_SIG_SHA512 chosen, as the kernel's Kconfig default
        // has been since 6.11; Debian's own modules are signed with sha256.
        String debian = Files.readString(sid.kernel.config());
        assertThat(debian).contains("CONFIG_MODULE_SIG_HASH=\"sha256\"");
        Path config = sid.dir.resolve("config-sha512");
        Files.writeString(config, debian.replace("CONFIG_MODULE_SIG_SHA256=y", "# CONFIG_MODULE_SIG_SHA256 is not set")
                .replace("# CONFIG_MODULE_SIG_SHA512 is not set", "CONFIG_MODULE_SIG_SHA512=y")
                .replace("CONFIG_MODULE_SIG_HASH=\"sha256\"", "CONFIG_MODULE_SIG_HASH=\"sha512\""));
        Path out = resign("config-hash", in, config, t.rsaPem.toString(), t.rsaDer.toString(), null);
        for (String m : MODULES) {
            byte[] ours = Files.readAllBytes(out.resolve(m));
            assertThat(ours).as(m).isEqualTo(signFile(ours, "sha512", t.rsaPem, t.rsaDer, false));
        }
    }

    @Test
    void theJavaApiFollowsTheConfigToo() throws Exception {
        // The same choice through org.preresolver.api (a signer loaded without a digest).
        Path config = sid.dir.resolve("config-sha3-512");
        Files.writeString(config, Files.readString(sid.kernel.config())
                .replace("CONFIG_MODULE_SIG_HASH=\"sha256\"", "CONFIG_MODULE_SIG_HASH=\"sha3-512\""));
        Path out = sid.dir.resolve("api-config-hash");
        deleteTree(out);
        org.preresolver.api.Preresolve.against(org.preresolver.api.Kernel.fromImage(vmlinux, config))
                .withAssumeNokaslr(true)
                .withSigner(org.preresolver.io.SigningKeys.load(t.rsaPem, t.rsaDer, null, null))
                .toDirectory(List.of(in), out);
        for (String m : MODULES) {
            byte[] ours = Files.readAllBytes(out.resolve(m));
            assertThat(ours).as(m).isEqualTo(signFile(ours, "sha3-512", t.rsaPem, t.rsaDer, false));
        }
    }

    @Test
    void withoutSignHashOrConfigHashTheModulesSignatureDecides() throws Exception {
        // Modules signed by 7.x's sign-file with sha3-384, a config that names no digest (as one
        // without CONFIG_MODULE_SIG): the output keeps sha3-384.
        Path presigned = sid.dir.resolve("in-sha3-384");
        deleteTree(presigned);
        for (String m : MODULES) {
            Path dst = presigned.resolve(m);
            Files.createDirectories(dst.getParent());
            sid.run(sid.signFile.toString(), "sha3-384", t.rsaPem.toString(), t.rsaDer.toString(),
                    in.resolve(m).toString(), dst.toString());
        }
        Path config = sid.dir.resolve("config-no-hash");
        Files.writeString(config, Files.readString(sid.kernel.config()).replaceAll("(?m)^CONFIG_MODULE_SIG_HASH=.*\n", ""));
        Path out = resign("module-hash", presigned, config, t.rsaPem.toString(), t.rsaDer.toString(), null);
        for (String m : MODULES) {
            byte[] ours = Files.readAllBytes(out.resolve(m));
            assertThat(ours).as(m).isNotEqualTo(Files.readAllBytes(presigned.resolve(m)));
            assertThat(ours).as(m).isEqualTo(signFile(ours, "sha3-384", t.rsaPem, t.rsaDer, false));
        }
    }

    @Test
    void aModuleSignedWithADigestNoLongerOfferedNeedsSignHash() throws Exception {
        // SHA-1 left CONFIG_MODULE_SIG_HASH in 7.0: a module signed with it (by 6.1's sign-file) and
        // a config that names no digest leave nothing to follow; one line, nothing written.
        Path presigned = sid.dir.resolve("in-sha1");
        deleteTree(presigned);
        Path module = presigned.resolve("dummy.ko");
        Files.createDirectories(presigned);
        t.run(t.signFile.toString(), "sha1", t.rsaPem.toString(), t.rsaDer.toString(),
                in.resolve(MODULES.get(0)).toString(), module.toString());
        assertThat(cli("signature", module.toString()).out()).contains("sig_hashalgo:   sha1");
        Path config = sid.dir.resolve("config-no-hash-sha1");
        Files.writeString(config, Files.readString(sid.kernel.config()).replaceAll("(?m)^CONFIG_MODULE_SIG_HASH=.*\n", ""));
        Path out = sid.dir.resolve("out-sha1");
        deleteTree(out);
        CliRun r = cli("preresolve", "-k", vmlinux.toString(), "--config", config.toString(),
                "--assume-nokaslr", "--sign-key", t.rsaPem.toString(), "--sign-cert", t.rsaDer.toString(), "-o",
                out.toString(), module.toString());
        assertThat(r.code()).isEqualTo(ExitCodes.REFUSED);
        assertThat(r.errors()).singleElement().asString().contains("dummy.ko", "which digest", "--sign-hash");
        assertThat(out.resolve("dummy.ko")).doesNotExist();
        // With --sign-hash it goes ahead.
        assertThat(cli("preresolve", "-k", vmlinux.toString(), "--config", config.toString(),
                "--assume-nokaslr", "--sign-key", t.rsaPem.toString(), "--sign-cert", t.rsaDer.toString(),
                "--sign-hash", "sha512", "-o", out.toString(), module.toString()).code()).isEqualTo(ExitCodes.OK);
        byte[] ours = Files.readAllBytes(out.resolve("dummy.ko"));
        assertThat(ours).isEqualTo(signFile(ours, "sha512", t.rsaPem, t.rsaDer, false));
    }

    @Test
    void anMldsaKeyThatIsNotTheCertificatesIsAnError() {
        for (String[] kc : new String[][] {{sid.mldsa65.toString(), sid.mldsa87.toString()},
            {sid.mldsa44.toString(), t.rsaDer.toString()}, {t.rsaPem.toString(), sid.mldsa65.toString()}}) {
            CliRun r = cli("preresolve", "-k", vmlinux.toString(), "--config",
                    sid.kernel.config().toString(), "--assume-nokaslr", "--sign-key", kc[0], "--sign-cert", kc[1],
                    "-n", in.toString());
            assertThat(r.code()).as(String.join(" ", kc)).isEqualTo(ExitCodes.BAD_INPUT);
            assertThat(r.errors()).singleElement().asString().contains(kc[0], "does not belong to the certificate");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"sha384", "sha3-256"})
    void ecdsaHas7xSignFilesStructureAndVerifies(String hash) throws Exception {
        boolean sha3 = hash.startsWith("sha3-");
        Path out = resign("ec-" + hash, in, sid.kernel.config(), t.ecPem.toString(), t.ecPem.toString(), hash);
        byte[] ours = Files.readAllBytes(out.resolve(MODULES.get(0)));
        // OpenSSL 3.0 signs no ECDSA with SHA-3 ("unsupported signature algorithm"): sid's 3.6 does.
        byte[] theirs = signFile(ours, hash, t.ecPem, t.ecPem, sha3);
        SignTools.assertSameButSignature(ours, theirs, false);
        assertThat(SignTools.signerInfo(ours).getDigestEncryptionAlgorithm().getAlgorithm().getId())
                .isEqualTo(sha3 ? "2.16.840.1.101.3.4.3.10" : "1.2.840.10045.4.3.3");
        assertThat(verify(ours, t.ecPem, sha3)).contains("Verification successful");
        assertThat(verify(theirs, t.ecPem, sha3)).contains("Verification successful");
        assertThat(verify(changed(ours), t.ecPem, sha3)).doesNotContain("Verification successful");
    }

    @ParameterizedTest
    @ValueSource(strings = {"44", "65", "87"})
    void mldsaHas7xSignFilesStructureAndVerifies(String level) throws Exception {
        Path key = switch (level) {
            case "44" -> sid.mldsa44;
            case "65" -> sid.mldsa65;
            default -> sid.mldsa87;
        };
        for (String hash : new String[] {"sha512", "sha3-256"}) {
            Path out = resign("mldsa" + level + "-" + hash, in, sid.kernel.config(), key.toString(), key.toString(),
                    hash);
            for (String m : MODULES) {
                byte[] ours = Files.readAllBytes(out.resolve(m));
                byte[] theirs = signFile(ours, hash, key, key, true);
                // Signed attributes (contentType, messageDigest) included: they are deterministic.
                SignTools.assertSameButSignature(ours, theirs, true);
                assertThat(SignTools.signerInfo(ours).getDigestEncryptionAlgorithm().getAlgorithm().getId())
                        .isEqualTo("2.16.840.1.101.3.4.3." + switch (level) {
                            case "44" -> "17";
                            case "65" -> "18";
                            default -> "19";
                        });
                assertThat(verify(ours, key, true)).as("%s %s", m, hash).contains("Verification successful");
                assertThat(verify(changed(ours), key, true)).doesNotContain("Verification successful");
                CliRun sig = cli("signature", out.resolve(m).toString());
                assertThat(sig.out()).contains("sig_hashalgo:   " + hash, "sig_keyalgo:    ML-DSA-" + level);
            }
            if (level.equals("65") && hash.equals("sha512")) {
                // Preresolving the re-signed tree again with the same key changes nothing.
                List<byte[]> before = new ArrayList<>();
                for (String m : MODULES) {
                    before.add(Files.readAllBytes(out.resolve(m)));
                }
                CliRun r = cli("preresolve", "-k", vmlinux.toString(), "--config",
                        sid.kernel.config().toString(), "--assume-nokaslr", "--sign-key", key.toString(),
                        "--sign-cert", key.toString(), "--sign-hash", hash, "--in-place", "--json", out.toString());
                assertThat(r.code()).as(r.err()).isZero();
                assertThat(r.out()).contains("\"unchanged\" : " + MODULES.size());
                for (int i = 0; i < MODULES.size(); i++) {
                    assertThat(Files.readAllBytes(out.resolve(MODULES.get(i)))).isEqualTo(before.get(i));
                }
            }
        }
    }

    /** {@code openssl cms -verify} of a signed module's signature over its ELF part. */
    private static String verify(byte[] signedModule, Path certPem, boolean sidOpenssl) throws Exception {
        ModuleSignature s = ModuleSignature.parse(signedModule).orElseThrow();
        Path content = sid.dir.resolve("verify-content");
        Path sig = sid.dir.resolve("verify-sig.der");
        Files.write(content, SignTools.elfPart(signedModule));
        Files.write(sig, s.signature());
        // -noverify: the self-signed key is no CA; the signature itself is checked.
        String[] cmd = {"openssl", "cms", "-verify", "-binary", "-inform", "DER", "-noverify", "-content",
            content.toString(), "-in", sig.toString(), "-certfile", certPem.toString(), "-out", "/dev/null"};
        return Host.runAllowingFailure(java.time.Duration.ofMinutes(2), sid.dir, sidOpenssl ? sid.newOpenssl(cmd) : cmd)
                .output();
    }

    /** The signed module with one byte of its ELF part changed (the trailer as it was). */
    private static byte[] changed(byte[] signedModule) {
        byte[] c = signedModule.clone();
        c[100] ^= 1;
        return c;
    }


}
