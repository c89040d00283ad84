package org.preresolver.qemu.sh4;

import static org.preresolver.testing.CliRun.cli;
import static org.preresolver.testing.TestFiles.deleteTree;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.preresolver.qemu.Host;
import org.preresolver.testing.CliRun;

/**
 * The SH-4 test kit ({@code shared/sh4/}: a 6.1 kernel for QEMU's r2d board, its vmlinux, System.map,
 * Module.symvers, config, 20 modules and a libc-free /init), found beside the project, and readers for
 * its text files that do not use the tool's own parsers.
 *
 * <p>Where it is looked for: system property {@code lkmpr.sh4Kit}, environment {@code LKMPR_SH4_KIT},
 * then {@code shared/sh4} in the project directory's parent and its ancestors. The kit is read only;
 * tests copy what they change.
 */
public final class Sh4Kit {
    /** The module files of the kit, by file name. */
    static final int MODULE_COUNT = 20;

    private final Path dir;

    private Sh4Kit(Path dir) {
        this.dir = dir;
    }

    /** Finds the kit; throws with the places tried when there is none (the kit is required input). */
    public static Sh4Kit find() {
        List<Path> tried = new ArrayList<>();
        String explicit = System.getProperty("lkmpr.sh4Kit", System.getenv("LKMPR_SH4_KIT"));
        if (explicit != null && !explicit.isBlank()) {
            Path p = Path.of(explicit).toAbsolutePath();
            if (isKit(p)) {
                return new Sh4Kit(p);
            }
            tried.add(p);
        } else {
            for (Path d = Host.projectDir().getParent(); d != null; d = d.getParent()) {
                Path p = d.resolve("shared/sh4");
                if (isKit(p)) {
                    return new Sh4Kit(p);
                }
                tried.add(p);
            }
        }
        throw new IllegalStateException("no SH-4 kit (vmlinux, zImage, modules/, load-order.txt, init/init) in any of "
                + tried + "; set -Dlkmpr.sh4Kit=DIR or LKMPR_SH4_KIT");
    }

    private static boolean isKit(Path p) {
        return Files.isRegularFile(p.resolve("vmlinux")) && Files.isRegularFile(p.resolve("zImage"))
                && Files.isRegularFile(p.resolve("load-order.txt")) && Files.isDirectory(p.resolve("modules"))
                && Files.isRegularFile(p.resolve("init/init"));
    }

    public Path dir() {
        return dir;
    }

    public Path vmlinux() {
        return dir.resolve("vmlinux");
    }

    public Path zImage() {
        return dir.resolve("zImage");
    }

    public Path config() {
        return dir.resolve("config");
    }

    public Path symvers() {
        return dir.resolve("Module.symvers");
    }

    public Path systemMap() {
        return dir.resolve("System.map");
    }

    public Path init() {
        return dir.resolve("init/init");
    }

    public Path modulesDir() {
        return dir.resolve("modules");
    }

    public Path readme() {
        return dir.resolve("README.md");
    }

    /** Module file names ({@code libata.ko}) in the kit's {@code load-order.txt} order. */
    public List<String> loadOrder() throws IOException {
        return Files.readAllLines(dir.resolve("load-order.txt"), StandardCharsets.UTF_8).stream().map(String::strip)
                .filter(s -> !s.isEmpty()).toList();
    }

    /** The module name the kernel uses: the file name up to the first '.', '-' turned into '_'. */
    static String moduleName(String fileName) {
        int dot = fileName.indexOf('.');
        return (dot < 0 ? fileName : fileName.substring(0, dot)).replace('-', '_');
    }

    /** One line of Module.symvers. */
    record SymversEntry(long crc, String name, String owner, String exportType, String namespace) {
        boolean vmlinux() {
            return owner.equals("vmlinux");
        }
    }

    /** Module.symvers, read with a plain split (tab-separated: crc, name, owner, export type, namespace). */
    public List<SymversEntry> symversEntries() throws IOException {
        List<SymversEntry> out = new ArrayList<>();
        for (String line : Files.readAllLines(symvers(), StandardCharsets.UTF_8)) {
            if (line.isEmpty()) {
                continue;
            }
            String[] f = line.split("\t", -1);
            if (f.length != 5 || !f[0].startsWith("0x")) {
                throw new IOException("unexpected Module.symvers line: " + line);
            }
            out.add(new SymversEntry(Long.parseLong(f[0].substring(2), 16), f[1], f[2], f[3], f[4]));
        }
        return out;
    }

    /** System.map: name to every address it has (a name may be both a local and a global symbol). */
    public Map<String, List<Long>> systemMap(boolean globalsOnly) throws IOException {
        Map<String, List<Long>> m = new HashMap<>();
        for (String line : Files.readAllLines(systemMap(), StandardCharsets.UTF_8)) {
            String[] f = line.strip().split("\\s+");
            if (f.length != 3) {
                continue;
            }
            char type = f[1].charAt(0);
            if (globalsOnly && !Character.isUpperCase(type)) {
                continue;
            }
            m.computeIfAbsent(f[2], k -> new ArrayList<>()).add(Long.parseLong(f[0], 16));
        }
        return m;
    }

    /**
     * The "examples of what was preresolved" table of the kit's README (a prototype's counts):
     * module name to "n/m".
     */
    public Map<String, String> readmePreresolvedTable() throws IOException {
        Map<String, String> m = new LinkedHashMap<>();
        Pattern row = Pattern.compile("^\\|\\s*([A-Za-z0-9_-]+)\\s*\\|\\s*(\\d+/\\d+)\\b.*\\|\\s*$");
        for (String line : Files.readAllLines(readme(), StandardCharsets.UTF_8)) {
            Matcher r = row.matcher(line);
            if (r.matches()) {
                m.put(r.group(1), r.group(2));
            }
        }
        return m;
    }

    /** Copies the kit's modules into {@code dest} (created), so that nothing under shared/ is ever written. */
    public Path copyModules(Path dest) throws IOException {
        Files.createDirectories(dest);
        for (String f : loadOrder()) {
            Files.copy(modulesDir().resolve(f), dest.resolve(f), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        return dest;
    }

    /**
     * Preresolves the kit's modules (copied to {@code work/std}) into {@code work/pre} with the CLI,
     * JSON output; returns the run. The kit's config says no KASLR on SH.
     */
    public CliRun preresolveInto(Path work, boolean json) throws IOException {
        Path std = copyModules(work.resolve("std"));
        Path pre = work.resolve("pre");
        deleteTree(pre);
        List<String> args = new ArrayList<>(List.of("preresolve", "-k", vmlinux().toString(), "--config",
                config().toString(), "-o", pre.toString()));
        if (json) {
            args.add("--json");
        }
        args.add(std.toString());
        return cli(args);
    }

    /** Runs a host command with a timeout and returns its output (stdout and stderr merged). */
    static String run(Duration timeout, String... cmd) throws IOException {
        return Host.run(timeout, null, cmd).output();
    }
}
