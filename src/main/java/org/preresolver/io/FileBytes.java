package org.preresolver.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A whole file into a byte array, in slices of 1 MiB. {@code Files.readAllBytes} asks the JDK for
 * the file in one read, for which it allocates (and the kernel faults in) a native buffer as large as
 * the file every time: 0.65 s for a 65 MB vmlinux where slices take 0.23 s, and most of a tree run's
 * system time over 4000 modules (BENCHMARKS.md, section 6). A channel reads each slice through one
 * reused buffer per thread.
 */
public final class FileBytes {
    private static final int SLICE = 1 << 20;

    private FileBytes() {}

    /** Reads {@code [offset, offset + length)} of the channel into the same place of {@code b}. */
    static void readAt(FileChannel ch, byte[] b, long offset, long length) throws IOException {
        read(ch, offset, b, (int) offset, (int) length);
    }

    /** Fills {@code b} from the channel's bytes at {@code position}. */
    static void read(FileChannel ch, long position, byte[] b) throws IOException {
        read(ch, position, b, 0, b.length);
    }

    private static void read(FileChannel ch, long position, byte[] b, int off, int length) throws IOException {
        for (int n = 0; n < length;) {
            int k = ch.read(ByteBuffer.wrap(b, off + n, Math.min(SLICE, length - n)), position + n);
            if (k < 0) {
                throw new IOException("changed while it was being read (shorter than " + (position + length)
                        + " bytes)");
            }
            n += k;
        }
    }

    /** Makes something of a file from the parts of it that it reads. */
    @FunctionalInterface
    public interface PartReader<T> {
        T parse(long size, org.preresolver.elf.ElfFile.Reader read) throws org.preresolver.elf.FormatException,
                IOException;
    }

    /**
     * What {@code parser} makes of the file reading only the parts it asks for (in slices of 1 MiB),
     * through symbolic links; null when it returns null (then the caller reads the file whole).
     */
    public static <T> T readCompactly(Path file, PartReader<T> parser)
            throws org.preresolver.elf.FormatException, IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            return parser.parse(size, (offset, length) -> {
                byte[] b = new byte[length];
                read(ch, offset, b);
                return b;
            });
        }
    }

    /**
     * The file's bytes, through symbolic links as {@code Files.readAllBytes} reads (a kernel image is
     * often one; modules are guarded before, by {@link ModuleFiles#read}); a file that grows while it
     * is read is read to its end.
     */
    public static byte[] read(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size > Integer.MAX_VALUE - 8) {
                throw new IOException("file of " + size + " bytes is too large to read into memory");
            }
            byte[] b = new byte[(int) size];
            int n = 0;
            while (n < b.length) {
                int k = ch.read(ByteBuffer.wrap(b, n, Math.min(SLICE, b.length - n)));
                if (k < 0) {
                    return java.util.Arrays.copyOf(b, n); // shrank while being read
                }
                n += k;
            }
            if (ch.read(ByteBuffer.allocate(1)) < 0) {
                return b;
            }
        }
        return Files.readAllBytes(file); // grew while being read: the slow way, to its end
    }
}
