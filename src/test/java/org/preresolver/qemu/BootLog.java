package org.preresolver.qemu;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A guest's serial log, parsed: the markers printed by the /init of {@code scripts/qemu/mkinitramfs.sh}
 * ({@code === KEY value}), insmod/rmmod results, {@code /proc/modules} snapshots and the kernel log.
 */
public final class BootLog {
    /** Kernel messages that mean something went wrong. */
    public static final List<Pattern> PROBLEMS = List.of(
            Pattern.compile("WARNING:"),
            Pattern.compile("BUG:"),
            Pattern.compile("kernel BUG"),
            Pattern.compile("\\bOops\\b"),
            Pattern.compile("Unknown symbol"),
            Pattern.compile("disagrees about version"),
            Pattern.compile("Kernel panic"),
            Pattern.compile("general protection fault"),
            Pattern.compile("Call Trace:"),
            Pattern.compile("\\bRIP: "),
            Pattern.compile("Key was rejected"),
            Pattern.compile("UBSAN:"),
            Pattern.compile("soft lockup|hard LOCKUP|blocked for more than"),
            Pattern.compile("Unable to handle|unable to handle"));

    /** The taint line of an unsigned module, the only one expected with stripped signatures. */
    public static final String UNSIGNED_TAINT =
            "module verification failed: signature and/or required key missing - tainting kernel";
    /** {@code /proc/sys/kernel/tainted} bit for 'E' (TAINT_UNSIGNED_MODULE). */
    public static final long TAINT_UNSIGNED_MODULE = 1L << 13;

    private static final Pattern ANSI = Pattern.compile("\u001b\\[[0-9;?]*[A-Za-z]|\u001b[()][A-Za-z0-9]|\u001bc");
    private static final Pattern MARKER = Pattern.compile("=== (\\S+)(?: (.*))?$");
    private static final Pattern OP = Pattern.compile("(\\S+) rc=(\\d+)(?: err=(.*))?");
    private static final Pattern KERNEL_LINE = Pattern.compile("^\\[\\s*\\d+\\.\\d+\\]");
    private static final Pattern TAINT = Pattern.compile("taint", Pattern.CASE_INSENSITIVE);

    /** One insmod or rmmod. {@code error} is busybox's message, empty on success. */
    public record ModuleOp(String name, int rc, String error) {
        public boolean ok() {
            return rc == 0;
        }
    }

    /** One line of {@code /proc/modules}: name size refcount users state address. */
    public record LsmodEntry(String name, long size, int useCount, List<String> users, String state) {
    }

    private final Path logFile;
    private final int exitCode;
    private final Duration elapsed;
    private final List<String> lines;
    private final List<ModuleOp> insmods = new ArrayList<>();
    private final List<ModuleOp> rmmods = new ArrayList<>();
    private final Map<String, List<LsmodEntry>> lsmod = new LinkedHashMap<>();
    private final Map<String, List<String>> markers = new LinkedHashMap<>();
    private final List<String> kernelLines = new ArrayList<>();
    private boolean completed;

    private BootLog(Path logFile, int exitCode, Duration elapsed, List<String> lines) {
        this.logFile = logFile;
        this.exitCode = exitCode;
        this.elapsed = elapsed;
        this.lines = lines;
        parse();
    }

    public static BootLog parse(Path logFile, int exitCode, Duration elapsed) throws IOException {
        String text = new String(Files.readAllBytes(logFile), StandardCharsets.UTF_8);
        return parse(text, logFile, exitCode, elapsed);
    }

    public static BootLog parse(String text, Path logFile, int exitCode, Duration elapsed) {
        String clean = ANSI.matcher(text).replaceAll("").replace("\r", "");
        return new BootLog(logFile, exitCode, elapsed, List.of(clean.split("\n", -1)));
    }

    private void parse() {
        String lsmodTag = null;
        boolean inDmesg = false;
        boolean sawDmesg = false;
        List<String> console = new ArrayList<>();
        List<String> afterDmesg = new ArrayList<>();
        for (String line : lines) {
            int at = line.indexOf("=== ");
            Matcher m = at >= 0 ? MARKER.matcher(line.substring(at)) : null;
            if (m != null && m.matches()) {
                String key = m.group(1);
                String value = m.group(2) == null ? "" : m.group(2).strip();
                if (at > 0 && !inDmesg && KERNEL_LINE.matcher(line).find()) {
                    console.add(line.substring(0, at)); // a kernel message cut our line
                }
                switch (key) {
                    case "INSMOD", "RMMOD" -> {
                        Matcher op = OP.matcher(value);
                        if (op.matches()) {
                            ModuleOp o = new ModuleOp(op.group(1), Integer.parseInt(op.group(2)),
                                    op.group(3) == null ? "" : op.group(3).strip());
                            (key.equals("INSMOD") ? insmods : rmmods).add(o);
                        }
                    }
                    case "LSMOD" -> {
                        String[] p = value.split(" ");
                        if (p.length == 2 && p[1].equals("begin")) {
                            lsmodTag = p[0];
                            lsmod.put(lsmodTag, new ArrayList<>());
                        } else {
                            lsmodTag = null;
                        }
                    }
                    case "DMESG" -> {
                        inDmesg = value.equals("begin");
                        sawDmesg = true;
                    }
                    case "DONE" -> completed = true;
                    default -> { }
                }
                markers.computeIfAbsent(key, k -> new ArrayList<>()).add(value);
                continue;
            }
            if (lsmodTag != null) {
                LsmodEntry e = parseProcModules(line);
                if (e != null) {
                    lsmod.get(lsmodTag).add(e);
                    continue;
                }
            }
            if (inDmesg) {
                kernelLines.add(line);
            } else if (!line.isBlank()) {
                (sawDmesg ? afterDmesg : console).add(line);
            }
        }
        if (!sawDmesg) {
            kernelLines.addAll(console); // no dump (crash, hang): the console is all there is
        } else {
            // The dump has everything up to its end; the console after it has the power-off.
            for (String l : afterDmesg) {
                if (KERNEL_LINE.matcher(l).find()) {
                    kernelLines.add(l);
                }
            }
        }
    }

    static LsmodEntry parseProcModules(String line) {
        String[] p = line.strip().split("\\s+");
        if (p.length < 5 || !p[1].matches("\\d+") || !p[2].matches("-?\\d+")) {
            return null;
        }
        List<String> users = p[3].equals("-") ? List.of()
                : Arrays.stream(p[3].split(",")).filter(s -> !s.isEmpty()).toList();
        return new LsmodEntry(p[0], Long.parseLong(p[1]), Integer.parseInt(p[2]), users, p[4]);
    }

    public Path logFile() {
        return logFile;
    }

    /** qemu's exit status (124 or 137: the outer timeout killed it). */
    public int exitCode() {
        return exitCode;
    }

    public boolean timedOut() {
        return exitCode == 124 || exitCode == 137;
    }

    /** The test script returned and {@code === DONE} was printed. */
    public boolean completed() {
        return completed;
    }

    /** Host wall-clock time of the whole boot. */
    public Duration elapsed() {
        return elapsed;
    }

    public List<String> lines() {
        return lines;
    }

    public List<ModuleOp> insmods() {
        return insmods;
    }

    public List<ModuleOp> rmmods() {
        return rmmods;
    }

    public List<ModuleOp> failedInsmods() {
        return insmods.stream().filter(o -> !o.ok()).toList();
    }

    public List<ModuleOp> failedRmmods() {
        return rmmods.stream().filter(o -> !o.ok()).toList();
    }

    /** The last insmod result of a module ('-' and '_' are equivalent). */
    public OptionalInt insmodRc(String module) {
        String n = ModInfo.normalize(module);
        OptionalInt rc = OptionalInt.empty();
        for (ModuleOp o : insmods) {
            if (o.name().equals(n)) {
                rc = OptionalInt.of(o.rc());
            }
        }
        return rc;
    }

    public Set<String> lsmodTags() {
        return lsmod.keySet();
    }

    /** The {@code /proc/modules} snapshot printed with {@code lsmod_snapshot TAG}; empty when none. */
    public List<LsmodEntry> lsmod(String tag) {
        return lsmod.getOrDefault(tag, List.of());
    }

    /** Module name to use count, in snapshot order. */
    public Map<String, Integer> useCounts(String tag) {
        Map<String, Integer> m = new LinkedHashMap<>();
        for (LsmodEntry e : lsmod(tag)) {
            m.put(e.name(), e.useCount());
        }
        return m;
    }

    /**
     * Differences in {@code /proc/modules} between two boots, for every snapshot tag of either: module
     * missing on one side, different use count or users (sizes are not compared). Empty when equal.
     */
    public List<String> lsmodDifferences(BootLog other) {
        List<String> diff = new ArrayList<>();
        java.util.LinkedHashSet<String> tags = new java.util.LinkedHashSet<>(lsmod.keySet());
        tags.addAll(other.lsmod.keySet());
        for (String tag : tags) {
            Map<String, LsmodEntry> a = new LinkedHashMap<>();
            lsmod(tag).forEach(e -> a.put(e.name(), e));
            Map<String, LsmodEntry> b = new LinkedHashMap<>();
            other.lsmod(tag).forEach(e -> b.put(e.name(), e));
            if (!lsmod.containsKey(tag) || !other.lsmod.containsKey(tag)) {
                diff.add(tag + ": snapshot only in " + (lsmod.containsKey(tag) ? "this" : "other") + " boot");
                continue;
            }
            java.util.LinkedHashSet<String> names = new java.util.LinkedHashSet<>(a.keySet());
            names.addAll(b.keySet());
            for (String n : names) {
                LsmodEntry x = a.get(n);
                LsmodEntry y = b.get(n);
                if (x == null || y == null) {
                    diff.add(tag + ": " + n + " only in " + (x != null ? "this" : "other") + " boot");
                } else if (x.useCount() != y.useCount()
                        || !new java.util.TreeSet<>(x.users()).equals(new java.util.TreeSet<>(y.users()))) {
                    diff.add(tag + ": " + n + " used " + x.useCount() + " " + x.users() + " vs " + y.useCount()
                            + " " + y.users());
                }
            }
        }
        return diff;
    }

    /** All values of {@code === KEY value} markers, in order. */
    public List<String> markers(String key) {
        return markers.getOrDefault(key, List.of());
    }

    /** The last value of a marker, or null. */
    public String marker(String key) {
        List<String> v = markers(key);
        return v.isEmpty() ? null : v.get(v.size() - 1);
    }

    /** {@code === CHECK <cmd> rc=<n>} markers whose rc is not 0. */
    public List<String> failedChecks() {
        return markers("CHECK").stream().filter(v -> !v.endsWith(" rc=0")).toList();
    }

    /** The kernel log: the dmesg dump when the script got that far, else the console lines. */
    public List<String> kernelLines() {
        return kernelLines;
    }

    /** Kernel lines matching {@link #PROBLEMS}. */
    public List<String> problems() {
        return kernelLines.stream().filter(l -> PROBLEMS.stream().anyMatch(p -> p.matcher(l).find())).toList();
    }

    /** Kernel lines that mention taint. */
    public List<String> taintLines() {
        return kernelLines.stream().filter(l -> TAINT.matcher(l).find()).toList();
    }

    /** Taint lines other than the unsigned-module one. */
    public List<String> unexpectedTaintLines() {
        return taintLines().stream().filter(l -> !l.contains(UNSIGNED_TAINT)).toList();
    }

    /** {@code /proc/sys/kernel/tainted} at the end of the script, or -1. */
    public long taintEnd() {
        String v = marker("TAINT_END");
        return v == null ? -1 : Long.parseLong(v.strip());
    }

    /** A short description for assertion messages. */
    public String summary() {
        StringBuilder sb = new StringBuilder();
        sb.append("boot log ").append(logFile).append(": exit ").append(exitCode)
                .append(timedOut() ? " (TIMEOUT)" : "").append(", ").append(elapsed.toMillis()).append(" ms, ")
                .append(completed ? "completed" : "NOT completed").append(", ")
                .append(insmods.size()).append(" insmod (").append(failedInsmods().size()).append(" failed), ")
                .append(rmmods.size()).append(" rmmod (").append(failedRmmods().size()).append(" failed)");
        failedInsmods().forEach(o -> sb.append("\n  insmod ").append(o));
        failedRmmods().forEach(o -> sb.append("\n  rmmod ").append(o));
        failedChecks().forEach(c -> sb.append("\n  check ").append(c));
        problems().forEach(p -> sb.append("\n  kernel: ").append(p));
        unexpectedTaintLines().forEach(p -> sb.append("\n  taint: ").append(p));
        if (!completed) {
            sb.append("\n  --- last lines:");
            lines.subList(Math.max(0, lines.size() - 40), lines.size()).forEach(l -> sb.append("\n  ").append(l));
        }
        return sb.toString();
    }

    @Override
    public String toString() {
        return summary();
    }
}
