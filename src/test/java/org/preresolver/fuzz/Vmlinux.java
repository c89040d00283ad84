package org.preresolver.fuzz;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.preresolver.elf.ByteReader;
import org.preresolver.elf.Elf;
import org.preresolver.kernel.KernelExport;
import org.preresolver.testing.ElfWriter;

/**
 * Small synthetic vmlinux files with the export tables of every layout {@code ExportTableReader}
 * knows, a kernel banner, an IKCONFIG blob and a build-id, and an x86 bzImage wrapper.
 */
final class Vmlinux {
    private Vmlinux() {}

    /** The export-table layouts, with the machine that uses each. */
    enum Layout {
        /** x86_64 5.4+: 12-byte PREL32 entries with namespace, u32 CRCs. */
        PREL32_NS(true, true, true, true, Elf.EM_X86_64),
        /** arm64 4.19-5.3: 8-byte PREL32 entries. */
        PREL32(true, true, true, false, Elf.EM_AARCH64),
        /** x86_64 before 4.19: absolute pointers, 8-byte CRCs. */
        ABS64(true, true, false, false, Elf.EM_X86_64),
        /** ppc32 5.4+: absolute 32-bit pointers with namespace, big-endian. */
        ABS32_NS_BE(false, false, false, true, Elf.EM_PPC),
        /** Newest kernels: one __ksymtab with __kflagstab. */
        KFLAGSTAB(true, true, true, true, Elf.EM_X86_64),
        /** s390: absolute pointers filled by R_390_RELATIVE entries in .rela.dyn. */
        RELA_DYN(true, false, false, true, Elf.EM_S390);

        final boolean is64;
        final boolean little;
        final boolean prel32;
        final boolean ns;
        final int machine;

        Layout(boolean is64, boolean little, boolean prel32, boolean ns, int machine) {
            this.is64 = is64;
            this.little = little;
            this.prel32 = prel32;
            this.ns = ns;
            this.machine = machine;
        }
    }

    /** The release in the banner of a synthetic vmlinux that stands for no real kernel. */
    static final String SYNTHETIC_RELEASE = "6.1.0-0-synthetic";

    static String banner(String release) {
        return "Linux version " + release + " (debian-kernel@lists.debian.org) (gcc-12) #1 SMP";
    }

    static byte[] build(Layout l, List<KernelExport> exports) throws IOException {
        return build(l, exports, SYNTHETIC_RELEASE);
    }

    /** @param release the release string of its banner (the seeds use the real kernel's) */
    static byte[] build(Layout l, List<KernelExport> exports, String release) throws IOException {
        long base = l.is64 ? 0xffffffff81000000L : 0xc0000000L;
        int w = l.is64 ? 8 : 4;
        int fw = l.prel32 ? 4 : w;
        int entry = fw * (l.ns ? 3 : 2);
        List<KernelExport> sorted = new ArrayList<>(exports);
        sorted.sort(Comparator.comparing(KernelExport::name));
        List<KernelExport> plain = new ArrayList<>();
        List<KernelExport> gpl = new ArrayList<>();
        for (KernelExport e : sorted) {
            (e.gplOnly() && l != Layout.KFLAGSTAB ? gpl : plain).add(e);
        }
        long textAddr = base;
        long rodataAddr = base + 0x1000;
        long ksymAddr = base + 0x2000;
        long ksymGplAddr = base + 0x3000;
        long strAddr = base + 0x6000;

        ByteArrayOutputStream str = new ByteArrayOutputStream();
        str.write(0); // the empty namespace
        Map<String, Long> strOff = new HashMap<>();
        for (KernelExport e : sorted) {
            for (String s : new String[] {e.name(), e.namespace()}) {
                if (!s.isEmpty() && !strOff.containsKey(s)) {
                    strOff.put(s, (long) str.size());
                    str.writeBytes(s.getBytes(StandardCharsets.ISO_8859_1));
                    str.write(0);
                }
            }
        }
        List<long[]> relocs = new ArrayList<>();
        ElfWriter e = new ElfWriter(l.is64, l.little, Elf.ET_EXEC, l.machine);
        e.add(".text", Elf.SHT_PROGBITS, Elf.SHF_ALLOC | Elf.SHF_EXECINSTR, textAddr, new byte[0x100], 0, 0, 16, 0);
        e.add(".rodata", Elf.SHT_PROGBITS, Elf.SHF_ALLOC, rodataAddr, rodata(release), 0, 0, 16, 0);
        e.add("__ksymtab", Elf.SHT_PROGBITS, Elf.SHF_ALLOC, ksymAddr,
                table(l, plain, ksymAddr, textAddr, strAddr, strOff, entry, fw, relocs), 0, 0, 4, 0);
        if (!gpl.isEmpty()) {
            e.add("__ksymtab_gpl", Elf.SHT_PROGBITS, Elf.SHF_ALLOC, ksymGplAddr,
                    table(l, gpl, ksymGplAddr, textAddr + 0x80, strAddr, strOff, entry, fw, relocs), 0, 0, 4, 0);
        }
        int crcSize = l == Layout.ABS64 ? 8 : 4;
        e.add("__kcrctab", Elf.SHT_PROGBITS, Elf.SHF_ALLOC, base + 0x4000, crcs(plain, crcSize, l.little), 0, 0, 4, 0);
        if (!gpl.isEmpty()) {
            e.add("__kcrctab_gpl", Elf.SHT_PROGBITS, Elf.SHF_ALLOC, base + 0x5000, crcs(gpl, crcSize, l.little), 0, 0,
                    4, 0);
        }
        e.add("__ksymtab_strings", Elf.SHT_PROGBITS, Elf.SHF_ALLOC | 0x30, strAddr, str.toByteArray(), 0, 0, 1, 1);
        if (l == Layout.KFLAGSTAB) {
            byte[] flags = new byte[plain.size()];
            for (int i = 0; i < flags.length; i++) {
                flags[i] = (byte) ((plain.get(i).gplOnly() ? 1 : 0) | (i == 0 ? 2 : 0));
            }
            e.add("__kflagstab", Elf.SHT_PROGBITS, Elf.SHF_ALLOC, base + 0x7000, flags, 0, 0, 1, 0);
        }
        byte[] note = new byte[12 + 4 + 20];
        ByteReader.put32(note, 0, 4, l.little);
        ByteReader.put32(note, 4, 20, l.little);
        ByteReader.put32(note, 8, Elf.NT_GNU_BUILD_ID, l.little);
        System.arraycopy("GNU\0".getBytes(StandardCharsets.ISO_8859_1), 0, note, 12, 4);
        for (int i = 0; i < 20; i++) {
            note[16 + i] = (byte) (i * 13 + 1);
        }
        e.add(".notes", Elf.SHT_NOTE, Elf.SHF_ALLOC, base + 0x8000, note, 0, 0, 4, 0);
        if (!relocs.isEmpty()) {
            long[][] rows = relocs.toArray(new long[0][]);
            e.add(".rela.dyn", Elf.SHT_RELA, Elf.SHF_ALLOC, base + 0x9000, e.rela(rows), 0, 0, 8, 24);
        }
        return e.build();
    }

    private static byte[] rodata(String release) throws IOException {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        o.writeBytes("Linux version %s (%s)\n\0".getBytes(StandardCharsets.ISO_8859_1));
        o.writeBytes(banner(release).getBytes(StandardCharsets.ISO_8859_1));
        o.write(0);
        o.writeBytes("IKCFG_ST".getBytes(StandardCharsets.ISO_8859_1));
        o.writeBytes(Seeds.Compressor.GZIP.compress(
                "CONFIG_RANDOMIZE_BASE=y\nCONFIG_MODVERSIONS=y\n# CONFIG_X is not set\n".getBytes(StandardCharsets.ISO_8859_1)));
        o.writeBytes("IKCFG_ED".getBytes(StandardCharsets.ISO_8859_1));
        return o.toByteArray();
    }

    private static byte[] table(Layout l, List<KernelExport> list, long tabAddr, long valueBase, long strAddr,
            Map<String, Long> strOff, int entry, int fw, List<long[]> relocs) {
        byte[] t = new byte[list.size() * entry];
        for (int i = 0; i < list.size(); i++) {
            KernelExport x = list.get(i);
            long field = tabAddr + (long) i * entry;
            long value = valueBase + 8L * i;
            long name = strAddr + strOff.get(x.name());
            long ns = x.hasNamespace() ? strAddr + strOff.get(x.namespace()) : (i % 2 == 0 ? strAddr : 0);
            long[] targets = l.ns ? new long[] {value, name, ns} : new long[] {value, name};
            for (int f = 0; f < targets.length; f++) {
                int off = i * entry + f * fw;
                long fieldAddr = field + (long) f * fw;
                if (l.prel32) {
                    ByteReader.put32(t, off, targets[f] == 0 ? 0 : targets[f] - fieldAddr, l.little);
                } else if (l == Layout.RELA_DYN && f < 2) {
                    relocs.add(new long[] {fieldAddr, 0, 12, targets[f]}); // R_390_RELATIVE, field stays 0
                } else {
                    ByteReader.putWord(t, off, targets[f], l.is64, l.little);
                }
            }
        }
        return t;
    }

    private static byte[] crcs(List<KernelExport> list, int size, boolean little) {
        byte[] c = new byte[list.size() * size];
        for (int i = 0; i < list.size(); i++) {
            ByteReader.putWord(c, i * size, list.get(i).crc(), size == 8, little);
        }
        return c;
    }

    /**
     * An x86 bzImage around a compressed payload: boot protocol 2.15, one setup sector, the
     * payload at {@code payload_offset} in the protected-mode part, kbuild's appended size.
     */
    static byte[] bzImage(byte[] payload) {
        int setupSects = 1;
        int pm = (setupSects + 1) * 512;
        int payloadOffset = 0x40;
        byte[] out = new byte[pm + payloadOffset + payload.length + 4];
        out[0x1f1] = (byte) setupSects;
        out[0x202] = 'H';
        out[0x203] = 'd';
        out[0x204] = 'r';
        out[0x205] = 'S';
        ByteReader.put16(out, 0x206, 0x20f, true);
        ByteReader.put32(out, 0x248, payloadOffset, true);
        ByteReader.put32(out, 0x24c, payload.length, true);
        System.arraycopy(payload, 0, out, pm + payloadOffset, payload.length);
        ByteReader.put32(out, out.length - 4, 12345, true);
        return out;
    }
}
