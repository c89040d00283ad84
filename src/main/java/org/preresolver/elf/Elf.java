package org.preresolver.elf;

/**
 * Constants from the ELF specification and {@code <elf.h>}, under their spec names so that code
 * can be read beside the header. Open numeric spaces ({@code e_machine}, {@code sh_type}) are
 * named by {@link #machineName(int)} and {@link #sectionTypeName(long)}, which print unknown values
 * as hex and never throw.
 */
public final class Elf {
    private Elf() {}

    public static final int EI_NIDENT = 16;
    public static final int ELFCLASS32 = 1;
    public static final int ELFCLASS64 = 2;
    public static final int ELFDATA2LSB = 1;
    public static final int ELFDATA2MSB = 2;
    public static final int EV_CURRENT = 1;

    public static final int ET_NONE = 0;
    public static final int ET_REL = 1;
    public static final int ET_EXEC = 2;
    public static final int ET_DYN = 3;

    public static final int EM_386 = 3;
    public static final int EM_MIPS = 8;
    public static final int EM_PARISC = 15;
    public static final int EM_PPC = 20;
    public static final int EM_PPC64 = 21;
    public static final int EM_S390 = 22;
    public static final int EM_ARM = 40;
    public static final int EM_SH = 42;
    public static final int EM_SPARCV9 = 43;
    public static final int EM_IA_64 = 50;
    public static final int EM_X86_64 = 62;
    public static final int EM_AARCH64 = 183;
    public static final int EM_RISCV = 243;
    public static final int EM_LOONGARCH = 258;

    // Relocation types this tool names outside the loader tables (kernel.LoaderRelocations), by machine.
    public static final int R_386_RELATIVE = 8;
    public static final int R_X86_64_RELATIVE = 8;
    public static final int R_390_RELATIVE = 12;
    public static final int R_AARCH64_RELATIVE = 1027;
    public static final int R_PPC_RELATIVE = 22;
    public static final int R_PPC64_RELATIVE = 22;
    public static final int R_PPC64_REL24 = 10;
    public static final int R_PPC64_REL24_NOTOC = 116;
    public static final int R_ARM_RELATIVE = 23;
    public static final int R_RISCV_RELATIVE = 3;

    public static final int SHN_UNDEF = 0;
    public static final int SHN_LORESERVE = 0xff00;
    public static final int SHN_LIVEPATCH = 0xff20;
    public static final int SHN_ABS = 0xfff1;
    public static final int SHN_COMMON = 0xfff2;
    public static final int SHN_XINDEX = 0xffff;

    public static final int SHT_NULL = 0;
    public static final int SHT_PROGBITS = 1;
    public static final int SHT_SYMTAB = 2;
    public static final int SHT_STRTAB = 3;
    public static final int SHT_RELA = 4;
    public static final int SHT_HASH = 5;
    public static final int SHT_DYNAMIC = 6;
    public static final int SHT_NOTE = 7;
    public static final int SHT_NOBITS = 8;
    public static final int SHT_REL = 9;
    public static final int SHT_DYNSYM = 11;
    public static final int SHT_INIT_ARRAY = 14;
    public static final int SHT_FINI_ARRAY = 15;
    public static final int SHT_GROUP = 17;
    public static final int SHT_SYMTAB_SHNDX = 18;

    public static final long SHF_WRITE = 0x1;
    public static final long SHF_ALLOC = 0x2;
    public static final long SHF_EXECINSTR = 0x4;
    public static final long SHF_INFO_LINK = 0x40;
    public static final long SHF_RELA_LIVEPATCH = 0x00100000;

    public static final int STB_LOCAL = 0;
    public static final int STB_GLOBAL = 1;
    public static final int STB_WEAK = 2;

    public static final int STT_NOTYPE = 0;
    public static final int STT_OBJECT = 1;
    public static final int STT_FUNC = 2;
    public static final int STT_SECTION = 3;
    public static final int STT_FILE = 4;

    public static final int NT_GNU_BUILD_ID = 3;

    public static String machineName(int machine) {
        return switch (machine) {
            case EM_386 -> "i386";
            case EM_MIPS -> "mips";
            case EM_PARISC -> "parisc";
            case EM_PPC -> "ppc";
            case EM_PPC64 -> "ppc64";
            case EM_S390 -> "s390";
            case EM_ARM -> "arm";
            case EM_SH -> "sh";
            case EM_SPARCV9 -> "sparc64";
            case EM_IA_64 -> "ia64";
            case EM_X86_64 -> "x86_64";
            case EM_AARCH64 -> "aarch64";
            case EM_RISCV -> "riscv";
            case EM_LOONGARCH -> "loongarch";
            default -> "machine 0x" + Integer.toHexString(machine);
        };
    }

    public static String sectionTypeName(long type) {
        return switch ((int) type) {
            case SHT_NULL -> "NULL";
            case SHT_PROGBITS -> "PROGBITS";
            case SHT_SYMTAB -> "SYMTAB";
            case SHT_STRTAB -> "STRTAB";
            case SHT_RELA -> "RELA";
            case SHT_NOTE -> "NOTE";
            case SHT_NOBITS -> "NOBITS";
            case SHT_REL -> "REL";
            case SHT_DYNSYM -> "DYNSYM";
            case SHT_SYMTAB_SHNDX -> "SYMTAB_SHNDX";
            default -> "0x" + Long.toHexString(type);
        };
    }
}
