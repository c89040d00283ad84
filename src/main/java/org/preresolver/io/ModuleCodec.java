package org.preresolver.io;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
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

    /** Sizes from which one module alone goes through the {@code xz} command (a process costs milliseconds). */
    private static final int NATIVE_MIN_XZ = 256 << 10;
    private static final int NATIVE_MIN_ELF = 1 << 20;

    /** A module file's contents. */
    public record Decoded(byte[] elf, Compression compression, int fileSize) {}

    public static Decoded decode(byte[] file) throws FormatException {
        Compression c = Compression.detect(file);
        return switch (c) {
            case NONE -> new Decoded(file, c, file.length);
            case XZ -> new Decoded(decodeXz(file), c, file.length);
            case ZSTD, GZIP -> new Decoded(c.decompress(file, 0, file.length, Compression.DEFAULT_LIMIT), c,
                    file.length);
            default -> throw new FormatException("module is " + c.label() + "-compressed; the kernel and kmod read only "
                    + "xz, zstd and gzip modules", 0);
        };
    }

    /**
     * Decodes many module files at once: the xz ones through ONE {@code xz} process (see
     * {@link NativeXz#decompressAll}). An element is null where this did not decode the file: the caller
     * then calls {@link #decode(byte[])} for it, which decodes it or says what is wrong with it.
     */
    public static List<Decoded> decodeAll(List<byte[]> files) {
        List<Decoded> out = new ArrayList<>(Collections.nCopies(files.size(), (Decoded) null));
        List<Integer> xz = new ArrayList<>();
        for (int i = 0; i < files.size(); i++) {
            if (Compression.detect(files.get(i)) == Compression.XZ) {
                xz.add(i);
            }
        }
        if (xz.size() > 1) {
            List<byte[]> in = new ArrayList<>(xz.size());
            xz.forEach(i -> in.add(files.get(i)));
            List<byte[]> dec = NativeXz.decompressAll(in, Compression.DEFAULT_LIMIT);
            for (int k = 0; k < xz.size(); k++) {
                if (dec.get(k) != null) {
                    int i = xz.get(k);
                    out.set(i, new Decoded(dec.get(k), Compression.XZ, files.get(i).length));
                }
            }
        }
        return out;
    }

    /**
     * Compresses many modules with the same format: xz through ONE {@code xz} process when there is
     * one, else each as {@link #encode} does.
     */
    public static List<byte[]> encodeAll(List<byte[]> elfs, Compression c) throws IOException {
        if (c == Compression.XZ && elfs.size() > 1) {
            Optional<List<byte[]>> n = NativeXz.compressAll(elfs);
            if (n.isPresent()) {
                return n.get();
            }
        }
        List<byte[]> out = new ArrayList<>(elfs.size());
        for (byte[] e : elfs) {
            out.add(encode(e, c));
        }
        return out;
    }

    /** xz through the {@code xz} command when there is one (liblzma is faster), else xz-java. */
    private static byte[] decodeXz(byte[] file) throws FormatException {
        // Starting a process costs milliseconds: only worth it for a large module.
        Optional<byte[]> n = file.length < NATIVE_MIN_XZ ? Optional.empty()
                : NativeXz.decompress(file, Compression.DEFAULT_LIMIT);
        if (n.isPresent()) {
            return n.get();
        }
        // No xz command, or it refused the data: xz-java decodes it or names what is wrong, into an
        // array of the size the index records (no growing buffer and final copy of a 45 MiB module).
        return Compression.XZ.decompress(file, 0, file.length, Compression.DEFAULT_LIMIT,
                NativeXz.uncompressedSize(file));
    }

    /**
     * Compresses a module as kbuild does. xz goes through the {@code xz} command when there is one
     * ({@code xz --check=crc32 --lzma2=dict=1MiB}: what kbuild runs, at liblzma's speed), else
     * through xz-java with the same settings; zstd (zstd-jni) and gzip (zlib) are native in-process.
     */
    public static byte[] encode(byte[] elf, Compression c) throws IOException {
        if (c == Compression.XZ && elf.length >= NATIVE_MIN_ELF) {
            Optional<byte[]> n = NativeXz.compress(elf);
            if (n.isPresent()) {
                return n.get();
            }
            if (Thread.currentThread().isInterrupted()) {
                throw new java.io.InterruptedIOException("interrupted while compressing");
            }
        }
        return encodeInProcess(elf, c);
    }

    /** As {@link #encode}, never with an external command (xz-java for xz). */
    public static byte[] encodeInProcess(byte[] elf, Compression c) throws IOException {
        if (c == Compression.NONE) {
            return elf;
        }
        if (c == Compression.ZSTD) {
            // What `zstd -q` writes for a file: level 3, a content checksum and the content size, in one
            // call (the streaming encoder cannot record the size, and copies through a growing buffer).
            try (com.github.luben.zstd.ZstdCompressCtx z = new com.github.luben.zstd.ZstdCompressCtx()) {
                return z.setLevel(3).setChecksum(true).setContentSize(true).compress(elf);
            } catch (com.github.luben.zstd.ZstdException e) {
                throw new IOException("zstd: " + e.getMessage(), e);
            }
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
