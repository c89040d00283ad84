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
        byte[] elfBytes = sig.isPresent() ? java.util.Arrays.copyOf(bytes, sig.get().moduleLength()) : bytes;
        ElfFile elf = ElfFile.parse(elfBytes);
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
        long end = Math.addExact(h.shoff(), Math.multiplyExact((long) h.shnum(), h.shentsize()));
        for (SectionHeader s : elf.sections()) {
            end = Math.max(end, Math.addExact(s.offset(), s.fileSize()));
        }
        byte[] data = elf.data();
        if (end < data.length && data[(int) end] == 0x30) {
            throw new FormatException((data.length - end) + " bytes after the ELF contents look like a truncated "
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
