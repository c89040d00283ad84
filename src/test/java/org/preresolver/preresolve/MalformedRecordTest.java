package org.preresolver.preresolve;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;
import static org.preresolver.testing.CliRun.cli;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.UnaryOperator;
import java.util.zip.CRC32;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.preresolver.api.Restore;
import org.preresolver.api.Verify;
import org.preresolver.cli.ExitCodes;
import org.preresolver.elf.ElfFile;
import org.preresolver.elf.FormatException;
import org.preresolver.elf.SectionHeader;
import org.preresolver.kernel.KernelExports;
import org.preresolver.qemu.DebianKernel;
import org.preresolver.testing.CliRun;
import org.preresolver.testing.LoadedKernels;

/**
 * Damaged and foreign {@code .preresolved} records, on a real preresolved Debian module (fat.ko,
 * signed, preresolved with --strip-signature): each gets a one-line error naming the file and
 * exit code 3 from restore and verify, and nothing is written. Most damage is made with a valid
 * CRC, so that the check behind the checksum is the one tested.
 */
class MalformedRecordTest {
    @TempDir
    static Path tmp;

    static KernelExports kernel;
    static byte[] signed;
    static byte[] preresolved;
    static byte[] record;
    static SectionHeader marker;
    /** Offset of the first patch in the record. */
    static int patches;

    @BeforeAll
    static void preresolveARealModule() throws Exception {
        DebianKernel debian = DebianKernel.fetch();
        kernel = LoadedKernels.of(debian).exports();
        signed = Files.readAllBytes(debian.modulesDir().resolve("kernel/fs/fat/fat.ko"));
        Result r = new Preresolver(kernel, Options.defaults().withStripSignature(true)).process(signed);
        assertThat(r.status()).isEqualTo(Result.Status.PRERESOLVED);
        preresolved = r.output();
        ElfFile f = ElfFile.parse(preresolved);
        marker = f.section(PreresolvedRecord.SECTION).orElseThrow();
        record = f.sectionBytes(marker);
        int p = 72;
        for (int i = 0; i < 3; i++) {
            p += 1 + (record[p] & 0xff); // build-id, release, tool
        }
        patches = p;
        assertThat(PreresolvedRecord.decode(record).patches()).hasSizeGreaterThan(20);
        assertThat(Restore.original(preresolved)).hasValueSatisfying(o -> assertThat(o).isEqualTo(signed));
    }

    /** Each case: what is done to the record, and the message it must give. */
    static Map<String, Case> cases() {
        Map<String, Case> m = new LinkedHashMap<>();
        m.put("cut", new Case(r -> Arrays.copyOf(r, r.length / 2), "checksum mismatch"));
        m.put("short", new Case(r -> Arrays.copyOf(r, 40), "bad magic or too short (40 bytes)"));
        m.put("truncated", new Case(r -> crc(Arrays.copyOf(r, r.length - 4 - 24 + 4)), "-byte trailer need"));
        m.put("bad-crc", new Case(r -> flip(r, 45), "checksum mismatch"));
        m.put("magic", new Case(r -> crc(put(r, 0, 'X', 1)), "bad magic"));
        m.put("version", new Case(r -> crc(put(r, 8, 5, 2)), "unknown format version 5 (this tool reads 1 to 4)"));
        m.put("count", new Case(r -> crc(put(r, 12, u32(r, 12) + 1, 4)), "-byte trailer need"));
        m.put("trailer-length", new Case(r -> crc(put(r, 36, 7, 4)), "-byte trailer need"));
        m.put("flag", new Case(r -> crc(put(r, 10, 0, 2)), "signature flag and trailer length disagree"));
        m.put("index-huge", new Case(r -> crc(put(r, patches, 0x7fffffff, 4)), "symbol index 2147483647 out of range"));
        m.put("index-zero", new Case(r -> crc(put(r, patches, 0, 4)), "symbol index 0 out of range"));
        m.put("index-other", new Case(r -> crc(put(r, patches, u32(r, patches + 24), 4)),
                "is not the recorded absolute value"));
        m.put("old-shndx", new Case(r -> crc(put(r, patches + 4, 3, 4)), "only undefined symbols are ever preresolved"));
        m.put("new-value", new Case(r -> crc(put(r, patches + 16, 0xffffffff81000000L, 8)),
                "is not the recorded absolute value"));
        m.put("length-long", new Case(r -> crc(put(r, 16, marker.offset() + 8, 8)), "overlaps the record"));
        m.put("length-short", new Case(r -> crc(put(r, 16, u64(r, 16) - 64, 8)), "does not describe this file"));
        m.put("length-tiny", new Case(r -> crc(put(r, 16, 10, 8)), "recorded original length 10 does not fit"));
        m.put("shoff", new Case(r -> crc(put(r, 24, u64(r, 24) + 64 * 3, 8)), "does not describe this file"));
        m.put("shnum", new Case(r -> crc(put(r, 32, 0x10000, 4)), "e_shnum 65536 out of range"));
        return m;
    }

    record Case(UnaryOperator<byte[]> damage, String message) {}

    @Test
    void everyDamagedRecordIsOneLineExit3AndNothingIsWritten() throws Exception {
        Path in = tmp.resolve("in");
        Path out = tmp.resolve("out");
        Files.createDirectories(in);
        Map<String, Case> cases = cases();
        for (Map.Entry<String, Case> c : cases.entrySet()) {
            byte[] file = withRecord(c.getValue().damage().apply(record.clone()));
            Path f = in.resolve(c.getKey() + ".ko");
            Files.write(f, file);

            // The library: a FormatException, never bytes.
            assertThatThrownBy(() -> Restore.original(file)).as(c.getKey()).isInstanceOf(FormatException.class)
                    .hasMessageContaining(c.getValue().message());

            // The command, to a directory and in place: one line naming the file, exit 3, no output.
            CliRun r = cli("restore", "-q", "-o", out.toString(), f.toString());
            assertThat(r.code()).as(c.getKey() + ": " + r.err()).isEqualTo(ExitCodes.BAD_INPUT);
            assertThat(r.err().lines().toList()).as(c.getKey()).singleElement().satisfies(l -> assertThat(l)
                    .startsWith("lkm-preresolver: " + c.getKey() + ".ko: ").contains(c.getValue().message()));
            assertThat(out.resolve(c.getKey() + ".ko")).doesNotExist();
            r = cli("restore", "-q", "--in-place", f.toString());
            assertThat(r.code()).as(c.getKey()).isEqualTo(ExitCodes.BAD_INPUT);
            assertThat(Files.readAllBytes(f)).as(c.getKey()).isEqualTo(file);
        }
        // verify: every file an error (not "stale", not "not preresolved"), each with its message.
        Verify.Summary s = Verify.againstKernel(kernel, List.of(in), List.of(), 2, x -> { });
        assertThat(s.results()).hasSize(cases.size()).allSatisfy(x -> {
            assertThat(x.status()).as(x.path()).isEqualTo(Verify.Status.ERROR);
            assertThat(x.error()).contains(cases.get(x.path().replace(".ko", "")).message());
        });
    }

    /**
     * Anchor mode's record (version 4) keeps {@code .symtab} as the anchored symbols' entries and each
     * renumbered relocation section as the list of its entries that named an anchored symbol, with a
     * CRC-32 of every original section: restore gives back the original file, and a byte changed in a
     * rewritten relocation section after preresolving is an error, never a wrong original. Versions 3
     * (each section as its XOR with the bytes that replaced it) and 2 (whole sections) are still read.
     */
    @Test
    void anAnchorRecordRestoresOnlyTheFileItWasWrittenInto() throws Exception {
        Result r = new Preresolver(kernel, Options.defaults().withStripSignature(true).withMode(Options.Mode.ANCHOR))
                .process(signed);
        assertThat(r.plan().anchor()).isPresent();
        byte[] out = r.output();
        ElfFile f = ElfFile.parse(out);
        byte[] rec = f.sectionBytes(f.section(PreresolvedRecord.SECTION).orElseThrow());
        assertThat((rec[8] & 0xff) | (rec[9] & 0xff) << 8).isEqualTo(PreresolvedRecord.VERSION_ANCHOR_STRUCTURAL);
        assertThat(Restore.original(out)).hasValueSatisfying(o -> assertThat(o).isEqualTo(signed));
        assertThatThrownBy(() -> PreresolvedRecord.decode(rec)).isInstanceOf(FormatException.class)
                .hasMessageContaining("version 4 is read only with the module it is in");
        PreresolvedRecord decoded = PreresolvedRecord.decode(rec, out);
        assertThat(decoded.saved()).extracting(PreresolvedRecord.Saved::kind)
                .contains(PreresolvedRecord.Saved.SYMBOLS, PreresolvedRecord.Saved.RELOCATIONS);
        // The same record as version 3 (as the previous release wrote it) and as version 2 is still read.
        byte[] v3 = decoded.encode(out, PreresolvedRecord.VERSION_ANCHOR_DELTA);
        assertThat((v3[8] & 0xff) | (v3[9] & 0xff) << 8).isEqualTo(PreresolvedRecord.VERSION_ANCHOR_DELTA);
        assertThat(v3.length).isGreaterThan(rec.length);
        assertThat(Restorer.restore(f, PreresolvedRecord.decode(v3, out))).isEqualTo(signed);
        byte[] v2 = decoded.encode();
        assertThat((v2[8] & 0xff) | (v2[9] & 0xff) << 8).isEqualTo(PreresolvedRecord.VERSION_ANCHOR);
        assertThat(v2.length).isGreaterThan(v3.length);
        assertThat(Restorer.restore(f, PreresolvedRecord.decode(v2))).isEqualTo(signed);

        // A relocation section that anchor mode rewrote (its bytes differ from the original's), one bit changed.
        ElfFile original = ElfFile.parse(signed);
        SectionHeader rela = f.sections().stream().filter(s -> s.type() == org.preresolver.elf.Elf.SHT_RELA
                && s.index() < original.sections().size()
                && !Arrays.equals(f.sectionBytes(s), original.sectionBytes(original.sections().get(s.index()))))
                .findFirst().orElseThrow();
        byte[] changed = out.clone();
        changed[(int) rela.offset() + 9] ^= 1; // r_info of the first entry
        assertThatThrownBy(() -> Restore.original(changed)).isInstanceOf(FormatException.class)
                .hasMessageContaining("the file was changed after preresolving");
        Path file = tmp.resolve("changed-anchor.ko");
        Files.write(file, changed);
        CliRun run = cli("restore", "-q", "--in-place", file.toString());
        assertThat(run.code()).isEqualTo(ExitCodes.BAD_INPUT);
        assertThat(run.err().lines().toList()).singleElement().satisfies(l -> assertThat(l)
                .startsWith("lkm-preresolver: changed-anchor.ko: ").contains("the file was changed after preresolving"));
        assertThat(Files.readAllBytes(file)).isEqualTo(changed);
    }

    /**
     * Any one byte of a version 4 record's anchor-mode part (the anchor, the saved sections and the
     * patches) changed and the record's checksum made good again, so that the saved sections are
     * read, not refused at the checksum: restore fails with one line, or gives exactly the signed
     * original. (The other fields are what the checksum guards: a stored signature trailer changed
     * and checksummed again is another signature.)
     */
    @Test
    void damageToAnAnchorRecordNeverGivesAWrongRestore() throws Exception {
        byte[] out = new Preresolver(kernel, Options.defaults().withStripSignature(true)
                .withMode(Options.Mode.ANCHOR)).process(signed).output();
        SectionHeader marker = ElfFile.parse(out).section(PreresolvedRecord.SECTION).orElseThrow();
        byte[] rec = Arrays.copyOfRange(out, (int) marker.offset(), (int) (marker.offset() + marker.size()));
        int from = 72; // magic, version, flags, counts, lengths, digest; then the three strings
        for (int k = 0; k < 3; k++) {
            from += 1 + (rec[from] & 0xff);
        }
        int to = rec.length - 4 - PreresolvedRecord.decode(rec, out).trailer().length;
        Random rnd = new Random(11);
        int failed = 0;
        for (int i = 0; i < 600; i++) {
            byte[] r = rec.clone();
            int at = from + rnd.nextInt(to - from);
            r[at] ^= (byte) (1 + rnd.nextInt(255));
            byte[] file = out.clone();
            System.arraycopy(crc(r), 0, file, (int) marker.offset(), r.length);
            try {
                Restore.original(file).ifPresent(o -> assertThat(o).isEqualTo(signed));
            } catch (FormatException e) {
                failed++;
                assertThat(e.getMessage()).doesNotContain("\n");
            } catch (RuntimeException e) {
                fail("byte " + at + ": " + e, e);
            }
        }
        assertThat(failed).as("damaged records refused").isGreaterThan(300);
    }

    @Test
    void aChangedSymbolNameBreaksTheExportsDigestForVerifyButNotTheRestore() throws Exception {
        byte[] file = withRecord(crc(flip(record.clone(), 45)));
        assertThat(Restore.original(file)).hasValueSatisfying(o -> assertThat(o).isEqualTo(signed));
        assertThatThrownBy(() -> Verifier.againstKernel(file, kernel, Options.defaults()))
                .isInstanceOf(FormatException.class).hasMessageContaining("exports digest does not match");
    }

    /** Any one byte of the record changed: restore fails, or gives exactly the signed original. */
    @Test
    void randomDamageNeverGivesAWrongRestore() throws Exception {
        Random rnd = new Random(5);
        int failed = 0;
        for (int i = 0; i < 400; i++) {
            byte[] r = record.clone();
            int at = rnd.nextInt(r.length);
            r[at] ^= (byte) (1 + rnd.nextInt(255));
            try {
                Restore.original(withRecord(r)).ifPresent(o -> assertThat(o).isEqualTo(signed));
            } catch (FormatException e) {
                failed++;
                assertThat(e.getMessage()).doesNotContain("\n");
            } catch (RuntimeException e) {
                fail("byte " + at + ": " + e, e);
            }
        }
        assertThat(failed).isEqualTo(400); // the CRC catches every single-byte change
    }

    /** The preresolved module with its record replaced (same place, sh_size set to the new length). */
    static byte[] withRecord(byte[] rec) throws FormatException {
        if (rec.length > record.length) {
            throw new IllegalArgumentException("a record longer than the original does not fit in place");
        }
        byte[] f = preresolved.clone();
        Arrays.fill(f, (int) marker.offset(), (int) (marker.offset() + record.length), (byte) 0);
        System.arraycopy(rec, 0, f, (int) marker.offset(), rec.length);
        ElfFile e = ElfFile.parse(preresolved);
        long hdr = e.header().shoff() + (long) marker.index() * 64;
        ByteBuffer.wrap(f).order(ByteOrder.LITTLE_ENDIAN).putLong((int) hdr + 32, rec.length);
        return f;
    }

    static byte[] crc(byte[] r) {
        CRC32 c = new CRC32();
        c.update(r, 0, r.length - 4);
        ByteBuffer.wrap(r).order(ByteOrder.LITTLE_ENDIAN).putInt(r.length - 4, (int) c.getValue());
        return r;
    }

    static byte[] flip(byte[] r, int at) {
        r[at] ^= 0x20;
        return r;
    }

    static byte[] put(byte[] r, int at, long v, int size) {
        ByteBuffer b = ByteBuffer.wrap(r).order(ByteOrder.LITTLE_ENDIAN);
        switch (size) {
            case 1 -> b.put(at, (byte) v);
            case 2 -> b.putShort(at, (short) v);
            case 4 -> b.putInt(at, (int) v);
            default -> b.putLong(at, v);
        }
        return r;
    }

    static long u32(byte[] r, int at) {
        return ByteBuffer.wrap(r).order(ByteOrder.LITTLE_ENDIAN).getInt(at) & 0xffffffffL;
    }

    static long u64(byte[] r, int at) {
        return ByteBuffer.wrap(r).order(ByteOrder.LITTLE_ENDIAN).getLong(at);
    }
}
