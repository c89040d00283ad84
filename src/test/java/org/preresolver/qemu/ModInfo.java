package org.preresolver.qemu;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The {@code .modinfo} section of a kernel module (ELF32/ELF64, either byte order): key=value strings. */
public final class ModInfo {
    private final Map<String, List<String>> values;

    private ModInfo(Map<String, List<String>> values) {
        this.values = values;
    }

    /** Reads a {@code .ko}, or a {@code .ko.xz} (decompressed with xz-java first, as modprobe would). */
    public static ModInfo read(Path module) throws IOException {
        return parse(moduleBytes(module));
    }

    /** The ELF bytes of a {@code .ko} or {@code .ko.xz}. */
    public static byte[] moduleBytes(Path module) throws IOException {
        if (!module.getFileName().toString().endsWith(".xz")) {
            return Files.readAllBytes(module);
        }
        try (java.io.InputStream in = new org.tukaani.xz.XZInputStream(Files.newInputStream(module))) {
            return in.readAllBytes();
        }
    }

    public static ModInfo parse(byte[] elf) {
        if (elf.length < 52 || elf[0] != 0x7f || elf[1] != 'E' || elf[2] != 'L' || elf[3] != 'F') {
            throw new IllegalArgumentException("not an ELF file");
        }
        boolean is64 = elf[4] == 2;
        ByteBuffer b = ByteBuffer.wrap(elf).order(elf[5] == 2 ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN);
        long shoff = is64 ? b.getLong(0x28) : Integer.toUnsignedLong(b.getInt(0x20));
        int shentsize = Short.toUnsignedInt(b.getShort(is64 ? 0x3a : 0x2e));
        int shnum = Short.toUnsignedInt(b.getShort(is64 ? 0x3c : 0x30));
        int shstrndx = Short.toUnsignedInt(b.getShort(is64 ? 0x3e : 0x32));
        long[][] sh = new long[shnum][];
        for (int i = 0; i < shnum; i++) {
            int at = (int) (shoff + (long) i * shentsize);
            long name = Integer.toUnsignedLong(b.getInt(at));
            long off = is64 ? b.getLong(at + 0x18) : Integer.toUnsignedLong(b.getInt(at + 0x10));
            long size = is64 ? b.getLong(at + 0x20) : Integer.toUnsignedLong(b.getInt(at + 0x14));
            sh[i] = new long[] {name, off, size};
        }
        long strOff = sh[shstrndx][1];
        Map<String, List<String>> map = new LinkedHashMap<>();
        for (long[] s : sh) {
            if (cString(elf, (int) (strOff + s[0])).equals(".modinfo")) {
                int start = (int) s[1];
                int end = (int) (s[1] + s[2]);
                int i = start;
                while (i < end) {
                    int z = i;
                    while (z < end && elf[z] != 0) {
                        z++;
                    }
                    if (z > i) {
                        String kv = new String(elf, i, z - i, StandardCharsets.UTF_8);
                        int eq = kv.indexOf('=');
                        if (eq > 0) {
                            map.computeIfAbsent(kv.substring(0, eq), k -> new ArrayList<>()).add(kv.substring(eq + 1));
                        }
                    }
                    i = z + 1;
                }
            }
        }
        return new ModInfo(map);
    }

    private static String cString(byte[] data, int at) {
        int z = at;
        while (z < data.length && data[z] != 0) {
            z++;
        }
        return new String(data, at, z - at, StandardCharsets.US_ASCII);
    }

    public String first(String key) {
        List<String> v = values.get(key);
        return v == null || v.isEmpty() ? null : v.get(0);
    }

    public List<String> all(String key) {
        return values.getOrDefault(key, List.of());
    }

    /** Module names from {@code depends=}, empty when none. */
    public List<String> depends() {
        String d = first("depends");
        if (d == null || d.isBlank()) {
            return List.of();
        }
        return Arrays.stream(d.split(",")).map(String::trim).filter(s -> !s.isEmpty())
                .map(ModInfo::normalize).toList();
    }

    /** The kernel's spelling of a module name: '-' and '_' are the same, the kernel uses '_'. */
    public static String normalize(String moduleName) {
        String n = moduleName;
        int slash = n.lastIndexOf('/');
        if (slash >= 0) {
            n = n.substring(slash + 1);
        }
        int ko = n.indexOf(".ko");
        if (ko > 0) {
            n = n.substring(0, ko);
        }
        return n.replace('-', '_');
    }
}
