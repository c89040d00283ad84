package org.preresolver.io;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.zip.CRC32;
import org.preresolver.kernel.ExportLayout;
import org.preresolver.kernel.ImageRanges;
import org.preresolver.kernel.KernelExport;
import org.preresolver.kernel.KernelExports;
import org.preresolver.kernel.KernelIdentity;

/**
 * A cache of the exports read from compressed kernel images, keyed by the SHA-256 of the image
 * file: decompressing a 65 MB xz payload costs about a second, hashing the 8 MB image about 20 ms.
 * Entries live in {@code $LKMPR_CACHE/exports} (default {@code ~/.cache/lkm-preresolver/exports}),
 * are written atomically and carry a checksum; an unreadable or damaged entry is ignored and
 * rebuilt, never trusted.
 */
public final class ExportsCache {
    private static final int MAGIC = 0x4c4b5845; // "LKXE"
    private static final int VERSION = 2;

    private final Path dir;

    public ExportsCache(Path dir) {
        this.dir = dir;
    }

    /** The default location, or empty when caching is switched off ({@code LKMPR_CACHE=off}). */
    public static Optional<ExportsCache> standard() {
        String env = System.getenv("LKMPR_CACHE");
        if ("off".equals(env)) {
            return Optional.empty();
        }
        Path base = env != null && !env.isBlank() ? Path.of(env)
                : Path.of(System.getProperty("user.home"), ".cache", "lkm-preresolver");
        return Optional.of(new ExportsCache(base.resolve("exports")));
    }

    public static String key(byte[] image) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(image));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A cached entry: the exports and the image's embedded config text ("" when none). */
    public record Entry(KernelExports exports, String embeddedConfig) {}

    public Optional<Entry> get(String key) {
        Path f = dir.resolve(key + ".v" + VERSION);
        try {
            byte[] b = FileBytes.read(f);
            return Optional.of(decode(b));
        } catch (IOException | RuntimeException e) {
            return Optional.empty(); // missing or damaged: read the image again
        }
    }

    /** Stores an entry; a failure to write the cache never fails the run. */
    public void put(String key, Entry e) {
        try {
            Files.createDirectories(dir);
            AtomicWriter.write(dir.resolve(key + ".v" + VERSION), encode(e), null);
        } catch (IOException | RuntimeException ex) {
            // A read-only or full cache directory only costs time.
        }
    }

    static byte[] encode(Entry entry) throws IOException {
        ByteArrayOutputStream bo = new ByteArrayOutputStream(1 << 20);
        DataOutputStream o = new DataOutputStream(bo);
        KernelExports k = entry.exports();
        KernelIdentity id = k.identity();
        o.writeInt(MAGIC);
        o.writeInt(VERSION);
        o.writeUTF(k.source());
        o.writeInt(id.machine());
        o.writeBoolean(id.is64());
        o.writeBoolean(id.order() == ByteOrder.BIG_ENDIAN);
        o.writeUTF(id.release());
        o.writeUTF(id.buildId());
        ExportLayout l = k.layout().orElse(null);
        o.writeBoolean(l != null);
        if (l != null) {
            o.writeBoolean(l.prel32());
            o.writeBoolean(l.hasNamespace());
            o.writeInt(l.entrySize());
            o.writeInt(l.crcSize());
        }
        o.writeInt(k.size());
        for (KernelExport e : k.all()) {
            o.writeUTF(e.name());
            o.writeLong(e.address());
            o.writeByte((e.gplOnly() ? 1 : 0) | (e.protectedSymbol() ? 2 : 0) | (e.crc() != null ? 4 : 0));
            o.writeUTF(e.namespace());
            o.writeLong(e.crc() == null ? 0 : e.crc());
        }
        ImageRanges r = k.ranges().orElse(null);
        o.writeBoolean(r != null);
        if (r != null) {
            o.writeUTF(r.source());
            writeRanges(o, r.sliding());
            writeRanges(o, r.fixed());
        }
        byte[] cfg = entry.embeddedConfig().getBytes(StandardCharsets.ISO_8859_1);
        o.writeInt(cfg.length);
        o.write(cfg);
        o.flush();
        CRC32 crc = new CRC32();
        crc.update(bo.toByteArray());
        o.writeLong(crc.getValue());
        o.flush();
        return bo.toByteArray();
    }

    static Entry decode(byte[] b) throws IOException {
        if (b.length < 16) {
            throw new IOException("short cache entry");
        }
        CRC32 crc = new CRC32();
        crc.update(b, 0, b.length - 8);
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(b));
        in.skipNBytes(b.length - 8);
        if (in.readLong() != crc.getValue()) {
            throw new IOException("cache entry checksum mismatch");
        }
        in = new DataInputStream(new ByteArrayInputStream(b, 0, b.length - 8));
        if (in.readInt() != MAGIC || in.readInt() != VERSION) {
            throw new IOException("not a cache entry of this version");
        }
        String source = in.readUTF();
        KernelIdentity id = new KernelIdentity(in.readInt(), in.readBoolean(),
                in.readBoolean() ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN, in.readUTF(), in.readUTF());
        ExportLayout layout = in.readBoolean()
                ? new ExportLayout(in.readBoolean(), in.readBoolean(), in.readInt(), in.readInt()) : null;
        int n = in.readInt();
        if (n < 0 || n > 10_000_000) {
            throw new IOException("bad export count");
        }
        List<KernelExport> list = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            String name = in.readUTF();
            long addr = in.readLong();
            int flags = in.readByte();
            String ns = in.readUTF();
            long c = in.readLong();
            list.add(new KernelExport(name, addr, (flags & 1) != 0, ns, (flags & 4) != 0 ? c : null, (flags & 2) != 0));
        }
        ImageRanges ranges = null;
        if (in.readBoolean()) {
            String from = in.readUTF();
            List<ImageRanges.Range> sliding = readRanges(in);
            ranges = new ImageRanges(sliding, readRanges(in), from);
        }
        int cl = in.readInt();
        if (cl < 0 || cl > b.length) {
            throw new IOException("bad config length");
        }
        String cfg = new String(in.readNBytes(cl), StandardCharsets.ISO_8859_1);
        return new Entry(new KernelExports(id, layout, list, source, ranges), cfg);
    }

    private static void writeRanges(DataOutputStream o, List<ImageRanges.Range> rs) throws IOException {
        o.writeInt(rs.size());
        for (ImageRanges.Range x : rs) {
            o.writeLong(x.start());
            o.writeLong(x.end());
        }
    }

    private static List<ImageRanges.Range> readRanges(DataInputStream in) throws IOException {
        int n = in.readInt();
        if (n < 0 || n > 100_000) {
            throw new IOException("bad range count");
        }
        List<ImageRanges.Range> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(new ImageRanges.Range(in.readLong(), in.readLong()));
        }
        return out;
    }
}
