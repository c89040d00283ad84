package org.preresolver.kernel;

import org.preresolver.elf.ByteReader;
import org.preresolver.elf.ElfFile;
import org.preresolver.elf.FormatException;

/**
 * A kernel image as given on the command line, reduced to the ELF vmlinux inside it.
 *
 * <p>Accepted forms: an ELF {@code vmlinux}; an x86 {@code bzImage}/{@code vmlinuz}, whose
 * payload is found through the real-mode setup header (boot protocol 2.08+: {@code payload_offset}
 * at 0x248 and {@code payload_length} at 0x24c, relative to the protected-mode code at
 * {@code (setup_sects + 1) * 512}); a compressed vmlinux (gzip, xz, zstd, bzip2, lzma, lz4).
 *
 * @param vmlinux the ELF vmlinux
 * @param form how it was found, for messages: "ELF vmlinux", "bzImage, xz payload"
 */
public record KernelImage(ElfFile vmlinux, String form) {

    /**
     * An ELF vmlinux of {@code size} bytes read through {@code read} with only the sections the kernel
     * side looks at ({@link #isRead}): about 5 MB of Debian's 65 MB amd64 vmlinux, so that the run
     * neither reads nor allocates the rest. Null when it must be read whole ({@link #parse}): not an
     * ELF file, a table out of range, or no {@code .rodata} (the release banner is then looked for in
     * the whole file).
     */
    public static KernelImage parseCompact(long size, ElfFile.Reader read) throws FormatException, java.io.IOException {
        ElfFile f = ElfFile.parseCompact(size, read, KernelImage::isRead);
        if (f == null || f.section(".rodata").filter(s -> s.fileSize() > 0).isEmpty()) {
            return null;
        }
        return new KernelImage(f, "ELF vmlinux");
    }

    /**
     * The sections of vmlinux that are read: the export tables ({@link ExportTableReader}: symbols,
     * strings, CRCs, flags, and {@code .rela.dyn} for relocatable kernels), {@code .rodata} (the
     * release banner, {@link KernelRelease}, and IKCONFIG, {@link KernelConfig}) and the notes (the
     * build id).
     */
    static boolean isRead(String name, int type) {
        return type == org.preresolver.elf.Elf.SHT_NOTE || switch (name) {
            case "__ksymtab", "__ksymtab_gpl", "__ksymtab_strings", "__kcrctab", "__kcrctab_gpl", "__kflagstab",
                    ".rela.dyn", ".rodata" -> true;
            default -> false;
        };
    }

    /** Parses {@code data}. Errors name offsets; the caller adds the file name. */
    public static KernelImage parse(byte[] data) throws FormatException {
        return parse(data, Compression.DEFAULT_LIMIT);
    }

    public static KernelImage parse(byte[] data, long limit) throws FormatException {
        if (ElfFile.isElf(data)) {
            return new KernelImage(ElfFile.parse(data), "ELF vmlinux");
        }
        if (isBzImage(data)) {
            ByteReader in = new ByteReader(data, java.nio.ByteOrder.LITTLE_ENDIAN);
            int version = in.u16(0x206, "boot protocol version");
            if (version < 0x208) {
                throw new FormatException(String.format("bzImage boot protocol %d.%02d has no payload fields (2.08+ needed)",
                        version >> 8, version & 0xff), 0x206);
            }
            int setupSects = in.u8(0x1f1, "setup_sects");
            if (setupSects == 0) {
                setupSects = 4;
            }
            long pm = (setupSects + 1L) * 512;
            long payloadOffset = in.u32(0x248, "payload_offset");
            long payloadLength = in.u32(0x24c, "payload_length");
            long start = pm + payloadOffset;
            in.check(start, payloadLength, "bzImage payload");
            Compression c = Compression.detect(data, (int) start);
            if (c == Compression.NONE) {
                throw new FormatException("bzImage payload has no known compression magic", start);
            }
            // kbuild's size_append: the uncompressed size, little-endian, in the payload's last 4 bytes.
            long size = payloadLength >= 4 ? in.u32(start + payloadLength - 4, "payload size") : -1;
            byte[] elf = c.decompress(data, (int) start, (int) payloadLength, limit, size);
            if (!ElfFile.isElf(elf)) {
                throw new FormatException("bzImage " + c.label() + " payload is not an ELF vmlinux", start);
            }
            return new KernelImage(ElfFile.parse(elf), "bzImage, " + c.label() + " payload");
        }
        Compression c = Compression.detect(data);
        if (c != Compression.NONE) {
            byte[] inner = c.decompress(data, 0, data.length, limit);
            if (ElfFile.isElf(inner)) {
                return new KernelImage(ElfFile.parse(inner), c.label() + "-compressed ELF vmlinux");
            }
            throw new FormatException(c.label() + "-compressed data is not an ELF vmlinux", 0);
        }
        throw new FormatException("not an ELF vmlinux, an x86 bzImage or a compressed vmlinux; for other images "
                + "use --symvers Module.symvers with --system-map System.map", 0);
    }

    /** True if {@code data} has the x86 setup header signature "HdrS" at 0x202. */
    public static boolean isBzImage(byte[] data) {
        return data.length > 0x250 && data[0x202] == 'H' && data[0x203] == 'd' && data[0x204] == 'r'
                && data[0x205] == 'S';
    }
}
