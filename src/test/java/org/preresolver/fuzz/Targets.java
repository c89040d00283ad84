package org.preresolver.fuzz;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.preresolver.api.Restore;
import org.preresolver.elf.Elf;
import org.preresolver.elf.ElfFile;
import org.preresolver.elf.FormatException;
import org.preresolver.elf.SectionHeader;
import org.preresolver.io.ModuleCodec;
import org.preresolver.kernel.Compression;
import org.preresolver.kernel.ExportTableReader;
import org.preresolver.kernel.KernelConfig;
import org.preresolver.kernel.KernelExports;
import org.preresolver.kernel.KernelImage;
import org.preresolver.kernel.KernelModule;
import org.preresolver.kernel.ModInfo;
import org.preresolver.kernel.ModVersions;
import org.preresolver.kernel.ModuleSignature;
import org.preresolver.kernel.SignatureInfo;
import org.preresolver.kernel.SymbolFiles;
import org.preresolver.preresolve.PreresolvedRecord;
import org.preresolver.preresolve.Preresolver;
import org.preresolver.preresolve.RefusedException;
import org.preresolver.preresolve.Restorer;
import org.preresolver.preresolve.Result;
import org.preresolver.preresolve.Verifier;
import org.preresolver.testing.ElfWriter;

/**
 * Every parser of the project, as a fuzz target. Each target runs its steps independently (a
 * step that rejects the input does not stop the next one) and lets only the project's
 * {@link FormatException} and {@link RefusedException} out; anything else is a finding. Where a
 * step succeeds, what it produced is used further (exports are used to preresolve a module, a
 * preresolved output must restore to its input), so that a parser cannot "succeed" with garbage
 * that crashes a later stage.
 */
enum Targets {
    /** Module ELF: ElfFile, symbols, relocations, KernelModule, Preresolver.process, Restore, Verifier. */
    MODULE,
    /** vmlinux ELF and kernel images: KernelImage.parse, ExportTableReader.read, IKCONFIG. */
    KERNEL_IMAGE,
    /** Compressed payloads and modules: Compression.decompress in every format, ModuleCodec.decode. */
    COMPRESSED,
    /** Module.symvers: SymbolFiles.parseSymvers. */
    SYMVERS,
    /** System.map / kallsyms: SymbolFiles.parseSystemMap. */
    SYSTEM_MAP,
    /** .modinfo: ModInfo.parse and its accessors. */
    MODINFO,
    /** __versions and the 6.14+ extended tables: ModVersions.read. */
    MODVERSIONS,
    /** The signature trailer: ModuleSignature.parse, SignatureInfo.read (PKCS#7). */
    SIGNATURE,
    /** The .preresolved record: PreresolvedRecord.decode. */
    RECORD,
    /** Preresolved modules: Restorer.record, find and restore, Restore.original. */
    RESTORE;

    /** Bound on decompressed output inside the fuzzers (the tool's own is 256 MiB). */
    static final long LIMIT = 16L << 20;

    @FunctionalInterface
    interface Step {
        void run() throws FormatException, RefusedException;
    }

    /** What the steps of one input ended in. */
    static final class Tally {
        int ok;
        int format;
        int refused;

        String outcome() {
            return ok > 0 && format + refused == 0 ? "accepted" : ok > 0 ? "partly accepted" : refused > 0 ? "refused"
                    : "format error";
        }
    }

    /** Runs this target on {@code in}. Throws only what the contract forbids. */
    Tally run(byte[] in) {
        Seeds seeds = Seeds.get();
        Tally t = new Tally();
        switch (this) {
            case MODULE -> module(in, seeds.preresolver, t);
            case KERNEL_IMAGE -> kernel(in, seeds, t);
            case COMPRESSED -> {
                step(t, () -> Compression.detect(in).decompress(in, 0, in.length, LIMIT));
                for (Compression c : Compression.values()) {
                    if (c != Compression.NONE) {
                        step(t, () -> c.decompress(in, 0, in.length, LIMIT));
                    }
                }
                step(t, () -> ModuleCodec.decode(in));
            }
            case SYMVERS -> step(t, () -> {
                var entries = SymbolFiles.parseSymvers(in);
                Map<String, Long> addr = new HashMap<>();
                for (var e : entries) {
                    addr.put(e.name(), 0xffffffff81000000L + 16L * addr.size());
                }
                useExports(SymbolFiles.exports(entries, addr, SymbolFiles.unknownIdentity(seeds.release), "fuzz"),
                        seeds);
            });
            case SYSTEM_MAP -> step(t, () -> {
                Map<String, Long> addr = SymbolFiles.parseSystemMap(in);
                List<SymbolFiles.SymversEntry> entries = new ArrayList<>();
                for (var e : seeds.imports) {
                    entries.add(new SymbolFiles.SymversEntry(e.crc(), e.name(), "vmlinux", e.gplOnly(), e.namespace()));
                }
                useExports(SymbolFiles.exports(entries, addr, SymbolFiles.unknownIdentity(seeds.release), "fuzz"),
                        seeds);
            });
            case MODINFO -> {
                ModInfo m = ModInfo.parse(in);
                m.license();
                m.isGplCompatible();
                m.importedNamespaces();
                m.vermagicRelease();
                m.depends();
                m.isLivepatch();
                m.get("name");
                t.ok++;
                // The same bytes as a module's .modinfo, through the whole preresolver.
                step(t, () -> module(withSection(seeds, ".modinfo", in), seeds.preresolver, new Tally()));
            }
            case MODVERSIONS -> {
                step(t, () -> versions(in, seeds, true, true, false));
                step(t, () -> versions(in, seeds, false, false, false));
                step(t, () -> versions(in, seeds, true, true, true));
            }
            case SIGNATURE -> {
                step(t, () -> {
                    Optional<ModuleSignature> s = ModuleSignature.parse(in);
                    if (s.isPresent()) {
                        ModuleSignature sig = s.get();
                        check(sig.moduleLength() >= 0 && sig.moduleLength() + sig.trailer().length == in.length,
                                "signature trailer does not add up to the file: " + sig.moduleLength() + " + "
                                        + sig.trailer().length + " != " + in.length);
                    }
                });
                step(t, () -> KernelModule.parse(in));
                step(t, () -> SignatureInfo.read(in).ifPresent(i -> {
                    i.modinfoLines();
                    i.keyIdHex();
                }));
            }
            case RECORD -> {
                step(t, () -> {
                    PreresolvedRecord r = PreresolvedRecord.decode(in);
                    r.exportsDigestHex();
                    check(Arrays.equals(PreresolvedRecord.decode(r.encode()).encode(), r.encode()),
                            "a decoded record does not survive encode/decode");
                });
                // The same bytes as the record of a real preresolved module.
                Seeds.Seed host = seeds.seeds(RESTORE).get(0);
                step(t, () -> restore(replaceSection(host.bytes(), PreresolvedRecord.SECTION, in), t));
            }
            case RESTORE -> restore(in, t);
            default -> throw new IllegalStateException(name());
        }
        return t;
    }

    // ----- the steps

    static void step(Tally t, Step s) {
        try {
            s.run();
            t.ok++;
        } catch (FormatException e) {
            oneLine(e.getMessage());
            t.format++;
        } catch (RefusedException e) {
            oneLine(e.getMessage());
            t.refused++;
        }
    }

    private static void oneLine(String m) {
        check(m != null && !m.isBlank() && m.indexOf('\n') < 0, "error message is not one line: " + m);
    }

    static void check(boolean ok, String what) {
        if (!ok) {
            throw new AssertionError(what);
        }
    }

    private static void module(byte[] in, Preresolver pre, Tally t) {
        step(t, () -> {
            ElfFile f = ElfFile.parse(in);
            for (SectionHeader s : f.sections()) {
                f.sectionBytes(s);
                f.sectionContaining(s.addr(), 1);
                Elf.sectionTypeName(s.type());
                if (s.type() == Elf.SHT_REL || s.type() == Elf.SHT_RELA) {
                    step(t, () -> f.relocations(s));
                }
            }
            step(t, f::buildId);
            step(t, () -> f.symbolTable().symbols().forEach(x -> x.bind()));
            step(t, () -> Restorer.record(f));
        });
        step(t, () -> {
            KernelModule m = KernelModule.parse(in);
            m.name();
            m.exportedNames();
            m.modinfo().depends();
            m.versions().crcs();
        });
        step(t, () -> {
            Result r = pre.process(in);
            if (r.changed()) {
                checkOutput(r);
            }
        });
        step(t, () -> Restore.original(in));
        step(t, () -> KernelModule.scanExports(in));
        step(t, () -> Verifier.againstKernel(in, pre.kernel(), Seeds.options()).stale());
    }

    /** What TreeRunner checks before writing, as a property: the output parses and restores to the input. */
    private static void checkOutput(Result r) {
        if (r.status() == Result.Status.NOTHING_TO_DO) {
            check(Arrays.equals(r.output(), r.module().bytes()), "the original put back is not the restored module");
            return;
        }
        try {
            ElfFile out = ElfFile.parse(r.output());
            PreresolvedRecord rec = Restorer.record(out).orElse(null);
            check(rec != null, "preresolved output has no record");
            check(Arrays.equals(Restorer.restore(out, rec), r.module().bytes()),
                    "preresolved output does not restore to its input");
        } catch (FormatException e) {
            throw new AssertionError("preresolved output does not parse back: " + e.getMessage(), e);
        }
    }

    private static void kernel(byte[] in, Seeds seeds, Tally t) {
        step(t, () -> {
            KernelImage img = KernelImage.parse(in, LIMIT);
            step(t, () -> KernelConfig.embedded(img.vmlinux().data(), "fuzz"));
            step(t, () -> useExports(ExportTableReader.read(img.vmlinux(), "fuzz"), seeds));
        });
    }

    /** Exports that parsed must be usable: preresolve the tiny module against them. */
    private static void useExports(KernelExports k, Seeds seeds) throws FormatException, RefusedException {
        k.identity();
        k.hasCrcs();
        Result r = new Preresolver(k, Seeds.options()).process(seeds.tinyModule);
        if (r.changed()) {
            checkOutput(r);
        }
    }

    private static void restore(byte[] in, Tally t) {
        step(t, () -> {
            ElfFile f = ElfFile.parse(in);
            Optional<PreresolvedRecord> rec = Restorer.record(f);
            if (rec.isPresent()) {
                byte[] orig = Restorer.restore(f, rec.get());
                check(orig.length > 0, "empty restore");
            }
        });
        step(t, () -> Restore.original(in));
        step(t, () -> Restorer.find(in).ifPresent(f -> f.record().exportsDigestHex()));
    }

    private static void versions(byte[] in, Seeds seeds, boolean is64, boolean little, boolean ext)
            throws FormatException {
        ElfWriter e = new ElfWriter(is64, little, Elf.ET_REL, Elf.EM_X86_64);
        if (ext) {
            int half = in.length / 2;
            e.add("__version_ext_crcs", Elf.SHT_PROGBITS, Elf.SHF_ALLOC, Arrays.copyOf(in, half));
            e.add("__version_ext_names", Elf.SHT_PROGBITS, Elf.SHF_ALLOC, Arrays.copyOfRange(in, half, in.length));
        } else {
            e.add("__versions", Elf.SHT_PROGBITS, Elf.SHF_ALLOC, in);
        }
        ModVersions v = ModVersions.read(ElfFile.parse(e.build()));
        for (var x : seeds.imports) {
            v.crc(x.name());
        }
    }

    /** The tiny module with one section's contents replaced. */
    private static byte[] withSection(Seeds seeds, String name, byte[] contents) throws FormatException {
        return replaceSection(seeds.tinyModule, name, contents);
    }

    /**
     * {@code file} with section {@code name} pointing at {@code contents}, appended at the end
     * (64-bit little-endian files only, as the seeds this is used with).
     */
    static byte[] replaceSection(byte[] file, String name, byte[] contents) throws FormatException {
        ElfFile f = ElfFile.parse(file);
        SectionHeader s = f.section(name).orElseThrow(() -> new IllegalStateException("seed has no " + name));
        byte[] out = Arrays.copyOf(file, file.length + contents.length);
        System.arraycopy(contents, 0, out, file.length, contents.length);
        boolean le = f.header().order() == java.nio.ByteOrder.LITTLE_ENDIAN;
        boolean is64 = f.header().is64();
        int h = (int) s.headerOffset();
        org.preresolver.elf.ByteReader.putWord(out, h + (is64 ? 24 : 16), file.length, is64, le);
        org.preresolver.elf.ByteReader.putWord(out, h + (is64 ? 32 : 20), contents.length, is64, le);
        return out;
    }

    static String describe(byte[] in) {
        int n = Math.min(16, in.length);
        StringBuilder sb = new StringBuilder(in.length + " bytes, starting");
        for (int i = 0; i < n; i++) {
            sb.append(String.format(" %02x", in[i]));
        }
        return sb.append(" (").append(new String(in, 0, n, StandardCharsets.ISO_8859_1).replaceAll("[^ -~]", "."))
                .append(")").toString();
    }
}
