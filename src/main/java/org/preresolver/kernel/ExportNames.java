package org.preresolver.kernel;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * vmlinux's exports by name, looked up from a {@code String} or straight from the NUL-terminated
 * name in a module's string table, without making a {@code String} of it. The plan looks up every
 * undefined symbol of every module (about half a million over Debian's tree); in a {@code HashMap}
 * each lookup hashes a new string and follows a node, its key and the key's bytes, four places in
 * memory, and took 8% of an anchor-mode dry run (BENCHMARKS.md, section 6). Here the hashes sit in
 * the table itself and the names in one array, one after the other.
 *
 * <p>Open addressing with linear probing over a power-of-two table at most half full, each slot
 * holding a name's hash beside its export's number, so that a probe reads one place. The hash is
 * {@code String.hashCode()} of the Latin-1 name, so that a {@code String} brings its cached hash. A
 * name with a character above U+00FF (possible only from a text file, never from an ELF string
 * table) cannot be the name of a module's symbol; it is kept aside and found by {@code String}
 * alone. The first export of a name wins, as in the kernel's binary search over sorted names.
 */
final class ExportNames {
    private final long[] slots; // (hash << 32) | (export number + 1); 0: empty
    private final int[] starts; // per export number, and the end of the last
    private final byte[] names;
    private final KernelExport[] exports;
    private final Map<String, KernelExport> wide = new HashMap<>();

    ExportNames(List<KernelExport> all) {
        int n = 0;
        long bytes = 0;
        for (KernelExport e : all) {
            if (latin1(e.name())) {
                n++;
                bytes += e.name().length();
            }
        }
        int size = Integer.highestOneBit(Math.max(2, n * 2 - 1)) << 1;
        slots = new long[size];
        starts = new int[n + 1];
        names = new byte[(int) bytes];
        exports = new KernelExport[n];
        int k = 0;
        int at = 0;
        for (KernelExport e : all) {
            String name = e.name();
            if (!latin1(name)) {
                wide.putIfAbsent(name, e);
                continue;
            }
            int h = name.hashCode();
            if (find(name, h) != null) {
                continue; // the first one wins
            }
            starts[k] = at;
            for (int i = 0; i < name.length(); i++) {
                names[at++] = (byte) name.charAt(i);
            }
            starts[k + 1] = at;
            exports[k] = e;
            int s = slot(h);
            while (slots[s] != 0) {
                s = (s + 1) & (slots.length - 1);
            }
            slots[s] = (long) h << 32 | ++k;
        }
    }

    /** The export named {@code name}, or null. */
    KernelExport get(String name) {
        KernelExport e = find(name, name.hashCode());
        return e != null || wide.isEmpty() ? e : wide.get(name);
    }

    /**
     * The export whose name is the NUL-terminated string at {@code at} in {@code table}, or null.
     * The string must end inside the array (an ELF string table that ends in NUL).
     */
    KernelExport get(byte[] table, int at) {
        int h = 0;
        int end = at;
        for (byte b; (b = table[end]) != 0; end++) {
            h = 31 * h + (b & 0xff);
        }
        int len = end - at;
        for (int s = slot(h); slots[s] != 0; s = (s + 1) & (slots.length - 1)) {
            long e = slots[s];
            int k = (int) e - 1;
            if ((int) (e >>> 32) == h && starts[k + 1] - starts[k] == len
                    && java.util.Arrays.equals(names, starts[k], starts[k + 1], table, at, end)) {
                return exports[k];
            }
        }
        return null;
    }

    private KernelExport find(String name, int h) {
        int len = name.length();
        for (int s = slot(h); slots[s] != 0; s = (s + 1) & (slots.length - 1)) {
            long e = slots[s];
            int k = (int) e - 1;
            if ((int) (e >>> 32) == h && starts[k + 1] - starts[k] == len && sameName(k, name)) {
                return exports[k];
            }
        }
        return null;
    }

    private boolean sameName(int k, String name) {
        int at = starts[k];
        for (int i = 0; i < name.length(); i++) {
            if ((names[at + i] & 0xff) != name.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    private int slot(int h) {
        return (h ^ (h >>> 16)) & (slots.length - 1);
    }

    private static boolean latin1(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) > 0xff) {
                return false;
            }
        }
        return true;
    }
}
