package org.preresolver.fuzz;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.compressors.bzip2.BZip2CompressorOutputStream;
import org.apache.commons.compress.compressors.lz4.BlockLZ4CompressorOutputStream;
import org.preresolver.elf.ByteReader;
import org.preresolver.elf.Elf;
import org.preresolver.elf.ElfFile;
import org.preresolver.elf.FormatException;
import org.preresolver.elf.SectionHeader;
import org.preresolver.io.KernelLoader;
import org.preresolver.kernel.KernelExport;
import org.preresolver.kernel.KernelExports;
import org.preresolver.kernel.KernelIdentity;
import org.preresolver.kernel.ModuleSignature;
import org.preresolver.preresolve.Options;
import org.preresolver.preresolve.PreresolvedRecord;
import org.preresolver.preresolve.Preresolver;
import org.preresolver.preresolve.RefusedException;
import org.preresolver.preresolve.Result;
import org.preresolver.qemu.DebianKernel;
import org.preresolver.testing.ElfWriter;
import org.tukaani.xz.LZMA2Options;
import org.tukaani.xz.LZMAOutputStream;
import org.tukaani.xz.XZOutputStream;

/**
 * Seed inputs of the fuzzers: real Debian modules (the smallest of the cached 6.1 tree, as they
 * are and preresolved), real {@code Module.symvers} lines, and small synthetic files built here:
 * modules in the four ELF class/byte-order combinations, vmlinux files of every export-table
 * layout, bzImage wrappers and compressed streams of every supported format.
 */
final class Seeds {
    /** A seed: a name for reports, the bytes, and where its size and offset fields are. */
    record Seed(String name, byte[] bytes, List<Mutator.Field> fields) {
        @Override
        public String toString() {
            return name + " (" + bytes.length + " bytes)";
        }
    }

    /** How many of the smallest Debian modules to take. */
    static final int DEBIAN_MODULES = 24;
    /** The release of the kernel in use ({@link org.preresolver.testing.TestKernels} chooses it). */
    final String release;
    /** The {@code vermagic=} of that kernel's own modules, read from one of them. */
    final String vermagic;

    private static Seeds instance;

    final DebianKernel debian;
    final KernelExports exports;
    final Preresolver preresolver;
    /** Exported names the synthetic modules import: plain, GPL-only, namespaced. */
    final List<KernelExport> imports;
    final byte[] tinyModule;
    final Map<Targets, List<Seed>> byTarget = new LinkedHashMap<>();

    private Seeds() throws IOException, FormatException, RefusedException {
        debian = DebianKernel.fetch();
        release = debian.release();
        vermagic = vermagicOf(debian);
        exports = KernelLoader.fromImage(debian.vmlinuz(), debian.config()).exports();
        preresolver = new Preresolver(exports, options());
        imports = pickImports(exports);
        tinyModule = tinyModule(true, true, Elf.EM_X86_64, false);
        for (Targets t : Targets.values()) {
            byTarget.put(t, new ArrayList<>());
        }
        moduleSeeds();
        kernelSeeds();
        textSeeds();
    }

    /** The vermagic of the kernel's own modules (all of a Debian build carry the same one). */
    private static String vermagicOf(DebianKernel k) throws IOException {
        Path any;
        try (Stream<Path> s = Files.walk(k.modulesDir().resolve("kernel"))) {
            any = s.filter(p -> p.toString().endsWith(".ko")).sorted().findFirst()
                    .orElseThrow(() -> new IOException("no module under " + k.modulesDir()));
        }
        String v = org.preresolver.qemu.ModInfo.read(any).first("vermagic");
        if (v == null || !v.startsWith(k.release() + " ")) {
            throw new IOException(any + ": vermagic " + v + " does not name release " + k.release());
        }
        return v;
    }

    static synchronized Seeds get() {
        if (instance == null) {
            try {
                instance = new Seeds();
            } catch (org.preresolver.testing.TestKernels.KernelUnavailable e) {
                throw new org.preresolver.testing.TestKernels.KernelUnavailableError(e);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (FormatException | RefusedException e) {
                throw new IllegalStateException("seed preparation failed: " + e.getMessage(), e);
            }
        }
        return instance;
    }

    static Options options() {
        return Options.defaults().withStripSignature(true).withAllowUnverifiedArch(true).withTool("lkm-preresolver fuzz");
    }

    List<Seed> seeds(Targets t) {
        return byTarget.get(t);
    }

    private void add(Targets t, String name, byte[] bytes) {
        byTarget.get(t).add(new Seed(name, bytes, Mutator.fields(bytes)));
    }

    // ----- modules, records, signatures, modinfo, versions

    private void moduleSeeds() throws IOException, FormatException, RefusedException {
        List<Path> small;
        try (Stream<Path> s = Files.walk(debian.modulesDir().resolve("kernel"))) {
            small = s.filter(p -> p.toString().endsWith(".ko"))
                    .sorted(Comparator.comparingLong((Path p) -> p.toFile().length()).thenComparing(Path::toString))
                    .limit(DEBIAN_MODULES).toList();
        }
        for (Path p : small) {
            byte[] b = Files.readAllBytes(p);
            String name = "debian:" + p.getFileName();
            add(Targets.MODULE, name, b);
            Result r = preresolver.process(b);
            if (r.changed()) {
                add(Targets.MODULE, name + "+preresolved", r.output());
                add(Targets.RESTORE, name + "+preresolved", r.output());
                ElfFile f = ElfFile.parse(r.output());
                SectionHeader rec = f.section(PreresolvedRecord.SECTION).orElseThrow();
                add(Targets.RECORD, name + ":record", f.sectionBytes(rec));
            }
            ElfFile f = ElfFile.parse(java.util.Arrays.copyOf(b, ModuleSignature.parse(b).map(
                    ModuleSignature::moduleLength).orElse(b.length)));
            f.section(".modinfo").ifPresent(s -> add(Targets.MODINFO, name + ":modinfo", f.sectionBytes(s)));
            f.section("__versions").ifPresent(s -> add(Targets.MODVERSIONS, name + ":versions", f.sectionBytes(s)));
            add(Targets.SIGNATURE, name, b);
        }
        for (boolean is64 : new boolean[] {true, false}) {
            for (boolean little : new boolean[] {true, false}) {
                int machine = is64 ? (little ? Elf.EM_X86_64 : Elf.EM_PPC64) : (little ? Elf.EM_386 : Elf.EM_PPC);
                for (boolean ext : new boolean[] {false, true}) {
                    byte[] m = tinyModule(is64, little, machine, ext);
                    String name = "tiny:" + (is64 ? "64" : "32") + (little ? "le" : "be") + (ext ? "+ext" : "");
                    add(Targets.MODULE, name, m);
                    byte[] signed = sign(m);
                    add(Targets.MODULE, name + "+signed", signed);
                    add(Targets.SIGNATURE, name + "+signed", signed);
                    KernelExports k = is64 && little ? exports : synthetic(is64, little, machine);
                    for (byte[] in : new byte[][] {m, signed}) {
                        Result r = new Preresolver(k, options()).process(in);
                        String n = name + (in == m ? "" : "+signed") + "+preresolved";
                        if (r.changed()) {
                            add(Targets.MODULE, n, r.output());
                            add(Targets.RESTORE, n, r.output());
                        }
                    }
                }
            }
        }
        add(Targets.MODVERSIONS, "tiny:versions", versions(true, true));
        add(Targets.MODVERSIONS, "tiny:ext", extNames());
        add(Targets.MODINFO, "tiny:modinfo", modinfo());
        add(Targets.SIGNATURE, "trailer-only", sign(new byte[0]));
    }

    /** The imports as exported by a kernel of another machine (32-bit addresses where needed). */
    private KernelExports synthetic(boolean is64, boolean little, int machine) {
        List<KernelExport> list = new ArrayList<>();
        long base = is64 ? 0xc000000000001000L : 0xc0101000L;
        for (KernelExport e : imports) {
            list.add(new KernelExport(e.name(), base + 16L * list.size(), e.gplOnly(), e.namespace(), e.crc()));
        }
        return new KernelExports(new KernelIdentity(machine, is64, little ? java.nio.ByteOrder.LITTLE_ENDIAN
                : java.nio.ByteOrder.BIG_ENDIAN, release, ""), null, list, "synthetic " + Elf.machineName(machine));
    }

    private static List<KernelExport> pickImports(KernelExports k) {
        List<KernelExport> sorted = new ArrayList<>(k.all());
        sorted.sort(Comparator.comparing(KernelExport::name));
        List<KernelExport> out = new ArrayList<>();
        int plain = 0;
        boolean gpl = false;
        boolean ns = false;
        for (KernelExport e : sorted) {
            if (e.crc() == null || e.address() == 0 || e.name().length() > 40) {
                continue;
            }
            if (e.hasNamespace() && !ns) {
                out.add(e);
                ns = true;
            } else if (!e.hasNamespace() && e.gplOnly() && !gpl) {
                out.add(e);
                gpl = true;
            } else if (!e.hasNamespace() && !e.gplOnly() && plain < 4) {
                out.add(e);
                plain++;
            }
        }
        return out;
    }

    String modinfoText() {
        String ns = imports.stream().filter(KernelExport::hasNamespace).map(e -> "import_ns=" + e.namespace())
                .findFirst().orElse("import_ns=NONE");
        return "license=GPL\0name=tiny\0" + ns + "\0depends=\0retpoline=Y\0vermagic=" + vermagic + "\0";
    }

    private byte[] modinfo() {
        return modinfoText().getBytes(StandardCharsets.ISO_8859_1);
    }

    /** {@code __versions}: 64-byte entries, CRC then name. */
    byte[] versions(boolean is64, boolean little) {
        byte[] v = new byte[64 * imports.size()];
        for (int i = 0; i < imports.size(); i++) {
            KernelExport e = imports.get(i);
            ByteReader.putWord(v, 64 * i, e.crc(), is64, little);
            byte[] n = e.name().getBytes(StandardCharsets.ISO_8859_1);
            System.arraycopy(n, 0, v, 64 * i + (is64 ? 8 : 4), n.length);
        }
        return v;
    }

    private byte[] extNames() {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        for (KernelExport e : imports) {
            o.writeBytes(e.name().getBytes(StandardCharsets.ISO_8859_1));
            o.write(0);
        }
        return o.toByteArray();
    }

    private byte[] extCrcs(boolean little) {
        byte[] c = new byte[4 * imports.size()];
        for (int i = 0; i < imports.size(); i++) {
            ByteReader.put32(c, 4 * i, imports.get(i).crc(), little);
        }
        return c;
    }

    /**
     * A small module: {@code .text} with a {@code .rela.text} calling every import, {@code .modinfo},
     * {@code __versions} (or the 6.14+ extended tables), its own export ({@code __ksymtab_tiny_fn}),
     * a weak undefined symbol and a symbol no kernel exports.
     */
    byte[] tinyModule(boolean is64, boolean little, int machine, boolean ext) {
        ElfWriter e = new ElfWriter(is64, little, Elf.ET_REL, machine);
        int text = e.add(".text", Elf.SHT_PROGBITS, Elf.SHF_ALLOC | Elf.SHF_EXECINSTR, 0, new byte[64], 0, 0, 16, 0);
        int ksym = e.add("__ksymtab", Elf.SHT_PROGBITS, Elf.SHF_ALLOC, 0, new byte[12], 0, 0, 4, 0);
        e.add(".modinfo", Elf.SHT_PROGBITS, Elf.SHF_ALLOC, 0, modinfo(), 0, 0, 1, 0);
        if (ext) {
            e.add("__version_ext_crcs", Elf.SHT_PROGBITS, Elf.SHF_ALLOC, 0, extCrcs(little), 0, 0, 4, 0);
            e.add("__version_ext_names", Elf.SHT_PROGBITS, Elf.SHF_ALLOC, 0, extNames(), 0, 0, 1, 0);
        } else {
            e.add("__versions", Elf.SHT_PROGBITS, Elf.SHF_ALLOC, 0, versions(is64, little), 0, 0, 8, 0);
        }
        e.add(".bss", Elf.SHT_NOBITS, Elf.SHF_ALLOC | Elf.SHF_WRITE, 0, new byte[256], 0, 0, 8, 0);
        e.add(".note.gnu.build-id", Elf.SHT_NOTE, Elf.SHF_ALLOC, 0, buildIdNote(little), 0, 0, 4, 0);
        List<ElfWriter.Sym> syms = new ArrayList<>();
        syms.add(new ElfWriter.Sym("", 0, 0, Elf.STB_LOCAL, Elf.STT_SECTION, text));
        syms.add(new ElfWriter.Sym("__ksymtab_tiny_fn", 0, 12, Elf.STB_LOCAL, Elf.STT_OBJECT, ksym));
        syms.add(new ElfWriter.Sym("tiny_fn", 0, 16, Elf.STB_GLOBAL, Elf.STT_FUNC, text));
        for (KernelExport x : imports) {
            syms.add(new ElfWriter.Sym(x.name(), 0, 0, Elf.STB_GLOBAL, Elf.STT_NOTYPE, Elf.SHN_UNDEF));
        }
        syms.add(new ElfWriter.Sym("lkmpr_not_exported_anywhere", 0, 0, Elf.STB_GLOBAL, Elf.STT_NOTYPE, Elf.SHN_UNDEF));
        syms.add(new ElfWriter.Sym("lkmpr_weak_maybe", 0, 0, Elf.STB_WEAK, Elf.STT_NOTYPE, Elf.SHN_UNDEF));
        syms.add(new ElfWriter.Sym("__this_module", 0, 0, Elf.STB_GLOBAL, Elf.STT_OBJECT, Elf.SHN_UNDEF));
        int symtab = e.symtab(syms);
        long[][] rows = new long[syms.size() - 3][];
        for (int i = 0; i < rows.length; i++) {
            rows[i] = new long[] {4L * i, i + 4, is64 ? 4 : 2, -4};
        }
        e.add(".rela.text", Elf.SHT_RELA, Elf.SHF_INFO_LINK, 0, e.rela(rows), symtab, text, is64 ? 8 : 4,
                is64 ? 24 : 12);
        return e.build();
    }

    private static byte[] buildIdNote(boolean little) {
        byte[] n = new byte[12 + 4 + 20];
        ByteReader.put32(n, 0, 4, little);
        ByteReader.put32(n, 4, 20, little);
        ByteReader.put32(n, 8, Elf.NT_GNU_BUILD_ID, little);
        n[12] = 'G';
        n[13] = 'N';
        n[14] = 'U';
        for (int i = 0; i < 20; i++) {
            n[16 + i] = (byte) (0x11 * i);
        }
        return n;
    }

    /** Appends a (fake) PKCS#7 signature trailer as {@code scripts/sign-file} lays it out. */
    static byte[] sign(byte[] module) {
        // One DER SEQUENCE holding an OCTET STRING: the shape (not the content) of PKCS#7.
        byte[] sig = new byte[48];
        sig[0] = 0x30;
        sig[1] = 46;
        sig[2] = 0x04;
        sig[3] = 44;
        for (int i = 4; i < sig.length; i++) {
            sig[i] = (byte) (i * 7);
        }
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        o.writeBytes(module);
        o.writeBytes(sig);
        byte[] info = new byte[ModuleSignature.INFO_SIZE];
        info[2] = ModuleSignature.PKEY_ID_PKCS7;
        ByteReader.put32(info, 8, sig.length, false);
        o.writeBytes(info);
        o.writeBytes(ModuleSignature.MAGIC);
        return o.toByteArray();
    }

    // ----- kernels

    private void kernelSeeds() throws IOException {
        List<byte[]> elves = new ArrayList<>();
        for (Vmlinux.Layout l : Vmlinux.Layout.values()) {
            byte[] v = Vmlinux.build(l, imports, release);
            elves.add(v);
            add(Targets.KERNEL_IMAGE, "vmlinux:" + l, v);
        }
        byte[] v = elves.get(0);
        for (Compressor c : Compressor.values()) {
            byte[] z = c.compress(v);
            add(Targets.KERNEL_IMAGE, c + ":vmlinux", z);
            add(Targets.KERNEL_IMAGE, "bzImage:" + c, Vmlinux.bzImage(z));
            add(Targets.COMPRESSED, c + ":tiny", c.compress(tinyModule));
        }
        add(Targets.COMPRESSED, "lzo-magic", new byte[] {(byte) 0x89, 'L', 'Z', 'O', 0, 1, 2, 3});
    }

    /** The formats the fuzzers feed to {@code Compression}. */
    enum Compressor {
        GZIP, XZ, ZSTD, BZIP2, LZMA, LZ4;

        byte[] compress(byte[] data) throws IOException {
            ByteArrayOutputStream bo = new ByteArrayOutputStream();
            switch (this) {
                case GZIP -> {
                    try (OutputStream o = new GZIPOutputStream(bo)) {
                        o.write(data);
                    }
                }
                case XZ -> {
                    LZMA2Options opt = new LZMA2Options();
                    opt.setDictSize(1 << 16);
                    try (OutputStream o = new XZOutputStream(bo, opt, org.tukaani.xz.XZ.CHECK_CRC32)) {
                        o.write(data);
                    }
                }
                case ZSTD -> {
                    try (OutputStream o = new com.github.luben.zstd.ZstdOutputStream(bo, 3)) {
                        o.write(data);
                    }
                }
                case BZIP2 -> {
                    try (OutputStream o = new BZip2CompressorOutputStream(bo, 1)) {
                        o.write(data);
                    }
                }
                case LZMA -> {
                    LZMA2Options opt = new LZMA2Options();
                    opt.setDictSize(1 << 16);
                    try (OutputStream o = new LZMAOutputStream(bo, opt, data.length)) {
                        o.write(data);
                    }
                }
                case LZ4 -> {
                    // The kernel's legacy framing: magic, then u32 LE block size + LZ4 block.
                    ByteArrayOutputStream block = new ByteArrayOutputStream();
                    try (OutputStream o = new BlockLZ4CompressorOutputStream(block)) {
                        o.write(data);
                    }
                    byte[] b = block.toByteArray();
                    byte[] hdr = new byte[8];
                    ByteReader.put32(hdr, 0, 0x184c2102L, true);
                    ByteReader.put32(hdr, 4, b.length, true);
                    bo.writeBytes(hdr);
                    bo.writeBytes(b);
                    byte[] size = new byte[4];
                    ByteReader.put32(size, 0, data.length, true);
                    bo.writeBytes(size);
                }
                default -> throw new IllegalStateException();
            }
            return bo.toByteArray();
        }
    }

    // ----- text files

    private void textSeeds() throws IOException {
        Path symvers = debian.root().resolve("usr/src/linux-headers-" + release + "/Module.symvers");
        List<String> lines = Files.readAllLines(symvers, StandardCharsets.ISO_8859_1);
        StringBuilder head = new StringBuilder();
        StringBuilder map = new StringBuilder();
        long addr = 0xffffffff81000000L;
        for (int i = 0; i < 120 && i < lines.size(); i++) {
            head.append(lines.get(i)).append('\n');
            String[] f = lines.get(i).split("\t");
            map.append(Long.toHexString(addr + 16L * i)).append(i % 3 == 0 ? " t " : " T ").append(f[1]).append('\n');
        }
        // Module-owned and namespaced lines, as they appear further down the real file.
        lines.stream().filter(l -> !l.contains("\tvmlinux\t")).limit(20).forEach(l -> head.append(l).append('\n'));
        lines.stream().filter(l -> l.split("\t", -1).length > 4 && !l.endsWith("\t")).limit(20)
                .forEach(l -> head.append(l).append('\n'));
        add(Targets.SYMVERS, "debian:Module.symvers[head]", head.toString().getBytes(StandardCharsets.ISO_8859_1));
        map.append("ffffffffc0000000 t mod_fn\t[some_module]\n");
        add(Targets.SYSTEM_MAP, "synthetic:System.map", map.toString().getBytes(StandardCharsets.ISO_8859_1));
        add(Targets.SYSTEM_MAP, "debian:System.map", Files.readAllBytes(debian.root().resolve("boot/System.map-"
                + release)));
    }
}
