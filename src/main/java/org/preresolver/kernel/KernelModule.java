package org.preresolver.kernel;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.preresolver.elf.Elf;
import org.preresolver.elf.ElfFile;
import org.preresolver.elf.FormatException;
import org.preresolver.elf.SectionHeader;
import org.preresolver.elf.Symbol;

/**
 * A kernel module ({@code .ko}), uncompressed: its ELF, {@code .modinfo}, modversions and the
 * signature trailer, if any. The ELF is parsed from the bytes before the trailer.
 *
 * @param bytes the whole file, trailer included
 * @param signature the trailer, when the module is signed
 */
public record KernelModule(byte[] bytes, ElfFile elf, ModInfo modinfo, ModVersions versions,
        Optional<ModuleSignature> signature) {

    /** Prefix of the local symbols that mark a module's own exports ({@code __ksymtab_foo}). */
    private static final String KSYMTAB_PREFIX = "__ksymtab_";

    public static KernelModule parse(byte[] bytes) throws FormatException {
        Optional<ModuleSignature> sig = ModuleSignature.parse(bytes);
        // The ELF part, parsed in place (no copy of a large module): the signature is out of range.
        int elfLength = sig.isPresent() ? sig.get().moduleLength() : bytes.length;
        ElfFile elf;
        try {
            elf = ElfFile.parse(bytes, elfLength);
        } catch (FormatException e) {
            if (sig.isEmpty()) {
                throw e;
            }
            // The ELF data ends where the signature begins: say so, the file is longer.
            throw new FormatException(null, e.offset(), e.detail().replace("end of file (" + elfLength + " bytes)",
                    "end of the module data (" + elfLength + " bytes before the signature)"), e.getCause());
        }
        if (sig.isEmpty()) {
            checkNoTruncatedSignature(elf);
        }
        if (elf.header().type() != Elf.ET_REL) {
            throw new FormatException("not a kernel module: e_type " + elf.header().type() + " is not ET_REL", 16);
        }
        if (!elf.hasSymbolTable()) {
            throw new FormatException("no .symtab section");
        }
        ModInfo info = ModInfo.empty();
        Optional<SectionHeader> mi = elf.section(".modinfo");
        if (mi.isPresent()) {
            info = ModInfo.parse(elf.sectionBytes(mi.get()));
        }
        return new KernelModule(bytes, elf, info, ModVersions.read(elf), sig);
    }

    /**
     * A signed module cut short loses the marker at its end and would pass for an unsigned module
     * with a PKCS#7 message (a DER SEQUENCE, 0x30) after its ELF contents: refuse to guess.
     */
    private static void checkNoTruncatedSignature(ElfFile elf) throws FormatException {
        var h = elf.header();
        long end = h.shoff() + (long) h.shnum() * h.shentsize(); // the parser has checked the table fits
        for (SectionHeader s : elf.sections()) {
            long e = s.offset() + s.fileSize(); // unchecked sections may be absurd: ignore those
            if (s.offset() >= 0 && s.fileSize() >= 0 && e >= 0) {
                end = Math.max(end, e);
            }
        }
        byte[] data = elf.data();
        if (end < elf.length() && data[(int) end] == 0x30) {
            throw new FormatException((elf.length() - end) + " bytes after the ELF contents look like a truncated "
                    + "module signature (no \"~Module signature appended~\" marker at the end of the file)", end);
        }
    }

    /** The module name: {@code .modinfo} {@code name=}, else "". */
    public String name() {
        return modinfo.get("name").orElse("");
    }

    public boolean isSigned() {
        return signature.isPresent();
    }

    /**
     * What a module exports, found cheaply: the {@code .modinfo} and the {@code __ksymtab_NAME}
     * symbols, without decoding the rest of the symbol table. For a first pass over a whole tree.
     *
     * @param name the module name ({@code name=}), "" if absent
     * @param gplCompatible its licence is GPL-compatible
     * @param exports the symbols it exports
     */
    public record Exports(String name, boolean gplCompatible, List<String> exports) {}

    /** Scans an uncompressed module file (signed or not) for {@link Exports}. */
    public static Exports scanExports(byte[] bytes) throws FormatException {
        ElfFile elf = ElfFile.parse(bytes);
        return scanExports(elf, elf.section(".modinfo").map(s -> ModInfo.parse(elf.sectionBytes(s)))
                .orElse(ModInfo.empty()));
    }

    /** This module's {@link Exports}, from the parse it already has. */
    public Exports exports() throws FormatException {
        return scanExports(elf, modinfo);
    }

    private static Exports scanExports(ElfFile elf, ModInfo info) throws FormatException {
        List<String> out = new ArrayList<>();
        SectionHeader symtab = null;
        for (SectionHeader s : elf.sections()) {
            if (s.type() == Elf.SHT_SYMTAB) {
                symtab = s;
            }
        }
        // An SHT_NOBITS "string table" is not range-checked by ElfFile.parse and may point anywhere;
        // anything but SHT_STRTAB is left for the symbol table's decoder to report.
        if (symtab != null && symtab.link() > 0 && symtab.link() < elf.sections().size()
                && elf.sections().get(symtab.link()).type() == Elf.SHT_STRTAB) {
            SectionHeader str = elf.sections().get(symtab.link());
            byte[] d = elf.data();
            boolean is64 = elf.header().is64();
            boolean little = elf.header().order() == java.nio.ByteOrder.LITTLE_ENDIAN;
            int ent = is64 ? 24 : 16;
            byte[] prefix = KSYMTAB_PREFIX.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            for (long e = symtab.offset(); e + ent <= symtab.offset() + symtab.size(); e += ent) {
                long name = org.preresolver.elf.ByteReader.u32(d, (int) e, little);
                int shndx = org.preresolver.elf.ByteReader.u16(d, (int) e + (is64 ? 6 : 14), little);
                if (name == 0 || shndx == Elf.SHN_UNDEF || name + prefix.length >= str.size()) {
                    continue;
                }
                int at = (int) (str.offset() + name);
                if (java.util.Arrays.equals(d, at, at + prefix.length, prefix, 0, prefix.length)) {
                    String full = elf.reader().cstring(at, str.offset() + str.size(), "symbol name");
                    out.add(full.substring(prefix.length));
                }
            }
        }
        return new Exports(info.get("name").orElse(""), info.isGplCompatible(), out);
    }

    /** Names this module exports itself (from its {@code __ksymtab_NAME} symbols). */
    public List<String> exportedNames() throws FormatException {
        List<String> out = new ArrayList<>();
        for (Symbol s : elf.symbolTable().symbols()) {
            if (s.name().startsWith(KSYMTAB_PREFIX) && s.shndx() != Elf.SHN_UNDEF) {
                out.add(s.name().substring(KSYMTAB_PREFIX.length()));
            }
        }
        return out;
    }
}
