package org.preresolver.kernel;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.compressors.bzip2.BZip2CompressorInputStream;
import org.apache.commons.compress.compressors.lz4.BlockLZ4CompressorInputStream;
import org.preresolver.elf.ByteReader;
import org.preresolver.elf.FormatException;
import org.tukaani.xz.LZMAInputStream;
import org.tukaani.xz.SingleXZInputStream;

/**
 * The compression formats the kernel uses for its image payloads and modules, detected by magic
 * (as {@code scripts/extract-vmlinux} and kmod do), never by file name.
 */
public enum Compression {
    NONE(new byte[0]),
    GZIP(new byte[] {0x1f, (byte) 0x8b}),
    XZ(new byte[] {(byte) 0xfd, '7', 'z', 'X', 'Z', 0}),
    ZSTD(new byte[] {0x28, (byte) 0xb5, 0x2f, (byte) 0xfd}),
    BZIP2(new byte[] {'B', 'Z', 'h'}),
    LZ4_LEGACY(new byte[] {0x02, 0x21, 0x4c, 0x18}),
    LZO(new byte[] {(byte) 0x89, 'L', 'Z', 'O', 0}),
    LZMA(new byte[] {0x5d, 0, 0});

    /** Upper bound on a decompressed image or module: a lying stream must not exhaust memory. */
    public static final long DEFAULT_LIMIT = 256L << 20;

    private static final long LZ4_LEGACY_MAGIC = 0x184c2102L;
    private static final long ZSTD_MAGIC = 0xfd2fb528L;
    private static final long ZSTD_SKIPPABLE_MAGIC = 0x184d2a50L;
    /** A zstd block of 4 bytes (RLE) decodes to at most 128 KiB: no frame inflates more than this. */
    private static final long ZSTD_MAX_RATIO = 32768;
    private static final long ZSTD_BLOCK_MAX = 128 << 10;

    private final byte[] magic;

    Compression(byte[] magic) {
        this.magic = magic;
    }

    /** The format whose magic starts {@code data} at {@code off}, or {@link #NONE}. */
    public static Compression detect(byte[] data, int off) {
        for (Compression c : values()) {
            if (c != NONE && c.matches(data, off)) {
                return c;
            }
        }
        return NONE;
    }

    public static Compression detect(byte[] data) {
        return detect(data, 0);
    }

    boolean matches(byte[] data, int off) {
        if (off < 0 || off + magic.length > data.length) {
            return false;
        }
        for (int i = 0; i < magic.length; i++) {
            if (data[off + i] != magic[i]) {
                return false;
            }
        }
        return true;
    }

    /** Lower-case name as the kernel's Kconfig uses it ({@code CONFIG_KERNEL_XZ} is "xz"). */
    public String label() {
        return switch (this) {
            case LZ4_LEGACY -> "lz4";
            default -> name().toLowerCase(java.util.Locale.ROOT);
        };
    }

    /**
     * Decompresses {@code length} bytes at {@code off}. Trailing bytes after the end of the stream
     * (kbuild appends the uncompressed size to image payloads) are ignored.
     *
     * @throws FormatException for a corrupt stream, an output over {@code limit}, or a format
     *     this tool cannot read (lzo)
     */
    public byte[] decompress(byte[] data, int off, int length, long limit) throws FormatException {
        return decompress(data, off, length, limit, -1);
    }

    /**
     * As {@link #decompress(byte[], int, int, long)}, with the expected output size when known
     * (kbuild appends it to image payloads): the output buffer is then allocated once, which keeps
     * a 65 MB vmlinux within a small heap.
     */
    public byte[] decompress(byte[] data, int off, int length, long limit, long sizeHint) throws FormatException {
        if (this == NONE) {
            return java.util.Arrays.copyOfRange(data, off, off + length);
        }
        try {
            return switch (this) {
                case LZ4_LEGACY -> lz4Legacy(data, off, length, limit);
                case LZO -> throw new FormatException("lzo-compressed payloads are not supported; extract the "
                        + "vmlinux with the kernel's scripts/extract-vmlinux and pass that ELF file");
                default -> {
                    int streamLength = this == ZSTD ? zstdFramesLength(data, off, length) : length;
                    if (this == ZSTD) {
                        byte[] one = zstdSingleFrame(data, off, streamLength, limit);
                        if (one != null) {
                            yield one;
                        }
                    }
                    long hint = sizeHint > 0 ? sizeHint : this == GZIP ? gzipSize(data, off, streamLength) : -1;
                    try (InputStream in = open(new ByteArrayInputStream(data, off, streamLength), limit)) {
                        yield hint > 0 && hint <= limit ? readExact(in, (int) hint, limit)
                                : readBounded(in, limit);
                    }
                }
            };
        } catch (FormatException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            // Decoders signal corrupt input with assorted IOExceptions and, for some inputs,
            // runtime exceptions; both mean the same thing here.
            String why = e instanceof java.io.EOFException || e.getMessage() == null
                    ? "truncated (unexpected end of data)" : e.getMessage().lines().findFirst().orElse("");
            throw new FormatException("corrupt " + label() + " stream: " + why, e);
        }
    }

    /**
     * The length of the zstd frames (data and skippable) that start at {@code off}: the decoder is
     * given exactly those, so that what follows them (kbuild's {@code size_append}, 4 bytes of
     * uncompressed size after the last frame of an image payload) is not read as a broken frame.
     */
    static int zstdFramesLength(byte[] data, int off, int length) throws FormatException {
        int end = off + length;
        int p = off;
        while (end - p >= 8) {
            long magic = ByteReader.u32(data, p, true);
            boolean frame = magic == ZSTD_MAGIC || (magic & 0xfffffff0L) == ZSTD_SKIPPABLE_MAGIC;
            if (!frame) {
                break;
            }
            long size = com.github.luben.zstd.Zstd.findFrameCompressedSize(data, p, end - p);
            if (com.github.luben.zstd.Zstd.isError(size) || size <= 0 || size > end - p) {
                if (p == off) {
                    String why = com.github.luben.zstd.Zstd.isError(size)
                            ? com.github.luben.zstd.Zstd.getErrorName(size) : "frame size " + size;
                    throw new FormatException("corrupt zstd stream: " + why, p);
                }
                break; // bytes after the frames that merely look like a frame header
            }
            p += (int) size;
        }
        return p == off ? length : p - off; // no whole frame: let the decoder name the problem
    }

    /**
     * One zstd frame that records its content size (the {@code zstd} command writes it for a file:
     * every {@code .ko.zst}), decoded in one call into an array of exactly that size; null when the
     * stream is not such a frame (the streaming decoder then reads it).
     */
    private static byte[] zstdSingleFrame(byte[] data, int off, int length, long limit) throws FormatException {
        if (length < 8 || ByteReader.u32(data, off, true) != ZSTD_MAGIC
                || com.github.luben.zstd.Zstd.findFrameCompressedSize(data, off, length) != length) {
            return null;
        }
        long size = com.github.luben.zstd.Zstd.getFrameContentSize(data, off, length);
        if (size < 0 || com.github.luben.zstd.Zstd.isError(size)) {
            return null; // unknown (or unreadable) content size
        }
        if (size > ZSTD_MAX_RATIO * length + ZSTD_BLOCK_MAX) {
            // More than any frame of this length can hold (a 4-byte RLE block gives at most 128 KiB):
            // the header lies. The streaming decoder reads what is there and names the problem,
            // without an array of the claimed size.
            return null;
        }
        if (size > limit) {
            throw new FormatException("decompressed data exceeds " + (limit >> 20) + " MiB");
        }
        byte[] out = new byte[(int) size];
        long n = com.github.luben.zstd.Zstd.decompressByteArray(out, 0, out.length, data, off, length);
        if (com.github.luben.zstd.Zstd.isError(n)) {
            throw new FormatException("corrupt zstd stream: " + com.github.luben.zstd.Zstd.getErrorName(n));
        }
        if (n != size) {
            throw new FormatException("corrupt zstd stream: " + n + " bytes, the frame header says " + size);
        }
        return out;
    }

    /**
     * The size a gzip stream announces (ISIZE, the last 4 bytes: the size modulo 2^32), or -1 when
     * it cannot be the size: more than deflate's maximum ratio (1032:1) allows. The decoder still
     * reads to the end of the stream, so a wrong announcement costs a copy, not correctness.
     */
    static long gzipSize(byte[] data, int off, int length) {
        if (length < 18) {
            return -1;
        }
        long size = ByteReader.u32(data, off + length - 4, true);
        return size > 0 && size <= 1032L * length ? size : -1;
    }

    private InputStream open(InputStream in, long limit) throws IOException {
        int memKiB = (int) Math.min(Integer.MAX_VALUE, limit >> 10);
        return switch (this) {
            case GZIP -> new GZIPInputStream(in, 1 << 16);
            case XZ -> new SingleXZInputStream(in, memKiB);
            case ZSTD -> new com.github.luben.zstd.ZstdInputStream(in).setContinuous(false);
            case BZIP2 -> new BZip2CompressorInputStream(in, false);
            case LZMA -> new LZMAInputStream(in, memKiB);
            default -> throw new IllegalStateException(name());
        };
    }

    private static byte[] readBounded(InputStream in, long limit) throws IOException, FormatException {
        ByteArrayOutputStream out = new ByteArrayOutputStream(1 << 20);
        byte[] buf = new byte[1 << 16];
        long total = 0;
        int n;
        while ((n = in.read(buf)) > 0) {
            total += n;
            if (total > limit) {
                throw new FormatException("decompressed data exceeds " + (limit >> 20) + " MiB");
            }
            out.write(buf, 0, n);
        }
        return out.toByteArray();
    }

    /** Reads into a buffer of the announced size; falls back to growing if the announcement was wrong. */
    private static byte[] readExact(InputStream in, int size, long limit) throws IOException, FormatException {
        byte[] buf = new byte[size];
        int n = in.readNBytes(buf, 0, size);
        if (n < size) {
            return java.util.Arrays.copyOf(buf, n);
        }
        byte[] rest = readBounded(in, limit - size);
        if (rest.length == 0) {
            return buf;
        }
        if ((long) size + rest.length > limit) {
            throw new FormatException("decompressed data exceeds " + (limit >> 20) + " MiB");
        }
        byte[] all = java.util.Arrays.copyOf(buf, size + rest.length);
        System.arraycopy(rest, 0, all, size, rest.length);
        return all;
    }

    /** The kernel's legacy LZ4 framing: the magic, then blocks of {@code u32 size, LZ4 block}. */
    private static byte[] lz4Legacy(byte[] data, int off, int length, long limit) throws IOException, FormatException {
        int end = off + length;
        int p = off + 4;
        ByteArrayOutputStream out = new ByteArrayOutputStream(1 << 20);
        while (p + 4 <= end) {
            long size = ByteReader.u32(data, p, true);
            if (size == LZ4_LEGACY_MAGIC) {
                p += 4;
                continue;
            }
            if (size == 0 || size > end - p - 4) {
                break; // the appended uncompressed size, or the end of the stream
            }
            try (InputStream in = new BlockLZ4CompressorInputStream(new ByteArrayInputStream(data, p + 4, (int) size))) {
                byte[] block = readBounded(in, limit - out.size());
                out.write(block);
            }
            p += 4 + (int) size;
        }
        return out.toByteArray();
    }
}
