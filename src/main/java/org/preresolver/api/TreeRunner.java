package org.preresolver.api;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.preresolver.elf.FormatException;
import org.preresolver.io.FileBytes;
import org.preresolver.io.ModuleCodec;
import org.preresolver.io.ModuleFiles;
import org.preresolver.kernel.Compression;
import org.preresolver.kernel.KernelExports;
import org.preresolver.kernel.KernelModule;
import org.preresolver.preresolve.Options;
import org.preresolver.preresolve.Plan;
import org.preresolver.preresolve.Preresolver;
import org.preresolver.preresolve.RefusedException;
import org.preresolver.preresolve.Result;
import org.preresolver.report.ModuleReport;
import org.preresolver.report.RunReport;

/**
 * A preresolve run over module files and trees, on the one pipeline: {@link ModuleSource} reads
 * and decodes each module once, the {@link Preresolver} decides, builds the output and checks that
 * it restores to the input, {@link ModuleSink} writes it, and
 * {@link ModuleRunner} runs the modules in parallel and reports them in input order. A run that
 * writes first learns which symbols the tree's modules export (the provider pass); a dry run reads
 * each module once ({@link #dryRunInOneRead}).
 */
public final class TreeRunner {
    private final Preresolver.Factory factory;

    public TreeRunner(Preresolver.Factory factory) {
        this.factory = factory;
    }

    /**
     * Runs. {@code listener} is called once per module, in input order, as results become
     * available (from the calling thread); a dry run's results become available together, once
     * every module is decided ({@link #dryRunInOneRead}).
     *
     * @throws IOException the inputs cannot be listed, or the tree is locked by another run
     */
    public RunReport run(RunConfig cfg, Consumer<ModuleReport> listener) throws IOException {
        return run(cfg, listener, () -> { });
    }

    /**
     * As {@link #run(RunConfig, Consumer)}, with {@code progress} called once per module as it is
     * decided: with the listener, or before it for a dry run, whose reports come once all are known.
     */
    public RunReport run(RunConfig cfg, Consumer<ModuleReport> listener, Runnable progress) throws IOException {
        return run(cfg, Inputs.list(cfg.inputs()), listener, progress);
    }

    /** As {@link #run(RunConfig, Consumer, Runnable)}, over {@code cfg}'s inputs as already listed. */
    RunReport run(RunConfig cfg, Inputs listed, Consumer<ModuleReport> listener, Runnable progress)
            throws IOException {
        if (!listed.paths().equals(cfg.inputs())) {
            throw new IllegalArgumentException("the listing is of other inputs than the run's");
        }
        List<ModuleFiles.Entry> entries = listed.entries();
        try (ModuleSink sink = ModuleSink.of(cfg, entries);
                ModuleRunner runner = new ModuleRunner(cfg.threads(), "preresolve")) {
            List<ModuleFiles.Entry> trees = ModuleFiles.find(cfg.providerTrees());
            List<ModuleReport> reports;
            if (cfg.dryRun() && !cfg.failFast() && !cfg.keepOutcomes()) {
                reports = dryRunInOneRead(entries, trees, cfg, sink, runner, progress);
                reports.forEach(listener);
            } else {
                List<ModuleFiles.Entry> known = new ArrayList<>(entries);
                known.addAll(trees);
                // The provider pass decodes every module; those it may keep are not decoded again.
                ModuleSource.Kept kept = new ModuleSource.Kept(ModuleSource.Kept.budget(), entries);
                Preresolver pre = factory.create(providers(known, runner, kept));
                reports = runner.run(entries, cfg.failFast(), chunk -> reportsOf(processChunk(pre, chunk, cfg, sink, kept)),
                        r -> r.status().failed(), r -> {
                            listener.accept(r);
                            progress.run();
                        });
            }
            KernelExports kernel = factory.create(Map.of()).kernel();
            return new RunReport(kernel.source(), kernel.identity().release(), kernel.size(), reports, cfg.dryRun());
        }
    }

    /**
     * A dry run without per-symbol outcomes reads and decodes each module once: no provider pass
     * before. Each module is decided while the tree's exports are still being learnt, taking every
     * name vmlinux does not export to come from a GPL-compatible module
     * ({@link Options#assumedGplProviders}); its exports are learnt from the same read. Then each
     * plan's {@link Plan#fromModules() names from modules} are checked
     * against the exports the run found, and a module whose assumption they do not bear out (a name
     * no module exports, an exporter not GPL-compatible) is done again with them: its report is then
     * the two-pass run's. Its reports come in input order once all are known.
     */
    private List<ModuleReport> dryRunInOneRead(List<ModuleFiles.Entry> entries, List<ModuleFiles.Entry> trees,
            RunConfig cfg, ModuleSink sink, ModuleRunner runner, Runnable progress) throws IOException {
        Preresolver assumed = factory.create(Options.assumedGplProviders());
        List<Assumed> done = runner.run(entries, false, chunk -> {
            // One parse per module, just before its decision: what it exports, then the decision; only the
            // module being decided is held parsed.
            List<List<Export>> exports = new ArrayList<>(Collections.nCopies(chunk.size(), List.<Export>of()));
            List<Done> d = process(assumed, ModuleSource.read(chunk, ModuleSource.Kept.none()), (i, in) -> {
                KernelModule m = parse(in);
                exports.set(i, m != null ? exportsOf(in, m) : exportsOf(in));
                return m;
            }, cfg, sink);
            List<Assumed> out = new ArrayList<>(d.size());
            for (int i = 0; i < d.size(); i++) {
                out.add(new Assumed(d.get(i), exports.get(i)));
            }
            return out;
        }, a -> false, a -> progress.run());
        List<List<Export>> found = new ArrayList<>();
        done.forEach(a -> found.add(a.exports()));
        found.addAll(runner.map(trees, chunk -> ModuleSource.readExportParts(chunk).stream().map(TreeRunner::exportsOf)
                .toList()));
        Map<String, Options.Provider> providers = merge(found);
        List<ModuleFiles.Entry> again = new ArrayList<>();
        for (int i = 0; i < entries.size(); i++) {
            List<String> names = done.get(i).done().fromModules();
            if (names == null || !names.stream().allMatch(n -> providers.get(n) != null && providers.get(n).gplCompatible())) {
                again.add(entries.get(i));
            }
        }
        List<ModuleReport> reports = new ArrayList<>(entries.size());
        done.forEach(a -> reports.add(a.done().report()));
        if (!again.isEmpty()) {
            Preresolver pre = factory.create(providers);
            List<ModuleReport> redone = runner.map(again, chunk -> reportsOf(processChunk(pre, chunk, cfg, sink,
                    ModuleSource.Kept.none())));
            Map<ModuleFiles.Entry, ModuleReport> byEntry = new HashMap<>();
            for (int k = 0; k < again.size(); k++) {
                byEntry.put(again.get(k), redone.get(k));
            }
            for (int i = 0; i < entries.size(); i++) {
                ModuleReport r = byEntry.get(entries.get(i));
                if (r != null) {
                    reports.set(i, r);
                }
            }
        }
        return reports;
    }

    /** A module decided on assumed providers, and what it exports itself. */
    private record Assumed(Done done, List<Export> exports) {}

    /**
     * A module's report, and the names its plan took from other modules: none when it failed before
     * planning, null when it is not known whether its failure depends on them.
     */
    private record Done(ModuleReport report, List<String> fromModules) {}

    private static List<ModuleReport> reportsOf(List<Done> done) {
        return done.stream().map(Done::report).toList();
    }

    /** Which symbols the modules export, and whether each exporter is GPL-compatible. */
    static Map<String, Options.Provider> providers(List<ModuleFiles.Entry> entries, ModuleRunner runner,
            ModuleSource.Kept keep) throws IOException {
        return merge(runner.map(entries, chunk -> ModuleSource.readExportParts(chunk).stream().map(in -> {
            List<Export> exports = exportsOf(in);
            if (in.ok()) {
                keep.offer(in.entry().file(), in.decoded());
            }
            return exports;
        }).toList()));
    }

    /** The module read, parsed; null when it cannot be (its processing reports why). */
    private static KernelModule parse(ModuleSource.ModuleInput in) {
        if (!in.ok()) {
            return null;
        }
        try {
            return KernelModule.parse(in.decoded().elf());
        } catch (FormatException | OutOfMemoryError ex) {
            return null;
        }
    }

    /** What one module read exports; none when it cannot be read or parsed (reported when it is processed). */
    private static List<Export> exportsOf(ModuleSource.ModuleInput in) {
        if (!in.ok()) {
            return List.of();
        }
        try {
            return exports(in, KernelModule.scanExports(in.decoded().elf()));
        } catch (FormatException | OutOfMemoryError ex) {
            return List.of();
        }
    }

    /** {@link #exportsOf(ModuleSource.ModuleInput)} of a module already parsed. */
    private static List<Export> exportsOf(ModuleSource.ModuleInput in, KernelModule parsed) {
        try {
            return exports(in, parsed.exports());
        } catch (FormatException | OutOfMemoryError ex) {
            return List.of();
        }
    }

    private static List<Export> exports(ModuleSource.ModuleInput in, KernelModule.Exports m) {
        String name = m.name().isEmpty() ? stem(in.entry().file()) : m.name();
        List<Export> exports = new ArrayList<>(m.exports().size());
        for (String s : m.exports()) {
            exports.add(new Export(s, new Options.Provider(name, m.gplCompatible())));
        }
        return exports;
    }

    /** The exports of modules, in order, as one map. */
    private static Map<String, Options.Provider> merge(List<List<Export>> found) {
        Map<String, Options.Provider> m = new HashMap<>();
        for (List<Export> exports : found) {
            for (Export x : exports) {
                Options.Provider old = m.get(x.symbol());
                // The first exporter names the symbol; it is GPL-compatible only if every exporter is.
                m.put(x.symbol(), old == null ? x.provider()
                        : new Options.Provider(old.module(), old.gplCompatible() && x.provider().gplCompatible()));
            }
        }
        return m;
    }

    /** One symbol a module exports. */
    private record Export(String symbol, Options.Provider provider) {}

    static String stem(Path p) {
        String n = p.getFileName().toString();
        int i = n.indexOf(".ko");
        return i > 0 ? n.substring(0, i) : n;
    }

    /** Parses the {@code i}th module of a chunk, read: null when it cannot be (its processing reports why). */
    @FunctionalInterface
    private interface Parse {
        KernelModule apply(int i, ModuleSource.ModuleInput in);
    }

    /** A module decided and checked, waiting for its output to be compressed and written. */
    private record Prepared(ModuleSource.ModuleInput input, Result result) {}

    /**
     * Neighbouring modules: read and decoded ({@link ModuleSource}), preresolved, checked, compressed
     * (the xz ones in one xz process) and written. Never throws for a module's own problems; one
     * report per module, in order.
     */
    static List<Done> processChunk(Preresolver pre, List<ModuleFiles.Entry> chunk, RunConfig cfg,
            ModuleSink sink, ModuleSource.Kept kept) {
        return process(pre, ModuleSource.read(chunk, kept), null, cfg, sink);
    }

    /**
     * {@link #processChunk} of modules already read, each parsed by {@code parse} just before it is
     * processed (null: here; a null parse: here, to report why it cannot be). Each element of
     * {@code inputs} is cleared as its module is taken, so that nothing of it outlives its processing.
     */
    private static List<Done> process(Preresolver pre, List<ModuleSource.ModuleInput> inputs, Parse parse,
            RunConfig cfg, ModuleSink sink) {
        int n = inputs.size();
        List<ModuleFiles.Entry> chunk = inputs.stream().map(ModuleSource.ModuleInput::entry).toList();
        ModuleReport[] reports = new ModuleReport[n];
        List<List<String>> fromModules = new ArrayList<>(Collections.nCopies(n, List.<String>of()));
        Prepared[] prepared = new Prepared[n];
        for (int i = 0; i < n; i++) {
            ModuleSource.ModuleInput in = inputs.get(i);
            inputs.set(i, null);
            if (!in.ok()) {
                reports[i] = failure(in.path(), in.failure());
                continue;
            }
            try {
                KernelModule m = parse == null ? null : parse.apply(i, in);
                Result r = m != null ? pre.process(m) : pre.process(in.decoded().elf());
                prepared[i] = new Prepared(in, r);
                fromModules.set(i, r.plan().fromModules());
                if (!sink.writes()) {
                    // Nothing to compress: reported now, so that the module's bytes, parse and output
                    // are garbage before the next module (held to the chunk's end, they outlived
                    // young collections and filled the old generation).
                    reports[i] = finish(prepared[i], null, sink, cfg);
                    prepared[i] = null;
                }
            } catch (FormatException ex) {
                reports[i] = ModuleReport.failure(in.path(), ModuleReport.Status.ERROR, ex.getMessage());
                fromModules.set(i, null); // maybe after planning: it may depend on the other modules
            } catch (RefusedException ex) {
                reports[i] = ModuleReport.failure(in.path(), ModuleReport.Status.REFUSED, ex.getMessage());
                fromModules.set(i, ex.plan().map(Plan::fromModules).orElse(List.of()));
            } catch (OutOfMemoryError ex) {
                reports[i] = failure(in.path(), ModuleSource.outOfMemory());
                fromModules.set(i, null);
            }
        }
        // A dry run writes nothing, so it compresses nothing: an output's compressed size is known
        // only once it is written. Otherwise the changed modules are compressed, one call per format.
        byte[][] written = new byte[n][];
        if (sink.writes()) {
            for (Compression c : Compression.values()) {
                List<Integer> idx = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    if (prepared[i] != null && prepared[i].result().changed()
                            && prepared[i].input().decoded().compression() == c) {
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
                                ModuleSource.ioMessage(ex, "cannot compress"));
                        prepared[i] = null;
                    }
                } catch (OutOfMemoryError ex) {
                    for (int i : idx) {
                        reports[i] = failure(chunk.get(i).display(), ModuleSource.outOfMemory());
                        prepared[i] = null;
                    }
                }
            }
        }
        List<Done> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            if (prepared[i] != null) {
                reports[i] = finish(prepared[i], written[i], sink, cfg);
                prepared[i] = null;
                written[i] = null;
            }
            out.add(new Done(reports[i], fromModules.get(i)));
        }
        return out;
    }

    private static ModuleReport failure(String path, ModuleSource.Failure f) {
        return ModuleReport.failure(path, f.io() ? ModuleReport.Status.IO_ERROR : ModuleReport.Status.ERROR, f.message());
    }

    /** Writes a prepared module (its compressed output {@code written}, null if unchanged) and reports it. */
    private static ModuleReport finish(Prepared p, byte[] written, ModuleSink sink, RunConfig cfg) {
        ModuleFiles.Entry e = p.input().entry();
        String path = e.display();
        Result r = p.result();
        ModuleCodec.Decoded dec = p.input().decoded();
        try {
            long sizeOut = 0;
            long rawOut = r.changed() ? r.output().length : 0;
            if (written != null) {
                sizeOut = sink.write(e, written);
            } else if (sink.writes() && !sink.inPlace()) {
                // Unchanged, into a directory: the input file as it is.
                byte[] file = p.input().file() != null ? p.input().file() : readAgain(e.file(), dec.fileSize());
                sizeOut = sink.write(e, file);
                rawOut = dec.elf().length;
            }
            var plan = r.plan();
            return new ModuleReport(path, r.module().name(), map(r.status()), plan.undefined(), plan.preresolved(),
                    plan.leftByReason(), r.module().modinfo().depends(), r.signatureStripped(), r.resigned(),
                    dec.compression().label(),
                    dec.fileSize(), sizeOut, rawOut, "", cfg.keepOutcomes() ? plan.outcomes() : List.of());
        } catch (IOException ex) {
            return ModuleReport.failure(path, ModuleReport.Status.IO_ERROR, ModuleSource.ioMessage(ex, "cannot write"));
        } catch (OutOfMemoryError ex) {
            return failure(path, ModuleSource.outOfMemory());
        }
    }

    /** The file the provider pass read, read again to be copied; it must not have changed size since. */
    private static byte[] readAgain(Path file, int size) throws IOException {
        byte[] b = FileBytes.read(file);
        if (b.length != size) {
            throw new IOException("changed while it was being read (" + size + " bytes, now " + b.length + ")");
        }
        return b;
    }

    private static ModuleReport.Status map(Result.Status s) {
        return switch (s) {
            case PRERESOLVED -> ModuleReport.Status.PRERESOLVED;
            case UNCHANGED -> ModuleReport.Status.UNCHANGED;
            case RETARGETED -> ModuleReport.Status.RETARGETED;
            case NOTHING_TO_DO -> ModuleReport.Status.NOTHING_TO_DO;
        };
    }
}
