package org.preresolver.io;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The {@code xz} command (liblzma) as a filter: about twice as fast as xz-java at decoding and
 * compressing, and exactly the tool kbuild runs ({@code xz --check=crc32 --lzma2=dict=1MiB}).
 * Used when an {@code xz} is on the PATH and {@code LKMPR_NATIVE_XZ} is not {@code off}; every
 * failure of the command (missing, killed, non-zero exit) is reported as empty, and the caller
 * falls back to xz-java, which also words the error for a corrupt input.
 */
final class NativeXz {
    /** kbuild's {@code cmd_xzmod}: CRC32 (the kernel's decompressor has no CRC64), a 1 MiB dictionary. */
    static final List<String> COMPRESS = List.of("--check=crc32", "--lzma2=dict=1MiB", "-T1", "-c", "-q");

    private static final Optional<Path> TOOL = find();

    /** Feeds standard input while the caller reads standard output (a pipe holds only 64 KiB). */
    private static final ExecutorService FEEDERS = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "xz-stdin");
        t.setDaemon(true);
        return t;
    });

    private NativeXz() {}

    static boolean available() {
        return TOOL.isPresent();
    }

    private static Optional<Path> find() {
        if ("off".equals(System.getenv("LKMPR_NATIVE_XZ"))) {
            return Optional.empty();
        }
        String path = System.getenv("PATH");
        if (path == null) {
            return Optional.empty();
        }
        for (String dir : path.split(File.pathSeparator)) {
            if (dir.isEmpty()) {
                continue;
            }
            Path p = Path.of(dir, "xz");
            if (Files.isRegularFile(p) && Files.isExecutable(p)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    /** {@code xz --check=crc32 --lzma2=dict=1MiB} of {@code data}, or empty if the command failed. */
    static Optional<byte[]> compress(byte[] data) {
        return run(COMPRESS, data, Long.MAX_VALUE, data.length / 3 + 1024);
    }

    /**
     * {@code xz -d} of {@code data}, or empty if the command failed (a corrupt stream among others) or its
     * output exceeds {@code limit} bytes.
     */
    static Optional<byte[]> decompress(byte[] data, long limit) {
        if (TOOL.isEmpty()) {
            return Optional.empty();
        }
        long size = uncompressedSize(data);
        if (size < 0 || size > limit) {
            return Optional.empty();
        }
        byte[] out = new byte[(int) size]; // the size the index gives, allocated once
        return run(DECOMPRESS_CONCATENATED, List.of(data), List.of(out)) ? Optional.of(out) : Optional.empty();
    }

    /**
     * {@code xz -d} of many .xz files in ONE process (starting a process costs milliseconds; a module
     * takes less to decode): the streams are fed one after the other and the output is split by each
     * stream's uncompressed size, read from its index. An element is null where the file's index cannot
     * be read or its size is over {@code limit}; all are null if the command failed (one corrupt stream
     * fails the batch): the caller then decodes those one by one, and xz-java names what is wrong.
     */
    static List<byte[]> decompressAll(List<byte[]> files, long limit) {
        List<byte[]> out = new java.util.ArrayList<>(java.util.Collections.nCopies(files.size(), (byte[]) null));
        if (TOOL.isEmpty() || files.isEmpty()) {
            return out;
        }
        long[] sizes = new long[files.size()];
        List<byte[]> inputs = new java.util.ArrayList<>();
        long total = 0;
        for (int i = 0; i < files.size(); i++) {
            sizes[i] = uncompressedSize(files.get(i));
            if (sizes[i] < 0 || sizes[i] > limit) {
                sizes[i] = -1;
                continue;
            }
            total += sizes[i];
            inputs.add(files.get(i));
        }
        if (inputs.isEmpty()) {
            return out;
        }
        List<byte[]> res = new java.util.ArrayList<>();
        for (long sz : sizes) {
            if (sz >= 0) {
                res.add(new byte[(int) sz]);
            }
        }
        if (!runToFile(DECOMPRESS_CONCATENATED, inputs, res)) {
            return out;
        }
        int k = 0;
        for (int i = 0; i < files.size(); i++) {
            if (sizes[i] >= 0) {
                out.set(i, res.get(k++));
            }
        }
        return out;
    }

    /**
     * Runs xz with {@code inputs} one after the other on standard input, and reads its output into
     * {@code outputs}, each filled exactly; true if they were, nothing followed, and xz exited with 0.
     */
    private static boolean run(List<String> args, List<byte[]> inputs, List<byte[]> outputs) {
        return xz(args, inputs, o -> {
            for (byte[] b : outputs) {
                if (o.readNBytes(b, 0, b.length) != b.length) {
                    return null;
                }
            }
            return o.read() == -1 ? Boolean.TRUE : null;
        }).isPresent();
    }

    /**
     * As {@link #run}, with xz's standard output going to a private temporary file, read back in
     * slices of 1 MiB once xz has exited. From a pipe the JDK reads at most 64 KiB a call and asks
     * how much is left (two more system calls) after each: about 150,000 system calls over a
     * decoded Debian tree, most of the dry run's system time (BENCHMARKS.md, section 5).
     */
    private static boolean runToFile(List<String> args, List<byte[]> inputs, List<byte[]> outputs) {
        Path[] file = {null};
        try {
            return attempt(() -> {
                file[0] = Files.createTempFile("lkmpr-xz", ".out");
                Path f = file[0];
                return xz(args, inputs, ProcessBuilder.Redirect.to(f.toFile()), o -> {
                    try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(f)) {
                        long total = 0;
                        for (byte[] b : outputs) {
                            total += b.length;
                        }
                        if (ch.size() != total) {
                            return null;
                        }
                        long at = 0;
                        for (byte[] b : outputs) {
                            FileBytes.read(ch, at, b);
                            at += b.length;
                        }
                        return Boolean.TRUE;
                    }
                }).orElse(null);
            }).isPresent();
        } finally {
            if (file[0] != null) {
                try {
                    Files.deleteIfExists(file[0]);
                } catch (IOException e) {
                    // a temporary file left behind; nothing else to do
                }
            }
        }
    }

    /** What is read from xz's standard output: the result, or null when the output is wrong. */
    @FunctionalInterface
    private interface OutputReader<T> {
        T read(InputStream out) throws IOException;
    }

    /**
     * The one way xz runs here: {@code inputs} fed on standard input from another thread, standard
     * output read by {@code reader}; the result only if the reader accepted the output and xz exited
     * with 0. A process still running afterwards is killed.
     */
    private static <T> Optional<T> xz(List<String> args, List<byte[]> inputs, OutputReader<T> reader) {
        return xz(args, inputs, ProcessBuilder.Redirect.PIPE, reader);
    }

    /**
     * As above, with standard output sent to {@code stdout}; with a file there, {@code reader} gets
     * an empty stream and is called once xz has exited with 0.
     */
    private static <T> Optional<T> xz(List<String> args, List<byte[]> inputs, ProcessBuilder.Redirect stdout,
            OutputReader<T> reader) {
        List<String> cmd = new java.util.ArrayList<>(args.size() + 1);
        cmd.add(TOOL.get().toString());
        cmd.addAll(args);
        Process[] p = {null};
        Future<?>[] feed = {null};
        try {
            return attempt(() -> {
                p[0] = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).redirectOutput(stdout)
                        .start();
                Process proc = p[0];
                feed[0] = FEEDERS.submit(() -> {
                    try (OutputStream in = proc.getOutputStream()) {
                        for (byte[] b : inputs) {
                            in.write(b);
                        }
                    } catch (IOException e) {
                        // xz stopped reading (corrupt input, or killed): its exit status says so
                    }
                });
                T result;
                if (stdout == ProcessBuilder.Redirect.PIPE) {
                    try (InputStream o = proc.getInputStream()) {
                        result = reader.read(o);
                    }
                    if (result == null || proc.waitFor() != 0) {
                        return null;
                    }
                } else {
                    if (proc.waitFor() != 0) {
                        return null;
                    }
                    result = reader.read(InputStream.nullInputStream());
                    if (result == null) {
                        return null;
                    }
                }
                feed[0].get();
                return result;
            });
        } finally {
            if (p[0] != null && p[0].isAlive()) {
                p[0].destroyForcibly();
            }
            if (feed[0] != null) {
                feed[0].cancel(true);
            }
        }
    }

    /** Work with a process: its result, or null when the process's output or exit status is wrong. */
    @FunctionalInterface
    private interface Attempt<T> {
        T run() throws IOException, InterruptedException, java.util.concurrent.ExecutionException;
    }

    /**
     * {@code a}'s result; empty when it returned null or failed (the caller then works in-process).
     * An interrupt is kept for the caller to see.
     */
    private static <T> Optional<T> attempt(Attempt<T> a) {
        try {
            return Optional.ofNullable(a.run());
        } catch (IOException | java.util.concurrent.ExecutionException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    /** {@code xz -d} of concatenated streams (with --single-stream only the first would be). */
    private static final List<String> DECOMPRESS_CONCATENATED = List.of("-d", "-c", "-q");

    /** The uncompressed size recorded in the index of the .xz file {@code data}, or -1. */
    static long uncompressedSize(byte[] data) {
        try (org.tukaani.xz.SeekableXZInputStream x = new org.tukaani.xz.SeekableXZInputStream(new BytesInput(data))) {
            return x.getStreamCount() == 1 ? x.length() : -1;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    private static final class BytesInput extends org.tukaani.xz.SeekableInputStream {
        private final byte[] b;
        private int pos;

        BytesInput(byte[] b) {
            this.b = b;
        }

        @Override
        public int read() {
            return pos < b.length ? b[pos++] & 0xff : -1;
        }

        @Override
        public int read(byte[] dst, int off, int len) {
            if (pos >= b.length) {
                return -1;
            }
            int n = Math.min(len, b.length - pos);
            System.arraycopy(b, pos, dst, off, n);
            pos += n;
            return n;
        }

        @Override
        public long length() {
            return b.length;
        }

        @Override
        public long position() {
            return pos;
        }

        @Override
        public void seek(long p) throws IOException {
            if (p < 0 || p > b.length) {
                throw new IOException("seek out of range");
            }
            pos = (int) p;
        }
    }

    /**
     * {@code xz --check=crc32 --lzma2=dict=1MiB} of many inputs in ONE process: each is written to a
     * file in a private temporary directory, {@code xz} compresses them all, the .xz files are read
     * back and the directory is removed. Empty if the command failed (the caller then compresses
     * in-process).
     */
    static Optional<List<byte[]>> compressAll(List<byte[]> inputs) {
        if (TOOL.isEmpty() || inputs.isEmpty()) {
            return Optional.empty();
        }
        Path[] dir = {null};
        Process[] p = {null};
        try {
            return attempt(() -> {
                dir[0] = Files.createTempDirectory("lkmpr-xz");
                List<String> cmd = new java.util.ArrayList<>();
                cmd.add(TOOL.get().toString());
                cmd.addAll(List.of("--check=crc32", "--lzma2=dict=1MiB", "-T1", "-q", "-f", "--"));
                for (int i = 0; i < inputs.size(); i++) {
                    Files.write(dir[0].resolve(Integer.toString(i)), inputs.get(i));
                    cmd.add(Integer.toString(i));
                }
                p[0] = new ProcessBuilder(cmd).directory(dir[0].toFile()).redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
                if (p[0].waitFor() != 0) {
                    return null;
                }
                List<byte[]> out = new java.util.ArrayList<>(inputs.size());
                for (int i = 0; i < inputs.size(); i++) {
                    out.add(FileBytes.read(dir[0].resolve(i + ".xz")));
                }
                return out;
            });
        } finally {
            if (p[0] != null && p[0].isAlive()) {
                p[0].destroyForcibly();
                try {
                    p[0].waitFor();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            if (dir[0] != null) {
                try (java.util.stream.Stream<Path> s = Files.list(dir[0])) {
                    for (Path f : (Iterable<Path>) s::iterator) {
                        Files.deleteIfExists(f);
                    }
                    Files.deleteIfExists(dir[0]);
                } catch (IOException e) {
                    // a temporary directory left behind; nothing else to do
                }
            }
        }
    }

    private static Optional<byte[]> run(List<String> args, byte[] input, long limit, int initialSize) {
        if (TOOL.isEmpty()) {
            return Optional.empty();
        }
        return xz(args, List.of(input), o -> {
            ByteArrayOutputStream out = new ByteArrayOutputStream(initialSize);
            byte[] buf = new byte[1 << 16];
            long total = 0;
            int n;
            while ((n = o.read(buf)) > 0) {
                total += n;
                if (total > limit) {
                    return null;
                }
                out.write(buf, 0, n);
            }
            return out.toByteArray();
        });
    }
}
