package org.preresolver.qemu;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The modules of one kernel release, {@code lib/modules/<release>/}: where each module is, which are
 * built in, and their dependencies ({@code modules.dep} when present, else {@code depends=} from each
 * module's {@code .modinfo}; Debian's package ships no modules.dep, depmod makes it at install time).
 */
public final class ModuleTree {
    private final Path dir;
    private final Map<String, Path> byName = new TreeMap<>();
    private final Set<String> builtin = new HashSet<>();
    private final Map<String, List<String>> depCache = new HashMap<>();
    private final Map<String, List<String>> modulesDep;

    private ModuleTree(Path dir) throws IOException {
        this.dir = dir;
        try (Stream<Path> s = Files.walk(dir.resolve("kernel"))) {
            s.filter(p -> p.getFileName().toString().matches(".*\\.ko(\\.(xz|gz|zst))?"))
                    .forEach(p -> byName.put(ModInfo.normalize(p.getFileName().toString()), dir.relativize(p)));
        }
        Path b = dir.resolve("modules.builtin");
        if (Files.exists(b)) {
            for (String line : Files.readAllLines(b)) {
                if (!line.isBlank()) {
                    builtin.add(ModInfo.normalize(line.trim()));
                }
            }
        }
        Path dep = dir.resolve("modules.dep");
        if (Files.exists(dep)) {
            modulesDep = new HashMap<>();
            for (String line : Files.readAllLines(dep)) {
                int colon = line.indexOf(':');
                if (colon < 0) {
                    continue;
                }
                List<String> deps = new ArrayList<>();
                for (String d : line.substring(colon + 1).trim().split("\\s+")) {
                    if (!d.isEmpty()) {
                        deps.add(ModInfo.normalize(d));
                    }
                }
                modulesDep.put(ModInfo.normalize(line.substring(0, colon)), deps);
            }
        } else {
            modulesDep = null;
        }
    }

    /** @param releaseDir {@code .../lib/modules/<release>} */
    public static ModuleTree open(Path releaseDir) throws IOException {
        return new ModuleTree(releaseDir);
    }

    public Path dir() {
        return dir;
    }

    public boolean isModule(String name) {
        return byName.containsKey(ModInfo.normalize(name));
    }

    public boolean isBuiltin(String name) {
        return builtin.contains(ModInfo.normalize(name));
    }

    /** Path relative to the release dir, e.g. {@code kernel/fs/ext4/ext4.ko}. */
    public Path relativePath(String name) {
        Path p = byName.get(ModInfo.normalize(name));
        if (p == null) {
            throw new IllegalArgumentException("no module " + name + " in " + dir
                    + (isBuiltin(name) ? " (it is built in)" : ""));
        }
        return p;
    }

    public Path path(String name) {
        return dir.resolve(relativePath(name));
    }

    /** Direct dependencies (modules.dep lists all, transitively; that is harmless for the sort). */
    public List<String> depends(String name) {
        String n = ModInfo.normalize(name);
        return depCache.computeIfAbsent(n, k -> {
            if (modulesDep != null && modulesDep.containsKey(k)) {
                return modulesDep.get(k);
            }
            try {
                return ModInfo.read(path(k)).depends();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    /**
     * The wanted modules plus everything they depend on, dependencies first; otherwise the wanted
     * order is kept (a stable depth-first topological sort).
     *
     * @throws IllegalArgumentException for a name that is no module here, or a dependency cycle
     */
    public List<String> loadOrder(List<String> wanted) {
        LinkedHashSet<String> done = new LinkedHashSet<>();
        for (String w : wanted) {
            visit(ModInfo.normalize(w), done, new LinkedHashSet<>());
        }
        return new ArrayList<>(done);
    }

    private void visit(String name, Set<String> done, LinkedHashSet<String> path) {
        if (done.contains(name)) {
            return;
        }
        if (!path.add(name)) {
            throw new IllegalArgumentException("dependency cycle: " + path + " -> " + name);
        }
        relativePath(name);
        for (String d : depends(name)) {
            visit(d, done, path);
        }
        path.remove(name);
        done.add(name);
    }
}
