package org.preresolver.io;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;
import org.preresolver.elf.FormatException;
import org.preresolver.kernel.Compression;
import org.tukaani.xz.LZMA2Options;
import org.tukaani.xz.XZ;
import org.tukaani.xz.XZOutputStream;

/**
 * Reads and writes module files as the kernel and kmod accept them: plain, or compressed with
 * xz, zstd or gzip (detected by magic, not by name). Output uses kbuild's settings: xz with a
 * CRC32 check and a 1 MiB dictionary ({@code xz --check=crc32 --lzma2=dict=1MiB}), zstd at its
 * default level 3 with a content checksum ({@code zstd}), gzip at level 6 without name or time
 * stamp ({@code gzip -n}).
 */
public final class ModuleCodec {
    private ModuleCodec() {}

    /** A module file's contents. */
    public record Decoded(byte[] elf, Compression compression, int fileSize) {}

    public static Decoded decode(byte[] file) throws FormatException {
        Compression c = Compression.detect(file);
        return switch (c) {
            case NONE -> new Decoded(file, c, file.length);
            case XZ, ZSTD, GZIP -> new Decoded(c.decompress(file, 0, file.length, Compression.DEFAULT_LIMIT), c,
                    file.length);
            default -> throw new FormatException("module is " + c.label() + "-compressed; the kernel and kmod read only "
                    + "xz, zstd and gzip modules", 0);
        };
    }

    public static byte[] encode(byte[] elf, Compression c) throws IOException {
        if (c == Compression.NONE) {
            return elf;
        }
        ByteArrayOutputStream bo = new ByteArrayOutputStream(elf.length / 2 + 64);
        switch (c) {
            case XZ -> {
                LZMA2Options o = new LZMA2Options();
                o.setDictSize(1 << 20);
                try (OutputStream out = new XZOutputStream(bo, o, XZ.CHECK_CRC32)) {
                    out.write(elf);
                }
            }
            case ZSTD -> {
                // The zstd tool writes a content checksum by default; so does this.
                try (OutputStream out = new com.github.luben.zstd.ZstdOutputStream(bo, 3).setChecksum(true)) {
                    out.write(elf);
                }
            }
            case GZIP -> {
                try (OutputStream out = new GZIPOutputStream(bo, 1 << 16) {
                    {
                        def.setLevel(Deflater.DEFAULT_COMPRESSION);
                    }
                }) {
                    out.write(elf);
                }
            }
            default -> throw new IllegalArgumentException("cannot write " + c.label() + " modules");
        }
        return bo.toByteArray();
    }
}
