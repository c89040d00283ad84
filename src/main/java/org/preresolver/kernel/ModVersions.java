package org.preresolver.kernel;

import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.Map;
import org.preresolver.elf.ByteReader;
import org.preresolver.elf.ElfFile;
import org.preresolver.elf.FormatException;
import org.preresolver.elf.SectionHeader;

/**
 * A module's modversions: the CRC it was built against for each imported symbol.
 *
 * <p>{@code __versions} holds {@code struct modversion_info { unsigned long crc; char
 * name[64 - sizeof(unsigned long)]; }}: 64-byte entries. Since 6.14 names too long for it go to
 * the extended form: {@code __version_ext_crcs} (u32 per symbol) and {@code __version_ext_names}
 * (NUL-terminated names in the same order); when those are present the kernel checks only
 * them ({@code check_version()}), and so does this class.
 *
 */
public final class ModVersions {
    /** Each name's place in the table (the first entry of a name), and the CRC at each place. */
    private final Map<String, Integer> index;
    private final String[] names;
    private final long[] crcAt;
    private final boolean present;

    /**
     * @param crcs each name's CRC, in table order
     * @param present true if the module has either section (it was built with modversions)
     */
    public ModVersions(Map<String, Long> crcs, boolean present) {
        this(tableOf(crcs), present);
    }

    private static Table tableOf(Map<String, Long> crcs) {
        Table t = new Table(crcs.size());
        crcs.forEach(t::add);
        return t;
    }

    private ModVersions(Table t, boolean present) {
        this.index = t.index;
        this.names = t.names;
        this.crcAt = t.crcs;
        this.present = present;
    }

    /** The table being read: one map, from each name to its place, and the CRCs by place. */
    private static final class Table {
        final Map<String, Integer> index;
        String[] names;
        long[] crcs;

        Table(int expected) {
            index = new java.util.HashMap<>(Math.max(16, expected * 2));
            names = new String[Math.max(1, expected)];
            crcs = new long[Math.max(1, expected)];
        }

        /** Adds a name's entry unless the name has one already (the kernel finds the first). */
        void add(String name, long crc) {
            int n = index.size();
            if (index.putIfAbsent(name, n) != null) {
                return;
            }
            if (n == names.length) {
                names = java.util.Arrays.copyOf(names, 2 * n);
                crcs = java.util.Arrays.copyOf(crcs, 2 * n);
            }
            names[n] = name;
            crcs[n] = crc;
        }
    }

    /** Each name's CRC, in table order. */
    public Map<String, Long> crcs() {
        Map<String, Long> m = new java.util.LinkedHashMap<>();
        for (int i = 0; i < index.size(); i++) {
            m.put(names[i], crcAt[i]);
        }
        return Collections.unmodifiableMap(m);
    }

    /** True if the module has {@code __versions} or the extended tables: it was built with modversions. */
    public boolean present() {
        return present;
    }

    public static ModVersions none() {
        return new ModVersions(Map.of(), false);
    }

    public static ModVersions read(ElfFile module) throws FormatException {
        Table m = null; // table order: the kernel scans it in order
        boolean present = false;
        boolean is64 = module.header().is64();
        boolean little = module.header().order() == java.nio.ByteOrder.LITTLE_ENDIAN;
        SectionHeader v = module.section("__versions").orElse(null);
        if (v != null) {
            present = true;
            if (v.size() % 64 != 0) {
                throw new FormatException("__versions size " + v.size() + " is not a multiple of 64", v.headerOffset());
            }
            // The section's file bytes (none for SHT_NOBITS), so every index is in range.
            byte[] d = module.sectionBytes(v);
            m = new Table(d.length / 64);
            int w = is64 ? 8 : 4;
            for (int p = 0; p + 64 <= d.length; p += 64) {
                long crc = (is64 ? ByteReader.u64(d, p, little) : ByteReader.u32(d, p, little)) & 0xffffffffL;
                int s = p + w;
                int e = s;
                while (e < p + 64 && d[e] != 0) {
                    e++;
                }
                if (e == p + 64) {
                    throw new FormatException("__versions entry name not terminated", v.offset() + p);
                }
                m.add(new String(d, s, e - s, StandardCharsets.ISO_8859_1), crc);
            }
        }
        SectionHeader xc = module.section("__version_ext_crcs").orElse(null);
        SectionHeader xn = module.section("__version_ext_names").orElse(null);
        if (xc != null || xn != null) {
            if (xc == null || xn == null) {
                throw new FormatException("only one of __version_ext_crcs and __version_ext_names is present");
            }
            present = true;
            m = new Table((int) Math.min(xc.size() / 4, 1 << 16)); // replaces __versions for the kernel's checks
            if (xc.size() % 4 != 0) {
                throw new FormatException("__version_ext_crcs size " + xc.size() + " is not a multiple of 4",
                        xc.headerOffset());
            }
            ByteReader in = module.reader();
            long names = xn.offset();
            long namesEnd = xn.offset() + xn.size();
            for (long i = 0; i < xc.size() / 4; i++) {
                if (names >= namesEnd) {
                    throw new FormatException("__version_ext_names has fewer names than __version_ext_crcs has CRCs",
                            xn.headerOffset());
                }
                String name = in.cstring(names, namesEnd, "__version_ext_names entry " + i);
                names += name.length() + 1;
                m.add(name, in.u32(xc.offset() + 4 * i, "__version_ext_crcs entry " + i));
            }
        }
        return new ModVersions(m != null ? m : new Table(0), present);
    }

    /**
     * Where {@code name}'s entry stands in the table the kernel's {@code check_version()} scans
     * from the start, or {@link Integer#MAX_VALUE} when it has none.
     */
    public int position(String name) {
        return index.getOrDefault(name, Integer.MAX_VALUE);
    }

    /** The CRC of the entry at {@code position}, a place {@link #position} gave (not {@link Integer#MAX_VALUE}). */
    public long crcAt(int position) {
        return crcAt[position];
    }

    /** The CRC the module expects for {@code name}, or null when it has no entry. */
    public Long crc(String name) {
        Integer i = index.get(name);
        return i == null ? null : crcAt[i];
    }
}
