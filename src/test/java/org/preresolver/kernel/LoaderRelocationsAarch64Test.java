package org.preresolver.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.preresolver.elf.ByteReader;
import org.preresolver.elf.Elf;

/**
 * Rows of the AArch64 table against Linux 6.1's {@code arch/arm64/kernel/module.c} (Debian
 * linux-source-6.1 6.1.192-3), worked by hand from the C: {@code reloc_data()} and
 * {@code reloc_insn_imm()}. Instruction words are real encodings ({@code ldr x0, [x1]} =
 * 0xf9400020, {@code ldrh w0, [x1]} = 0x79400020).
 */
class LoaderRelocationsAarch64Test {
    private static final LoaderRelocations T = LoaderRelocations.of(Elf.EM_AARCH64).orElseThrow();

    private static LoaderRelocations.Type type(String name) {
        for (int code = 0; code < 512; code++) {
            var t = T.type(code);
            if (t.isPresent() && t.get().name().equals(name)) {
                return t.get();
            }
        }
        throw new AssertionError(name);
    }

    private static long applied(String name, long insn, long value, boolean[] fits) {
        byte[] b = new byte[8];
        ByteReader.put32(b, 0, insn, true);
        fits[0] = LoaderRelocations.apply(type(name), b, 0, value);
        return ByteReader.u32(b, 0, true);
    }

    @Test
    void ldst64Lo12KeepsOnlyBitsThreeToElevenOfTheValue() {
        // reloc_insn_imm(RELOC_OP_ABS, loc, val, 3, 9, IMM_12): imm = (val >> 3) & 0x1ff.
        // val = 0xffff800009a3fff8: (val >> 3) & 0x1ff = 0x1ff; bit 12 of val (set) must not reach the field.
        boolean[] fits = new boolean[1];
        long out = applied("R_AARCH64_LDST64_ABS_LO12_NC", 0xf9400020L, 0xffff800009a3fff8L, fits);
        assertThat(out).isEqualTo(0xf9400020L | (0x1ffL << 10));
        assertThat(fits[0]).isTrue();
    }

    @Test
    void ldst16Lo12KeepsElevenBits() {
        // reloc_insn_imm(RELOC_OP_ABS, loc, val, 1, 11, IMM_12): imm = (val >> 1) & 0x7ff.
        boolean[] fits = new boolean[1];
        long out = applied("R_AARCH64_LDST16_ABS_LO12_NC", 0x79400020L, 0xffff800009a31ffeL, fits);
        assertThat(out).isEqualTo(0x79400020L | (0x7ffL << 10));
    }

    @Test
    void add12KeepsTwelveBits() {
        boolean[] fits = new boolean[1];
        long out = applied("R_AARCH64_ADD_ABS_LO12_NC", 0x91000000L, 0xffff800009a31abcL, fits);
        assertThat(out).isEqualTo(0x91000000L | (0xabcL << 10));
    }

    @Test
    void abs32AndAbs16AreUnsignedInTheKernel() {
        // reloc_data(RELOC_OP_ABS, ..., 32): -ERANGE when sval < 0 || sval > U32_MAX.
        byte[] b = new byte[8];
        assertThat(LoaderRelocations.apply(type("R_AARCH64_ABS32"), b, 0, -4)).isFalse();
        assertThat(LoaderRelocations.apply(type("R_AARCH64_ABS32"), b, 0, 0xffffffffL)).isTrue();
        assertThat(LoaderRelocations.apply(type("R_AARCH64_ABS32"), b, 0, 0x100000000L)).isFalse();
        assertThat(LoaderRelocations.apply(type("R_AARCH64_ABS16"), b, 0, -1)).isFalse();
        assertThat(LoaderRelocations.apply(type("R_AARCH64_ABS16"), b, 0, 0xffff)).isTrue();
        // PREL32 is signed: [S32_MIN, S32_MAX].
        assertThat(LoaderRelocations.apply(type("R_AARCH64_PREL32"), b, 0, -4)).isTrue();
        assertThat(LoaderRelocations.apply(type("R_AARCH64_PREL32"), b, 0, 0x80000000L)).isFalse();
    }

    @Test
    void call26OverflowsBeyondPlusMinus128MiB() {
        // reloc_insn_imm(RELOC_OP_PREL, loc, val, 2, 26, IMM_26): -ERANGE outside [-2^27, 2^27); the
        // loader then branches through a PLT entry (module_emit_plt_entry).
        boolean[] fits = new boolean[1];
        long out = applied("R_AARCH64_CALL26", 0x94000000L, 0x7fffffcL, fits);
        assertThat(out).isEqualTo(0x94000000L | 0x1ffffffL);
        assertThat(fits[0]).isTrue();
        applied("R_AARCH64_CALL26", 0x94000000L, 0x8000000L, fits);
        assertThat(fits[0]).isFalse();
        out = applied("R_AARCH64_CALL26", 0x94000000L, -0x8000000L, fits);
        assertThat(fits[0]).isTrue();
        assertThat(out).isEqualTo(0x94000000L | 0x2000000L);
    }

    @Test
    void bothNoneCodesAreNoOps() {
        assertThat(T.name(0)).isEqualTo("R_ARM_NONE");
        assertThat(T.name(256)).isEqualTo("R_AARCH64_NONE");
    }
}
