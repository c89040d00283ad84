package org.preresolver.qemu.arch;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.preresolver.qemu.BootLog;

/**
 * Capturing {@code /proc/kallsyms} through the serial console. The whole file is about 150 000
 * lines; the guest prints only the lines of the names in a file it is given (the exports of
 * vmlinux from Module.symvers, and {@link #IMAGE_BOUNDS}), between {@code === KALLSYMS begin} and
 * {@code === KALLSYMS end}.
 */
public final class Kallsyms {
    public static final String NAMES = "/kallsyms-names.txt";
    /**
     * The symbols that tell anchor mode which addresses slide with the image
     * ({@code ImageRanges.fromSystemMap}): {@code _text}, {@code _end} and the per-CPU bounds where
     * the kernel lists them, else the text ranges (arm64 without CONFIG_KALLSYMS_ALL lists only
     * {@code _stext}, {@code _etext}, {@code _sinittext}, {@code _einittext}).
     */
    public static final List<String> IMAGE_BOUNDS = List.of("_text", "_end", "__per_cpu_start", "__per_cpu_end",
            "_stext", "_etext", "_sinittext", "_einittext");

    private Kallsyms() {}

    /** Guest script lines that print the kallsyms lines of the names in {@link #NAMES} (vmlinux only). */
    public static String script() {
        return """
                echo 0 > /proc/sys/kernel/kptr_restrict
                mark KALLSYMS begin
                awk 'NR==FNR{w[$1]=1;next} NF==3 && ($3 in w)' %s /proc/kallsyms
                mark KALLSYMS end
                """.formatted(NAMES);
    }

    /** The file the guest needs: one name a line, the names given and {@link #IMAGE_BOUNDS}. */
    public static String namesFile(Collection<String> names) {
        java.util.LinkedHashSet<String> all = new java.util.LinkedHashSet<>(names);
        all.addAll(IMAGE_BOUNDS);
        return String.join("\n", all) + "\n";
    }

    /** The captured lines ({@code address type name}), in the kernel's order. */
    public static List<String> lines(BootLog log) {
        List<String> out = new ArrayList<>();
        boolean in = false;
        for (String l : log.lines()) {
            String s = l.strip();
            if (s.equals("=== KALLSYMS begin")) {
                in = true;
            } else if (s.equals("=== KALLSYMS end")) {
                return out;
            } else if (in && !s.isEmpty()) {
                out.add(s);
            }
        }
        throw new IllegalStateException("no complete KALLSYMS section in " + log.logFile());
    }

    /** Global (upper-case type) symbols by name; a name with two different global addresses is dropped. */
    public static Map<String, Long> globals(List<String> lines) {
        Map<String, Long> out = new HashMap<>();
        java.util.Set<String> ambiguous = new java.util.HashSet<>();
        for (String l : lines) {
            String[] f = l.split("\\s+");
            if (f.length != 3 || !Character.isUpperCase(f[1].charAt(0))) {
                continue;
            }
            long a = Long.parseUnsignedLong(f[0], 16);
            Long old = out.putIfAbsent(f[2], a);
            if (old != null && old != a) {
                ambiguous.add(f[2]);
            }
        }
        ambiguous.forEach(out::remove);
        return out;
    }

    /** Writes the names file the guest script reads ({@link #namesFile}) as {@code work/kallsyms-names.txt}. */
    public static java.nio.file.Path writeNames(java.nio.file.Path work, Collection<String> names)
            throws java.io.IOException {
        java.nio.file.Path f = work.resolve("kallsyms-names.txt");
        java.nio.file.Files.writeString(f, namesFile(names), java.nio.charset.StandardCharsets.ISO_8859_1);
        return f;
    }

    /** What one capture boot gave: its log and the captured lines. */
    public record Captured(BootLog log, List<String> lines) {}

    /**
     * One {@code nokaslr} boot of {@code kernel} that prints the kallsyms lines of the names in
     * {@code namesFile} and the image bounds (boot log in {@code work/boot-capture}); the lines are
     * also written to {@code kallsymsFile}, as a System.map the tool reads.
     */
    public static Captured capture(ArchKernel kernel, java.nio.file.Path namesFile, java.time.Duration timeout,
            java.nio.file.Path work, java.nio.file.Path kallsymsFile) throws Exception {
        BootLog log = kernel.guest().script(script()).file(namesFile, NAMES).timeout(timeout)
                .boot(work.resolve("boot-capture"));
        List<String> captured = lines(log);
        java.nio.file.Files.writeString(kallsymsFile, String.join("\n", captured) + "\n",
                java.nio.charset.StandardCharsets.ISO_8859_1);
        return new Captured(log, captured);
    }
}
