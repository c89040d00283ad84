package org.preresolver.qemu.sh4;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A module's {@code .symtab} as binutils' {@code readelf -sW} prints it: an independent reading of the
 * symbol tables (not the tool's ELF code), used to check the counts the tool reports.
 */
final class ReadelfSymbols {
    private static final Pattern ROW = Pattern.compile(
            "^\\s*(\\d+):\\s+([0-9a-f]+)\\s+(\\d+)\\s+(\\S+)\\s+(\\S+)\\s+(\\S+)\\s+(\\S+)(?:\\s+(\\S.*))?$");

    /** One symbol: readelf's columns. {@code ndx} is "UND", "ABS", or a section number. */
    record Sym(int index, long value, String type, String bind, String ndx, String name) {
        boolean undefinedGlobal() {
            return ndx.equals("UND") && (bind.equals("GLOBAL") || bind.equals("WEAK"));
        }
    }

    private ReadelfSymbols() {
    }

    /** The symbols of {@code .symtab}; element i is symbol i. */
    static List<Sym> read(Path module) throws IOException {
        String out = Sh4Kit.run(Duration.ofSeconds(30), "readelf", "-sW", module.toString());
        List<Sym> syms = new ArrayList<>();
        boolean inSymtab = false;
        for (String line : out.split("\n")) {
            if (line.startsWith("Symbol table ")) {
                inSymtab = line.contains("'.symtab'");
                continue;
            }
            Matcher m = ROW.matcher(line.stripTrailing());
            if (inSymtab && m.matches()) {
                syms.add(new Sym(Integer.parseInt(m.group(1)), Long.parseLong(m.group(2), 16), m.group(4), m.group(5),
                        m.group(7), m.group(8) == null ? "" : m.group(8).strip()));
            }
        }
        for (int i = 0; i < syms.size(); i++) {
            if (syms.get(i).index() != i) {
                throw new IOException("readelf -sW " + module + ": row " + i + " has index " + syms.get(i).index());
            }
        }
        if (syms.isEmpty()) {
            throw new IOException("readelf printed no .symtab for " + module + ":\n" + out);
        }
        return syms;
    }

    /** Names of the undefined GLOBAL and WEAK symbols: what the loader has to resolve. */
    static List<String> undefinedNames(List<Sym> syms) {
        return syms.stream().filter(Sym::undefinedGlobal).map(Sym::name).toList();
    }
}
