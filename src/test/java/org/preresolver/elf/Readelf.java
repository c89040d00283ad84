package org.preresolver.elf;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * binutils' {@code readelf -W -h -S -s} of one file, parsed: an independent reader of every ELF
 * class and byte order to hold our writer's output against.
 *
 * @param header   "Class", "Data", "Machine", "Number of section headers", ... as readelf prints them
 * @param sections per section in table order: [nr, name, type, address, offset, size, es, flags..., lk, inf, al]
 *                 (the flags field may be empty, so read from the end for lk/inf/al)
 * @param symbols  {@code .symtab} rows: [num, value, size, type, bind, vis, ndx, name]
 * @param stderr   what readelf complained about (warnings); empty for a well-formed file
 */
record Readelf(Map<String, String> header, List<String[]> sections, List<String[]> symbols, String stderr) {

    static Readelf of(byte[] elf) throws IOException, InterruptedException {
        Path f = Files.createTempFile("lkmpr-elf", ".o");
        try {
            Files.write(f, elf);
            return of(f);
        } finally {
            Files.deleteIfExists(f);
        }
    }

    static Readelf of(Path file) throws IOException, InterruptedException {
        Path err = Files.createTempFile("lkmpr-readelf", ".err");
        try {
            Process p = new ProcessBuilder("readelf", "-W", "-h", "-S", "-s", file.toString())
                    .redirectError(err.toFile()).start();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(2, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new IOException("readelf hung on " + file);
            }
            String e = Files.readString(err, StandardCharsets.ISO_8859_1);
            if (p.exitValue() != 0) {
                throw new IOException("readelf failed (" + p.exitValue() + ") on " + file + ": " + e);
            }
            return parse(new String(out, StandardCharsets.ISO_8859_1), e);
        } finally {
            Files.deleteIfExists(err);
        }
    }

    static Readelf parse(String text, String stderr) {
        Map<String, String> header = new LinkedHashMap<>();
        List<String[]> sections = new ArrayList<>();
        List<String[]> symbols = new ArrayList<>();
        String part = "";
        for (String l : text.split("\n")) {
            if (l.startsWith("ELF Header:")) {
                part = "h";
                continue;
            } else if (l.startsWith("Section Headers:")) {
                part = "s";
                continue;
            } else if (l.startsWith("Key to Flags:")) {
                part = "";
                continue;
            } else if (l.startsWith("Symbol table '")) {
                part = l.contains("'.symtab'") ? "y" : "";
                continue;
            }
            switch (part) {
                case "h" -> {
                    int c = l.indexOf(':');
                    if (c > 0) {
                        header.put(l.substring(0, c).strip(), l.substring(c + 1).strip());
                    }
                }
                case "s" -> {
                    String t = l.strip();
                    if (t.startsWith("[") && !t.startsWith("[Nr]")) {
                        int close = t.indexOf(']');
                        String nr = t.substring(1, close).strip();
                        String rest = t.substring(close + 1);
                        // The name field is empty for section 0: readelf then starts with the type.
                        String[] f = rest.strip().split("\\s+");
                        List<String> row = new ArrayList<>();
                        row.add(nr);
                        if (nr.equals("0")) {
                            row.add("");
                        }
                        row.addAll(List.of(f));
                        sections.add(row.toArray(String[]::new));
                    }
                }
                case "y" -> {
                    String[] f = l.strip().split("\\s+");
                    if (f.length >= 7 && f[0].matches("\\d+:")) {
                        String[] row = new String[8];
                        System.arraycopy(f, 0, row, 0, Math.min(8, f.length));
                        row[0] = f[0].substring(0, f[0].length() - 1);
                        if (f.length == 7) {
                            row[7] = "";
                        }
                        symbols.add(row);
                    }
                }
                default -> { }
            }
        }
        return new Readelf(header, sections, symbols, stderr);
    }

    /** The section rows by name (section 0 has the name ""). */
    String[] section(String name) {
        return sections.stream().filter(s -> s[1].equals(name)).findFirst().orElse(null);
    }

    /** The symbol row by name. */
    String[] symbol(String name) {
        return symbols.stream().filter(s -> name.equals(s[7])).findFirst().orElse(null);
    }
}
