package org.preresolver.preresolve;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.zip.CRC32;
import org.preresolver.elf.ByteReader;
import org.preresolver.elf.FormatException;

/**
 * The contents of the {@code .preresolved} section: a small versioned record that binds a module
 * to the kernel it was preresolved against and holds what is needed to give back the original
 * file byte for byte. Layout (all integers little-endian, whatever the module's byte order) in
 * {@code docs/preresolved-record.md}.
 *
 * @param signatureStripped the original was signed; {@code trailer} holds its signature trailer
 * @param originalElfLength length of the ELF part of the original (before any signature trailer)
 * @param originalShoff {@code e_shoff} of the original
 * @param originalShnum {@code e_shnum} of the original, as stored
 * @param exportsDigest SHA-256 over the patched symbols' names and addresses
 * @param buildId the kernel's GNU build-id, hex, "" if unknown
 * @param release the kernel's release string, "" if unknown
 * @param tool the tool and version that wrote the record
 * @param patches one per preresolved symbol
 * @param trailer the stripped signature trailer, empty when none
 * @param anchorIndex in anchor mode, the {@code .symtab} index (in the original) of the anchor; -1 in
 *     plain mode. Version 1 records are plain; version 2 records carry the mode.
 * @param saved anchor mode: the sections rewritten in place ({@code .symtab}, relocation sections),
 *     each with what gives its original bytes back ({@link Saved}): stored deflated (version 2), as
 *     their XOR with the preresolved file's bytes at the same place (version 3), or as what anchor
 *     mode did to them (version 4, {@link SectionDeltas}); empty in plain mode
 * @param anchorAddress anchor mode, version 4: the anchor's kernel address; 0 otherwise
 */
public record PreresolvedRecord(boolean signatureStripped, long originalElfLength, long originalShoff,
        int originalShnum, byte[] exportsDigest, String buildId, String release, String tool,
        List<Patch> patches, byte[] trailer, int anchorIndex, List<Saved> saved, long anchorAddress) {

    /**
     * The original bytes of a section that anchor mode rewrote in place, and how version 4 keeps
     * them ({@link SectionDeltas}).
     *
     * @param index the section's index
     * @param offset its {@code sh_offset}, where the bytes go back
     * @param kind {@link #XOR}, {@link #SYMBOLS} or {@link #RELOCATIONS}
     * @param payload for {@link #SYMBOLS} the anchored symbols' original entries in index order, for
     *     {@link #RELOCATIONS} the entries of anchored symbols ({@link SectionDeltas.ExceptionWriter});
     *     empty for {@link #XOR}
     * @param count for {@link #RELOCATIONS}, the number of entries listed in {@code payload}
     * @param size the original section's size
     * @param crc the CRC-32 of its original bytes
     */
    public record Saved(int index, long offset, byte[] bytes, int kind, byte[] payload, int count, int size, int crc) {
        /** The bytes XOR the file's, deflated (the only kind of version 3). */
        public static final int XOR = 0;
        /** {@code .symtab}: the anchored symbols' entries, put back between the new table's. */
        public static final int SYMBOLS = 1;
        /** A renumbered ELF64 {@code SHT_RELA} section: the anchored entries' original symbols. */
        public static final int RELOCATIONS = 2;

        public Saved(int index, long offset, byte[] bytes) {
            this(index, offset, bytes, XOR, new byte[0], 0, bytes.length, crc32(bytes));
        }

        /**
         * A section to keep as {@code kind} {@link #SYMBOLS} or {@link #RELOCATIONS}, as the writer
         * makes it: its original bytes are in the file being preresolved, described by {@code size}
         * and {@code crc} ({@code bytes} is null; a decoded record has them).
         */
        public static Saved structural(int index, long offset, int size, int crc, int kind, byte[] payload, int count) {
            return new Saved(index, offset, null, kind, payload, count, size, crc);
        }
    }

    public static final String SECTION = ".preresolved";
    /** Plain mode: symbols patched in place, restored by patching them back. */
    public static final int VERSION = 1;
    /** Anchor mode: the original bytes of the sections rewritten in place, deflated. */
    public static final int VERSION_ANCHOR = 2;
    /**
     * Anchor mode, each saved section stored as its XOR with the bytes that replaced it: the
     * renumbered relocation entries differ from the originals in a few bytes each, so the delta
     * deflates to a fraction of the size in a fraction of the time (BENCHMARKS.md, section 6).
     */
    public static final int VERSION_ANCHOR_DELTA = 3;
    /**
     * Anchor mode, {@code .symtab} and the renumbered relocation sections kept as what anchor mode
     * did to them ({@link SectionDeltas}), the rest as in version 3: no deflating, and a record a
     * fraction of the size (BENCHMARKS.md, section 6).
     */
    public static final int VERSION_ANCHOR_STRUCTURAL = 4;
    private static final byte[] MAGIC = "LKMPRESV".getBytes(StandardCharsets.US_ASCII);
    private static final int FLAG_SIGNATURE = 1;
    /** Bounds that keep a lying record from making us allocate much. */
    private static final int MAX_STRING = 255;

    /**
     * One preresolved symbol.
     *
     * @param index symbol index in the original {@code .symtab}
     * @param oldShndx {@code st_shndx} before (always {@code SHN_UNDEF})
     * @param oldValue {@code st_value} before
     * @param newValue the kernel address: written as {@code st_value}, or (anchored) folded into addends
     * @param anchored removed from {@code .symtab} and rebased on the anchor (anchor mode only)
     */
    public record Patch(int index, int oldShndx, long oldValue, long newValue, boolean anchored) {
        public Patch(int index, int oldShndx, long oldValue, long newValue) {
            this(index, oldShndx, oldValue, newValue, false);
        }
    }

    public PreresolvedRecord {
        patches = List.copyOf(patches);
        saved = List.copyOf(saved);
    }

    /** A record without the anchor's address (plain mode, or versions 2 and 3, which do not keep it). */
    public PreresolvedRecord(boolean signatureStripped, long originalElfLength, long originalShoff, int originalShnum,
            byte[] exportsDigest, String buildId, String release, String tool, List<Patch> patches, byte[] trailer,
            int anchorIndex, List<Saved> saved) {
        this(signatureStripped, originalElfLength, originalShoff, originalShnum, exportsDigest, buildId, release, tool,
                patches, trailer, anchorIndex, saved, 0);
    }

    /** A plain-mode record (version 1). */
    public PreresolvedRecord(boolean signatureStripped, long originalElfLength, long originalShoff, int originalShnum,
            byte[] exportsDigest, String buildId, String release, String tool, List<Patch> patches, byte[] trailer) {
        this(signatureStripped, originalElfLength, originalShoff, originalShnum, exportsDigest, buildId, release, tool,
                patches, trailer, -1, List.of());
    }

    /** Anchor mode: image symbols rebased on one undefined anchor, right at any KASLR slide. */
    public boolean anchorMode() {
        return anchorIndex >= 0;
    }
    /** The record as version 1 (plain mode) or 2 (anchor mode, the saved sections deflated as they are). */
    public byte[] encode() {
        return encode((Edited) null);
    }

    /**
     * The record as written into {@code file}, the preresolved module that carries it (before the
     * record is appended; its rewritten sections in place): version 1 in plain mode, version 4 in
     * anchor mode. {@code null}: as {@link #encode()}.
     */
    public byte[] encode(byte[] file) {
        return encode(file == null ? null : (offset, length) -> Arrays.copyOfRange(file, (int) offset,
                (int) offset + length));
    }

    /** The bytes of a range of the preresolved module, as it will be written: a copy. */
    @FunctionalInterface
    public interface Edited {
        byte[] range(long offset, int length);
    }

    /**
     * As {@link #encode(byte[])}, given the module's bytes range by range ({@code ElfEditor#edited(long,
     * int)}: no copy of the whole module is made for the record).
     */
    public byte[] encode(Edited file) {
        return encode(file, !anchorMode() ? VERSION : file == null ? VERSION_ANCHOR : VERSION_ANCHOR_STRUCTURAL);
    }

    /** As {@link #encode(byte[])}, an anchor-mode record as {@code version} 3 or 4 (tests read both). */
    byte[] encode(byte[] file, int version) {
        return encode(file == null ? null : (Edited) (offset, length) -> Arrays.copyOfRange(file, (int) offset,
                (int) offset + length), version);
    }

    private byte[] encode(Edited file, int version) {
        long sized = 256 + patches.size() * 24L + trailer.length;
        for (Saved x : saved) {
            // deflated deltas: a fifth to a third of the bytes; structural ones less than what they list
            sized += 40 + (x.kind() == Saved.XOR ? x.size() / 3 : x.payload().length);
        }
        Buffer out = new Buffer((int) Math.min(sized, 1 << 28));
        ByteBuffer b = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
        b.put(MAGIC).putShort((short) version).putShort((short) (signatureStripped ? FLAG_SIGNATURE : 0))
                .putInt(patches.size()).putLong(originalElfLength).putLong(originalShoff).putInt(originalShnum)
                .putInt(trailer.length);
        out.write(b.array(), 0, b.position());
        out.write(exportsDigest, 0, 32);
        writeString(out, HexFormat.of().parseHex(buildId));
        writeString(out, release.getBytes(StandardCharsets.ISO_8859_1));
        writeString(out, tool.getBytes(StandardCharsets.ISO_8859_1));
        ByteBuffer p = ByteBuffer.allocate(48).order(ByteOrder.LITTLE_ENDIAN);
        if (anchorMode()) {
            p.putInt(anchorIndex);
            if (version == VERSION_ANCHOR_STRUCTURAL) {
                p.putLong(anchorAddress);
            }
            p.putInt(saved.size());
            out.write(p.array(), 0, p.position());
            for (Saved x : saved) {
                boolean structural = version == VERSION_ANCHOR_STRUCTURAL && x.kind() != Saved.XOR;
                if (!structural && x.bytes() == null) {
                    throw new IllegalStateException("section " + x.index() + " has no saved bytes for version " + version);
                }
                byte[] z = deflate(structural ? x.payload()
                        : version == VERSION_ANCHOR ? x.bytes() : xor(file.range(x.offset(), x.bytes().length), x.bytes()));
                p.clear();
                p.putInt(x.index()).putLong(x.offset()).putInt(x.size());
                if (version != VERSION_ANCHOR) {
                    p.putInt(x.crc()); // what the delta must give back
                }
                if (version == VERSION_ANCHOR_STRUCTURAL) {
                    p.put((byte) (structural ? x.kind() : Saved.XOR)).putInt(structural ? x.count() : 0)
                            .putInt(structural ? x.payload().length : 0);
                }
                p.putInt(z.length);
                out.write(p.array(), 0, p.position());
                out.write(z, 0, z.length);
            }
        }
        for (Patch x : patches) {
            // Version 2 keeps st_shndx (always SHN_UNDEF) in the low 16 bits and the binding in bit 16.
            p.clear();
            p.putInt(x.index()).putInt(x.oldShndx() | (x.anchored() ? 0x10000 : 0)).putLong(x.oldValue())
                    .putLong(x.newValue());
            out.write(p.array(), 0, 24);
        }
        out.write(trailer, 0, trailer.length);
        CRC32 crc = new CRC32();
        out.update(crc);
        ByteBuffer c = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt((int) crc.getValue());
        out.write(c.array(), 0, 4);
        return out.bytes();
    }

    /** A growing buffer whose bytes are checksummed and handed over without a copy when it is full. */
    private static final class Buffer extends ByteArrayOutputStream {
        Buffer(int size) {
            super(size);
        }

        void update(CRC32 crc) {
            crc.update(buf, 0, count);
        }

        byte[] bytes() {
            return count == buf.length ? buf : java.util.Arrays.copyOf(buf, count);
        }
    }

    private static void writeString(ByteArrayOutputStream out, byte[] s) {
        if (s.length > MAX_STRING) {
            throw new IllegalArgumentException("record string longer than " + MAX_STRING);
        }
        out.write(s.length);
        out.write(s, 0, s.length);
    }

    /**
     * Decodes a record without its module, checking magic, version, lengths and checksum: a version
     * 3 record cannot give back its saved sections so, and is refused.
     */
    public static PreresolvedRecord decode(byte[] d) throws FormatException {
        return decode(d, null);
    }

    /**
     * Decodes the record {@code d} of {@code file} (the preresolved module; version 3 records
     * need it to turn their saved deltas back into the original bytes), checking magic, version,
     * lengths and checksum.
     */
    public static PreresolvedRecord decode(byte[] d, byte[] file) throws FormatException {
        if (d.length < 8 + 40 + 32 + 3 + 4 || !Arrays.equals(d, 0, 8, MAGIC, 0, 8)) {
            throw new FormatException(SECTION + " record: bad magic or too short (" + d.length + " bytes)");
        }
        CRC32 crc = new CRC32();
        crc.update(d, 0, d.length - 4);
        ByteBuffer b = ByteBuffer.wrap(d).order(ByteOrder.LITTLE_ENDIAN);
        if ((int) crc.getValue() != b.getInt(d.length - 4)) {
            throw new FormatException(SECTION + " record: checksum mismatch");
        }
        b.position(8);
        int version = b.getShort() & 0xffff;
        if (version < VERSION || version > VERSION_ANCHOR_STRUCTURAL) {
            throw new FormatException(SECTION + " record: unknown format version " + version + " (this tool reads "
                    + VERSION + " to " + VERSION_ANCHOR_STRUCTURAL + ")");
        }
        boolean delta = version == VERSION_ANCHOR_DELTA || version == VERSION_ANCHOR_STRUCTURAL;
        boolean anchorRecord = version != VERSION;
        int flags = b.getShort() & 0xffff;
        long n = b.getInt() & 0xffffffffL;
        long elfLength = b.getLong();
        long shoff = b.getLong();
        int shnum = b.getInt();
        long trailerLength = b.getInt() & 0xffffffffL;
        byte[] digest = new byte[32];
        b.get(digest);
        try {
            String buildId = HexFormat.of().formatHex(readString(b));
            String release = new String(readString(b), StandardCharsets.ISO_8859_1);
            String tool = new String(readString(b), StandardCharsets.ISO_8859_1);
            int anchor = -1;
            long anchorAddress = 0;
            List<Saved> saved = new ArrayList<>();
            List<Pending> pending = new ArrayList<>();
            if (anchorRecord) {
                anchor = b.getInt();
                if (anchor <= 0) {
                    throw new FormatException(SECTION + " record: anchor index " + anchor + " out of range");
                }
                if (version == VERSION_ANCHOR_STRUCTURAL) {
                    anchorAddress = b.getLong();
                }
                if (delta && file == null) {
                    throw new FormatException(SECTION + " record: version " + version + " is read only with the "
                            + "module it is in");
                }
                long count = b.getInt() & 0xffffffffL;
                for (long i = 0; i < count; i++) {
                    int index = b.getInt();
                    long offset = b.getLong();
                    long size = b.getInt() & 0xffffffffL;
                    int savedCrc = delta ? b.getInt() : 0;
                    int kind = version == VERSION_ANCHOR_STRUCTURAL ? b.get() & 0xff : Saved.XOR;
                    int entries = version == VERSION_ANCHOR_STRUCTURAL ? b.getInt() : 0;
                    long plen = version == VERSION_ANCHOR_STRUCTURAL ? b.getInt() & 0xffffffffL : 0;
                    long zlen = b.getInt() & 0xffffffffL;
                    if (index <= 0 || offset < 0 || zlen > b.remaining() || size > elfLength || kind > Saved.RELOCATIONS
                            || entries < 0 || plen > size) {
                        throw new FormatException(SECTION + " record: saved section " + i + " is out of range");
                    }
                    byte[] z = new byte[(int) zlen];
                    b.get(z);
                    if (kind != Saved.XOR) {
                        // Given back once the patches are read: they say which symbols were anchored.
                        pending.add(new Pending(saved.size(), savedCrc, size));
                        saved.add(Saved.structural(index, offset, (int) size, savedCrc, kind, inflate(z, (int) plen),
                                entries));
                        continue;
                    }
                    byte[] bytes = inflate(z, (int) size);
                    if (delta) {
                        if (offset + size > file.length) {
                            throw new FormatException(SECTION + " record: saved section " + i + " lies outside the file");
                        }
                        bytes = xor(bytes, file, offset);
                        checkCrc(bytes, savedCrc, i);
                    }
                    saved.add(new Saved(index, offset, bytes));
                }
            }
            long need = n * 24 + trailerLength + 4;
            if (need != b.remaining()) {
                throw new FormatException(SECTION + " record: " + n + " patches and a " + trailerLength
                        + "-byte trailer need " + need + " bytes, " + b.remaining() + " present");
            }
            List<Patch> patches = new ArrayList<>((int) n);
            for (long i = 0; i < n; i++) {
                int index = b.getInt();
                int shndx = b.getInt();
                boolean anchored = false;
                if (anchorRecord) {
                    if ((shndx & ~0x1ffff) != 0) {
                        throw new FormatException(SECTION + " record: bad binding 0x" + Integer.toHexString(shndx)
                                + " of patch " + i);
                    }
                    anchored = (shndx & 0x10000) != 0;
                    shndx &= 0xffff;
                }
                patches.add(new Patch(index, shndx, b.getLong(), b.getLong(), anchored));
            }
            byte[] trailer = new byte[(int) trailerLength];
            b.get(trailer);
            boolean sig = (flags & FLAG_SIGNATURE) != 0;
            if (sig != (trailerLength > 0)) {
                throw new FormatException(SECTION + " record: signature flag and trailer length disagree");
            }
            if (!pending.isEmpty()) {
                giveBack(saved, pending, patches, anchorAddress, file);
            }
            return new PreresolvedRecord(sig, elfLength, shoff, shnum, digest, buildId, release, tool, patches,
                    trailer, anchor, saved, anchorAddress);
        } catch (java.nio.BufferUnderflowException e) {
            throw new FormatException(SECTION + " record: truncated");
        }
    }

    /** A structural saved section, given back once the patches are known: where it is in the list, its CRC and size. */
    private record Pending(int position, int crc, long size) {}

    /**
     * Gives back the structural sections of a version 4 record ({@link SectionDeltas}), {@code .symtab}
     * first (its size is the original symbol count), each checked against its CRC-32.
     */
    private static void giveBack(List<Saved> saved, List<Pending> pending, List<Patch> patches, long anchorAddress,
            byte[] file) throws FormatException {
        if (file.length < 64 || file[4] != 2 || (file[5] != 1 && file[5] != 2)) {
            throw new FormatException(SECTION + " record: version 4 sections are kept only for ELF64 modules");
        }
        boolean little = file[5] == 1;
        // Each kind by original index, ascending; of two patches of one index the later counts.
        Patch[] anchored = byIndex(patches, true);
        Patch[] absolute = byIndex(patches, false);
        int[] removed = new int[anchored.length];
        for (int i = 0; i < removed.length; i++) {
            removed[i] = anchored[i].index();
        }
        int[] absIndex = new int[absolute.length];
        long[][] absPatch = new long[absolute.length][];
        for (int i = 0; i < absolute.length; i++) {
            Patch p = absolute[i];
            absIndex[i] = p.index();
            absPatch[i] = new long[] {p.oldValue(), p.oldShndx(), p.newValue()};
        }
        int[] keep = null;
        boolean[] isAnchored = null; // by original symbol index, once the symbol table is back
        long[] shift = null;
        for (int kind : new int[] {Saved.SYMBOLS, Saved.RELOCATIONS}) {
            for (Pending q : pending) {
                Saved x = saved.get(q.position());
                if (x.kind() != kind) {
                    continue;
                }
                byte[] bytes;
                if (kind == Saved.SYMBOLS) {
                    if (keep != null) {
                        throw new FormatException(SECTION + " record: two symbol tables saved");
                    }
                    bytes = SectionDeltas.symbols(file, x.offset(), q.size(), little, removed, x.payload(), absIndex,
                            absPatch);
                    int n = bytes.length / SectionDeltas.SYM64;
                    keep = new int[n - removed.length];
                    for (int i = 0, r = 0, k = 0; i < n; i++) {
                        if (r < removed.length && removed[r] == i) {
                            r++;
                        } else {
                            keep[k++] = i;
                        }
                    }
                    isAnchored = new boolean[n];
                    shift = new long[n];
                    for (Patch a : anchored) { // each lies in the table: SectionDeltas.symbols put it back
                        isAnchored[a.index()] = true;
                        shift[a.index()] = a.newValue() - anchorAddress;
                    }
                } else {
                    if (keep == null) {
                        throw new FormatException(SECTION + " record: relocations saved without their symbol table");
                    }
                    bytes = SectionDeltas.relocations(file, x.offset(), q.size(), little, keep, x.payload(), x.count(),
                            isAnchored, shift);
                }
                checkCrc(bytes, q.crc(), q.position());
                saved.set(q.position(), new Saved(x.index(), x.offset(), bytes, kind, x.payload(), x.count(), bytes.length,
                        q.crc()));
            }
        }
    }

    /**
     * The anchored (or the other) patches ordered by index, one per index: the last given, as a map
     * keyed by index would keep.
     */
    private static Patch[] byIndex(List<Patch> patches, boolean anchored) {
        List<Patch> kind = new ArrayList<>();
        for (Patch p : patches) {
            if (p.anchored() == anchored) {
                kind.add(p);
            }
        }
        kind.sort(java.util.Comparator.comparingInt(Patch::index)); // stable: equal indices keep their order
        List<Patch> out = new ArrayList<>(kind.size());
        for (int i = 0; i < kind.size(); i++) {
            if (i + 1 < kind.size() && kind.get(i + 1).index() == kind.get(i).index()) {
                continue; // a later one of the same index follows
            }
            out.add(kind.get(i));
        }
        return out.toArray(new Patch[0]);
    }

    private static void checkCrc(byte[] bytes, int crc, long i) throws FormatException {
        if (crc32(bytes) != crc) {
            throw new FormatException(SECTION + " record: saved section " + i + " does not give back "
                    + "the original bytes; the file was changed after preresolving");
        }
    }

    /**
     * One raw-deflate compressor per thread, reset between uses: a fresh one per section cost more
     * than its work. zlib's fastest level: on Debian's relocation and symbol tables it deflates at
     * 190 MB/s to 21% where the default level takes 42 MB/s to 19%; at the default level this was
     * half of an anchor-mode run's CPU time (BENCHMARKS.md, section 6). Inflating reads either.
     */
    private static final ThreadLocal<java.util.zip.Deflater> DEFLATERS = ThreadLocal.withInitial(
            () -> new java.util.zip.Deflater(java.util.zip.Deflater.BEST_SPEED, true));

    /**
     * Below this many bytes a saved section is written as one stored deflate block, without zlib:
     * most relocation sections list a few anchored entries (28,000 of Debian 6.1's 32,000 saved
     * sections are under 256 bytes), and a zlib call per section, with its reset, cost more than it
     * saved: 40% of 0.5 MB over the whole tree, 0.08% of its size (BENCHMARKS.md, section 6). Any
     * inflater reads the block, as {@link #inflate} does without zlib.
     */
    static final int STORED_BELOW = 1024;

    static byte[] deflate(byte[] data) {
        if (data.length < STORED_BELOW) {
            return stored(data);
        }
        java.util.zip.Deflater d = DEFLATERS.get();
        d.reset();
        d.setInput(data);
        d.finish();
        // zlib's deflateBound for raw deflate: stored blocks at worst, 5 bytes per 16 KiB block and a few more.
        byte[] out = new byte[data.length + (data.length >> 12) + (data.length >> 14) + 64];
        int n = 0;
        while (!d.finished()) {
            if (n == out.length) {
                out = java.util.Arrays.copyOf(out, out.length * 2);
            }
            n += d.deflate(out, n, out.length - n);
        }
        return java.util.Arrays.copyOf(out, n);
    }

    private static int crc32(byte[] b) {
        CRC32 c = new CRC32();
        c.update(b);
        return (int) c.getValue();
    }

    /** {@code a} XOR the bytes of {@code file} at {@code offset}, into {@code a}. */
    private static byte[] xor(byte[] a, byte[] file, long offset) {
        return xor(a, Arrays.copyOfRange(file, (int) offset, (int) offset + a.length));
    }

    /** {@code a} XOR {@code b}, into {@code a} (a copy the caller gives up), of {@code b}'s length. */
    private static byte[] xor(byte[] a, byte[] b) {
        int i = 0;
        for (; i + 8 <= b.length; i += 8) {
            ByteReader.put64(a, i, ByteReader.u64(a, i, true) ^ ByteReader.u64(b, i, true), true);
        }
        for (; i < b.length; i++) {
            a[i] ^= b[i];
        }
        return a;
    }

    /**
     * {@code data} as raw deflate data of one final stored block (RFC 1951, 3.2.4): the header
     * bits {@code BFINAL=1, BTYPE=00}, then {@code LEN} and its complement {@code NLEN},
     * little-endian, then the bytes. At most 65535 bytes.
     */
    static byte[] stored(byte[] data) {
        if (data.length > 0xffff) {
            throw new IllegalArgumentException("a stored block holds at most 65535 bytes");
        }
        byte[] z = new byte[5 + data.length];
        z[0] = 1;
        z[1] = (byte) data.length;
        z[2] = (byte) (data.length >>> 8);
        z[3] = (byte) ~data.length;
        z[4] = (byte) (~data.length >>> 8);
        System.arraycopy(data, 0, z, 5, data.length);
        return z;
    }

    /** One raw-deflate decompressor per thread, reset between uses, as {@link #DEFLATERS}. */
    private static final ThreadLocal<java.util.zip.Inflater> INFLATERS = ThreadLocal.withInitial(
            () -> new java.util.zip.Inflater(true));

    /** Inflates exactly {@code size} bytes, or says the record is damaged. */
    static byte[] inflate(byte[] z, int size) throws FormatException {
        if (z.length == 5 + size && size <= 0xffff && z[0] == 1 && (z[1] & 0xff | (z[2] & 0xff) << 8) == size
                && (z[3] & 0xff | (z[4] & 0xff) << 8) == (~size & 0xffff)) {
            // One final stored block of exactly the size (what deflate() writes for small sections): the
            // bytes themselves, read without zlib. Anything else, a damaged block included, goes to zlib.
            return Arrays.copyOfRange(z, 5, z.length);
        }
        java.util.zip.Inflater in = INFLATERS.get();
        in.reset();
        try {
            in.setInput(z);
            byte[] out = new byte[size];
            int n = 0;
            while (n < size && !in.finished()) {
                int k = in.inflate(out, n, size - n);
                if (k == 0 && (in.needsInput() || in.needsDictionary())) {
                    break;
                }
                n += k;
            }
            if (n != size || !in.finished() && in.inflate(new byte[1]) > 0) {
                throw new FormatException(SECTION + " record: a saved section does not inflate to its " + size
                        + " bytes");
            }
            return out;
        } catch (java.util.zip.DataFormatException e) {
            throw new FormatException(SECTION + " record: a saved section is not deflate data");
        }
    }

    private static byte[] readString(ByteBuffer b) throws FormatException {
        int len = b.get() & 0xff;
        if (len > b.remaining()) {
            throw new FormatException(SECTION + " record: string runs past the end");
        }
        byte[] s = new byte[len];
        b.get(s);
        return s;
    }

    /**
     * The exports digest: SHA-256 over {@code name NUL hex-address LF} for each patched symbol,
     * in symbol-table order. {@code names} and {@code addresses} run in parallel.
     */
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    @SuppressWarnings("deprecation") // String.getBytes(int, int, byte[], int): the names are ISO-8859-1
    public static byte[] digest(List<String> names, List<Long> addresses) {
        int size = 0;
        for (String n : names) {
            size += n.length() + 18; // NUL, at most 16 hex digits, LF
        }
        // The lines in one buffer, hashed in one call (an update per piece cost more than the hash).
        byte[] buf = new byte[size];
        int at = 0;
        for (int i = 0; i < names.size(); i++) {
            String n = names.get(i);
            n.getBytes(0, n.length(), buf, at); // ISO-8859-1: each char is one byte
            at += n.length();
            buf[at++] = 0;
            long a = addresses.get(i);
            for (int shift = a == 0 ? 0 : (63 - Long.numberOfLeadingZeros(a)) / 4 * 4; shift >= 0; shift -= 4) {
                buf[at++] = (byte) HEX[(int) (a >>> shift) & 0xf]; // Long.toHexString: lowercase, no leading zeros
            }
            buf[at++] = '\n';
        }
        java.security.MessageDigest sha = Preresolver.sha256();
        sha.update(buf, 0, at);
        return sha.digest();
    }

    public String exportsDigestHex() {
        return HexFormat.of().formatHex(exportsDigest);
    }
}
