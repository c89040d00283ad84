package org.preresolver.kernel;

import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.preresolver.elf.FormatException;

/**
 * The text files that describe a kernel's symbols: {@code Module.symvers} (exports without
 * addresses) and {@code System.map} or a captured {@code /proc/kallsyms} (addresses without
 * export information). Together they give the exports of an image that is not ELF.
 */
public final class SymbolFiles {
    private SymbolFiles() {}

    /** One line of {@code Module.symvers}: {@code crc name owner export_type namespace}. */
    public record SymversEntry(long crc, String name, String owner, boolean gplOnly, String namespace) {
        public boolean fromVmlinux() {
            return owner.equals("vmlinux");
        }
    }

    public static List<SymversEntry> parseSymvers(byte[] data) throws FormatException {
        List<SymversEntry> out = new ArrayList<>();
        String text = new String(data, StandardCharsets.ISO_8859_1);
        int lineNo = 0;
        for (String line : text.split("\n", -1)) {
            lineNo++;
            if (line.isEmpty()) {
                continue;
            }
            String[] f = line.split("\t", -1);
            if (f.length < 4) {
                throw new FormatException("Module.symvers line " + lineNo + ": expected at least 4 tab-separated fields, got "
                        + f.length);
            }
            long crc;
            try {
                crc = Long.parseUnsignedLong(f[0].startsWith("0x") ? f[0].substring(2) : f[0], 16);
            } catch (NumberFormatException e) {
                throw new FormatException("Module.symvers line " + lineNo + ": bad CRC '" + abbreviate(f[0]) + "'");
            }
            boolean gpl = switch (f[3]) {
                case "EXPORT_SYMBOL", "EXPORT_SYMBOL_NS" -> false;
                case "EXPORT_SYMBOL_GPL", "EXPORT_SYMBOL_NS_GPL", "EXPORT_SYMBOL_GPL_FUTURE" -> true;
                default -> throw new FormatException("Module.symvers line " + lineNo + ": unknown export type '"
                        + abbreviate(f[3]) + "'");
            };
            out.add(new SymversEntry(crc & 0xffffffffL, f[1], f[2], gpl, f.length > 4 ? f[4] : ""));
        }
        return out;
    }

    /**
     * Addresses of global symbols from a {@code System.map} or {@code /proc/kallsyms}:
     * {@code address type name [module]}. Only global entries count (upper-case type, or {@code u}):
     * an export is a global symbol, and a local one of the same name is another symbol (without
     * {@code CONFIG_KALLSYMS_ALL}, as on Debian's arm64, armhf, i386, mips and s390x kernels, an
     * exported variable is missing while a static function of its name may be listed). Lines of
     * module symbols are skipped; a name with two different global addresses is left out, so it
     * gets no address at all.
     */
    public static Map<String, Long> parseSystemMap(byte[] data) throws FormatException {
        Map<String, Long> out = new HashMap<>();
        java.util.Set<String> ambiguous = new java.util.HashSet<>();
        int symbols = 0;
        String text = new String(data, StandardCharsets.ISO_8859_1);
        int lineNo = 0;
        for (String line : text.split("\n", -1)) {
            lineNo++;
            if (line.isBlank()) {
                continue;
            }
            String[] f = line.trim().split("\\s+");
            if (f.length < 3) {
                throw new FormatException("System.map line " + lineNo + ": expected 'address type name'");
            }
            if (f.length > 3) {
                if (f[3].startsWith("[")) {
                    continue;
                }
                throw new FormatException("System.map line " + lineNo + ": expected 'address type name [module]'"
                        + (line.contains("System.map") ? " (Debian's image packages ship a one-line placeholder; use "
                                + "the ELF vmlinux or a captured /proc/kallsyms)" : ""));
            }
            long addr;
            try {
                addr = Long.parseUnsignedLong(f[0], 16);
            } catch (NumberFormatException e) {
                throw new FormatException("System.map line " + lineNo + ": bad address '" + abbreviate(f[0]) + "'");
            }
            symbols++;
            char type = f[1].charAt(0);
            if (!Character.isUpperCase(type) && type != 'u') {
                continue;
            }
            Long had = out.putIfAbsent(f[2], addr);
            if (had != null && had != addr) {
                ambiguous.add(f[2]);
            }
        }
        ambiguous.forEach(out::remove);
        if (symbols == 0) {
            throw new FormatException("System.map has no symbols (Debian's image packages ship a one-line placeholder; "
                    + "use the ELF vmlinux or a captured /proc/kallsyms)");
        }
        return out;
    }

    /**
     * The exports of vmlinux from {@code Module.symvers}, with addresses from a System.map. An
     * export missing from the map gets address 0 and is never preresolved.
     *
     * <p>Without {@code CONFIG_MODVERSIONS} (Debian's 7.x kernels) modpost still writes a CRC column,
     * {@code 0x00000000} on every line, and the kernel checks no CRC at all. A real CRC table is never
     * zero for every export, so when all of vmlinux's are zero the exports get no CRC (as from a
     * vmlinux without {@code __kcrctab}), and a module without {@code __versions} is not held back.
     */
    public static KernelExports exports(List<SymversEntry> symvers, Map<String, Long> addresses,
            KernelIdentity identity, String source) {
        boolean crcs = symvers.stream().anyMatch(e -> e.fromVmlinux() && e.crc() != 0);
        List<KernelExport> out = new ArrayList<>();
        for (SymversEntry e : symvers) {
            if (e.fromVmlinux()) {
                out.add(new KernelExport(e.name(), addresses.getOrDefault(e.name(), 0L), e.gplOnly(), e.namespace(),
                        crcs ? e.crc() : null));
            }
        }
        return new KernelExports(identity, null, out, source, ImageRanges.fromSystemMap(addresses));
    }

    /** An identity for exports that come from text files: nothing is known but the release. */
    public static KernelIdentity unknownIdentity(String release) {
        return new KernelIdentity(0, false, ByteOrder.LITTLE_ENDIAN, release, "");
    }

    private static String abbreviate(String s) {
        return s.length() > 40 ? s.substring(0, 40) + "..." : s;
    }
}
