package org.preresolver.api;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;
import org.preresolver.elf.ElfFile;
import org.preresolver.elf.FormatException;
import org.preresolver.io.AtomicWriter;
import org.preresolver.io.ModuleCodec;
import org.preresolver.io.ModuleFiles;
import org.preresolver.io.TreeLock;
import org.preresolver.kernel.Compression;
import org.preresolver.kernel.KernelModule;
import org.preresolver.preresolve.Options;
import org.preresolver.preresolve.PreresolvedRecord;
import org.preresolver.preresolve.Preresolver;
import org.preresolver.preresolve.RefusedException;
import org.preresolver.preresolve.Restorer;
import org.preresolver.preresolve.Result;
import org.preresolver.report.ModuleReport;
import org.preresolver.report.RunReport;

/**
 * Runs the preresolver over module files and trees: finds the modules, learns which symbols the
 * tree's modules export, processes modules in parallel, writes each output atomically after
 * checking it, and reports every module in input order.
 */
public final class TreeRunner {
    private final Preresolver.Factory factory;

    public TreeRunner(Preresolver.Factory factory) {
        this.factory = factory;
    }

    /**
     * Runs. {@code listener} is called once per module, in input order, as results become
     * available (from the calling thread).
     *
     * @throws IOException the inputs cannot be listed, or the tree is locked by another run
     */
    public RunReport run(RunConfig cfg, Consumer<ModuleReport> listener) throws IOException {
        List<ModuleFiles.Entry> entries = ModuleFiles.find(cfg.inputs());
        List<TreeLock> locks = new ArrayList<>();
        try {
            if (cfg.inPlace()) {
                Set<Path> roots = new LinkedHashSet<>();
                for (ModuleFiles.Entry e : entries) {
                    roots.add(e.root().toAbsolutePath().normalize());
                }
                for (Path r : roots) {
                    locks.add(TreeLock.acquire(r));
                }
                removeStaleTemps(entries);
            }
            ExecutorService pool = Executors.newFixedThreadPool(cfg.threads(), r -> {
                Thread t = new Thread(r, "preresolve");
                t.setDaemon(true);
                return t;
            });
            try {
                List<ModuleFiles.Entry> known = new ArrayList<>(entries);
                known.addAll(ModuleFiles.find(cfg.providerTrees()));
                // The provider pass decodes every module; those it may keep are not decoded again.
                Decoded kept = new Decoded(keepBudget(), entries);
                Map<String, Options.Provider> providers = providers(known, pool, kept);
                Preresolver pre = factory.create(providers);
                List<ModuleReport> reports = new ArrayList<>(entries.size());
                if (cfg.failFast()) {
                    // --fail-fast: one module after the other in this thread, so that nothing after the
                    // first failure is read or written, and no write is cut short by the stop.
                    for (ModuleFiles.Entry e : entries) {
                        ModuleReport r = processChunk(pre, List.of(e), cfg, kept).get(0);
                        reports.add(r);
                        listener.accept(r);
                        if (r.status().failed()) {
                            break;
                        }
                    }
                    return new RunReport(pre.kernel().source(), pre.kernel().identity().release(),
                            pre.kernel().size(), reports, cfg.dryRun());
                }
                // Chunks of neighbouring modules: one xz process decodes (and compresses) a whole chunk.
                List<Future<List<ModuleReport>>> futures = new ArrayList<>();
                for (List<ModuleFiles.Entry> chunk : chunks(entries, CHUNK_MODULES)) {
                    futures.add(pool.submit(() -> processChunk(pre, chunk, cfg, kept)));
                }
                for (Future<List<ModuleReport>> f : futures) {
                    for (ModuleReport r : get(f)) {
                        reports.add(r);
                        listener.accept(r);
                    }
                }
                return new RunReport(pre.kernel().source(), pre.kernel().identity().release(), pre.kernel().size(),
                        reports, cfg.dryRun());
            } finally {
                pool.shutdownNow();
                awaitQuietly(pool);
            }
        } finally {
            for (TreeLock l : locks) {
                l.close();
            }
        }
    }

    /** Lets interrupted workers finish their clean-up (temp files) before the run returns. */
    private static void awaitQuietly(ExecutorService pool) {
        try {
            pool.awaitTermination(60, java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static <T> T get(Future<T> f) throws IOException {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof RuntimeException re) {
                throw re;
            }
            if (c instanceof Error err) {
                throw err;
            }
            throw new IOException(c);
        }
    }

    private static void removeStaleTemps(List<ModuleFiles.Entry> entries) throws IOException {
        Set<Path> dirs = new HashSet<>();
        for (ModuleFiles.Entry e : entries) {
            Path d = e.file().toAbsolutePath().getParent();
            if (dirs.add(d)) {
                AtomicWriter.removeStaleTemps(d);
            }
        }
    }

    /**
     * Bytes of decoded modules the provider pass may keep for the processing pass: half of the heap above
     * 160 MiB (48 MiB in a 256 MiB heap; a whole Debian tree, 576 MB decoded, from a heap of 1.3 GiB, the
     * default on a machine of 6 GiB or more), so that each module is decompressed once when memory
     * permits and twice, as the heap's only cost, when it does not.
     */
    static long keepBudget() {
        long max = Runtime.getRuntime().maxMemory();
        return max == Long.MAX_VALUE ? 0 : Math.max(0, (max - (160L << 20)) / 2);
    }

    /** Decoded modules kept between the two passes, within a byte budget; each is taken once. */
    static final class Decoded {
        private final long budget;
        private final Set<Path> wanted = new HashSet<>();
        private final java.util.concurrent.ConcurrentHashMap<Path, ModuleCodec.Decoded> kept =
                new java.util.concurrent.ConcurrentHashMap<>();
        private final java.util.concurrent.atomic.AtomicLong used = new java.util.concurrent.atomic.AtomicLong();

        Decoded(long budget, List<ModuleFiles.Entry> processed) {
            this.budget = budget;
            for (ModuleFiles.Entry e : processed) {
                wanted.add(e.file());
            }
        }

        static Decoded none() {
            return new Decoded(0, List.of());
        }

        void offer(Path file, ModuleCodec.Decoded d) {
            // Only xz is worth keeping: zstd and gzip decode faster than the heap can hold and move the
            // bytes (measured on Debian sid's tree: BENCHMARKS.md, section 5).
            if (budget == 0 || d.compression() != Compression.XZ || !wanted.contains(file)) {
                return;
            }
            long size = d.elf().length;
            if (size > budget / 16) {
                return; // many small ones rather than one big one
            }
            if (used.addAndGet(size) > budget) {
                used.addAndGet(-size);
                return;
            }
            if (kept.putIfAbsent(file, d) != null) {
                used.addAndGet(-size); // listed twice: the first one is kept
            }
        }

        /** The decoded module, once, or null when it was not kept. */
        ModuleCodec.Decoded take(Path file) {
            ModuleCodec.Decoded d = kept.remove(file);
            if (d != null) {
                used.addAndGet(-d.elf().length);
            }
            return d;
        }
    }

    /** Which symbols the tree's modules export, and whether each exporter is GPL-compatible. */
    static Map<String, Options.Provider> providers(List<ModuleFiles.Entry> entries, ExecutorService pool)
            throws IOException {
        return providers(entries, pool, Decoded.none());
    }

    static Map<String, Options.Provider> providers(List<ModuleFiles.Entry> entries, ExecutorService pool,
            Decoded keep) throws IOException {
        List<Future<List<String[]>>> fs = new ArrayList<>();
        for (List<ModuleFiles.Entry> chunk : chunks(entries, CHUNK_MODULES)) {
            fs.add(pool.submit(() -> {
                // Read the chunk, decode its xz modules in one xz process, then the rest one by one.
                List<byte[]> files = new ArrayList<>(chunk.size());
                for (ModuleFiles.Entry e : chunk) {
                    try {
                        files.add(readable(e.file()) ? Files.readAllBytes(e.file()) : null);
                    } catch (IOException | OutOfMemoryError ex) {
                        files.add(null); // reported when the module itself is processed
                    }
                }
                List<ModuleCodec.Decoded> decoded = ModuleCodec.decodeAll(
                        files.stream().map(f -> f == null ? new byte[0] : f).toList());
                List<String[]> out = new ArrayList<>();
                for (int i = 0; i < chunk.size(); i++) {
                    ModuleFiles.Entry e = chunk.get(i);
                    byte[] file = files.get(i);
                    files.set(i, null);
                    if (file == null) {
                        continue;
                    }
                    try {
                        ModuleCodec.Decoded dec = decoded.get(i) != null ? decoded.get(i) : ModuleCodec.decode(file);
                        decoded.set(i, null);
                        KernelModule.Exports m = KernelModule.scanExports(dec.elf());
                        keep.offer(e.file(), dec);
                        String name = m.name().isEmpty() ? stem(e.file()) : m.name();
                        String gpl = m.gplCompatible() ? "y" : "n";
                        for (String s : m.exports()) {
                            out.add(new String[] {s, name, gpl});
                        }
                    } catch (FormatException | OutOfMemoryError ex) {
                        // reported when the module itself is processed
                    }
                }
                return out;
            }));
        }
        Map<String, Options.Provider> m = new HashMap<>();
        for (Future<List<String[]>> f : fs) {
            for (String[] x : getList(f)) {
                Options.Provider old = m.get(x[0]);
                boolean gpl = x[2].equals("y") && (old == null || old.gplCompatible());
                m.put(x[0], new Options.Provider(old == null ? x[1] : old.module(), gpl));
            }
        }
        return m;
    }

    private static List<String[]> getList(Future<List<String[]>> f) throws IOException {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        } catch (ExecutionException e) {
            throw new IOException(e.getCause());
        }
    }

    static String stem(Path p) {
        String n = p.getFileName().toString();
        int i = n.indexOf(".ko");
        return i > 0 ? n.substring(0, i) : n;
    }

    /** Modules per chunk, and compressed bytes per chunk: what one xz process is given at a time. */
    static final int CHUNK_MODULES = 64;
    static final long CHUNK_BYTES = 3L << 20;

    /** Neighbouring entries in groups of at most {@code maxModules} modules or about {@link #CHUNK_BYTES}. */
    static List<List<ModuleFiles.Entry>> chunks(List<ModuleFiles.Entry> entries, int maxModules) {
        List<List<ModuleFiles.Entry>> out = new ArrayList<>();
        List<ModuleFiles.Entry> cur = new ArrayList<>();
        long bytes = 0;
        for (ModuleFiles.Entry e : entries) {
            long size;
            try {
                size = Files.size(e.file());
            } catch (IOException ex) {
                size = 0; // reported when the module is processed
            }
            if (!cur.isEmpty() && (cur.size() >= maxModules || bytes + size > CHUNK_BYTES)) {
                out.add(cur);
                cur = new ArrayList<>();
                bytes = 0;
            }
            cur.add(e);
            bytes += size;
        }
        if (!cur.isEmpty()) {
            out.add(cur);
        }
        return out;
    }

    /** One module: read, decode, preresolve, check, write. Never throws for a module's own problems. */
    static ModuleReport processOne(Preresolver pre, ModuleFiles.Entry e, RunConfig cfg) {
        return processChunk(pre, List.of(e), cfg, Decoded.none()).get(0);
    }

    /** A module decided and checked, waiting for its output to be compressed and written. */
    private record Prepared(ModuleFiles.Entry entry, byte[] file, ModuleCodec.Decoded dec, Result result) {}

    /**
     * Neighbouring modules: read, decoded (taken from {@code kept} when the provider pass kept them; the
     * xz ones in one xz process), preresolved, checked, compressed (the xz ones in one xz process) and
     * written. Never throws for a module's own problems; one report per module, in order.
     */
    static List<ModuleReport> processChunk(Preresolver pre, List<ModuleFiles.Entry> chunk, RunConfig cfg, Decoded kept) {
        int n = chunk.size();
        ModuleReport[] reports = new ModuleReport[n];
        ModuleCodec.Decoded[] decs = new ModuleCodec.Decoded[n];
        byte[][] files = new byte[n][];
        for (int i = 0; i < n; i++) {
            ModuleFiles.Entry e = chunk.get(i);
            decs[i] = kept.take(e.file());
            reports[i] = read(e, decs[i] != null, files, i);
        }
        // The modules not kept by the provider pass: decoded together.
        List<Integer> todo = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            if (reports[i] == null && decs[i] == null) {
                todo.add(i);
            }
        }
        if (todo.size() > 1) {
            List<ModuleCodec.Decoded> d = ModuleCodec.decodeAll(todo.stream().map(i -> files[i]).toList());
            for (int k = 0; k < todo.size(); k++) {
                decs[todo.get(k)] = d.get(k);
            }
        }
        Prepared[] prepared = new Prepared[n];
        for (int i = 0; i < n; i++) {
            if (reports[i] == null) {
                String path = chunk.get(i).display();
                try {
                    ModuleCodec.Decoded dec = decs[i] != null ? decs[i] : ModuleCodec.decode(files[i]);
                    decs[i] = null;
                    Result r = pre.process(dec.elf());
                    if (r.changed()) {
                        check(r);
                    }
                    prepared[i] = new Prepared(chunk.get(i), files[i], dec, r);
                } catch (FormatException ex) {
                    reports[i] = ModuleReport.failure(path, ModuleReport.Status.ERROR, ex.getMessage());
                } catch (RefusedException ex) {
                    reports[i] = ModuleReport.failure(path, ModuleReport.Status.REFUSED, ex.getMessage());
                } catch (OutOfMemoryError ex) {
                    decs[i] = null;
                    reports[i] = outOfMemory(path);
                }
                files[i] = null;
            }
        }
        // A dry run writes nothing, so it compresses nothing: an output's compressed size is known
        // only once it is written. Otherwise the changed modules are compressed, one call per format.
        byte[][] written = new byte[n][];
        if (!cfg.dryRun()) {
            for (Compression c : Compression.values()) {
                List<Integer> idx = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    if (prepared[i] != null && prepared[i].result().changed() && prepared[i].dec().compression() == c) {
                        idx.add(i);
                    }
                }
                if (idx.isEmpty()) {
                    continue;
                }
                try {
                    List<byte[]> out = ModuleCodec.encodeAll(idx.stream().map(i -> prepared[i].result().output()).toList(), c);
                    for (int k = 0; k < idx.size(); k++) {
                        written[idx.get(k)] = out.get(k);
                    }
                } catch (IOException ex) {
                    for (int i : idx) {
                        reports[i] = ModuleReport.failure(chunk.get(i).display(), ModuleReport.Status.IO_ERROR,
                                ioMessage(ex, "cannot compress"));
                        prepared[i] = null;
                    }
                } catch (OutOfMemoryError ex) {
                    for (int i : idx) {
                        reports[i] = outOfMemory(chunk.get(i).display());
                        prepared[i] = null;
                    }
                }
            }
        }
        for (int i = 0; i < n; i++) {
            if (prepared[i] != null) {
                reports[i] = finish(prepared[i], written[i], cfg);
                prepared[i] = null;
                written[i] = null;
            }
        }
        return java.util.Arrays.asList(reports);
    }

    /**
     * The checks before a module is read, and the read unless the provider pass kept it decoded:
     * a failure report, or null with {@code files[i]} set (or left null when {@code kept}).
     */
    private static ModuleReport read(ModuleFiles.Entry e, boolean kept, byte[][] files, int i) {
        String path = e.display();
        if (Files.isSymbolicLink(e.file())) {
            return ModuleReport.failure(path, ModuleReport.Status.IO_ERROR, "is a symbolic link; not followed");
        }
        try {
            // Not a FIFO (reading would block for ever), a device or a file larger than any module.
            if (!Files.isRegularFile(e.file(), LinkOption.NOFOLLOW_LINKS)) {
                return ModuleReport.failure(path, ModuleReport.Status.IO_ERROR, "not a regular file");
            }
            long size = Files.size(e.file());
            if (size > Compression.DEFAULT_LIMIT) {
                return ModuleReport.failure(path, ModuleReport.Status.ERROR, "file of " + size
                        + " bytes is larger than any module (limit " + (Compression.DEFAULT_LIMIT >> 20) + " MiB)");
            }
            files[i] = kept ? null : Files.readAllBytes(e.file());
            return null;
        } catch (IOException ex) {
            return ModuleReport.failure(path, ModuleReport.Status.IO_ERROR, ioMessage(ex, "cannot read"));
        } catch (OutOfMemoryError ex) {
            return outOfMemory(path);
        }
    }

    /** Writes a prepared module (its compressed output {@code written}, null if unchanged) and reports it. */
    private static ModuleReport finish(Prepared p, byte[] written, RunConfig cfg) {
        ModuleFiles.Entry e = p.entry();
        String path = e.display();
        Result r = p.result();
        ModuleCodec.Decoded dec = p.dec();
        byte[] file = p.file();
        try {
            long sizeOut = 0;
            long rawOut = r.changed() ? r.output().length : 0;
            if (!cfg.dryRun()) {
                Path target = cfg.inPlace() ? e.file() : outputPath(cfg.outputDir(), e.relative());
                if (written != null) {
                    if (!cfg.inPlace()) {
                        Files.createDirectories(target.toAbsolutePath().getParent());
                    }
                    AtomicWriter.write(target, written, e.file(), cfg.sync());
                    sizeOut = written.length;
                } else if (!cfg.inPlace()) {
                    if (file == null) {
                        file = readAgain(e.file(), dec.fileSize());
                    }
                    Files.createDirectories(target.toAbsolutePath().getParent());
                    AtomicWriter.write(target, file, e.file(), cfg.sync());
                    sizeOut = file.length;
                    rawOut = dec.elf().length;
                }
            }
            var plan = r.plan();
            return new ModuleReport(path, r.module().name(), map(r.status()), plan.undefined(), plan.preresolved(),
                    plan.leftByReason(), r.module().modinfo().depends(), r.signatureStripped(), r.resigned(),
                    dec.compression().label(),
                    dec.fileSize(), sizeOut, rawOut, "", cfg.keepOutcomes() ? plan.outcomes() : List.of());
        } catch (IOException ex) {
            return ModuleReport.failure(path, ModuleReport.Status.IO_ERROR, ioMessage(ex, "cannot write"));
        } catch (OutOfMemoryError ex) {
            return outOfMemory(path);
        }
    }

    /** The file the provider pass read, read again to be copied; it must not have changed size since. */
    private static byte[] readAgain(Path file, int size) throws IOException {
        byte[] b = Files.readAllBytes(file);
        if (b.length != size) {
            throw new IOException("changed while it was being read (" + size + " bytes, now " + b.length + ")");
        }
        return b;
    }

    /**
     * One module too large for the heap (or a compression bomb up to the 256 MiB limit): its
     * arrays are garbage once this returns, and the run goes on with the others.
     */
    private static ModuleReport outOfMemory(String path) {
        return ModuleReport.failure(path, ModuleReport.Status.ERROR, "out of memory ("
                + (Runtime.getRuntime().maxMemory() >> 20) + " MiB Java heap); give Java more (LKMPR_JAVA_OPTS=-Xmx...)");
    }

    /** A regular file, not a link, small enough to be a module: what the provider scan may read. */
    private static boolean readable(Path p) throws IOException {
        return Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS) && Files.size(p) <= Compression.DEFAULT_LIMIT;
    }

    /**
     * Where {@code relative} goes under the output directory. An existing directory on the way
     * that is a symbolic link is refused: following it would write outside the output tree.
     */
    static Path outputPath(Path outputDir, Path relative) throws IOException {
        Path p = outputDir;
        for (int i = 0; i < relative.getNameCount() - 1; i++) {
            p = p.resolve(relative.getName(i).toString());
            if (Files.isSymbolicLink(p)) {
                throw new IOException("output directory " + outputDir.relativize(p)
                        + " is a symbolic link; not writing through it");
            }
        }
        return outputDir.resolve(relative.toString());
    }

    /**
     * Checks an output before it is written: it parses (without the new signature, if re-signed),
     * carries a record, and restoring it gives back exactly the input; or, when nothing is left to
     * preresolve, it is the restored original. A failure here is a bug in this tool, reported as an
     * error for the module rather than written.
     */
    static void check(Result r) throws FormatException {
        if (r.status() == Result.Status.NOTHING_TO_DO) {
            // A preresolved input that now has nothing to preresolve: its original is put back.
            if (!Arrays.equals(r.output(), r.module().bytes())) {
                throw new FormatException("internal check failed: the original to put back is not the restored module");
            }
            return;
        }
        ElfFile out = ElfFile.parse(Preresolver.withoutSignature(r.output()));
        PreresolvedRecord rec = Restorer.record(out)
                .orElseThrow(() -> new FormatException("internal check failed: output has no record"));
        byte[] back = Restorer.restore(out, rec);
        if (!Arrays.equals(back, r.module().bytes())) {
            throw new FormatException("internal check failed: output does not restore to the original; not written");
        }
    }

    private static ModuleReport.Status map(Result.Status s) {
        return switch (s) {
            case PRERESOLVED -> ModuleReport.Status.PRERESOLVED;
            case UNCHANGED -> ModuleReport.Status.UNCHANGED;
            case RETARGETED -> ModuleReport.Status.RETARGETED;
            case NOTHING_TO_DO -> ModuleReport.Status.NOTHING_TO_DO;
        };
    }

    static String ioMessage(IOException e, String what) {
        if (e instanceof AccessDeniedException) {
            return what + ": permission denied";
        }
        if (e instanceof NoSuchFileException) {
            return what + ": no such file or directory";
        }
        if (e instanceof FileSystemException fse && fse.getReason() != null) {
            return what + ": " + fse.getReason();
        }
        String m = e.getMessage();
        return what + ": " + (m == null ? e.getClass().getSimpleName() : m);
    }
}
