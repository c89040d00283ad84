package org.preresolver.kernel;

import java.util.Optional;
import org.preresolver.elf.ByteReader;
import org.preresolver.elf.Elf;

/**
 * How an architecture's module loader applies {@code SHT_RELA} relocations: one table per
 * architecture, a row per relocation type (by its {@code R_*} name) with its formula and the
 * field it writes, after {@code arch/x86/kernel/module.c} ({@code __write_relocate_add}) and
 * {@code arch/arm64/kernel/module.c} ({@code apply_relocate_add}).
 *
 * <p>The loader's result for one relocation is a function of the type, the place {@code P} and
 * the value {@code S + A} alone; that is what makes rewriting a relocation onto another symbol
 * with a compensating addend sound. The rewriter asks {@link #knows} before it touches a
 * relocation, and the build-time simulation applies the same rows, so a type that is not in the
 * table is never rewritten and never guessed.
 */
public final class LoaderRelocations {
    /** How the value written is computed from {@code S + A} and the place {@code P}. */
    public enum Op {
        /** Nothing is written. */
        NONE,
        /** {@code S + A}. */
        ABS,
        /** {@code S + A - P}. */
        PREL,
        /** {@code Page(S + A) - Page(P)}, 4 KiB pages (AArch64 ADRP). */
        PAGE
    }

    /** The kinds of field a row writes. */
    public enum Field {
        NONE, DATA16, DATA32, DATA64,
        /** AArch64 instruction immediates, as {@code enum aarch64_insn_imm_type}. */
        IMM_26, IMM_19, IMM_16, IMM_14, IMM_12, IMM_ADR
    }

    /**
     * One relocation type.
     *
     * @param code {@code ELF64_R_TYPE}
     * @param name the {@code R_*} name
     * @param op the formula
     * @param field what is written
     * @param lsb for instruction immediates, the low bit of the value taken (the value is shifted right by it)
     * @param check the range the loader requires of the value; outside it the loader refuses the
     *     module (AArch64 branches go through a PLT entry instead)
     */
    public record Type(int code, String name, Op op, Field field, int lsb, Check check) {}

    /** The overflow rule of a row. */
    public enum Check {
        /** Truncated without a check ({@code _NC} types, full-width data). */
        NONE,
        /** The (shifted) value must fit the field unsigned. */
        UNSIGNED,
        /** The (shifted) value must fit the field as a signed number. */
        SIGNED,
        /**
         * Either signed or unsigned ({@code [-2^(n-1), 2^n)}), as the AArch64 psABI documents
         * {@code ABS32}/{@code ABS16}; no modelled loader uses it (Linux's arm64 {@code reloc_data()}
         * takes them unsigned).
         */
        EITHER
    }

    private final int machine;
    /** The rows by type code: every modelled code is below 512 (AArch64's run to 311). */
    private final Type[] types = new Type[512];

    private LoaderRelocations(int machine) {
        this.machine = machine;
    }

    private LoaderRelocations row(int code, String name, Op op, Field field, int lsb, Check check) {
        types[code] = new Type(code, name, op, field, lsb, check);
        return this;
    }

    private static final LoaderRelocations X86_64 = new LoaderRelocations(Elf.EM_X86_64)
            .row(0, "R_X86_64_NONE", Op.NONE, Field.NONE, 0, Check.NONE)
            .row(1, "R_X86_64_64", Op.ABS, Field.DATA64, 0, Check.NONE)
            .row(2, "R_X86_64_PC32", Op.PREL, Field.DATA32, 0, Check.NONE)
            .row(4, "R_X86_64_PLT32", Op.PREL, Field.DATA32, 0, Check.NONE)
            .row(10, "R_X86_64_32", Op.ABS, Field.DATA32, 0, Check.UNSIGNED)
            .row(11, "R_X86_64_32S", Op.ABS, Field.DATA32, 0, Check.SIGNED)
            .row(24, "R_X86_64_PC64", Op.PREL, Field.DATA64, 0, Check.NONE);

    private static final LoaderRelocations AARCH64 = new LoaderRelocations(Elf.EM_AARCH64)
            // arch/arm64/kernel/module.c of Linux 6.1 (Debian 6.1.192), apply_relocate_add() and its helpers
            // reloc_data(), reloc_insn_movw(), reloc_insn_imm(), reloc_insn_adrp(); see docs/architectures.md.
            .row(0, "R_ARM_NONE", Op.NONE, Field.NONE, 0, Check.NONE)
            .row(256, "R_AARCH64_NONE", Op.NONE, Field.NONE, 0, Check.NONE)
            .row(257, "R_AARCH64_ABS64", Op.ABS, Field.DATA64, 0, Check.NONE)
            // reloc_data(RELOC_OP_ABS, 32 / 16): -ERANGE unless 0 <= S + A <= U32_MAX / U16_MAX.
            .row(258, "R_AARCH64_ABS32", Op.ABS, Field.DATA32, 0, Check.UNSIGNED)
            .row(259, "R_AARCH64_ABS16", Op.ABS, Field.DATA16, 0, Check.UNSIGNED)
            .row(260, "R_AARCH64_PREL64", Op.PREL, Field.DATA64, 0, Check.NONE)
            .row(261, "R_AARCH64_PREL32", Op.PREL, Field.DATA32, 0, Check.SIGNED)
            .row(262, "R_AARCH64_PREL16", Op.PREL, Field.DATA16, 0, Check.SIGNED)
            .row(263, "R_AARCH64_MOVW_UABS_G0", Op.ABS, Field.IMM_16, 0, Check.UNSIGNED)
            .row(264, "R_AARCH64_MOVW_UABS_G0_NC", Op.ABS, Field.IMM_16, 0, Check.NONE)
            .row(265, "R_AARCH64_MOVW_UABS_G1", Op.ABS, Field.IMM_16, 16, Check.UNSIGNED)
            .row(266, "R_AARCH64_MOVW_UABS_G1_NC", Op.ABS, Field.IMM_16, 16, Check.NONE)
            .row(267, "R_AARCH64_MOVW_UABS_G2", Op.ABS, Field.IMM_16, 32, Check.UNSIGNED)
            .row(268, "R_AARCH64_MOVW_UABS_G2_NC", Op.ABS, Field.IMM_16, 32, Check.NONE)
            .row(269, "R_AARCH64_MOVW_UABS_G3", Op.ABS, Field.IMM_16, 48, Check.NONE)
            .row(273, "R_AARCH64_LD_PREL_LO19", Op.PREL, Field.IMM_19, 2, Check.SIGNED)
            .row(274, "R_AARCH64_ADR_PREL_LO21", Op.PREL, Field.IMM_ADR, 0, Check.SIGNED)
            .row(275, "R_AARCH64_ADR_PREL_PG_HI21", Op.PAGE, Field.IMM_ADR, 12, Check.SIGNED)
            .row(276, "R_AARCH64_ADR_PREL_PG_HI21_NC", Op.PAGE, Field.IMM_ADR, 12, Check.NONE)
            .row(277, "R_AARCH64_ADD_ABS_LO12_NC", Op.ABS, Field.IMM_12, 0, Check.NONE)
            .row(278, "R_AARCH64_LDST8_ABS_LO12_NC", Op.ABS, Field.IMM_12, 0, Check.NONE)
            .row(279, "R_AARCH64_TSTBR14", Op.PREL, Field.IMM_14, 2, Check.SIGNED)
            .row(280, "R_AARCH64_CONDBR19", Op.PREL, Field.IMM_19, 2, Check.SIGNED)
            .row(282, "R_AARCH64_JUMP26", Op.PREL, Field.IMM_26, 2, Check.SIGNED)
            .row(283, "R_AARCH64_CALL26", Op.PREL, Field.IMM_26, 2, Check.SIGNED)
            .row(284, "R_AARCH64_LDST16_ABS_LO12_NC", Op.ABS, Field.IMM_12, 1, Check.NONE)
            .row(285, "R_AARCH64_LDST32_ABS_LO12_NC", Op.ABS, Field.IMM_12, 2, Check.NONE)
            .row(286, "R_AARCH64_LDST64_ABS_LO12_NC", Op.ABS, Field.IMM_12, 3, Check.NONE)
            .row(299, "R_AARCH64_LDST128_ABS_LO12_NC", Op.ABS, Field.IMM_12, 4, Check.NONE);

    /** The table of an architecture whose loader this tool models, if any. */
    public static Optional<LoaderRelocations> of(int machine) {
        return switch (machine) {
            case Elf.EM_X86_64 -> Optional.of(X86_64);
            case Elf.EM_AARCH64 -> Optional.of(AARCH64);
            default -> Optional.empty();
        };
    }

    public int machine() {
        return machine;
    }

    public boolean knows(int type) {
        return type >= 0 && type < types.length && types[type] != null;
    }

    public Optional<Type> type(int code) {
        return Optional.ofNullable(knows(code) ? types[code] : null);
    }

    /** The type's {@code R_*} name, or its number in hex. */
    public String name(int code) {
        Type t = knows(code) ? types[code] : null;
        return t != null ? t.name() : "type 0x" + Integer.toHexString(code);
    }

    /** The value the loader computes for a relocation: the formula applied to {@code S + A} and {@code P}. */
    public static long value(Op op, long symbolPlusAddend, long place) {
        return switch (op) {
            case NONE -> 0;
            case ABS -> symbolPlusAddend;
            case PREL -> symbolPlusAddend - place;
            case PAGE -> (symbolPlusAddend & ~0xfffL) - (place & ~0xfffL);
        };
    }

    /**
     * Writes one relocation as the loader does, into {@code image} at {@code off} (little-endian,
     * as both modelled architectures' kernels are). Returns false where the loader would find the
     * value out of range: x86_64 refuses the module, AArch64 branches through a PLT entry instead.
     */
    public static boolean apply(Type t, byte[] image, int off, long value) {
        long v = value >> t.lsb();
        switch (t.field()) {
            case NONE:
                return true;
            case DATA64:
                ByteReader.put64(image, off, value, true);
                return true;
            case DATA32:
                ByteReader.put32(image, off, value, true);
                return fits(value, 32, t.check());
            case DATA16:
                ByteReader.put16(image, off, (int) (value & 0xffff), true);
                return fits(value, 16, t.check());
            default:
                break;
        }
        long insn = ByteReader.u32(image, off, true);
        int len = switch (t.field()) {
            case IMM_26 -> 26;
            case IMM_19 -> 19;
            case IMM_16 -> 16;
            case IMM_14 -> 14;
            // LDSTn_ABS_LO12_NC: reloc_insn_imm(..., lsb, 12 - lsb, IMM_12) keeps bits [lsb, 12) of S + A
            // only, so the top lsb bits of the 12-bit field are zero.
            case IMM_12 -> 12 - t.lsb();
            case IMM_ADR -> 21;
            default -> throw new IllegalStateException(t.field().name());
        };
        long imm = v & ((1L << len) - 1);
        long out = switch (t.field()) {
            case IMM_26 -> (insn & ~0x03ffffffL) | imm;
            case IMM_19 -> (insn & ~(0x7ffffL << 5)) | (imm << 5);
            case IMM_16 -> (insn & ~(0xffffL << 5)) | (imm << 5);
            case IMM_14 -> (insn & ~(0x3fffL << 5)) | (imm << 5);
            case IMM_12 -> (insn & ~(0xfffL << 10)) | (imm << 10);
            case IMM_ADR -> (insn & ~((0x3L << 29) | (0x7ffffL << 5))) | ((imm & 3) << 29) | ((imm >> 2) << 5);
            default -> insn;
        };
        ByteReader.put32(image, off, out, true);
        return fits(v, len, t.check());
    }

    private static boolean fits(long value, int bits, Check check) {
        boolean unsigned = (value >>> bits) == 0;
        long hi = value >> (bits - 1);
        boolean signed = hi == 0 || hi == -1;
        return switch (check) {
            case NONE -> true;
            case UNSIGNED -> unsigned;
            case SIGNED -> signed;
            case EITHER -> unsigned || signed;
        };
    }
}
