package org.preresolver.fuzz;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.preresolver.elf.ByteReader;
import org.preresolver.elf.Elf;
import org.preresolver.elf.ElfFile;
import org.preresolver.elf.ElfHeader;
import org.preresolver.elf.FormatException;
import org.preresolver.elf.SectionHeader;
import org.preresolver.kernel.KernelImage;
import org.preresolver.kernel.ModuleSignature;
import org.preresolver.preresolve.PreresolvedRecord;

/**
 * The mutations of the property tests: truncation, bit flips, inflated size and offset fields,
 * overwritten, inserted, deleted and copied bytes, and random bytes. A mutation holds fractions
 * and choices, not absolute offsets, so that jqwik can shrink it and apply it to any seed.
 */
final class Mutator {
    private Mutator() {}

    /** A size, offset, count or index field of a seed: where it is, how wide, which byte order. */
    record Field(int offset, int width, boolean little, String what) {}

    /** One change to an input. */
    sealed interface Mutation {
        byte[] apply(byte[] in, List<Field> fields);
    }

    /** Keeps the first {@code at} fraction of the input. */
    record Truncate(double at) implements Mutation {
        public byte[] apply(byte[] in, List<Field> fields) {
            return Arrays.copyOf(in, (int) (in.length * at));
        }
    }

    /** XORs one byte with {@code mask}. */
    record FlipBits(double at, int mask) implements Mutation {
        public byte[] apply(byte[] in, List<Field> fields) {
            if (in.length == 0) {
                return in;
            }
            byte[] out = in.clone();
            int i = pos(at, in.length);
            out[i] ^= (byte) mask;
            return out;
        }
    }

    /** Sets a size/offset/count field to an interesting value. */
    record SetField(double which, int kind, long random) implements Mutation {
        public byte[] apply(byte[] in, List<Field> fields) {
            List<Field> usable = fields.stream().filter(f -> f.offset() + f.width() <= in.length).toList();
            if (usable.isEmpty()) {
                return in;
            }
            Field f = usable.get(pos(which, usable.size()));
            long old = read(in, f);
            long max = f.width() == 8 ? -1L : (1L << (8 * f.width())) - 1;
            long v = switch (kind) {
                case 0 -> 0;
                case 1 -> 1;
                case 2 -> max;
                case 3 -> max >>> 1;
                case 4 -> (max >>> 1) + 1;
                case 5 -> in.length;
                case 6 -> in.length + 1L;
                case 7 -> in.length - 1L;
                case 8 -> 2L * in.length;
                case 9 -> old + 1;
                case 10 -> old - 1;
                case 11 -> old + (random & 0xff);
                case 12 -> old * 16;
                case 13 -> 0xffffL;
                case 14 -> 0xff00L + (random & 0xff);
                default -> random;
            };
            byte[] out = in.clone();
            write(out, f, v);
            return out;
        }
    }

    /** Writes {@code bytes} over the input at a position. */
    record Overwrite(double at, byte[] bytes) implements Mutation {
        public byte[] apply(byte[] in, List<Field> fields) {
            if (in.length == 0) {
                return in;
            }
            byte[] out = in.clone();
            int p = pos(at, in.length);
            System.arraycopy(bytes, 0, out, p, Math.min(bytes.length, in.length - p));
            return out;
        }

        @Override
        public String toString() {
            return "Overwrite[at=" + at + ", bytes=" + Arrays.toString(bytes) + "]";
        }
    }

    /** Inserts {@code bytes} at a position. */
    record Insert(double at, byte[] bytes) implements Mutation {
        public byte[] apply(byte[] in, List<Field> fields) {
            int p = in.length == 0 ? 0 : pos(at, in.length + 1);
            byte[] out = new byte[in.length + bytes.length];
            System.arraycopy(in, 0, out, 0, p);
            System.arraycopy(bytes, 0, out, p, bytes.length);
            System.arraycopy(in, p, out, p + bytes.length, in.length - p);
            return out;
        }

        @Override
        public String toString() {
            return "Insert[at=" + at + ", bytes=" + Arrays.toString(bytes) + "]";
        }
    }

    /** Removes up to {@code n} bytes at a position. */
    record Delete(double at, int n) implements Mutation {
        public byte[] apply(byte[] in, List<Field> fields) {
            if (in.length == 0) {
                return in;
            }
            int p = pos(at, in.length);
            int k = Math.min(n, in.length - p);
            byte[] out = new byte[in.length - k];
            System.arraycopy(in, 0, out, 0, p);
            System.arraycopy(in, p + k, out, p, in.length - p - k);
            return out;
        }
    }

    /** Copies {@code n} bytes from one position over another (libFuzzer's CopyPart). */
    record CopyPart(double from, double to, int n) implements Mutation {
        public byte[] apply(byte[] in, List<Field> fields) {
            if (in.length == 0) {
                return in;
            }
            byte[] out = in.clone();
            int f = pos(from, in.length);
            int t = pos(to, in.length);
            int k = Math.min(n, Math.min(in.length - f, in.length - t));
            System.arraycopy(in, f, out, t, k);
            return out;
        }
    }

    /** Replaces the input with random bytes, keeping its first {@code keep} bytes (e.g. a magic). */
    record RandomBytes(int keep, byte[] bytes) implements Mutation {
        public byte[] apply(byte[] in, List<Field> fields) {
            int k = Math.min(keep, in.length);
            byte[] out = new byte[k + bytes.length];
            System.arraycopy(in, 0, out, 0, k);
            System.arraycopy(bytes, 0, out, k, bytes.length);
            return out;
        }

        @Override
        public String toString() {
            return "RandomBytes[keep=" + keep + ", " + bytes.length + " bytes]";
        }
    }

    static byte[] apply(byte[] seed, List<Field> fields, List<Mutation> ms) {
        byte[] b = seed;
        for (Mutation m : ms) {
            b = m.apply(b, fields);
        }
        return b;
    }

    static int pos(double frac, int length) {
        return Math.min(length - 1, Math.max(0, (int) (frac * length)));
    }

    static long read(byte[] b, Field f) {
        return switch (f.width()) {
            case 1 -> b[f.offset()] & 0xff;
            case 2 -> ByteReader.u16(b, f.offset(), f.little());
            case 4 -> ByteReader.u32(b, f.offset(), f.little());
            default -> ByteReader.u64(b, f.offset(), f.little());
        };
    }

    static void write(byte[] b, Field f, long v) {
        switch (f.width()) {
            case 1 -> b[f.offset()] = (byte) v;
            case 2 -> ByteReader.put16(b, f.offset(), (int) v, f.little());
            case 4 -> ByteReader.put32(b, f.offset(), v, f.little());
            default -> ByteReader.put64(b, f.offset(), v, f.little());
        }
    }

    // ----- where the fields are

    /** The size, offset, count and index fields of a seed, found by parsing it (best effort). */
    static List<Field> fields(byte[] b) {
        List<Field> out = new ArrayList<>();
        if (ModuleSignature.isSigned(b, b.length) && b.length >= ModuleSignature.MAGIC.length + 12) {
            int info = b.length - ModuleSignature.MAGIC.length - ModuleSignature.INFO_SIZE;
            out.add(new Field(info + 8, 4, false, "module_signature.sig_len"));
            out.add(new Field(info + 2, 1, false, "module_signature.id_type"));
        }
        if (b.length > 8 && new String(b, 0, 8, StandardCharsets.ISO_8859_1).equals("LKMPRESV")) {
            record(out, 0);
        }
        if (KernelImage.isBzImage(b)) {
            out.add(new Field(0x1f1, 1, true, "setup_sects"));
            out.add(new Field(0x206, 2, true, "boot protocol version"));
            out.add(new Field(0x248, 4, true, "payload_offset"));
            out.add(new Field(0x24c, 4, true, "payload_length"));
        }
        if (b.length >= 8 && ByteReader.u32(b, 0, true) == 0x184c2102L) {
            out.add(new Field(4, 4, true, "lz4 block size"));
        }
        if (ElfFile.isElf(b)) {
            try {
                int len = ModuleSignature.parse(b).map(ModuleSignature::moduleLength).orElse(b.length);
                elf(ElfFile.parse(Arrays.copyOf(b, len)), out);
            } catch (FormatException e) {
                // a seed that does not parse has only the fields found so far
            }
        }
        return out;
    }

    private static void record(List<Field> out, int base) {
        out.add(new Field(base + 8, 2, true, "record version"));
        out.add(new Field(base + 10, 2, true, "record flags"));
        out.add(new Field(base + 12, 4, true, "record patch count"));
        out.add(new Field(base + 16, 8, true, "record original length"));
        out.add(new Field(base + 24, 8, true, "record original e_shoff"));
        out.add(new Field(base + 32, 4, true, "record original e_shnum"));
        out.add(new Field(base + 36, 4, true, "record trailer length"));
        out.add(new Field(base + 72, 1, true, "record build-id length"));
    }

    private static void elf(ElfFile f, List<Field> out) throws FormatException {
        ElfHeader h = f.header();
        boolean is64 = h.is64();
        boolean le = h.order() == java.nio.ByteOrder.LITTLE_ENDIAN;
        int w = is64 ? 8 : 4;
        out.add(new Field(is64 ? 40 : 32, w, le, "e_shoff"));
        out.add(new Field(is64 ? 58 : 46, 2, le, "e_shentsize"));
        out.add(new Field(is64 ? 60 : 48, 2, le, "e_shnum"));
        out.add(new Field(is64 ? 62 : 50, 2, le, "e_shstrndx"));
        for (SectionHeader s : f.sections()) {
            int o = (int) s.headerOffset();
            String n = "section " + s.index() + " (" + s.name() + ")";
            out.add(new Field(o, 4, le, n + " sh_name"));
            out.add(new Field(o + 4, 4, le, n + " sh_type"));
            out.add(new Field(o + (is64 ? 24 : 16), w, le, n + " sh_offset"));
            out.add(new Field(o + (is64 ? 32 : 20), w, le, n + " sh_size"));
            out.add(new Field(o + (is64 ? 40 : 24), 4, le, n + " sh_link"));
            out.add(new Field(o + (is64 ? 44 : 28), 4, le, n + " sh_info"));
            out.add(new Field(o + (is64 ? 56 : 36), w, le, n + " sh_entsize"));
            out.add(new Field(o + (is64 ? 16 : 12), w, le, n + " sh_addr"));
            if (s.type() == Elf.SHT_REL || s.type() == Elf.SHT_RELA) {
                int ent = is64 ? (s.type() == Elf.SHT_RELA ? 24 : 16) : (s.type() == Elf.SHT_RELA ? 12 : 8);
                for (int i = 0; i < 4 && (i + 1) * ent <= s.size(); i++) {
                    out.add(new Field((int) s.offset() + i * ent + w, w, le, n + " r_info " + i));
                }
            }
            if (s.name().equals(PreresolvedRecord.SECTION) && s.size() > 80) {
                record(out, (int) s.offset());
            }
            if (s.name().startsWith("__ksymtab") && !s.name().equals("__ksymtab_strings") && s.size() >= 12) {
                for (int i = 0; i < 3; i++) {
                    out.add(new Field((int) s.offset() + 4 * i, 4, le, n + " field " + i));
                }
            }
        }
        if (f.hasSymbolTable()) {
            var st = f.symbolTable();
            for (int i = 1; i < st.size() && i < 24; i++) {
                int e = (int) st.get(i).entryOffset();
                out.add(new Field(e, 4, le, "st_name " + i));
                out.add(new Field(is64 ? e + 6 : e + 14, 2, le, "st_shndx " + i));
                out.add(new Field(is64 ? e + 8 : e + 4, w, le, "st_value " + i));
            }
        }
    }
}
