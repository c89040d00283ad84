package org.preresolver.api;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.preresolver.elf.FormatException;
import org.preresolver.io.ModuleCodec;
import org.preresolver.io.ModuleFiles;
import org.preresolver.kernel.Compression;

/**
 * Reading modules, the one guarded way every command uses: a regular file only (never through a
 * symbolic link; a FIFO would block for ever, a device never end), no larger than any module,
 * running out of memory reported for the module alone; and each module decoded once: the xz
 * modules of a chunk by one xz process, and the ones the provider pass decoded taken from
 * {@link Kept} when the heap allowed keeping them.
 */
final class ModuleSource {
    /** Modules per chunk, and compressed bytes per chunk: what one xz process is given at a time. */
    static final int CHUNK_MODULES = 64;
    static final long CHUNK_BYTES = 3L << 20;
    /**
     * The first chunks are an eighth of that, so that every worker starts on its first module
     * sooner (a whole chunk is read before its first module is processed: 60 ms on Debian's tree).
     */
    static final int SMALL_CHUNKS = 4;

    private ModuleSource() {}

    /** Why a module could not be read: an I/O problem, or bad input (too large, not decodable, out of memory). */
    record Failure(boolean io, String message) {}

    /**
     * One module as read: its file's bytes ({@code file}, null when {@link Kept} had it decoded) and
     * its ELF bytes decoded once ({@code decoded}); or the failure.
     */
    record ModuleInput(ModuleFiles.Entry entry, byte[] file, ModuleCodec.Decoded decoded, Failure failure) {
        boolean ok() {
            return failure == null;
        }

        String path() {
            return entry.display();
        }
    }

    /**
     * Neighbouring entries in groups of at most {@link #CHUNK_MODULES} modules or about
     * {@link #CHUNK_BYTES}; the first {@link #SMALL_CHUNKS} groups an eighth of that.
     */
    static List<List<ModuleFiles.Entry>> chunks(List<ModuleFiles.Entry> entries) {
        List<List<ModuleFiles.Entry>> out = new ArrayList<>();
        List<ModuleFiles.Entry> cur = new ArrayList<>();
        long bytes = 0;
        for (ModuleFiles.Entry e : entries) {
            long size = e.size();
            if (size < 0) {
                try {
                    size = Files.size(e.file());
                } catch (IOException ex) {
                    size = 0; // reported when the module is read
                }
            }
            int scale = out.size() < SMALL_CHUNKS ? 8 : 1;
            if (!cur.isEmpty() && (cur.size() >= CHUNK_MODULES / scale || bytes + size > CHUNK_BYTES / scale)) {
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

    /** Reads and decodes a chunk: one input per entry, in order, each either decoded or failed. */
    static List<ModuleInput> read(List<ModuleFiles.Entry> chunk, Kept kept) {
        return read(chunk, kept, false);
    }

    /**
     * As {@link #read}, for the exports pass: of an uncompressed module only the parts that say
     * what it exports are read ({@link ModuleFiles#readExportParts}); its input is good for nothing else.
     */
    static List<ModuleInput> readExportParts(List<ModuleFiles.Entry> chunk) {
        return read(chunk, Kept.none(), true);
    }

    private static List<ModuleInput> read(List<ModuleFiles.Entry> chunk, Kept kept, boolean exportParts) {
        int n = chunk.size();
        byte[][] files = new byte[n][];
        ModuleCodec.Decoded[] decs = new ModuleCodec.Decoded[n];
        Failure[] failures = new Failure[n];
        List<Integer> todo = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            ModuleFiles.Entry e = chunk.get(i);
            decs[i] = kept.take(e.file());
            if (decs[i] != null) {
                failures[i] = guard(e.file());
                continue;
            }
            try {
                files[i] = exportParts ? ModuleFiles.readExportParts(e.file()) : ModuleFiles.read(e.file());
                todo.add(i);
            } catch (FormatException ex) {
                failures[i] = new Failure(false, ex.getMessage());
            } catch (IOException ex) {
                failures[i] = new Failure(true, guardMessage(ex));
            } catch (OutOfMemoryError ex) {
                failures[i] = outOfMemory();
            }
        }
        if (todo.size() > 1) {
            // The modules not kept: the xz ones decoded together, by one process.
            try {
                List<ModuleCodec.Decoded> d = ModuleCodec.decodeAll(todo.stream().map(i -> files[i]).toList());
                for (int k = 0; k < todo.size(); k++) {
                    decs[todo.get(k)] = d.get(k);
                }
            } catch (OutOfMemoryError ex) {
                // decoded one by one below
            }
        }
        List<ModuleInput> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            ModuleFiles.Entry e = chunk.get(i);
            if (failures[i] == null && decs[i] == null) {
                try {
                    decs[i] = ModuleCodec.decode(files[i]);
                } catch (FormatException ex) {
                    failures[i] = new Failure(false, ex.getMessage());
                } catch (OutOfMemoryError ex) {
                    failures[i] = outOfMemory();
                }
            }
            out.add(failures[i] != null ? new ModuleInput(e, null, null, failures[i])
                    : new ModuleInput(e, files[i], decs[i], null));
        }
        return out;
    }

    /** The guard of a file kept decoded: it must still be a regular file, not a link. */
    private static Failure guard(Path file) {
        try {
            ModuleFiles.checkRegular(file);
            return null;
        } catch (ModuleFiles.NotRegular ex) {
            return new Failure(true, ex.getMessage());
        }
    }

    /** The guard's own words, else "cannot read: ..." */
    private static String guardMessage(IOException ex) {
        return ex instanceof ModuleFiles.NotRegular ? ex.getMessage() : ioMessage(ex, "cannot read");
    }

    /**
     * One module too large for the heap (or a compression bomb up to the 256 MiB limit): its
     * arrays are garbage once this returns, and the run goes on with the others.
     */
    static Failure outOfMemory() {
        return new Failure(false, "out of memory (" + (Runtime.getRuntime().maxMemory() >> 20)
                + " MiB Java heap); give Java more (LKMPR_JAVA_OPTS=-Xmx...)");
    }

    /** An I/O error in one line: "cannot read: permission denied". */
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

    /**
     * Decoded modules kept between the provider pass and the real one, within a byte budget; each is
     * taken once. Only xz is worth keeping: zstd and gzip decode faster than the heap can hold and
     * move the bytes (measured on Debian sid's tree: BENCHMARKS.md, section 5).
     */
    static final class Kept {
        private final long budget;
        private final Set<Path> wanted = new HashSet<>();
        private final ConcurrentHashMap<Path, ModuleCodec.Decoded> kept = new ConcurrentHashMap<>();
        private final AtomicLong used = new AtomicLong();

        Kept(long budget, List<ModuleFiles.Entry> processed) {
            this.budget = budget;
            for (ModuleFiles.Entry e : processed) {
                wanted.add(e.file());
            }
        }

        static Kept none() {
            return new Kept(0, List.of());
        }

        /**
         * Half of the heap above 160 MiB (48 MiB in a 256 MiB heap; a whole Debian tree, 576 MB
         * decoded, from a heap of 1.3 GiB, the default on a machine of 6 GiB or more), so that each
         * module is decompressed once when memory permits and twice, as the heap's only cost, when
         * it does not.
         */
        static long budget() {
            long max = Runtime.getRuntime().maxMemory();
            return max == Long.MAX_VALUE ? 0 : Math.max(0, (max - (160L << 20)) / 2);
        }

        void offer(Path file, ModuleCodec.Decoded d) {
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
}
