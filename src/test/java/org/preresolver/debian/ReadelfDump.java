package org.preresolver.debian;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * binutils' view of ELF files: {@code readelf -W -S -s -r} run over many files at once and split
 * per file. An independent reading to hold the tool's output against.
 */
final class ReadelfDump {
    /** One file as readelf shows it. */
    record FileDump(String header, List<String> sections, Map<String, List<String>> relocations, List<String[]> symbols) {}

    private ReadelfDump() {}

    static Map<Path, FileDump> dump(List<Path> files) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("readelf", "-W", "-S", "-s", "-r"));
        files.forEach(f -> cmd.add(f.toString()));
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(5, TimeUnit.MINUTES) || p.exitValue() != 0) {
            throw new IOException("readelf failed with " + p.exitValue());
        }
        return parse(new String(out, StandardCharsets.ISO_8859_1), files);
    }

    static Map<Path, FileDump> parse(String text, List<Path> files) {
        Map<Path, FileDump> res = new LinkedHashMap<>();
        String[] chunks = text.split("\nFile: ");
        int fi = 0;
        for (String chunk : chunks) {
            if (chunk.isBlank()) {
                continue;
            }
            String[] lines = chunk.split("\n");
            List<String> sections = new ArrayList<>();
            Map<String, List<String>> relocs = new LinkedHashMap<>();
            List<String[]> symbols = new ArrayList<>();
            String header = "";
            List<String> currentRel = null;
            boolean inSections = false;
            boolean inSymtab = false;
            for (String l : lines) {
                if (l.startsWith("There are ")) {
                    header = l;
                } else if (l.startsWith("Section Headers:")) {
                    inSections = true;
                } else if (l.startsWith("Key to Flags:")) {
                    inSections = false;
                } else if (inSections && l.startsWith("  [") && !l.startsWith("  [Nr]")) {
                    sections.add(l.substring(l.indexOf(']') + 1).strip());
                } else if (l.startsWith("Relocation section '")) {
                    String name = l.substring("Relocation section '".length(), l.indexOf('\'', 21));
                    currentRel = new ArrayList<>();
                    currentRel.add(l.replaceAll(" at offset 0x[0-9a-f]+", ""));
                    relocs.put(name, currentRel);
                    inSymtab = false;
                } else if (l.startsWith("Symbol table '.symtab'")) {
                    inSymtab = true;
                    currentRel = null;
                } else if (inSymtab && l.matches(" *\\d+: .*")) {
                    symbols.add(l.strip().split("\\s+", 8));
                } else if (currentRel != null && !l.isBlank() && !l.strip().startsWith("Offset")) {
                    currentRel.add(l);
                }
            }
            res.put(files.get(fi++), new FileDump(header, sections, relocs, symbols));
        }
        if (fi != files.size()) {
            throw new IllegalStateException("readelf printed " + fi + " files, expected " + files.size());
        }
        return res;
    }

    /** One preresolved module's readelf views against its original's; returns what it counted. */
    @FunctionalInterface
    interface PairCheck {
        long compare(String rel, FileDump original, FileDump output, int reported);
    }

    /**
     * readelf over every original module under {@code root} and its output under {@code out}, in
     * batches: a module whose PRERESV line in {@code stdout} reports 0 must be copied as it is; each
     * other pair goes to {@code check} with the number its line reports. Returns the sum of what
     * {@code check} counted.
     */
    static long comparePairs(List<Path> mods, Path root, Path out, List<String> stdout, PairCheck check)
            throws IOException, InterruptedException {
        java.util.regex.Pattern line = java.util.regex.Pattern.compile(
                "  PRERESV (\\S+) \\((\\d+)/(\\d+)( \\*fully\\*)? preresolved\\)");
        Map<String, Integer> counts = new java.util.HashMap<>();
        for (String l : stdout) {
            java.util.regex.Matcher m = line.matcher(l);
            if (m.matches()) {
                counts.put(m.group(1), Integer.parseInt(m.group(2)));
            }
        }
        long total = 0;
        int batch = 150;
        for (int i = 0; i < mods.size(); i += batch) {
            List<Path> orig = mods.subList(i, Math.min(mods.size(), i + batch));
            List<Path> outs = new java.util.ArrayList<>();
            for (Path p : orig) {
                outs.add(out.resolve(root.relativize(p)));
            }
            Map<Path, FileDump> a = dump(orig);
            Map<Path, FileDump> b = dump(outs);
            for (int j = 0; j < orig.size(); j++) {
                String rel = root.relativize(orig.get(j)).toString();
                org.assertj.core.api.Assertions.assertThat(counts).as("a PRERESV line for %s", rel).containsKey(rel);
                if (counts.get(rel) == 0) {
                    org.assertj.core.api.Assertions.assertThat(java.nio.file.Files.mismatch(orig.get(j), outs.get(j)))
                            .as("%s has nothing to preresolve: copied as is", rel).isEqualTo(-1L);
                    continue;
                }
                total += check.compare(rel, a.get(orig.get(j)), b.get(outs.get(j)), counts.get(rel));
            }
        }
        return total;
    }
}
