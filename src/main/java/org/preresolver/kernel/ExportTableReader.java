package org.preresolver.kernel;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.preresolver.elf.ByteReader;
import org.preresolver.elf.Elf;
import org.preresolver.elf.ElfFile;
import org.preresolver.elf.FormatException;
import org.preresolver.elf.Relocation;
import org.preresolver.elf.SectionHeader;

/**
 * Reads the exported-symbol tables of an ELF vmlinux: {@code __ksymtab}, {@code __ksymtab_gpl},
 * {@code __ksymtab_strings}, {@code __kcrctab}, {@code __kcrctab_gpl}, and in the newest kernels
 * {@code __kflagstab}, which replaces the GPL split with a flag byte per entry.
 *
 * <p>The layout of {@code struct kernel_symbol} is detected from the data: every candidate layout
 * (absolute pointers or PREL32 offsets, two or three fields) whose entry size divides the section
 * is tried, and the one whose every name field lands on the start of a string in
 * {@code __ksymtab_strings} wins. That also tells the two 12-byte layouts of 32-bit kernels apart.
 * The CRC entry size is the {@code __kcrctab} size divided by the entry count.
 *
 * <p>Entries whose value is 0 in the file but is the target of a {@code R_*_RELATIVE} entry in
 * {@code .rela.dyn} (relocatable kernels, e.g. s390) get the relocation's addend; any that stay 0
 * are kept with address 0, which the preresolver never uses.
 */
public final class ExportTableReader {
    /** {@code include/linux/module_symbol.h} (v7.1+): one flag byte per {@code __ksymtab} entry. */
    static final int KSYM_FLAG_GPL_ONLY = 1;
    /** Proposed in the kflagstab series (v1, v2), not merged: refused to unsigned modules. */
    static final int KSYM_FLAG_PROTECTED = 2;

    private ExportTableReader() {}

    /** True if {@code vmlinux} has a {@code __ksymtab} or {@code __ksymtab_gpl} section. */
    public static boolean hasExportTables(ElfFile vmlinux) {
        return vmlinux.section("__ksymtab").isPresent() || vmlinux.section("__ksymtab_gpl").isPresent();
    }

    public static KernelExports read(ElfFile vmlinux, String source) throws FormatException {
        Optional<SectionHeader> ksym = vmlinux.section("__ksymtab");
        Optional<SectionHeader> ksymGpl = vmlinux.section("__ksymtab_gpl");
        SectionHeader strings = vmlinux.section("__ksymtab_strings")
                .orElseThrow(() -> new FormatException("no __ksymtab_strings section"));
        if (ksym.isEmpty() && ksymGpl.isEmpty()) {
            throw new FormatException("no __ksymtab or __ksymtab_gpl section: not a vmlinux with exported symbols");
        }
        Relocs relocs = Relocs.of(vmlinux);
        ExportLayout layout = detect(vmlinux, ksym.orElse(null), ksymGpl.orElse(null), strings, relocs);
        List<KernelExport> out = new ArrayList<>();
        int crcSize = 0;
        int crcSizeGpl = 0;
        SectionHeader flags = vmlinux.section("__kflagstab").orElse(null);
        if (ksym.isPresent()) {
            crcSize = readTable(vmlinux, ksym.get(), vmlinux.section("__kcrctab").orElse(null), flags, false, layout,
                    strings, relocs, out);
        }
        if (ksymGpl.isPresent() && flags == null) {
            crcSizeGpl = readTable(vmlinux, ksymGpl.get(), vmlinux.section("__kcrctab_gpl").orElse(null), null, true,
                    layout, strings, relocs, out);
        }
        int crc = Math.max(crcSize, crcSizeGpl);
        KernelIdentity id = new KernelIdentity(vmlinux.header().machine(), vmlinux.header().is64(),
                vmlinux.header().order(), KernelRelease.find(vmlinux).orElse(""),
                vmlinux.buildId().orElse(""));
        return new KernelExports(id, new ExportLayout(layout.prel32(), layout.hasNamespace(), layout.entrySize(), crc),
                out, source, ImageRanges.fromSections(vmlinux));
    }

    private static ExportLayout detect(ElfFile f, SectionHeader a, SectionHeader b, SectionHeader strings,
            Relocs relocs) throws FormatException {
        int w = f.header().wordSize();
        // Candidate layouts, most specific first.
        List<ExportLayout> candidates = List.of(
                new ExportLayout(true, true, 12, 0),
                new ExportLayout(false, true, 3 * w, 0),
                new ExportLayout(true, false, 8, 0),
                new ExportLayout(false, false, 2 * w, 0));
        StringBuilder tried = new StringBuilder();
        for (ExportLayout c : candidates) {
            if (fits(f, a, c, strings, relocs) && fits(f, b, c, strings, relocs)) {
                return c;
            }
            tried.append(tried.length() == 0 ? "" : "; ").append(c.describe());
        }
        throw new FormatException("cannot detect the __ksymtab layout (tried: " + tried + ")");
    }

    private static boolean fits(ElfFile f, SectionHeader tab, ExportLayout c, SectionHeader strings, Relocs relocs) {
        if (tab == null) {
            return true;
        }
        if (tab.size() % c.entrySize() != 0) {
            return false;
        }
        long n = tab.size() / c.entrySize();
        try {
            for (long i = 0; i < n; i++) {
                long e = tab.offset() + i * c.entrySize();
                long fieldAddr = tab.addr() + i * c.entrySize();
                int fw = c.prel32() ? 4 : f.header().wordSize();
                long name = pointer(f, e + fw, fieldAddr + fw, c, relocs);
                if (nameAt(f, strings, name) < 0) {
                    return false;
                }
                if (c.hasNamespace()) {
                    if (!noNamespace(f, e + 2L * fw, c) && stringAt(strings,
                            pointer(f, e + 2L * fw, fieldAddr + 2L * fw, c, relocs)) < 0) {
                        return false;
                    }
                }
            }
            return true;
        } catch (FormatException e) {
            return false;
        }
    }

    /**
     * File offset of the string at virtual address {@code va} in {@code strings}, or -1 when
     * {@code va} is outside it. Strings may be tail-merged ({@code SHF_MERGE|SHF_STRINGS}), so a
     * name may start in the middle of another; an empty namespace may be any NUL.
     */
    private static long stringAt(SectionHeader strings, long va) {
        long rel = va - strings.addr();
        if (rel < 0 || rel >= strings.size()) {
            return -1;
        }
        return strings.offset() + rel;
    }

    /** Like {@link #stringAt} but also requires a non-empty string, as every symbol name is. */
    private static long nameAt(ElfFile f, SectionHeader strings, long va) {
        long off = stringAt(strings, va);
        return off >= 0 && f.reader().inRange(off, 1) && f.data()[(int) off] != 0 ? off : -1;
    }

    /** A namespace field of 0 (NULL pointer or zero offset) means "no namespace". */
    private static boolean noNamespace(ElfFile f, long fileOff, ExportLayout c) throws FormatException {
        return c.prel32() ? f.reader().u32(fileOff, "namespace field") == 0
                : f.reader().word(fileOff, f.header().is64(), "namespace field") == 0;
    }

    private static long pointer(ElfFile f, long fileOff, long fieldAddr, ExportLayout c, Relocs relocs)
            throws FormatException {
        ByteReader in = f.reader();
        if (c.prel32()) {
            int rel = (int) in.u32(fileOff, "__ksymtab field");
            long v = fieldAddr + rel;
            return f.header().is64() ? v : v & 0xffffffffL;
        }
        long v = in.word(fileOff, f.header().is64(), "__ksymtab field");
        if (v == 0) {
            v = relocs.valueAt(fieldAddr);
        }
        return v;
    }

    private static int readTable(ElfFile f, SectionHeader tab, SectionHeader crcTab, SectionHeader flagTab,
            boolean gpl, ExportLayout c, SectionHeader strings, Relocs relocs, List<KernelExport> out)
            throws FormatException {
        long n = tab.size() / c.entrySize();
        if (flagTab != null && flagTab.size() != n) {
            throw new FormatException("__kflagstab has " + flagTab.size() + " entries, __ksymtab has " + n,
                    flagTab.headerOffset());
        }
        int crcSize = 0;
        if (crcTab != null && crcTab.size() > 0) {
            if (n == 0 || crcTab.size() % n != 0 || (crcTab.size() / n != 4 && crcTab.size() / n != 8)) {
                throw new FormatException(crcTab.name() + " size " + crcTab.size() + " does not match " + n + " entries of "
                        + tab.name(), crcTab.headerOffset());
            }
            crcSize = (int) (crcTab.size() / n);
        }
        int fw = c.prel32() ? 4 : f.header().wordSize();
        ByteReader in = f.reader();
        long strEnd = strings.offset() + strings.size();
        String entry = tab.name() + " entry ";
        for (long i = 0; i < n; i++) {
            long e = tab.offset() + i * c.entrySize();
            long fieldAddr = tab.addr() + i * c.entrySize();
            long value = pointer(f, e, fieldAddr, c, relocs);
            String name = in.cstring(nameAt(f, strings, pointer(f, e + fw, fieldAddr + fw, c, relocs)), strEnd,
                    entry, i, " name");
            String ns = "";
            if (c.hasNamespace()) {
                if (!noNamespace(f, e + 2L * fw, c)) {
                    long nsAddr = pointer(f, e + 2L * fw, fieldAddr + 2L * fw, c, relocs);
                    ns = in.cstring(stringAt(strings, nsAddr), strEnd, entry, i, " namespace");
                }
            }
            Long crc = null;
            if (crcSize != 0) {
                long co = crcTab.offset() + i * crcSize;
                crc = crcSize == 4 ? in.u32(co, crcTab.name()) : in.u64(co, crcTab.name()) & 0xffffffffL;
            }
            boolean gplOnly = gpl;
            boolean prot = false;
            if (flagTab != null) {
                int fl = in.u8(flagTab.offset() + i, "__kflagstab");
                gplOnly = (fl & KSYM_FLAG_GPL_ONLY) != 0;
                prot = (fl & KSYM_FLAG_PROTECTED) != 0;
            }
            out.add(new KernelExport(name, value, gplOnly, ns, crc, prot));
        }
        return crcSize;
    }

    /** {@code R_*_RELATIVE} entries of {@code .rela.dyn}, by target address; empty for most kernels. */
    private static final class Relocs {
        private final java.util.Map<Long, Long> values;

        private Relocs(java.util.Map<Long, Long> values) {
            this.values = values;
        }

        static Relocs of(ElfFile f) throws FormatException {
            java.util.Map<Long, Long> m = new java.util.HashMap<>();
            int relative = relativeType(f.header().machine());
            for (SectionHeader s : f.sections()) {
                if (s.type() == Elf.SHT_RELA && s.name().equals(".rela.dyn") && relative >= 0) {
                    for (Relocation r : f.relocations(s)) {
                        if (r.type() == relative && r.symbol() == 0) {
                            m.put(r.offset(), r.addend());
                        }
                    }
                }
            }
            return new Relocs(m);
        }

        long valueAt(long addr) {
            Long v = values.get(addr);
            return v == null ? 0 : v;
        }

        private static int relativeType(int machine) {
            return switch (machine) {
                case Elf.EM_X86_64 -> Elf.R_X86_64_RELATIVE;
                case Elf.EM_386 -> Elf.R_386_RELATIVE;
                case Elf.EM_S390 -> Elf.R_390_RELATIVE;
                case Elf.EM_AARCH64 -> Elf.R_AARCH64_RELATIVE;
                case Elf.EM_PPC64 -> Elf.R_PPC64_RELATIVE;
                case Elf.EM_PPC -> Elf.R_PPC_RELATIVE;
                case Elf.EM_ARM -> Elf.R_ARM_RELATIVE;
                case Elf.EM_RISCV -> Elf.R_RISCV_RELATIVE;
                default -> -1;
            };
        }
    }
}
