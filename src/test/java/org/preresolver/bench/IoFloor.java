package org.preresolver.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The I/O floor of an in-place run, for the benchmark (not a test): read every module of a tree,
 * then rewrite each one the way any atomic in-place tool must (read, new temporary file beside it,
 * write, rename over the original), with no ELF work at all. Run on a copy: it rewrites the files
 * with their own contents.
 *
 * <pre>java -cp target/test-classes org.preresolver.bench.IoFloor TREE</pre>
 */
public final class IoFloor {
    private IoFloor() {}

    public static void main(String[] args) throws IOException {
        List<Path> files = new ArrayList<>();
        try (Stream<Path> s = Files.walk(Path.of(args[0]))) {
            s.filter(p -> p.toString().endsWith(".ko")).forEach(files::add);
        }
        long t0 = System.nanoTime();
        long bytes = 0;
        for (Path p : files) {
            bytes += Files.readAllBytes(p).length;
        }
        long t1 = System.nanoTime();
        for (Path p : files) {
            byte[] d = Files.readAllBytes(p);
            Path tmp = p.resolveSibling("." + p.getFileName() + ".floor-tmp");
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                for (int off = 0; off < d.length; off += 128 << 10) {
                    ByteBuffer b = ByteBuffer.wrap(d, off, Math.min(128 << 10, d.length - off));
                    while (b.hasRemaining()) {
                        ch.write(b);
                    }
                }
            }
            Files.move(tmp, p, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        }
        long t2 = System.nanoTime();
        System.out.printf("floor: %d files, %d MB: read all %.2f s; read, write a temporary file and rename, "
                + "one by one, no fsync: %.2f s%n", files.size(), bytes >> 20, (t1 - t0) / 1e9, (t2 - t1) / 1e9);
    }
}
