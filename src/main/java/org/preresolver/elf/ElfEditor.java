package org.preresolver.elf;

import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Makes edits to a copy of an ELF file: patches symbol entries in place, rewrites whole sections
 * in place with contents no longer than before ({@link #overwriteSection}), and appends one new
 * non-allocated section. The static encoders write symbol and relocation entries in the file's
 * class and byte order.
 *
 * <p>Appending never moves existing bytes. The new section's data, a copy of the section name
 * string table with the new name added, and a copy of the section header table with the new
 * header added are all written after the original end of file; the ELF header's {@code e_shoff}
 * and {@code e_shnum} then point at the new table. The original table and name table stay where
 * they were, unreferenced, so that the exact original can be rebuilt from the prefix of the file
 * (see {@link #restorePrefix}). Extended section numbering is kept: when the new count reaches
 * {@code SHN_LORESERVE}, {@code e_shnum} becomes 0 and the count moves to section header 0.
 */
public final class ElfEditor {
    private final ElfFile file;
    /** The edited copy; null until one is needed: edits wait in {@link #pending} until then. */
    private byte[] out;
    private final boolean little;
    private final boolean is64;
    /** Sections given new contents in place, by index. */
    private final Map<Integer, Replacement> replaced = new TreeMap<>();
    /**
     * Edits not yet written, in order: {@link #appendSection} writes them into the array it makes
     * anyway, so that a module is copied once, not twice (the copy, then the copy with the section).
     */
    private final List<Edit> pending = new ArrayList<>();
    /** The latest pending edit of each symbol entry, by offset; and whether a section edit is pending. */
    private final Map<Integer, Edit> entryEdits = new java.util.HashMap<>();
    private boolean sectionEdits;

    /** A section's new size and {@code sh_info}. */
    private record Replacement(long size, long info) {}

    /** {@code bytes} at {@code offset}, then {@code zeros} zero bytes. */
    private record Edit(int offset, byte[] bytes, int zeros) {
        int end() {
            return offset + bytes.length + zeros;
        }
    }

    /** An editor of a copy of {@code file} (its {@link ElfFile#length()} bytes). */
    public ElfEditor(ElfFile file) {
        this(file, null);
    }

    private ElfEditor(ElfFile file, byte[] out) {
        this.file = file;
        this.out = out;
        this.little = file.header().order() == ByteOrder.LITTLE_ENDIAN;
        this.is64 = file.header().is64();
    }

    /**
     * An editor that writes into {@code file}'s own array, for a caller that owns that array and
     * gives it up (a copy it has just made, such as an original being restored): no second copy of
     * a large module. {@link #toBytes()} then returns that array itself, bytes after
     * {@link ElfFile#length()} included.
     */
    public static ElfEditor inPlace(ElfFile file) {
        return new ElfEditor(file, file.data());
    }

    /**
     * Sets {@code st_value} and {@code st_shndx} of a symbol, after checking that the entry still
     * holds the values the caller saw. Every other byte of the entry is left alone.
     */
    public void setSymbol(Symbol sym, long value, int shndx) throws FormatException {
        if (sym.rawShndx() == Elf.SHN_XINDEX || shndx < 0 || shndx > 0xffff || shndx == Elf.SHN_XINDEX) {
            throw new FormatException("cannot patch symbol " + sym.index() + " with st_shndx 0x" + Integer.toHexString(shndx),
                    sym.entryOffset());
        }
        int e = (int) sym.entryOffset();
        int valueOff = e + Layout.sym(is64).value().at();
        int shndxOff = e + Layout.sym(is64).shndx().at();
        int entry = Layout.sym(is64).bytes();
        byte[] now = current(e, entry);
        int base = now == out || now == file.data() ? 0 : e; // the entry alone is read at 0
        long oldValue = is64 ? ByteReader.u64(now, valueOff - base, little) : ByteReader.u32(now, valueOff - base, little);
        int oldShndx = ByteReader.u16(now, shndxOff - base, little);
        if (oldValue != sym.value() || oldShndx != sym.rawShndx()) {
            throw new FormatException("symbol " + sym.index() + " (" + sym.name() + ") changed under the editor",
                    sym.entryOffset());
        }
        if (!is64 && (value >>> 32) != 0 && (value >> 31) != -1) {
            throw new FormatException("value 0x" + Long.toHexString(value) + " does not fit an ELF32 symbol",
                    sym.entryOffset());
        }
        if (out != null) {
            ByteReader.putWord(out, valueOff, value, is64, little);
            ByteReader.put16(out, shndxOff, shndx, little);
        } else {
            byte[] b = Arrays.copyOfRange(now, e - base, e - base + entry);
            ByteReader.putWord(b, valueOff - e, value, is64, little);
            ByteReader.put16(b, shndxOff - e, shndx, little);
            Edit x = new Edit(e, b, 0);
            pending.add(x);
            entryEdits.put(e, x);
        }
    }

    /**
     * The bytes of {@code [offset, offset + length)} as edited so far: {@link #out} itself when the
     * copy is made (read it at {@code offset}); else the file's own array when no edit touches the
     * range (read it at {@code offset}), or a copy of the range with the edits (read it at 0).
     */
    private byte[] current(int offset, int length) {
        if (out != null) {
            return out;
        }
        if (!sectionEdits) {
            // Only whole symbol entries are pending: this entry's own latest edit, if any (no scan,
            // so that patching n symbols stays linear).
            Edit x = entryEdits.get(offset);
            return x != null ? x.bytes() : file.data();
        }
        return edited(offset, length);
    }

    /**
     * A copy of the bytes of {@code [offset, offset + length)} as edited so far (for the record's
     * deltas), without copying the whole file.
     */
    public byte[] edited(long offset, int length) {
        int o = (int) offset;
        if (out != null) {
            return Arrays.copyOfRange(out, o, o + length);
        }
        byte[] b = Arrays.copyOfRange(file.data(), o, o + length);
        for (Edit x : pending) {
            int from = Math.max(o, x.offset());
            int to = Math.min(o + length, x.end());
            for (int i = from; i < to; i++) {
                int k = i - x.offset();
                b[i - o] = k < x.bytes().length ? x.bytes()[k] : 0;
            }
        }
        return b;
    }

    /** The edited copy, made now if it was not yet. */
    private byte[] out() {
        if (out == null) {
            out = Arrays.copyOf(file.data(), file.length());
            apply(out);
            pending.clear();
            entryEdits.clear();
        }
        return out;
    }

    /** Writes the pending edits into {@code to}, a copy of the file. */
    private void apply(byte[] to) {
        for (Edit x : pending) {
            System.arraycopy(x.bytes(), 0, to, x.offset(), x.bytes().length);
            Arrays.fill(to, x.offset() + x.bytes().length, x.end(), (byte) 0);
        }
    }

    /**
     * Gives a section new contents, no longer than its old ones, and a new {@code sh_info}: the
     * bytes are written over the old ones at the same offset (the rest of the old range is
     * zeroed), and the copied section header written by {@link #appendSection} gets the new size
     * and {@code sh_info}. The caller keeps the old bytes if it wants them back.
     */
    public void overwriteSection(int index, byte[] contents, long info) throws FormatException {
        if (index <= 0 || index >= file.sections().size() || index == file.header().shstrndx()) {
            throw new IllegalArgumentException("cannot overwrite section " + index);
        }
        SectionHeader s = file.sections().get(index);
        if (s.fileSize() < contents.length) {
            throw new FormatException("new contents of section " + s.name() + " (" + contents.length
                    + " bytes) do not fit its " + s.fileSize() + " bytes", s.headerOffset());
        }
        if (out != null) {
            System.arraycopy(contents, 0, out, (int) s.offset(), contents.length);
            Arrays.fill(out, (int) s.offset() + contents.length, (int) (s.offset() + s.fileSize()), (byte) 0);
        } else {
            pending.add(new Edit((int) s.offset(), contents, (int) (s.fileSize() - contents.length)));
            sectionEdits = true;
        }
        replaced.put(index, new Replacement(contents.length, info));
    }

    /**
     * Returns the edited file with one new section appended, and the layout used.
     *
     * @param flags {@code sh_flags}; must not include {@code SHF_ALLOC}
     */
    public Appended appendSection(String name, long type, long flags, long align, byte[] contents)
            throws FormatException {
        if ((flags & Elf.SHF_ALLOC) != 0) {
            throw new IllegalArgumentException("an appended section must not be SHF_ALLOC");
        }
        ElfHeader h = file.header();
        if (h.shnum() == 0) {
            throw new FormatException("file has no section header table", 0);
        }
        SectionHeader shstr = file.sections().get(h.shstrndx());
        long origLength = file.length();
        long dataOff = alignUp(origLength, Math.max(1, align));
        long strOff = dataOff + contents.length;
        byte[] nameBytes = name.getBytes(StandardCharsets.ISO_8859_1);
        long newStrSize = shstr.size() + nameBytes.length + 1;
        int ent = Layout.shdr(is64).bytes();
        long tableOff = alignUp(strOff + newStrSize, is64 ? 8 : 4);
        int newCount = h.shnum() + 1;
        long end = tableOff + (long) newCount * ent;
        if (end > Integer.MAX_VALUE - 16) {
            throw new FormatException("file would grow beyond 2 GiB", 0);
        }
        byte[] res = new byte[(int) end];
        if (out != null) {
            System.arraycopy(out, 0, res, 0, (int) origLength);
        } else {
            System.arraycopy(file.data(), 0, res, 0, (int) origLength);
            apply(res);
        }
        System.arraycopy(contents, 0, res, (int) dataOff, contents.length);
        System.arraycopy(file.data(), (int) shstr.offset(), res, (int) strOff, (int) shstr.size());
        System.arraycopy(nameBytes, 0, res, (int) (strOff + shstr.size()), nameBytes.length);
        // Copy the table, then fix the name table's header and add ours.
        System.arraycopy(file.data(), (int) h.shoff(), res, (int) tableOff, h.shnum() * ent);
        Layout.Shdr sh = Layout.shdr(is64);
        int strHdr = (int) (tableOff + (long) h.shstrndx() * ent);
        sh.offset().write(res, strHdr, strOff, little);
        sh.size().write(res, strHdr, newStrSize, little);
        for (Map.Entry<Integer, Replacement> r : replaced.entrySet()) {
            int at = (int) (tableOff + (long) r.getKey() * ent);
            sh.size().write(res, at, r.getValue().size(), little);
            sh.info().write(res, at, r.getValue().info(), little);
        }
        int nh = (int) (tableOff + (long) h.shnum() * ent);
        sh.name().write(res, nh, shstr.size(), little);
        sh.type().write(res, nh, type, little);
        sh.flags().write(res, nh, flags, little);
        sh.offset().write(res, nh, dataOff, little);
        sh.size().write(res, nh, contents.length, little);
        sh.addralign().write(res, nh, align, little);
        Layout.Ehdr eh = Layout.ehdr(is64);
        eh.shoff().write(res, 0, tableOff, little);
        if (newCount >= Elf.SHN_LORESERVE) {
            // Extended numbering: e_shnum 0, the count in section header 0's sh_size.
            eh.shnum().write(res, 0, 0, little);
            sh.size().write(res, (int) tableOff, newCount, little);
        } else {
            eh.shnum().write(res, 0, newCount, little);
        }
        return new Appended(res, origLength, dataOff, h.shoff(), h.rawShnum());
    }

    /** The bytes as edited so far, not a copy: for reading only, before {@link #appendSection}. */
    public byte[] edited() {
        return out();
    }

    /** The edited bytes without an appended section (from {@link #inPlace}: the file's own array). */
    public byte[] toBytes() {
        byte[] b = out();
        return b == file.data() ? b : b.clone();
    }

    /**
     * Rebuilds the file as it was before {@link #appendSection}: the first {@code origLength}
     * bytes with the header's {@code e_shoff} and {@code e_shnum} put back. Symbol patches are
     * undone separately by the caller with {@link #setSymbol}.
     */
    public static byte[] restorePrefix(byte[] edited, boolean is64, ByteOrder order, long origLength, long origShoff,
            int origRawShnum) throws FormatException {
        return restorePrefix(edited, edited.length, is64, order, origLength, origShoff, origRawShnum, 0);
    }

    /**
     * As {@link #restorePrefix(byte[], boolean, ByteOrder, long, long, int)}, from the first
     * {@code editedLength} bytes of {@code edited}, into an array with {@code room} zero bytes after
     * the original (for its signature trailer: the restored file is then made in one array).
     */
    public static byte[] restorePrefix(byte[] edited, int editedLength, boolean is64, ByteOrder order, long origLength,
            long origShoff, int origRawShnum, int room) throws FormatException {
        return restorePrefix(edited, editedLength, is64, order, origLength, origShoff, origRawShnum, room, byte[]::new);
    }

    /**
     * As above, into the array that {@code into} gives for the size, which may be longer: its first
     * {@code origLength} bytes are the original's, the rest is left as it was.
     */
    public static byte[] restorePrefix(byte[] edited, int editedLength, boolean is64, ByteOrder order, long origLength,
            long origShoff, int origRawShnum, int room, java.util.function.IntFunction<byte[]> into)
            throws FormatException {
        if (origLength < Layout.ehdr(is64).bytes() || origLength > editedLength || editedLength > edited.length) {
            throw new FormatException("recorded original length " + origLength + " does not fit the file ("
                    + editedLength + " bytes)", 0);
        }
        if (room < 0 || origLength + room > Integer.MAX_VALUE - 16) {
            throw new FormatException("restored file would be " + (origLength + room) + " bytes", 0);
        }
        boolean little = order == ByteOrder.LITTLE_ENDIAN;
        byte[] res = into.apply((int) origLength + room);
        System.arraycopy(edited, 0, res, 0, (int) origLength);
        Layout.ehdr(is64).shoff().write(res, 0, origShoff, little);
        Layout.ehdr(is64).shnum().write(res, 0, origRawShnum, little);
        return res;
    }

    /**
     * Encodes symbol table entries: the raw entries of {@code keep} (old indices, in order) copied
     * from {@code table}, with {@code st_value}/{@code st_shndx} replaced where {@code patches} (by
     * old index, as long as the table) holds {@code {value, shndx}}, not null.
     */
    public static byte[] symbolEntries(ElfFile f, SymbolTable table, int[] keep, long[][] patches)
            throws FormatException {
        boolean is64 = f.header().is64();
        boolean little = f.header().order() == ByteOrder.LITTLE_ENDIAN;
        Layout.Sym l = Layout.sym(is64);
        int ent = l.bytes();
        byte[] res = new byte[keep.length * ent];
        byte[] d = f.data();
        for (int i = 0; i < keep.length; i++) {
            Symbol sym = table.get(keep[i]);
            System.arraycopy(d, (int) sym.entryOffset(), res, i * ent, ent);
            long[] p = patches[keep[i]];
            if (p != null) {
                if (sym.rawShndx() == Elf.SHN_XINDEX || p[1] < 0 || p[1] > 0xffff || p[1] == Elf.SHN_XINDEX) {
                    throw new FormatException("cannot patch symbol " + sym.index() + " with st_shndx 0x"
                            + Long.toHexString(p[1]), sym.entryOffset());
                }
                l.value().write(res, i * ent, p[0], little);
                l.shndx().write(res, i * ent, p[1], little);
            }
        }
        return res;
    }

    /**
     * Encodes relocation entries of the file's class and byte order ({@code SHT_RELA} when
     * {@code rela}, else {@code SHT_REL}, whose addends must be 0). MIPS64's split {@code r_info}
     * is not written here.
     */
    public static byte[] relocationEntries(ElfHeader h, boolean rela, List<Relocation> relocs) {
        if (h.is64() && h.machine() == Elf.EM_MIPS) {
            throw new IllegalArgumentException("MIPS64 relocation entries are not encoded here");
        }
        boolean little = h.order() == ByteOrder.LITTLE_ENDIAN;
        boolean is64 = h.is64();
        int ent = RelocationTable.entrySize(is64, rela);
        byte[] res = new byte[relocs.size() * ent];
        for (int i = 0; i < relocs.size(); i++) {
            Relocation r = relocs.get(i);
            int o = i * ent;
            long info = is64 ? ((long) r.symbol() << 32) | (r.type() & 0xffffffffL)
                    : ((long) r.symbol() << 8) | (r.type() & 0xff);
            Layout.Rel l = Layout.rel(is64);
            l.offset().write(res, o, r.offset(), little);
            l.info().write(res, o, info, little);
            if (rela) {
                l.addend().write(res, o, r.addend(), little);
            } else if (r.addend() != 0) {
                throw new IllegalArgumentException("SHT_REL entry with an addend");
            }
        }
        return res;
    }

    /** Encodes a table of 32-bit words (an {@code SHT_SYMTAB_SHNDX} or {@code SHT_GROUP} section). */
    public static byte[] words(ElfHeader h, int[] values) {
        boolean little = h.order() == ByteOrder.LITTLE_ENDIAN;
        byte[] res = new byte[values.length * 4];
        for (int i = 0; i < values.length; i++) {
            ByteReader.put32(res, i * 4, values[i] & 0xffffffffL, little);
        }
        return res;
    }

    private static long alignUp(long v, long a) {
        long r = v % a;
        return r == 0 ? v : v + (a - r);
    }

    /**
     * The result of an append.
     *
     * @param bytes the new file
     * @param origLength length of the input (the new data starts at or after it)
     * @param dataOffset file offset of the new section's contents
     * @param origShoff {@code e_shoff} of the input
     * @param origRawShnum {@code e_shnum} of the input as stored
     */
    public record Appended(byte[] bytes, long origLength, long dataOffset, long origShoff, int origRawShnum) {}
}
