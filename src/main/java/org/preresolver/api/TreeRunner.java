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
                Map<String, Options.Provider> providers = providers(known, pool);
                Preresolver pre = factory.create(providers);
                List<Future<ModuleReport>> futures = new ArrayList<>(entries.size());
                for (ModuleFiles.Entry e : entries) {
                    futures.add(pool.submit(() -> processOne(pre, e, cfg)));
                }
                List<ModuleReport> reports = new ArrayList<>(entries.size());
                boolean stop = false;
                for (Future<ModuleReport> f : futures) {
                    if (stop) {
                        f.cancel(false);
                        continue;
                    }
                    ModuleReport r = get(f);
                    reports.add(r);
                    listener.accept(r);
                    if (cfg.failFast() && r.status().failed()) {
                        stop = true;
                    }
                }
                return new RunReport(pre.kernel().source(), pre.kernel().identity().release(), pre.kernel().size(),
                        reports, cfg.dryRun());
            } finally {
                pool.shutdownNow();
            }
        } finally {
            for (TreeLock l : locks) {
                l.close();
            }
        }
    }

    private static ModuleReport get(Future<ModuleReport> f) throws IOException {
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

    /** Which symbols the tree's modules export, and whether each exporter is GPL-compatible. */
    static Map<String, Options.Provider> providers(List<ModuleFiles.Entry> entries, ExecutorService pool)
            throws IOException {
        List<Future<List<String[]>>> fs = new ArrayList<>();
        for (ModuleFiles.Entry e : entries) {
            fs.add(pool.submit(() -> {
                try {
                    if (!readable(e.file())) {
                        return List.<String[]>of(); // reported when the module itself is processed
                    }
                    byte[] elf = ModuleCodec.decode(Files.readAllBytes(e.file())).elf();
                    KernelModule.Exports m = KernelModule.scanExports(elf);
                    String name = m.name().isEmpty() ? stem(e.file()) : m.name();
                    String gpl = m.gplCompatible() ? "y" : "n";
                    List<String[]> out = new ArrayList<>();
                    for (String s : m.exports()) {
                        out.add(new String[] {s, name, gpl});
                    }
                    return out;
                } catch (IOException | FormatException | OutOfMemoryError ex) {
                    return List.<String[]>of(); // reported when the module itself is processed
                }
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

    /** One module: read, decode, preresolve, check, write. Never throws for a module's own problems. */
    static ModuleReport processOne(Preresolver pre, ModuleFiles.Entry e, RunConfig cfg) {
        String path = e.display();
        if (Files.isSymbolicLink(e.file())) {
            return ModuleReport.failure(path, ModuleReport.Status.IO_ERROR, "is a symbolic link; not followed");
        }
        byte[] file;
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
            file = Files.readAllBytes(e.file());
        } catch (IOException ex) {
            return ModuleReport.failure(path, ModuleReport.Status.IO_ERROR, ioMessage(ex, "cannot read"));
        } catch (OutOfMemoryError ex) {
            return outOfMemory(path);
        }
        try {
            ModuleCodec.Decoded dec = ModuleCodec.decode(file);
            Result r = pre.process(dec.elf());
            long sizeOut = 0;
            long rawOut = 0;
            byte[] written = null;
            if (r.changed()) {
                check(r);
                written = ModuleCodec.encode(r.output(), dec.compression());
                rawOut = r.output().length;
            }
            if (!cfg.dryRun()) {
                Path target = cfg.inPlace() ? e.file() : outputPath(cfg.outputDir(), e.relative());
                if (written != null) {
                    if (!cfg.inPlace()) {
                        Files.createDirectories(target.toAbsolutePath().getParent());
                    }
                    AtomicWriter.write(target, written, e.file(), cfg.sync());
                    sizeOut = written.length;
                } else if (!cfg.inPlace()) {
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
                    file.length, sizeOut, rawOut, "", cfg.keepOutcomes() ? plan.outcomes() : List.of());
        } catch (FormatException ex) {
            return ModuleReport.failure(path, ModuleReport.Status.ERROR, ex.getMessage());
        } catch (RefusedException ex) {
            return ModuleReport.failure(path, ModuleReport.Status.REFUSED, ex.getMessage());
        } catch (IOException ex) {
            return ModuleReport.failure(path, ModuleReport.Status.IO_ERROR, ioMessage(ex, "cannot write"));
        } catch (OutOfMemoryError ex) {
            return outOfMemory(path);
        }
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
